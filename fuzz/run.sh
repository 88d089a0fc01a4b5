#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS over its corpus (fuzz/corpus/<target>/,
# read-only: new finds go to a scratch folder) after replaying its saved reproducers
# (fuzz/regressions/<target>/). Fails on a crash, a timeout or an out-of-memory, and prints
# where the reproducer is. Works with the stable toolchain: cargo-fuzz (pinned) is installed
# into a cache folder if absent, and the targets are built with RUSTC_BOOTSTRAP=1 and
# `--sanitizer none` (libFuzzer's coverage, no AddressSanitizer; Rust code needs none).
#
#   bash fuzz/run.sh SECONDS [TARGET…]      (no TARGET: every target)
#
# Environment: FUZZ_SEED (libFuzzer's -seed; unset: a random seed per run. CI sets it, so that
# its short runs follow nearly the path of a seeded run here; new crashes are hunted by longer
# runs without it, see docs/RELIABILITY.md), FUZZ_TOOLS (where cargo-fuzz is installed; default
# ~/.cache/mdi-atlas/fuzz-tools), CARGO_TARGET_DIR (default fuzz/target), FUZZ_OUT (crash
# artifacts and logs; default $CARGO_TARGET_DIR/fuzz-out), FUZZ_MERGE=1 (merge what the run
# found into fuzz/corpus/<target>/, minimised, for committing).
set -euo pipefail

CARGO_FUZZ_VERSION=0.13.1
FUZZ_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL_TARGETS=(indicator_csv profile_toml geojson topojson flatgeobuf geopackage pmtiles server_request mvt_roundtrip)

usage() {
  echo "usage: bash fuzz/run.sh SECONDS [TARGET…]; targets: ${ALL_TARGETS[*]}" >&2
  exit 2
}
[[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]] || usage
SECONDS_PER_TARGET="$1"
shift
TARGETS=("$@")
[[ ${#TARGETS[@]} -gt 0 ]] || TARGETS=("${ALL_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
  [[ -f "$FUZZ_DIR/fuzz_targets/$t.rs" ]] || { echo "fuzz/run.sh: unknown target \`$t\`" >&2; usage; }
done

TOOLS="${FUZZ_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/mdi-atlas/fuzz-tools}"
CARGO_FUZZ="$TOOLS/bin/cargo-fuzz"
if [[ ! -x "$CARGO_FUZZ" ]] || ! "$CARGO_FUZZ" --version | grep -q " $CARGO_FUZZ_VERSION\$"; then
  echo "fuzz/run.sh: installing cargo-fuzz $CARGO_FUZZ_VERSION into $TOOLS"
  cargo install cargo-fuzz --locked --version "$CARGO_FUZZ_VERSION" --root "$TOOLS"
fi

TARGET_DIR="${CARGO_TARGET_DIR:-$FUZZ_DIR/target}"
OUT="${FUZZ_OUT:-$TARGET_DIR/fuzz-out}"
mkdir -p "$OUT"
TRIPLE="$(rustc -vV | sed -n 's/^host: //p')"

start=$(date +%s)
# On stable, RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its -Z flags. One build makes every
# target (they share their dependencies, which are most of the time).
if ! (cd "$FUZZ_DIR" && RUSTC_BOOTSTRAP=1 "$CARGO_FUZZ" build --sanitizer none \
  --target-dir "$TARGET_DIR") >"$OUT/build.log" 2>&1; then
  tail -n 40 "$OUT/build.log" >&2
  echo "fuzz/run.sh: the build of the fuzz targets failed; log: $OUT/build.log" >&2
  exit 1
fi
BIN_DIR="$TARGET_DIR/$TRIPLE/release"
echo "fuzz/run.sh: built in $(( $(date +%s) - start )) s"

failed=()
for t in "${TARGETS[@]}"; do
  artifacts="$OUT/artifacts/$t"
  scratch="$OUT/corpus/$t"
  log="$OUT/$t.log"
  mkdir -p "$artifacts" "$scratch"
  corpora=("$scratch" "$FUZZ_DIR/corpus/$t")
  regressions="$FUZZ_DIR/regressions/$t"
  # Replay the saved reproducers first: each must now run clean.
  if compgen -G "$regressions/*" >/dev/null; then
    "$BIN_DIR/$t" -runs=1 -timeout=10 -rss_limit_mb=2048 "$regressions"/* >"$log.regressions" 2>&1 &
    pid=$!
    if ! wait "$pid"; then
      rm -rf "/dev/shm/mdi-fuzz-$pid" "/tmp/mdi-fuzz-$pid"
      echo "fuzz/run.sh: $t: a saved reproducer in $regressions fails again; log: $log.regressions" >&2
      grep -m3 -E "panicked|ERROR" "$log.regressions" >&2 || true
      failed+=("$t")
      continue
    fi
    rm -rf "/dev/shm/mdi-fuzz-$pid" "/tmp/mdi-fuzz-$pid"
  fi
  seed=()
  [[ -n "${FUZZ_SEED:-}" ]] && seed=(-seed="$FUZZ_SEED")
  "$BIN_DIR/$t" "${corpora[@]}" "${seed[@]}" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 \
    -rss_limit_mb=2048 -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1 &
  pid=$!
  status=0
  wait "$pid" || status=$?
  rm -rf "/dev/shm/mdi-fuzz-$pid" "/tmp/mdi-fuzz-$pid"
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
  if [[ $status -ne 0 ]]; then
    repro=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n1)
    echo "fuzz/run.sh: $t: FAILED after ${runs:-?} runs (exit $status); reproducer: ${repro:-none written}; log: $log" >&2
    grep -m3 -E "panicked|ERROR: libFuzzer|SUMMARY" "$log" >&2 || true
    echo "  replay: $BIN_DIR/$t ${repro:-<reproducer>}" >&2
    failed+=("$t")
  else
    echo "fuzz/run.sh: $t: ${SECONDS_PER_TARGET} s, ${runs:-?} runs, no crash"
  fi
  if [[ "${FUZZ_MERGE:-0}" == 1 ]]; then
    merged="$OUT/merged/$t"
    rm -rf "$merged" && mkdir -p "$merged"
    "$BIN_DIR/$t" -merge=1 "$merged" "$FUZZ_DIR/corpus/$t" "$scratch" >"$log.merge" 2>&1 &
    pid=$!
    wait "$pid" || { echo "fuzz/run.sh: $t: merge failed; log: $log.merge" >&2; exit 1; }
    rm -rf "/dev/shm/mdi-fuzz-$pid" "/tmp/mdi-fuzz-$pid"
    rm -rf "$FUZZ_DIR/corpus/$t" && mv "$merged" "$FUZZ_DIR/corpus/$t"
  fi
done

echo "fuzz/run.sh: ${#TARGETS[@]} targets in $(( $(date +%s) - start )) s, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[[ ${#failed[@]} -eq 0 ]]
