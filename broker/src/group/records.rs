//! The records of `__consumer_offsets`, in Kafka's own key and value schemas so that
//! Kafka's tools can read a log this broker wrote (and this broker can load one Kafka
//! wrote). All integers big-endian; a string is an i16 length then UTF-8 bytes (-1 = null
//! for nullable strings); bytes are an i32 length then the bytes.
//!
//! ```text
//! key   := version:i16 body
//!   version 0 or 1 (offset commit)   group:string topic:string partition:i32
//!   version 2      (group metadata)  group:string
//! offset commit value := version:i16 (0..=3)
//!   offset:i64 [leader_epoch:i32 if v3] metadata:string commit_timestamp:i64
//!   [expire_timestamp:i64 if v1]
//! group metadata value := version:i16 (0..=3)
//!   protocol_type:string generation:i32 protocol:nullable_string leader:nullable_string
//!   [current_state_timestamp:i64 if v2+] members:i32 count, then per member
//!   member_id:string [group_instance_id:nullable_string if v3] client_id:string
//!   client_host:string [rebalance_timeout:i32 if v1+] session_timeout:i32
//!   subscription:bytes assignment:bytes
//! ```
//!
//! This broker writes offset keys at version 1, offset values at version 3, group keys at
//! version 2 and group values at version 3. A null value is a tombstone: the offset or the
//! group is gone. Decoding never trusts a length: every read checks what is left.

/// Offset commit key version written.
pub const OFFSET_KEY_VERSION: i16 = 1;
/// Group metadata key version.
pub const GROUP_KEY_VERSION: i16 = 2;
/// Offset commit value version written.
pub const OFFSET_VALUE_VERSION: i16 = 3;
/// Group metadata value version written.
pub const GROUP_VALUE_VERSION: i16 = 3;

/// Why a record of `__consumer_offsets` could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordCodecError {
    #[error("record ends early: {field} needs {needed} bytes, {available} left")]
    Truncated {
        field: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("negative length {len} for non-nullable {field}")]
    NegativeLength { field: &'static str, len: i64 },
    #[error("{field} is not UTF-8")]
    NotUtf8 { field: &'static str },
    #[error("unknown {what} version {version}")]
    UnknownVersion { what: &'static str, version: i16 },
    #[error("{trailing} bytes after the {what}")]
    Trailing { what: &'static str, trailing: usize },
}

/// The key of a record in `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    /// A committed offset of `group` for `topic`/`partition`.
    Offset {
        group: String,
        topic: String,
        partition: i32,
    },
    /// The metadata of `group`.
    Group { group: String },
}

/// A committed offset as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetValue {
    pub offset: i64,
    /// -1: unknown.
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp: i64,
    /// Only version 1 carries it (commits with an explicit retention); -1 otherwise.
    pub expire_timestamp: i64,
}

/// One member in a group metadata value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberMetadata {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    /// The member's metadata for the group's protocol.
    pub subscription: Vec<u8>,
    pub assignment: Vec<u8>,
}

/// A group's metadata as stored (after each completed rebalance).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMetadataValue {
    pub protocol_type: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// -1 when unknown (versions before 2).
    pub current_state_timestamp: i64,
    pub members: Vec<MemberMetadata>,
}

impl RecordKey {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            RecordKey::Offset {
                group,
                topic,
                partition,
            } => {
                out.extend_from_slice(&OFFSET_KEY_VERSION.to_be_bytes());
                put_string(&mut out, group);
                put_string(&mut out, topic);
                out.extend_from_slice(&partition.to_be_bytes());
            }
            RecordKey::Group { group } => {
                out.extend_from_slice(&GROUP_KEY_VERSION.to_be_bytes());
                put_string(&mut out, group);
            }
        }
        out
    }

    /// Decodes a key; `Ok(None)` for key versions of record kinds this broker does not
    /// keep (Kafka 3.7+ writes other group kinds at versions 3 and above).
    pub fn decode(bytes: &[u8]) -> Result<Option<RecordKey>, RecordCodecError> {
        let mut reader = Reader::new(bytes);
        let version = reader.i16("key version")?;
        let key = match version {
            0 | 1 => RecordKey::Offset {
                group: reader.string("group")?,
                topic: reader.string("topic")?,
                partition: reader.i32("partition")?,
            },
            2 => RecordKey::Group {
                group: reader.string("group")?,
            },
            _ => return Ok(None),
        };
        reader.finish("key")?;
        Ok(Some(key))
    }
}

impl OffsetValue {
    /// Encodes at [`OFFSET_VALUE_VERSION`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&OFFSET_VALUE_VERSION.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.leader_epoch.to_be_bytes());
        put_string(&mut out, &self.metadata);
        out.extend_from_slice(&self.commit_timestamp.to_be_bytes());
        out
    }

    /// Decodes versions 0 to 3.
    pub fn decode(bytes: &[u8]) -> Result<OffsetValue, RecordCodecError> {
        let mut reader = Reader::new(bytes);
        let version = reader.i16("offset value version")?;
        if !(0..=3).contains(&version) {
            return Err(RecordCodecError::UnknownVersion {
                what: "offset value",
                version,
            });
        }
        let offset = reader.i64("offset")?;
        let leader_epoch = if version >= 3 {
            reader.i32("leader epoch")?
        } else {
            -1
        };
        let metadata = reader.string("metadata")?;
        let commit_timestamp = reader.i64("commit timestamp")?;
        let expire_timestamp = if version == 1 {
            reader.i64("expire timestamp")?
        } else {
            -1
        };
        reader.finish("offset value")?;
        Ok(OffsetValue {
            offset,
            leader_epoch,
            metadata,
            commit_timestamp,
            expire_timestamp,
        })
    }
}

impl GroupMetadataValue {
    /// Encodes at [`GROUP_VALUE_VERSION`].
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&GROUP_VALUE_VERSION.to_be_bytes());
        put_string(&mut out, &self.protocol_type);
        out.extend_from_slice(&self.generation.to_be_bytes());
        put_nullable_string(&mut out, self.protocol.as_deref());
        put_nullable_string(&mut out, self.leader.as_deref());
        out.extend_from_slice(&self.current_state_timestamp.to_be_bytes());
        let count = i32::try_from(self.members.len()).unwrap_or(i32::MAX);
        out.extend_from_slice(&count.to_be_bytes());
        for member in &self.members {
            put_string(&mut out, &member.member_id);
            put_nullable_string(&mut out, member.group_instance_id.as_deref());
            put_string(&mut out, &member.client_id);
            put_string(&mut out, &member.client_host);
            out.extend_from_slice(&member.rebalance_timeout_ms.to_be_bytes());
            out.extend_from_slice(&member.session_timeout_ms.to_be_bytes());
            put_bytes(&mut out, &member.subscription);
            put_bytes(&mut out, &member.assignment);
        }
        out
    }

    /// Decodes versions 0 to 3.
    pub fn decode(bytes: &[u8]) -> Result<GroupMetadataValue, RecordCodecError> {
        let mut reader = Reader::new(bytes);
        let version = reader.i16("group value version")?;
        if !(0..=3).contains(&version) {
            return Err(RecordCodecError::UnknownVersion {
                what: "group metadata value",
                version,
            });
        }
        let protocol_type = reader.string("protocol type")?;
        let generation = reader.i32("generation")?;
        let protocol = reader.nullable_string("protocol")?;
        let leader = reader.nullable_string("leader")?;
        let current_state_timestamp = if version >= 2 {
            reader.i64("current state timestamp")?
        } else {
            -1
        };
        let count = reader.i32("member count")?;
        let mut members = Vec::new();
        for _ in 0..count.max(0) {
            let member_id = reader.string("member id")?;
            let group_instance_id = if version >= 3 {
                reader.nullable_string("group instance id")?
            } else {
                None
            };
            let client_id = reader.string("client id")?;
            let client_host = reader.string("client host")?;
            let session_and_rebalance = if version >= 1 {
                let rebalance = reader.i32("rebalance timeout")?;
                (reader.i32("session timeout")?, rebalance)
            } else {
                let session = reader.i32("session timeout")?;
                (session, session)
            };
            members.push(MemberMetadata {
                member_id,
                group_instance_id,
                client_id,
                client_host,
                session_timeout_ms: session_and_rebalance.0,
                rebalance_timeout_ms: session_and_rebalance.1,
                subscription: reader.bytes("subscription")?,
                assignment: reader.bytes("assignment")?,
            });
        }
        reader.finish("group metadata value")?;
        Ok(GroupMetadataValue {
            protocol_type,
            generation,
            protocol,
            leader,
            current_state_timestamp,
            members,
        })
    }
}

fn put_string(out: &mut Vec<u8>, value: &str) {
    put_nullable_string(out, Some(value));
}

fn put_nullable_string(out: &mut Vec<u8>, value: Option<&str>) {
    match value {
        None => out.extend_from_slice(&(-1i16).to_be_bytes()),
        Some(text) => {
            // Group ids, topics and metadata are capped far below 32 KiB by the requests
            // that carry them; a longer string is cut rather than written with a bad length.
            let bytes = text.as_bytes();
            let len = bytes.len().min(i16::MAX as usize);
            out.extend_from_slice(&(len as i16).to_be_bytes());
            out.extend_from_slice(bytes.get(..len).unwrap_or_default());
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, value: &[u8]) {
    let len = i32::try_from(value.len()).unwrap_or(i32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value);
}

/// A checked cursor over a record's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes }
    }

    fn take(&mut self, field: &'static str, needed: usize) -> Result<&'a [u8], RecordCodecError> {
        if self.bytes.len() < needed {
            return Err(RecordCodecError::Truncated {
                field,
                needed,
                available: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(needed);
        self.bytes = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], RecordCodecError> {
        let bytes = self.take(field, N)?;
        bytes.try_into().map_err(|_| RecordCodecError::Truncated {
            field,
            needed: N,
            available: bytes.len(),
        })
    }

    fn i16(&mut self, field: &'static str) -> Result<i16, RecordCodecError> {
        Ok(i16::from_be_bytes(self.array(field)?))
    }

    fn i32(&mut self, field: &'static str) -> Result<i32, RecordCodecError> {
        Ok(i32::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, RecordCodecError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn nullable_string(&mut self, field: &'static str) -> Result<Option<String>, RecordCodecError> {
        let len = self.i16(field)?;
        if len < 0 {
            return Ok(None);
        }
        let bytes = self.take(field, len.unsigned_abs().into())?;
        String::from_utf8(bytes.to_vec())
            .map(Some)
            .map_err(|_| RecordCodecError::NotUtf8 { field })
    }

    fn string(&mut self, field: &'static str) -> Result<String, RecordCodecError> {
        let len = self.i16(field)?;
        if len < 0 {
            return Err(RecordCodecError::NegativeLength {
                field,
                len: len.into(),
            });
        }
        let bytes = self.take(field, len.unsigned_abs().into())?;
        String::from_utf8(bytes.to_vec()).map_err(|_| RecordCodecError::NotUtf8 { field })
    }

    fn bytes(&mut self, field: &'static str) -> Result<Vec<u8>, RecordCodecError> {
        let len = self.i32(field)?;
        let len = usize::try_from(len).map_err(|_| RecordCodecError::NegativeLength {
            field,
            len: len.into(),
        })?;
        Ok(self.take(field, len)?.to_vec())
    }

    fn finish(&self, what: &'static str) -> Result<(), RecordCodecError> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(RecordCodecError::Trailing {
                what,
                trailing: self.bytes.len(),
            })
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn offset_records_round_trip_at_the_written_versions() {
        let key = RecordKey::Offset {
            group: "g".to_owned(),
            topic: "t".to_owned(),
            partition: 3,
        };
        let bytes = key.encode();
        assert_eq!(
            bytes,
            [0, 1, 0, 1, b'g', 0, 1, b't', 0, 0, 0, 3].to_vec(),
            "version 1, group, topic, partition"
        );
        assert_eq!(RecordKey::decode(&bytes).unwrap(), Some(key));
        let value = OffsetValue {
            offset: 42,
            leader_epoch: 7,
            metadata: "meta".to_owned(),
            commit_timestamp: 1_700_000_000_000,
            expire_timestamp: -1,
        };
        let encoded = value.encode();
        assert_eq!(&encoded[..2], &[0, 3]);
        assert_eq!(encoded.len(), 2 + 8 + 4 + 2 + 4 + 8);
        assert_eq!(OffsetValue::decode(&encoded).unwrap(), value);
    }

    #[test]
    fn older_offset_values_decode() {
        // v1: offset, metadata, commit timestamp, expire timestamp.
        let mut v1 = vec![0, 1];
        v1.extend_from_slice(&5i64.to_be_bytes());
        v1.extend_from_slice(&[0, 0]);
        v1.extend_from_slice(&10i64.to_be_bytes());
        v1.extend_from_slice(&20i64.to_be_bytes());
        let decoded = OffsetValue::decode(&v1).unwrap();
        assert_eq!(
            (
                decoded.offset,
                decoded.leader_epoch,
                decoded.expire_timestamp
            ),
            (5, -1, 20)
        );
        // v0 and v2 have the same layout: offset, metadata, commit timestamp.
        for version in [0u8, 2] {
            let mut bytes = vec![0, version];
            bytes.extend_from_slice(&6i64.to_be_bytes());
            bytes.extend_from_slice(&[0, 1, b'm']);
            bytes.extend_from_slice(&11i64.to_be_bytes());
            let decoded = OffsetValue::decode(&bytes).unwrap();
            assert_eq!((decoded.offset, decoded.metadata.as_str()), (6, "m"));
        }
        assert!(matches!(
            OffsetValue::decode(&[0, 9]),
            Err(RecordCodecError::UnknownVersion { version: 9, .. })
        ));
    }

    #[test]
    fn group_metadata_round_trips_and_reads_version_zero() {
        let key = RecordKey::Group {
            group: "group".to_owned(),
        };
        assert_eq!(&key.encode()[..2], &[0, 2]);
        assert_eq!(RecordKey::decode(&key.encode()).unwrap(), Some(key));
        let value = GroupMetadataValue {
            protocol_type: "consumer".to_owned(),
            generation: 4,
            protocol: Some("range".to_owned()),
            leader: Some("m1".to_owned()),
            current_state_timestamp: 99,
            members: vec![MemberMetadata {
                member_id: "m1".to_owned(),
                group_instance_id: Some("i1".to_owned()),
                client_id: "c".to_owned(),
                client_host: "/127.0.0.1".to_owned(),
                rebalance_timeout_ms: 300_000,
                session_timeout_ms: 10_000,
                subscription: vec![1, 2],
                assignment: vec![3],
            }],
        };
        assert_eq!(GroupMetadataValue::decode(&value.encode()).unwrap(), value);
        let mut v0 = vec![0, 0];
        put_string(&mut v0, "consumer");
        v0.extend_from_slice(&1i32.to_be_bytes());
        put_nullable_string(&mut v0, None);
        put_nullable_string(&mut v0, None);
        v0.extend_from_slice(&1i32.to_be_bytes());
        put_string(&mut v0, "m");
        put_string(&mut v0, "c");
        put_string(&mut v0, "h");
        v0.extend_from_slice(&6000i32.to_be_bytes());
        put_bytes(&mut v0, &[]);
        put_bytes(&mut v0, &[9]);
        let decoded = GroupMetadataValue::decode(&v0).unwrap();
        assert_eq!(decoded.members[0].rebalance_timeout_ms, 6000);
        assert_eq!(decoded.members[0].assignment, vec![9]);
        assert_eq!(decoded.current_state_timestamp, -1);
    }

    #[test]
    fn truncated_and_garbage_records_are_errors_not_panics() {
        let value = GroupMetadataValue {
            protocol_type: "consumer".to_owned(),
            members: vec![MemberMetadata::default()],
            ..GroupMetadataValue::default()
        }
        .encode();
        for cut in 0..value.len() {
            assert!(
                GroupMetadataValue::decode(&value[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        assert!(RecordKey::decode(&[0]).is_err());
        assert_eq!(RecordKey::decode(&[0, 7, 1, 2]).unwrap(), None);
        assert!(matches!(
            RecordKey::decode(&[0, 2, 0xff, 0xfe]),
            Err(RecordCodecError::NegativeLength { .. })
        ));
        let mut trailing = RecordKey::Group { group: "g".into() }.encode();
        trailing.push(0);
        assert!(matches!(
            RecordKey::decode(&trailing),
            Err(RecordCodecError::Trailing { .. })
        ));
    }
}
