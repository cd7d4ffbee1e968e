//! egg-core's `utils/sequencify.js`, ported verbatim: the plugin dependency walk that decides
//! `orderPlugins` (and therefore the load-unit order, config precedence and middleware pushes).
//!
//! Depth-first, post-order: required `dependencies` first, then `optionalDependencies` with the
//! optional flag. A name reached only optionally takes its position in `sequence` but is not
//! `required`; the final order keeps required names only. A missing required dependency or a
//! cycle empties the result.

use indexmap::IndexMap;
use std::collections::HashSet;

/// The dependency lists of one plugin (egg's `tasks[name]`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Task {
    pub dependencies: Vec<String>,
    pub optional_dependencies: Vec<String>,
}

/// What `sequencify` returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sequence {
    /// Required names in load order; empty when anything is missing or recursive.
    pub sequence: Vec<String>,
    pub missing_tasks: Vec<String>,
    pub recursive_dependencies: Vec<Vec<String>>,
}

/// The walk's state before egg's final "clear on error" step (kept for best-effort models of
/// apps that egg would refuse to start).
#[derive(Default)]
struct Results {
    sequence: Vec<String>,
    requires: HashSet<String>,
}

/// `sequencify(tasks, names)` exactly as egg-core does it.
pub fn sequencify(tasks: &IndexMap<String, Task>, names: &[String]) -> Sequence {
    let mut out = sequencify_best_effort(tasks, names);
    if !out.missing_tasks.is_empty() || !out.recursive_dependencies.is_empty() {
        out.sequence.clear();
    }
    out
}

/// The same walk, but the order is kept even when dependencies are missing or recursive (egg
/// throws then; the model still needs an order to report on). Missing names are left out.
pub fn sequencify_best_effort(tasks: &IndexMap<String, Task>, names: &[String]) -> Sequence {
    let mut results = Results::default();
    let mut missing = Vec::new();
    let mut recursive = Vec::new();
    let mut nest = Vec::new();
    sequence(
        tasks,
        names,
        &mut results,
        &mut missing,
        &mut recursive,
        &mut nest,
        false,
    );
    Sequence {
        sequence: results
            .sequence
            .into_iter()
            .filter(|n| results.requires.contains(n) && tasks.contains_key(n))
            .collect(),
        missing_tasks: missing,
        recursive_dependencies: recursive,
    }
}

fn sequence(
    tasks: &IndexMap<String, Task>,
    names: &[String],
    results: &mut Results,
    missing: &mut Vec<String>,
    recursive: &mut Vec<Vec<String>>,
    nest: &mut Vec<String>,
    optional: bool,
) {
    for name in names {
        if results.requires.contains(name) {
            continue;
        }
        match tasks.get(name) {
            None => {
                if optional {
                    continue;
                }
                missing.push(name.clone());
            }
            Some(_) if nest.contains(name) => {
                nest.push(name.clone());
                recursive.push(nest.clone());
                nest.pop();
            }
            Some(node)
                if !node.dependencies.is_empty() || !node.optional_dependencies.is_empty() =>
            {
                nest.push(name.clone());
                if !node.dependencies.is_empty() {
                    sequence(
                        tasks,
                        &node.dependencies,
                        results,
                        missing,
                        recursive,
                        nest,
                        optional,
                    );
                }
                if !node.optional_dependencies.is_empty() {
                    sequence(
                        tasks,
                        &node.optional_dependencies,
                        results,
                        missing,
                        recursive,
                        nest,
                        true,
                    );
                }
                nest.pop();
            }
            Some(_) => {}
        }
        if !optional {
            results.requires.insert(name.clone());
        }
        if !results.sequence.contains(name) {
            results.sequence.push(name.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tasks(spec: &[(&str, &[&str], &[&str])]) -> IndexMap<String, Task> {
        spec.iter()
            .map(|(n, d, o)| {
                (
                    n.to_string(),
                    Task {
                        dependencies: d.iter().map(|s| s.to_string()).collect(),
                        optional_dependencies: o.iter().map(|s| s.to_string()).collect(),
                    },
                )
            })
            .collect()
    }
    fn names(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    /// egg@3 defaults plus the research app's plugins in local (§3.5, verified order).
    #[test]
    fn egg3_local_order_matches_the_verified_run() {
        let t = tasks(&[
            ("onerror", &[], &["jsonp"]),
            ("session", &[], &[]),
            ("i18n", &[], &[]),
            ("watcher", &[], &[]),
            ("multipart", &[], &["schedule"]),
            ("security", &[], &["session"]),
            ("development", &["watcher"], &[]),
            ("logrotator", &["schedule"], &[]),
            ("schedule", &[], &[]),
            ("static", &[], &[]),
            ("jsonp", &[], &["security"]),
            ("view", &[], &[]),
            ("cors", &[], &[]),
            ("routerPlus", &[], &[]),
            ("audit", &["session"], &["jsonp", "security"]),
        ]);
        let enabled = names(&[
            "onerror",
            "session",
            "i18n",
            "watcher",
            "multipart",
            "security",
            "development",
            "logrotator",
            "schedule",
            "cors",
            "routerPlus",
            "audit",
        ]);
        let r = sequencify(&t, &enabled);
        assert_eq!(
            r.sequence,
            names(&[
                "session",
                "security",
                "onerror",
                "i18n",
                "watcher",
                "schedule",
                "multipart",
                "development",
                "logrotator",
                "cors",
                "routerPlus",
                "audit"
            ])
        );
    }

    /// A disabled dependency is still walked and becomes required (implicit enable, §3.5).
    #[test]
    fn required_dependency_is_pulled_in_even_if_not_enabled() {
        let t = tasks(&[("session", &[], &[]), ("audit", &["session"], &[])]);
        let r = sequencify(&t, &names(&["audit"]));
        assert_eq!(r.sequence, names(&["session", "audit"]));
    }

    /// Reached only optionally: it is placed but filtered out.
    #[test]
    fn optional_only_dependency_is_not_required() {
        let t = tasks(&[("jsonp", &[], &[]), ("onerror", &[], &["jsonp"])]);
        let r = sequencify(&t, &names(&["onerror"]));
        assert_eq!(r.sequence, names(&["onerror"]));
    }

    /// Missing (e.g. excluded by env) required dependency → empty sequence and the name.
    #[test]
    fn missing_required_dependency_clears_the_sequence() {
        let t = tasks(&[
            ("audit", &["development"], &[]),
            ("onlyProd", &["development"], &[]),
        ]);
        let r = sequencify(&t, &names(&["audit", "onlyProd"]));
        assert!(r.sequence.is_empty());
        assert_eq!(
            r.missing_tasks,
            names(&["development"]),
            "reported once: it is marked required"
        );
        let best = sequencify_best_effort(&t, &names(&["audit", "onlyProd"]));
        assert_eq!(best.sequence, names(&["audit", "onlyProd"]));
    }

    #[test]
    fn missing_optional_dependency_is_skipped() {
        let t = tasks(&[("a", &[], &["ghost"])]);
        assert_eq!(sequencify(&t, &names(&["a"])).sequence, names(&["a"]));
    }

    #[test]
    fn cycles_are_reported() {
        let t = tasks(&[("a", &["b"], &[]), ("b", &["a"], &[])]);
        let r = sequencify(&t, &names(&["a"]));
        assert!(r.sequence.is_empty());
        assert_eq!(r.recursive_dependencies, vec![names(&["a", "b", "a"])]);
    }
}
