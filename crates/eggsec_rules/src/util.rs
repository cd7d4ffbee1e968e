//! Small helpers shared by config rules: byte sizes as egg's plugins read them, lists that
//! may be written as one string or an array, placeholder values that are not real secrets,
//! and which config file set a value.

use eggsec_app::{AppModel, ConfigLayer};
use eggsec_js::{Provenance, Value, ValueKind};

/// Parses a size the way the npm `bytes` package does (egg's bodyParser, multipart and
/// static read `'1mb'`, `'100kb'`, `'10gb'` through it): `<number> *<unit>` with a unit of
/// `b`, `kb`, `mb`, `gb`, `tb`, `pb` (case-insensitive, powers of 1024); anything else is
/// read like `parseInt(s, 10)` bytes (`'2048'`, `'10b'`). `None` when no number can be read
/// or it is negative.
///
/// ```
/// use eggsec_rules::util::parse_bytes;
/// assert_eq!(parse_bytes("1mb"), Some(1024 * 1024));
/// assert_eq!(parse_bytes("1.5KB"), Some(1536));
/// assert_eq!(parse_bytes("2048"), Some(2048));
/// assert_eq!(parse_bytes("lots"), None);
/// ```
pub fn parse_bytes(s: &str) -> Option<u64> {
    const UNITS: &[(&str, u32)] = &[("kb", 1), ("mb", 2), ("gb", 3), ("tb", 4), ("pb", 5)];
    let lower = s.to_ascii_lowercase();
    for (unit, power) in UNITS {
        if let Some(number) = lower.strip_suffix(unit) {
            let number = number.trim_end_matches(' ');
            let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
            let well_formed = !digits.is_empty()
                && digits.split_once('.').map_or_else(
                    || digits.bytes().all(|b| b.is_ascii_digit()),
                    |(int, frac)| {
                        !int.is_empty()
                            && !frac.is_empty()
                            && int.bytes().all(|b| b.is_ascii_digit())
                            && frac.bytes().all(|b| b.is_ascii_digit())
                    },
                );
            if well_formed {
                let n: f64 = number.parse().ok()?;
                return to_bytes(n * 1024f64.powi(*power as i32));
            }
        }
    }
    // parseInt: optional leading whitespace and sign, then the leading digits.
    let rest = s.trim_start();
    let (negative, rest) = match rest.as_bytes().first() {
        Some(b'-') => (true, &rest[1..]),
        Some(b'+') => (false, &rest[1..]),
        _ => (false, rest),
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || negative {
        return None;
    }
    rest[..digits].parse().ok()
}

/// A size value from config: a number is bytes, a string goes through [`parse_bytes`];
/// anything else (Env, Unknown, functions) is `None`.
pub fn value_bytes(value: &Value) -> Option<u64> {
    match &value.kind {
        ValueKind::Number(n) => to_bytes(*n),
        ValueKind::String(s) => parse_bytes(s),
        _ => None,
    }
}

/// A byte count for messages: `10mb`, `1.5gb`, `512kb`, `100b`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: &[&str] = &["b", "kb", "mb", "gb", "tb", "pb"];
    let mut size = n as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    let text = format!("{size:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}{}", UNITS[unit])
}

fn to_bytes(n: f64) -> Option<u64> {
    (n.is_finite() && n >= 0.0).then(|| n.floor() as u64)
}

/// The strings of a value written either as one string or as an array (or `Set`) of strings:
/// `'.html'` → `[".html"]`, `['.html', '.svg']` → both. `None` when the value or any element
/// is not a known string (Env, Unknown, a function...). Comma-separated strings (egg's
/// `keys`, egg-security's `defaultMiddleware`) are not split: that is the caller's choice.
pub fn string_list(value: &Value) -> Option<Vec<&str>> {
    match &value.kind {
        ValueKind::String(s) => Some(vec![s.as_str()]),
        _ => value.as_list()?.iter().map(Value::as_str).collect(),
    }
}

/// Whether config field `key` at dotted `path` holds a secret that a finding should name:
/// [`is_secret_key`] (which masks broadly, for display) without the names that hold no
/// secret — identifiers that go with one (`accessKeyId`), public keys (`publicKey`,
/// `publishableKey`), names that are not fields (an OAuth scope `write:access_token`, a
/// package `@alicloud/credentials`), keys that identify something (`obsPathKey`,
/// `cacheKey`, `primaryKey`), the dependencies of the app's package.json (`config.pkg`), and
/// Sentry's DSN,
/// which Sentry publishes in every browser bundle.
pub fn holds_secret(path: &str, key: &str) -> bool {
    let path = path.trim_start_matches('.');
    eggsec_app::secrets::is_secret_key(key)
        && !is_id_key(key)
        && !is_public_key_name(key)
        && !key.contains([':', '/', '@', ' '])
        && !names_an_identifier(key)
        && !path
            .strip_prefix("pkg.")
            .and_then(|rest| rest.split('.').next())
            .is_some_and(|section| section.ends_with("ependencies"))
        && !(path.ends_with(".dsn") && path.split('.').any(|s| s.eq_ignore_ascii_case("sentry")))
}

/// `accessKeyId`-style names: identifiers that go with a secret, not secrets themselves.
pub fn is_id_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.ends_with("keyid") || lower.ends_with("key_id")
}

/// `publicKey`, `public_key`, `stripePublicKey`: meant to be published.
pub fn is_public_key_name(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    lower.contains("public") || lower.contains("publishable")
}

/// `obsPathKey`, `cacheKey`, `primaryKey`, `redis_key`: a key that names or locates
/// something (a path, a cache entry, a column), not a key that encrypts or signs.
fn names_an_identifier(key: &str) -> bool {
    let words = eggsec_report::mask::split_words(key);
    match words.as_slice() {
        [.., before, last] if last == "key" || last == "keys" => matches!(
            before.as_str(),
            "path"
                | "name"
                | "cache"
                | "redis"
                | "object"
                | "sort"
                | "primary"
                | "foreign"
                | "partition"
                | "index"
                | "lookup"
                | "route"
                | "field"
                | "prefix"
                | "bucket"
                | "dir"
                | "folder"
                | "column"
                | "table"
                | "row"
                | "range"
                | "lock"
                | "queue"
                | "topic"
        ),
        _ => false,
    }
}

/// Whether a literal under secret-named `key` only repeats a word that qualifies the name
/// (`developerToken: 'developer'`, `clientSecret: 'client'`): a scaffold's placeholder. Not for
/// passwords, where a plain word is a real (weak) password, nor for the kind word itself
/// (`secret: 'secret'` signs tokens anyone can forge).
pub fn value_names_the_field(key: &str, value: &str) -> bool {
    let words = eggsec_report::mask::split_words(key);
    let Some((last, qualifiers)) = words.split_last() else {
        return false;
    };
    let password = matches!(
        last.trim_end_matches(|c: char| c.is_ascii_digit()),
        "password" | "passwords" | "passwd" | "pwd" | "pw" | "pass" | "passphrase"
    );
    !password
        && value.chars().all(|c| c.is_ascii_alphabetic())
        && qualifiers.iter().any(|q| q.eq_ignore_ascii_case(value))
}

/// Whether a credential the app hands to another service is set to its own field's name
/// (`client_secret: 'client_secret'`, `apiKey: 'API_KEY'`): a template's placeholder, which
/// the other service rejects. Not for a secret the app signs or encrypts with (under `jwt`,
/// `session`, `cookie`, `keys`, `sign…`, `hmac`, `encrypt…`, `cipher`, `csrf`, `token…`:
/// `jwt.secret: 'JWT_SECRET'` signs tokens anyone can forge), nor for a password (`password:
/// 'password'` opens a database left at its default).
pub fn value_is_the_key_name(path: &str, key: &str, value: &str) -> bool {
    let lower =
        |w: Vec<String>| -> Vec<String> { w.into_iter().map(|w| w.to_ascii_lowercase()).collect() };
    let key_words = lower(eggsec_report::mask::split_words(key));
    if key_words.is_empty() || key_words != lower(eggsec_report::mask::split_words(value)) {
        return false;
    }
    const SIGNING: &[&str] = &[
        "jwt",
        "session",
        "cookie",
        "cookies",
        "keys",
        "sign",
        "signing",
        "signature",
        "hmac",
        "encrypt",
        "encryption",
        "cipher",
        "csrf",
        "token",
        "tokens",
        "crypto",
    ];
    let password = key_words.iter().any(|w| {
        matches!(
            w.trim_end_matches(|c: char| c.is_ascii_digit()),
            "password" | "passwords" | "passwd" | "pwd" | "pw" | "pass" | "passphrase"
        )
    });
    !password
        && !path
            .split('.')
            .flat_map(|seg| lower(eggsec_report::mask::split_words(seg)))
            .any(|w| SIGNING.contains(&w.as_str()))
}

/// Whether a configured string is a placeholder rather than a real value: empty or blank,
/// a run of filler characters (`xxx`, `***`, `...`), a template to fill in (`<password>`,
/// `${DB_PASSWORD}`, `{{secret}}`, `%TOKEN%`), or `your_…`/`your-…`/`your …` (`your_api_key`,
/// `'your secret key'`).
/// Weak real values such as `changeme`, `123456` or `password` are NOT placeholders: they
/// work as secrets, so rules report them.
pub fn is_placeholder(s: &str) -> bool {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let wrapped = |open: &str, close: &str| {
        s.len() > open.len() + close.len() && s.starts_with(open) && s.ends_with(close)
    };
    s.is_empty()
        || s.chars()
            .all(|c| matches!(c, 'x' | 'X' | '*' | '.' | '-' | '_' | '#'))
        || wrapped("<", ">")
        || wrapped("${", "}")
        || wrapped("{{", "}}")
        || wrapped("%", "%")
        || lower.starts_with("your_")
        || lower.starts_with("your-")
        || lower.starts_with("your ")
}

/// The config layer (file) a value's provenance points into, when it is a loaded config file
/// (`None` for egg's embedded defaults, runtime dumps, and files a config `require`d).
/// `layer.type_name` then says which env it applies to (`default`, `prod`, `myscope_prod`).
pub fn layer_of<'a>(app: &'a AppModel, prov: &Provenance) -> Option<&'a ConfigLayer> {
    app.layers
        .iter()
        .find(|l| !l.embedded && l.file.to_string_lossy() == *prov.file)
}

/// The installed package a file belongs to (`node_modules/egg-security/config/config.default.js`
/// → `egg-security`, `node_modules/@eggjs/security/…` → `@eggjs/security`; the last
/// `node_modules` of the path counts), `None` for the app's own files. `path` is `/`-separated,
/// as [`crate::RuleContext::relative_path`] gives it.
pub fn installed_package(path: &str) -> Option<&str> {
    let rest = match path.rfind("/node_modules/") {
        Some(i) => &path[i + "/node_modules/".len()..],
        None => path.strip_prefix("node_modules/")?,
    };
    let mut parts = rest.splitn(3, '/');
    let first = parts.next().filter(|p| !p.is_empty())?;
    if first.starts_with('@') {
        let name = parts.next().filter(|p| !p.is_empty())?;
        Some(&rest[..first.len() + 1 + name.len()])
    } else {
        Some(first)
    }
}

/// Where a finding about an installed dependency points. From a lockfile: the lockfile's line.
/// From an installed `node_modules` tree (no lockfile; common where `.npmrc` says
/// `package-lock=false`): `node_modules` is a directory outside the repository's files, so the
/// app's `package.json`, on the line that declares `direct` (the app's own dependency that
/// brings the package in), or the whole file when no line declares it.
pub fn dependency_location(
    root: &std::path::Path,
    lockfile: &str,
    line: u32,
    direct: &str,
) -> eggsec_report::Location {
    if lockfile != "node_modules" {
        return eggsec_report::Location::File {
            path: lockfile.to_string(),
            line,
            column: 0,
        };
    }
    let key = format!("\"{direct}\"");
    let line = eggsec_report::input::read_text_limited(&root.join("package.json"), 16 << 20)
        .ok()
        .and_then(|text| {
            text.lines().position(|l| {
                l.trim_start()
                    .strip_prefix(&key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
        })
        .map_or(0, |i| i as u32 + 1);
    eggsec_report::Location::File {
        path: "package.json".into(),
        line,
        column: 0,
    }
}

/// Whether egg treats `env` as a developer machine (`local`, `unittest`): egg-onerror shows
/// stacks, and credentials there are not production credentials.
pub fn is_dev_env(env: &str) -> bool {
    matches!(env, "local" | "unittest")
}

/// A Markdown ```js block setting one dotted config `path` to the JS expression `value_js`
/// in `file` — the exact edit a remediation asks for:
///
/// ```
/// let snippet = eggsec_rules::util::config_snippet(
///     "config/config.prod.js",
///     "mysql.client.password",
///     "process.env.MYSQL_PASSWORD",
/// );
/// assert!(snippet.contains("      password: process.env.MYSQL_PASSWORD,\n"));
/// ```
pub fn config_snippet(file: &str, path: &str, value_js: &str) -> String {
    let keys: Vec<&str> = path.split('.').collect();
    let mut out = format!("```js\n// {file}\nmodule.exports = {{\n");
    for (depth, key) in keys.iter().enumerate() {
        let indent = "  ".repeat(depth + 1);
        let key = js_key(key);
        if depth + 1 == keys.len() {
            out.push_str(&format!("{indent}{key}: {value_js},\n"));
        } else {
            out.push_str(&format!("{indent}{key}: {{\n"));
        }
    }
    for depth in (1..keys.len()).rev() {
        out.push_str(&format!("{}}},\n", "  ".repeat(depth)));
    }
    out.push_str("};\n```");
    out
}

/// An object key as JS source: bare when it is an identifier, quoted otherwise.
fn js_key(key: &str) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        key.to_string()
    } else {
        format!("'{}'", key.replace('\\', "\\\\").replace('\'', "\\'"))
    }
}

/// Reports the code facts of `kind` the source pass found in the app, or marks the rule not
/// applicable when the app has no source files. A pattern repeated in one file (the same `what`,
/// e.g. `err.message` in 134 catch blocks) is one finding at its first place, every place in the
/// evidence (`file:line: what`). `message(what, function)` words the finding.
pub fn report_code_facts(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::flow::CodeFactKind,
    message: impl Fn(&str, &str) -> String,
) {
    let app = cx.app;
    if app.code.files.is_empty() {
        cx.not_applicable();
        return;
    }
    let fix = cx.meta().docs.fix;
    for file in &app.code.files {
        let mut groups: Vec<Vec<&eggsec_js::flow::CodeFact>> = Vec::new();
        for f in file.facts.code.iter().filter(|f| f.kind == kind) {
            match groups.iter_mut().find(|g| g[0].what == f.what) {
                Some(g) => g.push(f),
                None => groups.push(vec![f]),
            }
        }
        for g in groups {
            let f = g[0];
            let prov = eggsec_js::Provenance::new(
                file.abs.to_string_lossy().into_owned(),
                f.line,
                f.column,
            );
            let mut text = message(&f.what, &f.function);
            if g.len() > 1 {
                text.push_str(&format!(" (and {} more times in this file)", g.len() - 1));
            }
            // the finding is the pattern in this file, however many times it is repeated
            cx.report(
                &prov,
                text,
                g.iter()
                    .map(|x| format!("{}:{}: {}", file.rel, x.line, x.what))
                    .collect(),
                fix,
            )
            .set_identity(format!("{kind:?} {}", f.what));
        }
    }
}

/// Reports every [`eggsec_js::mistakes::Mistake`] of one kind in the app's source files, with
/// its source → sink steps (request-data kinds) as evidence.
pub fn report_mistakes(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::mistakes::MistakeKind,
    message: impl Fn(&eggsec_js::mistakes::Mistake) -> String,
) -> usize {
    report_mistakes_adjusted(cx, kind, message, |_| {})
}

/// The mistakes of `kind` in each code file that has some (in file order), or `None` (the
/// rule marked not applicable) when the app has no code.
fn mistakes_by_file<'a>(
    cx: &mut crate::RuleContext<'a>,
    kind: eggsec_js::mistakes::MistakeKind,
) -> Option<
    Vec<(
        &'a eggsec_app::routes::CodeFile,
        Vec<&'a eggsec_js::mistakes::Mistake>,
    )>,
> {
    let app = cx.app;
    if app.code.files.is_empty() {
        cx.not_applicable();
        return None;
    }
    Some(
        app.code
            .files
            .iter()
            .map(|f| {
                (
                    f,
                    f.facts
                        .mistakes
                        .iter()
                        .filter(|m| m.kind == kind)
                        .collect::<Vec<_>>(),
                )
            })
            .filter(|(_, found)| !found.is_empty())
            .collect(),
    )
}

fn mistake_at(
    file: &eggsec_app::routes::CodeFile,
    m: &eggsec_js::mistakes::Mistake,
) -> eggsec_js::Provenance {
    eggsec_js::Provenance::new(file.abs.to_string_lossy().into_owned(), m.line, m.column)
}

/// [`report_mistakes`] with one finding per file: a pattern repeated in one file (the same
/// comparison in five handlers) is one finding at its first place, `message` given the first
/// mistake and how many more the file has, every place in the evidence.
pub fn report_mistakes_per_file(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::mistakes::MistakeKind,
    message: impl Fn(&eggsec_js::mistakes::Mistake, usize) -> String,
) -> usize {
    let Some(files) = mistakes_by_file(cx, kind) else {
        return 0;
    };
    let fix = cx.meta().docs.fix;
    for (file, found) in &files {
        let one = found.len() == 1;
        let evidence = found
            .iter()
            .map(|m| match one {
                true => format!("{}:{}: {}", file.rel, m.line, m.what),
                false => format!("{}:{}: {} (in {})", file.rel, m.line, m.what, m.function),
            })
            .collect();
        let first = found[0];
        // one finding per file and kind: its places are evidence, not its identity
        cx.report(
            &mistake_at(file, first),
            message(first, found.len() - 1),
            evidence,
            fix,
        )
        .set_identity(format!("{kind:?} in this file"));
    }
    files.len()
}

/// [`report_mistakes`], then `adjust` on each finding (a severity or confidence that depends
/// on the app's config).
pub fn report_mistakes_adjusted(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::mistakes::MistakeKind,
    message: impl Fn(&eggsec_js::mistakes::Mistake) -> String,
    adjust: impl Fn(&mut eggsec_report::Finding),
) -> usize {
    report_mistakes_with(cx, kind, message, |_, _| false, adjust)
}

/// [`report_mistakes`] but for the mistakes `skip` says the app's model answers (a decode of a
/// token a middleware verified before the handler).
pub fn report_mistakes_unless(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::mistakes::MistakeKind,
    message: impl Fn(&eggsec_js::mistakes::Mistake) -> String,
    skip: impl Fn(&eggsec_app::routes::CodeFile, &eggsec_js::mistakes::Mistake) -> bool,
) -> usize {
    report_mistakes_with(cx, kind, message, skip, |_| {})
}

fn report_mistakes_with(
    cx: &mut crate::RuleContext<'_>,
    kind: eggsec_js::mistakes::MistakeKind,
    message: impl Fn(&eggsec_js::mistakes::Mistake) -> String,
    skip: impl Fn(&eggsec_app::routes::CodeFile, &eggsec_js::mistakes::Mistake) -> bool,
    adjust: impl Fn(&mut eggsec_report::Finding),
) -> usize {
    let Some(files) = mistakes_by_file(cx, kind) else {
        return 0;
    };
    let fix = cx.meta().docs.fix;
    let mut n = 0;
    for (file, found) in files {
        for m in found.into_iter().filter(|m| !skip(file, m)) {
            // request-data kinds carry their path: source first, sink last
            let mut evidence: Vec<String> = m
                .steps
                .iter()
                .enumerate()
                .map(|(i, (line, what))| {
                    let role = if i == 0 { "source" } else { "step" };
                    format!("{role} {}:{line}: {what}", file.rel)
                })
                .collect();
            let sink = if m.steps.is_empty() { "" } else { "sink " };
            evidence.push(format!("{sink}{}:{}: {}", file.rel, m.line, m.what));
            let finding = cx.report(&mistake_at(file, m), message(m), evidence, fix);
            // the mistake where it is, not the way the request data took to it
            finding.set_identity(format!("{kind:?} {} in {}", m.what, m.function));
            adjust(finding);
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use eggsec_js::Provenance;

    fn v(kind: ValueKind) -> Value {
        Value::new(kind, Provenance::synthetic("<test>"))
    }

    #[test]
    fn dependencies_read_from_node_modules_point_at_their_declaration() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            "{\n  \"name\": \"egg\",\n  \"dependencies\": {\n    \"egg-view\": \"^2\",\n    \
             \"egg\" : \"^2.2.1\"\n  }\n}\n",
        )
        .unwrap();
        let at = |lockfile: &str, line: u32, direct: &str| {
            dependency_location(dir.path(), lockfile, line, direct).to_string()
        };
        assert_eq!(
            at("package-lock.json", 4729, "egg"),
            "package-lock.json:4729"
        );
        assert_eq!(at("node_modules", 1, "egg"), "package.json:5");
        assert_eq!(at("node_modules", 1, "egg-view"), "package.json:4");
        assert_eq!(at("node_modules", 1, "egg-bin"), "package.json");
    }

    #[test]
    fn installed_packages_by_their_last_node_modules() {
        let cases = [
            (
                "node_modules/egg-security/config/config.default.js",
                Some("egg-security"),
            ),
            (
                "node_modules/@eggjs/security/dist/config/config.default.js",
                Some("@eggjs/security"),
            ),
            ("../../node_modules/egg/config/plugin.js", Some("egg")),
            (
                "/repo/node_modules/egg/node_modules/egg-static/config/x.js",
                Some("egg-static"),
            ),
            ("node_modules/a/node_modules/@s/b/c.js", Some("@s/b")),
            ("config/config.default.js", None),
            ("lib/plugin/node_modules_like/config/x.js", None),
            ("my_node_modules/x/y.js", None),
            ("node_modules/", None),
            ("node_modules/@scope", None),
        ];
        for (path, package) in cases {
            assert_eq!(installed_package(path), package, "{path}");
        }
    }

    #[test]
    fn bytes_like_the_bytes_package() {
        assert_eq!(parse_bytes("100kb"), Some(102_400));
        assert_eq!(parse_bytes("10 MB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_bytes("1gb"), Some(1 << 30));
        assert_eq!(parse_bytes("0.5mb"), Some(512 * 1024));
        assert_eq!(parse_bytes("10b"), Some(10));
        assert_eq!(parse_bytes(" 42abc"), Some(42));
        assert_eq!(
            parse_bytes("1.mb"),
            Some(1),
            "not the unit form: parseInt reads 1"
        );
        assert_eq!(parse_bytes("-1mb"), None);
        assert_eq!(parse_bytes("mb"), None);
        assert_eq!(parse_bytes(""), None);
        assert_eq!(value_bytes(&v(ValueKind::Number(2048.0))), Some(2048));
        assert_eq!(
            value_bytes(&v(ValueKind::String("2mb".into()))),
            Some(2 << 20)
        );
        assert_eq!(
            value_bytes(&v(ValueKind::Unknown { why: "x".into() })),
            None
        );
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(format_bytes(100), "100b");
        assert_eq!(format_bytes(10 * 1024 * 1024), "10mb");
        assert_eq!(format_bytes(1536), "1.5kb");
    }

    #[test]
    fn string_or_array() {
        let one = v(ValueKind::String(".html".into()));
        assert_eq!(string_list(&one), Some(vec![".html"]));
        let many = v(ValueKind::Array(vec![
            v(ValueKind::String(".a".into())),
            v(ValueKind::String(".b".into())),
        ]));
        assert_eq!(string_list(&many), Some(vec![".a", ".b"]));
        let mixed = v(ValueKind::Array(vec![
            v(ValueKind::String(".a".into())),
            v(ValueKind::Unknown { why: "x".into() }),
        ]));
        assert_eq!(string_list(&mixed), None);
        assert_eq!(string_list(&v(ValueKind::Bool(true))), None);
    }

    #[test]
    fn snippets_nest_the_path() {
        assert_eq!(
            config_snippet("config/config.default.js", "bodyParser.jsonLimit", "'1mb'"),
            "```js\n// config/config.default.js\nmodule.exports = {\n  bodyParser: {\n    \
jsonLimit: '1mb',\n  },\n};\n```"
        );
        assert!(config_snippet("f", "a.x-y", "1").contains("    'x-y': 1,"));
    }

    #[test]
    fn placeholders() {
        for s in [
            "",
            "  ",
            "xxx",
            "XXXXXX",
            "****",
            "<password>",
            "${DB_PASSWORD}",
            "{{secret}}",
            "%TOKEN%",
            "your_api_key",
            "your access key",
            "Your Secret Key",
        ] {
            assert!(is_placeholder(s), "{s:?}");
        }
        for s in [
            "changeme",
            "123456",
            "password",
            "s3cr3t!",
            "<",
            "x1",
            "yourself2024",
        ] {
            assert!(!is_placeholder(s), "{s:?}");
        }
    }
}
