//! Whole-module scenarios: write, crash (by editing the files), reopen, recover, purge.

use std::fs;
use std::path::{Path, PathBuf};

use super::logfile::{encode_entry, encode_header, scan_log};
use super::*;

struct Fixture {
    root: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn open(&self) -> DataDirs {
        DataDirs::open(
            &self.root.path().join("data"),
            &self.root.path().join("logs"),
        )
        .unwrap()
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.root.path().join("logs/version-2").join(name)
    }

    fn snapshot_path(&self, name: &str) -> PathBuf {
        self.root.path().join("data/version-2").join(name)
    }
}

fn options(preallocate_bytes: u64) -> LogOptions {
    LogOptions {
        preallocate_bytes,
        force_sync: true,
    }
}

fn payload(zxid: i64) -> Vec<u8> {
    format!("txn-{zxid}").into_bytes()
}

/// Logs `first..=last` with the canonical payloads, committing every 4 entries and rolling
/// after every `roll_every`.
fn write_log(dirs: &DataDirs, first: i64, last: i64, roll_every: i64, preallocate_bytes: u64) {
    let mut log = dirs.create_log(first, options(preallocate_bytes)).unwrap();
    for zxid in first..=last {
        log.append(zxid, &payload(zxid)).unwrap();
        if (zxid - first + 1) % 4 == 0 {
            log.commit().unwrap();
        }
        if (zxid - first + 1) % roll_every == 0 {
            log.roll().unwrap();
        }
    }
    log.commit().unwrap();
}

fn decode(bytes: &[u8]) -> Result<String, String> {
    String::from_utf8(bytes.to_vec()).map_err(|error| error.to_string())
}

fn recover(fixture: &Fixture) -> Result<Recovery<String>, PersistError> {
    fixture.open().recover(decode)
}

fn zxids(recovery: &Recovery<String>) -> Vec<i64> {
    recovery.entries.iter().map(|entry| entry.zxid).collect()
}

fn assert_canonical_entries(recovery: &Recovery<String>, first: i64, last: i64) {
    assert_eq!(zxids(recovery), (first..=last).collect::<Vec<_>>());
    for entry in &recovery.entries {
        assert_eq!(entry.payload, payload(entry.zxid));
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| name != "coordinator.lock")
        .collect();
    names.sort();
    names
}

fn flip(path: &Path, offset: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset] ^= 0xff;
    fs::write(path, bytes).unwrap();
}

/// Offsets of the entries of a log file.
fn entry_offsets(path: &Path) -> Vec<u64> {
    let bytes = fs::read(path).unwrap();
    scan_log(&bytes)
        .entries
        .iter()
        .map(|entry| entry.offset)
        .collect()
}

#[test]
fn empty_dirs_recover_to_nothing() {
    let fixture = Fixture::new();
    let recovery = recover(&fixture).unwrap();
    assert!(recovery.snapshot.is_none());
    assert!(recovery.entries.is_empty());
    assert_eq!(recovery.last_zxid, 0);
    assert!(recovery.warnings.is_empty());
}

#[test]
fn entries_survive_rolls_and_restarts() {
    let fixture = Fixture::new();
    write_log(&fixture.open(), 1, 30, 10, 0);
    assert_eq!(
        file_names(&fixture.log_path("")),
        ["log.1", "log.15", "log.b"]
    );

    let recovery = recover(&fixture).unwrap();
    assert!(recovery.snapshot.is_none());
    assert_canonical_entries(&recovery, 1, 30);
    assert_eq!(recovery.last_zxid, 30);
    assert!(recovery.warnings.is_empty(), "{:?}", recovery.warnings);

    // As the processor does after recovery: a fresh file at last_zxid + 1, and a snapshot.
    let dirs = fixture.open();
    write_log(&dirs, 31, 35, 100, 4096);
    dirs.write_snapshot(20, b"state@20").unwrap();
    drop(dirs);

    let recovery = recover(&fixture).unwrap();
    let snapshot = recovery.snapshot.as_ref().unwrap();
    assert_eq!((snapshot.zxid, snapshot.state.as_str()), (20, "state@20"));
    assert_eq!(snapshot.path, fixture.snapshot_path("snapshot.14"));
    assert_canonical_entries(&recovery, 21, 35);
    assert_eq!(recovery.last_zxid, 35);
    assert!(recovery.warnings.is_empty(), "{:?}", recovery.warnings);
}

#[test]
fn snapshot_without_later_log_gives_its_zxid() {
    let fixture = Fixture::new();
    let dirs = fixture.open();
    write_log(&dirs, 1, 5, 100, 0);
    dirs.write_snapshot(5, b"state@5").unwrap();
    drop(dirs);
    let recovery = recover(&fixture).unwrap();
    assert_eq!(recovery.snapshot.as_ref().unwrap().zxid, 5);
    assert!(recovery.entries.is_empty());
    assert_eq!(recovery.last_zxid, 5);
}

#[test]
fn preallocated_zero_tail_reads_as_end() {
    let fixture = Fixture::new();
    write_log(&fixture.open(), 1, 3, 100, 1 << 20);
    let path = fixture.log_path("log.1");
    assert_eq!(fs::metadata(&path).unwrap().len(), 1 << 20);

    let recovery = recover(&fixture).unwrap();
    assert_canonical_entries(&recovery, 1, 3);
    assert!(recovery.warnings.is_empty(), "{:?}", recovery.warnings);
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        1 << 20,
        "a clean end is not cut"
    );
}

/// Writes `bytes` as `log.1` of a fresh fixture.
fn fixture_with_log(bytes: &[u8]) -> Fixture {
    let fixture = Fixture::new();
    drop(fixture.open());
    fs::write(fixture.log_path("log.1"), bytes).unwrap();
    fixture
}

/// The bytes of `log.1` holding entries 1..=3 without preallocation, and where entry 3 starts.
fn three_entry_log() -> (Vec<u8>, usize) {
    let template = Fixture::new();
    write_log(&template.open(), 1, 3, 100, 0);
    let path = template.log_path("log.1");
    let last_start = entry_offsets(&path)[2] as usize;
    (fs::read(&path).unwrap(), last_start)
}

fn assert_cut_with_warning(
    fixture: &Fixture,
    recovery: &Recovery<String>,
    cut_at: usize,
    dropped: usize,
) {
    let path = fixture.log_path("log.1");
    assert_canonical_entries(recovery, 1, 2);
    assert_eq!(recovery.last_zxid, 2);
    assert_eq!(recovery.warnings.len(), 1, "{:?}", recovery.warnings);
    let warning = &recovery.warnings[0];
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    assert!(
        warning.contains(&format!("at offset {cut_at}")),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("dropping {dropped} bytes")),
        "{warning}"
    );
    assert_eq!(
        fs::metadata(&path).unwrap().len(),
        cut_at as u64,
        "the tail is cut physically"
    );
}

#[test]
fn a_file_cut_anywhere_in_its_last_entry_recovers_the_prefix() {
    let (bytes, last_start) = three_entry_log();
    for cut in last_start + 1..bytes.len() {
        let fixture = fixture_with_log(&bytes[..cut]);
        let recovery = recover(&fixture).unwrap();
        assert_cut_with_warning(&fixture, &recovery, last_start, cut - last_start);

        // The next recovery finds a clean file.
        let again = recover(&fixture).unwrap();
        assert_canonical_entries(&again, 1, 2);
        assert!(again.warnings.is_empty(), "cut {cut}: {:?}", again.warnings);
    }

    // Cut exactly at an entry boundary: nothing torn, nothing to report.
    let fixture = fixture_with_log(&bytes[..last_start]);
    let recovery = recover(&fixture).unwrap();
    assert_canonical_entries(&recovery, 1, 2);
    assert!(recovery.warnings.is_empty(), "{:?}", recovery.warnings);
}

#[test]
fn a_preallocated_file_torn_anywhere_in_its_last_entry_recovers_and_continues() {
    // A torn write in a preallocated file: the tail of the entry never reached the disk, the
    // preallocated zeros are still there.
    let (bytes, last_start) = three_entry_log();
    for cut in last_start + 1..bytes.len() {
        let mut torn = bytes[..cut].to_vec();
        torn.resize(4096, 0);
        let fixture = fixture_with_log(&torn);
        let recovery = recover(&fixture).unwrap();
        assert_canonical_entries(&recovery, 1, 2);
        let file_len = fs::metadata(fixture.log_path("log.1")).unwrap().len();
        if recovery.warnings.is_empty() {
            // Only the leading zero bytes of the length field made it: a clean end.
            assert!(
                bytes[last_start..cut].iter().all(|byte| *byte == 0),
                "cut {cut}"
            );
            assert_eq!(file_len, 4096);
        } else {
            assert_cut_with_warning(&fixture, &recovery, last_start, 4096 - last_start);
        }

        // The processor continues in a fresh file; everything reads back.
        let dirs = fixture.open();
        let mut log = dirs
            .create_log(recovery.last_zxid + 1, options(4096))
            .unwrap();
        log.append(3, &payload(3)).unwrap();
        log.commit().unwrap();
        drop((log, dirs));
        let after = recover(&fixture).unwrap();
        assert_canonical_entries(&after, 1, 3);
        assert!(after.warnings.is_empty(), "{:?}", after.warnings);
    }
}

#[test]
fn a_flipped_byte_anywhere_in_the_last_entry_is_cut_with_a_warning() {
    let (bytes, last_start) = three_entry_log();
    for offset in last_start..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[offset] ^= 0xff;
        let fixture = fixture_with_log(&damaged);
        let recovery = recover(&fixture).unwrap();
        assert_cut_with_warning(&fixture, &recovery, last_start, bytes.len() - last_start);
    }
}

#[test]
fn a_newest_file_without_a_complete_header_is_cut_and_replaced() {
    let fixture = fixture_with_log(b"ZKC");
    let recovery = recover(&fixture).unwrap();
    assert!(recovery.entries.is_empty());
    assert_eq!(recovery.warnings.len(), 1, "{:?}", recovery.warnings);
    assert_eq!(fs::metadata(fixture.log_path("log.1")).unwrap().len(), 0);

    let dirs = fixture.open();
    write_log(&dirs, 1, 2, 100, 0);
    drop(dirs);
    assert_canonical_entries(&recover(&fixture).unwrap(), 1, 2);
}

#[test]
fn a_flipped_byte_in_an_older_file_is_an_error() {
    let fixture = Fixture::new();
    write_log(&fixture.open(), 1, 6, 3, 0);
    let older = fixture.log_path("log.1");
    let second_entry = entry_offsets(&older)[1];
    flip(&older, second_entry as usize + 18);

    let error = recover(&fixture).unwrap_err();
    match &error {
        PersistError::CorruptLog {
            path,
            offset,
            defect,
        } => {
            assert_eq!(path, &older);
            assert_eq!(*offset, second_entry);
            assert!(
                matches!(defect, LogDefect::ChecksumMismatch { .. }),
                "{defect:?}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&older.display().to_string()), "{message}");
    assert!(
        message.contains(&format!("offset {second_entry}")),
        "{message}"
    );
    assert_eq!(
        fs::read(&older).unwrap().len(),
        16 + 3 * (16 + 5),
        "an older file is never cut"
    );
}

#[test]
fn a_foreign_header_in_the_newest_file_is_an_error_not_a_cut() {
    let fixture = Fixture::new();
    write_log(&fixture.open(), 1, 3, 100, 0);
    let path = fixture.log_path("log.1");
    let length = fs::metadata(&path).unwrap().len();
    flip(&path, 0);
    let error = recover(&fixture).unwrap_err();
    assert!(
        matches!(
            &error,
            PersistError::CorruptLog {
                offset: 0,
                defect: LogDefect::BadMagic { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(fs::metadata(&path).unwrap().len(), length);
}

/// Log 1..=30 in files of 10, snapshots at 10 and 20.
fn fixture_with_two_snapshots() -> Fixture {
    let fixture = Fixture::new();
    let dirs = fixture.open();
    write_log(&dirs, 1, 30, 10, 0);
    dirs.write_snapshot(10, b"state@10").unwrap();
    dirs.write_snapshot(20, b"state@20").unwrap();
    fixture
}

#[test]
fn a_corrupt_newest_snapshot_falls_back_to_the_older_one_and_the_log() {
    let fixture = fixture_with_two_snapshots();
    let newest = fixture.snapshot_path("snapshot.14");
    flip(&newest, 30);

    let recovery = recover(&fixture).unwrap();
    let snapshot = recovery.snapshot.as_ref().unwrap();
    assert_eq!((snapshot.zxid, snapshot.state.as_str()), (10, "state@10"));
    assert_canonical_entries(&recovery, 11, 30);
    assert_eq!(recovery.warnings.len(), 1, "{:?}", recovery.warnings);
    assert!(recovery.warnings[0].contains(&newest.display().to_string()));
    assert!(
        recovery.warnings[0].contains("checksum mismatch"),
        "{}",
        recovery.warnings[0]
    );
}

#[test]
fn an_undecodable_newest_snapshot_falls_back_likewise() {
    let fixture = fixture_with_two_snapshots();
    let recovery = fixture
        .open()
        .recover(|bytes| match bytes {
            b"state@20" => Err("tree references a missing ACL".to_string()),
            other => decode(other),
        })
        .unwrap();
    assert_eq!(recovery.snapshot.as_ref().unwrap().zxid, 10);
    assert_canonical_entries(&recovery, 11, 30);
    assert!(
        recovery.warnings[0].contains("tree references a missing ACL"),
        "{:?}",
        recovery.warnings
    );

    // With no usable snapshot at all, the whole log replays from zxid 1.
    let recovery = fixture
        .open()
        .recover(|_| Err::<String, _>("unknown".to_string()))
        .unwrap();
    assert!(recovery.snapshot.is_none());
    assert_canonical_entries(&recovery, 1, 30);
    assert_eq!(recovery.warnings.len(), 3, "{:?}", recovery.warnings);
}

#[test]
fn a_missing_log_file_is_a_gap() {
    let fixture = Fixture::new();
    write_log(&fixture.open(), 1, 30, 10, 0);
    fs::remove_file(fixture.log_path("log.b")).unwrap();
    let error = recover(&fixture).unwrap_err();
    assert!(
        matches!(&error, PersistError::ZxidGap { path, expected: 11, found: 21, .. } if *path == fixture.log_path("log.15")),
        "{error:?}"
    );
}

#[test]
fn a_log_that_starts_after_the_snapshot_is_a_gap() {
    let fixture = Fixture::new();
    let dirs = fixture.open();
    write_log(&dirs, 12, 15, 100, 0);
    dirs.write_snapshot(10, b"state@10").unwrap();
    drop(dirs);
    let error = recover(&fixture).unwrap_err();
    assert!(
        matches!(
            &error,
            PersistError::ZxidGap {
                expected: 11,
                found: 12,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn a_fallback_whose_log_was_purged_names_the_skipped_snapshot() {
    let fixture = fixture_with_two_snapshots();
    fs::remove_file(fixture.log_path("log.b")).unwrap();
    // The newest snapshot alone does not need log.b...
    assert_canonical_entries(&recover(&fixture).unwrap(), 21, 30);
    // ...but once it is damaged, the fallback to zxid 10 does.
    let newest = fixture.snapshot_path("snapshot.14");
    flip(&newest, 3);
    let error = recover(&fixture).unwrap_err();
    match &error {
        PersistError::SnapshotFallbackFailed {
            newest: skipped,
            count,
            source,
        } => {
            assert_eq!((skipped, *count), (&newest, 1));
            assert!(
                matches!(
                    **source,
                    PersistError::ZxidGap {
                        expected: 11,
                        found: 21,
                        ..
                    }
                ),
                "{source:?}"
            );
        }
        other => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_gap_inside_a_file_and_a_misnamed_file_are_errors() {
    let mut bytes = encode_header().to_vec();
    for zxid in [1, 2, 4] {
        encode_entry(&mut bytes, zxid, &payload(zxid));
    }
    let fixture = fixture_with_log(&bytes);
    let error = recover(&fixture).unwrap_err();
    let third = entry_offsets(&fixture.log_path("log.1"))[2];
    assert!(
        matches!(&error, PersistError::ZxidGap { expected: 3, found: 4, offset, .. } if *offset == third),
        "{error:?}"
    );

    let fixture = Fixture::new();
    let dirs = fixture.open();
    dirs.write_snapshot(4, b"state@4").unwrap();
    let mut bytes = encode_header().to_vec();
    encode_entry(&mut bytes, 6, &payload(6));
    fs::write(fixture.log_path("log.5"), bytes).unwrap();
    drop(dirs);
    let error = recover(&fixture).unwrap_err();
    assert!(
        matches!(
            &error,
            PersistError::LogNameMismatch {
                named: 5,
                found: 6,
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn purge_keeps_three_snapshots_the_logs_they_need_and_the_newest_log() {
    let fixture = Fixture::new();
    let dirs = fixture.open();
    // log.1 (1..10), log.b (11..20), log.15 (21..30), log.1f, log.29, log.33 (51..60).
    write_log(&dirs, 1, 60, 10, 0);
    for zxid in [5, 15, 25, 35, 45] {
        dirs.write_snapshot(zxid, format!("state@{zxid}").as_bytes())
            .unwrap();
    }
    let stray = fixture.snapshot_path("snapshot.37.4.tmp");
    fs::write(&stray, b"half a snapshot").unwrap();
    let in_flight = fixture.snapshot_path("snapshot.3c.5.tmp");
    fs::write(&in_flight, b"being written").unwrap();
    let guard = dirs.snapshot_in_flight(in_flight.clone());

    // Asking for 1 keeps 3 all the same.
    let report = dirs.purge(1).unwrap();
    let mut removed = report.removed.clone();
    removed.sort();
    let mut expected = vec![
        fixture.snapshot_path("snapshot.5"),
        fixture.snapshot_path("snapshot.f"),
        fixture.log_path("log.1"),
        fixture.log_path("log.b"),
        stray,
    ];
    expected.sort();
    assert_eq!(removed, expected);
    assert_eq!(
        file_names(dirs.snapshot_dir()),
        [
            "snapshot.19",
            "snapshot.23",
            "snapshot.2d",
            "snapshot.3c.5.tmp"
        ]
    );
    assert_eq!(
        file_names(dirs.log_dir()),
        ["log.15", "log.1f", "log.29", "log.33"]
    );
    drop(guard);

    // Every kept snapshot can still be recovered from: damage the two newest.
    flip(&fixture.snapshot_path("snapshot.2d"), 30);
    flip(&fixture.snapshot_path("snapshot.23"), 30);
    drop(dirs);
    let recovery = recover(&fixture).unwrap();
    assert_eq!(recovery.snapshot.as_ref().unwrap().zxid, 25);
    assert_canonical_entries(&recovery, 26, 60);

    // A second purge has nothing left to do but the temp file no longer in flight.
    let report = fixture.open().purge(3).unwrap();
    assert_eq!(report.removed, [in_flight]);
}

#[test]
fn purge_never_removes_the_newest_log_nor_logs_without_snapshots() {
    let fixture = Fixture::new();
    let dirs = fixture.open();
    write_log(&dirs, 1, 20, 10, 0);
    assert!(
        dirs.purge(3).unwrap().removed.is_empty(),
        "no snapshot: every log is needed"
    );

    for zxid in [30, 40, 50] {
        dirs.write_snapshot(zxid, b"state").unwrap();
    }
    let report = dirs.purge(3).unwrap();
    assert_eq!(report.removed, [fixture.log_path("log.1")]);
    assert_eq!(file_names(dirs.log_dir()), ["log.b"]);
}
