//! The test runner of every integration test file (`harness = false`):
//! libtest's command line and output (through `libtest-mimic`), plus what
//! libtest cannot do: a test that finds at run time that it cannot run
//! here ([`crate::skip`], [`crate::need_root`], ...) is reported as
//! `ignored, <reason>` and counted in "N ignored", never as "ok".
//!
//! As a user who is not root, a test marked `userns` in
//! [`tests!`](crate::tests) runs instead in a new user namespace where it is
//! root (`sk-unshare -U -r <this test binary> --exact <name>`), the way
//! bubblewrap's own suite runs rootless.
//!
//! Under `SK_REQUIRE_PRIV=1` (scripts/test, CI) a skip is a failure.

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Set by [`main`]: the process runs under this harness, so a skip unwinds
/// to the runner instead of returning to the test.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Set (to "1") in the environment of a test re-run in a user namespace.
pub const USERNS_ENV: &str = "SK_TESTKIT_USERNS";

/// Set to "1" to re-run every test that needs root in a user namespace, as
/// if all were marked `userns`: how to find which ones can be.
pub const USERNS_ALL_ENV: &str = "SK_TESTKIT_USERNS_ALL";

/// The unwind payload of a skip: the reason.
pub(crate) struct Skipped(pub String);

pub(crate) fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

/// Leaves the running test as "ignored" with `reason` (only under [`main`]).
pub(crate) fn skip_now(reason: String) -> ! {
    // resume_unwind: no panic hook, so no "panicked at" noise for a skip.
    resume_unwind(Box::new(Skipped(reason)))
}

/// Whether this process is a test re-run as root of a user namespace.
pub fn in_userns() -> bool {
    std::env::var(USERNS_ENV).is_ok_and(|v| v == "1")
}

/// One test function of a file, as listed in [`tests!`](crate::tests).
pub struct Test {
    name: &'static str,
    body: fn(),
    userns: bool,
}

impl Test {
    pub fn new(name: &'static str, body: fn()) -> Test {
        Test {
            name,
            body,
            userns: false,
        }
    }

    /// Root of a user namespace is enough for this test: as a user who is
    /// not root, it runs under `sk-unshare -U -r` instead of being skipped.
    pub fn userns(mut self) -> Test {
        self.userns = true;
        self
    }
}

/// Runs the tests of one file with libtest's arguments (`--exact`,
/// `--test-threads`, `--ignored`, filters...) and exits.
pub fn main(tests: Vec<Test>) -> ! {
    ACTIVE.store(true, Ordering::Relaxed);
    let args = Arguments::from_args();
    let rootless = !nix::unistd::geteuid().is_root();
    let all = std::env::var(USERNS_ALL_ENV).is_ok_and(|v| v == "1");
    let trials = tests
        .into_iter()
        .map(|t| {
            let (name, body) = (t.name, t.body);
            if rootless && (t.userns || all) {
                Trial::ignorable_test(name, move || in_user_namespace(name))
            } else {
                Trial::ignorable_test(name, move || run_here(body))
            }
        })
        .collect();
    libtest_mimic::run(&args, trials).exit()
}

/// Runs a test body in this thread; a skip becomes "ignored".
fn run_here(body: fn()) -> Result<Completion, Failed> {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(()) => Ok(Completion::Completed),
        Err(payload) => match payload.downcast::<Skipped>() {
            Ok(skipped) => Ok(Completion::ignored_with(skipped.0)),
            // A failure: libtest-mimic reports the panic's message.
            Err(payload) => resume_unwind(payload),
        },
    }
}

/// A skip decided by the runner itself (not inside a test body).
fn runner_skip(reason: String) -> Result<Completion, Failed> {
    if crate::skips_forbidden() {
        return Err(
            format!("cannot run here and SK_REQUIRE_PRIV=1 forbids skipping: {reason}").into(),
        );
    }
    Ok(Completion::ignored_with(reason))
}

/// Re-runs test `name` of this binary as root of a new user namespace and
/// reports what it did there.
fn in_user_namespace(name: &str) -> Result<Completion, Failed> {
    let unshare = crate::bin_dir().join("sk-unshare");
    if !unshare.exists() {
        return runner_skip(format!(
            "needs root, or a built sk-unshare to run it in a user namespace ({} is missing)",
            unshare.display()
        ));
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    let mut c = crate::cmd(&unshare);
    c.args(["-U", "-r"])
        .arg(&exe)
        .args(["--exact", name, "--test-threads=1", "--color=never"])
        .env(USERNS_ENV, "1")
        .env_remove(USERNS_ALL_ENV);
    let out = crate::run_within(&mut c, Duration::from_secs(600), None);
    let prefix = format!("test {name} ... ");
    let verdict = out.stdout.lines().find_map(|l| l.strip_prefix(&prefix));
    match verdict {
        Some("ok") => Ok(Completion::Completed),
        // libtest-mimic prints `ignored (REASON)`.
        Some(v) if v.starts_with("ignored") => {
            let reason = v["ignored".len()..].trim().trim_start_matches('(');
            let reason = reason.strip_suffix(')').unwrap_or(reason);
            // The re-run itself applied SK_REQUIRE_PRIV: it let this skip be.
            Ok(Completion::ignored_with(format!(
                "{reason} (in a user namespace)"
            )))
        }
        None if out.code() == 125 && out.stderr.starts_with("sk-unshare:") => runner_skip(format!(
            "needs root; no user namespace here: {}",
            out.stderr.trim()
        )),
        _ => Err(format!(
            "in a user namespace (sk-unshare -U -r), exit status {}\n--- stdout\n{}--- stderr\n{}",
            out.code(),
            out.stdout,
            out.stderr
        )
        .into()),
    }
}

/// The `main` of an integration test file (`harness = false` in its
/// Cargo.toml): lists the file's test functions, each optionally marked
/// `userns` (root of a user namespace is enough). See the crate docs.
///
/// ```text
/// sk_testkit::tests! {
///     hostname_without_a_uts_namespace_is_refused,
///     mup_makes_the_shell_pid_1_in_new_namespaces: userns,
/// }
/// ```
#[macro_export]
macro_rules! tests {
    ($($name:ident $(: $mark:ident)?),* $(,)?) => {
        fn main() {
            $crate::harness::main(vec![
                $($crate::harness::Test::new(stringify!($name), $name)$(.$mark())?),*
            ])
        }
    };
}
