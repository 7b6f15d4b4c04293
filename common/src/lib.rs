//! Shared pieces used by the coordinator, the broker and the tools.
//!
//! - [`properties`]: Java `.properties` files (`config/*.properties`, `--override`).
//! - [`logging`]: the stderr log format shared by every process.

pub mod logging;
pub mod properties;
pub mod time;
