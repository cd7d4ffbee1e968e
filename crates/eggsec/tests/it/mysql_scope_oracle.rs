//! MW011's writes keyed by the caller's identity against real egg-mysql: eggsec does not report
//! a state-changing route whose only write is an egg-mysql `update`/`delete` filtered by the
//! session's user id (`crates/eggsec_js/src/auth/scope.rs`), because on an anonymous request
//! the id is `undefined` and the client renders the key as `IS NULL`, which reaches no user's
//! row. This test runs eggsec over an app with those writes (and an insert, which it reports),
//! then has real `@eggjs/rds` — the client of egg-mysql 5 in `tests/oracle/egg3` — render the
//! very same calls with the anonymous request's `undefined`: every scoped write's `WHERE` must
//! test the identity key `IS NULL`, and the insert must write a row.

use crate::oracle_support::{oracle_dir, repo_root};
use assert_cmd::Command;

/// (route, handler body, the call the handler makes as real rds is asked to render it with the
/// anonymous request's identity, is the route reported)
const CASES: &[(&str, &str, &str, bool)] = &[
    (
        "delete /follow/:id",
        "await ctx.app.mysql.delete('follow', { uid: ctx.session.uid, follow_id: ctx.params.id });",
        "c.delete('follow', { uid: undefined, follow_id: '7' })",
        false,
    ),
    (
        "put /teacher",
        "const options = { where: { id: ctx.session.teacherid } };\n    await ctx.app.mysql.update('teacher', ctx.request.body, options);",
        "c.update('teacher', { name: 'x' }, { where: { id: undefined } })",
        false,
    ),
    (
        "put /user",
        "await ctx.app.mysql.update('user', { id: ctx.session.uid, nickname: ctx.request.body.nickname });",
        "c.update('user', { id: undefined, nickname: 'x' })",
        false,
    ),
    (
        "post /follow",
        "await ctx.app.mysql.insert('follow', { uid: ctx.session.uid, follow_id: ctx.request.body.id });",
        "c.insert('follow', { uid: undefined, follow_id: '7' })",
        true,
    ),
];

#[test]
fn identity_keyed_writes_match_no_row_for_an_anonymous_request() {
    let root = repo_root();
    let oracle = oracle_dir(&root, "egg3").unwrap_or_else(|e| panic!("{e}"));

    // eggsec's verdicts
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path();
    std::fs::create_dir_all(app.join("app/controller")).unwrap();
    std::fs::create_dir_all(app.join("config")).unwrap();
    std::fs::write(
        app.join("package.json"),
        r#"{"name":"scoped","dependencies":{"egg":"^3","egg-mysql":"^5"}}"#,
    )
    .unwrap();
    std::fs::write(
        app.join("config/plugin.js"),
        "exports.mysql = { enable: true, package: 'egg-mysql' };\n",
    )
    .unwrap();
    std::fs::write(
        app.join("config/config.default.js"),
        "exports.keys = 'k';\n",
    )
    .unwrap();
    let mut router = String::from("module.exports = app => {\n");
    let mut controller = String::new();
    for (i, (route, body, _, _)) in CASES.iter().enumerate() {
        let (verb, path) = route.split_once(' ').unwrap();
        router.push_str(&format!(
            "  app.router.{verb}('{path}', app.controller.w.h{i});\n"
        ));
        controller.push_str(&format!(
            "exports.h{i} = async ctx => {{\n    {body}\n    ctx.body = {{ ok: 1 }};\n}};\n"
        ));
    }
    router.push_str("};\n");
    std::fs::write(app.join("app/router.js"), router).unwrap();
    std::fs::write(app.join("app/controller/w.js"), controller).unwrap();
    let out = Command::cargo_bin("eggsec")
        .unwrap()
        .args(["audit", "--format", "json", "--exit-zero"])
        .arg(app)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let messages: Vec<String> = report["apps"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "MW011")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    for (i, (route, _, _, reported)) in CASES.iter().enumerate() {
        let hit = messages.iter().any(|m| m.contains(&format!("(w.h{i})")));
        assert_eq!(hit, *reported, "{route}: {messages:?}");
    }

    // what real @eggjs/rds sends for the same calls on an anonymous request
    let calls: String = CASES
        .iter()
        .map(|(_, _, call, _)| format!("  await {call};\n"))
        .collect();
    let script = format!(
        "const path = require('path');\n\
         const rds = path.dirname(require.resolve('@eggjs/rds/package.json', {{ paths: [path.dirname(require.resolve('egg-mysql/package.json'))] }}));\n\
         const {{ Operator }} = require(path.join(rds, 'lib/operator.js'));\n\
         class Capture extends Operator {{ async _query(sql) {{ console.log(sql); return {{ affectedRows: 0 }}; }} }}\n\
         const c = new Capture();\n\
         (async () => {{\n{calls}}})().catch(e => {{ console.error(e); process.exit(1); }});\n"
    );
    let run = std::process::Command::new("node")
        .current_dir(&oracle)
        .args(["-e", &script])
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let sql: Vec<String> = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(sql.len(), CASES.len(), "{sql:?}");
    for ((route, _, _, reported), sql) in CASES.iter().zip(&sql) {
        if *reported {
            // the insert writes a row whatever the identity
            assert!(
                sql.starts_with("INSERT INTO") && sql.contains("VALUES(NULL"),
                "{route}: {sql}"
            );
        } else {
            let (_, filter) = sql
                .split_once(" WHERE ")
                .unwrap_or_else(|| panic!("{route}: no WHERE: {sql}"));
            assert!(
                filter.contains("`uid` IS NULL") || filter.contains("`id` IS NULL"),
                "{route}: {sql}"
            );
        }
    }
}
