//! Stored HTML brought up to the renderer's rules. A post's and a comment's
//! HTML is made when they are saved, so a change to the rules (footnote ids,
//! heading levels, focusable code blocks) reaches old posts, and the welcome
//! post, only through this: start-up renders every post again, and passes
//! every comment's HTML through the rules that apply to HTML, once per
//! change of `markdown::MARKUP_VERSION`.

use diesel::prelude::*;

use crate::db::{self, Conn};
use crate::error::AppError;
use crate::markdown;
use crate::models::media::Media;
use crate::models::post::PostFormat;
use crate::models::server_key;
use crate::schema::{comments, posts};

/// Where the version the stored HTML was made by is kept.
const KEY: &str = "markup_version";

/// Rows read and written at a time: each batch is one short write, so
/// readers and other writers are held back only for a moment.
const BATCH: i64 = 200;

/// Renders again every post and comment whose HTML an older renderer made;
/// returns how many rows changed. Call it with a connection of its own, at
/// start-up: rendering happens between the batches' writes.
pub fn rerender_stale(conn: &mut Conn) -> Result<usize, AppError> {
    let current = markdown::MARKUP_VERSION.to_string();
    if server_key::get(conn, KEY)?.as_deref() == Some(current.as_str()) {
        return Ok(0);
    }
    let started = std::time::Instant::now();
    let mut changed = 0;
    let mut after = 0;
    loop {
        let batch: Vec<(i32, String, PostFormat, String)> = posts::table
            .filter(posts::id.gt(after))
            .order(posts::id)
            .limit(BATCH)
            .select((posts::id, posts::body, posts::format, posts::body_html))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        let mut updates = Vec::new();
        for (id, body, format, old) in batch {
            let pictures = Media::pictures(conn, &markdown::media_paths(&body))?;
            let html = match format {
                PostFormat::Markdown => markdown::render_post_with(&body, &pictures).html,
                PostFormat::Html => markdown::render_html_post(&body, &pictures).html,
            };
            if html != old {
                updates.push((id, html));
            }
        }
        changed += updates.len();
        db::write_with(conn, move |conn| {
            for (id, html) in &updates {
                diesel::update(posts::table.find(id))
                    .set(posts::body_html.eq(html))
                    .execute(conn)?;
            }
            Ok(())
        })?;
    }
    let mut after = 0;
    loop {
        let batch: Vec<(i32, String)> = comments::table
            .filter(comments::id.gt(after))
            .order(comments::id)
            .limit(BATCH * 5)
            .select((comments::id, comments::body_html))
            .load(conn)?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        let updates: Vec<(i32, String)> = batch
            .into_iter()
            .filter_map(|(id, old)| {
                let html = markdown::upgrade_comment_html(&old);
                (html != old).then_some((id, html))
            })
            .collect();
        changed += updates.len();
        db::write_with(conn, move |conn| {
            for (id, html) in &updates {
                diesel::update(comments::table.find(id))
                    .set(comments::body_html.eq(html))
                    .execute(conn)?;
            }
            Ok(())
        })?;
    }
    db::write_with(conn, |conn| Ok(server_key::set(conn, KEY, &current)?))?;
    if changed > 0 {
        tracing::info!(
            rows = changed,
            ms = started.elapsed().as_millis() as u64,
            "stored HTML rendered again by the current rules"
        );
    }
    Ok(changed)
}
