//! A supervisor early in the chain, its filter loaded late.
//!
//! The supervisor must stand outside the user namespace (it mounts and
//! makes nodes as host root), so it comes before `sk-unshare -U`. But a
//! filter loaded there would judge every later step of the chain too:
//! sk-pivot's own new mounts (proc, the minimal /dev) would be refused like
//! the command's. LXC solves the same problem by loading the filter in the
//! container and sending the listener to LXD over a socket; so does this:
//!
//! - `sk-seccomp --defer ...` (outer) builds the filter, forks, and stays
//!   as the supervisor; the child runs the rest of the chain with one end
//!   of a socket pair inherited (its number in SK_SECCOMP_DEFERRED), and
//!   the program is waiting in the socket.
//! - `sk-seccomp --deferred COMMAND` (inner, the last link) takes the
//!   program, loads it with a new listener and sends the listener back,
//!   then executes COMMAND. The socket is closed on exec: the command never
//!   holds it, nor the listener.
//!
//! Between the load and the execve the inner link may make no system call
//! the filter could deny or hold, so a thread started before the load (a
//! filter applies to the thread that loads it, not to the others) sends
//! the listener, while the loading thread waits for it by spinning in
//! user space; the execve then ends that thread.
//! Until the inner link has run, no other program may be executed with
//! the socket: every seckun tool refuses to execute anything but another
//! seckun tool while SK_SECCOMP_DEFERRED is set
//! (`sk_common::carry::deferred_guard`).

use crate::filter::{self, FLAG_NEW_LISTENER};
use crate::launch::Launch;
use crate::notify::Policy;
use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::Signal;
use nix::sys::socket::{
    recv, recvmsg, send, sendmsg, socketpair, AddressFamily, ControlMessage, ControlMessageOwned,
    MsgFlags, SockFlag, SockType,
};
use nix::unistd::ForkResult;
use sk_common::carry::DEFERRED_VAR;
use sk_common::parent::{die_with_parent, Parent};
use sk_common::{exit, verbose, Cannot, Result};
use std::convert::Infallible;
use std::ffi::OsString;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The program as sent: SECCOMP_FILTER_FLAG_*, no_new_privs, instructions.
pub fn encode(prog: &[libc::sock_filter], flags: u32, nnp: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + prog.len() * 8);
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&u32::from(nnp).to_ne_bytes());
    for i in prog {
        out.extend_from_slice(&i.code.to_ne_bytes());
        out.extend_from_slice(&[i.jt, i.jf]);
        out.extend_from_slice(&i.k.to_ne_bytes());
    }
    out
}

/// The inverse of [`encode`].
pub fn decode(bytes: &[u8]) -> Option<(Vec<libc::sock_filter>, u32, bool)> {
    if bytes.len() < 16 || !(bytes.len() - 8).is_multiple_of(8) {
        return None;
    }
    let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap());
    let prog = bytes[8..]
        .chunks_exact(8)
        .map(|c| libc::sock_filter {
            code: u16::from_ne_bytes([c[0], c[1]]),
            jt: c[2],
            jf: c[3],
            k: u32::from_ne_bytes([c[4], c[5], c[6], c[7]]),
        })
        .collect();
    Some((prog, word(0), word(4) != 0))
}

/// The outer link: forks the chain with the socket, sends the program,
/// waits for the listener, then supervises; exits with the chain's status.
pub fn supervise(
    prog: &[libc::sock_filter],
    flags: u32,
    nnp: bool,
    launch: &Launch,
    policy: Policy,
) -> Result<Infallible> {
    let (ours, theirs) = socketpair(
        AddressFamily::Unix,
        SockType::SeqPacket,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .cannot("make a socket pair for the deferred filter")?;
    send(
        ours.as_raw_fd(),
        &encode(prog, flags, nnp),
        MsgFlags::empty(),
    )
    .cannot("send the filter to the chain")?;
    let mut parent = Parent::prepare()?;
    let outer = nix::unistd::getpid();
    // SAFETY: sk-seccomp is single-threaded here.
    let child = match unsafe { nix::unistd::fork() }.cannot("fork the chain")? {
        ForkResult::Child => {
            let r = (|| -> Result<Infallible> {
                parent.restore_in_child()?;
                die_with_parent(Signal::SIGKILL, outer)?;
                drop(ours);
                // Inherited by the chain until sk-seccomp --deferred.
                fcntl(&theirs, FcntlArg::F_SETFD(FdFlag::empty()))
                    .cannot("pass the socket to the chain")?;
                std::env::set_var(DEFERRED_VAR, theirs.into_raw_fd().to_string());
                launch.exec()
            })();
            match r {
                Err(e) => sk_common::fail(&e),
            }
        }
        ForkResult::Parent { child } => child,
    };
    drop(theirs);
    let listener = receive_listener(&mut parent, child, &ours)?;
    drop(ours);
    verbose!("supervising pid {child} (filter loaded later in the chain)");
    let code = crate::supervisor::serve_policy(&mut parent, child, &listener, policy)?;
    exit::exit(code)
}

/// Waits for the listener from the inner link; exits with the chain's
/// status if it ends first.
fn receive_listener(
    parent: &mut Parent,
    child: nix::unistd::Pid,
    sock: &OwnedFd,
) -> Result<OwnedFd> {
    loop {
        let mut fds = [
            PollFd::new(parent.signal_fd(), PollFlags::POLLIN),
            PollFd::new(sock.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e).cannot("poll the chain's socket"),
        }
        let ready = |i: usize| fds[i].revents().unwrap_or(PollFlags::empty());
        let (signalled, readable) = (ready(0), ready(1));
        if signalled.contains(PollFlags::POLLIN) {
            if let Some(code) = parent.handle_pending(child)? {
                exit::exit(code);
            }
        }
        if !readable.is_empty() {
            if let Some(fd) = take_fd(sock)? {
                if crate::supervisor::is_listener(fd.as_raw_fd()) {
                    return Ok(fd);
                }
                anyhow::bail!(
                    "cannot supervise: the chain sent something else than a seccomp listener"
                );
            }
            return Err(chain_gone(child));
        }
    }
}

/// The socket closed without a listener: usually the chain failed and
/// exits (its status is ours then); a chain still running without the
/// filter is killed, nothing must run unsupervised.
fn chain_gone(child: nix::unistd::Pid) -> anyhow::Error {
    for _ in 0..100 {
        match sk_common::parent::reap_until(child) {
            Ok(Some(code)) => exit::exit(code),
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(10)),
            Err(e) => return e,
        }
    }
    let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
    anyhow::anyhow!(
        "cannot supervise: the chain closed the socket without loading the filter \
         (sk-seccomp --deferred must be its last link)"
    )
}

/// One message's descriptor, or None at end of file.
fn take_fd(sock: &OwnedFd) -> Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = [IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([RawFd; 1]);
    let msg = match recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    ) {
        Ok(m) => m,
        // The other end is gone.
        Err(Errno::ECONNRESET) => return Ok(None),
        Err(e) => return Err(e).cannot("receive the listener"),
    };
    let mut got = None;
    for c in msg.cmsgs().cannot("receive the listener")? {
        if let ControlMessageOwned::ScmRights(fds) = c {
            for fd in fds {
                // SAFETY: the kernel just installed these descriptors.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                got.get_or_insert(owned);
            }
        }
    }
    Ok(got)
}

/// The inner link (`--deferred`): takes the program, loads it, hands the
/// listener over, executes the command.
pub fn load(command: &[OsString]) -> Result<Infallible> {
    let Some(fd) = std::env::var(DEFERRED_VAR)
        .ok()
        .and_then(|v| v.parse::<RawFd>().ok())
    else {
        anyhow::bail!("cannot load a deferred filter: no sk-seccomp --defer earlier in the chain");
    };
    std::env::remove_var(DEFERRED_VAR);
    // SAFETY: the number came from the outer link, which passed this socket.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    fcntl(&sock, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC))
        .cannot("take the deferred filter's socket")?;
    let mut buf = vec![0u8; 8 + 8 * 4096 + 8];
    let n = recv(sock.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT)
        .cannot("receive the deferred filter")?;
    let (mut prog, flags, nnp) = decode(&buf[..n])
        .ok_or_else(|| anyhow::anyhow!("cannot load the deferred filter: malformed program"))?;
    let launch = Launch::prepare(command)?;
    crate::set_no_new_privs(nnp)?;
    verbose!("executing {} under the deferred filter", launch.shown());
    hand_over(&sock, &mut prog, flags, &launch)
}

/// Loads the filter and sends the listener from a thread the filter does
/// not apply to; then the execve.
fn hand_over(
    sock: &OwnedFd,
    prog: &mut [libc::sock_filter],
    flags: u32,
    launch: &Launch,
) -> Result<Infallible> {
    static SLOT: AtomicI32 = AtomicI32::new(-1);
    static DONE: AtomicI32 = AtomicI32::new(0);
    let raw = sock.as_raw_fd();
    std::thread::spawn(move || {
        let fd = loop {
            match SLOT.load(Ordering::Acquire) {
                -1 => std::thread::yield_now(),
                fd => break fd,
            }
        };
        let fds = [fd];
        let iov = [IoSlice::new(b"L")];
        let sent = sendmsg::<()>(
            raw,
            &iov,
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        );
        if let Err(e) = sent {
            eprintln!(
                "{}: cannot send the listener to the supervisor: {}",
                sk_common::log::tool(),
                e.desc()
            );
        }
        DONE.store(if sent.is_ok() { 1 } else { 2 }, Ordering::Release);
    });
    let listener = filter::load(prog, flags | FLAG_NEW_LISTENER)
        .cannot("load the seccomp filter")?
        .expect("a listener was asked for");
    // From here on: no system call until the execve.
    SLOT.store(listener.into_raw_fd(), Ordering::Release);
    loop {
        match DONE.load(Ordering::Acquire) {
            0 => std::hint::spin_loop(),
            1 => break,
            // SAFETY: _exit; if the filter forbids it, it kills instead.
            _ => unsafe { libc::_exit(exit::TOOL_FAILED) },
        }
    }
    launch.exec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_travel_intact() {
        let prog = vec![
            libc::sock_filter {
                code: 0x20,
                jt: 1,
                jf: 2,
                k: 4,
            },
            libc::sock_filter {
                code: 0x06,
                jt: 0,
                jf: 0,
                k: 0x7fff0000,
            },
        ];
        let (back, flags, nnp) = decode(&encode(&prog, 2, true)).unwrap();
        assert_eq!((flags, nnp), (2, true));
        assert_eq!(back.len(), 2);
        assert_eq!((back[1].code, back[1].k, back[0].jf), (0x06, 0x7fff0000, 2));
        assert!(decode(&[0; 12]).is_none());
        assert!(decode(&[0; 8]).is_none());
    }
}
