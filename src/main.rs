use std::process::ExitCode;

fn main() -> ExitCode {
    desk::cli::main()
}
