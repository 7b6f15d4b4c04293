//! A Kafka-compatible broker. This crate is, for now, its storage foundation:
//!
//! - [`record`]: v2 record batches as the producer sent them — a checked view over the bytes
//!   (header fields, CRC-32C, in-place offset and LogAppendTime assignment), record iteration,
//!   splitting a produce request's record set into batches, and a builder for batches this
//!   broker writes itself (and for tests).
//! - [`log`]: per-partition logs on disk — segments with sparse offset and time indexes,
//!   rolling, retention, recovery after an unclean stop, and the log-dir checkpoint files.
//! - [`config`]: `server.properties` — the broker's settings under Kafka's names and defaults.
//! - [`error`]: the error types of both.
//!
//! The network server, request handlers, replication and groups come later (see DESIGN.md).

pub mod config;
pub mod error;
pub mod log;
pub mod record;
