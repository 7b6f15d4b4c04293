//! [`BatchBuilder`]: encodes a v2 batch (uncompressed unless a codec is chosen) (the layout is in [`super::batch`]).
//!
//! Producers send batches ready-made; the broker builds its own only for internal records
//! (offset commits, control markers — later) and tests. Offsets start at delta 0; the base
//! offset written is whatever [`BatchBuilder::base_offset`] says (0 by default: the log
//! assigns the real one on append).

use super::batch::{Compression, TimestampType, HEADER_SIZE, LOG_OVERHEAD, MAGIC};
use super::compression::compress;
use super::varint::{write_varint, write_varlong};

/// Builder for one uncompressed v2 record batch.
#[derive(Debug, Clone)]
pub struct BatchBuilder {
    base_offset: i64,
    partition_leader_epoch: i32,
    base_timestamp: i64,
    timestamp_type: TimestampType,
    producer_id: i64,
    producer_epoch: i16,
    base_sequence: i32,
    transactional: bool,
    compression: Compression,
    records: Vec<u8>,
    count: i32,
    max_timestamp: i64,
}

impl BatchBuilder {
    /// An empty batch whose record timestamps are relative to `base_timestamp`; no producer
    /// id (-1), CreateTime.
    pub fn new(base_timestamp: i64) -> Self {
        BatchBuilder {
            base_offset: 0,
            partition_leader_epoch: -1,
            base_timestamp,
            timestamp_type: TimestampType::CreateTime,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            transactional: false,
            compression: Compression::None,
            records: Vec::new(),
            count: 0,
            max_timestamp: base_timestamp,
        }
    }

    pub fn base_offset(mut self, base_offset: i64) -> Self {
        self.base_offset = base_offset;
        self
    }

    pub fn timestamp_type(mut self, timestamp_type: TimestampType) -> Self {
        self.timestamp_type = timestamp_type;
        self
    }

    pub fn producer(mut self, producer_id: i64, producer_epoch: i16, base_sequence: i32) -> Self {
        self.producer_id = producer_id;
        self.producer_epoch = producer_epoch;
        self.base_sequence = base_sequence;
        self
    }

    /// Compresses the records section with `codec` (uncompressed by default).
    pub fn compression(mut self, codec: Compression) -> Self {
        self.compression = codec;
        self
    }

    pub fn transactional(mut self, transactional: bool) -> Self {
        self.transactional = transactional;
        self
    }

    /// Appends a record with the next offset delta and timestamp `timestamp`.
    pub fn record(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
        headers: &[(&[u8], Option<&[u8]>)],
    ) -> &mut Self {
        let mut body = Vec::new();
        body.push(0u8);
        write_varlong(&mut body, timestamp.wrapping_sub(self.base_timestamp));
        write_varint(&mut body, self.count);
        write_bytes(&mut body, key);
        write_bytes(&mut body, value);
        write_varint(&mut body, headers.len() as i32);
        for (header_key, header_value) in headers {
            write_bytes(&mut body, Some(header_key));
            write_bytes(&mut body, *header_value);
        }
        write_varint(&mut self.records, body.len() as i32);
        self.records.extend_from_slice(&body);
        self.count = self.count.saturating_add(1);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self
    }

    /// Encodes the batch with a correct CRC-32C. Should the codec fail, the batch is
    /// written uncompressed.
    pub fn build(&self) -> Vec<u8> {
        let (codec, records) = match compress(self.compression, &self.records) {
            Ok(compressed) => (self.compression, compressed),
            Err(_) => (Compression::None, self.records.clone()),
        };
        let mut out = Vec::with_capacity(HEADER_SIZE + records.len());
        let batch_length = (HEADER_SIZE - LOG_OVERHEAD + records.len()) as i32;
        let mut attributes = codec.code();
        if self.timestamp_type == TimestampType::LogAppendTime {
            attributes |= 0x08;
        }
        if self.transactional {
            attributes |= 0x10;
        }
        out.extend_from_slice(&self.base_offset.to_be_bytes());
        out.extend_from_slice(&batch_length.to_be_bytes());
        out.extend_from_slice(&self.partition_leader_epoch.to_be_bytes());
        out.push(MAGIC as u8);
        let crc_at = out.len();
        out.extend_from_slice(&0u32.to_be_bytes());
        let crc_from = out.len();
        out.extend_from_slice(&attributes.to_be_bytes());
        out.extend_from_slice(&self.count.saturating_sub(1).max(0).to_be_bytes());
        out.extend_from_slice(&self.base_timestamp.to_be_bytes());
        out.extend_from_slice(&self.max_timestamp.to_be_bytes());
        out.extend_from_slice(&self.producer_id.to_be_bytes());
        out.extend_from_slice(&self.producer_epoch.to_be_bytes());
        out.extend_from_slice(&self.base_sequence.to_be_bytes());
        out.extend_from_slice(&self.count.to_be_bytes());
        out.extend_from_slice(&records);
        let crc = crc32c::crc32c(out.get(crc_from..).unwrap_or_default());
        if let Some(slot) = out.get_mut(crc_at..crc_from) {
            slot.copy_from_slice(&crc.to_be_bytes());
        }
        out
    }
}

fn write_bytes(out: &mut Vec<u8>, bytes: Option<&[u8]>) {
    match bytes {
        None => write_varint(out, -1),
        Some(bytes) => {
            write_varint(out, bytes.len() as i32);
            out.extend_from_slice(bytes);
        }
    }
}
