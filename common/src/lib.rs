//! Shared pieces used by the coordinator, the broker and the tools.
//!
//! - [`client`]: a Kafka client (connections, metadata, producer, fetcher) for the tools,
//!   the tests and the broker's replica fetcher.
//! - [`frame`]: Kafka's size-prefixed frames read from a connection into one reused buffer.
//! - [`properties`]: Java `.properties` files (`config/*.properties`, `--override`).
//! - [`config`]: what the typed configurations share (warnings, key families, ranges).
//! - [`logging`]: the stderr log format shared by every process.
//! - [`zk_layout`]: Kafka's znode paths and the JSON records brokers keep in them.

pub mod client;
pub mod config;
pub mod frame;
pub mod logging;
pub mod properties;
pub mod time;
pub mod zk_layout;
