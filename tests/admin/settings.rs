//! Site settings (routes/admin/settings.rs).

use super::*;

#[actix_web::test]
async fn settings_changes_show_on_the_public_site_and_bad_input_is_refused() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Older piece", "a", 2);
    app.post("Newer piece", "b", 1);
    let svc = test::init_service(build_app(app.state())).await;
    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let form = b.get(&svc, "/admin/settings").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.contains(r#"value="Broadsheet""#));
    assert!(form.contains(r#"value="first_comment_held" checked"#));

    let res = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &[
                ("title", "The Harbour Gazette"),
                ("description", "Port news daily"),
                ("posts_per_page", "1"),
                ("comment_policy", "all_held"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/admin/settings");
    assert!(b
        .get(&svc, "/admin/settings")
        .await
        .contains("Settings saved."));
    let home = b.get(&svc, "/").await;
    assert!(home.contains("The Harbour Gazette") && home.contains("Port news daily"));
    assert!(home.contains("Newer piece") && !home.contains("Older piece"));
    assert!(home.contains("Older posts"));
    let settings = Settings::load(&mut app.conn()).unwrap();
    assert_eq!(settings.comment_policy.as_str(), "all_held");

    let cases: [(&str, &str, &str); 5] = [
        ("title", "  ", "Give the site a title"),
        ("posts_per_page", "0", "from 1 to 100"),
        ("posts_per_page", "many", "from 1 to 100"),
        ("posts_per_page", "101", "from 1 to 100"),
        (
            "comment_policy",
            "anything",
            "Choose one of the comment policies.",
        ),
    ];
    for (field, value, message) in cases {
        let mut fields = vec![
            ("title", "Kept title"),
            ("description", "Kept description"),
            ("posts_per_page", "5"),
            ("comment_policy", "open"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let res = b
            .submit(&svc, "/admin/settings", "/admin/settings", &fields)
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(res.contains(message), "“{message}” for {field}");
        assert!(res.contains(&format!(r#"id="{field}-error""#)));
        assert!(res.contains("Kept description"), "input kept");
    }
    assert_eq!(
        Settings::load(&mut app.conn()).unwrap().title,
        "The Harbour Gazette",
        "nothing saved from bad forms"
    );
}
