/* guidepost search: the field in every page's header and the search page (search/index.html).
 *
 * The index is loaded through classic <script> elements that call window.__gpSearch.* (never
 * fetch, ES modules or WebAssembly), so search works from file:// and in WeChat's browser. The
 * tokenizer below is the one of src/search/tokenizer.rs, rule for rule (a test runs both over
 * the same strings). ES2017 at most: Android WeChat's browser is as old as Chromium 86.
 */
(function (root) {
  "use strict";
  var G = root.__gpSearch = root.__gpSearch || {};

  // ---- the tokenizer (src/search/tokenizer.rs) ----
  function fold(cp) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) return fold(cp - 0xFEE0);
    if (cp === 0x3000) return 0x20;
    if (cp >= 0x41 && cp <= 0x5A) return cp + 32;
    return cp;
  }
  function isWord(cp) {
    return (cp >= 0x61 && cp <= 0x7A) || (cp >= 0x30 && cp <= 0x39) ||
      (cp >= 0xC0 && cp <= 0x24F && cp !== 0xD7 && cp !== 0xF7);
  }
  function isCjk(cp) {
    return cp === 0x3007 || (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
  }
  /* Tokens of `text` in order: {t: token, k: "w" word | "c" CJK character | "b" bigram}. */
  function tokenize(text) {
    var out = [], word = "", prev = null;
    for (var ch of String(text)) {
      var cp = fold(ch.codePointAt(0)), c = String.fromCodePoint(cp);
      if (isWord(cp)) { word += c; prev = null; continue; }
      if (word) { out.push({ t: word, k: "w" }); word = ""; }
      if (isCjk(cp)) {
        out.push({ t: c, k: "c" });
        if (prev !== null) out.push({ t: prev + c, k: "b" });
        prev = c;
      } else {
        prev = null;
      }
    }
    if (word) out.push({ t: word, k: "w" });
    return out;
  }
  /* FNV-1a (32 bits) over code points: a token's shard is hash % shards. */
  function hash(token) {
    var h = 0x811C9DC5;
    for (var ch of token) {
      h ^= ch.codePointAt(0);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h >>> 0;
  }
  /* The text folded character by character (same length in UTF-16 units). */
  function foldText(s) {
    var out = "";
    for (var ch of s) out += String.fromCodePoint(fold(ch.codePointAt(0)));
    return out;
  }
  G.tokenize = tokenize;
  G.hash = hash;

  // ---- loading the index (src/search/index.rs) ----
  var manifest = null, tokenShards = {}, docShards = {}, loading = {};
  G.index = function (m) { manifest = m; };
  G.shard = function (i, data) { tokenShards[i] = data; };
  G.docs = function (i, data) { docShards[i] = data; };

  function loadScript(url) {
    if (!loading[url]) {
      loading[url] = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = url;
        s.async = true;
        s.onload = function () { resolve(); };
        s.onerror = function () { delete loading[url]; s.remove(); reject(new Error(url)); };
        document.head.appendChild(s);
      });
    }
    return loading[url];
  }
  var DIGITS = "0123456789abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ-_+*/$";
  /* Postings text → Map(document → fields). */
  function decode(s) {
    var out = new Map(), doc = -1, v = 0, shift = 0;
    for (var i = 0; i < s.length; i++) {
      var d = DIGITS.indexOf(s[i]);
      if (d >= 32) { v += (d - 32) * Math.pow(2, shift); shift += 5; continue; }
      v += d * Math.pow(2, shift);
      doc += Math.floor(v / 8);
      out.set(doc, v % 8);
      v = 0; shift = 0;
    }
    return out;
  }

  function Index(base, url) { this.base = base; this.url = url; }
  Index.prototype.manifest = async function () {
    // the manifest is a few bytes and names the build's version: loaded afresh, never cached
    if (!manifest) await loadScript(this.url + (this.url.indexOf("?") < 0 ? "?" : "&") + "t=" + Date.now());
    if (!manifest) throw new Error("no index");
    if (manifest.ts) {
      manifest.ts.forEach(function (s, i) { tokenShards[i] = s; });
      manifest.ds.forEach(function (s, i) { docShards[i] = s; });
    }
    return manifest;
  };
  /* Shards are loaded with the index's version, so a browser never mixes builds. */
  Index.prototype.tokenShard = async function (m, i) {
    if (!tokenShards[i]) await loadScript(this.base + "t-" + i + ".js?v=" + m.v);
    return tokenShards[i] || {};
  };
  /* Document n is in document shard n / per: [guide, channel or -1, step or 0, anchor, title,
   * snippet], its guide and channel by their place in the shard's g and c. */
  Index.prototype.doc = async function (m, doc) {
    var i = Math.floor(doc / m.per);
    if (!docShards[i]) await loadScript(this.base + "d-" + i + ".js?v=" + m.v);
    var s = docShards[i], d = s.d[doc % m.per];
    var g = s.g[d[0]], c = d[1] >= 0 ? s.c[d[1]] : null;
    return {
      guide: g[0], channel: c ? c[0] : null, step: d[2], url: (c || g)[1] + d[3], title: d[4],
      text: d[5]
    };
  };

  G.Index = Index; // for benches/search.sh

  function weight(fields) { return fields & 4 ? 6 : fields & 2 ? 3 : 1; }

  /* At most this many token shards for one query, so that a first query loads at most about
   * 300 KB: a query of a few words loads every token of it, a longer one (a pasted sentence) is
   * planned by `plan`. */
  var MAX_SHARDS = 8;

  /* The tokens of a query to load, and what a result must have: every word, and every CJK
   * character, alone or in a pair with a neighbour (a document with the pair has both). A query
   * within MAX_SHARDS loads every token; past it, the lone characters that pairs cover are left
   * out, then every other pair (ab, cd, ef… still cover every character), and then, if still
   * past it, what follows the first MAX_SHARDS shards (`partial`: the rest of the query is not
   * searched). `shardOf(token)` is the token's shard. */
  function plan(query, shardOf) {
    var words = [], chars = [], pairs = [], seen = new Set();
    function add(list, t) { if (!seen.has(t.t)) { seen.add(t.t); list.push(t); } }
    runs(query).forEach(function (r) {
      if (r.k === "w") { add(words, { t: r.t, k: "w" }); return; }
      var cs = Array.from(r.t);
      cs.forEach(function (c, i) {
        add(chars, { t: c, k: "c", covers: [c] });
        if (i > 0) add(pairs, { t: cs[i - 1] + c, k: "b", covers: [cs[i - 1], c], at: i - 1, run: r.t });
      });
    });
    function shards(toks) {
      var set = new Set();
      toks.forEach(function (t) { set.add(shardOf(t.t)); });
      return set.size;
    }
    var load = words.concat(chars, pairs), partial = false;
    if (shards(load) > MAX_SHARDS) {
      var covered = new Set();
      pairs.forEach(function (p) { covered.add(p.covers[0]); covered.add(p.covers[1]); });
      load = words.concat(chars.filter(function (c) { return !covered.has(c.t); }), pairs);
    }
    if (shards(load) > MAX_SHARDS) {
      // of each run's pairs, the 1st, 3rd, 5th… and its last (which covers an odd run's end)
      load = load.filter(function (t) {
        return t.k !== "b" || t.at % 2 === 0 || t.at === Array.from(t.run).length - 2;
      });
    }
    if (shards(load) > MAX_SHARDS) {
      var kept = [], set = new Set();
      load.forEach(function (t) {
        var sh = shardOf(t.t);
        if (set.has(sh) || set.size < MAX_SHARDS) { set.add(sh); kept.push(t); }
      });
      partial = kept.length < load.length;
      load = kept;
    }
    // what a result must have: each word loaded, each character loaded alone or in a pair
    var needs = [];
    words.forEach(function (w) { if (load.indexOf(w) >= 0) needs.push([w]); });
    chars.forEach(function (c) {
      var by = load.filter(function (t) { return t.k !== "w" && t.covers.indexOf(c.t) >= 0; });
      if (by.length) needs.push(by);
    });
    return { load: load, needs: needs, partial: partial };
  }
  G.plan = plan; // for tests

  /* Documents matching every word and every character of the query, best first: a match in a
   * title over the text over a caption, and the query's character pairs (the phrase) count ten
   * times a lone character, so the exact phrase ranks above scattered characters. The array's
   * `partial` says a long query was searched only in part (see `plan`). */
  Index.prototype.search = async function (query) {
    var m = await this.manifest(), self = this;
    var p = plan(query, function (t) { return hash(t) % m.shards; });
    if (!p.needs.length) return [];
    var data = await Promise.all(p.load.map(function (t) {
      return self.tokenShard(m, hash(t.t) % m.shards);
    }));
    var maps = new Map();
    p.load.forEach(function (t, i) {
      var s = data[i][t.t];
      maps.set(t, s ? decode(s) : new Map());
    });
    // the candidates: the documents of the need with the fewest
    var needs = p.needs.map(function (n) {
      return { toks: n, size: n.reduce(function (a, t) { return a + maps.get(t).size; }, 0) };
    });
    needs.sort(function (a, b) { return a.size - b.size; });
    var candidates = new Set();
    needs[0].toks.forEach(function (t) { maps.get(t).forEach(function (_, doc) { candidates.add(doc); }); });
    var out = [];
    candidates.forEach(function (doc) {
      for (var n of needs) {
        if (!n.toks.some(function (t) { return maps.get(t).has(doc); })) return;
      }
      var score = 0;
      p.load.forEach(function (t) {
        var f = maps.get(t).get(doc);
        if (f !== undefined) score += weight(f) * (t.k === "b" ? 10 : 1);
      });
      out.push({ doc: doc, score: score });
    });
    out.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
    out.partial = p.partial;
    return out;
  };

  // ---- showing results ----
  function esc(s) {
    return s.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;" }[c];
    });
  }
  /* The query's runs (words and runs of CJK characters), folded. */
  function runs(query) {
    var out = [], cur = "", kind = "";
    for (var ch of foldText(query)) {
      var cp = ch.codePointAt(0), k = isWord(cp) ? "w" : isCjk(cp) ? "c" : "";
      if (k !== kind && cur) { out.push({ t: cur, k: kind }); cur = ""; }
      kind = k;
      if (k) cur += ch;
    }
    if (cur) out.push({ t: cur, k: kind });
    return out;
  }
  /* [start, end) ranges of `text` to mark: each run where it occurs whole, else (CJK) its
   * characters. */
  function ranges(text, rs) {
    var f = foldText(text), out = [];
    function all(needle) {
      var found = false;
      for (var i = f.indexOf(needle); i >= 0; i = f.indexOf(needle, i + needle.length)) {
        out.push([i, i + needle.length]);
        found = true;
      }
      return found;
    }
    rs.forEach(function (r) {
      if (!all(r.t) && r.k === "c") for (var ch of r.t) all(ch);
    });
    out.sort(function (a, b) { return a[0] - b[0]; });
    var merged = [];
    out.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]); else merged.push(r.slice());
    });
    return merged;
  }
  function marked(text, rs, from, to) {
    var html = "", at = from;
    ranges(text, rs).forEach(function (r) {
      var a = Math.max(r[0], from), b = Math.min(r[1], to);
      if (a >= b || a < at) return;
      html += esc(text.slice(at, a)) + "<mark>" + esc(text.slice(a, b)) + "</mark>";
      at = b;
    });
    return html + esc(text.slice(at, to));
  }
  /* About 90 characters of `text` around its best match: of the windows that start a little
   * before a match, the one with the most of the query marked (the earliest of equals), moved
   * back when it would end short; the text's start when nothing matches. */
  function snippet(text, rs) {
    if (!text) return "";
    var r = ranges(text, rs), len = 90, start = 0, best = -1;
    r.forEach(function (a) {
      var s = Math.max(0, Math.min(a[0] - 24, text.length - len)), n = 0;
      r.forEach(function (b) { n += Math.max(0, Math.min(b[1], s + len) - Math.max(b[0], s)); });
      if (n > best) { best = n; start = s; }
    });
    var end = Math.min(text.length, start + len);
    // never between the two halves of a character outside the BMP
    if (start > 0 && isLow(text, start)) start--;
    if (end < text.length && isLow(text, end)) end++;
    return (start > 0 ? "…" : "") + marked(text, rs, start, end) + (end < text.length ? "…" : "");
  }
  function isLow(text, i) {
    var u = text.charCodeAt(i);
    return u >= 0xDC00 && u <= 0xDFFF;
  }
  function label(d) {
    var parts = [d.guide];
    if (d.channel) parts.push(d.channel);
    if (d.step) parts.push("第 " + d.step + " 步");
    return parts;
  }

  /* One search UI: a form with an input, a status line and a result list. `limit`: how many
   * results to show at first (more on demand on the search page; a link to it in the header). */
  function Ui(form, opts) {
    this.form = form;
    this.input = form.querySelector("input[type=search]");
    this.status = form.querySelector(".search-status");
    this.list = form.querySelector(".search-results");
    this.panel = form.querySelector(".search-panel");
    this.more = form.querySelector(".search-more");
    this.root = form.getAttribute("data-root");
    this.index = new Index(this.root + "search/", form.getAttribute("data-index"));
    this.limit = opts.limit;
    this.page = opts.page;
    this.seq = 0;
    var self = this;
    this.input.addEventListener("input", function () { self.run(); });
    this.input.addEventListener("focus", function () {
      self.index.manifest().catch(function () {});
      if (self.input.value.trim()) self.open(true);
    });
    form.addEventListener("keydown", function (e) { self.key(e); });
    if (this.page) form.addEventListener("submit", function (e) { e.preventDefault(); self.run(); });
    if (!this.page) {
      document.addEventListener("click", function (e) {
        if (!form.contains(e.target)) self.open(false);
      });
    }
    if (this.more) {
      this.more.addEventListener("click", function () { self.shown += opts.limit; self.render(); });
    }
  }
  Ui.prototype.open = function (yes) {
    if (this.panel) this.panel.hidden = !yes;
    this.input.setAttribute("aria-expanded", yes ? "true" : "false");
  };
  Ui.prototype.key = function (e) {
    var links = Array.from(this.list.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && links.length) {
      e.preventDefault();
      links[Math.min(at + 1, links.length - 1)].focus();
    } else if (e.key === "ArrowUp" && at >= 0) {
      e.preventDefault();
      if (at === 0) this.input.focus(); else links[at - 1].focus();
    } else if (e.key === "Escape" && !this.page) {
      this.open(false);
      this.input.focus();
    }
  };
  Ui.prototype.run = async function () {
    var q = this.input.value, seq = ++this.seq;
    if (this.page) {
      try {
        history.replaceState(null, "", q.trim() ? "?q=" + encodeURIComponent(q) : location.pathname);
      } catch (e) { /* some file:// hosts refuse it: the page still works */ }
    }
    if (!q.trim()) {
      this.results = null;
      this.list.innerHTML = "";
      this.status.textContent = "";
      if (this.more) this.more.hidden = true;
      this.open(false);
      return;
    }
    var results;
    try {
      results = await this.index.search(q);
    } catch (e) {
      if (seq !== this.seq) return;
      this.status.textContent = "搜索暂时无法使用：索引文件没有加载成功。请刷新页面再试。";
      this.open(true);
      return;
    }
    if (seq !== this.seq) return;
    this.results = results;
    this.query = q;
    this.shown = this.limit;
    this.render();
  };
  Ui.prototype.render = async function () {
    var seq = this.seq, self = this, results = this.results, q = this.query;
    var rs = runs(q), m = await this.index.manifest();
    var show = results.slice(0, this.shown);
    var docs;
    try {
      docs = await Promise.all(show.map(function (r) { return self.index.doc(m, r.doc); }));
    } catch (e) {
      docs = null;
    }
    if (seq !== this.seq) return;
    this.open(true);
    if (!docs) {
      this.status.textContent = "搜索暂时无法使用：索引文件没有加载成功。请刷新页面再试。";
      return;
    }
    if (!results.length) {
      this.status.innerHTML = "没有找到与“" + esc(q.trim()) + "”相关的内容。" +
        "<span class=\"search-hint\">试试更短的关键词（如“采集码”）、换一种说法，或<a href=\"" +
        esc(this.root) + "index.html\">浏览全部指南</a>。</span>";
    } else {
      this.status.textContent = "找到 " + results.length + " 条结果" +
        (results.partial ? "（搜索词较长，只按前面一部分查找）" : "");
    }
    var html = "";
    docs.forEach(function (d) {
      var path = label(d).map(esc).join(" › ");
      html += "<li class=\"search-result\"><a href=\"" + esc(self.root + d.url) + "\">" +
        "<span class=\"search-path\">" + path + "</span>" +
        "<span class=\"search-title\">" + marked(d.title, rs, 0, d.title.length) + "</span></a>" +
        (d.text ? "<p class=\"search-snippet\">" + snippet(d.text, rs) + "</p>" : "") + "</li>";
    });
    if (!this.page && results.length > show.length) {
      html += "<li class=\"search-all\"><a href=\"" + esc(this.root) + "search/index.html?q=" +
        encodeURIComponent(q) + "\">查看全部 " + results.length + " 条结果</a></li>";
    }
    this.list.innerHTML = html;
    if (this.more) this.more.hidden = !(results.length > show.length);
  };

  function start() {
    Array.from(document.querySelectorAll("form.site-search[data-index]")).forEach(function (form) {
      var page = form.classList.contains("search-page-form");
      var ui = new Ui(form, { limit: page ? 20 : 6, page: page });
      form.hidden = false;
      if (page) {
        var q = new URLSearchParams(location.search).get("q");
        if (q) { ui.input.value = q; ui.run(); }
        var nojs = document.querySelector(".search-nojs");
        if (nojs) nojs.hidden = true;
      }
    });
  }
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})(typeof window !== "undefined" ? window : this);
