//! [`Segment`]: one `<base_offset>.log` file of a partition plus its `.index` and `.timeindex`.
//!
//! The log file is a concatenation of v2 batches exactly as appended (offsets assigned);
//! names are the base offset as `%020d`. Every `index.interval.bytes` of log, the offset
//! index records (last offset of a batch, position of the batch) and the time index records
//! (largest timestamp so far, the offset it was seen at), as Kafka does.
//!
//! Reads find a position through the offset index, then scan batch headers forward. Reads
//! return whole batches: the batch holding the requested offset first (even if it alone
//! exceeds `max_bytes`, unless the caller asks for [`FirstBatch::WithinLimit`]), then
//! following batches while they fit; a read bounded by an offset (the high watermark) stops
//! before the first batch whose last offset reaches it.
//!
//! Crash policy: appends are plain writes; nothing is durable before [`Segment::flush`]. A
//! write that fails part-way is undone by cutting the file back to its size before the
//! append; if that cut fails too the append returns [`LogError::AppendNotUndone`].
//! [`Segment::recover`] rescans the file from the start, checking each batch (framing, magic,
//! CRC, offsets increasing within the segment), truncates the file at the first bad or torn
//! batch and rebuilds both indexes from what remains.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::index::{OffsetEntry, OffsetIndex, TimeEntry, TimeIndex};
use super::{LogConfig, LogError};
use crate::record::batch::{BatchHeader, HEADER_SIZE, LOG_OVERHEAD};
use crate::record::{Compression, RecordBatch, TimestampType};

/// File name stem of a segment: the base offset, zero-padded to 20 digits.
pub fn file_stem(base_offset: i64) -> String {
    format!("{base_offset:020}")
}

/// What recovery cut from a segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TruncatedTail {
    pub file: PathBuf,
    /// Position the file was cut at (the start of the first bad batch).
    pub position: u64,
    /// Bytes removed.
    pub bytes: u64,
    pub reason: String,
}

/// A batch located in the segment file.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub position: u64,
    pub header: BatchHeader,
    pub size: u64,
}

/// Whether a read may return a first batch larger than its byte limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstBatch {
    /// The first batch found comes whole whatever the limit (a consumer must progress).
    Whole,
    /// Only batches that fit in the limit (continuing a read begun in an earlier segment).
    WithinLimit,
}

/// A byte range of a segment file, to be sent without passing through the broker's memory
/// (`sendfile`) or read later ([`FileSlice::read_into`]). The range held whole batches when
/// it was taken; a truncation of the log after that shows as a short read.
#[derive(Debug, Clone)]
pub struct FileSlice {
    pub file: Arc<File>,
    /// The segment file's path, for error messages.
    pub path: PathBuf,
    pub position: u64,
    pub len: u64,
}

impl FileSlice {
    /// Appends the range's bytes to `out` (a positional read: no file cursor is shared; the
    /// space is zeroed first).
    pub fn read_into(&self, out: &mut Vec<u8>) -> Result<(), LogError> {
        let length = usize::try_from(self.len).unwrap_or(usize::MAX);
        let start = out.len();
        out.resize(start.saturating_add(length), 0);
        let target = out.get_mut(start..).unwrap_or_default();
        self.file
            .read_exact_at(target, self.position)
            .map_err(LogError::io("read", &self.path))
            .inspect_err(|_| out.truncate(start))
    }
}

/// One segment: log file, indexes, and what the log layer needs to know about them.
#[derive(Debug)]
pub struct Segment {
    base_offset: i64,
    log_path: PathBuf,
    /// Shared with [`FileSlice`]s handed to fetches, which send from it after the lock is
    /// released (an open descriptor keeps a deleted or renamed file readable).
    log: Arc<File>,
    size: u64,
    offset_index: OffsetIndex,
    time_index: TimeIndex,
    index_interval_bytes: u64,
    bytes_since_last_index_entry: u64,
    next_offset: i64,
    max_timestamp: i64,
    offset_of_max_timestamp: i64,
    first_batch_timestamp: Option<i64>,
    created_ms: i64,
    /// Test hook: writes fail (ENOSPC) once this many bytes of an append are written.
    #[cfg(test)]
    pub(crate) fail_write_after: Option<usize>,
}

impl Segment {
    fn paths(dir: &Path, base_offset: i64) -> (PathBuf, PathBuf, PathBuf) {
        Self::paths_with_suffix(dir, base_offset, "")
    }

    /// The log, offset index and time index paths of the segment at `base_offset`, with
    /// `suffix` appended to each name (`""`, or the cleaner's `.cleaned` / `.swap`).
    pub fn paths_with_suffix(
        dir: &Path,
        base_offset: i64,
        suffix: &str,
    ) -> (PathBuf, PathBuf, PathBuf) {
        let stem = file_stem(base_offset);
        (
            dir.join(format!("{stem}.log{suffix}")),
            dir.join(format!("{stem}.index{suffix}")),
            dir.join(format!("{stem}.timeindex{suffix}")),
        )
    }

    /// Creates an empty segment (truncating any file of the same name).
    pub fn create(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<Self, LogError> {
        Self::create_with_suffix(dir, base_offset, "", config, now_ms)
    }

    /// [`create`](Self::create) with `suffix` appended to the three file names: the
    /// cleaner writes its output as `.cleaned` segments beside the live ones.
    pub fn create_with_suffix(
        dir: &Path,
        base_offset: i64,
        suffix: &str,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<Self, LogError> {
        let (log_path, offset_path, time_path) = Self::paths_with_suffix(dir, base_offset, suffix);
        for path in [&offset_path, &time_path] {
            remove_if_exists(path)?;
        }
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&log_path)
            .map_err(LogError::io("create", &log_path))?;
        Ok(Segment {
            base_offset,
            offset_index: OffsetIndex::open(&offset_path, config.segment_index_bytes)?,
            time_index: TimeIndex::open(&time_path, config.segment_index_bytes)?,
            log_path,
            log: Arc::new(log),
            size: 0,
            index_interval_bytes: u64::try_from(config.index_interval_bytes).unwrap_or(0),
            bytes_since_last_index_entry: 0,
            next_offset: base_offset,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            first_batch_timestamp: None,
            created_ms: now_ms,
            #[cfg(test)]
            fail_write_after: None,
        })
    }

    /// Opens an existing segment. Loads its indexes and scans the log from the last indexed
    /// position to find its end. When an index file is missing or does not fit the log, it
    /// is rebuilt by [`recover`](Self::recover), whose report is returned.
    pub fn open(
        dir: &Path,
        base_offset: i64,
        config: &LogConfig,
        now_ms: i64,
    ) -> Result<(Self, Option<TruncatedTail>), LogError> {
        let (log_path, offset_path, time_path) = Self::paths(dir, base_offset);
        let indexes_present = offset_path.exists() && time_path.exists();
        let log = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&log_path)
            .map_err(LogError::io("open", &log_path))?;
        let size = log
            .metadata()
            .map_err(LogError::io("inspect", &log_path))?
            .len();
        let mut segment = Segment {
            base_offset,
            offset_index: OffsetIndex::open(&offset_path, config.segment_index_bytes)?,
            time_index: TimeIndex::open(&time_path, config.segment_index_bytes)?,
            log_path,
            log: Arc::new(log),
            size,
            index_interval_bytes: u64::try_from(config.index_interval_bytes).unwrap_or(0),
            bytes_since_last_index_entry: 0,
            next_offset: base_offset,
            max_timestamp: -1,
            offset_of_max_timestamp: base_offset,
            first_batch_timestamp: None,
            created_ms: now_ms,
            #[cfg(test)]
            fail_write_after: None,
        };
        if !indexes_present || !segment.load_tail()? {
            let truncated = segment.recover()?;
            return Ok((segment, truncated));
        }
        Ok((segment, None))
    }

    /// Finds the end of the log by scanning from the last offset index entry, trusting the
    /// data (clean shutdown). Returns false when the indexes do not fit the file.
    fn load_tail(&mut self) -> Result<bool, LogError> {
        let start = match self.offset_index.last() {
            Some(entry) => u64::from(entry.position),
            None => 0,
        };
        if start > 0 && start >= self.size {
            return Ok(false);
        }
        if let Some(entry) = self.offset_index.last() {
            let expected = self
                .base_offset
                .saturating_add(i64::from(entry.relative_offset));
            match self.batch_at(start)? {
                Some(found) if found.header.last_offset() == expected => {}
                _ => return Ok(false),
            }
        }
        if let Some(entry) = self.time_index.last() {
            let indexed = self
                .base_offset
                .saturating_add(i64::from(entry.relative_offset));
            self.max_timestamp = entry.timestamp;
            self.offset_of_max_timestamp = indexed;
        }
        self.first_batch_timestamp = self.batch_at(0)?.map(|first| first.header.max_timestamp);
        let mut position = start;
        while let Some(found) = self.batch_at(position)? {
            self.next_offset = found.header.last_offset().saturating_add(1);
            if found.header.max_timestamp > self.max_timestamp {
                self.max_timestamp = found.header.max_timestamp;
                self.offset_of_max_timestamp = found.header.last_offset();
            }
            position += found.size;
        }
        if position != self.size {
            return Ok(false);
        }
        let last_indexed = self
            .offset_index
            .last()
            .map_or(0, |entry| u64::from(entry.position));
        self.bytes_since_last_index_entry = self.size.saturating_sub(last_indexed);
        Ok(true)
    }

    /// Reads the header of the batch at `position`; `None` at the end of the file or when
    /// what is there is not a complete batch (callers trust a clean file; recovery checks).
    pub fn batch_at(&self, position: u64) -> Result<Option<Located>, LogError> {
        if position.saturating_add(HEADER_SIZE as u64) > self.size {
            return Ok(None);
        }
        let mut buf = [0u8; HEADER_SIZE];
        self.log
            .read_exact_at(&mut buf, position)
            .map_err(LogError::io("read", &self.log_path))?;
        let Some(header) = BatchHeader::decode(&buf) else {
            return Ok(None);
        };
        let Some(size) = header.size_in_bytes().map(|size| size as u64) else {
            return Ok(None);
        };
        if size < HEADER_SIZE as u64 || position.saturating_add(size) > self.size {
            return Ok(None);
        }
        Ok(Some(Located {
            position,
            header,
            size,
        }))
    }

    fn read_bytes(&self, position: u64, length: u64) -> Result<Vec<u8>, LogError> {
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        let mut buf = vec![0u8; length];
        self.log
            .read_exact_at(&mut buf, position)
            .map_err(LogError::io("read", &self.log_path))?;
        Ok(buf)
    }

    /// Rescans the whole log, checking every batch, truncating at the first bad one and
    /// rebuilding both indexes. Returns what was cut, if anything.
    pub fn recover(&mut self) -> Result<Option<TruncatedTail>, LogError> {
        self.offset_index.clear()?;
        self.time_index.clear()?;
        self.bytes_since_last_index_entry = 0;
        self.next_offset = self.base_offset;
        self.max_timestamp = -1;
        self.offset_of_max_timestamp = self.base_offset;
        self.first_batch_timestamp = None;
        let file_size = self.size;
        self.size = 0;
        let mut position = 0u64;
        let mut bad: Option<String> = None;
        while position < file_size {
            match self.check_batch_at(position, file_size)? {
                Ok(header) => {
                    let size = header.size_in_bytes().map_or(0, |size| size as u64);
                    self.index_batch(&header, position, size)?;
                    position += size;
                    self.size = position;
                }
                Err(reason) => {
                    bad = Some(reason);
                    break;
                }
            }
        }
        let Some(reason) = bad else {
            return Ok(None);
        };
        self.log
            .set_len(position)
            .map_err(LogError::io("truncate", &self.log_path))?;
        Ok(Some(TruncatedTail {
            file: self.log_path.clone(),
            position,
            bytes: file_size - position,
            reason,
        }))
    }

    /// Checks the batch at `position` for recovery; the inner error says why it is refused.
    fn check_batch_at(
        &self,
        position: u64,
        file_size: u64,
    ) -> Result<Result<BatchHeader, String>, LogError> {
        let left = file_size - position;
        if left < LOG_OVERHEAD as u64 {
            return Ok(Err(format!("torn batch prefix ({left} bytes)")));
        }
        let prefix = self.read_bytes(position, LOG_OVERHEAD as u64)?;
        let length_bytes: [u8; 4] = prefix
            .get(8..12)
            .and_then(|b| b.try_into().ok())
            .unwrap_or_default();
        let batch_length = i32::from_be_bytes(length_bytes);
        let size = match u64::try_from(batch_length) {
            Ok(length) if length >= (HEADER_SIZE - LOG_OVERHEAD) as u64 => {
                length + LOG_OVERHEAD as u64
            }
            _ => return Ok(Err(format!("bad batch length {batch_length}"))),
        };
        if size > left {
            return Ok(Err(format!(
                "torn batch: {size} bytes declared, {left} present"
            )));
        }
        let bytes = self.read_bytes(position, size)?;
        let batch = match RecordBatch::parse(bytes.as_slice()) {
            Ok(batch) => batch,
            Err(error) => return Ok(Err(error.to_string())),
        };
        if let Err(error) = batch.check_integrity() {
            return Ok(Err(error.to_string()));
        }
        let header = *batch.header();
        if header.base_offset < self.next_offset {
            return Ok(Err(format!(
                "offset {} not above the previous batch's end {}",
                header.base_offset, self.next_offset
            )));
        }
        if header.last_offset() - self.base_offset > i64::from(i32::MAX) {
            return Ok(Err(format!(
                "offset {} beyond the segment's range",
                header.last_offset()
            )));
        }
        Ok(Ok(header))
    }

    /// Index bookkeeping for a batch written at `position` (append and recovery alike).
    fn index_batch(
        &mut self,
        header: &BatchHeader,
        position: u64,
        size: u64,
    ) -> Result<(), LogError> {
        if self.first_batch_timestamp.is_none() {
            self.first_batch_timestamp = Some(header.max_timestamp);
        }
        if header.max_timestamp > self.max_timestamp {
            self.max_timestamp = header.max_timestamp;
            self.offset_of_max_timestamp = header.last_offset();
        }
        if self.bytes_since_last_index_entry > self.index_interval_bytes {
            self.offset_index.append(OffsetEntry {
                relative_offset: self.relative(header.last_offset()),
                position: u32::try_from(position).unwrap_or(u32::MAX),
            })?;
            self.time_index.append(TimeEntry {
                timestamp: self.max_timestamp,
                relative_offset: self.relative(self.offset_of_max_timestamp),
            })?;
            self.bytes_since_last_index_entry = 0;
        }
        self.bytes_since_last_index_entry += size;
        self.next_offset = header.last_offset().saturating_add(1);
        Ok(())
    }

    fn relative(&self, offset: i64) -> i32 {
        i32::try_from(offset.saturating_sub(self.base_offset)).unwrap_or(i32::MAX)
    }

    /// Appends `bytes` — whole batches with offsets assigned, described by `headers` in
    /// order — at the end of the log file. Not durable until [`flush`](Self::flush).
    /// A failed write is undone (the file cut back to its previous size) before the error is
    /// returned; [`LogError::AppendNotUndone`] when that is impossible.
    pub fn append(&mut self, bytes: &[u8], headers: &[BatchHeader]) -> Result<(), LogError> {
        self.append_parts(&[bytes], headers)
    }

    /// [`append`](Self::append) of the concatenation of `parts` (a batch's rewritten header
    /// and its records where the producer's request holds them).
    pub fn append_parts(
        &mut self,
        parts: &[&[u8]],
        headers: &[BatchHeader],
    ) -> Result<(), LogError> {
        let start = self.size;
        if let Err((written, error)) = self.write_at_end(parts, start) {
            if written > 0 {
                if let Err(truncate) = self.log.set_len(start) {
                    return Err(LogError::AppendNotUndone {
                        path: self.log_path.clone(),
                        write: error,
                        truncate,
                    });
                }
            }
            return Err(LogError::io("write", &self.log_path)(error));
        }
        let mut position = start;
        for header in headers {
            let size = header.size_in_bytes().map_or(0, |size| size as u64);
            self.index_batch(header, position, size)?;
            position += size;
        }
        self.size = start + parts.iter().map(|part| part.len() as u64).sum::<u64>();
        Ok(())
    }

    /// Writes all of `parts`, one after the other, at `start`; on failure, how many bytes
    /// were written.
    fn write_at_end(&self, parts: &[&[u8]], start: u64) -> Result<(), (usize, io::Error)> {
        let mut written = 0usize;
        for part in parts {
            let mut done = 0usize;
            while done < part.len() {
                let rest = part.get(done..).unwrap_or_default();
                #[cfg(test)]
                let rest = match self.fail_write_after {
                    Some(limit) if written >= limit => {
                        return Err((written, io::Error::from_raw_os_error(28)));
                    }
                    Some(limit) => rest.get(..limit - written).unwrap_or(rest),
                    None => rest,
                };
                match self.log.write_at(rest, start + written as u64) {
                    Ok(0) => return Err((written, io::ErrorKind::WriteZero.into())),
                    Ok(count) => {
                        written += count;
                        done += count;
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                    Err(error) => return Err((written, error)),
                }
            }
        }
        Ok(())
    }

    /// Calls `visit` with the header of every batch whose last offset is at least `offset`,
    /// in order (producer-state replay).
    pub fn scan_headers(
        &self,
        offset: i64,
        mut visit: impl FnMut(&BatchHeader),
    ) -> Result<(), LogError> {
        let Some(first) = self.locate(offset)? else {
            return Ok(());
        };
        let mut position = first.position;
        while let Some(found) = self.batch_at(position)? {
            visit(&found.header);
            position += found.size;
        }
        Ok(())
    }

    /// The first batch whose last offset is at least `offset`, found through the offset
    /// index and a forward scan.
    pub fn locate(&self, offset: i64) -> Result<Option<Located>, LogError> {
        if offset >= self.next_offset {
            return Ok(None);
        }
        let relative = self.relative(offset.max(self.base_offset));
        let mut position = self
            .offset_index
            .floor(relative)
            .map_or(0, |entry| u64::from(entry.position));
        while let Some(found) = self.batch_at(position)? {
            if found.header.last_offset() >= offset {
                return Ok(Some(found));
            }
            position += found.size;
        }
        Ok(None)
    }

    /// The file range of whole batches starting with the one holding `offset` (or the first
    /// after it), up to `max_bytes` (the first batch regardless of it with
    /// [`FirstBatch::Whole`]) and only batches whose last offset is below `max_offset`
    /// (`i64::MAX` for no bound; the high watermark for consumers). `None` when the segment
    /// holds nothing at or after `offset`. The offset bound is a file position found through
    /// the index: the start of the first batch whose last offset reaches `max_offset`. Only
    /// batch headers are read. With the range: whether the read stopped at the end of the
    /// segment rather than at the byte limit.
    pub fn slice(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: i64,
        first_batch: FirstBatch,
    ) -> Result<Option<(FileSlice, bool)>, LogError> {
        let Some(first) = self.locate(offset)? else {
            return Ok(None);
        };
        let bound = match self.locate(max_offset)? {
            Some(beyond) => beyond.position,
            None => self.size,
        };
        let limit = first.position.saturating_add(max_bytes as u64).min(bound);
        let mut end = first.position;
        if first_batch == FirstBatch::Whole && first.position.saturating_add(first.size) <= bound {
            end += first.size;
        }
        let mut reached_end = bound == self.size;
        while let Some(next) = self.batch_at(end)? {
            if end + next.size > limit {
                reached_end = false;
                break;
            }
            end += next.size;
        }
        let len = end - first.position;
        let slice = FileSlice {
            file: Arc::clone(&self.log),
            path: self.log_path.clone(),
            position: first.position,
            len,
        };
        Ok(Some((slice, reached_end)))
    }

    /// The first offset whose timestamp is at least `timestamp`, with that timestamp. For
    /// compressed batches the batch's base offset and max timestamp stand for its records.
    pub fn find_offset_by_timestamp(&self, timestamp: i64) -> Result<Option<(i64, i64)>, LogError> {
        if self.max_timestamp < timestamp {
            return Ok(None);
        }
        let mut position = match self.time_index.floor(timestamp) {
            Some(entry) => {
                let relative = entry.relative_offset;
                self.offset_index
                    .floor(relative)
                    .map_or(0, |entry| u64::from(entry.position))
            }
            None => 0,
        };
        while let Some(found) = self.batch_at(position)? {
            if found.header.max_timestamp >= timestamp {
                return self.first_record_at_or_after(&found, timestamp).map(Some);
            }
            position += found.size;
        }
        Ok(None)
    }

    fn first_record_at_or_after(
        &self,
        found: &Located,
        timestamp: i64,
    ) -> Result<(i64, i64), LogError> {
        let header = &found.header;
        let whole = (header.base_offset, header.max_timestamp);
        let uncompressed = matches!(header.compression(), Ok(Compression::None));
        if header.timestamp_type() == TimestampType::LogAppendTime || !uncompressed {
            return Ok(whole);
        }
        let bytes = self.read_bytes(found.position, found.size)?;
        let Ok(batch) = RecordBatch::parse(bytes.as_slice()) else {
            return Ok(whole);
        };
        let Ok(records) = batch.records() else {
            return Ok(whole);
        };
        for record in records.flatten() {
            let record_timestamp = header.base_timestamp.saturating_add(record.timestamp_delta);
            if record_timestamp >= timestamp {
                return Ok((
                    header.base_offset + i64::from(record.offset_delta),
                    record_timestamp,
                ));
            }
        }
        Ok(whole)
    }

    /// Removes every batch whose last offset is at least `offset` (a batch holding `offset`
    /// goes whole). Returns the bytes removed.
    pub fn truncate_to(&mut self, offset: i64) -> Result<u64, LogError> {
        let Some(found) = self.locate(offset)? else {
            return Ok(0);
        };
        let removed = self.size - found.position;
        self.log
            .set_len(found.position)
            .map_err(LogError::io("truncate", &self.log_path))?;
        self.size = found.position;
        // Rebuild the derived state from what is left; the file is known good up to here.
        self.recover()?;
        Ok(removed)
    }

    pub fn base_offset(&self) -> i64 {
        self.base_offset
    }

    /// Offset after the last batch (the base offset when empty).
    pub fn next_offset(&self) -> i64 {
        self.next_offset
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// Largest batch max timestamp, or the creation time when the segment is empty.
    pub fn largest_timestamp(&self) -> i64 {
        if self.max_timestamp >= 0 {
            self.max_timestamp
        } else {
            self.created_ms
        }
    }

    /// When the segment's age for `segment.ms` counts from: its first batch's max timestamp,
    /// or its creation when empty (Kafka's rule).
    pub fn roll_reference_ms(&self) -> i64 {
        self.first_batch_timestamp.unwrap_or(self.created_ms)
    }

    pub fn indexes_full(&self) -> bool {
        self.offset_index.is_full() || self.time_index.is_full()
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    pub fn offset_index(&self) -> &OffsetIndex {
        &self.offset_index
    }

    pub fn time_index(&self) -> &TimeIndex {
        &self.time_index
    }

    /// The log file, offset index and time index paths.
    pub fn file_paths(&self) -> [PathBuf; 3] {
        [
            self.log_path.clone(),
            self.offset_index.path().to_path_buf(),
            self.time_index.path().to_path_buf(),
        ]
    }

    /// A second handle on the log file (positional reads only), so the cleaner can read a
    /// closed segment without the storage lock; it stays readable if the segment is
    /// deleted meanwhile.
    pub fn try_clone_log(&self) -> Result<File, LogError> {
        self.log
            .try_clone()
            .map_err(LogError::io("duplicate handle", &self.log_path))
    }

    /// The log file's metadata (identity, modification time).
    pub fn log_metadata(&self) -> Result<std::fs::Metadata, LogError> {
        self.log
            .metadata()
            .map_err(LogError::io("inspect", &self.log_path))
    }

    /// fsyncs the log and both indexes.
    pub fn flush(&self) -> Result<(), LogError> {
        self.log
            .sync_all()
            .map_err(LogError::io("fsync", &self.log_path))?;
        self.offset_index.flush()?;
        self.time_index.flush()
    }

    /// Trims the indexes to their used size and fsyncs everything (roll, close).
    pub fn seal(&mut self) -> Result<(), LogError> {
        self.offset_index.trim()?;
        self.time_index.trim()?;
        self.flush()
    }

    /// Removes the three files.
    pub fn delete(self) -> Result<(), LogError> {
        let offset_path = self.offset_index.path().to_path_buf();
        let time_path = self.time_index.path().to_path_buf();
        let log_path = self.log_path.clone();
        drop(self);
        for path in [&log_path, &offset_path, &time_path] {
            remove_if_exists(path)?;
        }
        Ok(())
    }
}

pub(crate) fn remove_if_exists(path: &Path) -> Result<(), LogError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(LogError::io("remove", path)(error)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::record::{BatchBuilder, RecordBatch};

    fn batch(base_offset: i64, timestamp: i64, records: usize) -> (Vec<u8>, BatchHeader) {
        let mut builder = BatchBuilder::new(timestamp).base_offset(base_offset);
        for index in 0..records {
            builder.record(timestamp + index as i64, None, Some(&[7u8; 40]), &[]);
        }
        let bytes = builder.build();
        let header = *RecordBatch::parse(bytes.as_slice()).unwrap().header();
        (bytes, header)
    }

    #[test]
    fn lookups_through_the_sparse_index_find_every_offset() {
        let dir = tempfile::tempdir().unwrap();
        let config = LogConfig {
            index_interval_bytes: 100,
            ..LogConfig::default()
        };
        let mut segment = Segment::create(dir.path(), 10, &config, 0).unwrap();
        let mut offset = 10;
        for step in 0..20 {
            let (bytes, header) = batch(offset, 1_000 + step * 10, 2);
            segment.append(&bytes, &[header]).unwrap();
            offset += 2;
        }
        assert!(segment.offset_index().entries().len() > 3);
        assert!(segment.time_index().entries().len() > 3);
        for target in 10..offset {
            let found = segment.locate(target).unwrap().unwrap();
            assert!(found.header.base_offset <= target && target <= found.header.last_offset());
        }
        assert!(segment.locate(offset).unwrap().is_none());
        // Timestamps: batch `step` holds 1000 + 10*step and +1.
        assert_eq!(
            segment.find_offset_by_timestamp(1_000).unwrap(),
            Some((10, 1_000))
        );
        assert_eq!(
            segment.find_offset_by_timestamp(1_051).unwrap(),
            Some((21, 1_051))
        );
        assert_eq!(
            segment.find_offset_by_timestamp(1_052).unwrap(),
            Some((22, 1_060))
        );
        assert_eq!(segment.find_offset_by_timestamp(5_000).unwrap(), None);
    }
}
