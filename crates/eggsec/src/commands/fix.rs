//! `eggsec fix [PATH] [--rule R] [--strategy S] [--env E] [--enforce-csp] [--scaffold N] [--write]`:
//! the config fixes of every fixable finding (see `eggsec_fix`), shown as a unified diff or
//! applied with `--write` (each file atomically, refused if it changed since it was read).
//! `eggsec scaffold NAME` and `eggsec testgen` plan their files the same way.
//!
//! `eggsec fix --plugins [PATH] [--env E] [--write]`: disable the plugins an app never uses.
//!
//! Without `--env`, a plugin is disabled in `config/plugin.<ext>` only when it is unused in
//! every env eggsec checks (local, unittest, prod, and `config/env` when it names another), so
//! no env loses a plugin it needs; plugins unused in some envs only are listed on stderr. With
//! `--env E` the edit goes to `config/plugin.E.<ext>` (created when missing) and changes only
//! that env. Plugins with a reason in `eggsec.toml` are never disabled.
//!
//! The edits keep the file's formatting and comments. By default a unified diff is printed
//! (paths relative to PATH, ready for `git apply`); `--write` replaces each file atomically
//! (a temporary file in the same directory, renamed over it). Nothing is written otherwise.

use crate::cli::{FixArgs, ScaffoldArgs, TestgenArgs};
use anyhow::{bail, Context, Result};
use eggsec_app::usage::{analyze, Verdict};
use eggsec_app::LoadOptions;
use eggsec_js::edit::{apply, new_plugin_file, plan_disable, plugin_entries, EntryShape};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One planned file change.
pub struct FileChange {
    pub path: PathBuf,
    /// `None` when the file does not exist yet.
    pub old: Option<String>,
    pub new: String,
    /// The plugins it disables.
    pub plugins: Vec<String>,
}

pub fn run(args: FixArgs) -> Result<ExitCode> {
    if !args.plugins {
        return run_config(args);
    }
    if !args.path.exists() {
        bail!("{}: no such file or directory", args.path.display());
    }
    let roots = eggsec_app::discover(&args.path);
    if roots.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(args.path.clone()));
    }
    let mut diff = String::new();
    let mut failed = false;
    for root in roots {
        match plan_plugins(&root, args.env.as_deref(), args.embedded_defaults) {
            Ok(changes) => {
                for c in &changes {
                    let shown = shown_path(&args.path, &c.path);
                    eprintln!(
                        "eggsec: {}: disabling {} in {shown}",
                        root.display(),
                        c.plugins.join(", ")
                    );
                    diff.push_str(&unified_diff(c, &shown));
                    if args.write {
                        write_safely(c)?;
                        eprintln!("eggsec: wrote {}", c.path.display());
                    }
                }
                if changes.is_empty() {
                    eprintln!("eggsec: {}: no unused plugin to disable", root.display());
                }
            }
            Err(e) => {
                eprintln!("eggsec: error: {}: {e:#}", root.display());
                failed = true;
            }
        }
    }
    if !args.write && !diff.is_empty() {
        print!("{diff}");
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn shown_path(base: &Path, file: &Path) -> String {
    let base = if base.is_file() {
        base.parent().unwrap_or(base)
    } else {
        base
    };
    let base = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let file = file
        .parent()
        .and_then(|d| d.canonicalize().ok())
        .map(|d| d.join(file.file_name().unwrap_or_default()))
        .unwrap_or_else(|| file.to_path_buf());
    file.strip_prefix(&base)
        .unwrap_or(&file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The envs checked when no `--env` is given.
fn default_envs(root: &Path) -> Vec<String> {
    let mut envs: Vec<String> = ["local", "unittest", "prod"].map(String::from).to_vec();
    if let Ok(text) = std::fs::read_to_string(root.join("config/env")) {
        let env = text.trim().to_string();
        if !env.is_empty() && !envs.contains(&env) {
            envs.push(env);
        }
    }
    envs
}

/// The app's main plugin file (`config/plugin.js|ts|...`), existing or to be created.
fn main_plugin_file(root: &Path) -> PathBuf {
    for ext in ["js", "ts", "cjs", "mjs", "mts", "cts"] {
        let p = root.join(format!("config/plugin.{ext}"));
        if p.is_file() {
            return p;
        }
    }
    let ts =
        root.join("tsconfig.json").is_file() && root.join("config/config.default.ts").is_file();
    root.join(if ts {
        "config/plugin.ts"
    } else {
        "config/plugin.js"
    })
}

/// Plans the plugin.js edits for one app.
pub fn plan_plugins(root: &Path, env: Option<&str>, embedded: bool) -> Result<Vec<FileChange>> {
    let settings = eggsec_rules::config::Settings::load(root);
    let envs: Vec<String> = match env {
        Some(e) => vec![e.to_string()],
        None => default_envs(root),
    };
    // plugin → envs in which it is unused (only plugins unused somewhere).
    let mut unused_in: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut enabled_in: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for e in &envs {
        let opts = LoadOptions {
            env: Some(e.clone()),
            scope: None,
            embedded_defaults_only: embedded,
        };
        let model =
            eggsec_app::load(root, &opts).with_context(|| format!("loading the app in env {e}"))?;
        let usage = analyze(&model);
        for err in &usage.errors {
            eprintln!("eggsec: warning: {err}");
        }
        for p in &usage.plugins {
            if p.enabled {
                enabled_in
                    .entry(p.name.clone())
                    .or_default()
                    .push(e.clone());
            }
            if matches!(p.verdict, Verdict::Unused { .. })
                && !settings.plugins.contains_key(&p.name)
            {
                unused_in.entry(p.name.clone()).or_default().push(e.clone());
            }
        }
    }
    let main = main_plugin_file(root);
    let (target, names): (PathBuf, Vec<String>) = match env {
        Some(e) => {
            let ext = main
                .extension()
                .and_then(|x| x.to_str())
                .unwrap_or("js")
                .to_string();
            (
                root.join(format!("config/plugin.{e}.{ext}")),
                unused_in.into_keys().collect(),
            )
        }
        None => {
            let mut all = Vec::new();
            for (name, unused) in unused_in {
                // Unused wherever it is enabled: safe to switch off for every env.
                let enabled = enabled_in.get(&name).map_or(0, Vec::len);
                if unused.len() == enabled {
                    all.push(name);
                } else {
                    eprintln!(
                        "eggsec: note: plugin `{name}` is unused only in {} (run with --env {} to disable it there)",
                        unused.join(", "),
                        unused[0]
                    );
                }
            }
            (main, all)
        }
    };
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (old, new) = if target.is_file() {
        let (text, _) = eggsec_js::edit::read_plugin_entries(&target)
            .with_context(|| format!("reading {}", target.display()))?;
        let edits = plan_disable(&target, &text, &refs)?;
        let new = apply(&text, &edits);
        (Some(text), new)
    } else {
        let esm = std::fs::read_to_string(root.join("package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .is_some_and(|p| p["type"] == "module");
        (None, new_plugin_file(&target, esm, &refs))
    };
    verify(&target, &new, &names)?;
    if old.as_deref() == Some(new.as_str()) {
        return Ok(Vec::new());
    }
    Ok(vec![FileChange {
        path: target,
        old,
        new,
        plugins: names,
    }])
}

/// Re-reads the edited text: every plugin must now be switched off by its last entry.
fn verify(path: &Path, text: &str, names: &[String]) -> Result<()> {
    if eggsec_js::config_edit::exports_through_function(path, text).unwrap_or(false) {
        for n in names {
            if !eggsec_js::edit::disabled_in_function(path, text, n)? {
                bail!(
                    "the edit of {} does not disable `{n}` (a bug in eggsec)",
                    path.display()
                );
            }
        }
        return Ok(());
    }
    let syntax = plugin_entries(path, text).with_context(|| {
        format!(
            "the edit of {} does not parse (a bug in eggsec)",
            path.display()
        )
    })?;
    for n in names {
        let off = syntax
            .entries
            .iter()
            .rev()
            .filter(|e| &e.name == n)
            .find_map(|e| match &e.shape {
                EntryShape::Bool(b) => Some(!b),
                EntryShape::EnableOverride(b) => Some(*b == Some(false)),
                EntryShape::Object(keys) => keys
                    .iter()
                    .rev()
                    .find(|k| k.name == "enable")
                    .map(|k| k.bool_value == Some(false)),
                EntryShape::Other => None,
            });
        if off != Some(true) {
            // `{ ...(x), enable: false }` is read as Other; accept it only when it says so.
            let written = text.contains("enable: false");
            if !(off.is_none() && written) {
                bail!(
                    "the edit of {} does not disable `{n}` (a bug in eggsec)",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

fn unified_diff(c: &FileChange, shown: &str) -> String {
    let old = c.old.as_deref().unwrap_or("");
    let (a, b) = match c.old {
        Some(_) => (format!("a/{shown}"), format!("b/{shown}")),
        None => ("/dev/null".to_string(), format!("b/{shown}")),
    };
    similar::TextDiff::from_lines(old, &c.new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string()
}

/// Writes one plugin-file change through eggsec_fix's safe writer.
fn write_safely(c: &FileChange) -> Result<()> {
    match &c.old {
        Some(old) => {
            let read = eggsec_fix::write::read(&c.path)?;
            if read.text != *old {
                bail!(eggsec_fix::write::WriteError::Changed(c.path.clone()));
            }
            let new = eggsec_fix::write::match_line_endings(old, &c.new);
            eggsec_fix::write::write(&read, &new)?;
        }
        None => eggsec_fix::write::create(&c.path, &c.new)?,
    }
    Ok(())
}

fn roots_of(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.exists() {
        bail!("{}: no such file or directory", path.display());
    }
    let roots = eggsec_app::discover(path);
    if roots.is_empty() {
        bail!(eggsec_app::AppError::NotAnApp(path.to_path_buf()));
    }
    Ok(roots)
}

/// Prints the diff of `changes` (stdout) or writes them; returns false when a write failed.
fn show_or_write(base: &Path, changes: &[eggsec_fix::FileChange], write: bool) -> Result<bool> {
    use std::io::Write as _;
    let mut ok = true;
    let mut out = String::new();
    for c in changes {
        let shown = shown_path(base, &c.path);
        if write {
            match eggsec_fix::apply_changes(std::slice::from_ref(c)) {
                Ok(_) => eprintln!("eggsec: wrote {shown} ({})", c.reasons.join(", ")),
                Err(e) => {
                    eprintln!("eggsec: error: {e}");
                    ok = false;
                }
            }
        } else {
            out.push_str(&eggsec_fix::unified_diff(c, &shown));
        }
    }
    if !out.is_empty() {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(out.as_bytes())
            .and_then(|_| stdout.flush())
            .context("writing the diff to stdout")?;
    }
    Ok(ok)
}

fn fix_options(args: &FixArgs) -> Result<eggsec_fix::FixOptions> {
    let strategies = args
        .strategies
        .iter()
        .map(|s| {
            s.parse::<eggsec_report::Strategy>()
                .map_err(anyhow::Error::msg)
        })
        .collect::<Result<Vec<_>>>()?;
    for r in &args.rules {
        if eggsec_rules::find_rule(r).is_none() {
            bail!("no rule '{r}' (see `eggsec rules`)");
        }
    }
    for s in &args.scaffolds {
        if !eggsec_fix::scaffold::NAMES.contains(&s.as_str()) {
            bail!(
                "unknown scaffold '{s}' (one of: {})",
                eggsec_fix::scaffold::NAMES.join(", ")
            );
        }
    }
    Ok(eggsec_fix::FixOptions {
        env: args.env.clone(),
        rules: args.rules.clone(),
        strategies,
        enforce_csp: args.enforce_csp,
        embedded_defaults: args.embedded_defaults,
        domains: args.domains.clone(),
    })
}

fn run_config(args: FixArgs) -> Result<ExitCode> {
    let opts = fix_options(&args)?;
    let mut ok = true;
    for root in roots_of(&args.path)? {
        let plan = match eggsec_fix::plan(&root, &opts) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("eggsec: error: {}: {e}", root.display());
                ok = false;
                continue;
            }
        };
        for line in &plan.fixed {
            eprintln!("eggsec: {}: fixes {line}", plan.env);
        }
        for line in &plan.refused {
            eprintln!("eggsec: not fixed: {line}");
        }
        let mut changes = plan.changes;
        if args.write {
            // Written first, so each scaffold is planned on the files as they are now.
            ok &= show_or_write(&args.path, &changes, true)?;
            changes.clear();
        }
        for name in &args.scaffolds {
            match eggsec_fix::scaffold::plan(&root, name, &opts) {
                Ok(c) if args.write => ok &= show_or_write(&args.path, &c, true)?,
                Ok(c) => merge_changes(&mut changes, c),
                Err(e) => {
                    eprintln!("eggsec: error: {}: scaffold {name}: {e}", root.display());
                    ok = false;
                }
            }
        }
        if plan.fixed.is_empty() && changes.is_empty() && args.scaffolds.is_empty() {
            eprintln!("eggsec: {}: nothing to fix in {}", root.display(), plan.env);
        }
        if !args.write {
            ok &= show_or_write(&args.path, &changes, false)?;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Adds `more` to `changes`; a file both touch gets `more`'s edit planned on the first's text
/// only when they do not overlap — otherwise the later change waits for the next run.
fn merge_changes(changes: &mut Vec<eggsec_fix::FileChange>, more: Vec<eggsec_fix::FileChange>) {
    for c in more {
        if changes.iter().any(|x| x.path == c.path) {
            eprintln!(
                "eggsec: note: {} is also changed by another fix; run again after --write to add {}",
                c.shown,
                c.reasons.join(", ")
            );
            continue;
        }
        changes.push(c);
    }
}

pub fn scaffold(args: ScaffoldArgs) -> Result<ExitCode> {
    let opts = eggsec_fix::FixOptions {
        env: args.env.clone(),
        embedded_defaults: args.embedded_defaults,
        ..Default::default()
    };
    let mut ok = true;
    for root in roots_of(&args.path)? {
        let mut changes = Vec::new();
        for name in &args.names {
            // Each scaffold sees the files the previous one wrote only after --write; plan them
            // one at a time so two edits of one config file never overlap.
            match eggsec_fix::scaffold::plan(&root, name, &opts) {
                Ok(c) if args.write => {
                    ok &= show_or_write(&args.path, &c, true)?;
                }
                Ok(c) => merge_changes(&mut changes, c),
                Err(e) => {
                    eprintln!("eggsec: error: {}: scaffold {name}: {e}", root.display());
                    ok = false;
                }
            }
        }
        if !args.write {
            ok &= show_or_write(&args.path, &changes, false)?;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

pub fn testgen(args: TestgenArgs) -> Result<ExitCode> {
    let mut ok = true;
    for root in roots_of(&args.path)? {
        match eggsec_fix::testgen::plan(&root, args.env.as_deref(), args.embedded_defaults) {
            Ok(changes) => {
                if changes.is_empty() {
                    eprintln!(
                        "eggsec: {}: the generated tests are up to date",
                        root.display()
                    );
                }
                ok &= show_or_write(&args.path, &changes, args.write)?;
            }
            Err(e) => {
                eprintln!("eggsec: error: {}: {e}", root.display());
                ok = false;
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
