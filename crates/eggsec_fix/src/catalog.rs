//! Which rule has a mechanical fix, and what kind: data, one row per rule. `eggsec rules`
//! prints the kind; `eggsec fix` applies the config and code rows; `eggsec scaffold` writes the
//! rest; the posture report says which missing items each can close.

/// How a finding is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// `eggsec fix` edits the config file that sets (or should set) the key.
    Config,
    /// `eggsec fix` rewrites the code at the finding.
    Code,
    /// `eggsec scaffold NAME` adds the missing piece.
    Scaffold(&'static str),
}

impl FixKind {
    /// The short label `eggsec rules` shows.
    pub fn label(self) -> String {
        match self {
            FixKind::Config => "fix".into(),
            FixKind::Code => "fix (code)".into(),
            FixKind::Scaffold(name) => format!("scaffold {name}"),
        }
    }
}

/// One row: rule code, kind, and what the fix does.
#[derive(Debug)]
pub struct FixInfo {
    pub code: &'static str,
    pub kind: FixKind,
    pub what: &'static str,
}

macro_rules! rows {
    ($($code:literal $kind:expr, $what:literal;)*) => {
        &[$(FixInfo { code: $code, kind: $kind, what: $what }),*]
    };
}

use FixKind::*;

/// Every rule with a mechanical fix.
pub static CATALOG: &[FixInfo] = rows![
    "CSRF001" Config, "security.csrf.enable = true where it was turned off (csrf back into defaultMiddleware)";
    "CSRF002" Config, "security.csrf.ignoreJSON = false";
    "HDR001" Config, "security.hsts enabled with maxAge one year (config.<env>)";
    "HDR002" Config, "security.hsts.maxAge = 31536000";
    "HDR003" Config, "security.csp enabled with a policy derived from the app's views, Report-Only until --enforce-csp; nonce attributes on inline view scripts";
    "HDR004" Config, "security.csp.reportOnly = false (with --enforce-csp)";
    "HDR007" Config, "security.xframe.enable = true";
    "HDR008" Config, "security.nosniff.enable = true";
    "HDR009" Config, "security.referrerPolicy strict-origin-when-cross-origin, and in defaultMiddleware";
    "HDR011" Config, "security.xssProtection.value = '0'";
    "HDR012" Scaffold("headers"), "security-headers middleware sends Permissions-Policy";
    "HDR013" Scaffold("headers"), "security-headers middleware sends COOP/CORP";
    "BLT001" Config, "keys read from EGG_SERVER_KEYS in config.<env> (+ .env.example)";
    "BLT002" Config, "keys read from EGG_SERVER_KEYS in config.<env> (+ .env.example)";
    "BLT003" Config, "hard-coded secret → process.env.NAME || '' (+ .env.example; a lower layer's value never comes back)";
    "BLT004" Config, "session.httpOnly = true";
    "BLT005" Config, "session.encrypt / session.signed = true";
    "BLT006" Config, "session.maxAge = 24 hours";
    "BLT007" Config, "session.sameSite = 'lax'";
    "BLT008" Config, "session.secure = true in config.<env>";
    "BLT010" Config, "bodyParser limit back to 1mb";
    "BLT012" Config, "multipart.whitelist of safe extensions";
    "BLT013" Config, "multipart.whitelist of safe extensions";
    "BLT014" Config, "multipart.fileSize = '10mb' / multipart.files = 10 (egg's defaults)";
    "BLT018" Config, "maxIpsCount = 1";
    "LOG001" Config, "logger.level = 'INFO' in config.<env>";
    "LOG004" Config, "dump.ignore = egg's defaults + the secret keys it misses";
    "ERR003" Scaffold("errors"), "onerror config + error middleware: generic message and request id in prod";
    "CSRF003" Config, "an unanchored RegExp in security.csrf.ignore anchored with `^` (other too-broad exemptions are refused: name the endpoints)";
    "BLT011" Config, "bodyParser.queryString limit back to egg's default";
    "BLT019" Config, "security.domainWhiteList from the hosts the code redirects to (and --domain)";
    "LOG002" Config, "egg-logrotator enabled again in config/plugin.*; logrotator.maxDays from the retention policy";
    "ERR101" Code, "`err.stack`/`err.message` in the response → a generic message, the error logged with ctx.logger.error";
    "MW001" Code, "SQL text built with values (in the call or in a variable used once) → placeholders with the values passed apart (egg-mysql/mysql2 `?` + array, Sequelize replacements, pg `$n`, knex raw `?` bindings, TypeORM query by its driver)";
    "MW002" Code, "child_process exec(`cmd ${x}`) → execFile('cmd', [ String(x) ]), shelljs exec → spawnSync, execa command() → execa(file, [ args ]) (no shell; a command built in a variable too)";
    "MW004" Code, "nunjucks `| safe` on request data removed (the value is escaped)";
    "MW006" Code, "ctx.redirect(x) → ctx.redirect(/^\\/(?![\\s/\\\\])/.test(x) ? x : '/') (a path on this host only)";
];

/// The fix row for a rule code, if it has one.
pub fn fix_for(code: &str) -> Option<&'static FixInfo> {
    CATALOG.iter().find(|f| f.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_names_a_registered_rule_once() {
        let mut seen = std::collections::BTreeSet::new();
        for row in CATALOG {
            assert!(
                eggsec_rules::find_rule(row.code).is_some(),
                "{} is not a rule",
                row.code
            );
            assert!(seen.insert(row.code), "{} twice", row.code);
        }
    }
}
