//! [`RecordError`]: why a record batch or a record set was refused.
//!
//! Positions are byte offsets within the buffer that was being decoded (the record set for
//! splitting, the batch for record iteration).

/// A record batch, record or record set that does not decode or validate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The record set ends inside a batch: its 12-byte prefix or its declared length runs past
    /// the end of the buffer.
    #[error("truncated batch at position {position}: needs {needed} bytes, {available} left")]
    TruncatedBatch {
        position: usize,
        needed: usize,
        available: usize,
    },
    /// The batch length field is smaller than a v2 batch header.
    #[error("batch length {batch_length} is below the v2 minimum {minimum}")]
    BatchTooSmall { batch_length: i32, minimum: i32 },
    /// The batch length field disagrees with the size of the buffer holding the batch.
    #[error("batch length {batch_length} does not match the {buffer_len}-byte buffer")]
    LengthMismatch {
        batch_length: i32,
        buffer_len: usize,
    },
    /// Only message format v2 is stored.
    #[error("unsupported magic {magic} (only 2 is accepted)")]
    UnsupportedMagic { magic: i8 },
    /// The CRC-32C over attributes..end differs from the stored one.
    #[error("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    CrcMismatch { stored: u32, computed: u32 },
    /// The compression codec bits name no known codec.
    #[error("unknown compression codec {codec}")]
    UnknownCompression { codec: u8 },
    #[error("negative record count {count}")]
    NegativeRecordCount { count: i32 },
    #[error("negative last offset delta {last_offset_delta}")]
    NegativeLastOffsetDelta { last_offset_delta: i32 },
    /// An uncompressed batch whose record count is not last offset delta + 1.
    #[error("record count {count} inconsistent with last offset delta {last_offset_delta}")]
    RecordCountMismatch { count: i32, last_offset_delta: i32 },
    /// Records of a compressed batch cannot be iterated without decompressing.
    #[error("records of a {codec}-compressed batch cannot be iterated")]
    CompressedRecords { codec: &'static str },
    /// A record inside the batch does not decode.
    #[error("record {index} at batch position {position}: {reason}")]
    MalformedRecord {
        index: i32,
        position: usize,
        reason: &'static str,
    },
    /// A record's offset delta is not its index in the batch.
    #[error("record {index} has offset delta {offset_delta}")]
    OffsetDeltaMismatch { index: i32, offset_delta: i32 },
    /// The records section holds a different number of records than the header says, or
    /// bytes after the last record.
    #[error("records section: header says {declared} records, found {found} and {trailing} trailing bytes")]
    RecordsSectionMismatch {
        declared: i32,
        found: i32,
        trailing: usize,
    },
    /// A varint ran past its maximum width or the end of the buffer.
    #[error("malformed varint at position {position}")]
    MalformedVarint { position: usize },
    /// Assigning offsets would overflow the 64-bit offset space.
    #[error("offset overflow: base {base_offset} + last offset delta {last_offset_delta}")]
    OffsetOverflow {
        base_offset: i64,
        last_offset_delta: i32,
    },
    /// A compressed records section that does not decompress, or records that do not
    /// compress (the codec library's reason).
    #[error("{codec} {action} failed: {reason}")]
    Compression {
        codec: &'static str,
        action: &'static str,
        reason: String,
    },
}
