//! Byte fixtures of what Kafka 3.x writes for each record, round trips, older versions, and
//! errors that name the record and the problem.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use super::error::UuidProblem;
use super::*;

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

fn error_text(result: Result<impl std::fmt::Debug, LayoutError>) -> String {
    result.unwrap_err().to_string()
}

fn topic_id() -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[7] = 1;
    bytes[15] = 2;
    Uuid::from_bytes(bytes)
}

fn sample_broker() -> BrokerRegistration {
    BrokerRegistration::new(
        vec![
            EndPoint::new("PLAINTEXT", "h1", 9092, SecurityProtocol::Plaintext),
            EndPoint::new("SSL", "h1", 9093, SecurityProtocol::Ssl),
        ],
        Some("r1".to_string()),
        -1,
        1_700_000_000_000,
        Vec::new(),
    )
}

#[test]
fn broker_registration_v5_bytes_follow_kafkas_hash_map_order() {
    let broker = sample_broker();
    assert_eq!(broker.host.as_deref(), Some("h1"));
    assert_eq!(broker.port, 9092);
    assert_eq!(
        text(&broker.to_json()),
        r#"{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT","SSL":"SSL"},"endpoints":["PLAINTEXT://h1:9092","SSL://h1:9093"],"rack":"r1","jmx_port":-1,"port":9092,"host":"h1","version":5,"timestamp":"1700000000000"}"#
    );
    assert_eq!(
        BrokerRegistration::from_json(&broker.to_json()).unwrap(),
        broker
    );
}

#[test]
fn broker_without_plaintext_writes_null_host_and_port_minus_one() {
    let broker = BrokerRegistration::new(
        vec![EndPoint::new("SSL", "::1", 9093, SecurityProtocol::Ssl)],
        None,
        9999,
        5,
        vec![(
            "metadata.version".to_string(),
            SupportedFeature {
                min_version: 1,
                max_version: 7,
            },
        )],
    );
    assert_eq!(
        text(&broker.to_json()),
        r#"{"features":{"metadata.version":{"min_version":1,"max_version":7}},"listener_security_protocol_map":{"SSL":"SSL"},"endpoints":["SSL://[::1]:9093"],"jmx_port":9999,"port":-1,"host":null,"version":5,"timestamp":"5"}"#
    );
    assert_eq!(
        BrokerRegistration::from_json(&broker.to_json()).unwrap(),
        broker
    );
}

#[test]
fn broker_registration_reads_older_versions() {
    let v4 = br#"{"listener_security_protocol_map":{"CLIENT":"SASL_SSL","REPLICATION":"PLAINTEXT"},"endpoints":["CLIENT://h:9092","REPLICATION://h:9093"],"rack":"dc1","jmx_port":-1,"host":null,"timestamp":"1571234567890","port":-1,"version":4}"#;
    let broker = BrokerRegistration::from_json(v4).unwrap();
    assert_eq!(broker.version, 4);
    assert_eq!(
        broker.endpoints[0].security_protocol,
        SecurityProtocol::SaslSsl
    );
    assert_eq!(broker.endpoints[1].listener_name, "REPLICATION");
    assert_eq!(broker.rack.as_deref(), Some("dc1"));
    assert!(broker.features.is_empty());

    let v2 = br#"{"version":2,"host":"h","port":9092,"jmx_port":9999,"timestamp":"2233345666","endpoints":["PLAINTEXT://h:9092","SSL://h:9093"]}"#;
    let broker = BrokerRegistration::from_json(v2).unwrap();
    assert_eq!(broker.endpoints[1].security_protocol, SecurityProtocol::Ssl);

    let v1 =
        br#"{"version":1,"host":"localhost","port":9092,"jmx_port":9999,"timestamp":"2233345666"}"#;
    let broker = BrokerRegistration::from_json(v1).unwrap();
    assert_eq!(
        broker.endpoints[0].to_string(),
        "PLAINTEXT://localhost:9092"
    );
}

#[test]
fn broker_registration_errors_name_the_problem() {
    let message = error_text(BrokerRegistration::from_json(
        br#"{"version":5,"endpoints":[]}"#,
    ));
    assert!(
        message.contains("/brokers/ids/<id>") && message.contains("jmx_port"),
        "{message}"
    );
    let message = error_text(BrokerRegistration::from_json(
        br#"{"version":0,"jmx_port":-1,"timestamp":"1"}"#,
    ));
    assert!(message.contains("unsupported version 0"), "{message}");
    let message = error_text(BrokerRegistration::from_json(
        br#"{"version":4,"jmx_port":-1,"timestamp":"1","endpoints":["CLIENT://h:1"],"listener_security_protocol_map":{}}"#,
    ));
    assert!(
        message.contains("CLIENT://h:1") && message.contains("listener_security_protocol_map"),
        "{message}"
    );
    let message = error_text(BrokerRegistration::from_json(
        br#"{"version":5,"jmx_port":-1,"timestamp":"soon","endpoints":[]}"#,
    ));
    assert!(
        message.contains("timestamp") && message.contains("soon"),
        "{message}"
    );
    let message = error_text(BrokerRegistration::from_json(b"{not json"));
    assert!(message.contains("/brokers/ids/<id>"), "{message}");
}

#[test]
fn controller_v2_and_v1_bytes() {
    let v2 = ControllerRecord::zookeeper_mode(1, 1_700_000_000_000);
    assert_eq!(
        text(&v2.to_json()),
        r#"{"version":2,"brokerid":1,"timestamp":"1700000000000","kraftControllerEpoch":-1}"#
    );
    assert_eq!(ControllerRecord::from_json(&v2.to_json()).unwrap(), v2);
    let v1 = ControllerRecord {
        broker_id: 3,
        timestamp_ms: 42,
        kraft_controller_epoch: None,
    };
    assert_eq!(
        text(&v1.to_json()),
        r#"{"version":1,"brokerid":3,"timestamp":"42"}"#
    );
    assert_eq!(ControllerRecord::from_json(&v1.to_json()).unwrap(), v1);
    let message = error_text(ControllerRecord::from_json(
        br#"{"version":2,"timestamp":"1"}"#,
    ));
    assert!(
        message.contains("/controller") && message.contains("brokerid"),
        "{message}"
    );
}

#[test]
fn controller_epoch_is_plain_decimal_text() {
    let epoch = ControllerEpochRecord { epoch: 17 };
    assert_eq!(epoch.to_json(), b"17");
    assert_eq!(ControllerEpochRecord::from_json(b"0").unwrap().epoch, 0);
    let message = error_text(ControllerEpochRecord::from_json(b"1x"));
    assert!(
        message.contains("/controller_epoch") && message.contains("1x"),
        "{message}"
    );
    assert!(matches!(
        ControllerEpochRecord::from_json(&[0xFF]),
        Err(LayoutError::NotUtf8 { .. })
    ));
}

#[test]
fn topic_assignment_v3_bytes_and_older_versions() {
    let mut assignment = TopicAssignment {
        topic_id: Some(topic_id()),
        ..TopicAssignment::default()
    };
    assignment.partitions.insert(0, vec![1, 2, 3]);
    assignment.partitions.insert(1, vec![2, 3, 1]);
    assert_eq!(
        text(&assignment.to_json()),
        r#"{"partitions":{"0":[1,2,3],"1":[2,3,1]},"topic_id":"AAAAAAAAAAEAAAAAAAAAAg","adding_replicas":{},"removing_replicas":{},"version":3}"#
    );
    assert_eq!(
        TopicAssignment::from_json(&assignment.to_json()).unwrap(),
        assignment
    );

    assignment.topic_id = None;
    assignment.adding_replicas.insert(1, vec![4]);
    assert_eq!(
        text(&assignment.to_json()),
        r#"{"partitions":{"0":[1,2,3],"1":[2,3,1]},"adding_replicas":{"1":[4]},"removing_replicas":{},"version":3}"#
    );

    let v1 = TopicAssignment::from_json(br#"{"version":1,"partitions":{"0":[0]}}"#).unwrap();
    assert_eq!(v1.partitions[&0], vec![0]);
    assert!(v1.topic_id.is_none() && v1.adding_replicas.is_empty());
    let v2 = TopicAssignment::from_json(
        br#"{"version":2,"partitions":{"0":[0]},"adding_replicas":{},"removing_replicas":{"0":[5]},"topic_id":"AAAAAAAAAAEAAAAAAAAAAg"}"#,
    )
    .unwrap();
    assert_eq!(v2.removing_replicas[&0], vec![5]);
    assert_eq!(v2.topic_id, Some(topic_id()));
}

#[test]
fn many_partitions_follow_the_grown_table_order() {
    let mut assignment = TopicAssignment::default();
    for partition in 0..12 {
        assignment.partitions.insert(partition, vec![partition]);
    }
    let json = assignment.to_json();
    let written = text(&json);
    assert!(
        written.starts_with(r#"{"partitions":{"11":[11],"0":[0],"1":[1],"#),
        "{written}"
    );
    assert!(written.contains(r#""9":[9],"10":[10]},"#), "{written}");
    assert_eq!(TopicAssignment::from_json(&json).unwrap(), assignment);
}

#[test]
fn topic_assignment_errors_name_the_problem() {
    let message = error_text(TopicAssignment::from_json(
        br#"{"version":3,"partitions":{"x":[1]}}"#,
    ));
    assert!(
        message.contains("/brokers/topics/<topic>") && message.contains("`x`"),
        "{message}"
    );
    let message = error_text(TopicAssignment::from_json(
        br#"{"version":3,"partitions":{},"topic_id":"AAAAAAAAAAAAAAAAAAAAAA"}"#,
    ));
    assert!(
        message.contains("topic_id") && message.contains("all-zero"),
        "{message}"
    );
    assert!(matches!(
        TopicAssignment::from_json(br#"{"version":3,"partitions":{},"topic_id":"short"}"#),
        Err(LayoutError::BadId {
            problem: UuidProblem::BadLength { length: 5 },
            ..
        })
    ));
    let message = error_text(TopicAssignment::from_json(
        br#"{"version":4,"partitions":{}}"#,
    ));
    assert!(message.contains("unsupported version 4"), "{message}");
    let message = error_text(TopicAssignment::from_json(br#"{"version":3}"#));
    assert!(message.contains("partitions"), "{message}");
}

#[test]
fn partition_state_bytes_match_kafka() {
    let mut state = PartitionState {
        leader: 1,
        leader_epoch: 0,
        controller_epoch: 1,
        isr: vec![1, 2, 3],
        leader_recovery_state: LeaderRecoveryState::Recovered,
    };
    assert_eq!(
        text(&state.to_json()),
        r#"{"controller_epoch":1,"leader":1,"version":1,"leader_epoch":0,"isr":[1,2,3]}"#
    );
    assert_eq!(PartitionState::from_json(&state.to_json()).unwrap(), state);
    state.leader_recovery_state = LeaderRecoveryState::Recovering;
    assert_eq!(
        text(&state.to_json()),
        r#"{"controller_epoch":1,"leader":1,"version":1,"leader_recovery_state":1,"leader_epoch":0,"isr":[1,2,3]}"#
    );
    assert_eq!(PartitionState::from_json(&state.to_json()).unwrap(), state);
    // Written by key order of the source (e.g. a hand-made fixture) reads the same.
    let reordered = br#"{"version":1,"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":[1,2,3],"leader_recovery_state":0}"#;
    assert_eq!(
        PartitionState::from_json(reordered)
            .unwrap()
            .leader_recovery_state,
        LeaderRecoveryState::Recovered
    );
}

#[test]
fn partition_state_errors_name_the_field() {
    let message = error_text(PartitionState::from_json(
        br#"{"version":1,"leader_epoch":0,"controller_epoch":1,"isr":[]}"#,
    ));
    assert!(
        message.contains("/state") && message.contains("missing field `leader`"),
        "{message}"
    );
    let message = error_text(PartitionState::from_json(
        br#"{"version":1,"leader":"one","leader_epoch":0,"controller_epoch":1,"isr":[]}"#,
    ));
    assert!(message.contains("invalid type"), "{message}");
    let message = error_text(PartitionState::from_json(
        br#"{"version":1,"leader":1,"leader_epoch":0,"controller_epoch":1,"isr":[],"leader_recovery_state":7}"#,
    ));
    assert!(
        message.contains("leader_recovery_state") && message.contains('7'),
        "{message}"
    );
}

#[test]
fn entity_config_bytes_use_properties_bucket_order() {
    let mut config = EntityConfig::default();
    config.set("retention.ms", "1000");
    config.set("cleanup.policy", "compact");
    config.set("segment.bytes", "1048576");
    config.set("min.insync.replicas", "2");
    config.set("retention.ms", "2000");
    assert_eq!(config.get("retention.ms"), Some("2000"));
    assert_eq!(
        text(&config.to_json()),
        r#"{"version":1,"config":{"cleanup.policy":"compact","min.insync.replicas":"2","retention.ms":"2000","segment.bytes":"1048576"}}"#
    );
    let parsed = EntityConfig::from_json(&config.to_json()).unwrap();
    assert_eq!(parsed.get("segment.bytes"), Some("1048576"));
    assert_eq!(parsed.config.len(), 4);
    assert_eq!(
        text(&EntityConfig::default().to_json()),
        r#"{"version":1,"config":{}}"#
    );
    let message = error_text(EntityConfig::from_json(
        br#"{"version":1,"config":{"a":1}}"#,
    ));
    assert!(
        message.contains("/config/<entity type>/<name>") && message.contains("invalid type"),
        "{message}"
    );
    assert_eq!(config.remove("retention.ms").as_deref(), Some("2000"));
}

#[test]
fn config_change_notification_v2_and_v1() {
    let change = ConfigChangeNotification {
        entity_path: "topics/t".to_string(),
    };
    assert_eq!(
        text(&change.to_json()),
        r#"{"version":2,"entity_path":"topics/t"}"#
    );
    assert_eq!(
        ConfigChangeNotification::from_json(&change.to_json()).unwrap(),
        change
    );
    let v1 = ConfigChangeNotification::from_json(
        br#"{"version":1,"entity_type":"topics","entity_name":"t"}"#,
    )
    .unwrap();
    assert_eq!(v1, change);
    let message = error_text(ConfigChangeNotification::from_json(br#"{"version":2}"#));
    assert!(
        message.contains("entity_path") && message.contains("version 2"),
        "{message}"
    );
}

#[test]
fn cluster_id_version_is_a_string() {
    let record = ClusterIdRecord {
        id: "AAAAAAAAAAEAAAAAAAAAAg".to_string(),
    };
    assert_eq!(
        text(&record.to_json()),
        r#"{"version":"1","id":"AAAAAAAAAAEAAAAAAAAAAg"}"#
    );
    assert_eq!(
        ClusterIdRecord::from_json(&record.to_json()).unwrap(),
        record
    );
    let generated = ClusterIdRecord::generate();
    Uuid::parse(&generated.id).unwrap();
    let message = error_text(ClusterIdRecord::from_json(br#"{"version":"1"}"#));
    assert!(
        message.contains("/cluster/id") && message.contains("`id`"),
        "{message}"
    );
}

#[test]
fn producer_id_block_bounds_are_strings() {
    let block = ProducerIdBlock {
        broker: 1,
        block_start: 0,
        block_end: 999,
    };
    assert_eq!(
        text(&block.to_json()),
        r#"{"version":1,"broker":1,"block_start":"0","block_end":"999"}"#
    );
    assert_eq!(ProducerIdBlock::from_json(&block.to_json()).unwrap(), block);
    let message = error_text(ProducerIdBlock::from_json(
        br#"{"version":1,"broker":1,"block_start":"0","block_end":"9x"}"#,
    ));
    assert!(
        message.contains("block_end") && message.contains("9x"),
        "{message}"
    );
    let message = error_text(ProducerIdBlock::from_json(
        br#"{"version":1,"broker":1,"block_start":0,"block_end":"9"}"#,
    ));
    assert!(message.contains("/latest_producer_id_block"), "{message}");
}

#[test]
fn partition_lists_for_isr_changes_and_preferred_election() {
    let partitions = vec![TopicPartition::new("t", 0), TopicPartition::new("u", 3)];
    let expected =
        r#"{"version":1,"partitions":[{"topic":"t","partition":0},{"topic":"u","partition":3}]}"#;
    let isr = IsrChangeNotification {
        partitions: partitions.clone(),
    };
    assert_eq!(text(&isr.to_json()), expected);
    assert_eq!(
        IsrChangeNotification::from_json(expected.as_bytes()).unwrap(),
        isr
    );
    let election = PreferredReplicaElection { partitions };
    assert_eq!(text(&election.to_json()), expected);
    assert_eq!(
        PreferredReplicaElection::from_json(expected.as_bytes()).unwrap(),
        election
    );
    let message = error_text(PreferredReplicaElection::from_json(
        br#"{"version":1,"partitions":[{"topic":"t"}]}"#,
    ));
    assert!(
        message.contains("preferred_replica_election") && message.contains("partition"),
        "{message}"
    );
}

#[test]
fn log_dir_event_and_reassignment() {
    let event = LogDirEventNotification {
        broker: 2,
        event: LogDirEventNotification::LOG_DIR_FAILURE,
    };
    assert_eq!(
        text(&event.to_json()),
        r#"{"version":1,"broker":2,"event":1}"#
    );
    assert_eq!(
        LogDirEventNotification::from_json(&event.to_json()).unwrap(),
        event
    );

    let reassign = ReassignPartitions {
        partitions: vec![PartitionReplicas {
            topic: "t".to_string(),
            partition: 0,
            replicas: vec![1, 2, 3],
        }],
    };
    assert_eq!(
        text(&reassign.to_json()),
        r#"{"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}"#
    );
    assert_eq!(
        ReassignPartitions::from_json(&reassign.to_json()).unwrap(),
        reassign
    );
    let message = error_text(ReassignPartitions::from_json(
        br#"{"version":2,"partitions":[]}"#,
    ));
    assert!(
        message.contains("reassign_partitions") && message.contains("version 2"),
        "{message}"
    );
}

#[test]
fn feature_znode_v2_and_v1() {
    let v2 = FeatureZNodeRecord {
        version: 2,
        status: FeatureStatus::Enabled,
        features: vec![(
            "metadata.version".to_string(),
            FeatureLevel {
                min_version_level: None,
                max_version_level: 7,
            },
        )],
    };
    assert_eq!(
        text(&v2.to_json()),
        r#"{"features":{"metadata.version":{"max_version_level":7}},"version":2,"status":1}"#
    );
    assert_eq!(FeatureZNodeRecord::from_json(&v2.to_json()).unwrap(), v2);

    let v1_bytes = br#"{"features":{"f":{"max_version_level":2,"min_version_level":1}},"version":1,"status":0}"#;
    let v1 = FeatureZNodeRecord::from_json(v1_bytes).unwrap();
    assert_eq!(v1.status, FeatureStatus::Disabled);
    assert_eq!(v1.features[0].1.min_version_level, Some(1));
    assert_eq!(v1.to_json(), v1_bytes.to_vec());

    let message = error_text(FeatureZNodeRecord::from_json(
        br#"{"features":{"f":{"max_version_level":2}},"version":1,"status":1}"#,
    ));
    assert!(
        message.contains("`f`") && message.contains("min_version_level"),
        "{message}"
    );
    let message = error_text(FeatureZNodeRecord::from_json(
        br#"{"features":{},"version":2,"status":5}"#,
    ));
    assert!(
        message.contains("status") && message.contains('5'),
        "{message}"
    );
    let message = error_text(FeatureZNodeRecord::from_json(
        br#"{"version":2,"status":1}"#,
    ));
    assert!(
        message.contains("/feature") && message.contains("features"),
        "{message}"
    );
}

#[test]
fn listener_map_keeps_insertion_order_up_to_four_listeners() {
    let endpoints = ["D", "C", "B", "A"]
        .iter()
        .enumerate()
        .map(|(offset, name)| {
            EndPoint::new(name, "h", 9000 + offset as u16, SecurityProtocol::Plaintext)
        })
        .collect();
    let broker = BrokerRegistration::new(endpoints, None, -1, 1, Vec::new());
    let json = broker.to_json();
    assert!(
        text(&json).contains(r#""listener_security_protocol_map":{"D":"PLAINTEXT","C":"PLAINTEXT","B":"PLAINTEXT","A":"PLAINTEXT"}"#),
        "{}",
        text(&json)
    );
    let parsed = BrokerRegistration::from_json(&json).unwrap();
    let names: BTreeMap<_, _> = parsed
        .endpoints
        .iter()
        .map(|endpoint| (endpoint.listener_name.clone(), endpoint.port))
        .collect();
    assert_eq!(names["A"], 9003);
}
