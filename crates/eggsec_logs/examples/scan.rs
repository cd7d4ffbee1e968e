//! `cargo run -p eggsec_logs --example scan -- PATH...`: the library's text report (the CLI
//! is `eggsec logs scan`).
fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    let r = eggsec_logs::scan_paths(&paths, &eggsec_logs::ScanOptions::default());
    print!("{}", eggsec_logs::output::render_text(&r));
}
