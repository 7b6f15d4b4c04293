//! Topic-level configs: Kafka 3.7's catalog of topic settings, their validation, the
//! topic's effective [`LogConfig`], and the DescribeConfigs view of topics and of this
//! broker.
//!
//! Where it sits: `/config/topics/<topic>` holds a topic's overrides as a
//! `BTreeMap<String, String>` (written by the metadata layer); the CreateTopics,
//! DescribeConfigs, AlterConfigs and IncrementalAlterConfigs handlers call
//! [`validate_topic_overrides`], [`describe_topic`] and [`describe_broker`]; the log takes
//! `broker.log.with_overrides(&overrides)` ([`LogConfig::with_overrides`]). Nothing here does
//! I/O.
//!
//! Rules, following Kafka's broker in ZooKeeper mode:
//! - Every topic config defaults from a broker key, its *synonym* (`retention.ms` ←
//!   `log.retention.ms` ← `log.retention.minutes` ← `log.retention.hours`); the first synonym
//!   set in `server.properties` wins, converted to the topic's unit, else Kafka's default.
//! - Values parse by type as Kafka's config definitions do (trimmed; INT/LONG decimal,
//!   BOOLEAN `true`/`false` in any case, LIST comma separated) and are then range or enum
//!   checked. Errors are worded as Kafka's ("Invalid value x for configuration k: …",
//!   "Unknown topic config name: k").
//! - DescribeConfigs lists every catalog entry; its synonyms are the topic override
//!   (DYNAMIC_TOPIC_CONFIG), then the broker synonyms set in the file (STATIC_BROKER_CONFIG),
//!   then those with a Kafka default (DEFAULT_CONFIG), dropping entries ahead of the primary
//!   broker key as Kafka does (so `retention.ms` has no synonym unless `log.retention.ms`
//!   itself is set). The entry's source is the first synonym's, else DEFAULT_CONFIG.
//! - This broker changes no broker config at run time, so every broker entry is read-only.
//!
//! One deliberate difference: `segment.index.bytes` must be at least 12 (one time-index
//! entry, which this broker's indexes need), where Kafka allows 4.

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;

use super::{BrokerConfig, ConfigError};
use crate::log::config::{CleanupPolicy, DirtyRatio, TopicCompression};
use crate::log::LogConfig;
use crate::record::TimestampType;

/// Kafka's `ConfigType` ids, as DescribeConfigs v3+ reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Unknown = 0,
    Boolean = 1,
    String = 2,
    Int = 3,
    Short = 4,
    Long = 5,
    Double = 6,
    List = 7,
    Class = 8,
    Password = 9,
}

impl ConfigType {
    /// The wire id.
    pub fn id(self) -> i8 {
        self as i8
    }

    /// Kafka's name of the type, as its parse errors print it.
    pub fn name(self) -> &'static str {
        match self {
            ConfigType::Unknown => "UNKNOWN",
            ConfigType::Boolean => "BOOLEAN",
            ConfigType::String => "STRING",
            ConfigType::Int => "INT",
            ConfigType::Short => "SHORT",
            ConfigType::Long => "LONG",
            ConfigType::Double => "DOUBLE",
            ConfigType::List => "LIST",
            ConfigType::Class => "CLASS",
            ConfigType::Password => "PASSWORD",
        }
    }
}

/// Kafka's `ConfigSource` ids in DescribeConfigs responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigSource {
    Unknown = 0,
    /// A topic override (`/config/topics/<topic>`).
    DynamicTopicConfig = 1,
    DynamicBrokerConfig = 2,
    DynamicDefaultBrokerConfig = 3,
    /// Set in `server.properties` (or by `--override`).
    StaticBrokerConfig = 4,
    /// Kafka's built-in default.
    DefaultConfig = 5,
    DynamicBrokerLoggerConfig = 6,
}

impl ConfigSource {
    /// The wire id.
    pub fn id(self) -> i8 {
        self as i8
    }
}

/// Why a set of topic overrides is refused; `Display` is Kafka's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicConfigError {
    /// The key is no topic config.
    #[error("Unknown topic config name: {name}")]
    UnknownName {
        /// The key as given.
        name: String,
    },
    /// The value does not parse as the config's type or breaks its range or enum.
    #[error("Invalid value {value} for configuration {name}: {reason}")]
    InvalidValue {
        /// The config name.
        name: String,
        /// The offending value (for lists: the offending item).
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
    /// `min.compaction.lag.ms` exceeds `max.compaction.lag.ms`.
    #[error("conflict topic config setting min.compaction.lag.ms ({min}) > max.compaction.lag.ms ({max})")]
    CompactionLagConflict {
        /// The effective `min.compaction.lag.ms`.
        min: i64,
        /// The effective `max.compaction.lag.ms`.
        max: i64,
    },
    /// `remote.storage.enable=true`: this broker has no tiered storage.
    #[error("Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.")]
    RemoteStorageDisabled,
}

impl TopicConfigError {
    /// The code CreateTopics answers with: INVALID_CONFIG, as Kafka does for every config
    /// problem of a new topic.
    pub fn error_code(&self) -> ResponseError {
        ResponseError::InvalidConfig
    }

    /// Whether Kafka raises this as a value error (its `ConfigException`), which
    /// AlterConfigs and IncrementalAlterConfigs answer with INVALID_REQUEST and a message
    /// naming the resource; the others are INVALID_CONFIG with the bare message.
    pub fn is_value_error(&self) -> bool {
        matches!(
            self,
            TopicConfigError::InvalidValue { .. } | TopicConfigError::RemoteStorageDisabled
        )
    }
}

/// What a topic config accepts beyond its type.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Any value of the type.
    Any,
    /// A number at least this.
    AtLeast(i64),
    /// A DOUBLE in `0..=1`.
    Ratio,
    /// A STRING out of these (Kafka's order, which its message prints).
    OneOf(&'static [&'static str]),
    /// A LIST whose every item is one of these.
    ListOf(&'static [&'static str]),
    /// `*` or `partition:broker` pairs.
    ThrottledReplicas,
    /// A Kafka release (`2.8`, `0.10.2`, optionally `-IVn`).
    MessageFormatVersion,
}

/// A broker key a topic config defaults from, and the factor turning its unit into the
/// topic config's (hours → milliseconds, …).
#[derive(Debug, Clone, Copy)]
pub struct Synonym {
    pub name: &'static str,
    pub factor: i64,
}

const fn same(name: &'static str) -> Synonym {
    Synonym { name, factor: 1 }
}

const MINUTES: i64 = 60_000;
const HOURS: i64 = 3_600_000;
const LONG_MAX: &str = "9223372036854775807";

/// One topic config of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct TopicConfigDef {
    /// Kafka's name.
    pub name: &'static str,
    /// Its type, as DescribeConfigs reports it.
    pub config_type: ConfigType,
    /// Kafka's default when no broker synonym is set.
    pub default: &'static str,
    /// The broker keys it defaults from, highest priority first.
    pub synonyms: &'static [Synonym],
    /// A sentence on what it does.
    pub documentation: &'static str,
    check: Check,
}

const fn def(
    name: &'static str,
    config_type: ConfigType,
    default: &'static str,
    synonyms: &'static [Synonym],
    check: Check,
    documentation: &'static str,
) -> TopicConfigDef {
    TopicConfigDef {
        name,
        config_type,
        default,
        synonyms,
        documentation,
        check,
    }
}

/// Kafka 3.7's topic configs, by name.
pub const TOPIC_CONFIGS: [TopicConfigDef; 31] = {
    use ConfigType::{Boolean, Double, Int, List, Long, String};
    [
        def("cleanup.policy", List, "delete", &[same("log.cleanup.policy")],
            Check::ListOf(&["compact", "delete"]),
            "What happens to old segments: delete them past retention, compact them to the latest record per key, or both."),
        def("compression.type", String, "producer", &[same("compression.type")],
            Check::OneOf(&["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
            "The codec batches are stored with; producer keeps whatever the producer used."),
        def("delete.retention.ms", Long, "86400000", &[same("log.cleaner.delete.retention.ms")],
            Check::AtLeast(0),
            "How long a compacted topic keeps delete tombstones readable."),
        def("file.delete.delay.ms", Long, "60000", &[same("log.segment.delete.delay.ms")],
            Check::AtLeast(0),
            "Delay between retiring a segment and removing its files."),
        def("flush.messages", Long, LONG_MAX, &[same("log.flush.interval.messages")],
            Check::AtLeast(1),
            "Force an fsync after this many appended records."),
        def("flush.ms", Long, LONG_MAX,
            &[same("log.flush.interval.ms"), same("log.flush.scheduler.interval.ms")],
            Check::AtLeast(0),
            "Force an fsync when the last one is this many milliseconds old."),
        def("follower.replication.throttled.replicas", List, "", &[],
            Check::ThrottledReplicas,
            "Replicas whose follower-side replication is throttled: partition:broker pairs or *."),
        def("index.interval.bytes", Int, "4096", &[same("log.index.interval.bytes")],
            Check::AtLeast(0),
            "Bytes of log between two offset-index entries."),
        def("leader.replication.throttled.replicas", List, "", &[],
            Check::ThrottledReplicas,
            "Replicas whose leader-side replication is throttled: partition:broker pairs or *."),
        def("local.retention.bytes", Long, "-2", &[same("log.local.retention.bytes")],
            Check::AtLeast(-2),
            "Local size bound when tiered storage is on; -2 follows retention.bytes."),
        def("local.retention.ms", Long, "-2", &[same("log.local.retention.ms")],
            Check::AtLeast(-2),
            "Local age bound when tiered storage is on; -2 follows retention.ms."),
        def("max.compaction.lag.ms", Long, LONG_MAX, &[same("log.cleaner.max.compaction.lag.ms")],
            Check::AtLeast(1),
            "Longest time a record may stay uncompacted."),
        def("max.message.bytes", Int, "1048588", &[same("message.max.bytes")],
            Check::AtLeast(0),
            "Largest record batch accepted, after compression."),
        def("message.downconversion.enable", Boolean, "true",
            &[same("log.message.downconversion.enable")], Check::Any,
            "Whether fetches from old clients may be down-converted to older formats."),
        def("message.format.version", String, "3.0-IV1", &[same("log.message.format.version")],
            Check::MessageFormatVersion,
            "Legacy record format version; ignored from inter-broker protocol 3.0 on."),
        def("message.timestamp.after.max.ms", Long, LONG_MAX,
            &[same("log.message.timestamp.after.max.ms")], Check::AtLeast(0),
            "How far in the future a CreateTime timestamp may lie."),
        def("message.timestamp.before.max.ms", Long, LONG_MAX,
            &[same("log.message.timestamp.before.max.ms")], Check::AtLeast(0),
            "How far in the past a CreateTime timestamp may lie."),
        def("message.timestamp.difference.max.ms", Long, LONG_MAX,
            &[same("log.message.timestamp.difference.max.ms")], Check::AtLeast(0),
            "Largest gap allowed between a CreateTime timestamp and the broker's clock (deprecated)."),
        def("message.timestamp.type", String, "CreateTime", &[same("log.message.timestamp.type")],
            Check::OneOf(&["CreateTime", "LogAppendTime"]),
            "Whether record timestamps are the producer's or the broker's append time."),
        def("min.cleanable.dirty.ratio", Double, "0.5", &[same("log.cleaner.min.cleanable.ratio")],
            Check::Ratio,
            "Share of uncompacted log that makes a partition eligible for compaction."),
        def("min.compaction.lag.ms", Long, "0", &[same("log.cleaner.min.compaction.lag.ms")],
            Check::AtLeast(0),
            "Shortest time a record stays uncompacted."),
        def("min.insync.replicas", Int, "1", &[same("min.insync.replicas")],
            Check::AtLeast(1),
            "In-sync replicas needed before an acks=all produce succeeds."),
        def("preallocate", Boolean, "false", &[same("log.preallocate")], Check::Any,
            "Whether new segment files are preallocated on disk."),
        def("remote.storage.enable", Boolean, "false", &[], Check::Any,
            "Whether the topic uses tiered storage (not available on this broker)."),
        def("retention.bytes", Long, "-1", &[same("log.retention.bytes")], Check::Any,
            "Size a partition may reach before old segments are deleted; -1 means no limit."),
        def("retention.ms", Long, "604800000",
            &[
                same("log.retention.ms"),
                Synonym { name: "log.retention.minutes", factor: MINUTES },
                Synonym { name: "log.retention.hours", factor: HOURS },
            ],
            Check::AtLeast(-1),
            "Age after which old segments are deleted; -1 keeps them forever."),
        def("segment.bytes", Int, "1073741824", &[same("log.segment.bytes")],
            Check::AtLeast(14),
            "Size at which the active segment is rolled."),
        def("segment.index.bytes", Int, "10485760", &[same("log.index.size.max.bytes")],
            Check::AtLeast(12),
            "Preallocated size of each segment's index files."),
        def("segment.jitter.ms", Long, "0",
            &[same("log.roll.jitter.ms"), Synonym { name: "log.roll.jitter.hours", factor: HOURS }],
            Check::AtLeast(0),
            "Random reduction of segment.ms, so segments of many partitions do not roll at once."),
        def("segment.ms", Long, "604800000",
            &[same("log.roll.ms"), Synonym { name: "log.roll.hours", factor: HOURS }],
            Check::AtLeast(1),
            "Age at which the active segment is rolled even if not full."),
        def("unclean.leader.election.enable", Boolean, "false",
            &[same("unclean.leader.election.enable")], Check::Any,
            "Whether an out-of-sync replica may become leader, at the cost of losing records."),
    ]
};

/// The catalog entry named `name`.
pub fn topic_config(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|entry| entry.name == name)
}

/// One broker key as DescribeConfigs shows it.
#[derive(Debug, Clone, Copy)]
pub struct BrokerConfigDef {
    /// Kafka's name.
    pub name: &'static str,
    /// Its type.
    pub config_type: ConfigType,
    /// Kafka's default; `None` where Kafka has none (the value shows as null).
    pub default: Option<&'static str>,
    /// A sentence on what it does.
    pub documentation: &'static str,
}

const fn broker(
    name: &'static str,
    config_type: ConfigType,
    default: Option<&'static str>,
    documentation: &'static str,
) -> BrokerConfigDef {
    BrokerConfigDef {
        name,
        config_type,
        default,
        documentation,
    }
}

/// The broker keys DescribeConfigs lists: every key [`BrokerConfig`] reads, every broker
/// synonym of a topic config, and the TLS passwords (sensitive), by name.
pub const BROKER_CONFIGS: [BrokerConfigDef; 91] = {
    use ConfigType::{Boolean, Double, Int, List, Long, Password, Short, String};
    [
        broker(
            "advertised.listeners",
            String,
            None,
            "Listeners published to clients, when they differ from listeners.",
        ),
        broker(
            "auto.create.topics.enable",
            Boolean,
            Some("true"),
            "Create a topic when a client first asks for it.",
        ),
        broker(
            "auto.leader.rebalance.enable",
            Boolean,
            Some("true"),
            "Let the controller move leadership back to preferred replicas when a broker leads too few of its partitions.",
        ),
        broker(
            "broker.id",
            Int,
            Some("-1"),
            "This broker's id in the cluster.",
        ),
        broker("broker.rack", String, None, "The rack this broker runs in."),
        broker(
            "compression.type",
            String,
            Some("producer"),
            "Default codec topics store batches with.",
        ),
        broker(
            "controlled.shutdown.enable",
            Boolean,
            Some("true"),
            "Whether a stopping broker first moves its leaderships away.",
        ),
        broker(
            "controlled.shutdown.max.retries",
            Int,
            Some("3"),
            "Attempts of a controlled shutdown before stopping anyway.",
        ),
        broker(
            "controlled.shutdown.retry.backoff.ms",
            Long,
            Some("5000"),
            "Pause between controlled shutdown attempts.",
        ),
        broker(
            "default.replication.factor",
            Int,
            Some("1"),
            "Replication factor of auto-created topics.",
        ),
        broker(
            "delete.topic.enable",
            Boolean,
            Some("true"),
            "Whether topics may be deleted.",
        ),
        broker(
            "group.initial.rebalance.delay.ms",
            Int,
            Some("3000"),
            "Wait before the first rebalance of a new group.",
        ),
        broker(
            "group.max.session.timeout.ms",
            Int,
            Some("1800000"),
            "Longest session timeout a group member may ask for.",
        ),
        broker(
            "group.max.size",
            Int,
            Some("2147483647"),
            "Most members a group may have.",
        ),
        broker(
            "group.min.session.timeout.ms",
            Int,
            Some("6000"),
            "Shortest session timeout a group member may ask for.",
        ),
        broker(
            "leader.imbalance.check.interval.seconds",
            Long,
            Some("300"),
            "How often the controller checks the leader balance.",
        ),
        broker(
            "leader.imbalance.per.broker.percentage",
            Int,
            Some("10"),
            "The share of a broker's preferred partitions led elsewhere, in percent, above which the controller rebalances.",
        ),
        broker(
            "listener.security.protocol.map",
            String,
            Some("PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"),
            "Security protocol of each listener name.",
        ),
        broker(
            "listeners",
            String,
            Some("PLAINTEXT://:9092"),
            "Addresses this broker accepts connections on.",
        ),
        broker(
            "log.cleaner.backoff.ms",
            Long,
            Some("15000"),
            "Pause of a cleaner thread when no log needs cleaning.",
        ),
        broker(
            "log.cleaner.dedupe.buffer.size",
            Long,
            Some("134217728"),
            "Memory of the cleaners' key-to-offset maps, all threads together.",
        ),
        broker(
            "log.cleaner.delete.retention.ms",
            Long,
            Some("86400000"),
            "Default delete.retention.ms of topics.",
        ),
        broker(
            "log.cleaner.enable",
            Boolean,
            Some("true"),
            "Whether the log cleaner compacts topics with cleanup.policy=compact.",
        ),
        broker(
            "log.cleaner.io.buffer.size",
            Int,
            Some("524288"),
            "Read and write buffer of each cleaner thread.",
        ),
        broker(
            "log.cleaner.max.compaction.lag.ms",
            Long,
            Some(LONG_MAX),
            "Default max.compaction.lag.ms of topics.",
        ),
        broker(
            "log.cleaner.min.cleanable.ratio",
            Double,
            Some("0.5"),
            "Default min.cleanable.dirty.ratio of topics.",
        ),
        broker(
            "log.cleaner.min.compaction.lag.ms",
            Long,
            Some("0"),
            "Default min.compaction.lag.ms of topics.",
        ),
        broker(
            "log.cleaner.threads",
            Int,
            Some("1"),
            "Background threads compacting logs.",
        ),
        broker(
            "log.cleanup.policy",
            List,
            Some("delete"),
            "Default cleanup.policy of topics.",
        ),
        broker(
            "log.dir",
            String,
            Some("/tmp/kafka-logs"),
            "The log directory, when log.dirs is not set.",
        ),
        broker("log.dirs", String, None, "Comma-separated log directories."),
        broker(
            "log.flush.interval.messages",
            Long,
            Some(LONG_MAX),
            "Default flush.messages of topics.",
        ),
        broker(
            "log.flush.interval.ms",
            Long,
            None,
            "Default flush.ms of topics.",
        ),
        broker(
            "log.flush.scheduler.interval.ms",
            Long,
            Some(LONG_MAX),
            "How often logs are checked for a due flush; flush.ms fallback.",
        ),
        broker(
            "log.index.interval.bytes",
            Int,
            Some("4096"),
            "Default index.interval.bytes of topics.",
        ),
        broker(
            "log.index.size.max.bytes",
            Int,
            Some("10485760"),
            "Default segment.index.bytes of topics.",
        ),
        broker(
            "log.local.retention.bytes",
            Long,
            Some("-2"),
            "Default local.retention.bytes of topics.",
        ),
        broker(
            "log.local.retention.ms",
            Long,
            Some("-2"),
            "Default local.retention.ms of topics.",
        ),
        broker(
            "log.message.downconversion.enable",
            Boolean,
            Some("true"),
            "Default message.downconversion.enable of topics.",
        ),
        broker(
            "log.message.format.version",
            String,
            Some("3.0-IV1"),
            "Default message.format.version of topics.",
        ),
        broker(
            "log.message.timestamp.after.max.ms",
            Long,
            Some(LONG_MAX),
            "Default message.timestamp.after.max.ms of topics.",
        ),
        broker(
            "log.message.timestamp.before.max.ms",
            Long,
            Some(LONG_MAX),
            "Default message.timestamp.before.max.ms of topics.",
        ),
        broker(
            "log.message.timestamp.difference.max.ms",
            Long,
            Some(LONG_MAX),
            "Default message.timestamp.difference.max.ms of topics.",
        ),
        broker(
            "log.message.timestamp.type",
            String,
            Some("CreateTime"),
            "Default message.timestamp.type of topics.",
        ),
        broker(
            "log.preallocate",
            Boolean,
            Some("false"),
            "Default preallocate of topics.",
        ),
        broker(
            "log.retention.bytes",
            Long,
            Some("-1"),
            "Default retention.bytes of topics.",
        ),
        broker(
            "log.retention.check.interval.ms",
            Long,
            Some("300000"),
            "How often retention runs.",
        ),
        broker(
            "log.retention.hours",
            Int,
            Some("168"),
            "Default retention of topics, in hours.",
        ),
        broker(
            "log.retention.minutes",
            Int,
            None,
            "Default retention of topics, in minutes; wins over hours.",
        ),
        broker(
            "log.retention.ms",
            Long,
            None,
            "Default retention.ms of topics; wins over minutes and hours.",
        ),
        broker(
            "log.roll.hours",
            Int,
            Some("168"),
            "Default segment roll age of topics, in hours.",
        ),
        broker(
            "log.roll.jitter.hours",
            Int,
            Some("0"),
            "Default segment roll jitter of topics, in hours.",
        ),
        broker(
            "log.roll.jitter.ms",
            Long,
            None,
            "Default segment.jitter.ms of topics; wins over hours.",
        ),
        broker(
            "log.roll.ms",
            Long,
            None,
            "Default segment.ms of topics; wins over log.roll.hours.",
        ),
        broker(
            "log.segment.bytes",
            Int,
            Some("1073741824"),
            "Default segment.bytes of topics.",
        ),
        broker(
            "log.segment.delete.delay.ms",
            Long,
            Some("60000"),
            "Default file.delete.delay.ms of topics.",
        ),
        broker(
            "message.max.bytes",
            Int,
            Some("1048588"),
            "Default max.message.bytes of topics.",
        ),
        broker(
            "min.insync.replicas",
            Int,
            Some("1"),
            "Default min.insync.replicas of topics.",
        ),
        broker(
            "num.io.threads",
            Int,
            Some("8"),
            "Threads serving requests.",
        ),
        broker(
            "num.network.threads",
            Int,
            Some("3"),
            "Threads reading and writing sockets.",
        ),
        broker(
            "num.partitions",
            Int,
            Some("1"),
            "Partitions of auto-created topics.",
        ),
        broker(
            "num.recovery.threads.per.data.dir",
            Int,
            Some("1"),
            "Threads per log directory for recovery at start-up.",
        ),
        broker(
            "num.replica.fetchers",
            Int,
            Some("1"),
            "Fetcher tasks per source broker.",
        ),
        broker(
            "offset.metadata.max.bytes",
            Int,
            Some("4096"),
            "Longest metadata an offset commit may carry.",
        ),
        broker(
            "offsets.commit.timeout.ms",
            Int,
            Some("5000"),
            "How long an offset commit may wait for its write.",
        ),
        broker(
            "offsets.load.buffer.size",
            Int,
            Some("5242880"),
            "Bytes read at a time when loading an offsets partition.",
        ),
        broker(
            "offsets.retention.check.interval.ms",
            Long,
            Some("600000"),
            "How often expired offsets are looked for.",
        ),
        broker(
            "offsets.retention.minutes",
            Int,
            Some("10080"),
            "How long the offsets of an empty group are kept.",
        ),
        broker(
            "offsets.topic.num.partitions",
            Int,
            Some("50"),
            "Partitions of the consumer offsets topic.",
        ),
        broker(
            "offsets.topic.replication.factor",
            Short,
            Some("3"),
            "Replication factor of the consumer offsets topic.",
        ),
        broker(
            "offsets.topic.segment.bytes",
            Int,
            Some("104857600"),
            "Segment size of the consumer offsets topic.",
        ),
        broker(
            "replica.fetch.backoff.ms",
            Int,
            Some("1000"),
            "Pause of a follower after a failed fetch.",
        ),
        broker(
            "replica.fetch.max.bytes",
            Int,
            Some("1048576"),
            "Bytes per partition a follower fetches at once.",
        ),
        broker(
            "replica.fetch.min.bytes",
            Int,
            Some("1"),
            "Bytes a follower fetch waits for.",
        ),
        broker(
            "replica.fetch.response.max.bytes",
            Int,
            Some("10485760"),
            "Bytes a whole follower fetch answer holds.",
        ),
        broker(
            "replica.fetch.wait.max.ms",
            Int,
            Some("500"),
            "How long a follower fetch waits for data.",
        ),
        broker(
            "replica.high.watermark.checkpoint.interval.ms",
            Long,
            Some("5000"),
            "How often high watermarks are written to disk.",
        ),
        broker(
            "replica.lag.time.max.ms",
            Long,
            Some("30000"),
            "How long a follower may lag before it leaves the ISR.",
        ),
        broker(
            "replica.socket.timeout.ms",
            Int,
            Some("30000"),
            "Socket timeout of follower fetches.",
        ),
        broker(
            "socket.receive.buffer.bytes",
            Int,
            Some("102400"),
            "SO_RCVBUF of client sockets; -1 keeps the OS default.",
        ),
        broker(
            "socket.request.max.bytes",
            Int,
            Some("104857600"),
            "Largest request accepted.",
        ),
        broker(
            "socket.send.buffer.bytes",
            Int,
            Some("102400"),
            "SO_SNDBUF of client sockets; -1 keeps the OS default.",
        ),
        broker(
            "ssl.key.password",
            Password,
            None,
            "Password of the TLS private key.",
        ),
        broker(
            "ssl.keystore.password",
            Password,
            None,
            "Password of the TLS key store.",
        ),
        broker(
            "ssl.truststore.password",
            Password,
            None,
            "Password of the TLS trust store.",
        ),
        broker(
            "transaction.state.log.min.isr",
            Int,
            Some("2"),
            "min.insync.replicas of the transaction state topic.",
        ),
        broker(
            "transaction.state.log.replication.factor",
            Short,
            Some("3"),
            "Replication factor of the transaction state topic.",
        ),
        broker(
            "unclean.leader.election.enable",
            Boolean,
            Some("false"),
            "Default unclean.leader.election.enable of topics.",
        ),
        broker(
            "zookeeper.connect",
            String,
            None,
            "The coordinator ensemble: host:port list with an optional chroot.",
        ),
        broker(
            "zookeeper.connection.timeout.ms",
            Int,
            None,
            "How long to wait for the coordinator connection; defaults to the session timeout.",
        ),
        broker(
            "zookeeper.session.timeout.ms",
            Int,
            Some("18000"),
            "Coordinator session timeout.",
        ),
    ]
};

/// The broker catalog entry named `name`.
pub fn broker_config(name: &str) -> Option<&'static BrokerConfigDef> {
    BROKER_CONFIGS.iter().find(|entry| entry.name == name)
}

/// The broker keys that are one setting under several names (Kafka's synonym groups):
/// describing one of them reports the others that are set, highest priority first.
fn broker_synonym_group(name: &'static str) -> Vec<&'static str> {
    for entry in &TOPIC_CONFIGS {
        if entry.synonyms.len() > 1 && entry.synonyms.iter().any(|s| s.name == name) {
            return entry.synonyms.iter().map(|s| s.name).collect();
        }
    }
    vec![name]
}

/// A synonym line of a DescribeConfigs entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSynonym {
    pub name: String,
    /// `None` for sensitive configs.
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// One config as DescribeConfigs reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigEntry {
    pub name: String,
    /// The effective value; `None` when sensitive or when there is none.
    pub value: Option<String>,
    pub source: ConfigSource,
    pub read_only: bool,
    pub is_sensitive: bool,
    pub config_type: ConfigType,
    /// Only when asked for.
    pub documentation: Option<&'static str>,
    /// Only when asked for.
    pub synonyms: Vec<ConfigSynonym>,
}

/// What a describe call asks for besides the resource.
#[derive(Debug, Clone, Copy, Default)]
pub struct DescribeOptions<'a> {
    /// Only these config names; `None` lists all.
    pub keys: Option<&'a [String]>,
    pub include_synonyms: bool,
    pub include_documentation: bool,
}

impl DescribeOptions<'_> {
    fn wants(&self, name: &str) -> bool {
        self.keys
            .is_none_or(|keys| keys.iter().any(|key| key == name))
    }
}

/// Where a topic stands, as the metadata layer reports it to the config handlers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicLookup {
    /// No such topic.
    Unknown,
    /// The topic exists with these overrides (`/config/topics/<topic>`; empty when none).
    Exists(BTreeMap<String, String>),
}

/// A value parsed by its config's type.
#[derive(Debug, Clone, PartialEq)]
enum Parsed {
    Number(i64),
    Double(f64),
    Flag(bool),
    Text(String),
    Items(Vec<String>),
}

fn invalid(name: &str, value: &str, reason: impl Into<String>) -> TopicConfigError {
    TopicConfigError::InvalidValue {
        name: name.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Parses `raw` as `config_type` the way Kafka's config definitions do (trimmed first).
fn parse_typed(name: &str, config_type: ConfigType, raw: &str) -> Result<Parsed, TopicConfigError> {
    let value = raw.trim();
    let not_a_number = || {
        invalid(
            name,
            value,
            format!("Not a number of type {}", config_type.name()),
        )
    };
    match config_type {
        ConfigType::Int => value
            .parse::<i32>()
            .map(|number| Parsed::Number(number.into()))
            .map_err(|_| not_a_number()),
        ConfigType::Short => value
            .parse::<i16>()
            .map(|number| Parsed::Number(number.into()))
            .map_err(|_| not_a_number()),
        ConfigType::Long => value
            .parse::<i64>()
            .map(Parsed::Number)
            .map_err(|_| not_a_number()),
        ConfigType::Double => match value.parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(Parsed::Double(number)),
            _ => Err(not_a_number()),
        },
        ConfigType::Boolean => {
            if value.eq_ignore_ascii_case("true") {
                Ok(Parsed::Flag(true))
            } else if value.eq_ignore_ascii_case("false") {
                Ok(Parsed::Flag(false))
            } else {
                Err(invalid(
                    name,
                    value,
                    "Expected value to be either true or false",
                ))
            }
        }
        ConfigType::List => Ok(Parsed::Items(split_list(value))),
        ConfigType::String | ConfigType::Class | ConfigType::Password | ConfigType::Unknown => {
            Ok(Parsed::Text(value.to_owned()))
        }
    }
}

/// A LIST value's items: comma separated, each trimmed; an empty value is an empty list.
fn split_list(value: &str) -> Vec<String> {
    let value = value.trim();
    if value.is_empty() {
        return Vec::new();
    }
    value
        .split(',')
        .map(|item| item.trim().to_owned())
        .collect()
}

/// Java's `Double.toString` for the plain range Kafka's ratios live in.
fn double_to_string(number: f64) -> String {
    let text = format!("{number}");
    if text.contains('.') || text.contains('e') || text.contains("inf") || text.contains("NaN") {
        text
    } else {
        format!("{text}.0")
    }
}

impl Parsed {
    /// The value as Kafka prints it back (lists joined by `,`, doubles Java style).
    fn render(&self) -> String {
        match self {
            Parsed::Number(number) => number.to_string(),
            Parsed::Double(number) => double_to_string(*number),
            Parsed::Flag(flag) => flag.to_string(),
            Parsed::Text(text) => text.clone(),
            Parsed::Items(items) => items.join(","),
        }
    }
}

/// Kafka's releases a `message.format.version` may name.
const RELEASES: [&str; 33] = [
    "0.8.0", "0.8.1", "0.8.2", "0.9.0", "0.10.0", "0.10.1", "0.10.2", "0.11.0", "1.0", "1.1",
    "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "3.0", "3.1", "3.2", "3.3",
    "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "0.8", "0.9", "0.10", "0.11",
];

fn valid_format_version(value: &str) -> bool {
    let (release, feature) = match value.split_once("-IV") {
        Some((release, level)) => (release, Some(level)),
        None => (value, None),
    };
    let level_ok =
        feature.is_none_or(|level| !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()));
    // A patch release names its minor release (`2.8.1` is `2.8`), as Kafka reads it.
    let known = RELEASES.iter().any(|known| {
        release == *known
            || release.strip_prefix(known).is_some_and(|rest| {
                rest.starts_with('.')
                    && rest.len() > 1
                    && rest[1..].bytes().all(|b| b.is_ascii_digit())
            })
    });
    level_ok && known
}

/// Parses and checks one value of a catalog config.
fn check_value(entry: &TopicConfigDef, raw: &str) -> Result<Parsed, TopicConfigError> {
    let parsed = parse_typed(entry.name, entry.config_type, raw)?;
    let shown = raw.trim();
    match (entry.check, &parsed) {
        (Check::AtLeast(min), Parsed::Number(number)) if *number < min => Err(invalid(
            entry.name,
            shown,
            format!("Value must be at least {min}"),
        )),
        (Check::Ratio, Parsed::Double(ratio)) if *ratio < 0.0 => {
            Err(invalid(entry.name, shown, "Value must be at least 0"))
        }
        (Check::Ratio, Parsed::Double(ratio)) if *ratio > 1.0 => {
            Err(invalid(entry.name, shown, "Value must be no more than 1"))
        }
        (Check::OneOf(allowed), Parsed::Text(text)) if !allowed.contains(&text.as_str()) => {
            Err(invalid(
                entry.name,
                shown,
                format!("String must be one of: {}", allowed.join(", ")),
            ))
        }
        (Check::ListOf(allowed), Parsed::Items(items)) => {
            match items.iter().find(|item| !allowed.contains(&item.as_str())) {
                Some(item) => Err(invalid(
                    entry.name,
                    item,
                    format!("String must be one of: {}", allowed.join(", ")),
                )),
                None => Ok(parsed),
            }
        }
        (Check::ThrottledReplicas, Parsed::Items(items)) => {
            let pair = |item: &String| {
                item.split_once(':').is_some_and(|(partition, broker)| {
                    !partition.is_empty()
                        && !broker.is_empty()
                        && partition.bytes().all(|b| b.is_ascii_digit())
                        && broker.bytes().all(|b| b.is_ascii_digit())
                })
            };
            let wildcard = items.len() == 1 && items.iter().all(|item| item == "*");
            if wildcard || items.iter().all(pair) {
                Ok(parsed)
            } else {
                Err(invalid(
                    entry.name,
                    &format!("[{}]", items.join(", ")),
                    format!(
                        "{} must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...",
                        entry.name
                    ),
                ))
            }
        }
        (Check::MessageFormatVersion, Parsed::Text(text)) if !valid_format_version(text) => {
            Err(invalid(
                entry.name,
                shown,
                format!("Version {text} is not a valid version"),
            ))
        }
        _ => Ok(parsed),
    }
}

/// Checks a topic's override set: every key a topic config, every value valid, the
/// compaction lags in order, no tiered storage. Keys are checked before values, in key
/// order, and the first problem is reported, as Kafka does.
pub fn validate_topic_overrides(
    overrides: &BTreeMap<String, String>,
) -> Result<(), TopicConfigError> {
    parse_overrides(overrides).map(|_| ())
}

/// The overrides parsed and checked, by catalog entry.
fn parse_overrides(
    overrides: &BTreeMap<String, String>,
) -> Result<Vec<(&'static TopicConfigDef, Parsed)>, TopicConfigError> {
    let mut entries = Vec::with_capacity(overrides.len());
    for name in overrides.keys() {
        let entry = topic_config(name)
            .ok_or_else(|| TopicConfigError::UnknownName { name: name.clone() })?;
        entries.push(entry);
    }
    let mut parsed = Vec::with_capacity(entries.len());
    for (entry, raw) in entries.into_iter().zip(overrides.values()) {
        parsed.push((entry, check_value(entry, raw)?));
    }
    let number = |name: &str, default: i64| {
        parsed
            .iter()
            .find_map(|(entry, value)| match value {
                Parsed::Number(number) if entry.name == name => Some(*number),
                _ => None,
            })
            .unwrap_or(default)
    };
    let min = number("min.compaction.lag.ms", 0);
    let max = number("max.compaction.lag.ms", i64::MAX);
    if min > max {
        return Err(TopicConfigError::CompactionLagConflict { min, max });
    }
    let remote = parsed.iter().any(|(entry, value)| {
        entry.name == "remote.storage.enable" && *value == Parsed::Flag(true)
    });
    if remote {
        return Err(TopicConfigError::RemoteStorageDisabled);
    }
    Ok(parsed)
}

impl LogConfig {
    /// This configuration (the broker's topic defaults) with a topic's overrides applied.
    /// The overrides are checked first ([`validate_topic_overrides`]); keys the log does
    /// not act on are accepted and leave the result unchanged.
    pub fn with_overrides(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<LogConfig, TopicConfigError> {
        let mut config = self.clone();
        for (entry, value) in parse_overrides(overrides)? {
            match (entry.name, value) {
                ("segment.bytes", Parsed::Number(n)) => config.segment_bytes = n,
                ("segment.ms", Parsed::Number(n)) => config.segment_ms = n,
                ("retention.ms", Parsed::Number(n)) => config.retention_ms = n,
                ("retention.bytes", Parsed::Number(n)) => config.retention_bytes = n,
                ("index.interval.bytes", Parsed::Number(n)) => config.index_interval_bytes = n,
                ("segment.index.bytes", Parsed::Number(n)) => config.segment_index_bytes = n,
                ("flush.messages", Parsed::Number(n)) => config.flush_messages = n,
                ("flush.ms", Parsed::Number(n)) => config.flush_ms = n,
                ("min.compaction.lag.ms", Parsed::Number(n)) => config.min_compaction_lag_ms = n,
                ("delete.retention.ms", Parsed::Number(n)) => config.delete_retention_ms = n,
                ("max.compaction.lag.ms", Parsed::Number(n)) => config.max_compaction_lag_ms = n,
                ("min.cleanable.dirty.ratio", Parsed::Double(ratio)) => {
                    config.min_cleanable_dirty_ratio = DirtyRatio(ratio);
                }
                ("max.message.bytes", Parsed::Number(n)) => {
                    config.max_message_bytes = narrow_int(entry.name, n)?;
                }
                ("min.insync.replicas", Parsed::Number(n)) => {
                    config.min_insync_replicas = narrow_int(entry.name, n)?;
                }
                ("message.timestamp.type", Parsed::Text(text)) => {
                    config.message_timestamp_type = timestamp_type(&text);
                }
                ("compression.type", Parsed::Text(text)) => {
                    if let Some(codec) = TopicCompression::from_name(&text) {
                        config.compression_type = codec;
                    }
                }
                ("cleanup.policy", Parsed::Items(items)) => {
                    config.cleanup_policy = cleanup_policy(&items);
                }
                _ => {}
            }
        }
        Ok(config)
    }
}

fn narrow_int(name: &str, number: i64) -> Result<i32, TopicConfigError> {
    i32::try_from(number)
        .map_err(|_| invalid(name, &number.to_string(), "Not a number of type INT"))
}

fn timestamp_type(name: &str) -> TimestampType {
    if name == "LogAppendTime" {
        TimestampType::LogAppendTime
    } else {
        TimestampType::CreateTime
    }
}

fn cleanup_policy(items: &[String]) -> CleanupPolicy {
    CleanupPolicy {
        delete: items.iter().any(|item| item == "delete"),
        compact: items.iter().any(|item| item == "compact"),
    }
}

fn render_cleanup_policy(policy: CleanupPolicy) -> String {
    match (policy.compact, policy.delete) {
        (true, true) => "compact,delete".to_owned(),
        (true, false) => "compact".to_owned(),
        (false, true) => "delete".to_owned(),
        (false, false) => String::new(),
    }
}

/// Reads the topic defaults [`BrokerConfig`] does not parse itself from the broker keys
/// set in the file (`log.cleanup.policy`, `compression.type`,
/// `log.cleaner.min.compaction.lag.ms`, `log.cleaner.max.compaction.lag.ms`,
/// `log.cleaner.min.cleanable.ratio`, `log.cleaner.delete.retention.ms`), checked with
/// the topic config's rules, into `log`. Called while loading `server.properties`.
pub(super) fn apply_broker_topic_defaults(
    log: &mut LogConfig,
    static_settings: &BTreeMap<String, String>,
) -> Result<(), ConfigError> {
    for entry in &TOPIC_CONFIGS {
        for synonym in entry.synonyms {
            let Some(raw) = static_settings.get(synonym.name) else {
                continue;
            };
            // Keys BrokerConfig parses are checked there, with the broker's own rules.
            if super::keys::USED.contains(&synonym.name) {
                continue;
            }
            let parsed = check_value(entry, raw).map_err(|error| match error {
                TopicConfigError::InvalidValue { reason, .. } => ConfigError::Invalid {
                    key: synonym.name.to_owned(),
                    value: raw.trim().to_owned(),
                    reason,
                },
                other => ConfigError::Invalid {
                    key: synonym.name.to_owned(),
                    value: raw.trim().to_owned(),
                    reason: other.to_string(),
                },
            })?;
            match (entry.name, parsed) {
                ("cleanup.policy", Parsed::Items(items)) => {
                    log.cleanup_policy = cleanup_policy(&items)
                }
                ("compression.type", Parsed::Text(text)) => {
                    if let Some(codec) = TopicCompression::from_name(&text) {
                        log.compression_type = codec;
                    }
                }
                ("min.compaction.lag.ms", Parsed::Number(n)) => log.min_compaction_lag_ms = n,
                ("delete.retention.ms", Parsed::Number(n)) => log.delete_retention_ms = n,
                ("max.compaction.lag.ms", Parsed::Number(n)) => log.max_compaction_lag_ms = n,
                ("min.cleanable.dirty.ratio", Parsed::Double(ratio)) => {
                    log.min_cleanable_dirty_ratio = DirtyRatio(ratio);
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The value a topic without an override gets: the broker's effective setting.
fn topic_default_value(entry: &TopicConfigDef, broker: &BrokerConfig) -> String {
    let log = &broker.log;
    let typed = match entry.name {
        "segment.bytes" => Some(log.segment_bytes.to_string()),
        "segment.ms" => Some(log.segment_ms.to_string()),
        "retention.ms" => Some(log.retention_ms.to_string()),
        "retention.bytes" => Some(log.retention_bytes.to_string()),
        "index.interval.bytes" => Some(log.index_interval_bytes.to_string()),
        "segment.index.bytes" => Some(log.segment_index_bytes.to_string()),
        "flush.messages" => Some(log.flush_messages.to_string()),
        "flush.ms" => Some(log.flush_ms.to_string()),
        "max.message.bytes" => Some(log.max_message_bytes.to_string()),
        "message.timestamp.type" => Some(
            match log.message_timestamp_type {
                TimestampType::CreateTime => "CreateTime",
                TimestampType::LogAppendTime => "LogAppendTime",
            }
            .to_owned(),
        ),
        "cleanup.policy" => Some(render_cleanup_policy(log.cleanup_policy)),
        "compression.type" => Some(log.compression_type.name().to_owned()),
        "min.compaction.lag.ms" => Some(log.min_compaction_lag_ms.to_string()),
        "delete.retention.ms" => Some(log.delete_retention_ms.to_string()),
        "max.compaction.lag.ms" => Some(log.max_compaction_lag_ms.to_string()),
        "min.cleanable.dirty.ratio" => Some(double_to_string(log.min_cleanable_dirty_ratio.0)),
        "min.insync.replicas" => Some(broker.min_insync_replicas.to_string()),
        "unclean.leader.election.enable" => Some(broker.unclean_leader_election_enable.to_string()),
        _ => None,
    };
    if let Some(value) = typed {
        return value;
    }
    // The first synonym set in the file, in the topic's unit.
    for synonym in entry.synonyms {
        let Some(raw) = broker.static_settings.get(synonym.name) else {
            continue;
        };
        let Ok(parsed) = check_value(entry, raw) else {
            continue;
        };
        return match parsed {
            Parsed::Number(number) => number.saturating_mul(synonym.factor).to_string(),
            other => other.render(),
        };
    }
    entry.default.to_owned()
}

/// Kafka's synonym list for a broker key: the group's keys set in the file, then those with
/// a default, dropping whatever precedes `primary` itself.
fn broker_synonyms(
    primary: &'static str,
    broker: &BrokerConfig,
    sensitive: bool,
) -> Vec<ConfigSynonym> {
    let group = broker_synonym_group(primary);
    let mut synonyms = Vec::new();
    for name in &group {
        if let Some(raw) = broker.static_settings.get(*name) {
            synonyms.push(ConfigSynonym {
                name: (*name).to_owned(),
                value: (!sensitive).then(|| raw.trim().to_owned()),
                source: ConfigSource::StaticBrokerConfig,
            });
        }
    }
    for name in &group {
        if let Some(default) = broker_config(name).and_then(|entry| entry.default) {
            synonyms.push(ConfigSynonym {
                name: (*name).to_owned(),
                value: (!sensitive).then(|| default.to_owned()),
                source: ConfigSource::DefaultConfig,
            });
        }
    }
    let first = synonyms
        .iter()
        .position(|synonym| synonym.name == primary)
        .unwrap_or(synonyms.len());
    synonyms.split_off(first)
}

/// The configs of a topic with `overrides`, on `broker`, by name. Overrides that do not
/// parse (written by another tool) are shown as stored; unknown keys are left out.
pub fn describe_topic(
    overrides: &BTreeMap<String, String>,
    broker: &BrokerConfig,
    options: DescribeOptions<'_>,
) -> Vec<ConfigEntry> {
    let mut entries = Vec::new();
    for entry in &TOPIC_CONFIGS {
        if !options.wants(entry.name) {
            continue;
        }
        let sensitive = entry.config_type == ConfigType::Password;
        let mut synonyms = match entry.synonyms.first() {
            Some(primary) => broker_synonyms(primary.name, broker, sensitive),
            None => Vec::new(),
        };
        let value = match overrides.get(entry.name) {
            Some(raw) => {
                let value = parse_typed(entry.name, entry.config_type, raw)
                    .map_or_else(|_| raw.clone(), |parsed| parsed.render());
                synonyms.insert(
                    0,
                    ConfigSynonym {
                        name: entry.name.to_owned(),
                        value: (!sensitive).then(|| value.clone()),
                        source: ConfigSource::DynamicTopicConfig,
                    },
                );
                value
            }
            None => topic_default_value(entry, broker),
        };
        let source = synonyms
            .first()
            .map_or(ConfigSource::DefaultConfig, |synonym| synonym.source);
        entries.push(ConfigEntry {
            name: entry.name.to_owned(),
            value: (!sensitive).then_some(value),
            source,
            read_only: false,
            is_sensitive: sensitive,
            config_type: entry.config_type,
            documentation: options.include_documentation.then_some(entry.documentation),
            synonyms: if options.include_synonyms {
                synonyms
            } else {
                Vec::new()
            },
        });
    }
    entries
}

/// This broker's configs, by name: the value set in `server.properties` (normalised to its
/// type) or Kafka's default; passwords are sensitive and shown as null. Every entry is
/// read-only: this broker changes no broker config at run time.
pub fn describe_broker(broker: &BrokerConfig, options: DescribeOptions<'_>) -> Vec<ConfigEntry> {
    let mut catalog: Vec<&BrokerConfigDef> = BROKER_CONFIGS.iter().collect();
    catalog.sort_by_key(|entry| entry.name);
    let mut entries = Vec::new();
    for entry in catalog {
        if !options.wants(entry.name) {
            continue;
        }
        let sensitive = entry.config_type == ConfigType::Password;
        let value = match broker.static_settings.get(entry.name) {
            Some(raw) => Some(
                parse_typed(entry.name, entry.config_type, raw)
                    .map_or_else(|_| raw.trim().to_owned(), |parsed| parsed.render()),
            ),
            None => entry.default.map(str::to_owned),
        };
        let synonyms = broker_synonyms(entry.name, broker, sensitive);
        let source = synonyms
            .first()
            .map_or(ConfigSource::DefaultConfig, |synonym| synonym.source);
        entries.push(ConfigEntry {
            name: entry.name.to_owned(),
            value: if sensitive { None } else { value },
            source,
            read_only: true,
            is_sensitive: sensitive,
            config_type: entry.config_type,
            documentation: options.include_documentation.then_some(entry.documentation),
            synonyms: if options.include_synonyms {
                synonyms
            } else {
                Vec::new()
            },
        });
    }
    entries
}

/// The catalog's default value of a LIST config, as items (APPEND/SUBTRACT start from it).
pub fn list_default(name: &str) -> Option<Vec<String>> {
    let entry = topic_config(name)?;
    (entry.config_type == ConfigType::List).then(|| split_list(entry.default))
}

/// Splits a LIST value into its items (for APPEND and SUBTRACT).
pub fn list_items(value: &str) -> Vec<String> {
    split_list(value)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
#[path = "topic_tests.rs"]
mod tests;
