//! The media library: upload images, see where each is used, edit its alt
//! text, delete it (asking first when a post shows it).

use std::time::Duration;

use actix_multipart::{Field, Multipart};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, AdminNav, Frame, WriterFrame};
use crate::auth::multipart::MultipartForm;
use crate::auth::{CsrfForm, Visitor, WriterUser};
use crate::db;
use crate::error::AppError;
use crate::media::{self, Processed, Refused};
use crate::models::media::{Media, Use};
use crate::models::paging::Paging;
use crate::models::{Settings, User};
use crate::routes::{see_other_with, PageNumber};
use crate::state::AppState;
use crate::view::{render, render_with, Layout, Pager};

const PER_PAGE: i64 = 24;
const LIBRARY: &str = "/admin/media";
pub const MAX_ALT: usize = 300;
/// A text field of the upload form (the token, the alt text).
const MAX_TEXT_FIELD: usize = 4096;
/// Time for one file of the upload to arrive: 20 MB at about 1.4 Mbit/s.
const FILE_TIMEOUT: Duration = Duration::from_secs(120);
/// Said when an account sends a second upload while its first is arriving.
const ANOTHER_UPLOAD: &str = "Another upload of yours is still arriving, and one account sends \
     one upload at a time: wait until it has finished, then send these images again.";
/// Said when every receiving slot stayed taken for `QUEUE_TIMEOUT`.
const SLOTS_TAKEN: &str = "Other uploads are still arriving, and the server takes two at a \
     time: none of these images was read. Please send them again in a minute.";
/// How long an upload waits for another to finish before it is turned away.
const QUEUE_TIMEOUT: Duration = Duration::from_secs(30);

/// One image as the library shows it.
pub struct Item {
    pub media: Media,
    pub uses: Vec<Use>,
    pub icon: bool,
}

impl Item {
    pub fn size(&self) -> String {
        let kb = self.media.bytes as f64 / 1024.0;
        if kb >= 1024.0 {
            format!("{:.1} MB", kb / 1024.0)
        } else {
            format!("{kb:.0} KB")
        }
    }

    pub fn in_use(&self) -> bool {
        !self.uses.is_empty() || self.icon
    }

    pub fn lacks_alt(&self) -> bool {
        self.media.alt.trim().is_empty()
    }

    /// How the library names the image: the name it was uploaded as, or its file's.
    pub fn name(&self) -> String {
        if self.media.original_name.is_empty() {
            self.media.file_name()
        } else {
            self.media.original_name.clone()
        }
    }

    /// The thumbnail's alt, which names its link (to the full image): the
    /// alt text, or for an image without one its name and that it lacks one.
    pub fn thumbnail_alt(&self) -> String {
        if self.lacks_alt() {
            format!("{} (no alt text yet)", self.name())
        } else {
            self.media.alt.clone()
        }
    }
}

#[derive(Template)]
#[template(path = "admin/media.html")]
pub struct LibraryPage {
    layout: Layout,
    nav: AdminNav,
    items: Vec<Item>,
    pager: Pager,
    /// The upload form's alt text, kept when some files were refused.
    alt: String,
    problems: Vec<String>,
    added: usize,
    /// An alt text that was not saved, shown again in its image's form.
    edited: Option<Edited>,
}

pub struct Edited {
    id: i32,
    alt: String,
    problem: String,
}

impl LibraryPage {
    /// Images on this page without alt text.
    fn lacking_alt(&self) -> usize {
        self.items.iter().filter(|i| i.lacks_alt()).count()
    }

    /// What the image's alt field shows: the text just refused, or the saved one.
    fn alt_shown<'a>(&'a self, item: &'a Item) -> &'a str {
        match &self.edited {
            Some(e) if e.id == item.media.id => &e.alt,
            _ => &item.media.alt,
        }
    }

    fn alt_problem(&self, item: &Item) -> Option<&str> {
        self.edited
            .as_ref()
            .filter(|e| e.id == item.media.id)
            .map(|e| e.problem.as_str())
    }
}

#[derive(Template)]
#[template(path = "admin/media_delete.html")]
pub struct ConfirmDeletePage {
    layout: Layout,
    nav: AdminNav,
    item: Item,
}

async fn items(state: &AppState, page: i64) -> Result<(Vec<Item>, Pager, bool), AppError> {
    let list = db::run(&state.pool, move |conn| {
        let list = Media::page(conn, Paging::new(page, PER_PAGE))?;
        let ids: Vec<i32> = list.items.iter().map(|m| m.id).collect();
        let mut uses = Media::uses(conn, &ids)?;
        let icon = Settings::load(conn)?.icon_media_id;
        Ok(list.map(|media| Item {
            uses: uses.remove(&media.id).unwrap_or_default(),
            icon: icon == Some(media.id),
            media,
        }))
    })
    .await?;
    let past_the_end = list.is_past_the_end();
    let pager = Pager::new(LIBRARY, list.page, list.more);
    Ok((list.items, pager, past_the_end))
}

fn library_page(
    visitor: &Visitor,
    frame: &Frame,
    (items, pager): (Vec<Item>, Pager),
    alt: String,
    problems: Vec<String>,
    added: usize,
) -> LibraryPage {
    LibraryPage {
        layout: layout(visitor, &frame.settings, "Media").with_csrf(visitor),
        nav: frame.nav("media"),
        items,
        pager,
        alt,
        problems,
        added,
        edited: None,
    }
}

pub async fn library(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterFrame(frame): WriterFrame,
    PageNumber(page): PageNumber,
) -> Result<HttpResponse, AppError> {
    let (items, pager, past_the_end) = items(&state, page).await?;
    if past_the_end {
        return Err(AppError::NotFound);
    }
    render(&library_page(
        &visitor,
        &frame,
        (items, pager),
        String::new(),
        Vec::new(),
        0,
    ))
}

/// What became of one uploaded file.
enum Outcome {
    Added,
    AlreadyThere,
    Refused(String),
}

/// `POST /admin/media`: the token must be the form's first field, so it is
/// checked before any file is read; `alt` applies to the files after it.
/// Each file is processed and stored as it arrives, so one request holds at
/// most one file in memory.
pub async fn upload(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterUser(user): WriterUser,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let mut form = MultipartForm::open(
        &req,
        &visitor,
        form,
        FILE_TIMEOUT,
        "the media library's form",
    )
    .await?;
    // One upload per account at a time: a second one while the first is
    // still arriving is turned away at once, so one person (or one slow
    // connection) holds at most one of the `receiving` slots.
    let Some(_uploader) = state.media.uploader(user.id) else {
        return turned_away(
            &state,
            &visitor,
            user,
            StatusCode::TOO_MANY_REQUESTS,
            ANOTHER_UPLOAD,
        )
        .await;
    };
    let receiving =
        tokio::time::timeout(QUEUE_TIMEOUT, state.media.receiving.clone().acquire_owned()).await;
    let Ok(Ok(_receiving)) = receiving else {
        return turned_away(
            &state,
            &visitor,
            user,
            StatusCode::SERVICE_UNAVAILABLE,
            SLOTS_TAKEN,
        )
        .await;
    };

    let mut alt = String::new();
    let mut outcomes = Vec::new();
    // The file the store refused: the form comes back, nothing after it read.
    let mut not_saved = None;
    while let Some(mut field) = form.next().await? {
        let name = field.name().unwrap_or_default().to_string();
        match name.as_str() {
            "alt" => {
                alt = form
                    .read_text(&mut field, MAX_TEXT_FIELD)
                    .await?
                    .trim()
                    .to_string()
            }
            "file" => {
                let file_name = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("")
                    .to_string();
                // A file input left empty still sends a part, with no name.
                if file_name.is_empty() && outcomes.is_empty() {
                    drain(&form, &mut field).await?;
                    continue;
                }
                if outcomes.len() == media::MAX_FILES {
                    let added = outcomes
                        .iter()
                        .filter(|(_, o)| !matches!(o, Outcome::Refused(_)))
                        .count();
                    return Err(AppError::UploadTooLarge(format!(
                        "Send at most {max} images at a time. Of the first {max}, {added} are in the library now; the rest were not read.",
                        max = media::MAX_FILES
                    )));
                }
                let outcome = match form
                    .read_capped(&mut field, media::MAX_UPLOAD_BYTES)
                    .await?
                {
                    Some(bytes) => match store(&state, &user, bytes, &file_name, &alt).await {
                        Ok(outcome) => outcome,
                        Err(e) if e.is_not_saved() => {
                            tracing::error!(error = %e, "an uploaded image was not saved");
                            not_saved = Some(display_name(&file_name));
                            break;
                        }
                        Err(e) => return Err(e),
                    },
                    None => Outcome::Refused(Refused::TooLarge.to_string()),
                };
                outcomes.push((display_name(&file_name), outcome));
            }
            _ => drain(&form, &mut field).await?,
        }
    }
    let added = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Added))
        .count();
    let there = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::AlreadyThere))
        .count();
    let mut problems: Vec<String> = outcomes
        .into_iter()
        .filter_map(|(name, o)| match o {
            Outcome::Refused(why) => Some(format!("{name} {why}")),
            _ => None,
        })
        .collect();
    if let Some(name) = &not_saved {
        problems.push(format!(
            "{name} was not saved: the server could not write it to its media store just now. \
             Nothing of it was kept, and any files after it were not read; please try again in a moment."
        ));
    }
    if added + there == 0 && problems.is_empty() {
        problems.push("Choose one or more images to upload.".into());
    }
    if problems.is_empty() {
        let mut message = match added {
            0 => String::new(),
            1 => "Added 1 image.".to_string(),
            n => format!("Added {n} images."),
        };
        if there > 0 {
            message.push_str(&format!(
                "{}{} already in the library, so it was not stored again.",
                if message.is_empty() { "" } else { " " },
                if there == 1 {
                    "1 image was"
                } else {
                    "Some images were"
                },
            ));
        }
        if added > 0 && alt.is_empty() {
            message.push_str(if added == 1 {
                " It has no alt text yet: add it below, so people who cannot see it know what it shows."
            } else {
                " They have no alt text yet: add it below, so people who cannot see them know what they show."
            });
        }
        return Ok(see_other_with(LIBRARY, message.trim()));
    }
    let frame = Frame::load(&state, user).await?;
    let (items, pager, _) = items(&state, 1).await?;
    let status = if not_saved.is_some() {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_with(
        status,
        &library_page(&visitor, &frame, (items, pager), alt, problems, added),
    )
}

/// The library with its upload form and why this upload was not read.
async fn turned_away(
    state: &AppState,
    visitor: &Visitor,
    user: User,
    status: StatusCode,
    why: &str,
) -> Result<HttpResponse, AppError> {
    let frame = Frame::load(state, user).await?;
    let (items, pager, _) = items(state, 1).await?;
    render_with(
        status,
        &library_page(
            visitor,
            &frame,
            (items, pager),
            String::new(),
            vec![why.to_string()],
            0,
        ),
    )
}

/// The file's name as the person's computer called it, for messages.
fn display_name(file_name: &str) -> String {
    let name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if name.is_empty() {
        "The file".into()
    } else {
        format!("“{name}”")
    }
}

/// Reads and drops a part (within the time a file has).
async fn drain(form: &MultipartForm, field: &mut Field) -> Result<(), AppError> {
    form.read_capped(field, 0).await.map(|_| ())
}

/// Processes one file and stores it, unless the library has it already.
async fn store(
    state: &AppState,
    user: &User,
    bytes: Vec<u8>,
    file_name: &str,
    alt: &str,
) -> Result<Outcome, AppError> {
    // The bytes go to the blocking thread and come back: no copy of the file.
    let (hash, bytes) = web::block(move || (media::hash_of(&bytes), bytes)).await?;
    let lookup = hash.clone();
    let known = db::run(&state.pool, move |conn| {
        Ok(Media::find_by_hash(conn, &lookup)?.is_some())
    })
    .await?;
    if known {
        return Ok(Outcome::AlreadyThere);
    }
    let processed: Processed = match state.media.process(bytes, hash).await {
        Some(Ok(processed)) => processed,
        Some(Err(why)) => return Ok(Outcome::Refused(why.to_string())),
        None => return Err(AppError::Busy),
    };
    let store = state.media.clone();
    let (processed, written) = web::block(move || {
        let written = store.save(&processed);
        (processed, written)
    })
    .await?;
    let written = written.map_err(AppError::FilesNotSaved)?;
    let alt: String = alt.chars().take(MAX_ALT).collect();
    let original_name: String = file_name
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let uploaded_by = user.id;
    let saved = db::write(&state.pool, move |conn| {
        let created =
            Media::create_processed(conn, &processed, &alt, &original_name, Some(uploaded_by));
        match created {
            Ok(_) => Ok(Outcome::Added),
            // The same image, sent twice at once: the other upload's row
            // owns the same files.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => Ok(Outcome::AlreadyThere),
            Err(e) => Err(e.into()),
        }
    })
    .await;
    if saved.is_err() {
        let store = state.media.clone();
        web::block(move || store.remove(&written)).await?;
    }
    saved
}

#[derive(Deserialize, Debug)]
pub struct AltForm {
    #[serde(default)]
    alt: String,
}

/// Admins manage every image; authors the ones they uploaded.
fn may_manage(user: &User, media: &Media) -> bool {
    user.is_admin() || media.uploaded_by == Some(user.id)
}

async fn managed(state: &AppState, user: &User, id: i32) -> Result<Item, AppError> {
    let user = user.clone();
    db::run(&state.pool, move |conn| {
        let media = Media::find(conn, id)?.ok_or(AppError::NotFound)?;
        if !may_manage(&user, &media) {
            return Err(AppError::Forbidden);
        }
        let uses = Media::uses(conn, &[id])?.remove(&id).unwrap_or_default();
        let icon = Media::is_site_icon(conn, id)?;
        Ok(Item { media, uses, icon })
    })
    .await
}

/// `POST /admin/media/{id}`: the alt text. A refused one (too long, or not
/// saved) shows the library again with the text in its image's form.
pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterUser(user): WriterUser,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<AltForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    managed(&state, &user, id).await?;
    let alt = form.alt.trim().to_string();
    let (status, problem) = if alt.chars().count() > MAX_ALT {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("Keep the alt text to {MAX_ALT} characters or fewer."),
        )
    } else {
        let saved = alt.clone();
        match db::write(&state.pool, move |conn| {
            Ok(Media::set_alt(conn, id, &saved)?)
        })
        .await
        {
            Ok(_) => {
                return Ok(see_other_with(
                    &format!("{LIBRARY}#media-{id}"),
                    "Alt text saved.",
                ))
            }
            Err(e) if e.is_not_saved() => (
                StatusCode::SERVICE_UNAVAILABLE,
                crate::error::NOT_SAVED.to_string(),
            ),
            Err(e) => return Err(e),
        }
    };
    let frame = Frame::load(&state, user).await?;
    let (items, pager, _) = items(&state, 1).await?;
    let mut page = library_page(
        &visitor,
        &frame,
        (items, pager),
        String::new(),
        Vec::new(),
        0,
    );
    page.edited = Some(Edited { id, alt, problem });
    render_with(status, &page)
}

#[derive(Deserialize, Debug)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /admin/media/{id}/delete`: an image a post or the site shows is
/// deleted only once the person has seen where and confirmed.
pub async fn delete(
    state: web::Data<AppState>,
    visitor: Visitor,
    WriterUser(user): WriterUser,
    id: web::Path<i32>,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let item = managed(&state, &user, id).await?;
    if item.in_use() && form.confirm != "yes" {
        let frame = Frame::load(&state, user).await?;
        return render(&ConfirmDeletePage {
            layout: layout(&visitor, &frame.settings, "Delete image").with_csrf(&visitor),
            nav: frame.nav("media"),
            item,
        });
    }
    db::write(&state.pool, move |conn| Ok(Media::delete(conn, id)?)).await?;
    let mut names = item.media.file_names();
    // Its icon files too, if it was ever the site icon (missing ones are skipped).
    names.extend(item.media.icon_file_names());
    let store = state.media.clone();
    web::block(move || store.remove(&names)).await?;
    Ok(see_other_with(LIBRARY, "Image deleted."))
}
