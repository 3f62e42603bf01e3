//! The pure domain: numbering, lifecycle and transitions, outcomes, attribution, rights,
//! configuration and text safety. No IO, no SQL, no terminal: every rule lives here once and
//! both front ends call it.

pub mod answers;
pub mod attach;
pub mod attribution;
pub mod casework;
pub mod chain;
pub mod config;
pub mod edit;
pub mod extend;
pub mod fx;
pub mod keys;
pub mod lifecycle;
pub mod mail;
pub mod merge;
pub mod message;
pub mod model;
pub mod numbering;
pub mod public;
pub mod query;
pub mod rating;
pub mod refusal;
pub mod rights;
pub mod sanitize;
pub mod sla;
pub mod timers;
pub mod undo;
pub mod web;
pub mod zone;
