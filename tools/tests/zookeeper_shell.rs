//! `zookeeper-shell` against a real coordinator process: one-shot commands and a piped
//! interactive session, checking what zkCli would print and the exit codes.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use testkit::CoordinatorProcess;

fn shell_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zookeeper-shell"))
}

/// The coordinator binary sits beside the shell in the same target dir (`cargo test
/// --workspace` builds it for the coordinator's own integration tests).
fn coordinator_binary() -> PathBuf {
    let path = shell_binary().with_file_name("coordinator");
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p coordinator` (or `cargo test --workspace`)",
        path.display()
    );
    path
}

fn start() -> CoordinatorProcess {
    CoordinatorProcess::start(&coordinator_binary(), &[]).unwrap()
}

fn run(server: &CoordinatorProcess, args: &[&str]) -> Output {
    Command::new(shell_binary())
        .arg(server.connect_string())
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn one_shot_commands_print_what_zkcli_prints() {
    let server = start();
    let listing = run(&server, &["ls", "/"]);
    assert!(listing.status.success());
    let stdout = text(&listing.stdout);
    assert!(
        stdout.starts_with(&format!("Connecting to {}\n", server.connect_string())),
        "{stdout}"
    );
    assert!(
        stdout.contains("WatchedEvent state:SyncConnected type:None path:null"),
        "{stdout}"
    );
    assert!(stdout.trim_end().ends_with("[zookeeper]"), "{stdout}");

    // zkCli reports a create on stderr.
    let created = run(&server, &["create", "/k", "v1"]);
    assert!(created.status.success());
    assert!(
        text(&created.stderr).contains("Created /k"),
        "{}",
        text(&created.stderr)
    );

    let got = run(&server, &["get", "-s", "/k"]);
    let stdout = text(&got.stdout);
    let after_banner: Vec<&str> = stdout
        .lines()
        .skip_while(|line| !line.starts_with("v1"))
        .collect();
    assert_eq!(after_banner.first(), Some(&"v1"), "{stdout}");
    for field in [
        "cZxid = 0x",
        "ctime = ",
        "mZxid = 0x",
        "pZxid = 0x",
        "cversion = 0",
        "dataVersion = 0",
        "aclVersion = 0",
        "ephemeralOwner = 0x0",
        "dataLength = 2",
        "numChildren = 0",
    ] {
        assert!(
            after_banner.iter().any(|line| line.starts_with(field)),
            "missing {field:?} in {stdout}"
        );
    }

    let missing = run(&server, &["get", "/missing"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        text(&missing.stderr).contains("Node does not exist: /missing")
            || text(&missing.stdout).contains("Node does not exist: /missing")
    );
}

#[test]
fn interactive_session_from_a_pipe() {
    let server = start();
    let mut child = Command::new(shell_binary())
        .arg(server.connect_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"create /p x\ncreate -s /p/s- a\ncreate -e /e x\nls /p\ngetEphemerals\nset -v 5 /p y\ncreate /ro x\nsetAcl /ro world:anyone:r\nset /ro z\ngetAcl /ro\ndelete /p\ndeleteall /p\nls /\nquit\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let all = format!("{}{}", text(&output.stdout), text(&output.stderr));
    for expected in [
        "Created /p",
        "Created /p/s-0000000000",
        "Created /e",
        "[s-0000000000]",
        "[/e]",
        "version No is not valid : /p",
        "Insufficient permission : /ro",
        "'world,'anyone\n: r",
        "Node not empty: /p",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    // deleteall removed /p and its child, and the session's ephemeral /e went away when the
    // shell closed its session.
    let listing = run(&server, &["ls", "/"]);
    assert!(
        text(&listing.stdout)
            .trim_end()
            .ends_with("[ro, zookeeper]"),
        "{}",
        text(&listing.stdout)
    );
}
