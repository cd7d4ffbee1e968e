//! `cargo run --release -p eggsec_logs --example hostile_lines`: times `logs scan` and
//! `redact_stream` on one log line made of a short chunk repeated to 128 KiB and to 1 MiB (the reader's longest
//! line segment), for
//! every secret anchor and personal-data shape. Best of 3 runs. Linear work takes about 8× as long on the
//! longer line; quadratic work about 64× (a benchmark for the slow-path hunt of issue 19, not a test).
use std::time::Instant;

const CHUNKS: &[&str] = &[
    "s_token=ya29.",
    "password=",
    "password=a ",
    "\"password\":\"",
    "'password':'",
    "\\\"token\\\":\\\"",
    "authorization: bearer ",
    "cookie: EGG_SESS=a;",
    "a://b:c@",
    "a://b:",
    "eyJaaaaaaaaaaaa.",
    "-----BEGIN RSA PRIVATE KEY-----",
    "LTAI",
    "AKIA",
    "ghp_",
    "github_pat_",
    "sk_live_",
    "xoxb-",
    "hooks.slack.com/services/",
    "oapi.dingtalk.com/robot/send?access_token=",
    "open.feishu.cn/open-apis/bot/",
    "login failed ",
    "phone 13800138000 ",
    "card 4111111111111111 ",
    "110101199003070017",
    "a@b.co ",
    "a@",
    "1",
    "1-",
    "GET /?q=<script>",
    "%27%20or%201=1--",
    "../",
    " ",
];

fn main() {
    let dir = std::env::temp_dir().join(format!("eggsec-hostile-lines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = eggsec_logs::ScanOptions::default();
    println!(
        "{:<46} {:>10} {:>10} {:>6}",
        "chunk", "128 KiB", "1 MiB", "ratio"
    );
    for chunk in CHUNKS {
        let mut times = Vec::new();
        for size in [128 << 10, 1 << 20] {
            let mut line =
                b"2026-11-29 01:07:20,543 INFO 19928 [-/203.0.113.7/-/4.963ms GET /] ".to_vec();
            while line.len() < size {
                line.extend_from_slice(chunk.as_bytes());
            }
            line.push(b'\n');
            let path = dir.join("shop-web.log");
            std::fs::write(&path, &line).unwrap();
            let mut best = f64::MAX;
            for _ in 0..3 {
                let t = Instant::now();
                let _ = eggsec_logs::scan_paths(std::slice::from_ref(&path), &opts);
                let mut out = Vec::new();
                let _ = eggsec_logs::redact::redact_stream(&line[..], &mut out);
                best = best.min(t.elapsed().as_secs_f64());
            }
            times.push(best);
        }
        println!(
            "{:<46} {:>9.3}s {:>9.3}s {:>6.1}",
            format!("{chunk:?}"),
            times[0],
            times[1],
            times[1] / times[0].max(1e-9)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
