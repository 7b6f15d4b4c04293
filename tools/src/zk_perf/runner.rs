//! Orchestration of a `zk-perf-test` run.
//!
//! 1. An admin session creates the root (which must not exist) and, per workload, a directory
//!    `<root>/<workload>` with whatever the workload reads or deletes (untimed, pipelined).
//! 2. The benchmark sessions — one client and connection each, connected before any timing —
//!    run the workload concurrently; the clock runs from their start to the last one's end.
//!    A line of progress goes to stderr every second.
//! 3. The workload's directory is deleted (untimed), and at the end the whole root.
//!
//! Layout under the root: `create/s<i>/n<k>` (each session creates under its own parent, so no
//! directory grows past one session's share), `<workload>/s<i>` (per-session znodes),
//! `<workload>/children/c000…c099`, `delete/s<i>/n<k>`, `watch/p<k>`.
//!
//! `delete` with `--duration` cannot know how many znodes it will need, so it runs in rounds:
//! each round pre-creates a batch per session (untimed) and then deletes it (timed), the batch
//! sized from the rate measured so far, until the timed total reaches the duration.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::task::JoinSet;
use zookeeper_client::{Acls, Client, CreateMode, Error as ClientError};

use super::histogram::LatencyHistogram;
use super::options::{share_of, ClientKind, Limit, PerfOptions, Workload};
use super::raw::drive_raw;
use super::report::WorkloadReport;
use super::session::{
    churn, drive, watch_pair, Budget, OpStream, Operations, Progress, SessionOutcome, SessionPaths,
};
use crate::error::PerfError;
use crate::zk_tree::{delete_subtree, DeleteOutcome};

/// Children of the `getChildren` parent.
const CHILDREN: usize = 100;
/// Creates in flight while preparing znodes.
const PREPARE_WINDOW: usize = 256;
/// Deletes per multi request when cleaning up.
const CLEANUP_BATCH: i32 = 1000;
/// Znodes per session in the first `delete` round of a timed run.
const FIRST_DELETE_ROUND: u64 = 250;
/// Bounds of the per-session batch of later `delete` rounds.
const DELETE_ROUND_LIMITS: (u64, u64) = (50, 20_000);

/// Runs every workload of `options` and returns one report per workload.
pub async fn run(options: &PerfOptions) -> Result<Vec<WorkloadReport>, PerfError> {
    let admin = connect(options).await?;
    match admin
        .create(
            &options.root,
            b"",
            &CreateMode::Persistent.with_acls(Acls::anyone_all()),
        )
        .await
    {
        Ok(_) => {}
        Err(ClientError::NodeExists) => {
            return Err(PerfError::InvalidOptions {
                reason: format!(
                    "{} already exists; pick another --root (it is deleted at the end)",
                    options.root
                ),
            })
        }
        Err(source) => {
            return Err(PerfError::Setup {
                path: options.root.clone(),
                source,
            })
        }
    }
    let outcome = run_workloads(options, &admin).await;
    let cleanup = cleanup(&admin, &options.root).await;
    let reports = outcome?;
    cleanup?;
    Ok(reports)
}

async fn run_workloads(
    options: &PerfOptions,
    admin: &Client,
) -> Result<Vec<WorkloadReport>, PerfError> {
    let sessions = connect_sessions(options).await?;
    let mut reports = Vec::new();
    for workload in &options.workloads {
        let report = run_workload(*workload, options, admin, &sessions).await?;
        progress_line(&format!(
            "{}: done, {} ops in {:.2}s, {} errors",
            report.workload, report.ops, report.seconds, report.errors
        ));
        reports.push(report);
    }
    Ok(reports)
}

async fn connect(options: &PerfOptions) -> Result<Client, PerfError> {
    Client::connector()
        .with_session_timeout(options.session_timeout)
        .with_fail_eagerly()
        .connect(&options.connect)
        .await
        .map_err(|source| PerfError::Connect {
            server: options.connect.clone(),
            source,
        })
}

async fn connect_sessions(options: &PerfOptions) -> Result<Vec<Client>, PerfError> {
    let mut connecting = JoinSet::new();
    for index in 0..options.sessions {
        let options = options.clone();
        connecting.spawn(async move { (index, connect(&options).await) });
    }
    let mut sessions: Vec<Option<Client>> = vec![None; options.sessions];
    while let Some(joined) = connecting.join_next().await {
        let (index, client) = joined.map_err(|error| PerfError::Task {
            workload: "connect".to_string(),
            reason: error.to_string(),
        })?;
        if let Some(slot) = sessions.get_mut(index) {
            *slot = Some(client?);
        }
    }
    Ok(sessions.into_iter().flatten().collect())
}

async fn cleanup(admin: &Client, path: &str) -> Result<(), PerfError> {
    match delete_subtree(admin, path, CLEANUP_BATCH).await {
        Ok(DeleteOutcome::Deleted) | Err(ClientError::NoNode) => Ok(()),
        Ok(DeleteOutcome::Incomplete) => Err(PerfError::CleanupIncomplete {
            path: path.to_string(),
        }),
        Err(source) => Err(PerfError::Cleanup {
            path: path.to_string(),
            source,
        }),
    }
}

/// Creates `paths` in order (parents first), `PREPARE_WINDOW` requests in flight.
async fn create_all(client: &Client, paths: &[String], data: &[u8]) -> Result<(), PerfError> {
    let options = CreateMode::Persistent.with_acls(Acls::anyone_all());
    let mut in_flight = std::collections::VecDeque::new();
    for path in paths {
        // `create` writes its request when called; replies come back in order.
        in_flight.push_back((path, client.create(path, data, &options)));
        if in_flight.len() >= PREPARE_WINDOW {
            if let Some((path, reply)) = in_flight.pop_front() {
                reply.await.map_err(|source| PerfError::Setup {
                    path: path.clone(),
                    source,
                })?;
            }
        }
    }
    while let Some((path, reply)) = in_flight.pop_front() {
        reply.await.map_err(|source| PerfError::Setup {
            path: path.clone(),
            source,
        })?;
    }
    Ok(())
}

fn session_node(directory: &str, index: usize) -> String {
    format!("{directory}/s{index}")
}

/// Prepares, runs and cleans up one workload.
async fn run_workload(
    workload: Workload,
    options: &PerfOptions,
    admin: &Client,
    sessions: &[Client],
) -> Result<WorkloadReport, PerfError> {
    let directory = format!("{}/{}", options.root, workload.name());
    let payload = Arc::new(vec![b'x'; options.payload_bytes]);
    let children_parent = format!("{directory}/children");
    let mut setup = vec![directory.clone()];
    match workload {
        Workload::SetData
        | Workload::GetData
        | Workload::Exists
        | Workload::Create
        | Workload::Delete => {
            setup.extend((0..sessions.len()).map(|index| session_node(&directory, index)));
        }
        Workload::Mixed => {
            setup.extend((0..sessions.len()).map(|index| session_node(&directory, index)));
            setup.push(children_parent.clone());
            setup.extend((0..CHILDREN).map(|child| format!("{children_parent}/c{child:03}")));
        }
        Workload::GetChildren => {
            setup.push(children_parent.clone());
            setup.extend((0..CHILDREN).map(|child| format!("{children_parent}/c{child:03}")));
        }
        Workload::Watch => {
            setup.extend((0..sessions.len() / 2).map(|pair| format!("{directory}/p{pair}")))
        }
        Workload::SessionChurn => {}
    }
    create_all(admin, &setup, &payload).await?;
    let (histogram, errors, seconds) = match workload {
        Workload::Delete => run_delete_rounds(options, sessions, &directory, &payload).await?,
        _ => {
            let started = Instant::now();
            let (histogram, errors) =
                timed_phase(workload, options, sessions, &directory, &payload, &[]).await?;
            (histogram, errors, started.elapsed().as_secs_f64())
        }
    };
    cleanup(admin, &directory).await?;
    let active = match workload {
        Workload::Watch => sessions.len() / 2 * 2,
        _ => sessions.len(),
    };
    Ok(WorkloadReport::new(
        workload.name(),
        active,
        effective_pipeline(workload, options),
        options.payload_bytes,
        &histogram,
        errors,
        seconds,
    ))
}

fn effective_pipeline(workload: Workload, options: &PerfOptions) -> usize {
    match workload {
        Workload::SessionChurn | Workload::Watch => 1,
        _ => options.pipeline,
    }
}

/// The timed part of a workload: every session (or pair) at once, progress printed each second.
/// `to_delete` holds, per session, the znodes a delete round removes.
async fn timed_phase(
    workload: Workload,
    options: &PerfOptions,
    sessions: &[Client],
    directory: &str,
    payload: &Arc<Vec<u8>>,
    to_delete: &[Vec<String>],
) -> Result<(LatencyHistogram, u64), PerfError> {
    let progress = Arc::new(Progress::default());
    let ticker = tokio::spawn(print_progress(workload.name(), Arc::clone(&progress)));
    let started = Instant::now();
    let budget_of = |index: usize, workers: usize| match options.limit {
        Limit::Ops(total) => Budget::Ops(share_of(total, workers, index)),
        Limit::Duration(duration) => Budget::Until(started + duration),
    };
    let mut running: JoinSet<SessionOutcome> = JoinSet::new();
    match workload {
        Workload::Watch => {
            let pairs = sessions.len() / 2;
            for (pair, couple) in sessions.chunks_exact(2).enumerate() {
                let (Some(watcher), Some(writer)) = (couple.first(), couple.get(1)) else {
                    continue;
                };
                let node = format!("{directory}/p{pair}");
                running.spawn(watch_pair(
                    watcher.clone(),
                    writer.clone(),
                    node,
                    Arc::clone(payload),
                    budget_of(pair, pairs),
                    Arc::clone(&progress),
                ));
            }
        }
        Workload::SessionChurn => {
            for index in 0..sessions.len() {
                let budget = budget_of(index, sessions.len());
                running.spawn(churn(
                    options.connect.clone(),
                    options.session_timeout,
                    budget,
                    Arc::clone(&progress),
                ));
            }
        }
        _ => {
            for (index, client) in sessions.iter().enumerate() {
                let client = client.clone();
                let paths = SessionPaths {
                    own_node: session_node(directory, index),
                    children_parent: format!("{directory}/children"),
                    create_parent: session_node(directory, index),
                    to_delete: to_delete.get(index).cloned().unwrap_or_default(),
                };
                let budget = match workload {
                    Workload::Delete => Budget::Ops(paths.to_delete.len() as u64),
                    _ => budget_of(index, sessions.len()),
                };
                let payload = Arc::clone(payload);
                let progress = Arc::clone(&progress);
                let pipeline = options.pipeline;
                if options.client == ClientKind::Raw {
                    running.spawn(drive_raw(
                        options.connect.clone(),
                        options.session_timeout,
                        OpStream::new(workload, paths),
                        payload,
                        budget,
                        pipeline,
                        progress,
                    ));
                    continue;
                }
                running.spawn(async move {
                    let mut operations = Operations::new(&client, workload, payload, paths);
                    drive(|| operations.next_operation(), budget, pipeline, &progress).await
                });
            }
        }
    }
    let mut histogram = LatencyHistogram::new();
    let mut errors = 0;
    let mut failure = None;
    while let Some(joined) = running.join_next().await {
        match joined {
            Ok(outcome) => {
                histogram.merge(&outcome.histogram);
                errors += outcome.errors;
            }
            Err(error) => {
                failure = Some(PerfError::Task {
                    workload: workload.name().to_string(),
                    reason: error.to_string(),
                })
            }
        }
    }
    ticker.abort();
    match failure {
        Some(error) => Err(error),
        None => Ok((histogram, errors)),
    }
}

/// `delete`: rounds of untimed creation and timed deletion (see the module documentation).
async fn run_delete_rounds(
    options: &PerfOptions,
    sessions: &[Client],
    directory: &str,
    payload: &Arc<Vec<u8>>,
) -> Result<(LatencyHistogram, u64, f64), PerfError> {
    let mut histogram = LatencyHistogram::new();
    let mut errors = 0;
    let mut timed = Duration::ZERO;
    let mut round = 0u64;
    loop {
        let per_session: Vec<u64> = match options.limit {
            Limit::Ops(total) => (0..sessions.len())
                .map(|index| share_of(total, sessions.len(), index))
                .collect(),
            Limit::Duration(duration) => {
                let batch = if histogram.count() == 0 || timed.is_zero() {
                    FIRST_DELETE_ROUND
                } else {
                    let rate = histogram.count() as f64 / timed.as_secs_f64();
                    let remaining = duration.saturating_sub(timed).as_secs_f64();
                    let wanted = (rate * remaining / sessions.len() as f64).ceil() as u64;
                    wanted.clamp(DELETE_ROUND_LIMITS.0, DELETE_ROUND_LIMITS.1)
                };
                vec![batch; sessions.len()]
            }
        };
        let to_delete: Vec<Vec<String>> = per_session
            .iter()
            .enumerate()
            .map(|(index, count)| {
                (0..*count)
                    .map(|number| format!("{}/r{round}n{number}", session_node(directory, index)))
                    .collect()
            })
            .collect();
        let mut preparing = JoinSet::new();
        for (client, paths) in sessions.iter().zip(&to_delete) {
            let (client, paths, payload) = (client.clone(), paths.clone(), Arc::clone(payload));
            preparing.spawn(async move { create_all(&client, &paths, &payload).await });
        }
        while let Some(joined) = preparing.join_next().await {
            joined.map_err(|error| PerfError::Task {
                workload: "delete".to_string(),
                reason: error.to_string(),
            })??;
        }
        let started = Instant::now();
        let (round_histogram, round_errors) = timed_phase(
            Workload::Delete,
            options,
            sessions,
            directory,
            payload,
            &to_delete,
        )
        .await?;
        timed += started.elapsed();
        histogram.merge(&round_histogram);
        errors += round_errors;
        round += 1;
        let done = match options.limit {
            Limit::Ops(_) => true,
            Limit::Duration(duration) => timed >= duration,
        };
        if done {
            return Ok((histogram, errors, timed.as_secs_f64()));
        }
    }
}

/// Prints `<workload>: <t>s <ops> ops (<rate> ops/s) <errors> errors` every second.
async fn print_progress(name: &'static str, progress: Arc<Progress>) {
    let started = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    ticks.tick().await;
    let mut previous = 0;
    loop {
        ticks.tick().await;
        let ops = progress.ops.load(Ordering::Relaxed);
        let errors = progress.errors.load(Ordering::Relaxed);
        progress_line(&format!(
            "{name}: {:>3.0}s {ops} ops ({} ops/s), {errors} errors",
            started.elapsed().as_secs_f64(),
            ops.saturating_sub(previous)
        ));
        previous = ops;
    }
}

fn progress_line(text: &str) {
    let _ignored = writeln!(std::io::stderr(), "{text}");
}
