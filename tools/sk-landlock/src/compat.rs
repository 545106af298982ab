//! What a plan becomes on a kernel with a given Landlock ABI: what is
//! handled (restricted), what each rule grants, and what the ABI cannot
//! keep. Pure, so every ABI is unit-tested here whatever the host has.

use landlock::{Access, AccessFs, AccessNet, BitFlags, Scope};

use crate::access;
use crate::cli::{Plan, Ports, Scopes};

/// A promise the ABI cannot keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shortfall {
    /// The feature (an option or a right), as the user wrote or knows it.
    pub feature: &'static str,
    /// The ABI that has it.
    pub needs: u8,
    /// What is lost without it.
    pub why: &'static str,
}

impl std::fmt::Display for Shortfall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} needs ABI {} ({})",
            self.feature, self.needs, self.why
        )
    }
}

/// The plan on one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// The ABI used: the kernel's, capped at the newest this tool knows.
    pub abi: u8,
    /// Filesystem rights restricted.
    pub fs: BitFlags<AccessFs>,
    /// What each of `plan.rules` grants, in the same order (empty: nothing
    /// the kernel mediates, so the rule is left out).
    pub rules: Vec<BitFlags<AccessFs>>,
    /// TCP rights restricted.
    pub net: BitFlags<AccessNet>,
    /// The allowed ports, each with its rights.
    pub ports: Vec<(u16, BitFlags<AccessNet>)>,
    pub scopes: BitFlags<Scope>,
    /// What the ABI cannot keep: an error unless --best-effort.
    pub left_out: Vec<Shortfall>,
}

fn shortfalls(plan: &Plan, abi: u8) -> Vec<Shortfall> {
    let mut out = Vec::new();
    let mut need = |cond: bool, feature, needs, why| {
        if cond && abi < needs {
            out.push(Shortfall {
                feature,
                needs,
                why,
            });
        }
    };
    need(
        true,
        "Landlock",
        1,
        "this kernel has none: not built in, or not in lsm=",
    );
    if abi == 0 {
        return out;
    }
    // Every rule set denies what it does not allow, and below ABI 3 a
    // truncate is never denied: neither --ro nor the paths outside --rw
    // would be safe from it.
    need(
        true,
        "truncate",
        3,
        "below it --ro and the paths outside --rw can still be truncated",
    );
    let requested = plan.rules.iter().fold(BitFlags::EMPTY, |a, r| a | r.access);
    need(
        requested.contains(AccessFs::Refer),
        "refer",
        2,
        "renaming or linking into another directory under --rw",
    );
    need(
        requested.contains(AccessFs::IoctlDev),
        "--dev",
        5,
        "ioctl on devices",
    );
    let listed = |p: &Ports| matches!(p, Ports::Only(v) if !v.is_empty());
    need(listed(&plan.bind_tcp), "--bind-tcp", 4, "TCP ports");
    need(listed(&plan.connect_tcp), "--connect-tcp", 4, "TCP ports");
    let scoped = matches!(plan.scopes, Scopes::Exactly(s) if !s.is_empty());
    need(scoped, "--scope", 6, "scopes");
    out
}

fn tcp(plan: &Plan, abi: u8) -> (BitFlags<AccessNet>, Vec<(u16, BitFlags<AccessNet>)>) {
    let mut handled = BitFlags::EMPTY;
    let mut ports: Vec<(u16, BitFlags<AccessNet>)> = Vec::new();
    for (spec, right) in [
        (&plan.bind_tcp, AccessNet::BindTcp),
        (&plan.connect_tcp, AccessNet::ConnectTcp),
    ] {
        if !AccessNet::from_all(access::abi(abi)).contains(right) {
            continue;
        }
        let Ports::Only(list) = spec else { continue };
        handled |= right;
        for port in list {
            match ports.iter_mut().find(|(p, _)| p == port) {
                Some((_, a)) => *a |= right,
                None => ports.push((*port, right.into())),
            }
        }
    }
    (handled, ports)
}

pub fn decide(plan: &Plan, abi: u8) -> Decision {
    let fs = access::fs_handled(abi);
    let rules = plan
        .rules
        .iter()
        .map(|r| (r.access | r.if_mediated) & fs)
        .collect();
    let (net, ports) = tcp(plan, abi);
    let available = Scope::from_all(access::abi(abi));
    let scopes = match plan.scopes {
        Scopes::Default => available,
        Scopes::Exactly(s) => s & available,
    };
    Decision {
        abi: abi.min(access::NEWEST),
        fs,
        rules,
        net,
        ports,
        scopes,
        left_out: shortfalls(plan, abi),
    }
}

/// The shortfalls on one line.
pub fn list(left_out: &[Shortfall]) -> String {
    left_out
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn plan(args: &[&str]) -> Plan {
        crate::cli::Cli::try_parse_from(std::iter::once("sk-landlock").chain(args.iter().copied()))
            .unwrap()
            .plan()
            .unwrap()
    }

    fn features(d: &Decision) -> Vec<&str> {
        d.left_out.iter().map(|s| s.feature).collect()
    }

    #[test]
    fn on_abi_7_everything_is_kept_and_restricted() {
        let p = plan(&["--ro", "/", "--rw", "/tmp", "--bind-tcp", "8080", "true"]);
        let d = decide(&p, 7);
        assert!(d.left_out.is_empty(), "{:?}", d.left_out);
        assert_eq!(d.fs, AccessFs::from_all(landlock::ABI::V7));
        assert_eq!(d.net, AccessNet::BindTcp | AccessNet::ConnectTcp);
        assert_eq!(d.ports, [(8080, AccessNet::BindTcp.into())]);
        assert_eq!(d.scopes, Scope::AbstractUnixSocket | Scope::Signal);
        assert_eq!(d.rules[1], access::rw());
    }

    #[test]
    fn on_abi_2_truncate_and_network_rules_cannot_be_kept() {
        let p = plan(&["--ro", "/", "--rw", "/tmp", "--bind-tcp", "8080", "true"]);
        let d = decide(&p, 2);
        assert_eq!(features(&d), ["truncate", "--bind-tcp"]);
        assert_eq!(
            list(&d.left_out),
            "truncate needs ABI 3 (below it --ro and the paths outside --rw can still be \
             truncated), --bind-tcp needs ABI 4 (TCP ports)"
        );
        // What can be applied still is: the filesystem rules without truncate.
        assert_eq!(d.rules[1], access::rw() & !AccessFs::Truncate);
        assert!(d.net.is_empty() && d.ports.is_empty() && d.scopes.is_empty());
    }

    #[test]
    fn a_read_only_rule_alone_fails_below_abi_3() {
        let d = decide(&plan(&["--ro", "/", "true"]), 2);
        assert_eq!(features(&d), ["truncate"]);
        assert!(decide(&plan(&["--ro", "/", "true"]), 3).left_out.is_empty());
        let d = decide(&plan(&["--allow-nothing", "true"]), 1);
        assert_eq!(features(&d), ["truncate"]);
    }

    #[test]
    fn dev_needs_abi_5_but_the_presets_terminal_ioctl_does_not() {
        let d = decide(&plan(&["--rw", "/dev/dri", "--dev", "/dev/dri", "x"]), 4);
        assert_eq!(features(&d), ["--dev"]);
        assert_eq!(d.rules[0], access::rw());
        let p = plan(&["--preset", "container", "x"]);
        let d = decide(&p, 4);
        assert!(d.left_out.is_empty(), "{:?}", d.left_out);
        let pts = p
            .rules
            .iter()
            .position(|r| r.path.ends_with("pts"))
            .unwrap();
        assert_eq!(d.rules[pts], access::rw());
        let d = decide(&p, 5);
        assert_eq!(d.rules[pts], access::rw() | AccessFs::IoctlDev);
    }

    #[test]
    fn scopes_by_default_are_whatever_the_abi_has() {
        let p = plan(&["--ro", "/", "x"]);
        assert!(decide(&p, 5).left_out.is_empty());
        assert!(decide(&p, 5).scopes.is_empty());
        let p = plan(&["--ro", "/", "--scope", "signal", "x"]);
        assert_eq!(features(&decide(&p, 5)), ["--scope"]);
        assert_eq!(decide(&p, 6).scopes, Scope::Signal);
        let p = plan(&["--ro", "/", "--scope", "none", "x"]);
        assert!(decide(&p, 5).left_out.is_empty());
        assert!(decide(&p, 7).scopes.is_empty());
    }

    #[test]
    fn any_port_leaves_that_access_unrestricted() {
        let p = plan(&["--ro", "/", "--connect-tcp", "any", "--bind-tcp", "80", "x"]);
        let d = decide(&p, 4);
        assert_eq!(d.net, AccessNet::BindTcp);
        assert_eq!(d.ports, [(80, AccessNet::BindTcp.into())]);
        let p = plan(&[
            "--ro",
            "/",
            "--connect-tcp",
            "443",
            "--bind-tcp",
            "443",
            "x",
        ]);
        let d = decide(&p, 7);
        assert_eq!(d.ports, [(443, AccessNet::BindTcp | AccessNet::ConnectTcp)]);
        // "any" needs no ABI: nothing is restricted.
        let p = plan(&["--ro", "/", "--connect-tcp", "any", "x"]);
        assert!(decide(&p, 3).left_out.is_empty());
    }

    #[test]
    fn no_landlock_at_all_is_one_shortfall() {
        let d = decide(&plan(&["--ro", "/", "--bind-tcp", "1", "x"]), 0);
        assert_eq!(features(&d), ["Landlock"]);
        assert!(d.fs.is_empty());
        let d = decide(&plan(&["--rw", "/", "x"]), 1);
        assert_eq!(features(&d), ["truncate", "refer"]);
    }

    #[test]
    fn a_newer_kernel_is_used_as_the_newest_known_abi() {
        let d = decide(&plan(&["--ro", "/", "x"]), 10);
        assert_eq!(d.abi, access::NEWEST);
        assert_eq!(d.fs, AccessFs::from_all(landlock::ABI::V7));
        assert_eq!(d.net, AccessNet::BindTcp | AccessNet::ConnectTcp);
    }
}
