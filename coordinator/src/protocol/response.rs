//! Outgoing frames: replies, watch notifications, and the multi / multiRead result lists.
//!
//! A reply frame is `i32 length` + `ReplyHeader{xid, zxid, err}` + the body, and the body is
//! present only when `err` is 0 (clients read the body only then; an error reply is exactly
//! the 16-byte header).
//!
//! Multi result framing: per result `MultiHeader{type, done=false, err}` + its body, then the
//! end marker `{−1, true, −1}`. `err` in a per-result header is 0 for a successful result and
//! the error code for an error result (type −1, body `ErrorResponse{err}`). An atomic multi
//! that failed still has a reply header err of 0: every sub-op reports an error result
//! (0 before the failing one, its code, then RuntimeInconsistency after it); building that
//! list is the processor's job.

use super::codes::{xid, OpCode};
use super::jute::{Decode, DecodeError, Encode, Reader, Writer};
use super::records::{MultiHeader, ReplyHeader, Stat, WatcherEvent};

/// A whole frame (length prefix included): the reply header, then `body` when `err` is 0.
pub fn reply_frame(xid: i32, zxid: i64, err: i32, body: Option<&dyn Encode>) -> Vec<u8> {
    let mut w = Writer::with_frame();
    ReplyHeader { xid, zxid, err }.encode(&mut w);
    if err == 0 {
        if let Some(body) = body {
            body.encode(&mut w);
        }
    }
    w.finish_frame()
}

/// A whole watch-notification frame: header `{xid −1, zxid −1, err 0}` + the event.
pub fn notification_frame(event: &WatcherEvent) -> Vec<u8> {
    reply_frame(xid::NOTIFICATION, -1, 0, Some(event))
}

/// One result of a `multi`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MultiResult {
    /// Type 1, body `CreateResponse{path}`: a plain create (create2 sub-ops included).
    Create { path: String },
    /// Type 15, body `Create2Response{path, stat}`: createContainer and createTTL sub-ops.
    Create2 { path: String, stat: Stat },
    /// Type 5, body `SetDataResponse{stat}`.
    SetData { stat: Stat },
    /// Type 2, no body.
    Delete,
    /// Type 13, no body.
    Check,
    /// Type −1, header err = `err`, body `ErrorResponse{err}`.
    Error { err: i32 },
}

/// The body of a `multi` reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiResponse(pub Vec<MultiResult>);

/// One result of a `multiRead`; each op succeeds or fails on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadResult {
    /// Type 4, body `GetDataResponse{data, stat}`.
    GetData { data: Option<Vec<u8>>, stat: Stat },
    /// Type 8, body `GetChildrenResponse{children}`.
    GetChildren { children: Vec<String> },
    /// Type −1, header err = `err`, body `ErrorResponse{err}`.
    Error { err: i32 },
}

/// The body of a `multiRead` reply.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MultiReadResponse(pub Vec<ReadResult>);

fn result_header(op: OpCode) -> MultiHeader {
    MultiHeader {
        op: op.as_i32(),
        done: false,
        err: 0,
    }
}

fn error_result(w: &mut Writer, err: i32) {
    MultiHeader {
        op: OpCode::Error.as_i32(),
        done: false,
        err,
    }
    .encode(w);
    w.write_i32(err);
}

impl Encode for MultiResponse {
    fn encode(&self, w: &mut Writer) {
        for result in &self.0 {
            match result {
                MultiResult::Create { path } => {
                    result_header(OpCode::Create).encode(w);
                    w.write_string(path);
                }
                MultiResult::Create2 { path, stat } => {
                    result_header(OpCode::Create2).encode(w);
                    w.write_string(path);
                    stat.encode(w);
                }
                MultiResult::SetData { stat } => {
                    result_header(OpCode::SetData).encode(w);
                    stat.encode(w);
                }
                MultiResult::Delete => result_header(OpCode::Delete).encode(w),
                MultiResult::Check => result_header(OpCode::Check).encode(w),
                MultiResult::Error { err } => error_result(w, *err),
            }
        }
        MultiHeader::END.encode(w);
    }
}

/// Reads `MultiHeader` + result pairs until the `done` header, decoding each result with
/// `one` (which answers `None` for a result type not allowed in this reply).
fn decode_results<T>(
    r: &mut Reader<'_>,
    not_allowed: &'static str,
    mut one: impl FnMut(Option<OpCode>, &mut Reader<'_>) -> Option<Result<T, DecodeError>>,
) -> Result<Vec<T>, DecodeError> {
    let mut results = Vec::new();
    loop {
        let header = MultiHeader::decode(r)?;
        if header.done {
            return Ok(results);
        }
        match one(OpCode::from_i32(header.op), r) {
            Some(result) => results.push(result?),
            None => return Err(DecodeError::Invalid(not_allowed)),
        }
    }
}

/// Reads results until the `done` header, as a client does; for tests and tools.
impl Decode for MultiResponse {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        decode_results(r, "result type not allowed in multi reply", |op, r| {
            Some(match op? {
                OpCode::Create => r.read_string().map(|path| MultiResult::Create { path }),
                OpCode::Create2 => r.read_string().and_then(|path| {
                    Ok(MultiResult::Create2 {
                        path,
                        stat: Stat::decode(r)?,
                    })
                }),
                OpCode::SetData => Stat::decode(r).map(|stat| MultiResult::SetData { stat }),
                OpCode::Delete => Ok(MultiResult::Delete),
                OpCode::Check => Ok(MultiResult::Check),
                OpCode::Error => r.read_i32().map(|err| MultiResult::Error { err }),
                _ => return None,
            })
        })
        .map(Self)
    }
}

impl Encode for MultiReadResponse {
    fn encode(&self, w: &mut Writer) {
        for result in &self.0 {
            match result {
                ReadResult::GetData { data, stat } => {
                    result_header(OpCode::GetData).encode(w);
                    data.encode(w);
                    stat.encode(w);
                }
                ReadResult::GetChildren { children } => {
                    result_header(OpCode::GetChildren).encode(w);
                    children.encode(w);
                }
                ReadResult::Error { err } => error_result(w, *err),
            }
        }
        MultiHeader::END.encode(w);
    }
}

/// Reads results until the `done` header, as a client does; for tests and tools.
impl Decode for MultiReadResponse {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        decode_results(r, "result type not allowed in multiRead reply", |op, r| {
            Some(match op? {
                OpCode::GetData => r.read_buffer().and_then(|data| {
                    Ok(ReadResult::GetData {
                        data,
                        stat: Stat::decode(r)?,
                    })
                }),
                OpCode::GetChildren => {
                    Decode::decode(r).map(|children| ReadResult::GetChildren { children })
                }
                OpCode::Error => r.read_i32().map(|err| ReadResult::Error { err }),
                _ => return None,
            })
        })
        .map(Self)
    }
}
