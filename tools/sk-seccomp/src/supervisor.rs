//! The supervisor: a parent outside the filter that answers the notified
//! calls of the command and of everything it starts.
//!
//! The listener exists only once the filter is loaded, in the process that
//! loads it: the chain's last one, just before the command's execve. How it
//! reaches the supervisor without a system call that the filter could hold
//! is told at [`stand`].

use crate::filter::{self, FLAG_NEW_LISTENER};
use crate::learned::Learned;
use crate::notify::{self, Answer, Mknod, Policy};
use libseccomp::{ScmpNotifReq, ScmpNotifResp, ScmpNotifRespFlags};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use sk_common::parent::{die_with_parent, reap_until, FailureWatch, Parent};
use sk_common::{exit, verbose, warn, Cannot, Result};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// What the supervisor keeps while it runs.
struct State {
    policy: Policy,
    learned: BTreeSet<String>,
}

/// The lowest free fd number: the one the kernel gives the listener, as
/// nothing else is opened between now and the load.
fn lowest_free_fd() -> Result<RawFd> {
    let fd = nix::fcntl::fcntl(std::io::stdin(), nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(0))
        .or_else(|_| nix::fcntl::fcntl(std::io::stderr(), nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(0)))
        .cannot("find a free file descriptor")?;
    // SAFETY: fd was just made by F_DUPFD and is ours.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
    Ok(fd)
}

/// SECCOMP_IOCTL_NOTIF_ID_VALID, _IOW('!', 2, __u64).
const NOTIF_ID_VALID: libc::c_ulong = 0x4008_2102;

/// Whether `fd` is a seccomp listener: asked about id 0, which is never a
/// pending notification, a listener says ENOENT and any other file ENOTTY.
fn is_listener(fd: &OwnedFd) -> bool {
    let id: u64 = 0;
    // SAFETY: the ioctl reads one u64 from a valid pointer.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), NOTIF_ID_VALID, &id) };
    r == -1 && Errno::last() == Errno::ENOENT
}

/// Where the supervisor stands: at sk-seccomp's place in the chain, so that
/// it keeps the privileges it has there (the real CAP_MKNOD before
/// `sk-unshare -U`), while the filter is loaded by the chain's last process,
/// just before the command's execve, wherever that process is (a later
/// link may fork it into another pid namespace).
///
/// The hand-over needs no system call after the load that the filter could
/// hold for a supervisor that has no listener yet: before the load, the
/// last process sends a pidfd of itself and the fd number the listener will
/// get over a socket; the supervisor takes the listener with pidfd_getfd(2)
/// as soon as it exists, and only then answers a byte, which the last
/// process waits for before its execve. If that read is itself notified,
/// the supervisor already holds the listener and lets it through.
#[allow(clippy::too_many_arguments)]
pub fn stand(
    policy: Policy,
    learn: Option<Learned>,
    arches: Vec<String>,
    ctl_slot: &std::cell::OnceCell<OwnedFd>,
    key: &str,
    next: sk_common::Next,
) -> Result<Infallible> {
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
    let (mine, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .cannot("create the supervisor's socket")?;
    let mut parent = Parent::prepare()?;
    let watch = FailureWatch::new()?;
    let outer = nix::unistd::getpid();
    // SAFETY: the chain is single-threaded when it forks.
    match unsafe { nix::unistd::fork() }.cannot("fork the supervisor")? {
        nix::unistd::ForkResult::Child => {
            drop(mine);
            watch.in_child()?;
            parent.restore_in_child()?;
            // A command whose supervisor is gone would get ENOSYS for the
            // notified calls: not what was asked for.
            die_with_parent(Signal::SIGKILL, outer)?;
            sk_common::handoff::register(key, &theirs)?;
            let _ = ctl_slot.set(theirs);
            next()
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop(theirs);
            std::mem::forget(next);
            // The command gets the caller's SIGPIPE (sk_common::signals);
            // the supervisor wants EPIPE, not death, when its stderr goes.
            sk_common::signals::ignore_sigpipe();
            let listener = match receive_listener(&mut parent, child, &mine) {
                Ok(Ok(l)) => l,
                Ok(Err(code)) => {
                    // The chain ended before its command: its status, or
                    // its failure (said in the child) for the steps made
                    // before this one to undo.
                    if let Some(l) = &learn {
                        l.discard();
                    }
                    if watch.failed() {
                        return Err(sk_common::parent::AlreadyReported(code).into());
                    }
                    exit::exit(code)
                }
                Err(e) => {
                    if let Some(l) = &learn {
                        l.discard();
                    }
                    return Err(e);
                }
            };
            verbose!("supervising pid {child}");
            let mut state = State {
                policy,
                learned: BTreeSet::new(),
            };
            let code = serve(&mut parent, child, &listener, &mut state)?;
            drop(listener);
            if let Some(out) = learn {
                write_learned(out, &state.learned, &arches)?;
            }
            exit::exit(code)
        }
    }
}

/// In the chain's last process, just before its execve: loads the filter
/// and hands its listener to the supervisor (see [`stand`]).
pub fn hand_over(ctl: &OwnedFd, prog: &mut [libc::sock_filter], flags: u32) -> Result<()> {
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    // SAFETY: pidfd_open takes a pid and flags, and returns a new fd.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, nix::unistd::getpid().as_raw(), 0) };
    if raw < 0 {
        return Err(Errno::last()).cannot("open a pidfd for the supervisor");
    }
    // SAFETY: the kernel just gave us this fd. It stays open (close-on-exec)
    // so that the listener's number below stays free for the listener.
    let pidfd = unsafe { OwnedFd::from_raw_fd(raw as RawFd) };
    let slot = lowest_free_fd()?;
    let bytes = slot.to_ne_bytes();
    let iov = [std::io::IoSlice::new(&bytes)];
    let fds = [pidfd.as_raw_fd()];
    sendmsg::<()>(
        ctl.as_raw_fd(),
        &iov,
        &[ControlMessage::ScmRights(&fds)],
        MsgFlags::empty(),
        None,
    )
    .cannot("send the supervisor a pidfd")?;
    let listener =
        filter::load(prog, flags | FLAG_NEW_LISTENER).cannot("load the seccomp filter")?;
    match listener {
        Some(l) if l.as_raw_fd() == slot => std::mem::forget(l),
        _ => anyhow::bail!("cannot hand the seccomp listener over: it is not at fd {slot}"),
    }
    // The supervisor answers once it holds the listener. Should this read be
    // a notified call, the supervisor already holds the listener and
    // decides it; whatever it answers, the hand-over is done.
    let mut go = [0u8; 1];
    loop {
        match nix::unistd::read(ctl, &mut go) {
            Ok(0) => anyhow::bail!("cannot hand the seccomp listener over: the supervisor is gone"),
            Err(Errno::EINTR) => continue,
            Ok(_) | Err(_) => break,
        }
    }
    std::mem::forget(pidfd);
    Ok(())
}

/// Waits until `child` has ended; its status.
fn reap_child(child: Pid) -> Result<i32> {
    loop {
        if let Some(code) = reap_until(child)? {
            return Ok(code);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Waits for the last process's pidfd and slot, then takes the listener.
/// Err(status) when the chain ended first (the child has ended).
fn receive_listener(
    parent: &mut Parent,
    child: Pid,
    ctl: &OwnedFd,
) -> Result<std::result::Result<OwnedFd, i32>> {
    let (pidfd, slot) = loop {
        let mut fds = [
            PollFd::new(parent.signal_fd(), PollFlags::POLLIN),
            PollFd::new(ctl.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e).cannot("poll the supervisor's socket"),
        }
        let ready = fds[1].revents().unwrap_or(PollFlags::empty());
        if ready.contains(PollFlags::POLLIN) {
            if let Some(got) = receive_pidfd(ctl)? {
                break got;
            }
        }
        if let Some(code) = parent.handle_pending(child)? {
            return Ok(Err(code));
        }
        if ready.intersects(PollFlags::POLLHUP | PollFlags::POLLIN) {
            // The chain failed before its last step: its status comes.
            return Ok(Err(reap_child(child)?));
        }
    };
    let mut spins = 0u32;
    loop {
        // SAFETY: pidfd_getfd takes a pidfd, an fd number and flags.
        let r = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), slot, 0) };
        if r >= 0 {
            // SAFETY: a new fd of ours.
            let fd = unsafe { OwnedFd::from_raw_fd(r as RawFd) };
            if is_listener(&fd) {
                nix::unistd::write(ctl, &[1u8]).cannot("answer the last process")?;
                return Ok(Ok(fd));
            }
        } else if Errno::last() == Errno::ESRCH {
            // The last process ended before its load (it said why).
            return Ok(Err(reap_child(child)?));
        } else if Errno::last() != Errno::EBADF {
            return Err(Errno::last()).cannot("take the seccomp listener (pidfd_getfd)");
        }
        if let Some(code) = parent.handle_pending(child)? {
            return Ok(Err(code));
        }
        spins += 1;
        if spins < 200 {
            std::thread::yield_now();
        } else {
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

/// The pidfd and slot, or None when the chain's end of the socket closed
/// without them (the chain failed, or its command was not found).
fn receive_pidfd(ctl: &OwnedFd) -> Result<Option<(OwnedFd, RawFd)>> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    let mut bytes = [0u8; 4];
    let mut iov = [std::io::IoSliceMut::new(&mut bytes)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = recvmsg::<()>(
        ctl.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .cannot("receive the last process's pidfd")?;
    let mut pidfd = None;
    for c in msg.cmsgs().cannot("read the control message")? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for fd in fds {
                // SAFETY: received with SCM_RIGHTS, ours now.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                pidfd.get_or_insert(owned);
            }
        }
    }
    let n = msg.bytes;
    if n == 0 && pidfd.is_none() {
        return Ok(None);
    }
    let Some(pidfd) = pidfd.filter(|_| n == 4) else {
        anyhow::bail!("cannot hand the seccomp listener over: a malformed message");
    };
    Ok(Some((pidfd, RawFd::from_ne_bytes(bytes))))
}

/// How many notifications are worked on at once. One that blocks (a
/// mount of a slow device, a directory the container holds locked) holds
/// one worker, never the others; past this many the rest wait in the
/// kernel's queue, and the supervisor still relays signals and exits.
pub const MAX_IN_FLIGHT: usize = 32;

/// What the workers share with the loop.
struct Shared {
    policy: Policy,
    in_flight: AtomicUsize,
}

/// Answers notifications until the child ends; returns its exit code.
fn serve(parent: &mut Parent, child: Pid, listener: &OwnedFd, state: &mut State) -> Result<i32> {
    let shared = Arc::new(Shared {
        policy: std::mem::take(&mut state.policy),
        in_flight: AtomicUsize::new(0),
    });
    let mut listening = true;
    loop {
        let room = shared.in_flight.load(Ordering::Acquire) < MAX_IN_FLIGHT;
        let (notified, signalled) = {
            let mut fds = vec![PollFd::new(parent.signal_fd(), PollFlags::POLLIN)];
            if listening && room {
                fds.push(PollFd::new(listener.as_fd(), PollFlags::POLLIN));
            }
            // Full: look again when a worker may have finished.
            let timeout = if room {
                PollTimeout::NONE
            } else {
                PollTimeout::from(10u8)
            };
            match poll(&mut fds, timeout) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(e).cannot("poll the seccomp listener"),
            }
            let rev = |i: usize| {
                fds.get(i)
                    .and_then(PollFd::revents)
                    .unwrap_or(PollFlags::empty())
            };
            let l = rev(1);
            if l.intersects(PollFlags::POLLHUP | PollFlags::POLLERR)
                && !l.contains(PollFlags::POLLIN)
            {
                // Every process under the filter has ended.
                listening = false;
            }
            (
                l.contains(PollFlags::POLLIN),
                rev(0).contains(PollFlags::POLLIN),
            )
        };
        if notified {
            answer_one(listener.as_raw_fd(), &shared, &mut state.learned);
        }
        if signalled {
            if let Some(code) = parent.handle_pending(child)? {
                return Ok(code);
            }
        }
    }
}

/// Receives one notification. A call the supervisor performs (mknod,
/// mount) goes to a worker thread of its own; the rest are answered here
/// at once. Nothing may leave the caller waiting: any failure is answered
/// with the rule's errno.
fn answer_one(fd: RawFd, shared: &Arc<Shared>, learned: &mut BTreeSet<String>) {
    let req = match ScmpNotifReq::receive(fd) {
        Ok(r) => r,
        // The caller died before it could be read (ENOENT), or a signal.
        Err(_) => return,
    };
    let name = req
        .data
        .syscall
        .get_name_by_arch(req.data.arch)
        .unwrap_or_else(|_| format!("syscall_{}", i32::from(req.data.syscall)));
    let policy = &shared.policy;
    if policy.learn {
        learned.insert(name.clone());
        let args = notify::show_args(&req.data.args);
        return finish(fd, &req, &name, policy, (Answer::Continue, args, None));
    }
    if !performed(policy, &name) {
        let deny = Answer::Errno(policy.errno_for(&name));
        let args = notify::show_args(&req.data.args);
        return finish(fd, &req, &name, policy, (deny, args, None));
    }
    shared.in_flight.fetch_add(1, Ordering::AcqRel);
    let worker = Arc::clone(shared);
    let spawned = std::thread::Builder::new()
        .name("sk-notify".into())
        .spawn(move || {
            let decided = decide(fd, &req, &name, &worker.policy);
            finish(fd, &req, &name, &worker.policy, decided);
            worker.in_flight.fetch_sub(1, Ordering::AcqRel);
        });
    if spawned.is_err() {
        shared.in_flight.fetch_sub(1, Ordering::AcqRel);
        // No worker to be had: the call is refused rather than left
        // waiting.
        let resp = ScmpNotifResp::new_error(req.id, -libc::EAGAIN, ScmpNotifRespFlags::empty());
        let _ = resp.respond(fd);
    }
}

/// Whether the supervisor may perform this call itself (in a worker).
fn performed(policy: &Policy, name: &str) -> bool {
    match name {
        "mknod" | "mknodat" => !policy.mknod.is_empty(),
        "mount" => !policy.mounts.is_empty(),
        _ => false,
    }
}

/// Answers, reports, and takes back what was done for a caller that is
/// gone (the answer finds no one: SECCOMP_IOCTL_NOTIF_SEND gives ENOENT).
fn finish(fd: RawFd, req: &ScmpNotifReq, name: &str, policy: &Policy, decided: Decided) {
    let (answer, args, undo) = decided;
    if policy.report {
        sk_common::say!(
            "{}: {}",
            sk_common::log::tool(),
            notify::report_line(req.pid, name, &args, answer)
        );
    }
    let resp = match answer {
        Answer::Continue => ScmpNotifResp::new_continue(req.id, ScmpNotifRespFlags::CONTINUE),
        Answer::Value(v) => ScmpNotifResp::new_val(req.id, v, ScmpNotifRespFlags::empty()),
        Answer::Errno(e) => ScmpNotifResp::new_error(req.id, -e, ScmpNotifRespFlags::empty()),
    };
    if resp.respond(fd).is_err() {
        if let Some(undo) = undo {
            undo();
        }
    }
}

/// The answer, the arguments for --report, and what to undo if no one
/// takes the answer.
type Decided = (Answer, String, Option<crate::mount::Undo>);

/// In a worker: mknod or mount for the caller.
fn decide(fd: RawFd, req: &ScmpNotifReq, name: &str, policy: &Policy) -> Decided {
    let args = &req.data.args;
    let deny = Answer::Errno(policy.errno_for(name));
    if let Some(call) = crate::mount::MountCall::from_call(name, args) {
        return crate::mount::handle(fd, req.id, req.pid, &call, &policy.mounts);
    }
    let Some(call) = Mknod::from_call(name, args) else {
        return (deny, notify::show_args(args), None);
    };
    let path = crate::mknod::read_path(req.pid, call.path);
    let shown = match &path {
        Ok(p) => format!("{:?}, {}", p.to_string_lossy(), call.describe_type()),
        Err(_) => format!("{:#x}, {}", call.path, call.describe_type()),
    };
    if !call.allowed(&policy.mknod) {
        return (Answer::Errno(libc::EPERM), shown, None);
    }
    let answer = match path.and_then(|p| crate::mknod::make_node(fd, req.id, req.pid, &call, &p)) {
        Ok(()) => Answer::Value(0),
        Err(e) => Answer::Errno(e as i32),
    };
    (answer, shown, None)
}

fn write_learned(out: Learned, names: &BTreeSet<String>, arches: &[String]) -> Result<()> {
    if names.is_empty() {
        warn!("no system call was seen; {} lists none", out.shown());
    }
    let text = notify::learned_profile(names, arches);
    let shown = out.shown();
    out.commit(text.as_bytes())?;
    verbose!("{} system calls written to {shown}", names.len());
    Ok(())
}
