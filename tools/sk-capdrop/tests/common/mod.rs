//! What the integration tests share: reading a command's capability sets
//! from the /proc/self/status it printed.

#![allow(dead_code)]

use sk_testkit::{run, sk, Output};
use std::path::{Path, PathBuf};

pub const SYS_TIME: u64 = 1 << 25;
pub const SYS_CHROOT: u64 = 1 << 18;
pub const NET_BIND_SERVICE: u64 = 1 << 10;
pub const SETUID: u64 = 1 << 7;
pub const SETGID: u64 = 1 << 6;
pub const SETPCAP: u64 = 1 << 8;

/// The capability lines of /proc/PID/status, and NoNewPrivs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub inh: u64,
    pub prm: u64,
    pub eff: u64,
    pub bnd: u64,
    pub amb: u64,
    pub no_new_privs: bool,
    /// Real and effective uid.
    pub uid: (u32, u32),
}

impl Status {
    pub fn parse(text: &str) -> Status {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
                .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
        };
        let hex = |name: &str| u64::from_str_radix(&field(name), 16).unwrap();
        let uids: Vec<u32> = field("Uid:")
            .split_whitespace()
            .map(|u| u.parse().unwrap())
            .collect();
        Status {
            inh: hex("CapInh:"),
            prm: hex("CapPrm:"),
            eff: hex("CapEff:"),
            bnd: hex("CapBnd:"),
            amb: hex("CapAmb:"),
            no_new_privs: field("NoNewPrivs:") == "1",
            uid: (uids[0], uids[1]),
        }
    }

    /// The test runner's own sets: what the tool starts with.
    pub fn own() -> Status {
        Status::parse(&std::fs::read_to_string("/proc/self/status").unwrap())
    }

    /// The five sets, named as /proc names them.
    pub fn sets(&self) -> [(&'static str, u64); 5] {
        [
            ("CapInh", self.inh),
            ("CapPrm", self.prm),
            ("CapEff", self.eff),
            ("CapBnd", self.bnd),
            ("CapAmb", self.amb),
        ]
    }

    /// Panics unless none of the five sets holds a bit of `mask`.
    #[track_caller]
    pub fn lacks_everywhere(&self, mask: u64) {
        for (name, set) in self.sets() {
            assert_eq!(set & mask, 0, "{name} {set:016x} still holds {mask:016x}");
        }
    }
}

/// Runs `sk-capdrop ARGS... cat /proc/self/status` and reads cat's sets.
pub fn status_after(args: &[&str]) -> Status {
    let out = run(sk("sk-capdrop")
        .args(args)
        .args(["cat", "/proc/self/status"]));
    out.success();
    Status::parse(&out.stdout)
}

/// Runs a chain that ends in `cat /proc/self/status` and reads cat's sets.
pub fn status_of(out: &Output) -> Status {
    out.success();
    Status::parse(&out.stdout)
}

/// A temp dir that uid 65534 can enter and write to.
pub fn open_tempdir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("sk-capdrop.")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

/// A copy of cat in `dir` with file capabilities `caps` (setcap syntax).
pub fn cat_with_file_caps(dir: &Path, name: &str, caps: &str) -> PathBuf {
    let copy = dir.join(name);
    std::fs::copy(cat(), &copy).unwrap();
    let out = run(sk_testkit::cmd("setcap").arg(caps).arg(&copy));
    assert!(out.status.success(), "setcap {caps}: {}", out.stderr);
    copy
}

/// A copy of cat in `dir`, owned by root, with the setuid bit.
pub fn setuid_root_cat(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let copy = dir.join("cat-suid");
    std::fs::copy(cat(), &copy).unwrap();
    std::os::unix::fs::chown(&copy, Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o4755)).unwrap();
    copy
}

fn cat() -> PathBuf {
    ["/usr/bin/cat", "/bin/cat"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("cat")
}

/// The words that make a command run as uid/gid 65534 without groups.
pub const AS_NOBODY: [&str; 6] = [
    "setpriv",
    "--reuid",
    "65534",
    "--regid",
    "65534",
    "--clear-groups",
];

/// `setpriv ... sk-capdrop`: the tool as uid/gid 65534, without capabilities.
pub fn capdrop_as_nobody() -> std::process::Command {
    let mut c = sk_testkit::cmd(AS_NOBODY[0]);
    c.args(&AS_NOBODY[1..]).arg(sk_testkit::bin("sk-capdrop"));
    c
}
