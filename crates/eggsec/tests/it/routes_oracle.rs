//! The route table against real egg: every oracle fixture that has an `app/router.*` is booted
//! under real egg (tests/oracle/dump.js dumps `app.router.stack`) and eggsec's static routes
//! must be the same multiset of (method, path, name, number of route middleware, number of
//! `router.use` layers that run before it).
//!
//! `router.use([path], ...mw)` adds one layer per middleware with no methods; koa-router runs
//! the matching ones in stack order, so a route gets those registered before it whose path is
//! `(.*)` (no path given) or a prefix of the route's path (`end: false`).
//!
//! egg's layers are normalised the way `eggsec routes` prints them: `HEAD` added to `GET` is
//! dropped, a layer with `PATCH,PUT` is two routes, `router.all`/`redirect` (every Node method)
//! is `ALL`, a RegExp path is `/source/flags`, and `wrappedController` is not middleware.
//! midway v1's `@controller` routers (dump.js `framework_routes`) count as the stack's.
//! egg-router-plus namespace routes are mounted apart and are not in `app.router.stack`
//! (egg-semantics §5.5): eggsec's routes with a `namespace` are checked to be absent from the
//! stack, and every other route must be in it.

use crate::oracle_support::{fixtures, oracle_dir, repo_root, run_dump, stage, EnvSpec};
use eggsec_app::LoadOptions;
use serde_json::Value as J;

pub(crate) type Key = (String, String, Option<String>, usize, usize);

/// Does a `router.use` layer's path (`end: false`) match every request to the route path?
fn use_prefix_matches(prefix: &str, path: &str) -> bool {
    if prefix == "(.*)" {
        return true;
    }
    let pat: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    pat.len() <= segs.len()
        && pat
            .iter()
            .zip(&segs)
            .all(|(a, b)| a.starts_with(':') || a.eq_ignore_ascii_case(b))
}

pub(crate) fn egg_routes(dump: &J) -> Vec<Key> {
    let mut out = Vec::new();
    let mut uses: Vec<String> = Vec::new();
    for layer in dump["routes"].as_array().into_iter().flatten() {
        let path = match &layer["path"] {
            J::String(s) => s.clone(),
            J::Object(o) => o
                .get("$regex")
                .and_then(|r| r.as_str())
                .unwrap_or("?")
                .to_string(),
            other => other.to_string(),
        };
        let name = layer["name"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let mw = layer["stack"]
            .as_array()
            .map_or(0, |s| s.len().saturating_sub(1));
        let methods: Vec<&str> = layer["methods"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m.as_str())
            .collect();
        if methods.is_empty() {
            uses.push(path);
            continue;
        }
        let used = uses.iter().filter(|u| use_prefix_matches(u, &path)).count();
        if methods.len() > 10 {
            out.push(("ALL".to_string(), path, name, mw, used));
            continue;
        }
        for m in methods
            .iter()
            .filter(|m| **m != "HEAD" || methods.len() == 1)
        {
            out.push((m.to_string(), path.clone(), name.clone(), mw, used));
        }
    }
    out.sort();
    out
}

/// eggsec's routes keyed as [`egg_routes`] keys real egg's (namespace and tegg routes, which
/// are not in `app.router.stack`, left out).
fn eggsec_routes(model: &eggsec_app::AppModel) -> Vec<Key> {
    let mut got: Vec<Key> = model
        .routes
        .iter()
        .filter(|r| r.namespace.is_none() && !r.tegg)
        .map(|r| {
            use eggsec_app::routes::MiddlewareScope;
            let count =
                |scope: MiddlewareScope| r.middleware.iter().filter(|m| m.scope == scope).count();
            (
                r.method.clone(),
                r.path.clone(),
                r.name.clone(),
                count(MiddlewareScope::Route) + count(MiddlewareScope::Namespace),
                count(MiddlewareScope::Router),
            )
        })
        .collect();
    got.sort();
    got
}

#[test]
fn routes_agree_with_real_egg() {
    let root = repo_root();
    let apps = fixtures(&root).unwrap_or_else(|e| panic!("{e}"));
    let mut compared = 0;
    let mut routes_total = 0;
    let mut errors = Vec::new();
    for app in apps.iter().filter(|a| {
        a.manifest.routes
            || ["router.js", "router.ts"]
                .iter()
                .any(|f| a.dir.join("app").join(f).is_file())
    }) {
        let oracle = oracle_dir(&root, &app.manifest.egg).unwrap_or_else(|e| panic!("{e}"));
        let Some(spec) = app.manifest.envs.first().map(|s| EnvSpec::parse(s)) else {
            continue;
        };
        let staged = stage(&app.dir, &oracle.join("node_modules"))
            .unwrap_or_else(|e| panic!("{}: {e}", app.name));
        let dump = match run_dump(&root, &oracle, &staged, &spec) {
            Ok(d) => d,
            Err(e) => {
                errors.push(format!("{}: {e}", app.name));
                continue;
            }
        };
        let opts = LoadOptions {
            env: spec.env.clone(),
            scope: spec.scope.clone(),
            embedded_defaults_only: false,
        };
        let model =
            eggsec_app::load(&staged.root, &opts).unwrap_or_else(|e| panic!("{}: {e}", app.name));
        // midway v1: one router per `@controller(prefix)`, mounted apart from app.router
        let framework = serde_json::json!({"routes": dump["framework_routes"]});
        let mut want = egg_routes(&dump);
        want.extend(egg_routes(&framework));
        want.sort();
        let got = eggsec_routes(&model);
        if got != want {
            errors.push(format!(
                "{}: routes differ\n  egg:    {want:?}\n  eggsec: {got:?}",
                app.name
            ));
        }
        for r in model.routes.iter().filter(|r| r.namespace.is_some()) {
            if want.iter().any(|w| w.0 == r.method && w.1 == r.path) {
                errors.push(format!(
                    "{}: namespace route {} {} is in app.router.stack",
                    app.name, r.method, r.path
                ));
            }
        }
        compared += 1;
        routes_total += want.len();
    }
    assert!(
        compared >= 3,
        "expected at least 3 oracle apps with routes, got {compared}"
    );
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    eprintln!("routes oracle: {compared} apps, {routes_total} egg routes, all matched");
}

/// `eggsec routes --format json` follows the contract and marks namespace routes.
#[test]
fn routes_command_json_contract() {
    let root = repo_root();
    let out = assert_cmd::Command::cargo_bin("eggsec")
        .unwrap()
        .args(["routes", "--embedded-defaults", "--format", "json"])
        .arg(root.join("tests/fixtures/code-routes-split"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Vec<J> = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "method",
        "path",
        "handler",
        "file",
        "line",
        "middleware",
        "csrf",
        "auth",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "missing {key}");
    }
    let find = |m: &str, p: &str| {
        rows.iter()
            .find(|r| r["method"] == m && r["path"] == p)
            .unwrap_or_else(|| panic!("no {m} {p} in {rows:#?}"))
    };
    let admin = find("GET", "/admin/stats");
    assert_eq!(admin["file"], "app/controller/admin/stats.js");
    assert_eq!(admin["line"], 4);
    assert_eq!(
        admin["auth"], "required",
        "gate matches /admin and checks the session"
    );
    assert!(admin["middleware"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "gate"));
    let hook = find("POST", "/hooks/github");
    assert_eq!(hook["csrf"], "exempt", "security.csrf.ignore = '/hooks'");
    assert_eq!(hook["auth"], "none");
    assert_eq!(find("POST", "/api/posts")["csrf"], "protected");
    assert_eq!(find("PATCH", "/api/posts/:id")["handler"], "posts.update");
    assert!(!find("GET", "/").as_object().unwrap()["middleware"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m == "gate"));
}

/// egg's loader (globby) and Node's `require` follow symbolic links: a monorepo's controller
/// files (one linked relatively, one by an absolute path) and directory of services linked
/// into `app/` are loaded as if they were there. eggsec
/// follows them within the repository: its routes are real egg's for the linked app, and its
/// findings (files, lines, fingerprints) those of the same app without links. (It skipped
/// them: the linked controller's findings were gone, and `router.resources` gave all 8 REST
/// routes where the controller defines 4.)
#[cfg(unix)]
#[test]
fn code_linked_into_the_app_is_loaded_as_real_egg_loads_it() {
    use std::os::unix::fs::symlink;
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap_or_else(|e| panic!("{e}"));
    let fixture = root.join("examples/shop-api");
    let plain = stage(&fixture, &oracle.join("node_modules")).unwrap();
    let linked = stage(&fixture, &oracle.join("node_modules")).unwrap();
    // the user controller is the app's only use of egg-i18n (`ctx.__`)
    for app in [&plain, &linked] {
        let user = app.root.join("app/controller/user.js");
        let text = std::fs::read_to_string(&user).unwrap().replace(
            "class UserController extends Controller {\n",
            "class UserController extends Controller {\n  async hello() {\n    this.ctx.body = this.ctx.__('hello');\n  }\n",
        );
        assert!(text.contains("ctx.__("));
        std::fs::write(&user, text).unwrap();
    }
    let r = &linked.root;
    std::fs::create_dir_all(r.join("shared")).unwrap();
    std::fs::rename(r.join("app/service"), r.join("shared/service")).unwrap();
    symlink("../shared/service", r.join("app/service")).unwrap();
    std::fs::rename(r.join("app/controller/order.js"), r.join("shared/order.js")).unwrap();
    symlink("../../shared/order.js", r.join("app/controller/order.js")).unwrap();
    std::fs::rename(r.join("app/controller/user.js"), r.join("shared/user.js")).unwrap();
    symlink(r.join("shared/user.js"), r.join("app/controller/user.js")).unwrap();

    let spec = EnvSpec::parse("prod");
    let dump = run_dump(&root, &oracle, &linked, &spec).unwrap_or_else(|e| panic!("{e}"));
    let want = egg_routes(&dump);
    let opts = LoadOptions {
        env: spec.env.clone(),
        ..Default::default()
    };
    let routes = |app: &std::path::Path| {
        eggsec_routes(&eggsec_app::load(app, &opts).unwrap_or_else(|e| panic!("{e}")))
    };
    assert_eq!(
        routes(&linked.root),
        want,
        "the linked app against real egg"
    );
    assert_eq!(
        routes(&plain.root),
        want,
        "the app without links against real egg"
    );

    let findings = |app: &std::path::Path| -> (Vec<String>, String) {
        let out = assert_cmd::Command::cargo_bin("eggsec")
            .unwrap()
            .args(["audit", "--format", "json", "--env", "prod", "--exit-zero"])
            .arg(app)
            .output()
            .unwrap();
        let j: J = serde_json::from_slice(&out.stdout).unwrap();
        let mut f: Vec<String> = j["apps"][0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{}:{} {} {}",
                    f["rule"], f["file"], f["line"], f["column"], f["fingerprint"], f["message"]
                )
            })
            .collect();
        f.sort();
        (f, String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (want, _) = findings(&plain.root);
    for linked in ["app/controller/user.js", "app/service/product.js"] {
        assert!(
            want.iter().any(|f| f.contains(linked)),
            "{linked} has findings of its own: {want:#?}"
        );
    }
    let (got, stderr) = findings(&linked.root);
    assert_eq!(got, want, "{stderr}");
    assert!(!stderr.contains("symbolic link"), "{stderr}");

    // a plugin used only in linked code is used (it was "unused", and `eggsec fix --plugins`
    // would have disabled egg-i18n under `ctx.__`)
    let unused = |app: &std::path::Path| {
        let out = assert_cmd::Command::cargo_bin("eggsec")
            .unwrap()
            .args(["plugins", "--unused", "--env", "prod"])
            .arg(app)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    let want = unused(&plain.root);
    assert!(!want.contains(&"i18n".to_string()), "{want:?}");
    assert!(want.contains(&"jsonp".to_string()), "{want:?}");
    assert_eq!(unused(&linked.root), want);
}
