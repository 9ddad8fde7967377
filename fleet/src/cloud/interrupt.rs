//! The interrupt policy of a watched run, as a pure state machine: what each Ctrl-C (or any
//! other request to halt: a CI job cancelled, a pod told to stop) asks of the master, and when
//! the watch ends. Listening for the signal and sending the halt are the caller's.

use super::status::Phase;

/// What Ctrl-C asks of the master.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    Stop,
    Terminate,
}

/// Stop once data flows (engines save what they have), terminate before (nothing to save).
pub fn halt_for(progress: Option<i64>) -> Halt {
    match progress.map(Phase::of) {
        Some(phase) if phase.has_data() => Halt::Stop,
        _ => Halt::Terminate,
    }
}

/// The Ctrl-C policy of one watch: the first press asks for [`halt_for`] the master's last
/// known progress, every later press for [`Halt::Terminate`]; the halt asked for last stays
/// pending until the API accepts it (it is retried every poll).
#[derive(Debug, Clone, Default)]
pub struct InterruptPolicy {
    presses: u32,
    pending: Option<Halt>,
}

impl InterruptPolicy {
    /// A press; returns the halt it asks for, now pending.
    pub fn press(&mut self, progress: Option<i64>) -> Halt {
        self.presses += 1;
        let halt = if self.presses == 1 {
            halt_for(progress)
        } else {
            Halt::Terminate
        };
        self.pending = Some(halt);
        halt
    }

    /// The halt to send, if one is pending.
    pub fn pending(&self) -> Option<Halt> {
        self.pending
    }

    /// The API accepted the pending halt. Returns whether the watch ends now: a terminate
    /// asked for by a second press means the user wants out; otherwise the watch follows the
    /// master to its end.
    pub fn accepted(&mut self) -> bool {
        let halt = self.pending.take();
        halt == Some(Halt::Terminate) && self.presses >= 2
    }

    /// Whether the user pressed Ctrl-C at all.
    pub fn interrupted(&self) -> bool {
        self.presses > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn stop_once_data_flows_terminate_before() {
        assert_eq!(halt_for(None), Halt::Terminate);
        assert_eq!(halt_for(Some(25)), Halt::Terminate);
        assert_eq!(halt_for(Some(100)), Halt::Stop);
        assert_eq!(halt_for(Some(140)), Halt::Stop);
    }

    #[test]
    fn a_second_press_terminates_and_ends_the_watch() {
        let mut policy = InterruptPolicy::default();
        assert!(!policy.interrupted());
        assert_eq!(policy.pending(), None);
        assert_eq!(policy.press(Some(100)), Halt::Stop);
        assert_eq!(policy.pending(), Some(Halt::Stop));
        assert!(
            !policy.accepted(),
            "a graceful stop follows the master to its end"
        );
        assert_eq!(policy.pending(), None);
        assert_eq!(policy.press(Some(120)), Halt::Terminate);
        assert!(
            policy.accepted(),
            "a second press's terminate ends the watch"
        );
        assert!(policy.interrupted());
    }

    #[test]
    fn a_first_press_before_data_terminates_but_follows_the_master() {
        let mut policy = InterruptPolicy::default();
        assert_eq!(policy.press(Some(25)), Halt::Terminate);
        assert!(!policy.accepted());
        assert!(policy.interrupted());
    }

    proptest! {
        /// Any sequence of presses (each at some progress, the API accepting the pending halt
        /// or not in between): the first press asks for halt_for its progress and every later
        /// one for a terminate; the halt pending is the one asked for last until accepted; and
        /// an acceptance ends the watch exactly when it accepts a terminate after two presses.
        #[test]
        fn presses_follow_the_policy(
            events in proptest::collection::vec((proptest::option::of(0i64..=140), any::<bool>()), 1..12)
        ) {
            let mut policy = InterruptPolicy::default();
            let mut presses = 0;
            for (progress, accept) in events {
                let halt = policy.press(progress);
                presses += 1;
                let expected = if presses == 1 { halt_for(progress) } else { Halt::Terminate };
                prop_assert_eq!(halt, expected);
                prop_assert_eq!(policy.pending(), Some(halt));
                if accept {
                    let ends = policy.accepted();
                    prop_assert_eq!(ends, halt == Halt::Terminate && presses >= 2);
                    prop_assert_eq!(policy.pending(), None);
                }
                prop_assert!(policy.interrupted());
            }
        }
    }
}
