//! [`NetworkError`]: why a connection was closed. Each variant is logged at debug level by
//! the connection task and never reaches another connection.

use std::io;

/// A connection-level failure: the connection it happened on is closed.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("socket I/O: {0}")]
    Io(#[from] io::Error),
    /// The size prefix is negative or above `socket.request.max.bytes`.
    #[error("frame size {size} outside 0..={max}")]
    FrameSize { size: i32, max: i32 },
    /// A request too short to hold the api key and version.
    #[error("request of {len} bytes has no header")]
    ShortRequest { len: usize },
    /// An api key this broker does not know at all.
    #[error("unknown api key {api_key}")]
    UnknownApiKey { api_key: i16 },
    /// A known api this broker does not serve, or a version outside what it advertises.
    #[error("unsupported api {api_key} version {api_version}")]
    UnsupportedApi { api_key: i16, api_version: i16 },
    /// The header or body does not decode for the version it claims.
    #[error("cannot decode {what} (api {api_key} v{api_version}): {reason}")]
    Decode {
        what: &'static str,
        api_key: i16,
        api_version: i16,
        reason: String,
    },
    /// A response this broker built does not encode for the requested version.
    #[error("cannot encode response (api {api_key} v{api_version}): {reason}")]
    Encode {
        api_key: i16,
        api_version: i16,
        reason: String,
    },
    /// A response frame that would not fit the 4-byte size prefix.
    #[error("response of {len} bytes is too large to frame")]
    ResponseTooLarge { len: usize },
    /// A produce with acks=0 had a failed partition: Kafka closes the connection so the
    /// producer, which gets no response, notices and refreshes its metadata.
    #[error("acks=0 produce failed for at least one partition")]
    AcksZeroProduceFailed,
}
