//! Splitting a record set — the `records` bytes of a produce request, or a run of a segment
//! file — into v2 batches.
//!
//! Each batch announces its size in its 12-byte prefix (base offset i64, batch length i32);
//! the set is the concatenation of batches. A set whose last batch is cut short is refused as
//! a whole with [`RecordError::TruncatedBatch`] naming where and by how much (a produce
//! request must not be partly appended). Only framing is checked here; callers validate.

use super::batch::{RecordBatch, HEADER_SIZE, LOG_OVERHEAD};
use super::RecordError;

/// Size of the batch starting at `position` of `set`, checked against what is left.
fn batch_size_at(set: &[u8], position: usize) -> Result<usize, RecordError> {
    let available = set.len().saturating_sub(position);
    let prefix = set.get(position..).unwrap_or_default();
    let length_bytes: [u8; 4] = prefix
        .get(8..LOG_OVERHEAD)
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or(RecordError::TruncatedBatch {
            position,
            needed: LOG_OVERHEAD,
            available,
        })?;
    let batch_length = i32::from_be_bytes(length_bytes);
    let minimum = (HEADER_SIZE - LOG_OVERHEAD) as i32;
    let needed = usize::try_from(batch_length)
        .ok()
        .filter(|_| batch_length >= minimum)
        .and_then(|length| length.checked_add(LOG_OVERHEAD))
        .ok_or(RecordError::BatchTooSmall {
            batch_length,
            minimum,
        })?;
    if needed > available {
        return Err(RecordError::TruncatedBatch {
            position,
            needed,
            available,
        });
    }
    Ok(needed)
}

/// Splits `set` into batch views (framing and magic checked, CRC not).
pub fn split_batches(set: &[u8]) -> Result<Vec<RecordBatch<&[u8]>>, RecordError> {
    let mut batches = Vec::new();
    let mut position = 0;
    while position < set.len() {
        let size = batch_size_at(set, position)?;
        let end = position + size;
        let bytes = set.get(position..end).unwrap_or_default();
        batches.push(RecordBatch::parse(bytes)?);
        position = end;
    }
    Ok(batches)
}

/// Splits `set` into mutable batch views, for offset assignment in place.
pub fn split_batches_mut(set: &mut [u8]) -> Result<Vec<RecordBatch<&mut [u8]>>, RecordError> {
    let mut sizes = Vec::new();
    let mut position = 0;
    while position < set.len() {
        let size = batch_size_at(set, position)?;
        sizes.push(size);
        position += size;
    }
    let mut batches = Vec::with_capacity(sizes.len());
    let mut rest = set;
    for size in sizes {
        let (bytes, tail) = rest
            .split_at_mut_checked(size)
            .ok_or(RecordError::TruncatedBatch {
                position: 0,
                needed: size,
                available: 0,
            })?;
        batches.push(RecordBatch::parse(bytes)?);
        rest = tail;
    }
    Ok(batches)
}
