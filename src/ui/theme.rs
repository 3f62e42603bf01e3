//! Styles and symbols. Everything colour says is also said by a symbol, so the desk reads the
//! same with `NO_COLOR` set (https://no-color.org) or on a monochrome terminal.

use crate::core::model::Priority;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

/// Marks a row the cursor is on (besides the highlight).
pub const CURSOR: &str = "▶";
/// Marks a row chosen with Space for a bulk action.
pub const MARK: &str = "●";
/// Marks an agent who is away.
pub const AWAY: &str = "⌂";

impl Theme {
    /// Colour unless `NO_COLOR` is set to anything non-empty.
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn base(&self) -> Style {
        Style::new()
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn header(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    /// The focused pane's border.
    pub fn focus_border(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan)
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }

    pub fn border(&self) -> Style {
        self.dim()
    }

    /// The row under the cursor: reversed (a symbol marks it too).
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }

    pub fn marked(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn priority(&self, p: Priority) -> Style {
        match p {
            Priority::Urgent => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            Priority::High => self.fg(Color::LightRed),
            Priority::Normal => Style::new(),
            Priority::Low => self.dim(),
        }
    }

    pub fn overdue(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn tab_active(&self) -> Style {
        if self.color {
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    /// A load bar's colour: green with room, yellow near capacity, red at or over it.
    pub fn load(&self, load: i64, capacity: i64) -> Style {
        if capacity <= 0 || load >= capacity {
            self.fg(Color::Red)
        } else if load * 10 >= capacity * 8 {
            self.fg(Color::Yellow)
        } else {
            self.fg(Color::Green)
        }
    }
}
