#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The request layer end to end: an in-process broker on 127.0.0.1:0 with a temp log dir,
//! registered with a real coordinator process (the `coordinator` binary beside this test's
//! `broker` binary, or Apache ZooKeeper with `COORDINATOR_TEST_SERVER=apache-zookeeper`),
//! driven by a small client built on the `kafka-protocol` crate (encode request, frame,
//! read the response frame, decode).

mod support;

use support::RawClient as Client;
use support::{coordinator_binary, name, Guard};

use std::time::{Duration, Instant};

use broker::record::BatchBuilder;
use broker::server::{Broker, BrokerHandle, ListenerOptions, ServerOptions};
use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::create_topics_request::CreatableTopic;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, Request};
use kafka_protocol::ResponseError;
use testkit::CoordinatorProcess;
use tokio::io::AsyncWriteExt;

fn options_for(coordinator: &CoordinatorProcess, dir: &tempfile::TempDir) -> ServerOptions {
    let mut options = ServerOptions::new(dir.path().join("logs"));
    options.listeners = vec![ListenerOptions::plaintext("127.0.0.1", 0)];
    options.zookeeper_connect = coordinator.connect_string();
    options.zookeeper_session_timeout = Duration::from_secs(6);
    options
}

async fn start() -> (BrokerHandle, Guard) {
    let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = options_for(&coordinator, &dir);
    options.broker_id = 7;
    options.auto_create_topics_enable = false;
    options.message_max_bytes = 10_000;
    options.socket_request_max_bytes = 1_000_000;
    let broker = Broker::start(options).await.unwrap();
    (
        broker,
        Guard {
            _dir: dir,
            _coordinator: coordinator,
        },
    )
}

async fn create_topic(client: &mut Client, topic: &str, partitions: i32) -> CreateTopicsResponse {
    let mut creatable = CreatableTopic::default();
    creatable.name = name(topic);
    creatable.num_partitions = partitions;
    creatable.replication_factor = 1;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![creatable];
    request.timeout_ms = 5000;
    client.call(&request, 7).await
}

/// Record timestamps start here: recent, so the log does not roll on segment.ms (it ages a
/// segment by its first timestamp) and a fetch from 0 sees every batch in one segment.
fn base_timestamp() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn batch(values: &[&[u8]]) -> Vec<u8> {
    let base = base_timestamp();
    let mut builder = BatchBuilder::new(base);
    for (index, value) in values.iter().enumerate() {
        builder.record(base + index as i64, Some(b"key"), Some(value), &[]);
    }
    builder.build()
}

fn produce_request(topic: &str, partition: i32, acks: i16, records: Vec<u8>) -> ProduceRequest {
    let mut data = PartitionProduceData::default();
    data.index = partition;
    data.records = Some(Bytes::from(records));
    let mut topic_data = TopicProduceData::default();
    topic_data.name = name(topic);
    topic_data.partition_data = vec![data];
    let mut request = ProduceRequest::default();
    request.acks = acks;
    request.timeout_ms = 5000;
    request.topic_data = vec![topic_data];
    request
}

fn fetch_request(topic: &str, offset: i64, max_wait_ms: i32, min_bytes: i32) -> FetchRequest {
    let mut partition = FetchPartition::default();
    partition.partition = 0;
    partition.fetch_offset = offset;
    partition.partition_max_bytes = 1_000_000;
    let mut fetch_topic = FetchTopic::default();
    fetch_topic.topic = name(topic);
    fetch_topic.partitions = vec![partition];
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(-1);
    request.max_wait_ms = max_wait_ms;
    request.min_bytes = min_bytes;
    request.max_bytes = 10_000_000;
    request.session_epoch = -1;
    request.topics = vec![fetch_topic];
    request
}

fn fetched(response: &FetchResponse) -> (i16, Bytes, i64) {
    let partition = &response.responses[0].partitions[0];
    (
        partition.error_code,
        partition.records.clone().unwrap_or_default(),
        partition.high_watermark,
    )
}

#[tokio::test]
async fn api_versions_lists_only_served_apis_and_answers_unsupported_versions_with_v0() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    for version in [0, 3] {
        let response = client.call(&ApiVersionsRequest::default(), version).await;
        assert_eq!(response.error_code, 0);
        let mut keys: Vec<i16> = response.api_keys.iter().map(|key| key.api_key).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            vec![
                0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20, 21, 22, 23, 32, 33, 37,
                42, 43, 44, 45, 46, 47, 60
            ]
        );
        let fetch = response
            .api_keys
            .iter()
            .find(|key| key.api_key == 1)
            .unwrap();
        assert_eq!((fetch.min_version, fetch.max_version), (4, 12));
    }
    // A version from the future: the v0 body with UNSUPPORTED_VERSION, header v0.
    let correlation_id = client.send(&ApiVersionsRequest::default(), 4).await;
    let mut header = RequestHeader::default();
    header.request_api_key = ApiVersionsRequest::KEY;
    header.request_api_version = 99;
    header.correlation_id = 42;
    let mut payload = BytesMut::new();
    header.encode(&mut payload, 2).unwrap();
    let mut frame = BytesMut::new();
    frame.put_i32(payload.len() as i32);
    frame.put_slice(&payload);
    let supported = client
        .receive::<ApiVersionsRequest>(4, correlation_id)
        .await;
    assert_eq!(supported.error_code, 0);
    client.stream.write_all(&frame).await.unwrap();
    let response = client.receive::<ApiVersionsRequest>(0, 42).await;
    assert_eq!(
        response.error_code,
        ResponseError::UnsupportedVersion.code()
    );
    assert_eq!(response.api_keys.len(), 29);
    // The connection still works afterwards.
    let again = client.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(again.error_code, 0);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn unsupported_version_of_another_api_closes_the_connection() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    // Produce v2 (message format v1) is below what is served.
    let mut header = RequestHeader::default();
    header.request_api_key = ProduceRequest::KEY;
    header.request_api_version = 2;
    header.correlation_id = 1;
    let mut payload = BytesMut::new();
    header.encode(&mut payload, 1).unwrap();
    payload.put_slice(&[0u8; 16]);
    let mut frame = BytesMut::new();
    frame.put_i32(payload.len() as i32);
    frame.put_slice(&payload);
    client.stream.write_all(&frame).await.unwrap();
    assert!(client.closed_by_broker().await);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn create_topics_then_metadata_shows_this_broker_leading_every_partition() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    let created = create_topic(&mut client, "orders", 3).await;
    assert_eq!(created.topics[0].error_code, 0);
    assert_eq!(created.topics[0].num_partitions, 3);
    let again = create_topic(&mut client, "orders", 3).await;
    assert_eq!(
        again.topics[0].error_code,
        ResponseError::TopicAlreadyExists.code()
    );
    let bad = create_topic(&mut client, "bad name", 1).await;
    assert_eq!(
        bad.topics[0].error_code,
        ResponseError::InvalidTopicException.code()
    );
    let mut replicated = CreatableTopic::default();
    replicated.name = name("replicated");
    replicated.num_partitions = 1;
    replicated.replication_factor = 3;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![replicated];
    let response = client.call(&request, 5).await;
    assert_eq!(
        response.topics[0].error_code,
        ResponseError::InvalidReplicationFactor.code()
    );
    assert_eq!(
        response.topics[0].error_message.as_deref(),
        Some("Replication factor: 3 larger than available brokers: 1.")
    );

    let mut request = MetadataRequest::default();
    let mut wanted = MetadataRequestTopic::default();
    wanted.name = Some(name("orders"));
    let mut missing = MetadataRequestTopic::default();
    missing.name = Some(name("missing"));
    request.topics = Some(vec![wanted, missing]);
    request.allow_auto_topic_creation = true;
    let metadata = client.call(&request, 9).await;
    assert_eq!(metadata.brokers.len(), 1);
    assert_eq!(metadata.brokers[0].node_id, BrokerId(7));
    assert_eq!(
        metadata.brokers[0].port,
        i32::from(broker.local_addr().port())
    );
    assert_eq!(metadata.controller_id, BrokerId(7));
    let orders = &metadata.topics[0];
    assert_eq!(orders.error_code, 0);
    assert_eq!(orders.partitions.len(), 3);
    for (index, partition) in orders.partitions.iter().enumerate() {
        assert_eq!(partition.partition_index, index as i32);
        assert_eq!(partition.leader_id, BrokerId(7));
        assert_eq!(partition.replica_nodes, vec![BrokerId(7)]);
        assert_eq!(partition.isr_nodes, vec![BrokerId(7)]);
    }
    // auto.create.topics.enable is off in these tests.
    assert_eq!(
        metadata.topics[1].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
    let mut everything = MetadataRequest::default();
    everything.topics = None;
    let all = client.call(&everything, 12).await;
    assert_eq!(all.topics.len(), 1);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn metadata_auto_creates_topics_when_enabled() {
    let coordinator = CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut options = options_for(&coordinator, &dir);
    options.num_partitions = 2;
    let broker = Broker::start(options).await.unwrap();
    let mut client = Client::connect(broker.local_addr()).await;
    let mut request = MetadataRequest::default();
    let mut wanted = MetadataRequestTopic::default();
    wanted.name = Some(name("fresh"));
    request.topics = Some(vec![wanted]);
    request.allow_auto_topic_creation = true;
    // As Kafka: the first answer says the leader is on its way.
    let metadata = client.call(&request, 8).await;
    assert_eq!(
        metadata.topics[0].error_code,
        ResponseError::LeaderNotAvailable.code()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metadata = client.call(&request, 8).await;
        let topic = &metadata.topics[0];
        if topic.error_code == 0
            && topic.partitions.len() == 2
            && topic
                .partitions
                .iter()
                .all(|partition| partition.error_code == 0)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "auto-created topic never got leaders"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn produced_batches_come_back_byte_for_byte_and_list_offsets_sees_them() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "events", 1).await;
    let first = batch(&[b"one", b"two"]);
    let first_timestamp = i64::from_be_bytes(first[27..35].try_into().unwrap());
    let produced = client
        .call(&produce_request("events", 0, 1, first.clone()), 9)
        .await;
    let partition = &produced.responses[0].partition_responses[0];
    assert_eq!(partition.error_code, 0);
    assert_eq!(partition.base_offset, 0);

    // acks=0: no response; the next request's response is the next thing on the wire.
    let mut second = batch(&[b"three"]);
    client
        .send(&produce_request("events", 0, 0, second.clone()), 9)
        .await;
    let fetch = client.call(&fetch_request("events", 0, 0, 1), 12).await;
    let (error, records, high_watermark) = fetched(&fetch);
    assert_eq!(error, 0);
    assert_eq!(high_watermark, 3);
    // The log assigned base offset 2 to the second batch and stamped the partition leader
    // epoch (0) into both: the only bytes it changed, both outside the CRC.
    second[0..8].copy_from_slice(&2i64.to_be_bytes());
    second[12..16].copy_from_slice(&0i32.to_be_bytes());
    let mut expected = first.clone();
    expected[12..16].copy_from_slice(&0i32.to_be_bytes());
    expected.extend_from_slice(&second);
    assert_eq!(&records[..], &expected[..]);

    let mut bad_acks = client
        .call(&produce_request("events", 0, 2, batch(&[b"x"])), 9)
        .await;
    let code = bad_acks.responses.remove(0).partition_responses[0].error_code;
    assert_eq!(code, ResponseError::InvalidRequiredAcks.code());
    let big = batch(&[&[0u8; 20_000]]);
    let too_big = client.call(&produce_request("events", 0, 1, big), 9).await;
    assert_eq!(
        too_big.responses[0].partition_responses[0].error_code,
        ResponseError::MessageTooLarge.code()
    );
    let unknown = client
        .call(&produce_request("nope", 0, -1, batch(&[b"x"])), 9)
        .await;
    assert_eq!(
        unknown.responses[0].partition_responses[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );

    let out_of_range = client.call(&fetch_request("events", 10, 0, 1), 11).await;
    let partition = &out_of_range.responses[0].partitions[0];
    assert_eq!(partition.error_code, ResponseError::OffsetOutOfRange.code());
    assert_eq!(
        (partition.log_start_offset, partition.high_watermark),
        (0, 3)
    );

    for (timestamp, expected) in [(-2i64, 0i64), (-1, 3), (first_timestamp + 1, 1)] {
        let mut wanted = ListOffsetsPartition::default();
        wanted.partition_index = 0;
        wanted.timestamp = timestamp;
        let mut topic = ListOffsetsTopic::default();
        topic.name = name("events");
        topic.partitions = vec![wanted];
        let mut request = ListOffsetsRequest::default();
        request.replica_id = BrokerId(-1);
        request.topics = vec![topic];
        let response = client.call(&request, 7).await;
        let partition = &response.topics[0].partitions[0];
        assert_eq!(partition.error_code, 0);
        assert_eq!(partition.offset, expected, "timestamp {timestamp}");
    }
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn long_poll_fetch_returns_when_data_arrives_or_after_max_wait() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "poll", 1).await;

    let started = Instant::now();
    let empty = client.call(&fetch_request("poll", 0, 200, 1), 12).await;
    assert!(started.elapsed() >= Duration::from_millis(200));
    let (error, records, _) = fetched(&empty);
    assert_eq!(error, 0);
    assert!(records.is_empty());

    // A fetch that would wait a minute is answered by the append on another connection.
    let correlation_id = client.send(&fetch_request("poll", 0, 60_000, 1), 12).await;
    let waiting = tokio::spawn(async move {
        let response = client.receive::<FetchRequest>(12, correlation_id).await;
        (client, response)
    });
    let mut producer = Client::connect(broker.local_addr()).await;
    let records = batch(&[b"wake up"]);
    let produced = producer
        .call(&produce_request("poll", 0, 1, records.clone()), 9)
        .await;
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
    let (_, response) = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .unwrap()
        .unwrap();
    let (error, fetched_records, _) = fetched(&response);
    assert_eq!(error, 0);
    let mut stored = records.clone();
    stored[12..16].copy_from_slice(&0i32.to_be_bytes());
    assert_eq!(&fetched_records[..], &stored[..]);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn bad_crc_is_corrupt_message_and_other_connections_keep_working() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    let mut other = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "crc", 1).await;
    let mut records = batch(&[b"payload"]);
    let last = records.len() - 1;
    records[last] ^= 0xff;
    let response = client.call(&produce_request("crc", 0, 1, records), 9).await;
    assert_eq!(
        response.responses[0].partition_responses[0].error_code,
        ResponseError::CorruptMessage.code()
    );
    let fine = other
        .call(&produce_request("crc", 0, 1, batch(&[b"ok"])), 9)
        .await;
    assert_eq!(fine.responses[0].partition_responses[0].error_code, 0);
    assert_eq!(fine.responses[0].partition_responses[0].base_offset, 0);
    // The same connection is still usable too.
    let versions = client.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(versions.error_code, 0);
    broker.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_length_prefix_and_garbage_drop_only_that_connection() {
    let (broker, _dir) = start().await;
    let mut healthy = Client::connect(broker.local_addr()).await;

    let mut oversized = Client::connect(broker.local_addr()).await;
    oversized
        .stream
        .write_all(&i32::MAX.to_be_bytes())
        .await
        .unwrap();
    assert!(oversized.closed_by_broker().await);

    let mut negative = Client::connect(broker.local_addr()).await;
    negative
        .stream
        .write_all(&(-5i32).to_be_bytes())
        .await
        .unwrap();
    assert!(negative.closed_by_broker().await);

    // A frame whose api key no Kafka version defines.
    let mut garbage = Client::connect(broker.local_addr()).await;
    garbage
        .stream
        .write_all(&[0, 0, 0, 8, 0x7f, 0x7f, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02])
        .await
        .unwrap();
    assert!(garbage.closed_by_broker().await);

    // A valid Metadata header followed by a body that does not decode.
    let mut truncated = Client::connect(broker.local_addr()).await;
    truncated
        .stream
        .write_all(&[0, 0, 0, 12, 0, 3, 0, 1, 0, 0, 0, 9, 0xff, 0xff, 0x7f, 0xff])
        .await
        .unwrap();
    assert!(truncated.closed_by_broker().await);

    let response = healthy.call(&ApiVersionsRequest::default(), 3).await;
    assert_eq!(response.error_code, 0);
    let fresh = Client::connect(broker.local_addr())
        .await
        .call(&MetadataRequest::default(), 1)
        .await;
    assert!(fresh.topics.is_empty());
    broker.stop().await.unwrap();
}

/// Every served version of Produce, Fetch and ListOffsets gets an answer: a response field a
/// version lacks (log_start_offset before Produce/Fetch v5, leader_epoch before ListOffsets
/// v4, current_leader before Fetch v12) must stay unset, or encoding fails and the connection
/// closes — which older clients (kcat's librdkafka sends ListOffsets v2) would see.
#[tokio::test]
async fn every_served_version_of_the_data_apis_is_answered() {
    let (broker, _dir) = start().await;
    let mut client = Client::connect(broker.local_addr()).await;
    create_topic(&mut client, "versions", 1).await;
    let produce = broker::handler::supported_versions(ApiKey::Produce).unwrap();
    let mut next_offset = 0;
    for version in produce.min..=produce.max {
        let response = client
            .call(&produce_request("versions", 0, 1, batch(&[b"v"])), version)
            .await;
        let partition = &response.responses[0].partition_responses[0];
        assert_eq!(partition.error_code, 0, "Produce v{version}");
        assert_eq!(partition.base_offset, next_offset, "Produce v{version}");
        next_offset += 1;
    }
    let fetch = broker::handler::supported_versions(ApiKey::Fetch).unwrap();
    for version in fetch.min..=fetch.max {
        let response = client
            .call(&fetch_request("versions", 0, 0, 1), version)
            .await;
        let (error, records, high_watermark) = fetched(&response);
        assert_eq!(
            (error, high_watermark),
            (0, next_offset),
            "Fetch v{version}"
        );
        assert!(!records.is_empty(), "Fetch v{version}");
    }
    let list_offsets = broker::handler::supported_versions(ApiKey::ListOffsets).unwrap();
    for version in list_offsets.min..=list_offsets.max {
        let mut wanted = ListOffsetsPartition::default();
        wanted.partition_index = 0;
        wanted.timestamp = -1;
        let mut topic = ListOffsetsTopic::default();
        topic.name = name("versions");
        topic.partitions = vec![wanted];
        let mut request = ListOffsetsRequest::default();
        request.replica_id = BrokerId(-1);
        request.topics = vec![topic];
        let response = client.call(&request, version).await;
        let partition = &response.topics[0].partitions[0];
        assert_eq!(
            (partition.error_code, partition.offset),
            (0, next_offset),
            "ListOffsets v{version}"
        );
    }
    broker.stop().await.unwrap();
}
