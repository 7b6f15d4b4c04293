//! [`ProducerStates`]: what one partition knows about its idempotent producers — per producer
//! id its epoch and the metadata of its last [`MAX_BATCHES_PER_PRODUCER`] appended batches —
//! and the `<offset>.snapshot` files that let it survive restarts.
//!
//! Where it sits: [`PartitionLog::append`](super::PartitionLog::append) asks
//! [`ProducerStates::check`] about every batch carrying a producer id before writing anything
//! (duplicate, fenced epoch, sequence gap), and records the appended batches with
//! [`ProducerStates::update`] once the write succeeded. Opening a log loads the newest
//! snapshot and replays the batches after it.
//!
//! Rules (Apache Kafka 3.x, `ProducerAppendInfo`):
//! - a batch whose epoch and first/last sequence equal one of the producer's retained batches
//!   is a duplicate: not appended, answered with the original offsets;
//! - an epoch below the producer's current one is `InvalidProducerEpoch`;
//! - a newer epoch must start at sequence 0, unless the producer is unknown;
//! - with the same epoch the first sequence must follow the last one (`i32::MAX` wraps to 0),
//!   else `OutOfOrderSequence`;
//! - an unknown producer (never seen, expired, or its batches removed by retention or
//!   DeleteRecords) is accepted at any sequence: Kafka 3.x no longer answers
//!   UNKNOWN_PRODUCER_ID for that case.
//!
//! A producer whose newest batch timestamp is `producer.id.expiration.ms` older than the
//! clock is forgotten (checked lazily at lookups, swept at snapshots); a producer whose last
//! batch lies below the log start offset is forgotten when retention moves it.
//!
//! Snapshot file `<offset %020d>.snapshot` — the state after every batch below `offset` —
//! big-endian:
//! ```text
//!  0 version        i16  1
//!  2 crc            u32  CRC-32C of bytes 6..end
//!  6 producer count i32
//! 10 per producer:  producer_id i64, epoch i16, batch count i32 (1..=5), then per batch
//!                   first_sequence i32, last_sequence i32, first_offset i64,
//!                   last_offset i64, timestamp i64
//! ```
//! Crash policy: written to `<name>.tmp`, fsynced, renamed, directory fsynced. A snapshot that
//! does not decode or whose CRC differs is ignored (with a warning) and the state is rebuilt
//! by scanning the log from its start; leftover `.tmp` files are removed by the log's open.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::checkpoint::sync_dir;
use super::LogError;
use crate::record::BatchHeader;

/// How many batches per producer are retained for duplicate detection (the Java client's
/// `max.in.flight.requests.per.connection` ceiling with idempotence).
pub const MAX_BATCHES_PER_PRODUCER: usize = 5;

/// Kafka's default `producer.id.expiration.ms` (one day).
pub const DEFAULT_PRODUCER_ID_EXPIRATION_MS: i64 = 86_400_000;

/// Extension of producer-state snapshot files.
pub const SNAPSHOT_SUFFIX: &str = ".snapshot";

const SNAPSHOT_VERSION: i16 = 1;
const SNAPSHOT_HEADER: usize = 10;
const BATCH_ENTRY: usize = 32;

/// Why a batch of an idempotent producer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProducerStateError {
    /// The batch's epoch is older than the producer's current one (the producer was fenced).
    #[error(
        "producer {producer_id} epoch {epoch} is older than the current epoch {current_epoch}"
    )]
    InvalidProducerEpoch {
        producer_id: i64,
        epoch: i16,
        current_epoch: i16,
    },
    /// A new epoch that does not start at sequence 0.
    #[error("producer {producer_id} starts epoch {epoch} at sequence {first_sequence}, not 0")]
    NewEpochNotAtZero {
        producer_id: i64,
        epoch: i16,
        first_sequence: i32,
    },
    /// The batch's first sequence does not follow the producer's last one.
    #[error("producer {producer_id} epoch {epoch}: sequence {first_sequence} does not follow {last_sequence}")]
    OutOfOrderSequence {
        producer_id: i64,
        epoch: i16,
        first_sequence: i32,
        last_sequence: i32,
    },
    /// A producer id with a negative base sequence (Kafka's LogValidator refuses it).
    #[error("producer {producer_id} sent base sequence {base_sequence}")]
    InvalidSequence {
        producer_id: i64,
        base_sequence: i32,
    },
}

/// One appended batch of a producer, as retained for duplicate detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchMetadata {
    pub first_sequence: i32,
    pub last_sequence: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    /// The batch's max timestamp (the append time for LogAppendTime batches).
    pub timestamp: i64,
}

impl BatchMetadata {
    /// The metadata of a batch whose offsets are assigned.
    pub fn of(header: &BatchHeader) -> Self {
        BatchMetadata {
            first_sequence: header.base_sequence,
            last_sequence: last_sequence(header.base_sequence, header.last_offset_delta),
            first_offset: header.base_offset,
            last_offset: header.last_offset(),
            timestamp: header.max_timestamp,
        }
    }
}

/// The sequence of a batch's last record: base + last offset delta, wrapping past
/// `i32::MAX` to 0 as producers do.
pub fn last_sequence(base_sequence: i32, last_offset_delta: i32) -> i32 {
    let last = i64::from(base_sequence) + i64::from(last_offset_delta);
    if last > i64::from(i32::MAX) {
        i32::try_from(last - i64::from(i32::MAX) - 1).unwrap_or(i32::MAX)
    } else {
        i32::try_from(last).unwrap_or(i32::MAX)
    }
}

fn in_sequence(last_sequence: i32, next_sequence: i32) -> bool {
    i64::from(next_sequence) == i64::from(last_sequence) + 1
        || (next_sequence == 0 && last_sequence == i32::MAX)
}

/// What a partition knows about one producer id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerEntry {
    pub epoch: i16,
    /// Oldest first, at most [`MAX_BATCHES_PER_PRODUCER`].
    pub batches: VecDeque<BatchMetadata>,
}

impl ProducerEntry {
    fn last_batch(&self) -> Option<&BatchMetadata> {
        self.batches.back()
    }

    fn last_timestamp(&self) -> i64 {
        self.last_batch().map_or(-1, |batch| batch.timestamp)
    }

    fn push(&mut self, epoch: i16, batch: BatchMetadata) {
        if epoch != self.epoch {
            self.epoch = epoch;
            self.batches.clear();
        }
        self.batches.push_back(batch);
        while self.batches.len() > MAX_BATCHES_PER_PRODUCER {
            self.batches.pop_front();
        }
    }
}

/// The verdict on one batch of an idempotent producer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchCheck {
    /// Append it.
    Accept,
    /// Already appended: answer with this batch's original offsets, write nothing.
    Duplicate(BatchMetadata),
}

/// The producer states of one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducerStates {
    producers: HashMap<i64, ProducerEntry>,
    expiration_ms: i64,
}

impl Default for ProducerStates {
    fn default() -> Self {
        ProducerStates::new(DEFAULT_PRODUCER_ID_EXPIRATION_MS)
    }
}

impl ProducerStates {
    pub fn new(expiration_ms: i64) -> Self {
        ProducerStates {
            producers: HashMap::new(),
            expiration_ms,
        }
    }

    /// Changes `producer.id.expiration.ms`.
    pub fn set_expiration_ms(&mut self, expiration_ms: i64) {
        self.expiration_ms = expiration_ms;
    }

    pub fn expiration_ms(&self) -> i64 {
        self.expiration_ms
    }

    pub fn len(&self) -> usize {
        self.producers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.producers.is_empty()
    }

    /// Every producer id with its entry.
    pub fn iter(&self) -> impl Iterator<Item = (i64, &ProducerEntry)> {
        self.producers.iter().map(|(id, entry)| (*id, entry))
    }

    pub fn entry(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    fn live_entry(&self, producer_id: i64, now_ms: i64) -> Option<&ProducerEntry> {
        self.producers
            .get(&producer_id)
            .filter(|entry| !self.is_expired(entry, now_ms))
    }

    fn is_expired(&self, entry: &ProducerEntry, now_ms: i64) -> bool {
        now_ms.saturating_sub(entry.last_timestamp()) >= self.expiration_ms
    }

    /// Judges `header` (a batch with a producer id, offsets not yet assigned) against the
    /// state plus `pending`, the batches of the same append already accepted (in order).
    pub fn check(
        &self,
        header: &BatchHeader,
        pending: &[BatchHeader],
        now_ms: i64,
    ) -> Result<BatchCheck, ProducerStateError> {
        let producer_id = header.producer_id;
        let epoch = header.producer_epoch;
        if header.base_sequence < 0 {
            return Err(ProducerStateError::InvalidSequence {
                producer_id,
                base_sequence: header.base_sequence,
            });
        }
        let mut entry = self.live_entry(producer_id, now_ms).cloned();
        for earlier in pending
            .iter()
            .filter(|earlier| earlier.producer_id == producer_id)
        {
            let batch = BatchMetadata::of(earlier);
            match entry.as_mut() {
                Some(entry) => entry.push(earlier.producer_epoch, batch),
                None => {
                    entry = Some(ProducerEntry {
                        epoch: earlier.producer_epoch,
                        batches: VecDeque::from([batch]),
                    })
                }
            }
        }
        let Some(entry) = entry else {
            return Ok(BatchCheck::Accept);
        };
        let first_sequence = header.base_sequence;
        let last = last_sequence(first_sequence, header.last_offset_delta);
        if epoch == entry.epoch {
            let duplicate = entry.batches.iter().find(|batch| {
                batch.first_sequence == first_sequence && batch.last_sequence == last
            });
            if let Some(duplicate) = duplicate {
                return Ok(BatchCheck::Duplicate(*duplicate));
            }
        }
        if epoch < entry.epoch {
            return Err(ProducerStateError::InvalidProducerEpoch {
                producer_id,
                epoch,
                current_epoch: entry.epoch,
            });
        }
        if epoch > entry.epoch {
            if first_sequence != 0 {
                return Err(ProducerStateError::NewEpochNotAtZero {
                    producer_id,
                    epoch,
                    first_sequence,
                });
            }
            return Ok(BatchCheck::Accept);
        }
        let last_sequence = entry.last_batch().map_or(-1, |batch| batch.last_sequence);
        if !in_sequence(last_sequence, first_sequence) {
            return Err(ProducerStateError::OutOfOrderSequence {
                producer_id,
                epoch,
                first_sequence,
                last_sequence,
            });
        }
        Ok(BatchCheck::Accept)
    }

    /// Records an appended batch (offsets assigned). Batches without a producer id are
    /// ignored. Also the replay step when rebuilding from the log.
    pub fn update(&mut self, header: &BatchHeader) {
        if header.producer_id < 0 {
            return;
        }
        let batch = BatchMetadata::of(header);
        match self.producers.get_mut(&header.producer_id) {
            Some(entry) => {
                // Replay keeps whatever the log holds, even an epoch going backwards (a
                // batch the check refused never reaches the log).
                if header.producer_epoch < entry.epoch {
                    entry.batches.clear();
                    entry.epoch = header.producer_epoch;
                }
                entry.push(header.producer_epoch, batch);
            }
            None => {
                self.producers.insert(
                    header.producer_id,
                    ProducerEntry {
                        epoch: header.producer_epoch,
                        batches: VecDeque::from([batch]),
                    },
                );
            }
        }
    }

    /// Forgets producers idle for `producer.id.expiration.ms`.
    pub fn remove_expired(&mut self, now_ms: i64) {
        let expiration_ms = self.expiration_ms;
        self.producers
            .retain(|_, entry| now_ms.saturating_sub(entry.last_timestamp()) < expiration_ms);
    }

    /// Forgets producers whose last batch ends below `log_start_offset` (retention or
    /// DeleteRecords removed it), and retained batches below it.
    pub fn truncate_head(&mut self, log_start_offset: i64) {
        self.producers.retain(|_, entry| {
            entry
                .batches
                .retain(|batch| batch.last_offset >= log_start_offset);
            !entry.batches.is_empty()
        });
    }

    /// The snapshot bytes (see the module doc); producers in id order so equal states give
    /// equal files.
    pub fn encode_snapshot(&self) -> Vec<u8> {
        let mut ids: Vec<i64> = self.producers.keys().copied().collect();
        ids.sort_unstable();
        let mut body = Vec::with_capacity(4 + ids.len() * (14 + BATCH_ENTRY));
        body.extend_from_slice(&i32::try_from(ids.len()).unwrap_or(i32::MAX).to_be_bytes());
        for id in ids {
            let Some(entry) = self.producers.get(&id) else {
                continue;
            };
            body.extend_from_slice(&id.to_be_bytes());
            body.extend_from_slice(&entry.epoch.to_be_bytes());
            let count = i32::try_from(entry.batches.len()).unwrap_or(0);
            body.extend_from_slice(&count.to_be_bytes());
            for batch in &entry.batches {
                body.extend_from_slice(&batch.first_sequence.to_be_bytes());
                body.extend_from_slice(&batch.last_sequence.to_be_bytes());
                body.extend_from_slice(&batch.first_offset.to_be_bytes());
                body.extend_from_slice(&batch.last_offset.to_be_bytes());
                body.extend_from_slice(&batch.timestamp.to_be_bytes());
            }
        }
        let mut out = Vec::with_capacity(6 + body.len());
        out.extend_from_slice(&SNAPSHOT_VERSION.to_be_bytes());
        out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
        out.extend_from_slice(&body);
        out
    }

    /// Decodes a snapshot; `Err` names what is wrong (the caller rebuilds from the log).
    pub fn decode_snapshot(bytes: &[u8], expiration_ms: i64) -> Result<Self, &'static str> {
        let mut reader = Reader { bytes, position: 0 };
        let version = reader.i16().ok_or("truncated header")?;
        if version != SNAPSHOT_VERSION {
            return Err("unknown version");
        }
        let stored_crc = reader.u32().ok_or("truncated header")?;
        let body = bytes.get(6..).ok_or("truncated header")?;
        if crc32c::crc32c(body) != stored_crc {
            return Err("CRC mismatch");
        }
        let count = reader.i32().ok_or("truncated header")?;
        let count = usize::try_from(count).map_err(|_| "negative producer count")?;
        let left = bytes.len().saturating_sub(SNAPSHOT_HEADER);
        if count > left / (14 + BATCH_ENTRY) {
            return Err("producer count exceeds the file");
        }
        let mut producers = HashMap::with_capacity(count);
        for _ in 0..count {
            let producer_id = reader.i64().ok_or("truncated producer")?;
            let epoch = reader.i16().ok_or("truncated producer")?;
            let batches = reader.i32().ok_or("truncated producer")?;
            let batches = usize::try_from(batches)
                .ok()
                .filter(|batches| (1..=MAX_BATCHES_PER_PRODUCER).contains(batches))
                .ok_or("bad batch count")?;
            let mut entry = ProducerEntry {
                epoch,
                batches: VecDeque::with_capacity(batches),
            };
            for _ in 0..batches {
                entry.batches.push_back(BatchMetadata {
                    first_sequence: reader.i32().ok_or("truncated batch")?,
                    last_sequence: reader.i32().ok_or("truncated batch")?,
                    first_offset: reader.i64().ok_or("truncated batch")?,
                    last_offset: reader.i64().ok_or("truncated batch")?,
                    timestamp: reader.i64().ok_or("truncated batch")?,
                });
            }
            if producers.insert(producer_id, entry).is_some() {
                return Err("producer id listed twice");
            }
        }
        if reader.position != bytes.len() {
            return Err("trailing bytes");
        }
        Ok(ProducerStates {
            producers,
            expiration_ms,
        })
    }
}

/// Big-endian reads that return `None` past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let end = self.position.checked_add(N)?;
        let array = self.bytes.get(self.position..end)?.try_into().ok()?;
        self.position = end;
        Some(array)
    }

    fn i16(&mut self) -> Option<i16> {
        self.take().map(i16::from_be_bytes)
    }

    fn i32(&mut self) -> Option<i32> {
        self.take().map(i32::from_be_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.take().map(u32::from_be_bytes)
    }

    fn i64(&mut self) -> Option<i64> {
        self.take().map(i64::from_be_bytes)
    }
}

/// Path of the snapshot taken at `offset` in `dir`.
pub fn snapshot_path(dir: &Path, offset: i64) -> PathBuf {
    dir.join(format!("{offset:020}{SNAPSHOT_SUFFIX}"))
}

/// Offsets of the snapshot files in `dir`, ascending.
pub fn list_snapshots(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut offsets = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(LogError::io("list directory", dir))?;
    for entry in entries {
        let entry = entry.map_err(LogError::io("list directory", dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(SNAPSHOT_SUFFIX) else {
            continue;
        };
        if let Some(offset) = stem.parse::<i64>().ok().filter(|_| stem.len() == 20) {
            offsets.push(offset);
        }
    }
    offsets.sort_unstable();
    Ok(offsets)
}

/// Writes `states` as the snapshot at `offset` (tmp file, fsync, rename, dir fsync).
pub fn write_snapshot(dir: &Path, offset: i64, states: &ProducerStates) -> Result<(), LogError> {
    let path = snapshot_path(dir, offset);
    let tmp = path.with_extension("snapshot.tmp");
    let bytes = states.encode_snapshot();
    let mut file = std::fs::File::create(&tmp).map_err(LogError::io("create", &tmp))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(LogError::io("write", &tmp))?;
    drop(file);
    std::fs::rename(&tmp, &path).map_err(LogError::io("rename", &tmp))?;
    sync_dir(dir)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::record::{BatchBuilder, RecordBatch};

    const NOW: i64 = 1_700_000_000_000;

    fn header(producer_id: i64, epoch: i16, base_sequence: i32, records: usize) -> BatchHeader {
        let mut builder = BatchBuilder::new(NOW).producer(producer_id, epoch, base_sequence);
        for index in 0..records {
            builder.record(NOW + index as i64, None, Some(b"v"), &[]);
        }
        *RecordBatch::parse(builder.build().as_slice())
            .unwrap()
            .header()
    }

    fn appended(mut header: BatchHeader, base_offset: i64) -> BatchHeader {
        header.base_offset = base_offset;
        header
    }

    #[test]
    fn retries_of_the_last_five_batches_are_duplicates_with_their_original_offsets() {
        let mut states = ProducerStates::default();
        let mut offset = 100;
        for step in 0..6 {
            let batch = header(7, 0, step * 3, 3);
            assert_eq!(states.check(&batch, &[], NOW).unwrap(), BatchCheck::Accept);
            states.update(&appended(batch, offset));
            offset += 3;
        }
        // Batches 1..=5 are retained; batch 0 (sequences 0..=2) fell out of the window.
        let retry = header(7, 0, 6, 3);
        match states.check(&retry, &[], NOW).unwrap() {
            BatchCheck::Duplicate(original) => {
                assert_eq!((original.first_offset, original.last_offset), (106, 108));
            }
            other => panic!("expected a duplicate, got {other:?}"),
        }
        assert!(matches!(
            states.check(&header(7, 0, 0, 3), &[], NOW),
            Err(ProducerStateError::OutOfOrderSequence { .. })
        ));
        // A batch overlapping but not equal to a retained one is out of order too.
        assert!(matches!(
            states.check(&header(7, 0, 7, 2), &[], NOW),
            Err(ProducerStateError::OutOfOrderSequence {
                last_sequence: 17,
                ..
            })
        ));
        assert_eq!(
            states.check(&header(7, 0, 18, 1), &[], NOW).unwrap(),
            BatchCheck::Accept
        );
    }

    #[test]
    fn sequence_gaps_are_out_of_order_and_unknown_producers_start_anywhere() {
        let mut states = ProducerStates::default();
        let first = header(1, 2, 40, 2);
        assert_eq!(states.check(&first, &[], NOW).unwrap(), BatchCheck::Accept);
        states.update(&appended(first, 0));
        assert_eq!(
            states.check(&header(1, 2, 43, 1), &[], NOW),
            Err(ProducerStateError::OutOfOrderSequence {
                producer_id: 1,
                epoch: 2,
                first_sequence: 43,
                last_sequence: 41,
            })
        );
        assert_eq!(
            states.check(&header(1, 2, 42, 1), &[], NOW).unwrap(),
            BatchCheck::Accept
        );
        // Earlier batches of the same append count.
        let pending = [appended(header(1, 2, 42, 1), 2)];
        assert_eq!(
            states.check(&header(1, 2, 43, 1), &pending, NOW).unwrap(),
            BatchCheck::Accept
        );
        assert!(states.check(&header(1, 2, 42, 1), &pending, NOW).is_ok_and(
            |check| matches!(check, BatchCheck::Duplicate(batch) if batch.first_offset == 2)
        ));
        assert_eq!(
            states.check(&header(9, 0, -1, 1), &[], NOW),
            Err(ProducerStateError::InvalidSequence {
                producer_id: 9,
                base_sequence: -1
            })
        );
    }

    #[test]
    fn epochs_fence_older_producers_and_new_epochs_start_at_zero() {
        let mut states = ProducerStates::default();
        states.update(&appended(header(5, 3, 0, 1), 0));
        assert_eq!(
            states.check(&header(5, 2, 1, 1), &[], NOW),
            Err(ProducerStateError::InvalidProducerEpoch {
                producer_id: 5,
                epoch: 2,
                current_epoch: 3
            })
        );
        assert_eq!(
            states.check(&header(5, 4, 1, 1), &[], NOW),
            Err(ProducerStateError::NewEpochNotAtZero {
                producer_id: 5,
                epoch: 4,
                first_sequence: 1
            })
        );
        assert_eq!(
            states.check(&header(5, 4, 0, 1), &[], NOW).unwrap(),
            BatchCheck::Accept
        );
        states.update(&appended(header(5, 4, 0, 1), 1));
        assert_eq!(states.entry(5).unwrap().epoch, 4);
        assert_eq!(states.entry(5).unwrap().batches.len(), 1);
    }

    #[test]
    fn sequences_wrap_from_i32_max_to_zero() {
        assert_eq!(last_sequence(i32::MAX - 1, 3), 1);
        assert_eq!(last_sequence(i32::MAX, 0), i32::MAX);
        let mut states = ProducerStates::default();
        states.update(&appended(header(3, 0, i32::MAX - 1, 2), 0));
        assert_eq!(states.entry(3).unwrap().batches[0].last_sequence, i32::MAX);
        assert_eq!(
            states.check(&header(3, 0, 0, 1), &[], NOW).unwrap(),
            BatchCheck::Accept
        );
        let wrapping = header(3, 0, 0, 1);
        states.update(&appended(wrapping, 2));
        states.update(&appended(header(3, 0, 1, 3), 3));
        assert_eq!(
            states.check(&header(3, 0, 4, 1), &[], NOW).unwrap(),
            BatchCheck::Accept
        );
    }

    #[test]
    fn idle_producers_expire_and_retention_trims_the_head() {
        let mut states = ProducerStates::new(1_000);
        states.update(&appended(header(1, 0, 0, 1), 0));
        states.update(&appended(header(2, 0, 0, 1), 10));
        states.update(&appended(header(2, 0, 1, 1), 11));
        // Producer 1 expired: any sequence is accepted, as for an unknown producer.
        assert_eq!(
            states
                .check(&header(1, 0, 50, 1), &[], NOW + 1_000)
                .unwrap(),
            BatchCheck::Accept
        );
        states.remove_expired(NOW + 999);
        assert_eq!(states.len(), 2);
        states.truncate_head(11);
        assert!(states.entry(1).is_none());
        assert_eq!(states.entry(2).unwrap().batches.len(), 1);
        states.remove_expired(NOW + 1_000);
        assert!(states.is_empty());
    }

    #[test]
    fn snapshots_round_trip_and_refuse_damage() {
        let mut states = ProducerStates::default();
        for step in 0..7 {
            states.update(&appended(header(11, 1, step, 1), i64::from(step)));
        }
        states.update(&appended(header(12, 0, 0, 4), 7));
        let bytes = states.encode_snapshot();
        let decoded =
            ProducerStates::decode_snapshot(&bytes, DEFAULT_PRODUCER_ID_EXPIRATION_MS).unwrap();
        assert_eq!(decoded, states);
        assert_eq!(
            decoded.entry(11).unwrap().batches.len(),
            MAX_BATCHES_PER_PRODUCER
        );

        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(
            ProducerStates::decode_snapshot(&flipped, 1),
            Err("CRC mismatch")
        );
        for cut in [0, 3, 9, bytes.len() - 1] {
            assert!(ProducerStates::decode_snapshot(&bytes[..cut], 1).is_err());
        }
        // A hostile count cannot size an allocation.
        let mut hostile = vec![0, 1];
        let body = i32::MAX.to_be_bytes();
        hostile.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
        hostile.extend_from_slice(&body);
        assert_eq!(
            ProducerStates::decode_snapshot(&hostile, 1),
            Err("producer count exceeds the file")
        );

        let dir = tempfile::tempdir().unwrap();
        write_snapshot(dir.path(), 42, &states).unwrap();
        write_snapshot(dir.path(), 7, &ProducerStates::default()).unwrap();
        assert_eq!(list_snapshots(dir.path()).unwrap(), vec![7, 42]);
        let read = std::fs::read(snapshot_path(dir.path(), 42)).unwrap();
        assert_eq!(read, bytes);
    }
}
