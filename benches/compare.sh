#!/usr/bin/env bash
# Two guidepost binaries side by side, in one run: a full build of the same corpus into an empty
# folder, the runs alternating A, B, A, B … so that a noisy machine slows both alike.
#
#   benches/compare.sh OLD_BIN NEW_BIN [N] [RUNS]
#   e.g. git worktree add /tmp/base COMMIT && (cd /tmp/base && cargo build --release)
#        benches/compare.sh /tmp/base/target/release/guidepost target/release/guidepost 1000 5
#
# The corpus is ../shared/bench/gen_corpus.py's (N guides, default 1000), generated once into
# BENCH_DIR (default /dev/shm/gpcompare: tmpfs takes the disk out of the measurement). One
# untimed warm-up run per binary fills the image and QR caches and the page cache; then RUNS
# (default 5) timed runs each. Prints the median wall time, CPU time and peak memory of each, and
# NEW/OLD. Needs GNU time (/usr/bin/time) and python3.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
A=${1:?usage: compare.sh OLD_BIN NEW_BIN [N] [RUNS]}
B=${2:?usage: compare.sh OLD_BIN NEW_BIN [N] [RUNS]}
N=${3:-1000}
RUNS=${4:-5}
BENCH_DIR=${BENCH_DIR:-/dev/shm/gpcompare}
GEN_CORPUS=${GEN_CORPUS:-$REPO/../shared/bench/gen_corpus.py}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "compare: GNU time is needed (apt-get install time)" >&2; exit 2; }
mkdir -p "$BENCH_DIR"
CORPUS=$BENCH_DIR/corpus-$N
if [ ! -d "$CORPUS/guidepost" ]; then
    rm -rf "$CORPUS.tmp"
    python3 "$GEN_CORPUS" "$N" "$CORPUS.tmp" --layouts guidepost >&2
    mv "$CORPUS.tmp" "$CORPUS"
fi
SITE=$CORPUS/guidepost

run() {   # run BIN LABEL -> appends "wall cpu mb" to $BENCH_DIR/LABEL.times
    local out=$BENCH_DIR/out-$2
    rm -rf "$out" "$BENCH_DIR/.out-$2.staging" "$BENCH_DIR/.out-$2.old"
    sync
    "$TIME" -f '%e %U %S %M' -o "$BENCH_DIR/last" "$1" build --root "$SITE" --output "$out" \
        --quiet --no-lock >/dev/null
    awk '{ printf "%s %.2f %.1f\n", $1, $2 + $3, $4 / 1024 }' "$BENCH_DIR/last" >>"$BENCH_DIR/$2.times"
}

rm -f "$BENCH_DIR"/old.times "$BENCH_DIR"/new.times
run "$A" old && run "$B" new             # warm-up: caches and page cache
rm -f "$BENCH_DIR"/old.times "$BENCH_DIR"/new.times
for _ in $(seq "$RUNS"); do
    run "$A" old
    run "$B" new
done
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$BENCH_DIR/$1.times" | median; }
printf '%-5s %8s %8s %9s   (N=%s guides, median of %s alternating runs)\n' bin 'wall s' 'CPU s' 'peak MB' "$N" "$RUNS"
for l in old new; do
    printf '%-5s %8s %8s %9s\n' "$l" "$(col $l 1)" "$(col $l 2)" "$(col $l 3)"
done
awk -v a="$(col old 1)" -v b="$(col new 1)" 'BEGIN { printf "new/old wall: %.3f\n", b / a }'
rm -rf "$BENCH_DIR"/out-old "$BENCH_DIR"/out-new
