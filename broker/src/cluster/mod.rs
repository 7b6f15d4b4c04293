//! The broker's link to the coordinator: its session, registration, the metadata cache, and
//! the topic admin writes (Kafka's `KafkaZkClient` + `AdminZkClient` + metadata cache).
//!
//! Flow: [`Cluster::connect`] opens the session (retrying until
//! `zookeeper.connection.timeout.ms`), creates Kafka's persistent paths and reads or
//! creates `/cluster/id`. Once the listeners are bound, [`Cluster::start`] registers
//! `/brokers/ids/<id>` and starts the refresh loop, which
//!
//! 1. reads the cluster state into a new [`MetadataImage`] ([`reader`]), arming watches;
//! 2. reconciles the local logs with it ([`local_logs`]) and hands it to the replica
//!    manager, which takes or gives up leaderships and starts or stops fetching;
//! 3. publishes it (handlers read it with [`Cluster::image`]), so a handler never sees a
//!    leadership whose log and role are not in place yet;
//! 4. elects itself controller when `/controller` is free, and while controller carries
//!    out [`crate::controller::plan`];
//! 5. sleeps until a watch fires, then starts over.
//!
//! While controller, every `leader.imbalance.check.interval.seconds` (when
//! `auto.leader.rebalance.enable`) the loop also runs Kafka's leader imbalance check
//! ([`crate::controller::election::plan_rebalance`]) and the preferred elections it asks for.
//!
//! Failures: a read that fails (coordinator down) keeps the previous image — the broker
//! keeps serving what it leads — and is retried every [`RETRY_PAUSE`]. An expired session
//! is replaced by a new one, the broker registers again and takes part in a new controller
//! election. [`Cluster::shutdown`] deregisters and closes the session.
//!
//! Admin writes ([`Cluster::create_topic`], [`Cluster::delete_topic`],
//! [`Cluster::create_partitions`], [`Cluster::set_topic_config`]) go to the coordinator
//! directly; callers then wait with [`Cluster::wait_until`] for the image to show the
//! result.

pub mod assignment;
pub mod error;
pub mod image;
pub mod local_logs;
pub mod reader;
pub mod topic_config;
pub mod zk;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::zk_layout::{
    paths, BrokerRegistration, ConfigChangeNotification, EntityConfig, TopicAssignment, Uuid,
};
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use zookeeper_client::{Client, SessionState};

use crate::config::topic::validate_topic_overrides;
use crate::controller::{self, Controllership};
use crate::handler::Storage;
use crate::log::LogConfig;
use crate::replication::ReplicaManager;
pub use error::ClusterError;
pub use image::{BrokerInfo, Leadership, MetadataImage, PartitionImage, TopicImage};

/// `/admin/controlled_shutdown`: an ephemeral child `<broker id>` per broker in controlled
/// shutdown (this broker's own path; Kafka sends a ControlledShutdown request instead).
pub const CONTROLLED_SHUTDOWN: &str = "/admin/controlled_shutdown";

/// Pause before retrying a failed refresh or reconnect.
pub const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How long [`Cluster::start`] waits for the first complete metadata read.
const FIRST_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What the cluster link needs from server.properties.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub broker_id: i32,
    /// `zookeeper.connect`, chroot included.
    pub zookeeper_connect: String,
    pub session_timeout: Duration,
    pub connection_timeout: Duration,
    /// `delete.topic.enable`.
    pub delete_topic_enable: bool,
    /// The broker's default topic settings, to which topic overrides apply.
    pub log_config: LogConfig,
    /// `auto.leader.rebalance.enable`.
    pub auto_leader_rebalance_enable: bool,
    /// `leader.imbalance.per.broker.percentage`.
    pub leader_imbalance_per_broker_percentage: i32,
    /// `leader.imbalance.check.interval.seconds`.
    pub leader_imbalance_check_interval: Duration,
    /// `unclean.leader.election.enable`: the default of topics without their own setting.
    pub unclean_leader_election_enable: bool,
}

/// A topic to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    pub name: String,
    /// Partition → replicas.
    pub assignment: BTreeMap<i32, Vec<i32>>,
    pub config: BTreeMap<String, String>,
}

/// The cluster link; cloning shares it.
#[derive(Debug, Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    options: ClusterOptions,
    cluster_id: String,
    /// `None` once shut down (dropping the last client closes the session).
    client: Mutex<Option<Client>>,
    image: watch::Sender<Arc<MetadataImage>>,
    notify: Arc<Notify>,
    shutdown: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
    /// The controller state while this broker is the controller. The refresh loop and the
    /// handlers of controller requests (ElectLeaders, ControlledShutdown, reassignments)
    /// take turns on it, so controller decisions never interleave.
    controller: tokio::sync::Mutex<ControllerState>,
}

/// What the controller keeps between decisions (empty on every other broker).
#[derive(Debug, Default)]
pub struct ControllerState {
    /// The epoch this broker won, while it is the controller.
    pub controllership: Option<Controllership>,
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

impl Cluster {
    /// Opens the session and makes the start-up writes (persistent paths, cluster id).
    pub async fn connect(options: ClusterOptions) -> Result<Cluster, ClusterError> {
        let client = zk::connect(
            &options.zookeeper_connect,
            options.session_timeout,
            options.connection_timeout,
        )
        .await?;
        tracing::info!(
            "[ZooKeeperClient Kafka server] Connected (session 0x{:x}).",
            client.session_id().0
        );
        zk::ensure_persistent_paths(&client).await?;
        // Exists from the start, so every broker's children watch on it is armed.
        create_if_missing(&client, CONTROLLED_SHUTDOWN, zk::persistent()).await?;
        let cluster_id = zk::cluster_id(&client).await?;
        tracing::info!("Cluster ID = {cluster_id}");
        let (image, _) = watch::channel(Arc::new(MetadataImage {
            cluster_id: cluster_id.clone(),
            ..MetadataImage::default()
        }));
        let (shutdown, _) = watch::channel(false);
        Ok(Cluster {
            inner: Arc::new(Inner {
                options,
                cluster_id,
                client: Mutex::new(Some(client)),
                image,
                notify: Arc::new(Notify::new()),
                shutdown,
                task: Mutex::new(None),
                controller: tokio::sync::Mutex::new(ControllerState::default()),
            }),
        })
    }

    /// Registers this broker with `registration` (waiting up to the session timeout for a
    /// previous session's node to expire), starts the refresh loop and waits for the first
    /// complete metadata read. `storage` is reconciled with every new image.
    pub async fn start(
        &self,
        registration: BrokerRegistration,
        storage: Storage,
        replicas: ReplicaManager,
    ) -> Result<(), ClusterError> {
        let client = self.client()?;
        let options = &self.inner.options;
        let epoch = zk::register_broker_patiently(
            &client,
            options.broker_id,
            &registration,
            registration_patience(options.session_timeout),
        )
        .await?;
        tracing::info!(
            "Registered broker {} at path {} with addresses: {}, czxid (broker epoch): {epoch}",
            options.broker_id,
            paths::broker_id(options.broker_id),
            registration
                .endpoints
                .iter()
                .map(|endpoint| endpoint.connection_string())
                .collect::<Vec<_>>()
                .join(",")
        );
        let task = tokio::spawn(run(
            Arc::clone(&self.inner),
            registration,
            storage,
            replicas,
        ));
        if let Ok(mut slot) = self.inner.task.lock() {
            *slot = Some(task);
        }
        let loaded = self
            .wait_until(FIRST_READ_TIMEOUT, |image| image.loaded)
            .await;
        if !loaded {
            return Err(ClusterError::TimedOut {
                what: "the first metadata read".to_owned(),
                waited: FIRST_READ_TIMEOUT,
            });
        }
        Ok(())
    }

    /// The current session's client; fails once the broker is shutting down.
    pub fn client(&self) -> Result<Client, ClusterError> {
        client_of(&self.inner)
    }

    pub fn broker_id(&self) -> i32 {
        self.inner.options.broker_id
    }

    pub fn cluster_id(&self) -> &str {
        &self.inner.cluster_id
    }

    pub fn options(&self) -> &ClusterOptions {
        &self.inner.options
    }

    /// The controller state, locked: `controllership` is `Some` only on the controller.
    /// Hold the guard for the whole decision (plan and writes), never across a wait for
    /// the image.
    pub async fn controller(&self) -> tokio::sync::MutexGuard<'_, ControllerState> {
        self.inner.controller.lock().await
    }

    /// The latest metadata snapshot.
    pub fn image(&self) -> Arc<MetadataImage> {
        self.inner.image.borrow().clone()
    }

    /// The config overrides of `topic` (from the cache).
    pub fn topic_config(&self, topic: &str) -> Option<BTreeMap<String, String>> {
        self.image().topic_config(topic)
    }

    /// Waits until `condition` holds for the image (true) or `timeout` passes (false).
    pub async fn wait_until(
        &self,
        timeout: Duration,
        condition: impl Fn(&MetadataImage) -> bool,
    ) -> bool {
        let mut receiver = self.inner.image.subscribe();
        let waiting = async {
            loop {
                if condition(&receiver.borrow_and_update()) {
                    return true;
                }
                if receiver.changed().await.is_err() {
                    return false;
                }
            }
        };
        tokio::time::timeout(timeout, waiting)
            .await
            .unwrap_or(false)
    }

    /// Asks the refresh loop for a new read (after a write of ours, so it shows sooner).
    pub fn refresh(&self) {
        self.inner.notify.notify_one();
    }

    /// An assignment for a new topic over the live brokers (Kafka's round robin from a
    /// random broker; rack-aware when every live broker has a rack).
    pub fn assign_new_topic(
        &self,
        partitions: i32,
        replication_factor: i32,
    ) -> Result<BTreeMap<i32, Vec<i32>>, ClusterError> {
        let brokers: Vec<assignment::BrokerRack> = self
            .image()
            .brokers
            .values()
            .map(|broker| assignment::BrokerRack {
                id: broker.id,
                rack: broker.rack.clone(),
            })
            .collect();
        let start = rand::random_range(0..brokers.len().max(1));
        assignment::assign(&brokers, partitions, replication_factor, 0, start)
            .map_err(assignment_error)
    }

    /// Creates a topic: checks it is new (not existing, not marked for deletion, no
    /// `.`/`_` collision) and its config valid, then — unless `validate_only` — writes
    /// `/config/topics/<t>` and `/brokers/topics/<t>` with a new topic id, which is
    /// returned.
    pub async fn create_topic(
        &self,
        topic: &NewTopic,
        validate_only: bool,
    ) -> Result<Uuid, ClusterError> {
        let client = self.client()?;
        let name = topic.name.as_str();
        if exists(&client, &paths::delete_topic(name)).await? {
            return Err(ClusterError::TopicMarkedForDeletion {
                topic: name.to_owned(),
            });
        }
        if exists(&client, &paths::topic(name)).await? {
            return Err(ClusterError::TopicExists {
                topic: name.to_owned(),
            });
        }
        if common::zk_layout::topic_name::has_collision_chars(name) {
            let image = self.image();
            if let Some(existing) = image
                .topics
                .keys()
                .find(|existing| common::zk_layout::topic_name::collides(existing, name))
            {
                return Err(ClusterError::TopicCollides {
                    topic: name.to_owned(),
                    existing: existing.clone(),
                });
            }
        }
        validate_topic_overrides(&topic.config).map_err(|error| ClusterError::InvalidConfig {
            message: error.to_string(),
        })?;
        let topic_id = Uuid::random();
        if validate_only {
            return Ok(topic_id);
        }
        write_entity_config(&client, name, &topic.config).await?;
        let record = TopicAssignment {
            partitions: topic.assignment.clone(),
            topic_id: Some(topic_id),
            ..TopicAssignment::default()
        };
        let path = paths::topic(name);
        match client
            .create(&path, &record.to_json(), &zk::persistent())
            .await
        {
            Ok(_) => {}
            Err(zookeeper_client::Error::NodeExists) => {
                return Err(ClusterError::TopicExists {
                    topic: name.to_owned(),
                })
            }
            Err(source) => return Err(ClusterError::zookeeper("create", &path)(source)),
        }
        tracing::info!(
            "Creating topic {name} with configuration {:?} and initial partition assignment {:?}",
            topic.config,
            topic.assignment
        );
        self.refresh();
        Ok(topic_id)
    }

    /// Marks `topic` for deletion (`/admin/delete_topics/<t>`); the controller deletes it.
    pub async fn delete_topic(&self, topic: &str) -> Result<(), ClusterError> {
        if !self.inner.options.delete_topic_enable {
            return Err(ClusterError::DeletionDisabled {
                topic: topic.to_owned(),
            });
        }
        let client = self.client()?;
        if !exists(&client, &paths::topic(topic)).await? {
            return Err(ClusterError::UnknownTopic {
                topic: topic.to_owned(),
            });
        }
        let path = paths::delete_topic(topic);
        match client.create(&path, &[], &zk::persistent()).await {
            // Already marked: the deletion is under way, as the caller wants.
            Ok(_) | Err(zookeeper_client::Error::NodeExists) => {}
            Err(source) => return Err(ClusterError::zookeeper("create", &path)(source)),
        }
        tracing::info!("Topic {topic} marked for deletion");
        self.refresh();
        Ok(())
    }

    /// Grows `topic` to `count` partitions. `assignments` gives the new partitions'
    /// replicas (else Kafka's round robin continues from partition 0's leader).
    pub async fn create_partitions(
        &self,
        topic: &str,
        count: i32,
        assignments: Option<Vec<Vec<i32>>>,
        validate_only: bool,
    ) -> Result<(), ClusterError> {
        let client = self.client()?;
        let path = paths::topic(topic);
        let (bytes, stat) = match client.get_data(&path).await {
            Ok(found) => found,
            Err(zookeeper_client::Error::NoNode) => {
                return Err(ClusterError::UnknownTopic {
                    topic: topic.to_owned(),
                })
            }
            Err(source) => return Err(ClusterError::zookeeper("get", &path)(source)),
        };
        if exists(&client, &paths::delete_topic(topic)).await? {
            return Err(ClusterError::TopicMarkedForDeletion {
                topic: topic.to_owned(),
            });
        }
        let mut record = TopicAssignment::from_json(&bytes).map_err(ClusterError::layout(&path))?;
        let image = self.image();
        let extension = plan_partition_growth(
            &record.partitions,
            count,
            assignments,
            &image.live_broker_ids(),
        )?;
        if validate_only {
            return Ok(());
        }
        record.partitions.extend(extension.clone());
        match client
            .set_data(&path, &record.to_json(), Some(stat.version))
            .await
        {
            Ok(_) => {}
            Err(source) => return Err(ClusterError::zookeeper("set", &path)(source)),
        }
        tracing::info!("Adding partitions to topic {topic}: {extension:?}");
        self.refresh();
        Ok(())
    }

    /// Replaces the config overrides of `topic` (`/config/topics/<t>`) and notifies every
    /// broker through `/config/changes`.
    pub async fn set_topic_config(
        &self,
        topic: &str,
        config: BTreeMap<String, String>,
    ) -> Result<(), ClusterError> {
        let client = self.client()?;
        if !exists(&client, &paths::topic(topic)).await? {
            return Err(ClusterError::UnknownTopic {
                topic: topic.to_owned(),
            });
        }
        validate_topic_overrides(&config).map_err(|error| ClusterError::InvalidConfig {
            message: error.to_string(),
        })?;
        write_entity_config(&client, topic, &config).await?;
        let notification = ConfigChangeNotification {
            entity_path: format!("topics/{topic}"),
        };
        let prefix = paths::config_change_prefix();
        client
            .create(
                &prefix,
                &notification.to_json(),
                &zk::persistent_sequential(),
            )
            .await
            .map_err(ClusterError::zookeeper("create", &prefix))?;
        self.refresh();
        Ok(())
    }

    /// Controlled shutdown: announces it (`/admin/controlled_shutdown/<id>`, ephemeral),
    /// then waits up to `timeout` until the controller has moved away every leadership that
    /// another in-sync replica can take and taken this broker out of the ISRs others lead.
    /// Returns the partitions it still leads (nobody could take them).
    pub async fn controlled_shutdown(
        &self,
        timeout: Duration,
    ) -> Result<Vec<String>, ClusterError> {
        let client = self.client()?;
        let broker_id = self.inner.options.broker_id;
        // A coordinator wiped since start-up lost it.
        create_if_missing(&client, CONTROLLED_SHUTDOWN, zk::persistent()).await?;
        let path = format!("{CONTROLLED_SHUTDOWN}/{broker_id}");
        create_if_missing(&client, &path, zk::ephemeral()).await?;
        self.refresh();
        self.wait_until(timeout, |image| {
            image.shutting_down.contains(&broker_id)
                && pending_handovers(image, broker_id).is_empty()
        })
        .await;
        Ok(self
            .image()
            .topics
            .iter()
            .flat_map(|(name, topic)| {
                topic
                    .partitions
                    .iter()
                    .filter(|(_, partition)| partition.leader() == Some(broker_id))
                    .map(move |(index, _)| format!("{name}-{index}"))
            })
            .collect())
    }

    /// Stops the loop, deletes this broker's registration (and `/controller` if it is
    /// ours) and closes the session.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        let task = self.inner.task.lock().ok().and_then(|mut slot| slot.take());
        if let Some(task) = task {
            let _ = task.await;
        }
        let Ok(client) = self.client() else {
            return;
        };
        let broker_id = self.inner.options.broker_id;
        let session = client.session_id().0;
        for path in [paths::broker_id(broker_id), paths::CONTROLLER.to_owned()] {
            if let Ok((_, stat)) = client.get_data(&path).await {
                if stat.ephemeral_owner == session {
                    let _ = client.delete(&path, Some(stat.version)).await;
                }
            }
        }
        let mut state = client.state_watcher();
        drop(client);
        // Dropping the last client sends closeSession; wait for it briefly so the
        // coordinator drops our ephemerals now rather than at session expiry.
        if let Ok(mut slot) = self.inner.client.lock() {
            slot.take();
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            while !state.changed().await.is_terminated() {}
        })
        .await;
        tracing::info!("[ZooKeeperClient Kafka server] Closed.");
    }
}

/// What the controller still has to do for `broker_id` to leave: partitions it leads where
/// another eligible ISR member could take over, and ISRs of others' partitions it is in.
pub fn pending_handovers(image: &MetadataImage, broker_id: i32) -> Vec<(String, i32)> {
    let mut pending = Vec::new();
    for (name, topic) in &image.topics {
        for (index, partition) in &topic.partitions {
            let Some(state) = &partition.state else {
                continue;
            };
            let others_eligible = state
                .isr
                .iter()
                .any(|member| *member != broker_id && image.is_eligible(*member));
            let leads = state.leader == broker_id;
            let follows_in_isr = !leads
                && state.isr.contains(&broker_id)
                && state.leader >= 0
                && image.is_eligible(state.leader);
            if (leads && others_eligible) || follows_in_isr {
                pending.push((name.clone(), *index));
            }
        }
    }
    pending
}

fn client_of(inner: &Inner) -> Result<Client, ClusterError> {
    let slot = match inner.client.lock() {
        Ok(slot) => slot,
        Err(poisoned) => poisoned.into_inner(),
    };
    slot.clone().ok_or(ClusterError::ShuttingDown)
}

fn assignment_error(error: assignment::AssignmentError) -> ClusterError {
    match error {
        assignment::AssignmentError::NoPartitions => ClusterError::InvalidPartitions {
            message: error.to_string(),
        },
        assignment::AssignmentError::NoReplicas
        | assignment::AssignmentError::NotEnoughBrokers { .. } => {
            ClusterError::InvalidReplicationFactor {
                message: error.to_string(),
            }
        }
        // Kafka fails the topic with a non-API exception (UNKNOWN_SERVER_ERROR).
        assignment::AssignmentError::MixedRacks { .. } => ClusterError::Assignment {
            message: error.to_string(),
        },
    }
}

/// The partitions to add when `current` grows to `count` (Kafka's checks and messages).
pub fn plan_partition_growth(
    current: &BTreeMap<i32, Vec<i32>>,
    count: i32,
    assignments: Option<Vec<Vec<i32>>>,
    live_brokers: &[i32],
) -> Result<BTreeMap<i32, Vec<i32>>, ClusterError> {
    let existing = i32::try_from(current.len()).unwrap_or(i32::MAX);
    if count < existing {
        return Err(ClusterError::InvalidPartitions {
            message: format!(
                "Topic currently has {existing} partitions, which is higher than the requested {count}."
            ),
        });
    }
    if count == existing {
        return Err(ClusterError::InvalidPartitions {
            message: format!("Topic already has {existing} partitions."),
        });
    }
    let first = current.get(&0).cloned().unwrap_or_default();
    let replication_factor = i32::try_from(first.len().max(1)).unwrap_or(1);
    let added = count - existing;
    match assignments {
        Some(given) => {
            if i32::try_from(given.len()).ok() != Some(added) {
                return Err(ClusterError::InvalidReplicaAssignment {
                    message: format!(
                        "Increasing the number of partitions by {added} but {} assignments provided.",
                        given.len()
                    ),
                });
            }
            let mut extension = BTreeMap::new();
            for (offset, replicas) in given.into_iter().enumerate() {
                let partition = existing.saturating_add(i32::try_from(offset).unwrap_or(0));
                let mut unique = replicas.clone();
                unique.sort_unstable();
                unique.dedup();
                if unique.len() != replicas.len() {
                    return Err(ClusterError::InvalidReplicaAssignment {
                        message: format!(
                            "Duplicate brokers not allowed in replica assignment: {replicas:?} for partition id {partition}."
                        ),
                    });
                }
                if i32::try_from(replicas.len()).ok() != Some(replication_factor) {
                    return Err(ClusterError::InvalidReplicaAssignment {
                        message: format!(
                            "Inconsistent replication factor between partitions, partition 0 has {replication_factor} while partition {partition} has replication factor {}.",
                            replicas.len()
                        ),
                    });
                }
                let unknown: Vec<i32> = replicas
                    .iter()
                    .copied()
                    .filter(|id| !live_brokers.contains(id))
                    .collect();
                if !unknown.is_empty() {
                    return Err(ClusterError::InvalidReplicaAssignment {
                        message: format!(
                            "Unknown broker(s) in replica assignment: {}.",
                            unknown
                                .iter()
                                .map(i32::to_string)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    });
                }
                extension.insert(partition, replicas);
            }
            Ok(extension)
        }
        None => {
            let mut sorted = live_brokers.to_vec();
            sorted.sort_unstable();
            let start = first
                .first()
                .and_then(|leader| sorted.iter().position(|id| id == leader))
                .unwrap_or(0);
            assignment::assign_replicas(&sorted, added, replication_factor, existing, start)
                .map_err(assignment_error)
        }
    }
}

/// Creates an empty node at `path` unless it exists.
async fn create_if_missing(
    client: &Client,
    path: &str,
    options: zookeeper_client::CreateOptions<'_>,
) -> Result<(), ClusterError> {
    match client.create(path, &[], &options).await {
        Ok(_) | Err(zookeeper_client::Error::NodeExists) => Ok(()),
        Err(source) => Err(ClusterError::zookeeper("create", path)(source)),
    }
}

async fn exists(client: &Client, path: &str) -> Result<bool, ClusterError> {
    client
        .check_stat(path)
        .await
        .map(|stat| stat.is_some())
        .map_err(ClusterError::zookeeper("exists", path))
}

/// Writes `/config/topics/<t>` (set, or create when missing).
async fn write_entity_config(
    client: &Client,
    topic: &str,
    config: &BTreeMap<String, String>,
) -> Result<(), ClusterError> {
    let mut entity = EntityConfig::default();
    for (key, value) in config {
        entity.set(key, value);
    }
    let path = paths::topic_config(topic);
    let json = entity.to_json();
    loop {
        match client.set_data(&path, &json, None).await {
            Ok(_) => return Ok(()),
            Err(zookeeper_client::Error::NoNode) => {}
            Err(source) => return Err(ClusterError::zookeeper("set", &path)(source)),
        }
        match client.create(&path, &json, &zk::persistent()).await {
            Ok(_) => return Ok(()),
            Err(zookeeper_client::Error::NodeExists) => continue,
            Err(source) => return Err(ClusterError::zookeeper("create", &path)(source)),
        }
    }
}

/// The refresh loop (see the module docs).
async fn run(
    inner: Arc<Inner>,
    registration: BrokerRegistration,
    storage: Storage,
    replicas: ReplicaManager,
) {
    let broker_id = inner.options.broker_id;
    let mut shutdown = inner.shutdown.subscribe();
    let mut watches = reader::Watches::new(Arc::clone(&inner.notify));
    let Ok(first) = client_of(&inner) else {
        return;
    };
    let mut session_state = first.state_watcher();
    drop(first);
    let rebalance_interval = inner.options.leader_imbalance_check_interval;
    let auto_rebalance =
        inner.options.auto_leader_rebalance_enable && !rebalance_interval.is_zero();
    let mut next_rebalance = tokio::time::Instant::now() + rebalance_interval;
    loop {
        let Ok(client) = client_of(&inner) else {
            return;
        };
        let mut failed = false;
        match reader::read_image(&client, &watches, &inner.cluster_id).await {
            Ok(image) => {
                let image = Arc::new(image);
                // Logs and roles first: a handler that sees this image finds them in place.
                reconcile_logs(&inner, &storage, Arc::clone(&image)).await;
                replicas.apply_image(Arc::clone(&image)).await;
                inner.image.send_replace(Arc::clone(&image));
                let mut controller = inner.controller.lock().await;
                let acted = act_as_controller(
                    &client,
                    broker_id,
                    &image,
                    &mut controller,
                    inner.options.unclean_leader_election_enable,
                )
                .await;
                drop(controller);
                match acted {
                    Ok(true) => inner.notify.notify_one(),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::warn!(%error, "controller work failed, retrying");
                        failed = true;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, "reading cluster metadata failed, serving the last known state");
                failed = true;
            }
        }
        let mut expired = client.state().is_terminated();
        if !expired {
            tokio::select! {
                _ = shutdown.changed() => return,
                _ = inner.notify.notified() => {}
                state = session_state.changed() => {
                    expired = state.is_terminated();
                    if state == SessionState::Disconnected {
                        tracing::info!("[ZooKeeperClient Kafka server] Disconnected from the coordinator; reconnecting");
                    }
                }
                _ = tokio::time::sleep(RETRY_PAUSE), if failed => {}
                _ = tokio::time::sleep_until(next_rebalance), if auto_rebalance => {
                    next_rebalance = tokio::time::Instant::now() + rebalance_interval;
                    rebalance_leaders(&inner, &client).await;
                }
            }
        }
        if *shutdown.borrow() {
            return;
        }
        if expired {
            tracing::info!(
                "[ZooKeeperClient Kafka server] Session expired; creating a new session"
            );
            inner.controller.lock().await.controllership = None;
            let Some(client) = reestablish(&inner, &registration, &mut shutdown).await else {
                return;
            };
            session_state = client.state_watcher();
            watches = reader::Watches::new(Arc::clone(&inner.notify));
        }
    }
}

/// Elects this broker when `/controller` is free and, while controller, executes the plan.
/// `Ok(true)`: something was written, read again.
async fn act_as_controller(
    client: &Client,
    broker_id: i32,
    image: &MetadataImage,
    state: &mut ControllerState,
    unclean_default: bool,
) -> Result<bool, ClusterError> {
    let controllership = &mut state.controllership;
    match image.controller_id {
        None => {
            *controllership = None;
            if let Some(won) = controller::try_elect(client, broker_id, now_ms()).await? {
                tracing::info!(
                    "[Controller id={broker_id}] {broker_id} successfully elected as the controller. Epoch incremented to {} and epoch zk version is now {}",
                    won.epoch,
                    won.epoch_zk_version
                );
                *controllership = Some(won);
            }
            Ok(true)
        }
        Some(id) if id != broker_id => {
            *controllership = None;
            Ok(false)
        }
        Some(_) => {
            let Some(current) = *controllership else {
                // A /controller of ours from an earlier session: it goes when that session
                // expires, and the election runs again.
                return Ok(false);
            };
            clear_isr_change_notifications(client).await;
            let actions = controller::plan(image, current.epoch, unclean_default);
            if actions.is_empty() {
                return Ok(false);
            }
            controller::execute_or_resign(client, broker_id, controllership, actions).await?;
            Ok(true)
        }
    }
}

/// Deletes the ISR change notifications leaders leave (every broker watches the state
/// nodes themselves, so there is nothing else to do with them).
async fn clear_isr_change_notifications(client: &Client) {
    let Ok(children) = client.list_children(paths::ISR_CHANGE_NOTIFICATION).await else {
        return;
    };
    for child in children {
        let path = format!("{}/{child}", paths::ISR_CHANGE_NOTIFICATION);
        let _ = client.delete(&path, None).await;
    }
}

/// Kafka's automatic preferred leader rebalance, on the controller only: the imbalance
/// check over the current image, then the preferred elections it picked.
async fn rebalance_leaders(inner: &Inner, client: &Client) {
    let mut state = inner.controller.lock().await;
    let Some(controllership) = state.controllership else {
        return;
    };
    let broker_id = inner.options.broker_id;
    let image = inner.image.borrow().clone();
    let rebalance = controller::election::plan_rebalance(
        &image,
        inner.options.leader_imbalance_per_broker_percentage,
    );
    for broker in &rebalance.imbalance {
        tracing::debug!(
            "[Controller id={broker_id}] Leader imbalance ratio for broker {} is {}",
            broker.broker,
            broker.ratio
        );
    }
    if rebalance.elections.is_empty() {
        return;
    }
    let shown: Vec<String> = rebalance
        .elections
        .iter()
        .map(ToString::to_string)
        .collect();
    tracing::info!(
        "[Controller id={broker_id}] Starting replica leader election (PREFERRED) for partitions {} triggered by AutoTriggered",
        shown.join(",")
    );
    let plan = controller::election::plan_elections(
        &image,
        rebalance.elections,
        controller::election::ElectionType::Preferred,
        controllership.epoch,
    );
    match controller::execute_or_resign(client, broker_id, &mut state.controllership, plan.actions)
        .await
    {
        Ok(_) => inner.notify.notify_one(),
        Err(error) => tracing::warn!(%error, "automatic leader rebalance failed"),
    }
}

async fn reconcile_logs(inner: &Inner, storage: &Storage, image: Arc<MetadataImage>) {
    let broker_id = inner.options.broker_id;
    let defaults = inner.options.log_config.clone();
    let outcome = storage
        .run(move |dir| {
            local_logs::reconcile(dir, &image, broker_id, &defaults).map_err(Into::into)
        })
        .await;
    match outcome {
        Ok(done) => {
            for created in &done.created {
                tracing::info!(
                    "[LogManager broker={broker_id}] Created log for partition {created}"
                );
            }
            for deleted in &done.deleted {
                tracing::info!(
                    "[LogManager broker={broker_id}] Deleted log for partition {deleted}"
                );
            }
            for changed in &done.reconfigured {
                tracing::info!("Applied new topic config to partition {changed}");
            }
        }
        Err(error) => tracing::warn!(%error, "reconciling local logs failed"),
    }
}

/// Opens a new session after expiry and registers again; retries until it works or the
/// broker shuts down (`None`).
async fn reestablish(
    inner: &Inner,
    registration: &BrokerRegistration,
    shutdown: &mut watch::Receiver<bool>,
) -> Option<Client> {
    let options = &inner.options;
    loop {
        if *shutdown.borrow() {
            return None;
        }
        let attempt = async {
            let client = zk::connect(
                &options.zookeeper_connect,
                options.session_timeout,
                options.session_timeout,
            )
            .await?;
            let epoch = zk::register_broker_patiently(
                &client,
                options.broker_id,
                registration,
                registration_patience(options.session_timeout),
            )
            .await?;
            Ok::<_, ClusterError>((client, epoch))
        };
        let outcome = tokio::select! {
            _ = shutdown.changed() => return None,
            outcome = attempt => outcome,
        };
        match outcome {
            Ok((client, epoch)) => {
                tracing::info!(
                    "Re-registered broker {} with a new session, czxid (broker epoch): {epoch}",
                    options.broker_id
                );
                if let Ok(mut slot) = inner.client.lock() {
                    *slot = Some(client.clone());
                }
                inner.notify.notify_one();
                return Some(client);
            }
            Err(error) => {
                tracing::warn!(%error, "re-creating the coordinator session failed, retrying");
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// How long a starting broker waits for the registration a killed run of it left behind:
/// the old session expires at most one server tick after its timeout, and a tick is at most
/// half a session timeout (ZooKeeper negotiates timeouts of at least two ticks), so twice
/// the timeout always covers it.
fn registration_patience(session_timeout: Duration) -> Duration {
    session_timeout.saturating_mul(2) + RETRY_PAUSE
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn partition_growth_follows_kafkas_rules() {
        let current: BTreeMap<i32, Vec<i32>> = [(0, vec![1]), (1, vec![2]), (2, vec![1])].into();
        let error = plan_partition_growth(&current, 2, None, &[1, 2]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Topic currently has 3 partitions, which is higher than the requested 2."
        );
        assert_eq!(
            plan_partition_growth(&current, 3, None, &[1, 2])
                .unwrap_err()
                .to_string(),
            "Topic already has 3 partitions."
        );
        let grown = plan_partition_growth(&current, 5, None, &[1, 2]).unwrap();
        assert_eq!(grown.keys().copied().collect::<Vec<_>>(), vec![3, 4]);
        assert!(grown.values().all(|replicas| replicas.len() == 1));
        let given = plan_partition_growth(&current, 4, Some(vec![vec![2]]), &[1, 2]).unwrap();
        assert_eq!(given[&3], vec![2]);
        assert!(matches!(
            plan_partition_growth(&current, 4, Some(vec![vec![9]]), &[1, 2]),
            Err(ClusterError::InvalidReplicaAssignment { .. })
        ));
        assert!(matches!(
            plan_partition_growth(&current, 5, Some(vec![vec![1]]), &[1, 2]),
            Err(ClusterError::InvalidReplicaAssignment { .. })
        ));
    }
}
