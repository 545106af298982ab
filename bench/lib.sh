# Shared by the bench/*.sh scripts: build the release tools, time commands
# with hyperfine in one run, print a table of means and ratios.
# Source it from bash: . "$(dirname "$0")/lib.sh"
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

build_release() {
    (cd "$ROOT" && cargo build --release -q "$@")
}

# hf OUT.csv NAME1 CMD1 NAME2 CMD2 ...: one hyperfine run over all commands.
hf() {
    local out=$1; shift
    local args=()
    while [ $# -ge 2 ]; do
        args+=(-n "$1" "$2"); shift 2
    done
    hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" --export-csv "$out" "${args[@]}" >&2
}

# table OUT.csv BASE_NAME: mean (ms) of each command and its ratio to BASE_NAME.
table() {
    awk -F, -v base="$2" '
        NR == 1 { next }
        { name[NR] = $1; mean[NR] = $2 * 1000; sd[NR] = $3 * 1000; if ($1 == base) b = $2 * 1000; n = NR }
        END {
            printf "%-58s %10s %8s %8s\n", "command", "mean ms", "+-", "ratio"
            for (i = 2; i <= n; i++)
                printf "%-58s %10.3f %8.3f %8.2fx\n", name[i], mean[i], sd[i], mean[i] / b
            printf "(ratio = mean / mean of \"%s\")\n", base
        }' "$1"
}

# mean_of OUT.csv NAME: the mean in ms of one command.
mean_of() {
    awk -F, -v n="$2" 'NR > 1 && $1 == n { printf "%.3f", $2 * 1000 }' "$1"
}
