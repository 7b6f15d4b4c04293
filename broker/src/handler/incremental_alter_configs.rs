//! IncrementalAlterConfigs (every version the `kafka-protocol` crate serves, 0–1): changes
//! single topic overrides, as `kafka-configs.sh --alter --add-config/--delete-config` does.
//!
//! [`plan`] is pure, with the outcome shape of [`super::alter_configs::plan`]: the new full
//! override set of each changed topic (none when `validate_only`) and the response; the
//! caller writes each planned map and records a failed write with [`mark_failed`].
//!
//! Operations, applied in request order to the topic's current overrides:
//! - SET (0) puts the value; DELETE (1) removes the key (value ignored, may be null);
//! - APPEND (2) adds the comma-separated items not yet present to a LIST config, starting
//!   from the current value or, when none, the config's default; SUBTRACT (3) removes the
//!   items. Both are refused for other configs with INVALID_REQUEST "Config value append
//!   is not allowed for config key: <k>" (or "subtract"), and for unknown keys with
//!   INVALID_CONFIG "Unknown topic config name: <k>".
//!
//! Per resource, before any operation: a resource named twice → INVALID_REQUEST; a key
//! named twice → INVALID_REQUEST "Error due to duplicate config keys"; a null value on an
//! operation other than DELETE → INVALID_REQUEST "Null value not supported for : <names>";
//! an unknown operation id → INVALID_REQUEST. The resulting set is validated and errors are
//! answered as in AlterConfigs (unknown topic, illegal name, bad value, unknown key);
//! BROKER resources as [`super::alter_configs::broker_outcome`] says.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::incremental_alter_configs_request::AlterConfigsResource;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::alter_configs::{
    broker_outcome, check_no_nulls, duplicate_resource_error, duplicate_resources, existing_topic,
    topic_config_failure, unsupported_type, PlannedChanges, ResourceError,
};
use super::describe_configs::resource_type;
use crate::config::topic::{
    list_default, list_items, topic_config, validate_topic_overrides, ConfigType, TopicLookup,
};

/// Kafka's `AlterConfigOp.OpType` ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOperation {
    Set,
    Delete,
    Append,
    Subtract,
}

impl ConfigOperation {
    /// The operation of a wire id.
    pub fn from_id(id: i8) -> Option<ConfigOperation> {
        match id {
            0 => Some(ConfigOperation::Set),
            1 => Some(ConfigOperation::Delete),
            2 => Some(ConfigOperation::Append),
            3 => Some(ConfigOperation::Subtract),
            _ => None,
        }
    }
}

/// Decides an IncrementalAlterConfigs request: the topics whose override set changes (with
/// the new full set; none when `validate_only`) and the response, every resource answered.
/// `broker_id` is this broker's.
pub fn plan(
    request: &IncrementalAlterConfigsRequest,
    lookup: impl Fn(&str) -> TopicLookup,
    broker_id: i32,
) -> (PlannedChanges, IncrementalAlterConfigsResponse) {
    let duplicates = duplicate_resources(
        request
            .resources
            .iter()
            .map(|resource| (resource.resource_type, resource.resource_name.as_str())),
    );
    let mut changes = Vec::new();
    let mut responses = Vec::with_capacity(request.resources.len());
    for resource in &request.resources {
        let kind = resource.resource_type;
        let name = resource.resource_name.as_str();
        let outcome = if duplicates.contains(&(kind, name.to_owned())) {
            Err(duplicate_resource_error())
        } else {
            check_resource(resource).and_then(|()| match kind {
                resource_type::TOPIC => plan_topic(resource, &lookup).map(|overrides| {
                    if !request.validate_only {
                        changes.push((name.to_owned(), overrides));
                    }
                }),
                resource_type::BROKER => {
                    let keys = resource
                        .configs
                        .iter()
                        .map(|c| c.name.as_str().to_owned())
                        .collect();
                    broker_outcome(name, broker_id, &keys)
                }
                other => Err(unsupported_type(other)),
            })
        };
        let mut response = AlterConfigsResourceResponse::default();
        response.resource_type = kind;
        response.resource_name = resource.resource_name.clone();
        // Kafka answers success with a null message (the crate's default is "").
        response.error_message = None;
        if let Err((code, message)) = outcome {
            response.error_code = code.code();
            response.error_message = message.map(StrBytes::from_string);
        }
        responses.push(response);
    }
    let mut response = IncrementalAlterConfigsResponse::default();
    response.responses = responses;
    (changes, response)
}

/// The checks made before any operation: duplicate keys, null values, operation ids.
fn check_resource(resource: &AlterConfigsResource) -> Result<(), ResourceError> {
    let mut keys = BTreeSet::new();
    if !resource
        .configs
        .iter()
        .all(|config| keys.insert(config.name.as_str()))
    {
        return Err((
            ResponseError::InvalidRequest,
            Some("Error due to duplicate config keys".to_owned()),
        ));
    }
    let null_names: Vec<&str> = resource
        .configs
        .iter()
        .filter(|config| {
            config.value.is_none()
                && ConfigOperation::from_id(config.config_operation)
                    != Some(ConfigOperation::Delete)
        })
        .map(|config| config.name.as_str())
        .collect();
    check_no_nulls(&null_names)?;
    if let Some(config) = resource
        .configs
        .iter()
        .find(|config| ConfigOperation::from_id(config.config_operation).is_none())
    {
        return Err((
            ResponseError::InvalidRequest,
            Some(format!(
                "Unknown config operation id {} for config key: {}",
                config.config_operation,
                config.name.as_str()
            )),
        ));
    }
    Ok(())
}

/// The topic's overrides after the resource's operations, checked.
fn plan_topic(
    resource: &AlterConfigsResource,
    lookup: &impl Fn(&str) -> TopicLookup,
) -> Result<BTreeMap<String, String>, ResourceError> {
    let topic = resource.resource_name.as_str();
    let mut overrides = existing_topic(topic, lookup)?;
    for config in &resource.configs {
        let key = config.name.as_str();
        let value = config
            .value
            .as_ref()
            .map(|value| value.as_str())
            .unwrap_or_default();
        match ConfigOperation::from_id(config.config_operation) {
            Some(ConfigOperation::Set) => {
                overrides.insert(key.to_owned(), value.to_owned());
            }
            Some(ConfigOperation::Delete) => {
                overrides.remove(key);
            }
            Some(operation @ (ConfigOperation::Append | ConfigOperation::Subtract)) => {
                let items = apply_list_operation(key, operation, overrides.get(key), value)?;
                overrides.insert(key.to_owned(), items);
            }
            None => {}
        }
    }
    validate_topic_overrides(&overrides).map_err(|error| topic_config_failure(topic, &error))?;
    Ok(overrides)
}

/// The new value of LIST config `key` after APPEND or SUBTRACT of `value`'s items.
fn apply_list_operation(
    key: &str,
    operation: ConfigOperation,
    current: Option<&String>,
    value: &str,
) -> Result<String, ResourceError> {
    let Some(entry) = topic_config(key) else {
        return Err((
            ResponseError::InvalidConfig,
            Some(format!("Unknown topic config name: {key}")),
        ));
    };
    if entry.config_type != ConfigType::List {
        let verb = if operation == ConfigOperation::Append {
            "append"
        } else {
            "subtract"
        };
        return Err((
            ResponseError::InvalidRequest,
            Some(format!(
                "Config value {verb} is not allowed for config key: {key}"
            )),
        ));
    }
    let mut items = match current {
        Some(current) => list_items(current),
        None => list_default(key).unwrap_or_default(),
    };
    let given = list_items(value);
    if operation == ConfigOperation::Append {
        for item in given {
            if !items.contains(&item) {
                items.push(item);
            }
        }
    } else {
        items.retain(|item| !given.contains(item));
    }
    Ok(items.join(","))
}

/// Records that writing `topic`'s planned overrides failed: its result gets `code` and
/// `message`.
pub fn mark_failed(
    response: &mut IncrementalAlterConfigsResponse,
    topic: &str,
    code: ResponseError,
    message: impl Into<String>,
) {
    let message = message.into();
    for result in &mut response.responses {
        if result.resource_type == resource_type::TOPIC && result.resource_name.as_str() == topic {
            result.error_code = code.code();
            result.error_message = Some(StrBytes::from_string(message.clone()));
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use kafka_protocol::messages::incremental_alter_configs_request::AlterableConfig;
    use kafka_protocol::protocol::{Decodable, Encodable, Message};

    use super::*;

    const SET: i8 = 0;
    const DELETE: i8 = 1;
    const APPEND: i8 = 2;
    const SUBTRACT: i8 = 3;

    fn resource(kind: i8, name: &str, ops: &[(&str, i8, Option<&str>)]) -> AlterConfigsResource {
        let mut resource = AlterConfigsResource::default();
        resource.resource_type = kind;
        resource.resource_name = StrBytes::from_string(name.to_owned());
        for (key, operation, value) in ops {
            let mut config = AlterableConfig::default();
            config.name = StrBytes::from_string((*key).to_owned());
            config.config_operation = *operation;
            config.value = value.map(|v| StrBytes::from_string(v.to_owned()));
            resource.configs.push(config);
        }
        resource
    }

    fn request(
        resources: Vec<AlterConfigsResource>,
        validate_only: bool,
    ) -> IncrementalAlterConfigsRequest {
        let mut request = IncrementalAlterConfigsRequest::default();
        request.resources = resources;
        request.validate_only = validate_only;
        request
    }

    fn lookup(name: &str) -> TopicLookup {
        match name {
            "orders" => TopicLookup::Exists(
                [
                    ("retention.ms".to_owned(), "1000".to_owned()),
                    ("cleanup.policy".to_owned(), "compact".to_owned()),
                ]
                .into(),
            ),
            "plain" => TopicLookup::Exists(BTreeMap::new()),
            _ => TopicLookup::Unknown,
        }
    }

    fn outcome(response: &IncrementalAlterConfigsResponse, index: usize) -> (i16, Option<String>) {
        let result = &response.responses[index];
        (
            result.error_code,
            result.error_message.as_ref().map(|m| m.as_str().to_owned()),
        )
    }

    fn single(
        ops: &[(&str, i8, Option<&str>)],
    ) -> (PlannedChanges, IncrementalAlterConfigsResponse) {
        plan(&request(vec![resource(2, "orders", ops)], false), lookup, 0)
    }

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn set_and_delete_change_single_overrides() {
        let (changes, response) = single(&[
            ("segment.ms", SET, Some("60000")),
            ("retention.ms", DELETE, None),
        ]);
        assert_eq!(outcome(&response, 0), (0, None));
        assert_eq!(
            changes,
            [(
                "orders".to_owned(),
                map(&[("cleanup.policy", "compact"), ("segment.ms", "60000")])
            )]
        );
    }

    #[test]
    fn append_and_subtract_edit_list_configs() {
        let (changes, _) = single(&[("cleanup.policy", APPEND, Some("delete,compact"))]);
        assert_eq!(changes[0].1["cleanup.policy"], "compact,delete");
        let (changes, _) = single(&[("cleanup.policy", SUBTRACT, Some("compact"))]);
        assert_eq!(changes[0].1["cleanup.policy"], "");
        // Without an override, APPEND starts from the default.
        let (changes, _) = plan(
            &request(
                vec![resource(
                    2,
                    "plain",
                    &[("cleanup.policy", APPEND, Some("compact"))],
                )],
                false,
            ),
            lookup,
            0,
        );
        assert_eq!(changes[0].1, map(&[("cleanup.policy", "delete,compact")]));
        let (changes, _) = plan(
            &request(
                vec![resource(
                    2,
                    "plain",
                    &[(
                        "leader.replication.throttled.replicas",
                        APPEND,
                        Some("0:1,1:1"),
                    )],
                )],
                false,
            ),
            lookup,
            0,
        );
        assert_eq!(
            changes[0].1,
            map(&[("leader.replication.throttled.replicas", "0:1,1:1")])
        );
    }

    #[test]
    fn append_and_subtract_are_for_list_configs_only() {
        let (changes, response) = single(&[("retention.ms", APPEND, Some("5"))]);
        assert!(changes.is_empty());
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::InvalidRequest.code(),
                Some("Config value append is not allowed for config key: retention.ms".to_owned())
            )
        );
        let (_, response) = single(&[("compression.type", SUBTRACT, Some("gzip"))]);
        assert_eq!(
            outcome(&response, 0).1.as_deref(),
            Some("Config value subtract is not allowed for config key: compression.type")
        );
        let (_, response) = single(&[("nope", APPEND, Some("x"))]);
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::InvalidConfig.code(),
                Some("Unknown topic config name: nope".to_owned())
            )
        );
    }

    #[test]
    fn the_resulting_set_is_validated() {
        let (changes, response) = single(&[("min.cleanable.dirty.ratio", SET, Some("1.1"))]);
        assert!(changes.is_empty());
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::InvalidRequest.code(),
                Some("Invalid config value for resource ConfigResource(type=TOPIC, name='orders'): Invalid value 1.1 for configuration min.cleanable.dirty.ratio: Value must be no more than 1".to_owned())
            )
        );
        let (_, response) = single(&[("foo", SET, Some("1"))]);
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::InvalidConfig.code(),
                Some("Unknown topic config name: foo".to_owned())
            )
        );
        let (_, response) = single(&[("cleanup.policy", APPEND, Some("shred"))]);
        assert_eq!(
            outcome(&response, 0).0,
            ResponseError::InvalidRequest.code()
        );
    }

    #[test]
    fn malformed_resources_are_refused_before_any_operation() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(
                        2,
                        "orders",
                        &[
                            ("retention.ms", SET, Some("1")),
                            ("retention.ms", DELETE, None),
                        ],
                    ),
                    resource(
                        2,
                        "plain",
                        &[("retention.ms", SET, None), ("segment.ms", DELETE, None)],
                    ),
                    resource(2, "missing", &[("retention.ms", SET, Some("1"))]),
                    resource(2, "bad name", &[]),
                ],
                false,
            ),
            lookup,
            0,
        );
        assert!(changes.is_empty());
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::InvalidRequest.code(),
                Some("Error due to duplicate config keys".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 1),
            (
                ResponseError::InvalidRequest.code(),
                Some("Null value not supported for : retention.ms".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 2),
            (
                ResponseError::UnknownTopicOrPartition.code(),
                Some("Topic 'missing' does not exist.".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 3).0,
            ResponseError::InvalidTopicException.code()
        );

        let (_, response) = single(&[("retention.ms", 9, Some("1"))]);
        assert_eq!(
            outcome(&response, 0).0,
            ResponseError::InvalidRequest.code()
        );
    }

    #[test]
    fn validate_only_plans_nothing() {
        let (changes, response) = plan(
            &request(
                vec![resource(2, "orders", &[("retention.ms", SET, Some("5"))])],
                true,
            ),
            lookup,
            0,
        );
        assert!(changes.is_empty());
        assert_eq!(outcome(&response, 0), (0, None));
    }

    #[test]
    fn broker_and_other_resources_are_refused() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(4, "0", &[("log.retention.ms", SET, Some("1"))]),
                    resource(4, "1", &[]),
                    resource(32, "group", &[]),
                    resource(2, "plain", &[]),
                    resource(2, "plain", &[]),
                ],
                false,
            ),
            lookup,
            0,
        );
        assert!(changes.is_empty());
        assert_eq!(
            outcome(&response, 0).1.as_deref(),
            Some("Invalid config value for resource ConfigResource(type=BROKER, name='0'): Cannot update these configs dynamically: Set(log.retention.ms)")
        );
        assert_eq!(
            outcome(&response, 1).0,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(
            outcome(&response, 2).0,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(
            outcome(&response, 3).0,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(
            outcome(&response, 4).0,
            ResponseError::InvalidRequest.code()
        );
    }

    #[test]
    fn mark_failed_sets_the_topic_result() {
        let (changes, mut response) = single(&[("retention.ms", SET, Some("5"))]);
        assert_eq!(changes.len(), 1);
        mark_failed(
            &mut response,
            "orders",
            ResponseError::KafkaStorageError,
            "coordinator unreachable",
        );
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::KafkaStorageError.code(),
                Some("coordinator unreachable".to_owned())
            )
        );
    }

    #[test]
    fn requests_and_responses_round_trip_at_every_version() {
        let request = request(
            vec![resource(
                2,
                "orders",
                &[("cleanup.policy", APPEND, Some("delete"))],
            )],
            false,
        );
        for version in IncrementalAlterConfigsRequest::VERSIONS.min
            ..=IncrementalAlterConfigsRequest::VERSIONS.max
        {
            let mut buffer = bytes::BytesMut::new();
            request.encode(&mut buffer, version).unwrap();
            let decoded =
                IncrementalAlterConfigsRequest::decode(&mut buffer.freeze(), version).unwrap();
            let (changes, response) = plan(&decoded, lookup, 0);
            assert_eq!(changes.len(), 1, "v{version}");
            let mut buffer = bytes::BytesMut::new();
            response.encode(&mut buffer, version).unwrap();
            let back =
                IncrementalAlterConfigsResponse::decode(&mut buffer.freeze(), version).unwrap();
            assert_eq!(back, response, "v{version}");
        }
    }
}
