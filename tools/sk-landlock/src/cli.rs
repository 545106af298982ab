//! sk-landlock's options, and the pure checks of what they ask for. No
//! system call, no file read: the paths are opened when the link runs
//! (restrict.rs), so after sk-pivot they are the container's.

use clap::Parser;
use landlock::{AccessFs, BitFlags, Scope};
use sk_common::cli::Common;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::access;

const EXAMPLES: &str = "\
Examples:
  Read everything, write only under /tmp, execute only from /usr and /bin
  (on merged-/usr systems /bin is a link into /usr: --optional leaves it out):
    sk-landlock --ro / --rw /tmp --exec /usr --exec /bin --optional /bin sh -c 'echo hi > /tmp/x'
  The container preset, after the pivot (the paths are the container's):
    sk-unshare -mup sk-pivot /tmp/myroot sk-landlock --preset container /bin/sh
  A server that may listen on 8080 and connect nowhere:
    sk-landlock --preset container --bind-tcp 8080 /usr/bin/server
  No signal or abstract socket reaches a process outside:
    sk-landlock --preset container --scope abstract-unix,signal /bin/sh
  Print the preset's rules, to start a policy of your own from them:
    sk-landlock --preset container --print true
  An older kernel: apply what it can, and say what was left out:
    sk-landlock --best-effort --preset container --bind-tcp 443 /bin/sh
  Step by step, root inside refused writes outside --rw, the preset and
  --print: docs/tutorial.md, section 14 (Landlock):
    less docs/tutorial.md

ACCESS (--allow): execute, write-file, read-file, read-dir, remove-dir,
remove-file, make-char, make-dir, make-reg, make-sock, make-fifo,
make-block, make-sym, refer (ABI 2), truncate (ABI 3), ioctl-dev (ABI 5).

Exit status: the command's own; 125 if sk-landlock fails (bad usage, a
missing path, a rule the kernel's Landlock ABI cannot keep); 126 if the
command cannot be executed; 127 if it is not found.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-landlock",
    version,
    about = "Restrict what a command may touch with Landlock, then run it",
    long_about = "Puts itself in a Landlock domain that allows only the listed filesystem \
accesses beneath the listed paths, TCP binds and connects to the listed ports, and no signal \
or abstract UNIX socket connection to processes outside the domain (scopes), then executes \
COMMAND. The restriction holds for root too, whatever its capabilities, and for \
everything COMMAND executes. By default it is strict: everything the kernel's Landlock ABI \
can restrict is restricted except what is allowed, and a rule the kernel cannot keep is an \
error.",
    override_usage = "sk-landlock [OPTIONS] {--ro PATH | --rw PATH | --preset container | --allow-nothing ...} COMMAND [ARGS]...",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Allow reading files and listing directories beneath PATH
    #[arg(long, value_name = "PATH")]
    pub ro: Vec<PathBuf>,

    /// Allow reading and writing beneath PATH: also write, create, remove,
    /// rename, link and truncate
    #[arg(long, value_name = "PATH")]
    pub rw: Vec<PathBuf>,

    /// Allow executing files beneath PATH (add --ro or --rw to read them)
    #[arg(long, value_name = "PATH")]
    pub exec: Vec<PathBuf>,

    /// Allow ioctl on devices beneath PATH (Landlock ABI 5)
    #[arg(long, value_name = "PATH")]
    pub dev: Vec<PathBuf>,

    /// Allow the named access rights beneath PATH, e.g. read-file,execute:/opt/app
    #[arg(long, value_name = "ACCESS:PATH", value_parser = parse_allow)]
    pub allow: Vec<(BitFlags<AccessFs>, PathBuf)>,

    /// A rule for PATH is left out when PATH is missing or is a symbolic
    /// link, instead of failing
    #[arg(long, value_name = "PATH")]
    pub optional: Vec<PathBuf>,

    /// Follow symbolic links in rule paths (by default a link on the path
    /// is an error: /srv/data -> / must not grant all of /); magic links of
    /// /proc are never followed
    #[arg(long)]
    pub follow_symlinks: bool,

    /// Start from a preset: container (see --print)
    #[arg(long, value_name = "NAME", value_parser = parse_preset)]
    pub preset: Option<Preset>,

    /// Allow no filesystem access at all (an empty rule set is otherwise an error)
    #[arg(long)]
    pub allow_nothing: bool,

    /// Allow binding TCP PORT (Landlock ABI 4); every other TCP bind is
    /// denied; `any` leaves binds unrestricted
    #[arg(long, value_name = "PORT", value_parser = parse_port)]
    pub bind_tcp: Vec<Port>,

    /// Allow connecting to TCP PORT (Landlock ABI 4); every other TCP
    /// connect is denied; `any` leaves connects unrestricted
    #[arg(long, value_name = "PORT", value_parser = parse_port)]
    pub connect_tcp: Vec<Port>,

    /// Exactly these scopes (Landlock ABI 6): abstract-unix (no connection
    /// to an abstract UNIX socket made outside the domain), signal (no
    /// signal to a process outside it), or none [default: both, where the
    /// kernel has them]
    #[arg(long, value_name = "SCOPES", value_parser = access::parse_scopes)]
    pub scope: Option<BitFlags<Scope>>,

    /// On a kernel whose Landlock ABI cannot keep every rule, apply what it
    /// can and say on stderr what was left out, instead of failing
    #[arg(long)]
    pub best_effort: bool,

    /// Print the rules, as options, on stderr before applying them
    #[arg(long)]
    pub print: bool,

    /// The command to run and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// A named starting point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    Container,
}

/// A --bind-tcp or --connect-tcp value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Port {
    Number(u16),
    Any,
}

/// Which TCP ports one kind of access (bind or connect) may use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ports {
    /// These ports only; none when empty (the default: all denied).
    Only(Vec<u16>),
    /// Not restricted.
    Any,
}

/// The scopes to enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scopes {
    /// Every scope the kernel's ABI has (none below ABI 6).
    Default,
    /// Exactly these, required (an error below ABI 6 unless --best-effort).
    Exactly(BitFlags<Scope>),
}

/// One filesystem rule: `access` beneath `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub path: PathBuf,
    pub access: BitFlags<AccessFs>,
    /// Rights granted only where the kernel mediates them, never required
    /// (the preset's ioctl on the terminal).
    pub if_mediated: BitFlags<AccessFs>,
    /// Left out when missing or a symbolic link.
    pub optional: bool,
}

/// What the options ask for, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub rules: Vec<Rule>,
    pub follow_symlinks: bool,
    pub allow_nothing: bool,
    pub bind_tcp: Ports,
    pub connect_tcp: Ports,
    pub scopes: Scopes,
    pub best_effort: bool,
    pub print: bool,
    /// sk-landlock sets no_new_privs (Landlock needs it without
    /// CAP_SYS_ADMIN, and the crate sets it): nothing executed after this
    /// link gains privileges from setuid bits or file capabilities, and an
    /// AppArmor profile change after it must stack (sk-aaexec --stack).
    pub no_new_privs: bool,
    pub command: Vec<OsString>,
}

fn parse_allow(spec: &str) -> Result<(BitFlags<AccessFs>, PathBuf), String> {
    let (names, path) = spec
        .split_once(':')
        .ok_or_else(|| format!("'{spec}' is not ACCESS:PATH"))?;
    Ok((access::parse_fs(names)?, PathBuf::from(path)))
}

fn parse_preset(name: &str) -> Result<Preset, String> {
    match name {
        "container" => Ok(Preset::Container),
        _ => Err(format!("unknown preset '{name}' (known: container)")),
    }
}

fn parse_port(spec: &str) -> Result<Port, String> {
    if spec == "any" {
        return Ok(Port::Any);
    }
    if spec.is_empty() || !spec.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{spec}' is not a port number (0 to 65535) or any"));
    }
    spec.parse::<u16>()
        .map(Port::Number)
        .map_err(|_| format!("port {spec} is out of range (0 to 65535)"))
}

fn ports(values: &[Port]) -> Ports {
    if values.contains(&Port::Any) {
        return Ports::Any;
    }
    let mut v: Vec<u16> = values
        .iter()
        .filter_map(|p| match p {
            Port::Number(n) => Some(*n),
            Port::Any => None,
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    Ports::Only(v)
}

/// The container preset: read-only /usr, /bin, /lib*, /etc and /proc;
/// read-write /tmp, /dev/shm, /dev/null and the terminal; execution from
/// /usr and /bin. Every path is optional: images differ (on merged-/usr
/// Debian /bin and /lib are links into /usr, which its own rule covers).
pub fn preset_rules(preset: Preset) -> Vec<Rule> {
    match preset {
        Preset::Container => {
            let ro = access::ro();
            let rw = access::rw();
            let exec = ro | AccessFs::Execute;
            let tty = AccessFs::IoctlDev.into();
            [
                ("/usr", exec, BitFlags::EMPTY),
                ("/bin", exec, BitFlags::EMPTY),
                ("/lib", ro, BitFlags::EMPTY),
                ("/lib32", ro, BitFlags::EMPTY),
                ("/lib64", ro, BitFlags::EMPTY),
                ("/libx32", ro, BitFlags::EMPTY),
                ("/etc", ro, BitFlags::EMPTY),
                ("/proc", ro, BitFlags::EMPTY),
                ("/tmp", rw, BitFlags::EMPTY),
                ("/dev/shm", rw, BitFlags::EMPTY),
                ("/dev/null", rw, BitFlags::EMPTY),
                ("/dev/tty", rw, tty),
                ("/dev/pts", rw, tty),
            ]
            .into_iter()
            .map(|(path, access, if_mediated)| Rule {
                path: path.into(),
                access,
                if_mediated,
                optional: true,
            })
            .collect()
        }
    }
}

/// Adds `access` beneath `path`, to an existing rule for the same path.
fn add(rules: &mut Vec<Rule>, path: &Path, access: BitFlags<AccessFs>) {
    match rules.iter_mut().find(|r| r.path == path) {
        Some(rule) => rule.access |= access,
        None => rules.push(Rule {
            path: path.to_path_buf(),
            access,
            if_mediated: BitFlags::EMPTY,
            optional: false,
        }),
    }
}

impl Cli {
    /// The rules in order: the preset's, then the options'.
    fn rules(&self) -> Result<Vec<Rule>, String> {
        let mut rules = self.preset.map(preset_rules).unwrap_or_default();
        let groups = [
            (&self.ro, access::ro()),
            (&self.rw, access::rw()),
            (&self.exec, AccessFs::Execute.into()),
            (&self.dev, AccessFs::IoctlDev.into()),
        ];
        let allowed = self.allow.iter().map(|(a, p)| (p, *a));
        let named = groups
            .iter()
            .flat_map(|(paths, a)| paths.iter().map(move |p| (p, *a)));
        for (path, access) in named.chain(allowed) {
            if !path.is_absolute() {
                return Err(format!("rule path '{}' is not absolute", path.display()));
            }
            add(&mut rules, path, access);
        }
        for path in &self.optional {
            match rules.iter_mut().find(|r| &r.path == path) {
                Some(rule) => rule.optional = true,
                None => return Err(format!("--optional {} names no rule path", path.display())),
            }
        }
        Ok(rules)
    }

    pub fn plan(self) -> Result<Plan, String> {
        let rules = self.rules()?;
        if rules.is_empty() && !self.allow_nothing {
            return Err(
                "no filesystem rule: give --ro, --rw, --exec, --dev, --allow or \
                 --preset, or --allow-nothing to allow no filesystem access at all"
                    .into(),
            );
        }
        if !rules.is_empty() && self.allow_nothing {
            return Err("--allow-nothing with filesystem rules: choose one".into());
        }
        Ok(Plan {
            rules,
            follow_symlinks: self.follow_symlinks,
            allow_nothing: self.allow_nothing,
            bind_tcp: ports(&self.bind_tcp),
            connect_tcp: ports(&self.connect_tcp),
            scopes: self.scope.map_or(Scopes::Default, Scopes::Exactly),
            best_effort: self.best_effort,
            print: self.print,
            no_new_privs: true,
            command: self.command,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(args: &[&str]) -> Result<Plan, String> {
        let cli = Cli::try_parse_from(std::iter::once("sk-landlock").chain(args.iter().copied()))
            .map_err(|e| e.to_string())?;
        cli.plan()
    }

    #[test]
    fn rules_for_one_path_are_merged_and_the_command_passes_intact() {
        let p = plan(&[
            "--ro", "/", "--rw", "/tmp", "--exec", "/usr", "--ro", "/usr", "sh", "-c", "x", "--rw",
        ])
        .unwrap();
        assert_eq!(p.command, ["sh", "-c", "x", "--rw"]);
        let paths: Vec<&str> = p.rules.iter().map(|r| r.path.to_str().unwrap()).collect();
        assert_eq!(paths, ["/", "/usr", "/tmp"]);
        assert_eq!(p.rules[1].access, access::ro() | AccessFs::Execute);
        assert!(p.rules.iter().all(|r| !r.optional));
        assert_eq!(p.bind_tcp, Ports::Only(vec![]));
        assert_eq!(p.scopes, Scopes::Default);
        assert!(p.no_new_privs && !p.best_effort);
    }

    #[test]
    fn an_empty_rule_set_needs_allow_nothing() {
        let e = plan(&["--bind-tcp", "80", "true"]).unwrap_err();
        assert!(e.starts_with("no filesystem rule"), "{e}");
        let p = plan(&["--allow-nothing", "true"]).unwrap();
        assert!(p.rules.is_empty() && p.allow_nothing);
        assert!(plan(&["--allow-nothing", "--ro", "/", "true"]).is_err());
    }

    #[test]
    fn ports_are_numbers_in_range_or_any() {
        let p = plan(&[
            "--ro",
            "/",
            "--bind-tcp",
            "8080",
            "--bind-tcp",
            "80",
            "true",
        ])
        .unwrap();
        assert_eq!(p.bind_tcp, Ports::Only(vec![80, 8080]));
        let p = plan(&["--ro", "/", "--connect-tcp", "any", "true"]).unwrap();
        assert_eq!(p.connect_tcp, Ports::Any);
        let e = plan(&["--ro", "/", "--bind-tcp", "65536", "true"]).unwrap_err();
        assert!(e.contains("port 65536 is out of range (0 to 65535)"), "{e}");
        assert!(plan(&["--ro", "/", "--bind-tcp", "-1", "true"]).is_err());
        assert!(plan(&["--ro", "/", "--connect-tcp", "http", "true"]).is_err());
    }

    #[test]
    fn allow_takes_names_and_a_path() {
        let p = plan(&["--allow", "read-file,execute:/opt/a:b", "true"]).unwrap();
        assert_eq!(p.rules[0].path, Path::new("/opt/a:b"));
        assert_eq!(p.rules[0].access, AccessFs::ReadFile | AccessFs::Execute);
        let e = plan(&["--allow", "read-fil:/opt", "true"]).unwrap_err();
        assert!(e.contains("unknown access right 'read-fil'"), "{e}");
        assert!(plan(&["--allow", "/opt", "true"]).is_err());
    }

    #[test]
    fn paths_are_absolute_and_optional_names_a_rule() {
        assert!(plan(&["--ro", "usr", "true"])
            .unwrap_err()
            .contains("not absolute"));
        let p = plan(&["--ro", "/lib64", "--optional", "/lib64", "true"]).unwrap();
        assert!(p.rules[0].optional);
        assert!(plan(&["--ro", "/lib", "--optional", "/lib64", "true"])
            .unwrap_err()
            .contains("names no rule path"));
    }

    #[test]
    fn the_container_preset_is_what_the_man_page_says() {
        let p = plan(&["--preset", "container", "--rw", "/srv", "sh"]).unwrap();
        let find = |path: &str| p.rules.iter().find(|r| r.path == Path::new(path)).unwrap();
        assert_eq!(find("/usr").access, access::ro() | AccessFs::Execute);
        assert_eq!(find("/etc").access, access::ro());
        assert_eq!(find("/tmp").access, access::rw());
        assert_eq!(find("/dev/pts").if_mediated, AccessFs::IoctlDev);
        assert!(find("/lib64").optional);
        assert!(!find("/srv").optional);
        assert!(plan(&["--preset", "desktop", "sh"])
            .unwrap_err()
            .contains("unknown preset 'desktop'"));
    }

    #[test]
    fn scopes_are_exact_when_named() {
        let p = plan(&["--ro", "/", "--scope", "signal", "true"]).unwrap();
        assert_eq!(p.scopes, Scopes::Exactly(Scope::Signal.into()));
        let p = plan(&["--ro", "/", "--scope", "none", "true"]).unwrap();
        assert_eq!(p.scopes, Scopes::Exactly(BitFlags::EMPTY));
        assert!(plan(&["--ro", "/", "--scope", "ptrace", "true"]).is_err());
    }
}
