//! One client connection: read a frame, decode its request header with the header version
//! its API and version require (flexible versions use header v2), check the version against
//! what this broker advertises, hand the body to [`handler::dispatch`], and write the
//! response frame. Requests are served one at a time, so responses go out in request order
//! with the request's correlation id.
//!
//! Outcomes chosen as Kafka does: an ApiVersions request of a version this broker does not
//! serve is answered with an ApiVersions v0 body carrying UNSUPPORTED_VERSION and the
//! supported ranges (so the client can pick a version); any other unknown API or unsupported
//! version, an oversized or malformed frame, closes the connection.

use std::sync::Arc;

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::Decodable;
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::frame::read_frame;
use super::NetworkError;
use crate::handler::{self, api_versions, Context};

/// Serves `stream` until the peer closes it (`Ok`) or a connection-level error closes it.
pub async fn serve(context: Arc<Context>, stream: TcpStream) -> Result<(), NetworkError> {
    // Responses are small writes that must not wait for more data (Nagle).
    stream.set_nodelay(true)?;
    let peer = stream.peer_addr().ok();
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let max_size = context.options.socket_request_max_bytes;
    while let Some(frame) = read_frame(&mut reader, max_size).await? {
        if let Some(response) = handle_request(&context, frame, peer).await? {
            writer.write_all(&response).await?;
        }
    }
    Ok(())
}

/// Decodes the header of one request and dispatches it; `Ok(None)` for requests that get no
/// response (produce with acks=0).
async fn handle_request(
    context: &Context,
    mut frame: Bytes,
    peer: Option<std::net::SocketAddr>,
) -> Result<Option<Bytes>, NetworkError> {
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
            return api_versions::unsupported_version_response(header.correlation_id).map(Some);
        }
        return Err(NetworkError::UnsupportedApi {
            api_key: raw_key,
            api_version,
        });
    }
    handler::dispatch(context, &header, api_key, frame, peer).await
}
