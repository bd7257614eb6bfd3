//! Subcommands, one file each, and the exit-code policy; `board_args`,
//! `programmer`, `progress` and `units` are what several subcommands share.

use clap::{Parser, Subcommand};

mod board_args;
mod boards;
mod flash;
mod hash;
mod icarus;
mod list;
mod mine;
mod probe;
mod program;
mod programmer;
mod progress;
mod scan;
mod units;

/// Exit code for bad input or usage: nothing was touched.
pub const EXIT_BAD_INPUT: u8 = 1;
/// Exit code for a hardware, I/O or pool failure.
pub const EXIT_FAILURE: u8 = 2;

/// Malformed input found by a command itself (flags, config file): exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Open FPGA SHA-256d mining: bitstreams, boards and pools.
#[derive(Debug, Parser)]
#[command(name = "amber", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Hash(hash::Cmd),
    Boards(boards::Cmd),
    List(list::Cmd),
    Program(program::Cmd),
    Flash(flash::Cmd),
    Probe(probe::Cmd),
    Mine(mine::Cmd),
    Scan(scan::Cmd),
    Icarus(icarus::Cmd),
}

impl Cli {
    /// Runs the chosen subcommand.
    pub fn run(self) -> anyhow::Result<()> {
        match self.command {
            Command::Hash(cmd) => cmd.run(),
            Command::Boards(cmd) => cmd.run(),
            Command::List(cmd) => cmd.run(),
            Command::Program(cmd) => cmd.run(),
            Command::Flash(cmd) => cmd.run(),
            Command::Probe(cmd) => cmd.run(),
            Command::Mine(cmd) => cmd.run(),
            Command::Scan(cmd) => cmd.run(),
            Command::Icarus(cmd) => cmd.run(),
        }
    }
}

/// Maps an error to the documented exit code: malformed input is 1,
/// everything else (hardware, I/O, pool) is 2.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    let bad_input = err.chain().any(|cause| {
        cause.is::<amber::hash::HashError>()
            || cause.is::<amber::work::WorkError>()
            || cause.is::<BadInput>()
            || cause.is::<amber::pool::UrlError>()
            || cause.is::<amber::pool::CaError>()
            || cause.is::<amber::api::AllowError>()
            || cause.is::<amber::serve::ListenError>()
            || cause.is::<amber::board::BoardTableError>()
            || cause.is::<amber::usb::SelectorError>()
            || cause
                .downcast_ref::<amber::program::ProgramError>()
                .is_some_and(amber::program::ProgramError::is_input_error)
    });
    if bad_input {
        EXIT_BAD_INPUT
    } else {
        EXIT_FAILURE
    }
}
