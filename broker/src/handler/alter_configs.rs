//! AlterConfigs (every version the `kafka-protocol` crate serves, 0–2): replaces a topic's
//! whole override set, as `kafka-configs.sh --alter` on old clients does.
//!
//! [`plan`] is pure: it decides, per resource, the new full override set of each topic (to
//! be written to `/config/topics/<topic>`) and the response; the caller writes each planned
//! map and, when a write fails, records that with [`mark_failed`]. Per resource, following
//! Kafka's broker in ZooKeeper mode:
//! - a resource named twice in one request → INVALID_REQUEST for each;
//! - a null value → INVALID_REQUEST "Null value not supported for : <names>";
//! - TOPIC: illegal name → INVALID_TOPIC_EXCEPTION; unknown topic →
//!   UNKNOWN_TOPIC_OR_PARTITION "Topic '<t>' does not exist."; the new set is checked with
//!   [`validate_topic_overrides`]: a bad value → INVALID_REQUEST "Invalid config value for
//!   resource ConfigResource(type=TOPIC, name='<t>'): <Kafka's message>" (Kafka raises a
//!   config exception there and answers it so), an unknown key or a conflict →
//!   INVALID_CONFIG with the bare message;
//! - BROKER: see [`broker_outcome`]; other resource types → INVALID_REQUEST.
//!
//! `validate_only` answers the same and plans nothing.

use std::collections::{BTreeMap, BTreeSet};

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{AlterConfigsRequest, AlterConfigsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_topics::validate_topic_name;
use super::describe_configs::{check_broker_name, resource_type};
use crate::config::topic::{validate_topic_overrides, TopicConfigError, TopicLookup};

/// The topics whose override set is replaced, each with its new full set, in request order.
pub type PlannedChanges = Vec<(String, BTreeMap<String, String>)>;

/// Why a resource is refused: the code and Kafka's message.
pub type ResourceError = (ResponseError, Option<String>);

/// How Kafka prints a config resource in messages.
pub fn resource_label(kind: i8, name: &str) -> String {
    format!(
        "ConfigResource(type={}, name='{name}')",
        resource_type::name(kind)
    )
}

/// The answer to a topic override set that fails [`validate_topic_overrides`].
pub fn topic_config_failure(topic: &str, error: &TopicConfigError) -> ResourceError {
    if error.is_value_error() {
        (
            ResponseError::InvalidRequest,
            Some(format!(
                "Invalid config value for resource {}: {error}",
                resource_label(resource_type::TOPIC, topic)
            )),
        )
    } else {
        (error.error_code(), Some(error.to_string()))
    }
}

/// Refuses null values, naming them.
pub fn check_no_nulls(null_names: &[&str]) -> Result<(), ResourceError> {
    if null_names.is_empty() {
        return Ok(());
    }
    Err((
        ResponseError::InvalidRequest,
        Some(format!(
            "Null value not supported for : {}",
            null_names.join(", ")
        )),
    ))
}

/// The resources named more than once in a request (by type and name).
pub fn duplicate_resources<'a>(
    resources: impl Iterator<Item = (i8, &'a str)>,
) -> BTreeSet<(i8, String)> {
    let mut seen = BTreeSet::new();
    let mut duplicates = BTreeSet::new();
    for (kind, name) in resources {
        if !seen.insert((kind, name.to_owned())) {
            duplicates.insert((kind, name.to_owned()));
        }
    }
    duplicates
}

/// The answer for a resource named twice.
pub fn duplicate_resource_error() -> ResourceError {
    (
        ResponseError::InvalidRequest,
        Some("Each resource must appear at most once.".to_owned()),
    )
}

/// The current overrides of an existing, legally named topic.
pub fn existing_topic(
    topic: &str,
    lookup: &impl Fn(&str) -> TopicLookup,
) -> Result<BTreeMap<String, String>, ResourceError> {
    validate_topic_name(topic)
        .map_err(|message| (ResponseError::InvalidTopicException, Some(message)))?;
    match lookup(topic) {
        TopicLookup::Exists(overrides) => Ok(overrides),
        TopicLookup::Unknown => Err((
            ResponseError::UnknownTopicOrPartition,
            Some(format!("Topic '{topic}' does not exist.")),
        )),
    }
}

/// The answer for a BROKER resource that would change `keys`.
///
/// Every broker config of this broker is read from `server.properties` at start-up; none
/// can change at run time. Kafka refuses a change to a config it cannot update dynamically
/// with INVALID_REQUEST, "Invalid config value for resource ConfigResource(type=BROKER,
/// name='<id>'): Cannot update these configs dynamically: Set(<keys>)", so this broker
/// answers every broker change that way. A resource changing nothing succeeds; a name other
/// than this broker's id or `""` is refused as Kafka refuses it.
pub fn broker_outcome(
    name: &str,
    broker_id: i32,
    keys: &BTreeSet<String>,
) -> Result<(), ResourceError> {
    match check_broker_name(name, broker_id) {
        Ok(_) => {}
        Err((code, _)) if name.parse::<i32>().is_ok() => {
            return Err((
                code,
                Some(format!(
                    "Unexpected broker id, expected {broker_id}, but received {name}"
                )),
            ))
        }
        Err(error) => return Err(error),
    }
    if keys.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = keys.iter().map(String::as_str).collect();
    Err((
        ResponseError::InvalidRequest,
        Some(format!(
            "Invalid config value for resource {}: Cannot update these configs dynamically: Set({})",
            resource_label(resource_type::BROKER, name),
            names.join(", ")
        )),
    ))
}

/// The answer for a resource type neither TOPIC nor BROKER.
pub fn unsupported_type(kind: i8) -> ResourceError {
    (
        ResponseError::InvalidRequest,
        Some(format!(
            "AlterConfigs is only supported for topics and brokers, but resource type is {}",
            resource_type::name(kind)
        )),
    )
}

/// Decides an AlterConfigs request: the topics whose override set is to be replaced (with
/// the new full set; none when `validate_only`) and the response, every resource answered.
/// `broker_id` is this broker's.
pub fn plan(
    request: &AlterConfigsRequest,
    lookup: impl Fn(&str) -> TopicLookup,
    broker_id: i32,
) -> (PlannedChanges, AlterConfigsResponse) {
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
            let null_names: Vec<&str> = resource
                .configs
                .iter()
                .filter(|config| config.value.is_none())
                .map(|config| config.name.as_str())
                .collect();
            check_no_nulls(&null_names).and_then(|()| match kind {
                resource_type::TOPIC => {
                    let mut overrides = BTreeMap::new();
                    for config in &resource.configs {
                        let value = config
                            .value
                            .as_ref()
                            .map(|v| v.as_str().to_owned())
                            .unwrap_or_default();
                        overrides.insert(config.name.as_str().to_owned(), value);
                    }
                    plan_topic(name, overrides, &lookup).map(|overrides| {
                        if !request.validate_only {
                            changes.push((name.to_owned(), overrides));
                        }
                    })
                }
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
    let mut response = AlterConfigsResponse::default();
    response.responses = responses;
    (changes, response)
}

/// The checked new override set of an existing topic.
fn plan_topic(
    topic: &str,
    overrides: BTreeMap<String, String>,
    lookup: &impl Fn(&str) -> TopicLookup,
) -> Result<BTreeMap<String, String>, ResourceError> {
    existing_topic(topic, lookup)?;
    validate_topic_overrides(&overrides).map_err(|error| topic_config_failure(topic, &error))?;
    Ok(overrides)
}

/// Records that writing `topic`'s planned overrides failed: its result gets `code` and
/// `message`.
pub fn mark_failed(
    response: &mut AlterConfigsResponse,
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
    use kafka_protocol::messages::alter_configs_request::{AlterConfigsResource, AlterableConfig};
    use kafka_protocol::protocol::{Decodable, Encodable, Message};

    use super::*;

    fn resource(kind: i8, name: &str, configs: &[(&str, Option<&str>)]) -> AlterConfigsResource {
        let mut resource = AlterConfigsResource::default();
        resource.resource_type = kind;
        resource.resource_name = StrBytes::from_string(name.to_owned());
        for (key, value) in configs {
            let mut config = AlterableConfig::default();
            config.name = StrBytes::from_string((*key).to_owned());
            config.value = value.map(|v| StrBytes::from_string(v.to_owned()));
            resource.configs.push(config);
        }
        resource
    }

    fn request(resources: Vec<AlterConfigsResource>, validate_only: bool) -> AlterConfigsRequest {
        let mut request = AlterConfigsRequest::default();
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

    fn outcome(response: &AlterConfigsResponse, index: usize) -> (i16, Option<String>) {
        let result = &response.responses[index];
        (
            result.error_code,
            result.error_message.as_ref().map(|m| m.as_str().to_owned()),
        )
    }

    #[test]
    fn the_new_set_replaces_every_override() {
        let (changes, response) = plan(
            &request(
                vec![resource(2, "orders", &[("segment.bytes", Some("1048576"))])],
                false,
            ),
            lookup,
            0,
        );
        assert_eq!(outcome(&response, 0), (0, None));
        assert_eq!(response.responses[0].resource_name.as_str(), "orders");
        assert_eq!(
            changes,
            [(
                "orders".to_owned(),
                [("segment.bytes".to_owned(), "1048576".to_owned())].into()
            )]
        );
    }

    #[test]
    fn an_empty_set_removes_every_override() {
        let (changes, response) =
            plan(&request(vec![resource(2, "orders", &[])], false), lookup, 0);
        assert_eq!(outcome(&response, 0), (0, None));
        assert_eq!(changes, [("orders".to_owned(), BTreeMap::new())]);
    }

    #[test]
    fn validate_only_answers_but_plans_nothing() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(2, "orders", &[("retention.ms", Some("5"))]),
                    resource(2, "plain", &[("retention.ms", Some("x"))]),
                ],
                true,
            ),
            lookup,
            0,
        );
        assert!(changes.is_empty());
        assert_eq!(outcome(&response, 0), (0, None));
        assert_eq!(
            outcome(&response, 1).0,
            ResponseError::InvalidRequest.code()
        );
    }

    #[test]
    fn bad_values_and_unknown_keys_are_answered_as_kafka_does() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(2, "orders", &[("cleanup.policy", Some("foo"))]),
                    resource(2, "plain", &[("foo", Some("1"))]),
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
                Some("Invalid config value for resource ConfigResource(type=TOPIC, name='orders'): Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 1),
            (
                ResponseError::InvalidConfig.code(),
                Some("Unknown topic config name: foo".to_owned())
            )
        );
    }

    #[test]
    fn unknown_and_illegal_topics_and_null_values_are_refused() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(2, "missing", &[]),
                    resource(2, "no/slash", &[]),
                    resource(2, "plain", &[("retention.ms", None), ("segment.ms", None)]),
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
                ResponseError::UnknownTopicOrPartition.code(),
                Some("Topic 'missing' does not exist.".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 1).0,
            ResponseError::InvalidTopicException.code()
        );
        assert_eq!(
            outcome(&response, 2),
            (
                ResponseError::InvalidRequest.code(),
                Some("Null value not supported for : retention.ms, segment.ms".to_owned())
            )
        );
    }

    #[test]
    fn broker_changes_are_refused_as_not_dynamic() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(
                        4,
                        "0",
                        &[
                            ("num.io.threads", Some("4")),
                            ("log.retention.ms", Some("1")),
                        ],
                    ),
                    resource(4, "", &[]),
                    resource(4, "5", &[("num.io.threads", Some("4"))]),
                    resource(8, "0", &[]),
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
                Some("Invalid config value for resource ConfigResource(type=BROKER, name='0'): Cannot update these configs dynamically: Set(log.retention.ms, num.io.threads)".to_owned())
            )
        );
        assert_eq!(outcome(&response, 1), (0, None));
        assert_eq!(
            outcome(&response, 2),
            (
                ResponseError::InvalidRequest.code(),
                Some("Unexpected broker id, expected 0, but received 5".to_owned())
            )
        );
        assert_eq!(
            outcome(&response, 3),
            (
                ResponseError::InvalidRequest.code(),
                Some("AlterConfigs is only supported for topics and brokers, but resource type is BROKER_LOGGER".to_owned())
            )
        );
    }

    #[test]
    fn a_resource_named_twice_is_refused_both_times() {
        let (changes, response) = plan(
            &request(
                vec![
                    resource(2, "plain", &[]),
                    resource(2, "plain", &[]),
                    resource(2, "orders", &[]),
                ],
                false,
            ),
            lookup,
            0,
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(
            outcome(&response, 0).0,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(
            outcome(&response, 1).0,
            ResponseError::InvalidRequest.code()
        );
        assert_eq!(outcome(&response, 2), (0, None));
    }

    #[test]
    fn mark_failed_sets_the_topic_result() {
        let (changes, mut response) =
            plan(&request(vec![resource(2, "orders", &[])], false), lookup, 0);
        assert_eq!(changes.len(), 1);
        mark_failed(
            &mut response,
            "orders",
            ResponseError::UnknownServerError,
            "write failed",
        );
        assert_eq!(
            outcome(&response, 0),
            (
                ResponseError::UnknownServerError.code(),
                Some("write failed".to_owned())
            )
        );
    }

    #[test]
    fn requests_and_responses_round_trip_at_every_version() {
        let request = request(
            vec![resource(2, "orders", &[("retention.ms", Some("5"))])],
            false,
        );
        for version in AlterConfigsRequest::VERSIONS.min..=AlterConfigsRequest::VERSIONS.max {
            let mut buffer = bytes::BytesMut::new();
            request.encode(&mut buffer, version).unwrap();
            let decoded = AlterConfigsRequest::decode(&mut buffer.freeze(), version).unwrap();
            let (changes, response) = plan(&decoded, lookup, 0);
            assert_eq!(changes.len(), 1, "v{version}");
            let mut buffer = bytes::BytesMut::new();
            response.encode(&mut buffer, version).unwrap();
            let back = AlterConfigsResponse::decode(&mut buffer.freeze(), version).unwrap();
            assert_eq!(back, response, "v{version}");
        }
    }
}
