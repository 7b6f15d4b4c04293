//! DescribeConfigs (every version the `kafka-protocol` crate serves, 1–4): the configs of
//! topics and of this broker, as `kafka-configs.sh --describe` and `kafka-topics.sh
//! --describe` print them.
//!
//! [`respond`] is pure: the caller looks topics up (their overrides from
//! `/config/topics/<topic>`) and passes this broker's configuration. Per resource, as
//! Kafka answers:
//! - TOPIC: an illegal name → INVALID_TOPIC_EXCEPTION; an unknown topic →
//!   UNKNOWN_TOPIC_OR_PARTITION (no message); else every topic config
//!   ([`crate::config::topic::describe_topic`]).
//! - BROKER: name `""` → the cluster-wide dynamic defaults, of which this broker has none
//!   (an empty list); this broker's id → its configs
//!   ([`crate::config::topic::describe_broker`]); a name that is no integer or another id →
//!   INVALID_REQUEST.
//! - Any other resource type → INVALID_REQUEST.
//!
//! `configuration_keys` null or empty lists every config; synonyms only when
//! `include_synonyms`; documentation only when asked and the version (3+) carries it.

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{DescribeConfigsRequest, DescribeConfigsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_topics::validate_topic_name;
use crate::config::topic::{
    describe_broker, describe_topic, ConfigEntry, DescribeOptions, TopicLookup,
};
use crate::config::BrokerConfig;

/// Kafka's `ConfigResource.Type` ids.
pub mod resource_type {
    pub const UNKNOWN: i8 = 0;
    pub const TOPIC: i8 = 2;
    pub const BROKER: i8 = 4;
    pub const BROKER_LOGGER: i8 = 8;
    pub const CLIENT_METRICS: i8 = 16;
    pub const GROUP: i8 = 32;

    /// Kafka's name of a resource type (`UNKNOWN` for ids it does not define).
    pub fn name(id: i8) -> &'static str {
        match id {
            TOPIC => "TOPIC",
            BROKER => "BROKER",
            BROKER_LOGGER => "BROKER_LOGGER",
            CLIENT_METRICS => "CLIENT_METRICS",
            GROUP => "GROUP",
            _ => "UNKNOWN",
        }
    }
}

/// Why a resource is answered with an error instead of configs.
type ResourceError = (ResponseError, Option<String>);

/// Answers a DescribeConfigs request of `version`; `lookup` reports whether a topic exists
/// and its overrides; `broker` and `broker_id` are this broker's configuration and id.
pub fn respond(
    request: &DescribeConfigsRequest,
    version: i16,
    lookup: impl Fn(&str) -> TopicLookup,
    broker: &BrokerConfig,
    broker_id: i32,
) -> DescribeConfigsResponse {
    let mut results = Vec::with_capacity(request.resources.len());
    for resource in &request.resources {
        let keys: Option<Vec<String>> = resource
            .configuration_keys
            .as_ref()
            .filter(|keys| !keys.is_empty())
            .map(|keys| keys.iter().map(|key| key.as_str().to_owned()).collect());
        let options = DescribeOptions {
            keys: keys.as_deref(),
            include_synonyms: request.include_synonyms,
            include_documentation: request.include_documentation && version >= 3,
        };
        let name = resource.resource_name.as_str();
        let outcome = match resource.resource_type {
            resource_type::TOPIC => describe_topic_resource(name, &lookup, broker, options),
            resource_type::BROKER => describe_broker_resource(name, broker, broker_id, options),
            other => Err((
                ResponseError::InvalidRequest,
                Some(format!(
                    "Unsupported resource type: {}",
                    resource_type::name(other)
                )),
            )),
        };
        let mut result = DescribeConfigsResult::default();
        result.resource_type = resource.resource_type;
        result.resource_name = resource.resource_name.clone();
        // Kafka answers success with a null message (the crate's default is "").
        result.error_message = None;
        match outcome {
            Ok(entries) => {
                result.configs = entries.into_iter().map(to_wire).collect();
            }
            Err((code, message)) => {
                result.error_code = code.code();
                result.error_message = message.map(StrBytes::from_string);
            }
        }
        results.push(result);
    }
    let mut response = DescribeConfigsResponse::default();
    response.results = results;
    response
}

fn describe_topic_resource(
    name: &str,
    lookup: &impl Fn(&str) -> TopicLookup,
    broker: &BrokerConfig,
    options: DescribeOptions<'_>,
) -> Result<Vec<ConfigEntry>, ResourceError> {
    validate_topic_name(name)
        .map_err(|message| (ResponseError::InvalidTopicException, Some(message)))?;
    match lookup(name) {
        TopicLookup::Unknown => Err((ResponseError::UnknownTopicOrPartition, None)),
        TopicLookup::Exists(overrides) => Ok(describe_topic(&overrides, broker, options)),
    }
}

/// Checks a BROKER resource name against this broker: `Ok(None)` for the cluster default
/// (`""`), `Ok(Some(id))` for this broker, INVALID_REQUEST otherwise (Kafka's messages).
pub fn check_broker_name(name: &str, broker_id: i32) -> Result<Option<i32>, ResourceError> {
    if name.is_empty() {
        return Ok(None);
    }
    let id: i32 = name.parse().map_err(|_| {
        (
            ResponseError::InvalidRequest,
            Some(format!("Broker id must be an integer, but it is: {name}")),
        )
    })?;
    if id != broker_id {
        return Err((
            ResponseError::InvalidRequest,
            Some(format!(
                "Unexpected broker id, expected {broker_id} or empty string, but received {name}"
            )),
        ));
    }
    Ok(Some(id))
}

fn describe_broker_resource(
    name: &str,
    broker: &BrokerConfig,
    broker_id: i32,
    options: DescribeOptions<'_>,
) -> Result<Vec<ConfigEntry>, ResourceError> {
    match check_broker_name(name, broker_id)? {
        // No dynamic cluster-wide defaults exist on this broker.
        None => Ok(Vec::new()),
        Some(_) => Ok(describe_broker(broker, options)),
    }
}

fn to_wire(entry: ConfigEntry) -> DescribeConfigsResourceResult {
    let mut result = DescribeConfigsResourceResult::default();
    result.name = StrBytes::from_string(entry.name);
    result.value = entry.value.map(StrBytes::from_string);
    result.read_only = entry.read_only;
    result.config_source = entry.source.id();
    result.is_sensitive = entry.is_sensitive;
    result.config_type = entry.config_type.id();
    result.documentation = entry.documentation.map(StrBytes::from_static_str);
    let mut synonyms = Vec::with_capacity(entry.synonyms.len());
    for synonym in entry.synonyms {
        let mut wire = DescribeConfigsSynonym::default();
        wire.name = StrBytes::from_string(synonym.name);
        wire.value = synonym.value.map(StrBytes::from_string);
        wire.source = synonym.source.id();
        synonyms.push(wire);
    }
    result.synonyms = synonyms;
    result
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use std::collections::BTreeMap;

    use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
    use kafka_protocol::protocol::{Decodable, Encodable, Message};

    use super::*;
    use crate::config::topic::{ConfigSource, ConfigType};
    use common::properties::Properties;

    fn broker_config(text: &str) -> BrokerConfig {
        let properties =
            Properties::parse(&format!("zookeeper.connect=localhost:2181\n{text}")).unwrap();
        BrokerConfig::from_properties(&properties).unwrap().0
    }

    fn resource(kind: i8, name: &str, keys: Option<&[&str]>) -> DescribeConfigsResource {
        let mut resource = DescribeConfigsResource::default();
        resource.resource_type = kind;
        resource.resource_name = StrBytes::from_string(name.to_owned());
        resource.configuration_keys = keys.map(|keys| {
            keys.iter()
                .map(|k| StrBytes::from_string((*k).to_owned()))
                .collect()
        });
        resource
    }

    fn request(
        resources: Vec<DescribeConfigsResource>,
        synonyms: bool,
        docs: bool,
    ) -> DescribeConfigsRequest {
        let mut request = DescribeConfigsRequest::default();
        request.resources = resources;
        request.include_synonyms = synonyms;
        request.include_documentation = docs;
        request
    }

    fn lookup(name: &str) -> TopicLookup {
        match name {
            "orders" => {
                TopicLookup::Exists([("retention.ms".to_owned(), "1000".to_owned())].into())
            }
            "plain" => TopicLookup::Exists(BTreeMap::new()),
            _ => TopicLookup::Unknown,
        }
    }

    fn config<'a>(
        result: &'a DescribeConfigsResult,
        name: &str,
    ) -> &'a DescribeConfigsResourceResult {
        result
            .configs
            .iter()
            .find(|config| config.name.as_str() == name)
            .unwrap()
    }

    #[test]
    fn topic_configs_show_overrides_and_defaults_with_their_sources() {
        let broker = broker_config("log.segment.bytes=1073741824\n");
        let response = respond(
            &request(vec![resource(2, "orders", None)], true, false),
            4,
            lookup,
            &broker,
            0,
        );
        let result = &response.results[0];
        assert_eq!(result.error_code, 0);
        assert_eq!(result.error_message, None);
        assert_eq!(result.resource_name.as_str(), "orders");
        assert_eq!(result.resource_type, 2);
        let retention = config(result, "retention.ms");
        assert_eq!(retention.value.as_deref(), Some("1000"));
        assert_eq!(
            retention.config_source,
            ConfigSource::DynamicTopicConfig.id()
        );
        assert_eq!(retention.config_type, ConfigType::Long.id());
        assert_eq!(retention.synonyms.len(), 1);
        let segment = config(result, "segment.bytes");
        assert_eq!(segment.value.as_deref(), Some("1073741824"));
        assert_eq!(segment.config_source, ConfigSource::StaticBrokerConfig.id());
        let names: Vec<_> = segment
            .synonyms
            .iter()
            .map(|s| (s.name.as_str(), s.source))
            .collect();
        assert_eq!(names, [("log.segment.bytes", 4), ("log.segment.bytes", 5)]);
        assert!(segment.documentation.is_none());
    }

    #[test]
    fn synonyms_and_documentation_only_when_asked_and_the_version_has_them() {
        let broker = broker_config("");
        let keys: &[&str] = &["cleanup.policy"];
        let bare = respond(
            &request(vec![resource(2, "plain", Some(keys))], false, true),
            2,
            lookup,
            &broker,
            0,
        );
        let entry = config(&bare.results[0], "cleanup.policy");
        assert!(entry.synonyms.is_empty());
        assert!(entry.documentation.is_none(), "v2 carries no documentation");
        assert_eq!(bare.results[0].configs.len(), 1);

        let full = respond(
            &request(vec![resource(2, "plain", Some(keys))], true, true),
            3,
            lookup,
            &broker,
            0,
        );
        let entry = config(&full.results[0], "cleanup.policy");
        assert_eq!(entry.value.as_deref(), Some("delete"));
        assert_eq!(entry.config_source, ConfigSource::DefaultConfig.id());
        assert_eq!(entry.synonyms.len(), 1);
        assert_eq!(entry.synonyms[0].name.as_str(), "log.cleanup.policy");
        assert!(entry.documentation.is_some());
    }

    #[test]
    fn empty_key_list_means_every_config() {
        let broker = broker_config("");
        let keys: &[&str] = &[];
        let response = respond(
            &request(vec![resource(2, "plain", Some(keys))], false, false),
            1,
            lookup,
            &broker,
            0,
        );
        assert_eq!(
            response.results[0].configs.len(),
            crate::config::topic::TOPIC_CONFIGS.len()
        );
    }

    #[test]
    fn unknown_and_illegal_topics_are_errors_per_resource() {
        let broker = broker_config("");
        let response = respond(
            &request(
                vec![
                    resource(2, "missing", None),
                    resource(2, "bad name", None),
                    resource(2, "plain", None),
                ],
                false,
                false,
            ),
            4,
            lookup,
            &broker,
            0,
        );
        let missing = &response.results[0];
        assert_eq!(
            missing.error_code,
            ResponseError::UnknownTopicOrPartition.code()
        );
        assert!(missing.error_message.is_none());
        assert!(missing.configs.is_empty());
        assert_eq!(
            response.results[1].error_code,
            ResponseError::InvalidTopicException.code()
        );
        assert!(response.results[1].error_message.is_some());
        assert_eq!(response.results[2].error_code, 0);
    }

    #[test]
    fn broker_resources_answer_for_this_broker_and_the_cluster_default() {
        let broker = broker_config("broker.id=3\nlog.retention.hours=168\n");
        let response = respond(
            &request(
                vec![
                    resource(4, "3", None),
                    resource(4, "", None),
                    resource(4, "7", None),
                    resource(4, "x", None),
                ],
                true,
                false,
            ),
            4,
            lookup,
            &broker,
            3,
        );
        let own = &response.results[0];
        assert_eq!(own.error_code, 0);
        let hours = config(own, "log.retention.hours");
        assert_eq!(hours.value.as_deref(), Some("168"));
        assert_eq!(hours.config_source, ConfigSource::StaticBrokerConfig.id());
        assert!(hours.read_only);
        assert_eq!(config(own, "broker.id").value.as_deref(), Some("3"));

        let cluster = &response.results[1];
        assert_eq!(cluster.error_code, 0);
        assert!(cluster.configs.is_empty());

        let other = &response.results[2];
        assert_eq!(other.error_code, ResponseError::InvalidRequest.code());
        assert_eq!(
            other.error_message.as_deref(),
            Some("Unexpected broker id, expected 3 or empty string, but received 7")
        );
        let garbage = &response.results[3];
        assert_eq!(garbage.error_code, ResponseError::InvalidRequest.code());
        assert_eq!(
            garbage.error_message.as_deref(),
            Some("Broker id must be an integer, but it is: x")
        );
    }

    #[test]
    fn other_resource_types_are_invalid_requests() {
        let broker = broker_config("");
        let response = respond(
            &request(
                vec![
                    resource(8, "0", None),
                    resource(32, "g", None),
                    resource(99, "z", None),
                ],
                false,
                false,
            ),
            4,
            lookup,
            &broker,
            0,
        );
        let messages: Vec<_> = response
            .results
            .iter()
            .map(|r| (r.error_code, r.error_message.as_deref().unwrap().to_owned()))
            .collect();
        let invalid = ResponseError::InvalidRequest.code();
        assert_eq!(
            messages,
            [
                (
                    invalid,
                    "Unsupported resource type: BROKER_LOGGER".to_owned()
                ),
                (invalid, "Unsupported resource type: GROUP".to_owned()),
                (invalid, "Unsupported resource type: UNKNOWN".to_owned()),
            ]
        );
    }

    #[test]
    fn responses_encode_and_decode_at_every_version() {
        let broker = broker_config("ssl.key.password=secret\n");
        let request = request(
            vec![resource(2, "orders", None), resource(4, "0", None)],
            true,
            true,
        );
        for version in DescribeConfigsResponse::VERSIONS.min..=DescribeConfigsResponse::VERSIONS.max
        {
            let response = respond(&request, version, lookup, &broker, 0);
            let mut buffer = bytes::BytesMut::new();
            response.encode(&mut buffer, version).unwrap();
            let decoded = DescribeConfigsResponse::decode(&mut buffer.freeze(), version).unwrap();
            assert_eq!(decoded.results.len(), 2, "v{version}");
            let password = config(&decoded.results[1], "ssl.key.password");
            assert!(password.is_sensitive);
            assert!(password.value.is_none());
            if version >= 3 {
                assert_eq!(decoded, response, "v{version}");
            }
        }
    }
}
