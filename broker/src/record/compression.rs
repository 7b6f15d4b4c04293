//! Compressing and decompressing the records section of a batch with the codecs of the
//! `kafka-protocol` crate (gzip through flate2, snappy in Kafka's xerial framing, lz4 frames,
//! zstd), the ones producers use.
//!
//! Where it sits: the broker stores producers' batches as they came and only opens a
//! compressed batch when it must look at its records — the keyless-record check of
//! compacted topics and the log cleaner, which decompresses, filters and recompresses with
//! the batch's own codec.
//!
//! Nothing bounds the decompressed size beyond what the codec produces: batches reach here
//! after `max.message.bytes` limited their compressed size.

use bytes::{Bytes, BytesMut};
use kafka_protocol::compression::{Compressor, Decompressor, Gzip, Lz4, Snappy, Zstd};

use super::batch::{Compression, RecordBatch, RecordIter};
use super::RecordError;

fn failure(codec: Compression, action: &'static str, error: &anyhow::Error) -> RecordError {
    RecordError::Compression {
        codec: codec.name(),
        action,
        reason: format!("{error:#}"),
    }
}

/// The uncompressed form of a records section compressed with `codec`.
pub fn decompress(codec: Compression, section: &[u8]) -> Result<Bytes, RecordError> {
    let mut input = Bytes::copy_from_slice(section);
    let take = |buf: &mut Bytes| -> anyhow::Result<Bytes> { Ok(std::mem::take(buf)) };
    let result = match codec {
        Compression::None => Ok(input),
        Compression::Gzip => Gzip::decompress(&mut input, take),
        Compression::Snappy => Snappy::decompress(&mut input, take),
        Compression::Lz4 => Lz4::decompress(&mut input, take),
        Compression::Zstd => Zstd::decompress(&mut input, take),
    };
    result.map_err(|error| failure(codec, "decompression", &error))
}

/// `raw` (records laid end to end) compressed with `codec`.
pub fn compress(codec: Compression, raw: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut out = BytesMut::with_capacity(raw.len() / 2 + 64);
    let fill = |buf: &mut BytesMut| -> anyhow::Result<()> {
        buf.extend_from_slice(raw);
        Ok(())
    };
    let result = match codec {
        Compression::None => {
            out.extend_from_slice(raw);
            Ok(())
        }
        Compression::Gzip => Gzip::compress(&mut out, fill),
        Compression::Snappy => Snappy::compress(&mut out, fill),
        Compression::Lz4 => Lz4::compress(&mut out, fill),
        Compression::Zstd => Zstd::compress(&mut out, fill),
    };
    result.map_err(|error| failure(codec, "compression", &error))?;
    Ok(out.to_vec())
}

/// The records section of `batch` in uncompressed form: borrowed when the batch is not
/// compressed, decompressed otherwise.
pub enum Section<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Section<'_> {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Section::Borrowed(bytes) => bytes,
            Section::Owned(bytes) => bytes,
        }
    }

    /// The records of the section (at most the batch's record count).
    pub fn records(&self, count: i32) -> RecordIter<'_> {
        RecordIter::over_section(self.as_slice(), count)
    }
}

/// The uncompressed records section of `batch`.
pub fn uncompressed_section<B: AsRef<[u8]>>(
    batch: &RecordBatch<B>,
) -> Result<Section<'_>, RecordError> {
    let codec = batch.header().compression()?;
    let section = batch.records_section();
    match codec {
        Compression::None => Ok(Section::Borrowed(section)),
        codec => decompress(codec, section).map(Section::Owned),
    }
}

/// The index (within the batch) of the first record without a key, if any — compacted
/// topics refuse such records (Kafka's LogValidator). Compressed batches are decompressed.
pub fn first_keyless_record<B: AsRef<[u8]>>(
    batch: &RecordBatch<B>,
) -> Result<Option<i32>, RecordError> {
    let section = uncompressed_section(batch)?;
    for (index, record) in section.records(batch.records_count()).enumerate() {
        if record?.key.is_none() {
            return Ok(Some(i32::try_from(index).unwrap_or(i32::MAX)));
        }
    }
    Ok(None)
}
