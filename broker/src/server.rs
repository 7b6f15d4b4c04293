//! The broker process in-process: [`Broker::start`] joins the cluster (coordinator session,
//! persistent paths, cluster id), opens the log dir, binds every listener, registers
//! `/brokers/ids/<id>` and starts the metadata refresh loop ([`crate::cluster`]), then
//! accepts connections (each served by [`crate::network::connection::serve`] on its own
//! task, with the [`Context`] of its listener). [`BrokerHandle::stop`] is the controlled
//! shutdown: stop accepting, drop every connection, deregister and close the session, close
//! the log dir cleanly.
//!
//! [`ServerOptions`] holds what the broker needs from server.properties, with Kafka's
//! defaults; [`ServerOptions::from_config`] fills it from a loaded [`BrokerConfig`].
//!
//! Advertised host: a listener without one advertises the machine's host name (Kafka uses
//! the canonical host name, `InetAddress.getLocalHost().getCanonicalHostName()`; std offers
//! no reverse lookup, so this broker takes the kernel's host name when it resolves, else
//! `localhost`, with a warning).

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use common::zk_layout::{BrokerRegistration, EndPoint, SecurityProtocol};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::cluster::{now_ms, Cluster, ClusterError, ClusterOptions};
use crate::config::BrokerConfig;
use crate::group::{GroupConfig, GroupCoordinator};
use crate::handler::{Context, Storage, StorageError};
use crate::log::cleaner::{CleanerConfig, LogCleaner};
use crate::log::meta_properties::{self, MetaPropertiesError};
use crate::log::{LogConfig, LogDir, LogError, SystemClock};
use crate::network::connection;
use crate::producer::{BlockSource, ProducerIdAllocator};
use crate::replication::ReplicaManager;

/// One listener: where to bind and what to advertise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerOptions {
    /// The listener name (`PLAINTEXT`).
    pub name: String,
    pub security_protocol: SecurityProtocol,
    /// Host or IP to bind; `None`: all interfaces.
    pub host: Option<String>,
    /// Port to bind; 0 picks a free one.
    pub port: u16,
    /// `advertised.listeners` host; `None`: the machine's host name.
    pub advertised_host: Option<String>,
    /// `advertised.listeners` port; `None` (or 0): the bound port.
    pub advertised_port: Option<u16>,
}

impl ListenerOptions {
    /// A PLAINTEXT listener on `host:port`, advertising the same host.
    pub fn plaintext(host: &str, port: u16) -> Self {
        ListenerOptions {
            name: "PLAINTEXT".to_owned(),
            security_protocol: SecurityProtocol::Plaintext,
            host: Some(host.to_owned()),
            port,
            advertised_host: Some(host.to_owned()),
            advertised_port: None,
        }
    }
}

/// The broker's settings (server.properties names in the field docs).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `listeners` with their `advertised.listeners`; the first is the inter-broker one.
    pub listeners: Vec<ListenerOptions>,
    /// `broker.id`.
    pub broker_id: i32,
    /// `broker.rack`.
    pub rack: Option<String>,
    /// `log.dirs` (one dir for now).
    pub log_dir: PathBuf,
    /// `num.partitions`: partitions of auto-created topics and of CreateTopics with -1.
    pub num_partitions: i32,
    /// `default.replication.factor`: of auto-created topics and CreateTopics with -1.
    pub default_replication_factor: i16,
    /// `message.max.bytes`: the largest record batch accepted.
    pub message_max_bytes: i32,
    /// `socket.request.max.bytes`: the largest request frame; larger closes the connection.
    pub socket_request_max_bytes: i32,
    /// `auto.create.topics.enable`.
    pub auto_create_topics_enable: bool,
    /// `delete.topic.enable`.
    pub delete_topic_enable: bool,
    /// Default topic settings (`log.segment.bytes`, `log.retention.ms`, ...).
    pub log_config: LogConfig,
    /// `zookeeper.connect` (chroot included).
    pub zookeeper_connect: String,
    /// `zookeeper.session.timeout.ms`.
    pub zookeeper_session_timeout: Duration,
    /// `zookeeper.connection.timeout.ms`.
    pub zookeeper_connection_timeout: Duration,
    /// `log.retention.check.interval.ms`: how often retention runs over every log.
    pub retention_check_interval: Duration,
    /// How often the recovery-point and log-start-offset checkpoints are written (Kafka's
    /// `log.flush.offset.checkpoint.interval.ms`, 60 s).
    pub checkpoint_interval: Duration,
    /// The group coordinator's settings (`group.*`, `offsets.*`).
    pub groups: GroupConfig,
    /// The whole configuration, for DescribeConfigs (a broker's settings and the defaults
    /// topic configs fall back to). [`ServerOptions::new`] holds Kafka's defaults.
    pub config: Arc<BrokerConfig>,
}

impl ServerOptions {
    /// Kafka's defaults: `PLAINTEXT://:9092`, broker id 0, coordinator at localhost:2181.
    pub fn new(log_dir: impl Into<PathBuf>) -> Self {
        ServerOptions {
            listeners: vec![ListenerOptions {
                name: "PLAINTEXT".to_owned(),
                security_protocol: SecurityProtocol::Plaintext,
                host: None,
                port: 9092,
                advertised_host: None,
                advertised_port: None,
            }],
            broker_id: 0,
            rack: None,
            log_dir: log_dir.into(),
            num_partitions: 1,
            default_replication_factor: 1,
            message_max_bytes: 1_048_588,
            socket_request_max_bytes: 104_857_600,
            auto_create_topics_enable: true,
            delete_topic_enable: true,
            log_config: LogConfig::default(),
            zookeeper_connect: "localhost:2181".to_owned(),
            zookeeper_session_timeout: Duration::from_secs(18),
            zookeeper_connection_timeout: Duration::from_secs(18),
            retention_check_interval: Duration::from_millis(300_000),
            checkpoint_interval: Duration::from_millis(60_000),
            groups: GroupConfig::default(),
            config: Arc::new(BrokerConfig::defaults()),
        }
    }

    /// The options of a loaded configuration (the first of `log.dirs` is used).
    pub fn from_config(config: &BrokerConfig) -> Self {
        let mut options = ServerOptions::new(
            config
                .log_dirs
                .first()
                .cloned()
                .unwrap_or_else(|| PathBuf::from("/tmp/kafka-logs")),
        );
        let mut listeners = Vec::new();
        for listener in &config.listeners {
            let advertised = config
                .advertised_listeners
                .iter()
                .find(|advertised| advertised.name == listener.name);
            let security_protocol = config
                .listener_security_protocol_map
                .get(&listener.name)
                .and_then(|name| SecurityProtocol::from_name(name))
                .unwrap_or(SecurityProtocol::Plaintext);
            listeners.push(ListenerOptions {
                name: listener.name.clone(),
                security_protocol,
                host: listener.host.clone(),
                port: listener.port,
                advertised_host: advertised.and_then(|advertised| advertised.host.clone()),
                advertised_port: advertised
                    .map(|advertised| advertised.port)
                    .filter(|port| *port != 0),
            });
        }
        if !listeners.is_empty() {
            options.listeners = listeners;
        }
        options.broker_id = config.broker_id;
        options.rack = config.broker_rack.clone();
        options.num_partitions = config.num_partitions;
        options.default_replication_factor = config.default_replication_factor;
        options.message_max_bytes = config.log.max_message_bytes;
        options.socket_request_max_bytes =
            i32::try_from(config.socket_request_max_bytes).unwrap_or(i32::MAX);
        options.auto_create_topics_enable = config.auto_create_topics_enable;
        options.delete_topic_enable = config.delete_topic_enable;
        options.log_config = config.log.clone();
        options.zookeeper_connect = config.zookeeper_connect.clone();
        options.zookeeper_session_timeout = config.zookeeper_session_timeout;
        options.zookeeper_connection_timeout = config.zookeeper_connection_timeout;
        options.retention_check_interval = config.log_retention_check_interval;
        options.groups = GroupConfig::from_broker_config(config);
        options.config = Arc::new(config.clone());
        options
    }

    fn cluster_options(&self) -> ClusterOptions {
        ClusterOptions {
            broker_id: self.broker_id,
            zookeeper_connect: self.zookeeper_connect.clone(),
            session_timeout: self.zookeeper_session_timeout,
            connection_timeout: self.zookeeper_connection_timeout,
            delete_topic_enable: self.delete_topic_enable,
            log_config: self.log_config.clone(),
            auto_leader_rebalance_enable: self.config.auto_leader_rebalance_enable,
            leader_imbalance_per_broker_percentage: self
                .config
                .leader_imbalance_per_broker_percentage,
            leader_imbalance_check_interval: self.config.leader_imbalance_check_interval,
            unclean_leader_election_enable: self.config.unclean_leader_election_enable,
        }
    }
}

/// Why the broker could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("opening log dir: {0}")]
    OpenLogDir(#[from] LogError),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no listener configured")]
    NoListener,
    #[error("{0}")]
    MetaProperties(#[from] MetaPropertiesError),
    #[error("{0}")]
    Cluster(#[from] ClusterError),
    #[error("closing storage: {0}")]
    Storage(#[from] StorageError),
    #[error("broker task failed: {reason}")]
    Task { reason: String },
}

/// The broker type; see [`Broker::start`].
#[derive(Debug)]
pub struct Broker;

/// A running broker.
#[derive(Debug)]
pub struct BrokerHandle {
    broker_id: i32,
    local_addrs: Vec<(String, SocketAddr)>,
    shutdown: watch::Sender<bool>,
    acceptors: Vec<JoinHandle<()>>,
    storage: Storage,
    cluster: Cluster,
    groups: GroupCoordinator,
    replicas: ReplicaManager,
}

impl Broker {
    /// Joins the cluster, opens (recovering if needed) the log dir, binds the listeners,
    /// registers this broker and starts serving. Must be called inside a tokio runtime;
    /// returns once the first metadata read completed.
    pub async fn start(options: ServerOptions) -> Result<BrokerHandle, ServerError> {
        let broker_id = options.broker_id;
        tracing::info!("[KafkaServer id={broker_id}] starting");
        if options.listeners.is_empty() {
            return Err(ServerError::NoListener);
        }
        tracing::info!(
            "[KafkaServer id={broker_id}] Connecting to zookeeper on {}",
            options.zookeeper_connect
        );
        let cluster = Cluster::connect(options.cluster_options()).await?;
        let path = options.log_dir.clone();
        let config = options.log_config.clone();
        let cluster_id = cluster.cluster_id().to_owned();
        let log_dir = tokio::task::spawn_blocking(move || {
            // meta.properties first: a dir of another broker or cluster is not loaded.
            std::fs::create_dir_all(&path).map_err(|source| LogError::Io {
                path: path.clone(),
                action: "creating the log dir",
                source,
            })?;
            meta_properties::check_and_write(
                std::slice::from_ref(&path),
                broker_id,
                &cluster_id,
                &common::time::java_date(now_ms()),
            )
            .map_err(ServerError::MetaProperties)?;
            LogDir::open(&path, config, Arc::new(SystemClock)).map_err(ServerError::from)
        })
        .await
        .map_err(|error| ServerError::Task {
            reason: error.to_string(),
        })??;
        tracing::info!(
            "[LogManager broker={broker_id}] Loaded logs from {}",
            options.log_dir.display()
        );
        let storage = Storage::new(log_dir);
        let mut bound = Vec::new();
        let mut endpoints = Vec::new();
        for listener in &options.listeners {
            let bind_host = listener
                .host
                .clone()
                .unwrap_or_else(|| "0.0.0.0".to_owned());
            let addr = format!("{bind_host}:{}", listener.port);
            let bind_error = |source| ServerError::Bind {
                addr: addr.clone(),
                source,
            };
            let socket = TcpListener::bind(addr.as_str()).await.map_err(bind_error)?;
            let local_addr = socket.local_addr().map_err(bind_error)?;
            tracing::info!(
                "Awaiting socket connections on {}:{}.",
                local_addr.ip(),
                local_addr.port()
            );
            let advertised_host = listener
                .advertised_host
                .clone()
                .or_else(|| listener.host.clone().filter(|host| host != "0.0.0.0"))
                .unwrap_or_else(default_host_name);
            let advertised_port = listener.advertised_port.unwrap_or(local_addr.port());
            endpoints.push(EndPoint::new(
                &listener.name,
                &advertised_host,
                advertised_port,
                listener.security_protocol,
            ));
            bound.push((
                listener.name.clone(),
                socket,
                local_addr,
                advertised_host,
                advertised_port,
            ));
        }
        let registration =
            BrokerRegistration::new(endpoints, options.rack.clone(), -1, now_ms(), Vec::new());
        let replicas = ReplicaManager::new(
            broker_id,
            options.config.replication.clone(),
            options
                .listeners
                .first()
                .map_or_else(|| "PLAINTEXT".to_owned(), |listener| listener.name.clone()),
            storage.clone(),
            cluster.clone(),
        );
        if let Err(error) = cluster
            .start(registration, storage.clone(), replicas.clone())
            .await
        {
            replicas.shutdown();
            cluster.shutdown().await;
            let _ = storage.close().await;
            return Err(error.into());
        }
        let producer_ids = Arc::new(ProducerIdAllocator::new(BlockSource::Cluster(
            cluster.clone(),
        )));
        let groups = GroupCoordinator::new(
            options.groups.clone(),
            broker_id,
            storage.clone(),
            cluster.clone(),
            replicas.clone(),
        );
        replicas.start();
        groups.start();
        let (shutdown, _) = watch::channel(false);
        let mut acceptors = vec![tokio::spawn(log_maintenance(
            storage.clone(),
            replicas.clone(),
            options.retention_check_interval,
            options.checkpoint_interval.min(
                options
                    .config
                    .replication
                    .high_watermark_checkpoint_interval,
            ),
            options.config.cleaner.clone(),
            shutdown.subscribe(),
        ))];
        let mut local_addrs = Vec::new();
        for (name, socket, local_addr, advertised_host, advertised_port) in bound {
            let context = Arc::new(Context {
                options: options.clone(),
                listener_name: name.clone(),
                advertised_host,
                advertised_port: i32::from(advertised_port),
                storage: storage.clone(),
                cluster: cluster.clone(),
                producer_ids: Arc::clone(&producer_ids),
                groups: groups.clone(),
                replicas: replicas.clone(),
            });
            acceptors.push(tokio::spawn(accept_loop(
                socket,
                context,
                shutdown.subscribe(),
            )));
            local_addrs.push((name, local_addr));
        }
        tracing::info!("[KafkaServer id={broker_id}] started");
        Ok(BrokerHandle {
            broker_id,
            local_addrs,
            shutdown,
            acceptors,
            storage,
            cluster,
            groups,
            replicas,
        })
    }
}

/// The kernel's host name when it resolves, else `localhost` (see the module docs).
pub fn default_host_name() -> String {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|text| text.trim().to_owned())
        .unwrap_or_default();
    if !name.is_empty() && (name.as_str(), 0).to_socket_addrs().is_ok() {
        return name;
    }
    tracing::warn!("host name {name:?} does not resolve; advertising localhost");
    "localhost".to_owned()
}

/// Stops the log cleaner when log maintenance ends, however it ends.
struct StopOnDrop(Option<LogCleaner>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Some(cleaner) = self.0.take() {
            cleaner.stop();
        }
    }
}

/// The log manager's background duties until shutdown: the log cleaner's threads,
/// retention over every log each
/// `retention_interval` (segments past `retention.ms` / `retention.bytes` or below the log
/// start offset are deleted and the start offset moves), and the recovery-point and
/// log-start-offset checkpoints each `checkpoint_interval` (so an unclean start rescans only
/// what came after them). Failures are logged; the next round tries again.
async fn log_maintenance(
    storage: Storage,
    replicas: ReplicaManager,
    retention_interval: Duration,
    checkpoint_interval: Duration,
    cleaner: CleanerConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    // Compaction runs on its own threads; stopped (and joined) before the log dir closes.
    let cleaner = LogCleaner::start(storage.shared_log_dir(), cleaner, Arc::new(SystemClock));
    let mut cleaner = StopOnDrop(Some(cleaner));
    let start = tokio::time::Instant::now();
    let mut retention = tokio::time::interval_at(start + retention_interval, retention_interval);
    let mut checkpoint = tokio::time::interval_at(start + checkpoint_interval, checkpoint_interval);
    retention.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    checkpoint.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            _ = retention.tick() => {
                let replicas = replicas.clone();
                let outcome = storage.run(move |dir| {
                    // Retention by time or size stops at the high watermark.
                    replicas.sync_high_watermarks(dir);
                    let now_ms = now_ms();
                    let mut deleted = Vec::new();
                    let partitions: Vec<_> = dir.topic_partitions().cloned().collect();
                    for topic_partition in partitions {
                        if let Some(log) = dir.log_mut(&topic_partition) {
                            match log.apply_retention(now_ms) {
                                Ok(outcome) if !outcome.deleted_segments.is_empty() => {
                                    deleted.push((topic_partition, outcome));
                                }
                                Ok(_) => {}
                                Err(error) => tracing::warn!(
                                    %error, partition = %topic_partition.dir_name(),
                                    "retention failed"
                                ),
                            }
                        }
                    }
                    Ok(deleted)
                }).await;
                match outcome {
                    Ok(deleted) => {
                        for (topic_partition, outcome) in deleted {
                            tracing::info!(
                                "Deleted {} segment(s) ({} bytes) of {} by retention; log start \
                                 offset is now {}",
                                outcome.deleted_segments.len(),
                                outcome.deleted_bytes,
                                topic_partition.dir_name(),
                                outcome.log_start_offset
                            );
                        }
                    }
                    Err(error) => tracing::warn!(%error, "retention round failed"),
                }
            }
            _ = checkpoint.tick() => {
                let replicas = replicas.clone();
                let taken = storage.run(move |dir| {
                    replicas.sync_high_watermarks(dir);
                    Ok(dir.offset_checkpoints())
                }).await;
                // The files (and their fsyncs) are written without the log dir lock.
                let written = match taken {
                    Ok(checkpoints) => tokio::task::spawn_blocking(move || checkpoints.write())
                        .await
                        .map_err(|error| StorageError::Task { reason: error.to_string() })
                        .and_then(|written| written.map_err(StorageError::from)),
                    Err(error) => Err(error),
                };
                if let Err(error) = written {
                    tracing::warn!(%error, "writing checkpoints failed");
                }
            }
        }
    }
    if let Some(cleaner) = cleaner.0.take() {
        let _ = tokio::task::spawn_blocking(move || cleaner.stop()).await;
    }
}

async fn accept_loop(
    listener: TcpListener,
    context: Arc<Context>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let context = Arc::clone(&context);
                    connections.spawn(async move {
                        if let Err(error) = connection::serve(context, stream).await {
                            tracing::debug!(%peer, %error, "connection closed");
                        }
                    });
                }
                Err(error) => tracing::warn!(%error, "accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

impl BrokerHandle {
    /// The address the first listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addrs
            .first()
            .map(|(_, addr)| *addr)
            .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)))
    }

    /// Every listener's name and bound address.
    pub fn listener_addrs(&self) -> &[(String, SocketAddr)] {
        &self.local_addrs
    }

    /// The cluster link (metadata cache, admin writes).
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// The log dir, shared with the request handlers.
    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The group coordinator.
    pub fn groups(&self) -> &GroupCoordinator {
        &self.groups
    }

    /// Controlled shutdown: stops accepting, closes every connection, deregisters from the
    /// coordinator and closes the session, then closes the log dir cleanly (all logs
    /// flushed, checkpoints and the clean-shutdown marker written on return).
    pub async fn stop(self) -> Result<(), ServerError> {
        let broker_id = self.broker_id;
        tracing::info!("[KafkaServer id={broker_id}] shutting down");
        let replication = self.replicas.config().clone();
        if replication.controlled_shutdown_enable {
            // Clients keep being served while leadership moves away.
            let timeout = replication.socket_timeout;
            match self.cluster.controlled_shutdown(timeout).await {
                Ok(remaining) if remaining.is_empty() => {
                    tracing::info!("[KafkaServer id={broker_id}] Controlled shutdown request returned successfully");
                }
                Ok(remaining) => tracing::info!(
                    "[KafkaServer id={broker_id}] Controlled shutdown finished with partitions still led here (no other in-sync replica): {}",
                    remaining.join(",")
                ),
                Err(error) => tracing::warn!(
                    "[KafkaServer id={broker_id}] Controlled shutdown failed ({error}); proceeding to do an unclean shutdown"
                ),
            }
        }
        let _ = self.shutdown.send(true);
        for acceptor in self.acceptors {
            acceptor.await.map_err(|error| ServerError::Task {
                reason: error.to_string(),
            })?;
        }
        self.replicas.shutdown();
        self.groups.shutdown().await;
        self.cluster.shutdown().await;
        let replicas = self.replicas.clone();
        self.storage
            .run(move |dir| {
                replicas.sync_high_watermarks(dir);
                Ok(())
            })
            .await?;
        self.storage.close().await?;
        tracing::info!("[KafkaServer id={broker_id}] shut down completed");
        Ok(())
    }
}
