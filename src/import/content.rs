//! WordPress post and comment bodies from a WXR export, turned into the HTML
//! WordPress itself shows for them. The sanitiser runs after this, so nothing
//! here is about safety, only about looking as the old site did.
//!
//! Every step is one forward pass or a `regex` replacement (linear in the text,
//! with no pattern that has to look far past its own match), so a hostile export
//! costs time in proportion to its size.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex, Replacer};

/// A regex compiled once. In these patterns `\s` (outside classes) means what it
/// means to WordPress, whose PCRE patterns have no `u` flag: ASCII blanks only,
/// so a no-break space is text and a paragraph of one stays a paragraph.
macro_rules! regex {
    ($pattern:expr) => {{
        static RE: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(&$pattern.replace(r"\s", r"(?-u:\s)")).expect("a valid constant pattern")
        });
        &*RE
    }};
}

/// wpautop's block-level elements: never wrapped in `<p>`, no `<br />` beside them.
/// Matched in any case, as old pasted content has `<P>` and `<DIV>`.
macro_rules! blocks {
    () => {
        "(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol|li|pre\
         |form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend|section|article\
         |aside|hgroup|header|footer|nav|figure|figcaption|details|menu|summary)"
    };
}

/// A whole block tag, opening or closing. The word boundary is not
/// WordPress's: without it `<p` also matched `<param>` and `<picture>`, and
/// `<tr` matched `<track>`, pulling inline media out of their paragraphs.
macro_rules! block_tag {
    () => {
        concat!("</?", blocks!(), r"(?-u:\b)[^>]*>")
    };
}

/// Stand-ins for what the paragraph rules must not touch: a protected `<pre>`
/// (shaped as a block tag, so the rules treat it as one) and a newline inside a
/// tag. Unicode reserves these noncharacters for a program's internal use, so
/// dropping any the input holds loses nothing a reader could see.
const PRE_MARK: &str = "<pre \u{FDD0}></pre>";
const PRE_MARK_CHAR: char = '\u{FDD0}';
const HIDDEN_NEWLINE: char = '\u{FDD1}';

/// WordPress content as WordPress shows it. Block-editor content (it holds
/// `<!-- wp:` comments) has its block comments dropped and no paragraph rules
/// applied (blocks already carry their own <p>); classic content gets
/// `[caption]` shortcodes turned into figures and then WordPress's paragraph rules.
/// Block content gets its captions too: WordPress runs shortcodes on both.
pub fn wordpress_html(content: &str) -> String {
    if content.contains("<!-- wp:") {
        captions(&strip_block_comments(content))
            .trim_matches(is_php_blank)
            .to_owned()
    } else {
        // WordPress expands shortcodes after wpautop and then unwraps them
        // from their <p>; figures first gives the same without the unwrapping.
        autop(&captions(content))
    }
}

/// WordPress's paragraph rules (its `wpautop`): text separated by blank lines
/// becomes `<p>` paragraphs, a single newline inside a paragraph becomes `<br />`,
/// and block-level elements (div, table, ul, ol, li, blockquote, pre, h1-h6,
/// figure, figcaption, hr, p, form, section, article, aside, header, footer, ...) are
/// not wrapped in <p> and get no <br /> around them; text inside <pre> is kept as is
/// (no <br />, no <p>); CRLF and CR are treated as LF.
///
/// Each paragraph ends in a newline, as WordPress's do: `"One\n\nTwo"` gives
/// `"<p>One</p>\n<p>Two</p>\n"`.
pub fn autop(text: &str) -> String {
    let source = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace([PRE_MARK_CHAR, HIDDEN_NEWLINE], "");
    if source.trim_matches(is_php_blank).is_empty() {
        return String::new();
    }
    // The steps and their order are wpautop's; the padding lets the last
    // paragraph end like the others.
    let source = source + "\n";
    let (text, pres) = hide_pres(&source);

    // Two breaks in a row were meant as a new paragraph.
    let text = sub(text, regex!(r"(?i)<br\s*/?>\s*<br\s*/?>"), "\n\n");
    let text = sub(
        text,
        regex!(concat!("(?i)(<", blocks!(), r"(?:\s|/|>))")),
        "\n\n$1",
    );
    let text = sub(text, regex!(concat!("(?i)(</", blocks!(), ">)")), "$1\n\n");
    // A block tag stands alone between blank lines, so it becomes a
    // paragraph of its own that the unwrapping below takes apart again.
    let text = sub(text, regex!(r"(?i)(<hr\s*/?>)"), "$1\n\n");
    let text = hide_tag_newlines(&text);
    let text = collapse_markup_breaks(text);
    let text = sub(text, regex!(r"\n\n+"), "\n\n");

    let mut wrapped = String::with_capacity(text.len() + text.len() / 4);
    for paragraph in regex!(r"\n\s*\n").split(&text) {
        if !paragraph.is_empty() {
            wrapped.push_str("<p>");
            wrapped.push_str(paragraph.trim_matches('\n'));
            wrapped.push_str("</p>\n");
        }
    }

    // Now undo the <p> that went around block tags, or half around them.
    let text = sub(wrapped, regex!(r"<p>\s*</p>"), "");
    let text = sub(
        text,
        regex!(r"(?i)<p>([^<]+)</(div|address|form)>"),
        "<p>$1</p></$2>",
    );
    let text = sub(
        text,
        regex!(concat!(r"(?i)<p>\s*(", block_tag!(), r")\s*</p>")),
        "$1",
    );
    let text = sub(text, regex!(r"(?i)<p>(<li.+?)</p>"), "$1");
    let text = sub(
        text,
        regex!(r"(?i)<p><blockquote([^>]*)>"),
        "<blockquote$1><p>",
    );
    let text = sub(text, regex!(r"(?i)</blockquote></p>"), "</p></blockquote>");
    let text = sub(
        text,
        regex!(concat!(r"(?i)<p>\s*(", block_tag!(), ")")),
        "$1",
    );
    let text = sub(
        text,
        regex!(concat!(r"(?i)(", block_tag!(), r")\s*</p>")),
        "$1",
    );

    // One spelling of <br />, so that the look-behind below knows them all.
    let text = sub(text, regex!(r"(?i)<br\s*/?>"), "<br />");
    let text = line_breaks(text);
    let text = sub(
        text,
        regex!(concat!(r"(?i)(", block_tag!(), r")\s*<br />")),
        "$1",
    );
    let text = sub(
        text,
        regex!(r"(?i)<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)(?-u:\b)[^>]*>)"),
        "$1",
    );

    // PCRE's `$` matches before a final newline too.
    let text = match text.strip_suffix("\n</p>\n") {
        Some(head) => format!("{head}</p>\n"),
        None => text,
    };

    restore_pres(&text, &pres).replace(HIDDEN_NEWLINE, "\n")
}

/// `[caption id="attachment_12" align="alignright" width="300"]<img ...> Caption text[/caption]`
/// (also with the image wrapped in a link, also with a `caption="..."` attribute instead of
/// trailing text, as old WordPress versions wrote) becomes
/// `<figure class="wp-caption alignright"><img ...><figcaption>Caption text</figcaption></figure>`
/// Unclosed or malformed caption shortcodes are left as they are.
///
/// `[wp_caption]`, the oldest spelling, is read too, and `[[caption]…[/caption]]`
/// shows the shortcode itself, as in WordPress.
pub fn captions(text: &str) -> String {
    const NAMES: [&str; 2] = ["caption", "wp_caption"];
    const CLOSES: [&str; 2] = ["[/caption]", "[/wp_caption]"];
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    // Where each name's next closing tag was found, or that there is none:
    // searching afresh from every opening tag would make "[caption]" repeated
    // quadratic.
    let mut closes: [Option<Option<usize>>; 2] = [None; 2];
    while let Some(open) = text[from..].find('[').map(|at| from + at) {
        from = open + 1;
        let Some((name, attrs, body)) = opening_tag(text, open, &NAMES) else {
            continue;
        };
        let close = match closes[name] {
            Some(Some(at)) if at >= body => Some(at),
            Some(None) => None,
            _ => {
                let found = text[body..].find(CLOSES[name]).map(|at| body + at);
                closes[name] = Some(found);
                found
            }
        };
        let Some(close) = close else { continue };
        let end = close + CLOSES[name].len();
        // `[[caption]…[/caption]]` is WordPress's way to show a shortcode as text.
        if open > copied && text[..open].ends_with('[') && text[end..].starts_with(']') {
            out.push_str(&text[copied..open - 1]);
            out.push_str(&text[open..end]);
            copied = end + 1;
        } else {
            out.push_str(&text[copied..open]);
            out.push_str(&figure(attrs, &text[body..close]));
            copied = end;
        }
        from = copied;
    }
    out.push_str(&text[copied..]);
    out
}

/// Removes every `<!-- wp:... -->` and `<!-- /wp:... -->` block comment (self-closing ones
/// like `<!-- wp:separator /-->` too), keeping what is between them.
pub fn strip_block_comments(text: &str) -> String {
    // Block attributes are JSON that WordPress writes with `--` escaped, so a
    // block comment ends at the first `-->`.
    regex!(r"(?s)<!--\s+/?wp:[a-z][a-z0-9_/-]*\s.*?-->")
        .replace_all(text, "")
        .into_owned()
}

/// PHP's `trim` blanks, which WordPress's emptiness and trimming go by.
fn is_php_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B')
}

/// `replace_all`, keeping the string it was given when nothing matched.
fn sub(text: String, re: &Regex, replacement: impl Replacer) -> String {
    let changed = match re.replace_all(&text, replacement) {
        Cow::Owned(changed) => Some(changed),
        Cow::Borrowed(_) => None,
    };
    changed.unwrap_or(text)
}

/// Takes each `<pre>`, up to the first `</pre>` after it as wpautop does, out
/// of the text, leaving a `PRE_MARK` in its place. A stray `</pre>` stays.
fn hide_pres(text: &str) -> (String, Vec<&str>) {
    const CLOSE: &str = "</pre>";
    // ASCII lowercasing keeps every byte where it was.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut pres = Vec::new();
    let mut at = 0;
    while let Some(close) = lower[at..].find(CLOSE).map(|c| at + c + CLOSE.len()) {
        let part = &lower[at..close];
        let open = part.match_indices("<pre").map(|(i, _)| at + i).find(|&i| {
            matches!(
                lower.as_bytes().get(i + 4),
                Some(b'>' | b'/' | b' ' | b'\t' | b'\n' | b'\x0C')
            )
        });
        match open {
            Some(open) => {
                out.push_str(&text[at..open]);
                out.push_str(PRE_MARK);
                pres.push(&text[open..close]);
            }
            None => out.push_str(&text[at..close]),
        }
        at = close;
    }
    out.push_str(&text[at..]);
    (out, pres)
}

fn restore_pres(text: &str, pres: &[&str]) -> String {
    let mut parts = text.split(PRE_MARK);
    let mut out = String::with_capacity(text.len() + pres.iter().map(|p| p.len()).sum::<usize>());
    out.push_str(parts.next().unwrap_or_default());
    for (part, pre) in parts.zip(pres) {
        out.push_str(pre);
        out.push_str(part);
    }
    out
}

/// Newlines inside a tag or comment (attributes over several lines) are no
/// line breaks: wpautop hides them until it is done, and so does this.
fn hide_tag_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        let (before, from) = rest.split_at(lt);
        out.push_str(before);
        let len = tag_len(from);
        out.extend(
            from[..len]
                .chars()
                .map(|c| if c == '\n' { HIDDEN_NEWLINE } else { c }),
        );
        rest = &from[len..];
    }
    out.push_str(rest);
    out
}

/// The length of the tag or comment that `from` (at a `<`) starts, 1 for a `<`
/// that starts neither ("I <3 it"). One left open runs to the end, as in WordPress.
fn tag_len(from: &str) -> usize {
    let starts_tag = from
        .as_bytes()
        .get(1)
        .is_some_and(|c| c.is_ascii_alphabetic() || b"/!?".contains(c));
    let end = if let Some(body) = from.strip_prefix("<!--") {
        body.find("-->").map(|at| 4 + at + 3)
    } else if starts_tag {
        from.find('>').map(|at| at + 1)
    } else {
        Some(1)
    };
    end.unwrap_or(from.len())
}

/// Line breaks that only lay out markup, not text: around `<option>`, inside
/// `<object>`, around `<source>` and `<track>` in `<audio>`/`<video>`, and
/// before a `<figcaption>` or after its end.
fn collapse_markup_breaks(mut text: String) -> String {
    let lower = text.to_ascii_lowercase();
    if lower.contains("<option") {
        text = sub(text, regex!(r"(?i)\s*<option"), "<option");
        text = sub(text, regex!(r"(?i)</option>\s*"), "</option>");
    }
    if lower.contains("</object>") {
        text = sub(text, regex!(r"(?i)(<object[^>]*>)\s*"), "$1");
        text = sub(text, regex!(r"(?i)\s*</object>"), "</object>");
        text = sub(text, regex!(r"(?i)\s*(</?(?:param|embed)[^>]*>)\s*"), "$1");
    }
    if lower.contains("<source") || lower.contains("<track") {
        text = sub(
            text,
            regex!(r"(?i)([<\[](?:audio|video)[^>\]]*[>\]])\s*"),
            "$1",
        );
        text = sub(text, regex!(r"(?i)\s*([<\[]/(?:audio|video)[>\]])"), "$1");
        text = sub(text, regex!(r"(?i)\s*(<(?:source|track)[^>]*>)\s*"), "$1");
    }
    if lower.contains("<figcaption") {
        text = sub(text, regex!(r"(?i)\s*(<figcaption[^>]*>)"), "$1");
        text = sub(text, regex!(r"(?i)</figcaption>\s*"), "</figcaption>");
    }
    text
}

/// Each run of blanks holding a newline ends as `<br />\n`, unless a `<br />`
/// is already there. (WordPress's look-behind for that has a slip, a second
/// `<br />` after `<br /> \n`, which this does not copy.)
fn line_breaks(text: String) -> String {
    let changed = regex!(r"\s*\n").replace_all(&text, |caps: &Captures| match caps.get(0) {
        Some(run) if !text[..run.start()].ends_with("<br />") => "<br />\n",
        Some(run) => &text[run.range()],
        None => "",
    });
    let changed = match changed {
        Cow::Owned(changed) => Some(changed),
        Cow::Borrowed(_) => None,
    };
    changed.unwrap_or(text)
}

/// The caption shortcode starting at `text[open]` (a `[`), if it is one:
/// which of `names`, its attribute text, and where its content starts.
/// Self-closing ones have no image to caption and do not count.
fn opening_tag<'a>(text: &'a str, open: usize, names: &[&str]) -> Option<(usize, &'a str, usize)> {
    let rest = &text[open + 1..];
    let name = names.iter().position(|name| {
        rest.starts_with(name)
            && !rest[name.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    })?;
    let attrs = open + 1 + names[name].len();
    // WordPress lets attributes hold a `[`; stopping at one keeps each opening
    // tag's scan short of the next, and real captions never have one.
    let end = attrs + text[attrs..].find(['[', ']'])?;
    if text[end..].starts_with('[') || text[..end].ends_with('/') {
        return None;
    }
    Some((name, &text[attrs..end], end + 1))
}

/// What WordPress's `img_caption_shortcode` makes of one caption, in its HTML5
/// form without the id and inline width. With no caption text it gives the
/// image alone, as WordPress does.
fn figure(attrs: &str, content: &str) -> String {
    let attrs = shortcode_attrs(attrs);
    let attr = |name: &str| attrs.iter().find(|(n, _)| n == name).map(|(_, v)| *v);
    let (media, caption) = match attr("caption") {
        Some(caption) => (content.trim_matches(is_php_blank), caption),
        None => match regex!(r"(?i)(?:<a\s[^>]+>\s*)?<img\s[^>]+>(?:\s*</a>)?").find(content) {
            Some(image) => (
                content[..image.end()].trim_matches(is_php_blank),
                content[image.end()..].trim_matches(is_php_blank),
            ),
            None => (content, ""),
        },
    };
    if caption.is_empty() {
        return media.to_owned();
    }
    let mut class = String::from("wp-caption");
    let given = [
        attr("align").unwrap_or("alignnone"),
        attr("class").unwrap_or_default(),
    ];
    for name in given
        .iter()
        .flat_map(|names| names.split_ascii_whitespace())
    {
        if name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            class.push(' ');
            class.push_str(name);
        }
    }
    format!(r#"<figure class="{class}">{media}<figcaption>{caption}</figcaption></figure>"#)
}

/// A shortcode's named attributes as WordPress's `shortcode_parse_atts` reads
/// them (`name="v"`, `name='v'`, `name=v`; names in lower case), skipping
/// positional ones.
fn shortcode_attrs(text: &str) -> Vec<(String, &str)> {
    // WordPress reads no-break and zero-width spaces as spaces here.
    let blank = |c: char| c.is_ascii_whitespace() || c == '\u{a0}' || c == '\u{200b}';
    let mut attrs = Vec::new();
    let mut rest = text.trim_start_matches(blank);
    while !rest.is_empty() {
        let name_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let (name, after) = rest.split_at(name_len);
        let value = after.trim_start_matches(blank).strip_prefix('=');
        rest = match value.map(|v| v.trim_start_matches(blank)) {
            Some(value) if !name.is_empty() => {
                let (value, next) = match value.chars().next() {
                    Some(quote @ ('"' | '\'')) => match value[1..].find(quote) {
                        Some(at) => (&value[1..1 + at], &value[2 + at..]),
                        None => (&value[1..], ""),
                    },
                    _ => value.split_at(value.find(blank).unwrap_or(value.len())),
                };
                attrs.push((name.to_ascii_lowercase(), value));
                next
            }
            // A positional value or stray text: skip the word.
            _ => &rest[rest.find(blank).unwrap_or(rest.len())..],
        }
        .trim_start_matches(blank);
    }
    attrs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_separate_paragraphs() {
        assert_eq!(autop("One\n\nTwo"), "<p>One</p>\n<p>Two</p>\n");
        assert_eq!(autop("One\n\n\n\n  \nTwo\n"), "<p>One</p>\n<p>Two</p>\n");
    }

    #[test]
    fn a_single_newline_is_a_line_break() {
        assert_eq!(
            autop("Line one\nline two"),
            "<p>Line one<br />\nline two</p>\n"
        );
        // An existing break gets no second one.
        assert_eq!(
            autop("Line one<br>\nline two"),
            "<p>Line one<br />\nline two</p>\n"
        );
    }

    #[test]
    fn lists_get_no_paragraphs_or_breaks() {
        assert_eq!(
            autop("<ul>\n<li>a</li>\n</ul>"),
            "<ul>\n<li>a</li>\n</ul>\n"
        );
        assert_eq!(
            autop("Intro\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\nOutro"),
            "<p>Intro</p>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<p>Outro</p>\n"
        );
    }

    #[test]
    fn block_elements_are_not_wrapped() {
        assert_eq!(
            autop("<h2>Title</h2>\nText"),
            "<h2>Title</h2>\n<p>Text</p>\n"
        );
        assert_eq!(
            autop("<div>\n\nInside\n\n</div>"),
            "<div>\n<p>Inside</p>\n</div>\n"
        );
        assert_eq!(
            autop("<table>\n<tr>\n<td>a</td>\n</tr>\n</table>"),
            "<table>\n<tr>\n<td>a</td>\n</tr>\n</table>\n"
        );
        assert_eq!(
            autop("Above\n<hr />\nBelow"),
            "<p>Above</p>\n<hr />\n<p>Below</p>\n"
        );
        // Upper-case tags, as old pasted content has them, are blocks too.
        assert_eq!(autop("<DIV>x</DIV>"), "<DIV>x</DIV>\n");
    }

    #[test]
    fn pre_text_is_kept_exactly() {
        assert_eq!(autop("<pre>a\n\nb</pre>"), "<pre>a\n\nb</pre>\n");
        let out = autop("Intro\n<pre class=\"code\">fn x() {\n\n    y\n}</pre>\nOutro");
        assert_eq!(
            out,
            "<p>Intro</p>\n<pre class=\"code\">fn x() {\n\n    y\n}</pre>\n<p>Outro</p>\n"
        );
        // Two of them, each restored in its place.
        assert_eq!(
            autop("<pre>1\n\n</pre>\n\nmid\n\n<PRE>2\n</PRE>"),
            "<pre>1\n\n</pre>\n<p>mid</p>\n<PRE>2\n</PRE>\n"
        );
    }

    #[test]
    fn a_blockquote_after_text_gets_its_own_paragraph_inside() {
        assert_eq!(
            autop("Text\n\n<blockquote>Quote</blockquote>"),
            "<p>Text</p>\n<blockquote><p>Quote</p></blockquote>\n"
        );
    }

    #[test]
    fn whitespace_only_gives_nothing() {
        assert_eq!(autop(""), "");
        assert_eq!(autop(" \n\t\r\n  \n"), "");
        assert_eq!(wordpress_html("\n\n"), "");
    }

    #[test]
    fn inline_tags_stay_inside_paragraphs() {
        let text = "A <a href=\"/x\">link</a>, <strong>bold</strong>, <em>em</em> \
                    and <img src=\"a.png\" alt=\"\" />.";
        assert_eq!(autop(text), format!("<p>{text}</p>\n"));
        assert_eq!(
            autop("<img src=\"a.png\" />\n\n<em>x</em>"),
            "<p><img src=\"a.png\" /></p>\n<p><em>x</em></p>\n"
        );
    }

    #[test]
    fn newlines_inside_tags_are_not_line_breaks() {
        assert_eq!(
            autop("See <a\nhref=\"/x\"\n\ntitle=\"y\">this</a> now"),
            "<p>See <a\nhref=\"/x\"\n\ntitle=\"y\">this</a> now</p>\n"
        );
        // A `<` that starts no tag is text.
        assert_eq!(autop("I <3 it\nso"), "<p>I <3 it<br />\nso</p>\n");
    }

    #[test]
    fn crlf_and_cr_are_newlines() {
        assert_eq!(
            autop("One\r\n\r\nTwo\r\nthree\rfour"),
            "<p>One</p>\n<p>Two<br />\nthree<br />\nfour</p>\n"
        );
        assert_eq!(autop("<pre>a\r\n\r\nb</pre>"), "<pre>a\n\nb</pre>\n");
    }

    #[test]
    fn mixed_unicode_text_is_kept() {
        assert_eq!(
            autop("Ünïcödé — naïve café\n\n日本語のテキスト\nЗдравствуй, мир 🙂"),
            "<p>Ünïcödé — naïve café</p>\n<p>日本語のテキスト<br />\nЗдравствуй, мир 🙂</p>\n"
        );
        // A no-break space is text to WordPress, not a blank.
        assert_eq!(autop("\u{a0}"), "<p>\u{a0}</p>\n");
        let caption =
            captions("[caption width=\"10\"]<img src=\"ß.png\" /> Straße · 東京[/caption]");
        assert_eq!(
            caption,
            "<figure class=\"wp-caption alignnone\"><img src=\"ß.png\" />\
             <figcaption>Straße · 東京</figcaption></figure>"
        );
    }

    #[test]
    fn a_caption_becomes_a_figure() {
        assert_eq!(
            captions(
                "[caption id=\"attachment_12\" align=\"alignright\" width=\"300\"]\
                 <img src=\"/a.jpg\" alt=\"\" width=\"300\" /> Caption text[/caption]"
            ),
            "<figure class=\"wp-caption alignright\"><img src=\"/a.jpg\" alt=\"\" width=\"300\" />\
             <figcaption>Caption text</figcaption></figure>"
        );
    }

    #[test]
    fn a_caption_keeps_the_link_around_its_image() {
        assert_eq!(
            captions(
                "[caption id=\"attachment_3\" align=\"aligncenter\" width=\"500\"]\
                 <a href=\"/big.jpg\"><img class=\"size-medium\" src=\"/a.jpg\" /></a> A view[/caption]"
            ),
            "<figure class=\"wp-caption aligncenter\"><a href=\"/big.jpg\">\
             <img class=\"size-medium\" src=\"/a.jpg\" /></a><figcaption>A view</figcaption></figure>"
        );
    }

    #[test]
    fn an_old_caption_attribute_is_the_caption_text() {
        assert_eq!(
            captions(
                "[caption id=\"attachment_5\" align=\"alignleft\" width=\"150\" \
                 caption=\"Old style, with 'quotes'\"]<a href=\"/x\"><img src=\"/a.jpg\" /></a>[/caption]"
            ),
            "<figure class=\"wp-caption alignleft\"><a href=\"/x\"><img src=\"/a.jpg\" /></a>\
             <figcaption>Old style, with 'quotes'</figcaption></figure>"
        );
        // The oldest shortcode name, single-quoted and bare values.
        assert_eq!(
            captions("[wp_caption align='alignright' width=200 caption='Hi']<img src=\"a\" />[/wp_caption]"),
            "<figure class=\"wp-caption alignright\"><img src=\"a\" /><figcaption>Hi</figcaption></figure>"
        );
    }

    #[test]
    fn a_caption_in_a_paragraph_comes_out_between_paragraphs() {
        let text = "Before the picture\n[caption align=\"alignnone\" width=\"500\"]\
                    <img src=\"/b.jpg\" /> A view[/caption]\nafter it.\n\nNext";
        assert_eq!(
            wordpress_html(text),
            "<p>Before the picture</p>\n<figure class=\"wp-caption alignnone\"><img src=\"/b.jpg\" />\
             <figcaption>A view</figcaption></figure>\n<p>after it.</p>\n<p>Next</p>\n"
        );
        let inline = wordpress_html("Look [caption width=\"5\"]<img src=\"c\" /> C[/caption] here");
        assert!(
            !inline.contains("<p><figure") && !inline.contains("</figure></p>"),
            "{inline}"
        );
        assert!(!inline.contains("<br />"), "{inline}");
    }

    #[test]
    fn unclosed_or_malformed_captions_are_left_alone() {
        for text in [
            "[caption id=\"a\" width=\"300\"]<img src=\"/a.jpg\" /> No end",
            "[caption id=\"a\" <img src=\"/a.jpg\" />[/caption]",
            "[caption width=\"300\" /]",
            "[captioned]<img src=\"/a.jpg\" /> x[/captioned]",
        ] {
            assert_eq!(captions(text), text);
        }
        // Escaped, it shows the shortcode itself.
        assert_eq!(
            captions("[[caption]<img src=\"a\" /> x[/caption]]"),
            "[caption]<img src=\"a\" /> x[/caption]"
        );
        // Nothing to caption: just the content, as WordPress gives it.
        assert_eq!(
            captions("[caption]<img src=\"a\" />[/caption]"),
            "<img src=\"a\" />"
        );
    }

    #[test]
    fn block_editor_content_loses_its_comments_and_nothing_is_added() {
        let content = "<!-- wp:paragraph -->\n<p>Hello, <em>world</em>.</p>\n<!-- /wp:paragraph -->\n\n\
                       <!-- wp:image {\"id\":7,\"sizeSlug\":\"large\"} -->\n\
                       <figure class=\"wp-block-image size-large\"><img src=\"/a.jpg\" alt=\"\" class=\"wp-image-7\"/>\
                       <figcaption>A cat</figcaption></figure>\n<!-- /wp:image -->\n\n\
                       <!-- wp:list -->\n<ul>\n<li>One</li>\n<li>Two</li>\n</ul>\n<!-- /wp:list -->\n\n\
                       <!-- wp:separator -->\n<hr class=\"wp-block-separator\"/>\n<!-- /wp:separator -->\n\n\
                       <!-- wp:separator /-->\n\n<!-- wp:core/latest-posts {\"postsToShow\":3} /-->";
        let out = wordpress_html(content);
        assert!(!out.contains("<!--") && !out.contains("-->"), "{out}");
        assert!(!out.contains("<br"), "{out}");
        assert_eq!(out.matches("<p>").count(), 1, "{out}");
        assert!(out.starts_with("<p>Hello, <em>world</em>.</p>\n"), "{out}");
        assert!(
            out.contains("<ul>\n<li>One</li>\n<li>Two</li>\n</ul>"),
            "{out}"
        );
        assert!(out.ends_with("<hr class=\"wp-block-separator\"/>"), "{out}");
        // Other comments, like the "more" marker, are not blocks.
        assert_eq!(
            strip_block_comments("<!-- wp:more --><!--more--><!-- /wp:more -->"),
            "<!--more-->"
        );
    }

    #[test]
    fn hostile_repeated_caption_openings_finish() {
        let text = "[caption]".repeat(100_000);
        assert_eq!(captions(&text), text);
        let out = wordpress_html(&text);
        assert!(out.starts_with("<p>[caption][caption]") && out.ends_with("[caption]</p>\n"));
        // Opening tags that never end, before a closing one: all left alone.
        let text = format!("{}[/caption]", "[caption".repeat(100_000));
        assert_eq!(captions(&text), text);
        // Many opened before one close: the first takes the rest, which has
        // no image to caption, and gives it back as it was.
        let text = format!("{}[/caption]", "[caption]".repeat(100_000));
        assert_eq!(captions(&text), "[caption]".repeat(99_999));
    }

    #[test]
    fn hostile_nested_pre_tags_finish() {
        let text = format!(
            "{}x\n\ny{}",
            "<pre>".repeat(100_000),
            "</pre>".repeat(100_000)
        );
        let out = autop(&text);
        assert!(out.starts_with(&format!("{}x\n\ny</pre>", "<pre>".repeat(100_000))));
        assert!(!out.contains("<p>"));
        let out = autop(&"<pre>".repeat(100_000));
        assert_eq!(out.matches("<pre>").count(), 100_000);
        assert!(!wordpress_html(&"<pre>\n".repeat(100_000)).contains("<br />"));
    }

    #[test]
    fn hostile_million_newlines_finish() {
        assert_eq!(autop(&"\n".repeat(1_000_000)), "");
        assert_eq!(
            wordpress_html(&format!("a{}b", "\n".repeat(1_000_000))),
            "<p>a</p>\n<p>b</p>\n"
        );
        let out = autop(&"line\n".repeat(200_000));
        assert_eq!(out.matches("<br />").count(), 199_999);
    }
}
