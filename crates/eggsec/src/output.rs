//! Shared output helpers: secret masking over tagged JSON, and the text view of a config tree.

use eggsec_app::secrets::is_secret_key;
use eggsec_js::{Value, ValueKind};

/// Masks secret values in a tagged-JSON config tree found at dotted `key` (see
/// [`eggsec_report::mask::mask_tagged_json`]): everything under a secret name (any segment of
/// the path) and every value shaped like a secret becomes `{"$secret": "ab****(N chars)",
/// "length": N}`.
pub fn mask_json(key: Option<&str>, v: serde_json::Value) -> serde_json::Value {
    let secret_path = key.is_some_and(|k| k.split('.').any(is_secret_key));
    let leaf = if secret_path { Some("secret") } else { None };
    eggsec_report::mask::mask_tagged_json(leaf, v)
}

/// One `key = value  file:line` line per leaf, depth-first, in insertion order. The keys an
/// object may hold but that are not known (an unevaluable spread or base) show as
/// `path.* = <unknown: why>`, never as the model's internal marker.
pub fn config_lines(
    prefix: &str,
    v: &Value,
    show_secrets: bool,
    out: &mut Vec<(String, String, String)>,
) {
    match &v.kind {
        ValueKind::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let k = if k == eggsec_js::UNKNOWN_KEYS {
                    "*"
                } else {
                    k.as_str()
                };
                let p = if prefix.is_empty() {
                    k.to_string()
                } else {
                    format!("{prefix}.{k}")
                };
                config_lines(&p, child, show_secrets, out);
            }
        }
        _ => {
            let mut j = v.to_tagged_json();
            if !show_secrets {
                j = mask_json(Some(prefix), j);
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
    use serde_json::json;

    #[test]
    fn masks_secret_keys_and_dsn_passwords() {
        let j = json!({"jwt": {"secret": "supersecretvalue"}, "db": {"url": "mysql://root:hunter22@db:3306/x"}, "name": "shop"});
        let m = mask_json(None, j);
        assert_eq!(m["jwt"]["secret"]["$secret"], "su****(16 chars)");
        assert_eq!(m["db"]["url"]["length"], 31);
        assert_eq!(m["name"], "shop");
    }
}
