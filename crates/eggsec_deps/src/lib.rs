//! `eggsec_deps` — what an Egg.js app depends on and what that exposes it to: the
//! inventory from its lockfile or `node_modules` (egg core, framework, plugins, tegg marked),
//! OSV advisory matching against an embedded or imported database, the dependency paths from
//! the app's direct dependencies to each vulnerable package, "behind latest" from the user's own
//! npm registry, a version ledger and `watch` notifications.
//!
//! ```
//! use eggsec_deps::{db::Database, version::Version};
//! let db = Database::embedded();
//! let hits = db.matches("egg-scripts", &Version::parse("2.8.0").unwrap());
//! assert_eq!(hits[0].advisory.id, "GHSA-c9j3-wqph-5xx9");
//! assert_eq!(hits[0].fixed.as_deref(), Some("2.8.1"));
//! ```

pub mod analyze;
pub mod bulk;
pub mod cvss;
pub mod dates;
pub mod db;
pub mod inventory;
pub mod ledger;
pub mod registry;
pub mod update;
pub mod version;
pub mod watch;

/// A URL with its query and user-info hidden (webhook URLs carry tokens), for messages.
pub fn redact_url(url: &str) -> String {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let rest = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            let host_end = rest.find('/').unwrap_or(rest.len());
            let path = &rest[host_end..];
            let shown = if path.len() > 1 { "/****" } else { "" };
            format!("{scheme}://{}{shown}", &rest[..host_end])
        }
        None => "<webhook>".into(),
    }
}
