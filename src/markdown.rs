//! Markdown to safe HTML, done once when a post or comment is saved.

use std::collections::HashSet;

use pulldown_cmark::{html, Event, Options, Parser, Tag, TagEnd};

/// What a post stores beside its markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub excerpt: String,
    pub word_count: i32,
    /// The words without markup, for the search index.
    pub plain: String,
}

const EXCERPT_CHARS: usize = 280;

/// Renders a post body: full CommonMark with tables, footnotes and strikethrough,
/// raw HTML allowed but sanitised by ammonia.
pub fn render_post(markdown: &str) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    let html = ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .clean(&raw)
        .to_string();
    let text = plain_text(markdown);
    Rendered {
        html,
        excerpt: excerpt_of(&prose(markdown)),
        word_count: i32::try_from(text.split_whitespace().count()).unwrap_or(i32::MAX),
        plain: text,
    }
}

/// Renders a comment: a small subset (emphasis, links, code, quotes, lists);
/// raw HTML is shown as text, links are marked as user content.
pub fn render_comment(markdown: &str) -> String {
    let parser =
        Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH).map(|event| match event {
            Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
            // Headings and images are not part of the comment subset: keep their text.
            Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
            Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
            other => other,
        });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .tags(HashSet::from([
            "p",
            "br",
            "em",
            "strong",
            "del",
            "a",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
        ]))
        .generic_attributes(HashSet::new())
        .tag_attributes(std::collections::HashMap::from([(
            "a",
            HashSet::from(["href"]),
        )]))
        .link_rel(Some("nofollow ugc noopener"))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .clean(&raw)
        .to_string()
}

/// The words of a markdown text without its markup, paragraphs joined by spaces.
pub fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(&t),
            // Blocks and line breaks separate words; inline ends (emphasis, links) do not.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell,
            ) if !out.ends_with(' ') => out.push(' '),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The running prose of a markdown text: paragraphs and quotes, without
/// headings, code blocks or tables, so an excerpt reads as sentences.
fn prose(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut skip = 0usize;
    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::Table(_)) => skip += 1,
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Table) => {
                skip = skip.saturating_sub(1)
            }
            Event::Text(t) | Event::Code(t) if skip == 0 => out.push_str(&t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item)
                if skip == 0 && !out.ends_with(' ') =>
            {
                out.push(' ')
            }
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The opening of a text, cut at a word boundary with an ellipsis when shortened.
pub fn excerpt_of(text: &str) -> String {
    if text.chars().count() <= EXCERPT_CHARS {
        return text.to_string();
    }
    let cut: String = text.chars().take(EXCERPT_CHARS).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Minutes a reader needs, at about 220 words a minute; at least one.
pub fn reading_minutes(word_count: i32) -> i32 {
    ((word_count + 219) / 220).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_html_drops_scripts_and_event_handlers() {
        let r = render_post(
            "Hi <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
        );
        assert!(!r.html.contains("<script"));
        assert!(!r.html.contains("onerror"));
        assert!(!r.html.contains("javascript:"));
    }

    #[test]
    fn comment_links_are_marked_user_content() {
        let html = render_comment("see [this](https://example.com)");
        assert!(html.contains(r#"rel="nofollow ugc noopener""#), "{html}");
    }

    #[test]
    fn comment_raw_html_is_shown_as_text() {
        let html = render_comment("<b>bold</b>");
        assert!(html.contains("&lt;b&gt;"), "{html}");
    }

    #[test]
    fn plain_text_keeps_inline_markup_attached_to_its_punctuation() {
        assert_eq!(
            plain_text("No **default password**. Next\n\nPara"),
            "No default password. Next Para"
        );
    }

    #[test]
    fn excerpts_are_prose_without_headings_or_code() {
        let r = render_post(
            "Intro line.\n\n## Create your admin\n\nNobody can sign in.\n\n```\ncode here\n```",
        );
        assert_eq!(r.excerpt, "Intro line. Nobody can sign in.");
    }

    #[test]
    fn excerpt_cuts_at_a_word() {
        let text = "word ".repeat(100);
        let e = excerpt_of(text.trim());
        assert!(e.ends_with("word…"), "{e}");
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
    }
}
