#!/usr/bin/env bash
# Search at N guides: index bytes, bytes a first query loads, query latency in the browser, and
# what the index adds to a build.
#
#   benches/search.sh [N …]            (default: 100 1000)
#
# The corpus is ../shared/bench/gen_corpus.py's (N guides, 4N pages), generated once into
# BENCH_DIR (default /dev/shm/gpsearch). The build time is a full build into an empty folder
# (release binary BIN, default target/release/guidepost), median of RUNS (default 5) runs,
# alternating with the same site built with `search = false` in site.toml, the screenshot and
# QR caches warm; with search three ways: its index in the cache (`.guidepost-cache/search/`,
# as after a build of the same text), after an edit (a line added to one channel file before
# each run: the index is assembled again from the guides' parts in
# `.guidepost-cache/search/parts.bin`, one of them made anew), and made anew (that cache deleted
# before each run, as in a first build). The browser figures
# come from examples/search_bench.rs (headless Chromium, the output served uncompressed from
# 127.0.0.1): for each query in QUERIES, in a fresh tab, the search data the first query loads
# (manifest, token shards, document shards of the first six results) and the median time of the
# same query once loaded, through the API and through the header field. Needs GNU time, python3.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZES=${*:-100 1000}
RUNS=${RUNS:-5}
BENCH_DIR=${BENCH_DIR:-/dev/shm/gpsearch}
BIN=${BIN:-$REPO/target/release/guidepost}
GEN_CORPUS=${GEN_CORPUS:-$REPO/../shared/bench/gen_corpus.py}
QUERIES=${QUERIES:-采集码 公众号 码 app 图像采集码 学信网账号登录 登录学信网后点击学籍学历信息页面底部的图像采集码按钮 ＶＰＮ 火星基地}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "search.sh: GNU time is needed (apt-get install time)" >&2; exit 2; }
[ -x "$BIN" ] || { echo "search.sh: no $BIN (cargo build --release, or BIN=…)" >&2; exit 2; }
EXAMPLE=${EXAMPLE:-${CARGO_TARGET_DIR:-$REPO/target}/debug/examples/search_bench}
[ -n "${NO_EXAMPLE_BUILD:-}" ] || (cd "$REPO" && cargo build --quiet --example search_bench)
mkdir -p "$BENCH_DIR"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

for N in $SIZES; do
    CORPUS=$BENCH_DIR/corpus-$N
    if [ ! -d "$CORPUS/guidepost" ]; then
        rm -rf "$CORPUS.tmp"
        python3 "$GEN_CORPUS" "$N" "$CORPUS.tmp" --layouts guidepost >&2
        mv "$CORPUS.tmp" "$CORPUS"
    fi
    ON=$CORPUS/guidepost
    OFF=$CORPUS/guidepost-off
    if [ ! -d "$OFF" ]; then
        cp -r "$ON" "$OFF"
        rm -rf "$OFF/.guidepost-cache"
        printf '\nsearch = false\n' >>"$OFF/site.toml"
    fi
    run() {   # run SITE LABEL
        local out=$BENCH_DIR/out-$2
        rm -rf "$out" "$BENCH_DIR/.out-$2.staging" "$BENCH_DIR/.out-$2.old"
        [ "$2" != cold ] || rm -rf "$1/.guidepost-cache/search"
        if [ "$2" = edit ]; then
            edits=$((edits + 1))
            printf '\n补充说明第 %d 条。\n' "$edits" >>"$EDITED"
        fi
        "$TIME" -f '%e' -o "$BENCH_DIR/last" "$BIN" build --root "$1" --output "$out" --quiet --no-lock >/dev/null
        cat "$BENCH_DIR/last" >>"$BENCH_DIR/$2.times"
    }
    # the channel file the edit runs add a line to (the last guide's first channel)
    EDITED=$(find "$ON/content" -name '*.md' ! -name '_index.md' | sort | tail -n 1)
    edits=0
    rm -f "$BENCH_DIR"/{on,off,cold,edit}.times
    run "$ON" on && run "$OFF" off     # warm-up: caches, page cache
    rm -f "$BENCH_DIR"/{on,off,cold,edit}.times
    for _ in $(seq "$RUNS"); do run "$OFF" off; run "$ON" cold; run "$ON" on; run "$ON" edit; done
    on=$(median <"$BENCH_DIR/on.times"); off=$(median <"$BENCH_DIR/off.times")
    cold=$(median <"$BENCH_DIR/cold.times"); edit=$(median <"$BENCH_DIR/edit.times")
    PUB=$BENCH_DIR/out-on
    index=$(find "$PUB/search" -name '*.js' -printf '%s\n' | awk '{ s += $1 } END { print s }')
    files=$(find "$PUB/search" -name '*.js' | wc -l)
    html=$(find "$PUB" -name '*.html' -printf '%s\n' | awk '{ s += $1 } END { print s }')
    # the text of the site's HTML: what a reader sees (script and style contents left out,
    # runs of white space as one), in UTF-8 bytes
    text=$(python3 - "$PUB" <<'PY'
import os, sys
from html.parser import HTMLParser
class Text(HTMLParser):
    n, skip = 0, False
    def handle_starttag(self, tag, attrs): self.skip = tag in ("script", "style")
    def handle_endtag(self, tag): self.skip = False
    def handle_data(self, d):
        if not self.skip: self.n += len(" ".join(d.split()).encode())
total = 0
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        if f.endswith(".html"):
            p = Text(); p.feed(open(os.path.join(root, f), encoding="utf-8").read()); total += p.n
print(total)
PY
)
    pct() { awk -v a="$off" -v b="$1" 'BEGIN { printf "%+.1f%%", (b / a - 1) * 100 }'; }
    echo "== N=$N guides: build $off s without search; with: $on s, index from the cache ($(pct "$on")), $edit s after an edit ($(pct "$edit")), $cold s, index made anew ($(pct "$cold")); median of $RUNS"
    echo "   index: $index bytes in $files files; the site's HTML: $html bytes, its text $text bytes (index/text $(awk -v a="$index" -v b="$text" 'BEGIN { printf "%.2f", a / b }'))"
    # shellcheck disable=SC2086
    "$EXAMPLE" "$PUB" $QUERIES
    rm -rf "$BENCH_DIR/out-off"
done
