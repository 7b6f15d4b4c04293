//! [`ClusterError`]: what can go wrong talking to the coordinator or changing cluster
//! metadata. Handlers map the admin variants to Kafka error codes
//! (`handler::error_code::cluster_error_code`).

use std::time::Duration;

use common::zk_layout::LayoutError;

/// A failed coordinator operation or a refused metadata change.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Kafka's start-up message when no session could be set up in time.
    #[error("Timed out waiting for connection while in state: CONNECTING")]
    ConnectionTimeout { connect: String, waited: Duration },
    #[error("bad zookeeper.connect {connect:?}: {reason}")]
    BadConnectString { connect: String, reason: String },
    /// Another live session owns this broker id's registration (Kafka's NodeExists text).
    #[error("Error while creating ephemeral at {path}, node already exists and owner '{owner}' does not match current session '{session}'")]
    BrokerIdTaken {
        path: String,
        owner: i64,
        session: i64,
    },
    #[error("coordinator operation {operation} on {path} failed: {source}")]
    Zookeeper {
        operation: &'static str,
        path: String,
        #[source]
        source: zookeeper_client::Error,
    },
    #[error("malformed znode {path}: {source}")]
    Layout {
        path: String,
        #[source]
        source: LayoutError,
    },
    #[error("Topic '{topic}' already exists.")]
    TopicExists { topic: String },
    #[error("Topic '{topic}' is marked for deletion.")]
    TopicMarkedForDeletion { topic: String },
    #[error("Topic '{topic}' collides with existing topic: {existing}")]
    TopicCollides { topic: String, existing: String },
    #[error("This server does not host this topic-partition.")]
    UnknownTopic { topic: String },
    #[error("Topic deletion is disabled.")]
    DeletionDisabled { topic: String },
    #[error("{message}")]
    InvalidReplicationFactor { message: String },
    #[error("{message}")]
    InvalidPartitions { message: String },
    #[error("{message}")]
    InvalidReplicaAssignment { message: String },
    #[error("{message}")]
    InvalidConfig { message: String },
    /// No assignment could be computed (brokers only some of which have a rack).
    #[error("{message}")]
    Assignment { message: String },
    /// The change was written but the cluster did not reflect it in time.
    #[error("{what} did not complete within {waited:?}")]
    TimedOut { what: String, waited: Duration },
    /// This broker lost its controllership while acting as controller.
    #[error("controller moved: the epoch node changed under controller epoch {epoch}")]
    ControllerMoved { epoch: i32 },
    #[error("the broker is shutting down")]
    ShuttingDown,
}

impl ClusterError {
    /// Wraps a client error with the operation and path.
    pub fn zookeeper<'a>(
        operation: &'static str,
        path: &'a str,
    ) -> impl FnOnce(zookeeper_client::Error) -> ClusterError + 'a {
        move |source| ClusterError::Zookeeper {
            operation,
            path: path.to_owned(),
            source,
        }
    }

    /// Wraps a record that did not parse.
    pub fn layout(path: &str) -> impl FnOnce(LayoutError) -> ClusterError + '_ {
        move |source| ClusterError::Layout {
            path: path.to_owned(),
            source,
        }
    }
}
