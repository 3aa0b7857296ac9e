//! What an import did, kept as JSON on its job row and shown as lines.

use super::*;

/// What an import did: counts, what it skipped and why, and what to look at.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct Report {
    pub format: String,
    pub source: String,
    pub dry_run: bool,
    pub posts: u64,
    pub pages: u64,
    pub comments: u64,
    pub guest_comments: u64,
    pub authors: u64,
    pub redirects: u64,
    /// Items found here from an earlier run of the same import.
    pub already_here: u64,
    /// Items not brought in, by reason.
    pub skipped: BTreeMap<String, u64>,
    pub warnings: Vec<String>,
    pub more_warnings: u64,
    /// Accounts made for the old site's authors, without a usable password.
    pub new_accounts: Vec<String>,
    /// Posts longer than the editor saves: shown, but to be split before editing.
    pub long_posts: Vec<String>,
    pub sticky_posts: Vec<String>,
    /// Posts and pages the old site did not show everyone (drafts, private,
    /// password-protected, pending, scheduled): drafts here, each with why.
    pub not_public: Vec<String>,
    pub more_not_public: u64,
    /// Pages whose address is one the site keeps for itself (`/admin`),
    /// given another: “Title” (/old → /new).
    pub moved_pages: Vec<String>,
    /// Posts the old site had yet to publish: published here at that time.
    pub scheduled: Vec<String>,
    /// Images the content shows from elsewhere (the old site), left as they are.
    pub external_images: u64,
    pub external_image_examples: Vec<String>,
    /// Image files brought into the media library (`--media-from`).
    pub images_copied: u64,
    /// Images the posts show that the `--media-from` folder did not have.
    pub images_missing: u64,
    /// Why the import stopped early, with the line of the file.
    pub error: Option<String>,
}

impl Report {
    pub(super) fn skip(&mut self, reason: impl Into<String>) {
        *self.skipped.entry(reason.into()).or_default() += 1;
    }

    pub(super) fn not_public(&mut self, label: &str, why: &str) {
        if self.not_public.len() < MAX_LISTED {
            self.not_public.push(format!("{label} ({why})"));
        } else {
            self.more_not_public += 1;
        }
    }

    pub(super) fn warn(&mut self, warning: String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(warning);
        } else {
            self.more_warnings += 1;
        }
    }

    /// The report as lines of text, for the terminal and the dashboard.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.format.is_empty() {
            // Not an export at all: only why.
            lines.extend(self.error.iter().map(|e| format!("Nothing imported: {e}.")));
            return lines;
        }
        let n = |count: u64, one: &str, many: &str| plural(count as i64, one, many);
        let verb = if self.dry_run {
            "Would import"
        } else {
            "Imported"
        };
        lines.push(format!(
            "{verb} {}, {}, {} ({} by guests), {} and {} from {} ({}).",
            n(self.posts, "post", "posts"),
            n(self.pages, "page", "pages"),
            n(self.comments, "comment", "comments"),
            self.guest_comments,
            n(self.authors, "author", "authors"),
            n(self.redirects, "redirect", "redirects"),
            if self.source.is_empty() {
                "an unnamed site"
            } else {
                &self.source
            },
            self.format
        ));
        if self.dry_run {
            lines.push("Dry run: nothing was written.".into());
        }
        if self.already_here > 0 {
            lines.push(format!(
                "{} here from an earlier import and left as {}.",
                n(self.already_here, "item was", "items were"),
                if self.already_here == 1 {
                    "it was"
                } else {
                    "they were"
                }
            ));
        }
        for (reason, n) in &self.skipped {
            lines.push(format!("Skipped {n}: {reason}."));
        }
        if !self.not_public.is_empty() {
            let more = if self.more_not_public > 0 {
                format!(" and {} more", self.more_not_public)
            } else {
                String::new()
            };
            lines.push(format!(
                "Not public at the old site, so {} as drafts, for you to publish or not: {}{more}.",
                if self.dry_run {
                    "they would come in"
                } else {
                    "they came in"
                },
                self.not_public.join(", ")
            ));
        }
        if !self.moved_pages.is_empty() {
            lines.push(format!(
                "Pages at addresses this site keeps for itself, {} another: {}.",
                if self.dry_run {
                    "which would be given"
                } else {
                    "given"
                },
                self.moved_pages.join(", ")
            ));
        }
        if !self.scheduled.is_empty() {
            lines.push(format!(
                "Scheduled at the old site, and published here at the same time: {}.",
                self.scheduled.join(", ")
            ));
        }
        if !self.new_accounts.is_empty() {
            lines.push(format!(
                "New author accounts, without a password (they cannot sign in): {}.",
                self.new_accounts.join(", ")
            ));
        }
        if !self.sticky_posts.is_empty() {
            lines.push(format!(
                "Sticky at the old site (not pinned here): {}.",
                self.sticky_posts.join(", ")
            ));
        }
        if !self.long_posts.is_empty() {
            lines.push(format!(
                "Longer than the editor saves ({} KB); split them before editing: {}.",
                MAX_BODY_BYTES / 1024,
                self.long_posts.join(", ")
            ));
        }
        if self.images_copied > 0 {
            let (one, many) = if self.dry_run {
                ("image file would be copied", "image files would be copied")
            } else {
                ("image file was copied", "image files were copied")
            };
            lines.push(format!(
                "{} into the media library.",
                n(self.images_copied, one, many)
            ));
        }
        if self.images_missing > 0 {
            lines.push(format!(
                "{} the posts show {} not in the folder given to --media-from.",
                n(self.images_missing, "image", "images"),
                if self.images_missing == 1 {
                    "was"
                } else {
                    "were"
                }
            ));
        }
        if self.external_images > 0 {
            lines.push(format!(
                "{} still shown from the old site, for example: {}.",
                n(self.external_images, "image is", "images are"),
                self.external_image_examples.join(", ")
            ));
        }
        for warning in &self.warnings {
            lines.push(format!("Warning: {warning}"));
        }
        if self.more_warnings > 0 {
            lines.push(format!(
                "And {} more.",
                n(self.more_warnings, "warning", "warnings")
            ));
        }
        if let Some(error) = &self.error {
            lines.push(format!("Stopped: {error}. What came before it is kept; run the import again once the file is fixed to continue."));
        }
        lines
    }
}
