fn main() {
    // Before anything reads a file or the environment: a set-id desk sets its effective group
    // back to the caller's until it knows it runs for the shared desk (see `privilege`).
    desk::privilege::early();
    // The arguments, read and then blanked where other users see them (ps, /proc/PID/cmdline).
    let args = desk::privilege::take_arguments();
    // A panic is a bug in desk: the terminal is restored first, then the report says where it
    // happened and where to report it (src/bug.rs).
    desk::bug::install();
    desk::bug::test_trigger("start");
    std::process::exit(desk::cli::run(args, desk::ui::run));
}
