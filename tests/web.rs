//! The requester's side on the web and on the phone: `desk status NUMBER` (what an operator
//! reads out) and a real `desk serve` spoken to over plain HTTP — the form and its token, the
//! status by number and access code, the rate limits, hostile input, huge bodies, and a wrong
//! code that looks exactly like an unknown number.

mod common;

use common::Desk;
use common::web::{
    PUBLIC_URL, Resp, Server, configure, exchange, form, letters, letters_text, web_desk,
};

/// A web desk and its `desk serve`, with the folder its notices go to.
fn served() -> (tempfile::TempDir, Desk, Server) {
    let mail = letters();
    let d = web_desk(mail.path());
    let s = Server::start(&d, "web");
    (mail, d, s)
}

/// Number and code from a registration's redirect (`status?number=…&code=…&new=MARK`).
fn registered(r: &Resp) -> (String, String) {
    assert_eq!(r.status, 303, "{}", r.body);
    let to = r.header("location").expect("a redirect");
    assert!(
        to.starts_with("status?"),
        "relative, so a path prefix works: {to}"
    );
    let q = desk::web::fields(to.split_once('?').map(|x| x.1).unwrap_or("").as_bytes());
    (q["number"].clone(), q["code"].clone())
}

fn tickets(d: &Desk) -> i64 {
    d.sql()
        .query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))
        .expect("count")
}

fn status_path(number: &str, code: &str) -> String {
    format!("/status?{}", form(&[("number", number), ("code", code)]))
}

// ---- desk status: the requester's view, read out -------------------------------------------

#[test]
fn desk_status_reads_out_only_what_is_public() {
    let d = Desk::staffed();
    let n = d.new_ticket(
        "No heating in flat 12",
        &[
            "--requester",
            "Olena K.",
            "--contact",
            "+380 67 412 1190",
            "--channel",
            "phone",
            "--category",
            "HSG",
        ],
    );
    d.run_as("olena", &["claim", &n]).ok();
    d.run_as(
        "olena",
        &["comment", &n, "The neighbour says the valve is broken"],
    )
    .ok();
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "waiting_info",
            "--outcome",
            "clarification",
            "--question",
            "Which radiator?",
        ],
    )
    .ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "in_progress",
            "--reason",
            "she phoned back: kitchen",
        ],
    )
    .ok();
    d.run_as("olena", &["reply", &n, "The plumber comes on Thursday."])
        .ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "resolved",
            "--outcome",
            "partial",
            "--next-steps",
            "Plumber on Thursday",
            "--answer",
            "We replace the valve on Thursday between 9 and 13.",
        ],
    )
    .ok();
    let out = d.run(&["status", &n]).ok();
    for said in [
        "No heating in flat 12",
        "Status: Done",
        "Handled by: Housing",
        "Decision: partially granted — Next steps: Plumber on Thursday",
        "Our answer: We replace the valve on Thursday between 9 and 13.",
        "Registered (phone)",
        "Given to a specialist",
        "Being worked on",
        "Waiting for information from you",
        "Decision: clarification requested",
        "Question: Which radiator?",
        "Our answer to you",
        "The plumber comes on Thursday.",
    ] {
        assert!(out.contains(said), "{said:?} missing:\n{out}");
    }
    for secret in [
        "neighbour",
        "valve is broken",
        "phoned back",
        "olena",
        "+380",
    ] {
        assert!(!out.contains(secret), "{secret:?} leaked:\n{out}");
    }
    // The same in the reader's language, and as JSON with stable names.
    let ru = common::command(&d.db)
        .env("LANG", "ru_RU.UTF-8")
        .args(["status", &n])
        .output()
        .expect("run");
    let ru = String::from_utf8_lossy(&ru.stdout);
    assert!(ru.contains("Состояние: Выполнено"), "{ru}");
    let j = d.run(&["status", &n, "--json"]).json();
    assert_eq!(j["status"], "resolved");
    assert_eq!(j["status_text"], "Done");
    assert_eq!(j["decision"]["outcome"], "partial");
    assert_eq!(j["handler"], serde_json::Value::Null, "staff not shown");
    let kinds: Vec<&str> = j["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .filter_map(|s| s["kind"].as_str())
        .collect();
    assert_eq!(kinds.first(), Some(&"registered"));
    assert!(!j.to_string().contains("neighbour"));
}

#[test]
fn desk_status_checks_the_code_the_caller_gives_and_names_staff_only_if_configured() {
    let d = Desk::staffed();
    let n = d.new_ticket("Broken lift", &["--channel", "phone", "--category", "HSG"]);
    let code = d.show(&n)["access_code"]
        .as_str()
        .expect("code")
        .to_string();
    d.run(&[
        "status",
        &n,
        "--code",
        &code.to_lowercase().replace('-', " "),
    ])
    .ok();
    d.run(&["status", &n, "--code", "AAAA-BBBB-CCCC"])
        .fails(4, "is not");
    d.run_as("olena", &["claim", &n]).ok();
    assert!(!d.run(&["status", &n]).ok().contains("olena"));
    configure(&d, PUBLIC_URL, "[web]\nshow_staff = true\n");
    let out = d.run(&["status", &n]).ok();
    assert!(out.contains("Housing department · olena"), "{out}");
    // `desk status list` still lists the lifecycle.
    assert!(d.run(&["status", "list"]).ok().contains("waiting_info"));
}

// ---- desk serve: the form, the status page -------------------------------------------------

#[test]
fn a_request_from_the_form_is_registered_shown_and_acknowledged_with_its_link() {
    let (mail, d, s) = served();
    let mut c = s
        .client()
        .with_header("Accept-Language", "uk-UA,uk;q=0.9,en;q=0.5");
    let r = c.submit(&[
        ("name", "Olena K."),
        ("contact", "olena@example.org"),
        ("subject", "Немає опалення"),
        ("text", "У квартирі 12 холодно\nз понеділка."),
    ]);
    let (number, code) = registered(&r);
    let page = c.get(&format!("/{}", r.header("location").unwrap_or("")));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.by_id("new-number").as_deref(), Some(number.as_str()));
    assert_eq!(page.by_id("new-code").as_deref(), Some(code.as_str()));
    assert_eq!(
        page.by_id("status").as_deref(),
        Some("Зареєстровано, чекає на розгляд")
    );
    assert!(
        page.body.contains("Зареєстровано (вебформа)") || page.body.contains("Зареєстровано ("),
        "{}",
        page.body
    );
    // Without `new`, the code is not repeated on the page.
    let again = c.get(&status_path(&number, &code));
    assert_eq!(again.status, 200);
    assert!(again.by_id("new-code").is_none());
    let t = d.show(&number);
    assert_eq!(t["channel"], "web");
    assert_eq!(t["language"], "uk");
    assert_eq!(t["contact"], "olena@example.org");
    assert_eq!(t["access_code"], code.as_str());
    // The acknowledgement repeats number and code and carries the ready link.
    d.run_as("mailer", &["mail", "send"]).ok();
    let letters = letters_text(mail.path());
    assert_eq!(letters.len(), 1);
    let text = &letters[0];
    let link = format!("{PUBLIC_URL}/status?number={number}&code={code}");
    assert!(text.contains(&link), "{link} in:\n{text}");
    assert!(text.contains(&number) && text.contains(&code));
    // The link's path and query are what the page answers.
    let path = link.trim_start_matches(PUBLIC_URL);
    assert_eq!(c.get(path).status, 200);
}

#[test]
fn a_form_sent_twice_registers_once_and_a_phone_number_is_acknowledged_on_the_page() {
    let (_mail, d, s) = served();
    let mut c = s.client();
    let token = c.token();
    let body = form(&[
        ("token", &token),
        ("contact", "+380 67 412 1190"),
        ("subject", "Broken lift"),
        ("text", "Since Friday"),
    ]);
    let first = registered(&c.post("/", &body));
    let second = registered(&c.post("/", &body));
    assert_eq!(first, second, "a double click registers one request");
    assert_eq!(tickets(&d), 1);
    let notices = d.run(&["mail", "list", "--json"]).json();
    assert_eq!(
        notices[0]["state"], "informed",
        "shown on the page: {notices}"
    );
}

#[test]
fn the_status_follows_the_desks_decisions_and_hides_internal_notes() {
    let (_mail, d, s) = served();
    let mut c = s.client();
    let (n, code) = registered(&c.submit(&[("subject", "Subsidy"), ("text", "Please")]));
    d.run(&["assign", &n, "olena", "--group", "SOCIAL"]).ok();
    d.run_as("olena", &["comment", &n, "INTERNAL: income unclear"])
        .ok();
    d.run_as("olena", &["move", &n, "in_progress"]).ok();
    d.run_as(
        "olena",
        &[
            "move",
            &n,
            "rejected",
            "--outcome",
            "refused",
            "--reason",
            "Income above the limit",
            "--answer",
            "We are sorry: <b>not</b> this time.",
        ],
    )
    .ok();
    let p = c.get(&status_path(&n, &code));
    assert_eq!(p.by_id("status").as_deref(), Some("Declined"));
    assert!(
        p.body.contains("refused — Reason: Income above the limit"),
        "{}",
        p.body
    );
    assert!(
        p.body
            .contains("We are sorry: &lt;b&gt;not&lt;/b&gt; this time.")
    );
    assert!(
        !p.body.contains("INTERNAL") && !p.body.contains("olena"),
        "{}",
        p.body
    );
}

// ---- the form's token ------------------------------------------------------------------------

#[test]
fn forms_not_from_the_desks_own_page_are_refused_and_keep_their_text() {
    let (_mail, d, s) = served();
    let fields = [("subject", "Forged"), ("text", "Kept <text> here")];
    // No cookie, no token: a page on another site posting to the desk.
    let mut stranger = s.client();
    let r = stranger.post("/", &form(&fields));
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.contains("Kept &lt;text&gt; here"),
        "the text is given back"
    );
    // A token of another browser (its cookie differs).
    let mut a = s.client();
    let token = a.token();
    let mut b = s.client();
    b.token();
    let mut with_token = vec![("token", token.as_str())];
    with_token.extend_from_slice(&fields);
    assert_eq!(b.post("/", &form(&with_token)).status, 403);
    // A token tampered with.
    let last = if token.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &token[..token.len() - 1]);
    let mut bad = vec![("token", forged.as_str())];
    bad.extend_from_slice(&fields);
    assert_eq!(a.post("/", &form(&bad)).status, 403);
    // The look-up form too.
    assert_eq!(
        stranger
            .post("/status", &form(&[("number", "X"), ("code", "Y")]))
            .status,
        403
    );
    assert_eq!(tickets(&d), 0, "nothing registered");
    // The page refused gives a fresh token, which works.
    let fresh = r.input("token").expect("a new token");
    let mut ok = vec![("token", fresh.as_str())];
    ok.extend_from_slice(&fields);
    registered(&stranger.post("/", &form(&ok)));
}

// ---- rate limits ---------------------------------------------------------------------------

#[test]
fn ten_failed_lookups_a_minute_then_429_per_client() {
    let (_mail, _d, s) = served();
    let (n, code) = registered(
        &s.client()
            .submit(&[("subject", "Lift"), ("text", "Broken")]),
    );
    let mut guesser = s.client().seen_from("198.51.100.7");
    // Successful look-ups do not count.
    for _ in 0..12 {
        assert_eq!(guesser.get(&status_path(&n, &code)).status, 200);
    }
    for i in 0..10 {
        let r = guesser.get(&status_path(&n, &format!("AAAA-BBBB-CC{:02}", i)));
        assert_eq!(r.status, 404, "attempt {i}");
    }
    let r = guesser.get(&status_path(&n, "AAAA-BBBB-CCCC"));
    assert_eq!(r.status, 429, "{}", r.body);
    let wait: i64 = r
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(
        r.body.contains("Too many wrong numbers or codes"),
        "{}",
        r.body
    );
    // Even the right code waits now: guessing cannot go on.
    assert_eq!(guesser.get(&status_path(&n, &code)).status, 429);
    // POSTed look-ups count the same.
    let token = guesser.token();
    let r = guesser.post(
        "/status",
        &form(&[("token", &token), ("number", &n), ("code", &code)]),
    );
    assert_eq!(r.status, 429);
    // Another client is not held; an IPv6 neighbour in another /64 neither.
    assert_eq!(
        s.client()
            .seen_from("198.51.100.8")
            .get(&status_path(&n, &code))
            .status,
        200
    );
    // The same address behind a different proxy chain is the same client.
    let chained = s.client().seen_from("198.51.100.7, 127.0.0.1");
    assert_eq!(chained.clone().get(&status_path(&n, &code)).status, 429);
    // A mark of the desk's own is no way around it: made up, or another request's.
    let forged = format!("{}&new=1", status_path(&n, &code));
    assert_eq!(guesser.get(&forged).status, 429);
    let other = s
        .client()
        .seen_from("198.51.100.9")
        .submit(&[("subject", "Other"), ("text", "Other")]);
    let mark = other
        .header("location")
        .and_then(|l| l.split("&new=").nth(1))
        .expect("a mark");
    let borrowed = format!("{}&new={mark}", status_path(&n, &code));
    assert_eq!(guesser.get(&borrowed).status, 429);
    // But a request the limited client sends is registered and shown to it, number and code.
    let mine = guesser.submit(&[("subject", "Mine"), ("text", "Still mine")]);
    let (n2, code2) = registered(&mine);
    let page = guesser.get(&format!("/{}", mine.header("location").unwrap_or("")));
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.by_id("new-number").as_deref(), Some(n2.as_str()));
    assert_eq!(page.by_id("new-code").as_deref(), Some(code2.as_str()));
    assert_eq!(guesser.get(&status_path(&n2, &code2)).status, 429);
}

#[test]
fn twenty_submissions_an_hour_then_429() {
    let (_mail, d, s) = served();
    let mut c = s.client().seen_from("203.0.113.50");
    for i in 0..20 {
        let r = c.submit(&[("subject", &format!("Request {i}")), ("text", "text")]);
        assert_eq!(r.status, 303, "submission {i}: {}", r.body);
    }
    let r = c.submit(&[("subject", "One too many"), ("text", "text")]);
    assert_eq!(r.status, 429, "{}", r.body);
    assert!(r.header("retry-after").is_some());
    assert_eq!(tickets(&d), 20);
    let r = s
        .client()
        .seen_from("203.0.113.51")
        .submit(&[("subject", "Neighbour"), ("text", "text")]);
    assert_eq!(r.status, 303);
}

#[test]
fn forwarded_for_is_believed_only_from_configured_proxies() {
    let mail = letters();
    let d = Desk::staffed();
    configure(
        &d,
        PUBLIC_URL,
        &format!(
            "[mail]\nfrom = \"d@example.org\"\ntransport = \"dir:{}\"\n",
            mail.path().display()
        ),
    );
    d.run(&["agent", "add", "web", "--role", "web"]).ok();
    let s = Server::start(&d, "web");
    // Each attempt claims another address: all are the one peer, 127.0.0.1.
    for i in 0..10 {
        let r = s
            .client()
            .seen_from(&format!("192.0.2.{i}"))
            .get(&status_path("GEN-2611-00001-0", "AAAA-BBBB-CCCC"));
        assert_eq!(r.status, 404);
    }
    let r = s
        .client()
        .seen_from("192.0.2.99")
        .get(&status_path("X", "Y"));
    assert_eq!(r.status, 429);
    // Nor is X-Forwarded-Proto: no HSTS, no Secure cookie over plain HTTP.
    let r = s
        .client()
        .with_header("X-Forwarded-Proto", "https")
        .get("/");
    assert!(r.header("strict-transport-security").is_none());
    assert!(r.all("set-cookie").iter().all(|c| !c.contains("Secure")));
}

#[test]
fn through_the_proxy_https_brings_secure_cookies_and_hsts() {
    let (_mail, _d, s) = served();
    let r = s
        .client()
        .seen_from("203.0.113.9")
        .with_header("X-Forwarded-Proto", "https")
        .get("/?lang=ru");
    assert!(r.header("strict-transport-security").is_some());
    let cookies = r.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies
            .iter()
            .all(|c| c.contains("; Secure") && c.contains("SameSite=Lax"))
    );
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("desk_form=") && c.contains("HttpOnly"))
    );
}

// ---- indistinguishable answers -------------------------------------------------------------

#[test]
fn a_wrong_code_and_an_unknown_number_get_the_same_answer() {
    let (_mail, d, s) = served();
    let (n, code) = registered(
        &s.client()
            .submit(&[("subject", "Lift"), ("text", "Broken")]),
    );
    // Another number of the same shape that nobody has, and a code that is not the ticket's.
    let unknown = d.run(&["status", &n]).ok();
    assert!(unknown.starts_with(&n));
    let seq: u32 = n
        .split('-')
        .nth(2)
        .and_then(|s| s.parse().ok())
        .expect("sequence");
    let other = format!("{}-{}-{:05}-", &n[..3], &n[4..8], seq + 500);
    let missing = (0..36u32)
        .filter_map(|c| char::from_digit(c, 36))
        .map(|c| format!("{other}{}", c.to_ascii_uppercase()))
        .find(|cand| d.run(&["status", cand]).code == 3)
        .expect("a well-formed number nobody has");
    let wrong = if code.starts_with('A') { "B" } else { "A" }.to_string() + &code[1..];
    let mut client = s.client();
    for (i, (a, b)) in [
        (status_path(&n, &wrong), status_path(&missing, &code)),
        (status_path(&n, &wrong), status_path(&missing, &wrong)),
        (
            status_path(&n, "garbage-code!"),
            status_path("garbage-num!!", "garbage-code!"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let ra = client.seen_from(&format!("192.0.2.{}", 10 + i)).get(&a);
        let rb = client.seen_from(&format!("192.0.2.{}", 20 + i)).get(&b);
        assert_eq!((ra.status, rb.status), (404, 404), "{i}");
        let (la, lb) = (ra.body.len() as i64, rb.body.len() as i64);
        assert!((la - lb).abs() <= 4, "{i}: {la} against {lb} bytes");
        // The same page but for what was typed and the fresh token.
        let strip = |r: &Resp| {
            r.body
                .lines()
                .filter(|l| {
                    !l.contains("name=\"token\"")
                        && !l.contains("name=\"number\"")
                        && !l.contains("name=\"code\"")
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(&ra), strip(&rb), "{i}");
        let names = |r: &Resp| {
            let mut h: Vec<String> = r
                .headers
                .iter()
                .map(|(k, _)| k.to_ascii_lowercase())
                .collect();
            h.sort();
            h
        };
        assert_eq!(names(&ra), names(&rb));
    }
    client.get(&status_path(&n, &code));
}

// ---- hostile input -------------------------------------------------------------------------

#[test]
fn hostile_input_in_every_field_is_kept_as_text_and_never_runs() {
    let (_mail, d, s) = served();
    let evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>\u{1b}[2J\u{1b}]0;pwned\u{7}\u{202e}evil&amp;";
    let mut c = s.client();
    let (n, code) = registered(&c.submit(&[
        ("name", evil),
        ("contact", evil),
        ("subject", evil),
        ("text", evil),
    ]));
    let p = c.get(&status_path(&n, &code));
    assert_eq!(p.status, 200);
    for raw in [
        "<script",
        "<img",
        "\u{1b}",
        "\u{202e}",
        "onerror=alert(2)>",
        "\"'>",
    ] {
        assert!(
            !p.body.contains(raw),
            "{raw:?} raw in the page:\n{}",
            p.body
        );
    }
    assert!(
        p.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{}",
        p.body
    );
    assert!(p.body.contains("evil&amp;amp;"), "entities escaped as text");
    // Stored as typed (the record stays faithful); the terminal gets it cleaned.
    let t = d.show(&n);
    assert!(
        t["subject"]
            .as_str()
            .is_some_and(|s| s.contains("<script>"))
    );
    let shown = d.run(&["show", &n]).ok();
    assert!(!shown.contains('\u{1b}') && !shown.contains('\u{202e}'));
    // A form given back with hostile text keeps it inert too.
    let r = c.post("/", &form(&[("subject", evil), ("text", evil)]));
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("<script") && !r.body.contains('\u{1b}'));
    // Hostile look-ups, languages, cookies, headers and paths.
    for path in [
        format!("/status?number={}&code={}", "%3Cscript%3E", "%22%3E%3Cb%3E"),
        "/status?number=%FF%FE%00&code=%00".to_string(),
        "/?lang=%3Cscript%3E".to_string(),
        "/../../etc/passwd".to_string(),
        "/status/../style.css".to_string(),
        format!("/status?number={}&code=x", "9".repeat(5000)),
    ] {
        let r = c
            .with_header("Cookie", "desk_lang=<script>; desk_form=../../x")
            .get(&path);
        assert!([200, 404].contains(&r.status), "{path}: {}", r.status);
        assert!(
            !r.body.contains("<script") && !r.body.contains("<b>"),
            "{path}: {}",
            r.body
        );
    }
    for (head, expect) in [
        // Control characters in a header are refused by the parser, or cleaned away.
        (
            "GET / HTTP/1.1\r\nHost: x\r\nAccept-Language: \u{1b}]0;x\u{7}ru\r\nConnection: close\r\n\r\n",
            &[200, 400][..],
        ),
        (
            "GET /\u{1b}[2J HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            &[400],
        ),
        (
            "BREW / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            &[405],
        ),
        (
            "DELETE /status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            &[405],
        ),
        (
            "GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: <script>, ::1, 1.2.3.4.5\r\nConnection: close\r\n\r\n",
            &[200],
        ),
    ] {
        let r = exchange(&s.addr, head.as_bytes()).expect("an answer");
        assert!(
            expect.contains(&r.status),
            "{head:?}: {} {}",
            r.status,
            r.body
        );
        assert!(!r.body.contains('\u{1b}'));
    }
    // A head without end, or enormous: refused, and the server goes on.
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Junk: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    if let Ok(r) = exchange(&s.addr, huge.as_bytes()) {
        assert!(r.status >= 400, "{}", r.status);
    }
    // Invalid UTF-8 and odd encodings in a form.
    let token = c.token();
    let r = c.post("/", &format!("token={token}&subject=%FF%FEx&text=a%00b%C3"));
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(c.get("/").status, 200, "still serving");
    assert!(d.run(&["check"]).code == 0, "{}", d.run(&["check"]).stdout);
}

#[test]
fn a_megabyte_body_is_refused_and_nothing_is_registered() {
    let (_mail, d, s) = served();
    let mut c = s.client();
    let token = c.token();
    let cookie: Vec<String> = c.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let big = format!("token={token}&subject=big&text={}", "x".repeat(1 << 20));
    // With its length declared…
    let raw = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
        cookie.join("; "),
        big.len()
    );
    let r = exchange(&s.addr, raw.as_bytes()).expect("an answer");
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("at most 256"), "{}", r.body);
    // …and sent in chunks without a length.
    let mut raw = format!(
        "POST /status HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        cookie.join("; ")
    );
    for part in big.as_bytes().chunks(60_000) {
        raw.push_str(&format!(
            "{:x}\r\n{}\r\n",
            part.len(),
            String::from_utf8_lossy(part)
        ));
    }
    raw.push_str("0\r\n\r\n");
    let r = exchange(&s.addr, raw.as_bytes()).expect("an answer");
    assert_eq!(r.status, 413, "{}", r.body);
    // A body claiming more than it sends times out or is refused; either way nothing is kept.
    let r = exchange(
        &s.addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 99999999999\r\n\r\nabc",
    )
    .expect("an answer");
    assert_eq!(r.status, 413);
    // A body that is not a form.
    let r = exchange(
        &s.addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .expect("an answer");
    assert_eq!(r.status, 415);
    assert_eq!(tickets(&d), 0);
    assert_eq!(c.get("/").status, 200, "still serving");
}

// ---- the page itself -----------------------------------------------------------------------

#[test]
fn every_answer_carries_the_security_headers() {
    let (_mail, _d, s) = served();
    let mut c = s.client();
    let answers = [
        c.get("/"),
        c.get("/status"),
        c.get(&status_path("X", "Y")),
        c.get("/nowhere"),
        c.get("/style.css"),
        c.post("/", "subject=x"),
        exchange(
            &s.addr,
            b"PUT / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .expect("PUT"),
    ];
    for r in &answers {
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert!(!csp.contains("script-src"), "no script is ever allowed");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
    }
    assert_eq!(answers[0].header("cache-control"), Some("no-store"));
    assert_eq!(answers[3].status, 404);
    assert_eq!(answers[6].status, 405);
    assert_eq!(answers[6].header("allow"), Some("GET, HEAD, POST"));
    assert!(answers[0].body.contains("<form method=\"post\""));
    assert!(
        !answers[0].body.contains("<script"),
        "works without JavaScript"
    );
}

#[test]
fn the_language_follows_the_browser_and_the_switch() {
    let (_mail, d, s) = served();
    let r = s
        .client()
        .with_header("Accept-Language", "ru-RU,ru;q=0.9")
        .get("/");
    assert!(r.body.contains("<html lang=\"ru\">") && r.body.contains("Подать обращение"));
    assert_eq!(r.header("content-language"), Some("ru"));
    let r = s
        .client()
        .with_header("Accept-Language", "de, uk;q=0.5, en;q=0.4")
        .get("/");
    assert!(r.body.contains("Подати звернення"));
    let r = s.client().with_header("Accept-Language", "fr").get("/");
    assert!(r.body.contains("Send a request"));
    // The switch sets a cookie that outweighs the browser from then on.
    let mut c = s.client().with_header("Accept-Language", "en");
    let r = c.get("/?lang=uk");
    assert!(r.body.contains("Подати звернення"));
    assert!(
        r.all("set-cookie")
            .iter()
            .any(|c| c.starts_with("desk_lang=uk"))
    );
    assert!(c.get("/").body.contains("Подати звернення"));
    // The switch's links on a status page keep the number and the code.
    let (n, code) = registered(&c.submit(&[("subject", "Lift"), ("text", "Broken")]));
    let p = c.get(&status_path(&n, &code));
    assert!(
        p.body
            .contains(&format!("href=\"?number={n}&amp;code={code}&amp;lang=ru\"")),
        "{}",
        p.body
    );
    // Names desk.toml gives per language are the page's: the desk's, the group's, a status's,
    // whatever the language the server was started in.
    d.run(&["assign", &n, "anna", "--group", "SOCIAL"]).ok();
    let said = |lang: &str| {
        let mut c = c.clone();
        c.get(&format!("{}&lang={lang}", status_path(&n, &code)))
    };
    let uk = said("uk");
    assert!(uk.body.contains(">Служба звернень</a>"), "{}", uk.body);
    assert_eq!(uk.by_id("handled-by").as_deref(), Some("Соціальна служба"));
    let ru = said("ru");
    assert!(ru.body.contains(">Служба обращений</a>"), "{}", ru.body);
    assert_eq!(ru.by_id("handled-by").as_deref(), Some("Социальная служба"));
    let en = said("en");
    assert!(en.body.contains(">Service desk</a>"), "{}", en.body);
    assert_eq!(en.by_id("handled-by").as_deref(), Some("Social services"));
}

#[test]
fn desk_serve_is_the_web_services_own() {
    let d = Desk::staffed();
    d.run_as("olena", &["serve", "--listen", "127.0.0.1:0"])
        .fails(4, "web");
    d.run(&["agent", "add", "web", "--role", "web"]).ok();
    d.run_as("web", &["serve", "--listen", "nowhere"])
        .fails(2, "not an address");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = taken.local_addr().expect("addr").to_string();
    d.run_as("web", &["serve", "--listen", &addr])
        .fails(2, "cannot listen");
    // Started, it stops cleanly on SIGTERM.
    let s = Server::start(&d, "web");
    assert_eq!(s.client().get("/").status, 200);
    assert_eq!(s.stop(), Some(0));
}
