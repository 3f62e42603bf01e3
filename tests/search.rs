//! The query language and search: every field and operator of `desk help query` gives the
//! tickets that plain SQL written here gives, on a generated desk; mistakes are one line with
//! their column (exit 2); `desk list --query` and the store agree.

mod common;

use common::Desk;
use desk::core::query::lang;
use desk::core::query::{Query, Viewer};
use desk::session::Session;
use desk::store::Mode;
use desk::store::query::Start;
use std::collections::BTreeSet;

/// A demo desk, and a session and viewer as opetrenko.
struct Fixture {
    d: Desk,
    s: Session,
    viewer: Viewer,
    me: i64,
}

fn fixture(tickets: usize) -> Fixture {
    let d = Desk::new();
    d.run(&["demo", "--tickets", &tickets.to_string()]).ok();
    let s = Session::open_for(&d.db, None, Mode::Existing, "opetrenko").expect("session");
    let me: i64 = d
        .sql()
        .query_row("SELECT id FROM agents WHERE login = 'opetrenko'", [], |r| {
            r.get(0)
        })
        .expect("agent");
    let now = desk::session::now();
    let viewer = Viewer {
        agent_id: me,
        groups: s.store.groups_of(me).expect("groups"),
        day_start: desk::time::day_start(now),
        now,
    };
    Fixture { d, s, viewer, me }
}

impl Fixture {
    fn read(&self, text: &str) -> BTreeSet<i64> {
        let vocab = self.s.store.vocabulary(&self.s.cfg).expect("vocabulary");
        let cond = match lang::parse(text, &vocab) {
            Ok(c) => c,
            Err(e) => panic!("{text}: {e}"),
        };
        let q = Query::new(cond);
        let rows = self
            .s
            .store
            .query_page(&self.s.cfg, &q, &self.viewer, Start::Top, 0)
            .expect("page");
        let n = self
            .s
            .store
            .query_count(&self.s.cfg, &q, &self.viewer)
            .expect("count");
        assert_eq!(n, rows.len() as i64, "{text}: count and rows agree");
        rows.into_iter().map(|r| r.ticket.id).collect()
    }

    fn plain(&self, w: &str) -> BTreeSet<i64> {
        let sql = self.d.sql();
        let mut st = sql
            .prepare(&format!("SELECT id FROM tickets WHERE {w}"))
            .expect("plain sql");
        st.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    /// The start of a day `days` from today, desk time (UTC in tests).
    fn day(&self, days: i64) -> i64 {
        desk::time::day_start(self.viewer.now) + days * 86_400
    }
}

#[test]
fn every_field_and_operator_matches_plain_sql() {
    let f = fixture(800);
    let now = f.viewer.now;
    let me = f.me;
    let today = f.viewer.day_start;
    let date = |secs: i64| {
        chrono::DateTime::from_timestamp(secs, 0)
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    // Days in the query are desk days: the desk's time zone is UTC here.
    let (d10, d3) = (f.day(-10), f.day(-3));
    let groups = f
        .viewer
        .groups
        .iter()
        .map(|g| format!("'{g}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let cases: Vec<(String, String)> = vec![
        ("".into(), "1".into()),
        ("status:new".into(), "status = 'new'".into()),
        (
            "status:RESOLVED,closed".into(),
            "status IN ('resolved', 'closed')".into(),
        ),
        ("-status:closed".into(), "status <> 'closed'".into()),
        ("is:open".into(), "is_open = 1".into()),
        ("-is:open".into(), "is_open = 0".into()),
        (
            "is:waiting,done".into(),
            "status IN ('waiting_info', 'resolved', 'rejected')".into(),
        ),
        (
            "is:initial,open".into(),
            "status = 'new' OR is_open = 1".into(),
        ),
        ("assignee:me".into(), format!("assignee_id = {me}")),
        ("assignee:none".into(), "assignee_id IS NULL".into()),
        (
            "-assignee:none".into(),
            "assignee_id IS NOT NULL".into(),
        ),
        (
            "assignee:lbondar,me".into(),
            format!(
                "assignee_id IN (SELECT id FROM agents WHERE login = 'lbondar') OR assignee_id = {me}"
            ),
        ),
        (
            "-assignee:lbondar".into(),
            "assignee_id IS NULL OR assignee_id NOT IN (SELECT id FROM agents WHERE login = 'lbondar')"
                .into(),
        ),
        ("group:mine".into(), format!("group_code IN ({groups})")),
        (
            "group:housing,Front".into(),
            "group_code IN ('HOUSING', 'FRONT')".into(),
        ),
        (
            "-group:HOUSING".into(),
            "group_code IS NULL OR group_code <> 'HOUSING'".into(),
        ),
        ("category:hsg".into(), "category = 'HSG'".into()),
        (
            "category:HSG,cmp".into(),
            "category IN ('HSG', 'CMP')".into(),
        ),
        ("priority:urgent".into(), "priority = 3".into()),
        ("priority:low,high".into(), "priority IN (0, 2)".into()),
        ("priority>=high".into(), "priority >= 2".into()),
        ("priority>normal".into(), "priority > 1".into()),
        ("priority<high".into(), "priority < 2".into()),
        ("priority<=normal".into(), "priority <= 1".into()),
        ("channel:phone".into(), "channel = 'phone'".into()),
        (
            "channel:e-mail,\"in person\",script".into(),
            "channel IN ('email', 'in_person', 'api')".into(),
        ),
        (
            "sla:at-risk".into(),
            format!("is_open = 1 AND risk_at <= {now}"),
        ),
        (
            "sla:breached".into(),
            format!("is_open = 1 AND due_at <= {now} AND status <> 'waiting_info'"),
        ),
        (
            format!("created>{}", date(d10)),
            format!("created_at >= {}", d10 + 86_400),
        ),
        (
            format!("created>={}", date(d10)),
            format!("created_at >= {d10}"),
        ),
        (
            format!("created<{}", date(d10)),
            format!("created_at < {d10}"),
        ),
        (
            format!("created<={}", date(d10)),
            format!("created_at < {}", d10 + 86_400),
        ),
        (
            format!("created:{}", date(d10)),
            format!("created_at >= {d10} AND created_at < {}", d10 + 86_400),
        ),
        (
            format!("created:{}..{}", date(d10), date(d3)),
            format!("created_at >= {d10} AND created_at < {}", d3 + 86_400),
        ),
        (
            format!("created:..{}", date(d10)),
            format!("created_at < {}", d10 + 86_400),
        ),
        (
            format!("created:{}..", date(d3)),
            format!("created_at >= {d3}"),
        ),
        (
            "updated<7d".into(),
            format!("updated_at > {}", now - 7 * 86_400),
        ),
        (
            "updated>2w".into(),
            format!("updated_at < {}", now - 14 * 86_400),
        ),
        (
            "updated:30d..7d".into(),
            format!(
                "updated_at >= {} AND updated_at <= {}",
                now - 30 * 86_400,
                now - 7 * 86_400
            ),
        ),
        ("due<4h".into(), format!("due_at < {}", now + 4 * 3600)),
        ("due<now".into(), format!("due_at < {now}")),
        ("due>=-1d".into(), format!("due_at >= {}", now - 86_400)),
        ("resolved:today".into(), format!("resolved_at >= {today} AND resolved_at < {}", today + 86_400)),
        (
            "resolved>=yesterday".into(),
            format!("resolved_at >= {}", today - 86_400),
        ),
        (
            "-resolved>=yesterday".into(),
            format!("resolved_at IS NULL OR resolved_at < {}", today - 86_400),
        ),
        (
            format!("closed<@{now}"),
            format!("closed_at < {now}"),
        ),
        (
            "responded<1d".into(),
            format!("first_response_at > {}", now - 86_400),
        ),
        (
            "status:new OR priority:urgent".into(),
            "status = 'new' OR priority = 3".into(),
        ),
        (
            "is:open (assignee:me OR assignee:none) -category:HSG".into(),
            format!("is_open = 1 AND (assignee_id = {me} OR assignee_id IS NULL) AND category <> 'HSG'"),
        ),
        (
            "-(status:new OR channel:phone) group:HOUSING OR priority:urgent is:done".into(),
            "(NOT (status = 'new' OR channel = 'phone') AND group_code = 'HOUSING') \
             OR (priority = 3 AND status IN ('resolved', 'rejected'))"
                .into(),
        ),
    ];
    for (text, w) in &cases {
        let got = f.read(text);
        let want = f.plain(w);
        assert_eq!(got, want, "{text} against {w}");
        assert!(
            !want.is_empty() || text.contains("due<4h"),
            "{text}: an empty answer proves nothing"
        );
        // Printing the query and reading it back finds the same tickets.
        let vocab = f.s.store.vocabulary(&f.s.cfg).expect("vocabulary");
        let printed = lang::print(&lang::parse(text, &vocab).expect("parses"));
        assert_eq!(f.read(&printed), want, "{text} printed as {printed}");
    }
}

#[test]
fn the_command_line_reads_queries_and_says_where_a_mistake_is() {
    let f = fixture(300);
    let d = &f.d;
    // The same tickets as the store reads, open ones unless the query names a status.
    let listed = |q: &str, extra: &[&str]| -> BTreeSet<String> {
        let mut args = vec!["list", "--json", "--limit", "0", "--query", q];
        args.extend_from_slice(extra);
        d.run_as("opetrenko", &args)
            .json()
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["number"].as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    };
    let numbers = |w: &str| -> BTreeSet<String> {
        let sql = d.sql();
        let mut st = sql
            .prepare(&format!("SELECT number FROM tickets WHERE {w}"))
            .expect("sql");
        st.query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(
        listed("priority>=high", &[]),
        numbers("priority >= 2 AND is_open = 1")
    );
    assert_eq!(
        listed("priority>=high", &["--all"]),
        numbers("priority >= 2")
    );
    assert_eq!(
        listed("status:closed,new priority>=high", &[]),
        numbers("priority >= 2 AND status IN ('closed', 'new')")
    );
    assert_eq!(
        listed("assignee:me", &["--group", "HOUSING"]),
        numbers(&format!(
            "assignee_id = {} AND group_code = 'HOUSING' AND is_open = 1",
            f.me
        ))
    );
    d.run(&["list", "--query", "is:open stauts:new"]).fails(
        2,
        "query, column 9: there is no field 'stauts'; did you mean status?",
    );
    d.run(&["list", "-q", "created>2026-13-01"])
        .fails(2, "column 9: '2026-13-01' is not a time for created");
    d.run(&["list", "-q", "(status:new"])
        .fails(2, "column 1: the parenthesis opened here is never closed");
    d.run(&["list", "-q", "assignee:nobody_here"])
        .fails(2, "column 10: assignee has no value 'nobody_here'");
    let r = command_lang(d, "uk_UA.UTF-8", &["list", "-q", "status:nwe"]);
    r.fails(
        2,
        "запит, позиція 8: у status немає значення 'nwe'; можливо, new?",
    );
    let r = command_lang(d, "ru_RU.UTF-8", &["list", "-q", "a OR"]);
    r.fails(2, "запрос, позиция 3: после OR нужно условие");
    // The grammar, in the reader's language.
    let help = d.run(&["help", "query"]).ok();
    assert!(help.contains("created:2026-11-01..2026-11-15"), "{help}");
    let help = command_lang(d, "ru_RU.UTF-8", &["help", "query"]).ok();
    assert!(help.contains("Запрос находит обращения"), "{help}");
    let help = d.run(&["help", "list"]).ok();
    assert!(help.contains("--query"), "{help}");
    d.run(&["help", "nonsense"])
        .fails(2, "desk has no command 'nonsense'");
}

fn command_lang(d: &Desk, lang: &str, args: &[&str]) -> common::Run {
    common::Run::from(
        common::command(&d.db)
            .env("LANG", lang)
            .args(args)
            .output()
            .expect("run desk"),
    )
}
