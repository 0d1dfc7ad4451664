// guidepost serve: the screenshot studio. Injected into pages by `guidepost serve` only, never
// part of a built site. Fills slots (drop, paste, choose a file), replaces screenshots (the old
// file is kept by the server), and edits redactions and highlights. The server decides every
// file name: requests name a shot only by its id. ES2017, no modules, nothing from other hosts.
(function () {
  "use strict";
  var island = document.getElementById("guidepost-studio");
  if (!island) return;
  var data;
  try {
    data = JSON.parse(island.textContent);
  } catch (e) {
    return;
  }
  var token = data.token;
  var API = "/__guidepost/studio/";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  function button(text, label, onClick, cls) {
    var b = el("button", cls || "gp-btn", text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", function (e) {
      e.preventDefault();
      e.stopPropagation();
      onClick(e);
    });
    return b;
  }

  function lastSegment(url) {
    if (!url) return "";
    var clean = url.split("#")[0].split("?")[0];
    var name = clean.substring(clean.lastIndexOf("/") + 1);
    try {
      return decodeURIComponent(name);
    } catch (e) {
      return name;
    }
  }

  // which shot each figure and slot of the page is
  var slotsByPath = {};
  var slotsByAlt = {};
  var shotsByFile = {};
  data.shots.forEach(function (s) {
    if (s.captured) {
      s.files.forEach(function (f) {
        shotsByFile[f] = s;
      });
    } else {
      slotsByPath[s.path] = s;
      (slotsByAlt[s.alt] = slotsByAlt[s.alt] || []).push(s);
    }
  });

  function findSlot(fig) {
    var code = fig.querySelector(".slot-path");
    if (code) {
      var p = code.textContent.replace(/\s+/g, "");
      if (slotsByPath[p]) return slotsByPath[p];
    }
    var label = fig.getAttribute("aria-label") || "";
    var alt = label.replace(/^截图待补充：/, "");
    var same = slotsByAlt[alt];
    return same && same.length === 1 ? same[0] : null;
  }

  function findShot(fig) {
    var img = fig.querySelector("img");
    var link = fig.querySelector("a[href]");
    var names = [];
    if (img) names.push(lastSegment(img.getAttribute("src")));
    if (link) names.push(lastSegment(link.getAttribute("href")));
    for (var i = 0; i < names.length; i++) {
      if (shotsByFile[names[i]]) return shotsByFile[names[i]];
    }
    return null;
  }

  function status(fig, text, bad) {
    var s = fig.querySelector(".gp-status");
    if (!s) {
      s = el("p", "gp-status");
      s.setAttribute("role", "status");
      s.setAttribute("aria-live", "polite");
      fig.appendChild(s);
    }
    s.textContent = text;
    s.classList.toggle("gp-bad", !!bad);
  }

  // the preview reloads the page once the rebuild is done; in case it does not (nothing changed)
  function reloadSoon() {
    setTimeout(function () {
      sessionStorage.setItem("guidepost-scroll:" + location.pathname, String(window.scrollY));
      location.reload();
    }, 4000);
  }

  function post(action, shot, body, type, extra) {
    var url = API + action + "?shot=" + encodeURIComponent(shot.id) + (extra || "");
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Guidepost-Token": token, "Content-Type": type },
      body: body,
    }).then(function (r) {
      return r.json().then(
        function (j) {
          if (!r.ok) throw new Error(j.error || "保存失败（" + r.status + "）");
          return j;
        },
        function () {
          throw new Error("保存失败（" + r.status + "）");
        }
      );
    });
  }

  function upload(fig, shot, blob, replace) {
    var type = blob.type && /^image\//.test(blob.type) ? blob.type : "application/octet-stream";
    status(fig, "正在保存截图…");
    return post("upload", shot, blob, type, replace ? "&replace=1" : "").then(
      function (j) {
        status(fig, "已保存为 " + j.file + "，页面马上刷新…");
        reloadSoon();
      },
      function (e) {
        status(fig, e.message, true);
      }
    );
  }

  // a confirmation inside the figure: replacing keeps the old file, but asks first
  function confirmReplace(fig, shot, blob) {
    var old = fig.querySelector(".gp-confirm");
    if (old) old.remove();
    var box = el("div", "gp-confirm");
    box.setAttribute("role", "alertdialog");
    box.setAttribute("aria-label", "确认替换截图");
    box.appendChild(
      el("p", null, "用新图片替换这张截图吗？原来的文件会保存在网站文件夹的 .guidepost-cache/replaced/ 里。")
    );
    var yes = button("替换", "确认替换这张截图", function () {
      box.remove();
      upload(fig, shot, blob, true);
    });
    var no = button("取消", "不替换", function () {
      box.remove();
    });
    box.appendChild(yes);
    box.appendChild(no);
    fig.appendChild(box);
    yes.focus();
  }

  function receive(fig, shot, blob) {
    if (!blob) {
      status(fig, "没有找到图片：请拖入或粘贴一张截图（PNG、JPEG 或 WebP）", true);
      return;
    }
    if (shot.captured) confirmReplace(fig, shot, blob);
    else upload(fig, shot, blob, false);
  }

  function imageOf(list) {
    if (!list) return null;
    for (var i = 0; i < list.length; i++) {
      var it = list[i];
      if (it.kind === "file") {
        var f = it.getAsFile();
        if (f) return f;
      } else if (it instanceof File) {
        return it;
      }
    }
    return null;
  }

  function choose(fig, shot) {
    var input = el("input");
    input.type = "file";
    input.accept = "image/png,image/jpeg,image/webp";
    input.style.display = "none";
    input.addEventListener("change", function () {
      if (input.files && input.files[0]) receive(fig, shot, input.files[0]);
      input.remove();
    });
    document.body.appendChild(input);
    input.click();
  }

  var hovered = null;
  var targets = [];

  function attach(fig, shot) {
    fig.classList.add("gp-target");
    fig.setAttribute("data-gp-shot", shot.id);
    if (!shot.captured) fig.tabIndex = 0;
    targets.push(fig);
    var tools = el("div", "gp-tools");
    if (shot.captured) {
      tools.appendChild(
        button("替换截图…", "替换截图：" + shot.alt, function () {
          choose(fig, shot);
        })
      );
      tools.appendChild(
        button("打码与标注", "打码与标注：" + shot.alt, function () {
          openEditor(fig, shot);
        })
      );
      tools.appendChild(el("span", "gp-hint", "也可以把新图片拖到截图上"));
    } else {
      tools.appendChild(
        button("选择图片…", "选择截图文件：" + shot.alt, function () {
          choose(fig, shot);
        })
      );
      tools.appendChild(el("span", "gp-hint", "或把图片拖到这里，或选中这里后按 Ctrl+V 粘贴截图"));
      fig.addEventListener("click", function (e) {
        if (e.target.closest("button, input, .gp-confirm")) return;
        choose(fig, shot);
      });
      fig.addEventListener("keydown", function (e) {
        if (e.target === fig && (e.key === "Enter" || e.key === " ")) {
          e.preventDefault();
          choose(fig, shot);
        }
      });
    }
    fig.appendChild(tools);
    fig.addEventListener("dragover", function (e) {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = "copy";
      fig.classList.add("gp-over");
    });
    fig.addEventListener("dragleave", function () {
      fig.classList.remove("gp-over");
    });
    fig.addEventListener("drop", function (e) {
      e.preventDefault();
      e.stopPropagation();
      fig.classList.remove("gp-over");
      var dt = e.dataTransfer;
      receive(fig, shot, dt ? imageOf(dt.files) || imageOf(dt.items) : null);
    });
    fig.addEventListener("paste", function (e) {
      var cd = e.clipboardData;
      var blob = cd ? imageOf(cd.items) || imageOf(cd.files) : null;
      if (!blob) return;
      e.preventDefault();
      e.stopPropagation();
      receive(fig, shot, blob);
    });
    fig.addEventListener("mouseenter", function () {
      hovered = fig;
    });
    fig.addEventListener("mouseleave", function () {
      if (hovered === fig) hovered = null;
    });
    if (shot.captured && shot.personal && !shot.redacted && !shot.checked) nudge(fig, shot);
  }

  // a paste anywhere goes to the focused or hovered slot
  document.addEventListener("paste", function (e) {
    if (e.defaultPrevented) return;
    var t = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".gp-target") : null;
    t = t || hovered;
    if (!t || !document.body.contains(t)) return;
    var cd = e.clipboardData;
    var blob = cd ? imageOf(cd.items) || imageOf(cd.files) : null;
    if (!blob) return;
    e.preventDefault();
    var shot = shotOf[t.getAttribute("data-gp-shot")];
    if (shot) receive(t, shot, blob);
  });

  function nudge(fig, shot) {
    var box = el("div", "gp-nudge");
    box.setAttribute("role", "note");
    box.appendChild(
      el(
        "p",
        null,
        "提醒：这一部分提到了个人信息（姓名、学号、证件号码、手机号等）。发布前请给截图里的个人信息打码。"
      )
    );
    box.appendChild(
      button("去打码", "给这张截图打码：" + shot.alt, function () {
        openEditor(fig, shot);
      })
    );
    box.appendChild(
      button("截图里没有个人信息", "确认这张截图里没有个人信息，不再提醒", function () {
        post("dismiss", shot, "{}", "application/json").then(
          function () {
            box.remove();
            status(fig, "已记录：这张截图不需要打码");
          },
          function (e) {
            status(fig, e.message, true);
          }
        );
      })
    );
    fig.appendChild(box);
  }

  // ---- the editor ----
  var KINDS = {
    solid: "涂黑打码",
    mosaic: "马赛克打码",
    highlight: "高亮标注",
  };

  function openEditor(fig, shot) {
    var W = shot.width;
    var H = shot.height;
    var boxes = [];
    shot.redact.forEach(function (a) {
      boxes.push({ kind: a.style === "mosaic" ? "mosaic" : "solid", x: a.x, y: a.y, w: a.w, h: a.h, label: "" });
    });
    shot.highlight.forEach(function (a) {
      boxes.push({ kind: "highlight", x: a.x, y: a.y, w: a.w, h: a.h, label: a.label || "" });
    });
    var history = [];
    var selected = -1;
    var tool = "solid";
    var opener = document.activeElement;

    var dlg = el("div", "gp-editor");
    dlg.setAttribute("role", "dialog");
    dlg.setAttribute("aria-modal", "true");
    dlg.setAttribute("aria-label", "打码与标注：" + shot.alt);
    dlg.lang = "zh-CN";
    var bar = el("div", "gp-bar");
    var toolButtons = {};
    var group = el("div", "gp-group");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "画框的种类");
    Object.keys(KINDS).forEach(function (k) {
      var b = button(KINDS[k], "画" + KINDS[k] + "框", function () {
        setTool(k);
      });
      b.setAttribute("aria-pressed", "false");
      toolButtons[k] = b;
      group.appendChild(b);
    });
    bar.appendChild(group);
    var addBtn = button("添加方框", "在图片中间添加一个方框（用方向键移动，Shift+方向键改大小）", addBox);
    var delBtn = button("删除方框", "删除选中的方框", function () {
      remove(selected);
    });
    var undoBtn = button("撤销", "撤销上一步", undo);
    var saveBtn = button("保存", "保存打码与标注", save, "gp-btn gp-primary");
    var cancelBtn = button("取消", "不保存，关闭", close);
    [addBtn, delBtn, undoBtn, saveBtn, cancelBtn].forEach(function (b) {
      bar.appendChild(b);
    });
    var note = el("p", "gp-help", "在图片上拖动画框；拖动方框移动，拖右下角改大小。选中方框后可用方向键移动（Shift+方向键改大小），Delete 删除，Ctrl+Z 撤销。打码框保存后会直接涂在发布的图片上。");
    var msg = el("p", "gp-status");
    msg.setAttribute("role", "status");
    msg.setAttribute("aria-live", "polite");
    var stage = el("div", "gp-stage");
    var wrap = el("div", "gp-canvas");
    var img = el("img");
    img.alt = shot.alt;
    img.draggable = false;
    img.src = API + "original?shot=" + encodeURIComponent(shot.id) + "&token=" + encodeURIComponent(token);
    wrap.appendChild(img);
    var layer = el("div", "gp-layer");
    wrap.appendChild(layer);
    stage.appendChild(wrap);
    dlg.appendChild(bar);
    dlg.appendChild(note);
    dlg.appendChild(msg);
    dlg.appendChild(stage);
    document.body.appendChild(dlg);
    document.documentElement.classList.add("gp-editing");

    function snapshot() {
      history.push(JSON.stringify(boxes));
      if (history.length > 200) history.shift();
    }
    function undo() {
      if (!history.length) return;
      boxes = JSON.parse(history.pop());
      selected = Math.min(selected, boxes.length - 1);
      draw();
    }
    function setTool(k) {
      tool = k;
      Object.keys(toolButtons).forEach(function (n) {
        toolButtons[n].setAttribute("aria-pressed", n === k ? "true" : "false");
      });
    }
    setTool("solid");

    function clamp(b) {
      b.w = Math.max(1, Math.min(Math.round(b.w), W));
      b.h = Math.max(1, Math.min(Math.round(b.h), H));
      b.x = Math.max(0, Math.min(Math.round(b.x), W - b.w));
      b.y = Math.max(0, Math.min(Math.round(b.y), H - b.h));
    }
    function describe(b, i) {
      return KINDS[b.kind] + " " + (i + 1) + "：左 " + b.x + "，上 " + b.y + "，宽 " + b.w + "，高 " + b.h;
    }
    function draw() {
      layer.textContent = "";
      var number = 0;
      boxes.forEach(function (b, i) {
        var d = el("div", "gp-box gp-" + b.kind + (i === selected ? " gp-selected" : ""));
        d.style.left = (b.x / W) * 100 + "%";
        d.style.top = (b.y / H) * 100 + "%";
        d.style.width = (b.w / W) * 100 + "%";
        d.style.height = (b.h / H) * 100 + "%";
        d.tabIndex = 0;
        d.setAttribute("role", "button");
        d.setAttribute("aria-label", describe(b, i));
        d.setAttribute("data-index", String(i));
        if (b.kind === "highlight") {
          number += 1;
          d.appendChild(el("span", "gp-num", String(number)));
          if (i === selected) {
            var input = el("input", "gp-label");
            input.type = "text";
            input.value = b.label;
            input.placeholder = "标注文字，例如：点击“下一步”";
            input.setAttribute("aria-label", "标注 " + number + " 的文字");
            input.addEventListener("pointerdown", function (e) {
              e.stopPropagation();
            });
            input.addEventListener("focus", function () {
              snapshot();
            });
            input.addEventListener("input", function () {
              b.label = input.value;
            });
            input.addEventListener("keydown", function (e) {
              e.stopPropagation();
              if (e.key === "Enter") d.focus();
            });
            d.appendChild(input);
          }
        }
        var handle = el("span", "gp-handle");
        handle.setAttribute("aria-hidden", "true");
        d.appendChild(handle);
        d.addEventListener("focus", function () {
          if (selected !== i) {
            selected = i;
            draw();
            var again = layer.querySelector('[data-index="' + i + '"]');
            if (again) again.focus();
          }
        });
        layer.appendChild(d);
      });
      delBtn.disabled = selected < 0;
      undoBtn.disabled = history.length === 0;
    }
    function focusBox(i) {
      var d = layer.querySelector('[data-index="' + i + '"]');
      if (d) d.focus();
    }
    function addBox() {
      snapshot();
      var b = { kind: tool, x: W / 4, y: H / 4, w: W / 2, h: Math.min(H / 8, W / 2), label: "" };
      clamp(b);
      boxes.push(b);
      selected = boxes.length - 1;
      draw();
      focusBox(selected);
      msg.textContent = "已添加：" + describe(b, selected);
    }
    function remove(i) {
      if (i < 0 || i >= boxes.length) return;
      snapshot();
      boxes.splice(i, 1);
      selected = -1;
      draw();
      msg.textContent = "已删除方框";
    }

    // pointer: draw, move, resize; in pixels of the original
    function toImage(e) {
      var r = img.getBoundingClientRect();
      return { x: ((e.clientX - r.left) / r.width) * W, y: ((e.clientY - r.top) / r.height) * H };
    }
    var drag = null;
    layer.addEventListener("pointerdown", function (e) {
      if (e.button !== undefined && e.button !== 0) return;
      var p = toImage(e);
      var boxEl = e.target.closest ? e.target.closest(".gp-box") : null;
      snapshot();
      if (boxEl) {
        var i = Number(boxEl.getAttribute("data-index"));
        selected = i;
        var b = boxes[i];
        drag = { mode: e.target.classList.contains("gp-handle") ? "resize" : "move", start: p, orig: { x: b.x, y: b.y, w: b.w, h: b.h }, box: b };
      } else {
        var nb = { kind: tool, x: p.x, y: p.y, w: 1, h: 1, label: "" };
        boxes.push(nb);
        selected = boxes.length - 1;
        drag = { mode: "draw", start: p, box: nb, moved: false };
      }
      e.preventDefault();
      draw();
    });
    function onMove(e) {
      if (!drag) return;
      var p = toImage(e);
      var b = drag.box;
      var dx = p.x - drag.start.x;
      var dy = p.y - drag.start.y;
      if (drag.mode === "draw") {
        b.x = Math.min(p.x, drag.start.x);
        b.y = Math.min(p.y, drag.start.y);
        b.w = Math.abs(dx);
        b.h = Math.abs(dy);
        drag.moved = true;
      } else if (drag.mode === "move") {
        b.x = drag.orig.x + dx;
        b.y = drag.orig.y + dy;
      } else {
        b.w = drag.orig.w + dx;
        b.h = drag.orig.h + dy;
      }
      clamp(b);
      draw();
    }
    function onUp(e) {
      if (!drag) return;
      onMove(e);
      var b = drag.box;
      var r = img.getBoundingClientRect();
      if (drag.mode === "draw" && (b.w / W) * r.width < 4 && (b.h / H) * r.height < 4) {
        // a click, not a box
        boxes.pop();
        history.pop();
        selected = -1;
      }
      drag = null;
      draw();
      if (selected >= 0) {
        focusBox(selected);
        msg.textContent = describe(boxes[selected], selected);
      }
    }
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);

    dlg.addEventListener("keydown", function (e) {
      if ((e.ctrlKey || e.metaKey) && (e.key === "z" || e.key === "Z")) {
        e.preventDefault();
        undo();
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        close();
        return;
      }
      if (e.key === "Tab") {
        // a modal dialog: Tab goes round its own controls, never to the page behind
        var all = dlg.querySelectorAll("button:not([disabled]), input, [tabindex='0']");
        var first = all[0];
        var last = all[all.length - 1];
        if (e.shiftKey && document.activeElement === first) {
          e.preventDefault();
          last.focus();
        } else if (!e.shiftKey && document.activeElement === last) {
          e.preventDefault();
          first.focus();
        }
        return;
      }
      var onBox = e.target.classList && e.target.classList.contains("gp-box");
      if (!onBox || selected < 0) return;
      var b = boxes[selected];
      var step = Math.max(1, Math.round(Math.max(W, H) / 100));
      var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
      if (moves[e.key]) {
        e.preventDefault();
        snapshot();
        if (e.shiftKey) {
          b.w += moves[e.key][0];
          b.h += moves[e.key][1];
        } else {
          b.x += moves[e.key][0];
          b.y += moves[e.key][1];
        }
        clamp(b);
        var i = selected;
        draw();
        focusBox(i);
        msg.textContent = describe(b, i);
      } else if (e.key === "Delete" || e.key === "Backspace") {
        e.preventDefault();
        remove(selected);
      }
    });

    function close() {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      dlg.remove();
      document.documentElement.classList.remove("gp-editing");
      if (opener && opener.focus) opener.focus();
    }

    function save() {
      var body = { redact: [], highlight: [] };
      boxes.forEach(function (b) {
        var a = { x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) };
        if (b.kind === "highlight") {
          if (b.label.trim()) a.label = b.label.trim();
          body.highlight.push(a);
        } else {
          a.style = b.kind;
          body.redact.push(a);
        }
      });
      saveBtn.disabled = true;
      msg.textContent = "正在保存…";
      post("marks", shot, JSON.stringify(body), "application/json").then(
        function (j) {
          msg.textContent = "已保存到 " + j.file + "，页面马上显示发布后的效果…";
          status(fig, "已保存到 " + j.file + "，页面马上刷新…");
          reloadSoon();
          setTimeout(close, 600);
        },
        function (e) {
          saveBtn.disabled = false;
          msg.textContent = e.message;
          msg.classList.add("gp-bad");
        }
      );
    }

    draw();
    toolButtons.solid.focus();
  }

  var shotOf = {};
  data.shots.forEach(function (s) {
    shotOf[s.id] = s;
  });
  var figs = document.querySelectorAll("figure.slot, figure.shot");
  for (var i = 0; i < figs.length; i++) {
    var f = figs[i];
    var s = f.classList.contains("slot") ? findSlot(f) : findShot(f);
    if (s) attach(f, s);
  }
  window.guidepostStudio = { open: function (id) {
    var t = document.querySelector('[data-gp-shot="' + id + '"]');
    if (t && shotOf[id]) openEditor(t, shotOf[id]);
  } };
})();
