//! Per-workload results and their two renderings: a fixed-width table (latencies in
//! milliseconds with microsecond precision) and JSON (latencies in microseconds).

use serde::Serialize;

use super::histogram::LatencyHistogram;

/// Latency figures of one workload, in microseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    pub p50_us: f64,
    pub p99_us: f64,
    pub p999_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
}

impl LatencySummary {
    /// Summarises a histogram of nanoseconds.
    pub fn from_nanoseconds(histogram: &LatencyHistogram) -> LatencySummary {
        let micros = |nanos: u64| nanos as f64 / 1_000.0;
        LatencySummary {
            p50_us: micros(histogram.quantile(0.50)),
            p99_us: micros(histogram.quantile(0.99)),
            p999_us: micros(histogram.quantile(0.999)),
            max_us: micros(histogram.max()),
            mean_us: histogram.mean() / 1_000.0,
        }
    }
}

/// The outcome of one workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkloadReport {
    pub workload: String,
    pub sessions: usize,
    pub pipeline: usize,
    pub payload_bytes: usize,
    /// Operations that succeeded (and were timed).
    pub ops: u64,
    /// Operations that failed (not in the latency figures).
    pub errors: u64,
    /// Wall time of the timed phase.
    pub seconds: f64,
    pub ops_per_second: f64,
    pub latency: LatencySummary,
}

impl WorkloadReport {
    /// Builds a report from the merged histogram of nanoseconds.
    pub fn new(
        workload: &str,
        sessions: usize,
        pipeline: usize,
        payload_bytes: usize,
        histogram: &LatencyHistogram,
        errors: u64,
        seconds: f64,
    ) -> WorkloadReport {
        let ops = histogram.count();
        let ops_per_second = if seconds > 0.0 {
            ops as f64 / seconds
        } else {
            0.0
        };
        WorkloadReport {
            workload: workload.to_string(),
            sessions,
            pipeline,
            payload_bytes,
            ops,
            errors,
            seconds,
            ops_per_second,
            latency: LatencySummary::from_nanoseconds(histogram),
        }
    }
}

/// The header line of the table.
pub fn table_header() -> String {
    format!(
        "{:<14} {:>8} {:>10} {:>8} {:>11} {:>9} {:>9} {:>9} {:>9} {:>7}",
        "workload",
        "sessions",
        "ops",
        "seconds",
        "ops/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors"
    )
}

/// One table row.
pub fn table_row(report: &WorkloadReport) -> String {
    let millis = |micros: f64| micros / 1_000.0;
    format!(
        "{:<14} {:>8} {:>10} {:>8.2} {:>11.1} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>7}",
        report.workload,
        report.sessions,
        report.ops,
        report.seconds,
        report.ops_per_second,
        millis(report.latency.p50_us),
        millis(report.latency.p99_us),
        millis(report.latency.p999_us),
        millis(report.latency.max_us),
        report.errors
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn sample() -> WorkloadReport {
        let mut histogram = LatencyHistogram::new();
        for _ in 0..999 {
            histogram.record(1_000_000);
        }
        histogram.record(25_000_000);
        WorkloadReport::new("getData", 32, 1, 100, &histogram, 3, 2.0)
    }

    #[test]
    fn report_derives_rate_and_latencies() {
        let report = sample();
        assert_eq!(report.ops, 1000);
        assert_eq!(report.ops_per_second, 500.0);
        assert!((report.latency.p50_us - 1_000.0).abs() < 16.0);
        assert_eq!(report.latency.max_us, 25_000.0);
        assert_eq!(report.latency.p999_us, report.latency.p50_us);
    }

    #[test]
    fn table_columns_line_up() {
        let header = table_header();
        let row = table_row(&sample());
        assert_eq!(header.len(), row.len());
        assert!(row.starts_with("getData              32       1000     2.00       500.0"));
        assert!(row.ends_with("25.000       3"));
    }

    #[test]
    fn json_uses_microseconds() {
        let json = serde_json::to_value(sample()).unwrap();
        assert_eq!(json["workload"], "getData");
        assert_eq!(json["ops"], 1000);
        assert_eq!(json["errors"], 3);
        assert_eq!(json["latency"]["max_us"], 25_000.0);
    }
}
