//! Every log detector: its stable code, readable name, severity and what it means. The names are
//! the `detector` field of `eggsec logs scan --format json` and the labels the redactor writes
//! (`[REDACTED:password]`).

use crate::secrets::Hit;
use eggsec_report::Severity;

/// What kind of detector a rule is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Secret,
    PersonalData,
    SecurityEvent,
    /// Where and how logs are stored (permissions).
    Storage,
}

/// One detector's metadata.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable code (`LGS101`).
    pub code: &'static str,
    /// Readable kebab name that says what is wrong (`password-in-log`).
    pub name: &'static str,
    pub family: Family,
    pub severity: Severity,
    /// Short label used in redactions: `[REDACTED:<label>]`.
    pub label: &'static str,
    /// One-line description used as the finding message.
    pub title: &'static str,
    /// Higher wins when two detections cover the same bytes (a JWT beats a generic token).
    pub priority: u8,
}

macro_rules! rule {
    ($id:ident, $code:literal, $name:literal, $fam:ident, $sev:ident, $label:literal, $prio:literal, $title:literal) => {
        pub static $id: RuleInfo = RuleInfo {
            code: $code,
            name: $name,
            family: Family::$fam,
            severity: Severity::$sev,
            label: $label,
            title: $title,
            priority: $prio,
        };
    };
}

rule!(
    PASSWORD,
    "LGS101",
    "password-in-log",
    Secret,
    High,
    "password",
    5,
    "A password is written to the log"
);
rule!(
    SECRET,
    "LGS102",
    "secret-in-log",
    Secret,
    High,
    "secret",
    5,
    "A secret or API key is written to the log"
);
rule!(
    TOKEN,
    "LGS103",
    "token-in-log",
    Secret,
    High,
    "token",
    4,
    "An access token is written to the log"
);
rule!(
    SESSION,
    "LGS104",
    "session-cookie-in-log",
    Secret,
    High,
    "session",
    5,
    "A session cookie or CSRF token is written to the log"
);
rule!(
    DSN_PASSWORD,
    "LGS105",
    "dsn-password-in-log",
    Secret,
    High,
    "dsn-password",
    8,
    "A connection string with a password is written to the log"
);
rule!(
    JWT,
    "LGS106",
    "jwt-in-log",
    Secret,
    High,
    "jwt",
    7,
    "A JSON Web Token is written to the log"
);
rule!(
    PRIVATE_KEY,
    "LGS107",
    "private-key-in-log",
    Secret,
    Critical,
    "private-key",
    9,
    "A private key is written to the log"
);
rule!(
    ALIBABA_KEY,
    "LGS108",
    "alibaba-access-key-in-log",
    Secret,
    Critical,
    "alibaba-key",
    9,
    "An Alibaba Cloud AccessKey ID (LTAI…) is written to the log"
);
rule!(
    AWS_KEY,
    "LGS109",
    "aws-access-key-in-log",
    Secret,
    Critical,
    "aws-key",
    9,
    "An AWS access key ID is written to the log"
);
rule!(
    GITHUB_TOKEN,
    "LGS110",
    "github-token-in-log",
    Secret,
    High,
    "github-token",
    9,
    "A GitHub token is written to the log"
);
rule!(
    STRIPE_KEY,
    "LGS111",
    "stripe-key-in-log",
    Secret,
    Critical,
    "stripe-key",
    9,
    "A live Stripe-style secret key is written to the log"
);
rule!(
    STRIPE_TEST_KEY,
    "LGS112",
    "stripe-test-key-in-log",
    Secret,
    Low,
    "stripe-test-key",
    9,
    "A test-mode Stripe-style secret key is written to the log"
);
rule!(
    SLACK_TOKEN,
    "LGS113",
    "slack-token-in-log",
    Secret,
    High,
    "slack-token",
    9,
    "A Slack token is written to the log"
);
rule!(
    CHAT_WEBHOOK,
    "LGS114",
    "chat-webhook-in-log",
    Secret,
    High,
    "webhook",
    9,
    "A Slack/DingTalk/Feishu webhook secret is written to the log"
);

rule!(
    RESIDENT_ID,
    "LGS201",
    "resident-id-in-log",
    PersonalData,
    High,
    "resident-id",
    6,
    "A PRC resident identity number (valid checksum, birth date and region) is written to the log"
);
rule!(
    MOBILE,
    "LGS202",
    "mobile-number-in-log",
    PersonalData,
    Medium,
    "mobile",
    6,
    "A mainland China mobile number is written to the log"
);
rule!(
    EMAIL,
    "LGS203",
    "email-in-log",
    PersonalData,
    Low,
    "email",
    3,
    "An email address is written to the log"
);
rule!(
    CARD,
    "LGS204",
    "card-number-in-log",
    PersonalData,
    High,
    "card",
    6,
    "A payment card number (valid Luhn and issuer prefix) is written to the log"
);
rule!(
    CARD_CODE,
    "LGS205",
    "card-security-code-in-log",
    PersonalData,
    High,
    "cvv",
    6,
    "A card security code (CVV) is written to the log"
);

rule!(
    CSRF_FAILURES,
    "LGS301",
    "csrf-failures",
    SecurityEvent,
    Low,
    "",
    0,
    "Requests rejected by egg-security's CSRF check"
);
rule!(
    AUTH_FAILURES,
    "LGS302",
    "auth-failures",
    SecurityEvent,
    Low,
    "",
    0,
    "Failed logins / authentication failures"
);
rule!(
    BRUTE_FORCE_IP,
    "LGS303",
    "brute-force-by-ip",
    SecurityEvent,
    High,
    "",
    0,
    "Many authentication failures from one IP in a short window"
);
rule!(
    BRUTE_FORCE_ACCOUNT,
    "LGS304",
    "brute-force-by-account",
    SecurityEvent,
    High,
    "",
    0,
    "Many authentication failures for one account in a short window"
);
rule!(
    SCAN_BURST,
    "LGS305",
    "client-error-burst",
    SecurityEvent,
    Medium,
    "",
    0,
    "A burst of 4xx responses to one IP (scanning)"
);
rule!(
    SERVER_ERROR_SPIKE,
    "LGS306",
    "server-error-spike",
    SecurityEvent,
    Medium,
    "",
    0,
    "A spike of 5xx errors"
);
rule!(
    INJECTION,
    "LGS307",
    "injection-payload-in-url",
    SecurityEvent,
    High,
    "",
    0,
    "An injection or traversal payload in a request URL"
);
rule!(
    FORGED_LINE,
    "LGS308",
    "forged-log-line",
    SecurityEvent,
    High,
    "",
    0,
    "A text log record with no JSON twin: a line forged by log injection"
);
rule!(
    SINGLE_IP,
    "LGS309",
    "all-requests-from-one-ip",
    SecurityEvent,
    Medium,
    "",
    0,
    "Every request is logged from the same IP: proxy misconfiguration blinds per-IP detection"
);
rule!(
    READ_ERROR,
    "LGS399",
    "log-file-unreadable",
    SecurityEvent,
    Info,
    "",
    0,
    "A log file could not be read completely"
);

rule!(
    READABLE_BY_OTHERS,
    "LGS401",
    "log-readable-by-other-users",
    Storage,
    Medium,
    "",
    0,
    "Log files or folders can be read by every user of the machine"
);
rule!(
    WRITABLE_BY_OTHERS,
    "LGS402",
    "log-writable-by-other-users",
    Storage,
    High,
    "",
    0,
    "Log files or folders can be changed by every user of the machine"
);

/// Every detector, in code order.
pub static ALL: &[&RuleInfo] = &[
    &PASSWORD,
    &SECRET,
    &TOKEN,
    &SESSION,
    &DSN_PASSWORD,
    &JWT,
    &PRIVATE_KEY,
    &ALIBABA_KEY,
    &AWS_KEY,
    &GITHUB_TOKEN,
    &STRIPE_KEY,
    &STRIPE_TEST_KEY,
    &SLACK_TOKEN,
    &CHAT_WEBHOOK,
    &RESIDENT_ID,
    &MOBILE,
    &EMAIL,
    &CARD,
    &CARD_CODE,
    &CSRF_FAILURES,
    &AUTH_FAILURES,
    &BRUTE_FORCE_IP,
    &BRUTE_FORCE_ACCOUNT,
    &SCAN_BURST,
    &SERVER_ERROR_SPIKE,
    &INJECTION,
    &FORGED_LINE,
    &SINGLE_IP,
    &READ_ERROR,
    &READABLE_BY_OTHERS,
    &WRITABLE_BY_OTHERS,
];

/// Sorts hits by position and drops overlaps: of two overlapping hits the higher priority wins
/// (then the longer, then the earlier).
pub fn resolve(hits: &mut Vec<Hit>) {
    if hits.len() < 2 {
        return;
    }
    hits.sort_by(|a, b| {
        b.rule
            .priority
            .cmp(&a.rule.priority)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    // The kept spans by (start, end): two kept spans never overlap, so in that order their
    // ends grow too, and the last one starting before `h.end` is the only one to check.
    // n log n, not n² on a line with many hits.
    let mut kept: std::collections::BTreeMap<(usize, usize, usize), Hit> =
        std::collections::BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let clash = kept
            .range(..(h.end, 0, 0))
            .next_back()
            .is_some_and(|(_, k)| k.end > h.start);
        if !clash {
            kept.insert((h.start, h.end, i), *h);
        }
    }
    *hits = kept.into_values().collect();
}

/// Masks a secret for display: eggsec's one masking function (at most 2 characters and the
/// length, `ab****(N chars)`).
pub fn mask(s: &str) -> String {
    eggsec_report::mask::mask(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut codes: Vec<_> = ALL.iter().map(|r| r.code).collect();
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        codes.sort();
        codes.dedup();
        names.sort();
        names.dedup();
        assert_eq!(codes.len(), ALL.len());
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn resolve_keeps_what_the_pairwise_check_keeps() {
        // The pairwise reference (quadratic) against `resolve`, on pseudo-random spans of
        // every rule priority, empty spans included.
        let rules: Vec<&'static RuleInfo> = ALL.to_vec();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % m) as usize
        };
        for round in 0..300 {
            let n = 1 + next(40);
            let mut hits: Vec<Hit> = (0..n)
                .map(|_| {
                    let start = next(60);
                    let len = if round % 5 == 0 {
                        next(3)
                    } else {
                        1 + next(12)
                    };
                    Hit {
                        start,
                        end: start + len,
                        rule: rules[next(rules.len() as u64)],
                    }
                })
                .collect();
            let mut want = hits.clone();
            want.sort_by(|a, b| {
                b.rule
                    .priority
                    .cmp(&a.rule.priority)
                    .then((b.end - b.start).cmp(&(a.end - a.start)))
                    .then(a.start.cmp(&b.start))
            });
            let mut kept: Vec<Hit> = Vec::new();
            for h in &want {
                if kept.iter().all(|k| h.end <= k.start || h.start >= k.end) {
                    kept.push(*h);
                }
            }
            kept.sort_by_key(|h| (h.start, h.end));
            resolve(&mut hits);
            let key = |h: &Hit| (h.start, h.end, h.rule.code);
            assert_eq!(
                hits.iter().map(key).collect::<Vec<_>>(),
                kept.iter().map(key).collect::<Vec<_>>(),
                "round {round}"
            );
        }
    }
}
