// The old-engine compatibility check of a built site's CSS and JavaScript (run by
// tests/it/compat.rs; see README.md here).
//
//   node tests/compat/check.mjs FILE.css|FILE.js ...
//
// Three well-kept checkers, each against the browserslist of package.json (Chromium 86, as in
// WeChat's XWeb on Android, and iOS 13 WKWebView):
// - doiuse (caniuse data) over every CSS file: features such as `:has()` or flexbox `gap`;
// - stylelint-browser-compat (MDN's browser-compat-data) over every CSS file: properties and
//   selectors such as `inset` or `aspect-ratio` that caniuse does not list;
// - es-check over every JS file: syntax and built-ins newer than ES2017.
// Findings listed in exceptions.json (with the fallback that keeps the page readable) pass; any
// other finding, and any exception that no longer matches anything, fails with exit code 1.

import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import postcss from "postcss";
import DoIUse from "doiuse/lib/DoIUse.js";
import stylelint from "stylelint";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
const browsers = pkg.browserslist;
const exceptions = JSON.parse(readFileSync(join(here, "exceptions.json"), "utf8")).exceptions;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node check.mjs FILE.css|FILE.js ...");
  process.exit(2);
}
const css = files.filter((f) => f.endsWith(".css"));
const js = files.filter((f) => f.endsWith(".js"));

/** @type {{checker: string, feature: string, file: string, line: number, message: string}[]} */
const findings = [];

for (const file of css) {
  const text = readFileSync(file, "utf8");
  await postcss([
    new DoIUse({
      browsers,
      onFeatureUsage: (u) => {
        findings.push({
          checker: "doiuse",
          feature: u.feature,
          file,
          line: u.usage?.source?.start?.line ?? 0,
          message: u.message,
        });
      },
    }),
  ]).process(text, { from: file });
}

if (css.length > 0) {
  const result = await stylelint.lint({
    files: css,
    config: {
      plugins: ["stylelint-browser-compat"],
      rules: { "plugin/browser-compat": [true, { browserslist: browsers }] },
    },
    configBasedir: here,
  });
  for (const r of result.results) {
    for (const w of r.warnings) {
      const m = /featureId: ([^)]+)\)/.exec(w.text);
      findings.push({
        checker: "stylelint-browser-compat",
        feature: m ? m[1] : w.rule,
        file: r.source,
        line: w.line,
        message: w.text,
      });
    }
    for (const e of r.parseErrors ?? []) {
      findings.push({ checker: "stylelint", feature: "parse-error", file: r.source, line: e.line, message: e.text });
    }
  }
}

for (const file of js) {
  const bin = join(here, "node_modules", ".bin", "es-check");
  try {
    execFileSync(bin, ["es2017", "--checkFeatures", "--noColor", file], { encoding: "utf8", stdio: "pipe" });
  } catch (e) {
    findings.push({
      checker: "es-check",
      feature: "es2017",
      file,
      line: 0,
      message: `${e.stdout ?? ""}${e.stderr ?? ""}`
        .split("\n")
        .filter((l) => /Unsupported|error:/.test(l) && !/erroring file|ES version matching/.test(l))
        .map((l) => l.trim())
        .filter((l, i, all) => all.indexOf(l) === i)
        .join(" "),
    });
  }
}

const used = new Set();
const failures = [];
for (const f of findings) {
  const i = exceptions.findIndex(
    (x) => x.checker === f.checker && x.feature === f.feature && (!x.file || x.file === basename(f.file)),
  );
  if (i >= 0) used.add(i);
  else failures.push(f);
}
const stale = exceptions.filter((_, i) => !used.has(i));

for (const f of failures) {
  console.log(`${f.file}:${f.line}: [${f.checker} ${f.feature}] ${f.message}`);
}
for (const x of stale) {
  console.log(`exceptions.json: [${x.checker} ${x.feature}${x.file ? " in " + x.file : ""}] matches nothing any more: remove it`);
}
console.log(
  `${css.length} CSS and ${js.length} JS files, ${findings.length} findings, ` +
    `${findings.length - failures.length} excepted, ${failures.length} failures, ${stale.length} stale exceptions`,
);
process.exit(failures.length > 0 || stale.length > 0 ? 1 : 0);
