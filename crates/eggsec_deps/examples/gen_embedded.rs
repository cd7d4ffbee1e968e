//! Generates the embedded advisory database (`data/advisories.json`) from an OSV export:
//!
//! ```sh
//! cargo run -p eggsec_deps --example gen_embedded -- crates/eggsec_deps/tests/data/osv \
//!     crates/eggsec_deps/data/advisories.json
//! ```
//!
//! The input is anything `eggsec advisories update --from` reads (OSV `all.zip`, a directory
//! of OSV records). The embedded file must stay equal to what this writes from
//! `tests/data/osv` (a test checks it); to embed a full export instead, run it on `all.zip`
//! and update that test's source directory.

use eggsec_deps::db::Database;
use std::path::Path;

/// The source label written into the embedded database (the freshness test uses the same).
pub const EMBEDDED_SOURCE: &str =
    "GitHub Advisory Database (CC-BY 4.0): egg-family, egg-relevant and common npm advisories";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: gen_embedded OSV_EXPORT OUT.json");
        std::process::exit(2);
    };
    let db = match Database::load_path(Path::new(input)) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("gen_embedded: {e}");
            std::process::exit(2);
        }
    };
    for p in &db.problems {
        eprintln!("gen_embedded: {}: {} (skipped)", p.file, p.message);
    }
    if let Err(e) = std::fs::write(output, db.to_compact(EMBEDDED_SOURCE)) {
        eprintln!("gen_embedded: {output}: {e}");
        std::process::exit(2);
    }
    println!("{} advisories written to {output}", db.len());
}
