//! The cleaning itself, outside the storage lock: reading closed segments through the
//! cleaner's own file handles ([`BatchReader`]), indexing the dirty range into an
//! [`OffsetMap`], and filtering each batch ([`filter_batch`]) into `.cleaned` segments.
//!
//! Batch rules (Kafka 3.x's cleaner, v2 batches):
//! - a record survives when its key's latest offset in the map is not above its own (keys
//!   absent from the map — only in the clean part — survive); records without a key are
//!   dropped; a tombstone (null value) is dropped once it has lain in the clean part for
//!   `delete.retention.ms` (below the log's tombstone horizon, see
//!   [`PartitionLog::tombstone_horizon`](crate::log::PartitionLog::tombstone_horizon));
//! - a batch whose records all survive is copied byte for byte;
//! - a batch with some survivors is re-encoded with the same base offset, last offset delta,
//!   base timestamp (the records' timestamp and offset deltas stay valid, so their bytes are
//!   copied), producer id / epoch / base sequence, leader epoch and attributes; its record
//!   count, max timestamp (CreateTime: the survivors' largest) and CRC are recomputed;
//!   compressed batches are decompressed, filtered and recompressed with their own codec;
//! - a batch left without records is dropped, except the last batch of a producer the
//!   partition still tracks, which stays as an empty batch (header only, same offsets and
//!   sequences) so the producer's sequence survives a rebuild of the producer state from the
//!   log, as Kafka keeps it;
//! - control batches are copied unchanged (this broker writes none).

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::offset_map::OffsetMap;
use super::CleanerError;
use crate::record::batch::{HEADER_SIZE, LOG_OVERHEAD};
use crate::record::compression::{compress, uncompressed_section};
use crate::record::{BatchHeader, RecordBatch, TimestampType};

/// Reads whole batches of one segment file sequentially through a buffer, with positional
/// reads on a handle of its own.
pub struct BatchReader<'a> {
    file: &'a File,
    path: &'a Path,
    /// Where the next batch starts.
    position: u64,
    /// The file size the snapshot saw: nothing past it is read.
    end: u64,
    buffer: Vec<u8>,
    /// File position of `buffer[0]`.
    buffer_start: u64,
    chunk: usize,
}

impl<'a> BatchReader<'a> {
    pub fn new(file: &'a File, path: &'a Path, end: u64, chunk: usize) -> Self {
        BatchReader {
            file,
            path,
            position: 0,
            end,
            buffer: Vec::new(),
            buffer_start: 0,
            chunk: chunk.max(HEADER_SIZE),
        }
    }

    /// Makes `buffer` hold `length` bytes from `position`.
    fn fill(&mut self, position: u64, length: usize) -> Result<(), CleanerError> {
        let buffered_end = self.buffer_start + self.buffer.len() as u64;
        if position >= self.buffer_start && position + length as u64 <= buffered_end {
            return Ok(());
        }
        let left = usize::try_from(self.end - position).unwrap_or(usize::MAX);
        let read = length.max(self.chunk).min(left);
        self.buffer.resize(read, 0);
        self.file
            .read_exact_at(&mut self.buffer, position)
            .map_err(|source| CleanerError::Io {
                action: "read",
                path: self.path.to_path_buf(),
                source,
            })?;
        self.buffer_start = position;
        Ok(())
    }

    /// The next batch: its file position and bytes. `None` at the snapshot's end.
    pub fn next_batch(&mut self) -> Result<Option<(u64, &[u8])>, CleanerError> {
        let position = self.position;
        if position >= self.end {
            return Ok(None);
        }
        let torn = || CleanerError::Corrupt {
            path: self.path.to_path_buf(),
            position,
        };
        if self.end - position < HEADER_SIZE as u64 {
            return Err(torn());
        }
        self.fill(position, HEADER_SIZE)?;
        let at = usize::try_from(position - self.buffer_start).unwrap_or(usize::MAX);
        let length_bytes: [u8; 4] = self
            .buffer
            .get(at + 8..at + LOG_OVERHEAD)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(torn)?;
        let size = usize::try_from(i32::from_be_bytes(length_bytes))
            .ok()
            .and_then(|length| length.checked_add(LOG_OVERHEAD))
            .filter(|size| *size >= HEADER_SIZE && position + *size as u64 <= self.end)
            .ok_or_else(torn)?;
        self.fill(position, size)?;
        let at = usize::try_from(position - self.buffer_start).unwrap_or(usize::MAX);
        self.position = position + size as u64;
        let bytes = self.buffer.get(at..at + size).ok_or_else(torn)?;
        Ok(Some((position, bytes)))
    }
}

/// What decides a record's fate in one source segment.
pub struct RetainRules<'a> {
    pub map: &'a OffsetMap,
    /// Tombstones below this offset have been clean for `delete.retention.ms`: they go.
    pub tombstone_horizon: i64,
    /// Producer id → last offset of its last batch in the log.
    pub producer_last_offsets: &'a HashMap<i64, i64>,
}

/// Counters of one cleaning pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CleanStats {
    /// Bytes of the dirty range indexed into the offset map.
    pub dirty_bytes: u64,
    /// Bytes of the segments rewritten (clean and dirty parts).
    pub bytes_read: u64,
    pub bytes_written: u64,
    pub records_read: u64,
    pub records_kept: u64,
    pub tombstones_dropped: u64,
    pub keyless_dropped: u64,
    /// Batches kept empty for their producer.
    pub empty_batches_kept: u64,
}

/// Appends what survives of `batch` (one stored batch) to `out` (see the module doc).
pub fn filter_batch(
    batch: &[u8],
    rules: &RetainRules<'_>,
    out: &mut Vec<u8>,
    stats: &mut CleanStats,
) -> Result<(), CleanerError> {
    let parsed = RecordBatch::parse(batch)?;
    let header = *parsed.header();
    if header.is_control() {
        out.extend_from_slice(batch);
        return Ok(());
    }
    let codec = header.compression()?;
    let section = uncompressed_section(&parsed)?;
    let raw = section.as_slice();
    let mut records = section.records(header.records_count);
    let mut kept_spans: Vec<(usize, usize)> = Vec::new();
    let mut total: i32 = 0;
    let mut max_timestamp = i64::MIN;
    loop {
        let start = records.position();
        let Some(record) = records.next() else {
            break;
        };
        let record = record?;
        total = total.saturating_add(1);
        stats.records_read += 1;
        let offset = header
            .base_offset
            .saturating_add(i64::from(record.offset_delta));
        let Some(key) = record.key else {
            stats.keyless_dropped += 1;
            continue;
        };
        if rules.map.get(key).is_some_and(|latest| offset < latest) {
            continue;
        }
        if record.value.is_none() && offset < rules.tombstone_horizon {
            stats.tombstones_dropped += 1;
            continue;
        }
        kept_spans.push((start, records.position()));
        max_timestamp =
            max_timestamp.max(header.base_timestamp.saturating_add(record.timestamp_delta));
    }
    let kept = i32::try_from(kept_spans.len()).unwrap_or(i32::MAX);
    stats.records_kept += kept_spans.len() as u64;
    if kept == total && kept == header.records_count {
        out.extend_from_slice(batch);
        return Ok(());
    }
    if header.timestamp_type() == TimestampType::LogAppendTime || kept == 0 {
        max_timestamp = header.max_timestamp;
    }
    if kept == 0 {
        let last_of_producer = header.producer_id >= 0
            && rules.producer_last_offsets.get(&header.producer_id) == Some(&header.last_offset());
        if last_of_producer {
            stats.empty_batches_kept += 1;
            header.write_with_records(out, 0, max_timestamp, &[]);
        }
        return Ok(());
    }
    let mut survivors = Vec::with_capacity(raw.len());
    for (start, end) in kept_spans {
        survivors.extend_from_slice(raw.get(start..end).unwrap_or_default());
    }
    let stored = compress(codec, &survivors)?;
    header.write_with_records(out, kept, max_timestamp, &stored);
    Ok(())
}

/// The headers of the batches laid end to end in `bytes` (output the cleaner built itself).
pub fn headers_of(bytes: &[u8]) -> Vec<BatchHeader> {
    let mut headers = Vec::new();
    let mut position = 0usize;
    while let Some(header) = bytes.get(position..).and_then(BatchHeader::decode) {
        let Some(size) = header.size_in_bytes() else {
            break;
        };
        headers.push(header);
        position += size;
    }
    headers
}

/// Removes `paths`, ignoring those already gone (cleanup after an aborted pass).
pub fn remove_all(paths: &[PathBuf]) {
    for path in paths {
        if let Err(error) = std::fs::remove_file(path) {
            if error.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(file = %path.display(), %error, "could not remove cleaner output");
            }
        }
    }
}
