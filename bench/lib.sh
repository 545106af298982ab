# Shared by the bench/*.sh scripts: build the release tools, time commands
# with hyperfine in one run, print medians with their spread and ratios.
# Source it from bash: . "$(dirname "$0")/lib.sh"
# Prints the machine and the date first, so that a record can name them.
set -eu
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
REL="$ROOT/target/x86_64-unknown-linux-gnu/release"
export PATH="$REL:$PATH"
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-20}

need() {
    for p in "$@"; do
        command -v "$p" >/dev/null 2>&1 || { echo "bench: $p is not installed" >&2; exit 1; }
    done
}

# The whole workspace, always: building a subset unifies dependency
# features differently, which would relink (fat LTO, minutes) and measure
# other binaries than the other scripts do.
build_release() {
    (cd "$ROOT" && cargo build --release -q --workspace)
}

machine() {
    local cpu
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
    echo "#### bench/$(basename "$0"), seckun $(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
    echo "machine: $(hostname); $cpu; $(nproc) CPUs; Linux $(uname -r)"
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
machine

# hf OUT.csv NAME1 CMD1 NAME2 CMD2 ...: one hyperfine run over all commands
# (OUT.csv, and OUT.json with every run's time).
hf() {
    local out=$1; shift
    local args=()
    while [ $# -ge 2 ]; do
        args+=(-n "$1" "$2"); shift 2
    done
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
        --export-csv "$out" --export-json "${out%.csv}.json" "${args[@]}" >&2
}

# table OUT.csv BASE_NAME: the median (ms) of each command, its spread
# (the middle half of the runs: first to third quartile) and the ratio of
# its median to BASE_NAME's.
table() {
    jq -r --arg base "$2" '
        def q(p): sort | .[(length - 1) * p | floor];
        (.results[] | select(.command == $base) | .median) as $b
        | .results[]
        | [.command, .median * 1000, (.times | q(0.25)) * 1000, (.times | q(0.75)) * 1000,
           .median / $b, (.times | length)] | @tsv' "${1%.csv}.json" |
        awk -F'\t' -v base="$2" '
            BEGIN { printf "%-60s %9s %17s %7s %5s\n", "command", "median ms", "q1 - q3 ms", "ratio", "runs" }
            { printf "%-60s %9.3f %8.3f-%-8.3f %6.2fx %5d\n", $1, $2, $3, $4, $5, $6 }
            END { printf "(ratio = median / median of \"%s\")\n", base }'
}

# median_of OUT.csv NAME: the median in ms of one command.
median_of() {
    awk -F, -v n="$2" 'NR > 1 && $1 == n { printf "%.3f", $4 * 1000 }' "$1"
}

# goal OUT.csv A B [LIMIT]: prints "A / B = R x" of the medians, and
# whether it is within LIMIT.
goal() {
    awk -v a="$(median_of "$1" "$2")" -v b="$(median_of "$1" "$3")" -v lim="${4:-}" -v an="$2" -v bn="$3" \
        'BEGIN { r = a / b; printf "%s / %s = %.2fx", an, bn, r
                 if (lim != "") printf " (goal <= %sx: %s)", lim, (r <= lim ? "met" : "NOT met")
                 printf "\n" }'
}

# The bench's parent group, skbench-PID, in the hierarchy with the cpu
# controller (v1, or v2 with cpu enabled below it) and, when cpu is on a v1
# hierarchy of its own, in the cpuacct one (sk-cgroup joins it too, for the
# usage). cpu_parent makes them and prints the two mount points ("-" for no
# cpuacct of its own). remove_groups (call it from the EXIT trap) removes
# them and every group below them, in every hierarchy.
GRP=skbench-$$
cpu_parent() {
    local cpu acct
    cpu=$(awk '$9 == "cgroup" && $NF ~ /(^|,)cpu(,|$)/ { print $5; exit }' /proc/self/mountinfo)
    acct=$(awk '$9 == "cgroup" && $NF ~ /(^|,)cpuacct(,|$)/ { print $5; exit }' /proc/self/mountinfo)
    [ -n "$cpu" ] || cpu=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
    [ -n "$acct" ] && [ "$acct" != "$cpu" ] || acct=-
    mkdir "$cpu/$GRP"
    if [ -f "$cpu/cgroup.subtree_control" ]; then echo +cpu > "$cpu/$GRP/cgroup.subtree_control"; fi
    if [ "$acct" != - ]; then mkdir "$acct/$GRP"; fi
    echo "$cpu $acct"
}
remove_groups() {
    local m
    for m in $(awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo); do
        [ -d "$m/$GRP" ] || continue
        find "$m/$GRP" -depth -mindepth 1 -type d -exec rmdir {} + 2>/dev/null || true
        rmdir "$m/$GRP" 2>/dev/null || true
    done
}

# headline ROOT COMMAND...: the headline chain of issue 13, its groups
# under the bench parent (no --rm: they stay until remove_groups).
headline() {
    local root=$1; shift
    echo "sk-unshare -mup sk-cgroup --parent /$GRP cpu=20000 sk-pivot $root sk-capdrop sys_time $*"
}
