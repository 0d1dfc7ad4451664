/* guidepost default theme: enhancements only. Every page works without this file; it is ES2017
   (checked by tests/compat, for WeChat's XWeb on Chromium 86 and iOS 13), loaded with `defer`. */
(function () {
  "use strict";

  // In WeChat on Android (and HarmonyOS) a PDF cannot be opened inside the app: say so beside
  // the link, before the tap. iOS WeChat opens PDFs, so its links stay as they are.
  var ua = navigator.userAgent;
  if (/MicroMessenger/i.test(ua) && !/iPhone|iPad|iPod/i.test(ua)) {
    var links = document.querySelectorAll('a[type="application/pdf"]');
    for (var i = 0; i < links.length; i++) {
      var hint = document.createElement("span");
      hint.className = "pdf-hint";
      hint.id = "pdf-hint-" + i;
      hint.textContent = "微信内无法直接打开 PDF：点击右上角 ··· 选择“在浏览器打开”后下载";
      links[i].setAttribute("aria-describedby", hint.id);
      links[i].parentNode.insertBefore(hint, links[i].nextSibling);
    }
  }

  // Screenshots wait in <noscript> (see the `figure` component): native lazy loading fetches
  // pictures up to ~2,500 px ahead on a slow network, most of a phone page, before the reader
  // scrolls. Here a picture is made when it is on screen; once the reader scrolls, a screen
  // ahead. All at once for printing, and on the print page, where the PDF is made.
  var waiting = document.querySelectorAll(".shot-defer");
  var show = function (canvas) {
    var box = canvas.querySelector("noscript");
    if (!box) return;
    var holder = document.createElement("span");
    holder.innerHTML = box.textContent;
    var img = holder.querySelector("img");
    if (!img) return;
    img.loading = "eager";
    canvas.replaceChild(img, box);
    canvas.classList.add("shot-live");
  };
  var showAll = function () {
    for (var w = 0; w < waiting.length; w++) show(waiting[w]);
  };
  var watch = function (margin) {
    var seen = new IntersectionObserver(function (entries) {
      for (var e = 0; e < entries.length; e++) {
        if (entries[e].isIntersecting) {
          seen.unobserve(entries[e].target);
          show(entries[e].target);
        }
      }
    }, { rootMargin: margin });
    for (var n = 0; n < waiting.length; n++) {
      if (!waiting[n].classList.contains("shot-live")) seen.observe(waiting[n]);
    }
    return seen;
  };
  if (waiting.length) {
    if (!("IntersectionObserver" in window) || document.body.classList.contains("page-print")) {
      showAll();
    } else {
      // those on screen now are made at once, so they load with the page
      for (var v = 0; v < waiting.length; v++) {
        var r = waiting[v].getBoundingClientRect();
        if (r.bottom > 0 && r.top < window.innerHeight && r.width > 0) show(waiting[v]);
      }
      var onScreen = watch("0px");
      var ahead = function () {
        window.removeEventListener("scroll", ahead);
        onScreen.disconnect();
        watch("100% 0px");
      };
      window.addEventListener("scroll", ahead, { passive: true });
      window.addEventListener("beforeprint", showAll);
    }
  }

  // The guide page shows one channel at a time through `:has(:target)` in guidepost.css. Engines
  // without `:has()` (Chromium < 105, as in WeChat's XWeb; Safari < 15.4) drop those rules and
  // show every channel one after another; here they get the same one-at-a-time view.
  var box = document.querySelector(".channels");
  var hasHas = window.CSS && CSS.supports && CSS.supports("selector(:has(*))");
  if (box && !hasHas) {
    var showChannel = function () {
      var channels = box.querySelectorAll(".channel");
      var id = "";
      try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { id = ""; }
      var target = id ? document.getElementById(id) : null;
      var current = channels[0];
      for (var j = 0; j < channels.length; j++) {
        if (target && channels[j].contains(target)) current = channels[j];
      }
      for (var k = 0; k < channels.length; k++) {
        channels[k].classList.toggle("channel-off", channels[k] !== current);
      }
    };
    showChannel();
    window.addEventListener("hashchange", showChannel);
  }
})();
