//! Sparse offset and time indexes of a segment (`<base>.index`, `<base>.timeindex`).
//!
//! Layouts (big-endian), Kafka's:
//! - offset index entry, 8 bytes: `relative offset i32 | position i32` — the last offset of a
//!   batch (relative to the segment's base offset) and the file position where it starts;
//! - time index entry, 12 bytes: `timestamp i64 | relative offset i32` — the largest timestamp
//!   seen so far in the segment and the offset it was seen at.
//!
//! Both keys increase strictly from entry to entry. The file is preallocated to
//! `segment.index.bytes` (rounded down to whole entries) while the segment is active and
//! trimmed to the used entries on close and roll. Entries live in a `Vec`; each append is a
//! positional write of one entry.
//!
//! Crash policy: an index is derived data. After an unclean stop the tail of a preallocated
//! file is zeros: loading keeps the leading run of entries whose keys strictly increase and
//! drops the rest; the segment checks them against its log file and rebuilds the index from
//! the log when they do not fit.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::LogError;

/// One entry kind of an index file.
pub trait IndexEntry: Copy + std::fmt::Debug {
    const SIZE: usize;
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Option<Self>;
    /// Whether `self` may follow `previous` (keys strictly increase; all-zero entries are
    /// the unused preallocated tail).
    fn may_follow(&self, previous: Option<&Self>) -> bool;
}

/// Offset index entry: a batch whose last offset is `base + relative_offset` starts at
/// `position` of the log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffsetEntry {
    pub relative_offset: i32,
    pub position: u32,
}

impl IndexEntry for OffsetEntry {
    const SIZE: usize = 8;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&self.relative_offset.to_be_bytes());
        out.extend_from_slice(&self.position.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        Some(OffsetEntry {
            relative_offset: i32::from_be_bytes(bytes.get(0..4)?.try_into().ok()?),
            position: u32::from_be_bytes(bytes.get(4..8)?.try_into().ok()?),
        })
    }

    fn may_follow(&self, previous: Option<&Self>) -> bool {
        // Position 0 is never indexed (an entry is written only after index.interval.bytes
        // of log), so a zero position marks the unused tail.
        match previous {
            None => self.relative_offset >= 0 && self.position > 0,
            Some(previous) => {
                self.relative_offset > previous.relative_offset && self.position > previous.position
            }
        }
    }
}

/// Time index entry: up to `base + relative_offset`, no batch has a timestamp above
/// `timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeEntry {
    pub timestamp: i64,
    pub relative_offset: i32,
}

impl IndexEntry for TimeEntry {
    const SIZE: usize = 12;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::SIZE);
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.relative_offset.to_be_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        Some(TimeEntry {
            timestamp: i64::from_be_bytes(bytes.get(0..8)?.try_into().ok()?),
            relative_offset: i32::from_be_bytes(bytes.get(8..12)?.try_into().ok()?),
        })
    }

    fn may_follow(&self, previous: Option<&Self>) -> bool {
        match previous {
            None => self.relative_offset >= 0 && (self.timestamp, self.relative_offset) != (0, 0),
            Some(previous) => {
                self.timestamp > previous.timestamp
                    && self.relative_offset >= previous.relative_offset
            }
        }
    }
}

/// An index file: entries in memory, mirrored to a preallocated file.
#[derive(Debug)]
pub struct IndexFile<E: IndexEntry> {
    path: PathBuf,
    file: File,
    entries: Vec<E>,
    max_entries: usize,
    preallocated: bool,
}

pub type OffsetIndex = IndexFile<OffsetEntry>;
pub type TimeIndex = IndexFile<TimeEntry>;

impl<E: IndexEntry> IndexFile<E> {
    /// Opens (creating if missing) the index at `path`, keeping the leading run of valid
    /// entries, and preallocates it to `max_bytes` rounded down to whole entries.
    pub fn open(path: &Path, max_bytes: i64) -> Result<Self, LogError> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(LogError::io("open", path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(LogError::io("read", path))?;
        let mut entries: Vec<E> = Vec::with_capacity(bytes.len() / E::SIZE);
        for chunk in bytes.chunks_exact(E::SIZE) {
            match E::decode(chunk) {
                Some(entry) if entry.may_follow(entries.last()) => entries.push(entry),
                _ => break,
            }
        }
        let max_entries = (usize::try_from(max_bytes).unwrap_or(0) / E::SIZE).max(1);
        let mut index = IndexFile {
            path: path.to_path_buf(),
            file,
            entries,
            max_entries: 0,
            preallocated: false,
        };
        index.max_entries = max_entries.max(index.entries.len());
        index.preallocate()?;
        Ok(index)
    }

    fn preallocate(&mut self) -> Result<(), LogError> {
        let length = (self.max_entries * E::SIZE) as u64;
        self.file
            .set_len(length)
            .map_err(LogError::io("preallocate", &self.path))?;
        self.preallocated = true;
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn entries(&self) -> &[E] {
        &self.entries
    }

    pub fn last(&self) -> Option<&E> {
        self.entries.last()
    }

    pub fn is_full(&self) -> bool {
        self.entries.len() >= self.max_entries
    }

    /// Appends `entry` if it may follow the last one (otherwise it is redundant and skipped).
    /// Does nothing when the index is full: the log rolls before that matters.
    pub fn append(&mut self, entry: E) -> Result<(), LogError> {
        if self.is_full() || !entry.may_follow(self.entries.last()) {
            return Ok(());
        }
        if !self.preallocated {
            self.preallocate()?;
        }
        let at = (self.entries.len() * E::SIZE) as u64;
        self.file
            .write_all_at(&entry.encode(), at)
            .map_err(LogError::io("write", &self.path))?;
        self.entries.push(entry);
        Ok(())
    }

    /// Keeps only the entries `keep` accepts as a prefix, zeroing the dropped ones on disk.
    pub fn truncate_while(&mut self, keep: impl Fn(&E) -> bool) -> Result<(), LogError> {
        let kept = self.entries.iter().take_while(|entry| keep(entry)).count();
        if kept == self.entries.len() {
            return Ok(());
        }
        let dropped = self.entries.len() - kept;
        self.file
            .write_all_at(&vec![0u8; dropped * E::SIZE], (kept * E::SIZE) as u64)
            .map_err(LogError::io("write", &self.path))?;
        self.entries.truncate(kept);
        Ok(())
    }

    /// Drops every entry (before a rebuild from the log).
    pub fn clear(&mut self) -> Result<(), LogError> {
        self.truncate_while(|_| false)
    }

    /// Shrinks the file to the used entries (close, roll). Later appends preallocate again.
    pub fn trim(&mut self) -> Result<(), LogError> {
        let length = (self.entries.len() * E::SIZE) as u64;
        self.file
            .set_len(length)
            .map_err(LogError::io("truncate", &self.path))?;
        self.preallocated = false;
        Ok(())
    }

    pub fn flush(&self) -> Result<(), LogError> {
        self.file
            .sync_all()
            .map_err(LogError::io("fsync", &self.path))
    }
}

impl OffsetIndex {
    /// The last entry whose offset is at most `relative_offset` (where a forward scan for it
    /// may start), or `None` when the scan must start at the beginning of the segment.
    pub fn floor(&self, relative_offset: i32) -> Option<OffsetEntry> {
        let after = self
            .entries
            .partition_point(|entry| entry.relative_offset <= relative_offset);
        after
            .checked_sub(1)
            .and_then(|at| self.entries.get(at))
            .copied()
    }
}

impl TimeIndex {
    /// The last entry whose timestamp is at most `timestamp`.
    pub fn floor(&self, timestamp: i64) -> Option<TimeEntry> {
        let after = self
            .entries
            .partition_point(|entry| entry.timestamp <= timestamp);
        after
            .checked_sub(1)
            .and_then(|at| self.entries.get(at))
            .copied()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_written_in_kafka_layout_and_reload_after_trim() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000000.index");
        let mut index = OffsetIndex::open(&path, 80).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 80);
        index
            .append(OffsetEntry {
                relative_offset: 3,
                position: 100,
            })
            .unwrap();
        index
            .append(OffsetEntry {
                relative_offset: 9,
                position: 250,
            })
            .unwrap();
        // Not increasing: skipped.
        index
            .append(OffsetEntry {
                relative_offset: 9,
                position: 300,
            })
            .unwrap();
        index.trim().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(
            bytes,
            vec![0, 0, 0, 3, 0, 0, 0, 100, 0, 0, 0, 9, 0, 0, 0, 250]
        );
        drop(index);
        let index = OffsetIndex::open(&path, 80).unwrap();
        assert_eq!(index.entries().len(), 2);
        assert_eq!(index.floor(2), None);
        assert_eq!(index.floor(3).unwrap().position, 100);
        assert_eq!(index.floor(8).unwrap().position, 100);
        assert_eq!(index.floor(100).unwrap().position, 250);
    }

    #[test]
    fn zero_tail_of_a_preallocated_file_is_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("00000000000000000000.timeindex");
        let mut index = TimeIndex::open(&path, 1200).unwrap();
        index
            .append(TimeEntry {
                timestamp: 50,
                relative_offset: 4,
            })
            .unwrap();
        index
            .append(TimeEntry {
                timestamp: 70,
                relative_offset: 4,
            })
            .unwrap();
        drop(index);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 1200);
        let index = TimeIndex::open(&path, 1200).unwrap();
        assert_eq!(index.entries().len(), 2);
        assert_eq!(index.floor(60).unwrap().timestamp, 50);
        assert_eq!(index.floor(10), None);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..12], &[0, 0, 0, 0, 0, 0, 0, 50, 0, 0, 0, 4]);
    }

    #[test]
    fn full_index_ignores_appends_and_truncation_zeroes_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.index");
        let mut index = OffsetIndex::open(&path, 16).unwrap();
        for step in 1..=3 {
            index
                .append(OffsetEntry {
                    relative_offset: step,
                    position: step as u32 * 10,
                })
                .unwrap();
        }
        assert!(index.is_full());
        assert_eq!(index.entries().len(), 2);
        index
            .truncate_while(|entry| entry.relative_offset < 2)
            .unwrap();
        assert_eq!(index.entries().len(), 1);
        drop(index);
        assert_eq!(OffsetIndex::open(&path, 16).unwrap().entries().len(), 1);
    }
}
