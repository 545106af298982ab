#!/bin/bash
# The cost of the sk-landlock link inside the fused headline chain: the
# chain with `sk-landlock --preset container` after sk-pivot, against the
# same chain without it, in one hyperfine run (both fused: one process
# until /bin/true; -v of one run shows each link). Goal: the link costs at
# most 100 us (difference of the medians). Needs root.
. "$(dirname "$0")/lib.sh"
need hyperfine jq
build_release
tmp=$(mktemp -d)
root=$tmp/root
trap 'remove_groups; rm -rf "$tmp"' EXIT
"$ROOT/scripts/mkrootfs" "$root"
cpu_parent >/dev/null

plain=$(headline "$root" /bin/true)
with=${plain/ sk-capdrop / sk-landlock --preset container sk-capdrop }
echo "== the headline chain with and without sk-landlock --preset container"
echo "   $with"
echo "-- how the chain with the link runs (-v):"
"$REL"/$(echo "$with" | sed 's/\(^\| \)\(sk-[a-z]*\) /\1\2 -v /g') 2>&1 |
    grep -e ', fused' -e ', by exec' | sed 's/^/   /'
hf "$tmp/l.csv" \
    "headline chain" "$REL/$plain" \
    "headline chain + sk-landlock" "$REL/$with"
table "$tmp/l.csv" "headline chain"
awk -v a="$(median_of "$tmp/l.csv" "headline chain")" -v b="$(median_of "$tmp/l.csv" "headline chain + sk-landlock")" \
    'BEGIN { d = (b - a) * 1000; printf "sk-landlock link: %.0f us over the chain without it (goal <= 100 us: %s)\n", d, (d <= 100 ? "met" : "NOT met") }'
