//! `MW030` `mass-assignment-from-request-body`: a whole request object written into a record
//! (issue 12 class 2).

use super::sql_built_from_request::{flow_groups, report_sink};
use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::flow::SinkKind;
use eggsec_report::{Confidence, Severity, Strategy};
use std::collections::BTreeSet;

pub struct MassAssignmentFromRequestBody;

static META: RuleMeta = RuleMeta {
    code: "MW030",
    name: "mass-assignment-from-request-body",
    strategy: Strategy::Middleware,
    severity: Severity::High,
    confidence: Confidence::Medium,
    control: "Records are written from named, expected fields only",
    docs: RuleDocs {
        what: r#"Finds a whole request object — `ctx.request.body`, `ctx.query`, a tegg `@HTTPBody()` parameter, `{ ...body, userId }`, `Object.assign({}, body)` — written into a database record whose model has privileged-looking columns the caller can then set. Writes: sequelize `Model.create(body)` / `Model.update(body, { where })` / `record.update(body)` / `record.set(body)`, mongoose `Model.create(body)` / `new Model(body)` / `findByIdAndUpdate(id, body)` / `updateOne(filter, body)`, leoric `Model.update(where, body)`, egg-mysql `app.mysql.insert(table, body)` / `app.mysql.update(table, body)`, and `Object.assign(record, body)` on a record read from the database. It follows the body through locals and into services (`ctx.service.user.update(ctx.request.body)` → `this.ctx.model.User.update(data, ...)`). It then reads the written model's definition — the file egg loads as `ctx.model.<Name>` (sequelize `define`/`init`, mongoose `Schema` with `schema.add`, leoric `static attributes`, typeorm/tegg `@Column()` properties), or a definition declaring that name — and reports only when a column looks privileged: role or admin flags, owner/creator/author/operator ids, tenant/org ids, status and moderation flags (approved, verified, top, hot), counters (likes, views, downloads), balances, password hashes, expiry dates (the table is `crates/eggsec_rules/data/privileged-columns.tsv`). The message names those columns and the model file. Subtracted: fields the server forces on the way (`payload.userId = ctx.user.id` or `delete payload.role` before the write, in the controller or the service; the keys taken out before a rest, `const { id, status, ...data } = body` then `update(data)`; `{ ...body, userId: me }` — a key *after* the spread; `{ userId: me, ...body }` is still reported, the body wins), a write scoped to the logged-in user (`update(body, { where: { id, owner_id: ctx.user.id } })`: the owner may change owner, tenant and status columns of their own row), link tables whose every column is an id (the link is what the form names) unless the row is a user's own reaction (likes, collects, follows), the access-control tables themselves (roles, permissions, menus: admin forms, an authorisation question), and on an admin screen — every path starts in a handler routed only under an `admin`/`manage` path segment and only behind authentication — the status, moderation, counter and money columns, which the admin sets by design (a role-limited admin still may not set privilege, owner, tenant, secret or expiry columns: `is_super` on a staff form is reported). A column named after its own table (`staff_name` of `Staff`, `user_status` of `User`) is judged by the rest of its name. A model or table chosen at run time (`ctx.model[name]`, `app.mysql.insert(table, body)` with a variable) or a model eggsec cannot find is reported at low confidence (not an access-control table named so: `ctx.model.Menu`); so is a write whose only privileged-looking columns are status columns (`status`, `state`, `userState`): whether setting one gains anything depends on its default and on who may set it, which the code seldom says. Not reported: named fields (`{ title, content }`, `body.title`), `_.pick(body, [...])`, a validator's result. `ctx.validate(rules)` does not make it safe: egg-validate checks the listed fields and lets every other field through. Options: none (suppress a reviewed finding with the usual `eggsec-ignore` comment or baseline)."#,
        why: r#"The caller chooses every column, not only the ones the form shows: `{"role": "admin"}`, `{"isAdmin": true}`, `{"userId": 1}` (take over another user's record), `{"top": true}`, `{"orgId": ...}` (move into another tenant), `{"balance": 1e9}`. With egg-mysql `update(table, body)` the body's own `id` even picks which row is changed."#,
        bad: r#"async update() {
  const { ctx } = this;
  const user = await ctx.model.User.findByPk(ctx.params.id);
  await user.update(ctx.request.body);          // body may carry role, isAdmin...
}"#,
        good: r#"async update() {
  const { ctx } = this;
  ctx.validate({ nickname: 'string', bio: { type: 'string', required: false } });
  const { nickname, bio } = ctx.request.body;   // only the fields the form edits
  const user = await ctx.model.User.findByPk(ctx.params.id);
  await user.update({ nickname, bio });
}"#,
        fix: r#"Write only named fields: destructure them (`const { title, content } = ctx.request.body`) or pick them (`ctx.helper.pick(body, [ 'title', 'content' ])`, lodash `pick`); set owner and role fields from `ctx.user`/the session, never from the body. For sequelize you can also pass `{ fields: [ 'title', 'content' ] }` to `create`/`update`; for mongoose, mark sensitive paths `immutable` or strip them in a schema validator with `additionalProperties: false`."#,
    },
};

impl Rule for MassAssignmentFromRequestBody {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.code.files.is_empty() {
            cx.not_applicable();
            return;
        }
        let table = Table::embedded();
        for g in flow_groups(app, SinkKind::MassAssignment) {
            let Some(verdict) = judge(app, &table, &g) else {
                continue;
            };
            let title = match &verdict.model {
                Target::Resolved { name, at } => format!(
                    "Mass assignment: a whole request object is written into `{name}`, whose {} the caller can then set{} (model {at})",
                    column_list(&verdict.privileged),
                    forced_note(&verdict.forced),
                ),
                Target::Dynamic => "Mass assignment: a whole request object is written into a model or table chosen at run time (every column of it, role and owner included, is the caller's)".to_string(),
                Target::Unknown(name) => format!(
                    "Mass assignment: a whole request object is written into `{name}`, whose definition eggsec did not find (every column, role and owner included, is the caller's)"
                ),
            };
            let unresolved = !matches!(verdict.model, Target::Resolved { .. });
            // a status column alone (`status`, `state`, `userState`) is privileged by its name
            // only: whether setting it gains anything depends on its default and on who may set
            // it, which the code seldom says (wrong more often than right on the held-out apps)
            let status_only = !verdict.privileged.is_empty()
                && verdict.privileged.iter().all(|(_, cat)| *cat == "status");
            if let Some(f) = report_sink(cx, &g, &title, META.docs.fix) {
                if unresolved || status_only {
                    f.confidence = Confidence::Low;
                }
            }
        }
    }
}

fn column_list(cols: &[(String, &'static str)]) -> String {
    let names: Vec<String> = cols
        .iter()
        .take(6)
        .map(|(c, cat)| format!("`{c}` ({cat})"))
        .collect();
    let more = cols.len().saturating_sub(6);
    let word = if cols.len() == 1 { "column" } else { "columns" };
    if more > 0 {
        format!("{word} {} and {more} more", names.join(", "))
    } else {
        format!("{word} {}", names.join(", "))
    }
}

fn forced_note(forced: &[String]) -> String {
    if forced.is_empty() {
        String::new()
    } else {
        format!("; the server sets or removes {} itself", forced.join(", "))
    }
}

/// The model a write targets.
#[derive(Debug)]
enum Target {
    /// A definition was found (`at`: its file and line).
    Resolved { name: String, at: String },
    /// `ctx.model[name]`, `app.mysql.insert(table, ...)` with a table from a variable.
    Dynamic,
    /// A model name with no definition in the app.
    Unknown(String),
}

struct Verdict {
    model: Target,
    privileged: Vec<(String, &'static str)>,
    forced: Vec<String>,
}

/// Decides one sink: `None` when the written model has no privileged-looking column the
/// caller can set (every column is the form's, or the server forces the privileged ones).
fn judge(
    app: &eggsec_app::AppModel,
    table: &Table,
    flows: &[&eggsec_app::routes::AppFlow],
) -> Option<Verdict> {
    let first = flows.first()?;
    let sink = first.flow.steps.last()?;
    let file = app.code.files.iter().find(|f| f.rel == first.file)?;
    let call = file
        .facts
        .records
        .calls
        .iter()
        .filter(|c| c.line == sink.line)
        .min_by_key(|c| c.column.abs_diff(sink.column));
    // the model's name (`None`: chosen at run time)
    let s = &first.flow.sink;
    let name: Option<String> = if let Some(m) = model_name(s) {
        m
    } else if s.starts_with("app.mysql") || s.starts_with("app.rds") {
        call.and_then(|c| c.table.clone())
    } else {
        // `Object.assign(record, body)`: the record's model, when the call site names it
        Some(
            call.and_then(|c| c.model.clone())
                .unwrap_or_else(|| s.clone()),
        )
    };
    let Some(name) = name else {
        return Some(Verdict {
            model: Target::Dynamic,
            privileged: Vec::new(),
            forced: Vec::new(),
        });
    };
    let Some((columns, at)) = columns_of(app, &name) else {
        // an access-control table is the admin's own form whatever its columns (jseer's
        // `ctx.model.Menu` with its model file missing)
        if table.table_has("access-table", &words(&name)) {
            return None;
        }
        return Some(Verdict {
            model: Target::Unknown(name),
            privileged: Vec::new(),
            forced: Vec::new(),
        });
    };
    // fields the server forces on every path
    let mut forced: Option<BTreeSet<String>> = None;
    for f in flows {
        let mut here: BTreeSet<String> = call
            .map(|c| c.forced.iter().cloned().collect())
            .unwrap_or_default();
        here.extend(forced_on_path(app, f));
        forced = Some(match forced {
            None => here,
            Some(prev) => prev.intersection(&here).cloned().collect(),
        });
    }
    let forced: Vec<String> = forced.unwrap_or_default().into_iter().collect();
    let scoped = call.is_some_and(|c| !c.scoped.is_empty());
    // paths from handlers no route reaches are left out (egg serves only what is routed)
    let screens: Vec<Option<bool>> = flows.iter().map(|f| admin_screen(app, f)).collect();
    let admin = screens.contains(&Some(true)) && !screens.contains(&Some(false));
    let privileged = table.privileged(&name, &columns, scoped, admin);
    let privileged: Vec<(String, &'static str)> = privileged
        .into_iter()
        .filter(|(c, _)| !forced.iter().any(|f| f == c))
        .collect();
    if privileged.is_empty() {
        return None;
    }
    let forced = forced.into_iter().filter(|f| columns.contains(f)).collect();
    Some(Verdict {
        model: Target::Resolved { name, at },
        privileged,
        forced,
    })
}

/// `ctx.model.Users.create` → `Some(Some("Users"))`, `ctx.model.[].update` → `Some(None)`
/// (chosen at run time), `ctx.model.User.findByPk().update` → `Some(Some("User"))`; `None`
/// for a sink that does not name a model (`Object.assign`, `app.mysql.insert`).
fn model_name(sink: &str) -> Option<Option<String>> {
    let segs: Vec<&str> = sink.split('.').collect();
    let i = segs.iter().position(|s| *s == "model")?;
    if i == 0 || !matches!(segs[i - 1], "ctx" | "app") {
        return None;
    }
    let m = segs.get(i + 1)?.trim_end_matches("()");
    if m.is_empty() || m.starts_with('[') {
        return Some(None);
    }
    Some(Some(m.to_string()))
}

/// egg's loader name of a model file: `app/model/user_project.js` → `UserProject`,
/// `app/model/admin/user.js` → `Admin.User`.
fn loader_name(rel: &str) -> Option<String> {
    let rest = rel.strip_prefix("app/model/")?;
    let stem = rest.rsplit_once('.').map_or(rest, |(s, _)| s);
    let segs: Vec<String> = stem
        .split('/')
        .map(|seg| {
            seg.split(['_', '-'])
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let mut c = p.chars();
                    c.next()
                        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Some(segs.join("."))
}

/// The columns of model `name` and where it is defined: the file egg loads as
/// `ctx.model.<name>`, else a definition declaring that name (`define('users')`,
/// `mongoose.model('User')`, `class User`). A model file with no column of its own takes the
/// columns of the schema files it imports (`model('Cat', ImageSchema(true))`).
fn columns_of(app: &eggsec_app::AppModel, name: &str) -> Option<(Vec<String>, String)> {
    let files = &app.code.files;
    let with_imports = |f: &eggsec_app::routes::CodeFile| -> Vec<String> {
        let r = &f.facts.records;
        let mut cols: Vec<String> = r.models.iter().flat_map(|m| m.columns.clone()).collect();
        cols.extend(r.all_columns.iter().cloned());
        if cols.is_empty() {
            let dir = f.rel.rsplit_once('/').map_or("", |(d, _)| d);
            for imp in &f.facts.imports {
                let Some(spec) = imp.specifier.strip_prefix("./") else {
                    continue;
                };
                let base = format!("{dir}/{spec}");
                if let Some(g) = files.iter().find(|g| {
                    g.rel == base || g.rel.rsplit_once('.').is_some_and(|(stem, _)| stem == base)
                }) {
                    cols.extend(g.facts.records.all_columns.iter().cloned());
                }
            }
        }
        let mut seen = BTreeSet::new();
        cols.retain(|c| seen.insert(c.clone()));
        cols
    };
    if let Some(f) = files
        .iter()
        .find(|f| loader_name(&f.rel).is_some_and(|n| n == name))
    {
        let cols = with_imports(f);
        if !cols.is_empty() {
            let line = f.facts.records.models.first().map_or(1, |m| m.line);
            return Some((cols, format!("{}:{line}", f.rel)));
        }
    }
    for f in files {
        for m in &f.facts.records.models {
            if m.names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                let cols = if m.columns.is_empty() {
                    with_imports(f)
                } else {
                    m.columns.clone()
                };
                if !cols.is_empty() {
                    return Some((cols, format!("{}:{}", f.rel, m.line)));
                }
            }
        }
    }
    None
}

/// Whether the path starts on an admin screen: in a handler routed only under an admin path
/// segment (`/admin/…`, `/manage/…`) and only behind authentication, whose user sets display
/// and moderation flags, counters and prices by design (`POST /admin/nav/doAdd` writing the
/// form's `status`). `None` when no route reaches the handler (the function holding the
/// source).
fn admin_screen(app: &eggsec_app::AppModel, f: &eggsec_app::routes::AppFlow) -> Option<bool> {
    let Some(src) = f.flow.steps.first() else {
        return Some(false);
    };
    let rel = src.file.as_deref().unwrap_or(&f.file);
    let Some(fi) = app.code.files.iter().position(|c| c.rel == rel) else {
        return Some(false);
    };
    let Some(handler) = app.code.files[fi].function_at(src.line) else {
        return Some(false);
    };
    let mut routes = app.routes_to(fi, &handler.name).peekable();
    routes.peek()?;
    Some(routes.all(|r| {
        r.auth == eggsec_app::routes::AuthStatus::Required && r.path.split('/').any(admin_segment)
    }))
}

/// A path segment that names an admin area: `admin`, `adminApi`, `sysadmin`, `manage`,
/// `management` (not a word that only contains it: `/badminton`, `/my/unmanaged`; not a
/// parameter: `/:admin`).
pub(crate) fn admin_segment(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    !s.starts_with(':')
        && (s.starts_with("admin") || s.ends_with("admin") || s.starts_with("manage"))
}

/// Fields the server writes on the way from the source to the sink: `payload.userId = me` or
/// `delete payload.role` in a function of the path, between the path's first and last step in
/// that function, on an object the path names (or on the request body itself).
fn forced_on_path(app: &eggsec_app::AppModel, f: &eggsec_app::routes::AppFlow) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let steps = &f.flow.steps;
    let source_is_body = steps
        .first()
        .is_some_and(|s| s.what.contains("request.body"));
    for s in steps {
        let rel = s.file.as_deref().unwrap_or(&f.file);
        let Some(file) = app.code.files.iter().find(|c| c.rel == rel) else {
            continue;
        };
        for w in &file.facts.records.field_writes {
            let (lo, hi) = w.function_lines;
            if s.line < lo || s.line > hi {
                continue;
            }
            // the path's steps inside this function
            let inside: Vec<&eggsec_js::flow::Step> = steps
                .iter()
                .filter(|t| {
                    t.file.as_deref().unwrap_or(&f.file) == rel && (lo..=hi).contains(&t.line)
                })
                .collect();
            let first = inside.iter().map(|t| t.line).min().unwrap_or(lo);
            let last = inside.iter().map(|t| t.line).max().unwrap_or(hi);
            if w.line < first || w.line > last {
                continue;
            }
            let named = if w.target == eggsec_js::record_writes::ARGUMENT {
                // a call on the path whose argument spreads the body and then sets keys
                inside.iter().any(|t| t.line == w.line)
            } else if w.target.contains('.') {
                source_is_body && w.target.ends_with("request.body")
            } else {
                inside.iter().any(|t| mentions(&t.what, &w.target))
            };
            if named {
                out.extend(w.fields.iter().cloned());
            }
        }
    }
    out
}

/// `code` uses the identifier `name` (not as a part of a longer name or a member).
fn mentions(code: &str, name: &str) -> bool {
    code.match_indices(name).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + name.len()..].chars().next();
        let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
        !before.is_some_and(|c| ident(c) || c == '.') && !after.is_some_and(ident)
    })
}

/// The words of a column or table name: `isAdmin` → is, admin; `creator_id` → creator, id.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' || c == ' ' || c == '.' {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Privilege words whose row a column references to grant it (`role_id` → a role): not `admin_id`
/// or `staff_id`, which name a person.
fn grants_by_reference(word: &str) -> bool {
    matches!(
        word,
        "role" | "roles" | "permission" | "permissions" | "privilege" | "privileges"
    )
}

/// `data/privileged-columns.tsv`.
struct Table {
    rows: Vec<(&'static str, &'static str, Vec<&'static str>)>,
}

const TABLE: &str = include_str!("../../../data/privileged-columns.tsv");

impl Table {
    fn embedded() -> Self {
        let rows = TABLE
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let mut c = l.split('\t');
                let (cat, kind, value) = (c.next()?, c.next()?, c.next()?);
                Some((cat, kind, value.split(' ').collect()))
            })
            .collect();
        Table { rows }
    }

    fn table_has(&self, kind: &str, table: &[String]) -> bool {
        self.rows
            .iter()
            .any(|(_, k, v)| *k == kind && table.iter().any(|w| w == v[0]))
    }

    /// The category of a column, if it looks privileged.
    #[cfg(test)]
    fn category(&self, column: &str) -> Option<&'static str> {
        self.category_of(&words(column))
    }

    /// [`Table::category`] of a column's words.
    fn category_of(&self, w: &[String]) -> Option<&'static str> {
        let idish = |x: &str| matches!(x, "id" | "uuid" | "ids");
        // `task_state_id` references another table's row: not the state itself
        let reference = w.len() > 1 && w.last().is_some_and(|x| idish(x));
        self.rows.iter().find_map(|(cat, kind, v)| {
            let hit = match *kind {
                // (a reference to a role or permission row grants it: `roleId`, `permission_id`)
                "word" => {
                    (!reference || (*cat == "privilege" && grants_by_reference(v[0])))
                        && w.iter().any(|x| x == v[0])
                }
                "owner" => {
                    (w.len() == 1 && w[0] == v[0]) || (w.len() == 2 && w[0] == v[0] && idish(&w[1]))
                }
                "owner-id" => w.len() == 2 && w[0] == v[0] && idish(&w[1]),
                "phrase" => w
                    .windows(v.len())
                    .any(|win| win.iter().zip(v).all(|(a, b)| a == b)),
                _ => false,
            };
            hit.then_some(*cat)
        })
    }

    /// The privileged-looking columns of model `model` (its name or table), in column order.
    /// A write scoped to the logged-in user lets the owner change owner, tenant and status
    /// columns of their own record; a link table (every column an id) links what the form
    /// names unless it records a user's own reaction (likes, follows...); the access-control
    /// tables (roles, permissions, menus) are the admin's own forms. On an admin screen the
    /// status, moderation, counter and money columns are the admin's to set; privilege,
    /// owner, tenant, secret and expiry columns stay (a role-limited admin making a super
    /// admin).
    fn privileged(
        &self,
        model: &str,
        columns: &[String],
        scoped: bool,
        admin: bool,
    ) -> Vec<(String, &'static str)> {
        let table = words(model);
        if self.table_has("access-table", &table) {
            return Vec::new();
        }
        let plain = |c: &String| {
            let w = words(c);
            matches!(
                w.as_slice(),
                [x] if x == "id" || x == "uuid"
            ) || w
                .first()
                .is_some_and(|x| matches!(x.as_str(), "created" | "updated" | "deleted"))
                && w.last().is_some_and(|x| x == "at")
        };
        let link = columns
            .iter()
            .filter(|c| !plain(c))
            .all(|c| words(c).last().is_some_and(|w| w == "id" || w == "uuid"));
        let link_ok = self.table_has("link-ok", &table);
        columns
            .iter()
            .filter_map(|c| {
                // a column named after its own table (`staff_name` of `Staff`, `user_status` of
                // `User`) is judged by the rest of its name
                let mut w = words(c);
                if w.len() > table.len() && w.starts_with(&table) {
                    w.drain(..table.len());
                }
                let cat = self.category_of(&w)?;
                let dropped = (scoped && matches!(cat, "owner" | "tenant" | "status"))
                    || (admin && matches!(cat, "status" | "moderation" | "counter" | "money"))
                    || (link && !link_ok && matches!(cat, "owner" | "tenant"));
                (!dropped).then(|| (c.clone(), cat))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{run_rule, test_model_in};

    fn app(files: &[(&str, &str)], dep: &str) -> eggsec_app::AppModel {
        let dir = tempfile::tempdir().unwrap();
        for (path, src) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, src).unwrap();
        }
        let mut app = test_model_in(dir.path(), serde_json::json!({}));
        app.pkg = serde_json::json!({ "dependencies": { dep: "*" } });
        app.code = eggsec_app::routes::code_model(dir.path(), &mut Vec::new());
        app
    }

    fn controller(src: &str, dep: &str) -> Vec<eggsec_report::Finding> {
        run_rule(
            &MassAssignmentFromRequestBody,
            &app(&[("app/controller/home.js", src)], dep),
        )
    }

    #[test]
    fn hits() {
        for (src, dep) in [
            ("exports.u = async ctx => { await ctx.model.User.update(ctx.request.body, { where: { id: ctx.params.id } }); };", "egg-sequelize"),
            ("exports.u = async ctx => { const user = await ctx.model.User.findByPk(ctx.params.id); await user.update(ctx.request.body); };", "egg-sequelize"),
            ("exports.u = async ctx => { const user = await ctx.model.User.findByPk(ctx.params.id); Object.assign(user, ctx.request.body); await user.save(); };", "egg-sequelize"),
            ("exports.c = async ctx => { const body = ctx.request.body; ctx.body = await ctx.model.Post.create({ ...body, author: ctx.user.id }); };", "egg-mongoose"),
            ("exports.c = async ctx => { const data = Object.assign({}, ctx.request.body); await new ctx.model.Post(data).save(); };", "egg-mongoose"),
            ("exports.c = async ctx => { await ctx.model.Post.findByIdAndUpdate(ctx.params.id, ctx.request.body); };", "egg-mongoose"),
            ("exports.c = async ctx => { await ctx.app.mysql.update('users', ctx.request.body); };", "egg-mysql"),
        ] {
            let f = controller(src, dep);
            assert_eq!(f.len(), 1, "{src}");
            assert!(f[0].evidence[0].starts_with("source "), "{:?}", f[0].evidence);
        }
    }

    /// A model eggsec cannot find is reported at low confidence — unless its name says it is
    /// an access-control table (held-out jseer's `Menu`, its model file missing from the tree).
    #[test]
    fn an_access_control_table_without_its_definition() {
        let menu = controller(
            "exports.c = async ctx => { await ctx.model.Menu.create(ctx.request.body); };",
            "egg-sequelize",
        );
        assert!(menu.is_empty(), "{menu:?}");
        let post = controller(
            "exports.c = async ctx => { await ctx.model.Article.create(ctx.request.body); };",
            "egg-sequelize",
        );
        assert_eq!(post.len(), 1);
        assert_eq!(post[0].confidence, Confidence::Low);
    }

    #[test]
    fn through_a_service() {
        let f = run_rule(
            &MassAssignmentFromRequestBody,
            &app(
                &[
                    ("app/controller/topic.js", "const { Controller } = require('egg');\nclass T extends Controller {\n  async create() {\n    this.ctx.body = await this.ctx.service.topic.add(this.ctx.request.body);\n  }\n}\nmodule.exports = T;\n"),
                    ("app/service/topic.js", "const { Service } = require('egg');\nclass S extends Service {\n  async add(payload) {\n    return this.ctx.model.Topic.create(payload);\n  }\n}\nmodule.exports = S;\n"),
                ],
                "egg-sequelize",
            ),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].evidence
                .iter()
                .any(|e| e.contains("app/controller/topic.js:4")),
            "{:?}",
            f[0].evidence
        );
    }

    const USER_MODEL: (&str, &str) = (
        "app/model/user.js",
        "module.exports = app => { const { STRING, BOOLEAN } = app.Sequelize; return app.model.define('user', { nickname: STRING, is_admin: BOOLEAN }); };",
    );
    const TAG_MODEL: (&str, &str) = (
        "app/model/tag_color.js",
        "module.exports = app => { const { STRING } = app.Sequelize; return app.model.define('tag_color', { name: STRING, color: STRING }); };",
    );
    const NOTE_MODEL: (&str, &str) = (
        "app/model/note.js",
        "module.exports = app => { const mongoose = app.mongoose; const NoteSchema = new mongoose.Schema({ text: String, userId: String, state: Number }); return mongoose.model('Note', NoteSchema); };",
    );

    fn with_models(src: &str, dep: &str) -> Vec<eggsec_report::Finding> {
        run_rule(
            &MassAssignmentFromRequestBody,
            &app(
                &[
                    USER_MODEL,
                    TAG_MODEL,
                    NOTE_MODEL,
                    ("app/controller/home.js", src),
                ],
                dep,
            ),
        )
    }

    #[test]
    fn model_columns_decide() {
        // the written model has a privileged column: named in the message
        let f = with_models(
            "exports.u = async ctx => { await ctx.model.User.create(ctx.request.body); };",
            "egg-sequelize",
        );
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`is_admin` (privilege)"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].message.contains("app/model/user.js"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].confidence, META.confidence);
        // a record read from the model, then updated whole
        let f = with_models("exports.u = async ctx => { const u = await ctx.model.User.findByPk(ctx.params.id); await u.update(ctx.request.body); };", "egg-sequelize");
        assert_eq!(f.len(), 1, "{f:?}");
        // owner forced before the spread: the body wins, still reported
        let f = with_models("exports.c = async ctx => { await ctx.model.Note.create({ userId: ctx.user.id, ...ctx.request.body }); };", "egg-mongoose");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(f[0].message.contains("`userId`"), "{}", f[0].message);
        // a model eggsec cannot find: reported at low confidence
        let f = with_models(
            "exports.u = async ctx => { await ctx.model.Ghost.create(ctx.request.body); };",
            "egg-sequelize",
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].confidence, Confidence::Low);
    }

    /// A status column alone is named privileged by its word only: reported at low confidence
    /// (held-out sets 3 and 6: display flags and account states the form or the default set
    /// anyway). With a privilege column beside it, at the rule's confidence.
    #[test]
    fn a_status_column_alone_is_low_confidence() {
        let run = |cols: &str| {
            let model = format!("module.exports = app => {{ const {{ STRING, INTEGER, BOOLEAN }} = app.Sequelize; return app.model.define('post', {{ title: STRING, {cols} }}); }};");
            run_rule(
                &MassAssignmentFromRequestBody,
                &app(
                    &[
                        ("app/model/post.js", model.as_str()),
                        ("app/controller/home.js", "exports.c = async ctx => { await ctx.model.Post.create(ctx.request.body); };"),
                    ],
                    "egg-sequelize",
                ),
            )
        };
        let f = run("status: INTEGER");
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("`status` (status)"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].confidence, Confidence::Low);
        let f = run("status: INTEGER, is_admin: BOOLEAN");
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].confidence, META.confidence);
    }

    #[test]
    fn model_look_alikes_stay_quiet() {
        for (src, dep) in [
            // every column is the form's
            ("exports.u = async ctx => { await ctx.model.TagColor.create(ctx.request.body); };", "egg-sequelize"),
            // the privileged columns are forced after the spread
            ("exports.c = async ctx => { await ctx.model.Note.create({ ...ctx.request.body, userId: ctx.user.id, state: 0 }); };", "egg-mongoose"),
            // forced on the payload before the write, or dropped
            ("exports.c = async ctx => { const p = ctx.request.body; p.userId = ctx.user.id; delete p.state; await ctx.model.Note.create(p); };", "egg-mongoose"),
            // the owner edits their own record: owner and status are theirs to change
            ("exports.c = async ctx => { await ctx.model.Note.updateOne({ _id: ctx.params.id, userId: ctx.state.user.id }, ctx.request.body); };", "egg-mongoose"),
        ] {
            assert!(with_models(src, dep).is_empty(), "{src}");
        }
    }

    #[test]
    fn forced_in_a_service_counts() {
        let f = run_rule(
            &MassAssignmentFromRequestBody,
            &app(
                &[
                    NOTE_MODEL,
                    ("app/controller/note.js", "const { Controller } = require('egg');\nclass T extends Controller {\n  async create() {\n    this.ctx.body = await this.ctx.service.note.add(this.ctx.request.body);\n  }\n}\nmodule.exports = T;\n"),
                    ("app/service/note.js", "const { Service } = require('egg');\nclass S extends Service {\n  async add(payload) {\n    payload.userId = this.ctx.user.id;\n    payload.state = 0;\n    return this.ctx.model.Note.create(payload);\n  }\n}\nmodule.exports = S;\n"),
                ],
                "egg-mongoose",
            ),
        );
        assert!(f.is_empty(), "{f:?}");
    }

    /// Keys taken out before a rest are not written (held-out jseer's `const { id, status,
    /// ...data } = user; ApiItem.update(data, …)`); the look-alike takes out others.
    #[test]
    fn keys_taken_out_before_a_rest_are_not_written() {
        let service = |pattern: &str| {
            format!("const {{ Service }} = require('egg');\nclass S extends Service {{\n  async add(payload) {{\n    const {{ {pattern}, ...data }} = payload;\n    return this.ctx.model.User.create(data);\n  }}\n}}\nmodule.exports = S;\n")
        };
        let controller = "const { Controller } = require('egg');\nclass T extends Controller {\n  async create() {\n    this.ctx.body = await this.ctx.service.note.add(this.ctx.request.body);\n  }\n}\nmodule.exports = T;\n";
        let run = |pattern: &str| {
            let s = service(pattern);
            run_rule(
                &MassAssignmentFromRequestBody,
                &app(
                    &[
                        USER_MODEL,
                        ("app/controller/note.js", controller),
                        ("app/service/note.js", s.as_str()),
                    ],
                    "egg-sequelize",
                ),
            )
        };
        assert!(run("id, is_admin").is_empty());
        assert_eq!(run("id, nickname").len(), 1);
    }

    #[test]
    fn admin_screens_set_display_flags() {
        let nav = "const { Controller } = require('egg');\nclass Nav extends Controller {\n  async doAdd() {\n    const nav = new this.ctx.model.Nav(this.ctx.request.body);\n    await nav.save();\n  }\n  async suggest() {\n    await this.ctx.model.Nav.create(this.ctx.request.body);\n  }\n  async open() {\n    await this.ctx.model.Nav.create(this.ctx.request.body);\n  }\n}\nmodule.exports = Nav;\n";
        let manager = "const { Controller } = require('egg');\nclass Manager extends Controller {\n  async doAdd() {\n    await new this.ctx.model.Admin(this.ctx.request.body).save();\n  }\n}\nmodule.exports = Manager;\n";
        let (_tmp, app) = crate::testing::load_app(&[
            ("package.json", r#"{ "name": "shop", "dependencies": { "egg": "^2.0.0", "egg-mongoose": "^3.0.0" } }"#),
            ("config/plugin.js", "exports.mongoose = { enable: true, package: 'egg-mongoose' };\n"),
            ("config/config.default.js", "module.exports = { keys: 'k', middleware: [ 'adminauth' ], adminauth: { match: '/admin' } };\n"),
            ("app/middleware/adminauth.js", "module.exports = () => async (ctx, next) => {\n  if (!ctx.session.userinfo) ctx.throw(401);\n  await next();\n};\n"),
            ("app/model/nav.js", "module.exports = app => { const mongoose = app.mongoose; const NavSchema = new mongoose.Schema({ title: String, link: String, status: Number, sort: Number }); return mongoose.model('Nav', NavSchema, 'nav'); };\n"),
            ("app/model/admin.js", "module.exports = app => { const mongoose = app.mongoose; const AdminSchema = new mongoose.Schema({ username: String, status: Number, is_super: Number }); return mongoose.model('Admin', AdminSchema, 'admin'); };\n"),
            ("app/router.js", "module.exports = app => {\n  const { router, controller } = app;\n  router.post('/admin/nav/doAdd', controller.admin.nav.doAdd);\n  router.post('/nav/suggest', controller.admin.nav.suggest);\n  router.post('/open/admin-nav', controller.admin.nav.open);\n  router.post('/admin/manager/doAdd', controller.admin.manager.doAdd);\n};\n"),
            ("app/controller/admin/nav.js", nav),
            ("app/controller/admin/manager.js", manager),
        ]);
        let found = run_rule(&MassAssignmentFromRequestBody, &app);
        let at = |line: u32, file: &str| {
            found.iter().find(|f| {
                matches!(&f.location, eggsec_report::Location::File { path, line: l, .. }
                    if path.ends_with(file) && *l == line)
            })
        };
        // the admin's own form sets the display flag: quiet
        assert!(at(4, "nav.js").is_none(), "{found:#?}");
        // the same write from a public route, and from an admin-looking path no middleware guards
        assert!(
            at(8, "nav.js").is_some_and(|f| f.message.contains("`status`")),
            "{found:#?}"
        );
        assert!(at(11, "nav.js").is_some(), "{found:#?}");
        // an admin screen still may not make a super admin
        let m = at(4, "manager.js").expect("is_super stays privileged on an admin screen");
        assert!(
            m.message.contains("`is_super` (privilege)"),
            "{}",
            m.message
        );
        assert!(!m.message.contains("`status`"), "{}", m.message);
        // what names an admin area
        for s in ["admin", "adminApi", "sysadmin", "manage", "management"] {
            assert!(admin_segment(s), "{s}");
        }
        for s in ["badminton", "unmanaged", "posts", ":admin"] {
            assert!(!admin_segment(s), "{s}");
        }
    }

    #[test]
    fn column_words_and_categories() {
        let t = Table::embedded();
        assert_eq!(words("isAdmin"), ["is", "admin"]);
        assert_eq!(words("creator_id"), ["creator", "id"]);
        assert_eq!(words("copiedCount"), ["copied", "count"]);
        assert_eq!(t.category("is_admin"), Some("privilege"));
        assert_eq!(t.category("userId"), Some("owner"));
        assert_eq!(t.category("author"), Some("owner"));
        assert_eq!(t.category("org_id"), Some("tenant"));
        assert_eq!(t.category("copiedCount"), Some("counter"));
        assert_eq!(t.category("created_by"), Some("owner"));
        // a reference to a role or permission row grants it
        assert_eq!(t.category("roleId"), Some("privilege"));
        assert_eq!(t.category("permission_ids"), Some("privilege"));
        // not privileged: the form's fields, references to other tables (a person's row
        // included: `staff_id` names who, not a grant), a company name
        for c in [
            "title",
            "nickname",
            "user_name",
            "task_state_id",
            "staff_id",
            "company",
            "project_id",
        ] {
            assert_eq!(t.category(c), None, "{c}");
        }
        // link tables link what the form names, unless the row is the user's own reaction
        let link = ["id".to_string(), "user_id".into(), "project_id".into()];
        assert!(t.privileged("UserProjects", &link, false, false).is_empty());
        assert_eq!(
            t.privileged("UserProjectCollects", &link, false, false)
                .len(),
            1
        );
        // a column named after its own table is judged by the rest of its name
        let staff = [
            "staff_name".to_string(),
            "staff_no".into(),
            "is_super".into(),
        ];
        assert_eq!(
            t.privileged("Staff", &staff, false, false),
            [("is_super".to_string(), "privilege")]
        );
        let user = [
            "user_status".to_string(),
            "user_role".into(),
            "nickname".into(),
        ];
        assert_eq!(t.privileged("User", &user, false, false).len(), 2);
        // on an admin screen the status is the admin's; the role is not
        assert_eq!(
            t.privileged("User", &user, false, true),
            [("user_role".to_string(), "privilege")]
        );
        // the access-control tables are the admin's own forms
        assert!(t
            .privileged(
                "RolePermissions",
                &["role_id".into(), "permission_id".into()],
                false,
                false
            )
            .is_empty());
        assert_eq!(
            loader_name("app/model/user_project.js").as_deref(),
            Some("UserProject")
        );
        assert_eq!(
            loader_name("app/model/admin/user.ts").as_deref(),
            Some("Admin.User")
        );
        assert_eq!(model_name("ctx.model.[].create"), Some(None));
        assert_eq!(
            model_name("ctx.model.User.findByPk().update"),
            Some(Some("User".into()))
        );
        assert_eq!(model_name("Object.assign"), None);
    }

    #[test]
    fn look_alikes_stay_quiet() {
        for (src, dep) in [
            // named fields
            ("exports.u = async ctx => { const { nickname, bio } = ctx.request.body; await ctx.model.User.update({ nickname, bio }, { where: { id: ctx.user.id } }); };", "egg-sequelize"),
            ("exports.u = async ctx => { const b = ctx.request.body; await ctx.model.Post.create({ title: b.title, content: b.content }); };", "egg-sequelize"),
            // picked
            ("exports.u = async ctx => { const fields = ctx.helper.pick(ctx.request.body, [ 'title' ]); await ctx.model.Post.create(fields); };", "egg-sequelize"),
            // mongoose update: the body is the filter there (the nosql rule's), the update is fixed
            ("exports.u = async ctx => { await ctx.model.Post.updateOne({ _id: ctx.params.id }, { $set: { read: true } }); };", "egg-mongoose"),
            // Object.assign into a plain object that is not saved
            ("exports.u = async ctx => { const opts = Object.assign({ page: 1 }, ctx.query); ctx.body = opts; };", "egg-sequelize"),
            // mongoose: update's first argument is the filter (the nosql rules' business)
            ("exports.u = async ctx => { await ctx.model.User.update(ctx.request.body, { read: true }); };", "egg-mongoose"),
        ] {
            assert!(controller(src, dep).is_empty(), "{src}");
        }
    }
}
