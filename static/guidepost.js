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

  // The guide page shows one channel at a time through `:has(:target)` in guidepost.css. Engines
  // without `:has()` (Chromium < 105, as in WeChat's XWeb; Safari < 15.4) drop those rules and
  // show every channel one after another; here they get the same one-at-a-time view.
  var box = document.querySelector(".channels");
  var hasHas = window.CSS && CSS.supports && CSS.supports("selector(:has(*))");
  if (box && !hasHas) {
    var show = function () {
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
    show();
    window.addEventListener("hashchange", show);
  }
})();
