fn main() {
    // A panic is a bug in desk: the terminal is restored first, then the report says where it
    // happened and where to report it (src/bug.rs).
    desk::bug::install();
    desk::bug::test_trigger("start");
    std::process::exit(desk::cli::run(std::env::args_os()));
}
