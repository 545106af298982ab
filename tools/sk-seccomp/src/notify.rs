//! What the supervisor decides for one notified call, and how it says so.
//! Pure: the calls that act (reading the caller's memory, mknod) are in
//! `mknod.rs` and `supervisor.rs`.

use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

/// The answer to the kernel for one notification.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Let the call run as if unfiltered (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
    Continue,
    /// The call "returned" this value (the supervisor did the work).
    Value(i64),
    /// The call fails with this errno.
    Errno(i32),
}

/// The supervisor's policy, from the options.
#[derive(Debug, Default)]
pub struct Policy {
    pub errnos: BTreeMap<String, u16>,
    pub mknod: Vec<(u32, u32)>,
    /// The devices --allow-mount pinned.
    pub mounts: Vec<crate::mount::Pinned>,
    pub report: bool,
    pub learn: bool,
}

impl Policy {
    /// The errno a denied call gets: its rule's, EPERM by default.
    pub fn errno_for(&self, name: &str) -> i32 {
        self.errnos.get(name).map_or(libc::EPERM, |e| i32::from(*e))
    }
}

/// The major and minor numbers in mknod(2)'s `dev` argument (the kernel's
/// 32-bit encoding: minor's low 8 bits, major's 12 bits, minor's high 12).
pub fn decode_dev(dev: u64) -> (u32, u32) {
    let dev = dev as u32;
    ((dev >> 8) & 0xfff, (dev & 0xff) | ((dev >> 12) & 0xfff00))
}

/// The inverse of [`decode_dev`].
pub fn encode_dev(major: u32, minor: u32) -> u64 {
    u64::from((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & !0xff) << 12))
}

/// A mknod(2) or mknodat(2) call, from its arguments.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Mknod {
    /// None for mknod(2) and for AT_FDCWD: the caller's cwd.
    pub dirfd: Option<i32>,
    pub path: u64,
    pub mode: u32,
    pub dev: (u32, u32),
}

impl Mknod {
    pub fn from_call(name: &str, args: &[u64; 6]) -> Option<Mknod> {
        let (dirfd, rest) = match name {
            "mknod" => (None, &args[0..3]),
            "mknodat" => {
                let fd = args[0] as i32;
                (
                    if fd == libc::AT_FDCWD { None } else { Some(fd) },
                    &args[1..4],
                )
            }
            _ => return None,
        };
        Some(Mknod {
            dirfd,
            path: rest[0],
            mode: rest[1] as u32,
            dev: decode_dev(rest[2]),
        })
    }

    /// Whether this is one of the allowed character devices. Anything else
    /// (a block device, a FIFO or a plain file too) is refused.
    pub fn allowed(&self, devices: &[(u32, u32)]) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFCHR && devices.contains(&self.dev)
    }

    /// `c 1:3`, `b 8:0`, or the file type.
    pub fn describe_type(&self) -> String {
        let (maj, min) = self.dev;
        match self.mode & libc::S_IFMT {
            libc::S_IFCHR => format!("c {maj}:{min}"),
            libc::S_IFBLK => format!("b {maj}:{min}"),
            libc::S_IFIFO => "fifo".into(),
            libc::S_IFSOCK => "socket".into(),
            _ => "file".into(),
        }
    }
}

/// One `--report` line (without the tool's prefix): `pid 1234 uname(0x7ffc..,
/// 0x0, 0x0) denied (EPERM)`.
pub fn report_line(pid: u32, name: &str, args: &str, answer: Answer) -> String {
    let outcome = match answer {
        Answer::Continue => "allowed".to_string(),
        Answer::Value(_) => "done by the supervisor".to_string(),
        Answer::Errno(e) => format!("denied ({})", crate::rules::errno_name(e as u16)),
    };
    format!("pid {pid} {name}({args}) {outcome}")
}

/// The first three arguments, as hex.
pub fn show_args(args: &[u64; 6]) -> String {
    args[..3]
        .iter()
        .map(|a| format!("{a:#x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The learned allow list as a Docker/OCI profile: EPERM for everything
/// that was not seen (a learned list is rarely complete; a failing call is
/// easier to find than a dead process).
pub fn learned_profile(names: &BTreeSet<String>, arches: &[String]) -> String {
    let names: Vec<&String> = names.iter().collect();
    let profile = json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": libc::EPERM,
        "architectures": arches,
        "syscalls": [{ "names": names, "action": "SCMP_ACT_ALLOW" }],
    });
    let mut text = serde_json::to_string_pretty(&profile).expect("a JSON value serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_decode_as_the_kernel_encodes_them() {
        assert_eq!(decode_dev(0x103), (1, 3));
        assert_eq!(decode_dev(0x800), (8, 0));
        for (maj, min) in [(1, 3), (8, 0), (4095, 1048575), (259, 65536)] {
            assert_eq!(decode_dev(encode_dev(maj, min)), (maj, min));
            // glibc's makedev agrees for these numbers.
            assert_eq!(decode_dev(libc::makedev(maj, min)), (maj, min));
        }
    }

    #[test]
    fn mknod_and_mknodat_arguments() {
        let null = encode_dev(1, 3);
        let a = Mknod::from_call(
            "mknod",
            &[0x1000, u64::from(libc::S_IFCHR | 0o666), null, 0, 0, 0],
        )
        .unwrap();
        assert_eq!(
            a,
            Mknod {
                dirfd: None,
                path: 0x1000,
                mode: libc::S_IFCHR | 0o666,
                dev: (1, 3)
            }
        );
        let at_cwd = libc::AT_FDCWD as u32 as u64;
        let b = Mknod::from_call(
            "mknodat",
            &[at_cwd, 0x2000, u64::from(libc::S_IFBLK), 0x800, 0, 0],
        )
        .unwrap();
        assert_eq!(b.dirfd, None);
        assert_eq!(b.describe_type(), "b 8:0");
        let c = Mknod::from_call(
            "mknodat",
            &[5, 0x2000, u64::from(libc::S_IFCHR), null, 0, 0],
        )
        .unwrap();
        assert_eq!(c.dirfd, Some(5));
        assert!(Mknod::from_call("uname", &[0; 6]).is_none());
    }

    #[test]
    fn only_listed_character_devices_are_allowed() {
        let allowed = [(1, 3), (1, 5)];
        let call = |mode: u32, dev| Mknod {
            dirfd: None,
            path: 0,
            mode,
            dev,
        };
        assert!(call(libc::S_IFCHR | 0o666, (1, 3)).allowed(&allowed));
        assert!(!call(libc::S_IFCHR, (1, 4)).allowed(&allowed));
        assert!(!call(libc::S_IFBLK, (1, 3)).allowed(&allowed));
        assert!(!call(libc::S_IFIFO, (0, 0)).allowed(&allowed));
    }

    #[test]
    fn report_lines_name_the_call() {
        let line = report_line(
            42,
            "uname",
            &show_args(&[0x7ffc, 0, 0, 0, 0, 0]),
            Answer::Errno(1),
        );
        assert_eq!(line, "pid 42 uname(0x7ffc, 0x0, 0x0) denied (EPERM)");
    }

    #[test]
    fn a_learned_profile_reads_back_as_a_profile() {
        let names: BTreeSet<String> = ["read", "write", "execve"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let text = learned_profile(&names, &["SCMP_ARCH_X86_64".into()]);
        let p = crate::profile::parse(&text).unwrap();
        assert_eq!(p.default_action, Some(crate::rules::Action::Errno(1)));
        assert_eq!(p.entries[0].names, ["execve", "read", "write"]);
    }
}
