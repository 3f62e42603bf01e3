//! `desk.toml` parsed once into core types and validated, with errors that name the line.
//! Pure: it takes the file's text; reading the file is the caller's business.

use super::attribution::{CategoryRule, RouteRule, Router};
use super::lifecycle::{Field, Lifecycle, StatusDef, TransitionDef, Trigger};
use super::model::{Outcome, Priority, Role, StatusCategory};
use super::numbering::collision::{self, Collision, Plan};
use super::numbering::{CheckAlgo, Grammar, Template};
use super::sla::{Calendar, FirstResponse, SlaConfig, Targets};
use crate::core::message::Message;
use crate::msg;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt;
use toml::Spanned;

/// The built-in configuration, used when the desk has no `desk.toml` of its own.
pub const BUILTIN: &str = include_str!("../../assets/desk.toml");

pub const LANGUAGES: &[&str] = &["en", "ru", "uk"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The file, or "built-in configuration".
    pub origin: String,
    pub line: Option<usize>,
    pub message: Message,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.origin, line, self.message),
            None => write!(f, "{}: {}", self.origin, self.message),
        }
    }
}

/// `id`s joined by commas, for the "(declared: …)" of a message.
fn codes<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.collect::<Vec<_>>().join(", ")
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// What to say: the file, the line and what is wrong.
    pub fn said(&self) -> Message {
        match self.line {
            Some(line) => msg!(
                "error.config_line",
                origin = &self.origin,
                line = line,
                message = self.message.clone()
            ),
            None => msg!(
                "error.config",
                origin = &self.origin,
                message = self.message.clone()
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDef {
    pub code: String,
    pub name: String,
    pub auto_assign: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDef {
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub keywords: Vec<String>,
    pub template: Option<Template>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// "en", "ru", "uk", or None to follow LANG.
    pub language: Option<String>,
    pub desk_name: String,
    /// IANA time zone of the desk ("" = the host's).
    pub timezone: String,
    pub template: Template,
    pub check: CheckAlgo,
    pub prefix: String,
    pub default_category: String,
    pub default_priority: Priority,
    pub groups: Vec<GroupDef>,
    pub categories: Vec<CategoryDef>,
    pub routes: Vec<RouteRule>,
    pub lifecycle: Lifecycle,
    /// The terminal desk's key bindings: the defaults with `[keys]` applied (validated here,
    /// so `desk config check` and `install` refuse a bad key).
    pub keys: Vec<super::keys::Binding>,
    /// The file this came from.
    pub origin: String,
    /// Service-level targets and the business calendar.
    pub sla: SlaConfig,
    /// `[mail]`: notices to requesters and mail in.
    pub mail: super::mail::MailConfig,
    /// `[desk] public_url`: where requesters reach the desk on the web (status by number and
    /// access code), quoted in notices; None until configured.
    pub public_url: Option<String>,
    /// Rights the configuration narrows (`[rights]`).
    pub rights: RightsConfig,
    /// How large attached files may be (`[attachments]`).
    pub attachments: super::attach::Limits,
    /// Answers from templates (`[[answer]]`).
    pub case: super::casework::CaseConfig,
}

/// `[rights]`: actions some desks keep for some roles.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RightsConfig {
    /// Who may change a ticket's priority after intake.
    pub edit: super::edit::EditRights,
}

// ---- the file as written -------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    language: Option<Spanned<String>>,
    #[serde(default)]
    desk: RawDesk,
    numbering: RawNumbering,
    intake: RawIntake,
    #[serde(default, rename = "group")]
    groups: Vec<RawGroup>,
    #[serde(default, rename = "category")]
    categories: Vec<RawCategory>,
    #[serde(default, rename = "route")]
    routes: Vec<RawRoute>,
    #[serde(rename = "status")]
    statuses: Vec<RawStatus>,
    #[serde(rename = "transition")]
    transitions: Vec<RawTransition>,
    #[serde(default)]
    keys: std::collections::BTreeMap<String, Spanned<OneOrMany>>,
    #[serde(default)]
    sla: Option<Spanned<RawSla>>,
    #[serde(default)]
    mail: Option<Spanned<super::mail::config::RawMail>>,
    #[serde(default)]
    rights: RawRights,
    #[serde(default)]
    attachments: Option<Spanned<RawAttachments>>,
    #[serde(default, rename = "answer")]
    answers: Vec<Spanned<super::casework::RawAnswer>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAttachments {
    #[serde(default)]
    max_bytes: Option<String>,
    #[serde(default)]
    max_ticket_bytes: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRights {
    #[serde(default)]
    edit_priority: Vec<Role>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSla {
    #[serde(default)]
    at_risk: Option<f64>,
    #[serde(default)]
    first_response: Option<FirstResponse>,
    #[serde(default)]
    targets: std::collections::BTreeMap<String, Spanned<RawTargets>>,
    #[serde(default)]
    category: std::collections::BTreeMap<String, Spanned<RawTargets>>,
    #[serde(default)]
    calendar: Option<Spanned<RawCalendar>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTargets {
    #[serde(default)]
    first_response: Option<String>,
    #[serde(default)]
    resolution: Option<String>,
    #[serde(default)]
    keep_in_touch: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCalendar {
    #[serde(default)]
    timezone: Option<String>,
    days: Vec<String>,
    hours: String,
    #[serde(default)]
    holidays: Vec<String>,
}

/// A key binding value: one key or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDesk {
    #[serde(default)]
    name: String,
    #[serde(default)]
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    public_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNumbering {
    template: Spanned<String>,
    #[serde(default)]
    check: CheckAlgo,
    #[serde(default)]
    prefix: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntake {
    default_category: Spanned<String>,
    #[serde(default = "normal")]
    default_priority: Priority,
}

fn normal() -> Priority {
    Priority::Normal
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: Spanned<String>,
    name: String,
    #[serde(default)]
    auto_assign: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    code: Spanned<String>,
    name: String,
    #[serde(default)]
    group: Option<Spanned<String>>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    template: Option<Spanned<String>>,
    #[serde(default)]
    priority: Option<Priority>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    keywords: Spanned<Vec<String>>,
    #[serde(default)]
    category: Option<Spanned<String>>,
    #[serde(default)]
    group: Option<Spanned<String>>,
    #[serde(default)]
    priority: Option<Priority>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatus {
    id: Spanned<String>,
    category: StatusCategory,
    #[serde(default)]
    outcomes: Option<Spanned<Vec<Outcome>>>,
    #[serde(default)]
    label: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    name: Spanned<String>,
    from: Vec<Spanned<String>>,
    to: Spanned<String>,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    requires: Vec<Field>,
    #[serde(default)]
    on: Trigger,
}

// ---- validation ----------------------------------------------------------------------------

pub(super) struct Checker<'a> {
    origin: &'a str,
    text: &'a str,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    pub(super) fn at<T>(&self, spanned: &Spanned<T>, message: Message) -> ConfigError {
        self.at_line(Some(self.line_of(spanned.span().start)), message)
    }

    fn at_line(&self, line: Option<usize>, message: Message) -> ConfigError {
        ConfigError {
            origin: self.origin.to_string(),
            line,
            message,
        }
    }
}

/// A label from the configuration (a name, a status label, a keyword) is untrusted text like
/// a ticket's: it reaches every screen and report, so it is cleaned once, here, of escape
/// sequences, control and bidi characters.
fn label(text: &str) -> String {
    super::sanitize::clean_line(text.trim()).trim().to_string()
}

/// Codes appear in ticket numbers and on the command line: letters, digits, `_`.
fn valid_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 16
        && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn valid_status_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 32
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && id.starts_with(|c: char| c.is_ascii_lowercase())
}

impl Config {
    /// The configuration shipped with desk.
    pub fn builtin() -> Result<Config, ConfigError> {
        Config::from_toml(BUILTIN, "built-in configuration")
    }

    /// Parses and validates `text`; `origin` names the file in error messages.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let c = Checker { origin, text };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            c.at_line(
                e.span().map(|s| c.line_of(s.start)),
                msg!(
                    "config.syntax",
                    detail = e.message().trim().replace('\n', " ")
                ),
            )
        })?;

        let language = raw
            .language
            .as_ref()
            .map(|l| l.get_ref().trim().to_string())
            .unwrap_or_default();
        if let Some(spanned) = raw
            .language
            .as_ref()
            .filter(|_| !language.is_empty() && !LANGUAGES.contains(&language.as_str()))
        {
            return Err(c.at(
                spanned,
                msg!(
                    "config.language",
                    language = &language,
                    choices = LANGUAGES.join(", ")
                ),
            ));
        }

        let template = Template::parse(raw.numbering.template.get_ref())
            .map_err(|e| c.at(&raw.numbering.template, e.0))?;
        let prefix = raw
            .numbering
            .prefix
            .as_ref()
            .map(|p| p.get_ref().trim().to_string())
            .unwrap_or_default();
        if let Some(spanned) = raw
            .numbering
            .prefix
            .as_ref()
            .filter(|_| !prefix.chars().all(|ch| ch.is_ascii_alphanumeric()))
        {
            return Err(c.at(spanned, msg!("config.prefix", prefix = &prefix)));
        }
        if template.tokens().contains(&super::numbering::Token::Prefix) && prefix.is_empty() {
            return Err(c.at(&raw.numbering.template, msg!("config.no_prefix")));
        }

        let mut groups = Vec::new();
        let mut group_codes = HashSet::new();
        for g in &raw.groups {
            let code = g.code.get_ref().trim().to_string();
            if !valid_code(&code) {
                return Err(c.at(&g.code, msg!("error.group_code", code = &code)));
            }
            if !group_codes.insert(code.clone()) {
                return Err(c.at(&g.code, msg!("config.group_twice", code = &code)));
            }
            groups.push(GroupDef {
                code,
                name: label(&g.name),
                auto_assign: g.auto_assign,
            });
        }
        let group_ref = |s: &Spanned<String>, what: Message| -> Result<String, ConfigError> {
            let code = s.get_ref().trim().to_string();
            if group_codes.contains(&code) {
                Ok(code)
            } else {
                Err(c.at(
                    s,
                    msg!(
                        "config.undeclared_group",
                        what = what,
                        code = &code,
                        declared = codes(groups.iter().map(|g| g.code.as_str()))
                    ),
                ))
            }
        };

        let mut categories: Vec<CategoryDef> = Vec::new();
        for cat in &raw.categories {
            let code = cat.code.get_ref().trim().to_string();
            if !valid_code(&code) {
                return Err(c.at(&cat.code, msg!("config.category_code", code = &code)));
            }
            if categories.iter().any(|x| x.code == code) {
                return Err(c.at(&cat.code, msg!("config.category_twice", code = &code)));
            }
            let group = match &cat.group {
                Some(g) => Some(group_ref(g, msg!("config.what.category", code = &code))?),
                None => None,
            };
            let template = match &cat.template {
                Some(t) => Some(Template::parse(t.get_ref()).map_err(|e| c.at(t, e.0))?),
                None => None,
            };
            categories.push(CategoryDef {
                code,
                name: label(&cat.name),
                group,
                keywords: cat.keywords.iter().map(|k| label(k)).collect(),
                template,
                priority: cat.priority,
            });
        }
        if categories.is_empty() {
            return Err(c.at_line(None, msg!("config.no_category")));
        }
        let category_ref = |s: &Spanned<String>, what: Message| -> Result<String, ConfigError> {
            let code = s.get_ref().trim().to_string();
            if categories.iter().any(|x| x.code == code) {
                Ok(code)
            } else {
                Err(c.at(
                    s,
                    msg!(
                        "config.undeclared_category",
                        what = what,
                        code = &code,
                        declared = codes(categories.iter().map(|x| x.code.as_str()))
                    ),
                ))
            }
        };
        let default_category = category_ref(
            &raw.intake.default_category,
            msg!("config.what.default_category"),
        )?;

        let mut routes = Vec::new();
        for r in &raw.routes {
            if r.keywords
                .get_ref()
                .iter()
                .all(|k| k.trim().trim_end_matches('*').is_empty())
            {
                return Err(c.at(&r.keywords, msg!("config.route_keyword")));
            }
            if r.category.is_none() && r.group.is_none() && r.priority.is_none() {
                return Err(c.at(&r.keywords, msg!("config.route_sets")));
            }
            routes.push(RouteRule {
                keywords: r
                    .keywords
                    .get_ref()
                    .iter()
                    .map(|k| k.trim().to_string())
                    .collect(),
                category: r
                    .category
                    .as_ref()
                    .map(|s| category_ref(s, msg!("config.what.route")))
                    .transpose()?,
                group: r
                    .group
                    .as_ref()
                    .map(|s| group_ref(s, msg!("config.what.route")))
                    .transpose()?,
                priority: r.priority,
            });
        }

        let lifecycle = Self::lifecycle(&c, &raw)?;

        let sla = Self::sla(
            &c,
            &raw,
            raw.desk.timezone.as_ref().map(|t| t.get_ref().trim()),
        )?;

        let timezone = match &raw.desk.timezone {
            Some(tz) => {
                let name = tz.get_ref().trim().to_string();
                if !name.is_empty() && name.parse::<chrono_tz::Tz>().is_err() {
                    return Err(c.at(tz, msg!("config.time_zone", name = &name)));
                }
                name
            }
            None => String::new(),
        };

        let codes: Vec<String> = categories.iter().map(|x| x.code.clone()).collect();
        let case = super::casework::read(&c, &raw.answers, &codes)?;
        let mail = super::mail::config::from_raw(&c, raw.mail.as_ref())?;
        let public_url = match &raw.desk.public_url {
            Some(u) => {
                let url = u.get_ref().trim().trim_end_matches('/').to_string();
                let ok = (url.starts_with("https://") || url.starts_with("http://"))
                    && url.len() > "https://".len()
                    && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control());
                if !url.is_empty() && !ok {
                    return Err(c.at(u, msg!("config.mail.public_url", url = url)));
                }
                (!url.is_empty()).then_some(url)
            }
            None => None,
        };

        Ok(Config {
            language: (!language.is_empty()).then_some(language),
            desk_name: if raw.desk.name.trim().is_empty() {
                "desk".to_string()
            } else {
                label(&raw.desk.name)
            },
            timezone,
            template,
            check: raw.numbering.check,
            prefix,
            default_category,
            default_priority: raw.intake.default_priority,
            groups,
            categories,
            routes,
            lifecycle,
            keys: Self::keys(&c, &raw)?,
            origin: origin.to_string(),
            sla,
            rights: RightsConfig {
                edit: super::edit::EditRights {
                    priority: raw.rights.edit_priority.clone(),
                },
            },
            attachments: Self::attachments(&c, &raw)?,
            case,
            mail,
            public_url,
        })
    }

    fn attachments(c: &Checker<'_>, raw: &Raw) -> Result<super::attach::Limits, ConfigError> {
        let mut limits = super::attach::Limits::default();
        let Some(a) = &raw.attachments else {
            return Ok(limits);
        };
        let size = |v: &Option<String>, default: u64| -> Result<u64, ConfigError> {
            match v {
                Some(s) => super::attach::parse_size(s).map_err(|e| {
                    c.at(
                        a,
                        msg!("config.in_section", section = "[attachments]", error = e),
                    )
                }),
                None => Ok(default),
            }
        };
        limits.max_bytes = size(&a.get_ref().max_bytes, limits.max_bytes)?;
        limits.max_ticket_bytes = size(&a.get_ref().max_ticket_bytes, limits.max_ticket_bytes)?;
        if limits.max_bytes > 512 << 20 {
            return Err(c.at(a, msg!("config.max_bytes")));
        }
        Ok(limits)
    }

    fn keys(c: &Checker<'_>, raw: &Raw) -> Result<Vec<super::keys::Binding>, ConfigError> {
        let rebindings: Vec<super::keys::Rebinding> = raw
            .keys
            .iter()
            .map(|(name, v)| super::keys::Rebinding {
                name: name.clone(),
                keys: match v.get_ref() {
                    OneOrMany::One(k) => vec![k.clone()],
                    OneOrMany::Many(ks) => ks.clone(),
                },
                line: c.line_of(v.span().start),
            })
            .collect();
        super::keys::bindings(&rebindings).map_err(|(line, message)| c.at_line(Some(line), message))
    }

    fn lifecycle(c: &Checker<'_>, raw: &Raw) -> Result<Lifecycle, ConfigError> {
        let mut statuses: Vec<StatusDef> = Vec::new();
        for s in &raw.statuses {
            let id = s.id.get_ref().trim().to_string();
            if !valid_status_id(&id) {
                return Err(c.at(&s.id, msg!("config.status_id", id = &id)));
            }
            if statuses.iter().any(|x| x.id == id) {
                return Err(c.at(&s.id, msg!("config.status_twice", id = &id)));
            }
            let outcomes = s
                .outcomes
                .as_ref()
                .map(|o| o.get_ref().clone())
                .unwrap_or_default();
            let outcomes_at = s.outcomes.as_ref().map(|o| o.span()).unwrap_or(s.id.span());
            let at_outcomes = |m: Message| c.at_line(Some(c.line_of(outcomes_at.start)), m);
            match s.category {
                StatusCategory::Done => {
                    if outcomes.is_empty() {
                        return Err(c.at(&s.id, msg!("config.done_outcomes", id = &id)));
                    }
                    if outcomes.contains(&Outcome::Clarification) {
                        return Err(at_outcomes(msg!("config.done_clarification", id = &id)));
                    }
                }
                StatusCategory::Closed | StatusCategory::Initial if !outcomes.is_empty() => {
                    return Err(at_outcomes(msg!(
                        "config.no_outcome",
                        id = &id,
                        category = s.category.as_str()
                    )));
                }
                _ => {}
            }
            statuses.push(StatusDef {
                id,
                category: s.category,
                outcomes,
                label: s.label.as_deref().map(label),
            });
        }
        for needed in [StatusCategory::Initial, StatusCategory::Done] {
            if !statuses.iter().any(|s| s.category == needed) {
                return Err(c.at_line(
                    None,
                    msg!("config.status_needed", category = needed.as_str()),
                ));
            }
        }
        let known = |s: &Spanned<String>| -> Result<String, ConfigError> {
            let id = s.get_ref().trim().to_string();
            if statuses.iter().any(|x| x.id == id) {
                Ok(id)
            } else {
                Err(c.at(
                    s,
                    msg!(
                        "config.unknown_status",
                        id = &id,
                        declared = codes(statuses.iter().map(|x| x.id.as_str()))
                    ),
                ))
            }
        };
        let mut transitions: Vec<TransitionDef> = Vec::new();
        for t in &raw.transitions {
            let name = t.name.get_ref().trim().to_string();
            if !valid_status_id(&name) {
                return Err(c.at(&t.name, msg!("config.transition_name", name = &name)));
            }
            if transitions.iter().any(|x| x.name == name) {
                return Err(c.at(&t.name, msg!("config.transition_twice", name = &name)));
            }
            if t.from.is_empty() {
                return Err(c.at(&t.name, msg!("config.transition_from", name = &name)));
            }
            let from = t.from.iter().map(&known).collect::<Result<Vec<_>, _>>()?;
            let to = known(&t.to)?;
            if from.contains(&to) {
                return Err(c.at(
                    &t.to,
                    msg!("config.transition_self", name = &name, to = &to),
                ));
            }
            for f in &from {
                let clash = transitions.iter().find(|x| {
                    x.on == t.on && x.from.contains(f) && (x.to == to || x.on != Trigger::Move)
                });
                if let Some(other) = clash {
                    return Err(c.at(
                        &t.name,
                        msg!(
                            "config.transition_repeats",
                            name = &name,
                            other = &other.name,
                            status = f
                        ),
                    ));
                }
            }
            let target = statuses.iter().find(|s| s.id == to).map(|s| s.category);
            if t.on != Trigger::Move && target.is_some_and(StatusCategory::is_finished) {
                return Err(c.at(&t.to, msg!("config.automatic_finish", name = &name)));
            }
            transitions.push(TransitionDef {
                name,
                from,
                to,
                roles: t.roles.clone(),
                requires: t.requires.clone(),
                on: t.on,
            });
        }
        Ok(Lifecycle::new(statuses, transitions))
    }

    fn sla(c: &Checker<'_>, raw: &Raw, desk_tz: Option<&str>) -> Result<SlaConfig, ConfigError> {
        let Some(rs) = &raw.sla else {
            return Ok(SlaConfig::default());
        };
        let r = rs.get_ref();
        let calendar = match &r.calendar {
            None => None,
            Some(sc) => {
                let cal = sc.get_ref();
                let err = |m: Message| c.at(sc, m);
                let tz_name = cal
                    .timezone
                    .as_deref()
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .or(desk_tz.filter(|t| !t.is_empty()))
                    .ok_or_else(|| err(msg!("config.calendar_zone")))?;
                let tz: chrono_tz::Tz = tz_name
                    .parse()
                    .map_err(|_| err(msg!("config.time_zone", name = tz_name)))?;
                let mut days = [false; 7];
                for d in &cal.days {
                    let w = super::sla::weekday(d)
                        .ok_or_else(|| err(msg!("config.weekday", day = d)))?;
                    days[w.num_days_from_monday() as usize] = true;
                }
                if !days.iter().any(|d| *d) {
                    return Err(err(msg!("config.no_working_day")));
                }
                let (open, close) = cal
                    .hours
                    .split_once('-')
                    .and_then(|(a, b)| {
                        Some((
                            chrono::NaiveTime::parse_from_str(a.trim(), "%H:%M").ok()?,
                            chrono::NaiveTime::parse_from_str(b.trim(), "%H:%M").ok()?,
                        ))
                    })
                    .filter(|(a, b)| b > a)
                    .ok_or_else(|| err(msg!("config.hours", hours = &cal.hours)))?;
                let mut holidays = std::collections::BTreeSet::new();
                for h in &cal.holidays {
                    let d = chrono::NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d")
                        .map_err(|_| err(msg!("config.holiday", day = h)))?;
                    holidays.insert(d);
                }
                Some(Calendar {
                    tz,
                    days,
                    open,
                    close,
                    holidays,
                })
            }
        };
        let targets = |t: &Spanned<RawTargets>| -> Result<Targets, ConfigError> {
            let dur = |v: &Option<String>| -> Result<Option<i64>, ConfigError> {
                v.as_deref()
                    .map(|s| {
                        super::sla::parse_duration(s, calendar.as_ref()).map_err(|e| c.at(t, e))
                    })
                    .transpose()
            };
            let r = t.get_ref();
            Ok(Targets {
                first_response: dur(&r.first_response)?,
                resolution: dur(&r.resolution)?,
                keep_in_touch: dur(&r.keep_in_touch)?,
            })
        };
        let mut by_priority = std::collections::BTreeMap::new();
        for (name, t) in &r.targets {
            let p: Priority = name.parse().map_err(|e: Message| {
                c.at(
                    t,
                    msg!(
                        "config.in_section",
                        section = format!("[sla.targets.{name}]"),
                        error = e
                    ),
                )
            })?;
            by_priority.insert(p, targets(t)?);
        }
        let mut by_category = std::collections::BTreeMap::new();
        for (code, t) in &r.category {
            if !raw
                .categories
                .iter()
                .any(|x| x.code.get_ref().trim() == code)
            {
                return Err(c.at(t, msg!("config.sla_category", code = code)));
            }
            by_category.insert(code.clone(), targets(t)?);
        }
        let at_risk = r.at_risk.unwrap_or(0.25);
        if !(0.0..1.0).contains(&at_risk) {
            return Err(c.at(rs, msg!("config.at_risk", value = at_risk.to_string())));
        }
        Ok(SlaConfig {
            by_priority,
            by_category,
            calendar,
            at_risk,
            first_response: r.first_response.unwrap_or_default(),
        })
    }

    /// A fingerprint of the service-level settings: figures computed under another one are
    /// out of date.
    pub fn sla_fingerprint(&self) -> String {
        format!("{:?}", self.sla)
    }

    pub fn category(&self, code: &str) -> Option<&CategoryDef> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn group(&self, code: &str) -> Option<&GroupDef> {
        self.groups.iter().find(|g| g.code == code)
    }

    /// The number template for a category (its override, else the default).
    pub fn template_for(&self, category: &str) -> &Template {
        self.category(category)
            .and_then(|c| c.template.as_ref())
            .unwrap_or(&self.template)
    }

    /// Everything needed to read numbers back. `extra_groups` are groups known only to the
    /// database (added with `desk group add`).
    pub fn grammar(&self, extra_groups: &[String]) -> Grammar {
        let mut templates = vec![self.template.clone()];
        for c in &self.categories {
            if let Some(t) = &c.template
                && !templates.contains(t)
            {
                templates.push(t.clone());
            }
        }
        let mut groups: Vec<String> = self.groups.iter().map(|g| g.code.clone()).collect();
        for g in extra_groups {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        Grammar {
            templates,
            prefix: self.prefix.clone(),
            cats: self.categories.iter().map(|c| c.code.clone()).collect(),
            groups,
            check: self.check,
        }
    }

    /// Each template in use with the categories numbered with it (the default one with every
    /// category that has no template of its own).
    pub fn number_plans(&self) -> Vec<Plan> {
        let mut plans: Vec<Plan> = Vec::new();
        for c in &self.categories {
            let t = self.template_for(&c.code);
            match plans.iter_mut().find(|p| p.template == *t) {
                Some(p) => p.cats.push(c.code.clone()),
                None => plans.push(Plan {
                    template: t.clone(),
                    cats: vec![c.code.clone()],
                }),
            }
        }
        plans
    }

    /// One grammar per template in use, holding only the categories numbered with it: how the
    /// numbers this configuration gives read back.
    pub fn plan_grammars(&self, extra_groups: &[String]) -> Vec<Grammar> {
        let g = self.grammar(extra_groups);
        self.number_plans()
            .into_iter()
            .map(|p| Grammar {
                templates: vec![p.template],
                cats: p.cats,
                ..g.clone()
            })
            .collect()
    }

    /// Two different numbers this configuration could give that desk would read as one
    /// (`extra_groups`: groups known only to the database).
    pub fn number_collision(&self, extra_groups: &[String]) -> Option<Collision> {
        let g = self.grammar(extra_groups);
        collision::find(&self.number_plans(), &self.prefix, &g.groups)
    }

    pub fn router(&self) -> Router {
        Router {
            categories: self
                .categories
                .iter()
                .map(|c| CategoryRule {
                    code: c.code.clone(),
                    group: c.group.clone(),
                    keywords: c.keywords.clone(),
                })
                .collect(),
            routes: self.routes.clone(),
            default_category: self.default_category.clone(),
        }
    }

    /// Finds a category by code, case-insensitively, or says which exist.
    pub fn resolve_category(
        &self,
        code: &str,
    ) -> Result<&CategoryDef, crate::core::message::Message> {
        let key = code.trim().to_ascii_uppercase();
        self.categories
            .iter()
            .find(|c| c.code.to_ascii_uppercase() == key)
            .ok_or_else(|| {
                crate::msg!(
                    "error.unknown_category",
                    code = code,
                    known = self
                        .categories
                        .iter()
                        .map(|c| c.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with(find: &str, replace: &str) -> Result<Config, ConfigError> {
        assert!(BUILTIN.contains(find), "test edit must apply: {find}");
        Config::from_toml(&BUILTIN.replacen(find, replace, 1), "desk.toml")
    }

    /// Labels reach every screen and report: escape sequences, controls and bidi characters
    /// in them never survive loading.
    #[test]
    fn labels_are_cleaned_when_loaded() {
        let evil = "\\u001b]0;pwned\\u0007\\u001b[2J\\u202e";
        let text = BUILTIN
            .replacen(
                "name = \"Service desk\"",
                &format!("name = \"Desk{evil}\""),
                1,
            )
            .replacen(
                "name = \"Front desk\"",
                &format!("name = \"Front{evil}\""),
                1,
            )
            .replacen(
                "name = \"General enquiry\"",
                &format!("name = \"General{evil}\""),
                1,
            )
            .replacen("\"heating\", ", &format!("\"heat{evil}\", "), 1)
            .replacen(
                "id = \"new\"\n",
                &format!("id = \"new\"\nlabel = \"Fresh{evil}\"\n"),
                1,
            );
        let cfg = Config::from_toml(&text, "desk.toml").expect("valid");
        let mut labels = vec![cfg.desk_name.clone()];
        labels.extend(cfg.groups.iter().map(|g| g.name.clone()));
        labels.extend(cfg.categories.iter().map(|c| c.name.clone()));
        labels.extend(cfg.categories.iter().flat_map(|c| c.keywords.clone()));
        labels.extend(
            cfg.lifecycle
                .statuses()
                .iter()
                .filter_map(|s| s.label.clone()),
        );
        assert!(labels.iter().any(|l| l.starts_with("Fresh")), "{labels:?}");
        for l in &labels {
            assert!(
                !l.chars().any(crate::core::sanitize::is_unsafe),
                "{l:?} still holds a control or format character"
            );
        }
    }

    fn line_of(find: &str) -> usize {
        BUILTIN[..BUILTIN.find(find).expect("present")]
            .matches('\n')
            .count()
            + 1
    }

    #[test]
    fn the_builtin_configuration_is_valid() {
        let c = Config::builtin().expect("valid");
        assert_eq!(c.lifecycle.initial(), "new");
        assert_eq!(c.default_category, "GEN");
        assert!(
            c.groups.iter().all(|g| !g.auto_assign),
            "auto-assign off by default"
        );
        assert_eq!(c.template.source(), "{cat}-{yy}{mm}-{seq:5}-{check}");
        assert_eq!(c.template_for("HSG"), &c.template);
    }

    #[test]
    fn errors_name_the_line() {
        let e = with("to = \"closed\"", "to = \"closd\"").expect_err("unknown status");
        assert_eq!(e.line, Some(line_of("to = \"closed\"")));
        assert!(e.to_string().contains("unknown status 'closd'"), "{e}");
        assert!(e.to_string().starts_with("desk.toml:"), "{e}");

        let e = with(
            "group = \"HOUSING\"\nkeywords",
            "group = \"HOUSE\"\nkeywords",
        )
        .expect_err("group");
        assert!(e.to_string().contains("group 'HOUSE'"), "{e}");

        let e =
            with("{cat}-{yy}{mm}-{seq:5}-{check}", "{cat}-{yy}{mm}-{sq:5}").expect_err("template");
        assert!(e.to_string().contains("unknown token {sq:5}"), "{e}");
        assert_eq!(e.line, Some(line_of("template = \"{cat}")));

        let e = with("language = \"\"", "language = \"de\"").expect_err("language");
        assert!(e.to_string().contains("'de' is not available"), "{e}");

        let e = with("check = \"damm\"", "check = \"crc\"").expect_err("algo");
        assert!(e.line.is_some() && e.to_string().contains("crc"), "{e}");

        let e = with("[desk]", "[desk]\ncolour = 1").expect_err("unknown key");
        assert!(e.to_string().contains("colour"), "{e}");

        let e =
            with("outcomes = [\"granted\", \"partial\"]", "").expect_err("done without outcomes");
        assert!(e.to_string().contains("must list the outcomes"), "{e}");

        let e =
            with("roles = [\"supervisor\", \"admin\"]", "roles = [\"boss\"]").expect_err("role");
        assert!(e.to_string().contains("boss"), "{e}");

        let e = Config::from_toml("this is = not toml", "x.toml").expect_err("syntax");
        assert_eq!(e.line, Some(1));
        assert!(!e.to_string().contains('\n'), "one line: {e}");
    }

    #[test]
    fn attachment_limits_are_read_and_checked() {
        let c = Config::builtin().expect("valid");
        assert_eq!(c.attachments.max_bytes, 25 << 20);
        assert_eq!(c.attachments.max_ticket_bytes, 100 << 20);
        let c = with("max_bytes = \"25M\"", "max_bytes = \"512K\"").expect("valid");
        assert_eq!(c.attachments.max_bytes, 512 << 10);
        let e = with("max_bytes = \"25M\"", "max_bytes = \"lots\"").expect_err("size");
        assert!(e.to_string().contains("'lots' is not a size"), "{e}");
        assert_eq!(e.line, Some(line_of("[attachments]")));
        let e = with("max_bytes = \"25M\"", "max_bytes = \"1G\"").expect_err("too big");
        assert!(e.to_string().contains("at most 512M"), "{e}");
    }

    #[test]
    fn duplicates_are_refused() {
        let e = with("code = \"SOCIAL\"", "code = \"HOUSING\"").expect_err("dup group");
        assert!(e.to_string().contains("declared twice"), "{e}");
        let e = with("id = \"rejected\"", "id = \"resolved\"").expect_err("dup status");
        assert!(e.to_string().contains("declared twice"), "{e}");
    }

    #[test]
    fn automatic_transitions_cannot_finish_a_ticket() {
        let e = with(
            "to = \"attributed\"\non = \"assign\"",
            "to = \"resolved\"\non = \"assign\"",
        )
        .expect_err("auto finish");
        assert!(e.to_string().contains("cannot finish"), "{e}");
    }

    #[test]
    fn category_templates_join_the_grammar() {
        let c = with(
            "code = \"SOC\"\nname = \"Social support and benefits\"",
            "code = \"SOC\"\ntemplate = \"SRV-{yyyy}-{seq:3}\"\nname = \"Social support and benefits\"",
        )
        .expect("valid");
        assert_eq!(c.template_for("SOC").source(), "SRV-{yyyy}-{seq:3}");
        assert_eq!(c.grammar(&[]).templates.len(), 2);
        assert!(
            c.grammar(&["EXTRA".into()])
                .groups
                .contains(&"EXTRA".into())
        );
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,200}") {
            let _ = Config::from_toml(&s, "desk.toml");
        }

        #[test]
        fn mutated_builtin_never_panics(pos in 0usize..BUILTIN.len(), junk in "[\\[\\]{}=\"a-z0-9 \n]{0,8}") {
            let mut s = BUILTIN.to_string();
            let mut p = pos;
            while !s.is_char_boundary(p) { p -= 1; }
            s.insert_str(p, &junk);
            if let Err(e) = Config::from_toml(&s, "desk.toml") {
                prop_assert!(!e.to_string().contains('\n'));
            }
        }
    }
}
