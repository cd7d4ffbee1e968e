//! The npm registry as the user configured it — `npm_config_registry`, then the project's
//! `.npmrc`, the user's (`$NPM_CONFIG_USERCONFIG` or `~/.npmrc`), the global one
//! (`$NPM_CONFIG_GLOBALCONFIG` or `$PREFIX/etc/npmrc`), and last `npm config get registry` —
//! never a host written into this code. Packuments are fetched concurrently with ureq, cached
//! on disk, and read from the cache only with `--offline`.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Largest registry document read (egg's full packument is a few MB).
const MAX_DOC_BYTES: u64 = 64 * 1024 * 1024;

/// How long a cached packument is used without asking the registry again.
pub const CACHE_TTL_SECS: i64 = 3600;

/// Why a packument is not available.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum RegistryError {
    #[error("no npm registry configured (set `registry=` in .npmrc or npm_config_registry)")]
    NotConfigured,
    #[error("{name}: not in the registry cache, and --offline forbids asking {registry}")]
    OfflineMiss { name: String, registry: String },
    #[error("{url}: {message}")]
    Http { url: String, message: String },
    #[error("{url}: not a registry document: {message}")]
    BadDocument { url: String, message: String },
}

/// Where the registry setting came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryConfig {
    /// Base URL, ending in `/`.
    pub url: String,
    /// `npm_config_registry`, a `.npmrc` path, or `npm config get registry`.
    pub source: String,
    /// `@scope` → registry URL (`@scope:registry=` lines).
    pub scopes: HashMap<String, String>,
    /// CA trust, proxy, strict-ssl (see [`crate::net`]).
    pub net: crate::net::NetConfig,
}

/// Parses `.npmrc` text: `key=value` lines, `;`/`#` comments, `${VAR}` expansion.
pub fn parse_npmrc(text: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            out.insert(k.trim().to_string(), expand_env(v.trim().trim_matches('"')));
        }
    }
    out
}

fn expand_env(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                let name = &rest[start + 2..start + end];
                out.push_str(&std::env::var(name).unwrap_or_default());
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_string()
    } else {
        format!("{url}/")
    }
}

/// The `.npmrc` files npm reads for `project`, highest precedence first.
pub fn npmrc_chain(project: &Path) -> Vec<PathBuf> {
    let mut files = vec![project.join(".npmrc")];
    match std::env::var_os("NPM_CONFIG_USERCONFIG")
        .or_else(|| std::env::var_os("npm_config_userconfig"))
    {
        Some(p) => files.push(PathBuf::from(p)),
        None => {
            if let Some(home) = std::env::var_os("HOME") {
                files.push(PathBuf::from(home).join(".npmrc"));
            }
        }
    }
    match std::env::var_os("NPM_CONFIG_GLOBALCONFIG")
        .or_else(|| std::env::var_os("npm_config_globalconfig"))
    {
        Some(p) => files.push(PathBuf::from(p)),
        None => {
            if let Some(prefix) =
                std::env::var_os("PREFIX").or_else(|| std::env::var_os("npm_config_prefix"))
            {
                files.push(PathBuf::from(prefix).join("etc/npmrc"));
            }
        }
    }
    files
}

/// The registry the user's npm configuration names for `project`.
pub fn resolve_config(project: &Path) -> Result<RegistryConfig, RegistryError> {
    let mut scopes = HashMap::new();
    let mut found: Option<(String, String)> = None;
    for key in ["npm_config_registry", "NPM_CONFIG_REGISTRY"] {
        if let Ok(url) = std::env::var(key) {
            if !url.trim().is_empty() {
                found = Some((with_slash(url.trim()), key.to_string()));
                break;
            }
        }
    }
    // Lowest precedence first, so higher ones overwrite scopes.
    for file in npmrc_chain(project).iter().rev() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let rc = parse_npmrc(&text);
        for (k, v) in &rc {
            if let Some(scope) = k.strip_suffix(":registry") {
                if scope.starts_with('@') {
                    scopes.insert(scope.to_string(), with_slash(v));
                }
            }
        }
    }
    if found.is_none() {
        for file in npmrc_chain(project) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            if let Some(url) = parse_npmrc(&text).get("registry") {
                found = Some((with_slash(url), file.display().to_string()));
                break;
            }
        }
    }
    if found.is_none() {
        let out = std::process::Command::new("npm")
            .args(["config", "get", "registry"])
            .current_dir(project)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output();
        if let Ok(out) = out {
            let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if out.status.success() && url.starts_with("http") {
                found = Some((with_slash(&url), "npm config get registry".into()));
            }
        }
    }
    let (url, source) = found.ok_or(RegistryError::NotConfigured)?;
    Ok(RegistryConfig {
        url,
        source,
        scopes,
        net: crate::net::resolve(project),
    })
}

/// What eggsec uses of one version in a packument.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct VersionMeta {
    #[serde(default)]
    pub dependencies: HashMap<String, String>,
    #[serde(default)]
    pub node_engine: Option<String>,
    #[serde(default)]
    pub deprecated: Option<String>,
}

/// The parts of a registry document (packument) eggsec reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Packument {
    pub name: String,
    pub latest: Option<String>,
    pub versions: HashMap<String, VersionMeta>,
    /// Version → publish time (RFC 3339).
    pub time: HashMap<String, String>,
}

impl Packument {
    /// Reads a full registry document.
    pub fn parse(bytes: &[u8], url: &str) -> Result<Packument, RegistryError> {
        let bad = |message: String| RegistryError::BadDocument {
            url: url.to_string(),
            message,
        };
        let doc: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        let versions = doc
            .get("versions")
            .and_then(|v| v.as_object())
            .ok_or_else(|| bad("no `versions` object".into()))?;
        let str_map = |v: Option<&serde_json::Value>| -> HashMap<String, String> {
            v.and_then(|v| v.as_object())
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Packument {
            name: doc["name"].as_str().unwrap_or("").to_string(),
            latest: doc["dist-tags"]["latest"].as_str().map(str::to_string),
            versions: versions
                .iter()
                .map(|(v, m)| {
                    let deprecated = match m.get("deprecated") {
                        Some(serde_json::Value::String(s)) if !s.is_empty() => Some(s.clone()),
                        _ => None,
                    };
                    (
                        v.clone(),
                        VersionMeta {
                            dependencies: str_map(m.get("dependencies")),
                            node_engine: m["engines"]["node"].as_str().map(str::to_string),
                            deprecated,
                        },
                    )
                })
                .collect(),
            time: str_map(doc.get("time")),
        })
    }

    /// The highest non-prerelease version satisfying the npm range (what an install picks).
    pub fn max_satisfying(&self, range: &str) -> Option<String> {
        let r = nodejs_semver::Range::parse(range).ok()?;
        self.versions
            .keys()
            .filter_map(|v| nodejs_semver::Version::parse(v).ok().map(|p| (p, v)))
            .filter(|(p, _)| p.satisfies(&r))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, v)| v.clone())
    }
}

#[derive(Serialize, Deserialize)]
struct CacheEntry {
    fetched: i64,
    url: String,
    packument: Packument,
}

/// A registry client with an in-memory and an on-disk cache.
pub struct Registry {
    pub config: RegistryConfig,
    agent: ureq::Agent,
    /// A network setting that cannot be used (a bad CA file, a bad proxy URL): every request
    /// fails with it.
    agent_error: Option<String>,
    cache_dir: Option<PathBuf>,
    offline: bool,
    memory: Mutex<HashMap<String, Result<Arc<Packument>, RegistryError>>>,
}

impl Registry {
    /// A client for `config`, caching under `cache_dir` (`None`: memory only).
    pub fn new(config: RegistryConfig, cache_dir: Option<PathBuf>, offline: bool) -> Registry {
        let host = config
            .url
            .split_once("://")
            .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or(""))
            .unwrap_or("")
            .to_string();
        let (agent, agent_error) = match config.net.agent(&host, Duration::from_secs(20)) {
            Ok(agent) => (agent, None),
            Err(e) => (ureq::Agent::new_with_defaults(), Some(e)),
        };
        if !config.net.strict_ssl {
            eprintln!(
                "eggsec: warning: npm strict-ssl=false: the registry's TLS certificate is not verified"
            );
        }
        Registry {
            config,
            agent,
            agent_error,
            cache_dir,
            offline,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// POSTs a JSON body to `path` under the registry's base URL; the status and body
    /// (at most `limit` bytes) whatever the status.
    pub fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        limit: u64,
    ) -> Result<(u16, Vec<u8>), RegistryError> {
        let url = format!("{}{}", self.config.url, path.trim_start_matches('/'));
        if self.offline {
            return Err(RegistryError::Http {
                url: crate::redact_url(&url),
                message: "--offline forbids network access".into(),
            });
        }
        let text = serde_json::to_vec(body).expect("plain data serialises");
        let resp = self
            .agent
            .post(&url)
            .config()
            .http_status_as_error(false)
            .build()
            .header("content-type", "application/json")
            .send(&text[..]);
        let mut resp = resp.map_err(|e| RegistryError::Http {
            url: crate::redact_url(&url),
            message: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| RegistryError::Http {
                url: crate::redact_url(&url),
                message: e.to_string(),
            })?;
        Ok((status, bytes))
    }

    /// The document URL of `name` (scoped names use the scope's registry, `/` encoded).
    pub fn url_of(&self, name: &str) -> String {
        let base = name
            .split_once('/')
            .and_then(|(scope, _)| self.config.scopes.get(scope))
            .unwrap_or(&self.config.url);
        format!("{base}{}", name.replace('/', "%2F"))
    }

    fn cache_path(&self, name: &str) -> Option<PathBuf> {
        self.cache_dir
            .as_ref()
            .map(|d| d.join(format!("{}.json", name.replace('/', "__"))))
    }

    /// The packument of `name`: memory, then a fresh disk cache, then the registry (a stale
    /// cache entry is used when the registry cannot be reached).
    pub fn packument(&self, name: &str) -> Result<Arc<Packument>, RegistryError> {
        if let Some(hit) = self
            .memory
            .lock()
            .map(|m| m.get(name).cloned())
            .ok()
            .flatten()
        {
            return hit;
        }
        let result = self.load(name);
        if let Ok(mut m) = self.memory.lock() {
            m.insert(name.to_string(), result.clone());
        }
        result
    }

    fn load(&self, name: &str) -> Result<Arc<Packument>, RegistryError> {
        let url = self.url_of(name);
        let cached: Option<CacheEntry> = self
            .cache_path(name)
            .and_then(|p| std::fs::read(p).ok())
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|e: &CacheEntry| e.url == url);
        if let Some(entry) = &cached {
            if self.offline || crate::dates::now() - entry.fetched < CACHE_TTL_SECS {
                return Ok(Arc::new(entry.packument.clone()));
            }
        }
        if self.offline {
            return Err(RegistryError::OfflineMiss {
                name: name.to_string(),
                registry: self.config.url.clone(),
            });
        }
        match self.fetch(&url) {
            Ok(p) => {
                if let Some(path) = self.cache_path(name) {
                    let entry = CacheEntry {
                        fetched: crate::dates::now(),
                        url: url.clone(),
                        packument: p.clone(),
                    };
                    if let Some(dir) = path.parent() {
                        let _ = std::fs::create_dir_all(dir);
                    }
                    if let Ok(text) = serde_json::to_vec(&entry) {
                        let tmp = path.with_extension("tmp");
                        let replaceable = eggsec_report::input::check_replaceable(&path).is_ok()
                            && eggsec_report::input::check_replaceable(&tmp).is_ok();
                        if replaceable && std::fs::write(&tmp, text).is_ok() {
                            let _ = std::fs::rename(&tmp, &path);
                        }
                    }
                }
                Ok(Arc::new(p))
            }
            Err(e) => match cached {
                Some(entry) => Ok(Arc::new(entry.packument)),
                None => Err(e),
            },
        }
    }

    fn fetch(&self, url: &str) -> Result<Packument, RegistryError> {
        let http = |message: String| RegistryError::Http {
            url: url.to_string(),
            message,
        };
        if let Some(e) = &self.agent_error {
            return Err(http(e.clone()));
        }
        let mut resp = self
            .agent
            .get(url)
            .header("Accept", "application/json")
            .call()
            .map_err(|e| http(e.to_string()))?;
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(MAX_DOC_BYTES)
            .read_to_vec()
            .map_err(|e| http(format!("reading the response: {e}")))?;
        Packument::parse(&bytes, url)
    }

    /// Fetches many packuments with up to `workers` requests in flight.
    pub fn prefetch(&self, names: &[String], workers: usize) {
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..workers.clamp(1, 16) {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(name) = names.get(i) else { break };
                    let _ = self.packument(name);
                });
            }
        });
    }
}

/// The user's cache directory for eggsec: `$EGGSEC_CACHE_DIR`, `$XDG_CACHE_HOME/eggsec`,
/// `~/.cache/eggsec`, else the temp directory.
pub fn cache_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("EGGSEC_CACHE_DIR") {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(d).join("eggsec");
    }
    if let Some(h) = std::env::var_os("HOME") {
        return PathBuf::from(h).join(".cache/eggsec");
    }
    std::env::temp_dir().join("eggsec")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npmrc_lines() {
        std::env::set_var("EGGSEC_TEST_TOKEN_VAR", "abc");
        let rc = parse_npmrc(
            "; comment\nregistry = http://127.0.0.1:9/\n@corp:registry=http://127.0.0.1:8/x\n//h/:_authToken=${EGGSEC_TEST_TOKEN_VAR}\n",
        );
        assert_eq!(rc["registry"], "http://127.0.0.1:9/");
        assert_eq!(rc["@corp:registry"], "http://127.0.0.1:8/x");
        assert_eq!(rc["//h/:_authToken"], "abc");
    }

    #[test]
    fn project_npmrc_wins_over_user() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(".npmrc"),
            "registry=http://127.0.0.1:1234\n@x:registry=http://127.0.0.1:99/\n",
        )
        .unwrap();
        // npm_config_registry is not set by the test runner; if it is, it wins, as in npm.
        if std::env::var_os("npm_config_registry").is_none()
            && std::env::var_os("NPM_CONFIG_REGISTRY").is_none()
        {
            let c = resolve_config(dir.path()).unwrap();
            assert_eq!(c.url, "http://127.0.0.1:1234/");
            assert!(c.source.ends_with(".npmrc"));
            let r = Registry::new(c, None, true);
            assert_eq!(r.url_of("@x/y"), "http://127.0.0.1:99/@x%2Fy");
            assert_eq!(r.url_of("egg"), "http://127.0.0.1:1234/egg");
        }
    }

    #[test]
    fn bad_documents() {
        assert!(Packument::parse(b"<html>", "u").is_err());
        assert!(Packument::parse(b"{\"name\":\"x\"}", "u").is_err());
        let p = Packument::parse(
            br#"{"name":"x","dist-tags":{"latest":"1.2.0"},"versions":{"1.0.0":{},"1.2.0":{"deprecated":"use y"},"2.0.0-rc.1":{}}}"#,
            "u",
        )
        .unwrap();
        assert_eq!(p.max_satisfying("^1"), Some("1.2.0".into()));
        assert_eq!(p.versions["1.2.0"].deprecated.as_deref(), Some("use y"));
    }
}
