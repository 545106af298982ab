//! A new network namespace has `lo`, down. Bring it up, as bwrap does, so
//! that 127.0.0.1 works inside.

use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use sk_common::{verbose, Cannot, Result};
use std::os::fd::AsRawFd;

pub fn bring_up_lo() -> Result<()> {
    let sock = socket(
        AddressFamily::Inet,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .cannot("create a socket to configure lo")?;
    // SAFETY: ifreq is plain data; all-zero is a valid value.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    // SAFETY: SIOCGIFFLAGS/SIOCSIFFLAGS read and write the ifreq we own.
    let got = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) };
    nix::errno::Errno::result(got).cannot("read the flags of lo")?;
    // SAFETY: ifru_flags is the member SIOCGIFFLAGS filled in.
    unsafe {
        req.ifr_ifru.ifru_flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
    }
    // SAFETY: as above.
    let set = unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &req) };
    nix::errno::Errno::result(set).cannot("bring up lo")?;
    verbose!("brought up lo");
    Ok(())
}
