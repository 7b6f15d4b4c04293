//! Transactions: the only way state changes. The processor validates a request into a [`Txn`]
//! (with its zxid and time fixed), logs it, and applies it; recovery applies the same records
//! from the log, so applying is deterministic and needs no validation.
//!
//! Encoding (jute primitives, big-endian): `session_id i64, cxid i32, zxid i64, time i64, op`,
//! where `op` is a tag `i32` followed by its fields (see [`TxnOp::encode`]).

use bytes::Bytes;

use crate::ids::SessionId;
use crate::protocol::jute::{DecodeError, Reader, Writer};
use crate::protocol::records::{Acl, Id};
use crate::tree::NodeKind;

#[derive(Debug, Clone, PartialEq)]
pub struct Txn {
    pub session_id: SessionId,
    pub cxid: i32,
    pub zxid: i64,
    pub time: i64,
    pub op: TxnOp,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TxnOp {
    /// A new session with its negotiated timeout and password.
    CreateSession {
        timeout_ms: i32,
        password: Vec<u8>,
    },
    /// Ends a session: its ephemeral nodes are deleted.
    CloseSession,
    Create {
        path: String,
        data: Option<Bytes>,
        acl: Vec<Acl>,
        kind: NodeKind,
    },
    Delete {
        path: String,
    },
    SetData {
        path: String,
        data: Option<Bytes>,
    },
    SetAcl {
        path: String,
        acl: Vec<Acl>,
    },
    /// A version check inside a multi: changes nothing.
    Check {
        path: String,
    },
    /// A write that failed validation still takes a zxid, as in ZooKeeper.
    Error {
        code: i32,
    },
    Multi(Vec<TxnOp>),
}

const TAG_CREATE_SESSION: i32 = 1;
const TAG_CLOSE_SESSION: i32 = 2;
const TAG_CREATE: i32 = 3;
const TAG_DELETE: i32 = 4;
const TAG_SET_DATA: i32 = 5;
const TAG_SET_ACL: i32 = 6;
const TAG_CHECK: i32 = 7;
const TAG_ERROR: i32 = 8;
const TAG_MULTI: i32 = 9;

impl Txn {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Writer::new();
        out.write_i64(self.session_id.0);
        out.write_i32(self.cxid);
        out.write_i64(self.zxid);
        out.write_i64(self.time);
        self.op.encode(&mut out);
        out.into_inner()
    }

    pub fn decode(bytes: &[u8]) -> Result<Txn, DecodeError> {
        let mut input = Reader::new(bytes);
        let txn = Txn {
            session_id: SessionId(input.read_i64()?),
            cxid: input.read_i32()?,
            zxid: input.read_i64()?,
            time: input.read_i64()?,
            op: TxnOp::decode(&mut input, 0)?,
        };
        if !input.is_empty() {
            return Err(DecodeError::Invalid("trailing bytes after transaction"));
        }
        Ok(txn)
    }
}

/// An ACL list as snapshots and transactions store it.
pub(crate) fn write_acl(out: &mut Writer, acl: &[Acl]) {
    out.write_vec(acl, |w, entry| {
        w.write_i32(entry.perms);
        w.write_string(&entry.id.scheme);
        w.write_string(&entry.id.id);
    });
}

pub(crate) fn read_acl(input: &mut Reader<'_>) -> Result<Vec<Acl>, DecodeError> {
    input.read_vec(|r| {
        let perms = r.read_i32()?;
        let scheme = r.read_string()?;
        let id = r.read_string()?;
        Ok(Acl {
            perms,
            id: Id { scheme, id },
        })
    })
}

impl TxnOp {
    pub fn encode(&self, out: &mut Writer) {
        match self {
            TxnOp::CreateSession {
                timeout_ms,
                password,
            } => {
                out.write_i32(TAG_CREATE_SESSION);
                out.write_i32(*timeout_ms);
                out.write_buffer(Some(password));
            }
            TxnOp::CloseSession => out.write_i32(TAG_CLOSE_SESSION),
            TxnOp::Create {
                path,
                data,
                acl,
                kind,
            } => {
                out.write_i32(TAG_CREATE);
                out.write_string(path);
                out.write_buffer(data.as_deref());
                write_acl(out, acl);
                let (tag, value) = kind.to_tag();
                out.write_i32(tag);
                out.write_i64(value);
            }
            TxnOp::Delete { path } => {
                out.write_i32(TAG_DELETE);
                out.write_string(path);
            }
            TxnOp::SetData { path, data } => {
                out.write_i32(TAG_SET_DATA);
                out.write_string(path);
                out.write_buffer(data.as_deref());
            }
            TxnOp::SetAcl { path, acl } => {
                out.write_i32(TAG_SET_ACL);
                out.write_string(path);
                write_acl(out, acl);
            }
            TxnOp::Check { path } => {
                out.write_i32(TAG_CHECK);
                out.write_string(path);
            }
            TxnOp::Error { code } => {
                out.write_i32(TAG_ERROR);
                out.write_i32(*code);
            }
            TxnOp::Multi(ops) => {
                out.write_i32(TAG_MULTI);
                out.write_i32(i32::try_from(ops.len()).unwrap_or(i32::MAX));
                for op in ops {
                    op.encode(out);
                }
            }
        }
    }

    fn decode(input: &mut Reader<'_>, depth: u8) -> Result<TxnOp, DecodeError> {
        Ok(match input.read_i32()? {
            TAG_CREATE_SESSION => TxnOp::CreateSession {
                timeout_ms: input.read_i32()?,
                password: input.read_buffer()?.unwrap_or_default(),
            },
            TAG_CLOSE_SESSION => TxnOp::CloseSession,
            TAG_CREATE => {
                let path = input.read_string()?;
                let data = input.read_buffer()?.map(Bytes::from);
                let acl = read_acl(input)?;
                let tag = input.read_i32()?;
                let value = input.read_i64()?;
                let kind = NodeKind::from_tag(tag, value)
                    .ok_or(DecodeError::Invalid("transaction node kind"))?;
                TxnOp::Create {
                    path,
                    data,
                    acl,
                    kind,
                }
            }
            TAG_DELETE => TxnOp::Delete {
                path: input.read_string()?,
            },
            TAG_SET_DATA => TxnOp::SetData {
                path: input.read_string()?,
                data: input.read_buffer()?.map(Bytes::from),
            },
            TAG_SET_ACL => TxnOp::SetAcl {
                path: input.read_string()?,
                acl: read_acl(input)?,
            },
            TAG_CHECK => TxnOp::Check {
                path: input.read_string()?,
            },
            TAG_ERROR => TxnOp::Error {
                code: input.read_i32()?,
            },
            TAG_MULTI if depth == 0 => {
                let count = input.read_i32()?;
                if count < 0 || count as usize > input.remaining() {
                    return Err(DecodeError::Invalid("multi transaction count"));
                }
                let mut ops = Vec::with_capacity(count as usize);
                for _ in 0..count {
                    ops.push(TxnOp::decode(input, depth + 1)?);
                }
                TxnOp::Multi(ops)
            }
            _ => return Err(DecodeError::Invalid("transaction type")),
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_op_round_trips() {
        let acl = vec![Acl {
            perms: 31,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        }];
        let ops = vec![
            TxnOp::CreateSession {
                timeout_ms: 6000,
                password: vec![7; 16],
            },
            TxnOp::CloseSession,
            TxnOp::Create {
                path: "/a".into(),
                data: Some(Bytes::from_static(b"x")),
                acl: acl.clone(),
                kind: NodeKind::Ephemeral(SessionId(9)),
            },
            TxnOp::Create {
                path: "/t".into(),
                data: None,
                acl: acl.clone(),
                kind: NodeKind::Ttl(500),
            },
            TxnOp::Delete { path: "/a".into() },
            TxnOp::SetData {
                path: "/a".into(),
                data: None,
            },
            TxnOp::SetAcl {
                path: "/a".into(),
                acl,
            },
            TxnOp::Check { path: "/a".into() },
            TxnOp::Error { code: -101 },
            TxnOp::Multi(vec![
                TxnOp::Delete { path: "/b".into() },
                TxnOp::Check { path: "/c".into() },
            ]),
        ];
        for (index, op) in ops.into_iter().enumerate() {
            let txn = Txn {
                session_id: SessionId(5),
                cxid: 3,
                zxid: index as i64 + 1,
                time: 1234,
                op,
            };
            assert_eq!(Txn::decode(&txn.encode()).unwrap(), txn);
        }
    }

    #[test]
    fn truncated_or_garbage_input_is_an_error() {
        let txn = Txn {
            session_id: SessionId(1),
            cxid: 1,
            zxid: 1,
            time: 1,
            op: TxnOp::Delete {
                path: "/abc".into(),
            },
        };
        let bytes = txn.encode();
        for cut in 0..bytes.len() {
            assert!(Txn::decode(&bytes[..cut]).is_err());
        }
        assert!(Txn::decode(&[0xff; 40]).is_err());
    }
}
