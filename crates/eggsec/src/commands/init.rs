//! `eggsec init`: writes a commented `eggsec.toml` at the app root (the plugins the app enables,
//! each waiting for its reason) and a GitHub workflow running the eggsec Action. Existing files
//! are never overwritten.

use crate::cli::InitArgs;
use anyhow::{Context, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

/// The workflow `eggsec init` writes (`{path}` is the app directory from the repository root).
const WORKFLOW: &str = r#"# eggsec: audit the Egg.js app on every push and pull request; findings go to code scanning.
name: eggsec

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

jobs:
  eggsec:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
      - uses: eggsec/eggsec@v0
        with:
          path: {path}
          fail-on: high
"#;

pub fn run(args: InitArgs) -> Result<ExitCode> {
    let models = super::load_models(&args.app, None)?;
    let model = &models[0];
    let root = &model.root;

    let mut plugins = String::new();
    for p in model
        .plugins
        .iter()
        .filter(|p| p.enabled && !p.implicit_enable)
        .filter(|p| Path::new(&*p.decided_by.file).starts_with(root.join("config")))
    {
        let what = match (&p.package, &p.version) {
            (Some(pkg), Some(v)) => format!("{pkg}@{v}"),
            (Some(pkg), None) => pkg.clone(),
            _ => p
                .path
                .as_ref()
                .map(|x| x.display().to_string())
                .unwrap_or_default(),
        };
        let at = Path::new(&*p.decided_by.file)
            .strip_prefix(root)
            .map(|r| r.display().to_string())
            .unwrap_or_else(|_| p.decided_by.file.to_string());
        let _ = writeln!(
            plugins,
            "[plugins.{}]\nreason = \"\"   # why the app needs {what} (enabled in {at}:{})\n",
            toml_key(&p.name),
            p.decided_by.line
        );
    }
    if plugins.is_empty() {
        plugins.push_str("# [plugins.mysql]\n# reason = \"orders and users live in MySQL\"\n\n");
    }
    let toml = eggsec_rules::config::TEMPLATE.replace("{plugins}", &plugins);
    // What we write must be what we accept.
    if let Err((line, message)) = eggsec_rules::config::Settings::parse_checked(&toml) {
        anyhow::bail!(
            "internal error: the eggsec.toml template does not validate ({line}: {message})"
        );
    }

    let repo = root.canonicalize().ok().and_then(|abs| {
        abs.ancestors()
            .find(|a| a.join(".git").exists())
            .map(Path::to_path_buf)
    });
    let (workflow_dir, app_path) = match &repo {
        Some(r) => {
            let abs = root.canonicalize().unwrap_or_else(|_| root.clone());
            let rel = abs
                .strip_prefix(r)
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            (
                r.join(".github/workflows"),
                if rel.is_empty() { ".".into() } else { rel },
            )
        }
        None => (root.join(".github/workflows"), ".".to_string()),
    };

    let mut wrote = 0;
    wrote += write_new(
        &root.join(eggsec_rules::config::FILE_NAME),
        &toml,
        args.force,
    )?;
    if !args.no_workflow {
        wrote += write_new(
            &workflow_dir.join("eggsec.yml"),
            &WORKFLOW.replace("{path}", &app_path),
            args.force,
        )?;
    }
    if wrote > 0 {
        eprintln!("Next: fill in each plugin's reason in eggsec.toml, then run `eggsec audit`.");
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes `text` to a new file (parents created); an existing file is left as is unless
/// `force`. Returns 1 when written.
fn write_new(path: &Path, text: &str, force: bool) -> Result<usize> {
    if path.exists() && !force {
        eprintln!(
            "eggsec: {} exists; left as is (--force replaces it)",
            path.display()
        );
        return Ok(0);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    super::emit(text, Some(path))?;
    eprintln!("wrote {}", path.display());
    Ok(1)
}

/// A TOML key: bare when it can be, quoted otherwise.
fn toml_key(k: &str) -> String {
    if !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        k.to_string()
    } else {
        format!("\"{}\"", k.replace('\\', "\\\\").replace('"', "\\\""))
    }
}
