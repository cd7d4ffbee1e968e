//! Links the `eggsec` executable at a fixed address on Linux (not position-independent): the
//! dynamic loader then has no relocations to apply to its half-megabyte of pointer tables, and
//! the kernel maps those pages from the file instead of copying them, which takes about half a
//! millisecond off every run (`perf stat -e page-faults eggsec --version`: 296 → 148 faults).
//! The code itself stays position-independent; only the final link changes.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
