//! Log-dir checkpoint files in Kafka's text format: `log-start-offset-checkpoint`,
//! `recovery-point-offset-checkpoint`, `replication-offset-checkpoint`,
//! `cleaner-offset-checkpoint`.
//!
//! Layout (UTF-8 lines, `\n`):
//! ```text
//! 0                      version
//! 2                      number of entries
//! orders 0 1500          topic, partition, offset separated by single spaces
//! orders 1 98
//! ```
//! Topic names cannot contain spaces, so the split is unambiguous. Also here:
//! [`TopicPartition`] and its directory name `<topic>-<partition>`.
//!
//! Crash policy: written to `<name>.tmp`, fsynced, renamed over the old file, then the
//! directory is fsynced — a reader sees the old or the new file whole. A missing file reads
//! as empty (a fresh log dir).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::LogError;

pub const LOG_START_OFFSET_CHECKPOINT: &str = "log-start-offset-checkpoint";
pub const RECOVERY_POINT_CHECKPOINT: &str = "recovery-point-offset-checkpoint";
pub const REPLICATION_CHECKPOINT: &str = "replication-offset-checkpoint";
/// Where the log cleaner stopped in each compacted log (its first dirty offset).
pub const CLEANER_CHECKPOINT: &str = "cleaner-offset-checkpoint";

const VERSION: &str = "0";

/// A topic and partition number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }

    /// The partition's directory name in a log dir: `<topic>-<partition>`.
    pub fn dir_name(&self) -> String {
        format!("{}-{}", self.topic, self.partition)
    }

    /// Parses a directory name; topics may contain `-`, the partition follows the last one.
    pub fn parse_dir_name(name: &str) -> Option<Self> {
        let (topic, partition) = name.rsplit_once('-')?;
        let partition: i32 = partition.parse().ok()?;
        if topic.is_empty() || partition < 0 {
            return None;
        }
        Some(TopicPartition::new(topic, partition))
    }
}

impl std::fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Reads a checkpoint file; a missing file is an empty map.
pub fn read(path: &Path) -> Result<BTreeMap<TopicPartition, i64>, LogError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
        Err(error) => return Err(LogError::io("read", path)(error)),
    };
    let malformed = |line: usize, reason| LogError::MalformedCheckpoint {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(VERSION) {
        return Err(malformed(1, "version is not 0"));
    }
    let count: usize = lines
        .next()
        .and_then(|line| line.trim().parse().ok())
        .ok_or_else(|| malformed(2, "bad entry count"))?;
    let mut entries = BTreeMap::new();
    for index in 0..count {
        let line_number = index + 3;
        let line = lines
            .next()
            .ok_or_else(|| malformed(line_number, "fewer entries than the count"))?;
        let mut fields = line.split(' ');
        let (Some(topic), Some(partition), Some(offset), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed(line_number, "expected `topic partition offset`"));
        };
        let partition: i32 = partition
            .parse()
            .map_err(|_| malformed(line_number, "bad partition"))?;
        let offset: i64 = offset
            .parse()
            .map_err(|_| malformed(line_number, "bad offset"))?;
        if topic.is_empty() {
            return Err(malformed(line_number, "empty topic"));
        }
        entries.insert(TopicPartition::new(topic, partition), offset);
    }
    if lines.any(|line| !line.trim().is_empty()) {
        return Err(malformed(count + 3, "more entries than the count"));
    }
    Ok(entries)
}

/// Writes a checkpoint file atomically (tmp + fsync + rename + directory fsync).
pub fn write(path: &Path, entries: &BTreeMap<TopicPartition, i64>) -> Result<(), LogError> {
    let mut text = format!("{VERSION}\n{}\n", entries.len());
    for (topic_partition, offset) in entries {
        text.push_str(&format!(
            "{} {} {}\n",
            topic_partition.topic, topic_partition.partition, offset
        ));
    }
    write_atomically(path, text.as_bytes())
}

/// Replaces the file at `path` with `bytes` so that a reader sees the old or the new content
/// whole: written to `<name>.tmp`, fsynced, renamed over `path`, then the directory fsynced.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    let tmp = tmp_path(path);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)
        .map_err(LogError::io("create", &tmp))?;
    file.write_all(bytes).map_err(LogError::io("write", &tmp))?;
    file.sync_all().map_err(LogError::io("fsync", &tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(LogError::io("rename", &tmp))?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// fsyncs a directory so that creations, renames and removals in it are durable.
pub fn sync_dir(dir: &Path) -> Result<(), LogError> {
    File::open(dir)
        .and_then(|handle| handle.sync_all())
        .map_err(LogError::io("fsync directory", dir))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_in_kafka_text_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(RECOVERY_POINT_CHECKPOINT);
        let mut entries = BTreeMap::new();
        entries.insert(TopicPartition::new("orders", 0), 1500);
        entries.insert(TopicPartition::new("my-topic", 12), 98);
        write(&path, &entries).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "0\n2\nmy-topic 12 98\norders 0 1500\n"
        );
        assert_eq!(read(&path).unwrap(), entries);
        assert!(!tmp_path(&path).exists());
        assert!(read(&dir.path().join("missing")).unwrap().is_empty());
    }

    #[test]
    fn malformed_files_are_refused_with_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOG_START_OFFSET_CHECKPOINT);
        for (text, line) in [
            ("1\n0\n", 1),
            ("0\nx\n", 2),
            ("0\n2\nt 0 5\n", 4),
            ("0\n1\nt zero 5\n", 3),
            ("0\n1\nt 0 5 extra\n", 3),
            ("0\n1\nt 0 5\nu 1 6\n", 4),
        ] {
            std::fs::write(&path, text).unwrap();
            match read(&path) {
                Err(LogError::MalformedCheckpoint { line: found, .. }) => {
                    assert_eq!(found, line, "{text:?}")
                }
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn partition_dir_names_parse_with_dashes_in_topics() {
        assert_eq!(
            TopicPartition::parse_dir_name("my-topic-3"),
            Some(TopicPartition::new("my-topic", 3))
        );
        assert_eq!(TopicPartition::new("a", 0).dir_name(), "a-0");
        assert_eq!(TopicPartition::parse_dir_name("nodash"), None);
        assert_eq!(TopicPartition::parse_dir_name("-1"), None);
        assert_eq!(TopicPartition::parse_dir_name("t-x"), None);
    }
}
