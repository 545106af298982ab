#!/bin/bash
# What the one-process engine costs to start and hold (issue 13, goals):
#   1. each tool's --version against /bin/true, one hyperfine run
#      (goal: within 150 us of /bin/true, medians);
#   2. the stripped size of the multicall binary: every sk-* name is the
#      whole engine (goal <= 3 MiB);
#   3. the peak RSS of each process of the headline chain: the staying
#      parent of sk-unshare -p (VmHWM, read while the command runs), and
#      the process that makes every step and then executes the command
#      (getrusage(RUSAGE_SELF) in that command: the kernel keeps the peak
#      across execve) (goal <= 3 MiB each);
#   4. 100 headline chains started at once: all must succeed;
#   5. sk-unshare -mup against unshare(1) -mup --fork (goal <= 1.0x).
# Needs root.
. "$(dirname "$0")/lib.sh"
need hyperfine unshare gcc jq strip
build_release
tmp=$(mktemp -d)
root=$tmp/root
trap 'remove_groups; rm -rf "$tmp"' EXIT
tools=$(sed -n '/pub const TOOLS/,/];/s/^ *"\(sk-[a-z]*\)",$/\1/p' "$ROOT/crates/sk-common/src/tools.rs")
"$ROOT/scripts/mkrootfs" "$root"
cpu_parent >/dev/null

echo "== 1. exec of --version against /bin/true"
cmds=("/bin/true" "/bin/true")
for t in $tools; do cmds+=("$t --version" "$REL/$t --version"); done
hf "$tmp/v.csv" "${cmds[@]}"
table "$tmp/v.csv" /bin/true
for t in $tools; do
    awk -v t="$t" -v m="$(median_of "$tmp/v.csv" "$t --version")" -v b="$(median_of "$tmp/v.csv" /bin/true)" \
        'BEGIN { d = (m - b) * 1000; printf "%-12s +%4.0f us over /bin/true (goal <= 150 us: %s)\n", t, d, (d <= 150 ? "met" : "NOT met") }'
done

echo
echo "== 2. stripped size of the multicall binary (release build)"
for t in $tools; do
    strip -o "$tmp/$t" "$REL/$t"
    stat -c %s "$tmp/$t" | awk -v t="$t" \
        '{ printf "%-12s %9d bytes = %.2f MiB (goal <= 3 MiB: %s)\n", t, $1, $1 / 1048576, ($1 <= 3145728 ? "met" : "NOT met") }'
done

echo
echo "== 3. peak RSS of each process of the headline chain"
cat > "$tmp/probe.c" <<'C'
/* Prints the peak RSS (KiB) of its process, before and after its execve,
   then waits a second, so that the chain's parent can be read meanwhile. */
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>
int main(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    printf("%ld\n", u.ru_maxrss);
    fflush(stdout);
    sleep(1);
    return 0;
}
C
gcc -static -O2 -o "$root/rss-probe" "$tmp/probe.c"
"$REL"/$(headline "$root" /rss-probe) > "$tmp/probe.out" &
chain=$!
for _ in $(seq 100); do [ -s "$tmp/probe.out" ] && break; sleep 0.02; done
parent=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$chain/status")
wait "$chain"
for p in "sk-unshare's staying parent:$parent" "the steps' process, then the command:$(cat "$tmp/probe.out")"; do
    kb=${p##*:}
    printf "%-40s %6d KiB (goal <= 3072 KiB: %s)\n" "${p%:*}" "$kb" "$([ "$kb" -le 3072 ] && echo met || echo NOT met)"
done

echo
echo "== 4. 100 headline chains started at once"
start=$(date +%s%N)
pids=()
for i in $(seq 100); do
    "$REL"/$(headline "$root" /bin/true) >/dev/null 2>"$tmp/err.$i" &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=$((failed + 1)); done
echo "$((100 - failed)) of 100 succeeded, $failed failed (goal: 0), wall time $(( ($(date +%s%N) - start) / 1000000 )) ms"
cat "$tmp"/err.* | sort | uniq -c | head

echo
echo "== 5. new namespaces: sk-unshare against unshare(1)"
hf "$tmp/u.csv" \
    "unshare -mup --fork /bin/true" "unshare -mup --fork /bin/true" \
    "sk-unshare -mup /bin/true" "$REL/sk-unshare -mup /bin/true"
table "$tmp/u.csv" "unshare -mup --fork /bin/true"
goal "$tmp/u.csv" "sk-unshare -mup /bin/true" "unshare -mup --fork /bin/true" 1.0
