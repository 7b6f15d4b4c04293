//! Connection limits per client address, and snapshots: taken every `snapCount` transactions,
//! used on restart, and skipped in favour of an older one plus the log when corrupt.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use support::*;
use testkit::{wait_until, RawClient};

fn snapshots(data_dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(data_dir.join("version-2"))
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| {
                    let name = path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .unwrap_or_default();
                    name.starts_with("snapshot.") && !name.contains(".tmp")
                })
                .collect()
        })
        .unwrap_or_default();
    // Named by hex zxid: newest last.
    found.sort_by_key(|path| {
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default();
        i64::from_str_radix(name.trim_start_matches("snapshot."), 16).unwrap_or(0)
    });
    found
}

#[test]
fn max_client_cnxns_limits_connections_per_address() {
    let server = start_server(&[("maxClientCnxns", "2")]);
    let first = RawClient::connect(server.port(), 30_000).unwrap();
    let _second = RawClient::connect(server.port(), 30_000).unwrap();
    // The third from the same address is dropped without a session.
    let third = RawClient::connect(server.port(), 30_000);
    assert!(
        third.is_err(),
        "a third connection from 127.0.0.1 must be refused"
    );
    drop(first);
    // Once one goes away, a new connection is accepted again.
    wait_until(STEP, "a connection slot to free up", || {
        RawClient::connect(server.port(), 30_000).is_ok()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_taken_and_survive_kill_and_corruption() {
    let mut server = start_server(&[("snapCount", "20")]);
    let client = connect(&server).await;
    create(&client, "/s", b"").await;
    for index in 0..200 {
        create(
            &client,
            &format!("/s/n{index}"),
            format!("value-{index}").as_bytes(),
        )
        .await;
    }
    let data_dir = server.data_dir();
    wait_until(STEP, "at least two snapshots on disk", || {
        snapshots(&data_dir).len() >= 2
    });
    drop(client);

    let check = |server: &testkit::CoordinatorProcess| {
        let connect_string = server.connect_string();
        async move {
            let client = within(
                "connect",
                zookeeper_client::Client::connector()
                    .with_session_timeout(SESSION_TIMEOUT)
                    .connect(&connect_string),
            )
            .await
            .unwrap();
            let (children, stat) = within("children", client.get_children("/s")).await.unwrap();
            assert_eq!(children.len(), 200);
            assert_eq!(stat.num_children, 200);
            for index in [0, 57, 199] {
                let (data, _) = within("get", client.get_data(&format!("/s/n{index}")))
                    .await
                    .unwrap();
                assert_eq!(data, format!("value-{index}").as_bytes());
            }
        }
    };

    server.kill9().unwrap();
    server.restart().unwrap();
    check(&server).await;

    // Corrupt the newest snapshot: start-up falls back to an older one and replays the log.
    server.kill9().unwrap();
    let newest = snapshots(&data_dir).pop().unwrap();
    let mut bytes = fs::read(&newest).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&newest, &bytes).unwrap();
    server.restart().unwrap();
    check(&server).await;
}
