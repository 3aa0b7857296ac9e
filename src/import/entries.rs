//! Reading: each item of the export (an author, an entry, a reply) made
//! ready for a batch, rendered and checked outside the write transaction.

use super::*;

impl Import<'_> {
    pub(super) fn take(&mut self, item: Item) -> Result<(), AppError> {
        match item {
            Item::Site {
                address,
                title,
                key,
            } => {
                self.source = if key.is_empty() {
                    source_key(&address, &title)
                } else {
                    key
                };
                self.report.source = if address.is_empty() { title } else { address };
            }
            Item::Author(author) => self.author(author)?,
            Item::Entry(entry) => self.entry(*entry)?,
            Item::Reply(reply) => self.reply(*reply)?,
            Item::TermPage { path, name } => {
                let slug = slugify(&name);
                if !slug.is_empty() {
                    self.term_pages.push((path, format!("/tags/{slug}")));
                }
            }
            Item::Skipped { reason } => self.report.skip(reason),
        }
        Ok(())
    }

    /// An author of the old site: the account with their email, or a new
    /// one without a usable password.
    pub(super) fn author(&mut self, author: source::Author) -> Result<(), AppError> {
        let source = self.source.clone();
        let known = self.read(|conn| {
            if let Some(id) =
                Imported::local_id(conn, &source, ImportedKind::User, &author.source_id)?
            {
                return Ok(Some(id));
            }
            if author.email.is_empty() {
                return Ok(None);
            }
            Ok(User::id_by_email(conn, &author.email)?)
        })?;
        let id = match known {
            Some(id) => Some(id),
            None if self.report.authors >= MAX_AUTHORS => {
                self.report.skip(format!(
                    "authors beyond the first {MAX_AUTHORS} (their posts are by the editors)"
                ));
                None
            }
            None if self.options.dry_run => {
                self.report.authors += 1;
                self.report.new_accounts.push(author.login.clone());
                None
            }
            None => {
                let created = self.write(|conn| {
                    let username = free_username(conn, &author.login, &author.display_name)?;
                    let email = if author.email.is_empty() {
                        // Accounts need an address; `.invalid` is never delivered.
                        format!("{username}@imported.invalid")
                    } else {
                        author.email.clone()
                    };
                    let Some(user) = accounts::create(
                        conn,
                        &username,
                        &email,
                        NO_PASSWORD,
                        Role::Author,
                        accounts::Admins::Any,
                    )?
                    else {
                        return Ok(None);
                    };
                    let display = author.display_name.trim();
                    if !display.is_empty() && accounts::display_name_problem(display).is_none() {
                        User::set_display_name(conn, user.id, display)?;
                    }
                    Imported::record(
                        conn,
                        &source,
                        ImportedKind::User,
                        &author.source_id,
                        user.id,
                        None,
                    )?;
                    Ok(Some(user))
                })?;
                match created {
                    Some(user) => {
                        self.report.authors += 1;
                        self.report.new_accounts.push(user.username.clone());
                        Some(user.id)
                    }
                    None => {
                        self.report.warn(format!("the author {} could not be given an account; their posts are by the editors", author.login));
                        None
                    }
                }
            }
        };
        if let Some(id) = id {
            self.authors.insert(author.source_id.clone(), id);
            self.authors.insert(author.login.clone(), id);
        }
        Ok(())
    }

    pub(super) fn entry(&mut self, entry: Entry) -> Result<(), AppError> {
        let label = if entry.title.is_empty() {
            format!("item {}", entry.source_id)
        } else {
            format!("“{}”", entry.title)
        };
        if entry.status == EntryStatus::Trash {
            self.report.skip("in the trash");
            return Ok(());
        }
        for reason in &entry.skipped_comments {
            self.report.skip(*reason);
        }
        let source = self.source.clone();
        let existing = self.read(|conn| {
            Ok(Imported::local_id(
                conn,
                &source,
                ImportedKind::Post,
                &entry.source_id,
            )?)
        })?;
        let post = match existing {
            Some(_) => {
                self.report.already_here += 1;
                None
            }
            None => {
                if let Some(why) = entry.status.not_public() {
                    self.report.not_public(&label, why);
                }
                if let (EntryStatus::Scheduled, Some(at)) = (entry.status, entry.published_at) {
                    if self.report.scheduled.len() < MAX_LISTED {
                        let at = at.format("%Y-%m-%d %H:%M UTC");
                        self.report.scheduled.push(format!("{label} ({at})"));
                    }
                }
                Some(self.render(&entry, &label)?)
            }
        };
        let mut comments = Vec::new();
        for comment in &entry.comments {
            if let Some(ready) = self.comment(comment, entry.line, entry.published_at)? {
                comments.push(ready);
            }
        }
        self.batch_comments += comments.len();
        self.batch_bytes += post.as_ref().map_or(0, |p| {
            p.input.body.len() + p.rendered.html.len() + p.rendered.plain.len()
        }) + comments
            .iter()
            .map(|c| c.body.len() + c.body_html.len())
            .sum::<usize>();
        self.batch.push(Ready {
            source_id: entry.source_id.clone(),
            title: label,
            existing,
            post,
            old_links: old_links(&entry),
            comments,
            line: entry.line,
        });
        Ok(())
    }

    /// A comment filed apart from its post: written with the batch, once its
    /// post is here.
    pub(super) fn reply(&mut self, reply: Reply) -> Result<(), AppError> {
        let Some(comment) = self.comment(&reply.comment, reply.line, None)? else {
            return Ok(());
        };
        self.batch_comments += 1;
        self.batch_bytes += comment.body.len() + comment.body_html.len();
        self.replies.push(ReadyReply {
            post_source_id: reply.post_source_id,
            comment,
        });
        Ok(())
    }

    /// The post as it will be stored, rendered now, outside any transaction.
    pub(super) fn render(&mut self, entry: &Entry, label: &str) -> Result<RenderedPost, AppError> {
        let (mut body, format) = match entry.content_kind {
            Content::WordPress => (content::wordpress_html(&entry.content), PostFormat::Html),
            Content::Html => (entry.content.clone(), PostFormat::Html),
            Content::Markdown => (entry.content.clone(), PostFormat::Markdown),
        };
        if body.len() > MAX_BODY_BYTES && self.report.long_posts.len() < MAX_LISTED {
            self.report.long_posts.push(label.to_string());
        }
        let mut pictures = markdown::Pictures::new();
        if format == PostFormat::Html {
            if self.options.media_from.is_some() {
                body = self.bring_images(&body)?;
            }
            let paths = markdown::media_paths(&body);
            if !paths.is_empty() {
                pictures = self.read(|conn| Ok(Media::pictures(conn, &paths)?))?;
            }
            for src in image_sources(&body) {
                if !src.starts_with("/media/") {
                    self.report.external_images += 1;
                    if self.report.external_image_examples.len() < 3 {
                        self.report.external_image_examples.push(src);
                    }
                }
            }
        }
        if entry.sticky && self.report.sticky_posts.len() < MAX_LISTED {
            self.report.sticky_posts.push(label.to_string());
        }
        let published = matches!(
            entry.status,
            EntryStatus::Published | EntryStatus::Scheduled
        );
        if published && entry.published_at.is_none() {
            self.report.warn(format!(
                "{label} (line {}) has no date; it is published as of the import",
                entry.line
            ));
        }
        let mut slug = decoded_slug(&entry.slug);
        if entry.kind == EntryKind::Page {
            let wanted = slugify(if slug.trim().is_empty() {
                &entry.title
            } else {
                &slug
            });
            // `/admin`, `/login`…: a page there could never be reached.
            if crate::slug::is_reserved(&wanted) {
                slug = format!("{wanted}-page");
                if self.report.moved_pages.len() < MAX_LISTED {
                    self.report
                        .moved_pages
                        .push(format!("{label} (/{wanted} → /{slug})"));
                }
            }
        }
        let input = PostInput {
            kind: match entry.kind {
                EntryKind::Post => PostKind::Post,
                EntryKind::Page => PostKind::Page,
            },
            title: if entry.title.trim().is_empty() {
                "Untitled".into()
            } else {
                entry.title.trim().to_string()
            },
            slug,
            dateline: entry.dateline.clone(),
            body,
            tags: entry.tags.clone(),
            published,
            published_at: entry.published_at,
            comments_enabled: entry.comments_open,
            author_id: self.authors.get(&entry.author_login).copied(),
            cover_media_id: None,
            excerpt: entry.excerpt.clone(),
            search_description: entry.search_description.clone(),
            format,
        };
        Ok(input.render_with(&pictures))
    }

    /// A comment read from the file on `line`, dated `post_date` when it has no date.
    pub(super) fn comment(
        &mut self,
        c: &source::Comment,
        line: u64,
        post_date: Option<NaiveDateTime>,
    ) -> Result<Option<ReadyComment>, AppError> {
        let status = match c.status {
            source::CommentStatus::Approved => CommentStatus::Approved,
            source::CommentStatus::Held => CommentStatus::Pending,
            source::CommentStatus::Spam => CommentStatus::Spam,
            source::CommentStatus::Trash => {
                self.report.skip("comments in the trash");
                return Ok(None);
            }
        };
        if c.source_id.is_empty() {
            self.report.skip("comments without an id");
            return Ok(None);
        }
        let source = self.source.clone();
        let here = self.read(|conn| {
            Ok(Imported::local_id(
                conn,
                &source,
                ImportedKind::Comment,
                &c.source_id,
            )?)
        })?;
        if here.is_some() {
            self.report.already_here += 1;
            return Ok(None);
        }
        let mut author_id = c
            .author_account
            .as_ref()
            .and_then(|account| self.authors.get(account).copied());
        let email = c.author_email.trim().to_lowercase();
        if author_id.is_none() && !email.is_empty() {
            author_id = match self.emails.get(&email) {
                Some(found) => *found,
                None => {
                    let found = self.read(|conn| Ok(User::id_by_email(conn, &email)?))?;
                    if self.emails.len() > 100_000 {
                        self.emails.clear();
                    }
                    self.emails.insert(email.clone(), found);
                    found
                }
            };
        }
        let created_at = match c.created_at {
            Some(at) => at,
            None => {
                self.report.warn(format!(
                    "comment {} on line {} has no date; it is dated as its post",
                    c.source_id, line
                ));
                post_date.unwrap_or_else(models::now)
            }
        };
        let (body, body_html) = match c.content_kind {
            Content::Markdown => {
                let text = crate::models::comment::CommentText::render(&c.content);
                (text.body, text.html)
            }
            Content::WordPress | Content::Html => {
                let html = content::autop(c.content.trim());
                (
                    c.content.trim().to_string(),
                    markdown::render_comment_html(&html),
                )
            }
        };
        let guest_name = if author_id.is_some() {
            String::new()
        } else if c.author_name.trim().is_empty() {
            "Anonymous".into()
        } else {
            c.author_name.trim().chars().take(100).collect()
        };
        Ok(Some(ReadyComment {
            source_id: c.source_id.clone(),
            parent: c.parent_source_id.clone(),
            author_id,
            guest_website: if author_id.is_some() {
                String::new()
            } else {
                c.author_url.trim().to_string()
            },
            guest_email: if author_id.is_some() {
                String::new()
            } else {
                email
            },
            guest_name,
            body,
            body_html,
            status,
            created_at,
        }))
    }
}

/// The old addresses of an entry that can be redirects: paths and http(s) URLs.
pub(super) fn old_links(entry: &Entry) -> Vec<String> {
    entry
        .old_links
        .iter()
        .filter(|l| l.starts_with('/') || l.starts_with("http://") || l.starts_with("https://"))
        .cloned()
        .collect()
}

/// An import's key for the site it came from: the address without scheme
/// or trailing slash, else the title.
pub(super) fn source_key(address: &str, title: &str) -> String {
    let key = address
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_lowercase();
    if key.is_empty() {
        format!("untitled:{}", title.trim())
    } else {
        key
    }
}

/// WordPress stores non-ASCII slugs percent-encoded.
pub(super) fn decoded_slug(slug: &str) -> String {
    urlencoding::decode(slug)
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| slug.to_string())
}

/// A username for an old site's author: their login if it is free and fits
/// the rules, else made from it (or the display name), numbered if taken.
pub(super) fn free_username(
    conn: &mut Conn,
    login: &str,
    display: &str,
) -> Result<String, AppError> {
    let cleaned = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '-'
                }
            })
            .collect::<String>()
            .trim_matches('-')
            .chars()
            .take(28)
            .collect()
    };
    let mut base = cleaned(login);
    if base.chars().count() < 3 {
        base = cleaned(&slugify(display));
    }
    if base.chars().count() < 3 {
        base = "author".into();
    }
    let mut name = base.clone();
    let mut n = 2;
    while User::username_taken(conn, &name)? {
        name = format!("{base}-{n}");
        n += 1;
    }
    Ok(name)
}
