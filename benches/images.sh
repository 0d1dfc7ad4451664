#!/usr/bin/env bash
# guidepost image benchmark: 100 phone screenshots (1170x2532 PNG), cold and warm.
#
# What it measures
#   A site of 10 guides x 1 phone channel x 10 steps, one screenshot per step (100 PNGs of
#   1170x2532, about 1.3 MB each, drawn by examples/gen_shots.rs: text-like glyph rows, cards,
#   buttons and a photo-like banner with noise), built with the release binary:
#     cold  : the image cache (ROOT/.guidepost-cache) removed before each run: every screenshot
#             is decoded, resized to 300 and 600 px, encoded (WebP vs PNG) and written
#     warm  : the same build again, cache in place: each screenshot is hashed and its cached
#             files are linked into the output
#     none  : the same site with the screenshots moved away (slots instead): the build without
#             any image work, so "warm - none" is what the images add to a rebuild
#   RUNS timed runs each (default 3), median of wall-clock seconds (bash's `time`), output
#   to a fresh folder each run. Targets (issue 3, on 2 cores): cold < 10 s, warm - none < 0.1 s.
#   Also printed: published bytes per screenshot (what a phone downloads: the 600 px variant)
#   against the original's.
#
# How to run
#   benches/images.sh                      # from anywhere
#   BENCH_DIR=/tmp/guidepost-img RUNS=5 benches/images.sh
#   COUNT=100 sets the number of screenshots (a multiple of 10).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/guidepost-img-bench}
RUNS=${RUNS:-3}
COUNT=${COUNT:-100}
GUIDES=$((COUNT / 10))

cd "$REPO"
cargo build --release --quiet --bin guidepost --example gen_shots
BIN=$REPO/target/release/guidepost
GEN=$REPO/target/release/examples/gen_shots

SITE=$BENCH_DIR/site
if [ ! -f "$SITE/.complete-$COUNT" ]; then
    rm -rf "$SITE"
    mkdir -p "$SITE/content"
    printf 'title = "图片基准"\n\n[channels.app]\nname = "APP"\ndevice = "phone"\n' > "$SITE/site.toml"
    "$GEN" "$BENCH_DIR/shots" "$COUNT"
    n=0
    for g in $(seq 1 "$GUIDES"); do
        d=$SITE/content/guide-$g
        mkdir -p "$d/images"
        printf '+++\ntitle = "指南 %s"\n+++\n' "$g" > "$d/_index.md"
        {
            printf '+++\ntitle = "APP"\n+++\n'
            for s in $(seq 1 10); do
                n=$((n + 1))
                cp "$BENCH_DIR/shots/shot-$(printf %03d $n).png" "$d/images/step-$s.png"
                printf '\n## 第 %s 步\n\n点击按钮。\n\n![第 %s 步的页面](images/step-%s.png)\n' "$s" "$s" "$s"
            done
        } > "$d/app.md"
    done
    touch "$SITE/.complete-$COUNT"
fi

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
TIMEFORMAT=%R
run() { # label, then the command; prints the wall time
    local out=$BENCH_DIR/out
    rm -rf "$out" "$BENCH_DIR/.out.staging"
    { time "$BIN" build --root "$SITE" --output "$out" --quiet >/dev/null 2>"$BENCH_DIR/$1.log"; } 2>&1
}

cold=(); warm=(); none=()
for _ in $(seq 1 "$RUNS"); do
    rm -rf "$SITE/.guidepost-cache"
    sync
    cold+=("$(run cold)")
done
for _ in $(seq 1 "$RUNS"); do warm+=("$(run warm)"); done
# the same site without its pictures
mv "$SITE/content" "$BENCH_DIR/content.bak"
mkdir -p "$SITE/content"
cp -r "$BENCH_DIR/content.bak/." "$SITE/content/"
find "$SITE/content" -name '*.png' -delete
for _ in $(seq 1 "$RUNS"); do none+=("$(run none)"); done
rm -rf "$SITE/content"
mv "$BENCH_DIR/content.bak" "$SITE/content"
run warm >/dev/null

c=$(printf '%s\n' "${cold[@]}" | median)
w=$(printf '%s\n' "${warm[@]}" | median)
z=$(printf '%s\n' "${none[@]}" | median)
orig=$(du -cb "$SITE"/content/*/images/*.png | tail -1 | cut -f1)
pub2x=$(du -cb "$BENCH_DIR"/out/*/images/*.600.* | tail -1 | cut -f1)
pub1x=$(du -cb "$BENCH_DIR"/out/*/images/*.300.* | tail -1 | cut -f1)
full=$(find "$BENCH_DIR"/out -name 'step-*' ! -name '*.300.*' ! -name '*.600.*' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "guidepost image benchmark: $COUNT screenshots 1170x2532, $(nproc) cores, median of $RUNS"
printf '  cold build           %6.2f s   (target < 10 s)\n' "$c"
printf '  warm build           %6.2f s\n' "$w"
printf '  same site, no images %6.2f s\n' "$z"
printf '  images add (warm)    %6.3f s   (target < 0.1 s)\n' "$(echo "$w - $z" | bc -l)"
printf '  bytes per screenshot: original %d KB, 2x (600 px) %d KB (%.1fx smaller), 1x %d KB, full %d KB\n' \
    $((orig / COUNT / 1024)) $((pub2x / COUNT / 1024)) "$(echo "$orig / $pub2x" | bc -l)" \
    $((pub1x / COUNT / 1024)) $((full / COUNT / 1024))
