//! Which tickets, in which order: the one query type behind every list. `desk list`'s options,
//! the desk's queues and its `/` filter all build a [`Query`], and `store::query` turns any
//! query into one keyset-paged SQL statement. A query language (`status:waiting assignee:me
//! -category:X (a OR b) created>2026-11-01 updated<7d "a phrase"`) is a parser whose output
//! is a [`Cond`]: every field, negation, `OR`, parentheses, dates (absolute or relative to
//! now) and text are already expressible here.
//!
//! A query names things as people do (a status id, a login, `me`); who "me" is, which groups
//! are "mine", today and now come from the [`Viewer`] at the moment it is read, so a saved
//! query keeps its meaning for whoever opens it, whenever.

use super::model::{Channel, Priority, StatusCategory};

pub mod lang;
pub mod saved;
pub mod snippet;
pub mod statuses;
pub mod words;

/// A condition on tickets: a tree of and / or / not over fields, dates and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// Every one holds (none: every ticket).
    And(Vec<Cond>),
    /// At least one holds (none: no ticket).
    Or(Vec<Cond>),
    /// Does not hold (a ticket without the field, say without an assignee, does not match
    /// `assignee:X`, so it matches its negation).
    Not(Box<Cond>),
    /// Open: in a status of category initial, active or waiting.
    Open,
    /// In one of these statuses (ids from desk.toml).
    Status(Vec<String>),
    /// In a status of one of these categories.
    StatusCategory(Vec<StatusCategory>),
    Assignee(Who),
    Group(Groups),
    /// In one of these categories (codes).
    Category(Vec<String>),
    Priority(Vec<Priority>),
    Channel(Vec<Channel>),
    /// Where the ticket stands against its service-level targets, now.
    Sla(SlaState),
    /// A time of the ticket compared with an instant; a ticket without that time (never
    /// resolved, no due time) matches no comparison.
    Date(DateField, Cmp, When),
    /// Words (each must start a word of the field, in any order) or an exact phrase.
    Text(Text),
}

impl Cond {
    /// Every ticket.
    pub fn all() -> Cond {
        Cond::And(Vec::new())
    }

    /// Both this and that (flattening nested ands, so the SQL stays one flat conjunction that
    /// SQLite can serve from one index).
    pub fn and(self, other: Cond) -> Cond {
        match (self, other) {
            (Cond::And(mut a), Cond::And(b)) => {
                a.extend(b);
                Cond::And(a)
            }
            (Cond::And(mut a), c) => {
                a.push(c);
                Cond::And(a)
            }
            (c, Cond::And(mut b)) => {
                b.insert(0, c);
                Cond::And(b)
            }
            (a, b) => Cond::And(vec![a, b]),
        }
    }

    /// The negation.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Cond {
        match self {
            Cond::Not(c) => *c,
            c => Cond::Not(Box::new(c)),
        }
    }

    /// Whether the condition reads a ticket's text (the store then joins the text index).
    pub fn has_text(&self) -> bool {
        match self {
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(Cond::has_text),
            Cond::Not(c) => c.has_text(),
            Cond::Text(_) => true,
            _ => false,
        }
    }

    /// Whether it says which statuses (`status:`, `is:`, or when tickets were resolved or
    /// closed): `desk list` lists open tickets only when the query does not.
    pub fn mentions_status(&self) -> bool {
        match self {
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(Cond::mentions_status),
            Cond::Not(c) => c.mentions_status(),
            Cond::Open | Cond::Status(_) | Cond::StatusCategory(_) => true,
            // Finished tickets are what a time of resolving or closing speaks of.
            Cond::Date(DateField::Resolved | DateField::Closed, _, _) => true,
            _ => false,
        }
    }

    /// Whether which tickets match depends on the time it is read (a service-level state,
    /// a date relative to now or today), not only on the tickets.
    pub fn reads_the_clock(&self) -> bool {
        match self {
            Cond::And(cs) | Cond::Or(cs) => cs.iter().any(Cond::reads_the_clock),
            Cond::Not(c) => c.reads_the_clock(),
            Cond::Sla(_) => true,
            Cond::Date(_, _, w) => !matches!(w, When::At(_) | When::Day(_)),
            _ => false,
        }
    }

    /// Whether it is only text (no field that an index could serve first).
    pub fn is_only_text(&self) -> bool {
        match self {
            Cond::And(cs) => !cs.is_empty() && cs.iter().all(Cond::is_only_text),
            Cond::Text(_) => true,
            _ => false,
        }
    }
}

/// Whose ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The viewer's.
    Me,
    /// Nobody's (unassigned).
    Nobody,
    /// This agent's (by login; an unknown login is an error, not an empty list).
    Login(String),
}

/// Which groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Groups {
    /// The viewer's groups.
    Mine,
    /// These group codes.
    Codes(Vec<String>),
}

/// Where an open ticket stands against its targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// Less than the at-risk share of a target left, or past it (queue 6 "At risk").
    AtRisk,
    /// Past a target, and not paused.
    Breached,
}

/// A time every ticket may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DateField {
    Created,
    Updated,
    Due,
    Resolved,
    Closed,
    FirstResponse,
}

/// A comparison of a ticket's time with an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Before,
    BeforeOrAt,
    After,
    AtOrAfter,
}

impl Cmp {
    /// The comparison that holds exactly when this one does not (of a time a ticket has).
    pub fn negated(self) -> Cmp {
        match self {
            Cmp::Before => Cmp::AtOrAfter,
            Cmp::BeforeOrAt => Cmp::After,
            Cmp::After => Cmp::BeforeOrAt,
            Cmp::AtOrAfter => Cmp::Before,
        }
    }
}

/// An instant, absolute or relative to the moment the query is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Unix seconds.
    At(i64),
    /// This many seconds before now (`updated<7d` is `Date(Updated, After, Ago(7 days))`).
    Ago(i64),
    /// The start of today in the desk's time zone.
    Today,
    /// The start of the day this many days after today (-1: yesterday), desk time.
    Days(i32),
    /// The start of this day, desk time.
    Day(chrono::NaiveDate),
}

/// Text to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// Only in this field; None: anywhere (number, subject, requester, contact, request,
    /// notes, replies and the requester's messages).
    pub field: Option<TextField>,
    pub text: String,
    /// The words in this order, next to each other (a quoted phrase).
    pub phrase: bool,
}

impl Text {
    /// Words typed to find a ticket anywhere (the desk's `/`, `desk list --text`).
    pub fn words(text: &str) -> Cond {
        Cond::Text(Text {
            field: None,
            text: text.to_string(),
            phrase: false,
        })
    }
}

/// The searchable fields of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TextField {
    Number,
    Subject,
    Requester,
    Contact,
    Body,
    /// Internal notes.
    Note,
    /// Answers to the requester.
    Reply,
    /// The requester's messages (mail in).
    Message,
}

impl TextField {
    pub const ALL: [TextField; 8] = [
        TextField::Number,
        TextField::Subject,
        TextField::Requester,
        TextField::Contact,
        TextField::Body,
        TextField::Note,
        TextField::Reply,
        TextField::Message,
    ];

    /// The field's name, in the language and as the search index's column.
    pub fn as_str(self) -> &'static str {
        match self {
            TextField::Number => "number",
            TextField::Subject => "subject",
            TextField::Requester => "requester",
            TextField::Contact => "contact",
            TextField::Body => "body",
            TextField::Note => "note",
            TextField::Reply => "reply",
            TextField::Message => "message",
        }
    }
}

/// Columns a list can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum SortKey {
    /// Most urgent first, then oldest first (the working order).
    Priority,
    Number,
    Status,
    Subject,
    Requester,
    Assignee,
    /// Oldest first.
    Age,
    /// Most recently changed first.
    Updated,
    /// Soonest due first (tickets without a due time last).
    Due,
}

impl SortKey {
    pub const ALL: [SortKey; 9] = [
        SortKey::Priority,
        SortKey::Number,
        SortKey::Status,
        SortKey::Subject,
        SortKey::Requester,
        SortKey::Assignee,
        SortKey::Age,
        SortKey::Updated,
        SortKey::Due,
    ];

    pub fn id(self) -> &'static str {
        match self {
            SortKey::Priority => "priority",
            SortKey::Number => "number",
            SortKey::Status => "status",
            SortKey::Subject => "subject",
            SortKey::Requester => "requester",
            SortKey::Assignee => "assignee",
            SortKey::Age => "age",
            SortKey::Updated => "updated",
            SortKey::Due => "due",
        }
    }

    pub fn from_id(id: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.id() == id.trim())
    }
}

/// Which tickets, in which order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub cond: Cond,
    pub sort: SortKey,
    /// The sort's order reversed.
    pub reverse: bool,
}

impl Query {
    /// Tickets matching `cond` in the working order (most urgent, then oldest first).
    pub fn new(cond: Cond) -> Query {
        Query {
            cond,
            sort: SortKey::Priority,
            reverse: false,
        }
    }
}

/// Who is looking, and when: what `me`, my groups, today and now mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub agent_id: i64,
    pub groups: Vec<String>,
    /// Start of today (desk time) as unix seconds.
    pub day_start: i64,
    pub now: i64,
}

/// The built-in queues of the desk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QueueKind {
    Mine,
    Unassigned,
    MyGroups,
    AllOpen,
    Waiting,
    /// Open tickets at risk of missing a target, or past it.
    AtRisk,
    DoneToday,
    All,
}

impl QueueKind {
    pub const ALL: [QueueKind; 8] = [
        QueueKind::Mine,
        QueueKind::Unassigned,
        QueueKind::MyGroups,
        QueueKind::AllOpen,
        QueueKind::Waiting,
        QueueKind::AtRisk,
        QueueKind::DoneToday,
        QueueKind::All,
    ];

    /// Stable id, used in `:queue NAME` and the catalog (`queue.<id>`).
    pub fn id(self) -> &'static str {
        match self {
            QueueKind::Mine => "mine",
            QueueKind::Unassigned => "unassigned",
            QueueKind::MyGroups => "group",
            QueueKind::AllOpen => "open",
            QueueKind::Waiting => "waiting",
            QueueKind::AtRisk => "at_risk",
            QueueKind::DoneToday => "done_today",
            QueueKind::All => "all",
        }
    }

    pub fn from_id(id: &str) -> Option<QueueKind> {
        QueueKind::ALL.into_iter().find(|k| k.id() == id.trim())
    }

    /// The order a queue starts in: its sort key, and whether reversed.
    pub fn default_order(self) -> (SortKey, bool) {
        match self {
            QueueKind::DoneToday => (SortKey::Updated, false),
            QueueKind::AtRisk => (SortKey::Due, false),
            // Newest first, walking the creation index backwards.
            QueueKind::All => (SortKey::Age, true),
            _ => (SortKey::Priority, false),
        }
    }

    /// The tickets the queue holds.
    pub fn cond(self) -> Cond {
        match self {
            QueueKind::Mine => Cond::And(vec![Cond::Assignee(Who::Me), Cond::Open]),
            QueueKind::Unassigned => Cond::And(vec![Cond::Assignee(Who::Nobody), Cond::Open]),
            QueueKind::MyGroups => Cond::And(vec![Cond::Group(Groups::Mine), Cond::Open]),
            QueueKind::AllOpen => Cond::Open,
            QueueKind::Waiting => Cond::StatusCategory(vec![StatusCategory::Waiting]),
            QueueKind::AtRisk => Cond::Sla(SlaState::AtRisk),
            QueueKind::DoneToday => Cond::Date(DateField::Resolved, Cmp::AtOrAfter, When::Today),
            QueueKind::All => Cond::all(),
        }
    }
}

/// What the desk's queue pane shows: a built-in queue or a saved one, its order and the
/// filter typed after `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    pub kind: QueueKind,
    /// A saved queue shown instead of `kind`'s.
    pub saved: Option<SavedView>,
    pub sort: SortKey,
    pub reverse: bool,
    /// What was typed after `/` (a query of the language; words find text anywhere).
    pub text: String,
    /// Only this agent's tickets (a supervisor's look at one person's queue).
    pub agent: Option<String>,
    /// It, read (None: `text` taken as words).
    pub filter: Option<Cond>,
}

/// A saved queue as the desk shows it: which one, its title (with the values of its
/// parameters), its condition with them filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedView {
    pub index: usize,
    pub title: String,
    pub cond: Cond,
}

impl QueueSpec {
    pub fn new(kind: QueueKind) -> QueueSpec {
        let (sort, reverse) = kind.default_order();
        QueueSpec {
            kind,
            saved: None,
            sort,
            reverse,
            text: String::new(),
            agent: None,
            filter: None,
        }
    }

    /// A saved queue, in its own order.
    pub fn saved(view: SavedView, sort: SortKey, reverse: bool) -> QueueSpec {
        QueueSpec {
            saved: Some(view),
            sort,
            reverse,
            ..QueueSpec::new(QueueKind::All)
        }
    }

    /// The query the pane reads.
    pub fn query(&self) -> Query {
        let mut cond = match &self.saved {
            Some(s) => s.cond.clone(),
            None => self.kind.cond(),
        };
        if let Some(login) = &self.agent {
            cond = cond.and(Cond::Assignee(Who::Login(login.clone())));
        }
        if let Some(f) = &self.filter {
            cond = cond.and(f.clone());
        } else if !self.text.trim().is_empty() {
            cond = cond.and(Text::words(&self.text));
        }
        Query {
            cond,
            sort: self.sort,
            reverse: self.reverse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for k in QueueKind::ALL {
            assert_eq!(QueueKind::from_id(k.id()), Some(k));
        }
        for s in SortKey::ALL {
            assert_eq!(SortKey::from_id(s.id()), Some(s));
        }
    }

    #[test]
    fn and_flattens_and_not_cancels() {
        let a = Cond::Open.and(Cond::Assignee(Who::Me));
        let b = a.clone().and(Text::words("heat"));
        assert_eq!(
            b,
            Cond::And(vec![
                Cond::Open,
                Cond::Assignee(Who::Me),
                Text::words("heat")
            ])
        );
        assert_eq!(Cond::all().and(Cond::Open), Cond::And(vec![Cond::Open]));
        assert_eq!(Cond::Open.not().not(), Cond::Open);
    }

    #[test]
    fn what_reads_the_clock() {
        let at = |w| Cond::Date(DateField::Updated, Cmp::After, w);
        assert!(!Cond::Open.and(Text::words("heat")).reads_the_clock());
        assert!(!at(When::At(5)).reads_the_clock());
        assert!(!at(When::Day(chrono::NaiveDate::MIN)).reads_the_clock());
        for w in [When::Ago(60), When::Today, When::Days(-1)] {
            assert!(Cond::Open.and(at(w).not()).reads_the_clock(), "{w:?}");
        }
        assert!(Cond::Or(vec![Cond::Open, Cond::Sla(SlaState::AtRisk)]).reads_the_clock());
    }

    #[test]
    fn an_agents_queue_is_their_open_tickets() {
        let mut spec = QueueSpec::new(QueueKind::AllOpen);
        spec.agent = Some("olena".into());
        assert_eq!(
            spec.query().cond,
            Cond::And(vec![Cond::Open, Cond::Assignee(Who::Login("olena".into()))])
        );
    }

    #[test]
    fn a_filter_narrows_its_queue() {
        let mut spec = QueueSpec::new(QueueKind::Mine);
        assert!(!spec.query().cond.has_text());
        spec.text = "heat".into();
        let q = spec.query();
        assert!(q.cond.has_text() && !q.cond.is_only_text());
        let mut all = QueueSpec::new(QueueKind::All);
        all.text = "heat".into();
        assert!(all.query().cond.is_only_text());
        assert!(all.query().reverse);
    }
}
