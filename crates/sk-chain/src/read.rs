//! Reading a chain: each link by its own tool's parser, up to the first
//! word that is not a seckun tool.
//!
//! The link boundary is what each parser calls its command, never a scan of
//! later words: `sk-pivot R env -i sk-capdrop ...` ends at `env`, a program
//! of the root, and `sk-capdrop` is only an argument of it.

use crate::{Chain, Link, Step};
use sk_common::cli::Parsed;
use sk_common::tools::tool_named;
use sk_common::{log, Result};
use std::ffi::OsString;

/// Far more links than any chain needs; each fused link is a few stack
/// frames deeper, and reading one copies the words after it.
pub const MAX_LINKS: usize = 256;

/// Reads every link of `argv`, the first one being `tool`.
pub fn read(tool: &'static str, argv: Vec<OsString>) -> Result<Chain> {
    let mut links = Vec::new();
    let mut tool = tool;
    let mut words = argv;
    // The parsers show the tool's name in their usage, whatever argv[0] was.
    words[0] = tool.into();
    let whole = words.clone();
    loop {
        log::set_tool(tool);
        if links.len() == MAX_LINKS {
            anyhow::bail!("cannot read the chain: it has more than {MAX_LINKS} links");
        }
        let (link, command) = read_link(tool, &words)?;
        links.push(link);
        match command.first().and_then(|w| tool_named(w)) {
            Some(next) => {
                tool = next;
                words = command;
                words[0] = tool.into();
            }
            None => {
                log::set_tool(links[0].tool);
                return Ok(Chain {
                    links,
                    command,
                    argv: whole,
                });
            }
        }
    }
}

fn read_link(tool: &'static str, words: &[OsString]) -> Result<(Link, Vec<OsString>)> {
    fn link<P>(tool: &'static str, p: Parsed<P>, step: fn(P) -> Step) -> (Link, Vec<OsString>) {
        let link = Link {
            tool,
            verbose: p.common.verbose,
            tty: p.common.tty_mode(),
            step: step(p.plan),
        };
        (link, p.command)
    }
    Ok(match tool {
        "sk-unshare" => link(tool, sk_unshare::link(words)?, Step::Unshare),
        "sk-pivot" => link(tool, sk_pivot::link(words)?, Step::Pivot),
        "sk-cgroup" => link(tool, sk_cgroup::link(words)?, Step::Cgroup),
        "sk-capdrop" => link(tool, sk_capdrop::link(words)?, Step::Capdrop),
        "sk-seccomp" => link(tool, sk_seccomp::link(words)?, Step::Seccomp),
        "sk-aaexec" => link(tool, sk_aaexec::link(words)?, Step::Aaexec),
        "sk-user" => link(tool, sk_user::link(words)?, Step::User),
        "sk-rlimit" => link(tool, sk_rlimit::link(words)?, Step::Rlimit),
        "sk-env" => link(tool, sk_env::link(words)?, Step::Env),
        "sk-landlock" => link(tool, sk_landlock::link(words)?, Step::Landlock),
        other => unreachable!("{other} is in sk_common::tools::TOOLS but has no step"),
    })
}
