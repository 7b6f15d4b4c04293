//! The cluster-level client: bootstrap, metadata, one connection per broker, leader and
//! controller lookup, ListOffsets.
//!
//! [`Client::connect`] tries the bootstrap servers in order until one answers ApiVersions
//! and Metadata; from then on brokers are reached by id at the host:port they advertise.
//! Metadata is cached ([`ClusterMetadata`]) and refreshed on demand: lookups of unknown
//! topics, partition errors that mean "the leader moved" ([`super::error::refreshes_metadata`])
//! and dead connections. Retries are bounded by [`ClientConfig::retries`] with
//! [`ClientConfig::retry_backoff`] between attempts.
//!
//! Locks: the metadata cache and the connection table sit behind `std` mutexes that are
//! never held across an `.await`; two tasks racing to connect to the same broker may both
//! connect, and the later one keeps its connection.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{
    BrokerId, ListOffsetsRequest, MetadataRequest, MetadataResponse, TopicName,
};
use kafka_protocol::protocol::{Request, StrBytes};
use kafka_protocol::ResponseError;

use super::connection::{Connection, ConnectionOptions};
use super::error::{refreshes_metadata, ClientError};

/// How the cluster client behaves.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` entries.
    pub bootstrap_servers: Vec<String>,
    /// Per-connection settings (client id, timeouts, frame cap).
    pub connection: ConnectionOptions,
    /// How many times an operation is retried after a retriable error.
    pub retries: u32,
    /// `retry.backoff.ms`.
    pub retry_backoff: Duration,
}

impl ClientConfig {
    /// Settings for a comma-separated `bootstrap.servers` list, with Kafka's defaults.
    pub fn new(bootstrap_servers: &str) -> ClientConfig {
        ClientConfig {
            bootstrap_servers: bootstrap_servers
                .split(',')
                .map(str::trim)
                .filter(|server| !server.is_empty())
                .map(str::to_string)
                .collect(),
            connection: ConnectionOptions::default(),
            retries: 20,
            retry_backoff: Duration::from_millis(100),
        }
    }
}

/// A broker as Metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerAddress {
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerAddress {
    /// `host:port`.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// One partition as Metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionMetadata {
    pub partition: i32,
    /// 0 or the partition-level error code.
    pub error_code: i16,
    /// -1 when there is no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic as Metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicMetadata {
    pub name: String,
    /// The 16 bytes of the topic id (all zero when the broker assigns none).
    pub topic_id: [u8; 16],
    pub is_internal: bool,
    /// Partitions ordered by index.
    pub partitions: Vec<PartitionMetadata>,
}

/// What the client knows of the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    pub controller: Option<i32>,
    pub brokers: BTreeMap<i32, BrokerAddress>,
    pub topics: BTreeMap<String, TopicMetadata>,
}

/// Where a ListOffsets lookup points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset.
    Earliest,
    /// The log end offset (the high watermark for consumers).
    Latest,
    /// The first offset whose timestamp is at or after this many ms since the epoch.
    Timestamp(i64),
}

impl OffsetSpec {
    /// The wire timestamp of ListOffsets (-2 earliest, -1 latest).
    pub fn wire_timestamp(self) -> i64 {
        match self {
            OffsetSpec::Earliest => -2,
            OffsetSpec::Latest => -1,
            OffsetSpec::Timestamp(timestamp) => timestamp,
        }
    }
}

/// The result of Metadata for a list of topics: the topics found and the errors of the
/// others (UnknownTopicOrPartition, InvalidTopicException, ...).
#[derive(Debug, Clone, Default)]
pub struct TopicLookup {
    pub found: Vec<TopicMetadata>,
    pub errors: Vec<(String, ResponseError)>,
}

/// A client for one cluster; share it behind an `Arc`.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    metadata: Mutex<ClusterMetadata>,
    connections: Mutex<HashMap<i32, Arc<Connection>>>,
    /// The connection made to a bootstrap server, used until brokers are known by id.
    bootstrap: Mutex<Option<Arc<Connection>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

impl Client {
    /// Connects to the first bootstrap server that answers and reads the broker list.
    pub async fn connect(config: ClientConfig) -> Result<Client, ClientError> {
        let servers = config.bootstrap_servers.join(",");
        let mut last = "no servers given".to_string();
        for server in &config.bootstrap_servers {
            if !valid_address(server) {
                return Err(ClientError::BadAddress {
                    address: server.clone(),
                });
            }
            match Connection::connect(server, &config.connection).await {
                Ok(connection) => {
                    let client = Client {
                        config,
                        metadata: Mutex::new(ClusterMetadata::default()),
                        connections: Mutex::new(HashMap::new()),
                        bootstrap: Mutex::new(Some(Arc::new(connection))),
                    };
                    client.metadata_request(Some(&[]), false).await?;
                    return Ok(client);
                }
                Err(error) => last = error.to_string(),
            }
        }
        Err(ClientError::Bootstrap { servers, last })
    }

    /// The settings this client runs with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A copy of the cached metadata.
    pub fn cached_metadata(&self) -> ClusterMetadata {
        lock(&self.metadata).clone()
    }

    /// Any live connection: a known broker's, else the bootstrap one, else a new one.
    pub async fn any_connection(&self) -> Result<Arc<Connection>, ClientError> {
        let live = {
            let connections = lock(&self.connections);
            connections
                .values()
                .find(|connection| !connection.is_closed())
                .cloned()
        };
        if let Some(connection) = live {
            return Ok(connection);
        }
        let bootstrap = lock(&self.bootstrap).clone();
        if let Some(connection) = bootstrap.filter(|connection| !connection.is_closed()) {
            return Ok(connection);
        }
        let brokers: Vec<i32> = lock(&self.metadata).brokers.keys().copied().collect();
        let mut last = None;
        for broker_id in brokers {
            match self.connection(broker_id).await {
                Ok(connection) => return Ok(connection),
                Err(error) => last = Some(error),
            }
        }
        for server in &self.config.bootstrap_servers {
            match Connection::connect(server, &self.config.connection).await {
                Ok(connection) => {
                    let connection = Arc::new(connection);
                    *lock(&self.bootstrap) = Some(connection.clone());
                    return Ok(connection);
                }
                Err(error) => last = Some(error),
            }
        }
        Err(ClientError::Bootstrap {
            servers: self.config.bootstrap_servers.join(","),
            last: last.map_or_else(|| "no servers".to_string(), |error| error.to_string()),
        })
    }

    /// The connection to broker `broker_id`, opened on first use (or after it died).
    pub async fn connection(&self, broker_id: i32) -> Result<Arc<Connection>, ClientError> {
        if let Some(connection) = lock(&self.connections).get(&broker_id) {
            if !connection.is_closed() {
                return Ok(connection.clone());
            }
        }
        let address = lock(&self.metadata)
            .brokers
            .get(&broker_id)
            .map(BrokerAddress::address)
            .ok_or(ClientError::UnknownBroker { broker_id })?;
        let connection = Arc::new(Connection::connect(&address, &self.config.connection).await?);
        lock(&self.connections).insert(broker_id, connection.clone());
        Ok(connection)
    }

    /// Sends Metadata for `topics` (`None`: all topics; `Some(&[])`: brokers only), merges the
    /// answer into the cache and returns it.
    pub async fn metadata_request(
        &self,
        topics: Option<&[String]>,
        allow_auto_topic_creation: bool,
    ) -> Result<MetadataResponse, ClientError> {
        let mut request = MetadataRequest::default();
        request.allow_auto_topic_creation = allow_auto_topic_creation;
        request.topics = topics.map(|names| {
            names
                .iter()
                .map(|name| {
                    let mut topic = MetadataRequestTopic::default();
                    topic.name = Some(topic_name(name));
                    topic
                })
                .collect()
        });
        let connection = self.any_connection().await?;
        let response = match connection.call(&request).await {
            Ok(response) => response,
            Err(error) if error.is_retriable() => {
                // The connection died under us: one more try on a fresh one.
                let connection = self.any_connection().await?;
                connection.call(&request).await?
            }
            Err(error) => return Err(error),
        };
        self.merge_metadata(&response, topics.is_none());
        Ok(response)
    }

    fn merge_metadata(&self, response: &MetadataResponse, all_topics: bool) {
        let mut metadata = lock(&self.metadata);
        metadata.cluster_id = response
            .cluster_id
            .as_ref()
            .map(|id| id.as_str().to_string());
        metadata.controller = (response.controller_id.0 >= 0).then_some(response.controller_id.0);
        metadata.brokers.clear();
        for broker in &response.brokers {
            metadata.brokers.insert(
                broker.node_id.0,
                BrokerAddress {
                    host: broker.host.as_str().to_string(),
                    port: broker.port,
                    rack: broker.rack.as_ref().map(|rack| rack.as_str().to_string()),
                },
            );
        }
        if all_topics {
            metadata.topics.clear();
        }
        for topic in &response.topics {
            let Some(name) = topic.name.as_ref().map(|name| name.0.as_str().to_string()) else {
                continue;
            };
            if topic.error_code != 0 {
                metadata.topics.remove(&name);
                continue;
            }
            metadata
                .topics
                .insert(name.clone(), topic_metadata(name, topic));
        }
        // Connections to brokers that left the cluster are dropped.
        let known: Vec<i32> = metadata.brokers.keys().copied().collect();
        drop(metadata);
        lock(&self.connections).retain(|broker_id, _| known.contains(broker_id));
    }

    /// Metadata of `topics`, fresh from the cluster (waiting out LEADER_NOT_AVAILABLE while a
    /// topic is being created).
    pub async fn describe_topics(
        &self,
        topics: &[String],
        allow_auto_topic_creation: bool,
    ) -> Result<TopicLookup, ClientError> {
        let mut attempt = 0;
        loop {
            let response = self
                .metadata_request(Some(topics), allow_auto_topic_creation)
                .await?;
            let mut lookup = TopicLookup::default();
            let mut transient = false;
            for topic in &response.topics {
                let name = topic
                    .name
                    .as_ref()
                    .map(|name| name.0.as_str().to_string())
                    .unwrap_or_default();
                match ResponseError::try_from_code(topic.error_code) {
                    None => lookup.found.push(topic_metadata(name, topic)),
                    Some(error) => {
                        transient |= error == ResponseError::LeaderNotAvailable
                            || (allow_auto_topic_creation
                                && error == ResponseError::UnknownTopicOrPartition);
                        lookup.errors.push((name, error));
                    }
                }
            }
            if !transient || attempt >= self.config.retries {
                return Ok(lookup);
            }
            attempt += 1;
            tokio::time::sleep(self.config.retry_backoff).await;
        }
    }

    /// All topics of the cluster.
    pub async fn list_topics(&self) -> Result<Vec<TopicMetadata>, ClientError> {
        self.metadata_request(None, false).await?;
        Ok(lock(&self.metadata).topics.values().cloned().collect())
    }

    /// The metadata of one topic, from the cache or else from the cluster; an error when the
    /// topic does not exist (after auto-creation, if allowed, had its chance).
    pub async fn topic(
        &self,
        topic: &str,
        allow_auto_topic_creation: bool,
    ) -> Result<TopicMetadata, ClientError> {
        if let Some(found) = lock(&self.metadata).topics.get(topic) {
            return Ok(found.clone());
        }
        let lookup = self
            .describe_topics(&[topic.to_string()], allow_auto_topic_creation)
            .await?;
        if let Some((_, error)) = lookup.errors.into_iter().next() {
            return Err(ClientError::Topic {
                topic: topic.to_string(),
                error,
            });
        }
        lookup
            .found
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::Topic {
                topic: topic.to_string(),
                error: ResponseError::UnknownTopicOrPartition,
            })
    }

    /// Forgets `topic`'s cached metadata so the next lookup asks the cluster.
    pub fn invalidate(&self, topic: &str) {
        lock(&self.metadata).topics.remove(topic);
    }

    /// The leader of `topic`-`partition` (refreshing metadata when it is unknown).
    pub async fn leader(&self, topic: &str, partition: i32) -> Result<i32, ClientError> {
        let mut attempt = 0;
        loop {
            let metadata = self.topic(topic, false).await?;
            let Some(found) = metadata
                .partitions
                .iter()
                .find(|candidate| candidate.partition == partition)
            else {
                return Err(ClientError::NoSuchPartition {
                    topic: topic.to_string(),
                    partition,
                    partitions: metadata.partitions.len(),
                });
            };
            if found.leader >= 0 {
                return Ok(found.leader);
            }
            if attempt >= self.config.retries {
                return Err(ClientError::Partition {
                    topic: topic.to_string(),
                    partition,
                    error: ResponseError::LeaderNotAvailable,
                });
            }
            attempt += 1;
            self.invalidate(topic);
            tokio::time::sleep(self.config.retry_backoff).await;
        }
    }

    /// The connection to the controller (admin requests go there).
    pub async fn controller_connection(&self) -> Result<Arc<Connection>, ClientError> {
        let mut controller = lock(&self.metadata).controller;
        if controller.is_none() {
            self.metadata_request(Some(&[]), false).await?;
            controller = lock(&self.metadata).controller;
        }
        let controller = controller.ok_or(ClientError::NoController)?;
        self.connection(controller).await
    }

    /// Sends an admin request to the controller; when the answer says NOT_CONTROLLER
    /// (`not_controller` tells), refreshes metadata and retries.
    pub async fn call_controller<R, F>(
        &self,
        request: &R,
        not_controller: F,
    ) -> Result<R::Response, ClientError>
    where
        R: Request,
        F: Fn(&R::Response) -> bool,
    {
        let mut attempt = 0;
        loop {
            let outcome = match self.controller_connection().await {
                Ok(connection) => connection.call(request).await,
                Err(error) => Err(error),
            };
            let retry = match &outcome {
                Ok(response) => not_controller(response),
                Err(error) => error.is_retriable(),
            };
            if !retry || attempt >= self.config.retries {
                return outcome;
            }
            attempt += 1;
            tokio::time::sleep(self.config.retry_backoff).await;
            self.metadata_request(Some(&[]), false).await?;
        }
    }

    /// ListOffsets for each `(topic, partition, spec)`; the answer per entry, in order.
    /// Leader changes are retried; other partition errors are returned per entry.
    pub async fn list_offsets(
        &self,
        wanted: &[(String, i32, OffsetSpec)],
        isolation_level: i8,
    ) -> Result<Vec<Result<i64, ClientError>>, ClientError> {
        let mut results: Vec<Option<Result<i64, ClientError>>> =
            wanted.iter().map(|_| None).collect();
        let mut attempt = 0;
        loop {
            // Group the unanswered entries by leader.
            let mut by_leader: BTreeMap<i32, Vec<usize>> = BTreeMap::new();
            for (index, (topic, partition, _)) in wanted.iter().enumerate() {
                if results.get(index).is_some_and(Option::is_some) {
                    continue;
                }
                match self.leader(topic, *partition).await {
                    Ok(leader) => by_leader.entry(leader).or_default().push(index),
                    Err(error) if !error.is_retriable() || attempt >= self.config.retries => {
                        if let Some(slot) = results.get_mut(index) {
                            *slot = Some(Err(error));
                        }
                    }
                    Err(_) => {}
                }
            }
            let mut retry = false;
            for (leader, indexes) in by_leader {
                let mut request = ListOffsetsRequest::default();
                request.replica_id = BrokerId(-1);
                request.isolation_level = isolation_level;
                for &index in &indexes {
                    let Some((topic, partition, spec)) = wanted.get(index) else {
                        continue;
                    };
                    let mut entry = ListOffsetsPartition::default();
                    entry.partition_index = *partition;
                    entry.current_leader_epoch = -1;
                    entry.timestamp = spec.wire_timestamp();
                    match request
                        .topics
                        .iter_mut()
                        .find(|existing| existing.name.0.as_str() == topic)
                    {
                        Some(existing) => existing.partitions.push(entry),
                        None => {
                            let mut new_topic = ListOffsetsTopic::default();
                            new_topic.name = topic_name(topic);
                            new_topic.partitions.push(entry);
                            request.topics.push(new_topic);
                        }
                    }
                }
                let response = match self.connection(leader).await {
                    Ok(connection) => connection.call(&request).await,
                    Err(error) => Err(error),
                };
                let response = match response {
                    Ok(response) => response,
                    Err(error) if error.is_retriable() && attempt < self.config.retries => {
                        retry = true;
                        continue;
                    }
                    Err(error) => return Err(error),
                };
                for &index in &indexes {
                    let Some((topic, partition, _)) = wanted.get(index) else {
                        continue;
                    };
                    let answer = response
                        .topics
                        .iter()
                        .filter(|entry| entry.name.0.as_str() == topic)
                        .flat_map(|entry| entry.partitions.iter())
                        .find(|entry| entry.partition_index == *partition);
                    let outcome = match answer {
                        None => Err(ResponseError::UnknownTopicOrPartition),
                        Some(entry) => match ResponseError::try_from_code(entry.error_code) {
                            None => Ok(entry.offset),
                            Some(error) => Err(error),
                        },
                    };
                    match outcome {
                        Ok(offset) => {
                            if let Some(slot) = results.get_mut(index) {
                                *slot = Some(Ok(offset));
                            }
                        }
                        Err(error)
                            if refreshes_metadata(error) && attempt < self.config.retries =>
                        {
                            self.invalidate(topic);
                            retry = true;
                        }
                        Err(error) => {
                            if let Some(slot) = results.get_mut(index) {
                                *slot = Some(Err(ClientError::Partition {
                                    topic: topic.clone(),
                                    partition: *partition,
                                    error,
                                }));
                            }
                        }
                    }
                }
            }
            let unanswered = results.iter().any(Option::is_none);
            if !unanswered {
                break;
            }
            if !retry && attempt >= self.config.retries {
                break;
            }
            attempt += 1;
            tokio::time::sleep(self.config.retry_backoff).await;
        }
        Ok(results
            .into_iter()
            .zip(wanted)
            .map(|(result, (topic, partition, _))| {
                result.unwrap_or_else(|| {
                    Err(ClientError::Partition {
                        topic: topic.clone(),
                        partition: *partition,
                        error: ResponseError::LeaderNotAvailable,
                    })
                })
            })
            .collect())
    }
}

fn topic_metadata(
    name: String,
    topic: &kafka_protocol::messages::metadata_response::MetadataResponseTopic,
) -> TopicMetadata {
    let ids = |nodes: &[BrokerId]| nodes.iter().map(|node| node.0).collect::<Vec<i32>>();
    let mut partitions: Vec<PartitionMetadata> = topic
        .partitions
        .iter()
        .map(|partition| PartitionMetadata {
            partition: partition.partition_index,
            error_code: partition.error_code,
            leader: partition.leader_id.0,
            leader_epoch: partition.leader_epoch,
            replicas: ids(&partition.replica_nodes),
            isr: ids(&partition.isr_nodes),
            offline_replicas: ids(&partition.offline_replicas),
        })
        .collect();
    partitions.sort_by_key(|partition| partition.partition);
    TopicMetadata {
        name,
        topic_id: *topic.topic_id.as_bytes(),
        is_internal: topic.is_internal,
        partitions,
    }
}

/// `host:port` with a numeric port (the host may be a bracketed IPv6 literal).
pub fn valid_address(address: &str) -> bool {
    match address.rsplit_once(':') {
        Some((host, port)) => !host.is_empty() && port.parse::<u16>().is_ok(),
        None => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn bootstrap_list_is_split_and_trimmed() {
        let config = ClientConfig::new("a:1, b:2,,");
        assert_eq!(config.bootstrap_servers, vec!["a:1", "b:2"]);
    }

    #[test]
    fn addresses_need_a_numeric_port() {
        assert!(valid_address("localhost:9092"));
        assert!(valid_address("[::1]:9092"));
        assert!(!valid_address("localhost"));
        assert!(!valid_address("localhost:x"));
        assert!(!valid_address(":9092"));
    }

    #[test]
    fn offset_specs_use_the_wire_sentinels() {
        assert_eq!(OffsetSpec::Earliest.wire_timestamp(), -2);
        assert_eq!(OffsetSpec::Latest.wire_timestamp(), -1);
        assert_eq!(OffsetSpec::Timestamp(5).wire_timestamp(), 5);
    }
}
