//! The search index: the site's text as [`super::tokenizer`] tokens, in classic scripts under
//! `search/` that the browser loads with `<script>` elements (so it works from `file://` and in
//! WeChat's browser, where `fetch` of a local file, ES modules or WebAssembly do not).
//!
//! A *document* is what one result points at: a step (its title, its text, its screenshots'
//! captions), a channel (name, title, note, intro) or a guide (title, summary, intro). Documents
//! are numbered in site order. The index is made of:
//!
//! - the *manifest* `search/index.js`, which calls `window.__gpSearch.index({...})` with the
//!   index's version, the number of documents and of token shards, and the documents per
//!   document shard (a few numbers: nothing in it grows with the site);
//! - *token shards* `search/t-N.js` (`__gpSearch.shard(N, {token: postings})`): a token lives in
//!   shard `hash(token) % shards`, so a query loads only the shards of its own tokens. The
//!   *postings* of a token say which documents hold it and in which fields (title, text,
//!   caption), as a string of base-32 digits (see [`super::part::encode`]);
//! - *document shards* `search/d-N.js` (`__gpSearch.docs(N, {...})`): [`SHARD_DOCS`] documents
//!   each (document `n` in shard `n / SHARD_DOCS`), with their guide, channel, anchor, title and
//!   the first [`TEXT_CHARS`] characters of their text (captions after it), loaded only for the
//!   results shown: the browser cuts a result's snippet around its best match.
//!
//! A small site (the sample) gets all of it inline in the manifest: one small file. File names
//! stay the same from build to build. The pages name the manifest alone, which the browser loads
//! afresh (`?t=` and the time: it is a few bytes), and the manifest's shards are loaded with
//! `?v=` and the index's [`version`], a hash of everything the index is made of, so caches stay
//! fresh and a browser never mixes two builds. Pages do not depend on the index: the build
//! makes it beside them, and the preview makes it again without rendering every page.
//! Drafts, and guides or channels with `search = false`, are left out.
//!
//! The index is made in two steps. Each guide's text becomes its [`Part`] (its documents, and
//! its tokens' postings already encoded; see [`super::part`]), in parallel and only when the
//! guide changed: parts are kept by a hash of their guide's text (see [`Plan`] and [`Store`]),
//! on disk for `build` ([`super::cache::Parts`]) and in memory for the preview. Then
//! [`assemble`] merges the parts into the shards, copying their encoded postings. A build after
//! one guide was edited tokenizes that guide alone.

use std::fmt::Write as _;
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::part::{self, Part, SIXTEENTHS, json, order};
use crate::content::model::{Block, Guide, Site, walk};

/// Fields of a document, as bits of a posting: a match in a title weighs most, then the text,
/// then a caption.
pub const TITLE: u8 = 4;
pub const BODY: u8 = 2;
pub const CAPTION: u8 = 1;

/// The folder of the index and the search page in the output.
pub const DIR: &str = "search";
/// The index's manifest, the one file a page names: relative to the site's root.
pub const MANIFEST: &str = "search/index.js";

/// Postings per token shard aimed at (about 5 KB a shard; a common token's own postings are
/// most of its shard).
const SHARD_POSTINGS: usize = 7_000;
/// Documents per document shard: a result loads the shard of its document, so few documents
/// (about 5 KB) keep the bytes of a first query low.
pub const SHARD_DOCS: usize = 8;
/// Characters of a document's text (and captions) kept for its result's snippet, which the
/// browser cuts around the best match: more than nearly every step (99% of the benchmark's steps
/// have fewer than 800), so a match anywhere in a step shows in its snippet; text beyond them
/// (a pasted table, say) is searched and ranked but never shown, so one huge step cannot make
/// its document shard huge.
pub const TEXT_CHARS: usize = 1000;
/// Below these, everything goes into the manifest.
const INLINE_POSTINGS: usize = 8_000;
const INLINE_DOC_BYTES: usize = 24 * 1024;
/// The format of the index and of its parts: part of every key and version, so that a browser
/// never keeps a shard of another format and no store hands back a part made another way.
/// Change it with anything that changes what a part holds (the test
/// `a_part_is_what_its_format_says` fails until it is changed).
const FORMAT: &str = "5";

/// The files of the index.
#[derive(Debug, Default)]
pub struct Index {
    /// Path in the output (`search/…`) and bytes.
    pub files: Vec<(String, Vec<u8>)>,
    pub documents: usize,
    pub token_shards: usize,
    pub doc_shards: usize,
}

/// What the index of a site is made of, cheaper to know than the index: each searchable
/// guide's *key* (a hash of everything its [`Part`] is made of: a part made from the same key
/// is the same part) and the index's [`Plan::version`] (a hash of the keys, in site order). The
/// preview makes the index again only when the version changes; a [`Store`] keeps parts by key.
#[derive(Debug, Clone)]
pub struct Plan {
    pub version: String,
    /// The searchable guides (their place in the site) with their keys.
    guides: Vec<(usize, String)>,
}

impl Plan {
    /// A plan of these keys (for tests of stores).
    #[cfg(test)]
    pub(crate) fn of_keys(keys: &[&str]) -> Plan {
        Plan {
            version: String::new(),
            guides: keys
                .iter()
                .enumerate()
                .map(|(i, k)| (i, k.to_string()))
                .collect(),
        }
    }

    /// The keys of the parts of the index, in site order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.guides.iter().map(|(_, k)| k.as_str())
    }
}

/// The key of guide `g`'s part (see [`Plan`]).
fn guide_key(g: &Guide) -> String {
    let mut h = blake3::Hasher::new();
    let mut put = |s: &str| {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(FORMAT);
    put(env!("CARGO_PKG_VERSION"));
    fn blocks(blocks: &[Block], put: &mut impl FnMut(&str)) {
        for b in walk(blocks) {
            match b {
                Block::Html(x) => put(x),
                Block::Figure(fig) => put(&fig.alt),
                Block::Slot(s) => put(&s.alt),
                Block::Callout { .. } => put("callout"),
            }
        }
    }
    put(&g.id.0);
    put(&g.meta.title);
    put(g.meta.summary.as_deref().unwrap_or("\0"));
    blocks(&g.intro, &mut put);
    for c in g.channels.iter().filter(|c| !c.draft && c.search) {
        put(&c.id.0);
        put(&c.name);
        put(&c.title);
        put(c.note.as_deref().unwrap_or("\0"));
        blocks(&c.intro, &mut put);
        for s in &c.steps {
            put(&s.number.to_string());
            put(&s.anchor);
            put(&s.title_text);
            blocks(&s.body, &mut put);
        }
        put("\0end");
    }
    h.finalize().to_hex()[..32].to_string()
}

/// The [`Plan`] of `site`'s index.
pub fn plan(site: &Site) -> Plan {
    let guides: Vec<(usize, String)> = site
        .guides
        .par_iter()
        .enumerate()
        .filter(|(_, g)| !g.meta.draft && g.meta.search)
        .map(|(i, g)| (i, guide_key(g)))
        .collect();
    let mut h = blake3::Hasher::new();
    h.update(FORMAT.as_bytes());
    for (_, k) in &guides {
        h.update(k.as_bytes());
    }
    Plan {
        version: h.finalize().to_hex()[..10].to_string(),
        guides,
    }
}

/// The version of the index of `site` ([`Plan::version`]).
pub fn version(site: &Site) -> String {
    plan(site).version
}

/// Where parts made earlier are kept, by key: the build's cache on disk
/// ([`super::cache::Parts`]), the preview's memory, or nowhere ([`NoStore`]).
pub trait Store: Sync {
    fn get(&self, key: &str) -> Option<Arc<Part>>;
    /// Keeps `part`, just made for `key`.
    fn put(&self, key: &str, part: &Arc<Part>);
}

/// A [`Store`] that keeps nothing: every part is made.
pub struct NoStore;

impl Store for NoStore {
    fn get(&self, _: &str) -> Option<Arc<Part>> {
        None
    }
    fn put(&self, _: &str, _: &Arc<Part>) {}
}

/// A [`Store`] in memory (the preview's), holding the parts of the last index it built.
#[derive(Default)]
pub struct Memory(std::sync::Mutex<FxHashMap<String, Arc<Part>>>);

impl Store for Memory {
    fn get(&self, key: &str) -> Option<Arc<Part>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }
    fn put(&self, key: &str, part: &Arc<Part>) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.to_string(), part.clone());
    }
}

impl Memory {
    /// [`build_with`] this store, which then holds the parts of this index only.
    pub fn build(&self, site: &Site, plan: &Plan) -> Index {
        let index = build_with(site, plan, self);
        let keys: std::collections::HashSet<&str> = plan.keys().collect();
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|k, _| keys.contains(k.as_str()));
        index
    }
}

/// The parts of `site`'s index as `plan` lists them: from `store` where it has them, made (in
/// parallel) and given to it where not.
pub fn parts(site: &Site, plan: &Plan, store: &dyn Store) -> Vec<Arc<Part>> {
    plan.guides
        .par_iter()
        .map_init(part::Work::default, |work, (gi, key)| {
            store.get(key).unwrap_or_else(|| {
                let part = Arc::new(part::make_part(&site.guides[*gi], work));
                store.put(key, &part);
                part
            })
        })
        .collect()
}

/// The JSON of the document shard of `docs` (parts and documents within them): its guides
/// (`g`: title, URL), channels (`c`: name, URL) and documents (`d`: guide, channel or -1, step
/// or 0, anchor, title, snippet), each by its place in the shard.
fn doc_shard(parts: &[Arc<Part>], docs: &[(u32, u32)]) -> String {
    let (mut g, mut ch, mut d) = (String::new(), String::new(), String::new());
    let (mut gi, mut c0, mut last) = (-1i64, 0i64, u32::MAX);
    let mut channels = 0i64;
    for &(p, i) in docs {
        let part = &parts[p as usize];
        if p != last {
            last = p;
            gi += 1;
            c0 = channels;
            if !g.is_empty() {
                g.push(',');
            }
            g.push_str(part.guide());
            for c in part.channels() {
                if !ch.is_empty() {
                    ch.push(',');
                }
                ch.push_str(c);
                channels += 1;
            }
        }
        let Some((channel, rest)) = part.docs().nth(i as usize) else {
            continue;
        };
        let c = if channel < 0 { -1 } else { channel as i64 + c0 };
        if !d.is_empty() {
            d.push(',');
        }
        let _ = write!(d, "[{gi},{c},{rest}");
    }
    format!("{{\"g\":[{g}],\"c\":[{ch}],\"d\":[{d}]}}")
}

/// Builds the index of `site` (see the module doc) as `plan` lists it, with the parts `store`
/// keeps. Pure but for the store: the caller writes the files.
pub fn build_with(site: &Site, plan: &Plan, store: &dyn Store) -> Index {
    assemble(&parts(site, plan, store), &plan.version)
}

/// [`build_with`] no store: every part made.
pub fn build(site: &Site, plan: &Plan) -> Index {
    build_with(site, plan, &NoStore)
}

/// The index's files from the parts of its guides, in site order: every token's runs merged
/// into its shard in site order, the documents numbered after the documents of the guides
/// before them. No posting is decoded: a run's first posting is encoded against the token's
/// last document so far, and the rest of it copied.
pub fn assemble(parts: &[Arc<Part>], version: &str) -> Index {
    let postings: usize = parts.iter().map(|p| p.postings as usize).sum();
    let doc_bytes: usize = parts.iter().map(|p| p.doc_bytes()).sum();
    let inline = postings <= INLINE_POSTINGS && doc_bytes <= INLINE_DOC_BYTES;
    let shards = if inline {
        1
    } else {
        postings
            .div_ceil(SHARD_POSTINGS)
            .next_power_of_two()
            .clamp(1, 4096)
    };
    let mask = shards as u32 - 1;
    let mut offsets = Vec::with_capacity(parts.len());
    let mut all_docs: Vec<(u32, u32)> = Vec::new();
    for (pi, p) in parts.iter().enumerate() {
        offsets.push(all_docs.len() as i64);
        all_docs.extend((0..p.doc_count() as u32).map(|i| (pi as u32, i)));
    }
    let documents = all_docs.len();

    // token shards, each merged from every guide's part in site order. A task takes the
    // shards `group % groups`: one stretch of sixteenths of every part's runs (see
    // `part::order`), read once and in order.
    let groups = shards.min(SIXTEENTHS);
    let token_groups: Vec<Vec<(usize, String)>> = (0..groups)
        .into_par_iter()
        .map(|group| {
            // the group's sixteenths: those whose highest bits of the order are the group's
            let from = (order(group as u32) >> 28) as usize;
            let to = from + SIXTEENTHS / groups;
            // the group's tokens: their shard, postings so far and last document
            let mut at: FxHashMap<&str, usize> = FxHashMap::default();
            let mut merged: Vec<(u32, &str, String, i64)> = Vec::new();
            for (p, &off) in parts.iter().zip(&offsets) {
                for r in p.runs(from, to) {
                    let token = r.token;
                    let i = *at.entry(token).or_insert_with(|| {
                        merged.push((r.hash & mask, token, String::new(), -1));
                        merged.len() - 1
                    });
                    let (_, _, out, prev) = &mut merged[i];
                    let doc = (r.first >> 3) as i64 + off;
                    part::encode((((doc - *prev) as u32) << 3) | (r.first & 7), out);
                    out.push_str(r.rest);
                    *prev = r.last as i64 + off;
                }
            }
            merged.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
            let mut files = Vec::new();
            for run in merged.chunk_by(|a, b| a.0 == b.0) {
                let shard = run[0].0;
                let len: usize = run.iter().map(|m| m.1.len() + m.2.len() + 6).sum();
                let mut s = String::with_capacity(len + 64);
                if !inline {
                    let _ = write!(s, "window.__gpSearch.shard({shard},");
                }
                s.push('{');
                for (i, (_, token, postings, _)) in run.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    s.push_str(&json(token));
                    s.push_str(":\"");
                    s.push_str(postings);
                    s.push('"');
                }
                s.push('}');
                if !inline {
                    s.push_str(");\n");
                }
                files.push((shard as usize, s));
            }
            files
        })
        .collect();
    // every shard, an empty one where no token fell
    let mut token_shards: Vec<String> = (0..shards)
        .map(|shard| match inline {
            true => "{}".to_string(),
            false => format!("window.__gpSearch.shard({shard},{{}});\n"),
        })
        .collect();
    for (shard, s) in token_groups.into_iter().flatten() {
        token_shards[shard] = s;
    }

    // document shards: SHARD_DOCS documents each, in site order
    let doc_shards: Vec<String> = all_docs
        .par_chunks(SHARD_DOCS)
        .enumerate()
        .map(|(i, docs)| {
            let s = doc_shard(parts, docs);
            match inline {
                true => s,
                false => format!("window.__gpSearch.docs({i},{s});\n"),
            }
        })
        .collect();
    let doc_shard_count = doc_shards.len();

    let mut files = Vec::new();
    let mut manifest = format!(
        "window.__gpSearch.index({{\"v\":{},\"docs\":{documents},\"shards\":{shards},\"per\":{SHARD_DOCS}",
        json(version)
    );
    if inline {
        let _ = write!(
            manifest,
            ",\"ts\":[{}],\"ds\":[{}]",
            token_shards.join(","),
            doc_shards.join(",")
        );
    } else {
        for (i, s) in token_shards.into_iter().enumerate() {
            files.push((format!("{DIR}/t-{i}.js"), s.into_bytes()));
        }
        for (i, s) in doc_shards.into_iter().enumerate() {
            files.push((format!("{DIR}/d-{i}.js"), s.into_bytes()));
        }
    }
    manifest.push_str("});\n");
    files.push((format!("{DIR}/index.js"), manifest.into_bytes()));
    Index {
        files,
        documents,
        token_shards: if inline { 0 } else { shards },
        doc_shards: if inline { 0 } else { doc_shard_count },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::part::guide_part;

    /// The model of a site of `files` (paths under `content/`), with its folder.
    fn site_of(files: &[(&str, &str)]) -> (tempfile::TempDir, Site) {
        let t = tempfile::tempdir().unwrap();
        std::fs::write(t.path().join("site.toml"), "title = \"站\"\n").unwrap();
        for (path, text) in files {
            let p = t.path().join("content").join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let mut diags = Vec::new();
        let opts = crate::pipeline::Options::read_only(t.path(), &crate::progress::Quiet);
        let content = crate::pipeline::content(&opts, &mut diags).expect("a site");
        assert!(!diags.iter().any(|d| d.is_error()), "{diags:?}");
        (t, content.loaded.site)
    }

    fn channel(title: &str, steps: &[&str]) -> String {
        let mut md = format!("+++\ntitle = \"{title}\"\n+++\n");
        for (i, s) in steps.iter().enumerate() {
            md.push_str(&format!("\n## 第{i}步 Step{i}\n\n{s}\n"));
        }
        md
    }

    fn three_guides(edited: &str) -> Vec<(String, String)> {
        let mut files = Vec::new();
        for g in ["a", "b", "c"] {
            files.push((
                format!("{g}/_index.md"),
                format!("+++\ntitle = \"指南{g}\"\n+++\n"),
            ));
            let step = if g == "b" {
                edited
            } else {
                "登录学信网，点击“图像采集码”。"
            };
            files.push((
                format!("{g}/web.md"),
                channel("网页", &[step, "保存 VPN 截图"]),
            ));
            files.push((
                format!("{g}/app.md"),
                channel("App", &["打开 App，选择学籍"]),
            ));
        }
        files
    }

    fn site_with(files: &[(String, String)]) -> (tempfile::TempDir, Site) {
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        site_of(&files)
    }

    /// A [`Memory`] store that counts the parts it is given.
    #[derive(Default)]
    struct Counting(Memory, std::sync::atomic::AtomicUsize);

    impl Store for Counting {
        fn get(&self, key: &str) -> Option<Arc<Part>> {
            self.0.get(key)
        }
        fn put(&self, key: &str, part: &Arc<Part>) {
            self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            self.0.put(key, part)
        }
    }

    #[test]
    fn parts_read_back_as_they_were_written() {
        let (_t, site) = site_with(&three_guides("登录后点击“学籍学历信息”"));
        for g in &site.guides {
            let part = guide_part(g);
            assert!(part.runs(0, SIXTEENTHS).count() > 10 && part.doc_count() == 6);
            let back = Part::read(part.text().as_bytes().to_vec(), part.numbers().to_vec())
                .expect("reads back");
            assert_eq!((back.text(), back.numbers()), (part.text(), part.numbers()));
            // an index of parts read back is the index of parts made
            let (made, read) = (Arc::new(part), Arc::new(back));
            let files = |p: &Arc<Part>| assemble(std::slice::from_ref(p), "v").files;
            assert_eq!(files(&made), files(&read));
        }
    }

    #[test]
    fn a_damaged_part_is_refused_never_a_panic() {
        let (_t, site) = site_with(&three_guides("登录"));
        let part = guide_part(&site.guides[0]);
        let (text, numbers) = (part.text().as_bytes(), part.numbers());
        for n in 0..numbers.len() {
            assert!(
                Part::read(text.to_vec(), numbers[..n].to_vec()).is_none(),
                "cut at {n}"
            );
        }
        // every byte changed in turn: refused, or read as some part (its numbers still point
        // into its text), and assembled without a panic
        let mut read = 0;
        for i in 0..numbers.len() {
            let mut b = numbers.to_vec();
            b[i] ^= 0x5A;
            if let Some(p) = Part::read(text.to_vec(), b) {
                read += 1;
                assemble(&[Arc::new(p)], "v");
            }
        }
        assert!(read < numbers.len() / 2, "most damage is noticed: {read}");
        for i in (0..text.len()).step_by(7) {
            let mut b = text.to_vec();
            b[i] ^= 0x80;
            if let Some(p) = Part::read(b, numbers.to_vec()) {
                assemble(&[Arc::new(p)], "v");
            }
        }
    }

    #[test]
    fn a_build_after_an_edit_makes_the_edited_guides_part_alone() {
        let store = Counting::default();
        let (_t, site) = site_with(&three_guides("登录"));
        let plan = plan(&site);
        let first = build_with(&site, &plan, &store);
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 3);
        assert_eq!(first.files, build(&site, &plan).files);

        let (_t2, edited) = site_with(&three_guides("登录后选择“在线验证报告”"));
        let plan2 = super::plan(&edited);
        assert_ne!(plan.version, plan2.version);
        let keys: Vec<_> = plan.keys().zip(plan2.keys()).map(|(a, b)| a == b).collect();
        assert_eq!(keys, [true, false, true], "only guide b's key changed");
        let second = build_with(&edited, &plan2, &store);
        assert_eq!(store.1.load(std::sync::atomic::Ordering::Relaxed), 4);
        assert_eq!(second.files, build(&edited, &plan2).files);
        assert_ne!(second.files, first.files);
    }

    #[test]
    fn a_part_changed_on_disk_is_made_again_even_when_it_still_reads() {
        let (t, site) = site_with(&three_guides("登录"));
        let plan = plan(&site);
        let parts = crate::search::cache::Parts::open(t.path(), true);
        let first = build_with(&site, &plan, &parts);
        parts.store(&plan);
        // one letter of a guide's URL changed: still a part, but not the one stored
        let pack = t.path().join(".guidepost-cache/search/parts.bin");
        let mut bytes = std::fs::read(&pack).unwrap();
        let at = bytes
            .windows(12)
            .position(|w| w == b"a/index.html")
            .unwrap();
        bytes[at] = b'x';
        std::fs::write(&pack, &bytes).unwrap();
        let store = Counting(Memory::default(), Default::default());
        let parts = crate::search::cache::Parts::open(t.path(), true);
        assert!(parts.get(plan.keys().next().unwrap()).is_none());
        assert_eq!(build_with(&site, &plan, &store).files, first.files);
    }

    /// A part's bytes change only with [`FORMAT`]: a store keeps parts by a key that holds the
    /// format, so a change to what a part holds that keeps the format would hand back parts of
    /// the old kind. If this fails after such a change, change `FORMAT` and this hash.
    #[test]
    fn a_part_is_what_its_format_says() {
        let (_t, site) = site_with(&three_guides("登录"));
        let part = guide_part(&site.guides[0]);
        let mut h = blake3::Hasher::new();
        h.update(part.text().as_bytes());
        h.update(part.numbers());
        let hash = h.finalize().to_hex()[..16].to_string();
        assert_eq!((FORMAT, hash.as_str()), ("5", "35ad66a6280f4306"));
    }
}
