//! The desk's three panes: the queue, the ticket, the assignment of agents.

pub mod assign;
pub mod detail;
pub mod queue;
