//! desk: a terminal ticket desk. See README.md.

pub mod core;
pub mod i18n;
