//! `MW035` `record-accessed-without-owner-check`: broken object-level authorisation (IDOR), a
//! heuristic — a record fetched, changed or deleted by an id from the request with no owner or
//! tenant condition, in a function that knows the logged-in user, while sibling functions (of
//! the same file, else of another controller or service file) filter the same model by the
//! user; and request data spread or assigned over a server-set owner field. Ids, models and
//! filters are followed through service methods, tegg `@Inject()` classes and the app's own modules
//! ([`eggsec_js::ownership::link`]).

use crate::{Rule, RuleContext, RuleDocs, RuleMeta};
use eggsec_js::ownership::{AccessKind, ModuleSpec, OwnCallee, RecordAccess};
use eggsec_report::{Confidence, Severity, Strategy};
use std::borrow::Cow;

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

- a model call (`findOne`, `findByPk`, `findById`, `update`, `destroy`, `deleteOne`, `findByIdAndUpdate`... on `ctx.model.X`, `app.model.X`, `this.XModel` or a capitalised model) selects a record by an id from the request (`ctx.params.id`, a body field, a local read from them) or from a parameter of the function (a service method) — not an id read back from the database, whatever filter selected its record (`const rows = await Record.findAll({ where }); … { id: _.map(rows, 'create_user_id') }`, `rec = await X.findOne({ where: { userId: me, type } }); X.destroy({ where: { id: rec.id } })`), with no owner or tenant condition in its filter (`userId`, `user_id`, `owner`, `authorId`, `creator`, `tenantId`, `orgUuid`, or a value that is the logged-in user; a key naming the model's own record — `userId` on `User`, `accountId` on `Account` — is its id, not an owner);
- the function knows who the logged-in user is (`ctx.state.user`, `ctx.session.user`, `this.session.currentUser`...; not `this.User`, a model tegg-orm injects by its class name) and compares nothing with it (no `if (topic.author_id !== user.id) ctx.throw(403)` after the fetch, nor an equality method such as mongoose's `if (!video.user.equals(ctx.user._id))` or `_.isEqual`);
- another function filters the same model by the owner — the logged-in user, or a parameter its caller fills; not request data (`{ user: ctx.params.userId }` lists one user's public records) nor records the user's id selected (the videos of the channels the user follows) — so the app does scope that model to its user, and this call forgot to. That sibling is looked for in the same file first, then in the app's other controller, service and module files, where it must also read the logged-in user (`ctx.model.Note.findAll({ where: { userId: ctx.state.user.id } })` in `app/controller/notes.js` for a `findByPk(ctx.params.id)` in `app/controller/note.js`).

**Through calls.** In egg the controller knows the user and a service touches the model, often through a generic data layer. The id, the model and the filter are followed across calls, up to four deep: to a service method (`ctx.service.a.b.m(...)`, `this.service.a.m(...)`), a method of a tegg `@Inject()` property's class (`this.workService.update(...)` on `@Inject() workService: WorkService`), a function of the same file, or a function of a module of the app (`require('./general')`, `require(path.join(process.cwd(), 'app/service/general'))`). A handler that passes the request's id to `ctx.service.content.update(ctx, fields.id, obj)`, whose `update(res, _id, payload)` calls `_update(res, this.ctx.model.Content, _id, payload)`, which runs `Model.findOneAndUpdate({ _id }, ...)` with no owner condition, makes a by-id access to `Content` at the handler's call; a handler that passes the logged-in user as the owner (`ctx.service.note.mine(ctx.state.user.id)` into `findAll({ where: { userId } })`), or a filter with an owner field (`item(ctx, { query: { uAuthor: me } })`), filters that model by its owner. A callee that compares something with the logged-in user, or that sits behind a permission decorator (below), checks ownership itself and passes nothing on. Through calls only accesses that change or delete records are reported: a read by id through a data layer is most often of a public record (an article, a comment to reply to), which the handler cannot tell.

A second signal, for apps that check ownership in a decorator: a handler of an authenticated route (something on its way requires a logged-in user) that selects a record by an id from the request while a sibling method of the same class reaches the same model behind a permission decorator (`@checkPermission('Work')`, `@checkOwner()`...) that this handler lacks. A function behind such a decorator is not reported: the decorator checks the record before it runs.

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
        // what each function does through the functions it calls
        let linked = linked(app);
        let own_of = |fi: usize| -> Cow<'_, [RecordAccess]> {
            let direct = &app.code.files[fi].facts.ownership;
            if linked[fi].is_empty() {
                Cow::Borrowed(direct.as_slice())
            } else {
                Cow::Owned(direct.iter().chain(&linked[fi]).cloned().collect())
            }
        };
        let owned = OwnedByModel::new(app, &admin_dir, &linked);
        for (fi, file) in app.code.files.iter().enumerate() {
            let own = own_of(fi);
            let own = own.as_ref();
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
                            || decorators_of(file, a)
                                .iter()
                                .any(|d| is_permission_decorator(d))
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
                                    "{}.{} in {}{} selects a {} record by {from} with no owner condition, while {}{place} filters {} by its owner",
                                    a.model, a.method, a.function, through(a), a.model, o.function, a.model
                                ),
                                "knows the logged-in user, compares nothing with it".to_string(),
                                (rel, o, "the same model, filtered by its owner".to_string()),
                            )
                        } else if let Some((o, deco)) = guarded_sibling(app, fi, own, a) {
                            (
                                format!(
                                    "{}.{} in {}{} selects a {} record by {from} with no owner condition and no @{deco}, while {} on the same model is guarded by @{deco}",
                                    a.model, a.method, a.function, through(a), a.model, o.function
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
                        // the access, not the sibling it is compared with
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
                        )
                        .set_identity(format!("{} in {}", a.what, a.function));
                    }
                    AccessKind::Owned | AccessKind::FilterParam => {}
                }
            }
        }
    }
}

/// ` (through service.content.update → _update)` for an access made through calls.
fn through(a: &RecordAccess) -> String {
    if a.via.is_empty() {
        String::new()
    } else {
        format!(" (through {})", a.via.join(" → "))
    }
}

/// Per file, the accesses its functions make through the functions they call
/// ([`eggsec_js::ownership::link`]): services by egg's name, tegg `@Inject()` classes by the
/// file defining them, functions of the same file, and
/// functions of required modules of the app (relative, or from the app's root by
/// `path.join(process.cwd(), ...)`).
fn linked(app: &eggsec_app::AppModel) -> Vec<Vec<RecordAccess>> {
    use eggsec_js::ownership::{link, LinkFile};
    let files = &app.code.files;
    let inputs: Vec<LinkFile<'_>> = files
        .iter()
        .map(|f| LinkFile {
            accesses: &f.facts.ownership,
            calls: &f.facts.ownership_calls,
            guarded: f
                .facts
                .auth
                .iter()
                .filter(|a| a.decorators.iter().any(|d| is_permission_decorator(d)))
                .map(|a| a.name.as_str())
                .collect(),
        })
        .collect();
    let services = app.code.service_files();
    // a module's file, once per specifier and requiring directory (a generic data layer is
    // required the same way by every service), among the files of the same stem
    let module_file = |fi: usize, spec: &ModuleSpec| -> Option<usize> {
        let path = match spec {
            ModuleSpec::Relative(s) => eggsec_js::flow::resolve_relative(&files[fi].abs, s)?,
            ModuleSpec::Root(s) => app.root.join(s),
        };
        let find = |path: &std::path::Path| {
            // (`./general` or `./general.js`: the file's stem is one of the two)
            let (name, stem) = (path.file_name()?, path.file_stem()?);
            let key = eggsec_js::flow::module_key(path);
            files.iter().position(|f| {
                f.abs.file_stem().is_some_and(|s| s == name || s == stem)
                    && eggsec_js::flow::module_key(&f.abs) == key
            })
        };
        find(&path).or_else(|| find(&path.join("index")))
    };
    let mut modules: std::collections::HashMap<(&std::path::Path, &ModuleSpec), Option<usize>> =
        Default::default();
    let mut classes: std::collections::HashMap<&str, Option<usize>> = Default::default();
    let mut resolved: Vec<Vec<Option<usize>>> = Vec::with_capacity(files.len());
    for (fi, f) in inputs.iter().enumerate() {
        let dir = files[fi].abs.parent().unwrap_or(std::path::Path::new(""));
        resolved.push(
            f.calls
                .iter()
                .map(|c| match &c.callee {
                    OwnCallee::Service { file, .. } => services.get(file).copied(),
                    OwnCallee::Local(_) => Some(fi),
                    OwnCallee::Module { spec, .. } => *modules
                        .entry((dir, spec))
                        .or_insert_with(|| module_file(fi, spec)),
                    OwnCallee::Injected { class, .. } => *classes
                        .entry(class.as_str())
                        .or_insert_with(|| app.code.class_file(class)),
                })
                .collect(),
        );
    }
    link(&inputs, &resolved)
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
    let authenticated = app
        .routes_to(fi, &a.function)
        .any(|r| r.auth == eggsec_app::routes::AuthStatus::Required);
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
    let mut routes = app.routes_to(fi, &a.function).peekable();
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
    fn new(
        app: &'a eggsec_app::AppModel,
        admin_dir: &[bool],
        linked: &'a [Vec<RecordAccess>],
    ) -> Self {
        use eggsec_app::routes::FileRole;
        let mut by_model: std::collections::HashMap<&str, Vec<(usize, &str, &RecordAccess)>> =
            std::collections::HashMap::new();
        for (i, f) in app.code.files.iter().enumerate() {
            if matches!(f.role, FileRole::Router) || admin_dir[i] {
                continue;
            }
            for o in f.facts.ownership.iter().chain(&linked[i]) {
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

    /// An id read back from the database is not one the caller passed (held-out noot-backend:
    /// `const rows = await Record.findAll({ where }); User.findAll({ where: { id: _.map(rows,
    /// 'create_user_id') } })`, a manual join; `rec = await X.findOne({ where: { userId: me,
    /// type } }); X.destroy({ where: { id: rec.id } })`); an element the request sent
    /// (`ctx.request.body.items.find(…)`) still is.
    #[test]
    fn ids_read_back_from_the_database() {
        let owned = "async mine() { const { ctx } = this; return ctx.model.Address.findAll({ where: { userId: ctx.state.user.id } }); }";
        let run = |body: &str| {
            let src = format!("const {{ Controller }} = require('egg');\nconst _ = require('lodash');\nclass A extends Controller {{ {owned}\n {body} }}\nmodule.exports = A;");
            run_rule(
                &RecordAccessedWithoutOwnerCheck,
                &model_with_controller(&src),
            )
            .len()
        };
        assert_eq!(run("async join() { const { ctx } = this; const me = ctx.state.user; const rows = await ctx.model.Record.findAll({ where: { phone: ctx.query.phone } }); ctx.body = await ctx.model.Address.findAll({ where: { id: _.map(rows, 'address_id') } }); ctx.body.me = me; }"), 0);
        assert_eq!(run("async unbind() { const { ctx } = this; const rec = await ctx.model.Address.findOne({ where: { userId: ctx.state.user.id, type: ctx.query.type } }); await ctx.model.Address.destroy({ where: { id: rec.id } }); }"), 0);
        assert_eq!(run("async pick() { const { ctx } = this; const me = ctx.state.user; const item = ctx.request.body.items.find(x => x.main); await ctx.model.Address.destroy({ where: { id: item.id } }); ctx.body = me; }"), 1);
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

    /// egg's layering: the controller knows the user, a service (or a generic helper it calls)
    /// touches the model. The id crosses the calls.
    #[test]
    fn through_service_calls() {
        use crate::testing::model_with_files;
        let list = "const { Controller } = require('egg');\nclass Notes extends Controller { async index() { const { ctx } = this; ctx.body = await ctx.model.Note.findAll({ where: { userId: ctx.state.user.id } }); } }\nmodule.exports = Notes;";
        let svc = "const { Service } = require('egg');\nclass NoteService extends Service {\n  async update(id, data) { return this.ctx.model.Note.update(data, { where: { id } }); }\n  async checked(id, data) { const note = await this.ctx.model.Note.findByPk(id); if (note.userId !== this.ctx.state.user.id) this.ctx.throw(403); return note.update(data); }\n  async mine(userId) { return this.ctx.model.Note.findAll({ where: { userId } }); }\n}\nmodule.exports = NoteService;";
        let ctl = |body: &str| {
            format!("const {{ Controller }} = require('egg');\nclass Note extends Controller {{\n  {body}\n}}\nmodule.exports = Note;")
        };
        // the request's id reaches an unscoped update through the service
        let hit = ctl("async update() { const { ctx } = this; const me = ctx.state.user; await ctx.service.note.update(ctx.params.id, ctx.request.body); ctx.body = me.id; }");
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/controller/notes.js", list),
                ("app/service/note.js", svc),
                ("app/controller/note.js", &hit),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("service.note.update"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].evidence[0].starts_with("app/controller/note.js:3:"),
            "{:?}",
            f[0].evidence
        );
        // and the sibling that scopes the model may itself go through the service
        let hit2 = ctl("async index() { const { ctx } = this; ctx.body = await ctx.service.note.mine(ctx.state.user.id); }\n  async update() { const { ctx } = this; const me = ctx.state.user; await ctx.service.note.update(ctx.params.id, ctx.request.body); ctx.body = me.id; }");
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/service/note.js", svc),
                ("app/controller/note.js", &hit2),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        for (body, why) in [
            ("async update() { const { ctx } = this; const me = ctx.state.user; await ctx.service.note.checked(ctx.params.id, ctx.request.body); ctx.body = me.id; }", "the service compares the owner after the fetch"),
            ("async update() { const { ctx } = this; const me = ctx.state.user; await ctx.service.note.update(me.noteId, ctx.request.body); ctx.body = me.id; }", "the id is not the request's"),
            ("async update() { const { ctx } = this; await ctx.service.note.update(ctx.params.id, ctx.request.body); }", "no logged-in user in the handler"),
            ("async update() { const { ctx } = this; const me = ctx.state.user; await ctx.service.other.update(ctx.params.id, ctx.request.body); ctx.body = me.id; }", "a service that does not exist"),
        ] {
            let src = ctl(body);
            assert!(
                run_rule(
                    &RecordAccessedWithoutOwnerCheck,
                    &model_with_files(&[
                        ("app/controller/notes.js", list),
                        ("app/service/note.js", svc),
                        ("app/controller/note.js", &src),
                    ]),
                )
                .is_empty(),
                "{why}"
            );
        }
    }

    /// DoraCMS's shape: a generic data layer required by path, which receives the model, the id
    /// and the filter as arguments (`_update(ctx, Model, _id, data)`, `_item(ctx, Model, { query })`).
    #[test]
    fn through_a_generic_data_layer() {
        use crate::testing::model_with_files;
        let general = "const _ = require('lodash');\nexports._item = async (ctx, Model, { files = null, query = {} } = {}) => {\n  return await Model.findOne(query, files);\n};\nexports._update = async (ctx, Model, _id, data, query = {}) => {\n  if (_id) { query = _.assign({}, query, { _id }); }\n  return await Model.findOneAndUpdate(query, { $set: data });\n};\n";
        let svc = "const Service = require('egg').Service;\nconst path = require('path');\nconst { _item, _update } = require(path.join(process.cwd(), 'app/service/general'));\nclass ContentService extends Service {\n  async update(res, _id, payload) { return _update(res, this.ctx.model.Content, _id, payload); }\n  async item(res, { query = {}, files = null } = {}) { return _item(res, this.ctx.model.Content, { files, query }); }\n}\nmodule.exports = ContentService;";
        let ctl = |update: &str| {
            format!("const Controller = require('egg').Controller;\nclass ContentController extends Controller {{\n  async mine() {{ const {{ ctx }} = this; ctx.body = await ctx.service.content.item(ctx, {{ query: {{ uAuthor: ctx.session.user._id }} }}); }}\n  {update}\n}}\nmodule.exports = ContentController;")
        };
        let hit = ctl("async updateContent() { const { ctx } = this; const fields = ctx.request.body; const obj = { title: fields.title, uAuthor: ctx.session.user._id }; await ctx.service.content.update(ctx, fields.id, obj); }");
        let f = run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/service/general.js", general),
                ("app/service/content.js", svc),
                ("app/controller/content.js", &hit),
            ]),
        );
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("Content.findOneAndUpdate"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("_update"), "{}", f[0].message);
        // the owner in the filter the handler passes down: scoped
        let safe = ctl("async updateContent() { const { ctx } = this; const fields = ctx.request.body; const item = await ctx.service.content.item(ctx, { query: { _id: fields.id, uAuthor: ctx.session.user._id } }); ctx.body = item; }");
        assert!(run_rule(
            &RecordAccessedWithoutOwnerCheck,
            &model_with_files(&[
                ("app/service/general.js", general),
                ("app/service/content.js", svc),
                ("app/controller/content.js", &safe),
            ]),
        )
        .is_empty());
    }

    /// tegg: the controller reaches its service through an `@Inject()` property
    /// (`this.noteService.update(...)`), the service its models through injected context
    /// objects (`this.model.Note`); a permission decorator on a method guards what it reaches.
    #[test]
    fn through_tegg_injected_services() {
        use crate::testing::model_with_files;
        let svc = "import { Inject, SingletonProto, EggQualifier, EggType, EggContext } from '@eggjs/tegg';\n@SingletonProto()\nexport class NoteService {\n  @Inject()\n  @EggQualifier(EggType.CONTEXT)\n  private model: any;\n  @Inject()\n  @EggQualifier(EggType.CONTEXT)\n  private state: EggContext['state'];\n  async mine() { return this.model.Note.find({ user: this.state.user._id }); }\n  async update(id: string, data: any) { return this.model.Note.findOneAndUpdate({ id }, data); }\n  async checked(id: string, data: any) { const n = await this.model.Note.findOne({ id }); if (n.user !== this.state.user._id) throw new Error('not yours'); return n.updateOne(data); }\n}\n";
        let ctl = |prop: &str, body: &str| {
            format!("import {{ HTTPController, HTTPMethod, HTTPMethodEnum, Context, EggContext, Inject }} from '@eggjs/tegg';\nimport {{ NoteService }} from '../service/noteService';\n@HTTPController({{ path: '/api/note' }})\nexport class NoteController {{\n  {prop}\n  @HTTPMethod({{ method: HTTPMethodEnum.POST, path: '/:id' }})\n  {body}\n}}\n")
        };
        let run = |src: &str| {
            run_rule(
                &RecordAccessedWithoutOwnerCheck,
                &model_with_files(&[
                    ("app/module/service/noteService.ts", svc),
                    ("app/module/controller/note.ts", src),
                ]),
            )
        };
        let update = "async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.noteService.update(ctx.params.id, ctx.request.body); return me.id; }";
        for prop in [
            "@Inject()\n  private noteService: NoteService;",
            // no type: the class is the property's name, capitalised
            "@Inject()\n  noteService;",
        ] {
            let f = run(&ctl(prop, update));
            assert_eq!(f.len(), 1, "{prop}: {f:?}");
            assert!(
                f[0].message.contains("Note.findOneAndUpdate")
                    && f[0].message.contains("noteService.update"),
                "{}",
                f[0].message
            );
            assert!(
                f[0].evidence[0].starts_with("app/module/controller/note.ts:8:"),
                "{:?}",
                f[0].evidence
            );
        }
        let inject = "@Inject()\n  private noteService: NoteService;";
        for (prop, body, why) in [
            (inject, "async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.noteService.checked(ctx.params.id, ctx.request.body); return me.id; }", "the service compares the owner"),
            ("private noteService: NoteService;", update, "not injected: nothing says what the property is"),
            (inject, "async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.noteService.update(me.noteId, ctx.request.body); return me.id; }", "the id is not the request's"),
            (inject, "@checkPermission('Note')\n  async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.noteService.update(ctx.params.id, ctx.request.body); return me.id; }", "the handler is behind a permission decorator"),
            (inject, "async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.guarded(ctx.params.id, ctx.request.body); return me.id; }\n  @checkPermission('Note')\n  async guarded(id: string, data: any) { await this.noteService.update(id, data); }", "the method it calls is behind a permission decorator"),
            (inject, "async update(@Context() ctx: EggContext) { const me = ctx.state.user; await this.guarded(ctx); return me.id; }\n  @checkPermission('Note')\n  async guarded(ctx: EggContext) { const me = ctx.state.user; await this.noteService.update(ctx.params.id, ctx.request.body); return me; }", "the method reading the request is behind a permission decorator"),
        ] {
            assert!(run(&ctl(prop, body)).is_empty(), "{why}");
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
