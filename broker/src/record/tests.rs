//! Tests of batch decoding, validation, in-place rewriting and record-set splitting.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

fn two_record_batch() -> Vec<u8> {
    let mut builder = BatchBuilder::new(1_000);
    builder.record(1_000, Some(b"k1"), Some(b"v1"), &[]);
    builder.record(
        1_005,
        None,
        Some(b"v2"),
        &[(b"h", Some(b"x")), (b"n", None)],
    );
    builder.build()
}

#[test]
fn built_batch_decodes_with_its_header_fields() {
    let bytes = two_record_batch();
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    batch.validate().unwrap();
    let header = batch.header();
    assert_eq!(header.magic, 2);
    assert_eq!(header.records_count, 2);
    assert_eq!(header.last_offset_delta, 1);
    assert_eq!(header.base_timestamp, 1_000);
    assert_eq!(header.max_timestamp, 1_005);
    assert_eq!(header.producer_id, -1);
    assert_eq!(header.compression().unwrap(), Compression::None);
    assert_eq!(header.timestamp_type(), TimestampType::CreateTime);
    assert!(!header.is_transactional());
    assert!(!header.is_control());
    assert_eq!(batch.size_in_bytes(), bytes.len());
    assert_eq!(header.batch_length as usize + 12, bytes.len());

    let records: Vec<_> = batch.records().unwrap().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].key, Some(&b"k1"[..]));
    assert_eq!(records[0].value, Some(&b"v1"[..]));
    assert_eq!(records[1].key, None);
    assert_eq!(records[1].offset_delta, 1);
    assert_eq!(records[1].timestamp_delta, 5);
    assert_eq!(records[1].headers.len(), 2);
    assert_eq!(records[1].headers[0].key, b"h");
    assert_eq!(records[1].headers[0].value, Some(&b"x"[..]));
    assert_eq!(records[1].headers[1].value, None);
}

/// The CRC field is CRC-32C (Castagnoli) over attributes..end, as Kafka's v2 format says.
#[test]
fn crc_is_castagnoli_over_attributes_to_end() {
    let mut builder = BatchBuilder::new(1_700_000_000_000);
    builder.record(1_700_000_000_000, Some(b"key"), Some(b"value"), &[]);
    let ours = builder.build();
    let batch = RecordBatch::parse(ours.as_slice()).unwrap();
    batch.validate().unwrap();
    assert_eq!(batch.header().crc, crc32c::crc32c(&ours[21..]));
    // Known CRC-32C check value, so the crate is the Castagnoli polynomial.
    assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn flipped_byte_fails_the_crc() {
    let mut bytes = two_record_batch();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert!(matches!(
        batch.validate(),
        Err(RecordError::CrcMismatch { .. })
    ));
    assert!(matches!(
        batch.check_integrity(),
        Err(RecordError::CrcMismatch { .. })
    ));
}

#[test]
fn bad_magic_and_lengths_are_refused() {
    let mut bytes = two_record_batch();
    bytes[16] = 1;
    assert_eq!(
        RecordBatch::parse(bytes.as_slice()).unwrap_err(),
        RecordError::UnsupportedMagic { magic: 1 }
    );
    let bytes = two_record_batch();
    assert!(matches!(
        RecordBatch::parse(&bytes[..bytes.len() - 1]),
        Err(RecordError::LengthMismatch { .. })
    ));
    assert!(matches!(
        RecordBatch::parse(&bytes[..20]),
        Err(RecordError::TruncatedBatch { .. })
    ));
}

#[test]
fn count_inconsistent_with_last_offset_delta_is_refused() {
    let mut bytes = two_record_batch();
    bytes[23..27].copy_from_slice(&5i32.to_be_bytes());
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert_eq!(
        batch.validate().unwrap_err(),
        RecordError::RecordCountMismatch {
            count: 2,
            last_offset_delta: 5
        }
    );
    // Recovery's integrity check accepts it (compacted batches look like this).
    batch.check_integrity().unwrap();
}

#[test]
fn negative_count_is_refused() {
    let mut bytes = two_record_batch();
    bytes[57..61].copy_from_slice(&(-1i32).to_be_bytes());
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert_eq!(
        batch.validate().unwrap_err(),
        RecordError::NegativeRecordCount { count: -1 }
    );
}

#[test]
fn malformed_record_inside_a_valid_crc_is_refused() {
    let mut bytes = two_record_batch();
    // The first record's length varint: claim far more bytes than the batch holds.
    bytes[61] = 0x7e;
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert!(matches!(
        batch.validate(),
        Err(RecordError::MalformedRecord { .. })
    ));
}

#[test]
fn compressed_batch_is_accepted_without_decompressing() {
    let mut bytes = two_record_batch();
    // Mark as zstd: the records section is opaque now; only the header is trusted.
    bytes[22] |= 4;
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    batch.validate().unwrap();
    assert_eq!(batch.header().compression().unwrap(), Compression::Zstd);
    assert_eq!(batch.records_count(), 2);
    assert!(matches!(
        batch.records(),
        Err(RecordError::CompressedRecords { codec: "zstd" })
    ));
    bytes[22] |= 7;
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert_eq!(
        batch.validate().unwrap_err(),
        RecordError::UnknownCompression { codec: 7 }
    );
}

#[test]
fn offsets_are_assigned_in_place_and_crc_stays_valid() {
    let mut bytes = two_record_batch();
    let crc_before = bytes[17..21].to_vec();
    let mut batch = RecordBatch::parse(bytes.as_mut_slice()).unwrap();
    batch.assign_offsets(41).unwrap();
    batch.set_partition_leader_epoch(7);
    assert_eq!(batch.base_offset(), 41);
    assert_eq!(batch.last_offset(), 42);
    batch.validate().unwrap();
    assert_eq!(&bytes[0..8], &41i64.to_be_bytes());
    assert_eq!(&bytes[12..16], &7i32.to_be_bytes());
    assert_eq!(bytes[17..21].to_vec(), crc_before);
    assert!(matches!(
        RecordBatch::parse(bytes.as_mut_slice())
            .unwrap()
            .assign_offsets(i64::MAX),
        Err(RecordError::OffsetOverflow { .. })
    ));
}

#[test]
fn log_append_time_rewrites_max_timestamp_type_and_crc() {
    let mut bytes = two_record_batch();
    let crc_before = u32::from_be_bytes(bytes[17..21].try_into().unwrap());
    let mut batch = RecordBatch::parse(bytes.as_mut_slice()).unwrap();
    batch.set_log_append_time(9_999);
    assert_eq!(batch.max_timestamp(), 9_999);
    assert_eq!(
        batch.header().timestamp_type(),
        TimestampType::LogAppendTime
    );
    assert_ne!(batch.header().crc, crc_before);
    batch.validate().unwrap();
    let reread = RecordBatch::parse(bytes.as_slice()).unwrap();
    reread.validate().unwrap();
    assert_eq!(reread.max_timestamp(), 9_999);
    assert_eq!(
        reread.header().timestamp_type(),
        TimestampType::LogAppendTime
    );
    assert_eq!(reread.header().base_timestamp, 1_000);
}

#[test]
fn record_set_splits_into_batches_and_names_a_truncated_tail() {
    let first = two_record_batch();
    let mut builder = BatchBuilder::new(2_000);
    builder.record(2_000, None, Some(b"third"), &[]);
    let second = builder.build();
    let mut set = first.clone();
    set.extend_from_slice(&second);

    let batches = split_batches(&set).unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].as_bytes(), first.as_slice());
    assert_eq!(batches[1].as_bytes(), second.as_slice());
    assert!(split_batches(&[]).unwrap().is_empty());

    let cut = &set[..set.len() - 3];
    assert_eq!(
        split_batches(cut).unwrap_err(),
        RecordError::TruncatedBatch {
            position: first.len(),
            needed: second.len(),
            available: second.len() - 3,
        }
    );
    let cut = &set[..first.len() + 5];
    assert_eq!(
        split_batches(cut).unwrap_err(),
        RecordError::TruncatedBatch {
            position: first.len(),
            needed: 12,
            available: 5
        }
    );

    let mut set_mut = set.clone();
    let mut batches = split_batches_mut(&mut set_mut).unwrap();
    batches[1].assign_offsets(2).unwrap();
    drop(batches);
    assert_eq!(&set_mut[first.len()..first.len() + 8], &2i64.to_be_bytes());
}

#[test]
fn tiny_batch_length_is_refused() {
    let mut set = two_record_batch();
    set[8..12].copy_from_slice(&10i32.to_be_bytes());
    assert!(matches!(
        split_batches(&set),
        Err(RecordError::BatchTooSmall {
            batch_length: 10,
            ..
        })
    ));
    set[8..12].copy_from_slice(&(-5i32).to_be_bytes());
    assert!(matches!(
        split_batches(&set),
        Err(RecordError::BatchTooSmall { .. })
    ));
}

#[test]
fn compressed_batch_with_count_inconsistent_with_its_offsets_is_refused() {
    let mut bytes = two_record_batch();
    bytes[22] |= 1; // gzip: the records section is opaque, the header is still checked
    bytes[57..61].copy_from_slice(&3i32.to_be_bytes());
    let crc = crc32c::crc32c(&bytes[21..]);
    bytes[17..21].copy_from_slice(&crc.to_be_bytes());
    let batch = RecordBatch::parse(bytes.as_slice()).unwrap();
    assert_eq!(
        batch.validate().unwrap_err(),
        RecordError::RecordCountMismatch {
            count: 3,
            last_offset_delta: 1
        }
    );
}
