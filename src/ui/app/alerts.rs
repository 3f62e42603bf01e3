//! Alerts in the desk (`!`): the escalations of the person's groups' tickets that `desk tick`
//! told them of — the ones not yet seen first, marked ●, then the rest of the last hundred.
//! The count of those not seen stands beside the queues' tabs until they are seen. Enter
//! opens the alert's ticket and marks it seen; `A` marks them all seen. Seeing one is an
//! event of its ticket by the person (the history holds who saw which escalation when), and
//! it is theirs alone: a colleague's alerts stay as they are.

use super::{App, Level};
use crate::core::keys::Action;
use crate::core::sanitize::clean_line;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::choose::{ChooseFor, ChooseState, Chosen, Row};

impl App {
    /// `!`: the person's alerts.
    pub(super) fn open_alerts(&mut self) {
        let Some(actor) = self.actor() else { return };
        let cat = self.session.catalog;
        let mut list = match self.session.store.alerts(&actor, true) {
            Ok(l) => l,
            Err(e) => return self.fail(&e),
        };
        // Not seen first (each part newest first, as the store gives them).
        list.sort_by_key(|a| a.seen_at.is_some());
        let unseen = list.iter().filter(|a| a.seen_at.is_none()).count();
        let rows = list
            .iter()
            .map(|a| Row {
                text: format!(
                    "{} {}  {}",
                    if a.seen_at.is_none() { "●" } else { " " },
                    a.number,
                    clean_line(&a.subject)
                ),
                detail: format!(
                    "{} · {}",
                    crate::time::format(a.at),
                    crate::present::escalation(cat, &a.clock, &a.level, &a.actions)
                ),
            })
            .collect();
        let mut c = ChooseState::new(
            ChooseFor::Alerts {
                alerts: list
                    .iter()
                    .map(|a| (a.id, a.number.clone(), a.seen_at.is_none()))
                    .collect(),
            },
            cat.f("ui.alerts_title", &[("n", unseen.to_string())]),
            rows,
            cat.t("ui.no_alerts").to_string(),
        );
        c.extra = vec![Action::MarkAll];
        self.overlays.push(Overlay::Choose(Box::new(c)));
    }

    /// An alert chosen (its ticket opened, the alert seen), or all of them marked seen.
    pub(super) fn on_alert_chosen(&mut self, alerts: &[(i64, String, bool)], chosen: Chosen) {
        let Some(actor) = self.actor() else { return };
        let now = self.now;
        match chosen {
            Chosen::Row(i) => {
                let Some((id, number, unseen)) = alerts.get(i) else {
                    return;
                };
                if *unseen
                    && let Err(e) = self
                        .session
                        .store
                        .mark_alerts_seen(&actor, Some(&[*id]), now)
                {
                    return self.fail(&e);
                }
                let number = number.clone();
                self.open_number(&number);
            }
            Chosen::Extra(_) => match self.session.store.mark_alerts_seen(&actor, None, now) {
                Ok(n) => {
                    let text = self
                        .session
                        .catalog
                        .f("ui.alerts_seen", &[("n", n.to_string())]);
                    self.say(Level::Ok, text);
                }
                Err(e) => return self.fail(&e),
            },
        }
        if let Err(e) = self.refresh(false) {
            self.fail(&e);
        }
    }
}
