//! Tests of `keys`.

use super::*;

fn rb(name: &str, keys: &[&str], line: usize) -> Rebinding {
    Rebinding {
        name: name.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
        line,
    }
}

fn find(map: &[Binding], c: Context, k: Key) -> Option<Action> {
    map.iter()
        .find(|b| b.context == c && b.key == k)
        .map(|b| b.action)
}

#[test]
fn names_round_trip_and_are_unique() {
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(*a));
    }
    let mut names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), Action::ALL.len());
}

#[test]
fn no_key_means_two_things_in_one_context() {
    let map = defaults();
    for (i, a) in map.iter().enumerate() {
        for b in &map[i + 1..] {
            assert!(
                !(a.context == b.context && a.key == b.key),
                "{:?} {} is {:?} and {:?}",
                a.context,
                a.key,
                a.action,
                b.action
            );
        }
    }
}

#[test]
fn nothing_typed_is_taken_by_a_default_key() {
    for b in defaults() {
        assert!(
            !(b.context.is_text() && b.key.types_text()),
            "{:?} binds {} which would be typed",
            b.context,
            b.key
        );
    }
}

#[test]
fn every_dialog_can_be_left_and_explained() {
    let map = defaults();
    for c in Context::ALL {
        if matches!(c, Context::Queue | Context::Detail | Context::Assign) {
            continue;
        }
        assert!(
            find(&map, c, Key::plain(Code::Esc)).is_some(),
            "{c:?} has no Esc"
        );
        assert_eq!(find(&map, c, Key::plain(Code::F(1))), Some(Action::Help));
    }
}

#[test]
fn key_specs() {
    assert_eq!(Key::parse("shift-tab"), Ok(Key::plain(Code::BackTab)));
    assert_eq!(Key::parse("G"), Ok(Key::ch('G')));
    assert_eq!(
        Key::parse("ctrl-S").map(|k| k.to_string()),
        Ok("Ctrl-S".into())
    );
    assert_eq!(Key::parse("space"), Ok(Key::ch(' ')));
    assert_eq!(Key::parse("f12"), Ok(Key::plain(Code::F(12))));
    assert_eq!(Key::parse("-"), Ok(Key::ch('-')));
    assert_eq!(
        Key::parse("ctrl--").map(|k| k.to_string()),
        Ok("Ctrl--".into())
    );
    assert_eq!(Key::ctrl('j').to_string(), "Ctrl-J");
    assert!(Key::parse("f99").is_err());
    assert!(Key::parse("hello").is_err());
    assert!(Key::parse("").is_err());
    assert!(Key::parse("ctrl-c").is_err_and(|e| e.key == "keys.ctrl_c"));
}

#[test]
fn rebinding_moves_keys_between_actions() {
    let map = bindings(&[rb("new", &["ctrl-n", "F2"], 3), rb("claim", &["n"], 4)]).expect("valid");
    assert_eq!(
        find(&map, Context::Global, Key::ch('n')),
        Some(Action::Claim)
    );
    assert_eq!(
        find(&map, Context::Global, Key::ctrl('n')),
        Some(Action::New)
    );
    assert_eq!(
        find(&map, Context::Welcome, Key::ctrl('n')),
        Some(Action::New)
    );
    assert_eq!(find(&map, Context::Global, Key::ch('c')), None);
    // Typing still types: `n` in the form is text, whatever [keys] says.
    let map = bindings(&[rb("down", &["n"], 2)]).expect("valid");
    assert_eq!(find(&map, Context::Help, Key::ch('n')), Some(Action::Down));
    assert_eq!(find(&map, Context::Palette, Key::ch('n')), None);
    assert_eq!(
        find(&map, Context::Palette, Key::plain(Code::Down)),
        Some(Action::Down),
        "the palette keeps a key that cannot be typed"
    );
}

#[test]
fn mistakes_name_their_line() {
    let e = bindings(&[rb("fly", &["x"], 7)]).expect_err("unknown");
    assert_eq!(e.0, 7);
    assert!(e.1.to_string().contains("unknown action 'fly'"), "{}", e.1);
    let e = bindings(&[rb("new", &["ctrl-c"], 2)]).expect_err("reserved");
    assert!(e.1.to_string().contains("always quits"));
    let e = bindings(&[rb("new", &["hello"], 2)]).expect_err("bad");
    assert!(e.1.to_string().contains("not a key"));
    let e = bindings(&[rb("save", &["s"], 5)]).expect_err("typed");
    assert_eq!(e.0, 5);
    assert!(e.1.to_string().contains("would be typed"), "{}", e.1);
    let e = bindings(&[rb("new", &["x"], 3), rb("claim", &["x"], 4)]).expect_err("both");
    assert_eq!(e.0, 4);
    assert!(
        e.1.to_string().contains("both new (line 3) and claim"),
        "{}",
        e.1
    );
    assert!(bindings(&[rb("save", &["ctrl-w", "s"], 5)]).is_ok());
}
