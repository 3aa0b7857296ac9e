// @generated shape: matches migrations/sqlite/ and migrations/postgres/ (as `diesel print-schema` would write it).

diesel::table! {
    archive_months (month) {
        month -> Text,
        count -> Integer,
    }
}

diesel::table! {
    comments (id) {
        id -> Integer,
        post_id -> Integer,
        author_id -> Nullable<Integer>,
        parent_id -> Nullable<Integer>,
        body -> Text,
        body_html -> Text,
        status -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
        guest_name -> Text,
        guest_website -> Text,
        guest_email -> Text,
    }
}

diesel::table! {
    import_jobs (id) {
        id -> Integer,
        file_name -> Text,
        status -> Text,
        bytes_total -> BigInt,
        bytes_read -> BigInt,
        items_done -> Integer,
        report -> Text,
        started_by -> Nullable<Integer>,
        created_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        heartbeat_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    imported (source, kind, source_id) {
        source -> Text,
        kind -> Text,
        source_id -> Text,
        local_id -> Integer,
        source_parent -> Nullable<Text>,
    }
}

diesel::table! {
    media (id) {
        id -> Integer,
        hash -> Text,
        stem -> Text,
        format -> Text,
        width -> Integer,
        height -> Integer,
        bytes -> BigInt,
        variants -> Text,
        alt -> Text,
        original_name -> Text,
        uploaded_by -> Nullable<Integer>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    post_media (post_id, media_id) {
        post_id -> Integer,
        media_id -> Integer,
    }
}

diesel::table! {
    post_tags (post_id, tag_id) {
        post_id -> Integer,
        tag_id -> Integer,
        published_at -> Nullable<Timestamp>,
        position -> Integer,
    }
}

diesel::table! {
    posts (id) {
        id -> Integer,
        slug -> Text,
        title -> Text,
        dateline -> Text,
        body -> Text,
        body_html -> Text,
        excerpt -> Text,
        word_count -> Integer,
        status -> Text,
        published_at -> Nullable<Timestamp>,
        author_id -> Nullable<Integer>,
        comments_enabled -> Bool,
        comment_count -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        kind -> Text,
        cover_media_id -> Nullable<Integer>,
        custom_excerpt -> Text,
        search_description -> Text,
        format -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    rate_limits (bucket, key) {
        bucket -> Text,
        key -> Text,
        tat -> BigInt,
    }
}

diesel::table! {
    redirects (id) {
        id -> Integer,
        from_path -> Text,
        to_path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    server_keys (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    settings (id) {
        id -> Integer,
        title -> Text,
        description -> Text,
        posts_per_page -> Integer,
        comment_policy -> Text,
        menu -> Text,
        icon_media_id -> Nullable<Integer>,
    }
}

diesel::table! {
    site_version (id) {
        id -> Integer,
        version -> BigInt,
        auth_version -> BigInt,
    }
}

diesel::table! {
    tags (id) {
        id -> Integer,
        name -> Text,
        slug -> Text,
        post_count -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        display_skeleton -> Nullable<Text>,
        username_skeleton -> Nullable<Text>,
    }
}

diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(media -> users (uploaded_by));
diesel::joinable!(post_media -> media (media_id));
diesel::joinable!(post_media -> posts (post_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(post_tags -> tags (tag_id));
diesel::joinable!(posts -> media (cover_media_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(sessions -> users (user_id));

diesel::joinable!(import_jobs -> users (started_by));

diesel::allow_tables_to_appear_in_same_query!(
    archive_months,
    comments,
    import_jobs,
    imported,
    media,
    post_media,
    post_tags,
    posts,
    rate_limits,
    redirects,
    server_keys,
    sessions,
    settings,
    site_version,
    tags,
    users,
);
