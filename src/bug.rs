//! An internal error (a panic) is a bug in desk, never a user's mistake: those are one line in
//! the user's language with their exit code. The report of a bug restores the terminal first
//! (the desk may have it in raw mode, on the alternate screen, capturing the mouse), then says
//! what failed, where in the code, and where to report it (color-eyre's panic report).

use std::sync::atomic::{AtomicBool, Ordering};

/// Whether the terminal desk has the terminal (raw mode, alternate screen, mouse capture).
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Where bugs go: the project's issue tracker when the build names one.
fn report_to() -> String {
    match option_env!("CARGO_PKG_REPOSITORY").filter(|r| !r.trim().is_empty()) {
        Some(repo) => format!("{}/issues", repo.trim_end_matches('/')),
        None => "the people who run desk for you".to_string(),
    }
}

/// The words under the report: what happened to the data, and where to report it.
pub fn advice() -> String {
    format!(
        "This is a bug in desk {}, not something you did. Every change is one transaction, so \
         nothing half-written was saved. Please report it, with these lines and what you were \
         doing, to {}.",
        env!("CARGO_PKG_VERSION"),
        report_to()
    )
}

/// The terminal desk took the terminal (`true`) or gave it back (`false`).
pub fn terminal_taken(taken: bool) {
    TERMINAL_TAKEN.store(taken, Ordering::SeqCst);
}

/// Gives the terminal back as the desk would on leaving: mouse, paste, screen, raw mode.
fn restore_terminal() {
    use ratatui::crossterm::{event, execute};
    if TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        let mut out = std::io::stdout();
        let _ = execute!(
            out,
            event::DisableMouseCapture,
            event::DisableBracketedPaste
        );
        ratatui::restore();
    }
}

/// Installs the panic hook for the whole program (before the desk takes the terminal).
pub fn install() {
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let theme = if colour {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    let (panic_hook, _) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .panic_section(advice())
        .theme(theme)
        .into_hooks();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        eprintln!("desk: internal error");
        eprintln!("{}", panic_hook.panic_report(info));
    }));
}

/// Debug builds only: `DESK_TEST_PANIC=PLACE` makes desk fail at PLACE on purpose, so the
/// tests can see what a bug leaves behind. Release builds never fail here.
#[track_caller]
pub fn test_trigger(place: &str) {
    if cfg!(debug_assertions) && std::env::var("DESK_TEST_PANIC").is_ok_and(|p| p == place) {
        panic!("DESK_TEST_PANIC={place}: a deliberate failure for the tests");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_advice_says_what_happened_and_where_to_report() {
        let a = super::advice();
        assert!(a.contains("bug in desk") && a.contains(env!("CARGO_PKG_VERSION")));
        assert!(a.contains("report it"), "{a}");
    }
}
