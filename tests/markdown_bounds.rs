//! Hostile markdown at the form limit renders in time linear in its size
//! and comes out flat.
//!
//! Each input is as large as the post editor accepts (`MAX_BODY_BYTES`;
//! comments: their 5,000 character cap); inputs as large as the whole form
//! limit are checked for linear growth too. Before nesting was bounded, 50,000 nested `>` took 10 s.
//! The time limits here are generous, for a busy machine and debug builds;
//! the sharper check is that an input eight times larger takes no more than
//! about eight times as long (quadratic work would take 64 times).
//! `cargo test --release --test markdown_bounds -- --nocapture` prints each time.

use std::time::{Duration, Instant};

use broadsheet::markdown::{plain_text, render_comment, render_post};
use broadsheet::models::post::MAX_BODY_BYTES;
use broadsheet::MAX_FORM_BYTES;

/// The largest comment the comment form accepts.
const COMMENT_CHARS: usize = 5_000;

/// `unit` repeated until the text is `len` bytes long (cut at a char boundary).
fn fill(unit: &str, len: usize) -> String {
    let mut s = unit.repeat(len / unit.len() + 1);
    let mut end = len.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s
}

/// Lines that nest one level deeper each time, until `len` bytes.
fn staircase(step: &str, item: &str, len: usize) -> String {
    let mut s = String::new();
    let mut indent = String::new();
    while s.len() + indent.len() + item.len() + 1 < len {
        s.push_str(&indent);
        s.push_str(item);
        s.push('\n');
        indent.push_str(step);
    }
    s
}

/// The hostile inputs, each `len` bytes or a little less.
fn corpus(len: usize) -> Vec<(&'static str, String)> {
    let mut cases: Vec<(&'static str, String)> = vec![
        ("nested >", fill(">", len)),
        ("nested > with spaces", fill("> ", len)),
        ("> lines", fill(">>>>>>>>>> x\n", len)),
        ("nested - lists", fill("- ", len)),
        ("nested * lists", fill("* ", len)),
        ("nested 1. lists", fill("1. ", len)),
        ("mixed containers", fill("> - 1. ", len)),
        ("indented lists", staircase("  ", "- x", len)),
        ("indented quotes in lists", staircase("  ", "- > x", len)),
        ("* run", fill("*", len)),
        ("_ run", fill("_", len)),
        ("*a run", fill("*a", len)),
        ("**a run", fill("**a ", len)),
        ("*_ alternating", fill("*_", len)),
        ("_a* run", fill("_a*", len)),
        ("~~ run", fill("~~a", len)),
        ("[ run", fill("[", len)),
        ("[a]( run", fill("[a](", len)),
        ("![ run", fill("![", len)),
        ("] run", fill("]", len)),
        ("[]( run", fill("[](", len)),
        (
            "nested links",
            format!("{}x{}", fill("[", len / 2 - 4), fill("](u)", len / 2)),
        ),
        (
            "balanced brackets",
            format!("{}x{}", fill("[", len / 2), fill("]", len / 2)),
        ),
        ("( run in link", format!("[a]({}", fill("(", len - 5))),
        ("backtick run", fill("`", len)),
        ("backtick ladder", fill("` `` ``` ", len)),
        ("fenced code opens", fill("```\n", len)),
        ("< run", fill("<", len)),
        ("< a run", fill("< a", len)),
        ("autolink opens", fill("<http://", len)),
        ("html comments", fill("<!--", len)),
        ("div soup", fill("<div>", len)),
        ("b soup", fill("<b>", len)),
        ("misnested b p", fill("<b><p>", len)),
        (
            "formatting soup",
            fill("<b><i><u><s><em><strong><code><small>", len),
        ),
        ("table soup", fill("<table><tr><td>", len)),
        ("a soup", fill("<a href=\"https://x\">", len)),
        ("unclosed tags", fill("<div ", len)),
        ("entity flood", fill("&amp;", len)),
        ("ampersands", fill("a&", len)),
        ("ampersands in code", format!("`{}`", fill("&", len - 2))),
        (
            "ampersands in a code block",
            format!("```\n{}\n```", fill("&", len - 8)),
        ),
        (
            "ampersands in alt text",
            format!("![{}](u)", fill("&", len - 5)),
        ),
        (
            "ampersands in an address",
            format!("[a](https://x/?{})", fill("&", len - 20)),
        ),
        (
            "ampersands in a title",
            format!("[a](u \"{}\")", fill("&", len - 10)),
        ),
        (
            "ampersands in many addresses",
            fill(
                "[a](https://x/?&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&&) ",
                len,
            ),
        ),
        (
            "ampersands in a fence",
            format!("```{}\nx\n```", fill("&", len - 10)),
        ),
        (
            "ampersands in footnotes",
            format!(
                "[^{l}]: x\n\n{}",
                fill(&format!("[^{l}]", l = "&".repeat(900)), len - 1000),
                l = "&".repeat(900)
            ),
        ),
        (
            "ampersands in raw html",
            format!("<p>{}</p>", fill("&", len - 8)),
        ),
        (
            "ampersands in a raw tag",
            format!("<a href=\"{}\">x</a>", fill("&", len - 20)),
        ),
        (
            "misnested formatting with attributes",
            (0..len / 20)
                .map(|i| format!("<p><b x={i}></p>"))
                .collect::<String>(),
        ),
        ("numeric entity flood", fill("&#x1F600;", len)),
        ("& run", fill("&", len)),
        ("\\ run", fill("\\", len)),
        ("smart quotes", fill("\"'", len)),
        ("footnote refs", fill("[^a]", len)),
        ("footnote defs", fill("[^a]: [^a]\n", len)),
        ("reference defs", fill("[a]: /u\n[a]\n", len)),
        ("headings", fill("# ", len)),
        ("setext", fill("a\n=\n", len)),
        ("emphasis in quotes", fill("> *", len)),
    ];
    let wide = format!(
        "{}|\n{}|\n{}|\n",
        fill("|a", len / 3 - 2),
        fill("|-", len / 3 - 2),
        fill("|b", len / 3 - 2)
    );
    cases.push(("wide table", wide));
    let mut tall = String::from("|a|b|c|\n|-|-|-|\n");
    tall.push_str(&fill("|x|y|z|\n", len - tall.len()));
    cases.push(("tall table", tall));
    cases.push((
        "table of quotes",
        format!("|a|\n|-|\n{}", fill("|> [*x*](u) <b>|\n", len - 10)),
    ));
    cases
}

/// Per input at the body cap: wide margins over the times measured (the
/// goal is under 100 ms on a release build; the printed times show it).
fn budget() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(8)
    } else {
        Duration::from_secs(2)
    }
}

/// The deepest nesting of elements in an HTML text (ammonia's output is well formed).
fn depth(html: &str) -> usize {
    const VOID: [&str; 4] = ["br", "hr", "img", "input"];
    let (mut now, mut most) = (0usize, 0usize);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        rest = &rest[at + 1..];
        let closing = rest.starts_with('/');
        let name: String = rest
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if name.is_empty() || VOID.contains(&name.as_str()) {
            continue;
        }
        if closing {
            now = now.saturating_sub(1);
        } else {
            now += 1;
            most = most.max(now);
        }
    }
    most
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn render_post_and_text(input: &str) -> Duration {
    timed(|| (render_post(input), plain_text(input))).1
}

#[test]
fn hostile_posts_render_within_budget_and_come_out_flat() {
    // Inputs as large as the whole form limit only check that time grows
    // linearly: the editor refuses them.
    let scale = (MAX_FORM_BYTES / MAX_BODY_BYTES) as f64;
    let mut worst = (Duration::ZERO, "");
    let mut slow = Vec::new();
    let large = corpus(MAX_FORM_BYTES);
    for ((name, input), (_, larger)) in corpus(MAX_BODY_BYTES).into_iter().zip(large) {
        let (rendered, took) = timed(|| render_post(&input));
        let (text, took_text) = timed(|| plain_text(&input));
        let took = took + took_text;
        let large = render_post_and_text(&larger);
        let growth = large.as_secs_f64() / took.as_secs_f64().max(0.002);
        println!(
            "post  {name:38} {:>8.1} ms (x{growth:4.1} for x{scale})  depth {:3}  {} bytes out",
            took.as_secs_f64() * 1000.0,
            depth(&rendered.html),
            rendered.html.len()
        );
        if took > worst.0 {
            worst = (took, name);
        }
        if took > budget() || growth > 3.0 * scale {
            slow.push((name, took, growth));
        }
        assert!(
            depth(&rendered.html) <= 80,
            "{name}: nested {} deep",
            depth(&rendered.html)
        );
        assert!(!rendered.html.contains("<script"), "{name}");
        assert!(rendered.excerpt.chars().count() <= 281, "{name}");
        assert!(text.len() <= input.len(), "{name}");
    }
    println!(
        "worst post at the {} KB cap: {name} {:.1} ms",
        MAX_BODY_BYTES / 1024,
        worst.0.as_secs_f64() * 1000.0,
        name = worst.1
    );
    assert!(slow.is_empty(), "too slow or worse than linear: {slow:?}");
}

#[test]
fn hostile_comments_render_within_budget_and_come_out_flat() {
    let mut worst = (Duration::ZERO, "");
    for (name, input) in corpus(COMMENT_CHARS) {
        let (html, took) = timed(|| render_comment(&input));
        println!(
            "comment {name:26} {:>8.1} ms  depth {:3}",
            took.as_secs_f64() * 1000.0,
            depth(&html)
        );
        if took > worst.0 {
            worst = (took, name);
        }
        assert!(took <= budget(), "{name}: {took:?}");
        assert!(depth(&html) <= 80, "{name}: nested {} deep", depth(&html));
        assert!(!html.contains("<b>") && !html.contains("<div"), "{name}");
    }
    println!(
        "worst comment: {name} {:.1} ms",
        worst.0.as_secs_f64() * 1000.0,
        name = worst.1
    );
}
