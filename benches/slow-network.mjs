// A guide page on an emulated slow 3G connection (Chromium's network emulation: 400 kbit/s down,
// 400 kbit/s up, 400 ms round trip), from a cold cache, at a phone's viewport: when the step text
// is readable (first contentful paint), which requests block rendering, how many bytes arrive
// before the reader scrolls and which screenshots load only after scrolling.
//
//   node benches/slow-network.mjs URL [URL ...]        (run by benches/slow-network.sh)
//
// Uses playwright-core from tests/compat/node_modules with Debian's /usr/bin/chromium.

import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, "../tests/compat/package.json"));
const { chromium } = require("playwright-core");

const urls = process.argv.slice(2);
const runs = Number(process.env.RUNS || 3);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-quic"],
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const url of urls) {
  const results = [];
  for (let r = 0; r < runs; r++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send("Network.enable");
    await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
    await cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency: 400,
      downloadThroughput: (400 * 1000) / 8,
      uploadThroughput: (400 * 1000) / 8,
    });
    const requests = [];
    cdp.on("Network.responseReceived", (e) => requests.push({ id: e.requestId, url: e.response.url, type: e.type }));
    const sizes = new Map();
    cdp.on("Network.loadingFinished", (e) => sizes.set(e.requestId, e.encodedDataLength));
    await page.goto(url, { waitUntil: "load", timeout: 120000 });
    await page.waitForTimeout(500);
    const m = await page.evaluate(() => {
      const fcp = performance.getEntriesByName("first-contentful-paint")[0];
      const nav = performance.getEntriesByType("navigation")[0];
      const blocking = performance
        .getEntriesByType("resource")
        .filter((e) => e.renderBlockingStatus === "blocking")
        .map((e) => e.name);
      // every screenshot with the URLs it may fetch (src and srcset), whether guidepost.js has
      // made its picture yet or it still waits in <noscript>
      const urls = (fig) => {
        const box = fig.querySelector("noscript");
        // an inert document: parsing there fetches nothing
        const img = box ? new DOMParser().parseFromString(box.textContent, "text/html").querySelector("img") : fig.querySelector("img");
        if (!img) return [];
        const set = (img.getAttribute("srcset") || "").split(",").map((c) => c.trim().split(/\s+/)[0]);
        return [img.getAttribute("src"), ...set].filter(Boolean).map((u) => new URL(u, location.href).href);
      };
      const figures = Array.from(document.querySelectorAll("figure.shot")).filter((f) => f.offsetParent !== null);
      const belowFigures = figures.filter((f) => f.getBoundingClientRect().top > window.innerHeight);
      // a picture shown above the fold too (the same file twice) does not count as fetched for below
      const above = new Set(figures.filter((f) => !belowFigures.includes(f)).flatMap(urls));
      const below = belowFigures.map((f) => urls(f).filter((u) => !above.has(u)));
      const belowBy = belowFigures.map((f) => Math.round(f.getBoundingClientRect().top - window.innerHeight));
      return {
        fcp: fcp ? fcp.startTime : null,
        load: nav ? nav.loadEventEnd : null,
        blocking,
        shots: figures.length,
        below,
        belowBy,
      };
    });
    const before = requests.map((q) => q.url);
    const loadedBy = m.below.map((us, i) => (us.some((u) => before.includes(u)) ? m.belowBy[i] : null)).filter((x) => x !== null);
    const belowLoaded = loadedBy.length;
    const bytes = requests.reduce((s, q) => s + (sizes.get(q.id) || 0), 0);
    const count = requests.length;
    // then the reader scrolls to the end: every screenshot must arrive
    await page.evaluate(async () => {
      for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
        window.scrollTo(0, y);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
    await page.waitForFunction(
      () => Array.from(document.querySelectorAll("figure.shot")).filter((f) => f.offsetParent !== null)
        .every((f) => { const i = f.querySelector("img"); return i && i.complete; }),
      null, { timeout: 120000, polling: 200 },
    ).catch(() => {});
    const after = await page.evaluate(() =>
      Array.from(document.querySelectorAll("figure.shot img")).filter((i) => i.offsetParent !== null && i.complete && i.naturalWidth > 0).length,
    );
    results.push({ ...m, belowLoaded, loadedBy, after, bytes, requests: count });
    await context.close();
  }
  const last = results[results.length - 1];
  console.log(
    JSON.stringify({
      url,
      runs,
      fcp_ms: Math.round(median(results.map((x) => x.fcp))),
      load_ms: Math.round(median(results.map((x) => x.load))),
      bytes_before_scroll: median(results.map((x) => x.bytes)),
      requests_before_scroll: median(results.map((x) => x.requests)),
      render_blocking: last.blocking.map((u) => new URL(u).pathname),
      screenshots: last.shots,
      screenshots_below_the_fold: last.below.length,
      of_them_loaded_before_scrolling: last.belowLoaded,
      their_px_below_the_fold: last.loadedBy,
      shown_after_scrolling_to_the_end: last.after,
    }),
  );
}
await browser.close();
