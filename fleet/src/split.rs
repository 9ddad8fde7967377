//! Splitting a total load across locations and engines (docs/blazemeter-api.md §3.4).
//!
//! [`split`] validates the wanted locations against the workspace's, divides the total TPS
//! and users by weight with [`largest_remainder`] rounding (shares always sum to the total),
//! computes integer percents summing to exactly 100, sizes the engines of each location from
//! its `threadsPerEngine` limit and the caller's TPS capacity per engine, and gives each engine
//! its exact share. The resulting [`Split`] prints as the table shown before launch.
//! Everything here is pure.

use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bzm_client::models::Location;

/// BlazeMeter allows up to ten locations per test.
pub const MAX_LOCATIONS: usize = 10;

/// What a location can take, from its `limits`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capacity {
    /// Users one engine may run (`limits.threadsPerEngine`); `None`: no user limit.
    pub threads_per_engine: Option<u64>,
    /// Engines allowed in the location (`limits.engines`); `None` or 0: not enforced.
    pub max_engines: Option<u64>,
}

impl From<&Location> for Capacity {
    fn from(location: &Location) -> Capacity {
        let limits = location.limits.as_ref();
        Capacity {
            threads_per_engine: limits.and_then(|l| l.threads_per_engine),
            max_engines: limits.and_then(|l| l.engines),
        }
    }
}

/// The capacities of a workspace's locations, by id.
pub fn capacities(locations: &[Location]) -> BTreeMap<String, Capacity> {
    locations
        .iter()
        .map(|l| (l.id.clone(), Capacity::from(l)))
        .collect()
}

/// What to split.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SplitRequest {
    /// Total requests per second, if the load has a rate.
    pub total_tps: Option<u64>,
    /// Total concurrent users, if the load has them.
    pub total_users: Option<u64>,
    /// Location id → relative weight (> 0), in display order.
    pub weights: Vec<(String, f64)>,
    /// TPS one engine can generate; with `total_tps` it sizes the engines too.
    pub tps_per_engine: Option<u64>,
}

/// The split of a load over locations.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    pub total_tps: Option<u64>,
    pub total_users: Option<u64>,
    pub locations: Vec<LocationShare>,
}

/// One location's part of the load.
#[derive(Debug, Clone, PartialEq)]
pub struct LocationShare {
    pub id: String,
    pub weight: f64,
    /// Integer percent (`locationsPercents`); all locations sum to 100.
    pub percent: u32,
    pub tps: Option<u64>,
    pub users: Option<u64>,
    pub engines: u64,
    /// TPS of each engine (sums to `tps`); empty without a TPS total.
    pub engine_tps: Vec<u64>,
    /// Users of each engine (sums to `users`); empty without a user total.
    pub engine_users: Vec<u64>,
}

/// Why a split is impossible.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    #[error("no locations given; name at least one location with a weight")]
    NoLocations,
    #[error("{count} locations given; BlazeMeter allows at most {MAX_LOCATIONS} per test")]
    TooManyLocations { count: usize },
    #[error("location {location}: weight {weight} must be a positive number")]
    BadWeight { location: String, weight: f64 },
    #[error("location {location} appears more than once")]
    DuplicateLocation { location: String },
    #[error("unknown location {location:?}; this workspace has: {}", known.join(", "))]
    UnknownLocation {
        location: String,
        known: Vec<String>,
    },
    #[error("the TPS capacity per engine must be at least 1")]
    ZeroTpsPerEngine,
    #[error("give a total TPS or a total of users to split")]
    NothingToSplit,
    #[error(
        "location {location} needs {needed} engines but allows {limit}; lower the load there or \
         give more weight to other locations"
    )]
    TooManyEngines {
        location: String,
        needed: u64,
        limit: u64,
    },
}

/// Divides `total` by weight: each share is the floor of its exact value, and the units left
/// over go to the largest fractional parts (ties: larger weight, then smaller id). The shares
/// sum to `total` and each is within one unit of `total * w / sum(w)`. Weights must be > 0.
pub fn largest_remainder(total: u64, weights: &[(&str, f64)]) -> Vec<u64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let sum: f64 = weights.iter().map(|(_, w)| w).sum();
    let exact: Vec<f64> = weights
        .iter()
        .map(|(_, w)| total as f64 * w / sum)
        .collect();
    let mut shares: Vec<u64> = exact
        .iter()
        .map(|e| (e.floor() as u64).min(total))
        .collect();
    let fraction = |i: usize| exact[i] - exact[i].floor();
    // Largest fraction first; ties: larger weight, then smaller id.
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        fraction(b)
            .partial_cmp(&fraction(a))
            .unwrap_or(Ordering::Equal)
            .then(
                weights[b]
                    .1
                    .partial_cmp(&weights[a].1)
                    .unwrap_or(Ordering::Equal),
            )
            .then(weights[a].0.cmp(weights[b].0))
    });
    // Float rounding can push the floors over the total; take back from the smallest fractions.
    let mut assigned: u64 = shares.iter().sum();
    for &i in order.iter().rev().cycle() {
        if assigned <= total {
            break;
        }
        if shares[i] > 0 {
            shares[i] -= 1;
            assigned -= 1;
        }
    }
    for &i in order.iter().cycle() {
        if assigned >= total {
            break;
        }
        shares[i] += 1;
        assigned += 1;
    }
    shares
}

/// [`largest_remainder`], then, when there are at least as many units as locations, every
/// location gets at least one (taken from the largest share), so no location runs idle.
pub fn distribute(total: u64, weights: &[(&str, f64)]) -> Vec<u64> {
    let mut shares = largest_remainder(total, weights);
    if total < shares.len() as u64 {
        return shares;
    }
    while let Some(empty) = shares.iter().position(|&s| s == 0) {
        // Pigeonhole: with a zero share and total >= n, some share is >= 2.
        let donor = (0..shares.len())
            .max_by_key(|&i| (shares[i], Reverse(i)))
            .unwrap_or(empty);
        shares[donor] -= 1;
        shares[empty] += 1;
    }
    shares
}

/// Integer percents per weight, summing to exactly 100.
pub fn percents(weights: &[(&str, f64)]) -> Vec<u32> {
    distribute(100, weights)
        .into_iter()
        .map(|p| u32::try_from(p).unwrap_or(100))
        .collect()
}

/// `total` over `parts` as evenly as possible: the first `total % parts` get one more, exactly
/// as workers share a plan's arrivals ([`vajra_plan::schedule::share`]).
pub fn even_shares(total: u64, parts: u64) -> Vec<u64> {
    (0..parts)
        .map(|i| vajra_plan::schedule::share(total, i, parts))
        .collect()
}

/// Engines needed for `users` and `tps` in one location: at least one, enough that no engine
/// exceeds `threads_per_engine` users or `tps_per_engine` TPS.
pub fn engines_needed(
    users: Option<u64>,
    tps: Option<u64>,
    threads_per_engine: Option<u64>,
    tps_per_engine: Option<u64>,
) -> u64 {
    let by = |amount: Option<u64>, per: Option<u64>| match (amount, per) {
        (Some(amount), Some(per)) if per > 0 => amount.div_ceil(per),
        _ => 0,
    };
    by(users, threads_per_engine)
        .max(by(tps, tps_per_engine))
        .max(1)
}

/// Splits a load across the locations of a workspace (see the module docs).
pub fn split(
    request: &SplitRequest,
    available: &BTreeMap<String, Capacity>,
) -> Result<Split, SplitError> {
    validate(request, available)?;
    let weights: Vec<(&str, f64)> = request
        .weights
        .iter()
        .map(|(id, w)| (id.as_str(), *w))
        .collect();
    let by_weight = |total: Option<u64>| -> Vec<Option<u64>> {
        match total {
            Some(total) => distribute(total, &weights).into_iter().map(Some).collect(),
            None => vec![None; weights.len()],
        }
    };
    let tps = by_weight(request.total_tps);
    let users = by_weight(request.total_users);
    let percent = percents(&weights);

    let mut locations = Vec::with_capacity(weights.len());
    for (i, (id, weight)) in request.weights.iter().enumerate() {
        let capacity = available.get(id).copied().unwrap_or_default();
        let engines = engines_needed(
            users[i],
            tps[i],
            capacity.threads_per_engine,
            request.tps_per_engine,
        );
        if let Some(limit) = capacity.max_engines.filter(|&m| m > 0) {
            if engines > limit {
                return Err(SplitError::TooManyEngines {
                    location: id.clone(),
                    needed: engines,
                    limit,
                });
            }
        }
        locations.push(LocationShare {
            id: id.clone(),
            weight: *weight,
            percent: percent[i],
            tps: tps[i],
            users: users[i],
            engines,
            engine_tps: tps[i].map(|t| even_shares(t, engines)).unwrap_or_default(),
            engine_users: users[i]
                .map(|u| even_shares(u, engines))
                .unwrap_or_default(),
        });
    }
    Ok(Split {
        total_tps: request.total_tps,
        total_users: request.total_users,
        locations,
    })
}

fn validate(
    request: &SplitRequest,
    available: &BTreeMap<String, Capacity>,
) -> Result<(), SplitError> {
    if request.weights.is_empty() {
        return Err(SplitError::NoLocations);
    }
    if request.weights.len() > MAX_LOCATIONS {
        return Err(SplitError::TooManyLocations {
            count: request.weights.len(),
        });
    }
    if request.total_tps.is_none() && request.total_users.is_none() {
        return Err(SplitError::NothingToSplit);
    }
    if request.tps_per_engine == Some(0) {
        return Err(SplitError::ZeroTpsPerEngine);
    }
    let mut seen = BTreeSet::new();
    for (id, weight) in &request.weights {
        if !(weight.is_finite() && *weight > 0.0) {
            return Err(SplitError::BadWeight {
                location: id.clone(),
                weight: *weight,
            });
        }
        if !seen.insert(id) {
            return Err(SplitError::DuplicateLocation {
                location: id.clone(),
            });
        }
        if !available.contains_key(id) {
            return Err(SplitError::UnknownLocation {
                location: id.clone(),
                known: available.keys().cloned().collect(),
            });
        }
    }
    Ok(())
}

impl Split {
    pub fn total_engines(&self) -> u64 {
        self.locations.iter().map(|l| l.engines).sum()
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        let mut rows: Vec<[String; 7]> = vec![[
            "location",
            "weight",
            "percent",
            "TPS",
            "users",
            "engines",
            "TPS/engine",
        ]
        .map(str::to_owned)];
        for l in &self.locations {
            rows.push([
                l.id.clone(),
                l.weight.to_string(),
                format!("{}%", l.percent),
                number(l.tps),
                number(l.users),
                l.engines.to_string(),
                range(&l.engine_tps),
            ]);
        }
        let weights: f64 = self.locations.iter().map(|l| l.weight).sum();
        rows.push([
            "total".to_owned(),
            weights.to_string(),
            "100%".to_owned(),
            number(self.total_tps),
            number(self.total_users),
            self.total_engines().to_string(),
            String::new(),
        ]);
        let mut widths = [0usize; 7];
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in &rows {
            let mut line = format!("{:<w$}", row[0], w = widths[0]);
            for (cell, w) in row.iter().zip(widths).skip(1) {
                line.push_str(&format!("  {cell:>w$}"));
            }
            writeln!(f, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `"333"` when all engines are equal, `"333-334"` otherwise, `"-"` when there are none.
fn range(values: &[u64]) -> String {
    match (values.iter().min(), values.iter().max()) {
        (Some(min), Some(max)) if min == max => min.to_string(),
        (Some(min), Some(max)) => format!("{min}-{max}"),
        _ => "-".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn available(ids: &[(&str, u64)]) -> BTreeMap<String, Capacity> {
        ids.iter()
            .map(|(id, tpe)| {
                let capacity = Capacity {
                    threads_per_engine: Some(*tpe),
                    max_engines: Some(50),
                };
                (id.to_string(), capacity)
            })
            .collect()
    }

    fn request(weights: &[(&str, f64)], tps: Option<u64>, users: Option<u64>) -> SplitRequest {
        SplitRequest {
            total_tps: tps,
            total_users: users,
            weights: weights.iter().map(|(id, w)| (id.to_string(), *w)).collect(),
            tps_per_engine: None,
        }
    }

    /// The worked example of docs/blazemeter-api.md §3.4: throughput 1000, concurrency 300,
    /// us-east4-a: 2, europe-west1-b: 1, threadsPerEngine 500.
    #[test]
    fn worked_example_of_the_docs() {
        let avail = available(&[("us-east4-a", 500), ("europe-west1-b", 500)]);
        let req = request(
            &[("us-east4-a", 2.0), ("europe-west1-b", 1.0)],
            Some(1000),
            Some(300),
        );
        let split = split(&req, &avail).unwrap();
        let [east, europe] = &split.locations[..] else {
            panic!("two locations expected")
        };
        assert_eq!((east.tps, europe.tps), (Some(667), Some(333)));
        assert_eq!((east.users, europe.users), (Some(200), Some(100)));
        assert_eq!((east.percent, europe.percent), (67, 33));
        assert_eq!((east.engines, europe.engines), (1, 1));
        assert_eq!(east.engine_tps, vec![667]);
        assert_eq!(europe.engine_users, vec![100]);
    }

    #[test]
    fn table_shows_every_column() {
        let avail = available(&[("us-east4-a", 500), ("europe-west1-b", 500)]);
        let mut req = request(
            &[("us-east4-a", 2.0), ("europe-west1-b", 1.0)],
            Some(1000),
            Some(300),
        );
        req.tps_per_engine = Some(300);
        let table = split(&req, &avail).unwrap().to_string();
        let expected = "\
location        weight  percent   TPS  users  engines  TPS/engine
us-east4-a           2      67%   667    200        3     222-223
europe-west1-b       1      33%   333    100        2     166-167
total                3     100%  1000    300        5
";
        assert_eq!(table, expected);
    }

    #[test]
    fn engines_come_from_users_and_tps() {
        assert_eq!(engines_needed(Some(1001), None, Some(500), None), 3);
        assert_eq!(
            engines_needed(Some(10), Some(2500), Some(500), Some(1000)),
            3
        );
        assert_eq!(engines_needed(Some(0), Some(0), Some(500), Some(1000)), 1);
        assert_eq!(engines_needed(Some(10), None, None, None), 1);
    }

    #[test]
    fn location_engine_limit_is_enforced() {
        let mut avail = available(&[("sandbox", 20)]);
        avail.get_mut("sandbox").unwrap().max_engines = Some(2);
        let err = split(&request(&[("sandbox", 1.0)], None, Some(50)), &avail).unwrap_err();
        assert!(
            matches!(
                err,
                SplitError::TooManyEngines {
                    needed: 3,
                    limit: 2,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn invalid_requests_are_errors() {
        let avail = available(&[("a", 100), ("b", 100)]);
        let check = |req: SplitRequest| split(&req, &avail).unwrap_err();
        assert!(matches!(
            check(request(&[("a", 0.0)], Some(1), None)),
            SplitError::BadWeight { .. }
        ));
        assert!(matches!(
            check(request(&[("a", -1.0)], Some(1), None)),
            SplitError::BadWeight { .. }
        ));
        assert!(matches!(
            check(request(&[("a", f64::NAN)], Some(1), None)),
            SplitError::BadWeight { .. }
        ));
        assert!(matches!(
            check(request(&[], Some(1), None)),
            SplitError::NoLocations
        ));
        assert!(matches!(
            check(request(&[("a", 1.0)], None, None)),
            SplitError::NothingToSplit
        ));
        assert!(matches!(
            check(request(&[("a", 1.0), ("a", 2.0)], Some(1), None)),
            SplitError::DuplicateLocation { .. }
        ));
        let err = check(request(&[("a", 1.0), ("mars-1", 1.0)], Some(1), None));
        assert_eq!(
            err.to_string(),
            "unknown location \"mars-1\"; this workspace has: a, b"
        );
        let mut zero = request(&[("a", 1.0)], Some(1), None);
        zero.tps_per_engine = Some(0);
        assert_eq!(check(zero), SplitError::ZeroTpsPerEngine);
    }

    #[test]
    fn more_than_ten_locations_is_an_error() {
        let ids: Vec<String> = (0..11).map(|i| format!("loc-{i}")).collect();
        let avail: BTreeMap<String, Capacity> = ids
            .iter()
            .map(|id| (id.clone(), Capacity::default()))
            .collect();
        let weights: Vec<(&str, f64)> = ids.iter().map(|id| (id.as_str(), 1.0)).collect();
        let err = split(&request(&weights, Some(100), None), &avail).unwrap_err();
        assert_eq!(err, SplitError::TooManyLocations { count: 11 });
        let ten = split(&request(&weights[..10], Some(100), None), &avail).unwrap();
        assert_eq!(ten.locations.len(), 10);
    }

    #[test]
    fn ties_go_to_larger_weight_then_smaller_id() {
        // 1 unit over equal fractions: the smaller id wins.
        assert_eq!(largest_remainder(1, &[("b", 1.0), ("a", 1.0)]), vec![0, 1]);
        // 100 over thirds: one extra unit, to the first by id.
        assert_eq!(
            largest_remainder(100, &[("x", 1.0), ("y", 1.0), ("z", 1.0)]),
            vec![34, 33, 33]
        );
    }

    #[test]
    fn minimum_one_per_location_when_possible() {
        assert_eq!(distribute(10, &[("a", 1.0), ("b", 1000.0)]), vec![1, 9]);
        assert_eq!(distribute(1, &[("a", 1.0), ("b", 1000.0)]), vec![0, 1]);
        assert_eq!(percents(&[("a", 1.0), ("b", 10_000.0)]), vec![1, 99]);
    }

    fn weights_strategy() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(
            prop_oneof![(1u32..1000).prop_map(f64::from), 0.001f64..1000.0],
            1..=MAX_LOCATIONS,
        )
    }

    fn named(weights: &[f64]) -> Vec<(String, f64)> {
        weights
            .iter()
            .enumerate()
            .map(|(i, w)| (format!("loc-{i:02}"), *w))
            .collect()
    }

    fn refs(named: &[(String, f64)]) -> Vec<(&str, f64)> {
        named.iter().map(|(id, w)| (id.as_str(), *w)).collect()
    }

    proptest! {
        #[test]
        fn largest_remainder_sums_and_stays_within_one(total in 0u64..10_000_000, weights in weights_strategy()) {
            let named = named(&weights);
            let shares = largest_remainder(total, &refs(&named));
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let sum: f64 = weights.iter().sum();
            for (share, w) in shares.iter().zip(&weights) {
                let exact = total as f64 * w / sum;
                prop_assert!((*share as f64 - exact).abs() < 1.0 + 1e-6, "{} vs {}", share, exact);
            }
        }

        #[test]
        fn split_is_exact_deterministic_and_sized(
            tps in 0u64..1_000_000,
            users in 0u64..100_000,
            weights in weights_strategy(),
            tpe in 1u64..2000,
            tps_per_engine in 1u64..5000,
        ) {
            let named = named(&weights);
            let avail: BTreeMap<String, Capacity> = named
                .iter()
                .map(|(id, _)| (id.clone(), Capacity { threads_per_engine: Some(tpe), max_engines: None }))
                .collect();
            let req = SplitRequest { total_tps: Some(tps), total_users: Some(users), weights: named.clone(), tps_per_engine: Some(tps_per_engine) };
            let a = split(&req, &avail).unwrap();
            prop_assert_eq!(&a, &split(&req, &avail).unwrap());
            prop_assert_eq!(a.locations.iter().map(|l| l.tps.unwrap()).sum::<u64>(), tps);
            prop_assert_eq!(a.locations.iter().map(|l| l.users.unwrap()).sum::<u64>(), users);
            prop_assert_eq!(a.locations.iter().map(|l| l.percent).sum::<u32>(), 100);
            let sum: f64 = weights.iter().sum();
            let all_exact_at_least_one = weights.iter().all(|w| tps as f64 * w / sum >= 1.0);
            for l in &a.locations {
                prop_assert!(l.percent >= 1);
                if tps >= weights.len() as u64 {
                    prop_assert!(l.tps.unwrap() >= 1);
                }
                if all_exact_at_least_one {
                    let exact = tps as f64 * l.weight / sum;
                    prop_assert!((l.tps.unwrap() as f64 - exact).abs() < 1.0 + 1e-6);
                }
                prop_assert_eq!(l.engine_tps.len() as u64, l.engines);
                prop_assert_eq!(l.engine_tps.iter().sum::<u64>(), l.tps.unwrap());
                prop_assert_eq!(l.engine_users.iter().sum::<u64>(), l.users.unwrap());
                prop_assert!(l.engine_tps.iter().all(|&t| t <= tps_per_engine));
                prop_assert!(l.engine_users.iter().all(|&u| u <= tpe));
                let spread = l.engine_tps.iter().max().unwrap() - l.engine_tps.iter().min().unwrap();
                prop_assert!(spread <= 1);
            }
        }

        #[test]
        fn bad_weights_are_always_rejected(bad in prop_oneof![Just(0.0), -1e9f64..=0.0], weights in weights_strategy()) {
            let mut named = named(&weights);
            named[0].1 = bad;
            let avail: BTreeMap<String, Capacity> =
                named.iter().map(|(id, _)| (id.clone(), Capacity::default())).collect();
            let req = SplitRequest { total_tps: Some(10), weights: named, ..SplitRequest::default() };
            let is_bad_weight = matches!(split(&req, &avail), Err(SplitError::BadWeight { .. }));
            prop_assert!(is_bad_weight);
        }
    }
}
