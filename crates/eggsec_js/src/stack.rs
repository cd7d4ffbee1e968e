//! Large stacks for the parser, the evaluator and the extractors.
//!
//! oxc's parser is recursive descent and the visitors recurse, so JS is only ever handled on a
//! thread with a large stack, where no input (within `max_file_bytes`, after the bracket
//! pre-scan) can overflow it. One pool of such threads is built once per process ([`pool`]);
//! work already on one of its threads runs in place, anything else moves to it for the call
//! ([`on_large_stack`]), so a run of thousands of files starts a handful of threads, not one
//! per file.

use crate::JsError;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

/// Stack of every pool thread (address space; only the pages a deep input touches are used).
pub const STACK_BYTES: usize = 256 * 1024 * 1024;

thread_local! {
    /// True on a thread started with [`STACK_BYTES`] of stack.
    static LARGE: Cell<bool> = const { Cell::new(false) };
}

/// The process's pool of large-stack threads (as many as rayon's default), or `None` when the
/// threads cannot be started (each call then gets a thread of its own).
pub fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .stack_size(STACK_BYTES)
            .thread_name(|i| format!("eggsec-js-{i}"))
            .start_handler(|_| LARGE.with(|l| l.set(true)))
            .build()
            .ok()
    })
    .as_ref()
}

/// True when the current thread has a large stack.
pub fn on_large_thread() -> bool {
    LARGE.with(Cell::get)
}

/// Runs `f` on the large-stack pool (in place when already on it): rayon's parallel
/// iterators inside `f` use the pool too.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    match pool() {
        Some(p) if !on_large_thread() => p.install(f),
        _ => f(),
    }
}

/// Runs `f` with a large stack: in place on a pool thread, else on the pool, else on a
/// thread of its own. A panic inside `f` becomes an error naming `path`, never a crash of the
/// run.
pub fn on_large_stack<T: Send>(
    path: &Path,
    f: impl FnOnce() -> Result<T, JsError> + Send,
) -> Result<T, JsError> {
    let internal = |message: &str| JsError::Internal {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let guarded = || {
        catch_unwind(AssertUnwindSafe(f))
            .unwrap_or_else(|_| Err(internal("the parser failed unexpectedly")))
    };
    if on_large_thread() {
        return guarded();
    }
    if let Some(p) = pool() {
        return p.install(guarded);
    }
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("eggsec-js".into())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, guarded)
            .map_err(|e| internal(&format!("cannot start the parser thread: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(internal("the parser failed unexpectedly")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_runs_on_a_large_stack_and_panics_become_errors() {
        assert!(!on_large_thread());
        let on_large = on_large_stack(Path::new("x.js"), || Ok(on_large_thread())).unwrap();
        assert!(on_large);
        // nested calls run in place
        let nested = install(|| {
            on_large_stack(Path::new("y.js"), || {
                Ok(std::thread::current().name().map(str::to_string))
            })
        })
        .unwrap();
        assert!(nested.unwrap_or_default().starts_with("eggsec-js-"));
        let e = on_large_stack::<()>(Path::new("bad.js"), || panic!("boom")).unwrap_err();
        assert!(e.to_string().contains("bad.js"), "{e}");
        // a deep recursion that would overflow a default 2 MiB stack
        fn depth(n: u32) -> u32 {
            let pad = std::hint::black_box([0u8; 512]);
            if n == 0 {
                u32::from(pad[0])
            } else {
                depth(n - 1) + u32::from(pad[1])
            }
        }
        assert_eq!(
            on_large_stack(Path::new("deep.js"), || Ok(depth(40_000))).unwrap(),
            0
        );
    }
}
