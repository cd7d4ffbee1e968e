//! Writes keyed by the caller's own identity.
//!
//! egg-mysql's `update` and `delete` (`@eggjs/rds`, `ali-rds`) render a filter key whose value
//! is `undefined` or `null` as `key IS NULL`: `app.mysql.delete('follow', { id, uid })` with
//! `uid` from the session, or from a look-up by the caller's token, reaches no user's row on an
//! anonymous request (checked against real `@eggjs/rds`: the oracle test
//! `identity_keyed_writes_match_no_row_for_an_anonymous_request`). Such a write changes nothing
//! an anonymous request could abuse; an insert, or a filter any key of which the request may
//! choose or replace (a spread, a computed key), still does.
//!
//! The identity may come from the function's caller: a filter keyed by a parameter
//! (`async remove({ id, uid }) { … delete('follow', { uid, follow_id: id }) }`) is kept as a
//! [`ParamRef`], and the app model checks that every caller passes the identity there
//! (`service.follow.remove({ uid, id })` with `uid` the caller's; [`super::AuthFn::scoped_writes`],
//! [`super::AuthFn::identity_args`]).

use super::{ctx_path, is_identity_call, is_identity_path, is_identity_word, AuthVisitor};
use oxc::ast::ast::*;

/// A parameter of a function, as its caller fills it: the `n`-th argument, or key `k` of the
/// `n`-th argument (an object the function destructures: `async remove({ id, uid })`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum ParamRef {
    Arg(u8),
    Key(u8, String),
}

/// What keys a write's filter.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Scope {
    /// The caller's own identity, here (`{ uid: ctx.session.uid }`).
    Caller,
    /// A parameter, any one of these (the caller must pass its identity there).
    Params(Vec<ParamRef>),
}

/// What an object literal bound to a local says as a filter (`const where = { uid }`), as an
/// update's options (`const options = { where: { id } }`), and as an update's row (`{ id, … }`).
#[derive(Clone, Debug, Default)]
pub(super) struct ObjScope {
    own: Option<Scope>,
    where_: Option<Scope>,
    id: Option<Scope>,
}

/// The parameters a function's parameter list binds, by local name.
pub(super) fn param_refs(params: &FormalParameters<'_>, out: &mut Vec<(String, ParamRef)>) {
    for (i, p) in params.items.iter().enumerate().take(8) {
        pattern_refs(&p.pattern, i as u8, out);
    }
}

fn pattern_refs(p: &BindingPattern<'_>, i: u8, out: &mut Vec<(String, ParamRef)>) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push((id.name.to_string(), ParamRef::Arg(i))),
        BindingPattern::AssignmentPattern(a) => pattern_refs(&a.left, i, out),
        BindingPattern::ObjectPattern(o) => keys_of(o, i, out),
        _ => {}
    }
}

/// The locals an object pattern binds from the keys of argument `i` (`{ id, uid: owner }`).
pub(super) fn keys_of(o: &ObjectPattern<'_>, i: u8, out: &mut Vec<(String, ParamRef)>) {
    for prop in &o.properties {
        let Some(k) = prop.key.static_name().filter(|_| !prop.computed) else {
            continue;
        };
        let local = match &prop.value {
            BindingPattern::BindingIdentifier(id) => Some(id),
            BindingPattern::AssignmentPattern(a) => match &a.left {
                BindingPattern::BindingIdentifier(id) => Some(id),
                _ => None,
            },
            _ => None,
        };
        if let Some(id) = local {
            out.push((id.name.to_string(), ParamRef::Key(i, k.to_string())));
        }
    }
}

fn merge(a: Option<Scope>, b: Option<Scope>) -> Option<Scope> {
    match (a, b) {
        (Some(Scope::Caller), _) | (_, Some(Scope::Caller)) => Some(Scope::Caller),
        (Some(Scope::Params(mut x)), Some(Scope::Params(y))) => {
            x.extend(y);
            Some(Scope::Params(x))
        }
        (x, None) | (None, x) => x,
    }
}

/// The properties of an object literal, or `None` when the request may choose any key (a
/// spread, a computed key).
fn plain_props<'o, 'a>(o: &'o ObjectExpression<'a>) -> Option<Vec<&'o ObjectProperty<'a>>> {
    o.properties
        .iter()
        .map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) if !p.computed => Some(&**p),
            _ => None,
        })
        .collect()
}

fn prop<'o, 'a>(props: &[&'o ObjectProperty<'a>], key: &str) -> Option<&'o ObjectProperty<'a>> {
    props
        .iter()
        .rev()
        .find(|p| p.key.static_name().is_some_and(|k| k == key))
        .copied()
}

impl AuthVisitor<'_, '_> {
    /// A value that is the caller's own identity or bound to it: the session's
    /// (`ctx.session.teacherid`: the server sets it), who-the-user-is (`ctx.state.user.id`,
    /// `ctx.user`), a local bound from one or from a look-up by the caller's token
    /// (`const uid = await this.getUserIdByToken(token)`), `parseInt`/`Number`/`String` of one.
    fn caller_bound(&self, e: &Expression<'_>) -> bool {
        let Some(f) = self.frames.last() else {
            return false;
        };
        match e.get_inner_expression() {
            Expression::AwaitExpression(a) => self.caller_bound(&a.argument),
            Expression::Identifier(i) => f.caller_vars.contains(i.name.as_str()),
            // `ctx.session.uid || ctx.request.body.uid` falls back on the request: both sides
            Expression::LogicalExpression(l) => {
                self.caller_bound(&l.left) && self.caller_bound(&l.right)
            }
            Expression::CallExpression(c) => {
                let wraps = matches!(c.callee.get_inner_expression(),
                    Expression::Identifier(i) if matches!(i.name.as_str(), "parseInt" | "Number" | "String"));
                let first = c.arguments.first().and_then(|a| a.as_expression());
                if wraps {
                    return first.is_some_and(|a| self.caller_bound(a));
                }
                // a look-up by the caller's token, a verification (`app.jwt.verify(token, k)`),
                // the credential itself (`ctx.get('authorization')`)
                self.user_lookup(e)
                    || ctx_path(&c.callee).is_some_and(|p| {
                        let first = first.and_then(super::string_lit);
                        is_identity_call(&p, first.as_deref())
                    })
            }
            e @ (Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)) => match ctx_path(e) {
                Some(p) => match p.as_slice() {
                    ["ctx", "session", ..] => true,
                    ["ctx", "state", k, ..] => is_identity_word(k),
                    [local, _, ..] if f.caller_vars.contains(*local) => true,
                    p => is_identity_path(p),
                },
                // a claim of what a call returned: `app.jwt.verify(token, k).id`
                None => match e {
                    Expression::StaticMemberExpression(m) => self.caller_bound(&m.object),
                    _ => false,
                },
            },
            _ => false,
        }
    }

    /// Binds the locals a declaration makes from the caller's identity, from a parameter's
    /// keys, or from an object literal a write may take as its filter or options.
    pub(super) fn note_scope_local(&mut self, id: &BindingPattern<'_>, init: &Expression<'_>) {
        if self.caller_bound(init)
            || ctx_path(init).is_some_and(|p| matches!(p.as_slice(), ["ctx", "session" | "state"]))
        {
            let mut bound = Vec::new();
            super::collect_binding_names(id, &mut bound);
            if let Some(f) = self.frames.last_mut() {
                f.caller_vars.extend(bound);
            }
            return;
        }
        match (id, init.get_inner_expression()) {
            // const { id, uid } = params (a parameter the caller fills)
            (BindingPattern::ObjectPattern(o), Expression::Identifier(src)) => {
                let Some(i) =
                    self.frames
                        .last()
                        .and_then(|f| match f.param_refs.get(src.name.as_str()) {
                            Some(ParamRef::Arg(i)) => Some(*i),
                            _ => None,
                        })
                else {
                    return;
                };
                let mut out = Vec::new();
                keys_of(o, i, &mut out);
                if let Some(f) = self.frames.last_mut() {
                    f.param_refs.extend(out);
                }
            }
            (BindingPattern::BindingIdentifier(name), Expression::ObjectExpression(o)) => {
                let scope = match plain_props(o) {
                    Some(props) => ObjScope {
                        own: self.props_scope(&props),
                        where_: prop(&props, "where").and_then(|p| self.filter_scope(&p.value)),
                        id: prop(&props, "id").and_then(|p| self.value_scope(&p.value)),
                    },
                    None => ObjScope::default(),
                };
                if let Some(f) = self.frames.last_mut() {
                    if f.obj_locals.len() < 64 {
                        f.obj_locals.insert(name.name.to_string(), scope);
                    }
                }
            }
            _ => {}
        }
    }

    /// A local assigned anew (`uid = body.uid`, `where.uid = x`, `Object.assign(where, body)`)
    /// no longer says what it was bound to.
    pub(super) fn forget_local(&mut self, name: &str) {
        if let Some(f) = self.frames.last_mut() {
            f.caller_vars.remove(name);
            f.param_refs.remove(name);
            f.obj_locals.remove(name);
            f.memory_locals.remove(name);
        }
    }

    /// An object passed first to a call (`Object.assign(where, body)`) may be changed by it.
    pub(super) fn forget_object(&mut self, name: &str) {
        if let Some(f) = self.frames.last_mut() {
            f.obj_locals.remove(name);
        }
    }

    fn value_scope(&self, e: &Expression<'_>) -> Option<Scope> {
        if self.caller_bound(e) {
            return Some(Scope::Caller);
        }
        let Expression::Identifier(i) = e.get_inner_expression() else {
            return None;
        };
        let f = self.frames.last()?;
        f.param_refs
            .get(i.name.as_str())
            .map(|r| Scope::Params(vec![r.clone()]))
    }

    fn props_scope(&self, props: &[&ObjectProperty<'_>]) -> Option<Scope> {
        props
            .iter()
            .map(|p| self.value_scope(&p.value))
            .fold(None, merge)
    }

    /// What the object literal bound to a local says ([`ObjScope`]).
    fn obj_local(&self, i: &IdentifierReference<'_>) -> Option<&ObjScope> {
        self.frames.last()?.obj_locals.get(i.name.as_str())
    }

    /// A filter: an object literal, or a local bound to one.
    fn filter_scope(&self, e: &Expression<'_>) -> Option<Scope> {
        match e.get_inner_expression() {
            Expression::ObjectExpression(o) => self.props_scope(&plain_props(o)?),
            Expression::Identifier(i) => self.obj_local(i)?.own.clone(),
            _ => None,
        }
    }

    /// What keys an egg-mysql `update`/`delete` (`<…>.mysql.delete(table, where)`,
    /// `<…>.mysql.update(table, row, { where })`, `<…>.mysql.update(table, { id, … })`).
    pub(super) fn write_scope(&self, it: &CallExpression<'_>, p: &[&str]) -> Option<Scope> {
        let [.., "mysql", m] = p else {
            return None;
        };
        let arg = |n: usize| it.arguments.get(n).and_then(|a| a.as_expression());
        match *m {
            "delete" => self.filter_scope(arg(1)?),
            "update" => match arg(2) {
                Some(opts) => match opts.get_inner_expression() {
                    Expression::ObjectExpression(o) => {
                        let props = plain_props(o)?;
                        match prop(&props, "where") {
                            Some(w) => self.filter_scope(&w.value),
                            None => self.row_id_scope(arg(1)?),
                        }
                    }
                    Expression::Identifier(i) => self.obj_local(i)?.where_.clone(),
                    _ => None,
                },
                None => self.row_id_scope(arg(1)?),
            },
            _ => None,
        }
    }

    /// An update with no `where` keys the row by its `id`.
    fn row_id_scope(&self, row: &Expression<'_>) -> Option<Scope> {
        match row.get_inner_expression() {
            Expression::ObjectExpression(o) => {
                let props = plain_props(o)?;
                self.value_scope(&prop(&props, "id")?.value)
            }
            Expression::Identifier(i) => self.obj_local(i)?.id.clone(),
            _ => None,
        }
    }

    /// The parameters of a callee a call fills with the caller's identity:
    /// `remove(ctx.session.uid)` → argument 0, `remove({ uid, id })` with `uid` the caller's →
    /// key `uid` of argument 0 (an object with a spread or a computed key gives none).
    pub(super) fn identity_args(&self, it: &CallExpression<'_>) -> Vec<ParamRef> {
        let mut out = Vec::new();
        for (i, a) in it.arguments.iter().enumerate().take(8) {
            let Some(e) = a.as_expression() else {
                break;
            };
            if self.caller_bound(e) {
                out.push(ParamRef::Arg(i as u8));
            } else if let Expression::ObjectExpression(o) = e.get_inner_expression() {
                for p in plain_props(o).unwrap_or_default() {
                    if let Some(k) = p.key.static_name() {
                        if self.caller_bound(&p.value) {
                            out.push(ParamRef::Key(i as u8, k.to_string()));
                        }
                    }
                }
            }
        }
        out
    }
}
