# sk-landlock on Debian 12's kernel (6.1: Landlock ABI 2), issue 18's VM
# acceptance: strict mode refuses what ABI 2 cannot keep, naming the ABIs;
# --best-effort applies the filesystem rules, says what it left out, and
# the rules hold. The release build here ignores SK_LANDLOCK_TEST_ABI.

test_landlock_is_active_with_abi_2() {
    need_tool sk-landlock || return
    grep -q landlock /sys/kernel/security/lsm || why "landlock not in $(cat /sys/kernel/security/lsm)" || return
    run sk-landlock --best-effort --ro / --exec / --print true
    want_code 0 && want_err "Landlock ABI 2, best effort"
}

test_landlock_strict_with_a_network_rule_exits_125_naming_the_abis() {
    need_tool sk-landlock || return
    run sk-landlock --ro / --exec / --rw /tmp --bind-tcp 8080 touch /tmp/ll-strict-ran
    want_code 125 && want_no_file /tmp/ll-strict-ran &&
        want_one_err_line "cannot keep the rules with this kernel's Landlock ABI 2: truncate needs ABI 3" &&
        want_err "--bind-tcp needs ABI 4 (TCP ports)"
}

test_landlock_strict_ro_alone_exits_125_for_truncate() {
    need_tool sk-landlock || return
    run sk-landlock --ro / --exec / touch /tmp/ll-ro-ran
    want_code 125 && want_no_file /tmp/ll-ro-ran && want_one_err_line "truncate needs ABI 3"
}

test_landlock_best_effort_applies_the_filesystem_rules() {
    need_tool sk-landlock || return
    mkdir -p /tmp/ll-rw /tmp/ll-other
    echo old >/tmp/ll-other/f
    run sk-landlock --best-effort --ro / --exec / --rw /tmp/ll-rw --bind-tcp 8080 sh -c \
        'echo a > /tmp/ll-rw/f && echo rw-ok; cat /tmp/ll-other/f; echo new > /tmp/ll-other/f; mkdir /tmp/ll-other/d; true'
    want_code 0 && want_out "rw-ok
old" || return
    want_err "warning: left out with this kernel's Landlock ABI 2: truncate needs ABI 3" &&
        want_err "--bind-tcp needs ABI 4" && want_err "Permission denied" || return
    [ "$(cat /tmp/ll-other/f)" = old ] || why "/tmp/ll-other/f was written: $(cat /tmp/ll-other/f)" || return
    want_no_file /tmp/ll-other/d
}

test_landlock_best_effort_still_denies_exec_and_reads() {
    need_tool sk-landlock || return
    mkdir -p /tmp/ll-x
    cp /bin/busybox /tmp/ll-x/bb
    run sk-landlock --best-effort --ro /bin --exec /bin --rw /tmp/ll-x /bin/sh -c \
        '/tmp/ll-x/bb true || echo exec-denied; /bin/cat /etc/hosts || echo read-denied'
    want_code 0 && want_out "exec-denied
read-denied" && want_err "Permission denied"
}

test_landlock_release_build_ignores_the_test_abi_variable() {
    need_tool sk-landlock || return
    # An assumed ABI 1 would also leave out refer; the release build uses
    # the kernel's 2.
    run env SK_LANDLOCK_TEST_ABI=1 sk-landlock --best-effort --ro / --exec / --rw /tmp true
    want_code 0 && want_err "Landlock ABI 2" || return
    case $ERR in *refer*) why "the release build took SK_LANDLOCK_TEST_ABI: $ERR" ;; esac
}
