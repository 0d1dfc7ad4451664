/* A stand-in for Windows' bcryptprimitives.dll, for Wine 8 only (scripts/wine-check.sh).
 *
 * Rust's std (1.78 and later) takes its random numbers from ProcessPrng in bcryptprimitives.dll,
 * which every Windows 10 and 11 has but Debian 12's Wine 8.0 lacks: without this file no Rust
 * program starts under that Wine (exit code 53). It answers from advapi32's RtlGenRandom
 * (SystemFunction036), which Wine has. It goes into the test's own Wine prefix only: never ship
 * it beside guidepost.exe. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
