#!/usr/bin/env bash
# How long does `mdi-atlas report` take on the real national atlas (13,594 buurten of 2020,
# every gemeente, years 2017 and 2024, 999 permutations for Moran's I, local Moran and Gi*)?
# Target (issue 14): under 5 s on this machine. Also times the demo atlas for comparison.
#
#   bash bench/report.sh [RUNS]    (default 5 runs per case; prints every run and the median)
#
# Builds the release binary and the two atlases first (not timed). Needs ../shared/data for
# the national atlas (skipped with a message otherwise). Peak memory from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release -q -p mdi-atlas
bin=$(pwd)/target/release/mdi-atlas
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" build --demo --no-tiles --out "$work/demo" > /dev/null
cases=("demo:$work/demo")
if MDI_ATLAS_BIN=$bin scripts/build-nl-real.sh "$work/nl-real" --no-tiles > /dev/null 2>&1; then
  cases+=("nl-real:$work/nl-real")
else
  echo "SKIPPED: the national atlas (no ../shared/data, or the build failed)"
fi
for c in "${cases[@]}"; do
  name=${c%%:*}; atlas=${c#*:}
  for fmt in json html; do
    times=()
    for _ in $(seq "$runs"); do
      /usr/bin/time -f "%e %M" -o "$work/t" "$bin" report --atlas "$atlas" --format "$fmt" \
        --permutations 999 --out "$work/report.$fmt" > /dev/null
      read -r s kb < "$work/t"
      times+=("$s")
      echo "$name $fmt: ${s} s, peak ${kb} KiB"
    done
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    echo "== $name $fmt: median ${median} s over $runs runs"
  done
done
