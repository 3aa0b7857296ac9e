//! The site's settings: title, description, posts per page, comment policy
//! and the header menu. Pages read them on every request, so a change shows
//! at once.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{layout, AdminFrame, AdminNav, Frame};
use crate::accounts::FieldErrors;
use crate::auth::{AdminUser, CsrfForm, Visitor};
use crate::db;
use crate::error::AppError;
use crate::models::media::Media;
use crate::models::setting::{parse_menu, CommentPolicy, SettingsChanges};
use crate::models::Settings;
use crate::routes::see_other_with;
use crate::state::AppState;
use crate::view::{render_with, Layout};

const MAX_TITLE: usize = 100;
const MAX_DESCRIPTION: usize = 300;

/// The settings form as typed, so a refused one shows again unchanged.
#[derive(Deserialize, Debug, Default, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    posts_per_page: String,
    #[serde(default)]
    comment_policy: String,
    /// One `Label | /path` a line; empty for Home and Archive.
    #[serde(default)]
    menu: String,
    /// A library image's id, or empty for no icon.
    #[serde(default)]
    icon_media_id: String,
}

/// The settings as checked, ready to save.
struct Checked {
    title: String,
    description: String,
    posts_per_page: i32,
    comment_policy: CommentPolicy,
    menu: String,
    icon_media_id: Option<i32>,
}

impl SettingsForm {
    fn of(settings: &Settings) -> SettingsForm {
        SettingsForm {
            title: settings.title.clone(),
            description: settings.description.clone(),
            posts_per_page: settings.posts_per_page.to_string(),
            comment_policy: settings.comment_policy.as_str().to_string(),
            menu: settings.menu.clone(),
            icon_media_id: settings
                .icon_media_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }

    fn icon(&self) -> Option<i32> {
        self.icon_media_id.trim().parse().ok()
    }

    pub fn is_icon(&self, media: &Media) -> bool {
        self.icon() == Some(media.id)
    }

    pub fn has_policy(&self, policy: &CommentPolicy) -> bool {
        CommentPolicy::parse(&self.comment_policy) == Some(*policy)
    }

    /// The trimmed title, description, number, policy and menu, or each
    /// problem by field.
    fn check(&self) -> Result<Checked, FieldErrors> {
        let mut errors = FieldErrors::default();
        let title = self.title.split_whitespace().collect::<Vec<_>>().join(" ");
        if title.is_empty() || title.chars().count() > MAX_TITLE {
            errors.add(
                "title",
                format!("Give the site a title of 1 to {MAX_TITLE} characters."),
            );
        }
        let description = self.description.trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION {
            errors.add(
                "description",
                format!("Keep the description to {MAX_DESCRIPTION} characters or fewer."),
            );
        }
        let per_page = match self.posts_per_page.trim().parse::<i32>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                errors.add("posts_per_page", "Enter a whole number from 1 to 100.");
                0
            }
        };
        let policy = CommentPolicy::parse(&self.comment_policy);
        if policy.is_none() {
            errors.add("comment_policy", "Choose one of the comment policies.");
        }
        // Saved as typed (less blank lines at the ends), so the form shows
        // it again as the owner wrote it.
        let menu = self.menu.trim_matches(['\r', '\n']).replace("\r\n", "\n");
        if let Err(problems) = parse_menu(&menu) {
            // One problem a line (the template keeps the breaks).
            errors.add("menu", problems.join("\n"));
        }
        let icon = self.icon();
        if icon.is_none() && !self.icon_media_id.trim().is_empty() {
            errors.add("icon_media_id", "Choose an image from the list, or none.");
        }
        match policy {
            Some(comment_policy) if errors.is_empty() => Ok(Checked {
                icon_media_id: icon,
                title,
                description,
                posts_per_page: per_page,
                comment_policy,
                menu,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    layout: Layout,
    nav: AdminNav,
    form: SettingsForm,
    policies: &'static [CommentPolicy],
    errors: FieldErrors,
    /// Library images offered as the site icon.
    icons: Vec<Media>,
}

/// Images offered as the icon: the newest, and the chosen one.
const ICON_CHOICES: i64 = 100;

async fn page(
    state: &AppState,
    visitor: &Visitor,
    settings: &Settings,
    nav: AdminNav,
    form: SettingsForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let chosen = form.icon();
    let icons = db::run(&state.pool, move |conn| {
        Ok(Media::newest_with(conn, ICON_CHOICES, chosen)?)
    })
    .await?;
    render_with(
        errors.status(),
        &SettingsPage {
            layout: layout(visitor, settings, "Settings"),
            nav,
            form,
            policies: CommentPolicy::ALL,
            errors,
            icons,
        },
    )
}

pub async fn edit(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminFrame(frame): AdminFrame,
) -> Result<HttpResponse, AppError> {
    let form = SettingsForm::of(&frame.settings);
    page(
        &state,
        &visitor,
        &frame.settings,
        frame.nav("settings"),
        form,
        FieldErrors::default(),
    )
    .await
}

pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    AdminUser(user): AdminUser,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let errors = match form.check() {
        Ok(checked) => {
            // Made on every save with an icon (settings are saved rarely), so
            // an icon chosen before square files existed gets them too.
            if let Some(id) = checked.icon_media_id {
                make_icon_files(&state, id).await;
            }
            let saved = db::write(&state.pool, move |conn| {
                // An icon deleted since the form was sent is not an error: no icon.
                let icon = match checked.icon_media_id {
                    Some(id) => Media::find(conn, id)?.map(|m| m.id),
                    None => None,
                };
                Ok(Settings::update(
                    conn,
                    &SettingsChanges {
                        title: &checked.title,
                        description: &checked.description,
                        posts_per_page: checked.posts_per_page,
                        comment_policy: checked.comment_policy,
                        menu: Some(&checked.menu),
                        icon_media_id: Some(icon),
                    },
                )?)
            })
            .await;
            match saved {
                Ok(_) => return Ok(see_other_with("/admin/settings", "Settings saved.")),
                Err(e) if e.is_not_saved() => FieldErrors::not_saved(),
                Err(e) => return Err(e),
            }
        }
        Err(errors) => errors,
    };
    let frame = Frame::load(&state, user).await?;
    page(
        &state,
        &visitor,
        &frame.settings,
        frame.nav("settings"),
        form,
        errors,
    )
    .await
}

/// Writes the square icons browsers ask for (`media::ICON_SIZES`), cropped
/// from the chosen image's centre, beside its files. Should it fail, the
/// site serves the image's smallest copy as its icon, as before, and says
/// so in the log: the settings are saved either way.
async fn make_icon_files(state: &AppState, id: i32) {
    let made = async {
        let Some(media) = db::run(&state.pool, move |conn| Ok(Media::find(conn, id)?)).await?
        else {
            return Ok(());
        };
        let store = state.media.clone();
        let name = media.file_name();
        let bytes = web::block(move || store.read(&name))
            .await?
            .map_err(AppError::FilesNotSaved)?
            .ok_or(AppError::NotFound)?;
        let files = match state.media.icons(bytes).await {
            Some(Ok(files)) => files,
            Some(Err(why)) => return Err(AppError::BadRequest(format!("The image {why}"))),
            None => return Err(AppError::Busy),
        };
        let icons = crate::media::Processed {
            hash: media.hash.clone(),
            format: crate::models::media::MediaFormat::Png,
            width: 0,
            height: 0,
            variants: Vec::new(),
            files,
        };
        let store = state.media.clone();
        web::block(move || store.save(&icons))
            .await?
            .map_err(AppError::FilesNotSaved)?;
        Ok::<_, AppError>(())
    };
    if let Err(e) = made.await {
        tracing::warn!(error = %e, media = id, "the site icon's square files were not made");
    }
}
