//! Typed client requests: the body after a `RequestHeader`, decoded by op code.
//!
//! The connection reads a frame, decodes the [`RequestHeader`](super::RequestHeader), then
//! calls [`Request::decode`] with the header's op and the rest of the frame; the processor
//! matches on the result. An op this server does not serve gives
//! [`DecodeError::UnknownOpCode`] (ZooKeeper answers those with `Unimplemented` and keeps
//! the connection); any other error means the body was malformed.
//!
//! Multi framing (`multi` 14, `multiRead` 22): repeated `MultiHeader{type, done=false,
//! err=−1}` + the sub-request, ended by a header with `done` set (`{−1, true, −1}` from real
//! clients). A sub-op type that does not belong in that kind of multi is a decode error.
//!
//! Bytes left after a body are ignored, as ZooKeeper does.

use super::codes::OpCode;
use super::jute::{Decode, DecodeError, Encode, Reader, Writer};
use super::records::{
    AddWatchRequest, AuthPacket, CheckVersionRequest, CreateRequest, CreateTtlRequest,
    DeleteRequest, MultiHeader, PathRequest, PathWatchRequest, ReconfigRequest, SaslRequest,
    SetAclRequest, SetDataRequest, SetWatches, WatchesRequest,
};

/// A decoded client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Ping,
    CloseSession,
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    Exists(PathWatchRequest),
    GetData(PathWatchRequest),
    SetData(SetDataRequest),
    GetAcl(PathRequest),
    SetAcl(SetAclRequest),
    GetChildren(PathWatchRequest),
    GetChildren2(PathWatchRequest),
    Sync(PathRequest),
    Check(CheckVersionRequest),
    Multi(Vec<MultiOp>),
    MultiRead(Vec<ReadOp>),
    Reconfig(ReconfigRequest),
    CheckWatches(WatchesRequest),
    RemoveWatches(WatchesRequest),
    Auth(AuthPacket),
    /// setWatches (101) or setWatches2 (105): see [`Request::op`] for which one arrived.
    SetWatches(SetWatches),
    AddWatch(AddWatchRequest),
    Sasl(SaslRequest),
    GetEphemerals(PathRequest),
    GetAllChildrenNumber(PathRequest),
    WhoAmI,
    /// Internal to ZooKeeper (its container reaper); decoded as a path should a client send it.
    DeleteContainer(PathRequest),
    /// A transaction type only; any body is ignored.
    CreateSession,
}

/// One sub-op of a `multi` (14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiOp {
    /// `op` is the sub-op type as sent: Create, Create2, CreateContainer or CreateTtl.
    /// (ZooKeeper re-derives the kind from the flags: a container flag makes any of them a
    /// createContainer, TTL flags a createTTL, anything else a plain create whose result is
    /// type 1, create2 included.) `request.ttl` is 0 unless `op` is CreateTtl.
    Create {
        op: OpCode,
        request: CreateTtlRequest,
    },
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
}

/// One sub-op of a `multiRead` (22). The sub-requests carry a watch flag, which ZooKeeper
/// ignores in a multiRead; it is dropped here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOp {
    GetData { path: String },
    GetChildren { path: String },
}

impl Request {
    /// Decodes the body that follows a `RequestHeader` whose op is `op`.
    pub fn decode(op: i32, body: &[u8]) -> Result<Request, DecodeError> {
        let code = OpCode::from_i32(op).ok_or(DecodeError::UnknownOpCode(op))?;
        let r = &mut Reader::new(body);
        let request = match code {
            OpCode::Ping => Request::Ping,
            OpCode::CloseSession => Request::CloseSession,
            OpCode::CreateSession => Request::CreateSession,
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::Create => Request::Create(CreateRequest::decode(r)?),
            OpCode::Create2 => Request::Create2(CreateRequest::decode(r)?),
            OpCode::CreateContainer => Request::CreateContainer(CreateRequest::decode(r)?),
            OpCode::CreateTtl => Request::CreateTtl(CreateTtlRequest::decode(r)?),
            OpCode::Delete => Request::Delete(DeleteRequest::decode(r)?),
            OpCode::Exists => Request::Exists(PathWatchRequest::decode(r)?),
            OpCode::GetData => Request::GetData(PathWatchRequest::decode(r)?),
            OpCode::SetData => Request::SetData(SetDataRequest::decode(r)?),
            OpCode::GetAcl => Request::GetAcl(PathRequest::decode(r)?),
            OpCode::SetAcl => Request::SetAcl(SetAclRequest::decode(r)?),
            OpCode::GetChildren => Request::GetChildren(PathWatchRequest::decode(r)?),
            OpCode::GetChildren2 => Request::GetChildren2(PathWatchRequest::decode(r)?),
            OpCode::Sync => Request::Sync(PathRequest::decode(r)?),
            OpCode::Check => Request::Check(CheckVersionRequest::decode(r)?),
            OpCode::Multi => Request::Multi(decode_multi(r)?),
            OpCode::MultiRead => Request::MultiRead(decode_multi_read(r)?),
            OpCode::Reconfig => Request::Reconfig(ReconfigRequest::decode(r)?),
            OpCode::CheckWatches => Request::CheckWatches(WatchesRequest::decode(r)?),
            OpCode::RemoveWatches => Request::RemoveWatches(WatchesRequest::decode(r)?),
            OpCode::Auth => Request::Auth(AuthPacket::decode(r)?),
            OpCode::SetWatches => Request::SetWatches(SetWatches::decode_v1(r)?),
            OpCode::SetWatches2 => Request::SetWatches(SetWatches::decode_v2(r)?),
            OpCode::AddWatch => Request::AddWatch(AddWatchRequest::decode(r)?),
            OpCode::Sasl => Request::Sasl(SaslRequest::decode(r)?),
            OpCode::GetEphemerals => Request::GetEphemerals(PathRequest::decode(r)?),
            OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber(PathRequest::decode(r)?),
            OpCode::DeleteContainer => Request::DeleteContainer(PathRequest::decode(r)?),
            // Server-to-client and transaction-only codes are not requests.
            OpCode::Notification | OpCode::Error => return Err(DecodeError::UnknownOpCode(op)),
        };
        Ok(request)
    }

    /// The op code of this request. A [`Request::SetWatches`] reports setWatches2 when it
    /// carries persistent watches (only the version 2 layout can), else setWatches.
    pub fn op(&self) -> OpCode {
        match self {
            Request::Ping => OpCode::Ping,
            Request::CloseSession => OpCode::CloseSession,
            Request::Create(_) => OpCode::Create,
            Request::Create2(_) => OpCode::Create2,
            Request::CreateContainer(_) => OpCode::CreateContainer,
            Request::CreateTtl(_) => OpCode::CreateTtl,
            Request::Delete(_) => OpCode::Delete,
            Request::Exists(_) => OpCode::Exists,
            Request::GetData(_) => OpCode::GetData,
            Request::SetData(_) => OpCode::SetData,
            Request::GetAcl(_) => OpCode::GetAcl,
            Request::SetAcl(_) => OpCode::SetAcl,
            Request::GetChildren(_) => OpCode::GetChildren,
            Request::GetChildren2(_) => OpCode::GetChildren2,
            Request::Sync(_) => OpCode::Sync,
            Request::Check(_) => OpCode::Check,
            Request::Multi(_) => OpCode::Multi,
            Request::MultiRead(_) => OpCode::MultiRead,
            Request::Reconfig(_) => OpCode::Reconfig,
            Request::CheckWatches(_) => OpCode::CheckWatches,
            Request::RemoveWatches(_) => OpCode::RemoveWatches,
            Request::Auth(_) => OpCode::Auth,
            Request::SetWatches(watches) => {
                if watches.persistent_watches.is_empty()
                    && watches.persistent_recursive_watches.is_empty()
                {
                    OpCode::SetWatches
                } else {
                    OpCode::SetWatches2
                }
            }
            Request::AddWatch(_) => OpCode::AddWatch,
            Request::Sasl(_) => OpCode::Sasl,
            Request::GetEphemerals(_) => OpCode::GetEphemerals,
            Request::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            Request::WhoAmI => OpCode::WhoAmI,
            Request::DeleteContainer(_) => OpCode::DeleteContainer,
            Request::CreateSession => OpCode::CreateSession,
        }
    }

    /// Whether the request changes state, and so becomes a transaction with its own zxid
    /// (even when it fails validation).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Request::Create(_)
                | Request::Create2(_)
                | Request::CreateContainer(_)
                | Request::CreateTtl(_)
                | Request::Delete(_)
                | Request::SetData(_)
                | Request::SetAcl(_)
                | Request::Check(_)
                | Request::Multi(_)
                | Request::CloseSession
                | Request::Reconfig(_)
                | Request::DeleteContainer(_)
                | Request::CreateSession
        )
    }
}

/// Reads sub-ops until the `done` header. Every header takes 9 bytes, so a body of n bytes
/// holds at most n / 9 sub-ops and the loop ends (or truncates) within the input.
fn decode_multi(r: &mut Reader<'_>) -> Result<Vec<MultiOp>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let header = MultiHeader::decode(r)?;
        if header.done {
            return Ok(ops);
        }
        let op = match OpCode::from_i32(header.op) {
            Some(code @ (OpCode::Create | OpCode::Create2 | OpCode::CreateContainer)) => {
                let create = CreateRequest::decode(r)?;
                MultiOp::Create {
                    op: code,
                    request: CreateTtlRequest {
                        path: create.path,
                        data: create.data,
                        acl: create.acl,
                        flags: create.flags,
                        ttl: 0,
                    },
                }
            }
            Some(OpCode::CreateTtl) => MultiOp::Create {
                op: OpCode::CreateTtl,
                request: CreateTtlRequest::decode(r)?,
            },
            Some(OpCode::Delete) => MultiOp::Delete(DeleteRequest::decode(r)?),
            Some(OpCode::SetData) => MultiOp::SetData(SetDataRequest::decode(r)?),
            Some(OpCode::Check) => MultiOp::Check(CheckVersionRequest::decode(r)?),
            _ => return Err(DecodeError::Invalid("sub-op type not allowed in multi")),
        };
        ops.push(op);
    }
}

/// As [`decode_multi`], for the read-only sub-ops of a multiRead.
fn decode_multi_read(r: &mut Reader<'_>) -> Result<Vec<ReadOp>, DecodeError> {
    let mut ops = Vec::new();
    loop {
        let header = MultiHeader::decode(r)?;
        if header.done {
            return Ok(ops);
        }
        let op = match OpCode::from_i32(header.op) {
            Some(OpCode::GetData) => ReadOp::GetData {
                path: PathWatchRequest::decode(r)?.path,
            },
            Some(OpCode::GetChildren) => ReadOp::GetChildren {
                path: PathWatchRequest::decode(r)?.path,
            },
            _ => return Err(DecodeError::Invalid("sub-op type not allowed in multiRead")),
        };
        ops.push(op);
    }
}

/// The request body as a client sends it (no `RequestHeader`): used by tests and tools that
/// talk to a coordinator. A [`Request::SetWatches`] is written in the layout its
/// [`Request::op`] names.
impl Encode for Request {
    fn encode(&self, w: &mut Writer) {
        match self {
            Request::Ping | Request::CloseSession | Request::WhoAmI | Request::CreateSession => {}
            Request::Create(request)
            | Request::Create2(request)
            | Request::CreateContainer(request) => request.encode(w),
            Request::CreateTtl(request) => request.encode(w),
            Request::Delete(request) => request.encode(w),
            Request::Exists(request)
            | Request::GetData(request)
            | Request::GetChildren(request)
            | Request::GetChildren2(request) => request.encode(w),
            Request::SetData(request) => request.encode(w),
            Request::GetAcl(request)
            | Request::Sync(request)
            | Request::GetEphemerals(request)
            | Request::GetAllChildrenNumber(request)
            | Request::DeleteContainer(request) => request.encode(w),
            Request::SetAcl(request) => request.encode(w),
            Request::Check(request) => request.encode(w),
            Request::Multi(ops) => {
                for op in ops {
                    op.encode(w);
                }
                MultiHeader::END.encode(w);
            }
            Request::MultiRead(ops) => {
                for op in ops {
                    op.encode(w);
                }
                MultiHeader::END.encode(w);
            }
            Request::Reconfig(request) => request.encode(w),
            Request::CheckWatches(request) | Request::RemoveWatches(request) => request.encode(w),
            Request::Auth(request) => request.encode(w),
            Request::SetWatches(watches) => {
                if self.op() == OpCode::SetWatches {
                    watches.encode_v1(w);
                } else {
                    watches.encode(w);
                }
            }
            Request::AddWatch(request) => request.encode(w),
            Request::Sasl(request) => request.encode(w),
        }
    }
}

/// A sub-op header as clients write it: `err` is −1 in requests.
fn sub_op_header(op: OpCode) -> MultiHeader {
    MultiHeader {
        op: op.as_i32(),
        done: false,
        err: -1,
    }
}

/// A sub-op with its `MultiHeader`, as a client writes it.
impl Encode for MultiOp {
    fn encode(&self, w: &mut Writer) {
        match self {
            MultiOp::Create { op, request } => {
                sub_op_header(*op).encode(w);
                if *op == OpCode::CreateTtl {
                    request.encode(w);
                } else {
                    // The CreateRequest layout: the TTL record without its trailing ttl.
                    request.path.encode(w);
                    request.data.encode(w);
                    request.acl.encode(w);
                    request.flags.encode(w);
                }
            }
            MultiOp::Delete(request) => {
                sub_op_header(OpCode::Delete).encode(w);
                request.encode(w);
            }
            MultiOp::SetData(request) => {
                sub_op_header(OpCode::SetData).encode(w);
                request.encode(w);
            }
            MultiOp::Check(request) => {
                sub_op_header(OpCode::Check).encode(w);
                request.encode(w);
            }
        }
    }
}

/// A read sub-op with its `MultiHeader`, as a client writes it (watch flag false).
impl Encode for ReadOp {
    fn encode(&self, w: &mut Writer) {
        let (op, path) = match self {
            ReadOp::GetData { path } => (OpCode::GetData, path),
            ReadOp::GetChildren { path } => (OpCode::GetChildren, path),
        };
        sub_op_header(op).encode(w);
        w.write_string(path);
        w.write_bool(false);
    }
}
