//! The in-process broker: [`Broker::start`] opens the log dir, binds the listener and
//! accepts connections (each served by [`crate::network::connection::serve`] on its own
//! task); [`BrokerHandle::stop`] stops accepting, drops every connection and closes the log
//! dir cleanly.
//!
//! [`ServerOptions`] holds what the request layer needs from server.properties, with Kafka's
//! defaults, so a config loader can fill it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::handler::{Context, Storage, StorageError};
use crate::log::{LogConfig, LogDir, LogError, SystemClock};
use crate::network::connection;
use crate::producer::ProducerIdAllocator;

/// The settings of the request layer (server.properties names in the field docs).
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `listeners`: the address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `advertised.listeners` host; `None`: the bound IP.
    pub advertised_host: Option<String>,
    /// `advertised.listeners` port; `None`: the bound port.
    pub advertised_port: Option<u16>,
    /// `broker.id`.
    pub broker_id: i32,
    /// `log.dirs` (one dir for now).
    pub log_dir: PathBuf,
    /// `num.partitions`: partitions of auto-created topics and of CreateTopics with -1.
    pub num_partitions: i32,
    /// `message.max.bytes`: the largest record batch accepted.
    pub message_max_bytes: i32,
    /// `socket.request.max.bytes`: the largest request frame; larger closes the connection.
    pub socket_request_max_bytes: i32,
    /// `auto.create.topics.enable`.
    pub auto_create_topics_enable: bool,
    /// Default topic settings (`log.segment.bytes`, `log.retention.ms`, ...).
    pub log_config: LogConfig,
}

impl ServerOptions {
    /// Kafka's defaults, listening on 0.0.0.0:9092, broker id 0.
    pub fn new(log_dir: impl Into<PathBuf>) -> Self {
        ServerOptions {
            listen: SocketAddr::from(([0, 0, 0, 0], 9092)),
            advertised_host: None,
            advertised_port: None,
            broker_id: 0,
            log_dir: log_dir.into(),
            num_partitions: 1,
            message_max_bytes: 1_048_588,
            socket_request_max_bytes: 104_857_600,
            auto_create_topics_enable: true,
            log_config: LogConfig::default(),
        }
    }
}

/// Why the broker could not start or stop cleanly.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("opening log dir: {0}")]
    OpenLogDir(#[from] LogError),
    #[error("binding {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("closing storage: {0}")]
    Storage(#[from] StorageError),
    #[error("broker task failed: {reason}")]
    Task { reason: String },
}

/// The broker type; see [`Broker::start`].
#[derive(Debug)]
pub struct Broker;

/// A running broker.
#[derive(Debug)]
pub struct BrokerHandle {
    local_addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    acceptor: JoinHandle<()>,
    storage: Storage,
}

impl Broker {
    /// Opens (recovering if needed) the log dir and starts serving on `options.listen`.
    /// Must be called inside a tokio runtime; returns once the listener is bound.
    pub async fn start(options: ServerOptions) -> Result<BrokerHandle, ServerError> {
        let path = options.log_dir.clone();
        let config = options.log_config.clone();
        let log_dir =
            tokio::task::spawn_blocking(move || LogDir::open(&path, config, Arc::new(SystemClock)))
                .await
                .map_err(|error| ServerError::Task {
                    reason: error.to_string(),
                })??;
        let listener =
            TcpListener::bind(options.listen)
                .await
                .map_err(|source| ServerError::Bind {
                    addr: options.listen,
                    source,
                })?;
        let local_addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: options.listen,
            source,
        })?;
        let storage = Storage::new(log_dir);
        let context = Arc::new(Context {
            advertised_host: options
                .advertised_host
                .clone()
                .unwrap_or_else(|| local_addr.ip().to_string()),
            advertised_port: i32::from(options.advertised_port.unwrap_or(local_addr.port())),
            producer_ids: ProducerIdAllocator::in_memory(options.broker_id),
            options,
            storage: storage.clone(),
        });
        let (shutdown, shutdown_rx) = watch::channel(false);
        let acceptor = tokio::spawn(accept_loop(listener, context, shutdown_rx));
        tracing::info!(%local_addr, "broker listening");
        Ok(BrokerHandle {
            local_addr,
            shutdown,
            acceptor,
            storage,
        })
    }
}

async fn accept_loop(
    listener: TcpListener,
    context: Arc<Context>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let context = Arc::clone(&context);
                    connections.spawn(async move {
                        if let Err(error) = connection::serve(context, stream).await {
                            tracing::debug!(%peer, %error, "connection closed");
                        }
                    });
                }
                Err(error) => tracing::warn!(%error, "accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.shutdown().await;
}

impl BrokerHandle {
    /// The address the listener is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes every connection, then closes the log dir cleanly (all logs
    /// flushed, checkpoints and the clean-shutdown marker written on return).
    pub async fn stop(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        self.acceptor.await.map_err(|error| ServerError::Task {
            reason: error.to_string(),
        })?;
        self.storage.close().await?;
        Ok(())
    }
}
