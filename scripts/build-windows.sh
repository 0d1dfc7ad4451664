#!/usr/bin/env bash
# Builds guidepost.exe for Windows on Linux, and the zip office staff download (issue 15).
#
#   scripts/build-windows.sh [--profile PROFILE] [--out DIR]
#
# Needs Debian's mingw-w64 (`sudo apt-get install gcc-mingw-w64-x86-64`) and Rust's Windows
# target (`rustup target add x86_64-pc-windows-gnu`); the script installs the target itself.
# The exe links the C runtime statically (.cargo/config.toml), so it needs no DLL beside it:
# the script checks its imports (scripts/windows-imports.sh). The zip,
# DIR/guidepost-VERSION-windows-x64.zip (default DIR: dist), holds one folder `guidepost` that
# is the sample site (site.toml, content/, links.lock) with guidepost.exe and 使用说明.txt in it:
# unzipped and double-clicked, the exe previews the sample at once.
#
# Profile `dist` (default) is the optimized release build without debug info, stripped: the
# exe CI checks under Wine (scripts/wine-check.sh). A cold build took 7.3 min (nice -j1, 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
profile=dist
out=dist
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) profile="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
command -v x86_64-w64-mingw32-gcc >/dev/null ||
  { echo "error: mingw-w64 is missing: sudo apt-get install gcc-mingw-w64-x86-64" >&2; exit 2; }
if command -v rustup >/dev/null; then rustup target add x86_64-pc-windows-gnu >/dev/null 2>&1; fi
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/guidepost-target}"
start=$(date +%s)
cargo build --locked --target x86_64-pc-windows-gnu --profile "$profile"
exe="$CARGO_TARGET_DIR/x86_64-pc-windows-gnu/$profile/guidepost.exe"
echo "built $exe in $(($(date +%s) - start)) s: $(stat -c %s "$exe") bytes"
scripts/windows-imports.sh "$exe"

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
dir="$stage/guidepost"
mkdir -p "$dir"
cp "$exe" "$dir/guidepost.exe"
cp -r site.toml links.lock content "$dir/"
# Notepad on older Windows 10 reads a file without BOM as GBK: a BOM and CRLF line ends
printf '\xef\xbb\xbf' >"$dir/使用说明.txt"
sed 's/$/\r/' scripts/windows/使用说明.txt >>"$dir/使用说明.txt"
mkdir -p "$out"
zip="$(cd "$out" && pwd)/guidepost-$version-windows-x64.zip"
rm -f "$zip"
# Python's zipfile marks non-ASCII names as UTF-8, which Windows' Explorer reads
python3 - "$stage" "$zip" <<'PY'
import os, sys, zipfile
stage, target = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for base, dirs, files in os.walk(stage):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(base, name)
            z.write(path, os.path.relpath(path, stage))
PY
# what staff unzip: the exe, the instructions and a site it previews at once
listing=$(python3 -m zipfile -l "$zip")
for f in guidepost/guidepost.exe guidepost/使用说明.txt guidepost/site.toml guidepost/content/_index.md; do
  grep -qF "$f " <<<"$listing" || { echo "error: $zip lacks $f" >&2; exit 1; }
done
echo "wrote $zip: $(stat -c %s "$zip") bytes"
