//! The txn log file format: encoding an entry, and scanning a file's bytes back into entries.
//!
//! Byte layout of `log.<hex zxid of its first entry>` (all integers big-endian):
//!
//! ```text
//! header   magic "ZKCL" (4) | format version u32 = 1 (4) | reserved, zero (8)      16 bytes
//! entry    len u32 | crc32 u32 | zxid i64 | payload (len - 8 bytes)
//! ...      further entries
//! end      len = 0, then zero bytes to the end of the file (preallocation), or end of file
//!          exactly after the last entry (no preallocation)
//! ```
//!
//! `len` counts zxid + payload and `crc32` (IEEE, `crc32fast`) covers the same bytes. Entries'
//! zxids are consecutive and the first equals the file name's zxid (the writer enforces both).
//!
//! Crash policy, as seen by the scanner: a write interrupted by a crash leaves a prefix of good
//! entries followed by one of: a length running past the end of the file, a checksum mismatch
//! (pages of a group commit reached the disk out of order), a zero length followed by non-zero
//! bytes, or 1 to 3 bytes after the last entry (the writer always leaves either nothing or room
//! for a whole zero length, so a shorter tail is an interrupted length, zeros or not). The scanner reports the good prefix and the first defect; what to do about it (cut the
//! newest file, refuse an older one) is recovery's decision.

use std::fs;
use std::path::Path;

use super::error::{FileAction, LogDefect, PersistError};

pub(crate) const LOG_MAGIC: [u8; 4] = *b"ZKCL";
pub(crate) const LOG_FORMAT_VERSION: u32 = 1;
pub(crate) const LOG_HEADER_LEN: usize = 16;
/// A zero `len`. A preallocated file always has room for one after its last entry.
pub(crate) const END_MARKER_LEN: usize = 4;
/// `len` and `crc32` in front of every entry.
pub(crate) const ENTRY_PREFIX_LEN: usize = 8;
const ZXID_LEN: usize = 8;
/// The largest payload whose `len` (zxid included) still fits a u32.
pub(crate) const MAX_PAYLOAD_LEN: usize = u32::MAX as usize - ZXID_LEN;

pub(crate) fn encode_header() -> [u8; LOG_HEADER_LEN] {
    let mut header = [0u8; LOG_HEADER_LEN];
    let (magic, rest) = header.split_at_mut(4);
    magic.copy_from_slice(&LOG_MAGIC);
    let (version, _reserved) = rest.split_at_mut(4);
    version.copy_from_slice(&LOG_FORMAT_VERSION.to_be_bytes());
    header
}

/// Appends one encoded entry to `out`. The caller has checked `payload.len() <= MAX_PAYLOAD_LEN`.
pub(crate) fn encode_entry(out: &mut Vec<u8>, zxid: i64, payload: &[u8]) {
    let len = (ZXID_LEN + payload.len()) as u32;
    let zxid_bytes = zxid.to_be_bytes();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&zxid_bytes);
    crc.update(payload);
    out.reserve(ENTRY_PREFIX_LEN + ZXID_LEN + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&crc.finalize().to_be_bytes());
    out.extend_from_slice(&zxid_bytes);
    out.extend_from_slice(payload);
}

/// One good entry found by [`scan_log`], borrowing its payload from the scanned bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScannedEntry<'a> {
    /// Offset of the entry's `len` field in the file.
    pub offset: u64,
    pub zxid: i64,
    pub payload: &'a [u8],
}

/// A defect and the offset it starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundDefect {
    pub offset: u64,
    pub defect: LogDefect,
}

#[derive(Debug)]
pub(crate) struct LogScan<'a> {
    /// Every entry before the first defect, in file order.
    pub entries: Vec<ScannedEntry<'a>>,
    /// End of the last good entry (the header's end if none; 0 if the header itself is bad).
    pub good_end: u64,
    pub defect: Option<FoundDefect>,
}

/// Reads a whole log file's bytes. Never fails: problems are reported as `defect`.
pub(crate) fn scan_log(bytes: &[u8]) -> LogScan<'_> {
    let mut scan = LogScan {
        entries: Vec::new(),
        good_end: 0,
        defect: None,
    };
    let file_len = bytes.len() as u64;
    let header_defect = |defect| Some(FoundDefect { offset: 0, defect });
    let Some((header, mut rest)) = bytes.split_first_chunk::<LOG_HEADER_LEN>() else {
        scan.defect = header_defect(LogDefect::MissingHeader { file_len });
        return scan;
    };
    if header.iter().all(|byte| *byte == 0) {
        scan.defect = header_defect(LogDefect::MissingHeader { file_len });
        return scan;
    }
    let (magic, after_magic) = header.split_at(4);
    if magic != LOG_MAGIC {
        let mut found = [0u8; 4];
        found.copy_from_slice(magic);
        scan.defect = header_defect(LogDefect::BadMagic {
            found: u32::from_be_bytes(found),
        });
        return scan;
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(after_magic.split_at(4).0);
    let version = u32::from_be_bytes(version);
    if version != LOG_FORMAT_VERSION {
        scan.defect = header_defect(LogDefect::UnsupportedVersion { found: version });
        return scan;
    }

    let mut offset = LOG_HEADER_LEN as u64;
    scan.good_end = offset;
    loop {
        match next_entry(rest, offset) {
            Step::End => break,
            Step::Defect(defect) => {
                scan.defect = Some(FoundDefect { offset, defect });
                break;
            }
            Step::Entry { entry, remaining } => {
                offset += (rest.len() - remaining.len()) as u64;
                scan.entries.push(entry);
                scan.good_end = offset;
                rest = remaining;
            }
        }
    }
    scan
}

enum Step<'a> {
    End,
    Defect(LogDefect),
    Entry {
        entry: ScannedEntry<'a>,
        remaining: &'a [u8],
    },
}

/// Decodes the entry at the start of `rest`, which sits at `offset` in the file.
fn next_entry(rest: &[u8], offset: u64) -> Step<'_> {
    let available = rest.len() as u64;
    if rest.is_empty() {
        return Step::End;
    }
    let Some((len_bytes, after_len)) = rest.split_first_chunk::<END_MARKER_LEN>() else {
        // The writer always leaves room for a whole end marker, so 1 to 3 bytes, even zeros,
        // are the start of a length whose write was interrupted.
        return Step::Defect(LogDefect::ShortEntry {
            needed: ENTRY_PREFIX_LEN as u64,
            available,
        });
    };
    let len = u32::from_be_bytes(*len_bytes);
    if len == 0 {
        return match rest.iter().position(|byte| *byte != 0) {
            None => Step::End,
            Some(position) => Step::Defect(LogDefect::DataAfterEnd {
                nonzero_at: offset + position as u64,
            }),
        };
    }
    if (len as usize) < ZXID_LEN {
        return Step::Defect(LogDefect::BadLength { len });
    }
    let needed = ENTRY_PREFIX_LEN as u64 + u64::from(len);
    let short = Step::Defect(LogDefect::ShortEntry { needed, available });
    let Some((crc_bytes, after_crc)) = after_len.split_first_chunk::<4>() else {
        return short;
    };
    let Some((body, remaining)) = after_crc.split_at_checked(len as usize) else {
        return short;
    };
    let stored = u32::from_be_bytes(*crc_bytes);
    let computed = crc32fast::hash(body);
    if stored != computed {
        return Step::Defect(LogDefect::ChecksumMismatch { stored, computed });
    }
    let Some((zxid_bytes, payload)) = body.split_first_chunk::<ZXID_LEN>() else {
        return Step::Defect(LogDefect::BadLength { len });
    };
    Step::Entry {
        entry: ScannedEntry {
            offset,
            zxid: i64::from_be_bytes(*zxid_bytes),
            payload,
        },
        remaining,
    }
}

/// How much of the zero tail after the end marker is read, to notice data beyond it.
const END_CHECK_WINDOW: u64 = 64 * 1024;

/// Reads a log file up to its end marker (following the entries' lengths, so the preallocated
/// zeros are not read), plus a short window after it. Returns those bytes and the file length.
/// Whatever is malformed is passed on as read, for the scanner to judge.
pub(crate) fn read_written_part(path: &Path) -> Result<(Vec<u8>, u64), PersistError> {
    use std::io::{BufReader, Read};
    let read_error = |source| PersistError::io(FileAction::Read, path, source);
    let file = fs::File::open(path).map_err(read_error)?;
    let file_len = file.metadata().map_err(read_error)?.len();
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let mut bytes = Vec::new();
    // Appends up to `count` more bytes; false once the file ends.
    let take = |reader: &mut BufReader<fs::File>,
                bytes: &mut Vec<u8>,
                count: u64|
     -> Result<bool, PersistError> {
        let before = bytes.len() as u64;
        reader
            .by_ref()
            .take(count)
            .read_to_end(bytes)
            .map_err(read_error)?;
        Ok(bytes.len() as u64 - before == count)
    };
    if !take(&mut reader, &mut bytes, LOG_HEADER_LEN as u64)? {
        return Ok((bytes, file_len));
    }
    loop {
        let start = bytes.len();
        if !take(&mut reader, &mut bytes, 4)? {
            break;
        }
        let len_bytes: [u8; 4] = bytes
            .get(start..start + 4)
            .and_then(|slice| slice.try_into().ok())
            .unwrap_or([0; 4]);
        let len = u64::from(u32::from_be_bytes(len_bytes));
        if len == 0 {
            take(&mut reader, &mut bytes, END_CHECK_WINDOW)?;
            break;
        }
        // crc + body; a length past the end of the file just reads what is there.
        let remaining = file_len.saturating_sub(bytes.len() as u64);
        if !take(&mut reader, &mut bytes, (len + 4).min(remaining))? || len + 4 > remaining {
            break;
        }
    }
    Ok((bytes, file_len))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn file_with(entries: &[(i64, &[u8])]) -> Vec<u8> {
        let mut bytes = encode_header().to_vec();
        for (zxid, payload) in entries {
            encode_entry(&mut bytes, *zxid, payload);
        }
        bytes
    }

    #[test]
    fn entries_round_trip_with_offsets() {
        let bytes = file_with(&[(1, b"alpha"), (2, b""), (3, b"gamma-gamma")]);
        let scan = scan_log(&bytes);
        assert_eq!(scan.defect, None);
        assert_eq!(scan.good_end, bytes.len() as u64);
        let found: Vec<(u64, i64, &[u8])> = scan
            .entries
            .iter()
            .map(|e| (e.offset, e.zxid, e.payload))
            .collect();
        assert_eq!(
            found,
            vec![
                (16, 1, &b"alpha"[..]),
                (16 + 21, 2, &b""[..]),
                (16 + 21 + 16, 3, &b"gamma-gamma"[..])
            ]
        );
    }

    #[test]
    fn zero_padding_is_a_clean_end_but_a_partial_length_is_not() {
        let bytes = file_with(&[(1, b"one")]);
        let good_end = bytes.len() as u64;
        for padding in [0usize, 1, 3, 4, 5, 4096] {
            let mut padded = bytes.clone();
            padded.resize(bytes.len() + padding, 0);
            let scan = scan_log(&padded);
            assert_eq!(scan.good_end, good_end);
            assert_eq!(scan.entries.len(), 1);
            let expected = (1..END_MARKER_LEN)
                .contains(&padding)
                .then_some(FoundDefect {
                    offset: good_end,
                    defect: LogDefect::ShortEntry {
                        needed: 8,
                        available: padding as u64,
                    },
                });
            assert_eq!(scan.defect, expected, "padding {padding}");
        }
    }

    #[test]
    fn defects_are_reported_at_the_entry_offset() {
        let bytes = file_with(&[(1, b"one"), (2, b"two")]);
        let second = 16 + 8 + 8 + 3;

        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x01;
        let scan = scan_log(&flipped);
        assert_eq!(scan.entries.len(), 1);
        assert_eq!(scan.good_end, second as u64);
        let found = scan.defect.unwrap();
        assert_eq!(found.offset, second as u64);
        assert!(matches!(found.defect, LogDefect::ChecksumMismatch { .. }));

        let scan = scan_log(&bytes[..bytes.len() - 1]);
        assert_eq!(
            scan.defect.unwrap().defect,
            LogDefect::ShortEntry {
                needed: 19,
                available: 18
            }
        );

        let mut short_len = bytes.clone();
        short_len[second..second + 4].copy_from_slice(&3u32.to_be_bytes());
        assert_eq!(
            scan_log(&short_len).defect.unwrap().defect,
            LogDefect::BadLength { len: 3 }
        );

        let mut after_end = bytes[..second].to_vec();
        after_end.extend_from_slice(&[0, 0, 0, 0, 0, 7]);
        assert_eq!(
            scan_log(&after_end).defect.unwrap().defect,
            LogDefect::DataAfterEnd {
                nonzero_at: second as u64 + 5
            }
        );
    }

    #[test]
    fn header_problems_are_told_apart() {
        assert_eq!(
            scan_log(&[]).defect.unwrap().defect,
            LogDefect::MissingHeader { file_len: 0 }
        );
        assert_eq!(
            scan_log(&[0u8; 4096]).defect.unwrap().defect,
            LogDefect::MissingHeader { file_len: 4096 }
        );
        let mut foreign = file_with(&[]);
        foreign[..4].copy_from_slice(b"ZKLG");
        let defect = scan_log(&foreign).defect.unwrap().defect;
        assert_eq!(
            defect,
            LogDefect::BadMagic {
                found: u32::from_be_bytes(*b"ZKLG")
            }
        );
        assert!(!defect.is_repairable_tail());
        let mut future = file_with(&[]);
        future[4..8].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(
            scan_log(&future).defect.unwrap().defect,
            LogDefect::UnsupportedVersion { found: 9 }
        );
        let empty = file_with(&[]);
        let scan = scan_log(&empty);
        assert_eq!(
            (scan.defect, scan.good_end, scan.entries.len()),
            (None, 16, 0)
        );
    }
}
