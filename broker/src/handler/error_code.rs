//! The one mapping from domain errors to Kafka wire error codes (`ResponseError` of the
//! `kafka-protocol` crate, whose numbers are Kafka's).

use kafka_protocol::ResponseError;

use super::StorageError;
use crate::cluster::ClusterError;
use crate::controller::election::ElectionError;
use crate::controller::reassign::ReassignmentError;
use crate::log::{LogError, ProducerStateError};
use crate::record::RecordError;

/// The per-partition code a storage failure is answered with.
pub fn storage_error_code(error: &StorageError) -> ResponseError {
    match error {
        StorageError::Log(error) => log_error_code(error),
        StorageError::UnknownTopicOrPartition { .. } => ResponseError::UnknownTopicOrPartition,
        StorageError::Closed | StorageError::Poisoned => ResponseError::KafkaStorageError,
        StorageError::Task { .. } => ResponseError::UnknownServerError,
    }
}

/// The code a failed cluster operation (topic admin) is answered with.
pub fn cluster_error_code(error: &ClusterError) -> ResponseError {
    match error {
        ClusterError::TopicExists { .. } | ClusterError::TopicMarkedForDeletion { .. } => {
            ResponseError::TopicAlreadyExists
        }
        ClusterError::TopicCollides { .. } => ResponseError::InvalidTopicException,
        ClusterError::UnknownTopic { .. } => ResponseError::UnknownTopicOrPartition,
        ClusterError::DeletionDisabled { .. } => ResponseError::TopicDeletionDisabled,
        ClusterError::InvalidReplicationFactor { .. } => ResponseError::InvalidReplicationFactor,
        ClusterError::InvalidPartitions { .. } => ResponseError::InvalidPartitions,
        ClusterError::InvalidReplicaAssignment { .. } => ResponseError::InvalidReplicaAssignment,
        ClusterError::InvalidConfig { .. } => ResponseError::InvalidConfig,
        ClusterError::TimedOut { .. } => ResponseError::RequestTimedOut,
        ClusterError::ControllerMoved { .. } => ResponseError::NotController,
        ClusterError::ConnectionTimeout { .. }
        | ClusterError::Zookeeper { .. }
        | ClusterError::ShuttingDown => ResponseError::RequestTimedOut,
        ClusterError::BadConnectString { .. }
        | ClusterError::Assignment { .. }
        | ClusterError::BrokerIdTaken { .. }
        | ClusterError::Layout { .. } => ResponseError::UnknownServerError,
    }
}

/// The per-partition code of a leader election that did not happen (Kafka's controller:
/// a topic being deleted is INVALID_TOPIC_EXCEPTION).
pub fn election_error_code(error: &ElectionError) -> ResponseError {
    match error {
        ElectionError::ElectionNotNeeded => ResponseError::ElectionNotNeeded,
        ElectionError::PreferredLeaderNotAvailable { .. } => {
            ResponseError::PreferredLeaderNotAvailable
        }
        ElectionError::EligibleLeadersNotAvailable { .. } => {
            ResponseError::EligibleLeadersNotAvailable
        }
        ElectionError::UnknownTopicOrPartition => ResponseError::UnknownTopicOrPartition,
        ElectionError::TopicBeingDeleted => ResponseError::InvalidTopicException,
    }
}

/// The per-partition code of a refused reassignment.
pub fn reassignment_error_code(error: &ReassignmentError) -> ResponseError {
    match error {
        ReassignmentError::UnknownTopicOrPartition => ResponseError::UnknownTopicOrPartition,
        ReassignmentError::EmptyReplicaList
        | ReassignmentError::DuplicateReplicas { .. }
        | ReassignmentError::InvalidBrokerId { .. }
        | ReassignmentError::BrokersNotAlive { .. } => ResponseError::InvalidReplicaAssignment,
        ReassignmentError::ReplicationFactorChange { .. } => {
            ResponseError::InvalidReplicationFactor
        }
        ReassignmentError::NoReassignmentInProgress => ResponseError::NoReassignmentInProgress,
    }
}

fn log_error_code(error: &LogError) -> ResponseError {
    match error {
        LogError::InvalidBatch { source, .. } => record_error_code(source),
        LogError::OffsetOutOfRange { .. } => ResponseError::OffsetOutOfRange,
        // Kafka refuses a record set larger than a segment with RECORD_LIST_TOO_LARGE.
        LogError::AppendTooLarge { .. } => ResponseError::RecordListTooLarge,
        LogError::EmptyAppend => ResponseError::CorruptMessage,
        LogError::Producer { source, .. } => producer_error_code(source),
        // Kafka's LogValidator: "Clients are not allowed to write control records".
        LogError::ControlBatch { .. } => ResponseError::InvalidRecord,
        // Kafka's LogValidator: "Compacted topic cannot accept message without key"
        // (produce v8+; the produce handler answers CORRUPT_MESSAGE to older versions).
        LogError::KeylessRecord { .. } => ResponseError::InvalidRecord,
        // What Kafka 3.6+ answers a transactional batch outside a verified transaction.
        LogError::TransactionalBatch { .. } => ResponseError::InvalidTxnState,
        LogError::AppendNotUndone { .. } | LogError::Offline { .. } => {
            ResponseError::KafkaStorageError
        }
        LogError::Io { .. }
        | LogError::BadFileName { .. }
        | LogError::MalformedCheckpoint { .. }
        | LogError::Deleted { .. } => ResponseError::KafkaStorageError,
        LogError::InvalidConfig { .. } => ResponseError::UnknownServerError,
        // Only a follower's own append of fetched batches sees it (it truncates and fetches
        // again); no client request reaches it.
        LogError::UnexpectedAppendOffset { .. } => ResponseError::UnknownServerError,
    }
}

/// Kafka 3.x codes for idempotent-producer refusals (`ProducerAppendInfo`, `LogValidator`).
pub fn producer_error_code(error: &ProducerStateError) -> ResponseError {
    match error {
        ProducerStateError::InvalidProducerEpoch { .. } => ResponseError::InvalidProducerEpoch,
        ProducerStateError::NewEpochNotAtZero { .. }
        | ProducerStateError::OutOfOrderSequence { .. } => ResponseError::OutOfOrderSequenceNumber,
        ProducerStateError::InvalidSequence { .. } => ResponseError::InvalidRecord,
    }
}

/// Framing and checksum failures are CORRUPT_MESSAGE; a batch that decodes but breaks the
/// format's rules is INVALID_RECORD (as Kafka's record validation distinguishes them).
pub fn record_error_code(error: &RecordError) -> ResponseError {
    match error {
        RecordError::TruncatedBatch { .. }
        | RecordError::BatchTooSmall { .. }
        | RecordError::LengthMismatch { .. }
        | RecordError::CrcMismatch { .. }
        | RecordError::UnknownCompression { .. }
        | RecordError::CompressedRecords { .. }
        | RecordError::MalformedRecord { .. }
        | RecordError::MalformedVarint { .. }
        | RecordError::RecordsSectionMismatch { .. }
        | RecordError::Compression { .. } => ResponseError::CorruptMessage,
        RecordError::UnsupportedMagic { .. }
        | RecordError::NegativeRecordCount { .. }
        | RecordError::NegativeLastOffsetDelta { .. }
        | RecordError::RecordCountMismatch { .. }
        | RecordError::OffsetDeltaMismatch { .. }
        | RecordError::OffsetOverflow { .. } => ResponseError::InvalidRecord,
    }
}
