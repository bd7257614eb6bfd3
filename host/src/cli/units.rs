//! Units at the command line: hash rates as shown, seconds as given.

use std::time::Duration;

use super::BadInput;

/// Human-readable H/s.
pub fn rate(hps: f64) -> String {
    const UNITS: [&str; 5] = ["H/s", "kH/s", "MH/s", "GH/s", "TH/s"];
    let mut value = hps;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.2} {}", UNITS[unit])
}

/// A positive number of seconds that a [`Duration`] can hold, or a clear error.
pub fn seconds(flag: &str, secs: f64) -> Result<Duration, BadInput> {
    if !(secs.is_finite() && secs > 0.0) {
        return Err(BadInput(format!(
            "{flag} must be a positive number of seconds, not {secs}"
        )));
    }
    Duration::try_from_secs_f64(secs)
        .map_err(|_| BadInput(format!("{flag} {secs} is longer than any run can be")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_scale() {
        assert_eq!(rate(950.0), "950.00 H/s");
        assert_eq!(rate(375_000.0), "375.00 kH/s");
        assert_eq!(rate(2.5e9), "2.50 GH/s");
    }

    #[test]
    fn seconds_are_positive_and_fit_a_duration() {
        assert_eq!(
            seconds("--duration", 1.5).unwrap(),
            Duration::from_millis(1500)
        );
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let err = seconds("--duration", bad).unwrap_err().to_string();
            assert!(
                err.starts_with("--duration must be a positive number"),
                "{err}"
            );
        }
        let err = seconds("--pool-timeout", 1e20).unwrap_err().to_string();
        assert!(err.contains("longer than any run"), "{err}");
    }
}
