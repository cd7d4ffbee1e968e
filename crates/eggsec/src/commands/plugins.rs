//! `eggsec plugins`: the effective plugin set with where each entry came from.

use crate::cli::{ModelFormat, PluginsArgs};
use anyhow::Result;
use serde_json::json;
use std::process::ExitCode;

pub fn run(args: PluginsArgs) -> Result<ExitCode> {
    let models = super::load_models(&args.app, args.env.as_deref())?;
    let mut out = String::new();
    let mut docs = Vec::new();
    for m in &models {
        let rows: Vec<_> = m
            .plugins
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "enabled": p.enabled,
                    "package": p.package,
                    "path": p.path.as_ref().map(|x| x.display().to_string()),
                    "version": p.version,
                    "env": p.env,
                    "implicit_enable": p.implicit_enable,
                    "installed": p.installed,
                    "decided_by": {"file": p.decided_by.file.to_string(), "line": p.decided_by.line},
                })
            })
            .collect();
        match args.format {
            ModelFormat::Json => docs.push((m.root.display().to_string(), rows)),
            ModelFormat::Text => {
                out.push_str(&format!(
                    "# {}  env: {}  defaults: {}\n",
                    m.root.display(),
                    m.env,
                    super::config::defaults_label(m)
                ));
                out.push_str(&format!(
                    "{:<20} {:<8} {:<34} {:<10} {:<14} {}\n",
                    "NAME", "ENABLED", "PACKAGE/PATH", "VERSION", "ENV", "DECIDED BY"
                ));
                for p in &m.plugins {
                    let enabled = match (p.enabled, p.implicit_enable, p.env_excluded) {
                        (true, true, _) => "yes*",
                        (true, false, _) => "yes",
                        (false, _, true) => "no(env)",
                        (false, _, false) => "no",
                    };
                    let src = p
                        .package
                        .clone()
                        .or_else(|| p.path.as_ref().map(|x| x.display().to_string()))
                        .unwrap_or_default();
                    let env = if p.env.is_empty() {
                        "all".to_string()
                    } else {
                        p.env.join(",")
                    };
                    out.push_str(&format!(
                        "{:<20} {:<8} {:<34} {:<10} {:<14} {}\n",
                        p.name,
                        enabled,
                        src,
                        p.version
                            .as_deref()
                            .unwrap_or(if p.installed { "?" } else { "-" }),
                        env,
                        p.decided_by
                    ));
                }
                if m.plugins.iter().any(|p| p.implicit_enable) {
                    out.push_str("* enabled because an enabled plugin depends on it\n");
                }
            }
        }
    }
    let text = match args.format {
        ModelFormat::Json if docs.len() == 1 => serde_json::to_string_pretty(&docs[0].1)?,
        ModelFormat::Json => serde_json::to_string_pretty(
            &docs
                .into_iter()
                .map(|(root, p)| json!({"root": root, "plugins": p}))
                .collect::<Vec<_>>(),
        )?,
        ModelFormat::Text => out,
    };
    super::emit(&text, None)?;
    Ok(ExitCode::SUCCESS)
}
