//! Pieces shared by the typed configurations of every process (`coordinator::config`,
//! `broker::config`): the warning type, key-family matching and range-checked integers.
//!
//! Each process keeps its own error type, because each words its messages the way the
//! upstream server it stands in for does (ZooKeeper for the coordinator, Kafka for the
//! broker); the helpers here report *what* is wrong and leave the wording to the caller.

use std::fmt;

/// Something accepted but worth telling the operator (ignored key, adjusted value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning(pub String);

impl fmt::Display for ConfigWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Whether `key` is `pattern`, or belongs to the family `pattern` when it ends with `.`
/// (`"ssl."` matches `ssl.keystore.location`).
pub fn key_matches(key: &str, pattern: &str) -> bool {
    if pattern.ends_with('.') {
        key.starts_with(pattern)
    } else {
        key == pattern
    }
}

/// Why [`bounded_integer`] rejected a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerProblem {
    /// Not a decimal integer that fits in 64 bits.
    NotANumber,
    /// Smaller than the allowed minimum.
    BelowMinimum {
        /// The smallest allowed value.
        min: i64,
    },
    /// Larger than the allowed maximum.
    AboveMaximum {
        /// The largest allowed value.
        max: i64,
    },
}

/// Parses a decimal integer (optional sign) and checks it lies in `min..=max`.
pub fn bounded_integer(value: &str, min: i64, max: i64) -> Result<i64, IntegerProblem> {
    let number: i64 = value.parse().map_err(|_| IntegerProblem::NotANumber)?;
    if number < min {
        return Err(IntegerProblem::BelowMinimum { min });
    }
    if number > max {
        return Err(IntegerProblem::AboveMaximum { max });
    }
    Ok(number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_patterns_match_by_prefix_and_others_exactly() {
        assert!(key_matches("ssl.keystore.location", "ssl."));
        assert!(!key_matches("ssl", "ssl."));
        assert!(key_matches("initLimit", "initLimit"));
        assert!(!key_matches("initLimitX", "initLimit"));
    }

    #[test]
    fn bounded_integer_reports_each_problem() {
        assert_eq!(bounded_integer("-5", -10, 10), Ok(-5));
        assert_eq!(bounded_integer("+7", 0, 10), Ok(7));
        assert_eq!(bounded_integer("x", 0, 10), Err(IntegerProblem::NotANumber));
        assert_eq!(bounded_integer("", 0, 10), Err(IntegerProblem::NotANumber));
        assert_eq!(
            bounded_integer("99999999999999999999", 0, 10),
            Err(IntegerProblem::NotANumber)
        );
        assert_eq!(
            bounded_integer("-1", 0, 10),
            Err(IntegerProblem::BelowMinimum { min: 0 })
        );
        assert_eq!(
            bounded_integer("11", 0, 10),
            Err(IntegerProblem::AboveMaximum { max: 10 })
        );
    }

    #[test]
    fn warning_displays_its_text() {
        assert_eq!(ConfigWarning("careful".to_owned()).to_string(), "careful");
    }
}
