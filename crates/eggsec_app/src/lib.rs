//! `eggsec_app` — the Egg.js app model: a static twin of egg's loader.
//!
//! Discovery, env and scope, framework chain, plugin resolution per env, config merge in egg's
//! order with extend2 semantics, the final middleware order, and the runtime-dump reader.
//!
//! ```no_run
//! use eggsec_app::{discover, load, LoadOptions};
//! for app in discover(std::path::Path::new(".")) {
//!     let model = load(&app, &LoadOptions { env: Some("prod".into()), ..Default::default() }).unwrap();
//!     println!("{}: csrf = {:?}", model.name, model.config_at("security.csrf.enable"));
//! }
//! ```

pub mod auth;
pub mod config;
pub mod contributions;
pub mod defaults;
pub mod discover;
pub mod dump;
mod files;
pub mod js_regex;
pub mod links;
pub mod loader;
pub mod merge;
pub mod middleware;
pub mod model;
pub mod path_cond;
pub mod plugin_boot;
pub mod plugins;
pub mod reach;
pub mod routes;
pub mod secrets;
pub mod sequencify;
pub mod skew;
pub mod uncertain;
pub mod usage;
pub mod vendored;

pub use discover::discover;
pub use dump::{model_from_dump, read_runtime_dump, RuntimeDump};
pub use loader::{load, load_config_only};
pub use model::{
    AppError, AppModel, ConfigLayer, DefaultsSource, Diagnostic, DiagnosticLevel, Framework,
    LoadOptions, MiddlewareEntry, MiddlewareSource, PluginState, UnitKind,
};
