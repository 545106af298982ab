//! Paths inside NEWROOT, resolved as the container will see them.
//!
//! NEWROOT is a tree someone else may have made: `NEWROOT/etc` can be a
//! symlink to `/etc` or to `../../..`. Joined as strings, such a path
//! would lead a mount onto the host's own files. Every path inside NEWROOT
//! is therefore opened with openat2(RESOLVE_IN_ROOT) from a descriptor of
//! NEWROOT: the kernel treats NEWROOT as `/` for the walk, so absolute
//! links and `..` stay inside it (as runc's securejoin does), and magic
//! links (/proc/self/root...) are refused. Mounts then go onto
//! `/proc/self/fd/N` of the opened descriptor, which is the very object
//! that was checked, not a path that could change in between.

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag};
use nix::sys::stat::{fstat, mknodat, Mode, SFlag};
use sk_common::fd::openat2;
use sk_common::{Cannot, Result};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

/// The path through which the kernel reaches an open descriptor, for calls
/// (mount) that take only paths. /proc is the caller's, still the host's
/// one until the pivot.
pub fn fd_path(fd: &impl AsRawFd) -> String {
    format!("/proc/self/fd/{}", fd.as_raw_fd())
}

/// What kind of object a descriptor refers to.
pub fn is_dir(fd: &OwnedFd) -> nix::Result<bool> {
    Ok(SFlag::from_bits_truncate(fstat(fd)?.st_mode) & SFlag::S_IFMT == SFlag::S_IFDIR)
}

/// NEWROOT, opened.
///
/// Two ways of resolving inside it: the user's mount destinations follow
/// the image's symlinks as the container would, inside NEWROOT (an image
/// may link /data to /srv/data); the places of sk-pivot's own mounts (proc,
/// dev, dev/pts, dev/shm, sys) and of the masks follow none
/// ([`Root::exact`]), as runc checks them: a symlink there would move a
/// mount elsewhere (`proc -> dev/shm`, then covered by /dev), or let a mask
/// miss its file. Such a root is refused.
pub struct Root {
    fd: OwnedFd,
    path: PathBuf,
    exact: bool,
}

/// `inner` as a path relative to NEWROOT ("." for NEWROOT itself).
fn relative(inner: &Path) -> &Path {
    let rel = inner.strip_prefix("/").unwrap_or(inner);
    if rel.as_os_str().is_empty() {
        Path::new(".")
    } else {
        rel
    }
}

impl Root {
    pub fn new(fd: OwnedFd, path: PathBuf) -> Root {
        Root {
            fd,
            path,
            exact: false,
        }
    }

    /// The same root, resolving without following any symlink.
    pub fn exact(&self) -> Result<Root> {
        Ok(Root {
            fd: self
                .fd
                .try_clone()
                .cannot("duplicate the new root's descriptor")?,
            path: self.path.clone(),
            exact: true,
        })
    }

    pub fn fd(&self) -> &OwnedFd {
        &self.fd
    }

    /// The host path of `inner`, for messages.
    pub fn show(&self, inner: &Path) -> String {
        match relative(inner) {
            p if p == Path::new(".") => self.path.display().to_string(),
            p => self.path.join(p).display().to_string(),
        }
    }

    /// Opens `inner` (O_PATH: it is only a place to mount on or a thing to
    /// stat), resolved inside NEWROOT.
    pub fn open(&self, inner: &Path) -> nix::Result<OwnedFd> {
        let mut resolve = ResolveFlag::RESOLVE_IN_ROOT | ResolveFlag::RESOLVE_NO_MAGICLINKS;
        if self.exact {
            resolve |= ResolveFlag::RESOLVE_NO_SYMLINKS;
        }
        let how = OpenHow::new()
            .flags(OFlag::O_PATH | OFlag::O_CLOEXEC)
            .resolve(resolve);
        openat2(&self.fd, relative(inner), how)
    }

    /// The error for a failed open of `inner`: a symlink where sk-pivot
    /// mounts is said as such.
    pub fn open_error(&self, e: Errno, inner: &Path) -> anyhow::Error {
        if self.exact && e == Errno::ELOOP {
            return anyhow::anyhow!(
                "cannot use {} as a mount point: it, or a directory above it, is a symbolic \
                 link (sk-pivot mounts only on plain directories and files of the new root)",
                self.show(inner)
            );
        }
        anyhow::Error::new(e).context(format!("cannot open {}", self.show(inner)))
    }

    /// Opens the directory `inner`, making it and its missing parents
    /// (mode 0755), as `mkdir -p` would but resolved inside NEWROOT.
    pub fn ensure_dir(&self, inner: &Path) -> Result<OwnedFd> {
        let fd = match self.open(inner) {
            Err(Errno::ENOENT) => {
                self.make(inner, SFlag::S_IFDIR)?;
                self.open(inner)
            }
            other => other,
        }
        .map_err(|e| self.open_error(e, inner))?;
        if !is_dir(&fd).cannot_with(|| format!("stat {}", self.show(inner)))? {
            return Err(Errno::ENOTDIR)
                .cannot_with(|| format!("mount a directory on {}", self.show(inner)));
        }
        Ok(fd)
    }

    /// Opens the non-directory `inner`, making an empty file (and missing
    /// parents) when it does not exist: a mount point for a file.
    pub fn ensure_file(&self, inner: &Path) -> Result<OwnedFd> {
        let fd = match self.open(inner) {
            Err(Errno::ENOENT) => {
                self.make(inner, SFlag::S_IFREG)?;
                self.open(inner)
            }
            other => other,
        }
        .map_err(|e| self.open_error(e, inner))?;
        if is_dir(&fd).cannot_with(|| format!("stat {}", self.show(inner)))? {
            return Err(Errno::EISDIR)
                .cannot_with(|| format!("mount a file on {}", self.show(inner)));
        }
        Ok(fd)
    }

    /// Creates `inner` as a directory or an empty file, in a parent that is
    /// itself resolved (or made) inside NEWROOT.
    fn make(&self, inner: &Path, kind: SFlag) -> Result<()> {
        let (Some(parent), Some(name)) = (inner.parent(), inner.file_name()) else {
            return Err(Errno::EINVAL).cannot_with(|| format!("create {}", self.show(inner)));
        };
        let dir = self.ensure_dir(parent)?;
        let made = if kind == SFlag::S_IFDIR {
            nix::sys::stat::mkdirat(&dir, name, Mode::from_bits_truncate(0o755))
        } else {
            mknodat(
                &dir,
                name,
                SFlag::S_IFREG,
                Mode::from_bits_truncate(0o644),
                0,
            )
        };
        match made {
            // A dangling symlink is EEXIST too: the open that follows fails on it.
            Ok(()) | Err(Errno::EEXIST) => Ok(()),
            Err(e) => Err(e).cannot_with(|| format!("create {}", self.show(inner))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn root(dir: &Path) -> Root {
        let fd =
            sk_common::fd::open(dir, OFlag::O_PATH | OFlag::O_DIRECTORY, Mode::empty()).unwrap();
        Root::new(fd, dir.to_path_buf())
    }

    /// A temp dir, removed on drop even when the test fails.
    fn temp(name: &str) -> tempfile::TempDir {
        tempfile::Builder::new()
            .prefix(&format!("sk-pivot-unit-{name}."))
            .tempdir()
            .unwrap()
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative(Path::new("/")), Path::new("."));
        assert_eq!(relative(Path::new("/a/b")), Path::new("a/b"));
    }

    #[test]
    fn ensure_dir_makes_missing_parents_inside_the_root() {
        let tmp = temp("mkdir");
        let d = tmp.path();
        let r = root(d);
        r.ensure_dir(Path::new("/a/b/c")).unwrap();
        assert!(d.join("a/b/c").is_dir());
        r.ensure_file(Path::new("/x/y")).unwrap();
        assert!(d.join("x/y").is_file());
        assert!(r.ensure_dir(Path::new("/x/y")).is_err());
        assert!(r.ensure_file(Path::new("/a")).is_err());
    }

    #[test]
    fn symlinks_cannot_lead_out_of_the_root() {
        let (tmp, tmp_outside) = (temp("escape"), temp("outside"));
        let (d, outside) = (tmp.path(), tmp_outside.path());
        // The same path inside the root, so the absolute link resolves there.
        let mirror = d.join(outside.strip_prefix("/").unwrap());
        std::fs::create_dir_all(&mirror).unwrap();
        symlink(outside, d.join("abs")).unwrap();
        symlink("../../../../../../..", d.join("up")).unwrap();
        symlink("/no-such-dir-anywhere", d.join("dangling")).unwrap();
        let r = root(d);
        r.ensure_dir(Path::new("/abs/made")).unwrap();
        r.ensure_dir(Path::new("/up/made2")).unwrap();
        assert!(mirror.join("made").is_dir());
        assert!(d.join("made2").is_dir());
        assert!(std::fs::read_dir(outside).unwrap().next().is_none());
        // A link to nowhere inside the root is refused, and nothing is made.
        assert!(r.ensure_dir(Path::new("/dangling/x")).is_err());
        assert!(!Path::new("/no-such-dir-anywhere").exists());
    }
}
