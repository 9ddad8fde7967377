//! One measured quantity (elapsed, latency or service time) of one label: an HdrHistogram for
//! percentiles plus exact integer moments for min, max, mean and standard deviation.
//!
//! The histogram gives percentiles to 3 significant digits; the moments are exact, so the mean
//! and standard deviation match what JMeter and BlazeMeter compute from raw values. Both parts
//! merge by addition, so a merged distribution equals one recorded from all values at once.

use hdrhistogram::Histogram;

/// Significant decimal digits kept by every histogram (0.1 % value resolution).
pub const SIGNIFICANT_DIGITS: u8 = 3;

/// A new empty auto-resizing histogram with [`SIGNIFICANT_DIGITS`].
pub(crate) fn new_histogram() -> Histogram<u64> {
    Histogram::new(SIGNIFICANT_DIGITS).expect("3 significant digits is a valid histogram setting")
}

/// Records `value` in an auto-resizing histogram. `saturating_record` would clamp to the current
/// range instead of growing it, so it is only the fallback for values no resize can hold.
pub(crate) fn record_value(histogram: &mut Histogram<u64>, value: u64) {
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

/// Values in microseconds. Sums are `u128`, so they cannot overflow in any realistic run
/// (2^128 µs² is far beyond any count × max²); they saturate rather than wrap on absurd input
/// (a JTL row claiming 10^19 µs), so such input gives a wrong stddev instead of a panic.
#[derive(Debug, Clone)]
pub struct Distribution {
    pub(crate) histogram: Histogram<u64>,
    pub(crate) count: u64,
    pub(crate) sum: u128,
    pub(crate) sum_of_squares: u128,
    /// `u64::MAX` when empty, so that merging takes the other's.
    pub(crate) min: u64,
    pub(crate) max: u64,
}

/// Equal contents: the same moments and the same count at every value. The histograms'
/// allocated ranges may differ (one grew further before a merge), which `Histogram`'s own
/// equality would count as a difference.
impl PartialEq for Distribution {
    fn eq(&self, other: &Distribution) -> bool {
        let recorded = |h: &Histogram<u64>| {
            h.iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect::<Vec<_>>()
        };
        (
            self.count,
            self.sum,
            self.sum_of_squares,
            self.min,
            self.max,
        ) == (
            other.count,
            other.sum,
            other.sum_of_squares,
            other.min,
            other.max,
        ) && self.histogram.sigfig() == other.histogram.sigfig()
            && recorded(&self.histogram) == recorded(&other.histogram)
    }
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution {
            histogram: new_histogram(),
            count: 0,
            sum: 0,
            sum_of_squares: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

impl Distribution {
    pub fn record(&mut self, value_us: u64) {
        self.record_n(value_us, 1);
    }

    /// Records `n` samples of `value_us` (an HdrHistogram bucket).
    #[inline]
    pub fn record_n(&mut self, value_us: u64, n: u64) {
        if n == 0 {
            return;
        }
        if self.histogram.record_n(value_us, n).is_err() {
            self.histogram.saturating_record_n(value_us, n);
        }
        self.count = self.count.saturating_add(n);
        let value = u128::from(value_us);
        // value < 2^64 and n < 2^64, so value · n fits a u128; value² · n may not.
        self.sum = self.sum.saturating_add(value * u128::from(n));
        self.sum_of_squares = self
            .sum_of_squares
            .saturating_add((value * value).saturating_mul(u128::from(n)));
        self.min = self.min.min(value_us);
        self.max = self.max.max(value_us);
    }

    pub fn merge(&mut self, other: &Distribution) {
        // Both histograms auto-resize, so adding cannot run out of range.
        self.histogram
            .add(&other.histogram)
            .expect("auto-resizing histograms with equal precision always add");
        self.count = self.count.saturating_add(other.count);
        self.sum = self.sum.saturating_add(other.sum);
        self.sum_of_squares = self.sum_of_squares.saturating_add(other.sum_of_squares);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn histogram(&self) -> &Histogram<u64> {
        &self.histogram
    }

    /// Exact smallest value, 0 when empty.
    pub fn min_us(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    /// Exact largest value, 0 when empty.
    pub fn max_us(&self) -> u64 {
        self.max
    }

    /// Exact sum of all values.
    pub fn sum_us(&self) -> u128 {
        self.sum
    }

    /// Exact mean, 0 when empty.
    pub fn mean_us(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        self.sum as f64 / self.count as f64
    }

    /// Population standard deviation (what JMeter's and BlazeMeter's reports show), 0 when
    /// empty. The variance numerator `n·Σx² − (Σx)²` is computed in exact integers, so there is
    /// no cancellation error; only the final division and square root are floating point.
    pub fn stddev_us(&self) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let n = u128::from(self.count);
        let numerator = n
            .checked_mul(self.sum_of_squares)
            .zip(self.sum.checked_mul(self.sum))
            .map(|(a, b)| a.saturating_sub(b) as f64);
        let variance = match numerator {
            Some(numerator) => numerator / (n as f64 * n as f64),
            // Only reachable beyond ~10^19 µs² per sample summed; fall back to floating point.
            None => {
                let mean = self.mean_us();
                (self.sum_of_squares as f64 / n as f64 - mean * mean).max(0.0)
            }
        };
        variance.sqrt()
    }

    /// The value at `quantile` (0.0..=1.0) by nearest rank, to 3 significant digits, clamped to
    /// the exact min and max so a percentile never exceeds the maximum. 0 when empty.
    pub fn quantile_us(&self, quantile: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        self.histogram
            .value_at_quantile(quantile)
            .clamp(self.min, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_to_hundred_ms() -> Distribution {
        let mut d = Distribution::default();
        for ms in 1..=100u64 {
            d.record(ms * 1000);
        }
        d
    }

    fn assert_close(actual: f64, expected: f64, relative: f64) {
        assert!(
            (actual - expected).abs() <= expected.abs() * relative,
            "{actual} is not within {relative} of {expected}"
        );
    }

    #[test]
    fn one_to_hundred_ms_percentiles_by_nearest_rank() {
        let d = one_to_hundred_ms();
        // 3 significant digits: within 0.1 % of the exact nearest-rank value.
        assert_close(d.quantile_us(0.5) as f64, 50_000.0, 0.001);
        assert_close(d.quantile_us(0.9) as f64, 90_000.0, 0.001);
        assert_close(d.quantile_us(0.95) as f64, 95_000.0, 0.001);
        assert_close(d.quantile_us(0.99) as f64, 99_000.0, 0.001);
        assert_eq!(d.quantile_us(1.0), 100_000, "clamped to the exact max");
        assert_eq!(d.quantile_us(0.0), 1_000, "clamped to the exact min");
    }

    #[test]
    fn one_to_hundred_ms_exact_moments() {
        let d = one_to_hundred_ms();
        assert_eq!(d.count(), 100);
        assert_eq!(d.min_us(), 1_000);
        assert_eq!(d.max_us(), 100_000);
        assert_eq!(d.mean_us(), 50_500.0);
        // Population: sqrt((100² − 1) / 12) ms = 28.866 ms; the sample stddev would be 29.011.
        assert_close(d.stddev_us(), 28_866.07, 1e-6);
    }

    #[test]
    fn small_values_are_exact() {
        let mut d = Distribution::default();
        for v in [0, 1, 2, 3, 4] {
            d.record(v);
        }
        assert_eq!(d.quantile_us(0.5), 2);
        assert_eq!(d.min_us(), 0);
        assert_eq!(d.stddev_us(), 2f64.sqrt());
    }

    #[test]
    fn empty_is_all_zero() {
        let d = Distribution::default();
        assert_eq!((d.min_us(), d.max_us(), d.quantile_us(0.99)), (0, 0, 0));
        assert_eq!((d.mean_us(), d.stddev_us()), (0.0, 0.0));
    }

    #[test]
    fn merge_equals_recording_all() {
        let mut a = Distribution::default();
        let mut b = Distribution::default();
        let mut all = Distribution::default();
        for v in [5u64, 70_000, 3, 1_000_000_000] {
            a.record(v);
            all.record(v);
        }
        for v in [12u64, 999_999, 4] {
            b.record(v);
            all.record(v);
        }
        a.merge(&b);
        assert_eq!(a.histogram(), all.histogram());
        assert_eq!(
            (a.count(), a.sum_us(), a.min_us(), a.max_us()),
            (all.count(), all.sum_us(), all.min_us(), all.max_us())
        );
        assert_eq!(a.stddev_us(), all.stddev_us());
    }
}
