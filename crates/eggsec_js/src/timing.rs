//! Opt-in phase timings: `EGGSEC_TIMINGS=1 eggsec audit <app>` prints, on stderr, where the
//! run's time went (discovery, config, code walk, parse, semantic, flow, extractors, routes,
//! rules, render). Off by default; when off, a phase costs one relaxed atomic load.
//! `EGGSEC_TIMINGS=trace` also prints every timed span on its own line — thread, start and
//! end in milliseconds since the program started, name — to see which thread waited for
//! which (the critical path of a run on two cores).
//!
//! Wall-clock phases are timed on the calling thread ([`phase`]); the per-file work that runs
//! on the parser pool is summed over the workers ([`add`]), so those lines are thread time
//! (they can add up to more than the wall clock on several cores).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

static STATE: AtomicU8 = AtomicU8::new(0); // 0 unknown, 1 off, 2 on, 3 on with the trace
static TOTALS: Mutex<Vec<(&'static str, Duration, u32)>> = Mutex::new(Vec::new());
/// Finer entries (one per rule): only the slowest are printed.
static DETAILS: Mutex<Vec<(&'static str, Duration, u32)>> = Mutex::new(Vec::new());

/// Every span, when tracing: (name, thread, start, end).
static TRACE: Mutex<Vec<(&'static str, std::thread::ThreadId, Instant, Instant)>> =
    Mutex::new(Vec::new());
/// When the program started (as [`start`] saw it): the trace's zero.
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

fn state() -> u8 {
    match STATE.load(Ordering::Relaxed) {
        0 => {
            let v = std::env::var_os("EGGSEC_TIMINGS");
            let state = match v.as_deref() {
                Some(v) if v == "trace" => 3,
                Some(v) if !v.is_empty() && v != "0" => 2,
                _ => 1,
            };
            STATE.store(state, Ordering::Relaxed);
            state
        }
        s => s,
    }
}

/// True when `EGGSEC_TIMINGS` is set to something other than `0` or empty.
pub fn enabled() -> bool {
    state() >= 2
}

/// Called first thing in `main`: reads `EGGSEC_TIMINGS` and, when tracing, takes the time
/// the trace counts from.
pub fn start() {
    if state() == 3 {
        STARTED.get_or_init(Instant::now);
    }
}

/// Records the span from `start` to now, when tracing.
fn trace(name: &'static str, start: Instant) {
    if state() == 3 {
        let span = (name, std::thread::current().id(), start, Instant::now());
        TRACE.lock().unwrap_or_else(|e| e.into_inner()).push(span);
    }
}

/// Adds `d` to the named phase.
pub fn add(name: &'static str, d: Duration) {
    add_to(&TOTALS, name, d);
}

/// Adds the time since `start` to a detail entry (such as one rule); [`report`] lists the
/// slowest few.
pub fn add_detail(name: &'static str, start: Instant) {
    add_to(&DETAILS, name, start.elapsed());
    trace(name, start);
}

fn add_to(list: &Mutex<Vec<(&'static str, Duration, u32)>>, name: &'static str, d: Duration) {
    if !enabled() {
        return;
    }
    let mut totals = list.lock().unwrap_or_else(|e| e.into_inner());
    match totals.iter_mut().find(|(n, _, _)| *n == name) {
        Some((_, total, count)) => {
            *total += d;
            *count += 1;
        }
        None => totals.push((name, d, 1)),
    }
}

/// Times `f` under `name` (when timings are on).
pub fn time<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    add(name, start.elapsed());
    trace(name, start);
    out
}

/// A started phase: records its time under `name` when dropped.
pub struct Phase {
    name: &'static str,
    start: Option<Instant>,
}

/// Starts timing `name` until the returned guard is dropped.
pub fn phase(name: &'static str) -> Phase {
    Phase {
        name,
        start: enabled().then(Instant::now),
    }
}

impl Drop for Phase {
    fn drop(&mut self) {
        if let Some(start) = self.start {
            add(self.name, start.elapsed());
            trace(self.name, start);
        }
    }
}

/// The phases recorded so far, in first-recorded order, one per line, then the five slowest
/// detail entries, then (when tracing) every span in the order they ended (empty when off).
pub fn report() -> String {
    let line = |(name, d, count): &(&'static str, Duration, u32)| {
        format!(
            "eggsec timing: {name:<18} {:>9.2} ms  ({count}×)\n",
            d.as_secs_f64() * 1000.0
        )
    };
    let totals = TOTALS.lock().unwrap_or_else(|e| e.into_inner());
    let mut details = DETAILS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    details.sort_by_key(|d| std::cmp::Reverse(d.1));
    let mut out: String = totals.iter().map(line).collect();
    for d in details.iter().take(5) {
        out.push_str(&line(&(d.0, d.1, d.2)).replacen("timing: ", "timing:   ", 1));
    }
    let zero = STARTED.get().copied();
    let ms = |t: Instant| zero.map_or(0.0, |z| t.saturating_duration_since(z).as_secs_f64() * 1e3);
    for (name, thread, start, end) in TRACE.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        out.push_str(&format!(
            "eggsec trace: {thread:?} {:.3} {:.3} {name}\n",
            ms(*start),
            ms(*end)
        ));
    }
    out
}
