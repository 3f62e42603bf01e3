//! The terminal desk. Until the full-screen desk lands, `desk` without a subcommand prints the
//! queue as text (also what it does whenever stdin or stdout is not a terminal).

use crate::cli::Cli;
use crate::error::Result;
use std::path::Path;

/// Opens the desk on `db` (creating the default database on first run).
pub fn run(cli: &Cli, db: &Path, is_default_db: bool) -> Result<()> {
    let text = crate::cli::commands::queue_text(db, cli.config.as_deref(), is_default_db)?;
    crate::cli::output::print(&text);
    Ok(())
}
