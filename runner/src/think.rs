//! Think times and pauses: a fixed time, or one drawn at random each time.

use std::time::Duration;

use rand::Rng;
use vajra_plan::ThinkTime;

/// The pause `think` asks for this time: `uniform(M, S)` uniformly in `M ± S` (never below
/// zero), `gaussian(M, D)` normally around `M` with deviation `D` (never below zero),
/// `poisson(M, O)` `O` plus a Poisson count of milliseconds averaging `M - O`.
pub fn draw(think: &ThinkTime, rng: &mut impl Rng) -> Duration {
    match *think {
        ThinkTime::Fixed(pause) => pause,
        ThinkTime::Uniform { mean, spread } => {
            let low = mean.saturating_sub(spread);
            let high = mean + spread;
            if low >= high {
                return mean;
            }
            rng.gen_range(low..=high)
        }
        ThinkTime::Gaussian { mean, deviation } => {
            let offset = deviation.as_secs_f64() * standard_normal(rng);
            Duration::try_from_secs_f64((mean.as_secs_f64() + offset).max(0.0)).unwrap_or(mean)
        }
        ThinkTime::Poisson { mean, offset } => {
            // JMeter counts the random part in whole milliseconds.
            let lambda = mean.saturating_sub(offset).as_secs_f64() * 1000.0;
            match rand_distr::Poisson::new(lambda) {
                Ok(poisson) => offset + Duration::from_millis(rng.sample(poisson) as u64),
                // lambda == 0: no random part.
                Err(_) => offset,
            }
        }
    }
}

/// A standard normal value (Box–Muller), so no distribution crate is needed for one use.
fn standard_normal(rng: &mut impl Rng) -> f64 {
    // In (0, 1]: the logarithm stays finite.
    let u1 = 1.0 - rng.gen::<f64>();
    let u2 = rng.gen::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn gaussian_draws_centre_on_the_mean_with_the_deviation() {
        let mut rng = StdRng::seed_from_u64(7);
        let think = ThinkTime::Gaussian {
            mean: ms(1000),
            deviation: ms(100),
        };
        let draws: Vec<f64> = (0..20_000)
            .map(|_| draw(&think, &mut rng).as_secs_f64())
            .collect();
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        let sd =
            (draws.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / draws.len() as f64).sqrt();
        assert!((mean - 1.0).abs() < 0.005, "mean {mean}");
        assert!((sd - 0.1).abs() < 0.005, "deviation {sd}");
    }

    #[test]
    fn fixed_is_fixed_and_a_zero_spread_is_the_mean() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(draw(&ThinkTime::Fixed(ms(5)), &mut rng), ms(5));
        let flat = ThinkTime::Uniform {
            mean: ms(5),
            spread: ms(0),
        };
        assert_eq!(draw(&flat, &mut rng), ms(5));
    }

    #[test]
    fn poisson_with_the_offset_equal_to_the_mean_is_fixed() {
        let mut rng = StdRng::seed_from_u64(3);
        let think = ThinkTime::Poisson {
            mean: ms(300),
            offset: ms(300),
        };
        assert_eq!(draw(&think, &mut rng), ms(300));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn poisson_draws_are_at_least_the_offset_and_average_the_mean(
            offset in 0u64..2_000, extra in 1u64..5_000, seed: u64,
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let mean = offset + extra;
            let think = ThinkTime::Poisson { mean: ms(mean), offset: ms(offset) };
            let n = 2_000;
            let mut sum = 0.0;
            for _ in 0..n {
                let got = draw(&think, &mut rng);
                proptest::prop_assert!(got >= ms(offset), "{got:?} < offset {offset}ms");
                sum += got.as_secs_f64() * 1000.0;
            }
            // The mean of n draws has deviation sqrt(lambda / n); allow five of them.
            let tolerance = 5.0 * (extra as f64 / n as f64).sqrt() + 1.0;
            let average = sum / n as f64;
            proptest::prop_assert!(
                (average - mean as f64).abs() < tolerance,
                "average {average} for mean {mean}, tolerance {tolerance}"
            );
        }

        #[test]
        fn uniform_stays_within_mean_plus_or_minus_spread(
            mean in 0u64..5_000, spread in 0u64..5_000, seed: u64,
        ) {
            let mut rng = StdRng::seed_from_u64(seed);
            let think = ThinkTime::Uniform { mean: ms(mean), spread: ms(spread) };
            let got = draw(&think, &mut rng);
            proptest::prop_assert!(got >= ms(mean.saturating_sub(spread)));
            proptest::prop_assert!(got <= ms(mean + spread));
        }

        #[test]
        fn gaussian_is_never_negative(mean in 0u64..100, deviation in 0u64..10_000, seed: u64) {
            let mut rng = StdRng::seed_from_u64(seed);
            let think = ThinkTime::Gaussian { mean: ms(mean), deviation: ms(deviation) };
            // A Duration cannot be negative; the draw must not panic or fall back wrongly.
            proptest::prop_assert!(draw(&think, &mut rng) <= ms(mean) + ms(deviation) * 10);
        }
    }
}
