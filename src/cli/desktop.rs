//! The command line on a desktop, above all Windows': the console's code page and colours, and
//! whether guidepost was started by a double-click in Explorer (a console window of its own
//! that closes, output and all, the moment guidepost exits).
//!
//! Everything behind `cfg(windows)` here is exercised under Wine by scripts/wine-check.sh;
//! elsewhere these are no-ops.

/// The console as guidepost found it, put back on drop: the code page is a setting of the
/// console window, which outlives guidepost when it was started from cmd.exe or PowerShell.
pub struct Console {
    #[cfg(windows)]
    output_cp: u32,
}

impl Console {
    /// Makes the console show UTF-8 (what guidepost writes; Rust's std already writes to a
    /// console as UTF-16, but pipes, `more` and child processes follow the code page) and
    /// turns on ANSI colour sequences where the console understands them (Windows 10 and later).
    pub fn setup() -> Console {
        #[cfg(windows)]
        {
            use windows_sys::Win32::System::Console::{GetConsoleOutputCP, SetConsoleOutputCP};
            const UTF8: u32 = 65001;
            // SAFETY: plain Win32 calls without pointers; they fail harmlessly without a console
            let output_cp = unsafe { GetConsoleOutputCP() };
            if output_cp != 0 && output_cp != UTF8 {
                unsafe { SetConsoleOutputCP(UTF8) };
            }
            Console { output_cp }
        }
        #[cfg(not(windows))]
        Console {}
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        #[cfg(windows)]
        if self.output_cp != 0 && self.output_cp != 65001 {
            // SAFETY: as in setup
            unsafe { windows_sys::Win32::System::Console::SetConsoleOutputCP(self.output_cp) };
        }
    }
}

/// Whether ANSI colour sequences written to stderr show as colours: always on Unix terminals;
/// on Windows when the console accepts virtual terminal processing (turned on here), so an
/// old console shows plain text rather than `←[31m`.
pub fn colors_supported() -> bool {
    #[cfg(windows)]
    {
        use windows_sys::Win32::System::Console::{
            ENABLE_VIRTUAL_TERMINAL_PROCESSING, GetConsoleMode, GetStdHandle, STD_ERROR_HANDLE,
            SetConsoleMode,
        };
        // SAFETY: `mode` is a valid out-pointer; the handle is the process's own stderr
        unsafe {
            let handle = GetStdHandle(STD_ERROR_HANDLE);
            let mut mode = 0;
            if GetConsoleMode(handle, &mut mode) == 0 {
                return false;
            }
            mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0
                || SetConsoleMode(handle, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0
        }
    }
    #[cfg(not(windows))]
    true
}

/// Whether guidepost was started by a double-click (Explorer gave it a console of its own): on
/// Windows, when guidepost is the only process attached to its console; a console opened from
/// cmd.exe or PowerShell also holds the shell. `GUIDEPOST_DOUBLE_CLICK=1` (or `0`) says so
/// instead, for tests on any system.
pub fn started_by_double_click() -> bool {
    if let Some(v) = std::env::var_os("GUIDEPOST_DOUBLE_CLICK") {
        return v == "1";
    }
    #[cfg(windows)]
    {
        let mut pids = [0u32; 2];
        // SAFETY: the buffer holds `pids.len()` entries
        let n = unsafe {
            windows_sys::Win32::System::Console::GetConsoleProcessList(
                pids.as_mut_ptr(),
                pids.len() as u32,
            )
        };
        n == 1
    }
    #[cfg(not(windows))]
    false
}

/// Waits until the user presses Enter (or stdin is closed), so a double-clicked window stays
/// open long enough to be read.
pub fn wait_for_enter() {
    eprintln!("\n按 Enter 键关闭这个窗口。");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}
