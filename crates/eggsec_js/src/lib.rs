//! `eggsec_js` — the JavaScript/TypeScript front end of eggsec, and the only crate that touches oxc.
//!
//! It turns source files into owned facts. Today that is the static evaluator for Egg.js config
//! and plugin files: a module's exports as a [`Value`] tree with [`Provenance`] on every node.
//!
//! ```no_run
//! use eggsec_js::{eval_file, AppInfo, EvalOptions, ExportMode};
//! let info = AppInfo::new("myapp", "/srv/myapp", "prod");
//! let module = eval_file(
//!     std::path::Path::new("/srv/myapp/config/config.default.js"),
//!     &EvalOptions::config(&info),
//! ).unwrap();
//! println!("{:?}", module.exports.get_path("security.csrf.enable"));
//! ```

pub mod auth;
pub mod boot;
pub mod code_edit;
pub mod config_edit;
pub mod config_guard;
pub mod edit;
pub mod error;
pub mod eval;
pub mod facts;
pub mod flow;
pub mod mistakes;
pub mod models;
mod namer;
pub mod ownership;
pub mod record_writes;
pub mod routes;
pub mod stack;
pub mod timing;
pub mod uses;
pub mod value;

/// A fixed xorshift sequence from `seed`, for tests that generate inputs.
#[cfg(test)]
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

pub use error::JsError;
pub use eval::source::source_twin;
pub use eval::{eval_file, eval_source, AppInfo, EvalOptions, ExportMode, Limits, Module, Note};
pub use facts::{
    auth_facts, read_source, source_facts, source_facts_from_text_with, source_facts_with,
    SourceFacts,
};
pub use flow::relative_specs;
pub use value::{display_key, number_json, Object, Provenance, Value, ValueKind, UNKNOWN_KEYS};
