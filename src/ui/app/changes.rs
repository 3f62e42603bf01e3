//! Changes to what the tickets say: notes, answers, ratings, and status moves (only those
//! core offers, with exactly the fields the move needs).

use super::apply::Applied;
use super::{App, Level};
use crate::core::refusal::Refusal;
use crate::core::rights;
use crate::store::{Changed, Ticket};
use crate::ui::overlays::Overlay;
use crate::ui::overlays::prompt::{Prompt, Purpose};
use crate::ui::overlays::status::{MoveOption, StatusFlow};

impl App {
    /// A box for text about the highlighted or marked tickets: a note, an answer, a rating.
    pub(super) fn open_note(&mut self, purpose: Purpose) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let cat = self.session.catalog;
        let offered = self.answers_offered(&targets, None).len();
        let (title, label) = match purpose {
            Purpose::Reply if offered > 0 => (
                cat.t("ui.reply"),
                &*format!(
                    "{} · {}",
                    cat.t("field.answer"),
                    cat.f("ui.templates_offer", &[("n", offered.to_string())])
                ),
            ),
            Purpose::Reply => (cat.t("ui.reply"), cat.t("field.answer")),
            Purpose::Rate => (cat.t("ui.rate"), cat.t("ui.rate_label")),
            Purpose::Informed => (cat.t("ui.informed"), cat.t("ui.informed_label")),
            _ => (cat.t("ui.comment"), cat.t("ui.note")),
        };
        // A rating is a score and a short comment on one line, and so is how a requester was
        // told; notes and answers are text.
        let multiline = !matches!(purpose, Purpose::Rate | Purpose::Informed);
        let mut p = Prompt::new(
            title.to_string(),
            label.to_string(),
            purpose,
            true,
            multiline,
        );
        p.preview = vec![match targets.as_slice() {
            [one] => format!(
                "{} {}",
                one.number,
                crate::core::sanitize::clean_line(&one.subject)
            ),
            many => cat.f("ui.n_tickets", &[("n", many.len().to_string())]),
        }];
        self.overlays
            .push(Overlay::Prompt(Box::new(p.about(targets))));
    }

    pub(super) fn do_note(
        &mut self,
        purpose: &Purpose,
        targets: Vec<Ticket>,
        text: String,
        templated: bool,
    ) -> Applied {
        let reply = *purpose == Purpose::Reply;
        let key = if reply {
            "ui.verb_reply"
        } else {
            "ui.verb_comment"
        };
        let label = self.session.catalog.t(key).to_string();
        self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
            if reply && templated {
                let text = super::answers::fill_for(store, cfg, &actor.agent.login, t, &text, now)?;
                store.reply(cfg, actor, &t.number, &text, now)?;
            } else if reply {
                store.reply(cfg, actor, &t.number, &text, now)?;
            } else {
                store.comment(cfg, actor, &t.number, &text, now)?;
            }
            Ok(Changed {
                number: t.number.clone(),
                version: t.version,
                status_from: t.status.clone(),
                status: t.status.clone(),
                warning: None,
            })
        })
    }

    /// "4" or "4 quick and polite": the score, then an optional comment. None when the score
    /// is not a number (said, and nothing applied).
    /// Records that the targets' requesters were told another way, as `how` says.
    pub(super) fn do_informed(&mut self, targets: Vec<Ticket>, how: &str) -> Applied {
        let label = self.session.catalog.t("ui.verb_informed").to_string();
        self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
            store.informed(cfg, actor, &t.number, how, now)?;
            Ok(crate::store::Changed {
                number: t.number.clone(),
                version: t.version,
                status_from: t.status.clone(),
                status: t.status.clone(),
                warning: None,
            })
        })
    }

    pub(super) fn do_rate(&mut self, targets: Vec<Ticket>, text: &str) -> Option<Applied> {
        let (score, comment) = match text.trim().split_once(char::is_whitespace) {
            Some((s, c)) => (s, Some(c.trim().to_string())),
            None => (text.trim(), None),
        };
        let Ok(score) = score.parse::<i64>() else {
            let r = Refusal::RatingRange { given: 0 };
            self.say(Level::Error, self.session.catalog.refusal(&r));
            return None;
        };
        let label = self
            .session
            .catalog
            .f("ui.verb_rate", &[("score", score.to_string())]);
        Some(
            self.apply_each(label, false, targets, |store, cfg, actor, t, now| {
                store.rate(
                    cfg,
                    actor,
                    &t.number,
                    score,
                    comment.as_deref(),
                    Some(t.version),
                    now,
                )
            }),
        )
    }

    /// The moves core offers this person on every target, with what each asks for.
    pub fn move_options(&self, targets: &[Ticket]) -> Vec<MoveOption> {
        let Some(actor) = &self.actor else {
            return Vec::new();
        };
        let life = &self.session.cfg.lifecycle;
        let mut options: Option<Vec<MoveOption>> = None;
        for t in targets {
            let here: Vec<MoveOption> = life
                .offered(&t.state(), actor)
                .into_iter()
                .map(|d| MoveOption {
                    to: d.to.clone(),
                    name: d.name.clone(),
                    outcomes: life
                        .status(&d.to)
                        .map(|s| s.outcomes.clone())
                        .unwrap_or_default(),
                    requires: d.requires.clone(),
                })
                .collect();
            options = Some(match options {
                None => here,
                Some(prev) => prev
                    .into_iter()
                    .filter(|o| here.iter().any(|h| h.to == o.to))
                    .collect(),
            });
        }
        options.unwrap_or_default()
    }

    /// Why no move (or not this one) is offered, in core's words.
    fn why_not(&self, target: &Ticket, to: Option<&str>) -> String {
        let cat = self.session.catalog;
        let Some(actor) = &self.actor else {
            return cat.t("ui.no_moves").to_string();
        };
        let refusal = match to {
            Some(to) => self
                .cfg()
                .lifecycle
                .check(&target.state(), to, actor, &Default::default())
                .err(),
            None => rights::check(
                actor,
                rights::Action::Move,
                target.assignee.as_ref().map(|o| &o.agent),
            )
            .err(),
        };
        match refusal {
            Some(r) => cat.refusal(&r),
            None => cat.t("ui.no_moves").to_string(),
        }
    }

    pub(super) fn open_status(&mut self, preset: Option<String>) {
        let targets = self.targets();
        if self.nothing_to_act_on(&targets) {
            return;
        }
        let options = self.move_options(&targets);
        let offered = |to: &str| options.iter().any(|o| o.to == to);
        if let Some(to) = preset.as_deref().filter(|to| !offered(to)) {
            let text = self.why_not(&targets[0], Some(to));
            return self.say(Level::Error, text);
        }
        if options.is_empty() {
            let text = self.why_not(&targets[0], None);
            return self.say(Level::Error, text);
        }
        let mut flow = StatusFlow::new(targets, options);
        if let Some(i) = preset.and_then(|to| flow.options.iter().position(|o| o.to == to)) {
            flow.cursor = i;
            flow.choose();
        }
        self.overlays.push(Overlay::Status(Box::new(flow)));
    }
}
