//! The minimal init of a new pid namespace, forked at the final exec.
//!
//! The kernel gives PID 1 two duties a normal program does not expect:
//! orphans are re-parented to it, and it receives only the signals it has a
//! handler for, so a command that is PID 1 ignores Ctrl-C and SIGTERM. As
//! bwrap does, a new pid namespace gets a minimal init by default and the
//! command runs as PID 2 (`sk-unshare --as-pid-1` keeps the command PID 1).
//!
//! The init is forked at the very end of the chain, in the process that
//! executes the command, after every other step: so it is in the same
//! cgroup, root, capability sets, LSM profile and user as the command and
//! holds nothing the command lacks (it closes every fd but its signalfd).
//! Whatever enforces something stays outside the pid namespace (the
//! staying parent of sk-unshare): a command with CAP_SYS_PTRACE can ptrace
//! any process of its pid namespace, whatever its dumpable flag says.
//!
//! What the engine must call, and when: [`fork_if_pid1`] before the final
//! execve, before the terminal is attached (the command, not the init, is
//! the session leader); [`crate::exec::prepare_final`] calls it. It returns
//! in the child (PID 2); the parent never returns. A seccomp allow-list
//! that is loaded after it is not the init's concern: sk-seccomp calls
//! `prepare_final` before it loads its filter.

use crate::chain::State;
use crate::error::{Cannot, Result};
use crate::parent::Parent;
use crate::{fds, verbose};
use nix::unistd::ForkResult;
use std::os::fd::AsRawFd;

/// Asks for the init (sk-unshare with a new pid namespace), on the chain's
/// state as the links hand it on.
pub fn request() {
    let mut state = State::load();
    state.init = true;
    state.store();
}

/// Forks the init when the chain asked for one and this process is PID 1.
pub fn fork_if_pid1(state: &State) -> Result<()> {
    if !state.init || nix::unistd::getpid().as_raw() != 1 {
        return Ok(());
    }
    // Blocks the forwarded signals first, so none is lost before the
    // signalfd reads them; the child's mask is given back by
    // signals::restore before its exec.
    let parent = Parent::prepare()?;
    // SAFETY: the tools are single-threaded when they fork.
    match unsafe { nix::unistd::fork() }.cannot("fork the command from the init")? {
        ForkResult::Child => Ok(()),
        ForkResult::Parent { child } => {
            // Nothing of the chain's (kept fds, the terminal channel,
            // carried tools) stays in the init: only the signalfd.
            let keep = parent.signal_fd().as_raw_fd();
            // Told apart from the command in ps.
            let _ = nix::sys::prctl::set_name(c"sk-init");
            crate::signals::ignore_sigpipe();
            fds::close_all_now_except(keep);
            verbose!("init: PID 1 runs the command as PID {child}");
            parent.wait_for(child)
        }
    }
}
