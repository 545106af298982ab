//! `--init`: a minimal PID 1 for the new pid namespace, as tini and
//! `docker --init` are. The kernel gives PID 1 two duties a normal program
//! does not expect: orphans are re-parented to it (someone must reap them,
//! or they stay zombies), and it receives only the signals it has a handler
//! for. This init runs the command as PID 2, reaps everything, forwards
//! signals to the command, and exits with the command's status, which ends
//! the namespace.

use nix::unistd::ForkResult;
use sk_common::parent::Parent;
use sk_common::{verbose, Cannot, Next, Result};

/// Runs in the child that is PID 1, with the blocked signal mask and the
/// signalfd it inherited over fork.
pub fn run_init(parent: Parent, next: Next) -> Result<std::convert::Infallible> {
    // SAFETY: single-threaded.
    match unsafe { nix::unistd::fork() }.cannot("fork the command from init")? {
        ForkResult::Child => {
            parent.restore_in_child()?;
            next()
        }
        ForkResult::Parent { child } => {
            // The rest of the chain runs in the child; init keeps nothing of it.
            drop(next);
            // The socket to the staying parent is for the chain's next
            // link (in the child), not for an init the command can reach.
            sk_common::reclaim::drop_inherited();
            verbose!("init: PID 1 runs the command as PID {child}");
            // A signalfd reads the pending signals of the process that reads
            // it, so the one inherited over fork serves PID 1 as it is.
            parent.wait_for(child)
        }
    }
}
