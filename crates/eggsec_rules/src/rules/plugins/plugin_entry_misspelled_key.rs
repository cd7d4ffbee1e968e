//! `PLG005` `plugin-entry-misspelled-key`: a plugin entry with a key egg does not read
//! (`enabled`, `packages`, `envs`...), so the entry does not say what its author meant.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_app::usage::app_plugin_files;
use eggsec_js::edit::{read_plugin_entries, EntryShape};
use eggsec_js::Provenance;
use eggsec_report::{Confidence, Severity, Strategy};

pub struct PluginEntryMisspelledKey;

static META: RuleMeta = RuleMeta {
    code: "PLG005",
    name: "plugin-entry-misspelled-key",
    strategy: Strategy::Plugins,
    severity: Severity::Medium,
    confidence: Confidence::High,
    control: "Plugin entries use only the keys egg reads",
    docs: RuleDocs {
        what: "Finds keys in the app's `config/plugin*.js|ts` entries that egg ignores: \
anything but `enable`, `package`, `path`, `env`, `dependencies` (`dep`), \
`optionalDependencies` and `skipMerge`. `enabled: false` (and `disable: true`) is the \
dangerous one: egg defaults `enable` to true when the key is absent, so the plugin stays on \
whatever the value says.",
        why: "The author believes the plugin is off (or limited to some envs, or loaded from a \
given package) and it is not: an upload parser, a view engine or a JSONP endpoint the team \
switched off keeps running.",
        bad: r#"// config/plugin.js
exports.jsonp = {
  enabled: false, // egg reads `enable`: JSONP stays on
};"#,
        good: r#"// config/plugin.js
exports.jsonp = {
  enable: false,
};"#,
        fix: "Rename the key to the one egg reads (`enable`, `package`, `path`, `env`, \
`dependencies`, `optionalDependencies`).",
    },
};

const KNOWN_KEYS: &[&str] = &[
    "enable",
    "package",
    "path",
    "env",
    "dependencies",
    "dep",
    "optionalDependencies",
    "skipMerge",
];

/// The key egg reads that `key` most likely meant.
fn meant(key: &str) -> Option<&'static str> {
    let k = key.to_ascii_lowercase();
    if [
        "enabled", "enbale", "enalbe", "enabe", "enable", "disable", "disabled", "active", "on",
    ]
    .contains(&k.as_str())
    {
        return Some("enable");
    }
    if k.starts_with("pack") || k == "pkg" || k == "module" {
        return Some("package");
    }
    if k.starts_with("env") || k == "environment" || k == "environments" {
        return Some("env");
    }
    if k.starts_with("dep") || k == "requires" {
        return Some("dependencies");
    }
    if k.starts_with("optional") {
        return Some("optionalDependencies");
    }
    if k == "paths" || k == "dir" || k == "directory" {
        return Some("path");
    }
    None
}

impl Rule for PluginEntryMisspelledKey {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        for file in app_plugin_files(&app.root) {
            // A file that does not parse is reported by the loader.
            let Ok((_, syntax)) = read_plugin_entries(&file) else {
                continue;
            };
            for entry in &syntax.entries {
                let EntryShape::Object(keys) = &entry.shape else {
                    continue;
                };
                let has_enable = keys.iter().any(|k| k.name == "enable");
                for key in keys
                    .iter()
                    .filter(|k| !KNOWN_KEYS.contains(&k.name.as_str()))
                {
                    let prov =
                        Provenance::new(file.to_string_lossy().into_owned(), key.line, key.column);
                    let target = meant(&key.name);
                    let switch_ignored = target == Some("enable") && !has_enable;
                    let message = if switch_ignored {
                        let state = match app.plugin(&entry.name) {
                            Some(p) if p.enabled => format!("it is enabled in {}", app.env),
                            Some(_) => format!("(it is off in {} for another reason)", app.env),
                            None => String::new(),
                        };
                        format!(
                            "Plugin `{}` has `{}` where egg reads `enable`; egg ignores it and treats the plugin as enabled {state}",
                            entry.name, key.name
                        )
                    } else {
                        format!(
                            "Plugin `{}` has the key `{}`, which egg ignores{}",
                            entry.name,
                            key.name,
                            target
                                .map(|t| format!(" (did you mean `{t}`?)"))
                                .unwrap_or_default()
                        )
                    };
                    let value = key.bool_value.map(|b| format!(": {b}")).unwrap_or_default();
                    let finding = cx.report(
                        &prov,
                        message,
                        vec![format!("{}.{}{value}", entry.name, key.name)],
                        match target {
                            Some(t) => format!("Rename `{}` to `{t}`.", key.name),
                            None => META.docs.fix.to_string(),
                        },
                    );
                    if switch_ignored {
                        finding.severity = Severity::High;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};
    use serde_json::json;

    #[test]
    fn hit_enabled_instead_of_enable() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/plugin.js"),
            "exports.jsonp = {\n  enabled: false,\n};\nexports.cors = { enable: true, packages: 'egg-cors' };\n",
        )
        .unwrap();
        let app = test_model_in(dir.path(), json!({}));
        let f = run_rule(&PluginEntryMisspelledKey, &app);
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].location.to_string(), "config/plugin.js:2:3");
        assert_eq!(f[0].severity, Severity::High);
        assert!(f[0].message.contains("enabled in prod"), "{}", f[0].message);
        assert!(
            f[1].message.contains("did you mean `package`"),
            "{}",
            f[1].message
        );
    }

    #[test]
    fn no_hit_for_egg_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("config")).unwrap();
        std::fs::write(
            dir.path().join("config/plugin.ts"),
            "export default {\n  jsonp: { enable: false, env: ['local'], dependencies: [], optionalDependencies: [], dep: [] },\n  view: false,\n};\n",
        )
        .unwrap();
        let app = test_model_in(dir.path(), json!({}));
        assert!(run_rule(&PluginEntryMisspelledKey, &app).is_empty());
    }
}
