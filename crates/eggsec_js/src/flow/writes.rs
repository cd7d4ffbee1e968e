//! Issue 12 classes 2, 5 and 10 on top of the flow engine:
//!
//! - mass assignment: `Object.assign(record, ctx.request.body)` (the model files list the
//!   `create`/`update`/`set` calls, `models/mass-assignment.toml`);
//! - a token or secret of the server sent to a URL the request chose
//!   (`ctx.redirect(back + '?token=' + jwt)`, `ctx.curl(ctx.query.hook, { data: { secret } })`);
//! - second-order writes: a field of a record read from the database in a file path or a shell
//!   command (`exec('tar ' + project.repoDir)`). Followed through locals of one function only.

use super::{join, map_traces, FlowVisitor, Origin, SinkKind, Step, V};
use crate::flow::Flow;
use oxc::ast::ast::*;
use oxc::span::{GetSpan, Span};

/// A field of a stored record and where it was read.
#[derive(Clone, Debug)]
pub(super) struct Stored {
    /// Where the field was read (`user.avatarName`), then each local it went through.
    steps: Vec<Step>,
    /// Sink kinds a sanitiser on the way made it safe for (`path.basename`).
    cleared: u32,
}

/// Roots of canonical paths whose call results are database records.
const DB_ROOTS: &[&str] = &[
    "ctx.model",
    "app.model",
    "app.mysql",
    "app.rds",
    "app.mongo",
    "app.mongoose",
    "mongoose",
    "mongodb",
    "sequelize",
    "leoric",
    "typeorm",
    "mysql",
    "mysql2",
    "pg",
    "knex",
];

/// `ctx.model.User.findOne().avatarName`: a field (not an id, a count or a date) of what a
/// database call returned.
fn stored_field(path: &str) -> Option<&str> {
    if !DB_ROOTS
        .iter()
        .any(|r| path.starts_with(r) && path[r.len()..].starts_with('.'))
    {
        return None;
    }
    let segs = super::segments(path);
    let call = segs.iter().position(|s| s.ends_with("()"))?;
    let field = *segs.last()?;
    if call + 1 >= segs.len() || field.ends_with("()") {
        return None;
    }
    let f = field.to_ascii_lowercase();
    let numeric = f == "id"
        || f == "_id"
        || f.ends_with("_id")
        || field.ends_with("Id")
        || field.ends_with("ID")
        || matches!(
            f.as_str(),
            "length"
                | "size"
                | "count"
                | "total"
                | "createdat"
                | "updatedat"
                | "created_at"
                | "updated_at"
                | "status"
                | "type"
                | "version"
                | "port"
        );
    (!numeric).then_some(field)
}

/// Names of values that are secrets of the server (or of the logged-in user) when they are not
/// request data: tokens, API keys, passwords, session ids, signatures.
pub(crate) fn secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    if [
        "url", "uri", "type", "expire", "name", "count", "length", "field", "header",
    ]
    .iter()
    .any(|w| n.contains(w))
    {
        return false;
    }
    [
        "token",
        "secret",
        "apikey",
        "api_key",
        "accesskey",
        "access_key",
        "password",
        "passwd",
        "authorization",
        "sessionid",
        "session_id",
        "jwt",
        "signature",
        "credential",
        "privatekey",
        "private_key",
        "ticket",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The parts a value is made of when it is a template, a concatenation, an `await`, a
/// conditional or an array (each part may carry what the value carries); `None` otherwise.
fn value_parts<'e, 'a>(e: &'e Expression<'a>) -> Option<Vec<&'e Expression<'a>>> {
    Some(match e {
        Expression::TemplateLiteral(t) => t.expressions.iter().collect(),
        Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
            vec![&b.left, &b.right]
        }
        Expression::AwaitExpression(a) => vec![&a.argument],
        Expression::ConditionalExpression(c) => vec![&c.consequent, &c.alternate],
        Expression::ArrayExpression(a) => a
            .elements
            .iter()
            .filter_map(|x| x.as_expression())
            .collect(),
        _ => return None,
    })
}

/// Whether a merge target that is a database record (or a part of one) takes the merged keys as
/// its columns: the record itself (`Object.assign(account, body)`), its `dataValues`
/// (sequelize) or `_doc` (mongoose) — not a field of it (`Object.assign(config.data, body)`: a
/// JSON column's keys, no column, role or owner among them).
fn merges_into_columns(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    last.ends_with("()") || matches!(last, "dataValues" | "_doc")
}

/// The record types a whole object can be written into: a database call's result.
fn is_record(path: &str) -> bool {
    DB_ROOTS
        .iter()
        .any(|r| path.starts_with(r) && path[r.len()..].starts_with('.'))
        && path.split('.').any(|s| s.ends_with("()"))
}

impl FlowVisitor<'_, '_> {
    /// `Object.assign(record, ctx.request.body)` on a record read from the database.
    pub(super) fn record_assign(&mut self, path: &str, args: &[&Expression<'_>], span: Span) {
        if !matches!(
            path,
            "Object.assign" | "lodash.assign" | "lodash.extend" | "lodash.merge"
        ) {
            return;
        }
        let Some(target) = args.first() else { return };
        let V::Obj(p) = self.eval(target) else {
            return;
        };
        if !is_record(&p) || !merges_into_columns(&p) {
            return;
        }
        let mut v = V::Clean;
        for a in &args[1..] {
            let x = self.eval(a);
            v = join(v, x);
        }
        self.sink(SinkKind::MassAssignment, v, path, span, true);
    }

    /// A redirect or an outbound call whose URL comes from the request and that carries a
    /// token or secret that is not the requester's own data.
    pub(super) fn secret_to_request_url(
        &mut self,
        path: &str,
        args: &[&Expression<'_>],
        span: Span,
    ) {
        let base = match path {
            "ctx.redirect" => Some((SinkKind::Redirect, 0)),
            "ctx.unsafeRedirect" => Some((SinkKind::UnsafeRedirect, 0)),
            _ => {
                let segs = super::segments(path);
                self.models
                    .sinks_for(&segs)
                    .find(|m| m.kind == SinkKind::Ssrf)
                    .map(|m| (SinkKind::Ssrf, m.arg))
            }
        };
        let Some((base, arg)) = base else { return };
        let Some(url) = args.get(arg) else { return };
        let v = self.eval(url);
        if !matches!(v, V::T(_)) {
            return;
        }
        let Some(secret) = args.iter().find_map(|a| self.secret_in(a, 0)) else {
            return;
        };
        // what made the URL safe for the redirect or the call (a fixed origin, an allow list)
        // makes it safe here too
        let v = map_traces(v, |t| {
            if t.sanitized & base.bit() != 0 {
                t.sanitized |= SinkKind::SecretToRequestUrl.bit();
            }
        });
        let v = super::with_step(v, &secret);
        self.sink(SinkKind::SecretToRequestUrl, v, path, span, false);
    }

    /// Is `e` request data (from a request source, not a parameter)?
    fn is_request_data(&mut self, e: &Expression<'_>) -> bool {
        matches!(self.eval(e), V::T(ts) if ts.iter().any(|t| t.origin == Origin::Source))
    }

    /// The first secret-bearing part of an argument: a secret-named local, member or object
    /// key whose value is not request data, or a `jwt.sign(...)` call.
    fn secret_in(&mut self, e: &Expression<'_>, depth: u32) -> Option<Step> {
        if depth > 12 {
            return None;
        }
        let e = e.get_inner_expression();
        if let Some(parts) = value_parts(e) {
            return parts.into_iter().find_map(|x| self.secret_in(x, depth + 1));
        }
        match e {
            Expression::ObjectExpression(o) => {
                for p in &o.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = p else {
                        continue;
                    };
                    let literal = matches!(
                        p.value.get_inner_expression(),
                        Expression::StringLiteral(_)
                            | Expression::NumericLiteral(_)
                            | Expression::BooleanLiteral(_)
                            | Expression::NullLiteral(_)
                    );
                    let key = p.key.static_name().unwrap_or_default();
                    if secret_name(&key) && !literal && !self.is_request_data(&p.value) {
                        return Some(self.step(p.span));
                    }
                    if let Some(s) = self.secret_in(&p.value, depth + 1) {
                        return Some(s);
                    }
                }
                None
            }
            Expression::Identifier(id) => {
                (secret_name(&id.name) && !self.is_request_data(e)).then(|| self.step(id.span))
            }
            Expression::StaticMemberExpression(m) => (secret_name(&m.property.name)
                && !self.is_request_data(e))
            .then(|| self.step(m.span)),
            Expression::CallExpression(c) => {
                let callee = self.canon(&c.callee).unwrap_or_default();
                let last = callee.rsplit('.').next().unwrap_or("");
                if last == "sign" && callee.to_ascii_lowercase().contains("jwt") {
                    return Some(self.step(c.span));
                }
                c.arguments
                    .iter()
                    .filter_map(|a| a.as_expression())
                    .find_map(|x| self.secret_in(x, depth + 1))
            }
            _ => None,
        }
    }

    /// The stored-record field an expression carries, with the sink kinds already cleared.
    fn stored_read(&mut self, e: &Expression<'_>, depth: u32) -> Option<Stored> {
        if depth > 12 {
            return None;
        }
        let e = e.get_inner_expression();
        if let Some(parts) = value_parts(e) {
            return parts
                .into_iter()
                .find_map(|x| self.stored_read(x, depth + 1));
        }
        match e {
            Expression::Identifier(id) => {
                let var = self.var_of_ref(id);
                if let Some(s) = self.stored.get(&var) {
                    return Some(s.clone());
                }
                self.stored_member(e)
            }
            Expression::StaticMemberExpression(_) => self.stored_member(e),
            Expression::CallExpression(c) => {
                let callee = self.canon(&c.callee).unwrap_or_default();
                if matches!(
                    callee.as_str(),
                    "Number" | "parseInt" | "parseFloat" | "Boolean" | "Math.floor" | "Math.round"
                ) || callee.ends_with(".length")
                {
                    return None;
                }
                let segs = super::segments(&callee);
                let cleared = self.models.sanitizer_bits(&segs);
                let mut s = c
                    .arguments
                    .iter()
                    .filter_map(|a| a.as_expression())
                    .find_map(|x| self.stored_read(x, depth + 1))?;
                s.cleared |= cleared;
                Some(s)
            }
            _ => None,
        }
    }

    fn stored_member(&mut self, e: &Expression<'_>) -> Option<Stored> {
        let V::Obj(p) = self.eval(e) else {
            return None;
        };
        let field = stored_field(&p)?.to_string();
        let mut step = self.step(e.span());
        let from = p.split('.').take_while(|s| !s.ends_with("()")).count();
        let source: Vec<&str> = p.split('.').take(from + 1).collect();
        step.what = format!(
            "{} (field `{field}` of a record from {})",
            step.what,
            source.join(".")
        );
        Some(Stored {
            steps: vec![step],
            cleared: 0,
        })
    }

    /// `const file = path.join(dir, user.avatarName)`: the local carries the stored field.
    pub(super) fn remember_stored(
        &mut self,
        id: &BindingPattern<'_>,
        init: &Expression<'_>,
        v: &V,
        step: &Step,
    ) {
        let BindingPattern::BindingIdentifier(id) = id else {
            return;
        };
        let var = self.var_of_binding(id);
        if matches!(v, V::T(_)) {
            self.stored.remove(&var);
            return;
        }
        match self.stored_read(init, 0) {
            Some(mut s) => {
                if s.steps.len() < super::MAX_STEPS && s.steps.last() != Some(step) {
                    s.steps.push(step.clone());
                }
                self.stored.insert(var, s);
            }
            None => {
                self.stored.remove(&var);
            }
        }
    }

    /// A path or shell sink argument that carries a stored field (and no request data).
    pub(super) fn stored_value(
        &mut self,
        kind: SinkKind,
        e: &Expression<'_>,
        path: &str,
        span: Span,
    ) {
        let Some(s) = self.stored_read(e, 0) else {
            return;
        };
        if s.cleared & kind.bit() != 0 {
            return;
        }
        let mut steps = s.steps;
        let sink = self.step(span);
        if steps.last() != Some(&sink) {
            steps.push(sink);
        }
        let flow = Flow {
            kind: SinkKind::StoredValue,
            function: self.frame().name.clone(),
            sink: path.to_string(),
            steps,
            plugin: None,
        };
        if !self.out.flows.contains(&flow) {
            self.out.flows.push(flow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_fields_and_secret_names() {
        assert_eq!(
            stored_field("ctx.model.Project.findOne().repoDir"),
            Some("repoDir")
        );
        assert_eq!(stored_field("app.mysql.get().folder"), Some("folder"));
        // ids, counts and dates are not text an attacker shapes
        assert_eq!(stored_field("app.mysql.get().id"), None);
        assert_eq!(stored_field("ctx.model.User.findOne().userId"), None);
        assert_eq!(stored_field("ctx.model.User.findAll().length"), None);
        // no call: a config value or the model class itself
        assert_eq!(stored_field("app.config.uploadDir"), None);
        assert_eq!(stored_field("ctx.model.User.tableName"), None);
        // not a database: a remote API's response
        assert_eq!(stored_field("ctx.curl().data"), None);
        assert!(secret_name("accessToken") && secret_name("webhookSecret"));
        assert!(secret_name("Authorization") && secret_name("api_key"));
        assert!(!secret_name("tokenType") && !secret_name("callbackUrl"));
        assert!(!secret_name("redirect") && !secret_name("user"));
    }
}
