//! The rule registry: a plain static list. Adding a rule = one file under
//! `rules/<strategy>/<rule_name>.rs`, one `pub mod` line in `rules/mod.rs`, one line here.

use crate::rules;
use crate::Rule;

/// Every rule, grouped by strategy in the seed document's order.
pub static RULES: &[&dyn Rule] = &[
    // builtin
    &rules::builtin::keys_weak::KeysWeak,
    &rules::builtin::keys_hard_coded_in_prod::KeysHardCodedInProd,
    &rules::builtin::secret_hard_coded_in_config::SecretHardCodedInConfig,
    &rules::builtin::session_cookie_not_http_only::SessionCookieNotHttpOnly,
    &rules::builtin::session_not_encrypted_or_signed::SessionNotEncryptedOrSigned,
    &rules::builtin::session_max_age_too_long::SessionMaxAgeTooLong,
    &rules::builtin::session_same_site_none_without_secure::SessionSameSiteNoneWithoutSecure,
    &rules::builtin::session_cookie_not_secure::SessionCookieNotSecure,
    &rules::builtin::cookies_weakened::CookiesWeakened,
    &rules::builtin::body_parser_limit_too_large::BodyParserLimitTooLarge,
    &rules::builtin::query_string_limits_raised::QueryStringLimitsRaised,
    // (builtin rules go above this line)
    // csrf
    &rules::csrf::csrf_disabled::CsrfDisabled,
    // (csrf rules go above this line)
    // headers
    // (headers rules go above this line)
    // errors
    // (errors rules go above this line)
    // logging
    // (logging rules go above this line)
];

/// Finds a rule by its code (`CSRF001`, case-insensitive) or its name (`csrf-disabled`).
pub fn find_rule(id_or_name: &str) -> Option<&'static dyn Rule> {
    let wanted = id_or_name.trim();
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(wanted) || r.meta().name == wanted)
}
