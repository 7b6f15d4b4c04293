//! The shell's session with the server, and the watch events it prints.
//!
//! [`ShellSession`] owns at most one `zookeeper_client::Client`. It is
//! - not started (one-shot mode connects only when a command needs the server),
//! - live (connected or reconnecting inside the client library),
//! - unreachable (the last attempt failed; the next command tries again and reports
//!   `ConnectionLoss` if that fails too),
//! - or closed (`close`, or a terminal state: expired, auth failed). Commands then print
//!   "Not connected" until `connect`.
//!
//! Every watch the user sets, every persistent watch, the session-state watcher and pending
//! `addauth` requests run as small tasks that forward what they see into one channel, in the
//! order the client library dispatches it (the shell runs on a single-threaded runtime). After
//! each command the shell drains that channel before printing the command's own output, so an
//! event that arrived ahead of a reply is printed ahead of it, as zkCli does. Events are printed
//! as `WATCHER::` and `WatchedEvent state:… type:… path:…`, each preceded by an empty line;
//! one server event that fired several of the shell's watches is printed once.
//!
//! Each connection has a generation number; notifications from an older generation are
//! dropped, so a replaced session cannot print into the new one.

use std::future::Future;
use std::task::{Context, Waker};
use std::time::Duration;

use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;
use zookeeper_client::{
    Client, EventType, OneshotWatcher, PersistentWatcher, SessionState, StateWatcher, WatchedEvent,
};

use super::console::Console;

/// How long `close` waits for the server to confirm the end of the session.
const CLOSE_WAIT: Duration = Duration::from_secs(5);

/// Connection settings from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectSettings {
    /// Requested session timeout (zkCli's `-timeout`, 30 s by default).
    pub session_timeout: Duration,
    /// Accept a read-only session from a partitioned server (zkCli's `-r`).
    pub readonly: bool,
}

enum Connection {
    NotStarted,
    Live(Client),
    Unreachable,
    Closed,
}

/// Something a background task saw.
#[derive(Debug)]
enum Seen {
    Node(WatchedEvent),
    Session(SessionState),
}

#[derive(Debug)]
struct Notification {
    generation: u64,
    seen: Seen,
}

/// The session and its watches (see the module documentation).
pub struct ShellSession {
    server: String,
    settings: ConnectSettings,
    connection: Connection,
    generation: u64,
    sender: UnboundedSender<Notification>,
    receiver: UnboundedReceiver<Notification>,
    tasks: Vec<JoinHandle<()>>,
    print_watches: bool,
}

impl ShellSession {
    /// A session to `server` (`host:port[,host:port…][/chroot]`), not yet connected.
    pub fn new(server: String, settings: ConnectSettings) -> ShellSession {
        let (sender, receiver) = unbounded_channel();
        ShellSession {
            server,
            settings,
            connection: Connection::NotStarted,
            generation: 0,
            sender,
            receiver,
            tasks: Vec::new(),
            print_watches: true,
        }
    }

    /// The connect string, as shown in the prompt.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Whether watch and session events are printed.
    pub fn print_watches(&self) -> bool {
        self.print_watches
    }

    /// Turns the printing of watch and session events on or off.
    pub fn set_print_watches(&mut self, on: bool) {
        self.print_watches = on;
    }

    /// False once the session is closed, expired or failed authentication.
    pub fn is_alive(&self) -> bool {
        match &self.connection {
            Connection::Closed => false,
            Connection::Live(client) => !client.state().is_terminated(),
            Connection::NotStarted | Connection::Unreachable => true,
        }
    }

    /// The connection state word zkCli shows in its prompt.
    pub fn prompt_state(&self) -> &'static str {
        match &self.connection {
            Connection::NotStarted | Connection::Unreachable => "CONNECTING",
            Connection::Closed => "CLOSED",
            Connection::Live(client) => match client.state() {
                SessionState::SyncConnected => "CONNECTED",
                SessionState::ConnectedReadOnly => "CONNECTEDREADONLY",
                SessionState::Disconnected => "CONNECTING",
                SessionState::AuthFailed => "AUTH_FAILED",
                SessionState::Expired | SessionState::Closed => "CLOSED",
            },
        }
    }

    /// Connects to the current server; on success prints the `SyncConnected` event.
    pub async fn connect(&mut self, console: &Console) -> bool {
        let connector = Client::connector()
            .with_session_timeout(self.settings.session_timeout)
            .with_readonly(self.settings.readonly)
            .with_fail_eagerly();
        match connector.connect(&self.server).await {
            Ok(client) => {
                self.generation += 1;
                let state = client.state();
                self.forward_states(client.state_watcher());
                self.connection = Connection::Live(client);
                self.print_session_event(state, console);
                true
            }
            Err(_) => {
                self.connection = Connection::Unreachable;
                false
            }
        }
    }

    /// Replaces the server and reconnects (the old session is closed first, printing `Closed`).
    pub async fn reconnect(&mut self, server: Option<String>, console: &Console) {
        if self.is_alive() && matches!(self.connection, Connection::Live(_)) {
            self.close(true, console).await;
        }
        if let Some(server) = server {
            self.server = server;
        }
        self.connect(console).await;
    }

    /// A client for the next request, connecting first when not started or unreachable.
    /// `None` when closed or when the server cannot be reached.
    pub async fn live_client(&mut self, console: &Console) -> Option<Client> {
        if matches!(
            self.connection,
            Connection::NotStarted | Connection::Unreachable
        ) {
            self.connect(console).await;
        }
        match &self.connection {
            Connection::Live(client) => Some(client.clone()),
            _ => None,
        }
    }

    /// Ends the session: the server deletes its ephemerals. Prints the `Closed` event when
    /// `print_event` is set (zkCli prints it for `close`, `quit` and `connect`).
    pub async fn close(&mut self, print_event: bool, console: &Console) {
        let previous = std::mem::replace(&mut self.connection, Connection::Closed);
        if let Connection::Live(client) = previous {
            let mut states = client.state_watcher();
            drop(client);
            self.stop_tasks();
            let ended = async {
                while !states.peek_state().is_terminated() {
                    states.changed().await;
                }
            };
            // A server that went away cannot confirm; the session then simply expires there.
            let _confirmed = tokio::time::timeout(CLOSE_WAIT, ended).await;
        } else {
            self.stop_tasks();
        }
        self.generation += 1;
        if print_event {
            self.print_session_event(SessionState::Closed, console);
        }
    }

    fn stop_tasks(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }

    /// Starts printing the event of a one-shot watch when it fires.
    pub fn watch_once(&mut self, watcher: OneshotWatcher) {
        let sender = self.sender.clone();
        let generation = self.generation;
        self.tasks.push(tokio::spawn(async move {
            let event = watcher.changed().await;
            let _closed = sender.send(Notification {
                generation,
                seen: Seen::Node(event),
            });
        }));
    }

    /// Starts printing every event of a persistent watch until the session ends.
    pub fn watch_persistently(&mut self, mut watcher: PersistentWatcher) {
        let sender = self.sender.clone();
        let generation = self.generation;
        self.tasks.push(tokio::spawn(async move {
            loop {
                let event = watcher.changed().await;
                if event.event_type == EventType::Session {
                    if event.session_state.is_terminated() {
                        break;
                    }
                    continue;
                }
                if sender
                    .send(Notification {
                        generation,
                        seen: Seen::Node(event),
                    })
                    .is_err()
                {
                    break;
                }
            }
        }));
    }

    fn forward_states(&mut self, mut states: StateWatcher) {
        let sender = self.sender.clone();
        let generation = self.generation;
        self.tasks.push(tokio::spawn(async move {
            loop {
                let state = states.changed().await;
                if sender
                    .send(Notification {
                        generation,
                        seen: Seen::Session(state),
                    })
                    .is_err()
                    || state.is_terminated()
                {
                    break;
                }
            }
        }));
    }

    /// Sends an `addauth` request now, without waiting for the answer (as zkCli does); a
    /// refusal ends the session with `AuthFailed`, which the state watcher reports.
    pub fn send_auth(&mut self, client: &Client, scheme: String, auth: Vec<u8>) {
        let client = client.clone();
        let mut request = Box::pin(async move {
            let _answer = client.auth(&scheme, &auth).await;
        });
        // The first poll writes the request into the session queue, ahead of later commands.
        let mut context = Context::from_waker(Waker::noop());
        if request.as_mut().poll(&mut context).is_pending() {
            self.tasks.push(tokio::spawn(request));
        }
    }

    /// Prints every notification that has already arrived.
    pub async fn settle(&mut self, console: &Console) {
        // Let the forwarding tasks woken together with the reply run first.
        tokio::task::yield_now().await;
        let mut batch = Vec::new();
        while let Ok(notification) = self.receiver.try_recv() {
            batch.push(notification);
        }
        self.handle(batch, console);
    }

    /// Waits for the next notification, then prints it and any that arrived with it.
    pub async fn wait_and_print(&mut self, console: &Console) {
        let Some(first) = self.receiver.recv().await else {
            return;
        };
        let mut batch = vec![first];
        while let Ok(notification) = self.receiver.try_recv() {
            batch.push(notification);
        }
        self.handle(batch, console);
    }

    fn handle(&mut self, batch: Vec<Notification>, console: &Console) {
        let mut printed: Vec<(EventType, String)> = Vec::new();
        for notification in batch {
            if notification.generation != self.generation {
                continue;
            }
            match notification.seen {
                Seen::Node(event) => {
                    if event.event_type == EventType::Session {
                        continue;
                    }
                    let key = (event.event_type, event.path.clone());
                    if printed.contains(&key) {
                        continue;
                    }
                    printed.push(key);
                    if self.print_watches {
                        console.out_line(&format!("\nWATCHER::\n\n{}", format_node_event(&event)));
                    }
                }
                Seen::Session(state) => {
                    self.print_session_event(state, console);
                    if state.is_terminated() {
                        self.connection = Connection::Closed;
                        self.stop_tasks();
                        self.generation += 1;
                    }
                }
            }
        }
    }

    fn print_session_event(&self, state: SessionState, console: &Console) {
        if self.print_watches {
            console.out_line(&format!("\nWATCHER::\n\n{}", format_session_event(state)));
        }
    }
}

impl Drop for ShellSession {
    fn drop(&mut self) {
        self.stop_tasks();
    }
}

/// zkCli's name for a session state.
pub fn state_name(state: SessionState) -> &'static str {
    match state {
        SessionState::Disconnected => "Disconnected",
        SessionState::SyncConnected => "SyncConnected",
        SessionState::AuthFailed => "AuthFailed",
        SessionState::ConnectedReadOnly => "ConnectedReadOnly",
        SessionState::Expired => "Expired",
        SessionState::Closed => "Closed",
    }
}

/// zkCli's name for an event type.
pub fn event_type_name(event_type: EventType) -> &'static str {
    match event_type {
        EventType::Session => "None",
        EventType::NodeCreated => "NodeCreated",
        EventType::NodeDeleted => "NodeDeleted",
        EventType::NodeDataChanged => "NodeDataChanged",
        EventType::NodeChildrenChanged => "NodeChildrenChanged",
    }
}

/// The line printed for a session event.
pub fn format_session_event(state: SessionState) -> String {
    format!(
        "WatchedEvent state:{} type:None path:null",
        state_name(state)
    )
}

/// The line printed for a node event.
pub fn format_node_event(event: &WatchedEvent) -> String {
    format!(
        "WatchedEvent state:{} type:{} path:{}",
        state_name(event.session_state),
        event_type_name(event.event_type),
        event.path
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn events_print_like_zkcli() {
        assert_eq!(
            format_session_event(SessionState::SyncConnected),
            "WatchedEvent state:SyncConnected type:None path:null"
        );
        assert_eq!(
            format_session_event(SessionState::Closed),
            "WatchedEvent state:Closed type:None path:null"
        );
        assert_eq!(
            format_session_event(SessionState::AuthFailed),
            "WatchedEvent state:AuthFailed type:None path:null"
        );
        let event = WatchedEvent::new(EventType::NodeChildrenChanged, "/s1");
        assert_eq!(
            format_node_event(&event),
            "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/s1"
        );
    }

    #[test]
    fn new_session_is_alive_and_connecting() {
        let session = ShellSession::new(
            "127.0.0.1:1".to_string(),
            ConnectSettings {
                session_timeout: Duration::from_secs(30),
                readonly: false,
            },
        );
        assert!(session.is_alive());
        assert_eq!(session.prompt_state(), "CONNECTING");
        assert!(session.print_watches());
    }
}
