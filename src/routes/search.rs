//! Search: `/search?q=…`, ranked, with highlighted snippets.

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Visitor;
use crate::db;
use crate::error::AppError;
use crate::models::paging::Paging;
use crate::models::search::{self, SearchResults};
use crate::routes::PageNumber;
use crate::state::AppState;
use crate::view::{self, page_path, render, Layout, Pager};

/// Longer queries are cut (only `search::MAX_WORDS` words count anyway).
const MAX_QUERY_CHARS: usize = 200;

#[derive(serde::Deserialize, Debug, Default)]
pub struct SearchParams {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "search/search.html")]
pub struct SearchPage {
    layout: Layout,
    query: String,
    /// Whether the query had any words to look for.
    searched: bool,
    results: SearchResults,
    pager: Pager,
}

impl SearchPage {
    fn count_label(&self) -> String {
        if self.results.total > crate::models::search::COUNT_LIMIT {
            format!("More than {} results", crate::models::search::COUNT_LIMIT)
        } else {
            view::plural(self.results.total, "result", "results")
        }
    }
}

pub async fn search(
    state: web::Data<AppState>,
    visitor: Visitor,
    params: web::Query<SearchParams>,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let params = params.into_inner();
    let query: String = params
        .q
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let words = search::words(&query);
    let searched = !words.is_empty();
    let settings = state.cache.settings(&state.pool).await?;
    let paging = Paging::new(page, i64::from(settings.posts_per_page));
    // An empty query looks nothing up: it needs no turn.
    let turn = if searched {
        Some(state.searches.turn().await?)
    } else {
        None
    };
    let now = state.now();
    let results = db::run(&state.pool, move |conn| {
        search::search_bounded(conn, &words, now, paging).map_err(|e| {
            if search::ran_too_long(&e) {
                AppError::SearchBusy
            } else {
                AppError::from(e)
            }
        })
    })
    .await?;
    drop(turn);
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
    render(&SearchPage {
        layout,
        query,
        searched,
        pager: Pager::new(&base, page, results.more),
        results,
    })
}
