//! The edges of HTTP: odd static paths, wrong methods, HTTPS headers and
//! cookies, and clients that are slow or send huge heads.

mod common;

use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::build_app;
use broadsheet::models::Role;
use common::{Browser, TestApp};

#[actix_web::test]
async fn dot_segments_under_static_are_404_never_a_panic() {
    let app = TestApp::new();
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    for uri in [
        "/static/./site.css",
        "/static/.hidden",
        "/static/.gitignore",
        "/static/%2e/site.css",
        "/static/%2e%2e/Cargo.toml",
        "/static/..%2fCargo.toml",
        "/static/%2E%2E/%2E%2E/etc/passwd",
        "/static/.%2e/Cargo.toml",
        "/static/sub/../site.css",
        "/static/..\\Cargo.toml",
        "/static/%ff",
    ] {
        let page = b.get(&svc, uri).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(page.contains("Page not found"), "{uri} in the layout");
        assert!(!page.contains("[package]"), "{uri}");
    }
    let css = b.get(&svc, "/static/site.css").await;
    assert_eq!(css.status, StatusCode::OK);
}

#[actix_web::test]
async fn wrong_methods_on_known_addresses_are_405_with_allow() {
    let app = TestApp::new();
    app.post("A story", "Text.", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    let cases: [(&str, &str, &[&str]); 7] = [
        ("DELETE", "/", &["GET", "HEAD"]),
        ("PUT", "/posts/a-story", &["GET", "HEAD"]),
        ("GET", "/logout", &["POST"]),
        ("POST", "/archive", &["GET", "HEAD"]),
        ("PATCH", "/login", &["GET", "POST"]),
        ("GET", "/admin/posts/1/delete/", &[]),
        ("PUT", "/admin/settings", &["GET", "POST"]),
    ];
    for (method, uri, allowed) in cases {
        let req = test::TestRequest::default()
            .method(method.parse().unwrap())
            .uri(uri);
        let page = b.send(&svc, req).await;
        if allowed.is_empty() {
            // Not an address the site has (a trailing slash): 404 as before.
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{method} {uri}");
            continue;
        }
        assert_eq!(
            page.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {uri}"
        );
        let allow = page
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        for m in allowed {
            assert!(allow.contains(m), "{method} {uri}: Allow {allow:?}");
        }
        assert!(page.contains("Not allowed"), "{method} {uri} in the layout");
    }
    for uri in ["/no/such/page", "/posts/a-story/nothing"] {
        let req = test::TestRequest::default()
            .method("DELETE".parse().unwrap())
            .uri(uri);
        assert_eq!(
            b.send(&svc, req).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
    }
    // The right methods still work.
    assert_eq!(b.get(&svc, "/posts/a-story").await.status, StatusCode::OK);
    assert_eq!(b.get(&svc, "/login").await.status, StatusCode::OK);
}

/// Signs in, then out, which leaves a flash message; the answer's Set-Cookie
/// line for the flash cookie.
async fn flash_cookie_line(app: &TestApp) -> (String, Option<String>) {
    app.user("ann", Role::Admin);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, app, "ann").await;
    let account = b.get(&svc, "/account").await;
    let out = b
        .post(&svc, "/logout", &[("csrf_token", &account.csrf())])
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    let flash = out
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("broadsheet_flash="))
        .expect("signing out leaves a message");
    let home = b.get(&svc, "/").await;
    let hsts = home
        .headers
        .get(header::STRICT_TRANSPORT_SECURITY)
        .map(|v| v.to_str().unwrap().to_string());
    (flash, hsts)
}

#[actix_web::test]
async fn with_secure_cookies_the_flash_is_secure_and_hsts_is_sent() {
    let app = TestApp::fresh_with(|c| c.secure_cookies = true);
    let (flash, hsts) = flash_cookie_line(&app).await;
    assert!(flash.contains("Secure"), "{flash}");
    let hsts = hsts.expect("Strict-Transport-Security is sent");
    let age: u64 = hsts
        .strip_prefix("max-age=")
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    assert!(age >= 31_536_000, "{hsts}");
    assert!(!hsts.contains("includeSubDomains"), "{hsts}");
}

#[actix_web::test]
async fn without_secure_cookies_neither_secure_flash_nor_hsts() {
    let app = TestApp::new();
    let (flash, hsts) = flash_cookie_line(&app).await;
    assert!(!flash.contains("Secure"), "{flash}");
    assert_eq!(hsts, None);
}
