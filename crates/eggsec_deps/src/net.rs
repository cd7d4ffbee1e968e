//! How eggsec reaches the registry the way the user's machine is set up, like npm does:
//!
//! - **trust**: the system CA store (`SSL_CERT_FILE`, else the distribution's bundle), plus npm's
//!   `cafile` and `ca` (`.npmrc`, `npm_config_cafile`/`npm_config_ca`) and `NODE_EXTRA_CA_CERTS`;
//!   Mozilla's roots when none of these exists. `strict-ssl=false` turns verification off (npm's
//!   meaning; eggsec says so on stderr).
//! - **proxy**: npm's `https-proxy` / `proxy` (`.npmrc` or `npm_config_*`), else `HTTPS_PROXY` /
//!   `HTTP_PROXY` / `ALL_PROXY` (either case); `NO_PROXY` / npm's `noproxy` exempt hosts
//!   (`example.com`, `.example.com`, `*`, `127.0.0.1`).

use crate::registry::{npmrc_chain, parse_npmrc};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The network settings that apply to one project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NetConfig {
    /// PEM files of extra trusted CAs (npm `cafile`, `NODE_EXTRA_CA_CERTS`).
    pub ca_files: Vec<PathBuf>,
    /// Inline PEM certificates (npm `ca`, `ca[]`).
    #[serde(skip)]
    pub ca_inline: Vec<String>,
    /// The system CA bundle in use, if found.
    pub system_store: Option<PathBuf>,
    /// npm `strict-ssl` (default true).
    pub strict_ssl: bool,
    /// The proxy URL for https requests, and where it was set.
    pub proxy: Option<(String, String)>,
    /// Hosts the proxy is not used for.
    pub no_proxy: Vec<String>,
}

fn env_any(names: &[&str]) -> Option<(String, String)> {
    names.iter().find_map(|n| {
        std::env::var(n)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .map(|v| (v.trim().to_string(), n.to_string()))
    })
}

/// The system CA bundle: `SSL_CERT_FILE`, else the first distribution bundle that exists.
pub fn system_store() -> Option<PathBuf> {
    if let Some((f, _)) = env_any(&["SSL_CERT_FILE"]) {
        return Some(PathBuf::from(f));
    }
    [
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
        "/usr/local/etc/openssl/cert.pem",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
}

/// Reads the settings for `project` from the environment and its `.npmrc` chain.
pub fn resolve(project: &Path) -> NetConfig {
    // npm's own settings, highest precedence first: npm_config_* env, then .npmrc files.
    let mut rc: Vec<(String, String, String)> = Vec::new(); // (key, value, source)
    let mut ca_inline = Vec::new();
    for file in npmrc_chain(project) {
        let Ok(text) = eggsec_report::input::read_text_limited(&file, 1 << 20) else {
            continue;
        };
        for line in text.lines() {
            let line = line.trim();
            if let Some(v) = line
                .strip_prefix("ca[]")
                .and_then(|r| r.trim_start().strip_prefix('='))
            {
                ca_inline.push(v.trim().trim_matches('"').replace("\\n", "\n"));
            }
        }
        for (k, v) in parse_npmrc(&text) {
            rc.push((k, v, file.display().to_string()));
        }
    }
    let npm = |key: &str| -> Option<(String, String)> {
        let env_key = format!("npm_config_{}", key.replace('-', "_"));
        env_any(&[&env_key, &env_key.to_ascii_uppercase()]).or_else(|| {
            rc.iter()
                .find(|(k, _, _)| k == key)
                .map(|(_, v, src)| (v.clone(), src.clone()))
        })
    };
    let mut cfg = NetConfig {
        strict_ssl: npm("strict-ssl").is_none_or(|(v, _)| v != "false"),
        system_store: system_store(),
        ..NetConfig::default()
    };
    if let Some((f, _)) = npm("cafile") {
        cfg.ca_files.push(PathBuf::from(f));
    }
    if let Some((ca, _)) = npm("ca") {
        if ca != "null" && !ca.is_empty() {
            ca_inline.push(ca.replace("\\n", "\n"));
        }
    }
    cfg.ca_inline = ca_inline;
    if let Some((f, _)) = env_any(&["NODE_EXTRA_CA_CERTS"]) {
        cfg.ca_files.push(PathBuf::from(f));
    }
    cfg.proxy = npm("https-proxy")
        .or_else(|| npm("proxy"))
        .or_else(|| {
            env_any(&[
                "HTTPS_PROXY",
                "https_proxy",
                "HTTP_PROXY",
                "http_proxy",
                "ALL_PROXY",
                "all_proxy",
            ])
        })
        .filter(|(p, _)| p != "null" && p != "false");
    let no_proxy = npm("noproxy")
        .or_else(|| env_any(&["NO_PROXY", "no_proxy"]))
        .map(|(v, _)| v)
        .unwrap_or_default();
    cfg.no_proxy = no_proxy
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    cfg
}

impl NetConfig {
    /// Whether requests to `host` skip the proxy (`NO_PROXY` / npm `noproxy`).
    pub fn bypasses_proxy(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        self.no_proxy.iter().any(|entry| {
            let e = entry.to_ascii_lowercase();
            let e = e.split(':').next().unwrap_or("").to_string();
            e == "*"
                || host == e.trim_start_matches("*.").trim_start_matches('.')
                || (e.starts_with('.') || e.starts_with("*."))
                    && host.ends_with(e.trim_start_matches('*'))
                || (!e.starts_with('.') && host.ends_with(&format!(".{e}")))
        })
    }

    /// The trusted roots: the system store plus every extra CA. Errors name the file.
    pub fn root_certs(&self) -> Result<Option<Vec<ureq::tls::Certificate<'static>>>, String> {
        let mut certs = Vec::new();
        let mut read = |pem: &[u8], what: &str, required: bool| -> Result<(), String> {
            let before = certs.len();
            for item in ureq::tls::parse_pem(pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => return Err(format!("{what}: not a PEM certificate file ({e})")),
                }
            }
            if required && certs.len() == before {
                return Err(format!("{what}: no PEM certificate in it"));
            }
            Ok(())
        };
        let has_extra = !self.ca_files.is_empty() || !self.ca_inline.is_empty();
        if let Some(store) = &self.system_store {
            match std::fs::read(store) {
                Ok(pem) => read(&pem, &store.display().to_string(), false)?,
                Err(e) if has_extra => {
                    return Err(format!("{}: cannot read it ({e})", store.display()))
                }
                Err(_) => {}
            }
        }
        for f in &self.ca_files {
            let pem = std::fs::read(f)
                .map_err(|e| format!("CA file {}: cannot read it ({e})", f.display()))?;
            read(&pem, &format!("CA file {}", f.display()), true)?;
        }
        for (i, ca) in self.ca_inline.iter().enumerate() {
            read(ca.as_bytes(), &format!("npm `ca` entry {}", i + 1), true)?;
        }
        Ok((!certs.is_empty()).then_some(certs))
    }

    /// A ureq agent honouring these settings for requests to `host`.
    pub fn agent(&self, host: &str, timeout: Duration) -> Result<ureq::Agent, String> {
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(certs) = self.root_certs()? {
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        if !self.strict_ssl {
            tls = tls.disable_verification(true);
        }
        let mut builder = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .max_redirects(0)
            .tls_config(tls.build())
            // Proxies come only from the settings above (not ureq's own env reading, which
            // would ignore npm's noproxy).
            .proxy(None);
        if let Some((url, source)) = &self.proxy {
            if !self.bypasses_proxy(host) {
                let proxy = ureq::Proxy::new(url)
                    .map_err(|e| format!("proxy {url} (from {source}): {e}"))?;
                builder = builder.proxy(Some(proxy));
            }
        }
        Ok(builder.build().into())
    }
}

/// A URL without its password (`http://user:****@proxy:3128`), for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) if !userinfo.contains('/') => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
            None => url.to_string(),
        },
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_matches_like_npm_and_curl() {
        let cfg = NetConfig {
            no_proxy: vec![
                "localhost".into(),
                ".internal.example".into(),
                "127.0.0.1".into(),
                "corp.example:8443".into(),
            ],
            ..NetConfig::default()
        };
        assert!(cfg.bypasses_proxy("localhost"));
        assert!(cfg.bypasses_proxy("npm.internal.example"));
        assert!(cfg.bypasses_proxy("127.0.0.1"));
        assert!(cfg.bypasses_proxy("registry.corp.example"));
        assert!(cfg.bypasses_proxy("corp.example"));
        assert!(!cfg.bypasses_proxy("example.org"));
        assert!(!cfg.bypasses_proxy("notlocalhost.org"));
        let all = NetConfig {
            no_proxy: vec!["*".into()],
            ..NetConfig::default()
        };
        assert!(all.bypasses_proxy("anything"));
    }

    #[test]
    fn a_bad_ca_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("ca.pem");
        std::fs::write(&f, "not a certificate\n").unwrap();
        let cfg = NetConfig {
            ca_files: vec![f.clone()],
            ..NetConfig::default()
        };
        let err = cfg.root_certs().unwrap_err();
        assert!(err.contains("ca.pem"), "{err}");
    }
}
