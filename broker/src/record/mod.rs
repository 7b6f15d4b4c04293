//! Record batches (Kafka message format v2, "magic 2").
//!
//! Batches travel as bytes from the producer's request to disk to the consumer: only the log
//! cleaner re-encodes a stored batch ([`BatchHeader::write_with_records`]). It offers
//! - [`batch`]: [`RecordBatch`], a checked view over one batch's bytes — header fields,
//!   validation, in-place offset / LogAppendTime / leader-epoch assignment, record iteration;
//! - [`records`]: splitting a record set (a produce request's `records` field) into batches;
//! - [`varint`]: the zig-zag varints used inside records;
//! - [`builder`]: [`BatchBuilder`], encoding uncompressed batches (control and internal
//!   batches later, test fixtures now);
//! - [`compression`]: the records section of compressed batches, decompressed and
//!   recompressed (compacted topics' key check, the log cleaner);
//! - [`error`] — [`RecordError`].

pub mod batch;
pub mod builder;
pub mod compression;
pub mod error;
pub mod records;
pub mod varint;

pub use batch::{
    BatchHeader, Compression, Record, RecordBatch, RecordHeader, StoredHeader, TimestampType,
};
pub use builder::BatchBuilder;
pub use error::RecordError;
pub use records::{split_batches, split_batches_mut};

#[cfg(test)]
mod tests;
