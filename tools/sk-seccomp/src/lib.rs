//! sk-seccomp: a seccomp filter from the command line and/or a Docker/OCI
//! profile, loaded as the last step before exec.
//!
//! Order of the steps, and why:
//! 1. parse the options (pure, [`cli`]);
//! 2. [`prepare`]: open and read every file the options name (profile, raw
//!    BPF program, --compile's output), on the caller's side, before any
//!    step of a chain;
//! 3. evaluate the profile against this process (capabilities, arch,
//!    kernel) and merge the command-line rules on top ([`spec`]); take the
//!    built-in's precompiled program ([`precompiled`]) or build one with
//!    libseccomp; write --dump/--pfc, or --compile's file and stop;
//! 4. find the command and prepare its argv (nothing may allocate later);
//! 5. set no_new_privs, load the filter, execve: the load is the last
//!    thing before execve, so the filter judges only the command.

pub mod bpf;
pub mod cli;
pub mod filter;
pub mod host;
pub mod launch;
pub mod learned;
pub mod memory;
pub mod mknod;
pub mod mount;
pub mod notify;
pub mod precompiled;
pub mod presets;
pub mod profile;
pub mod rules;
pub mod spec;
pub mod supervisor;

use caps::{CapSet, Capability};
use cli::{BpfSource, Plan, Source};
use rules::Action;
use sk_common::{verbose, Cannot, Next, Result};
use std::collections::BTreeSet;
use std::convert::Infallible;
use std::io::Write;

/// Hand-written NOTES for the man page (sk-gen adds them after OPTIONS).
pub const MAN_NOTES: &str = "\
RULES. Each rule option takes a comma-separated list of rules, and may be repeated. A rule is \
SYSCALL[:COND]..., a syscall name as libseccomp knows it for the native architecture, then \
conditions on its arguments: argN==V, argN!=V, argN<V, argN<=V, argN>V, argN>=V, and the \
masked test argN&MASK==V, with N from 0 to 5 and numbers in decimal, 0x hex or 0o octal. The \
conditions of one rule are AND-ed; several rules for one syscall are OR-ed, as in libseccomp. \
--errno takes the errno first, as a name or a number: --errno EPERM:fchownat; without it, \
EPERM. Example: --errno 'EPERM:unshare:arg0&0x10000000==0x10000000' denies unshare(2) only \
when it asks for a new user namespace (CLONE_NEWUSER). An unknown syscall name, action or a \
malformed condition is an error (exit 125); the command does not run.

ACTIONS. allow; kill, the same as kill-process: the whole process dies by SIGSYS (exit status \
159 through a chain), as the kernel's SECCOMP_RET_KILL_PROCESS does; kill-thread, the calling \
thread only; trap: SIGSYS is sent and the command may catch it, otherwise it dies by it \
(159); log: allowed and logged by the kernel; errno[:E]: the call fails with E; trace[:N]: a \
ptrace(2) tracer is told, and without one the call fails with ENOSYS. The default action is \
allow (a deny list) unless --default or the profile says otherwise. In JSON profiles \
SCMP_ACT_KILL is the thread, as libseccomp and runc read it.

PROFILES. --profile FILE reads Docker (moby), podman (containers/common) and OCI runtime-spec \
profiles, and every field of their format is either honoured or refused with a line that \
names it: defaultAction; defaultErrnoRet and defaultErrno (a number and a name; given both, \
they must agree); architectures; archMap (the native architecture's entry adds its \
sub-architectures); flags (SECCOMP_FILTER_FLAG_LOG and SECCOMP_FILTER_FLAG_SPEC_ALLOW are \
loaded with, TSYNC is implied as sk-seccomp has one thread, WAIT_KILLABLE_RECV needs a \
supervisor); syscalls[] with names (or the older name), action, errnoRet and errno, \
args[index, value, valueTwo, op] (for SCMP_CMP_MASKED_EQ value is the mask and valueTwo the \
value; another operator with a valueTwo is refused), comment (read, decides nothing), and \
moby's includes and excludes with caps, arches and minKernel. includes applies an entry only \
if the command holds every listed capability, the native architecture is listed and the \
kernel is at least minKernel; excludes skips it if any listed capability is held or the \
architecture is listed. The capabilities are those the command can hold after exec: the \
bounding set for root, the permitted set otherwise. listenerPath and listenerMetadata are \
refused (sk-seccomp is the supervisor itself, see --notify); so is an errno on an action that \
takes none. A null list reads as empty, as Go writes it. Any other unknown field, action or \
operator is an error that names its place, e.g. syscalls[3].action.

UNKNOWN NAMES. A syscall name that this libseccomp does not know (a typo, a trailing space, a \
call newer than the library) cannot be in the filter: its calls get the default action. A \
note on stderr names each such call, every time; --strict refuses the profile instead (exit \
125, the command is not run), so a deny list cannot silently lose a rule. On the command line \
an unknown name is always an error.

BUILT-IN PROFILES. A name without a slash that is a built-in profile is the built-in one \
(write ./docker-default for a file of that name). stdio, in the spirit of seccomp's strict \
mode, lets the command read, write, seek and close the file descriptors it inherited, manage \
its memory and signals and exit, fails readlink with EPERM (busybox asks for \
/proc/self/exe), and kills it on anything else, opening files included (a dynamically linked \
program cannot load its libraries under it: use a static one, or add rules). Rules on the \
command line are merged on top of a profile: a syscall named on the command line takes its \
rules from the command line only. --default replaces the profile's default action.

DOCKER-DEFAULT. docker-default is Docker's own default profile (moby/profiles \
seccomp/default.json, Apache-2.0), embedded unchanged when sk-seccomp is built and read by \
the same code as --profile FILE, plus five patches; --profile FILE with Docker's file means \
exactly Docker's rules. The patches, and why: (1) socket-family-low32: the kernel reads \
socket()'s family as an int, so Docker's 64-bit comparisons let (1<<32)|AF_VSOCK through; \
the same families are compared on their low 32 bits (masked). (2) netlink-audit: \
socket(AF_NETLINK, *, NETLINK_AUDIT) fails with EINVAL unless the command holds \
CAP_AUDIT_WRITE, as in podman's default profile (libaudit reads EINVAL as no audit). (3) \
personality-low32: personality()'s argument is compared on its low 32 bits too. (4) \
no-socketcall: i386 socketcall() passes the family behind a pointer, where seccomp cannot \
see it, and libseccomp turns every socket rule into an unconditional socketcall(SYS_SOCKET) \
rule, so socketcall fails with ENOSYS. i386 programs whose libc makes its socket calls \
through socketcall (glibc built for kernels before 4.3, as most distributions' i386 glibc is, \
and static binaries made with it) cannot use sockets under docker-default; musl and \
programs that make the direct calls can, still filtered by family. Give such a container \
--profile with Docker's file instead. (5) no-tiocsti-tioclinux: ioctl TIOCSTI (pushing input \
into the caller's terminal) and TIOCLINUX fail with EPERM, compared on the low 32 bits of the \
request, as bubblewrap and flatpak do since CVE-2019-10063. Also, with libseccomp 2.5.4 the \
calls getxattrat, listmount, listxattrat, lsm_get_self_attr, lsm_list_modules, \
lsm_set_self_attr, mseal, removexattrat, riscv_hwprobe, setxattrat, statmount and uretprobe \
are unknown, so they get EPERM where Docker with a newer libseccomp allows them; for the \
built-in, whose list is this one, only -v names them, and --strict refuses it.

PRECOMPILED PROGRAMS. docker-default depends on the capabilities the command will hold and \
on the kernel version, and libseccomp needs about 20 ms to build it for x86_64, x86 and x32. \
So its programs are built when sk-seccomp is built, by the same code and the same static \
libseccomp, for these capability sets (as far as the profile looks at them): all of them \
(root, also in a user namespace), none (a user who is not root), CAP_AUDIT_WRITE and \
CAP_SYS_CHROOT (Docker's default set and the README's recommended chain), all but \
CAP_SYS_TIME, all but CAP_SYS_ADMIN. With one of them, on a kernel at least as new as the \
profile's newest minKernel (4.8), loading the built-in costs a copy and one seccomp(2) \
call; for any other set, or with rules, --arch, --no-optimize, --pfc or a supervisor added, \
the program is built at start as before. -v says which.

RAW PROGRAMS. --compile FILE writes the filter as a raw struct sock_filter array in native \
byte order, the format bwrap --seccomp FD, setpriv --seccomp-filter and minijail read, and \
runs no command. A raw program carries no filter flags: --compile refuses notify and learn \
rules (they need a listener and a supervisor) and names any other flag it cannot carry \
(SECCOMP_FILTER_FLAG_LOG, SPEC_ALLOW), to be given again with --flag when loading. The \
capabilities the program is made for are those of the sk-seccomp that compiles it. --bpf FILE \
and --bpf-fd N load such a program (from libseccomp's seccomp_export_bpf too) instead of \
building one, with the flags of --flag. It is checked first: a whole number of 8-byte \
instructions, 1 to 4096 of them, and an architecture check: the first instruction loads the \
architecture, and calls of an architecture the program does not name are not let through \
(an interpreter runs it on such calls); --bpf-unchecked skips this check. The file or \
descriptor is read when the options are read, before anything else happens, and a \
descriptor above 2 is closed once read, so the command does not inherit it. Any failure (an \
empty or truncated file, a directory, a closed descriptor, too many instructions, no \
architecture check) is one line and exit 125, and the command is not run.

THE COMMAND'S OWN EXECVE. The filter is loaded as the very last step, and the next system \
call is the execve(2) of COMMAND, which the filter judges like any other: an allow list \
with a denying default would kill the command before it starts. So when the default action \
denies and no rule names execve, sk-seccomp adds a rule that allows execve (not execveat, \
which the command's start does not need). The command may then execute other programs, \
which stay under the same filter. To forbid that, name execve in a rule with conditions; an \
unconditional deny of execve is refused, since the command could never start. COMMAND is \
looked up in PATH before the load, so 127 and 126 are reported as usual.

NO_NEW_PRIVS AND CHAINS. The kernel accepts a filter from a process only if it has set \
no_new_privs, or holds CAP_SYS_ADMIN: otherwise a filter could make a setuid program fail in \
ways that turn into privilege. sk-seccomp sets no_new_privs; --no-nnp skips it when the \
process holds CAP_SYS_ADMIN. no_new_privs stays for every later program: setuid and file \
capabilities no longer raise privileges. A chain runs as one process (see the README, One \
trusted process), and its filters are loaded just before the command's execve, wherever \
sk-seccomp stands: they judge the command, never a step of the chain, so a filter that \
denies mount or pivot_root may stand before sk-pivot. The profile, --dump and --pfc files and \
--learn's output are opened when the chain is read, on the caller's side, before its first \
step. The position of sk-seccomp decides only where a --notify or --learn supervisor \
stands, and that must be before sk-unshare -p (or a join of a pid namespace): inside the \
container's pid namespace a command keeping CAP_SYS_PTRACE could ptrace the supervisor and \
make its calls unfiltered, so the chain refuses that place. It forks there, keeping the privileges it has there (before sk-unshare -U, the real \
CAP_MKNOD its mknod needs), and takes the listener from the chain's last process with \
pidfd_getfd(2) after that process sent it a pidfd and the listener's number, before loading; \
the last process then waits for one byte from the supervisor before its execve, so no call \
the filter could hold is made before the supervisor holds the listener.

ARCHITECTURES. An x86_64 process can make 32-bit system calls (int 0x80), which the kernel \
tags with another architecture and other syscall numbers. A filter lists the native \
architecture; a call in any other one gets the default action when it denies, and kills the \
process otherwise, so a deny list cannot be bypassed that way. --arch x86,x32 adds those \
architectures with the same rules, translated by name, so 32-bit programs can run under the \
filter. docker-default adds them as Docker's archMap does.

OPTIMIZATION. By default the filter is a binary tree of syscall numbers (libseccomp's \
SCMP_FLTATR_CTL_OPTIMIZE=2, libseccomp 2.5.0 and later), so a long allow list costs a few \
comparisons per call; --no-optimize builds libseccomp's linear list. --dump FILE writes the \
BPF program the kernel gets, --pfc FILE the same filter as readable pseudo-code.

REPORTING. sk-seccomp cannot see what the command does after exec: a trapped or killed \
command dies by SIGSYS, and its exit status (159) is all that comes back. -v lists the \
trapped and killing syscalls when the filter is loaded. To name each denied call as it \
happens, use --notify with --report, where a supervisor outside the filter sees every call.

SUPERVISOR (USER NOTIFICATION). With --notify or --learn sk-seccomp forks. The child loads \
the filter, in which the notified calls get SCMP_ACT_NOTIFY, and executes COMMAND; the parent \
stays outside the filter as the supervisor: it answers each notified call of COMMAND and of \
everything COMMAND starts (they inherit the filter), forwards SIGTERM, SIGINT, SIGHUP, \
SIGQUIT, SIGUSR1, SIGUSR2 and SIGWINCH to the child, and exits with the child's status. The \
listener (the fd on which notifications arrive) exists only once the filter is loaded; the \
child shares the parent's file descriptor table until its execve (CLONE_FILES), so the \
listener is the supervisor's the moment it exists, the child makes no call between the load \
and the execve, and the command never holds the listener. A denied call fails with the errno \
given to --notify (EPERM by default). Any failure of the supervisor while deciding is \
answered with that errno too, so no caller is left waiting; if the supervisor dies, the \
command is killed (otherwise its notified calls would fail with ENOSYS).

--allow-mknod c:MAJOR:MINOR,... makes the supervisor perform mknod(2) and mknodat(2) of \
exactly those character devices for the caller, answering success; any other device, a block \
device above all, gets EPERM. The node is made as the caller would see it: in its mount \
namespace, under its root, relative to its working directory or mknodat's directory, with \
its fsuid, fsgid and umask, and with none of the supervisor's permission overrides \
(CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER) that the caller lacks: the node is \
granted, not the directory; the caller's handles are opened through /proc/PID and checked \
with notify_id_valid before use, since a pid may be reused. This lets root in a user \
namespace, where the kernel refuses device nodes, make /dev/null (c:1:3) but not a disk. \
The supervisor needs CAP_MKNOD and CAP_SYS_ADMIN where the devices are made, so here \
sk-seccomp comes before sk-unshare -U in the chain, not after: sk-seccomp --notify \
mknod,mknodat --allow-mknod c:1:3 sk-unshare -U -r -m ...

--allow-mount FSTYPE:DEVICE (repeatable; needs --notify mount) makes the supervisor mount \
FSTYPE from DEVICE, a block device on the host, for a notified mount(2) whose source is, as the \
caller sees it, a block device node with DEVICE's device number. DEVICE is opened and its number \
pinned when sk-seccomp starts: a container that keeps mknod can make a node for any disk, so a \
node inside proves nothing by itself, and the mount is always made from the host's own node. \
The supervisor reads the source, target, type and data once from the caller's memory \
(/proc/PID/mem; a path up to 4096 bytes, the type 64, the data one page, each with its NUL \
within the bound) and acts only on that copy, so a thread that rewrites them meanwhile changes \
nothing; notify_id_valid after the reads says that the pid was not reused. Source and target \
are resolved in the caller's root with openat2(RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS) from \
/proc/PID/root (a relative path from the cwd's place under that root, so that .. works as \
for the caller), so no link leads out of the container. The flags may be ro, noexec, nosuid, nodev, \
sync, dirsync, noatime, nodiratime, relatime, strictatime, lazytime, nosymfollow and silent; \
the data only acl, noacl, user_xattr, nouser_xattr, discard, nodiscard, barrier, nobarrier, \
errors=continue, errors=remount-ro and commit=N (never an option that names a file or device, \
such as journal_path=, nor errors=panic). The superblock is made on the host side (fsopen, \
fsconfig, fsmount, with nosuid and nodev forced) and moved onto the target by a thread that \
joined the caller's mount namespace (move_mount cannot cross namespaces). Anything else, a \
source or target that does not resolve included, is refused with EPERM and a --report line; \
the call is never let through with SECCOMP_USER_NOTIF_FLAG_CONTINUE. With --allow-mount, \
binds, moves and propagation changes (MS_BIND, MS_MOVE, MS_SHARED, MS_PRIVATE, MS_SLAVE, \
MS_UNBINDABLE, without MS_REMOUNT) are not notified: the caller's own privileges decide them, \
as under LXD; a bind or a move of the supervisor's mount keeps nosuid and nodev, and every \
remount is notified and refused, so they cannot be taken off. The new mount API (fsopen, \
fsconfig, fsmount, fspick, move_mount, open_tree, mount_setattr) is notified too and answered \
ENOSYS: util-linux 2.39 and later try it first and then fall back to mount(2), and \
mount_setattr could clear nodev. umount(2) is not intercepted: the mount is in the caller's \
namespace, whose root may unmount it. A mount made for a caller that is gone when the answer \
is sent is taken down again.

WHERE THE SUPERVISOR STANDS. A supervisor that mounts or makes nodes stands before \
sk-unshare -U, outside the user namespace, where it has the host's privileges; the filter \
itself is loaded by the chain's last process just before the command's execve (see NO_NEW_PRIVS \
AND CHAINS), so the chain's own steps (sk-pivot's proc, /dev and remounts) are never judged by \
it: sk-seccomp --notify mount --allow-mount ext4:/dev/loop0 sk-unshare -U -r -m -p sk-pivot \
--bind /dev/loop0 /tmp/root sh.

TRUST MODEL AND COST. The supervisor is root on the host, outside the container's user \
namespace (so it comes before sk-unshare -U in the chain, as for mknod): it may make devices \
and mount disks, and whoever makes the notified calls is the container. It lifts only the \
kernel's refusal, never the caller's own lack of privilege: a mount is done only for a caller \
with CAP_SYS_ADMIN in the user namespace that owns its mount namespace (what mount(2) asks of \
a tmpfs there), so a user who is not root, or a root that dropped sys_admin, gets EPERM as \
the kernel would give it; a node is made only where the caller may write. It parses nothing from \
the container without re-checking: each string is copied once, bounded, and checked as \
copied; paths are resolved by the kernel inside the caller's root; device numbers come from \
the host, never from the container; the pid is checked against the notification after the \
reads. Each call it performs (mknod, mount) runs on a worker thread of its own, at most 32 at \
once: one that blocks (a slow device, a directory held locked) holds one worker, never the \
others, and past 32 further calls wait in the kernel's queue; denied calls are answered at \
once on the supervisor's own thread. A request whose caller died is dropped (the answer finds \
no one). Cost, in bench/RESULTS.md (bench/notify.sh): a notified mknod takes about 0.22 ms \
instead of 0.01 ms (two threads, /proc/PID lookups, a setns); a notified ext4 mount and \
umount about 0.84 ms against 0.52 ms for root's own; a notified call that is only answered \
(bench/seccomp.sh) about 28 us.

--report prints one line on stderr for each notified call: the pid, the syscall name, the \
first arguments (the path and device for mknod) and the decision. Unlike a trap, it works \
after exec and names the call.

--learn FILE makes every call notify the supervisor, which records its name and lets it \
continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE), for the whole process tree. At exit it writes a \
Docker/OCI profile to FILE: those calls allowed, EPERM for the rest; sk-seccomp --profile FILE \
reads it. CONTINUE is not a security boundary: the call runs after the supervisor has looked \
at it, with arguments the command may have changed in the meantime, so learn mode generates \
profiles and confines nothing. A learned profile holds what one run did; run the command \
through the paths that matter.";

sk_common::tool_link!(cli_command);

/// What this link reads and opens on the caller's side, when the chain is
/// read, before its first step: the profile, the BPF program, the outputs,
/// the devices --allow-mount pins. After a pivot the same paths would name
/// the image's files, so nothing is looked up later.
pub struct Prepared {
    profile: Option<profile::Profile>,
    bpf: Option<Vec<libc::sock_filter>>,
    compile: Option<std::fs::File>,
    dump: Option<std::fs::File>,
    pfc: Option<std::fs::File>,
    /// The devices --allow-mount names, pinned on the caller's side.
    mounts: std::cell::Cell<Vec<mount::Pinned>>,
    learn: std::cell::Cell<Option<learned::Learned>>,
    /// The chain's end of the supervisor's socket, once it stands.
    ctl: std::cell::OnceCell<std::os::fd::OwnedFd>,
    key: String,
}

/// `key` names this link among the chain's (its fds are handed down under
/// it when a later link is entered by a real exec: sk_common::handoff).
pub fn prepare(plan: &Plan, key: &str) -> Result<Prepared> {
    use sk_common::handoff;
    let profile = match &plan.profile {
        Some(Source::File(path)) => Some(read_profile(path, key)?),
        _ => None,
    };
    let bpf = match &plan.bpf {
        Some(source) => Some(read_bpf(source, plan.bpf_checked, key)?),
        None => None,
    };
    let create = |p: &Option<std::path::PathBuf>, what: &str| {
        p.as_ref()
            .map(|p| {
                handoff::open(&format!("{key}:{what}"), || {
                    std::fs::File::create(p)
                        .map(std::os::fd::OwnedFd::from)
                        .cannot_with(|| format!("create {} for the filter's {what}", p.display()))
                })
                .map(std::fs::File::from)
            })
            .transpose()
    };
    let learn = match plan.supervise.as_ref().and_then(|s| s.learn.as_ref()) {
        Some(path) if !handoff::inherited() => Some(learned::Learned::create(path)?),
        _ => None,
    };
    let ctl = std::cell::OnceCell::new();
    if let Some(fd) = handoff::get(&format!("{key}:supervisor")) {
        let _ = ctl.set(fd);
    }
    let mounts = mount::prepare(plan.supervise.as_ref().map_or(&[][..], |s| &s.mounts), key)?;
    Ok(Prepared {
        profile,
        bpf,
        compile: create(&plan.compile, "compiled program")?,
        dump: create(&plan.dump, "BPF program")?,
        pfc: create(&plan.pfc, "pseudo-code")?,
        mounts: std::cell::Cell::new(mounts),
        learn: std::cell::Cell::new(learn),
        ctl,
        key: key.to_string(),
    })
}

/// At this link's place in the chain: `--compile` writes the program and
/// ends here; a supervisor stays here when one is asked for (see
/// supervisor::stand); the filter itself waits for the chain's end.
pub fn stand(plan: &Plan, prepared: &Prepared, next: Next) -> Result<Infallible> {
    if let Some(out) = &prepared.compile {
        let program = program_of(plan, prepared)?;
        write_compiled(plan, out, &program)?;
        sk_common::exit::exit(0);
    }
    let Some(sup) = &plan.supervise else {
        return next();
    };
    let policy = notify::Policy {
        errnos: sup.errnos.iter().cloned().collect(),
        mknod: sup.mknod.clone(),
        mounts: prepared.mounts.take(),
        report: sup.report,
        learn: sup.learn.is_some(),
    };
    let arches = std::iter::once(host::native_arch().1.to_string())
        .chain(plan.arches.iter().cloned())
        .collect();
    let key = format!("{}:supervisor", prepared.key);
    supervisor::stand(
        policy,
        prepared.learn.take(),
        arches,
        &prepared.ctl,
        &key,
        next,
    )
}

/// A link's filter, built and ready to load.
pub struct Built<'a> {
    prog: Vec<libc::sock_filter>,
    flags: u32,
    ctl: Option<&'a std::os::fd::OwnedFd>,
}

/// Just before the command's execve, for every sk-seccomp link before any
/// filter is loaded: the program, built (or taken precompiled) for the
/// capabilities the command will hold, its --dump written, no_new_privs
/// set. Built before the first load, so that no filter of an earlier link
/// judges this work.
pub fn build_at_exec<'a>(plan: &Plan, prepared: &'a Prepared) -> Result<Built<'a>> {
    let program = program_of(plan, prepared)?;
    if let Some(mut out) = prepared.dump.as_ref() {
        out.write_all(&bpf::to_bytes(&program.prog))
            .cannot("write the filter's BPF program")?;
    }
    set_no_new_privs(plan.nnp)?;
    Ok(Built {
        prog: program.prog,
        flags: program.flags,
        ctl: prepared.ctl.get(),
    })
}

impl Built<'_> {
    /// The supervisor's socket, which must stay open until the load.
    pub fn keeps(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        self.ctl.map(|c| c.as_raw_fd())
    }

    /// Loads the filter, last, so that it judges no step of the chain; with
    /// a supervisor, its listener handed over.
    pub fn load(mut self) -> Result<()> {
        match self.ctl {
            Some(ctl) => supervisor::hand_over(ctl, &mut self.prog, self.flags),
            None => filter::load(&mut self.prog, self.flags)
                .map(drop)
                .cannot("load the seccomp filter"),
        }
    }
}

fn program_of(plan: &Plan, prepared: &Prepared) -> Result<Program> {
    match &prepared.bpf {
        Some(prog) => Ok(Program {
            prog: prog.clone(),
            flags: plan.flags,
            arches: Vec::new(),
        }),
        None => program_for(plan, prepared.profile.as_ref(), prepared.pfc.as_ref()),
    }
}

/// The program to load, with its flags and the architectures it names.
pub struct Program {
    pub prog: Vec<libc::sock_filter>,
    pub flags: u32,
    pub arches: Vec<String>,
}

/// `--compile`: the raw program carries no filter flags; name the ones
/// that the loader must give again.
fn write_compiled(plan: &Plan, mut out: &std::fs::File, program: &Program) -> Result<()> {
    let path = plan.compile.as_deref().unwrap_or(std::path::Path::new("-"));
    out.write_all(&bpf::to_bytes(&program.prog))
        .cannot_with(|| format!("write the BPF program to {}", path.display()))?;
    for (bit, name, option) in [
        (filter::FLAG_LOG, "SECCOMP_FILTER_FLAG_LOG", "--flag log"),
        (
            filter::FLAG_SPEC_ALLOW,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
            "--flag spec-allow",
        ),
    ] {
        if program.flags & bit != 0 {
            sk_common::warn!(
                "{} cannot carry {name}: load it with sk-seccomp --bpf {} {option}",
                path.display(),
                path.display()
            );
        }
    }
    verbose!(
        "{} instructions written to {}",
        program.prog.len(),
        path.display()
    );
    Ok(())
}

/// The program for the profile and rules: precompiled when the built-in
/// alone is asked for and this capability set was compiled at build time,
/// otherwise built here with libseccomp.
fn program_for(
    plan: &Plan,
    file: Option<&profile::Profile>,
    pfc: Option<&std::fs::File>,
) -> Result<Program> {
    let (_, native_scmp) = host::native_arch();
    let host = match &plan.profile {
        Some(_) => Some(host::host()?),
        None => None,
    };
    if let Some(h) = &host {
        if let Some(p) = precompiled_for(plan, h)? {
            return Ok(p);
        }
    }
    let decided = match (&plan.profile, file, &host) {
        (Some(Source::Builtin(name)), _, Some(h)) => {
            verbose!("profile: built-in {name}");
            presets::builtin(name)
                .expect("every built-in name has a profile")
                .decide(h, native_scmp)
        }
        (_, Some(p), Some(h)) => p.decide(h, native_scmp),
        _ => profile::Decided::default(),
    };
    let opts = spec::Options {
        default_action: plan.default_action,
        rules: &plan.rules,
        arches: &plan.arches,
        optimize: plan.optimize,
        supervised: plan.supervise.is_some(),
        flags: plan.flags,
    };
    let assembled = spec::assemble(decided, &opts, native_scmp)?;
    unknown_names(plan, &assembled.unknown)?;
    let ctx = filter::build(&assembled.spec)?;
    if let Some(out) = pfc {
        filter::export_to(&ctx, out, true)?;
    }
    describe(&assembled.spec);
    Ok(Program {
        prog: filter::program(&ctx)?,
        flags: assembled.spec.flags,
        arches: std::iter::once(native_scmp.to_string())
            .chain(assembled.spec.arches.iter().cloned())
            .collect(),
    })
}

/// The precompiled docker-default, when nothing else is asked for and a
/// program was made at build time for what `host` holds.
fn precompiled_for(plan: &Plan, host: &profile::Host) -> Result<Option<Program>> {
    let alone = plan.profile == Some(Source::Builtin("docker-default"))
        && plan.rules.is_empty()
        && plan.default_action.is_none()
        && plan.arches.is_empty()
        && plan.optimize
        && plan.supervise.is_none()
        && plan.pfc.is_none();
    if !alone {
        return Ok(None);
    }
    let Some(found) = precompiled::lookup(host) else {
        verbose!("docker-default: no program precompiled for these capabilities; compiling one");
        return Ok(None);
    };
    let unknown = precompiled::UNKNOWN.iter().map(|s| s.to_string()).collect();
    unknown_names(plan, &unknown)?;
    verbose!(
        "profile: built-in docker-default, precompiled for {}",
        found.key
    );
    Ok(Some(Program {
        prog: found.prog,
        flags: plan.flags,
        arches: precompiled::ARCHES.iter().map(|s| s.to_string()).collect(),
    }))
}

/// The profile's names that libseccomp does not know are not in the
/// filter: a note says so (for the built-in, whose list is in the man
/// page, with -v), and --strict refuses instead.
fn unknown_names(plan: &Plan, unknown: &BTreeSet<String>) -> Result<()> {
    if unknown.is_empty() {
        return Ok(());
    }
    let names = unknown.iter().cloned().collect::<Vec<_>>().join(" ");
    let version = libseccomp::ScmpVersion::current()
        .map(|v| format!("{}.{}.{}", v.major, v.minor, v.micro))
        .unwrap_or_default();
    let what = match &plan.profile {
        Some(Source::File(p)) => p.display().to_string(),
        Some(Source::Builtin(name)) => (*name).to_string(),
        None => "the profile".into(),
    };
    if plan.strict {
        anyhow::bail!(
            "cannot load the profile {what}: libseccomp {version} does not know {names} (--strict)"
        );
    }
    let line = format!(
        "the profile {what} names calls unknown to this libseccomp ({version}), left out \
         of the filter (its default action answers them): {names}"
    );
    match &plan.profile {
        Some(Source::Builtin(_)) => verbose!("{line}"),
        _ => sk_common::say!("{}: note: {line}", sk_common::log::tool()),
    }
    Ok(())
}

fn read_profile(path: &std::path::Path, key: &str) -> Result<profile::Profile> {
    let fd = sk_common::handoff::open(&format!("{key}:profile"), || {
        std::fs::File::open(path)
            .map(std::os::fd::OwnedFd::from)
            .cannot_with(|| format!("read the profile {}", path.display()))
    })?;
    let bytes = read_from_start(fd, 16 << 20)
        .cannot_with(|| format!("read the profile {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("cannot read the profile {}: not UTF-8", path.display()))?;
    let p = profile::parse(&text)
        .map_err(|e| anyhow::anyhow!("cannot load the profile {}: {e}", path.display()))?;
    verbose!("profile: {}", path.display());
    Ok(p)
}

/// Reads and validates a raw program (size, length, architecture check).
/// A descriptor given with --bpf-fd is closed once read: the command does
/// not inherit it.
fn read_bpf(source: &BpfSource, checked: bool, key: &str) -> Result<Vec<libc::sock_filter>> {
    let what = match source {
        BpfSource::File(path) => path.display().to_string(),
        BpfSource::Fd(fd) => format!("fd {fd}"),
    };
    let fd = sk_common::handoff::open(&format!("{key}:bpf"), || match source {
        BpfSource::File(path) => std::fs::File::open(path)
            .map(std::os::fd::OwnedFd::from)
            .cannot_with(|| format!("open the BPF program {}", path.display())),
        BpfSource::Fd(fd) => take_fd(*fd),
    })?;
    let file = std::fs::File::from(fd);
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        anyhow::bail!("cannot read the BPF program {what}: Is a directory");
    }
    // One byte more than the largest valid program, to tell "too long".
    let limit = (bpf::MAX_INSNS * std::mem::size_of::<libc::sock_filter>() + 8) as u64;
    let bytes = read_from_start(file.into(), limit)
        .cannot_with(|| format!("read the BPF program {what}"))?;
    let prog = bpf::parse(&bytes, checked)
        .map_err(|e| anyhow::anyhow!("cannot load the BPF program {what}: {e}"))?;
    verbose!("BPF program {what}: {} instructions", prog.len());
    Ok(prog)
}

/// A copy of the caller's fd `fd` (close-on-exec), the original closed
/// unless it is stdin, stdout or stderr: the command inherits neither.
fn take_fd(fd: i32) -> Result<std::os::fd::OwnedFd> {
    use std::os::fd::{FromRawFd, OwnedFd};
    // SAFETY: F_DUPFD_CLOEXEC only reads the fd table; a closed number
    // gives EBADF.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if copy < 0 {
        return Err(std::io::Error::last_os_error())
            .cannot_with(|| format!("read the BPF program from fd {fd}"));
    }
    if fd > 2 {
        // SAFETY: the caller handed this fd to us (--bpf-fd); it is ours to close.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
    // SAFETY: the kernel just made this fd for us.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// The bytes of a file opened on the caller's side, from its start (a
/// handed-down fd shares its offset), at most `limit` of them.
fn read_from_start(fd: std::os::fd::OwnedFd, limit: u64) -> std::io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::from(fd);
    let mut bytes = Vec::new();
    let mut buf = [0u8; 65536];
    while (bytes.len() as u64) < limit {
        let n = file.read_at(&mut buf, bytes.len() as u64)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    bytes.truncate(limit as usize);
    Ok(bytes)
}

/// The -v summary: what the filter does, and the calls that kill or trap.
fn describe(spec: &filter::Spec) {
    if !sk_common::log::verbose() {
        return;
    }
    let arches = std::iter::once(host::native_arch().1)
        .chain(spec.arches.iter().map(String::as_str))
        .map(|a| a.trim_start_matches("SCMP_ARCH_").to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(",");
    verbose!(
        "filter: default {}, {} rules, architectures {arches} (others: {}), {}",
        spec.default_action,
        spec.rules.len(),
        filter::bad_arch_action(spec.default_action),
        if spec.optimize {
            "binary tree"
        } else {
            "linear"
        }
    );
    for (action, what) in [
        (Action::Trap, "trap (SIGSYS)"),
        (Action::KillProcess, "kill the process"),
        (Action::KillThread, "kill the thread"),
    ] {
        let names: BTreeSet<String> = spec
            .rules
            .iter()
            .filter(|r| r.action == action)
            .map(|r| r.to_string())
            .collect();
        if !names.is_empty() {
            verbose!(
                "{what}: {}",
                names.into_iter().collect::<Vec<_>>().join(" ")
            );
        }
    }
}

/// The kernel's condition for loading a filter (see NOTES).
pub(crate) fn set_no_new_privs(want: bool) -> Result<()> {
    if want {
        return nix::sys::prctl::set_no_new_privs().cannot("set no_new_privs");
    }
    let admin = caps::has_cap(None, CapSet::Effective, Capability::CAP_SYS_ADMIN)
        .cannot("read the effective capabilities")?;
    if !admin {
        anyhow::bail!("cannot load a filter without no_new_privs: --no-nnp needs CAP_SYS_ADMIN");
    }
    verbose!("no_new_privs left unset (--no-nnp, CAP_SYS_ADMIN held)");
    Ok(())
}
