//! The two storage directories and their lock: [`DataDirs`] is the handle every other
//! persistence call goes through.
//!
//! `DataDirs::open(data_dir, data_log_dir)` makes sure `<data_dir>/version-2` (snapshots) and
//! `<data_log_dir>/version-2` (txn logs) exist, creating missing levels one at a time and
//! fsyncing each parent so a new directory survives a crash together with the files later
//! written into it. It then takes an exclusive advisory lock (`flock` on Unix) on
//! `version-2/coordinator.lock` in each (once when both are the same directory) and holds it
//! until the `DataDirs` is dropped, so a second server pointed at the same directory fails at
//! start-up instead of interleaving writes. Finally it creates and removes a probe file to prove
//! the directory is writable.
//!
//! This file also owns the file names: `log.<hex zxid>` and `snapshot.<hex zxid>` with lowercase
//! hex and no padding; names in any other spelling are not ours and are left alone.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::error::{FileAction, PersistError};

const VERSION_DIR: &str = "version-2";
const LOCK_FILE: &str = "coordinator.lock";
pub(crate) const LOG_PREFIX: &str = "log.";
pub(crate) const SNAPSHOT_PREFIX: &str = "snapshot.";
pub(crate) const TEMP_SUFFIX: &str = ".tmp";

/// The snapshot and txn log directories of one server, locked for its exclusive use.
///
/// The locks are held for as long as this value lives. All methods take `&self`; the value may
/// be shared between storage threads (snapshots in progress are tracked so that a concurrent
/// [`DataDirs::purge`] never removes their temporary files).
#[derive(Debug)]
pub struct DataDirs {
    pub(crate) snapshot_dir: PathBuf,
    pub(crate) log_dir: PathBuf,
    /// Open lock files; closing them (on drop) releases the locks.
    _locks: Vec<File>,
    /// Temporary snapshot files being written right now.
    snapshots_in_flight: Mutex<BTreeSet<PathBuf>>,
}

impl DataDirs {
    /// Creates (if missing) and locks `<data_dir>/version-2` and `<data_log_dir>/version-2`.
    ///
    /// Fails with [`PersistError::NotADirectory`], [`PersistError::NotWritable`] or
    /// [`PersistError::Locked`] naming the offending path. Both arguments may be the same
    /// directory (ZooKeeper's default when `dataLogDir` is not set).
    pub fn open(data_dir: &Path, data_log_dir: &Path) -> Result<DataDirs, PersistError> {
        let snapshot_dir = data_dir.join(VERSION_DIR);
        let log_dir = data_log_dir.join(VERSION_DIR);
        ensure_directory(&snapshot_dir)?;
        ensure_directory(&log_dir)?;

        let snapshot_real = fs::canonicalize(&snapshot_dir)
            .map_err(|source| PersistError::io(FileAction::Inspect, &snapshot_dir, source))?;
        let log_real = fs::canonicalize(&log_dir)
            .map_err(|source| PersistError::io(FileAction::Inspect, &log_dir, source))?;

        let mut locks = vec![lock_directory(&snapshot_dir)?];
        // One lock when both roles share a directory: flock locks conflict even within one
        // process, so locking it twice would fail against ourselves.
        if snapshot_real != log_real {
            locks.push(lock_directory(&log_dir)?);
        }
        Ok(DataDirs {
            snapshot_dir,
            log_dir,
            _locks: locks,
            snapshots_in_flight: Mutex::new(BTreeSet::new()),
        })
    }

    /// `<data_dir>/version-2`, where snapshots live.
    pub fn snapshot_dir(&self) -> &Path {
        &self.snapshot_dir
    }

    /// `<data_log_dir>/version-2`, where txn logs live.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    fn in_flight(&self) -> MutexGuard<'_, BTreeSet<PathBuf>> {
        // The set stays consistent even if a holder panicked: inserts and removes are atomic.
        self.snapshots_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a temporary snapshot file as being written until the guard drops.
    pub(crate) fn snapshot_in_flight(&self, path: PathBuf) -> InFlightGuard<'_> {
        self.in_flight().insert(path.clone());
        InFlightGuard { dirs: self, path }
    }

    pub(crate) fn is_in_flight(&self, path: &Path) -> bool {
        self.in_flight().contains(path)
    }
}

/// Unregisters a temporary snapshot file on drop.
pub(crate) struct InFlightGuard<'a> {
    dirs: &'a DataDirs,
    path: PathBuf,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        self.dirs.in_flight().remove(&self.path);
    }
}

/// Makes `path` an existing directory, creating missing levels durably.
fn ensure_directory(path: &Path) -> Result<(), PersistError> {
    match fs::metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(_) => Err(PersistError::NotADirectory {
            path: path.to_path_buf(),
        }),
        Err(error) if error.kind() == io::ErrorKind::NotFound => {
            let parent = parent_or_current(path);
            ensure_directory(parent)?;
            match fs::create_dir(path) {
                Ok(()) => {}
                // Another process created it between our check and now: fine if a directory.
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    return ensure_directory(path);
                }
                Err(source) => return Err(classify_create_error(path, source)),
            }
            sync_directory(parent)
        }
        Err(error) if error.kind() == io::ErrorKind::NotADirectory => {
            Err(PersistError::NotADirectory {
                path: path.to_path_buf(),
            })
        }
        Err(source) => Err(PersistError::io(FileAction::Inspect, path, source)),
    }
}

fn classify_create_error(path: &Path, source: io::Error) -> PersistError {
    match source.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            PersistError::NotWritable {
                path: parent_or_current(path).to_path_buf(),
                source,
            }
        }
        io::ErrorKind::NotADirectory => PersistError::NotADirectory {
            path: path.to_path_buf(),
        },
        _ => PersistError::io(FileAction::CreateDirectory, path, source),
    }
}

fn parent_or_current(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Opens and exclusively locks `dir/coordinator.lock`, then proves `dir` is writable.
fn lock_directory(dir: &Path) -> Result<File, PersistError> {
    let lock_path = dir.join(LOCK_FILE);
    let lock_file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|source| match source.kind() {
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                PersistError::NotWritable {
                    path: dir.to_path_buf(),
                    source,
                }
            }
            _ => PersistError::io(FileAction::Open, &lock_path, source),
        })?;
    // `File::try_lock` is stable since Rust 1.89, newer than the workspace's declared
    // rust-version; the toolchain that builds this product is newer still.
    #[allow(clippy::incompatible_msrv)]
    let locked = lock_file.try_lock();
    match locked {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(PersistError::Locked {
                path: dir.to_path_buf(),
            })
        }
        Err(TryLockError::Error(source)) => {
            return Err(PersistError::io(FileAction::Lock, &lock_path, source))
        }
    }
    probe_writable(dir)?;
    Ok(lock_file)
}

/// Creating a file is the only reliable test of "may we write here" (permission bits do not
/// account for root, ACLs or read-only mounts).
fn probe_writable(dir: &Path) -> Result<(), PersistError> {
    let probe = dir.join(format!(".write-probe.{}", std::process::id()));
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(|source| PersistError::NotWritable {
            path: dir.to_path_buf(),
            source,
        })?;
    match fs::remove_file(&probe) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(PersistError::NotWritable {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// fsyncs a directory so that entries created, renamed or removed in it are durable.
pub(crate) fn sync_directory(dir: &Path) -> Result<(), PersistError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(|source| PersistError::io(FileAction::SyncDirectory, dir, source))
}

pub(crate) fn log_file_name(first_zxid: i64) -> String {
    format!("{LOG_PREFIX}{first_zxid:x}")
}

pub(crate) fn snapshot_file_name(zxid: i64) -> String {
    format!("{SNAPSHOT_PREFIX}{zxid:x}")
}

/// Parses the hex zxid of a name written by [`log_file_name`] or [`snapshot_file_name`]:
/// lowercase, unpadded, non-negative. Anything else is not one of our files.
pub(crate) fn parse_zxid_name(name: &str, prefix: &str) -> Option<i64> {
    let hex = name.strip_prefix(prefix)?;
    if hex.is_empty()
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let zxid = i64::from_str_radix(hex, 16).ok()?;
    (format!("{zxid:x}") == hex).then_some(zxid)
}

/// Files of `dir` named `<prefix><hex zxid>`, sorted by zxid ascending.
pub(crate) fn list_zxid_files(
    dir: &Path,
    prefix: &str,
) -> Result<Vec<(i64, PathBuf)>, PersistError> {
    let mut found = Vec::new();
    for entry in read_directory(dir)? {
        let (name, path) = entry;
        if let Some(zxid) = parse_zxid_name(&name, prefix) {
            found.push((zxid, path));
        }
    }
    found.sort_by_key(|(zxid, _)| *zxid);
    Ok(found)
}

/// `(file name, path)` of every non-directory entry of `dir` whose name is UTF-8.
pub(crate) fn read_directory(dir: &Path) -> Result<Vec<(String, PathBuf)>, PersistError> {
    let list_error = |source| PersistError::io(FileAction::ReadDirectory, dir, source);
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(list_error)? {
        let entry = entry.map_err(list_error)?;
        if entry.file_type().map_err(list_error)?.is_dir() {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            names.push((name, entry.path()));
        }
    }
    Ok(names)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn open_creates_version_dirs_and_allows_one_shared_dir() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let logs = root.path().join("nested/logs");
        let dirs = DataDirs::open(&data, &logs).unwrap();
        assert_eq!(dirs.snapshot_dir(), data.join("version-2"));
        assert_eq!(dirs.log_dir(), logs.join("version-2"));
        assert!(dirs.snapshot_dir().is_dir());
        assert!(dirs.log_dir().is_dir());
        drop(dirs);

        let shared = DataDirs::open(&data, &data).unwrap();
        assert_eq!(shared.snapshot_dir(), shared.log_dir());
    }

    #[test]
    fn open_on_a_file_names_the_path() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("plain-file");
        fs::write(&file, b"not a dir").unwrap();
        let logs = root.path().join("logs");

        let error = DataDirs::open(&file, &logs).unwrap_err();
        match &error {
            PersistError::NotADirectory { path } => assert!(path.starts_with(&file)),
            other => panic!("unexpected error {other:?}"),
        }
        assert!(error.to_string().contains("plain-file"), "{error}");

        // A version-2 that is a file is refused the same way.
        let data = root.path().join("data");
        fs::create_dir(&data).unwrap();
        fs::write(data.join("version-2"), b"").unwrap();
        let error = DataDirs::open(&data, &logs).unwrap_err();
        assert!(
            matches!(&error, PersistError::NotADirectory { path } if *path == data.join("version-2")),
            "{error:?}"
        );
    }

    #[test]
    fn second_open_of_a_locked_dir_fails_until_the_first_is_dropped() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        let logs = root.path().join("logs");
        let first = DataDirs::open(&data, &logs).unwrap();

        let error = DataDirs::open(&data, &root.path().join("other-logs")).unwrap_err();
        assert!(
            matches!(&error, PersistError::Locked { path } if *path == data.join("version-2")),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("locked by another process"),
            "{error}"
        );

        let error = DataDirs::open(&root.path().join("other-data"), &logs).unwrap_err();
        assert!(
            matches!(&error, PersistError::Locked { path } if *path == logs.join("version-2")),
            "{error:?}"
        );

        drop(first);
        DataDirs::open(&data, &logs).unwrap();
    }

    #[test]
    fn names_round_trip_and_foreign_spellings_are_ignored() {
        assert_eq!(log_file_name(1), "log.1");
        assert_eq!(log_file_name(0x1a2b), "log.1a2b");
        assert_eq!(snapshot_file_name(0), "snapshot.0");
        assert_eq!(parse_zxid_name("log.1a2b", LOG_PREFIX), Some(0x1a2b));
        assert_eq!(parse_zxid_name("snapshot.0", SNAPSHOT_PREFIX), Some(0));
        for foreign in [
            "log.",
            "log.01",
            "log.1A",
            "log.+1",
            "log.-1",
            "log.1.tmp",
            "log.10000000000000000",
            "snapshot.1",
        ] {
            assert_eq!(parse_zxid_name(foreign, LOG_PREFIX), None, "{foreign}");
        }
    }
}
