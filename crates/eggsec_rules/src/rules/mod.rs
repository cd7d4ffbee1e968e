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
