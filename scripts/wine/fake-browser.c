/* A stand-in browser for the Wine check of `guidepost pdf` (scripts/wine-check.sh): registered
 * as msedge.exe in the Wine prefix's App Paths, it proves that guidepost finds a browser there
 * and hands it a page it can open. It writes its command line to args.txt beside itself and a
 * small complete PDF where --print-to-pdf= says. */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

int wmain(int argc, wchar_t **argv)
{
    wchar_t log[MAX_PATH];
    GetModuleFileNameW(NULL, log, MAX_PATH);
    wchar_t *slash = wcsrchr(log, L'\\');
    if (slash)
        wcscpy(slash + 1, L"args.txt");
    FILE *f = _wfopen(log, L"ab");
    for (int i = 1; i < argc; i++) {
        char buf[4096];
        int n = WideCharToMultiByte(CP_UTF8, 0, argv[i], -1, buf, sizeof buf, NULL, NULL);
        if (f && n > 0)
            fprintf(f, "%s\n", buf);
        if (wcsncmp(argv[i], L"--print-to-pdf=", 15) == 0) {
            FILE *pdf = _wfopen(argv[i] + 15, L"wb");
            if (!pdf)
                return 2;
            fputs("%PDF-1.4\n% guidepost wine-check stand-in, not a real PDF of the page\n"
                  "trailer\n<< >>\n%%EOF\n", pdf);
            fclose(pdf);
        }
    }
    if (f)
        fclose(f);
    return 0;
}
