//! Shared pieces used by the coordinator, the broker and the tools.
//!
//! - [`properties`]: Java `.properties` files (`config/*.properties`, `--override`).
//! - [`logging`]: the stderr log format shared by every process.
//! - [`zk_layout`]: Kafka's znode paths and the JSON records brokers keep in them.

pub mod logging;
pub mod properties;
pub mod time;
pub mod zk_layout;
