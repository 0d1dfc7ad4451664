#!/usr/bin/env bash
# guidepost serve latency: file save -> reload message received by an open page.
#
# Runs benches/serve_latency.py (see its header for what exactly is timed) on
#   1. the sample site of this repository (content/xuexin-image-code/web.md changed), and
#   2. a synthetic corpus of N guides (gen_corpus.py, default N=1000; the web.md of the
#      middle guide changed).
# Targets: < 50 ms on the sample site, < 150 ms at 1,000 guides.
#
# How to run (from anywhere)
#   benches/serve_latency.sh            # N=1000, 30 saves per site
#   N=5000 RUNS=50 benches/serve_latency.sh
#   Environment:
#     BENCH_DIR=/tmp/guidepost-bench    where corpora are generated (once per N, reused)
#     GEN_CORPUS=PATH                   corpus generator (default: REPO/../shared/bench/gen_corpus.py)
#     GUIDEPOST_BIN=PATH                time this binary instead of building target/release/guidepost
#     SAVE=atomic|plain                 how files are saved (default atomic: temp file + rename)
#   Needs: cargo, python3. Only loopback traffic.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/guidepost-bench}
GEN_CORPUS=${GEN_CORPUS:-$REPO/../shared/bench/gen_corpus.py}
N=${N:-1000}
RUNS=${RUNS:-30}
SAVE=${SAVE:-atomic}
BIN=${GUIDEPOST_BIN:-}
if [ -z "$BIN" ]; then
    (cd "$REPO" && cargo build --release --quiet)
    BIN=$REPO/target/release/guidepost
fi
corpus=$BENCH_DIR/serve-corpus-$N
if [ ! -f "$corpus/guidepost/site.toml" ]; then
    [ -f "$GEN_CORPUS" ] || { echo "corpus generator not found: $GEN_CORPUS (set GEN_CORPUS)" >&2; exit 1; }
    echo "== generating corpus N=$N in $corpus" >&2
    rm -rf "$corpus.tmp"
    python3 "$GEN_CORPUS" "$N" "$corpus.tmp" --layouts guidepost >&2
    mv "$corpus.tmp" "$corpus"
fi
echo "guidepost serve: save -> reload message ($("$BIN" --version), $(nproc) CPUs, $SAVE saves)"
python3 "$REPO/benches/serve_latency.py" --bin "$BIN" --site "$REPO" --runs "$RUNS" --save "$SAVE" \
    --file content/xuexin-image-code/web.md --label "sample site (target < 50 ms)"
python3 "$REPO/benches/serve_latency.py" --bin "$BIN" --site "$corpus/guidepost" --runs "$RUNS" \
    --save "$SAVE" --label "$N guides (target < 150 ms at 1,000)"
