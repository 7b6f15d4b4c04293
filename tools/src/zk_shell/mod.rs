//! `zookeeper-shell`: a ZooKeeper command-line client that behaves like zkCli 3.8 as run by
//! Kafka's `bin/zookeeper-shell.sh host:port[/chroot] [command args…]`.
//!
//! With a command it connects, runs it once and exits with its status; without one it reads
//! commands from stdin line by line (a pipe works; on a terminal a `[zk: host(STATE) n] ` prompt
//! is shown, as zkCli does with line editing). Output matches zkCli's line for line: the banner
//! ("Connecting to …", "Welcome to ZooKeeper!", "JLine support is disabled"), watch and session
//! events, results, errors and exit statuses.
//!
//! Modules, in the order a line flows through them:
//! - [`args`]: the process arguments (`host:port`, `-server`, `-timeout`, `-r`).
//! - [`tokenize`]: an input line into words.
//! - [`command`]: words into a typed command ([`options`], [`path`] and [`acl`] check the parts).
//! - [`shell`]: the command processor (history, `redo`, "Not connected", exit status).
//! - [`exec`]: each server command against the session.
//! - [`session`]: the client connection, watch and session events.
//! - [`stat`], [`local_time`], [`posix_tz`], [`keeper`], [`console`]: output formatting and error
//!   texts.

pub mod acl;
pub mod args;
pub mod command;
pub mod console;
pub mod exec;
pub mod keeper;
pub mod local_time;
pub mod options;
pub mod path;
pub mod posix_tz;
pub mod session;
pub mod shell;
pub mod stat;
pub mod tokenize;

use std::io::{BufRead, IsTerminal};

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use self::args::ShellArgs;
use self::console::Console;
use self::local_time::LocalZone;
use self::session::{ConnectSettings, ShellSession};
use self::shell::{Flow, Mode, Shell};

/// Runs the shell and returns the process exit status. Must run on a current-thread runtime
/// (events are printed in the order the client library dispatches them).
pub async fn run(args: ShellArgs, zone: LocalZone) -> i32 {
    let console = Console;
    let settings = ConnectSettings {
        session_timeout: args.session_timeout,
        readonly: args.readonly,
    };
    let session = ShellSession::new(args.server.clone(), settings);
    console.out_line(&format!("Connecting to {}", args.server));
    match args.command {
        Some(words) => {
            let mut shell = Shell::new(session, zone, Mode::OneShot);
            let flow = shell.execute_words(words).await;
            shell.finish().await;
            match flow {
                Flow::Exit(code) => code,
                Flow::Continue => shell.exit_code(),
            }
        }
        None => interactive(Shell::new(session, zone, Mode::Interactive), console).await,
    }
}

async fn interactive(mut shell: Shell, console: Console) -> i32 {
    console.out_line("Welcome to ZooKeeper!");
    console.out_line("JLine support is disabled");
    let show_prompt = std::io::stdin().is_terminal();
    let mut lines = read_stdin_lines();
    shell.session_mut().connect(&console).await;
    let mut prompted = false;
    loop {
        if show_prompt && !prompted {
            console.out(&shell.prompt());
            prompted = true;
        }
        tokio::select! {
            line = lines.recv() => {
                let Some(line) = line else { break };
                prompted = false;
                if let Flow::Exit(code) = shell.execute_line(&line).await {
                    return code;
                }
            }
            () = shell.session_mut().wait_and_print(&console) => {}
        }
    }
    shell.finish().await;
    shell.exit_code()
}

/// Reads stdin on a plain thread (reads block) and hands over lines without their terminator.
fn read_stdin_lines() -> UnboundedReceiver<String> {
    let (sender, receiver) = unbounded_channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut buffer = Vec::new();
        loop {
            buffer.clear();
            match input.read_until(b'\n', &mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if buffer.last() == Some(&b'\n') {
                        buffer.pop();
                    }
                    if buffer.last() == Some(&b'\r') {
                        buffer.pop();
                    }
                    if sender
                        .send(String::from_utf8_lossy(&buffer).into_owned())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    receiver
}
