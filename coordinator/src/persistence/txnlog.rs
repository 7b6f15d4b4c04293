//! The txn log writer: [`TxnLog`] buffers entries, writes them with one `write_all` per commit,
//! fdatasyncs, and rolls to a new file on request.
//!
//! The processor's storage thread owns the `TxnLog`. Group commit is the caller appending every
//! pending transaction, then calling [`TxnLog::commit`] once; nothing is durable before `commit`
//! returns `Ok` and everything appended is durable after (with `force_sync`).
//!
//! Files (format in `logfile.rs`) are created with the header written, preallocated to a
//! multiple of `preallocate_bytes` with zeros (`set_len`), fsynced, and the directory fsynced.
//! When a commit would leave less than a whole zero length (4 bytes) before the preallocated
//! end, the file is first extended by whole blocks, so most fdatasyncs change no metadata.
//!
//! Crash and failure policy: a crash loses at most the entries of commits that had not returned;
//! recovery cuts their torn remains off. A failed write or fsync is returned and poisons this
//! `TxnLog` (every later call fails with [`PersistError::LogFailed`]): after a failed fsync the
//! page cache may claim data the disk does not hold, so retrying would lie.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::dirs::{log_file_name, sync_directory, DataDirs};
use super::error::{FileAction, PersistError};
use super::logfile::{
    encode_entry, encode_header, read_written_part, scan_log, END_MARKER_LEN, LOG_HEADER_LEN,
    MAX_PAYLOAD_LEN,
};

/// How the txn log uses the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    /// Files grow in blocks of this many zero bytes (ZooKeeper's `preAllocSize`, 64 MiB by
    /// default). 0 disables preallocation.
    pub preallocate_bytes: u64,
    /// fdatasync on every commit (ZooKeeper's `forceSync`). When false nothing on the log path
    /// is fsynced and a crash may lose committed entries.
    pub force_sync: bool,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            preallocate_bytes: 64 * 1024 * 1024,
            force_sync: true,
        }
    }
}

/// The open log file being appended to.
#[derive(Debug)]
struct OpenLog {
    file: File,
    /// End of the header and committed entries: where the next write lands (the file cursor).
    write_offset: u64,
    /// Length of the file including preallocated zeros.
    allocated: u64,
}

/// An append-only txn log spread over files `log.<hex first zxid>`.
#[derive(Debug)]
pub struct TxnLog {
    dir: PathBuf,
    options: LogOptions,
    /// `None` after [`TxnLog::roll`] until the next commit creates the next file.
    current: Option<OpenLog>,
    /// The current file, or the file last closed by `roll`.
    path: PathBuf,
    /// Encoded entries appended since the last commit.
    pending: Vec<u8>,
    last_appended: i64,
    last_committed: i64,
    failed: bool,
}

/// Initial capacity of the commit buffer: a typical group commit fits without regrowing.
const PENDING_CAPACITY: usize = 256 * 1024;

impl DataDirs {
    /// Starts a new log file whose first entry will be `first_zxid` (at least 1), durably.
    ///
    /// A leftover file of that name is replaced when it holds no entries (a crash during its
    /// creation, or recovery cut all of them); one that holds entries, or has a foreign header,
    /// is [`PersistError::LogExists`].
    pub fn create_log(&self, first_zxid: i64, options: LogOptions) -> Result<TxnLog, PersistError> {
        if first_zxid < 1 {
            return Err(PersistError::InvalidZxid {
                zxid: first_zxid,
                min: 1,
            });
        }
        let (current, path) = create_log_file(&self.log_dir, first_zxid, &options)?;
        Ok(TxnLog {
            dir: self.log_dir.clone(),
            options,
            current: Some(current),
            path,
            pending: Vec::with_capacity(PENDING_CAPACITY),
            last_appended: first_zxid - 1,
            last_committed: first_zxid - 1,
            failed: false,
        })
    }
}

impl TxnLog {
    /// Buffers an entry in memory (no I/O). `zxid` must be exactly one more than the last
    /// appended zxid (the first must be the file's `first_zxid`): recovery refuses gaps, so the
    /// writer refuses to create them.
    pub fn append(&mut self, zxid: i64, payload: &[u8]) -> Result<(), PersistError> {
        self.check_usable()?;
        let expected = self.last_appended.saturating_add(1);
        if zxid != expected {
            return Err(PersistError::ZxidOutOfOrder {
                expected,
                found: zxid,
            });
        }
        if payload.len() > MAX_PAYLOAD_LEN {
            return Err(PersistError::PayloadTooLarge {
                len: payload.len(),
                max: MAX_PAYLOAD_LEN,
            });
        }
        encode_entry(&mut self.pending, zxid, payload);
        self.last_appended = zxid;
        Ok(())
    }

    /// Writes everything appended since the last commit and, with `force_sync`, fdatasyncs.
    /// Durable on `Ok`. Any error poisons this log.
    pub fn commit(&mut self) -> Result<(), PersistError> {
        self.check_usable()?;
        if self.pending.is_empty() {
            return Ok(());
        }
        let written = self.write_pending();
        if written.is_err() {
            self.failed = true;
        }
        written
    }

    /// Commits, then closes the current file; the next commit starts a new file named by the
    /// first zxid appended after this call. A file that holds no entry yet is kept open instead:
    /// its name already is the next zxid.
    pub fn roll(&mut self) -> Result<(), PersistError> {
        self.commit()?;
        let holds_entries = self
            .current
            .as_ref()
            .is_some_and(|open| open.write_offset > LOG_HEADER_LEN as u64);
        if holds_entries {
            self.current = None;
        }
        Ok(())
    }

    /// The current file (after `roll`, the file just closed until the next one is created).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes of header and committed entries in the current file (0 after `roll` until the next
    /// file is created); preallocated zeros are not counted. Callers roll on this.
    pub fn bytes_written(&self) -> u64 {
        self.current.as_ref().map_or(0, |open| open.write_offset)
    }

    /// The last appended zxid, committed or not (`first_zxid - 1` before any append).
    pub fn last_zxid(&self) -> i64 {
        self.last_appended
    }

    /// The last zxid made durable by [`TxnLog::commit`].
    pub fn committed_zxid(&self) -> i64 {
        self.last_committed
    }

    fn check_usable(&self) -> Result<(), PersistError> {
        if self.failed {
            return Err(PersistError::LogFailed {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    fn write_pending(&mut self) -> Result<(), PersistError> {
        let mut current = match self.current.take() {
            Some(open) => open,
            None => {
                let first_zxid = self.last_committed + 1;
                let (open, path) = create_log_file(&self.dir, first_zxid, &self.options)?;
                self.path = path;
                open
            }
        };
        let written = write_entries(&mut current, &self.pending, &self.path, &self.options);
        self.current = Some(current);
        written?;
        self.last_committed = self.last_appended;
        self.pending.clear();
        Ok(())
    }
}

/// One commit's I/O: extend the preallocation if needed, one `write_all`, one fdatasync.
fn write_entries(
    current: &mut OpenLog,
    bytes: &[u8],
    path: &Path,
    options: &LogOptions,
) -> Result<(), PersistError> {
    let end = current.write_offset + bytes.len() as u64;
    // Room for a whole zero length after the last entry keeps "end of entries" unambiguous.
    let needed = end + END_MARKER_LEN as u64;
    if needed > current.allocated && options.preallocate_bytes > 0 {
        let allocated = round_up(needed, options.preallocate_bytes);
        current
            .file
            .set_len(allocated)
            .map_err(|source| PersistError::io(FileAction::Preallocate, path, source))?;
        current.allocated = allocated;
    }
    current
        .file
        .write_all(bytes)
        .map_err(|source| PersistError::io(FileAction::Write, path, source))?;
    if options.force_sync {
        current
            .file
            .sync_data()
            .map_err(|source| PersistError::io(FileAction::Sync, path, source))?;
    }
    current.write_offset = end;
    current.allocated = current.allocated.max(end);
    Ok(())
}

fn round_up(value: u64, block: u64) -> u64 {
    value.div_ceil(block).saturating_mul(block)
}

/// Creates `dir/log.<hex first_zxid>` with its header, preallocated, durably (per `force_sync`).
/// The returned file's cursor sits at the end of the header.
fn create_log_file(
    dir: &Path,
    first_zxid: i64,
    options: &LogOptions,
) -> Result<(OpenLog, PathBuf), PersistError> {
    let path = dir.join(log_file_name(first_zxid));
    let mut file = match create_new(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
            remove_if_empty(&path)?;
            create_new(&path)
                .map_err(|source| PersistError::io(FileAction::Create, &path, source))?
        }
        Err(source) => return Err(PersistError::io(FileAction::Create, &path, source)),
    };
    let header_len = LOG_HEADER_LEN as u64;
    let allocated = if options.preallocate_bytes > 0 {
        let allocated = round_up(
            header_len + END_MARKER_LEN as u64,
            options.preallocate_bytes,
        );
        file.set_len(allocated)
            .map_err(|source| PersistError::io(FileAction::Preallocate, &path, source))?;
        allocated
    } else {
        header_len
    };
    file.write_all(&encode_header())
        .map_err(|source| PersistError::io(FileAction::Write, &path, source))?;
    if options.force_sync {
        file.sync_all()
            .map_err(|source| PersistError::io(FileAction::Sync, &path, source))?;
        sync_directory(dir)?;
    }
    let open = OpenLog {
        file,
        write_offset: header_len,
        allocated,
    };
    Ok((open, path))
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

/// Removes a leftover log file that holds no entries; refuses one that does, or one with a
/// foreign header (it may not be ours to destroy).
fn remove_if_empty(path: &Path) -> Result<(), PersistError> {
    let (bytes, _) = read_written_part(path)?;
    let scan = scan_log(&bytes);
    let foreign = scan
        .defect
        .as_ref()
        .is_some_and(|found| !found.defect.is_repairable_tail());
    if !scan.entries.is_empty() || foreign {
        return Err(PersistError::LogExists {
            path: path.to_path_buf(),
        });
    }
    fs::remove_file(path).map_err(|source| PersistError::io(FileAction::Remove, path, source))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::persistence::logfile::{scan_log, LogScan};

    fn options(preallocate_bytes: u64) -> LogOptions {
        LogOptions {
            preallocate_bytes,
            force_sync: true,
        }
    }

    fn zxids(scan: &LogScan<'_>) -> Vec<i64> {
        scan.entries.iter().map(|entry| entry.zxid).collect()
    }

    #[test]
    fn commit_writes_entries_and_preallocates_whole_blocks() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let mut log = dirs.create_log(1, options(4096)).unwrap();
        assert_eq!(log.path(), dirs.log_dir().join("log.1"));
        assert_eq!(fs::metadata(log.path()).unwrap().len(), 4096);
        assert_eq!(log.bytes_written(), 16);

        log.append(1, b"first").unwrap();
        log.append(2, &[7u8; 5000]).unwrap();
        assert_eq!((log.last_zxid(), log.committed_zxid()), (2, 0));
        // Appending does no I/O.
        assert_eq!(scan_log(&fs::read(log.path()).unwrap()).entries.len(), 0);

        log.commit().unwrap();
        assert_eq!(log.committed_zxid(), 2);
        let expected_end = 16 + (16 + 5) + (16 + 5000);
        assert_eq!(log.bytes_written(), expected_end);
        assert_eq!(fs::metadata(log.path()).unwrap().len(), 8192);
        let bytes = fs::read(log.path()).unwrap();
        let scan = scan_log(&bytes);
        assert_eq!(
            (zxids(&scan), scan.good_end, scan.defect),
            (vec![1, 2], expected_end, None)
        );
        assert_eq!(scan.entries[1].payload, &[7u8; 5000][..]);
    }

    #[test]
    fn append_demands_consecutive_zxids_from_the_first() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let mut log = dirs.create_log(10, options(0)).unwrap();
        assert!(matches!(
            log.append(11, b""),
            Err(PersistError::ZxidOutOfOrder {
                expected: 10,
                found: 11
            })
        ));
        log.append(10, b"").unwrap();
        for wrong in [10, 9, 12] {
            assert!(matches!(
                log.append(wrong, b""),
                Err(PersistError::ZxidOutOfOrder { expected: 11, .. })
            ));
        }
        assert!(matches!(
            dirs.create_log(0, options(0)),
            Err(PersistError::InvalidZxid { zxid: 0, min: 1 })
        ));
    }

    #[test]
    fn roll_starts_the_next_file_at_the_next_commit() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let mut log = dirs.create_log(1, options(0)).unwrap();
        // Rolling an empty file keeps it: its name is still the next zxid.
        log.roll().unwrap();
        assert_eq!(log.bytes_written(), 16);
        for zxid in 1..=26 {
            log.append(zxid, b"x").unwrap();
        }
        log.roll().unwrap();
        assert_eq!(log.bytes_written(), 0);
        assert_eq!(log.path(), dirs.log_dir().join("log.1"));
        log.append(27, b"y").unwrap();
        assert!(
            !dirs.log_dir().join("log.1b").exists(),
            "append does no I/O"
        );
        log.commit().unwrap();
        assert_eq!(log.path(), dirs.log_dir().join("log.1b"));

        let first = fs::read(dirs.log_dir().join("log.1")).unwrap();
        assert_eq!(zxids(&scan_log(&first)), (1..=26).collect::<Vec<_>>());
        let second = fs::read(dirs.log_dir().join("log.1b")).unwrap();
        assert_eq!(zxids(&scan_log(&second)), vec![27]);
    }

    #[test]
    fn create_log_replaces_an_empty_leftover_but_not_one_with_entries() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let leftover = dirs.log_dir().join("log.5");
        fs::write(&leftover, [0u8; 100]).unwrap();
        let mut log = dirs.create_log(5, options(0)).unwrap();
        log.append(5, b"five").unwrap();
        log.commit().unwrap();
        drop(log);

        let error = dirs.create_log(5, options(0)).unwrap_err();
        assert!(
            matches!(&error, PersistError::LogExists { path } if *path == leftover),
            "{error:?}"
        );
        assert_eq!(zxids(&scan_log(&fs::read(&leftover).unwrap())), vec![5]);

        // A file of someone else's format is left alone even without entries we can read.
        let foreign = dirs.log_dir().join("log.9");
        fs::write(&foreign, b"ZKLG\0\0\0\x02\0\0\0\0\0\0\0\0").unwrap();
        assert!(matches!(
            dirs.create_log(9, options(0)),
            Err(PersistError::LogExists { .. })
        ));
        assert_eq!(fs::read(&foreign).unwrap().len(), 16);
    }
}
