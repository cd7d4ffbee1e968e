//! Bench (issue 17 item 3): a probe of 200 routes with `--active` against a local server whose
//! response bodies stall must finish within one `--timeout` plus a small margin; and 8 slow
//! (1 s) bodies with `--concurrency 8` take about 1 s, not 8.
//!
//! `cargo run --release -p eggsec_probe --example stall_bench`
//!
//! Numbers, not assertions: it prints the elapsed time of each scenario beside its deadline.

use eggsec_probe::http::ClientOptions;
use eggsec_probe::{probe, AppHints, ProbeOptions};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Mode {
    /// Every body stalls (headers, then nothing), `/` included.
    StallAll,
    /// `/` answers at once; every other body stalls.
    StallButRoot,
    /// Every body takes 1 s.
    Slow,
}

fn serve(mode: Mode, stop: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match listener.accept() {
                Ok((s, _)) => {
                    let stop = stop.clone();
                    std::thread::spawn(move || answer(s, mode, stop));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    port
}

fn answer(mut s: TcpStream, mode: Mode, stop: Arc<AtomicBool>) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let first = String::from_utf8_lossy(&head);
    let root = first.starts_with("GET / ");
    let body = "<html><head></head><body>ok</body></html>";
    let headers = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(headers.as_bytes());
    let stall = match mode {
        Mode::StallAll => true,
        Mode::StallButRoot => !root,
        Mode::Slow => {
            std::thread::sleep(Duration::from_secs(1));
            false
        }
    };
    if stall {
        let _ = s.write_all(b"<html>");
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        return;
    }
    let _ = s.write_all(body.as_bytes());
}

fn run(name: &str, mode: Mode, routes: usize, active: bool, timeout: Duration) {
    let stop = Arc::new(AtomicBool::new(false));
    let port = serve(mode, stop.clone());
    let hints = AppHints {
        get_routes: (0..routes / 2).map(|i| format!("/r/{i}")).collect(),
        state_changing: (0..routes - routes / 2)
            .map(|i| ("POST".to_string(), format!("/w/{i}")))
            .collect(),
        ..AppHints::default()
    };
    let opts = ProbeOptions {
        client: ClientOptions {
            timeout,
            budget: 5000,
            ..ClientOptions::default()
        },
        concurrency: 8,
        active,
        hints,
        ..ProbeOptions::default()
    };
    let start = Instant::now();
    let report = probe(&format!("http://127.0.0.1:{port}/"), &opts);
    let elapsed = start.elapsed();
    stop.store(true, Ordering::SeqCst);
    match report {
        Ok(r) => println!(
            "{name}: {:.2} s (deadline {:.1} s, margin {:+.2} s); {} requests sent, {} pages, {} errors{}",
            elapsed.as_secs_f64(),
            timeout.as_secs_f64(),
            elapsed.as_secs_f64() - timeout.as_secs_f64(),
            r.requests,
            r.pages.len(),
            r.errors.len(),
            r.errors
                .iter()
                .find(|e| e.contains("not sent"))
                .map(|e| format!("; {e}"))
                .unwrap_or_default()
        ),
        Err(e) => println!("{name}: {:.2} s, error: {e}", elapsed.as_secs_f64()),
    }
}

fn main() {
    let t = Duration::from_secs(5);
    run(
        "200 routes --active, every body stalls",
        Mode::StallAll,
        200,
        true,
        t,
    );
    run(
        "200 routes --active, every body but / stalls",
        Mode::StallButRoot,
        200,
        true,
        t,
    );
    run(
        "8 GET routes, 1 s bodies, --concurrency 8",
        Mode::Slow,
        16,
        false,
        Duration::from_secs(60),
    );
}
