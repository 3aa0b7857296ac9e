//! A bound on what quick-xml may hold at once. quick-xml reads each text
//! run, CDATA section, comment and processing instruction whole into its
//! buffer, so one of 500 MB in an export would be held whole, before any
//! element's limit is looked at. This reader sits under it and tells those
//! constructs apart from the bytes alone: past `limit` bytes, the rest of
//! one is dropped (its end kept, so the XML stays well-formed) and the
//! item it was in is marked too large, to be skipped; a tag or DOCTYPE that
//! long is an error, as no export writes one.

use std::io::{self, BufRead, Read};

/// The most read from the source at once.
const FEED_BYTES: usize = 64 * 1024;

/// The longest tag (with its attributes) or DOCTYPE an export may have.
const MAX_MARKUP_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lex {
    Text,
    /// Just after `<`.
    Open,
    /// After `<!`.
    Bang,
    /// After `<!-`.
    BangDash,
    /// After `<!` and this many bytes of `[CDATA[`.
    BangBracket(usize),
    /// Inside `<!-- … -->`, after this many `-` in a row.
    Comment(usize),
    /// Inside `<![CDATA[ … ]]>`, after this many `]` in a row.
    CData(usize),
    /// Inside `<? … ?>`, just after a `?` or not.
    Pi(bool),
    /// Inside `<!DOCTYPE …>`: the `[` depth and the open quote.
    Decl(u32, u8),
    /// Inside a tag, with its open quote.
    Tag(u8),
}

const CDATA_OPEN: &[u8] = b"[CDATA[";

pub struct Guard<R> {
    inner: R,
    out: Vec<u8>,
    at: usize,
    lex: Lex,
    /// Bytes of the current construct seen so far.
    run: usize,
    /// The rest of the current construct is being dropped.
    dropping: bool,
    /// Inside a `&…;` reference (text only), which must not be cut.
    in_ref: bool,
    limit: usize,
    /// Something was dropped since the last `take_overflow`.
    overflowed: bool,
    pub dropped_bytes: u64,
    pub dropped_lines: u64,
}

impl<R: BufRead> Guard<R> {
    pub fn new(inner: R, limit: usize) -> Self {
        Guard {
            inner,
            out: Vec::new(),
            at: 0,
            lex: Lex::Text,
            run: 0,
            dropping: false,
            in_ref: false,
            limit,
            overflowed: false,
            dropped_bytes: 0,
            dropped_lines: 0,
        }
    }

    pub fn take_overflow(&mut self) -> bool {
        std::mem::take(&mut self.overflowed)
    }

    fn drop_byte(&mut self, b: u8) {
        self.dropped_bytes += 1;
        self.dropped_lines += u64::from(b == b'\n');
    }

    /// Passes or drops `b` inside text, comment, CDATA or a PI, whose bound
    /// is `limit`; a cut never splits a character or a reference.
    fn content(&mut self, b: u8, text: bool) {
        self.run += 1;
        if !self.dropping && self.run > self.limit && (b & 0xC0) != 0x80 && !self.in_ref {
            self.dropping = true;
            self.overflowed = true;
        }
        if text {
            if b == b'&' {
                self.in_ref = true;
            } else if b == b';' {
                self.in_ref = false;
            }
        }
        if self.dropping {
            self.drop_byte(b);
        } else {
            self.out.push(b);
        }
    }

    /// Ends a dropped construct with its closing bytes (the dropped part
    /// held their first ones), or passes the last one.
    fn close(&mut self, b: u8, end: &[u8]) {
        if self.dropping {
            self.drop_byte(b);
            self.out.extend_from_slice(end);
        } else {
            self.out.push(b);
        }
        self.lex = Lex::Text;
        self.run = 0;
        self.dropping = false;
        self.in_ref = false;
    }

    fn markup(&mut self, b: u8) -> io::Result<()> {
        self.run += 1;
        if self.run > MAX_MARKUP_BYTES {
            return Err(io::Error::other(format!(
                "a tag or DOCTYPE longer than {} KB: the file is broken",
                MAX_MARKUP_BYTES / 1024
            )));
        }
        self.out.push(b);
        Ok(())
    }

    fn start(&mut self, lex: Lex) {
        self.lex = lex;
        self.run = 0;
        self.dropping = false;
    }

    fn feed(&mut self, chunk: &[u8]) -> io::Result<()> {
        let mut i = 0;
        while i < chunk.len() {
            // Long stretches of content, the bulk of a file, go in slices up
            // to the next byte that could matter (or to the bound).
            let stops: Option<&[u8]> = match self.lex {
                Lex::Text if self.dropping => Some(b"<"),
                Lex::Text => Some(b"<&;"),
                Lex::CData(0) => Some(b"]"),
                Lex::Comment(0) => Some(b"-"),
                Lex::Pi(false) => Some(b"?"),
                _ => None,
            };
            if let Some(stops) = stops {
                let mut len = chunk[i..]
                    .iter()
                    .position(|c| stops.contains(c))
                    .unwrap_or(chunk.len() - i);
                if !self.dropping {
                    len = len.min(self.limit.saturating_sub(self.run));
                }
                if len > 0 {
                    let part = &chunk[i..i + len];
                    if self.dropping {
                        self.dropped_bytes += len as u64;
                        self.dropped_lines += part.iter().filter(|&&c| c == b'\n').count() as u64;
                    } else {
                        self.out.extend_from_slice(part);
                    }
                    self.run += len;
                    i += len;
                    continue;
                }
            }
            let b = chunk[i];
            i += 1;
            match self.lex {
                Lex::Text => {
                    if b == b'<' {
                        self.out.push(b);
                        self.start(Lex::Open);
                        self.run = 1;
                    } else {
                        self.content(b, true);
                    }
                }
                Lex::Open => {
                    self.markup(b)?;
                    self.lex = match b {
                        b'!' => Lex::Bang,
                        b'?' => Lex::Pi(false),
                        b'"' | b'\'' => Lex::Tag(b),
                        b'>' => {
                            self.start(Lex::Text);
                            Lex::Text
                        }
                        _ => Lex::Tag(0),
                    };
                    if matches!(self.lex, Lex::Pi(_)) {
                        self.run = 0;
                    }
                }
                Lex::Bang => {
                    self.markup(b)?;
                    self.lex = match b {
                        b'-' => Lex::BangDash,
                        b'[' => Lex::BangBracket(1),
                        b'>' => {
                            self.start(Lex::Text);
                            Lex::Text
                        }
                        _ => Lex::Decl(0, 0),
                    };
                }
                Lex::BangDash => {
                    self.markup(b)?;
                    if b == b'-' {
                        self.start(Lex::Comment(0));
                    } else {
                        self.lex = Lex::Decl(0, 0);
                    }
                }
                Lex::BangBracket(n) => {
                    self.markup(b)?;
                    if b == CDATA_OPEN[n] {
                        if n + 1 == CDATA_OPEN.len() {
                            self.start(Lex::CData(0));
                        } else {
                            self.lex = Lex::BangBracket(n + 1);
                        }
                    } else {
                        self.lex = Lex::Decl(u32::from(b == b'['), 0);
                    }
                }
                Lex::Comment(dashes) => {
                    if b == b'>' && dashes >= 2 {
                        self.close(b, b"-->");
                    } else {
                        self.content(b, false);
                        self.lex = Lex::Comment(if b == b'-' { dashes + 1 } else { 0 });
                    }
                }
                Lex::CData(brackets) => {
                    if b == b'>' && brackets >= 2 {
                        self.close(b, b"]]>");
                    } else {
                        self.content(b, false);
                        self.lex = Lex::CData(if b == b']' { brackets + 1 } else { 0 });
                    }
                }
                Lex::Pi(question) => {
                    if b == b'>' && question {
                        self.close(b, b"?>");
                    } else {
                        self.content(b, false);
                        self.lex = Lex::Pi(b == b'?');
                    }
                }
                Lex::Decl(depth, quote) => {
                    self.markup(b)?;
                    self.lex = match (quote, b) {
                        (0, b'"' | b'\'') => Lex::Decl(depth, b),
                        (0, b'[') => Lex::Decl(depth + 1, 0),
                        (0, b']') => Lex::Decl(depth.saturating_sub(1), 0),
                        (0, b'>') if depth == 0 => {
                            self.start(Lex::Text);
                            Lex::Text
                        }
                        (q, c) if q == c => Lex::Decl(depth, 0),
                        _ => Lex::Decl(depth, quote),
                    };
                }
                Lex::Tag(quote) => {
                    self.markup(b)?;
                    self.lex = match (quote, b) {
                        (0, b'"' | b'\'') => Lex::Tag(b),
                        (0, b'>') => {
                            self.start(Lex::Text);
                            Lex::Text
                        }
                        (q, c) if q == c => Lex::Tag(0),
                        _ => Lex::Tag(quote),
                    };
                }
            }
        }
        Ok(())
    }
}

impl<R: BufRead> BufRead for Guard<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.at >= self.out.len() {
            self.out.clear();
            self.at = 0;
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            // A slice at a time, however much the source offers (a whole
            // file, from memory): the guard stays at most this far ahead of
            // the parser, far less than `limit`, so a construct it cuts is
            // the one the parser is reading.
            let n = chunk.len().min(FEED_BYTES);
            // Copied out first: `feed` needs `self` whole.
            let owned = chunk[..n].to_vec();
            self.inner.consume(n);
            self.feed(&owned)?;
        }
        Ok(&self.out[self.at..])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.out.len());
    }
}

impl<R: BufRead> Read for Guard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = {
            let ready = self.fill_buf()?;
            let n = ready.len().min(buf.len());
            buf[..n].copy_from_slice(&ready[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(input: &str, limit: usize) -> (String, bool) {
        let mut guard = Guard::new(input.as_bytes(), limit);
        let mut out = String::new();
        guard.read_to_string(&mut out).unwrap();
        (out, guard.take_overflow())
    }

    #[test]
    fn constructs_within_the_bound_pass_unchanged() {
        let xml = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b>">]><r a=">"><!-- c - d --><![CDATA[x]y]]>t &amp; u</r>"#;
        assert_eq!(through(xml, 64), (xml.to_string(), false));
    }

    #[test]
    fn the_rest_of_a_long_construct_is_dropped_and_its_end_kept() {
        let (out, over) = through("<r><![CDATA[abcdefghij]]></r>", 4);
        assert_eq!((out.as_str(), over), ("<r><![CDATA[abcd]]></r>", true));
        let (out, over) = through("<r><!-- abcdefghij --></r>", 4);
        assert_eq!((out.as_str(), over), ("<r><!-- abc--></r>", true));
        let (out, over) = through("<?pi abcdefghij?><r/>", 4);
        assert_eq!((out.as_str(), over), ("<?pi a?><r/>", true));
        // Text is cut after a whole character and never inside a reference.
        let (out, over) = through("<r>ab&amp;cdéf</r>", 3);
        assert_eq!((out.as_str(), over), ("<r>ab&amp;</r>", true));
        let (out, _) = through("<r>aébcd</r>", 2);
        assert_eq!(out, "<r>aé</r>");
    }

    #[test]
    fn a_tag_longer_than_any_export_writes_is_an_error() {
        let long = format!("<r a=\"{}\">", "x".repeat(MAX_MARKUP_BYTES));
        let mut guard = Guard::new(long.as_bytes(), 64);
        assert!(guard.read_to_end(&mut Vec::new()).is_err());
    }
}
