//! How egg-security (`@eggjs/security` in egg 4) reads `config.security`, for the csrf and
//! headers rules: which sub-middleware actually runs (`app/middleware/securities.js`), and the
//! CSP policy as the `csp` middleware emits it (`lib/middlewares/csp.js`).

use eggsec_app::{AppModel, PluginState};
use eggsec_js::{Provenance, Value, ValueKind};

/// egg-security's own `defaultMiddleware` (egg 2, 3 and 4). `referrerPolicy` is not in it.
pub const DEFAULT_MIDDLEWARE: &[&str] = &[
    "csrf",
    "hsts",
    "methodnoallow",
    "noopen",
    "nosniff",
    "csp",
    "xssProtection",
    "xframe",
    "dta",
];

/// Whether egg treats `env` as a development env: `local` and `unittest` (egg-onerror's
/// `isProd` is "neither of them"; egg-security turns hsts off in local).
pub fn is_dev_env(env: &str) -> bool {
    env == "local" || env == "unittest"
}

/// `security.defaultMiddleware` as egg-security splits it: the comma-separated string (egg 2/3)
/// or the array (egg 4), each name trimmed. Absent → egg-security's default list. `None` when
/// it is not statically known.
pub fn default_middleware(app: &AppModel) -> Option<Vec<String>> {
    let Some(value) = app.config_at("security.defaultMiddleware") else {
        return Some(DEFAULT_MIDDLEWARE.iter().map(|s| s.to_string()).collect());
    };
    match (&value.kind, value.as_list()) {
        (ValueKind::String(s), _) => Some(s.split(',').map(|n| n.trim().to_string()).collect()),
        (_, Some(items)) => items
            .iter()
            .map(|v| v.as_str().map(|s| s.trim().to_string()))
            .collect(),
        _ => None,
    }
}

/// Whether one egg-security sub-middleware (`hsts`, `csp`, `xframe`...) runs, and why not.
#[derive(Debug)]
pub enum SubMiddleware<'a> {
    /// The `security` plugin is disabled: nothing of egg-security runs.
    PluginDisabled(&'a PluginState),
    /// The name is not in `security.defaultMiddleware` (the value, or `None` if egg-security's
    /// default list applies — only for `referrerPolicy`).
    NotListed(Option<&'a Value>),
    /// `security.<name>` is `false`, or its `enable` is falsy: the value that says so.
    Disabled(&'a Value),
    /// It runs, with these options (`security.<name>`).
    Enabled(&'a Value),
    /// Something needed is Unknown, an Env, or missing from the model: say nothing.
    Unknown,
}

/// Decides [`SubMiddleware`] for `name` the way `securities.js` does: the plugin must be
/// enabled, the name listed in `defaultMiddleware`, and `security[name]` neither `false` nor
/// without a truthy `enable` (`checkIfIgnore` skips the middleware when `!opts.enable`).
pub fn sub_middleware<'a>(app: &'a AppModel, name: &str) -> SubMiddleware<'a> {
    if let Some(plugin) = app.plugin("security") {
        if !plugin.enabled {
            return SubMiddleware::PluginDisabled(plugin);
        }
    }
    let Some(list) = default_middleware(app) else {
        return SubMiddleware::Unknown;
    };
    if !list.iter().any(|n| n == name) {
        return SubMiddleware::NotListed(app.config_at("security.defaultMiddleware"));
    }
    let Some(options) = app.config_at(&format!("security.{name}")) else {
        return SubMiddleware::Unknown;
    };
    match &options.kind {
        ValueKind::Bool(false) => SubMiddleware::Disabled(options),
        ValueKind::Object(map) => match map.get("enable") {
            None => SubMiddleware::Disabled(options),
            Some(enable) => match enable.truthy() {
                Some(true) => SubMiddleware::Enabled(options),
                Some(false) => SubMiddleware::Disabled(enable),
                None => SubMiddleware::Unknown,
            },
        },
        _ => SubMiddleware::Unknown,
    }
}

/// Says what a [`SubMiddleware::Disabled`] value is, for evidence: `security.hsts = false`,
/// `security.hsts.enable = false`, or `security.hsts has no \`enable\``; with the file that set
/// it (or "egg-security's default").
pub fn disabled_evidence(cx: &crate::RuleContext<'_>, name: &str, value: &Value) -> String {
    let what = match &value.kind {
        ValueKind::Bool(false) if value_is_options(cx.app, name, value) => {
            format!("security.{name} = false")
        }
        ValueKind::Object(_) => format!("security.{name} has no `enable`"),
        _ => format!("security.{name}.enable = {}", value.to_tagged_json()),
    };
    format!("{what} ({})", set_by(cx, value))
}

/// Whether `value` is `security.<name>` itself (not its `enable`).
fn value_is_options(app: &AppModel, name: &str, value: &Value) -> bool {
    app.config_at(&format!("security.{name}"))
        .is_some_and(|v| std::ptr::eq(v, value))
}

/// Where to point a finding about the merged object at `path`: merged objects keep the
/// provenance of the first layer that created them (often egg-security's defaults), so this is
/// the last app config layer that writes `path`, or the merged value's own provenance.
pub fn app_written_at<'a>(app: &'a AppModel, path: &str, merged: &'a Value) -> &'a Provenance {
    app.app_layers()
        .filter(|l| !l.embedded)
        .filter_map(|l| l.value.get_path(path))
        .last()
        .map_or(&merged.prov, |v| &v.prov)
}

/// Who set a value: the app file relative to the root, "egg-security's default" (embedded or
/// installed), or "<package>'s default" for another installed package's own config.
pub fn set_by(cx: &crate::RuleContext<'_>, value: &Value) -> String {
    if value.prov.file.starts_with('<') || value.prov.file.is_empty() {
        return "egg-security's default".into();
    }
    let file = cx.relative_path(&value.prov.file);
    match crate::util::installed_package(&file) {
        // installed or embedded, the same words (and the same fingerprint)
        Some("egg-security" | "@eggjs/security") => "egg-security's default".into(),
        // a framework's or another plugin's own config
        Some(package) => format!("{package}'s default"),
        None => file,
    }
}

/// One directive of `security.csp.policy`.
#[derive(Debug)]
pub struct Directive<'a> {
    /// The key as written (`'script-src'`).
    pub name: &'a str,
    /// The sources, each string value split on whitespace (egg joins them with spaces);
    /// `None` when a part is not a known string (an Unknown, an Env, a boolean).
    pub sources: Option<Vec<String>>,
    /// The value, for its provenance.
    pub value: &'a Value,
}

impl Directive<'_> {
    /// Sources, lowercased, when known.
    pub fn lowercase_sources(&self) -> Option<Vec<String>> {
        self.sources
            .as_ref()
            .map(|s| s.iter().map(|x| x.to_ascii_lowercase()).collect())
    }

    /// `name 'self' https:` as the header would say it (without egg's nonce).
    pub fn display(&self) -> String {
        match &self.sources {
            Some(sources) if sources.is_empty() => self.name.to_string(),
            Some(sources) => format!("{} {}", self.name, sources.join(" ")),
            None => format!("{} <not statically known>", self.name),
        }
    }
}

/// The directives of a `security.csp.policy` object, in order; `None` when the policy is not
/// a known object.
pub fn csp_directives(policy: &Value) -> Option<Vec<Directive<'_>>> {
    let map = policy.as_object()?;
    Some(
        map.iter()
            .filter(|(_, v)| !v.is_undefined())
            .map(|(name, value)| {
                let parts: Option<Vec<&str>> = match &value.kind {
                    ValueKind::String(s) => Some(vec![s.as_str()]),
                    _ => value.as_list().and_then(|items| {
                        items.iter().map(Value::as_str).collect::<Option<Vec<_>>>()
                    }),
                };
                Directive {
                    name: name.as_str(),
                    sources: parts.map(|p| {
                        p.iter()
                            .flat_map(|s| s.split_whitespace())
                            .map(str::to_string)
                            .collect()
                    }),
                    value,
                }
            })
            .collect(),
    )
}

/// The directive called `name` (CSP directive names are case-insensitive).
pub fn directive<'a, 'b>(directives: &'b [Directive<'a>], name: &str) -> Option<&'b Directive<'a>> {
    directives
        .iter()
        .find(|d| d.name.eq_ignore_ascii_case(name))
}

/// The CSP egg-security sends in this env, when it sends one: enabled (the middleware runs)
/// and the policy object known. Returns `(csp options, directives, report_only)`.
pub fn active_csp(app: &AppModel) -> Option<(&Value, Vec<Directive<'_>>, bool)> {
    let SubMiddleware::Enabled(options) = sub_middleware(app, "csp") else {
        return None;
    };
    let directives = csp_directives(options.get("policy")?)?;
    let report_only = options
        .get("reportOnly")
        .and_then(Value::truthy)
        .unwrap_or(false);
    Some((options, directives, report_only))
}

/// For headers egg-security cannot set (Permissions-Policy, COOP): in a deployed env with an
/// `app/` directory, records where the app's own code sets `header` (any of `needles`, lower
/// case, found in app/, app.js or local plugins), or reports app-wide that nothing does.
pub fn check_header_set_by_app(cx: &mut crate::RuleContext<'_>, header: &str, needles: &[&str]) {
    let app = cx.app;
    // No `app/` directory: no routes, no responses to protect (and no code to read).
    if is_dev_env(&app.env) || !eggsec_fs::is_dir(&app.root.join("app")) {
        cx.not_applicable();
        return;
    }
    if let Some(found) = cx.cache().find_in_app_code(app, needles) {
        cx.fact(format!(
            "{header} set in {}:{}",
            cx.relative_path(&found.file.to_string_lossy()),
            found.line
        ));
        return;
    }
    let fix = cx.meta().docs.fix;
    cx.report_at(
        eggsec_report::Location::App {
            root: app.root.display().to_string(),
        },
        format!("No {header} header is set anywhere in the app (egg-security cannot set it)"),
        vec![format!("no `{header}` in app/, app.js or local plugins")],
        fix,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{set_plugin, test_model};
    use serde_json::json;

    #[test]
    fn sub_middleware_follows_securities_js() {
        let app = test_model(json!({"security": {"hsts": {"enable": true}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Enabled(_)
        ));
        let app = test_model(json!({"security": {"hsts": {"maxAge": 1}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Disabled(_)
        ));
        let app = test_model(json!({"security": {"hsts": false}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Disabled(_)
        ));
        let app =
            test_model(json!({"security": {"hsts": {"enable": {"$env": "H", "default": null}}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Unknown
        ));
        let app = test_model(json!({"security": {
            "defaultMiddleware": "csrf, xframe", "hsts": {"enable": true}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::NotListed(Some(_))
        ));
        assert!(matches!(
            sub_middleware(&app, "referrerPolicy"),
            SubMiddleware::NotListed(_)
        ));
        let app = test_model(json!({"security": {
            "defaultMiddleware": ["hsts"], "hsts": {"enable": true}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Enabled(_)
        ));
        let mut app = test_model(json!({"security": {"hsts": {"enable": true}}}));
        set_plugin(&mut app, "security", false);
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::PluginDisabled(_)
        ));
        let app = test_model(json!({"security": {"defaultMiddleware": {"$unknown": "f()"}}}));
        assert!(matches!(
            sub_middleware(&app, "hsts"),
            SubMiddleware::Unknown
        ));
    }

    #[test]
    fn csp_policy_strings_and_arrays() {
        let app = test_model(
            json!({"security": {"csp": {"enable": true, "reportOnly": true, "policy": {
                "default-src": "'self'  https:",
                "script-src": ["'self'", "'unsafe-inline' cdn.example.com"],
                "sandbox": true,
            }}}}),
        );
        let (_, directives, report_only) = active_csp(&app).unwrap();
        assert!(report_only);
        assert_eq!(
            directive(&directives, "DEFAULT-SRC").unwrap().display(),
            "default-src 'self' https:"
        );
        assert_eq!(
            directive(&directives, "script-src")
                .unwrap()
                .sources
                .as_deref(),
            Some(
                &[
                    "'self'".to_string(),
                    "'unsafe-inline'".into(),
                    "cdn.example.com".into()
                ][..]
            )
        );
        assert!(directive(&directives, "sandbox").unwrap().sources.is_none());
    }
}
