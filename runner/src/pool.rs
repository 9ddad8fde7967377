//! The open model's lane pool: which lane runs the next arrival.
//!
//! An arrival goes straight to an idle lane when there is one. Otherwise it waits in a short
//! pending queue for the next lane to finish, and a new lane (with a new connection) is started
//! only when the pending arrivals outnumber the lanes already starting, and never more than
//! [`MAX_STARTING_LANES`] at once. A lane counts as starting until its first job is done, since
//! that job opens its connection (a TLS handshake costs as much CPU as hundreds of requests).
//! Starting a lane per arrival instead would, after any hiccup or at the start of an https run,
//! open hundreds of connections at once and make the hiccup worse. A pending arrival's wait is
//! measured, since times run from the intended start.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::mpsc;

use super::Job;

/// Where an idle lane takes its next job. Exactly one handle to a lane's slot exists at any
/// time (in the idle list, or travelling with a job to the lane), so when the pool closes and
/// drops the idle list, each idle lane's channel closes and the lane ends.
pub type Slot = mpsc::Sender<Handoff>;

/// A job, with the receiving lane's own slot, which it gives back when it goes idle again.
pub struct Handoff {
    pub job: Job,
    pub slot: Slot,
}

/// Lanes opening their first connection at once, at most. Enough to reach any rate quickly
/// (a lane serves thousands of requests a second once connected), few enough that a burst of
/// TLS handshakes cannot starve the lanes already running.
pub const MAX_STARTING_LANES: usize = 32;

#[derive(Default)]
pub struct Pool {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Idle lanes by id, most recently used last.
    idle: Vec<(u32, Slot)>,
    pending: VecDeque<Job>,
    /// Lanes started that have not finished their first job (they are opening a connection).
    starting: usize,
    closed: bool,
}

/// What a lane does next.
pub enum Next {
    /// Run this pending job; the lane keeps its slot.
    Run(Job, Slot),
    /// Wait on the lane's channel: its slot is in the idle list.
    Wait,
    /// The pool is closed and nothing is pending: the lane ends.
    End,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update below is complete before the lock is released, so a poisoned lock
        // still holds consistent state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Places `job`; true when the caller must start a new lane (which will take a pending job).
    pub fn submit(&self, mut job: Job) -> bool {
        let mut state = self.lock();
        while let Some((_, slot)) = state.idle.pop() {
            match slot.try_send(Handoff {
                job,
                slot: slot.clone(),
            }) {
                Ok(()) => return false,
                // That lane has ended (only after a stop); try the next one.
                Err(e) => job = e.into_inner().job,
            }
        }
        state.pending.push_back(job);
        if state.pending.len() > state.starting && state.starting < MAX_STARTING_LANES {
            state.starting += 1;
            true
        } else {
            false
        }
    }

    /// A new lane's first job, if one is still pending. With none, the lane is started (idle)
    /// at once; with one, it is once it calls [`Pool::started`] after the job.
    pub fn first(&self) -> Option<Job> {
        let mut state = self.lock();
        let job = state.pending.pop_front();
        if job.is_none() {
            state.starting -= 1;
        }
        job
    }

    /// A new lane finished its first job (and so opened its connection).
    pub fn started(&self) {
        self.lock().starting -= 1;
    }

    /// After a job: the next pending one, else park the lane's `slot` in the idle list.
    /// Lanes with an open connection are handed jobs first (the list is used as a stack), so
    /// lanes started during a burst but not needed since never open a connection.
    pub fn next(&self, lane: u32, slot: Slot, connected: bool) -> Next {
        let mut state = self.lock();
        if let Some(job) = state.pending.pop_front() {
            return Next::Run(job, slot);
        }
        if state.closed {
            return Next::End;
        }
        if connected {
            state.idle.push((lane, slot));
        } else {
            state.idle.insert(0, (lane, slot));
        }
        Next::Wait
    }

    /// Takes an idle lane out of the pool so it can end; false if it was handed a job
    /// meanwhile (the job is on its way to the lane).
    pub fn retire(&self, lane: u32) -> bool {
        let mut state = self.lock();
        match state.idle.iter().position(|(id, _)| *id == lane) {
            Some(index) => {
                state.idle.remove(index);
                true
            }
            None => false,
        }
    }

    /// No more arrivals: idle lanes end now, busy ones once the pending jobs are done.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        state.idle.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn job() -> Job {
        Job {
            intended: Instant::now(),
            scenario: 0,
            record: true,
            active: 1,
        }
    }

    #[test]
    fn new_lanes_start_only_when_pending_jobs_outnumber_starting_lanes() {
        let pool = Pool::default();
        assert!(pool.submit(job()), "no lane at all: start one");
        assert!(!pool.submit(job()) || pool.lock().starting == 2);
        let starting = pool.lock().starting;
        let pending = pool.lock().pending.len();
        assert_eq!((starting, pending), (2, 2));
        assert!(pool.first().is_some());
        assert!(pool.first().is_some());
        assert_eq!(
            pool.lock().starting,
            2,
            "starting until their first jobs are done"
        );
        assert!(
            !pool.submit(job()),
            "two starting lanes, one pending job: no new lane"
        );
        pool.started();
        pool.started();
        assert!(
            pool.submit(job()),
            "two pending jobs, no lane starting: start one"
        );
        assert!(pool.first().is_some());
        assert!(pool.first().is_some(), "the other pending job");
        pool.started();
        assert_eq!(pool.lock().starting, 0);
    }

    #[test]
    fn a_new_lane_that_finds_no_job_is_started_at_once() {
        let pool = Pool::default();
        assert!(pool.submit(job()));
        // Another lane took the job meanwhile.
        assert!(pool.lock().pending.pop_front().is_some());
        assert!(pool.first().is_none());
        assert_eq!(pool.lock().starting, 0);
    }

    #[test]
    fn lanes_opening_connections_at_once_are_capped() {
        let pool = Pool::default();
        let started = (0..MAX_STARTING_LANES * 4)
            .filter(|_| pool.submit(job()))
            .count();
        assert_eq!(started, MAX_STARTING_LANES);
        for _ in 0..MAX_STARTING_LANES {
            assert!(pool.first().is_some());
        }
        assert!(
            !pool.submit(job()),
            "all of them are still opening connections"
        );
        pool.started();
        assert!(
            pool.submit(job()),
            "one finished: the pending jobs may start another"
        );
    }

    #[tokio::test]
    async fn an_idle_lane_gets_the_next_job_and_closing_ends_idle_lanes() {
        let pool = Pool::default();
        let (slot, mut handoffs) = mpsc::channel(1);
        assert!(matches!(pool.next(1, slot, true), Next::Wait));
        assert!(!pool.submit(job()), "the idle lane takes it");
        let handoff = handoffs.recv().await.unwrap();
        assert!(matches!(pool.next(1, handoff.slot, true), Next::Wait));
        pool.close();
        assert!(
            handoffs.recv().await.is_none(),
            "closing drops the idle lane's slot"
        );
    }

    #[test]
    fn connected_lanes_are_handed_jobs_first() {
        let pool = Pool::default();
        let (cold, mut cold_jobs) = mpsc::channel(1);
        let (warm, mut warm_jobs) = mpsc::channel(1);
        assert!(matches!(pool.next(1, warm, true), Next::Wait));
        assert!(matches!(pool.next(2, cold, false), Next::Wait));
        assert!(!pool.submit(job()));
        assert!(warm_jobs.try_recv().is_ok());
        assert!(cold_jobs.try_recv().is_err());
        assert!(pool.retire(2), "the idle cold lane can retire");
        assert!(!pool.retire(1), "the warm lane was handed a job: it cannot");
        assert!(pool.lock().idle.is_empty());
    }

    #[test]
    fn pending_jobs_are_drained_after_close() {
        let pool = Pool::default();
        assert!(pool.submit(job()));
        pool.close();
        let (slot, _handoffs) = mpsc::channel(1);
        let Next::Run(_, slot) = pool.next(1, slot, true) else {
            panic!("the pending job comes first")
        };
        assert!(matches!(pool.next(1, slot, true), Next::End));
    }
}
