//! Durability across crashes and restarts: kill -9 in the middle of a concurrent write load,
//! then every acknowledged write is present with its data, no multi is half-applied, zxids
//! keep rising; and a whole tree (data, every Stat field, ACLs, sequence counters) reads back
//! identical after a SIGTERM restart and again after a kill -9 restart.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use support::*;
use testkit::wait_until_async;
use zookeeper_client::{Acl, Acls, AuthId, Client, CreateMode, Permission, Stat};

const WRITERS: usize = 4;
/// How many acknowledged writes the load reaches before the kill.
const ACKED_BEFORE_KILL: usize = 150;

/// What the writers know for certain, and what they sent without hearing back.
#[derive(Default)]
struct Ledger {
    /// path → data acknowledged for it.
    acknowledged: BTreeMap<String, Vec<u8>>,
    /// path → data of a write whose outcome is unknown (it may or may not have applied).
    in_doubt: BTreeMap<String, Vec<u8>>,
    /// (writer, n) of acknowledged pair multis.
    pairs: BTreeSet<(usize, usize)>,
}

async fn write_load(
    client: Client,
    writer: usize,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
    ledger: Arc<Mutex<Ledger>>,
) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        let ok = match n % 3 {
            0 => {
                let path = format!("/load/w{writer}-{n}");
                let data = format!("created by writer {writer} step {n}").into_bytes();
                ledger
                    .lock()
                    .unwrap()
                    .in_doubt
                    .insert(path.clone(), data.clone());
                let result = client.create(&path, &data, &persistent()).await;
                let mut ledger = ledger.lock().unwrap();
                if result.is_ok() {
                    ledger.in_doubt.remove(&path);
                    ledger.acknowledged.insert(path, data);
                }
                result.is_ok()
            }
            1 => {
                // A pair of creates and a counter update that must land together.
                let mut multi = client.new_multi_writer();
                multi
                    .add_create(&format!("/pairs/a-{writer}-{n}"), b"a", &persistent())
                    .unwrap();
                multi
                    .add_create(&format!("/pairs/b-{writer}-{n}"), b"b", &persistent())
                    .unwrap();
                multi
                    .add_set_data(
                        &format!("/counters/w{writer}"),
                        n.to_string().as_bytes(),
                        None,
                    )
                    .unwrap();
                let result = multi.commit().await;
                if result.is_ok() {
                    ledger.lock().unwrap().pairs.insert((writer, n));
                }
                result.is_ok()
            }
            _ => {
                // Update the node created two steps ago.
                let path = format!("/load/w{writer}-{}", n - 2);
                let data = format!("updated by writer {writer} step {n}").into_bytes();
                ledger
                    .lock()
                    .unwrap()
                    .in_doubt
                    .insert(path.clone(), data.clone());
                let result = client.set_data(&path, &data, Some(0)).await;
                let mut ledger = ledger.lock().unwrap();
                if let Ok(stat) = result {
                    assert_eq!(stat.version, 1);
                    ledger.in_doubt.remove(&path);
                    ledger.acknowledged.insert(path, data);
                }
                result.is_ok()
            }
        };
        if !ok {
            return;
        }
        acked.fetch_add(1, Ordering::SeqCst);
        n += 1;
    }
}

/// Checks everything the ledger says against the server; returns the highest czxid seen.
async fn verify(client: &Client, ledger: &Ledger) -> i64 {
    let mut highest = 0;
    for (path, data) in &ledger.acknowledged {
        let (stored, stat) = match within("read acknowledged", client.get_data(path)).await {
            Ok(found) => found,
            Err(error) => panic!("acknowledged write to {path} lost: {error}"),
        };
        let doubtful = ledger.in_doubt.get(path);
        assert!(
            &stored == data || doubtful == Some(&stored),
            "{path} holds {:?}, acknowledged {:?}",
            String::from_utf8_lossy(&stored),
            String::from_utf8_lossy(data)
        );
        highest = highest.max(stat.czxid).max(stat.mzxid);
    }
    let names: BTreeSet<String> = within("list pairs", client.list_children("/pairs"))
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (writer, n) in &ledger.pairs {
        assert!(
            names.contains(&format!("a-{writer}-{n}")),
            "acknowledged pair {writer}-{n} lost"
        );
    }
    let mut last_pair = BTreeMap::new();
    for name in &names {
        let (side, rest) = name.split_at(2);
        let other = if side == "a-" {
            format!("b-{rest}")
        } else {
            format!("a-{rest}")
        };
        assert!(
            names.contains(&other),
            "{name} without {other}: a multi was half-applied"
        );
        let (writer, n) = rest.split_once('-').unwrap();
        let entry = last_pair
            .entry(writer.parse::<usize>().unwrap())
            .or_insert(0);
        *entry = (*entry).max(n.parse::<usize>().unwrap());
    }
    for (writer, n) in last_pair {
        let (counter, _) = within("counter", client.get_data(&format!("/counters/w{writer}")))
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8(counter).unwrap(),
            n.to_string(),
            "counter of writer {writer} applied with its pair"
        );
    }
    highest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_kill9_under_load() {
    let mut server = start_server(&[]);
    let setup = connect(&server).await;
    for path in ["/load", "/pairs", "/counters"] {
        create(&setup, path, b"").await;
    }
    for writer in 0..WRITERS {
        create(&setup, &format!("/counters/w{writer}"), b"none").await;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(AtomicUsize::new(0));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let client = connect(&server).await;
        tasks.push(tokio::spawn(write_load(
            client,
            writer,
            stop.clone(),
            acked.clone(),
            ledger.clone(),
        )));
    }

    wait_until_async(STEP, "the load has enough acknowledged writes", || {
        let done = acked.load(Ordering::SeqCst) >= ACKED_BEFORE_KILL;
        async move { done }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    server.kill9().unwrap();
    server.restart().unwrap();
    for task in tasks {
        within("writer finishes", task).await.unwrap();
    }

    let ledger = std::mem::take(&mut *ledger.lock().unwrap());
    assert!(ledger.acknowledged.len() + ledger.pairs.len() >= ACKED_BEFORE_KILL / 2);
    let checker = connect(&server).await;
    let highest = verify(&checker, &ledger).await;
    let (after, _) = within(
        "create after restart",
        checker.create("/after", b"", &persistent()),
    )
    .await
    .unwrap();
    assert!(after.czxid > highest, "zxids keep rising across the crash");

    // A second crash, with the first recovery's writes on top, loses nothing either.
    server.kill9().unwrap();
    server.restart().unwrap();
    let checker = connect(&server).await;
    verify(&checker, &ledger).await;
    let (again, _) = within(
        "create after second restart",
        checker.create("/again", b"", &persistent()),
    )
    .await
    .unwrap();
    assert!(again.czxid > after.czxid);
    assert!(
        within("first recovery's write", checker.check_stat("/after"))
            .await
            .unwrap()
            .is_some()
    );
}

/// path → (data, stat, sorted ACL) for the whole tree.
async fn dump(client: &Client) -> BTreeMap<String, (Vec<u8>, Stat, Vec<String>)> {
    let mut tree = BTreeMap::new();
    let mut pending = vec!["/".to_string()];
    while let Some(path) = pending.pop() {
        let (data, stat) = within("get_data", client.get_data(&path)).await.unwrap();
        let (acl, _) = within("get_acl", client.get_acl(&path)).await.unwrap();
        let mut acl: Vec<String> = acl
            .iter()
            .map(|entry| format!("{}:{}:{}", entry.scheme(), entry.id(), entry.permission()))
            .collect();
        acl.sort();
        for child in within("list", client.list_children(&path)).await.unwrap() {
            pending.push(if path == "/" {
                format!("/{child}")
            } else {
                format!("{path}/{child}")
            });
        }
        tree.insert(path, (data, stat, acl));
    }
    tree
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_tree_reads_back_identical_after_restarts() {
    let mut server = start_server(&[]);
    let client = connect_with(
        &server,
        Client::connector()
            .with_session_timeout(SESSION_TIMEOUT)
            .with_auth("digest", b"bob:pw"),
    )
    .await;
    create(&client, "/app", b"config").await;
    for _ in 0..3 {
        within(
            "seq",
            client.create("/app/item-", b"i", &persistent_sequential()),
        )
        .await
        .unwrap();
    }
    create(&client, "/app/temp", b"").await;
    within("delete", client.delete("/app/temp", None))
        .await
        .unwrap();
    within("set", client.set_data("/app", b"config v2", Some(0)))
        .await
        .unwrap();
    within(
        "create private",
        client.create(
            "/private",
            b"p",
            &CreateMode::Persistent.with_acls(Acls::creator_all()),
        ),
    )
    .await
    .unwrap();
    let read_only = vec![Acl::new(
        Permission::READ | Permission::ADMIN,
        AuthId::new("world", "anyone"),
    )];
    create(&client, "/ro", b"").await;
    within("set_acl", client.set_acl("/ro", &read_only, Some(0)))
        .await
        .unwrap();
    create(&client, "/big", &vec![0x5a; 200_000]).await;
    let mut multi = client.new_multi_writer();
    multi.add_create("/m1", b"1", &persistent()).unwrap();
    multi.add_create("/m1/m2", b"2", &persistent()).unwrap();
    within("multi", multi.commit()).await.unwrap();
    let before = dump(&client).await;

    server.stop().unwrap();
    server.restart().unwrap();
    let after_stop = dump(&client).await;
    assert_eq!(after_stop, before, "the tree after a SIGTERM restart");

    server.kill9().unwrap();
    server.restart().unwrap();
    let after_kill = dump(&client).await;
    assert_eq!(after_kill, before, "the tree after a kill -9 restart");

    // The sequence counter and the zxid continue where they were.
    let (stat, sequence) = within(
        "seq after",
        client.create("/app/item-", b"", &persistent_sequential()),
    )
    .await
    .unwrap();
    assert_eq!(
        sequence.into_i64(),
        4,
        "three items and one deleted node were created before"
    );
    let highest = before
        .values()
        .map(|(_, stat, _)| stat.mzxid.max(stat.pzxid))
        .max()
        .unwrap();
    assert!(stat.czxid > highest);
}
