//! Process-wide logging: every binary calls [`init`] once at start-up.
//!
//! Lines go to stderr in the layout of Apache Kafka's console log4j pattern
//! `[%d] %p %m (%c)%n`, so operators and scripts that read Kafka logs read ours:
//!
//! ```text
//! [2026-11-21 23:28:00,123] INFO binding to port 0.0.0.0/0.0.0.0:2181 (coordinator::server)
//! ```
//!
//! - The timestamp is **UTC** (Kafka prints local time); it is formatted here from
//!   `SystemTime`, without a time-zone database.
//! - Between the level and the message come the enclosing spans, `name{fields}: `, then
//!   the event's fields after its message; the target closes the line in parentheses.
//! - The level filter is `default_level` unless the `LOG_LEVEL` environment variable
//!   holds `tracing` filter directives: a bare level (`debug`) replaces the default,
//!   target directives alone (`coordinator=debug`) refine it.
//! - Levels are coloured only when stderr is a terminal and `NO_COLOR` is unset.

use std::fmt;
use std::io::IsTerminal;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// The environment variable that overrides the default level.
pub const LOG_LEVEL_ENV: &str = "LOG_LEVEL";

/// Installs the global subscriber: Kafka-style lines on stderr, filtered by `LOG_LEVEL` or
/// else `default_level` (e.g. `"info"`).
///
/// An unparsable `LOG_LEVEL` is reported as a warning and `default_level` used instead.
/// Calling `init` again, or after another subscriber was installed, changes nothing.
pub fn init(default_level: &str) {
    let from_env = std::env::var(LOG_LEVEL_ENV).ok();
    let directives = filter_directives(default_level, from_env.as_deref());
    let (filter, rejected) = match EnvFilter::try_new(&directives) {
        Ok(filter) => (filter, None),
        Err(error) => {
            let fallback =
                EnvFilter::try_new(default_level).unwrap_or_else(|_| EnvFilter::new("info"));
            (fallback, Some(error))
        }
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let installed = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .event_format(KafkaLayout::new(colour))
        .with_env_filter(filter)
        .try_init()
        .is_ok();
    if let (true, Some(error)) = (installed, rejected) {
        tracing::warn!(
            "Ignoring {LOG_LEVEL_ENV}={}: {error}",
            from_env.unwrap_or_default()
        );
    }
}

/// The filter directives for `default_level` refined or replaced by `LOG_LEVEL`.
fn filter_directives(default_level: &str, from_env: Option<&str>) -> String {
    let Some(from_env) = from_env.map(str::trim).filter(|value| !value.is_empty()) else {
        return default_level.to_owned();
    };
    let sets_global_level = from_env
        .split(',')
        .map(str::trim)
        .any(|directive| !directive.is_empty() && !directive.contains('='));
    if sets_global_level {
        from_env.to_owned()
    } else {
        format!("{default_level},{from_env}")
    }
}

/// Formats one event as `[timestamp] LEVEL spans: message fields (target)`.
pub struct KafkaLayout {
    colour: bool,
    clock: fn() -> SystemTime,
}

impl KafkaLayout {
    /// The layout with the system clock; `colour` adds ANSI colours to the level.
    pub fn new(colour: bool) -> Self {
        KafkaLayout {
            colour,
            clock: SystemTime::now,
        }
    }
}

impl<S, N> FormatEvent<S, N> for KafkaLayout
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let since_epoch = (self.clock)()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        write!(writer, "[{}] ", UtcTimestamp(since_epoch))?;
        let level = metadata.level();
        if self.colour {
            write!(writer, "\x1b[{}m{level}\x1b[0m ", level_colour(level))?;
        } else {
            write!(writer, "{level} ")?;
        }
        if let Some(scope) = context.event_scope() {
            for span in scope.from_root() {
                write!(writer, "{}", span.name())?;
                let extensions = span.extensions();
                if let Some(fields) = extensions.get::<FormattedFields<N>>() {
                    if !fields.is_empty() {
                        write!(writer, "{{{fields}}}")?;
                    }
                }
                write!(writer, ": ")?;
            }
        }
        context
            .field_format()
            .format_fields(writer.by_ref(), event)?;
        writeln!(writer, " ({})", metadata.target())
    }
}

/// ANSI SGR colour codes, in the spirit of the usual log colouring.
fn level_colour(level: &Level) -> &'static str {
    match *level {
        Level::ERROR => "31",
        Level::WARN => "33",
        Level::INFO => "32",
        Level::DEBUG => "34",
        Level::TRACE => "35",
    }
}

/// `YYYY-MM-DD HH:MM:SS,mmm` in UTC (log4j's ISO8601 layout) for a time since the epoch.
struct UtcTimestamp(Duration);

impl fmt::Display for UtcTimestamp {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.0.as_secs();
        let (year, month, day) =
            crate::time::civil_from_days(i64::try_from(seconds / 86_400).unwrap_or(i64::MAX));
        let second_of_day = seconds % 86_400;
        write!(
            formatter,
            "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02},{:03}",
            second_of_day / 3600,
            second_of_day % 3600 / 60,
            second_of_day % 60,
            self.0.subsec_millis()
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    fn timestamp(seconds: u64, millis: u64) -> String {
        UtcTimestamp(Duration::from_secs(seconds) + Duration::from_millis(millis)).to_string()
    }

    #[test]
    fn timestamps_use_log4j_iso8601_layout_in_utc() {
        assert_eq!(timestamp(0, 0), "1970-01-01 00:00:00,000");
        assert_eq!(timestamp(1_795_303_680, 123), "2026-11-21 23:28:00,123");
        assert_eq!(timestamp(1_709_208_000, 7), "2024-02-29 12:00:00,007");
        assert_eq!(timestamp(951_868_800, 0), "2000-03-01 00:00:00,000");
        assert_eq!(timestamp(4_133_980_799, 999), "2100-12-31 23:59:59,999");
    }

    #[test]
    fn bare_level_in_env_replaces_the_default() {
        assert_eq!(filter_directives("info", Some("debug")), "debug");
        assert_eq!(
            filter_directives("info", Some("warn,coordinator=trace")),
            "warn,coordinator=trace"
        );
    }

    #[test]
    fn target_directives_in_env_refine_the_default() {
        assert_eq!(
            filter_directives("info", Some("coordinator=debug")),
            "info,coordinator=debug"
        );
    }

    #[test]
    fn unset_or_blank_env_keeps_the_default() {
        assert_eq!(filter_directives("info", None), "info");
        assert_eq!(filter_directives("info", Some("  ")), "info");
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn fixed_clock() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_795_303_680_123)
    }

    fn capture(colour: bool, log: impl FnOnce()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(colour)
            .with_max_level(Level::TRACE)
            .event_format(KafkaLayout {
                colour,
                clock: fixed_clock,
            })
            .finish();
        tracing::subscriber::with_default(subscriber, log);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn event_is_written_in_kafka_console_layout() {
        let output = capture(false, || tracing::info!("binding to port {}", 2181));
        assert_eq!(
            output,
            "[2026-11-21 23:28:00,123] INFO binding to port 2181 (common::logging::tests)\n"
        );
    }

    #[test]
    fn fields_follow_the_message_and_spans_precede_it() {
        let output = capture(false, || {
            let span = tracing::info_span!("session", id = 7);
            let _entered = span.enter();
            tracing::warn!(target: "coordinator::session", timeout_ms = 4000, "expired");
        });
        assert_eq!(
            output,
            "[2026-11-21 23:28:00,123] WARN session{id=7}: expired timeout_ms=4000 (coordinator::session)\n"
        );
    }

    #[test]
    fn colour_wraps_only_the_level() {
        let output = capture(true, || tracing::error!("failed"));
        assert!(
            output.starts_with("[2026-11-21 23:28:00,123] \x1b[31mERROR\x1b[0m "),
            "{output:?}"
        );
        let plain = capture(false, || tracing::error!("failed"));
        assert!(!plain.contains('\x1b'), "{plain:?}");
    }
}
