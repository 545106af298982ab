//! The classic chroot escape, for the tests: a process with CAP_SYS_CHROOT
//! chroots into a subdirectory while its working directory stays outside
//! it, climbs with `..` past where its root was, and chroots there. In a
//! plain chroot that reaches the real root; inside sk-pivot's root it must
//! find only the container's files. Then it runs `sh -c 'ls /'`.
//!
//! Built by `cargo test` as an example (static, like the tools), and copied
//! into the test's root filesystem.

use std::ffi::CString;

fn fail(what: &str, e: nix::errno::Errno) -> ! {
    eprintln!("chroot-escape: {what}: {}", e.desc());
    std::process::exit(1)
}

fn main() {
    let dir = "chroot-escape.d";
    match nix::unistd::mkdir(dir, nix::sys::stat::Mode::from_bits_truncate(0o755)) {
        Ok(()) | Err(nix::errno::Errno::EEXIST) => {}
        Err(e) => fail("mkdir", e),
    }
    if let Err(e) = nix::unistd::chroot(dir) {
        fail("chroot", e);
    }
    for _ in 0..64 {
        if let Err(e) = nix::unistd::chdir("..") {
            fail("chdir ..", e);
        }
    }
    if let Err(e) = nix::unistd::chroot(".") {
        fail("chroot .", e);
    }
    let argv: Vec<CString> = ["sh", "-c", "ls /"]
        .iter()
        .map(|a| CString::new(*a).unwrap())
        .collect();
    let e = nix::unistd::execv(c"/bin/sh", &argv).unwrap_err();
    fail("execute /bin/sh", e)
}
