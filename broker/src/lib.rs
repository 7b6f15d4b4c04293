//! A Kafka-compatible broker: its storage foundation, its request layer and an in-process
//! server.
//!
//! - [`record`]: v2 record batches as the producer sent them — a checked view over the bytes
//!   (header fields, CRC-32C, in-place offset and LogAppendTime assignment), record iteration,
//!   splitting a produce request's record set into batches, and a builder for batches this
//!   broker writes itself (and for tests).
//! - [`log`]: per-partition logs on disk — segments with sparse offset and time indexes,
//!   rolling, retention, recovery after an unclean stop, leader epochs, follower appends, the
//!   high watermark, compaction, and the log-dir checkpoint files.
//! - [`producer`]: producer ids for InitProducerId, in blocks claimed from ZooKeeper (or
//!   in memory).
//! - [`network`]: the listener's connections — frames, request headers, version checks,
//!   responses in request order.
//! - [`handler`]: one file per API (ApiVersions, Metadata, CreateTopics, Produce, Fetch,
//!   ListOffsets, InitProducerId, DeleteRecords) and the storage bridge they share.
//! - [`cluster`] and [`controller`]: the link to the coordinator (registration, the watched
//!   metadata image, topic admin writes) and the controller (leader elections, ISR clean-up,
//!   controlled shutdown, reassignments, preferred elections, topic deletion).
//! - [`replication`]: leader and follower roles, replica fetchers, the high watermark, ISR
//!   changes, acks=all waits.
//! - [`group`]: the group coordinator — consumer groups (classic rebalance protocol) and
//!   committed offsets in `__consumer_offsets`.
//! - [`server`]: [`server::Broker::start`] / [`server::BrokerHandle::stop`] and
//!   [`server::ServerOptions`].
//! - [`config`]: `server.properties` — the broker's settings under Kafka's names and defaults.
//! - [`error`]: the error types.

pub mod cluster;
pub mod config;
pub mod controller;
pub mod error;
pub mod group;
pub mod handler;
pub mod log;
pub mod network;
pub mod producer;
pub mod record;
pub mod replication;
pub mod server;
