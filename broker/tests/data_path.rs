#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The produce/fetch data path end to end: an in-process broker on 127.0.0.1:0 with a temp
//! log dir, driven by a small `kafka-protocol` client — idempotent producers (retries,
//! sequence and epoch checks, InitProducerId), DeleteRecords, fetches across segment rolls
//! and sessions, a full disk, a hostile array count — plus the ZooKeeper producer-id
//! allocator against a real coordinator process.

mod support;

use support::RawClient as Client;
use support::{coordinator_binary, name};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use broker::log::LogConfig;
use broker::producer::{ProducerIdAllocator, PRODUCER_ID_BLOCK_SIZE};
use broker::record::{split_batches, BatchBuilder};
use broker::server::{Broker, BrokerHandle, ListenerOptions, ServerOptions};
use bytes::{BufMut, Bytes, BytesMut};
use common::zk_layout::paths::LATEST_PRODUCER_ID_BLOCK;
use common::zk_layout::ProducerIdBlock;
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::delete_records_request::{
    DeleteRecordsPartition, DeleteRecordsTopic,
};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, HeaderVersion, Request, StrBytes};
use kafka_protocol::ResponseError;
use testkit::CoordinatorProcess;

/// A test broker's surroundings: its temp dir and the coordinator it registers with.
struct Env {
    dir: tempfile::TempDir,
    coordinator: CoordinatorProcess,
}

impl Env {
    fn new() -> Env {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_broker")).with_file_name("coordinator");
        assert!(
            binary.exists(),
            "{} is missing: run `cargo build -p coordinator`",
            binary.display()
        );
        Env {
            dir: tempfile::tempdir().unwrap(),
            coordinator: CoordinatorProcess::start(&binary, &[]).unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn options(env: &Env, segment_bytes: i64) -> ServerOptions {
    let mut options = ServerOptions::new(env.path().join("logs"));
    options.listeners = vec![ListenerOptions::plaintext("127.0.0.1", 0)];
    options.zookeeper_connect = env.coordinator.connect_string();
    options.zookeeper_session_timeout = Duration::from_secs(6);
    options.broker_id = 4;
    options.auto_create_topics_enable = false;
    options.log_config = LogConfig {
        segment_bytes,
        ..LogConfig::default()
    };
    options
}

async fn start_with(segment_bytes: i64) -> (BrokerHandle, Env) {
    let env = Env::new();
    let broker = Broker::start(options(&env, segment_bytes)).await.unwrap();
    (broker, env)
}

async fn start() -> (BrokerHandle, Env) {
    start_with(1 << 30).await
}

async fn create_topic(client: &mut Client, topic: &str) {
    let mut creatable = CreatableTopic::default();
    creatable.name = name(topic);
    creatable.num_partitions = 1;
    creatable.replication_factor = 1;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![creatable];
    request.timeout_ms = 5000;
    let response = client.call(&request, 7).await;
    assert_eq!(response.topics[0].error_code, 0);
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A batch of `records` 100-byte records, from producer `producer` (id, epoch, sequence).
fn batch(producer: Option<(i64, i16, i32)>, records: usize) -> Vec<u8> {
    let base = now_ms();
    let mut builder = BatchBuilder::new(base);
    if let Some((id, epoch, sequence)) = producer {
        builder = builder.producer(id, epoch, sequence);
    }
    for index in 0..records {
        builder.record(
            base + index as i64,
            Some(b"k"),
            Some(&[index as u8; 100]),
            &[],
        );
    }
    builder.build()
}

/// Produces `records` to partition 0 of `topic`; (error code, base offset).
async fn produce(client: &mut Client, topic: &str, records: Vec<u8>) -> (i16, i64) {
    let mut data = PartitionProduceData::default();
    data.index = 0;
    data.records = Some(Bytes::from(records));
    let mut topic_data = TopicProduceData::default();
    topic_data.name = name(topic);
    topic_data.partition_data = vec![data];
    let mut request = ProduceRequest::default();
    request.acks = -1;
    request.timeout_ms = 5000;
    request.topic_data = vec![topic_data];
    let response = client.call(&request, 9).await;
    let partition = &response.responses[0].partition_responses[0];
    (partition.error_code, partition.base_offset)
}

fn fetch_request(topic: &str, offset: i64) -> FetchRequest {
    let mut partition = FetchPartition::default();
    partition.partition = 0;
    partition.fetch_offset = offset;
    partition.partition_max_bytes = 1_000_000;
    let mut fetch_topic = FetchTopic::default();
    fetch_topic.topic = name(topic);
    fetch_topic.partitions = vec![partition];
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(-1);
    request.max_wait_ms = 0;
    request.min_bytes = 1;
    request.max_bytes = 10_000_000;
    request.session_epoch = -1;
    request.topics = vec![fetch_topic];
    request
}

/// (error code, (base, last) offsets of the batches, high watermark, log start offset).
async fn fetch(client: &mut Client, topic: &str, offset: i64) -> (i16, Vec<(i64, i64)>, i64, i64) {
    let response = client.call(&fetch_request(topic, offset), 12).await;
    assert_eq!(response.error_code, 0);
    let partition = &response.responses[0].partitions[0];
    let records = partition.records.clone().unwrap_or_default();
    let batches = split_batches(&records)
        .unwrap()
        .iter()
        .map(|batch| (batch.base_offset(), batch.last_offset()))
        .collect();
    (
        partition.error_code,
        batches,
        partition.high_watermark,
        partition.log_start_offset,
    )
}

async fn init_producer_id(client: &mut Client, version: i16) -> (i16, i64, i16) {
    let mut request = InitProducerIdRequest::default();
    request.transactional_id = None;
    request.transaction_timeout_ms = 60_000;
    let response = client.call(&request, version).await;
    (
        response.error_code,
        response.producer_id.0,
        response.producer_epoch,
    )
}

async fn list_offset(client: &mut Client, topic: &str, timestamp: i64) -> (i16, i64, i32) {
    let mut wanted = ListOffsetsPartition::default();
    wanted.partition_index = 0;
    wanted.timestamp = timestamp;
    let mut list_topic = ListOffsetsTopic::default();
    list_topic.name = name(topic);
    list_topic.partitions = vec![wanted];
    let mut request = ListOffsetsRequest::default();
    request.replica_id = BrokerId(-1);
    request.topics = vec![list_topic];
    let response = client.call(&request, 7).await;
    let partition = &response.topics[0].partitions[0];
    (
        partition.error_code,
        partition.offset,
        partition.leader_epoch,
    )
}

async fn delete_records(client: &mut Client, topic: &str, offset: i64) -> (i16, i64) {
    let mut partition = DeleteRecordsPartition::default();
    partition.partition_index = 0;
    partition.offset = offset;
    let mut delete_topic = DeleteRecordsTopic::default();
    delete_topic.name = name(topic);
    delete_topic.partitions = vec![partition];
    let mut request = DeleteRecordsRequest::default();
    request.topics = vec![delete_topic];
    request.timeout_ms = 5000;
    let response = client.call(&request, 2).await;
    let result = &response.topics[0].partitions[0];
    (result.error_code, result.low_watermark)
}

#[tokio::test]
async fn idempotent_retries_get_the_original_offset_and_are_written_once() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "idem").await;
    let (error, producer_id, epoch) = init_producer_id(&mut client, 4).await;
    assert_eq!((error, epoch), (0, 0));

    let first = batch(Some((producer_id, 0, 0)), 2);
    assert_eq!(produce(&mut client, "idem", first.clone()).await, (0, 0));
    assert_eq!(
        produce(&mut client, "idem", batch(Some((producer_id, 0, 2)), 3)).await,
        (0, 2)
    );
    // The first batch again (a retry after a lost response): success, original offset.
    assert_eq!(produce(&mut client, "idem", first).await, (0, 0));
    let (error, batches, high_watermark, _) = fetch(&mut client, "idem", 0).await;
    assert_eq!(error, 0);
    assert_eq!(batches, vec![(0, 1), (2, 4)]);
    assert_eq!(high_watermark, 5);

    // The producer state survives a clean restart: the retry is still a duplicate.
    let dir = _dir;
    broker.stop().await.unwrap();
    let broker = Broker::start(options(&dir, 1 << 30)).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    assert_eq!(
        produce(&mut client, "idem", batch(Some((producer_id, 0, 2)), 3)).await,
        (0, 2)
    );
    assert_eq!(
        produce(&mut client, "idem", batch(Some((producer_id, 0, 5)), 1)).await,
        (0, 5)
    );
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn out_of_order_sequences_old_epochs_and_transactions_are_refused() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "order").await;
    let (_, producer_id, _) = init_producer_id(&mut client, 3).await;
    assert_eq!(
        produce(&mut client, "order", batch(Some((producer_id, 0, 0)), 2)).await,
        (0, 0)
    );
    // Sequence 5 after 0..=1: a gap.
    let (error, base_offset) =
        produce(&mut client, "order", batch(Some((producer_id, 0, 5)), 1)).await;
    assert_eq!(error, ResponseError::OutOfOrderSequenceNumber.code());
    assert_eq!(base_offset, -1);
    // A new epoch starts at 0; the old epoch is then fenced.
    assert_eq!(
        produce(&mut client, "order", batch(Some((producer_id, 1, 0)), 1)).await,
        (0, 2)
    );
    let (error, _) = produce(&mut client, "order", batch(Some((producer_id, 0, 2)), 1)).await;
    assert_eq!(error, ResponseError::InvalidProducerEpoch.code());
    let (error, _) = produce(&mut client, "order", batch(Some((producer_id, 2, 3)), 1)).await;
    assert_eq!(error, ResponseError::OutOfOrderSequenceNumber.code());
    // Transactional batches need a transaction coordinator.
    let mut transactional = BatchBuilder::new(now_ms())
        .producer(producer_id, 1, 1)
        .transactional(true);
    transactional.record(now_ms(), None, Some(b"tx"), &[]);
    let (error, _) = produce(&mut client, "order", transactional.build()).await;
    assert_eq!(error, ResponseError::InvalidTxnState.code());
    // v3+ produce requests carry exactly one batch per partition.
    let mut two = batch(None, 1);
    two.extend_from_slice(&batch(None, 1));
    let (error, _) = produce(&mut client, "order", two).await;
    assert_eq!(error, ResponseError::InvalidRecord.code());
    // Message format v1 (magic 1) in a v3+ request.
    let mut legacy = batch(None, 1);
    legacy[16] = 1;
    let (error, _) = produce(&mut client, "order", legacy).await;
    assert_eq!(error, ResponseError::InvalidRecord.code());
    // Nothing refused reached the log.
    let (_, batches, high_watermark, _) = fetch(&mut client, "order", 0).await;
    assert_eq!(batches, vec![(0, 1), (2, 2)]);
    assert_eq!(high_watermark, 3);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn init_producer_id_hands_out_distinct_ids_at_every_version_and_refuses_transactions() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    let mut ids = BTreeSet::new();
    for version in 0..=5 {
        let (error, producer_id, epoch) = init_producer_id(&mut client, version).await;
        assert_eq!((error, epoch), (0, 0), "version {version}");
        assert!(ids.insert(producer_id), "id {producer_id} handed out twice");
    }
    // KIP-360 re-initialisation of a non-transactional producer: a fresh id, as Kafka does.
    let mut request = InitProducerIdRequest::default();
    request.transactional_id = None;
    request.producer_id = ProducerId(*ids.first().unwrap());
    request.producer_epoch = 0;
    let response = client.call(&request, 4).await;
    assert_eq!(response.error_code, 0);
    assert!(ids.insert(response.producer_id.0));

    let mut transactional = InitProducerIdRequest::default();
    transactional.transactional_id = Some(TransactionalId(StrBytes::from_static_str("tx-1")));
    transactional.transaction_timeout_ms = 60_000;
    let response = client.call(&transactional, 4).await;
    assert_eq!(
        response.error_code,
        ResponseError::TransactionalIdAuthorizationFailed.code()
    );
    assert_eq!(response.producer_id.0, -1);
    // An empty transactional id is malformed (Kafka: INVALID_REQUEST).
    let empty = client.call(&InitProducerIdRequest::default(), 4).await;
    assert_eq!(empty.error_code, ResponseError::InvalidRequest.code());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn delete_records_moves_the_low_watermark_that_list_offsets_reports() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "trim").await;
    for _ in 0..3 {
        assert_eq!(produce(&mut client, "trim", batch(None, 2)).await.0, 0);
    }
    assert_eq!(delete_records(&mut client, "trim", 3).await, (0, 3));
    assert_eq!(list_offset(&mut client, "trim", -2).await, (0, 3, 0));
    let (error, _, _, log_start_offset) = fetch(&mut client, "trim", 0).await;
    assert_eq!(error, ResponseError::OffsetOutOfRange.code());
    assert_eq!(log_start_offset, 3);
    // Reading at the new start returns the batch holding it (offsets 2..=3).
    let (error, batches, _, _) = fetch(&mut client, "trim", 3).await;
    assert_eq!(error, 0);
    assert_eq!(batches, vec![(2, 3), (4, 5)]);
    // Lower than the start: nothing changes.
    assert_eq!(delete_records(&mut client, "trim", 1).await, (0, 3));
    // Past the high watermark, or negative other than -1: out of range.
    let (error, low_watermark) = delete_records(&mut client, "trim", 7).await;
    assert_eq!(error, ResponseError::OffsetOutOfRange.code());
    assert_eq!(low_watermark, -1);
    let (error, _) = delete_records(&mut client, "trim", -5).await;
    assert_eq!(error, ResponseError::OffsetOutOfRange.code());
    // -1: up to the high watermark.
    assert_eq!(delete_records(&mut client, "trim", -1).await, (0, 6));
    assert_eq!(list_offset(&mut client, "trim", -2).await, (0, 6, 0));
    assert_eq!(list_offset(&mut client, "trim", -1).await, (0, 6, 0));
    let (error, _) = delete_records(&mut client, "absent", 0).await;
    assert_eq!(error, ResponseError::UnknownTopicOrPartition.code());
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn fetch_reads_across_segment_rolls_and_serves_full_fetches_without_sessions() {
    let (broker, dir) = start_with(1_000).await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "rolled").await;
    for step in 0..10 {
        assert_eq!(
            produce(&mut client, "rolled", batch(None, 2)).await,
            (0, step * 2)
        );
    }
    let segments = std::fs::read_dir(dir.path().join("logs").join("rolled-0"))
        .unwrap()
        .filter(|entry| {
            entry
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with(".log")
        })
        .count();
    assert!(segments >= 4, "{segments} segments");
    let (error, batches, high_watermark, _) = fetch(&mut client, "rolled", 0).await;
    assert_eq!(error, 0);
    let expected: Vec<(i64, i64)> = (0..10).map(|step| (step * 2, step * 2 + 1)).collect();
    assert_eq!(batches, expected);
    assert_eq!(high_watermark, 20);

    // A full fetch asking for a new session (epoch 0): served, session id 0.
    let mut request = fetch_request("rolled", 0);
    request.session_epoch = 0;
    let response = client.call(&request, 12).await;
    assert_eq!((response.error_code, response.session_id), (0, 0));
    assert!(response.responses[0].partitions[0]
        .records
        .as_ref()
        .is_some_and(|records| !records.is_empty()));
    // An incremental fetch names a session this broker never created.
    request.session_id = 77;
    request.session_epoch = 1;
    let response = client.call(&request, 12).await;
    assert_eq!(
        response.error_code,
        ResponseError::FetchSessionIdNotFound.code()
    );
    // A leader epoch from the future: UNKNOWN_LEADER_EPOCH naming the current leader.
    let mut request = fetch_request("rolled", 0);
    request.topics[0].partitions[0].current_leader_epoch = 5;
    let response = client.call(&request, 12).await;
    let partition = &response.responses[0].partitions[0];
    assert_eq!(
        partition.error_code,
        ResponseError::UnknownLeaderEpoch.code()
    );
    assert_eq!(partition.current_leader.leader_id, BrokerId(4));
    assert_eq!(partition.current_leader.leader_epoch, 0);
    request.topics[0].partitions[0].current_leader_epoch = 0;
    let response = client.call(&request, 12).await;
    assert_eq!(response.responses[0].partitions[0].error_code, 0);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_full_disk_fails_the_produce_with_storage_error_and_keeps_the_log_intact() {
    let dir = Env::new();
    let broker = Broker::start(options(&dir, 1 << 30)).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "full").await;
    assert_eq!(produce(&mut client, "full", batch(None, 3)).await, (0, 0));
    broker.stop().await.unwrap();

    // The next segment's file is /dev/full: every write to it fails with ENOSPC.
    let partition_dir = dir.path().join("logs").join("full-0");
    let full_segment = partition_dir.join(format!("{:020}.log", 3));
    std::os::unix::fs::symlink("/dev/full", &full_segment).unwrap();
    let broker = Broker::start(options(&dir, 1 << 30)).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    let (error, base_offset) = produce(&mut client, "full", batch(None, 2)).await;
    assert_eq!(error, ResponseError::KafkaStorageError.code());
    assert_eq!(base_offset, -1);
    // The log is as before: same end, same data, still serving.
    assert_eq!(list_offset(&mut client, "full", -1).await, (0, 3, 0));
    let (error, batches, high_watermark, _) = fetch(&mut client, "full", 0).await;
    assert_eq!((error, batches, high_watermark), (0, vec![(0, 2)], 3));
    // fsync of /dev/full fails too, so this stop reports the log going offline; the next
    // start recovers from the checkpoints like after a crash.
    let stopped = broker.stop().await;
    assert!(stopped.is_err());

    std::fs::remove_file(&full_segment).unwrap();
    let broker = Broker::start(options(&dir, 1 << 30)).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    assert_eq!(produce(&mut client, "full", batch(None, 2)).await, (0, 3));
    let (_, batches, _, _) = fetch(&mut client, "full", 0).await;
    assert_eq!(batches, vec![(0, 2), (3, 4)]);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn a_two_billion_element_array_count_closes_only_that_connection() {
    let (broker, _dir) = start().await;
    let mut healthy = Client::connect(broker.local_addr()).await;
    let mut hostile = Client::connect(broker.local_addr()).await;
    // Produce v7 (not flexible): header, transactional_id null, acks, timeout, then a
    // topic array claiming i32::MAX elements and no bytes for them.
    let mut header = RequestHeader::default();
    header.request_api_key = ProduceRequest::KEY;
    header.request_api_version = 7;
    header.correlation_id = 1;
    let mut payload = BytesMut::new();
    header
        .encode(&mut payload, ProduceRequest::header_version(7))
        .unwrap();
    payload.put_i16(-1);
    payload.put_i16(1);
    payload.put_i32(5000);
    payload.put_i32(i32::MAX);
    hostile.write_frame(&payload).await;
    assert!(hostile.closed_by_broker().await);

    let response = healthy.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(response.error_code, 0);
    broker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zookeeper_allocators_never_hand_out_overlapping_blocks() {
    let binary = coordinator_binary();
    let server = tokio::task::spawn_blocking(move || {
        testkit::CoordinatorProcess::start(&binary, &[]).unwrap()
    })
    .await
    .unwrap();
    let connect = server.connect_string();
    let first_client = zookeeper_client::Client::connect(&connect).await.unwrap();
    let second_client = zookeeper_client::Client::connect(&connect).await.unwrap();
    let first = Arc::new(ProducerIdAllocator::zookeeper(first_client.clone(), 1));
    let second = Arc::new(ProducerIdAllocator::zookeeper(second_client, 2));

    // Both draw 2.5 blocks' worth at the same time, racing on the znode's version.
    let per_allocator = (PRODUCER_ID_BLOCK_SIZE * 5 / 2) as usize;
    let draw = |allocator: Arc<ProducerIdAllocator>| {
        tokio::spawn(async move {
            let mut ids = Vec::with_capacity(per_allocator);
            for _ in 0..per_allocator {
                ids.push(allocator.next_id().await.unwrap());
            }
            ids
        })
    };
    let (first_ids, second_ids) = (draw(first.clone()), draw(second.clone()));
    let first_ids = first_ids.await.unwrap();
    let second_ids = second_ids.await.unwrap();
    let mut all = BTreeSet::new();
    for ids in [&first_ids, &second_ids] {
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
        for id in ids {
            assert!(all.insert(*id), "id {id} handed out twice");
        }
    }
    // Six blocks were claimed, back to back from 0.
    let (data, _) = first_client
        .get_data(LATEST_PRODUCER_ID_BLOCK)
        .await
        .unwrap();
    let last = ProducerIdBlock::from_json(&data).unwrap();
    assert_eq!(last.block_end, 6 * PRODUCER_ID_BLOCK_SIZE - 1);
    assert!(all.iter().all(|id| *id <= last.block_end));

    // A fresh allocator (a restarted broker) continues after the last claimed block.
    let restarted = ProducerIdAllocator::zookeeper(first_client, 1);
    assert_eq!(
        restarted.next_id().await.unwrap(),
        6 * PRODUCER_ID_BLOCK_SIZE
    );
    drop(server);
}
