//! What one benchmark session does during the timed phase.
//!
//! [`drive`] runs a stream of requests on one session, keeping `pipeline` of them in flight
//! (1 = strictly one outstanding request): each request is written to the connection as it is
//! issued, replies come back in order, and a request's latency runs from just before it was
//! issued to the moment its reply is taken. The streams for each workload come from
//! [`Operations`]. [`watch_pair`] and [`churn`] are the two workloads that do not fit the
//! one-request-one-reply mould. All three stop on their [`Budget`] or when the session dies.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use zookeeper_client::{Acls, Client, CreateMode, CreateOptions, Error, EventType};

use super::histogram::LatencyHistogram;
use super::options::Workload;

/// A request in flight, resolving to success or the server's error.
pub type OpFuture<'a> = Pin<Box<dyn Future<Output = Result<(), Error>> + Send + 'a>>;

/// How long a closing session waits for the server's confirmation in `session-churn`.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// Counters shared with the progress printer.
#[derive(Debug, Default)]
pub struct Progress {
    pub ops: AtomicU64,
    pub errors: AtomicU64,
}

/// When a session stops issuing requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// After this many requests.
    Ops(u64),
    /// Once this instant has passed.
    Until(Instant),
}

impl Budget {
    pub(super) fn allows(self, issued: u64) -> bool {
        match self {
            Budget::Ops(total) => issued < total,
            Budget::Until(deadline) => Instant::now() < deadline,
        }
    }
}

/// What a session measured.
#[derive(Debug, Clone, Default)]
pub struct SessionOutcome {
    /// Latencies of successful operations, in nanoseconds.
    pub histogram: LatencyHistogram,
    pub errors: u64,
}

impl SessionOutcome {
    pub(super) fn success(&mut self, elapsed: Duration, progress: &Progress) {
        self.histogram
            .record(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
        progress.ops.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn failure(&mut self, progress: &Progress) {
        self.errors += 1;
        progress.errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// Errors after which the session can do nothing more.
pub fn is_terminal(error: &Error) -> bool {
    matches!(
        error,
        Error::SessionExpired | Error::AuthFailed | Error::ClientClosed | Error::NoHosts
    )
}

enum InFlight<'a> {
    Waiting(OpFuture<'a>),
    Finished(Result<(), Error>),
}

/// Polls a new request once so that it is written now, ahead of later ones.
fn launch(mut operation: OpFuture<'_>) -> InFlight<'_> {
    match operation
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(result) => InFlight::Finished(result),
        Poll::Pending => InFlight::Waiting(operation),
    }
}

/// Runs requests from `next` with `pipeline` in flight until `budget` is spent.
pub async fn drive<'a>(
    mut next: impl FnMut() -> OpFuture<'a>,
    budget: Budget,
    pipeline: usize,
    progress: &Progress,
) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let mut in_flight: VecDeque<(Instant, InFlight<'a>)> = VecDeque::with_capacity(pipeline);
    let mut issued = 0u64;
    let mut stopped = false;
    loop {
        while !stopped && in_flight.len() < pipeline.max(1) && budget.allows(issued) {
            let started = Instant::now();
            in_flight.push_back((started, launch(next())));
            issued += 1;
        }
        let Some((started, request)) = in_flight.pop_front() else {
            break;
        };
        let result = match request {
            InFlight::Waiting(future) => future.await,
            InFlight::Finished(result) => result,
        };
        match result {
            Ok(()) => outcome.success(started.elapsed(), progress),
            Err(error) => {
                outcome.failure(progress);
                stopped |= is_terminal(&error);
            }
        }
    }
    outcome
}

/// One step of the `mixed` cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MixedStep {
    GetData,
    Exists,
    GetChildren,
    SetData,
    Create,
    Delete,
}

/// The `mixed` cycle: 8 getData, 4 exists, 2 getChildren, 4 setData, 1 create, 1 delete
/// (70 % reads), interleaved.
const MIXED_CYCLE: [MixedStep; 20] = {
    use MixedStep::*;
    [
        GetData,
        Exists,
        GetData,
        SetData,
        GetData,
        GetChildren,
        Exists,
        SetData,
        GetData,
        Create,
        GetData,
        Exists,
        SetData,
        GetData,
        GetChildren,
        Exists,
        GetData,
        SetData,
        GetData,
        Delete,
    ]
};

/// One request of a workload: the operation and the path it targets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Create(String),
    SetData(String),
    GetData(String),
    Exists(String),
    GetChildren(String),
    /// `None` when no prepared node is left (reported as an error).
    Delete(Option<String>),
}

/// The request stream of one session for one workload, independent of the client sending it.
pub struct OpStream {
    workload: Workload,
    /// The session's own znode (setData, getData, exists, mixed).
    own_node: String,
    /// The znode with 100 children (getChildren, mixed).
    children_parent: String,
    /// Parent of the znodes this session creates (create, mixed).
    create_parent: String,
    /// Pre-created znodes left to delete (delete), or znodes created by `mixed` not yet deleted.
    to_delete: VecDeque<String>,
    created: u64,
    step: usize,
}

/// Paths one session works on.
#[derive(Debug, Clone, Default)]
pub struct SessionPaths {
    pub own_node: String,
    pub children_parent: String,
    pub create_parent: String,
    pub to_delete: Vec<String>,
}

impl OpStream {
    pub fn new(workload: Workload, paths: SessionPaths) -> OpStream {
        OpStream {
            workload,
            own_node: paths.own_node,
            children_parent: paths.children_parent,
            create_parent: paths.create_parent,
            to_delete: paths.to_delete.into(),
            created: 0,
            step: 0,
        }
    }

    /// The next request.
    pub fn next_op(&mut self) -> Op {
        match self.workload {
            Workload::Create => self.create(),
            Workload::SetData => Op::SetData(self.own_node.clone()),
            Workload::GetData => Op::GetData(self.own_node.clone()),
            Workload::Exists => Op::Exists(self.own_node.clone()),
            Workload::GetChildren => Op::GetChildren(self.children_parent.clone()),
            Workload::Delete => Op::Delete(self.to_delete.pop_front()),
            Workload::Mixed => {
                let step = MIXED_CYCLE
                    .get(self.step % MIXED_CYCLE.len())
                    .copied()
                    .unwrap_or(MixedStep::GetData);
                self.step += 1;
                match step {
                    MixedStep::GetData => Op::GetData(self.own_node.clone()),
                    MixedStep::Exists => Op::Exists(self.own_node.clone()),
                    MixedStep::GetChildren => Op::GetChildren(self.children_parent.clone()),
                    MixedStep::SetData => Op::SetData(self.own_node.clone()),
                    MixedStep::Create => {
                        let op = self.create();
                        if let Op::Create(path) = &op {
                            self.to_delete.push_back(path.clone());
                        }
                        op
                    }
                    MixedStep::Delete if !self.to_delete.is_empty() => {
                        Op::Delete(self.to_delete.pop_front())
                    }
                    MixedStep::Delete => Op::GetData(self.own_node.clone()),
                }
            }
            // These two are driven by `churn` and `watch_pair`, not by request streams.
            Workload::SessionChurn | Workload::Watch => Op::Exists(self.own_node.clone()),
        }
    }

    fn create(&mut self) -> Op {
        let path = format!("{}/n{}", self.create_parent, self.created);
        self.created += 1;
        Op::Create(path)
    }
}

/// The request stream sent through a `zookeeper-client` session.
pub struct Operations<'a> {
    client: &'a Client,
    payload: Arc<Vec<u8>>,
    stream: OpStream,
}

impl<'a> Operations<'a> {
    pub fn new(
        client: &'a Client,
        workload: Workload,
        payload: Arc<Vec<u8>>,
        paths: SessionPaths,
    ) -> Operations<'a> {
        Operations {
            client,
            payload,
            stream: OpStream::new(workload, paths),
        }
    }

    /// The next request (not yet written; [`drive`] writes it).
    pub fn next_operation(&mut self) -> OpFuture<'a> {
        let client = self.client;
        let payload = Arc::clone(&self.payload);
        match self.stream.next_op() {
            Op::Create(path) => Box::pin(async move {
                let options: CreateOptions<'_> =
                    CreateMode::Persistent.with_acls(Acls::anyone_all());
                client.create(&path, &payload, &options).await.map(|_| ())
            }),
            Op::SetData(path) => {
                Box::pin(async move { client.set_data(&path, &payload, None).await.map(|_| ()) })
            }
            Op::GetData(path) => Box::pin(async move { client.get_data(&path).await.map(|_| ()) }),
            Op::Exists(path) => Box::pin(async move {
                match client.check_stat(&path).await? {
                    Some(_) => Ok(()),
                    None => Err(Error::NoNode),
                }
            }),
            Op::GetChildren(path) => {
                Box::pin(async move { client.list_children(&path).await.map(|_| ()) })
            }
            Op::Delete(Some(path)) => Box::pin(async move { client.delete(&path, None).await }),
            // Nothing left: a budget larger than the prepared nodes; report it as an error.
            Op::Delete(None) => Box::pin(async { Err(Error::NoNode) }),
        }
    }
}

/// `watch`: `watcher` arms a data watch on `node`, `writer` sets its data; the latency runs
/// from just before the write to the arrival of the event. Repeats until `budget` is spent.
pub async fn watch_pair(
    watcher: Client,
    writer: Client,
    node: String,
    payload: Arc<Vec<u8>>,
    budget: Budget,
    progress: Arc<Progress>,
) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let mut rounds = 0u64;
    while budget.allows(rounds) {
        rounds += 1;
        let armed = match watcher.get_and_watch_data(&node).await {
            Ok((_, _, armed)) => armed,
            Err(error) => {
                outcome.failure(&progress);
                if is_terminal(&error) {
                    break;
                }
                continue;
            }
        };
        let started = Instant::now();
        let mut fired = Box::pin(async move {
            let event = armed.changed().await;
            (event, Instant::now())
        });
        let mut write = Box::pin(writer.set_data(&node, &payload, None));
        let mut written = false;
        let mut event = None;
        let failed = loop {
            tokio::select! {
                result = &mut write, if !written => match result {
                    Ok(_) => written = true,
                    Err(error) => break Some(error),
                },
                arrived = &mut fired, if event.is_none() => event = Some(arrived),
            }
            if written && event.is_some() {
                break None;
            }
        };
        match (failed, event) {
            (None, Some((event, at))) if event.event_type == EventType::NodeDataChanged => {
                outcome.success(at.duration_since(started), &progress);
            }
            (Some(error), _) => {
                outcome.failure(&progress);
                if is_terminal(&error) {
                    break;
                }
            }
            _ => outcome.failure(&progress),
        }
    }
    outcome
}

/// `session-churn`: open a session on `connect`, close it, wait for the close to be
/// confirmed; the latency covers both. Repeats until `budget` is spent.
pub async fn churn(
    connect: String,
    session_timeout: Duration,
    budget: Budget,
    progress: Arc<Progress>,
) -> SessionOutcome {
    let mut outcome = SessionOutcome::default();
    let mut rounds = 0u64;
    while budget.allows(rounds) {
        rounds += 1;
        let started = Instant::now();
        let client = match Client::connector()
            .with_session_timeout(session_timeout)
            .connect(&connect)
            .await
        {
            Ok(client) => client,
            Err(_) => {
                outcome.failure(&progress);
                continue;
            }
        };
        let mut states = client.state_watcher();
        drop(client);
        let closed = tokio::time::timeout(CLOSE_WAIT, async {
            while !states.peek_state().is_terminated() {
                states.changed().await;
            }
        })
        .await;
        match closed {
            Ok(()) => outcome.success(started.elapsed(), &progress),
            Err(_) => outcome.failure(&progress),
        }
    }
    outcome
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn mixed_cycle_is_seventy_percent_reads() {
        let count = |wanted: MixedStep| MIXED_CYCLE.iter().filter(|step| **step == wanted).count();
        assert_eq!(count(MixedStep::GetData), 8);
        assert_eq!(count(MixedStep::Exists), 4);
        assert_eq!(count(MixedStep::GetChildren), 2);
        assert_eq!(count(MixedStep::SetData), 4);
        assert_eq!(count(MixedStep::Create), 1);
        assert_eq!(count(MixedStep::Delete), 1);
        let create = MIXED_CYCLE
            .iter()
            .position(|step| *step == MixedStep::Create)
            .unwrap();
        let delete = MIXED_CYCLE
            .iter()
            .position(|step| *step == MixedStep::Delete)
            .unwrap();
        assert!(create < delete, "a cycle deletes what it created");
    }

    #[tokio::test]
    async fn drive_keeps_pipeline_and_counts_errors() {
        let progress = Progress::default();
        let mut issued = 0u32;
        let outcome = drive(
            || {
                issued += 1;
                let fail = issued.is_multiple_of(4);
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    if fail {
                        Err(Error::NoNode)
                    } else {
                        Ok(())
                    }
                })
            },
            Budget::Ops(100),
            8,
            &progress,
        )
        .await;
        assert_eq!(outcome.histogram.count(), 75);
        assert_eq!(outcome.errors, 25);
        assert_eq!(progress.ops.load(Ordering::Relaxed), 75);
        assert_eq!(progress.errors.load(Ordering::Relaxed), 25);
    }

    #[tokio::test]
    async fn drive_stops_on_a_dead_session() {
        let progress = Progress::default();
        let outcome = drive(
            || Box::pin(async { Err(Error::SessionExpired) }),
            Budget::Ops(1_000),
            4,
            &progress,
        )
        .await;
        assert_eq!(outcome.errors, 4, "only the requests already in flight");
        assert_eq!(outcome.histogram.count(), 0);
    }

    #[test]
    fn budgets() {
        assert!(Budget::Ops(2).allows(1));
        assert!(!Budget::Ops(2).allows(2));
        assert!(!Budget::Until(Instant::now()).allows(0));
    }
}
