//! The requester's side, as rules (DESIGN §9): access codes, the `[mail]` configuration,
//! what each notice says and how it threads, and how an incoming message is read. Pure: the
//! store queues and records, `crate::mail` delivers and receives.

pub mod access;
pub mod address;
pub mod config;
pub mod inbound;
pub mod notice;

pub use config::{MailConfig, Mailbox, Security, Transport};
