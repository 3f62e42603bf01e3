//! `desk.toml` parsed once into core types and validated, with errors that name the line.
//! Pure: it takes the file's text; reading the file is the caller's business.

use crate::core::attribution::{CategoryRule, RouteRule, Router};
use crate::core::lifecycle::Lifecycle;
use crate::core::message::Message;
use crate::core::model::Priority;
use crate::core::numbering::collision::{self, Collision, Plan};
use crate::core::numbering::{CheckAlgo, Grammar, Template};
use crate::core::sla::SlaConfig;
use crate::msg;
use std::fmt;

/// The built-in configuration, used when the desk has no `desk.toml` of its own.
pub const BUILTIN: &str = include_str!("../../../assets/desk.toml");

pub const LANGUAGES: &[&str] = &["en", "ru", "uk"];

pub mod cache;
mod load;
pub(crate) use load::Checker;
pub(crate) use raw::RawLabel;
mod raw;

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

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GroupDef {
    pub code: String,
    pub name: String,
    pub auto_assign: bool,
    /// How its automatic assignment chooses (`assign`; least-loaded unless said).
    pub assign: crate::core::model::AssignRule,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CategoryDef {
    pub code: String,
    pub name: String,
    pub group: Option<String>,
    pub keywords: Vec<String>,
    pub template: Option<Template>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// "en", "ru", "uk", or None to follow LANG.
    pub language: Option<String>,
    pub desk_name: String,
    /// IANA time zone of the desk ("" = the host's).
    pub timezone: String,
    /// That zone, read from the tz database (`None` = the host's).
    pub zone: Option<crate::core::zone::Tz>,
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
    /// `[database] url`: the desk on PostgreSQL (`postgres://…`); None: the SQLite file.
    pub database_url: Option<String>,
    /// `[database] report_url`: where `desk report` reads (a PostgreSQL replica); None: the
    /// desk's own database.
    pub report_url: Option<String>,
    /// `[web]`: the requesters' web page (`desk serve`).
    pub web: super::web::WebConfig,
    /// Rights the configuration narrows (`[rights]`).
    pub rights: RightsConfig,
    /// How large attached files may be (`[attachments]`).
    pub attachments: super::attach::Limits,
    /// Answers from templates (`[[answer]]`).
    pub case: super::casework::CaseConfig,
    /// Saved queues (`[[queue]]`): a name, a query, an order.
    pub queues: Vec<super::query::saved::SavedQueue>,
    /// Names and labels written in several languages, put in place by `use_language`.
    pub translations: Translations,
}

/// What a name written per language in desk.toml names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Named {
    Desk,
    Group(String),
    Category(String),
    Status(String),
    /// A saved queue, by its place in `[[queue]]`.
    Queue(usize),
}

/// Names and labels in the languages desk.toml gives them: (what, language, text).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Translations(pub Vec<(Named, String, String)>);

/// `[rights]`: actions some desks keep for some roles.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RightsConfig {
    /// Who may change a ticket's priority after intake.
    pub edit: super::edit::EditRights,
    /// Who may extend a deadline (`[rights] extend`).
    pub extend: Vec<crate::core::model::Role>,
}

impl Config {
    /// Puts the names and labels desk.toml gives in `lang` in place (a name not given in
    /// `lang` takes its default: English's, else the first). Any language may follow another:
    /// the web page keeps one configuration per language it speaks.
    pub fn use_language(&mut self, lang: &str) {
        let all = std::mem::take(&mut self.translations);
        let given = |named: &Named, l: Option<&str>| {
            all.0
                .iter()
                .find(|(n, x, text)| n == named && l.is_none_or(|l| x == l) && !text.is_empty())
                .map(|(_, _, text)| text.clone())
        };
        let mut done: Vec<&Named> = Vec::new();
        for (named, _, _) in &all.0 {
            if done.contains(&named) {
                continue;
            }
            done.push(named);
            let Some(text) = given(named, Some(lang))
                .or_else(|| given(named, Some("en")))
                .or_else(|| given(named, None))
            else {
                continue;
            };
            match named {
                Named::Desk => self.desk_name = text,
                Named::Group(code) => {
                    if let Some(g) = self.groups.iter_mut().find(|g| &g.code == code) {
                        g.name = text;
                    }
                }
                Named::Category(code) => {
                    if let Some(c) = self.categories.iter_mut().find(|c| &c.code == code) {
                        c.name = text;
                    }
                }
                Named::Status(id) => self.lifecycle.set_label(id, &text),
                Named::Queue(i) => {
                    if let Some(q) = self.queues.get_mut(*i) {
                        q.name = text;
                    }
                }
            }
        }
        self.translations = all;
    }

    /// Whether desk.toml gives this group's name per language (then the name in the reader's
    /// language is the configuration's, not the one the database kept).
    pub fn group_named_per_language(&self, code: &str) -> bool {
        self.translations
            .0
            .iter()
            .any(|(n, _, _)| matches!(n, Named::Group(c) if c == code))
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
mod tests;
