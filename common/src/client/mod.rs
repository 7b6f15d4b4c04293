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
//! - [`error`]: the error type, [`ClientError`].

pub mod cluster;
pub mod connection;
pub mod error;
pub mod fetcher;
pub mod partitioner;
pub mod producer;

pub use cluster::{Client, ClientConfig, ClusterMetadata, OffsetSpec, TopicMetadata};
pub use connection::{Connection, ConnectionOptions};
pub use error::ClientError;
pub use fetcher::{ConsumedRecord, FetchConfig, Fetcher, OffsetReset, StartPosition};
pub use producer::{BatchDelivery, Producer, ProducerConfig, ProducerRecord};
