//! Checks before anything is written, each with its own message, so that
//! a refusal says why instead of a bare errno from /proc.
//!
//! The roots (`/sys`) are parameters, so the checks run against temp dirs
//! in unit tests and against the real kernel in the VM suite.

use crate::cli::is_unconfined;
use std::io::ErrorKind;
use std::path::Path;

/// What could be established about AppArmor before asking it.
#[derive(Debug, PartialEq, Eq)]
pub enum AppArmor {
    /// Built in, enabled and among the active LSMs.
    Active,
    /// Not refuted, but not confirmed either (sysfs or securityfs is not
    /// mounted, as inside a container root): the kernel's answer to the
    /// attr write decides.
    Unverified(String),
}

/// Whether AppArmor can confine anything here; the error says why not.
pub fn check_enabled(sys: &Path) -> Result<AppArmor, String> {
    let module = sys.join("module");
    let param = module.join("apparmor/parameters/enabled");
    match std::fs::read_to_string(&param) {
        Ok(v) if v.trim_start().starts_with('Y') => {}
        Ok(v) => {
            return Err(format!(
                "AppArmor is not enabled: it is built in but turned off ({} reads {}; \
                 see apparmor= and lsm= on the kernel command line)",
                param.display(),
                v.trim()
            ))
        }
        Err(e) if e.kind() == ErrorKind::NotFound && module.is_dir() => {
            return Err(format!(
                "AppArmor is not enabled: this kernel has no AppArmor ({} does not exist)",
                module.join("apparmor").display()
            ))
        }
        Err(_) => {
            return Ok(AppArmor::Unverified(format!(
                "sysfs is not mounted at {}, so it cannot be checked that AppArmor is enabled",
                sys.display()
            )))
        }
    }
    let lsm = sys.join("kernel/security/lsm");
    match std::fs::read_to_string(&lsm) {
        Ok(list) if active_lsms_include_apparmor(&list) => Ok(AppArmor::Active),
        Ok(list) => Err(format!(
            "AppArmor is not enabled: it is not among the active security modules ({} reads {})",
            lsm.display(),
            list.trim()
        )),
        Err(_) => Ok(AppArmor::Unverified(format!(
            "securityfs is not mounted at {} (mount -t securityfs securityfs {}), so it cannot \
             be checked that AppArmor is active",
            lsm.parent().unwrap().display(),
            lsm.parent().unwrap().display()
        ))),
    }
}

fn active_lsms_include_apparmor(list: &str) -> bool {
    list.trim().split(',').any(|m| m == "apparmor")
}

/// Under no_new_privs AppArmor lets a confined process only narrow its
/// confinement: replacing the profile is refused at exec with EPERM, while
/// stacking (the intersection) is allowed. An unconfined process may still
/// enter any profile, which can only take permissions away. `current` is
/// the label from /proc/self/attr/current, `None` when it could not be read.
pub fn check_no_new_privs(nnp: bool, stack: bool, current: Option<&str>) -> Result<(), String> {
    if !nnp || stack {
        return Ok(());
    }
    match current {
        Some(label) if is_unconfined(label) => Ok(()),
        Some(label) => Err(format!(
            "no_new_privs is set and this process is confined by {}: AppArmor then only \
             allows stacking a profile; use --stack",
            label.trim()
        )),
        None => Err(
            "no_new_privs is set and the current confinement cannot be read: AppArmor \
             then only allows stacking a profile; use --stack"
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn sys_with(enabled: Option<&str>, lsm: Option<&str>) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        fs::create_dir_all(d.path().join("module/loop")).unwrap();
        if let Some(v) = enabled {
            let p = d.path().join("module/apparmor/parameters");
            fs::create_dir_all(&p).unwrap();
            fs::write(p.join("enabled"), v).unwrap();
        }
        if let Some(v) = lsm {
            let p = d.path().join("kernel/security");
            fs::create_dir_all(&p).unwrap();
            fs::write(p.join("lsm"), v).unwrap();
        }
        d
    }

    #[test]
    fn a_kernel_without_apparmor_is_named_as_such() {
        let d = sys_with(None, Some("capability,yama"));
        let e = check_enabled(d.path()).unwrap_err();
        assert!(
            e.starts_with("AppArmor is not enabled: this kernel has no AppArmor"),
            "{e}"
        );
    }

    #[test]
    fn apparmor_turned_off_on_the_command_line() {
        let d = sys_with(Some("N\n"), Some("capability,apparmor"));
        let e = check_enabled(d.path()).unwrap_err();
        assert!(e.contains("turned off"), "{e}");
    }

    #[test]
    fn apparmor_not_among_the_active_lsms() {
        let d = sys_with(Some("Y\n"), Some("lockdown,capability,selinux\n"));
        let e = check_enabled(d.path()).unwrap_err();
        assert!(e.contains("not among the active security modules"), "{e}");
    }

    #[test]
    fn apparmor_active() {
        let d = sys_with(
            Some("Y\n"),
            Some("lockdown,capability,landlock,yama,apparmor,bpf"),
        );
        assert_eq!(check_enabled(d.path()).unwrap(), AppArmor::Active);
    }

    #[test]
    fn securityfs_not_mounted_is_mentioned_not_fatal() {
        let d = sys_with(Some("Y\n"), None);
        match check_enabled(d.path()).unwrap() {
            AppArmor::Unverified(why) => {
                assert!(why.contains("securityfs is not mounted"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sysfs_not_mounted_is_not_taken_for_a_missing_apparmor() {
        let d = tempfile::tempdir().unwrap();
        assert!(matches!(
            check_enabled(d.path()),
            Ok(AppArmor::Unverified(_))
        ));
    }

    #[test]
    fn no_new_privs_allows_only_stacking_when_confined() {
        assert!(check_no_new_privs(false, false, Some("outer (enforce)")).is_ok());
        assert!(check_no_new_privs(true, true, Some("outer (enforce)")).is_ok());
        assert!(check_no_new_privs(true, false, Some("unconfined\n")).is_ok());
        let e = check_no_new_privs(true, false, Some("outer (enforce)\n")).unwrap_err();
        assert!(
            e.contains("use --stack") && e.contains("outer (enforce)"),
            "{e}"
        );
        assert!(check_no_new_privs(true, false, None)
            .unwrap_err()
            .contains("--stack"));
    }
}
