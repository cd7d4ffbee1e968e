//! `BLT005` `session-not-encrypted-or-signed`: the cookie session is stored without egg's
//! encryption and/or signature.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct SessionNotEncryptedOrSigned;

static META: RuleMeta = RuleMeta {
    code: "BLT005",
    name: "session-not-encrypted-or-signed",
    strategy: Strategy::Builtin,
    severity: Severity::High,
    confidence: Confidence::High,
    control: "The session cookie is encrypted and signed with `config.keys`",
    docs: RuleDocs {
        what:
            "Finds `config.session.encrypt = false` and/or `config.session.signed = false` while \
egg-session is enabled. egg-session defaults to `encrypt: true`, and koa-session (underneath \
it) to `signed: true`.",
        why: "By default egg keeps the whole session in the `EGG_SESS` cookie (koa-session's \
cookie store): JSON, base64-encoded, encrypted with `config.keys` (`encrypt: true`) and \
signed with an HMAC cookie `EGG_SESS.sig` (`signed: true`). With both off, the cookie is plain \
base64 JSON that the server trusts as is: anyone can write `{\"userId\": 1}` into it and be that \
user. With `signed: false` alone, the encrypted cookie carries no integrity check, so tampering \
is not detected. With `encrypt: false` alone, the signature still prevents forgery but every \
value in the session is readable by the client (and by anyone who sees the cookie).",
        bad: r#"// config/config.default.js
module.exports = {
  session: {
    encrypt: false,
    signed: false,
  },
};"#,
        good: r#"// config/config.default.js
module.exports = {
  session: {
    encrypt: true, // egg-session's default
    signed: true,  // koa-session's default
  },
};"#,
        fix: "Delete the overrides so the defaults apply, or set them explicitly:\n\n```js\n\
// config/config.default.js\nmodule.exports = {\n  session: { encrypt: true, signed: true },\n};\n\
```\n\nIf the session must not live in the cookie at all, keep signing on and move the data to \
a server-side store (`app.sessionStore`, e.g. egg-session-redis).",
    },
};

impl Rule for SessionNotEncryptedOrSigned {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if !app.plugin_enabled("session") {
            cx.not_applicable();
            return;
        }
        let off = |key: &str| {
            app.config_at(&format!("session.{key}"))
                .filter(|v| v.as_bool() == Some(false))
        };
        let (encrypt_off, signed_off) = (off("encrypt"), off("signed"));
        let mut evidence = Vec::new();
        for (key, value) in [("encrypt", encrypt_off), ("signed", signed_off)] {
            if let Some(v) = value {
                evidence.push(format!(
                    "session.{key} = false ({})",
                    cx.relative_path(&v.prov.file)
                ));
            }
        }
        let (value, severity, message) = match (encrypt_off, signed_off) {
            (Some(_), Some(signed)) => (
                signed,
                Severity::High,
                "The session cookie is neither encrypted nor signed: a client can write any \
session (for example another user's id) into EGG_SESS and egg trusts it",
            ),
            (None, Some(signed)) => (
                signed,
                Severity::Medium,
                "The session cookie is not signed (session.signed = false): the encrypted \
cookie has no integrity check, so tampering with it goes undetected",
            ),
            (Some(encrypt), None) => (
                encrypt,
                Severity::Low,
                "The session cookie is not encrypted (session.encrypt = false): every value \
in the session is readable by the client as base64 JSON",
            ),
            (None, None) => {
                // Options that are not literals (env, computed) may turn either off.
                let undecided = ["encrypt", "signed"].iter().any(|key| {
                    app.config_at(&format!("session.{key}"))
                        .is_some_and(|v| !v.is_undefined() && v.as_bool().is_none())
                });
                if undecided {
                    cx.not_applicable();
                } else {
                    cx.fact("The session cookie is encrypted and signed");
                }
                return;
            }
        };
        cx.report(&value.prov, message, evidence, META.docs.fix)
            .severity = severity;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, set_plugin, test_model};
    use serde_json::json;

    fn findings(session: serde_json::Value) -> Vec<eggsec_report::Finding> {
        run_rule(
            &SessionNotEncryptedOrSigned,
            &test_model(json!({ "session": session })),
        )
    }

    #[test]
    fn hit_both_off_is_high_at_signed() {
        let found = findings(json!({
            "encrypt": {"$at": "config/config.default.js:3:14", "$value": false},
            "signed": {"$at": "config/config.default.js:4:13", "$value": false},
        }));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::High);
        assert_eq!(
            found[0].location.to_string(),
            "config/config.default.js:4:13"
        );
        assert_eq!(found[0].evidence.len(), 2);
    }

    #[test]
    fn hit_one_off_with_matching_severity() {
        let signed = findings(json!({"signed": false}));
        assert_eq!(signed.len(), 1);
        assert_eq!(signed[0].severity, Severity::Medium);
        let encrypt = findings(json!({"encrypt": false, "signed": true}));
        assert_eq!(encrypt.len(), 1);
        assert_eq!(encrypt[0].severity, Severity::Low);
    }

    #[test]
    fn no_hit_on_defaults_unknown_or_plugin_off() {
        for session in [
            json!({"encrypt": true}),
            json!({"encrypt": true, "signed": true}),
            json!({"encrypt": {"$env": "SESSION_ENCRYPT", "default": null}}),
            json!({"signed": {"$unknown": "flag()"}}),
        ] {
            assert!(findings(session.clone()).is_empty(), "{session}");
        }
        let mut app = test_model(json!({"session": {"encrypt": false, "signed": false}}));
        set_plugin(&mut app, "session", false);
        assert!(run_rule(&SessionNotEncryptedOrSigned, &app).is_empty());
    }
}
