//! Run guards (`eggsec --timeout SECS --max-memory MB <command>`): a run that goes on too long
//! or holds too much memory ends with a message and exit 2, never a hang and never the
//! kernel's OOM killer. Both are off unless asked for.
//!
//! The memory cap counts the heap bytes eggsec holds (every allocation goes through
//! [`Counting`]), so an allocation that would pass the cap is refused before it is made,
//! however large; thread stacks and the binary itself are not counted. The time limit is a
//! watchdog thread.

use mimalloc::MiMalloc as Inner;
use std::alloc::{GlobalAlloc, Layout};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The allocator: mimalloc (an audit allocates many small, short-lived facts: the system
/// allocator was a quarter of all instructions), counting live bytes while a cap is set.
pub struct Counting;

/// The cap in bytes (0: no cap, nothing counted).
static CAP: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { Inner.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { Inner.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { Inner.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            shrink(layout.size() - new_size);
        }
        // SAFETY: forwarded unchanged to the inner allocator.
        unsafe { Inner.realloc(ptr, layout, new_size) }
    }
}

#[inline]
fn grow(n: usize) {
    let cap = CAP.load(Ordering::Relaxed);
    if cap == 0 {
        return;
    }
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    if live > cap {
        // No allocation from here on: a fixed message, then exit.
        CAP.store(0, Ordering::Relaxed);
        let _ = std::io::stderr().write_all(
            b"eggsec: error: the run needs more memory than --max-memory allows; stopped (exit 2)\n",
        );
        std::process::exit(2);
    }
}

#[inline]
fn shrink(n: usize) {
    if CAP.load(Ordering::Relaxed) != 0 {
        LIVE.fetch_sub(n.min(LIVE.load(Ordering::Relaxed)), Ordering::Relaxed);
    }
}

/// Starts the guards that were asked for. Memory allocated before this call is not counted
/// (the arguments, a few KB).
pub fn start(timeout: Option<f64>, max_memory_mb: Option<u64>) {
    if let Some(mb) = max_memory_mb {
        let bytes = usize::try_from(mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        CAP.store(bytes.max(1), Ordering::Relaxed);
    }
    if let Some(secs) = timeout {
        let limit = Duration::from_secs_f64(secs.max(0.0));
        let started = Instant::now();
        let _ = std::thread::Builder::new()
            .name("eggsec-timeout".into())
            .spawn(move || {
                while started.elapsed() < limit {
                    std::thread::sleep(Duration::from_millis(20).min(limit));
                }
                eprintln!("eggsec: error: the run did not end within {secs} s (--timeout); stopped (exit 2)");
                std::process::exit(2);
            });
    }
}
