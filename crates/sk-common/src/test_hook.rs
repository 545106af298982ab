//! Faults provoked on purpose by the tests, in debug builds only (what
//! `cargo test` runs); a release build has none of this.
//!
//! `SK_TEST_PANIC=before` panics as the tool starts, before any step;
//! `SK_TEST_PANIC=parent` panics in a staying parent when it receives a
//! signal to forward, that is after the command started. The tests check
//! that either ends in one line and exit 125, and the second in a killed
//! command. `SK_TEST_FAIL=PLACE` makes the system call at PLACE fail with
//! EIO (a failure that nothing else can provoke as root), to show that the
//! step fails closed there.

/// Panics when `SK_TEST_PANIC` equals `place` (debug builds only).
#[inline]
pub fn panic_if(place: &str) {
    #[cfg(debug_assertions)]
    if std::env::var_os("SK_TEST_PANIC").is_some_and(|v| v == place) {
        panic!("provoked by SK_TEST_PANIC={place}");
    }
    #[cfg(not(debug_assertions))]
    let _ = place;
}

/// Err(EIO) when `SK_TEST_FAIL` equals `place` (debug builds only).
#[inline]
pub fn fail_if(place: &str) -> nix::Result<()> {
    #[cfg(debug_assertions)]
    if std::env::var_os("SK_TEST_FAIL").is_some_and(|v| v == place) {
        return Err(nix::errno::Errno::EIO);
    }
    #[cfg(not(debug_assertions))]
    let _ = place;
    Ok(())
}
