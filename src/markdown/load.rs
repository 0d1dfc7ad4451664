//! Loading: from the files discovery read to the site model.
//!
//! Parses `site.toml` and every front matter, checks ids and structure, renders each channel's
//! Markdown into steps (in parallel, one guide per task) and checks every internal link once all
//! pages and anchors are known. Problems are collected as diagnostics; whatever can still be
//! built is.

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use crate::content::discover::{GuideInput, Inputs};
use crate::content::frontmatter;
use crate::content::model::*;
use crate::content::source::SourceFile;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::markdown::{self, Env, PageLink};

pub struct LoadOptions {
    pub drafts: bool,
}

/// The site model and what the output needs besides pages.
pub struct Loaded {
    pub site: Site,
    /// Files under `content/` to publish, relative to it, sorted.
    pub assets: BTreeSet<String>,
}

pub fn load(inputs: &Inputs, opts: &LoadOptions, diags: &mut Vec<Diagnostic>) -> Option<Loaded> {
    let config = parse_config(&inputs.config, diags)?;
    let home = load_home(inputs, diags);
    let mut assets: BTreeSet<String> = home.assets.into_iter().collect();
    let mut links = home.links;

    let results: Vec<GuideResult> = inputs
        .guides
        .par_iter()
        .map(|g| load_guide(inputs, &config, g, opts))
        .collect();
    let mut guides = Vec::new();
    for r in results {
        diags.extend(r.diagnostics);
        assets.extend(r.assets);
        links.extend(r.links);
        if let Some(g) = r.guide {
            guides.push(g);
        }
    }
    sort_guides(&mut guides);
    let site = Site {
        config,
        intro: home.intro,
        guides,
    };
    check_links(&site, &links, &inputs.sources(), diags);
    Some(Loaded { site, assets })
}

/// The home page's intro (`content/_index.md`) and what it links to and publishes.
pub struct Home {
    pub intro: Vec<Block>,
    pub assets: Vec<String>,
    pub links: Vec<(String, PageLink)>,
}

pub fn load_home(inputs: &Inputs, diags: &mut Vec<Diagnostic>) -> Home {
    let mut home = Home {
        intro: Vec::new(),
        assets: Vec::new(),
        links: Vec::new(),
    };
    if let Some(f) = &inputs.home {
        match frontmatter::split(f) {
            Ok(split) => {
                if split.format.is_some() {
                    let _: Option<HomeMeta> = frontmatter::parse(f, &split, diags);
                }
                let env = env(inputs, f, split.body_offset, "", Device::Phone, false);
                let r = markdown::render(split.body, &env);
                diags.extend(r.diagnostics);
                home.assets = r.assets;
                home.links = r.links.into_iter().map(|l| (f.rel.clone(), l)).collect();
                home.intro = r.intro;
            }
            Err(d) => diags.push(d),
        }
    }
    home
}

/// Guides in their order on the home page: `order`, then the folder name.
pub fn sort_guides(guides: &mut [Guide]) {
    guides.sort_by(|a, b| {
        (a.meta.order.unwrap_or(i64::MAX), &a.id).cmp(&(b.meta.order.unwrap_or(i64::MAX), &b.id))
    });
}

fn env<'a>(
    inputs: &'a Inputs,
    f: &'a SourceFile,
    body_offset: usize,
    dir: &'a str,
    device: Device,
    steps: bool,
) -> Env<'a> {
    Env {
        file: f,
        body_offset,
        dir,
        content_dir: &inputs.content_dir,
        files: &inputs.files,
        device,
        steps,
    }
}

pub fn parse_config(file: &SourceFile, diags: &mut Vec<Diagnostic>) -> Option<SiteConfig> {
    // site.toml is a whole TOML file: treat it as front matter without fences
    let split = frontmatter::Split {
        format: Some(frontmatter::Format::Toml),
        matter: &file.text,
        matter_offset: 0,
        body: "",
        body_offset: file.text.len(),
        name: "site.toml",
    };
    let mut config: SiteConfig = frontmatter::parse(file, &split, diags)?;
    if let Some(url) = &config.base_url {
        match base_url(url, false) {
            Ok(u) => config.base_url = Some(u),
            Err((message, help)) => {
                // point at the value (after the key), else at the key
                let key = file.text.find("base_url").unwrap_or(0);
                let at = file.text[key..]
                    .find(url.as_str())
                    .map_or(key..key + 8, |i| key + i..key + i + url.len());
                diags.push(
                    Diagnostic::error("invalid-value", message)
                        .at(file, at)
                        .help(help),
                );
                config.base_url = None;
            }
        }
    }
    Some(config)
}

/// Checks a `base_url` (from `site.toml`, or `--base-url` when `cli`): the absolute http(s)
/// address of the published site, which every canonical link, the sitemap, the PDFs and their QR
/// codes append page paths to. So it has a host and no user name or password (it would be
/// published on every page), no query and no fragment (page paths cannot follow them). Returns it
/// ending in `/`, or a message and a hint.
pub fn base_url(url: &str, cli: bool) -> Result<String, (String, String)> {
    let (name, example) = if cli {
        ("--base-url", "--base-url https://guides.example.edu.cn/")
    } else {
        ("base_url", "base_url = \"https://guides.example.edu.cn/\"")
    };
    // (what it must not have, why, how to fix it)
    let problem = if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some(("contain spaces", "", "remove them"))
    } else {
        match url::Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {
                if !u.username().is_empty() || u.password().is_some() {
                    Some((
                        "hold a user name or password (`…@`)",
                        ": it would be published on every page",
                        "write only the public address",
                    ))
                } else if u.query().is_some() {
                    Some((
                        "have a query (`?…`)",
                        ": page addresses are appended to it",
                        "remove the `?` and what follows it",
                    ))
                } else if u.fragment().is_some() {
                    Some((
                        "have a fragment (`#…`)",
                        ": page addresses are appended to it",
                        "remove the `#` and what follows it",
                    ))
                } else {
                    None
                }
            }
            _ => {
                return Err((
                    format!("`{name}` must be an absolute http(s) URL, not `{url}`"),
                    format!("for example: {example}"),
                ));
            }
        }
    };
    match problem {
        None if url.ends_with('/') => Ok(url.to_string()),
        None => Ok(format!("{url}/")),
        Some((what, why, fix)) => Err((
            format!("`{name}` must not {what}, but `{url}` does{why}"),
            format!("{fix}, for example: {example}"),
        )),
    }
}

/// One guide loaded on its own (so `serve` can reload one guide and keep the others).
pub struct GuideResult {
    pub guide: Option<Guide>,
    pub assets: Vec<String>,
    pub links: Vec<(String, PageLink)>,
    pub diagnostics: Vec<Diagnostic>,
}

fn slug_error(kind: &str, name: &str, rel: &str) -> Diagnostic {
    let suggestion: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| {
            if c == '_' || c == ' ' || c == '.' {
                '-'
            } else {
                c
            }
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    let help = if suggestion.is_empty() || !name.is_ascii() {
        (
            "rename it with lowercase ASCII letters, digits and `-` (for example `wechat`, `xuexin-image-code`): the name is its URL, and automatic pinyin gets Chinese names wrong"
        ).to_string()
    } else {
        format!(
            "rename it to `{suggestion}`: the name is its URL and may only hold `a-z`, `0-9` and `-`"
        )
    };
    Diagnostic::error(
        "invalid-name",
        format!("the {kind} name `{name}` cannot be used in a URL"),
    )
    .in_file(rel)
    .help(help)
}

pub fn load_guide(
    inputs: &Inputs,
    config: &SiteConfig,
    g: &GuideInput,
    opts: &LoadOptions,
) -> GuideResult {
    let mut diags = Vec::new();
    let mut assets = Vec::new();
    let mut links = Vec::new();
    let res = |guide| GuideResult {
        guide,
        assets: Vec::new(),
        links: Vec::new(),
        diagnostics: Vec::new(),
    };
    if !is_slug(&g.id) {
        diags.push(slug_error("guide folder", &g.id, &g.rel));
    }
    let Some(index) = &g.index else {
        if g.channels.is_empty() {
            return res(None); // a folder of images only: not a guide
        }
        let mut r = res(None);
        r.diagnostics = diags;
        r.diagnostics.push(
            Diagnostic::error(
                "missing-guide-index",
                format!("the guide folder {} has no `_index.md`", g.rel),
            )
            .in_file(g.rel.clone())
            .help(format!(
                "create {}/_index.md with at least:\n+++\ntitle = \"…\"\n+++",
                g.rel
            )),
        );
        return r;
    };
    let split = match frontmatter::split(index) {
        Ok(s) => s,
        Err(d) => {
            let mut r = res(None);
            r.diagnostics = diags;
            r.diagnostics.push(d);
            return r;
        }
    };
    if split.format.is_none() {
        diags.push(
            Diagnostic::error("missing-front-matter", "the guide has no front matter")
                .at(index, 0..0)
                .help("start the file with:\n+++\ntitle = \"学信网图像采集码获取流程\"\n+++"),
        );
    }
    let meta: Option<GuideMeta> = if split.format.is_some() {
        frontmatter::parse(index, &split, &mut diags)
    } else {
        None
    };
    let intro = {
        let e = env(
            inputs,
            index,
            split.body_offset,
            &g.id,
            Device::Phone,
            false,
        );
        let r = markdown::render(split.body, &e);
        diags.extend(r.diagnostics);
        assets.extend(r.assets);
        links.extend(r.links.into_iter().map(|l| (index.rel.clone(), l)));
        r.intro
    };

    let mut channels = Vec::new();
    let mut drafts = Vec::new();
    for f in &g.channels {
        let stem = f
            .path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if !is_slug(&stem) {
            diags.push(slug_error("channel file", &stem, &f.rel));
        }
        let split = match frontmatter::split(f) {
            Ok(s) => s,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        if split.format.is_none() {
            diags.push(
                Diagnostic::error("missing-front-matter", "the channel has no front matter")
                    .at(f, 0..0)
                    .help("start the file with:\n+++\ntitle = \"“学信网”微信公众号\"\n+++"),
            );
            continue;
        }
        let meta: Option<ChannelMeta> = frontmatter::parse(f, &split, &mut diags);
        if meta.as_ref().is_some_and(|m| m.draft) && !opts.drafts {
            drafts.push(stem);
            continue;
        }
        let defaults = config.channels.get(&stem).cloned().unwrap_or_default();
        let device = meta
            .as_ref()
            .and_then(|m| m.device)
            .or(defaults.device)
            .unwrap_or_default();
        let e = env(inputs, f, split.body_offset, &g.id, device, true);
        // rendered even when the front matter is wrong, so its problems are reported too
        let r = markdown::render(split.body, &e);
        diags.extend(r.diagnostics);
        let Some(cm) = meta else { continue };
        assets.extend(r.assets);
        links.extend(r.links.into_iter().map(|l| (f.rel.clone(), l)));
        if r.steps.is_empty() {
            diags.push(
                Diagnostic::warning("no-steps", format!("the channel `{stem}` has no steps"))
                    .in_file(f.rel.clone())
                    .help("start each step with a `## ` heading, e.g. `## 登录学信网`"),
            );
        }
        for s in &r.steps {
            if s.body.is_empty() {
                let off = line_offset(f, s.line);
                diags.push(
                    Diagnostic::warning(
                        "empty-step",
                        format!(
                            "step {} “{}” has no text and no screenshot",
                            s.number, s.title_text
                        ),
                    )
                    .at(f, off..off + 2)
                    .help("say what to do, and add the screenshot: `![描述](images/step.png)`"),
                );
            }
        }
        channels.push(Channel {
            id: ChannelId(stem.clone()),
            title: cm.title.clone(),
            name: cm.name.or(defaults.name).unwrap_or(cm.title),
            note: cm.note,
            device,
            order: cm.order.or(defaults.order),
            source: f.rel.clone(),
            intro: r.intro,
            steps: r.steps,
            aliases: cm.aliases,
            draft: cm.draft,
            search: cm.search,
        });
    }

    let Some(meta) = meta else {
        return GuideResult {
            guide: None,
            assets,
            links,
            diagnostics: diags,
        };
    };
    if meta.draft && !opts.drafts {
        return GuideResult {
            guide: None,
            assets: Vec::new(),
            links: Vec::new(),
            diagnostics: diags,
        };
    }
    // channel order: the guide's `channels` list, else `order`, else the file name
    channels.sort_by(|a, b| {
        (a.order.unwrap_or(i64::MAX), &a.id).cmp(&(b.order.unwrap_or(i64::MAX), &b.id))
    });
    if let Some(list) = &meta.channels {
        let at = index.text.find("channels").unwrap_or(0);
        let known: Vec<String> = channels.iter().map(|c| c.id.0.clone()).collect();
        let mut seen = HashSet::new();
        for id in list {
            if !seen.insert(id) {
                diags.push(
                    Diagnostic::warning(
                        "duplicate-channel",
                        format!("`channels` names `{id}` twice"),
                    )
                    .at(index, at..at + 8),
                );
            }
            if !known.contains(id) && !drafts.contains(id) {
                let hint = match did_you_mean(id, known.iter().map(String::as_str)) {
                    Some(s) => format!(
                        "did you mean `{s}`? the channels of this guide are: {}",
                        known.join(", ")
                    ),
                    None => format!(
                        "create {}/{id}.md, or remove it from the list (channels here: {})",
                        g.rel,
                        known.join(", ")
                    ),
                };
                diags.push(
                    Diagnostic::error(
                        "unknown-channel",
                        format!("`channels` names `{id}`, but there is no {id}.md in this guide"),
                    )
                    .at(index, at..at + 8)
                    .help(hint),
                );
            }
        }
        for c in &channels {
            if !list.contains(&c.id.0) {
                diags.push(
                    Diagnostic::warning("unlisted-channel", format!("the channel `{}` is not in the guide's `channels` list; it is shown last", c.id.0))
                        .at(index, at..at + 8)
                        .help(format!("add \"{}\" to `channels`", c.id.0)),
                );
            }
        }
        channels.sort_by_key(|c| list.iter().position(|x| *x == c.id.0).unwrap_or(usize::MAX));
    }
    if g.channels.is_empty() {
        diags.push(
            Diagnostic::warning(
                "no-channels",
                format!("the guide `{}` has no channels", g.id),
            )
            .in_file(index.rel.clone())
            .help(format!(
                "add a channel file such as {}/web.md with a title and `##` steps",
                g.rel
            )),
        );
    }
    GuideResult {
        guide: Some(Guide {
            id: GuideId(g.id.clone()),
            meta,
            source: index.rel.clone(),
            intro,
            channels,
        }),
        assets,
        links,
        diagnostics: diags,
    }
}

fn line_offset(f: &SourceFile, line: usize) -> usize {
    f.line_offset(line).unwrap_or(0)
}

/// Checks that every link to a page of the site lands on a page that is built and on an anchor
/// that exists there.
pub fn check_links<'l>(
    site: &Site,
    links: impl IntoIterator<Item = &'l (String, PageLink)>,
    sources: &HashMap<&str, &SourceFile>,
    diags: &mut Vec<Diagnostic>,
) {
    check_links_against(
        &anchors(site),
        links,
        |rel| sources.get(rel).copied(),
        diags,
    );
}

/// Every page of the site that links can point to, with the anchors on it, by URL path from
/// the site root (`""`, `guide/`, `guide/channel/`).
pub type Anchors = HashMap<String, HashSet<String>>;

pub fn anchors(site: &Site) -> Anchors {
    let mut pages = Anchors::new();
    pages.insert(String::new(), HashSet::new());
    for g in &site.guides {
        pages.extend(guide_anchors(g));
    }
    pages
}

/// The pages of one guide and their anchors.
pub fn guide_anchors(g: &Guide) -> Vec<(String, HashSet<String>)> {
    let mut guide_page = HashSet::new();
    let mut pages = Vec::with_capacity(g.channels.len() + 1);
    for c in &g.channels {
        guide_page.insert(c.id.0.clone());
        for s in &c.steps {
            guide_page.insert(format!("{}-{}", c.id.0, s.anchor));
        }
        pages.push((
            format!("{}/{}/", g.id.0, c.id.0),
            c.steps.iter().map(|s| s.anchor.clone()).collect(),
        ));
    }
    pages.push((format!("{}/", g.id.0), guide_page));
    pages
}

/// [`check_links`] against pages known beforehand; `source` finds a Markdown file by its path
/// relative to the root.
pub fn check_links_against<'l, 's>(
    pages: &Anchors,
    links: impl IntoIterator<Item = &'l (String, PageLink)>,
    source: impl Fn(&str) -> Option<&'s SourceFile>,
    diags: &mut Vec<Diagnostic>,
) {
    for (src, link) in links {
        let file = || source(src);
        match pages.get(&link.page) {
            None => diags.extend(file().map(|file| {
                Diagnostic::error(
                    "broken-link",
                    format!(
                        "the link points to `{}`, which is not built (a draft, or it has errors)",
                        link.page
                    ),
                )
                .at(file, link.span.clone())
                .help("link to a published guide or channel")
            })),
            Some(anchors) => {
                if let Some(a) = &link.anchor
                    && !a.is_empty()
                    && !anchors.contains(a)
                    && let Some(file) = file()
                {
                    let hint = match did_you_mean(a, anchors.iter().map(String::as_str)) {
                        Some(s) => format!("did you mean `#{s}`?"),
                        None => "steps have the anchors `step-1`, `step-2` … or the `{#id}` written after their heading".to_string(),
                    };
                    diags.push(
                        Diagnostic::error(
                            "broken-anchor",
                            format!("the page `{}` has no anchor `#{a}`", link.page),
                        )
                        .at(file, link.span.clone())
                        .help(hint),
                    );
                }
            }
        }
    }
}
