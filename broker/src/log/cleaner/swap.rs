//! Swapping cleaned segments into a log, crash-safely, and finishing or undoing an
//! interrupted swap when the log is opened.
//!
//! Files of one cleaned group, named by the base offset of its first source segment `B`:
//!
//! ```text
//! B.log.cleaned  B.index.cleaned  B.timeindex.cleaned   written and fsynced outside the lock
//! B.index.swap   B.timeindex.swap  B.log.swap            renamed in that order; the log's rename
//!                                                        (then a directory fsync) commits the swap
//! S.log.deleted  S.index.deleted  S.timeindex.deleted   each source segment S, renamed
//! B.index  B.timeindex  B.log                            the swap files renamed to their final names
//!                                                        (lock released) the `.deleted` files removed
//! ```
//!
//! Crash policy, applied by [`recover_dir`] before a log lists its segments:
//! - `*.cleaned` files are removed: the pass had not committed, the sources are intact;
//! - `*.deleted` files are removed: their content lives in a committed swap;
//! - each `B.log.swap` is completed: every segment whose base offset lies in
//!   `[B, end of the swap file)` is removed (for `B` itself only its log: an index named `B`
//!   beside a swap is the new one, renamed before the log), `B.index.swap` /
//!   `B.timeindex.swap` replace the indexes when present, and `B.log.swap` becomes `B.log`;
//! - an index `.swap` file without its log `.swap` is removed (the segment rebuilds a missing
//!   index from its log).
//!
//! So a crash at any point leaves either the source segments or the cleaned one, never a
//! mix that loses records.

use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use super::{CleanedGroup, CleanerError, SourceIdentity};
use crate::log::checkpoint::sync_dir;
use crate::log::partition_log::RecoveryWarning;
use crate::log::segment::{file_stem, remove_if_exists, Segment};
use crate::log::{LogError, PartitionLog};
use crate::record::batch::HEADER_SIZE;
use crate::record::BatchHeader;

pub const CLEANED_SUFFIX: &str = ".cleaned";
pub const SWAP_SUFFIX: &str = ".swap";
pub const DELETED_SUFFIX: &str = ".deleted";

fn rename(from: &Path, to: &Path) -> Result<(), LogError> {
    std::fs::rename(from, to).map_err(LogError::io("rename", from))
}

/// The identity a segment's log file has now (device, inode, size).
pub fn identity_of(segment: &Segment) -> Result<SourceIdentity, LogError> {
    let metadata = segment.log_metadata()?;
    Ok(SourceIdentity {
        base_offset: segment.base_offset(),
        device: metadata.dev(),
        inode: metadata.ino(),
        size: segment.size(),
    })
}

/// Whether `log` still holds exactly the source segments of `group`.
pub fn group_still_current(log: &PartitionLog, group: &CleanedGroup) -> Result<bool, LogError> {
    for source in &group.sources {
        let Some(segment) = log
            .segments()
            .find(|s| s.base_offset() == source.base_offset)
        else {
            return Ok(false);
        };
        if identity_of(segment)? != *source {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Swaps `group` into `log` (the caller holds the storage lock and checked
/// [`group_still_current`]). An error before the commit leaves the log as it was; an error
/// after it takes the log offline (the next open completes the swap from the files).
///
/// Returns the sources' files, renamed `*.deleted`: the caller removes them once it has
/// released the lock (unlinking hundreds of megabytes takes long; a crash before that
/// leaves them to the next open).
pub fn install_group(
    log: &mut PartitionLog,
    group: &CleanedGroup,
    now_ms: i64,
) -> Result<Vec<PathBuf>, CleanerError> {
    let dir = log.dir().to_path_buf();
    let base = group.base_offset;
    let (cleaned_log, cleaned_index, cleaned_time) =
        Segment::paths_with_suffix(&dir, base, CLEANED_SUFFIX);
    let (swap_log, swap_index, swap_time) = Segment::paths_with_suffix(&dir, base, SWAP_SUFFIX);
    let commit = || -> Result<(), LogError> {
        rename(&cleaned_index, &swap_index)?;
        rename(&cleaned_time, &swap_time)?;
        rename(&cleaned_log, &swap_log)?;
        sync_dir(&dir)
    };
    if let Err(error) = commit() {
        for path in [
            &cleaned_log,
            &cleaned_index,
            &cleaned_time,
            &swap_log,
            &swap_index,
            &swap_time,
        ] {
            let _ = remove_if_exists(path);
        }
        return Err(error.into());
    }
    let config = log.config().clone();
    let finish = |log: &mut PartitionLog| -> Result<Vec<PathBuf>, LogError> {
        let mut doomed = Vec::new();
        for source in &group.sources {
            if let Some(segment) = log.segments_mut().remove(&source.base_offset) {
                for path in segment.file_paths() {
                    let deleted = suffixed(&path, DELETED_SUFFIX);
                    rename(&path, &deleted)?;
                    doomed.push(deleted);
                }
                drop(segment);
            }
        }
        let (final_log, final_index, final_time) = Segment::paths_with_suffix(&dir, base, "");
        rename(&swap_index, &final_index)?;
        rename(&swap_time, &final_time)?;
        rename(&swap_log, &final_log)?;
        sync_dir(&dir)?;
        let (segment, rebuilt) = Segment::open(&dir, base, &config, now_ms)?;
        if let Some(rebuilt) = rebuilt {
            tracing::warn!(dir = %dir.display(), "cleaned segment {base}: {}", rebuilt.reason);
        }
        log.segments_mut().insert(base, segment);
        Ok(doomed)
    };
    finish(log).map_err(|error| {
        log.go_offline(&error);
        error.into()
    })
}

fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `(base offset, kind, suffix)` of a segment file name like `00000000000000000042.log.swap`.
fn parse_name(name: &str) -> Option<(i64, &str, &str)> {
    let (stem, rest) = name.split_once('.')?;
    if stem.len() != 20 {
        return None;
    }
    let base = stem.parse::<i64>().ok()?;
    let (kind, suffix) = match rest.split_once('.') {
        Some((kind, suffix)) => (kind, suffix),
        None => (rest, ""),
    };
    Some((base, kind, suffix))
}

/// The offset after the last whole batch of the file at `path` (its base when empty).
fn end_offset(path: &Path, base: i64) -> Result<i64, LogError> {
    let file = File::open(path).map_err(LogError::io("open", path))?;
    let size = file
        .metadata()
        .map_err(LogError::io("inspect", path))?
        .len();
    let mut position = 0u64;
    let mut end = base;
    let mut header = [0u8; HEADER_SIZE];
    while position + HEADER_SIZE as u64 <= size {
        file.read_exact_at(&mut header, position)
            .map_err(LogError::io("read", path))?;
        let Some(decoded) = BatchHeader::decode(&header) else {
            break;
        };
        let Some(batch_size) = decoded
            .size_in_bytes()
            .filter(|batch_size| *batch_size >= HEADER_SIZE)
        else {
            break;
        };
        if position + batch_size as u64 > size {
            break;
        }
        end = end.max(decoded.last_offset().saturating_add(1));
        position += batch_size as u64;
    }
    Ok(end)
}

/// Finishes or undoes an interrupted cleaner swap in partition folder `dir` (see the module
/// doc). Returns what it did, for the log's recovery report.
pub fn recover_dir(dir: &Path) -> Result<Vec<RecoveryWarning>, LogError> {
    let mut warnings = Vec::new();
    let mut names = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(warnings),
        Err(error) => return Err(LogError::io("list directory", dir)(error)),
    };
    for entry in entries {
        let entry = entry.map_err(LogError::io("list directory", dir))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    let mut changed = false;
    let mut swaps = Vec::new();
    let mut logs = Vec::new();
    for name in &names {
        let Some((base, kind, suffix)) = parse_name(name) else {
            continue;
        };
        match (kind, suffix) {
            (_, "cleaned" | "deleted") => {
                remove_if_exists(&dir.join(name))?;
                changed = true;
            }
            ("log", "swap") => swaps.push(base),
            ("log", "") => logs.push(base),
            _ => {}
        }
    }
    for base in &swaps {
        let base = *base;
        let (swap_log, swap_index, swap_time) = Segment::paths_with_suffix(dir, base, SWAP_SUFFIX);
        let end = end_offset(&swap_log, base)?;
        for old in logs
            .iter()
            .copied()
            .filter(|old| *old >= base && *old < end.max(base + 1))
        {
            let (log, index, time) = Segment::paths_with_suffix(dir, old, "");
            remove_if_exists(&log)?;
            if old != base {
                remove_if_exists(&index)?;
                remove_if_exists(&time)?;
            }
        }
        let (final_log, final_index, final_time) = Segment::paths_with_suffix(dir, base, "");
        if swap_index.exists() {
            rename(&swap_index, &final_index)?;
        }
        if swap_time.exists() {
            rename(&swap_time, &final_time)?;
        }
        rename(&swap_log, &final_log)?;
        changed = true;
        warnings.push(RecoveryWarning {
            file: final_log,
            position: 0,
            bytes: 0,
            reason: format!(
                "completed an interrupted swap of cleaned segment {} (offsets {base}..{end})",
                file_stem(base)
            ),
        });
    }
    for name in &names {
        if let Some((base, "index" | "timeindex", "swap")) = parse_name(name) {
            if !swaps.contains(&base) {
                remove_if_exists(&dir.join(name))?;
                changed = true;
            }
        }
    }
    if changed {
        sync_dir(dir)?;
    }
    Ok(warnings)
}
