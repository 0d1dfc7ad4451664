//! Reading a Word package (.docx) into a neutral [`Document`]: the body's paragraphs in order,
//! each with its style, its list number resolved from `numbering.xml` (directly or through its
//! style, with restarts), its runs (bold, italic, hyperlinks) and its pictures at their place,
//! and the tables. What the paragraphs *mean* (title, channels, steps) is [`super::map`]'s job.
//!
//! The package is read with `zip` and each part with `roxmltree`; names of archive entries are
//! only ever looked up, never used as paths. Limits guard against zip bombs: the file's size,
//! the count of entries, the total uncompressed size (as declared, and as actually read).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use roxmltree::Node;

/// Files larger than this are refused before they are opened.
pub const MAX_FILE: u64 = 200 * 1024 * 1024;
/// A Word file has a few dozen entries; one with more is not one.
pub const MAX_ENTRIES: usize = 10_000;
/// The most that all entries together may hold once uncompressed.
pub const MAX_UNCOMPRESSED: u64 = 400 * 1024 * 1024;

/// Why a file cannot be imported: one sentence each for what and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    pub message: String,
    pub help: String,
}

fn err(message: impl Into<String>, help: impl Into<String>) -> ReadError {
    ReadError {
        message: message.into(),
        help: help.into(),
    }
}

/// How to turn a file Word or WPS opens into one import reads.
pub const SAVE_AS: &str = "open it in Word (文件 › 另存为 › 保存类型 “Word 文档 (*.docx)”) or WPS (文件 › 另存为 › 文件类型 “Microsoft Word 文件 (*.docx)”), save it as .docx and import that file";

/// The document: its body, in order.
#[derive(Debug, Clone, Default)]
pub struct Document {
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone)]
pub enum Block {
    Paragraph(Paragraph),
    Table(Table),
}

#[derive(Debug, Clone, Default)]
pub struct Paragraph {
    /// 1-based position among the body's paragraphs (tables' paragraphs not counted), as a
    /// reader counts them in Word; the report's "place".
    pub index: usize,
    /// The style's name (`Heading 1`, `标题 1`, `List Number` …), if any.
    pub style: Option<String>,
    /// 1 for `Heading 1` / `标题 1` or an outline level of 0, and so on; 0 for `Title`.
    pub heading: Option<u8>,
    /// The paragraph's automatic number (Word's list numbering), resolved.
    pub number: Option<Number>,
    pub inlines: Vec<Inline>,
}

/// An automatic list number as Word shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    /// Which list (the abstract numbering definition) and level it belongs to.
    pub list: String,
    pub level: u8,
    /// `decimal`, `chineseCounting`, `bullet` …
    pub format: String,
    /// The number's value at its own level.
    pub value: u32,
    /// The text Word shows: `一、`, `1.`, `（1）`.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text {
        text: String,
        bold: bool,
        italic: bool,
    },
    Link {
        text: String,
        url: String,
    },
    Picture(Picture),
    Break,
    /// Text import does not map (a text box's): reported, not written.
    Dropped(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// Lowercase extension of the file inside the package (`png`, `jpeg`, `emf` …).
    pub ext: String,
    pub bytes: Vec<u8>,
    /// The description Word keeps for it (`descr`, else `title`), if any.
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Paragraph index of the paragraph before the table (for the report).
    pub after: usize,
    pub rows: Vec<Vec<Vec<Inline>>>,
}

impl Paragraph {
    /// The paragraph's text, without pictures.
    pub fn text(&self) -> String {
        plain(&self.inlines)
    }

    pub fn pictures(&self) -> impl Iterator<Item = &Picture> {
        self.inlines.iter().filter_map(|i| match i {
            Inline::Picture(p) => Some(p),
            _ => None,
        })
    }
}

/// The text of `inlines`, without pictures.
pub fn plain(inlines: &[Inline]) -> String {
    let mut s = String::new();
    for i in inlines {
        match i {
            Inline::Text { text, .. } | Inline::Link { text, .. } => s.push_str(text),
            Inline::Break => s.push('\n'),
            Inline::Picture(_) | Inline::Dropped(_) => {}
        }
    }
    s
}

/// Reads the Word file at `path`.
pub fn read(path: &Path) -> Result<Document, ReadError> {
    let size = std::fs::metadata(path)
        .map_err(|e| {
            err(
                format!("cannot read {}: {e}", path.display()),
                "check the file's name and that you may read it",
            )
        })?
        .len();
    if size > MAX_FILE {
        return Err(err(
            format!(
                "the file is {} MB, more than the {} MB import reads",
                size / 1024 / 1024,
                MAX_FILE / 1024 / 1024
            ),
            "a guide's Word file is a few MB; if its screenshots are huge, shrink them in Word (图片格式 › 压缩图片) and save again",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        err(
            format!("cannot read {}: {e}", path.display()),
            "check that you may read the file",
        )
    })?;
    read_bytes(&bytes)
}

/// Reads a Word file from its bytes.
pub fn read_bytes(bytes: &[u8]) -> Result<Document, ReadError> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(err(
            "this is an old Word (.doc) or WPS (.wps) file, which import cannot read",
            SAVE_AS,
        ));
    }
    if !bytes.starts_with(b"PK") {
        return Err(err(
            "this is not a Word .docx file (a .docx is a zip package; this file is not one)",
            format!("if Word or WPS opens it, {SAVE_AS}"),
        ));
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| {
        err(
            format!("this .docx file is damaged: {e}"),
            format!("if Word or WPS still opens it, {SAVE_AS}"),
        )
    })?;
    if zip.len() > MAX_ENTRIES {
        return Err(err(
            format!(
                "the package holds {} files, more than any Word document ({} at most): it is not imported",
                zip.len(),
                MAX_ENTRIES
            ),
            format!("if Word or WPS opens it, {SAVE_AS}"),
        ));
    }
    let mut total = 0u64;
    let mut names = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let f = zip
            .by_index_raw(i)
            .map_err(|e| err(format!("this .docx file is damaged: {e}"), SAVE_AS))?;
        let name = f.name().to_string();
        if name.starts_with('/')
            || name.starts_with('\\')
            || name.contains(':')
            || name.split(['/', '\\']).any(|c| c == "..")
        {
            return Err(err(
                format!(
                    "the package holds an entry named `{name}`, which no Word document has: it is not imported"
                ),
                format!("if Word or WPS opens it, {SAVE_AS}"),
            ));
        }
        total = total.saturating_add(f.size());
        names.push(name);
    }
    if total > MAX_UNCOMPRESSED {
        return Err(bomb(total));
    }
    let mut pkg = Package {
        zip,
        read: 0,
        names,
    };
    pkg.document()
}

fn bomb(total: u64) -> ReadError {
    err(
        format!(
            "the package unpacks to more than {} MB (it claims {} MB): it is not imported",
            MAX_UNCOMPRESSED / 1024 / 1024,
            total / 1024 / 1024
        ),
        format!(
            "a guide's Word file unpacks to a few MB; if Word or WPS opens this one, {SAVE_AS}"
        ),
    )
}

struct Package<'a> {
    zip: zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
    /// Bytes uncompressed so far: archives may lie about their sizes.
    read: u64,
    names: Vec<String>,
}

impl Package<'_> {
    /// The entry `name`, or `None` if the package has none.
    fn entry(&mut self, name: &str) -> Result<Option<Vec<u8>>, ReadError> {
        let Some(real) = self
            .names
            .iter()
            .find(|n| n.eq_ignore_ascii_case(name))
            .cloned()
        else {
            return Ok(None);
        };
        let f = self
            .zip
            .by_name(&real)
            .map_err(|e| err(format!("this .docx file is damaged ({name}: {e})"), SAVE_AS))?;
        let left = MAX_UNCOMPRESSED.saturating_sub(self.read);
        let mut out = Vec::new();
        f.take(left + 1)
            .read_to_end(&mut out)
            .map_err(|e| err(format!("this .docx file is damaged ({name}: {e})"), SAVE_AS))?;
        self.read += out.len() as u64;
        if self.read > MAX_UNCOMPRESSED {
            return Err(bomb(self.read));
        }
        Ok(Some(out))
    }

    fn xml(&mut self, name: &str) -> Result<Option<String>, ReadError> {
        let Some(b) = self.entry(name)? else {
            return Ok(None);
        };
        let b = b.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(&b);
        String::from_utf8(b.to_vec()).map(Some).map_err(|_| {
            err(
                format!("this .docx file is damaged ({name} is not UTF-8)"),
                SAVE_AS,
            )
        })
    }

    fn document(&mut self) -> Result<Document, ReadError> {
        let Some(doc) = self.xml("word/document.xml")? else {
            return Err(err(
                "this zip file is not a Word document: it has no word/document.xml",
                format!("if Word or WPS opens it, {SAVE_AS}"),
            ));
        };
        let rels = self
            .xml("word/_rels/document.xml.rels")?
            .unwrap_or_default();
        let styles = self.xml("word/styles.xml")?.unwrap_or_default();
        let numbering = self.xml("word/numbering.xml")?.unwrap_or_default();
        let rels = parse_rels(&rels)?;
        let styles = Styles::parse(&styles)?;
        let numbering = Numbering::parse(&numbering)?;
        let tree = parse_xml("word/document.xml", &doc)?;
        let body = tree
            .root_element()
            .children()
            .find(|n| is(n, "body"))
            .ok_or_else(|| {
                err(
                    "this .docx file is damaged: its document has no body",
                    SAVE_AS,
                )
            })?;
        let mut reader = Reader {
            pkg: self,
            rels: &rels,
            styles: &styles,
            numbering: &numbering,
            counters: Counters::default(),
            index: 0,
        };
        let mut blocks = Vec::new();
        reader.blocks(body, &mut blocks)?;
        Ok(Document { blocks })
    }
}

fn parse_xml<'t>(name: &str, text: &'t str) -> Result<roxmltree::Document<'t>, ReadError> {
    let opts = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, opts)
        .map_err(|e| err(format!("this .docx file is damaged ({name}: {e})"), SAVE_AS))
}

/// Whether `n` is the element `local` (of any namespace: transitional and strict Word files
/// use different ones).
fn is(n: &Node<'_, '_>, local: &str) -> bool {
    n.is_element() && n.tag_name().name() == local
}

fn child<'a, 'i>(n: Node<'a, 'i>, local: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is(c, local))
}

/// The attribute of local name `local` (`w:val`, `r:embed` …).
fn attr<'a>(n: Node<'a, '_>, local: &str) -> Option<&'a str> {
    n.attributes()
        .find(|a| a.name() == local)
        .map(|a| a.value())
}

fn val<'a>(n: Node<'a, '_>, local: &str) -> Option<&'a str> {
    child(n, local).and_then(|c| attr(c, "val"))
}

/// Whether a toggle property (`<w:b/>`, `<w:b w:val="0"/>`) is on.
fn toggle(props: Option<Node<'_, '_>>, local: &str) -> Option<bool> {
    let c = child(props?, local)?;
    Some(!matches!(attr(c, "val"), Some("0" | "false" | "off")))
}

/// Relationship id → target, for the hyperlinks (external) and pictures (in the package).
struct Rel {
    target: String,
    external: bool,
}

fn parse_rels(text: &str) -> Result<HashMap<String, Rel>, ReadError> {
    let mut out = HashMap::new();
    if text.is_empty() {
        return Ok(out);
    }
    let tree = parse_xml("word/_rels/document.xml.rels", text)?;
    for r in tree
        .root_element()
        .children()
        .filter(|n| is(n, "Relationship"))
    {
        if let (Some(id), Some(target)) = (attr(r, "Id"), attr(r, "Target")) {
            out.insert(
                id.to_string(),
                Rel {
                    target: target.to_string(),
                    external: attr(r, "TargetMode") == Some("External"),
                },
            );
        }
    }
    Ok(out)
}

/// A relationship target of `word/document.xml` as the name of a package entry, or `None` when
/// it leaves the package (`..` past its root, an absolute path, a URL).
fn entry_name(target: &str) -> Option<String> {
    if target.contains(':') || target.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<&str> = if target.starts_with('/') {
        vec![]
    } else {
        vec!["word"]
    };
    for c in target.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

#[derive(Default)]
struct Style {
    name: Option<String>,
    based_on: Option<String>,
    num: Option<(String, Option<u8>)>,
    outline: Option<u8>,
    bold: Option<bool>,
}

#[derive(Default)]
struct Styles {
    by_id: HashMap<String, Style>,
}

impl Styles {
    fn parse(text: &str) -> Result<Styles, ReadError> {
        let mut by_id = HashMap::new();
        if text.is_empty() {
            return Ok(Styles { by_id });
        }
        let tree = parse_xml("word/styles.xml", text)?;
        for s in tree.root_element().children().filter(|n| is(n, "style")) {
            let Some(id) = attr(s, "styleId") else {
                continue;
            };
            let ppr = child(s, "pPr");
            let num = ppr.and_then(|p| child(p, "numPr")).and_then(|np| {
                val(np, "numId")
                    .map(|id| (id.to_string(), val(np, "ilvl").and_then(|l| l.parse().ok())))
            });
            by_id.insert(
                id.to_string(),
                Style {
                    name: val(s, "name").map(str::to_string),
                    based_on: val(s, "basedOn").map(str::to_string),
                    num,
                    outline: ppr
                        .and_then(|p| val(p, "outlineLvl"))
                        .and_then(|v| v.parse().ok()),
                    bold: toggle(child(s, "rPr"), "b"),
                },
            );
        }
        Ok(Styles { by_id })
    }

    /// The styles from `id` up its `basedOn` chain (at most 20: chains may loop).
    fn chain<'s>(&'s self, id: &str) -> impl Iterator<Item = &'s Style> {
        let mut next = self.by_id.get(id);
        let mut n = 0;
        std::iter::from_fn(move || {
            let s = next?;
            n += 1;
            next = if n < 20 {
                s.based_on.as_deref().and_then(|b| self.by_id.get(b))
            } else {
                None
            };
            Some(s)
        })
    }

    fn heading(&self, id: &str) -> Option<u8> {
        for s in self.chain(id) {
            if let Some(name) = &s.name {
                let lower = name.to_lowercase();
                if lower == "title" || name == "标题" {
                    return Some(0);
                }
                for prefix in ["heading ", "标题 ", "标题"] {
                    if let Some(n) = lower
                        .strip_prefix(prefix)
                        .and_then(|n| n.trim().parse::<u8>().ok())
                    {
                        return Some(n);
                    }
                }
            }
            if let Some(o) = s.outline.filter(|o| *o < 9) {
                return Some(o + 1);
            }
        }
        None
    }
}

struct Level {
    start: u32,
    format: String,
    text: String,
}

struct Numbering {
    /// abstractNumId → its levels.
    abstracts: HashMap<String, HashMap<u8, Level>>,
    /// numId → (abstractNumId, level → start override).
    nums: HashMap<String, (String, HashMap<u8, u32>)>,
}

impl Numbering {
    fn parse(text: &str) -> Result<Numbering, ReadError> {
        let mut n = Numbering {
            abstracts: HashMap::new(),
            nums: HashMap::new(),
        };
        if text.is_empty() {
            return Ok(n);
        }
        let tree = parse_xml("word/numbering.xml", text)?;
        let root = tree.root_element();
        for a in root.children().filter(|c| is(c, "abstractNum")) {
            let Some(id) = attr(a, "abstractNumId") else {
                continue;
            };
            let levels = a
                .children()
                .filter(|c| is(c, "lvl"))
                .filter_map(|l| {
                    let ilvl = attr(l, "ilvl")?.parse().ok()?;
                    Some((
                        ilvl,
                        Level {
                            start: val(l, "start").and_then(|s| s.parse().ok()).unwrap_or(1),
                            format: val(l, "numFmt").unwrap_or("decimal").to_string(),
                            text: val(l, "lvlText").unwrap_or("").to_string(),
                        },
                    ))
                })
                .collect();
            n.abstracts.insert(id.to_string(), levels);
        }
        for num in root.children().filter(|c| is(c, "num")) {
            let (Some(id), Some(abs)) = (attr(num, "numId"), val(num, "abstractNumId")) else {
                continue;
            };
            let overrides = num
                .children()
                .filter(|c| is(c, "lvlOverride"))
                .filter_map(|o| {
                    let ilvl = attr(o, "ilvl")?.parse().ok()?;
                    let start = val(o, "startOverride")
                        .and_then(|s| s.parse().ok())
                        .or_else(|| {
                            child(o, "lvl")
                                .and_then(|l| val(l, "start"))
                                .and_then(|s| s.parse().ok())
                        })?;
                    Some((ilvl, start))
                })
                .collect();
            n.nums.insert(id.to_string(), (abs.to_string(), overrides));
        }
        Ok(n)
    }
}

/// The running counters of every list, as Word keeps them: lists (`w:num`) sharing an abstract
/// definition count together, and a `w:num` with a start override restarts its level the first
/// time it is used.
#[derive(Default)]
struct Counters {
    /// abstractNumId → value per level (missing: not started).
    values: HashMap<String, [Option<u32>; 9]>,
    /// (numId, level) pairs whose start override has been applied.
    restarted: std::collections::HashSet<(String, u8)>,
}

impl Counters {
    fn next(&mut self, numbering: &Numbering, num_id: &str, level: u8) -> Option<Number> {
        let (abs, overrides) = numbering.nums.get(num_id)?;
        let levels = numbering.abstracts.get(abs)?;
        let level = level.min(8);
        let def = levels.get(&level)?;
        let values = self.values.entry(abs.clone()).or_default();
        let l = level as usize;
        let mut value = match values[l] {
            Some(v) => v + 1,
            None => def.start,
        };
        if let Some(start) = overrides.get(&level)
            && self.restarted.insert((num_id.to_string(), level))
        {
            value = *start;
        }
        values[l] = Some(value);
        for deeper in values.iter_mut().skip(l + 1) {
            *deeper = None;
        }
        if def.format == "none" {
            return None;
        }
        let mut text = def.text.clone();
        for k in (0..=l).rev() {
            let placeholder = format!("%{}", k + 1);
            if text.contains(&placeholder) {
                let (v, fmt) = match levels.get(&(k as u8)) {
                    Some(d) => (values[k].unwrap_or(d.start), d.format.as_str()),
                    None => (1, "decimal"),
                };
                text = text.replace(&placeholder, &format_number(v, fmt));
            }
        }
        Some(Number {
            list: abs.clone(),
            level,
            format: def.format.clone(),
            value,
            text,
        })
    }
}

/// `n` written in Word's number format `fmt`.
pub fn format_number(n: u32, fmt: &str) -> String {
    const CIRCLED: &str = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳";
    const TIANGAN: &str = "甲乙丙丁戊己庚辛壬癸";
    const DIZHI: &str = "子丑寅卯辰巳午未申酉戌亥";
    match fmt {
        "chineseCounting"
        | "chineseCountingThousand"
        | "japaneseCounting"
        | "taiwaneseCounting"
        | "taiwaneseCountingThousand"
        | "ideographDigital" => chinese(n),
        "chineseLegalSimplified" => chinese(n)
            .chars()
            .map(|c| match c {
                '一' => '壹',
                '二' => '贰',
                '三' => '叁',
                '四' => '肆',
                '五' => '伍',
                '六' => '陆',
                '七' => '柒',
                '八' => '捌',
                '九' => '玖',
                '十' => '拾',
                c => c,
            })
            .collect(),
        "ideographTraditional" => TIANGAN
            .chars()
            .nth((n.max(1) as usize - 1) % 10)
            .map_or_else(|| n.to_string(), String::from),
        "ideographZodiac" => DIZHI
            .chars()
            .nth((n.max(1) as usize - 1) % 12)
            .map_or_else(|| n.to_string(), String::from),
        "decimalEnclosedCircle" | "decimalEnclosedCircleChinese" if (1..=20).contains(&n) => {
            CIRCLED.chars().nth(n as usize - 1).unwrap().to_string()
        }
        "decimalEnclosedParen" => format!("({n})"),
        "decimalFullWidth" | "decimalFullWidth2" => n
            .to_string()
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap_or(c))
            .collect(),
        "decimalZero" if n < 10 => format!("0{n}"),
        "lowerLetter" => letter(n, b'a'),
        "upperLetter" => letter(n, b'A'),
        "lowerRoman" => roman(n).to_lowercase(),
        "upperRoman" => roman(n),
        "bullet" | "none" => String::new(),
        _ => n.to_string(),
    }
}

/// 一 … 十, 十一, 二十, 一百零一 …
pub fn chinese(n: u32) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n as usize].into(),
        10..=19 => format!("十{}", if n == 10 { "" } else { D[(n - 10) as usize] }),
        20..=99 => format!(
            "{}十{}",
            D[(n / 10) as usize],
            if n % 10 == 0 {
                ""
            } else {
                D[(n % 10) as usize]
            }
        ),
        100..=999 => {
            let rest = n % 100;
            let tail = match rest {
                0 => String::new(),
                1..=9 => format!("零{}", D[rest as usize]),
                10..=19 => format!("一{}", chinese(rest)),
                _ => chinese(rest),
            };
            format!("{}百{tail}", D[(n / 100) as usize])
        }
        _ => n.to_string(),
    }
}

fn letter(n: u32, base: u8) -> String {
    let n = n.max(1) - 1;
    let c = (base + (n % 26) as u8) as char;
    c.to_string().repeat(n as usize / 26 + 1)
}

fn roman(mut n: u32) -> String {
    const R: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut s = String::new();
    for (v, r) in R {
        while n >= v {
            s.push_str(r);
            n -= v;
        }
    }
    s
}

struct Reader<'p, 'a> {
    pkg: &'p mut Package<'a>,
    rels: &'p HashMap<String, Rel>,
    styles: &'p Styles,
    numbering: &'p Numbering,
    counters: Counters,
    index: usize,
}

impl Reader<'_, '_> {
    fn blocks(&mut self, parent: Node<'_, '_>, out: &mut Vec<Block>) -> Result<(), ReadError> {
        for n in parent.children().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "p" => {
                    self.index += 1;
                    let p = self.paragraph(n, true)?;
                    out.push(Block::Paragraph(p));
                }
                "tbl" => {
                    let t = self.table(n)?;
                    out.push(Block::Table(t));
                }
                // content controls and tracked insertions wrap ordinary paragraphs
                "sdt" => {
                    if let Some(c) = child(n, "sdtContent") {
                        self.blocks(c, out)?;
                    }
                }
                "ins" | "customXml" | "smartTag" => self.blocks(n, out)?,
                _ => {}
            }
        }
        Ok(())
    }

    fn table(&mut self, t: Node<'_, '_>) -> Result<Table, ReadError> {
        let mut rows = Vec::new();
        for tr in t.children().filter(|n| is(n, "tr")) {
            let mut cells = Vec::new();
            for tc in tr.children().filter(|n| is(n, "tc")) {
                let mut inl = Vec::new();
                for p in tc.descendants().filter(|n| is(n, "p")) {
                    if !inl.is_empty() {
                        inl.push(Inline::Break);
                    }
                    let para = self.paragraph(p, false)?;
                    if let Some(n) = &para.number {
                        inl.push(text(&n.text, false));
                    }
                    inl.extend(para.inlines);
                }
                cells.push(inl);
            }
            rows.push(cells);
        }
        Ok(Table {
            after: self.index,
            rows,
        })
    }

    fn paragraph(&mut self, p: Node<'_, '_>, count: bool) -> Result<Paragraph, ReadError> {
        let ppr = child(p, "pPr");
        let style_id = ppr.and_then(|pp| val(pp, "pStyle"));
        let style = style_id.and_then(|id| self.styles.by_id.get(id));
        let style_bold = style_id
            .and_then(|id| self.styles.chain(id).find_map(|s| s.bold))
            .unwrap_or(false);
        let heading = style_id.and_then(|id| self.styles.heading(id)).or_else(|| {
            ppr.and_then(|pp| val(pp, "outlineLvl"))
                .and_then(|v| v.parse::<u8>().ok())
                .filter(|o| *o < 9)
                .map(|o| o + 1)
        });
        // numbering: the paragraph's own numPr, else its style's (up the basedOn chain)
        let direct = ppr.and_then(|pp| child(pp, "numPr")).map(|np| {
            (
                val(np, "numId").map(str::to_string),
                val(np, "ilvl").and_then(|l| l.parse::<u8>().ok()),
            )
        });
        let from_style = style_id.and_then(|id| self.styles.chain(id).find_map(|s| s.num.clone()));
        let (num_id, ilvl) = match (direct, from_style) {
            (Some((Some(id), l)), s) => (Some(id), l.or(s.and_then(|(_, l)| l))),
            (Some((None, l)), Some((id, sl))) => (Some(id), l.or(sl)),
            (_, Some((id, l))) => (Some(id), l),
            _ => (None, None),
        };
        let number = num_id
            .filter(|id| id != "0")
            .and_then(|id| self.counters.next(self.numbering, &id, ilvl.unwrap_or(0)));
        let mut inlines = Vec::new();
        self.inlines(p, style_bold, &mut inlines)?;
        Ok(Paragraph {
            index: if count { self.index } else { 0 },
            style: style.and_then(|s| s.name.clone()),
            heading,
            number,
            inlines,
        })
    }

    fn inlines(
        &mut self,
        parent: Node<'_, '_>,
        bold: bool,
        out: &mut Vec<Inline>,
    ) -> Result<(), ReadError> {
        for n in parent.children().filter(|n| n.is_element()) {
            match n.tag_name().name() {
                "r" => self.run(n, bold, out)?,
                "hyperlink" => {
                    let mut inner = Vec::new();
                    self.inlines(n, bold, &mut inner)?;
                    let url = attr(n, "id")
                        .and_then(|id| self.rels.get(id))
                        .filter(|r| r.external)
                        .map(|r| r.target.clone());
                    match url {
                        Some(url) => {
                            let pictures: Vec<Inline> = inner
                                .iter()
                                .filter(|i| matches!(i, Inline::Picture(_)))
                                .cloned()
                                .collect();
                            out.push(Inline::Link {
                                text: plain(&inner),
                                url,
                            });
                            out.extend(pictures);
                        }
                        None => out.extend(inner),
                    }
                }
                "ins" | "smartTag" | "customXml" | "fldSimple" => self.inlines(n, bold, out)?,
                "sdt" => {
                    if let Some(c) = child(n, "sdtContent") {
                        self.inlines(c, bold, out)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn run(
        &mut self,
        r: Node<'_, '_>,
        style_bold: bool,
        out: &mut Vec<Inline>,
    ) -> Result<(), ReadError> {
        let rpr = child(r, "rPr");
        let bold = toggle(rpr, "b").unwrap_or(style_bold);
        let italic = toggle(rpr, "i").unwrap_or(false);
        for c in r.children().filter(|n| n.is_element()) {
            match c.tag_name().name() {
                "t" => out.push(Inline::Text {
                    text: c.text().unwrap_or("").to_string(),
                    bold,
                    italic,
                }),
                "tab" => out.push(text(" ", false)),
                "br" | "cr" if attr(c, "type") != Some("page") => out.push(Inline::Break),
                "drawing" | "pict" | "object" => {
                    let boxed: String = c
                        .descendants()
                        .filter(|d| is(d, "txbxContent"))
                        .flat_map(|t| t.descendants().filter(|d| is(d, "t")))
                        .filter_map(|t| t.text())
                        .collect();
                    if !boxed.trim().is_empty() {
                        out.push(Inline::Dropped(boxed));
                    }
                    for blip in c
                        .descendants()
                        .filter(|d| is(d, "blip") || is(d, "imagedata"))
                    {
                        let id = attr(blip, "embed").or_else(|| attr(blip, "id"));
                        let descr = c
                            .descendants()
                            .find(|d| is(d, "docPr") || is(d, "cNvPr"))
                            .and_then(|d| {
                                attr(d, "descr")
                                    .filter(|s| !s.trim().is_empty())
                                    .or_else(|| attr(d, "title"))
                            })
                            .or_else(|| attr(blip, "title"))
                            .filter(|s| !s.trim().is_empty())
                            .map(str::to_string);
                        if let Some(p) = id.and_then(|id| self.picture(id, descr)).transpose()? {
                            out.push(Inline::Picture(p));
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The picture of relationship `id`, if it is one inside the package.
    fn picture(
        &mut self,
        id: &str,
        description: Option<String>,
    ) -> Option<Result<Picture, ReadError>> {
        let rel = self.rels.get(id)?;
        if rel.external {
            return None;
        }
        let name = entry_name(&rel.target)?;
        let ext = name
            .rsplit_once('.')
            .map(|(_, e)| e.to_ascii_lowercase())
            .unwrap_or_default();
        match self.pkg.entry(&name) {
            Ok(Some(bytes)) => Some(Ok(Picture {
                ext,
                bytes,
                description,
            })),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

fn text(s: &str, bold: bool) -> Inline {
    Inline::Text {
        text: s.to_string(),
        bold,
        italic: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(format_number(1, "chineseCounting"), "一");
        assert_eq!(format_number(12, "chineseCounting"), "十二");
        assert_eq!(format_number(20, "chineseCountingThousand"), "二十");
        assert_eq!(format_number(105, "chineseCounting"), "一百零五");
        assert_eq!(format_number(3, "ideographTraditional"), "丙");
        assert_eq!(format_number(2, "decimalEnclosedCircle"), "②");
        assert_eq!(format_number(4, "upperRoman"), "IV");
        assert_eq!(format_number(28, "lowerLetter"), "bb");
        assert_eq!(format_number(7, "decimal"), "7");
        assert_eq!(format_number(3, "decimalFullWidth"), "３");
    }

    #[test]
    fn entry_names_never_leave_the_package() {
        assert_eq!(
            entry_name("media/image1.png").as_deref(),
            Some("word/media/image1.png")
        );
        assert_eq!(
            entry_name("/word/media/a.png").as_deref(),
            Some("word/media/a.png")
        );
        assert_eq!(entry_name("../media/a.png").as_deref(), Some("media/a.png"));
        assert_eq!(entry_name("../../etc/passwd"), None);
        assert_eq!(entry_name("C:/x.png"), None);
        assert_eq!(entry_name("file:///x.png"), None);
    }

    #[test]
    fn not_a_zip_and_legacy_files_say_what_to_do() {
        let e = read_bytes(b"hello").unwrap_err();
        assert!(e.message.contains("not a Word .docx"), "{e:?}");
        let e = read_bytes(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0]).unwrap_err();
        assert!(e.message.contains(".doc"), "{e:?}");
        assert!(e.help.contains("另存为"), "{e:?}");
    }
}
