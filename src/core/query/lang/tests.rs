use super::*;
use proptest::prelude::*;

fn vocab() -> Vocabulary {
    Vocabulary {
        statuses: Some(
            [
                "new",
                "attributed",
                "in_progress",
                "waiting_info",
                "resolved",
                "closed",
            ]
            .map(String::from)
            .to_vec(),
        ),
        categories: Some(["HSG", "CMP", "SOC"].map(String::from).to_vec()),
        groups: Some(["HOUSING", "SOCIAL", "FRONT"].map(String::from).to_vec()),
        logins: Some(["olena", "petro", "me_too"].map(String::from).to_vec()),
    }
}

fn p(text: &str) -> Cond {
    match parse(text, &vocab()) {
        Ok(c) => c,
        Err(e) => panic!("{text:?}: {e:?}"),
    }
}

fn e(text: &str) -> QueryError {
    match parse(text, &vocab()) {
        Ok(c) => panic!("{text:?} parsed as {c:?}"),
        Err(e) => e,
    }
}

fn word(w: &str) -> Cond {
    Cond::Text(Text {
        field: None,
        text: w.into(),
        phrase: false,
    })
}

fn day(s: &str) -> When {
    When::Day(NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date"))
}

#[test]
fn fields_and_values() {
    assert_eq!(p(""), Cond::all());
    assert_eq!(p("   "), Cond::all());
    assert_eq!(
        p("status:new,Waiting_Info"),
        Cond::Status(vec!["new".into(), "waiting_info".into()])
    );
    assert_eq!(p("is:open"), Cond::Open);
    assert_eq!(
        p("is:waiting,done"),
        Cond::StatusCategory(vec![StatusCategory::Waiting, StatusCategory::Done])
    );
    assert_eq!(
        p("is:done,open"),
        Cond::Or(vec![
            Cond::Open,
            Cond::StatusCategory(vec![StatusCategory::Done])
        ])
    );
    assert_eq!(p("assignee:me"), Cond::Assignee(Who::Me));
    assert_eq!(p("ASSIGNEE:None"), Cond::Assignee(Who::Nobody));
    assert_eq!(
        p("assignee:olena"),
        Cond::Assignee(Who::Login("olena".into()))
    );
    assert_eq!(
        p("assignee:me,olena"),
        Cond::Or(vec![
            Cond::Assignee(Who::Me),
            Cond::Assignee(Who::Login("olena".into()))
        ])
    );
    assert_eq!(p("group:mine"), Cond::Group(Groups::Mine));
    assert_eq!(
        p("group:housing,Social"),
        Cond::Group(Groups::Codes(vec!["HOUSING".into(), "SOCIAL".into()]))
    );
    assert_eq!(p("category:hsg"), Cond::Category(vec!["HSG".into()]));
    assert_eq!(
        p("priority:urgent,high"),
        Cond::Priority(vec![Priority::Urgent, Priority::High])
    );
    assert_eq!(
        p("priority>=high"),
        Cond::Priority(vec![Priority::High, Priority::Urgent])
    );
    assert_eq!(p("priority<normal"), Cond::Priority(vec![Priority::Low]));
    assert_eq!(
        p("channel:email,in-person,script"),
        Cond::Channel(vec![Channel::Email, Channel::InPerson, Channel::Api])
    );
    assert_eq!(p("sla:at-risk"), Cond::Sla(SlaState::AtRisk));
    assert_eq!(p("sla:at_risk"), Cond::Sla(SlaState::AtRisk));
    assert_eq!(p("sla:breached"), Cond::Sla(SlaState::Breached));
}

#[test]
fn dates() {
    use Cmp::*;
    use DateField::*;
    assert_eq!(
        p("created>2026-11-01"),
        Cond::Date(Created, AtOrAfter, day("2026-11-02"))
    );
    assert_eq!(
        p("created>=2026-11-01"),
        Cond::Date(Created, AtOrAfter, day("2026-11-01"))
    );
    assert_eq!(
        p("created<2026-11-01"),
        Cond::Date(Created, Before, day("2026-11-01"))
    );
    assert_eq!(
        p("created<=2026-11-30"),
        Cond::Date(Created, Before, day("2026-12-01"))
    );
    assert_eq!(
        p("created:2026-11-01"),
        Cond::And(vec![
            Cond::Date(Created, AtOrAfter, day("2026-11-01")),
            Cond::Date(Created, Before, day("2026-11-02")),
        ])
    );
    assert_eq!(
        p("resolved:2026-12"),
        Cond::And(vec![
            Cond::Date(Resolved, AtOrAfter, day("2026-12-01")),
            Cond::Date(Resolved, Before, day("2027-01-01")),
        ])
    );
    assert_eq!(
        p("created:2026-11-01..2026-11-15"),
        Cond::And(vec![
            Cond::Date(Created, AtOrAfter, day("2026-11-01")),
            Cond::Date(Created, Before, day("2026-11-16")),
        ])
    );
    assert_eq!(
        p("created:..2026-11-15"),
        Cond::Date(Created, Before, day("2026-11-16"))
    );
    // An age: less than seven days ago.
    assert_eq!(
        p("updated<7d"),
        Cond::Date(Updated, After, When::Ago(7 * 86_400))
    );
    assert_eq!(
        p("updated>2w"),
        Cond::Date(Updated, Before, When::Ago(14 * 86_400))
    );
    assert_eq!(
        p("updated:30d..7d"),
        Cond::And(vec![
            Cond::Date(Updated, AtOrAfter, When::Ago(30 * 86_400)),
            Cond::Date(Updated, BeforeOrAt, When::Ago(7 * 86_400)),
        ])
    );
    // Due: how long from now.
    assert_eq!(p("due<4h"), Cond::Date(Due, Before, When::Ago(-4 * 3600)));
    assert_eq!(p("due<now"), Cond::Date(Due, Before, When::Ago(0)));
    assert_eq!(
        p("due<-1d12h"),
        Cond::Date(Due, Before, When::Ago(36 * 3600))
    );
    assert_eq!(
        p("resolved:today"),
        Cond::And(vec![
            Cond::Date(Resolved, AtOrAfter, When::Today),
            Cond::Date(Resolved, Before, When::Days(1)),
        ])
    );
    assert_eq!(
        p("closed>=yesterday"),
        Cond::Date(Closed, AtOrAfter, When::Days(-1))
    );
    assert_eq!(
        p("responded<@1767225600"),
        Cond::Date(FirstResponse, Before, When::At(1_767_225_600))
    );
}

#[test]
fn text_negation_or_and_parentheses() {
    assert_eq!(p("heating"), word("heating"));
    assert_eq!(
        p("no heating"),
        Cond::And(vec![word("no"), word("heating")])
    );
    assert_eq!(
        p("\"no heating\""),
        Cond::Text(Text {
            field: None,
            text: "no heating".into(),
            phrase: true
        })
    );
    assert_eq!(
        p("subject:\"say \\\"hi\\\"\" requester:olena"),
        Cond::And(vec![
            Cond::Text(Text {
                field: Some(TextField::Subject),
                text: "say \"hi\"".into(),
                phrase: true
            }),
            Cond::Text(Text {
                field: Some(TextField::Requester),
                text: "olena".into(),
                phrase: false
            }),
        ])
    );
    assert_eq!(
        p("10:30 ORDER"),
        Cond::And(vec![word("10:30"), word("ORDER")])
    );
    assert_eq!(p("-is:open"), Cond::Open.not());
    assert_eq!(p("--is:open"), Cond::Open);
    assert_eq!(
        p("a b OR c"),
        Cond::Or(vec![Cond::And(vec![word("a"), word("b")]), word("c")])
    );
    assert_eq!(
        p("a (b OR c) OR d OR (e OR f)"),
        Cond::Or(vec![
            Cond::And(vec![word("a"), Cond::Or(vec![word("b"), word("c")])]),
            word("d"),
            word("e"),
            word("f"),
        ])
    );
    assert_eq!(
        p("-(status:new OR assignee:none) group:mine"),
        Cond::And(vec![
            Cond::Or(vec![
                Cond::Status(vec!["new".into()]),
                Cond::Assignee(Who::Nobody)
            ])
            .not(),
            Cond::Group(Groups::Mine),
        ])
    );
    // A quoted keyword is a name: the login "me", not me.
    let v = Vocabulary {
        logins: Some(vec!["me".into()]),
        ..vocab()
    };
    assert_eq!(
        parse("assignee:\"me\"", &v),
        Ok(Cond::Assignee(Who::Login("me".into())))
    );
}

#[test]
fn mistakes_name_their_column() {
    let col = |t: &str| e(t).column;
    assert_eq!(col("status:nwe"), 8);
    assert_eq!(
        e("status:nwe").kind,
        ErrorKind::UnknownValue {
            field: "status",
            value: "nwe".into(),
            suggestion: Some("new".into()),
            known: vocab().statuses.unwrap_or_default(),
        }
    );
    assert_eq!(
        e("is:open stauts:new").kind,
        ErrorKind::UnknownField {
            name: "stauts".into(),
            suggestion: Some("status".into())
        }
    );
    assert_eq!(col("is:open stauts:new"), 9);
    assert_eq!(col("a \"b c"), 3);
    assert_eq!(e("a \"b c").kind, ErrorKind::UnclosedQuote);
    assert_eq!(col("a (b"), 3);
    assert_eq!(e("a b)").kind, ErrorKind::UnopenedParen);
    assert_eq!(col("a b)"), 4);
    assert_eq!(e("()").kind, ErrorKind::EmptyGroup);
    assert_eq!(e("OR a").kind, ErrorKind::OrWithoutLeft);
    assert_eq!(e("a OR").kind, ErrorKind::OrWithoutRight);
    assert_eq!(col("a OR"), 3);
    assert_eq!(e("a - b").kind, ErrorKind::LoneMinus);
    assert_eq!(e("\"  \"").kind, ErrorKind::EmptyPhrase);
    assert_eq!(e("status:").kind, ErrorKind::NoValue { field: "status" });
    assert_eq!(col("status:"), 8);
    assert_eq!(col("status:new,"), 12);
    assert_eq!(
        e("status>new").kind,
        ErrorKind::NoComparison {
            field: "status",
            op: ">".into()
        }
    );
    assert_eq!(col("status>new"), 7);
    assert!(matches!(
        e("priority>urgent").kind,
        ErrorKind::NothingBeyond { .. }
    ));
    assert!(matches!(
        e("created>2026-13-01").kind,
        ErrorKind::BadDate { .. }
    ));
    assert!(matches!(e("updated<7").kind, ErrorKind::BadDate { .. }));
    assert_eq!(col("x updated<7"), 11);
    assert!(matches!(e("updated:7d").kind, ErrorKind::NotADay { .. }));
    assert!(matches!(
        e("created:2026-11-15..2026-11-01").kind,
        ErrorKind::BadRange { .. }
    ));
    assert!(matches!(
        e("updated:7d..30d").kind,
        ErrorKind::BadRange { .. }
    ));
    assert!(matches!(e("created:..").kind, ErrorKind::BadRange { .. }));
    assert!(matches!(
        e("assignee:olna").kind,
        ErrorKind::UnknownValue { suggestion: Some(ref s), .. } if s == "olena"
    ));
    assert!(matches!(
        e("group:nowhere").kind,
        ErrorKind::UnknownValue { .. }
    ));
    assert!(matches!(
        e("category:XYZ").kind,
        ErrorKind::UnknownValue { .. }
    ));
    assert!(matches!(
        e("http://example.org").kind,
        ErrorKind::UnknownField { .. }
    ));
    // Column in characters, not bytes.
    assert_eq!(col("опалення stauts:x"), 10);
    assert_eq!(e(&"(".repeat(40)).kind, ErrorKind::TooDeep);
    assert_eq!(e(&"a ".repeat(70)).kind, ErrorKind::TooMany);
    assert_eq!(e(&"a".repeat(MAX_CHARS + 1)).kind, ErrorKind::TooLong);
}

#[test]
fn printing_reads_back() {
    for text in [
        "status:new,waiting_info is:open -assignee:none group:mine,HOUSING",
        "created>2026-11-01 updated<7d due<4h due<-2h resolved:today closed>=yesterday",
        "created<=today created>today created:yesterday responded<@1767225600 due>now",
        "(a OR b) -(c OR \"d e\") subject:heat body:\"no heating\" 10:30",
        "priority>=high channel:email sla:at-risk,breached category:hsg,cmp",
        "assignee:me,none,olena OR -(created:2026-11 status:closed)",
        "updated:30d..7d created:2026-01-01.. resolved:..2026-02-03",
        "\"OR\" \"-x\" \"a:b\" \"say \\\"hi\\\"\"",
    ] {
        let q = p(text);
        let printed = print(&q);
        assert_eq!(
            parse(&printed, &vocab()),
            Ok(q.clone()),
            "{text} → {printed}"
        );
    }
    assert_eq!(print(&p("is:open assignee:me")), "is:open assignee:me");
    assert_eq!(print(&p("updated<7d")), "updated<7d");
    assert_eq!(print(&p("created>2026-11-01")), "created>=2026-11-02");
    assert_eq!(
        print(&p("created:2026-11-01")),
        "created>=2026-11-01 created<2026-11-02"
    );
    assert_eq!(print(&p("a (b OR c)")), "a (b OR c)");
    assert_eq!(print(&p("-(a b)")), "-(a b)");
    assert_eq!(print(&Cond::all()), "");
}

#[test]
fn saved_queues_fill_their_placeholders_as_values() {
    let t = "assignee:{agent} is:open -category:{cat} subject:{w}";
    let params = parse_template(t, &vocab()).expect("template");
    assert_eq!(
        params
            .iter()
            .map(|p| (p.name.as_str(), p.field))
            .collect::<Vec<_>>(),
        vec![
            ("agent", Field::Assignee),
            ("cat", Field::Category),
            ("w", Field::Text(TextField::Subject)),
        ]
    );
    let filled = instantiate(
        t,
        &params,
        &[
            ("agent".into(), "olena".into()),
            ("cat".into(), "hsg".into()),
            ("w".into(), "x OR status:new".into()),
        ],
    );
    assert_eq!(
        filled,
        "assignee:olena is:open -category:hsg subject:\"x OR status:new\""
    );
    assert!(parse(&filled, &vocab()).is_ok());
    // A template is still checked everywhere else.
    assert!(parse_template("assignee:{agent} stauts:new", &vocab()).is_err());
    // Outside a saved queue, braces are a value like any other.
    assert!(parse("assignee:{agent}", &vocab()).is_err());
}

fn fragment() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "status:new",
        "status:closed,new",
        "is:open",
        "is:waiting,done,open",
        "assignee:me",
        "assignee:none,olena",
        "group:mine",
        "group:SOCIAL,housing",
        "category:HSG",
        "priority>=high",
        "priority:low",
        "channel:phone",
        "sla:breached",
        "created>2026-11-01",
        "updated<7d",
        "due<4h",
        "due>=-1d",
        "resolved:today",
        "closed:2026-11",
        "created:2026-01-01..2026-01-31",
        "responded>=now",
        "updated:2w..1d",
        "heat",
        "10:30",
        "\"no heating\"",
        "subject:boiler",
        "note:\"call back\"",
        "requester:olena",
        "number:HSG",
        "OR",
        "-",
        "(",
        ")",
        "\"",
        "status:",
        "stauts:new",
        ",",
        ":",
        "<",
        "..",
        "  ",
    ])
    .prop_map(String::from)
}

proptest! {
    /// Anything typed gives a query or a mistake at a column inside it — never a panic.
    #[test]
    fn any_text_reads_or_says_where(s in "[ -~а-яё\\t]{0,80}") {
        match parse(&s, &vocab()) {
            Ok(q) => {
                let printed = print(&q);
                prop_assert_eq!(parse(&printed, &vocab()), Ok(q), "printed {}", printed);
            }
            Err(e) => {
                prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{:?}", e);
                let (key, _) = e.key_args();
                prop_assert!(key.starts_with("query."));
            }
        }
    }

    /// Queries made of the grammar's own pieces: printing and reading again gives the same
    /// query, and a mistake is at a column of the text.
    #[test]
    fn printed_queries_read_back(parts in prop::collection::vec(fragment(), 0..12)) {
        let s = parts.join(" ");
        match parse(&s, &vocab()) {
            Ok(q) => {
                let printed = print(&q);
                prop_assert_eq!(parse(&printed, &vocab()), Ok(q.clone()), "{} → {}", s, printed);
                prop_assert_eq!(print(&q), printed);
            }
            Err(e) => prop_assert!(e.column >= 1 && e.column <= s.chars().count() + 1, "{:?}", e),
        }
    }

    /// Glued pieces too (no spaces): `(a OR-b)status:new`.
    #[test]
    fn glued_pieces(parts in prop::collection::vec(fragment(), 0..10)) {
        let s = parts.concat();
        if let Ok(q) = parse(&s, &vocab()) {
            let printed = print(&q);
            prop_assert_eq!(parse(&printed, &vocab()), Ok(q), "{} → {}", s, printed);
        }
    }
}

#[test]
fn a_dash_before_or_reads_back_the_same() {
    // Found by glued_pieces: "status:new  -OR" printed and read again must be the same query.
    for s in ["status:new  -OR", "-OR", "a -OR b", "-AND", "-NOT"] {
        if let Ok(q) = parse(s, &vocab()) {
            let printed = print(&q);
            assert_eq!(parse(&printed, &vocab()), Ok(q), "{s} → {printed}");
        }
    }
}
