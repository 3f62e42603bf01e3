//! Long work shows how far it is on standard error — a bar with the rate and the time left —
//! when standard error is a terminal; nothing at all when it is piped or redirected.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;

/// A progress bar, or nothing (not a terminal).
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar for `len` steps named `label` (the catalog's words); `left` names the time left.
    pub fn new(len: usize, label: &str, left: &str) -> Progress {
        if !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let left = left.replace('{', "{{").replace('}', "}}");
        let template =
            format!("{{msg}} {{wide_bar}} {{human_pos}}/{{human_len}} · {{rate}} · {{eta}} {left}");
        let bar = ProgressBar::new(len as u64);
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.with_key(
                "rate",
                |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                },
            ));
        }
        bar.set_message(label.to_string());
        Progress(Some(bar))
    }

    /// `done` steps of the whole are done.
    pub fn set(&self, done: usize) {
        if let Some(b) = &self.0 {
            b.set_position(done as u64);
        }
    }
}

impl Drop for Progress {
    /// The bar leaves the terminal as it found it, whatever the work's outcome.
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Draws the store's long work (an upgrade of the database, recomputing service-level
/// figures, `desk check`, a restore) as bars on standard error, from now on, when it is a
/// terminal; otherwise listens to nothing.
pub fn follow_the_store(cat: &'static crate::i18n::Catalog) {
    use crate::store::progress::{Work, listen};
    if !std::io::stderr().is_terminal() {
        return;
    }
    let bar: std::cell::RefCell<Option<(Work, Progress)>> = std::cell::RefCell::new(None);
    listen(move |work, done, total| {
        let mut bar = bar.borrow_mut();
        if total == 0 || done >= total {
            // Done: the bar is cleared (dropped).
            *bar = None;
            return;
        }
        if bar.as_ref().is_none_or(|(w, _)| *w != work) {
            let label = match work {
                Work::Upgrade => "cli.progress.upgrade",
                Work::Recompute => "cli.progress.recompute",
                Work::Check => "cli.progress.check",
                Work::Restore => "cli.progress.restore",
                Work::Migrate => "cli.progress.migrate",
                Work::Rollups => "cli.progress.rollups",
            };
            *bar = Some((
                work,
                Progress::new(total as usize, cat.t(label), cat.t("cli.progress.left")),
            ));
        }
        if let Some((_, b)) = bar.as_ref() {
            b.set(done as usize);
        }
    });
}
