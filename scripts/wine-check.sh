#!/usr/bin/env bash
# guidepost.exe under Wine, against the Linux build of the same source (issue 15). CI runs it
# (.ci/run); by hand: `bash scripts/wine-check.sh`.
#
# It cross-builds guidepost.exe (profile `dist`: the exe the zip ships), checks that
# it imports only Windows' own DLLs, and runs it under Wine on copies of the sample site and of
# a fixture with a GBK file, BOM + CRLF files and real screenshots (resized, redacted,
# highlighted), from folders whose names hold Chinese characters and spaces, given as Windows
# paths (`--root 'C:\…\示例 站点'`, backslashes, a relative `.\…`). It fails when:
# - the Windows build's output differs from the Linux build's in any file name or byte;
# - `check`, `shots`, `links` (JSON, CSV, text) say anything different from Linux's, or the
#   terminal diagnostics do not show Windows paths (`content\gbk-files\web.md:…`);
# - a failed build touches the previous output;
# - `init` and `new` write other files than on Linux, or their site does not build the same;
# - `pdf` does not find a browser through the registry's App Paths (a stand-in msedge.exe);
# - `serve` does not serve the pages, or a double-click start does not say in Chinese what to do.
#
# Environment: GUIDEPOST_EXE (check this exe instead of building one), GUIDEPOST_LINUX (the
# Linux binary to compare with; default: the debug build `cargo test` made), GUIDEPOST_WINEPREFIX
# (default ~/.cache/guidepost-wine, made on first use, ~15 s).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/guidepost-target}"
t0=$(date +%s)
say() { echo "wine-check: $*"; }
fail() {
  echo "wine-check: FAILED: $*" >&2
  exit 1
}

# --- the two binaries
exe="${GUIDEPOST_EXE:-}"
if [ -z "$exe" ]; then
  start=$(date +%s)
  cargo build --locked --quiet --target x86_64-pc-windows-gnu --profile dist
  exe="$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/dist/guidepost.exe"
  say "cross build (profile dist): $(($(date +%s) - start)) s"
fi
linux="${GUIDEPOST_LINUX:-}"
if [ -z "$linux" ]; then
  cargo build --locked --quiet
  linux="$CARGO_TARGET_DIR/debug/guidepost"
fi
say "$(basename "$exe"): $(stat -c %s "$exe") bytes"
scripts/windows-imports.sh "$exe"

# --- Wine: a prefix of our own, no display, no noise
export WINEPREFIX="${GUIDEPOST_WINEPREFIX:-$HOME/.cache/guidepost-wine}"
export WINEDEBUG=-all
# no Mono or Gecko installers (they would ask through a window)
export WINEDLLOVERRIDES="mscoree=;mshtml="
unset DISPLAY WAYLAND_DISPLAY
wine=wine
command -v wine >/dev/null || wine=/usr/lib/wine/wine64
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  start=$(date +%s)
  mkdir -p "$WINEPREFIX"
  timeout 600 "$wine" wineboot --init >/dev/null 2>&1 || true
  timeout 120 wineserver -w || true
  [ -f "$WINEPREFIX/system.reg" ] || fail "Wine did not make its prefix in $WINEPREFIX"
  say "new Wine prefix: $(($(date +%s) - start)) s"
fi
# Wine 8 lacks bcryptprimitives.dll (ProcessPrng), which every Rust exe imports: a stand-in, in
# this prefix only (see scripts/wine/bcryptprimitives.c)
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ] || [ scripts/wine/bcryptprimitives.c -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -s -o "$shim" scripts/wine/bcryptprimitives.c
fi

# --- the sites: one copy for Linux, one under C:\ for Windows
drive_c="$WINEPREFIX/drive_c"
work="$drive_c/guidepost 检查"
win='C:\guidepost 检查'
rm -rf "$work"
mkdir -p "$work"
lin=$(mktemp -d)
trap 'rm -rf "$lin"' EXIT

# the fixture: real screenshots (tests/fixtures/print) with a redaction and a highlight, a GBK
# guide, a BOM + CRLF guide
fixture="$lin/fixture-src"
cp -r tests/fixtures/print "$fixture"
mkdir -p "$fixture/content/gbk-files" "$fixture/content/bom-crlf"
cp tests/fixtures/encoding/content/g/_index.md tests/fixtures/encoding/content/g/web.md "$fixture/content/gbk-files/"
cp tests/fixtures/bom-crlf/content/g/* "$fixture/content/bom-crlf/"
printf '[[redact]]\r\nrect = [20, 120, 200, 40]\r\nstyle = "mosaic"\r\n\r\n[[highlight]]\r\nrect = [20, 300, 350, 80]\r\nlabel = "点击“获取”"\r\n' \
  >"$fixture/content/image-code/images/phone.png.toml"
file "$fixture/content/gbk-files/web.md" | grep -q 'ISO-8859' || fail "the GBK file is not GBK"
file "$fixture/content/bom-crlf/web.md" | grep -q 'BOM.*CRLF' || fail "the BOM file has no BOM or CRLF"

for site in "示例 站点" "编码 站点"; do
  for dest in "$lin/$site" "$work/$site"; do
    mkdir -p "$dest"
    if [ "$site" = "示例 站点" ]; then
      cp -r site.toml content links.lock "$dest/"
    else
      cp -r "$fixture/." "$dest/"
    fi
  done
done

run() { # run NAME ARGS…: guidepost.exe under Wine; stdout, stderr and exit code into $lin/win-NAME.*
  local name=$1
  shift
  local start
  start=$(date +%s%N)
  set +e
  "$wine" "$exe" "$@" >"$lin/win-$name.out" 2>"$lin/win-$name.err" </dev/null
  echo $? >"$lin/win-$name.rc"
  set -e
  echo "$name $(( ($(date +%s%N) - start) / 1000000 ))" >>"$lin/times"
}
lrun() { # the same on Linux
  local name=$1
  shift
  set +e
  "$linux" "$@" >"$lin/lin-$name.out" 2>"$lin/lin-$name.err" </dev/null
  echo $? >"$lin/lin-$name.rc"
  set -e
}
same() { # same NAME: both exited alike and printed the same on stdout
  local name=$1
  [ "$(cat "$lin/win-$name.rc")" = "$(cat "$lin/lin-$name.rc")" ] ||
    fail "$name: exit code $(cat "$lin/win-$name.rc") on Windows, $(cat "$lin/lin-$name.rc") on Linux; $(cat "$lin/win-$name.err")"
  cmp -s "$lin/win-$name.out" "$lin/lin-$name.out" ||
    fail "$name: the output differs from Linux's: $(diff "$lin/lin-$name.out" "$lin/win-$name.out" | head -20)"
}
same_tree() { # same_tree LINUX_DIR WINDOWS_DIR: the same file names and bytes
  diff -r "$1" "$2" >"$lin/tree.diff" 2>&1 || fail "the Windows build's output differs from Linux's:
$(head -40 "$lin/tree.diff")"
}
ok() { [ "$(cat "$lin/win-$1.rc")" = 0 ] || fail "$1 exited with $(cat "$lin/win-$1.rc"): $(cat "$lin/win-$1.err")"; }

# --- build: the same site, file for file
for site in "示例 站点" "编码 站点"; do
  key=${site%% *}
  run "build-$key" build --no-lock --root "$win\\$site" --output "$win\\out\\$key"
  ok "build-$key"
  lrun "build-$key" build --no-lock --root "$lin/$site" --output "$lin/out/$key"
  same_tree "$lin/out/$key" "$work/out/$key"
  say "build $site: $(find "$work/out/$key" -type f | wc -l) files, identical to Linux's"
done
grep -qF '= note: in content\gbk-files\web.md' "$lin/win-build-编码.err" ||
  fail "the GBK warning does not show a Windows path: $(cat "$lin/win-build-编码.err")"
[ "$(find "$work/out/编码" -name '*.webp' -o -name '*.png' | wc -l)" -ge 4 ] || fail "no screenshots in the output"

# a relative root with backslashes, from the site's parent folder (Wine starts in the same folder)
(cd "$work" && "$wine" "$exe" build --no-lock --quiet --root '.\编码 站点' --output '.\out\relative' </dev/null 2>/dev/null) ||
  fail "build with a relative Windows path failed"
same_tree "$lin/out/编码" "$work/out/relative"

# --- check, shots, links: the same answers (JSON keeps `/`, the terminal shows `\`)
for site in "示例 站点" "编码 站点"; do
  key=${site%% *}
  for cmd in "check --format json" "shots --format json" "shots --format csv" "shots" \
    "links --format json" "links --format csv" "links --steps"; do
    name="${cmd// /-}-$key"
    # shellcheck disable=SC2086
    run "$name" $cmd --root "$win\\$site"
    # shellcheck disable=SC2086
    lrun "$name" $cmd --root "$lin/$site"
    same "$name"
  done
done
grep -q '"file": *"content/gbk-files/web.md"' "$lin/win-check---format-json-编码.out" ||
  fail "check --format json does not keep / in paths"
run check-text check --root "$win\\编码 站点"
grep -qF -- '--> content\image-code\web.md:' "$lin/win-check-text.err" ||
  fail "check does not show Windows paths: $(cat "$lin/win-check-text.err")"
say "check, shots and links: the same as on Linux"

# --- a failed build leaves the previous output as it was
printf '\n## 坏的一步\n\n![](images/x.png){\n+++\nbroken = \n' >>"$work/编码 站点/content/renew-card/web.md"
printf '+++\ntitle = 1\n' >"$work/编码 站点/content/renew-card/_index.md"
run build-broken build --no-lock --root "$win\\编码 站点" --output "$win\\out\\编码"
[ "$(cat "$lin/win-build-broken.rc")" = 1 ] || fail "a broken site built (exit $(cat "$lin/win-build-broken.rc"))"
grep -q 'was left unchanged' "$lin/win-build-broken.err" ||
  fail "the failed build did not say so: $(cat "$lin/win-build-broken.err" "$lin/win-build-broken.out")"
same_tree "$lin/out/编码" "$work/out/编码"
ls -a "$work/out" | grep -q staging && fail "a failed build left its staging folder"
say "a failed build left the previous output untouched"

# --- init and new: the same files, a site that builds at once
run init init "$win\\新 站点"
ok init
lrun init init "$lin/新 站点"
run new new renew-card --channels web,wechat --title 补办校园卡 --root "$win\\新 站点"
ok new
lrun new new renew-card --channels web,wechat --title 补办校园卡 --root "$lin/新 站点"
same_tree "$lin/新 站点" "$work/新 站点"
run init-again init "$win\\新 站点"
[ "$(cat "$lin/win-init-again.rc")" = 2 ] || fail "init overwrote a site"
run init-build build --no-lock --root "$win\\新 站点" --output "$win\\out\\新"
ok init-build
lrun init-build build --no-lock --root "$lin/新 站点" --output "$lin/out/新"
same_tree "$lin/out/新" "$work/out/新"
grep -qF 'content\renew-card\wechat.md' "$lin/win-new.err" || fail "new does not list Windows paths"
say "init and new: the same files as on Linux; the new site builds"

# --- pdf: a browser found through the registry's App Paths (a stand-in msedge.exe)
mkdir -p "$work/浏览器"
x86_64-w64-mingw32-gcc -municode -O2 -s -o "$work/浏览器/msedge.exe" scripts/wine/fake-browser.c
"$wine" reg add 'HKCU\Software\Microsoft\Windows\CurrentVersion\App Paths\msedge.exe' /ve /d "$win\\浏览器\\msedge.exe" /f >/dev/null 2>&1 ||
  fail "cannot write the Wine registry"
run pdf pdf --root "$win\\示例 站点" --output "$win\\out\\pdf"
ok pdf
"$wine" reg delete 'HKCU\Software\Microsoft\Windows\CurrentVersion\App Paths\msedge.exe' /f >/dev/null 2>&1 || true
grep -q 'guidepost wine-check stand-in' "$work/out/pdf/xuexin-image-code/xuexin-image-code.pdf" ||
  fail "pdf did not print with the browser of App Paths"
grep -qF 'file:///C:/guidepost%20%E6%A3%80%E6%9F%A5/' "$work/浏览器/args.txt" ||
  fail "the browser was not given a file:///C:/… URL: $(cat "$work/浏览器/args.txt")"
say "pdf: found msedge.exe through App Paths, gave it $(grep -c '^file:' "$work/浏览器/args.txt") page(s)"

# --- serve, and a double-click start
port=$((20000 + RANDOM % 20000))
"$wine" "$exe" serve --root "$win\\示例 站点" --port "$port" >"$lin/serve.out" 2>"$lin/serve.err" </dev/null &
serve_pid=$!
for _ in $(seq 1 100); do
  curl -fsS -o "$lin/served.html" "http://127.0.0.1:$port/xuexin-image-code/" 2>/dev/null && break
  sleep 0.2
done
grep -q '学信网图像采集码获取流程' "$lin/served.html" 2>/dev/null ||
  fail "serve did not serve the guide: $(cat "$lin/serve.err")"
# a save as Word, WPS and Typora make it: a temporary file, renamed over the old one
channel="$work/示例 站点/content/xuexin-image-code/web.md"
sed 's/## 登录学信网学信档案/## 登录学信网（Wine 改过）/' "$channel" >"$channel.~tmp"
mv -f "$channel.~tmp" "$channel"
seen=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/xuexin-image-code/web/" 2>/dev/null | grep -q 'Wine 改过'; then
    seen=yes
    break
  fi
  sleep 0.2
done
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
[ -n "$seen" ] || fail "serve did not rebuild after a save by rename: $(cat "$lin/serve.err")"
grep -qF '(content\xuexin-image-code\web.md ' "$lin/serve.err" ||
  fail "serve does not log the changed file as a Windows path: $(cat "$lin/serve.err")"
say "serve: answered on port $port, rebuilt after a save by rename"

# a double-click in a site folder: the preview, the browser opened (Wine hands the URL to the
# Unix command its registry names: here one that writes it down), how to stop in Chinese
printf '#!/bin/sh\necho "$@" >>"%s/opened"\n' "$lin" >"$lin/browser.sh"
chmod +x "$lin/browser.sh"
"$wine" reg add 'HKCU\Software\Wine\WineBrowser' /v Browsers /d "$lin/browser.sh" /f >/dev/null 2>&1 ||
  fail "cannot write the Wine registry"
(cd "$work/示例 站点" && GUIDEPOST_DOUBLE_CLICK=1 exec "$wine" "$exe" >/dev/null 2>"$lin/dbl-site.err" </dev/null) &
serve_pid=$!
for _ in $(seq 1 100); do
  [ -s "$lin/opened" ] && break
  sleep 0.2
done
url=$(sed -n 's/^serving .* at \(http:[^ ]*\) .*/\1/p' "$lin/dbl-site.err")
served=$(curl -fsS "${url}xuexin-image-code/" 2>/dev/null || true)
kill "$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
"$wine" reg delete 'HKCU\Software\Wine\WineBrowser' /v Browsers /f >/dev/null 2>&1 || true
grep -q '要停止预览，请关闭这个窗口，或按 Ctrl+C' "$lin/dbl-site.err" ||
  fail "a double-click in a site did not say how to stop: $(cat "$lin/dbl-site.err")"
[[ "$served" == *学信网图像采集码获取流程* ]] || fail "a double-click in a site served nothing at ${url:-?}: $(cat "$lin/dbl-site.err")"
grep -qF "$url" "$lin/opened" 2>/dev/null || fail "a double-click in a site did not open $url in the browser"

mkdir -p "$work/空文件夹"
cp "$exe" "$work/空文件夹/guidepost.exe"
(cd "$work/空文件夹" && echo | GUIDEPOST_DOUBLE_CLICK=1 "$wine" guidepost.exe >/dev/null 2>"$lin/dbl-empty.err") ||
  fail "a double-click in an empty folder failed: $(cat "$lin/dbl-empty.err")"
grep -q '输入 y 并按 Enter' "$lin/dbl-empty.err" || fail "a double-click in an empty folder did not offer a site"
[ ! -e "$work/空文件夹/site.toml" ] || fail "a double-click made a site without being asked"
set +e
(cd "$work/out" && GUIDEPOST_DOUBLE_CLICK=1 "$wine" "$exe" >/dev/null 2>"$lin/dbl-else.err" </dev/null)
rc=$?
set -e
[ $rc = 2 ] && grep -q '这里没有站点' "$lin/dbl-else.err" && grep -q '按 Enter 键关闭' "$lin/dbl-else.err" ||
  fail "a double-click outside a site did not explain (exit $rc): $(cat "$lin/dbl-else.err")"
say "double-click: explained in Chinese and waited for Enter"

wineserver -k >/dev/null 2>&1 || true
say "Wine run times (ms): $(sort -k2 -n -r "$lin/times" | head -5 | tr '\n' ';' | sed 's/;/; /g')"
say "all checks passed in $(($(date +%s) - t0)) s"
