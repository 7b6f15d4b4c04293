//! [`OffsetMap`]: key → latest offset over the dirty part of a log, in a fixed memory budget
//! (`log.cleaner.dedupe.buffer.size` shared by the cleaner threads).
//!
//! Keys are not stored: each is reduced to a 128-bit digest (two SipHash-1-3 hashes with
//! independent random keys), as Kafka keeps a 16-byte MD5 per key; a false match needs a
//! 128-bit collision, which at billions of keys stays below 1e-18. A slot is 24 bytes:
//! `digest high u64 | digest low u64 | offset + 1 u64` (0 = empty), in an open-addressing
//! table with linear probing, a power-of-two number of slots, filled at most to
//! `log.cleaner.io.buffer.load.factor` (0.9). The table starts at room for 16 Ki keys and
//! doubles (re-placing the digests) as keys arrive, up to the budget: a range with few
//! distinct keys keeps a table that fits in cache.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Bytes of one slot.
pub const SLOT_BYTES: usize = 24;

/// Kafka's `log.cleaner.io.buffer.load.factor`.
pub const LOAD_FACTOR: f64 = 0.9;

/// Keys the table starts with room for (it doubles from there).
const INITIAL_KEYS: u64 = 16_384;

/// Key digest → latest offset.
#[derive(Debug)]
pub struct OffsetMap {
    slots: Vec<[u64; 3]>,
    mask: usize,
    used: usize,
    max_used: usize,
    budget_slots: usize,
    high: RandomState,
    low: RandomState,
}

impl OffsetMap {
    /// A map using at most `memory_bytes` for about `expected_keys` keys (an upper bound:
    /// the offsets in the range to index). It starts small and doubles as keys arrive, up
    /// to the budget, so a range with few distinct keys keeps a table that stays in cache.
    pub fn new(memory_bytes: usize, expected_keys: u64) -> Self {
        let budget_slots = (memory_bytes / SLOT_BYTES).max(2);
        // The largest power of two within the budget.
        let budget_slots = 1usize << (usize::BITS - 1 - budget_slots.leading_zeros());
        let start_keys = expected_keys.min(INITIAL_KEYS);
        let wanted = (start_keys as f64 / LOAD_FACTOR).ceil() as u64 + 1;
        let wanted = usize::try_from(wanted)
            .unwrap_or(usize::MAX)
            .checked_next_power_of_two()
            .unwrap_or(budget_slots);
        let slot_count = wanted.clamp(2, budget_slots);
        OffsetMap {
            slots: vec![[0u64; 3]; slot_count],
            mask: slot_count - 1,
            used: 0,
            max_used: Self::max_used(slot_count),
            budget_slots,
            high: RandomState::new(),
            low: RandomState::new(),
        }
    }

    fn max_used(slot_count: usize) -> usize {
        ((slot_count as f64 * LOAD_FACTOR) as usize).clamp(1, slot_count - 1)
    }

    /// Doubles the table (within the budget), re-placing every digest.
    fn grow(&mut self) -> bool {
        let slot_count = self.slots.len() * 2;
        if slot_count > self.budget_slots {
            return false;
        }
        let old = std::mem::replace(&mut self.slots, vec![[0u64; 3]; slot_count]);
        self.mask = slot_count - 1;
        self.max_used = Self::max_used(slot_count);
        for slot in old.into_iter().filter(|slot| slot[2] != 0) {
            let index = self.find((slot[0], slot[1]));
            if let Some(target) = self.slots.get_mut(index) {
                *target = slot;
            }
        }
        true
    }

    fn digest(&self, key: &[u8]) -> (u64, u64) {
        let mut high = self.high.build_hasher();
        high.write(key);
        let mut low = self.low.build_hasher();
        low.write(key);
        (high.finish(), low.finish())
    }

    /// The slot holding `digest`, or the empty slot where it would go.
    fn find(&self, digest: (u64, u64)) -> usize {
        let mut index = (digest.1 as usize) & self.mask;
        loop {
            match self.slots.get(index) {
                Some([high, low, offset]) if *offset != 0 && (*high, *low) != digest => {
                    index = (index + 1) & self.mask;
                }
                _ => return index,
            }
        }
    }

    /// Records `offset` as the latest of `key`. `false` when the key is new and the map is
    /// full (nothing recorded): the caller stops indexing there.
    pub fn put(&mut self, key: &[u8], offset: i64) -> bool {
        let digest = self.digest(key);
        let mut index = self.find(digest);
        let is_new = self.slots.get(index).is_some_and(|slot| slot[2] == 0);
        if is_new && self.used >= self.max_used {
            if !self.grow() {
                return false;
            }
            index = self.find(digest);
        }
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        if is_new {
            self.used += 1;
        }
        *slot = [digest.0, digest.1, offset.wrapping_add(1) as u64];
        true
    }

    /// The latest offset recorded for `key`.
    pub fn get(&self, key: &[u8]) -> Option<i64> {
        let digest = self.digest(key);
        match self.slots.get(self.find(digest)) {
            Some([_, _, offset]) if *offset != 0 => Some((*offset as i64).wrapping_sub(1)),
            _ => None,
        }
    }

    /// Keys recorded.
    pub fn len(&self) -> usize {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// True when no new key fits, even after growing to the budget.
    pub fn is_full(&self) -> bool {
        self.used >= self.capacity()
    }

    /// How many keys fit within the budget.
    pub fn capacity(&self) -> usize {
        Self::max_used(self.budget_slots)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_offset_of_each_key_wins_and_absent_keys_are_absent() {
        let mut map = OffsetMap::new(1 << 20, 1000);
        for offset in 0..1000i64 {
            let key = format!("key-{}", offset % 100);
            assert!(map.put(key.as_bytes(), offset));
        }
        assert_eq!(map.len(), 100);
        for key in 0..100i64 {
            assert_eq!(map.get(format!("key-{key}").as_bytes()), Some(900 + key));
        }
        assert_eq!(map.get(b"key-100"), None);
        assert_eq!(map.get(b""), None);
        assert!(map.put(b"", 5000));
        assert_eq!(map.get(b""), Some(5000));
    }

    #[test]
    fn a_full_map_refuses_new_keys_but_updates_known_ones() {
        // 64 slots of budget: 57 keys at the 0.9 load factor.
        let mut map = OffsetMap::new(64 * SLOT_BYTES, 1_000_000);
        let capacity = map.capacity();
        assert_eq!(capacity, 57);
        for index in 0..capacity {
            assert!(map.put(format!("{index}").as_bytes(), index as i64));
        }
        assert!(map.is_full());
        assert!(!map.put(b"one more", 99));
        assert_eq!(map.get(b"one more"), None);
        assert!(map.put(b"3", 1234));
        assert_eq!(map.get(b"3"), Some(1234));
        assert_eq!(map.len(), capacity);
    }

    #[test]
    fn the_table_starts_small_and_grows_within_the_budget() {
        let mut map = OffsetMap::new(128 << 20, 1 << 30);
        assert!(map.slots.len() <= 32_768);
        for key in 0..100_000u32 {
            assert!(map.put(&key.to_be_bytes(), i64::from(key)));
        }
        assert!(map.slots.len() >= 131_072 && map.slots.len() <= 262_144);
        for key in (0..100_000u32).step_by(997) {
            assert_eq!(map.get(&key.to_be_bytes()), Some(i64::from(key)));
        }
        let capped = OffsetMap::new(1024 * SLOT_BYTES, 1 << 40);
        assert_eq!(capped.capacity(), (1024.0 * LOAD_FACTOR) as usize);
    }
}
