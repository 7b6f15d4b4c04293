//! The jute wire protocol spoken by ZooKeeper clients.
//!
//! Sits between the connection (which cuts the byte stream into length-prefixed frames) and
//! the processor (which only sees typed requests and builds typed replies). Nothing here
//! does I/O or keeps state.
//!
//! - [`jute`]: big-endian primitives, [`Reader`]/[`Writer`], the [`Encode`]/[`Decode`]
//!   traits and [`DecodeError`].
//! - [`codes`]: op codes, error codes, event types, keeper states, create modes, perms, xids.
//! - [`records`]: every jute record: headers, the handshake, request and reply bodies.
//! - [`request`]: [`Request::decode`] turns `(op, body)` into a typed [`Request`], multi
//!   sub-op lists included.
//! - [`response`]: reply and notification frames, and multi / multiRead result lists.
//!
//! Flow of one request: frame body → [`RequestHeader`] → [`Request::decode`] → processor →
//! [`reply_frame`] with the same xid. Watch events go out as [`notification_frame`].

pub mod codes;
pub mod jute;
pub mod records;
pub mod request;
pub mod response;

#[cfg(test)]
mod tests;

pub use codes::{
    perms, xid, AddWatchMode, CreateMode, ErrorCode, EventType, KeeperState, OpCode, WatcherType,
};
pub use jute::{Decode, DecodeError, Encode, Reader, Writer};
pub use records::{
    Acl, AddWatchRequest, AuthPacket, CheckVersionRequest, ClientInfo, ConnectRequest,
    ConnectResponse, CountResponse, Create2Response, CreateRequest, CreateResponse,
    CreateTtlRequest, DeleteRequest, ErrorResponse, GetAclResponse, GetChildren2Response,
    GetChildrenResponse, GetDataResponse, GetEphemeralsResponse, Id, MultiHeader, PathRequest,
    PathResponse, PathWatchRequest, ReconfigRequest, ReplyHeader, RequestHeader, SaslRequest,
    SetAclRequest, SetDataRequest, SetWatches, Stat, StatResponse, WatcherEvent, WatchesRequest,
    WhoAmIResponse,
};
pub use request::{MultiOp, ReadOp, Request};
pub use response::{
    notification_frame, reply_frame, MultiReadResponse, MultiResponse, MultiResult, ReadResult,
};
