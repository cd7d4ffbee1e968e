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

use crate::cli::FixArgs;
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
        bail!("nothing to fix: pass --plugins");
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
                        write_atomically(&c.path, &c.new)?;
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

/// Replaces `path` with `text` atomically: a temporary file in the same directory (with the
/// original's permissions), renamed over it.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(text.as_bytes())?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        std::fs::set_permissions(tmp.path(), meta.permissions())?;
    }
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
