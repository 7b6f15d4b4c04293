//! Fetch: whole batches from each partition's fetch offset, as they are stored.
//!
//! Sizes: each partition gets at most `partition_max_bytes`, the response at most
//! `max_bytes`, except that the first batch found is returned whole even when larger (so a
//! consumer can always make progress). A partition's read continues across segment
//! boundaries while whole batches fit. Long poll: when fewer than `min_bytes` are available
//! and no partition has an error, the request waits until an append happens (then reads
//! again) or `max_wait_ms` passes.
//!
//! Replication: a consumer (`replica_id` -1) reads only below the high watermark, and an
//! offset between the HW and the log end answers empty. A follower (`replica_id` = its
//! broker id) reads up to the log end; its fetch offset is its log end, which the replica
//! manager records (moving the HW, maybe adding it to the ISR) before the read; its
//! `current_leader_epoch` must be the leader's (older: FENCED_LEADER_EPOCH, newer:
//! UNKNOWN_LEADER_EPOCH), and only a replica of the partition may fetch it
//! (NOT_LEADER_OR_FOLLOWER). Errors per partition: UNKNOWN_TOPIC_OR_PARTITION, OFFSET_OUT_OF_RANGE
//! (with the log start and end offsets), KAFKA_STORAGE_ERROR for an offline log, and — when
//! the request names a `current_leader_epoch` (v9+) other than the partition's —
//! FENCED_LEADER_EPOCH (older) or UNKNOWN_LEADER_EPOCH (newer) with `current_leader` filled
//! in, as Kafka does. `last_stable_offset` is the high watermark and read_committed reads
//! like read_uncommitted: there are no transactions (read_committed gets an empty aborted
//! transactions list, read_uncommitted a null one, as from Kafka).
//!
//! Records: a read takes file ranges under the log dir lock (only batch headers are read
//! there); an answer carrying at least [`COPY_BELOW`] bytes of records is sent with the
//! records going from the page cache to the socket ([`crate::network::spliced`]), a smaller
//! one reads them into memory under the lock and leaves as one buffer.
//!
//! Fetch sessions (v7+) are not cached, which is what Kafka does with
//! `max.incremental.fetch.session.cache.slots=0`: a full fetch (session epoch 0 or -1,
//! whatever the session id) is served in full with session id 0 in the response, so the
//! client keeps sending full fetches; an incremental fetch (epoch > 0) names a session this
//! broker does not have and gets FETCH_SESSION_ID_NOT_FOUND, after which clients fall back
//! to a full fetch.

use std::time::Duration;

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{ApiKey, FetchRequest, FetchResponse};
use kafka_protocol::ResponseError;
use tokio::time::Instant;

use kafka_protocol::messages::fetch_response::LeaderIdAndEpoch;
use kafka_protocol::messages::BrokerId;

use super::error_code::storage_error_code;
use super::storage::partition_log_mut;
use super::{encode_response, encode_spliced_response, Context, StorageError};
use crate::log::{FileSlice, LogError, TopicPartition};
use crate::network::spliced::{self, Frame};
use crate::network::NetworkError;
use crate::replication::FollowerFetchError;

/// Session epoch of a full fetch that opens a session (`INITIAL_EPOCH`).
const INITIAL_SESSION_EPOCH: i32 = 0;
/// Session epoch of a full fetch outside any session (`FINAL_EPOCH`).
const FINAL_SESSION_EPOCH: i32 = -1;
/// `current_leader_epoch` when the client does not check it.
const NO_LEADER_EPOCH: i32 = -1;
/// `isolation_level` READ_COMMITTED.
const READ_COMMITTED: i8 = 1;

/// Kafka's leader-epoch check of a client's `current_leader_epoch` against the partition's.
pub(crate) fn leader_epoch_error(requested: i32, current: i32) -> Option<ResponseError> {
    if requested == NO_LEADER_EPOCH || requested == current {
        None
    } else if requested < current {
        Some(ResponseError::FencedLeaderEpoch)
    } else {
        Some(ResponseError::UnknownLeaderEpoch)
    }
}

/// One partition to read.
#[derive(Debug, Clone)]
struct PartitionFetch {
    topic: String,
    partition: i32,
    offset: i64,
    max_bytes: usize,
    current_leader_epoch: i32,
}

/// What one read found.
#[derive(Debug)]
struct PartitionRead {
    error: Option<ResponseError>,
    records: Records,
    log_start_offset: i64,
    high_watermark: i64,
}

/// A partition's records: read into memory, or still in the log files.
#[derive(Debug)]
enum Records {
    Memory(Vec<u8>),
    Files(Vec<FileSlice>),
}

impl Records {
    fn len(&self) -> usize {
        match self {
            Records::Memory(bytes) => bytes.len(),
            Records::Files(slices) => spliced::slices_len(slices),
        }
    }
}

/// Answers with fewer bytes of records than this are read into memory: a copy this small
/// costs less than the `sendfile` calls, and small answers to pipelined requests can then
/// leave in one write.
pub const COPY_BELOW: usize = 16 * 1024;

/// A fetch answer before encoding: the response, with placeholders for the records in
/// `files` (in encoding order).
#[derive(Debug)]
pub struct FetchAnswer {
    response: FetchResponse,
    files: Vec<Vec<FileSlice>>,
}

/// Encodes `answer` as a frame: records in files are spliced in as the frame is written,
/// or, should the encoder not pass the placeholders through, read into memory.
pub fn encode(
    mut answer: FetchAnswer,
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
) -> Result<Frame, NetworkError> {
    if answer.files.is_empty() {
        return encode_response(api_key, version, correlation_id, &answer.response)
            .map(Frame::Whole);
    }
    let files = answer.files.clone();
    if let Some(frame) =
        encode_spliced_response(api_key, version, correlation_id, &answer.response, files)?
    {
        return Ok(frame);
    }
    tracing::warn!("fetch records could not be spliced into the response; sending a copy");
    let mut files = answer.files.into_iter();
    for data in answer
        .response
        .responses
        .iter_mut()
        .flat_map(|topic| topic.partitions.iter_mut())
    {
        if !data.records.as_deref().is_some_and(spliced::is_placeholder) {
            continue;
        }
        let Some(slices) = files.next() else { break };
        match read_slices(&slices) {
            Ok(bytes) => data.records = Some(Bytes::from(bytes)),
            Err(error) => {
                tracing::warn!(%error, "reading fetched records failed");
                data.records = Some(Bytes::new());
                data.error_code = ResponseError::KafkaStorageError.code();
            }
        }
    }
    encode_response(api_key, version, correlation_id, &answer.response).map(Frame::Whole)
}

/// The bytes of `slices`, in order.
fn read_slices(slices: &[FileSlice]) -> Result<Vec<u8>, LogError> {
    let mut bytes = Vec::with_capacity(spliced::slices_len(slices));
    for slice in slices {
        slice.read_into(&mut bytes)?;
    }
    Ok(bytes)
}

/// The first Fetch version whose response carries `log_start_offset`.
const LOG_START_OFFSET_VERSION: i16 = 5;
/// The first Fetch version whose response carries `current_leader`.
const CURRENT_LEADER_VERSION: i16 = 12;

pub async fn handle(context: &Context, request: FetchRequest, version: i16) -> FetchAnswer {
    let mut response = FetchResponse::default();
    response.session_id = 0;
    let mut files = Vec::new();
    if !matches!(
        request.session_epoch,
        INITIAL_SESSION_EPOCH | FINAL_SESSION_EPOCH
    ) {
        response.error_code = ResponseError::FetchSessionIdNotFound.code();
        return FetchAnswer { response, files };
    }
    let leader_id = context.options.broker_id;
    let read_committed = request.isolation_level == READ_COMMITTED;
    let replica_id = request.replica_id.0;
    let mut wanted = Vec::new();
    for topic in &request.topics {
        for partition in &topic.partitions {
            wanted.push(PartitionFetch {
                topic: topic.topic.0.as_str().to_owned(),
                partition: partition.partition,
                offset: partition.fetch_offset,
                max_bytes: usize::try_from(partition.partition_max_bytes).unwrap_or(0),
                current_leader_epoch: partition.current_leader_epoch,
            });
        }
    }
    let response_max = usize::try_from(request.max_bytes).unwrap_or(0);
    let min_bytes = usize::try_from(request.min_bytes).unwrap_or(0);
    let wait = Duration::from_millis(u64::try_from(request.max_wait_ms).unwrap_or(0));
    let deadline = Instant::now() + wait;
    let mut appends = context.storage.subscribe_appends();
    let reads = loop {
        appends.borrow_and_update();
        let reads = read_all(context, wanted.clone(), response_max, replica_id).await;
        let total: usize = reads.iter().map(|read| read.records.len()).sum();
        let any_error = reads.iter().any(|read| read.error.is_some());
        if total >= min_bytes.max(1) || any_error || Instant::now() >= deadline {
            break reads;
        }
        tokio::select! {
            changed = appends.changed() => {
                if changed.is_err() {
                    break reads;
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                // One last read: data may have come with the deadline.
                break read_all(context, wanted.clone(), response_max, replica_id).await;
            }
        }
    };
    let mut reads = reads.into_iter();
    for topic in request.topics {
        let mut topic_response = FetchableTopicResponse::default();
        topic_response.topic = topic.topic.clone();
        for partition in topic.partitions {
            let Some(read) = reads.next() else { break };
            let leader_epoch = context.leader_epoch(topic.topic.as_str(), partition.partition);
            let mut data = partition_data(
                partition.partition,
                read,
                leader_id,
                leader_epoch,
                version,
                &mut files,
            );
            if !read_committed {
                data.aborted_transactions = None;
            }
            topic_response.partitions.push(data);
        }
        response.responses.push(topic_response);
    }
    FetchAnswer { response, files }
}

/// The partition's part of the response; records still in files get a placeholder and
/// their ranges are added to `files`.
fn partition_data(
    partition: i32,
    read: PartitionRead,
    leader_id: i32,
    leader_epoch: i32,
    version: i16,
    files: &mut Vec<Vec<FileSlice>>,
) -> PartitionData {
    let mut data = PartitionData::default();
    data.partition_index = partition;
    data.high_watermark = read.high_watermark;
    data.last_stable_offset = read.high_watermark;
    // A field a version lacks must keep its default, or encoding fails.
    if version >= LOG_START_OFFSET_VERSION {
        data.log_start_offset = read.log_start_offset;
    }
    data.records = Some(match read.records {
        Records::Memory(bytes) => Bytes::from(bytes),
        Records::Files(slices) => match spliced::placeholder(spliced::slices_len(&slices)) {
            Some(stand_in) => {
                files.push(slices);
                stand_in
            }
            // Nothing to send, or more than a placeholder covers: read now.
            None => match read_slices(&slices) {
                Ok(bytes) => Bytes::from(bytes),
                Err(error) => {
                    tracing::warn!(%error, "reading fetched records failed");
                    data.error_code = ResponseError::KafkaStorageError.code();
                    Bytes::new()
                }
            },
        },
    });
    if let Some(error) = read.error {
        data.error_code = error.code();
        if version >= CURRENT_LEADER_VERSION
            && matches!(
                error,
                ResponseError::FencedLeaderEpoch | ResponseError::UnknownLeaderEpoch
            )
        {
            let mut leader = LeaderIdAndEpoch::default();
            leader.leader_id = BrokerId(leader_id);
            leader.leader_epoch = leader_epoch;
            data.current_leader = leader;
        }
    }
    data
}

/// Reads every partition in request order under one lock, sharing `response_max`;
/// `replica_id` ≥ 0 is a follower's fetch.
async fn read_all(
    context: &Context,
    wanted: Vec<PartitionFetch>,
    response_max: usize,
    replica_id: i32,
) -> Vec<PartitionRead> {
    let count = wanted.len();
    // Partitions this broker does not host are answered from the image.
    let refused: Vec<Option<ResponseError>> = wanted
        .iter()
        .map(|fetch| {
            let partition = TopicPartition::new(fetch.topic.as_str(), fetch.partition);
            if context.replicas.hosts(&partition) {
                None
            } else {
                Some(
                    context
                        .partition_error(&fetch.topic, fetch.partition)
                        .unwrap_or(ResponseError::NotLeaderOrFollower),
                )
            }
        })
        .collect();
    let replicas = context.replicas.clone();
    // Under the lock only batch headers are read, and records only when fewer than
    // COPY_BELOW bytes are found.
    let most = wanted
        .iter()
        .fold(0usize, |sum, fetch| sum.saturating_add(fetch.max_bytes))
        .min(response_max)
        .min(COPY_BELOW);
    let outcome = context
        .storage
        .run_read(most, move |dir| {
            let mut reads = Vec::with_capacity(wanted.len());
            let mut remaining = response_max;
            let mut total = 0usize;
            for (fetch, refused) in wanted.into_iter().zip(refused) {
                if let Some(code) = refused {
                    reads.push(refusal(code, -1, -1));
                    continue;
                }
                let partition = TopicPartition::new(fetch.topic.as_str(), fetch.partition);
                let read = match partition_log_mut(dir, &fetch.topic, fetch.partition) {
                    Err(error) => failed(&error, -1, -1),
                    Ok(log) => {
                        let start = log.log_start_offset();
                        // The follower's offset is its log end: recorded before the read.
                        let bound = if replica_id >= 0 {
                            replicas
                                .follower_fetch(
                                    &partition,
                                    replica_id,
                                    fetch.offset,
                                    fetch.current_leader_epoch,
                                )
                                .map(|high_watermark| (high_watermark, log.log_end_offset()))
                                .map_err(follower_error)
                        } else {
                            replicas.consumer_bound(&partition).and_then(
                                |(high_watermark, epoch)| match leader_epoch_error(
                                    fetch.current_leader_epoch,
                                    epoch,
                                ) {
                                    Some(error) => Err(error),
                                    None => Ok((high_watermark, high_watermark)),
                                },
                            )
                        };
                        match bound {
                            Err(code) => refusal(code, start, -1),
                            Ok((high_watermark, readable_end)) => {
                                let limit = fetch.max_bytes.min(remaining);
                                if limit == 0 && total > 0 {
                                    // No room left in the response for this partition.
                                    PartitionRead {
                                        error: None,
                                        records: Records::Memory(Vec::new()),
                                        log_start_offset: start,
                                        high_watermark,
                                    }
                                } else {
                                    match log.slices_up_to(fetch.offset, limit, readable_end) {
                                        Ok(result) => PartitionRead {
                                            error: None,
                                            records: Records::Files(result.slices),
                                            log_start_offset: result.log_start_offset,
                                            high_watermark,
                                        },
                                        Err(error) => {
                                            failed(&StorageError::Log(error), start, high_watermark)
                                        }
                                    }
                                }
                            }
                        }
                    }
                };
                total = total.saturating_add(read.records.len());
                remaining = remaining.saturating_sub(read.records.len());
                reads.push(read);
            }
            if total < COPY_BELOW {
                for read in &mut reads {
                    if let Records::Files(slices) = &read.records {
                        read.records = Records::Memory(read_slices(slices)?);
                    }
                }
            }
            Ok(reads)
        })
        .await;
    match outcome {
        Ok(reads) => reads,
        Err(error) => (0..count).map(|_| failed(&error, -1, -1)).collect(),
    }
}

fn follower_error(error: FollowerFetchError) -> ResponseError {
    match error {
        FollowerFetchError::NotLeader | FollowerFetchError::NotReplica => {
            ResponseError::NotLeaderOrFollower
        }
        FollowerFetchError::FencedLeaderEpoch => ResponseError::FencedLeaderEpoch,
        FollowerFetchError::UnknownLeaderEpoch => ResponseError::UnknownLeaderEpoch,
    }
}

fn refusal(code: ResponseError, log_start_offset: i64, high_watermark: i64) -> PartitionRead {
    PartitionRead {
        error: Some(code),
        records: Records::Memory(Vec::new()),
        log_start_offset,
        high_watermark,
    }
}

fn failed(error: &StorageError, log_start_offset: i64, high_watermark: i64) -> PartitionRead {
    if !matches!(
        error,
        StorageError::UnknownTopicOrPartition { .. }
            | StorageError::Log(LogError::OffsetOutOfRange { .. })
    ) {
        tracing::warn!(%error, "fetch read failed");
    }
    PartitionRead {
        error: Some(storage_error_code(error)),
        records: Records::Memory(Vec::new()),
        log_start_offset,
        high_watermark,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::network::spliced::Part;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::protocol::{Message, StrBytes};
    use std::io::Write;
    use std::sync::Arc;

    /// The frame's bytes as a client receives them.
    fn render(frame: Frame) -> Vec<u8> {
        match frame {
            Frame::Whole(bytes) => bytes.to_vec(),
            Frame::Spliced(parts) => {
                let mut out = Vec::new();
                for part in parts {
                    match part {
                        Part::Bytes(bytes) => out.extend_from_slice(&bytes),
                        Part::File(slice) => slice.read_into(&mut out).unwrap(),
                    }
                }
                out
            }
        }
    }

    /// A response of two topics: partitions with records in `file` (two ranges for one of
    /// them), one empty, one with an error.
    fn answer(file: &Arc<std::fs::File>, version: i16, spliced: bool) -> FetchAnswer {
        let slice = |position: u64, len: u64| FileSlice {
            file: Arc::clone(file),
            path: "test.log".into(),
            position,
            len,
        };
        let reads = [
            (
                Records::Files(vec![slice(0, 3000), slice(5000, 1000)]),
                None,
            ),
            (Records::Memory(Vec::new()), None),
            (Records::Files(vec![slice(100, 20000)]), None),
            (
                Records::Memory(Vec::new()),
                Some(ResponseError::FencedLeaderEpoch),
            ),
        ];
        let mut response = FetchResponse::default();
        let mut files = Vec::new();
        for (index, chunk) in reads.chunks(2).enumerate() {
            let mut topic = FetchableTopicResponse::default();
            if version < 13 {
                topic.topic = TopicName(StrBytes::from_string(format!("topic-{index}")));
            } else {
                topic.topic_id = uuid::Uuid::from_u128(index as u128 + 1);
            }
            for (partition, (records, error)) in chunk.iter().enumerate() {
                let records = match records {
                    Records::Files(slices) if !spliced => {
                        Records::Memory(read_slices(slices).unwrap())
                    }
                    Records::Files(slices) => Records::Files(slices.clone()),
                    Records::Memory(bytes) => Records::Memory(bytes.clone()),
                };
                let read = PartitionRead {
                    error: *error,
                    records,
                    log_start_offset: 7,
                    high_watermark: 42,
                };
                topic.partitions.push(partition_data(
                    partition as i32,
                    read,
                    1,
                    3,
                    version,
                    &mut files,
                ));
            }
            response.responses.push(topic);
        }
        FetchAnswer { response, files }
    }

    #[test]
    fn spliced_frames_carry_the_same_bytes_as_copied_ones_at_every_version() {
        let mut file = tempfile::tempfile().unwrap();
        let content: Vec<u8> = (0..30_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&content).unwrap();
        let file = Arc::new(file);
        for version in FetchResponse::VERSIONS.min..=FetchResponse::VERSIONS.max {
            let copied = encode(answer(&file, version, false), ApiKey::Fetch, version, 9).unwrap();
            assert!(matches!(copied, Frame::Whole(_)), "v{version}");
            let spliced_answer = answer(&file, version, true);
            assert_eq!(spliced_answer.files.len(), 2);
            let spliced = encode(spliced_answer, ApiKey::Fetch, version, 9).unwrap();
            assert!(matches!(spliced, Frame::Spliced(_)), "v{version}");
            assert_eq!(spliced.len(), copied.len(), "v{version}");
            assert_eq!(render(spliced), render(copied), "v{version}");
        }
    }

    #[tokio::test]
    async fn spliced_frames_reach_the_peer_whole_and_a_truncated_file_closes_the_connection() {
        use crate::network::spliced::write_frames;
        use tokio::io::AsyncReadExt;
        let mut file = tempfile::tempfile().unwrap();
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        file.write_all(&content).unwrap();
        let file = Arc::new(file);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let client = tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let mut received = Vec::new();
            stream.read_to_end(&mut received).await.unwrap();
            received
        });
        let (server, _) = listener.accept().await.unwrap();
        let (_, mut writer) = server.into_split();
        let slice = |position: u64, len: u64| FileSlice {
            file: Arc::clone(&file),
            path: "test.log".into(),
            position,
            len,
        };
        let frames = vec![
            Frame::Whole(Bytes::from_static(b"head")),
            Frame::Spliced(vec![
                Part::Bytes(Bytes::from_static(b"-a-")),
                Part::File(slice(10, 2_500_000)),
                Part::Bytes(Bytes::from_static(b"-b-")),
                Part::File(slice(0, 5)),
            ]),
            Frame::Whole(Bytes::from_static(b"tail")),
        ];
        write_frames(&mut writer, frames).await.unwrap();
        // A range past the end of the file: the frame cannot be completed.
        let short = vec![Frame::Spliced(vec![Part::File(slice(2_999_990, 100))])];
        assert!(write_frames(&mut writer, short).await.is_err());
        drop(writer);
        let received = client.await.unwrap();
        let mut expected = b"head-a-".to_vec();
        expected.extend_from_slice(&content[10..2_500_010]);
        expected.extend_from_slice(b"-b-");
        expected.extend_from_slice(&content[..5]);
        expected.extend_from_slice(b"tail");
        // The short range's first bytes may have gone out before the end was found.
        assert!(received.starts_with(&expected));
        assert!(received.len() <= expected.len() + 10);
    }
}
