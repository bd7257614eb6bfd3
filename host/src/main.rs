//! The `amber` command line.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(err) => {
            // --help and --version are not failures; usage errors are bad input.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(cli::EXIT_BAD_INPUT)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match args.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // Each cause once, however the layers wrote their messages.
            eprintln!("error: {}", amber::text::error_chain(err.as_ref()));
            ExitCode::from(cli::exit_code(&err))
        }
    }
}
