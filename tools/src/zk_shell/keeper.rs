//! ZooKeeper error codes as the shell reports them.
//!
//! [`KeeperCode`] is the wire error code (`KeeperException.Code` numbers, append-only).
//! [`keeper_message`] renders a failed operation the way zkCli does: a handful of codes get a
//! sentence of their own ("Node does not exist: /x"), every other one the generic
//! "KeeperErrorCode = <text> for <path>" form. [`KeeperCode::from_client_error`] is the one place
//! that maps `zookeeper_client::Error` onto codes.

use zookeeper_client::Error as ClientError;

/// A ZooKeeper error code (the `err` field of a reply header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeeperCode {
    SystemError,
    RuntimeInconsistency,
    DataInconsistency,
    ConnectionLoss,
    MarshallingError,
    Unimplemented,
    OperationTimeout,
    BadArguments,
    NewConfigNoQuorum,
    ReconfigInProgress,
    ApiError,
    NoNode,
    NoAuth,
    BadVersion,
    NoChildrenForEphemerals,
    NodeExists,
    NotEmpty,
    SessionExpired,
    InvalidCallback,
    InvalidAcl,
    AuthFailed,
    SessionMoved,
    NotReadOnly,
    EphemeralOnLocalSession,
    NoWatcher,
    RequestTimeout,
    ReconfigDisabled,
    SessionClosedRequireSaslAuth,
    QuotaExceeded,
    Throttled,
    /// A code this shell does not know by name.
    Other(i32),
}

impl KeeperCode {
    /// The numeric wire value.
    pub fn code(self) -> i32 {
        match self {
            KeeperCode::SystemError => -1,
            KeeperCode::RuntimeInconsistency => -2,
            KeeperCode::DataInconsistency => -3,
            KeeperCode::ConnectionLoss => -4,
            KeeperCode::MarshallingError => -5,
            KeeperCode::Unimplemented => -6,
            KeeperCode::OperationTimeout => -7,
            KeeperCode::BadArguments => -8,
            KeeperCode::NewConfigNoQuorum => -13,
            KeeperCode::ReconfigInProgress => -14,
            KeeperCode::ApiError => -100,
            KeeperCode::NoNode => -101,
            KeeperCode::NoAuth => -102,
            KeeperCode::BadVersion => -103,
            KeeperCode::NoChildrenForEphemerals => -108,
            KeeperCode::NodeExists => -110,
            KeeperCode::NotEmpty => -111,
            KeeperCode::SessionExpired => -112,
            KeeperCode::InvalidCallback => -113,
            KeeperCode::InvalidAcl => -114,
            KeeperCode::AuthFailed => -115,
            KeeperCode::SessionMoved => -118,
            KeeperCode::NotReadOnly => -119,
            KeeperCode::EphemeralOnLocalSession => -120,
            KeeperCode::NoWatcher => -121,
            KeeperCode::RequestTimeout => -122,
            KeeperCode::ReconfigDisabled => -123,
            KeeperCode::SessionClosedRequireSaslAuth => -124,
            KeeperCode::QuotaExceeded => -125,
            KeeperCode::Throttled => -127,
            KeeperCode::Other(code) => code,
        }
    }

    /// The text zkCli puts after "KeeperErrorCode = ".
    pub fn text(self) -> String {
        let text = match self {
            KeeperCode::SystemError => "SystemError",
            KeeperCode::RuntimeInconsistency => "RuntimeInconsistency",
            KeeperCode::DataInconsistency => "DataInconsistency",
            KeeperCode::ConnectionLoss => "ConnectionLoss",
            KeeperCode::MarshallingError => "MarshallingError",
            KeeperCode::Unimplemented => "Unimplemented",
            KeeperCode::OperationTimeout => "OperationTimeout",
            KeeperCode::BadArguments => "BadArguments",
            KeeperCode::NewConfigNoQuorum => "NewConfigNoQuorum",
            KeeperCode::ReconfigInProgress => "ReconfigInProgress",
            KeeperCode::ApiError => "APIError",
            KeeperCode::NoNode => "NoNode",
            KeeperCode::NoAuth => "NoAuth",
            KeeperCode::BadVersion => "BadVersion",
            KeeperCode::NoChildrenForEphemerals => "NoChildrenForEphemerals",
            KeeperCode::NodeExists => "NodeExists",
            KeeperCode::NotEmpty => "Directory not empty",
            KeeperCode::SessionExpired => "Session expired",
            KeeperCode::InvalidCallback => "Invalid callback",
            KeeperCode::InvalidAcl => "InvalidACL",
            KeeperCode::AuthFailed => "AuthFailed",
            KeeperCode::SessionMoved => "Session moved",
            KeeperCode::NotReadOnly => "Not a read-only call",
            KeeperCode::EphemeralOnLocalSession => "Ephemeral node on local session",
            KeeperCode::NoWatcher => "No such watcher",
            KeeperCode::RequestTimeout => "Unknown error REQUESTTIMEOUT",
            KeeperCode::ReconfigDisabled => "Reconfig is disabled",
            KeeperCode::SessionClosedRequireSaslAuth => {
                "Session closed because client failed to authenticate"
            }
            KeeperCode::QuotaExceeded => "Quota has exceeded",
            KeeperCode::Throttled => "Op throttled due to high load",
            KeeperCode::Other(code) => return format!("Unknown error {code}"),
        };
        text.to_string()
    }

    /// The code behind a client-library error, or `None` when the failure is local to the client
    /// (a malformed reply, an internal error) and has no ZooKeeper code.
    pub fn from_client_error(error: &ClientError) -> Option<KeeperCode> {
        let code = match error {
            ClientError::NoNode => KeeperCode::NoNode,
            ClientError::NoAuth => KeeperCode::NoAuth,
            ClientError::BadVersion => KeeperCode::BadVersion,
            ClientError::NoChildrenForEphemerals => KeeperCode::NoChildrenForEphemerals,
            ClientError::NodeExists => KeeperCode::NodeExists,
            ClientError::NotEmpty => KeeperCode::NotEmpty,
            ClientError::SessionExpired => KeeperCode::SessionExpired,
            ClientError::InvalidAcl => KeeperCode::InvalidAcl,
            ClientError::AuthFailed => KeeperCode::AuthFailed,
            ClientError::SessionMoved => KeeperCode::SessionMoved,
            ClientError::NotReadOnly => KeeperCode::NotReadOnly,
            ClientError::NoWatcher => KeeperCode::NoWatcher,
            ClientError::QuotaExceeded => KeeperCode::QuotaExceeded,
            ClientError::Throttled => KeeperCode::Throttled,
            ClientError::MarshallingError => KeeperCode::MarshallingError,
            ClientError::Unimplemented => KeeperCode::Unimplemented,
            ClientError::ConnectionLoss => KeeperCode::ConnectionLoss,
            ClientError::ReconfigDisabled => KeeperCode::ReconfigDisabled,
            ClientError::BadArguments(_) => KeeperCode::BadArguments,
            ClientError::RuntimeInconsistent => KeeperCode::RuntimeInconsistency,
            ClientError::UnexpectedErrorCode(code) => KeeperCode::from_code(*code),
            // A closed client or an unreachable ensemble look like a lost connection to the
            // Java shell, which is what zkCli reports for them.
            ClientError::ClientClosed | ClientError::NoHosts => KeeperCode::ConnectionLoss,
            ClientError::Timeout => KeeperCode::OperationTimeout,
            _ => return None,
        };
        Some(code)
    }

    /// The code for a numeric wire value.
    pub fn from_code(code: i32) -> KeeperCode {
        match code {
            -1 => KeeperCode::SystemError,
            -2 => KeeperCode::RuntimeInconsistency,
            -3 => KeeperCode::DataInconsistency,
            -4 => KeeperCode::ConnectionLoss,
            -5 => KeeperCode::MarshallingError,
            -6 => KeeperCode::Unimplemented,
            -7 => KeeperCode::OperationTimeout,
            -8 => KeeperCode::BadArguments,
            -13 => KeeperCode::NewConfigNoQuorum,
            -14 => KeeperCode::ReconfigInProgress,
            -100 => KeeperCode::ApiError,
            -101 => KeeperCode::NoNode,
            -102 => KeeperCode::NoAuth,
            -103 => KeeperCode::BadVersion,
            -108 => KeeperCode::NoChildrenForEphemerals,
            -110 => KeeperCode::NodeExists,
            -111 => KeeperCode::NotEmpty,
            -112 => KeeperCode::SessionExpired,
            -113 => KeeperCode::InvalidCallback,
            -114 => KeeperCode::InvalidAcl,
            -115 => KeeperCode::AuthFailed,
            -118 => KeeperCode::SessionMoved,
            -119 => KeeperCode::NotReadOnly,
            -120 => KeeperCode::EphemeralOnLocalSession,
            -121 => KeeperCode::NoWatcher,
            -122 => KeeperCode::RequestTimeout,
            -123 => KeeperCode::ReconfigDisabled,
            -124 => KeeperCode::SessionClosedRequireSaslAuth,
            -125 => KeeperCode::QuotaExceeded,
            -127 => KeeperCode::Throttled,
            other => KeeperCode::Other(other),
        }
    }
}

/// The generic exception text: "KeeperErrorCode = <text>" plus " for <path>" when known.
pub fn generic_message(code: KeeperCode, path: Option<&str>) -> String {
    match path {
        Some(path) => format!("KeeperErrorCode = {} for {path}", code.text()),
        None => format!("KeeperErrorCode = {}", code.text()),
    }
}

/// The line zkCli prints for a failed operation on `path` (`None` prints as "null", as the Java
/// shell does for errors raised before a request is sent).
pub fn keeper_message(code: KeeperCode, path: Option<&str>) -> String {
    let shown = path.unwrap_or("null");
    match code {
        KeeperCode::NoNode => format!("Node does not exist: {shown}"),
        KeeperCode::NoChildrenForEphemerals => format!("Ephemerals cannot have children: {shown}"),
        KeeperCode::NodeExists => format!("Node already exists: {shown}"),
        KeeperCode::NotEmpty => format!("Node not empty: {shown}"),
        KeeperCode::NotReadOnly => format!("Not a read-only call: {shown}"),
        KeeperCode::InvalidAcl => format!("Acl is not valid : {shown}"),
        KeeperCode::NoAuth => format!("Insufficient permission : {shown}"),
        KeeperCode::BadArguments => format!("Arguments are not valid : {shown}"),
        KeeperCode::BadVersion => format!("version No is not valid : {shown}"),
        KeeperCode::QuotaExceeded => format!("Quota has exceeded : {shown}"),
        KeeperCode::ReconfigInProgress => {
            "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
                .to_string()
        }
        KeeperCode::NewConfigNoQuorum => {
            "No quorum of new config is connected and up-to-date with the \
             leader of last committed config - try invoking reconfiguration after new servers are \
             connected and synced"
                .to_string()
        }
        other => generic_message(other, path),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn special_codes_have_their_own_sentences() {
        assert_eq!(
            keeper_message(KeeperCode::NoNode, Some("/x")),
            "Node does not exist: /x"
        );
        assert_eq!(
            keeper_message(KeeperCode::NodeExists, Some("/x")),
            "Node already exists: /x"
        );
        assert_eq!(
            keeper_message(KeeperCode::BadVersion, Some("/x")),
            "version No is not valid : /x"
        );
        assert_eq!(
            keeper_message(KeeperCode::NotEmpty, Some("/x")),
            "Node not empty: /x"
        );
        assert_eq!(
            keeper_message(KeeperCode::NoAuth, Some("/x")),
            "Insufficient permission : /x"
        );
        assert_eq!(
            keeper_message(KeeperCode::InvalidAcl, None),
            "Acl is not valid : null"
        );
    }

    #[test]
    fn other_codes_use_the_generic_form() {
        assert_eq!(
            keeper_message(KeeperCode::Unimplemented, Some("/t")),
            "KeeperErrorCode = Unimplemented for /t"
        );
        assert_eq!(
            keeper_message(KeeperCode::AuthFailed, Some("/")),
            "KeeperErrorCode = AuthFailed for /"
        );
        assert_eq!(
            generic_message(KeeperCode::InvalidAcl, None),
            "KeeperErrorCode = InvalidACL"
        );
        assert_eq!(
            keeper_message(KeeperCode::SessionExpired, Some("/a")),
            "KeeperErrorCode = Session expired for /a"
        );
    }

    #[test]
    fn codes_round_trip_through_numbers() {
        for number in [
            -1, -2, -3, -4, -5, -6, -7, -8, -13, -14, -100, -101, -102, -103, -108, -110, -111,
            -112, -113, -114, -115, -118, -119, -120, -121, -122, -123, -124, -125, -127, -999,
        ] {
            assert_eq!(KeeperCode::from_code(number).code(), number);
        }
        assert_eq!(KeeperCode::from_code(-999), KeeperCode::Other(-999));
    }

    #[test]
    fn client_errors_map_to_codes() {
        assert_eq!(
            KeeperCode::from_client_error(&ClientError::NoNode),
            Some(KeeperCode::NoNode)
        );
        assert_eq!(
            KeeperCode::from_client_error(&ClientError::UnexpectedErrorCode(-13)),
            Some(KeeperCode::NewConfigNoQuorum)
        );
        assert_eq!(
            KeeperCode::from_client_error(&ClientError::UnexpectedError("x".to_string())),
            None
        );
    }
}
