//! The engine of a chain. Every sk-* binary is this engine, entered under
//! its own name:
//!
//! 1. [`read`]: the whole command line is read before anything is done.
//!    Each link is parsed by its own tool's parser; a word whose name is a
//!    seckun tool (bare or with a path) starts the next link; the first word
//!    that is not ends the chain and is the command. A bad option anywhere
//!    fails here: nothing has been made yet.
//! 2. [`rules`]: orderings that cannot work are refused, each rule in one
//!    place with its reason.
//! 3. [`prepare`]: what the links name on the caller's side (profiles,
//!    outputs, AppArmor's parser) is read, opened or run now, before any
//!    step, so that a path means what the caller sees.
//! 4. [`run`]: each step runs in this process (or, where a step stays as a
//!    parent, in the child it forks) and hands over to the next one by a
//!    function call: no exec, no lookup in a root that may be hostile. Only
//!    the final command is executed, after the deferred steps (AppArmor's
//!    transition, the seccomp filters) which must judge it and nothing of
//!    the chain.

pub mod fusion;
pub mod prepare;
pub mod read;
pub mod rules;
pub mod run;

use sk_common::Cannot;
use std::ffi::OsString;

/// One link of a chain: the tool, its own `-v`, and its step's plan.
pub struct Link {
    pub tool: &'static str,
    pub verbose: bool,
    /// What its terminal options ask for (only the first link's decide).
    pub tty: sk_common::tty::Mode,
    pub step: Step,
}

/// The step of each tool, as its parser planned it.
pub enum Step {
    Unshare(sk_unshare::cli::Plan),
    Pivot(sk_pivot::cli::Plan),
    Cgroup(sk_cgroup::cli::Plan),
    Capdrop(sk_capdrop::cli::Plan),
    Seccomp(sk_seccomp::cli::Plan),
    Aaexec(sk_aaexec::cli::Plan),
    User(sk_user::cli::Plan),
    Rlimit(sk_rlimit::cli::Plan),
    Env(sk_env::cli::Plan),
    Landlock(sk_landlock::cli::Plan),
}

/// A whole chain: its links in order, and the command that ends it.
pub struct Chain {
    pub links: Vec<Link>,
    pub command: Vec<OsString>,
    /// The whole command line, the first word being the first tool's name:
    /// what a real exec between two links passes on.
    pub argv: Vec<OsString>,
}

/// The `main` of every sk-* binary; `tool` is the binary's own name, which
/// names the first link whatever argv[0] says.
pub fn main(tool: &'static str) -> ! {
    sk_common::run(tool, || {
        // Not dumpable until the command's exec (which makes it dumpable
        // again): while the chain holds the caller's fds (its /proc, the
        // files it opened) no process of the container it joins or makes may
        // ptrace it or open them through /proc/PID/fd, as runc's init after
        // CVE-2016-9962. Every process of the chain, fused or entered by a
        // real exec, starts so.
        nix::sys::prctl::set_dumpable(false).cannot("make the chain non-dumpable")?;
        let start = sk_common::handoff::take_inherited()?;
        // The links' requests of an earlier process, taken into memory now,
        // before a step such as sk-env -i can clear the environment.
        sk_common::chain::State::load();
        // Entered by a real exec below a staying parent: its failure pipe.
        if let Some(fd) = sk_common::handoff::get(sk_common::parent::FAILURE_KEY) {
            sk_common::parent::set_failure_fd(fd);
        }
        let argv: Vec<OsString> = std::env::args_os().collect();
        let run = || {
            let chain = read::read(tool, argv)?;
            rules::check(&chain)?;
            let prepared = prepare::prepare(&chain)?;
            run::run(&chain, &prepared, start)
        };
        // Entered by a real exec: what the earlier processes' steps made
        // has no frame here to undo it when a later link fails.
        run().inspect_err(|_| sk_common::handoff::undo())
    })
}
