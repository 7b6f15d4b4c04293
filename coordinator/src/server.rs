//! Start-up and the accept loop: recover state from the data dirs, start the storage threads and
//! the processor, bind the client port, accept connections (enforcing `maxClientCnxns` per client
//! address), and on SIGTERM/SIGINT stop once everything logged is durable.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::net::TcpListener;

use crate::config::CoordinatorConfig;
use crate::connection::{self, Shared};
use crate::error::CoordinatorError;
use crate::ids::{hex_zxid, ConnId};
use crate::persistence::{DataDirs, LogOptions};
use crate::processor::state::State;
use crate::processor::storage::{self, SnapshotJob};
use crate::processor::{Input, Processor};
use crate::txn::Txn;

/// Loads the newest snapshot and replays the log after it.
pub fn recover(dirs: &DataDirs) -> Result<(State, usize), CoordinatorError> {
    let now = Instant::now();
    let recovery = dirs
        .recover(|bytes| State::decode_snapshot(bytes, now).map_err(|error| error.to_string()))?;
    for warning in &recovery.warnings {
        tracing::warn!("{warning}");
    }
    let mut state = match recovery.snapshot {
        Some(snapshot) => {
            tracing::info!(
                "Loaded snapshot {} at zxid {}",
                snapshot.path.display(),
                hex_zxid(snapshot.zxid)
            );
            snapshot.state
        }
        None => State::default(),
    };
    let replayed = recovery.entries.len();
    for entry in recovery.entries {
        let txn = Txn::decode(&entry.payload).map_err(|error| CoordinatorError::Replay {
            zxid: entry.zxid,
            reason: error.to_string(),
        })?;
        if txn.zxid != entry.zxid {
            return Err(CoordinatorError::Replay {
                zxid: entry.zxid,
                reason: format!("entry holds zxid 0x{:x}", txn.zxid),
            });
        }
        let (_, skipped) = state.apply(&txn, now);
        if skipped > 0 {
            tracing::warn!(
                "Replaying zxid {}: {skipped} step(s) did not fit the tree and were skipped",
                hex_zxid(txn.zxid)
            );
        }
    }
    if replayed > 0 {
        tracing::info!(
            "Replayed {replayed} transactions from the log, last zxid {}",
            hex_zxid(state.last_zxid)
        );
    }
    Ok((state, replayed))
}

/// Runs the coordinator until a termination signal.
///
/// Threads: the event loop (accepting, every connection, and the processor called inline), the
/// log writer (group commit) and the snapshot writer. Keeping the state and the sockets on one
/// thread means a request costs no thread hand-off; only fsyncs and snapshots leave it.
pub fn run(config: CoordinatorConfig) -> Result<(), CoordinatorError> {
    let started = Instant::now();
    let config = Arc::new(config);
    let dirs = Arc::new(DataDirs::open(&config.data_dir, &config.data_log_dir)?);
    let (state, replayed) = recover(&dirs)?;
    let log = dirs.create_log(
        state.last_zxid + 1,
        LogOptions {
            preallocate_bytes: config.preallocate_bytes,
            force_sync: config.force_sync,
        },
    )?;

    // The storage threads report back (durable zxids, finished snapshots) through this channel.
    let (storage_events, mut storage_queue) = tokio::sync::mpsc::unbounded_channel::<Input>();
    let (log_commands, log_queue) = std::sync::mpsc::channel();
    let (snapshot_jobs, snapshot_queue) = std::sync::mpsc::channel::<SnapshotJob>();
    if replayed > 0 {
        // A fresh snapshot after replay keeps the next start quick.
        let _ = snapshot_jobs.send(SnapshotJob {
            zxid: state.last_zxid,
            payload: state.encode_snapshot(),
        });
    }
    let spawn = |name: &'static str, body: Box<dyn FnOnce() + Send>| {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(body)
            .map_err(|source| CoordinatorError::Thread { what: name, source })
    };
    let log_events = storage_events.clone();
    spawn(
        "txn-log",
        Box::new(move || storage::run_log_writer(log, log_queue, log_events)),
    )?;
    let snapshot_dirs = dirs.clone();
    let purge_interval = config.autopurge_purge_interval;
    let retain = config.autopurge_snap_retain_count;
    spawn(
        "snapshot",
        Box::new(move || {
            storage::run_snapshot_writer(
                snapshot_dirs,
                snapshot_queue,
                storage_events,
                purge_interval,
                retain,
            )
        }),
    )?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(CoordinatorError::Runtime)?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async move {
        let processor = Rc::new(RefCell::new(Processor::new(
            config.clone(),
            state,
            log_commands,
            snapshot_jobs,
        )));
        let address = SocketAddr::new(
            config
                .client_port_address
                .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            config.client_port,
        );
        let listener =
            bind(address).map_err(|source| CoordinatorError::Bind { address, source })?;
        tracing::info!(
            "binding to port {address}; serving as a standalone coordinator (ready in {:?})",
            started.elapsed()
        );
        let storage_processor = processor.clone();
        tokio::task::spawn_local(async move {
            while let Some(input) = storage_queue.recv().await {
                storage_processor.borrow_mut().handle(input);
            }
        });
        let timer_processor = processor.clone();
        let timer = tokio::task::spawn_local(async move {
            loop {
                let due = timer_processor.borrow().next_wakeup();
                tokio::time::sleep_until(due.into()).await;
                timer_processor.borrow_mut().tick(Instant::now());
            }
        });
        let shared = Rc::new(Shared {
            processor: processor.clone(),
            config: config.clone(),
        });
        let accept = tokio::task::spawn_local(accept_loop(listener, shared));
        wait_for_signal().await;
        tracing::info!("Shutting down");
        accept.abort();
        timer.abort();
        processor.borrow_mut().handle(Input::Shutdown);
        // The log writer commits what is queued and reports it; then every reply is out.
        let deadline = Instant::now() + std::time::Duration::from_secs(30);
        while !processor.borrow().is_drained() && Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        tracing::info!("Shutdown complete");
        Ok(())
    })
}

fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(address),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    socket.listen(1024)?;
    TcpListener::from_std(socket.into())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        // Without signal handlers the process simply runs until killed.
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = interrupt.recv() => {}
    }
}

/// Counts open connections per client address; a guard gives the slot back on drop.
struct ConnectionLimits {
    per_address: Mutex<HashMap<IpAddr, u32>>,
    max: u32,
}

struct Slot {
    limits: Arc<ConnectionLimits>,
    address: IpAddr,
}

impl ConnectionLimits {
    fn take(self: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        let Ok(mut counts) = self.per_address.lock() else {
            return None;
        };
        let count = counts.entry(address).or_default();
        if self.max != 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(Slot {
            limits: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.limits.per_address.lock() {
            if let Some(count) = counts.get_mut(&self.address) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    counts.remove(&self.address);
                }
            }
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Rc<Shared>) {
    let next_conn = AtomicU64::new(1);
    let limits = Arc::new(ConnectionLimits {
        per_address: Mutex::new(HashMap::new()),
        max: shared.config.max_client_cnxns,
    });
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Running out of file descriptors and the like: back off briefly and go on.
                tracing::warn!("accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = limits.take(peer.ip()) else {
            tracing::warn!(
                "Too many connections from {} - max is {}",
                peer.ip(),
                limits.max
            );
            drop(stream);
            continue;
        };
        let conn = ConnId(next_conn.fetch_add(1, Ordering::Relaxed));
        let shared = shared.clone();
        tokio::task::spawn_local(async move {
            connection::serve(stream, peer, conn, shared).await;
            drop(slot);
        });
    }
}
