#!/usr/bin/env bash
# Guide pages on emulated slow 3G (400 kbit/s, 400 ms RTT), cold cache, phone viewport: first
# contentful paint, render-blocking requests, bytes before scrolling, lazy screenshots.
#
#   benches/slow-network.sh [GUIDEPOST_BIN]      (RUNS=3 by default)
#
# Needs `npm ci --prefix tests/compat` (playwright-core), chromium and python3 (a plain static
# server, as on a campus host: no compression).
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-${GUIDEPOST_BIN:-target/release/guidepost}}"
server=""; work="$(mktemp -d)"; trap '[ -n "$server" ] && kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin" build --quiet --no-lock --output "$work/sample" >/dev/null
"$bin" build --quiet --no-lock --root tests/fixtures/print --output "$work/shots" >/dev/null
# a guide of the benchmark corpus: 3 channels of 4-6 steps, a screenshot each
python3 ../shared/bench/gen_corpus.py 1 "$work/corpus" --layouts guidepost >/dev/null 2>&1 \
  || python3 "${GEN_CORPUS:-/work/shared/bench/gen_corpus.py}" 1 "$work/corpus" --layouts guidepost >/dev/null
"$bin" build --quiet --no-lock --root "$work/corpus/guidepost" --output "$work/corpus-site" >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$work" >/dev/null 2>&1 & server=$!
sleep 0.5
node benches/slow-network.mjs \
  "http://127.0.0.1:$port/sample/xuexin-image-code/index.html" \
  "http://127.0.0.1:$port/sample/xuexin-image-code/wechat/index.html" \
  "http://127.0.0.1:$port/shots/image-code/index.html" \
  "http://127.0.0.1:$port/corpus-site/00001-chsi-image-code/index.html" \
  "http://127.0.0.1:$port/corpus-site/00001-chsi-image-code/web/index.html"
