//! Run-wide counts of what a plan's own logic ran into: extractors that matched nothing and
//! `while` blocks stopped by their cap. Each extractor and `while` block gets a slot when the
//! plan is compiled, so counting one is a single atomic add.

use std::sync::atomic::{AtomicU64, Ordering};

/// The slots, in plan order.
#[derive(Default)]
pub struct Counters {
    misses: Vec<(String, String, AtomicU64)>,
    caps: Vec<(String, String, u64, AtomicU64)>,
}

/// How often an extractor of a request found nothing (its default, if any, was used).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractorMisses {
    pub label: String,
    pub variable: String,
    pub count: u64,
}

/// How often a `while` block ran `max_iterations` times with its condition still true.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhileCapsReached {
    pub scenario: String,
    pub condition: String,
    pub max_iterations: u64,
    pub count: u64,
}

impl Counters {
    /// A slot for the extractor of `variable` on request `label`.
    pub fn add_extractor(&mut self, label: &str, variable: &str) -> usize {
        self.misses
            .push((label.to_string(), variable.to_string(), AtomicU64::new(0)));
        self.misses.len() - 1
    }

    /// A slot for a `while` block of `scenario`.
    pub fn add_while(&mut self, scenario: &str, condition: &str, max_iterations: u64) -> usize {
        self.caps.push((
            scenario.to_string(),
            condition.to_string(),
            max_iterations,
            AtomicU64::new(0),
        ));
        self.caps.len() - 1
    }

    /// The number of extractor slots so far (the next one's index).
    pub fn misses_len(&self) -> usize {
        self.misses.len()
    }

    pub fn missed(&self, slot: usize) {
        self.misses[slot].2.fetch_add(1, Ordering::Relaxed);
    }

    pub fn capped(&self, slot: usize) {
        self.caps[slot].3.fetch_add(1, Ordering::Relaxed);
    }

    /// The extractors that missed at least once, in plan order; one entry per label and
    /// variable (a request label used twice adds its counts up).
    pub fn extractor_misses(&self) -> Vec<ExtractorMisses> {
        let mut out: Vec<ExtractorMisses> = Vec::new();
        for (label, variable, count) in &self.misses {
            let count = count.load(Ordering::Relaxed);
            if count == 0 {
                continue;
            }
            match out
                .iter_mut()
                .find(|m| m.label == *label && m.variable == *variable)
            {
                Some(entry) => entry.count += count,
                None => out.push(ExtractorMisses {
                    label: label.clone(),
                    variable: variable.clone(),
                    count,
                }),
            }
        }
        out
    }

    /// The `while` blocks whose cap was reached at least once, in plan order.
    pub fn while_caps(&self) -> Vec<WhileCapsReached> {
        self.caps
            .iter()
            .filter_map(|(scenario, condition, max_iterations, count)| {
                let count = count.load(Ordering::Relaxed);
                (count > 0).then(|| WhileCapsReached {
                    scenario: scenario.clone(),
                    condition: condition.clone(),
                    max_iterations: *max_iterations,
                    count,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_happened_is_reported_and_a_label_used_twice_adds_up() {
        let mut counters = Counters::default();
        let a = counters.add_extractor("login", "token");
        let b = counters.add_extractor("login", "token");
        let _quiet = counters.add_extractor("home", "csrf");
        let w = counters.add_while("shop", "${more} == \"true\"", 100);
        counters.missed(a);
        counters.missed(b);
        counters.missed(b);
        assert_eq!(
            counters.extractor_misses(),
            [ExtractorMisses {
                label: "login".into(),
                variable: "token".into(),
                count: 3
            }]
        );
        assert!(counters.while_caps().is_empty());
        counters.capped(w);
        assert_eq!(counters.while_caps()[0].count, 1);
        assert_eq!(counters.while_caps()[0].max_iterations, 100);
    }
}
