//! The one error type. Handlers return `Result<_, AppError>` and use `?`;
//! `routes::error_pages` turns an error answer into a page in the site's layout.

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

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
    #[error("the form arrived too slowly; please send it again")]
    RequestTimeout,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    R2d2(#[from] diesel::r2d2::Error),
    #[error(transparent)]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error(transparent)]
    Template(#[from] askama::Error),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
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
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::LoginRequired { .. } => StatusCode::SEE_OTHER,
            Self::Forbidden | Self::Csrf => StatusCode::FORBIDDEN,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
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
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        // A plain body; the error_pages middleware swaps in the full page.
        let (heading, message) = self.public_message();
        HttpResponse::build(status)
            .content_type(ContentType::plaintext())
            .body(format!("{heading}\n\n{message}\n"))
    }
}
