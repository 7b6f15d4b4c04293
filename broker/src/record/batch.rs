//! [`RecordBatch`]: a checked view over the bytes of one v2 record batch.
//!
//! Byte layout (big-endian), offsets from the start of the batch:
//! ```text
//!  0 base_offset            i64   assigned by the broker (not covered by the CRC)
//!  8 batch_length           i32   bytes after this field (total size - 12)
//! 12 partition_leader_epoch i32   set by the leader (not covered by the CRC)
//! 16 magic                  i8    2
//! 17 crc                    u32   CRC-32C over bytes 21..end
//! 21 attributes             i16   bits 0-2 codec, 3 timestamp type, 4 transactional, 5 control
//! 23 last_offset_delta      i32
//! 27 base_timestamp         i64
//! 35 max_timestamp          i64
//! 43 producer_id            i64
//! 51 producer_epoch         i16
//! 53 base_sequence          i32
//! 57 records_count          i32
//! 61 records...             (compressed as a whole when the codec is not none)
//! ```
//! A record (uncompressed) is: length varint, attributes i8, timestamp_delta varlong,
//! offset_delta varint, key length varint + key (-1 = null), value length varint + value,
//! header count varint, then per header key length varint + key, value length varint + value.
//!
//! The header is decoded once by [`RecordBatch::parse`], which also checks that the buffer
//! holds exactly one batch; the mutators rewrite both the bytes and the decoded header.
//! Rewriting the max timestamp or the attributes changes the CRC, which is recomputed;
//! the base offset and the leader epoch sit outside the CRC.

use super::varint::{read_varint, read_varlong};
use super::RecordError;

/// Bytes before the batch length field counts from: base offset + batch length.
pub const LOG_OVERHEAD: usize = 12;
/// Size of a v2 batch header, records excluded.
pub const HEADER_SIZE: usize = 61;
/// The only message format this broker stores.
pub const MAGIC: i8 = 2;

const BASE_OFFSET: usize = 0;
const BATCH_LENGTH: usize = 8;
const PARTITION_LEADER_EPOCH: usize = 12;
const MAGIC_AT: usize = 16;
const CRC: usize = 17;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const BASE_TIMESTAMP: usize = 27;
const MAX_TIMESTAMP: usize = 35;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORDS_COUNT: usize = 57;

const COMPRESSION_MASK: i16 = 0x07;
const TIMESTAMP_TYPE_BIT: i16 = 0x08;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;

/// Compression codec of a batch (attribute bits 0-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    pub fn from_attributes(attributes: i16) -> Result<Self, RecordError> {
        match attributes & COMPRESSION_MASK {
            0 => Ok(Compression::None),
            1 => Ok(Compression::Gzip),
            2 => Ok(Compression::Snappy),
            3 => Ok(Compression::Lz4),
            4 => Ok(Compression::Zstd),
            other => Err(RecordError::UnknownCompression { codec: other as u8 }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }

    /// The attribute bits of this codec.
    pub fn code(self) -> i16 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }
}

/// Meaning of a batch's timestamps (attribute bit 3), and the topic's
/// `message.timestamp.type` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    /// Timestamps are the producer's.
    CreateTime,
    /// The broker stamps each batch with its append time (max timestamp field).
    LogAppendTime,
}

/// The decoded 61-byte header of a v2 batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

impl BatchHeader {
    /// Decodes a header from the first [`HEADER_SIZE`] bytes of `bytes`; `None` if shorter.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        Some(BatchHeader {
            base_offset: i64::from_be_bytes(array(bytes, BASE_OFFSET)?),
            batch_length: i32::from_be_bytes(array(bytes, BATCH_LENGTH)?),
            partition_leader_epoch: i32::from_be_bytes(array(bytes, PARTITION_LEADER_EPOCH)?),
            magic: i8::from_be_bytes(array(bytes, MAGIC_AT)?),
            crc: u32::from_be_bytes(array(bytes, CRC)?),
            attributes: i16::from_be_bytes(array(bytes, ATTRIBUTES)?),
            last_offset_delta: i32::from_be_bytes(array(bytes, LAST_OFFSET_DELTA)?),
            base_timestamp: i64::from_be_bytes(array(bytes, BASE_TIMESTAMP)?),
            max_timestamp: i64::from_be_bytes(array(bytes, MAX_TIMESTAMP)?),
            producer_id: i64::from_be_bytes(array(bytes, PRODUCER_ID)?),
            producer_epoch: i16::from_be_bytes(array(bytes, PRODUCER_EPOCH)?),
            base_sequence: i32::from_be_bytes(array(bytes, BASE_SEQUENCE)?),
            records_count: i32::from_be_bytes(array(bytes, RECORDS_COUNT)?),
        })
    }

    /// Total size of the batch in bytes (12 + batch length); `None` if the length is negative.
    pub fn size_in_bytes(&self) -> Option<usize> {
        usize::try_from(self.batch_length)
            .ok()?
            .checked_add(LOG_OVERHEAD)
    }

    /// Offset of the last record (base offset + last offset delta, saturating).
    pub fn last_offset(&self) -> i64 {
        self.base_offset
            .saturating_add(i64::from(self.last_offset_delta))
    }

    pub fn compression(&self) -> Result<Compression, RecordError> {
        Compression::from_attributes(self.attributes)
    }

    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_BIT != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }
}

impl BatchHeader {
    /// Appends to `out` a batch with this header's fields except `records_count`,
    /// `max_timestamp`, the length and the CRC, which follow from the arguments: `records`
    /// is the records section as stored (already compressed when the codec is not none).
    /// Used to rewrite a batch the cleaner filtered, keeping its base offset, last offset
    /// delta, producer fields and leader epoch.
    pub fn write_with_records(
        &self,
        out: &mut Vec<u8>,
        records_count: i32,
        max_timestamp: i64,
        records: &[u8],
    ) {
        let start = out.len();
        let batch_length =
            i32::try_from(HEADER_SIZE - LOG_OVERHEAD + records.len()).unwrap_or(i32::MAX);
        out.reserve(HEADER_SIZE + records.len());
        out.extend_from_slice(&self.base_offset.to_be_bytes());
        out.extend_from_slice(&batch_length.to_be_bytes());
        out.extend_from_slice(&self.partition_leader_epoch.to_be_bytes());
        out.extend_from_slice(&self.magic.to_be_bytes());
        let crc_at = out.len();
        out.extend_from_slice(&0u32.to_be_bytes());
        let crc_from = out.len();
        out.extend_from_slice(&self.attributes.to_be_bytes());
        out.extend_from_slice(&self.last_offset_delta.to_be_bytes());
        out.extend_from_slice(&self.base_timestamp.to_be_bytes());
        out.extend_from_slice(&max_timestamp.to_be_bytes());
        out.extend_from_slice(&self.producer_id.to_be_bytes());
        out.extend_from_slice(&self.producer_epoch.to_be_bytes());
        out.extend_from_slice(&self.base_sequence.to_be_bytes());
        out.extend_from_slice(&records_count.to_be_bytes());
        out.extend_from_slice(records);
        let crc = crc32c::crc32c(out.get(crc_from..).unwrap_or_default());
        debug_assert_eq!(crc_at, start + CRC);
        put(out, crc_at, &crc.to_be_bytes());
    }
}

/// `N` bytes of `bytes` at `at`, or `None` when out of range.
fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Overwrites `src.len()` bytes at `at`; out-of-range writes are ignored (callers write only
/// header fields of a buffer [`RecordBatch::parse`] measured).
fn put(bytes: &mut [u8], at: usize, src: &[u8]) {
    if let Some(dst) = at
        .checked_add(src.len())
        .and_then(|end| bytes.get_mut(at..end))
    {
        dst.copy_from_slice(src);
    }
}

/// One v2 batch: bytes `B` (borrowed or owned) holding exactly one batch, plus its decoded
/// header. Mutators are available when the bytes are mutable.
#[derive(Debug, Clone)]
pub struct RecordBatch<B> {
    bytes: B,
    header: BatchHeader,
}

impl<B: AsRef<[u8]>> RecordBatch<B> {
    /// Decodes the header and checks the framing: magic 2, batch length at least a header,
    /// and the buffer exactly as long as the batch. Does not check the CRC or the records:
    /// see [`validate`](Self::validate) and [`check_integrity`](Self::check_integrity).
    pub fn parse(bytes: B) -> Result<Self, RecordError> {
        let buf = bytes.as_ref();
        let header = BatchHeader::decode(buf).ok_or(RecordError::TruncatedBatch {
            position: 0,
            needed: HEADER_SIZE,
            available: buf.len(),
        })?;
        let minimum = (HEADER_SIZE - LOG_OVERHEAD) as i32;
        if header.batch_length < minimum {
            return Err(RecordError::BatchTooSmall {
                batch_length: header.batch_length,
                minimum,
            });
        }
        if header.size_in_bytes() != Some(buf.len()) {
            return Err(RecordError::LengthMismatch {
                batch_length: header.batch_length,
                buffer_len: buf.len(),
            });
        }
        if header.magic != MAGIC {
            return Err(RecordError::UnsupportedMagic {
                magic: header.magic,
            });
        }
        Ok(RecordBatch { bytes, header })
    }

    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.as_ref()
    }

    pub fn into_bytes(self) -> B {
        self.bytes
    }

    pub fn size_in_bytes(&self) -> usize {
        self.bytes.as_ref().len()
    }

    pub fn base_offset(&self) -> i64 {
        self.header.base_offset
    }

    pub fn last_offset(&self) -> i64 {
        self.header.last_offset()
    }

    /// Offset the next batch after this one starts at.
    pub fn next_offset(&self) -> i64 {
        self.header.last_offset().saturating_add(1)
    }

    pub fn max_timestamp(&self) -> i64 {
        self.header.max_timestamp
    }

    pub fn records_count(&self) -> i32 {
        self.header.records_count
    }

    /// The CRC-32C of bytes 21..end as they are now.
    pub fn compute_crc(&self) -> u32 {
        crc32c::crc32c(self.bytes.as_ref().get(ATTRIBUTES..).unwrap_or_default())
    }

    /// What recovery checks of a stored batch: framing (done by `parse`), CRC, known codec,
    /// non-negative counts. Compacted batches may hold fewer records than their offset span,
    /// so count and delta are not compared here.
    pub fn check_integrity(&self) -> Result<(), RecordError> {
        let computed = self.compute_crc();
        if computed != self.header.crc {
            return Err(RecordError::CrcMismatch {
                stored: self.header.crc,
                computed,
            });
        }
        self.header.compression()?;
        if self.header.records_count < 0 {
            return Err(RecordError::NegativeRecordCount {
                count: self.header.records_count,
            });
        }
        if self.header.last_offset_delta < 0 {
            return Err(RecordError::NegativeLastOffsetDelta {
                last_offset_delta: self.header.last_offset_delta,
            });
        }
        Ok(())
    }

    /// Full validation of a batch a producer sent: [`check_integrity`](Self::check_integrity),
    /// a record count equal to last offset delta + 1 (Kafka's LogValidator checks this for
    /// every batch, compressed or not), then for uncompressed batches a records section that
    /// decodes into exactly that many records with offset deltas 0, 1, 2, … The records of
    /// compressed batches are not decompressed (they are stored as they came).
    pub fn validate(&self) -> Result<(), RecordError> {
        self.check_integrity()?;
        let count = self.header.records_count;
        let last_offset_delta = self.header.last_offset_delta;
        if i64::from(count) != i64::from(last_offset_delta) + 1 {
            return Err(RecordError::RecordCountMismatch {
                count,
                last_offset_delta,
            });
        }
        if self.header.compression()? != Compression::None {
            return Ok(());
        }
        let mut records = self.records()?;
        let mut found: i32 = 0;
        for record in records.by_ref() {
            let record = record?;
            if record.offset_delta != found {
                return Err(RecordError::OffsetDeltaMismatch {
                    index: found,
                    offset_delta: record.offset_delta,
                });
            }
            found = found.saturating_add(1);
        }
        let trailing = records.remaining();
        if found != count || trailing != 0 {
            return Err(RecordError::RecordsSectionMismatch {
                declared: count,
                found,
                trailing,
            });
        }
        Ok(())
    }

    /// The bytes after the header: the records, compressed as a whole unless the codec is
    /// none.
    pub fn records_section(&self) -> &[u8] {
        self.bytes.as_ref().get(HEADER_SIZE..).unwrap_or_default()
    }

    /// Iterates the records of an uncompressed batch. Yields at most `records_count` records
    /// and stops at the first one that does not decode (yielding its error).
    pub fn records(&self) -> Result<RecordIter<'_>, RecordError> {
        let compression = self.header.compression()?;
        if compression != Compression::None {
            return Err(RecordError::CompressedRecords {
                codec: compression.name(),
            });
        }
        Ok(RecordIter {
            bytes: self.bytes.as_ref(),
            position: HEADER_SIZE,
            index: 0,
            count: self.header.records_count,
            failed: false,
        })
    }
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> RecordBatch<B> {
    /// Writes `base_offset` into the batch. The CRC does not cover it, so it stays valid.
    pub fn assign_offsets(&mut self, base_offset: i64) -> Result<(), RecordError> {
        self.patch(|stored, _| stored.assign_offsets(base_offset))
    }

    /// Writes the leader epoch of the partition at append time (outside the CRC).
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        self.patch(|stored, _| stored.set_partition_leader_epoch(epoch));
    }

    /// See [`StoredHeader::set_log_append_time`].
    pub fn set_log_append_time(&mut self, timestamp: i64) {
        self.patch(|stored, records| stored.set_log_append_time(timestamp, records));
    }

    /// Applies `change` to a copy of the header, then writes the copy back (unchanged when
    /// `change` refused).
    fn patch<T>(&mut self, change: impl FnOnce(&mut StoredHeader, &[u8]) -> T) -> T {
        let mut stored = StoredHeader::copy_of(self);
        let outcome = change(&mut stored, self.records_section());
        put(self.bytes.as_mut(), 0, stored.as_bytes());
        self.header = *stored.header();
        outcome
    }
}

/// A batch's header copied out of the batch, to be changed at append (offsets, leader
/// epoch, LogAppendTime) and stored in front of the untouched records: a produce request's
/// records are written to the log without being copied first.
#[derive(Debug, Clone)]
pub struct StoredHeader {
    bytes: [u8; HEADER_SIZE],
    header: BatchHeader,
}

impl StoredHeader {
    pub fn copy_of<B: AsRef<[u8]>>(batch: &RecordBatch<B>) -> Self {
        let mut bytes = [0u8; HEADER_SIZE];
        if let Some(head) = batch.as_bytes().get(..HEADER_SIZE) {
            bytes.copy_from_slice(head);
        }
        StoredHeader {
            bytes,
            header: batch.header,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn header(&self) -> &BatchHeader {
        &self.header
    }

    /// Sets the base offset. The CRC does not cover it, so it stays valid.
    pub fn assign_offsets(&mut self, base_offset: i64) -> Result<(), RecordError> {
        if base_offset
            .checked_add(i64::from(self.header.last_offset_delta))
            .is_none()
        {
            return Err(RecordError::OffsetOverflow {
                base_offset,
                last_offset_delta: self.header.last_offset_delta,
            });
        }
        put(&mut self.bytes, BASE_OFFSET, &base_offset.to_be_bytes());
        self.header.base_offset = base_offset;
        Ok(())
    }

    /// Sets the leader epoch of the partition at append time (outside the CRC).
    pub fn set_partition_leader_epoch(&mut self, epoch: i32) {
        put(
            &mut self.bytes,
            PARTITION_LEADER_EPOCH,
            &epoch.to_be_bytes(),
        );
        self.header.partition_leader_epoch = epoch;
    }

    /// Marks the batch as LogAppendTime with `timestamp` as its max timestamp and recomputes
    /// the CRC over the header's covered part and `records` (the batch's bytes after the
    /// header; both fields are covered). Record timestamp deltas are left as sent: readers
    /// of a LogAppendTime batch use the max timestamp for every record.
    pub fn set_log_append_time(&mut self, timestamp: i64, records: &[u8]) {
        let attributes = self.header.attributes | TIMESTAMP_TYPE_BIT;
        if attributes == self.header.attributes && timestamp == self.header.max_timestamp {
            return;
        }
        put(&mut self.bytes, ATTRIBUTES, &attributes.to_be_bytes());
        put(&mut self.bytes, MAX_TIMESTAMP, &timestamp.to_be_bytes());
        self.header.attributes = attributes;
        self.header.max_timestamp = timestamp;
        let covered = self.bytes.get(ATTRIBUTES..).unwrap_or_default();
        let crc = crc32c::crc32c_append(crc32c::crc32c(covered), records);
        put(&mut self.bytes, CRC, &crc.to_be_bytes());
        self.header.crc = crc;
    }
}

/// One header of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader<'a> {
    pub key: &'a [u8],
    pub value: Option<&'a [u8]>,
}

/// One decoded record of an uncompressed batch, borrowing the batch's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    pub attributes: i8,
    pub timestamp_delta: i64,
    pub offset_delta: i32,
    pub key: Option<&'a [u8]>,
    pub value: Option<&'a [u8]>,
    pub headers: Vec<RecordHeader<'a>>,
}

/// Iterator over the records of an uncompressed batch (see [`RecordBatch::records`]).
pub struct RecordIter<'a> {
    bytes: &'a [u8],
    position: usize,
    index: i32,
    count: i32,
    failed: bool,
}

impl<'a> RecordIter<'a> {
    /// Iterates up to `count` records laid end to end in `section`: the records section of
    /// a batch, decompressed if it was compressed (positions are then section positions).
    pub fn over_section(section: &'a [u8], count: i32) -> RecordIter<'a> {
        RecordIter {
            bytes: section,
            position: 0,
            index: 0,
            count,
            failed: false,
        }
    }

    /// Bytes of the batch after the last record read.
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    /// Position (in the iterated buffer) where the next record starts: with the position
    /// before a `next`, the span of the record it returned.
    pub fn position(&self) -> usize {
        self.position
    }

    fn decode_one(&mut self) -> Result<Record<'a>, RecordError> {
        let start = self.position;
        let index = self.index;
        let malformed = |reason| RecordError::MalformedRecord {
            index,
            position: start,
            reason,
        };
        let mut position = start;
        let length = read_varint(self.bytes, &mut position)?;
        let length = usize::try_from(length).map_err(|_| malformed("negative record length"))?;
        let end = position
            .checked_add(length)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| malformed("record length runs past the batch"))?;
        let body = self
            .bytes
            .get(..end)
            .ok_or_else(|| malformed("record out of range"))?;

        let attributes = i8::from_be_bytes(
            array(body, position).ok_or_else(|| malformed("missing attributes"))?,
        );
        position += 1;
        let timestamp_delta = read_varlong(body, &mut position)?;
        let offset_delta = read_varint(body, &mut position)?;
        let key = read_bytes(body, &mut position).ok_or_else(|| malformed("bad key"))?;
        let value = read_bytes(body, &mut position).ok_or_else(|| malformed("bad value"))?;
        let header_count = read_varint(body, &mut position)?;
        let header_count =
            usize::try_from(header_count).map_err(|_| malformed("negative header count"))?;
        // Each header takes at least two bytes: bound the allocation by what is left.
        let mut headers = Vec::with_capacity(header_count.min(end.saturating_sub(position) / 2));
        for _ in 0..header_count {
            let key = read_bytes(body, &mut position)
                .ok_or_else(|| malformed("bad header key"))?
                .ok_or_else(|| malformed("null header key"))?;
            let value =
                read_bytes(body, &mut position).ok_or_else(|| malformed("bad header value"))?;
            headers.push(RecordHeader { key, value });
        }
        if position != end {
            return Err(malformed("record length disagrees with its fields"));
        }
        self.position = end;
        Ok(Record {
            attributes,
            timestamp_delta,
            offset_delta,
            key,
            value,
            headers,
        })
    }
}

/// Reads a varint-length-prefixed byte string (-1 = null). Outer `None` = malformed.
fn read_bytes<'a>(buf: &'a [u8], position: &mut usize) -> Option<Option<&'a [u8]>> {
    let length = read_varint(buf, position).ok()?;
    if length == -1 {
        return Some(None);
    }
    let length = usize::try_from(length).ok()?;
    let end = position.checked_add(length)?;
    let bytes = buf.get(*position..end)?;
    *position = end;
    Some(Some(bytes))
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Result<Record<'a>, RecordError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.index >= self.count || self.position >= self.bytes.len() {
            return None;
        }
        let result = self.decode_one();
        self.failed = result.is_err();
        self.index = self.index.saturating_add(1);
        Some(result)
    }
}
