#!/usr/bin/env bash
# Resident memory of `mdi-atlas serve` across hot reloads under load, per allocator (issue 16).
#
#   bash bench/reload-rss.sh ATLAS_A ATLAS_B
#
# For each binary in BINS, RUNS times: the server serves a symbolic link that points at ATLAS_A;
# wrk replays a browsing session recorded from ATLAS_A (bench/record-tiles.py) for the whole run;
# every GAP seconds the link is switched to the other atlas (one atomic rename) and the server is
# sent SIGHUP, RELOADS times. The server's VmRSS is read after each reload. Printed per run: the
# series (MB), and min, max and last; at the end one summary line per binary.
#
# A GAP above the blocking pool's 10 s keep-alive makes every reload run on a new thread, as the
# folder watcher's reloads do in production (and in bench/soak.sh): with glibc's malloc each
# such thread can get an arena of its own that keeps what the old atlas freed.
#
# To compare with glibc's malloc, build the binary both ways and name both:
#   cargo build --release -p mdi-atlas --features system-allocator
#   cp target/release/mdi-atlas /tmp/mdi-atlas-glibc
#   cargo build --release -p mdi-atlas
#   BINS="target/release/mdi-atlas /tmp/mdi-atlas-glibc" bash bench/reload-rss.sh A B
#
# Environment [defaults]: BINS [target/release/mdi-atlas]; RUNS [3]; RELOADS [12]; GAP [12]
# seconds; CONNECTIONS [16]; PORT [3912].
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
[ $# -eq 2 ] || { echo "usage: $0 ATLAS_A ATLAS_B" >&2; exit 2; }
a=$(readlink -f "$1")
b=$(readlink -f "$2")
for d in "$a" "$b"; do
  [ -f "$d/metadata.json" ] || { echo "$d: not an atlas (no metadata.json)" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
BINS=${BINS:-$repo/target/release/mdi-atlas}
for bin in $BINS; do
  [ -x "$bin" ] || { echo "no binary at $bin (cargo build --release -p mdi-atlas)" >&2; exit 2; }
done
runs=${RUNS:-3}
reloads=${RELOADS:-12}
gap=${GAP:-12}
conns=${CONNECTIONS:-16}
port=${PORT:-3912}
url=http://127.0.0.1:$port
work=$(mktemp -d /tmp/mdi-reload-rss.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

python3 "$here/record-tiles.py" "$a" "$work/tiles.txt" >/dev/null
rss() { awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$1/status"; }
point() { # target: switch $work/served to it in one rename
  ln -sfn "$1" "$work/next" && mv -T "$work/next" "$work/served"
}

declare -A summary
for run in $(seq "$runs"); do
  for bin in $BINS; do
    point "$a"
    "$bin" serve --atlas "$work/served" --watch 0 --bind "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 600); do curl -sf "$url/api/meta" >/dev/null && break; sleep 0.1; done
    series="$(rss "$server")"
    wrk -t1 -c"$conns" -d"$((reloads * gap + 5))s" -H 'Accept-Encoding: gzip' -s "$here/replay.lua" \
      "$url" -- "$work/tiles.txt" '/tiles/{z}/{x}/{y}.mvt' >"$work/wrk.txt" 2>&1 &
    load=$!
    for i in $(seq "$reloads"); do
      sleep "$gap"
      [ $((i % 2)) = 1 ] && point "$b" || point "$a"
      before=$(grep -c "atlas reloaded" "$work/serve.log" || true)
      kill -HUP "$server"
      for _ in $(seq 300); do
        [ "$(grep -c "atlas reloaded" "$work/serve.log" || true)" -gt "$before" ] && break
        sleep 0.1
      done
      series="$series $(rss "$server")"
    done
    wait "$load" || { echo "wrk failed:" >&2; cat "$work/wrk.txt" >&2; exit 1; }
    done_reloads=$(grep -c "atlas reloaded" "$work/serve.log" || true)
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    stats=$(echo "$series" | tr ' ' '\n' | sort -n | sed -n '1p;$p' | tr '\n' ' ')
    last=${series##* }
    rps=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' "$work/wrk.txt")
    echo "run $run $bin: reloads=$done_reloads rss_mb=[$series] min/max=${stats% } last=$last rps=$rps"
    summary[$bin]="${summary[$bin]:-} $(echo "$series" | tr ' ' '\n' | sort -n | tail -1)"
  done
done
for bin in $BINS; do
  echo "summary $bin: max RSS per run (MB):${summary[$bin]}"
done
