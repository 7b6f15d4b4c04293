//! [`GroupError`]: why the group coordinator refused an operation, and the Kafka wire code
//! each refusal is answered with ([`GroupError::code`], the one mapping, following Kafka
//! 3.x's group coordinator).

use kafka_protocol::ResponseError;

/// A refused group operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// This broker does not lead the offsets partition of the group.
    #[error("broker is not the coordinator of group {group:?}")]
    NotCoordinator { group: String },
    /// The offsets partition of the group is being loaded.
    #[error("the offsets partition {partition} of group {group:?} is loading")]
    LoadInProgress { group: String, partition: i32 },
    /// `__consumer_offsets` is not there yet, has no leader, or the group was removed
    /// under the request.
    #[error("the group coordinator is not available: {reason}")]
    CoordinatorNotAvailable { reason: String },
    /// An empty (or null) group id where one is required.
    #[error("invalid group id {group:?}")]
    InvalidGroupId { group: String },
    #[error("session timeout {session_timeout_ms} ms is outside {min_ms}..={max_ms} ms")]
    InvalidSessionTimeout {
        session_timeout_ms: i32,
        min_ms: u128,
        max_ms: u128,
    },
    #[error("member {member_id:?} is not in group {group:?}")]
    UnknownMemberId { group: String, member_id: String },
    /// A first JoinGroup without member id (v4+): the client must join again with this id.
    #[error("member id required; join again as {member_id:?}")]
    MemberIdRequired { member_id: String },
    #[error("generation {given} is not the group's generation {current}")]
    IllegalGeneration { given: i32, current: i32 },
    #[error("protocol type or protocols incompatible with group {group:?}")]
    InconsistentGroupProtocol { group: String },
    #[error("group {group:?} is rebalancing")]
    RebalanceInProgress { group: String },
    #[error("group {group:?} already has {max_size} members")]
    GroupMaxSizeReached { group: String, max_size: i32 },
    /// A static member whose instance id now belongs to another member id.
    #[error("instance {instance_id:?} is now member {current:?}, not {given:?}")]
    FencedInstanceId {
        instance_id: String,
        given: String,
        current: String,
    },
    #[error("group {group:?} has members")]
    NonEmptyGroup { group: String },
    #[error("group {group:?} does not exist")]
    GroupIdNotFound { group: String },
    #[error("topic {topic:?} is subscribed to by group {group:?}")]
    GroupSubscribedToTopic { group: String, topic: String },
    #[error("commit metadata of {len} bytes exceeds {max} bytes")]
    OffsetMetadataTooLarge { len: usize, max: i32 },
    #[error("unknown topic or partition {topic}-{partition}")]
    UnknownTopicOrPartition { topic: String, partition: i32 },
    /// Writing to `__consumer_offsets` failed; `code` is what the write failure maps to.
    #[error("writing to the offsets topic failed: {reason}")]
    StoreFailed { code: ResponseError, reason: String },
}

impl GroupError {
    /// The Kafka error this refusal is answered with.
    pub fn code(&self) -> ResponseError {
        match self {
            GroupError::NotCoordinator { .. } => ResponseError::NotCoordinator,
            GroupError::LoadInProgress { .. } => ResponseError::CoordinatorLoadInProgress,
            GroupError::CoordinatorNotAvailable { .. } => ResponseError::CoordinatorNotAvailable,
            GroupError::InvalidGroupId { .. } => ResponseError::InvalidGroupId,
            GroupError::InvalidSessionTimeout { .. } => ResponseError::InvalidSessionTimeout,
            GroupError::UnknownMemberId { .. } => ResponseError::UnknownMemberId,
            GroupError::MemberIdRequired { .. } => ResponseError::MemberIdRequired,
            GroupError::IllegalGeneration { .. } => ResponseError::IllegalGeneration,
            GroupError::InconsistentGroupProtocol { .. } => {
                ResponseError::InconsistentGroupProtocol
            }
            GroupError::RebalanceInProgress { .. } => ResponseError::RebalanceInProgress,
            GroupError::GroupMaxSizeReached { .. } => ResponseError::GroupMaxSizeReached,
            GroupError::FencedInstanceId { .. } => ResponseError::FencedInstanceId,
            GroupError::NonEmptyGroup { .. } => ResponseError::NonEmptyGroup,
            GroupError::GroupIdNotFound { .. } => ResponseError::GroupIdNotFound,
            GroupError::GroupSubscribedToTopic { .. } => ResponseError::GroupSubscribedToTopic,
            GroupError::OffsetMetadataTooLarge { .. } => ResponseError::OffsetMetadataTooLarge,
            GroupError::UnknownTopicOrPartition { .. } => ResponseError::UnknownTopicOrPartition,
            GroupError::StoreFailed { code, .. } => *code,
        }
    }

    /// The wire number of [`GroupError::code`].
    pub fn wire_code(&self) -> i16 {
        self.code().code()
    }
}

/// The code a failed write to `__consumer_offsets` is answered with (Kafka's mapping of
/// append errors for commits and group metadata): a missing or offline log is
/// COORDINATOR_NOT_AVAILABLE, a lost leadership NOT_COORDINATOR, a record set too large
/// INVALID_COMMIT_OFFSET_SIZE, anything else UNKNOWN_SERVER_ERROR.
pub fn store_failure_code(append_error: ResponseError) -> ResponseError {
    match append_error {
        ResponseError::UnknownTopicOrPartition
        | ResponseError::NotEnoughReplicas
        | ResponseError::NotEnoughReplicasAfterAppend
        | ResponseError::RequestTimedOut => ResponseError::CoordinatorNotAvailable,
        ResponseError::NotLeaderOrFollower | ResponseError::KafkaStorageError => {
            ResponseError::NotCoordinator
        }
        ResponseError::MessageTooLarge
        | ResponseError::RecordListTooLarge
        | ResponseError::InvalidFetchSize => ResponseError::InvalidCommitOffsetSize,
        _ => ResponseError::UnknownServerError,
    }
}
