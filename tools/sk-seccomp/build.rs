//! Precompiles docker-default (see src/precompiled.rs): for each capability
//! set of `presets::PRECOMPILED_CAPS`, the program that the run-time path
//! would build, made by the same code (the modules below are the crate's
//! own files) and the same static libseccomp.
#![allow(dead_code)]

#[path = "src/filter.rs"]
mod filter;
#[path = "src/presets.rs"]
mod presets;
#[path = "src/profile.rs"]
mod profile;
#[path = "src/rules.rs"]
mod rules;
#[path = "src/spec.rs"]
mod spec;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

const NATIVE: (&str, &str) = ("amd64", "SCMP_ARCH_X86_64");

fn main() {
    for f in [
        "../src/filter.rs",
        "../src/presets.rs",
        "../src/profile.rs",
        "../src/rules.rs",
        "../src/spec.rs",
        "../tests/fixtures/docker-default.json",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // The build script runs on the build machine: its libseccomp makes
    // programs for that machine's architecture, so a cross build gets none.
    let target = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let native = target == "x86_64" && cfg!(target_arch = "x86_64");
    let profile = presets::docker_default();
    let mut relevant = BTreeSet::new();
    let mut min_kernel = (0, 0);
    for e in &profile.entries {
        for w in [&e.includes, &e.excludes] {
            relevant.extend(w.caps.iter().cloned());
            min_kernel = min_kernel.max(w.min_kernel.unwrap_or((0, 0)));
        }
    }
    let mut programs = String::new();
    let mut unknown = BTreeSet::new();
    let mut arches = Vec::new();
    for (i, (why, caps)) in presets::PRECOMPILED_CAPS.iter().enumerate() {
        if !native {
            break;
        }
        let mut caps: Vec<&str> = caps.to_vec();
        caps.sort_unstable();
        for c in &caps {
            assert!(relevant.contains(*c), "{c} is not named by docker-default");
        }
        let host = profile::Host {
            go_arch: NATIVE.0.into(),
            caps: caps.iter().map(|c| c.to_string()).collect(),
            kernel: min_kernel,
        };
        let decided = profile.decide(&host, NATIVE.1);
        let a = spec::assemble(decided, &spec::Options::PROFILE_ALONE, NATIVE.1)
            .expect("docker-default assembles");
        assert_eq!(a.spec.flags, 0, "a raw program carries no flags");
        let ctx = filter::build(&a.spec).expect("docker-default builds");
        let prog = filter::program(&ctx).expect("docker-default exports");
        let file = out.join(format!("docker-default-{i}.bpf"));
        let bytes: Vec<u8> = prog
            .iter()
            .flat_map(|f| {
                let mut b = f.code.to_ne_bytes().to_vec();
                b.extend([f.jt, f.jf]);
                b.extend(f.k.to_ne_bytes());
                b
            })
            .collect();
        std::fs::write(&file, bytes).expect("write to OUT_DIR");
        writeln!(
            programs,
            "    // {why}\n    (&{caps:?}, include_bytes!({:?})),",
            file.display().to_string()
        )
        .unwrap();
        unknown.extend(a.unknown);
        arches = std::iter::once(NATIVE.1.to_string())
            .chain(a.spec.arches)
            .collect();
    }
    let relevant: Vec<&String> = relevant.iter().collect();
    let unknown: Vec<&String> = unknown.iter().collect();
    let text = format!(
        "/// (capabilities held, sorted; the program's bytes)\n\
         pub static PROGRAMS: &[(&[&str], &[u8])] = &[\n{programs}];\n\
         /// The capabilities docker-default's includes/excludes name, sorted.\n\
         pub static RELEVANT_CAPS: &[&str] = &{relevant:?};\n\
         /// The newest minKernel of the profile: older kernels compile at run time.\n\
         pub const MIN_KERNEL: (u32, u32) = {min_kernel:?};\n\
         /// The architecture the programs were made for (Go's name).\n\
         pub const GO_ARCH: &str = {:?};\n\
         /// The architectures the programs filter (libseccomp's names).\n\
         pub static ARCHES: &[&str] = &{arches:?};\n\
         /// Names in the profile that this libseccomp does not know.\n\
         pub static UNKNOWN: &[&str] = &{unknown:?};\n",
        NATIVE.0
    );
    std::fs::write(out.join("precompiled.rs"), text).expect("write to OUT_DIR");
}
