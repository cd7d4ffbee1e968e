//! Run guards (`eggsec --timeout SECS --max-memory MB <command>`): a run that goes on too long
//! or holds too much memory ends with a message and exit 2, never a hang and never the
//! kernel's OOM killer. Both are off unless asked for.
//!
//! The memory cap counts the heap bytes eggsec holds (every allocation goes through
//! [`Counting`]), so an allocation that would pass the cap is refused before it is made,
//! however large; thread stacks and the binary itself are not counted. The time limit is a
//! watchdog thread.

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The allocator: mimalloc (an audit allocates many small, short-lived facts: the system
/// allocator was a quarter of all instructions), counting live bytes while a cap is set.
///
/// One placement rule on top: a block of 84–512 KiB is asked for as a 512 KiB + 1 block.
/// mimalloc serves that middle range from 4 MiB pages, one page per size class and thread, and
/// lets the kernel back them with 2 MiB transparent huge pages: a run that allocates a dozen
/// such sizes (file texts, parser arenas, big fact vectors) on three threads had the kernel
/// zero ≈ 40 MiB for ≈ 6 MiB of live data — an eighth of the run's CPU time. Above 512 KiB
/// every block gets its own page, cut to its size and reused when freed: 24 MiB committed,
/// ≈ 1 ms less per DoraCMS audit (see `docs/notes/wave5/speed.md`). Growing such a block up to
/// 512 KiB is then free (it already has the room).
pub struct Counting;

/// mimalloc's largest "medium" block (84 KiB) and largest "large" block (512 KiB).
const MEDIUM_MAX: usize = 84 * 1024;
const LARGE_MAX: usize = 512 * 1024;

/// The size asked of mimalloc for `size` bytes (never less than `size`).
#[inline]
fn placed(size: usize) -> usize {
    if size > MEDIUM_MAX && size <= LARGE_MAX {
        LARGE_MAX + 1
    } else {
        size
    }
}

/// Every mimalloc block is aligned to 16 bytes (8 below 16 bytes). As in std's system
/// allocator, a layout that asks for no more goes to the plain calls; only larger alignments
/// take mimalloc's aligned entry, which checks the alignment and looks for a naturally aligned
/// block first (7M instructions of a DoraCMS audit went there).
const MIN_ALIGN: usize = 16;

#[inline]
fn plain(align: usize, size: usize) -> bool {
    align <= MIN_ALIGN && align <= size
}

/// The cap in bytes (0: no cap, nothing counted).
static CAP: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: forwarded (see `malloc`).
        unsafe { malloc(layout.size(), layout.align()) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        // SAFETY: forwarded (see `zalloc`).
        unsafe { zalloc(layout.size(), layout.align()) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        // SAFETY: `ptr` came from this allocator.
        unsafe { mi::mi_free(ptr.cast::<c_void>()) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grow(new_size - layout.size());
        } else {
            shrink(layout.size() - new_size);
        }
        // SAFETY: forwarded (see `realloc`).
        unsafe { realloc(ptr, layout.align(), new_size) }
    }
}

// The calls into mimalloc, out of line: inlined into every allocation site (through
// `__rust_alloc`), their branches made `RawVec`'s allocation too big to inline in turn, and a
// `vec![Vec::new(); n]` (the regex compiler's maps) paid a call per element: +12M
// instructions on one app.

/// `size` bytes aligned to `align`: at least the size asked for (`placed`; mimalloc frees
/// and reallocates by pointer); plain calls only where their alignment is enough (`plain`).
#[inline(never)]
unsafe fn malloc(size: usize, align: usize) -> *mut u8 {
    let size = placed(size);
    // SAFETY: a valid size and a power-of-two alignment, from a `Layout`.
    unsafe {
        if plain(align, size) {
            mi::mi_malloc(size).cast()
        } else {
            mi::mi_malloc_aligned(size, align).cast()
        }
    }
}

/// As `malloc`, zeroed (the size as asked: mimalloc zeroes what it is asked for).
#[inline(never)]
unsafe fn zalloc(size: usize, align: usize) -> *mut u8 {
    // SAFETY: as in `malloc`.
    unsafe {
        if plain(align, size) {
            mi::mi_zalloc(size).cast()
        } else {
            mi::mi_zalloc_aligned(size, align).cast()
        }
    }
}

/// `ptr` (from this allocator) grown or shrunk to `new_size`, as in `malloc`.
#[inline(never)]
unsafe fn realloc(ptr: *mut u8, align: usize, new_size: usize) -> *mut u8 {
    let size = placed(new_size);
    // SAFETY: `ptr` came from mimalloc; as in `malloc`.
    unsafe {
        if plain(align, size) {
            mi::mi_realloc(ptr.cast::<c_void>(), size).cast()
        } else {
            mi::mi_realloc_aligned(ptr.cast::<c_void>(), size, align).cast()
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_in_the_middle_range_are_placed_above_it_and_keep_their_bytes() {
        assert_eq!(placed(1), 1);
        assert_eq!(placed(MEDIUM_MAX), MEDIUM_MAX);
        assert_eq!(placed(MEDIUM_MAX + 1), LARGE_MAX + 1);
        assert_eq!(placed(LARGE_MAX), LARGE_MAX + 1);
        assert_eq!(placed(LARGE_MAX + 1), LARGE_MAX + 1);
        assert_eq!(placed(8 << 20), 8 << 20);
        // through the process's allocator (this one): grow a buffer across every range, shrink
        // it back; the bytes written stay
        let mut v: Vec<u8> = Vec::new();
        for i in 0..(1usize << 20) {
            v.push((i % 251) as u8);
        }
        v.truncate(100 * 1024);
        v.shrink_to_fit();
        v.truncate(1000);
        v.shrink_to_fit();
        assert!(v.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
        let big = vec![7u8; 200 * 1024];
        assert!(big.iter().all(|b| *b == 7));
    }
}
