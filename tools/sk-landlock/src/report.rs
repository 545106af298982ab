//! --print (the rules, as options a user can start from) and the -v
//! summary; both on stderr, which stdout belongs to the command.

use landlock::{AccessFs, AccessNet, BitFlags};
use std::path::Path;

use crate::access;
use crate::cli::{Plan, Ports};
use crate::compat::Decision;
use crate::restrict::Opened;

/// The options that grant `access` beneath `path`.
pub fn options(path: &Path, access: BitFlags<AccessFs>, optional: bool) -> String {
    let p = path.display();
    let mut words = Vec::new();
    let mut rest = access;
    for (group, option) in [(access::rw(), "--rw"), (access::ro(), "--ro")] {
        if rest.contains(group) {
            words.push(format!("{option} {p}"));
            rest &= !group;
        }
    }
    for (right, option) in [(AccessFs::Execute, "--exec"), (AccessFs::IoctlDev, "--dev")] {
        if rest.contains(right) {
            words.push(format!("{option} {p}"));
            rest &= !right;
        }
    }
    if !rest.is_empty() {
        words.push(format!("--allow {}:{p}", access::fs_names(rest)));
    }
    if optional {
        words.push(format!("--optional {p}"));
    }
    words.join(" ")
}

fn tcp_line(option: &str, spec: &Ports, right: AccessNet, d: &Decision) -> String {
    match spec {
        Ports::Any => format!("{option} any"),
        _ if !d.net.contains(right) => {
            format!("(no {option}: not restricted below Landlock ABI 4)")
        }
        Ports::Only(list) if list.is_empty() => format!("(no {option}: every one denied)"),
        Ports::Only(list) => list
            .iter()
            .map(|n| format!("{option} {n}"))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The lines of --print.
pub fn lines(plan: &Plan, d: &Decision, opened: &[Opened]) -> Vec<String> {
    let mode = if plan.best_effort {
        "best effort"
    } else {
        "strict"
    };
    let mut out = vec![format!(
        "Landlock ABI {}, {mode}, no_new_privs set; the rules as options:",
        d.abi
    )];
    if plan.rules.is_empty() {
        out.push("  --allow-nothing".into());
    }
    for ((rule, grant), o) in plan.rules.iter().zip(&d.rules).zip(opened) {
        let shown = if grant.is_empty() {
            rule.access
        } else {
            *grant
        };
        let mut line = format!("  {}", options(&rule.path, shown, rule.optional));
        if let Opened::Skipped(why) = o {
            line.push_str(&format!("  (left out: {why})"));
        }
        out.push(line);
    }
    out.push(format!(
        "  {}",
        tcp_line("--bind-tcp", &plan.bind_tcp, AccessNet::BindTcp, d)
    ));
    out.push(format!(
        "  {}",
        tcp_line("--connect-tcp", &plan.connect_tcp, AccessNet::ConnectTcp, d)
    ));
    out.push(format!("  --scope {}", access::scope_names(d.scopes)));
    out
}

pub fn print(plan: &Plan, d: &Decision, opened: &[Opened]) {
    for line in lines(plan, d, opened) {
        sk_common::say!("{}: {line}", sk_common::log::tool());
    }
}

/// One line for -v: what the domain allows.
pub fn summary(plan: &Plan, d: &Decision, opened: &[Opened]) -> String {
    let applied = opened
        .iter()
        .filter(|o| matches!(o, Opened::Fd(..)))
        .count();
    let left: Vec<String> = plan
        .rules
        .iter()
        .zip(opened)
        .filter_map(|(r, o)| match o {
            Opened::Skipped(why) => Some(format!("{} ({why})", r.path.display())),
            Opened::Fd(..) => None,
        })
        .collect();
    let tcp = |right: AccessNet, spec: &Ports| match spec {
        _ if !d.net.contains(right) => "any port".to_string(),
        Ports::Only(list) if !list.is_empty() => {
            let v: Vec<String> = list.iter().map(u16::to_string).collect();
            format!("port {} only", v.join(","))
        }
        _ => "no port".to_string(),
    };
    format!(
        "restricted with Landlock ABI {}: {applied} path rules{}, TCP bind to {}, \
         TCP connect to {}, scopes {}; no_new_privs set",
        d.abi,
        if left.is_empty() {
            String::new()
        } else {
            format!(" (left out: {})", left.join(", "))
        },
        tcp(AccessNet::BindTcp, &plan.bind_tcp),
        tcp(AccessNet::ConnectTcp, &plan.connect_tcp),
        access::scope_names(d.scopes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rights_print_as_the_options_that_give_them() {
        let p = Path::new("/usr");
        assert_eq!(
            options(p, access::ro() | AccessFs::Execute, true),
            "--ro /usr --exec /usr --optional /usr"
        );
        assert_eq!(
            options(p, access::rw() | AccessFs::IoctlDev, false),
            "--rw /usr --dev /usr"
        );
        assert_eq!(
            options(p, AccessFs::ReadFile | AccessFs::MakeDir, false),
            "--allow read-file,make-dir:/usr"
        );
    }
}
