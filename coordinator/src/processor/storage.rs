//! The storage threads: the log writer (group commit) and the snapshot writer (which also runs
//! autopurge). Both are plain threads doing blocking file I/O, off the processor's thread and off
//! the async runtime.
//!
//! Group commit: the writer takes every batch queued since its last fsync, appends them, commits
//! once (one write, one fdatasync), then tells the processor the highest durable zxid, which
//! releases the replies waiting on it. A failed write or fsync is not retried: the process exits,
//! because the log no longer matches what clients may have been told.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

use crate::persistence::{DataDirs, TxnLog};

use tokio::sync::mpsc::UnboundedSender;

use super::Input;

pub enum LogCommand {
    /// Encoded transactions in zxid order.
    Append(Vec<(i64, Vec<u8>)>),
    /// Start a new log file with the next append (a snapshot was taken).
    Roll,
    /// Commit what is queued, report it, and stop.
    Shutdown,
}

/// Runs the log writer until Shutdown or until the processor goes away.
pub fn run_log_writer(
    mut log: TxnLog,
    commands: Receiver<LogCommand>,
    processor: UnboundedSender<Input>,
) {
    let mut stop = false;
    while !stop {
        let Ok(first) = commands.recv() else { break };
        let mut pending = Some(first);
        let mut appended = false;
        while let Some(command) = pending.take() {
            match command {
                LogCommand::Append(entries) => {
                    for (zxid, payload) in entries {
                        if let Err(error) = log.append(zxid, &payload) {
                            fatal(&error);
                        }
                    }
                    appended = true;
                }
                LogCommand::Roll => {
                    if let Err(error) = log.roll() {
                        fatal(&error);
                    }
                }
                LogCommand::Shutdown => stop = true,
            }
            pending = commands.try_recv().ok();
        }
        if appended || stop {
            if let Err(error) = log.commit() {
                fatal(&error);
            }
            if processor
                .send(Input::Durable {
                    zxid: log.last_zxid(),
                })
                .is_err()
                && !stop
            {
                break;
            }
        }
    }
}

fn fatal(error: &dyn std::error::Error) -> ! {
    tracing::error!("Severe unrecoverable error writing the transaction log, exiting: {error}");
    std::process::exit(70);
}

pub struct SnapshotJob {
    pub zxid: i64,
    pub payload: Vec<u8>,
}

/// Writes snapshots as they come and purges old files every `purge_interval` (if set).
pub fn run_snapshot_writer(
    dirs: Arc<DataDirs>,
    jobs: Receiver<SnapshotJob>,
    processor: UnboundedSender<Input>,
    purge_interval: Option<Duration>,
    retain: usize,
) {
    let wait = purge_interval.unwrap_or(Duration::from_secs(3600 * 24 * 365));
    // As ZooKeeper's cleanup task: once at start-up, then every interval.
    if purge_interval.is_some() {
        purge(&dirs, retain);
    }
    loop {
        match jobs.recv_timeout(wait) {
            Ok(job) => {
                let started = std::time::Instant::now();
                match dirs.write_snapshot(job.zxid, &job.payload) {
                    Ok(path) => tracing::info!(
                        "Snapshot {} written ({} bytes) in {:?}",
                        path.display(),
                        job.payload.len(),
                        started.elapsed()
                    ),
                    Err(error) => {
                        tracing::error!("Snapshot at zxid 0x{:x} failed: {error}", job.zxid)
                    }
                }
                if processor.send(Input::SnapshotDone).is_err() {
                    return;
                }
            }
            Err(RecvTimeoutError::Timeout) => {
                if purge_interval.is_some() {
                    purge(&dirs, retain);
                }
            }
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

pub fn purge(dirs: &DataDirs, retain: usize) {
    tracing::info!("Purge task started, keeping {retain} snapshots");
    match dirs.purge(retain) {
        Ok(report) => {
            for path in &report.removed {
                tracing::info!("Removed {}", path.display());
            }
            tracing::info!("Purge task completed");
        }
        Err(error) => tracing::warn!("Purge task failed: {error}"),
    }
}
