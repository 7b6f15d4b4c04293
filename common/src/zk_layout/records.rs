//! The records Kafka keeps in znodes, one type each, with `to_json` (the exact bytes a Kafka
//! 3.x broker or controller writes: same keys, same key order, compact) and `from_json` (accepting
//! every version Kafka 2.x/3.x wrote). Unknown keys are ignored on read, as Kafka does.
//!
//! Key order follows the Scala/Java map each Kafka encoder builds (see the `json` module);
//! numbers that Kafka writes as strings (`timestamp`, `block_start`, the cluster id's `version`)
//! stay strings. Records that are plain text (`/controller_epoch`) are decimal ASCII.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::endpoint::{EndPoint, SecurityProtocol};
use super::error::{LayoutError, RecordKind};
use super::json::{self, JavaMap, Json};
use super::uuid::Uuid;

fn parse<T: DeserializeOwned>(record: RecordKind, bytes: &[u8]) -> Result<T, LayoutError> {
    serde_json::from_slice(bytes).map_err(LayoutError::json(record))
}

fn check_version(
    record: RecordKind,
    version: i64,
    lowest: i64,
    highest: i64,
) -> Result<(), LayoutError> {
    if (lowest..=highest).contains(&version) {
        Ok(())
    } else {
        Err(LayoutError::UnsupportedVersion { record, version })
    }
}

fn decimal(record: RecordKind, field: &'static str, text: &str) -> Result<i64, LayoutError> {
    text.parse::<i64>().map_err(|_| LayoutError::BadNumber {
        record,
        field,
        text: text.to_string(),
    })
}

fn entry(key: &str, value: Json) -> (String, Json) {
    (key.to_string(), value)
}

/// A topic and partition number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: &str, partition: i32) -> TopicPartition {
        TopicPartition {
            topic: topic.to_string(),
            partition,
        }
    }

    fn to_json_value(&self) -> Json {
        // Scala `Map("topic" -> …, "partition" -> …)`: two entries keep their order.
        Json::Object(vec![
            entry("topic", Json::str(&self.topic)),
            entry("partition", Json::Int(i64::from(self.partition))),
        ])
    }
}

// ---------------------------------------------------------------------------------------------
// /brokers/ids/<id>

/// A feature range a broker supports (`features` in registration version 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct SupportedFeature {
    pub min_version: i16,
    pub max_version: i16,
}

/// A broker's registration, `/brokers/ids/<id>` (ephemeral).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerRegistration {
    /// 5 from IBP 2.7 (adds `features`), 4 before; 1–3 are only read.
    pub version: i32,
    /// Host of the first PLAINTEXT endpoint, for clients that predate `endpoints`.
    pub host: Option<String>,
    /// Port of the first PLAINTEXT endpoint, or -1.
    pub port: i32,
    pub jmx_port: i32,
    /// Registration time, milliseconds since the epoch (written as a string).
    pub timestamp_ms: i64,
    pub endpoints: Vec<EndPoint>,
    pub rack: Option<String>,
    pub features: Vec<(String, SupportedFeature)>,
}

#[derive(Deserialize)]
struct BrokerRegistrationWire {
    version: i64,
    host: Option<String>,
    port: Option<i32>,
    jmx_port: i32,
    timestamp: String,
    endpoints: Option<Vec<String>>,
    listener_security_protocol_map: Option<BTreeMap<String, String>>,
    rack: Option<String>,
    features: Option<BTreeMap<String, SupportedFeature>>,
}

impl BrokerRegistration {
    /// A version-5 registration; `host`/`port` come from the first PLAINTEXT endpoint.
    pub fn new(
        endpoints: Vec<EndPoint>,
        rack: Option<String>,
        jmx_port: i32,
        timestamp_ms: i64,
        features: Vec<(String, SupportedFeature)>,
    ) -> BrokerRegistration {
        let plaintext = endpoints
            .iter()
            .find(|endpoint| endpoint.security_protocol == SecurityProtocol::Plaintext);
        BrokerRegistration {
            version: 5,
            host: plaintext.map(|endpoint| endpoint.host.clone()),
            port: plaintext.map_or(-1, |endpoint| i32::from(endpoint.port)),
            jmx_port,
            timestamp_ms,
            endpoints,
            rack,
            features,
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let mut entries = vec![
            entry("version", Json::Int(i64::from(self.version))),
            entry("host", self.host.as_ref().map_or(Json::Null, Json::str)),
            entry("port", Json::Int(i64::from(self.port))),
            entry(
                "endpoints",
                Json::Array(
                    self.endpoints
                        .iter()
                        .map(|endpoint| Json::Str(endpoint.connection_string()))
                        .collect(),
                ),
            ),
            entry("jmx_port", Json::Int(i64::from(self.jmx_port))),
            entry("timestamp", Json::Str(self.timestamp_ms.to_string())),
        ];
        let initial_table = json::scala_table_for_literal(entries.len());
        if let (Some(rack), true) = (&self.rack, self.version >= 3) {
            entries.push(entry("rack", Json::str(rack)));
        }
        if self.version >= 4 {
            let mut protocols: Vec<(String, Json)> = Vec::new();
            for endpoint in &self.endpoints {
                let value = Json::str(endpoint.security_protocol.name());
                match protocols
                    .iter_mut()
                    .find(|(name, _)| *name == endpoint.listener_name)
                {
                    Some(existing) => existing.1 = value,
                    None => protocols.push((endpoint.listener_name.clone(), value)),
                }
            }
            entries.push(entry(
                "listener_security_protocol_map",
                Json::Object(json::scala_immutable_order(protocols)),
            ));
        }
        if self.version >= 5 {
            let features = self
                .features
                .iter()
                .map(|(name, range)| {
                    // Kafka's version ranges serialize through an insertion-ordered map.
                    let range = Json::Object(vec![
                        entry("min_version", Json::Int(i64::from(range.min_version))),
                        entry("max_version", Json::Int(i64::from(range.max_version))),
                    ]);
                    (name.clone(), range)
                })
                .collect();
            entries.push(entry(
                "features",
                Json::Object(json::java_hash_order(features, JavaMap::HashMap)),
            ));
        }
        Json::Object(json::scala_mutable_order(entries, initial_table)).to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<BrokerRegistration, LayoutError> {
        const RECORD: RecordKind = RecordKind::BrokerRegistration;
        let wire: BrokerRegistrationWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 5)?;
        let version = wire.version as i32;
        let timestamp_ms = decimal(RECORD, "timestamp", &wire.timestamp)?;
        let endpoints = if version == 1 {
            let host = wire.host.clone().ok_or(LayoutError::MissingField {
                record: RECORD,
                field: "host",
                version: wire.version,
            })?;
            let port = wire.port.ok_or(LayoutError::MissingField {
                record: RECORD,
                field: "port",
                version: wire.version,
            })?;
            let port = u16::try_from(port).map_err(|_| LayoutError::OutOfRange {
                record: RECORD,
                field: "port",
                value: i64::from(port),
            })?;
            vec![EndPoint::new(
                "PLAINTEXT",
                &host,
                port,
                SecurityProtocol::Plaintext,
            )]
        } else {
            let listed = wire.endpoints.as_ref().ok_or(LayoutError::MissingField {
                record: RECORD,
                field: "endpoints",
                version: wire.version,
            })?;
            let protocols = match &wire.listener_security_protocol_map {
                Some(map) => {
                    let mut protocols = BTreeMap::new();
                    for (listener, protocol) in map {
                        let parsed = SecurityProtocol::from_name(protocol).ok_or_else(|| {
                            LayoutError::Endpoint {
                                endpoint: listener.clone(),
                                problem: super::error::EndpointProblem::UnknownSecurityProtocol {
                                    name: protocol.clone(),
                                },
                            }
                        })?;
                        protocols.insert(listener.to_ascii_uppercase(), parsed);
                    }
                    Some(protocols)
                }
                None => None,
            };
            let mut endpoints = Vec::with_capacity(listed.len());
            for text in listed {
                endpoints.push(EndPoint::parse(text, protocols.as_ref())?);
            }
            endpoints
        };
        Ok(BrokerRegistration {
            version,
            host: wire.host,
            port: wire.port.unwrap_or(-1),
            jmx_port: wire.jmx_port,
            timestamp_ms,
            endpoints,
            rack: wire.rack,
            features: wire.features.unwrap_or_default().into_iter().collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// /controller and /controller_epoch

/// The elected controller, `/controller` (ephemeral).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerRecord {
    pub broker_id: i32,
    pub timestamp_ms: i64,
    /// `Some` writes version 2 (Kafka 3.4+; -1 for a ZooKeeper-mode controller), `None` writes
    /// version 1 (Kafka 2.x).
    pub kraft_controller_epoch: Option<i32>,
}

#[derive(Deserialize)]
struct ControllerWire {
    version: i64,
    brokerid: i32,
    timestamp: String,
    #[serde(rename = "kraftControllerEpoch")]
    kraft_controller_epoch: Option<i32>,
}

impl ControllerRecord {
    /// What a Kafka 3.4+ ZooKeeper-mode controller writes (version 2, KRaft epoch -1).
    pub fn zookeeper_mode(broker_id: i32, timestamp_ms: i64) -> ControllerRecord {
        ControllerRecord {
            broker_id,
            timestamp_ms,
            kraft_controller_epoch: Some(-1),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        let version = if self.kraft_controller_epoch.is_some() {
            2
        } else {
            1
        };
        let mut entries = vec![
            entry("version", Json::Int(version)),
            entry("brokerid", Json::Int(i64::from(self.broker_id))),
            entry("timestamp", Json::Str(self.timestamp_ms.to_string())),
        ];
        if let Some(epoch) = self.kraft_controller_epoch {
            entries.push(entry("kraftControllerEpoch", Json::Int(i64::from(epoch))));
        }
        Json::Object(json::scala_immutable_order(entries)).to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<ControllerRecord, LayoutError> {
        const RECORD: RecordKind = RecordKind::Controller;
        let wire: ControllerWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 2)?;
        Ok(ControllerRecord {
            broker_id: wire.brokerid,
            timestamp_ms: decimal(RECORD, "timestamp", &wire.timestamp)?,
            kraft_controller_epoch: wire.kraft_controller_epoch,
        })
    }
}

/// `/controller_epoch`: the epoch as decimal text (`1`), no JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControllerEpochRecord {
    pub epoch: i32,
}

impl ControllerEpochRecord {
    pub fn to_json(&self) -> Vec<u8> {
        self.epoch.to_string().into_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<ControllerEpochRecord, LayoutError> {
        const RECORD: RecordKind = RecordKind::ControllerEpoch;
        let text =
            std::str::from_utf8(bytes).map_err(|_| LayoutError::NotUtf8 { record: RECORD })?;
        let epoch = text.parse::<i32>().map_err(|_| LayoutError::BadNumber {
            record: RECORD,
            field: "epoch",
            text: text.to_string(),
        })?;
        Ok(ControllerEpochRecord { epoch })
    }
}

// ---------------------------------------------------------------------------------------------
// /brokers/topics/<topic> and partition state

/// A topic's replica assignment, `/brokers/topics/<topic>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicAssignment {
    /// Partition → replicas, preferred leader first.
    pub partitions: BTreeMap<i32, Vec<i32>>,
    /// Partition → replicas being added by an ongoing reassignment (absent when none).
    pub adding_replicas: BTreeMap<i32, Vec<i32>>,
    /// Partition → replicas being removed by an ongoing reassignment.
    pub removing_replicas: BTreeMap<i32, Vec<i32>>,
    /// The topic id (Kafka 2.8+), absent on topics created before.
    pub topic_id: Option<Uuid>,
}

#[derive(Deserialize)]
struct TopicAssignmentWire {
    version: i64,
    partitions: BTreeMap<String, Vec<i32>>,
    adding_replicas: Option<BTreeMap<String, Vec<i32>>>,
    removing_replicas: Option<BTreeMap<String, Vec<i32>>>,
    topic_id: Option<String>,
}

fn partition_map_json(map: &BTreeMap<i32, Vec<i32>>) -> Json {
    let entries = map
        .iter()
        .map(|(partition, replicas)| (partition.to_string(), Json::ints(replicas.iter().copied())))
        .collect();
    // Kafka fills an empty `mutable.Map` (16 slots) one partition at a time.
    Json::Object(json::scala_mutable_order(entries, 16))
}

fn partition_map_from(
    record: RecordKind,
    wire: BTreeMap<String, Vec<i32>>,
) -> Result<BTreeMap<i32, Vec<i32>>, LayoutError> {
    let mut out = BTreeMap::new();
    for (key, replicas) in wire {
        let partition = key
            .parse::<i32>()
            .ok()
            .filter(|partition| *partition >= 0)
            .ok_or_else(|| LayoutError::BadPartitionKey {
                record,
                key: key.clone(),
            })?;
        out.insert(partition, replicas);
    }
    Ok(out)
}

impl TopicAssignment {
    /// Version 3 (Kafka 3.x); `topic_id` only when known.
    pub fn to_json(&self) -> Vec<u8> {
        let mut entries = vec![
            entry("version", Json::Int(3)),
            entry("partitions", partition_map_json(&self.partitions)),
            entry("adding_replicas", partition_map_json(&self.adding_replicas)),
            entry(
                "removing_replicas",
                partition_map_json(&self.removing_replicas),
            ),
        ];
        let initial_table = json::scala_table_for_literal(entries.len());
        if let Some(id) = self.topic_id {
            entries.push(entry("topic_id", Json::Str(id.to_string())));
        }
        Json::Object(json::scala_mutable_order(entries, initial_table)).to_bytes()
    }

    /// Reads versions 1 (partitions only), 2 (adding/removing replicas, maybe topic_id) and 3.
    pub fn from_json(bytes: &[u8]) -> Result<TopicAssignment, LayoutError> {
        const RECORD: RecordKind = RecordKind::TopicAssignment;
        let wire: TopicAssignmentWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 3)?;
        let topic_id = match wire.topic_id {
            Some(text) => {
                Some(
                    Uuid::parse_problem(&text).map_err(|problem| LayoutError::BadId {
                        record: RECORD,
                        field: "topic_id",
                        text: text.clone(),
                        problem,
                    })?,
                )
            }
            None => None,
        };
        Ok(TopicAssignment {
            partitions: partition_map_from(RECORD, wire.partitions)?,
            adding_replicas: partition_map_from(RECORD, wire.adding_replicas.unwrap_or_default())?,
            removing_replicas: partition_map_from(
                RECORD,
                wire.removing_replicas.unwrap_or_default(),
            )?,
            topic_id,
        })
    }
}

/// Whether a partition's leader was elected cleanly (`leader_recovery_state`, Kafka 3.2+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LeaderRecoveryState {
    #[default]
    Recovered,
    /// An unclean election happened and the new leader is still recovering.
    Recovering,
}

impl LeaderRecoveryState {
    pub fn value(self) -> i64 {
        match self {
            LeaderRecoveryState::Recovered => 0,
            LeaderRecoveryState::Recovering => 1,
        }
    }
}

/// Leader and ISR of a partition, `/brokers/topics/<t>/partitions/<p>/state`. The node's
/// zkVersion is the partition epoch; it is not part of the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub leader: i32,
    pub leader_epoch: i32,
    pub controller_epoch: i32,
    pub isr: Vec<i32>,
    pub leader_recovery_state: LeaderRecoveryState,
}

#[derive(Deserialize)]
struct PartitionStateWire {
    version: i64,
    leader: i32,
    leader_epoch: i32,
    controller_epoch: i32,
    isr: Vec<i32>,
    leader_recovery_state: Option<i64>,
}

impl PartitionState {
    pub fn to_json(&self) -> Vec<u8> {
        let mut entries = vec![
            entry("version", Json::Int(1)),
            entry("leader", Json::Int(i64::from(self.leader))),
            entry("leader_epoch", Json::Int(i64::from(self.leader_epoch))),
            entry(
                "controller_epoch",
                Json::Int(i64::from(self.controller_epoch)),
            ),
            entry("isr", Json::ints(self.isr.iter().copied())),
        ];
        if self.leader_recovery_state != LeaderRecoveryState::Recovered {
            entries.push(entry(
                "leader_recovery_state",
                Json::Int(self.leader_recovery_state.value()),
            ));
        }
        Json::Object(json::scala_immutable_order(entries)).to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<PartitionState, LayoutError> {
        const RECORD: RecordKind = RecordKind::PartitionState;
        let wire: PartitionStateWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 1)?;
        let leader_recovery_state = match wire.leader_recovery_state {
            None | Some(0) => LeaderRecoveryState::Recovered,
            Some(1) => LeaderRecoveryState::Recovering,
            Some(value) => {
                return Err(LayoutError::OutOfRange {
                    record: RECORD,
                    field: "leader_recovery_state",
                    value,
                })
            }
        };
        Ok(PartitionState {
            leader: wire.leader,
            leader_epoch: wire.leader_epoch,
            controller_epoch: wire.controller_epoch,
            isr: wire.isr,
            leader_recovery_state,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// /config/<type>/<name> and /config/changes

/// Dynamic config overrides of one entity, `/config/<type>/<name>`. Keys keep insertion order,
/// which decides the order of keys sharing a hash bucket in Kafka's `Properties`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EntityConfig {
    pub config: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct EntityConfigWire {
    version: i64,
    config: BTreeMap<String, String>,
}

impl EntityConfig {
    /// Sets `key`, replacing an earlier value in place.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.config.iter_mut().find(|(existing, _)| existing == key) {
            Some(slot) => slot.1 = value.to_string(),
            None => self.config.push((key.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.config
            .iter()
            .find(|(existing, _)| existing == key)
            .map(|(_, value)| value.as_str())
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        let position = self
            .config
            .iter()
            .position(|(existing, _)| existing == key)?;
        Some(self.config.remove(position).1)
    }

    pub fn to_json(&self) -> Vec<u8> {
        let config = self
            .config
            .iter()
            .map(|(key, value)| (key.clone(), Json::str(value)))
            .collect();
        Json::Object(vec![
            entry("version", Json::Int(1)),
            entry(
                "config",
                Json::Object(json::java_hash_order(config, JavaMap::ConcurrentHashMap)),
            ),
        ])
        .to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<EntityConfig, LayoutError> {
        const RECORD: RecordKind = RecordKind::EntityConfig;
        let wire: EntityConfigWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 1)?;
        Ok(EntityConfig {
            config: wire.config.into_iter().collect(),
        })
    }
}

/// A config change notification, `/config/changes/config_change_<seq>`: which entity changed,
/// as `<type>/<sanitized name>` (`topics/t`, `users/alice/clients/c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigChangeNotification {
    pub entity_path: String,
}

#[derive(Deserialize)]
struct ConfigChangeWire {
    version: i64,
    entity_path: Option<String>,
    entity_type: Option<String>,
    entity_name: Option<String>,
}

impl ConfigChangeNotification {
    pub fn to_json(&self) -> Vec<u8> {
        Json::Object(vec![
            entry("version", Json::Int(2)),
            entry("entity_path", Json::str(&self.entity_path)),
        ])
        .to_bytes()
    }

    /// Reads version 2 and the older version 1 (`entity_type` + `entity_name`).
    pub fn from_json(bytes: &[u8]) -> Result<ConfigChangeNotification, LayoutError> {
        const RECORD: RecordKind = RecordKind::ConfigChangeNotification;
        let wire: ConfigChangeWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 2)?;
        let missing = |field| LayoutError::MissingField {
            record: RECORD,
            field,
            version: wire.version,
        };
        let entity_path = if wire.version == 1 {
            let kind = wire.entity_type.as_ref().ok_or(missing("entity_type"))?;
            let name = wire.entity_name.as_ref().ok_or(missing("entity_name"))?;
            format!("{kind}/{name}")
        } else {
            wire.entity_path.clone().ok_or(missing("entity_path"))?
        };
        Ok(ConfigChangeNotification { entity_path })
    }
}

// ---------------------------------------------------------------------------------------------
// /cluster/id, /latest_producer_id_block

/// The cluster id, `/cluster/id`: `{"version":"1","id":"…"}` (the version is a string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterIdRecord {
    /// Normally a 22-character [`Uuid`], but Kafka accepts any string it finds here.
    pub id: String,
}

#[derive(Deserialize)]
struct ClusterIdWire {
    id: String,
}

impl ClusterIdRecord {
    /// A new cluster id, as a broker creates when `/cluster/id` is missing.
    pub fn generate() -> ClusterIdRecord {
        ClusterIdRecord {
            id: Uuid::random().to_string(),
        }
    }

    pub fn to_json(&self) -> Vec<u8> {
        Json::Object(vec![
            entry("version", Json::str("1")),
            entry("id", Json::str(&self.id)),
        ])
        .to_bytes()
    }

    /// Reads the id; like Kafka, the version (string or number) is not checked.
    pub fn from_json(bytes: &[u8]) -> Result<ClusterIdRecord, LayoutError> {
        let wire: ClusterIdWire = parse(RecordKind::ClusterId, bytes)?;
        Ok(ClusterIdRecord { id: wire.id })
    }
}

/// The last producer-id block handed out, `/latest_producer_id_block` (inclusive bounds,
/// written as strings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerIdBlock {
    pub broker: i32,
    pub block_start: i64,
    pub block_end: i64,
}

#[derive(Deserialize)]
struct ProducerIdBlockWire {
    version: i64,
    broker: i32,
    block_start: String,
    block_end: String,
}

impl ProducerIdBlock {
    pub fn to_json(&self) -> Vec<u8> {
        Json::Object(vec![
            entry("version", Json::Int(1)),
            entry("broker", Json::Int(i64::from(self.broker))),
            entry("block_start", Json::Str(self.block_start.to_string())),
            entry("block_end", Json::Str(self.block_end.to_string())),
        ])
        .to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<ProducerIdBlock, LayoutError> {
        const RECORD: RecordKind = RecordKind::ProducerIdBlock;
        let wire: ProducerIdBlockWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 1)?;
        Ok(ProducerIdBlock {
            broker: wire.broker,
            block_start: decimal(RECORD, "block_start", &wire.block_start)?,
            block_end: decimal(RECORD, "block_end", &wire.block_end)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Notifications and admin requests

#[derive(Deserialize)]
struct PartitionListWire {
    version: i64,
    partitions: Vec<TopicPartition>,
}

fn partition_list_json(partitions: &[TopicPartition]) -> Vec<u8> {
    Json::Object(vec![
        entry("version", Json::Int(1)),
        entry(
            "partitions",
            Json::Array(
                partitions
                    .iter()
                    .map(TopicPartition::to_json_value)
                    .collect(),
            ),
        ),
    ])
    .to_bytes()
}

fn partition_list_from(
    record: RecordKind,
    bytes: &[u8],
) -> Result<Vec<TopicPartition>, LayoutError> {
    let wire: PartitionListWire = parse(record, bytes)?;
    check_version(record, wire.version, 1, 1)?;
    Ok(wire.partitions)
}

/// Partitions whose ISR changed, `/isr_change_notification/isr_change_<seq>` (IBP < 2.7).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IsrChangeNotification {
    pub partitions: Vec<TopicPartition>,
}

impl IsrChangeNotification {
    pub fn to_json(&self) -> Vec<u8> {
        partition_list_json(&self.partitions)
    }

    pub fn from_json(bytes: &[u8]) -> Result<IsrChangeNotification, LayoutError> {
        Ok(IsrChangeNotification {
            partitions: partition_list_from(RecordKind::IsrChangeNotification, bytes)?,
        })
    }
}

/// Partitions to move to their preferred leader, `/admin/preferred_replica_election`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PreferredReplicaElection {
    pub partitions: Vec<TopicPartition>,
}

impl PreferredReplicaElection {
    pub fn to_json(&self) -> Vec<u8> {
        partition_list_json(&self.partitions)
    }

    pub fn from_json(bytes: &[u8]) -> Result<PreferredReplicaElection, LayoutError> {
        Ok(PreferredReplicaElection {
            partitions: partition_list_from(RecordKind::PreferredReplicaElection, bytes)?,
        })
    }
}

/// A broker's log directory failed, `/log_dir_event_notification/log_dir_event_<seq>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogDirEventNotification {
    pub broker: i32,
    /// 1 = log directory failure, the only event Kafka defines.
    pub event: i32,
}

#[derive(Deserialize)]
struct LogDirEventWire {
    version: i64,
    broker: i32,
    event: i32,
}

impl LogDirEventNotification {
    pub const LOG_DIR_FAILURE: i32 = 1;

    pub fn to_json(&self) -> Vec<u8> {
        Json::Object(vec![
            entry("version", Json::Int(1)),
            entry("broker", Json::Int(i64::from(self.broker))),
            entry("event", Json::Int(i64::from(self.event))),
        ])
        .to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<LogDirEventNotification, LayoutError> {
        const RECORD: RecordKind = RecordKind::LogDirEventNotification;
        let wire: LogDirEventWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 1)?;
        Ok(LogDirEventNotification {
            broker: wire.broker,
            event: wire.event,
        })
    }
}

/// One partition's target replicas in a legacy reassignment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PartitionReplicas {
    pub topic: String,
    pub partition: i32,
    pub replicas: Vec<i32>,
}

/// A legacy reassignment request, `/admin/reassign_partitions` (deprecated since 2.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReassignPartitions {
    pub partitions: Vec<PartitionReplicas>,
}

#[derive(Deserialize)]
struct ReassignWire {
    version: i64,
    partitions: Vec<PartitionReplicas>,
}

impl ReassignPartitions {
    pub fn to_json(&self) -> Vec<u8> {
        // Kafka serializes case classes here, so keys follow declaration order.
        let partitions = self
            .partitions
            .iter()
            .map(|target| {
                Json::Object(vec![
                    entry("topic", Json::str(&target.topic)),
                    entry("partition", Json::Int(i64::from(target.partition))),
                    entry("replicas", Json::ints(target.replicas.iter().copied())),
                ])
            })
            .collect();
        Json::Object(vec![
            entry("version", Json::Int(1)),
            entry("partitions", Json::Array(partitions)),
        ])
        .to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<ReassignPartitions, LayoutError> {
        const RECORD: RecordKind = RecordKind::ReassignPartitions;
        let wire: ReassignWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 1)?;
        Ok(ReassignPartitions {
            partitions: wire.partitions,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// /feature

/// Whether the feature-versioning system is on (`status` in `/feature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureStatus {
    Disabled,
    Enabled,
}

impl FeatureStatus {
    pub fn id(self) -> i64 {
        match self {
            FeatureStatus::Disabled => 0,
            FeatureStatus::Enabled => 1,
        }
    }
}

/// A finalized feature level; version 1 of `/feature` also carries a minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureLevel {
    pub min_version_level: Option<i16>,
    pub max_version_level: i16,
}

/// Cluster-wide finalized features, `/feature`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureZNodeRecord {
    /// 1 before IBP 3.3 (min and max levels), 2 from IBP 3.3 (max only).
    pub version: i32,
    pub status: FeatureStatus,
    pub features: Vec<(String, FeatureLevel)>,
}

#[derive(Deserialize)]
struct FeatureLevelWire {
    min_version_level: Option<i16>,
    max_version_level: Option<i16>,
}

#[derive(Deserialize)]
struct FeatureWire {
    version: i64,
    status: Option<i64>,
    features: Option<BTreeMap<String, FeatureLevelWire>>,
}

impl FeatureZNodeRecord {
    pub fn to_json(&self) -> Vec<u8> {
        let features = self
            .features
            .iter()
            .map(|(name, level)| {
                let max = entry(
                    "max_version_level",
                    Json::Int(i64::from(level.max_version_level)),
                );
                let levels = if self.version == 1 {
                    let min = level.min_version_level.unwrap_or(level.max_version_level);
                    vec![max, entry("min_version_level", Json::Int(i64::from(min)))]
                } else {
                    vec![max]
                };
                (name.clone(), Json::Object(levels))
            })
            .collect();
        let entries = vec![
            entry("version", Json::Int(i64::from(self.version))),
            entry("status", Json::Int(self.status.id())),
            entry(
                "features",
                Json::Object(json::scala_immutable_order(features)),
            ),
        ];
        let initial_table = json::scala_table_for_literal(entries.len());
        Json::Object(json::scala_mutable_order(entries, initial_table)).to_bytes()
    }

    pub fn from_json(bytes: &[u8]) -> Result<FeatureZNodeRecord, LayoutError> {
        const RECORD: RecordKind = RecordKind::Feature;
        let wire: FeatureWire = parse(RECORD, bytes)?;
        check_version(RECORD, wire.version, 1, 2)?;
        let missing = |field| LayoutError::MissingField {
            record: RECORD,
            field,
            version: wire.version,
        };
        let status = match wire.status.ok_or(missing("status"))? {
            0 => FeatureStatus::Disabled,
            1 => FeatureStatus::Enabled,
            value => {
                return Err(LayoutError::OutOfRange {
                    record: RECORD,
                    field: "status",
                    value,
                })
            }
        };
        let wire_features = wire.features.ok_or(missing("features"))?;
        let mut features = Vec::with_capacity(wire_features.len());
        for (name, level) in wire_features {
            let bad = |problem| LayoutError::BadFeature {
                record: RECORD,
                feature: name.clone(),
                problem,
            };
            let max = level
                .max_version_level
                .ok_or(bad("max_version_level is missing"))?;
            if max < 1 {
                return Err(bad("max_version_level must be at least 1"));
            }
            if wire.version == 1 {
                let min = level
                    .min_version_level
                    .ok_or(bad("min_version_level is missing"))?;
                if min < 1 || max < min {
                    return Err(bad("need 1 <= min_version_level <= max_version_level"));
                }
            }
            features.push((
                name,
                FeatureLevel {
                    min_version_level: level.min_version_level,
                    max_version_level: max,
                },
            ));
        }
        Ok(FeatureZNodeRecord {
            version: wire.version as i32,
            status,
            features,
        })
    }
}
