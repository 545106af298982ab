//! Errors read `sk-<tool>: cannot <operation> <object>: <strerror>`.
//!
//! Steps attach the operation and its object with [`Cannot::cannot`]; the
//! root cause is usually an errno, which is shown as its plain description
//! ("Invalid argument"), never as "EINVAL: Invalid argument" or
//! "Operation not permitted (os error 1)".

use nix::errno::Errno;
use std::fmt::Display;

pub type Result<T> = anyhow::Result<T>;

/// The text of one cause: an errno as its description, anything else as it
/// displays itself.
fn describe_one(cause: &(dyn std::error::Error + 'static)) -> String {
    if let Some(errno) = cause.downcast_ref::<Errno>() {
        return errno.desc().to_string();
    }
    if let Some(io) = cause.downcast_ref::<std::io::Error>() {
        if let Some(raw) = io.raw_os_error() {
            return Errno::from_raw(raw).desc().to_string();
        }
    }
    cause.to_string()
}

/// The whole chain of an error on one line, outermost context first.
pub fn describe(err: &anyhow::Error) -> String {
    let parts: Vec<String> = err.chain().map(describe_one).collect();
    // A single line, whatever the causes contained.
    parts.join(": ").replace('\n', " ")
}

/// Attaches "cannot <what>" to a failed result.
pub trait Cannot<T> {
    fn cannot<D: Display + Send + Sync + 'static>(self, what: D) -> Result<T>;
    fn cannot_with<D: Display + Send + Sync + 'static, F: FnOnce() -> D>(
        self,
        what: F,
    ) -> Result<T>;
}

impl<T, E> Cannot<T> for std::result::Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn cannot<D: Display + Send + Sync + 'static>(self, what: D) -> Result<T> {
        self.map_err(|e| anyhow::Error::new(e).context(format!("cannot {what}")))
    }

    fn cannot_with<D: Display + Send + Sync + 'static, F: FnOnce() -> D>(
        self,
        what: F,
    ) -> Result<T> {
        self.map_err(|e| anyhow::Error::new(e).context(format!("cannot {}", what())))
    }
}

/// The errno behind an error, if the root cause was a system call.
pub fn errno_of(err: &anyhow::Error) -> Option<Errno> {
    err.chain().find_map(|c| {
        c.downcast_ref::<Errno>().copied().or_else(|| {
            c.downcast_ref::<std::io::Error>()
                .and_then(|io| io.raw_os_error())
                .map(Errno::from_raw)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_reads_as_its_description() {
        let r: std::result::Result<(), Errno> = Err(Errno::EINVAL);
        let err = r.cannot("pivot_root into /tmp/myroot").unwrap_err();
        assert_eq!(
            describe(&err),
            "cannot pivot_root into /tmp/myroot: Invalid argument"
        );
    }

    #[test]
    fn io_error_loses_the_os_error_suffix() {
        let r: std::result::Result<(), std::io::Error> =
            Err(std::io::Error::from_raw_os_error(libc::EPERM));
        let err = r.cannot("write /sys/fs/cgroup/x").unwrap_err();
        assert_eq!(
            describe(&err),
            "cannot write /sys/fs/cgroup/x: Operation not permitted"
        );
        assert_eq!(errno_of(&err), Some(Errno::EPERM));
    }

    #[test]
    fn nested_context_joins_on_one_line() {
        let r: std::result::Result<(), Errno> = Err(Errno::ENOENT);
        let err = r
            .cannot("open /proc/self/uid_map")
            .map_err(|e| e.context("cannot map the root user"))
            .unwrap_err();
        assert_eq!(
            describe(&err),
            "cannot map the root user: cannot open /proc/self/uid_map: No such file or directory"
        );
    }
}
