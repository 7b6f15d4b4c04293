//! Tests of the topic-config catalog, validation, [`LogConfig::with_overrides`] and the
//! DescribeConfigs views.

use std::collections::BTreeMap;

use common::properties::Properties;

use super::*;

fn load_broker(text: &str) -> BrokerConfig {
    let properties =
        Properties::parse(&format!("zookeeper.connect=localhost:2181\n{text}")).unwrap();
    BrokerConfig::from_properties(&properties).unwrap().0
}

fn broker_error(text: &str) -> String {
    let properties =
        Properties::parse(&format!("zookeeper.connect=localhost:2181\n{text}")).unwrap();
    BrokerConfig::from_properties(&properties)
        .unwrap_err()
        .to_string()
}

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn all() -> DescribeOptions<'static> {
    DescribeOptions {
        keys: None,
        include_synonyms: true,
        include_documentation: false,
    }
}

fn entry<'a>(entries: &'a [ConfigEntry], name: &str) -> &'a ConfigEntry {
    entries.iter().find(|entry| entry.name == name).unwrap()
}

fn synonyms(entry: &ConfigEntry) -> Vec<(String, Option<String>, ConfigSource)> {
    entry
        .synonyms
        .iter()
        .map(|s| (s.name.clone(), s.value.clone(), s.source))
        .collect()
}

fn syn(name: &str, value: &str, source: ConfigSource) -> (String, Option<String>, ConfigSource) {
    (name.to_owned(), Some(value.to_owned()), source)
}

fn error(pairs: &[(&str, &str)]) -> String {
    validate_topic_overrides(&overrides(pairs))
        .unwrap_err()
        .to_string()
}

#[test]
fn catalog_defaults_and_types_are_kafkas() {
    use ConfigType::{Boolean, Double, Int, List, Long, String};
    let long_max = "9223372036854775807";
    let expected: [(&str, ConfigType, &str); 31] = [
        ("cleanup.policy", List, "delete"),
        ("compression.type", String, "producer"),
        ("delete.retention.ms", Long, "86400000"),
        ("file.delete.delay.ms", Long, "60000"),
        ("flush.messages", Long, long_max),
        ("flush.ms", Long, long_max),
        ("follower.replication.throttled.replicas", List, ""),
        ("index.interval.bytes", Int, "4096"),
        ("leader.replication.throttled.replicas", List, ""),
        ("local.retention.bytes", Long, "-2"),
        ("local.retention.ms", Long, "-2"),
        ("max.compaction.lag.ms", Long, long_max),
        ("max.message.bytes", Int, "1048588"),
        ("message.downconversion.enable", Boolean, "true"),
        ("message.format.version", String, "3.0-IV1"),
        ("message.timestamp.after.max.ms", Long, long_max),
        ("message.timestamp.before.max.ms", Long, long_max),
        ("message.timestamp.difference.max.ms", Long, long_max),
        ("message.timestamp.type", String, "CreateTime"),
        ("min.cleanable.dirty.ratio", Double, "0.5"),
        ("min.compaction.lag.ms", Long, "0"),
        ("min.insync.replicas", Int, "1"),
        ("preallocate", Boolean, "false"),
        ("remote.storage.enable", Boolean, "false"),
        ("retention.bytes", Long, "-1"),
        ("retention.ms", Long, "604800000"),
        ("segment.bytes", Int, "1073741824"),
        ("segment.index.bytes", Int, "10485760"),
        ("segment.jitter.ms", Long, "0"),
        ("segment.ms", Long, "604800000"),
        ("unclean.leader.election.enable", Boolean, "false"),
    ];
    let actual: Vec<_> = TOPIC_CONFIGS
        .iter()
        .map(|entry| (entry.name, entry.config_type, entry.default))
        .collect();
    assert_eq!(actual, expected);
    // Every default is itself valid.
    for entry in &TOPIC_CONFIGS {
        assert!(check_value(entry, entry.default).is_ok(), "{}", entry.name);
    }
}

#[test]
fn type_and_source_ids_are_kafkas() {
    assert_eq!(
        [
            ConfigType::Boolean,
            ConfigType::String,
            ConfigType::Int,
            ConfigType::Short,
            ConfigType::Long,
            ConfigType::Double,
            ConfigType::List,
            ConfigType::Class,
            ConfigType::Password
        ]
        .map(ConfigType::id),
        [1, 2, 3, 4, 5, 6, 7, 8, 9]
    );
    assert_eq!(
        [
            ConfigSource::Unknown,
            ConfigSource::DynamicTopicConfig,
            ConfigSource::DynamicBrokerConfig,
            ConfigSource::DynamicDefaultBrokerConfig,
            ConfigSource::StaticBrokerConfig,
            ConfigSource::DefaultConfig,
            ConfigSource::DynamicBrokerLoggerConfig
        ]
        .map(ConfigSource::id),
        [0, 1, 2, 3, 4, 5, 6]
    );
}

#[test]
fn synonym_chains_are_kafkas_and_every_synonym_is_a_listed_broker_key() {
    let chain = |name: &str| -> Vec<(&str, i64)> {
        topic_config(name)
            .unwrap()
            .synonyms
            .iter()
            .map(|s| (s.name, s.factor))
            .collect()
    };
    assert_eq!(
        chain("retention.ms"),
        [
            ("log.retention.ms", 1),
            ("log.retention.minutes", 60_000),
            ("log.retention.hours", 3_600_000)
        ]
    );
    assert_eq!(
        chain("segment.ms"),
        [("log.roll.ms", 1), ("log.roll.hours", 3_600_000)]
    );
    assert_eq!(
        chain("segment.jitter.ms"),
        [
            ("log.roll.jitter.ms", 1),
            ("log.roll.jitter.hours", 3_600_000)
        ]
    );
    assert_eq!(
        chain("flush.ms"),
        [
            ("log.flush.interval.ms", 1),
            ("log.flush.scheduler.interval.ms", 1)
        ]
    );
    assert_eq!(chain("segment.bytes"), [("log.segment.bytes", 1)]);
    assert_eq!(chain("max.message.bytes"), [("message.max.bytes", 1)]);
    assert_eq!(chain("cleanup.policy"), [("log.cleanup.policy", 1)]);
    assert_eq!(chain("min.insync.replicas"), [("min.insync.replicas", 1)]);
    assert_eq!(
        chain("segment.index.bytes"),
        [("log.index.size.max.bytes", 1)]
    );
    assert_eq!(
        chain("min.cleanable.dirty.ratio"),
        [("log.cleaner.min.cleanable.ratio", 1)]
    );
    assert_eq!(
        chain("file.delete.delay.ms"),
        [("log.segment.delete.delay.ms", 1)]
    );
    assert_eq!(
        chain("delete.retention.ms"),
        [("log.cleaner.delete.retention.ms", 1)]
    );
    assert!(chain("remote.storage.enable").is_empty());
    assert!(chain("leader.replication.throttled.replicas").is_empty());

    for entry in &TOPIC_CONFIGS {
        for synonym in entry.synonyms {
            assert!(
                broker_config(synonym.name).is_some(),
                "{} is not listed",
                synonym.name
            );
        }
        // The topic default is what its broker synonyms default to.
        let derived = entry.synonyms.iter().find_map(|synonym| {
            let default = BROKER_CONFIGS
                .iter()
                .find(|b| b.name == synonym.name)?
                .default?;
            Some(match default.parse::<i64>() {
                Ok(number) => number.saturating_mul(synonym.factor).to_string(),
                Err(_) => default.to_owned(),
            })
        });
        if let Some(derived) = derived {
            assert_eq!(derived, entry.default, "{}", entry.name);
        }
    }
}

#[test]
fn catalogs_are_sorted_unique_and_cover_every_parsed_broker_key() {
    let names: Vec<_> = TOPIC_CONFIGS.iter().map(|entry| entry.name).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted);
    let mut broker_names: Vec<_> = BROKER_CONFIGS.iter().map(|entry| entry.name).collect();
    broker_names.sort_unstable();
    broker_names.dedup();
    assert_eq!(broker_names.len(), BROKER_CONFIGS.len());
    for key in super::super::keys::USED {
        assert!(
            broker_config(key).is_some(),
            "{key} missing from BROKER_CONFIGS"
        );
    }
}

#[test]
fn validation_messages_are_kafkas() {
    let cases: [(&[(&str, &str)], &str); 16] = [
        (&[("cleanup.policy", "foo")], "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete"),
        (&[("cleanup.policy", "delete, shred")], "Invalid value shred for configuration cleanup.policy: String must be one of: compact, delete"),
        (&[("compression.type", "brotli")], "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"),
        (&[("message.timestamp.type", "createtime")], "Invalid value createtime for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"),
        (&[("foo", "1")], "Unknown topic config name: foo"),
        (&[("retention.ms", "abc")], "Invalid value abc for configuration retention.ms: Not a number of type LONG"),
        (&[("segment.bytes", "3000000000")], "Invalid value 3000000000 for configuration segment.bytes: Not a number of type INT"),
        (&[("segment.bytes", "13")], "Invalid value 13 for configuration segment.bytes: Value must be at least 14"),
        (&[("retention.ms", "-2")], "Invalid value -2 for configuration retention.ms: Value must be at least -1"),
        (&[("min.insync.replicas", "0")], "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"),
        (&[("preallocate", "yes")], "Invalid value yes for configuration preallocate: Expected value to be either true or false"),
        (&[("min.cleanable.dirty.ratio", "1.1")], "Invalid value 1.1 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"),
        (&[("min.cleanable.dirty.ratio", "x")], "Invalid value x for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"),
        (&[("leader.replication.throttled.replicas", "0:1,x")], "Invalid value [0:1, x] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."),
        (&[("min.compaction.lag.ms", "10"), ("max.compaction.lag.ms", "5")], "conflict topic config setting min.compaction.lag.ms (10) > max.compaction.lag.ms (5)"),
        (&[("remote.storage.enable", "true")], "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."),
    ];
    for (pairs, message) in cases {
        assert_eq!(error(pairs), message, "{pairs:?}");
    }
    // Unknown names are reported before bad values.
    assert_eq!(
        error(&[("retention.ms", "x"), ("zzz", "1")]),
        "Unknown topic config name: zzz"
    );
    assert_eq!(error(&[("message.format.version", "9.9")]), "Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version");
}

#[test]
fn valid_values_pass() {
    let valid = overrides(&[
        ("cleanup.policy", "compact, delete"),
        ("compression.type", "zstd"),
        ("retention.ms", "-1"),
        ("retention.bytes", "-5"),
        ("segment.bytes", " 1048576 "),
        ("preallocate", "TRUE"),
        ("min.cleanable.dirty.ratio", "0"),
        ("message.format.version", "2.8-IV1"),
        ("follower.replication.throttled.replicas", "*"),
        ("leader.replication.throttled.replicas", "0:1, 1:2"),
        ("remote.storage.enable", "false"),
        ("local.retention.ms", "-2"),
    ]);
    assert_eq!(validate_topic_overrides(&valid), Ok(()));
    assert_eq!(
        validate_topic_overrides(&overrides(&[("cleanup.policy", "")])),
        Ok(())
    );
    assert_eq!(
        validate_topic_overrides(&overrides(&[("message.format.version", "0.10.2")])),
        Ok(())
    );
    assert_eq!(
        validate_topic_overrides(&overrides(&[("message.format.version", "2.8.1")])),
        Ok(())
    );
}

#[test]
fn errors_carry_kafkas_codes() {
    let value = validate_topic_overrides(&overrides(&[("retention.ms", "x")])).unwrap_err();
    assert_eq!(value.error_code(), ResponseError::InvalidConfig);
    assert!(value.is_value_error());
    let unknown = validate_topic_overrides(&overrides(&[("x", "1")])).unwrap_err();
    assert_eq!(unknown.error_code(), ResponseError::InvalidConfig);
    assert!(!unknown.is_value_error());
}

#[test]
fn with_overrides_maps_every_key_the_log_has() {
    let base = LogConfig::default();
    let config = base
        .with_overrides(&overrides(&[
            ("retention.ms", "1000"),
            ("retention.bytes", "2048"),
            ("segment.bytes", "1048576"),
            ("segment.ms", "60000"),
            ("index.interval.bytes", "100"),
            ("segment.index.bytes", "4096"),
            ("message.timestamp.type", "LogAppendTime"),
            ("flush.messages", "10"),
            ("flush.ms", "500"),
            ("max.message.bytes", "2000000"),
            ("cleanup.policy", "compact,delete"),
            ("min.insync.replicas", "2"),
            ("compression.type", "lz4"),
            ("min.compaction.lag.ms", "7"),
            ("delete.retention.ms", "8"),
            ("max.compaction.lag.ms", "9"),
            ("min.cleanable.dirty.ratio", "0.25"),
            ("preallocate", "true"),
        ]))
        .unwrap();
    assert_eq!(
        config,
        LogConfig {
            segment_bytes: 1_048_576,
            segment_ms: 60_000,
            retention_ms: 1000,
            retention_bytes: 2048,
            index_interval_bytes: 100,
            segment_index_bytes: 4096,
            message_timestamp_type: TimestampType::LogAppendTime,
            flush_messages: 10,
            flush_ms: 500,
            max_message_bytes: 2_000_000,
            cleanup_policy: CleanupPolicy {
                delete: true,
                compact: true
            },
            compression_type: TopicCompression::Lz4,
            min_insync_replicas: 2,
            min_compaction_lag_ms: 7,
            delete_retention_ms: 8,
            max_compaction_lag_ms: 9,
            min_cleanable_dirty_ratio: DirtyRatio(0.25),
        }
    );
    assert!(config.validate().is_ok());
    // No overrides: the broker's defaults unchanged.
    assert_eq!(base.with_overrides(&BTreeMap::new()).unwrap(), base);
    // Invalid overrides are refused, not half applied.
    assert_eq!(
        base.with_overrides(&overrides(&[("segment.bytes", "1")]))
            .unwrap_err(),
        TopicConfigError::InvalidValue {
            name: "segment.bytes".to_owned(),
            value: "1".to_owned(),
            reason: "Value must be at least 14".to_owned(),
        }
    );
}

#[test]
fn describe_topic_with_no_overrides_shows_kafkas_defaults() {
    let broker = load_broker("");
    let entries = describe_topic(&BTreeMap::new(), &broker, all());
    assert_eq!(entries.len(), TOPIC_CONFIGS.len());
    for (entry, definition) in entries.iter().zip(TOPIC_CONFIGS.iter()) {
        assert_eq!(entry.name, definition.name);
        assert_eq!(
            entry.value.as_deref(),
            Some(definition.default),
            "{}",
            entry.name
        );
        assert_eq!(entry.source, ConfigSource::DefaultConfig, "{}", entry.name);
        assert!(!entry.read_only && !entry.is_sensitive);
        assert_eq!(entry.documentation, None);
    }
    // Kafka drops every synonym ahead of the primary broker key: none of the retention or
    // roll keys has a default of its own.
    for name in [
        "retention.ms",
        "segment.ms",
        "segment.jitter.ms",
        "flush.ms",
        "remote.storage.enable",
    ] {
        assert!(entry(&entries, name).synonyms.is_empty(), "{name}");
    }
    assert_eq!(
        synonyms(entry(&entries, "segment.bytes")),
        [syn(
            "log.segment.bytes",
            "1073741824",
            ConfigSource::DefaultConfig
        )]
    );
    assert_eq!(
        synonyms(entry(&entries, "max.message.bytes")),
        [syn(
            "message.max.bytes",
            "1048588",
            ConfigSource::DefaultConfig
        )]
    );
    assert_eq!(
        synonyms(entry(&entries, "cleanup.policy")),
        [syn(
            "log.cleanup.policy",
            "delete",
            ConfigSource::DefaultConfig
        )]
    );
    assert_eq!(
        synonyms(entry(&entries, "min.cleanable.dirty.ratio")),
        [syn(
            "log.cleaner.min.cleanable.ratio",
            "0.5",
            ConfigSource::DefaultConfig
        )]
    );
}

#[test]
fn describe_topic_reports_overrides_first_then_the_file_then_defaults() {
    let broker =
        load_broker("log.segment.bytes=536870912\nlog.retention.hours=24\nlog.retention.ms=5000\n");
    let entries = describe_topic(
        &overrides(&[
            ("cleanup.policy", "compact, delete"),
            ("segment.bytes", "1048576"),
        ]),
        &broker,
        all(),
    );
    let cleanup = entry(&entries, "cleanup.policy");
    assert_eq!(cleanup.value.as_deref(), Some("compact,delete"));
    assert_eq!(cleanup.source, ConfigSource::DynamicTopicConfig);
    assert_eq!(
        synonyms(cleanup),
        [
            syn(
                "cleanup.policy",
                "compact,delete",
                ConfigSource::DynamicTopicConfig
            ),
            syn("log.cleanup.policy", "delete", ConfigSource::DefaultConfig),
        ]
    );
    let segment = entry(&entries, "segment.bytes");
    assert_eq!(segment.value.as_deref(), Some("1048576"));
    assert_eq!(
        synonyms(segment),
        [
            syn("segment.bytes", "1048576", ConfigSource::DynamicTopicConfig),
            syn(
                "log.segment.bytes",
                "536870912",
                ConfigSource::StaticBrokerConfig
            ),
            syn(
                "log.segment.bytes",
                "1073741824",
                ConfigSource::DefaultConfig
            ),
        ]
    );
    let retention = entry(&entries, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("5000"));
    assert_eq!(retention.source, ConfigSource::StaticBrokerConfig);
    assert_eq!(
        synonyms(retention),
        [
            syn("log.retention.ms", "5000", ConfigSource::StaticBrokerConfig),
            syn(
                "log.retention.hours",
                "24",
                ConfigSource::StaticBrokerConfig
            ),
            syn("log.retention.hours", "168", ConfigSource::DefaultConfig),
        ]
    );
}

#[test]
fn a_lower_priority_synonym_sets_the_value_but_is_not_listed() {
    // As in Kafka: log.retention.minutes decides retention.ms, yet the synonym list starts
    // at log.retention.ms, which is unset, so it is empty and the source is the default.
    let broker =
        load_broker("log.retention.minutes=5\nlog.roll.jitter.hours=1\nlog.preallocate=true\n");
    let entries = describe_topic(&BTreeMap::new(), &broker, all());
    let retention = entry(&entries, "retention.ms");
    assert_eq!(retention.value.as_deref(), Some("300000"));
    assert_eq!(retention.source, ConfigSource::DefaultConfig);
    assert!(retention.synonyms.is_empty());
    assert_eq!(
        entry(&entries, "segment.jitter.ms").value.as_deref(),
        Some("3600000")
    );
    let preallocate = entry(&entries, "preallocate");
    assert_eq!(preallocate.value.as_deref(), Some("true"));
    assert_eq!(preallocate.source, ConfigSource::StaticBrokerConfig);
}

#[test]
fn describe_topic_honours_the_key_filter_synonyms_and_documentation() {
    let broker = load_broker("");
    let keys = [
        "retention.ms".to_owned(),
        "nope".to_owned(),
        "segment.bytes".to_owned(),
    ];
    let entries = describe_topic(
        &overrides(&[("retention.ms", "1")]),
        &broker,
        DescribeOptions {
            keys: Some(&keys),
            include_synonyms: false,
            include_documentation: true,
        },
    );
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["retention.ms", "segment.bytes"]);
    assert!(entries.iter().all(|e| e.synonyms.is_empty()));
    assert!(entries
        .iter()
        .all(|e| e.documentation.is_some_and(|d| !d.is_empty())));
    // The source is still the override's even without synonyms.
    assert_eq!(entries[0].source, ConfigSource::DynamicTopicConfig);
}

#[test]
fn stored_overrides_that_do_not_parse_are_shown_as_stored() {
    let broker = load_broker("");
    let entries = describe_topic(
        &overrides(&[("retention.ms", "soon"), ("bogus", "1")]),
        &broker,
        all(),
    );
    assert_eq!(
        entry(&entries, "retention.ms").value.as_deref(),
        Some("soon")
    );
    assert!(entries.iter().all(|e| e.name != "bogus"));
}

#[test]
fn broker_topic_defaults_from_the_file_are_checked_and_applied() {
    let broker = load_broker(
        "log.cleanup.policy=compact\ncompression.type=gzip\nlog.cleaner.min.compaction.lag.ms=5\n\
         log.cleaner.delete.retention.ms=6\nmin.insync.replicas=2\n",
    );
    assert_eq!(
        broker.log.cleanup_policy,
        CleanupPolicy {
            delete: false,
            compact: true
        }
    );
    assert_eq!(broker.log.compression_type, TopicCompression::Gzip);
    assert_eq!(broker.log.min_compaction_lag_ms, 5);
    assert_eq!(broker.log.delete_retention_ms, 6);
    assert_eq!(broker.log.min_insync_replicas, 2);
    let entries = describe_topic(&BTreeMap::new(), &broker, all());
    assert_eq!(
        entry(&entries, "cleanup.policy").value.as_deref(),
        Some("compact")
    );
    assert_eq!(
        entry(&entries, "compression.type").value.as_deref(),
        Some("gzip")
    );
    assert_eq!(
        entry(&entries, "min.insync.replicas").value.as_deref(),
        Some("2")
    );
    assert_eq!(
        synonyms(entry(&entries, "compression.type")),
        [
            syn("compression.type", "gzip", ConfigSource::StaticBrokerConfig),
            syn("compression.type", "producer", ConfigSource::DefaultConfig),
        ]
    );
    // A topic override still wins over the broker's default.
    let topic = broker
        .log
        .with_overrides(&overrides(&[("cleanup.policy", "delete")]))
        .unwrap();
    assert_eq!(topic.cleanup_policy, CleanupPolicy::DELETE);

    assert_eq!(
        broker_error("log.cleanup.policy=shred\n"),
        "Invalid value shred for configuration log.cleanup.policy: String must be one of: compact, delete"
    );
    assert_eq!(
        broker_error("compression.type=brotli\n"),
        "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"
    );
}

#[test]
fn describe_broker_shows_file_values_defaults_and_hides_passwords() {
    let broker = load_broker(
        "broker.id=0\nlog.retention.hours=168\nauto.create.topics.enable=FALSE\nssl.key.password=hunter2\n",
    );
    let entries = describe_broker(&broker, all());
    assert_eq!(entries.len(), BROKER_CONFIGS.len());
    let names: Vec<_> = entries.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert!(entries.iter().all(|e| e.read_only));

    let id = entry(&entries, "broker.id");
    assert_eq!(id.value.as_deref(), Some("0"));
    assert_eq!(id.source, ConfigSource::StaticBrokerConfig);
    assert_eq!(id.config_type, ConfigType::Int);

    let auto_create = entry(&entries, "auto.create.topics.enable");
    assert_eq!(auto_create.value.as_deref(), Some("false"));

    let hours = entry(&entries, "log.retention.hours");
    assert_eq!(hours.source, ConfigSource::StaticBrokerConfig);
    assert_eq!(
        synonyms(hours),
        [
            syn(
                "log.retention.hours",
                "168",
                ConfigSource::StaticBrokerConfig
            ),
            syn("log.retention.hours", "168", ConfigSource::DefaultConfig),
        ]
    );
    // Keys without a Kafka default show null.
    let millis = entry(&entries, "log.retention.ms");
    assert_eq!(millis.value, None);
    assert_eq!(millis.source, ConfigSource::DefaultConfig);
    assert!(millis.synonyms.is_empty());

    let threads = entry(&entries, "num.io.threads");
    assert_eq!(threads.value.as_deref(), Some("8"));
    assert_eq!(threads.source, ConfigSource::DefaultConfig);
    assert_eq!(
        synonyms(threads),
        [syn("num.io.threads", "8", ConfigSource::DefaultConfig)]
    );

    let password = entry(&entries, "ssl.key.password");
    assert!(password.is_sensitive);
    assert_eq!(password.value, None);
    assert_eq!(password.config_type, ConfigType::Password);
    assert_eq!(password.source, ConfigSource::StaticBrokerConfig);
    assert_eq!(
        synonyms(password),
        [(
            "ssl.key.password".to_owned(),
            None,
            ConfigSource::StaticBrokerConfig
        )]
    );
}

#[test]
fn broker_records_only_known_keys_as_static_settings() {
    let properties = Properties::parse(
        "zookeeper.connect=localhost:2181\n num.io.threads = 4 \nnum.io.threads=6\nfrobnicate=1\nssl.keystore.location=/ks\n",
    )
    .unwrap();
    let (broker, _) = BrokerConfig::from_properties(&properties).unwrap();
    assert_eq!(
        broker.static_settings,
        overrides(&[
            ("num.io.threads", "6"),
            ("ssl.keystore.location", "/ks"),
            ("zookeeper.connect", "localhost:2181"),
        ])
    );
}

#[test]
fn list_helpers_split_and_default() {
    assert_eq!(list_items(" a , b,c "), ["a", "b", "c"]);
    assert!(list_items("  ").is_empty());
    assert_eq!(
        list_default("cleanup.policy"),
        Some(vec!["delete".to_owned()])
    );
    assert_eq!(
        list_default("leader.replication.throttled.replicas"),
        Some(Vec::new())
    );
    assert_eq!(list_default("retention.ms"), None);
    assert_eq!(list_default("nope"), None);
}

#[test]
fn doubles_print_as_java_does() {
    assert_eq!(double_to_string(0.5), "0.5");
    assert_eq!(double_to_string(1.0), "1.0");
    assert_eq!(double_to_string(0.0), "0.0");
}
