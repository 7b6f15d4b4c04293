//! Topic config overrides (`/config/topics/<t>`) applied to the broker's default
//! [`LogConfig`]: the one place that maps topic-level keys onto log settings.
//!
//! Mapped keys: `retention.ms`, `retention.bytes`, `segment.bytes`, `segment.ms`,
//! `max.message.bytes`, `message.timestamp.type`, `index.interval.bytes`, `flush.messages`,
//! `flush.ms`, `segment.index.bytes`. Other keys of Kafka's topic config set are accepted
//! and stored (they act once their feature exists); unknown keys are refused at write time
//! ([`validate_overrides`]). An override that does not parse when read back from the
//! coordinator is skipped with a warning and the default stays. No I/O.

use std::collections::BTreeMap;

use crate::log::LogConfig;
use crate::record::TimestampType;

/// Kafka's topic-level config names (`TopicConfig`), the ones a CreateTopics or
/// AlterConfigs request may set.
pub const TOPIC_CONFIG_NAMES: [&str; 27] = [
    "cleanup.policy",
    "compression.type",
    "delete.retention.ms",
    "file.delete.delay.ms",
    "flush.messages",
    "flush.ms",
    "follower.replication.throttled.replicas",
    "index.interval.bytes",
    "leader.replication.throttled.replicas",
    "local.retention.bytes",
    "local.retention.ms",
    "max.compaction.lag.ms",
    "max.message.bytes",
    "message.downconversion.enable",
    "message.format.version",
    "message.timestamp.difference.max.ms",
    "message.timestamp.type",
    "min.cleanable.dirty.ratio",
    "min.compaction.lag.ms",
    "min.insync.replicas",
    "preallocate",
    "remote.storage.enable",
    "retention.bytes",
    "retention.ms",
    "segment.bytes",
    "segment.index.bytes",
    "segment.jitter.ms",
];

/// An override that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicConfigError {
    #[error("Unknown topic config name: {key}")]
    UnknownKey { key: String },
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
}

/// Checks that every key is a topic config and every mapped value parses and is in range.
pub fn validate_overrides(overrides: &BTreeMap<String, String>) -> Result<(), TopicConfigError> {
    for key in overrides.keys() {
        if !TOPIC_CONFIG_NAMES.contains(&key.as_str()) {
            return Err(TopicConfigError::UnknownKey { key: key.clone() });
        }
    }
    let mut config = LogConfig::default();
    for (key, value) in overrides {
        apply_one(&mut config, key, value)?;
    }
    config
        .validate()
        .map_err(|error| TopicConfigError::InvalidValue {
            key: String::new(),
            value: String::new(),
            reason: error.to_string(),
        })
}

/// `defaults` with the mapped overrides applied; bad values keep the default (warned).
pub fn effective_config(defaults: &LogConfig, overrides: &BTreeMap<String, String>) -> LogConfig {
    let mut config = defaults.clone();
    for (key, value) in overrides {
        let mut candidate = config.clone();
        match apply_one(&mut candidate, key, value) {
            Ok(()) if candidate.validate().is_ok() => config = candidate,
            Ok(()) => tracing::warn!(%key, %value, "topic config override out of range, ignored"),
            Err(error) => tracing::warn!(%error, "topic config override ignored"),
        }
    }
    config
}

/// The value a mapped key has in `config`, as Kafka prints it (for CreateTopics v5+).
pub fn mapped_values(config: &LogConfig) -> Vec<(&'static str, String)> {
    let timestamp_type = match config.message_timestamp_type {
        TimestampType::CreateTime => "CreateTime",
        TimestampType::LogAppendTime => "LogAppendTime",
    };
    vec![
        ("flush.messages", config.flush_messages.to_string()),
        ("flush.ms", config.flush_ms.to_string()),
        (
            "index.interval.bytes",
            config.index_interval_bytes.to_string(),
        ),
        ("max.message.bytes", config.max_message_bytes.to_string()),
        ("message.timestamp.type", timestamp_type.to_owned()),
        ("retention.bytes", config.retention_bytes.to_string()),
        ("retention.ms", config.retention_ms.to_string()),
        ("segment.bytes", config.segment_bytes.to_string()),
        (
            "segment.index.bytes",
            config.segment_index_bytes.to_string(),
        ),
        ("segment.ms", config.segment_ms.to_string()),
    ]
}

fn apply_one(config: &mut LogConfig, key: &str, value: &str) -> Result<(), TopicConfigError> {
    let long = || {
        value
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid(key, value, "Not a number of type LONG"))
    };
    let int = || {
        value
            .trim()
            .parse::<i32>()
            .map_err(|_| invalid(key, value, "Not a number of type INT"))
    };
    match key {
        "retention.ms" => config.retention_ms = long()?,
        "retention.bytes" => config.retention_bytes = long()?,
        "segment.bytes" => config.segment_bytes = i64::from(int()?),
        "segment.ms" => config.segment_ms = long()?,
        "max.message.bytes" => config.max_message_bytes = int()?,
        "index.interval.bytes" => config.index_interval_bytes = i64::from(int()?),
        "segment.index.bytes" => config.segment_index_bytes = i64::from(int()?),
        "flush.messages" => config.flush_messages = long()?,
        "flush.ms" => config.flush_ms = long()?,
        "message.timestamp.type" => {
            config.message_timestamp_type = match value.trim() {
                "CreateTime" => TimestampType::CreateTime,
                "LogAppendTime" => TimestampType::LogAppendTime,
                _ => {
                    return Err(invalid(
                        key,
                        value,
                        "String must be one of: CreateTime, LogAppendTime",
                    ))
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn invalid(key: &str, value: &str, reason: &str) -> TopicConfigError {
    TopicConfigError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

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
    fn bad_values_keep_the_default() {
        let config = effective_config(
            &LogConfig::default(),
            &map(&[("retention.ms", "soon"), ("segment.bytes", "1")]),
        );
        assert_eq!(config, LogConfig::default());
    }

    #[test]
    fn validation_names_unknown_keys_and_bad_values() {
        assert!(validate_overrides(&map(&[("retention.ms", "5")])).is_ok());
        assert_eq!(
            validate_overrides(&map(&[("no.such", "1")]))
                .unwrap_err()
                .to_string(),
            "Unknown topic config name: no.such"
        );
        assert!(matches!(
            validate_overrides(&map(&[("retention.ms", "x")])),
            Err(TopicConfigError::InvalidValue { .. })
        ));
        assert!(validate_overrides(&map(&[("segment.bytes", "3")])).is_err());
    }
}
