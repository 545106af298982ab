//! sk-pivot's options, and the pure checks of what they ask for. No system
//! call and no path resolution happens here: the result is a [`Plan`] that
//! `lib.rs` applies.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{ArgMatches, Parser, ValueEnum};
use sk_common::cli::Common;
pub use sk_common::mount::Propagation;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

const EXAMPLES: &str = "\
Examples:
  A shell in a root filesystem, as PID 1 of its own pid namespace:
    sk-unshare -mp sk-pivot /tmp/myroot /bin/sh
  The headline chain:
    sk-unshare -mup sk-cgroup cpu=20000 sk-pivot /tmp/myroot sk-capdrop sys_time /bin/sh
  A read-only root with a scratch tmpfs and the host's data read-only:
    sk-unshare -mp sk-pivot --read-only --tmpfs /tmp:size=64m --ro-bind /srv/data:/data \\
        /tmp/myroot /bin/sh
  One device of the host inside (its node opens; every other bind is nodev):
    sk-unshare -mp sk-pivot --dev-bind /dev/fuse /tmp/myroot /bin/sh
  Name resolution as on the host:
    sk-unshare -mp sk-pivot --resolv /tmp/myroot wget -qO- http://example.org/
  Step by step, chroot's escape and why it fails here: docs/tutorial.md,
  section 2 (pivot_root, /proc, /dev):
    less docs/tutorial.md

Exit status: the command's own; 125 if sk-pivot fails (nothing is executed);
126 if the command cannot be executed; 127 if it is not found.";

/// Paths that show host-wide kernel state, hidden as OCI runtimes do: files
/// are covered with /dev/null, directories with an empty read-only tmpfs.
pub const DEFAULT_MASKS: [&str; 12] = [
    "/proc/acpi",
    "/proc/asound",
    "/proc/interrupts",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Paths under /proc whose writes change the whole machine, made read-only.
pub const DEFAULT_READ_ONLY: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

#[derive(Parser, Debug)]
#[command(
    name = "sk-pivot",
    version,
    about = "Move into a root filesystem with pivot_root(2), then exec the command",
    long_about = "Moves the calling process into NEWROOT with pivot_root(2) and executes \
COMMAND there. The old root is detached, so no path inside leads back to the host's files. \
NEWROOT gets a fresh /proc, a minimal /dev, and the masked and read-only paths that OCI \
runtimes use. sk-pivot must run in a mount namespace of its own (sk-unshare -m); it refuses \
otherwise.",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,

    /// Do not mount a fresh /proc
    #[arg(long)]
    pub no_proc: bool,

    /// Do not build a /dev (leave NEWROOT's own /dev as it is; nodev, as all
    /// of NEWROOT: its nodes do not open)
    #[arg(long, conflicts_with_all = ["dev_host", "devtmpfs"])]
    pub no_dev: bool,

    /// Bind the host's whole /dev instead of a minimal one (UNSAFE: every host
    /// device, disks and /dev/mem included, is reachable inside)
    #[arg(long, conflicts_with = "devtmpfs")]
    pub dev_host: bool,

    /// Mount a devtmpfs on /dev instead of a minimal one (UNSAFE: devtmpfs is
    /// the host's one device tree, with every device the kernel knows)
    #[arg(long)]
    pub devtmpfs: bool,

    /// Mount /sys, read-only
    #[arg(long)]
    pub sys: bool,

    /// Do not mask or make read-only the default paths (--mask and --ro still apply)
    #[arg(long)]
    pub no_mask: bool,

    /// Also mask PATH (inside NEWROOT): /dev/null on a file, an empty
    /// read-only tmpfs on a directory (repeatable)
    #[arg(long, value_name = "PATH", value_parser = parse_inner_path)]
    pub mask: Vec<PathBuf>,

    /// Also make PATH (inside NEWROOT) read-only (repeatable)
    #[arg(long = "ro", value_name = "PATH", value_parser = parse_inner_path)]
    pub ro: Vec<PathBuf>,

    /// Bind-mount the host's SRC on DST inside NEWROOT (SRC alone: the same
    /// path inside); repeatable, applied in the order given
    #[arg(long, value_name = "SRC[:DST]", value_parser = parse_bind)]
    pub bind: Vec<BindSpec>,

    /// As --bind, read-only (recursively)
    #[arg(long, value_name = "SRC[:DST]", value_parser = parse_bind)]
    pub ro_bind: Vec<BindSpec>,

    /// As --bind, with device nodes under SRC usable inside (UNSAFE: every
    /// other bind is nodev; see NOTES)
    #[arg(long, value_name = "SRC[:DST]", value_parser = parse_bind)]
    pub dev_bind: Vec<BindSpec>,

    /// Mount a tmpfs on DST inside NEWROOT; OPTIONS: size=N[k|m|g|%],
    /// mode=OCTAL, nr_inodes=N (repeatable)
    #[arg(long, value_name = "DST[:OPTIONS]", value_parser = parse_tmpfs)]
    pub tmpfs: Vec<TmpfsSpec>,

    /// Remount NEWROOT read-only, after every other mount
    #[arg(long)]
    pub read_only: bool,

    /// Change to DIR (inside NEWROOT) instead of /
    #[arg(long, value_name = "DIR", value_parser = parse_inner_path)]
    pub chdir: Option<PathBuf>,

    /// Bind the host's /etc/resolv.conf read-only on NEWROOT's
    #[arg(long)]
    pub resolv: bool,

    #[command(flatten)]
    pub fds: sk_common::fds::KeepArgs,

    /// Mount propagation of / before anything is mounted: private (nothing
    /// goes in or out) or slave (host mounts still come in)
    //
    // Why here, though sk-unshare -m does the same: sk-pivot may follow
    // `sk-unshare --propagation unchanged` or a joined namespace, and a
    // mount made in a namespace whose / is shared would appear on the host.
    #[arg(long, value_name = "private|slave", default_value = "private",
          value_parser = PossibleValuesParser::new(["private", "slave"])
              .map(|s| Propagation::from_str(&s, false).expect("a listed value")))]
    pub propagation: Propagation,

    /// The root filesystem to move into (a directory)
    #[arg(value_name = "NEWROOT")]
    pub newroot: PathBuf,

    /// The command to run, and its arguments
    #[arg(value_name = "COMMAND", required = true, trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

/// `--bind SRC:DST`: SRC on the host, DST inside NEWROOT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindSpec {
    pub src: PathBuf,
    pub dst: PathBuf,
}

/// `--tmpfs DST:size=..,mode=..`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TmpfsSpec {
    pub dst: PathBuf,
    /// The mount data, checked: only the keys we know, with valid values.
    pub options: String,
}

/// A mount the user asked for, in the order given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UserMount {
    Bind {
        src: PathBuf,
        dst: PathBuf,
        read_only: bool,
        /// Device nodes open under it (--dev-bind); nodev otherwise.
        devices: bool,
    },
    Tmpfs {
        dst: PathBuf,
        options: String,
    },
}

/// What /dev inside becomes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Dev {
    Minimal,
    Host,
    Devtmpfs,
    Untouched,
}

/// What the options ask for.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub newroot: PathBuf,
    pub propagation: Propagation,
    pub proc: bool,
    pub dev: Dev,
    pub sys: bool,
    pub mounts: Vec<UserMount>,
    pub resolv: bool,
    pub read_only_paths: Vec<PathBuf>,
    pub masks: Vec<PathBuf>,
    pub read_only: bool,
    pub chdir: Option<PathBuf>,
    /// The inherited fds that may cross into NEWROOT; all others are closed.
    pub keep: sk_common::fds::KeepArgs,
}

/// A path inside NEWROOT: absolute, and not `/` itself.
fn check_inner(path: &Path, what: &str) -> Result<(), String> {
    if !path.is_absolute() {
        return Err(format!(
            "{what} '{}' must be an absolute path inside NEWROOT",
            path.display()
        ));
    }
    if path.components().any(|c| c == Component::ParentDir) {
        return Err(format!("{what} '{}' must not contain '..'", path.display()));
    }
    if path
        .components()
        .all(|c| matches!(c, Component::RootDir | Component::CurDir))
    {
        return Err(format!("{what} '{}' is NEWROOT itself", path.display()));
    }
    Ok(())
}

fn parse_inner_path(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    check_inner(&p, "path")?;
    Ok(p)
}

fn parse_bind(spec: &str) -> Result<BindSpec, String> {
    let (src, dst) = match spec.split_once(':') {
        Some((src, dst)) => (src, dst),
        None => (spec, spec),
    };
    if src.is_empty() {
        return Err(format!("'{spec}' has no source (SRC[:DST])"));
    }
    if dst.is_empty() {
        return Err(format!("'{spec}' has no destination after ':' (SRC[:DST])"));
    }
    if dst.contains(':') {
        return Err(format!("'{spec}' has more than one ':' (SRC[:DST])"));
    }
    let dst = PathBuf::from(dst);
    check_inner(&dst, "destination")?;
    Ok(BindSpec {
        src: PathBuf::from(src),
        dst,
    })
}

fn parse_tmpfs(spec: &str) -> Result<TmpfsSpec, String> {
    let (dst, opts) = spec.split_once(':').unwrap_or((spec, ""));
    let dst = PathBuf::from(dst);
    check_inner(&dst, "destination")?;
    let mut options = Vec::new();
    let mut has_mode = false;
    for opt in opts.split(',').filter(|o| !o.is_empty()) {
        let (key, value) = opt
            .split_once('=')
            .ok_or_else(|| format!("tmpfs option '{opt}' is not KEY=VALUE"))?;
        let ok = match key {
            "size" => is_size(value, true),
            "nr_inodes" => is_size(value, false),
            "mode" => {
                has_mode = true;
                u32::from_str_radix(value, 8).is_ok_and(|m| m <= 0o7777)
            }
            _ => {
                return Err(format!(
                    "unknown tmpfs option '{key}' (size, mode, nr_inodes)"
                ))
            }
        };
        if !ok {
            return Err(format!("invalid value in tmpfs option '{opt}'"));
        }
        options.push(opt.to_string());
    }
    if !has_mode {
        options.push("mode=0755".into());
    }
    Ok(TmpfsSpec {
        dst,
        options: options.join(","),
    })
}

/// N, N with a k/m/g suffix, or (for sizes) a percentage of RAM.
fn is_size(v: &str, percent_ok: bool) -> bool {
    let digits = v.trim_end_matches(['k', 'K', 'm', 'M', 'g', 'G']);
    let digits = if percent_ok {
        digits.strip_suffix('%').unwrap_or(digits)
    } else {
        digits
    };
    let suffixes = v.len() - digits.len();
    !digits.is_empty() && suffixes <= 1 && digits.bytes().all(|b| b.is_ascii_digit())
}

impl Cli {
    /// --bind, --ro-bind and --tmpfs in the order they were typed (from
    /// `matches`; in the order of each option's list without it).
    fn user_mounts(&self, matches: Option<&ArgMatches>) -> Vec<UserMount> {
        let indices = |id: &str, n: usize| -> Vec<usize> {
            matches
                .and_then(|m| m.indices_of(id))
                .map(|i| i.collect())
                .unwrap_or_else(|| (0..n).collect())
        };
        let mut ordered: Vec<(usize, UserMount)> = Vec::new();
        // (option, its specs, read-only, device nodes usable)
        let binds = [
            ("bind", &self.bind, false, false),
            ("ro_bind", &self.ro_bind, true, false),
            ("dev_bind", &self.dev_bind, false, true),
        ];
        for (id, specs, read_only, devices) in binds {
            for (i, b) in indices(id, specs.len()).into_iter().zip(specs) {
                ordered.push((
                    i,
                    UserMount::Bind {
                        src: b.src.clone(),
                        dst: b.dst.clone(),
                        read_only,
                        devices,
                    },
                ));
            }
        }
        for (i, t) in indices("tmpfs", self.tmpfs.len())
            .into_iter()
            .zip(&self.tmpfs)
        {
            ordered.push((
                i,
                UserMount::Tmpfs {
                    dst: t.dst.clone(),
                    options: t.options.clone(),
                },
            ));
        }
        ordered.sort_by_key(|(i, _)| *i);
        ordered.into_iter().map(|(_, m)| m).collect()
    }

    /// The plan; `matches` (the same argv parsed once more) gives the order
    /// in which the mount options were typed, which is the order they are
    /// applied in: `--tmpfs /a --bind /x:/a/x` must mount the tmpfs first.
    pub fn plan(&self, matches: Option<&ArgMatches>) -> Result<Plan, String> {
        if self.newroot.as_os_str().is_empty() {
            return Err("NEWROOT is empty".into());
        }
        let mounts = self.user_mounts(matches);
        let dev = if self.no_dev {
            Dev::Untouched
        } else if self.dev_host {
            Dev::Host
        } else if self.devtmpfs {
            Dev::Devtmpfs
        } else {
            Dev::Minimal
        };
        let (mut masks, mut read_only_paths) = if self.no_mask {
            (Vec::new(), Vec::new())
        } else {
            (
                DEFAULT_MASKS.iter().map(PathBuf::from).collect::<Vec<_>>(),
                DEFAULT_READ_ONLY
                    .iter()
                    .map(PathBuf::from)
                    .collect::<Vec<_>>(),
            )
        };
        masks.extend(self.mask.iter().cloned());
        read_only_paths.extend(self.ro.iter().cloned());
        Ok(Plan {
            newroot: self.newroot.clone(),
            propagation: self.propagation,
            proc: !self.no_proc,
            dev,
            sys: self.sys,
            mounts,
            resolv: self.resolv,
            read_only_paths,
            masks,
            read_only: self.read_only,
            chdir: self.chdir.clone(),
            keep: self.fds.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("sk-pivot").chain(args.iter().copied()))
    }

    fn plan(args: &[&str]) -> Plan {
        let argv: Vec<&str> = std::iter::once("sk-pivot")
            .chain(args.iter().copied())
            .collect();
        let m = Cli::command().try_get_matches_from(&argv).unwrap();
        Cli::from_arg_matches(&m).unwrap().plan(Some(&m)).unwrap()
    }

    #[test]
    fn newroot_then_the_command_byte_for_byte() {
        let c = parse(&["-v", "/tmp/r", "sh", "-c", "echo --bind", "--tmpfs"]).unwrap();
        assert_eq!(c.newroot, PathBuf::from("/tmp/r"));
        assert_eq!(c.command, ["sh", "-c", "echo --bind", "--tmpfs"]);
        assert!(c.common.verbose);
    }

    #[test]
    fn an_empty_command_is_a_usage_error() {
        assert!(parse(&["/tmp/r"]).is_err());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn secure_defaults() {
        let p = plan(&["/r", "true"]);
        assert!(p.proc);
        assert_eq!(p.dev, Dev::Minimal);
        assert!(!p.sys && !p.read_only && !p.resolv);
        assert!(p.masks.contains(&PathBuf::from("/proc/kcore")));
        assert!(p
            .read_only_paths
            .contains(&PathBuf::from("/proc/sysrq-trigger")));
        assert_eq!(p.propagation, Propagation::Private);
    }

    #[test]
    fn no_mask_keeps_the_users_own_masks() {
        let p = plan(&[
            "--no-mask",
            "--mask",
            "/etc/shadow",
            "--ro",
            "/etc",
            "/r",
            "true",
        ]);
        assert_eq!(p.masks, [PathBuf::from("/etc/shadow")]);
        assert_eq!(p.read_only_paths, [PathBuf::from("/etc")]);
    }

    #[test]
    fn bind_specs() {
        let c = parse(&["--bind", "/data", "--bind", "/a:/b", "/r", "true"]).unwrap();
        assert_eq!(
            c.bind[0],
            BindSpec {
                src: "/data".into(),
                dst: "/data".into()
            }
        );
        assert_eq!(
            c.bind[1],
            BindSpec {
                src: "/a".into(),
                dst: "/b".into()
            }
        );
        // A relative source is a host path, relative to the current directory.
        assert!(parse(&["--bind", "data:/data", "/r", "true"]).is_ok());
    }

    #[test]
    fn malformed_bind_specs_are_refused() {
        for bad in [
            "",
            ":/x",
            "/x:",
            "/a:/b:/c",
            "/a:rel",
            "/a:/",
            "rel",
            "/a:/.",
            "/a:/b/../..",
        ] {
            assert!(parse(&["--bind", bad, "/r", "true"]).is_err(), "{bad:?}");
            assert!(parse(&["--ro-bind", bad, "/r", "true"]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn tmpfs_specs() {
        let c = parse(&[
            "--tmpfs",
            "/tmp",
            "--tmpfs",
            "/s:size=64m,mode=1777",
            "/r",
            "x",
        ])
        .unwrap();
        assert_eq!(c.tmpfs[0].options, "mode=0755");
        assert_eq!(c.tmpfs[1].options, "size=64m,mode=1777");
        assert!(parse(&["--tmpfs", "/s:size=10%,nr_inodes=1k", "/r", "x"]).is_ok());
        for bad in [
            "tmp",
            "/s:size=",
            "/s:size=1x",
            "/s:size=1mm",
            "/s:mode=9",
            "/s:mode=77777",
            "/s:uid=0",
            "/s:size",
            "/",
        ] {
            assert!(parse(&["--tmpfs", bad, "/r", "x"]).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn mounts_keep_the_order_they_were_typed_in() {
        let p = plan(&[
            "--tmpfs",
            "/a",
            "--ro-bind",
            "/x:/a/x",
            "--bind",
            "/y:/a/x/y",
            "/r",
            "t",
        ]);
        assert!(matches!(&p.mounts[0], UserMount::Tmpfs { dst, .. } if dst == Path::new("/a")));
        assert!(matches!(
            &p.mounts[1],
            UserMount::Bind {
                read_only: true,
                ..
            }
        ));
        assert!(matches!(
            &p.mounts[2],
            UserMount::Bind {
                read_only: false,
                ..
            }
        ));
    }

    #[test]
    fn binds_are_nodev_unless_named_dev_bind() {
        let p = plan(&[
            "--bind",
            "/a:/a",
            "--dev-bind",
            "/d:/d",
            "--ro-bind",
            "/b",
            "/r",
            "t",
        ]);
        let devices: Vec<bool> = p
            .mounts
            .iter()
            .map(|m| matches!(m, UserMount::Bind { devices: true, .. }))
            .collect();
        assert_eq!(devices, [false, true, false]);
        assert!(parse(&["--dev-bind", "/a:rel", "/r", "t"]).is_err());
    }

    #[test]
    fn dev_choices_exclude_each_other() {
        assert!(parse(&["--no-dev", "--dev-host", "/r", "t"]).is_err());
        assert!(parse(&["--dev-host", "--devtmpfs", "/r", "t"]).is_err());
        assert_eq!(plan(&["--dev-host", "/r", "t"]).dev, Dev::Host);
        assert_eq!(plan(&["--devtmpfs", "/r", "t"]).dev, Dev::Devtmpfs);
        assert_eq!(plan(&["--no-dev", "/r", "t"]).dev, Dev::Untouched);
    }

    #[test]
    fn inner_paths_must_be_absolute() {
        assert!(parse(&["--chdir", "home", "/r", "t"]).is_err());
        assert!(parse(&["--mask", "proc/kcore", "/r", "t"]).is_err());
        assert!(parse(&["--ro", "/", "/r", "t"]).is_err());
        assert!(parse(&["--propagation", "shared", "/r", "t"]).is_err());
        assert_eq!(
            plan(&["--propagation", "slave", "/r", "t"]).propagation,
            Propagation::Slave
        );
    }

    #[test]
    fn an_empty_newroot_is_refused() {
        assert!(parse(&["", "true"]).is_err());
    }
}
