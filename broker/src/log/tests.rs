//! Partition log and log-dir tests on temp dirs: reads, rolling, retention, recovery,
//! checkpoints and the clean-shutdown marker. Time comes from a [`ManualClock`].

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::Path;
use std::sync::Arc;

use super::*;
use crate::record::{split_batches, BatchBuilder, RecordBatch, TimestampType};

const T0: i64 = 1_700_000_000_000;

/// One uncompressed batch of `records` records, 50-byte values, timestamps from `timestamp`.
fn batch(timestamp: i64, records: usize) -> Vec<u8> {
    let mut builder = BatchBuilder::new(timestamp);
    for index in 0..records {
        builder.record(
            timestamp + index as i64,
            Some(b"key"),
            Some(&[index as u8; 50]),
            &[],
        );
    }
    builder.build()
}

fn open(
    dir: &Path,
    config: LogConfig,
    shutdown: Shutdown,
    clock: &Arc<ManualClock>,
) -> PartitionLog {
    let start = LogStart {
        shutdown,
        recovery_point: 0,
        log_start_offset: 0,
    };
    PartitionLog::open(dir, config, start, clock.clone()).unwrap()
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(T0))
}

/// (base, last) offsets of every batch in `bytes`.
fn offsets(bytes: &[u8]) -> Vec<(i64, i64)> {
    split_batches(bytes)
        .unwrap()
        .iter()
        .map(|batch| {
            batch.validate().unwrap();
            (batch.base_offset(), batch.last_offset())
        })
        .collect()
}

/// A log of ten 3-record batches (offsets 0..30) spread over several segments.
fn ten_batches(dir: &Path, clock: &Arc<ManualClock>) -> (PartitionLog, usize) {
    let config = LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 200,
        ..LogConfig::default()
    };
    let mut log = open(dir, config, Shutdown::Clean, clock);
    let mut size = 0;
    for step in 0..10 {
        let bytes = batch(T0 + step * 100, 3);
        size = bytes.len();
        let info = log.append(&bytes, TimestampType::CreateTime).unwrap();
        assert_eq!(
            (info.first_offset, info.last_offset),
            (step * 3, step * 3 + 2)
        );
    }
    (log, size)
}

#[test]
fn reads_return_whole_batches_at_every_offset() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, batch_size) = ten_batches(dir.path(), &clock);
    assert!(log.segment_base_offsets().len() > 2);
    assert_eq!(log.log_end_offset(), 30);
    for offset in 0..30 {
        let read = log.read(offset, batch_size).unwrap();
        let first = offset / 3 * 3;
        assert_eq!(
            offsets(&read.records),
            vec![(first, first + 2)],
            "offset {offset}"
        );
        // Tiny max_bytes: still the whole first batch.
        let read = log.read(offset, 1).unwrap();
        assert_eq!(offsets(&read.records), vec![(first, first + 2)]);
    }
    // A large read crosses segment boundaries: every batch of the log, in order.
    let read = log.read(0, 1 << 20).unwrap();
    let expected: Vec<(i64, i64)> = (0..10).map(|batch| (batch * 3, batch * 3 + 2)).collect();
    assert_eq!(offsets(&read.records), expected);
    // Across a boundary the byte limit still holds: five batches, no more.
    let read = log.read(0, 5 * batch_size + batch_size / 2).unwrap();
    assert_eq!(offsets(&read.records), expected[..5].to_vec());
    // Two batches fit exactly.
    assert_eq!(
        offsets(&log.read(3, 2 * batch_size).unwrap().records),
        vec![(3, 5), (6, 8)]
    );
    assert_eq!(
        offsets(&log.read(3, 2 * batch_size - 1).unwrap().records),
        vec![(3, 5)]
    );
    // At the log end: nothing; beyond: out of range.
    assert!(log.read(30, 1000).unwrap().records.is_empty());
    assert!(matches!(
        log.read(31, 1000),
        Err(LogError::OffsetOutOfRange {
            requested: 31,
            log_start_offset: 0,
            log_end_offset: 30
        })
    ));
    assert!(matches!(
        log.read(-1, 1000),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // Lookup by timestamp: batch k holds T0 + 100k .. +2.
    assert_eq!(
        log.find_offset_by_timestamp(T0 + 401).unwrap(),
        Some((13, T0 + 401))
    );
    assert_eq!(
        log.find_offset_by_timestamp(T0 + 403).unwrap(),
        Some((15, T0 + 500))
    );
    assert_eq!(log.find_offset_by_timestamp(T0 + 10_000).unwrap(), None);
}

#[test]
fn segments_roll_by_size_and_are_named_by_base_offset() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, batch_size) = ten_batches(dir.path(), &clock);
    let per_segment = 1_000 / batch_size;
    let bases = log.segment_base_offsets();
    let expected: Vec<i64> = (0..10)
        .step_by(per_segment)
        .map(|batch| batch as i64 * 3)
        .collect();
    assert_eq!(bases, expected);
    for segment in log.segments() {
        assert!(segment.size() <= 1_000);
    }
    let second = format!("{:020}", bases[1]);
    for extension in ["log", "index", "timeindex"] {
        assert!(dir.path().join(format!("{second}.{extension}")).exists());
    }
    // Rolled segments have trimmed indexes; the active one is preallocated.
    let first_index = std::fs::metadata(dir.path().join("00000000000000000000.index"))
        .unwrap()
        .len();
    assert_eq!(first_index % 8, 0);
    assert!(first_index < 10_485_760);
    let active = format!("{:020}.index", bases.last().unwrap());
    assert_eq!(
        std::fs::metadata(dir.path().join(active)).unwrap().len(),
        10_485_760
    );
}

#[test]
fn segments_roll_by_time_with_an_injected_clock() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let config = LogConfig {
        segment_ms: 60_000,
        ..LogConfig::default()
    };
    let mut log = open(dir.path(), config, Shutdown::Clean, &clock);
    log.append(&batch(T0, 1), TimestampType::CreateTime)
        .unwrap();
    clock.advance(60_000);
    log.append(&batch(T0 + 60_000, 1), TimestampType::CreateTime)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0]);
    clock.advance(1);
    log.append(&batch(T0 + 60_001, 1), TimestampType::CreateTime)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 2]);
    // An explicit roll of a non-empty segment, then of an empty one (no-op).
    log.roll().unwrap();
    log.roll().unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 2, 3]);
}

#[test]
fn log_append_time_stamps_batches_and_keeps_crcs_valid() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    clock.set(T0 + 5_000);
    let mut log = open(dir.path(), LogConfig::default(), Shutdown::Clean, &clock);
    let mut set = batch(T0, 2);
    set.extend_from_slice(&batch(T0 + 1, 3));
    let info = log.append(&set, TimestampType::LogAppendTime).unwrap();
    assert_eq!(
        (
            info.first_offset,
            info.last_offset,
            info.batches,
            info.records
        ),
        (0, 4, 2, 5)
    );
    assert_eq!(info.log_append_time, Some(T0 + 5_000));
    let read = log.read(0, 1 << 20).unwrap();
    for found in split_batches(&read.records).unwrap() {
        found.validate().unwrap();
        assert_eq!(
            found.header().timestamp_type(),
            TimestampType::LogAppendTime
        );
        assert_eq!(found.max_timestamp(), T0 + 5_000);
    }
    // Stored with the assigned offsets; the caller's buffer is left as it was sent.
    assert_eq!(offsets(&read.records), vec![(0, 1), (2, 4)]);
    let mut sent = batch(T0, 2);
    sent.extend_from_slice(&batch(T0 + 1, 3));
    assert_eq!(set, sent);
}

#[test]
fn invalid_batches_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let mut log = open(dir.path(), LogConfig::default(), Shutdown::Clean, &clock);
    let mut set = batch(T0, 2);
    let mut bad = batch(T0, 2);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    set.extend_from_slice(&bad);
    assert!(matches!(
        log.append(&set, TimestampType::CreateTime),
        Err(LogError::InvalidBatch { batch_index: 1, .. })
    ));
    let mut cut = batch(T0, 2);
    cut.truncate(cut.len() - 1);
    assert!(matches!(
        log.append(&cut, TimestampType::CreateTime),
        Err(LogError::InvalidBatch { .. })
    ));
    assert!(matches!(
        log.append(&[], TimestampType::CreateTime),
        Err(LogError::EmptyAppend)
    ));
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size_in_bytes(), 0);
}

#[test]
fn retention_by_time_deletes_old_segments_but_never_the_active_one() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (mut log, _) = ten_batches(dir.path(), &clock);
    // Everything is replicated (a single-replica leader's HW is its log end).
    log.set_high_watermark(log.log_end_offset());
    let bases = log.segment_base_offsets();
    // Nothing is old enough yet.
    assert!(log
        .apply_retention(T0 + 1_000)
        .unwrap()
        .deleted_segments
        .is_empty());
    // Batches are at T0 + 100k; retention.ms is 7 days. Expire the segments whose newest
    // batch is older than the second segment's.
    let second_newest = log.segments().nth(1).unwrap().largest_timestamp();
    let outcome = log.apply_retention(second_newest + 604_800_001).unwrap();
    assert_eq!(outcome.deleted_segments, bases[..2].to_vec());
    assert_eq!(log.log_start_offset(), bases[2]);
    assert_eq!(outcome.log_start_offset, bases[2]);
    assert!(!dir.path().join("00000000000000000000.log").exists());
    assert!(!dir.path().join("00000000000000000000.index").exists());
    assert!(matches!(
        log.read(0, 100),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // Far future: everything but the active segment goes.
    let outcome = log.apply_retention(T0 + 1_000_000_000_000).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![*bases.last().unwrap()]);
    assert_eq!(outcome.log_start_offset, *bases.last().unwrap());
    assert_eq!(log.log_end_offset(), 30);
}

#[test]
fn retention_by_bytes_deletes_oldest_segments_while_over_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (mut log, _) = ten_batches(dir.path(), &clock);
    // Everything is replicated (a single-replica leader's HW is its log end).
    log.set_high_watermark(log.log_end_offset());
    let sizes: Vec<u64> = log.segments().map(|segment| segment.size()).collect();
    let total: u64 = sizes.iter().sum();
    let bases = log.segment_base_offsets();
    log.set_config(LogConfig {
        retention_bytes: (total - sizes[0]) as i64,
        ..log.config().clone()
    })
    .unwrap();
    let outcome = log.apply_retention(T0).unwrap();
    assert_eq!(outcome.deleted_segments, vec![0]);
    assert_eq!(outcome.deleted_bytes, sizes[0]);
    assert_eq!(log.log_start_offset(), bases[1]);
    // A segment goes only if the log stays at or above the limit without it.
    log.set_config(LogConfig {
        retention_bytes: (total - sizes[0] - sizes[1] + 1) as i64,
        ..log.config().clone()
    })
    .unwrap();
    assert!(log.apply_retention(T0).unwrap().deleted_segments.is_empty());
    log.set_config(LogConfig {
        retention_bytes: (total - sizes[0] - sizes[1]) as i64,
        ..log.config().clone()
    })
    .unwrap();
    let outcome = log.apply_retention(T0).unwrap();
    assert_eq!(outcome.deleted_segments, vec![bases[1]]);
    log.set_config(LogConfig {
        retention_bytes: 0,
        ..log.config().clone()
    })
    .unwrap();
    log.apply_retention(T0).unwrap();
    assert_eq!(log.segment_base_offsets().len(), 1);
}

#[test]
fn truncate_to_removes_whole_batches_from_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (mut log, _) = ten_batches(dir.path(), &clock);
    // Everything is replicated (a single-replica leader's HW is its log end).
    log.set_high_watermark(log.log_end_offset());
    log.truncate_to(12).unwrap();
    assert_eq!(log.log_end_offset(), 12);
    assert!(log.segment_base_offsets().iter().all(|base| *base <= 12));
    let info = log
        .append(&batch(T0, 1), TimestampType::CreateTime)
        .unwrap();
    assert_eq!(info.first_offset, 12);
    // Inside a batch: the batch goes whole.
    log.truncate_to(4).unwrap();
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(
        offsets(&log.read(0, 1 << 20).unwrap().records),
        vec![(0, 2)]
    );
}

/// Writes ten batches, stops without closing (unclean), and returns the active segment path.
fn unclean_log(dir: &Path, clock: &Arc<ManualClock>) -> std::path::PathBuf {
    let config = LogConfig {
        index_interval_bytes: 200,
        ..LogConfig::default()
    };
    let mut log = open(dir, config, Shutdown::Clean, clock);
    for step in 0..10 {
        log.append(&batch(T0 + step, 3), TimestampType::CreateTime)
            .unwrap();
    }
    assert_eq!(log.segment_base_offsets(), vec![0]);
    drop(log);
    dir.join("00000000000000000000.log")
}

#[test]
fn recovery_truncates_a_torn_tail_at_several_cut_points() {
    let batch_size = batch(T0, 3).len() as u64;
    for cut in [1, 11, 12, 60, 61, batch_size - 1] {
        let dir = tempfile::tempdir().unwrap();
        let clock = clock();
        let path = unclean_log(dir.path(), &clock);
        let full = std::fs::metadata(&path).unwrap().len();
        let keep = 9 * batch_size + cut;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(keep)
            .unwrap();
        let config = LogConfig {
            index_interval_bytes: 200,
            ..LogConfig::default()
        };
        let log = open(dir.path(), config, Shutdown::Unclean, &clock);
        assert_eq!(log.log_end_offset(), 27, "cut {cut}");
        let warnings = log.recovery_warnings();
        assert_eq!(warnings.len(), 1, "cut {cut}: {warnings:?}");
        assert_eq!(warnings[0].file, path);
        assert_eq!(warnings[0].position, 9 * batch_size);
        assert_eq!(warnings[0].bytes, cut);
        assert!(warnings[0].to_string().contains("00000000000000000000.log"));
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 9 * batch_size);
        assert!(full > keep);
        for offset in 0..27 {
            let first = offset / 3 * 3;
            assert_eq!(
                offsets(&log.read(offset, 1).unwrap().records),
                vec![(first, first + 2)]
            );
        }
    }
}

#[test]
fn recovery_truncates_at_a_flipped_byte_in_the_last_batch() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let path = unclean_log(dir.path(), &clock);
    let mut bytes = std::fs::read(&path).unwrap();
    let batch_size = batch(T0, 3).len();
    let at = 9 * batch_size + 70;
    bytes[at] ^= 0x10;
    std::fs::write(&path, &bytes).unwrap();
    let mut log = open(dir.path(), LogConfig::default(), Shutdown::Unclean, &clock);
    assert_eq!(log.log_end_offset(), 27);
    let warning = &log.recovery_warnings()[0];
    assert_eq!(
        (warning.position, warning.bytes),
        (9 * batch_size as u64, batch_size as u64)
    );
    assert!(warning.reason.contains("CRC"), "{}", warning.reason);
    // The log continues at the cut.
    assert_eq!(
        log.append(&batch(T0, 1), TimestampType::CreateTime)
            .unwrap()
            .first_offset,
        27
    );
}

#[test]
fn recovery_drops_segments_after_a_corrupt_one() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, batch_size) = ten_batches(dir.path(), &clock);
    let bases = log.segment_base_offsets();
    drop(log);
    let first = dir.path().join("00000000000000000000.log");
    let mut bytes = std::fs::read(&first).unwrap();
    bytes[batch_size + 30] ^= 0x01;
    std::fs::write(&first, &bytes).unwrap();
    let config = LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 200,
        ..LogConfig::default()
    };
    let log = open(dir.path(), config, Shutdown::Unclean, &clock);
    assert_eq!(log.log_end_offset(), 3);
    assert_eq!(log.segment_base_offsets(), vec![0]);
    assert_eq!(log.recovery_warnings().len(), bases.len());
    for base in &bases[1..] {
        assert!(!dir.path().join(format!("{base:020}.log")).exists());
    }
}

#[test]
fn deleted_index_is_rebuilt_and_lookups_stay_right() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let (log, _) = ten_batches(dir.path(), &clock);
    let before: Vec<Vec<u8>> = (0..30)
        .map(|offset| log.read(offset, 1).unwrap().records)
        .collect();
    let first_entries = log
        .segments()
        .next()
        .unwrap()
        .offset_index()
        .entries()
        .to_vec();
    assert!(!first_entries.is_empty());
    log.close().unwrap();
    std::fs::remove_file(dir.path().join("00000000000000000000.index")).unwrap();
    std::fs::remove_file(dir.path().join("00000000000000000003.timeindex")).ok();
    let config = LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 200,
        ..LogConfig::default()
    };
    let log = open(dir.path(), config, Shutdown::Clean, &clock);
    assert!(dir.path().join("00000000000000000000.index").exists());
    assert_eq!(
        log.segments().next().unwrap().offset_index().entries(),
        first_entries.as_slice()
    );
    for (offset, expected) in before.iter().enumerate() {
        assert_eq!(&log.read(offset as i64, 1).unwrap().records, expected);
    }
    assert_eq!(log.log_end_offset(), 30);
}

#[test]
fn log_dir_marker_skips_the_scan_and_checkpoints_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let topic_partition = TopicPartition::new("my-topic", 2);
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    assert_eq!(log_dir.last_shutdown(), Shutdown::Unclean);
    let log = log_dir.get_or_create(&topic_partition).unwrap();
    log.append(&batch(T0, 4), TimestampType::CreateTime)
        .unwrap();
    log.append(&batch(T0, 4), TimestampType::CreateTime)
        .unwrap();
    log_dir.close().unwrap();
    assert!(dir.path().join(".kafka_cleanshutdown").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("recovery-point-offset-checkpoint")).unwrap(),
        "0\n1\nmy-topic 2 8\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("log-start-offset-checkpoint")).unwrap(),
        "0\n1\nmy-topic 2 0\n"
    );

    // Corrupt the tail: a clean start trusts the files (no scan), so nothing is dropped…
    let segment = dir.path().join("my-topic-2/00000000000000000000.log");
    let mut bytes = std::fs::read(&segment).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&segment, &bytes).unwrap();
    let log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    assert_eq!(log_dir.last_shutdown(), Shutdown::Clean);
    assert!(!dir.path().join(".kafka_cleanshutdown").exists());
    let log = log_dir.log(&topic_partition).unwrap();
    assert!(log.recovery_warnings().is_empty());
    assert_eq!(log.log_end_offset(), 8);
    drop(log_dir);

    // …whereas an unclean start (marker gone) scans from the recovery point (8, in the only
    // segment) and cuts the corrupt batch.
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    assert_eq!(log_dir.last_shutdown(), Shutdown::Unclean);
    let log = log_dir.log_mut(&topic_partition).unwrap();
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.recovery_warnings().len(), 1);
    assert_eq!(log.recovery_warnings()[0].file, segment);

    // High watermarks are clamped to the log end and written from the logs.
    log.set_high_watermark(9);
    assert_eq!(log.high_watermark(), 4);
    log_dir.write_replication_checkpoint().unwrap();
    let mut high_watermarks = std::collections::BTreeMap::new();
    high_watermarks.insert(topic_partition.clone(), 4);
    assert_eq!(
        log_dir.read_replication_checkpoint().unwrap(),
        high_watermarks
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("replication-offset-checkpoint")).unwrap(),
        "0\n1\nmy-topic 2 4\n"
    );
}

#[test]
fn log_start_offset_from_checkpoint_survives_reopen_and_delete_removes_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let topic_partition = TopicPartition::new("t", 0);
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    let log = log_dir.get_or_create(&topic_partition).unwrap();
    for _ in 0..3 {
        log.append(&batch(T0, 2), TimestampType::CreateTime)
            .unwrap();
    }
    log.advance_log_start_offset(4).unwrap();
    assert!(log.advance_log_start_offset(100).is_err());
    log_dir.checkpoint().unwrap();
    log_dir.close().unwrap();
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    let log = log_dir.log(&topic_partition).unwrap();
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (4, 6));
    assert_eq!(offsets(&log.read(4, 1).unwrap().records), vec![(4, 5)]);
    log_dir.delete(&topic_partition).unwrap();
    assert!(!dir.path().join("t-0").exists());
    assert!(log_dir.log(&topic_partition).is_none());
}

#[test]
fn flush_moves_the_recovery_point() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let config = LogConfig {
        flush_messages: 5,
        ..LogConfig::default()
    };
    let mut log = open(dir.path(), config, Shutdown::Clean, &clock);
    log.append(&batch(T0, 3), TimestampType::CreateTime)
        .unwrap();
    assert_eq!(log.recovery_point(), 0);
    log.append(&batch(T0, 3), TimestampType::CreateTime)
        .unwrap();
    assert_eq!(log.recovery_point(), 6);
    log.append(&batch(T0, 1), TimestampType::CreateTime)
        .unwrap();
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 7);
    let parsed = RecordBatch::parse(log.read(6, 1).unwrap().records).unwrap();
    assert_eq!(parsed.base_offset(), 6);
}
