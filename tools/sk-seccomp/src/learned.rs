//! `--learn FILE`: the output is a path on the caller's side. Its directory
//! is opened, and a temporary file made in it, when the chain is read, before
//! any step: a later pivot must not turn FILE into a path of the image. The
//! profile is written to the temporary file once the command has ended, then
//! renamed over FILE, so that a chain that fails truncates nothing.

use nix::fcntl::{openat, renameat, OFlag};
use nix::sys::stat::Mode;
use nix::unistd::{unlinkat, UnlinkatFlags};
use sk_common::{Cannot, Result};
use std::ffi::OsString;
use std::io::Write;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

pub struct Learned {
    dir: OwnedFd,
    name: OsString,
    temp: OsString,
    file: OwnedFd,
    shown: PathBuf,
}

impl Learned {
    pub fn create(path: &Path) -> Result<Learned> {
        let shown = path.to_path_buf();
        let name = path
            .file_name()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "cannot write the learned profile {}: not a file name",
                    path.display()
                )
            })?
            .to_os_string();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let dir = nix::fcntl::open(
            parent,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .cannot_with(|| format!("create the learned profile {}", path.display()))?;
        let mut temp = OsString::from(".");
        temp.push(&name);
        temp.push(format!(".sk-{}", std::process::id()));
        let file = openat(
            &dir,
            temp.as_os_str(),
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_CLOEXEC | OFlag::O_NOFOLLOW,
            Mode::from_bits_truncate(0o644),
        )
        .cannot_with(|| format!("create the learned profile {}", path.display()))?;
        Ok(Learned {
            dir,
            name,
            temp,
            file,
            shown,
        })
    }

    pub fn shown(&self) -> String {
        self.shown.display().to_string()
    }

    /// Writes `text` and puts it in place of FILE.
    pub fn commit(self, text: &[u8]) -> Result<()> {
        let mut f = std::fs::File::from(
            self.file
                .try_clone()
                .cannot("duplicate a file descriptor")?,
        );
        let written = f.write_all(text).and_then(|()| f.sync_all());
        if let Err(e) = written {
            self.discard();
            return Err(e)
                .cannot_with(|| format!("write the learned profile {}", self.shown.display()));
        }
        renameat(
            &self.dir,
            self.temp.as_os_str(),
            &self.dir,
            self.name.as_os_str(),
        )
        .cannot_with(|| format!("write the learned profile {}", self.shown.display()))
    }

    /// Removes the temporary file: the chain did not get to the command.
    pub fn discard(&self) {
        let _ = unlinkat(&self.dir, self.temp.as_os_str(), UnlinkatFlags::NoRemoveDir);
    }
}
