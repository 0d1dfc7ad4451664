//! Sharing: what staff paste into a notice, a WeChat article or an OA system.
//!
//! A *notice line* is the text that points a notice at a guide, in the form Chinese notices use
//! for attachments: `附件 2：学信网图像采集码获取流程（在线版：URL）`, and one line per channel
//! (`学信网图像采集码获取流程（微信公众号）：URL`). WeChat's in-app browser drops `#fragments`
//! when a link is copied, so the per-channel pages are the links to share; step links are extras.
//!
//! This module turns [`Links`] into the views of the staff share page (`/share/`, not linked
//! from reader pages, `noindex`, not in the sitemap) and of `guidepost links`, and renders the
//! redirect pages of aliases and the QR code files.

use serde::Serialize;

use crate::content::model::{Site, number_cn};
use crate::links::{Links, PageKind, PageLink, page_href, relative};

/// The notice line of a guide.
pub fn guide_notice(attachment: Option<&str>, title: &str, url: &str) -> String {
    match attachment {
        Some(a) => format!("{a}：{title}（在线版：{url}）"),
        None => format!("{title}（在线版：{url}）"),
    }
}

/// The one-line notice of a channel.
pub fn channel_notice(page_title: &str, url: &str) -> String {
    format!("{page_title}：{url}")
}

#[derive(Debug, Serialize)]
pub struct ShareStepView {
    pub number: usize,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ShareChannelView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub title: &'a str,
    pub number_cn: String,
    /// Canonical URL (or the site path without a base URL).
    pub url: String,
    /// The page, relative to the share page.
    pub href: String,
    pub qr_svg: String,
    pub qr_png: String,
    pub notice: String,
    pub steps: Vec<ShareStepView>,
}

#[derive(Debug, Serialize)]
pub struct ShareGuideView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub attachment: Option<&'a str>,
    pub url: String,
    pub href: String,
    /// The guide's own share page (see [`guide_page`]), relative to the page.
    pub share_href: String,
    pub qr_svg: String,
    pub qr_png: String,
    /// The guide's notice line.
    pub notice: String,
    /// The guide's notice line followed by one line per channel.
    pub notice_full: String,
    pub channels: Vec<ShareChannelView<'a>>,
    /// Old addresses that redirect here (to this guide or one of its channels).
    pub aliases: Vec<String>,
    pub draft: bool,
}

/// The path of the share page of one guide: its channels, their QR codes and step links.
pub fn guide_page(guide_id: &str) -> String {
    format!("share/{guide_id}/index.html")
}

/// The share pages' guides: every guide for the site's share page `share/index.html` (`only`
/// None), or the one guide of its own share page [`guide_page`]; their channels' step links
/// with `steps` (a site's share page leaves them to the guides' pages). Paths are relative to
/// the page.
pub fn guides<'a>(
    site: &'a Site,
    links: &Links<'a>,
    only: Option<usize>,
    steps: bool,
) -> Vec<ShareGuideView<'a>> {
    let from = match only {
        Some(gi) => guide_page(&site.guides[gi].id.0),
        None => "share/index.html".to_string(),
    };
    let from = from.as_str();
    let page = |p: &PageLink| -> (String, String, String, String) {
        (
            links.url(&p.path),
            page_href(from, &p.path),
            relative(from, &format!("{}qr.svg", p.path)),
            relative(from, &format!("{}qr.png", p.path)),
        )
    };
    // each guide's page and channel pages, in one pass (a site has thousands)
    // each guide's page, channel pages and aliases (to any of them), in one pass over each (a
    // site has thousands of pages; a guide's own share page looks at one guide)
    let slot = |gi: usize| match only {
        Some(o) => (o == gi).then_some(0),
        None => (gi < site.guides.len()).then_some(gi),
    };
    let wanted = only.map_or(site.guides.len(), |_| 1);
    let mut by_guide: Vec<(Option<usize>, Vec<usize>, Vec<usize>)> =
        vec![(None, Vec::new(), Vec::new()); wanted];
    let pages = match only {
        Some(gi) => links.guide_pages.get(gi).cloned().unwrap_or_default(),
        None => 0..links.pages.len(),
    };
    for (pi, p) in pages.map(|pi| (pi, &links.pages[pi])) {
        let Some(at) = p.guide.and_then(slot) else {
            continue;
        };
        match p.kind {
            PageKind::Guide => by_guide[at].0 = Some(pi),
            PageKind::Channel => by_guide[at].1.push(pi),
            _ => {}
        }
    }
    for (ai, a) in links.aliases.iter().enumerate() {
        let target = links.pages.get(a.target);
        if let Some(at) = target.and_then(|t| t.guide).and_then(slot)
            && matches!(
                target.map(|t| t.kind),
                Some(PageKind::Guide | PageKind::Channel)
            )
        {
            by_guide[at].2.push(ai);
        }
    }
    by_guide
        .into_iter()
        .filter_map(|(guide_page_index, channel_pages, aliases)| {
            let pi = guide_page_index?;
            let gp = &links.pages[pi];
            let g = &site.guides[gp.guide?];
            let (url, href, qr_svg, qr_png) = page(gp);
            let mut channels = Vec::new();
            for ci in channel_pages {
                let cp = &links.pages[ci];
                let c = &g.channels[cp.channel.unwrap_or_default()];
                let (url, href, qr_svg, qr_png) = page(cp);
                let steps = match steps {
                    true => cp
                        .anchors
                        .iter()
                        .map(|a| ShareStepView {
                            number: a.number,
                            title: a.title.clone(),
                            url: format!("{url}{}", a.fragment()),
                        })
                        .collect(),
                    false => Vec::new(),
                };
                channels.push(ShareChannelView {
                    id: &c.id.0,
                    name: &c.name,
                    title: &c.title,
                    number_cn: number_cn(channels.len() + 1),
                    notice: channel_notice(&cp.title, &url),
                    steps,
                    url,
                    href,
                    qr_svg,
                    qr_png,
                });
            }
            let notice = guide_notice(g.meta.attachment.as_deref(), &g.meta.title, &url);
            let mut notice_full = notice.clone();
            for c in &channels {
                notice_full.push_str(&format!("\n{}、{}：{}", c.number_cn, c.title, c.url));
            }
            Some(ShareGuideView {
                id: &g.id.0,
                title: &g.meta.title,
                attachment: g.meta.attachment.as_deref(),
                url,
                href,
                share_href: relative(from, &format!("/{}", guide_page(&g.id.0))),
                qr_svg,
                qr_png,
                notice,
                notice_full,
                channels,
                aliases: aliases
                    .into_iter()
                    .map(|a| links.url(&links.aliases[a].path))
                    .collect(),
                draft: !gp.published,
            })
        })
        .collect()
}

/// What the redirect page of an alias sees.
#[derive(Debug, Serialize)]
pub struct AliasView {
    /// The page it redirects to, relative to the redirect file.
    pub target: String,
    /// The page's canonical URL, or null without a base URL.
    pub canonical: Option<String>,
    pub title: String,
    /// The old address.
    pub path: String,
}

pub fn alias_view(links: &Links, index: usize) -> AliasView {
    let a = &links.aliases[index];
    let t = &links.pages[a.target];
    AliasView {
        target: page_href(&a.file, &t.path),
        canonical: links.base_url.map(|_| links.url(&t.path)),
        title: t.title.clone(),
        path: a.path.clone(),
    }
}

/// Output formats of `guidepost links`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Notice lines, ready to paste.
    Text,
    /// One row per link, for Excel (with a UTF-8 BOM so that Excel reads Chinese correctly).
    Csv,
    Json,
}

/// One link in `guidepost links --format csv|json`.
#[derive(Debug, Serialize)]
pub struct LinkRow<'a> {
    pub kind: &'static str,
    pub guide: Option<&'a str>,
    pub channel: Option<&'a str>,
    pub step: Option<usize>,
    pub title: String,
    pub path: String,
    /// Absolute URL; null without a base URL.
    pub url: Option<String>,
}

/// Every published link, in site order; steps only with `steps`.
pub fn rows<'a>(site: &'a Site, links: &Links<'a>, steps: bool) -> Vec<LinkRow<'a>> {
    let mut rows = Vec::new();
    for p in links.pages.iter().filter(|p| p.published) {
        let g = p.guide.map(|g| &site.guides[g]);
        let c = g.zip(p.channel).map(|(g, c)| &g.channels[c]);
        let url = |path: &str| links.base_url.map(|_| links.url(path));
        rows.push(LinkRow {
            kind: match p.kind {
                PageKind::Home => "home",
                PageKind::Guide => "guide",
                PageKind::Channel => "channel",
            },
            guide: g.map(|g| g.id.0.as_str()),
            channel: c.map(|c| c.id.0.as_str()),
            step: None,
            title: p.title.clone(),
            path: p.path.clone(),
            url: url(&p.path),
        });
        if steps && p.kind == PageKind::Channel {
            for a in &p.anchors {
                let path = format!("{}{}", p.path, a.fragment());
                rows.push(LinkRow {
                    kind: "step",
                    guide: g.map(|g| g.id.0.as_str()),
                    channel: c.map(|c| c.id.0.as_str()),
                    step: Some(a.number),
                    title: a.title.clone(),
                    url: url(&path),
                    path,
                });
            }
        }
    }
    rows
}

/// The output of `guidepost links`.
pub fn listing(site: &Site, links: &Links, format: Format, steps: bool) -> Result<String, String> {
    match format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&rows(site, links, steps))
                .map_err(|e| e.to_string())?;
            s.push('\n');
            Ok(s)
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            for r in rows(site, links, steps) {
                w.serialize(r).map_err(|e| e.to_string())?;
            }
            let bytes = w.into_inner().map_err(|e| e.to_string())?;
            String::from_utf8(bytes).map_err(|e| e.to_string())
        }
        Format::Text => {
            let mut s = format!("{}\n{}\n", site.config.title, links.url("/"));
            for g in guides(site, links, None, steps).iter().filter(|g| !g.draft) {
                s.push('\n');
                s.push_str(&g.notice);
                s.push('\n');
                for c in &g.channels {
                    s.push_str(&format!("{}、{}：{}\n", c.number_cn, c.title, c.url));
                    if steps {
                        for st in &c.steps {
                            s.push_str(&format!(
                                "    第 {} 步 {}：{}\n",
                                st.number, st.title, st.url
                            ));
                        }
                    }
                }
            }
            Ok(s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_lines() {
        assert_eq!(
            guide_notice(
                Some("附件 2"),
                "学信网图像采集码获取流程",
                "https://x.cn/xuexin/"
            ),
            "附件 2：学信网图像采集码获取流程（在线版：https://x.cn/xuexin/）"
        );
        assert_eq!(
            guide_notice(None, "补办", "https://x.cn/b/"),
            "补办（在线版：https://x.cn/b/）"
        );
        assert_eq!(
            channel_notice("补办（微信）", "https://x.cn/b/wechat/"),
            "补办（微信）：https://x.cn/b/wechat/"
        );
    }
}
