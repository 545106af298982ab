//! Reading a notified caller's arguments from its memory.
//!
//! The caller (or another of its threads) can rewrite its memory at any
//! time, so the supervisor reads each string once, into its own buffer,
//! bounded, and decides and acts on that copy only. The caller's pid may
//! have been reused by the time the read happens: every user of these
//! strings checks notify_id_valid after reading, before trusting them.

use nix::errno::Errno;
use std::ffi::CString;
use std::fs::File;
use std::os::unix::fs::FileExt;

/// The longest path read from a caller, NUL included (PATH_MAX).
pub const PATH_MAX: usize = 4096;

/// The caller's memory, through /proc/PID/mem (opened once per request).
pub struct Mem(File);

impl Mem {
    pub fn open(pid: u32) -> Result<Mem, Errno> {
        File::open(format!("/proc/{pid}/mem"))
            .map(Mem)
            .map_err(io_errno)
    }

    /// The NUL-terminated string at `addr`, NUL within `max` bytes, or
    /// E2BIG (ENAMETOOLONG for paths is the caller's to choose). Reads
    /// page by page, so a string near the end of a mapping is readable.
    pub fn string(&self, addr: u64, max: usize) -> Result<CString, Errno> {
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let chunk = (4096 - (at % 4096)) as usize;
            let mut buf = vec![0u8; chunk.min(max - out.len())];
            let n = self.0.read_at(&mut buf, at).map_err(io_errno)?;
            if n == 0 {
                return Err(Errno::EFAULT);
            }
            if let Some(end) = buf[..n].iter().position(|b| *b == 0) {
                out.extend_from_slice(&buf[..end]);
                return Ok(CString::new(out).expect("no NUL before the end"));
            }
            out.extend_from_slice(&buf[..n]);
            at += n as u64;
        }
        Err(Errno::E2BIG)
    }
}

pub fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_bounded_and_nul_terminated() {
        let mem = Mem::open(std::process::id()).unwrap();
        let s = c"/dev/loop0";
        assert_eq!(mem.string(s.as_ptr() as u64, 64).unwrap().as_c_str(), s);
        assert_eq!(mem.string(s.as_ptr() as u64, 5), Err(Errno::E2BIG));
        assert_eq!(mem.string(0, 64), Err(Errno::EFAULT));
        // A page with no NUL in it, whatever follows.
        let page = vec![b'a'; 8192];
        assert_eq!(mem.string(page.as_ptr() as u64, 4096), Err(Errno::E2BIG));
    }
}
