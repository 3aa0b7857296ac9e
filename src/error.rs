//! The one error type. Handlers return `Result<_, AppError>` and use `?`;
//! `middleware::error_pages` turns an error answer into a page in the site's layout.

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

/// What a person is told when their change could not be written.
pub const NOT_SAVED: &str = "Your change was not saved: the server could not write to its \
    database just now. Nothing was changed. Please try again in a moment.";

/// What a 503 answer asks a client to wait before trying again, in seconds:
/// a database restart or a burst of searches is usually over by then.
pub const RETRY_AFTER_S: u32 = 5;

/// A form's fields as the browser sent them, kept (after its CSRF check) in
/// the request's extensions, so that when the form is refused for want of
/// its database and its handler could not show it again, the error page
/// gives back what was typed (`middleware::error_pages`).
#[derive(Debug, Clone)]
pub struct SentForm(pub actix_web::web::Bytes);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    BadRequest(String),
    #[error("sign-in required")]
    LoginRequired { next: String },
    #[error("forbidden")]
    Forbidden,
    #[error("this form has expired or did not come from this site; go back, reload the page and try again")]
    Csrf,
    #[error("{0}")]
    TooManyRequests(String),
    #[error("the request is too large")]
    PayloadTooLarge,
    /// An upload over its limits, said in the person's terms.
    #[error("{0}")]
    UploadTooLarge(String),
    /// An image's files could not be written to the media store.
    #[error("the media store refused the image: {0}")]
    FilesNotSaved(#[source] StoreError),
    /// The media bucket could not be read (unreachable, too slow, or every
    /// fetch slot taken).
    #[error("the media store could not be read: {0}")]
    MediaUnavailable(#[source] StoreError),
    /// Another upload holds the slot this one waited for.
    #[error("busy")]
    Busy,
    /// Every search slot is taken and the wait for one ran out.
    #[error("too many searches at once")]
    SearchBusy,
    /// Another export is being built: one runs at a time.
    #[error("an export is already running")]
    ExportRunning,
    /// An export stopped: the database could not be read (`From<ExportError>`
    /// is in `export`)...
    #[error("cannot read the database: {0}")]
    ExportNotRead(#[source] diesel::result::Error),
    /// ... or the file could not be written.
    #[error("cannot write the export: {0}")]
    ExportNotWritten(#[source] std::io::Error),
    #[error("the form arrived too slowly; please send it again")]
    RequestTimeout,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    /// The storage refused a write (disk full, read-only, I/O error, a lock
    /// never freed): nothing of the change was kept.
    #[error("the change was not saved: {0}")]
    NotSaved(#[source] diesel::result::Error),
    /// A write's code panicked (a bug): its transaction was abandoned.
    #[error("the change failed inside the server")]
    WriteFailed,
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error("migrations failed: {0}")]
    Migration(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    R2d2(#[from] diesel::r2d2::Error),
    #[error(transparent)]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error(transparent)]
    Template(#[from] askama::Error),
    /// A cookie the server built could not go into the response's headers.
    #[error("the cookie could not be set: {0}")]
    Cookie(#[source] actix_web::error::HttpError),
    #[error("password hashing failed: {0}")]
    Hashing(#[source] argon2::password_hash::Error),
    /// The queue for password hashing was closed.
    #[error("password hashing stopped: {0}")]
    HashingStopped(#[source] tokio::sync::AcquireError),
    /// The device cookies' signing key stored in the database is not hex.
    #[error("the device cookie key is damaged: {0}")]
    DeviceKeyNotHex(#[source] hex::FromHexError),
    #[error("the device cookie key is damaged: {bytes} bytes, fewer than 32")]
    DeviceKeyTooShort { bytes: usize },
    #[error("the device cookie key was refused: {0}")]
    DeviceKey(#[source] hmac::digest::InvalidLength),
}

impl AppError {
    /// A failed write whose cause is the storage becomes `NotSaved`; other
    /// errors (a unique name taken, a missing row) stay as they are.
    pub fn storage_failure_is_not_saved(self) -> AppError {
        match self {
            Self::Db(e) if is_storage_failure(&e) => Self::NotSaved(e),
            other => other,
        }
    }

    /// Whether the change this request asked for was refused by the storage
    /// (or the database could not be reached, for the write or a read
    /// before it): the form is shown again.
    pub fn is_not_saved(&self) -> bool {
        match self {
            Self::NotSaved(_) | Self::Pool(_) | Self::FilesNotSaved(_) => true,
            Self::Db(e) => is_storage_failure(e),
            _ => false,
        }
    }

    /// The heading and sentence a visitor sees on the error page.
    pub fn public_message(&self) -> (&'static str, String) {
        match self.status_code() {
            StatusCode::NOT_FOUND => (
                "Page not found",
                "There is nothing at this address. It may have moved, or never existed.".into(),
            ),
            StatusCode::FORBIDDEN if matches!(self, Self::Csrf) => {
                ("Form expired", self.to_string())
            }
            StatusCode::FORBIDDEN => ("Not allowed", "Your account may not open this page.".into()),
            StatusCode::BAD_REQUEST => ("Bad request", self.to_string()),
            StatusCode::TOO_MANY_REQUESTS => ("Slow down", self.to_string()),
            StatusCode::PAYLOAD_TOO_LARGE => ("Too large", self.to_string()),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::FilesNotSaved(_)) => (
                "Not saved",
                "The image was not saved: the server could not write it to its media store. \
                 Nothing was added. Please try again in a moment."
                    .into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::SearchBusy) => (
                "Search busy",
                "The site is answering many searches just now, and yours did not get a turn. \
                 Your search is still in the box above: please send it again in a moment."
                    .into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::ExportRunning) => (
                "Export running",
                "An export of this site is being prepared already, and one runs at a time. \
                 Please try again when it has finished."
                    .into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::ExportNotWritten(_)) => (
                "Export not written",
                "The export could not be written: the server's disk refused the file. \
                 Nothing on the site was changed. Please try again later."
                    .into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::NotSaved(_)) => {
                ("Not saved", NOT_SAVED.into())
            }
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::MediaUnavailable(_)) => (
                "Unavailable",
                "The site cannot reach its image store just now. Please try again in a moment."
                    .into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE if matches!(self, Self::Db(_) | Self::Pool(_)) => (
                "Unavailable",
                "The site cannot reach its database just now. Please try again in a moment.".into(),
            ),
            StatusCode::SERVICE_UNAVAILABLE => (
                "Busy",
                "The site is busy just now. Please try again in a moment.".into(),
            ),
            StatusCode::REQUEST_TIMEOUT => ("Too slow", self.to_string()),
            _ => (
                "Something went wrong",
                "The server could not answer this request. Please try again in a moment.".into(),
            ),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NotFound | Self::Db(diesel::result::Error::NotFound) => StatusCode::NOT_FOUND,
            // A read the storage could not answer (the database server gone,
            // an I/O error): the visitor may try again, it is not a bug.
            Self::Db(e) if is_storage_failure(e) => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge | Self::UploadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotSaved(_)
            | Self::Pool(_)
            | Self::FilesNotSaved(_)
            | Self::MediaUnavailable(_)
            | Self::Busy
            | Self::SearchBusy
            | Self::ExportRunning
            | Self::ExportNotWritten(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if let Self::LoginRequired { next } = self {
            let to = format!("/login?next={}", urlencoding::encode(next));
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish();
        }
        // A refused write was logged where it failed (db::write_with); a
        // busy search is the bound working, not a failure.
        if status.is_server_error() && !matches!(self, Self::NotSaved(_) | Self::SearchBusy) {
            tracing::error!(error = %self, "request failed");
        }
        // A plain body; the error_pages middleware swaps in the full page.
        let (heading, message) = self.public_message();
        HttpResponse::build(status)
            .content_type(ContentType::plaintext())
            .body(format!("{heading}\n\n{message}\n"))
    }
}

/// Whether a database error means the storage refused the change (disk full,
/// read-only file, I/O error, lock never free) rather than the change being
/// wrong: such a write is answered 503, the form kept, and may be tried again.
pub fn is_storage_failure(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection
            | diesel::result::DatabaseErrorKind::ReadOnlyTransaction,
            _,
        ) => true,
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            [
                "disk is full",
                "readonly database",
                "disk I/O error",
                "database is locked",
                "unable to open database file",
                // PostgreSQL gone or going: the change may be tried again.
                "server closed the connection",
                "could not send data to server",
                "could not receive data from server",
                "connection to server",
                "terminating connection",
                "could not connect",
                "no connection to the server",
                "the database system is",
                "could not extend file",
            ]
            .iter()
            .any(|m| message.contains(m))
        }
        diesel::result::Error::RollbackErrorOnCommit { commit_error, .. } => {
            is_storage_failure(commit_error)
        }
        _ => false,
    }
}

/// Why the media store could not keep, read or reach an object. Defined
/// here, not in `media`, because it travels inside `AppError`, and the error
/// type imports no module above it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Boxed: the client's errors are large, and travel inside `AppError`.
    #[error("{0}")]
    Bucket(Box<object_store::Error>),
    #[error("the media bucket did not answer within {} s", .0.as_secs())]
    TimedOut(std::time::Duration),
    /// Every fetch slot stayed taken while this reader waited.
    #[error("too many images are being read from the bucket at once")]
    Busy,
}

impl From<object_store::Error> for StoreError {
    fn from(e: object_store::Error) -> Self {
        StoreError::Bucket(Box::new(e))
    }
}
