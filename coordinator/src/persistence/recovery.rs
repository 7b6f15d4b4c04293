//! Start-up recovery: the newest usable snapshot plus every logged transaction after it.
//!
//! Order of work in [`DataDirs::recover`]:
//! 1. Snapshots newest first: read, verify the checksum, hand the payload to the caller's
//!    `decode`. A damaged or undecodable one is skipped with a warning; with none usable the
//!    state starts empty at zxid 0.
//! 2. Log files that may hold entries after that zxid (the last file named at or before it + 1,
//!    and every later file), oldest first. Entries must run consecutively: the first entry of a
//!    file carries the file's name and continues its predecessor. A gap is an error, never
//!    skipped.
//! 3. A defect in the newest log file is the torn end of a write that never completed: the file
//!    is cut back to its last good entry (`set_len`, fsync) with a warning. In any older file it
//!    is an error: those files were complete and synced before the next one began, so damage
//!    there means lost acknowledged transactions. A newest file whose header never completed
//!    (creation interrupted) is cut to nothing; `create_log` later replaces it. A foreign magic
//!    or unknown format version is an error in any file: it is not ours to cut.
//!
//! The caller then starts a fresh log file at `last_zxid + 1`; a file cut here is never
//! appended to again.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use super::dirs::{list_zxid_files, DataDirs, LOG_PREFIX, SNAPSHOT_PREFIX};
use super::error::{FileAction, PersistError};
use super::logfile::{read_written_part, scan_log, FoundDefect};
use super::snapshot::{read_snapshot, verify_snapshot, SnapshotDefect};

/// One logged transaction, as the caller appended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub zxid: i64,
    pub payload: Vec<u8>,
}

/// The snapshot recovery started from.
#[derive(Debug)]
pub struct LoadedSnapshot<T> {
    pub zxid: i64,
    /// What the caller's `decode` made of the payload.
    pub state: T,
    pub path: PathBuf,
}

/// Everything needed to rebuild the state as of `last_zxid`.
#[derive(Debug)]
pub struct Recovery<T> {
    /// `None` when there was no usable snapshot: replay starts from an empty state.
    pub snapshot: Option<LoadedSnapshot<T>>,
    /// Every logged entry after the snapshot's zxid, consecutive, in order.
    pub entries: Vec<LogEntry>,
    /// Of the last entry, or of the snapshot, or 0.
    pub last_zxid: i64,
    /// Snapshots skipped and log tails cut, one sentence each naming the file.
    pub warnings: Vec<String>,
}

impl DataDirs {
    /// Loads the newest usable snapshot, then every log entry with a zxid above its zxid, in
    /// order. May cut a torn tail off the newest log file (durably, before returning).
    pub fn recover<T>(
        &self,
        mut decode: impl FnMut(&[u8]) -> Result<T, String>,
    ) -> Result<Recovery<T>, PersistError> {
        let mut warnings = Vec::new();
        let mut skipped = Vec::new();
        let mut snapshot = None;
        let candidates = list_zxid_files(&self.snapshot_dir, SNAPSHOT_PREFIX)?;
        for (zxid, path) in candidates.into_iter().rev() {
            match load_snapshot(&path, zxid, &mut decode) {
                Ok(state) => {
                    snapshot = Some(LoadedSnapshot { zxid, state, path });
                    break;
                }
                Err(defect) => {
                    warnings.push(format!(
                        "snapshot {} skipped: {defect}; falling back to older state",
                        path.display()
                    ));
                    skipped.push(path);
                }
            }
        }
        if snapshot.is_none() && !skipped.is_empty() {
            warnings.push("no usable snapshot: replaying the txn log from zxid 0x1".to_string());
        }

        let base_zxid = snapshot.as_ref().map_or(0, |loaded| loaded.zxid);
        let entries = match read_log_after(&self.log_dir, base_zxid, &mut warnings) {
            Ok(entries) => entries,
            Err(source) => {
                let count = skipped.len();
                return Err(match skipped.into_iter().next() {
                    Some(newest) => PersistError::SnapshotFallbackFailed {
                        newest,
                        count,
                        source: Box::new(source),
                    },
                    None => source,
                });
            }
        };
        let last_zxid = entries.last().map_or(base_zxid, |entry| entry.zxid);
        Ok(Recovery {
            snapshot,
            entries,
            last_zxid,
            warnings,
        })
    }
}

fn load_snapshot<T>(
    path: &Path,
    zxid: i64,
    decode: &mut impl FnMut(&[u8]) -> Result<T, String>,
) -> Result<T, SnapshotDefect> {
    let bytes = read_snapshot(path)?;
    let payload = verify_snapshot(&bytes, zxid)?;
    decode(payload).map_err(|reason| SnapshotDefect::Undecodable { reason })
}

/// Every entry with a zxid above `base_zxid`, checked for continuity from `base_zxid + 1`.
fn read_log_after(
    log_dir: &Path,
    base_zxid: i64,
    warnings: &mut Vec<String>,
) -> Result<Vec<LogEntry>, PersistError> {
    let files = list_zxid_files(log_dir, LOG_PREFIX)?;
    let needed_from = base_zxid.saturating_add(1);
    // Files before the last one named at or before `needed_from` end before it: not needed.
    let first_needed = files.iter().rposition(|(start, _)| *start <= needed_from);
    // The zxid the next entry read must carry. With no file reaching back far enough, the first
    // file read must still begin at `needed_from`, which it does not: a gap.
    let mut expected = match first_needed.and_then(|index| files.get(index)) {
        Some((start, _)) => *start,
        None => needed_from,
    };
    let newest_index = files.len().saturating_sub(1);
    let mut entries = Vec::new();
    for (index, (start, path)) in files.iter().enumerate().skip(first_needed.unwrap_or(0)) {
        if *start != expected {
            return Err(PersistError::ZxidGap {
                path: path.clone(),
                offset: 0,
                expected,
                found: *start,
            });
        }
        let (bytes, file_len) = read_written_part(path)?;
        let scan = scan_log(&bytes);
        for (position, entry) in scan.entries.iter().enumerate() {
            if entry.zxid != expected {
                return Err(if position == 0 {
                    PersistError::LogNameMismatch {
                        path: path.clone(),
                        named: *start,
                        found: entry.zxid,
                    }
                } else {
                    PersistError::ZxidGap {
                        path: path.clone(),
                        offset: entry.offset,
                        expected,
                        found: entry.zxid,
                    }
                });
            }
            expected = expected.saturating_add(1);
            if entry.zxid > base_zxid {
                entries.push(LogEntry {
                    zxid: entry.zxid,
                    payload: entry.payload.to_vec(),
                });
            }
        }
        if let Some(FoundDefect { offset, defect }) = scan.defect {
            if index != newest_index || !defect.is_repairable_tail() {
                return Err(PersistError::CorruptLog {
                    path: path.clone(),
                    offset,
                    defect,
                });
            }
            cut_file(path, scan.good_end)?;
            warnings.push(format!(
                "txn log {}: {defect} at offset {offset}; cut the file to {} bytes, dropping {} bytes",
                path.display(),
                scan.good_end,
                file_len.saturating_sub(scan.good_end),
            ));
        }
    }
    Ok(entries)
}

/// Cuts a log file to `len` bytes durably.
fn cut_file(path: &Path, len: u64) -> Result<(), PersistError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|source| PersistError::io(FileAction::Open, path, source))?;
    file.set_len(len)
        .map_err(|source| PersistError::io(FileAction::Truncate, path, source))?;
    file.sync_all()
        .map_err(|source| PersistError::io(FileAction::Sync, path, source))
}
