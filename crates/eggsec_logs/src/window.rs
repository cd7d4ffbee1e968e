//! Sliding-window counting per key (IP, account, or one global key) that tolerates records
//! arriving out of timestamp order: egg's workers flush their buffers once a second, so
//! records interleave up to ~1 s × workers. Events wait in a reorder heap until they are
//! [`REORDER_MS`] older than the newest timestamp seen, then enter their key's window in order.
//! Memory is bounded by the window contents, not by the input size.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};

/// How far out of order a record may arrive and still be counted in order.
pub const REORDER_MS: i64 = 5_000;

/// A window that reached the threshold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Burst {
    pub key: String,
    /// Timestamp and line of the first event in the burst.
    pub start_ts: i64,
    pub line: u64,
    /// The largest number of events seen inside one window during the burst.
    pub peak: usize,
    /// Distinct values (e.g. URLs) seen in the burst (capped at 5 samples).
    pub samples: Vec<String>,
}

/// Counts events per key in a sliding window of `window_ms`; a burst is `threshold` events
/// within one window.
pub struct Windowed {
    window_ms: i64,
    threshold: usize,
    heap: BinaryHeap<Reverse<(i64, u64, u32, u32)>>,
    keys: HashMap<String, u32>,
    names: Vec<String>,
    windows: Vec<VecDeque<(i64, u64)>>,
    active: Vec<Option<usize>>,
    samples: Vec<Vec<String>>,
    sample_ids: HashMap<String, u32>,
    sample_names: Vec<String>,
    max_ts: i64,
    /// Finished and running bursts.
    pub bursts: Vec<Burst>,
}

impl Windowed {
    pub fn new(window_ms: i64, threshold: usize) -> Self {
        Windowed {
            window_ms,
            threshold: threshold.max(1),
            heap: BinaryHeap::new(),
            keys: HashMap::new(),
            names: Vec::new(),
            windows: Vec::new(),
            active: Vec::new(),
            samples: Vec::new(),
            sample_ids: HashMap::new(),
            sample_names: Vec::new(),
            max_ts: i64::MIN,
            bursts: Vec::new(),
        }
    }

    /// Adds one event. `sample` (e.g. the URL) is kept for the report, a few per burst.
    pub fn push(&mut self, ts: i64, line: u64, key: &str, sample: &str) {
        let id = match self.keys.get(key) {
            Some(id) => *id,
            None => {
                let id = self.names.len() as u32;
                self.keys.insert(key.to_string(), id);
                self.names.push(key.to_string());
                self.windows.push(VecDeque::new());
                self.active.push(None);
                self.samples.push(Vec::new());
                id
            }
        };
        let sid = if sample.is_empty() {
            u32::MAX
        } else if let Some(s) = self.sample_ids.get(sample) {
            *s
        } else if self.sample_names.len() < 10_000 {
            let s = self.sample_names.len() as u32;
            self.sample_ids.insert(sample.to_string(), s);
            self.sample_names.push(sample.to_string());
            s
        } else {
            u32::MAX
        };
        self.heap.push(Reverse((ts, line, id, sid)));
        self.max_ts = self.max_ts.max(ts);
        while let Some(Reverse((t, ..))) = self.heap.peek() {
            if *t < self.max_ts - REORDER_MS {
                let Reverse(ev) = self.heap.pop().expect("peeked");
                self.feed(ev);
            } else {
                break;
            }
        }
    }

    fn feed(&mut self, (ts, line, id, sid): (i64, u64, u32, u32)) {
        let i = id as usize;
        let w = &mut self.windows[i];
        w.push_back((ts, line));
        while let Some((t, _)) = w.front() {
            if *t <= ts - self.window_ms {
                w.pop_front();
            } else {
                break;
            }
        }
        let count = w.len();
        match self.active[i] {
            Some(b) => {
                let burst = &mut self.bursts[b];
                burst.peak = burst.peak.max(count);
                if count == 1 {
                    // The window emptied: the burst is over.
                    self.active[i] = None;
                }
            }
            None if count >= self.threshold => {
                let (start_ts, start_line) = w[0];
                self.bursts.push(Burst {
                    key: self.names[i].clone(),
                    start_ts,
                    line: start_line,
                    peak: count,
                    samples: Vec::new(),
                });
                self.active[i] = Some(self.bursts.len() - 1);
                self.samples[i].clear();
            }
            None => {}
        }
        if let Some(b) = self.active[i] {
            let burst = &mut self.bursts[b];
            if sid != u32::MAX && burst.samples.len() < 5 {
                let s = &self.sample_names[sid as usize];
                if !burst.samples.contains(s) {
                    burst.samples.push(s.clone());
                }
            }
        }
    }

    /// Feeds every waiting event (live use: the input is idle, nothing older will come).
    pub fn flush(&mut self) {
        while let Some(Reverse(ev)) = self.heap.pop() {
            self.feed(ev);
        }
    }

    /// Flushes the reorder heap; returns the bursts.
    pub fn finish(mut self) -> Vec<Burst> {
        while let Some(Reverse(ev)) = self.heap.pop() {
            self.feed(ev);
        }
        self.bursts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_out_of_order_events_in_one_window() {
        let mut w = Windowed::new(60_000, 5);
        // Five failures within 60 s, delivered out of order by up to 1 s.
        for (ts, line) in [(1_000, 1), (3_000, 2), (2_500, 3), (4_000, 4), (3_900, 5)] {
            w.push(ts, line, "1.2.3.4", "/login");
        }
        // Four from another IP: below the threshold.
        for ts in [1_000, 2_000, 3_000, 4_000] {
            w.push(ts, 9, "5.6.7.8", "/login");
        }
        let bursts = w.finish();
        assert_eq!(bursts.len(), 1);
        assert_eq!(bursts[0].key, "1.2.3.4");
        assert_eq!(bursts[0].start_ts, 1_000);
        assert_eq!(bursts[0].peak, 5);
    }

    #[test]
    fn spread_out_events_are_no_burst() {
        let mut w = Windowed::new(60_000, 3);
        for i in 0..10 {
            w.push(i * 61_000, i as u64, "k", "");
        }
        assert!(w.finish().is_empty());
    }
}
