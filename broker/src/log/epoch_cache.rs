//! [`LeaderEpochCache`]: which leader epoch began at which offset in one partition's log —
//! what a follower asks with OffsetForLeaderEpoch to find where its log diverges from its
//! leader's, and what a leader answers from.
//!
//! Where it sits: owned by [`PartitionLog`](super::PartitionLog), which assigns an epoch when
//! a leader takes over or appends, when a follower appends batches stamped with a newer
//! epoch, and trims the entries when the log is truncated at either end.
//!
//! File `leader-epoch-checkpoint` in the partition folder, Kafka's text format (UTF-8 lines,
//! `\n`):
//! ```text
//! 0            version
//! 2            number of entries
//! 0 0          "<epoch> <start_offset>", ascending by both
//! 3 1200
//! ```
//! Invariant: epochs and start offsets both strictly increase along the entries; an epoch
//! covers the offsets from its start up to the next entry's start (the log end for the last).
//!
//! Crash policy: every change rewrites the whole file atomically (`.tmp`, fsync, rename,
//! directory fsync): changes are rare (leader changes, truncations). A file that cannot be
//! read or does not parse is ignored with a warning and the cache starts empty — the log
//! open does not fail for it; the partition log then rebuilds the entries from its batch
//! headers, and the next change rewrites the file.

use std::path::{Path, PathBuf};

use super::checkpoint::write_atomically;
use super::LogError;

/// File name of the cache in the partition folder.
pub const LEADER_EPOCH_CHECKPOINT: &str = "leader-epoch-checkpoint";

/// Kafka's `UNDEFINED_EPOCH`: no epoch known.
pub const UNDEFINED_EPOCH: i32 = -1;

/// Kafka's `UNDEFINED_EPOCH_OFFSET`: no end offset known.
pub const UNDEFINED_EPOCH_OFFSET: i64 = -1;

const VERSION: &str = "0";

/// One leader epoch and the first offset written in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochEntry {
    pub epoch: i32,
    pub start_offset: i64,
}

impl std::fmt::Display for EpochEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "epoch {} from offset {}", self.epoch, self.start_offset)
    }
}

/// The leader epochs of one partition and their start offsets, mirrored to
/// `leader-epoch-checkpoint`. Not synchronised: the partition log's owner calls it.
#[derive(Debug)]
pub struct LeaderEpochCache {
    path: PathBuf,
    /// Strictly increasing in epoch and in start offset.
    entries: Vec<EpochEntry>,
}

impl LeaderEpochCache {
    /// Loads `leader-epoch-checkpoint` from the partition folder `dir`. A missing file is an
    /// empty cache; an unreadable or malformed one is logged and read as empty (never an
    /// error). Entries that break the ordering are dropped as [`assign`](Self::assign) would.
    pub fn open(dir: &Path) -> Self {
        let path = dir.join(LEADER_EPOCH_CHECKPOINT);
        let mut cache = LeaderEpochCache {
            path,
            entries: Vec::new(),
        };
        let text = match std::fs::read_to_string(&cache.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return cache,
            Err(error) => {
                tracing::warn!(
                    file = %cache.path.display(),
                    %error,
                    "leader epoch checkpoint unreadable; starting with no epochs"
                );
                return cache;
            }
        };
        match parse(&text) {
            Ok(stored) => {
                for entry in &stored {
                    cache.assign_in_memory(*entry);
                }
                if cache.entries != stored {
                    tracing::warn!(
                        file = %cache.path.display(),
                        "leader epoch checkpoint out of order; kept {} of {} entries",
                        cache.entries.len(),
                        stored.len()
                    );
                }
            }
            Err((line, reason)) => {
                tracing::warn!(
                    file = %cache.path.display(),
                    line,
                    reason,
                    "leader epoch checkpoint malformed; starting with no epochs"
                );
            }
        }
        cache
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[EpochEntry] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The newest epoch, if any.
    pub fn latest_epoch(&self) -> Option<i32> {
        self.entries.last().map(|entry| entry.epoch)
    }

    /// The newest entry, if any.
    pub fn latest_entry(&self) -> Option<EpochEntry> {
        self.entries.last().copied()
    }

    /// Records that `epoch` starts at `start_offset` and rewrites the file when that changes
    /// the cache; returns whether it did. Kafka's rule: nothing changes when `epoch` is the
    /// latest one and `start_offset` is not below its start, or when either value is
    /// negative (a batch no leader stamped). Otherwise the entries at the end that conflict
    /// — an epoch at or above `epoch`, or a start at or above `start_offset` — are removed
    /// first (logged when that drops more than an epoch without data), then the entry is
    /// added. Durable on return.
    pub fn assign(&mut self, epoch: i32, start_offset: i64) -> Result<bool, LogError> {
        let changed = self.assign_in_memory(EpochEntry {
            epoch,
            start_offset,
        });
        if changed {
            self.write()?;
        }
        Ok(changed)
    }

    /// [`assign`](Self::assign) for many entries in order, with one write at the end (the
    /// rebuild from batch headers).
    pub fn assign_all(
        &mut self,
        entries: impl IntoIterator<Item = EpochEntry>,
    ) -> Result<bool, LogError> {
        let mut changed = false;
        for entry in entries {
            changed |= self.assign_in_memory(entry);
        }
        if changed {
            self.write()?;
        }
        Ok(changed)
    }

    fn assign_in_memory(&mut self, entry: EpochEntry) -> bool {
        if entry.epoch < 0 || entry.start_offset < 0 {
            return false;
        }
        if let Some(latest) = self.entries.last() {
            if latest.epoch == entry.epoch && entry.start_offset >= latest.start_offset {
                return false;
            }
        }
        let mut removed = Vec::new();
        while let Some(last) = self.entries.last().copied() {
            if last.epoch < entry.epoch && last.start_offset < entry.start_offset {
                break;
            }
            removed.push(last);
            self.entries.pop();
        }
        // One removed epoch starting at the same offset is a leader that took over and
        // wrote nothing: expected, not worth a warning.
        let trivial = match removed.as_slice() {
            [] => true,
            [only] => only.start_offset == entry.start_offset,
            _ => false,
        };
        if !trivial {
            tracing::warn!(
                file = %self.path.display(),
                new = %entry,
                removed = ?removed,
                "leader epoch entry replaces conflicting later entries"
            );
        }
        self.entries.push(entry);
        true
    }

    /// The answer to OffsetForLeaderEpoch for `requested_epoch` on a log ending at
    /// `log_end_offset`, as `(epoch, end_offset)` — Kafka 3.x's rule:
    /// - `requested_epoch` is [`UNDEFINED_EPOCH`]: `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`;
    /// - it is the latest epoch: `(requested_epoch, log_end_offset)`;
    /// - no epoch above it is known (above the latest, or the cache is empty):
    ///   `(UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)`;
    /// - no epoch at or below it is known (older than every entry, e.g. trimmed by the log
    ///   start): `(requested_epoch, start of the first entry)`;
    /// - otherwise: `(largest epoch <= requested, start of the first entry after it)`.
    pub fn end_offset_for(&self, requested_epoch: i32, log_end_offset: i64) -> (i32, i64) {
        if requested_epoch == UNDEFINED_EPOCH {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        }
        if self.latest_epoch() == Some(requested_epoch) {
            return (requested_epoch, log_end_offset);
        }
        let Some(higher) = self
            .entries
            .iter()
            .find(|entry| entry.epoch > requested_epoch)
        else {
            return (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET);
        };
        match self
            .entries
            .iter()
            .rev()
            .find(|entry| entry.epoch <= requested_epoch)
        {
            Some(floor) => (floor.epoch, higher.start_offset),
            None => (requested_epoch, higher.start_offset),
        }
    }

    /// Removes the entries starting at or after `end_offset` (the log was cut there), then
    /// rewrites the file if anything went. Negative offsets are ignored.
    pub fn truncate_from_end(&mut self, end_offset: i64) -> Result<(), LogError> {
        if end_offset < 0 {
            return Ok(());
        }
        let kept = self
            .entries
            .iter()
            .take_while(|entry| entry.start_offset < end_offset)
            .count();
        if kept == self.entries.len() {
            return Ok(());
        }
        self.entries.truncate(kept);
        self.write()
    }

    /// Drops the entries wholly below `start_offset` (the log start moved there): of the
    /// entries starting at or below it only the last stays, its start moved to
    /// `start_offset`. Rewrites the file if anything changed.
    pub fn truncate_from_start(&mut self, start_offset: i64) -> Result<(), LogError> {
        let at_or_below = self
            .entries
            .iter()
            .take_while(|entry| entry.start_offset <= start_offset)
            .count();
        let Some(last_below) = at_or_below
            .checked_sub(1)
            .and_then(|index| self.entries.get(index).copied())
        else {
            return Ok(());
        };
        if at_or_below == 1 && last_below.start_offset == start_offset {
            return Ok(());
        }
        self.entries.drain(..at_or_below);
        self.entries.insert(
            0,
            EpochEntry {
                epoch: last_below.epoch,
                start_offset,
            },
        );
        self.write()
    }

    /// The file's text for the current entries.
    fn encode(&self) -> String {
        let mut text = format!("{VERSION}\n{}\n", self.entries.len());
        for entry in &self.entries {
            text.push_str(&format!("{} {}\n", entry.epoch, entry.start_offset));
        }
        text
    }

    fn write(&self) -> Result<(), LogError> {
        write_atomically(&self.path, self.encode().as_bytes())
    }
}

/// Parses the file's text; on failure the 1-based line and why.
fn parse(text: &str) -> Result<Vec<EpochEntry>, (usize, &'static str)> {
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(VERSION) {
        return Err((1, "version is not 0"));
    }
    let count: usize = lines
        .next()
        .and_then(|line| line.trim().parse().ok())
        .ok_or((2, "bad entry count"))?;
    let mut entries = Vec::new();
    for index in 0..count {
        let line_number = index + 3;
        let line = lines
            .next()
            .ok_or((line_number, "fewer entries than the count"))?;
        let mut fields = line.split_whitespace();
        let (Some(epoch), Some(start_offset), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err((line_number, "expected `epoch start_offset`"));
        };
        let epoch: i32 = epoch.parse().map_err(|_| (line_number, "bad epoch"))?;
        let start_offset: i64 = start_offset
            .parse()
            .map_err(|_| (line_number, "bad start offset"))?;
        if epoch < 0 || start_offset < 0 {
            return Err((line_number, "negative epoch or offset"));
        }
        entries.push(EpochEntry {
            epoch,
            start_offset,
        });
    }
    if lines.any(|line| !line.trim().is_empty()) {
        return Err((count + 3, "more entries than the count"));
    }
    Ok(entries)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::log::checkpoint::tmp_path;

    fn entry(epoch: i32, start_offset: i64) -> EpochEntry {
        EpochEntry {
            epoch,
            start_offset,
        }
    }

    fn pairs(cache: &LeaderEpochCache) -> Vec<(i32, i64)> {
        cache
            .entries()
            .iter()
            .map(|entry| (entry.epoch, entry.start_offset))
            .collect()
    }

    /// A cache in a fresh dir holding `(epoch, start)` pairs, assigned in order.
    fn cache_with(dir: &Path, assigned: &[(i32, i64)]) -> LeaderEpochCache {
        let mut cache = LeaderEpochCache::open(dir);
        for (epoch, start) in assigned {
            assert!(cache.assign(*epoch, *start).unwrap());
        }
        cache
    }

    #[test]
    fn the_file_is_kafkas_text_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let cache = cache_with(dir.path(), &[(0, 0), (3, 1200)]);
        let path = dir.path().join(LEADER_EPOCH_CHECKPOINT);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0\n2\n0 0\n3 1200\n"
        );
        assert!(!tmp_path(&path).exists());
        let reopened = LeaderEpochCache::open(dir.path());
        assert_eq!(reopened.entries(), cache.entries());
        assert_eq!(reopened.latest_epoch(), Some(3));
        assert_eq!(reopened.latest_entry(), Some(entry(3, 1200)));
        // Kafka's reader splits on any whitespace; so does this one.
        std::fs::write(&path, "0\n2\n1  5\n2\t9\n\n").unwrap();
        assert_eq!(
            pairs(&LeaderEpochCache::open(dir.path())),
            vec![(1, 5), (2, 9)]
        );
    }

    #[test]
    fn every_change_rewrites_the_file_whole_and_a_stale_tmp_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEADER_EPOCH_CHECKPOINT);
        let mut cache = cache_with(dir.path(), &[(1, 10)]);
        // A crash while writing leaves a tmp file; the reader only sees the renamed file.
        std::fs::write(tmp_path(&path), "0\n1\n9 9").unwrap();
        assert_eq!(pairs(&LeaderEpochCache::open(dir.path())), vec![(1, 10)]);
        assert!(cache.assign(2, 20).unwrap());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0\n2\n1 10\n2 20\n"
        );
        assert!(!tmp_path(&path).exists());
        // No change, no write: the file stays as it is even if someone altered it.
        std::fs::write(&path, "0\n0\n").unwrap();
        assert!(!cache.assign(2, 25).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "0\n0\n");
        cache.truncate_from_end(20).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "0\n1\n1 10\n");
        cache.truncate_from_start(15).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "0\n1\n1 15\n");
    }

    #[test]
    fn a_garbled_or_unreadable_file_opens_as_an_empty_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LEADER_EPOCH_CHECKPOINT);
        for text in [
            "1\n0\n",
            "0\nmany\n",
            "0\n2\n0 0\n",
            "0\n1\n0 zero\n",
            "0\n1\n0 0 0\n",
            "0\n1\n-1 0\n",
            "0\n1\n0 0\n1 5\n",
            "",
        ] {
            std::fs::write(&path, text).unwrap();
            assert!(LeaderEpochCache::open(dir.path()).is_empty(), "{text:?}");
        }
        std::fs::write(&path, [0xff, 0xfe, b'\n']).unwrap();
        assert!(LeaderEpochCache::open(dir.path()).is_empty());
        // A directory where the file should be cannot be read either.
        std::fs::remove_file(&path).unwrap();
        std::fs::create_dir(&path).unwrap();
        assert!(LeaderEpochCache::open(dir.path()).is_empty());
        // Entries out of order are loaded as assign would take them.
        std::fs::remove_dir(&path).unwrap();
        std::fs::write(&path, "0\n3\n1 0\n4 50\n2 30\n").unwrap();
        assert_eq!(
            pairs(&LeaderEpochCache::open(dir.path())),
            vec![(1, 0), (2, 30)]
        );
    }

    #[test]
    fn assign_keeps_both_columns_strictly_increasing() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = cache_with(dir.path(), &[(1, 0), (2, 10)]);
        // Same epoch at or after its start: nothing to record.
        assert!(!cache.assign(2, 10).unwrap());
        assert!(!cache.assign(2, 40).unwrap());
        // Negative values come from batches no leader stamped.
        assert!(!cache.assign(-1, 50).unwrap());
        assert!(!cache.assign(7, -1).unwrap());
        assert!(cache.assign(5, 30).unwrap());
        assert_eq!(pairs(&cache), vec![(1, 0), (2, 10), (5, 30)]);
        // The latest epoch again from an earlier offset moves its start back.
        assert!(cache.assign(5, 20).unwrap());
        assert_eq!(pairs(&cache), vec![(1, 0), (2, 10), (5, 20)]);
        // A newer epoch starting below later entries replaces them.
        assert!(cache.assign(6, 10).unwrap());
        assert_eq!(pairs(&cache), vec![(1, 0), (6, 10)]);
        // An older epoch replaces the entries at or above it.
        assert!(cache.assign(3, 12).unwrap());
        assert_eq!(pairs(&cache), vec![(1, 0), (3, 12)]);
        assert_eq!(
            pairs(&LeaderEpochCache::open(dir.path())),
            vec![(1, 0), (3, 12)]
        );
        let other = tempfile::tempdir().unwrap();
        let mut all = LeaderEpochCache::open(other.path());
        assert!(all
            .assign_all([entry(0, 0), entry(0, 5), entry(2, 9), entry(4, 9)])
            .unwrap());
        assert_eq!(pairs(&all), vec![(0, 0), (4, 9)]);
        assert!(!all.assign_all([entry(4, 12)]).unwrap());
    }

    #[test]
    fn end_offset_for_follows_kafkas_rule() {
        let dir = tempfile::tempdir().unwrap();
        let empty = LeaderEpochCache::open(dir.path());
        assert_eq!(empty.end_offset_for(0, 100), (-1, -1));
        assert_eq!(empty.end_offset_for(5, 100), (-1, -1));
        let cache = cache_with(dir.path(), &[(2, 10), (4, 30), (7, 50)]);
        // The latest epoch: it runs to the log end.
        assert_eq!(cache.end_offset_for(7, 64), (7, 64));
        // A known middle epoch ends where the next begins.
        assert_eq!(cache.end_offset_for(4, 64), (4, 50));
        assert_eq!(cache.end_offset_for(2, 64), (2, 30));
        // An epoch between known ones: the largest below it, ending at the next start.
        assert_eq!(cache.end_offset_for(3, 64), (2, 30));
        assert_eq!(cache.end_offset_for(6, 64), (4, 50));
        // Below every entry: the requested epoch with the first entry's start.
        assert_eq!(cache.end_offset_for(1, 64), (1, 10));
        assert_eq!(cache.end_offset_for(0, 64), (0, 10));
        // Above the latest, or undefined.
        assert_eq!(cache.end_offset_for(8, 64), (-1, -1));
        assert_eq!(
            cache.end_offset_for(UNDEFINED_EPOCH, 64),
            (UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET)
        );
    }

    #[test]
    fn truncations_trim_either_end() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = cache_with(dir.path(), &[(1, 0), (2, 10), (4, 30), (7, 50)]);
        cache.truncate_from_end(-1).unwrap();
        cache.truncate_from_end(51).unwrap();
        assert_eq!(cache.entries().len(), 4);
        cache.truncate_from_end(50).unwrap();
        assert_eq!(pairs(&cache), vec![(1, 0), (2, 10), (4, 30)]);
        cache.truncate_from_end(11).unwrap();
        assert_eq!(pairs(&cache), vec![(1, 0), (2, 10)]);

        let other = tempfile::tempdir().unwrap();
        let mut cache = cache_with(other.path(), &[(1, 0), (2, 10), (4, 30), (7, 50)]);
        cache.truncate_from_start(0).unwrap();
        assert_eq!(cache.entries().len(), 4);
        // Exclusive: an entry starting exactly there stays, the ones before it go.
        cache.truncate_from_start(10).unwrap();
        assert_eq!(pairs(&cache), vec![(2, 10), (4, 30), (7, 50)]);
        // Inside an epoch: that epoch now starts at the new log start.
        cache.truncate_from_start(35).unwrap();
        assert_eq!(pairs(&cache), vec![(4, 35), (7, 50)]);
        cache.truncate_from_start(80).unwrap();
        assert_eq!(pairs(&cache), vec![(7, 80)]);
        assert_eq!(pairs(&LeaderEpochCache::open(other.path())), vec![(7, 80)]);
        cache.truncate_from_end(0).unwrap();
        assert!(cache.is_empty());
        cache.truncate_from_start(90).unwrap();
        assert!(cache.is_empty());
    }
}
