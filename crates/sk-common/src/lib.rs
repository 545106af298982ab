//! What every sk-* tool needs, written once: the argv tail, exec of the
//! command with the 125/126/127 exit codes, one-line error reports, `-v`
//! logging to stderr, and the small parent that stays behind when a step
//! needs a fork (pid namespaces, cgroup cleanup, seccomp supervisors).
//!
//! A tool is `parse -> apply -> exec`:
//!
//! ```no_run
//! use sk_common::{cli, exec, run};
//! # #[derive(clap::Parser)] struct Cli { #[command(flatten)] common: cli::Common,
//! #   #[arg(trailing_var_arg = true, required = true)] command: Vec<std::ffi::OsString> }
//! fn main() {
//!     run("sk-example", || {
//!         let args: Cli = cli::parse();
//!         args.common.apply();
//!         // ... the isolation step ...
//!         exec::exec(&args.command)
//!     })
//! }
//! ```

pub mod cli;
pub mod error;
pub mod exec;
pub mod exit;
pub mod fd;
pub mod handoff;
pub mod inroot;
pub mod log;
pub mod mount;
pub mod parent;
pub mod sigpipe;
pub mod tools;

pub use error::{Cannot, Result};

use std::convert::Infallible;

/// The rest of a chain, for a step that runs it itself: a step that stays
/// as a parent calls it in the child it forks, every other step right after
/// its own work. It returns only with an error: the chain ends in an exec.
pub type Next<'a> = Box<dyn FnOnce() -> Result<Infallible> + 'a>;

/// Runs a tool's body and turns any error into one stderr line and exit 125.
///
/// This is the one place where errors become exit codes: the body either
/// execs (and never returns) or fails.
pub fn run(tool: &'static str, body: impl FnOnce() -> Result<Infallible>) -> ! {
    log::set_tool(tool);
    match body() {
        Ok(never) => match never {},
        Err(err) => fail(&err),
    }
}

/// Prints `sk-<tool>: <message>` and exits with 125 (the tool failed).
pub fn fail(err: &anyhow::Error) -> ! {
    let code = match err.downcast_ref::<parent::AlreadyReported>() {
        Some(reported) => reported.0,
        None => {
            eprintln!("{}: {}", log::tool(), error::describe(err));
            err.downcast_ref::<exec::NotRun>()
                .map_or(exit::TOOL_FAILED, |n| n.status)
        }
    };
    parent::tell_failure();
    exit::exit(code)
}
