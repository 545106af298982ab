#!/bin/bash
# sk-seccomp: (a) the time to build and load Docker's default profile
# (built in, and from its JSON file) before exec'ing /bin/true; (b) the cost
# of the filter per system call: 1M getpid()/getppid() calls unfiltered and
# under docker-default with and without the binary tree
# (goal: <= 1.2x unfiltered with it); (c) one round trip of a notified call:
# 10k uname() under --notify uname --report against 10k unfiltered.
. "$(dirname "$0")/lib.sh"
need hyperfine gcc jq
build_release
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# Docker's own JSON: DOCKER_JSON, or a copy vendored in the repository.
json=${DOCKER_JSON:-$(cd "$ROOT" && git ls-files '*docker*default*.json' '*seccomp*/default.json' | head -n1)}
[ -z "$json" ] || json=$(cd "$ROOT" && realpath "$json")

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

echo "== (a) build and load docker-default, then exec /bin/true"
a=("/bin/true" "/bin/true"
   "sk-seccomp --profile docker-default /bin/true" "$REL/sk-seccomp --profile docker-default /bin/true"
   "sk-seccomp --profile docker-default --no-optimize /bin/true" "$REL/sk-seccomp --profile docker-default --no-optimize /bin/true")
if [ -n "$json" ]; then
    a+=("sk-seccomp --profile docker-default.json /bin/true" "$REL/sk-seccomp --profile $json /bin/true")
else
    echo "(no Docker JSON in the repository and no DOCKER_JSON: --profile FILE not measured)"
fi
hf "$tmp/a.csv" "${a[@]}"
table "$tmp/a.csv" "/bin/true"

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
        "docker-default (binary tree)" "$REL/sk-seccomp --profile docker-default $tmp/loop 1000000 $arg" \
        "docker-default --no-optimize (linear)" "$REL/sk-seccomp --profile docker-default --no-optimize $tmp/loop 1000000 $arg"
    table "$tmp/b-$mode.csv" "unfiltered"
    un=$(median_of "$tmp/b-$mode.csv" "unfiltered")
    empty=$(median_of "$tmp/b-$mode.csv" "an empty filter (default allow)")
    tree=$(median_of "$tmp/b-$mode.csv" "docker-default (binary tree)")
    lin=$(median_of "$tmp/b-$mode.csv" "docker-default --no-optimize (linear)")
    awk -v t="$tree" -v u="$un" -v e="$empty" -v l="$lin" 'BEGIN {
        r = t / u
        printf "%s: binary tree / unfiltered = %.2fx %s; linear / unfiltered = %.2fx; empty filter / unfiltered = %.2fx\n",
            "'"$mode"'", r, (r <= 1.2 ? "(goal met)" : "(goal: <= 1.2x)"), l / u, e / u }'
    echo
done
echo "== (c) 10k uname() calls, each a round trip to the supervisor (stderr to /dev/null)"
RUNS=${LOOP_RUNS:-20} WARMUP=3 hf "$tmp/c.csv" \
    "unfiltered" "sh -c '$tmp/uname 10000 2>/dev/null'" \
    "notify uname with --report" "sh -c '$REL/sk-seccomp --notify uname --report $tmp/uname 10000 2>/dev/null'" \
    "notify uname without report" "sh -c '$REL/sk-seccomp --notify uname $tmp/uname 10000 2>/dev/null'" \
    "notify uname and 0 calls (start-up)" "sh -c '$REL/sk-seccomp --notify uname $tmp/uname 0 2>/dev/null'"
table "$tmp/c.csv" "unfiltered"
un=$(median_of "$tmp/c.csv" "unfiltered")
rep=$(median_of "$tmp/c.csv" "notify uname with --report")
quiet=$(median_of "$tmp/c.csv" "notify uname without report")
start=$(median_of "$tmp/c.csv" "notify uname and 0 calls (start-up)")
awk -v r="$rep" -v q="$quiet" -v s="$start" -v u="$un" 'BEGIN {
    printf "per notified call: %.1f us with --report, %.1f us without (start-up %.2f ms taken off); unfiltered uname: %.2f us\n",
        (r - s) * 1000 / 10000, (q - s) * 1000 / 10000, s, u * 1000 / 10000 }'
