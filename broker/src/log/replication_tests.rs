//! Tests of the log layer's replication pieces on temp dirs: leader epochs kept by leader and
//! follower appends, follower appends copied from a leader log, the high watermark and its
//! checkpoint, reads bounded by an offset, and the epoch cache's rebuild on open.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::path::Path;
use std::sync::Arc;

use super::epoch_cache::LEADER_EPOCH_CHECKPOINT;
use super::*;
use crate::record::{split_batches, split_batches_mut, BatchBuilder, TimestampType};

const T0: i64 = 1_700_000_000_000;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(T0))
}

fn open_with(dir: &Path, config: LogConfig, start: LogStart) -> PartitionLog {
    PartitionLog::open(dir, config, start, clock()).unwrap()
}

fn open(dir: &Path, config: LogConfig) -> PartitionLog {
    let start = LogStart {
        shutdown: Shutdown::Clean,
        ..LogStart::default()
    };
    open_with(dir, config, start)
}

fn small_segments() -> LogConfig {
    LogConfig {
        segment_bytes: 700,
        index_interval_bytes: 150,
        ..LogConfig::default()
    }
}

/// One batch of `records` records with 60-byte values.
fn plain(records: usize) -> Vec<u8> {
    let mut builder = BatchBuilder::new(T0);
    for index in 0..records {
        builder.record(T0 + index as i64, Some(b"k"), Some(&[index as u8; 60]), &[]);
    }
    builder.build()
}

/// One batch of an idempotent producer.
fn idempotent(producer_id: i64, sequence: i32, records: usize) -> Vec<u8> {
    let mut builder = BatchBuilder::new(T0).producer(producer_id, 0, sequence);
    for index in 0..records {
        builder.record(T0, Some(b"k"), Some(&[index as u8; 60]), &[]);
    }
    builder.build()
}

/// A batch as a leader would have stored it: `base_offset` and `leader_epoch` set.
fn stored(mut bytes: Vec<u8>, base_offset: i64, leader_epoch: i32) -> Vec<u8> {
    for mut batch in split_batches_mut(&mut bytes).unwrap() {
        batch.assign_offsets(base_offset).unwrap();
        batch.set_partition_leader_epoch(leader_epoch);
    }
    bytes
}

fn epochs(log: &PartitionLog) -> Vec<(i32, i64)> {
    log.leader_epoch_cache()
        .entries()
        .iter()
        .map(|entry| (entry.epoch, entry.start_offset))
        .collect()
}

/// (base, last) offsets of the batches in `bytes`.
fn offsets(bytes: &[u8]) -> Vec<(i64, i64)> {
    split_batches(bytes)
        .unwrap()
        .iter()
        .map(|batch| (batch.base_offset(), batch.last_offset()))
        .collect()
}

/// Every segment file of `log` as (name, bytes).
fn segment_files(log: &PartitionLog) -> Vec<(String, Vec<u8>)> {
    log.segments()
        .map(|segment| {
            let path = segment.log_path();
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(path).unwrap(),
            )
        })
        .collect()
}

/// A leader log over several segments: epoch 0 (plain and idempotent batches, one
/// LogAppendTime), a takeover in epoch 2 with more batches, then epoch 4, which wrote
/// nothing before epoch 5 took over at the same offset (and replaced its entry).
fn leader_log(dir: &Path) -> PartitionLog {
    let mut log = open(dir, small_segments());
    log.assign_leader_epoch(0).unwrap();
    log.append_as_leader(&plain(3), TimestampType::CreateTime, 0)
        .unwrap();
    log.append_as_leader(&idempotent(7, 0, 2), TimestampType::CreateTime, 0)
        .unwrap();
    log.append_as_leader(&plain(2), TimestampType::LogAppendTime, 0)
        .unwrap();
    log.assign_leader_epoch(2).unwrap();
    log.append_as_leader(&idempotent(7, 2, 2), TimestampType::CreateTime, 2)
        .unwrap();
    log.append_as_leader(&idempotent(8, 0, 3), TimestampType::CreateTime, 2)
        .unwrap();
    log.assign_leader_epoch(4).unwrap();
    log.assign_leader_epoch(5).unwrap();
    for _ in 0..3 {
        log.append_as_leader(&plain(2), TimestampType::CreateTime, 5)
            .unwrap();
    }
    assert!(log.segment_base_offsets().len() >= 3);
    assert_eq!(epochs(&log), vec![(0, 0), (2, 7), (5, 12)]);
    log
}

#[test]
fn leader_appends_and_takeovers_assign_epochs_at_the_log_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), LogConfig::default());
    assert_eq!(log.latest_epoch(), None);
    // The single-broker path stamps DEFAULT_LEADER_EPOCH and records it at the first append.
    log.append(&plain(3), TimestampType::CreateTime).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0)]);
    log.append(&plain(2), TimestampType::CreateTime).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0)]);
    // A new leader's epoch starts at the log end before anything is appended in it.
    log.assign_leader_epoch(3).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (3, 5)]);
    log.assign_leader_epoch(3).unwrap();
    log.append_as_leader(&plain(1), TimestampType::CreateTime, 3)
        .unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (3, 5)]);
    // An append in a newer epoch than any assigned records it at its first offset; an
    // older one (a stale caller) changes nothing.
    log.append_as_leader(&plain(2), TimestampType::CreateTime, 6)
        .unwrap();
    log.append_as_leader(&plain(1), TimestampType::CreateTime, 4)
        .unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (3, 5), (6, 6)]);
    assert_eq!(log.latest_epoch(), Some(6));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(LEADER_EPOCH_CHECKPOINT)).unwrap(),
        "0\n3\n0 0\n3 5\n6 6\n"
    );
    // OffsetForLeaderEpoch against the log.
    assert_eq!(log.log_end_offset(), 9);
    assert_eq!(log.end_offset_for_epoch(6), (6, 9));
    assert_eq!(log.end_offset_for_epoch(3), (3, 6));
    assert_eq!(log.end_offset_for_epoch(4), (3, 6));
    assert_eq!(log.end_offset_for_epoch(0), (0, 5));
    assert_eq!(log.end_offset_for_epoch(7), (-1, -1));
    // A refused append assigns nothing.
    let mut garbage = plain(1);
    garbage[30] ^= 0xff;
    assert!(log
        .append_as_leader(&garbage, TimestampType::CreateTime, 9)
        .is_err());
    assert_eq!(log.latest_epoch(), Some(6));
}

#[test]
fn a_follower_copying_a_leader_batch_by_batch_gets_byte_identical_segments() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let leader = leader_log(leader_dir.path());
    let mut follower = open(follower_dir.path(), small_segments());
    while follower.log_end_offset() < leader.log_end_offset() {
        let fetched = leader.read(follower.log_end_offset(), 1).unwrap().records;
        let info = follower.append_as_follower(&fetched).unwrap();
        assert_eq!(info.batches, 1);
        assert_eq!(info.first_offset, offsets(&fetched)[0].0);
        assert_eq!(follower.log_end_offset(), info.last_offset + 1);
    }
    assert_eq!(segment_files(&follower), segment_files(&leader));
    // Epochs come from the batches' stamps.
    assert_eq!(epochs(&follower), epochs(&leader));
    assert_eq!(follower.producer_states(), leader.producer_states());
    // The copy survives a restart as it is.
    drop(follower);
    let follower = open(follower_dir.path(), small_segments());
    assert_eq!(segment_files(&follower), segment_files(&leader));
    assert_eq!(epochs(&follower), vec![(0, 0), (2, 7), (5, 12)]);
}

#[test]
fn a_follower_takes_a_whole_log_in_one_append_split_into_segment_sized_runs() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let leader = leader_log(leader_dir.path());
    let everything = leader.read(0, 1 << 20).unwrap().records;
    assert!(everything.len() > 2 * 700);
    let mut follower = open(follower_dir.path(), small_segments());
    let info = follower.append_as_follower(&everything).unwrap();
    assert_eq!(info.batches, offsets(&everything).len());
    assert_eq!(info.bytes, everything.len());
    assert_eq!(
        (info.first_offset, info.last_offset),
        (0, leader.log_end_offset() - 1)
    );
    assert_eq!(info.records, leader.log_end_offset());
    assert!(!info.duplicate);
    assert!(follower.segments().all(|segment| segment.size() <= 700));
    assert_eq!(follower.read(0, 1 << 20).unwrap().records, everything);
    assert_eq!(follower.producer_states(), leader.producer_states());
    // Nothing to append is not an error.
    let info = follower.append_as_follower(&[]).unwrap();
    assert_eq!((info.batches, info.records, info.bytes), (0, 0, 0));
    assert_eq!(info.first_offset, follower.log_end_offset());
    // A single batch larger than a segment cannot be stored.
    let mut big = BatchBuilder::new(T0).base_offset(follower.log_end_offset());
    big.record(T0, Some(b"k"), Some(&[1u8; 800]), &[]);
    assert!(matches!(
        follower.append_as_follower(&big.build()),
        Err(LogError::AppendTooLarge { .. })
    ));
}

#[test]
fn follower_appends_refuse_overlaps_and_bad_batches_but_take_compaction_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), LogConfig::default());
    log.append_as_follower(&stored(plain(3), 0, 1)).unwrap();
    let size = log.size_in_bytes();
    // Starting below the log end: nothing written, the expected offset named.
    let error = log.append_as_follower(&stored(plain(2), 2, 1)).unwrap_err();
    assert!(
        matches!(
            error,
            LogError::UnexpectedAppendOffset {
                batch_index: 0,
                expected: 3,
                found: 2
            }
        ),
        "{error}"
    );
    // Overlap inside the append: the second batch starts inside the first.
    let mut overlapping = stored(plain(2), 3, 1);
    overlapping.extend(stored(plain(2), 4, 1));
    let error = log.append_as_follower(&overlapping).unwrap_err();
    assert!(
        matches!(
            error,
            LogError::UnexpectedAppendOffset {
                batch_index: 1,
                expected: 5,
                found: 4
            }
        ),
        "{error}"
    );
    // A flipped byte: the CRC catches it.
    let mut corrupt = stored(plain(2), 3, 1);
    corrupt[70] ^= 0x01;
    assert!(matches!(
        log.append_as_follower(&corrupt),
        Err(LogError::InvalidBatch { batch_index: 0, .. })
    ));
    // A torn fetch (the last batch cut short) is refused whole.
    let mut torn = stored(plain(2), 3, 1);
    torn.extend_from_slice(&stored(plain(2), 5, 1)[..40]);
    assert!(matches!(
        log.append_as_follower(&torn),
        Err(LogError::InvalidBatch { .. })
    ));
    assert_eq!((log.size_in_bytes(), log.log_end_offset()), (size, 3));
    // A compacted leader leaves gaps between batches: taken as they are.
    let mut gapped = stored(plain(2), 10, 1);
    gapped.extend(stored(plain(1), 15, 2));
    let info = log.append_as_follower(&gapped).unwrap();
    assert_eq!((info.first_offset, info.last_offset), (10, 15));
    assert_eq!(log.log_end_offset(), 16);
    assert_eq!(
        offsets(&log.read(4, 1 << 20).unwrap().records),
        vec![(10, 11), (15, 15)]
    );
    assert_eq!(epochs(&log), vec![(1, 0), (2, 15)]);
    // Control and transactional batches are the leader's business: stored as data.
    let mut transactional = BatchBuilder::new(T0).producer(9, 0, 0).transactional(true);
    transactional.record(T0, Some(b"k"), Some(b"v"), &[]);
    log.append_as_follower(&stored(transactional.build(), 16, 2))
        .unwrap();
    assert_eq!(log.log_end_offset(), 17);
    drop(log);
    let log = open_with(
        dir.path(),
        LogConfig::default(),
        LogStart {
            shutdown: Shutdown::Unclean,
            ..LogStart::default()
        },
    );
    assert!(log.recovery_warnings().is_empty());
    assert_eq!(log.log_end_offset(), 17);
}

#[test]
fn producer_states_follow_the_leaders_batches_without_sequence_checks() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let mut leader = open(leader_dir.path(), LogConfig::default());
    leader
        .append_as_leader(&idempotent(7, 0, 2), TimestampType::CreateTime, 0)
        .unwrap();
    leader
        .append_as_leader(&idempotent(7, 2, 2), TimestampType::CreateTime, 0)
        .unwrap();
    let mut follower = open(follower_dir.path(), LogConfig::default());
    follower
        .append_as_follower(&leader.read(0, 1 << 20).unwrap().records)
        .unwrap();
    // The follower becomes leader: the producer's next batch follows on, its retry is a
    // duplicate answered with the original offsets.
    follower.assign_leader_epoch(1).unwrap();
    let next = follower
        .append_as_leader(&idempotent(7, 4, 1), TimestampType::CreateTime, 1)
        .unwrap();
    assert!(!next.duplicate);
    assert_eq!(next.first_offset, 4);
    let retry = follower
        .append_as_leader(&idempotent(7, 2, 2), TimestampType::CreateTime, 1)
        .unwrap();
    assert!(retry.duplicate);
    assert_eq!((retry.first_offset, retry.last_offset), (2, 3));
    // A leader's batch the follower's own checks would refuse (a sequence gap) is taken.
    follower
        .append_as_follower(&stored(idempotent(7, 40, 1), 5, 1))
        .unwrap();
    let entry = follower.producer_states().entry(7).unwrap();
    assert_eq!(entry.batches.back().unwrap().last_sequence, 40);
    assert!(follower
        .append_as_leader(&idempotent(7, 41, 1), TimestampType::CreateTime, 1)
        .is_ok_and(|info| !info.duplicate));
}

#[test]
fn truncation_drops_later_epochs_and_the_follower_appends_the_new_leaders_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_segments());
    let mut offset = 0;
    for epoch in [0, 0, 2, 2, 3] {
        let batch = stored(plain(2), offset, epoch);
        log.append_as_follower(&batch).unwrap();
        offset += 2;
    }
    assert_eq!(epochs(&log), vec![(0, 0), (2, 4), (3, 8)]);
    log.set_high_watermark(10);
    assert_eq!(log.high_watermark(), 10);
    // The new leader says epoch 2 ended at 6: everything from there goes.
    assert_eq!(log.end_offset_for_epoch(2), (2, 8));
    log.truncate_to(6).unwrap();
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(epochs(&log), vec![(0, 0), (2, 4)]);
    assert_eq!(log.high_watermark(), 6);
    assert_eq!(log.end_offset_for_epoch(2), (2, 6));
    // The new leader's epoch-4 batches follow on.
    log.append_as_follower(&stored(plain(3), 6, 4)).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (2, 4), (4, 6)]);
    assert_eq!(
        offsets(&log.read(6, 1 << 20).unwrap().records),
        vec![(6, 8)]
    );
    // A batch holding the truncation point goes whole.
    log.truncate_to(7).unwrap();
    assert_eq!(log.log_end_offset(), 6);
    assert_eq!(epochs(&log), vec![(0, 0), (2, 4)]);
    // Down to nothing: no epoch left, on disk either.
    log.append_as_follower(&stored(plain(1), 6, 4)).unwrap();
    log.truncate_to(1).unwrap();
    assert_eq!((log.log_end_offset(), log.high_watermark()), (0, 0));
    assert!(log.leader_epoch_cache().is_empty());
    assert!(LeaderEpochCache::open(dir.path()).is_empty());
}

#[test]
fn the_log_start_trims_epochs_and_lifts_the_high_watermark() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_segments());
    let mut offset = 0;
    for epoch in [1, 1, 1, 4, 4, 4, 6, 6] {
        log.append_as_follower(&stored(plain(2), offset, epoch))
            .unwrap();
        offset += 2;
    }
    assert_eq!(epochs(&log), vec![(1, 0), (4, 6), (6, 12)]);
    log.set_high_watermark(3);
    log.advance_log_start_offset(8).unwrap();
    assert_eq!(epochs(&log), vec![(4, 8), (6, 12)]);
    assert_eq!(log.high_watermark(), 8);
    log.set_high_watermark(2);
    assert_eq!(log.high_watermark(), 8);
    // Retention deletes the segments below the start; the first kept one may start higher.
    let outcome = log.apply_retention(T0).unwrap();
    assert!(!outcome.deleted_segments.is_empty());
    let start = log.log_start_offset();
    assert_eq!(log.leader_epoch_cache().entries()[0].start_offset, start);
    assert!(log.high_watermark() >= start);
    // Truncating below the first kept segment restarts the log there, with no epochs.
    let first_base = log.segment_base_offsets()[0];
    assert!(first_base > 0);
    log.truncate_to(first_base - 1).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.high_watermark()
        ),
        (first_base - 1, first_base - 1, first_base - 1)
    );
    assert!(log.leader_epoch_cache().is_empty());
}

#[test]
fn the_high_watermark_survives_close_checkpoint_and_reopen_clamped_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let first = TopicPartition::new("orders", 0);
    let second = TopicPartition::new("orders", 1);
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    for topic_partition in [&first, &second] {
        let log = log_dir.get_or_create(topic_partition).unwrap();
        assert_eq!(log.high_watermark(), 0);
        for _ in 0..3 {
            log.append(&plain(2), TimestampType::CreateTime).unwrap();
        }
    }
    log_dir.log_mut(&first).unwrap().set_high_watermark(4);
    log_dir.log_mut(&second).unwrap().set_high_watermark(100);
    assert_eq!(log_dir.log(&second).unwrap().high_watermark(), 6);
    log_dir.close().unwrap();
    let checkpoint = dir.path().join("replication-offset-checkpoint");
    assert_eq!(
        std::fs::read_to_string(&checkpoint).unwrap(),
        "0\n2\norders 0 4\norders 1 6\n"
    );
    let mut log_dir = LogDir::open(dir.path(), LogConfig::default(), clock.clone()).unwrap();
    assert_eq!(log_dir.log(&first).unwrap().high_watermark(), 4);
    assert_eq!(log_dir.log(&second).unwrap().high_watermark(), 6);
    // The periodic checkpoint writes them too.
    log_dir.log_mut(&first).unwrap().set_high_watermark(6);
    log_dir.checkpoint().unwrap();
    assert_eq!(
        std::fs::read_to_string(&checkpoint).unwrap(),
        "0\n2\norders 0 6\norders 1 6\n"
    );
    drop(log_dir);
    // A checkpointed high watermark above what recovery kept comes down to the log end.
    let segment = dir.path().join("orders-0/00000000000000000000.log");
    let bytes = std::fs::read(&segment).unwrap();
    std::fs::write(&segment, &bytes[..bytes.len() - 10]).unwrap();
    let log_dir = LogDir::open(dir.path(), LogConfig::default(), clock).unwrap();
    let log = log_dir.log(&first).unwrap();
    assert_eq!(log.log_end_offset(), 4);
    assert_eq!(log.high_watermark(), 4);
    assert_eq!(log_dir.log(&second).unwrap().high_watermark(), 6);
}

#[test]
fn reads_up_to_an_offset_stop_before_the_batch_reaching_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_segments());
    for _ in 0..8 {
        log.append(&plain(3), TimestampType::CreateTime).unwrap();
    }
    assert!(log.segment_base_offsets().len() > 2);
    let log_end = log.log_end_offset();
    assert_eq!(log_end, 24);
    let read =
        |offset, max_offset| offsets(&log.read_up_to(offset, 1 << 20, max_offset).unwrap().records);
    // On a batch boundary: everything below it, across segments.
    assert_eq!(read(0, 9), vec![(0, 2), (3, 5), (6, 8)]);
    assert_eq!(read(4, 18).len(), 5);
    assert_eq!(read(4, 18).last(), Some(&(15, 17)));
    // Inside a batch (never the case for a real high watermark): that batch is left out.
    assert_eq!(read(0, 10), vec![(0, 2), (3, 5), (6, 8)]);
    assert_eq!(read(9, 10), vec![]);
    assert_eq!(read(10, 11), vec![]);
    // At or past the bound, up to the log end: no records, no error.
    assert_eq!(read(9, 9), vec![]);
    assert_eq!(read(20, 9), vec![]);
    assert_eq!(read(log_end, log_end), vec![]);
    // Bounded by the log end it is a plain read.
    assert_eq!(
        log.read_up_to(0, 1 << 20, log_end).unwrap(),
        log.read(0, 1 << 20).unwrap()
    );
    assert_eq!(
        log.read_up_to(7, 1000, i64::MAX).unwrap(),
        log.read(7, 1000).unwrap()
    );
    // The byte limit still applies, and the first batch still comes whole.
    assert_eq!(
        offsets(&log.read_up_to(0, 1, 12).unwrap().records),
        vec![(0, 2)]
    );
    // Outside the log: out of range, as for read.
    for offset in [-1, log_end + 1] {
        assert!(matches!(
            log.read_up_to(offset, 100, 12),
            Err(LogError::OffsetOutOfRange { .. })
        ));
    }
    log.advance_log_start_offset(6).unwrap();
    assert!(matches!(
        log.read_up_to(5, 100, 12),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    log.set_high_watermark(15);
    let consumer = log.read_up_to(6, 1 << 20, log.high_watermark()).unwrap();
    assert_eq!(offsets(&consumer.records).last(), Some(&(12, 14)));
}

#[test]
fn an_empty_epoch_cache_is_rebuilt_from_the_batch_headers_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LEADER_EPOCH_CHECKPOINT);
    let leader = leader_log(dir.path());
    // Epoch 4 wrote no batch: the headers cannot tell of it.
    let from_headers = vec![(0, 0), (2, 7), (5, 12)];
    leader.close().unwrap();
    std::fs::remove_file(&path).unwrap();
    let log = open(dir.path(), small_segments());
    assert_eq!(epochs(&log), from_headers);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "0\n3\n0 0\n2 7\n5 12\n"
    );
    drop(log);
    // A garbled file is no reason to fail the open: rebuilt the same way.
    std::fs::write(&path, "0\n7\n1 x\n").unwrap();
    let log = open(dir.path(), small_segments());
    assert_eq!(epochs(&log), from_headers);
    drop(log);
    // A readable file is trusted (no scan), only trimmed to the log: an entry past the
    // log end goes, and the log start moves the first one.
    std::fs::write(&path, "0\n3\n9 0\n11 15\n12 400\n").unwrap();
    let start = LogStart {
        shutdown: Shutdown::Clean,
        log_start_offset: 3,
        recovery_point: 0,
    };
    let log = open_with(dir.path(), small_segments(), start);
    assert_eq!(log.log_start_offset(), 3);
    assert_eq!(epochs(&log), vec![(9, 3), (11, 15)]);
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "0\n2\n9 3\n11 15\n"
    );
    // An empty log has nothing to rebuild from.
    let empty_dir = tempfile::tempdir().unwrap();
    let empty = open(empty_dir.path(), LogConfig::default());
    assert!(empty.leader_epoch_cache().is_empty());
    assert!(!empty_dir.path().join(LEADER_EPOCH_CHECKPOINT).exists());
}

#[test]
fn a_gap_wider_than_a_segments_offset_range_starts_a_segment_at_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let far = 3_000_000_000_i64;
    let mut log = open(dir.path(), LogConfig::default());
    // Empty log: its empty segment is replaced by one at the batch.
    log.append_as_follower(&stored(plain(2), far, 1)).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![far]);
    assert_eq!(
        (log.log_start_offset(), log.log_end_offset()),
        (far, far + 2)
    );
    // Non-empty segment: sealed, the next one starts at the batch, not at the log end.
    let farther = far + 4_000_000_000;
    log.append_as_follower(&stored(plain(1), farther, 2))
        .unwrap();
    assert_eq!(log.segment_base_offsets(), vec![far, farther]);
    assert_eq!(
        offsets(&log.read(far + 2, 1 << 20).unwrap().records),
        vec![(farther, farther)]
    );
    assert_eq!(epochs(&log), vec![(1, far), (2, farther)]);
    drop(log);
    let log = open_with(
        dir.path(),
        LogConfig::default(),
        LogStart {
            shutdown: Shutdown::Unclean,
            log_start_offset: far,
            recovery_point: 0,
        },
    );
    assert!(log.recovery_warnings().is_empty());
    assert_eq!(log.log_end_offset(), farther + 1);
    assert_eq!(
        offsets(&log.read(far, 1 << 20).unwrap().records),
        vec![(far, far + 1), (farther, farther)]
    );
}

#[test]
fn a_follower_behind_the_leaders_log_start_restarts_its_log_there() {
    let temp = tempfile::tempdir().unwrap();
    let mut log = open(temp.path(), small_segments());
    for (index, epoch) in [(0, 1), (3, 2)] {
        log.append_as_follower(&stored(idempotent(9, index, 3), i64::from(index), epoch))
            .unwrap();
    }
    log.roll().unwrap();
    log.set_high_watermark(6);
    log.truncate_fully_and_start_at(40).unwrap();
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.high_watermark()
        ),
        (40, 40, 40)
    );
    assert!(epochs(&log).is_empty());
    assert!(log.producer_states().is_empty());
    assert_eq!(log.segment_base_offsets(), vec![40]);
    // The leader's batches from its log start are taken as they come.
    log.append_as_follower(&stored(plain(2), 40, 5)).unwrap();
    assert_eq!(log.log_end_offset(), 42);
    assert_eq!(epochs(&log), vec![(5, 40)]);
    let dir = temp.path().to_path_buf();
    log.close().unwrap();
    let reopened = open(&dir, small_segments());
    assert_eq!(
        (reopened.log_start_offset(), reopened.log_end_offset()),
        (40, 42)
    );
}
