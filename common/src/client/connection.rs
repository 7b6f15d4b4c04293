//! One TCP connection to one broker: request framing, correlation ids, version negotiation
//! and pipelining.
//!
//! Wire layout (Kafka protocol): every request and response is a frame `i32 size` + payload.
//! A request payload is the request header (its version chosen per API and version by
//! [`HeaderVersion`]) followed by the body; a response payload starts with the correlation
//! id of the request it answers. A broker answers the requests of one connection in the order
//! it received them, so responses are matched to the oldest request in flight, and a
//! correlation id that differs from it is a protocol violation that closes the connection.
//!
//! Tasks: a writer task owns the write half — it registers each request that expects a
//! response with the reader before writing it, and coalesces queued frames into one
//! flush; a reader task owns the read half, checks each frame's size against
//! [`ConnectionOptions::max_response_size`] before allocating, and hands the payload to the
//! waiting caller, who decodes it. When either side fails, every request in flight fails
//! with [`ClientError::ConnectionLost`] and the connection is dead ([`Connection::is_closed`]).
//!
//! On connect the client sends ApiVersions (the crate's highest version; on
//! UNSUPPORTED_VERSION it reads the v0 body the broker answers with and retries with the
//! highest version the broker named) and then uses, per API, the highest version both sides
//! support, capped where a later version needs what this client does not do
//! ([`client_max_version`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, ApiVersionsRequest, ApiVersionsResponse, FetchRequest, OffsetCommitRequest,
    OffsetFetchRequest, ProduceRequest, RequestHeader, ResponseHeader,
};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Message, Request, StrBytes};
use kafka_protocol::ResponseError;
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::ClientError;
use crate::frame::{FrameError, FrameReader};

/// How a connection behaves.
#[derive(Debug, Clone)]
pub struct ConnectionOptions {
    /// `client.id`, sent in every request header.
    pub client_id: String,
    /// How long a TCP connect may take.
    pub connect_timeout: Duration,
    /// `request.timeout.ms`: how long to wait for each response.
    pub request_timeout: Duration,
    /// The largest response frame accepted; a larger size closes the connection.
    pub max_response_size: usize,
    /// Requests queued for the writer before [`Connection::send`] waits.
    pub write_queue: usize,
}

impl Default for ConnectionOptions {
    fn default() -> Self {
        ConnectionOptions {
            client_id: "console-client".to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_response_size: 256 * 1024 * 1024,
            write_queue: 64,
        }
    }
}

/// The highest version of `api_key` this client sends: the crate's, except Produce and
/// Fetch stop at v12 and OffsetCommit and OffsetFetch at v9 because the next versions name
/// topics by id, which this client does not track.
pub fn client_max_version(api_key: i16, crate_max: i16) -> i16 {
    if api_key == ProduceRequest::KEY || api_key == FetchRequest::KEY {
        crate_max.min(12)
    } else if api_key == OffsetCommitRequest::KEY || api_key == OffsetFetchRequest::KEY {
        crate_max.min(9)
    } else {
        crate_max
    }
}

/// A request frame handed to the writer task.
struct Outgoing {
    frame: Bytes,
    /// `None` when no response comes (Produce with acks=0).
    reply: Option<Pending>,
}

/// A request waiting for its response.
struct Pending {
    correlation_id: i32,
    reply: oneshot::Sender<Result<Bytes, ClientError>>,
}

/// A live connection to one broker. Cheap to share behind an `Arc`; requests from several
/// tasks are written in the order [`Connection::send`] is called.
#[derive(Debug)]
pub struct Connection {
    broker: String,
    options: ConnectionOptions,
    outgoing: mpsc::Sender<Outgoing>,
    next_correlation_id: AtomicI32,
    /// API key -> the version used for it (the highest both sides support).
    versions: HashMap<i16, i16>,
    /// API key -> the broker's advertised range, for error messages.
    broker_ranges: HashMap<i16, (i16, i16)>,
    writer: JoinHandle<()>,
    reader: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.writer.abort();
        self.reader.abort();
    }
}

impl std::fmt::Debug for Outgoing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outgoing")
            .field("len", &self.frame.len())
            .finish()
    }
}

/// The response to one request sent by [`Connection::send`]; await it with
/// [`PendingResponse::receive`]. Dropping it discards the response when it arrives.
#[derive(Debug)]
pub struct PendingResponse<R: Request> {
    broker: String,
    version: i16,
    correlation_id: i32,
    timeout: Duration,
    reply: oneshot::Receiver<Result<Bytes, ClientError>>,
    _request: std::marker::PhantomData<fn() -> R>,
}

impl<R: Request> PendingResponse<R> {
    /// The version the request was sent with (and the response is decoded with).
    pub fn version(&self) -> i16 {
        self.version
    }

    /// Waits up to `timeout` instead of the connection's request timeout: JoinGroup is held
    /// by the coordinator for up to the rebalance timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Waits for the response (up to the request timeout) and decodes it.
    pub async fn receive(self) -> Result<R::Response, ClientError> {
        let payload = match tokio::time::timeout(self.timeout, self.reply).await {
            Err(_) => {
                return Err(ClientError::Timeout {
                    broker: self.broker,
                    api_key: R::KEY,
                    timeout: self.timeout,
                })
            }
            Ok(Err(_)) => {
                return Err(ClientError::ConnectionLost {
                    broker: self.broker,
                    reason: "connection closed".to_string(),
                })
            }
            Ok(Ok(result)) => result?,
        };
        decode_response::<R>(&self.broker, payload, self.version, self.correlation_id)
    }
}

fn decode_response<R: Request>(
    broker: &str,
    mut payload: Bytes,
    version: i16,
    correlation_id: i32,
) -> Result<R::Response, ClientError> {
    let decode_error = |reason: String| ClientError::Decode {
        broker: broker.to_string(),
        api_key: R::KEY,
        version,
        reason,
    };
    let header_version = <R::Response as HeaderVersion>::header_version(version);
    let header = ResponseHeader::decode(&mut payload, header_version)
        .map_err(|error| decode_error(error.to_string()))?;
    if header.correlation_id != correlation_id {
        return Err(ClientError::CorrelationMismatch {
            broker: broker.to_string(),
            expected: correlation_id,
            got: header.correlation_id,
        });
    }
    let response = R::Response::decode(&mut payload, version)
        .map_err(|error| decode_error(error.to_string()))?;
    if payload.has_remaining() {
        return Err(decode_error(format!(
            "{} bytes left after the body",
            payload.remaining()
        )));
    }
    Ok(response)
}

impl Connection {
    /// Connects to `broker` (`host:port`) and negotiates API versions.
    pub async fn connect(
        broker: &str,
        options: &ConnectionOptions,
    ) -> Result<Connection, ClientError> {
        let connect_error = |reason: String| ClientError::Connect {
            broker: broker.to_string(),
            reason,
        };
        let stream =
            match tokio::time::timeout(options.connect_timeout, TcpStream::connect(broker)).await {
                Err(_) => {
                    return Err(connect_error(format!(
                        "timed out after {:?}",
                        options.connect_timeout
                    )))
                }
                Ok(Err(error)) => return Err(connect_error(error.to_string())),
                Ok(Ok(stream)) => stream,
            };
        stream
            .set_nodelay(true)
            .map_err(|error| connect_error(error.to_string()))?;
        let (read_half, write_half) = stream.into_split();
        let (outgoing, outgoing_rx) = mpsc::channel(options.write_queue.max(1));
        let (pending_tx, pending_rx) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_loop(
            broker.to_string(),
            write_half,
            outgoing_rx,
            pending_tx,
        ));
        let reader = tokio::spawn(read_loop(
            broker.to_string(),
            read_half,
            pending_rx,
            options.max_response_size,
        ));
        let mut connection = Connection {
            broker: broker.to_string(),
            options: options.clone(),
            outgoing,
            next_correlation_id: AtomicI32::new(0),
            versions: HashMap::new(),
            broker_ranges: HashMap::new(),
            writer,
            reader,
        };
        connection.negotiate_versions().await?;
        Ok(connection)
    }

    /// The `host:port` this connection goes to.
    pub fn broker(&self) -> &str {
        &self.broker
    }

    /// True once the socket failed or closed; requests then fail at once.
    pub fn is_closed(&self) -> bool {
        self.outgoing.is_closed() || self.writer.is_finished() || self.reader.is_finished()
    }

    /// The version used for API `api_key`, `None` when the broker does not serve it in a
    /// version this client knows.
    pub fn version(&self, api_key: i16) -> Option<i16> {
        self.versions.get(&api_key).copied()
    }

    /// True when the broker serves `api_key` in a version this client knows.
    pub fn supports(&self, api_key: ApiKey) -> bool {
        self.versions.contains_key(&(api_key as i16))
    }

    async fn negotiate_versions(&mut self) -> Result<(), ClientError> {
        let mut request = ApiVersionsRequest::default();
        request.client_software_name = StrBytes::from_static_str("streaming-platform-client");
        request.client_software_version = StrBytes::from_static_str(env!("CARGO_PKG_VERSION"));
        let mut version = ApiVersionsRequest::VERSIONS.max;
        let response = loop {
            let pending = self
                .send_frame::<ApiVersionsRequest>(&request, version, true)
                .await?;
            let Some((payload, correlation_id)) = pending else {
                return Err(self.lost("no ApiVersions response"));
            };
            let payload = self.wait_raw(payload).await?;
            // The body starts with the error code in every version; on UNSUPPORTED_VERSION
            // the broker answers with the v0 body so that any client can read its range.
            let mut body = payload.clone();
            let header =
                ResponseHeader::decode(&mut body, 0).map_err(|error| ClientError::Decode {
                    broker: self.broker.clone(),
                    api_key: ApiVersionsRequest::KEY,
                    version,
                    reason: error.to_string(),
                })?;
            if header.correlation_id != correlation_id {
                return Err(ClientError::CorrelationMismatch {
                    broker: self.broker.clone(),
                    expected: correlation_id,
                    got: header.correlation_id,
                });
            }
            let error_code = body.clone().try_get_i16().unwrap_or(0);
            if error_code == ResponseError::UnsupportedVersion.code() && version > 0 {
                let fallback = decode_response::<ApiVersionsRequest>(
                    &self.broker,
                    payload,
                    0,
                    correlation_id,
                )?;
                let broker_max = fallback
                    .api_keys
                    .iter()
                    .find(|entry| entry.api_key == ApiVersionsRequest::KEY)
                    .map_or(0, |entry| entry.max_version);
                version = broker_max.min(version - 1).max(0);
                continue;
            }
            break decode_response::<ApiVersionsRequest>(
                &self.broker,
                payload,
                version,
                correlation_id,
            )?;
        };
        self.apply_versions(&response)
    }

    fn apply_versions(&mut self, response: &ApiVersionsResponse) -> Result<(), ClientError> {
        if let Some(error) = ResponseError::try_from_code(response.error_code) {
            return Err(ClientError::ApiVersions {
                broker: self.broker.clone(),
                error,
            });
        }
        for entry in &response.api_keys {
            self.broker_ranges
                .insert(entry.api_key, (entry.min_version, entry.max_version));
            let Ok(api_key) = ApiKey::try_from(entry.api_key) else {
                continue;
            };

            let Some(ours) = api_key_versions(api_key) else {
                continue;
            };
            let high = client_max_version(entry.api_key, ours.1).min(entry.max_version);
            let low = ours.0.max(entry.min_version);
            if high >= low {
                self.versions.insert(entry.api_key, high);
            }
        }
        Ok(())
    }

    fn lost(&self, reason: &str) -> ClientError {
        ClientError::ConnectionLost {
            broker: self.broker.clone(),
            reason: reason.to_string(),
        }
    }

    async fn wait_raw(
        &self,
        reply: oneshot::Receiver<Result<Bytes, ClientError>>,
    ) -> Result<Bytes, ClientError> {
        match tokio::time::timeout(self.options.request_timeout, reply).await {
            Err(_) => Err(ClientError::Timeout {
                broker: self.broker.clone(),
                api_key: ApiVersionsRequest::KEY,
                timeout: self.options.request_timeout,
            }),
            Ok(Err(_)) => Err(self.lost("connection closed")),
            Ok(Ok(result)) => result,
        }
    }

    fn chosen_version<R: Request>(&self) -> Result<i16, ClientError> {
        self.version(R::KEY).ok_or_else(|| {
            let (min, max) = self.broker_ranges.get(&R::KEY).copied().unwrap_or((-1, -1));
            ClientError::UnsupportedApi {
                broker: self.broker.clone(),
                api_key: R::KEY,
                min,
                max,
            }
        })
    }

    /// Encodes and queues `request` with the negotiated version; the returned handle yields
    /// the response. Waits only when the write queue is full, so a caller can keep several
    /// requests in flight on one connection.
    pub async fn send<R: Request>(&self, request: &R) -> Result<PendingResponse<R>, ClientError> {
        let version = self.chosen_version::<R>()?;
        self.send_with_version(request, version).await
    }

    /// Like [`Connection::send`] with an explicit version (within the broker's range).
    pub async fn send_with_version<R: Request>(
        &self,
        request: &R,
        version: i16,
    ) -> Result<PendingResponse<R>, ClientError> {
        let Some((reply, correlation_id)) = self.send_frame(request, version, true).await? else {
            return Err(self.lost("no response slot"));
        };
        Ok(PendingResponse {
            broker: self.broker.clone(),
            version,
            correlation_id,
            timeout: self.options.request_timeout,
            reply,
            _request: std::marker::PhantomData,
        })
    }

    /// Sends a request the broker does not answer (Produce with acks=0).
    pub async fn send_without_response<R: Request>(&self, request: &R) -> Result<(), ClientError> {
        let version = self.chosen_version::<R>()?;
        self.send_frame(request, version, false).await?;
        Ok(())
    }

    /// Sends `request` and waits for its response.
    pub async fn call<R: Request>(&self, request: &R) -> Result<R::Response, ClientError> {
        self.send(request).await?.receive().await
    }

    #[allow(clippy::type_complexity)]
    async fn send_frame<R: Request>(
        &self,
        request: &R,
        version: i16,
        expect_response: bool,
    ) -> Result<Option<(oneshot::Receiver<Result<Bytes, ClientError>>, i32)>, ClientError> {
        let correlation_id = self.next_correlation_id.fetch_add(1, Ordering::Relaxed) & i32::MAX;
        let frame = encode_request(request, version, correlation_id, &self.options.client_id)
            .map_err(|reason| ClientError::Encode {
                broker: self.broker.clone(),
                api_key: R::KEY,
                version,
                reason,
            })?;
        let (reply, receiver) = if expect_response {
            let (sender, receiver) = oneshot::channel();
            (
                Some(Pending {
                    correlation_id,
                    reply: sender,
                }),
                Some((receiver, correlation_id)),
            )
        } else {
            (None, None)
        };
        self.outgoing
            .send(Outgoing { frame, reply })
            .await
            .map_err(|_| self.lost("connection closed"))?;
        Ok(receiver)
    }
}

/// The client's own version range for `api_key` (the crate's generated range).
fn api_key_versions(api_key: ApiKey) -> Option<(i16, i16)> {
    use kafka_protocol::messages::*;
    let range = match api_key {
        ApiKey::Produce => ProduceRequest::VERSIONS,
        ApiKey::Fetch => FetchRequest::VERSIONS,
        ApiKey::ListOffsets => ListOffsetsRequest::VERSIONS,
        ApiKey::Metadata => MetadataRequest::VERSIONS,
        ApiKey::OffsetCommit => OffsetCommitRequest::VERSIONS,
        ApiKey::OffsetFetch => OffsetFetchRequest::VERSIONS,
        ApiKey::FindCoordinator => FindCoordinatorRequest::VERSIONS,
        ApiKey::JoinGroup => JoinGroupRequest::VERSIONS,
        ApiKey::Heartbeat => HeartbeatRequest::VERSIONS,
        ApiKey::LeaveGroup => LeaveGroupRequest::VERSIONS,
        ApiKey::SyncGroup => SyncGroupRequest::VERSIONS,
        ApiKey::DescribeGroups => DescribeGroupsRequest::VERSIONS,
        ApiKey::ListGroups => ListGroupsRequest::VERSIONS,
        ApiKey::ApiVersions => ApiVersionsRequest::VERSIONS,
        ApiKey::CreateTopics => CreateTopicsRequest::VERSIONS,
        ApiKey::DeleteTopics => DeleteTopicsRequest::VERSIONS,
        ApiKey::DeleteRecords => DeleteRecordsRequest::VERSIONS,
        ApiKey::InitProducerId => InitProducerIdRequest::VERSIONS,
        ApiKey::DescribeConfigs => DescribeConfigsRequest::VERSIONS,
        ApiKey::AlterConfigs => AlterConfigsRequest::VERSIONS,
        ApiKey::CreatePartitions => CreatePartitionsRequest::VERSIONS,
        ApiKey::DeleteGroups => DeleteGroupsRequest::VERSIONS,
        ApiKey::IncrementalAlterConfigs => IncrementalAlterConfigsRequest::VERSIONS,
        ApiKey::DescribeCluster => DescribeClusterRequest::VERSIONS,
        ApiKey::OffsetDelete => OffsetDeleteRequest::VERSIONS,
        ApiKey::ElectLeaders => ElectLeadersRequest::VERSIONS,
        ApiKey::AlterPartitionReassignments => AlterPartitionReassignmentsRequest::VERSIONS,
        ApiKey::ListPartitionReassignments => ListPartitionReassignmentsRequest::VERSIONS,
        ApiKey::OffsetForLeaderEpoch => OffsetForLeaderEpochRequest::VERSIONS,
        _ => return None,
    };
    Some((range.min, range.max))
}

/// One request frame: size prefix, header, body.
pub fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &str,
) -> Result<Bytes, String> {
    let mut header = RequestHeader::default();
    header.request_api_key = R::KEY;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = Some(StrBytes::from_string(client_id.to_string()));
    let mut frame = BytesMut::with_capacity(64);
    frame.put_i32(0);
    header
        .encode(&mut frame, R::header_version(version))
        .map_err(|error| error.to_string())?;
    request
        .encode(&mut frame, version)
        .map_err(|error| error.to_string())?;
    let size = i32::try_from(frame.len().saturating_sub(4))
        .map_err(|_| format!("request of {} bytes is too large", frame.len()))?;
    if let Some(prefix) = frame.get_mut(0..4) {
        prefix.copy_from_slice(&size.to_be_bytes());
    }
    Ok(frame.freeze())
}

async fn write_loop(
    broker: String,
    write_half: OwnedWriteHalf,
    mut outgoing: mpsc::Receiver<Outgoing>,
    pending: mpsc::UnboundedSender<Pending>,
) {
    let mut writer = BufWriter::with_capacity(256 * 1024, write_half);
    while let Some(first) = outgoing.recv().await {
        let mut next = Some(first);
        // Coalesce whatever else is queued into one flush.
        while let Some(item) = next {
            if let Some(reply) = item.reply {
                if pending.send(reply).is_err() {
                    return;
                }
            }
            if let Err(error) = writer.write_all(&item.frame).await {
                tracing::debug!(%broker, %error, "write failed");
                return;
            }
            next = outgoing.try_recv().ok();
        }
        if let Err(error) = writer.flush().await {
            tracing::debug!(%broker, %error, "flush failed");
            return;
        }
    }
}

/// Reads response frames ([`FrameReader`]: one reused buffer, so a follower's fetched
/// records, dropped once appended, leave their memory to the next responses) and hands each
/// payload to the oldest request in flight.
async fn read_loop(
    broker: String,
    read_half: OwnedReadHalf,
    mut pending: mpsc::UnboundedReceiver<Pending>,
    max_response_size: usize,
) {
    let mut reader = FrameReader::new(read_half);
    let failure = loop {
        let payload = match reader.next_frame(max_response_size).await {
            Ok(Some(payload)) if payload.len() >= 4 => payload,
            Ok(Some(payload)) => {
                break ClientError::FrameSize {
                    broker: broker.clone(),
                    size: payload.len() as i64,
                    max: max_response_size,
                }
            }
            Err(FrameError::Size { size, .. }) => {
                break ClientError::FrameSize {
                    broker: broker.clone(),
                    size: i64::from(size),
                    max: max_response_size,
                }
            }
            Ok(None) => {
                break ClientError::ConnectionLost {
                    broker: broker.clone(),
                    reason: "connection closed by the broker".to_owned(),
                }
            }
            Err(FrameError::Io(error)) => {
                break ClientError::ConnectionLost {
                    broker: broker.clone(),
                    reason: error.to_string(),
                }
            }
        };
        let correlation_id = payload.clone().get_i32();
        let Some(waiting) = pending.recv().await else {
            return;
        };
        if waiting.correlation_id != correlation_id {
            let error = ClientError::CorrelationMismatch {
                broker: broker.clone(),
                expected: waiting.correlation_id,
                got: correlation_id,
            };
            let reason = error.to_string();
            let _ = waiting.reply.send(Err(error));
            break ClientError::ConnectionLost {
                broker: broker.clone(),
                reason,
            };
        }
        // The caller may have given up (timeout, dropped handle): nothing to do then.
        let _ = waiting.reply.send(Ok(payload));
    };
    let reason = failure.to_string();
    let mut first = Some(failure);
    pending.close();
    while let Some(waiting) = pending.recv().await {
        let error = first.take().unwrap_or_else(|| ClientError::ConnectionLost {
            broker: broker.clone(),
            reason: reason.clone(),
        });
        let _ = waiting.reply.send(Err(error));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use kafka_protocol::messages::MetadataRequest;
    use tokio::io::AsyncReadExt;

    #[test]
    fn request_frame_carries_size_header_and_client_id() {
        let request = MetadataRequest::default();
        let frame = encode_request(&request, 1, 42, "tool").unwrap();
        let mut bytes = frame.clone();
        let size = bytes.get_i32();
        assert_eq!(size as usize, frame.len() - 4);
        let header = RequestHeader::decode(&mut bytes, 1).unwrap();
        assert_eq!(header.request_api_key, MetadataRequest::KEY);
        assert_eq!(header.request_api_version, 1);
        assert_eq!(header.correlation_id, 42);
        assert_eq!(header.client_id.unwrap().as_str(), "tool");
    }

    #[test]
    fn produce_and_fetch_stop_before_topic_ids() {
        assert_eq!(client_max_version(ProduceRequest::KEY, 13), 12);
        assert_eq!(client_max_version(FetchRequest::KEY, 17), 12);
        assert_eq!(client_max_version(3, 12), 12);
        assert_eq!(client_max_version(OffsetCommitRequest::KEY, 10), 9);
        assert_eq!(client_max_version(OffsetFetchRequest::KEY, 10), 9);
    }

    #[tokio::test]
    async fn pipelined_responses_are_matched_in_order_and_oversize_frame_fails_all() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            // ApiVersions: answer v3 with Metadata 0..=12.
            let (correlation_id, _) = read_request(&mut socket).await;
            let mut response = ApiVersionsResponse::default();
            let mut entry = kafka_protocol::messages::api_versions_response::ApiVersion::default();
            entry.api_key = MetadataRequest::KEY;
            entry.min_version = 0;
            entry.max_version = 12;
            response.api_keys.push(entry);
            write_response(
                &mut socket,
                correlation_id,
                &response,
                ApiVersionsRequest::VERSIONS.max,
                0,
            )
            .await;
            // Two pipelined Metadata requests, answered in order after both arrived.
            let (first, _) = read_request(&mut socket).await;
            let (second, _) = read_request(&mut socket).await;
            let mut metadata = kafka_protocol::messages::MetadataResponse::default();
            metadata.cluster_id = Some(StrBytes::from_static_str("first"));
            write_response(&mut socket, first, &metadata, 12, 1).await;
            metadata.cluster_id = Some(StrBytes::from_static_str("second"));
            write_response(&mut socket, second, &metadata, 12, 1).await;
            // Then a frame larger than the cap.
            let _ = read_request(&mut socket).await;
            socket.write_all(&i32::MAX.to_be_bytes()).await.unwrap();
            socket
        });
        let options = ConnectionOptions::default();
        let connection = Connection::connect(&address, &options).await.unwrap();
        assert_eq!(connection.version(MetadataRequest::KEY), Some(12));
        assert!(!connection.supports(ApiKey::Produce));
        let request = MetadataRequest::default();
        let first = connection.send(&request).await.unwrap();
        let second = connection.send(&request).await.unwrap();
        let second = second.receive().await.unwrap();
        let first = first.receive().await.unwrap();
        assert_eq!(first.cluster_id.unwrap().as_str(), "first");
        assert_eq!(second.cluster_id.unwrap().as_str(), "second");
        let error = connection.call(&request).await.unwrap_err();
        assert!(matches!(error, ClientError::FrameSize { .. }), "{error}");
        let _socket = server.await.unwrap();
        let error = connection
            .send(&ProduceRequest::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, ClientError::UnsupportedApi { .. }),
            "{error}"
        );
    }

    async fn read_request(socket: &mut TcpStream) -> (i32, RequestHeader) {
        let mut size = [0u8; 4];
        socket.read_exact(&mut size).await.unwrap();
        let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
        socket.read_exact(&mut payload).await.unwrap();
        let mut bytes = Bytes::from(payload);
        let api_key = ApiKey::try_from(bytes.clone().get_i16()).unwrap();
        let version = bytes.clone().slice(2..4).get_i16();
        let header =
            RequestHeader::decode(&mut bytes, api_key.request_header_version(version)).unwrap();
        (header.correlation_id, header)
    }

    async fn write_response<M: Encodable>(
        socket: &mut TcpStream,
        correlation_id: i32,
        body: &M,
        version: i16,
        header_version: i16,
    ) {
        let mut header = ResponseHeader::default();
        header.correlation_id = correlation_id;
        let mut payload = BytesMut::new();
        header.encode(&mut payload, header_version).unwrap();
        body.encode(&mut payload, version).unwrap();
        socket
            .write_all(&(payload.len() as i32).to_be_bytes())
            .await
            .unwrap();
        socket.write_all(&payload).await.unwrap();
    }
}
