#![allow(clippy::unwrap_used, clippy::indexing_slicing)]
//! The broker in the cluster, end to end: the `broker` binary (testkit's `BrokerProcess`)
//! against a real coordinator process (the `coordinator` binary beside it, or Apache
//! ZooKeeper 3.8 with `COORDINATOR_TEST_SERVER=apache-zookeeper`), checked through the
//! coordinator with the `zookeeper-client` crate (Kafka's znodes and JSON) and through the
//! Kafka protocol (a small client on the `kafka-protocol` crate).

mod support;

use support::RawClient as Client;
use support::{coordinator_binary, name};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use broker::record::BatchBuilder;
use broker::server::{Broker, ListenerOptions, ServerOptions};
use bytes::Bytes;
use common::zk_layout::{
    paths, BrokerRegistration, ClusterIdRecord, ConfigChangeNotification, ControllerEpochRecord,
    ControllerRecord, EntityConfig, PartitionState, TopicAssignment,
};
use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;
use testkit::{wait_until, wait_until_async, BrokerProcess, CoordinatorProcess};

const WAIT: Duration = Duration::from_secs(30);

fn broker_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_broker"))
}

fn start_coordinator() -> CoordinatorProcess {
    CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap()
}

async fn zk(coordinator: &CoordinatorProcess) -> zookeeper_client::Client {
    zookeeper_client::Client::connect(&coordinator.connect_string())
        .await
        .unwrap()
}

async fn data(
    client: &zookeeper_client::Client,
    path: &str,
) -> Option<(Vec<u8>, zookeeper_client::Stat)> {
    match client.get_data(path).await {
        Ok(found) => Some(found),
        Err(zookeeper_client::Error::NoNode) => None,
        Err(error) => panic!("get {path}: {error}"),
    }
}

async fn exists(client: &zookeeper_client::Client, path: &str) -> bool {
    client.check_stat(path).await.unwrap().is_some()
}

// ---------------------------------------------------------------------------------------
// A minimal Kafka client.

fn create_request(topic: &str, partitions: i32, replication_factor: i16) -> CreateTopicsRequest {
    let mut creatable = CreatableTopic::default();
    creatable.name = name(topic);
    creatable.num_partitions = partitions;
    creatable.replication_factor = replication_factor;
    let mut request = CreateTopicsRequest::default();
    request.topics = vec![creatable];
    request.timeout_ms = 20_000;
    request
}

fn produce_request(topic: &str, value: &[u8]) -> ProduceRequest {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut builder = BatchBuilder::new(now);
    builder.record(now, None, Some(value), &[]);
    let mut data = PartitionProduceData::default();
    data.index = 0;
    data.records = Some(Bytes::from(builder.build()));
    let mut topic_data = TopicProduceData::default();
    topic_data.name = name(topic);
    topic_data.partition_data = vec![data];
    let mut request = ProduceRequest::default();
    request.acks = 1;
    request.timeout_ms = 5000;
    request.topic_data = vec![topic_data];
    request
}

fn fetch_request(topic: &str) -> FetchRequest {
    let mut partition = FetchPartition::default();
    partition.partition = 0;
    partition.fetch_offset = 0;
    partition.partition_max_bytes = 1_000_000;
    let mut fetch_topic = FetchTopic::default();
    fetch_topic.topic = name(topic);
    fetch_topic.partitions = vec![partition];
    let mut request = FetchRequest::default();
    request.replica_id = BrokerId(-1);
    request.max_bytes = 10_000_000;
    request.session_epoch = -1;
    request.topics = vec![fetch_topic];
    request
}

// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_controller_and_cluster_id_follow_kafkas_layout() {
    let coordinator = start_coordinator();
    let mut broker = BrokerProcess::start(
        &broker_binary(),
        &coordinator.connect_string(),
        0,
        &[("broker.rack", "r1")],
    )
    .unwrap();
    let client = zk(&coordinator).await;

    let (bytes, stat) = data(&client, &paths::broker_id(0)).await.unwrap();
    let registration = BrokerRegistration::from_json(&bytes).unwrap();
    assert_eq!(registration.version, 5);
    assert_eq!(registration.host.as_deref(), Some("127.0.0.1"));
    assert_eq!(registration.port, i32::from(broker.port()));
    assert_eq!(
        registration.endpoints[0].connection_string(),
        format!("PLAINTEXT://127.0.0.1:{}", broker.port())
    );
    assert_eq!(registration.rack.as_deref(), Some("r1"));
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("\"listener_security_protocol_map\":{\"PLAINTEXT\":\"PLAINTEXT\"}"),
        "{text}"
    );
    // Ephemeral, owned by the broker's session (not ours).
    assert_ne!(stat.ephemeral_owner, 0);
    assert_ne!(stat.ephemeral_owner, client.session_id().0);

    let (bytes, controller_stat) = data(&client, paths::CONTROLLER).await.unwrap();
    assert_eq!(ControllerRecord::from_json(&bytes).unwrap().broker_id, 0);
    assert_eq!(controller_stat.ephemeral_owner, stat.ephemeral_owner);
    let (bytes, _) = data(&client, paths::CONTROLLER_EPOCH).await.unwrap();
    assert_eq!(ControllerEpochRecord::from_json(&bytes).unwrap().epoch, 1);
    let (bytes, _) = data(&client, paths::CLUSTER_ID).await.unwrap();
    let cluster_id = ClusterIdRecord::from_json(&bytes).unwrap().id;
    assert_eq!(cluster_id.len(), 22);
    for path in paths::PERSISTENT_PATHS {
        assert!(exists(&client, path).await, "{path} missing");
    }
    // The log dir names this broker and this cluster (meta.properties, version 0).
    let meta = std::fs::read_to_string(broker.log_dir().join("meta.properties")).unwrap();
    assert!(meta.starts_with("#\n#"), "{meta}");
    assert!(
        meta.contains(&format!("cluster.id={cluster_id}\n")),
        "{meta}"
    );
    assert!(meta.contains("version=0\nbroker.id=0\n"), "{meta}");

    // Controlled shutdown deregisters at once and exits 0.
    let status = broker.stop().unwrap().unwrap();
    assert!(status.success(), "{status}");
    assert!(!exists(&client, &paths::broker_id(0)).await);
    assert!(!exists(&client, paths::CONTROLLER).await);
    assert!(broker
        .log_text()
        .contains("[KafkaServer id=0] shut down completed"));

    // Back again: same cluster id, a new controller epoch.
    broker.restart().unwrap();
    assert!(exists(&client, &paths::broker_id(0)).await);
    let (bytes, _) = data(&client, paths::CLUSTER_ID).await.unwrap();
    assert_eq!(ClusterIdRecord::from_json(&bytes).unwrap().id, cluster_id);
    wait_until_async(WAIT, "the controller epoch is 2", || async {
        match data(&client, paths::CONTROLLER_EPOCH).await {
            Some((bytes, _)) => ControllerEpochRecord::from_json(&bytes).unwrap().epoch == 2,
            None => false,
        }
    })
    .await;

    // The broker's cache shows the election once its watch on /controller fired.
    let kafka = tokio::sync::Mutex::new(Client::connect(broker.address()).await);
    wait_until_async(
        WAIT,
        "DescribeCluster names broker 0 as controller",
        || async {
            let described = kafka
                .lock()
                .await
                .call(&DescribeClusterRequest::default(), 1)
                .await;
            described.controller_id == BrokerId(0)
        },
    )
    .await;
    let described = kafka
        .lock()
        .await
        .call(&DescribeClusterRequest::default(), 1)
        .await;
    assert_eq!(described.error_code, 0);
    assert_eq!(described.cluster_id.as_str(), cluster_id);
    assert_eq!(described.brokers.len(), 1);
    assert_eq!(described.brokers[0].port, i32::from(broker.port()));
    assert_eq!(described.brokers[0].rack.as_deref(), Some("r1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_broker_with_the_same_id_exits_with_kafkas_message() {
    let coordinator = start_coordinator();
    let _first =
        BrokerProcess::start(&broker_binary(), &coordinator.connect_string(), 0, &[]).unwrap();
    let mut second =
        BrokerProcess::spawn(&broker_binary(), &coordinator.connect_string(), 0, &[]).unwrap();
    let status = second.wait_exit(WAIT).unwrap();
    assert!(!status.success());
    let log = second.log_text();
    assert!(
        log.contains(
            "Error while creating ephemeral at /brokers/ids/0, node already exists and owner '"
        ),
        "{log}"
    );
    assert!(log.contains("does not match current session '"), "{log}");
}

#[test]
fn without_a_coordinator_the_broker_exits_after_the_connection_timeout() {
    let nobody = format!("127.0.0.1:{}", testkit::free_port());
    let started = Instant::now();
    let mut broker = BrokerProcess::spawn(
        &broker_binary(),
        &nobody,
        0,
        &[("zookeeper.connection.timeout.ms", "1500")],
    )
    .unwrap();
    let status = broker.wait_exit(WAIT).unwrap();
    assert!(!status.success());
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let log = broker.log_text();
    assert!(
        log.contains("Timed out waiting for connection while in state: CONNECTING"),
        "{log}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_are_created_grown_and_deleted_through_the_coordinator() {
    let coordinator = start_coordinator();
    let broker =
        BrokerProcess::start(&broker_binary(), &coordinator.connect_string(), 0, &[]).unwrap();
    let client = zk(&coordinator).await;
    let mut kafka = Client::connect(broker.address()).await;

    let mut request = create_request("orders", 3, 1);
    let mut retention = CreatableTopicConfig::default();
    retention.name = StrBytes::from_static_str("retention.ms");
    retention.value = Some(StrBytes::from_static_str("3600000"));
    request.topics[0].configs = vec![retention];
    let created = kafka.call(&request, 7).await;
    let result = &created.topics[0];
    assert_eq!(result.error_code, 0, "{:?}", result.error_message);
    assert_eq!((result.num_partitions, result.replication_factor), (3, 1));
    let configs = result.configs.as_ref().unwrap();
    let retention = configs
        .iter()
        .find(|config| config.name.as_str() == "retention.ms")
        .unwrap();
    assert_eq!(retention.value.as_deref(), Some("3600000"));

    // Kafka's znodes and JSON.
    let (bytes, _) = data(&client, &paths::topic("orders")).await.unwrap();
    let assignment = TopicAssignment::from_json(&bytes).unwrap();
    let expected: BTreeMap<i32, Vec<i32>> = [(0, vec![0]), (1, vec![0]), (2, vec![0])].into();
    assert_eq!(assignment.partitions, expected);
    let topic_id = assignment.topic_id.unwrap();
    assert_eq!(result.topic_id.as_bytes(), topic_id.as_bytes());
    for partition in 0..3 {
        let (bytes, _) = data(&client, &paths::partition_state("orders", partition))
            .await
            .unwrap();
        let state = PartitionState::from_json(&bytes).unwrap();
        assert_eq!(
            (state.leader, state.leader_epoch, state.isr.clone()),
            (0, 0, vec![0])
        );
        assert_eq!(state.controller_epoch, 1);
        assert!(broker
            .log_dir()
            .join(format!("orders-{partition}"))
            .is_dir());
    }
    let (bytes, _) = data(&client, &paths::topic_config("orders")).await.unwrap();
    assert_eq!(
        EntityConfig::from_json(&bytes).unwrap().get("retention.ms"),
        Some("3600000")
    );

    let again = kafka.call(&create_request("orders", 1, 1), 5).await;
    assert_eq!(
        again.topics[0].error_code,
        ResponseError::TopicAlreadyExists.code()
    );
    assert_eq!(
        again.topics[0].error_message.as_deref(),
        Some("Topic 'orders' already exists.")
    );
    let too_many = kafka.call(&create_request("wide", 1, 3), 5).await;
    assert_eq!(
        too_many.topics[0].error_message.as_deref(),
        Some("Replication factor: 3 larger than available brokers: 1.")
    );

    // Metadata: leaders, ISR, cluster id, controller, topic id.
    let mut metadata_request = MetadataRequest::default();
    metadata_request.topics = None;
    let metadata = kafka.call(&metadata_request, 12).await;
    let (bytes, _) = data(&client, paths::CLUSTER_ID).await.unwrap();
    assert_eq!(
        metadata.cluster_id.as_deref(),
        Some(ClusterIdRecord::from_json(&bytes).unwrap().id.as_str())
    );
    assert_eq!(metadata.controller_id, BrokerId(0));
    assert_eq!(metadata.brokers[0].port, i32::from(broker.port()));
    let orders = &metadata.topics[0];
    assert_eq!(orders.topic_id.as_bytes(), topic_id.as_bytes());
    assert_eq!(orders.partitions.len(), 3);
    for partition in &orders.partitions {
        assert_eq!(partition.error_code, 0);
        assert_eq!(partition.leader_id, BrokerId(0));
        assert_eq!(partition.isr_nodes, vec![BrokerId(0)]);
    }

    // CreatePartitions: shrinking is refused with Kafka's message, growing works.
    let mut grow = CreatePartitionsTopic::default();
    grow.name = name("orders");
    grow.count = 2;
    let mut request = CreatePartitionsRequest::default();
    request.topics = vec![grow.clone()];
    request.timeout_ms = 20_000;
    let shrink = kafka.call(&request, 3).await;
    assert_eq!(
        shrink.results[0].error_code,
        ResponseError::InvalidPartitions.code()
    );
    assert_eq!(
        shrink.results[0].error_message.as_deref(),
        Some("Topic currently has 3 partitions, which is higher than the requested 2.")
    );
    grow.count = 5;
    request.topics = vec![grow];
    let grown = kafka.call(&request, 3).await;
    assert_eq!(
        grown.results[0].error_code, 0,
        "{:?}",
        grown.results[0].error_message
    );
    for partition in 3..5 {
        assert!(exists(&client, &paths::partition_state("orders", partition)).await);
        assert!(broker
            .log_dir()
            .join(format!("orders-{partition}"))
            .is_dir());
    }

    // DeleteTopics: znodes and folders go.
    let mut delete = DeleteTopicsRequest::default();
    delete.topic_names = vec![name("orders")];
    delete.timeout_ms = 20_000;
    let deleted = kafka.call(&delete, 4).await;
    assert_eq!(
        deleted.responses[0].error_code, 0,
        "{:?}",
        deleted.responses[0].error_message
    );
    assert!(!exists(&client, &paths::topic("orders")).await);
    assert!(!exists(&client, &paths::topic_config("orders")).await);
    assert!(!exists(&client, &paths::delete_topic("orders")).await);
    let log_dir = broker.log_dir();
    wait_until(WAIT, "the partition folders are deleted", || {
        (0..5).all(|partition| !log_dir.join(format!("orders-{partition}")).exists())
    });
    let unknown = kafka.call(&delete, 4).await;
    assert_eq!(
        unknown.responses[0].error_code,
        ResponseError::UnknownTopicOrPartition.code()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_config_changes_reach_the_partition_logs() {
    let coordinator = start_coordinator();
    let dir = tempfile::tempdir().unwrap();
    let mut options = ServerOptions::new(dir.path().join("logs"));
    options.listeners = vec![ListenerOptions::plaintext("127.0.0.1", 0)];
    options.zookeeper_connect = coordinator.connect_string();
    let broker = Broker::start(options).await.unwrap();
    let mut kafka = Client::connect(broker.local_addr()).await;
    let created = kafka.call(&create_request("tuned", 1, 1), 7).await;
    assert_eq!(created.topics[0].error_code, 0);

    let overrides: BTreeMap<String, String> =
        [("retention.ms".to_owned(), "1234".to_owned())].into();
    broker
        .cluster()
        .set_topic_config("tuned", overrides.clone())
        .await
        .unwrap();
    let storage = broker.storage().clone();
    wait_until_async(WAIT, "the log runs with retention.ms=1234", || {
        let storage = storage.clone();
        async move {
            storage
                .run(|dir| {
                    Ok(dir
                        .log(&broker::log::TopicPartition::new("tuned", 0))
                        .is_some_and(|log| log.config().retention_ms == 1234))
                })
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(broker.cluster().topic_config("tuned"), Some(overrides));

    // Written as Kafka does: the entity config and a sequential change notification.
    let client = zk(&coordinator).await;
    let (bytes, _) = data(&client, &paths::topic_config("tuned")).await.unwrap();
    assert_eq!(
        EntityConfig::from_json(&bytes).unwrap().get("retention.ms"),
        Some("1234")
    );
    let changes = client.list_children(paths::CONFIG_CHANGES).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert!(changes[0].starts_with("config_change_"));
    let (bytes, _) = data(
        &client,
        &format!("{}/{}", paths::CONFIG_CHANGES, changes[0]),
    )
    .await
    .unwrap();
    assert_eq!(
        ConfigChangeNotification::from_json(&bytes)
            .unwrap()
            .entity_path,
        "topics/tuned"
    );
    assert!(broker
        .cluster()
        .set_topic_config("missing", BTreeMap::new())
        .await
        .is_err());
    broker.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_restart_does_not_stop_produce_and_fetch_and_the_broker_stays_registered() {
    let mut coordinator = start_coordinator();
    let broker =
        BrokerProcess::start(&broker_binary(), &coordinator.connect_string(), 0, &[]).unwrap();
    let mut kafka = Client::connect(broker.address()).await;
    let created = kafka.call(&create_request("steady", 1, 1), 7).await;
    assert_eq!(created.topics[0].error_code, 0);

    coordinator.kill9().unwrap();
    let produced = kafka
        .call(
            &produce_request("steady", b"while the coordinator is down"),
            9,
        )
        .await;
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
    let fetched = kafka.call(&fetch_request("steady"), 12).await;
    let partition = &fetched.responses[0].partitions[0];
    assert_eq!(partition.error_code, 0);
    assert_eq!(partition.high_watermark, 1);

    coordinator.restart().unwrap();
    let client = zk(&coordinator).await;
    wait_until_async(WAIT, "broker 0 is registered again", || async {
        exists(&client, &paths::broker_id(0)).await && exists(&client, paths::CONTROLLER).await
    })
    .await;
    let produced = kafka.call(&produce_request("steady", b"after"), 9).await;
    assert_eq!(produced.responses[0].partition_responses[0].error_code, 0);
    assert_eq!(produced.responses[0].partition_responses[0].base_offset, 1);
}
