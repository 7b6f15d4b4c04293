//! The numbers of the ZooKeeper wire protocol: op codes, error codes, watch event types,
//! keeper states, create modes, permission bits and the special xids.
//!
//! These values are protocol: clients compare them numerically, so a number never changes
//! and new ones are only appended. Each numeric enum converts both ways (`from_i32` is
//! `None` for a number this server does not know; callers answer those as the protocol says,
//! for instance an unknown op code gets `Unimplemented`).

use std::fmt;

/// The request type in a `RequestHeader` (ZooKeeper's `OpCode`, 3.8).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// Server-to-client watch event (xid −1).
    Notification = 0,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetAcl = 6,
    SetAcl = 7,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    Check = 13,
    Multi = 14,
    Create2 = 15,
    Reconfig = 16,
    CheckWatches = 17,
    RemoveWatches = 18,
    CreateContainer = 19,
    DeleteContainer = 20,
    CreateTtl = 21,
    MultiRead = 22,
    Auth = 100,
    SetWatches = 101,
    Sasl = 102,
    GetEphemerals = 103,
    GetAllChildrenNumber = 104,
    SetWatches2 = 105,
    AddWatch = 106,
    WhoAmI = 107,
    /// A transaction type only: sessions are opened by the `ConnectRequest` handshake.
    CreateSession = -10,
    CloseSession = -11,
    /// The transaction type of a failed write, and the result type of a failed multi sub-op.
    Error = -1,
}

impl OpCode {
    /// Every op code, in the order of the protocol table.
    pub const ALL: [OpCode; 33] = [
        OpCode::Notification,
        OpCode::Create,
        OpCode::Delete,
        OpCode::Exists,
        OpCode::GetData,
        OpCode::SetData,
        OpCode::GetAcl,
        OpCode::SetAcl,
        OpCode::GetChildren,
        OpCode::Sync,
        OpCode::Ping,
        OpCode::GetChildren2,
        OpCode::Check,
        OpCode::Multi,
        OpCode::Create2,
        OpCode::Reconfig,
        OpCode::CheckWatches,
        OpCode::RemoveWatches,
        OpCode::CreateContainer,
        OpCode::DeleteContainer,
        OpCode::CreateTtl,
        OpCode::MultiRead,
        OpCode::Auth,
        OpCode::SetWatches,
        OpCode::Sasl,
        OpCode::GetEphemerals,
        OpCode::GetAllChildrenNumber,
        OpCode::SetWatches2,
        OpCode::AddWatch,
        OpCode::WhoAmI,
        OpCode::CreateSession,
        OpCode::CloseSession,
        OpCode::Error,
    ];

    /// The op code with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<OpCode> {
        let op = match value {
            0 => OpCode::Notification,
            1 => OpCode::Create,
            2 => OpCode::Delete,
            3 => OpCode::Exists,
            4 => OpCode::GetData,
            5 => OpCode::SetData,
            6 => OpCode::GetAcl,
            7 => OpCode::SetAcl,
            8 => OpCode::GetChildren,
            9 => OpCode::Sync,
            11 => OpCode::Ping,
            12 => OpCode::GetChildren2,
            13 => OpCode::Check,
            14 => OpCode::Multi,
            15 => OpCode::Create2,
            16 => OpCode::Reconfig,
            17 => OpCode::CheckWatches,
            18 => OpCode::RemoveWatches,
            19 => OpCode::CreateContainer,
            20 => OpCode::DeleteContainer,
            21 => OpCode::CreateTtl,
            22 => OpCode::MultiRead,
            100 => OpCode::Auth,
            101 => OpCode::SetWatches,
            102 => OpCode::Sasl,
            103 => OpCode::GetEphemerals,
            104 => OpCode::GetAllChildrenNumber,
            105 => OpCode::SetWatches2,
            106 => OpCode::AddWatch,
            107 => OpCode::WhoAmI,
            -10 => OpCode::CreateSession,
            -11 => OpCode::CloseSession,
            -1 => OpCode::Error,
            _ => return None,
        };
        Some(op)
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// The short name ZooKeeper prints for this op in `cons`/`dump` and its request logs.
    /// (ZooKeeper itself prints "unknown 106" for addWatch; "addWatch" is used here.)
    pub fn name(self) -> &'static str {
        match self {
            OpCode::Notification => "notification",
            OpCode::Create => "create",
            OpCode::Delete => "delete",
            OpCode::Exists => "exists",
            OpCode::GetData => "getData",
            OpCode::SetData => "setData",
            OpCode::GetAcl => "getACL",
            OpCode::SetAcl => "setACL",
            OpCode::GetChildren => "getChildren",
            OpCode::Sync => "sync",
            OpCode::Ping => "ping",
            OpCode::GetChildren2 => "getChildren2",
            OpCode::Check => "check",
            OpCode::Multi => "multi",
            OpCode::Create2 => "create2",
            OpCode::Reconfig => "reconfig",
            OpCode::CheckWatches => "checkWatches",
            OpCode::RemoveWatches => "removeWatches",
            OpCode::CreateContainer => "createContainer",
            OpCode::DeleteContainer => "deleteContainer",
            OpCode::CreateTtl => "createTtl",
            OpCode::MultiRead => "multiRead",
            OpCode::Auth => "auth",
            OpCode::SetWatches => "setWatches",
            OpCode::Sasl => "sasl",
            OpCode::GetEphemerals => "getEphemerals",
            OpCode::GetAllChildrenNumber => "getAllChildrenNumber",
            OpCode::SetWatches2 => "setWatches2",
            OpCode::AddWatch => "addWatch",
            OpCode::WhoAmI => "whoAmI",
            OpCode::CreateSession => "createSession",
            OpCode::CloseSession => "closeSession",
            OpCode::Error => "error",
        }
    }
}

impl fmt::Display for OpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The `err` of a `ReplyHeader` or multi result (ZooKeeper's `KeeperException.Code`).
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Ok = 0,
    SystemError = -1,
    RuntimeInconsistency = -2,
    DataInconsistency = -3,
    ConnectionLoss = -4,
    MarshallingError = -5,
    Unimplemented = -6,
    OperationTimeout = -7,
    BadArguments = -8,
    UnknownSession = -12,
    NewConfigNoQuorum = -13,
    ReconfigInProgress = -14,
    ApiError = -100,
    NoNode = -101,
    NoAuth = -102,
    BadVersion = -103,
    NoChildrenForEphemerals = -108,
    NodeExists = -110,
    NotEmpty = -111,
    SessionExpired = -112,
    InvalidCallback = -113,
    InvalidAcl = -114,
    AuthFailed = -115,
    SessionMoved = -118,
    NotReadOnly = -119,
    EphemeralOnLocalSession = -120,
    NoWatcher = -121,
    RequestTimeout = -122,
    ReconfigDisabled = -123,
    SessionClosedRequireSaslAuth = -124,
    QuotaExceeded = -125,
    Throttled = -127,
}

impl ErrorCode {
    /// The error code with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<ErrorCode> {
        let code = match value {
            0 => ErrorCode::Ok,
            -1 => ErrorCode::SystemError,
            -2 => ErrorCode::RuntimeInconsistency,
            -3 => ErrorCode::DataInconsistency,
            -4 => ErrorCode::ConnectionLoss,
            -5 => ErrorCode::MarshallingError,
            -6 => ErrorCode::Unimplemented,
            -7 => ErrorCode::OperationTimeout,
            -8 => ErrorCode::BadArguments,
            -12 => ErrorCode::UnknownSession,
            -13 => ErrorCode::NewConfigNoQuorum,
            -14 => ErrorCode::ReconfigInProgress,
            -100 => ErrorCode::ApiError,
            -101 => ErrorCode::NoNode,
            -102 => ErrorCode::NoAuth,
            -103 => ErrorCode::BadVersion,
            -108 => ErrorCode::NoChildrenForEphemerals,
            -110 => ErrorCode::NodeExists,
            -111 => ErrorCode::NotEmpty,
            -112 => ErrorCode::SessionExpired,
            -113 => ErrorCode::InvalidCallback,
            -114 => ErrorCode::InvalidAcl,
            -115 => ErrorCode::AuthFailed,
            -118 => ErrorCode::SessionMoved,
            -119 => ErrorCode::NotReadOnly,
            -120 => ErrorCode::EphemeralOnLocalSession,
            -121 => ErrorCode::NoWatcher,
            -122 => ErrorCode::RequestTimeout,
            -123 => ErrorCode::ReconfigDisabled,
            -124 => ErrorCode::SessionClosedRequireSaslAuth,
            -125 => ErrorCode::QuotaExceeded,
            -127 => ErrorCode::Throttled,
            _ => return None,
        };
        Some(code)
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }

    /// ZooKeeper's name for the code, as its `KeeperException.Code` spells it in CamelCase.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Ok => "OK",
            ErrorCode::SystemError => "SystemError",
            ErrorCode::RuntimeInconsistency => "RuntimeInconsistency",
            ErrorCode::DataInconsistency => "DataInconsistency",
            ErrorCode::ConnectionLoss => "ConnectionLoss",
            ErrorCode::MarshallingError => "MarshallingError",
            ErrorCode::Unimplemented => "Unimplemented",
            ErrorCode::OperationTimeout => "OperationTimeout",
            ErrorCode::BadArguments => "BadArguments",
            ErrorCode::UnknownSession => "UnknownSession",
            ErrorCode::NewConfigNoQuorum => "NewConfigNoQuorum",
            ErrorCode::ReconfigInProgress => "ReconfigInProgress",
            ErrorCode::ApiError => "APIError",
            ErrorCode::NoNode => "NoNode",
            ErrorCode::NoAuth => "NoAuth",
            ErrorCode::BadVersion => "BadVersion",
            ErrorCode::NoChildrenForEphemerals => "NoChildrenForEphemerals",
            ErrorCode::NodeExists => "NodeExists",
            ErrorCode::NotEmpty => "NotEmpty",
            ErrorCode::SessionExpired => "SessionExpired",
            ErrorCode::InvalidCallback => "InvalidCallback",
            ErrorCode::InvalidAcl => "InvalidACL",
            ErrorCode::AuthFailed => "AuthFailed",
            ErrorCode::SessionMoved => "SessionMoved",
            ErrorCode::NotReadOnly => "NotReadOnly",
            ErrorCode::EphemeralOnLocalSession => "EphemeralOnLocalSession",
            ErrorCode::NoWatcher => "NoWatcher",
            ErrorCode::RequestTimeout => "RequestTimeout",
            ErrorCode::ReconfigDisabled => "ReconfigDisabled",
            ErrorCode::SessionClosedRequireSaslAuth => "SessionClosedRequireSaslAuth",
            ErrorCode::QuotaExceeded => "QuotaExceeded",
            ErrorCode::Throttled => "Throttled",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::error::Error for ErrorCode {}

/// The `type` of a `WatcherEvent`.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

impl EventType {
    /// The event type with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<EventType> {
        let event = match value {
            -1 => EventType::None,
            1 => EventType::NodeCreated,
            2 => EventType::NodeDeleted,
            3 => EventType::NodeDataChanged,
            4 => EventType::NodeChildrenChanged,
            5 => EventType::DataWatchRemoved,
            6 => EventType::ChildWatchRemoved,
            7 => EventType::PersistentWatchRemoved,
            _ => return None,
        };
        Some(event)
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// The `state` of a `WatcherEvent`. Notifications from the server always carry
/// [`KeeperState::SyncConnected`]; clients synthesise the others themselves.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeeperState {
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Expired = -112,
    Closed = 7,
}

impl KeeperState {
    /// The keeper state with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<KeeperState> {
        let state = match value {
            0 => KeeperState::Disconnected,
            3 => KeeperState::SyncConnected,
            4 => KeeperState::AuthFailed,
            5 => KeeperState::ConnectedReadOnly,
            6 => KeeperState::SaslAuthenticated,
            -112 => KeeperState::Expired,
            7 => KeeperState::Closed,
            _ => return None,
        };
        Some(state)
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// The `flags` of a create request. Any flag outside 0..=6 is `BadArguments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CreateMode {
    Persistent,
    Ephemeral,
    PersistentSequential,
    EphemeralSequential,
    Container,
    PersistentWithTtl,
    PersistentSequentialWithTtl,
}

impl CreateMode {
    /// The mode for these create flags, if they name one.
    pub fn from_flags(flags: i32) -> Option<CreateMode> {
        let mode = match flags {
            0 => CreateMode::Persistent,
            1 => CreateMode::Ephemeral,
            2 => CreateMode::PersistentSequential,
            3 => CreateMode::EphemeralSequential,
            4 => CreateMode::Container,
            5 => CreateMode::PersistentWithTtl,
            6 => CreateMode::PersistentSequentialWithTtl,
            _ => return None,
        };
        Some(mode)
    }

    /// The wire flags for this mode.
    pub fn flags(self) -> i32 {
        match self {
            CreateMode::Persistent => 0,
            CreateMode::Ephemeral => 1,
            CreateMode::PersistentSequential => 2,
            CreateMode::EphemeralSequential => 3,
            CreateMode::Container => 4,
            CreateMode::PersistentWithTtl => 5,
            CreateMode::PersistentSequentialWithTtl => 6,
        }
    }

    /// The node is deleted when its session ends.
    pub fn is_ephemeral(self) -> bool {
        matches!(
            self,
            CreateMode::Ephemeral | CreateMode::EphemeralSequential
        )
    }

    /// The name gets the parent's `%010d` create-counter suffix.
    pub fn is_sequential(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentSequential
                | CreateMode::EphemeralSequential
                | CreateMode::PersistentSequentialWithTtl
        )
    }

    /// The node is removed by the server once it has had children and has none left.
    pub fn is_container(self) -> bool {
        self == CreateMode::Container
    }

    /// The node is removed by the server once it is older than its TTL and has no children.
    pub fn is_ttl(self) -> bool {
        matches!(
            self,
            CreateMode::PersistentWithTtl | CreateMode::PersistentSequentialWithTtl
        )
    }
}

/// ACL permission bits (`ACL.perms`).
pub mod perms {
    pub const READ: i32 = 1;
    pub const WRITE: i32 = 2;
    pub const CREATE: i32 = 4;
    pub const DELETE: i32 = 8;
    pub const ADMIN: i32 = 16;
    pub const ALL: i32 = READ | WRITE | CREATE | DELETE | ADMIN;
}

/// Reserved xids: messages that are not matched against a client's pending requests.
pub mod xid {
    /// A watch notification (server to client).
    pub const NOTIFICATION: i32 = -1;
    /// A ping and its reply.
    pub const PING: i32 = -2;
    /// An auth packet and its reply.
    pub const AUTH: i32 = -4;
    /// setWatches / setWatches2 on reconnect, and their reply.
    pub const SET_WATCHES: i32 = -8;
}

/// The watch kind named by checkWatches / removeWatches.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherType {
    Children = 1,
    Data = 2,
    /// Both kinds, persistent watches included.
    Any = 3,
}

impl WatcherType {
    /// The watcher type with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<WatcherType> {
        match value {
            1 => Some(WatcherType::Children),
            2 => Some(WatcherType::Data),
            3 => Some(WatcherType::Any),
            _ => None,
        }
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

/// The mode of an addWatch request.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddWatchMode {
    /// A data and child watch on the path that survives triggering.
    Persistent = 0,
    /// Matches the path and every descendant; never fires NodeChildrenChanged.
    PersistentRecursive = 1,
}

impl AddWatchMode {
    /// The mode with this number, if there is one.
    pub fn from_i32(value: i32) -> Option<AddWatchMode> {
        match value {
            0 => Some(AddWatchMode::Persistent),
            1 => Some(AddWatchMode::PersistentRecursive),
            _ => None,
        }
    }

    /// The wire number.
    pub fn as_i32(self) -> i32 {
        self as i32
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn every_op_code_converts_both_ways() {
        for op in OpCode::ALL {
            assert_eq!(OpCode::from_i32(op.as_i32()), Some(op));
        }
        for unknown in [10, 23, 99, 108, 999, -2, -12, i32::MIN] {
            assert_eq!(OpCode::from_i32(unknown), None);
        }
    }

    #[test]
    fn op_names_match_zookeeper_logs() {
        assert_eq!(OpCode::GetData.name(), "getData");
        assert_eq!(OpCode::SetWatches.name(), "setWatches");
        assert_eq!(OpCode::GetAcl.name(), "getACL");
        assert_eq!(OpCode::CreateTtl.name(), "createTtl");
        assert_eq!(OpCode::CloseSession.to_string(), "closeSession");
    }

    #[test]
    fn error_codes_convert_and_print_zookeeper_names() {
        for value in -130..=1 {
            if let Some(code) = ErrorCode::from_i32(value) {
                assert_eq!(code.as_i32(), value);
            }
        }
        assert_eq!(ErrorCode::from_i32(-101), Some(ErrorCode::NoNode));
        assert_eq!(ErrorCode::NoNode.to_string(), "NoNode");
        assert_eq!(ErrorCode::from_i32(-127), Some(ErrorCode::Throttled));
        assert_eq!(ErrorCode::from_i32(-126), None);
        assert_eq!(ErrorCode::InvalidAcl.to_string(), "InvalidACL");
    }

    #[test]
    fn create_mode_flags_and_properties() {
        for flags in 0..=6 {
            assert_eq!(CreateMode::from_flags(flags).unwrap().flags(), flags);
        }
        assert_eq!(CreateMode::from_flags(7), None);
        assert_eq!(CreateMode::from_flags(99), None);
        assert_eq!(CreateMode::from_flags(-1), None);
        assert!(CreateMode::EphemeralSequential.is_ephemeral());
        assert!(CreateMode::EphemeralSequential.is_sequential());
        assert!(!CreateMode::Container.is_ephemeral());
        assert!(CreateMode::Container.is_container());
        assert!(CreateMode::PersistentSequentialWithTtl.is_ttl());
        assert!(CreateMode::PersistentSequentialWithTtl.is_sequential());
        assert!(!CreateMode::PersistentWithTtl.is_sequential());
    }

    #[test]
    fn small_enums_convert_both_ways() {
        for value in -120..=10 {
            if let Some(event) = EventType::from_i32(value) {
                assert_eq!(event.as_i32(), value);
            }
            if let Some(state) = KeeperState::from_i32(value) {
                assert_eq!(state.as_i32(), value);
            }
        }
        assert_eq!(KeeperState::from_i32(-112), Some(KeeperState::Expired));
        assert_eq!(EventType::from_i32(0), None);
        assert_eq!(WatcherType::from_i32(3), Some(WatcherType::Any));
        assert_eq!(WatcherType::from_i32(0), None);
        assert_eq!(
            AddWatchMode::from_i32(1),
            Some(AddWatchMode::PersistentRecursive)
        );
        assert_eq!(AddWatchMode::from_i32(2), None);
        assert_eq!(perms::ALL, 31);
    }
}
