//! ApiVersions: the APIs this broker serves and their version ranges
//! ([`super::supported_versions`]), nothing else — clients pick versions from this list.
//!
//! A request of a version this broker does not serve gets the v0 body (the one every client
//! can read) with UNSUPPORTED_VERSION and the same list, so the client can retry with a
//! version it shares with us.

use bytes::Bytes;
use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsResponse};
use kafka_protocol::ResponseError;

use super::{encode_response, supported_versions, SERVED_APIS};
use crate::network::NetworkError;

fn api_keys() -> Vec<ApiVersion> {
    let mut api_keys = Vec::with_capacity(SERVED_APIS.len());
    for api_key in SERVED_APIS {
        if let Some(range) = supported_versions(api_key) {
            let mut entry = ApiVersion::default();
            entry.api_key = api_key as i16;
            entry.min_version = range.min;
            entry.max_version = range.max;
            api_keys.push(entry);
        }
    }
    api_keys
}

/// The answer to a supported ApiVersions request.
pub fn handle() -> ApiVersionsResponse {
    let mut response = ApiVersionsResponse::default();
    response.api_keys = api_keys();
    response
}

/// The whole response frame for an ApiVersions request of an unsupported version.
pub fn unsupported_version_response(correlation_id: i32) -> Result<Bytes, NetworkError> {
    let mut response = ApiVersionsResponse::default();
    response.error_code = ResponseError::UnsupportedVersion.code();
    response.api_keys = api_keys();
    encode_response(ApiKey::ApiVersions, 0, correlation_id, &response)
}
