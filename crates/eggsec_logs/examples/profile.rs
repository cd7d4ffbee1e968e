//! `cargo run --release -p eggsec_logs --example profile [-- --scan]`: times each detector over
//! a generated log held in memory, then whole scans (for tuning; not a test).
use std::time::Instant;
fn main() {
    let mut buf = Vec::new();
    eggsec_logs::gen::generate(&mut buf, 50_000_000, 3).unwrap();
    let lines: Vec<&[u8]> = buf.split(|b| *b == b'\n').collect();
    let mb = buf.len() as f64 / 1e6;
    let mut hits = Vec::new();
    let only_scan = std::env::args().any(|a| a == "--scan");
    for _round in 0..(if only_scan { 0 } else { 3 }) {
        let t = Instant::now();
        for l in &lines {
            hits.clear();
            eggsec_logs::secrets::scan_line(l, &mut hits);
        }
        println!("secrets  {:.0} MB/s", mb / t.elapsed().as_secs_f64());
        let t = Instant::now();
        for l in &lines {
            hits.clear();
            let f = eggsec_logs::detect::header_len(l);
            eggsec_logs::pii::scan_line(l, f, 2026, &mut hits);
        }
        println!("pii      {:.0} MB/s", mb / t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut n = 0;
        for l in &lines {
            if eggsec_logs::record::parse_text_header(l).is_some() {
                n += 1;
            }
        }
        println!("header   {:.0} MB/s ({n})", mb / t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut r = eggsec_logs::reader::LineReader::new(&buf[..]);
        while let Some(_l) = r.next_line().unwrap() {}
        println!("reader   {:.0} MB/s", mb / t.elapsed().as_secs_f64());
        let t = Instant::now();
        let mut ub = Vec::new();
        for l in &lines {
            if let Some(h) = eggsec_logs::record::parse_text_header(l) {
                if let Some(p) = h.prefix {
                    let _ = eggsec_logs::scan::injection_in_url(p.url, &mut ub);
                }
            }
        }
        println!("header+inj {:.0} MB/s", mb / t.elapsed().as_secs_f64());
    }
    let dir = std::env::temp_dir().join("eggsec-profile");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.log"), &buf).unwrap();
    for _ in 0..(if only_scan { 8 } else { 3 }) {
        let t = Instant::now();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        pool.install(|| {
            eggsec_logs::scan_paths(
                std::slice::from_ref(&dir),
                &eggsec_logs::ScanOptions::default(),
            )
        });
        println!(
            "scan_paths 1 thread {:.0} MB/s",
            mb / t.elapsed().as_secs_f64()
        );
    }
}
