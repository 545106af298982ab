//! The small parent that stays behind when a step needs a fork: a new pid
//! namespace needs one (only children enter it), `sk-cgroup --rm` must wait
//! to remove its group, a seccomp supervisor must answer notifications.
//!
//! The parent blocks the signals it forwards *before* forking, so none can
//! arrive between fork and the start of forwarding; the child restores the
//! original mask before it execs. Signals are read from a signalfd, so the
//! forwarding is a plain loop with no async-signal-safety concerns.
//!
//! A staying parent is out of the command's reach only outside its pid
//! namespace: inside, a command that keeps CAP_SYS_PTRACE can ptrace it
//! whatever its dumpable flag says. So what enforces something
//! (`--die-with-parent`, the terminal relay) lives in parents that stay
//! outside. [`Parent::watch_caller`] is the caller's-death half: the engine
//! calls it on the outermost staying parent, before its fork, when the user
//! asked for `--die-with-parent` (with [`OnCallerDeath::KillChild`]: the
//! child is the pid namespace's init, whose death takes the namespace).

use crate::error::{Cannot, Result};
use crate::{exit, reclaim};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, SigSet, SigmaskHow, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use std::convert::Infallible;
use std::os::fd::{AsFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The signals a staying parent passes on to its child, as `unshare --fork`,
/// tini and runc do: the ones a user or a service manager sends to stop,
/// reload or resize the program.
pub const FORWARDED: [Signal; 7] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGWINCH,
];

/// A parent that forwards signals to one child and relays its exit status.
pub struct Parent {
    signals: SignalFd,
    old_mask: SigSet,
    mask: SigSet,
    /// What to do when the caller dies, once [`Parent::watch_caller`] armed it.
    on_caller_death: Option<OnCallerDeath>,
    caller_died: bool,
    winch: bool,
}

/// What a staying parent does when its own parent (the caller) dies.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum OnCallerDeath {
    /// Kill the child with SIGKILL: the init of a pid namespace takes every
    /// process of the namespace with it; `sk-cgroup --rm` then empties its
    /// group. `--die-with-parent`.
    KillChild,
    /// Note it and let the owner of the loop leave (the terminal relay,
    /// whose leaving is in turn the death of the next staying parent's
    /// caller).
    Note,
}

/// The parent-death signal of a staying parent: a real-time signal that
/// nobody sends by accident, read from the signalfd like the others.
pub fn caller_death_signal() -> i32 {
    libc::SIGRTMIN() + 5
}

impl Parent {
    /// Blocks the forwarded signals and SIGCHLD, and makes this process
    /// non-dumpable. Call before fork.
    ///
    /// Why non-dumpable: a parent that stays holds descriptors and
    /// privileges the command lacks (a cgroup directory, a seccomp
    /// listener). A non-dumpable process cannot be ptraced, and its
    /// /proc/PID/fd cannot be opened, by the command running as the same
    /// user. (A command keeping CAP_SYS_PTRACE ignores that flag; so no
    /// enforcing parent stands inside the container's pid namespace: the
    /// chain refuses a supervisor after `sk-unshare -p`, and `sk-cgroup
    /// --rm` there hands its group to sk-unshare's parent.) The child gets
    /// a dumpable process back when it execs.
    pub fn prepare() -> Result<Self> {
        nix::sys::prctl::set_dumpable(false).cannot("make the parent non-dumpable")?;
        let mut mask = SigSet::empty();
        for sig in FORWARDED {
            mask.add(sig);
        }
        mask.add(Signal::SIGCHLD);
        let mut old_mask = SigSet::empty();
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), Some(&mut old_mask))
            .cannot("block signals for forwarding")?;
        let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC | SfdFlags::SFD_NONBLOCK)
            .cannot("create a signalfd")?;
        Ok(Parent {
            signals,
            old_mask,
            mask,
            on_caller_death: None,
            caller_died: false,
            winch: false,
        })
    }

    /// Watches this process's own parent (the caller): when it dies, the
    /// kernel sends [`caller_death_signal`] (PR_SET_PDEATHSIG) and
    /// [`Parent::handle_pending`] does `what`. Call before fork, in the
    /// process that stays; the fork's child does not inherit the request.
    ///
    /// This is what makes `--die-with-parent` independent of the command:
    /// the command can clear its own parent-death signal, but not this
    /// process's, which is outside its pid namespace and non-dumpable.
    pub fn watch_caller(&mut self, what: OnCallerDeath) -> Result<()> {
        let caller = nix::unistd::getppid();
        let sig = caller_death_signal();
        // SAFETY: a copy of our own sigset with one more member.
        let mask = unsafe {
            let mut raw: libc::sigset_t = *self.mask.as_ref();
            libc::sigaddset(&mut raw, sig);
            SigSet::from_sigset_t_unchecked(raw)
        };
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_BLOCK, Some(&mask), None)
            .cannot("block the parent-death signal")?;
        self.signals
            .set_mask(&mask)
            .cannot("add the parent-death signal to the signalfd")?;
        self.mask = mask;
        // SAFETY: prctl with plain integer arguments.
        let rc = unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong, 0, 0, 0) };
        Errno::result(rc).cannot("set the parent-death signal")?;
        self.on_caller_death = Some(what);
        // The caller may have died before the request: then we are
        // someone else's child already.
        if nix::unistd::getppid() != caller {
            self.caller_died = true;
        }
        Ok(())
    }

    /// Whether the caller has died (after [`Parent::watch_caller`]).
    pub fn caller_died(&self) -> bool {
        self.caller_died
    }

    /// Whether a SIGWINCH came since the last call (the terminal relay
    /// passes the new size on).
    pub fn take_winch(&mut self) -> bool {
        std::mem::take(&mut self.winch)
    }

    /// In the child: gives back the signal mask the tool started with, so the
    /// command starts as it would have without us. (The signalfd itself is
    /// close-on-exec.)
    pub fn restore_in_child(&self) -> Result<()> {
        nix::sys::signal::sigprocmask(SigmaskHow::SIG_SETMASK, Some(&self.old_mask), None)
            .cannot("restore the signal mask")
    }

    /// The signalfd, for a caller that polls it beside other fds.
    pub fn signal_fd(&self) -> BorrowedFd<'_> {
        self.signals.as_fd()
    }

    /// Handles every pending signal: forwards the forwardable ones to
    /// `child`, reaps exited children. Returns the exit code to relay once
    /// `child` has ended.
    pub fn handle_pending(&mut self, child: Pid) -> Result<Option<i32>> {
        watch(child);
        let mut reap = false;
        if self.caller_died && self.on_caller_death == Some(OnCallerDeath::KillChild) {
            let _ = kill(child, Signal::SIGKILL);
        }
        loop {
            match self.signals.read_signal() {
                Ok(Some(info)) => {
                    let signo = info.ssi_signo as i32;
                    if signo == libc::SIGCHLD {
                        reap = true;
                    } else if signo == caller_death_signal() {
                        self.caller_died = true;
                        if self.on_caller_death == Some(OnCallerDeath::KillChild) {
                            let _ = kill(child, Signal::SIGKILL);
                        }
                    } else if let Ok(sig) = Signal::try_from(signo) {
                        crate::test_hook::panic_if("parent");
                        if sig == Signal::SIGWINCH {
                            self.winch = true;
                        }
                        // ESRCH: the child is already gone; its SIGCHLD
                        // is on its way.
                        let _ = kill(child, sig);
                    }
                }
                Ok(None) => break,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e).cannot("read the signalfd"),
            }
        }
        if reap {
            return reap_until(child);
        }
        Ok(None)
    }

    /// Forwards signals until `child` ends, then exits with its status
    /// (128+N for a death by signal N).
    pub fn wait_for(self, child: Pid) -> ! {
        exit::exit(self.wait(child))
    }

    /// Forwards signals until `child` ends; returns its exit code (128+N
    /// for a death by signal N). The one wait loop of every staying parent.
    pub fn wait(mut self, child: Pid) -> i32 {
        watch(child);
        if self.caller_died && self.on_caller_death == Some(OnCallerDeath::KillChild) {
            let _ = kill(child, Signal::SIGKILL);
        }
        // The child may have ended before the signalfd saw its SIGCHLD.
        if let Ok(Some(code)) = reap_until(child) {
            return code;
        }
        loop {
            let mut fds = [PollFd::new(self.signals.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::NONE) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => crate::fail(&anyhow::Error::new(e).context("cannot poll the signalfd")),
            }
            match self.handle_pending(child) {
                Ok(Some(code)) => return code,
                Ok(None) => {}
                Err(e) => crate::fail(&e),
            }
        }
    }
}

/// The command a staying parent started, and the parent's own pid (a
/// forked child shares these statics and must not act on them).
static WATCHED: AtomicI32 = AtomicI32::new(0);
static WATCHER: AtomicI32 = AtomicI32::new(0);

/// Records `child` as the command this process started and stays for:
/// should this process fail unexpectedly (a panic, see [`crate::run`]),
/// [`kill_watched`] kills it first, so that no container outlives the
/// parent that was to supervise, relay or clean up after it.
pub fn watch(child: Pid) {
    WATCHER.store(nix::unistd::getpid().as_raw(), Ordering::Relaxed);
    WATCHED.store(child.as_raw(), Ordering::Relaxed);
}

/// Kills (SIGKILL) the command recorded by [`watch`] in this process, if
/// any. As PID 1 of a new pid namespace, it takes the whole namespace.
pub fn kill_watched() {
    let child = WATCHED.load(Ordering::Relaxed);
    if child > 0 && WATCHER.load(Ordering::Relaxed) == nix::unistd::getpid().as_raw() {
        let _ = kill(Pid::from_raw(child), Signal::SIGKILL);
    }
}

/// The write end of the failure pipe of the innermost staying parent, in
/// the processes below it (-1: none).
static FAILURE_FD: AtomicI32 = AtomicI32::new(-1);

/// The handoff key of the failure pipe, for a real exec between links.
pub const FAILURE_KEY: &str = "chain-failed";

/// Tells a staying parent whether the rest of the chain failed in its child
/// (a step's error, reported there) or ran the command, which may exit 125
/// too. A parent told of a failure returns an [`AlreadyReported`] error
/// instead of exiting, so that the steps it made before the fork undo
/// themselves (an sk-cgroup without --rm removes its group).
///
/// A pipe: the child holds the write end, close-on-exec, so the command
/// never gets it; [`crate::fail`] writes one byte to it.
pub struct FailureWatch {
    read: OwnedFd,
    write: OwnedFd,
}

impl FailureWatch {
    /// Made before fork.
    pub fn new() -> Result<FailureWatch> {
        let (read, write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)
                .cannot("create a pipe")?;
        Ok(FailureWatch { read, write })
    }

    /// In the child: from now on its failures are told to this parent.
    pub fn in_child(self) -> Result<()> {
        drop(self.read);
        crate::handoff::register(FAILURE_KEY, &self.write)?;
        set_failure_fd(self.write);
        Ok(())
    }

    /// In the parent, once the child has ended: whether the chain failed.
    pub fn failed(self) -> bool {
        drop(self.write);
        let mut byte = [0u8; 1];
        matches!(nix::unistd::read(&self.read, &mut byte), Ok(1))
    }
}

/// Makes `fd` the failure pipe of this process (and of what it forks).
pub fn set_failure_fd(fd: OwnedFd) {
    let old = FAILURE_FD.swap(fd.into_raw_fd(), Ordering::Relaxed);
    if old >= 0 {
        // SAFETY: ours, taken out of an OwnedFd by an earlier call.
        drop(unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(old) });
    }
}

/// The failure pipe of this process, if a staying parent watches it.
pub fn failure_fd() -> Option<std::os::fd::RawFd> {
    Some(FAILURE_FD.load(Ordering::Relaxed)).filter(|&fd| fd >= 0)
}

/// Called on a failure of the chain: tells the innermost staying parent.
pub(crate) fn tell_failure() {
    let fd = FAILURE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        // SAFETY: one byte from a valid buffer; errors are of no use here.
        unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
    }
}

/// The error of a staying parent whose child failed: the child printed the
/// line already; its exit status (125, or 126/127 for a command that could
/// not be run) is the chain's.
#[derive(Debug)]
pub struct AlreadyReported(pub i32);

impl std::fmt::Display for AlreadyReported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the chain failed in a child (status {})", self.0)
    }
}

impl std::error::Error for AlreadyReported {}

/// Reaps every child that has ended; returns `child`'s exit code if it is one
/// of them.
pub fn reap_until(child: Pid) -> Result<Option<i32>> {
    loop {
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) => return Ok(None),
            Ok(status) => {
                if status.pid() == Some(child) {
                    if let Some(code) = exit::code_of(status) {
                        return Ok(Some(code));
                    }
                }
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::ECHILD) => return Ok(None),
            Err(e) => return Err(e).cannot("wait for the child"),
        }
    }
}

/// Forks. The child runs `child_body`, which execs or fails (exit 125); the parent
/// forwards signals to it and exits with its status.
///
/// The parent also removes the cgroups that a later sk-cgroup of the
/// chain hands to it (see [`reclaim`]), after the child has ended and
/// before it exits, and says whether a limit of theirs ended the command.
pub fn fork_and_wait<F>(child_body: F) -> Result<Infallible>
where
    F: FnOnce(Parent) -> Result<Infallible>,
{
    fork_and_wait_watching(None, child_body)
}

/// [`fork_and_wait`], with the caller watched ([`Parent::watch_caller`])
/// when `on_caller_death` says what to do at its death.
pub fn fork_and_wait_watching<F>(
    on_caller_death: Option<OnCallerDeath>,
    child_body: F,
) -> Result<Infallible>
where
    F: FnOnce(Parent) -> Result<Infallible>,
{
    let mut parent = Parent::prepare()?;
    if let Some(what) = on_caller_death {
        parent.watch_caller(what)?;
    }
    let groups = reclaim::Reclaim::new()?;
    let failure = FailureWatch::new()?;
    // SAFETY: the tools are single-threaded when they fork.
    match unsafe { nix::unistd::fork() }.cannot("fork")? {
        ForkResult::Child => {
            if let Err(e) = groups.into_child() {
                crate::fail(&e)
            }
            match failure.in_child().and_then(|()| child_body(parent)) {
                Err(e) => crate::fail(&e),
            }
        }
        ForkResult::Parent { child } => {
            watch(child);
            // What the child's body captured stays open here until the
            // parent exits: a Lifeline's write end must.
            std::mem::forget(child_body);
            let groups = groups.into_parent();
            let code = parent.wait(child);
            groups.finish(code);
            if failure.failed() {
                // The chain failed below (and said so): the steps made
                // before this fork undo themselves.
                return Err(AlreadyReported(code).into());
            }
            exit::exit(code)
        }
    }
}

/// Ties a forked child's life to its parent's (`--kill-child`): made before
/// fork and moved into the child's body given to [`fork_and_wait`], which
/// keeps the parent's copy open.
///
/// PR_SET_PDEATHSIG alone has a race: the parent may die before the child
/// asks. The usual check, getppid() against the old pid, does not work when
/// the child is in a new pid namespace (getppid() is 0 there), so the
/// parent holds the write end of a pipe instead: when the child sees the
/// pipe hung up, the parent is gone.
pub struct Lifeline {
    read: OwnedFd,
    write: OwnedFd,
}

impl Lifeline {
    pub fn new() -> Result<Lifeline> {
        let (read, write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).cannot("create a pipe")?;
        Ok(Lifeline { read, write })
    }

    /// In the child: die with `sig` when the parent dies.
    pub fn die_with_parent(self, sig: Signal) -> Result<()> {
        drop(self.write);
        nix::sys::prctl::set_pdeathsig(sig).cannot("set the parent-death signal")?;
        let mut fds = [PollFd::new(self.read.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, PollTimeout::ZERO).cannot("poll the parent's lifeline")?;
        let hung_up = fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLHUP));
        if hung_up {
            exit::exit(128 + sig as i32);
        }
        Ok(())
    }
}

/// In a child that shares its parent's pid namespace (and perhaps its fd
/// table, which rules out a [`Lifeline`]): die with `sig` when `parent`
/// dies, checking for the race in which it died before the request.
pub fn die_with_parent(sig: Signal, parent: Pid) -> Result<()> {
    nix::sys::prctl::set_pdeathsig(sig).cannot("set the parent-death signal")?;
    if nix::unistd::getppid() != parent {
        exit::exit(128 + sig as i32);
    }
    Ok(())
}
