//! The jute records of the client protocol: headers, the session handshake, every request
//! body and every reply body the coordinator sends.
//!
//! A record is its fields in declaration order with no tags (see [`super::jute`] for the
//! field encodings). Most records are declared through `jute_record!`, which writes the
//! struct and its `Encode`/`Decode` from the field list, so the declaration *is* the byte
//! layout. The handshake records and `SetWatches` have optional or versioned tails and are
//! written out by hand.

use super::jute::{Decode, DecodeError, Encode, Reader, Writer};

/// Declares a record struct whose wire form is its fields in order, each through the
/// field type's own `Encode`/`Decode`.
macro_rules! jute_record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$field_meta:meta])* pub $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        pub struct $name {
            $( $(#[$field_meta])* pub $field: $ty ),*
        }

        impl Encode for $name {
            fn encode(&self, w: &mut Writer) {
                $( Encode::encode(&self.$field, w); )*
            }
        }

        impl Decode for $name {
            fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
                // Struct-expression fields are evaluated in the order written, which is the
                // wire order.
                Ok(Self { $( $field: Decode::decode(r)? ),* })
            }
        }
    };
}

jute_record! {
    /// A znode's metadata, 68 bytes on the wire (note that `pzxid` comes last).
    #[derive(Debug, Clone, PartialEq, Eq, Default)]
    pub struct Stat {
        /// Zxid of the create.
        pub czxid: i64,
        /// Zxid of the last setData (the create's at first).
        pub mzxid: i64,
        /// Create time, ms since the epoch.
        pub ctime: i64,
        /// Last setData time, ms since the epoch.
        pub mtime: i64,
        /// Data version: 0 at create, +1 per setData.
        pub version: i32,
        /// Child version: child creates + child deletes.
        pub cversion: i32,
        /// ACL version: 0 at create, +1 per setACL.
        pub aversion: i32,
        /// The owning session for an ephemeral, else 0.
        pub ephemeral_owner: i64,
        pub data_length: i32,
        pub num_children: i32,
        /// Zxid of the last child create or delete.
        pub pzxid: i64,
    }
}

jute_record! {
    /// An identity in an ACL or an authenticated session: `world:anyone`, `digest:user:hash`,
    /// `ip:10.0.0.0/8`, ...
    #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Id {
        pub scheme: String,
        pub id: String,
    }
}

jute_record! {
    /// One ACL entry: the permission bits (see `codes::perms`) granted to `id`.
    #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub struct Acl {
        pub perms: i32,
        pub id: Id,
    }
}

impl Encode for Vec<Acl> {
    fn encode(&self, w: &mut Writer) {
        w.write_vec(self, |w, acl| acl.encode(w));
    }
}

impl Decode for Vec<Acl> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_vec(Acl::decode)
    }
}

/// The first frame of every connection. `read_only` is not part of the jute record: 3.4+
/// clients append one boolean after the password, older ones do not (45 vs 44 bytes with a
/// 16-byte password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub timeout: i32,
    /// 0 asks for a new session; otherwise the session to re-attach.
    pub session_id: i64,
    pub passwd: Vec<u8>,
    /// `None` when the client sent no readOnly byte.
    pub read_only: Option<bool>,
}

impl Encode for ConnectRequest {
    fn encode(&self, w: &mut Writer) {
        w.write_i32(self.protocol_version);
        w.write_i64(self.last_zxid_seen);
        w.write_i32(self.timeout);
        w.write_i64(self.session_id);
        w.write_buffer(Some(&self.passwd));
        w.write_trailing_bool(self.read_only);
    }
}

impl Decode for ConnectRequest {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let protocol_version = r.read_i32()?;
        let last_zxid_seen = r.read_i64()?;
        let timeout = r.read_i32()?;
        let session_id = r.read_i64()?;
        let passwd = r.read_buffer()?.unwrap_or_default();
        let read_only = r.read_trailing_bool()?;
        Ok(Self {
            protocol_version,
            last_zxid_seen,
            timeout,
            session_id,
            passwd,
            read_only,
        })
    }
}

/// The server's answer to a [`ConnectRequest`]. On a refused re-attach it carries timeout 0,
/// session id 0 and a zeroed password, which clients read as session expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    /// The negotiated session timeout, ms.
    pub timeout: i32,
    pub session_id: i64,
    pub passwd: Vec<u8>,
    /// Written only when `Some`: the reply carries the byte only if the request did.
    pub read_only: Option<bool>,
}

impl Encode for ConnectResponse {
    fn encode(&self, w: &mut Writer) {
        w.write_i32(self.protocol_version);
        w.write_i32(self.timeout);
        w.write_i64(self.session_id);
        w.write_buffer(Some(&self.passwd));
        w.write_trailing_bool(self.read_only);
    }
}

impl Decode for ConnectResponse {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let protocol_version = r.read_i32()?;
        let timeout = r.read_i32()?;
        let session_id = r.read_i64()?;
        let passwd = r.read_buffer()?.unwrap_or_default();
        let read_only = r.read_trailing_bool()?;
        Ok(Self {
            protocol_version,
            timeout,
            session_id,
            passwd,
            read_only,
        })
    }
}

jute_record! {
    /// Precedes every request after the handshake.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RequestHeader {
        /// The client's request number, or a reserved xid (see `codes::xid`).
        pub xid: i32,
        /// The op code (see `codes::OpCode`).
        pub op: i32,
    }
}

jute_record! {
    /// Precedes every reply and notification; the body follows only when `err` is 0.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ReplyHeader {
        pub xid: i32,
        /// The last zxid applied when the reply was sent (−1 in notifications).
        pub zxid: i64,
        /// An `ErrorCode` number.
        pub err: i32,
    }
}

jute_record! {
    /// Frames each sub-op of a multi / multiRead request and each result of its reply; a
    /// header with `done` set ends the list.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct MultiHeader {
        /// The sub-op's op code, or −1 (error result, or the end marker).
        pub op: i32,
        pub done: bool,
        pub err: i32,
    }
}

impl MultiHeader {
    /// Ends the sub-op list of a multi request and the result list of its reply.
    pub const END: MultiHeader = MultiHeader {
        op: -1,
        done: true,
        err: -1,
    };
}

jute_record! {
    /// The body of a watch notification (xid −1).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WatcherEvent {
        /// An `EventType` number.
        pub event_type: i32,
        /// A `KeeperState` number.
        pub state: i32,
        pub path: String,
    }
}

jute_record! {
    /// create (1), create2 (15) and createContainer (19).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CreateRequest {
        pub path: String,
        pub data: Option<Vec<u8>>,
        pub acl: Vec<Acl>,
        /// `CreateMode` flags, unchecked: an invalid value is the processor's BadArguments.
        pub flags: i32,
    }
}

jute_record! {
    /// createTTL (21).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CreateTtlRequest {
        pub path: String,
        pub data: Option<Vec<u8>>,
        pub acl: Vec<Acl>,
        pub flags: i32,
        /// Milliseconds.
        pub ttl: i64,
    }
}

jute_record! {
    /// delete (2); version −1 matches any version.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct DeleteRequest {
        pub path: String,
        pub version: i32,
    }
}

jute_record! {
    /// setData (5); version −1 matches any version.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SetDataRequest {
        pub path: String,
        pub data: Option<Vec<u8>>,
        pub version: i32,
    }
}

jute_record! {
    /// exists (3), getData (4), getChildren (8) and getChildren2 (12).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PathWatchRequest {
        pub path: String,
        /// Arm a one-shot watch.
        pub watch: bool,
    }
}

jute_record! {
    /// getACL (6), sync (9), getAllChildrenNumber (104), getEphemerals (103, a path prefix)
    /// and deleteContainer (20).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PathRequest {
        pub path: String,
    }
}

jute_record! {
    /// setACL (7); the version is checked against the node's aversion.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SetAclRequest {
        pub path: String,
        pub acl: Vec<Acl>,
        pub version: i32,
    }
}

jute_record! {
    /// check (13), mostly inside a multi.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CheckVersionRequest {
        pub path: String,
        pub version: i32,
    }
}

jute_record! {
    /// checkWatches (17) and removeWatches (18).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WatchesRequest {
        pub path: String,
        /// A `WatcherType` number.
        pub watcher_type: i32,
    }
}

jute_record! {
    /// addWatch (106).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct AddWatchRequest {
        pub path: String,
        /// An `AddWatchMode` number.
        pub mode: i32,
    }
}

jute_record! {
    /// auth (100), sent with xid −4; a null `auth` buffer reads as empty.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct AuthPacket {
        /// Always 0 from real clients.
        pub auth_type: i32,
        pub scheme: String,
        pub auth: Vec<u8>,
    }
}

/// setWatches (101) and setWatches2 (105), sent with xid −8 on reconnect.
/// Version 1 carries the first three lists only; decoding it leaves the persistent lists
/// empty. [`Encode`]/[`Decode`] use the version 2 layout.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetWatches {
    /// The last zxid the client saw.
    pub relative_zxid: i64,
    pub data_watches: Vec<String>,
    pub exist_watches: Vec<String>,
    pub child_watches: Vec<String>,
    pub persistent_watches: Vec<String>,
    pub persistent_recursive_watches: Vec<String>,
}

impl SetWatches {
    /// Decodes the setWatches (op 101) body.
    pub fn decode_v1(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            relative_zxid: r.read_i64()?,
            data_watches: Decode::decode(r)?,
            exist_watches: Decode::decode(r)?,
            child_watches: Decode::decode(r)?,
            persistent_watches: Vec::new(),
            persistent_recursive_watches: Vec::new(),
        })
    }

    /// Decodes the setWatches2 (op 105) body.
    pub fn decode_v2(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            relative_zxid: r.read_i64()?,
            data_watches: Decode::decode(r)?,
            exist_watches: Decode::decode(r)?,
            child_watches: Decode::decode(r)?,
            persistent_watches: Decode::decode(r)?,
            persistent_recursive_watches: Decode::decode(r)?,
        })
    }

    /// Encodes the setWatches (op 101) body, dropping the persistent lists.
    pub fn encode_v1(&self, w: &mut Writer) {
        w.write_i64(self.relative_zxid);
        self.data_watches.encode(w);
        self.exist_watches.encode(w);
        self.child_watches.encode(w);
    }
}

impl Encode for SetWatches {
    fn encode(&self, w: &mut Writer) {
        self.encode_v1(w);
        self.persistent_watches.encode(w);
        self.persistent_recursive_watches.encode(w);
    }
}

impl Decode for SetWatches {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Self::decode_v2(r)
    }
}

jute_record! {
    /// reconfig (16); the coordinator answers ReconfigDisabled.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ReconfigRequest {
        pub joining_servers: String,
        pub leaving_servers: String,
        pub new_members: String,
        pub cur_config_id: i64,
    }
}

jute_record! {
    /// sasl (102) request, and the SetSASLResponse reply with the server's token.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct SaslRequest {
        pub token: Vec<u8>,
    }
}

jute_record! {
    /// Reply to create (1), and a multi's create result.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CreateResponse {
        /// The created path (with its sequential suffix, if any).
        pub path: String,
    }
}

jute_record! {
    /// Reply to create2 (15), createContainer (19) and createTTL (21).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Create2Response {
        pub path: String,
        pub stat: Stat,
    }
}

jute_record! {
    /// Reply to exists (3), setData (5) and setACL (7).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct StatResponse {
        pub stat: Stat,
    }
}

jute_record! {
    /// Reply to getData (4); null data is sent as the null buffer.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetDataResponse {
        pub data: Option<Vec<u8>>,
        pub stat: Stat,
    }
}

jute_record! {
    /// Reply to getACL (6).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetAclResponse {
        pub acl: Vec<Acl>,
        pub stat: Stat,
    }
}

jute_record! {
    /// Reply to getChildren (8): child names, not paths.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetChildrenResponse {
        pub children: Vec<String>,
    }
}

jute_record! {
    /// Reply to getChildren2 (12).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetChildren2Response {
        pub children: Vec<String>,
        pub stat: Stat,
    }
}

jute_record! {
    /// Reply to sync (9): the path echoed.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct PathResponse {
        pub path: String,
    }
}

jute_record! {
    /// Reply to getAllChildrenNumber (104): every descendant, not only children.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct CountResponse {
        pub total: i32,
    }
}

jute_record! {
    /// Reply to getEphemerals (103): full paths of the calling session's ephemerals.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct GetEphemeralsResponse {
        pub ephemerals: Vec<String>,
    }
}

jute_record! {
    /// One identity of the calling connection, as whoAmI reports it.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ClientInfo {
        pub auth_scheme: String,
        pub user: String,
    }
}

impl Encode for Vec<ClientInfo> {
    fn encode(&self, w: &mut Writer) {
        w.write_vec(self, |w, info| info.encode(w));
    }
}

impl Decode for Vec<ClientInfo> {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.read_vec(ClientInfo::decode)
    }
}

jute_record! {
    /// Reply to whoAmI (107).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct WhoAmIResponse {
        pub client_info: Vec<ClientInfo>,
    }
}

jute_record! {
    /// A failed multi sub-op's result body, and the 4-byte reply body of addWatch (err 0).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ErrorResponse {
        pub err: i32,
    }
}
