//! Purge: removing snapshots and txn logs that recovery can no longer need.
//!
//! Policy (ZooKeeper's autopurge and `zkCleanup.sh`, with the same floor of 3 snapshots):
//! keep the newest `max(retain, 3)` snapshots, every log file that may hold entries newer than
//! the oldest kept snapshot (the last file named at or before its zxid + 1, and all later ones),
//! and always the newest log file (it may be the one being written). Stray snapshot temporary
//! files left by a crash are removed too, but never one a concurrent
//! [`DataDirs::write_snapshot`] is writing.
//!
//! Removal order is oldest first, snapshots before logs, so an interrupted purge leaves a set
//! that recovery still handles. Removals are not fsynced: a file that reappears after a crash
//! is harmless and goes at the next purge.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::dirs::{
    list_zxid_files, read_directory, DataDirs, LOG_PREFIX, SNAPSHOT_PREFIX, TEMP_SUFFIX,
};
use super::error::{FileAction, PersistError};

/// ZooKeeper refuses to keep fewer snapshots than this; so do we.
pub const MIN_RETAINED_SNAPSHOTS: usize = 3;

/// What a purge removed, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub removed: Vec<PathBuf>,
}

impl DataDirs {
    /// Keeps the newest `retain` snapshots (never fewer than 3) and every log file that may hold
    /// entries newer than the oldest kept snapshot, never the newest log file; removes the rest
    /// and stray snapshot temporary files.
    pub fn purge(&self, retain: usize) -> Result<PurgeReport, PersistError> {
        let retain = retain.max(MIN_RETAINED_SNAPSHOTS);
        let mut report = PurgeReport::default();

        let snapshots = list_zxid_files(&self.snapshot_dir, SNAPSHOT_PREFIX)?;
        let surplus = snapshots.len().saturating_sub(retain);
        for (_, path) in snapshots.iter().take(surplus) {
            remove(path, &mut report)?;
        }

        // With no snapshot at all, recovery replays from zxid 1: every log is needed.
        if let Some((oldest_kept, _)) = snapshots.get(surplus) {
            let needed_from = oldest_kept.saturating_add(1);
            let logs = list_zxid_files(&self.log_dir, LOG_PREFIX)?;
            for (index, (_, path)) in logs.iter().enumerate() {
                // A file's entries end just before the next file's first zxid; the newest file
                // has no successor and is always kept.
                let superseded = logs
                    .get(index + 1)
                    .is_some_and(|(next_start, _)| *next_start <= needed_from);
                if superseded {
                    remove(path, &mut report)?;
                }
            }
        }

        for (name, path) in read_directory(&self.snapshot_dir)? {
            let stray = name.starts_with(SNAPSHOT_PREFIX) && name.ends_with(TEMP_SUFFIX);
            if stray && !self.is_in_flight(&path) {
                remove(&path, &mut report)?;
            }
        }
        Ok(report)
    }
}

fn remove(path: &Path, report: &mut PurgeReport) -> Result<(), PersistError> {
    match fs::remove_file(path) {
        Ok(()) => {
            report.removed.push(path.to_path_buf());
            Ok(())
        }
        // Someone else (an operator, a concurrent purge) got there first.
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PersistError::io(FileAction::Remove, path, source)),
    }
}
