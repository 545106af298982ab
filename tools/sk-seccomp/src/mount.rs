//! mount(2) on behalf of a notified caller: an allowed filesystem from a
//! pinned host block device, mounted nosuid,nodev in the caller's mount
//! namespace.
//!
//! Why it is done this way:
//! - The container names its source and target with strings in its own
//!   memory, which it can rewrite at any time: they are read once
//!   (`memory`), and only that copy is checked and used. The caller's pid
//!   may have been reused meanwhile: notify_id_valid after the reads and
//!   after opening its /proc entries says the handles are the caller's.
//! - Paths mean something only in the caller's root: they are resolved
//!   with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from
//!   /proc/PID/root (or its cwd), so no symlink leads out of it.
//! - A container that can make device nodes can make one for any disk, so
//!   the node inside proves nothing by itself: it must be a block device
//!   whose number is the one pinned from the host's DEVICE when the chain
//!   was read, and the mount is always made from the host's own node
//!   (mounting from a node on a nodev mount fails even for root).
//! - The superblock and mount are made on the host side (fsopen, fsconfig,
//!   fsmount, with nosuid and nodev forced), then moved onto the target by
//!   a thread that has its own fs_struct (unshare(CLONE_FS)) and joined the
//!   caller's mount namespace: move_mount onto a mount of another
//!   namespace fails.
//! - Anything else (other flags, options that name files or devices or can
//!   stop the host, an unresolvable path) is refused with EPERM; the call
//!   is never let through (no SECCOMP_USER_NOTIF_FLAG_CONTINUE).

use crate::memory::{Mem, PATH_MAX};
use crate::notify::Answer;
use crate::rules::{Action, Rule};
use libseccomp::notify_id_valid;
use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sched::CloneFlags;
use nix::sys::stat::{fstat, Mode, SFlag};
use sk_common::fd::openat2;
use sk_common::{verbose, Cannot, Result};
use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// `--allow-mount FSTYPE:DEVICE`, as typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    pub fstype: String,
    pub device: PathBuf,
}

/// Parses `FSTYPE:DEVICE` (pure).
pub fn parse_allow(s: &str) -> std::result::Result<Allow, String> {
    let Some((fstype, device)) = s.split_once(':') else {
        return Err(format!("'{s}' is not FSTYPE:DEVICE (e.g. ext4:/dev/sdb1)"));
    };
    let name_ok = |c: char| c.is_ascii_alphanumeric() || "._-".contains(c);
    if fstype.is_empty() || fstype.len() > 64 || !fstype.chars().all(name_ok) {
        return Err(format!("'{fstype}' is not a filesystem type in '{s}'"));
    }
    if !device.starts_with('/') {
        return Err(format!(
            "'{device}' in '{s}' is not an absolute path to a block device on the host"
        ));
    }
    Ok(Allow {
        fstype: fstype.to_string(),
        device: PathBuf::from(device),
    })
}

/// The calls of the new mount API. libmount (util-linux 2.39 and later)
/// uses them before mount(2), and falls back to mount(2) when fsopen
/// fails with ENOSYS; so with --allow-mount they are notified and answered
/// ENOSYS (see NOTES).
/// mount_setattr is among them: it could take nodev off a mount the
/// supervisor made.
pub const NEW_API: [&str; 7] = [
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "move_mount",
    "open_tree",
    "mount_setattr",
];

/// mount(2) flags that make no new superblock: binds, moves, propagation
/// changes. Such calls are not notified (the caller's own privileges
/// decide them, as for any process, and LXD does the same), so that the
/// chain's own steps after sk-seccomp (sk-unshare -m making / private,
/// sk-pivot's binds) keep working. A bind or move of a mount the
/// supervisor made keeps its nosuid and nodev.
pub const NOT_NOTIFIED: u64 = libc::MS_BIND
    | libc::MS_MOVE
    | libc::MS_SHARED
    | libc::MS_PRIVATE
    | libc::MS_SLAVE
    | libc::MS_UNBINDABLE;

/// An unconditional `--notify mount` rule becomes two: calls without any
/// of [`NOT_NOTIFIED`] (a new superblock), and every remount (a remount,
/// even with MS_BIND, could take nosuid or nodev off a mount the
/// supervisor made; the supervisor refuses it).
pub fn narrow_mount_rules(rules: &mut Vec<Rule>) {
    use crate::rules::{Cond, Op};
    let wide = |r: &Rule| r.syscall == "mount" && r.action == Action::Notify && r.conds.is_empty();
    if !rules.iter().any(wide) {
        return;
    }
    rules.retain(|r| !wide(r));
    let remount = libc::MS_REMOUNT;
    for (mask, value) in [(NOT_NOTIFIED, 0), (remount, remount)] {
        rules.push(Rule {
            syscall: "mount".into(),
            action: Action::Notify,
            conds: vec![Cond {
                index: 3,
                op: Op::MaskedEq(mask),
                value,
            }],
        });
    }
}

/// Notify rules for [`NEW_API`] (their errno, ENOSYS, goes to the policy).
pub fn new_api_rules() -> Vec<Rule> {
    NEW_API
        .iter()
        .map(|name| Rule {
            syscall: name.to_string(),
            action: Action::Notify,
            conds: Vec::new(),
        })
        .collect()
}

/// An allowed device, pinned: its node on the host, opened when the chain
/// was read, and its device number then.
#[derive(Debug)]
pub struct Pinned {
    pub fstype: String,
    pub device: PathBuf,
    pub rdev: u64,
    fd: OwnedFd,
}

/// Opens and pins each DEVICE (the engine's prepare step: on the caller's
/// side, before the chain's first step).
/// `key` names the link (sk_common::handoff: a later process of the chain
/// gets the same fds, never opens the path again).
pub fn prepare(allowed: &[Allow], key: &str) -> Result<Vec<Pinned>> {
    allowed
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let what = || format!("use {} for --allow-mount", a.device.display());
            let fd = sk_common::handoff::open(&format!("{key}:allow-mount:{i}"), || {
                sk_common::fd::open(&a.device, OFlag::O_PATH, Mode::empty()).cannot_with(what)
            })?;
            let st = fstat(&fd).cannot_with(what)?;
            if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFBLK {
                return Err(Errno::ENOTBLK).cannot_with(what);
            }
            verbose!(
                "{} mounts allowed from {} ({}:{})",
                a.fstype,
                a.device.display(),
                libc::major(st.st_rdev),
                libc::minor(st.st_rdev)
            );
            Ok(Pinned {
                fstype: a.fstype.clone(),
                device: a.device.clone(),
                rdev: st.st_rdev,
                fd,
            })
        })
        .collect()
}

/// mount(2)'s flags that a notified mount may carry. Anything else (bind,
/// move, remount, propagation changes, mandatory locks) is refused: those
/// make no new superblock from a device, and are the container's own
/// business, which its own privileges decide when the filter lets them
/// through (see NOTES for the condition that does).
const SAFE_FLAGS: u64 = libc::MS_RDONLY
    | libc::MS_NOSUID
    | libc::MS_NODEV
    | libc::MS_NOEXEC
    | libc::MS_SYNCHRONOUS
    | libc::MS_DIRSYNC
    | libc::MS_NOATIME
    | libc::MS_NODIRATIME
    | libc::MS_SILENT
    | libc::MS_RELATIME
    | libc::MS_STRICTATIME
    | libc::MS_LAZYTIME
    | libc::MS_NOSYMFOLLOW;

/// What a checked mount becomes: superblock flags (fsconfig), mount
/// attributes (fsmount), filesystem options (fsconfig).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    pub sb_flags: Vec<&'static str>,
    pub attrs: u64,
    pub options: Vec<(String, Option<String>)>,
}

/// Checks mount(2)'s flags (pure). nosuid and nodev are always added.
pub fn check_flags(flags: u64) -> std::result::Result<Settings, String> {
    // The old magic number in the high 16 bits means nothing any more.
    let flags = if flags & 0xffff_0000 == libc::MS_MGC_VAL {
        flags & 0xffff
    } else {
        flags
    };
    if flags & !SAFE_FLAGS != 0 {
        return Err(format!("flags {:#x} not allowed", flags & !SAFE_FLAGS));
    }
    let has = |f: libc::c_ulong| flags & f != 0;
    let mut s = Settings {
        attrs: libc::MOUNT_ATTR_NOSUID | libc::MOUNT_ATTR_NODEV,
        ..Settings::default()
    };
    for (flag, sb, attr) in [
        (libc::MS_RDONLY, Some("ro"), libc::MOUNT_ATTR_RDONLY),
        (libc::MS_SYNCHRONOUS, Some("sync"), 0),
        (libc::MS_DIRSYNC, Some("dirsync"), 0),
        (libc::MS_LAZYTIME, Some("lazytime"), 0),
        (libc::MS_NOEXEC, None, libc::MOUNT_ATTR_NOEXEC),
        (libc::MS_NODIRATIME, None, libc::MOUNT_ATTR_NODIRATIME),
        (libc::MS_NOSYMFOLLOW, None, libc::MOUNT_ATTR_NOSYMFOLLOW),
    ] {
        if has(flag) {
            s.sb_flags.extend(sb);
            s.attrs |= attr;
        }
    }
    // One atime mode; relatime is the default (0).
    if has(libc::MS_NOATIME) {
        s.attrs |= libc::MOUNT_ATTR_NOATIME;
    } else if has(libc::MS_STRICTATIME) {
        s.attrs |= libc::MOUNT_ATTR_STRICTATIME;
    }
    Ok(s)
}

/// Filesystem options a container may pass. Everything else is refused:
/// options that name another file or device (ext4's journal_path=,
/// usrjquota=), that stop the host (errors=panic), or that map owners as
/// seen from the host (uid=, gid=).
const SAFE_OPTIONS: [&str; 10] = [
    "acl",
    "noacl",
    "user_xattr",
    "nouser_xattr",
    "discard",
    "nodiscard",
    "barrier",
    "nobarrier",
    "errors=continue",
    "errors=remount-ro",
];

/// Checks the data string, comma-separated options (pure).
pub fn check_data(data: &str) -> std::result::Result<Vec<(String, Option<String>)>, String> {
    let mut out = Vec::new();
    for opt in data.split(',').filter(|o| !o.is_empty()) {
        let numeric = |p: &str| {
            opt.strip_prefix(p).is_some_and(|n| {
                !n.is_empty() && n.len() < 10 && n.bytes().all(|b| b.is_ascii_digit())
            })
        };
        if !SAFE_OPTIONS.contains(&opt) && !numeric("commit=") {
            return Err(format!("option '{opt}' not allowed"));
        }
        out.push(match opt.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (opt.to_string(), None),
        });
    }
    Ok(out)
}

/// mount(2)'s arguments, as numbers (pointers into the caller).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MountCall {
    pub source: u64,
    pub target: u64,
    pub fstype: u64,
    pub flags: u64,
    pub data: u64,
}

impl MountCall {
    pub fn from_call(name: &str, args: &[u64; 6]) -> Option<MountCall> {
        (name == "mount").then_some(MountCall {
            source: args[0],
            target: args[1],
            fstype: args[2],
            flags: args[3],
            data: args[4],
        })
    }
}

/// The supervisor's own copy of the strings.
#[derive(Clone, Debug, Default)]
pub struct Strings {
    pub source: Option<CString>,
    pub target: Option<CString>,
    pub fstype: Option<CString>,
    pub data: Option<CString>,
}

impl Strings {
    /// For --report: what was read, or the address when it could not be.
    pub fn show(&self, call: &MountCall) -> String {
        let s = |v: &Option<CString>, addr: u64| match v {
            Some(c) => format!("{:?}", c.to_string_lossy()),
            None if addr == 0 => "NULL".into(),
            None => format!("{addr:#x}"),
        };
        format!(
            "{}, {}, {}, {:#x}, {}",
            s(&self.source, call.source),
            s(&self.target, call.target),
            s(&self.fstype, call.fstype),
            call.flags,
            s(&self.data, call.data)
        )
    }
}

/// What the worker does after answering: a mount made for a caller that
/// is gone (the answer found no one) is taken down again.
pub type Undo = Box<dyn FnOnce() + Send>;

/// A refusal: EPERM, with the reason for -v.
fn refuse(why: impl std::fmt::Display) -> Errno {
    verbose!("mount refused: {why}");
    Errno::EPERM
}

/// Decides and performs one notified mount(2). Returns the answer, the
/// arguments for --report, and what to undo if the caller is gone.
pub fn handle(
    listener: RawFd,
    id: u64,
    pid: u32,
    call: &MountCall,
    pinned: &[Pinned],
) -> (Answer, String, Option<Undo>) {
    let mut strings = Strings::default();
    let r = read(pid, call, &mut strings)
        .and_then(|()| mount_for(listener, id, pid, call, &strings, pinned));
    let shown = strings.show(call);
    match r {
        Ok(undo) => (Answer::Value(0), shown, Some(undo)),
        Err(e) => (Answer::Errno(e as i32), shown, None),
    }
}

/// Reads the strings, each bounded: a path PATH_MAX, the type 64 bytes,
/// the data one page, each with its NUL within the bound.
fn read(pid: u32, call: &MountCall, out: &mut Strings) -> std::result::Result<(), Errno> {
    let mem = Mem::open(pid).map_err(|e| refuse(format!("cannot read pid {pid}'s memory: {e}")))?;
    let get = |addr: u64, max: usize, what: &str| {
        mem.string(addr, max)
            .map_err(|e| refuse(format!("cannot read the {what}: {}", e.desc())))
    };
    out.source = Some(get(call.source, PATH_MAX, "source")?);
    out.target = Some(get(call.target, PATH_MAX, "target")?);
    out.fstype = Some(get(call.fstype, 64, "filesystem type")?);
    if call.data != 0 {
        out.data = Some(get(call.data, 4096, "data (no NUL within a page)")?);
    }
    Ok(())
}

/// The caller's handles, opened through /proc/PID.
struct Caller {
    mnt: OwnedFd,
    /// Its user namespace, and its effective capabilities there.
    user: OwnedFd,
    cap_eff: u64,
    root: OwnedFd,
    cwd: OwnedFd,
    /// The cwd as a path under the caller's root, when the kernel can say.
    cwd_in_root: Option<PathBuf>,
}

fn open_caller(pid: u32) -> std::result::Result<Caller, Errno> {
    let open = |what: &str, flags: OFlag| {
        sk_common::fd::open(
            Path::new(&format!("/proc/{pid}/{what}")),
            flags,
            Mode::empty(),
        )
    };
    let link = |what: &str| std::fs::read_link(format!("/proc/{pid}/{what}")).ok();
    let cwd_in_root = link("root")
        .zip(link("cwd"))
        .and_then(|(root, cwd)| cwd.strip_prefix(&root).ok().map(Path::to_path_buf));
    let cap_eff = procfs::process::Process::new(pid as i32)
        .and_then(|p| p.status())
        .map_err(|_| Errno::ESRCH)?
        .capeff;
    Ok(Caller {
        mnt: open("ns/mnt", OFlag::O_RDONLY)?,
        user: open("ns/user", OFlag::O_RDONLY)?,
        cap_eff,
        root: open("root", OFlag::O_PATH | OFlag::O_DIRECTORY)?,
        cwd: open("cwd", OFlag::O_PATH | OFlag::O_DIRECTORY)?,
        cwd_in_root,
    })
}

/// What the kernel's own mount(2) asks of the caller (may_mount):
/// CAP_SYS_ADMIN in the user namespace that owns its mount namespace. The
/// supervisor lifts only the kernel's refusal of block-device filesystems
/// in a user namespace; a caller that could not mount a tmpfs there (a
/// user who is not root, a root that dropped sys_admin, a process in a
/// namespace it does not own) gets no mount from it either.
fn may_mount(c: &Caller) -> std::result::Result<(), String> {
    const CAP_SYS_ADMIN: u64 = 1 << 21;
    if c.cap_eff & CAP_SYS_ADMIN == 0 {
        return Err("the caller lacks CAP_SYS_ADMIN".into());
    }
    // SAFETY: NS_GET_USERNS takes no argument and returns a new fd.
    let owner = unsafe { libc::ioctl(c.mnt.as_raw_fd(), libc::NS_GET_USERNS) };
    let owner = check_fd(owner.into()).map_err(|e| format!("the mount namespace's owner: {e}"))?;
    let same = |a: &OwnedFd, b: &OwnedFd| match (fstat(a), fstat(b)) {
        (Ok(x), Ok(y)) => x.st_ino == y.st_ino && x.st_dev == y.st_dev,
        _ => false,
    };
    if !same(&owner, &c.user) {
        return Err("the caller's user namespace does not own its mount namespace".into());
    }
    Ok(())
}

/// Opens `path` (O_PATH) as the caller sees it, never leaving its root.
/// An absolute path is resolved from its root; a relative one from its
/// cwd's place under the root (so `..` works as for the caller), or, when
/// the cwd is not under the root, beneath the cwd.
fn resolve(c: &Caller, path: &CStr, flags: OFlag) -> std::result::Result<OwnedFd, Errno> {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.to_bytes();
    if bytes.is_empty() {
        return Err(Errno::ENOENT);
    }
    let rel = Path::new(std::ffi::OsStr::from_bytes(bytes));
    let (base, rel): (&OwnedFd, PathBuf) = if rel.is_absolute() {
        (
            &c.root,
            rel.strip_prefix("/").expect("absolute").to_path_buf(),
        )
    } else if let Some(cwd) = &c.cwd_in_root {
        (&c.root, cwd.join(rel))
    } else {
        (&c.cwd, rel.to_path_buf())
    };
    let rel = if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel
    };
    let how = OpenHow::new()
        .flags(OFlag::O_PATH | OFlag::O_CLOEXEC | flags)
        .resolve(ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS);
    openat2(base, rel.as_path(), how)
}

/// The checks, then the mount. Every refusal is EPERM; the kernel's own
/// errno comes back only from the mount itself.
fn mount_for(
    listener: RawFd,
    id: u64,
    pid: u32,
    call: &MountCall,
    s: &Strings,
    pinned: &[Pinned],
) -> std::result::Result<Undo, Errno> {
    let (source, target, fstype) = (
        s.source.as_deref().expect("read"),
        s.target.as_deref().expect("read"),
        s.fstype.as_deref().expect("read"),
    );
    let caller = open_caller(pid).map_err(|e| refuse(format!("pid {pid}: {}", e.desc())))?;
    // The strings and handles are the caller's only if it still waits.
    notify_id_valid(listener, id).map_err(|_| Errno::ENOENT)?;
    may_mount(&caller).map_err(refuse)?;
    let kind = fstype.to_string_lossy();
    let candidates: Vec<&Pinned> = pinned.iter().filter(|p| p.fstype == kind).collect();
    if candidates.is_empty() {
        return Err(refuse(format!("filesystem type {kind:?} not allowed")));
    }
    let mut settings = check_flags(call.flags).map_err(refuse)?;
    if let Some(data) = &s.data {
        settings.options = check_data(&data.to_string_lossy()).map_err(refuse)?;
    }
    let node = resolve(&caller, source, OFlag::empty())
        .map_err(|e| refuse(format!("source {source:?}: {}", e.desc())))?;
    let st = fstat(&node).map_err(refuse)?;
    if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT != SFlag::S_IFBLK {
        return Err(refuse(format!("source {source:?} is not a block device")));
    }
    let Some(dev) = candidates.iter().find(|p| p.rdev == st.st_rdev) else {
        return Err(refuse(format!(
            "source {source:?} is not an allowed device"
        )));
    };
    let dir = resolve(&caller, target, OFlag::O_DIRECTORY)
        .map_err(|e| refuse(format!("target {target:?}: {}", e.desc())))?;
    let mnt = make_mount(dev, fstype, &settings)?;
    in_namespace(&caller.mnt, || {
        notify_id_valid(listener, id).map_err(|_| Errno::ENOENT)?;
        move_mount(&mnt, &dir)
    })?;
    verbose!(
        "mounted {kind} from {} on {target:?} for pid {pid}",
        dev.device.display()
    );
    let ns = caller.mnt;
    Ok(Box::new(move || undo_mount(&ns, &mnt)))
}

/// The new mount, detached, made on the host side from the host's node.
fn make_mount(dev: &Pinned, fstype: &CStr, s: &Settings) -> std::result::Result<OwnedFd, Errno> {
    // The pinned node is still the same device (it was opened O_PATH).
    let st = fstat(&dev.fd)?;
    if st.st_rdev != dev.rdev {
        return Err(Errno::ENODEV);
    }
    // SAFETY: plain system calls with NUL-terminated strings that outlive them.
    let fs = check_fd(unsafe {
        libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), libc::FSOPEN_CLOEXEC)
    })?;
    let source = CString::new(format!("/proc/self/fd/{}", dev.fd.as_raw_fd())).expect("digits");
    fsconfig(&fs, libc::FSCONFIG_SET_STRING, c"source", Some(&source))?;
    for flag in &s.sb_flags {
        fsconfig(
            &fs,
            libc::FSCONFIG_SET_FLAG,
            &CString::new(*flag).expect("a name"),
            None,
        )?;
    }
    for (key, value) in &s.options {
        let key = CString::new(key.as_str()).map_err(|_| Errno::EINVAL)?;
        match value {
            None => fsconfig(&fs, libc::FSCONFIG_SET_FLAG, &key, None)?,
            Some(v) => {
                let v = CString::new(v.as_str()).map_err(|_| Errno::EINVAL)?;
                fsconfig(&fs, libc::FSCONFIG_SET_STRING, &key, Some(&v))?
            }
        }
    }
    // SAFETY: as above.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            libc::FSCONFIG_CMD_CREATE,
            std::ptr::null::<libc::c_char>(),
            std::ptr::null::<libc::c_void>(),
            0,
        )
    })?;
    // SAFETY: as above.
    check_fd(unsafe {
        libc::syscall(
            libc::SYS_fsmount,
            fs.as_raw_fd(),
            libc::FSMOUNT_CLOEXEC,
            s.attrs,
        )
    })
}

fn check_fd(rc: libc::c_long) -> std::result::Result<OwnedFd, Errno> {
    let fd = Errno::result(rc)?;
    // SAFETY: the kernel just returned this new descriptor.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

fn fsconfig(
    fs: &OwnedFd,
    cmd: libc::c_uint,
    key: &CStr,
    value: Option<&CString>,
) -> std::result::Result<(), Errno> {
    let value = value.map_or(std::ptr::null(), |v| v.as_ptr());
    // SAFETY: NUL-terminated strings that outlive the call.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_fsconfig,
            fs.as_raw_fd(),
            cmd,
            key.as_ptr(),
            value,
            0,
        )
    })
    .map(drop)
}

/// move_mount(mnt onto dir), both descriptors.
fn move_mount(mnt: &OwnedFd, dir: &OwnedFd) -> std::result::Result<(), Errno> {
    // SAFETY: empty paths with descriptors we own.
    Errno::result(unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            mnt.as_raw_fd(),
            c"".as_ptr(),
            dir.as_raw_fd(),
            c"".as_ptr(),
            libc::MOVE_MOUNT_F_EMPTY_PATH | libc::MOVE_MOUNT_T_EMPTY_PATH,
        )
    })
    .map(drop)
}

/// Takes down a mount made for a caller that went away before the answer.
fn undo_mount(ns: &OwnedFd, mnt: &OwnedFd) {
    // umount2 takes a path: the mount's descriptor through the host's
    // /proc, reached from a directory opened before joining the namespace.
    let Ok(fds) = sk_common::fd::open(
        Path::new("/proc/self/fd"),
        OFlag::O_PATH | OFlag::O_DIRECTORY,
        Mode::empty(),
    ) else {
        return;
    };
    let name = CString::new(mnt.as_raw_fd().to_string()).expect("digits");
    let r = in_namespace(ns, || {
        nix::unistd::fchdir(&fds)?;
        nix::mount::umount2(name.as_c_str(), nix::mount::MntFlags::MNT_DETACH)
    });
    verbose!("the caller was gone: mount taken down ({r:?})");
}

/// Runs `f` in a thread of its own that joined the mount namespace `ns`.
/// setns(CLONE_NEWNS) needs an fs_struct no other thread shares, so the
/// thread first unshares it; its root and cwd die with it, and the
/// supervisor's other threads never leave the host's namespace.
pub fn in_namespace<T: Send>(
    ns: &OwnedFd,
    f: impl FnOnce() -> std::result::Result<T, Errno> + Send,
) -> std::result::Result<T, Errno> {
    std::thread::scope(|s| {
        s.spawn(|| {
            nix::sched::unshare(CloneFlags::CLONE_FS)?;
            nix::sched::setns(ns, CloneFlags::CLONE_NEWNS)?;
            f()
        })
        .join()
        .unwrap_or(Err(Errno::EIO))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_is_fstype_colon_host_device() {
        assert_eq!(
            parse_allow("ext4:/dev/loop3"),
            Ok(Allow {
                fstype: "ext4".into(),
                device: "/dev/loop3".into()
            })
        );
        assert!(parse_allow("ext4").is_err());
        assert!(parse_allow(":/dev/sda").is_err());
        assert!(parse_allow("ext4:dev/sda")
            .unwrap_err()
            .contains("absolute"));
        assert!(parse_allow("ex t4:/dev/sda").is_err());
    }

    #[test]
    fn flags_within_the_safe_set_and_nosuid_nodev_forced() {
        let s = check_flags(0).unwrap();
        assert_eq!(s.attrs, libc::MOUNT_ATTR_NOSUID | libc::MOUNT_ATTR_NODEV);
        let ro = check_flags(libc::MS_RDONLY | libc::MS_NOEXEC | libc::MS_NOATIME).unwrap();
        assert_eq!(ro.sb_flags, ["ro"]);
        assert_eq!(
            ro.attrs,
            libc::MOUNT_ATTR_NOSUID
                | libc::MOUNT_ATTR_NODEV
                | libc::MOUNT_ATTR_RDONLY
                | libc::MOUNT_ATTR_NOEXEC
                | libc::MOUNT_ATTR_NOATIME
        );
        // The old magic number is ignored.
        assert!(check_flags(libc::MS_MGC_VAL | libc::MS_RDONLY).is_ok());
        for bad in [
            libc::MS_BIND,
            libc::MS_REMOUNT,
            libc::MS_MOVE,
            libc::MS_REC | libc::MS_BIND,
            libc::MS_SHARED,
            libc::MS_PRIVATE,
            libc::MS_MANDLOCK,
            1 << 40,
        ] {
            assert!(check_flags(bad).is_err(), "{bad:#x}");
        }
    }

    #[test]
    fn only_harmless_options_pass() {
        assert_eq!(check_data("").unwrap(), []);
        assert_eq!(
            check_data("acl,commit=30,errors=remount-ro").unwrap(),
            [
                ("acl".into(), None),
                ("commit".into(), Some("30".into())),
                ("errors".into(), Some("remount-ro".into()))
            ]
        );
        for bad in [
            "errors=panic",
            "journal_path=/dev/sda",
            "usrjquota=/q",
            "uid=0",
            "commit=",
            "commit=1x",
            "acl,dax",
        ] {
            assert!(check_data(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mount_arguments() {
        let c = MountCall::from_call("mount", &[1, 2, 3, 4, 5, 6]).unwrap();
        assert_eq!(
            (c.source, c.target, c.fstype, c.flags, c.data),
            (1, 2, 3, 4, 5)
        );
        assert!(MountCall::from_call("umount2", &[0; 6]).is_none());
        let s = Strings {
            source: Some(c"/dev/loop0".into()),
            ..Strings::default()
        };
        let shown = s.show(&MountCall { data: 0, ..c });
        assert_eq!(shown, "\"/dev/loop0\", 0x2, 0x3, 0x4, NULL");
    }
}
