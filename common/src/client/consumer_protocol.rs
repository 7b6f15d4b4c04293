//! Kafka's consumer protocol: the bytes a consumer puts in JoinGroup's protocol metadata
//! (its [`Subscription`]) and the bytes the leader hands each member through SyncGroup (its
//! [`Assignment`]). The coordinator stores both opaquely; DescribeGroups returns them, so
//! the admin side decodes them too.
//!
//! Byte layout: `i16 version` followed by the `ConsumerProtocolSubscription` /
//! `ConsumerProtocolAssignment` struct of the `kafka-protocol` crate at that version
//! (non-flexible encodings: `i32` array lengths, `i16` string lengths, `i32` byte lengths).
//! Subscription v0 is topics + user data; v1 adds owned partitions, v2 the generation, v3
//! the rack. Every assignment version is the same struct. A version above the newest this
//! client knows is read as the newest (later versions only append fields), as Kafka's own
//! consumers do; trailing bytes are ignored for the same reason. Empty assignment bytes —
//! what the coordinator hands a member the leader left out — decode as no partitions.

use std::collections::BTreeMap;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::consumer_protocol_assignment::TopicPartition as AssignedTopic;
use kafka_protocol::messages::consumer_protocol_subscription::TopicPartition as OwnedTopic;
use kafka_protocol::messages::{
    ConsumerProtocolAssignment, ConsumerProtocolSubscription, TopicName,
};
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

use super::error::ClientError;

/// JoinGroup's `protocol_type` for consumers.
pub const PROTOCOL_TYPE: &str = "consumer";

/// The newest subscription version this client writes and reads.
pub const SUBSCRIPTION_VERSION: i16 = 3;

/// The newest assignment version this client writes and reads.
pub const ASSIGNMENT_VERSION: i16 = 3;

/// What one member subscribes to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Subscription {
    /// Topic names, in the member's order.
    pub topics: Vec<String>,
    /// Opaque assignor data.
    pub user_data: Option<Bytes>,
    /// Partitions the member still owns (cooperative protocols; empty for eager ones).
    pub owned_partitions: BTreeMap<String, Vec<i32>>,
    /// The generation the member last joined (-1 when none).
    pub generation_id: i32,
    /// `client.rack`.
    pub rack_id: Option<String>,
}

impl Subscription {
    /// A subscription to `topics` with nothing owned and no generation.
    pub fn new(topics: Vec<String>) -> Subscription {
        Subscription {
            topics,
            user_data: None,
            owned_partitions: BTreeMap::new(),
            generation_id: -1,
            rack_id: None,
        }
    }
}

/// The partitions one member is assigned, by topic (partitions ascending).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assignment {
    pub partitions: BTreeMap<String, Vec<i32>>,
    /// Opaque assignor data.
    pub user_data: Option<Bytes>,
}

impl Assignment {
    /// Every `(topic, partition)` pair, ordered by topic then partition.
    pub fn topic_partitions(&self) -> Vec<(String, i32)> {
        let mut pairs = Vec::new();
        for (topic, partitions) in &self.partitions {
            for partition in partitions {
                pairs.push((topic.clone(), *partition));
            }
        }
        pairs
    }

    /// How many partitions the member is assigned.
    pub fn len(&self) -> usize {
        self.partitions.values().map(Vec::len).sum()
    }

    /// True when the member is assigned nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn str_bytes(value: &str) -> StrBytes {
    StrBytes::from_string(value.to_string())
}

fn encode_error(what: &'static str, error: impl std::fmt::Display) -> ClientError {
    ClientError::ConsumerProtocol {
        what,
        reason: error.to_string(),
    }
}

/// Reads the version prefix; an absent or negative version is malformed.
fn read_version(bytes: &mut Bytes, what: &'static str, newest: i16) -> Result<i16, ClientError> {
    if bytes.remaining() < 2 {
        return Err(ClientError::ConsumerProtocol {
            what,
            reason: format!("{} bytes hold no version", bytes.remaining()),
        });
    }
    let version = bytes.get_i16();
    if version < 0 {
        return Err(ClientError::ConsumerProtocol {
            what,
            reason: format!("negative version {version}"),
        });
    }
    Ok(version.min(newest))
}

/// The JoinGroup metadata bytes of `subscription` (version [`SUBSCRIPTION_VERSION`]).
pub fn encode_subscription(subscription: &Subscription) -> Result<Bytes, ClientError> {
    let mut message = ConsumerProtocolSubscription::default();
    message.topics = subscription
        .topics
        .iter()
        .map(|topic| str_bytes(topic))
        .collect();
    message.user_data = subscription.user_data.clone();
    for (topic, partitions) in &subscription.owned_partitions {
        let mut owned = OwnedTopic::default();
        owned.topic = TopicName(str_bytes(topic));
        owned.partitions = partitions.clone();
        message.owned_partitions.push(owned);
    }
    message.generation_id = subscription.generation_id;
    message.rack_id = subscription.rack_id.as_deref().map(str_bytes);
    let mut buffer = BytesMut::new();
    buffer.put_i16(SUBSCRIPTION_VERSION);
    message
        .encode(&mut buffer, SUBSCRIPTION_VERSION)
        .map_err(|error| encode_error("subscription", error))?;
    Ok(buffer.freeze())
}

/// Decodes a member's JoinGroup metadata.
pub fn decode_subscription(mut bytes: Bytes) -> Result<Subscription, ClientError> {
    let version = read_version(&mut bytes, "subscription", SUBSCRIPTION_VERSION)?;
    let message = ConsumerProtocolSubscription::decode(&mut bytes, version)
        .map_err(|error| encode_error("subscription", error))?;
    let mut owned_partitions = BTreeMap::new();
    for owned in message.owned_partitions {
        let mut partitions = owned.partitions;
        partitions.sort_unstable();
        owned_partitions.insert(owned.topic.0.as_str().to_string(), partitions);
    }
    Ok(Subscription {
        topics: message
            .topics
            .iter()
            .map(|topic| topic.as_str().to_string())
            .collect(),
        user_data: message.user_data,
        owned_partitions,
        generation_id: message.generation_id,
        rack_id: message.rack_id.map(|rack| rack.as_str().to_string()),
    })
}

/// The SyncGroup assignment bytes of `assignment` (version [`ASSIGNMENT_VERSION`]).
pub fn encode_assignment(assignment: &Assignment) -> Result<Bytes, ClientError> {
    let mut message = ConsumerProtocolAssignment::default();
    for (topic, partitions) in &assignment.partitions {
        let mut assigned = AssignedTopic::default();
        assigned.topic = TopicName(str_bytes(topic));
        assigned.partitions = partitions.clone();
        message.assigned_partitions.push(assigned);
    }
    message.user_data = assignment.user_data.clone();
    let mut buffer = BytesMut::new();
    buffer.put_i16(ASSIGNMENT_VERSION);
    message
        .encode(&mut buffer, ASSIGNMENT_VERSION)
        .map_err(|error| encode_error("assignment", error))?;
    Ok(buffer.freeze())
}

/// Decodes a member's assignment; empty bytes are an empty assignment.
pub fn decode_assignment(mut bytes: Bytes) -> Result<Assignment, ClientError> {
    if bytes.is_empty() {
        return Ok(Assignment::default());
    }
    let version = read_version(&mut bytes, "assignment", ASSIGNMENT_VERSION)?;
    let message = ConsumerProtocolAssignment::decode(&mut bytes, version)
        .map_err(|error| encode_error("assignment", error))?;
    let mut partitions: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for assigned in message.assigned_partitions {
        partitions
            .entry(assigned.topic.0.as_str().to_string())
            .or_default()
            .extend(assigned.partitions);
    }
    for list in partitions.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    Ok(Assignment {
        partitions,
        user_data: message.user_data,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn subscription_round_trips_at_version_3() {
        let mut subscription = Subscription::new(vec!["b".to_string(), "a".to_string()]);
        subscription
            .owned_partitions
            .insert("a".to_string(), vec![0, 2]);
        subscription.generation_id = 7;
        subscription.rack_id = Some("r1".to_string());
        let bytes = encode_subscription(&subscription).unwrap();
        assert_eq!(&bytes[..2], &[0, 3]);
        assert_eq!(decode_subscription(bytes).unwrap(), subscription);
    }

    #[test]
    fn version_0_subscription_bytes_from_a_java_client_decode() {
        // i16 version 0, topics ["t1"], user_data null (-1).
        let bytes =
            Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0, 2, b't', b'1', 0xff, 0xff, 0xff, 0xff]);
        let subscription = decode_subscription(bytes).unwrap();
        assert_eq!(subscription.topics, vec!["t1"]);
        assert_eq!(subscription.user_data, None);
        assert_eq!(subscription.generation_id, -1);
        assert!(subscription.owned_partitions.is_empty());
    }

    #[test]
    fn newer_versions_are_read_as_the_newest_known_and_trailing_fields_ignored() {
        let subscription = Subscription::new(vec!["t".to_string()]);
        let mut bytes = BytesMut::from(&encode_subscription(&subscription).unwrap()[..]);
        bytes[1] = 9;
        bytes.extend_from_slice(&[1, 2, 3]);
        assert_eq!(decode_subscription(bytes.freeze()).unwrap(), subscription);
    }

    #[test]
    fn assignment_layout_matches_kafkas_bytes() {
        let mut assignment = Assignment::default();
        assignment.partitions.insert("t".to_string(), vec![0, 1]);
        let bytes = encode_assignment(&assignment).unwrap();
        let expected: &[u8] = &[
            0, 3, // version
            0, 0, 0, 1, // one topic
            0, 1, b't', // topic name
            0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, // partitions [0, 1]
            0xff, 0xff, 0xff, 0xff, // null user data
        ];
        assert_eq!(&bytes[..], expected);
        let decoded = decode_assignment(bytes).unwrap();
        assert_eq!(decoded, assignment);
        assert_eq!(
            decoded.topic_partitions(),
            vec![("t".to_string(), 0), ("t".to_string(), 1)]
        );
        assert_eq!(decoded.len(), 2);
    }

    #[test]
    fn empty_assignment_bytes_mean_no_partitions() {
        let assignment = decode_assignment(Bytes::new()).unwrap();
        assert!(assignment.is_empty());
    }

    #[test]
    fn truncated_or_negative_versions_are_errors() {
        assert!(decode_subscription(Bytes::from_static(&[0])).is_err());
        assert!(decode_subscription(Bytes::from_static(&[0xff, 0xff])).is_err());
        assert!(decode_assignment(Bytes::from_static(&[0, 0, 0, 0, 0, 5])).is_err());
    }
}
