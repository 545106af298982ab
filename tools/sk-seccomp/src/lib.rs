//! sk-seccomp: a seccomp filter from the command line and/or a Docker/OCI
//! profile, loaded as the last step before exec.
//!
//! Order of the steps, and why:
//! 1. parse the options (pure) and read the profile;
//! 2. evaluate the profile against this process (capabilities, arch,
//!    kernel) and merge the command-line rules on top;
//! 3. build the filter with libseccomp, write --dump/--pfc;
//! 4. find the command and prepare its argv (nothing may allocate later);
//! 5. set no_new_privs, load the filter, execve: the load is the last
//!    thing before execve, so the filter judges only the command.

pub mod cli;
pub mod docker_default;
pub mod filter;
pub mod host;
pub mod launch;
pub mod learned;
pub mod mknod;
pub mod notify;
pub mod presets;
pub mod profile;
pub mod rules;
pub mod supervisor;

use caps::{CapSet, Capability};
use clap::CommandFactory;
use cli::{Plan, Source};
use rules::{Action, Rule};
use sk_common::cli::Parsed;
use sk_common::{verbose, Cannot, Next, Result};
use std::collections::BTreeSet;
use std::convert::Infallible;

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

PROFILES. --profile FILE reads Docker (moby) and OCI runtime-spec profiles: defaultAction, \
defaultErrnoRet, architectures, archMap (the native architecture's entry adds its \
sub-architectures), flags (SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW; TSYNC is \
implied: sk-seccomp has one thread), and syscalls[] with names, action, errnoRet, \
args[index, value, valueTwo, op] (for SCMP_CMP_MASKED_EQ value is the mask and valueTwo the \
value) and moby's includes and excludes. includes applies an entry only if the command holds \
every listed capability, the native architecture is listed and the kernel is at least \
minKernel; excludes skips it if any listed capability is held or the architecture is \
listed. The capabilities are those the command can hold after exec: the bounding set for \
root, the permitted set otherwise. Syscall names this libseccomp does not know (newer calls) \
are skipped, and -v names them; any other unknown field, action or operator is an error that \
names its place, e.g. syscalls[3].action. A name without a slash that is a built-in profile \
is the built-in one (write ./docker-default for a file of that name): docker-default makes \
the decisions of Docker's default profile; stdio, in the spirit of seccomp's strict mode, \
lets the command read, write, seek and close the file descriptors it inherited, manage its \
memory and signals and exit, fails readlink with EPERM (busybox asks for /proc/self/exe), and \
kills it on anything else, opening files included (a dynamically linked program cannot load its libraries under it: use a static one, or add \
rules). Rules on the command line are merged on top of a profile: a syscall named on the \
command line takes its rules from the command line only. --default replaces the profile's \
default action.

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
capabilities no longer raise privileges. The filter stays too, and judges every later \
program of the chain. So sk-seccomp belongs last in a chain, right before the command: a \
tool after it would run under the command's filter (an allow list made for the command \
would kill it), and would lose the privileges its own step needs.

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
its fsuid, fsgid and umask; the caller's handles are opened through /proc/PID and checked \
with notify_id_valid before use, since a pid may be reused. This lets root in a user \
namespace, where the kernel refuses device nodes, make /dev/null (c:1:3) but not a disk. \
The supervisor needs CAP_MKNOD and CAP_SYS_ADMIN where the devices are made, so here \
sk-seccomp comes before sk-unshare -U in the chain, not after: sk-seccomp --notify \
mknod,mknodat --allow-mknod c:1:3 sk-unshare -U -r -m ...

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

/// The parser, for man pages and completions.
pub fn command() -> clap::Command {
    cli::Cli::command()
}

/// Reads this link's words.
pub fn link(argv: &[std::ffi::OsString]) -> Result<Parsed<Plan>> {
    let args: cli::Cli = sk_common::cli::try_parse_from(argv)?;
    let plan = args.plan().map_err(anyhow::Error::msg)?;
    Ok(Parsed {
        plan,
        verbose: args.common.verbose,
        command: args.command,
    })
}

/// What this link reads and opens on the caller's side, when the chain is
/// read, before its first step: the profile, the outputs. After a pivot the
/// same paths would name the image's files.
pub struct Prepared {
    profile: Option<profile::Profile>,
    dump: Option<std::fs::File>,
    pfc: Option<std::fs::File>,
    learn: std::cell::Cell<Option<learned::Learned>>,
    /// The chain's end of the supervisor's socket, once it stands.
    ctl: std::cell::OnceCell<std::os::fd::OwnedFd>,
    key: String,
}

/// `key` names this link among the chain's (its fds are handed down under
/// it when a later link is entered by a real exec: sk_common::handoff).
pub fn prepare(plan: &Plan, key: &str) -> Result<Prepared> {
    use sk_common::handoff;
    let profile = plan
        .profile
        .as_ref()
        .map(|s| read_profile(s, key))
        .transpose()?;
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
    Ok(Prepared {
        profile,
        dump: create(&plan.dump, "BPF program")?,
        pfc: create(&plan.pfc, "pseudo-code")?,
        learn: std::cell::Cell::new(learn),
        ctl,
        key: key.to_string(),
    })
}

/// At this link's place in the chain: a supervisor stays here when one is
/// asked for (see supervisor::stand); the filter itself waits for the end.
pub fn stand(plan: &Plan, prepared: &Prepared, next: Next) -> Result<Infallible> {
    let Some(sup) = &plan.supervise else {
        return next();
    };
    let policy = notify::Policy {
        errnos: sup.errnos.iter().cloned().collect(),
        mknod: sup.mknod.clone(),
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
/// filter is loaded: the filter, built for the capabilities the command
/// will hold, its --dump and --pfc written, no_new_privs set. Built before
/// the first load, so that no filter of an earlier link judges this work.
pub fn build_at_exec<'a>(plan: &Plan, prepared: &'a Prepared) -> Result<Built<'a>> {
    let spec = assemble(plan, prepared.profile.as_ref())?;
    let ctx = filter::build(&spec)?;
    if let Some(f) = &prepared.dump {
        filter::export_to(&ctx, f, false)?;
    }
    if let Some(f) = &prepared.pfc {
        filter::export_to(&ctx, f, true)?;
    }
    describe(&spec);
    let prog = filter::program(&ctx)?;
    set_no_new_privs(plan.nnp)?;
    Ok(Built {
        prog,
        flags: spec.flags,
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

/// The profile (if any), evaluated here, with the command-line rules on top.
pub fn assemble(plan: &Plan, profile: Option<&profile::Profile>) -> Result<filter::Spec> {
    let (_, native_scmp) = host::native_arch();
    let decided = match profile {
        None => profile::Decided::default(),
        Some(p) => p.decide(&host::host()?, native_scmp),
    };
    let default_action = plan
        .default_action
        .or(decided.default_action)
        .unwrap_or(Action::Allow);

    let mut unknown = BTreeSet::new();
    let mut rules: Vec<Rule> = Vec::new();
    let named: BTreeSet<&str> = plan.rules.iter().map(|r| r.syscall.as_str()).collect();
    for r in decided.rules {
        if named.contains(r.syscall.as_str()) {
            continue;
        }
        if filter::resolve(&r.syscall).is_none() {
            unknown.insert(r.syscall);
            continue;
        }
        rules.push(r);
    }
    if !unknown.is_empty() {
        verbose!(
            "skipped the profile's calls unknown to this libseccomp: {}",
            unknown.into_iter().collect::<Vec<_>>().join(" ")
        );
    }
    for r in &plan.rules {
        if filter::resolve(&r.syscall).is_none() {
            anyhow::bail!("unknown syscall '{}' in rule {} {r}", r.syscall, r.action);
        }
        rules.push(r.clone());
    }
    if plan.supervise.is_none() && rules.iter().any(|r| r.action == Action::Notify) {
        anyhow::bail!(
            "cannot load the profile: its SCMP_ACT_NOTIFY rules need a supervisor \
             (--notify or --report)"
        );
    }
    // A rule with the default's action changes nothing, and libseccomp
    // refuses it.
    rules.retain(|r| r.action != default_action);
    allow_own_execve(&mut rules, default_action)?;

    let mut arches: Vec<String> = decided.arches;
    arches.extend(plan.arches.iter().cloned());
    arches.retain(|a| a != native_scmp && a != "SCMP_ARCH_NATIVE");
    let mut seen = BTreeSet::new();
    arches.retain(|a| seen.insert(a.clone()));

    let mut flags = 0;
    for f in &decided.flags {
        flags |= match f.as_str() {
            "SECCOMP_FILTER_FLAG_TSYNC" => 0,
            "SECCOMP_FILTER_FLAG_LOG" => filter::FLAG_LOG,
            "SECCOMP_FILTER_FLAG_SPEC_ALLOW" => filter::FLAG_SPEC_ALLOW,
            other => anyhow::bail!("cannot load the profile: flags: unknown flag \"{other}\""),
        };
    }
    Ok(filter::Spec {
        default_action,
        arches,
        rules,
        optimize: plan.optimize,
        flags,
    })
}

fn read_profile(source: &Source, key: &str) -> Result<profile::Profile> {
    match source {
        Source::Builtin(name) => {
            verbose!("profile: built-in {name}");
            Ok(presets::builtin(name).expect("every built-in name has a profile"))
        }
        Source::File(path) => {
            let fd = sk_common::handoff::open(&format!("{key}:profile"), || {
                std::fs::File::open(path)
                    .map(std::os::fd::OwnedFd::from)
                    .cannot_with(|| format!("read the profile {}", path.display()))
            })?;
            let text = read_from_start(fd)
                .cannot_with(|| format!("read the profile {}", path.display()))?;
            let p = profile::parse(&text)
                .map_err(|e| anyhow::anyhow!("cannot load the profile {}: {e}", path.display()))?;
            verbose!("profile: {}", path.display());
            Ok(p)
        }
    }
}

/// The whole text of a file opened on the caller's side (a handed-down fd
/// shares its offset: read from the start, and at most 16 MiB).
fn read_from_start(fd: std::os::fd::OwnedFd) -> std::io::Result<String> {
    use std::io::Read;
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::from(fd);
    let mut text = Vec::new();
    let mut off = 0u64;
    let mut buf = [0u8; 65536];
    loop {
        let n = file.read_at(&mut buf, off)?;
        if n == 0 {
            break;
        }
        text.extend_from_slice(&buf[..n]);
        off += n as u64;
        if off > 16 << 20 {
            return Err(std::io::Error::other("larger than 16 MiB"));
        }
    }
    let _ = (&file).read(&mut []);
    String::from_utf8(text).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// Lets the command's own execve through a denying default (see NOTES).
fn allow_own_execve(rules: &mut Vec<Rule>, default_action: Action) -> Result<()> {
    let execve: Vec<&Rule> = rules.iter().filter(|r| r.syscall == "execve").collect();
    if execve
        .iter()
        .any(|r| r.conds.is_empty() && r.action.denies())
    {
        anyhow::bail!(
            "cannot deny execve without conditions: the command itself could not be executed"
        );
    }
    // A notifying default (--learn) asks the supervisor, which answers.
    if default_action.denies() && default_action != Action::Notify && execve.is_empty() {
        verbose!("execve allowed, so that the command can start");
        rules.push(Rule {
            syscall: "execve".into(),
            action: Action::Allow,
            conds: Vec::new(),
        });
    }
    Ok(())
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
