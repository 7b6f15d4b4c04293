//! The `broker` binary: `broker <server.properties> [--override key=value]…` (Kafka's
//! `kafka.Kafka` command line), run by `bin/kafka-server-start.sh`.
//!
//! Start-up: logging (Kafka's line layout), configuration (unknown keys warned, a bad value
//! stops start-up naming key and value), then [`Broker::start`]: coordinator session
//! (retried until `zookeeper.connection.timeout.ms`), cluster id, log dirs, listeners,
//! registration. Any start-up failure logs Kafka's "Fatal error during KafkaServer startup"
//! with the cause and exits with status 1. SIGTERM or SIGINT runs the controlled shutdown
//! (deregister, close the logs cleanly) and exits 0.

use std::path::PathBuf;
use std::process::ExitCode;

use broker::config::BrokerConfig;
use broker::server::{Broker, ServerOptions};
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};

/// A Kafka-compatible broker.
#[derive(Debug, Parser)]
#[command(name = "broker", version, about)]
struct Args {
    /// The broker configuration (server.properties).
    config: PathBuf,
    /// Sets a property on top of the file (repeatable).
    #[arg(long = "override", value_name = "property=value")]
    overrides: Vec<String>,
}

fn main() -> ExitCode {
    common::logging::init("info");
    let args = Args::parse();
    let mut overrides = Vec::with_capacity(args.overrides.len());
    for entry in &args.overrides {
        match entry.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => {
                overrides.push((key.trim().to_owned(), value.to_owned()));
            }
            _ => {
                tracing::error!(
                    "Invalid command line properties: {entry} (expected --override property=value)"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    let (config, warnings) = match BrokerConfig::load(&args.config, &overrides) {
        Ok(loaded) => loaded,
        Err(error) => {
            tracing::error!("Exiting Kafka due to fatal exception: {error}");
            return ExitCode::FAILURE;
        }
    };
    for warning in warnings {
        tracing::warn!("{warning}");
    }
    if config.broker_id < 0 {
        tracing::error!(
            "Exiting Kafka due to fatal exception: broker.id must be set (broker id generation is not supported)"
        );
        return ExitCode::FAILURE;
    }
    // num.network.threads async workers serve the connections, never more than the machine
    // has cores (more workers than cores only add wake-ups and work stealing); num.io.threads
    // bounds the blocking threads that do the log's file I/O and fsyncs.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(config.num_network_threads.clamp(1, cores))
        .max_blocking_threads(config.num_io_threads.max(1))
        .thread_name("broker")
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!("cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: BrokerConfig) -> ExitCode {
    let (mut terminate, mut interrupt) = match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(terminate), Ok(interrupt)) => (terminate, interrupt),
        (Err(error), _) | (_, Err(error)) => {
            tracing::error!("cannot install signal handlers: {error}");
            return ExitCode::FAILURE;
        }
    };
    let options = ServerOptions::from_config(&config);
    let broker_id = options.broker_id;
    let starting = Broker::start(options);
    let handle = tokio::select! {
        started = starting => match started {
            Ok(handle) => handle,
            Err(error) => {
                tracing::error!("[KafkaServer id={broker_id}] Fatal error during KafkaServer startup. Prepare to shutdown");
                tracing::error!("{error}");
                return ExitCode::FAILURE;
            }
        },
        _ = terminate.recv() => return ExitCode::FAILURE,
        _ = interrupt.recv() => return ExitCode::FAILURE,
    };
    tokio::select! {
        _ = terminate.recv() => {}
        _ = interrupt.recv() => {}
    }
    match handle.stop().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("[KafkaServer id={broker_id}] shutdown failed: {error}");
            ExitCode::FAILURE
        }
    }
}
