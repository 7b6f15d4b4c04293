//! The log cleaner: log compaction for topics whose `cleanup.policy` holds `compact`.
//!
//! Where it sits: [`LogCleaner::start`] runs `log.cleaner.threads` threads beside the
//! request path; they share the log dir (`Arc<Mutex<Option<LogDir>>>`, the lock the
//! handlers use) and hold its lock only for the short steps:
//!
//! 1. **select** (locked): among compacted logs not being cleaned, the one with the highest
//!    dirty ratio — bytes of segments after the cleaner checkpoint over bytes of all
//!    cleanable segments — at or above its `min.cleanable.dirty.ratio`, or whose first
//!    dirty batch is older than `max.compaction.lag.ms`. Never the active segment, never a
//!    segment whose newest record is younger than `min.compaction.lag.ms`. The chosen log's
//!    closed segments are snapshotted ([`CleanTask`]): a second handle on each file, its
//!    identity (device, inode, size), modification time and index sizes, plus the log's
//!    current config (so AlterConfigs takes effect at the next pass) and its producers' last
//!    batches;
//! 2. **clean** (unlocked, [`CleanTask::run`]): index the dirty range into an
//!    [`OffsetMap`] (key → latest offset), then rewrite every segment from the log start to
//!    the end of what was indexed, grouped while the group fits `segment.bytes`, the 32-bit
//!    relative offsets and the index sizes, into `.cleaned` segments (rules in
//!    [`rewrite`]), fsynced;
//! 3. **swap** (locked, [`Cleaned::install`]): if the log still holds exactly the snapshot's
//!    segments (no retention, truncation or deletion meanwhile) the groups are swapped in
//!    (files and crash policy in [`swap`]) and the log's cleaner checkpoint moves to the
//!    end of the indexed range; else the output is dropped and the next pass starts over.
//!    Readers take the same lock, so they see the old segments or the new ones, never a mix.
//!
//! Tombstones go once they have lain in the clean part for `delete.retention.ms`: each log
//! remembers when its passes moved the clean part's end (Kafka 3.x's intent, which it
//! implements with a delete horizon stamped into batches; stamping would rewrite the base
//! timestamp of stored batches, so this broker keeps the times beside the log instead; after
//! a restart the clean part counts as cleaned at the restart). Offsets are kept: gaps are
//! normal in compacted logs.
//!
//! `cleaner-offset-checkpoint` (Kafka's checkpoint format, one per log dir) holds each
//! compacted log's first dirty offset; it is written after each swap and with the other
//! checkpoints. A checkpoint outside the log's range restarts from the log start.

pub mod offset_map;
pub mod rewrite;
pub mod swap;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub use offset_map::OffsetMap;
pub use rewrite::CleanStats;

use super::checkpoint::TopicPartition;
use super::segment::Segment;
use super::{Clock, LogConfig, LogDir, LogError, PartitionLog};
use crate::record::RecordError;
use rewrite::{filter_batch, headers_of, remove_all, BatchReader, RetainRules};
use swap::CLEANED_SUFFIX;

/// The broker's `log.cleaner.*` settings (Kafka 3.x names and defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanerConfig {
    /// `log.cleaner.enable`: default true.
    pub enable: bool,
    /// `log.cleaner.threads`: default 1.
    pub threads: usize,
    /// `log.cleaner.dedupe.buffer.size`: offset-map memory of all threads together;
    /// default 128 MiB.
    pub dedupe_buffer_size: u64,
    /// `log.cleaner.io.buffer.size`: read and write buffer of each thread; default 512 KiB.
    pub io_buffer_size: usize,
    /// `log.cleaner.backoff.ms`: the pause when no log needs cleaning; default 15 s.
    pub backoff: Duration,
}

impl Default for CleanerConfig {
    fn default() -> Self {
        CleanerConfig {
            enable: true,
            threads: 1,
            dedupe_buffer_size: 134_217_728,
            io_buffer_size: 524_288,
            backoff: Duration::from_millis(15_000),
        }
    }
}

/// A cleaning pass that failed; the log is left as it was unless the error says otherwise.
#[derive(Debug, thiserror::Error)]
pub enum CleanerError {
    #[error(transparent)]
    Log(#[from] LogError),
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A stored batch that does not decode.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// A segment that ends inside a batch although the snapshot saw it closed.
    #[error("{path}: no whole batch at position {position}")]
    Corrupt { path: PathBuf, position: u64 },
    /// The offset map could not hold the keys of a single batch.
    #[error("offset map of {capacity} keys is too small for the first dirty batch at {offset}")]
    MapTooSmall { capacity: usize, offset: i64 },
    /// The cleaner is stopping.
    #[error("cleaner stopped")]
    Stopped,
}

/// What identifies a source segment's file: it must be unchanged at swap time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceIdentity {
    pub base_offset: i64,
    pub device: u64,
    pub inode: u64,
    pub size: u64,
}

/// A closed segment as snapshotted for a pass.
#[derive(Debug)]
struct SourceSegment {
    identity: SourceIdentity,
    next_offset: i64,
    path: PathBuf,
    file: File,
    offset_index_entries: usize,
    time_index_entries: usize,
}

/// How a log stands for cleaning (computed under the lock from in-memory state).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cleanability {
    pub first_dirty: i64,
    /// Base offset of the first segment that may not be cleaned (the active one, or the
    /// first younger than `min.compaction.lag.ms`).
    pub first_uncleanable: i64,
    pub clean_bytes: u64,
    pub cleanable_bytes: u64,
    pub dirty_ratio: f64,
    /// The first dirty batch is older than `max.compaction.lag.ms`.
    pub overdue: bool,
}

impl Cleanability {
    /// Whether the log should be cleaned now under `config`.
    pub fn eligible(&self, config: &LogConfig) -> bool {
        self.cleanable_bytes > 0
            && (self.overdue || self.dirty_ratio >= config.min_cleanable_dirty_ratio.value())
    }
}

/// The cleaning state of `log` at `now_ms`; `None` unless its policy is `compact`.
pub fn cleanability(log: &PartitionLog, now_ms: i64) -> Option<Cleanability> {
    let config = log.config();
    if !config.cleanup_policy.compact {
        return None;
    }
    let log_start = log.log_start_offset();
    let log_end = log.log_end_offset();
    let first_dirty = match log.cleaner_checkpoint() {
        Some(offset) if offset >= log_start && offset <= log_end => offset,
        _ => log_start,
    };
    let segments: Vec<&Segment> = log.segments().collect();
    let active_base = segments
        .last()
        .map_or(log_end, |segment| segment.base_offset());
    let mut first_uncleanable = active_base;
    if config.min_compaction_lag_ms > 0 {
        let young = segments.iter().find(|segment| {
            segment.next_offset() > first_dirty
                && segment.largest_timestamp() > now_ms.saturating_sub(config.min_compaction_lag_ms)
        });
        if let Some(young) = young {
            first_uncleanable = first_uncleanable.min(young.base_offset());
        }
    }
    let mut clean_bytes = 0u64;
    let mut cleanable_bytes = 0u64;
    let mut first_dirty_timestamp = None;
    for segment in &segments {
        if segment.base_offset() >= first_uncleanable {
            break;
        }
        if segment.next_offset() <= first_dirty {
            clean_bytes += segment.size();
        } else {
            cleanable_bytes += segment.size();
            first_dirty_timestamp.get_or_insert(segment.roll_reference_ms());
        }
    }
    let total = clean_bytes + cleanable_bytes;
    let dirty_ratio = if total == 0 {
        0.0
    } else {
        cleanable_bytes as f64 / total as f64
    };
    let overdue = config.max_compaction_lag_ms < i64::MAX
        && first_dirty_timestamp
            .is_some_and(|first| now_ms.saturating_sub(first) > config.max_compaction_lag_ms);
    Some(Cleanability {
        first_dirty,
        first_uncleanable,
        clean_bytes,
        cleanable_bytes,
        dirty_ratio,
        overdue,
    })
}

/// A pass over one log, snapshotted under the lock; run it without the lock.
#[derive(Debug)]
pub struct CleanTask {
    pub topic_partition: TopicPartition,
    dir: PathBuf,
    config: LogConfig,
    now_ms: i64,
    pub cleanability: Cleanability,
    segments: Vec<SourceSegment>,
    producer_last_offsets: HashMap<i64, i64>,
    /// Tombstones below this offset go.
    tombstone_horizon: i64,
    truncations: u64,
}

impl CleanTask {
    /// Snapshots `log` for a pass if it is eligible now (see the module doc).
    pub fn prepare(
        topic_partition: &TopicPartition,
        log: &PartitionLog,
        now_ms: i64,
    ) -> Result<Option<CleanTask>, CleanerError> {
        let Some(cleanability) = cleanability(log, now_ms) else {
            return Ok(None);
        };
        if !cleanability.eligible(log.config()) {
            return Ok(None);
        }
        CleanTask::snapshot(topic_partition, log, now_ms, cleanability).map(Some)
    }

    fn snapshot(
        topic_partition: &TopicPartition,
        log: &PartitionLog,
        now_ms: i64,
        cleanability: Cleanability,
    ) -> Result<CleanTask, CleanerError> {
        let mut segments = Vec::new();
        for segment in log.segments() {
            if segment.base_offset() >= cleanability.first_uncleanable {
                break;
            }
            segments.push(SourceSegment {
                identity: swap::identity_of(segment)?,
                next_offset: segment.next_offset(),
                path: segment.log_path().to_path_buf(),
                file: segment.try_clone_log()?,
                offset_index_entries: segment.offset_index().entries().len(),
                time_index_entries: segment.time_index().entries().len(),
            });
        }
        let tombstone_horizon = log
            .tombstone_horizon(now_ms)
            .unwrap_or(i64::MIN)
            .min(cleanability.first_dirty);
        let mut producer_last_offsets = HashMap::new();
        for (producer_id, entry) in log.producer_states().iter() {
            if let Some(last) = entry.batches.back() {
                producer_last_offsets.insert(producer_id, last.last_offset);
            }
        }
        Ok(CleanTask {
            topic_partition: topic_partition.clone(),
            dir: log.dir().to_path_buf(),
            config: log.config().clone(),
            now_ms,
            cleanability,
            segments,
            producer_last_offsets,
            tombstone_horizon,
            truncations: log.truncations(),
        })
    }

    /// Indexes the dirty range into a map of `map_memory` bytes; returns the map and the
    /// end of what it covers.
    fn build_map(
        &self,
        map_memory: usize,
        io_buffer: usize,
        stop: &AtomicBool,
        stats: &mut CleanStats,
    ) -> Result<(OffsetMap, i64), CleanerError> {
        let first_dirty = self.cleanability.first_dirty;
        let first_uncleanable = self.cleanability.first_uncleanable;
        let span = u64::try_from(first_uncleanable.saturating_sub(first_dirty)).unwrap_or(0);
        let mut map = OffsetMap::new(map_memory, span);
        for segment in &self.segments {
            if segment.next_offset <= first_dirty {
                continue;
            }
            if stop.load(Ordering::Relaxed) {
                return Err(CleanerError::Stopped);
            }
            let mut reader = BatchReader::new(
                &segment.file,
                &segment.path,
                segment.identity.size,
                io_buffer,
            );
            while let Some((_, bytes)) = reader.next_batch()? {
                let batch = crate::record::RecordBatch::parse(bytes)?;
                let header = *batch.header();
                if header.last_offset() < first_dirty {
                    continue;
                }
                stats.dirty_bytes += bytes.len() as u64;
                if header.is_control() {
                    continue;
                }
                let section = crate::record::compression::uncompressed_section(&batch)?;
                for record in section.records(header.records_count) {
                    let record = record?;
                    let offset = header
                        .base_offset
                        .saturating_add(i64::from(record.offset_delta));
                    if offset < first_dirty {
                        continue;
                    }
                    let Some(key) = record.key else {
                        continue;
                    };
                    if !map.put(key, offset) {
                        // Full: stop before this batch; what was put from it stays valid
                        // (those records are newer and remain in the log).
                        if header.base_offset <= first_dirty {
                            return Err(CleanerError::MapTooSmall {
                                capacity: map.capacity(),
                                offset: header.base_offset,
                            });
                        }
                        return Ok((map, header.base_offset));
                    }
                }
            }
        }
        Ok((map, first_uncleanable))
    }

    /// Groups the segments below `end` for rewriting (indexes into `self.segments`).
    fn groups(&self, end: i64) -> Vec<Vec<usize>> {
        let segment_bytes = u64::try_from(self.config.segment_bytes).unwrap_or(u64::MAX);
        let max_offset_entries = usize::try_from(self.config.segment_index_bytes / 8).unwrap_or(0);
        let max_time_entries = usize::try_from(self.config.segment_index_bytes / 12).unwrap_or(0);
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut current: Vec<usize> = Vec::new();
        let (mut bytes, mut offset_entries, mut time_entries) = (0u64, 0usize, 0usize);
        for (index, segment) in self.segments.iter().enumerate() {
            if segment.identity.base_offset >= end {
                break;
            }
            let fits = current
                .first()
                .and_then(|first| self.segments.get(*first))
                .is_some_and(|first| {
                    bytes + segment.identity.size <= segment_bytes
                        && offset_entries + segment.offset_index_entries < max_offset_entries
                        && time_entries + segment.time_index_entries < max_time_entries
                        && segment.next_offset.saturating_sub(1) - first.identity.base_offset
                            <= i64::from(i32::MAX)
                });
            if !fits && !current.is_empty() {
                groups.push(std::mem::take(&mut current));
                (bytes, offset_entries, time_entries) = (0, 0, 0);
            }
            current.push(index);
            bytes += segment.identity.size;
            offset_entries += segment.offset_index_entries;
            time_entries += segment.time_index_entries;
        }
        if !current.is_empty() {
            groups.push(current);
        }
        groups
    }

    /// Cleans without the storage lock: builds the offset map, writes the `.cleaned`
    /// segments. `stop` aborts between batches (the output is removed).
    pub fn run(self, config: &CleanerConfig, stop: &AtomicBool) -> Result<Cleaned, CleanerError> {
        let started = Instant::now();
        let mut stats = CleanStats::default();
        let threads = config.threads.max(1) as u64;
        let map_memory = usize::try_from(config.dedupe_buffer_size / threads).unwrap_or(usize::MAX);
        let (map, end) = self.build_map(map_memory, config.io_buffer_size, stop, &mut stats)?;
        let mut groups = Vec::new();
        let mut written: Vec<PathBuf> = Vec::new();
        for group in self.groups(end) {
            match self.write_group(&group, &map, config, stop, &mut stats, &mut written) {
                Ok(cleaned) => groups.push(cleaned),
                Err(error) => {
                    remove_all(&written);
                    return Err(error);
                }
            }
        }
        Ok(Cleaned {
            topic_partition: self.topic_partition,
            dir: self.dir,
            truncations: self.truncations,
            first_dirty: self.cleanability.first_dirty,
            end_offset: end,
            groups,
            written,
            stats,
            elapsed: started.elapsed(),
        })
    }

    fn write_group(
        &self,
        group: &[usize],
        map: &OffsetMap,
        config: &CleanerConfig,
        stop: &AtomicBool,
        stats: &mut CleanStats,
        written: &mut Vec<PathBuf>,
    ) -> Result<CleanedGroup, CleanerError> {
        let sources: Vec<&SourceSegment> = group
            .iter()
            .filter_map(|index| self.segments.get(*index))
            .collect();
        let base = sources
            .first()
            .map_or(self.cleanability.first_dirty, |first| {
                first.identity.base_offset
            });
        let mut output = Segment::create_with_suffix(
            &self.dir,
            base,
            CLEANED_SUFFIX,
            &self.config,
            self.now_ms,
        )?;
        written.extend(output.file_paths());
        let mut buffer: Vec<u8> = Vec::with_capacity(config.io_buffer_size);
        let rules = RetainRules {
            map,
            tombstone_horizon: self.tombstone_horizon,
            producer_last_offsets: &self.producer_last_offsets,
        };
        for source in &sources {
            let mut reader = BatchReader::new(
                &source.file,
                &source.path,
                source.identity.size,
                config.io_buffer_size,
            );
            while let Some((_, bytes)) = reader.next_batch()? {
                stats.bytes_read += bytes.len() as u64;
                filter_batch(bytes, &rules, &mut buffer, stats)?;
                if buffer.len() >= config.io_buffer_size {
                    if stop.load(Ordering::Relaxed) {
                        return Err(CleanerError::Stopped);
                    }
                    stats.bytes_written += buffer.len() as u64;
                    output.append(&buffer, &headers_of(&buffer))?;
                    buffer.clear();
                }
            }
        }
        if !buffer.is_empty() {
            stats.bytes_written += buffer.len() as u64;
            output.append(&buffer, &headers_of(&buffer))?;
        }
        output.seal()?;
        Ok(CleanedGroup {
            base_offset: base,
            sources: sources.iter().map(|source| source.identity).collect(),
        })
    }
}

/// The cleaned segments of one group of sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleanedGroup {
    pub base_offset: i64,
    pub sources: Vec<SourceIdentity>,
}

/// The output of [`CleanTask::run`], waiting to be swapped in.
#[derive(Debug)]
pub struct Cleaned {
    pub topic_partition: TopicPartition,
    dir: PathBuf,
    truncations: u64,
    pub first_dirty: i64,
    /// The new first dirty offset once swapped in.
    pub end_offset: i64,
    pub groups: Vec<CleanedGroup>,
    written: Vec<PathBuf>,
    pub stats: CleanStats,
    pub elapsed: Duration,
}

/// Files of replaced segments (renamed `*.deleted`), removed by [`Retired::remove`] after
/// the storage lock is released.
#[derive(Debug, Default)]
#[must_use = "the replaced files stay on disk until removed"]
pub struct Retired(Vec<PathBuf>);

impl Retired {
    pub fn remove(self) {
        remove_all(&self.0);
    }
}

/// What [`Cleaned::install`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapOutcome {
    /// The cleaned segments replaced the sources; the checkpoint moved.
    Swapped,
    /// The log changed meanwhile (or is gone): the output was dropped.
    Abandoned,
}

impl Cleaned {
    /// Swaps the output into `log` (the caller holds the storage lock), or drops it when the
    /// log no longer holds exactly the snapshot's segments. The replaced files come back as
    /// [`Retired`], to remove once the lock is released.
    pub fn install(
        self,
        log: Option<&mut PartitionLog>,
        now_ms: i64,
    ) -> Result<(SwapOutcome, Retired), CleanerError> {
        let Some(log) = log else {
            self.discard();
            return Ok((SwapOutcome::Abandoned, Retired(Vec::new())));
        };
        let mut current = log.dir() == self.dir.as_path() && log.truncations() == self.truncations;
        if current {
            for group in &self.groups {
                if !swap::group_still_current(log, group)? {
                    current = false;
                    break;
                }
            }
        }
        if !current || log.check_online().is_err() {
            self.discard();
            return Ok((SwapOutcome::Abandoned, Retired(Vec::new())));
        }
        let mut retired = Vec::new();
        for (index, group) in self.groups.iter().enumerate() {
            match swap::install_group(log, group, now_ms) {
                Ok(files) => retired.extend(files),
                Err(error) => {
                    // Groups not yet committed are removed; committed ones stay.
                    let later: Vec<PathBuf> = self
                        .groups
                        .iter()
                        .skip(index + 1)
                        .flat_map(|later| cleaned_paths(&self.dir, later.base_offset))
                        .collect();
                    remove_all(&later);
                    remove_all(&retired);
                    return Err(error);
                }
            }
        }
        log.set_cleaner_checkpoint(self.end_offset);
        log.record_clean_pass(self.end_offset, now_ms);
        Ok((SwapOutcome::Swapped, Retired(retired)))
    }

    /// Removes the output files.
    pub fn discard(self) {
        remove_all(&self.written);
    }
}

fn cleaned_paths(dir: &Path, base: i64) -> [PathBuf; 3] {
    let (log, index, time) = Segment::paths_with_suffix(dir, base, CLEANED_SUFFIX);
    [log, index, time]
}

/// What one pass did, for logs and the benchmark.
#[derive(Debug, Clone)]
pub struct PassReport {
    pub topic_partition: TopicPartition,
    pub outcome: SwapOutcome,
    pub first_dirty: i64,
    pub end_offset: i64,
    pub stats: CleanStats,
    /// Time spent cleaning outside the lock.
    pub clean_time: Duration,
    /// Time the swap held the lock.
    pub swap_time: Duration,
}

/// The log dir as the request handlers share it.
pub type SharedLogDir = Arc<Mutex<Option<LogDir>>>;

/// Runs one pass on the dirtiest eligible log not in `busy`, if any: select (locked), clean
/// (unlocked), swap and checkpoint (locked). `Ok(None)` when nothing is eligible or the log
/// dir is closed.
pub fn clean_once(
    shared: &Mutex<Option<LogDir>>,
    config: &CleanerConfig,
    clock: &dyn Clock,
    busy: &Mutex<BTreeSet<TopicPartition>>,
    stop: &AtomicBool,
) -> Result<Option<PassReport>, CleanerError> {
    let task = {
        let guard = shared.lock().map_err(|_| CleanerError::Stopped)?;
        let Some(dir) = guard.as_ref() else {
            return Ok(None);
        };
        let mut busy_set = busy.lock().map_err(|_| CleanerError::Stopped)?;
        let task = select(dir, clock.now_ms(), &busy_set)?;
        if let Some(task) = &task {
            busy_set.insert(task.topic_partition.clone());
        }
        task
    };
    let Some(task) = task else {
        return Ok(None);
    };
    let topic_partition = task.topic_partition.clone();
    let result = run_and_install(task, shared, config, clock, stop);
    if let Ok(mut busy_set) = busy.lock() {
        busy_set.remove(&topic_partition);
    }
    result.map(Some)
}

fn select(
    dir: &LogDir,
    now_ms: i64,
    busy: &BTreeSet<TopicPartition>,
) -> Result<Option<CleanTask>, CleanerError> {
    let mut best: Option<(&TopicPartition, &PartitionLog, Cleanability)> = None;
    for topic_partition in dir.topic_partitions() {
        if busy.contains(topic_partition) {
            continue;
        }
        let Some(log) = dir.log(topic_partition) else {
            continue;
        };
        let Some(state) = cleanability(log, now_ms) else {
            continue;
        };
        if !state.eligible(log.config()) {
            continue;
        }
        let better = best.as_ref().is_none_or(|(_, _, chosen)| {
            (state.overdue, state.dirty_ratio) > (chosen.overdue, chosen.dirty_ratio)
        });
        if better {
            best = Some((topic_partition, log, state));
        }
    }
    match best {
        Some((topic_partition, log, state)) => {
            CleanTask::snapshot(topic_partition, log, now_ms, state).map(Some)
        }
        None => Ok(None),
    }
}

fn run_and_install(
    task: CleanTask,
    shared: &Mutex<Option<LogDir>>,
    config: &CleanerConfig,
    clock: &dyn Clock,
    stop: &AtomicBool,
) -> Result<PassReport, CleanerError> {
    let topic_partition = task.topic_partition.clone();
    let cleaned = task.run(config, stop)?;
    let swap_started = Instant::now();
    let mut guard = shared.lock().map_err(|_| CleanerError::Stopped)?;
    let (first_dirty, end_offset, stats, clean_time) = (
        cleaned.first_dirty,
        cleaned.end_offset,
        cleaned.stats,
        cleaned.elapsed,
    );
    let (outcome, retired) = match guard.as_mut() {
        Some(dir) => {
            let (outcome, retired) =
                cleaned.install(dir.log_mut(&topic_partition), clock.now_ms())?;
            if outcome == SwapOutcome::Swapped {
                dir.write_cleaner_checkpoint()?;
            }
            (outcome, retired)
        }
        None => {
            cleaned.discard();
            (SwapOutcome::Abandoned, Retired::default())
        }
    };
    drop(guard);
    let swap_time = swap_started.elapsed();
    retired.remove();
    Ok(PassReport {
        topic_partition,
        outcome,
        first_dirty,
        end_offset,
        stats,
        clean_time,
        swap_time,
    })
}

/// The running cleaner threads; [`stop`](Self::stop) ends them.
#[derive(Debug)]
pub struct LogCleaner {
    stop: Arc<(AtomicBool, Mutex<()>, Condvar)>,
    threads: Vec<JoinHandle<()>>,
}

impl LogCleaner {
    /// Starts `config.threads` cleaner threads on `shared` (none when `log.cleaner.enable`
    /// is false). Each loops: one pass; when nothing was eligible, waits
    /// `log.cleaner.backoff.ms` (or until stopped).
    pub fn start(shared: SharedLogDir, config: CleanerConfig, clock: Arc<dyn Clock>) -> LogCleaner {
        let stop = Arc::new((AtomicBool::new(false), Mutex::new(()), Condvar::new()));
        let busy = Arc::new(Mutex::new(BTreeSet::new()));
        let mut threads = Vec::new();
        if config.enable {
            for index in 0..config.threads.max(1) {
                let (shared, config, clock, stop, busy) = (
                    Arc::clone(&shared),
                    config.clone(),
                    Arc::clone(&clock),
                    Arc::clone(&stop),
                    Arc::clone(&busy),
                );
                let spawned = std::thread::Builder::new()
                    .name(format!("log-cleaner-{index}"))
                    .spawn(move || cleaner_loop(&shared, &config, clock.as_ref(), &busy, &stop));
                match spawned {
                    Ok(handle) => threads.push(handle),
                    Err(error) => tracing::error!(%error, "could not start a log cleaner thread"),
                }
            }
        }
        LogCleaner { stop, threads }
    }

    /// Stops the threads (a pass in progress is abandoned, its output removed) and waits for
    /// them. Blocking.
    pub fn stop(self) {
        let (flag, lock, wake) = &*self.stop;
        flag.store(true, Ordering::SeqCst);
        let _guard = lock.lock();
        wake.notify_all();
        drop(_guard);
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn cleaner_loop(
    shared: &Mutex<Option<LogDir>>,
    config: &CleanerConfig,
    clock: &dyn Clock,
    busy: &Mutex<BTreeSet<TopicPartition>>,
    stop: &(AtomicBool, Mutex<()>, Condvar),
) {
    let (flag, lock, wake) = stop;
    while !flag.load(Ordering::SeqCst) {
        let cleaned_something = match clean_once(shared, config, clock, busy, flag) {
            Ok(Some(report)) => {
                log_report(&report);
                report.outcome == SwapOutcome::Swapped
            }
            Ok(None) => {
                if shared.lock().map(|dir| dir.is_none()).unwrap_or(true) {
                    break;
                }
                false
            }
            Err(CleanerError::Stopped) => break,
            Err(error) => {
                tracing::warn!(%error, "log cleaning pass failed");
                false
            }
        };
        if cleaned_something {
            continue;
        }
        let Ok(guard) = lock.lock() else {
            break;
        };
        if flag.load(Ordering::SeqCst) {
            break;
        }
        let _ = wake.wait_timeout(guard, config.backoff);
    }
}

fn log_report(report: &PassReport) {
    let stats = &report.stats;
    let seconds = report.clean_time.as_secs_f64().max(1e-9);
    tracing::info!(
        "Cleaned log {} ({:?}): offsets {}..{} indexed ({:.1} MB dirty), {:.1} MB read, {:.1} MB \
         written, {} of {} records kept, {} tombstones dropped, {:.1} MB/s, swap held the lock \
         {} ms",
        report.topic_partition,
        report.outcome,
        report.first_dirty,
        report.end_offset,
        stats.dirty_bytes as f64 / 1e6,
        stats.bytes_read as f64 / 1e6,
        stats.bytes_written as f64 / 1e6,
        stats.records_kept,
        stats.records_read,
        stats.tombstones_dropped,
        stats.dirty_bytes as f64 / 1e6 / seconds,
        report.swap_time.as_millis()
    );
}
