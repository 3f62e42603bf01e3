//! Finding tickets: `desk list` (a queue, in its order) and `desk search` (what is written on
//! them, newest first or by relevance, each hit with the words that matched). Both read
//! their options as one `core::query::Query`, as the desk's queues do.

use super::*;
use crate::cli::output::{self, print};
use crate::cli::{Cli, Filters, ListArgs, SearchArgs};
use crate::core::config::Config;
use crate::core::query::saved::{self, SavedQueue};
use crate::core::query::{Cond, Groups, Query, SlaState, SortKey, Text, Viewer, Who};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::query::{Count, Start};

/// How many tickets past a page are counted before saying only "more than": a common word's
/// page comes without reading every ticket it is in (`--count` counts them all).
pub(super) const COUNT_BOUND: i64 = 1000;

/// The bound a page's count goes up to: none when asked for, or when every ticket is listed.
fn count_bound(count: bool, offset: usize, limit: usize) -> Option<i64> {
    (!count && limit > 0).then(|| {
        i64::try_from(offset.saturating_add(limit))
            .unwrap_or(i64::MAX)
            .saturating_add(COUNT_BOUND)
    })
}

/// How many tickets a query matches, when its page tells: a page not full (or every row, no
/// limit) holds every ticket after the offset — unless it is empty past the first row (the
/// offset may be past the end). A rare word's count then costs no second search.
fn told_by_page(offset: usize, limit: usize, shown: usize) -> Option<Count> {
    ((limit == 0 || shown < limit) && (shown > 0 || offset == 0))
        .then(|| Count::Exact(i64::try_from(offset.saturating_add(shown)).unwrap_or(i64::MAX)))
}

/// How many tickets a query matches, after its page of `shown` from `offset` was read: told
/// by the page, else counted (all of them when `count`, else up to a bound past the page).
fn total_after(
    s: &Session,
    query: &Query,
    viewer: &Viewer,
    (count, offset, limit): (bool, usize, usize),
    shown: usize,
) -> Result<Count> {
    match told_by_page(offset, limit, shown) {
        Some(n) => Ok(n),
        None => {
            let bound = count_bound(count, offset, limit);
            s.store.query_count_upto(&s.cfg, query, viewer, bound)
        }
    }
}

/// The conditions the queue filters describe — a saved queue's (taken as it is, saying
/// which statuses itself), `--query` (read with the desk's names) — all of them; whether any
/// says which statuses; the saved queue.
fn filter_cond<'s>(s: &'s Session, f: &Filters) -> Result<(Cond, bool, Option<&'s SavedQueue>)> {
    let cfg = &s.cfg;
    let mut cond = Cond::all();
    let mut says_status = false;
    let mut queue = None;
    if let Some(name) = f.queue.as_deref() {
        let q = saved::find(&cfg.queues, name).map_err(Error::Invalid)?;
        let values = f
            .params
            .iter()
            .map(|p| match p.split_once('=') {
                Some((n, v)) => Ok((n.trim().to_string(), v.to_string())),
                None => Err(Error::Invalid(crate::msg!("query.param_form", param = p))),
            })
            .collect::<Result<Vec<_>>>()?;
        let text = q.text_with(&values).map_err(Error::Invalid)?;
        cond = cond.and(s.store.parse_query(cfg, &text)?);
        says_status = true;
        queue = Some(q);
    }
    if let Some(text) = f.query.as_deref() {
        let q = s.store.parse_query(cfg, text)?;
        says_status = q.mentions_status();
        cond = cond.and(q);
    }
    let statuses: Vec<String> = f
        .status
        .iter()
        .map(|x| x.trim().to_string())
        .filter(|x| !x.is_empty())
        .collect();
    if !statuses.is_empty() {
        says_status = true;
        cond = cond.and(Cond::Status(statuses));
    }
    if f.mine {
        cond = cond.and(Cond::Assignee(Who::Me));
    } else if f.unassigned {
        cond = cond.and(Cond::Assignee(Who::Nobody));
    } else if let Some(login) = &f.assignee {
        cond = cond.and(Cond::Assignee(Who::Login(login.trim().to_string())));
    }
    if let Some(g) = &f.group {
        cond = cond.and(Cond::Group(Groups::Codes(vec![
            g.trim().to_ascii_uppercase(),
        ])));
    }
    if let Some(c) = &f.category {
        cond = cond.and(Cond::Category(vec![category(cfg, c)?]));
    }
    if let Some(p) = f.priority {
        cond = cond.and(Cond::Priority(vec![p]));
    }
    if f.at_risk {
        cond = cond.and(Cond::Sla(SlaState::AtRisk));
    }
    Ok((cond, says_status, queue))
}

/// The query `desk list`'s options describe: the same conditions the desk's queues are made
/// of, so the same filter gives the same tickets in both. Without a condition on the status,
/// only open tickets (unless `--all`).
pub fn list_query(s: &Session, a: &ListArgs) -> Result<Query> {
    let (mut cond, says_status, queue) = filter_cond(s, &a.filters)?;
    if !says_status && !a.all {
        cond = Cond::Open.and(cond);
    }
    if let Some(text) = a.text.as_deref().filter(|t| !t.trim().is_empty()) {
        cond = cond.and(Text::words(text));
    }
    // The saved queue's order, unless another is asked for (`--reverse` turns either round).
    let (sort, reverse) = match (a.sort, queue) {
        (Some(sort), _) => (sort, a.reverse),
        (None, Some(q)) => (q.sort, q.reverse != a.reverse),
        (None, None) => (SortKey::Priority, a.reverse),
    };
    Ok(Query {
        cond,
        sort,
        reverse,
    })
}

pub(super) fn list(s: &mut Session, cli: &Cli, a: &ListArgs, now: i64) -> Result<()> {
    let query = list_query(s, a)?;
    let viewer = s.store.viewer(&actor(s, cli)?, now)?;
    let tickets: Vec<_> = s
        .store
        .query_page(&s.cfg, &query, &viewer, Start::Skip(a.offset), a.limit)?
        .into_iter()
        .map(|r| r.ticket)
        .collect();
    let asked = (a.count, a.offset, a.limit);
    let total = total_after(s, &query, &viewer, asked, tickets.len())?;
    if cli.json {
        let arr: Vec<_> = tickets
            .iter()
            .map(|t| output::ticket_json(&s.cfg, t, None))
            .collect();
        print(&output::json_text(&serde_json::Value::Array(arr)));
        partial(s, a.offset, tickets.len(), total);
    } else {
        // The ones after this page.
        print(&output::list_text(
            &s.cfg,
            s.catalog,
            &tickets,
            match total {
                Count::Exact(n) => Count::Exact(n - a.offset.min(n as usize) as i64),
                Count::MoreThan(n) => Count::MoreThan(n - a.offset.min(n as usize) as i64),
            },
            now,
            output::width(),
        ));
    }
    Ok(())
}

/// JSON is never cut short silently: the array is a page, and stderr says of what.
fn partial(s: &Session, offset: usize, shown: usize, total: Count) {
    let next = offset + shown;
    let (key, total) = match total {
        Count::Exact(n) => ("list.partial", n),
        Count::MoreThan(n) => ("list.partial_more", n),
    };
    if (next as i64) < total || offset > 0 {
        output::error_line(&s.catalog.f(
            key,
            &[
                ("first", (offset + 1).min(next).to_string()),
                ("last", next.to_string()),
                ("total", total.to_string()),
                ("next", next.to_string()),
            ],
        ));
    }
}

/// `desk search WORDS…`: the words (a query: words, phrases, fields) over every ticket
/// (open ones with `--open`), newest first, by `--sort`, or by relevance with `--rank`.
pub(super) fn search(s: &mut Session, cli: &Cli, a: &SearchArgs, now: i64) -> Result<()> {
    if a.rebuild {
        let who = actor(s, cli)?;
        let n = s.store.rebuild_search(&who)?;
        print(&s.catalog.f("search.rebuilt", &[("n", n.to_string())]));
        return Ok(());
    }
    let (mut cond, _, _) = filter_cond(s, &a.filters)?;
    let typed = a.words.join(" ");
    cond = s.store.parse_query(&s.cfg, &typed)?.and(cond);
    if a.open {
        cond = cond.and(Cond::Open);
    }
    let query = Query {
        cond,
        sort: a.sort.unwrap_or(SortKey::Age),
        // Newest first unless another order is asked for.
        reverse: a.reverse != a.sort.is_none(),
    };
    let viewer = s.store.viewer(&actor(s, cli)?, now)?;
    let hits = s
        .store
        .search_page(&s.cfg, &query, &viewer, a.rank, a.offset, a.limit)?;
    let total = total_after(s, &query, &viewer, (a.count, a.offset, a.limit), hits.len())?;
    if cli.json {
        let arr: Vec<_> = hits.iter().map(|h| output::hit_json(&s.cfg, h)).collect();
        print(&output::json_text(&serde_json::Value::Array(arr)));
        partial(s, a.offset, hits.len(), total);
    } else {
        print(&output::search_text(
            &s.cfg,
            s.catalog,
            &hits,
            a.offset,
            total,
            now,
            output::width(),
        ));
    }
    Ok(())
}

/// A category as typed (code or name), as desk.toml declares it.
fn category(cfg: &Config, typed: &str) -> Result<String> {
    Ok(cfg
        .resolve_category(typed)
        .map_err(Error::Invalid)?
        .code
        .clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page not full says how many there are; a full one, or an empty one past the start,
    /// does not.
    #[test]
    fn a_page_not_full_is_the_count() {
        assert_eq!(told_by_page(0, 20, 4), Some(Count::Exact(4)));
        assert_eq!(told_by_page(0, 20, 0), Some(Count::Exact(0)));
        assert_eq!(told_by_page(40, 20, 3), Some(Count::Exact(43)));
        assert_eq!(told_by_page(0, 0, 7), Some(Count::Exact(7)));
        assert_eq!(told_by_page(0, 20, 20), None);
        assert_eq!(told_by_page(40, 20, 0), None);
    }
}
