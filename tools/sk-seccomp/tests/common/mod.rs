//! What the sk-seccomp tests share: the tool with core dumps off (SIGSYS
//! dumps core), small C programs built for the test, a scratch directory.
#![allow(dead_code)]

use sk_testkit::{run, sk, skip, Output};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A death by SIGSYS, as a shell reports it.
pub const SIGSYS_STATUS: i32 = 128 + libc::SIGSYS;

/// Turns core dumps off in the child: a filter's kill or trap dumps core,
/// and a test must not leave core files behind.
pub fn no_core(c: &mut Command) -> &mut Command {
    // SAFETY: setrlimit is async-signal-safe.
    unsafe {
        c.pre_exec(|| {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_CORE, 0, 0)
                .map_err(std::io::Error::from)
        })
    }
}

/// sk-seccomp with `args`, run with core dumps off.
pub fn seccomp(args: &[&str]) -> Output {
    let mut c = sk("sk-seccomp");
    c.args(args);
    run(no_core(&mut c))
}

/// A temp directory, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        let dir = std::env::temp_dir().join(sk_testkit::unique("sk-seccomp-test."));
        std::fs::create_dir(&dir).unwrap();
        Scratch(dir)
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn str(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Builds a static C program from `source` into `dir`; None after a loud
/// skip when gcc is missing.
pub fn build_c(test: &str, dir: &Path, name: &str, source: &str) -> Option<PathBuf> {
    if !sk_testkit::need_program(test, "gcc", "gcc") {
        return None;
    }
    let src = dir.join(format!("{name}.c"));
    std::fs::write(&src, source).unwrap();
    let exe = dir.join(name);
    let out = run(Command::new("gcc")
        .args(["-static", "-no-pie", "-O1", "-o"])
        .arg(&exe)
        .arg(&src));
    assert!(out.status.success(), "gcc failed: {}", out.stderr);
    Some(exe)
}

/// `probe NR:A0,A1,.. ...`: makes each raw syscall, prints one line per
/// call: `ok` or the errno number.
pub const PROBE_C: &str = r#"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        long a[6] = {0};
        char *spec = argv[i];
        long nr = strtol(spec, &spec, 0);
        for (int j = 0; j < 6 && *spec; j++) a[j] = strtoul(spec + 1, &spec, 0);
        errno = 0;
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (r < 0) printf("%s %d\n", argv[i], errno); else printf("%s ok\n", argv[i]);
    }
    return 0;
}
"#;

/// Docker's published profile, a copy in the repository's test fixtures;
/// None after a visible skip.
pub fn docker_json(test: &str) -> Option<PathBuf> {
    let p = sk_testkit::workspace().join("tools/sk-seccomp/tests/fixtures/docker-default.json");
    if p.exists() {
        return Some(p);
    }
    skip(test, &format!("{} is missing", p.display()));
    None
}
