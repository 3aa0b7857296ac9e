//! Writing: items made ready are written a batch per transaction, each
//! item in a savepoint; comments whose post has not come yet wait.

use super::*;

/// An entry made ready for writing: rendered, with its comments rendered.
pub(super) struct Ready {
    pub(super) source_id: String,
    pub(super) title: String,
    /// Already here: only its comments (new ones) are written.
    pub(super) existing: Option<i32>,
    pub(super) post: Option<RenderedPost>,
    pub(super) old_links: Vec<String>,
    pub(super) comments: Vec<ReadyComment>,
    pub(super) line: u64,
}

/// A comment filed apart from its post, ready for writing once the post is here.
pub(super) struct ReadyReply {
    pub(super) post_source_id: String,
    pub(super) comment: ReadyComment,
}

pub(super) struct ReadyComment {
    pub(super) source_id: String,
    pub(super) parent: Option<String>,
    pub(super) author_id: Option<i32>,
    pub(super) guest_name: String,
    pub(super) guest_website: String,
    pub(super) guest_email: String,
    pub(super) body: String,
    pub(super) body_html: String,
    pub(super) status: CommentStatus,
    pub(super) created_at: NaiveDateTime,
}

impl Import<'_> {
    /// Writes the batch: one transaction, one savepoint per item.
    pub(super) fn flush(&mut self) -> Result<(), AppError> {
        let batch = std::mem::take(&mut self.batch);
        let term_pages = std::mem::take(&mut self.term_pages);
        let replies = std::mem::take(&mut self.replies);
        self.batch_comments = 0;
        self.batch_bytes = 0;
        if batch.is_empty() && term_pages.is_empty() && replies.is_empty() {
            return Ok(());
        }
        if self.options.dry_run {
            self.report.redirects += term_pages.len() as u64;
            for ready in &batch {
                self.count(ready, ready.old_links.len() as u64);
            }
            for reply in &replies {
                self.count_comment(&reply.comment);
            }
            return Ok(());
        }
        let source = self.source.clone();
        let (terms, outcomes, placed) = self.write(|conn| {
            let mut terms = 0;
            for (from, to) in &term_pages {
                terms += u64::from(add_redirect(conn, from, to)?);
            }
            let mut outcomes = Vec::with_capacity(batch.len());
            for ready in &batch {
                let outcome = savepoint(conn, |conn| write_item(conn, &source, ready))?;
                outcomes.push(outcome);
            }
            // After the batch's posts, which the replies may be on.
            let mut placed = Vec::with_capacity(replies.len());
            for reply in &replies {
                placed.push(savepoint(conn, |conn| write_reply(conn, &source, reply))?);
            }
            Imported::link_parents(conn, &source)?;
            Ok((terms, outcomes, placed))
        })?;
        for (reply, outcome) in replies.into_iter().zip(placed) {
            match outcome {
                Ok(true) => self.count_comment(&reply.comment),
                Ok(false) => self.wait(reply),
                Err(e) => {
                    self.report.skip("comments the database refused");
                    self.report.warn(format!(
                        "comment {} was not imported: {e}",
                        reply.comment.source_id
                    ));
                }
            }
        }
        self.report.redirects += terms;
        for (ready, outcome) in batch.iter().zip(outcomes) {
            match outcome {
                Ok(redirects) => self.count(ready, redirects),
                Err(e) => {
                    self.report.skip("items the database refused");
                    self.report.warn(format!(
                        "{} (line {}) was not imported: {e}",
                        ready.title, ready.line
                    ));
                }
            }
        }
        Ok(())
    }

    /// A comment whose post is not here yet: held for the end of the file,
    /// within a bound, and after the end given up on.
    pub(super) fn wait(&mut self, reply: ReadyReply) {
        let size = reply.comment.body.len() + reply.comment.body_html.len();
        if self.finishing {
            self.report
                .skip("comments on posts that are not in the export or were not imported");
        } else if self.waiting_bytes + size > MAX_WAITING_BYTES {
            self.report.skip(
                "comments filed far ahead of their posts (run the import again to bring them in)",
            );
        } else {
            self.waiting_bytes += size;
            self.waiting.push(reply);
        }
    }

    pub(super) fn count_comment(&mut self, comment: &ReadyComment) {
        self.report.comments += 1;
        self.report.guest_comments += u64::from(comment.author_id.is_none());
    }

    pub(super) fn count(&mut self, ready: &Ready, redirects: u64) {
        if let Some(post) = &ready.post {
            match post.input.kind {
                PostKind::Post => self.report.posts += 1,
                PostKind::Page => self.report.pages += 1,
            }
        }
        self.report.redirects += redirects;
        self.report.comments += ready.comments.len() as u64;
        self.report.guest_comments += ready
            .comments
            .iter()
            .filter(|c| c.author_id.is_none())
            .count() as u64;
    }

    /// Reports the comments whose parent never came and forgets them.
    pub(super) fn finish(&mut self) -> Result<(), AppError> {
        if self.options.dry_run {
            return Ok(());
        }
        self.finishing = true;
        self.replies = std::mem::take(&mut self.waiting);
        self.waiting_bytes = 0;
        self.flush()?;
        let source = self.source.clone();
        let (orphans, total) = self.write(|conn| {
            let orphans = Imported::orphans(conn, &source, MAX_WARNINGS as i64)?;
            let total = Imported::forget_orphans(conn, &source)?;
            Ok((orphans, total))
        })?;
        for (id, parent) in &orphans {
            self.report.warn(format!(
                "comment {id} answers comment {parent}, which is not in the export; it is shown as a comment on the post"
            ));
        }
        self.report.more_warnings += (total as u64).saturating_sub(orphans.len() as u64);
        Ok(())
    }
}

/// Runs one item in a savepoint: `Ok(Err(..))` when the database refused
/// that item alone (the batch goes on without it), `Err` when the storage
/// refused the write (a full disk): SQLite has then rolled back the whole
/// transaction, so the batch stops with that cause, not with the error of
/// the savepoint's rollback ("outside of a transaction") that would follow.
pub(super) fn savepoint<T>(
    conn: &mut Conn,
    f: impl FnOnce(&mut Conn) -> Result<T, diesel::result::Error>,
) -> Result<Result<T, diesel::result::Error>, AppError> {
    let mut refused = None;
    let outcome = conn.transaction(|conn| match f(conn) {
        Err(e) if db::is_storage_failure(&e) => {
            refused = Some(e);
            Err(diesel::result::Error::RollbackTransaction)
        }
        other => other,
    });
    match refused {
        Some(e) => Err(AppError::NotSaved(e)),
        None => Ok(outcome),
    }
}

/// Not a PHC string, so no password ever matches it.
pub(super) const NO_PASSWORD: &str = "!imported";

/// Writes one item inside the batch's transaction; returns the redirects added.
pub(super) fn write_item(
    conn: &mut Conn,
    source: &str,
    ready: &Ready,
) -> Result<u64, diesel::result::Error> {
    let now = models::now();
    // A new post's address, for the redirects from its old ones.
    let (post_id, path) = match (&ready.post, ready.existing) {
        (_, Some(id)) => (id, None),
        (Some(new), None) => {
            // Dated as the old site dated it (never later than now).
            let at = new.input.published_at.map_or(now, |at| at.min(now));
            let post = Post::create(conn, new, at)?;
            if !new.rendered.media_ids.is_empty() {
                Media::link_to_post(conn, post.id, &new.rendered.media_ids)?;
            }
            Imported::record(
                conn,
                source,
                ImportedKind::Post,
                &ready.source_id,
                post.id,
                None,
            )?;
            (post.id, Some(post.path()))
        }
        (None, None) => return Ok(0),
    };
    let mut redirects = 0;
    if let Some(path) = path {
        for from in &ready.old_links {
            redirects += u64::from(add_redirect(conn, from, &path)?);
        }
    }
    for c in &ready.comments {
        write_comment(conn, source, post_id, c)?;
    }
    Ok(redirects)
}

/// Writes a comment filed apart from its post; `false` when the post is
/// not here (yet).
pub(super) fn write_reply(
    conn: &mut Conn,
    source: &str,
    reply: &ReadyReply,
) -> Result<bool, diesel::result::Error> {
    let Some(post_id) =
        Imported::local_id(conn, source, ImportedKind::Post, &reply.post_source_id)?
    else {
        return Ok(false);
    };
    write_comment(conn, source, post_id, &reply.comment)?;
    Ok(true)
}

pub(super) fn write_comment(
    conn: &mut Conn,
    source: &str,
    post_id: i32,
    c: &ReadyComment,
) -> Result<(), diesel::result::Error> {
    let comment = Comment::create(
        conn,
        &NewComment {
            post_id,
            author_id: c.author_id,
            parent_id: None,
            body: &c.body,
            body_html: &c.body_html,
            status: c.status,
            created_at: c.created_at,
            guest_name: &c.guest_name,
            guest_website: &c.guest_website,
            guest_email: &c.guest_email,
        },
    )?;
    Imported::record(
        conn,
        source,
        ImportedKind::Comment,
        &c.source_id,
        comment.id,
        c.parent.as_deref(),
    )?;
    Ok(())
}

/// Adds a redirect from an old address unless the address is one this site
/// answers itself or is taken; `true` when added.
pub(super) fn add_redirect(conn: &mut Conn, from: &str, to: &str) -> QueryResult<bool> {
    let Some(from) = normalise_from(from) else {
        return Ok(false);
    };
    if from == to || from == "/" || Redirect::target(conn, &from)?.is_some() {
        return Ok(false);
    }
    Redirect::add(conn, &from, to, models::now())?;
    Ok(true)
}
