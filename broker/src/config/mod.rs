//! `server.properties`: the broker configuration.
//!
//! [`BrokerConfig::load`] reads the file given to `bin/kafka-server-start.sh` (parsed by
//! [`common::properties`]), applies `--override key=value` pairs on top, then
//! [`BrokerConfig::from_properties`] applies Apache Kafka 3.x's defaults and checks every
//! value. `main` logs the returned [`ConfigWarning`]s and fails on a [`ConfigError`]. Nothing
//! here does I/O except [`BrokerConfig::load`].
//!
//! Rules, following Kafka's broker (ZooKeeper mode):
//! - Keys are case-sensitive; keys and values are trimmed; the last occurrence wins.
//! - Numbers are checked against their Kafka type (INT, LONG, SHORT) and range; booleans
//!   are `true`/`false` in any case; a bad value is an error naming key and value in
//!   Kafka's words ("Invalid value x for configuration k: …").
//! - Real Kafka broker keys this broker does not act on yet ([`keys::ACCEPTED_UNUSED`]) are
//!   accepted silently; any other key gets a warning naming it.
//! - `listeners` / `advertised.listeners`: see [`Listener`]; every listener name needs a
//!   security protocol in `listener.security.protocol.map`.

mod keys;
mod listener;
pub mod replication;
#[cfg(test)]
mod tests;
pub mod topic;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use common::config::ConfigWarning;
use common::config::{bounded_integer, key_matches};
use common::properties::{Properties, PropertiesError};
pub use listener::Listener;

use crate::log::cleaner::CleanerConfig;
use crate::log::LogConfig;
use crate::record::TimestampType;
use keys::*;

/// Why the configuration cannot be used; the broker does not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error("{source}")]
    Load {
        /// The configuration file.
        path: PathBuf,
        /// What went wrong, naming the path and line.
        source: PropertiesError,
    },
    /// A value is malformed, out of range, or contradicts another setting.
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    Invalid {
        /// The key as written in the file.
        key: String,
        /// The value as written (trimmed).
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
    /// A required key is absent or empty.
    #[error("Missing required configuration `{key}` which has no default value.")]
    Missing {
        /// The key.
        key: String,
    },
}

/// The broker's settings, with Kafka 3.x's names and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerConfig {
    /// `broker.id`: default -1 (Kafka would generate one; this broker refuses to start
    /// with it, later); at least -1.
    pub broker_id: i32,
    /// `listeners`: where to accept connections; default `PLAINTEXT://:9092`.
    pub listeners: Vec<Listener>,
    /// `advertised.listeners`: what clients are told; default `listeners`. Names are a
    /// subset of `listeners`' names; no `0.0.0.0`.
    pub advertised_listeners: Vec<Listener>,
    /// `listener.security.protocol.map`: listener name → PLAINTEXT, SSL, SASL_PLAINTEXT or
    /// SASL_SSL (both upper-cased).
    pub listener_security_protocol_map: BTreeMap<String, String>,
    /// `num.network.threads`: default 3; the async worker threads serving connections (at
    /// most one per core).
    pub num_network_threads: usize,
    /// `num.io.threads`: default 8; the most blocking threads doing log file I/O at once.
    pub num_io_threads: usize,
    /// `socket.send.buffer.bytes` (SO_SNDBUF): default 102400; -1 keeps the OS default.
    pub socket_send_buffer_bytes: i32,
    /// `socket.receive.buffer.bytes` (SO_RCVBUF): default 102400; -1 keeps the OS default.
    pub socket_receive_buffer_bytes: i32,
    /// `socket.request.max.bytes`: the largest request frame; default 104857600.
    pub socket_request_max_bytes: usize,
    /// `log.dirs` (comma list), else `log.dir`; default `/tmp/kafka-logs`. Distinct.
    pub log_dirs: Vec<PathBuf>,
    /// `num.partitions`: partitions of auto-created topics; default 1.
    pub num_partitions: i32,
    /// `default.replication.factor`: of auto-created topics; default 1.
    pub default_replication_factor: i16,
    /// `num.recovery.threads.per.data.dir`: default 1.
    pub num_recovery_threads_per_data_dir: usize,
    /// `offsets.topic.replication.factor`: default 3.
    pub offsets_topic_replication_factor: i16,
    /// `offsets.topic.num.partitions`: default 50.
    pub offsets_topic_num_partitions: i32,
    /// `transaction.state.log.replication.factor`: default 3.
    pub transaction_state_log_replication_factor: i16,
    /// `transaction.state.log.min.isr`: default 2.
    pub transaction_state_log_min_isr: i16,
    /// Topic defaults from the `log.*` keys and `message.max.bytes`.
    pub log: LogConfig,
    /// `log.retention.check.interval.ms`: default 5 minutes.
    pub log_retention_check_interval: Duration,
    /// `zookeeper.connect`: `host:port[,host:port…][/chroot]`; required.
    pub zookeeper_connect: String,
    /// `zookeeper.connection.timeout.ms`: default the session timeout.
    pub zookeeper_connection_timeout: Duration,
    /// `zookeeper.session.timeout.ms`: default 18 s.
    pub zookeeper_session_timeout: Duration,
    /// `auto.create.topics.enable`: default true.
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable`: default true.
    pub delete_topic_enable: bool,
    /// `broker.rack`: default none.
    pub broker_rack: Option<String>,
    /// `min.insync.replicas`: default 1.
    pub min_insync_replicas: i16,
    /// `unclean.leader.election.enable`: default false.
    pub unclean_leader_election_enable: bool,
    /// `group.initial.rebalance.delay.ms`: default 3 s.
    pub group_initial_rebalance_delay: Duration,
    /// `group.min.session.timeout.ms`: default 6 s.
    pub group_min_session_timeout: Duration,
    /// `group.max.session.timeout.ms`: default 30 min; at least the minimum.
    pub group_max_session_timeout: Duration,
    /// `group.max.size`: members per group; default 2147483647, at least 1.
    pub group_max_size: i32,
    /// `offsets.retention.minutes`: how long the offsets of an empty group are kept;
    /// default 7 days, at least 1 minute.
    pub offsets_retention: Duration,
    /// `offsets.retention.check.interval.ms`: default 10 min, at least 1.
    pub offsets_retention_check_interval: Duration,
    /// `offsets.topic.segment.bytes`: `segment.bytes` of `__consumer_offsets`; default
    /// 104857600, at least 1.
    pub offsets_topic_segment_bytes: i32,
    /// `offsets.commit.timeout.ms`: default 5 s, at least 1.
    pub offsets_commit_timeout: Duration,
    /// `offsets.load.buffer.size`: bytes read at a time when loading an offsets partition;
    /// default 5242880, at least 1.
    pub offsets_load_buffer_size: i32,
    /// `offset.metadata.max.bytes`: the longest commit metadata; default 4096.
    pub offset_metadata_max_bytes: i32,
    /// Follower fetching and controlled shutdown (`replica.*`, `controlled.shutdown.*`).
    pub replication: replication::ReplicationConfig,
    /// `log.cleaner.enable`, `.threads`, `.dedupe.buffer.size`, `.io.buffer.size`,
    /// `.backoff.ms` (the topic-level cleaner defaults live in `log`).
    pub cleaner: CleanerConfig,
    /// `auto.leader.rebalance.enable`: the controller's preferred leader rebalance; default
    /// true.
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.per.broker.percentage`: the share of a broker's preferred
    /// partitions led elsewhere that triggers the rebalance; default 10.
    pub leader_imbalance_per_broker_percentage: i32,
    /// `leader.imbalance.check.interval.seconds`: default 300, at least 1.
    pub leader_imbalance_check_interval: Duration,
    /// Every known Kafka key set in the file or by `--override` (trimmed, last occurrence
    /// wins), as written: DescribeConfigs reports these as STATIC_BROKER_CONFIG.
    pub static_settings: BTreeMap<String, String>,
}

/// Kafka's default `listener.security.protocol.map`: each protocol's own name maps to it.
const SECURITY_PROTOCOLS: [&str; 4] = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"];

const MILLIS_PER_MINUTE: i64 = 60_000;
const MILLIS_PER_HOUR: i64 = 3_600_000;

/// Kafka's numeric config types, whose ranges bound what parses at all.
#[derive(Debug, Clone, Copy)]
enum NumberType {
    Short,
    Int,
    Long,
}

impl NumberType {
    fn name(self) -> &'static str {
        match self {
            NumberType::Short => "SHORT",
            NumberType::Int => "INT",
            NumberType::Long => "LONG",
        }
    }

    fn range(self) -> (i64, i64) {
        match self {
            NumberType::Short => (i16::MIN.into(), i16::MAX.into()),
            NumberType::Int => (i32::MIN.into(), i32::MAX.into()),
            NumberType::Long => (i64::MIN, i64::MAX),
        }
    }
}

fn invalid(key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// The settings, key by key (trimmed), with the last occurrence of each key.
struct Settings<'a> {
    values: BTreeMap<&'a str, &'a str>,
}

impl<'a> Settings<'a> {
    /// Keeps the used keys; accepted-but-unused keys pass silently; every other key is
    /// reported once, in file order.
    fn classify(properties: &'a Properties, warnings: &mut Vec<ConfigWarning>) -> Self {
        let mut values = BTreeMap::new();
        let mut reported = BTreeSet::new();
        for (key, value, _line) in properties.iter() {
            let key = key.trim();
            if USED.contains(&key) {
                values.insert(key, value.trim());
            } else if !ACCEPTED_UNUSED
                .iter()
                .any(|pattern| key_matches(key, pattern))
                && reported.insert(key)
            {
                warnings.push(ConfigWarning(format!(
                    "The configuration '{key}' was supplied but isn't a known config; ignored"
                )));
            }
        }
        Settings { values }
    }

    fn raw(&self, key: &str) -> Option<&'a str> {
        self.values.get(key).copied()
    }

    /// A number of Kafka type `kind` in `min..=max`; `None` when the key is absent.
    fn number(
        &self,
        key: &str,
        kind: NumberType,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, ConfigError> {
        let Some(value) = self.raw(key) else {
            return Ok(None);
        };
        let (type_min, type_max) = kind.range();
        let number = bounded_integer(value, type_min, type_max)
            .map_err(|_| invalid(key, value, format!("Not a number of type {}", kind.name())))?;
        if number < min {
            return Err(invalid(key, value, format!("Value must be at least {min}")));
        }
        if number > max {
            return Err(invalid(
                key,
                value,
                format!("Value must be no more than {max}"),
            ));
        }
        Ok(Some(number))
    }

    /// A number of type `kind`, at least `min` and no more than the type allows.
    fn at_least(&self, key: &str, kind: NumberType, min: i64) -> Result<Option<i64>, ConfigError> {
        self.number(key, kind, min, kind.range().1)
    }

    /// A non-negative LONG of milliseconds, at least `min`.
    fn millis(
        &self,
        key: &str,
        kind: NumberType,
        min: i64,
    ) -> Result<Option<Duration>, ConfigError> {
        Ok(self
            .at_least(key, kind, min.max(0))?
            .map(|millis| Duration::from_millis(millis.unsigned_abs())))
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        let Some(value) = self.raw(key) else {
            return Ok(None);
        };
        if value.eq_ignore_ascii_case("true") {
            Ok(Some(true))
        } else if value.eq_ignore_ascii_case("false") {
            Ok(Some(false))
        } else {
            Err(invalid(
                key,
                value,
                "Expected value to be either true or false",
            ))
        }
    }
}

/// Converts a range-checked number to the field's type.
fn narrow<T: TryFrom<i64>>(key: &str, number: i64) -> Result<T, ConfigError> {
    T::try_from(number).map_err(|_| invalid(key, &number.to_string(), "out of range"))
}

impl BrokerConfig {
    /// Reads `path`, applies `overrides` (`--override key=value`, later ones win) and checks
    /// the result, see [`BrokerConfig::from_properties`].
    pub fn load(
        path: &Path,
        overrides: &[(String, String)],
    ) -> Result<(BrokerConfig, Vec<ConfigWarning>), ConfigError> {
        let mut properties = Properties::load(path).map_err(|source| ConfigError::Load {
            path: path.to_path_buf(),
            source,
        })?;
        for (key, value) in overrides {
            properties.set(key.trim(), value.as_str());
        }
        BrokerConfig::from_properties(&properties)
    }

    /// Kafka's defaults, as an empty server.properties with `zookeeper.connect=localhost:2181`
    /// gives them (for in-process brokers built from options rather than a file).
    pub fn defaults() -> BrokerConfig {
        let mut properties = Properties::default();
        properties.set(ZOOKEEPER_CONNECT, "localhost:2181");
        match BrokerConfig::from_properties(&properties) {
            Ok((config, _)) => config,
            // Every default is in range and zookeeper.connect is set: nothing can fail.
            Err(error) => panic!("Kafka's defaults must load: {error}"),
        }
    }

    /// Builds the configuration from parsed properties; the warnings are for the operator.
    pub fn from_properties(
        properties: &Properties,
    ) -> Result<(BrokerConfig, Vec<ConfigWarning>), ConfigError> {
        use NumberType::{Int, Long, Short};
        let mut warnings = Vec::new();
        let settings = Settings::classify(properties, &mut warnings);
        let static_settings = known_settings(properties);

        let zookeeper_connect = match settings.raw(ZOOKEEPER_CONNECT) {
            Some(value) if !value.is_empty() => value.to_owned(),
            _ => {
                return Err(ConfigError::Missing {
                    key: ZOOKEEPER_CONNECT.to_owned(),
                })
            }
        };
        let zookeeper_session_timeout = settings
            .millis(ZOOKEEPER_SESSION_TIMEOUT_MS, Int, 1)?
            .unwrap_or(Duration::from_millis(18_000));
        let zookeeper_connection_timeout = settings
            .millis(ZOOKEEPER_CONNECTION_TIMEOUT_MS, Int, 1)?
            .unwrap_or(zookeeper_session_timeout);

        let broker_id = settings.at_least(BROKER_ID, Int, -1)?.unwrap_or(-1);
        let listener_security_protocol_map = parse_protocol_map(&settings)?;
        let (listeners, advertised_listeners) =
            parse_listeners(&settings, &listener_security_protocol_map)?;

        let socket_buffer = |key: &str| -> Result<i32, ConfigError> {
            match settings.number(key, Int, -1, i32::MAX.into())? {
                None => Ok(102_400),
                // The OS refuses a zero-sized buffer.
                Some(0) => Err(invalid(
                    key,
                    "0",
                    "Value must be -1 (the OS default) or at least 1",
                )),
                Some(bytes) => narrow(key, bytes),
            }
        };
        let socket_send_buffer_bytes = socket_buffer(SOCKET_SEND_BUFFER_BYTES)?;
        let socket_receive_buffer_bytes = socket_buffer(SOCKET_RECEIVE_BUFFER_BYTES)?;
        let socket_request_max_bytes = settings
            .at_least(SOCKET_REQUEST_MAX_BYTES, Int, 1)?
            .unwrap_or(104_857_600);

        let num_network_threads = settings.at_least(NUM_NETWORK_THREADS, Int, 1)?.unwrap_or(3);
        let num_io_threads = settings.at_least(NUM_IO_THREADS, Int, 1)?.unwrap_or(8);
        let num_recovery_threads = settings
            .at_least(NUM_RECOVERY_THREADS_PER_DATA_DIR, Int, 1)?
            .unwrap_or(1);
        let log_dirs = parse_log_dirs(&settings)?;

        let num_partitions = settings.at_least(NUM_PARTITIONS, Int, 1)?.unwrap_or(1);
        // Kafka reads this one as an INT; replication factors travel as INT16 on the wire.
        let default_replication_factor = settings
            .number(DEFAULT_REPLICATION_FACTOR, Int, 1, i16::MAX.into())?
            .unwrap_or(1);
        let offsets_topic_replication_factor = settings
            .at_least(OFFSETS_TOPIC_REPLICATION_FACTOR, Short, 1)?
            .unwrap_or(3);
        let offsets_topic_num_partitions = settings
            .at_least(OFFSETS_TOPIC_NUM_PARTITIONS, Int, 1)?
            .unwrap_or(50);
        let transaction_state_log_replication_factor = settings
            .at_least(TRANSACTION_STATE_LOG_REPLICATION_FACTOR, Short, 1)?
            .unwrap_or(3);
        let transaction_state_log_min_isr = settings
            .number(TRANSACTION_STATE_LOG_MIN_ISR, Int, 1, i16::MAX.into())?
            .unwrap_or(2);
        let min_insync_replicas = settings
            .number(MIN_INSYNC_REPLICAS, Int, 1, i16::MAX.into())?
            .unwrap_or(1);

        let mut log = parse_log_config(&settings)?;
        log.min_insync_replicas = narrow(MIN_INSYNC_REPLICAS, min_insync_replicas)?;
        topic::apply_broker_topic_defaults(&mut log, &static_settings)?;
        let log_retention_check_interval = settings
            .millis(LOG_RETENTION_CHECK_INTERVAL_MS, Long, 1)?
            .unwrap_or(Duration::from_millis(300_000));

        let broker_rack = settings
            .raw(BROKER_RACK)
            .filter(|rack| !rack.is_empty())
            .map(str::to_owned);
        let group_initial_rebalance_delay = settings
            .millis(GROUP_INITIAL_REBALANCE_DELAY_MS, Int, 0)?
            .unwrap_or(Duration::from_millis(3_000));
        let group_min_session_timeout = settings
            .millis(GROUP_MIN_SESSION_TIMEOUT_MS, Int, 0)?
            .unwrap_or(Duration::from_millis(6_000));
        let group_max_session_timeout = settings
            .millis(GROUP_MAX_SESSION_TIMEOUT_MS, Int, 0)?
            .unwrap_or(Duration::from_millis(1_800_000));
        if group_max_session_timeout < group_min_session_timeout {
            return Err(invalid(
                GROUP_MAX_SESSION_TIMEOUT_MS,
                settings
                    .raw(GROUP_MAX_SESSION_TIMEOUT_MS)
                    .unwrap_or("1800000"),
                format!(
                    "Value must be at least {GROUP_MIN_SESSION_TIMEOUT_MS} ({})",
                    group_min_session_timeout.as_millis()
                ),
            ));
        }
        let group_max_size = settings
            .at_least(GROUP_MAX_SIZE, Int, 1)?
            .unwrap_or(i32::MAX.into());
        let offsets_retention = settings
            .at_least(OFFSETS_RETENTION_MINUTES, Int, 1)?
            .map_or(Duration::from_secs(10_080 * 60), |minutes| {
                Duration::from_secs(minutes.unsigned_abs().saturating_mul(60))
            });
        let offsets_retention_check_interval = settings
            .millis(OFFSETS_RETENTION_CHECK_INTERVAL_MS, Long, 1)?
            .unwrap_or(Duration::from_millis(600_000));
        let offsets_topic_segment_bytes = settings
            .at_least(OFFSETS_TOPIC_SEGMENT_BYTES, Int, 1)?
            .unwrap_or(104_857_600);
        let offsets_commit_timeout = settings
            .millis(OFFSETS_COMMIT_TIMEOUT_MS, Int, 1)?
            .unwrap_or(Duration::from_millis(5_000));
        let offsets_load_buffer_size = settings
            .at_least(OFFSETS_LOAD_BUFFER_SIZE, Int, 1)?
            .unwrap_or(5_242_880);
        let offset_metadata_max_bytes = settings
            .at_least(OFFSET_METADATA_MAX_BYTES, Int, i64::from(i32::MIN))?
            .unwrap_or(4096);

        let replication = replication::parse(&settings)?;
        let leader_imbalance_per_broker_percentage = settings
            .at_least(
                LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
                Int,
                i64::from(i32::MIN),
            )?
            .unwrap_or(10);
        let leader_imbalance_check_interval = settings
            .at_least(LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS, Long, 1)?
            .map_or(Duration::from_secs(300), |seconds| {
                Duration::from_secs(seconds.unsigned_abs())
            });

        let config = BrokerConfig {
            broker_id: narrow(BROKER_ID, broker_id)?,
            listeners,
            advertised_listeners,
            listener_security_protocol_map,
            num_network_threads: narrow(NUM_NETWORK_THREADS, num_network_threads)?,
            num_io_threads: narrow(NUM_IO_THREADS, num_io_threads)?,
            socket_send_buffer_bytes,
            socket_receive_buffer_bytes,
            socket_request_max_bytes: narrow(SOCKET_REQUEST_MAX_BYTES, socket_request_max_bytes)?,
            log_dirs,
            num_partitions: narrow(NUM_PARTITIONS, num_partitions)?,
            default_replication_factor: narrow(
                DEFAULT_REPLICATION_FACTOR,
                default_replication_factor,
            )?,
            num_recovery_threads_per_data_dir: narrow(
                NUM_RECOVERY_THREADS_PER_DATA_DIR,
                num_recovery_threads,
            )?,
            offsets_topic_replication_factor: narrow(
                OFFSETS_TOPIC_REPLICATION_FACTOR,
                offsets_topic_replication_factor,
            )?,
            offsets_topic_num_partitions: narrow(
                OFFSETS_TOPIC_NUM_PARTITIONS,
                offsets_topic_num_partitions,
            )?,
            transaction_state_log_replication_factor: narrow(
                TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
                transaction_state_log_replication_factor,
            )?,
            transaction_state_log_min_isr: narrow(
                TRANSACTION_STATE_LOG_MIN_ISR,
                transaction_state_log_min_isr,
            )?,
            log,
            log_retention_check_interval,
            zookeeper_connect,
            zookeeper_connection_timeout,
            zookeeper_session_timeout,
            auto_create_topics_enable: settings.flag(AUTO_CREATE_TOPICS_ENABLE)?.unwrap_or(true),
            delete_topic_enable: settings.flag(DELETE_TOPIC_ENABLE)?.unwrap_or(true),
            broker_rack,
            min_insync_replicas: narrow(MIN_INSYNC_REPLICAS, min_insync_replicas)?,
            unclean_leader_election_enable: settings
                .flag(UNCLEAN_LEADER_ELECTION_ENABLE)?
                .unwrap_or(false),
            group_initial_rebalance_delay,
            group_min_session_timeout,
            group_max_session_timeout,
            group_max_size: narrow(GROUP_MAX_SIZE, group_max_size)?,
            offsets_retention,
            offsets_retention_check_interval,
            offsets_topic_segment_bytes: narrow(
                OFFSETS_TOPIC_SEGMENT_BYTES,
                offsets_topic_segment_bytes,
            )?,
            offsets_commit_timeout,
            offsets_load_buffer_size: narrow(OFFSETS_LOAD_BUFFER_SIZE, offsets_load_buffer_size)?,
            replication,
            offset_metadata_max_bytes: narrow(
                OFFSET_METADATA_MAX_BYTES,
                offset_metadata_max_bytes,
            )?,
            cleaner: parse_cleaner_config(&settings)?,
            auto_leader_rebalance_enable: settings
                .flag(AUTO_LEADER_REBALANCE_ENABLE)?
                .unwrap_or(true),
            leader_imbalance_per_broker_percentage: narrow(
                LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
                leader_imbalance_per_broker_percentage,
            )?,
            leader_imbalance_check_interval,
            static_settings,
        };
        Ok((config, warnings))
    }
}

/// The known Kafka keys of `properties` (used or accepted), trimmed, last occurrence winning.
fn known_settings(properties: &Properties) -> BTreeMap<String, String> {
    let mut known = BTreeMap::new();
    for (key, value, _line) in properties.iter() {
        let key = key.trim();
        let accepted = USED.contains(&key)
            || ACCEPTED_UNUSED
                .iter()
                .any(|pattern| key_matches(key, pattern));
        if accepted {
            known.insert(key.to_owned(), value.trim().to_owned());
        }
    }
    known
}

/// `listener.security.protocol.map`: `NAME:PROTOCOL` pairs, both upper-cased.
fn parse_protocol_map(settings: &Settings<'_>) -> Result<BTreeMap<String, String>, ConfigError> {
    let Some(value) = settings.raw(LISTENER_SECURITY_PROTOCOL_MAP) else {
        return Ok(SECURITY_PROTOCOLS
            .iter()
            .map(|protocol| ((*protocol).to_owned(), (*protocol).to_owned()))
            .collect());
    };
    let bad = |reason: String| invalid(LISTENER_SECURITY_PROTOCOL_MAP, value, reason);
    let mut map = BTreeMap::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((name, protocol)) = entry.split_once(':') else {
            return Err(bad(format!(
                "Map entry '{entry}' should be of form <listener name>:<security protocol>"
            )));
        };
        let name = name.trim().to_ascii_uppercase();
        let protocol = protocol.trim().to_ascii_uppercase();
        if name.is_empty() {
            return Err(bad(format!("Map entry '{entry}' has no listener name")));
        }
        if !SECURITY_PROTOCOLS.contains(&protocol.as_str()) {
            return Err(bad(format!(
                "Unknown security protocol '{protocol}'; expected one of {}",
                SECURITY_PROTOCOLS.join(", ")
            )));
        }
        if map.insert(name.clone(), protocol).is_some() {
            return Err(bad(format!(
                "Listener name {name} is mapped more than once"
            )));
        }
    }
    Ok(map)
}

/// `listeners` and `advertised.listeners`, checked against each other and the protocol map.
fn parse_listeners(
    settings: &Settings<'_>,
    protocols: &BTreeMap<String, String>,
) -> Result<(Vec<Listener>, Vec<Listener>), ConfigError> {
    let value = settings.raw(LISTENERS).unwrap_or("PLAINTEXT://:9092");
    let listeners = parse_listener_list(LISTENERS, value, protocols)?;
    // Two listeners cannot bind one port, except an IPv4 and an IPv6 address (as Kafka
    // allows since 3.1); port 0 picks a distinct free port each time.
    for (position, listener) in listeners.iter().enumerate() {
        let clash = listeners.iter().skip(position + 1).find(|other| {
            other.port == listener.port
                && listener.port != 0
                && !matches!(
                    (listener.ip(), other.ip()),
                    (Some(IpAddr::V4(_)), Some(IpAddr::V6(_)))
                        | (Some(IpAddr::V6(_)), Some(IpAddr::V4(_)))
                )
        });
        if let Some(other) = clash {
            return Err(invalid(
                LISTENERS,
                value,
                format!(
                    "Each listener must have a different port; {} and {} both use {}",
                    listener.name, other.name, listener.port
                ),
            ));
        }
    }

    let Some(advertised_value) = settings.raw(ADVERTISED_LISTENERS) else {
        return Ok((listeners.clone(), listeners));
    };
    let advertised = parse_listener_list(ADVERTISED_LISTENERS, advertised_value, protocols)?;
    for listener in &advertised {
        let bad = |reason: String| invalid(ADVERTISED_LISTENERS, advertised_value, reason);
        if listener.ip().is_some_and(|ip| ip.is_unspecified()) {
            return Err(bad(format!(
                "{} uses the non-routable meta-address {}; advertise an address clients can reach",
                listener.name,
                listener.host.as_deref().unwrap_or_default()
            )));
        }
        if !listeners.iter().any(|own| own.name == listener.name) {
            return Err(bad(format!(
                "Listener {} is not defined in {LISTENERS}; advertised listener names must be \
                 equal to or a subset of the ones defined in {LISTENERS}",
                listener.name
            )));
        }
    }
    Ok((listeners, advertised))
}

/// One listener list: at least one listener, each name with a security protocol.
fn parse_listener_list(
    key: &str,
    value: &str,
    protocols: &BTreeMap<String, String>,
) -> Result<Vec<Listener>, ConfigError> {
    let listeners = Listener::parse_list(value).map_err(|reason| invalid(key, value, reason))?;
    if listeners.is_empty() {
        return Err(invalid(key, value, "At least one listener is required"));
    }
    if let Some(unmapped) = listeners
        .iter()
        .find(|listener| !protocols.contains_key(&listener.name))
    {
        return Err(invalid(
            key,
            value,
            format!(
                "No security protocol defined for listener {} in {LISTENER_SECURITY_PROTOCOL_MAP}",
                unmapped.name
            ),
        ));
    }
    Ok(listeners)
}

/// `log.dirs` (comma list) wins over `log.dir`; default `/tmp/kafka-logs`.
fn parse_log_dirs(settings: &Settings<'_>) -> Result<Vec<PathBuf>, ConfigError> {
    let (key, value) = match (settings.raw(LOG_DIRS), settings.raw(LOG_DIR)) {
        (Some(dirs), _) => (LOG_DIRS, dirs),
        (None, Some(dir)) => (LOG_DIR, dir),
        (None, None) => return Ok(vec![PathBuf::from("/tmp/kafka-logs")]),
    };
    let mut dirs: Vec<PathBuf> = Vec::new();
    for dir in value.split(',').map(str::trim) {
        if dir.is_empty() {
            return Err(invalid(key, value, "Empty log directory"));
        }
        let dir = PathBuf::from(dir);
        if dirs.contains(&dir) {
            return Err(invalid(
                key,
                value,
                format!("Duplicate log directory found: {}", dir.display()),
            ));
        }
        dirs.push(dir);
    }
    Ok(dirs)
}

/// The topic defaults: `log.*` keys and `message.max.bytes`.
fn parse_log_config(settings: &Settings<'_>) -> Result<LogConfig, ConfigError> {
    use NumberType::{Int, Long};
    let defaults = LogConfig::default();

    let segment_bytes = settings
        .at_least(LOG_SEGMENT_BYTES, Int, 14)?
        .unwrap_or(defaults.segment_bytes);
    // log.roll.ms wins over log.roll.hours.
    let segment_ms = match settings.at_least(LOG_ROLL_MS, Long, 1)? {
        Some(millis) => millis,
        None => settings
            .at_least(LOG_ROLL_HOURS, Int, 1)?
            .map_or(defaults.segment_ms, |hours| hours * MILLIS_PER_HOUR),
    };
    let retention_ms = parse_retention_ms(settings)?.unwrap_or(defaults.retention_ms);
    let retention_bytes = settings
        .at_least(LOG_RETENTION_BYTES, Long, i64::MIN)?
        .map_or(defaults.retention_bytes, |bytes| bytes.max(-1));
    let index_interval_bytes = settings
        .at_least(LOG_INDEX_INTERVAL_BYTES, Int, 0)?
        .unwrap_or(defaults.index_interval_bytes);
    // Kafka's floor is one 4-byte entry; this broker's indexes need room for one 12-byte
    // time-index entry, which the log checks too.
    let segment_index_bytes = settings
        .at_least(LOG_INDEX_SIZE_MAX_BYTES, Int, 12)?
        .unwrap_or(defaults.segment_index_bytes);
    let flush_messages = settings
        .at_least(LOG_FLUSH_INTERVAL_MESSAGES, Long, 1)?
        .unwrap_or(defaults.flush_messages);
    let flush_ms = settings
        .at_least(LOG_FLUSH_INTERVAL_MS, Long, 0)?
        .unwrap_or(defaults.flush_ms);
    let message_timestamp_type = match settings.raw(LOG_MESSAGE_TIMESTAMP_TYPE) {
        None => defaults.message_timestamp_type,
        Some("CreateTime") => TimestampType::CreateTime,
        Some("LogAppendTime") => TimestampType::LogAppendTime,
        Some(other) => {
            return Err(invalid(
                LOG_MESSAGE_TIMESTAMP_TYPE,
                other,
                "String must be one of: CreateTime, LogAppendTime",
            ))
        }
    };
    let max_message_bytes = settings
        .at_least(MESSAGE_MAX_BYTES, Int, 0)?
        .map_or(Ok(defaults.max_message_bytes), |bytes| {
            narrow(MESSAGE_MAX_BYTES, bytes)
        })?;
    Ok(LogConfig {
        segment_bytes,
        segment_ms,
        retention_ms,
        retention_bytes,
        index_interval_bytes,
        segment_index_bytes,
        message_timestamp_type,
        flush_messages,
        flush_ms,
        max_message_bytes,
        ..defaults
    })
}

/// The `log.cleaner.*` settings of the cleaner threads, Kafka's defaults and ranges.
fn parse_cleaner_config(settings: &Settings<'_>) -> Result<CleanerConfig, ConfigError> {
    use NumberType::{Int, Long};
    let defaults = CleanerConfig::default();
    let threads = settings
        .at_least(LOG_CLEANER_THREADS, Int, 0)?
        .map_or(Ok(defaults.threads), |threads| {
            narrow(LOG_CLEANER_THREADS, threads)
        })?;
    let dedupe_buffer_size = settings
        .at_least(LOG_CLEANER_DEDUPE_BUFFER_SIZE, Long, 0)?
        .map_or(Ok(defaults.dedupe_buffer_size), |bytes| {
            narrow(LOG_CLEANER_DEDUPE_BUFFER_SIZE, bytes)
        })?;
    let io_buffer_size = settings
        .at_least(LOG_CLEANER_IO_BUFFER_SIZE, Int, 0)?
        .map_or(Ok(defaults.io_buffer_size), |bytes| {
            narrow(LOG_CLEANER_IO_BUFFER_SIZE, bytes)
        })?;
    let backoff = settings
        .millis(LOG_CLEANER_BACKOFF_MS, Long, 0)?
        .unwrap_or(defaults.backoff);
    Ok(CleanerConfig {
        enable: settings
            .flag(LOG_CLEANER_ENABLE)?
            .unwrap_or(defaults.enable),
        threads,
        dedupe_buffer_size,
        io_buffer_size,
        backoff,
    })
}

/// `log.retention.ms` > `.minutes` > `.hours`; any negative value means keep forever (-1),
/// and 0 is refused, as in Kafka. `None` when none is set.
fn parse_retention_ms(settings: &Settings<'_>) -> Result<Option<i64>, ConfigError> {
    use NumberType::{Int, Long};
    let (key, millis) = if let Some(millis) = settings.at_least(LOG_RETENTION_MS, Long, i64::MIN)? {
        (LOG_RETENTION_MS, millis)
    } else if let Some(minutes) = settings.at_least(LOG_RETENTION_MINUTES, Int, i64::MIN)? {
        (LOG_RETENTION_MINUTES, minutes * MILLIS_PER_MINUTE)
    } else if let Some(hours) = settings.at_least(LOG_RETENTION_HOURS, Int, i64::MIN)? {
        (LOG_RETENTION_HOURS, hours * MILLIS_PER_HOUR)
    } else {
        return Ok(None);
    };
    if millis == 0 {
        return Err(invalid(
            key,
            settings.raw(key).unwrap_or("0"),
            "log.retention.ms must be unlimited (-1) or, equal or greater than 1",
        ));
    }
    Ok(Some(millis.max(-1)))
}
