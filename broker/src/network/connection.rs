//! One client connection: read a frame, decode its request header with the header version
//! its API and version require (flexible versions use header v2), check the version against
//! what this broker advertises, hand the body to [`handler::dispatch`], and write the
//! response frame. Requests are served one at a time, in order, and responses go out in
//! request order with the request's correlation id; answers to pipelined requests leave
//! together. An acks=all produce is answered later ([`handler::Reply::Later`]): its records
//! are appended at once, and while its replicas catch up the requests arriving behind it are
//! served (their appends in order) and each answer leaves as soon as it and those before it
//! are complete, so a pipelining producer is not held to one replication round trip per
//! request. Before a request that may be held (a long-poll fetch, a group join or sync) every
//! earlier answer is completed and written. Fetch answers carry their records from the log
//! files ([`super::spliced`]).
//!
//! Outcomes chosen as Kafka does: an ApiVersions request of a version this broker does not
//! serve is answered with an ApiVersions v0 body carrying UNSUPPORTED_VERSION and the
//! supported ranges (so the client can pick a version); any other unknown API or unsupported
//! version, an oversized or malformed frame, closes the connection.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;
use tokio::net::TcpStream;

use super::frame::FrameReader;
use super::spliced::{write_frames, Frame};
use super::NetworkError;
use crate::config::BrokerConfig;
use crate::handler::{self, api_versions, Context, Reply};

/// Serves `stream` until the peer closes it (`Ok`) or a connection-level error closes it.
pub async fn serve(context: Arc<Context>, stream: TcpStream) -> Result<(), NetworkError> {
    // Responses are small writes that must not wait for more data (Nagle).
    stream.set_nodelay(true)?;
    set_buffer_sizes(&stream, &context.options.config);
    let peer = stream.peer_addr().ok();
    let (reader, mut writer) = stream.into_split();
    let mut reader = FrameReader::new(reader);
    let max_size = context.options.socket_request_max_bytes;
    // Responses to pipelined requests are sent together: while the next request is already
    // whole in the read buffer the answer waits for it, and they leave in one write. With
    // nothing buffered, the ready answers go out, and while answers still wait for replicas
    // the connection waits for whichever comes first: the oldest answer completing (it goes
    // out, with the ready ones behind it) or the next request arriving (it is served at
    // once, so a pipelining producer's appends never wait for an earlier request's
    // replication). Before serving a request that may be held, every queued answer is
    // completed and goes out.
    let mut queue: VecDeque<Reply> = VecDeque::new();
    loop {
        if reader.buffered().is_empty() {
            serve_answers_until_request(&mut writer, &mut queue, reader.get_mut()).await?;
        } else if !next_frame_buffered(reader.buffered()) {
            flush_ready(&mut writer, &mut queue).await?;
        }
        let Some(frame) = reader.next_frame(max_size).await? else {
            break;
        };
        if may_hold(&frame) {
            flush(&mut writer, &mut queue).await?;
        }
        match handle_request(&context, frame, peer).await? {
            Some(Reply::Now(response)) => {
                // Large answers (fetched records) go out at once rather than being copied
                // together with others.
                let large = response.len() > COALESCE_LIMIT;
                queue.push_back(Reply::Now(response));
                if large {
                    flush(&mut writer, &mut queue).await?;
                }
            }
            Some(later) => queue.push_back(later),
            None => {}
        }
    }
    flush(&mut writer, &mut queue).await?;
    Ok(())
}

/// Writes the ready answers at the head of the queue, then, while the oldest answer still
/// waits for replicas, waits for it or for the next request to arrive, whichever is first.
/// Returns once the queue is empty (the caller then waits for a request) or a request has
/// begun to arrive.
async fn serve_answers_until_request(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    queue: &mut VecDeque<Reply>,
    reader: &mut tokio::net::tcp::OwnedReadHalf,
) -> Result<(), NetworkError> {
    loop {
        flush_ready(writer, queue).await?;
        let Some(Reply::Later(waiting)) = queue.front_mut() else {
            return Ok(());
        };
        tokio::select! {
            biased;
            answer = waiting => {
                let answer = answer?;
                if let Some(front) = queue.front_mut() {
                    *front = Reply::Now(Frame::Whole(answer));
                }
            }
            () = request_arriving(reader) => return Ok(()),
        }
    }
}

/// Completes once the peer has sent bytes not read yet, or closed the connection, or the
/// socket failed (the read that follows then finds out which). A peek: nothing is consumed.
async fn request_arriving(reader: &mut tokio::net::tcp::OwnedReadHalf) {
    let mut byte = [0u8; 1];
    std::future::poll_fn(|cx| {
        let mut buffer = tokio::io::ReadBuf::new(&mut byte);
        reader.poll_peek(cx, &mut buffer).map(|_| ())
    })
    .await;
}

/// Writes the answers at the head of the queue that are ready, up to the first that waits.
async fn flush_ready(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    queue: &mut VecDeque<Reply>,
) -> Result<(), NetworkError> {
    let mut ready: Vec<Frame> = Vec::new();
    while let Some(Reply::Now(_)) = queue.front() {
        if let Some(Reply::Now(response)) = queue.pop_front() {
            ready.push(response);
        }
    }
    write_frames(writer, ready).await
}

/// Completes the queued answers in order and writes them, joining the ready ones.
async fn flush(
    writer: &mut tokio::net::tcp::OwnedWriteHalf,
    queue: &mut VecDeque<Reply>,
) -> Result<(), NetworkError> {
    let mut ready: Vec<Frame> = Vec::new();
    while let Some(reply) = queue.pop_front() {
        match reply {
            Reply::Now(response) => ready.push(response),
            Reply::Later(waiting) => {
                // What is ready goes out before the wait.
                write_frames(writer, std::mem::take(&mut ready)).await?;
                ready.push(Frame::Whole(waiting.await?));
            }
        }
    }
    write_frames(writer, ready).await
}

/// Responses up to this size may wait to leave with the next ones.
const COALESCE_LIMIT: usize = 64 * 1024;

/// Whether `buffered` starts with a whole request frame.
fn next_frame_buffered(buffered: &[u8]) -> bool {
    match buffered.get(..4) {
        Some(&[a, b, c, d]) => usize::try_from(i32::from_be_bytes([a, b, c, d]))
            .is_ok_and(|size| buffered.len() >= 4 + size),
        _ => false,
    }
}

/// Whether the request in `frame` may be held by its handler (long-poll fetch, group join
/// and sync), so earlier answers must not wait behind it.
fn may_hold(frame: &Bytes) -> bool {
    let key = match frame.get(..2) {
        Some(&[k0, k1]) => i16::from_be_bytes([k0, k1]),
        _ => return true,
    };
    [ApiKey::Fetch, ApiKey::JoinGroup, ApiKey::SyncGroup]
        .iter()
        .any(|api| *api as i16 == key)
}

/// `socket.send.buffer.bytes` / `socket.receive.buffer.bytes` on an accepted connection
/// (-1 keeps the OS's own sizing). A size the OS refuses is logged, not fatal.
fn set_buffer_sizes(stream: &TcpStream, config: &BrokerConfig) {
    let socket = socket2::SockRef::from(stream);
    if let Ok(size) = usize::try_from(config.socket_send_buffer_bytes) {
        if let Err(error) = socket.set_send_buffer_size(size) {
            tracing::warn!(%error, size, "cannot set socket.send.buffer.bytes");
        }
    }
    if let Ok(size) = usize::try_from(config.socket_receive_buffer_bytes) {
        if let Err(error) = socket.set_recv_buffer_size(size) {
            tracing::warn!(%error, size, "cannot set socket.receive.buffer.bytes");
        }
    }
}

/// Decodes the header of one request and dispatches it; `Ok(None)` for requests that get no
/// response (produce with acks=0).
async fn handle_request(
    context: &Context,
    mut frame: Bytes,
    peer: Option<std::net::SocketAddr>,
) -> Result<Option<Reply>, NetworkError> {
    let (raw_key, api_version) = match (frame.get(0..2), frame.get(2..4)) {
        (Some(&[k0, k1]), Some(&[v0, v1])) => {
            (i16::from_be_bytes([k0, k1]), i16::from_be_bytes([v0, v1]))
        }
        _ => return Err(NetworkError::ShortRequest { len: frame.len() }),
    };
    let api_key =
        ApiKey::try_from(raw_key).map_err(|_| NetworkError::UnknownApiKey { api_key: raw_key })?;
    let header_version = api_key.request_header_version(api_version);
    let header = RequestHeader::decode(&mut frame, header_version).map_err(|error| {
        NetworkError::Decode {
            what: "request header",
            api_key: raw_key,
            api_version,
            reason: error.to_string(),
        }
    })?;
    let supported = handler::supported_versions(api_key)
        .is_some_and(|range| range.min <= api_version && api_version <= range.max);
    if !supported {
        if api_key == ApiKey::ApiVersions {
            return api_versions::unsupported_version_response(header.correlation_id)
                .map(|frame| Some(Reply::Now(Frame::Whole(frame))));
        }
        return Err(NetworkError::UnsupportedApi {
            api_key: raw_key,
            api_version,
        });
    }
    handler::dispatch(context, &header, api_key, frame, peer).await
}
