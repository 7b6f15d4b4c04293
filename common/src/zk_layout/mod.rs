//! Kafka's ZooKeeper-mode data layout: the znode paths brokers and the controller use, and the
//! JSON (or plain-text) records stored in them, byte-compatible with what Apache Kafka 3.x writes
//! and able to read what Kafka 2.x/3.x wrote.
//!
//! This module does no I/O. The broker pairs it with the `zookeeper-client` crate, against our
//! coordinator or a real Apache ZooKeeper ensemble, so a cluster may mix our brokers with Kafka's.
//!
//! - [`paths`]: every path, and the persistent paths created at broker start-up.
//! - [`records`]: one type per record, each with `to_json` / `from_json`.
//! - [`endpoint`]: `LISTENER://host:port` endpoints and security protocols.
//! - [`topic_name`]: Kafka's topic-name rules.
//! - [`uuid`]: the 22-character URL-safe base64 ids used for topics and clusters.
//! - [`error`]: [`LayoutError`], naming the record kind and what is wrong.
//!
//! Kafka builds most records from Scala/Java hash maps, so the key order on the wire is the
//! maps' iteration order, not the order of the source. The private `json` module reproduces
//! those orders so that our bytes equal Kafka's (see its docs for what is exact).

pub mod endpoint;
pub mod error;
mod json;
pub mod paths;
pub mod records;
pub mod topic_name;
pub mod uuid;

pub use endpoint::{EndPoint, SecurityProtocol};
pub use error::{LayoutError, RecordKind};
pub use records::{
    BrokerRegistration, ClusterIdRecord, ConfigChangeNotification, ControllerEpochRecord,
    ControllerRecord, EntityConfig, FeatureLevel, FeatureStatus, FeatureZNodeRecord,
    IsrChangeNotification, LeaderRecoveryState, LogDirEventNotification, PartitionReplicas,
    PartitionState, PreferredReplicaElection, ProducerIdBlock, ReassignPartitions,
    SupportedFeature, TopicAssignment, TopicPartition,
};
pub use uuid::Uuid;

#[cfg(test)]
mod tests;
