#!/bin/bash
# The cost of the sk-landlock link in the headline chain: the chain with
# `sk-landlock --preset container` after sk-pivot, against the same chain
# without it, in one hyperfine run; prints the median of each and the
# difference. Goal: at most 100 us over the chain without it. Needs root.
. "$(dirname "$0")/lib.sh"
need hyperfine
build_release -p sk-unshare -p sk-cgroup -p sk-pivot -p sk-capdrop -p sk-landlock
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
"$ROOT/scripts/mkrootfs" "$root"

before="sk-unshare -mup sk-cgroup --rm cpu=20000 sk-pivot $root"
after="sk-capdrop sys_time /bin/true"
echo "== the headline chain with and without sk-landlock --preset container ($RUNS runs each)"
hf "$tmp/l.csv" \
    "headline chain" "$REL/$before $after" \
    "headline chain + sk-landlock" "$REL/$before sk-landlock --preset container $after"
table "$tmp/l.csv" "headline chain"
# hyperfine's CSV: command,mean,stddev,median,...
awk -F, 'NR > 1 { median[$1] = $4 * 1e6 }
    END {
        a = median["headline chain"]; b = median["headline chain + sk-landlock"]
        printf "median: %.0f us without, %.0f us with sk-landlock: the link costs %.0f us %s\n",
            a, b, b - a, (b - a <= 100 ? "(goal met)" : "(goal: <= 100 us)")
    }' "$tmp/l.csv"
