//! Every znode path Kafka's ZooKeeper mode uses, as plain strings relative to the chroot (the
//! `zookeeper-client` connection applies a chroot such as `/kafka` itself).
//!
//! Sequential notification nodes are created with a prefix path (`…/isr_change_`) and the server
//! appends a 10-digit counter; the `*_prefix` functions return those create paths.

/// `/brokers`.
pub const BROKERS: &str = "/brokers";
/// `/brokers/ids`: one ephemeral child per live broker.
pub const BROKER_IDS: &str = "/brokers/ids";
/// `/brokers/topics`: one child per topic holding its replica assignment.
pub const TOPICS: &str = "/brokers/topics";
/// `/brokers/seqid`: its `stat.version` generates broker ids.
pub const BROKER_SEQUENCE_ID: &str = "/brokers/seqid";
/// `/controller`: ephemeral, held by the elected controller.
pub const CONTROLLER: &str = "/controller";
/// `/controller_epoch`: decimal text, bumped at each election.
pub const CONTROLLER_EPOCH: &str = "/controller_epoch";
/// `/cluster`.
pub const CLUSTER: &str = "/cluster";
/// `/cluster/id`.
pub const CLUSTER_ID: &str = "/cluster/id";
/// `/config`.
pub const CONFIG: &str = "/config";
/// `/config/changes`: sequential change notifications.
pub const CONFIG_CHANGES: &str = "/config/changes";
/// `/admin`.
pub const ADMIN: &str = "/admin";
/// `/admin/delete_topics`: one child per topic awaiting deletion.
pub const DELETE_TOPICS: &str = "/admin/delete_topics";
/// `/admin/reassign_partitions` (legacy reassignment request).
pub const REASSIGN_PARTITIONS: &str = "/admin/reassign_partitions";
/// `/admin/preferred_replica_election`.
pub const PREFERRED_REPLICA_ELECTION: &str = "/admin/preferred_replica_election";
/// `/isr_change_notification`.
pub const ISR_CHANGE_NOTIFICATION: &str = "/isr_change_notification";
/// `/log_dir_event_notification`.
pub const LOG_DIR_EVENT_NOTIFICATION: &str = "/log_dir_event_notification";
/// `/latest_producer_id_block`.
pub const LATEST_PRODUCER_ID_BLOCK: &str = "/latest_producer_id_block";
/// `/feature`: finalized cluster features.
pub const FEATURE: &str = "/feature";
/// `/consumers`: the old consumer's root, created with an open ACL.
pub const CONSUMERS: &str = "/consumers";
/// `/kafka-acl`, `/kafka-acl-changes`, `/kafka-acl-extended`, `/kafka-acl-extended-changes`.
pub const KAFKA_ACL: &str = "/kafka-acl";
pub const KAFKA_ACL_CHANGES: &str = "/kafka-acl-changes";
pub const KAFKA_ACL_EXTENDED: &str = "/kafka-acl-extended";
pub const KAFKA_ACL_EXTENDED_CHANGES: &str = "/kafka-acl-extended-changes";
/// `/delegation_token`, its `tokens` and `token_changes` children.
pub const DELEGATION_TOKEN: &str = "/delegation_token";
pub const DELEGATION_TOKENS: &str = "/delegation_token/tokens";
pub const DELEGATION_TOKEN_CHANGES: &str = "/delegation_token/token_changes";

/// Sequential-node name prefixes.
pub const CONFIG_CHANGE_SEQUENCE_PREFIX: &str = "config_change_";
pub const ISR_CHANGE_SEQUENCE_PREFIX: &str = "isr_change_";
pub const LOG_DIR_EVENT_SEQUENCE_PREFIX: &str = "log_dir_event_";
pub const ACL_CHANGE_SEQUENCE_PREFIX: &str = "acl_changes_";
pub const TOKEN_CHANGE_SEQUENCE_PREFIX: &str = "token_change_";

/// The entity types with a `/config/<type>` subtree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigEntityType {
    Topics,
    Clients,
    Users,
    Brokers,
    Ips,
}

impl ConfigEntityType {
    /// In the order Kafka creates them at start-up.
    pub const ALL: [ConfigEntityType; 5] = [
        ConfigEntityType::Topics,
        ConfigEntityType::Clients,
        ConfigEntityType::Users,
        ConfigEntityType::Brokers,
        ConfigEntityType::Ips,
    ];

    /// The path segment (`topics`, `clients`, `users`, `brokers`, `ips`).
    pub fn as_str(self) -> &'static str {
        match self {
            ConfigEntityType::Topics => "topics",
            ConfigEntityType::Clients => "clients",
            ConfigEntityType::Users => "users",
            ConfigEntityType::Brokers => "brokers",
            ConfigEntityType::Ips => "ips",
        }
    }

    pub fn from_segment(segment: &str) -> Option<ConfigEntityType> {
        ConfigEntityType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == segment)
    }
}

/// Persistent paths every broker creates (if missing) at start-up, in Kafka's order
/// (`ZkData.PersistentZkPaths`). Parents are created as needed.
pub const PERSISTENT_PATHS: [&str; 14] = [
    CONSUMERS,
    BROKER_IDS,
    TOPICS,
    CONFIG_CHANGES,
    DELETE_TOPICS,
    BROKER_SEQUENCE_ID,
    ISR_CHANGE_NOTIFICATION,
    LATEST_PRODUCER_ID_BLOCK,
    LOG_DIR_EVENT_NOTIFICATION,
    "/config/topics",
    "/config/clients",
    "/config/users",
    "/config/brokers",
    "/config/ips",
];

/// Paths that hold secrets: with `zookeeper.set.acl` they get CREATOR_ALL only, no world READ.
pub const SENSITIVE_ROOT_PATHS: [&str; 3] = ["/config/users", "/config/brokers", DELEGATION_TOKENS];

/// True if `path` lies under a sensitive root.
pub fn is_sensitive(path: &str) -> bool {
    SENSITIVE_ROOT_PATHS
        .iter()
        .any(|root| path.starts_with(root))
}

/// `/brokers/ids/<id>`.
pub fn broker_id(id: i32) -> String {
    format!("{BROKER_IDS}/{id}")
}

/// `/brokers/topics/<topic>`.
pub fn topic(name: &str) -> String {
    format!("{TOPICS}/{name}")
}

/// `/brokers/topics/<topic>/partitions`.
pub fn topic_partitions(name: &str) -> String {
    format!("{TOPICS}/{name}/partitions")
}

/// `/brokers/topics/<topic>/partitions/<partition>`.
pub fn topic_partition(name: &str, partition: i32) -> String {
    format!("{TOPICS}/{name}/partitions/{partition}")
}

/// `/brokers/topics/<topic>/partitions/<partition>/state`.
pub fn partition_state(name: &str, partition: i32) -> String {
    format!("{TOPICS}/{name}/partitions/{partition}/state")
}

/// `/config/<type>`.
pub fn config_entity_type(kind: ConfigEntityType) -> String {
    format!("{CONFIG}/{}", kind.as_str())
}

/// `/config/<type>/<name>`.
pub fn config_entity(kind: ConfigEntityType, name: &str) -> String {
    format!("{CONFIG}/{}/{name}", kind.as_str())
}

/// `/config/topics/<topic>`.
pub fn topic_config(name: &str) -> String {
    config_entity(ConfigEntityType::Topics, name)
}

/// `/admin/delete_topics/<topic>`.
pub fn delete_topic(name: &str) -> String {
    format!("{DELETE_TOPICS}/{name}")
}

/// `/config/changes/config_change_`: create path of a sequential config change notification.
pub fn config_change_prefix() -> String {
    format!("{CONFIG_CHANGES}/{CONFIG_CHANGE_SEQUENCE_PREFIX}")
}

/// `/isr_change_notification/isr_change_`: create path of a sequential ISR notification.
pub fn isr_change_notification_prefix() -> String {
    format!("{ISR_CHANGE_NOTIFICATION}/{ISR_CHANGE_SEQUENCE_PREFIX}")
}

/// `/isr_change_notification/<child>` for a child name returned by getChildren.
pub fn isr_change_notification(child: &str) -> String {
    format!("{ISR_CHANGE_NOTIFICATION}/{child}")
}

/// `/log_dir_event_notification/log_dir_event_`.
pub fn log_dir_event_notification_prefix() -> String {
    format!("{LOG_DIR_EVENT_NOTIFICATION}/{LOG_DIR_EVENT_SEQUENCE_PREFIX}")
}

/// `/log_dir_event_notification/<child>`.
pub fn log_dir_event_notification(child: &str) -> String {
    format!("{LOG_DIR_EVENT_NOTIFICATION}/{child}")
}

/// `/delegation_token/token_changes/token_change_`.
pub fn token_change_prefix() -> String {
    format!("{DELEGATION_TOKEN_CHANGES}/{TOKEN_CHANGE_SEQUENCE_PREFIX}")
}

/// `/delegation_token/tokens/<token id>`.
pub fn delegation_token(token_id: &str) -> String {
    format!("{DELEGATION_TOKENS}/{token_id}")
}

/// `/consumers/<group>/offsets/<topic>/<partition>` (old consumer).
pub fn consumer_offset(group: &str, topic: &str, partition: i32) -> String {
    format!("{CONSUMERS}/{group}/offsets/{topic}/{partition}")
}

/// The counter a sequential child carries after `prefix` (`isr_change_0000000042` → `42`).
pub fn sequence_number(child: &str, prefix: &str) -> Option<u64> {
    let start = child.rfind(prefix)? + prefix.len();
    child.get(start..)?.parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_kafka_layout() {
        assert_eq!(broker_id(3), "/brokers/ids/3");
        assert_eq!(topic("t"), "/brokers/topics/t");
        assert_eq!(topic_partitions("t"), "/brokers/topics/t/partitions");
        assert_eq!(topic_partition("t", 2), "/brokers/topics/t/partitions/2");
        assert_eq!(
            partition_state("t", 2),
            "/brokers/topics/t/partitions/2/state"
        );
        assert_eq!(topic_config("t"), "/config/topics/t");
        assert_eq!(
            config_entity(ConfigEntityType::Users, "alice"),
            "/config/users/alice"
        );
        assert_eq!(delete_topic("t"), "/admin/delete_topics/t");
        assert_eq!(config_change_prefix(), "/config/changes/config_change_");
        assert_eq!(
            isr_change_notification_prefix(),
            "/isr_change_notification/isr_change_"
        );
        assert_eq!(
            log_dir_event_notification_prefix(),
            "/log_dir_event_notification/log_dir_event_"
        );
        assert_eq!(
            token_change_prefix(),
            "/delegation_token/token_changes/token_change_"
        );
        assert_eq!(consumer_offset("g", "t", 0), "/consumers/g/offsets/t/0");
    }

    #[test]
    fn persistent_paths_are_kafkas_list_in_order() {
        assert_eq!(PERSISTENT_PATHS[0], "/consumers");
        assert_eq!(PERSISTENT_PATHS[8], "/log_dir_event_notification");
        let config_types: Vec<String> = ConfigEntityType::ALL
            .iter()
            .map(|kind| config_entity_type(*kind))
            .collect();
        assert_eq!(&PERSISTENT_PATHS[9..], config_types.as_slice());
        assert!(PERSISTENT_PATHS.iter().all(|path| path.starts_with('/')));
    }

    #[test]
    fn sensitive_paths_and_sequence_numbers() {
        assert!(is_sensitive("/config/users/alice"));
        assert!(is_sensitive("/delegation_token/tokens/x"));
        assert!(!is_sensitive("/config/topics/t"));
        assert_eq!(
            sequence_number("isr_change_0000000042", ISR_CHANGE_SEQUENCE_PREFIX),
            Some(42)
        );
        assert_eq!(
            sequence_number("isr_change_x", ISR_CHANGE_SEQUENCE_PREFIX),
            None
        );
        assert_eq!(
            ConfigEntityType::from_segment("ips"),
            Some(ConfigEntityType::Ips)
        );
        assert_eq!(ConfigEntityType::from_segment("nope"), None);
    }
}
