//! Work in progress, reported to whoever runs the library. The stages never draw anything: the
//! command line turns these events into progress bars on a terminal (src/main.rs); tests, and
//! a caller that does not care, pass [`Quiet`].

/// A long piece of work that reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Task {
    /// The image stage: one unit per picture (decoded, or taken from the cache).
    Screenshots,
    /// Printing PDFs: one unit per guide printed.
    Pdfs,
}

/// What a [`Task`] reports, in this order: `Start`, any number of `Working` and `Done` (from
/// several threads at once), `Finish`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// `task` begins, with `len` units of work (never 0: a task with nothing to do reports
    /// nothing).
    Start { task: Task, len: usize },
    /// A unit of `task` is under way on `item` (a guide's id).
    Working { task: Task, item: &'a str },
    /// One unit of `task` is done.
    Done { task: Task },
    /// `task` is over (all done, or given up).
    Finish { task: Task },
}

/// Receives [`Event`]s, from any thread.
pub trait Progress: Sync {
    fn report(&self, event: Event<'_>);
}

impl<F: Fn(Event<'_>) + Sync> Progress for F {
    fn report(&self, event: Event<'_>) {
        self(event)
    }
}

impl std::fmt::Debug for dyn Progress + '_ {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("dyn Progress")
    }
}

/// Reports to no one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Progress for Quiet {
    fn report(&self, _: Event<'_>) {}
}

/// Reports `task` of `len` units to `progress` while it runs: `Start` now (unless `len` is 0),
/// `Finish` when dropped.
pub(crate) struct Running<'a> {
    progress: &'a dyn Progress,
    task: Task,
    len: usize,
}

impl<'a> Running<'a> {
    pub(crate) fn start(progress: &'a dyn Progress, task: Task, len: usize) -> Self {
        if len > 0 {
            progress.report(Event::Start { task, len });
        }
        Running {
            progress,
            task,
            len,
        }
    }

    pub(crate) fn working(&self, item: &str) {
        self.progress.report(Event::Working {
            task: self.task,
            item,
        });
    }

    pub(crate) fn done(&self) {
        self.progress.report(Event::Done { task: self.task });
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.len > 0 {
            self.progress.report(Event::Finish { task: self.task });
        }
    }
}
