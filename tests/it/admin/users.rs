//! Users and roles (routes/admin/users.rs).

use super::*;

#[actix_web::test]
async fn an_admin_changes_roles_and_a_disabled_user_is_signed_out_at_once() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    let sam = app.user("sam", Role::Commenter);
    let post = app.post("Census", "Counting.", 1);
    comment(&app, &post, &sam, "One", "approved");
    comment(&app, &post, &sam, "Two", "pending");
    let svc = app.service().await;
    let mut admin = Browser::new();
    admin.login(&svc, &app, "editor").await;
    let mut sams = Browser::new();
    sams.login(&svc, &app, "sam").await;
    assert_eq!(
        sams.get(&svc, "/admin/posts/new").await.status,
        StatusCode::FORBIDDEN
    );

    let users = admin.get(&svc, "/admin/users").await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(users.contains("@sam"));
    assert!(users.contains(r#"<td data-label="Comments" class="num">2</td>"#));
    assert!(users.contains(r#"<span class="badge badge-active">active</span>"#));

    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", sam.id),
            &[("role", "author")],
        )
        .await;
    assert_eq!(res.location(), "/admin/users");
    assert!(admin
        .get(&svc, "/admin/users")
        .await
        .contains("sam is now an author."));
    assert_eq!(user_named(&app, "sam").role.as_str(), "author");
    assert_eq!(
        sams.get(&svc, "/admin/posts/new").await.status,
        StatusCode::OK,
        "the new role counts at once"
    );

    // A role that does not exist changes nothing: the list again, 422,
    // the refusal named beside sam's own role form.
    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", sam.id),
            &[("role", "owner")],
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains("<h1>Users</h1>"), "the users page again");
    assert!(res.contains("The role was not changed."));
    assert!(res.contains("“owner” is not a role: choose admin, author, commenter."));
    assert!(res.contains(&format!(r#"aria-describedby="role-{}-error""#, sam.id)));
    assert!(res.contains("@sam"));
    assert_eq!(user_named(&app, "sam").role.as_str(), "author");

    let res = admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/disable", sam.id),
            &[],
        )
        .await;
    assert_eq!(res.location(), "/admin/users");
    let users = admin.get(&svc, "/admin/users").await;
    assert!(users.contains("sam is disabled"));
    assert!(users.contains(r#"<span class="badge badge-disabled">disabled</span>"#));
    assert!(user_named(&app, "sam").disabled);
    let sessions: i64 = {
        use broadsheet::schema::sessions;
        sessions::table
            .filter(sessions::user_id.eq(sam.id))
            .count()
            .get_result(&mut *app.conn())
            .unwrap()
    };
    assert_eq!(sessions, 0, "their sessions ended");
    let res = sams.get(&svc, "/admin/posts/new").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert!(res.location().starts_with("/login?next="));

    admin
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/enable", sam.id),
            &[],
        )
        .await;
    assert!(!user_named(&app, "sam").disabled);
    let mut again = Browser::new();
    again.login(&svc, &app, "sam").await;
    assert_eq!(
        again.get(&svc, "/admin/posts/new").await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn the_last_admin_cannot_demote_or_disable_themselves() {
    let app = TestApp::new();
    let me = app.user("editor", Role::Admin);
    let svc = app.service().await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    for (to, fields) in [
        (
            format!("/admin/users/{}/role", me.id),
            vec![("role", "author")],
        ),
        (
            format!("/admin/users/{}/role", me.id),
            vec![("role", "commenter")],
        ),
        (format!("/admin/users/{}/disable", me.id), vec![]),
    ] {
        let res = b.submit(&svc, "/admin/users", &to, &fields).await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{to}");
        assert_eq!(res.location(), "/admin/users");
        let page = b.get(&svc, "/admin/users").await;
        assert_eq!(page.status, StatusCode::OK, "still an admin after {to}");
        assert!(page.contains("The site needs an enabled admin"));
    }
    let me_now = user_named(&app, "editor");
    assert_eq!(me_now.role.as_str(), "admin");
    assert!(!me_now.disabled);

    // With a second admin, stepping down is allowed.
    app.user("deputy", Role::Admin);
    let res = b
        .submit(
            &svc,
            "/admin/users",
            &format!("/admin/users/{}/role", me.id),
            &[("role", "author")],
        )
        .await;
    assert_eq!(res.location(), "/admin");
    assert_eq!(user_named(&app, "editor").role.as_str(), "author");
    let dashboard = b.get(&svc, "/admin").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.contains("You are now an author."));
    assert_eq!(User::count_admins(&mut app.conn()).unwrap(), 1);
}
