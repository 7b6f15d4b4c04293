//! A latency histogram with log-linear buckets: constant memory, about 0.8 % relative error.
//!
//! Values (nanoseconds here) below 128 have a bucket each. Above that, every power-of-two range
//! [2^k, 2^(k+1)) is split into 64 equal buckets, so a bucket is never wider than 1/64 of its
//! lower bound: 3,776 `u64` counters cover the whole `u64` range. Each session records into its
//! own histogram; [`LatencyHistogram::merge`] adds them up at the end. A quantile reports the
//! upper edge of the bucket it falls in, clamped to the largest value recorded, so it never
//! understates a latency by more than a bucket width.

/// Values below this have an exact bucket each.
const EXACT_LIMIT: u64 = 128;
/// Buckets per power-of-two range above [`EXACT_LIMIT`].
const SUB_BUCKETS: u64 = 64;
/// Total number of buckets: 128 exact, then 57 ranges (2^7 … 2^63) of 64 buckets.
const BUCKETS: usize = (EXACT_LIMIT + 57 * SUB_BUCKETS) as usize;

/// A log-linear latency histogram (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatencyHistogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    min: u64,
    sum: u128,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram::new()
    }
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
            min: u64::MAX,
            sum: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        if let Some(count) = self.counts.get_mut(bucket_of(value)) {
            *count += 1;
        }
        self.total += 1;
        self.max = self.max.max(value);
        self.min = self.min.min(value);
        self.sum += u128::from(value);
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
        self.min = self.min.min(other.min);
        self.sum += other.sum;
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Largest value recorded (0 when empty).
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Smallest value recorded (0 when empty).
    pub fn min(&self) -> u64 {
        if self.total == 0 {
            0
        } else {
            self.min
        }
    }

    /// Arithmetic mean (0 when empty).
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.sum as f64 / self.total as f64
        }
    }

    /// The value at quantile `q` (0.0–1.0): the upper edge of the bucket holding the
    /// `ceil(q × count)`-th smallest value, at most [`LatencyHistogram::max`]. 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_upper_edge(index).min(self.max).max(self.min());
            }
        }
        self.max
    }
}

/// The bucket index of `value`.
fn bucket_of(value: u64) -> usize {
    if value < EXACT_LIMIT {
        return value as usize;
    }
    let highest_bit = 63 - u64::from(value.leading_zeros());
    let shift = highest_bit - 6;
    let top = value >> shift;
    (EXACT_LIMIT + (shift - 1) * SUB_BUCKETS + (top - SUB_BUCKETS)) as usize
}

/// The largest value that falls in bucket `index`.
fn bucket_upper_edge(index: usize) -> u64 {
    let index = index as u64;
    if index < EXACT_LIMIT {
        return index;
    }
    let above = index - EXACT_LIMIT;
    let shift = above / SUB_BUCKETS + 1;
    let top = above % SUB_BUCKETS + SUB_BUCKETS;
    let edge = (u128::from(top + 1) << shift) - 1;
    u64::try_from(edge).unwrap_or(u64::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let mut histogram = LatencyHistogram::new();
        for value in 0..128 {
            histogram.record(value);
        }
        assert_eq!(histogram.count(), 128);
        assert_eq!(histogram.quantile(0.5), 63);
        assert_eq!(histogram.quantile(1.0), 127);
        assert_eq!(histogram.min(), 0);
    }

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        assert_eq!(bucket_of(127), 127);
        assert_eq!(bucket_of(128), 128);
        assert_eq!(bucket_upper_edge(128), 129);
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
        assert_eq!(bucket_upper_edge(BUCKETS - 1), u64::MAX);
        for index in 128..BUCKETS - 1 {
            let edge = bucket_upper_edge(index);
            assert_eq!(bucket_of(edge), index, "upper edge of {index}");
            assert_eq!(bucket_of(edge + 1), index + 1, "next after {index}");
        }
    }

    #[test]
    fn relative_error_is_below_two_percent() {
        for value in [
            129u64,
            1_000,
            12_345,
            999_999,
            123_456_789,
            9_876_543_210_123,
        ] {
            let mut histogram = LatencyHistogram::new();
            histogram.record(value);
            histogram.record(u64::MAX / 2);
            let reported = histogram.quantile(0.5);
            assert!(reported >= value, "{reported} < {value}");
            assert!(
                (reported - value) as f64 / value as f64 <= 1.0 / 64.0,
                "{value} → {reported}"
            );
        }
    }

    #[test]
    fn quantiles_of_a_uniform_spread() {
        let mut histogram = LatencyHistogram::new();
        for value in 1..=100_000u64 {
            histogram.record(value * 1_000);
        }
        let check = |q: f64, expected: f64| {
            let reported = histogram.quantile(q) as f64;
            assert!(
                (reported - expected).abs() / expected < 0.02,
                "q{q}: {reported} vs {expected}"
            );
        };
        check(0.5, 50_000_000.0);
        check(0.99, 99_000_000.0);
        check(0.999, 99_900_000.0);
        assert_eq!(histogram.quantile(1.0), 100_000_000);
        assert_eq!(histogram.max(), 100_000_000);
        assert!((histogram.mean() - 50_000_500.0).abs() < 1.0);
    }

    #[test]
    fn merge_adds_counts() {
        let mut left = LatencyHistogram::new();
        let mut right = LatencyHistogram::new();
        for _ in 0..99 {
            left.record(1_000);
        }
        right.record(5_000_000);
        left.merge(&right);
        assert_eq!(left.count(), 100);
        assert_eq!(left.max(), 5_000_000);
        assert!(left.quantile(0.5) < 1_020);
        assert_eq!(left.quantile(0.999), 5_000_000);
        assert_eq!(left.min(), 1_000);
    }

    #[test]
    fn empty_histogram_reports_zero() {
        let histogram = LatencyHistogram::new();
        assert_eq!(histogram.quantile(0.99), 0);
        assert_eq!(histogram.max(), 0);
        assert_eq!(histogram.min(), 0);
        assert_eq!(histogram.mean(), 0.0);
    }
}
