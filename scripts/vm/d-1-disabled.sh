# The boot with apparmor=0: AppArmor built in but turned off.

test_apparmor_is_turned_off_in_this_boot() {
    grep -q '^N' /sys/module/apparmor/parameters/enabled ||
        why "enabled reads $(cat /sys/module/apparmor/parameters/enabled)"
}

test_turned_off_apparmor_is_refused_and_the_command_never_runs() {
    need_tool sk-aaexec || return
    run sk-aaexec -p nohosts touch /tmp/disabled-ran
    want_code 125 && want_no_file /tmp/disabled-ran &&
        want_one_err_line "AppArmor is not enabled: it is built in but turned off"
}

test_turned_off_apparmor_refuses_load_too() {
    run sk-aaexec --load /sk/profiles/nohosts -p nohosts touch /tmp/disabled-load-ran
    want_code 125 && want_no_file /tmp/disabled-load-ran && want_one_err_line "AppArmor is not enabled"
}

test_without_sysfs_the_kernels_refusal_still_fails_closed() {
    need_tool sk-unshare || return
    # As inside a container root: nothing under /sys to check, so the
    # kernel's answer to the write (EINVAL: no LSM takes it) decides.
    run sk-unshare -m sh -c 'umount /sys/kernel/security /sys/fs/cgroup /sys &&
        exec sk-aaexec -p nohosts touch /tmp/nosys-ran'
    want_code 125 && want_no_file /tmp/nosys-ran &&
        want_one_err_line "AppArmor did not take the request, it may not be enabled (sysfs is not mounted at /sys"
}
