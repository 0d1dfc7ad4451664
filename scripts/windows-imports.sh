#!/usr/bin/env bash
# Checks that a guidepost.exe needs no DLL beside it: every DLL it imports must be one Windows
# itself has (system32). A mingw runtime DLL (libgcc_s_seh-1.dll, libwinpthread-1.dll,
# libstdc++-6.dll …) would mean the static linking of .cargo/config.toml broke.
# Usage: scripts/windows-imports.sh guidepost.exe   (prints the imports; exit 1 on a stray DLL)
set -euo pipefail
exe="$1"
imports=$(x86_64-w64-mingw32-objdump -p "$exe" | sed -n 's/^\s*DLL Name: //p' | tr 'A-Z' 'a-z' | sort -u)
bad=()
for dll in $imports; do
  case "$dll" in
    kernel32.dll|ntdll.dll|advapi32.dll|userenv.dll|ws2_32.dll|msvcrt.dll|bcryptprimitives.dll|\
    bcrypt.dll|shell32.dll|ole32.dll|oleaut32.dll|user32.dll|secur32.dll|crypt32.dll|\
    ncrypt.dll|iphlpapi.dll|shlwapi.dll|api-ms-win-core-*.dll|api-ms-win-crt-*.dll) ;;
    *) bad+=("$dll") ;;
  esac
done
echo "imports of $(basename "$exe"): $(echo $imports | tr ' ' ',' | sed 's/,/, /g')"
if [ ${#bad[@]} -gt 0 ]; then
  echo "error: $exe needs DLLs Windows does not have: ${bad[*]} (is crt-static in .cargo/config.toml?)" >&2
  exit 1
fi
