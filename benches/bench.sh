#!/usr/bin/env bash
# guidepost build benchmark, with Hugo as the reference.
#
# What it measures
#   A full, cold-output build of the same synthetic corpus of N Chinese how-to guides
#   (gen_corpus.py: each guide = 1 overview + 3 channel pages with 4-6 steps and one
#   screenshot per step, so 4N+1 pages and about 15N PNG files to copy), by
#     guidepost build --root CORPUS/guidepost --output OUT --quiet
#     hugo --source CORPUS/hugo --destination OUT --quiet     (if hugo is on PATH)
#   Each build is timed as a whole process (start-up, reading, rendering, writing)
#   with /usr/bin/time, into an EMPTY output folder: before every run the previous
#   OUT is moved out of the way and dirty pages are flushed (sync), outside the
#   timing. One untimed warm-up run per tool and size checks that the build succeeds
#   and writes 4N+1 pages (index.html files), and fills the page cache; then RUNS timed
#   runs (default 3), and each column reports the median.
#
#   Why move and not delete: on ext4 without a journal (as on our VMs), creating files
#   within ~1-6 minutes after deleting many others is slow (the kernel's inode
#   allocator skips "recently deleted" inodes: perf shows recently_deleted() at the
#   top), so `rm -rf OUT` before each run made every run slower than the one before
#   (Hugo N=1000: 2.8 s, 6.9 s, 9.6 s, 12.5 s ...). Old outputs go to BENCH_DIR/trash
#   and are deleted once, at the end. Disk needed: about (RUNS+1) x the output size per
#   tool and N (Hugo writes ~120 MB per 1000 guides). For the same reason, leave a few
#   minutes between two invocations on a journal-less disk. Setting BENCH_DIR to a tmpfs
#   (/dev/shm/...) takes the disk out of the measurement altogether; there old outputs are
#   deleted as soon as a tool is done with a size (tmpfs has no such slowdown, and keeping
#   them all runs out of inodes at 5,000 guides).
#
#   Columns: wall s (elapsed), CPU s (user+sys, all threads), peak MB (max RSS of the
#   process), pages/s (4N+1 pages / median wall). After the table: guidepost/hugo wall
#   ratio per N (< 1 means guidepost is faster), and the growth of wall time between
#   consecutive sizes (e.g. 5000/1000: 5.0 would be linear).
#
# How to run (from anywhere)
#   benches/bench.sh                 # N = 100 1000 5000
#   benches/bench.sh 100 1000        # other sizes
#   Environment:
#     BENCH_DIR=/tmp/guidepost-bench work dir: corpora (generated once per N, reused),
#                                    outputs, logs
#     GEN_CORPUS=PATH                corpus generator (default: REPO/../shared/bench/gen_corpus.py)
#     RUNS=3                         timed runs per tool and size
#     TOOLS="guidepost hugo"         which tools to time (e.g. TOOLS=hugo)
#     GUIDEPOST_BIN=PATH             time this binary instead of building target/release/guidepost
#     HUGO=hugo                      hugo command
#   Needs: cargo, python3, GNU time at /usr/bin/time (apt-get install time),
#   optionally Debian's hugo (apt-get install hugo).
#   Exit status: 0 if every selected tool built every size, 1 otherwise.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/guidepost-bench}
GEN_CORPUS=${GEN_CORPUS:-$REPO/../shared/bench/gen_corpus.py}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-guidepost hugo}
HUGO=${HUGO:-hugo}
TIME=/usr/bin/time

if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(100 1000 5000); fi

die() { echo "bench: $*" >&2; exit 2; }

for n in "${SIZES[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer, got '$n'"
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"
[ -x "$TIME" ] || die "$TIME not found: GNU time is needed (apt-get install time)"
"$TIME" -f '%e' true 2>/dev/null || die "$TIME is not GNU time (apt-get install time)"
[ -f "$GEN_CORPUS" ] || die "corpus generator not found: $GEN_CORPUS (set GEN_CORPUS)"
command -v python3 >/dev/null || die "python3 not found"
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)
LOGS=$BENCH_DIR/logs
OUTS=$BENCH_DIR/out
TRASH=$BENCH_DIR/trash
mkdir -p "$LOGS" "$OUTS" "$TRASH"

want() { [[ " $TOOLS " == *" $1 "* ]]; }

# --- tools ------------------------------------------------------------------

ACTIVE=()
if want guidepost; then
    if [ -n "${GUIDEPOST_BIN:-}" ]; then
        GP=$GUIDEPOST_BIN
    else
        echo "== cargo build --release" >&2
        (cd "$REPO" && cargo build --release) || die "cargo build --release failed"
        GP=${CARGO_TARGET_DIR:-$REPO/target}/release/guidepost
    fi
    [ -x "$GP" ] || die "guidepost binary not found: $GP"
    ACTIVE+=(guidepost)
fi
if want hugo; then
    if command -v "$HUGO" >/dev/null; then
        ACTIVE+=(hugo)
    else
        echo "bench: '$HUGO' not on PATH: skipping Hugo (apt-get install hugo)" >&2
    fi
fi
[ ${#ACTIVE[@]} -gt 0 ] || die "no tool to time (TOOLS='$TOOLS')"

# The command line that builds corpus $1 into output $2, for tool $3.
build_cmd() {
    case $3 in
        guidepost) CMD=("$GP" build --root "$1/guidepost" --output "$2" --quiet) ;;
        hugo)      CMD=("$HUGO" --source "$1/hugo" --destination "$2" --quiet) ;;
    esac
}

# --- corpus (generated once per N; regenerated if the generator changes) ----------

corpus() {   # corpus N -> prints the corpus folder
    local n=$1 dir=$BENCH_DIR/corpus-$1 stamp
    stamp=$(sha256sum "$GEN_CORPUS" | cut -d' ' -f1)
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
        echo "== generating corpus N=$n in $dir" >&2
        rm -rf "$dir" "$dir.tmp"
        python3 "$GEN_CORPUS" "$n" "$dir.tmp" --layouts guidepost,hugo >&2
        echo "$stamp" > "$dir.tmp/.stamp"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# --- measuring ----------------------------------------------------------------

# Make sure $1 does not exist, without deleting anything now (see the header).
clear_output() {
    if [ -e "$1" ]; then mv "$1" "$(mktemp -d "$TRASH/XXXXXXXX")/"; fi
    sync
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

FAILED=0
declare -A WALL CPU MB PPS STATUS

measure() {   # measure TOOL N CORPUS
    local tool=$1 n=$2 dir=$3 out=$OUTS/$1-$2 log=$LOGS/$1-$2.log
    local pages=$((4 * n + 1)) got run walls=() cpus=() rss=() e u s m
    local tf=$LOGS/$tool-$n.time
    build_cmd "$dir" "$out" "$tool"
    echo "== $tool N=$n: ${CMD[*]}" >&2

    # Warm-up and check: must exit 0, print no error, and write 4N+1 pages.
    clear_output "$out"
    if ! "${CMD[@]}" >"$log" 2>&1; then
        echo "bench: $tool failed at N=$n (exit status != 0), see $log" >&2
        STATUS[$tool,$n]=failed; FAILED=1; return
    fi
    # Quiet mode prints only problems: "ERROR ..." (Hugo), "error[...]: ..." (guidepost).
    if grep -qiE '^[[:space:]]*error' "$log"; then
        echo "bench: $tool printed errors at N=$n, see $log" >&2
        STATUS[$tool,$n]=failed; FAILED=1; return
    fi
    if grep -qiE '^[[:space:]]*warn' "$log"; then
        echo "bench: note: $tool printed warnings at N=$n, see $log" >&2
    fi
    # guidepost's print layouts (GUIDE/print/index.html) and its staff share page
    # (share/index.html) are not counted: Hugo has neither (they are still built and timed)
    got=$(find "$out" -name index.html -type f -not -path '*/print/index.html' \
        -not -path "$out/share/index.html" 2>/dev/null | wc -l)
    if [ "$got" -ne "$pages" ]; then
        echo "bench: $tool wrote $got pages (index.html) at N=$n, expected $pages, see $out" >&2
        STATUS[$tool,$n]=failed; FAILED=1; return
    fi

    for ((run = 1; run <= RUNS; run++)); do
        clear_output "$out"
        if ! "$TIME" -o "$tf" -f '%e %U %S %M' "${CMD[@]}" >>"$log" 2>&1; then
            echo "bench: $tool failed at N=$n, run $run, see $log" >&2
            STATUS[$tool,$n]=failed; FAILED=1; return
        fi
        read -r e u s m < <(tail -n 1 "$tf")
        walls+=("$e"); cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')"); rss+=("$m")
        echo "   run $run: wall ${e}s user ${u}s sys ${s}s maxrss ${m}KB" >&2
    done
    WALL[$tool,$n]=$(printf '%s\n' "${walls[@]}" | median)
    CPU[$tool,$n]=$(printf '%s\n' "${cpus[@]}" | median)
    MB[$tool,$n]=$(printf '%s\n' "${rss[@]}" | median | awk '{ printf "%.1f", $1 / 1024 }')
    PPS[$tool,$n]=$(awk -v p="$pages" -v w="${WALL[$tool,$n]}" 'BEGIN { if (w > 0) printf "%.0f", p / w; else print "inf" }')
    STATUS[$tool,$n]=ok
}

# on tmpfs, deleting does not slow later file creation (the ext4 effect of the header), while
# keeping every old output until the end runs out of inodes at 5,000 guides: empty the trash as
# soon as a tool is done with a size
on_tmpfs=false
[ "$(stat -f -c %T "$BENCH_DIR" 2>/dev/null)" = tmpfs ] && on_tmpfs=true
for n in "${SIZES[@]}"; do
    dir=$(corpus "$n")
    for tool in "${ACTIVE[@]}"; do
        measure "$tool" "$n" "$dir"
        if $on_tmpfs; then rm -rf "$TRASH"; mkdir -p "$TRASH"; fi
    done
done

echo "== removing old outputs ($TRASH); the last output of each tool and N stays in $OUTS" >&2
rm -rf "$TRASH"

# --- report -------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "guidepost build benchmark: median of $RUNS runs, empty output folder, $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //'))"
for tool in "${ACTIVE[@]}"; do
    case $tool in
        guidepost) echo "guidepost: $GP" ;;
        hugo) echo "hugo: $("$HUGO" version 2>/dev/null | head -n 1)" ;;
    esac
done
echo
echo "| N | tool | wall s | CPU s | peak MB | pages/s |"
echo "|---:|---|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
    for tool in "${ACTIVE[@]}"; do
        if [ "${STATUS[$tool,$n]:-}" = ok ]; then
            printf '| %s | %s | %.2f | %.2f | %s | %s |\n' "$n" "$tool" \
                "${WALL[$tool,$n]}" "${CPU[$tool,$n]}" "${MB[$tool,$n]}" "${PPS[$tool,$n]}"
        else
            printf '| %s | %s | failed | | | |\n' "$n" "$tool"
        fi
    done
done

echo
for n in "${SIZES[@]}"; do
    if [ "${STATUS[guidepost,$n]:-}" = ok ] && [ "${STATUS[hugo,$n]:-}" = ok ]; then
        echo "- N=$n: guidepost/hugo wall time = $(ratio "${WALL[guidepost,$n]}" "${WALL[hugo,$n]}")"
    fi
done
for tool in "${ACTIVE[@]}"; do
    prev=
    for n in "${SIZES[@]}"; do
        if [ -n "$prev" ] && [ "${STATUS[$tool,$prev]:-}" = ok ] && [ "${STATUS[$tool,$n]:-}" = ok ]; then
            echo "- $tool growth $n/$prev: wall x$(ratio "${WALL[$tool,$n]}" "${WALL[$tool,$prev]}") (linear would be x$(ratio "$n" "$prev"))"
        fi
        prev=$n
    done
done
exit $FAILED
