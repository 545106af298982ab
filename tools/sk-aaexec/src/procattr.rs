//! AppArmor's procattr interface: a request written to
//! /proc/self/attr/apparmor/{exec,current}, the label read back.
//!
//! Since Linux 5.1 each LSM has its own directory under attr/; older kernels
//! have only the shared attr/exec and attr/current, which AppArmor owned
//! when it was enabled. The kernel answers the write itself: ENOENT when the
//! profile is not loaded, EPERM/EACCES when the current confinement does not
//! allow the change, EINVAL when no LSM takes the request.

use crate::cli::Attr;
use nix::errno::Errno;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

/// The attr file for `attr` and the open file, the AppArmor one first.
fn open_attr(proc: &Path, attr: Attr, write: bool) -> Result<(PathBuf, File), anyhow::Error> {
    let own = proc.join("self/attr/apparmor").join(attr.name());
    let shared = proc.join("self/attr").join(attr.name());
    let open = |p: &Path| OpenOptions::new().read(!write).write(write).open(p);
    match open(&own) {
        Ok(f) => Ok((own, f)),
        Err(e) if e.kind() == ErrorKind::NotFound => match open(&shared) {
            Ok(f) => Ok((shared, f)),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(anyhow::anyhow!(
                "cannot open {}: No such file or directory (is /proc mounted?)",
                shared.display()
            )),
            Err(e) => {
                Err(anyhow::Error::new(e).context(format!("cannot open {}", shared.display())))
            }
        },
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot open {}", own.display()))),
    }
}

/// Writes `request` to this thread's attr file through `proc`, a procfs
/// opened before the chain's first step: after a pivot the /proc at hand
/// may be the image's, whose files would take the request and confine
/// nothing.
pub fn write_request_at(
    proc: std::os::fd::BorrowedFd<'_>,
    attr: Attr,
    request: &str,
) -> Result<Result<PathBuf, Refused>, anyhow::Error> {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::Mode;
    let flags = OFlag::O_WRONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW;
    // Opened as thread-self, shown as self: one and the same in a process
    // of one thread, and self is what the user knows.
    let own = PathBuf::from("/proc/self/attr/apparmor").join(attr.name());
    let shared = PathBuf::from("/proc/self/attr").join(attr.name());
    let at = |p: &Path| Path::new("thread-self").join(p.strip_prefix("/proc/self").unwrap());
    let fd = match openat(proc, &at(&own), flags, Mode::empty()) {
        Ok(fd) => (own, fd),
        Err(Errno::ENOENT) => match openat(proc, &at(&shared), flags, Mode::empty()) {
            Ok(fd) => (shared, fd),
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot open {}", shared.display()))
                )
            }
        },
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot open {}", own.display())))
        }
    };
    let (path, fd) = fd;
    match nix::unistd::write(&fd, request.as_bytes()) {
        Ok(n) if n == request.len() => Ok(Ok(path)),
        Ok(n) => Err(anyhow::anyhow!(
            "cannot write '{request}' to {}: only {n} of {} bytes were taken",
            path.display(),
            request.len()
        )),
        Err(errno) => Ok(Err(Refused { path, errno })),
    }
}

/// This thread's label in `attr`, read through `proc` (see [`write_request_at`]).
pub fn read_label_at(proc: std::os::fd::BorrowedFd<'_>, attr: Attr) -> Option<String> {
    use nix::fcntl::{openat, OFlag};
    use nix::sys::stat::Mode;
    let flags = OFlag::O_RDONLY | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW;
    let own = format!("thread-self/attr/apparmor/{}", attr.name());
    let shared = format!("thread-self/attr/{}", attr.name());
    let fd = openat(proc, own.as_str(), flags, Mode::empty())
        .or_else(|_| openat(proc, shared.as_str(), flags, Mode::empty()))
        .ok()?;
    let mut s = String::new();
    File::from(fd).read_to_string(&mut s).ok()?;
    Some(s.trim_end_matches(['\n', '\0']).to_string())
}

/// A failed write, with what the kernel said.
#[derive(Debug)]
pub struct Refused {
    pub path: PathBuf,
    pub errno: Errno,
}

/// Writes `request` (e.g. `exec nohosts`) in one write(2), as the kernel
/// takes one request per write. Opening fails as an ordinary error; the
/// kernel's refusal of the request comes back as [`Refused`] so the caller
/// can say what it means.
pub fn write_request(
    proc: &Path,
    attr: Attr,
    request: &str,
) -> Result<Result<PathBuf, Refused>, anyhow::Error> {
    let (path, mut file) = open_attr(proc, attr, true)?;
    match file.write(request.as_bytes()) {
        Ok(n) if n == request.len() => Ok(Ok(path)),
        Ok(n) => Err(anyhow::anyhow!(
            "cannot write '{request}' to {}: only {n} of {} bytes were taken",
            path.display(),
            request.len()
        )),
        Err(e) => Ok(Err(Refused {
            path,
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(Errno::EIO as i32)),
        })),
    }
}

/// The label in `attr`: for `current` the confinement now, for `exec` the
/// one the next execve will give.
pub fn read_label(proc: &Path, attr: Attr) -> Result<String, anyhow::Error> {
    let (path, mut file) = open_attr(proc, attr, false)?;
    let mut s = String::new();
    file.read_to_string(&mut s)
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?;
    // The kernel ends the label with a newline and, on some versions, a NUL.
    Ok(s.trim_end_matches(['\n', '\0']).to_string())
}

/// What the kernel's refusal of a request means, in the user's terms.
/// `unverified` is the reason AppArmor could not be confirmed active, if so.
pub fn explain(refused: &Refused, label: &str, unverified: Option<&str>) -> String {
    let path = refused.path.display();
    let desc = refused.errno.desc();
    match refused.errno {
        Errno::ENOENT => format!(
            "profile {label} is not loaded (load it with apparmor_parser -r FILE, or give \
             --load FILE); the kernel refused the write to {path}: {desc}"
        ),
        Errno::EPERM | Errno::EACCES => format!(
            "the current confinement does not allow changing to {label} (a confined profile \
             needs a change_profile rule for it); the kernel refused the write to {path}: {desc}"
        ),
        Errno::EINVAL => match unverified {
            Some(why) => format!(
                "AppArmor did not take the request, it may not be enabled ({why}); the kernel \
                 refused the write to {path}: {desc}"
            ),
            None => format!("AppArmor did not take the request; write to {path}: {desc}"),
        },
        _ => format!("write to {path}: {desc}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_proc(own_dir: bool) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        let attr = d.path().join("self/attr");
        std::fs::create_dir_all(&attr).unwrap();
        std::fs::write(attr.join("exec"), "").unwrap();
        std::fs::write(attr.join("current"), "unconfined\n").unwrap();
        if own_dir {
            std::fs::create_dir_all(attr.join("apparmor")).unwrap();
            std::fs::write(attr.join("apparmor/exec"), "").unwrap();
            std::fs::write(attr.join("apparmor/current"), "outer (enforce)\n\0").unwrap();
        }
        d
    }

    #[test]
    fn the_apparmor_directory_is_preferred() {
        let d = fake_proc(true);
        let path = write_request(d.path(), Attr::Exec, "exec nohosts")
            .unwrap()
            .unwrap();
        assert_eq!(path, d.path().join("self/attr/apparmor/exec"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "exec nohosts");
        assert_eq!(
            read_label(d.path(), Attr::Current).unwrap(),
            "outer (enforce)"
        );
    }

    #[test]
    fn older_kernels_use_the_shared_attr_file() {
        let d = fake_proc(false);
        let path = write_request(d.path(), Attr::Exec, "exec nohosts")
            .unwrap()
            .unwrap();
        assert_eq!(path, d.path().join("self/attr/exec"));
        assert_eq!(read_label(d.path(), Attr::Current).unwrap(), "unconfined");
    }

    #[test]
    fn no_proc_is_said_plainly() {
        let d = tempfile::tempdir().unwrap();
        let e = write_request(d.path(), Attr::Exec, "exec x").unwrap_err();
        assert!(e.to_string().contains("is /proc mounted?"), "{e}");
    }

    #[test]
    fn a_missing_profile_is_named_with_the_way_to_load_it() {
        let r = Refused {
            path: "/proc/self/attr/apparmor/exec".into(),
            errno: Errno::ENOENT,
        };
        let m = explain(&r, "nohosts", None);
        assert!(m.starts_with("profile nohosts is not loaded"), "{m}");
        assert!(m.contains("apparmor_parser -r FILE"), "{m}");
    }

    #[test]
    fn einval_mentions_the_unverified_state() {
        let r = Refused {
            path: "/proc/self/attr/exec".into(),
            errno: Errno::EINVAL,
        };
        let m = explain(
            &r,
            "nohosts",
            Some("securityfs is not mounted at /sys/kernel/security"),
        );
        assert!(m.contains("securityfs is not mounted"), "{m}");
    }
}
