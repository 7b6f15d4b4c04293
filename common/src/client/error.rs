//! Errors of the Kafka client ([`ClientError`]): every variant names the broker (or the
//! bootstrap list) it concerns, and wire error codes keep their protocol name
//! ([`kafka_protocol::ResponseError`]).

use std::time::Duration;

use kafka_protocol::ResponseError;

/// Why a client operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The address is not `host:port` with a numeric port.
    #[error("invalid broker address {address:?}: expected host:port")]
    BadAddress { address: String },
    /// TCP connect failed or did not finish in time.
    #[error("cannot connect to {broker}: {reason}")]
    Connect { broker: String, reason: String },
    /// Reading or writing the socket failed, or the broker closed it; every request still in
    /// flight on that connection fails with this.
    #[error("connection to {broker} lost: {reason}")]
    ConnectionLost { broker: String, reason: String },
    /// No response within the request timeout.
    #[error("request {api_key} to {broker} timed out after {timeout:?}")]
    Timeout {
        broker: String,
        api_key: i16,
        timeout: Duration,
    },
    /// A response frame announced a size above the client's cap (or below zero).
    #[error("response frame of {size} bytes from {broker} is outside 0..={max}")]
    FrameSize {
        broker: String,
        size: i64,
        max: usize,
    },
    /// The response answered another correlation id than the oldest request in flight.
    #[error("response from {broker} has correlation id {got}, expected {expected}")]
    CorrelationMismatch {
        broker: String,
        expected: i32,
        got: i32,
    },
    /// The request could not be encoded (a value out of the version's range).
    #[error("cannot encode request {api_key} v{version} for {broker}: {reason}")]
    Encode {
        broker: String,
        api_key: i16,
        version: i16,
        reason: String,
    },
    /// The response did not decode as the version asked for.
    #[error("cannot decode response {api_key} v{version} from {broker}: {reason}")]
    Decode {
        broker: String,
        api_key: i16,
        version: i16,
        reason: String,
    },
    /// The broker does not serve this API in any version this client knows.
    #[error("{broker} does not support API {api_key} in versions {min}..={max}")]
    UnsupportedApi {
        broker: String,
        api_key: i16,
        min: i16,
        max: i16,
    },
    /// ApiVersions itself failed.
    #[error("{broker} answered ApiVersions with {error}")]
    ApiVersions {
        broker: String,
        error: ResponseError,
    },
    /// None of the bootstrap servers answered.
    #[error("no bootstrap server of {servers} is reachable: {last}")]
    Bootstrap { servers: String, last: String },
    /// A broker id the metadata does not list (yet).
    #[error("broker {broker_id} is not in the cluster metadata")]
    UnknownBroker { broker_id: i32 },
    /// The metadata names no controller.
    #[error("the cluster metadata names no controller")]
    NoController,
    /// A topic-level error from Metadata (for example UnknownTopicOrPartition).
    #[error("topic {topic}: {error}")]
    Topic { topic: String, error: ResponseError },
    /// A partition-level error that retries did not clear.
    #[error("{topic}-{partition}: {error}")]
    Partition {
        topic: String,
        partition: i32,
        error: ResponseError,
    },
    /// The partition does not exist in the topic's metadata.
    #[error("{topic}-{partition} does not exist (the topic has {partitions} partitions)")]
    NoSuchPartition {
        topic: String,
        partition: i32,
        partitions: usize,
    },
    /// Record batches could not be encoded or decoded.
    #[error("record batch of {topic}-{partition}: {reason}")]
    Records {
        topic: String,
        partition: i32,
        reason: String,
    },
    /// The producer's background task is gone (closed or failed).
    #[error("the producer is closed")]
    ProducerClosed,
    /// FindCoordinator (or the coordinator afterwards) answered with an error that retries
    /// did not clear.
    #[error("coordinator of {key}: {error}")]
    Coordinator { key: String, error: ResponseError },
    /// A group-level error from a group API (JoinGroup, SyncGroup, OffsetCommit, ...).
    #[error("group {group}: {error}")]
    Group { group: String, error: ResponseError },
    /// Subscription or assignment bytes that do not decode as Kafka's consumer protocol.
    #[error("consumer protocol {what}: {reason}")]
    ConsumerProtocol { what: &'static str, reason: String },
    /// The coordinator chose an assignor this member does not implement.
    #[error("the group chose assignor {name:?}, which this consumer does not implement")]
    UnknownAssignor { name: String },
    /// `auto.offset.reset=none` and the group has no committed offset for the partition.
    #[error("undefined offset with no reset policy for partition {topic}-{partition}")]
    NoOffsetForPartition { topic: String, partition: i32 },
    /// The consumer's group membership task is gone (closed or failed).
    #[error("the consumer is closed")]
    ConsumerClosed,
}

impl ClientError {
    /// True for failures a metadata refresh and a retry may cure (leader moved, topic still
    /// being created, connection dropped).
    pub fn is_retriable(&self) -> bool {
        match self {
            ClientError::Connect { .. }
            | ClientError::ConnectionLost { .. }
            | ClientError::Timeout { .. }
            | ClientError::UnknownBroker { .. }
            | ClientError::NoController => true,
            ClientError::Coordinator { error, .. } | ClientError::Group { error, .. } => {
                coordinator_moved(*error)
            }
            ClientError::Topic { error, .. } | ClientError::Partition { error, .. } => {
                refreshes_metadata(*error)
            }
            _ => false,
        }
    }
}

/// The partition errors after which the client refreshes metadata and retries: the leader
/// moved or is being elected, or the topic is not (yet) known to this broker.
pub fn refreshes_metadata(error: ResponseError) -> bool {
    matches!(
        error,
        ResponseError::NotLeaderOrFollower
            | ResponseError::LeaderNotAvailable
            | ResponseError::UnknownTopicOrPartition
            | ResponseError::FencedLeaderEpoch
            | ResponseError::UnknownLeaderEpoch
            | ResponseError::NotController
            | ResponseError::BrokerNotAvailable
            | ResponseError::ReplicaNotAvailable
            | ResponseError::NotEnoughReplicas
            | ResponseError::NotEnoughReplicasAfterAppend
            | ResponseError::RequestTimedOut
            | ResponseError::KafkaStorageError
            | ResponseError::NetworkException
    )
}

/// The group errors after which the client looks the coordinator up again and retries:
/// the coordinator moved, is not up yet, or is still loading the group's partition.
pub fn coordinator_moved(error: ResponseError) -> bool {
    matches!(
        error,
        ResponseError::CoordinatorNotAvailable
            | ResponseError::NotCoordinator
            | ResponseError::CoordinatorLoadInProgress
    )
}
