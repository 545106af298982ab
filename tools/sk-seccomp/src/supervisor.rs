//! The supervisor: a parent outside the filter that answers the notified
//! calls of the command and of everything it starts.
//!
//! The listener exists only once the filter is loaded, in the process that
//! loads it. The child is made with CLONE_FILES, so it shares the parent's
//! file descriptor table until its execve: the listener it gets from
//! seccomp(2) appears in the parent's table at once, and the child's next
//! system call is the execve of the command, which gives the child a table
//! of its own and closes its (close-on-exec) copy. So the child makes no
//! system call between the load and the execve that the filter could
//! deny, kill or hold (sending the fd over a socket would need sendmsg and
//! close, and with --learn those would wait for a supervisor that does not
//! have the listener yet), and the command never holds the listener.

use crate::filter::{self, FLAG_NEW_LISTENER};
use crate::launch::Launch;
use crate::notify::{self, Answer, Mknod, Policy};
use libseccomp::{ScmpNotifReq, ScmpNotifResp, ScmpNotifRespFlags};
use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::Pid;
use sk_common::parent::{die_with_parent, reap_until, Parent};
use sk_common::{exit, verbose, warn, Cannot, Result};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
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
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    drop(owned);
    Ok(fd)
}

/// Whether `fd` in this process is a seccomp listener.
pub(crate) fn is_listener(fd: RawFd) -> bool {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|t| t.as_os_str() == "anon_inode:seccomp notify")
        .unwrap_or(false)
}

/// Forks the command under the filter and supervises it; exits with its
/// status.
pub fn run(
    prog: &mut [libc::sock_filter],
    flags: u32,
    launch: &Launch,
    nnp: bool,
    policy: Policy,
    learn: Option<PathBuf>,
    arches: Vec<String>,
) -> Result<Infallible> {
    if let Some(path) = &learn {
        // Fail before the command runs, not after.
        std::fs::File::create(path)
            .cannot_with(|| format!("create the learned profile {}", path.display()))?;
    }
    let mut parent = Parent::prepare()?;
    let outer = nix::unistd::getpid();
    let slot = lowest_free_fd()?;
    let mut stack = vec![0u8; 256 * 1024];
    let child_body = || -> isize {
        let r = (|| -> Result<Infallible> {
            parent.restore_in_child()?;
            // A command whose supervisor is gone would get ENOSYS for the
            // notified calls: not what was asked for.
            die_with_parent(Signal::SIGKILL, outer)?;
            crate::set_no_new_privs(nnp)?;
            let listener =
                filter::load(prog, flags | FLAG_NEW_LISTENER).cannot("load the seccomp filter")?;
            // It lives on in the parent's table (see above); dropping it
            // here would close it there.
            let _ = listener.map(IntoRawFd::into_raw_fd);
            launch.exec()
        })();
        match r {
            Err(e) => sk_common::fail(&e),
        }
    };
    // SAFETY: the tool is single-threaded; without CLONE_VM the child has
    // its own copy of memory, as after fork.
    let child = unsafe {
        nix::sched::clone(
            Box::new(child_body),
            &mut stack,
            CloneFlags::CLONE_FILES,
            Some(libc::SIGCHLD),
        )
    }
    .cannot("fork the command")?;

    let Some(listener) = wait_for_listener(&mut parent, child, slot)? else {
        unreachable!("wait_for_listener exits when the child ends")
    };
    verbose!("supervising pid {child}");
    let mut state = State {
        policy,
        learned: BTreeSet::new(),
    };
    let code = serve(&mut parent, child, &listener, &mut state)?;
    drop(listener);
    if let Some(path) = learn {
        write_learned(&path, &state.learned, &arches)?;
    }
    exit::exit(code)
}

/// Waits until the child has loaded the filter: the listener shows up in
/// the shared table. Exits with the child's status if it ends first.
fn wait_for_listener(parent: &mut Parent, child: Pid, slot: RawFd) -> Result<Option<OwnedFd>> {
    let mut spins = 0u32;
    loop {
        if is_listener(slot) {
            // SAFETY: the kernel put the listener at this number for us.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(slot) }));
        }
        if let Some(code) = reap_until(child)? {
            exit::exit(code);
        }
        // The load follows the fork within microseconds: yield first,
        // then sleep on the signalfd (which also brings SIGCHLD).
        spins += 1;
        let timeout = if spins < 200 {
            PollTimeout::ZERO
        } else {
            PollTimeout::from(1u8)
        };
        if spins < 200 {
            std::thread::yield_now();
        }
        let mut fds = [PollFd::new(parent.signal_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e).cannot("poll the signalfd"),
        }
        if let Some(code) = parent.handle_pending(child)? {
            exit::exit(code);
        }
    }
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

/// Supervises `child` with `policy` (no learning); returns its exit code.
pub(crate) fn serve_policy(
    parent: &mut Parent,
    child: Pid,
    listener: &OwnedFd,
    policy: Policy,
) -> Result<i32> {
    let mut state = State {
        policy,
        learned: BTreeSet::new(),
    };
    serve(parent, child, listener, &mut state)
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
        eprintln!(
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

fn write_learned(
    path: &std::path::Path,
    names: &BTreeSet<String>,
    arches: &[String],
) -> Result<()> {
    if names.is_empty() {
        warn!("no system call was seen; {} lists none", path.display());
    }
    let text = notify::learned_profile(names, arches);
    std::fs::write(path, text)
        .cannot_with(|| format!("write the learned profile {}", path.display()))?;
    verbose!("{} system calls written to {}", names.len(), path.display());
    Ok(())
}
