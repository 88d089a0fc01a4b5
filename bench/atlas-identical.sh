#!/usr/bin/env bash
# Do two commits write the same atlas? Builds the demo atlas and the national 2014 atlas (with
# MBTiles) with the release binary of REV (default: HEAD~1, in a temporary git worktree) and of
# the working tree, and compares every file of the two atlases byte for byte (metadata.json and
# build-report.json are compared with their build time and format version left out).
#
#   bash bench/atlas-identical.sh [REV]
#
# A refactoring that must not change outputs (issue 12) passes when every line says
# "identical". The base is built once into target/atlas-identical-base (a release build of its
# own: minutes). Needs ../shared/data for the national atlas (skipped with a message otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD~1}
data=$(cd "${MDI_DATA_DIR:-../shared/data}" 2>/dev/null && pwd || echo /nonexistent)
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/base" "$rev"
# One target folder for both, so the dependencies are built once.
target=$(pwd)/target
# BASE_BIN=path: a release binary of REV built before (skips that build).
if [ -z "${BASE_BIN:-}" ]; then
  (cd "$work/base" && CARGO_TARGET_DIR="$target/atlas-identical-base" cargo build --release -q -p mdi-atlas)
  BASE_BIN=$target/atlas-identical-base/release/mdi-atlas
fi
cargo build --release -q -p mdi-atlas
bins=("$BASE_BIN" "$target/release/mdi-atlas")
# Each binary runs in its own tree, with that commit's profiles.
trees=("$work/base" "$(pwd)")

build() { # bin, out, name, tree
  local bin=$1 out=$2 name=$3
  cd "$4"
  case $name in
    demo) "$bin" build --demo --mbtiles --out "$out" > /dev/null ;;
    nl2014) "$bin" build --profile geodata/profiles/nl-cbs.toml \
      --indicators "$data/nl/kwb_2024_buurt_subset.csv.gz" --year 2024 --min-domains 3 \
      --areas "$data/nl/cbs_buurt_2014.topojson.gz" --mbtiles --out "$out" > /dev/null ;;
  esac
  cd - > /dev/null
}

names=(demo)
if [ -d "$data/nl" ]; then names+=(nl2014); else echo "skipping nl2014: $data/nl not found"; fi
for name in "${names[@]}"; do
  build "${bins[0]}" "$work/before-$name" "$name" "${trees[0]}"
  build "${bins[1]}" "$work/after-$name" "$name" "${trees[1]}"
  for f in atlas.pmtiles atlas.mbtiles areas.fgb scores.csv; do
    if cmp -s "$work/before-$name/$f" "$work/after-$name/$f"; then
      echo "$name/$f identical"
    else
      echo "$name/$f DIFFERS"
    fi
  done
  for f in metadata.json build-report.json; do
    python3 - "$work/before-$name/$f" "$work/after-$name/$f" "$name/$f" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    for k in ("built_at", "format_version"):
        d.pop(k, None)
    for dom in d.get("domains", []):
        dom.pop("names", None)
print(sys.argv[3], "equal as JSON (but for built_at, format_version, domain names)" if a == b else "DIFFERS")
PY
  done
done
