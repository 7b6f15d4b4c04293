//! What the protocol-level broker tests share: [`RawClient`], a bare Kafka connection built
//! on the `kafka-protocol` crate (encode a request with its header, frame it, read the
//! response frame, decode and check its correlation id), with raw access to the socket for
//! the malformed frames a real client would never send; [`coordinator_binary`] and
//! [`Guard`] for an in-process broker on a real coordinator; [`name`] for topic names.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{RequestHeader, ResponseHeader, TopicName};
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, Request, StrBytes};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One connection to a broker; requests are numbered from correlation id 1.
pub struct RawClient {
    pub stream: TcpStream,
    next_correlation: i32,
}

impl RawClient {
    pub async fn connect(address: SocketAddr) -> RawClient {
        RawClient {
            stream: TcpStream::connect(address).await.unwrap(),
            next_correlation: 1,
        }
    }

    /// Sends `request` at `version` without waiting; returns its correlation id.
    pub async fn send<R: Request>(&mut self, request: &R, version: i16) -> i32 {
        let correlation_id = self.next_correlation;
        self.next_correlation += 1;
        let payload = encode_request(request, version, correlation_id, "broker-test");
        self.write_frame(&payload).await;
        correlation_id
    }

    /// Reads the response to the request sent with `correlation_id`.
    pub async fn receive<R: Request>(&mut self, version: i16, correlation_id: i32) -> R::Response {
        let payload = self
            .read_frame()
            .await
            .expect("the broker closed the connection");
        decode_response::<R>(payload, version, correlation_id)
    }

    pub async fn call<R: Request>(&mut self, request: &R, version: i16) -> R::Response {
        let correlation_id = self.send(request, version).await;
        self.receive::<R>(version, correlation_id).await
    }

    /// Writes `payload` behind its 4-byte size.
    pub async fn write_frame(&mut self, payload: &[u8]) {
        let mut frame = BytesMut::new();
        frame.put_i32(payload.len() as i32);
        frame.put_slice(payload);
        self.stream.write_all(&frame).await.unwrap();
    }

    /// A response frame, or `None` when the broker closed the connection.
    pub async fn read_frame(&mut self) -> Option<Bytes> {
        let mut size = [0u8; 4];
        if self.stream.read_exact(&mut size).await.is_err() {
            return None;
        }
        let mut payload = vec![0u8; i32::from_be_bytes(size) as usize];
        self.stream.read_exact(&mut payload).await.ok()?;
        Some(Bytes::from(payload))
    }

    /// True when the broker closed the connection (EOF or reset) within ten seconds.
    pub async fn closed_by_broker(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

/// The coordinator binary, beside the broker binary in the same target dir.
pub fn coordinator_binary() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_broker")).with_file_name("coordinator");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p coordinator` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

/// What an in-process test broker needs kept alive: its log dir and its coordinator.
pub struct Guard {
    pub _dir: tempfile::TempDir,
    pub _coordinator: testkit::CoordinatorProcess,
}

/// A topic name for a request.
pub fn name(topic: &str) -> TopicName {
    TopicName(StrBytes::from_string(topic.to_owned()))
}

/// A request's header (with `client_id`) and body at `version`, without the size prefix.
pub fn encode_request<R: Request>(
    request: &R,
    version: i16,
    correlation_id: i32,
    client_id: &'static str,
) -> BytesMut {
    let mut header = RequestHeader::default();
    header.request_api_key = R::KEY;
    header.request_api_version = version;
    header.correlation_id = correlation_id;
    header.client_id = Some(StrBytes::from_static_str(client_id));
    let mut payload = BytesMut::new();
    header
        .encode(&mut payload, R::header_version(version))
        .unwrap();
    request.encode(&mut payload, version).unwrap();
    payload
}

/// Decodes a response frame's payload: its header must carry `correlation_id` and the body
/// must use every byte.
pub fn decode_response<R: Request>(
    mut payload: Bytes,
    version: i16,
    correlation_id: i32,
) -> R::Response {
    let header_version = <R::Response as HeaderVersion>::header_version(version);
    let header = ResponseHeader::decode(&mut payload, header_version).unwrap();
    assert_eq!(header.correlation_id, correlation_id);
    let response = R::Response::decode(&mut payload, version).unwrap();
    assert!(!payload.has_remaining(), "trailing bytes in the response");
    response
}
