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

  /* Documents matching every word and every character of the query, best first: a match in a
   * title over the text over a caption, and the query's character pairs (the phrase) count ten
   * times a lone character, so the exact phrase ranks above scattered characters. */
  Index.prototype.search = async function (query) {
    var toks = tokenize(query), seen = new Set(), uniq = [];
    toks.forEach(function (t) { if (!seen.has(t.t)) { seen.add(t.t); uniq.push(t); } });
    if (!uniq.length) return [];
    var m = await this.manifest(), self = this;
    var shards = uniq.map(function (t) { return hash(t.t) % m.shards; });
    var data = await Promise.all(shards.map(function (i) { return self.tokenShard(m, i); }));
    var lists = uniq.map(function (t, i) {
      var p = data[i][t.t];
      return { k: t.k, map: p ? decode(p) : new Map() };
    });
    var required = lists.filter(function (l) { return l.k !== "b"; });
    if (!required.length) return [];
    required.sort(function (a, b) { return a.map.size - b.map.size; });
    var out = [];
    required[0].map.forEach(function (_, doc) {
      var score = 0;
      for (var l of lists) {
        var f = l.map.get(doc);
        if (f === undefined) { if (l.k !== "b") return; continue; }
        score += weight(f) * (l.k === "b" ? 10 : 1);
      }
      out.push({ doc: doc, score: score });
    });
    out.sort(function (a, b) { return b.score - a.score || a.doc - b.doc; });
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
  function snippet(text, rs) {
    var r = ranges(text, rs), len = 90;
    if (!text) return "";
    var start = r.length ? Math.max(0, r[0][0] - 24) : 0, end = Math.min(text.length, start + len);
    return (start > 0 ? "…" : "") + marked(text, rs, start, end) + (end < text.length ? "…" : "");
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
      this.status.textContent = "找到 " + results.length + " 条结果";
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
