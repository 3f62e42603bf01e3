//! desk: a terminal ticket desk. See README.md.
//!
//! Layers, arrows pointing one way: `cli` and `ui` (front ends) → `store` (SQLite) → `core`
//! (pure rules). `session` and `present` are shared by both front ends; `mail` and `web` are
//! the services' IO (delivery and mail in; the requesters' web page).

pub mod bug;
pub mod cli;
pub mod core;
pub mod error;
pub mod i18n;
pub mod mail;
pub mod present;
pub mod privilege;
pub mod session;
pub mod store;
pub mod time;
pub mod ui;
pub mod web;
