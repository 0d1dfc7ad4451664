//! The print layout of a guide: `GUIDE/print/index.html`, the page that becomes the notice's
//! attachment on paper and in `GUIDE/GUIDE.pdf`.
//!
//! It shows what the guide page shows, laid out as an official document instead of a web page:
//! the attachment label and the centred title, the guide intro's callouts gathered as
//! 特别提示, every channel in turn (一、二、三, steps 1, 2, 3), the online address with a QR
//! code to it, and the updated date. The template (`print.html`) sees a [`PrintView`]; this
//! module only computes that view, [`crate::render`] renders it like any other page.

use std::sync::LazyLock;

use serde::Serialize;
use tera::Context;

use super::{GuideView, Renderer, blocks_html, component_error, resolve};
use crate::content::model::Block;
use crate::diagnostic::Diagnostic;

/// What `print.html` sees besides `site`, `page` and `guide` (see `docs/templates.md`).
#[derive(Serialize)]
pub struct PrintView {
    /// The guide intro without its callouts (HTML).
    pub intro_html: String,
    /// The callouts of the guide intro, in order, each as HTML: printed as 特别提示.
    pub notices: Vec<String>,
    /// The guide's online address (`base_url` + `GUIDE/`), when the site has a `base_url`.
    pub online_url: Option<String>,
    /// An inline SVG QR code of `online_url`.
    pub qr_svg: Option<String>,
    /// The updated date written the Chinese way: `2026年11月25日`.
    pub updated_cn: Option<String>,
    /// The running header text as a CSS string literal (quoted and escaped), for `@page`.
    pub running_title_css: String,
}

/// Fills `ctx` for the print page of guide `gi`.
pub fn context(r: &Renderer<'_>, gi: usize, ctx: &mut Context) -> Result<(), Diagnostic> {
    let g = &r.site.guides[gi];
    let root = "../../";
    let path = format!("{}/", g.id.0);
    let online_url = r.canonical(&path);
    let mut page = r.page(
        "print",
        g.meta.title.clone(),
        g.meta.summary.as_deref(),
        root,
        &path,
    );
    // the print page is a copy of the guide page: search engines should index the original
    page.canonical = online_url.clone();

    let mut guide: GuideView<'_> = r.guide_view(gi, root, None)?;
    guide.url = "../index.html".into();
    guide.print_url = String::new();
    guide.pdf_url = guide.pdf_url.map(|u| format!("../{u}"));
    let base = r.site.config.base_url.as_deref();
    for c in &mut guide.channels {
        c.url = format!("../{}/index.html", c.id);
        c.intro_html = printable_links(&c.intro_html, root, base);
        for s in &mut c.steps {
            s.body_html = printable_links(&s.body_html, root, base);
        }
    }

    let mut intro = Vec::new();
    let mut notices = Vec::new();
    for b in &g.intro {
        match b {
            Block::Callout { body, .. } => notices.push(body),
            other => intro.push(other.clone()),
        }
    }
    let html = |blocks: &[Block]| -> Result<String, Diagnostic> {
        let mut s = String::new();
        blocks_html(r.theme, blocks, &mut s).map_err(|e| component_error(&e, &g.source))?;
        Ok(printable_links(&resolve(&s, root, ""), root, base))
    };
    let intro_html = html(&intro)?;
    let notices = notices
        .into_iter()
        .map(|b| html(b))
        .collect::<Result<Vec<_>, _>>()?;
    guide.intro_html = intro_html.clone();

    // the guide page's own code (made once, in the links stage)
    let qr_svg = match (&online_url, r.links.qr.get(&format!("/{path}"))) {
        (Some(_), Some(files)) => Some(
            files
                .svg
                .bytes()
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    Diagnostic::error("io", format!("cannot read the QR code of /{path}"))
                })?,
        ),
        (Some(u), None) => Some(
            crate::links::qr::Qr::encode(u)
                .map_err(|e| Diagnostic::error("qr", e).in_file(g.source.clone()))?
                .svg(),
        ),
        (None, _) => None,
    };
    let running = match &g.meta.attachment {
        Some(a) => format!("{a}　{}", g.meta.title),
        None => g.meta.title.clone(),
    };
    let view = PrintView {
        intro_html,
        notices,
        online_url,
        qr_svg,
        updated_cn: g
            .meta
            .updated
            .map(|d| format!("{}年{}月{}日", d.0.year(), d.0.month(), d.0.day())),
        running_title_css: css_string(&running),
    };
    ctx.insert("page", &page);
    ctx.insert("guide", &guide);
    ctx.insert("print", &view);
    Ok(())
}

/// Makes links useful on paper: site-internal links get their absolute URL (`base_url` + path)
/// in `data-url`, which the stylesheet prints after the link text (the `href` stays relative,
/// so the page works from any folder), and links whose text already is their URL get
/// `class="bare"` so the stylesheet does not print the URL twice.
fn printable_links(html: &str, root: &str, base: Option<&str>) -> String {
    static LINK: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"<a href="([^"]*)"([^>]*)>([^<]*)</a>"#).expect("valid regex")
    });
    if !html.contains("<a ") {
        return html.to_string();
    }
    LINK.replace_all(html, |c: &regex::Captures<'_>| {
        let (href, rest, text) = (&c[1], &c[2], &c[3]);
        let data_url = match (base, href.strip_prefix(root)) {
            (Some(b), Some(path)) => {
                // on paper, the canonical address: `GUIDE/`, not `GUIDE/index.html`
                let (path, fragment) = path.split_once('#').map_or((path, ""), |(p, f)| (p, f));
                let path = path.strip_suffix("index.html").unwrap_or(path);
                let hash = if fragment.is_empty() { "" } else { "#" };
                format!(r#" data-url="{b}{path}{hash}{fragment}""#)
            }
            _ => String::new(),
        };
        let bare = text.replace("&amp;", "&") == href.replace("&amp;", "&")
            || text.trim_start_matches("mailto:") == href.trim_start_matches("mailto:");
        let class = if bare && !rest.contains("class=") {
            r#" class="bare""#
        } else {
            ""
        };
        format!(r#"<a href="{href}"{data_url}{class}{rest}>{text}</a>"#)
    })
    .into_owned()
}

/// The print page as printed to PDF: internal links point to their absolute URL (a PDF has no
/// folder to be relative to).
pub fn for_pdf(html: &str) -> String {
    static INTERNAL: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(r#"<a href="[^"]*" data-url="([^"]*)""#).expect("valid regex")
    });
    INTERNAL
        .replace_all(html, r#"<a href="$1" data-url="$1""#)
        .into_owned()
}

/// `s` as a CSS string literal, safe inside a `<style>` element.
pub fn css_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '<' => out.push_str("\\3c "),
            '>' => out.push_str("\\3e "),
            '&' => out.push_str("\\26 "),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn css_strings_cannot_break_out() {
        assert_eq!(css_string("附件 2　标题"), "\"附件 2　标题\"");
        assert_eq!(css_string(r#"a"b\c</style>"#), r#""a\"b\\c\3c /style\3e ""#);
        assert_eq!(css_string("x\ny"), "\"x y\"");
    }

    #[test]
    fn internal_links_get_their_absolute_url_and_bare_links_are_marked() {
        let html = r#"<p>见 <a href="../../other/index.html">另一指南</a>，官网 <a href="https://chsi.com.cn/">https://chsi.com.cn/</a>，<a href="https://a.cn/?x=1&amp;y=2">学信网</a></p>"#;
        let printable = printable_links(html, "../../", Some("https://g.edu.cn/"));
        assert_eq!(
            printable,
            r#"<p>见 <a href="../../other/index.html" data-url="https://g.edu.cn/other/">另一指南</a>，官网 <a href="https://chsi.com.cn/" class="bare">https://chsi.com.cn/</a>，<a href="https://a.cn/?x=1&amp;y=2">学信网</a></p>"#
        );
        assert!(for_pdf(&printable).contains(
            r#"<a href="https://g.edu.cn/other/" data-url="https://g.edu.cn/other/">另一指南</a>"#
        ));
        // without a base URL there is no absolute URL to print
        assert!(!printable_links(html, "../../", None).contains("data-url"));
        let step = r#"<a href="../../g/web/index.html#step-2">第二步</a>"#;
        assert!(
            printable_links(step, "../../", Some("https://g.edu.cn/"))
                .contains(r#"data-url="https://g.edu.cn/g/web/#step-2""#)
        );
    }
}
