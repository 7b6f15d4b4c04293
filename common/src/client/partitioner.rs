//! The default partitioner, as Kafka's producer has it: a keyed record goes to
//! `(murmur2(key) & 0x7fffffff) % partitions`, so the same key lands on the same partition
//! as with any Kafka client that uses the default; a record without a key goes to the
//! current "sticky" partition, which changes (at random) each time a batch for it is closed,
//! so null-key records fill whole batches instead of spreading thin ones.

/// Kafka's murmur2 hash (the 32-bit MurmurHash2 variant with seed `0x9747b28c`) of `data`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    // Kafka hashes with the length as a Java int; keys never approach 2^31 bytes.
    let length = data.len() as u32;
    let mut hash = SEED ^ length;
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
            chunk.get(3).copied().unwrap_or(0),
        ]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        hash = hash.wrapping_mul(M);
        hash ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        if let Some(&byte) = tail.get(2) {
            hash ^= u32::from(byte) << 16;
        }
        if let Some(&byte) = tail.get(1) {
            hash ^= u32::from(byte) << 8;
        }
        if let Some(&byte) = tail.first() {
            hash ^= u32::from(byte);
        }
        hash = hash.wrapping_mul(M);
    }
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(M);
    hash ^= hash >> 15;
    hash as i32
}

/// Kafka's `toPositive`: the hash with the sign bit cleared (not `abs`, so `i32::MIN` maps
/// to 0 like Kafka).
pub fn to_positive(hash: i32) -> i32 {
    hash & 0x7fff_ffff
}

/// The partition of a keyed record among `partitions` (> 0).
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    if partitions <= 0 {
        return 0;
    }
    to_positive(murmur2(key)) % partitions
}

/// A random partition other than `previous` when there is a choice (the next sticky
/// partition for null keys).
pub fn next_sticky(previous: Option<i32>, partitions: i32) -> i32 {
    if partitions <= 1 {
        return 0;
    }
    let candidate = rand::random_range(0..partitions);
    match previous {
        Some(previous) if previous == candidate => (candidate + 1) % partitions,
        _ => candidate,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafka_known_values() {
        // The values Kafka's own utility tests pin for its murmur2.
        assert_eq!(murmur2(b"21"), -973_932_308);
        assert_eq!(murmur2(b"foobar"), -790_332_482);
        assert_eq!(murmur2(b"a-little-bit-long-string"), -985_981_536);
        assert_eq!(murmur2(b"a-little-bit-longer-string"), -1_486_304_829);
        assert_eq!(
            murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"),
            -58_897_971
        );
        assert_eq!(murmur2(b"abc"), 479_470_107);
    }

    #[test]
    fn keyed_partition_clears_the_sign_bit_then_takes_the_modulus() {
        // murmur2("foobar") is negative: & 0x7fffffff, not abs().
        let expected = (-790_332_482i32 & 0x7fff_ffff) % 7;
        assert_eq!(partition_for_key(b"foobar", 7), expected);
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(partition_for_key(b"anything", 1), 0);
    }

    #[test]
    fn sticky_partition_moves_when_there_is_a_choice() {
        for _ in 0..100 {
            let next = next_sticky(Some(1), 2);
            assert_eq!(next, 0);
            assert!((0..5).contains(&next_sticky(None, 5)));
        }
        assert_eq!(next_sticky(Some(0), 1), 0);
    }
}
