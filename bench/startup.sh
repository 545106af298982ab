#!/bin/bash
# Start-up cost of each tool, and sk-unshare against unshare(1).
# A chain is several execs in a row, so each tool's own start-up is the
# product's speed. Goals: every tool's --version within 0.150 ms of
# /bin/true; sk-unshare -mup /bin/true <= 1.0x unshare -mup --fork /bin/true.
. "$(dirname "$0")/lib.sh"
need hyperfine unshare
build_release --workspace
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

echo "== exec of --version vs /bin/true"
cmds=("/bin/true" "/bin/true")
for t in sk-unshare sk-pivot sk-cgroup sk-capdrop sk-seccomp sk-aaexec; do
    cmds+=("$t --version" "$REL/$t --version")
done
hf "$tmp/v.csv" "${cmds[@]}"
table "$tmp/v.csv" /bin/true
t0=$(mean_of "$tmp/v.csv" /bin/true)
for t in sk-unshare sk-pivot sk-cgroup sk-capdrop sk-seccomp sk-aaexec; do
    m=$(mean_of "$tmp/v.csv" "$t --version")
    awk -v t="$t" -v m="$m" -v b="$t0" 'BEGIN { d = (m - b) * 1000; printf "%-12s +%4.0f us over /bin/true %s\n", t, d, (d <= 150 ? "(goal met)" : "(goal: <= 150 us)") }'
done

echo
echo "== new namespaces: sk-unshare vs unshare(1)"
hf "$tmp/u.csv" \
    "unshare -mup --fork /bin/true" "unshare -mup --fork /bin/true" \
    "sk-unshare -mup /bin/true" "$REL/sk-unshare -mup /bin/true" \
    "unshare -n /bin/true" "unshare -n /bin/true" \
    "sk-unshare -n /bin/true" "$REL/sk-unshare -n /bin/true"
table "$tmp/u.csv" "unshare -mup --fork /bin/true"
