//! Tags and the post_tags links.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::Conn;

use diesel::sql_types::{Integer, Text};

use crate::models::{PostKind, PostStatus};
use crate::schema::{post_tags, posts, tags};
use crate::slug::slugify;

#[derive(Queryable, Selectable, Identifiable, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
    pub slug: String,
}

/// A tag with the number of posts readers can see under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagCount {
    pub name: String,
    pub slug: String,
    pub count: i64,
}

impl Tag {
    /// The `limit` tags with the most visible posts, most first (then by name).
    ///
    /// Served by indexes: the trigger-kept `post_count` (scheduled posts
    /// included) in its index order, less the few scheduled posts not yet due.
    /// Reading `limit` + (tags with such posts) rows by count is enough: at
    /// least `limit` of them need no correction, and no tag further down can
    /// climb past those.
    pub fn popular(conn: &mut Conn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<TagCount>> {
        let scheduled = scheduled_counts(conn, now)?;
        let rows: Vec<(Tag, i32)> = tags::table
            .filter(tags::post_count.gt(0))
            .order((tags::post_count.desc(), tags::name.asc()))
            .limit(limit + scheduled.len() as i64)
            .select((Tag::as_select(), tags::post_count))
            .load(conn)?;
        let mut counted = visible_counts(rows, &scheduled);
        counted.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        counted.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(counted)
    }

    /// Every tag with a visible post, by name, with its count: the tags
    /// index page. Read from `tags_listed`, the index of the tags whose
    /// trigger-kept count is above 0 (the condition is written out so SQLite
    /// can use it), less the scheduled posts not yet due; tags of drafts,
    /// scheduled posts and pages alone stay out.
    pub fn listed(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<Vec<TagCount>> {
        let scheduled = scheduled_counts(conn, now)?;
        let rows: Vec<ListedTag> = diesel::sql_query(
            "SELECT id, name, slug, post_count FROM tags WHERE post_count > 0 ORDER BY name",
        )
        .load(conn)?;
        let rows = rows
            .into_iter()
            .map(|r| {
                let tag = Tag {
                    id: r.id,
                    name: r.name,
                    slug: r.slug,
                };
                (tag, r.post_count)
            })
            .collect();
        Ok(visible_counts(rows, &scheduled))
    }

    /// Up to `limit` tags with ids above `after`, by id (the export).
    pub fn batch(conn: &mut Conn, after: i32, limit: i64) -> QueryResult<Vec<Tag>> {
        tags::table
            .filter(tags::id.gt(after))
            .order(tags::id.asc())
            .limit(limit)
            .select(Tag::as_select())
            .load(conn)
    }

    pub fn find_by_slug(conn: &mut Conn, slug: &str) -> QueryResult<Option<Tag>> {
        tags::table
            .filter(tags::slug.eq(slug))
            .select(Tag::as_select())
            .first(conn)
            .optional()
    }

    /// A tag by slug, only while a published post that is already due
    /// carries it: tags of drafts and scheduled posts stay unannounced.
    pub fn find_visible_by_slug(
        conn: &mut Conn,
        slug: &str,
        now: NaiveDateTime,
    ) -> QueryResult<Option<Tag>> {
        tags::table
            .filter(tags::slug.eq(slug))
            .filter(diesel::dsl::exists(
                post_tags::table
                    .filter(post_tags::tag_id.eq(tags::id))
                    .filter(post_tags::published_at.le(now)),
            ))
            .select(Tag::as_select())
            .first(conn)
            .optional()
    }

    /// The tag with this name (any case), created when new.
    pub fn find_or_create(conn: &mut Conn, name: &str) -> QueryResult<Tag> {
        if let Some(tag) = tags::table
            .filter(tags::name.eq(name))
            .select(Tag::as_select())
            .first(conn)
            .optional()?
        {
            return Ok(tag);
        }
        let base = slugify(name);
        let base = if base.is_empty() {
            "tag".to_string()
        } else {
            base
        };
        let mut slug = base.clone();
        let mut n = 2;
        while diesel::select(diesel::dsl::exists(
            tags::table.filter(tags::slug.eq(&slug)),
        ))
        .get_result(conn)?
        {
            slug = format!("{base}-{n}");
            n += 1;
        }
        crate::each_backend!(conn, c => diesel::insert_into(tags::table)
            .values((tags::name.eq(name), tags::slug.eq(&slug)))
            .returning(Tag::as_returning())
            .get_result(c))
    }

    /// Replaces a post's tags with these names (deduplicated without regard
    /// to case), keeping their order.
    pub fn set_for_post(conn: &mut Conn, post_id: i32, names: &[String]) -> QueryResult<()> {
        diesel::delete(post_tags::table.filter(post_tags::post_id.eq(post_id))).execute(conn)?;
        let mut seen = Vec::new();
        for name in names {
            let tag = Tag::find_or_create(conn, name)?;
            if !seen.contains(&tag.id) {
                let position = i32::try_from(seen.len()).unwrap_or(i32::MAX);
                seen.push(tag.id);
                diesel::insert_into(post_tags::table)
                    .values((
                        post_tags::post_id.eq(post_id),
                        post_tags::tag_id.eq(tag.id),
                        post_tags::position.eq(position),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }

    /// The tags of each of these posts, in the order they were typed (links
    /// older than that order go by name).
    pub fn for_posts(conn: &mut Conn, post_ids: &[i32]) -> QueryResult<HashMap<i32, Vec<Tag>>> {
        let rows: Vec<(i32, Tag)> = post_tags::table
            .inner_join(tags::table)
            .filter(post_tags::post_id.eq_any(post_ids))
            .order((post_tags::position.asc(), tags::name.asc()))
            .select((post_tags::post_id, Tag::as_select()))
            .load(conn)?;
        let mut map: HashMap<i32, Vec<Tag>> = HashMap::new();
        for (post_id, tag) in rows {
            map.entry(post_id).or_default().push(tag);
        }
        Ok(map)
    }
}

#[derive(QueryableByName)]
struct ListedTag {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = Integer)]
    post_count: i32,
}

/// Per tag, the published posts not yet due: counted in `post_count`, not
/// yet shown. Few, from the posts' index of scheduled times.
fn scheduled_counts(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<HashMap<i32, i64>> {
    let rows: Vec<(i32, i64)> = posts::table
        .inner_join(post_tags::table)
        .filter(posts::kind.eq(PostKind::Post))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.gt(now))
        .group_by(post_tags::tag_id)
        .select((post_tags::tag_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Tags with their trigger-kept counts less the posts not yet due; those
/// left with none are dropped.
fn visible_counts(rows: Vec<(Tag, i32)>, scheduled: &HashMap<i32, i64>) -> Vec<TagCount> {
    rows.into_iter()
        .map(|(tag, count)| TagCount {
            count: i64::from(count) - scheduled.get(&tag.id).copied().unwrap_or(0),
            name: tag.name,
            slug: tag.slug,
        })
        .filter(|t| t.count > 0)
        .collect()
}

/// Most tags a post may carry, and most characters in one.
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_CHARS: usize = 50;

/// Splits a comma-separated tag field into trimmed, non-empty names,
/// deduplicated without regard to case. Stops once it has more than
/// [`MAX_TAGS`] names, and cuts a name past [`MAX_TAG_CHARS`] + 1 characters,
/// so a field of any size costs little and still shows as too many or too long.
pub fn parse_tag_list(field: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for part in field.split(',') {
        let mut name = String::new();
        for word in part.split_whitespace() {
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(word);
            if name.len() > 4 * (MAX_TAG_CHARS + 1) {
                break;
            }
        }
        if name.chars().count() > MAX_TAG_CHARS {
            name = name.chars().take(MAX_TAG_CHARS + 1).collect();
        }
        if !name.is_empty() && seen.insert(name.to_lowercase()) {
            names.push(name);
            if names.len() > MAX_TAGS {
                break;
            }
        }
    }
    names
}
