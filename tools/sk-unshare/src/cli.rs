//! sk-unshare's options, and the pure checks of what they ask for.
//! No system call happens here: the result is a [`Plan`] that `lib.rs`
//! applies.

use clap::Parser;
use sk_common::cli::Common;
pub use sk_common::mount::Propagation;
use std::ffi::OsString;
use std::path::PathBuf;

use crate::idmap::{IdMap, IdRange, MapRequest, SetGroups};
use crate::namespaces::{Join, NsType};

const EXAMPLES: &str = "\
Examples:
  New mount, uts and pid namespaces; a minimal init is PID 1, the shell PID 2:
    sk-unshare -mup sh -c 'echo $$'
  The shell itself as PID 1, as before (it then ignores Ctrl-C and SIGTERM):
    sk-unshare -mup --as-pid-1 sh -c 'echo $$'
  The headline chain:
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot /tmp/myroot sk-capdrop sys_time /bin/sh
  A hostname of its own:
    sk-unshare -u --hostname seckun-1.local hostname
  Join a network namespace made by `ip netns add seckun-1`:
    sk-unshare --join net=seckun-1 ping -c1 10.100.100.1
  Rootless, as root inside a user namespace:
    sk-unshare -U -r -m id -u
  The container ends within a second of its caller, whatever it does:
    sk-unshare -mp --die-with-parent --mount-proc ps -e
  Step by step, with what you should see: docs/tutorial.md, sections 2 (pid,
  mount and UTS namespaces), 3 (network), 9 (user) and 10 (time):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-unshare fails; 126 if the command
cannot be executed; 127 if it is not found; 128+N if it dies by signal N.";

#[derive(Parser, Debug)]
#[command(
    name = "sk-unshare",
    version,
    about = "Run a command in new namespaces, or in existing ones",
    long_about = "Creates new namespaces (unshare(2)) and joins existing ones (setns(2)) for \
itself, then executes COMMAND in them. With a new or joined pid or time namespace it forks: the \
parent stays outside, forwards signals and exits with the child's status. In a new pid \
namespace a minimal init is PID 1 and COMMAND PID 2 (--as-pid-1: COMMAND is PID 1).",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// New mount namespace (/ is made private, see --propagation)
    #[arg(short = 'm', long)]
    pub mount: bool,
    /// New UTS namespace (hostname, domainname)
    #[arg(short = 'u', long)]
    pub uts: bool,
    /// New IPC namespace
    #[arg(short = 'i', long)]
    pub ipc: bool,
    /// New network namespace, with only `lo`, brought up
    #[arg(short = 'n', long)]
    pub net: bool,
    /// New pid namespace (forks: a minimal init is PID 1, COMMAND PID 2)
    #[arg(short = 'p', long)]
    pub pid: bool,
    /// New user namespace
    #[arg(short = 'U', long)]
    pub user: bool,
    /// New cgroup namespace
    #[arg(short = 'C', long)]
    pub cgroup: bool,
    /// New time namespace (forks; see --monotonic, --boottime)
    #[arg(short = 'T', long)]
    pub time: bool,

    /// Join an existing namespace: TYPE=PATH, TYPE=PID (that process's), or
    /// net=NAME (/var/run/netns/NAME). TYPE: mnt uts ipc net pid user cgroup time
    #[arg(short = 'j', long, value_name = "TYPE=WHERE", value_parser = parse_join)]
    pub join: Vec<Join>,

    /// Set the hostname in the new UTS namespace (needs -u)
    #[arg(long, value_name = "NAME")]
    pub hostname: Option<String>,

    /// Mount propagation of / in the new mount namespace
    #[arg(long, value_enum, default_value_t = Propagation::Private)]
    pub propagation: Propagation,

    /// Fork even without a pid or time namespace, and stay as the parent
    #[arg(short = 'f', long)]
    pub fork: bool,

    /// PID 1 is a minimal init that runs COMMAND as PID 2, reaps orphans and
    /// forwards signals: the default with -p, accepted for clarity
    #[arg(long, conflicts_with = "as_pid_1")]
    pub init: bool,

    /// COMMAND itself is PID 1 of the new pid namespace (no init; it then
    /// receives only the signals it has a handler for)
    #[arg(long)]
    pub as_pid_1: bool,

    /// When the caller (sk-unshare's parent) dies, kill the namespace's
    /// init from outside, and with it every process of the container
    /// (needs -p)
    #[arg(long)]
    pub die_with_parent: bool,

    #[command(flatten)]
    pub fds: sk_common::fds::KeepArgs,

    /// When the outer sk-unshare dies, send SIGNAL (default KILL) to the child
    #[arg(long, value_name = "SIGNAL", num_args = 0..=1, require_equals = true,
          default_missing_value = "KILL", value_parser = parse_signal)]
    pub kill_child: Option<nix::sys::signal::Signal>,

    /// Mount a fresh /proc for the new pid namespace (needs -m)
    #[arg(long)]
    pub mount_proc: bool,

    /// Map the current user and group to root in the new user namespace
    /// (implies --setgroups deny)
    #[arg(short = 'r', long)]
    pub map_root_user: bool,

    /// Map the current user and group to themselves in the new user namespace
    #[arg(short = 'c', long, conflicts_with = "map_root_user")]
    pub map_current_user: bool,

    /// Map the current user to UID inside the new user namespace
    #[arg(long, value_name = "UID", conflicts_with_all = ["map_root_user", "map_current_user"])]
    pub map_user: Option<u32>,

    /// Map the current group to GID inside the new user namespace
    #[arg(long, value_name = "GID", conflicts_with_all = ["map_root_user", "map_current_user"])]
    pub map_group: Option<u32>,

    /// Map a range of users: INNER:OUTER:COUNT, as in /proc/PID/uid_map
    /// (written by root, or through newuidmap)
    #[arg(long, value_name = "INNER:OUTER:COUNT", value_parser = parse_range)]
    pub map_users: Vec<IdRange>,

    /// Map a range of groups: INNER:OUTER:COUNT (root, or newgidmap)
    #[arg(long, value_name = "INNER:OUTER:COUNT", value_parser = parse_range)]
    pub map_groups: Vec<IdRange>,

    /// Allow or deny setgroups(2) in the new user namespace
    #[arg(long, value_enum, value_name = "allow|deny")]
    pub setgroups: Option<SetGroups>,

    /// Offset of CLOCK_MONOTONIC in the new time namespace, in seconds
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub monotonic: Option<i64>,

    /// Offset of CLOCK_BOOTTIME in the new time namespace, in seconds
    #[arg(long, value_name = "SECS", allow_negative_numbers = true)]
    pub boottime: Option<i64>,

    /// The command to run, and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

fn parse_join(spec: &str) -> Result<Join, String> {
    let (kind, place) = spec
        .split_once('=')
        .or_else(|| spec.split_once(':'))
        .ok_or_else(|| format!("'{spec}' is not TYPE=PATH (e.g. net=/var/run/netns/seckun-1)"))?;
    let ns = NsType::from_name(kind).ok_or_else(|| {
        format!("unknown namespace type '{kind}' (mnt uts ipc net pid user cgroup time)")
    })?;
    if place.is_empty() {
        return Err(format!("no namespace given for {kind}"));
    }
    let path = if place.bytes().all(|b| b.is_ascii_digit()) {
        // A pid: that process's namespace, as nsenter -t does.
        PathBuf::from(format!("/proc/{place}/ns/{}", ns.proc_name()))
    } else if ns == NsType::Net && !place.contains('/') {
        // A bare name: the convention of `ip netns`.
        PathBuf::from(format!("/var/run/netns/{place}"))
    } else {
        PathBuf::from(place)
    };
    Ok(Join { ns, path })
}

fn parse_range(spec: &str) -> Result<IdRange, String> {
    let parts: Vec<&str> = spec.split([':', ',']).collect();
    let [inner, outer, count] = parts[..] else {
        return Err(format!("'{spec}' is not INNER:OUTER:COUNT"));
    };
    let num = |s: &str, what: &str| {
        s.parse::<u32>()
            .map_err(|_| format!("'{s}' is not a valid {what} in '{spec}'"))
    };
    let range = IdRange {
        inner: num(inner, "inner id")?,
        outer: num(outer, "outer id")?,
        count: num(count, "count")?,
    };
    if range.count == 0 {
        return Err(format!("count is 0 in '{spec}'"));
    }
    Ok(range)
}

fn parse_signal(s: &str) -> Result<nix::sys::signal::Signal, String> {
    use std::str::FromStr;
    if let Ok(n) = s.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|_| format!("no signal {n}"));
    }
    let upper = s.to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    nix::sys::signal::Signal::from_str(&name).map_err(|_| format!("unknown signal '{s}'"))
}

/// What the options ask for, checked for consistency.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub create: Vec<NsType>,
    pub join: Vec<Join>,
    pub hostname: Option<String>,
    pub propagation: Propagation,
    pub fork: bool,
    /// A minimal init at the final exec: a new pid namespace without --as-pid-1.
    pub init: bool,
    pub die_with_parent: bool,
    /// A mount namespace is joined: inherited fds are closed but these.
    pub keep: Option<sk_common::fds::KeepArgs>,
    pub kill_child: Option<nix::sys::signal::Signal>,
    pub mount_proc: bool,
    pub idmap: IdMap,
    /// What the maps were made from: the engine makes them again with the
    /// ids at this link's time (an earlier sk-user may have changed them).
    pub map_request: crate::idmap::MapRequest,
    pub time_offsets: Option<(i64, i64)>,
}

impl Cli {
    /// The map options, as plain values for [`IdMap::new`].
    fn map_request(&self) -> MapRequest {
        MapRequest {
            root: self.map_root_user,
            current: self.map_current_user,
            user: self.map_user,
            group: self.map_group,
            users: self.map_users.clone(),
            groups: self.map_groups.clone(),
            setgroups: self.setgroups,
        }
    }

    /// Checks the options against each other; `euid`/`egid` are the
    /// caller's, for the maps.
    pub fn plan(&self, euid: u32, egid: u32) -> Result<Plan, String> {
        let mut create = Vec::new();
        for (on, ns) in [
            (self.user, NsType::User),
            (self.mount, NsType::Mnt),
            (self.uts, NsType::Uts),
            (self.ipc, NsType::Ipc),
            (self.net, NsType::Net),
            (self.pid, NsType::Pid),
            (self.cgroup, NsType::Cgroup),
            (self.time, NsType::Time),
        ] {
            if on {
                create.push(ns);
            }
        }
        for j in &self.join {
            if create.contains(&j.ns) {
                return Err(format!(
                    "cannot both create and join a {} namespace",
                    j.ns.name()
                ));
            }
            if self.join.iter().filter(|o| o.ns == j.ns).count() > 1 {
                return Err(format!("{} namespace joined twice", j.ns.name()));
            }
        }
        let joins = |ns| self.join.iter().any(|j| j.ns == ns);
        if let Some(name) = &self.hostname {
            if !self.uts {
                return Err("--hostname needs a new UTS namespace (-u)".into());
            }
            if name.is_empty() || name.len() > 64 {
                return Err(format!("hostname '{name}' must be 1 to 64 bytes"));
            }
        }
        if self.mount_proc && !self.mount {
            return Err("--mount-proc needs a new mount namespace (-m)".into());
        }
        let pid = self.pid || joins(NsType::Pid);
        if self.init && !pid {
            return Err("--init needs a pid namespace (-p or --join pid=...)".into());
        }
        if self.as_pid_1 && !self.pid {
            return Err("--as-pid-1 needs a new pid namespace (-p)".into());
        }
        if self.die_with_parent && !self.pid {
            // Only the death of a namespace's init takes every process
            // with it, whatever they did to their parent-death signal.
            return Err("--die-with-parent needs a new pid namespace (-p)".into());
        }
        let joins_mnt = joins(NsType::Mnt);
        if !joins_mnt && (!self.fds.keep_fd.is_empty() || self.fds.unsafe_keep_dir_fd) {
            return Err(
                "--keep-fd is for a joined mount namespace (--join mnt=...); \
                        sk-pivot has its own"
                    .into(),
            );
        }
        let time = self.time || joins(NsType::Time);
        if (self.monotonic.is_some() || self.boottime.is_some()) && !self.time {
            return Err("--monotonic and --boottime need a new time namespace (-T)".into());
        }
        let idmap = IdMap::new(&self.map_request(), euid, egid)?;
        if !idmap.is_empty() && !self.user {
            return Err("user and group maps need a new user namespace (-U)".into());
        }
        let fork = self.fork || pid || time || self.kill_child.is_some();
        if self.kill_child.is_some() && !(self.fork || pid || time) {
            // --kill-child means a parent stays; say it rather than fork quietly.
            return Err("--kill-child needs a parent that stays: add -f, -p or -T".into());
        }
        Ok(Plan {
            create,
            join: self.join.clone(),
            hostname: self.hostname.clone(),
            propagation: self.propagation,
            fork,
            init: self.pid && !self.as_pid_1,
            die_with_parent: self.die_with_parent,
            keep: joins_mnt.then(|| self.fds.clone()),
            kill_child: self.kill_child,
            mount_proc: self.mount_proc,
            idmap,
            map_request: self.map_request(),
            time_offsets: if self.time {
                Some((self.monotonic.unwrap_or(0), self.boottime.unwrap_or(0)))
            } else {
                None
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        Cli::try_parse_from(std::iter::once("sk-unshare").chain(args.iter().copied())).unwrap()
    }

    fn plan(args: &[&str]) -> Result<Plan, String> {
        cli(args).plan(1000, 1000)
    }

    #[test]
    fn combined_short_flags() {
        let p = plan(&["-mup", "sk-cgroup", "cpu=20000"]).unwrap();
        assert_eq!(p.create, [NsType::Mnt, NsType::Uts, NsType::Pid]);
        assert!(p.fork);
        assert_eq!(
            cli(&["-mup", "sk-cgroup", "-v"]).command,
            ["sk-cgroup", "-v"]
        );
    }

    #[test]
    fn long_names() {
        let p = plan(&["--mount", "--uts", "--ipc", "--net", "--cgroup", "true"]).unwrap();
        assert_eq!(p.create.len(), 5);
        assert!(!p.fork);
    }

    #[test]
    fn join_specs() {
        let c = cli(&[
            "--join",
            "net=seckun-1",
            "-j",
            "uts=/proc/1/ns/uts",
            "--join",
            "mnt:42",
            "x",
        ]);
        assert_eq!(c.join[0].path, PathBuf::from("/var/run/netns/seckun-1"));
        assert_eq!(c.join[1].ns, NsType::Uts);
        assert_eq!(c.join[2].path, PathBuf::from("/proc/42/ns/mnt"));
        for bad in ["net", "foo=/x", "net="] {
            assert!(
                Cli::try_parse_from(["sk-unshare", "--join", bad, "x"]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn hostname_needs_uts() {
        assert!(plan(&["--hostname", "a", "true"])
            .unwrap_err()
            .contains("-u"));
        assert!(plan(&["-u", "--hostname", "seckun-1.local", "true"]).is_ok());
        assert!(plan(&["-u", "--hostname", &"x".repeat(65), "true"]).is_err());
    }

    #[test]
    fn die_with_parent_needs_a_pid_namespace_and_keep_fd_a_mount_join() {
        assert!(plan(&["-f", "--die-with-parent", "true"]).is_err());
        assert!(
            plan(&["-p", "--die-with-parent", "true"])
                .unwrap()
                .die_with_parent
        );
        assert!(plan(&["-m", "--keep-fd", "5", "true"]).is_err());
        let p = plan(&["--join", "mnt=1", "--keep-fd", "5", "true"]).unwrap();
        assert_eq!(p.keep.unwrap().keep_fd, [5]);
    }

    #[test]
    fn init_needs_a_pid_namespace() {
        assert!(plan(&["--init", "true"]).is_err());
        assert!(plan(&["-p", "--init", "true"]).unwrap().init);
        assert!(plan(&["-p", "true"]).unwrap().init, "the default");
        assert!(!plan(&["-p", "--as-pid-1", "true"]).unwrap().init);
        assert!(Cli::try_parse_from(["sk-unshare", "-p", "--as-pid-1", "--init", "true"]).is_err());
        assert!(plan(&["-m", "--as-pid-1", "true"]).is_err());
        assert!(plan(&["--join", "pid=1", "--init", "true"]).unwrap().fork);
    }

    #[test]
    fn create_and_join_the_same_type_conflict() {
        assert!(plan(&["-n", "--join", "net=x", "true"]).is_err());
    }

    #[test]
    fn maps_need_a_user_namespace() {
        assert!(plan(&["-r", "true"]).is_err());
        assert!(plan(&["-U", "-r", "true"]).is_ok());
    }

    #[test]
    fn time_offsets_need_a_time_namespace() {
        assert!(plan(&["--monotonic", "10", "true"]).is_err());
        let p = plan(&["-T", "--monotonic", "-10", "--boottime", "5", "true"]).unwrap();
        assert_eq!(p.time_offsets, Some((-10, 5)));
        assert!(p.fork);
    }

    #[test]
    fn kill_child_signal() {
        let c = cli(&["-p", "--kill-child", "true"]);
        assert_eq!(c.kill_child, Some(nix::sys::signal::Signal::SIGKILL));
        let c = cli(&["-p", "--kill-child=TERM", "true"]);
        assert_eq!(c.kill_child, Some(nix::sys::signal::Signal::SIGTERM));
        assert!(plan(&["--kill-child", "true"]).is_err());
    }

    #[test]
    fn ranges() {
        let c = cli(&["-U", "--map-users", "0:100000:65536", "true"]);
        assert_eq!(
            c.map_users[0],
            IdRange {
                inner: 0,
                outer: 100000,
                count: 65536
            }
        );
        for bad in ["0:1", "a:1:2", "0:1:0", "0:1:2:3"] {
            assert!(
                Cli::try_parse_from(["sk-unshare", "--map-users", bad, "x"]).is_err(),
                "{bad}"
            );
        }
    }
}
