//! [`PartitionLog`]: the log of one partition — a directory `<topic>-<partition>` of
//! segments ordered by base offset, the last one active (the only one appended to).
//!
//! Offsets: `log_start_offset` (first readable; moved by retention), `log_end_offset` (next
//! to assign; *appended*, not necessarily durable), `recovery_point` (everything below it is
//! *flushed*). Appends validate every batch of the request before writing any, assign offsets
//! in place (and the append time for LogAppendTime topics), roll the active segment first if
//! the request would overflow `segment.bytes`, its first batch is older than `segment.ms`, its
//! indexes are full, or the offsets would not fit its 32-bit relative range.
//!
//! Crash policy: on open after an unclean stop, every segment from the one holding the
//! recovery point onwards is rescanned ([`Segment::recover`]); at the first bad or torn batch
//! the segment is cut and any later segments are deleted. Each cut is logged and returned as
//! a [`RecoveryWarning`]. After a clean stop the data is trusted; only missing or
//! inconsistent indexes are rebuilt. Retention deletes whole segments, oldest first, never
//! the active one.
//!
//! Idempotent producers: every append checks the batches carrying a producer id against the
//! partition's [`ProducerStates`] (duplicates answered with their original offsets, fenced
//! epochs and sequence gaps refused) before anything is written. The states are snapshotted
//! to `<offset>.snapshot` at every roll and at close, and rebuilt on open from the newest
//! good snapshot plus the batches after it (from the log start when there is none).
//!
//! Replication: the log keeps its [`LeaderEpochCache`] (`leader-epoch-checkpoint`) in step
//! with its data — epochs assigned by leader appends, by a new leader at the log end and by
//! follower appends (from the batches' stamped epochs); the entries trimmed when the log is
//! truncated at either end; rebuilt from the batch headers on open only when the cache is
//! empty while the log holds batches. The high watermark (the offset below which every
//! replica in sync has the data) lives here too: set by the replication layer, clamped to
//! `[log_start_offset, log_end_offset]`, lowered by truncation, and checkpointed by
//! [`LogDir`](super::LogDir) in `replication-offset-checkpoint`. Followers append with
//! [`PartitionLog::append_as_follower`]: the leader's batches as stored, offsets checked,
//! not reassigned. Consumers read up to the high watermark with
//! [`PartitionLog::read_up_to`].
//!
//! Write failures: a write that fails (ENOSPC, EIO) is undone by cutting the file back to
//! its size before the append, so no partial batch stays in the log, and the error is
//! returned. When the cut itself fails, or an fsync fails, the log goes offline: every later
//! call returns [`LogError::Offline`] (an fsync failure is never retried: the kernel may
//! have dropped the dirty pages).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::checkpoint::sync_dir;
use super::epoch_cache::{EpochEntry, LeaderEpochCache};
use super::producer_state::{self, BatchCheck, ProducerStates};
use super::segment::{FileSlice, FirstBatch, Segment, TruncatedTail};
use super::{Clock, LogConfig, LogError};
use crate::record::compression::first_keyless_record;
use crate::record::{split_batches, BatchHeader, StoredHeader, TimestampType};

/// The partition leader epoch stamped into appended batches until the cluster layer passes
/// the partition's real one.
pub const DEFAULT_LEADER_EPOCH: i32 = 0;

/// How many producer-state snapshots a log keeps (the newest ones).
const SNAPSHOTS_KEPT: usize = 2;

/// How the log dir was last stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// The clean-shutdown marker was present: the files are trusted.
    Clean,
    /// No marker: recover from the recovery point.
    Unclean,
}

/// What the log dir knows about a partition when opening it (from its checkpoints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogStart {
    pub shutdown: Shutdown,
    /// From `recovery-point-offset-checkpoint` (0 when absent: recover everything).
    pub recovery_point: i64,
    /// From `log-start-offset-checkpoint` (0 when absent).
    pub log_start_offset: i64,
}

impl Default for LogStart {
    fn default() -> Self {
        LogStart {
            shutdown: Shutdown::Unclean,
            recovery_point: 0,
            log_start_offset: 0,
        }
    }
}

/// Something recovery dropped: a torn or corrupt tail, or a whole segment after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryWarning {
    pub file: PathBuf,
    pub position: u64,
    pub bytes: u64,
    pub reason: String,
}

impl From<TruncatedTail> for RecoveryWarning {
    fn from(tail: TruncatedTail) -> Self {
        RecoveryWarning {
            file: tail.file,
            position: tail.position,
            bytes: tail.bytes,
            reason: tail.reason,
        }
    }
}

impl std::fmt::Display for RecoveryWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "dropped {} bytes of {} from position {}: {}",
            self.bytes,
            self.file.display(),
            self.position,
            self.reason
        )
    }
}

/// Outcome of an append (leader or follower).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    pub first_offset: i64,
    pub last_offset: i64,
    /// The time written into LogAppendTime batches, `None` for CreateTime. For a duplicate,
    /// the append time of the original batch.
    pub log_append_time: Option<i64>,
    /// True when the append was an idempotent producer's retry of a batch already in the
    /// log: nothing was written and the offsets are the original batch's.
    pub duplicate: bool,
    pub max_timestamp: i64,
    pub batches: usize,
    pub records: i64,
    pub bytes: usize,
}

/// Outcome of [`PartitionLog::read`] and [`PartitionLog::read_up_to`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadResult {
    /// Whole batches, the first holding the requested offset; empty at the log end.
    pub records: Vec<u8>,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
}

/// Outcome of [`PartitionLog::slices_up_to`]: what [`ReadResult`] holds, as file ranges.
#[derive(Debug, Clone)]
pub struct SlicedRead {
    /// In log order; their lengths add up to the bytes read.
    pub slices: Vec<FileSlice>,
    pub log_start_offset: i64,
    pub log_end_offset: i64,
}

/// Outcome of [`PartitionLog::apply_retention`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetentionOutcome {
    /// Base offsets of the deleted segments.
    pub deleted_segments: Vec<i64>,
    pub deleted_bytes: u64,
    pub log_start_offset: i64,
}

/// The log of one partition. Not synchronised: one owner (a storage thread) calls it.
#[derive(Debug)]
pub struct PartitionLog {
    dir: PathBuf,
    config: LogConfig,
    clock: Arc<dyn Clock>,
    segments: BTreeMap<i64, Segment>,
    log_start_offset: i64,
    recovery_point: i64,
    unflushed_records: i64,
    last_flush_ms: i64,
    recovery_warnings: Vec<RecoveryWarning>,
    producer_states: ProducerStates,
    /// Why the log refuses every call (a write it could not undo, a failed fsync).
    offline: Option<String>,
    /// Where the log cleaner stopped: offsets below it are clean (`cleaner-offset-checkpoint`).
    cleaner_checkpoint: Option<i64>,
    /// Bumped by every truncation, so a cleaning pass begun before one is not swapped in.
    truncations: u64,
    /// `(end of the clean part, when a pass moved it there)`, oldest first: when each
    /// offset became clean, for tombstone expiry. Only the newest entry older than
    /// `delete.retention.ms` is kept among the old ones.
    clean_passes: Vec<(i64, i64)>,
    /// Leader epochs and their start offsets (`leader-epoch-checkpoint`).
    leader_epochs: LeaderEpochCache,
    /// Offsets below it are replicated to every in-sync replica; within
    /// `[log_start_offset, log_end_offset]`.
    high_watermark: i64,
}

impl PartitionLog {
    /// Opens the log in `dir` (creating the directory and a first segment if needed),
    /// recovering it per `start` (see the module doc). What recovery dropped is logged and
    /// available from [`recovery_warnings`](Self::recovery_warnings). The leader epoch cache
    /// is loaded and trimmed to the recovered log (rebuilt from the batch headers when it is
    /// empty but the log is not); the high watermark starts at the log start offset (the log
    /// dir then sets the checkpointed one).
    pub fn open(
        dir: &Path,
        config: LogConfig,
        start: LogStart,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, LogError> {
        config.validate()?;
        std::fs::create_dir_all(dir).map_err(LogError::io("create directory", dir))?;
        let now = clock.now_ms();
        // A cleaning pass interrupted by a crash: finish or drop it before listing segments.
        let mut warnings = super::cleaner::swap::recover_dir(dir)?;
        let base_offsets = scan_dir(dir)?;
        let mut segments = BTreeMap::new();
        for base_offset in base_offsets {
            let (segment, rebuilt) = Segment::open(dir, base_offset, &config, now)?;
            warnings.extend(rebuilt.map(RecoveryWarning::from));
            segments.insert(base_offset, segment);
        }
        if start.shutdown == Shutdown::Unclean {
            recover_segments(&mut segments, start.recovery_point, &mut warnings)?;
        }
        if segments.is_empty() {
            let base_offset = start.log_start_offset.max(0);
            segments.insert(
                base_offset,
                Segment::create(dir, base_offset, &config, now)?,
            );
            sync_dir(dir)?;
        }
        for warning in &warnings {
            tracing::warn!(dir = %dir.display(), "log recovery: {warning}");
        }
        let mut log = PartitionLog {
            dir: dir.to_path_buf(),
            config,
            clock,
            segments,
            log_start_offset: 0,
            recovery_point: 0,
            unflushed_records: 0,
            last_flush_ms: now,
            recovery_warnings: warnings,
            producer_states: ProducerStates::default(),
            offline: None,
            cleaner_checkpoint: None,
            truncations: 0,
            clean_passes: Vec::new(),
            leader_epochs: LeaderEpochCache::open(dir),
            high_watermark: 0,
        };
        let first_base = log.segments.keys().next().copied().unwrap_or(0);
        log.log_start_offset = start
            .log_start_offset
            .max(first_base)
            .min(log.log_end_offset());
        if start.shutdown == Shutdown::Unclean {
            // What recovery kept was checked; make it durable so the point can move.
            for segment in log.segments.values() {
                segment.flush()?;
            }
        }
        log.recovery_point = log.log_end_offset();
        log.high_watermark = log.log_start_offset;
        log.load_producer_states()?;
        log.load_leader_epochs()?;
        Ok(log)
    }

    /// Fits the loaded leader epoch cache to the log: rebuilt from the batch headers when it
    /// is empty while the log holds batches (a missing or unreadable file), then trimmed to
    /// `[log_start_offset, log_end_offset)`.
    fn load_leader_epochs(&mut self) -> Result<(), LogError> {
        if self.leader_epochs.is_empty() && self.segments.values().any(|s| !s.is_empty()) {
            let mut found: Vec<EpochEntry> = Vec::new();
            for segment in self.segments.values() {
                segment.scan_headers(self.log_start_offset, |header| {
                    let epoch = header.partition_leader_epoch;
                    if found.last().is_none_or(|last| last.epoch != epoch) {
                        found.push(EpochEntry {
                            epoch,
                            start_offset: header.base_offset,
                        });
                    }
                })?;
            }
            if self.leader_epochs.assign_all(found)? {
                tracing::info!(
                    dir = %self.dir.display(),
                    entries = self.leader_epochs.entries().len(),
                    "leader epoch cache rebuilt from the batch headers"
                );
            }
        }
        self.leader_epochs
            .truncate_from_end(self.log_end_offset())?;
        self.leader_epochs
            .truncate_from_start(self.log_start_offset)
    }

    /// Applies a change to the leader epoch cache; a failed write of its file takes the log
    /// offline (as a failed fsync does).
    fn update_leader_epochs<T>(
        &mut self,
        change: impl FnOnce(&mut LeaderEpochCache) -> Result<T, LogError>,
    ) -> Result<T, LogError> {
        let result = change(&mut self.leader_epochs);
        if let Err(error) = &result {
            self.go_offline(error);
        }
        result
    }

    /// The partition's leader epochs and their start offsets.
    pub fn leader_epoch_cache(&self) -> &LeaderEpochCache {
        &self.leader_epochs
    }

    /// The newest leader epoch this log knows, if any.
    pub fn latest_epoch(&self) -> Option<i32> {
        self.leader_epochs.latest_epoch()
    }

    /// OffsetForLeaderEpoch for `epoch` against this log: `(epoch, end offset)` per
    /// [`LeaderEpochCache::end_offset_for`] with the current log end offset.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> (i32, i64) {
        self.leader_epochs
            .end_offset_for(epoch, self.log_end_offset())
    }

    /// What a replica calls when it becomes the partition's leader in `epoch`: the epoch
    /// starts at the current log end, before anything is appended in it (Kafka's rule).
    /// A no-op when `epoch` is already the latest one. Durable on return; a failed write
    /// takes the log offline.
    pub fn assign_leader_epoch(&mut self, epoch: i32) -> Result<(), LogError> {
        self.check_online()?;
        let log_end_offset = self.log_end_offset();
        self.update_leader_epochs(|cache| cache.assign(epoch, log_end_offset))?;
        Ok(())
    }

    /// The high watermark: every offset below it is on every in-sync replica (consumers
    /// read below it).
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Sets the high watermark, clamped to `[log_start_offset, log_end_offset]`. In memory
    /// only: [`LogDir::checkpoint`](super::LogDir::checkpoint) persists it.
    pub fn set_high_watermark(&mut self, high_watermark: i64) {
        self.high_watermark = high_watermark
            .min(self.log_end_offset())
            .max(self.log_start_offset);
    }

    /// Rebuilds the producer states: the newest snapshot at or below the log end that
    /// decodes, plus the batches after it; from the log start when there is none. Snapshots
    /// past the log end (the tail they saw is gone) and damaged ones are deleted.
    fn load_producer_states(&mut self) -> Result<(), LogError> {
        let log_end_offset = self.log_end_offset();
        let first_base = self.segments.keys().next().copied().unwrap_or(0);
        let expiration_ms = self.producer_states_expiration_ms();
        let mut loaded: Option<(i64, ProducerStates)> = None;
        let mut snapshots = producer_state::list_snapshots(&self.dir)?;
        snapshots.reverse();
        for offset in snapshots {
            let path = producer_state::snapshot_path(&self.dir, offset);
            if offset > log_end_offset || loaded.is_some() && offset < first_base {
                super::segment::remove_if_exists(&path)?;
                continue;
            }
            if loaded.is_some() {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(LogError::io("read", &path))?;
            match ProducerStates::decode_snapshot(&bytes, expiration_ms) {
                Ok(states) => loaded = Some((offset, states)),
                Err(reason) => {
                    tracing::warn!(
                        file = %path.display(),
                        reason,
                        "producer-state snapshot ignored; rebuilding from the log"
                    );
                    super::segment::remove_if_exists(&path)?;
                }
            }
        }
        let (from, mut states) = match loaded {
            Some((offset, states)) => (offset.max(first_base), states),
            None => {
                if log_end_offset > first_base {
                    tracing::warn!(
                        dir = %self.dir.display(),
                        "no usable producer-state snapshot; rebuilding from the log start"
                    );
                }
                (first_base, ProducerStates::new(expiration_ms))
            }
        };
        let floor = self
            .segments
            .range(..=from)
            .next_back()
            .map_or(from, |(base, _)| *base);
        for segment in self.segments.range(floor..).map(|(_, segment)| segment) {
            segment.scan_headers(from, |header| states.update(header))?;
        }
        states.truncate_head(self.log_start_offset);
        self.producer_states = states;
        Ok(())
    }

    fn producer_states_expiration_ms(&self) -> i64 {
        self.producer_states.expiration_ms()
    }

    /// The idempotent-producer states of this partition.
    pub fn producer_states(&self) -> &ProducerStates {
        &self.producer_states
    }

    /// Sets `producer.id.expiration.ms` (default one day).
    pub fn set_producer_id_expiration_ms(&mut self, expiration_ms: i64) {
        self.producer_states.set_expiration_ms(expiration_ms);
    }

    /// Writes the producer states as the snapshot at the log end and keeps only the newest
    /// [`SNAPSHOTS_KEPT`].
    fn snapshot_producer_states(&mut self) -> Result<(), LogError> {
        let offset = self.log_end_offset();
        self.producer_states.remove_expired(self.clock.now_ms());
        producer_state::write_snapshot(&self.dir, offset, &self.producer_states)?;
        let snapshots = producer_state::list_snapshots(&self.dir)?;
        let excess = snapshots.len().saturating_sub(SNAPSHOTS_KEPT);
        for old in snapshots.into_iter().take(excess) {
            super::segment::remove_if_exists(&producer_state::snapshot_path(&self.dir, old))?;
        }
        Ok(())
    }

    /// Where the log cleaner stopped (offsets below it are clean), if it ever cleaned this
    /// log.
    pub fn cleaner_checkpoint(&self) -> Option<i64> {
        self.cleaner_checkpoint
    }

    /// Records where the log cleaner stopped (loaded from `cleaner-offset-checkpoint`, or
    /// after a cleaning pass).
    pub fn set_cleaner_checkpoint(&mut self, offset: i64) {
        self.cleaner_checkpoint = Some(offset);
    }

    /// Notes that at `now_ms` the clean part reached `end_offset` (after a cleaning pass, or
    /// on open from `cleaner-offset-checkpoint`).
    pub fn record_clean_pass(&mut self, end_offset: i64, now_ms: i64) {
        self.clean_passes.push((end_offset, now_ms));
        let expired_before = now_ms.saturating_sub(self.config.delete_retention_ms);
        let expired = self
            .clean_passes
            .iter()
            .filter(|(_, at)| *at <= expired_before)
            .count();
        if expired > 1 {
            self.clean_passes.drain(..expired - 1);
        }
    }

    /// Tombstones below the returned offset have been in the clean part for at least
    /// `delete.retention.ms` at `now_ms` (the cleaner may drop them); `None` when no
    /// offset has.
    pub fn tombstone_horizon(&self, now_ms: i64) -> Option<i64> {
        let expired_before = now_ms.saturating_sub(self.config.delete_retention_ms);
        self.clean_passes
            .iter()
            .filter(|(_, at)| *at <= expired_before)
            .map(|(end, _)| *end)
            .max()
    }

    /// How many truncations this log has seen since it was opened.
    pub fn truncations(&self) -> u64 {
        self.truncations
    }

    /// The segments by base offset, for the cleaner's swap (which replaces some of them
    /// under the storage lock).
    pub(crate) fn segments_mut(&mut self) -> &mut BTreeMap<i64, Segment> {
        &mut self.segments
    }

    pub(crate) fn check_online(&self) -> Result<(), LogError> {
        match &self.offline {
            None => Ok(()),
            Some(reason) => Err(LogError::Offline {
                dir: self.dir.clone(),
                reason: reason.clone(),
            }),
        }
    }

    /// Takes the log offline after `error` (a write not undone, a failed fsync, a swap of
    /// cleaned segments that failed half-way).
    pub(crate) fn go_offline(&mut self, error: &LogError) {
        tracing::error!(dir = %self.dir.display(), %error, "partition log goes offline");
        self.offline = Some(error.to_string());
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Applies changed topic settings (AlterConfigs); they take effect at the next append,
    /// roll or retention pass.
    pub fn set_config(&mut self, config: LogConfig) -> Result<(), LogError> {
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// What recovery dropped when this log was opened.
    pub fn recovery_warnings(&self) -> &[RecoveryWarning] {
        &self.recovery_warnings
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    /// The next offset to assign (appended, not necessarily flushed).
    pub fn log_end_offset(&self) -> i64 {
        self.active()
            .map_or(self.log_start_offset, Segment::next_offset)
    }

    /// Every offset below this one is flushed to disk.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    /// Total bytes of all segment log files.
    pub fn size_in_bytes(&self) -> u64 {
        self.segments.values().map(Segment::size).sum()
    }

    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.keys().copied().collect()
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.values()
    }

    fn active(&self) -> Option<&Segment> {
        self.segments.values().next_back()
    }

    /// [`append_as_leader`](Self::append_as_leader) with [`DEFAULT_LEADER_EPOCH`].
    pub fn append(
        &mut self,
        records: &[u8],
        timestamp_type: TimestampType,
    ) -> Result<AppendInfo, LogError> {
        self.append_as_leader(records, timestamp_type, DEFAULT_LEADER_EPOCH)
    }

    /// Validates every batch of `records` (a produce request's record set), refuses control
    /// and transactional batches, assigns offsets from the log end, `leader_epoch` and (when
    /// `timestamp_type` is LogAppendTime) the append time in place, checks idempotent
    /// producers' epochs and sequences, and writes the batches to the active segment,
    /// rolling first if needed. `records` itself is not changed: each batch's header is
    /// rewritten in a copy written in front of the batch's records. All or nothing: a refused batch, a duplicate (answered with
    /// the original offsets, see [`AppendInfo::duplicate`]) or a failed write leaves the log
    /// as it was. Durable only after [`flush`](Self::flush) (or when `flush.messages` /
    /// `flush.ms` trigger one here).
    pub fn append_as_leader(
        &mut self,
        records: &[u8],
        timestamp_type: TimestampType,
        leader_epoch: i32,
    ) -> Result<AppendInfo, LogError> {
        self.check_online()?;
        let invalid = |batch_index, source| LogError::InvalidBatch {
            batch_index,
            source,
        };
        let size = records.len();
        let batches = split_batches(records).map_err(|source| invalid(0, source))?;
        if batches.is_empty() {
            return Err(LogError::EmptyAppend);
        }
        for (index, batch) in batches.iter().enumerate() {
            batch.validate().map_err(|source| invalid(index, source))?;
            let header = batch.header();
            // Kafka refuses control records from clients; transactions need a transaction
            // coordinator, which this broker does not run.
            if header.is_control() {
                return Err(LogError::ControlBatch { batch_index: index });
            }
            if header.is_transactional() {
                return Err(LogError::TransactionalBatch {
                    batch_index: index,
                    producer_id: header.producer_id,
                });
            }
            // Kafka's LogValidator: a compacted topic keeps the latest record per key, so a
            // record without one is refused (compressed batches are opened for this).
            if self.config.cleanup_policy.compact {
                let keyless =
                    first_keyless_record(batch).map_err(|source| invalid(index, source))?;
                if let Some(record_index) = keyless {
                    return Err(LogError::KeylessRecord {
                        batch_index: index,
                        record_index,
                    });
                }
            }
        }
        let segment_bytes = u64::try_from(self.config.segment_bytes).unwrap_or(0);
        if size as u64 > segment_bytes {
            return Err(LogError::AppendTooLarge {
                size,
                segment_bytes: self.config.segment_bytes,
            });
        }
        let now = self.clock.now_ms();
        let first_offset = self.log_end_offset();
        let log_append_time = (timestamp_type == TimestampType::LogAppendTime).then_some(now);
        let mut next = first_offset;
        let mut headers: Vec<BatchHeader> = Vec::with_capacity(batches.len());
        let mut stored: Vec<StoredHeader> = Vec::with_capacity(batches.len());
        let mut records_count: i64 = 0;
        let mut max_timestamp = -1;
        for (index, batch) in batches.iter().enumerate() {
            let mut rewritten = StoredHeader::copy_of(batch);
            rewritten
                .assign_offsets(next)
                .map_err(|source| invalid(index, source))?;
            rewritten.set_partition_leader_epoch(leader_epoch);
            if let Some(time) = log_append_time {
                rewritten.set_log_append_time(time, batch.records_section());
            }
            let header = *rewritten.header();
            if header.producer_id >= 0 {
                let check =
                    self.producer_states
                        .check(&header, &headers, now)
                        .map_err(|source| LogError::Producer {
                            batch_index: index,
                            source,
                        })?;
                if let BatchCheck::Duplicate(original) = check {
                    return Ok(AppendInfo {
                        first_offset: original.first_offset,
                        last_offset: original.last_offset,
                        log_append_time: log_append_time.map(|_| original.timestamp),
                        duplicate: true,
                        max_timestamp: original.timestamp,
                        batches: 0,
                        records: 0,
                        bytes: 0,
                    });
                }
            }
            next = header.last_offset().saturating_add(1);
            records_count += i64::from(header.records_count);
            max_timestamp = max_timestamp.max(header.max_timestamp);
            headers.push(header);
            stored.push(rewritten);
        }
        let parts: Vec<&[u8]> = stored
            .iter()
            .zip(&batches)
            .flat_map(|(header, batch)| [header.as_bytes(), batch.records_section()])
            .collect();
        let last_offset = next - 1;
        self.maybe_roll(size as u64, first_offset, last_offset, now)?;
        let active = self.active_mut()?;
        if let Err(error) = active.append_parts(&parts, &headers) {
            if matches!(error, LogError::AppendNotUndone { .. }) {
                self.go_offline(&error);
            }
            return Err(error);
        }
        for header in &headers {
            self.producer_states.update(header);
        }
        if leader_epoch >= 0
            && self
                .leader_epochs
                .latest_epoch()
                .is_none_or(|latest| leader_epoch > latest)
        {
            self.update_leader_epochs(|cache| cache.assign(leader_epoch, first_offset))?;
        }
        self.count_unflushed(records_count, now)?;
        Ok(AppendInfo {
            first_offset,
            last_offset,
            log_append_time,
            duplicate: false,
            max_timestamp,
            batches: headers.len(),
            records: records_count,
            bytes: size,
        })
    }

    /// Counts appended records and flushes when `flush.messages` or `flush.ms` says so.
    fn count_unflushed(&mut self, records: i64, now: i64) -> Result<(), LogError> {
        self.unflushed_records = self.unflushed_records.saturating_add(records);
        if self.unflushed_records >= self.config.flush_messages
            || now.saturating_sub(self.last_flush_ms) >= self.config.flush_ms
        {
            self.flush()?;
        }
        Ok(())
    }

    /// Appends batches exactly as the partition's leader stored them (a fetch response's
    /// records: offsets, leader epochs and timestamps already set). Every batch is checked
    /// first — framing, magic, CRC-32C, known codec (what recovery checks; cleaned batches
    /// of a compacted leader legitimately hold fewer records than their offset span) — and
    /// its offsets must start at or above the log end and above the previous batch:
    /// otherwise [`LogError::UnexpectedAppendOffset`] and nothing is written. A batch may
    /// start past the log end (a compacted leader removed the batches between; Kafka
    /// accepts that too). A single batch larger than `segment.bytes` is
    /// [`LogError::AppendTooLarge`].
    ///
    /// The batches are written in runs that each fit a segment, rolling before a run as
    /// leader appends roll; a write failure in a later run leaves the earlier runs appended
    /// (the log end says how far). Producer states are updated from every batch header
    /// without sequence checks (the follower takes what its leader accepted), control and
    /// transactional batches are stored as data, and each batch's leader epoch is assigned
    /// from its base offset when newer. Flushed per `flush.messages` / `flush.ms`.
    /// Empty `records` appends nothing and succeeds with `batches == 0`.
    pub fn append_as_follower(&mut self, records: &[u8]) -> Result<AppendInfo, LogError> {
        self.check_online()?;
        let invalid = |batch_index, source| LogError::InvalidBatch {
            batch_index,
            source,
        };
        let log_end_offset = self.log_end_offset();
        let segment_bytes = u64::try_from(self.config.segment_bytes).unwrap_or(0);
        let batches = split_batches(records).map_err(|source| invalid(0, source))?;
        let mut headers: Vec<BatchHeader> = Vec::with_capacity(batches.len());
        let mut expected = log_end_offset;
        for (index, batch) in batches.iter().enumerate() {
            batch
                .check_integrity()
                .map_err(|source| invalid(index, source))?;
            let header = *batch.header();
            if header.base_offset < expected {
                return Err(LogError::UnexpectedAppendOffset {
                    batch_index: index,
                    expected,
                    found: header.base_offset,
                });
            }
            let size = batch.size_in_bytes();
            if size as u64 > segment_bytes {
                return Err(LogError::AppendTooLarge {
                    size,
                    segment_bytes: self.config.segment_bytes,
                });
            }
            expected = header.last_offset().saturating_add(1);
            headers.push(header);
        }
        drop(batches);
        let mut info = AppendInfo {
            first_offset: headers.first().map_or(log_end_offset, |h| h.base_offset),
            last_offset: log_end_offset - 1,
            log_append_time: None,
            duplicate: false,
            max_timestamp: -1,
            batches: 0,
            records: 0,
            bytes: 0,
        };
        let now = self.clock.now_ms();
        let mut position = 0usize;
        let mut rest: &[BatchHeader] = &headers;
        while !rest.is_empty() {
            let mut run_bytes = 0usize;
            let mut run_len = 0usize;
            for header in rest {
                let size = header.size_in_bytes().unwrap_or(0);
                if run_len > 0 && (run_bytes + size) as u64 > segment_bytes {
                    break;
                }
                run_bytes += size;
                run_len += 1;
            }
            let (run, later) = rest.split_at(run_len);
            rest = later;
            let bytes = records
                .get(position..position + run_bytes)
                .unwrap_or_default();
            position += run_bytes;
            self.append_follower_run(bytes, run, now)?;
            for header in run {
                info.last_offset = header.last_offset();
                info.max_timestamp = info.max_timestamp.max(header.max_timestamp);
                info.records += i64::from(header.records_count);
            }
            info.batches += run.len();
            info.bytes += run_bytes;
        }
        self.count_unflushed(info.records, now)?;
        Ok(info)
    }

    /// Writes one run of checked follower batches (fitting a segment) and records their
    /// producers and leader epochs.
    fn append_follower_run(
        &mut self,
        bytes: &[u8],
        headers: &[BatchHeader],
        now: i64,
    ) -> Result<(), LogError> {
        let (Some(first), Some(last)) = (headers.first(), headers.last()) else {
            return Ok(());
        };
        self.maybe_roll(
            bytes.len() as u64,
            first.base_offset,
            last.last_offset(),
            now,
        )?;
        let active = self.active_mut()?;
        if let Err(error) = active.append(bytes, headers) {
            if matches!(error, LogError::AppendNotUndone { .. }) {
                self.go_offline(&error);
            }
            return Err(error);
        }
        for header in headers {
            self.producer_states.update(header);
        }
        let epochs: Vec<EpochEntry> = headers
            .iter()
            .map(|header| EpochEntry {
                epoch: header.partition_leader_epoch,
                start_offset: header.base_offset,
            })
            .filter(|entry| {
                entry.epoch >= 0
                    && self
                        .leader_epochs
                        .latest_epoch()
                        .is_none_or(|latest| entry.epoch > latest)
            })
            .collect();
        if !epochs.is_empty() {
            self.update_leader_epochs(|cache| cache.assign_all(epochs))?;
        }
        Ok(())
    }

    fn active_mut(&mut self) -> Result<&mut Segment, LogError> {
        let dir = self.dir.clone();
        self.segments
            .values_mut()
            .next_back()
            .ok_or(LogError::Deleted { dir })
    }

    /// Rolls before an append of `incoming` bytes holding offsets `first_offset..=last_offset`
    /// when the active segment is full, old or out of index room, or the offsets would not
    /// fit its 32-bit relative range.
    fn maybe_roll(
        &mut self,
        incoming: u64,
        first_offset: i64,
        last_offset: i64,
        now: i64,
    ) -> Result<(), LogError> {
        let Some(active) = self.active() else {
            return Ok(());
        };
        let relative_range = i64::from(i32::MAX);
        let offsets_overflow = last_offset - active.base_offset() > relative_range;
        if active.is_empty() && !offsets_overflow {
            return Ok(());
        }
        let segment_bytes = u64::try_from(self.config.segment_bytes).unwrap_or(0);
        let too_big = active.size() + incoming > segment_bytes;
        let too_old = now.saturating_sub(active.roll_reference_ms()) > self.config.segment_ms;
        if too_big || too_old || offsets_overflow || active.indexes_full() {
            // Kafka rolls at the append's first offset. For leader appends that is the log
            // end; a follower's batch may start past it after a compacted leader's gap, and
            // when that gap alone exceeds a segment's relative range the new segment must
            // start at the batch.
            let log_end_offset = self.log_end_offset();
            let base = if last_offset - log_end_offset > relative_range {
                first_offset
            } else {
                log_end_offset
            };
            self.roll_at(base)?;
        }
        Ok(())
    }

    /// Seals the active segment (indexes trimmed, fsynced) and starts a new one at the log
    /// end. Does nothing when the active segment is empty.
    pub fn roll(&mut self) -> Result<(), LogError> {
        let log_end_offset = self.log_end_offset();
        self.roll_at(log_end_offset)
    }

    /// Starts a new active segment at `base` (at or above the log end). A non-empty active
    /// segment is sealed first; an empty one at another base is replaced (removed).
    fn roll_at(&mut self, base: i64) -> Result<(), LogError> {
        let now = self.clock.now_ms();
        let log_end_offset = self.log_end_offset();
        let active = self.active_mut()?;
        if active.is_empty() {
            let old_base = active.base_offset();
            if old_base == base {
                return Ok(());
            }
            if let Some(empty) = self.segments.remove(&old_base) {
                empty.delete()?;
            }
            let segment = Segment::create(&self.dir, base, &self.config, now)?;
            self.segments.insert(base, segment);
            sync_dir(&self.dir)?;
            if self.segments.len() == 1 {
                // No offset below `base` exists any more.
                self.log_start_offset = self.log_start_offset.max(base);
                self.high_watermark = self.high_watermark.max(base);
            }
            return Ok(());
        }
        active.seal()?;
        let segment = Segment::create(&self.dir, base, &self.config, now)?;
        self.segments.insert(base, segment);
        sync_dir(&self.dir)?;
        self.recovery_point = self.recovery_point.max(log_end_offset);
        // Recovery after a crash replays from here instead of from the log start.
        self.snapshot_producer_states()
    }

    /// Whole batches from the one holding `offset`, up to `max_bytes`, continuing into the
    /// following segments while whole batches fit (the first batch is returned whole even if
    /// larger). Reading at the log end returns no records.
    pub fn read(&self, offset: i64, max_bytes: usize) -> Result<ReadResult, LogError> {
        self.read_up_to(offset, max_bytes, i64::MAX)
    }

    /// [`read`](Self::read) bounded by `max_offset` (the high watermark for consumers): only
    /// whole batches whose last offset is below `max_offset`, stopping before the first one
    /// that reaches it (the high watermark lands on batch boundaries, so none straddles it
    /// in practice). `offset` in `[max_offset, log_end_offset]` returns no records; outside
    /// `[log_start_offset, log_end_offset]` it is [`LogError::OffsetOutOfRange`].
    pub fn read_up_to(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: i64,
    ) -> Result<ReadResult, LogError> {
        let read = self.slices_up_to(offset, max_bytes, max_offset)?;
        let mut records = Vec::new();
        for slice in &read.slices {
            slice.read_into(&mut records)?;
        }
        Ok(ReadResult {
            records,
            log_start_offset: read.log_start_offset,
            log_end_offset: read.log_end_offset,
        })
    }

    /// What [`read_up_to`](Self::read_up_to) returns, as file ranges (one per segment read)
    /// instead of bytes: only batch headers are read here, the records are sent or read by
    /// the caller later. The segments are read from the one holding `offset` on, each given
    /// what is left of `max_bytes` (the first with [`FirstBatch::Whole`]), until one stops
    /// short of its end.
    pub fn slices_up_to(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: i64,
    ) -> Result<SlicedRead, LogError> {
        self.check_online()?;
        let log_end_offset = self.log_end_offset();
        if offset < self.log_start_offset || offset > log_end_offset {
            return Err(LogError::OffsetOutOfRange {
                requested: offset,
                log_start_offset: self.log_start_offset,
                log_end_offset,
            });
        }
        let mut slices: Vec<FileSlice> = Vec::new();
        if offset < max_offset {
            let floor = self
                .segments
                .range(..=offset)
                .next_back()
                .map_or(offset, |(base, _)| *base);
            let mut taken = 0usize;
            for segment in self.segments.range(floor..).map(|(_, segment)| segment) {
                let first = if taken == 0 {
                    FirstBatch::Whole
                } else {
                    FirstBatch::WithinLimit
                };
                let budget = max_bytes.saturating_sub(taken);
                let Some((slice, reached_end)) =
                    segment.slice(offset, budget, max_offset, first)?
                else {
                    continue;
                };
                taken = taken.saturating_add(usize::try_from(slice.len).unwrap_or(usize::MAX));
                if slice.len > 0 {
                    slices.push(slice);
                }
                if !reached_end {
                    break;
                }
            }
        }
        Ok(SlicedRead {
            slices,
            log_start_offset: self.log_start_offset,
            log_end_offset,
        })
    }

    /// The first offset whose timestamp is at least `timestamp`, with its timestamp
    /// (ListOffsets by time); `None` when every record is older.
    pub fn find_offset_by_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>, LogError> {
        for segment in self.segments.values() {
            if let Some((offset, found)) = segment.find_offset_by_timestamp(timestamp)? {
                if offset >= self.log_start_offset {
                    return Ok(Some((offset, found)));
                }
            }
        }
        Ok(None)
    }

    /// fsyncs every segment holding data at or past the recovery point; moves the recovery
    /// point to the log end. Everything appended before the call is durable on return.
    pub fn flush(&mut self) -> Result<(), LogError> {
        let log_end_offset = self.log_end_offset();
        let from = self
            .segments
            .range(..=self.recovery_point)
            .next_back()
            .map_or(self.recovery_point, |(base, _)| *base);
        self.check_online()?;
        let mut failed = None;
        for segment in self.segments.range(from..).map(|(_, segment)| segment) {
            if let Err(error) = segment.flush() {
                failed = Some(error);
                break;
            }
        }
        if let Some(error) = failed {
            self.go_offline(&error);
            return Err(error);
        }
        self.recovery_point = log_end_offset;
        self.unflushed_records = 0;
        self.last_flush_ms = self.clock.now_ms();
        Ok(())
    }

    /// Deletes whole segments, oldest first and never the active one, while they are
    /// (with `cleanup.policy` holding `delete`) beyond `retention.ms` (their newest
    /// timestamp older than `now - retention.ms`), while the log exceeds `retention.bytes`
    /// by at least their size, or when they lie wholly below the log start offset. Only
    /// segments wholly below the high watermark go by time or size (the followers may still
    /// need the rest). Moves the log start offset to the first kept segment.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<RetentionOutcome, LogError> {
        // Kafka's rule: a segment goes only if the log stays at or above retention.bytes
        // without it.
        // A compact-only topic keeps its segments whatever their age and size: only what
        // lies below the log start offset goes (Kafka's `cleanup.policy=compact`).
        let delete_policy = self.config.cleanup_policy.delete;
        let mut excess = (delete_policy && self.config.retention_bytes >= 0)
            .then(|| i128::from(self.size_in_bytes()) - i128::from(self.config.retention_bytes));
        let mut doomed = Vec::new();
        let bases: Vec<i64> = self.segments.keys().copied().collect();
        for pair in bases.windows(2) {
            let (Some(&base), Some(&next_base)) = (pair.first(), pair.get(1)) else {
                break;
            };
            let Some(segment) = self.segments.get(&base) else {
                break;
            };
            let expired = delete_policy
                && self.config.retention_ms >= 0
                && now_ms.saturating_sub(segment.largest_timestamp()) > self.config.retention_ms;
            let oversize = excess.is_some_and(|excess| excess - i128::from(segment.size()) >= 0);
            let below_start = next_base <= self.log_start_offset;
            let replicated = next_base <= self.high_watermark;
            if !(below_start || replicated && (expired || oversize)) {
                break;
            }
            excess = excess.map(|excess| excess - i128::from(segment.size()));
            doomed.push(base);
        }
        let mut outcome = RetentionOutcome::default();
        for base in doomed {
            if let Some(segment) = self.segments.remove(&base) {
                outcome.deleted_bytes += segment.size();
                tracing::info!(dir = %self.dir.display(), base_offset = base, "retention deletes segment");
                segment.delete()?;
                outcome.deleted_segments.push(base);
            }
        }
        if !outcome.deleted_segments.is_empty() {
            sync_dir(&self.dir)?;
        }
        let first_base = self
            .segments
            .keys()
            .next()
            .copied()
            .unwrap_or(self.log_start_offset);
        self.log_start_offset = self.log_start_offset.max(first_base);
        self.high_watermark = self.high_watermark.max(self.log_start_offset);
        self.producer_states.truncate_head(self.log_start_offset);
        let log_start_offset = self.log_start_offset;
        self.update_leader_epochs(|cache| cache.truncate_from_start(log_start_offset))?;
        outcome.log_start_offset = self.log_start_offset;
        Ok(outcome)
    }

    /// Removes every offset at or above `offset` (a follower diverging from its leader). A
    /// batch holding `offset` goes whole, so the log end may land below `offset`. Truncating
    /// below the first segment empties the log and restarts it at `offset`. The leader epochs
    /// starting at or past the new log end go, and the high watermark comes down to it.
    pub fn truncate_to(&mut self, offset: i64) -> Result<(), LogError> {
        if offset >= self.log_end_offset() {
            return Ok(());
        }
        let first_base = self.segments.keys().next().copied().unwrap_or(0);
        if offset < first_base {
            for (_, segment) in std::mem::take(&mut self.segments) {
                segment.delete()?;
            }
            let now = self.clock.now_ms();
            self.segments.insert(
                offset,
                Segment::create(&self.dir, offset, &self.config, now)?,
            );
            self.log_start_offset = offset;
        } else {
            let doomed: Vec<i64> = self
                .segments
                .range(offset..)
                .map(|(base, _)| *base)
                .filter(|base| *base > offset)
                .collect();
            for base in doomed {
                if let Some(segment) = self.segments.remove(&base) {
                    segment.delete()?;
                }
            }
            if let Some((_, segment)) = self.segments.range_mut(..=offset).next_back() {
                segment.truncate_to(offset)?;
            }
        }
        sync_dir(&self.dir)?;
        self.truncations = self.truncations.wrapping_add(1);
        self.log_start_offset = self.log_start_offset.min(self.log_end_offset());
        self.recovery_point = self.recovery_point.min(self.log_end_offset());
        let log_end_offset = self.log_end_offset();
        self.high_watermark = self
            .high_watermark
            .min(log_end_offset)
            .max(self.log_start_offset);
        let log_start_offset = self.log_start_offset;
        self.update_leader_epochs(|cache| {
            cache.truncate_from_end(log_end_offset)?;
            cache.truncate_from_start(log_start_offset)
        })?;
        self.cleaner_checkpoint = self
            .cleaner_checkpoint
            .map(|offset| offset.min(log_end_offset));
        for (end, _) in &mut self.clean_passes {
            *end = (*end).min(log_end_offset);
        }
        // Batches above the new end may have moved producers on: rebuild from a snapshot
        // that predates them.
        self.load_producer_states()
    }

    /// Empties the log and restarts it at `offset` (a follower that fell behind its leader's
    /// log start): every segment, producer-state snapshot and leader epoch goes; log start,
    /// recovery point and high watermark become `offset`.
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<(), LogError> {
        self.check_online()?;
        for (_, segment) in std::mem::take(&mut self.segments) {
            segment.delete()?;
        }
        for snapshot in producer_state::list_snapshots(&self.dir)? {
            super::segment::remove_if_exists(&producer_state::snapshot_path(&self.dir, snapshot))?;
        }
        let now = self.clock.now_ms();
        self.segments.insert(
            offset,
            Segment::create(&self.dir, offset, &self.config, now)?,
        );
        sync_dir(&self.dir)?;
        self.truncations = self.truncations.wrapping_add(1);
        self.log_start_offset = offset;
        self.recovery_point = offset;
        self.high_watermark = offset;
        // Every start offset is at least 0: this empties the cache.
        self.update_leader_epochs(|cache| cache.truncate_from_end(0))?;
        self.cleaner_checkpoint = None;
        self.clean_passes.clear();
        self.producer_states = ProducerStates::new(self.producer_states_expiration_ms());
        Ok(())
    }

    /// Moves the log start offset forward (DeleteRecords); segments wholly below it go at the
    /// next retention pass.
    pub fn advance_log_start_offset(&mut self, offset: i64) -> Result<(), LogError> {
        self.check_online()?;
        let log_end_offset = self.log_end_offset();
        if offset > log_end_offset {
            return Err(LogError::OffsetOutOfRange {
                requested: offset,
                log_start_offset: self.log_start_offset,
                log_end_offset,
            });
        }
        self.log_start_offset = self.log_start_offset.max(offset);
        self.high_watermark = self.high_watermark.max(self.log_start_offset);
        self.producer_states.truncate_head(self.log_start_offset);
        let log_start_offset = self.log_start_offset;
        self.update_leader_epochs(|cache| cache.truncate_from_start(log_start_offset))
    }

    /// Seals the active segment's indexes, flushes everything and snapshots the producer
    /// states at the log end (clean shutdown).
    pub fn close(mut self) -> Result<(), LogError> {
        self.check_online()?;
        if let Ok(active) = self.active_mut() {
            active.seal()?;
        }
        self.flush()?;
        self.snapshot_producer_states()
    }

    /// Deletes every file of the log and its directory.
    pub fn delete(self) -> Result<(), LogError> {
        for (_, segment) in self.segments {
            segment.delete()?;
        }
        std::fs::remove_dir_all(&self.dir).map_err(LogError::io("remove", &self.dir))?;
        if let Some(parent) = self.dir.parent() {
            sync_dir(parent)?;
        }
        Ok(())
    }
}

/// Base offsets of the segments in `dir`; removes leftovers (`*.tmp`, indexes without a log).
fn scan_dir(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut logs = Vec::new();
    let mut others = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(LogError::io("list directory", dir))?;
    for entry in entries {
        let entry = entry.map_err(LogError::io("list directory", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((stem, extension)) = name.split_once('.') else {
            continue;
        };
        let base_offset = stem.parse::<i64>().ok().filter(|_| stem.len() == 20);
        match (base_offset, extension) {
            (Some(base_offset), "log") => logs.push(base_offset),
            (Some(base_offset), "index" | "timeindex") => others.push((base_offset, entry.path())),
            (_, extension) if extension.ends_with("tmp") || extension.ends_with("deleted") => {
                super::segment::remove_if_exists(&entry.path())?;
            }
            _ => {}
        }
    }
    for (base_offset, path) in others {
        if !logs.contains(&base_offset) {
            super::segment::remove_if_exists(&path)?;
        }
    }
    logs.sort_unstable();
    Ok(logs)
}

/// Rescans segments from the one holding `recovery_point`; after the first cut, later
/// segments are deleted (their offsets would follow a gap).
fn recover_segments(
    segments: &mut BTreeMap<i64, Segment>,
    recovery_point: i64,
    warnings: &mut Vec<RecoveryWarning>,
) -> Result<(), LogError> {
    let from = segments
        .range(..=recovery_point)
        .next_back()
        .map_or(recovery_point, |(base, _)| *base);
    let bases: Vec<i64> = segments.range(from..).map(|(base, _)| *base).collect();
    let mut cut_at: Option<i64> = None;
    for base in bases {
        if cut_at.is_some() {
            if let Some(segment) = segments.remove(&base) {
                warnings.push(RecoveryWarning {
                    file: segment.log_path().to_path_buf(),
                    position: 0,
                    bytes: segment.size(),
                    reason: "segment follows a truncated one".to_string(),
                });
                segment.delete()?;
            }
            continue;
        }
        let Some(segment) = segments.get_mut(&base) else {
            continue;
        };
        if let Some(tail) = segment.recover()? {
            warnings.push(tail.into());
            cut_at = Some(base);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::log::ManualClock;
    use crate::record::{BatchBuilder, RecordBatch};

    const T0: i64 = 1_700_000_000_000;

    fn idempotent(producer_id: i64, epoch: i16, sequence: i32, records: usize) -> Vec<u8> {
        let mut builder = BatchBuilder::new(T0).producer(producer_id, epoch, sequence);
        for index in 0..records {
            builder.record(T0 + index as i64, None, Some(&[index as u8; 100]), &[]);
        }
        builder.build()
    }

    fn open(dir: &Path, shutdown: Shutdown, config: LogConfig) -> PartitionLog {
        let start = LogStart {
            shutdown,
            ..LogStart::default()
        };
        PartitionLog::open(dir, config, start, Arc::new(ManualClock::new(T0))).unwrap()
    }

    fn small_segments() -> LogConfig {
        LogConfig {
            segment_bytes: 600,
            ..LogConfig::default()
        }
    }

    /// Appends three batches each for producers 1 and 2 (rolling several times).
    fn three_each(log: &mut PartitionLog) {
        for step in 0..3 {
            for producer in [1, 2] {
                let info = log
                    .append(
                        &idempotent(producer, 0, step * 2, 2),
                        TimestampType::CreateTime,
                    )
                    .unwrap();
                assert!(!info.duplicate);
            }
        }
    }

    #[test]
    fn a_retried_batch_gets_its_original_offsets_and_nothing_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), Shutdown::Clean, LogConfig::default());
        let first = idempotent(9, 0, 0, 3);
        let retry = first.clone();
        assert_eq!(
            log.append(&first, TimestampType::LogAppendTime)
                .unwrap()
                .first_offset,
            0
        );
        log.append(&idempotent(9, 0, 3, 1), TimestampType::CreateTime)
            .unwrap();
        let size = log.size_in_bytes();
        let info = log
            .append(&retry.clone(), TimestampType::LogAppendTime)
            .unwrap();
        assert!(info.duplicate);
        assert_eq!((info.first_offset, info.last_offset), (0, 2));
        assert_eq!(info.log_append_time, Some(T0));
        assert_eq!(log.size_in_bytes(), size);
        assert_eq!(log.log_end_offset(), 4);
        // The stored batch carries the leader epoch; the producer's bytes said -1.
        let stored = log.read(0, 1).unwrap().records;
        assert_eq!(
            RecordBatch::parse(stored.as_slice())
                .unwrap()
                .header()
                .partition_leader_epoch,
            DEFAULT_LEADER_EPOCH
        );
        assert!(matches!(
            log.append(&idempotent(9, 0, 7, 1), TimestampType::CreateTime),
            Err(LogError::Producer { batch_index: 0, .. })
        ));
        assert_eq!(log.log_end_offset(), 4);
        let mut transactional = BatchBuilder::new(T0).producer(9, 0, 4).transactional(true);
        transactional.record(T0, None, Some(b"x"), &[]);
        assert!(matches!(
            log.append(&transactional.build(), TimestampType::CreateTime),
            Err(LogError::TransactionalBatch { producer_id: 9, .. })
        ));
    }

    #[test]
    fn producer_states_survive_clean_and_unclean_restarts_and_bad_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), Shutdown::Clean, small_segments());
        three_each(&mut log);
        assert!(log.segment_base_offsets().len() > 2);
        let expected = log.producer_states().clone();
        assert_eq!(expected.len(), 2);

        // Unclean: no close; snapshots from the rolls plus replay of the tail.
        drop(log);
        let log = open(dir.path(), Shutdown::Unclean, small_segments());
        assert_eq!(log.producer_states(), &expected);
        // Clean: the close snapshot at the log end, nothing to replay.
        log.close().unwrap();
        let snapshots = producer_state::list_snapshots(dir.path()).unwrap();
        assert_eq!(snapshots.last(), Some(&12));
        let log = open(dir.path(), Shutdown::Clean, small_segments());
        assert_eq!(log.producer_states(), &expected);
        drop(log);

        // Damaged newest snapshot: ignored, deleted, the state rebuilt anyway.
        let newest = producer_state::snapshot_path(dir.path(), 12);
        let mut bytes = std::fs::read(&newest).unwrap();
        bytes[7] ^= 0xff;
        std::fs::write(&newest, bytes).unwrap();
        let mut log = open(dir.path(), Shutdown::Unclean, small_segments());
        assert_eq!(log.producer_states(), &expected);
        assert!(!newest.exists());
        // Every snapshot gone: rebuilt from the log start.
        for offset in producer_state::list_snapshots(dir.path()).unwrap() {
            std::fs::remove_file(producer_state::snapshot_path(dir.path(), offset)).unwrap();
        }
        drop(log);
        log = open(dir.path(), Shutdown::Unclean, small_segments());
        assert_eq!(log.producer_states(), &expected);
        // And the rebuilt state still spots a retry of the last batch.
        let info = log
            .append(&idempotent(2, 0, 4, 2), TimestampType::CreateTime)
            .unwrap();
        assert!(info.duplicate);
        assert_eq!(info.first_offset, 10);
    }

    #[test]
    fn truncation_and_retention_trim_producer_states() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), Shutdown::Clean, small_segments());
        three_each(&mut log);
        // Cutting the last batch (producer 2, sequences 4..=5) rewinds producer 2.
        log.truncate_to(10).unwrap();
        let entry = log.producer_states().entry(2).unwrap();
        assert_eq!(entry.batches.back().unwrap().last_sequence, 3);
        assert!(log
            .append(&idempotent(2, 0, 4, 2), TimestampType::CreateTime)
            .is_ok_and(|info| !info.duplicate && info.first_offset == 10));
        // Producer 1 only wrote below offset 10: moving the start past it forgets it.
        log.append(&idempotent(2, 0, 6, 2), TimestampType::CreateTime)
            .unwrap();
        log.advance_log_start_offset(10).unwrap();
        assert!(log.producer_states().entry(1).is_none());
        assert!(log.producer_states().entry(2).is_some());
        // Unknown again: any sequence is accepted.
        log.append(&idempotent(1, 0, 77, 1), TimestampType::CreateTime)
            .unwrap();
        let outcome = log.apply_retention(T0).unwrap();
        assert!(!outcome.deleted_segments.is_empty());
        assert!(log.producer_states().entry(2).is_some());
    }

    #[test]
    fn a_failed_write_is_cut_back_and_the_log_carries_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), Shutdown::Clean, LogConfig::default());
        log.append(&idempotent(4, 0, 0, 2), TimestampType::CreateTime)
            .unwrap();
        let size = log.size_in_bytes();
        let file = log.active().unwrap().log_path().to_path_buf();
        log.active_mut().unwrap().fail_write_after = Some(40);
        let error = log
            .append(&idempotent(4, 0, 2, 2), TimestampType::CreateTime)
            .unwrap_err();
        assert!(
            matches!(
                error,
                LogError::Io {
                    action: "write",
                    ..
                }
            ),
            "{error}"
        );
        // Nothing of the half-written batch stays: file, offsets and producer state as before.
        assert_eq!(std::fs::metadata(&file).unwrap().len(), size);
        assert_eq!(log.log_end_offset(), 2);
        assert_eq!(
            log.producer_states()
                .entry(4)
                .unwrap()
                .batches
                .back()
                .unwrap()
                .last_sequence,
            1
        );
        log.active_mut().unwrap().fail_write_after = None;
        let info = log
            .append(&idempotent(4, 0, 2, 2), TimestampType::CreateTime)
            .unwrap();
        assert_eq!(info.first_offset, 2);
        drop(log);
        let log = open(dir.path(), Shutdown::Unclean, LogConfig::default());
        assert!(log.recovery_warnings().is_empty());
        assert_eq!(log.log_end_offset(), 4);
    }

    #[test]
    fn a_read_spans_segments_within_its_byte_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), Shutdown::Clean, small_segments());
        three_each(&mut log);
        let one = idempotent(1, 0, 0, 2).len();
        let read = log.read(0, 6 * one).unwrap();
        assert_eq!(read.records.len(), 6 * one);
        let read = log.read(2, 3 * one - 1).unwrap();
        assert_eq!(read.records.len(), 2 * one);
    }
}
