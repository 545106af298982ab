//! What every sk-* tool needs, written once: the argv tail, exec of the
//! command with the 125/126/127 exit codes, one-line error reports, `-v`
//! logging to stderr, and the small parent that stays behind when a step
//! needs a fork (pid namespaces, cgroup cleanup, seccomp supervisors).
//!
//! The chain's boundary (issue 14) is kept by five modules, each saying at
//! its top what the engine must call and when: [`signals`] (the caller's
//! dispositions and mask, recorded before `main`), [`fds`] (inherited fds
//! closed after a filesystem boundary), [`tty`] (the first link owns the
//! caller's terminal: pty relay or pipes), [`init`] (the minimal PID 1,
//! forked at the final exec) and [`parent`] (`--die-with-parent`). What the
//! links ask of the final exec travels in [`chain::State`];
//! [`exec::first_link`] and [`exec::prepare_final`] are the two moments.
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

pub mod cgroup;
pub mod chain;
pub mod cli;
pub mod error;
pub mod exec;
pub mod exit;
pub mod fd;
pub mod fds;
pub mod handoff;
pub mod init;
pub mod inroot;
pub mod log;
pub mod mount;
pub mod parent;
pub mod reclaim;
pub mod signals;
pub mod test_hook;
pub mod tools;
pub mod tty;

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
///
/// A panic anywhere in the tool is an internal error, reported the same
/// way: one line `sk-<tool>: internal error: <message>`, and exit 125 (a
/// staying parent first kills the command it started, see
/// [`parent::kill_watched`]). The hook exits itself, so that neither
/// unwinding (exit 101) nor the release profile's `panic = "abort"`
/// (SIGABRT, 134) decides the status.
pub fn run(tool: &'static str, body: impl FnOnce() -> Result<Infallible>) -> ! {
    log::set_tool(tool);
    std::panic::set_hook(Box::new(|info| {
        parent::kill_watched();
        tty::restore_after_panic();
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic");
        let place = info
            .location()
            .map(|l| format!(" ({}:{})", l.file(), l.line()))
            .unwrap_or_default();
        let line = format!("{message}{place}").replace('\n', " ");
        crate::say!("{}: internal error: {line}", log::tool());
        exit::exit(exit::TOOL_FAILED)
    }));
    test_hook::panic_if("before");
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
            crate::say!("{}: {}", log::tool(), error::describe(err));
            err.downcast_ref::<exec::NotRun>()
                .map_or(exit::TOOL_FAILED, |n| n.status)
        }
    };
    parent::tell_failure();
    exit::exit(code)
}
