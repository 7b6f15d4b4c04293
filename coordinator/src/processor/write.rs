//! Write requests: validation in ZooKeeper's order and with its error precedence, then the
//! change applied to the tree, producing the transaction to log and the reply to send.
//!
//! Validation and application happen together here (the processor is the only writer, so the
//! tree it validates against is exactly the state the write applies to). A multi applies its
//! sub-operations one by one, so each sees the earlier ones, and undoes them all if one fails.

use bytes::Bytes;

use crate::ids::SessionId;
use crate::protocol::codes::{perms, CreateMode, ErrorCode, OpCode};
use crate::protocol::records::{Acl, Stat};
use crate::protocol::request::MultiOp;
use crate::protocol::response::MultiResult;
use crate::tree::acl::{self, AuthIds};
use crate::tree::{path, Change, DataTree, NodeKind, Undo};
use crate::txn::TxnOp;

/// The largest TTL ZooKeeper accepts (40 bits of milliseconds).
const MAX_TTL: i64 = 0xff_ffff_ffff;

/// Who writes, and when.
pub struct WriteContext<'a> {
    pub zxid: i64,
    pub time: i64,
    pub session: SessionId,
    pub auth: &'a AuthIds,
    pub extended_types: bool,
}

/// One write request, as the processor hands it over.
pub enum Write<'a> {
    Create {
        op: OpCode,
        path: &'a str,
        data: Option<&'a [u8]>,
        acl: &'a [Acl],
        flags: i32,
        ttl: i64,
    },
    Delete {
        path: &'a str,
        version: i32,
    },
    SetData {
        path: &'a str,
        data: Option<&'a [u8]>,
        version: i32,
    },
    SetAcl {
        path: &'a str,
        acl: &'a [Acl],
        version: i32,
    },
    Check {
        path: &'a str,
        version: i32,
    },
    Multi(&'a [MultiOp]),
    /// A write this server refuses outright; it still takes a zxid.
    Refused(ErrorCode),
}

/// What a successful write answers.
#[derive(Debug)]
pub enum WriteReply {
    Created { path: String },
    Created2 { path: String, stat: Stat },
    Stat(Stat),
    Empty,
    Multi(Vec<MultiResult>),
}

/// The outcome: the transaction to log (an error transaction when validation failed), the reply
/// or error code, and the watch events to fire.
pub struct Executed {
    pub op: TxnOp,
    pub reply: Result<WriteReply, ErrorCode>,
    pub changes: Vec<Change>,
}

pub fn execute(tree: &mut DataTree, ctx: &WriteContext<'_>, write: Write<'_>) -> Executed {
    if let Write::Multi(ops) = write {
        return execute_multi(tree, ctx, ops);
    }
    let mut undo = Vec::new();
    let mut changes = Vec::new();
    match execute_one(tree, ctx, write, &mut undo, &mut changes) {
        Ok((op, reply)) => Executed {
            op,
            reply: Ok(reply),
            changes,
        },
        Err(code) => Executed {
            op: TxnOp::Error { code: code as i32 },
            reply: Err(code),
            changes: Vec::new(),
        },
    }
}

fn execute_multi(tree: &mut DataTree, ctx: &WriteContext<'_>, ops: &[MultiOp]) -> Executed {
    let mut undo = Vec::new();
    let mut changes = Vec::new();
    let mut txns = Vec::with_capacity(ops.len());
    let mut results = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let write = match op {
            MultiOp::Create { op, request } => Write::Create {
                op: *op,
                path: &request.path,
                data: request.data.as_deref(),
                acl: &request.acl,
                flags: request.flags,
                ttl: request.ttl,
            },
            MultiOp::Delete(request) => Write::Delete {
                path: &request.path,
                version: request.version,
            },
            MultiOp::SetData(request) => Write::SetData {
                path: &request.path,
                data: request.data.as_deref(),
                version: request.version,
            },
            MultiOp::Check(request) => Write::Check {
                path: &request.path,
                version: request.version,
            },
        };
        match execute_one(tree, ctx, write, &mut undo, &mut changes) {
            Ok((txn, reply)) => {
                txns.push(txn);
                results.push(match reply {
                    WriteReply::Created { path } => MultiResult::Create { path },
                    // create2 sub-ops answer like create; containers and TTL nodes carry a Stat.
                    WriteReply::Created2 { path, stat } => match op {
                        MultiOp::Create { request, .. } if matches!(request.flags, 4..=6) => {
                            MultiResult::Create2 { path, stat }
                        }
                        _ => MultiResult::Create { path },
                    },
                    WriteReply::Stat(stat) => match op {
                        MultiOp::Check(_) => MultiResult::Check,
                        _ => MultiResult::SetData { stat },
                    },
                    WriteReply::Empty => match op {
                        MultiOp::Check(_) => MultiResult::Check,
                        _ => MultiResult::Delete,
                    },
                    WriteReply::Multi(_) => MultiResult::Error {
                        err: ErrorCode::RuntimeInconsistency as i32,
                    },
                });
            }
            Err(code) => {
                while let Some(step) = undo.pop() {
                    tree.undo(step);
                }
                // ZooKeeper's layout: Ok for the ops before, the code for the failing one,
                // RuntimeInconsistency for the ones after.
                let mut results = Vec::with_capacity(ops.len());
                for position in 0..ops.len() {
                    let err = match position.cmp(&index) {
                        std::cmp::Ordering::Less => ErrorCode::Ok as i32,
                        std::cmp::Ordering::Equal => code as i32,
                        std::cmp::Ordering::Greater => ErrorCode::RuntimeInconsistency as i32,
                    };
                    results.push(MultiResult::Error { err });
                }
                return Executed {
                    op: TxnOp::Error { code: code as i32 },
                    reply: Ok(WriteReply::Multi(results)),
                    changes: Vec::new(),
                };
            }
        }
    }
    Executed {
        op: TxnOp::Multi(txns),
        reply: Ok(WriteReply::Multi(results)),
        changes,
    }
}

fn check_version(expected: i32, actual: i32) -> Result<(), ErrorCode> {
    if expected == -1 || expected == actual {
        Ok(())
    } else {
        Err(ErrorCode::BadVersion)
    }
}

/// `/`, `/zookeeper`, `/zookeeper/quota` and `/zookeeper/config` cannot be deleted.
fn is_special(path: &str) -> bool {
    matches!(
        path,
        "/" | "/zookeeper" | "/zookeeper/quota" | "/zookeeper/config"
    )
}

fn execute_one(
    tree: &mut DataTree,
    ctx: &WriteContext<'_>,
    write: Write<'_>,
    undo: &mut Vec<Undo>,
    changes: &mut Vec<Change>,
) -> Result<(TxnOp, WriteReply), ErrorCode> {
    match write {
        Write::Create {
            op,
            path,
            data,
            acl,
            flags,
            ttl,
        } => create(
            tree,
            ctx,
            CreateArgs {
                op,
                path,
                data,
                acl,
                flags,
                ttl,
            },
            undo,
            changes,
        ),
        Write::Delete { path, version } => {
            let (parent_path, _) = path::split(path).ok_or(ErrorCode::BadArguments)?;
            if path.contains('\0') || is_special(path) {
                return Err(ErrorCode::BadArguments);
            }
            let parent = tree.node(parent_path).ok_or(ErrorCode::NoNode)?;
            acl::check(&parent.acl, ctx.auth, perms::DELETE)?;
            let node = tree.node(path).ok_or(ErrorCode::NoNode)?;
            check_version(version, node.version)?;
            if !node.children.is_empty() {
                return Err(ErrorCode::NotEmpty);
            }
            let (step, events) = tree.delete(path, ctx.zxid)?;
            undo.push(step);
            changes.extend(events);
            Ok((
                TxnOp::Delete {
                    path: path.to_owned(),
                },
                WriteReply::Empty,
            ))
        }
        Write::SetData {
            path,
            data,
            version,
        } => {
            path::validate(path, false)?;
            let node = tree.node(path).ok_or(ErrorCode::NoNode)?;
            acl::check(&node.acl, ctx.auth, perms::WRITE)?;
            check_version(version, node.version)?;
            let data = data.map(Bytes::copy_from_slice);
            let (step, event) = tree.set_data(path, data.clone(), ctx.zxid, ctx.time)?;
            undo.push(step);
            changes.push(event);
            let stat = tree.node(path).map(|node| node.stat()).unwrap_or_default();
            Ok((
                TxnOp::SetData {
                    path: path.to_owned(),
                    data,
                },
                WriteReply::Stat(stat),
            ))
        }
        Write::SetAcl {
            path,
            acl: requested,
            version,
        } => {
            path::validate(path, false)?;
            let fixed = acl::fixup(requested, ctx.auth)?;
            let node = tree.node(path).ok_or(ErrorCode::NoNode)?;
            acl::check(&node.acl, ctx.auth, perms::ADMIN)?;
            check_version(version, node.aversion)?;
            undo.push(tree.set_acl(path, fixed.clone())?);
            let stat = tree.node(path).map(|node| node.stat()).unwrap_or_default();
            Ok((
                TxnOp::SetAcl {
                    path: path.to_owned(),
                    acl: fixed,
                },
                WriteReply::Stat(stat),
            ))
        }
        Write::Check { path, version } => {
            path::validate(path, false)?;
            let node = tree.node(path).ok_or(ErrorCode::NoNode)?;
            acl::check(&node.acl, ctx.auth, perms::READ)?;
            check_version(version, node.version)?;
            Ok((
                TxnOp::Check {
                    path: path.to_owned(),
                },
                WriteReply::Stat(node.stat()),
            ))
        }
        Write::Multi(_) => Err(ErrorCode::BadArguments),
        Write::Refused(code) => Err(code),
    }
}

struct CreateArgs<'a> {
    op: OpCode,
    path: &'a str,
    data: Option<&'a [u8]>,
    acl: &'a [Acl],
    flags: i32,
    ttl: i64,
}

fn create(
    tree: &mut DataTree,
    ctx: &WriteContext<'_>,
    request: CreateArgs<'_>,
    undo: &mut Vec<Undo>,
    changes: &mut Vec<Change>,
) -> Result<(TxnOp, WriteReply), ErrorCode> {
    let op = request.op;
    let mode = CreateMode::from_flags(request.flags).ok_or(ErrorCode::BadArguments)?;
    if mode.is_ttl() && !ctx.extended_types {
        return Err(ErrorCode::Unimplemented);
    }
    if op == OpCode::CreateTtl && !mode.is_ttl() {
        return Err(ErrorCode::BadArguments);
    }
    if mode.is_ttl() && (request.ttl <= 0 || request.ttl > MAX_TTL) {
        return Err(ErrorCode::BadArguments);
    }
    let requested = request.path;
    let Some(slash) = requested.rfind('/') else {
        return Err(ErrorCode::BadArguments);
    };
    if requested.contains('\0') {
        return Err(ErrorCode::BadArguments);
    }
    let parent_path = if slash == 0 {
        "/"
    } else {
        requested.get(..slash).ok_or(ErrorCode::BadArguments)?
    };
    let fixed_acl = acl::fixup(request.acl, ctx.auth)?;
    let parent = tree.node(parent_path).ok_or(ErrorCode::NoNode)?;
    acl::check(&parent.acl, ctx.auth, perms::CREATE)?;
    let path = if mode.is_sequential() {
        format!("{requested}{:010}", parent.child_creates)
    } else {
        requested.to_owned()
    };
    path::validate(&path, mode.is_sequential())?;
    if tree.node(&path).is_some() {
        return Err(ErrorCode::NodeExists);
    }
    if parent.ephemeral_owner().is_some() {
        return Err(ErrorCode::NoChildrenForEphemerals);
    }
    let kind = if mode.is_ephemeral() {
        NodeKind::Ephemeral(ctx.session)
    } else if mode.is_container() {
        NodeKind::Container
    } else if mode.is_ttl() {
        NodeKind::Ttl(request.ttl)
    } else {
        NodeKind::Persistent
    };
    let data = request.data.map(Bytes::copy_from_slice);
    let (step, events) = tree.create(
        &path,
        data.clone(),
        fixed_acl.clone(),
        kind,
        ctx.zxid,
        ctx.time,
    )?;
    undo.push(step);
    changes.extend(events);
    let reply = match op {
        OpCode::Create => WriteReply::Created { path: path.clone() },
        _ => WriteReply::Created2 {
            path: path.clone(),
            stat: tree.node(&path).map(|node| node.stat()).unwrap_or_default(),
        },
    };
    Ok((
        TxnOp::Create {
            path,
            data,
            acl: fixed_acl,
            kind,
        },
        reply,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::protocol::records::{CheckVersionRequest, DeleteRequest, Id, SetDataRequest};
    use std::net::{IpAddr, Ipv4Addr};

    fn world() -> Vec<Acl> {
        acl::open_acl()
    }

    struct Fixture {
        tree: DataTree,
        auth: AuthIds,
        zxid: i64,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                tree: DataTree::new(),
                auth: AuthIds::for_peer(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                zxid: 0,
            }
        }

        fn run(&mut self, write: Write<'_>) -> Executed {
            self.zxid += 1;
            let ctx = WriteContext {
                zxid: self.zxid,
                time: 1000 + self.zxid,
                session: SessionId(77),
                auth: &self.auth,
                extended_types: false,
            };
            execute(&mut self.tree, &ctx, write)
        }

        fn create(&mut self, path: &str, flags: i32) -> Result<WriteReply, ErrorCode> {
            let acl = world();
            self.run(Write::Create {
                op: OpCode::Create2,
                path,
                data: None,
                acl: &acl,
                flags,
                ttl: 0,
            })
            .reply
        }
    }

    #[test]
    fn sequential_names_use_the_parent_create_counter() {
        let mut f = Fixture::new();
        f.create("/n", 0).unwrap();
        let Ok(WriteReply::Created2 { path, .. }) = f.create("/n/s-", 2) else {
            panic!()
        };
        assert_eq!(path, "/n/s-0000000000");
        f.create("/n/plain", 0).unwrap();
        f.run(Write::Delete {
            path: "/n/plain",
            version: -1,
        });
        let Ok(WriteReply::Created2 { path, .. }) = f.create("/n/s-", 2) else {
            panic!()
        };
        assert_eq!(path, "/n/s-0000000002");
        assert_eq!(f.tree.node("/n").unwrap().stat().cversion, 4);
        let Ok(WriteReply::Created2 { path, .. }) = f.create("/n/", 2) else {
            panic!()
        };
        assert_eq!(path, "/n/0000000003");
    }

    #[test]
    fn create_errors_in_zookeeper_precedence() {
        let mut f = Fixture::new();
        assert_eq!(f.create("/a", 99).unwrap_err(), ErrorCode::BadArguments);
        assert_eq!(f.create("/a", 5).unwrap_err(), ErrorCode::Unimplemented);
        assert_eq!(f.create("noslash", 0).unwrap_err(), ErrorCode::BadArguments);
        // The parent check comes before the full-path check.
        assert_eq!(f.create("/missing/x/", 0).unwrap_err(), ErrorCode::NoNode);
        assert_eq!(
            f.create("/zookeeper/", 0).unwrap_err(),
            ErrorCode::BadArguments
        );
        f.create("/a", 0).unwrap();
        assert_eq!(f.create("/a", 0).unwrap_err(), ErrorCode::NodeExists);
        f.create("/e", 1).unwrap();
        assert_eq!(
            f.create("/e/child", 0).unwrap_err(),
            ErrorCode::NoChildrenForEphemerals
        );
        let executed = f.run(Write::Create {
            op: OpCode::Create,
            path: "/b",
            data: None,
            acl: &[],
            flags: 0,
            ttl: 0,
        });
        assert_eq!(executed.reply.unwrap_err(), ErrorCode::InvalidAcl);
        assert_eq!(
            executed.op,
            TxnOp::Error {
                code: ErrorCode::InvalidAcl as i32
            }
        );
    }

    #[test]
    fn delete_and_set_data_check_versions_and_children() {
        let mut f = Fixture::new();
        f.create("/a", 0).unwrap();
        f.create("/a/b", 0).unwrap();
        assert_eq!(
            f.run(Write::Delete {
                path: "/a",
                version: -1
            })
            .reply
            .unwrap_err(),
            ErrorCode::NotEmpty
        );
        assert_eq!(
            f.run(Write::Delete {
                path: "/a/b",
                version: 3
            })
            .reply
            .unwrap_err(),
            ErrorCode::BadVersion
        );
        assert_eq!(
            f.run(Write::Delete {
                path: "/zookeeper",
                version: -1
            })
            .reply
            .unwrap_err(),
            ErrorCode::BadArguments
        );
        assert_eq!(
            f.run(Write::Delete {
                path: "/nope",
                version: -1
            })
            .reply
            .unwrap_err(),
            ErrorCode::NoNode
        );
        let Ok(WriteReply::Stat(stat)) = f
            .run(Write::SetData {
                path: "/a/b",
                data: Some(b"x"),
                version: 0,
            })
            .reply
        else {
            panic!()
        };
        assert_eq!(stat.version, 1);
        assert_eq!(
            f.run(Write::SetData {
                path: "/a/b",
                data: None,
                version: 0
            })
            .reply
            .unwrap_err(),
            ErrorCode::BadVersion
        );
    }

    #[test]
    fn acl_enforced_with_no_auth() {
        let mut f = Fixture::new();
        let read_only = vec![Acl {
            perms: perms::READ,
            id: Id {
                scheme: "world".into(),
                id: "anyone".into(),
            },
        }];
        f.run(Write::Create {
            op: OpCode::Create,
            path: "/ro",
            data: None,
            acl: &read_only,
            flags: 0,
            ttl: 0,
        })
        .reply
        .unwrap();
        assert_eq!(
            f.run(Write::SetData {
                path: "/ro",
                data: None,
                version: -1
            })
            .reply
            .unwrap_err(),
            ErrorCode::NoAuth
        );
        assert_eq!(f.create("/ro/child", 0).unwrap_err(), ErrorCode::NoAuth);
        assert_eq!(
            f.run(Write::SetAcl {
                path: "/ro",
                acl: &world(),
                version: -1
            })
            .reply
            .unwrap_err(),
            ErrorCode::NoAuth
        );
    }

    #[test]
    fn failed_multi_changes_nothing_and_reports_zookeeper_layout() {
        let mut f = Fixture::new();
        f.create("/x", 0).unwrap();
        let before = f.tree.node("/").unwrap().stat();
        let ops = vec![
            MultiOp::Create {
                op: OpCode::Create,
                request: crate::protocol::records::CreateTtlRequest {
                    path: "/new".into(),
                    data: None,
                    acl: world(),
                    flags: 0,
                    ttl: 0,
                },
            },
            MultiOp::SetData(SetDataRequest {
                path: "/new".into(),
                data: Some(b"1".to_vec()),
                version: 0,
            }),
            MultiOp::Check(CheckVersionRequest {
                path: "/x".into(),
                version: 5,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/x".into(),
                version: -1,
            }),
        ];
        let executed = f.run(Write::Multi(&ops));
        let Ok(WriteReply::Multi(results)) = executed.reply else {
            panic!()
        };
        let codes: Vec<i32> = results
            .iter()
            .map(|r| {
                if let MultiResult::Error { err } = r {
                    *err
                } else {
                    99
                }
            })
            .collect();
        assert_eq!(
            codes,
            vec![
                0,
                0,
                ErrorCode::BadVersion as i32,
                ErrorCode::RuntimeInconsistency as i32
            ]
        );
        assert!(f.tree.node("/new").is_none());
        assert_eq!(f.tree.node("/").unwrap().stat(), before);
        assert!(executed.changes.is_empty());
    }

    #[test]
    fn multi_sub_ops_see_earlier_ones() {
        let mut f = Fixture::new();
        let ops = vec![
            MultiOp::Create {
                op: OpCode::Create2,
                request: crate::protocol::records::CreateTtlRequest {
                    path: "/m".into(),
                    data: None,
                    acl: world(),
                    flags: 0,
                    ttl: 0,
                },
            },
            MultiOp::SetData(SetDataRequest {
                path: "/m".into(),
                data: Some(b"1".to_vec()),
                version: 0,
            }),
            MultiOp::Check(CheckVersionRequest {
                path: "/m".into(),
                version: 1,
            }),
        ];
        let executed = f.run(Write::Multi(&ops));
        let Ok(WriteReply::Multi(results)) = executed.reply else {
            panic!()
        };
        assert!(matches!(&results[0], MultiResult::Create { path } if path == "/m"));
        assert!(matches!(&results[1], MultiResult::SetData { stat } if stat.version == 1));
        assert!(matches!(&results[2], MultiResult::Check));
        assert!(matches!(executed.op, TxnOp::Multi(ref ops) if ops.len() == 3));
    }
}
