//! The replication settings of server.properties (`replica.*`, `num.replica.fetchers`,
//! `controlled.shutdown.*`), with Kafka's defaults and its cross-checks: a follower's long
//! poll must end before the socket timeout and within the lag a follower may have before it
//! leaves the ISR.

use std::time::Duration;

use super::keys::*;
use super::{invalid, narrow, ConfigError, NumberType::*, Settings};

/// How followers fetch and how a broker leaves the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// `replica.lag.time.max.ms`: a follower not caught up for this long leaves the ISR.
    pub lag_time_max: Duration,
    /// `replica.fetch.max.bytes`: bytes per partition in a follower fetch.
    pub fetch_max_bytes: i32,
    /// `replica.fetch.min.bytes`.
    pub fetch_min_bytes: i32,
    /// `replica.fetch.wait.max.ms`: the follower's long poll.
    pub fetch_wait_max: Duration,
    /// `replica.fetch.response.max.bytes`.
    pub fetch_response_max_bytes: i32,
    /// `replica.fetch.backoff.ms`: pause after a failed fetch.
    pub fetch_backoff: Duration,
    /// `replica.socket.timeout.ms`.
    pub socket_timeout: Duration,
    /// `replica.high.watermark.checkpoint.interval.ms`.
    pub high_watermark_checkpoint_interval: Duration,
    /// `num.replica.fetchers`: fetcher tasks per source broker.
    pub num_fetchers: usize,
    /// `controlled.shutdown.enable`.
    pub controlled_shutdown_enable: bool,
    /// `controlled.shutdown.max.retries`.
    pub controlled_shutdown_max_retries: i32,
    /// `controlled.shutdown.retry.backoff.ms`.
    pub controlled_shutdown_retry_backoff: Duration,
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        ReplicationConfig {
            lag_time_max: Duration::from_millis(30_000),
            fetch_max_bytes: 1_048_576,
            fetch_min_bytes: 1,
            fetch_wait_max: Duration::from_millis(500),
            fetch_response_max_bytes: 10_485_760,
            fetch_backoff: Duration::from_millis(1_000),
            socket_timeout: Duration::from_millis(30_000),
            high_watermark_checkpoint_interval: Duration::from_millis(5_000),
            num_fetchers: 1,
            controlled_shutdown_enable: true,
            controlled_shutdown_max_retries: 3,
            controlled_shutdown_retry_backoff: Duration::from_millis(5_000),
        }
    }
}

/// An INT setting of at least `min`, `default` when absent.
fn int(settings: &Settings<'_>, key: &str, min: i64, default: i32) -> Result<i32, ConfigError> {
    narrow(
        key,
        settings.at_least(key, Int, min)?.unwrap_or(default.into()),
    )
}

pub(super) fn parse(settings: &Settings<'_>) -> Result<ReplicationConfig, ConfigError> {
    let defaults = ReplicationConfig::default();
    let config = ReplicationConfig {
        lag_time_max: settings
            .millis(REPLICA_LAG_TIME_MAX_MS, Long, 0)?
            .unwrap_or(defaults.lag_time_max),
        fetch_max_bytes: int(
            settings,
            REPLICA_FETCH_MAX_BYTES,
            0,
            defaults.fetch_max_bytes,
        )?,
        fetch_min_bytes: int(
            settings,
            REPLICA_FETCH_MIN_BYTES,
            i64::from(i32::MIN),
            defaults.fetch_min_bytes,
        )?,
        fetch_wait_max: settings
            .millis(REPLICA_FETCH_WAIT_MAX_MS, Int, 0)?
            .unwrap_or(defaults.fetch_wait_max),
        fetch_response_max_bytes: int(
            settings,
            REPLICA_FETCH_RESPONSE_MAX_BYTES,
            0,
            defaults.fetch_response_max_bytes,
        )?,
        fetch_backoff: settings
            .millis(REPLICA_FETCH_BACKOFF_MS, Int, 0)?
            .unwrap_or(defaults.fetch_backoff),
        socket_timeout: settings
            .millis(REPLICA_SOCKET_TIMEOUT_MS, Int, 0)?
            .unwrap_or(defaults.socket_timeout),
        high_watermark_checkpoint_interval: settings
            .millis(REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS, Long, 0)?
            .unwrap_or(defaults.high_watermark_checkpoint_interval),
        num_fetchers: narrow(
            NUM_REPLICA_FETCHERS,
            settings
                .at_least(NUM_REPLICA_FETCHERS, Int, 1)?
                .unwrap_or(1),
        )?,
        controlled_shutdown_enable: settings
            .flag(CONTROLLED_SHUTDOWN_ENABLE)?
            .unwrap_or(defaults.controlled_shutdown_enable),
        controlled_shutdown_max_retries: int(
            settings,
            CONTROLLED_SHUTDOWN_MAX_RETRIES,
            i64::from(i32::MIN),
            defaults.controlled_shutdown_max_retries,
        )?,
        controlled_shutdown_retry_backoff: settings
            .millis(CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS, Long, 0)?
            .unwrap_or(defaults.controlled_shutdown_retry_backoff),
    };
    if config.fetch_wait_max >= config.socket_timeout {
        return Err(invalid(
            REPLICA_FETCH_WAIT_MAX_MS,
            &config.fetch_wait_max.as_millis().to_string(),
            format!(
                "{REPLICA_FETCH_WAIT_MAX_MS} should always be less than {REPLICA_SOCKET_TIMEOUT_MS} ({}) to prevent unnecessary socket timeouts",
                config.socket_timeout.as_millis()
            ),
        ));
    }
    if config.fetch_wait_max > config.lag_time_max {
        return Err(invalid(
            REPLICA_FETCH_WAIT_MAX_MS,
            &config.fetch_wait_max.as_millis().to_string(),
            format!(
                "{REPLICA_FETCH_WAIT_MAX_MS} should always be less than or equal to {REPLICA_LAG_TIME_MAX_MS} ({}) to prevent frequent changes in ISR",
                config.lag_time_max.as_millis()
            ),
        ));
    }
    Ok(config)
}
