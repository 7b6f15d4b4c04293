//! Topic config overrides (`/config/topics/<t>`) as the partition logs use them: the broker's
//! default [`LogConfig`] with the overrides applied by [`LogConfig::with_overrides`] (the
//! catalog, parsing and validation live in [`crate::config::topic`]).
//!
//! Overrides are validated when written; one that does not parse when read back from the
//! coordinator (written by another tool) is skipped with a warning and its default stays,
//! the others still apply. No I/O.

use std::collections::BTreeMap;

use crate::log::LogConfig;

/// `defaults` with `overrides` applied; a bad override keeps its default (warned).
pub fn effective_config(defaults: &LogConfig, overrides: &BTreeMap<String, String>) -> LogConfig {
    if let Ok(config) = defaults.with_overrides(overrides) {
        return config;
    }
    let mut config = defaults.clone();
    for (key, value) in overrides {
        let single = BTreeMap::from([(key.clone(), value.clone())]);
        match config.with_overrides(&single) {
            Ok(candidate) => config = candidate,
            Err(error) => tracing::warn!(%key, %value, %error, "topic config override ignored"),
        }
    }
    config
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::record::TimestampType;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn overrides_replace_defaults() {
        let config = effective_config(
            &LogConfig::default(),
            &map(&[
                ("retention.ms", "1000"),
                ("segment.bytes", "2048"),
                ("message.timestamp.type", "LogAppendTime"),
                ("cleanup.policy", "delete"),
            ]),
        );
        assert_eq!(config.retention_ms, 1000);
        assert_eq!(config.segment_bytes, 2048);
        assert_eq!(config.message_timestamp_type, TimestampType::LogAppendTime);
        assert_eq!(config.retention_bytes, LogConfig::default().retention_bytes);
    }

    #[test]
    fn a_bad_value_keeps_its_default_and_the_rest_apply() {
        let config = effective_config(
            &LogConfig::default(),
            &map(&[
                ("retention.ms", "soon"),
                ("segment.bytes", "1"),
                ("retention.bytes", "4096"),
            ]),
        );
        assert_eq!(config.retention_ms, LogConfig::default().retention_ms);
        assert_eq!(config.segment_bytes, LogConfig::default().segment_bytes);
        assert_eq!(config.retention_bytes, 4096);
    }
}
