//! The screenshot *studio* of `guidepost serve`: fill a slot, replace a screenshot, mark up
//! redactions and highlights, all in the preview (never in `build` output).
//!
//! - A *shot* is one screenshot the Markdown asks for, captured (a figure) or not (a slot). Its
//!   *id* is a hash of its path relative to `content/`; the browser names shots only by id, and
//!   the server maps an id to a path through its own [`Shots`] table, so no request can name a
//!   file. The table is made by the session from the model after each rebuild.
//! - Pages served by the preview carry a JSON *manifest* (the page's shots and a per-run random
//!   *token*) and `studio.js`, which finds the figures and slots in the page and adds the tools.
//! - Every write (`POST /__guidepost/studio/{upload,marks,dismiss}?shot=ID`) must come from a
//!   page of the preview: the token in `X-Guidepost-Token`, `Origin` equal to `http://` + the
//!   `Host`, that `Host` one of this preview's (a loopback name, or with `--allow-edit` an IP
//!   address: never a DNS name, against DNS rebinding) with its port, and a content type no
//!   HTML form can send (so a cross-site request always needs a CORS preflight, which the
//!   preview never grants). Anything else is 403 and writes nothing.
//! - Writes go only into `content/`, never through a symbolic link (the input rule of
//!   [`crate::content::confine`]), via a temporary file renamed into place; an upload is decoded
//!   before it is written (at most [`MAX_UPLOAD`] bytes, PNG, JPEG or WebP, converted to the
//!   slot's format), and a replaced screenshot is first copied into
//!   `.guidepost-cache/replaced/`. Settings files are edited with `toml_edit`, so their
//!   comments, order and other keys stay.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::content::confine::{self, Entry, Symlink};
use crate::content::model::{Block, Site};
use crate::images::sidecar;

use super::{App, PREFIX, loopback_host, plain};

/// The largest upload accepted.
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;
/// Words that, in a channel's text or a caption, mean its screenshots may show personal data.
pub const PERSONAL: &[&str] = &[
    "姓名",
    "学号",
    "身份证",
    "证件号",
    "手机号",
    "电话号码",
    "联系电话",
    "准考证号",
    "考生号",
    "出生日期",
    "家庭住址",
    "银行卡",
    "护照",
    "邮箱",
];
/// The settings key the reminder's "no personal data" answer writes.
pub const CHECKED_KEY: &str = "no_personal_data";
pub const STUDIO_JS: &str = include_str!("studio.js");
pub const STUDIO_CSS: &str = include_str!("studio.css");

/// Whether the preview lets pages write, and the secret that proves a request comes from one.
#[derive(Debug, Clone)]
pub struct Studio {
    pub token: String,
    /// The preview's port: part of every accepted `Host`.
    pub port: u16,
    /// Bound to loopback: `Host` must be a loopback name. Otherwise (`--allow-edit`) an IP address.
    pub loopback: bool,
}

impl Studio {
    pub fn new(port: u16, loopback: bool) -> Studio {
        Studio {
            token: token(),
            port,
            loopback,
        }
    }
}

/// 128 random bits as hex: std's `RandomState` keys come from the system's random source.
fn token() -> String {
    use std::hash::BuildHasher;
    let mut h = blake3::Hasher::new();
    for i in 0u64..4 {
        h.update(
            &std::collections::hash_map::RandomState::new()
                .hash_one(i)
                .to_le_bytes(),
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    h.update(&now.to_le_bytes());
    h.update(&std::process::id().to_le_bytes());
    h.finalize().to_hex()[..32].to_string()
}

/// One screenshot of the site as the studio knows it.
#[derive(Debug, Clone, Serialize)]
pub struct Shot {
    pub id: String,
    /// Relative to `content/`; sent to pages only to find the slot that shows it.
    pub path: String,
    pub captured: bool,
    pub alt: String,
    /// Of the original file (0 for a slot).
    pub width: u32,
    pub height: u32,
    /// File names of its published pictures, to find the figure that shows them.
    pub files: Vec<String>,
    /// Its channel's text or its caption mentions personal data.
    pub personal: bool,
}

/// Every shot of the site by id, and the ids of each guide (`""`: the home page).
#[derive(Debug, Default, Clone)]
pub struct Shots {
    pub by_id: HashMap<String, Shot>,
    pub by_guide: HashMap<String, Vec<String>>,
}

pub fn shot_id(path: &str) -> String {
    blake3::hash(path.as_bytes()).to_hex()[..16].to_string()
}

fn mentions_personal(text: &str) -> bool {
    PERSONAL.iter().any(|w| text.contains(w))
}

fn last_segment(url: &str) -> String {
    let name = url.rsplit('/').next().unwrap_or(url);
    percent_encoding::percent_decode_str(name)
        .decode_utf8_lossy()
        .into_owned()
}

fn shot_of(b: &Block, personal: bool) -> Option<Shot> {
    match b {
        Block::Figure(f) => {
            let mut files = vec![last_segment(&f.url)];
            if let Some(p) = &f.published {
                files.push(last_segment(&p.full.url));
                files.extend(p.variants.iter().map(|v| last_segment(&v.url)));
            }
            Some(Shot {
                id: shot_id(&f.path),
                path: f.path.clone(),
                captured: true,
                alt: f.alt.clone(),
                width: f.width,
                height: f.height,
                files,
                personal: personal || mentions_personal(&f.alt),
            })
        }
        Block::Slot(s) => Some(Shot {
            id: shot_id(&s.path),
            path: s.path.clone(),
            captured: false,
            alt: s.alt.clone(),
            width: 0,
            height: 0,
            files: Vec::new(),
            personal: personal || mentions_personal(&s.alt),
        }),
        Block::Html(_) | Block::Callout { .. } => None,
    }
}

fn block_text(b: &Block, out: &mut String) {
    match b {
        Block::Html(h) => out.push_str(h),
        Block::Figure(f) => out.push_str(&f.alt),
        Block::Slot(s) => out.push_str(&s.alt),
        Block::Callout { .. } => {}
    }
}

impl Shots {
    /// Replaces the shots of the guides `ids` (every guide when `None`) from the model.
    pub fn update(&mut self, site: &Site, ids: Option<&[&str]>) {
        if ids.is_none() {
            self.by_id.clear();
            self.by_guide.clear();
            let mut home = Vec::new();
            for b in crate::content::model::walk(&site.intro) {
                if let Some(s) = shot_of(b, false) {
                    home.push(s.id.clone());
                    self.by_id.insert(s.id.clone(), s);
                }
            }
            self.by_guide.insert(String::new(), home);
        }
        for g in &site.guides {
            if ids.is_some_and(|ids| !ids.contains(&g.id.0.as_str())) {
                continue;
            }
            for old in self.by_guide.remove(&g.id.0).unwrap_or_default() {
                self.by_id.remove(&old);
            }
            let mut list = Vec::new();
            for b in crate::content::model::walk(&g.intro) {
                if let Some(s) = shot_of(b, false) {
                    list.push(s);
                }
            }
            for c in &g.channels {
                let mut text = c.title.clone();
                for (st, b) in c.blocks() {
                    if let Some(st) = st {
                        text.push_str(&st.title_text);
                    }
                    block_text(b, &mut text);
                }
                let personal = mentions_personal(&text);
                list.extend(c.blocks().filter_map(|(_, b)| shot_of(b, personal)));
            }
            let ids: Vec<String> = list.iter().map(|s| s.id.clone()).collect();
            for s in list {
                // a screenshot shown twice: personal if either place says so
                let personal = self.by_id.get(&s.id).is_some_and(|o| o.personal);
                let mut s = s;
                s.personal |= personal;
                self.by_id.insert(s.id.clone(), s);
            }
            self.by_guide.insert(g.id.0.clone(), ids);
        }
        if ids.is_some() {
            let live: std::collections::HashSet<&str> =
                site.guides.iter().map(|g| g.id.0.as_str()).collect();
            let gone: Vec<String> = self
                .by_guide
                .keys()
                .filter(|k| !k.is_empty() && !live.contains(k.as_str()))
                .cloned()
                .collect();
            for g in gone {
                for old in self.by_guide.remove(&g).unwrap_or_default() {
                    self.by_id.remove(&old);
                }
            }
        }
    }
}

/// What a page's script learns about one of its shots.
#[derive(Serialize)]
struct ShotView<'a> {
    #[serde(flatten)]
    shot: &'a Shot,
    /// The settings file has at least one redaction.
    redacted: bool,
    /// The reminder was answered "no personal data".
    checked: bool,
    /// Redactions and highlights now in the settings file, for the editor.
    redact: Vec<Area>,
    highlight: Vec<Area>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    token: &'a str,
    shots: Vec<ShotView<'a>>,
}

/// The manifest and scripts for the page `page` (an output path), put before `</body>`.
pub fn inject(studio: &Studio, root: &Path, shots: &Shots, page: &str) -> String {
    let guide = page.split_once('/').map(|(g, _)| g).unwrap_or("");
    let ids = shots
        .by_guide
        .get(guide)
        .or_else(|| shots.by_guide.get(""))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    let views: Vec<ShotView<'_>> = ids
        .iter()
        .filter(|id| seen.insert(id.as_str()))
        .filter_map(|id| shots.by_id.get(id))
        .map(|s| {
            let marks = if s.captured {
                read_marks(root, &s.path)
            } else {
                Marks::default()
            };
            ShotView {
                shot: s,
                redacted: !marks.redact.is_empty(),
                checked: marks.checked,
                redact: marks.redact,
                highlight: marks.highlight,
            }
        })
        .collect();
    let json = serde_json::to_string(&Manifest {
        token: &studio.token,
        shots: views,
    })
    .unwrap_or_default()
    // never end the script element early
    .replace("</", "<\\/");
    format!(
        "<link rel=\"stylesheet\" href=\"{PREFIX}studio.css\"><script type=\"application/json\" id=\"guidepost-studio\">{json}</script><script src=\"{PREFIX}studio.js\"></script>"
    )
}

/// One box of the editor, in pixels of the original picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Area {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct Marks {
    #[serde(default)]
    pub redact: Vec<Area>,
    #[serde(default)]
    pub highlight: Vec<Area>,
    #[serde(skip)]
    pub checked: bool,
}

/// The settings file of `path` (relative to `content/`): the one that exists, else the first name.
fn sidecar_of(content: &Path, path: &str) -> (String, bool) {
    let names = sidecar::candidates(path);
    for n in &names {
        if std::fs::symlink_metadata(content.join(n)).is_ok() {
            return (n.clone(), true);
        }
    }
    (names[0].clone(), false)
}

fn area_of(t: &toml_edit::Table) -> Option<Area> {
    let ints = |k: &str| -> Option<Vec<u32>> {
        t.get(k)?
            .as_array()?
            .iter()
            .map(|v| v.as_integer().and_then(|i| u32::try_from(i).ok()))
            .collect()
    };
    let (x, y, w, h) = if let Some(r) = ints("rect") {
        (*r.first()?, *r.get(1)?, *r.get(2)?, *r.get(3)?)
    } else {
        let (f, to) = (ints("from")?, ints("to")?);
        let (x1, y1, x2, y2) = (*f.first()?, *f.get(1)?, *to.first()?, *to.get(1)?);
        (x1.min(x2), y1.min(y2), x1.abs_diff(x2), y1.abs_diff(y2))
    };
    Some(Area {
        x,
        y,
        w,
        h,
        style: t.get("style").and_then(|s| s.as_str()).map(str::to_string),
        label: t.get("label").and_then(|s| s.as_str()).map(str::to_string),
    })
}

/// The redactions and highlights in the settings of `path`, as far as they can be read.
fn read_marks(root: &Path, path: &str) -> Marks {
    let content = root.join("content");
    let (name, exists) = sidecar_of(&content, path);
    let mut m = Marks::default();
    if !exists {
        return m;
    }
    let Ok(bytes) = confine::read(root, &content.join(&name)) else {
        return m;
    };
    let Ok(doc) = String::from_utf8_lossy(&bytes).parse::<toml_edit::DocumentMut>() else {
        return m;
    };
    for (key, out) in [("redact", &mut m.redact), ("highlight", &mut m.highlight)] {
        if let Some(a) = doc.get(key).and_then(|i| i.as_array_of_tables()) {
            out.extend(a.iter().filter_map(area_of));
        }
    }
    m.checked = doc
        .get(CHECKED_KEY)
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    m
}

/// A refusal: the status and a message for the person at the page (Chinese).
#[derive(Debug)]
pub struct Refusal(pub StatusCode, pub String);

fn refuse(status: StatusCode, msg: impl Into<String>) -> Refusal {
    Refusal(status, msg.into())
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.1 }).to_string();
        plain(self.0, "application/json; charset=utf-8", Bytes::from(body))
    }
}

/// Whether `headers` come from a page of this preview (see the module doc).
pub fn check_origin(studio: &Studio, headers: &HeaderMap) -> Result<(), &'static str> {
    let host = check_host(studio, headers)?;
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|h| h.to_str().ok())
        .ok_or("no Origin")?;
    if origin != format!("http://{host}") {
        return Err("foreign Origin");
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|h| h.to_str().ok())
        && site != "same-origin"
    {
        return Err("not same-origin");
    }
    Ok(())
}

/// The `Host` of `headers` if it is one of this preview's: its port, and a loopback name (bound
/// to the network with `--allow-edit`, also an IP address; never another DNS name, which any
/// site can point at this computer: DNS rebinding).
pub fn check_host<'h>(studio: &Studio, headers: &'h HeaderMap) -> Result<&'h str, &'static str> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or("no Host")?;
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let (n, p) = rest.split_once(']').ok_or("bad Host")?;
        (n, p.strip_prefix(':'))
    } else {
        match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        }
    };
    if port.and_then(|p| p.parse::<u16>().ok()) != Some(studio.port) {
        return Err("Host is not this preview's");
    }
    let ours = if studio.loopback {
        loopback_host(headers)
    } else {
        // an address, never a name: a name can be pointed here by another site (DNS rebinding)
        name.parse::<std::net::IpAddr>().is_ok() || loopback_host(headers)
    };
    if !ours {
        return Err("Host is not this preview's");
    }
    Ok(host)
}

fn check_token(studio: &Studio, given: Option<&str>) -> Result<(), &'static str> {
    let given = given.ok_or("no token")?;
    // compare without stopping at the first difference
    let (a, b) = (given.as_bytes(), studio.token.as_bytes());
    let diff = a
        .iter()
        .zip(b)
        .fold(a.len() ^ b.len(), |d, (x, y)| d | usize::from(x ^ y));
    if diff == 0 {
        Ok(())
    } else {
        Err("wrong token")
    }
}

/// A content type an HTML form or a "simple" cross-site request can send.
fn simple_content_type(headers: &HeaderMap) -> bool {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    ct.is_empty()
        || ct.starts_with("application/x-www-form-urlencoded")
        || ct.starts_with("multipart/form-data")
        || ct.starts_with("text/plain")
}

fn query(uri: &axum::http::Uri) -> HashMap<String, String> {
    url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Answers `/__guidepost/studio/…`.
pub(super) async fn handle(State(app): State<Arc<App>>, req: Request) -> Response {
    match answer(&app, req).await {
        Ok(r) => r,
        Err(r) => {
            if r.0 == StatusCode::FORBIDDEN {
                eprintln!("studio: refused a request ({})", r.1);
                return refuse(
                    StatusCode::FORBIDDEN,
                    "拒绝：这个请求不是来自本机预览的页面。请在 guidepost serve 打开的页面里操作。",
                )
                .into_response();
            }
            r.into_response()
        }
    }
}

async fn answer(app: &Arc<App>, req: Request) -> Result<Response, Refusal> {
    let forbidden = |why: &str| refuse(StatusCode::FORBIDDEN, why);
    let Some(studio) = &app.studio else {
        return Err(forbidden("editing is off (--bind without --allow-edit)"));
    };
    let (parts, body) = req.into_parts();
    let action = parts
        .uri
        .path()
        .strip_prefix(PREFIX)
        .and_then(|p| p.strip_prefix("studio/"))
        .unwrap_or("")
        .to_string();
    let q = query(&parts.uri);
    if parts.method == Method::GET && action == "original" {
        // the unredacted original, for the editor: a page of this preview only
        check_host(studio, &parts.headers).map_err(forbidden)?;
        check_token(studio, q.get("token").map(String::as_str)).map_err(forbidden)?;
        let shot = lookup(app, q.get("shot"))?;
        let root = app.root.clone();
        let path = root.join("content").join(&shot.path);
        let bytes = tokio::task::spawn_blocking(move || confine::read(&root, &path))
            .await
            .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "内部错误"))?
            .map_err(|_| refuse(StatusCode::NOT_FOUND, "找不到这张截图的文件"))?;
        let mime = mime_guess::from_path(&shot.path).first_or_octet_stream();
        return Ok(plain(StatusCode::OK, mime.as_ref(), Bytes::from(bytes)));
    }
    if parts.method != Method::POST {
        return Err(refuse(StatusCode::METHOD_NOT_ALLOWED, "只接受 POST"));
    }
    check_origin(studio, &parts.headers).map_err(forbidden)?;
    check_token(
        studio,
        parts
            .headers
            .get("x-guidepost-token")
            .and_then(|h| h.to_str().ok()),
    )
    .map_err(forbidden)?;
    if simple_content_type(&parts.headers) {
        return Err(forbidden("a content type a form can send"));
    }
    let shot = lookup(app, q.get("shot"))?;
    let bytes = axum::body::to_bytes(body, MAX_UPLOAD).await.map_err(|_| {
        refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "图片太大：最多 {} MB。请截取需要的部分，或另存为 PNG 后再试。",
                MAX_UPLOAD / (1024 * 1024)
            ),
        )
    })?;
    let root = app.root.clone();
    let replace = q.get("replace").is_some_and(|v| v == "1");
    let json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|c| c.starts_with("application/json"));
    let work = move || -> Result<String, Refusal> {
        match action.as_str() {
            "upload" => upload(&root, &shot, &bytes, replace),
            "marks" if json => {
                let m: Marks = serde_json::from_slice(&bytes)
                    .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("标注数据有误：{e}")))?;
                write_marks(&root, &shot, &m)
            }
            "dismiss" if json => dismiss(&root, &shot),
            "marks" | "dismiss" => Err(refuse(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "需要 application/json",
            )),
            _ => Err(refuse(StatusCode::NOT_FOUND, "没有这个操作")),
        }
    };
    let written = tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| refuse(StatusCode::INTERNAL_SERVER_ERROR, "内部错误"))??;
    eprintln!("studio: wrote content/{written}");
    let body = serde_json::json!({ "ok": true, "file": format!("content/{written}") }).to_string();
    Ok(plain(
        StatusCode::OK,
        "application/json; charset=utf-8",
        Bytes::from(body),
    ))
}

fn lookup(app: &App, id: Option<&String>) -> Result<Shot, Refusal> {
    let files = app.files.read().unwrap_or_else(|e| e.into_inner());
    id.and_then(|id| files.shots.by_id.get(id))
        .cloned()
        .ok_or_else(|| {
            refuse(
                StatusCode::NOT_FOUND,
                "这张截图已不在网站里（页面可能已过期），请刷新页面后再试",
            )
        })
}

/// Where `rel` (relative to `content/`) may be written: below `content/`, no link on the way,
/// its folders created. `Ok(true)` when a file is there now.
fn writable(root: &Path, rel: &str) -> Result<(PathBuf, bool), Refusal> {
    if rel
        .split('/')
        .any(|s| s.is_empty() || s == "." || s == "..")
        || rel.contains('\\')
    {
        return Err(refuse(StatusCode::FORBIDDEN, "path"));
    }
    let content = root.join("content");
    let path = content.join(rel);
    let link = |p: &Path| {
        refuse(
            StatusCode::CONFLICT,
            format!(
                "{} 是符号链接，guidepost 不会通过链接写入文件：请换成真实的文件夹或文件",
                crate::content::source::rel_path(root, p)
            ),
        )
    };
    let exists = match confine::entry(root, &path) {
        Ok(Entry::File) => true,
        Ok(Entry::Missing) => false,
        Ok(_) => {
            return Err(refuse(
                StatusCode::CONFLICT,
                format!("content/{rel} 不是普通文件"),
            ));
        }
        Err(Symlink(p)) => return Err(link(&p)),
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("无法创建文件夹：{e}"),
            )
        })?;
        // created folders are real folders; a link that appeared meanwhile is still refused
        if let Err(Symlink(p)) = confine::entry(root, parent) {
            return Err(link(&p));
        }
    }
    Ok((path, exists))
}

fn write_error(e: std::io::Error) -> Refusal {
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("写入失败（原文件未改动）：{e}"),
    )
}

/// Checks and writes an uploaded picture for `shot`; returns the path written.
fn upload(root: &Path, shot: &Shot, bytes: &[u8], replace: bool) -> Result<String, Refusal> {
    use image::ImageFormat;
    let bad = || {
        refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "这不是能用的图片：请用 PNG、JPEG 或 WebP 格式的截图（文件可能已损坏，或是改了扩展名的其他文件）",
        )
    };
    // the slot's name decides the format written; only picture names are ever written
    let want = ImageFormat::from_path(&shot.path)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
        .ok_or_else(|| {
            refuse(
                StatusCode::CONFLICT,
                format!(
                    "content/{} 不是 .png、.jpg 或 .webp 文件名，不能放截图：请在 Markdown 里把它改成 .png",
                    shot.path
                ),
            )
        })?;
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| bad())?;
    let format = reader.format().ok_or_else(bad)?;
    if !matches!(
        format,
        ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP
    ) {
        return Err(bad());
    }
    let (w, h) = reader.into_dimensions().map_err(|_| bad())?;
    if w > crate::images::MAX_WIDTH
        || h > crate::images::MAX_HEIGHT
        || u64::from(w) * u64::from(h) > crate::images::MAX_PIXELS
    {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("图片有 {w}×{h} 像素，太大了：请裁剪或缩小后再试"),
        ));
    }
    // decoded whole: a cut-off file is refused here, not at the next build
    let img = image::load_from_memory_with_format(bytes, format).map_err(|_| bad())?;
    let out: std::borrow::Cow<'_, [u8]> = if want == format {
        bytes.into()
    } else {
        let img = if want == ImageFormat::Jpeg {
            image::DynamicImage::ImageRgb8(img.to_rgb8())
        } else {
            img
        };
        let mut buf = Cursor::new(Vec::new());
        img.write_to(&mut buf, want).map_err(|e| {
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("无法转换图片格式：{e}"),
            )
        })?;
        buf.into_inner().into()
    };
    let (path, exists) = writable(root, &shot.path)?;
    if exists && !replace {
        return Err(refuse(
            StatusCode::CONFLICT,
            "这里已经有截图了：要替换，请确认替换",
        ));
    }
    if exists {
        keep_replaced(root, &path, &shot.path).map_err(write_error)?;
    }
    crate::atomic::write(&path, &out).map_err(write_error)?;
    Ok(shot.path.clone())
}

/// Copies the file about to be replaced into `.guidepost-cache/replaced/DATE-TIME-NAME`.
fn keep_replaced(root: &Path, path: &Path, rel: &str) -> std::io::Result<PathBuf> {
    let dir = crate::cache::open(root, "replaced")
        .ok_or_else(|| std::io::Error::other("cannot create .guidepost-cache/replaced"))?;
    let stamp = jiff::ZonedDateTime::now()
        .strftime("%Y-%m-%d-%H%M%S")
        .to_string();
    let flat = rel.replace('/', "_");
    let mut to = dir.join(format!("{stamp}-{flat}"));
    let mut n = 1;
    while std::fs::symlink_metadata(&to).is_ok() {
        n += 1;
        to = dir.join(format!("{stamp}-{n}-{flat}"));
    }
    let bytes = confine::read(root, path)?;
    crate::atomic::write(&to, &bytes)?;
    Ok(to)
}

fn rect_value(a: &Area) -> toml_edit::Value {
    let mut arr = toml_edit::Array::new();
    for v in [a.x, a.y, a.w, a.h] {
        arr.push(i64::from(v));
    }
    toml_edit::Value::Array(arr)
}

/// Sets the tables of `key` in `doc` to `areas`: tables whose area did not change stay as they
/// were (comments included), changed ones are updated in place, extra ones removed.
fn set_areas(doc: &mut toml_edit::DocumentMut, key: &str, areas: &[Area]) {
    if areas.is_empty() {
        doc.remove(key);
        return;
    }
    if doc.get(key).and_then(|i| i.as_array_of_tables()).is_none() {
        doc.remove(key);
        doc.insert(
            key,
            toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()),
        );
    }
    let Some(arr) = doc.get_mut(key).and_then(|i| i.as_array_of_tables_mut()) else {
        return;
    };
    while arr.len() > areas.len() {
        arr.remove(arr.len() - 1);
    }
    for (i, a) in areas.iter().enumerate() {
        if i >= arr.len() {
            arr.push(toml_edit::Table::new());
        }
        let Some(t) = arr.get_mut(i) else { continue };
        if area_of(t).as_ref() == Some(a) {
            continue;
        }
        let old = area_of(t);
        if old.as_ref().map(|o| (o.x, o.y, o.w, o.h)) != Some((a.x, a.y, a.w, a.h)) {
            t.remove("from");
            t.remove("to");
            t.insert("rect", toml_edit::Item::Value(rect_value(a)));
        }
        for (k, v) in [("style", &a.style), ("label", &a.label)] {
            match v {
                Some(v) if !v.trim().is_empty() => {
                    if t.get(k).and_then(|x| x.as_str()) != Some(v.as_str()) {
                        t.insert(k, toml_edit::value(v.as_str()));
                    }
                }
                _ => {
                    t.remove(k);
                }
            }
        }
    }
}

fn clean_areas(areas: &[Area], w: u32, h: u32, redact: bool) -> Result<Vec<Area>, Refusal> {
    if areas.len() > 500 {
        return Err(refuse(StatusCode::BAD_REQUEST, "方框太多"));
    }
    let mut out = Vec::new();
    for a in areas {
        // boxes past the edge are cut to the picture (a redaction outside stops the build)
        let x = a.x.min(w.saturating_sub(1));
        let y = a.y.min(h.saturating_sub(1));
        let aw = a.w.min(w - x);
        let ah = a.h.min(h - y);
        if aw == 0 || ah == 0 {
            continue;
        }
        let style = if redact {
            match a.style.as_deref() {
                Some("mosaic") => Some("mosaic".to_string()),
                _ => None, // solid is the default: not written
            }
        } else {
            None
        };
        let label = if redact {
            None
        } else {
            a.label
                .as_deref()
                .map(|l| l.trim().chars().take(200).collect::<String>())
                .filter(|l| !l.is_empty())
        };
        out.push(Area {
            x,
            y,
            w: aw,
            h: ah,
            style,
            label,
        });
    }
    Ok(out)
}

/// Reads the settings of `shot` for editing: its name, the document (empty when new).
fn open_settings(root: &Path, shot: &Shot) -> Result<(String, toml_edit::DocumentMut), Refusal> {
    let content = root.join("content");
    let (name, exists) = sidecar_of(&content, &shot.path);
    if !exists {
        return Ok((name, toml_edit::DocumentMut::new()));
    }
    let bytes = confine::read(root, &content.join(&name)).map_err(|e| {
        refuse(
            StatusCode::CONFLICT,
            format!("无法读取设置文件 content/{name}：{e}"),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        refuse(
            StatusCode::CONFLICT,
            format!("设置文件 content/{name} 不是 UTF-8 文本：请先用编辑器另存为 UTF-8"),
        )
    })?;
    let doc = text.parse::<toml_edit::DocumentMut>().map_err(|e| {
        refuse(
            StatusCode::CONFLICT,
            format!("设置文件 content/{name} 有错误，未改动它：{}", e.message()),
        )
    })?;
    Ok((name, doc))
}

fn save_settings(root: &Path, name: &str, doc: &toml_edit::DocumentMut) -> Result<(), Refusal> {
    let (path, _) = writable(root, name)?;
    crate::atomic::write(&path, doc.to_string().as_bytes()).map_err(write_error)
}

/// Writes the redactions and highlights of `m` into the settings of `shot`.
fn write_marks(root: &Path, shot: &Shot, m: &Marks) -> Result<String, Refusal> {
    let original = root.join("content").join(&shot.path);
    let bytes = confine::read(root, &original)
        .map_err(|_| refuse(StatusCode::NOT_FOUND, "找不到这张截图的文件"))?;
    let size = imagesize::blob_size(&bytes)
        .map_err(|_| refuse(StatusCode::CONFLICT, "读不出这张截图的尺寸"))?;
    let (w, h) = (size.width as u32, size.height as u32);
    let redact = clean_areas(&m.redact, w, h, true)?;
    let highlight = clean_areas(&m.highlight, w, h, false)?;
    let (name, mut doc) = open_settings(root, shot)?;
    if doc.is_empty() && redact.is_empty() && highlight.is_empty() {
        return Ok(name); // nothing to write, nothing there
    }
    if doc.is_empty() {
        doc.decor_mut().set_prefix(format!(
            "# {}: 打码（redact）和标注（highlight），坐标是原图的像素：[x, y, 宽, 高]\n",
            shot.path.rsplit('/').next().unwrap_or(&shot.path)
        ));
    }
    set_areas(&mut doc, "redact", &redact);
    set_areas(&mut doc, "highlight", &highlight);
    save_settings(root, &name, &doc)?;
    Ok(name)
}

/// Records that the screenshot shows no personal data (the reminder's answer).
fn dismiss(root: &Path, shot: &Shot) -> Result<String, Refusal> {
    let (name, mut doc) = open_settings(root, shot)?;
    // top-level keys go before the tables
    doc.insert(CHECKED_KEY, toml_edit::value(true));
    if let Some(item) = doc.get_mut(CHECKED_KEY).and_then(|i| i.as_value_mut()) {
        item.decor_mut().set_suffix("  # 已确认截图中没有个人信息");
    }
    save_settings(root, &name, &doc)?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn only_the_previews_own_origin() {
        let s = Studio {
            token: "t".into(),
            port: 1111,
            loopback: true,
        };
        let ok = headers(&[
            ("host", "127.0.0.1:1111"),
            ("origin", "http://127.0.0.1:1111"),
        ]);
        assert_eq!(check_origin(&s, &ok), Ok(()));
        for bad in [
            headers(&[("host", "127.0.0.1:1111")]),
            headers(&[
                ("host", "127.0.0.1:1111"),
                ("origin", "http://evil.example"),
            ]),
            headers(&[("host", "127.0.0.1:1111"), ("origin", "null")]),
            headers(&[
                ("host", "127.0.0.1:2222"),
                ("origin", "http://127.0.0.1:2222"),
            ]),
            headers(&[
                ("host", "evil.example:1111"),
                ("origin", "http://evil.example:1111"),
            ]),
            headers(&[
                ("host", "127.0.0.1:1111"),
                ("origin", "http://127.0.0.1:1111"),
                ("sec-fetch-site", "cross-site"),
            ]),
        ] {
            assert!(check_origin(&s, &bad).is_err(), "{bad:?}");
        }
        let lan = Studio {
            loopback: false,
            ..s
        };
        let ip = headers(&[
            ("host", "192.168.1.5:1111"),
            ("origin", "http://192.168.1.5:1111"),
        ]);
        assert_eq!(check_origin(&lan, &ip), Ok(()));
        let name = headers(&[
            ("host", "evil.example:1111"),
            ("origin", "http://evil.example:1111"),
        ]);
        assert!(check_origin(&lan, &name).is_err());
    }

    #[test]
    fn tokens_differ_and_compare() {
        let s = Studio::new(1, true);
        assert_eq!(s.token.len(), 32);
        assert_ne!(s.token, Studio::new(1, true).token);
        assert!(check_token(&s, Some(&s.token.clone())).is_ok());
        assert!(check_token(&s, Some("x")).is_err());
        assert!(check_token(&s, None).is_err());
    }

    #[test]
    fn settings_keep_comments_and_order() {
        let text = "# my notes\ndevice = \"phone\"\n\n[[redact]]  # the name\nrect = [1, 2, 3, 4]\n\n[[redact]]\nfrom = [0, 0]\nto = [5, 5]\nstyle = \"mosaic\"\n\n[[highlight]]\nrect = [9, 9, 9, 9]\nlabel = \"点这里\"\n";
        let mut doc: toml_edit::DocumentMut = text.parse().unwrap();
        let keep = Area {
            x: 1,
            y: 2,
            w: 3,
            h: 4,
            style: None,
            label: None,
        };
        let moved = Area {
            x: 10,
            y: 10,
            w: 5,
            h: 5,
            style: Some("mosaic".into()),
            label: None,
        };
        set_areas(&mut doc, "redact", &[keep, moved]);
        set_areas(&mut doc, "highlight", &[]);
        let out = doc.to_string();
        assert!(
            out.starts_with(
                "# my notes\ndevice = \"phone\"\n\n[[redact]]  # the name\nrect = [1, 2, 3, 4]\n"
            ),
            "{out}"
        );
        assert!(out.contains("rect = [10, 10, 5, 5]"), "{out}");
        assert!(!out.contains("from"), "{out}");
        assert!(out.contains("style = \"mosaic\""), "{out}");
        assert!(!out.contains("highlight"), "{out}");
    }

    #[test]
    fn personal_words_are_found() {
        assert!(mentions_personal("核对姓名和学号"));
        assert!(!mentions_personal("点击登录"));
    }
}
