//! Cleaner tests on temp dirs: which logs are eligible, what a pass keeps (latest value per
//! key, offsets, tombstones, producers' last batches, compressed batches), the swap and its
//! abandonment, every crash state of the swap files, and the cleaner checkpoint.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::rewrite::{filter_batch, RetainRules};
use super::swap::{CLEANED_SUFFIX, SWAP_SUFFIX};
use super::*;
use crate::log::config::{CleanupPolicy, DirtyRatio};
use crate::log::partition_log::{LogStart, Shutdown};
use crate::log::{LogError, ManualClock};
use crate::record::compression::uncompressed_section;
use crate::record::{split_batches, BatchBuilder, Compression, RecordBatch, TimestampType};

const T0: i64 = 1_700_000_000_000;

/// A stored record: offset, key, value.
type Stored = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

fn compacted() -> LogConfig {
    LogConfig {
        segment_bytes: 1_000,
        index_interval_bytes: 100,
        cleanup_policy: CleanupPolicy {
            delete: false,
            compact: true,
        },
        min_cleanable_dirty_ratio: DirtyRatio(0.01),
        delete_retention_ms: 1_000,
        ..LogConfig::default()
    }
}

fn open(dir: &Path, config: LogConfig, shutdown: Shutdown) -> PartitionLog {
    let start = LogStart {
        shutdown,
        ..LogStart::default()
    };
    PartitionLog::open(dir, config, start, Arc::new(ManualClock::new(T0))).unwrap()
}

fn keyed(records: &[(&str, Option<&str>)]) -> Vec<u8> {
    let mut builder = BatchBuilder::new(T0);
    for (key, value) in records {
        builder.record(T0, Some(key.as_bytes()), value.map(str::as_bytes), &[]);
    }
    builder.build()
}

/// Appends `rounds` rounds of one batch per key `k0..k{keys}`, values `r<round>`.
fn fill(log: &mut PartitionLog, keys: usize, rounds: usize) {
    for round in 0..rounds {
        for key in 0..keys {
            let key = format!("k{key}");
            let value = format!("r{round}");
            log.append(
                &keyed(&[(key.as_str(), Some(value.as_str()))]),
                TimestampType::CreateTime,
            )
            .unwrap();
        }
    }
}

/// Every record a full read from the log start returns.
fn stored(log: &PartitionLog) -> Vec<Stored> {
    let mut out = Vec::new();
    let mut offset = log.log_start_offset();
    while offset < log.log_end_offset() {
        let read = log.read(offset, 1 << 20).unwrap();
        if read.records.is_empty() {
            break;
        }
        for batch in split_batches(&read.records).unwrap() {
            batch.check_integrity().unwrap();
            let header = *batch.header();
            let section = uncompressed_section(&batch).unwrap();
            for record in section.records(header.records_count) {
                let record = record.unwrap();
                let at = header.base_offset + i64::from(record.offset_delta);
                if at >= offset {
                    out.push((
                        at,
                        record.key.map(<[u8]>::to_vec),
                        record.value.map(<[u8]>::to_vec),
                    ));
                }
            }
            offset = batch.next_offset();
        }
    }
    out
}

/// Key → (offset, value) of its latest record.
fn latest(records: &[Stored]) -> BTreeMap<Vec<u8>, (i64, Option<Vec<u8>>)> {
    let mut latest = BTreeMap::new();
    for (offset, key, value) in records {
        latest.insert(key.clone().unwrap(), (*offset, value.clone()));
    }
    latest
}

fn cleaner_config() -> CleanerConfig {
    CleanerConfig {
        io_buffer_size: 300,
        ..CleanerConfig::default()
    }
}

fn tp() -> TopicPartition {
    TopicPartition::new("compacted", 0)
}

/// One whole pass on `log` at `now`.
fn clean(log: &mut PartitionLog, now: i64) -> (SwapOutcome, Option<Cleaned>) {
    let Some(task) = CleanTask::prepare(&tp(), log, now).unwrap() else {
        return (SwapOutcome::Abandoned, None);
    };
    let cleaned = task
        .run(&cleaner_config(), &AtomicBool::new(false))
        .unwrap();
    let summary = Cleaned {
        topic_partition: cleaned.topic_partition.clone(),
        dir: cleaned.dir.clone(),
        truncations: cleaned.truncations,
        first_dirty: cleaned.first_dirty,
        end_offset: cleaned.end_offset,
        groups: cleaned.groups.clone(),
        written: Vec::new(),
        stats: cleaned.stats,
        elapsed: cleaned.elapsed,
    };
    let (outcome, retired) = cleaned.install(Some(log), now).unwrap();
    retired.remove();
    (outcome, Some(summary))
}

#[test]
fn a_pass_keeps_the_latest_record_per_key_at_its_offset_and_never_the_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), compacted(), Shutdown::Clean);
    fill(&mut log, 5, 20);
    let before = stored(&log);
    assert_eq!(before.len(), 100);
    let active_base = *log.segment_base_offsets().last().unwrap();
    let (outcome, summary) = clean(&mut log, T0);
    assert_eq!(outcome, SwapOutcome::Swapped);
    let summary = summary.unwrap();
    assert_eq!(summary.end_offset, active_base);
    assert_eq!(log.cleaner_checkpoint(), Some(active_base));
    let after = stored(&log);
    // Same latest value per key, at the same offset; the log end unchanged.
    assert_eq!(latest(&after), latest(&before));
    assert_eq!(log.log_end_offset(), 100);
    // Below the active segment each key appears once; the active segment is as it was.
    let mut seen = BTreeSet::new();
    for (offset, key, _) in after.iter().filter(|(offset, _, _)| *offset < active_base) {
        assert!(
            seen.insert(key.clone()),
            "key {key:?} twice below {active_base} (at {offset})"
        );
    }
    let tail = |records: &[Stored]| -> Vec<Stored> {
        records
            .iter()
            .filter(|r| r.0 >= active_base)
            .cloned()
            .collect()
    };
    assert_eq!(tail(&after), tail(&before));
    // Every record kept is one of the originals, at its original offset.
    let original: BTreeSet<Stored> = before.iter().cloned().collect();
    assert!(after.iter().all(|record| original.contains(record)));
    assert!(summary.stats.records_kept < summary.stats.records_read);
    // Nothing dirty left below the active segment: no second pass.
    assert!(CleanTask::prepare(&tp(), &log, T0).unwrap().is_none());
    // The log reopens from the swapped files, clean or unclean.
    drop(log);
    let mut log = open(dir.path(), compacted(), Shutdown::Unclean);
    assert!(
        log.recovery_warnings().is_empty(),
        "{:?}",
        log.recovery_warnings()
    );
    assert_eq!(stored(&log), after);
    // The next pass groups the now small cleaned segments into fewer files.
    fill(&mut log, 5, 4);
    let before = stored(&log);
    let segments = log.segment_base_offsets().len();
    let (outcome, summary) = clean(&mut log, T0);
    assert_eq!(outcome, SwapOutcome::Swapped);
    assert!(summary
        .unwrap()
        .groups
        .iter()
        .any(|group| group.sources.len() > 1));
    assert!(log.segment_base_offsets().len() < segments);
    assert_eq!(latest(&stored(&log)), latest(&before));
}

#[test]
fn eligibility_follows_dirty_ratio_and_compaction_lags_and_policy() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), compacted(), Shutdown::Clean);
    fill(&mut log, 5, 20);
    let state = cleanability(&log, T0).unwrap();
    assert_eq!(state.first_dirty, 0);
    assert_eq!(state.clean_bytes, 0);
    assert!((state.dirty_ratio - 1.0).abs() < f64::EPSILON);
    assert!(state.eligible(log.config()));
    // Not compacted: never considered.
    let mut delete_only = compacted();
    delete_only.cleanup_policy = CleanupPolicy::DELETE;
    log.set_config(delete_only).unwrap();
    assert!(cleanability(&log, T0).is_none());
    // min.compaction.lag.ms: records written at T0 are too young at T0 + 10 s.
    log.set_config(LogConfig {
        min_compaction_lag_ms: 60_000,
        ..compacted()
    })
    .unwrap();
    let young = cleanability(&log, T0 + 10_000).unwrap();
    assert_eq!(young.first_uncleanable, 0);
    assert!(!young.eligible(log.config()));
    assert!(cleanability(&log, T0 + 120_000)
        .unwrap()
        .eligible(log.config()));
    // After a pass the ratio is 0; a high ratio threshold waits, max.compaction.lag.ms not.
    log.set_config(compacted()).unwrap();
    assert_eq!(clean(&mut log, T0).0, SwapOutcome::Swapped);
    fill(&mut log, 1, 3);
    log.roll().unwrap();
    log.set_config(LogConfig {
        min_cleanable_dirty_ratio: DirtyRatio(0.99),
        max_compaction_lag_ms: 5_000,
        ..compacted()
    })
    .unwrap();
    let state = cleanability(&log, T0 + 1_000).unwrap();
    assert!(state.cleanable_bytes > 0 && state.dirty_ratio < 0.99);
    assert!(!state.eligible(log.config()));
    let overdue = cleanability(&log, T0 + 10_000).unwrap();
    assert!(overdue.overdue && overdue.eligible(log.config()));
}

fn filter(batch: &[u8], rules: &RetainRules<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    filter_batch(batch, rules, &mut out, &mut CleanStats::default()).unwrap();
    out
}

#[test]
fn a_partly_superseded_batch_keeps_its_offsets_producer_fields_and_codec() {
    for codec in [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ] {
        let mut builder = BatchBuilder::new(T0)
            .base_offset(100)
            .producer(7, 2, 40)
            .compression(codec);
        for (index, key) in ["a", "b", "c", "d"].iter().enumerate() {
            builder.record(T0 + index as i64, Some(key.as_bytes()), Some(b"value"), &[]);
        }
        let original = builder.build();
        let mut map = OffsetMap::new(1 << 16, 10);
        map.put(b"a", 200);
        map.put(b"d", 200);
        let producers = HashMap::new();
        let rules = RetainRules {
            map: &map,
            tombstone_horizon: i64::MIN,
            producer_last_offsets: &producers,
        };
        let out = filter(&original, &rules);
        let batch = RecordBatch::parse(out.as_slice()).unwrap();
        batch.check_integrity().unwrap();
        let header = *batch.header();
        assert_eq!(header.compression().unwrap(), codec);
        assert_eq!((header.base_offset, header.last_offset()), (100, 103));
        assert_eq!(
            (
                header.producer_id,
                header.producer_epoch,
                header.base_sequence
            ),
            (7, 2, 40)
        );
        assert_eq!(header.records_count, 2);
        // CreateTime: the survivors' largest timestamp ("c" at T0 + 2).
        assert_eq!(header.max_timestamp, T0 + 2);
        let section = uncompressed_section(&batch).unwrap();
        let kept: Vec<(i32, Vec<u8>, i64)> = section
            .records(2)
            .map(|record| {
                let record = record.unwrap();
                (
                    record.offset_delta,
                    record.key.unwrap().to_vec(),
                    header.base_timestamp + record.timestamp_delta,
                )
            })
            .collect();
        assert_eq!(
            kept,
            vec![(1, b"b".to_vec(), T0 + 1), (2, b"c".to_vec(), T0 + 2)]
        );
        // Nothing superseded: the very same bytes.
        let empty = OffsetMap::new(1 << 16, 10);
        let untouched = RetainRules {
            map: &empty,
            ..rules
        };
        assert_eq!(filter(&original, &untouched), original);
    }
}

#[test]
fn tombstones_go_only_from_the_clean_part_past_the_horizon_and_producers_keep_a_last_batch() {
    let mut builder = BatchBuilder::new(T0).base_offset(10).producer(3, 0, 5);
    builder.record(T0, Some(b"gone"), None, &[]);
    builder.record(T0, Some(b"superseded"), Some(b"old"), &[]);
    let batch = builder.build();
    let mut map = OffsetMap::new(1 << 16, 10);
    map.put(b"superseded", 50);
    let mut producers = HashMap::new();
    let rules = |horizon, producers: &HashMap<i64, i64>| {
        let mut out = Vec::new();
        let rules = RetainRules {
            map: &map,
            tombstone_horizon: horizon,
            producer_last_offsets: producers,
        };
        filter_batch(&batch, &rules, &mut out, &mut CleanStats::default()).unwrap();
        out
    };
    // Not below the horizon (not clean for delete.retention.ms yet): the tombstone stays.
    for horizon in [i64::MIN, 10] {
        let out = rules(horizon, &producers);
        let kept = RecordBatch::parse(out.as_slice()).unwrap();
        assert_eq!(kept.records_count(), 1);
        let section = uncompressed_section(&kept).unwrap();
        let record = section.records(1).next().unwrap().unwrap();
        assert_eq!((record.key, record.value), (Some(&b"gone"[..]), None));
    }
    // Below it: gone, and with it the whole batch...
    assert!(rules(11, &producers).is_empty());
    // ...unless it is its producer's last batch: then an empty batch keeps the sequences.
    producers.insert(3, 11);
    let out = rules(11, &producers);
    let empty = RecordBatch::parse(out.as_slice()).unwrap();
    empty.check_integrity().unwrap();
    let header = *empty.header();
    assert_eq!(header.records_count, 0);
    assert_eq!((header.base_offset, header.last_offset()), (10, 11));
    assert_eq!((header.producer_id, header.base_sequence), (3, 5));
    assert_eq!(out.len(), crate::record::batch::HEADER_SIZE);
}

#[test]
fn tombstones_survive_the_first_pass_and_go_once_old_in_the_clean_part() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), compacted(), Shutdown::Clean);
    fill(&mut log, 3, 4);
    log.append(&keyed(&[("deleted", Some("v"))]), TimestampType::CreateTime)
        .unwrap();
    log.append(&keyed(&[("deleted", None)]), TimestampType::CreateTime)
        .unwrap();
    fill(&mut log, 3, 10);
    assert_eq!(clean(&mut log, T0).0, SwapOutcome::Swapped);
    // First pass: the tombstone was dirty, it stays (its older value goes).
    let records = stored(&log);
    let deleted: Vec<&Stored> = records
        .iter()
        .filter(|(_, key, _)| key.as_deref() == Some(&b"deleted"[..]))
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].2, None);
    // Clean for less than delete.retention.ms (1 s): still there.
    fill(&mut log, 3, 10);
    assert_eq!(clean(&mut log, T0 + 500).0, SwapOutcome::Swapped);
    assert!(stored(&log)
        .iter()
        .any(|(_, key, value)| key.as_deref() == Some(&b"deleted"[..]) && value.is_none()));
    assert_eq!(log.tombstone_horizon(T0 + 500), None);
    // Clean for longer: gone at the next pass.
    fill(&mut log, 3, 10);
    assert!(log.tombstone_horizon(T0 + 2_000).is_some());
    assert_eq!(clean(&mut log, T0 + 2_000).0, SwapOutcome::Swapped);
    let records = stored(&log);
    assert!(
        records
            .iter()
            .all(|(_, key, _)| key.as_deref() != Some(&b"deleted"[..])),
        "tombstone still there: {records:?}"
    );
}

#[test]
fn keyless_records_are_refused_by_compacted_logs_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), compacted(), Shutdown::Clean);
    for codec in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let mut builder = BatchBuilder::new(T0).compression(codec);
        builder.record(T0, Some(b"k"), Some(b"v"), &[]);
        builder.record(T0, None, Some(b"v"), &[]);
        let error = log
            .append(&builder.build(), TimestampType::CreateTime)
            .unwrap_err();
        assert!(
            matches!(
                error,
                LogError::KeylessRecord {
                    batch_index: 0,
                    record_index: 1
                }
            ),
            "{error}"
        );
    }
    assert_eq!(log.log_end_offset(), 0);
    log.set_config(LogConfig {
        cleanup_policy: CleanupPolicy::DELETE,
        ..compacted()
    })
    .unwrap();
    let mut builder = BatchBuilder::new(T0);
    builder.record(T0, None, Some(b"v"), &[]);
    log.append(&builder.build(), TimestampType::CreateTime)
        .unwrap();
}

#[test]
fn a_log_changed_during_the_pass_is_left_alone_and_the_output_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), compacted(), Shutdown::Clean);
    fill(&mut log, 5, 20);
    let before = stored(&log);
    let task = CleanTask::prepare(&tp(), &log, T0).unwrap().unwrap();
    let cleaned = task
        .run(&cleaner_config(), &AtomicBool::new(false))
        .unwrap();
    assert!(std::fs::read_dir(dir.path()).unwrap().any(|entry| entry
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(CLEANED_SUFFIX)));
    log.truncate_to(60).unwrap();
    assert_eq!(
        cleaned.install(Some(&mut log), T0).unwrap().0,
        SwapOutcome::Abandoned
    );
    assert!(!std::fs::read_dir(dir.path()).unwrap().any(|entry| entry
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(CLEANED_SUFFIX)));
    assert_eq!(stored(&log), before[..60].to_vec());
    // A stop request abandons a pass before any swap.
    let task = CleanTask::prepare(&tp(), &log, T0).unwrap().unwrap();
    assert!(matches!(
        task.run(&cleaner_config(), &AtomicBool::new(true)),
        Err(CleanerError::Stopped)
    ));
}

/// The crash states of a swap, in protocol order.
#[derive(Debug, Clone, Copy)]
enum CrashState {
    /// `.cleaned` files written, nothing renamed.
    Cleaned,
    /// Index `.swap` files renamed, the log still `.cleaned`.
    IndexesSwapped,
    /// Committed: all three `.swap` files.
    Committed,
    /// Committed, and the first source segment renamed to `.deleted`.
    SourcesDeleting,
    /// The indexes renamed to their final names, the log still `.swap`.
    IndexesFinal,
    /// Everything final, `.deleted` files not yet removed.
    Final,
}

fn rename(from: &Path, to: &Path) {
    std::fs::rename(from, to).unwrap();
}

#[test]
fn opening_a_log_recovers_every_crash_state_of_a_swap() {
    for state in [
        CrashState::Cleaned,
        CrashState::IndexesSwapped,
        CrashState::Committed,
        CrashState::SourcesDeleting,
        CrashState::IndexesFinal,
        CrashState::Final,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path();
        let mut log = open(path, compacted(), Shutdown::Clean);
        fill(&mut log, 5, 20);
        let before = stored(&log);
        let task = CleanTask::prepare(&tp(), &log, T0).unwrap().unwrap();
        let cleaned = task
            .run(&cleaner_config(), &AtomicBool::new(false))
            .unwrap();
        let groups = cleaned.groups.clone();
        drop(log);
        let committed = !matches!(state, CrashState::Cleaned | CrashState::IndexesSwapped);
        for group in &groups {
            let base = group.base_offset;
            let (c_log, c_index, c_time) = Segment::paths_with_suffix(path, base, CLEANED_SUFFIX);
            let (s_log, s_index, s_time) = Segment::paths_with_suffix(path, base, SWAP_SUFFIX);
            let (f_log, f_index, f_time) = Segment::paths_with_suffix(path, base, "");
            if matches!(state, CrashState::Cleaned) {
                continue;
            }
            rename(&c_index, &s_index);
            rename(&c_time, &s_time);
            if matches!(state, CrashState::IndexesSwapped) {
                continue;
            }
            rename(&c_log, &s_log);
            if matches!(state, CrashState::Committed) {
                continue;
            }
            for (position, source) in group.sources.iter().enumerate() {
                if matches!(state, CrashState::SourcesDeleting) && position > 0 {
                    break;
                }
                for file in Segment::paths_with_suffix(path, source.base_offset, "")
                    .0
                    .to_str()
                    .map(|log| {
                        let stem = log.trim_end_matches(".log");
                        [
                            format!("{stem}.log"),
                            format!("{stem}.index"),
                            format!("{stem}.timeindex"),
                        ]
                    })
                    .unwrap()
                {
                    rename(Path::new(&file), Path::new(&format!("{file}.deleted")));
                }
            }
            if matches!(state, CrashState::SourcesDeleting) {
                continue;
            }
            rename(&s_index, &f_index);
            rename(&s_time, &f_time);
            if matches!(state, CrashState::IndexesFinal) {
                continue;
            }
            rename(&s_log, &f_log);
        }
        let log = open(path, compacted(), Shutdown::Unclean);
        let after = stored(&log);
        // Whatever the state: the latest value of every key, at its offset, and nothing
        // that was not there before.
        assert_eq!(latest(&after), latest(&before), "{state:?}");
        let original: BTreeSet<Stored> = before.iter().cloned().collect();
        assert!(
            after.iter().all(|record| original.contains(record)),
            "{state:?}"
        );
        if committed {
            assert!(after.len() < before.len(), "{state:?}: swap not completed");
        } else {
            assert_eq!(after, before, "{state:?}");
        }
        // No leftovers of the cleaner.
        let leftovers: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| {
                name.ends_with(".cleaned") || name.ends_with(".swap") || name.ends_with(".deleted")
            })
            .collect();
        assert!(leftovers.is_empty(), "{state:?}: {leftovers:?}");
        assert_eq!(log.log_end_offset(), 100);
    }
}

#[test]
fn clean_once_swaps_under_the_shared_lock_and_the_checkpoint_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(T0));
    let mut log_dir = LogDir::open(dir.path(), compacted(), clock.clone()).unwrap();
    let topic_partition = tp();
    let log = log_dir.get_or_create(&topic_partition).unwrap();
    fill(log, 5, 20);
    let active_base = *log.segment_base_offsets().last().unwrap();
    let shared: SharedLogDir = Arc::new(Mutex::new(Some(log_dir)));
    let busy = Mutex::new(BTreeSet::new());
    let report = clean_once(
        &shared,
        &cleaner_config(),
        clock.as_ref(),
        &busy,
        &AtomicBool::new(false),
    )
    .unwrap()
    .unwrap();
    assert_eq!(report.outcome, SwapOutcome::Swapped);
    assert_eq!(report.end_offset, active_base);
    assert!(busy.lock().unwrap().is_empty());
    // Nothing else to do.
    assert!(clean_once(
        &shared,
        &cleaner_config(),
        clock.as_ref(),
        &busy,
        &AtomicBool::new(false)
    )
    .unwrap()
    .is_none());
    let text = std::fs::read_to_string(dir.path().join("cleaner-offset-checkpoint")).unwrap();
    assert_eq!(text, format!("0\n1\ncompacted 0 {active_base}\n"));
    let log_dir = shared.lock().unwrap().take().unwrap();
    drop(log_dir);
    let reopened = LogDir::open(dir.path(), compacted(), clock).unwrap();
    assert_eq!(
        reopened.log(&topic_partition).unwrap().cleaner_checkpoint(),
        Some(active_base)
    );
}

#[test]
fn the_cleaner_threads_clean_and_stop() {
    let dir = tempfile::tempdir().unwrap();
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(T0));
    let mut log_dir = LogDir::open(dir.path(), compacted(), clock.clone()).unwrap();
    fill(log_dir.get_or_create(&tp()).unwrap(), 5, 20);
    let shared: SharedLogDir = Arc::new(Mutex::new(Some(log_dir)));
    let cleaner = LogCleaner::start(
        Arc::clone(&shared),
        CleanerConfig {
            backoff: Duration::from_millis(10),
            ..cleaner_config()
        },
        clock,
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let checkpoint = shared
            .lock()
            .unwrap()
            .as_ref()
            .and_then(|dir| dir.log(&tp()).and_then(PartitionLog::cleaner_checkpoint));
        if checkpoint.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no pass within 30 s");
        std::thread::yield_now();
    }
    cleaner.stop();
}
