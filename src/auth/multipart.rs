//! The one reader of multipart forms (the media and import uploads): the
//! origin and the CSRF token are checked before anything else is read, the
//! token being the form's first part, and every read is bounded in bytes
//! and in time, so a stalled or endless upload cannot hold a worker.

use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_web::web::Bytes;
use actix_web::HttpRequest;
use futures_util::StreamExt;

use crate::auth::csrf::same_origin;
use crate::auth::Visitor;
use crate::error::AppError;

/// The most a token part may carry; longer is not a token.
const MAX_TOKEN: usize = 4096;

/// A multipart form whose origin and token have been checked.
pub struct MultipartForm {
    parts: Multipart,
    /// How long a part, or the next bytes of one, may take to arrive.
    wait: Duration,
    /// Names the form in the 400 for a body that is not one, as in "send it
    /// from the media library's form".
    form: &'static str,
}

impl MultipartForm {
    /// Checks `Origin`, then reads the first part, which must be a valid
    /// `csrf_token` (else 403), so nothing else is read from a forged form.
    pub async fn open(
        req: &HttpRequest,
        visitor: &Visitor,
        parts: Multipart,
        wait: Duration,
        form: &'static str,
    ) -> Result<MultipartForm, AppError> {
        if !same_origin(req) {
            return Err(AppError::Csrf);
        }
        let mut opened = MultipartForm { parts, wait, form };
        let Some(mut first) = opened.next().await? else {
            return Err(AppError::Csrf);
        };
        if first.name() != Some("csrf_token") {
            return Err(AppError::Csrf);
        }
        let token = opened.read_capped(&mut first, MAX_TOKEN).await?;
        let token = token.and_then(|bytes| String::from_utf8(bytes).ok());
        if !token.is_some_and(|token| visitor.check_csrf(&token)) {
            return Err(AppError::Csrf);
        }
        Ok(opened)
    }

    /// The next part, `None` after the last; 408 if none arrives in time,
    /// 400 for a body that is not a multipart form.
    pub async fn next(&mut self) -> Result<Option<Field>, AppError> {
        match tokio::time::timeout(self.wait, self.parts.next()).await {
            Err(_) => Err(AppError::RequestTimeout),
            Ok(None) => Ok(None),
            Ok(Some(Ok(field))) => Ok(Some(field)),
            Ok(Some(Err(_))) => Err(AppError::BadRequest(format!(
                "The upload could not be read: send it from {}.",
                self.form
            ))),
        }
    }

    /// The next bytes of a part, `None` at its end; 408 if they do not come
    /// in time, 400 if the upload was cut off.
    pub async fn chunk(&self, field: &mut Field) -> Result<Option<Bytes>, AppError> {
        match tokio::time::timeout(self.wait, field.next()).await {
            Err(_) => Err(AppError::RequestTimeout),
            Ok(None) => Ok(None),
            Ok(Some(Ok(bytes))) => Ok(Some(bytes)),
            Ok(Some(Err(_))) => Err(AppError::BadRequest(
                "The upload was cut off; please send it again.".into(),
            )),
        }
    }

    /// A whole part, read within `wait`, up to `cap` bytes; `None` when it
    /// is longer (the rest is read and dropped, so the answer reaches the
    /// browser).
    pub async fn read_capped(
        &self,
        field: &mut Field,
        cap: usize,
    ) -> Result<Option<Vec<u8>>, AppError> {
        let read = async {
            let mut bytes = Vec::new();
            let mut over = false;
            while let Some(chunk) = self.chunk(field).await? {
                if over || bytes.len() + chunk.len() > cap {
                    over = true;
                    bytes = Vec::new();
                    continue;
                }
                bytes.extend_from_slice(&chunk);
            }
            Ok::<_, AppError>((!over).then_some(bytes))
        };
        tokio::time::timeout(self.wait, read)
            .await
            .map_err(|_| AppError::RequestTimeout)?
    }

    /// A text part of at most `cap` bytes: 413 past it, 400 if not UTF-8.
    pub async fn read_text(&self, field: &mut Field, cap: usize) -> Result<String, AppError> {
        let bytes = self
            .read_capped(field, cap)
            .await?
            .ok_or(AppError::PayloadTooLarge)?;
        String::from_utf8(bytes)
            .map_err(|_| AppError::BadRequest("The form's text is not valid UTF-8.".into()))
    }

    /// Reads and drops a part, counting it against `allowance`; `false` once
    /// the parts have carried more than it.
    pub async fn skip(&self, field: &mut Field, allowance: &mut u64) -> Result<bool, AppError> {
        while let Some(bytes) = self.chunk(field).await? {
            match allowance.checked_sub(bytes.len() as u64) {
                Some(left) => *allowance = left,
                None => return Ok(false),
            }
        }
        Ok(true)
    }
}
