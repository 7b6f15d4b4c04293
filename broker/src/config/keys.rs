//! The keys of `server.properties`: those [`super::BrokerConfig`] turns into settings, and
//! the real Kafka 3.x broker keys it accepts without acting on them yet (security, quotas,
//! replication tuning, the log cleaner, KRaft, …), so that a file written for Apache Kafka
//! loads without a wall of warnings. Anything else is reported as unknown.

pub const BROKER_ID: &str = "broker.id";
pub const LISTENERS: &str = "listeners";
pub const ADVERTISED_LISTENERS: &str = "advertised.listeners";
pub const LISTENER_SECURITY_PROTOCOL_MAP: &str = "listener.security.protocol.map";
pub const NUM_NETWORK_THREADS: &str = "num.network.threads";
pub const NUM_IO_THREADS: &str = "num.io.threads";
pub const SOCKET_SEND_BUFFER_BYTES: &str = "socket.send.buffer.bytes";
pub const SOCKET_RECEIVE_BUFFER_BYTES: &str = "socket.receive.buffer.bytes";
pub const SOCKET_REQUEST_MAX_BYTES: &str = "socket.request.max.bytes";
pub const LOG_DIRS: &str = "log.dirs";
pub const LOG_DIR: &str = "log.dir";
pub const NUM_PARTITIONS: &str = "num.partitions";
pub const DEFAULT_REPLICATION_FACTOR: &str = "default.replication.factor";
pub const NUM_RECOVERY_THREADS_PER_DATA_DIR: &str = "num.recovery.threads.per.data.dir";
pub const OFFSETS_TOPIC_REPLICATION_FACTOR: &str = "offsets.topic.replication.factor";
pub const OFFSETS_TOPIC_NUM_PARTITIONS: &str = "offsets.topic.num.partitions";
pub const TRANSACTION_STATE_LOG_REPLICATION_FACTOR: &str =
    "transaction.state.log.replication.factor";
pub const TRANSACTION_STATE_LOG_MIN_ISR: &str = "transaction.state.log.min.isr";
pub const LOG_SEGMENT_BYTES: &str = "log.segment.bytes";
pub const LOG_ROLL_MS: &str = "log.roll.ms";
pub const LOG_ROLL_HOURS: &str = "log.roll.hours";
pub const LOG_RETENTION_MS: &str = "log.retention.ms";
pub const LOG_RETENTION_MINUTES: &str = "log.retention.minutes";
pub const LOG_RETENTION_HOURS: &str = "log.retention.hours";
pub const LOG_RETENTION_BYTES: &str = "log.retention.bytes";
pub const LOG_INDEX_INTERVAL_BYTES: &str = "log.index.interval.bytes";
pub const LOG_INDEX_SIZE_MAX_BYTES: &str = "log.index.size.max.bytes";
pub const LOG_FLUSH_INTERVAL_MESSAGES: &str = "log.flush.interval.messages";
pub const LOG_FLUSH_INTERVAL_MS: &str = "log.flush.interval.ms";
pub const LOG_MESSAGE_TIMESTAMP_TYPE: &str = "log.message.timestamp.type";
pub const MESSAGE_MAX_BYTES: &str = "message.max.bytes";
pub const LOG_RETENTION_CHECK_INTERVAL_MS: &str = "log.retention.check.interval.ms";
pub const ZOOKEEPER_CONNECT: &str = "zookeeper.connect";
pub const ZOOKEEPER_CONNECTION_TIMEOUT_MS: &str = "zookeeper.connection.timeout.ms";
pub const ZOOKEEPER_SESSION_TIMEOUT_MS: &str = "zookeeper.session.timeout.ms";
pub const AUTO_CREATE_TOPICS_ENABLE: &str = "auto.create.topics.enable";
pub const DELETE_TOPIC_ENABLE: &str = "delete.topic.enable";
pub const BROKER_RACK: &str = "broker.rack";
pub const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";
pub const UNCLEAN_LEADER_ELECTION_ENABLE: &str = "unclean.leader.election.enable";
pub const GROUP_INITIAL_REBALANCE_DELAY_MS: &str = "group.initial.rebalance.delay.ms";
pub const GROUP_MIN_SESSION_TIMEOUT_MS: &str = "group.min.session.timeout.ms";
pub const GROUP_MAX_SESSION_TIMEOUT_MS: &str = "group.max.session.timeout.ms";
pub const GROUP_MAX_SIZE: &str = "group.max.size";
pub const OFFSETS_RETENTION_MINUTES: &str = "offsets.retention.minutes";
pub const OFFSETS_RETENTION_CHECK_INTERVAL_MS: &str = "offsets.retention.check.interval.ms";
pub const OFFSETS_TOPIC_SEGMENT_BYTES: &str = "offsets.topic.segment.bytes";
pub const OFFSETS_COMMIT_TIMEOUT_MS: &str = "offsets.commit.timeout.ms";
pub const OFFSETS_LOAD_BUFFER_SIZE: &str = "offsets.load.buffer.size";
pub const OFFSET_METADATA_MAX_BYTES: &str = "offset.metadata.max.bytes";
pub const LOG_CLEANER_ENABLE: &str = "log.cleaner.enable";
pub const LOG_CLEANER_THREADS: &str = "log.cleaner.threads";
pub const LOG_CLEANER_DEDUPE_BUFFER_SIZE: &str = "log.cleaner.dedupe.buffer.size";
pub const LOG_CLEANER_IO_BUFFER_SIZE: &str = "log.cleaner.io.buffer.size";
pub const LOG_CLEANER_BACKOFF_MS: &str = "log.cleaner.backoff.ms";
pub const AUTO_LEADER_REBALANCE_ENABLE: &str = "auto.leader.rebalance.enable";
pub const LEADER_IMBALANCE_PER_BROKER_PERCENTAGE: &str = "leader.imbalance.per.broker.percentage";
pub const LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS: &str = "leader.imbalance.check.interval.seconds";

/// Keys this module turns into settings.
pub const REPLICA_LAG_TIME_MAX_MS: &str = "replica.lag.time.max.ms";
pub const REPLICA_FETCH_MAX_BYTES: &str = "replica.fetch.max.bytes";
pub const REPLICA_FETCH_MIN_BYTES: &str = "replica.fetch.min.bytes";
pub const REPLICA_FETCH_WAIT_MAX_MS: &str = "replica.fetch.wait.max.ms";
pub const REPLICA_FETCH_RESPONSE_MAX_BYTES: &str = "replica.fetch.response.max.bytes";
pub const REPLICA_FETCH_BACKOFF_MS: &str = "replica.fetch.backoff.ms";
pub const REPLICA_SOCKET_TIMEOUT_MS: &str = "replica.socket.timeout.ms";
pub const REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS: &str =
    "replica.high.watermark.checkpoint.interval.ms";
pub const NUM_REPLICA_FETCHERS: &str = "num.replica.fetchers";
pub const CONTROLLED_SHUTDOWN_ENABLE: &str = "controlled.shutdown.enable";
pub const CONTROLLED_SHUTDOWN_MAX_RETRIES: &str = "controlled.shutdown.max.retries";
pub const CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS: &str = "controlled.shutdown.retry.backoff.ms";

pub const USED: [&str; 70] = [
    BROKER_ID,
    LISTENERS,
    ADVERTISED_LISTENERS,
    LISTENER_SECURITY_PROTOCOL_MAP,
    NUM_NETWORK_THREADS,
    NUM_IO_THREADS,
    SOCKET_SEND_BUFFER_BYTES,
    SOCKET_RECEIVE_BUFFER_BYTES,
    SOCKET_REQUEST_MAX_BYTES,
    LOG_DIRS,
    LOG_DIR,
    NUM_PARTITIONS,
    DEFAULT_REPLICATION_FACTOR,
    NUM_RECOVERY_THREADS_PER_DATA_DIR,
    OFFSETS_TOPIC_REPLICATION_FACTOR,
    OFFSETS_TOPIC_NUM_PARTITIONS,
    TRANSACTION_STATE_LOG_REPLICATION_FACTOR,
    TRANSACTION_STATE_LOG_MIN_ISR,
    LOG_SEGMENT_BYTES,
    LOG_ROLL_MS,
    LOG_ROLL_HOURS,
    LOG_RETENTION_MS,
    LOG_RETENTION_MINUTES,
    LOG_RETENTION_HOURS,
    LOG_RETENTION_BYTES,
    LOG_INDEX_INTERVAL_BYTES,
    LOG_INDEX_SIZE_MAX_BYTES,
    LOG_FLUSH_INTERVAL_MESSAGES,
    LOG_FLUSH_INTERVAL_MS,
    LOG_MESSAGE_TIMESTAMP_TYPE,
    MESSAGE_MAX_BYTES,
    LOG_RETENTION_CHECK_INTERVAL_MS,
    ZOOKEEPER_CONNECT,
    ZOOKEEPER_CONNECTION_TIMEOUT_MS,
    ZOOKEEPER_SESSION_TIMEOUT_MS,
    AUTO_CREATE_TOPICS_ENABLE,
    DELETE_TOPIC_ENABLE,
    BROKER_RACK,
    MIN_INSYNC_REPLICAS,
    UNCLEAN_LEADER_ELECTION_ENABLE,
    GROUP_INITIAL_REBALANCE_DELAY_MS,
    GROUP_MIN_SESSION_TIMEOUT_MS,
    GROUP_MAX_SESSION_TIMEOUT_MS,
    GROUP_MAX_SIZE,
    OFFSETS_RETENTION_MINUTES,
    OFFSETS_RETENTION_CHECK_INTERVAL_MS,
    OFFSETS_TOPIC_SEGMENT_BYTES,
    OFFSETS_COMMIT_TIMEOUT_MS,
    OFFSETS_LOAD_BUFFER_SIZE,
    OFFSET_METADATA_MAX_BYTES,
    LOG_CLEANER_ENABLE,
    LOG_CLEANER_THREADS,
    LOG_CLEANER_DEDUPE_BUFFER_SIZE,
    LOG_CLEANER_IO_BUFFER_SIZE,
    LOG_CLEANER_BACKOFF_MS,
    REPLICA_LAG_TIME_MAX_MS,
    REPLICA_FETCH_MAX_BYTES,
    REPLICA_FETCH_MIN_BYTES,
    REPLICA_FETCH_WAIT_MAX_MS,
    REPLICA_FETCH_RESPONSE_MAX_BYTES,
    REPLICA_FETCH_BACKOFF_MS,
    REPLICA_SOCKET_TIMEOUT_MS,
    REPLICA_HIGH_WATERMARK_CHECKPOINT_INTERVAL_MS,
    NUM_REPLICA_FETCHERS,
    CONTROLLED_SHUTDOWN_ENABLE,
    CONTROLLED_SHUTDOWN_MAX_RETRIES,
    CONTROLLED_SHUTDOWN_RETRY_BACKOFF_MS,
    AUTO_LEADER_REBALANCE_ENABLE,
    LEADER_IMBALANCE_PER_BROKER_PERCENTAGE,
    LEADER_IMBALANCE_CHECK_INTERVAL_SECONDS,
];

/// Real Kafka 3.x broker keys (exact, or a `prefix.` family) accepted silently although
/// this broker does not act on them yet. Families are used only where every key in Kafka's
/// documentation under that prefix is a broker key.
pub const ACCEPTED_UNUSED: [&str; 89] = [
    // Security: TLS, SASL, authorisation, per-listener overrides.
    "ssl.",
    "sasl.",
    "listener.name.",
    "security.inter.broker.protocol",
    "security.providers",
    "inter.broker.listener.name",
    "control.plane.listener.name",
    "principal.builder.class",
    "authorizer.class.name",
    "super.users",
    "allow.everyone.if.no.acl.found",
    "connections.max.reauth.ms",
    "delegation.token.",
    "password.encoder.",
    "config.providers",
    "config.providers.",
    // Replication, leadership and shutdown.
    "replica.",
    "num.replica.fetchers",
    "num.replica.alter.log.dirs.threads",
    "controlled.shutdown.",
    "controller.socket.timeout.ms",
    "inter.broker.protocol.version",
    "broker.id.generation.enable",
    "reserved.broker.max.id",
    // Groups, offsets and transactions beyond the settings above.
    "group.",
    "offsets.",
    "transaction.",
    "transactional.id.expiration.ms",
    "producer.id.expiration.ms",
    "producer.id.expiration.check.interval.ms",
    // Log tuning not modelled yet (the cleaner's I/O throttle and load factor among them).
    "log.cleaner.",
    "log.cleanup.policy",
    "log.roll.jitter.ms",
    "log.roll.jitter.hours",
    "log.flush.scheduler.interval.ms",
    "log.flush.offset.checkpoint.interval.ms",
    "log.flush.start.offset.checkpoint.interval.ms",
    "log.segment.delete.delay.ms",
    "log.preallocate",
    "log.message.format.version",
    "log.message.timestamp.difference.max.ms",
    "log.message.timestamp.before.max.ms",
    "log.message.timestamp.after.max.ms",
    "log.message.downconversion.enable",
    "log.local.retention.ms",
    "log.local.retention.bytes",
    "compression.type",
    "remote.log.",
    // Network and request handling.
    "background.threads",
    "queued.max.requests",
    "queued.max.request.bytes",
    "request.timeout.ms",
    "connections.max.idle.ms",
    "max.connections",
    "max.connections.per.ip",
    "max.connections.per.ip.overrides",
    "max.connection.creation.rate",
    "socket.listen.backlog.size",
    "socket.connection.setup.timeout.ms",
    "socket.connection.setup.timeout.max.ms",
    "fetch.max.bytes",
    "max.incremental.fetch.session.cache.slots",
    "fetch.purgatory.purge.interval.requests",
    "producer.purgatory.purge.interval.requests",
    "delete.records.purgatory.purge.interval.requests",
    "early.start.listeners",
    // Quotas, metrics, policies.
    "quota.window.num",
    "quota.window.size.seconds",
    "replication.quota.window.num",
    "replication.quota.window.size.seconds",
    "alter.log.dirs.replication.quota.window.num",
    "alter.log.dirs.replication.quota.window.size.seconds",
    "client.quota.callback.class",
    "metric.reporters",
    "metrics.",
    "kafka.metrics.",
    "auto.include.jmx.reporter",
    "create.topic.policy.class.name",
    "alter.config.policy.class.name",
    // ZooKeeper client details.
    "zookeeper.set.acl",
    "zookeeper.max.in.flight.requests",
    "zookeeper.ssl.",
    "zookeeper.clientCnxnSocket",
    "zookeeper.metadata.migration.enable",
    // KRaft mode (this broker runs in ZooKeeper mode).
    "process.roles",
    "node.id",
    "controller.listener.names",
    "controller.quorum.",
    "metadata.",
];
