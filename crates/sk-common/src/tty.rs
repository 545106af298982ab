//! The command never holds the caller's terminal unless the user asks.
//!
//! A command holding an fd of the caller's terminal can push characters
//! into its input with TIOCSTI, which the caller's shell runs after the
//! container exits (bubblewrap's CVE-2017-5226); a new session alone does
//! not stop a command that keeps CAP_SYS_ADMIN. So no process of the chain
//! below its first link holds the caller's terminal:
//!
//! - **Who owns it: the chain's first link.** When a stdio fd is a
//!   terminal, the first link forks before anything else. The parent is the *relay*: it stays
//!   outside every namespace, non-dumpable, holds the caller's terminal and
//!   relays; the child goes on with the chain, its terminal stdio fds
//!   replaced by pipes to the relay (so error lines of later links still
//!   reach the terminal), and the child gives up the controlling terminal
//!   (TIOCNOTTY), so /dev/tty leads nowhere below the relay. When only the
//!   controlling terminal is involved (every stdio fd redirected), the
//!   first link gives it up and no relay is needed.
//! - **pty (the default, `--pty`)**, when stdin and stdout are terminals
//!   and the chain is in the terminal's foreground process group: the
//!   process that executes the command opens a pty in the container's
//!   devpts (after sk-pivot: `tty` names it, `/dev/tty` means it), sends the
//!   master over a socketpair made before the fork (SCM_RIGHTS), and runs
//!   the command in a new session with the pty as its controlling terminal.
//!   The relay puts the caller's terminal in raw mode (restored on every
//!   exit it can catch; after a SIGKILL of the relay `stty sane` is the
//!   remedy), passes the window size on at the start and on SIGWINCH, and
//!   exits with the chain's status. Job control works inside (Ctrl-C,
//!   Ctrl-Z and fg are the pty's), and TIOCSTI reaches only the pty.
//! - **pipes (`--no-pty`, or a chain in the background, or stdin or
//!   stdout not a terminal)**: the terminal fds stay replaced by relayed
//!   pipes and the command runs in a new session without a controlling
//!   terminal. Files and pipes among the stdio fds pass untouched, so a
//!   chain in a pipeline gains no pty and no `\r\n`.
//! - **`--share-tty`**: the command gets the caller's terminal as it is
//!   (UNSAFE: TIOCSTI, and the caller's session).
//!
//! What the engine must call, and when:
//! - [`first_link`] at the start of the chain, before any other step and
//!   before any namespace (the relay must stay outside everything); it
//!   returns in the child that goes on with the chain.
//! - [`attach`] in the process that executes the command, after the init
//!   fork and before the signals are restored; [`crate::exec::prepare_final`]
//!   calls it.

use crate::chain::{State, Tty};
use crate::error::{Cannot, Result};
use crate::parent::{OnCallerDeath, Parent};
use crate::{exit, verbose};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{
    recvmsg, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags,
    SockFlag, SockType,
};
use nix::sys::termios::{cfmakeraw, tcgetattr, tcsetattr, SetArg, Termios};
use nix::unistd::ForkResult;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};

/// The man pages' words on the terminal, fds and signals (sk-gen puts them
/// in every page: any tool can be a chain's first link).
pub const MAN_NOTES: &str = "\
The chain's first link owns the caller's terminal. When a stdio fd is a terminal, the first \
link forks before any other step: the parent stays, outside every namespace and \
non-dumpable, as the relay, and is the only process of the chain that holds the caller's \
terminal; the rest of the chain gets a pipe to it instead of each stdio fd that is a \
terminal, so that error lines still reach the terminal, and gives up the controlling \
terminal (TIOCNOTTY), so that /dev/tty leads nowhere. When every stdio fd is redirected and \
only the controlling terminal is left, the first link gives it up and nothing is relayed.

--pty (the default): when stdin and stdout are a terminal and the chain is in the terminal's \
foreground process group, the process that executes the command opens a pty in the devpts of \
its root (the container's, after sk-pivot: tty names it, /dev/tty means it), hands its master \
to the relay over a socket made before the fork, and runs the command in a new session with \
the pty as its controlling terminal. The relay puts the caller's terminal in raw mode and \
restores it on every exit it can catch (after a SIGKILL of the relay, `stty sane` repairs the \
terminal), passes the window size on at the start and on SIGWINCH, and exits with the chain's \
status. An interactive shell keeps job control (Ctrl-C, Ctrl-Z and fg are the pty's), and \
TIOCSTI from the command reaches only its own pty, even with CAP_SYS_ADMIN. Typed input that \
the command does not read waits in the relay (up to 64 KiB, then in the caller's terminal): \
the relay never blocks on it, and Ctrl-C, Ctrl-\\ and Ctrl-Z typed behind it still signal \
the pty's foreground group. Without a pid namespace (sk-unshare -p) the relay shares one with \
the command, and a command that is root can kill it like any process of its uid; the terminal \
then stays raw until `stty sane`.

--no-pty, a chain in the background, or stdin or stdout not a terminal: each stdio fd that \
is a terminal stays a pipe relayed to it, and the command runs in a new session without a \
controlling terminal (Ctrl-C and SIGTERM reach it through the relay). Files and pipes pass \
untouched: a chain in a pipeline, or with its output in a file, gains no pty and no \\r\\n. \
--share-tty gives the command the caller's terminal as it is (UNSAFE: the command can push \
input into it with TIOCSTI, which the caller's shell runs after the container exits). These \
three options are read from the chain's first link only.

A chain that crosses a filesystem boundary (sk-pivot, sk-unshare --join mnt=...) closes \
every inherited fd above 2 before the command, except --keep-fd N and socket activation's \
LISTEN_FDS (when LISTEN_PID named the chain; LISTEN_PID is then set to the command's pid).

The command starts with the signal dispositions and the signal mask the caller gave the \
chain: the first link records them before Rust's runtime starts (which ignores SIGPIPE), and \
the last exec gives them back, so `yes | head -1` prints y and no error.";

/// The caller's terminal settings while the relay holds it raw, for the
/// panic hook (a panic skips the relay's own restore).
static SAVED: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

/// Gives the caller's terminal its settings back if the relay made it
/// raw: called by the panic hook of every tool.
pub fn restore_after_panic() {
    if let Ok(mut saved) = SAVED.try_lock() {
        if let Some(t) = saved.take() {
            // SAFETY: tcsetattr reads a termios we own.
            unsafe { libc::tcsetattr(0, libc::TCSADRAIN, &t) };
        }
    }
}

/// How the chain treats the caller's terminal (the options of every tool;
/// the chain's first link decides).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Pty,
    NoPty,
    Share,
}

fn stdio(fd: RawFd) -> BorrowedFd<'static> {
    // SAFETY: 0, 1 and 2 are never closed by the tools.
    unsafe { BorrowedFd::borrow_raw(fd) }
}

fn is_tty(fd: RawFd) -> bool {
    nix::unistd::isatty(stdio(fd)).unwrap_or(false)
}

fn has_controlling_tty() -> bool {
    nix::fcntl::open(
        "/dev/tty",
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .is_ok()
}

fn session_leader() -> bool {
    nix::unistd::getsid(None).ok() == Some(nix::unistd::getpid())
}

/// TIOCNOTTY from a process that is not the session leader: it alone loses
/// its controlling terminal (/dev/tty then fails with ENXIO), and stays in
/// its session and process group.
fn drop_controlling_tty() -> Result<()> {
    let Ok(tty) = nix::fcntl::open(
        "/dev/tty",
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    ) else {
        return Ok(());
    };
    // SAFETY: TIOCNOTTY takes no argument.
    Errno::result(unsafe { libc::ioctl(tty.as_raw_fd(), libc::TIOCNOTTY) })
        .cannot("give up the controlling terminal")?;
    Ok(())
}

fn foreground() -> bool {
    nix::unistd::tcgetpgrp(stdio(0)).ok() == Some(nix::unistd::getpgrp())
}

/// At the chain's first link: decides, and forks the relay when a
/// terminal is involved. Returns in the child; records the decision in
/// `state` (the caller stores it).
pub fn first_link(mode: Mode, state: &mut State) -> Result<()> {
    if mode == Mode::Share {
        state.tty = Tty::Share;
        return Ok(());
    }
    let ttys = [is_tty(0), is_tty(1), is_tty(2)];
    if !ttys.contains(&true) {
        if !has_controlling_tty() {
            return Ok(());
        }
        // Only the controlling terminal (`chain </dev/null >out 2>&1` typed
        // at a shell): dropping it is enough, and keeps the chain in the
        // caller's process group, where Ctrl-C reaches it. A session
        // leader cannot drop it without hanging up the session: it gets
        // the relay.
        if !session_leader() {
            drop_controlling_tty()?;
            return Ok(());
        }
    }
    let pty = mode == Mode::Pty && ttys[0] && ttys[1] && foreground();
    // One pipe per terminal fd: (our end, the chain's end).
    let mut pipes: Vec<(RawFd, OwnedFd, OwnedFd)> = Vec::new();
    for fd in (0..3).filter(|fd| ttys[*fd as usize]) {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC).cannot("create a pipe")?;
        pipes.push(if fd == 0 { (fd, w, r) } else { (fd, r, w) });
    }
    let channel = if pty {
        Some(
            socketpair(
                AddressFamily::Unix,
                SockType::SeqPacket,
                None,
                SockFlag::SOCK_CLOEXEC,
            )
            .cannot("create a socketpair for the pty")?,
        )
    } else {
        None
    };
    let mut parent = Parent::prepare()?;
    parent.watch_caller(OnCallerDeath::Note)?;
    let relay_pid = nix::unistd::getpid();
    // SAFETY: the tools are single-threaded when they fork.
    match unsafe { nix::unistd::fork() }.cannot("fork the terminal relay")? {
        ForkResult::Child => {
            // Only the relay stays non-dumpable: the chain goes on as it
            // was (a non-dumpable process cannot write its own uid_map).
            nix::sys::prctl::set_dumpable(true).cannot("make the chain dumpable again")?;
            // No process below the relay can open the caller's terminal
            // through /dev/tty (a staying parent or the init inside could
            // be ptraced into it).
            drop_controlling_tty()?;
            // The relay and the chain are one to the caller: when the
            // relay dies (killed by the caller, who knows only its pid),
            // so does the chain's first process, and --kill-child and
            // --die-with-parent of a staying parent take it from there.
            crate::parent::die_with_parent(nix::sys::signal::Signal::SIGKILL, relay_pid)?;
            let mut fds = 0u8;
            for (fd, ours, theirs) in pipes {
                drop(ours);
                // SAFETY: dup2 onto a stdio number; the pipe end is ours.
                Errno::result(unsafe { libc::dup2(theirs.as_raw_fd(), fd) })
                    .cannot("put a pipe on a stdio fd")?;
                fds |= 1 << fd;
            }
            state.tty = match channel {
                Some((relay_end, ours)) => {
                    drop(relay_end);
                    let ours = ours.into_raw_fd();
                    // It must reach the link that executes the command.
                    // SAFETY: clears FD_CLOEXEC on the fd we own.
                    unsafe { libc::fcntl(ours, libc::F_SETFD, 0) };
                    Tty::Pty { channel: ours, fds }
                }
                None => Tty::Detach,
            };
            parent.restore_in_child()
        }
        ForkResult::Parent { child } => {
            let relay = Relay {
                parent,
                child,
                stdin_pipe: None,
                outs: Vec::new(),
                channel: channel.map(|(relay_end, _)| relay_end),
                master: None,
                saved: None,
                pty,
                input: Vec::new(),
                stdin_eof: false,
            };
            relay.run(pipes)
        }
    }
}

/// The parent that stays with the caller's terminal.
struct Relay {
    parent: Parent,
    child: nix::unistd::Pid,
    stdin_pipe: Option<OwnedFd>,
    outs: Vec<(OwnedFd, RawFd)>,
    channel: Option<OwnedFd>,
    master: Option<OwnedFd>,
    saved: Option<Termios>,
    pty: bool,
    /// What the caller typed that the command has not taken yet. The
    /// master and the stdin pipe are non-blocking: a command that does not
    /// read never stops the relay (signals, the caller's death, output).
    input: Vec<u8>,
    /// The caller's stdin ended: the pipe closes once `input` is written.
    stdin_eof: bool,
}

/// At most this much typed input waits in the relay; past it, the caller's
/// terminal keeps the rest, as it would for any program that does not read.
const INPUT_MAX: usize = 64 * 1024;

/// Makes `fd` non-blocking (the relay's ends towards the command).
fn nonblocking(fd: BorrowedFd) {
    let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
}

/// Writes all of `buf`, giving up on errors (a terminal that went away).
fn write_all(fd: BorrowedFd, mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        match nix::unistd::write(fd, buf) {
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) => {
                let mut p = [PollFd::new(fd, PollFlags::POLLOUT)];
                let _ = poll(&mut p, PollTimeout::from(100u16));
            }
            Err(_) => return false,
        }
    }
    true
}

impl Relay {
    fn run(mut self, pipes: Vec<(RawFd, OwnedFd, OwnedFd)>) -> ! {
        for (fd, ours, theirs) in pipes {
            drop(theirs);
            if fd == 0 {
                nonblocking(ours.as_fd());
                self.stdin_pipe = Some(ours);
            } else {
                self.outs.push((ours, fd));
            }
        }
        verbose!(
            "relaying the terminal ({})",
            if self.pty { "pty" } else { "pipes" }
        );
        let code = loop {
            match self.step() {
                Ok(Some(code)) => break code,
                Ok(None) => {}
                Err(e) => {
                    self.restore();
                    crate::fail(&e)
                }
            }
            if self.parent.caller_died() {
                self.restore();
                exit::exit(128 + libc::SIGHUP)
            }
        };
        self.drain();
        self.restore();
        exit::exit(code)
    }

    /// Whether the caller's terminal is read now: in pty mode once the
    /// master is here; with pipes only while in the foreground (a
    /// background read would stop the whole job with SIGTTIN).
    fn reads_stdin(&self) -> bool {
        if self.stdin_eof || self.input.len() >= INPUT_MAX {
            return false;
        }
        if self.pty {
            self.master.is_some()
        } else {
            self.stdin_pipe.is_some() && foreground()
        }
    }

    /// One round of the loop; the chain's exit code once it has ended.
    fn step(&mut self) -> Result<Option<i32>> {
        let stdin_on = self.reads_stdin();
        let (sig_ix, chan_ix, in_ix, master_ix, outs_ix);
        let mut fds = vec![PollFd::new(self.parent.signal_fd(), PollFlags::POLLIN)];
        sig_ix = 0;
        chan_ix = self.channel.as_ref().map(|c| {
            fds.push(PollFd::new(c.as_fd(), PollFlags::POLLIN));
            fds.len() - 1
        });
        in_ix = stdin_on.then(|| {
            fds.push(PollFd::new(stdio(0), PollFlags::POLLIN));
            fds.len() - 1
        });
        let pending = !self.input.is_empty();
        master_ix = self.master.as_ref().map(|m| {
            let mut want = PollFlags::POLLIN;
            if pending {
                want |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(m.as_fd(), want));
            fds.len() - 1
        });
        let pipe_ix = match (&self.master, &self.stdin_pipe) {
            (None, Some(p)) if pending => {
                fds.push(PollFd::new(p.as_fd(), PollFlags::POLLOUT));
                Some(fds.len() - 1)
            }
            _ => None,
        };
        outs_ix = fds.len();
        for (o, _) in &self.outs {
            fds.push(PollFd::new(o.as_fd(), PollFlags::POLLIN));
        }
        // Without the pty, stdin waits for the foreground: look again soon.
        let timeout = if !self.pty && self.stdin_pipe.is_some() && !stdin_on {
            PollTimeout::from(200u16)
        } else {
            PollTimeout::NONE
        };
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e).cannot("poll the terminal relay"),
        }
        let revents: Vec<PollFlags> = fds
            .iter()
            .map(|f| f.revents().unwrap_or(PollFlags::empty()))
            .collect();
        let ready: Vec<bool> = revents.iter().map(|r| !r.is_empty()).collect();
        drop(fds);
        if chan_ix.is_some_and(|i| ready[i]) {
            self.receive_master()?;
        }
        let writable = |i: Option<usize>| {
            i.is_some_and(|i| revents[i].intersects(PollFlags::POLLOUT | PollFlags::POLLERR))
        };
        if writable(master_ix) || writable(pipe_ix) {
            self.flush_input();
        }
        if in_ix.is_some_and(|i| ready[i]) {
            self.relay_stdin();
        }
        if master_ix.is_some_and(|i| !(revents[i] - PollFlags::POLLOUT).is_empty()) {
            self.relay_master();
        }
        let ready_outs: Vec<usize> = (0..self.outs.len())
            .filter(|k| ready[outs_ix + k])
            .collect();
        for k in ready_outs.into_iter().rev() {
            self.relay_out(k);
        }
        if ready[sig_ix] {
            let code = self.parent.handle_pending(self.child)?;
            if self.parent.take_winch() {
                self.pass_size();
            }
            return Ok(code);
        }
        Ok(None)
    }

    /// The pty's master, from the process that executes the command: the
    /// caller's settings and size go to the pty, the caller's terminal
    /// goes raw, then the sender may go on.
    fn receive_master(&mut self) -> Result<()> {
        let Some(chan) = self.channel.take() else {
            return Ok(());
        };
        let mut byte = [0u8; 1];
        let mut iov = [IoSliceMut::new(&mut byte)];
        let mut space = nix::cmsg_space!([RawFd; 1]);
        let msg = recvmsg::<()>(
            chan.as_raw_fd(),
            &mut iov,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .cannot("receive the pty")?;
        let mut master = None;
        for c in msg.cmsgs().cannot("receive the pty")? {
            if let ControlMessageOwned::ScmRights(fds) = c {
                for fd in fds {
                    // SAFETY: the kernel just installed it for us.
                    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                    master.get_or_insert(owned);
                }
            }
        }
        let Some(master) = master else {
            return Ok(()); // the chain ended without a pty
        };
        if let Ok(caller) = tcgetattr(stdio(0)) {
            let _ = tcsetattr(&master, SetArg::TCSANOW, &caller);
            let mut raw = caller.clone();
            cfmakeraw(&mut raw);
            if let Ok(mut saved) = SAVED.lock() {
                *saved = Some(caller.clone().into());
            }
            tcsetattr(stdio(0), SetArg::TCSADRAIN, &raw).cannot("put the terminal in raw mode")?;
            self.saved = Some(caller);
        }
        nonblocking(master.as_fd());
        self.master = Some(master);
        self.pass_size();
        // The ack: the command starts with the right size and settings.
        let _ = nix::unistd::write(&chan, b"k");
        Ok(())
    }

    fn pass_size(&self) {
        let Some(master) = &self.master else { return };
        // SAFETY: TIOCGWINSZ/TIOCSWINSZ read and write a winsize we own.
        unsafe {
            let mut ws: libc::winsize = std::mem::zeroed();
            if libc::ioctl(0, libc::TIOCGWINSZ, &mut ws) == 0
                || libc::ioctl(1, libc::TIOCGWINSZ, &mut ws) == 0
            {
                libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws);
            }
        }
    }

    fn relay_stdin(&mut self) {
        let mut buf = [0u8; 4096];
        match nix::unistd::read(stdio(0), &mut buf) {
            Ok(0) => self.stdin_eof = true,
            Ok(n) => {
                let blocked = !self.input.is_empty();
                self.input.extend_from_slice(&buf[..n]);
                if blocked {
                    self.interrupt_if_asked(&buf[..n]);
                }
            }
            Err(Errno::EINTR | Errno::EAGAIN) => return,
            Err(_) => self.stdin_eof = true,
        }
        self.flush_input();
    }

    /// Writes what is pending, as far as the command takes it now. At the
    /// caller's end of input the pipe closes once it is all written (the
    /// reader sees the end too), and in pty mode stdin is no longer read.
    fn flush_input(&mut self) {
        let to = match (&self.master, &self.stdin_pipe) {
            (Some(m), _) => Some(m.as_fd()),
            (None, Some(p)) => Some(p.as_fd()),
            _ => None,
        };
        let mut broken = to.is_none();
        if let Some(to) = to {
            while !self.input.is_empty() {
                match nix::unistd::write(to, &self.input) {
                    Ok(n) => drop(self.input.drain(..n)),
                    Err(Errno::EINTR) => {}
                    Err(Errno::EAGAIN) => break,
                    Err(_) => {
                        broken = true;
                        break;
                    }
                }
            }
        }
        if broken {
            self.input.clear();
            if self.master.is_none() {
                self.stdin_pipe = None;
            }
        }
        if self.stdin_eof && self.input.is_empty() {
            self.stdin_pipe = None;
            if self.pty {
                self.pty_stdin_done();
            }
        }
    }

    /// The pty takes no more input (the command does not read) and the
    /// caller typed an interrupt, quit or suspend character of the pty's
    /// settings: the kernel could not see it behind what waits, so the
    /// relay sends the signal to the pty's foreground group itself
    /// (TIOCSIG) and drops what waits, as the line discipline flushes input
    /// on such a character.
    fn interrupt_if_asked(&mut self, typed: &[u8]) {
        use nix::sys::termios::{LocalFlags, SpecialCharacterIndices as C};
        let Some(m) = &self.master else { return };
        let Ok(t) = tcgetattr(m) else { return };
        if !t.local_flags.contains(LocalFlags::ISIG) {
            return;
        }
        let chars = [
            (C::VINTR, libc::SIGINT),
            (C::VQUIT, libc::SIGQUIT),
            (C::VSUSP, libc::SIGTSTP),
        ];
        let Some(sig) = typed.iter().find_map(|b| {
            chars
                .iter()
                .find(|(c, _)| t.control_chars[*c as usize] == *b && *b != 0)
                .map(|(_, sig)| *sig)
        }) else {
            return;
        };
        // SAFETY: TIOCSIG takes the signal number by value.
        unsafe { libc::ioctl(m.as_raw_fd(), libc::TIOCSIG, sig) };
        self.input.clear();
    }

    /// The caller's terminal is gone in pty mode: stop reading it.
    fn pty_stdin_done(&mut self) {
        self.pty = false;
    }

    fn relay_master(&mut self) {
        let Some(m) = &self.master else { return };
        let mut buf = [0u8; 4096];
        match nix::unistd::read(m, &mut buf) {
            Ok(n) if n > 0 => {
                write_all(stdio(1), &buf[..n]);
            }
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            // EIO: every holder of the slave has closed it.
            _ => self.master = None,
        }
    }

    fn relay_out(&mut self, k: usize) {
        let mut buf = [0u8; 4096];
        match nix::unistd::read(&self.outs[k].0, &mut buf) {
            Ok(n) if n > 0 => {
                write_all(stdio(self.outs[k].1), &buf[..n]);
            }
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            _ => {
                self.outs.remove(k);
            }
        }
    }

    /// After the chain's end: what is still buffered, without waiting for
    /// writers the command may have left behind.
    fn drain(&mut self) {
        let mut sources: Vec<(BorrowedFd, RawFd)> = Vec::new();
        if let Some(m) = &self.master {
            sources.push((m.as_fd(), 1));
        }
        for (o, fd) in &self.outs {
            sources.push((o.as_fd(), *fd));
        }
        for (src, dst) in sources {
            let _ = nix::fcntl::fcntl(src, nix::fcntl::FcntlArg::F_SETFL(OFlag::O_NONBLOCK));
            let mut buf = [0u8; 4096];
            while let Ok(n) = nix::unistd::read(src, &mut buf) {
                if n == 0 || !write_all(stdio(dst), &buf[..n]) {
                    break;
                }
            }
        }
    }

    /// The caller's terminal settings, back as they were.
    fn restore(&mut self) {
        if let Ok(mut saved) = SAVED.lock() {
            *saved = None;
        }
        if let Some(t) = self.saved.take() {
            let _ = tcsetattr(stdio(0), SetArg::TCSADRAIN, &t);
        }
    }
}

/// In the process that executes the command: the terminal part of the
/// chain's request.
pub fn attach(state: &State) -> Result<()> {
    match state.tty {
        Tty::None | Tty::Share => Ok(()),
        Tty::Detach => {
            nix::unistd::setsid().cannot("start a session of its own")?;
            verbose!("the command runs in a session of its own, without a terminal");
            Ok(())
        }
        Tty::Pty { channel, fds } => {
            // SAFETY: the chain's channel, inherited for this moment.
            let channel = unsafe { OwnedFd::from_raw_fd(channel) };
            let (master, slave) = open_pty()?;
            hand_over(&channel, &master)?;
            drop(master);
            drop(channel);
            nix::unistd::setsid().cannot("start a session of its own")?;
            // SAFETY: TIOCSCTTY with 0: take the pty as controlling terminal.
            Errno::result(unsafe { libc::ioctl(slave.as_raw_fd(), libc::TIOCSCTTY, 0) })
                .cannot("make the pty the controlling terminal")?;
            for fd in (0..3).filter(|fd| fds & (1 << fd) != 0) {
                // SAFETY: dup2 of the slave onto a stdio number.
                Errno::result(unsafe { libc::dup2(slave.as_raw_fd(), fd) })
                    .cannot("put the pty on a stdio fd")?;
            }
            verbose!("the command runs on a pty of its own");
            Ok(())
        }
    }
}

/// Sends the master to the relay and waits until it has set the pty up.
fn hand_over(channel: &OwnedFd, master: &OwnedFd) -> Result<()> {
    let fds = [master.as_raw_fd()];
    let cmsg = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(
        channel.as_raw_fd(),
        &[IoSlice::new(b"m")],
        &cmsg,
        MsgFlags::empty(),
        None,
    )
    .cannot("hand the pty to the terminal relay")?;
    let mut ack = [0u8; 1];
    match nix::unistd::read(channel, &mut ack) {
        Ok(1) => Ok(()),
        Ok(_) => Err(Errno::EPIPE).cannot("hand the pty to the terminal relay"),
        Err(e) => Err(e).cannot("hand the pty to the terminal relay"),
    }
}

/// A new pty from the devpts of this root: /dev/pts/ptmx, else
/// /dev/ptmx, neither through a symlink, each checked to be the pty
/// multiplexer (char 5:2) before it is opened for reading and writing.
fn open_pty() -> Result<(OwnedFd, OwnedFd)> {
    let master = ["/dev/pts/ptmx", "/dev/ptmx"]
        .iter()
        .find_map(|p| open_ptmx(p).ok())
        .ok_or(Errno::ENOENT)
        .cannot("open a pty in this root (/dev/pts/ptmx, /dev/ptmx; --no-pty does without)")?;
    // SAFETY: TIOCSPTLCK with 0 unlocks the slave; TIOCGPTPEER (Linux
    // 4.13) opens it from the master, without a path lookup.
    let slave = unsafe {
        let unlock: libc::c_int = 0;
        Errno::result(libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock))
            .cannot("unlock the pty")?;
        let fd = Errno::result(libc::ioctl(
            master.as_raw_fd(),
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        ))
        .cannot("open the pty's terminal")?;
        OwnedFd::from_raw_fd(fd)
    };
    Ok((master, slave))
}

fn open_ptmx(path: &str) -> Result<OwnedFd> {
    let how = nix::fcntl::OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
        .resolve(
            nix::fcntl::ResolveFlag::RESOLVE_NO_SYMLINKS
                | nix::fcntl::ResolveFlag::RESOLVE_NO_MAGICLINKS,
        );
    let at = crate::fd::openat2(nix::fcntl::AT_FDCWD, path, how).cannot("open ptmx")?;
    let st = nix::sys::stat::fstat(&at).cannot("stat ptmx")?;
    let is_chr = st.st_mode & libc::S_IFMT == libc::S_IFCHR;
    if !is_chr || st.st_rdev != libc::makedev(5, 2) {
        return Err(Errno::ENODEV).cannot("use ptmx");
    }
    // Reopened through the checked descriptor, not through the path again.
    let fd = nix::fcntl::open(
        format!("/proc/self/fd/{}", at.as_raw_fd()).as_str(),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )
    .cannot("open ptmx")?;
    // Only the pty multiplexer answers TIOCGPTN.
    let mut n: libc::c_uint = 0;
    // SAFETY: TIOCGPTN writes one unsigned int we own.
    Errno::result(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGPTN, &mut n) })
        .cannot("use ptmx")?;
    Ok(fd)
}
