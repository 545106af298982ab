//! Running a chain: each step, then the next one by a call, then the
//! command. Steps that stay as a parent (a pid namespace, `sk-cgroup --rm`,
//! a seccomp supervisor) fork, and the rest of the chain runs in the child.

use crate::fusion;
use crate::prepare::{Item, Prepared};
use crate::{Chain, Step};
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use sk_common::cli::show_command;
use sk_common::{log, verbose, Cannot, Next, Result};
use std::convert::Infallible;
use std::ffi::CString;
use std::os::fd::OwnedFd;

/// Runs the chain from link `start` (0, unless this process was entered by
/// a real exec from an earlier link).
pub fn run(chain: &Chain, prepared: &Prepared, start: usize) -> Result<Infallible> {
    let fuse = std::env::var_os("SK_FUSE").is_none_or(|v| v != "0");
    // The engine's own binary, opened while /proc is still the caller's:
    // the one thing a real exec between links may execute.
    let exe = sk_common::handoff::open("exe", || {
        nix::fcntl::open(
            "/proc/self/exe",
            OFlag::O_RDONLY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .cannot("open the chain's own binary")
    })?;
    if start == 0 {
        // The terminal and socket activation are the first link's to take,
        // before any step (sk_common::tty, sk_common::fds); a terminal
        // option of a later link that cannot take effect is an error.
        log::set_tool(chain.links[0].tool);
        log::set_verbose(chain.links[0].verbose);
        for link in &chain.links {
            log::set_tool(link.tool);
            sk_common::exec::first_link(link.tty)?;
        }
    }
    let ctx = Ctx {
        chain,
        prepared,
        fuse,
        exe,
        start,
    };
    run_from(&ctx, start)
}

struct Ctx<'a> {
    chain: &'a Chain,
    prepared: &'a Prepared,
    fuse: bool,
    exe: OwnedFd,
    start: usize,
}

fn run_from(ctx: &Ctx, i: usize) -> Result<Infallible> {
    let (chain, prepared) = (ctx.chain, ctx.prepared);
    let Some(link) = chain.links.get(i) else {
        return exec_command(chain, prepared, ctx.start);
    };
    log::set_tool(link.tool);
    log::set_verbose(link.verbose);
    if i > ctx.start {
        if !ctx.fuse {
            verbose!(
                "link {} of {}, by exec (SK_FUSE=0)",
                i + 1,
                chain.links.len()
            );
            return exec_link(ctx, i);
        }
        if !fusion::as_after_exec()? {
            verbose!(
                "link {} of {}, by exec (an exec would change the capability sets)",
                i + 1,
                chain.links.len()
            );
            return exec_link(ctx, i);
        }
    }
    if chain.links.len() > 1 {
        verbose!(
            "link {} of {}, fused (in this process)",
            i + 1,
            chain.links.len()
        );
    }
    let next: Next = Box::new(move || run_from(ctx, i + 1));
    match (&link.step, &prepared.links[i]) {
        (Step::Unshare(p), _) => sk_unshare::apply(p, next),
        (Step::Pivot(p), _) => sk_pivot::apply(p, next),
        (Step::Cgroup(p), _) => sk_cgroup::apply(p, next),
        (Step::Capdrop(p), _) => sk_capdrop::apply(p, next),
        (Step::User(p), _) => sk_user::apply(p, next),
        (Step::Rlimit(p), _) => sk_rlimit::apply(p, next),
        (Step::Env(p), _) => sk_env::apply(p, next),
        (Step::Landlock(p), _) => sk_landlock::apply(p, next),
        (Step::Seccomp(p), Some(Item::Seccomp(prep))) => sk_seccomp::stand(p, prep, next),
        // Its request is made just before the command's exec.
        (Step::Aaexec(p), Some(Item::Aaexec(prep))) if aaexec_follows(chain, i) => {
            // Another sk-aaexec comes later: this profile confines the links
            // after it, as it did in a chain of execs. Its request is made
            // now and the next link is entered by a real exec, where the
            // kernel makes the transition; the later request then meets
            // this confinement (under no_new_privs: only --stack).
            sk_aaexec::confine_at_exec(p, prep, &chain.command)?;
            drop(next);
            exec_link(ctx, i + 1)
        }
        (Step::Aaexec(_), _) => next(),
        (Step::Seccomp(_), _) => unreachable!("every sk-seccomp link is prepared"),
    }
}

/// The end of the chain: the command is found (127/126 before anything
/// else is done), AppArmor's transitions are requested, the seccomp filters
/// are built, then loaded (a supervised one first, the others in the order
/// of their links), and the command is executed.
/// The filters come last so that they judge the command, never a step of
/// the chain; after them, nothing but the execve.
/// Whether a link after `i` is an sk-aaexec.
fn aaexec_follows(chain: &Chain, i: usize) -> bool {
    chain.links[i + 1..]
        .iter()
        .any(|l| matches!(l.step, Step::Aaexec(_)))
}

/// `start`: the first link of this process; the AppArmor requests of links
/// before it were made by an earlier process (see run_from).
fn exec_command(chain: &Chain, prepared: &Prepared, start: usize) -> Result<Infallible> {
    let last = chain.links.last().expect("a chain has a link");
    log::set_tool(last.tool);
    log::set_verbose(last.verbose);
    warn_of_tools_in_the_command(chain);
    // The socket to a staying parent that removes the chain's groups is the
    // chain's, never the command's.
    sk_common::reclaim::drop_inherited();
    let launch = sk_seccomp::launch::Launch::prepare(&chain.command)?;
    // Nothing of the engine's own reaches the command, and after the
    // filters the next system call is the execve.
    std::env::remove_var("SK_FUSE");
    for (link, item) in chain.links.iter().zip(&prepared.links).skip(start) {
        if let (Step::Aaexec(plan), Some(Item::Aaexec(prep))) = (&link.step, item) {
            log::set_tool(link.tool);
            log::set_verbose(link.verbose);
            sk_aaexec::confine_at_exec(plan, prep, &chain.command)?;
        }
    }
    sk_common::handoff::close_all();
    // What the links asked of the command's exec: the minimal init (this
    // process forks it when it is PID 1, and goes on as the command), the
    // inherited fds, the terminal, the caller's signals. Before the filters,
    // which might deny the calls it makes.
    sk_common::exec::prepare_final()?;
    // Every filter is built before the first is loaded: no filter judges
    // another link's work.
    let mut built = Vec::new();
    for (link, item) in chain.links.iter().zip(&prepared.links) {
        if let (Step::Seccomp(plan), Some(Item::Seccomp(prep))) = (&link.step, item) {
            log::set_tool(link.tool);
            log::set_verbose(link.verbose);
            built.push((link, sk_seccomp::build_at_exec(plan, prep)?));
        }
    }
    // The command's path is resolved before the kernel closes what the
    // chain holds: nothing of it may be a place to start from.
    let keep: Vec<_> = built
        .iter()
        .filter_map(|(_, f)| f.keeps())
        .chain(sk_common::parent::failure_fd())
        .collect();
    sk_common::fd::neutralize_cloexec(&keep)?;
    // The supervised filter first: after its load the last process waits
    // for the supervisor's byte (a read), and only that filter may judge
    // the read. An earlier link's filter refusing it would let the execve
    // come before the supervisor holds the listener, which would then go
    // with the exec (the notified calls failing with ENOSYS). Every filter
    // judges the command all the same; only among equal actions (two
    // errnos for one call) does the later load decide.
    built.sort_by_key(|(_, f)| f.keeps().is_none());
    for (link, filter) in built {
        log::set_tool(link.tool);
        log::set_verbose(link.verbose);
        filter.load()?;
    }
    log::set_tool(last.tool);
    log::set_verbose(last.verbose);
    verbose!("executing {}", show_command(&chain.command));
    launch.exec()
}

/// Enters link `i` by a real exec of the engine's binary, with the whole
/// command line and the handed-down fds (sk_common::handoff).
fn exec_link(ctx: &Ctx, i: usize) -> Result<Infallible> {
    use std::os::unix::ffi::OsStrExt;
    // The next process records the caller's signals as this one got them,
    // and takes the links' requests so far.
    sk_common::signals::restore()?;
    sk_common::chain::State::export();
    let table = sk_common::handoff::export(i)?;
    let argv = sk_common::exec::to_cstrings(&ctx.chain.argv)?;
    // SK_FUSE as this chain read it when it started: a link may have
    // changed the environment since (sk-env -i clears it).
    let mut env: Vec<CString> = std::env::vars_os()
        .filter(|(k, _)| k != sk_common::handoff::VAR && k != "SK_FUSE")
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    env.push(CString::new(format!(
        "{}={table}",
        sk_common::handoff::VAR
    ))?);
    if !ctx.fuse {
        env.push(CString::new("SK_FUSE=0")?);
    }
    let errno = match nix::unistd::execveat(
        &ctx.exe,
        c"",
        &argv,
        &env,
        nix::fcntl::AtFlags::AT_EMPTY_PATH,
    ) {
        Ok(never) => match never {},
        Err(e) => e,
    };
    Err(errno).cannot("execute the chain's own binary for the next link")
}

/// The chain ends at its first program that is not a seckun tool; after a
/// pivot or a mount-namespace join that program comes from the root, and a
/// seckun tool among its arguments (`env -i sk-capdrop ...`) would be the
/// root's own, run by it with whatever the chain left. -v says so.
fn warn_of_tools_in_the_command(chain: &Chain) {
    if !sk_common::log::verbose() {
        return;
    }
    let inside = chain.links.iter().any(|l| match &l.step {
        Step::Pivot(_) => true,
        Step::Unshare(p) => p
            .join
            .iter()
            .any(|j| j.ns == sk_unshare::namespaces::NsType::Mnt),
        _ => false,
    });
    let named = chain.command[1..]
        .iter()
        .find_map(|w| sk_common::tools::tool_named(w));
    if let (true, Some(tool)) = (inside, named) {
        verbose!(
            "warning: the chain ends at {}, a program of the new root; the {tool} among its \
             arguments is not a link of this chain, and would be the root's own",
            chain.command[0].to_string_lossy()
        );
    }
}
