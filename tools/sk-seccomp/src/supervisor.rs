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
fn is_listener(fd: RawFd) -> bool {
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

    // The command got the caller's SIGPIPE (sk_common::signals); the
    // supervisor wants EPIPE, not death, when its stderr goes away.
    sk_common::signals::ignore_sigpipe();
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

/// Answers notifications until the child ends; returns its exit code.
fn serve(parent: &mut Parent, child: Pid, listener: &OwnedFd, state: &mut State) -> Result<i32> {
    let mut listening = true;
    loop {
        let (notified, signalled) = {
            let mut fds = vec![PollFd::new(parent.signal_fd(), PollFlags::POLLIN)];
            if listening {
                fds.push(PollFd::new(listener.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, PollTimeout::NONE) {
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
            answer_one(listener.as_raw_fd(), state);
        }
        if signalled {
            if let Some(code) = parent.handle_pending(child)? {
                return Ok(code);
            }
        }
    }
}

/// Receives one notification and answers it. Nothing here may leave the
/// caller waiting: any failure is answered with the rule's errno.
fn answer_one(fd: RawFd, state: &mut State) {
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
    let (answer, args) = decide(fd, &req, &name, state);
    if state.policy.report {
        eprintln!(
            "{}: {}",
            sk_common::log::tool(),
            notify::report_line(req.pid, &name, &args, answer)
        );
    }
    let resp = match answer {
        Answer::Continue => ScmpNotifResp::new_continue(req.id, ScmpNotifRespFlags::CONTINUE),
        Answer::Value(v) => ScmpNotifResp::new_val(req.id, v, ScmpNotifRespFlags::empty()),
        Answer::Errno(e) => ScmpNotifResp::new_error(req.id, -e, ScmpNotifRespFlags::empty()),
    };
    // ENOENT: the caller is gone (killed meanwhile); nothing to answer.
    let _ = resp.respond(fd);
}

fn decide(fd: RawFd, req: &ScmpNotifReq, name: &str, state: &mut State) -> (Answer, String) {
    let args = &req.data.args;
    if state.policy.learn {
        state.learned.insert(name.to_string());
        return (Answer::Continue, notify::show_args(args));
    }
    let deny = Answer::Errno(state.policy.errno_for(name));
    if state.policy.mknod.is_empty() {
        return (deny, notify::show_args(args));
    }
    let Some(call) = Mknod::from_call(name, args) else {
        return (deny, notify::show_args(args));
    };
    let path = crate::mknod::read_path(req.pid, call.path);
    let shown = match &path {
        Ok(p) => format!("{:?}, {}", p.to_string_lossy(), call.describe_type()),
        Err(_) => format!("{:#x}, {}", call.path, call.describe_type()),
    };
    if !call.allowed(&state.policy.mknod) {
        return (Answer::Errno(libc::EPERM), shown);
    }
    let answer = match path.and_then(|p| crate::mknod::make_node(fd, req.id, req.pid, &call, &p)) {
        Ok(()) => Answer::Value(0),
        Err(e) => Answer::Errno(e as i32),
    };
    (answer, shown)
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
