#!/usr/bin/env bash
# Benchmark of `mdi-atlas build` (no tiles): the national 2014 buurten with the 2024 KWB subset,
# and the generated demo region at 1,000,000 buurten (one year, see below). Three runs each;
# prints wall time and peak memory (max RSS) per run and the medians.
#
#   bash bench/build.sh [RUNS]
#
# Needs ../shared/data for the national case (skipped with a message otherwise) and GNU time.
# MDI_ATLAS_BIN=path uses that binary instead of building target/release/mdi-atlas (to compare
# two commits in one sitting). SKIP_LARGE=1 leaves out the 1,000,000-buurt case.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
data=${MDI_DATA_DIR:-../shared/data}
if [ -n "${MDI_ATLAS_BIN:-}" ]; then
  bin=$MDI_ATLAS_BIN
else
  cargo build --release -q -p mdi-atlas
  bin=target/release/mdi-atlas
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

measure() { # name, command...
  local name=$1; shift
  local walls=() rss=()
  for i in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$out/time" "$@" > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }
    read -r w m < "$out/time"
    walls+=("$w"); rss+=("$m")
    echo "$name run $i: ${w} s wall, $((m / 1024)) MB peak RSS"
  done
  local mw mr
  mw=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  mr=$(printf '%s\n' "${rss[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name median: ${mw} s wall, $((mr / 1024)) MB peak RSS"
}

if [ -d "$data/nl" ]; then
  measure "national 2014 buurten + KWB 2024" "$bin" build --profile geodata/profiles/nl-cbs.toml \
    --indicators "$data/nl/kwb_2024_buurt_subset.csv.gz" --year 2024 --min-domains 3 \
    --areas "$data/nl/cbs_buurt_2014.topojson.gz" --no-tiles --out "$out/nl"
else
  echo "skipping the national case: $data/nl not found (set MDI_DATA_DIR)"
fi
# One year at 1,000,000 buurten: ten years would hold 10 million area-years.
if [ -z "${SKIP_LARGE:-}" ]; then
  measure "synthetic 1,000,000 buurten, 1 year" "$bin" build --demo --demo-areas 1000000 \
    --demo-years 2024 2024 --no-tiles --out "$out/big"
fi
measure "synthetic 600 buurten, 10 years (the demo)" "$bin" build --demo --no-tiles --out "$out/demo"
