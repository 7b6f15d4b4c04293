//! The console consumer's record formatter, Kafka's `DefaultMessageFormatter`: per record,
//! the enabled fields in this order — timestamp (`CreateTime:<ms>` / `LogAppendTime:<ms>`),
//! `Partition:<p>`, `Offset:<o>`, headers (`k:v,k2:v2` or `NO_HEADERS`), key, value — the
//! fields separated by `key.separator` (tab), the record ended by `line.separator`
//! (newline). A missing key or value prints `null.literal` (`null`).

use std::io::Write;

use common::client::ConsumedRecord;
use kafka_protocol::records::TimestampType;

/// The formatter's `--property` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatterOptions {
    pub print_timestamp: bool,
    pub print_key: bool,
    pub print_offset: bool,
    pub print_partition: bool,
    pub print_headers: bool,
    pub print_value: bool,
    pub key_separator: String,
    pub line_separator: String,
    pub headers_separator: String,
    pub headers_key_separator: String,
    pub null_literal: String,
}

impl Default for FormatterOptions {
    fn default() -> Self {
        FormatterOptions {
            print_timestamp: false,
            print_key: false,
            print_offset: false,
            print_partition: false,
            print_headers: false,
            print_value: true,
            key_separator: "\t".to_string(),
            line_separator: "\n".to_string(),
            headers_separator: ",".to_string(),
            headers_key_separator: ":".to_string(),
            null_literal: "null".to_string(),
        }
    }
}

impl FormatterOptions {
    /// Applies `--property key=value` pairs; unknown keys are ignored, as Kafka does.
    pub fn from_properties(pairs: &[(String, String)]) -> FormatterOptions {
        let mut options = FormatterOptions::default();
        let flag = |value: &str| value.trim().eq_ignore_ascii_case("true");
        for (key, value) in pairs {
            match key.as_str() {
                "print.timestamp" => options.print_timestamp = flag(value),
                "print.key" => options.print_key = flag(value),
                "print.offset" => options.print_offset = flag(value),
                "print.partition" => options.print_partition = flag(value),
                "print.headers" => options.print_headers = flag(value),
                "print.value" => options.print_value = flag(value),
                "key.separator" => options.key_separator = value.clone(),
                "line.separator" => options.line_separator = value.clone(),
                "headers.separator" => options.headers_separator = value.clone(),
                "headers.key.separator" => options.headers_key_separator = value.clone(),
                "null.literal" => options.null_literal = value.clone(),
                _ => {}
            }
        }
        options
    }
}

/// Writes one record as the default formatter does.
pub fn write_record(
    out: &mut impl Write,
    record: &ConsumedRecord,
    options: &FormatterOptions,
) -> std::io::Result<()> {
    // Each field is followed by the key separator when a later field is printed, else by the
    // line separator (which also ends a record whose value is not printed).
    let fields = [
        options.print_timestamp,
        options.print_partition,
        options.print_offset,
        options.print_headers,
        options.print_key,
        options.print_value,
    ];
    let separator = |out: &mut dyn Write, index: usize| -> std::io::Result<()> {
        let more = fields.iter().skip(index + 1).any(|enabled| *enabled);
        if more {
            out.write_all(options.key_separator.as_bytes())
        } else {
            out.write_all(options.line_separator.as_bytes())
        }
    };
    if options.print_timestamp {
        let kind = match record.timestamp_type {
            TimestampType::Creation => "CreateTime",
            TimestampType::LogAppend => "LogAppendTime",
        };
        if record.timestamp < 0 {
            out.write_all(b"NO_TIMESTAMP")?;
        } else {
            write!(out, "{kind}:{}", record.timestamp)?;
        }
        separator(out, 0)?;
    }
    if options.print_partition {
        write!(out, "Partition:{}", record.partition)?;
        separator(out, 1)?;
    }
    if options.print_offset {
        write!(out, "Offset:{}", record.offset)?;
        separator(out, 2)?;
    }
    if options.print_headers {
        if record.headers.is_empty() {
            out.write_all(b"NO_HEADERS")?;
        } else {
            for (index, (name, value)) in record.headers.iter().enumerate() {
                if index > 0 {
                    out.write_all(options.headers_separator.as_bytes())?;
                }
                out.write_all(name.as_bytes())?;
                out.write_all(options.headers_key_separator.as_bytes())?;
                match value {
                    Some(value) => out.write_all(value)?,
                    None => out.write_all(options.null_literal.as_bytes())?,
                }
            }
        }
        separator(out, 3)?;
    }
    if options.print_key {
        match &record.key {
            Some(key) => out.write_all(key)?,
            None => out.write_all(options.null_literal.as_bytes())?,
        }
        separator(out, 4)?;
    }
    if options.print_value {
        match &record.value {
            Some(value) => out.write_all(value)?,
            None => out.write_all(options.null_literal.as_bytes())?,
        }
        out.write_all(options.line_separator.as_bytes())?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use std::sync::Arc;

    fn record() -> ConsumedRecord {
        ConsumedRecord {
            topic: Arc::from("t"),
            partition: 2,
            offset: 41,
            timestamp: 1_700_000_000_000,
            timestamp_type: TimestampType::Creation,
            key: Some(Bytes::from_static(b"k1")),
            value: Some(Bytes::from_static(b"v1")),
            headers: vec![("h".to_string(), Some(Bytes::from_static(b"x")))],
        }
    }

    fn format(pairs: &[(&str, &str)], record: &ConsumedRecord) -> String {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        let options = FormatterOptions::from_properties(&pairs);
        let mut out = Vec::new();
        write_record(&mut out, record, &options).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn value_only_by_default() {
        assert_eq!(format(&[], &record()), "v1\n");
    }

    #[test]
    fn every_field_in_kafkas_order() {
        let text = format(
            &[
                ("print.key", "true"),
                ("print.timestamp", "true"),
                ("print.offset", "TRUE"),
                ("print.partition", "true"),
                ("print.headers", "true"),
            ],
            &record(),
        );
        assert_eq!(
            text,
            "CreateTime:1700000000000\tPartition:2\tOffset:41\th:x\tk1\tv1\n"
        );
    }

    #[test]
    fn separators_null_key_and_missing_headers() {
        let mut plain = record();
        plain.key = None;
        plain.headers.clear();
        plain.timestamp_type = TimestampType::LogAppend;
        let text = format(
            &[
                ("print.key", "true"),
                ("print.headers", "true"),
                ("print.timestamp", "true"),
                ("key.separator", " | "),
                ("line.separator", ";"),
            ],
            &plain,
        );
        assert_eq!(
            text,
            "LogAppendTime:1700000000000 | NO_HEADERS | null | v1;"
        );
    }

    #[test]
    fn key_without_value_ends_the_line_after_the_key() {
        let text = format(
            &[("print.key", "true"), ("print.value", "false")],
            &record(),
        );
        assert_eq!(text, "k1\n");
    }
}
