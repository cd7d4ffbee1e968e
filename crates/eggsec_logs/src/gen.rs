//! A generator of realistic egg logs (modelled on the real egg 3 output in the research
//! samples) with planted secrets, personal data and attacks, and the ground truth of what was
//! planted. Used by the benchmark and by the recall tests; never by the CLI.

use std::io::{self, Write};

/// A small deterministic PRNG (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n)
            .map(|_| alphabet[self.below(alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// What was planted: (detector name, the exact value the detector must find).
#[derive(Debug, Default)]
pub struct Truth {
    pub planted: Vec<(&'static str, String)>,
    pub lines: u64,
    pub bytes: u64,
    pub brute_force_ips: Vec<String>,
    pub scanner_ips: Vec<String>,
    pub injections: u64,
}

/// A valid PRC resident ID.
pub fn resident_id(rng: &mut Rng) -> String {
    const REGIONS: &[&str] = &[
        "110105", "310104", "440305", "330106", "510107", "420111", "320102", "610113",
    ];
    let region = rng.pick(REGIONS);
    let y = 1950 + rng.below(55);
    let m = 1 + rng.below(12);
    let d = 1 + rng.below(28);
    let seq = rng.below(1000);
    let body = format!("{region}{y:04}{m:02}{d:02}{seq:03}");
    const W: [u64; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u64 = body
        .bytes()
        .zip(W)
        .map(|(c, w)| u64::from(c - b'0') * w)
        .sum();
    let check = b"10X98765432"[(s % 11) as usize] as char;
    format!("{body}{check}")
}

/// A Luhn-valid card number with the given prefix and length.
pub fn card(rng: &mut Rng, prefix: &str, len: usize) -> String {
    let mut d: Vec<u8> = prefix.bytes().map(|c| c - b'0').collect();
    while d.len() < len - 1 {
        d.push(rng.below(10) as u8);
    }
    let mut sum = 0u32;
    for (i, v) in d.iter().rev().enumerate() {
        let mut v = u32::from(*v);
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    d.push(((10 - sum % 10) % 10) as u8);
    d.iter().map(|v| (b'0' + v) as char).collect()
}

fn mobile(rng: &mut Rng) -> String {
    const P: &[&str] = &["138", "139", "150", "186", "177", "199", "166", "147"];
    format!("{}{:08}", rng.pick(P), rng.below(100_000_000))
}

struct Clock {
    ms: i64,
}

impl Clock {
    fn stamp(&self) -> String {
        let days = self.ms.div_euclid(86_400_000);
        let (y, m, d) = crate::record::civil_from_days(days);
        let s = self.ms.rem_euclid(86_400_000);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02},{:03}",
            s / 3_600_000,
            (s / 60_000) % 60,
            (s / 1000) % 60,
            s % 1000
        )
    }
}

/// Writes about `target_bytes` of egg-format text log to `out`. About 0.1% of records carry a
/// planted secret or personal datum; brute force, scanning and injection attacks are mixed in.
pub fn generate(out: &mut impl Write, target_bytes: u64, seed: u64) -> io::Result<Truth> {
    let mut rng = Rng::new(seed);
    let mut truth = Truth::default();
    let mut clock = Clock {
        ms: crate::record::days_from_civil(2026, 11, 29) * 86_400_000,
    };
    let mut buf = String::with_capacity(4096);
    let urls = [
        "/api/orders",
        "/api/user/42",
        "/",
        "/api/products?page=2",
        "/api/cart",
        "/public/app.js",
    ];
    let msgs = [
        "query orders for shop 12 took 4ms",
        "cache hit key=product:981",
        "render home page",
        "[egg:background] task:saveStat success (3ms)",
        "call upstream inventory service status 200",
        "user session refreshed",
    ];
    let pids = [11715u32, 11716, 11717, 11718];
    let mut written = 0u64;
    let mut n = 0u64;
    while written < target_bytes {
        n += 1;
        buf.clear();
        // Slight disorder across workers: timestamps jump back up to 800 ms now and then.
        clock.ms += rng.below(40) as i64;
        let jitter = if rng.below(20) == 0 {
            rng.below(800) as i64
        } else {
            0
        };
        let ts = Clock {
            ms: clock.ms - jitter,
        }
        .stamp();
        let pid = pids[rng.below(4) as usize];
        let ip = format!("203.0.113.{}", 1 + rng.below(200));
        let roll = rng.below(1000);
        use std::fmt::Write as _;
        if roll == 0 {
            // A planted secret or personal datum.
            let (rule, line_tail, value) = plant(&mut rng);
            let _ = writeln!(
                buf,
                "{ts} INFO {pid} [-/{ip}/-/3ms POST /api/login] {line_tail}"
            );
            truth.planted.push((rule, value));
        } else if roll == 1 {
            // Brute force: 12 failures from one IP within ~30 s, against one account.
            let bip = format!(
                "198.{}.{}.{}",
                18 + rng.below(2),
                rng.below(250),
                1 + rng.below(250)
            );
            let user = format!("user{}", rng.below(100_000));
            for i in 0..12 {
                let t = Clock {
                    ms: clock.ms + i * 2500,
                }
                .stamp();
                let _ = writeln!(buf, "{t} WARN {pid} [-/{bip}/-/7ms POST /api/login] [auth] login failed for user {user} from {bip}");
            }
            truth.brute_force_ips.push(bip);
        } else if roll == 2 {
            // Scanner: 25 probes that end in 404 in the access log format.
            let sip = format!("45.155.{}.{}", rng.below(250), 1 + rng.below(250));
            for i in 0..25 {
                let t = Clock {
                    ms: clock.ms + i * 300,
                }
                .stamp();
                let p = [
                    "/.env",
                    "/.git/config",
                    "/wp-login.php",
                    "/phpmyadmin/index.php",
                    "/actuator/env",
                ][i as usize % 5];
                let _ = writeln!(buf, "{t} WARN {pid} [-/{sip}/-/1ms GET {p}{i}] nodejs.NotFoundError: Not Found\nstatus: 404\npid: {pid}\nhostname: vm\n");
            }
            truth.scanner_ips.push(sip);
        } else if roll == 3 {
            let q = rng.below(1_000_000);
            let _ = writeln!(buf, "{ts} INFO {pid} [-/{ip}/-/1ms GET /api/search?q={q}%20UNION%20SELECT%20username,password%20FROM%20users--] search q={q}");
            truth.injections += 1;
        } else if roll < 8 {
            // A multi-line error record.
            let _ = writeln!(
                buf,
                "{ts} ERROR {pid} [-/{ip}/-/12ms GET /api/orders] nodejs.TypeError: Cannot read properties of undefined (reading 'id')\n    at OrderService.find (/home/admin/shop-api/app/service/order.js:{}:17)\n    at Object.callFn (/home/admin/shop-api/node_modules/egg-core/lib/utils/index.js:44:21)\n    at dispatch (/home/admin/shop-api/node_modules/koa-compose/index.js:44:32)\npid: {pid}\nhostname: vm\n",
                10 + rng.below(90)
            );
        } else if roll < 60 {
            let _ = writeln!(buf, "{ts} INFO {pid} [Job#{}] /home/admin/shop-api/app/schedule/report.js executing by app", 17_959_144_282_843_485u64 + rng.below(1_000_000));
        } else {
            let url = rng.pick(&urls);
            let msg = rng.pick(&msgs);
            let ms = rng.below(90);
            let _ = writeln!(buf, "{ts} INFO {pid} [-/{ip}/-/{ms}ms GET {url}] {msg}");
        }
        out.write_all(buf.as_bytes())?;
        written += buf.len() as u64;
        truth.lines += buf.bytes().filter(|b| *b == b'\n').count() as u64;
    }
    truth.bytes = written;
    let _ = n;
    Ok(truth)
}

/// One planted item: (detector, the log message, the value).
fn plant(rng: &mut Rng) -> (&'static str, String, String) {
    match rng.below(19) {
        0 => {
            let v = format!(
                "{}{}!",
                rng.pick(&["Winter", "Summer", "letmein", "hunter"]),
                rng.below(100_000)
            );
            (
                "password-in-log",
                format!("login attempt user=bob password={v}"),
                v,
            )
        }
        1 => {
            let v = rng.chars(10, ALNUM);
            (
                "password-in-log",
                format!("create user {{\"username\":\"u1\",\"password\":\"{v}\"}}"),
                v,
            )
        }
        2 => {
            let v = rng.chars(24, ALNUM);
            (
                "token-in-log",
                format!("callback ok access_token={v}&state=1"),
                v,
            )
        }
        3 => {
            let v = format!(
                "eyJ{}.eyJ{}.{}",
                rng.chars(20, B64URL),
                rng.chars(30, B64URL),
                rng.chars(43, B64URL)
            );
            ("jwt-in-log", format!("[auth] login success token={v}"), v)
        }
        4 => {
            let v = rng.chars(12, ALNUM);
            ("dsn-password-in-log", format!("nodejs.ECONNREFUSEDError: connect ECONNREFUSED (mysql://root:{v}@10.0.0.5:3306/shop)"), v)
        }
        5 => {
            let v = format!("LTAI{}", rng.chars(20, ALNUM));
            (
                "alibaba-access-key-in-log",
                format!("oss client accessKeyId {v} region cn-hangzhou"),
                v,
            )
        }
        6 => {
            let v = format!("AKIA{}", rng.chars(16, UPPER32));
            (
                "aws-access-key-in-log",
                format!("s3 upload with key {v} failed"),
                v,
            )
        }
        7 => {
            let v = format!("ghp_{}", rng.chars(36, ALNUM));
            ("github-token-in-log", format!("git clone with {v} done"), v)
        }
        8 => {
            let v = format!("sk_live_{}", rng.chars(24, ALNUM));
            (
                "stripe-key-in-log",
                format!("Error: sync upstream failed: key {v}"),
                v,
            )
        }
        9 => {
            let v = format!(
                "xoxb-{}-{}",
                rng.below(1_000_000_000_000),
                rng.chars(24, ALNUM)
            );
            ("slack-token-in-log", format!("notify slack with {v}"), v)
        }
        10 => {
            let v = rng.chars(64, HEX);
            (
                "chat-webhook-in-log",
                format!("POST https://oapi.dingtalk.com/robot/send?access_token={v} 200"),
                v,
            )
        }
        11 => {
            let v = format!(
                "{}-{}-4{}-a{}-{}",
                rng.chars(8, HEX),
                rng.chars(4, HEX),
                rng.chars(3, HEX),
                rng.chars(3, HEX),
                rng.chars(12, HEX)
            );
            (
                "chat-webhook-in-log",
                format!("feishu hook https://open.feishu.cn/open-apis/bot/v2/hook/{v} ok"),
                v,
            )
        }
        12 => {
            let v = rng.chars(32, ALNUM);
            (
                "session-cookie-in-log",
                format!("request headers cookie: lang=zh-CN; EGG_SESS={v}; theme=dark"),
                v,
            )
        }
        13 => {
            let v = resident_id(rng);
            ("resident-id-in-log", format!("query user idcard={v}"), v)
        }
        14 => {
            let v = mobile(rng);
            ("mobile-number-in-log", format!("send sms phone={v}"), v)
        }
        15 => {
            let v = card(rng, "62", 16);
            (
                "card-number-in-log",
                format!("create order {{\"card\":\"{v}\",\"amount\":12}}"),
                v,
            )
        }
        16 => {
            let v = card(rng, "4", 16);
            let grouped = format!("{} {} {} {}", &v[0..4], &v[4..8], &v[8..12], &v[12..16]);
            (
                "card-number-in-log",
                format!("pay with card {grouped}"),
                grouped,
            )
        }
        17 => {
            let v = format!(
                "{}.{}@example.com",
                rng.chars(6, b"abcdefghij"),
                rng.below(1000)
            );
            ("email-in-log", format!("signup email={v}"), v)
        }
        _ => {
            let v = rng.chars(16, ALNUM);
            (
                "secret-in-log",
                format!("config {{\"appSecret\":\"{v}\"}}"),
                v,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn recall_on_planted_set_and_no_false_positives_on_background() {
        let mut out = Vec::new();
        let truth = generate(&mut out, 25_000_000, 7).unwrap();
        assert!(truth.planted.len() > 100, "{}", truth.planted.len());
        let mut scanner = crate::detect::LineScanner::new();
        let mut found: HashSet<(&'static str, String)> = HashSet::new();
        for line in out.split(|b| *b == b'\n') {
            for h in scanner.scan(line) {
                found.insert((
                    h.rule.name,
                    String::from_utf8_lossy(&line[h.start..h.end]).into_owned(),
                ));
            }
        }
        let planted: HashSet<_> = truth.planted.iter().cloned().collect();
        let missed: Vec<_> = planted.difference(&found).collect();
        let recall = 1.0 - missed.len() as f64 / planted.len() as f64;
        assert!(recall >= 0.99, "recall {recall}: missed {missed:?}");
        // Everything found was planted (the background has no secrets or PII).
        let extra: Vec<_> = found.difference(&planted).collect();
        assert!(extra.is_empty(), "false positives: {extra:?}");
    }
}
