//! `eggsec plugins`: the effective plugin set with where each entry came from.

use crate::cli::{ModelFormat, PluginsArgs};
use anyhow::Result;
use eggsec_app::usage::Verdict;
use serde_json::json;
use std::process::ExitCode;

pub fn run(args: PluginsArgs) -> Result<ExitCode> {
    // the plugin-usage scan (PLG001 / this table) starts while the app loads
    eggsec_app::usage::prescan_while_loading(true);
    let (models, failed) = super::load_models_and_failures(&args.app, args.env.as_deref())?;
    let mut out = String::new();
    let mut docs = Vec::new();
    for m in &models {
        let usage = eggsec_app::usage::analyze(m);
        let used_of = |name: &str| usage.plugin(name).map(|u| &u.verdict);
        let rows: Vec<_> = m
            .plugins
            .iter()
            .filter(|p| !args.unused || matches!(used_of(&p.name), Some(Verdict::Unused { .. })))
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
                    "used": used_of(&p.name).map(used_json),
                    // something eggsec cannot see may decide otherwise (an unknown plugin's
                    // eggPlugin, an unknown framework's plugin.js)
                    "unknown": m.uncertain.plugin_doubt(&p.name, p.enabled, true).map(|why| format!("unknown: {why}")),
                })
            })
            .collect();
        match args.format {
            ModelFormat::Json => docs.push((m.root.display().to_string(), rows)),
            ModelFormat::Text if args.unused => {
                out.push_str(&format!(
                    "# {}  env: {}  unused plugins ({} code files searched)\n",
                    m.root.display(),
                    m.env,
                    usage.files_scanned
                ));
                let unused = usage.unused();
                if unused.is_empty() {
                    out.push_str("none\n");
                }
                for u in usage
                    .plugins
                    .iter()
                    .filter(|u| unused.contains(&u.name.as_str()))
                {
                    if let Verdict::Unused { searched } = &u.verdict {
                        out.push_str(&format!(
                            "{}\n  searched: {}\n",
                            u.name,
                            searched.join(", ")
                        ));
                        for c in &u.configured_at {
                            out.push_str(&format!(
                                "  configured: {c} (delete it with the plugin)\n"
                            ));
                        }
                    }
                }
                if !unused.is_empty() {
                    out.push_str("Disable them: eggsec fix --plugins (diff), --write (apply)\n");
                }
            }
            ModelFormat::Text => {
                out.push_str(&format!(
                    "# {}  env: {}  defaults: {}\n",
                    m.root.display(),
                    m.env,
                    super::config::defaults_label(m)
                ));
                for why in m.uncertain.plugin_doubts() {
                    out.push_str(&format!("# UNKNOWN: {why}\n"));
                }
                out.push_str(&format!(
                    "{:<20} {:<8} {:<5} {:<34} {:<10} {:<14} {:<40} {}\n",
                    "NAME",
                    "ENABLED",
                    "USED",
                    "PACKAGE/PATH",
                    "VERSION",
                    "ENV",
                    "DECIDED BY",
                    "EVIDENCE"
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
                    let verdict = used_of(&p.name);
                    out.push_str(&format!(
                        "{:<20} {:<8} {:<5} {:<34} {:<10} {:<14} {:<40} {}\n",
                        p.name,
                        enabled,
                        verdict.map_or("-", Verdict::label),
                        src,
                        p.version
                            .as_deref()
                            .unwrap_or(if p.installed { "?" } else { "-" }),
                        env,
                        p.decided_by.to_string(),
                        verdict.map(short_evidence).unwrap_or_default()
                    ));
                }
                out.push_str("USED: yes (evidence), NO (nothing uses it: `eggsec plugins --unused`), kept (security/infrastructure), ? (cannot tell)\n");
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
    if let Some(code) = super::partial_load_exit("plugins", &models, &failed, args.allow_partial) {
        return Ok(code);
    }
    Ok(ExitCode::SUCCESS)
}

/// The usage verdict as JSON: `{"verdict": "yes|NO|kept|?|-", "evidence": [...]}`.
fn used_json(v: &Verdict) -> serde_json::Value {
    let evidence: Vec<String> = match v {
        Verdict::Used(ev) => ev.iter().map(|e| e.to_string()).collect(),
        Verdict::Unused { searched } => searched.iter().map(|s| format!("searched: {s}")).collect(),
        Verdict::Kept(why) | Verdict::Unknown(why) => vec![why.clone()],
        Verdict::Disabled => vec![],
    };
    json!({"verdict": v.label(), "evidence": evidence})
}

/// The first piece of evidence, shortened for the table.
fn short_evidence(v: &Verdict) -> String {
    let text = match v {
        Verdict::Used(ev) => ev.first().map(|e| e.to_string()).unwrap_or_default(),
        Verdict::Unused { .. } => "nothing uses it".into(),
        Verdict::Kept(why) | Verdict::Unknown(why) => why.clone(),
        Verdict::Disabled => String::new(),
    };
    if text.chars().count() > 70 {
        format!("{}…", text.chars().take(69).collect::<String>())
    } else {
        text
    }
}
