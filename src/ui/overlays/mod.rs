//! The dialogs over the desk. Each one owns its keys (its context in the keymap), its state
//! and its drawing; the app only acts on what a dialog replies. They stack: help opened from a
//! form shows the form's keys and returns to the form, with everything typed still there.

pub mod choice;
pub mod choose;
pub mod edit;
pub mod form;
pub mod help;
pub mod palette;
pub mod picker;
pub mod prompt;
pub mod relate;
pub mod stats;
pub mod status;

use crate::core::keys::{Action, Context};
use choose::ChooseState;
use edit::EditForm;
use form::NewTicketForm;
use help::HelpState;
use palette::Palette;
use picker::PickerState;
use prompt::Prompt;
use relate::RelateForm;
use stats::StatsState;
use status::StatusFlow;

/// What a dialog makes of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply<T> {
    /// Still open (the key changed it, or was typed into it).
    Stay,
    /// Closed without doing anything.
    Close,
    /// Do this.
    Done(T),
    /// The key means nothing here (and nothing is typed in this dialog).
    Unbound,
}

pub enum Overlay {
    Help(HelpState),
    Stats(Box<StatsState>),
    Picker(PickerState),
    Palette(Box<Palette>),
    Prompt(Box<Prompt>),
    Form(Box<NewTicketForm>),
    Edit(Box<EditForm>),
    Relate(Box<RelateForm>),
    Choose(Box<ChooseState>),
    Status(Box<StatusFlow>),
}

impl Overlay {
    /// The keymap context of the dialog as it stands.
    pub fn context(&self) -> Context {
        match self {
            Overlay::Help(_) => HelpState::CONTEXT,
            Overlay::Stats(_) => StatsState::CONTEXT,
            Overlay::Picker(_) => PickerState::CONTEXT,
            Overlay::Palette(_) => Palette::CONTEXT,
            Overlay::Prompt(_) => Prompt::CONTEXT,
            Overlay::Form(_) => NewTicketForm::CONTEXT,
            Overlay::Edit(_) => EditForm::CONTEXT,
            Overlay::Relate(_) => RelateForm::CONTEXT,
            Overlay::Choose(_) => ChooseState::CONTEXT,
            Overlay::Status(s) => s.context(),
        }
    }

    /// The main keys, for the hint bar while the dialog is open.
    pub fn hints(&self) -> Vec<Action> {
        use Action as A;
        match self {
            Overlay::Help(_) => vec![A::Back, A::Down, A::Up, A::PageDown, A::Bottom],
            Overlay::Stats(_) => vec![A::Left, A::Right, A::Up, A::Down, A::Back, A::Help],
            Overlay::Picker(_) => vec![A::Confirm, A::Down, A::Up, A::Back, A::Help],
            Overlay::Palette(_) => vec![A::Confirm, A::Complete, A::Down, A::Back, A::Help],
            Overlay::Prompt(p) => p.hints(),
            Overlay::Form(_) => vec![A::Confirm, A::Save, A::Back, A::Newline, A::Help],
            Overlay::Choose(c) => c.hints(),
            Overlay::Edit(_) | Overlay::Relate(_) => {
                vec![A::Confirm, A::Save, A::Left, A::Right, A::Back, A::Help]
            }
            Overlay::Status(s) => s.hints(),
        }
    }

    /// Pasted text goes where text is typed (cleaned of anything that could act on a
    /// terminal).
    pub fn on_paste(&mut self, text: &str) {
        match self {
            Overlay::Form(f) => f.on_paste(text),
            Overlay::Edit(f) => f.on_paste(text),
            Overlay::Relate(f) => f.on_paste(text),
            Overlay::Status(s) => s.on_paste(text),
            Overlay::Prompt(p) => p.on_paste(text),
            Overlay::Palette(p) => p.on_paste(text),
            Overlay::Help(_) | Overlay::Stats(_) | Overlay::Picker(_) | Overlay::Choose(_) => {}
        }
    }
}
