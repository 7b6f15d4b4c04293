//! `coordinator <zookeeper.properties>`: runs the ZooKeeper-compatible coordinator in the
//! foreground until SIGTERM or SIGINT.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use coordinator::config::CoordinatorConfig;

#[derive(Parser)]
#[command(
    name = "coordinator",
    version,
    about = "ZooKeeper-compatible coordination service"
)]
struct Args {
    /// The configuration file (zookeeper.properties / zoo.cfg format).
    config: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    common::logging::init("info");
    let (config, warnings) = match CoordinatorConfig::load(&args.config) {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!("Invalid config, exiting abnormally: {error}");
            return ExitCode::from(2);
        }
    };
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    match coordinator::server::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("Unable to start, exiting abnormally: {error}");
            ExitCode::from(1)
        }
    }
}
