//! Finding things: search.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Visitor;
use crate::error::AppError;
use crate::models::search::{self, SearchPage};
use crate::models::{self, Settings};
use crate::routes::public::{page_path, Pager};
use crate::routes::{page_number, PageQuery};
use crate::view::{self, render, Layout};
use crate::{db, AppState};

/// Longer queries are cut (only `search::MAX_WORDS` words count anyway).
const MAX_QUERY_CHARS: usize = 200;

#[derive(serde::Deserialize, Debug, Default)]
pub struct SearchParams {
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "find/search.html")]
pub struct SearchView {
    layout: Layout,
    query: String,
    /// Whether the query had any words to look for.
    searched: bool,
    results: SearchPage,
    pager: Pager,
}

impl SearchView {
    fn count_label(&self) -> String {
        view::plural(self.results.total, "result", "results")
    }
}

pub async fn search(
    state: web::Data<AppState>,
    visitor: Visitor,
    params: web::Query<SearchParams>,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let page = page_number(&PageQuery { page: params.page })?;
    let query: String = params
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let words = search::words(&query);
    let searched = !words.is_empty();
    let (settings, results) = db::run(&state.pool, move |conn| {
        let settings = Settings::load(conn)?;
        let per_page = i64::from(settings.posts_per_page);
        let results = search::search(conn, &words, models::now(), page, per_page)?;
        Ok((settings, results))
    })
    .await?;
    if page > 1 && results.hits.is_empty() {
        return Err(AppError::NotFound);
    }
    let (title, base) = if query.is_empty() {
        ("Search".to_string(), "/search".to_string())
    } else {
        (
            format!("Search: {query}"),
            format!("/search?q={}", urlencoding::encode(&query)),
        )
    };
    let mut layout = Layout::new(&visitor, &settings, title)
        .described(&format!("Search the posts of {}", settings.title))
        .at(&state.config.base_url(), &page_path(&base, page));
    layout.search_query = query.clone();
    render(&SearchView {
        layout,
        query,
        searched,
        pager: Pager::new(&base, page, results.more),
        results,
    })
}
