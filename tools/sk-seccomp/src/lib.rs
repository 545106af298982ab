//! sk-seccomp: not implemented yet; it parses its options and refuses (125).

use clap::{CommandFactory, Parser};
use sk_common::cli::Common;
use sk_common::Result;
use std::convert::Infallible;
use std::ffi::OsString;

#[derive(Parser, Debug)]
#[command(name = "sk-seccomp", version, about = "Not implemented yet",
          after_help = "Examples:\n  sk-seccomp true")]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    /// The command to run, and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "";

/// The parser, for man pages and completions.
pub fn command() -> clap::Command {
    Cli::command()
}

pub fn main() -> Result<Infallible> {
    let args: Cli = sk_common::cli::parse();
    args.common.apply();
    anyhow::bail!("not implemented")
}
