//! Accounts and the security baseline: register, sign in and out, setup,
//! account settings, CSRF, sessions, rate limits and headers.

use crate::common::{Browser, Svc, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::auth::password;
use broadsheet::models::{Role, User};

fn user_named(app: &TestApp, name: &str) -> Option<User> {
    User::find_by_login(&mut app.conn(), name).unwrap()
}

#[actix_web::test]
async fn a_visitor_registers_and_is_signed_in_as_a_commenter() {
    // At the cost every site runs (other tests hash cheaply).
    let app = TestApp::fresh_with(|c| c.password_cost = password::Cost::Full);
    let svc = app.service().await;
    let mut b = Browser::new();
    let form = b.get(&svc, "/register").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains(r#"<label for="username">"#));
    let res = b
        .submit(
            &svc,
            "/register",
            "/register",
            &[
                ("username", "new_reader"),
                ("email", "reader@example.com"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/");
    let user = user_named(&app, "new_reader").expect("stored");
    assert_eq!(user.role.as_str(), "commenter");
    assert!(
        user.password_hash
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "argon2id at OWASP's cost, never plain text: {}",
        user.password_hash
    );
    let home = b.get(&svc, "/").await;
    assert!(home.contains("Welcome, new_reader! You are signed in."));
    assert!(home.contains(r#"<a class="nav-user" href="/account">new_reader</a>"#));
    assert!(home.contains("Sign out"));
}

#[actix_web::test]
async fn registration_names_each_problem_and_keeps_the_input_but_not_the_password() {
    let app = TestApp::new();
    app.user("taken", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let cases: [(&str, &str, &str, &str); 6] = [
        (
            "ab",
            "ok@example.com",
            "long enough pw",
            "3 to 32 characters",
        ),
        (
            "bad name!",
            "ok@example.com",
            "long enough pw",
            "Use only letters",
        ),
        (
            "TAKEN",
            "ok@example.com",
            "long enough pw",
            "That username is taken",
        ),
        (
            "fresh",
            "not-an-email",
            "long enough pw",
            "Enter an email address",
        ),
        (
            "fresh",
            "Taken@Example.com",
            "long enough pw",
            "An account with that email exists",
        ),
        ("fresh", "ok@example.com", "short", "at least 10 characters"),
    ];
    for (username, email, password, message) in cases {
        let res = b
            .submit(
                &svc,
                "/register",
                "/register",
                &[
                    ("username", username),
                    ("email", email),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{username} {email}"
        );
        assert!(
            res.contains(message),
            "expected “{message}” for {username}/{email}"
        );
        assert!(
            res.contains(&format!(r#"value="{}""#, username.replace('!', "&#33;")))
                || res.contains(username),
            "username kept"
        );
        assert!(
            !res.contains(password) || password.len() < 6,
            "password never echoed"
        );
    }
    let long = "x".repeat(1025);
    let res = b
        .submit(
            &svc,
            "/register",
            "/register",
            &[
                ("username", "fresh"),
                ("email", "ok@example.com"),
                ("password", &long),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("at most 1024 characters"));
    assert!(
        user_named(&app, "fresh").is_none(),
        "nothing stored from bad forms"
    );
}

#[actix_web::test]
async fn sign_in_works_with_username_or_email_and_gives_a_new_session_cookie() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.cookies
        .insert("broadsheet_session".into(), "attacker-chosen-value".into());
    let res = b.login(&svc, &app, "ann").await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("broadsheet_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(
        !cookie.contains("Secure"),
        "Secure only with --secure-cookies"
    );
    let first = b.cookie("broadsheet_session").unwrap().to_string();
    assert_ne!(first, "attacker-chosen-value", "no session fixation");
    assert_eq!(first.len(), 64, "256-bit token, hex");

    // Signing in again replaces the session.
    let password = app.password("ann");
    let res = b
        .submit(
            &svc,
            "/",
            "/login",
            &[("username", "ANN@example.com"), ("password", &password)],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    let second = b.cookie("broadsheet_session").unwrap().to_string();
    assert_ne!(first, second);
    let mut old = Browser::new();
    old.cookies.insert("broadsheet_session".into(), first);
    assert!(
        old.get(&svc, "/").await.contains("Sign in"),
        "the old session ended"
    );
}

#[actix_web::test]
async fn secure_cookies_flag_marks_the_session_cookie_secure() {
    let app = TestApp::fresh_with(|c| c.secure_cookies = true);
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let res = b.login(&svc, &app, "ann").await;
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("broadsheet_session="))
        .unwrap();
    assert!(cookie.contains("Secure"));
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let wrong = b
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", "not the password")],
        )
        .await;
    let unknown = b
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "nobody"), ("password", "not the password")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.contains("The username or password is not right."));
    assert!(unknown.contains("The username or password is not right."));
    assert!(wrong.contains(r#"value="ann""#), "the username is kept");
    assert!(b.cookie("broadsheet_session").is_none());
}

#[actix_web::test]
async fn next_returns_to_local_paths_only() {
    let app = TestApp::without_rate_limits();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let password = app.password("ann");
    let cases = [
        ("/posts/story#comments", "/posts/story#comments"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        // Decoded once more (a `next` inside a `next`), these leave the site.
        ("/%0d%0aSet-Cookie:x", "/"),
        ("/%2F/evil.example", "/"),
        ("/%2f%2fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/posts/caf%C3%A9?page=2", "/posts/caf%C3%A9?page=2"),
        (" //evil.example", "/"),
    ];
    for (next, expected) in cases {
        let mut b = Browser::new();
        let res = b
            .submit(
                &svc,
                "/login",
                "/login",
                &[("username", "ann"), ("password", &password), ("next", next)],
            )
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{next}");
        assert_eq!(res.location(), expected, "next={next}");
    }
    // The form carries next from the query string.
    let page = Browser::new()
        .get(&svc, "/login?next=%2F%2Fevil.example")
        .await;
    assert!(page.contains(r#"name="next" value="/""#));
    let page = Browser::new().get(&svc, "/login?next=%2Fposts%2Fa").await;
    assert!(page.contains(r#"name="next" value="/posts/a""#));
}

#[actix_web::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let stolen = b.cookie("broadsheet_session").unwrap().to_string();
    let home = b.get(&svc, "/").await;
    let token = home.csrf();
    assert_eq!(
        b.get(&svc, "/logout").await.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "GET does not sign out"
    );
    let res = b.post(&svc, "/logout", &[("csrf_token", &token)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(
        b.cookie("broadsheet_session").is_none(),
        "the browser forgets the cookie"
    );
    let mut thief = Browser::new();
    thief.cookies.insert("broadsheet_session".into(), stolen);
    let page = thief.get(&svc, "/account").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "the old cookie no longer works"
    );
    assert!(page.location().starts_with("/login?next="));
}

#[actix_web::test]
async fn a_disabled_user_cannot_sign_in_and_loses_open_sessions() {
    let app = TestApp::new();
    let ann = app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    User::set_disabled(&mut app.conn(), ann.id, true).unwrap();
    assert_eq!(b.get(&svc, "/account").await.status, StatusCode::SEE_OTHER);
    let password = app.password("ann");
    let res = b
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", &password)],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("disabled"));
    assert!(b.cookie("broadsheet_session").is_none());
}

#[actix_web::test]
async fn every_form_post_without_a_valid_csrf_token_is_refused() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut anon = Browser::new();
    anon.get(&svc, "/login").await;
    let password = app.password("ann");
    for (uri, fields) in [
        (
            "/login",
            vec![("username", "ann"), ("password", password.as_str())],
        ),
        (
            "/register",
            vec![
                ("username", "mallory"),
                ("email", "m@example.com"),
                ("password", "long enough password"),
            ],
        ),
        (
            "/setup",
            vec![
                ("username", "mallory"),
                ("email", "m@example.com"),
                ("password", "long enough password"),
            ],
        ),
    ] {
        for token in [None, Some("wrong"), Some("")] {
            let mut all = fields.clone();
            if let Some(t) = token {
                all.push(("csrf_token", t));
            }
            let res = anon.post(&svc, uri, &all).await;
            assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri} with {token:?}");
            assert!(res.contains("Form expired"));
        }
    }
    assert!(user_named(&app, "mallory").is_none());

    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    for uri in [
        "/logout",
        "/account/profile",
        "/account/password",
        "/account/sessions/end",
    ] {
        let res = b
            .post(
                &svc,
                uri,
                &[("display_name", "Hacked"), ("csrf_token", "forged")],
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{uri}");
    }
    assert_eq!(user_named(&app, "ann").unwrap().display_name, "ann");
    assert!(
        b.get(&svc, "/account").await.status == StatusCode::OK,
        "still signed in"
    );
}

#[actix_web::test]
async fn a_cross_origin_post_is_refused_even_with_a_token() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/login").await;
    let token = page.csrf();
    let password = app.password("ann");
    let body = format!(
        "username=ann&password={}&csrf_token={token}",
        urlencoding::encode(&password)
    );
    let req = test::TestRequest::post()
        .uri("/login")
        .insert_header((header::HOST, "blog.test"))
        .insert_header((header::ORIGIN, "https://evil.example"))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body.clone());
    assert_eq!(b.send(&svc, req).await.status, StatusCode::FORBIDDEN);
    let req = test::TestRequest::post()
        .uri("/login")
        .insert_header((header::HOST, "blog.test"))
        .insert_header((header::ORIGIN, "http://blog.test"))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body);
    assert_eq!(
        b.send(&svc, req).await.status,
        StatusCode::SEE_OTHER,
        "same origin is fine"
    );
}

#[actix_web::test]
async fn setup_creates_the_first_admin_once() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let page = b.get(&svc, "/setup").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.contains("Set up your blog"));
    let res = b
        .submit(
            &svc,
            "/setup",
            "/setup",
            &[
                ("username", "owner"),
                ("email", "owner@example.com"),
                ("password", "owner's long password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin");
    assert_eq!(user_named(&app, "owner").unwrap().role.as_str(), "admin");
    assert!(b.get(&svc, "/").await.contains("owner"), "signed in");
    assert_eq!(
        Browser::new().get(&svc, "/setup").await.status,
        StatusCode::NOT_FOUND
    );
    let mut late = Browser::new();
    late.get(&svc, "/login").await;
    let token = late.get(&svc, "/login").await.csrf();
    let res = late
        .post(
            &svc,
            "/setup",
            &[
                ("username", "second"),
                ("email", "s@example.com"),
                ("password", "long enough password"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(user_named(&app, "second").is_none());
}

#[actix_web::test]
async fn setup_with_bad_input_shows_the_form_again() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let res = b
        .submit(
            &svc,
            "/setup",
            "/setup",
            &[
                ("username", "owner"),
                ("email", "nope"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("Enter an email address") && res.contains("at least 10 characters"));
    assert!(res.contains(r#"value="owner""#));
}

#[actix_web::test]
async fn pages_that_need_sign_in_send_visitors_to_login_and_back() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let res = b.get(&svc, "/account").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/login?next=%2Faccount");
    let form = b.get(&svc, res.location()).await;
    assert!(form.contains(r#"name="next" value="/account""#));
    let password = app.password("ann");
    let token = form.csrf();
    let res = b
        .post(
            &svc,
            "/login",
            &[
                ("username", "ann"),
                ("password", &password),
                ("next", "/account"),
                ("csrf_token", &token),
            ],
        )
        .await;
    assert_eq!(res.location(), "/account");
    assert_eq!(b.get(&svc, "/account").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn a_user_changes_name_and_password_and_other_sessions_end() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut laptop = Browser::new();
    let mut phone = Browser::new();
    laptop.login(&svc, &app, "ann").await;
    phone.login(&svc, &app, "ann").await;

    let res = laptop
        .submit(
            &svc,
            "/account",
            "/account/profile",
            &[("display_name", "  Ann   Lee ")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(user_named(&app, "ann").unwrap().display_name, "Ann Lee");
    assert!(laptop
        .get(&svc, "/account")
        .await
        .contains("Your display name is saved."));

    let res = laptop
        .submit(
            &svc,
            "/account",
            "/account/profile",
            &[("display_name", "")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);

    let res = laptop
        .submit(
            &svc,
            "/account",
            "/account/password",
            &[
                ("current_password", "wrong one!"),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("That is not your current password."));

    let old = app.password("ann");
    let res = laptop
        .submit(
            &svc,
            "/account",
            "/account/password",
            &[
                ("current_password", &old),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        laptop.get(&svc, "/account").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        phone.get(&svc, "/account").await.status,
        StatusCode::SEE_OTHER,
        "the other session ended"
    );

    let mut fresh = Browser::new();
    let res = fresh
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    let res = laptop
        .submit(&svc, "/account", "/account/sessions/end", &[])
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        fresh.get(&svc, "/account").await.status,
        StatusCode::SEE_OTHER,
        "signed out everywhere"
    );
    assert_eq!(
        laptop.get(&svc, "/account").await.status,
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn repeated_sign_in_attempts_are_limited() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let res = b
            .submit(
                &svc,
                "/login",
                "/login",
                &[("username", "ann"), ("password", "guess guess guess")],
            )
            .await;
        statuses.push(res.status);
    }
    assert!(statuses[..5]
        .iter()
        .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY));
    let last = b
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", &app.password("ann"))],
        )
        .await;
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(last.contains("Too many sign-in attempts"));
    assert!(
        last.contains(r#"<a class="site-title""#),
        "a readable page in the layout"
    );
}

#[actix_web::test]
async fn registrations_from_one_address_are_limited() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let mut last = None;
    for i in 0..7 {
        let mut fresh = Browser::new();
        let name = format!("user{i}");
        let email = format!("u{i}@example.com");
        let res = fresh
            .submit(
                &svc,
                "/register",
                "/register",
                &[
                    ("username", &name),
                    ("email", &email),
                    ("password", "long enough password"),
                ],
            )
            .await;
        last = Some(res.status);
        b = fresh;
    }
    assert_eq!(last, Some(StatusCode::TOO_MANY_REQUESTS));
    drop(b);
}

#[actix_web::test]
async fn rate_limits_can_be_switched_off_for_benchmarks() {
    let app = TestApp::without_rate_limits();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    for _ in 0..15 {
        let res = b
            .submit(
                &svc,
                "/login",
                "/login",
                &[("username", "ann"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[actix_web::test]
async fn anonymous_pages_without_forms_set_no_cookies() {
    let app = TestApp::new();
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    for uri in ["/", "/posts/story", "/archive"] {
        assert!(
            b.get(&svc, uri).await.set_cookies().is_empty(),
            "{uri} sets a cookie"
        );
    }
    let login = b.get(&svc, "/login").await;
    let csrf = login
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("broadsheet_csrf="))
        .unwrap();
    assert!(csrf.contains("HttpOnly") && csrf.contains("Max-Age="));
}

#[actix_web::test]
async fn the_create_admin_command_reads_the_password_from_standard_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let run = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_broadsheet"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let db_arg = db.to_str().unwrap();
    // Only the server creates a database: first start it as `serve` would.
    drop(broadsheet::AppState::open(broadsheet::config::Config::for_database(db.clone())).unwrap());
    let out = run(
        &[
            "--database",
            db_arg,
            "create-admin",
            "--username",
            "root_ed",
            "--email",
            "ed@example.com",
        ],
        "too short\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 10 characters"));
    // Flags are global: after the subcommand works as well.
    let out = run(
        &[
            "create-admin",
            "--username",
            "root_ed",
            "--email",
            "ed@example.com",
            "--database",
            db_arg,
        ],
        "the editor's password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut config = broadsheet::config::Config::for_database(db.clone());
    config.rate_limits = broadsheet::config::Switch::Off;
    let state = broadsheet::AppState::open(config).unwrap();
    let svc = crate::common::service(state).await;
    let mut b = Browser::new();
    let res = b
        .submit(
            &svc,
            "/login",
            "/login",
            &[
                ("username", "root_ed"),
                ("password", "the editor's password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        Browser::new().get(&svc, "/setup").await.status,
        StatusCode::NOT_FOUND
    );
    let out = run(
        &[
            "--database",
            db_arg,
            "create-admin",
            "--username",
            "ROOT_ED",
            "--email",
            "x@example.com",
        ],
        "another long password\n",
    );
    assert!(
        !out.status.success(),
        "usernames are unique without regard to case"
    );
}

#[actix_web::test]
async fn oversized_and_malformed_bodies_are_refused_cleanly() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let token = b.get(&svc, "/login").await.csrf();
    let huge = "a".repeat(2 * 1024 * 1024);
    let res = b
        .post(
            &svc,
            "/login",
            &[("username", &huge), ("csrf_token", &token)],
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let req = test::TestRequest::post()
        .uri("/login")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(format!("csrf_token={token}&username=%ZZ%&password=\u{0}"));
    let res = b.send(&svc, req).await;
    assert!(res.status.is_client_error(), "{}", res.status);
}

#[actix_web::test]
async fn signing_out_keeps_the_reader_on_the_page_unless_it_needs_an_account() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    app.post("Story", "Text", 1);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let page = b.get(&svc, "/posts/story?reply_to=1").await;
    assert!(page.contains(r#"name="next" value="/posts/story?reply_to=1""#));
    let res = b
        .post(
            &svc,
            "/logout",
            &[
                ("csrf_token", &page.csrf()),
                ("next", "/posts/story?reply_to=1"),
            ],
        )
        .await;
    assert_eq!(res.location(), "/posts/story?reply_to=1");
    assert!(b
        .get(&svc, "/posts/story")
        .await
        .contains("You are signed out."));

    b.login(&svc, &app, "ann").await;
    let page = b.get(&svc, "/account").await;
    assert!(
        page.contains(r#"<input type="hidden" name="next" value="/">"#),
        "not back to a page that needs an account"
    );
    let res = b
        .post(
            &svc,
            "/logout",
            &[("csrf_token", &page.csrf()), ("next", "//evil.example")],
        )
        .await;
    assert_eq!(res.location(), "/");
}

/// A sign-in post with the given `Host` and `Origin`, and a valid token.
async fn post_login_from(svc: &impl Svc, app: &TestApp, host: &str, origin: &str) -> StatusCode {
    let mut b = Browser::new();
    let token = b.get(svc, "/login").await.csrf();
    let body = format!(
        "username=ann&password={}&csrf_token={token}",
        urlencoding::encode(&app.password("ann"))
    );
    let req = test::TestRequest::post()
        .uri("/login")
        .insert_header((header::HOST, host.to_string()))
        .insert_header((header::ORIGIN, origin.to_string()))
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body);
    b.send(svc, req).await.status
}

#[actix_web::test]
async fn behind_a_proxy_a_form_from_the_base_url_passes_whatever_the_host_header() {
    let app = TestApp::fresh_with(|c| c.base_url = Some("https://blog.test/".into()));
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    // nginx's proxy_pass sends its upstream address as Host.
    assert_eq!(
        post_login_from(&svc, &app, "127.0.0.1:8080", "https://blog.test").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_login_from(&svc, &app, "127.0.0.1:8080", "https://blog.test:443").await,
        StatusCode::SEE_OTHER,
        "the default port is the same origin"
    );
}

#[actix_web::test]
async fn a_form_from_another_origin_than_the_base_url_is_refused() {
    let app = TestApp::fresh_with(|c| c.base_url = Some("https://blog.test".into()));
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    for (host, origin) in [
        // A Host that matches the foreign origin proves nothing.
        ("evil.example", "https://evil.example"),
        ("blog.test", "http://blog.test"),
        ("blog.test", "https://blog.test:8443"),
        ("blog.test", "null"),
    ] {
        assert_eq!(
            post_login_from(&svc, &app, host, origin).await,
            StatusCode::FORBIDDEN,
            "{origin} via Host {host}"
        );
    }
}

#[actix_web::test]
async fn a_damaged_device_cookie_key_stops_start_up_and_says_why() {
    let app = TestApp::new();
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE server_keys SET value = 'zzzz' WHERE name = 'device_cookie'"),
        &mut *app.conn(),
    )
    .unwrap();
    let err = broadsheet::AppState::open(app.config())
        .err()
        .expect("start-up refuses a damaged key");
    // The whole chain of causes: the database, the key, and what is wrong with it.
    let mut chain = vec![err.to_string()];
    let mut cause = std::error::Error::source(&err);
    while let Some(e) = cause {
        chain.push(e.to_string());
        cause = e.source();
    }
    assert!(chain.len() >= 3, "{chain:?}");
    assert!(
        chain[1].contains("device cookie key is damaged"),
        "{chain:?}"
    );
    assert!(chain[2].contains("Invalid character"), "{chain:?}");
}
