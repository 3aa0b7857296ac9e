//! Site settings (routes/admin/settings.rs).

use super::*;

#[actix_web::test]
async fn settings_changes_show_on_the_public_site_and_bad_input_is_refused() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.post("Older piece", "a", 2);
    app.post("Newer piece", "b", 1);
    let svc = app.service().await;
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

/// The links of the header's menu, in order: (label, href, marked current).
fn header_menu(body: &str) -> Vec<(String, String, bool)> {
    let start = body
        .find(r#"<ul class="nav-links">"#)
        .expect("a header menu");
    let list = &body[start..start + body[start..].find("</ul>").unwrap()];
    list.split("<li><a href=\"")
        .skip(1)
        .map(|item| {
            let href = &item[..item.find('"').unwrap()];
            let label_at = item.find('>').unwrap() + 1;
            let label = &item[label_at..item.find("</a>").unwrap()];
            (
                label.to_string(),
                href.to_string(),
                item.contains(r#"aria-current="page""#),
            )
        })
        .collect()
}

fn menu_fields(menu: &str) -> Vec<(&str, &str)> {
    vec![
        ("title", "Broadsheet"),
        ("description", "News"),
        ("posts_per_page", "10"),
        ("comment_policy", "open"),
        ("menu", menu),
    ]
}

#[actix_web::test]
async fn the_menu_in_settings_replaces_home_and_archive_in_the_owners_order() {
    let app = TestApp::new();
    app.user("editor", Role::Admin);
    app.page("About", |p| p.slug = "about".into());
    let svc = app.service().await;
    let mut reader = Browser::new();
    let owned = |items: Vec<(&str, &str, bool)>| -> Vec<(String, String, bool)> {
        items
            .into_iter()
            .map(|(l, h, c)| (l.to_string(), h.to_string(), c))
            .collect()
    };

    // The default pair, as before; the page being read is marked.
    let home = reader.get(&svc, "/").await;
    assert!(home.contains(r#"<li><a href="/archive">Archive</a></li>"#));
    assert_eq!(
        header_menu(&home.body),
        owned(vec![("Home", "/", true), ("Archive", "/archive", false)])
    );
    assert_eq!(
        header_menu(&reader.get(&svc, "/about").await.body),
        owned(vec![("Home", "/", false), ("Archive", "/archive", false)])
    );

    let mut b = Browser::new();
    b.login(&svc, &app, "editor").await;
    let form = b.get(&svc, "/admin/settings").await;
    assert!(form.contains(r#"<textarea id="menu" name="menu""#));
    let menu = "About us | /about\r\nArchive | /archive\r\n\r\nOur code | https://example.com/code?x=1&y=2";
    let res = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &menu_fields(menu),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);

    // At once for signed-out readers too, whose pages were cached.
    let about = reader.get(&svc, "/about").await;
    assert_eq!(
        header_menu(&about.body),
        owned(vec![
            ("About us", "/about", true),
            ("Archive", "/archive", false),
            ("Our code", "https://example.com/code?x=1&#38;y=2", false),
        ])
    );
    let home = reader.get(&svc, "/").await;
    assert!(
        !home.contains(r#"<li><a href="/">Home</a></li>"#),
        "Home is gone from the menu"
    );
    assert!(
        home.contains(r#"<a href="/">Home</a> · "#),
        "the footer keeps it"
    );
    let form = b.get(&svc, "/admin/settings").await;
    assert!(form.contains("About us | /about\nArchive | /archive\n\nOur code | https://example.com/code?x=1&#38;y=2</textarea>"));

    // Bad lines: each named by its number, the text kept, nothing saved.
    let bad = "About us | /about\nJust a label\nScript | javascript:alert(1)\nFar | //evil.example\n | /empty";
    let res = b
        .submit(
            &svc,
            "/admin/settings",
            "/admin/settings",
            &menu_fields(bad),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.contains(r#"id="menu-error""#));
    for line in [
        "Line 2: write the item as",
        "Line 3: the address",
        "Line 4: the address",
        "Line 5: give the item a label",
    ] {
        assert!(res.contains(line), "“{line}”: {}", res.body);
    }
    assert!(!res.contains("Line 1:"));
    assert!(
        res.contains("Just a label\nScript | javascript:alert(1)"),
        "input kept"
    );
    let long_label = format!("{} | /x", "L".repeat(41));
    let many = "Item | /item\n".repeat(13);
    for (menu, says) in [
        (
            long_label.as_str(),
            "Line 1: give the item a label of 1 to 40 characters.",
        ),
        (
            many.as_str(),
            "Use at most 12 menu items; this menu has 13.",
        ),
    ] {
        let res = b
            .submit(
                &svc,
                "/admin/settings",
                "/admin/settings",
                &menu_fields(menu),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(res.contains(says), "{says}");
    }
    assert!(Settings::load(&mut app.conn())
        .unwrap()
        .menu
        .starts_with("About us | /about\n"));

    // An empty menu brings Home and Archive back.
    let res = b
        .submit(&svc, "/admin/settings", "/admin/settings", &menu_fields(""))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        header_menu(&reader.get(&svc, "/archive").await.body),
        owned(vec![("Home", "/", false), ("Archive", "/archive", true)])
    );
}
