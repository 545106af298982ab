# Test helpers inside the VM (busybox sh).
#
# A test is a function `test_NAME() {` at the start of a line in a t-*.sh
# file (the main boot) or a d-*.sh file (the boot with apparmor=0); the host
# reads the same files to know which results to expect. A test returns 0 to
# pass; a failing check calls `why` (which returns 1) and the test returns
# that. Each test runs in a subshell, so it cannot disturb the next.

# Records why the test fails; returns 1 so `check || return` reads well.
why() {
    printf '%s' "$*" | tr '\n' ' ' | cut -c 1-400 >/tmp/sk-why
    return 1
}

# run CMD...: stdout in $OUT, stderr in $ERR, exit status in $CODE.
# Both go through pipes: AppArmor revalidates a confined command's inherited
# files and would silently swap a file on /tmp for a null file, but it does
# not mediate pipes.
run() {
    OUT=$({ { "$@" </dev/null 2>&1 1>&3 3>&-; echo $? >/tmp/sk-code; } | cat >/tmp/sk-err; } 3>&1)
    CODE=$(cat /tmp/sk-code)
    ERR=$(cat /tmp/sk-err)
}

want_code() {
    [ "$CODE" = "$1" ] || why "exit status $CODE instead of $1; stdout: $OUT; stderr: $ERR"
}

want_out() {
    [ "$OUT" = "$1" ] || why "stdout is '$OUT' instead of '$1' (exit $CODE); stderr: $ERR"
}

want_out_has() {
    case $OUT in *"$1"*) ;; *) why "stdout lacks '$1': '$OUT' (exit $CODE); stderr: $ERR" ;; esac
}

want_err() {
    case $ERR in *"$1"*) ;; *) why "stderr lacks '$1' (exit $CODE): $ERR" ;; esac
}

# The contract: a tool's failure is exactly one stderr line.
want_one_err_line() {
    n=$(printf '%s\n' "$ERR" | grep -c .)
    [ "$n" = 1 ] || why "$n stderr lines instead of one: $ERR"
    want_err "$1"
}

want_no_file() {
    [ ! -e "$1" ] || why "$1 exists: the command ran"
}

# A tool that is missing or still the stub fails its tests with this reason.
need_tool() {
    command -v "$1" >/dev/null || { why "tool not built: $1"; return 1; }
    if "$1" --help 2>/dev/null | grep -q 'Not implemented yet'; then
        why "tool not implemented: $1"
        return 1
    fi
}

# The cgroup (path below /sys/fs/cgroup) a cgroup-v2 process is in.
cgroup_of() {
    sed -n 's/^0::\(.*\)$/\1/p' "$1"
}

run_suite() {
    case $1 in
        main) files=$(ls t-*.sh) ;;
        noaa) files=$(ls d-*.sh) ;;
        *) echo "SKTEST FAIL suite: unknown suite '$1'"; return ;;
    esac
    for f in $files; do . "./$f"; done
    # shellcheck disable=SC2086
    for name in $(sed -n 's/^test_\([a-z0-9_]*\)() *{.*$/\1/p' $files); do
        rm -f /tmp/sk-why
        if ("test_$name") >/tmp/sk-log 2>&1; then
            echo "SKTEST PASS $name"
        elif [ -s /tmp/sk-why ]; then
            echo "SKTEST FAIL $name: $(cat /tmp/sk-why)"
        else
            echo "SKTEST FAIL $name: $(tail -n 3 /tmp/sk-log | tr '\n' ' ')"
        fi
    done
}
