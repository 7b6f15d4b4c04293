//! Partition logs on disk.
//!
//! - [`config`] — [`LogConfig`] (Kafka's topic settings) and the injectable [`Clock`].
//! - [`index`] — the sparse offset and time indexes of a segment.
//! - [`segment`] — one log file and its indexes: append, read, lookup, recovery.
//! - [`error`] — [`LogError`].

pub mod config;
pub mod error;
pub mod index;
pub mod segment;

pub use config::{Clock, LogConfig, ManualClock, SystemClock};
pub use error::LogError;
