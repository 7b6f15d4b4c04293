//! `zookeeper.properties`: the coordinator configuration.
//!
//! [`CoordinatorConfig::load`] reads the file given to `bin/zookeeper-server-start.sh`
//! (parsed by [`common::properties`]), applies ZooKeeper 3.8's defaults and checks every
//! value; `main` logs the returned [`ConfigWarning`]s and fails on a [`ConfigError`].
//! Nothing here does I/O except [`CoordinatorConfig::load`] and
//! [`CoordinatorConfig::describe`].
//!
//! Rules, following ZooKeeper's standalone server:
//! - Keys are case-sensitive; keys and values are trimmed; the last occurrence wins.
//! - Keys that ZooKeeper reads as `zookeeper.*` system properties (`snapCount`,
//!   `forceSync`, `4lw.commands.whitelist`, …) are also accepted with that prefix.
//! - Every value that is not a number, is negative where that has no meaning, is out of
//!   range, is not an IP address or not a yes/no is an error naming key and value.
//! - Keys that only matter to a replicated ensemble, and ZooKeeper features this server
//!   does not offer, are accepted with a warning; any other key warns "Unknown key".

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
pub use common::config::ConfigWarning;
use common::config::{bounded_integer, key_matches, IntegerProblem};
use common::properties::{Properties, PropertiesError};

/// The four-letter words ZooKeeper 3.8 knows.
pub const KNOWN_FOUR_LETTER_WORDS: [&str; 18] = [
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst",
    "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
];

/// The four-letter word every whitelist allows: `zkServer.sh status` relies on it, so
/// ZooKeeper always adds it.
const ALWAYS_ALLOWED_WORD: &str = "srvr";

/// Which four-letter words the client port answers (`4lw.commands.whitelist`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FourLetterWhitelist {
    /// `*`: every known word.
    All,
    /// Only these words; always contains `srvr`.
    Only(BTreeSet<String>),
}

impl FourLetterWhitelist {
    /// Whether `word` (e.g. `"ruok"`) may be executed.
    pub fn allows(&self, word: &str) -> bool {
        match self {
            FourLetterWhitelist::All => KNOWN_FOUR_LETTER_WORDS.contains(&word),
            FourLetterWhitelist::Only(words) => words.contains(word),
        }
    }

    /// ZooKeeper's default when the key is unset: only `srvr`.
    fn default_words() -> Self {
        FourLetterWhitelist::Only(BTreeSet::from([ALWAYS_ALLOWED_WORD.to_owned()]))
    }

    /// Parses the comma list; unknown words are dropped with a warning.
    fn parse(value: &str, warnings: &mut Vec<ConfigWarning>) -> Self {
        let mut words = BTreeSet::from([ALWAYS_ALLOWED_WORD.to_owned()]);
        for word in value
            .split(',')
            .map(str::trim)
            .filter(|word| !word.is_empty())
        {
            if word == "*" {
                return FourLetterWhitelist::All;
            }
            if KNOWN_FOUR_LETTER_WORDS.contains(&word) {
                words.insert(word.to_owned());
            } else {
                warnings.push(ConfigWarning(format!(
                    "Unknown four-letter word '{word}' in {WHITELIST} ignored"
                )));
            }
        }
        FourLetterWhitelist::Only(words)
    }
}

/// Why the configuration cannot be used; the coordinator does not start.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed.
    #[error("{source}")]
    Load {
        /// The configuration file.
        path: PathBuf,
        /// What went wrong, naming the path and line.
        source: PropertiesError,
    },
    /// A value is malformed or out of range.
    #[error("Invalid value for {key}: '{value}' ({reason})")]
    Invalid {
        /// The key as written in the file.
        key: String,
        /// The value as written (trimmed).
        value: String,
        /// What a valid value looks like.
        reason: String,
    },
    /// A required key is absent.
    #[error("{key} is not set")]
    Missing {
        /// The key.
        key: String,
    },
    /// Two values contradict each other.
    #[error(
        "minSessionTimeout must not be larger than maxSessionTimeout \
         ({min_session_timeout_ms} ms > {max_session_timeout_ms} ms)"
    )]
    Conflict {
        /// The effective minimum session timeout.
        min_session_timeout_ms: u128,
        /// The effective maximum session timeout.
        max_session_timeout_ms: u128,
    },
}

/// The coordinator's settings, with ZooKeeper 3.8's names and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordinatorConfig {
    /// `tickTime` (ms): the unit of session expiry; default 3000.
    pub tick_time: Duration,
    /// `dataDir`: snapshots live in `<dataDir>/version-2`; required.
    pub data_dir: PathBuf,
    /// `dataLogDir`: transaction logs live in `<dataLogDir>/version-2`; default `dataDir`.
    pub data_log_dir: PathBuf,
    /// `clientPort`: default 2181; 0 binds any free port.
    pub client_port: u16,
    /// `clientPortAddress`: the address to bind; `None` binds all addresses.
    pub client_port_address: Option<IpAddr>,
    /// `maxClientCnxns`: connections per client IP; default 60, 0 = unlimited.
    pub max_client_cnxns: u32,
    /// `minSessionTimeout` (ms): default 2 × tickTime.
    pub min_session_timeout: Duration,
    /// `maxSessionTimeout` (ms): default 20 × tickTime.
    pub max_session_timeout: Duration,
    /// `snapCount`: transactions between snapshots (randomised per ZooKeeper); default 100000.
    pub snap_count: u64,
    /// `autopurge.snapRetainCount`: snapshots (and their logs) kept; at least 3.
    pub autopurge_snap_retain_count: usize,
    /// `autopurge.purgeInterval` (hours): `None` (0, the default) disables purging.
    pub autopurge_purge_interval: Option<Duration>,
    /// `4lw.commands.whitelist`: default only `srvr`.
    pub four_letter_words: FourLetterWhitelist,
    /// `jute.maxbuffer` (bytes): largest accepted frame and znode data; default 0xfffff.
    pub jute_max_buffer: usize,
    /// `preAllocSize` (given in KB, held in bytes): log files grow in steps of this; default
    /// 64 MiB; 0 disables preallocation.
    pub preallocate_bytes: u64,
    /// `forceSync`: fsync the log before replying; default yes.
    pub force_sync: bool,
    /// `extendedTypesEnabled`: allows TTL nodes; default false.
    pub extended_types_enabled: bool,
    /// `znode.container.checkIntervalMs`: how often empty containers and expired TTL nodes
    /// are deleted; default 60 s.
    pub container_check_interval: Duration,
    /// `DigestAuthenticationProvider.superDigest`: `user:base64(sha1("user:password"))`
    /// of the super user, who passes every ACL check.
    pub super_digest: Option<String>,
    /// `admin.enableServer`: accepted for compatibility; there is no admin HTTP server.
    pub admin_enable_server: bool,
    /// `globalOutstandingLimit`: queued requests beyond which reading from clients pauses;
    /// default 1000.
    pub global_outstanding_limit: usize,
}

// Key names, as ZooKeeper spells them.
const TICK_TIME: &str = "tickTime";
const DATA_DIR: &str = "dataDir";
const DATA_LOG_DIR: &str = "dataLogDir";
const CLIENT_PORT: &str = "clientPort";
const CLIENT_PORT_ADDRESS: &str = "clientPortAddress";
const MAX_CLIENT_CNXNS: &str = "maxClientCnxns";
const MIN_SESSION_TIMEOUT: &str = "minSessionTimeout";
const MAX_SESSION_TIMEOUT: &str = "maxSessionTimeout";
const SNAP_COUNT: &str = "snapCount";
const SNAP_RETAIN_COUNT: &str = "autopurge.snapRetainCount";
const PURGE_INTERVAL: &str = "autopurge.purgeInterval";
const WHITELIST: &str = "4lw.commands.whitelist";
const JUTE_MAX_BUFFER: &str = "jute.maxbuffer";
const PRE_ALLOC_SIZE: &str = "preAllocSize";
const FORCE_SYNC: &str = "forceSync";
const EXTENDED_TYPES_ENABLED: &str = "extendedTypesEnabled";
const CONTAINER_CHECK_INTERVAL: &str = "znode.container.checkIntervalMs";
const SUPER_DIGEST: &str = "DigestAuthenticationProvider.superDigest";
const ADMIN_ENABLE_SERVER: &str = "admin.enableServer";
const GLOBAL_OUTSTANDING_LIMIT: &str = "globalOutstandingLimit";

/// Keys this module turns into settings.
const KNOWN_KEYS: [&str; 20] = [
    TICK_TIME,
    DATA_DIR,
    DATA_LOG_DIR,
    CLIENT_PORT,
    CLIENT_PORT_ADDRESS,
    MAX_CLIENT_CNXNS,
    MIN_SESSION_TIMEOUT,
    MAX_SESSION_TIMEOUT,
    SNAP_COUNT,
    SNAP_RETAIN_COUNT,
    PURGE_INTERVAL,
    WHITELIST,
    JUTE_MAX_BUFFER,
    PRE_ALLOC_SIZE,
    FORCE_SYNC,
    EXTENDED_TYPES_ENABLED,
    CONTAINER_CHECK_INTERVAL,
    SUPER_DIGEST,
    ADMIN_ENABLE_SERVER,
    GLOBAL_OUTSTANDING_LIMIT,
];

/// Keys ZooKeeper reads as `zookeeper.<key>` system properties, so both spellings work.
const SYSTEM_PROPERTY_KEYS: [&str; 10] = [
    SNAP_COUNT,
    WHITELIST,
    JUTE_MAX_BUFFER,
    PRE_ALLOC_SIZE,
    FORCE_SYNC,
    EXTENDED_TYPES_ENABLED,
    CONTAINER_CHECK_INTERVAL,
    SUPER_DIGEST,
    ADMIN_ENABLE_SERVER,
    GLOBAL_OUTSTANDING_LIMIT,
];

/// Keys (or `prefix.` families) that configure a replicated ensemble; one server has no use
/// for them.
const ENSEMBLE_KEYS: [&str; 22] = [
    "initLimit",
    "syncLimit",
    "connectToLearnerMasterLimit",
    "electionAlg",
    "electionPortBindRetry",
    "peerType",
    "quorumListenOnAllIPs",
    "standaloneEnabled",
    "reconfigEnabled",
    "dynamicConfigFile",
    "observerMasterPort",
    "syncEnabled",
    "leaderServes",
    "cnxTimeout",
    "sslQuorum",
    "sslQuorumReloadCertFiles",
    "oraclePath",
    "server.",
    "group.",
    "weight.",
    "quorum.",
    "multiAddress.",
];

/// ZooKeeper features this server does not offer (TLS, admin server, metrics, SASL, …).
const UNSUPPORTED_KEYS: [&str; 22] = [
    "secureClientPort",
    "secureClientPortAddress",
    "clientPortListenBacklog",
    "portUnification",
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "serverCnxnFactory",
    "admin.",
    "metricsProvider.",
    "jvm.pause.",
    "authProvider.",
    "ssl.",
    "client.",
    "sessionRequireClientSASLAuth",
    "enforce.auth.",
    "znode.container.maxPerMinute",
    "snapSizeLimitInKb",
    "txnLogSizeLimitInKb",
    "maxResponseCacheSize",
    "maxGetChildrenResponseCacheSize",
    "digest.enabled",
    "audit.enable",
];

/// The settings, key by key, with the last occurrence of each key.
struct Settings<'a> {
    values: BTreeMap<&'a str, &'a str>,
}

impl<'a> Settings<'a> {
    fn raw(&self, key: &str) -> Option<&'a str> {
        self.values.get(key).copied()
    }

    /// An integer in `min..=max`; `None` when the key is absent.
    fn integer(&self, key: &str, min: i64, max: i64) -> Result<Option<i64>, ConfigError> {
        self.raw(key)
            .map(|value| parse_integer(key, value, min, max))
            .transpose()
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, ConfigError> {
        self.raw(key)
            .map(|value| parse_flag(key, value))
            .transpose()
    }
}

fn invalid(key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

fn parse_integer(key: &str, value: &str, min: i64, max: i64) -> Result<i64, ConfigError> {
    bounded_integer(value, min, max).map_err(|problem| {
        let reason = match problem {
            IntegerProblem::NotANumber => "not a number".to_owned(),
            IntegerProblem::BelowMinimum { min: 0 } => "must not be negative".to_owned(),
            IntegerProblem::BelowMinimum { min } => format!("must be at least {min}"),
            IntegerProblem::AboveMaximum { max } => format!("must be at most {max}"),
        };
        invalid(key, value, reason)
    })
}

/// `yes`/`no` as ZooKeeper's `forceSync`, `true`/`false` as its boolean system properties.
fn parse_flag(key: &str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(invalid(key, value, "expected yes/no or true/false")),
    }
}

/// An IP address literal (IPv6 optionally in brackets) or `localhost`; other host names are
/// not resolved.
fn parse_address(key: &str, value: &str) -> Result<IpAddr, ConfigError> {
    if value.eq_ignore_ascii_case("localhost") {
        return Ok(IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    let literal = value
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(value);
    literal.parse().map_err(|_| {
        invalid(
            key,
            value,
            "not an IP address; host names other than localhost are not resolved",
        )
    })
}

/// `jute.maxbuffer` is read like Java's `Integer.getInteger`, so `0x` hex is accepted too.
fn parse_jute_max_buffer(value: &str) -> Result<usize, ConfigError> {
    let parsed = match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(hex) => i64::from_str_radix(hex, 16),
        None => value.parse(),
    };
    let number = parsed.map_err(|_| invalid(JUTE_MAX_BUFFER, value, "not a number"))?;
    if !(1..=i64::from(i32::MAX)).contains(&number) {
        return Err(invalid(
            JUTE_MAX_BUFFER,
            value,
            format!("must be between 1 and {}", i32::MAX),
        ));
    }
    usize::try_from(number)
        .map_err(|_| invalid(JUTE_MAX_BUFFER, value, "too large for this platform"))
}

/// `user:base64(sha1)` — the digest part must decode to the 20 bytes of a SHA-1.
fn parse_super_digest(value: &str) -> Result<String, ConfigError> {
    let reason = "expected user:base64-sha1-digest, as printed by DigestAuthenticationProvider";
    let (user, digest) = value
        .split_once(':')
        .ok_or_else(|| invalid(SUPER_DIGEST, value, reason))?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(digest)
        .map_err(|_| invalid(SUPER_DIGEST, value, reason))?;
    if user.is_empty() || decoded.len() != 20 {
        return Err(invalid(SUPER_DIGEST, value, reason));
    }
    Ok(value.to_owned())
}

/// A Java `int` of milliseconds, ZooKeeper's unit for times.
const MAX_MILLIS: i64 = i32::MAX as i64;

fn millis(number: i64) -> Duration {
    Duration::from_millis(number.unsigned_abs())
}

/// Converts a range-checked number to the field's type.
fn narrow<T: TryFrom<i64>>(key: &str, number: i64) -> Result<T, ConfigError> {
    T::try_from(number).map_err(|_| invalid(key, &number.to_string(), "out of range"))
}

impl CoordinatorConfig {
    /// Reads `path` and checks it, see [`CoordinatorConfig::from_properties`].
    pub fn load(path: &Path) -> Result<(CoordinatorConfig, Vec<ConfigWarning>), ConfigError> {
        let properties = Properties::load(path).map_err(|source| ConfigError::Load {
            path: path.to_path_buf(),
            source,
        })?;
        CoordinatorConfig::from_properties(&properties)
    }

    /// Builds the configuration from parsed properties; the warnings are for the operator.
    pub fn from_properties(
        properties: &Properties,
    ) -> Result<(CoordinatorConfig, Vec<ConfigWarning>), ConfigError> {
        let mut warnings = Vec::new();
        let settings = classify(properties, &mut warnings);

        let tick_millis = settings.integer(TICK_TIME, 1, MAX_MILLIS)?.unwrap_or(3000);
        let data_dir = match settings.raw(DATA_DIR) {
            Some(value) if !value.is_empty() => PathBuf::from(value),
            _ => {
                return Err(ConfigError::Missing {
                    key: DATA_DIR.to_owned(),
                })
            }
        };
        let data_log_dir = match settings.raw(DATA_LOG_DIR) {
            None => data_dir.clone(),
            Some("") => return Err(invalid(DATA_LOG_DIR, "", "empty path")),
            Some(value) => PathBuf::from(value),
        };
        let client_port = match settings.raw(CLIENT_PORT) {
            None => 2181,
            Some(value) => value
                .parse::<u16>()
                .map_err(|_| invalid(CLIENT_PORT, value, "not a port number (0-65535)"))?,
        };
        let client_port_address = settings
            .raw(CLIENT_PORT_ADDRESS)
            .map(|value| parse_address(CLIENT_PORT_ADDRESS, value))
            .transpose()?;
        let max_client_cnxns = settings
            .integer(MAX_CLIENT_CNXNS, 0, i64::from(i32::MAX))?
            .unwrap_or(60);

        // -1 asks for the tickTime-based default, as in ZooKeeper.
        let session_timeout = |key: &str, ticks: i64| -> Result<Duration, ConfigError> {
            let default = millis(tick_millis.saturating_mul(ticks));
            let Some(value) = settings.raw(key) else {
                return Ok(default);
            };
            let number: i64 = value
                .parse()
                .map_err(|_| invalid(key, value, "not a number"))?;
            match number {
                -1 => Ok(default),
                0..=MAX_MILLIS => Ok(millis(number)),
                _ if number < 0 => Err(invalid(
                    key,
                    value,
                    "must be -1 (the default) or not negative",
                )),
                _ => Err(invalid(key, value, format!("must be at most {MAX_MILLIS}"))),
            }
        };
        let min_session_timeout = session_timeout(MIN_SESSION_TIMEOUT, 2)?;
        let max_session_timeout = session_timeout(MAX_SESSION_TIMEOUT, 20)?;
        if min_session_timeout > max_session_timeout {
            return Err(ConfigError::Conflict {
                min_session_timeout_ms: min_session_timeout.as_millis(),
                max_session_timeout_ms: max_session_timeout.as_millis(),
            });
        }

        let snap_count = settings
            .integer(SNAP_COUNT, 2, i64::MAX)?
            .unwrap_or(100_000);
        let autopurge_snap_retain_count = match settings.raw(SNAP_RETAIN_COUNT) {
            None => 3,
            Some(value) => {
                let number: i64 = value
                    .parse()
                    .map_err(|_| invalid(SNAP_RETAIN_COUNT, value, "not a number"))?;
                // ZooKeeper never keeps fewer than 3 snapshots, whatever is asked.
                if number < 3 {
                    warnings.push(ConfigWarning(format!(
                        "Invalid {SNAP_RETAIN_COUNT}: {value}, using the minimum of 3"
                    )));
                    3
                } else {
                    narrow(SNAP_RETAIN_COUNT, number)?
                }
            }
        };
        let purge_hours = settings
            .integer(PURGE_INTERVAL, 0, i64::from(i32::MAX))?
            .unwrap_or(0);
        let autopurge_purge_interval =
            (purge_hours > 0).then(|| Duration::from_secs(purge_hours.unsigned_abs() * 3600));

        let four_letter_words = match settings.raw(WHITELIST) {
            None => FourLetterWhitelist::default_words(),
            Some(value) => FourLetterWhitelist::parse(value, &mut warnings),
        };
        let jute_max_buffer = settings
            .raw(JUTE_MAX_BUFFER)
            .map(parse_jute_max_buffer)
            .transpose()?
            .unwrap_or(0xfffff);
        let preallocate_kilobytes = settings
            .integer(PRE_ALLOC_SIZE, 0, i64::MAX / 1024)?
            .unwrap_or(65_536);
        let force_sync = settings.flag(FORCE_SYNC)?.unwrap_or(true);
        let extended_types_enabled = settings.flag(EXTENDED_TYPES_ENABLED)?.unwrap_or(false);
        let container_check_millis = settings
            .integer(CONTAINER_CHECK_INTERVAL, 1, MAX_MILLIS)?
            .unwrap_or(60_000);
        let super_digest = settings
            .raw(SUPER_DIGEST)
            .map(parse_super_digest)
            .transpose()?;
        let admin_enable_server = settings.flag(ADMIN_ENABLE_SERVER)?.unwrap_or(false);
        if admin_enable_server {
            warnings.push(ConfigWarning(format!(
                "{ADMIN_ENABLE_SERVER}=true ignored: this server has no admin HTTP server; \
                 use the four-letter words on the client port"
            )));
        }
        let global_outstanding_limit = settings
            .integer(GLOBAL_OUTSTANDING_LIMIT, 1, i64::from(i32::MAX))?
            .unwrap_or(1000);

        let config = CoordinatorConfig {
            tick_time: millis(tick_millis),
            data_dir,
            data_log_dir,
            client_port,
            client_port_address,
            max_client_cnxns: narrow(MAX_CLIENT_CNXNS, max_client_cnxns)?,
            min_session_timeout,
            max_session_timeout,
            snap_count: narrow(SNAP_COUNT, snap_count)?,
            autopurge_snap_retain_count,
            autopurge_purge_interval,
            four_letter_words,
            jute_max_buffer,
            preallocate_bytes: narrow::<u64>(PRE_ALLOC_SIZE, preallocate_kilobytes)? * 1024,
            force_sync,
            extended_types_enabled,
            container_check_interval: millis(container_check_millis),
            super_digest,
            admin_enable_server,
            global_outstanding_limit: narrow(GLOBAL_OUTSTANDING_LIMIT, global_outstanding_limit)?,
        };
        Ok((config, warnings))
    }

    /// `<dataDir>/version-2`, where snapshots live (ZooKeeper's layout).
    pub fn snapshot_dir(&self) -> PathBuf {
        self.data_dir.join("version-2")
    }

    /// `<dataLogDir>/version-2`, where transaction logs live (ZooKeeper's layout).
    pub fn transaction_log_dir(&self) -> PathBuf {
        self.data_log_dir.join("version-2")
    }

    /// The `conf` four-letter word's lines, in the order and with the names of a
    /// standalone ZooKeeper 3.8 (which does not list `clientPortAddress` there).
    ///
    /// `clientPort` is the configured port (0 when any free port was asked for).
    /// `dataDirSize` and `dataLogSize` are the byte totals of the files under the two
    /// `version-2` directories, so this walks them: blocking file-system calls, to be made
    /// off the async runtime threads. An unreadable directory counts as 0 bytes.
    pub fn describe(&self) -> Vec<(String, String)> {
        let snapshot_dir = absolute(&self.snapshot_dir());
        let log_dir = absolute(&self.transaction_log_dir());
        let lines = [
            ("clientPort", self.client_port.to_string()),
            // No TLS port: ZooKeeper prints -1 when it is unset.
            ("secureClientPort", "-1".to_owned()),
            ("dataDir", snapshot_dir.display().to_string()),
            ("dataDirSize", directory_size(&snapshot_dir).to_string()),
            ("dataLogDir", log_dir.display().to_string()),
            ("dataLogSize", directory_size(&log_dir).to_string()),
            ("tickTime", self.tick_time.as_millis().to_string()),
            ("maxClientCnxns", self.max_client_cnxns.to_string()),
            (
                "minSessionTimeout",
                self.min_session_timeout.as_millis().to_string(),
            ),
            (
                "maxSessionTimeout",
                self.max_session_timeout.as_millis().to_string(),
            ),
            // The kernel's default listen backlog, which ZooKeeper prints as -1.
            ("clientPortListenBacklog", "-1".to_owned()),
            // A standalone server has id 0.
            ("serverId", "0".to_owned()),
        ];
        lines
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }
}

/// Sorts keys into settings and warnings: last occurrence wins, `zookeeper.` prefixes of
/// system-property keys are dropped, ignored and unknown keys are reported.
fn classify<'a>(properties: &'a Properties, warnings: &mut Vec<ConfigWarning>) -> Settings<'a> {
    let mut values = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for (key, value, _line) in properties.iter() {
        let key = key.trim();
        let key = match key.strip_prefix("zookeeper.") {
            Some(rest) if SYSTEM_PROPERTY_KEYS.contains(&rest) => rest,
            _ => key,
        };
        if KNOWN_KEYS.contains(&key) {
            values.insert(key, value.trim());
            continue;
        }
        if !reported.insert(key) {
            continue;
        }
        let warning = if ENSEMBLE_KEYS
            .iter()
            .any(|pattern| key_matches(key, pattern))
        {
            format!("Ignoring {key}: it only applies to a replicated ensemble and this is a single server")
        } else if UNSUPPORTED_KEYS
            .iter()
            .any(|pattern| key_matches(key, pattern))
        {
            format!("Ignoring {key}: not supported by this server")
        } else {
            format!("Unknown key {key} ignored")
        };
        warnings.push(ConfigWarning(warning));
    }
    Settings { values }
}

/// `path` made absolute against the current directory, without resolving links (as Java's
/// `File.getAbsolutePath`).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Total bytes of the files under `path`, recursively; unreadable entries count 0.
fn directory_size(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    let mut total = 0u64;
    for entry in entries.flatten() {
        let Ok(file_type) = entry.file_type() else {
            continue;
        };
        if file_type.is_dir() {
            total = total.saturating_add(directory_size(&entry.path()));
        } else if let Ok(metadata) = entry.metadata() {
            total = total.saturating_add(metadata.len());
        }
    }
    total
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(CoordinatorConfig, Vec<ConfigWarning>), ConfigError> {
        CoordinatorConfig::from_properties(&Properties::parse(text).unwrap())
    }

    fn config(text: &str) -> CoordinatorConfig {
        parse(text).unwrap().0
    }

    fn warnings(text: &str) -> Vec<String> {
        parse(text)
            .unwrap()
            .1
            .into_iter()
            .map(|warning| warning.to_string())
            .collect()
    }

    fn error(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn defaults_are_zookeepers() {
        let (config, warnings) = parse("dataDir=/tmp/zk").unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            config,
            CoordinatorConfig {
                tick_time: Duration::from_millis(3000),
                data_dir: PathBuf::from("/tmp/zk"),
                data_log_dir: PathBuf::from("/tmp/zk"),
                client_port: 2181,
                client_port_address: None,
                max_client_cnxns: 60,
                min_session_timeout: Duration::from_millis(6000),
                max_session_timeout: Duration::from_millis(60000),
                snap_count: 100_000,
                autopurge_snap_retain_count: 3,
                autopurge_purge_interval: None,
                four_letter_words: FourLetterWhitelist::Only(BTreeSet::from(["srvr".to_owned()])),
                jute_max_buffer: 1_048_575,
                preallocate_bytes: 64 * 1024 * 1024,
                force_sync: true,
                extended_types_enabled: false,
                container_check_interval: Duration::from_secs(60),
                super_digest: None,
                admin_enable_server: false,
                global_outstanding_limit: 1000,
            }
        );
    }

    #[test]
    fn kafka_shipped_file_loads_without_warnings() {
        let text =
            "dataDir=/tmp/zookeeper\nclientPort=2181\nmaxClientCnxns=0\nadmin.enableServer=false\n\
                    # admin.serverPort=8080\n4lw.commands.whitelist=*\n";
        let (config, warnings) = parse(text).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.max_client_cnxns, 0);
        assert_eq!(config.four_letter_words, FourLetterWhitelist::All);
    }

    #[test]
    fn shipped_config_file_loads_without_warnings() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/zookeeper.properties");
        let (config, warnings) = CoordinatorConfig::load(&path).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/zookeeper"));
        assert_eq!(config.client_port, 2181);
        assert_eq!(config.max_client_cnxns, 0);
        assert!(!config.admin_enable_server);
        assert_eq!(config.four_letter_words, FourLetterWhitelist::All);
    }

    #[test]
    fn data_dir_is_required() {
        assert_eq!(error("clientPort=2181"), "dataDir is not set");
        assert!(
            matches!(parse("dataDir=").unwrap_err(), ConfigError::Missing { key } if key == "dataDir")
        );
    }

    #[test]
    fn data_log_dir_defaults_to_data_dir_and_can_be_separate() {
        assert_eq!(config("dataDir=/a").data_log_dir, PathBuf::from("/a"));
        assert_eq!(
            config("dataDir=/a\ndataLogDir=/b").data_log_dir,
            PathBuf::from("/b")
        );
        assert!(matches!(
            parse("dataDir=/a\ndataLogDir=").unwrap_err(),
            ConfigError::Invalid { .. }
        ));
    }

    #[test]
    fn values_are_trimmed_and_last_occurrence_wins() {
        let config = config("dataDir = /data  \nclientPort=1111\nclientPort = 2222 \t");
        assert_eq!(config.data_dir, PathBuf::from("/data"));
        assert_eq!(config.client_port, 2222);
    }

    #[test]
    fn tick_time_must_be_a_positive_number() {
        assert_eq!(
            config("dataDir=/d\ntickTime=2000").tick_time,
            Duration::from_millis(2000)
        );
        assert_eq!(
            error("dataDir=/d\ntickTime=fast"),
            "Invalid value for tickTime: 'fast' (not a number)"
        );
        assert_eq!(
            error("dataDir=/d\ntickTime=0"),
            "Invalid value for tickTime: '0' (must be at least 1)"
        );
        assert_eq!(
            error("dataDir=/d\ntickTime=-5"),
            "Invalid value for tickTime: '-5' (must be at least 1)"
        );
    }

    #[test]
    fn client_port_must_be_a_port() {
        assert_eq!(config("dataDir=/d\nclientPort=0").client_port, 0);
        assert_eq!(config("dataDir=/d\nclientPort=65535").client_port, 65535);
        for bad in ["65536", "-1", "http", ""] {
            let message = error(&format!("dataDir=/d\nclientPort={bad}"));
            assert_eq!(
                message,
                format!("Invalid value for clientPort: '{bad}' (not a port number (0-65535))")
            );
        }
    }

    #[test]
    fn client_port_address_must_be_an_ip_address() {
        let v4 = config("dataDir=/d\nclientPortAddress=127.0.0.1");
        assert_eq!(v4.client_port_address, Some("127.0.0.1".parse().unwrap()));
        let v6 = config("dataDir=/d\nclientPortAddress=[::1]");
        assert_eq!(v6.client_port_address, Some("::1".parse().unwrap()));
        let localhost = config("dataDir=/d\nclientPortAddress=localhost");
        assert_eq!(
            localhost.client_port_address,
            Some(IpAddr::V4(Ipv4Addr::LOCALHOST))
        );
        let bad = parse("dataDir=/d\nclientPortAddress=300.1.1.1").unwrap_err();
        assert!(
            matches!(bad, ConfigError::Invalid { ref key, ref value, .. }
            if key == "clientPortAddress" && value == "300.1.1.1")
        );
        assert!(parse("dataDir=/d\nclientPortAddress=zk.example.com").is_err());
    }

    #[test]
    fn max_client_cnxns_zero_is_unlimited_and_negative_is_rejected() {
        assert_eq!(config("dataDir=/d\nmaxClientCnxns=0").max_client_cnxns, 0);
        assert_eq!(config("dataDir=/d\nmaxClientCnxns=10").max_client_cnxns, 10);
        assert_eq!(
            error("dataDir=/d\nmaxClientCnxns=-1"),
            "Invalid value for maxClientCnxns: '-1' (must not be negative)"
        );
    }

    #[test]
    fn session_timeouts_default_to_tick_multiples() {
        let config = config("dataDir=/d\ntickTime=2000");
        assert_eq!(config.min_session_timeout, Duration::from_millis(4000));
        assert_eq!(config.max_session_timeout, Duration::from_millis(40000));
        let minus_one =
            self::config("dataDir=/d\ntickTime=2000\nminSessionTimeout=-1\nmaxSessionTimeout=-1");
        assert_eq!(minus_one.min_session_timeout, Duration::from_millis(4000));
        assert_eq!(minus_one.max_session_timeout, Duration::from_millis(40000));
    }

    #[test]
    fn session_timeouts_can_be_set() {
        let config = config("dataDir=/d\nminSessionTimeout=1000\nmaxSessionTimeout=90000");
        assert_eq!(config.min_session_timeout, Duration::from_millis(1000));
        assert_eq!(config.max_session_timeout, Duration::from_millis(90000));
        assert_eq!(
            error("dataDir=/d\nminSessionTimeout=-2"),
            "Invalid value for minSessionTimeout: '-2' (must be -1 (the default) or not negative)"
        );
        assert_eq!(
            error("dataDir=/d\nmaxSessionTimeout=soon"),
            "Invalid value for maxSessionTimeout: 'soon' (not a number)"
        );
        assert!(parse("dataDir=/d\nmaxSessionTimeout=9999999999").is_err());
    }

    #[test]
    fn min_session_timeout_above_max_is_a_conflict() {
        // With tickTime 2000 the default maximum is 40000.
        let conflict = parse("dataDir=/d\ntickTime=2000\nminSessionTimeout=50000").unwrap_err();
        assert!(matches!(
            conflict,
            ConfigError::Conflict {
                min_session_timeout_ms: 50000,
                max_session_timeout_ms: 40000
            }
        ));
        assert_eq!(
            conflict.to_string(),
            "minSessionTimeout must not be larger than maxSessionTimeout (50000 ms > 40000 ms)"
        );
        assert!(parse("dataDir=/d\nminSessionTimeout=5000\nmaxSessionTimeout=5000").is_ok());
    }

    #[test]
    fn snap_count_must_be_at_least_two() {
        assert_eq!(config("dataDir=/d\nsnapCount=2").snap_count, 2);
        assert_eq!(
            error("dataDir=/d\nsnapCount=1"),
            "Invalid value for snapCount: '1' (must be at least 2)"
        );
        assert_eq!(
            config("dataDir=/d\nzookeeper.snapCount=500").snap_count,
            500
        );
    }

    #[test]
    fn snap_retain_count_below_three_becomes_three_with_a_warning() {
        let (config, warnings) = parse("dataDir=/d\nautopurge.snapRetainCount=1").unwrap();
        assert_eq!(config.autopurge_snap_retain_count, 3);
        assert_eq!(
            warnings,
            vec![ConfigWarning(
                "Invalid autopurge.snapRetainCount: 1, using the minimum of 3".to_owned()
            )]
        );
        assert_eq!(
            self::config("dataDir=/d\nautopurge.snapRetainCount=10").autopurge_snap_retain_count,
            10
        );
        assert!(parse("dataDir=/d\nautopurge.snapRetainCount=many").is_err());
    }

    #[test]
    fn purge_interval_is_in_hours_and_zero_disables() {
        assert_eq!(
            config("dataDir=/d\nautopurge.purgeInterval=0").autopurge_purge_interval,
            None
        );
        assert_eq!(
            config("dataDir=/d\nautopurge.purgeInterval=2").autopurge_purge_interval,
            Some(Duration::from_secs(7200))
        );
        assert!(parse("dataDir=/d\nautopurge.purgeInterval=-1").is_err());
    }

    #[test]
    fn default_whitelist_allows_only_srvr() {
        let words = config("dataDir=/d").four_letter_words;
        assert!(words.allows("srvr"));
        assert!(!words.allows("ruok"));
        assert!(!words.allows("conf"));
    }

    #[test]
    fn whitelist_star_allows_every_known_word() {
        let words = config("dataDir=/d\n4lw.commands.whitelist=*").four_letter_words;
        for word in KNOWN_FOUR_LETTER_WORDS {
            assert!(words.allows(word), "{word}");
        }
        assert!(!words.allows("kill"));
        assert_eq!(
            config("dataDir=/d\n4lw.commands.whitelist=ruok, *").four_letter_words,
            FourLetterWhitelist::All
        );
    }

    #[test]
    fn whitelist_list_always_includes_srvr_and_warns_about_unknown_words() {
        let (config, warnings) =
            parse("dataDir=/d\n4lw.commands.whitelist= ruok , stat,,mntr,boom").unwrap();
        let expected: BTreeSet<String> = ["mntr", "ruok", "srvr", "stat"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(
            config.four_letter_words,
            FourLetterWhitelist::Only(expected)
        );
        assert!(config.four_letter_words.allows("ruok"));
        assert!(!config.four_letter_words.allows("conf"));
        assert_eq!(
            warnings,
            vec![ConfigWarning(
                "Unknown four-letter word 'boom' in 4lw.commands.whitelist ignored".to_owned()
            )]
        );
        let prefixed = self::config("dataDir=/d\nzookeeper.4lw.commands.whitelist=conf");
        assert!(prefixed.four_letter_words.allows("conf"));
    }

    #[test]
    fn jute_max_buffer_accepts_decimal_and_hex() {
        assert_eq!(
            config("dataDir=/d\njute.maxbuffer=4194304").jute_max_buffer,
            4_194_304
        );
        assert_eq!(
            config("dataDir=/d\njute.maxbuffer=0x400000").jute_max_buffer,
            4_194_304
        );
        assert!(parse("dataDir=/d\njute.maxbuffer=0").is_err());
        assert!(parse("dataDir=/d\njute.maxbuffer=0xZZ").is_err());
        assert!(parse("dataDir=/d\njute.maxbuffer=-1").is_err());
    }

    #[test]
    fn pre_alloc_size_is_given_in_kilobytes() {
        assert_eq!(
            config("dataDir=/d\npreAllocSize=1024").preallocate_bytes,
            1024 * 1024
        );
        assert_eq!(config("dataDir=/d\npreAllocSize=0").preallocate_bytes, 0);
        assert!(parse("dataDir=/d\npreAllocSize=-5").is_err());
        assert!(parse(&format!("dataDir=/d\npreAllocSize={}", i64::MAX)).is_err());
    }

    #[test]
    fn force_sync_takes_yes_no_and_true_false() {
        assert!(!config("dataDir=/d\nforceSync=no").force_sync);
        assert!(!config("dataDir=/d\nforceSync=FALSE").force_sync);
        assert!(config("dataDir=/d\nforceSync=yes").force_sync);
        assert!(config("dataDir=/d\nforceSync=true").force_sync);
        assert_eq!(
            error("dataDir=/d\nforceSync=sometimes"),
            "Invalid value for forceSync: 'sometimes' (expected yes/no or true/false)"
        );
    }

    #[test]
    fn extended_types_accept_both_spellings() {
        assert!(config("dataDir=/d\nextendedTypesEnabled=true").extended_types_enabled);
        assert!(config("dataDir=/d\nzookeeper.extendedTypesEnabled=true").extended_types_enabled);
        assert!(parse("dataDir=/d\nextendedTypesEnabled=1").is_err());
    }

    #[test]
    fn container_check_interval_must_be_positive() {
        let config = config("dataDir=/d\nznode.container.checkIntervalMs=500");
        assert_eq!(config.container_check_interval, Duration::from_millis(500));
        assert!(parse("dataDir=/d\nznode.container.checkIntervalMs=0").is_err());
    }

    #[test]
    fn super_digest_must_be_user_and_sha1_digest() {
        // base64(sha1("super:secret")), the form DigestAuthenticationProvider.generateDigest prints.
        let good = "super:lK75jTNcA+U9vtVEw5vB51mj/w4=";
        let text = format!("dataDir=/d\nDigestAuthenticationProvider.superDigest={good}");
        assert_eq!(config(&text).super_digest.as_deref(), Some(good));
        let prefixed =
            format!("dataDir=/d\nzookeeper.DigestAuthenticationProvider.superDigest={good}");
        assert_eq!(config(&prefixed).super_digest.as_deref(), Some(good));
        for bad in [
            "super",
            "super:not-base64!",
            ":lK75jTNcA+U9vtVEw5vB51mj/w4=",
            "super:c2hvcnQ=",
        ] {
            let text = format!("dataDir=/d\nDigestAuthenticationProvider.superDigest={bad}");
            assert!(
                matches!(parse(&text).unwrap_err(), ConfigError::Invalid { .. }),
                "{bad}"
            );
        }
    }

    #[test]
    fn admin_server_is_accepted_and_warned_about_when_enabled() {
        let (config, warnings) = parse("dataDir=/d\nadmin.enableServer=true").unwrap();
        assert!(config.admin_enable_server);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].0.contains("no admin HTTP server"),
            "{warnings:?}"
        );
        assert!(parse("dataDir=/d\nadmin.enableServer=maybe").is_err());
    }

    #[test]
    fn global_outstanding_limit_must_be_positive() {
        assert_eq!(
            config("dataDir=/d\nglobalOutstandingLimit=50").global_outstanding_limit,
            50
        );
        assert!(parse("dataDir=/d\nglobalOutstandingLimit=0").is_err());
    }

    #[test]
    fn ensemble_keys_are_ignored_with_a_warning() {
        let text =
            "dataDir=/d\ninitLimit=5\nsyncLimit=2\nserver.1=a:2888:3888\nserver.2=b:2888:3888\n\
                    quorum.auth.enableSasl=false";
        assert_eq!(warnings(text), vec![
            "Ignoring initLimit: it only applies to a replicated ensemble and this is a single server",
            "Ignoring syncLimit: it only applies to a replicated ensemble and this is a single server",
            "Ignoring server.1: it only applies to a replicated ensemble and this is a single server",
            "Ignoring server.2: it only applies to a replicated ensemble and this is a single server",
            "Ignoring quorum.auth.enableSasl: it only applies to a replicated ensemble and this is a single server",
        ]);
    }

    #[test]
    fn unsupported_features_are_ignored_with_a_warning() {
        let text =
            "dataDir=/d\nsecureClientPort=2182\nadmin.serverPort=8080\nmetricsProvider.className=x";
        assert_eq!(
            warnings(text),
            vec![
                "Ignoring secureClientPort: not supported by this server",
                "Ignoring admin.serverPort: not supported by this server",
                "Ignoring metricsProvider.className: not supported by this server",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_warned_once() {
        assert_eq!(
            warnings("dataDir=/d\nfrobnicate=1\nfrobnicate=2\nclientport=2181"),
            vec![
                "Unknown key frobnicate ignored",
                "Unknown key clientport ignored",
            ]
        );
    }

    #[test]
    fn load_names_the_path_on_failure() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("absent.properties");
        let error = CoordinatorConfig::load(&missing).unwrap_err();
        assert!(matches!(error, ConfigError::Load { ref path, .. } if *path == missing));
        assert!(error.to_string().contains("absent.properties"), "{error}");
    }

    #[test]
    fn load_reads_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zoo.cfg");
        fs::write(&path, "tickTime=2000\ndataDir=/var/zk\nclientPort=2191\n").unwrap();
        let (config, warnings) = CoordinatorConfig::load(&path).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(config.client_port, 2191);
        assert_eq!(config.tick_time, Duration::from_millis(2000));
    }

    #[test]
    fn describe_matches_zookeeper_conf_output() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let logs = dir.path().join("logs");
        fs::create_dir_all(data.join("version-2")).unwrap();
        fs::create_dir_all(logs.join("version-2/nested")).unwrap();
        fs::write(data.join("version-2/snapshot.0"), [0u8; 457]).unwrap();
        fs::write(logs.join("version-2/log.1"), [0u8; 100]).unwrap();
        fs::write(logs.join("version-2/nested/extra"), [0u8; 20]).unwrap();
        let text = format!(
            "tickTime=2000\ndataDir={}\ndataLogDir={}\nclientPort=21899\nmaxClientCnxns=0\nclientPortAddress=127.0.0.1",
            data.display(),
            logs.display()
        );
        let lines = config(&text).describe();
        let expected = vec![
            ("clientPort", "21899".to_owned()),
            ("secureClientPort", "-1".to_owned()),
            ("dataDir", data.join("version-2").display().to_string()),
            ("dataDirSize", "457".to_owned()),
            ("dataLogDir", logs.join("version-2").display().to_string()),
            ("dataLogSize", "120".to_owned()),
            ("tickTime", "2000".to_owned()),
            ("maxClientCnxns", "0".to_owned()),
            ("minSessionTimeout", "4000".to_owned()),
            ("maxSessionTimeout", "40000".to_owned()),
            ("clientPortListenBacklog", "-1".to_owned()),
            ("serverId", "0".to_owned()),
        ];
        let expected: Vec<(String, String)> = expected
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        assert_eq!(lines, expected);
    }

    #[test]
    fn describe_shows_absolute_paths_and_zero_size_for_missing_dirs() {
        let lines = config("dataDir=relative/zk").describe();
        let data_dir = &lines[2];
        assert_eq!(data_dir.0, "dataDir");
        assert!(Path::new(&data_dir.1).is_absolute(), "{data_dir:?}");
        assert!(
            data_dir.1.ends_with("relative/zk/version-2"),
            "{data_dir:?}"
        );
        assert_eq!(lines[3], ("dataDirSize".to_owned(), "0".to_owned()));
    }
}
