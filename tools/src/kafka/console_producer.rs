//! `kafka-console-producer`: each stdin line becomes a record of `--topic`.
//!
//! Line parsing is Kafka's `LineMessageReader`: with `parse.key=true` the key ends at the
//! first `key.separator` (tab by default); with `parse.headers=true` the line starts with
//! headers (`k:v,k2:v2`, `headers.delimiter` tab before the rest); `null.marker` turns a
//! key or value equal to it into null; a line without the separator is an error unless
//! `ignore.error=true` (then the whole line is the value). A `>` prompt is printed before
//! each line is read, as Kafka does. At EOF the producer flushes and the tool exits 0;
//! a failed delivery is logged on stderr as Kafka's `ErrorLoggingCallback` logs it.
//!
//! Settings precedence (Kafka's): an option given on the command line, then
//! `--producer-property`, then `--producer.config`, then the tool's defaults (acks -1,
//! linger 1000 ms, batch 16384, retries 3, request timeout 1500 ms).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use clap::Parser;
use common::client::{BatchDelivery, Client, Producer, ProducerRecord};
use common::properties::Properties;
use tokio::sync::mpsc;

use super::config::{
    apply_overrides, client_config, load_optional, parse_key_value, producer_config,
};
use super::log_line;
use crate::error::KafkaToolError;

/// Kafka's console producer options.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "kafka-console-producer",
    about = "This tool helps to read data from standard input and publish it to Kafka.",
    version
)]
pub struct ProducerArgs {
    /// REQUIRED unless --broker-list(deprecated) is specified. The server(s) to connect to.
    #[arg(long = "bootstrap-server", value_name = "String: server to connect to")]
    pub bootstrap_server: Option<String>,
    /// DEPRECATED, use --bootstrap-server instead; ignored if --bootstrap-server is specified.
    #[arg(long = "broker-list", value_name = "String: broker-list")]
    pub broker_list: Option<String>,
    /// REQUIRED: The topic id to produce messages to.
    #[arg(long, value_name = "String: topic")]
    pub topic: Option<String>,
    /// If set message send requests to the brokers are synchronously, one at a time as they
    /// arrive.
    #[arg(long)]
    pub sync: bool,
    /// The compression codec: either 'none', 'gzip', 'snappy', 'lz4', or 'zstd'. If
    /// specified without value, then it defaults to 'gzip'
    #[arg(long = "compression-codec", value_name = "String: compression-codec", num_args = 0..=1, default_missing_value = "gzip")]
    pub compression_codec: Option<String>,
    /// Number of messages to send in a single batch if they are not being sent synchronously.
    #[arg(long = "batch-size", value_name = "Integer: size")]
    pub batch_size: Option<u64>,
    /// Total number of retries if the producer fails to send messages.
    #[arg(long = "message-send-max-retries", value_name = "Integer")]
    pub message_send_max_retries: Option<u32>,
    /// Backoff time before refreshing metadata or retrying.
    #[arg(long = "retry-backoff-ms", value_name = "Long")]
    pub retry_backoff_ms: Option<u64>,
    /// If set and the producer is running in asynchronous mode, this gives the maximum
    /// amount of time a message will queue awaiting sufficient batch size (linger.ms).
    #[arg(long = "timeout", value_name = "Long: timeout_ms")]
    pub timeout: Option<u64>,
    /// The required `acks` of the producer requests
    #[arg(
        long = "request-required-acks",
        value_name = "String: request required acks"
    )]
    pub request_required_acks: Option<String>,
    /// The ack timeout of the producer requests. Value must be non-negative and non-zero.
    #[arg(
        long = "request-timeout-ms",
        value_name = "Integer: request timeout ms"
    )]
    pub request_timeout_ms: Option<u64>,
    /// The total memory used by the producer to buffer records waiting to be sent.
    #[arg(long = "max-memory-bytes", value_name = "Long: total memory in bytes")]
    pub max_memory_bytes: Option<u64>,
    /// The buffer size allocated for a partition (batch.size).
    #[arg(
        long = "max-partition-memory-bytes",
        value_name = "Integer: memory in bytes per partition"
    )]
    pub max_partition_memory_bytes: Option<u64>,
    /// Accepted for compatibility (metadata is refreshed on errors).
    #[arg(
        long = "metadata-expiry-ms",
        value_name = "Long: metadata expiration interval"
    )]
    pub metadata_expiry_ms: Option<u64>,
    /// Accepted for compatibility.
    #[arg(long = "max-block-ms", value_name = "Long: max block on send")]
    pub max_block_ms: Option<u64>,
    /// Accepted for compatibility.
    #[arg(long = "socket-buffer-size", value_name = "Integer: size")]
    pub socket_buffer_size: Option<u64>,
    /// The class name of the class to use for reading lines from standard in (only the
    /// default line reader exists).
    #[arg(long = "line-reader", value_name = "String: reader_class")]
    pub line_reader: Option<String>,
    /// A mechanism to pass user-defined properties in the form key=value to the message
    /// reader.
    #[arg(long = "property", value_name = "String: prop")]
    pub property: Vec<String>,
    /// Config properties file for the message reader.
    #[arg(long = "reader-config", value_name = "String: config file")]
    pub reader_config: Option<PathBuf>,
    /// A mechanism to pass user-defined properties in the form key=value to the producer.
    #[arg(long = "producer-property", value_name = "String: producer_prop")]
    pub producer_property: Vec<String>,
    /// Producer config properties file. Note that [producer-property] takes precedence over
    /// this config.
    #[arg(long = "producer.config", value_name = "String: config file")]
    pub producer_config: Option<PathBuf>,
}

/// How stdin lines become records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineReader {
    pub parse_key: bool,
    pub key_separator: String,
    pub parse_headers: bool,
    pub headers_delimiter: String,
    pub headers_separator: String,
    pub headers_key_separator: String,
    pub ignore_error: bool,
    pub null_marker: Option<String>,
}

impl LineReader {
    /// The reader for `--property` pairs (Kafka's names and defaults).
    pub fn from_properties(pairs: &[(String, String)]) -> LineReader {
        let mut reader = LineReader {
            parse_key: false,
            key_separator: "\t".to_string(),
            parse_headers: false,
            headers_delimiter: "\t".to_string(),
            headers_separator: ",".to_string(),
            headers_key_separator: ":".to_string(),
            ignore_error: false,
            null_marker: None,
        };
        let flag = |value: &str| value.trim().eq_ignore_ascii_case("true");
        for (key, value) in pairs {
            match key.as_str() {
                "parse.key" => reader.parse_key = flag(value),
                "key.separator" => reader.key_separator = value.clone(),
                "parse.headers" => reader.parse_headers = flag(value),
                "headers.delimiter" => reader.headers_delimiter = value.clone(),
                "headers.separator" => reader.headers_separator = value.clone(),
                "headers.key.separator" => reader.headers_key_separator = value.clone(),
                "ignore.error" => reader.ignore_error = flag(value),
                "null.marker" => reader.null_marker = Some(value.clone()),
                _ => {}
            }
        }
        reader
    }

    fn nullable(&self, text: &str) -> Option<Bytes> {
        match &self.null_marker {
            Some(marker) if marker == text => None,
            _ => Some(Bytes::copy_from_slice(text.as_bytes())),
        }
    }

    /// Splits line `number` (1-based) into headers, key and value.
    #[allow(clippy::type_complexity)]
    pub fn parse(
        &self,
        line: &str,
        number: u64,
    ) -> Result<(Vec<(String, Option<Bytes>)>, Option<Bytes>, Option<Bytes>), KafkaToolError> {
        let mut rest = line;
        let mut headers = Vec::new();
        if self.parse_headers {
            match rest.split_once(self.headers_delimiter.as_str()) {
                Some((header_text, after)) => {
                    rest = after;
                    for header in header_text.split(self.headers_separator.as_str()) {
                        if header.is_empty() {
                            continue;
                        }
                        let (name, value) =
                            match header.split_once(self.headers_key_separator.as_str()) {
                                Some((name, value)) => (name, self.nullable(value)),
                                None => (header, None),
                            };
                        headers.push((name.to_string(), value));
                    }
                }
                None if self.ignore_error => {}
                None => {
                    return Err(KafkaToolError::Command {
                        message: format!(
                            "No headers delimiter found on line number {number}: '{line}'"
                        ),
                    })
                }
            }
        }
        if self.parse_key {
            match rest.split_once(self.key_separator.as_str()) {
                Some((key, value)) => {
                    return Ok((headers, self.nullable(key), self.nullable(value)))
                }
                None if self.ignore_error => return Ok((headers, None, self.nullable(rest))),
                None => {
                    return Err(KafkaToolError::Command {
                        message: format!(
                            "No key separator found on line number {number}: '{line}'"
                        ),
                    })
                }
            }
        }
        Ok((headers, None, self.nullable(rest)))
    }
}

impl ProducerArgs {
    /// The producer properties after Kafka's precedence rules.
    pub fn producer_properties(&self) -> Result<Properties, KafkaToolError> {
        let mut properties = load_optional(self.producer_config.as_deref())?;
        apply_overrides(&mut properties, &self.producer_property)?;
        let mut merge = |key: &str, explicit: Option<String>, default: &str| match explicit {
            Some(value) => properties.set(key, value),
            None if properties.get(key).is_none() => properties.set(key, default),
            None => {}
        };
        merge("compression.type", self.compression_codec.clone(), "none");
        merge("acks", self.request_required_acks.clone(), "-1");
        merge(
            "linger.ms",
            self.timeout.map(|value| value.to_string()),
            "1000",
        );
        let batch = self
            .max_partition_memory_bytes
            .or(self.batch_size)
            .map(|value| value.to_string());
        merge("batch.size", batch, "16384");
        merge(
            "retries",
            self.message_send_max_retries.map(|value| value.to_string()),
            "3",
        );
        merge(
            "retry.backoff.ms",
            self.retry_backoff_ms.map(|value| value.to_string()),
            "100",
        );
        merge(
            "request.timeout.ms",
            self.request_timeout_ms.map(|value| value.to_string()),
            "1500",
        );
        merge(
            "buffer.memory",
            self.max_memory_bytes.map(|value| value.to_string()),
            "33554432",
        );
        Ok(properties)
    }

    fn bootstrap(&self) -> Result<String, KafkaToolError> {
        self.bootstrap_server
            .clone()
            .or_else(|| self.broker_list.clone())
            .ok_or_else(|| KafkaToolError::Usage {
                message: "Missing required argument \"[bootstrap-server]\"".to_string(),
            })
    }

    /// Checks the options as Kafka does before anything connects.
    pub fn validate(&self) -> Result<(String, String, LineReader), KafkaToolError> {
        let topic = self.topic.clone().ok_or_else(|| KafkaToolError::Usage {
            message: "Missing required argument \"[topic]\"".to_string(),
        })?;
        let bootstrap = self.bootstrap()?;
        if let Some(codec) = &self.compression_codec {
            if !["none", "gzip", "snappy", "lz4", "zstd"].contains(&codec.as_str()) {
                return Err(KafkaToolError::Usage {
                    message: format!(
                        "compression-codec only support 'none', 'gzip', 'snappy', 'lz4', 'zstd', got: {codec}"
                    ),
                });
            }
        }
        let mut pairs = Vec::new();
        if let Some(path) = &self.reader_config {
            for (key, value, _) in load_optional(Some(path))?.iter() {
                pairs.push((key.to_string(), value.to_string()));
            }
        }
        for property in &self.property {
            pairs.push(parse_key_value(property)?);
        }
        Ok((bootstrap, topic, LineReader::from_properties(&pairs)))
    }
}

/// Per record: key length (`None` for a null key) and value length, for error messages.
type Sizes = (Option<usize>, usize);

/// Runs the producer over stdin until EOF. Returns the number of records that failed.
pub async fn run(args: &ProducerArgs) -> Result<u64, KafkaToolError> {
    let (bootstrap, topic, reader) = args.validate()?;
    let properties = args.producer_properties()?;
    let client_settings = client_config(Some(&bootstrap), &properties, "console-producer")?;
    let config = producer_config(&properties)?;
    let client = Arc::new(Client::connect(client_settings).await?);
    let (producer, mut deliveries) = Producer::<Sizes>::new(client, config);
    let reporter = tokio::spawn(async move {
        let mut failed = 0u64;
        while let Some(delivery) = deliveries.recv().await {
            failed += report_failure(&delivery);
        }
        failed
    });
    let mut lines = read_stdin_lines();
    let mut number = 0u64;
    loop {
        let Some(line) = lines.recv().await else {
            break;
        };
        let line = line.map_err(|source| KafkaToolError::Io {
            what: "reading stdin".to_string(),
            source,
        })?;
        number += 1;
        let (headers, key, value) = reader.parse(&line, number)?;
        let sizes = (
            key.as_ref().map(Bytes::len),
            value.as_ref().map_or(0, Bytes::len),
        );
        let record = ProducerRecord {
            topic: &topic,
            partition: None,
            key,
            value,
            headers,
            timestamp: None,
        };
        producer.send(record, sizes).await?;
        if args.sync {
            producer.flush().await;
        }
    }
    producer.close().await;
    Ok(reporter.await.unwrap_or(0))
}

/// Stdin lines (line terminator `\n` or `\r\n` removed, as Java's `readLine`), read by a
/// thread that prints the `>` prompt before each read; the channel closes at EOF.
fn read_stdin_lines() -> mpsc::Receiver<std::io::Result<String>> {
    let (sender, receiver) = mpsc::channel(1024);
    std::thread::spawn(move || {
        use std::io::{BufRead, Write};
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let mut buffer = Vec::new();
        loop {
            let mut stdout = std::io::stdout();
            // A closed stdout does not stop the producer: the prompt is cosmetic.
            let _ = stdout.write_all(b">");
            let _ = stdout.flush();
            buffer.clear();
            match input.read_until(b'\n', &mut buffer) {
                Ok(0) => return,
                Ok(_) => {
                    if buffer.last() == Some(&b'\n') {
                        buffer.pop();
                        if buffer.last() == Some(&b'\r') {
                            buffer.pop();
                        }
                    }
                    let line = String::from_utf8_lossy(&buffer).into_owned();
                    if sender.blocking_send(Ok(line)).is_err() {
                        return;
                    }
                }
                Err(error) => {
                    let _ = sender.blocking_send(Err(error));
                    return;
                }
            }
        }
    });
    receiver
}

/// Logs a failed batch the way Kafka's `ErrorLoggingCallback` logs each failed record;
/// returns how many records failed.
fn report_failure(delivery: &BatchDelivery<Sizes>) -> u64 {
    let Err(error) = &delivery.result else {
        return 0;
    };
    for (key, value) in &delivery.contexts {
        let key = key.map_or_else(|| "null".to_string(), |length| format!("{length} bytes"));
        eprintln!(
            "{}\n{error}",
            log_line(
                "ERROR",
                &format!(
                    "Error when sending message to topic {} with key: {key}, value: {value} bytes with error:",
                    delivery.topic
                ),
                "org.apache.kafka.clients.producer.internals.ErrorLoggingCallback"
            )
        );
    }
    u64::try_from(delivery.contexts.len()).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> ProducerArgs {
        let mut all = vec![
            "kafka-console-producer",
            "--bootstrap-server",
            "h:1",
            "--topic",
            "t",
        ];
        all.extend_from_slice(extra);
        ProducerArgs::try_parse_from(all).unwrap()
    }

    #[test]
    fn keys_split_at_the_separator_and_missing_separator_is_an_error() {
        let (_, _, reader) = args(&[
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
        ])
        .validate()
        .unwrap();
        let (headers, key, value) = reader.parse("k1:v:1", 1).unwrap();
        assert!(headers.is_empty());
        assert_eq!(key.unwrap(), "k1");
        assert_eq!(value.unwrap(), "v:1");
        let error = reader.parse("plain", 4).unwrap_err();
        assert_eq!(
            error.to_string(),
            "No key separator found on line number 4: 'plain'"
        );
    }

    #[test]
    fn headers_and_null_marker() {
        let (_, _, reader) = args(&[
            "--property",
            "parse.headers=true",
            "--property",
            "parse.key=true",
            "--property",
            "null.marker=NULL",
        ])
        .validate()
        .unwrap();
        let (headers, key, value) = reader.parse("a:1,b:NULL\tNULL\tv", 1).unwrap();
        assert_eq!(
            headers,
            vec![
                ("a".to_string(), Some(Bytes::from_static(b"1"))),
                ("b".to_string(), None)
            ]
        );
        assert_eq!(key, None);
        assert_eq!(value.unwrap(), "v");
    }

    #[test]
    fn codec_without_value_is_gzip_and_options_beat_properties() {
        let parsed = args(&[
            "--compression-codec",
            "--producer-property",
            "acks=0",
            "--request-required-acks",
            "1",
        ]);
        assert_eq!(parsed.compression_codec.as_deref(), Some("gzip"));
        let properties = parsed.producer_properties().unwrap();
        assert_eq!(properties.get("compression.type"), Some("gzip"));
        assert_eq!(properties.get("acks"), Some("1"));
        assert_eq!(properties.get("linger.ms"), Some("1000"));
        let parsed = args(&["--producer-property", "linger.ms=5"]);
        let properties = parsed.producer_properties().unwrap();
        assert_eq!(properties.get("linger.ms"), Some("5"));
        assert_eq!(properties.get("acks"), Some("-1"));
        let error = args(&["--compression-codec", "brotli"])
            .validate()
            .unwrap_err();
        assert!(error.to_string().contains("got: brotli"));
    }
}
