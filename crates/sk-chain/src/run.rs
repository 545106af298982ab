//! Running a chain: each step, then the next one by a call, then the
//! command. Steps that stay as a parent (a pid namespace, `sk-cgroup --rm`,
//! a seccomp supervisor) fork, and the rest of the chain runs in the child.

use crate::prepare::{Item, Prepared};
use crate::{Chain, Step};
use sk_common::cli::show_command;
use sk_common::{log, verbose, Next, Result};
use std::convert::Infallible;

pub fn run(chain: &Chain, prepared: &Prepared) -> Result<Infallible> {
    run_from(chain, prepared, 0)
}

fn run_from(chain: &Chain, prepared: &Prepared, i: usize) -> Result<Infallible> {
    let Some(link) = chain.links.get(i) else {
        return exec_command(chain, prepared);
    };
    log::set_tool(link.tool);
    log::set_verbose(link.verbose);
    verbose!("link {} of {}, in this process", i + 1, chain.links.len());
    let next: Next = Box::new(move || run_from(chain, prepared, i + 1));
    match (&link.step, &prepared.links[i]) {
        (Step::Unshare(p), _) => sk_unshare::apply(p, next),
        (Step::Pivot(p), _) => sk_pivot::apply(p, next),
        (Step::Cgroup(p), _) => sk_cgroup::apply(p, next),
        (Step::Capdrop(p), _) => sk_capdrop::apply(p, next),
        (Step::Seccomp(p), Some(Item::Seccomp(prep))) => sk_seccomp::stand(p, prep, next),
        // Its request is made just before the command's exec.
        (Step::Aaexec(_), _) => next(),
        (Step::Seccomp(_), _) => unreachable!("every sk-seccomp link is prepared"),
    }
}

/// The end of the chain: the command is found (127/126 before anything
/// else is done), AppArmor's transitions are requested, the seccomp filters
/// are loaded in the order of their links, and the command is executed.
/// The filters come last so that they judge the command, never a step of
/// the chain; after them, nothing but the execve.
fn exec_command(chain: &Chain, prepared: &Prepared) -> Result<Infallible> {
    let last = chain.links.last().expect("a chain has a link");
    log::set_tool(last.tool);
    log::set_verbose(last.verbose);
    let launch = sk_seccomp::launch::Launch::prepare(&chain.command)?;
    for (link, item) in chain.links.iter().zip(&prepared.links) {
        if let (Step::Aaexec(plan), Some(Item::Aaexec(prep))) = (&link.step, item) {
            log::set_tool(link.tool);
            log::set_verbose(link.verbose);
            sk_aaexec::confine_at_exec(plan, prep, &chain.command)?;
        }
    }
    for (link, item) in chain.links.iter().zip(&prepared.links) {
        if let (Step::Seccomp(plan), Some(Item::Seccomp(prep))) = (&link.step, item) {
            log::set_tool(link.tool);
            log::set_verbose(link.verbose);
            sk_seccomp::load_at_exec(plan, prep)?;
        }
    }
    log::set_tool(last.tool);
    log::set_verbose(last.verbose);
    verbose!("executing {}", show_command(&chain.command));
    launch.exec()
}
