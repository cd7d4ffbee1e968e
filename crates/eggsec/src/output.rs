//! Shared output helpers: secret masking over tagged JSON, and the text view of a config tree.

use eggsec_app::secrets::{is_secret_key, mask};
use eggsec_js::{Value, ValueKind};
use serde_json::json;

/// Masks secret values in a tagged-JSON config tree: a string under a secret-looking key, or a
/// URL/DSN carrying a password, becomes `{"$secret": "ab****yz", "length": N}`.
pub fn mask_json(key: Option<&str>, v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    let secret_key = key.is_some_and(is_secret_key);
    match v {
        J::String(s) if secret_key && !s.is_empty() => secret_json(&s),
        J::String(s) if dsn_password(&s).is_some() => secret_json(&s),
        J::Object(map) => {
            // Env references keep their name; their default may be a secret.
            if map.contains_key("$env") {
                let mut map = map;
                if let Some(d) = map.remove("default") {
                    map.insert("default".into(), mask_json(key, d));
                }
                return J::Object(map);
            }
            J::Object(
                map.into_iter()
                    .map(|(k, v)| {
                        let masked = mask_json(Some(&k), v);
                        (k, masked)
                    })
                    .collect(),
            )
        }
        J::Array(items) => J::Array(items.into_iter().map(|i| mask_json(key, i)).collect()),
        other => other,
    }
}

fn secret_json(s: &str) -> serde_json::Value {
    json!({"$secret": mask(s), "length": s.chars().count()})
}

/// The password part of `scheme://user:password@host`, if any.
pub fn dsn_password(s: &str) -> Option<&str> {
    let rest = &s[s.find("://")? + 3..];
    let at = rest.find('@')?;
    let userinfo = &rest[..at];
    if userinfo.contains('/') {
        return None;
    }
    let pw = &userinfo[userinfo.find(':')? + 1..];
    (!pw.is_empty()).then_some(pw)
}

/// One `key = value  file:line` line per leaf, depth-first, in insertion order.
pub fn config_lines(
    prefix: &str,
    v: &Value,
    show_secrets: bool,
    out: &mut Vec<(String, String, String)>,
) {
    match &v.kind {
        ValueKind::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                config_lines(&p, child, show_secrets, out);
            }
        }
        _ => {
            let key = prefix.rsplit('.').next();
            let mut j = v.to_tagged_json();
            if !show_secrets {
                j = mask_json(key, j);
            }
            out.push((prefix.to_string(), compact(&j), v.prov.to_string()));
        }
    }
}

/// A short human rendering of a tagged JSON value.
fn compact(j: &serde_json::Value) -> String {
    if let Some(o) = j.as_object() {
        if let Some(f) = o.get("$function").and_then(|x| x.as_str()) {
            return format!("<function at {f}>");
        }
        if let Some(r) = o.get("$regex").and_then(|x| x.as_str()) {
            return r.to_string();
        }
        if let Some(n) = o.get("$env").and_then(|x| x.as_str()) {
            let d = o
                .get("default")
                .filter(|d| !d.is_null())
                .map(|d| format!(" || {}", compact(d)));
            return format!("process.env.{n}{}", d.unwrap_or_default());
        }
        if let Some(w) = o.get("$unknown").and_then(|x| x.as_str()) {
            return format!("<unknown: {w}>");
        }
        if let Some(s) = o.get("$secret").and_then(|x| x.as_str()) {
            return format!("\"{s}\" (secret, masked)");
        }
    }
    j.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_keys_and_dsn_passwords() {
        let j = json!({"jwt": {"secret": "supersecretvalue"}, "db": {"url": "mysql://root:hunter22@db:3306/x"}, "name": "shop"});
        let m = mask_json(None, j);
        assert_eq!(m["jwt"]["secret"]["$secret"], "su****ue");
        assert_eq!(m["db"]["url"]["length"], 31);
        assert_eq!(m["name"], "shop");
        assert_eq!(dsn_password("redis://:pw@h:6379"), Some("pw"));
        assert_eq!(dsn_password("https://example.com/a@b"), None);
    }
}
