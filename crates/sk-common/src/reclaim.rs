//! "A staying parent removes this group later": how sk-cgroup hands the
//! groups it made to a parent of the chain that outlives the command
//! (sk-unshare's, for a pid namespace), so that they are removed when the
//! container ends, without `--rm`, and the parent can say why it ended
//! (the OOM killer, pids.max).
//!
//! The parent makes a socketpair (AF_UNIX, SOCK_SEQPACKET) before it forks.
//! In today's chain of execs the child keeps its end open across exec and
//! names it in `SK_CGROUP_RETURN`; sk-cgroup takes the variable, checks
//! with fstat(2) and getsockopt(2) that the fd is such a socket (never
//! through /proc), sends one message with the group's directory fds
//! (SCM_RIGHTS) and closes it. Every exec of something that is not a
//! seckun tool closes it too, and sk-pivot closes it before it pivots: the
//! command, and whatever runs inside the new root, never holds it. When
//! the child has ended, the parent reads every message that is queued,
//! checks each fd (a directory on a cgroup filesystem, the very entry its
//! parent fd holds under that name), reads the counters, prints the lines
//! of [`Events`], empties and removes the groups.
//!
//! What a staying parent calls (this is what
//! [`crate::parent::fork_and_wait`] does):
//!
//! ```text
//! let groups = Reclaim::new()?;            // before fork
//! // child, chain of execs:   groups.into_child()?   (sets SK_CGROUP_RETURN)
//! // child, fused chain:      let heir = groups.into_sender();
//! //                          sk_cgroup::join_in_place(&group, &plan, Some(heir))?
//! // parent:
//! let reclaimer = groups.into_parent();
//! let code = parent.wait(child);           // sk_common::parent::Parent
//! reclaimer.finish(code);                  // the OOM/pids line, then rmdir
//! exit::exit(code)
//! ```

use crate::cgroup::{self, Events, Handle, Part};
use crate::error::{Cannot, Result};
use crate::verbose;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::sys::socket::{
    getsockopt, recvmsg, sendmsg, socketpair, sockopt, AddressFamily, ControlMessage,
    ControlMessageOwned, MsgFlags, SockFlag, SockType,
};
use nix::sys::stat::{fstat, fstatat, SFlag};
use std::ffi::OsString;
use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// The variable that names the child's end across exec.
pub const VAR: &str = "SK_CGROUP_RETURN";

/// The first record of every message, with the protocol's version.
const MAGIC: &[u8] = b"sk-cgroup-return 1";

/// At most this many directories in one message (two fds each; the kernel
/// takes up to 253 fds per message).
pub const MAX_PARTS: usize = 32;

/// The socketpair, made by the staying parent before it forks.
pub struct Reclaim {
    parent: OwnedFd,
    child: OwnedFd,
}

impl Reclaim {
    pub fn new() -> Result<Reclaim> {
        // A socket of an outer chain's parent ends here: this parent is the
        // one its child's groups are handed to, and the outer one must not
        // leak on through the new child.
        drop_inherited();
        let (parent, child) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .cannot("create the socketpair for the chain's cgroups")?;
        Ok(Reclaim { parent, child })
    }

    /// In the child, for a chain of execs: its end stays open across exec
    /// and is named in [`VAR`], for a later sk-cgroup.
    pub fn into_child(self) -> Result<()> {
        drop(self.parent);
        fcntl(&self.child, FcntlArg::F_SETFD(FdFlag::empty()))
            .cannot("keep the cgroup socket open across exec")?;
        std::env::set_var(VAR, self.child.into_raw_fd().to_string());
        Ok(())
    }

    /// In the child, for a chain fused into one process.
    pub fn into_sender(self) -> Sender {
        drop(self.parent);
        Sender { fd: self.child }
    }

    /// In the parent.
    pub fn into_parent(self) -> Reclaimer {
        drop(self.child);
        Reclaimer { fd: self.parent }
    }
}

/// The inherited fd named by [`VAR`], if it is a SOCK_SEQPACKET unix
/// socket; the variable is removed either way.
fn take_inherited() -> Option<OwnedFd> {
    let value = std::env::var_os(VAR)?;
    std::env::remove_var(VAR);
    let fd: RawFd = value.to_str()?.parse().ok().filter(|fd| *fd > 2)?;
    // An fd number from the environment: only a socket of ours is taken
    // over (and closed); anything else at that number is left alone.
    // SAFETY: the number is only borrowed for fcntl/fstat/getsockopt, which
    // fail with EBADF if nothing is open there.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let st = fstat(borrowed).ok()?;
    let is_socket = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFSOCK;
    let seqpacket =
        is_socket && getsockopt(&borrowed, sockopt::SockType).ok() == Some(SockType::SeqPacket);
    let unix = seqpacket && nix::sys::socket::getsockname::<nix::sys::socket::UnixAddr>(fd).is_ok();
    if !unix {
        verbose!("{VAR}={fd} is not the chain's cgroup socket: ignored");
        return None;
    }
    // SAFETY: verified above to be an open unix socket that the previous
    // link passed to us by name; nothing else in this process owns it.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    fcntl(&owned, FcntlArg::F_SETFD(FdFlag::FD_CLOEXEC)).ok()?;
    Some(owned)
}

/// Before executing anything that is not a seckun tool, and before a
/// pivot: closes the inherited socket, so the command never holds it.
pub fn drop_inherited() {
    drop(take_inherited());
}

/// The sending side, in the link that made the groups.
pub struct Sender {
    fd: OwnedFd,
}

impl Sender {
    /// The socket a staying parent passed down, if there is one.
    pub fn from_env() -> Option<Sender> {
        take_inherited().map(|fd| Sender { fd })
    }

    /// Leaves the socket to a later link of the chain, as the staying
    /// parent passed it down (a second sk-cgroup hands its group over too).
    /// The command never holds it: the engine closes it before the
    /// command's exec, and sk-pivot before it pivots.
    pub fn pass_on(self) -> Result<()> {
        fcntl(&self.fd, FcntlArg::F_SETFD(FdFlag::empty()))
            .cannot("keep the cgroup socket open across exec")?;
        std::env::set_var(VAR, self.fd.into_raw_fd().to_string());
        Ok(())
    }

    /// Hands the group's directories to the parent, which removes them
    /// when the container ends. `memory` and `pids` are the limits as typed,
    /// for the line that says why the command ended.
    pub fn send(&self, parts: &[Part], memory: Option<&str>, pids: Option<&str>) -> Result<()> {
        let paths: Vec<&Path> = parts.iter().map(|p| p.dir.as_path()).collect();
        let data = encode(&paths, memory, pids)?;
        let fds: Vec<RawFd> = parts
            .iter()
            .flat_map(|p| [p.handle.parent.as_raw_fd(), p.handle.dir.as_raw_fd()])
            .collect();
        sendmsg::<()>(
            self.fd.as_raw_fd(),
            &[IoSlice::new(&data)],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        )
        .cannot("hand the cgroups to the staying parent")?;
        Ok(())
    }
}

/// The message's data: NUL-separated records (a path holds no NUL).
pub fn encode(dirs: &[&Path], memory: Option<&str>, pids: Option<&str>) -> Result<Vec<u8>> {
    if dirs.len() > MAX_PARTS {
        anyhow::bail!(
            "cannot hand {} cgroup directories to the staying parent (at most {MAX_PARTS})",
            dirs.len()
        );
    }
    let mut out = MAGIC.to_vec();
    let mut record = |kind: &[u8], value: &[u8]| {
        out.push(0);
        out.extend_from_slice(kind);
        out.push(b' ');
        out.extend_from_slice(value);
    };
    if let Some(m) = memory {
        record(b"memory", m.as_bytes());
    }
    if let Some(p) = pids {
        record(b"pids", p.as_bytes());
    }
    for d in dirs {
        record(b"part", d.as_os_str().as_bytes());
    }
    Ok(out)
}

/// What one message says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub dirs: Vec<PathBuf>,
    pub memory: Option<String>,
    pub pids: Option<String>,
}

pub fn decode(data: &[u8]) -> std::result::Result<Message, String> {
    let mut records = data.split(|b| *b == 0);
    if records.next() != Some(MAGIC) {
        return Err("not a message of sk-cgroup".into());
    }
    let mut m = Message::default();
    for r in records {
        let sp = r
            .iter()
            .position(|b| *b == b' ')
            .ok_or("a record without a value")?;
        let (kind, value) = (&r[..sp], &r[sp + 1..]);
        let text = || String::from_utf8(value.to_vec()).map_err(|_| "a limit that is not UTF-8");
        match kind {
            b"memory" => m.memory = Some(text()?),
            b"pids" => m.pids = Some(text()?),
            b"part" => m
                .dirs
                .push(PathBuf::from(OsString::from_vec(value.to_vec()))),
            _ => return Err("an unknown record".into()),
        }
    }
    if m.dirs.len() > MAX_PARTS {
        return Err("too many directories".into());
    }
    Ok(m)
}

/// The receiving side, in the staying parent.
pub struct Reclaimer {
    fd: OwnedFd,
}

/// Groups handed over, with the limits that tell why their command ended.
pub struct Handed {
    pub parts: Vec<Part>,
    pub memory: Option<String>,
    pub pids: Option<String>,
}

impl Reclaimer {
    /// Every message queued (the child has ended: nothing more comes). A
    /// message that cannot be used is told in one line and skipped.
    pub fn receive(&self) -> Vec<Handed> {
        let mut out = Vec::new();
        while let Some(next) = self.receive_one() {
            match next {
                Ok(h) => out.push(h),
                Err(e) => crate::say!("sk-cgroup: {}", crate::error::describe(&e)),
            }
        }
        out
    }

    /// The next message; None when there is none left.
    fn receive_one(&self) -> Option<Result<Handed>> {
        let mut buf = vec![0u8; 64 * 1024];
        let mut cmsg = nix::cmsg_space!([RawFd; 2 * MAX_PARTS]);
        let mut iov = [IoSliceMut::new(&mut buf)];
        let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC;
        let msg = loop {
            match recvmsg::<()>(self.fd.as_raw_fd(), &mut iov, Some(&mut cmsg), flags) {
                Ok(m) => break m,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(nix::errno::Errno::EAGAIN) => return None,
                Err(e) => {
                    let e = anyhow::Error::new(e)
                        .context("cannot read the cgroups handed to the staying parent");
                    crate::say!("sk-cgroup: {}", crate::error::describe(&e));
                    return None;
                }
            }
        };
        if msg.bytes == 0 {
            return None;
        }
        let mut fds: Vec<OwnedFd> = Vec::new();
        if let Ok(cmsgs) = msg.cmsgs() {
            for c in cmsgs {
                if let ControlMessageOwned::ScmRights(raw) = c {
                    // SAFETY: SCM_RIGHTS gave this process new fds it owns.
                    fds.extend(
                        raw.into_iter()
                            .map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }),
                    );
                }
            }
        }
        let complete = !msg
            .flags
            .intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC);
        let bytes = msg.bytes;
        Some(handed(&buf[..bytes], fds, complete))
    }

    /// After the child has ended with `code`: says why, if a limit ended
    /// it, then empties and removes every group handed over. A failure is
    /// one line on stderr; the command's status is still what is relayed.
    pub fn finish(&self, code: i32) {
        let handed = self.receive();
        for h in &handed {
            let parts = h.parts.iter().map(|p| (&p.handle, p.dir.as_path()));
            cgroup::stop(parts.clone());
            let events = Events::read(h.parts.iter().map(|p| &p.handle));
            for line in events.lines(h.memory.as_deref(), h.pids.as_deref(), code) {
                crate::say!("sk-cgroup: {line}");
            }
        }
        // The last made first: a later sk-cgroup of the chain made its group
        // inside the earlier one's (its caller's cgroup then).
        for h in handed.iter().rev() {
            let parts = h.parts.iter().map(|p| (&p.handle, p.dir.as_path()));
            if let Err(e) = cgroup::remove(parts) {
                crate::say!("sk-cgroup: {}", crate::error::describe(&e));
            }
        }
        cgroup::reap_orphans();
    }
}

/// The groups of one message, each fd checked.
fn handed(data: &[u8], fds: Vec<OwnedFd>, complete: bool) -> Result<Handed> {
    let m = decode(data).map_err(|e| anyhow::anyhow!("cannot use the cgroups handed over: {e}"))?;
    if !complete || fds.len() != 2 * m.dirs.len() {
        anyhow::bail!("cannot use the cgroups handed over: the message is incomplete");
    }
    let mut parts = Vec::new();
    let mut fds = fds.into_iter();
    for dir in m.dirs {
        let (Some(parent), Some(d)) = (fds.next(), fds.next()) else {
            break;
        };
        let handle = Handle { parent, dir: d };
        match check(&handle, &dir) {
            Ok(()) => parts.push(Part { dir, handle }),
            // Removed already (a join that failed cleans up after itself).
            Err(e) if crate::error::errno_of(&e) == Some(nix::errno::Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Handed {
        parts,
        memory: m.memory,
        pids: m.pids,
    })
}

/// CGROUP_SUPER_MAGIC and CGROUP2_SUPER_MAGIC of <linux/magic.h>.
const CGROUP_MAGICS: [i64; 2] = [0x27e0eb, 0x6367_7270];

/// An fd handed over is removed only if it is a cgroup directory, and the
/// very entry its parent fd holds under the name the message gives.
fn check(h: &Handle, dir: &Path) -> Result<()> {
    let bad = |why: &str| anyhow::anyhow!("cannot remove cgroup {}: {why}", dir.display());
    for fd in [h.parent.as_fd(), h.dir.as_fd()] {
        let fs = nix::sys::statfs::fstatfs(fd)
            .cannot_with(|| format!("stat cgroup {}", dir.display()))?;
        if !CGROUP_MAGICS.contains(&(fs.filesystem_type().0 as i64)) {
            return Err(bad("not on a cgroup filesystem"));
        }
    }
    let name = match dir.file_name() {
        Some(n) if n != "." && n != ".." => n,
        _ => return Err(bad("not a directory name")),
    };
    let st = fstat(h.dir.as_fd()).cannot_with(|| format!("stat cgroup {}", dir.display()))?;
    let at = fstatat(
        h.parent.as_fd(),
        name,
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .cannot_with(|| format!("stat cgroup {}", dir.display()))?;
    let is_dir = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR;
    if !is_dir || (st.st_dev, st.st_ino) != (at.st_dev, at.st_ino) {
        return Err(bad(
            "the directory is not the one its parent holds under that name",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_holds_the_limits_and_the_directories() {
        let dirs = [
            Path::new("/sys/fs/cgroup/cpu/sk-1"),
            Path::new("/sys/fs/cgroup/odd\nname"),
        ];
        let data = encode(&dirs, Some("memory=64M"), Some("pids=32")).unwrap();
        let m = decode(&data).unwrap();
        assert_eq!(m.dirs, dirs);
        assert_eq!(m.memory.as_deref(), Some("memory=64M"));
        assert_eq!(m.pids.as_deref(), Some("pids=32"));
        let data = encode(&dirs[..1], None, None).unwrap();
        assert_eq!(decode(&data).unwrap().memory, None);
    }

    #[test]
    fn other_messages_are_refused() {
        assert!(decode(b"hello").is_err());
        assert!(decode(b"sk-cgroup-return 1\0bogus x").is_err());
        assert!(decode(b"sk-cgroup-return 1\0part").is_err());
        let many: Vec<PathBuf> = (0..=MAX_PARTS)
            .map(|i| PathBuf::from(format!("/c/{i}")))
            .collect();
        let refs: Vec<&Path> = many.iter().map(PathBuf::as_path).collect();
        assert!(encode(&refs, None, None).is_err());
    }

    #[test]
    fn a_variable_naming_anything_but_such_a_socket_is_ignored_and_left_open() {
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let (a, _b) = socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        for fd in [file.as_raw_fd(), a.as_raw_fd()] {
            std::env::set_var(VAR, fd.to_string());
            assert!(Sender::from_env().is_none());
            assert!(std::env::var_os(VAR).is_none(), "the variable stays");
            assert!(
                fcntl(unsafe { BorrowedFd::borrow_raw(fd) }, FcntlArg::F_GETFD).is_ok(),
                "closed"
            );
        }
        for junk in ["", "x", "-1", "1", "999999"] {
            std::env::set_var(VAR, junk);
            assert!(Sender::from_env().is_none());
        }
        let (c, _d) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        std::env::set_var(VAR, c.into_raw_fd().to_string());
        assert!(Sender::from_env().is_some());
    }

    #[test]
    fn directories_off_a_cgroup_filesystem_are_not_removed() {
        let (a, b) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap();
        let sender = Sender { fd: a };
        let receiver = Reclaimer { fd: b };
        let base = std::env::temp_dir().join(format!("sk-reclaim.{}", std::process::id()));
        let d = base.join("g");
        std::fs::create_dir_all(&d).unwrap();
        let part = Part {
            dir: d.clone(),
            handle: Handle::open(&d).unwrap(),
        };
        sender.send(&[part], Some("memory=1M"), None).unwrap();
        drop(sender);
        let got = receiver.receive();
        assert!(got.is_empty(), "a plain directory was accepted");
        assert!(d.is_dir(), "a plain directory was removed");
        std::fs::remove_dir_all(&base).unwrap();
    }
}
