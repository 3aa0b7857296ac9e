//! Limits that protect people: sign-in lockouts that strangers cannot turn
//! against an account's owner, bounded limiter memory, the password form,
//! registration probes, clients behind proxies, and look-alike names.

use crate::common::{Browser, Svc, TestApp};
use actix_web::http::{header, StatusCode};
use actix_web::test;
use broadsheet::auth::limits::{self, Limits};
use broadsheet::models::{Role, User};
use broadsheet::AppState;

/// Posts a sign-in through the form, as `b` would.
async fn sign_in(svc: &impl Svc, b: &mut Browser, login: &str, password: &str) -> StatusCode {
    b.submit(
        svc,
        "/login",
        "/login",
        &[("username", login), ("password", password)],
    )
    .await
    .status
}

#[actix_web::test]
async fn the_owner_signs_in_from_a_known_browser_while_a_stranger_is_locked_out() {
    let app = TestApp::new();
    app.user("ann", Role::Admin);
    let right = app.password("ann");
    let svc = app.service().await;

    // Ann signed in on her laptop some time ago; the session has since ended.
    let mut laptop = Browser::at("192.0.2.10:5000");
    laptop.login(&svc, &app, "ann").await;
    assert!(laptop.cookie("broadsheet_device").is_some());
    laptop.cookies.remove("broadsheet_session");

    // Someone elsewhere guesses, by username and by email: one account, one budget.
    let mut guesser = Browser::at("198.51.100.20:5000");
    let mut tries = 0;
    loop {
        tries += 1;
        let login = if tries % 2 == 0 {
            "ann"
        } else {
            "ANN@example.com"
        };
        let status = sign_in(&svc, &mut guesser, login, "guess guess guess").await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(tries <= 11, "the guesser is never throttled");
    }

    // A browser that never signed in is throttled, right password or not.
    let mut stranger = Browser::at("203.0.113.30:5000");
    assert_eq!(
        sign_in(&svc, &mut stranger, "ann", &right).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Ann's laptop is not.
    assert_eq!(
        sign_in(&svc, &mut laptop, "ann", &right).await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(laptop.get(&svc, "/admin").await.status, StatusCode::OK);
    // And the guesser still is.
    assert_eq!(
        sign_in(&svc, &mut guesser, "ann", "guess guess guess").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn a_forged_or_borrowed_device_cookie_does_not_lift_the_lockout() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    let right = app.password("ann");
    let svc = app.service().await;
    // Bob's own device cookie, and one with a made-up signature.
    let mut bobs = Browser::at("192.0.2.11:5000");
    bobs.login(&svc, &app, "bob").await;
    bobs.cookies.remove("broadsheet_session");
    let mut forged = Browser::at("192.0.2.12:5000");
    forged.cookies.insert(
        "broadsheet_device".into(),
        format!("{}.{}.{}", 1, "00".repeat(32), "ab".repeat(32)),
    );

    let mut guesser = Browser::at("198.51.100.20:5000");
    for _ in 0..12 {
        sign_in(&svc, &mut guesser, "ann", "guess guess guess").await;
    }
    assert_eq!(
        sign_in(&svc, &mut bobs, "ann", &right).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        sign_in(&svc, &mut forged, "ann", &right).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn right_passwords_do_not_spend_the_failure_budget() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let right = app.password("ann");
    let svc = app.service().await;
    // Nine sign-ins from fresh browsers at one address, all fine (right
    // passwords have a budget of their own, ten a minute, which a spent one
    // would refuse before any password is checked).
    for i in 0..9 {
        let mut b = Browser::at("192.0.2.10:5000");
        assert_eq!(
            sign_in(&svc, &mut b, "ann", &right).await,
            StatusCode::SEE_OTHER,
            "sign-in {i}"
        );
    }
    // The ten wrong ones the budget allows are all still there.
    let mut b = Browser::at("192.0.2.10:5000");
    for i in 0..10 {
        assert_eq!(
            sign_in(&svc, &mut b, "ann", "guess guess guess").await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "failure {i}"
        );
    }
    assert_eq!(
        sign_in(&svc, &mut b, "ann", "guess guess guess").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[actix_web::test]
async fn an_overlong_username_is_refused_before_any_limiter_counts_it() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::new();
    let keys = || Limits::key_count(&mut app.conn()).unwrap();
    let before = keys();
    for i in 0..5 {
        let name = format!("{i}{}", "a".repeat(1_000_000));
        let page = b
            .submit(
                &svc,
                "/login",
                "/login",
                &[("username", &name), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("The username or password is not right."));
    }
    assert_eq!(keys(), before, "no limiter keys added");
    // A name of ordinary length is counted as before.
    sign_in(&svc, &mut b, "someone", "guess guess guess").await;
    assert!(keys() > before);
}

#[actix_web::test]
async fn the_eleventh_wrong_current_password_in_a_minute_is_refused() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "ann").await;
    let change = |current: String| {
        vec![
            ("current_password".to_string(), current),
            (
                "new_password".to_string(),
                "a brand new password".to_string(),
            ),
        ]
    };
    for i in 0..10 {
        let fields = change(format!("wrong guess {i}"));
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (&**k, &**v)).collect();
        let page = b
            .submit(&svc, "/account", "/account/password", &fields)
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "try {i}");
        assert!(page.contains("That is not your current password."));
    }
    let fields = change("wrong guess 10".into());
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (&**k, &**v)).collect();
    let page = b
        .submit(&svc, "/account", "/account/password", &fields)
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many wrong passwords"));
    // Locked: even the right one is not checked now, and nothing changed.
    let fields = change(app.password("ann"));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (&**k, &**v)).collect();
    let page = b
        .submit(&svc, "/account", "/account/password", &fields)
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    let mut other = Browser::at("192.0.2.99:5000");
    other.login(&svc, &app, "ann").await;
}

/// A wrong sign-in for `login` with an `X-Forwarded-For` header, if given.
async fn wrong_sign_in_forwarded(
    svc: &impl Svc,
    b: &mut Browser,
    login: &str,
    forwarded_for: Option<&str>,
) -> StatusCode {
    let token = b.get(svc, "/login").await.csrf();
    let body = format!("username={login}&password=guess+guess&csrf_token={token}");
    let mut req = test::TestRequest::post()
        .uri("/login")
        .insert_header((header::CONTENT_TYPE, "application/x-www-form-urlencoded"))
        .set_payload(body);
    if let Some(xff) = forwarded_for {
        req = req.insert_header(("x-forwarded-for", xff.to_string()));
    }
    b.send(svc, req).await.status
}

/// How many wrong sign-ins (each for a new name, so no account's budget
/// runs out) `b` makes before a 429, at most 15.
async fn tries_until_throttled(
    svc: &impl Svc,
    b: &mut Browser,
    forwarded_for: impl Fn(usize) -> Option<String>,
) -> usize {
    for i in 1..=15 {
        let xff = forwarded_for(i);
        let login = format!("nobody{i}-{}", b.peer.map(|p| p.port()).unwrap_or(0));
        let status = wrong_sign_in_forwarded(svc, b, &login, xff.as_deref()).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            return i;
        }
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    15
}

#[actix_web::test]
async fn instances_on_one_database_spend_one_budget() {
    let app = TestApp::new();
    app.user("owner", Role::Admin);
    let one = app.service().await;
    // A second instance: its own process state, the same database.
    let other_state = AppState::open(app.config()).unwrap();
    let two = crate::common::service(other_state).await;
    let mut stranger = Browser::at("198.51.100.20:6001");
    for i in 0..10 {
        let svc_status = if i % 2 == 0 {
            sign_in(&one, &mut stranger, "owner", "not the password").await
        } else {
            sign_in(&two, &mut stranger, "owner", "not the password").await
        };
        assert_eq!(svc_status, StatusCode::UNPROCESSABLE_ENTITY, "try {i}");
    }
    assert_eq!(
        sign_in(&one, &mut stranger, "owner", "not the password").await,
        StatusCode::TOO_MANY_REQUESTS,
        "ten failures over two instances spend the address's budget of ten"
    );
    assert_eq!(
        sign_in(&two, &mut stranger, "someone", "not the password").await,
        StatusCode::TOO_MANY_REQUESTS,
        "and the other instance refuses the address too"
    );
    let stored: i64 = Limits::key_count(&mut app.conn()).unwrap();
    assert!(stored >= 2, "the counts live in the database: {stored}");
}

#[actix_web::test]
async fn keys_back_to_a_full_budget_are_pruned() {
    let app = TestApp::new();
    let svc = app.service().await;
    // Keys are judged from when the first was made: however long the
    // sign-ins take on a busy machine, none is full again at that moment.
    let start = limits::now_ms();
    for i in 0..30 {
        let mut b = Browser::at(&format!("192.0.2.{}:7000", i + 1));
        assert_eq!(
            sign_in(&svc, &mut b, &format!("nobody{i}"), "wrong password").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    let count = || Limits::key_count(&mut app.conn()).unwrap();
    assert_eq!(count(), 60, "each failure keys its address and its name");
    assert_eq!(
        Limits::prune(&mut app.conn(), start).unwrap(),
        0,
        "none is full yet"
    );
    // Each budget refills within an hour (registration's is the slowest).
    let pruned = Limits::prune(&mut app.conn(), limits::now_ms() + 3_600_000).unwrap();
    assert_eq!(pruned, 60);
    assert_eq!(count(), 0);
}

#[actix_web::test]
async fn spoofed_forwarded_headers_are_ignored_without_trusted_proxies() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut b = Browser::at("198.51.100.7:5001");
    let tries = tries_until_throttled(&svc, &mut b, |i| Some(format!("203.0.113.{i}"))).await;
    assert_eq!(
        tries, 11,
        "a new forwarded address each time changes nothing"
    );
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_budget() {
    let app = TestApp::fresh_with(|c| c.trusted_proxy = vec!["10.0.0.0/8".parse().unwrap()]);
    let svc = app.service().await;
    // Two readers behind the same proxy.
    let mut first = Browser::at("10.0.0.5:5002");
    let tries = tries_until_throttled(&svc, &mut first, |_| {
        Some("198.51.100.9, 203.0.113.5".into())
    })
    .await;
    assert_eq!(tries, 11);
    let mut second = Browser::at("10.0.0.5:5003");
    assert_eq!(
        wrong_sign_in_forwarded(&svc, &mut second, "someone", Some("203.0.113.6")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the other reader is not throttled"
    );
    // A client that is not the proxy cannot pick its address by header.
    let mut direct = Browser::at("198.51.100.7:5004");
    let tries = tries_until_throttled(&svc, &mut direct, |i| Some(format!("192.0.2.{i}"))).await;
    assert_eq!(tries, 11, "an untrusted peer's header is ignored");
}

#[actix_web::test]
async fn ipv6_clients_share_a_budget_within_their_64() {
    let app = TestApp::new();
    let svc = app.service().await;
    let mut one = Browser::at("[2001:db8:1:2::1]:5005");
    for i in 0..10 {
        let status = wrong_sign_in_forwarded(&svc, &mut one, &format!("x{i}"), None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let mut neighbour = Browser::at("[2001:db8:1:2:ffff::9]:5006");
    assert_eq!(
        wrong_sign_in_forwarded(&svc, &mut neighbour, "y", None).await,
        StatusCode::TOO_MANY_REQUESTS,
        "a new address in the same /64 is the same client"
    );
    let mut elsewhere = Browser::at("[2001:db8:1:3::1]:5007");
    assert_eq!(
        wrong_sign_in_forwarded(&svc, &mut elsewhere, "z", None).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[actix_web::test]
async fn refused_registrations_from_one_address_are_limited() {
    let app = TestApp::new();
    app.user("ann", Role::Commenter);
    let svc = app.service().await;
    let svc = &svc;
    let register = |username: String, email: String| async move {
        let mut b = Browser::at("198.51.100.7:5010");
        b.submit(
            svc,
            "/register",
            "/register",
            &[
                ("username", &username),
                ("email", &email),
                ("password", "long enough password"),
            ],
        )
        .await
    };
    // Probing which emails have accounts: twenty answers, then no more.
    for i in 0..20 {
        let page = register(format!("probe{i}"), "ann@example.com".into()).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "probe {i}");
    }
    let page = register("probe20".into(), "ann@example.com".into()).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(!page.contains("An account with that email exists"));
    let page = register("newcomer".into(), "new@example.com".into()).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Asks for `name` as the signed-in user's display name.
async fn rename(svc: &impl Svc, b: &mut Browser, name: &str) -> crate::common::Page {
    b.submit(
        svc,
        "/account",
        "/account/profile",
        &[("display_name", name)],
    )
    .await
}

fn display_name(app: &TestApp, username: &str) -> String {
    User::find_by_login(&mut app.conn(), username)
        .unwrap()
        .unwrap()
        .display_name
}

#[actix_web::test]
async fn display_names_with_hidden_or_direction_changing_characters_are_refused() {
    let app = TestApp::new();
    app.user("bob", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "bob").await;
    for name in [
        "Bob \u{202e}nimda",          // right-to-left override
        "Bob\u{2066} Editor\u{2069}", // isolates
        "Ad\u{200b}min",              // zero-width space
        "Mar\u{200d}ia",              // zero-width joiner
        "Bob\u{00ad}by",              // soft hyphen
        "\u{3164}",                   // Hangul filler, shows as nothing
        "\u{2800}",                   // braille blank
        "Bob\u{7}",                   // a control character
    ] {
        let page = rename(&svc, &mut b, name).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(
            page.contains("cannot contain control, invisible or direction-changing characters"),
            "{name:?}"
        );
    }
    assert_eq!(display_name(&app, "bob"), "bob");
    let page = rename(&svc, &mut b, "Böb Ünal 李").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "letters of any script are fine"
    );
    assert_eq!(display_name(&app, "bob"), "Böb Ünal 李");
}

#[actix_web::test]
async fn display_names_that_look_like_another_accounts_name_are_refused() {
    let app = TestApp::new();
    let maria = app.user("maria", Role::Admin);
    User::set_display_name(&mut app.conn(), maria.id, "Maria Keller").unwrap();
    app.user("admin", Role::Admin);
    app.user("bob", Role::Commenter);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "bob").await;
    for name in [
        "Maria Keller",
        "MARIA KELLER",
        "Maria Kel1er", // a digit one for an l
        "Mаria Kеller", // Cyrillic а and е
        "\u{430}dmin",  // "аdmin" with a Cyrillic а: the admin's username
        "maria",        // another account's username
    ] {
        let page = rename(&svc, &mut b, name).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert!(page.contains("looks like another account"), "{name:?}");
    }
    assert_eq!(display_name(&app, "bob"), "bob");
    assert_eq!(
        rename(&svc, &mut b, "Bob").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        rename(&svc, &mut b, "Robert Keller").await.status,
        StatusCode::SEE_OTHER
    );
    // Maria keeps her own name when she saves it again.
    let mut m = Browser::at("192.0.2.44:5000");
    m.login(&svc, &app, "maria").await;
    assert_eq!(
        rename(&svc, &mut m, "Maria Keller").await.status,
        StatusCode::SEE_OTHER
    );
}

#[actix_web::test]
async fn accounts_made_before_the_check_existed_are_compared_too() {
    let app = TestApp::new();
    app.user("bob", Role::Commenter);
    // An account written without skeletons, as older versions and `generate` do.
    User::create(
        &mut app.conn(),
        &broadsheet::models::user::NewUser {
            username: "editor",
            email: "editor@example.com",
            display_name: "The Editor",
            password_hash: "!none",
            role: Role::Admin,
            created_at: broadsheet::models::now(),
        },
    )
    .unwrap();
    // The next start fills them in.
    let state = broadsheet::AppState::open((*app.state.config).clone()).unwrap();
    let svc = crate::common::service(state).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "bob").await;
    let page = rename(&svc, &mut b, "The Edit\u{43e}r").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn comments_mark_staff_and_show_the_username_beside_another_display_name() {
    let app = TestApp::new();
    app.comment_policy("open");
    app.post("Story", "Text", 1);
    let maria = app.user("maria", Role::Admin);
    User::set_display_name(&mut app.conn(), maria.id, "Maria Keller").unwrap();
    app.user("ed", Role::Author);
    let bob = app.user("bob", Role::Commenter);
    User::set_display_name(&mut app.conn(), bob.id, "Robert").unwrap();
    let svc = app.service().await;
    for (i, who) in ["maria", "ed", "bob"].into_iter().enumerate() {
        let mut b = Browser::at(&format!("192.0.2.{}:5000", 50 + i));
        b.login(&svc, &app, who).await;
        let page = b
            .submit(
                &svc,
                "/posts/story",
                "/posts/story/comments",
                &[("body", &format!("Said by {who}.")), ("website", "")],
            )
            .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{who}");
    }
    let page = Browser::new().get(&svc, "/posts/story").await;
    let meta_of = |name: &str| {
        let start = page
            .body
            .find(&format!(
                r#"<strong class="comment-author">{name}</strong>"#
            ))
            .unwrap_or_else(|| panic!("{name} is shown"));
        let end = page.body[start..].find("</p>").unwrap() + start;
        page.body[start..end].to_string()
    };
    let m = meta_of("Maria Keller");
    assert!(m.contains(">Staff<"), "{m}");
    assert!(m.contains("@maria"), "{m}");
    let e = meta_of("ed");
    assert!(e.contains(">Editor<"), "{e}");
    assert!(
        !e.contains("@ed"),
        "no username when it is the name shown: {e}"
    );
    let r = meta_of("Robert");
    assert!(r.contains("@bob"), "{r}");
    assert!(!r.contains("Staff") && !r.contains("Editor"), "{r}");
}

#[actix_web::test]
async fn successful_sign_ins_have_a_budget_per_account_and_sessions_a_cap() {
    use broadsheet::auth::session::MAX_SESSIONS_PER_ACCOUNT;
    use broadsheet::schema::sessions;
    use diesel::prelude::*;
    let app = TestApp::new();
    let ann = app.user("ann", Role::Commenter);
    app.user("bob", Role::Commenter);
    let right = app.password("ann");
    let svc = app.service().await;
    let count = |user: i32| -> i64 {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };

    // The first browser signs in, then ten more sign-ins in the minute, each
    // from another address and a fresh browser: the eleventh right password
    // is refused with the form, before its password is checked.
    let mut first = Browser::at("192.0.2.1:5000");
    assert_eq!(
        sign_in(&svc, &mut first, "ann", &right).await,
        StatusCode::SEE_OTHER
    );
    for i in 2..=10 {
        let mut b = Browser::at(&format!("192.0.2.{i}:5000"));
        assert_eq!(
            sign_in(&svc, &mut b, "ann", &right).await,
            StatusCode::SEE_OTHER,
            "{i}"
        );
    }
    let mut eleventh = Browser::at("192.0.2.11:5000");
    let page = eleventh
        .submit(
            &svc,
            "/login",
            "/login",
            &[("username", "ann"), ("password", &right)],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("signed in too many times"), "{}", page.body);
    assert!(
        page.contains(r#"name="password""#),
        "the form is shown again"
    );
    assert!(eleventh.cookie("broadsheet_session").is_none());
    assert_eq!(count(ann.id), 10);
    // Another account is not held back by Ann's budget.
    let mut bob = Browser::at("192.0.2.11:5000");
    bob.login(&svc, &app, "bob").await;

    // Sessions are capped however they were made: the oldest end.
    let ids = |user: i32| -> Vec<i32> {
        sessions::table
            .filter(sessions::user_id.eq(user))
            .order(sessions::id)
            .select(sessions::id)
            .load(&mut *app.conn())
            .unwrap()
    };
    let before = ids(ann.id);
    for _ in 0..MAX_SESSIONS_PER_ACCOUNT + 5 {
        broadsheet::db::write_with(&mut app.conn(), |conn| {
            broadsheet::auth::session::start(conn, ann.id, false)
        })
        .unwrap();
    }
    let after = ids(ann.id);
    assert_eq!(after.len() as i64, MAX_SESSIONS_PER_ACCOUNT);
    assert!(
        before.iter().all(|id| !after.contains(id)),
        "the oldest ended"
    );
    assert_eq!(count(ann.id), MAX_SESSIONS_PER_ACCOUNT);
    assert!(first.cookie("broadsheet_session").is_some());
}
