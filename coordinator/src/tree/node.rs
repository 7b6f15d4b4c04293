//! One znode: its data, ACL, kind and the persisted parts of its Stat.

use std::collections::BTreeSet;
use std::sync::Arc;

use bytes::Bytes;

use crate::ids::SessionId;
use crate::protocol::records::{Acl, Stat};

/// What kind of node this is; decides ephemeralOwner and reaping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Persistent,
    /// Deleted when the owning session ends.
    Ephemeral(SessionId),
    /// Deleted by the reaper once it has had children and has none left.
    Container,
    /// Deleted by the reaper once childless and unmodified for this many milliseconds.
    Ttl(i64),
}

impl NodeKind {
    /// The (tag, value) pair snapshots and transactions store a kind as.
    pub fn to_tag(self) -> (i32, i64) {
        match self {
            NodeKind::Persistent => (0, 0),
            NodeKind::Ephemeral(owner) => (1, owner.0),
            NodeKind::Container => (2, 0),
            NodeKind::Ttl(ttl) => (3, ttl),
        }
    }

    /// Reads back what [`NodeKind::to_tag`] gave; `None` for an unknown tag.
    pub fn from_tag(tag: i32, value: i64) -> Option<NodeKind> {
        match tag {
            0 => Some(NodeKind::Persistent),
            1 => Some(NodeKind::Ephemeral(SessionId(value))),
            2 => Some(NodeKind::Container),
            3 => Some(NodeKind::Ttl(value)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub data: Option<Bytes>,
    pub acl: Arc<[Acl]>,
    pub kind: NodeKind,
    pub czxid: i64,
    pub mzxid: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub version: i32,
    /// Child creates ever made under this node (ZooKeeper's internal cversion). The sequential
    /// suffix is this counter; the wire cversion is `2 * creates - children`.
    pub child_creates: i32,
    pub aversion: i32,
    pub pzxid: i64,
    pub children: BTreeSet<String>,
}

impl Node {
    pub fn new(data: Option<Bytes>, acl: Arc<[Acl]>, kind: NodeKind, zxid: i64, time: i64) -> Self {
        Self {
            data,
            acl,
            kind,
            czxid: zxid,
            mzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            child_creates: 0,
            aversion: 0,
            pzxid: zxid,
            children: BTreeSet::new(),
        }
    }

    pub fn data_len(&self) -> i32 {
        self.data
            .as_ref()
            .map_or(0, |data| i32::try_from(data.len()).unwrap_or(i32::MAX))
    }

    pub fn ephemeral_owner(&self) -> Option<SessionId> {
        match self.kind {
            NodeKind::Ephemeral(owner) => Some(owner),
            _ => None,
        }
    }

    /// The Stat as clients see it.
    pub fn stat(&self) -> Stat {
        let children = i32::try_from(self.children.len()).unwrap_or(i32::MAX);
        Stat {
            czxid: self.czxid,
            mzxid: self.mzxid,
            ctime: self.ctime,
            mtime: self.mtime,
            version: self.version,
            cversion: self.child_creates.wrapping_mul(2).wrapping_sub(children),
            aversion: self.aversion,
            ephemeral_owner: self.ephemeral_owner().map_or(0, |owner| owner.0),
            data_length: self.data_len(),
            num_children: children,
            pzxid: self.pzxid,
        }
    }
}
