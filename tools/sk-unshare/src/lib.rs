//! sk-unshare: new namespaces, or joined ones, then exec.
//!
//! Order of the steps, and why:
//! 1. open the namespaces to join (before any setns changes what paths mean);
//! 2. fork the id-map helper when the maps must be written from outside;
//! 3. setns into the joined namespaces, user first;
//! 4. unshare(2) the new ones in one call (the user namespace is made first);
//! 5. write the id maps, then the time offsets (before anyone enters);
//! 6. hostname, mount propagation, lo: these need the capabilities the new
//!    user namespace gives, and must act on the new namespaces;
//! 7. fork when a pid or time namespace needs it, and exec.

pub mod cli;
pub mod idmap;
pub mod init;
pub mod loopback;
pub mod namespaces;
pub mod propagation;
pub mod timens;

use clap::CommandFactory;
use nix::unistd::{getegid, geteuid, getpid};
use sk_common::parent::{die_with_parent, fork_and_wait};
use sk_common::{exec, verbose, Result};
use std::convert::Infallible;

use namespaces::NsType;

/// The parser, for man pages and completions.
pub fn command() -> clap::Command {
    cli::Cli::command()
}

pub fn main() -> Result<Infallible> {
    let args: cli::Cli = sk_common::cli::parse();
    args.common.apply();
    let euid = geteuid();
    let plan = args
        .plan(euid.as_raw(), getegid().as_raw())
        .map_err(anyhow::Error::msg)?;

    let joined = namespaces::open_joins(&plan.join)?;
    let writer = idmap::prepare(&plan.idmap)?;
    namespaces::join(joined)?;
    namespaces::create(&plan.create, euid.is_root())?;
    idmap::write(writer, &plan.idmap)?;
    if let Some((monotonic, boottime)) = plan.time_offsets {
        timens::write_offsets(monotonic, boottime)?;
    }
    if let Some(name) = &plan.hostname {
        nix::unistd::sethostname(name).map_err(|e| {
            anyhow::Error::new(e).context(format!("cannot set the hostname to {name}"))
        })?;
        verbose!("hostname set to {name}");
    }
    if plan.create.contains(&NsType::Mnt) {
        propagation::set_root_propagation(plan.propagation)?;
    }
    if plan.create.contains(&NsType::Net) {
        loopback::bring_up_lo()?;
    }

    if !plan.fork {
        exec::exec(&args.command);
    }
    let outer = getpid();
    fork_and_wait(move |parent| {
        if let Some(sig) = plan.kill_child {
            die_with_parent(sig, outer)?;
        }
        if plan.mount_proc {
            propagation::mount_proc()?;
        }
        if plan.init {
            return init::run_init(parent, &args.command);
        }
        parent.restore_in_child()?;
        exec::exec(&args.command)
    })
}
