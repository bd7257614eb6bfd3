//! An API reply as cgminer shapes it, and its two renderings: JSON
//! (`{"STATUS":[{…}],"SUMMARY":[{…}],"id":1}`) for JSON requests and cgminer's
//! text (`STATUS=S,When=…,Code=11,Msg=Summary,Description=…|SUMMARY,Elapsed=…|`)
//! for plain ones. Fields keep their order. Strings are escaped as cgminer
//! does (`\` before `"` and `\` in JSON — by serde — and before `|`, `,`, `=`
//! and `\` in text); control characters never reach a client.

use std::fmt::Write as _;

/// The `Description` of every STATUS: what is answering.
pub const DESCRIPTION: &str = concat!("amber ", env!("CARGO_PKG_VERSION"));

/// A field value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// An unsigned count.
    UInt(u64),
    /// A real number printed with this many decimals.
    Real(f64, usize),
    /// Text.
    Str(String),
    /// `true`/`false`.
    Bool(bool),
}

impl Value {
    /// A real with two decimals (rates, utility).
    pub fn real2(v: f64) -> Value {
        Value::Real(v, 2)
    }

    /// A difficulty: eight decimals, as cgminer prints them.
    pub fn diff(v: f64) -> Value {
        Value::Real(v, 8)
    }

    fn number(v: f64, decimals: usize) -> String {
        // JSON has no NaN or infinity: a figure that is not a number reads as 0.
        let v = if v.is_finite() { v } else { 0.0 };
        format!("{v:.decimals$}")
    }

    fn json(&self) -> String {
        match self {
            Value::UInt(v) => v.to_string(),
            Value::Real(v, d) => Self::number(*v, *d),
            Value::Str(s) => serde_json::Value::String(clean(s)).to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Str(s) => escape_text(&clean(s)),
            Value::Real(v, d) => Self::number(*v, *d),
            other => other.json(),
        }
    }
}

/// Control characters replaced by `?`: a pool's strings cannot reach a
/// client's terminal as escape sequences.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// cgminer's text escaping.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '|' | ',' | '=' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// An ordered list of named values: one entry of a section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(pub Vec<(String, Value)>);

impl Fields {
    /// Appends a field.
    pub fn add(mut self, name: &str, value: Value) -> Self {
        self.0.push((name.to_string(), value));
        self
    }
}

/// A reply section: `SUMMARY`, `DEVS`, `POOLS`, …
#[derive(Clone, Debug, PartialEq)]
pub struct Section {
    /// Its name (JSON key; text prefix of one-entry sections).
    pub name: &'static str,
    /// Its entries.
    pub entries: Vec<Fields>,
    /// Text form names the section before its fields (`SUMMARY,Elapsed=…|`);
    /// lists start each entry with its index field instead (`PGA=0,…|`).
    pub named: bool,
}

/// STATUS severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// `S`.
    Success,
    /// `E`.
    Error,
}

impl Severity {
    fn letter(self) -> &'static str {
        match self {
            Severity::Success => "S",
            Severity::Error => "E",
        }
    }
}

/// A STATUS: severity, cgminer's message code and message.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// S, I or E.
    pub severity: Severity,
    /// The code of cgminer's message (its `MSG_*` number).
    pub code: u32,
    /// The message.
    pub msg: String,
}

/// One command's reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// Its STATUS.
    pub status: Status,
    /// Its sections (none for errors and for commands that only report a status).
    pub sections: Vec<Section>,
}

impl Reply {
    /// A reply with a status and no section.
    pub fn status(severity: Severity, code: u32, msg: impl Into<String>) -> Reply {
        Reply {
            status: Status {
                severity,
                code,
                msg: msg.into(),
            },
            sections: Vec::new(),
        }
    }

    /// An error reply.
    pub fn error(code: u32, msg: impl Into<String>) -> Reply {
        Self::status(Severity::Error, code, msg)
    }

    /// A success with one section.
    pub fn with(mut self, section: Section) -> Reply {
        self.sections.push(section);
        self
    }

    fn status_fields(&self, when: u64) -> Fields {
        Fields::default()
            .add("STATUS", Value::Str(self.status.severity.letter().into()))
            .add("When", Value::UInt(when))
            .add("Code", Value::UInt(u64::from(self.status.code)))
            .add("Msg", Value::Str(self.status.msg.clone()))
            .add("Description", Value::Str(DESCRIPTION.into()))
    }

    /// The JSON body: `{"STATUS":[{…}],"NAME":[{…},…],"id":1}`.
    pub fn json(&self, when: u64) -> String {
        let mut out = String::from("{\"STATUS\":[");
        out.push_str(&object(&self.status_fields(when)));
        out.push(']');
        for section in &self.sections {
            let _ = write!(out, ",\"{}\":[", section.name);
            let entries: Vec<String> = section.entries.iter().map(object).collect();
            out.push_str(&entries.join(","));
            out.push(']');
        }
        out.push_str(",\"id\":1}");
        out
    }

    /// cgminer's text body.
    pub fn text(&self, when: u64) -> String {
        let mut out = pairs(&self.status_fields(when));
        out.push('|');
        for section in &self.sections {
            for entry in &section.entries {
                if section.named {
                    out.push_str(section.name);
                    out.push(',');
                }
                out.push_str(&pairs(entry));
                out.push('|');
            }
        }
        out
    }
}

fn object(fields: &Fields) -> String {
    let parts: Vec<String> = fields
        .0
        .iter()
        .map(|(name, value)| {
            format!(
                "{}:{}",
                serde_json::Value::String(name.clone()),
                value.json()
            )
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

fn pairs(fields: &Fields) -> String {
    let parts: Vec<String> = fields
        .0
        .iter()
        .map(|(name, value)| format!("{name}={}", value.text()))
        .collect();
    parts.join(",")
}

/// Several commands' replies (`summary+devs`): in JSON each under its command's
/// name, in text each after `CMD=name|`.
pub fn joined_json(replies: &[(String, Reply)], when: u64) -> String {
    let parts: Vec<String> = replies
        .iter()
        .map(|(cmd, reply)| {
            format!(
                "{}:[{}]",
                serde_json::Value::String(clean(cmd)),
                reply.json(when)
            )
        })
        .collect();
    format!("{{{},\"id\":1}}", parts.join(","))
}

/// The text form of [`joined_json`].
pub fn joined_text(replies: &[(String, Reply)], when: u64) -> String {
    replies
        .iter()
        .map(|(cmd, reply)| format!("CMD={}|{}", escape_text(&clean(cmd)), reply.text(when)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> Reply {
        Reply::status(Severity::Success, 11, "Summary").with(Section {
            name: "SUMMARY",
            entries: vec![Fields::default()
                .add("Elapsed", Value::UInt(12))
                .add("MHS av", Value::real2(0.5))
                .add("Best Share", Value::diff(f64::INFINITY))],
            named: true,
        })
    }

    #[test]
    fn json_envelope_is_cgminers() {
        let json = summary().json(1700000000);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["STATUS"][0]["STATUS"], "S");
        assert_eq!(v["STATUS"][0]["When"], 1700000000);
        assert_eq!(v["STATUS"][0]["Code"], 11);
        assert_eq!(v["STATUS"][0]["Msg"], "Summary");
        assert_eq!(v["STATUS"][0]["Description"], DESCRIPTION);
        assert_eq!(v["SUMMARY"][0]["MHS av"], 0.5);
        assert_eq!(v["SUMMARY"][0]["Best Share"], 0.0, "no infinity in JSON");
        assert_eq!(v["id"], 1);
        assert!(json.find("Elapsed").unwrap() < json.find("MHS av").unwrap());
    }

    #[test]
    fn text_form_and_escaping() {
        let text = summary().text(5);
        assert_eq!(
            text,
            format!(
                "STATUS=S,When=5,Code=11,Msg=Summary,Description={DESCRIPTION}|\
                 SUMMARY,Elapsed=12,MHS av=0.50,Best Share=0.00000000|"
            )
        );
        let evil = Reply::error(14, "x|y,z=w\\\u{1b}[2J\"");
        let t = evil.text(0);
        assert!(t.contains("Msg=x\\|y\\,z\\=w\\\\?[2J\""), "{t}");
        let j = evil.json(0);
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["STATUS"][0]["Msg"], "x|y,z=w\\?[2J\"");
    }

    #[test]
    fn joined_replies() {
        let both = vec![
            ("summary".to_string(), summary()),
            ("bogus".to_string(), Reply::error(14, "Invalid command")),
        ];
        let v: serde_json::Value = serde_json::from_str(&joined_json(&both, 1)).unwrap();
        assert_eq!(v["summary"][0]["SUMMARY"][0]["Elapsed"], 12);
        assert_eq!(v["bogus"][0]["STATUS"][0]["STATUS"], "E");
        assert_eq!(v["id"], 1);
        let t = joined_text(&both, 1);
        assert!(t.starts_with("CMD=summary|STATUS=S"), "{t}");
        assert!(t.contains("|CMD=bogus|STATUS=E"), "{t}");
    }
}
