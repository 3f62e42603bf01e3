//! `desk.toml` read and checked: every refusal names its line.

use crate::core::attribution::RouteRule;
use crate::core::lifecycle::{Lifecycle, StatusDef, TransitionDef, Trigger};
use crate::core::message::Message;
use crate::core::model::AssignRule;
use crate::core::model::{Outcome, Priority, StatusCategory};
use crate::core::numbering::Template;
use crate::core::sla::{Calendar, SlaConfig, Targets};
use crate::msg;
use std::collections::HashSet;
use toml::Spanned;

use super::raw::*;
use super::*;

/// `id`s joined by commas, for the "(declared: …)" of a message.
fn codes<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    ids.collect::<Vec<_>>().join(", ")
}

pub(crate) struct Checker<'a> {
    origin: &'a str,
    text: &'a str,
    zones: &'a dyn crate::core::zone::Zones,
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

    pub(crate) fn at<T>(&self, spanned: &Spanned<T>, message: Message) -> ConfigError {
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
    crate::core::sanitize::clean_line(text.trim())
        .trim()
        .to_string()
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

/// A group named somewhere in the file (`what`), which `[[group]]` must declare.
fn group_ref(
    c: &Checker<'_>,
    groups: &[GroupDef],
    s: &Spanned<String>,
    what: Message,
) -> Result<String, ConfigError> {
    let code = s.get_ref().trim().to_string();
    if groups.iter().any(|g| g.code == code) {
        return Ok(code);
    }
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

/// A category named somewhere in the file (`what`), which `[[category]]` must declare.
fn category_ref(
    c: &Checker<'_>,
    categories: &[CategoryDef],
    s: &Spanned<String>,
    what: Message,
) -> Result<String, ConfigError> {
    let code = s.get_ref().trim().to_string();
    if categories.iter().any(|x| x.code == code) {
        return Ok(code);
    }
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

impl Config {
    /// The configuration shipped with desk.
    pub fn builtin() -> Result<Config, ConfigError> {
        // It names no zone (the host's).
        Config::from_toml(
            BUILTIN,
            "built-in configuration",
            &crate::core::zone::UtcOnly,
        )
    }

    /// Parses and validates `text`; `origin` names the file in error messages; the zones it
    /// names come from `zones`.
    pub fn from_toml(
        text: &str,
        origin: &str,
        zones: &dyn crate::core::zone::Zones,
    ) -> Result<Config, ConfigError> {
        let c = Checker {
            origin,
            text,
            zones,
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            c.at_line(
                e.span().map(|s| c.line_of(s.start)),
                msg!(
                    "config.syntax",
                    detail = e.message().trim().replace('\n', " ")
                ),
            )
        })?;
        let language = Self::language(&c, &raw)?;
        let (template, prefix) = Self::numbering(&c, &raw)?;
        let groups = Self::groups(&c, &raw)?;
        let categories = Self::categories(&c, &raw, &groups)?;
        let default_category = category_ref(
            &c,
            &categories,
            &raw.intake.default_category,
            msg!("config.what.default_category"),
        )?;
        let routes = Self::routes(&c, &raw, &groups, &categories)?;
        let desk_tz = raw.desk.timezone.as_ref().map(|t| t.get_ref().trim());
        let codes: Vec<String> = categories.iter().map(|x| x.code.clone()).collect();
        let lifecycle = Self::lifecycle(&c, &raw)?;
        let queues = Self::queues(&c, &raw, &lifecycle, &codes)?;
        let case = crate::core::casework::read(
            &c,
            &crate::core::casework::RawCase {
                answers: &raw.answers,
                timers: raw.timers.as_ref(),
                escalations: &raw.escalations,
            },
            &codes,
            &lifecycle,
        )?;
        Ok(Config {
            language: (!language.is_empty()).then_some(language),
            desk_name: match raw.desk.name.as_ref().map(|n| label(n.get_ref().text())) {
                Some(name) if !name.is_empty() => name,
                _ => "desk".to_string(),
            },
            translations: Self::translations(&c, &raw)?,
            zone: Self::zone(&c, &raw)?,
            timezone: raw
                .desk
                .timezone
                .as_ref()
                .map(|t| t.get_ref().trim().to_string())
                .unwrap_or_default(),
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
            sla: Self::sla(&c, &raw, desk_tz)?,
            rights: RightsConfig {
                edit: crate::core::edit::EditRights {
                    priority: raw.rights.edit_priority.clone(),
                },
                extend: raw
                    .rights
                    .extend
                    .clone()
                    .unwrap_or_else(|| crate::core::extend::DEFAULT_ROLES.to_vec()),
            },
            attachments: Self::attachments(&c, &raw)?,
            case,
            mail: crate::core::mail::config::from_raw(&c, raw.mail.as_ref())?,
            public_url: Self::public_url(&c, &raw)?,
            database_url: Self::database_url(&c, &raw, |d| &d.url)?,
            report_url: Self::database_url(&c, &raw, |d| &d.report_url)?,
            web: crate::core::web::from_raw(&c, raw.web.as_ref())?,
            queues,
        })
    }

    /// `[[queue]]`: saved queues, their queries read with the statuses and categories of
    /// this file (agents, and groups added with `desk group add`, are the database's: checked
    /// when a saved queue is opened).
    fn queues(
        c: &Checker<'_>,
        raw: &Raw,
        lifecycle: &Lifecycle,
        codes: &[String],
    ) -> Result<Vec<crate::core::query::saved::SavedQueue>, ConfigError> {
        let names = crate::core::query::lang::Vocabulary {
            statuses: Some(lifecycle.statuses().iter().map(|s| s.id.clone()).collect()),
            categories: Some(codes.to_vec()),
            groups: None,
            logins: None,
        };
        crate::core::query::saved::read(c, &raw.queues, &names)
    }

    /// `language`: one the desk speaks, or empty for LANG.
    fn language(c: &Checker<'_>, raw: &Raw) -> Result<String, ConfigError> {
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
        Ok(language)
    }

    /// `[numbering]`: the template and the prefix it may use.
    fn numbering(c: &Checker<'_>, raw: &Raw) -> Result<(Template, String), ConfigError> {
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
        if template
            .tokens()
            .contains(&crate::core::numbering::Token::Prefix)
            && prefix.is_empty()
        {
            return Err(c.at(&raw.numbering.template, msg!("config.no_prefix")));
        }
        Ok((template, prefix))
    }

    /// `[[group]]`: codes valid and declared once.
    fn groups(c: &Checker<'_>, raw: &Raw) -> Result<Vec<GroupDef>, ConfigError> {
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
                name: label(g.name.get_ref().text()),
                auto_assign: g.auto_assign,
                assign: g.assign.unwrap_or(AssignRule::LeastLoaded),
            });
        }
        Ok(groups)
    }

    /// `[[category]]`: codes valid and declared once, their groups declared, their templates
    /// sound; at least one.
    fn categories(
        c: &Checker<'_>,
        raw: &Raw,
        groups: &[GroupDef],
    ) -> Result<Vec<CategoryDef>, ConfigError> {
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
                Some(g) => Some(group_ref(
                    c,
                    groups,
                    g,
                    msg!("config.what.category", code = &code),
                )?),
                None => None,
            };
            let template = match &cat.template {
                Some(t) => Some(Template::parse(t.get_ref()).map_err(|e| c.at(t, e.0))?),
                None => None,
            };
            categories.push(CategoryDef {
                code,
                name: label(cat.name.get_ref().text()),
                group,
                keywords: cat.keywords.iter().map(|k| label(k)).collect(),
                template,
                priority: cat.priority,
            });
        }
        if categories.is_empty() {
            return Err(c.at_line(None, msg!("config.no_category")));
        }
        Ok(categories)
    }

    /// `[[route]]`: each with a keyword and something to set, naming declared codes.
    fn routes(
        c: &Checker<'_>,
        raw: &Raw,
        groups: &[GroupDef],
        categories: &[CategoryDef],
    ) -> Result<Vec<RouteRule>, ConfigError> {
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
                    .map(|s| category_ref(c, categories, s, msg!("config.what.route")))
                    .transpose()?,
                group: r
                    .group
                    .as_ref()
                    .map(|s| group_ref(c, groups, s, msg!("config.what.route")))
                    .transpose()?,
                priority: r.priority,
            });
        }
        Ok(routes)
    }

    /// `[desk] timezone`: an IANA name, or empty (`None`) for the host's.
    fn zone(c: &Checker<'_>, raw: &Raw) -> Result<Option<crate::core::zone::Tz>, ConfigError> {
        let Some(tz) = &raw.desk.timezone else {
            return Ok(None);
        };
        let name = tz.get_ref().trim();
        if name.is_empty() {
            return Ok(None);
        }
        c.zones.zone(name).map(Some).map_err(|m| c.at(tz, m))
    }

    /// `[desk] public_url`: an http(s) address, or nothing.
    fn public_url(c: &Checker<'_>, raw: &Raw) -> Result<Option<String>, ConfigError> {
        let Some(u) = &raw.desk.public_url else {
            return Ok(None);
        };
        let url = u.get_ref().trim().trim_end_matches('/').to_string();
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control());
        if !url.is_empty() && !ok {
            return Err(c.at(u, msg!("config.mail.public_url", url = url)));
        }
        Ok((!url.is_empty()).then_some(url))
    }

    /// `[database] url` or `report_url`: a PostgreSQL URL (its password stays in this
    /// protected file).
    fn database_url(
        c: &Checker<'_>,
        raw: &Raw,
        which: fn(&RawDatabase) -> &Option<String>,
    ) -> Result<Option<String>, ConfigError> {
        let Some(d) = &raw.database else {
            return Ok(None);
        };
        let url = which(d.get_ref())
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_string();
        let ok = (url.starts_with("postgres://") || url.starts_with("postgresql://"))
            && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control());
        if !url.is_empty() && !ok {
            return Err(c.at(d, msg!("config.database_url")));
        }
        Ok((!url.is_empty()).then_some(url))
    }

    fn attachments(c: &Checker<'_>, raw: &Raw) -> Result<crate::core::attach::Limits, ConfigError> {
        let mut limits = crate::core::attach::Limits::default();
        let Some(a) = &raw.attachments else {
            return Ok(limits);
        };
        let size = |v: &Option<String>, default: u64| -> Result<u64, ConfigError> {
            match v {
                Some(s) => crate::core::attach::parse_size(s).map_err(|e| {
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

    /// The names and labels written in several languages, checked: each language one the
    /// desk speaks, no name left empty.
    fn translations(c: &Checker<'_>, raw: &Raw) -> Result<Translations, ConfigError> {
        let mut out = Vec::new();
        let mut add = |named: Named, l: &Spanned<RawLabel>| -> Result<(), ConfigError> {
            let RawLabel::PerLanguage(by_language) = l.get_ref() else {
                return Ok(());
            };
            if by_language.values().all(|t| t.trim().is_empty()) {
                return Err(c.at(l, msg!("config.label_empty")));
            }
            for (lang, text) in by_language {
                if !LANGUAGES.contains(&lang.as_str()) {
                    return Err(c.at(
                        l,
                        msg!(
                            "config.label_language",
                            language = lang,
                            choices = LANGUAGES.join(", ")
                        ),
                    ));
                }
                out.push((named.clone(), lang.clone(), label(text)));
            }
            Ok(())
        };
        if let Some(n) = &raw.desk.name {
            add(Named::Desk, n)?;
        }
        for g in &raw.groups {
            add(Named::Group(g.code.get_ref().trim().to_string()), &g.name)?;
        }
        for cat in &raw.categories {
            add(
                Named::Category(cat.code.get_ref().trim().to_string()),
                &cat.name,
            )?;
        }
        for s in &raw.statuses {
            if let Some(l) = &s.label {
                add(Named::Status(s.id.get_ref().trim().to_string()), l)?;
            }
        }
        for (i, q) in raw.queues.iter().enumerate() {
            add(Named::Queue(i), q.get_ref().name())?;
        }
        Ok(Translations(out))
    }

    fn keys(c: &Checker<'_>, raw: &Raw) -> Result<Vec<crate::core::keys::Binding>, ConfigError> {
        let rebindings: Vec<crate::core::keys::Rebinding> = raw
            .keys
            .iter()
            .map(|(name, v)| crate::core::keys::Rebinding {
                name: name.clone(),
                keys: match v.get_ref() {
                    OneOrMany::One(k) => vec![k.clone()],
                    OneOrMany::Many(ks) => ks.clone(),
                },
                line: c.line_of(v.span().start),
            })
            .collect();
        crate::core::keys::bindings(&rebindings)
            .map_err(|(line, message)| c.at_line(Some(line), message))
    }

    fn lifecycle(c: &Checker<'_>, raw: &Raw) -> Result<Lifecycle, ConfigError> {
        let statuses = Self::statuses(c, raw)?;
        let transitions = Self::transitions(c, raw, &statuses)?;
        Ok(Lifecycle::new(statuses, transitions))
    }

    /// `[[status]]`: ids valid and declared once, done ones with their outcomes; at least
    /// one initial and one done.
    fn statuses(c: &Checker<'_>, raw: &Raw) -> Result<Vec<StatusDef>, ConfigError> {
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
                label: s.label.as_ref().map(|l| label(l.get_ref().text())),
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
        Ok(statuses)
    }

    /// `[[transition]]`: between declared statuses, named once, never repeating another's
    /// move, never finishing a ticket automatically.
    fn transitions(
        c: &Checker<'_>,
        raw: &Raw,
        statuses: &[StatusDef],
    ) -> Result<Vec<TransitionDef>, ConfigError> {
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
            if t.on == Trigger::Timer {
                // The timers close a ticket that waited too long for its requester: from
                // waiting statuses to a done one, nothing else.
                let waiting = from.iter().all(|f| {
                    statuses
                        .iter()
                        .any(|s| &s.id == f && s.category == StatusCategory::Waiting)
                });
                if !waiting || target != Some(StatusCategory::Done) {
                    return Err(c.at(&t.to, msg!("config.timer_transition", name = &name)));
                }
            } else if t.on != Trigger::Move && target.is_some_and(StatusCategory::is_finished) {
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
        Ok(transitions)
    }

    fn sla(c: &Checker<'_>, raw: &Raw, desk_tz: Option<&str>) -> Result<SlaConfig, ConfigError> {
        let Some(rs) = &raw.sla else {
            return Ok(SlaConfig::default());
        };
        let r = rs.get_ref();
        let calendar = r
            .calendar
            .as_ref()
            .map(|sc| Self::calendar(c, sc, desk_tz))
            .transpose()?;
        let targets = |t: &Spanned<RawTargets>| -> Result<Targets, ConfigError> {
            let dur = |v: &Option<String>| -> Result<Option<i64>, ConfigError> {
                v.as_deref()
                    .map(|s| {
                        crate::core::sla::parse_duration(s, calendar.as_ref())
                            .map_err(|e| c.at(t, e))
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

    /// `[sla.calendar]`: a time zone (its own, else the desk's), working days and hours,
    /// holidays.
    fn calendar(
        c: &Checker<'_>,
        sc: &Spanned<RawCalendar>,
        desk_tz: Option<&str>,
    ) -> Result<Calendar, ConfigError> {
        let cal = sc.get_ref();
        let err = |m: Message| c.at(sc, m);
        let tz_name = cal
            .timezone
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .or(desk_tz.filter(|t| !t.is_empty()))
            .ok_or_else(|| err(msg!("config.calendar_zone")))?;
        let tz = c.zones.zone(tz_name).map_err(err)?;
        let mut days = [false; 7];
        for d in &cal.days {
            let w =
                crate::core::sla::weekday(d).ok_or_else(|| err(msg!("config.weekday", day = d)))?;
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
        Ok(Calendar {
            tz,
            days,
            open,
            close,
            holidays,
        })
    }
}
