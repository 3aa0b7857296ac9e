//! Markdown to safe HTML, done once when a post or comment is saved.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag, TagEnd};

/// What a post stores beside its markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    pub excerpt: String,
    pub word_count: i32,
    /// The words without markup, for the search index.
    pub plain: String,
    /// The library images the text shows.
    pub media_ids: Vec<i32>,
}

/// An image from the media library, as a post shows it: every width for
/// `srcset`, and the size that reserves its space before it loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    pub id: i32,
    pub src: String,
    pub srcset: String,
    pub width: i32,
    pub height: i32,
}

/// Library images by every address they are known at (`/media/…`).
pub type Pictures = HashMap<String, Picture>;

/// How wide an image in an article is shown: the text column, or the
/// screen on a narrow one.
const SIZES: &str = "(max-width: 44rem) 100vw, 42rem";

/// The `/media/…` addresses a text refers to, each once, at most 200: the
/// images to look up before rendering it.
pub fn media_paths(markdown: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in markdown.match_indices("/media/") {
        let name: String = markdown[at + 7..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .take(80)
            .collect();
        let path = format!("/media/{name}");
        if !name.is_empty() && !found.contains(&path) {
            found.push(path);
            if found.len() == 200 {
                break;
            }
        }
    }
    found
}

const EXCERPT_CHARS: usize = 280;

/// Moves whenever the HTML made from the same text changes, so start-up
/// renders stored posts again (`models::post::rerender`). 2: footnote ids,
/// headings one level down, focusable `<pre>`, checked `srcset`, no `<a>`
/// without `href`.
pub const MARKUP_VERSION: u32 = 2;

/// How deep elements may nest in rendered HTML: block quotes, lists, emphasis,
/// links and raw HTML elements together. Deeper markup keeps its text but
/// loses its nesting. The HTML parser behind the sanitiser spends time in
/// proportion to the depth for every element, so this bound is what keeps
/// rendering linear in the size of the text.
pub const MAX_DEPTH: usize = 32;

/// Renders a post body: full CommonMark with tables, footnotes and strikethrough,
/// raw HTML allowed but sanitised by ammonia.
pub fn render_post(markdown: &str) -> Rendered {
    render_post_with(markdown, &Pictures::new())
}

/// `render_post`, with the library's images among `pictures` shown with
/// `srcset`, `sizes`, their width and height, and loaded lazily.
pub fn render_post_with(markdown: &str, pictures: &Pictures) -> Rendered {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    // One parse gives the HTML, the words and the prose for the excerpt.
    let mut words = Words::default();
    let mut prose = Prose::default();
    let events = Parser::new_ext(markdown, options).inspect(|event| {
        words.feed(event);
        prose.feed(event);
    });
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    let mut shown = Vec::new();
    html::push_html(
        &mut raw,
        WithPictures::new(Footnotes::new(Flatten::new(events)), pictures, &mut shown),
    );
    let clean = post_sanitiser().clean(&raw).to_string();
    let html = finish(&clean, Headings::of(&clean));
    Rendered {
        html,
        excerpt: excerpt_of(&prose.finish()),
        word_count: i32::try_from(words.0.split_whitespace().count()).unwrap_or(i32::MAX),
        plain: normalise(&words.0),
        media_ids: shown,
    }
}

/// Where every `id` in a post begins: footnotes link to their own, and no
/// id a post holds can take the name of one the page around it uses
/// (`comments`, `content`).
const ID_PREFIX: &str = "post-";

/// What a post's HTML may hold, markdown and HTML posts alike.
fn post_sanitiser() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["figure", "figcaption"])
        .add_tag_attributes("img", &["srcset", "sizes", "loading", "decoding"])
        .add_generic_attributes(["id"])
        .id_prefix(Some(ID_PREFIX))
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // ammonia checks the scheme of `src` but not of `srcset`'s addresses.
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            (_, "srcset") => safe_srcset(value).map(Cow::Owned),
            _ => Some(Cow::Borrowed(value)),
        });
    builder
}

/// A `srcset` with only its candidates whose address is relative or http(s)
/// and whose descriptor is a width or density, written out again so a
/// browser reads exactly those; `None` when none is left. Candidates are
/// read as browsers read them: an address runs to the next space (commas
/// included, as in a `data:` address), its descriptor to the next comma.
fn safe_srcset(srcset: &str) -> Option<String> {
    let mut kept = Vec::new();
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            break;
        }
        let address_end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let mut address = &rest[..address_end];
        rest = &rest[address_end..];
        let mut descriptor = "";
        if address.ends_with(',') {
            address = address.trim_end_matches(',');
        } else {
            // A comma inside parentheses belongs to the descriptor.
            let mut depth = 0usize;
            let end = rest
                .char_indices()
                .find(|&(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth = depth.saturating_sub(1),
                        _ => {}
                    }
                    c == ',' && depth == 0
                })
                .map_or(rest.len(), |(at, _)| at);
            descriptor = rest[..end].trim();
            rest = &rest[end..];
        }
        let safe_address = !address.contains(',')
            && match url::Url::parse(address) {
                Ok(url) => matches!(url.scheme(), "http" | "https"),
                Err(url::ParseError::RelativeUrlWithoutBase) => true,
                Err(_) => false,
            };
        let safe_descriptor = descriptor.is_empty()
            || (descriptor.len() > 1
                && descriptor.ends_with(['w', 'x'])
                && descriptor[..descriptor.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '.'));
        if safe_address && safe_descriptor {
            kept.push(if descriptor.is_empty() {
                address.to_string()
            } else {
                format!("{address} {descriptor}")
            });
        }
    }
    (!kept.is_empty()).then(|| kept.join(", "))
}

/// Whether a post's headings move one level down (its title is the page's h1).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Headings {
    Shifted,
    Kept,
}

impl Headings {
    /// Only a post that uses h1 moves down: most posts (`##` in markdown,
    /// WordPress's HTML, this site's own export) start their sections at h2,
    /// below the title, and moving them would skip a level (and lower the
    /// headings again at every export and import).
    fn of(clean: &str) -> Headings {
        if clean.contains("<h1") {
            Headings::Shifted
        } else {
            Headings::Kept
        }
    }
}

/// Sanitised HTML made ready for the page, by tags (in ammonia's output
/// every `<` outside a tag is written `&lt;`, and every attribute value is
/// double-quoted with `"` escaped, so tags are found exactly):
/// - an `<a>` left without `href` (its address was not allowed) gives way
///   to its text: a link that goes nowhere confuses keyboard and screen
///   reader users;
/// - `<pre>` can be focused (`tabindex="0"`), so a block that scrolls
///   sideways can be scrolled from the keyboard;
/// - headings move one level down (h1→h2 … h6 stays h6), so the article's
///   title stays the page's only h1.
fn finish(clean: &str, headings: Headings) -> String {
    let mut out = String::with_capacity(clean.len() + clean.len() / 32);
    // For each open `<a>`: whether its tags were dropped.
    let mut links: Vec<bool> = Vec::new();
    let mut rest = clean;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let tag_len = tag_length(&rest[at..]);
        let tag = &rest[at..at + tag_len];
        rest = &rest[at + tag_len..];
        let name = tag_name(tag);
        let closing = tag.starts_with("</");
        match name.as_str() {
            "a" if closing => {
                if !links.pop().unwrap_or(false) {
                    out.push_str(tag);
                }
            }
            "a" => {
                let dropped = !has_attribute(tag, "href");
                links.push(dropped);
                if !dropped {
                    out.push_str(tag);
                }
            }
            "pre" if !closing && !has_attribute(tag, "tabindex") => {
                out.push_str("<pre tabindex=\"0\"");
                out.push_str(&tag[4..]);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if headings == Headings::Shifted => {
                let level = name.as_bytes()[1] - b'0';
                let slash = if closing { "/" } else { "" };
                out.push_str(&format!("<{slash}h{}", (level + 1).min(6)));
                out.push_str(&tag[name.len() + 1 + slash.len()..]);
            }
            _ => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

/// The length of the tag (or comment) `html` starts with, up to its `>`
/// outside quotes; all of `html` when it never ends.
fn tag_length(html: &str) -> usize {
    let mut quoted = false;
    for (at, c) in html.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return at + 1,
            _ => {}
        }
    }
    html.len()
}

/// A tag's element name in lower case (`""` for comments).
fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Whether a start tag as ammonia writes it (`<a href="…" rel="…">`) has
/// the attribute `name`.
fn has_attribute(tag: &str, name: &str) -> bool {
    let mut quoted = false;
    let mut at_name = false;
    let mut from = 0;
    for (at, c) in tag.char_indices() {
        if quoted {
            quoted = c != '"';
            continue;
        }
        match c {
            '"' => quoted = true,
            ' ' => {
                at_name = true;
                from = at + 1;
            }
            '=' | '>' if at_name => {
                if tag[from..at].eq_ignore_ascii_case(name) {
                    return true;
                }
                at_name = false;
            }
            _ => {}
        }
    }
    false
}

/// A post written in HTML (brought in by an import): sanitised by the same
/// rules as a markdown post's HTML, with its words and excerpt taken from
/// the text the sanitised HTML shows. The library images it refers to are
/// counted as shown, so the library knows where they are used.
pub fn render_html_post(html: &str, pictures: &Pictures) -> Rendered {
    let mut raw = String::with_capacity(html.len());
    push_flattened_html(&mut raw, html);
    let clean = with_library_srcsets(&post_sanitiser().clean(&raw).to_string(), pictures);
    let clean = finish(&clean, Headings::of(&clean));
    // Tags become spaces so that blocks do not run their words together.
    let spaced = clean.replace('<', " <");
    let text = ammonia::Builder::default()
        .tags(HashSet::new())
        .clean(&spaced)
        .to_string();
    let text = normalise(&unescape(&text));
    let mut shown = Vec::new();
    for path in media_paths(&clean) {
        if let Some(picture) = pictures.get(&path) {
            if !shown.contains(&picture.id) {
                shown.push(picture.id);
            }
        }
    }
    Rendered {
        html: clean,
        excerpt: excerpt_of(&text),
        word_count: i32::try_from(text.split_whitespace().count()).unwrap_or(i32::MAX),
        plain: text,
        media_ids: shown,
    }
}

/// Sanitised HTML with each library image that has no `srcset` given the
/// library's copies, so a phone loads the narrow one.
fn with_library_srcsets(clean: &str, pictures: &Pictures) -> String {
    static IMG: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r#"<img\b[^>]*>"#).expect("a valid pattern"));
    static SRC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"\ssrc="([^"]*)""#).expect("a valid pattern")
    });
    if pictures.is_empty() {
        return clean.to_string();
    }
    IMG.replace_all(clean, |tag: &regex::Captures<'_>| {
        let tag = &tag[0];
        let picture = SRC
            .captures(tag)
            .and_then(|src| pictures.get(&src[1]))
            .filter(|p| !p.srcset.is_empty() && !tag.contains(" srcset="));
        match picture {
            Some(p) => {
                let mut srcset = String::new();
                let _ = pulldown_cmark_escape::escape_html(&mut srcset, &p.srcset);
                format!(
                    "<img srcset=\"{srcset}\" sizes=\"{SIZES}\"{}",
                    &tag["<img".len()..]
                )
            }
            None => tag.to_string(),
        }
    })
    .into_owned()
}

/// Text as ammonia writes it back to plain characters (it escapes only these).
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Markdown events with each library image replaced by the `<img>` that
/// shows it best; other images pass as they are.
struct WithPictures<'a, 'p, I> {
    events: I,
    pictures: &'p Pictures,
    shown: &'p mut Vec<i32>,
    _text: std::marker::PhantomData<&'a ()>,
}

impl<'a, 'p, I: Iterator<Item = Event<'a>>> WithPictures<'a, 'p, I> {
    fn new(events: I, pictures: &'p Pictures, shown: &'p mut Vec<i32>) -> Self {
        WithPictures {
            events,
            pictures,
            shown,
            _text: std::marker::PhantomData,
        }
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for WithPictures<'a, '_, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        let event = self.events.next()?;
        let Event::Start(Tag::Image {
            dest_url, title, ..
        }) = &event
        else {
            return Some(event);
        };
        let Some(picture) = self.pictures.get(dest_url.as_ref()) else {
            return Some(event);
        };
        // The alt text is the image's inner text, images inside it included.
        let mut alt = String::new();
        let mut depth = 1;
        for inner in self.events.by_ref() {
            match inner {
                Event::Start(Tag::Image { .. }) => depth += 1,
                Event::End(TagEnd::Image) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                Event::SoftBreak | Event::HardBreak => alt.push(' '),
                _ => {}
            }
        }
        if !self.shown.contains(&picture.id) {
            self.shown.push(picture.id);
        }
        let attr = |s: &str| {
            let mut out = String::new();
            let _ = pulldown_cmark_escape::escape_html(&mut out, s);
            out
        };
        let title = if title.is_empty() {
            String::new()
        } else {
            format!(" title=\"{}\"", attr(title))
        };
        Some(Event::InlineHtml(CowStr::from(format!(
            "<img src=\"{}\" srcset=\"{}\" sizes=\"{SIZES}\" width=\"{}\" height=\"{}\" loading=\"lazy\" decoding=\"async\" alt=\"{}\"{title}>",
            attr(&picture.src),
            attr(&picture.srcset),
            picture.width,
            picture.height,
            attr(&alt),
        ))))
    }
}

/// Markdown events with footnotes written out here rather than by
/// pulldown-cmark, whose ids are the writer's own labels: each definition's
/// id and each reference's link are made from its number and begin with
/// [`ID_PREFIX`], so the sanitiser keeps them as they are and they match.
/// The first reference to a note gets an id too, to link back to.
struct Footnotes<'a, I> {
    events: I,
    numbers: HashMap<CowStr<'a>, usize>,
    referenced: HashSet<usize>,
}

impl<'a, I: Iterator<Item = Event<'a>>> Footnotes<'a, I> {
    fn new(events: I) -> Self {
        Footnotes {
            events,
            numbers: HashMap::new(),
            referenced: HashSet::new(),
        }
    }

    /// The note's number: the order in which its label first appeared.
    fn number(&mut self, label: CowStr<'a>) -> usize {
        let next = self.numbers.len() + 1;
        *self.numbers.entry(label).or_insert(next)
    }
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Footnotes<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        Some(match self.events.next()? {
            Event::FootnoteReference(label) => {
                let n = self.number(label);
                let id = if self.referenced.insert(n) {
                    format!(" id=\"{ID_PREFIX}fnref-{n}\"")
                } else {
                    String::new()
                };
                Event::InlineHtml(CowStr::from(format!(
                    "<sup><a href=\"#{ID_PREFIX}fn-{n}\"{id}>{n}</a></sup>"
                )))
            }
            Event::Start(Tag::FootnoteDefinition(label)) => {
                let n = self.number(label);
                Event::Html(CowStr::from(format!(
                    "\n<div class=\"footnote-definition\" id=\"{ID_PREFIX}fn-{n}\"><sup>{n}</sup>"
                )))
            }
            Event::End(TagEnd::FootnoteDefinition) => Event::Html(CowStr::Borrowed("</div>\n")),
            other => other,
        })
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
    html::push_html(&mut raw, Flatten::new(parser));
    finish(&comment_sanitiser().clean(&raw).to_string(), Headings::Kept)
}

/// What a comment's HTML may hold: the comment subset, links marked as user content.
fn comment_sanitiser() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .tags(HashSet::from([
            "p",
            "br",
            "em",
            "strong",
            // Imported comments (WordPress allows these).
            "b",
            "i",
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
        .url_schemes(HashSet::from(["http", "https", "mailto"]));
    builder
}

/// A comment that came as HTML (an import): nesting bounded as in
/// markdown's raw HTML, then the comment rules.
pub fn render_comment_html(html: &str) -> String {
    let mut raw = String::with_capacity(html.len());
    push_flattened_html(&mut raw, html);
    finish(&comment_sanitiser().clean(&raw).to_string(), Headings::Kept)
}

/// A comment's stored HTML under the rules [`finish`] adds (it was
/// sanitised when saved; its source may be markdown or an import's HTML).
pub fn upgrade_comment_html(html: &str) -> String {
    finish(html, Headings::Kept)
}

/// Raw HTML through the same nesting bound as markdown's raw HTML.
fn push_flattened_html(out: &mut String, html: &str) {
    html::push_html(
        out,
        Flatten::new(std::iter::once(Event::Html(CowStr::from(html)))),
    );
}

/// Ampersands one attribute may carry (a link's address or title, a raw
/// tag): the sanitiser's serialiser rescans the rest of a value for every
/// `&`, so more would cost time in proportion to their square.
const MAX_AMPERSANDS: usize = 64;

/// Longest run of text with ampersands kept in one piece, for the same reason;
/// longer runs are cut by an empty comment, which the sanitiser drops.
const TEXT_RUN: usize = 128;

/// Footnote definitions and references kept in one text; past that they show
/// as text (each becomes several elements, many times its size in markdown).
const MAX_FOOTNOTES: usize = 1000;

/// Markdown events with nesting bounded by [`MAX_DEPTH`]: a container
/// opened deeper than that is dropped with its end (its text stays), and raw
/// HTML is rewritten so its elements nest properly and no deeper either.
/// Long texts full of ampersands are cut into pieces, and links whose
/// address or title is full of them are shown as text.
struct Flatten<'a, I> {
    events: I,
    /// Events made from one input event, waiting to be passed on.
    pending: std::collections::VecDeque<Event<'a>>,
    /// For each open markdown container: if it was passed on, how many raw
    /// elements were open at its start (its end closes those opened inside).
    open: Vec<Option<usize>>,
    /// Containers passed on and still open.
    depth: usize,
    /// Open images: their text is written into an attribute, never cut.
    images: usize,
    /// Raw HTML elements opened and not yet closed, innermost last.
    raw: Vec<String>,
    /// Inside a raw tag (between `<name` and `>`), and the ampersands seen in it.
    in_tag: bool,
    tag_ampersands: usize,
    /// Bytes of raw text since the last tag or cut.
    run: usize,
    /// Footnote definitions and references passed on.
    footnotes: usize,
}

impl<'a, I: Iterator<Item = Event<'a>>> Flatten<'a, I> {
    fn new(events: I) -> Self {
        Flatten {
            events,
            pending: std::collections::VecDeque::new(),
            open: Vec::new(),
            depth: 0,
            images: 0,
            raw: Vec::new(),
            in_tag: false,
            tag_ampersands: 0,
            run: 0,
            footnotes: 0,
        }
    }

    fn room(&self) -> bool {
        self.depth + self.raw.len() < MAX_DEPTH
    }

    /// Raw HTML with its tags balanced against the open raw elements: an end
    /// tag closes the elements opened inside it first, an end tag of nothing
    /// open becomes text, and so does a start tag past the depth bound.
    /// Ampersands past [`MAX_AMPERSANDS`] in one tag are dropped, and long
    /// text runs are cut.
    fn balance(&mut self, html: &str) -> String {
        let mut out = String::with_capacity(html.len() + 16);
        for (at, c) in html.char_indices() {
            if self.in_tag {
                match c {
                    '>' => self.in_tag = false,
                    '&' => {
                        self.tag_ampersands += 1;
                        if self.tag_ampersands > MAX_AMPERSANDS {
                            continue;
                        }
                    }
                    _ => {}
                }
                out.push(c);
                continue;
            }
            match c {
                '<' => {
                    let after = &html[at + 1..];
                    let (closing, name_at) = match after.strip_prefix('/') {
                        Some(name) => (true, name),
                        None => (false, after),
                    };
                    let name: String = name_at
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric())
                        .map(|c| c.to_ascii_lowercase())
                        .collect();
                    let is_tag = name.starts_with(|c: char| c.is_ascii_alphabetic());
                    let keep = if !is_tag {
                        // `<` before anything but a tag name is text to the HTML parser.
                        true
                    } else if closing {
                        match self.raw.iter().rposition(|open| *open == name) {
                            Some(i) => {
                                for inner in self.raw.drain(i + 1..).rev() {
                                    out.push_str("</");
                                    out.push_str(&inner);
                                    out.push('>');
                                }
                                self.raw.pop();
                                true
                            }
                            // The HTML parser ignores an end tag of nothing open.
                            None => true,
                        }
                    } else if VOID_ELEMENTS.contains(&name.as_str()) {
                        true
                    } else if let Some(i) = self.implicitly_closed(&name) {
                        // `<li>` after `<li>`, `<td>` after `<td>`, …: the parser
                        // closes the earlier one itself.
                        self.raw.truncate(i);
                        self.raw.push(name);
                        true
                    } else if self.room() {
                        self.raw.push(name);
                        true
                    } else {
                        false
                    };
                    if keep && is_tag {
                        self.in_tag = true;
                        self.tag_ampersands = 0;
                        self.run = 0;
                        out.push('<');
                    } else if keep {
                        out.push('<');
                    } else {
                        out.push_str("&lt;");
                    }
                }
                '&' if self.run > TEXT_RUN => {
                    out.push_str("<!---->&");
                    self.run = 0;
                }
                _ => {
                    out.push(c);
                    self.run += c.len_utf8();
                }
            }
        }
        out
    }

    /// Where the open element that a start tag `name` closes by itself
    /// stands (elements whose end tag may be left out), if one is open.
    fn implicitly_closed(&self, name: &str) -> Option<usize> {
        let family = |n: &str| match n {
            "li" => 1,
            "dt" | "dd" => 2,
            "p" => 3,
            "td" | "th" => 4,
            "tr" => 5,
            "thead" | "tbody" | "tfoot" => 6,
            "option" => 7,
            _ => 0,
        };
        let wanted = family(name);
        if wanted == 0 {
            return None;
        }
        // A row closes the cells in it too, a table section its rows.
        let closes = |open: &str| {
            let f = family(open);
            f == wanted || (wanted == 5 && f == 4) || (wanted == 6 && (f == 4 || f == 5))
        };
        let at = self.raw.iter().rposition(|open| closes(open))?;
        // Only the innermost such element, and not across a list or table
        // opened since (a nested list's first item closes nothing outside).
        let nested = self.raw[at + 1..]
            .iter()
            .any(|open| matches!(open.as_str(), "ul" | "ol" | "dl" | "table" | "select"));
        (!nested).then_some(at)
    }

    /// Text (or code) cut before an ampersand every [`TEXT_RUN`] bytes of
    /// a run (neighbouring texts make one run); in an image's text, which
    /// becomes an attribute, ampersands past [`MAX_AMPERSANDS`] are dropped.
    fn cut(&mut self, text: CowStr<'a>, code: bool) -> Event<'a> {
        let make = |piece: CowStr<'a>| {
            if code {
                Event::Code(piece)
            } else {
                Event::Text(piece)
            }
        };
        let ampersands = text.bytes().filter(|b| *b == b'&').count();
        if self.images > 0 {
            self.tag_ampersands += ampersands;
            if self.tag_ampersands <= MAX_AMPERSANDS {
                return make(text);
            }
            return make(CowStr::from(text.replace('&', "")));
        }
        if ampersands == 0 || self.run + text.len() <= TEXT_RUN {
            self.run += text.len();
            return make(text);
        }
        let mut pieces = vec![String::new()];
        for c in text.chars() {
            if c == '&' && self.run > TEXT_RUN {
                pieces.push(String::new());
                self.run = 0;
            }
            if let Some(piece) = pieces.last_mut() {
                piece.push(c);
            }
            self.run += c.len_utf8();
        }
        let mut pieces = pieces.into_iter();
        let first = make(CowStr::from(pieces.next().unwrap_or_default()));
        for piece in pieces {
            self.pending
                .push_back(Event::InlineHtml(CowStr::Borrowed("<!---->")));
            self.pending.push_back(make(CowStr::from(piece)));
        }
        first
    }
}

/// Elements that have no end tag and so never nest.
const VOID_ELEMENTS: [&str; 14] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

fn too_many_ampersands(text: &str) -> bool {
    text.bytes().filter(|b| *b == b'&').count() > MAX_AMPERSANDS
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Flatten<'a, I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        if let Some(event) = self.pending.pop_front() {
            return Some(event);
        }
        loop {
            let event = self.events.next()?;
            match event {
                Event::Start(tag) => {
                    let keep = self.room()
                        && match &tag {
                            Tag::Link {
                                dest_url, title, ..
                            }
                            | Tag::Image {
                                dest_url, title, ..
                            } => !too_many_ampersands(dest_url) && !too_many_ampersands(title),
                            Tag::FootnoteDefinition(label) => {
                                self.footnotes += 1;
                                self.footnotes <= MAX_FOOTNOTES && !too_many_ampersands(label)
                            }
                            Tag::CodeBlock(pulldown_cmark::CodeBlockKind::Fenced(info)) => {
                                !too_many_ampersands(info)
                            }
                            _ => true,
                        };
                    self.open.push(keep.then_some(self.raw.len()));
                    if keep {
                        self.depth += 1;
                        self.run = 0;
                        if matches!(tag, Tag::Image { .. }) {
                            self.images += 1;
                            self.tag_ampersands = 0;
                        }
                        return Some(Event::Start(tag));
                    }
                }
                Event::End(end) => {
                    if let Some(raw_at_start) = self.open.pop().flatten() {
                        // The parser closes raw elements left open inside a
                        // container at its end; raw blocks stay open across
                        // markdown (`<div>`, text, `</div>`).
                        if end != TagEnd::HtmlBlock {
                            self.raw.truncate(raw_at_start);
                        }
                        self.depth = self.depth.saturating_sub(1);
                        self.run = 0;
                        if end == TagEnd::Image {
                            self.images = self.images.saturating_sub(1);
                        }
                        return Some(Event::End(end));
                    }
                    // A dropped block still separates its words from the next.
                    return Some(Event::SoftBreak);
                }
                Event::FootnoteReference(label) => {
                    self.footnotes += 1;
                    if self.footnotes <= MAX_FOOTNOTES && !too_many_ampersands(&label) {
                        return Some(Event::FootnoteReference(label));
                    }
                    return Some(self.cut(CowStr::from(format!("[^{label}]")), false));
                }
                Event::Text(text) => return Some(self.cut(text, false)),
                Event::Code(text) => {
                    // Each piece of code is an element of its own.
                    self.run = 0;
                    let first = self.cut(text, true);
                    self.run = 0;
                    return Some(first);
                }
                Event::Html(html) => return Some(Event::Html(CowStr::from(self.balance(&html)))),
                Event::InlineHtml(html) => {
                    return Some(Event::InlineHtml(CowStr::from(self.balance(&html))))
                }
                other => return Some(other),
            }
        }
    }
}

/// The words of a markdown text without its markup, paragraphs joined by spaces.
pub fn plain_text(markdown: &str) -> String {
    let mut words = Words::default();
    for event in Parser::new(markdown) {
        words.feed(&event);
    }
    normalise(&words.0)
}

/// The words of a text as its events go by.
#[derive(Default)]
struct Words(String);

impl Words {
    fn feed(&mut self, event: &Event) {
        let out = &mut self.0;
        match event {
            Event::Text(t) | Event::Code(t) => out.push_str(t),
            // Blocks and line breaks separate words; inline ends (emphasis, links) do not.
            Event::SoftBreak
            | Event::HardBreak
            | Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::BlockQuote(_)
                | TagEnd::CodeBlock
                | TagEnd::TableCell
                | TagEnd::FootnoteDefinition,
            ) if !out.ends_with(' ') => out.push(' '),
            _ => {}
        }
    }
}

/// The running prose of a text as its events go by: paragraphs and quotes,
/// without headings, code blocks, tables or footnotes, so an excerpt reads
/// as sentences.
#[derive(Default)]
struct Prose {
    out: String,
    skip: usize,
}

impl Prose {
    fn feed(&mut self, event: &Event) {
        match event {
            Event::Start(
                Tag::Heading { .. }
                | Tag::CodeBlock(_)
                | Tag::Table(_)
                | Tag::FootnoteDefinition(_)
                // An image's alt text describes it; it is not the story's prose.
                | Tag::Image { .. },
            ) => self.skip += 1,
            Event::End(
                TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::Table
                | TagEnd::FootnoteDefinition
                | TagEnd::Image,
            ) => self.skip = self.skip.saturating_sub(1),
            Event::Text(t) | Event::Code(t) if self.skip == 0 => self.out.push_str(t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item)
                if self.skip == 0 && !self.out.ends_with(' ') =>
            {
                self.out.push(' ')
            }
            _ => {}
        }
    }

    fn finish(self) -> String {
        normalise(&self.out)
    }
}

fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The opening of a text, cut at a word boundary with an ellipsis when shortened.
pub fn excerpt_of(text: &str) -> String {
    cut_at_word(text, EXCERPT_CHARS)
}

/// `text` as it is when it has at most `max` characters; else cut at the
/// last word boundary before that, with "…" (counted in `max`).
pub fn cut_at_word(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let at_word = cut.rfind(' ').map_or(cut.as_str(), |i| &cut[..i]);
    format!("{}…", at_word.trim_end_matches([',', ';', ':', '.', ' ']))
}

/// Minutes a reader needs, at about 220 words a minute; at least one.
pub fn reading_minutes(word_count: i32) -> i32 {
    ((word_count + 219) / 220).max(1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn html_posts_are_sanitised_and_their_words_counted_from_the_text() {
        let r = render_html_post(
            "<p>First&nbsp;words &amp; more</p><script>alert(1)</script><p>Second<br>line</p>\
             <figure><img src=\"/media/a.jpg\" alt=\"A\" onerror=\"x()\"><figcaption>Cap</figcaption></figure>",
            &Pictures::new(),
        );
        assert!(
            !r.html.contains("script") && !r.html.contains("onerror"),
            "{}",
            r.html
        );
        assert!(
            r.html.contains("<figcaption>Cap</figcaption>"),
            "{}",
            r.html
        );
        assert_eq!(r.plain, "First words & more Second line Cap");
        assert_eq!(r.word_count, 7);
        assert!(r.excerpt.starts_with("First"));
    }

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
    fn the_excerpt_leaves_out_image_descriptions() {
        let r = render_post(
            "The ferry left at six.\n\n![The harbour at dawn](/media/a.jpg)\n\nMore soon.",
        );
        assert_eq!(r.excerpt, "The ferry left at six. More soon.");
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
    fn deep_quotes_are_flattened_and_keep_their_text() {
        let html = render_post(&format!("{}deep words", ">".repeat(100)));
        assert_eq!(html.html.matches("<blockquote>").count(), MAX_DEPTH);
        assert!(html.html.contains("deep words"), "{}", html.html);
    }

    #[test]
    fn raw_html_with_optional_end_tags_and_wrapping_divs_keeps_its_markup() {
        let items = "<li>item".repeat(60);
        let body =
            format!("<ul>{items}</ul>\n\n<div class=\"note\">\n\n*inside*\n\n</div>\n\n**after**");
        let html = render_post(&body).html;
        assert_eq!(html.matches("<li>").count(), 60, "{html}");
        assert!(!html.contains("&lt;"), "{html}");
        assert!(
            html.contains("<em>inside</em>") && html.contains("<strong>after</strong>"),
            "{html}"
        );
    }

    #[test]
    fn srcset_candidates_are_read_as_browsers_read_them() {
        assert_eq!(
            safe_srcset("/a.jpg 480w, /b.jpg 960w").as_deref(),
            Some("/a.jpg 480w, /b.jpg 960w")
        );
        assert_eq!(
            safe_srcset("data:image/png;base64,AAAA 1x,/c.jpg,, javascript:x 2x").as_deref(),
            Some("/c.jpg")
        );
        assert_eq!(
            safe_srcset("/a.jpg 1x (x, y) 2x, /b.jpg 3x").as_deref(),
            Some("/b.jpg 3x")
        );
        assert_eq!(safe_srcset("vbscript:x"), None);
    }

    #[test]
    fn markdown_posts_move_their_headings_down_only_when_one_is_an_h1() {
        assert_eq!(render_post("# A\n\n## B").html, "<h2>A</h2>\n<h3>B</h3>\n");
        // Sections written with `##` sit right below the title already:
        // moving them would skip a level (h1 then h3).
        assert_eq!(
            render_post("## A\n\n### B").html,
            "<h2>A</h2>\n<h3>B</h3>\n"
        );
    }

    #[test]
    fn html_posts_move_their_headings_down_only_when_one_is_an_h1() {
        let shifted = render_html_post("<h1>A</h1><h2>B</h2>", &Pictures::new()).html;
        assert_eq!(shifted, "<h2>A</h2><h3>B</h3>");
        // As this site exports a post, and WordPress writes one: kept, so an
        // export imported again comes back as it was.
        let exported = render_post("# A\n\n## B").html;
        assert_eq!(render_html_post(&exported, &Pictures::new()).html, exported);
    }

    #[test]
    fn excerpt_cuts_at_a_word() {
        let text = "word ".repeat(100);
        let e = excerpt_of(text.trim());
        assert!(e.ends_with("word…"), "{e}");
        assert!(e.chars().count() <= EXCERPT_CHARS + 1);
    }
}
