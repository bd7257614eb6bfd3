//! Text shown to users: error chains in one line, and strings from outside
//! (pools, boards) with their control characters escaped, so that a pool can
//! neither clear the screen nor forge lines.

use std::borrow::Cow;
use std::error::Error;

/// `error: cause: cause`, each source once (a cause whose text the error already
/// shows is not repeated).
pub fn error_chain(err: &(dyn Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

/// `text` with every control character (C0, DEL, C1, and the Unicode format
/// characters that reorder text) written as a `\u{..}` escape; the rest unchanged.
pub fn escape(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl std::fmt::Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("link /dev/ttyUSB1: I/O error")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn chains_name_the_cause_once() {
        let e = Outer(std::io::Error::other(
            "device reports readiness to read but returned no data",
        ));
        assert_eq!(
            error_chain(&e),
            "link /dev/ttyUSB1: I/O error: device reports readiness to read but returned no data"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("job-1"), "job-1");
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("x\r\naccepted"), "x\\u{d}\\u{a}accepted");
        assert_eq!(escape("\u{202e}evil"), "\\u{202e}evil");
        assert_eq!(escape("bloc ü"), "bloc ü");
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_control_characters(text in ".{0,64}") {
            let out = escape(&text);
            prop_assert!(!out.chars().any(char::is_control));
            if !text.chars().any(char::is_control) && !text.contains('\u{202e}') {
                prop_assert_eq!(out.len() >= text.len(), true);
            }
        }
    }
}
