#!/bin/bash
# sk-seccomp, in one hyperfine run per question, medians and ratios:
# (a) loading docker-default before exec'ing /bin/true: the built-in
#     (precompiled at build time) against sk-capdrop sys_time /bin/true
#     (goal: within 150 us of it), Docker's JSON file compiled at start,
#     and the built-in for a capability set that was not precompiled;
# (b) the per-call cost: 1M getpid()/getppid() calls unfiltered, under an
#     empty filter (default allow) and under docker-default
#     (goal: docker-default <= the empty filter + 10%), and 1M
#     personality(0xffffffff) calls, which docker-default allows only by
#     an argument condition, so they run through the program;
# (c) one round trip of a notified call: 10k uname() under --notify uname
#     --report against 10k unfiltered.
# Needs root (setpriv --bounding-set for the not-precompiled case).
. "$(dirname "$0")/lib.sh"
need hyperfine gcc setpriv
build_release -p sk-seccomp -p sk-capdrop
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
json="$ROOT/tools/sk-seccomp/tests/fixtures/docker-default.json"

# median_of OUT.csv NAME: the median in ms of one command.
median_of() { awk -F, -v n="$2" 'NR > 1 && $1 == n { printf "%.4f", $4 * 1000 }' "$1"; }
# Wall-clock medians, and the mean CPU time (user + system), which other
# people's work on a shared machine disturbs less.
medians() {
    printf "  %-58s %10s %10s\n" "" "median ms" "CPU ms"
    awk -F, 'NR > 1 { printf "  %-58s %10.4f %10.4f\n", $1, $4 * 1000, ($5 + $6) * 1000 }' "$1"
}
cpu_of() { awk -F, -v n="$2" 'NR > 1 && $1 == n { printf "%.4f", ($5 + $6) * 1000 }' "$1"; }

cat >"$tmp/loop.c" <<'C'
/* N raw calls (argv[1], default 1M): getpid()/getppid() in turn, or with
   argv[2] = "p" personality(0xffffffff), a query that docker-default
   allows only by an argument condition. Raw syscalls, so that no libc
   cache answers instead of the kernel. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    if (argc > 2 && argv[2][0] == 'p') {
        for (long i = 0; i < n; i++)
            syscall(SYS_personality, 0xffffffffUL);
        return 0;
    }
    for (long i = 0; i < n; i += 2) {
        syscall(SYS_getpid);
        syscall(SYS_getppid);
    }
    return 0;
}
C
cat >"$tmp/uname.c" <<'C'
/* N uname() calls (argv[1]); failures are expected under --report. */
#include <stdlib.h>
#include <sys/utsname.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10000;
    struct utsname u;
    for (long i = 0; i < n; i++)
        uname(&u);
    return 0;
}
C
gcc -O2 -static -o "$tmp/loop" "$tmp/loop.c"
gcc -O2 -static -o "$tmp/uname" "$tmp/uname.c"

echo "== (a) load docker-default, then exec /bin/true ($(uname -r), $(nproc) CPUs)"
hf "$tmp/a.csv" \
    "/bin/true" "/bin/true" \
    "sk-capdrop sys_time /bin/true" "$REL/sk-capdrop sys_time /bin/true" \
    "sk-seccomp --profile docker-default /bin/true" "$REL/sk-seccomp --profile docker-default /bin/true" \
    "sk-seccomp --profile docker-default.json /bin/true" "$REL/sk-seccomp --profile $json /bin/true" \
    "docker-default not precompiled (no CAP_SYS_BOOT)" "setpriv --bounding-set -sys_boot $REL/sk-seccomp --profile docker-default /bin/true" \
    "setpriv --bounding-set -sys_boot /bin/true" "setpriv --bounding-set -sys_boot /bin/true"
medians "$tmp/a.csv"
dd=$(median_of "$tmp/a.csv" "sk-seccomp --profile docker-default /bin/true")
cd_=$(median_of "$tmp/a.csv" "sk-capdrop sys_time /bin/true")
file=$(median_of "$tmp/a.csv" "sk-seccomp --profile docker-default.json /bin/true")
slow=$(median_of "$tmp/a.csv" "docker-default not precompiled (no CAP_SYS_BOOT)")
sp=$(median_of "$tmp/a.csv" "setpriv --bounding-set -sys_boot /bin/true")
ddc=$(cpu_of "$tmp/a.csv" "sk-seccomp --profile docker-default /bin/true")
cdc=$(cpu_of "$tmp/a.csv" "sk-capdrop sys_time /bin/true")
awk -v d="$dd" -v c="$cd_" -v f="$file" -v s="$slow" -v p="$sp" -v dc="$ddc" -v cc="$cdc" 'BEGIN {
    diff = (d - c) * 1000
    printf "docker-default (precompiled) - sk-capdrop = %+.0f us, ratio %.2fx %s; CPU time: %+.0f us\n",
        diff, d / c, (diff <= 150 ? "(goal met)" : "(goal: <= +150 us)"), (dc - cc) * 1000
    printf "docker-default.json compiled at start: %.2fx the precompiled built-in\n", f / d
    printf "docker-default not precompiled: %.2f ms of compiling (setpriv taken off)\n", s - p
}'

echo
# The kernel (5.11+) caches, per syscall number, the calls that a filter
# allows whatever their arguments: those skip the BPF program, and only
# the calls with conditions (personality here) run through it.
for mode in getpid personality; do
    arg=""; [ "$mode" = personality ] && arg=p
    echo "== (b) 1M $mode() calls"
    RUNS=${LOOP_RUNS:-20} WARMUP=3 hf "$tmp/b-$mode.csv" \
        "unfiltered" "$tmp/loop 1000000 $arg" \
        "an empty filter (default allow)" "$REL/sk-seccomp --default allow $tmp/loop 1000000 $arg" \
        "docker-default" "$REL/sk-seccomp --profile docker-default $tmp/loop 1000000 $arg"
    medians "$tmp/b-$mode.csv"
    un=$(median_of "$tmp/b-$mode.csv" "unfiltered")
    empty=$(median_of "$tmp/b-$mode.csv" "an empty filter (default allow)")
    dd=$(median_of "$tmp/b-$mode.csv" "docker-default")
    awk -v u="$un" -v e="$empty" -v d="$dd" -v m="$mode" 'BEGIN {
        printf "%s: docker-default / unfiltered = %.2fx, empty filter / unfiltered = %.2fx, docker-default / empty filter = %.2fx %s\n",
            m, d / u, e / u, d / e, (m == "getpid" ? (d / e <= 1.10 ? "(goal met)" : "(goal: <= 1.10x)") : "") }'
    echo
done

echo "== (c) 10k uname() calls, each a round trip to the supervisor (stderr to /dev/null)"
RUNS=${LOOP_RUNS:-20} WARMUP=3 hf "$tmp/c.csv" \
    "unfiltered" "sh -c '$tmp/uname 10000 2>/dev/null'" \
    "notify uname with --report" "sh -c '$REL/sk-seccomp --notify uname --report $tmp/uname 10000 2>/dev/null'" \
    "notify uname without report" "sh -c '$REL/sk-seccomp --notify uname $tmp/uname 10000 2>/dev/null'" \
    "notify uname and 0 calls (start-up)" "sh -c '$REL/sk-seccomp --notify uname $tmp/uname 0 2>/dev/null'"
medians "$tmp/c.csv"
un=$(median_of "$tmp/c.csv" "unfiltered")
rep=$(median_of "$tmp/c.csv" "notify uname with --report")
quiet=$(median_of "$tmp/c.csv" "notify uname without report")
start=$(median_of "$tmp/c.csv" "notify uname and 0 calls (start-up)")
awk -v r="$rep" -v q="$quiet" -v s="$start" -v u="$un" 'BEGIN {
    printf "per notified call: %.1f us with --report, %.1f us without (start-up %.2f ms taken off); unfiltered uname: %.2f us\n",
        (r - s) * 1000 / 10000, (q - s) * 1000 / 10000, s, u * 1000 / 10000 }'
