//! `eggsec config`: the effective value of every key with the file:line that set it.

use crate::cli::{ConfigArgs, ModelFormat};
use crate::output::{config_lines, mask_json};
use anyhow::{bail, Result};
use serde_json::json;
use std::process::ExitCode;

pub fn run(args: ConfigArgs) -> Result<ExitCode> {
    crate::out::show_secrets(args.show_secrets);
    let (models, failed) = super::load_models_and_failures(&args.app, args.env.as_deref())?;
    let mut docs = Vec::new();
    let mut text = String::new();
    for m in &models {
        let value = match &args.key {
            Some(k) => match m.config_at(k) {
                Some(v) => v,
                None => bail!("{}: no config key '{k}' in env {}", m.root.display(), m.env),
            },
            None => &m.config,
        };
        match args.format {
            ModelFormat::Json => {
                let mut j = value.to_tagged_json();
                if !args.show_secrets {
                    j = mask_json(args.key.as_deref(), j);
                }
                let inactive: serde_json::Map<String, serde_json::Value> = not_effective(m)
                    .into_iter()
                    .map(|(k, why)| (k, json!(why)))
                    .collect();
                let uncertain: serde_json::Map<String, serde_json::Value> =
                    uncertain_keys(m, args.key.as_deref())
                        .into_iter()
                        .map(|(k, why)| (k, json!(format!("unknown: {why}"))))
                        .collect();
                docs.push(json!({"root": m.root.display().to_string(), "env": m.env, "defaults": defaults_label(m), "not_effective": inactive, "uncertain": uncertain, "config": j}));
            }
            ModelFormat::Text => {
                if models.len() > 1 {
                    text.push_str(&format!("# {}\n", m.root.display()));
                }
                text.push_str(&format!(
                    "# env: {}  defaults: {}\n",
                    m.env,
                    defaults_label(m)
                ));
                for source in &m.uncertain.sources {
                    text.push_str(&if source.framework {
                        format!(
                            "# UNKNOWN: {} is not installed: the keys marked UNKNOWN below (and any other key) may be set by its config\n",
                            source.label()
                        )
                    } else {
                        format!(
                            "# UNKNOWN: plugin `{}` ({}) is enabled but not installed and unknown to eggsec: the keys marked UNKNOWN below (and others under {}, and the middleware lists) may be changed by it\n",
                            source.plugin,
                            source.package,
                            eggsec_app::uncertain::DOUBTED_KEYS.join(", ")
                        )
                    });
                }
                let uncertain = uncertain_keys(m, args.key.as_deref());
                let mut lines = Vec::new();
                config_lines(
                    args.key.as_deref().unwrap_or(""),
                    value,
                    args.show_secrets,
                    &mut lines,
                );
                let width = lines
                    .iter()
                    .map(|(k, v, _)| k.len() + v.len())
                    .max()
                    .unwrap_or(0)
                    .min(90);
                let root_prefix = format!("{}/", m.root.display());
                let inactive = not_effective(m);
                for (k, v, at) in lines {
                    let at = at.strip_prefix(&root_prefix).unwrap_or(&at);
                    let kv = format!("{k} = {v}");
                    let why = inactive
                        .iter()
                        .find(|(key, _)| *key == k)
                        .map(|(_, why)| format!("  # NOT EFFECTIVE: {why}"))
                        .unwrap_or_default();
                    let why = match uncertain.iter().find(|(key, _)| *key == k) {
                        Some((_, doubt)) => format!("{why}  # UNKNOWN: {doubt}"),
                        None => why,
                    };
                    text.push_str(&format!("{kv:<w$}  {at}{why}\n", w = width + 3));
                }
            }
        }
    }
    let out = match args.format {
        ModelFormat::Json if docs.len() == 1 => serde_json::to_string_pretty(&docs[0])?,
        ModelFormat::Json => serde_json::to_string_pretty(&docs)?,
        ModelFormat::Text => text,
    };
    super::emit(&out, None)?;
    if let Some(code) = super::partial_load_exit("config", &models, &failed, args.allow_partial) {
        return Ok(code);
    }
    Ok(ExitCode::SUCCESS)
}

/// Keys (under `key` when given) whose value is known but may be changed by a plugin eggsec
/// cannot see, with why (see `eggsec_app::uncertain`).
pub fn uncertain_keys(m: &eggsec_app::AppModel, key: Option<&str>) -> Vec<(String, String)> {
    m.uncertain
        .leaves(&m.config)
        .into_iter()
        .filter(|(k, _)| {
            key.is_none_or(|key| {
                k == key || k.strip_prefix(key).is_some_and(|r| r.starts_with('.'))
            })
        })
        .collect()
}

/// `security.<name>.enable` keys that are true but do nothing because egg-security's
/// `defaultMiddleware` does not list `<name>` (egg-security 3.x and 4.x never list
/// `referrerPolicy` by default), with the reason.
pub fn not_effective(m: &eggsec_app::AppModel) -> Vec<(String, String)> {
    use eggsec_rules::egg_security::{sub_middleware, SubMiddleware, DEFAULT_MIDDLEWARE};
    let mut out = Vec::new();
    let names = std::iter::once("referrerPolicy").chain(DEFAULT_MIDDLEWARE.iter().copied());
    for name in names {
        let key = format!("security.{name}.enable");
        let enabled = m.config_at(&key).and_then(|v| v.truthy()).unwrap_or(false);
        if !enabled {
            continue;
        }
        if let SubMiddleware::NotListed(list) = sub_middleware(m, name) {
            let list = match list.and_then(|l| l.as_str().map(str::to_string)) {
                Some(l) => format!("security.defaultMiddleware = '{l}'"),
                None => "egg-security's default security.defaultMiddleware".into(),
            };
            out.push((
                key,
                format!(
                    "`{name}` is not in {list}, so egg-security never runs it (no header is sent)"
                ),
            ));
        }
    }
    out
}

pub fn defaults_label(m: &eggsec_app::AppModel) -> String {
    match &m.defaults {
        eggsec_app::DefaultsSource::NodeModules => "node_modules".into(),
        eggsec_app::DefaultsSource::Embedded { egg_major } => {
            format!("embedded egg {egg_major} defaults (node_modules not installed)")
        }
        eggsec_app::DefaultsSource::Mixed { embedded } => {
            format!("node_modules, embedded for: {}", embedded.join(", "))
        }
    }
}
