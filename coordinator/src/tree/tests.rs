#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;
use crate::protocol::jute::{Reader, Writer};

fn open() -> Vec<Acl> {
    acl::open_acl()
}

#[test]
fn fresh_tree_has_zookeeper_nodes_and_root_cversion_minus_one() {
    let tree = DataTree::new();
    assert_eq!(tree.node_count(), 4);
    let root = tree.node("/").unwrap().stat();
    assert_eq!((root.cversion, root.num_children, root.czxid), (-1, 1, 0));
    assert_eq!(tree.node("/zookeeper").unwrap().stat().cversion, -2);
}

#[test]
fn create_and_delete_move_parent_cversion_and_pzxid() {
    let mut tree = DataTree::new();
    tree.create("/a", None, open(), NodeKind::Persistent, 5, 100)
        .unwrap();
    tree.create(
        "/a/x",
        Some(Bytes::from_static(b"1")),
        open(),
        NodeKind::Persistent,
        6,
        101,
    )
    .unwrap();
    let stat = tree.node("/a").unwrap().stat();
    assert_eq!((stat.cversion, stat.pzxid, stat.num_children), (1, 6, 1));
    tree.delete("/a/x", 7).unwrap();
    let stat = tree.node("/a").unwrap().stat();
    // creates + deletes, as ZooKeeper reports it.
    assert_eq!((stat.cversion, stat.pzxid, stat.num_children), (2, 7, 0));
    assert_eq!(tree.node("/a").unwrap().child_creates, 1);
}

#[test]
fn set_data_bumps_version_and_mzxid() {
    let mut tree = DataTree::new();
    tree.create(
        "/a",
        Some(Bytes::from_static(b"v0")),
        open(),
        NodeKind::Persistent,
        2,
        10,
    )
    .unwrap();
    tree.set_data("/a", Some(Bytes::from_static(b"v1!")), 3, 20)
        .unwrap();
    let stat = tree.node("/a").unwrap().stat();
    assert_eq!(
        (
            stat.version,
            stat.mzxid,
            stat.czxid,
            stat.mtime,
            stat.ctime,
            stat.data_length
        ),
        (1, 3, 2, 20, 10, 3)
    );
}

#[test]
fn undo_restores_everything() {
    let mut tree = DataTree::new();
    tree.create("/p", None, open(), NodeKind::Persistent, 1, 1)
        .unwrap();
    tree.create(
        "/p/old",
        None,
        open(),
        NodeKind::Ephemeral(crate::ids::SessionId(9)),
        2,
        1,
    )
    .unwrap();
    let before = tree.node("/p").unwrap().stat();
    let size_before = tree.approximate_data_size();
    let (created, _) = tree
        .create(
            "/p/new",
            Some(Bytes::from_static(b"abc")),
            open(),
            NodeKind::Persistent,
            3,
            2,
        )
        .unwrap();
    let (deleted, _) = tree.delete("/p/old", 3).unwrap();
    let (data, _) = tree
        .set_data("/p", Some(Bytes::from_static(b"zz")), 3, 2)
        .unwrap();
    let acl_undo = tree.set_acl("/p", acl::read_only_acl()).unwrap();
    for step in [acl_undo, data, deleted, created] {
        tree.undo(step);
    }
    assert_eq!(tree.node("/p").unwrap().stat(), before);
    assert!(tree.node("/p/new").is_none());
    assert!(tree.node("/p/old").is_some());
    assert_eq!(tree.ephemerals_of(crate::ids::SessionId(9)).count(), 1);
    assert_eq!(tree.approximate_data_size(), size_before);
    assert_eq!(&*tree.node("/p").unwrap().acl, &open()[..]);
}

#[test]
fn reaper_finds_emptied_containers_and_expired_ttl_nodes() {
    let mut tree = DataTree::new();
    tree.create("/c", None, open(), NodeKind::Container, 1, 0)
        .unwrap();
    tree.create("/never", None, open(), NodeKind::Container, 2, 0)
        .unwrap();
    tree.create("/c/x", None, open(), NodeKind::Persistent, 3, 0)
        .unwrap();
    tree.create("/t", None, open(), NodeKind::Ttl(100), 4, 1000)
        .unwrap();
    assert!(tree.reapable(1050).is_empty());
    tree.delete("/c/x", 5).unwrap();
    assert_eq!(tree.reapable(1050), vec!["/c".to_owned()]);
    assert_eq!(tree.reapable(1101), vec!["/c".to_owned(), "/t".to_owned()]);
}

#[test]
fn snapshot_encoding_round_trips() {
    let mut tree = DataTree::new();
    tree.create(
        "/a",
        Some(Bytes::from_static(b"x")),
        open(),
        NodeKind::Persistent,
        1,
        5,
    )
    .unwrap();
    tree.create(
        "/a/b",
        None,
        acl::read_only_acl(),
        NodeKind::Ephemeral(crate::ids::SessionId(3)),
        2,
        6,
    )
    .unwrap();
    tree.create("/t", None, open(), NodeKind::Ttl(10), 3, 7)
        .unwrap();
    tree.delete("/t", 4).unwrap();
    let mut out = Writer::new();
    tree.encode(&mut out);
    let bytes = out.into_inner();
    let decoded = DataTree::decode(&mut Reader::new(&bytes)).unwrap();
    assert_eq!(decoded.node_count(), tree.node_count());
    for path in ["/", "/a", "/a/b", "/zookeeper", "/zookeeper/config"] {
        assert_eq!(
            decoded.node(path).unwrap().stat(),
            tree.node(path).unwrap().stat(),
            "{path}"
        );
        assert_eq!(
            decoded.node(path).unwrap().acl,
            tree.node(path).unwrap().acl,
            "{path}"
        );
    }
    assert_eq!(decoded.ephemerals_of(crate::ids::SessionId(3)).count(), 1);
    assert_eq!(
        decoded.approximate_data_size(),
        tree.approximate_data_size()
    );
    for cut in [0, 8, bytes.len() / 2, bytes.len() - 1] {
        assert!(DataTree::decode(&mut Reader::new(&bytes[..cut])).is_err());
    }
}
