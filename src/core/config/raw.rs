//! `desk.toml` as written: what serde reads, before anything is checked.

use crate::core::lifecycle::{Field, Trigger};
use crate::core::model::{Outcome, Priority, Role, StatusCategory};
use crate::core::numbering::CheckAlgo;
use crate::core::sla::FirstResponse;
use serde::Deserialize;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    #[serde(default)]
    pub(super) language: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) desk: RawDesk,
    pub(super) numbering: RawNumbering,
    pub(super) intake: RawIntake,
    #[serde(default, rename = "group")]
    pub(super) groups: Vec<RawGroup>,
    #[serde(default, rename = "category")]
    pub(super) categories: Vec<RawCategory>,
    #[serde(default, rename = "route")]
    pub(super) routes: Vec<RawRoute>,
    #[serde(rename = "status")]
    pub(super) statuses: Vec<RawStatus>,
    #[serde(rename = "transition")]
    pub(super) transitions: Vec<RawTransition>,
    #[serde(default)]
    pub(super) keys: std::collections::BTreeMap<String, Spanned<OneOrMany>>,
    #[serde(default)]
    pub(super) sla: Option<Spanned<RawSla>>,
    #[serde(default)]
    pub(super) mail: Option<Spanned<crate::core::mail::config::RawMail>>,
    #[serde(default)]
    pub(super) web: Option<Spanned<crate::core::web::RawWeb>>,
    #[serde(default)]
    pub(super) rights: RawRights,
    #[serde(default)]
    pub(super) attachments: Option<Spanned<RawAttachments>>,
    #[serde(default, rename = "answer")]
    pub(super) answers: Vec<Spanned<crate::core::casework::RawAnswer>>,
    #[serde(default)]
    pub(super) timers: Option<Spanned<crate::core::casework::RawTimers>>,
    #[serde(default, rename = "escalation")]
    pub(super) escalations: Vec<Spanned<crate::core::casework::RawEscalation>>,
    #[serde(default, rename = "queue")]
    pub(super) queues: Vec<Spanned<crate::core::query::saved::RawQueue>>,
    #[serde(default)]
    pub(super) database: Option<Spanned<RawDatabase>>,
}

/// `[database]`: where the desk's data lives when it is not the SQLite file.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) report_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAttachments {
    #[serde(default)]
    pub(super) max_bytes: Option<String>,
    #[serde(default)]
    pub(super) max_ticket_bytes: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRights {
    #[serde(default)]
    pub(super) edit_priority: Vec<Role>,
    #[serde(default)]
    pub(super) extend: Option<Vec<Role>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSla {
    #[serde(default)]
    pub(super) at_risk: Option<f64>,
    #[serde(default)]
    pub(super) first_response: Option<FirstResponse>,
    #[serde(default)]
    pub(super) targets: std::collections::BTreeMap<String, Spanned<RawTargets>>,
    #[serde(default)]
    pub(super) category: std::collections::BTreeMap<String, Spanned<RawTargets>>,
    #[serde(default)]
    pub(super) calendar: Option<Spanned<RawCalendar>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTargets {
    #[serde(default)]
    pub(super) first_response: Option<String>,
    #[serde(default)]
    pub(super) resolution: Option<String>,
    #[serde(default)]
    pub(super) keep_in_touch: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCalendar {
    #[serde(default)]
    pub(super) timezone: Option<String>,
    pub(super) days: Vec<String>,
    pub(super) hours: String,
    #[serde(default)]
    pub(super) holidays: Vec<String>,
}

/// A key binding value: one key or several.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A name or label: one text, or one per language (`{ en = "Housing", ru = "ЖКХ" }`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum RawLabel {
    One(String),
    PerLanguage(std::collections::BTreeMap<String, String>),
}

impl RawLabel {
    /// The text where no language is chosen: the only one, else English's, else the first.
    pub(crate) fn text(&self) -> &str {
        match self {
            RawLabel::One(s) => s,
            RawLabel::PerLanguage(m) => m
                .get("en")
                .or_else(|| m.values().next())
                .map(String::as_str)
                .unwrap_or(""),
        }
    }

    /// Every text it gives, the one where no language is chosen first.
    pub(crate) fn texts(&self) -> Vec<&str> {
        let first = self.text();
        let mut v = vec![first];
        if let RawLabel::PerLanguage(m) = self {
            v.extend(m.values().map(String::as_str).filter(|t| *t != first));
        }
        v
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDesk {
    #[serde(default)]
    pub(super) name: Option<Spanned<RawLabel>>,
    #[serde(default)]
    pub(super) timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) public_url: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNumbering {
    pub(super) template: Spanned<String>,
    #[serde(default)]
    pub(super) check: CheckAlgo,
    #[serde(default)]
    pub(super) prefix: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIntake {
    pub(super) default_category: Spanned<String>,
    #[serde(default = "normal")]
    pub(super) default_priority: Priority,
}

fn normal() -> Priority {
    Priority::Normal
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroup {
    pub(super) code: Spanned<String>,
    pub(super) name: Spanned<RawLabel>,
    #[serde(default)]
    pub(super) auto_assign: bool,
    #[serde(default)]
    pub(super) assign: Option<crate::core::model::AssignRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCategory {
    pub(super) code: Spanned<String>,
    pub(super) name: Spanned<RawLabel>,
    #[serde(default)]
    pub(super) group: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) keywords: Vec<String>,
    #[serde(default)]
    pub(super) template: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) priority: Option<Priority>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub(super) keywords: Spanned<Vec<String>>,
    #[serde(default)]
    pub(super) category: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) group: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) priority: Option<Priority>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStatus {
    pub(super) id: Spanned<String>,
    pub(super) category: StatusCategory,
    #[serde(default)]
    pub(super) outcomes: Option<Spanned<Vec<Outcome>>>,
    #[serde(default)]
    pub(super) label: Option<Spanned<RawLabel>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTransition {
    pub(super) name: Spanned<String>,
    pub(super) from: Vec<Spanned<String>>,
    pub(super) to: Spanned<String>,
    #[serde(default)]
    pub(super) roles: Vec<Role>,
    #[serde(default)]
    pub(super) requires: Vec<Field>,
    #[serde(default)]
    pub(super) on: Trigger,
}
