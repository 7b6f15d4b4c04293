//! A Kafka client: the plumbing the tools, the tests and (later) the broker's replica fetcher
//! share.
//!
//! - [`connection`]: [`Connection`] — one TCP connection to one broker: framing,
//!   correlation ids, ApiVersions negotiation, pipelined requests, timeouts.
//! - [`cluster`]: [`Client`] — bootstrap, Metadata cache, a connection per broker id, leader
//!   and controller lookup, ListOffsets, retries on leader changes.
//! - [`producer`]: [`Producer`] — per-partition accumulation into v2 record batches
//!   (compression, `batch.size`, `linger.ms`, `acks`), delivery results per batch.
//! - [`fetcher`]: [`Fetcher`] — Fetch from positions per partition, batch decoding.
//! - [`partitioner`]: Kafka's default partitioner (murmur2 for keys, sticky for null keys).
//! - [`coordinator`]: FindCoordinator ([`Client::find_coordinator`]).
//! - [`consumer_protocol`]: subscription and assignment bytes of Kafka's consumer protocol.
//! - [`assignor`]: the `range` and `roundrobin` assignors the group leader runs.
//! - [`offsets`]: OffsetCommit / OffsetFetch.
//! - [`group`]: [`GroupMember`] — JoinGroup/SyncGroup, background heartbeats, LeaveGroup.
//! - [`consumer`]: [`Consumer`] — a group member plus a fetcher, committed positions,
//!   auto commit.
//! - [`group_admin`]: ListGroups, DescribeGroups, DeleteGroups, OffsetDelete and offset
//!   resets for `kafka-consumer-groups`.
//! - [`error`]: the error type, [`ClientError`].

pub mod assignor;
pub mod cluster;
pub mod connection;
pub mod consumer;
pub mod consumer_protocol;
pub mod coordinator;
pub mod error;
pub mod fetcher;
pub mod group;
pub mod group_admin;
pub mod offsets;
pub mod partitioner;
pub mod producer;

pub use assignor::Assignor;
pub use cluster::{Client, ClientConfig, ClusterMetadata, OffsetSpec, TopicMetadata};
pub use connection::{Connection, ConnectionOptions};
pub use consumer::{Consumer, ConsumerConfig};
pub use consumer_protocol::{Assignment, Subscription};
pub use coordinator::CoordinatorNode;
pub use error::ClientError;
pub use fetcher::{ConsumedRecord, FetchConfig, Fetcher, OffsetReset, StartPosition};
pub use group::{GroupConfig, GroupMember};
pub use group_admin::{GroupDescription, ListedGroup, MemberDescription, OffsetDeleteOutcome};
pub use offsets::OffsetMap;
pub use producer::{BatchDelivery, Producer, ProducerConfig, ProducerRecord};
