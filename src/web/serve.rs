//! The server: the connections, the routes, and each page's answer.

use super::page::{self, Typed, esc};
use super::{App, Asked, MAX_BODY, fields, token_for};
use crate::core::model::Channel;
use crate::core::web::guard::{self, Client, Token};
use crate::error::{Error, Result};
use crate::i18n::Catalog;
use crate::store::tickets::Intake;
use crate::store::{Mode, NewTicket, Store};
use crate::time::date as local_date;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::cell::RefCell;
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How `desk serve` runs.
pub struct Options {
    pub listener: std::net::TcpListener,
    pub db: PathBuf,
    pub shared: bool,
    pub busy_timeout: Duration,
    /// Who registers the requests: the service's login (and `--as`, for an admin trying it).
    pub login: String,
    pub as_login: Option<String>,
}

/// Connections served at once; more wait to be accepted.
const MAX_CONNECTIONS: usize = 1024;
/// A request's head must arrive within this (and an idle connection is closed after it).
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// A request's body must arrive within this.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// What a too-long body is read up to (so the browser gets the answer, not a reset); past
/// it the connection is closed.
const DRAIN: usize = 8 << 20;

type Reply = Response<Full<Bytes>>;

struct Db {
    path: PathBuf,
    shared: bool,
    busy: Duration,
    login: String,
    as_login: Option<String>,
}

thread_local! {
    /// Each blocking thread's own connection to the desk.
    static STORE: RefCell<Option<Store>> = const { RefCell::new(None) };
}

impl Db {
    /// Runs `f` with this thread's connection (opened on first use; a failing one is dropped,
    /// so the next request opens the desk again).
    fn with<R>(&self, f: impl FnOnce(&mut Store) -> Result<R>) -> Result<R> {
        STORE.with(|cell| {
            let mut slot = cell.borrow_mut();
            let mut store = match slot.take() {
                Some(s) => s,
                None => Store::open_with(
                    &self.path,
                    Mode::Existing,
                    self.busy,
                    crate::store::Options {
                        shared: self.shared,
                    },
                )?,
            };
            let r = f(&mut store);
            if !matches!(r, Err(Error::Database(_) | Error::Sql(_))) {
                *slot = Some(store);
            }
            r
        })
    }
}

/// Serves until SIGTERM or Ctrl-C, then lets the requests under way finish (a few seconds).
pub fn run(app: App, opts: Options) -> Result<()> {
    let io = |e: std::io::Error| {
        Error::Database(crate::msg!("error.web.runtime", why = crate::error::io(&e)))
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .map_err(io)?;
    opts.listener.set_nonblocking(true).map_err(io)?;
    let db = Arc::new(Db {
        path: opts.db,
        shared: opts.shared,
        busy: opts.busy_timeout,
        login: opts.login,
        as_login: opts.as_login,
    });
    let app = Arc::new(app);
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(opts.listener).map_err(io)?;
        let limit = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
        let mut stop = Box::pin(stopped());
        loop {
            let permit = tokio::select! {
                p = limit.clone().acquire_owned() => p,
                _ = &mut stop => break,
            };
            let Ok(permit) = permit else { break };
            let (stream, peer) = tokio::select! {
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(_) => {
                        // Out of file descriptors, or the client left: wait a little.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                _ = &mut stop => break,
            };
            let _ = stream.set_nodelay(true);
            let (app, db) = (app.clone(), db.clone());
            tokio::spawn(async move {
                let _permit = permit;
                let svc = hyper::service::service_fn(move |req| {
                    handle(app.clone(), db.clone(), peer, req)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .timer(hyper_util::rt::TokioTimer::new())
                    .header_read_timeout(HEAD_TIMEOUT)
                    .max_buf_size(64 << 10)
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                    .await;
            });
        }
        let _ = tokio::time::timeout(
            Duration::from_secs(5),
            limit.acquire_many(MAX_CONNECTIONS as u32),
        )
        .await;
        Ok(())
    })
}

/// Resolves on SIGTERM (systemd stopping the service) or Ctrl-C.
async fn stopped() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

async fn handle(
    app: Arc<App>,
    db: Arc<Db>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> std::result::Result<Reply, Infallible> {
    let now = crate::session::now();
    let h = req.headers();
    let all = |name: header::HeaderName| -> Vec<&str> {
        h.get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    let client = Client::of(
        peer.ip(),
        &app.cfg.web.proxies,
        &all(header::HeaderName::from_static("x-forwarded-for")),
        h.get("x-forwarded-proto").and_then(|v| v.to_str().ok()),
    );
    let asked = Asked::new(
        &app,
        client,
        &all(header::COOKIE),
        h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        req.uri().query(),
    );
    let get = matches!(*req.method(), Method::GET | Method::HEAD);
    let post = *req.method() == Method::POST;
    let reply = match req.uri().path() {
        "/" if get => home(&app, &asked, now),
        "/" if post => match read_form(req).await {
            Ok(f) => submit(&app, &db, &asked, &f, now).await,
            Err(e) => refused_body(&app, &asked, e),
        },
        "/status" if get => {
            let q = &asked.query;
            let (number, code) = (field(q, "number"), field(q, "code"));
            if number.trim().is_empty() && code.trim().is_empty() {
                lookup_page(&app, &asked, now)
            } else {
                // Sent here by a registration just now: its number and code, not a guess.
                let new = guard::is_registered_mark(&app.secret, number, code, field(q, "new"));
                look_up(&app, &db, &asked, number, code, new, now).await
            }
        }
        "/status" if post => match read_form(req).await {
            Ok(f) => {
                if token(&app, &asked, &f, now).is_none() {
                    expired_lookup(&app, &asked, &f, now)
                } else {
                    look_up(
                        &app,
                        &db,
                        &asked,
                        field(&f, "number"),
                        field(&f, "code"),
                        false,
                        now,
                    )
                    .await
                }
            }
            Err(e) => refused_body(&app, &asked, e),
        },
        "/style.css" if get => style(),
        "/" | "/status" | "/style.css" => {
            let mut r = message_page(
                &app,
                &asked,
                StatusCode::METHOD_NOT_ALLOWED,
                "web.method_title",
                "web.method",
            );
            let allow = if req.uri().path() == "/style.css" {
                "GET, HEAD"
            } else {
                "GET, HEAD, POST"
            };
            r.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            r
        }
        _ => message_page(
            &app,
            &asked,
            StatusCode::NOT_FOUND,
            "web.no_page_title",
            "web.no_page",
        ),
    };
    Ok(reply)
}

/// A field as sent ("" when absent).
fn field<'a>(f: &'a HashMap<String, String>, name: &str) -> &'a str {
    f.get(name).map(String::as_str).unwrap_or("")
}

/// Why a form's body was not read.
enum BodyError {
    /// Longer than `MAX_BODY`; `close`: the rest was not read.
    TooLarge { close: bool },
    /// Not a form (`application/x-www-form-urlencoded`).
    NotAForm,
    /// It did not arrive in time, or the connection broke.
    Broken,
}

/// A form's fields, from a body of at most `MAX_BODY` bytes.
async fn read_form(
    req: Request<Incoming>,
) -> std::result::Result<HashMap<String, String>, BodyError> {
    let h = req.headers();
    let form = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| {
            t.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        });
    let declared = h
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > DRAIN as u64) {
        return Err(BodyError::TooLarge { close: true });
    }
    let mut body = req.into_body();
    let read = async {
        let mut bytes: Vec<u8> = Vec::new();
        let mut seen = 0usize;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return Err(BodyError::Broken);
            };
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > DRAIN {
                    return Err(BodyError::TooLarge { close: true });
                }
                if seen <= MAX_BODY {
                    bytes.extend_from_slice(&data);
                }
            }
        }
        if seen > MAX_BODY {
            return Err(BodyError::TooLarge { close: false });
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .map_err(|_| BodyError::Broken)??;
    if !form {
        return Err(BodyError::NotAForm);
    }
    Ok(fields(&bytes))
}

/// The answer to a body that could not be taken.
fn refused_body(app: &App, asked: &Asked, e: BodyError) -> Reply {
    let (status, title, text, close) = match e {
        BodyError::TooLarge { close } => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "web.too_large_title",
            asked.cat.f(
                "web.too_large",
                &[("limit", crate::core::attach::human_size(MAX_BODY as u64))],
            ),
            close,
        ),
        BodyError::NotAForm => (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "web.method_title",
            asked.cat.t("web.method").to_string(),
            false,
        ),
        BodyError::Broken => (
            StatusCode::BAD_REQUEST,
            "web.method_title",
            asked.cat.t("web.method").to_string(),
            true,
        ),
    };
    let body = page::message(asked.cat.t(title), &text, &page::home_link(asked.cat));
    let mut r = html(app, asked, status, asked.cat.t(title), "", &body, None);
    if close {
        r.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    r
}

/// The form's token, if it is good for this browser.
fn token(app: &App, asked: &Asked, f: &HashMap<String, String>, now: i64) -> Option<Token> {
    Token::check(&app.secret, asked.form_cookie()?, field(f, "token"), now)
}

/// `/`: the request form and the look-up form.
fn home(app: &App, asked: &Asked, now: i64) -> Reply {
    let Some((token, cookie)) = token_for(app, asked, now) else {
        return unavailable(app, asked);
    };
    let cat = asked.cat;
    let body = format!(
        "{}{}",
        page::submit_form(cat, &token, &Typed::default(), None),
        page::lookup_form(cat, &token, "", "", None, "h2")
    );
    html(
        app,
        asked,
        StatusCode::OK,
        cat.t("web.submit_title"),
        "",
        &body,
        Some(&cookie),
    )
}

/// `/status` without a number: the look-up form.
fn lookup_page(app: &App, asked: &Asked, now: i64) -> Reply {
    let Some((token, cookie)) = token_for(app, asked, now) else {
        return unavailable(app, asked);
    };
    let cat = asked.cat;
    let body = page::lookup_form(cat, &token, "", "", None, "h1");
    html(
        app,
        asked,
        StatusCode::OK,
        cat.t("web.lookup_title"),
        "",
        &body,
        Some(&cookie),
    )
}

/// The request form given back with what was typed and what is wrong.
fn submit_again(
    app: &App,
    asked: &Asked,
    status: StatusCode,
    f: &HashMap<String, String>,
    problem: &str,
    now: i64,
) -> Reply {
    let Some((token, cookie)) = token_for(app, asked, now) else {
        return unavailable(app, asked);
    };
    let typed = Typed {
        name: field(f, "name").to_string(),
        contact: field(f, "contact").to_string(),
        subject: field(f, "subject").to_string(),
        text: field(f, "text").to_string(),
    };
    let body = page::submit_form(asked.cat, &token, &typed, Some(problem));
    html(
        app,
        asked,
        status,
        asked.cat.t("web.submit_title"),
        "",
        &body,
        Some(&cookie),
    )
}

/// `POST /`: registers the request, then shows its status with its number and code (a
/// redirect, so reloading the page registers nothing again).
async fn submit(
    app: &Arc<App>,
    db: &Arc<Db>,
    asked: &Asked,
    f: &HashMap<String, String>,
    now: i64,
) -> Reply {
    let cat = asked.cat;
    let Some(token) = token(app, asked, f, now) else {
        return submit_again(
            app,
            asked,
            StatusCode::FORBIDDEN,
            f,
            cat.t("web.expired"),
            now,
        );
    };
    if let Some(wait) = app.wait(&app.submissions, &asked.client, now) {
        return too_many(app, asked, "web.too_many_submissions", wait);
    }
    let missing: Vec<&str> = [("subject", "web.subject"), ("text", "web.text")]
        .into_iter()
        .filter(|(name, _)| field(f, name).trim().is_empty())
        .map(|(_, label)| cat.t(label))
        .collect();
    if !missing.is_empty() {
        let problem = cat.f("web.missing", &[("fields", missing.join(", "))]);
        return submit_again(app, asked, StatusCode::BAD_REQUEST, f, &problem, now);
    }
    let new = NewTicket {
        subject: field(f, "subject").to_string(),
        body: field(f, "text").to_string(),
        requester: field(f, "name").to_string(),
        contact: field(f, "contact").to_string(),
        channel: Channel::Web,
        category: None,
        group: None,
        priority: None,
        // The form's own id: the same form sent twice (a double click, a reload) registers
        // one request.
        external_ref: Some(format!("web-form:{}", token.form)),
        language: Some(cat.lang.to_string()),
    };
    let (app2, db2) = (app.clone(), db.clone());
    let done = tokio::task::spawn_blocking(move || {
        db2.with(|store| {
            let actor = store.actor(&db2.login, db2.as_login.as_deref())?;
            let (id, fresh) = match store.intake(&app2.cfg, &actor, &new, now)? {
                Intake::Created(c) => (c.id, true),
                Intake::Existing(number) => (
                    store.find_exact(&app2.cfg, &number, local_date(now))?.id,
                    false,
                ),
            };
            let number = store.get(id)?.map(|t| t.number).unwrap_or_default();
            Ok((number, store.access(id)?.code, fresh))
        })
    })
    .await;
    match done {
        Ok(Ok((number, code, fresh))) => {
            if fresh {
                app.count(&app.submissions, &asked.client, now);
            }
            registered(app, asked, &number, &code)
        }
        Ok(Err(e)) if e.exit_code() == 2 => {
            let problem = cat.f("web.invalid", &[("error", e.message(cat))]);
            submit_again(app, asked, StatusCode::BAD_REQUEST, f, &problem, now)
        }
        other => {
            log(app, &other.map(|r| r.map(|_| ())));
            // The text typed is given back: nothing is lost.
            submit_again(
                app,
                asked,
                StatusCode::SERVICE_UNAVAILABLE,
                f,
                cat.t("web.unavailable"),
                now,
            )
        }
    }
}

/// After registering: on to the request's status with its number and code (a redirect, so
/// reloading the page registers nothing again).
fn registered(app: &App, asked: &Asked, number: &str, code: &str) -> Reply {
    let to = format!(
        "{}?number={}&code={}&new={}",
        crate::core::web::STATUS_PATH,
        crate::core::web::percent(number),
        crate::core::web::percent(code),
        guard::registered_mark(&app.secret, number, code)
    );
    let mut r = html(
        app,
        asked,
        StatusCode::SEE_OTHER,
        asked.cat.t("web.registered_title"),
        "",
        "",
        None,
    );
    if let Ok(v) = HeaderValue::from_str(&to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The look-up form given back after a form that was not the desk's own.
fn expired_lookup(app: &App, asked: &Asked, f: &HashMap<String, String>, now: i64) -> Reply {
    let Some((token, cookie)) = token_for(app, asked, now) else {
        return unavailable(app, asked);
    };
    let cat = asked.cat;
    let body = page::lookup_form(
        cat,
        &token,
        field(f, "number"),
        field(f, "code"),
        Some(cat.t("web.expired")),
        "h1",
    );
    html(
        app,
        asked,
        StatusCode::FORBIDDEN,
        cat.t("web.expired_title"),
        "",
        &body,
        Some(&cookie),
    )
}

/// A ticket's status by number and code. A wrong code, an unknown number and a malformed
/// one get the same answer, and count the same against the client. `new`: sent here by the
/// registration that gave this number and code (its mark checked): the code is repeated, and
/// the client's look-up limit does not hide its own new request.
async fn look_up(
    app: &Arc<App>,
    db: &Arc<Db>,
    asked: &Asked,
    number: &str,
    code: &str,
    new: bool,
    now: i64,
) -> Reply {
    let cat = asked.cat;
    if !new && let Some(wait) = app.wait(&app.lookups, &asked.client, now) {
        return too_many(app, asked, "web.too_many_lookups", wait);
    }
    let (app2, db2) = (app.clone(), db.clone());
    let (n, c) = (number.to_string(), code.to_string());
    let found = tokio::task::spawn_blocking(move || {
        db2.with(|store| store.look_up(app2.cfg_in(cat), &n, &c))
    })
    .await;
    match found {
        Ok(Ok(Some(v))) => {
            let code = crate::core::mail::access::parse(code).unwrap_or_default();
            let shown = new.then_some(code.as_str());
            let body = page::status(app.cfg_in(cat), cat, &v, shown);
            let query = format!(
                "number={}&code={}&",
                crate::core::web::percent(&v.number),
                crate::core::web::percent(&code)
            );
            let title = cat.f("web.status_title", &[("number", v.number.clone())]);
            html(app, asked, StatusCode::OK, &title, &query, &body, None)
        }
        Ok(Ok(None)) => {
            app.count(&app.lookups, &asked.client, now);
            let Some((token, cookie)) = token_for(app, asked, now) else {
                return unavailable(app, asked);
            };
            let form = page::lookup_form(cat, &token, number, code, None, "h2");
            let body = page::message(cat.t("web.not_found_title"), cat.t("web.not_found"), &form);
            html(
                app,
                asked,
                StatusCode::NOT_FOUND,
                cat.t("web.not_found_title"),
                "",
                &body,
                Some(&cookie),
            )
        }
        other => {
            log(app, &other.map(|r| r.map(|_| ())));
            unavailable(app, asked)
        }
    }
}

/// 429, with when to try again.
fn too_many(app: &App, asked: &Asked, key: &str, wait: i64) -> Reply {
    let cat = asked.cat;
    let minutes = ((wait + 59) / 60).max(1);
    let text = cat.f(key, &[("minutes", minutes.to_string())]);
    let body = page::message(cat.t("web.too_many_title"), &text, &page::home_link(cat));
    let mut r = html(
        app,
        asked,
        StatusCode::TOO_MANY_REQUESTS,
        cat.t("web.too_many_title"),
        "",
        &body,
        None,
    );
    if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

fn unavailable(app: &App, asked: &Asked) -> Reply {
    message_page(
        app,
        asked,
        StatusCode::SERVICE_UNAVAILABLE,
        "web.unavailable_title",
        "web.unavailable",
    )
}

fn message_page(app: &App, asked: &Asked, status: StatusCode, title: &str, text: &str) -> Reply {
    let cat = asked.cat;
    let body = page::message(cat.t(title), cat.t(text), &page::home_link(cat));
    html(app, asked, status, cat.t(title), "", &body, None)
}

/// What went wrong inside, for the service's log (never a requester's code or text).
fn log(app: &App, r: &std::result::Result<Result<()>, tokio::task::JoinError>) {
    let cat = Catalog::for_lang(app.desk_lang);
    match r {
        Ok(Err(e)) => eprintln!("desk serve: {}", e.message(cat)),
        Err(e) => eprintln!("desk serve: {e}"),
        Ok(Ok(())) => {}
    }
}

/// The headers every answer carries: nothing runs, nothing is framed, nothing is sent along
/// to other sites, nothing personal is cached.
fn secure(r: &mut Reply, https: bool) {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// A page: the HTML, its language, the cookies to set (the language chosen, a new form
/// cookie) and the security headers; never cached (it may hold a requester's data).
fn html(
    app: &App,
    asked: &Asked,
    status: StatusCode,
    title: &str,
    query: &str,
    body: &str,
    cookie: Option<&str>,
) -> Reply {
    let text = page::page(app.cfg_in(asked.cat), asked.cat, title, &esc(query), body);
    let mut r = Response::new(Full::new(Bytes::from(text)));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    if let Ok(v) = HeaderValue::from_str(asked.cat.lang) {
        h.insert(header::CONTENT_LANGUAGE, v);
    }
    for c in asked.set_cookies(cookie) {
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    secure(&mut r, asked.client.https);
    r
}

fn style() -> Reply {
    let mut r = Response::new(Full::new(Bytes::from_static(page::CSS.as_bytes())));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    secure(&mut r, false);
    r
}
