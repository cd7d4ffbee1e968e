//! `cargo run --release -p eggsec_logs --example gen -- OUT MB`: writes a generated egg log
//! (for memory and speed checks of the CLI on big inputs).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = std::path::PathBuf::from(&args[1]);
    let mb: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&out).unwrap());
    let t = eggsec_logs::gen::generate(&mut w, mb * 1_000_000, 42).unwrap();
    println!(
        "{} bytes, {} lines, {} planted",
        t.bytes,
        t.lines,
        t.planted.len()
    );
}
