// guidepost serve: live reload and the error overlay. Injected into pages by `guidepost serve`
// only; never part of a built site.
(() => {
  "use strict";
  const me = document.currentScript;
  let generation = Number(me.dataset.generation);
  const page = me.dataset.page;
  const key = "guidepost-scroll:" + location.pathname;

  // back where the reader was before the reload
  const saved = sessionStorage.getItem(key);
  if (saved !== null) {
    sessionStorage.removeItem(key);
    const y = Number(saved);
    const restore = () => window.scrollTo(0, y);
    restore();
    addEventListener("load", restore, { once: true });
  }

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function hide() {
    const old = document.getElementById("guidepost-overlay");
    if (old) old.remove();
  }

  // the same markup as the server renders into a page loaded while the site is broken
  function show(update) {
    hide();
    const errors = update.diagnostics.filter((d) => d.severity === "error");
    const root = el("div");
    root.id = "guidepost-overlay";
    root.setAttribute("role", "alert");
    root.lang = "zh-CN";
    const style = el("style", null, update.css);
    const box = el("div", "gp-box");
    const head = el("div", "gp-head");
    head.append(el("strong", "gp-title", update.title));
    const close = el("button", "gp-close", "隐藏");
    close.type = "button";
    close.addEventListener("click", hide);
    head.append(close);
    box.append(head, el("p", "gp-note", update.note));
    const list = el("ol", "gp-list");
    for (const d of errors) {
      const li = el("li", "gp-diag");
      li.append(el("p", "gp-msg", `${d.severity}[${d.code}]: ${d.message}`));
      if (d.location) li.append(el("p", "gp-loc", d.location));
      if (d.line > 0) {
        const pre = el("pre", "gp-src");
        pre.append(el("span", "gp-ln", String(d.line)), document.createTextNode(d.before));
        pre.append(el("mark", null, d.marked), document.createTextNode(d.after));
        li.append(pre);
      }
      if (d.help) li.append(el("p", "gp-help", d.help));
      list.append(li);
    }
    box.append(list);
    root.append(style, box);
    document.body.append(root);
  }

  const events = new EventSource("/__guidepost/events");
  events.addEventListener("update", (e) => {
    const u = JSON.parse(e.data);
    if (u.state === "failed") {
      show(u);
      return;
    }
    hide();
    if (u.generation === generation) return;
    const mine = u.pages === null || u.generation > generation + 1 || u.pages.includes(page);
    if (mine) {
      sessionStorage.setItem(key, String(window.scrollY));
      location.reload();
    } else {
      generation = u.generation;
    }
  });
})();
