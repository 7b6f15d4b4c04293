//! Read requests: served from the tree as it stands (which already holds every earlier write of
//! the session), arming watches as they go. Reads do no path validation: a malformed path is
//! simply not found.

use crate::ids::{ConnId, SessionId};
use crate::protocol::codes::{perms, ErrorCode, EventType};
use crate::protocol::records::{
    ClientInfo, CountResponse, ErrorResponse, GetAclResponse, GetDataResponse,
    GetEphemeralsResponse, PathResponse, SetWatches, StatResponse, WatchesRequest, WhoAmIResponse,
};
use crate::protocol::request::{ReadOp, Request};
use crate::protocol::response::{MultiReadResponse, ReadResult};
use crate::tree::acl::{self, AuthIds};
use crate::tree::watch::{RemoveKind, WatchKind, WatchManager};
use crate::tree::{DataTree, Node};

use super::reply::Body;
use crate::protocol::jute::{Encode, Writer};

pub struct ReadContext<'a> {
    pub conn: ConnId,
    pub session: SessionId,
    pub auth: &'a AuthIds,
}

fn readable<'t>(tree: &'t DataTree, auth: &AuthIds, path: &str) -> Result<&'t Node, ErrorCode> {
    let node = tree.node(path).ok_or(ErrorCode::NoNode)?;
    acl::check(&node.acl, auth, perms::READ)?;
    Ok(node)
}

/// GetChildrenResponse (or GetChildren2Response with the Stat), written straight from the
/// node's child set: big child lists are the common case worth not copying twice.
fn encode_children(node: &Node, with_stat: bool) -> Vec<u8> {
    let names: usize = node.children.iter().map(|name| name.len() + 4).sum();
    let mut out = Writer::with_capacity(names + 4 + 68);
    out.write_i32(i32::try_from(node.children.len()).unwrap_or(i32::MAX));
    for name in &node.children {
        out.write_string(name);
    }
    if with_stat {
        node.stat().encode(&mut out);
    }
    out.into_inner()
}

fn children_of(node: &Node) -> Vec<String> {
    node.children.iter().cloned().collect()
}

/// Serves a read. `None` when the request is not a read this module serves.
pub fn execute(
    tree: &DataTree,
    watches: &mut WatchManager,
    ctx: &ReadContext<'_>,
    request: &Request,
) -> Option<Result<Body, ErrorCode>> {
    Some(match request {
        Request::Exists(request) => {
            // exists arms a data watch even when the node is missing (it then fires on create).
            if request.watch {
                watches.add(ctx.conn, &request.path, WatchKind::Data);
            }
            tree.node(&request.path)
                .map(|node| Body::Stat(StatResponse { stat: node.stat() }))
                .ok_or(ErrorCode::NoNode)
        }
        Request::GetData(request) => readable(tree, ctx.auth, &request.path).map(|node| {
            if request.watch {
                watches.add(ctx.conn, &request.path, WatchKind::Data);
            }
            Body::GetData(GetDataResponse {
                data: node.data.as_ref().map(|data| data.to_vec()),
                stat: node.stat(),
            })
        }),
        Request::GetChildren(request) => readable(tree, ctx.auth, &request.path).map(|node| {
            if request.watch {
                watches.add(ctx.conn, &request.path, WatchKind::Child);
            }
            Body::Encoded(encode_children(node, false))
        }),
        Request::GetChildren2(request) => readable(tree, ctx.auth, &request.path).map(|node| {
            if request.watch {
                watches.add(ctx.conn, &request.path, WatchKind::Child);
            }
            Body::Encoded(encode_children(node, true))
        }),
        Request::GetAcl(request) => {
            tree.node(&request.path)
                .ok_or(ErrorCode::NoNode)
                .and_then(|node| {
                    acl::check(&node.acl, ctx.auth, perms::READ | perms::ADMIN)?;
                    let shown = if acl::check(&node.acl, ctx.auth, perms::ADMIN).is_ok() {
                        node.acl.to_vec()
                    } else {
                        acl::masked(&node.acl)
                    };
                    Ok(Body::GetAcl(GetAclResponse {
                        acl: shown,
                        stat: node.stat(),
                    }))
                })
        }
        Request::Sync(request) => Ok(Body::Path(PathResponse {
            path: request.path.clone(),
        })),
        Request::GetAllChildrenNumber(request) => {
            readable(tree, ctx.auth, &request.path).map(|_| {
                let total = i32::try_from(tree.descendant_count(&request.path)).unwrap_or(i32::MAX);
                Body::Count(CountResponse { total })
            })
        }
        Request::GetEphemerals(request) => {
            let prefix = request.path.trim();
            let everything = prefix.is_empty() || prefix == "/";
            let ephemerals = tree
                .ephemerals_of(ctx.session)
                .filter(|path| everything || path.starts_with(prefix))
                .cloned()
                .collect();
            Ok(Body::Ephemerals(GetEphemeralsResponse { ephemerals }))
        }
        Request::WhoAmI => {
            let mut client_info = Vec::new();
            let (ips, others): (Vec<_>, Vec<_>) = ctx.auth.iter().partition(|id| id.scheme == "ip");
            for id in others.into_iter().chain(ips) {
                let user = if id.scheme == "digest" {
                    id.id.split(':').next().unwrap_or_default().to_owned()
                } else {
                    id.id.clone()
                };
                client_info.push(ClientInfo {
                    auth_scheme: id.scheme.clone(),
                    user,
                });
            }
            Ok(Body::WhoAmI(WhoAmIResponse { client_info }))
        }
        Request::MultiRead(ops) => {
            let mut results = Vec::with_capacity(ops.len());
            for op in ops {
                let result = match op {
                    ReadOp::GetData { path } => {
                        readable(tree, ctx.auth, path).map(|node| ReadResult::GetData {
                            data: node.data.as_ref().map(|data| data.to_vec()),
                            stat: node.stat(),
                        })
                    }
                    ReadOp::GetChildren { path } => {
                        readable(tree, ctx.auth, path).map(|node| ReadResult::GetChildren {
                            children: children_of(node),
                        })
                    }
                };
                results.push(result.unwrap_or_else(|code| ReadResult::Error { err: code as i32 }));
            }
            Ok(Body::MultiRead(MultiReadResponse(results)))
        }
        Request::CheckWatches(request) => remove_watches(watches, ctx.conn, request, true),
        Request::RemoveWatches(request) => remove_watches(watches, ctx.conn, request, false),
        Request::AddWatch(request) => match request.mode {
            0 | 1 => {
                watches.add_persistent(ctx.conn, &request.path, request.mode == 1);
                Ok(Body::Error(ErrorResponse { err: 0 }))
            }
            _ => Err(ErrorCode::BadArguments),
        },
        _ => return None,
    })
}

/// removeWatches (or checkWatches, `check_only`): NoWatcher when nothing matches.
fn remove_watches(
    watches: &mut WatchManager,
    conn: ConnId,
    request: &WatchesRequest,
    check_only: bool,
) -> Result<Body, ErrorCode> {
    let kind = match request.watcher_type {
        1 => RemoveKind::Child,
        2 => RemoveKind::Data,
        3 => RemoveKind::Any,
        _ => return Err(ErrorCode::BadArguments),
    };
    if watches.remove(conn, &request.path, kind, check_only) {
        Ok(Body::Empty)
    } else {
        Err(ErrorCode::NoWatcher)
    }
}

/// What setWatches does on reconnect: fires at once what changed since `relative_zxid`, re-arms
/// the rest. Returns the events to send before the reply.
pub fn set_watches(
    tree: &DataTree,
    watches: &mut WatchManager,
    conn: ConnId,
    request: &SetWatches,
) -> Vec<(String, EventType)> {
    let mut fired = Vec::new();
    for path in &request.data_watches {
        match tree.node(path) {
            None => fired.push((path.clone(), EventType::NodeDeleted)),
            Some(node) if node.mzxid > request.relative_zxid => {
                fired.push((path.clone(), EventType::NodeDataChanged))
            }
            Some(_) => watches.add(conn, path, WatchKind::Data),
        }
    }
    for path in &request.exist_watches {
        if tree.node(path).is_some() {
            fired.push((path.clone(), EventType::NodeCreated));
        } else {
            watches.add(conn, path, WatchKind::Data);
        }
    }
    for path in &request.child_watches {
        match tree.node(path) {
            None => fired.push((path.clone(), EventType::NodeDeleted)),
            Some(node) if node.pzxid > request.relative_zxid => {
                fired.push((path.clone(), EventType::NodeChildrenChanged))
            }
            Some(_) => watches.add(conn, path, WatchKind::Child),
        }
    }
    for path in &request.persistent_watches {
        watches.add_persistent(conn, path, false);
    }
    for path in &request.persistent_recursive_watches {
        watches.add_persistent(conn, path, true);
    }
    fired
}
