# sk-aaexec on a kernel with AppArmor (scenario S8, issue 8 acceptance 2-3).
# The profiles are in profiles/; nohosts is loaded by the second test and
# used by the ones after it.

test_apparmor_is_active_in_the_vm() {
    grep -q '^Y' /sys/module/apparmor/parameters/enabled || why "AppArmor is not enabled" || return
    grep -q apparmor /sys/kernel/security/lsm || why "apparmor not in $(cat /sys/kernel/security/lsm)" || return
    run cat /proc/self/attr/apparmor/current
    want_out unconfined
}

test_apparmor_parser_loads_nohosts() {
    run apparmor_parser -r /sk/profiles/nohosts
    want_code 0 || return
    grep -q '^nohosts (enforce)' /sys/kernel/security/apparmor/profiles ||
        why "nohosts is not in the kernel's profile list"
}

test_nohosts_lets_cat_read_etc_hosts() {
    need_tool sk-aaexec || return
    run sk-aaexec -p nohosts cat /etc/hosts
    want_code 0 && want_out "$(cat /etc/hosts)"
}

test_nohosts_denies_cat_etc_passwd() {
    run sk-aaexec -p nohosts cat /etc/passwd
    want_code 1 && want_out "" && want_err "Permission denied"
}

test_the_command_reads_its_label_as_nohosts_enforce() {
    run sk-aaexec -p nohosts cat /proc/self/attr/current
    want_code 0 && want_out "nohosts (enforce)"
}

test_a_shell_under_nohosts_runs_cat_but_not_id() {
    # S8's shell. Full paths: busybox sh runs a bare `cat` or `id` as an
    # applet of its own binary, which is not the cat the profile allows.
    run sk-aaexec -p nohosts -- sh -c '/usr/bin/cat /etc/hosts; /usr/bin/id'
    want_code 126 && want_out "$(cat /etc/hosts)" && want_err "/usr/bin/id: Permission denied"
}

test_verbose_prints_the_label_of_the_command() {
    run sk-aaexec -v -p nohosts cat /etc/hosts
    want_code 0 && want_err "wrote 'exec nohosts' to /proc/self/attr/apparmor/exec" &&
        want_err "at exec the label becomes nohosts"
}

test_a_profile_that_is_not_loaded_exits_125_naming_it() {
    run sk-aaexec -p notloaded touch /tmp/notloaded-ran
    want_code 125 && want_no_file /tmp/notloaded-ran &&
        want_one_err_line "profile notloaded is not loaded (load it with apparmor_parser -r FILE"
}

test_load_loads_the_profile_and_runs() {
    grep -q '^loadme ' /sys/kernel/security/apparmor/profiles && { why "loadme was loaded before"; return; }
    run sk-aaexec --load /sk/profiles/loadme -p loadme cat /proc/self/attr/current
    want_code 0 && want_out "loadme (enforce)"
}

test_load_of_a_broken_file_fails_closed() {
    run sk-aaexec --load /sk/profiles/broken -p broken touch /tmp/broken-ran
    want_code 125 && want_no_file /tmp/broken-ran &&
        want_one_err_line "cannot load AppArmor profiles from /sk/profiles/broken: apparmor_parser exited with status"
}

test_load_of_a_missing_file_fails_closed() {
    run sk-aaexec --load /sk/profiles/nonexistent -p nohosts touch /tmp/missing-ran
    want_code 125 && want_no_file /tmp/missing-ran && want_one_err_line "/sk/profiles/nonexistent"
}

test_apparmor_parser_loads_outer() {
    run apparmor_parser -r /sk/profiles/outer
    want_code 0
}

test_under_no_new_privs_a_confined_process_is_told_to_stack() {
    run sk-aaexec -p outer setpriv --nnp sk-aaexec -p nohosts touch /tmp/nnp-ran
    want_code 125 && want_no_file /tmp/nnp-ran &&
        want_one_err_line "no_new_privs is set and this process is confined by outer (enforce)" &&
        want_err "use --stack"
}

test_the_kernel_itself_refuses_exec_under_no_new_privs() {
    # What the preflight spares the user: without it the execve fails.
    run sk-aaexec -p outer setpriv --nnp sh -c \
        'echo exec nohosts > /proc/self/attr/apparmor/exec && exec /usr/bin/cat /etc/hosts'
    want_out "" || return
    [ "$CODE" != 0 ] || why "the execve into nohosts succeeded under no_new_privs" || return
    want_err "Operation not permitted"
}

test_stack_works_under_no_new_privs() {
    run sk-aaexec -p outer setpriv --nnp sk-aaexec --stack -p nohosts cat /proc/self/attr/current
    # A stack reads as its profiles joined by //&, in the kernel's order.
    want_code 0 || return
    case $OUT in
        "outer//&nohosts (enforce)" | "nohosts//&outer (enforce)") ;;
        *) why "the label is '$OUT', not the stack of outer and nohosts" ;;
    esac
}

test_stack_works_after_sk_capdrop_no_new_privs() {
    need_tool sk-capdrop || return
    run sk-aaexec -p outer sk-capdrop --no-new-privs sys_time sk-aaexec --stack -p nohosts cat /etc/hosts
    want_code 0 && want_out "$(cat /etc/hosts)" || return
    run sk-aaexec -p outer sk-capdrop --no-new-privs sys_time sk-aaexec -p nohosts touch /tmp/capdrop-nnp-ran
    want_code 125 && want_no_file /tmp/capdrop-nnp-ran && want_one_err_line "use --stack"
}

test_stacked_confinement_still_denies_etc_passwd() {
    run sk-aaexec -p outer setpriv --nnp sk-aaexec --stack -p nohosts cat /etc/passwd
    want_code 1 && want_err "Permission denied" || return
    run sk-aaexec -p outer setpriv --nnp sk-aaexec --stack -p nohosts cat /etc/hosts
    want_code 0 && want_out "$(cat /etc/hosts)"
}

test_an_unconfined_process_may_enter_a_profile_under_no_new_privs() {
    run setpriv --nnp sk-aaexec -p nohosts cat /proc/self/attr/current
    want_code 0 && want_out "nohosts (enforce)"
}

test_immediate_confines_before_the_exec() {
    # cat is allowed by nohosts' own exec rules (ix)...
    run sk-aaexec --immediate -p nohosts /usr/bin/cat /proc/self/attr/current
    want_code 0 && want_out "nohosts (enforce)" || return
    # ...touch is not: the exec itself is denied.
    run sk-aaexec --immediate -p nohosts /bin/touch /tmp/immediate-ran
    want_code 126 && want_no_file /tmp/immediate-ran && want_err "Permission denied"
}

test_a_profile_in_a_policy_namespace() {
    mkdir -p /sys/kernel/security/apparmor/policy/namespaces/sktest || { why "cannot make namespace sktest"; return; }
    run apparmor_parser -r /sk/profiles/nsprof
    want_code 0 || return
    run sk-aaexec -n sktest -p nsprof cat /proc/self/attr/current
    want_code 0 && want_out_has "nsprof" || return
    # The fully qualified spelling passes through -p as it is.
    run sk-aaexec -p :sktest://nsprof cat /proc/self/attr/current
    want_code 0 && want_out_has "nsprof" || return
    run sk-aaexec -n nosuchns -p nsprof touch /tmp/ns-ran
    want_code 125 && want_no_file /tmp/ns-ran && want_err "is not loaded"
}

test_without_securityfs_the_write_still_decides() {
    need_tool sk-unshare || return
    run sk-unshare -m sh -c 'umount /sys/kernel/security && exec sk-aaexec -v -p nohosts cat /etc/hosts'
    want_code 0 && want_out "$(cat /etc/hosts)" && want_err "securityfs is not mounted"
}

test_contract_a_missing_command_exits_127() {
    run sk-aaexec -p nohosts /nonexistent
    want_code 127 && want_one_err_line "cannot execute /nonexistent: No such file or directory"
}

test_contract_a_command_that_cannot_be_executed_exits_126() {
    printf '#!/bin/sh\necho hi\n' >/tmp/not-executable
    chmod 644 /tmp/not-executable
    run sk-aaexec -p nohosts /tmp/not-executable
    want_code 126 && want_one_err_line "Permission denied"
}

test_contract_the_commands_own_status_comes_back() {
    run sk-aaexec -p outer sh -c 'exit 42'
    want_code 42
}

test_contract_stdin_and_stdout_flow_through() {
    OUT=$(printf 'a\nb\n' | sk-aaexec -p nohosts cat)
    [ "$OUT" = "$(printf 'a\nb')" ] || why "stdout is '$OUT'"
}
