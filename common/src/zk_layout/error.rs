//! Errors from parsing znode records, endpoints, topic names and ids. Every variant names the
//! record kind (by its path pattern) or the input, and what is wrong with it.

use std::fmt;

/// Which znode a record came from, printed as its path pattern in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordKind {
    BrokerRegistration,
    Controller,
    ControllerEpoch,
    TopicAssignment,
    PartitionState,
    EntityConfig,
    ConfigChangeNotification,
    ClusterId,
    ProducerIdBlock,
    IsrChangeNotification,
    LogDirEventNotification,
    ReassignPartitions,
    PreferredReplicaElection,
    Feature,
}

impl RecordKind {
    /// The path pattern of the znode holding this record.
    pub fn path_pattern(self) -> &'static str {
        match self {
            RecordKind::BrokerRegistration => "/brokers/ids/<id>",
            RecordKind::Controller => "/controller",
            RecordKind::ControllerEpoch => "/controller_epoch",
            RecordKind::TopicAssignment => "/brokers/topics/<topic>",
            RecordKind::PartitionState => "/brokers/topics/<topic>/partitions/<partition>/state",
            RecordKind::EntityConfig => "/config/<entity type>/<name>",
            RecordKind::ConfigChangeNotification => "/config/changes/config_change_<seq>",
            RecordKind::ClusterId => "/cluster/id",
            RecordKind::ProducerIdBlock => "/latest_producer_id_block",
            RecordKind::IsrChangeNotification => "/isr_change_notification/isr_change_<seq>",
            RecordKind::LogDirEventNotification => {
                "/log_dir_event_notification/log_dir_event_<seq>"
            }
            RecordKind::ReassignPartitions => "/admin/reassign_partitions",
            RecordKind::PreferredReplicaElection => "/admin/preferred_replica_election",
            RecordKind::Feature => "/feature",
        }
    }
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path_pattern())
    }
}

/// Why an endpoint string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointProblem {
    MissingScheme,
    EmptyListenerName,
    MissingPort,
    BadPort { text: String },
    UnclosedBracket,
    BadHostCharacter { character: char },
    UnknownSecurityProtocol { name: String },
    ListenerNotMapped { listener: String },
}

impl fmt::Display for EndpointProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EndpointProblem::MissingScheme => f.write_str("expected LISTENER://host:port"),
            EndpointProblem::EmptyListenerName => f.write_str("the listener name is empty"),
            EndpointProblem::MissingPort => f.write_str("no `:port` after the host"),
            EndpointProblem::BadPort { text } => write!(f, "port `{text}` is not 0-65535"),
            EndpointProblem::UnclosedBracket => f.write_str("`[` without a closing `]`"),
            EndpointProblem::BadHostCharacter { character } => {
                write!(f, "character {character:?} is not allowed in a host")
            }
            EndpointProblem::UnknownSecurityProtocol { name } => {
                write!(f, "unknown security protocol `{name}`")
            }
            EndpointProblem::ListenerNotMapped { listener } => write!(
                f,
                "listener `{listener}` has no entry in listener_security_protocol_map"
            ),
        }
    }
}

/// Why a topic name is illegal (Kafka's `Topic.validate` rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TopicNameProblem {
    Empty,
    DotOrDotDot,
    TooLong { length: usize, max: usize },
    IllegalCharacter { character: char },
}

impl fmt::Display for TopicNameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TopicNameProblem::Empty => f.write_str("it is empty"),
            TopicNameProblem::DotOrDotDot => f.write_str("`.` and `..` are reserved"),
            TopicNameProblem::TooLong { length, max } => {
                write!(f, "{length} characters, the maximum is {max}")
            }
            TopicNameProblem::IllegalCharacter { character } => write!(
                f,
                "character {character:?} is not one of ASCII letters, digits, `.`, `_`, `-`"
            ),
        }
    }
}

/// Why a Kafka Uuid string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UuidProblem {
    BadLength { length: usize },
    NotBase64Url,
    AllZero,
}

impl fmt::Display for UuidProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UuidProblem::BadLength { length } => {
                write!(f, "{length} characters, expected 22")
            }
            UuidProblem::NotBase64Url => f.write_str("not unpadded URL-safe base64 of 16 bytes"),
            UuidProblem::AllZero => f.write_str("the all-zero id is reserved"),
        }
    }
}

/// Everything that can go wrong turning bytes into a record (or a string into a name or id).
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("{record}: invalid JSON or missing/mistyped field: {source}")]
    Json {
        record: RecordKind,
        #[source]
        source: serde_json::Error,
    },
    #[error("{record}: data is not UTF-8 text")]
    NotUtf8 { record: RecordKind },
    #[error("{record}: unsupported version {version}")]
    UnsupportedVersion { record: RecordKind, version: i64 },
    #[error("{record}: field `{field}` holds `{text}`, expected a decimal integer")]
    BadNumber {
        record: RecordKind,
        field: &'static str,
        text: String,
    },
    #[error("{record}: field `{field}` holds {value}, which is out of range")]
    OutOfRange {
        record: RecordKind,
        field: &'static str,
        value: i64,
    },
    #[error("{record}: partition key `{key}` is not a partition number")]
    BadPartitionKey { record: RecordKind, key: String },
    #[error("{record}: field `{field}` is required for version {version}")]
    MissingField {
        record: RecordKind,
        field: &'static str,
        version: i64,
    },
    #[error("{record}: feature `{feature}`: {problem}")]
    BadFeature {
        record: RecordKind,
        feature: String,
        problem: &'static str,
    },
    #[error("endpoint `{endpoint}`: {problem}")]
    Endpoint {
        endpoint: String,
        problem: EndpointProblem,
    },
    #[error("illegal topic name `{name}`: {problem}")]
    TopicName {
        name: String,
        problem: TopicNameProblem,
    },
    #[error("bad id `{text}`: {problem}")]
    Uuid { text: String, problem: UuidProblem },
    #[error("{record}: field `{field}` holds bad id `{text}`: {problem}")]
    BadId {
        record: RecordKind,
        field: &'static str,
        text: String,
        problem: UuidProblem,
    },
}

impl LayoutError {
    pub(crate) fn json(record: RecordKind) -> impl FnOnce(serde_json::Error) -> LayoutError {
        move |source| LayoutError::Json { record, source }
    }
}
