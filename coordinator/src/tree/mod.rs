//! The znode tree: nodes by full path, the per-session ephemeral index, containers and TTL
//! nodes awaiting the reaper. No I/O and no validation of requests: the processor validates
//! (see `processor::prepare`) and then applies changes here, in zxid order, the same way live
//! and during recovery. Each change returns the watch events it causes and an [`Undo`] so a
//! multi that fails part-way can be rolled back.

pub mod acl;
pub mod node;
pub mod path;
pub mod watch;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use bytes::Bytes;

use crate::ids::SessionId;
use crate::protocol::codes::{ErrorCode, EventType};
use crate::protocol::jute::{DecodeError, Reader, Writer};
use crate::protocol::records::Acl;
pub use node::{Node, NodeKind};

/// A watch event a change causes: the path and the event type.
pub type Change = (String, EventType);

/// How to reverse one applied change.
#[derive(Debug)]
pub enum Undo {
    Created {
        path: String,
        parent: ParentStat,
    },
    Deleted {
        path: String,
        node: Box<Node>,
        parent: ParentStat,
    },
    DataSet {
        path: String,
        data: Option<Bytes>,
        version: i32,
        mzxid: i64,
        mtime: i64,
    },
    AclSet {
        path: String,
        acl: Arc<[Acl]>,
        aversion: i32,
    },
}

/// The parent fields a child create or delete changes.
#[derive(Debug, Clone, Copy)]
pub struct ParentStat {
    child_creates: i32,
    pzxid: i64,
}

#[derive(Debug)]
pub struct DataTree {
    nodes: HashMap<String, Node>,
    ephemerals: HashMap<SessionId, BTreeSet<String>>,
    containers: BTreeSet<String>,
    ttls: BTreeSet<String>,
    acls: HashMap<Vec<Acl>, Arc<[Acl]>>,
    data_bytes: u64,
}

impl Default for DataTree {
    fn default() -> Self {
        Self::new()
    }
}

impl DataTree {
    /// A fresh tree: `/`, `/zookeeper`, `/zookeeper/quota`, `/zookeeper/config`.
    pub fn new() -> Self {
        let mut tree = Self {
            nodes: HashMap::new(),
            ephemerals: HashMap::new(),
            containers: BTreeSet::new(),
            ttls: BTreeSet::new(),
            acls: HashMap::new(),
            data_bytes: 0,
        };
        let open = tree.intern_acl(acl::open_acl());
        let read_only = tree.intern_acl(acl::read_only_acl());
        let mut root = Node::new(None, open.clone(), NodeKind::Persistent, 0, 0);
        root.children.insert("zookeeper".into());
        let mut system = Node::new(None, open.clone(), NodeKind::Persistent, 0, 0);
        system.children.insert("quota".into());
        system.children.insert("config".into());
        tree.nodes.insert("/".into(), root);
        tree.nodes.insert("/zookeeper".into(), system);
        tree.nodes.insert(
            "/zookeeper/quota".into(),
            Node::new(None, open, NodeKind::Persistent, 0, 0),
        );
        let mut config = Node::new(None, read_only, NodeKind::Persistent, 0, 0);
        // ZooKeeper creates /zookeeper/config with ACL version -1.
        config.aversion = -1;
        tree.nodes.insert("/zookeeper/config".into(), config);
        tree.data_bytes = tree.nodes.keys().map(|path| path.len() as u64).sum();
        tree
    }

    fn intern_acl(&mut self, acl: Vec<Acl>) -> Arc<[Acl]> {
        if let Some(shared) = self.acls.get(&acl) {
            return shared.clone();
        }
        let shared: Arc<[Acl]> = acl.clone().into();
        self.acls.insert(acl, shared.clone());
        shared
    }

    pub fn node(&self, path: &str) -> Option<&Node> {
        self.nodes.get(path)
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Path lengths plus data lengths: ZooKeeper's approximate data size.
    pub fn approximate_data_size(&self) -> u64 {
        self.data_bytes
    }

    pub fn ephemerals_of(&self, session: SessionId) -> impl Iterator<Item = &String> {
        self.ephemerals.get(&session).into_iter().flatten()
    }

    pub fn ephemeral_sessions(&self) -> impl Iterator<Item = (&SessionId, &BTreeSet<String>)> {
        self.ephemerals.iter()
    }

    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(BTreeSet::len).sum()
    }

    /// Every node below `path` (not counting it): getAllChildrenNumber.
    pub fn descendant_count(&self, path: &str) -> usize {
        let mut count = 0;
        let mut stack = vec![path.to_owned()];
        while let Some(current) = stack.pop() {
            let Some(node) = self.nodes.get(&current) else {
                continue;
            };
            for child in &node.children {
                count += 1;
                stack.push(path::join(&current, child));
            }
        }
        count
    }

    /// Containers that have had children and now have none, and TTL nodes without children
    /// unmodified for longer than their TTL at `now_ms`: what the reaper deletes.
    pub fn reapable(&self, now_ms: i64) -> Vec<String> {
        let mut out = Vec::new();
        for candidate in self.containers.iter().chain(self.ttls.iter()) {
            let Some(node) = self.nodes.get(candidate) else {
                continue;
            };
            if !node.children.is_empty() {
                continue;
            }
            let due = match node.kind {
                NodeKind::Container => node.child_creates > 0,
                NodeKind::Ttl(ttl) => now_ms.saturating_sub(node.mtime) > ttl,
                _ => false,
            };
            if due {
                out.push(candidate.clone());
            }
        }
        out
    }

    /// Adds a node. The parent must exist and the path must be free.
    pub fn create(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        acl: Vec<Acl>,
        kind: NodeKind,
        zxid: i64,
        time: i64,
    ) -> Result<(Undo, [Change; 2]), ErrorCode> {
        let (parent_path, name) = path::split(path).ok_or(ErrorCode::BadArguments)?;
        if self.nodes.contains_key(path) {
            return Err(ErrorCode::NodeExists);
        }
        let acl = self.intern_acl(acl);
        let parent = self.nodes.get_mut(parent_path).ok_or(ErrorCode::NoNode)?;
        let saved = ParentStat {
            child_creates: parent.child_creates,
            pzxid: parent.pzxid,
        };
        parent.child_creates = parent.child_creates.wrapping_add(1);
        parent.pzxid = zxid;
        parent.children.insert(name.to_owned());
        let node = Node::new(data, acl, kind, zxid, time);
        self.data_bytes += path.len() as u64 + node.data_len() as u64;
        self.index(path, &node);
        self.nodes.insert(path.to_owned(), node);
        let changes = [
            (path.to_owned(), EventType::NodeCreated),
            (parent_path.to_owned(), EventType::NodeChildrenChanged),
        ];
        Ok((
            Undo::Created {
                path: path.to_owned(),
                parent: saved,
            },
            changes,
        ))
    }

    /// Removes a childless node.
    pub fn delete(&mut self, path: &str, zxid: i64) -> Result<(Undo, [Change; 2]), ErrorCode> {
        let (parent_path, name) = path::split(path).ok_or(ErrorCode::BadArguments)?;
        match self.nodes.get(path) {
            None => return Err(ErrorCode::NoNode),
            Some(node) if !node.children.is_empty() => return Err(ErrorCode::NotEmpty),
            Some(_) => {}
        }
        let parent = self.nodes.get_mut(parent_path).ok_or(ErrorCode::NoNode)?;
        let saved = ParentStat {
            child_creates: parent.child_creates,
            pzxid: parent.pzxid,
        };
        parent.children.remove(name);
        // A delete only moves pzxid forward.
        if zxid > parent.pzxid {
            parent.pzxid = zxid;
        }
        let node = self.nodes.remove(path).ok_or(ErrorCode::NoNode)?;
        self.data_bytes = self
            .data_bytes
            .saturating_sub(path.len() as u64 + node.data_len() as u64);
        self.unindex(path, &node);
        let changes = [
            (path.to_owned(), EventType::NodeDeleted),
            (parent_path.to_owned(), EventType::NodeChildrenChanged),
        ];
        Ok((
            Undo::Deleted {
                path: path.to_owned(),
                node: Box::new(node),
                parent: saved,
            },
            changes,
        ))
    }

    /// Replaces a node's data; the version goes up by one (wrapping as ZooKeeper's int does).
    pub fn set_data(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        zxid: i64,
        time: i64,
    ) -> Result<(Undo, Change), ErrorCode> {
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        let new_len = data.as_ref().map_or(0, |data| data.len() as u64);
        self.data_bytes = self.data_bytes.saturating_sub(node.data_len() as u64) + new_len;
        let undo = Undo::DataSet {
            path: path.to_owned(),
            data: std::mem::replace(&mut node.data, data),
            version: node.version,
            mzxid: node.mzxid,
            mtime: node.mtime,
        };
        node.version = node.version.wrapping_add(1);
        node.mzxid = zxid;
        node.mtime = time;
        Ok((undo, (path.to_owned(), EventType::NodeDataChanged)))
    }

    /// Replaces a node's ACL; aversion goes up by one. Fires no watch.
    pub fn set_acl(&mut self, path: &str, acl: Vec<Acl>) -> Result<Undo, ErrorCode> {
        let acl = self.intern_acl(acl);
        let node = self.nodes.get_mut(path).ok_or(ErrorCode::NoNode)?;
        let undo = Undo::AclSet {
            path: path.to_owned(),
            acl: std::mem::replace(&mut node.acl, acl),
            aversion: node.aversion,
        };
        node.aversion = node.aversion.wrapping_add(1);
        Ok(undo)
    }

    /// Reverses a change made by the methods above (latest first).
    pub fn undo(&mut self, undo: Undo) {
        match undo {
            Undo::Created { path, parent } => {
                if let Some(node) = self.nodes.remove(&path) {
                    self.data_bytes = self
                        .data_bytes
                        .saturating_sub(path.len() as u64 + node.data_len() as u64);
                    self.unindex(&path, &node);
                }
                self.restore_parent(&path, parent, false);
            }
            Undo::Deleted { path, node, parent } => {
                self.data_bytes += path.len() as u64 + node.data_len() as u64;
                self.index(&path, &node);
                self.nodes.insert(path.clone(), *node);
                self.restore_parent(&path, parent, true);
            }
            Undo::DataSet {
                path,
                data,
                version,
                mzxid,
                mtime,
            } => {
                if let Some(node) = self.nodes.get_mut(&path) {
                    let current = node.data_len() as u64;
                    let restored = data.as_ref().map_or(0, |data| data.len() as u64);
                    self.data_bytes = self.data_bytes.saturating_sub(current) + restored;
                    node.data = data;
                    node.version = version;
                    node.mzxid = mzxid;
                    node.mtime = mtime;
                }
            }
            Undo::AclSet {
                path,
                acl,
                aversion,
            } => {
                if let Some(node) = self.nodes.get_mut(&path) {
                    node.acl = acl;
                    node.aversion = aversion;
                }
            }
        }
    }

    fn restore_parent(&mut self, path: &str, saved: ParentStat, child_present: bool) {
        let Some((parent_path, name)) = path::split(path) else {
            return;
        };
        if let Some(parent) = self.nodes.get_mut(parent_path) {
            parent.child_creates = saved.child_creates;
            parent.pzxid = saved.pzxid;
            if child_present {
                parent.children.insert(name.to_owned());
            } else {
                parent.children.remove(name);
            }
        }
    }

    fn index(&mut self, path: &str, node: &Node) {
        match node.kind {
            NodeKind::Ephemeral(owner) => {
                self.ephemerals
                    .entry(owner)
                    .or_default()
                    .insert(path.to_owned());
            }
            NodeKind::Container => {
                self.containers.insert(path.to_owned());
            }
            NodeKind::Ttl(_) => {
                self.ttls.insert(path.to_owned());
            }
            NodeKind::Persistent => {}
        }
    }

    fn unindex(&mut self, path: &str, node: &Node) {
        match node.kind {
            NodeKind::Ephemeral(owner) => {
                if let Some(paths) = self.ephemerals.get_mut(&owner) {
                    paths.remove(path);
                    if paths.is_empty() {
                        self.ephemerals.remove(&owner);
                    }
                }
            }
            NodeKind::Container => {
                self.containers.remove(path);
            }
            NodeKind::Ttl(_) => {
                self.ttls.remove(path);
            }
            NodeKind::Persistent => {}
        }
    }

    /// Writes every node, in no particular order (one linear pass over the node table, which is
    /// what keeps a snapshot's pause short): the tree part of a snapshot.
    pub fn encode(&self, out: &mut Writer) {
        let count = i64::try_from(self.nodes.len()).unwrap_or(i64::MAX);
        out.write_i64(count);
        for (path, node) in &self.nodes {
            out.write_string(path);
            out.write_buffer(node.data.as_deref());
            crate::txn::write_acl(out, &node.acl);
            let (tag, value) = node.kind.to_tag();
            out.write_i32(tag);
            out.write_i64(value);
            for field in [node.czxid, node.mzxid, node.ctime, node.mtime, node.pzxid] {
                out.write_i64(field);
            }
            for field in [node.version, node.child_creates, node.aversion] {
                out.write_i32(field);
            }
        }
    }

    /// Reads what [`DataTree::encode`] wrote.
    pub fn decode(input: &mut Reader<'_>) -> Result<DataTree, DecodeError> {
        let mut tree = DataTree {
            nodes: HashMap::new(),
            ..DataTree::new()
        };
        tree.data_bytes = 0;
        let count = input.read_i64()?;
        if count < 1 || count as u64 > input.remaining() as u64 {
            return Err(DecodeError::Invalid("snapshot node count"));
        }
        for _ in 0..count {
            let path = input.read_string()?;
            let data = input.read_buffer()?.map(Bytes::from);
            let acl = crate::txn::read_acl(input)?;
            let tag = input.read_i32()?;
            let value = input.read_i64()?;
            let kind =
                NodeKind::from_tag(tag, value).ok_or(DecodeError::Invalid("snapshot node kind"))?;
            let acl = tree.intern_acl(acl);
            let mut node = Node::new(data, acl, kind, 0, 0);
            node.czxid = input.read_i64()?;
            node.mzxid = input.read_i64()?;
            node.ctime = input.read_i64()?;
            node.mtime = input.read_i64()?;
            node.pzxid = input.read_i64()?;
            node.version = input.read_i32()?;
            node.child_creates = input.read_i32()?;
            node.aversion = input.read_i32()?;
            tree.data_bytes += path.len() as u64 + node.data_len() as u64;
            tree.index(&path, &node);
            if tree.nodes.insert(path, node).is_some() {
                return Err(DecodeError::Invalid("snapshot path repeated"));
            }
        }
        if !tree.nodes.contains_key("/") {
            return Err(DecodeError::Invalid("snapshot without root"));
        }
        // Second pass: every node but the root becomes a child of its parent, which must exist.
        let links: Vec<(String, String)> = tree
            .nodes
            .keys()
            .filter(|path| path.as_str() != "/")
            .map(|path| {
                path::split(path)
                    .map(|(parent, name)| (parent.to_owned(), name.to_owned()))
                    .ok_or(DecodeError::Invalid("snapshot path"))
            })
            .collect::<Result<_, _>>()?;
        for (parent_path, name) in links {
            let parent = tree
                .nodes
                .get_mut(&parent_path)
                .ok_or(DecodeError::Invalid("snapshot parent missing"))?;
            parent.children.insert(name);
        }
        Ok(tree)
    }
}

#[cfg(test)]
mod tests;
