//! Snapshot files: writing one durably and verifying one on load.
//!
//! Byte layout of `snapshot.<hex zxid>` (all integers big-endian):
//!
//! ```text
//! magic "ZKCS" (4) | format version u32 = 1 (4) | zxid i64 (8) | payload len u64 (8)   24 bytes
//! payload (opaque: the processor's encoded tree and sessions, complete up to zxid)
//! crc32 u32 of every byte before it (header and payload)
//! ```
//!
//! Crash policy: a snapshot is written to `snapshot.<hex zxid>.<n>.tmp`, fsynced, renamed to its
//! final name, and the directory fsynced, so a visible `snapshot.*` file is complete unless the
//! disk damaged it later; recovery then verifies the checksum and falls back to an older
//! snapshot. Temporary files left by a crash are removed by purge.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::dirs::{snapshot_file_name, sync_directory, DataDirs, TEMP_SUFFIX};
use super::error::{FileAction, PersistError};

const SNAPSHOT_MAGIC: [u8; 4] = *b"ZKCS";
const SNAPSHOT_FORMAT_VERSION: u32 = 1;
const SNAPSHOT_HEADER_LEN: usize = 24;
const SNAPSHOT_TRAILER_LEN: usize = 4;

/// Makes temporary names unique within the process, so two writers never share one.
static TEMP_SEQUENCE: AtomicU64 = AtomicU64::new(0);

impl DataDirs {
    /// Writes `payload` as the snapshot for `zxid` (at least 0) and returns its path. Durable on
    /// return: temp file written and fsynced, renamed over any snapshot of the same zxid, and the
    /// directory fsynced. On error the temporary file is removed (best effort).
    pub fn write_snapshot(&self, zxid: i64, payload: &[u8]) -> Result<PathBuf, PersistError> {
        if zxid < 0 {
            return Err(PersistError::InvalidZxid { zxid, min: 0 });
        }
        let name = snapshot_file_name(zxid);
        let final_path = self.snapshot_dir.join(&name);
        let sequence = TEMP_SEQUENCE.fetch_add(1, Ordering::Relaxed);
        let temp_path = self
            .snapshot_dir
            .join(format!("{name}.{sequence}{TEMP_SUFFIX}"));
        let _in_flight = self.snapshot_in_flight(temp_path.clone());
        let written = write_durably(&temp_path, &final_path, &self.snapshot_dir, zxid, payload);
        if written.is_err() {
            // The original error is what matters; a temp file that cannot be removed either is
            // swept up by the next purge.
            let _ = fs::remove_file(&temp_path);
        }
        written.map(|()| final_path)
    }
}

fn write_durably(
    temp_path: &Path,
    final_path: &Path,
    dir: &Path,
    zxid: i64,
    payload: &[u8],
) -> Result<(), PersistError> {
    let header = encode_header(zxid, payload.len() as u64);
    let mut crc = crc32fast::Hasher::new();
    crc.update(&header);
    crc.update(payload);
    let trailer = crc.finalize().to_be_bytes();

    let write_error = |source| PersistError::io(FileAction::Write, temp_path, source);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temp_path)
        .map_err(|source| PersistError::io(FileAction::Create, temp_path, source))?;
    file.write_all(&header).map_err(write_error)?;
    file.write_all(payload).map_err(write_error)?;
    file.write_all(&trailer).map_err(write_error)?;
    file.sync_all()
        .map_err(|source| PersistError::io(FileAction::Sync, temp_path, source))?;
    drop(file);
    fs::rename(temp_path, final_path)
        .map_err(|source| PersistError::io(FileAction::Rename, temp_path, source))?;
    sync_directory(dir)
}

fn encode_header(zxid: i64, payload_len: u64) -> [u8; SNAPSHOT_HEADER_LEN] {
    let mut header = [0u8; SNAPSHOT_HEADER_LEN];
    let (magic, rest) = header.split_at_mut(4);
    magic.copy_from_slice(&SNAPSHOT_MAGIC);
    let (version, rest) = rest.split_at_mut(4);
    version.copy_from_slice(&SNAPSHOT_FORMAT_VERSION.to_be_bytes());
    let (zxid_field, len_field) = rest.split_at_mut(8);
    zxid_field.copy_from_slice(&zxid.to_be_bytes());
    len_field.copy_from_slice(&payload_len.to_be_bytes());
    header
}

/// Why a snapshot file was not used; recovery turns it into a warning and tries an older one.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SnapshotDefect {
    #[error("cannot read it: {source}")]
    Unreadable {
        #[source]
        source: io::Error,
    },
    #[error("{len} bytes is shorter than an empty snapshot")]
    TooShort { len: u64 },
    #[error("bad magic {found:#010x}")]
    BadMagic { found: u32 },
    #[error("unsupported snapshot format version {found}")]
    UnsupportedVersion { found: u32 },
    #[error("header says zxid {found:#x} but the file is named for {named:#x}")]
    ZxidMismatch { named: i64, found: i64 },
    #[error("header declares a {declared}-byte payload but the file holds {actual}")]
    LengthMismatch { declared: u64, actual: u64 },
    #[error("checksum mismatch (stored {stored:#010x}, computed {computed:#010x})")]
    ChecksumMismatch { stored: u32, computed: u32 },
    #[error("the state it holds cannot be decoded: {reason}")]
    Undecodable { reason: String },
}

/// Reads a whole snapshot file.
pub(crate) fn read_snapshot(path: &Path) -> Result<Vec<u8>, SnapshotDefect> {
    fs::read(path).map_err(|source| SnapshotDefect::Unreadable { source })
}

/// Checks a snapshot file's bytes against the zxid its name gives and returns the payload.
pub(crate) fn verify_snapshot(bytes: &[u8], named_zxid: i64) -> Result<&[u8], SnapshotDefect> {
    let len = bytes.len() as u64;
    let too_short = || SnapshotDefect::TooShort { len };
    let Some((sealed, trailer)) = bytes.split_last_chunk::<SNAPSHOT_TRAILER_LEN>() else {
        return Err(too_short());
    };
    let Some((header, payload)) = sealed.split_first_chunk::<SNAPSHOT_HEADER_LEN>() else {
        return Err(too_short());
    };
    let (magic, rest) = split4(header);
    if magic != SNAPSHOT_MAGIC {
        return Err(SnapshotDefect::BadMagic {
            found: u32::from_be_bytes(magic),
        });
    }
    let (version, rest) = split4(rest);
    let version = u32::from_be_bytes(version);
    if version != SNAPSHOT_FORMAT_VERSION {
        return Err(SnapshotDefect::UnsupportedVersion { found: version });
    }
    let (zxid, declared) = split8(rest);
    let (declared, _) = split8(declared);
    let found = i64::from_be_bytes(zxid);
    let declared = u64::from_be_bytes(declared);
    let stored = u32::from_be_bytes(*trailer);
    let computed = crc32fast::hash(sealed);
    // The checksum first: a flipped bit anywhere is reported as what it is.
    if stored != computed {
        return Err(SnapshotDefect::ChecksumMismatch { stored, computed });
    }
    if declared != payload.len() as u64 {
        return Err(SnapshotDefect::LengthMismatch {
            declared,
            actual: payload.len() as u64,
        });
    }
    if found != named_zxid {
        return Err(SnapshotDefect::ZxidMismatch {
            named: named_zxid,
            found,
        });
    }
    Ok(payload)
}

fn split4(bytes: &[u8]) -> ([u8; 4], &[u8]) {
    match bytes.split_first_chunk::<4>() {
        Some((head, rest)) => (*head, rest),
        None => ([0; 4], &[]),
    }
}

fn split8(bytes: &[u8]) -> ([u8; 8], &[u8]) {
    match bytes.split_first_chunk::<8>() {
        Some((head, rest)) => (*head, rest),
        None => ([0; 8], &[]),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn written_snapshot_verifies_and_leaves_no_temp_file() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let path = dirs.write_snapshot(0x1a2b, b"the tree").unwrap();
        assert_eq!(path, dirs.snapshot_dir().join("snapshot.1a2b"));
        let bytes = fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 8 + 4);
        assert_eq!(verify_snapshot(&bytes, 0x1a2b).unwrap(), b"the tree");
        let temps = fs::read_dir(dirs.snapshot_dir())
            .unwrap()
            .filter(|entry| {
                entry
                    .as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .count();
        assert_eq!(temps, 0);

        // Rewriting the same zxid replaces the file whole.
        dirs.write_snapshot(0x1a2b, b"").unwrap();
        assert_eq!(
            verify_snapshot(&fs::read(&path).unwrap(), 0x1a2b).unwrap(),
            b""
        );
        assert!(matches!(
            dirs.write_snapshot(-1, b""),
            Err(PersistError::InvalidZxid { zxid: -1, min: 0 })
        ));
    }

    #[test]
    fn every_flipped_byte_and_every_cut_is_detected() {
        let root = tempfile::tempdir().unwrap();
        let dirs = DataDirs::open(root.path(), root.path()).unwrap();
        let bytes = fs::read(dirs.write_snapshot(7, b"payload").unwrap()).unwrap();
        for index in 0..bytes.len() {
            let mut damaged = bytes.clone();
            damaged[index] ^= 0x40;
            assert!(verify_snapshot(&damaged, 7).is_err(), "flip at {index}");
            assert!(
                verify_snapshot(&bytes[..index], 7).is_err(),
                "cut at {index}"
            );
        }
        assert!(matches!(
            verify_snapshot(&bytes, 8),
            Err(SnapshotDefect::ZxidMismatch { named: 8, found: 7 })
        ));
    }
}
