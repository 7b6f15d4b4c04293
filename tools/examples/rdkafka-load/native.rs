//! The load generator's hot paths on librdkafka's C API (`rdkafka::bindings`), driven the
//! way librdkafka's own performance tool drives it: a topic handle, `rd_kafka_produce_batch`
//! with a delivery-report callback that only counts and samples, and a legacy queue consumer
//! read with `rd_kafka_consume_batch_queue`.
//!
//! Why not the `rdkafka` crate's safe wrappers: per record they convert the topic name to a
//! C string, look the topic up, box an opaque and route the report through an event object.
//! On two cores that per-record cost, not the broker, set the ceiling of a benchmark run.
//!
//! Ownership: a [`Producer`] or [`Consumer`] owns its `rd_kafka_t`, topic handle and queue and
//! destroys them in reverse order on drop; the delivery counters live in an `Arc` the handle
//! keeps until after `rd_kafka_destroy`, so the callback's pointer never dangles.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::ptr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use rdkafka::bindings as rd;

use crate::Deliveries;

/// librdkafka's text for `err`.
fn error_text(err: rd::rd_kafka_resp_err_t) -> String {
    // SAFETY: rd_kafka_err2str returns a pointer to a static NUL-terminated string for every code.
    unsafe { CStr::from_ptr(rd::rd_kafka_err2str(err)) }
        .to_string_lossy()
        .into_owned()
}

/// Milliseconds for a librdkafka timeout argument.
fn millis(timeout: Duration) -> c_int {
    c_int::try_from(timeout.as_millis()).unwrap_or(c_int::MAX)
}

/// An `rd_kafka_t`, destroyed on drop.
struct Handle {
    rk: *mut rd::rd_kafka_t,
}

impl Handle {
    /// A client of `kind` with `properties`; with `deliveries`, producer delivery reports are
    /// counted into it.
    fn new(
        kind: rd::rd_kafka_type_t,
        properties: &[(String, String)],
        deliveries: Option<&Arc<Deliveries>>,
    ) -> anyhow::Result<Handle> {
        let mut errstr = [0 as c_char; 512];
        // SAFETY: a fresh configuration object; every path below either hands it to
        // rd_kafka_new (which takes it over, even on failure only when it returns non-null) or
        // destroys it.
        let conf = unsafe { rd::rd_kafka_conf_new() };
        for (key, value) in properties {
            let (Ok(c_key), Ok(c_value)) =
                (CString::new(key.as_str()), CString::new(value.as_str()))
            else {
                // SAFETY: conf is ours and not yet handed over.
                unsafe { rd::rd_kafka_conf_destroy(conf) };
                bail!("property {key}={value} contains a NUL byte");
            };
            // SAFETY: valid C strings and an error buffer of the stated size.
            let result = unsafe {
                rd::rd_kafka_conf_set(
                    conf,
                    c_key.as_ptr(),
                    c_value.as_ptr(),
                    errstr.as_mut_ptr(),
                    errstr.len(),
                )
            };
            if result != rd::rd_kafka_conf_res_t::RD_KAFKA_CONF_OK {
                // SAFETY: librdkafka NUL-terminates the error buffer.
                let reason = unsafe { CStr::from_ptr(errstr.as_ptr()) }
                    .to_string_lossy()
                    .into_owned();
                // SAFETY: conf is ours and not yet handed over.
                unsafe { rd::rd_kafka_conf_destroy(conf) };
                bail!("librdkafka refused {key}={value}: {reason}");
            }
        }
        if let Some(deliveries) = deliveries {
            // SAFETY: the callback only reads the message and the opaque, which points at the
            // Deliveries the returned handle's owner keeps alive past rd_kafka_destroy.
            unsafe {
                rd::rd_kafka_conf_set_dr_msg_cb(conf, Some(delivery_report));
                rd::rd_kafka_conf_set_opaque(conf, Arc::as_ptr(deliveries).cast_mut().cast());
            }
        }
        // SAFETY: conf is complete; on success rd_kafka_new owns it.
        let rk = unsafe { rd::rd_kafka_new(kind, conf, errstr.as_mut_ptr(), errstr.len()) };
        if rk.is_null() {
            // SAFETY: on failure conf is still ours; the buffer holds the reason.
            let reason = unsafe { CStr::from_ptr(errstr.as_ptr()) }
                .to_string_lossy()
                .into_owned();
            unsafe { rd::rd_kafka_conf_destroy(conf) };
            bail!("creating the librdkafka client: {reason}");
        }
        Ok(Handle { rk })
    }

    /// A topic handle for `topic` on this client.
    fn topic(&self, topic: &str) -> anyhow::Result<*mut rd::rd_kafka_topic_t> {
        let name = CString::new(topic).context("topic name contains a NUL byte")?;
        // SAFETY: a live client and a valid C string; a null topic conf means defaults.
        let rkt = unsafe { rd::rd_kafka_topic_new(self.rk, name.as_ptr(), ptr::null_mut()) };
        if rkt.is_null() {
            // SAFETY: reads this thread's last librdkafka error.
            bail!(
                "topic handle for {topic}: {}",
                error_text(unsafe { rd::rd_kafka_last_error() })
            );
        }
        Ok(rkt)
    }

    /// Serves queued callbacks (delivery reports) for up to `timeout`.
    fn poll(&self, timeout: Duration) {
        // SAFETY: a live client.
        unsafe { rd::rd_kafka_poll(self.rk, millis(timeout)) };
    }

    /// Waits until the client knows `rkt`'s metadata (so the first send does not wait for it).
    fn warm_up(&self, rkt: *mut rd::rd_kafka_topic_t, timeout: Duration) -> anyhow::Result<()> {
        let mut metadata: *const rd::rd_kafka_metadata = ptr::null();
        // SAFETY: live client and topic; librdkafka fills `metadata` on success.
        let err = unsafe { rd::rd_kafka_metadata(self.rk, 0, rkt, &mut metadata, millis(timeout)) };
        if !metadata.is_null() {
            // SAFETY: returned by rd_kafka_metadata, freed once.
            unsafe { rd::rd_kafka_metadata_destroy(metadata) };
        }
        if err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            bail!("topic metadata: {}", error_text(err));
        }
        Ok(())
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_new, destroyed once; topics and queues are gone already.
        unsafe { rd::rd_kafka_destroy(self.rk) };
    }
}

/// The delivery-report callback: counts the outcome; a non-null message opaque is the send
/// time (nanoseconds since the run's start, plus one) of a sampled record.
unsafe extern "C" fn delivery_report(
    _rk: *mut rd::rd_kafka_t,
    message: *const rd::rd_kafka_message_t,
    opaque: *mut c_void,
) {
    // SAFETY: librdkafka passes the opaque set in Handle::new (a live Deliveries) and a valid
    // message for the duration of the call.
    let (Some(deliveries), Some(message)) =
        (unsafe { opaque.cast::<Deliveries>().as_ref() }, unsafe {
            message.as_ref()
        })
    else {
        return;
    };
    if message.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
        let sent = message._private as usize;
        if sent != 0 {
            deliveries.record_latency(sent - 1);
        }
        deliveries.acked.fetch_add(1, Ordering::Relaxed);
    } else {
        deliveries.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = deliveries.first_error.lock() {
            first.get_or_insert_with(|| error_text(message.err));
        }
    }
}

/// A producer with one topic handle; records are copied by librdkafka at send.
pub struct Producer {
    rkt: *mut rd::rd_kafka_topic_t,
    handle: Handle,
    /// Kept alive until after `rd_kafka_destroy` (the callback's opaque points at it).
    deliveries: Arc<Deliveries>,
    scratch: Vec<rd::rd_kafka_message_t>,
}

impl Producer {
    /// A producer with `properties` reporting into `deliveries`, with `topic`'s metadata
    /// fetched.
    pub fn new(
        properties: &[(String, String)],
        topic: &str,
        deliveries: &Arc<Deliveries>,
        timeout: Duration,
    ) -> anyhow::Result<Producer> {
        let handle = Handle::new(
            rd::rd_kafka_type_t::RD_KAFKA_PRODUCER,
            properties,
            Some(deliveries),
        )?;
        let rkt = handle.topic(topic)?;
        let producer = Producer {
            rkt,
            handle,
            deliveries: Arc::clone(deliveries),
            scratch: Vec::new(),
        };
        producer.handle.warm_up(rkt, timeout)?;
        Ok(producer)
    }

    /// Enqueues one copy of `payload` per entry of `sent_at` into `partition`; an entry is
    /// the record's sampled send time (ns since the run's start) or `None`. While
    /// librdkafka's queue is full, serves delivery reports and retries.
    pub fn send(
        &mut self,
        partition: i32,
        payload: &[u8],
        sent_at: &[Option<usize>],
    ) -> anyhow::Result<()> {
        self.scratch.clear();
        self.scratch
            .extend(sent_at.iter().map(|sent| rd::rd_kafka_message_t {
                err: rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR,
                rkt: ptr::null_mut(),
                partition,
                // librdkafka copies the payload (RD_KAFKA_MSG_F_COPY) and never writes to it.
                payload: payload.as_ptr().cast_mut().cast(),
                len: payload.len(),
                key: ptr::null_mut(),
                key_len: 0,
                offset: 0,
                _private: sent.map_or(ptr::null_mut(), |nanos| (nanos + 1) as *mut c_void),
            }));
        while !self.scratch.is_empty() {
            let count = c_int::try_from(self.scratch.len()).context("batch too large")?;
            // SAFETY: live topic handle; `scratch` holds `count` initialised messages whose
            // payload outlives the call (copied by librdkafka).
            let enqueued = unsafe {
                rd::rd_kafka_produce_batch(
                    self.rkt,
                    partition,
                    rd::RD_KAFKA_MSG_F_COPY,
                    self.scratch.as_mut_ptr(),
                    count,
                )
            };
            if usize::try_from(enqueued).ok() == Some(self.scratch.len()) {
                break;
            }
            let mut fatal = None;
            self.scratch.retain_mut(|message| {
                let failed = message.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
                if failed && message.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__QUEUE_FULL {
                    fatal.get_or_insert(message.err);
                }
                message.err = rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR;
                failed
            });
            if let Some(err) = fatal {
                bail!("send failed: {}", error_text(err));
            }
            self.handle.poll(Duration::from_millis(1));
        }
        Ok(())
    }

    /// Serves delivery reports for up to `timeout`.
    pub fn poll(&self, timeout: Duration) {
        self.handle.poll(timeout);
    }

    /// Serves delivery reports until `sent` records are reported or `timeout` passes
    /// without a new report.
    pub fn drain(&self, sent: u64, timeout: Duration) {
        let mut last = self.deliveries.reported();
        let mut progress_at = Instant::now();
        while self.deliveries.reported() < sent && progress_at.elapsed() < timeout {
            self.handle.poll(Duration::from_millis(10));
            let now = self.deliveries.reported();
            if now != last {
                last = now;
                progress_at = Instant::now();
            }
        }
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        // SAFETY: created by rd_kafka_topic_new, destroyed once, before the client.
        unsafe { rd::rd_kafka_topic_destroy(self.rkt) };
    }
}

/// A legacy (group-less) consumer reading given partitions from given offsets into one queue.
pub struct Consumer {
    rkt: *mut rd::rd_kafka_topic_t,
    queue: *mut rd::rd_kafka_queue_t,
    started: Vec<i32>,
    /// The client, destroyed (on drop) after the topic handle and queue.
    _handle: Handle,
    batch: Vec<*mut rd::rd_kafka_message_t>,
}

/// What one [`Consumer::next_batch`] call read.
#[derive(Debug, Default, Clone, Copy)]
pub struct Batch {
    pub records: u64,
    pub bytes: u64,
}

impl Consumer {
    /// Starts reading `topic`'s `partitions`, each from its offset (librdkafka's logical
    /// offsets allowed: -2 earliest, -1 latest).
    pub fn start(
        properties: &[(String, String)],
        topic: &str,
        partitions: &[(i32, i64)],
        batch_size: usize,
    ) -> anyhow::Result<Consumer> {
        let handle = Handle::new(rd::rd_kafka_type_t::RD_KAFKA_CONSUMER, properties, None)?;
        let rkt = handle.topic(topic)?;
        // SAFETY: a live client.
        let queue = unsafe { rd::rd_kafka_queue_new(handle.rk) };
        let mut consumer = Consumer {
            rkt,
            queue,
            started: Vec::new(),
            _handle: handle,
            batch: vec![ptr::null_mut(); batch_size.max(1)],
        };
        for &(partition, offset) in partitions {
            // SAFETY: live topic handle and queue.
            let rc = unsafe { rd::rd_kafka_consume_start_queue(rkt, partition, offset, queue) };
            if rc != 0 {
                // SAFETY: reads this thread's last librdkafka error.
                let err = unsafe { rd::rd_kafka_last_error() };
                bail!("starting partition {partition}: {}", error_text(err));
            }
            consumer.started.push(partition);
        }
        Ok(consumer)
    }

    /// Reads what arrives within `timeout` (up to the batch size), with each message's
    /// value passed to `each`; a consumer error ends the run.
    pub fn next_batch(
        &mut self,
        timeout: Duration,
        mut each: impl FnMut(&[u8]),
    ) -> anyhow::Result<Batch> {
        // SAFETY: live queue; `batch` has room for its length in message pointers.
        let count = unsafe {
            rd::rd_kafka_consume_batch_queue(
                self.queue,
                millis(timeout),
                self.batch.as_mut_ptr(),
                self.batch.len(),
            )
        };
        let count = usize::try_from(count).map_err(|_| {
            // SAFETY: reads this thread's last librdkafka error.
            anyhow::anyhow!(
                "consume failed: {}",
                error_text(unsafe { rd::rd_kafka_last_error() })
            )
        })?;
        let mut read = Batch::default();
        let mut error = None;
        for &message in self.batch.iter().take(count) {
            // SAFETY: librdkafka filled the first `count` slots with messages we now own.
            if let Some(record) = unsafe { message.as_ref() } {
                if record.err == rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    read.records += 1;
                    read.bytes += record.len as u64;
                    if !record.payload.is_null() {
                        // SAFETY: payload points at `len` bytes owned by the message.
                        each(unsafe {
                            std::slice::from_raw_parts(record.payload.cast::<u8>(), record.len)
                        });
                    }
                } else if record.err != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    error.get_or_insert(record.err);
                }
            }
            // SAFETY: each message is destroyed exactly once.
            unsafe { rd::rd_kafka_message_destroy(message) };
        }
        if let Some(err) = error {
            bail!("consumer error: {}", error_text(err));
        }
        Ok(read)
    }
}

impl Drop for Consumer {
    fn drop(&mut self) {
        for &partition in &self.started {
            // SAFETY: live topic handle; the partition was started.
            unsafe { rd::rd_kafka_consume_stop(self.rkt, partition) };
        }
        // SAFETY: created above, destroyed once each, before the client.
        unsafe {
            rd::rd_kafka_queue_destroy(self.queue);
            rd::rd_kafka_topic_destroy(self.rkt);
        }
    }
}
