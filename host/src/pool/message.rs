//! Stratum v1 messages from the pool, parsed from JSON: which kind a line is, and
//! the params and results the client uses. Every parser returns `None` for a
//! shape it does not know; none panics, whatever the pool sends.

use serde_json::Value;

use crate::work::StratumJob;

/// One line from the pool, by kind.
#[derive(Debug, PartialEq)]
pub(crate) enum Incoming {
    /// A method call or notification (`mining.notify`, ...).
    Call {
        /// The method name.
        method: String,
        /// Its params.
        params: Value,
    },
    /// An answer to one of the client's requests.
    Response {
        /// The request id it answers.
        id: u64,
        /// The whole message (result and error).
        msg: Value,
    },
}

impl Incoming {
    /// Parses a line; `None` when it is not a JSON object of either kind.
    pub(crate) fn parse(text: &str) -> Option<Incoming> {
        let msg: Value = serde_json::from_str(text).ok()?;
        if !msg.is_object() {
            return None;
        }
        if let Some(method) = msg.get("method").and_then(Value::as_str) {
            let params = msg.get("params").cloned().unwrap_or(Value::Null);
            return Some(Incoming::Call {
                method: method.to_string(),
                params,
            });
        }
        let id = msg.get("id").and_then(Value::as_u64)?;
        Some(Incoming::Response { id, msg })
    }
}

/// True when a response carries no error.
pub(crate) fn response_ok(msg: &Value) -> bool {
    msg.get("error").is_none_or(Value::is_null)
}

/// The `[code, message, ...]` or `{code, message}` error of a response.
pub(crate) fn response_error(msg: &Value) -> (Option<i64>, String) {
    let err = &msg["error"];
    match err {
        Value::Array(a) => (
            a.first().and_then(Value::as_i64),
            a.get(1).and_then(Value::as_str).unwrap_or("").to_string(),
        ),
        Value::Object(o) => (
            o.get("code").and_then(Value::as_i64),
            o.get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        ),
        Value::String(s) => (None, s.clone()),
        _ => (None, String::new()),
    }
}

/// A 32-bit word written as (up to) 8 hex digits.
pub(crate) fn hex_word(v: &Value) -> Option<u32> {
    let text = v.as_str()?;
    if text.is_empty() || text.len() > 8 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(text, 16).ok()
}

/// Parses `mining.notify` params.
pub(crate) fn parse_notify(params: &Value) -> Option<StratumJob> {
    let p = params.as_array()?;
    let s = |i: usize| p.get(i).and_then(Value::as_str);
    let branch: Vec<&str> = p
        .get(4)?
        .as_array()?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()?;
    StratumJob::from_notify(
        s(0)?,
        s(1)?,
        s(2)?,
        s(3)?,
        &branch,
        s(5)?,
        s(6)?,
        s(7)?,
        p.get(8)?.as_bool()?,
    )
    .ok()
}

/// Longest extranonce2 the client rolls, in bytes.
pub(crate) const MAX_EXTRANONCE2: usize = 32;

/// Subscription id, extranonce1 and extranonce2 size from a subscribe result.
pub(crate) fn parse_subscribe(result: &Value) -> Option<(Option<String>, Vec<u8>, usize)> {
    let r = result.as_array()?;
    let extranonce1 = hex::decode(r.get(1)?.as_str()?).ok()?;
    let size = usize::try_from(r.get(2)?.as_u64()?)
        .ok()
        .filter(|&s| s <= MAX_EXTRANONCE2)?;
    // [[method, id], ...] or a single [method, id]; prefer the notify subscription.
    let subs = r.first();
    let pairs: Vec<&Value> = match subs.and_then(Value::as_array) {
        Some(a) if a.first().is_some_and(Value::is_array) => a.iter().collect(),
        Some(_) => subs.into_iter().collect(),
        None => Vec::new(),
    };
    let id_of = |pair: &&Value| pair.get(1).and_then(Value::as_str).map(str::to_string);
    let subscription = pairs
        .iter()
        .find(|p| p.get(0).and_then(Value::as_str) == Some("mining.notify"))
        .or(pairs.first())
        .and_then(id_of);
    Some((subscription, extranonce1, size))
}

/// extranonce1 and extranonce2 size of `mining.set_extranonce` params.
pub(crate) fn parse_set_extranonce(params: &Value) -> Option<(Vec<u8>, usize)> {
    let e1 = hex::decode(params.get(0)?.as_str()?).ok()?;
    let size = usize::try_from(params.get(1)?.as_u64()?)
        .ok()
        .filter(|&s| s <= MAX_EXTRANONCE2)?;
    Some((e1, size))
}

/// A positive, finite difficulty of `mining.set_difficulty` params.
pub(crate) fn parse_difficulty(params: &Value) -> Option<f64> {
    let d = params.get(0)?.as_f64()?;
    crate::hash::Target::from_difficulty(d).ok().map(|_| d)
}

/// The result of `mining.configure`: the version mask granted, 0 when refused.
pub(crate) fn parse_configure(result: &Value) -> u32 {
    let granted = result.get("version-rolling").and_then(Value::as_bool) == Some(true);
    match (
        granted,
        result.get("version-rolling.mask").and_then(hex_word),
    ) {
        (true, Some(mask)) => mask,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn subscribe_results_of_several_shapes() {
        let r = json!([
            [["mining.set_difficulty", "d1"], ["mining.notify", "n1"]],
            "ffff001d",
            4
        ]);
        assert_eq!(
            parse_subscribe(&r),
            Some((Some("n1".into()), vec![0xff, 0xff, 0x00, 0x1d], 4))
        );
        let r = json!([["mining.notify", "abc"], "00", 8]);
        assert_eq!(parse_subscribe(&r), Some((Some("abc".into()), vec![0], 8)));
        let r = json!([null, "", 0]);
        assert_eq!(parse_subscribe(&r), Some((None, vec![], 0)));
        assert_eq!(parse_subscribe(&json!([[], "zz", 4])), None);
        assert_eq!(parse_subscribe(&json!([[], "00", 99])), None);
        assert_eq!(parse_subscribe(&json!({"x": 1})), None);
    }

    #[test]
    fn error_shapes() {
        assert_eq!(
            response_error(&json!({"error": [23, "low difficulty", null]})),
            (Some(23), "low difficulty".into())
        );
        assert_eq!(
            response_error(&json!({"error": {"code": 21, "message": "job not found"}})),
            (Some(21), "job not found".into())
        );
        assert_eq!(
            response_error(&json!({"error": "nope"})),
            (None, "nope".into())
        );
        assert_eq!(
            response_error(&json!({"error": null})),
            (None, String::new())
        );
    }

    #[test]
    fn notify_params_must_have_the_right_shape() {
        let good = json!([
            "j",
            "00".repeat(32),
            "01",
            "02",
            [],
            "20000000",
            "1d00ffff",
            "495fab29",
            true
        ]);
        assert_eq!(parse_notify(&good).unwrap().job_id, "j");
        let mut short = good.clone();
        short.as_array_mut().unwrap().pop();
        assert!(parse_notify(&short).is_none());
        let mut bad_branch = good.clone();
        bad_branch[4] = json!([1]);
        assert!(parse_notify(&bad_branch).is_none());
        let mut bad_hex = good.clone();
        bad_hex[6] = json!("xyz");
        assert!(parse_notify(&bad_hex).is_none());
        assert!(parse_notify(&json!({})).is_none());
    }

    #[test]
    fn lines_by_kind() {
        assert_eq!(
            Incoming::parse(r#"{"id":null,"method":"mining.notify","params":[1]}"#),
            Some(Incoming::Call {
                method: "mining.notify".into(),
                params: json!([1])
            })
        );
        assert!(matches!(
            Incoming::parse(r#"{"id":3,"result":true,"error":null}"#),
            Some(Incoming::Response { id: 3, .. })
        ));
        assert_eq!(Incoming::parse("[1,2]"), None);
        assert_eq!(Incoming::parse(r#"{"id":-1,"result":true}"#), None);
        assert_eq!(Incoming::parse("{garbage"), None);
    }

    #[test]
    fn numbers_from_the_pool_are_checked() {
        assert_eq!(parse_difficulty(&json!([0.5])), Some(0.5));
        assert_eq!(parse_difficulty(&json!([0])), None);
        assert_eq!(parse_difficulty(&json!([-1])), None);
        assert_eq!(parse_difficulty(&json!([1e308])), Some(1e308));
        assert_eq!(parse_difficulty(&json!(["1"])), None);
        assert_eq!(hex_word(&json!("1fffe000")), Some(0x1fff_e000));
        assert_eq!(hex_word(&json!("+1")), None);
        assert_eq!(hex_word(&json!("100000000")), None);
        assert_eq!(
            parse_set_extranonce(&json!(["0a0b", 4])),
            Some((vec![10, 11], 4))
        );
        assert_eq!(parse_set_extranonce(&json!(["0a0b", 33])), None);
        assert_eq!(parse_set_extranonce(&json!(["0a0b", -4])), None);
        assert_eq!(
            parse_configure(&json!({"version-rolling": true, "version-rolling.mask": "1fffe000"})),
            0x1fff_e000
        );
        assert_eq!(parse_configure(&json!({"version-rolling": false})), 0);
    }

    /// JSON values of any shape, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            "[0-9a-fA-F]{0,70}".prop_map(Value::from),
            ".{0,12}".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 10, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..10).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("id".to_string()),
                        Just("method".to_string()),
                        Just("params".to_string()),
                        Just("result".to_string()),
                        Just("error".to_string()),
                        ".{0,6}"
                    ],
                    inner,
                    0..6
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// No line, however shaped, makes a parser panic.
        #[test]
        fn any_line_is_parsed_or_refused(text in ".{0,200}") {
            let _ = Incoming::parse(&text);
        }

        #[test]
        fn any_json_is_parsed_or_refused(v in any_json()) {
            let _ = Incoming::parse(&v.to_string());
            let _ = parse_notify(&v);
            let _ = parse_subscribe(&v);
            let _ = parse_set_extranonce(&v);
            let _ = parse_difficulty(&v);
            let _ = parse_configure(&v);
            let _ = response_error(&json!({"error": v.clone()}));
            if let Some(d) = parse_difficulty(&v) {
                prop_assert!(d.is_finite() && d > 0.0);
            }
            if let Some((_, _, size)) = parse_subscribe(&v) {
                prop_assert!(size <= MAX_EXTRANONCE2);
            }
        }

        /// Well-formed notify params with arbitrary field contents: parsed exactly, or refused.
        #[test]
        fn notify_fields_round_trip(
            id in ".{0,20}",
            prev in "[0-9a-f]{64}",
            cb1 in "([0-9a-f]{2}){0,40}",
            cb2 in "([0-9a-f]{2}){0,40}",
            branch in proptest::collection::vec("[0-9a-f]{64}", 0..4),
            version in any::<u32>(),
            bits in any::<u32>(),
            time in any::<u32>(),
            clean in any::<bool>(),
        ) {
            let params = json!([id, prev, cb1, cb2, branch, format!("{version:08x}"),
                format!("{bits:08x}"), format!("{time:08x}"), clean]);
            let job = parse_notify(&params).expect("well-formed params parse");
            prop_assert_eq!(job.job_id, id);
            prop_assert_eq!((job.version, job.bits, job.time, job.clean_jobs), (version, bits, time, clean));
            prop_assert_eq!(job.merkle_branch.len(), branch.len());
        }
    }
}
