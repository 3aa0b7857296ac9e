//! Reading an export with quick-xml: a pull parser that holds one event at
//! a time and never expands entities (a DOCTYPE's declarations are passed
//! over, and a reference to one is an error), so neither XXE nor "billion
//! laughs" can cost anything. Shared by the WordPress and Blogger readers.

use std::io::{BufRead, Read};

use quick_xml::events::{BytesRef, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use super::guard::Guard;

/// The most text one element may hold (a post's content, say), and the
/// most quick-xml may read at once (a text run, a CDATA section, an XML
/// comment): more is a sign of a broken or hostile file, and the item is
/// skipped, the rest of that text passed over without being held. Rendering
/// and sanitising an HTML body costs about sixty times its size at its peak
/// (a 15.6 MB post took the server to 900 MB), so this bounds an import's
/// memory too.
pub const MAX_TEXT_BYTES: usize = 4 * 1024 * 1024;

/// The most text one item may hold in all (a post with its comments).
pub const MAX_ITEM_BYTES: usize = 32 * 1024 * 1024;

/// Why an item was skipped for its size, naming it.
pub fn too_large(title: &str, line: u64) -> String {
    let (text, item) = (MAX_TEXT_BYTES >> 20, MAX_ITEM_BYTES >> 20);
    let limit = format!("larger than an import takes ({text} MB a text, {item} MB an item)");
    let title = title.trim();
    if title.is_empty() {
        format!("{limit}: the item on line {line}")
    } else {
        let title: String = title.chars().take(200).collect();
        format!("{limit}: “{title}” (line {line})")
    }
}

/// A reader that counts the bytes and lines the parser has consumed, for
/// the progress bar and for naming the line of a problem.
pub struct Counted<R> {
    inner: R,
    pub bytes: u64,
    pub line: u64,
}

impl<R: BufRead> Counted<R> {
    pub fn new(inner: R) -> Self {
        Counted {
            inner,
            bytes: 0,
            line: 1,
        }
    }
}

impl<R> Counted<Guard<R>> {
    /// Bytes and lines read, with those the guard dropped.
    fn position(&self) -> (u64, u64) {
        (
            self.bytes + self.inner.dropped_bytes,
            self.line + self.inner.dropped_lines,
        )
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let buf = self.inner.fill_buf()?;
            let n = buf.len().min(out.len());
            out[..n].copy_from_slice(&buf[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let n = n.min(buf.len());
            self.line += newlines(&buf[..n]);
            self.bytes += n as u64;
        }
        self.inner.consume(n);
    }
}

fn newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// What went wrong reading the file, with the line it was found on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct XmlError {
    pub line: u64,
    pub message: String,
}

/// The namespaces the readers tell apart, whichever URL variant a site wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ns {
    None,
    Wp,
    Excerpt,
    Content,
    Dc,
    Atom,
    Thread,
    App,
    Blogger,
    Other,
}

fn namespace_of(resolved: &ResolveResult) -> Ns {
    let ResolveResult::Bound(ns) = resolved else {
        return Ns::None;
    };
    let uri = String::from_utf8_lossy(ns.as_ref());
    let uri = uri
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/');
    if uri.starts_with("wordpress.org/export/") {
        if uri.ends_with("/excerpt") {
            Ns::Excerpt
        } else {
            Ns::Wp
        }
    } else {
        match uri {
            "purl.org/rss/1.0/modules/content" => Ns::Content,
            "purl.org/dc/elements/1.1" => Ns::Dc,
            "www.w3.org/2005/Atom" => Ns::Atom,
            "purl.org/syndication/thread/1.0" => Ns::Thread,
            "www.w3.org/2007/app" | "purl.org/atom/app#" => Ns::App,
            u if u.starts_with("schemas.google.com/blogger") => Ns::Blogger,
            _ => Ns::Other,
        }
    }
}

/// One step of the file as the readers see it.
#[derive(Debug)]
pub enum Step {
    /// An element opens, with its attributes (local names, values unescaped).
    Open {
        ns: Ns,
        name: String,
        attributes: Vec<(String, String)>,
    },
    /// An element closes, with the text directly inside it (for leaves).
    Close {
        ns: Ns,
        name: String,
        text: String,
    },
    End,
}

/// A pull reader over an export that yields `Step`s.
pub struct Reader<R: BufRead> {
    xml: NsReader<Counted<Guard<R>>>,
    buf: Vec<u8>,
    text: String,
    /// Text beyond `MAX_TEXT_BYTES` was dropped since the last `take_overflow`.
    overflow: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Self {
        let mut xml = NsReader::from_reader(Counted::new(Guard::new(input, MAX_TEXT_BYTES)));
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.trim_text(false);
        Reader {
            xml,
            buf: Vec::new(),
            text: String::new(),
            overflow: false,
        }
    }

    pub fn line(&self) -> u64 {
        self.xml.get_ref().position().1
    }

    pub fn bytes(&self) -> u64 {
        self.xml.get_ref().position().0
    }

    pub fn error(&self, message: impl Into<String>) -> XmlError {
        XmlError {
            line: self.line(),
            message: message.into(),
        }
    }

    /// Whether some element's text was too long since the last call.
    pub fn take_overflow(&mut self) -> bool {
        let dropped = self.xml.get_mut().inner.take_overflow();
        std::mem::take(&mut self.overflow) | dropped
    }

    fn push_text(&mut self, text: &str) {
        if self.text.len() + text.len() > MAX_TEXT_BYTES {
            self.overflow = true;
        } else {
            self.text.push_str(text);
        }
    }

    pub fn next(&mut self) -> Result<Step, XmlError> {
        let mut buf = std::mem::take(&mut self.buf);
        let step = self.step(&mut buf);
        self.buf = buf;
        step
    }

    fn step(&mut self, buf: &mut Vec<u8>) -> Result<Step, XmlError> {
        loop {
            buf.clear();
            let (resolved, event) = match self.xml.read_resolved_event_into(buf) {
                Ok(read) => read,
                Err(e) => {
                    return Err(XmlError {
                        line: self.line(),
                        message: format!("the file is not well-formed XML ({e})"),
                    })
                }
            };
            let ns = namespace_of(&resolved);
            match event {
                Event::Start(start) => {
                    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
                    let mut attributes = Vec::new();
                    for attribute in start.attributes() {
                        let attribute = attribute.map_err(|e| XmlError {
                            line: self.line(),
                            message: format!("a broken attribute in <{name}> ({e})"),
                        })?;
                        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref())
                            .into_owned();
                        let value = attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| XmlError {
                                line: self.line(),
                                message: format!("a broken attribute value in <{name}> ({e})"),
                            })?
                            .into_owned();
                        attributes.push((key, value));
                    }
                    self.text.clear();
                    return Ok(Step::Open {
                        ns,
                        name,
                        attributes,
                    });
                }
                Event::End(end) => {
                    let name = String::from_utf8_lossy(end.local_name().as_ref()).into_owned();
                    let text = std::mem::take(&mut self.text);
                    return Ok(Step::Close { ns, name, text });
                }
                Event::Text(text) => {
                    let decoded = text
                        .decode()
                        .map_err(|e| self.error(format!("text that is not UTF-8 ({e})")))?;
                    let decoded = decoded.into_owned();
                    self.push_text(&decoded);
                }
                Event::CData(data) => {
                    let decoded = data
                        .decode()
                        .map_err(|e| self.error(format!("text that is not UTF-8 ({e})")))?;
                    let decoded = decoded.into_owned();
                    self.push_text(&decoded);
                }
                Event::GeneralRef(reference) => {
                    let resolved = self.reference(&reference)?;
                    self.push_text(&resolved);
                }
                Event::Eof => return Ok(Step::End),
                // Declarations, DOCTYPEs (never read for entities), comments
                // and processing instructions carry nothing an import needs.
                _ => {}
            }
        }
    }

    /// `&amp;`, `&#233;` and the other predefined references; anything a
    /// DOCTYPE would have to declare is refused, never expanded.
    fn reference(&self, reference: &BytesRef<'_>) -> Result<String, XmlError> {
        if let Ok(Some(c)) = reference.resolve_char_ref() {
            return Ok(c.to_string());
        }
        let name = reference
            .decode()
            .map_err(|e| self.error(format!("a broken reference ({e})")))?;
        match quick_xml::escape::resolve_predefined_entity(&name) {
            Some(text) => Ok(text.to_string()),
            None => Err(self.error(format!(
                "the entity &{name}; is not one XML defines; entities from a DOCTYPE are never expanded"
            ))),
        }
    }
}
