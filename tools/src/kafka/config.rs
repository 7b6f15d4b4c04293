//! Client settings from the command line and properties files, under Kafka's names:
//! `key=value` arguments (`--producer-property`, `--producer-props`, `--config`,
//! `--property`), `--producer.config`/`--consumer.config`/`--command-config` files, and
//! their translation into [`ClientConfig`], [`ProducerConfig`] and [`FetchConfig`].
//! Keys this client does not use are accepted and ignored, as Kafka's tools pass unknown
//! keys through to clients that log and ignore them.

use std::path::Path;
use std::time::Duration;

use common::client::producer::parse_compression;
use common::client::{ClientConfig, FetchConfig, ProducerConfig};
use common::properties::Properties;

use crate::error::KafkaToolError;

/// Splits `key=value` at the first `=` (Kafka keeps later `=` in the value).
pub fn parse_key_value(argument: &str) -> Result<(String, String), KafkaToolError> {
    match argument.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(KafkaToolError::KeyValue {
            argument: argument.to_string(),
        }),
    }
}

/// Reads a properties file given on the command line, or empty properties for `None`.
pub fn load_optional(path: Option<&Path>) -> Result<Properties, KafkaToolError> {
    match path {
        Some(path) => Ok(Properties::load(path)?),
        None => Ok(Properties::default()),
    }
}

/// Adds `key=value` arguments on top of `properties` (later ones win).
pub fn apply_overrides(
    properties: &mut Properties,
    arguments: &[String],
) -> Result<(), KafkaToolError> {
    for argument in arguments {
        let (key, value) = parse_key_value(argument)?;
        properties.set(key, value);
    }
    Ok(())
}

fn invalid(key: &str, value: &str, reason: &str) -> KafkaToolError {
    KafkaToolError::InvalidConfig {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn number<T: std::str::FromStr>(
    properties: &Properties,
    key: &str,
) -> Result<Option<T>, KafkaToolError> {
    match properties.get(key) {
        None => Ok(None),
        Some(value) => value
            .trim()
            .parse::<T>()
            .map(Some)
            .map_err(|_| invalid(key, value, "Not a number")),
    }
}

fn millis(properties: &Properties, key: &str) -> Result<Option<Duration>, KafkaToolError> {
    Ok(number::<u64>(properties, key)?.map(Duration::from_millis))
}

/// The cluster client settings: `bootstrap.servers` (the command-line server wins when
/// given), `client.id`, `request.timeout.ms`, `retries`, `retry.backoff.ms`.
pub fn client_config(
    bootstrap: Option<&str>,
    properties: &Properties,
    default_client_id: &str,
) -> Result<ClientConfig, KafkaToolError> {
    let servers = bootstrap
        .or_else(|| properties.get("bootstrap.servers"))
        .ok_or_else(|| KafkaToolError::Usage {
            message:
                "Missing required configuration \"bootstrap.servers\" which has no default value."
                    .to_string(),
        })?;
    let mut config = ClientConfig::new(servers);
    config.connection.client_id = properties
        .get("client.id")
        .unwrap_or(default_client_id)
        .to_string();
    if let Some(timeout) = millis(properties, "request.timeout.ms")? {
        config.connection.request_timeout = timeout;
    }
    if let Some(retries) = number::<u32>(properties, "retries")? {
        config.retries = retries.min(100);
    }
    if let Some(backoff) = millis(properties, "retry.backoff.ms")? {
        config.retry_backoff = backoff;
    }
    Ok(config)
}

/// The producer settings: `acks`, `batch.size`, `linger.ms`, `compression.type`,
/// `request.timeout.ms`, `retries`, `retry.backoff.ms`,
/// `max.in.flight.requests.per.connection`, `buffer.memory`, `max.request.size`.
pub fn producer_config(properties: &Properties) -> Result<ProducerConfig, KafkaToolError> {
    let mut config = ProducerConfig::default();
    if let Some(acks) = properties.get("acks") {
        config.acks = match acks.trim() {
            "all" | "-1" => -1,
            "0" => 0,
            "1" => 1,
            _ => {
                return Err(invalid(
                    "acks",
                    acks,
                    "String must be one of: all, -1, 0, 1",
                ))
            }
        };
    }
    if let Some(size) = number::<usize>(properties, "batch.size")? {
        config.batch_size = size;
    }
    if let Some(linger) = millis(properties, "linger.ms")? {
        config.linger = linger;
    }
    if let Some(codec) = properties.get("compression.type") {
        config.compression = parse_compression(codec.trim()).ok_or_else(|| {
            invalid(
                "compression.type",
                codec,
                "String must be one of: none, gzip, snappy, lz4, zstd",
            )
        })?;
    }
    if let Some(timeout) = millis(properties, "request.timeout.ms")? {
        config.request_timeout = timeout;
    }
    if let Some(retries) = number::<u32>(properties, "retries")? {
        // Kafka's default is effectively unbounded; a bounded count keeps failures visible.
        config.retries = retries.min(100);
    }
    if let Some(backoff) = millis(properties, "retry.backoff.ms")? {
        config.retry_backoff = backoff;
    }
    if let Some(in_flight) = number::<usize>(properties, "max.in.flight.requests.per.connection")? {
        config.max_in_flight = in_flight.max(1);
    }
    if let Some(memory) = number::<usize>(properties, "buffer.memory")? {
        config.buffer_memory = memory;
    }
    if let Some(size) = number::<usize>(properties, "max.request.size")? {
        config.max_request_size = size;
    }
    Ok(config)
}

/// The fetch settings: `fetch.max.wait.ms`, `fetch.min.bytes`, `fetch.max.bytes`,
/// `max.partition.fetch.bytes`, `isolation.level`.
pub fn fetch_config(properties: &Properties) -> Result<FetchConfig, KafkaToolError> {
    let mut config = FetchConfig::default();
    if let Some(wait) = millis(properties, "fetch.max.wait.ms")? {
        config.max_wait = wait;
    }
    if let Some(bytes) = number::<i32>(properties, "fetch.min.bytes")? {
        config.min_bytes = bytes;
    }
    if let Some(bytes) = number::<i32>(properties, "fetch.max.bytes")? {
        config.max_bytes = bytes;
    }
    if let Some(bytes) = number::<i32>(properties, "max.partition.fetch.bytes")? {
        config.partition_max_bytes = bytes;
    }
    if let Some(level) = properties.get("isolation.level") {
        config.isolation_level = isolation_level(level)?;
    }
    Ok(config)
}

/// `read_uncommitted` → 0, `read_committed` → 1.
pub fn isolation_level(name: &str) -> Result<i8, KafkaToolError> {
    match name.trim() {
        "read_uncommitted" => Ok(0),
        "read_committed" => Ok(1),
        other => Err(invalid(
            "isolation.level",
            other,
            "String must be one of: read_committed, read_uncommitted",
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use kafka_protocol::records::Compression;

    #[test]
    fn key_value_splits_at_the_first_equals() {
        assert_eq!(
            parse_key_value("a=b=c").unwrap(),
            ("a".to_string(), "b=c".to_string())
        );
        assert_eq!(
            parse_key_value("a=").unwrap(),
            ("a".to_string(), String::new())
        );
        assert!(parse_key_value("novalue").is_err());
        assert!(parse_key_value("=x").is_err());
    }

    #[test]
    fn producer_properties_map_to_the_config() {
        let mut properties = Properties::default();
        apply_overrides(
            &mut properties,
            &[
                "acks=all".to_string(),
                "batch.size=1000".to_string(),
                "linger.ms=7".to_string(),
                "compression.type=lz4".to_string(),
                "unknown.key=ignored".to_string(),
            ],
        )
        .unwrap();
        let config = producer_config(&properties).unwrap();
        assert_eq!(config.acks, -1);
        assert_eq!(config.batch_size, 1000);
        assert_eq!(config.linger, Duration::from_millis(7));
        assert_eq!(config.compression, Compression::Lz4);
        properties.set("acks", "2");
        let error = producer_config(&properties).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"
        );
    }

    #[test]
    fn command_line_server_wins_over_the_file() {
        let mut properties = Properties::default();
        properties.set("bootstrap.servers", "file:1");
        properties.set("client.id", "me");
        let config = client_config(Some("cli:2"), &properties, "tool").unwrap();
        assert_eq!(config.bootstrap_servers, vec!["cli:2"]);
        assert_eq!(config.connection.client_id, "me");
        let config = client_config(None, &properties, "tool").unwrap();
        assert_eq!(config.bootstrap_servers, vec!["file:1"]);
        assert!(client_config(None, &Properties::default(), "tool").is_err());
    }
}
