//! The rules, one file each: `rules/<strategy>/<rule_name>.rs`, where the file name is the
//! rule's kebab name with `_` (a test checks it, and that each file is in
//! [`crate::registry::RULES`]). Copy `csrf/csrf_disabled.rs` to start a new one.

pub mod csrf {
    //! Enable and configure Egg.js CSRF protection.
    pub mod csrf_disabled;
    // csrf rules: add `pub mod` lines above this comment.
}

pub mod headers {
    //! Implement security headers middleware in Egg.js.
    // headers rules: add `pub mod` lines above this comment.
}

pub mod builtin {
    //! Review and secure built-in Egg.js middleware configuration.
    pub mod body_parser_limit_too_large;
    pub mod cookies_weakened;
    pub mod keys_hard_coded_in_prod;
    pub mod keys_weak;
    pub mod query_string_limits_raised;
    pub mod secret_hard_coded_in_config;
    pub mod session_cookie_not_http_only;
    pub mod session_cookie_not_secure;
    pub mod session_max_age_too_long;
    pub mod session_not_encrypted_or_signed;
    pub mod session_same_site_none_without_secure;
    // builtin rules: add `pub mod` lines above this comment.
}

pub mod errors {
    //! Secure error handling.
    // errors rules: add `pub mod` lines above this comment.
}

pub mod logging {
    //! Secure logging.
    // logging rules: add `pub mod` lines above this comment.
}
