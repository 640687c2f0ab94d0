//! What the server renders: markdown to HTML, and HTML made safe to serve
//! from the server's origin, whichever plugin wrote it.

/// HTML made safe to serve from the server's origin (ammonia's allow-list):
/// no `<script>`, `<style>`, `<iframe>`, forms or event-handler attributes,
/// and links and images only to `http`, `https`, `mailto` and relative URLs
/// (never `javascript:`, `data:` or `vbscript:`). Links get
/// `rel="noopener noreferrer"`. Comments are kept (inert, re-serialized).
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .strip_comments(false)
        .clean(html)
        .to_string()
}

/// Markdown to HTML (CommonMark with tables, strikethrough, task lists). Raw
/// HTML in the markdown is escaped, never passed through.
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let events = Parser::new_ext(md, opts).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        other => other,
    });
    let mut out = String::new();
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_raw_html() {
        let html = markdown_to_html("# Hi\n\n<script>alert(1)</script>\n\n*x*");
        assert!(html.contains("<h1>Hi</h1>"));
        assert!(html.contains("&lt;script&gt;"));
        assert!(html.contains("<em>x</em>"));
    }

    /// Whether no tag of `html` (escaped text is not a tag) runs script.
    fn tags_are_safe(html: &str) -> bool {
        html.split('<').skip(1).all(|rest| {
            let tag = rest.split('>').next().unwrap_or("").to_ascii_lowercase();
            !tag.starts_with("script")
                && [
                    "javascript:",
                    "vbscript:",
                    "data:",
                    "onerror",
                    "onclick",
                    "onload",
                ]
                .iter()
                .all(|bad| !tag.contains(bad))
        })
    }

    #[test]
    fn served_html_carries_no_script_in_any_spelling() {
        let evil = [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](vbscript:msgbox(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "![i](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
        ];
        for md in evil {
            let html = sanitize_html(&markdown_to_html(md));
            assert!(tags_are_safe(&html), "{md} -> {html}");
        }
        // What a render hook returns is cleaned too.
        let html = sanitize_html(
            "<p onclick=\"x()\">hi<img src=x onerror=alert(1)><script>1</script><iframe src=/></iframe><a href=\"https://a.example/\">ok</a></p>",
        );
        assert_eq!(
            html,
            "<p>hi<img src=\"x\"><a href=\"https://a.example/\" rel=\"noopener noreferrer\">ok</a></p>"
        );
    }
}
