//! `MW035` `record-accessed-without-owner-check`: broken object-level authorisation (IDOR), a
//! heuristic — a record fetched, changed or deleted by an id from the request with no owner or
//! tenant condition, in a function that knows the logged-in user, while sibling functions (of
//! the same file, else of another controller or service file) filter the same model by the
//! user; and request data spread or assigned over a server-set owner field.

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ownership::{AccessKind, RecordAccess};
use eggsec_report::{Confidence, Severity, Strategy};

pub struct RecordAccessedWithoutOwnerCheck;

static META: RuleMeta = RuleMeta {
    code: "MW035",
    name: "record-accessed-without-owner-check",
    strategy: Strategy::Middleware,
    severity: Severity::Medium,
    confidence: Confidence::Medium,
    control: "Records are fetched, changed and deleted only within the logged-in user's scope",
    docs: RuleDocs {
        what: r#"A heuristic for broken object-level authorisation (IDOR):

- a model call (`findOne`, `findByPk`, `findById`, `update`, `destroy`, `deleteOne`, `findByIdAndUpdate`... on `ctx.model.X`, `app.model.X`, `this.XModel` or a capitalised model) selects a record by an id from the request (`ctx.params.id`, a body field, a local read from them) or from a parameter of the function (a service method), with no owner or tenant condition in its filter (`userId`, `user_id`, `owner`, `authorId`, `creator`, `tenantId`, `orgUuid`, or a value that is the logged-in user);
- the function knows who the logged-in user is (`ctx.state.user`, `ctx.session.user`, `this.session.currentUser`...) and compares nothing with it (no `if (topic.author_id !== user.id) ctx.throw(403)` after the fetch);
- another function filters the same model by the owner — so the app does scope that model to its user, and this call forgot to. That sibling is looked for in the same file first, then in the app's other controller, service and module files, where it must also read the logged-in user (`ctx.model.Note.findAll({ where: { userId: ctx.state.user.id } })` in `app/controller/notes.js` for a `findByPk(ctx.params.id)` in `app/controller/note.js`).

A second signal, for apps that check ownership in a decorator: a handler of an authenticated route (something on its way requires a logged-in user) that selects a record by an id from the request while a sibling method of the same class reaches the same model behind a permission decorator (`@checkPermission('Work')`, `@checkOwner()`...) that this handler lacks.

Functions named for administration (`admin*`, `manage*`), files under an `admin`/`manage` directory, handlers routed only under such a path (`/admin/notes/:id`) and callbacks are left out: they serve other users' records by design. Also reported: request data spread or assigned *over* an object that already carries a server-set owner field — `{ orgUuid, ...ctx.query }`, `Object.assign(where, ctx.query)` after `where.userId = ...` — where the request then picks the tenant.

Confidence is medium: whether a record is private is a fact about the app, which the code does not say."#,
        why: r#"When the only thing that selects a record is an id the client sends, any logged-in user can read, change or delete anybody's record by changing the id (OWASP API1:2023, broken object level authorization). It is the most common serious bug in real APIs and no framework prevents it."#,
        bad: r#"// app/service/address.js
async update(id, data) {
  const { id: userId } = this.ctx.session.currentUser;
  return this.ctx.model.Address.update(data, { where: { id } }); // anybody's address
}
async remove(id) {
  const { id: userId } = this.ctx.session.currentUser;
  return this.ctx.model.Address.destroy({ where: { id, userId } });
}"#,
        good: r#"async update(id, data) {
  const { id: userId } = this.ctx.session.currentUser;
  return this.ctx.model.Address.update(data, { where: { id, userId } });
}"#,
        fix: r#"Put the owner in the query (`where: { id, userId: ctx.state.user.id }`), or check it after the fetch (`if (record.userId !== ctx.state.user.id) ctx.throw(403)`); set server-side owner fields after any request data (`{ ...ctx.query, orgUuid }`, never `{ orgUuid, ...ctx.query }`). For a record that is public by design, suppress the finding with a reason."#,
    },
};

/// Admin screens and provider callbacks serve other users' records by design.
fn exempt_function(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["admin", "manage", "callback", "notify", "webhook"]
        .iter()
        .any(|w| n.contains(w))
}

impl Rule for RecordAccessedWithoutOwnerCheck {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, cx: &mut RuleContext<'_>) {
        let app = cx.app;
        if app.code.files.is_empty() {
            cx.not_applicable();
            return;
        }
        let fix = META.docs.fix;
        // once per run, not once per access: which files live under an admin directory, and
        // per model the first owner-filtered access of every other eligible file
        let admin_dir: Vec<bool> = app
            .code
            .files
            .iter()
            .map(|f| f.rel.split('/').skip(1).any(is_admin_word))
            .collect();
        let owned = OwnedByModel::new(app, &admin_dir);
        for (fi, file) in app.code.files.iter().enumerate() {
            let own = &file.facts.ownership;
            for a in own {
                let prov = eggsec_js::Provenance::new(
                    file.abs.to_string_lossy().into_owned(),
                    a.line,
                    a.column,
                );
                match a.kind {
                    AccessKind::OwnerOverridden => {
                        cx.report(
                            &prov,
                            format!(
                                "Request data overrides a server-set owner field in {} (`{}`): the request picks whose records it reaches",
                                a.function, a.what
                            ),
                            vec![format!("{}:{}: {}", file.rel, a.line, a.what)],
                            fix,
                        );
                    }
                    AccessKind::ById(src) => {
                        if a.compares_user
                            || exempt_function(&a.function)
                            || admin_place(app, fi, admin_dir[fi], a)
                        {
                            continue;
                        }
                        let from = match src {
                            eggsec_js::ownership::IdSource::Request => "an id from the request",
                            eggsec_js::ownership::IdSource::Param => {
                                "an id passed in by the caller"
                            }
                        };
                        let owned = owned_sibling(own, a)
                            .map(|o| (file.rel.as_str(), o))
                            .or_else(|| owned.elsewhere(fi, a))
                            .filter(|_| a.knows_user);
                        let (message, mine, theirs) = if let Some((rel, o)) = owned {
                            let place = if rel == file.rel {
                                String::new()
                            } else {
                                format!(" ({rel})")
                            };
                            (
                                format!(
                                    "{}.{} in {} selects a {} record by {from} with no owner condition, while {}{place} filters {} by its owner",
                                    a.model, a.method, a.function, a.model, o.function, a.model
                                ),
                                "knows the logged-in user, compares nothing with it".to_string(),
                                (rel, o, "the same model, filtered by its owner".to_string()),
                            )
                        } else if let Some((o, deco)) = guarded_sibling(app, fi, own, a) {
                            (
                                format!(
                                    "{}.{} in {} selects a {} record by {from} with no owner condition and no @{deco}, while {} on the same model is guarded by @{deco}",
                                    a.model, a.method, a.function, a.model, o.function
                                ),
                                "an authenticated route: any logged-in user reaches any record"
                                    .to_string(),
                                (
                                    file.rel.as_str(),
                                    o,
                                    format!("the same model, behind @{deco}"),
                                ),
                            )
                        } else {
                            continue;
                        };
                        cx.report(
                            &prov,
                            message,
                            vec![
                                format!("{}:{}: {} ({mine})", file.rel, a.line, a.what),
                                format!(
                                    "{}:{}: {} ({})",
                                    theirs.0, theirs.1.line, theirs.1.what, theirs.2
                                ),
                            ],
                            fix,
                        );
                    }
                    AccessKind::Owned => {}
                }
            }
        }
    }
}

/// A decorator that checks a permission on the record (`@checkPremission('Work')`,
/// `@checkOwner()`, `@Ability(...)`), by its name.
fn is_permission_decorator(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "perm", "prem", "owner", "access", "acl", "role", "policy", "ability", "casl",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The decorators on the function `a` was found in.
fn decorators_of<'f>(file: &'f eggsec_app::routes::CodeFile, a: &RecordAccess) -> &'f [String] {
    file.facts
        .auth
        .iter()
        .find(|f| f.name == a.function && f.class == a.class)
        .map(|f| f.decorators.as_slice())
        .unwrap_or(&[])
}

/// For a handler of an authenticated route (something on its way requires a logged-in user):
/// a sibling method of the same class that reaches the same model by id behind a
/// permission decorator this one lacks.
fn guarded_sibling<'a>(
    app: &eggsec_app::AppModel,
    fi: usize,
    own: &'a [RecordAccess],
    a: &RecordAccess,
) -> Option<(&'a RecordAccess, String)> {
    let file = &app.code.files[fi];
    let authenticated = app.routes.iter().any(|r| {
        r.handler_file == Some(fi)
            && r.handler_function.as_deref() == Some(a.function.as_str())
            && r.auth == eggsec_app::routes::AuthStatus::Required
    });
    if !authenticated || a.class.is_none() {
        return None;
    }
    let mine = decorators_of(file, a);
    own.iter().find_map(|o| {
        if o.model != a.model || o.function == a.function || o.class != a.class {
            return None;
        }
        decorators_of(file, o)
            .iter()
            .find(|d| is_permission_decorator(d) && !mine.contains(d))
            .map(|d| (o, d.clone()))
    })
}

/// An admin screen by where it lives: a file under an `admin`/`manage` directory or named so
/// (`app/controller/admin/note.js`), or a handler routed only under such a path segment
/// (`/admin/notes/:id`).
fn admin_place(
    app: &eggsec_app::AppModel,
    fi: usize,
    in_admin_dir: bool,
    a: &RecordAccess,
) -> bool {
    if in_admin_dir {
        return true;
    }
    let mut routes = app
        .routes
        .iter()
        .filter(|r| {
            r.handler_file == Some(fi) && r.handler_function.as_deref() == Some(a.function.as_str())
        })
        .peekable();
    routes.peek().is_some() && routes.all(|r| r.path.split('/').any(is_admin_word))
}

/// A path segment naming an admin screen.
fn is_admin_word(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    s.contains("admin") || s.contains("manage")
}

/// Functions of other controller or service files that filter a model by the logged-in
/// user's id (they read the user, and their filter has an owner condition): the app scopes
/// that model to its user elsewhere. Per model, the first such access of every file that is
/// not a router nor under an admin directory, in file order.
struct OwnedByModel<'a> {
    by_model: std::collections::HashMap<&'a str, Vec<(usize, &'a str, &'a RecordAccess)>>,
}

impl<'a> OwnedByModel<'a> {
    fn new(app: &'a eggsec_app::AppModel, admin_dir: &[bool]) -> Self {
        use eggsec_app::routes::FileRole;
        let mut by_model: std::collections::HashMap<&str, Vec<(usize, &str, &RecordAccess)>> =
            std::collections::HashMap::new();
        for (i, f) in app.code.files.iter().enumerate() {
            if matches!(f.role, FileRole::Router) || admin_dir[i] {
                continue;
            }
            for o in &f.facts.ownership {
                if o.kind == AccessKind::Owned && o.knows_user {
                    let list = by_model.entry(o.model.as_str()).or_default();
                    if list.last().is_none_or(|(j, _, _)| *j != i) {
                        list.push((i, f.rel.as_str(), o));
                    }
                }
            }
        }
        OwnedByModel { by_model }
    }

    /// The first file other than `fi` that filters `a`'s model by its owner.
    fn elsewhere(&self, fi: usize, a: &RecordAccess) -> Option<(&'a str, &'a RecordAccess)> {
        self.by_model
            .get(a.model.as_str())?
            .iter()
            .find(|(i, _, _)| *i != fi)
            .map(|&(_, rel, o)| (rel, o))
    }
}

/// Another function of the file that filters the same model by its owner.
fn owned_sibling<'a>(own: &'a [RecordAccess], a: &RecordAccess) -> Option<&'a RecordAccess> {
    own.iter().find(|o| {
        o.kind == AccessKind::Owned
            && o.model == a.model
            && (o.function != a.function || o.class != a.class)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_with_controller, run_rule};

    #[test]
    fn hit_and_look_alikes() {
        let owned = "async mine() { const { ctx } = this; return ctx.model.Address.findAll({ where: { userId: ctx.state.user.id } }); }";
        let hit = format!("const {{ Controller }} = require('egg');\nclass A extends Controller {{ {owned}\n async remove() {{ const {{ ctx }} = this; const user = ctx.state.user; await ctx.model.Address.destroy({{ where: {{ id: ctx.params.id }} }}); ctx.body = user.id; }} }}\nmodule.exports = A;");
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_controller(&hit),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        for body in [
            // owner in the filter
            "async remove() { const { ctx } = this; await ctx.model.Address.destroy({ where: { id: ctx.params.id, userId: ctx.state.user.id } }); }",
            // ownership checked after the fetch
            "async remove() { const { ctx } = this; const a = await ctx.model.Address.findByPk(ctx.params.id); if (a.userId !== ctx.state.user.id) ctx.throw(403); await a.destroy(); }",
            // an admin screen
            "async adminRemove() { const { ctx } = this; const me = ctx.state.user; await ctx.model.Address.destroy({ where: { id: ctx.params.id } }); ctx.body = me; }",
            // no logged-in user in the function
            "async remove() { const { ctx } = this; await ctx.model.Address.destroy({ where: { id: ctx.params.id } }); }",
        ] {
            let src = format!("const {{ Controller }} = require('egg');\nclass A extends Controller {{ {owned}\n {body} }}\nmodule.exports = A;");
            assert!(
                run_rule(&RecordAccessedWithoutOwnerCheck, &model_with_controller(&src)).is_empty(),
                "{body}"
            );
        }
        // no sibling scopes the model: nothing to compare with
        let alone = "const { Controller } = require('egg');\nclass A extends Controller { async remove() { const { ctx } = this; const user = ctx.state.user; await ctx.model.Address.destroy({ where: { id: ctx.params.id } }); ctx.body = user; } }\nmodule.exports = A;";
        assert!(run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_controller(alone)
        )
        .is_empty());
    }

    #[test]
    fn sibling_in_another_file() {
        use crate::testing::model_with_files;
        let list = "const { Controller } = require('egg');\nclass Notes extends Controller { async index() { const { ctx } = this; ctx.body = await ctx.model.Note.findAll({ where: { userId: ctx.state.user.id } }); } }\nmodule.exports = Notes;";
        let show = "const { Controller } = require('egg');\nclass Note extends Controller { async show() { const { ctx } = this; const note = await ctx.model.Note.findByPk(ctx.params.id); ctx.body = { note, me: ctx.state.user.name }; } }\nmodule.exports = Note;";
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/controller/notes.js", list),
                ("app/controller/note.js", show),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("(app/controller/notes.js)"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].evidence[1].starts_with("app/controller/notes.js:2:"),
            "{:?}",
            f[0].evidence
        );
        // the same model in a service that scopes it by the user
        let svc = "const { Service } = require('egg');\nclass N extends Service { async mine() { return this.ctx.model.Note.findAll({ where: { user_id: this.ctx.session.user.id } }); } }\nmodule.exports = N;";
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/service/note.js", svc),
                ("app/controller/note.js", show),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        for (files, why) in [
            (
                vec![
                    ("app/controller/notes.js", list),
                    ("app/controller/admin/note.js", show),
                ],
                "an admin controller",
            ),
            (
                vec![
                    // filtered by an owner key, but not by the logged-in user
                    ("app/controller/notes.js", "exports.byUser = async ctx => { ctx.body = await ctx.model.Note.findAll({ where: { userId: ctx.query.userId } }); };"),
                    ("app/controller/note.js", show),
                ],
                "the sibling does not read the logged-in user",
            ),
            (
                vec![
                    ("app/controller/notes.js", list),
                    ("app/controller/note.js", "const { Controller } = require('egg');\nclass Note extends Controller { async show() { const { ctx } = this; const note = await ctx.model.Note.findByPk(ctx.params.id); if (note.userId !== ctx.state.user.id) ctx.throw(403); ctx.body = note; } }\nmodule.exports = Note;"),
                ],
                "checked after the fetch",
            ),
            (
                vec![
                    ("app/controller/notes.js", list),
                    ("app/controller/tag.js", "const { Controller } = require('egg');\nclass Tag extends Controller { async show() { const { ctx } = this; ctx.body = { tag: await ctx.model.Tag.findByPk(ctx.params.id), me: ctx.state.user.id }; } }\nmodule.exports = Tag;"),
                ],
                "a model nobody scopes",
            ),
        ] {
            assert!(
                run_rule(&RecordAccessedWithoutOwnerCheck, &model_with_files(&files)).is_empty(),
                "{why}"
            );
        }
    }

    #[test]
    fn owner_field_overridden() {
        let hit = "exports.list = async ctx => { const orgUuid = ctx.state.user.orgUuid; ctx.body = await ctx.model.App.findAll({ where: { orgUuid, ...ctx.query } }); };";
        assert_eq!(
            run_rule(
                &RecordAccessedWithoutOwnerCheck,
                &model_with_controller(hit)
            )
            .len(),
            1
        );
        let safe = "exports.list = async ctx => { const orgUuid = ctx.state.user.orgUuid; ctx.body = await ctx.model.App.findAll({ where: { ...ctx.query, orgUuid } }); };";
        assert!(run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_controller(safe)
        )
        .is_empty());
    }
}
