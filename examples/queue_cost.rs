//! The store's calls behind the terminal desk's keys, alone, for measuring their processor
//! time (callgrind: instructions are repeatable on a loaded machine; issue 17):
//!
//!   queue_cost DB QUEUE OP [TEXT] [REPEAT]
//!
//! QUEUE: a built-in queue's id (open, at_risk, all, …); TEXT: a filter typed after `/`.
//! OP: `page` (its first page of 38 rows, what a filter reads before its frame), `count` (its
//! count, what the counting thread reads after the frame), `end` (its last page, what End
//! reads once the count is known), `none` (only the opening: subtract it). Each OP runs
//! REPEAT times (default 1); prints the rows or the count and the time of each run.
//! `PLAIN=1`: text in a list of open tickets asked of the index in the statement (the plan
//! before `store::query::open`).

use desk::core::query::{QueueKind, QueueSpec};
use desk::session::Session;
use desk::store::Mode;
use desk::store::query::Start;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: queue_cost DB QUEUE page|count|end|none [TEXT] [REPEAT]");
        std::process::exit(2);
    }
    let mut session = Session::open(std::path::Path::new(&args[1]), None, Mode::Existing)?;
    session
        .store
        .read_open_text_plainly(std::env::var_os("PLAIN").is_some());
    let kind = QueueKind::from_id(&args[2]).ok_or("no such queue")?;
    let text = args.get(4).cloned().unwrap_or_default();
    let repeat: usize = args.get(5).map(|r| r.parse()).transpose()?.unwrap_or(1);
    let (store, cfg) = (&session.store, &session.cfg);
    let actor = store.actor(&session.login, None)?;
    let viewer = store.viewer(&actor, desk::session::now())?;
    let mut spec = QueueSpec::new(kind);
    if !text.trim().is_empty() {
        spec.filter = Some(store.parse_query(cfg, &text)?);
        spec.text = text;
    }
    let q = spec.query();
    for _ in 0..repeat {
        let t0 = Instant::now();
        let said = match args[3].as_str() {
            "page" => format!(
                "{} rows",
                store.query_page(cfg, &q, &viewer, Start::Top, 38)?.len()
            ),
            "count" => format!("{} tickets", store.query_count(cfg, &q, &viewer)?),
            "end" => format!(
                "{} rows",
                store.query_page(cfg, &q, &viewer, Start::Bottom, 38)?.len()
            ),
            "none" => String::new(),
            op => return Err(format!("no such op: {op}").into()),
        };
        println!("{said} in {:.3} ms", t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(())
}
