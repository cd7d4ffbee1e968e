//! Everything eggsec prints goes through here (`print!`, `println!` and `eprintln!` are
//! redefined for the whole crate in `main.rs`): secrets found by their shape are masked
//! ([`eggsec_report::mask::mask_text`]), control characters that came from scanned files are
//! escaped (no window-title or clear-screen sequences from a hostile repository reach the
//! terminal; eggsec's own colours are kept), and a write that fails — a closed pipe, a full
//! disk — ends the run with a message and exit code 2 instead of a panic.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static SHOW_SECRETS: AtomicBool = AtomicBool::new(false);

/// `--show-secrets`: print values in clear (the user asked for it).
pub fn show_secrets(on: bool) {
    SHOW_SECRETS.store(on, Ordering::Relaxed);
}

/// What a printed text becomes: masked and with control characters escaped.
pub fn clean(text: &str) -> String {
    let masked = if SHOW_SECRETS.load(Ordering::Relaxed) {
        text.to_string()
    } else {
        eggsec_report::mask::mask_text(text)
    };
    escape_controls(&masked)
}

/// Escapes control characters: C0 controls other than tab and line feed, DEL, C1 controls,
/// and escape sequences other than SGR colour codes (`ESC [ digits ; m`) become `\x1b`-style
/// text; bidirectional overrides become `\u{202e}`-style text.
pub fn escape_controls(text: &str) -> String {
    if !may_need_escape(text.as_bytes()) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\u{1b}' && is_sgr(&text[i + 1..]) {
            out.push(c);
            continue;
        }
        if c == '\r' && chars.peek().is_some_and(|(_, n)| *n == '\n') {
            out.push(c);
            continue;
        }
        if needs_escape(c) {
            let n = c as u32;
            if n < 0x100 {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `bytes` (UTF-8) may hold a character [`needs_escape`] takes, by its encoding: a
/// byte below 0x20 other than tab and line feed, DEL, `C2 80..9F` (C1 controls), `E2 80
/// AA..AE` or `E2 81 A6..A9` (the bidi overrides). Nearly every report has none, and is then
/// left as it is without decoding its characters.
fn may_need_escape(bytes: &[u8]) -> bool {
    // blocks with none of those bytes at all are passed over without a branch per byte (the
    // fold vectorises); only a block with one is looked at byte by byte
    let lead =
        |b: u8| (b < 0x20 && b != b'\t' && b != b'\n') | (b == 0x7f) | (b == 0xc2) | (b == 0xe2);
    bytes.chunks(64).enumerate().any(|(k, block)| {
        block.iter().fold(false, |seen, &b| seen | lead(b))
            && (k * 64..k * 64 + block.len()).any(|i| match bytes[i] {
                0..=0x08 | 0x0b..=0x1f | 0x7f => true,
                0xc2 => bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)),
                0xe2 => matches!(
                    (bytes.get(i + 1), bytes.get(i + 2)),
                    (Some(0x80), Some(0xaa..=0xae)) | (Some(0x81), Some(0xa6..=0xa9))
                ),
                _ => false,
            })
    })
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `[` digits/semicolons `m`: a colour code, harmless.
fn is_sgr(rest: &str) -> bool {
    let Some(body) = rest.strip_prefix('[') else {
        return false;
    };
    let end = body
        .find(|c: char| !(c.is_ascii_digit() || c == ';'))
        .unwrap_or(body.len());
    body[end..].starts_with('m') && end <= 16
}

/// Writes to stdout; on failure reports on stderr and exits 2.
pub fn stdout(text: &str) {
    let text = clean(text);
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        fail("stdout", &e);
    }
}

/// Writes to stderr; on failure exits 2 (there is nowhere left to say why).
pub fn stderr(text: &str) {
    let text = clean(text);
    let mut err = std::io::stderr().lock();
    if let Err(e) = err.write_all(text.as_bytes()).and_then(|()| err.flush()) {
        fail("stderr", &e);
    }
}

/// Writes already-clean bytes (report files) to stdout, with the same error handling.
pub fn stdout_raw(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(bytes).and_then(|()| out.flush()) {
        fail("stdout", &e);
    }
}

/// Ends the run after a failed write: exit 2 with a message on stderr when it still works.
pub fn fail(stream: &str, e: &std::io::Error) -> ! {
    let why = match e.kind() {
        std::io::ErrorKind::BrokenPipe => "the reader closed the pipe".to_string(),
        _ if e.raw_os_error() == Some(28) => "no space left on the device".to_string(),
        _ => e.to_string(),
    };
    let _ = writeln!(
        std::io::stderr(),
        "eggsec: error: cannot write to {stream}: {why}"
    );
    std::process::exit(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_but_colours_kept() {
        assert_eq!(
            escape_controls("a\u{1b}]0;pwned\u{7}b"),
            "a\\x1b]0;pwned\\x07b"
        );
        assert_eq!(escape_controls("\u{1b}[2J"), "\\x1b[2J");
        assert_eq!(
            escape_controls("\u{1b}[1;31mred\u{1b}[0m"),
            "\u{1b}[1;31mred\u{1b}[0m"
        );
        assert_eq!(escape_controls("x\r\ny\rz"), "x\r\ny\\x0dz");
        assert_eq!(escape_controls("\u{202e}abc"), "\\u{202e}abc");
        assert_eq!(escape_controls("plain\ttext\n"), "plain\ttext\n");
    }

    #[test]
    fn the_byte_check_is_the_character_check() {
        let mut escaped = 0;
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            // (a carriage return is escaped only when no line feed follows it)
            assert_eq!(
                may_need_escape(text.as_bytes()),
                needs_escape(c) || c == '\r',
                "{:x}",
                c as u32
            );
            if needs_escape(c) {
                assert_ne!(escape_controls(&text), text, "{:x}", c as u32);
                escaped += 1;
            }
        }
        assert!(escaped > 60);
        // across the scan's 64-byte blocks
        for pad in 58..70 {
            for (c, escapes) in [
                ('\u{202e}', true),
                ('\u{85}', true),
                ('…', false),
                ('\u{7}', true),
            ] {
                let text = format!("{}{c}{}", "x".repeat(pad), "y".repeat(pad));
                assert_eq!(escape_controls(&text) != text, escapes, "{pad} {c:?}");
            }
        }
        assert_eq!(escape_controls("é ü 中 \u{2029}"), "é ü 中 \u{2029}");
    }
}
