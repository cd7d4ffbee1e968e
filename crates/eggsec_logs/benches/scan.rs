//! `cargo bench -p eggsec_logs --bench scan [-- MB]`: generates a realistic egg log set
//! (default 200 MB, in a temp dir, not committed), then prints MB/s for `scan` and `redact`,
//! peak RSS, recall on the planted set, and — when installed — ripgrep with an equivalent
//! pattern set and gitleaks on the same files.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

fn rss_peak_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// CPU seconds (user + system) this process has used: on a shared machine MB per CPU-second
/// is the fairer per-core figure.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f[11].parse::<f64>().ok()? + f[12].parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

/// CPU seconds of finished child processes (ripgrep, gitleaks).
fn child_cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let rest = &s[s.rfind(')')? + 2..];
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f[13].parse::<f64>().ok()? + f[14].parse::<f64>().ok()?) / 100.0)
        })
        .unwrap_or(0.0)
}

fn mbps(bytes: u64, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

fn time_cmd(label: &str, bytes: u64, cmd: &mut Command) {
    let t = Instant::now();
    let c = child_cpu_secs();
    match cmd.output() {
        Ok(o) => {
            let s = t.elapsed().as_secs_f64();
            let cpu = child_cpu_secs() - c;
            println!(
                "{label:<44} {s:>7.2} s {:>8.1} MB/s wall, {:>8.1} MB per CPU-s  (exit {})",
                mbps(bytes, s),
                mbps(bytes, cpu.max(0.01)),
                o.status.code().unwrap_or(-1)
            );
        }
        Err(e) => println!("{label:<44} not run: {e}"),
    }
}

fn main() {
    let mb: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().expect("temp dir");
    let files = 4;
    let per = mb * 1_000_000 / files;
    let mut truth_all = Vec::new();
    let t = Instant::now();
    for i in 0..files {
        let p = dir.path().join(format!("shop-api-web.log.2026-11-2{i}"));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        let truth = eggsec_logs::gen::generate(&mut w, per, 1000 + i).unwrap();
        w.flush().unwrap();
        truth_all.push((p, truth));
    }
    let total: u64 = truth_all.iter().map(|(_, t)| t.bytes).sum();
    println!(
        "generated {} files, {:.0} MB in {:.1} s ({} planted secrets/PII)",
        files,
        total as f64 / 1e6,
        t.elapsed().as_secs_f64(),
        truth_all
            .iter()
            .map(|(_, t)| t.planted.len())
            .sum::<usize>()
    );
    let threads = rayon::current_num_threads();
    // Warm the page cache.
    for (p, _) in &truth_all {
        let _ = std::fs::read(p).map(|b| b.len());
    }
    let opts = eggsec_logs::ScanOptions::default();
    for run in 0..2 {
        let t = Instant::now();
        let c = cpu_secs();
        let r = eggsec_logs::scan_paths(&[dir.path().to_path_buf()], &opts);
        let s = t.elapsed().as_secs_f64();
        let cpu = cpu_secs() - c;
        println!(
            "eggsec scan (run {run}, {threads} threads)              {s:>7.2} s {:>8.1} MB/s wall, {:>8.1} MB per CPU-s  ({} findings)",
            mbps(total, s),
            mbps(total, cpu.max(0.01)),
            r.findings.len()
        );
        if run == 1 {
            recall(&r, &truth_all);
        }
    }
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let t = Instant::now();
    let c = cpu_secs();
    single.install(|| eggsec_logs::scan_paths(&[dir.path().to_path_buf()], &opts));
    let s = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - c;
    println!("eggsec scan (1 thread)                       {s:>7.2} s {:>8.1} MB/s wall, {:>8.1} MB per CPU-s", mbps(total, s), mbps(total, cpu.max(0.01)));
    let t = Instant::now();
    let c = cpu_secs();
    let mut n = 0;
    for (p, _) in &truth_all {
        let out = dir.path().join("redacted.out");
        let st = eggsec_logs::redact::redact_to(p, Some(&out)).unwrap();
        n += st.redactions;
        std::fs::remove_file(out).unwrap();
    }
    let s = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - c;
    println!("eggsec redact (1 thread, to file)            {s:>7.2} s {:>8.1} MB/s wall, {:>8.1} MB per CPU-s  ({n} redactions)", mbps(total, s), mbps(total, cpu.max(0.01)));
    println!("peak RSS of this process: {:.1} MB", rss_peak_mb());
    // Anchors: the same files through ripgrep and gitleaks, when installed.
    let pats = r"(?i)(password|passwd|pwd|secret|token|authorization|egg_sess)\s*[=:]\s*\S+|AKIA[A-Z2-7]{16}|LTAI[A-Za-z0-9]{12,20}|gh[pousr]_[A-Za-z0-9]{36}|[sr]k_(live|test)_[A-Za-z0-9]{16,}|xox[abprs]-[A-Za-z0-9-]{10,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*|://[^:/ ]+:[^@/ ]+@|\b1[3-9]\d{9}\b|\b\d{17}[\dXx]\b|\b(?:\d{4}[ -]?){3}\d{4}\b|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}";
    time_cmd(
        "ripgrep (secrets+PII pattern set, -c)",
        total,
        Command::new("rg").arg("-c").arg(pats).arg(dir.path()),
    );
    let report = dir.path().join("gitleaks.json");
    time_cmd(
        "gitleaks dir (default rules)",
        total,
        Command::new("gitleaks")
            .args([
                "dir",
                "--no-banner",
                "--exit-code",
                "0",
                "--report-format",
                "json",
                "--report-path",
            ])
            .arg(&report)
            .arg(dir.path()),
    );
}

fn recall(r: &eggsec_logs::ScanResult, truth: &[(std::path::PathBuf, eggsec_logs::gen::Truth)]) {
    // Planted values are distinct, so each must come back as exactly one finding of the
    // planted detector; anything else reported for a secret/PII detector is a false positive.
    use std::collections::BTreeMap;
    let mut planted: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, t) in truth {
        for (rule, _) in &t.planted {
            *planted.entry(rule).or_insert(0) += 1;
        }
    }
    let mut found: BTreeMap<&str, u64> = BTreeMap::new();
    for f in r
        .findings
        .iter()
        .filter(|f| f.family != eggsec_logs::rules::Family::SecurityEvent)
    {
        *found.entry(f.detector).or_insert(0) += 1;
    }
    let (mut hit, mut total, mut extra) = (0, 0, 0);
    for (rule, n) in &planted {
        let got = found.get(rule).copied().unwrap_or(0);
        hit += got.min(*n);
        total += n;
        extra += got.saturating_sub(*n);
    }
    extra += found
        .iter()
        .filter(|(k, _)| !planted.contains_key(*k))
        .map(|(_, v)| v)
        .sum::<u64>();
    let brute: usize = truth.iter().map(|(_, t)| t.brute_force_ips.len()).sum();
    let brute_found = r
        .findings
        .iter()
        .filter(|f| f.detector == "brute-force-by-ip")
        .count();
    let scan_planted: usize = truth.iter().map(|(_, t)| t.scanner_ips.len()).sum();
    let scan_found = r
        .findings
        .iter()
        .filter(|f| f.detector == "client-error-burst")
        .count();
    println!(
        "recall: secrets+PII {hit}/{total} ({:.2}%), {extra} unplanted secret/PII findings; brute-force IPs {brute_found}/{brute}; scanner IPs {scan_found}/{scan_planted}",
        100.0 * hit as f64 / total.max(1) as f64
    );
    for (rule, n) in &planted {
        print!("  {rule} {}/{n}", found.get(rule).copied().unwrap_or(0));
    }
    println!();
}
