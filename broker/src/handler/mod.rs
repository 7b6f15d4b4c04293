//! Request handlers: one file per API, each turning a decoded request into its response.
//!
//! Flow: [`crate::network::connection`] decodes the header and checks the version against
//! [`supported_versions`] → [`dispatch`] decodes the body (the `kafka-protocol` crate) and
//! calls `<api>::handle` → domain calls through [`Storage`] (run off the async workers) →
//! domain errors become wire codes in [`error_code`] → the response is encoded with the
//! version and correlation id of the request.
//!
//! - [`api_versions`], [`metadata`], [`create_topics`], [`delete_topics`],
//!   [`create_partitions`], [`describe_cluster`], [`produce`], [`fetch`], [`list_offsets`],
//!   [`init_producer_id`], [`delete_records`], [`configs`] (DescribeConfigs, AlterConfigs,
//!   IncrementalAlterConfigs over the pure [`describe_configs`], [`alter_configs`],
//!   [`incremental_alter_configs`]), and the group APIs over [`Context::groups`]
//!   ([`find_coordinator`], [`join_group`], [`sync_group`], [`heartbeat`], [`leave_group`],
//!   [`offset_commit`], [`offset_fetch`], [`list_groups`], [`describe_groups`],
//!   [`delete_groups`], [`offset_delete`]), and the controller's [`elect_leaders`],
//!   [`alter_partition_reassignments`], [`list_partition_reassignments`] — the APIs this
//!   broker serves;
//! - [`storage`] — [`Storage`]: the log dir behind a lock, used only from blocking tasks,
//!   and the append signal that wakes long-poll fetches;
//! - [`error_code`] — the one mapping from domain errors to Kafka error codes.
//!
//! Cluster state comes from [`Context::cluster`]: [`Context::metadata`] is the cached
//! snapshot, [`Context::partition_error`] the leadership check Produce, Fetch and
//! ListOffsets make per partition.

pub mod alter_configs;
pub mod alter_partition_reassignments;
pub mod api_versions;
pub mod configs;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_groups;
pub mod delete_records;
pub mod delete_topics;
pub mod describe_cluster;
pub mod describe_configs;
pub mod describe_groups;
pub mod elect_leaders;
pub mod error_code;
pub mod fetch;
pub mod find_coordinator;
pub mod heartbeat;
pub mod incremental_alter_configs;
pub mod init_producer_id;
pub mod join_group;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod list_partition_reassignments;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod produce;
pub mod storage;
pub mod sync_group;

use bytes::{Bytes, BytesMut};
use std::sync::Arc;

use kafka_protocol::messages::{
    AlterConfigsRequest, AlterPartitionReassignmentsRequest, ApiKey, ApiVersionsRequest,
    CreatePartitionsRequest, CreateTopicsRequest, DeleteGroupsRequest, DeleteRecordsRequest,
    DeleteTopicsRequest, DescribeClusterRequest, DescribeConfigsRequest, DescribeGroupsRequest,
    ElectLeadersRequest, FetchRequest, FindCoordinatorRequest, HeartbeatRequest,
    IncrementalAlterConfigsRequest, InitProducerIdRequest, JoinGroupRequest, LeaveGroupRequest,
    ListGroupsRequest, ListOffsetsRequest, ListPartitionReassignmentsRequest, MetadataRequest,
    OffsetCommitRequest, OffsetDeleteRequest, OffsetFetchRequest, OffsetForLeaderEpochRequest,
    ProduceRequest, RequestHeader, ResponseHeader, SyncGroupRequest,
};
use kafka_protocol::protocol::buf::ByteBufMut;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Message, VersionRange};
use kafka_protocol::ResponseError;

use crate::cluster::{Cluster, Leadership, MetadataImage};
use crate::group::GroupCoordinator;
use crate::log::TopicPartition;
use crate::network::spliced::{self, Frame, SplicingBuf};
use crate::network::NetworkError;
use crate::producer::ProducerIdAllocator;
use crate::replication::ReplicaManager;
use crate::server::ServerOptions;
pub use storage::{Storage, StorageError};

/// What every handler sees: the options, the listener the request came in on with its
/// advertised endpoint, the storage and the cluster link. One per listener.
#[derive(Debug)]
pub struct Context {
    pub options: ServerOptions,
    /// The listener's name (`PLAINTEXT`): Metadata answers with each broker's endpoint of
    /// this listener.
    pub listener_name: String,
    /// The host clients of this listener are told to connect to.
    pub advertised_host: String,
    pub advertised_port: i32,
    pub storage: Storage,
    pub cluster: Cluster,
    /// Producer ids for InitProducerId (one allocator for all listeners).
    pub producer_ids: Arc<ProducerIdAllocator>,
    /// The group coordinator (one for all listeners).
    pub groups: GroupCoordinator,
    /// Leadership, high watermarks and ISRs of the hosted partitions.
    pub replicas: ReplicaManager,
}

/// Who sent a request: the header's client id and the peer's address, as JoinGroup records
/// them for DescribeGroups (`/127.0.0.1`, Kafka's `InetAddress.toString` form).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestOrigin {
    pub client_id: String,
    pub client_host: String,
}

impl RequestOrigin {
    pub fn new(header: &RequestHeader, peer: Option<std::net::SocketAddr>) -> Self {
        RequestOrigin {
            client_id: header
                .client_id
                .as_ref()
                .map(|id| id.to_string())
                .unwrap_or_default(),
            client_host: peer
                .map(|peer| format!("/{}", peer.ip()))
                .unwrap_or_default(),
        }
    }
}

impl Context {
    /// The cached cluster metadata (a cheap snapshot).
    pub fn metadata(&self) -> Arc<MetadataImage> {
        self.cluster.image()
    }

    /// Whether this broker leads `topic`/`partition`.
    pub fn leadership(&self, topic: &str, partition: i32) -> Leadership {
        self.metadata()
            .leadership(self.options.broker_id, topic, partition)
    }

    /// The partition's current leader epoch (from its state in the coordinator); 0 before
    /// the controller wrote one.
    pub fn image_leader_epoch(&self, topic: &str, partition: i32) -> i32 {
        self.metadata()
            .partition(topic, partition)
            .and_then(|image| image.state.as_ref())
            .map_or(crate::log::DEFAULT_LEADER_EPOCH, |state| state.leader_epoch)
    }

    /// `None` when this broker leads the partition (its replication state says so, which
    /// follows the image once the role change is applied); else the code to answer with:
    /// NOT_LEADER_OR_FOLLOWER (another broker leads it, or none does right now) or
    /// UNKNOWN_TOPIC_OR_PARTITION.
    pub fn partition_error(&self, topic: &str, partition: i32) -> Option<ResponseError> {
        match self.leadership(topic, partition) {
            Leadership::Unknown => Some(ResponseError::UnknownTopicOrPartition),
            Leadership::Local | Leadership::NotLeader => {
                let partition = TopicPartition::new(topic, partition);
                match self.replicas.leader_epoch(&partition) {
                    Some(_) => None,
                    None => Some(ResponseError::NotLeaderOrFollower),
                }
            }
        }
    }

    /// The leader epoch of a partition this broker leads (else the image's).
    pub fn leader_epoch(&self, topic: &str, partition: i32) -> i32 {
        self.replicas
            .leader_epoch(&TopicPartition::new(topic, partition))
            .unwrap_or_else(|| self.image_leader_epoch(topic, partition))
    }
}

/// Highest Produce version served: v13 addresses topics by id, which this broker does not
/// assign yet.
const PRODUCE_MAX_VERSION: i16 = 12;
/// Highest Fetch version served: v13 addresses topics by id.
const FETCH_MAX_VERSION: i16 = 12;

/// The APIs this broker serves, in ApiVersions order.
pub const SERVED_APIS: [ApiKey; 29] = [
    ApiKey::Produce,
    ApiKey::Fetch,
    ApiKey::ListOffsets,
    ApiKey::Metadata,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::SyncGroup,
    ApiKey::DescribeGroups,
    ApiKey::ListGroups,
    ApiKey::DeleteGroups,
    ApiKey::OffsetDelete,
    ApiKey::ApiVersions,
    ApiKey::CreateTopics,
    ApiKey::DeleteTopics,
    ApiKey::CreatePartitions,
    ApiKey::DescribeCluster,
    ApiKey::DescribeConfigs,
    ApiKey::AlterConfigs,
    ApiKey::IncrementalAlterConfigs,
    ApiKey::DeleteRecords,
    ApiKey::InitProducerId,
    ApiKey::OffsetForLeaderEpoch,
    ApiKey::ElectLeaders,
    ApiKey::AlterPartitionReassignments,
    ApiKey::ListPartitionReassignments,
];

/// The versions served for `api_key` (the crate's range, capped where a later version
/// needs something not implemented); `None` for APIs not served.
pub fn supported_versions(api_key: ApiKey) -> Option<VersionRange> {
    let capped = |range: VersionRange, max: i16| VersionRange {
        min: range.min,
        max: range.max.min(max),
    };
    match api_key {
        ApiKey::Produce => Some(capped(ProduceRequest::VERSIONS, PRODUCE_MAX_VERSION)),
        ApiKey::Fetch => Some(capped(FetchRequest::VERSIONS, FETCH_MAX_VERSION)),
        ApiKey::ListOffsets => Some(ListOffsetsRequest::VERSIONS),
        ApiKey::Metadata => Some(MetadataRequest::VERSIONS),
        ApiKey::ApiVersions => Some(ApiVersionsRequest::VERSIONS),
        ApiKey::CreateTopics => Some(CreateTopicsRequest::VERSIONS),
        ApiKey::DeleteTopics => Some(DeleteTopicsRequest::VERSIONS),
        ApiKey::CreatePartitions => Some(CreatePartitionsRequest::VERSIONS),
        ApiKey::DescribeCluster => Some(DescribeClusterRequest::VERSIONS),
        ApiKey::DescribeConfigs => Some(DescribeConfigsRequest::VERSIONS),
        ApiKey::AlterConfigs => Some(AlterConfigsRequest::VERSIONS),
        ApiKey::IncrementalAlterConfigs => Some(IncrementalAlterConfigsRequest::VERSIONS),
        ApiKey::DeleteRecords => Some(DeleteRecordsRequest::VERSIONS),
        ApiKey::InitProducerId => Some(InitProducerIdRequest::VERSIONS),
        ApiKey::FindCoordinator => Some(FindCoordinatorRequest::VERSIONS),
        ApiKey::JoinGroup => Some(JoinGroupRequest::VERSIONS),
        ApiKey::SyncGroup => Some(SyncGroupRequest::VERSIONS),
        ApiKey::Heartbeat => Some(HeartbeatRequest::VERSIONS),
        ApiKey::LeaveGroup => Some(LeaveGroupRequest::VERSIONS),
        ApiKey::OffsetCommit => Some(OffsetCommitRequest::VERSIONS),
        ApiKey::OffsetFetch => Some(OffsetFetchRequest::VERSIONS),
        ApiKey::ListGroups => Some(ListGroupsRequest::VERSIONS),
        ApiKey::DescribeGroups => Some(DescribeGroupsRequest::VERSIONS),
        ApiKey::DeleteGroups => Some(DeleteGroupsRequest::VERSIONS),
        ApiKey::OffsetDelete => Some(OffsetDeleteRequest::VERSIONS),
        ApiKey::OffsetForLeaderEpoch => Some(OffsetForLeaderEpochRequest::VERSIONS),
        ApiKey::ElectLeaders => Some(ElectLeadersRequest::VERSIONS),
        ApiKey::AlterPartitionReassignments => Some(AlterPartitionReassignmentsRequest::VERSIONS),
        ApiKey::ListPartitionReassignments => Some(ListPartitionReassignmentsRequest::VERSIONS),
        _ => None,
    }
}

/// Decodes the body of a request whose header was read and version checked, runs its
/// handler and encodes the response frame. `Ok(None)`: no response is due. `peer` is the
/// client's address (group members record it).
pub async fn dispatch(
    context: &Context,
    header: &RequestHeader,
    api_key: ApiKey,
    mut body: Bytes,
    peer: Option<std::net::SocketAddr>,
) -> Result<Option<Reply>, NetworkError> {
    let version = header.request_api_version;
    let correlation_id = header.correlation_id;
    let frame = match api_key {
        ApiKey::ApiVersions => {
            let _request: ApiVersionsRequest = decode_body(&mut body, api_key, version)?;
            let response = api_versions::handle();
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::Metadata => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = metadata::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::OffsetForLeaderEpoch => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = offset_for_leader_epoch::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::CreateTopics => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = create_topics::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DeleteTopics => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = delete_topics::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::CreatePartitions => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = create_partitions::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DescribeCluster => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = describe_cluster::handle(context, request);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DescribeConfigs => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = configs::describe(context, &request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::AlterConfigs => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = configs::alter(context, &request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::IncrementalAlterConfigs => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = configs::incremental_alter(context, &request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::Produce => {
            let request = decode_body(&mut body, api_key, version)?;
            match produce::handle(context, request, version).await? {
                Some(produced) if produced.is_complete() => {
                    encode_response(api_key, version, correlation_id, &produced.response)?
                }
                Some(produced) => {
                    let replicas = context.replicas.clone();
                    return Ok(Some(Reply::Later(Box::pin(async move {
                        let response = produced.complete(&replicas).await;
                        encode_response(api_key, version, correlation_id, &response)
                    }))));
                }
                None => return Ok(None),
            }
        }
        ApiKey::Fetch => {
            let request = decode_body(&mut body, api_key, version)?;
            let answer = fetch::handle(context, request, version).await;
            let frame = fetch::encode(answer, api_key, version, correlation_id)?;
            return Ok(Some(Reply::Now(frame)));
        }
        ApiKey::ListOffsets => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = list_offsets::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DeleteRecords => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = delete_records::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::InitProducerId => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = init_producer_id::handle(&context.producer_ids, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::FindCoordinator => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = find_coordinator::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::JoinGroup => {
            let request = decode_body(&mut body, api_key, version)?;
            let origin = RequestOrigin::new(header, peer);
            let response = join_group::handle(context, request, version, &origin).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::SyncGroup => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = sync_group::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::Heartbeat => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = heartbeat::handle(context, &request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::LeaveGroup => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = leave_group::handle(context, &request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::OffsetCommit => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = offset_commit::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::OffsetFetch => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = offset_fetch::handle(context, request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::ListGroups => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = list_groups::handle(context, &request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DescribeGroups => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = describe_groups::handle(context, request, version);
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::DeleteGroups => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = delete_groups::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::OffsetDelete => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = offset_delete::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::ElectLeaders => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = elect_leaders::handle(context, request, version).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::AlterPartitionReassignments => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = alter_partition_reassignments::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        ApiKey::ListPartitionReassignments => {
            let request = decode_body(&mut body, api_key, version)?;
            let response = list_partition_reassignments::handle(context, request).await;
            encode_response(api_key, version, correlation_id, &response)?
        }
        _ => {
            return Err(NetworkError::UnsupportedApi {
                api_key: api_key as i16,
                api_version: version,
            })
        }
    };
    Ok(Some(Reply::Now(Frame::Whole(frame))))
}

/// A response frame: ready now, or once a wait completes (an acks=all produce waiting for
/// its replicas; the connection may serve the requests behind it meanwhile and sends the
/// answers in request order).
pub enum Reply {
    Now(Frame),
    Later(std::pin::Pin<Box<dyn std::future::Future<Output = Result<Bytes, NetworkError>> + Send>>),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Now(frame) => f.debug_tuple("Now").field(&frame.len()).finish(),
            Reply::Later(_) => f.write_str("Later"),
        }
    }
}

fn decode_body<R: Decodable>(
    body: &mut Bytes,
    api_key: ApiKey,
    version: i16,
) -> Result<R, NetworkError> {
    R::decode(body, version).map_err(|error| NetworkError::Decode {
        what: "request body",
        api_key: api_key as i16,
        api_version: version,
        reason: error.to_string(),
    })
}

/// Encodes a whole response frame: size prefix, response header (the version the API's
/// response uses at `version`), body.
pub(crate) fn encode_response<R: Encodable + HeaderVersion>(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &R,
) -> Result<Bytes, NetworkError> {
    // Sized up front: a fetch answer of megabytes would otherwise be copied at every growth.
    let body = response.compute_size(version).unwrap_or(0);
    let mut frame = BytesMut::with_capacity(body.saturating_add(RESPONSE_HEADER_ROOM));
    encode_into(&mut frame, api_key, version, correlation_id, response)?;
    let payload_len = frame.len().saturating_sub(4);
    let size = i32::try_from(payload_len)
        .map_err(|_| NetworkError::ResponseTooLarge { len: payload_len })?;
    if let Some(prefix) = frame.get_mut(0..4) {
        prefix.copy_from_slice(&size.to_be_bytes());
    }
    Ok(frame.freeze())
}

/// Encodes a response whose placeholder records ([`crate::network::spliced`]) stand for
/// `files`, in encoding order; `Ok(None)` when the encoder did not pass them through as
/// expected (the caller then sends the records from memory).
pub(crate) fn encode_spliced_response<R: Encodable + HeaderVersion>(
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &R,
    files: Vec<Vec<crate::log::FileSlice>>,
) -> Result<Option<Frame>, NetworkError> {
    let in_files: usize = files.iter().map(|slices| spliced::slices_len(slices)).sum();
    let body = response
        .compute_size(version)
        .unwrap_or(0)
        .saturating_sub(in_files);
    let mut buf = SplicingBuf::new(body.saturating_add(RESPONSE_HEADER_ROOM), files);
    encode_into(&mut buf, api_key, version, correlation_id, response)?;
    buf.finish()
}

/// Room for the size prefix and a response header (correlation id, tag buffer).
const RESPONSE_HEADER_ROOM: usize = 16;

/// Writes a size-prefix gap (zero), the response header and the body into `buf`.
fn encode_into<R: Encodable + HeaderVersion, B: ByteBufMut>(
    buf: &mut B,
    api_key: ApiKey,
    version: i16,
    correlation_id: i32,
    response: &R,
) -> Result<(), NetworkError> {
    let mut header = ResponseHeader::default();
    header.correlation_id = correlation_id;
    buf.put_i32(0);
    header
        .encode(buf, R::header_version(version))
        .map_err(encode_failure(api_key, version))?;
    response
        .encode(buf, version)
        .map_err(encode_failure(api_key, version))
}

fn encode_failure<E: std::fmt::Display>(
    api_key: ApiKey,
    version: i16,
) -> impl Fn(E) -> NetworkError {
    move |error| NetworkError::Encode {
        api_key: api_key as i16,
        api_version: version,
        reason: error.to_string(),
    }
}
