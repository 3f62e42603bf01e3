//! The requester's side, as a service (DESIGN §9): `desk mail send` delivers what the outbox
//! holds and exits; `desk mail in` records incoming mail. Both run as the desk's mail service —
//! a system user given the store group by systemd's `SupplementaryGroups=`, an agent with role
//! `mail` — so no operator's process ever waits on a mail server, and nothing set-id runs
//! sendmail. The rules are `core::mail`'s, the records the store's; this layer does the IO.

pub mod receive;
pub mod send;
pub mod transport;
