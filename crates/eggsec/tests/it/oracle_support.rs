//! Helpers for tests that boot real egg on a fixture app (see tests/oracle/README.md).
//!
//! A fixture is staged into a temporary copy whose `node_modules` is a symlink to
//! `tests/oracle/<egg>/node_modules`, so egg, its plugins and the fixture's own files resolve
//! exactly as in an installed app, and whatever egg writes (`run/`, `logs/`) stays in the copy.

use serde::Deserialize;
use std::fs;
use std::io;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// The workspace root (two levels above this crate).
/// Runs egg-mock tests (`cmd`: mocha with `--require egg-mock/register` or its bootstrap) and
/// waits for them. egg-mock picks the cluster-client port with detect-port and egg binds it
/// later: another process of the parallel test run (an ephemeral client port) can take it in
/// between ("create \"Watcher\" leader failed, the port:N is occupied by other", seen in full
/// runs). That race is egg-mock's, not the app's: the tests run once more, on a new port, on
/// that exact error only; any other failure, or the same one twice, is the answer.
pub fn output_past_egg_mock_port_race(cmd: &mut Command) -> std::process::Output {
    let port_race = |o: &std::process::Output| {
        [&o.stdout, &o.stderr]
            .iter()
            .any(|b| String::from_utf8_lossy(b).contains("leader failed, the port:"))
    };
    let out = cmd.output().expect("node");
    if !out.status.success() && port_race(&out) {
        return cmd.output().expect("node");
    }
    out
}

pub fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// `oracle.json` beside a fixture: which egg it runs on and the envs to boot it in.
#[derive(Debug, Deserialize)]
pub struct Manifest {
    /// `egg1`, `egg2`, `egg3`, `egg4`, ...: the directory under tests/oracle that supplies egg.
    pub egg: String,
    /// `prod`, `local`, ...; `env@scope` adds a server scope; `auto` lets egg pick (config/env).
    pub envs: Vec<String>,
    /// Extra top-level config keys to compare for this app.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Compare the routes too (`routes_oracle`) although the app has no `app/router.*`
    /// (decorator routers, a framework's own router).
    #[serde(default)]
    pub routes: bool,
    /// Compare in embedded mode too (no node_modules) although the app enables third-party
    /// plugins: eggsec's embedded plugin knowledge and version skew stand in for them.
    #[serde(default)]
    pub embedded: bool,
}

/// One app the oracle boots: its name, source directory and manifest.
#[derive(Debug)]
pub struct Fixture {
    pub name: String,
    pub dir: PathBuf,
    pub manifest: Manifest,
}

/// Every `tests/fixtures/*/oracle.json` and `examples/*/oracle.json`, sorted by name.
pub fn fixtures(root: &Path) -> Result<Vec<Fixture>, String> {
    let mut found = Vec::new();
    for parent in [root.join("tests/fixtures"), root.join("examples")] {
        let entries = fs::read_dir(&parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        for entry in entries {
            let dir = entry
                .map_err(|e| format!("{}: {e}", parent.display()))?
                .path();
            let file = dir.join("oracle.json");
            if !file.is_file() {
                continue;
            }
            let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let manifest: Manifest =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let name = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push(Fixture {
                name,
                dir,
                manifest,
            });
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// An env spec from a manifest, split: `local@myscope` → env `local`, scope `myscope`;
/// `auto` → no env (egg reads `config/env`).
#[derive(Debug, Clone)]
pub struct EnvSpec {
    pub label: String,
    pub env: Option<String>,
    pub scope: Option<String>,
}

impl EnvSpec {
    pub fn parse(spec: &str) -> Self {
        let (env, scope) = match spec.split_once('@') {
            Some((e, s)) => (e, Some(s.to_string())),
            None => (spec, None),
        };
        let env = (env != "auto").then(|| env.to_string());
        Self {
            label: spec.to_string(),
            env,
            scope,
        }
    }
}

/// Installs the oracle's node projects (real egg from the npm registry, pinned by the committed
/// package-lock.json files) once per test process, so `cargo test` works on a fresh machine.
/// `tests/oracle/install.sh` is idempotent and skips projects that are already installed.
fn install_once() -> Result<(), String> {
    install_script_once("tests/oracle/install.sh")
}

/// Runs one of the repo's idempotent install scripts (`tests/tools/install.sh`, ...) at most
/// once per test process, so a test's tool is installed on first use on a fresh machine (CI's
/// `.ci/run` has installed it already; the script then returns at once).
pub fn install_script_once(rel: &str) -> Result<(), String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static DONE: OnceLock<Mutex<HashMap<String, Result<(), String>>>> = OnceLock::new();
    let mut done = DONE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    done.entry(rel.to_string())
        .or_insert_with(|| {
            let script = repo_root().join(rel);
            let out = std::process::Command::new("bash")
                .arg(&script)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{} failed ({}): {}{}",
                    script.display(),
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .clone()
}

/// The oracle's node project for one egg major, installed on first use.
pub fn oracle_dir(root: &Path, egg: &str) -> Result<PathBuf, String> {
    install_once()?;
    let dir = root.join("tests/oracle").join(egg);
    if !dir.join("node_modules/egg/package.json").is_file() {
        return Err(format!(
            "{}/node_modules is missing: run tests/oracle/install.sh",
            dir.display()
        ));
    }
    Ok(dir)
}

/// A temporary copy of a fixture app, ready for egg; removed on drop.
pub struct StagedApp {
    _tmp: tempfile::TempDir,
    /// The app's base dir inside the copy.
    pub root: PathBuf,
    /// `EGG_HOME` for the node process (egg's `appInfo.HOME`): inside the copy, so prod logs
    /// never land in the real home directory.
    pub home: PathBuf,
}

/// Copies `fixture` (without `node_modules`, `run`, `logs`) into a temp dir and symlinks its
/// `node_modules` to `node_modules`.
pub fn stage(fixture: &Path, node_modules: &Path) -> io::Result<StagedApp> {
    let tmp = tempfile::Builder::new()
        .prefix("eggsec-oracle-")
        .tempdir()?;
    let base = tmp.path().canonicalize()?;
    let name = fixture.file_name().unwrap_or_else(|| "app".as_ref());
    let root = base.join(name);
    copy_tree(fixture, &root)?;
    symlink_dir(node_modules, &root.join("node_modules"))?;
    let home = root.join(".egg-home");
    Ok(StagedApp {
        _tmp: tmp,
        root,
        home,
    })
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if ["node_modules", "run", "logs", ".egg-home"]
            .iter()
            .any(|skip| name == *skip)
        {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else if kind.is_file() {
            fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// Runs `tests/oracle/dump.js` on a staged app and parses its one JSON object. The node process
/// gets a clean environment (PATH, TMPDIR, HOME/EGG_HOME inside the copy) so no EGG_* or app
/// variable of the caller changes what egg computes.
pub fn run_dump(
    root: &Path,
    oracle: &Path,
    app: &StagedApp,
    spec: &EnvSpec,
) -> Result<serde_json::Value, String> {
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/oracle/dump.js"))
        .arg(oracle)
        .arg(&app.root)
        .arg(spec.env.as_deref().unwrap_or("auto"));
    if let Some(scope) = &spec.scope {
        cmd.arg(scope);
    }
    cmd.env_clear()
        .env("HOME", &app.home)
        .env("EGG_HOME", &app.home);
    for var in ["PATH", "TMPDIR"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run node (the oracle needs Node.js >= 18 on PATH): {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: String = stderr
            .chars()
            .rev()
            .take(4000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!("dump.js failed ({}):\n{tail}", out.status));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("dump.js printed invalid JSON: {e}"))
}

/// An app served by real egg (`tests/oracle/serve.js`) on 127.0.0.1; the node process ends when
/// this is dropped (its stdin closes and it is killed).
pub struct Served {
    child: Child,
    _stdin: Option<ChildStdin>,
    pub port: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        self._stdin.take();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Serves the staged `app` under the egg of `oracle` in `env`, and waits for its port.
pub fn serve_staged(oracle: &Path, app: &StagedApp, env: &str) -> Served {
    serve_staged_with(oracle, app, env, &[])
}

/// [`serve_staged`] with environment variables for the app (a deployment's secrets).
pub fn serve_staged_with(
    oracle: &Path,
    app: &StagedApp,
    env: &str,
    vars: &[(&str, &str)],
) -> Served {
    let root = repo_root();
    let mut cmd = Command::new("node");
    cmd.arg(root.join("tests/oracle/serve.js"))
        .arg(oracle)
        .arg(&app.root)
        .arg(env)
        .arg("300")
        .env_clear()
        .env("HOME", &app.home)
        .env("EGG_HOME", &app.home)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for var in ["PATH", "TMPDIR"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    cmd.envs(vars.iter().copied());
    let mut child = cmd.spawn().expect("node (Node.js >= 18) on PATH");
    let stdin = child.stdin.take();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = serde_json::from_str::<serde_json::Value>(&line)
        .ok()
        .and_then(|v| v["port"].as_u64())
        .unwrap_or_else(|| {
            panic!(
                "serve.js did not print a port for {}: {line:?}",
                app.root.display()
            )
        }) as u16;
    Served {
        child,
        _stdin: stdin,
        port,
    }
}

/// A fixture of `tests/fixtures` staged and served under real egg 3. The server is declared
/// first so that it stops before the staged copy is removed.
pub struct ServedFixture {
    _server: Served,
    pub port: u16,
    pub app: StagedApp,
}

impl ServedFixture {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }
}

pub fn serve_fixture(fixture: &str, env: &str) -> ServedFixture {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap();
    let app = stage(
        &root.join("tests/fixtures").join(fixture),
        &oracle.join("node_modules"),
    )
    .unwrap();
    let server = serve_staged(&oracle, &app, env);
    ServedFixture {
        port: server.port,
        _server: server,
        app,
    }
}

/// Runs tests/oracle/requests.js on a staged app: `{plugins, routes, responses}` (each response
/// `{method, path, status, body}`, and `location` when it has one).
pub fn replay(
    root: &Path,
    oracle: &Path,
    app: &StagedApp,
    env: &str,
    requests: &Path,
) -> serde_json::Value {
    let mut cmd = std::process::Command::new("node");
    cmd.arg(root.join("tests/oracle/requests.js"))
        .arg(oracle)
        .arg(&app.root)
        .arg(env)
        .arg(requests)
        .env_clear()
        .env("HOME", &app.home)
        .env("EGG_HOME", &app.home);
    for var in ["PATH", "TMPDIR"] {
        if let Some(v) = std::env::var_os(var) {
            cmd.env(var, v);
        }
    }
    let out = cmd.output().expect("node");
    assert!(
        out.status.success(),
        "requests.js failed on {}: {}",
        app.root.display(),
        String::from_utf8_lossy(&out.stderr)
            .chars()
            .rev()
            .take(3000)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    );
    serde_json::from_slice(&out.stdout).expect("requests.js JSON")
}
