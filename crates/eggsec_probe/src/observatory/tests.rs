use super::*;

fn input_alg(alg: Algorithm, https: bool, headers: &[(&str, &str)]) -> ObservatoryInput {
    let h = Headers::from_pairs(headers.iter().map(|(k, v)| (*k, v.to_string())));
    let url = if https {
        "https://shop.example.com/"
    } else {
        "http://shop.example.com/"
    };
    ObservatoryInput {
        algorithm: alg,
        https,
        url: url.into(),
        status: 200,
        cookies: h
            .all("set-cookie")
            .into_iter()
            .map(|l| (url.to_string(), l.to_string()))
            .collect(),
        headers: h,
        cors_origin: "https://eggsec-probe.example".into(),
        verified: true,
        http_chain_verified: true,
        ..Default::default()
    }
}

fn input(https: bool, headers: &[(&str, &str)]) -> ObservatoryInput {
    input_alg(Algorithm::V6, https, headers)
}

fn result(o: &Observatory, name: &str) -> (String, i32) {
    let t = o.test(name).unwrap();
    (t.result.clone(), t.modifier)
}

/// The headers a stock egg 3 app sends (egg-security defaults).
const STOCK: [(&str, &str); 6] = [
    ("x-frame-options", "SAMEORIGIN"),
    ("x-xss-protection", "1; mode=block"),
    ("x-download-options", "noopen"),
    ("x-content-type-options", "nosniff"),
    ("set-cookie", "csrfToken=abc; path=/; secure"),
    ("content-type", "text/html; charset=utf-8"),
];

#[test]
fn stock_egg_over_https_scores_35_d_in_both_versions() {
    // headers-spec §1.7: CSP −25, cookies −20 (anti-CSRF), HSTS −20, XFO bonus discarded.
    let o = grade(&input(true, &STOCK));
    assert_eq!((o.score, o.grade.as_deref()), (Some(35), Some("D")));
    assert_eq!(
        result(&o, "cookies").0,
        "cookies-anticsrf-without-samesite-flag"
    );
    assert_eq!(result(&o, "x-frame-options").1, 5);
    assert_eq!(o.tests.len(), 12);
    assert_eq!(o.algorithm_version, 6);
    let v4 = grade(&input_alg(Algorithm::V4, true, &STOCK));
    assert_eq!(v4.tests.len(), 10);
    assert_eq!(result(&v4, "x-frame-options").1, 0, "v4: SAMEORIGIN is 0");
    assert_eq!(v4.score, Some(35));
}

#[test]
fn v6_score_table_matches_the_published_one() {
    // The v6 modifiers that differ from or add to v4 (upstream charts.js, algorithm 6).
    for (r, m) in [
        ("x-frame-options-sameorigin-or-deny", 5),
        ("coop-implemented-with-same-origin", 10),
        ("coop-implemented-with-same-origin-allow-popups", 10),
        ("coop-implemented-with-noopener-allow-popups", 10),
        ("coop-implemented-with-unsafe-none", 0),
        ("coop-header-invalid", -5),
        ("coep-implemented-with-require-corp", 10),
        ("coep-implemented-with-credentialless", 10),
        ("coep-header-invalid", -5),
        ("corp-implemented-with-same-site", 10),
    ] {
        assert_eq!(modifier(Algorithm::V6, r), m, "{r}");
    }
    assert_eq!(
        modifier(Algorithm::V4, "x-frame-options-sameorigin-or-deny"),
        0
    );
    // Maximum: 100 + CSP 10 + cookies 5 + referrer 5 + HSTS preload 5 + SRI 5 + XFO 5 + CORP,
    // COOP, COEP 10 each = 165.
    let best = [
        "csp-implemented-with-no-unsafe-default-src-none",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "referrer-policy-private",
        "hsts-preloaded",
        "sri-implemented-and-all-scripts-loaded-securely",
        "x-frame-options-implemented-via-csp",
        "corp-implemented-with-same-origin",
        "coop-implemented-with-same-origin",
        "coep-implemented-with-require-corp",
    ];
    assert_eq!(
        100 + best.iter().map(|r| modifier(Algorithm::V6, r)).sum::<i32>(),
        165
    );
}

#[test]
fn stock_egg_behind_tls_proxy_without_config_proxy_scores_15_f() {
    let mut h: Vec<(&str, &str)> = STOCK[..4].to_vec();
    h.push(("set-cookie", "csrfToken=abc; path=/"));
    h.push(("set-cookie", "EGG_SESS=x; path=/; httponly"));
    let o = grade(&input(true, &h));
    assert_eq!(
        result(&o, "cookies"),
        ("cookies-session-without-secure-flag".into(), -40)
    );
    assert_eq!((o.score, o.grade.as_deref()), (Some(15), Some("F")));
}

#[test]
fn hardened_egg_security_reaches_125_a_plus() {
    let h = [
        ("strict-transport-security", "max-age=31536000; includeSubdomains"),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "strict-origin-when-cross-origin"),
        (
            "content-security-policy",
            "default-src 'none';script-src 'strict-dynamic' 'nonce-AbCdEfGh12345678';style-src 'self';img-src 'self';object-src 'none';base-uri 'none';form-action 'self';frame-ancestors 'none'",
        ),
        ("set-cookie", "csrfToken=abc; path=/; samesite=lax; secure"),
        ("content-type", "application/json"),
    ];
    let o = grade(&input(true, &h));
    assert_eq!(
        result(&o, "content-security-policy"),
        ("csp-implemented-with-no-unsafe-default-src-none".into(), 10)
    );
    assert_eq!(
        result(&o, "x-frame-options").0,
        "x-frame-options-implemented-via-csp"
    );
    assert_eq!((o.score, o.grade.as_deref()), (Some(125), Some("A+")));
}

#[test]
fn duplicated_headers_are_invalid_like_node_merges_them() {
    let h = [
        ("x-frame-options", "SAMEORIGIN"),
        ("x-frame-options", "SAMEORIGIN"),
        ("x-content-type-options", "nosniff"),
        ("x-content-type-options", "nosniff"),
        ("strict-transport-security", "max-age=31536000"),
        ("strict-transport-security", "max-age=31536000"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cross-origin-resource-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
    ];
    let o = grade(&input(true, &h));
    assert_eq!(
        result(&o, "x-frame-options"),
        ("x-frame-options-header-invalid".into(), -20)
    );
    assert_eq!(result(&o, "x-content-type-options").1, -5);
    assert_eq!(
        result(&o, "strict-transport-security"),
        ("hsts-header-invalid".into(), -20)
    );
    assert_eq!(result(&o, "cross-origin-resource-policy").1, -5);
    assert_eq!(result(&o, "cross-origin-opener-policy").1, -5);
}

#[test]
fn csp_rules() {
    let o = grade(&input(
        true,
        &[("content-security-policy-report-only", "default-src 'self'")],
    ));
    assert_eq!(
        result(&o, "content-security-policy"),
        ("csp-not-implemented-but-reporting-enabled".into(), -25)
    );
    let cases: [(&str, &str, i32); 11] = [
        ("default-src 'self'", "csp-implemented-with-no-unsafe", 5),
        (
            "default-src 'self' 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline",
            -20,
        ),
        (
            "default-src 'self' 'nonce-abcdefgh1' 'unsafe-inline'",
            "csp-implemented-with-no-unsafe",
            5,
        ),
        (
            "default-src 'self'; script-src 'strict-dynamic'",
            "csp-header-invalid",
            -25,
        ),
        (
            "default-src 'self'; script-src 'self' 'unsafe-eval'",
            "csp-implemented-with-unsafe-eval",
            -10,
        ),
        (
            "default-src 'self'; style-src 'unsafe-inline'",
            "csp-implemented-with-unsafe-inline-in-style-src-only",
            0,
        ),
        (
            "default-src 'self'; img-src http://cdn.example",
            "csp-implemented-with-insecure-scheme-in-passive-content-only",
            -10,
        ),
        (
            "default-src 'self'; report-uri http://r.example",
            "csp-implemented-with-insecure-scheme",
            -20,
        ),
        (
            "default-src 'self'; default-src 'none'",
            "csp-header-invalid",
            -25,
        ),
        (
            "default-src 'none'; report-uri /a; report-uri /b",
            "csp-implemented-but-duplicate-directives",
            0,
        ),
        (
            "script-src 'self'",
            "csp-implemented-with-unsafe-inline",
            -20,
        ),
    ];
    for (csp, want, m) in cases {
        let o = grade(&input(true, &[("content-security-policy", csp)]));
        assert_eq!(
            result(&o, "content-security-policy"),
            (want.to_string(), m),
            "{csp}"
        );
    }
}

#[test]
fn several_policies_are_all_enforced() {
    // Issue 17 item 3: a directive only the second policy defines does not widen the first.
    // Header `default-src 'none'` + a second header allowing inline scripts: browsers enforce
    // both, so no inline script runs.
    let two = [
        ("content-security-policy", "default-src 'none'"),
        (
            "content-security-policy",
            "script-src 'self' 'unsafe-inline'; object-src 'none'",
        ),
    ];
    let o = grade(&input(true, &two));
    assert_eq!(
        result(&o, "content-security-policy"),
        ("csp-implemented-with-no-unsafe-default-src-none".into(), 10)
    );
    // The same in one comma-joined value, and header + meta.
    let o = grade(&input(
        true,
        &[(
            "content-security-policy",
            "default-src 'self' 'unsafe-inline', default-src 'self'",
        )],
    ));
    assert_eq!(result(&o, "content-security-policy").1, 5);
    let mut i = input(
        true,
        &[
            ("content-type", "text/html"),
            ("content-security-policy", "default-src 'self'"),
        ],
    );
    i.body = r#"<meta http-equiv="content-security-policy" content="script-src 'unsafe-inline' 'self'; object-src 'none'">"#.into();
    assert_eq!(result(&grade(&i), "content-security-policy").1, 5);
    // A source both policies allow survives.
    let o = grade(&input(
        true,
        &[
            (
                "content-security-policy",
                "default-src 'self' https://cdn.example.com",
            ),
            (
                "content-security-policy",
                "default-src https://cdn.example.com",
            ),
        ],
    ));
    assert_eq!(result(&o, "content-security-policy").1, 5);
    // v4 does not split the merged header: the second policy's sources land in default-src.
    let o = grade(&input_alg(Algorithm::V4, true, &two));
    assert_eq!(
        result(&o, "content-security-policy").0,
        "csp-implemented-with-unsafe-inline"
    );
}

#[test]
fn meta_csp_counts_only_outside_comments() {
    // Issue 17 item 1.
    let mut i = input(true, &[("content-type", "text/html")]);
    i.body = r#"<html><head><!-- <meta http-equiv="Content-Security-Policy" content="default-src 'none'"> --></head></html>"#.into();
    assert_eq!(
        result(&grade(&i), "content-security-policy").0,
        "csp-not-implemented"
    );
    i.body = r#"<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><meta name="referrer" content="no-referrer"><script src="/app.js"></script></head></html>"#.into();
    let o = grade(&i);
    assert_eq!(result(&o, "content-security-policy").1, 5);
    assert_eq!(
        result(&o, "referrer-policy"),
        ("referrer-policy-private".into(), 5)
    );
    assert_eq!(
        result(&o, "subresource-integrity").0,
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
    );
    i.body =
        r#"<meta http-equiv="content-security-policy" content="frame-ancestors 'none'">"#.into();
    assert_eq!(
        result(&grade(&i), "content-security-policy").0,
        "csp-not-implemented"
    );
}

#[test]
fn xhtml_and_missing_content_type_are_html() {
    // Issue 17 item 10.
    let body = r#"<html><head><meta http-equiv="Content-Security-Policy" content="default-src 'self'"></head></html>"#;
    let mut i = input(
        true,
        &[("content-type", "application/xhtml+xml; charset=utf-8")],
    );
    i.body = body.into();
    assert_eq!(result(&grade(&i), "content-security-policy").1, 5);
    let mut i = input(true, &[]);
    i.body = body.into();
    assert_eq!(result(&grade(&i), "content-security-policy").1, 5);
    // JSON without a content type is not HTML.
    let mut i = input(true, &[]);
    i.body = r#"{"a":"<meta>"}"#.into();
    assert_eq!(
        result(&grade(&i), "subresource-integrity").0,
        "sri-not-implemented-response-not-html"
    );
}

#[test]
fn sri_reads_real_script_elements_only() {
    // Issue 17 items 4 and 7.
    let mut i = input(true, &[("content-type", "text/html")]);
    i.body = r#"<!-- <script src="http://evil.example.org/a.js"></script> -->
<script>document.write('<script src="http://evil.example.org/b.js"><\/script>')</script>
<textarea><script src="http://evil.example.org/c.js"></script></textarea>"#
        .into();
    assert_eq!(
        result(&grade(&i), "subresource-integrity").0,
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
    );
    i.body =
        r#"<script src="https://cdn.other.example/x.js" integrity="" crossorigin></script>"#.into();
    assert_eq!(
        result(&grade(&i), "subresource-integrity"),
        (
            "sri-not-implemented-but-external-scripts-loaded-securely".into(),
            -5
        )
    );
    i.body = r#"<script src="https://cdn.other.example/x.js"></script><script src="http://cdn.other.example/y.js"></script>"#.into();
    assert_eq!(result(&grade(&i), "subresource-integrity").1, -50);
    i.body = r#"<script src="https://cdn.other.example/x.js" integrity="sha384-x" crossorigin></script>"#.into();
    assert_eq!(result(&grade(&i), "subresource-integrity").1, 5);
    i.body = r#"<script src="https://static.example.com/x.js"></script>"#.into();
    assert_eq!(result(&grade(&i), "subresource-integrity").1, 0);
    // The reference ranks "not loaded securely, with SRI" (−20) below "no SRI, https" (−5).
    i.body = r#"<script src="http://a.other.example/x.js" integrity="sha384-x"></script><script src="https://b.other.example/y.js"></script>"#.into();
    assert_eq!(result(&grade(&i), "subresource-integrity").1, -5);
    // Protocol-relative URLs are foreign and insecure.
    i.body = r#"<script src="//cdn.example.com/x.js"></script>"#.into();
    assert_eq!(result(&grade(&i), "subresource-integrity").1, -50);
}

#[test]
fn referrer_cookies_cors_hsts_coop_details() {
    let o = grade(&input(
        true,
        &[("referrer-policy", "no-referrer-when-downgrade")],
    ));
    assert_eq!(
        result(&o, "referrer-policy"),
        ("referrer-policy-unsafe".into(), -5)
    );
    let o = grade(&input(
        true,
        &[("referrer-policy", "unsafe-url, no-referrer, bogus")],
    ));
    assert_eq!(result(&o, "referrer-policy").1, 5);
    let o = grade(&input(true, &[("referrer-policy", "bogus")]));
    assert_eq!(
        result(&o, "referrer-policy").0,
        "referrer-policy-header-invalid"
    );

    let o = grade(&input(true, &[("set-cookie", "a=1; Secure; SameSite=Lax")]));
    assert_eq!(result(&o, "cookies").1, 5);
    let o = grade(&input(true, &[("set-cookie", "a=1; Secure")]));
    assert_eq!(
        result(&o, "cookies"),
        ("cookies-secure-with-httponly-sessions".into(), 0)
    );
    let o = grade(&input(true, &[("set-cookie", "a=1; SameSite=None")]));
    assert_eq!(result(&o, "cookies").0, "cookies-samesite-flag-invalid");
    let o = grade(&input(
        true,
        &[("set-cookie", "a=1; Secure; SameSite=Bogus")],
    ));
    assert_eq!(result(&o, "cookies").0, "cookies-samesite-flag-invalid");
    let o = grade(&input(
        true,
        &[("set-cookie", "sessid=1; Secure; SameSite=Lax")],
    ));
    assert_eq!(result(&o, "cookies").1, -30);
    let o = grade(&input(
        true,
        &[
            ("strict-transport-security", "max-age=31536000"),
            ("set-cookie", "sessid=1; HttpOnly; SameSite=Lax"),
        ],
    ));
    assert_eq!(
        result(&o, "cookies").0,
        "cookies-session-without-secure-flag-but-protected-by-hsts"
    );

    let mut i = input(true, &[]);
    i.preflight = Some(Headers::from_pairs([
        (
            "access-control-allow-origin",
            "https://eggsec-probe.example",
        ),
        ("access-control-allow-credentials", "true"),
    ]));
    assert_eq!(result(&grade(&i), "cross-origin-resource-sharing").1, -50);

    let o = grade(&input(
        true,
        &[("strict-transport-security", "max-age=86400")],
    ));
    assert_eq!(result(&o, "strict-transport-security").1, -10);
    let o = grade(&input(
        false,
        &[("strict-transport-security", "max-age=31536000")],
    ));
    assert_eq!(
        result(&o, "strict-transport-security").0,
        "hsts-not-implemented-no-https"
    );
    let mut i = input(true, &[("strict-transport-security", "max-age=31536000")]);
    i.verified = false;
    assert_eq!(
        result(&grade(&i), "strict-transport-security").0,
        "hsts-invalid-cert"
    );

    let o = grade(&input(
        true,
        &[
            ("cross-origin-opener-policy", "same-origin; report-to=\"r\""),
            ("cross-origin-embedder-policy", "require-corp"),
            ("cross-origin-resource-policy", "same-site"),
        ],
    ));
    assert_eq!(o.test("cross-origin-opener-policy").unwrap().modifier, 10);
    assert_eq!(o.test("cross-origin-embedder-policy").unwrap().modifier, 10);
    assert_eq!(o.test("cross-origin-resource-policy").unwrap().modifier, 10);
}

#[test]
fn hsts_max_age_as_the_reference_reads_it() {
    // Issue 17 item 8: the reference keeps the last max-age.
    assert_eq!(hsts_max_age("max-age=31536000; max-age=0"), Some(0));
    assert!(hsts_repeated_directive("max-age=31536000; max-age=0"));
    assert!(!hsts_repeated_directive(
        "max-age=31536000; includeSubDomains"
    ));
    let o = grade(&input(
        true,
        &[("strict-transport-security", "max-age=31536000; max-age=0")],
    ));
    assert_eq!(
        result(&o, "strict-transport-security"),
        ("hsts-implemented-max-age-less-than-six-months".into(), -10)
    );
    // RFC 6797 delta-seconds (deliberate: the reference's parseInt accepts these).
    assert_eq!(hsts_max_age("max-age=abc"), None);
    assert_eq!(hsts_max_age("max-age=12abc"), None);
    assert_eq!(hsts_max_age("max-age=\"31536000\""), Some(31536000));
    assert_eq!(hsts_max_age("max-age=31536000, max-age=1"), None);
    assert_eq!(hsts_max_age("includeSubDomains"), None);
}

#[test]
fn cookies_a_browser_rejects_are_not_graded() {
    // Issue 17 item 5.
    let lines = |l: &[&str]| -> Vec<(String, String)> {
        l.iter()
            .map(|x| ("https://shop.example.com/a/b".to_string(), x.to_string()))
            .collect()
    };
    let (jar, rejected) = browser_jar(&lines(&[
        "a=1; Domain=other.example; Secure",
        "b=1; Domain=com; Secure",
        "c=1; Domain=.example.com; Secure",
        "__Host-d=1; Secure; Path=/; Domain=shop.example.com",
        "__Secure-e=1",
        "f=1; Secure",
        "f=2; Secure; Path=/",
        "garbage",
    ]));
    let kept: Vec<(&str, &str, &str)> = jar
        .iter()
        .map(|j| (j.cookie.name.as_str(), j.domain.as_str(), j.path.as_str()))
        .collect();
    assert_eq!(
        kept,
        [
            ("c", "example.com", "/a"),
            ("f", "shop.example.com", "/a"),
            ("f", "shop.example.com", "/")
        ]
    );
    assert_eq!(rejected.len(), 5);
    assert!(rejected[0].reason.contains("does not domain-match"));
    // A Secure cookie over plain HTTP is dropped (deliberate, as browsers do).
    let (jar, _) = browser_jar(&[("http://a.example.com/".into(), "s=1; Secure".into())]);
    assert!(jar.is_empty());
    let mut i = input(true, &[("set-cookie", "sess=1; Domain=evil.example")]);
    i.cookies = vec![(
        "https://shop.example.com/".into(),
        "sess=1; Domain=evil.example".into(),
    )];
    assert_eq!(result(&grade(&i), "cookies").0, "cookies-not-found");
}

#[test]
fn error_status_is_not_graded() {
    // Issue 17 item 9.
    let mut i = input(true, &STOCK);
    i.status = 404;
    let o = grade(&i);
    assert_eq!(o.score, None);
    assert_eq!(o.grade, None);
    assert!(o.not_graded.as_deref().unwrap().contains("404"));
    assert!(o.summary().starts_with("not graded"));
    for s in [200, 204, 301, 401, 403] {
        i.status = s;
        assert!(grade(&i).score.is_some(), "{s}");
    }
}

#[test]
fn bonus_rule_and_grade_table() {
    assert_eq!(grade_for(125), "A+");
    assert_eq!(grade_for(99), "A");
    assert_eq!(grade_for(85), "A-");
    assert_eq!(grade_for(84), "B+");
    assert_eq!(grade_for(64), "C+");
    assert_eq!(grade_for(44), "D+");
    assert_eq!(grade_for(29), "D-");
    assert_eq!(grade_for(24), "F");
    let t = |m| outcome("x", "x", m, m >= 0);
    assert_eq!(score(&[t(-10), t(5), t(5)]).0, 100);
    assert_eq!(score(&[t(-15), t(5), t(5)]).0, 85);
    assert_eq!(score(&[t(-100), t(-50)]).0, 0);
}

#[test]
fn redirection_chain() {
    let mut i = input(false, &[]);
    i.http_chain = Some(vec!["http://a.example/".into()]);
    assert_eq!(result(&grade(&i), "redirection").0, "redirection-missing");
    i.http_chain = Some(vec![
        "http://a.example/".into(),
        "https://a.example/".into(),
    ]);
    assert_eq!(result(&grade(&i), "redirection").0, "redirection-to-https");
    i.http_chain_verified = false;
    assert_eq!(
        result(&grade(&i), "redirection").0,
        "redirection-invalid-cert"
    );
    i.http_chain_verified = true;
    i.http_chain = Some(vec![
        "http://a.example/".into(),
        "https://b.example/".into(),
    ]);
    assert_eq!(result(&grade(&i), "redirection").1, -5);
    i.http_chain = Some(vec![
        "http://a.example/".into(),
        "http://a.example/x".into(),
        "https://a.example/".into(),
    ]);
    assert_eq!(result(&grade(&i), "redirection").1, -10);
    i.http_chain = None;
    i.redirection_note = Some("the redirect leaves the origin".into());
    let o = grade(&i);
    let t = o.test("redirection").unwrap();
    assert_eq!(t.result, "redirection-not-assessed");
    assert_eq!(t.note.as_deref(), Some("the redirect leaves the origin"));
}
