//! One page of a list: fetch one row beyond the page, and that row only says
//! that a further page exists.

use diesel::QueryResult;

/// Which page of a list to read, counting from 1, and how long a page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

/// The rows of one page; `more` says whether a further (older) page exists.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub more: bool,
}

impl Paging {
    pub fn new(page: i64, per_page: i64) -> Paging {
        Paging { page, per_page }
    }

    /// Runs `fetch(limit, offset)`, which must apply both to its query, and
    /// keeps the page's rows: it asks for one more than a page to learn
    /// whether another page follows.
    pub fn load<T>(
        self,
        fetch: impl FnOnce(i64, i64) -> QueryResult<Vec<T>>,
    ) -> QueryResult<Paged<T>> {
        let mut items = fetch(self.per_page + 1, (self.page - 1) * self.per_page)?;
        let more = items.len() as i64 > self.per_page;
        items.truncate(usize::try_from(self.per_page).unwrap_or(0));
        Ok(Paged {
            items,
            page: self.page,
            more,
        })
    }
}

impl<T> Paged<T> {
    /// The same page with its rows turned into something else.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            more: self.more,
        }
    }

    /// The same page with all its rows replaced at once (loading what they
    /// point to, say).
    pub fn try_with<U>(
        self,
        f: impl FnOnce(Vec<T>) -> QueryResult<Vec<U>>,
    ) -> QueryResult<Paged<U>> {
        Ok(Paged {
            items: f(self.items)?,
            page: self.page,
            more: self.more,
        })
    }

    /// A page beyond the first with nothing on it: the list ended before it.
    pub fn is_past_the_end(&self) -> bool {
        self.page > 1 && self.items.is_empty()
    }
}
