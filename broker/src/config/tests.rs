#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::properties::Properties;

use super::*;
use crate::log::config::NEVER;

const ZK: &str = "zookeeper.connect=localhost:2181\n";

fn parse(text: &str) -> Result<(BrokerConfig, Vec<ConfigWarning>), ConfigError> {
    BrokerConfig::from_properties(&Properties::parse(text).unwrap())
}

/// Parses `extra` after a `zookeeper.connect` line; panics on error or warnings.
fn config(extra: &str) -> BrokerConfig {
    let (config, warnings) = parse(&format!("{ZK}{extra}")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    config
}

fn error(extra: &str) -> String {
    parse(&format!("{ZK}{extra}")).unwrap_err().to_string()
}

fn warnings(extra: &str) -> Vec<String> {
    parse(&format!("{ZK}{extra}"))
        .unwrap()
        .1
        .into_iter()
        .map(|warning| warning.to_string())
        .collect()
}

fn listener(name: &str, host: Option<&str>, port: u16) -> Listener {
    Listener {
        name: name.to_owned(),
        host: host.map(str::to_owned),
        port,
    }
}

fn shipped(name: &str) -> (BrokerConfig, Vec<ConfigWarning>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../config")
        .join(name);
    BrokerConfig::load(&path, &[]).unwrap()
}

#[test]
fn defaults_are_kafkas() {
    let config = config("");
    let plaintext = vec![listener("PLAINTEXT", None, 9092)];
    let protocols: BTreeMap<String, String> = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
        .into_iter()
        .map(|p| (p.to_owned(), p.to_owned()))
        .collect();
    assert_eq!(
        config,
        BrokerConfig {
            broker_id: -1,
            listeners: plaintext.clone(),
            advertised_listeners: plaintext,
            listener_security_protocol_map: protocols,
            num_network_threads: 3,
            num_io_threads: 8,
            socket_send_buffer_bytes: 102_400,
            socket_receive_buffer_bytes: 102_400,
            socket_request_max_bytes: 104_857_600,
            log_dirs: vec![PathBuf::from("/tmp/kafka-logs")],
            num_partitions: 1,
            default_replication_factor: 1,
            num_recovery_threads_per_data_dir: 1,
            offsets_topic_replication_factor: 3,
            offsets_topic_num_partitions: 50,
            transaction_state_log_replication_factor: 3,
            transaction_state_log_min_isr: 2,
            log: LogConfig::default(),
            log_retention_check_interval: Duration::from_secs(300),
            zookeeper_connect: "localhost:2181".to_owned(),
            zookeeper_connection_timeout: Duration::from_secs(18),
            zookeeper_session_timeout: Duration::from_secs(18),
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            broker_rack: None,
            min_insync_replicas: 1,
            unclean_leader_election_enable: false,
            group_initial_rebalance_delay: Duration::from_secs(3),
            group_min_session_timeout: Duration::from_secs(6),
            group_max_session_timeout: Duration::from_secs(1800),
            group_max_size: i32::MAX,
            offsets_retention: Duration::from_secs(7 * 24 * 3600),
            offsets_retention_check_interval: Duration::from_secs(600),
            offsets_topic_segment_bytes: 104_857_600,
            offsets_commit_timeout: Duration::from_secs(5),
            offsets_load_buffer_size: 5_242_880,
            offset_metadata_max_bytes: 4096,
            replication: super::replication::ReplicationConfig::default(),
            cleaner: crate::log::cleaner::CleanerConfig::default(),
            auto_leader_rebalance_enable: true,
            leader_imbalance_per_broker_percentage: 10,
            leader_imbalance_check_interval: Duration::from_secs(300),
            static_settings: [("zookeeper.connect".to_owned(), "localhost:2181".to_owned())].into(),
        }
    );
    // The topic defaults Kafka documents for the broker.
    assert_eq!(config.log.segment_bytes, 1_073_741_824);
    assert_eq!(config.log.segment_ms, 168 * 3_600_000);
    assert_eq!(config.log.retention_ms, 168 * 3_600_000);
    assert_eq!(config.log.retention_bytes, -1);
    assert_eq!(config.log.index_interval_bytes, 4096);
    assert_eq!(config.log.segment_index_bytes, 10_485_760);
    assert_eq!(config.log.flush_messages, NEVER);
    assert_eq!(config.log.flush_ms, NEVER);
    assert_eq!(config.log.max_message_bytes, 1_048_588);
}

#[test]
fn log_cleaner_settings_take_kafka_defaults_and_ranges() {
    let defaults = config("").cleaner;
    assert!(defaults.enable);
    assert_eq!(defaults.threads, 1);
    assert_eq!(defaults.dedupe_buffer_size, 134_217_728);
    assert_eq!(defaults.io_buffer_size, 524_288);
    assert_eq!(defaults.backoff, Duration::from_secs(15));
    let set = config(
        "log.cleaner.enable=false\nlog.cleaner.threads=2\nlog.cleaner.dedupe.buffer.size=1048576\n\
         log.cleaner.io.buffer.size=4096\nlog.cleaner.backoff.ms=50\n\
         log.cleaner.min.cleanable.ratio=0.25\nlog.cleaner.max.compaction.lag.ms=1000\n",
    );
    assert!(!set.cleaner.enable);
    assert_eq!(set.cleaner.threads, 2);
    assert_eq!(set.cleaner.dedupe_buffer_size, 1_048_576);
    assert_eq!(set.cleaner.io_buffer_size, 4096);
    assert_eq!(set.cleaner.backoff, Duration::from_millis(50));
    assert_eq!(set.log.min_cleanable_dirty_ratio.value(), 0.25);
    assert_eq!(set.log.max_compaction_lag_ms, 1000);
    let mut properties = Properties::default();
    properties.set("zookeeper.connect", "localhost:2181");
    properties.set("log.cleaner.backoff.ms", "-1");
    assert!(BrokerConfig::from_properties(&properties).is_err());
}

#[test]
fn shipped_server_properties_loads_without_warnings() {
    let (config, warnings) = shipped("server.properties");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.broker_id, 0);
    assert_eq!(config.listeners, vec![listener("PLAINTEXT", None, 9092)]);
    assert_eq!(config.advertised_listeners, config.listeners);
    assert_eq!(config.num_network_threads, 3);
    assert_eq!(config.num_io_threads, 8);
    assert_eq!(config.socket_send_buffer_bytes, 102_400);
    assert_eq!(config.socket_receive_buffer_bytes, 102_400);
    assert_eq!(config.socket_request_max_bytes, 104_857_600);
    assert_eq!(config.log_dirs, vec![PathBuf::from("/tmp/kafka-logs")]);
    assert_eq!(config.num_partitions, 1);
    assert_eq!(config.num_recovery_threads_per_data_dir, 1);
    assert_eq!(config.offsets_topic_replication_factor, 1);
    assert_eq!(config.transaction_state_log_replication_factor, 1);
    assert_eq!(config.transaction_state_log_min_isr, 1);
    assert_eq!(config.log.retention_ms, 168 * 3_600_000);
    assert_eq!(config.log.segment_bytes, 1_073_741_824);
    assert_eq!(
        config.log_retention_check_interval,
        Duration::from_secs(300)
    );
    assert_eq!(config.zookeeper_connect, "localhost:2181");
    assert_eq!(config.zookeeper_connection_timeout, Duration::from_secs(18));
    assert_eq!(config.group_initial_rebalance_delay, Duration::ZERO);
}

#[test]
fn shipped_multi_broker_files_load_without_warnings() {
    for (file, id, port, dir) in [
        ("server-1.properties", 1, 9093, "/tmp/kafka-logs-1"),
        ("server-2.properties", 2, 9094, "/tmp/kafka-logs-2"),
    ] {
        let (config, warnings) = shipped(file);
        assert!(warnings.is_empty(), "{file}: {warnings:?}");
        assert_eq!(config.broker_id, id, "{file}");
        assert_eq!(
            config.listeners,
            vec![listener("PLAINTEXT", None, port)],
            "{file}"
        );
        assert_eq!(config.log_dirs, vec![PathBuf::from(dir)], "{file}");
        assert_eq!(config.zookeeper_connect, "localhost:2181", "{file}");
        assert_eq!(config.offsets_topic_replication_factor, 1, "{file}");
    }
}

#[test]
fn zookeeper_connect_is_required_with_kafkas_message() {
    let missing = parse("broker.id=0").unwrap_err();
    assert_eq!(
        missing.to_string(),
        "Missing required configuration `zookeeper.connect` which has no default value."
    );
    assert!(matches!(
        parse("zookeeper.connect=  ").unwrap_err(),
        ConfigError::Missing { key } if key == "zookeeper.connect"
    ));
    assert_eq!(
        config("zookeeper.connect=zk1:2181,zk2:2181/kafka").zookeeper_connect,
        "zk1:2181,zk2:2181/kafka"
    );
}

#[test]
fn values_are_trimmed_and_last_occurrence_wins() {
    let config = config("broker.id = 4  \nnum.io.threads=2\nnum.io.threads = 16\t");
    assert_eq!(config.broker_id, 4);
    assert_eq!(config.num_io_threads, 16);
}

#[test]
fn broker_id_must_be_at_least_minus_one() {
    assert_eq!(config("broker.id=-1").broker_id, -1);
    assert_eq!(config("broker.id=1001").broker_id, 1001);
    assert_eq!(
        error("broker.id=-2"),
        "Invalid value -2 for configuration broker.id: Value must be at least -1"
    );
    assert_eq!(
        error("broker.id=one"),
        "Invalid value one for configuration broker.id: Not a number of type INT"
    );
    assert_eq!(
        error("broker.id=2147483648"),
        "Invalid value 2147483648 for configuration broker.id: Not a number of type INT"
    );
}

#[test]
fn bad_values_name_key_and_value() {
    let error = parse(&format!("{ZK}num.network.threads=lots")).unwrap_err();
    assert!(matches!(
        error,
        ConfigError::Invalid { ref key, ref value, .. }
            if key == "num.network.threads" && value == "lots"
    ));
}

#[test]
fn thread_counts_must_be_positive() {
    let config =
        config("num.network.threads=5\nnum.io.threads=1\nnum.recovery.threads.per.data.dir=4");
    assert_eq!(config.num_network_threads, 5);
    assert_eq!(config.num_io_threads, 1);
    assert_eq!(config.num_recovery_threads_per_data_dir, 4);
    for key in [
        "num.network.threads",
        "num.io.threads",
        "num.recovery.threads.per.data.dir",
    ] {
        assert_eq!(
            error(&format!("{key}=0")),
            format!("Invalid value 0 for configuration {key}: Value must be at least 1")
        );
    }
}

#[test]
fn socket_buffers_take_minus_one_for_the_os_default() {
    let config = config("socket.send.buffer.bytes=-1\nsocket.receive.buffer.bytes=65536");
    assert_eq!(config.socket_send_buffer_bytes, -1);
    assert_eq!(config.socket_receive_buffer_bytes, 65536);
    assert!(error("socket.send.buffer.bytes=0").contains("-1 (the OS default) or at least 1"));
    assert_eq!(
        error("socket.receive.buffer.bytes=-2"),
        "Invalid value -2 for configuration socket.receive.buffer.bytes: Value must be at least -1"
    );
}

#[test]
fn socket_request_max_bytes_must_be_positive() {
    assert_eq!(
        config("socket.request.max.bytes=1024").socket_request_max_bytes,
        1024
    );
    assert!(error("socket.request.max.bytes=0").contains("Value must be at least 1"));
}

#[test]
fn listeners_are_parsed_and_advertised_defaults_to_them() {
    let config = config("listeners=PLAINTEXT://127.0.0.1:9092,SSL://[::1]:9093");
    let expected = vec![
        listener("PLAINTEXT", Some("127.0.0.1"), 9092),
        listener("SSL", Some("::1"), 9093),
    ];
    assert_eq!(config.listeners, expected);
    assert_eq!(config.advertised_listeners, expected);
}

#[test]
fn advertised_listeners_can_differ_from_listeners() {
    let config = config(
        "listeners=PLAINTEXT://0.0.0.0:9092\nadvertised.listeners=PLAINTEXT://broker1.example.com:19092",
    );
    assert_eq!(
        config.listeners,
        vec![listener("PLAINTEXT", Some("0.0.0.0"), 9092)]
    );
    assert_eq!(
        config.advertised_listeners,
        vec![listener("PLAINTEXT", Some("broker1.example.com"), 19092)]
    );
}

#[test]
fn malformed_listeners_are_errors_naming_key_and_value() {
    assert_eq!(
        error("listeners=localhost:9092"),
        "Invalid value localhost:9092 for configuration listeners: \
         Unable to parse localhost:9092 to a broker endpoint"
    );
    assert!(error("advertised.listeners=PLAINTEXT://h:x")
        .starts_with("Invalid value PLAINTEXT://h:x for configuration advertised.listeners"));
    assert!(error("listeners= , ").contains("At least one listener is required"));
}

#[test]
fn listeners_need_distinct_names_and_ports() {
    assert!(error("listeners=PLAINTEXT://:9092,PLAINTEXT://:9093")
        .contains("Each listener must have a different name"));
    assert!(error("listeners=PLAINTEXT://:9092,SSL://:9092")
        .contains("Each listener must have a different port; PLAINTEXT and SSL both use 9092"));
    // One IPv4 and one IPv6 address may share a port; port 0 is always distinct.
    let dual = config(
        "listener.security.protocol.map=V4:PLAINTEXT,V6:PLAINTEXT\n\
         listeners=V4://127.0.0.1:9092,V6://[::1]:9092",
    );
    assert_eq!(dual.listeners.len(), 2);
    assert_eq!(
        config("listeners=PLAINTEXT://:0,SSL://:0").listeners.len(),
        2
    );
}

#[test]
fn every_listener_needs_a_security_protocol() {
    assert_eq!(
        error("listeners=INTERNAL://:9092"),
        "Invalid value INTERNAL://:9092 for configuration listeners: \
         No security protocol defined for listener INTERNAL in listener.security.protocol.map"
    );
    let config = config(
        "listener.security.protocol.map=internal:plaintext, EXTERNAL:SASL_SSL\n\
         listeners=INTERNAL://:9092,EXTERNAL://:9093",
    );
    let expected: BTreeMap<String, String> = [("EXTERNAL", "SASL_SSL"), ("INTERNAL", "PLAINTEXT")]
        .into_iter()
        .map(|(name, protocol)| (name.to_owned(), protocol.to_owned()))
        .collect();
    assert_eq!(config.listener_security_protocol_map, expected);
}

#[test]
fn protocol_map_entries_are_checked() {
    for (bad, reason) in [
        (
            "PLAINTEXT",
            "should be of form <listener name>:<security protocol>",
        ),
        ("PLAINTEXT:TLS", "Unknown security protocol 'TLS'"),
        (":SSL", "has no listener name"),
        (
            "A:SSL,a:PLAINTEXT",
            "Listener name A is mapped more than once",
        ),
    ] {
        let message = error(&format!("listener.security.protocol.map={bad}"));
        assert!(
            message.starts_with(&format!(
                "Invalid value {bad} for configuration listener.security.protocol.map: "
            )) && message.contains(reason),
            "{bad}: {message}"
        );
    }
}

#[test]
fn advertised_listeners_must_be_routable_and_known() {
    assert!(error("advertised.listeners=PLAINTEXT://0.0.0.0:9092")
        .contains("non-routable meta-address 0.0.0.0"));
    assert!(error("advertised.listeners=PLAINTEXT://[::]:9092")
        .contains("non-routable meta-address ::"));
    assert!(error("advertised.listeners=SSL://host:9093")
        .contains("Listener SSL is not defined in listeners"));
    // A subset of the listeners is fine.
    let config =
        config("listeners=PLAINTEXT://:9092,SSL://:9093\nadvertised.listeners=SSL://host:9093");
    assert_eq!(
        config.advertised_listeners,
        vec![listener("SSL", Some("host"), 9093)]
    );
}

#[test]
fn log_dirs_win_over_log_dir() {
    assert_eq!(
        config("log.dir=/var/one").log_dirs,
        vec![PathBuf::from("/var/one")]
    );
    assert_eq!(
        config("log.dir=/var/one\nlog.dirs=/d1, /d2").log_dirs,
        vec![PathBuf::from("/d1"), PathBuf::from("/d2")]
    );
    assert!(error("log.dirs=/d1,,/d2").contains("Empty log directory"));
    assert!(error("log.dirs=").contains("Empty log directory"));
    assert_eq!(
        error("log.dirs=/d1,/d1"),
        "Invalid value /d1,/d1 for configuration log.dirs: Duplicate log directory found: /d1"
    );
}

#[test]
fn topic_defaults_and_replication_factors_are_range_checked() {
    let config = config(
        "num.partitions=6\ndefault.replication.factor=3\noffsets.topic.replication.factor=1\n\
         offsets.topic.num.partitions=10\ntransaction.state.log.replication.factor=1\n\
         transaction.state.log.min.isr=1\nmin.insync.replicas=2",
    );
    assert_eq!(config.num_partitions, 6);
    assert_eq!(config.default_replication_factor, 3);
    assert_eq!(config.offsets_topic_replication_factor, 1);
    assert_eq!(config.offsets_topic_num_partitions, 10);
    assert_eq!(config.transaction_state_log_replication_factor, 1);
    assert_eq!(config.transaction_state_log_min_isr, 1);
    assert_eq!(config.min_insync_replicas, 2);
    for key in [
        "num.partitions",
        "default.replication.factor",
        "offsets.topic.replication.factor",
        "offsets.topic.num.partitions",
        "transaction.state.log.replication.factor",
        "transaction.state.log.min.isr",
        "min.insync.replicas",
    ] {
        assert!(
            error(&format!("{key}=0")).ends_with("Value must be at least 1"),
            "{key}"
        );
    }
    assert_eq!(
        error("offsets.topic.replication.factor=40000"),
        "Invalid value 40000 for configuration offsets.topic.replication.factor: \
         Not a number of type SHORT"
    );
    assert_eq!(
        error("default.replication.factor=40000"),
        "Invalid value 40000 for configuration default.replication.factor: \
         Value must be no more than 32767"
    );
}

#[test]
fn segment_roll_prefers_ms_over_hours() {
    assert_eq!(config("log.roll.hours=2").log.segment_ms, 7_200_000);
    assert_eq!(
        config("log.roll.hours=2\nlog.roll.ms=1500").log.segment_ms,
        1500
    );
    assert!(error("log.roll.hours=0").contains("Value must be at least 1"));
    assert!(error("log.roll.ms=0").contains("Value must be at least 1"));
}

#[test]
fn retention_prefers_ms_then_minutes_then_hours() {
    assert_eq!(config("log.retention.hours=1").log.retention_ms, 3_600_000);
    assert_eq!(
        config("log.retention.hours=1\nlog.retention.minutes=5")
            .log
            .retention_ms,
        300_000
    );
    assert_eq!(
        config("log.retention.hours=1\nlog.retention.minutes=5\nlog.retention.ms=42")
            .log
            .retention_ms,
        42
    );
}

#[test]
fn negative_retention_keeps_forever_and_zero_is_refused() {
    assert_eq!(config("log.retention.ms=-1").log.retention_ms, -1);
    assert_eq!(config("log.retention.hours=-5").log.retention_ms, -1);
    assert_eq!(
        error("log.retention.minutes=0"),
        "Invalid value 0 for configuration log.retention.minutes: \
         log.retention.ms must be unlimited (-1) or, equal or greater than 1"
    );
    assert!(error("log.retention.hours=many").contains("Not a number of type INT"));
}

#[test]
fn log_sizes_and_flush_settings_are_read() {
    let log = config(
        "log.segment.bytes=1048576\nlog.retention.bytes=1000000\nlog.index.interval.bytes=0\n\
         log.index.size.max.bytes=4096\nlog.flush.interval.messages=10000\n\
         log.flush.interval.ms=1000\nmessage.max.bytes=2000000",
    )
    .log;
    assert_eq!(log.segment_bytes, 1_048_576);
    assert_eq!(log.retention_bytes, 1_000_000);
    assert_eq!(log.index_interval_bytes, 0);
    assert_eq!(log.segment_index_bytes, 4096);
    assert_eq!(log.flush_messages, 10_000);
    assert_eq!(log.flush_ms, 1000);
    assert_eq!(log.max_message_bytes, 2_000_000);
    assert!(log.validate().is_ok());
    assert_eq!(config("log.retention.bytes=-7").log.retention_bytes, -1);
}

#[test]
fn log_sizes_below_their_floors_are_refused() {
    for (setting, floor) in [
        ("log.segment.bytes=13", "Value must be at least 14"),
        ("log.index.size.max.bytes=11", "Value must be at least 12"),
        ("log.index.interval.bytes=-1", "Value must be at least 0"),
        ("log.flush.interval.messages=0", "Value must be at least 1"),
        ("log.flush.interval.ms=-1", "Value must be at least 0"),
        ("message.max.bytes=-1", "Value must be at least 0"),
    ] {
        assert!(error(setting).ends_with(floor), "{setting}");
    }
    assert!(error("log.segment.bytes=4294967296").ends_with("Not a number of type INT"));
    assert!(error("log.flush.interval.ms=soon").ends_with("Not a number of type LONG"));
}

#[test]
fn timestamp_type_is_one_of_kafkas_two_names() {
    assert_eq!(
        config("log.message.timestamp.type=LogAppendTime")
            .log
            .message_timestamp_type,
        TimestampType::LogAppendTime
    );
    assert_eq!(
        error("log.message.timestamp.type=logappendtime"),
        "Invalid value logappendtime for configuration log.message.timestamp.type: \
         String must be one of: CreateTime, LogAppendTime"
    );
}

#[test]
fn zookeeper_connection_timeout_defaults_to_the_session_timeout() {
    let config = config("zookeeper.session.timeout.ms=6000");
    assert_eq!(config.zookeeper_session_timeout, Duration::from_secs(6));
    assert_eq!(config.zookeeper_connection_timeout, Duration::from_secs(6));
    let both =
        self::config("zookeeper.session.timeout.ms=6000\nzookeeper.connection.timeout.ms=1000");
    assert_eq!(both.zookeeper_connection_timeout, Duration::from_secs(1));
    assert!(error("zookeeper.session.timeout.ms=0").contains("Value must be at least 1"));
}

#[test]
fn intervals_and_delays_are_milliseconds() {
    let config = config("log.retention.check.interval.ms=1000\ngroup.initial.rebalance.delay.ms=0");
    assert_eq!(config.log_retention_check_interval, Duration::from_secs(1));
    assert_eq!(config.group_initial_rebalance_delay, Duration::ZERO);
    assert!(error("log.retention.check.interval.ms=0").contains("Value must be at least 1"));
    assert!(error("group.initial.rebalance.delay.ms=-1").contains("Value must be at least 0"));
}

#[test]
fn group_and_offsets_settings_are_checked() {
    let config = config(
        "group.min.session.timeout.ms=100\ngroup.max.session.timeout.ms=2000\n\
         group.max.size=3\noffsets.retention.minutes=2\n\
         offsets.retention.check.interval.ms=500\noffsets.topic.segment.bytes=4096\n\
         offsets.commit.timeout.ms=1000\noffset.metadata.max.bytes=10",
    );
    assert_eq!(config.group_min_session_timeout, Duration::from_millis(100));
    assert_eq!(config.group_max_session_timeout, Duration::from_secs(2));
    assert_eq!(config.group_max_size, 3);
    assert_eq!(config.offsets_retention, Duration::from_secs(120));
    assert_eq!(
        config.offsets_retention_check_interval,
        Duration::from_millis(500)
    );
    assert_eq!(config.offsets_topic_segment_bytes, 4096);
    assert_eq!(config.offsets_commit_timeout, Duration::from_secs(1));
    assert_eq!(config.offset_metadata_max_bytes, 10);
    assert!(error("group.max.size=0").contains("Value must be at least 1"));
    assert!(error("offsets.retention.minutes=0").contains("Value must be at least 1"));
    assert!(error("offsets.retention.check.interval.ms=0").contains("Value must be at least 1"));
    assert!(error("offsets.topic.segment.bytes=0").contains("Value must be at least 1"));
    assert!(
        error("group.min.session.timeout.ms=7000\ngroup.max.session.timeout.ms=6000")
            .contains("group.max.session.timeout.ms")
    );
    assert!(warnings("offset.metadata.max.bytes=100").is_empty());
}

#[test]
fn leader_rebalance_settings_have_kafkas_defaults_and_checks() {
    let defaults = config("");
    assert!(defaults.auto_leader_rebalance_enable);
    assert_eq!(defaults.leader_imbalance_per_broker_percentage, 10);
    assert_eq!(
        defaults.leader_imbalance_check_interval,
        Duration::from_secs(300)
    );
    let set = config(
        "auto.leader.rebalance.enable=false
leader.imbalance.per.broker.percentage=25
         leader.imbalance.check.interval.seconds=5",
    );
    assert!(!set.auto_leader_rebalance_enable);
    assert_eq!(set.leader_imbalance_per_broker_percentage, 25);
    assert_eq!(set.leader_imbalance_check_interval, Duration::from_secs(5));
    assert_eq!(
        error("leader.imbalance.check.interval.seconds=0"),
        "Invalid value 0 for configuration leader.imbalance.check.interval.seconds: \
         Value must be at least 1"
    );
    assert!(error("leader.imbalance.per.broker.percentage=ten")
        .starts_with("Invalid value ten for configuration leader.imbalance.per.broker.percentage"));
    assert!(error("auto.leader.rebalance.enable=maybe").contains("auto.leader.rebalance.enable"));
}

#[test]
fn booleans_are_true_or_false_in_any_case() {
    let config = config(
        "auto.create.topics.enable=FALSE\ndelete.topic.enable=false\n\
         unclean.leader.election.enable=True",
    );
    assert!(!config.auto_create_topics_enable);
    assert!(!config.delete_topic_enable);
    assert!(config.unclean_leader_election_enable);
    assert_eq!(
        error("delete.topic.enable=yes"),
        "Invalid value yes for configuration delete.topic.enable: \
         Expected value to be either true or false"
    );
}

#[test]
fn broker_rack_is_optional() {
    assert_eq!(
        config("broker.rack=eu-west-1a").broker_rack.as_deref(),
        Some("eu-west-1a")
    );
    assert_eq!(config("broker.rack=").broker_rack, None);
}

#[test]
fn known_kafka_keys_not_acted_on_are_accepted_silently() {
    let text = "ssl.keystore.location=/ks\nsasl.enabled.mechanisms=PLAIN\n\
                replica.lag.time.max.ms=30000\ngroup.min.session.timeout.ms=6000\n\
                transaction.max.timeout.ms=900000\nlog.cleaner.enable=true\n\
                controlled.shutdown.enable=true\nauto.leader.rebalance.enable=true\n\
                listener.name.sasl_ssl.plain.sasl.jaas.config=x\nnum.replica.fetchers=2\n\
                offsets.retention.minutes=10080\ninter.broker.listener.name=PLAINTEXT\n\
                compression.type=producer";
    assert_eq!(warnings(text), Vec::<String>::new());
}

#[test]
fn unknown_keys_are_warned_once_by_name() {
    assert_eq!(
        warnings("frobnicate=1\nfrobnicate=2\nport=9092\nBroker.id=3"),
        vec![
            "The configuration 'frobnicate' was supplied but isn't a known config; ignored",
            "The configuration 'port' was supplied but isn't a known config; ignored",
            "The configuration 'Broker.id' was supplied but isn't a known config; ignored",
        ]
    );
}

#[test]
fn load_applies_overrides_on_top_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    std::fs::write(
        &path,
        "broker.id=0\nzookeeper.connect=localhost:2181\nlisteners=PLAINTEXT://:9092\n",
    )
    .unwrap();
    let overrides = [
        ("broker.id".to_owned(), "7".to_owned()),
        ("listeners".to_owned(), "PLAINTEXT://:0".to_owned()),
        ("log.dirs".to_owned(), "/tmp/elsewhere".to_owned()),
        ("broker.id".to_owned(), "8".to_owned()),
    ];
    let (config, warnings) = BrokerConfig::load(&path, &overrides).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(config.broker_id, 8);
    assert_eq!(config.listeners, vec![listener("PLAINTEXT", None, 0)]);
    assert_eq!(config.log_dirs, vec![PathBuf::from("/tmp/elsewhere")]);

    let bad = [("num.io.threads".to_owned(), "none".to_owned())];
    assert!(matches!(
        BrokerConfig::load(&path, &bad).unwrap_err(),
        ConfigError::Invalid { key, .. } if key == "num.io.threads"
    ));
}

#[test]
fn load_names_the_path_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("absent.properties");
    let error = BrokerConfig::load(&missing, &[]).unwrap_err();
    assert!(matches!(error, ConfigError::Load { ref path, .. } if *path == missing));
    assert!(error.to_string().contains("absent.properties"), "{error}");
}
