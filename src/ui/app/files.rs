//! A ticket's files in the desk (`f`): the list of what is attached; Enter saves the one
//! chosen to a path typed (a new file of the person's, readable by them only), `a` attaches a
//! file by its path. The desk never opens or runs a file.

use super::apply::Applied;
use super::{App, Level};
use crate::core::attach::human_size;
use crate::core::keys::Action;
use crate::core::sanitize::clean_line;
use crate::error::{Error, Result};
use crate::store::Ticket;
use crate::store::tickets::NewFile;
use crate::ui::overlays::Overlay;
use crate::ui::overlays::choose::{ChooseFor, ChooseState, Chosen, Row};
use crate::ui::overlays::prompt::{Prompt, Purpose};

impl App {
    /// `f`: the highlighted ticket's files.
    pub(super) fn open_files(&mut self) {
        let Some(t) = self.one_target() else { return };
        let cat = self.session.catalog;
        let files = match self.session.store.attachments(t.id) {
            Ok(f) => f,
            Err(e) => return self.fail(&e),
        };
        let rows = files
            .iter()
            .map(|a| Row {
                text: format!(
                    "{}  {}",
                    clean_line(&a.name),
                    human_size(a.size.max(0) as u64)
                ),
                detail: format!(
                    "{} · {} · sha256:{}",
                    crate::time::format(a.added_at),
                    a.added_by.as_deref().map(clean_line).unwrap_or_default(),
                    a.hash.get(..12).unwrap_or(&a.hash)
                ),
            })
            .collect();
        let title = cat.f("ui.files_title", &[("number", t.number.clone())]);
        let mut c = ChooseState::new(
            ChooseFor::Files {
                ticket: Box::new(t),
            },
            title,
            rows,
            cat.t("ui.no_files").to_string(),
        );
        c.extra = vec![Action::AttachFile];
        self.overlays.push(Overlay::Choose(Box::new(c)));
    }

    /// What was chosen in a list.
    pub(super) fn on_chosen(&mut self, c: &ChooseState, chosen: Chosen) {
        match (&c.purpose, chosen) {
            (ChooseFor::Files { ticket }, Chosen::Extra(Action::AttachFile)) => self.ask_path(
                Purpose::AttachFile,
                "ui.attach_title",
                "",
                (**ticket).clone(),
            ),
            (ChooseFor::Answers { names, .. }, Chosen::Row(i)) => {
                if let Some(name) = names.get(i) {
                    self.put_chosen_answer(name)
                }
            }
            (ChooseFor::Files { ticket }, Chosen::Row(i)) => {
                let Ok(files) = self.session.store.attachments(ticket.id) else {
                    return;
                };
                if let Some(a) = files.get(i) {
                    let name = a.name.clone();
                    self.ask_path(
                        Purpose::SaveFile { name: name.clone() },
                        "ui.save_title",
                        &name,
                        (**ticket).clone(),
                    );
                }
            }
            (ChooseFor::Alerts { alerts }, chosen) => self.on_alert_chosen(alerts, chosen),
            _ => {}
        }
    }

    fn ask_path(&mut self, purpose: Purpose, title: &str, text: &str, t: Ticket) {
        let cat = self.session.catalog;
        let label = cat.t("ui.path").to_string();
        let mut p = Prompt::new(
            cat.f(title, &[("number", t.number.clone())]),
            label.clone(),
            purpose,
            true,
            false,
        );
        p.input = crate::ui::input::with_text(&label, text, false);
        crate::ui::input::set_focus(&mut p.input, true);
        p.preview = vec![format!("{} {}", t.number, clean_line(&t.subject))];
        self.overlays
            .push(Overlay::Prompt(Box::new(p.about(vec![t]))));
    }

    /// The directory the desk's files are in: none of them may be attached.
    fn done_or_kept(&mut self, r: Result<String>) -> Option<Applied> {
        let cat = self.session.catalog;
        match r {
            Ok(text) => {
                if let Err(e) = self.refresh(false) {
                    self.fail(&e);
                }
                self.say(Level::Ok, text);
                Some(Applied {
                    done: 1,
                    failed: Vec::new(),
                    first_error: None,
                })
            }
            Err(e) => Some(Applied {
                done: 0,
                failed: Vec::new(),
                first_error: Some(e.message(cat)),
            }),
        }
    }

    /// Attaches the file at `path` (read with the person's rights; never one of the desk's
    /// own files) to the ticket the box was opened for.
    pub(super) fn attach_file(&mut self, targets: Vec<Ticket>, path: &str) -> Option<Applied> {
        let t = targets.first()?.clone();
        let actor = self.actor()?;
        let path = crate::session::expand_home(path.trim());
        let limit = self.session.cfg.attachments.max_bytes;
        let read = crate::privilege::read_to_attach(&path, &self.session.desk_dir(), limit);
        let r = read.and_then(|data| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let s = &mut self.session;
            let (number, added) = s.store.attach(
                &s.cfg,
                &actor,
                &t.number,
                &[NewFile { name, data }],
                self.now,
            )?;
            let a = added
                .first()
                .ok_or_else(|| Error::Invalid(crate::msg!("attach.nothing")))?;
            Ok(s.catalog.f(
                "msg.attached",
                &[
                    ("number", number),
                    ("name", a.name.clone()),
                    ("size", human_size(a.size.max(0) as u64)),
                ],
            ))
        });
        self.done_or_kept(r)
    }

    /// Saves the ticket's file `name` to `path`: a new file of the person's, never over an
    /// existing one nor through a link.
    pub(super) fn save_file(
        &mut self,
        targets: Vec<Ticket>,
        name: &str,
        path: &str,
    ) -> Option<Applied> {
        let t = targets.first()?.clone();
        let path = crate::session::expand_home(path.trim());
        let cat = self.session.catalog;
        let r = self
            .session
            .store
            .attachment(&t, name)
            .and_then(|(a, data)| {
                crate::privilege::write_new_as_caller(&path, &data)?;
                Ok(cat.f(
                    "msg.got",
                    &[
                        ("name", a.name.clone()),
                        ("path", clean_line(&path.display().to_string()).into_owned()),
                        ("size", human_size(a.size.max(0) as u64)),
                    ],
                ))
            });
        self.done_or_kept(r)
    }
}
