//! `zookeeper-shell host:port[/chroot] [command args…]`: a ZooKeeper command-line client that
//! behaves like the zkCli shell Kafka's `bin/zookeeper-shell.sh` runs. See `tools::zk_shell`.

use tools::zk_shell::args::parse_args;
use tools::zk_shell::local_time::LocalZone;

fn main() -> anyhow::Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse_args(&arguments) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(1);
        }
    };
    // Read the zone file before the runtime starts (file I/O stays off the async threads).
    let zone = LocalZone::from_environment();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let code = runtime.block_on(tools::zk_shell::run(args, zone));
    // Leave without waiting for the stdin reader thread, which may be blocked in a read.
    std::process::exit(code);
}
