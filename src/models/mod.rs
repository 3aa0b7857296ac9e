//! One file per table, each with its queries. Models know nothing of HTTP.

/// A closed set of states kept in a TEXT column: the enum, `ALL`, `as_str`
/// (the stored name), `parse`, and the diesel mapping both ways, so that
/// queries filter with variants and no code compares the stored strings.
/// (crates.io's `pg_enum!` does this for integers on PostgreSQL.)
macro_rules! text_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name stored in the database (and used in forms and URLs).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// The variant stored (or submitted) as `text`; `None` for anything else.
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $( $text => Some($name::$variant), )+
                    _ => None,
                }
            }
        }

        // For every backend that stores text (SQLite, PostgreSQL and the
        // connection that is either).
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, DB>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(value: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    DB,
                >>::from_sql(value)?;
                $name::parse(&text).ok_or_else(|| {
                    format!("unknown {} {:?} in the database", stringify!($name), text).into()
                })
            }
        }
    };
}

pub mod comment;
pub mod import_job;
pub mod imported;
pub mod media;
pub mod paging;
pub mod post;
pub mod redirect;
pub mod search;
pub mod server_key;
pub mod session;
pub mod setting;
pub mod site_version;
pub mod sitemap;
pub mod tag;
pub mod user;

pub use comment::{Comment, CommentStatus};
pub use post::{Post, PostKind, PostStatus};
pub use session::Session;
pub use setting::{CommentPolicy, Settings};
pub use tag::Tag;
pub use user::{Role, User};

/// The system's current time as stored: UTC without a zone, whole seconds.
/// A request goes by the site's clock instead (`AppState::now`).
pub fn now() -> chrono::NaiveDateTime {
    crate::clock::Clock::default().now()
}

/// What `db::open` does to a database it has just migrated: a new blog gets
/// its welcome post, and the search index its text once.
pub const FILL: crate::db::Fill = crate::db::Fill {
    seed: post::seed_welcome,
    reindex: search::reindex_all,
};
