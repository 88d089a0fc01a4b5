#!/usr/bin/env bash
# Serving benchmark: `mdi-atlas serve` against Martin 1.14 on the same atlas.pmtiles, after the
# method of docs/TILES.md ("A fair benchmark method"). Builds nothing.
#
#   bash bench/serve-vs-martin.sh ATLAS_DIR        # ATLAS_DIR holds atlas.pmtiles (ATLAS_DIR= env too)
#
# Environment (defaults in brackets):
#   RUNS [3]  DURATION [15s]  WARMUP [5s]   runs of every server x regime, alternating the servers
#   ONLY [both]           martin | ours: benchmark one server alone
#   REGIMES ["gzip identity"]   gzip: client sends Accept-Encoding: gzip (the main target);
#                         identity: no Accept-Encoding, the server must gunzip every tile
#   COLD_STARTS [5]       starts per server for the cold-start time (0: skip)
#   OUT [/tmp/serve-bench.json]  machine-readable summary
#   TILE_LIST             a recorded list (bench/record-tiles.py); default: recorded now from the atlas
#   MARTIN [martin on PATH, else ~/.cargo/bin/martin]   MDI_ATLAS_BIN [<repo>/target/release/mdi-atlas]
#   MARTIN_PORT [3901]  OURS_PORT [3902]  SERVER_CORE [0]  CLIENT_CORE [1]
#
# Per run and server and regime: a fresh server pinned to SERVER_CORE with one worker
#   Martin: martin -W 1 --listen-addresses 127.0.0.1:PORT ATLAS_DIR/atlas.pmtiles
#           (no -C: caches on at their default sizes, 1.14 logs a 256 MB tile cache and a 128 MB
#           PMTiles directory cache; the source id is the file stem "atlas", tiles at
#           /atlas/{z}/{x}/{y}; a missing tile is a 204)
#   ours:   mdi-atlas serve --atlas ATLAS_DIR --bind 127.0.0.1:PORT --workers 1
#           (tiles at /tiles/{z}/{x}/{y}.mvt)
# is polled until it answers, warmed up with WARMUP of the replay (longer if WARMUP does not
# cover one pass of the list, so that the cache-on regime is warm), then loaded for DURATION by
#   taskset -c CLIENT_CORE wrk -t1 -c64 -d$DURATION --latency [-H 'Accept-Encoding: gzip'] \
#     -s bench/replay.lua http://127.0.0.1:PORT -- LIST TEMPLATE
# replaying the recorded browsing session. Recorded: req/s, p50/p99/max latency (from the replay
# script's done hook), VmRSS and VmHWM from /proc/PID/status after the run, and the server's CPU
# seconds per 10k requests (utime+stime over the timed run), and the share of a core the server
# and wrk each used (a server well under 100% with wrk near 100%: the client set the pace).
# Any non-200 response fails the run.
# Cold start: time from spawning the server to the first 200 for a tile, polled in a tight loop
# (bash /dev/tcp requests, no process per poll: a curl process per poll costs a few ms, tens on a
# busy machine, as much as a server's whole start; curl checks the tile afterwards). The page
# cache is warm, the process cold.
# Before timing, 20 tiles from each server (gzip and identity) are checked against the archive
# and the two servers' gunzipped bytes compared (bench/check-tiles.py).
#
# Loopback only and bounded: RUNS x servers x regimes x (warm-up + DURATION); with Martin's rates
# on the 2-core VM (2-5k req/s, a pass of the 57k-request list takes 15-50 s) Martin alone takes
# ~6 min and both servers ~9 min by default. The machine is shared: compare the ratios within one
# sitting, not absolute numbers; a run where neither the server nor wrk had its core busy is
# flagged CONTENDED? (something else set the pace).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
atlas=${1:-${ATLAS_DIR:-}}
runs=${RUNS:-3}
duration=${DURATION:-15s}
warmup=${WARMUP:-5s}
only=${ONLY:-}
regimes=${REGIMES:-gzip identity}
cold_starts=${COLD_STARTS:-5}
out_json=${OUT:-/tmp/serve-bench.json}
martin_port=${MARTIN_PORT:-3901}
ours_port=${OURS_PORT:-3902}
server_core=${SERVER_CORE:-0}
client_core=${CLIENT_CORE:-1}
martin_bin=${MARTIN:-$(command -v martin || echo "$HOME/.cargo/bin/martin")}
ours_bin=${MDI_ATLAS_BIN:-$repo/target/release/mdi-atlas}

die() {
  echo "serve-vs-martin: $*" >&2
  exit 1
}

# --- prerequisites, each with the command that provides it -------------------------------------
[ -n "$atlas" ] || die "usage: bash bench/serve-vs-martin.sh ATLAS_DIR (a folder with atlas.pmtiles, e.g. from \`mdi-atlas build ... --out DIR\` then \`mdi-atlas tiles DIR\`)"
[ -f "$atlas/atlas.pmtiles" ] || die "no $atlas/atlas.pmtiles: build the atlas and its tiles first (\`mdi-atlas build ... --out $atlas\`, then \`mdi-atlas tiles $atlas\`)"
atlas=$(cd "$atlas" && pwd)
case "$only" in
  "") servers=(martin ours) ;;
  martin | ours) servers=("$only") ;;
  *) die "ONLY must be martin, ours or empty, not '$only'" ;;
esac
for g in $regimes; do
  case "$g" in gzip | identity) ;; *) die "unknown regime '$g' in REGIMES (gzip, identity)" ;; esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, not '$runs'"
[[ "$cold_starts" =~ ^[0-9]+$ ]] || die "COLD_STARTS must be an integer, not '$cold_starts'"
command -v wrk > /dev/null || die "wrk not found: apt-get install -y wrk"
command -v curl > /dev/null || die "curl not found: apt-get install -y curl"
command -v taskset > /dev/null || die "taskset not found: apt-get install -y util-linux"
command -v python3 > /dev/null || die "python3 not found: apt-get install -y python3"
python3 -c 'import pmtiles' 2> /dev/null || die "the Python pmtiles package is missing: pip install pmtiles"
[ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on core $server_core, wrk on core $client_core); nproc says $(nproc)"
for s in "${servers[@]}"; do
  if [ "$s" = martin ]; then
    [ -x "$martin_bin" ] || die "martin not found (MARTIN=$martin_bin): cargo install martin@1.14.0 --locked --no-default-features --features mbtiles,pmtiles"
    martin_version=$("$martin_bin" --version)
    [[ "$martin_version" == "martin 1.14."* ]] || echo "warning: $martin_version, the baseline of docs/TILES.md is Martin 1.14" >&2
  else
    [ -x "$ours_bin" ] || die "$ours_bin not found: cargo build --release -p mdi-atlas (or MDI_ATLAS_BIN=path, or ONLY=martin)"
    "$ours_bin" serve --help > /dev/null 2>&1 || die "$ours_bin has no \`serve\` subcommand yet (ONLY=martin benchmarks Martin alone)"
  fi
done
[ -n "${EPOCHREALTIME:-}" ] || die "needs bash 5 or later (EPOCHREALTIME); this is bash $BASH_VERSION"
for port in "$martin_port" "$ours_port"; do
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then
    die "port $port is already in use on 127.0.0.1 (set MARTIN_PORT / OURS_PORT)"
  fi
done

tmp=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2> /dev/null; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# --- the recorded session ----------------------------------------------------------------------
list=${TILE_LIST:-}
if [ -z "$list" ]; then
  list=$tmp/tiles.txt
  echo "recording the browsing session (bench/record-tiles.py)"
  python3 "$here/record-tiles.py" "$atlas" "$list" | tee "$tmp/record.log"
else
  [ -s "$list" ] || die "TILE_LIST=$list is missing or empty"
fi
first_tile=$(head -n 1 "$list")

port_of() { if [ "$1" = martin ]; then echo "$martin_port"; else echo "$ours_port"; fi; }
template_of() { if [ "$1" = martin ]; then echo "/atlas/{z}/{x}/{y}"; else echo "/tiles/{z}/{x}/{y}.mvt"; fi; }
tile_url() { # server z/x/y
  local t z x y
  t=$(template_of "$1")
  IFS=/ read -r z x y <<< "$2"
  t=${t/\{z\}/$z}
  t=${t/\{x\}/$x}
  echo "http://127.0.0.1:$(port_of "$1")${t/\{y\}/$y}"
}

start_server() { # server: starts it pinned to the server core, sets server_pid
  local port
  port=$(port_of "$1")
  if [ "$1" = martin ]; then
    taskset -c "$server_core" "$martin_bin" -W 1 --listen-addresses "127.0.0.1:$port" \
      "$atlas/atlas.pmtiles" > "$tmp/$1.log" 2>&1 &
  else
    taskset -c "$server_core" "$ours_bin" serve --atlas "$atlas" --bind "127.0.0.1:$port" \
      --workers 1 > "$tmp/$1.log" 2>&1 &
  fi
  server_pid=$! # taskset execs the server: this is the server's pid
}

stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2> /dev/null || true
    wait "$server_pid" 2> /dev/null || true
    server_pid=
  fi
}

server_died() { # server
  echo "--- $tmp/$1.log ---" >&2
  tail -n 30 "$tmp/$1.log" >&2 || true
  die "$1 exited before answering (log above)"
}

wait_ready() { # server: until the first listed tile answers 200 (30 s at most)
  local url code i
  url=$(tile_url "$1" "$first_tile")
  for i in $(seq 3000); do
    kill -0 "$server_pid" 2> /dev/null || server_died "$1"
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Accept-Encoding: gzip' "$url" || true)
    [ "$code" = 200 ] && return 0
    if [ "$code" != 000 ]; then die "$1 answered $code for $url (expected 200)"; fi
    [ "$i" -lt 3000 ] && sleep 0.01
  done
  die "$1 did not answer $url within 30 s"
}

cpu_ticks() { # pid: utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat)
  local stat
  local -a f
  stat=$(< "/proc/$1/stat")
  stat=${stat##*) } # the command name may hold spaces; fields restart after ") " at field 3
  read -r -a f <<< "$stat"
  echo $((f[11] + f[12]))
}

status_kb() { # pid field
  awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status"
}

run_wrk() { # server regime seconds logfile: wrk pinned to the client core; its CPU seconds
  # (user + system, from the shell's `times`) go to logfile.cpu
  local hdr=()
  [ "$2" = gzip ] && hdr=(-H 'Accept-Encoding: gzip')
  if ! (
    rc=0
    taskset -c "$client_core" wrk -t1 -c64 -d"$3" --latency "${hdr[@]}" -s "$here/replay.lua" \
      "http://127.0.0.1:$(port_of "$1")" -- "$list" "$(template_of "$1")" > "$4" 2>&1 || rc=$?
    times > "$4.times" # not in a pipeline: a forked `times` would not see wrk
    awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
      printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$4.times" > "$4.cpu"
    exit "$rc"
  ); then
    cat "$4" >&2
    die "wrk against $1 ($2) failed (output above)"
  fi
}

list_len=$(wc -l < "$list")
warm_up_full_pass() { # server regime: the cache-on regime needs every listed tile requested once
  # before timing. A WARMUP too short for one pass of the list (wrk restarts it at its first line)
  # is followed by one longer warm-up sized from the first one's rate (at most 120 s).
  local got rate secs
  got=$(sed -n 's/^replay: requests=\([0-9]*\) .*/\1/p' "$tmp/warmup.log")
  rate=$(sed -n 's/^replay: .* rps=\([0-9.]*\) .*/\1/p' "$tmp/warmup.log")
  [ -n "$got" ] && [ "$got" -lt "$list_len" ] || return 0
  secs=$(awk -v n="$list_len" -v r="$rate" 'BEGIN { s = int(1.3 * n / (r > 0 ? r : 1)) + 1; print (s > 120 ? 120 : s) }')
  echo "  warm-up: $got of $list_len requests in $warmup; another ${secs}s for a full pass ($1, $2)"
  run_wrk "$1" "$2" "${secs}s" "$tmp/warmup.log"
}

records=$tmp/records.jsonl
: > "$records"

measure() { # run server regime
  local run=$1 s=$2 g=$3 line cpu0 cpu1 rss hwm load
  start_server "$s"
  wait_ready "$s"
  run_wrk "$s" "$g" "$warmup" "$tmp/warmup.log"
  warm_up_full_pass "$s" "$g"
  cpu0=$(cpu_ticks "$server_pid")
  load=$(cut -d' ' -f1-3 /proc/loadavg)
  run_wrk "$s" "$g" "$duration" "$tmp/run-$run-$s-$g.log"
  kill -0 "$server_pid" 2> /dev/null || server_died "$s"
  cpu1=$(cpu_ticks "$server_pid")
  rss=$(status_kb "$server_pid" VmRSS)
  hwm=$(status_kb "$server_pid" VmHWM)
  stop_server
  line=$(grep '^replay: requests=' "$tmp/run-$run-$s-$g.log") || {
    cat "$tmp/run-$run-$s-$g.log" >&2
    die "no replay summary line in the wrk output (above)"
  }
  # "replay: requests=N duration_s=S ..." -> JSON fields
  python3 - "$line" "$run" "$s" "$g" "$rss" "$hwm" "$((cpu1 - cpu0))" "$(getconf CLK_TCK)" "$load" \
    "$(cat "$tmp/run-$run-$s-$g.log.cpu")" >> "$records" << 'EOF'
import json, sys
line, run, server, regime, rss, hwm, ticks, hz, load, client_cpu = sys.argv[1:]
rec = {"kind": "load", "run": int(run), "server": server, "regime": regime}
for kv in line.split(":", 1)[1].split():
    k, v = kv.split("=")
    rec[k] = float(v) if "." in v else int(v)
rec.update(vmrss_kb=int(rss), vmhwm_kb=int(hwm), cpu_s=int(ticks) / int(hz), loadavg=load,
           client_cpu_s=float(client_cpu))
# Shares of one core over the timed run: a server well under 100% while wrk is near 100% means the
# client, not the server, set the pace.
rec["server_cpu_util"] = rec["cpu_s"] / rec["duration_s"]
rec["client_cpu_util"] = rec["client_cpu_s"] / rec["duration_s"]
print(json.dumps(rec))
EOF
}

http_status() { # port path: sets http_code to the status of one GET with Accept-Encoding: gzip,
  # "000" when nothing answers. Bash's /dev/tcp, in this shell (no fork, no process): a poll costs
  # well under a millisecond, where a curl process costs several (tens on a busy machine), about
  # as much as a server's whole start.
  local line
  http_code=000
  { exec 3<> "/dev/tcp/127.0.0.1/$1"; } 2> /dev/null || return 0
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n' "$2" >&3 2> /dev/null || true
  IFS= read -r -t 5 line <&3 || line=
  exec 3>&-
  line=${line#HTTP/1.? }
  http_code=${line:0:3}
}

cold_start() { # server index: spawn to the first 200 for the first listed tile
  local s=$1 url path port code polls=0 t0 t1
  url=$(tile_url "$s" "$first_tile")
  path=/${url#http://*/}
  port=$(port_of "$s")
  t0=$EPOCHREALTIME
  start_server "$s"
  while :; do
    polls=$((polls + 1))
    http_status "$port" "$path"
    [ "$http_code" = 200 ] && break
    [ "$http_code" = 000 ] || die "$s answered '$http_code' for $url during the cold start (expected 200)"
    kill -0 "$server_pid" 2> /dev/null || server_died "$s"
    [ "$polls" -lt 100000 ] || die "$s did not answer within 100000 polls"
  done
  t1=$EPOCHREALTIME
  # The same tile through curl, as a check of the poller.
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Accept-Encoding: gzip' "$url" || true)
  [ "$code" = 200 ] || die "$s answered $code to curl for $url after its cold start"
  stop_server
  printf '{"kind": "cold", "server": "%s", "i": %d, "ms": %s, "polls": %d}\n' "$s" "$2" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) * 1000}')" "$polls" >> "$records"
}

# --- correctness before timing -----------------------------------------------------------------
for s in "${servers[@]}"; do
  start_server "$s"
  wait_ready "$s"
  if [ "$s" = martin ]; then
    curl -s "http://127.0.0.1:$martin_port/catalog" | grep -q '"atlas"' ||
      die "Martin's /catalog has no source \"atlas\" (the source id is the file stem)"
  fi
  echo "checking $s against the archive"
  python3 "$here/check-tiles.py" "$atlas" "$list" "http://127.0.0.1:$(port_of "$s")" \
    "$(template_of "$s")" "$tmp/digests-$s.txt" --count 20 || die "$s does not serve the archive's tiles"
  stop_server
done
if [ "${#servers[@]}" = 2 ]; then
  cmp -s "$tmp/digests-martin.txt" "$tmp/digests-ours.txt" ||
    die "Martin and ours return different bytes (after gunzip) for the same tiles"
  echo "check: Martin and ours return identical bytes (after gunzip) for the 20 tiles"
fi

# --- load runs, alternating the servers --------------------------------------------------------
echo "load: $runs run(s) x [${servers[*]}] x [$regimes], warm-up $warmup, timed $duration each;" \
  "server on core $server_core, wrk -t1 -c64 on core $client_core; $(wc -l < "$list") requests," \
  "$(sort -u "$list" | wc -l) distinct tiles"
for run in $(seq "$runs"); do
  order=("${servers[@]}")
  if [ "${#servers[@]}" = 2 ] && [ $((run % 2)) = 0 ]; then order=(ours martin); fi
  for s in "${order[@]}"; do
    for g in $regimes; do
      measure "$run" "$s" "$g"
    done
  done
  python3 "$here/serve-summary.py" "$records" --run "$run"
done

# --- cold starts -------------------------------------------------------------------------------
if [ "$cold_starts" -gt 0 ]; then
  echo "cold start: $cold_starts start(s) per server, alternating"
  for i in $(seq "$cold_starts"); do
    for s in "${servers[@]}"; do cold_start "$s" "$i"; done
  done
fi

# --- summary -----------------------------------------------------------------------------------
python3 - "$tmp/meta.json" "$atlas" "$list" "$runs" "$duration" "$warmup" "$regimes" \
  "${servers[*]}" "${martin_version:-}" "$martin_port" "$ours_bin" "$ours_port" "$server_core" \
  "$client_core" << 'EOF'
import collections, hashlib, json, platform, os, sys
(out, atlas, lst, runs, duration, warmup, regimes, servers, mv, mport, obin, oport, score,
 ccore) = sys.argv[1:]
tiles = open(lst).read().split()
per_zoom = collections.Counter(int(t.split("/")[0]) for t in tiles)
distinct = collections.Counter(int(t.split("/")[0]) for t in set(tiles))
meta = {
    "atlas": atlas, "atlas_pmtiles_bytes": os.path.getsize(os.path.join(atlas, "atlas.pmtiles")),
    "tile_list": {"requests": len(tiles), "distinct": len(set(tiles)),
                  "sha256": hashlib.sha256("\n".join(tiles).encode()).hexdigest(),
                  "requests_per_zoom": dict(sorted(per_zoom.items())),
                  "distinct_per_zoom": dict(sorted(distinct.items()))},
    "runs": int(runs), "duration": duration, "warmup": warmup, "regimes": regimes.split(),
    "servers": servers.split(),
    "martin": {"version": mv, "command": f"martin -W 1 --listen-addresses 127.0.0.1:{mport} ATLAS/atlas.pmtiles",
               "tile_path": "/atlas/{z}/{x}/{y}"},
    "ours": {"binary": obin, "command": f"mdi-atlas serve --atlas ATLAS --bind 127.0.0.1:{oport} --workers 1",
             "tile_path": "/tiles/{z}/{x}/{y}.mvt"},
    "client": f"taskset -c {ccore} wrk -t1 -c64 --latency -s bench/replay.lua",
    "server_core": int(score), "client_core": int(ccore),
    "host": {"nproc": os.cpu_count(), "kernel": platform.release()},
}
json.dump(meta, open(out, "w"), indent=2)
EOF
python3 "$here/serve-summary.py" "$records" --final "$tmp/meta.json" "$out_json"
