#!/usr/bin/env bash
# Load, soak and faults (issue 16), on loopback and bounded in time. docs/RELIABILITY.md has the
# results.
#
#   bash bench/soak.sh            # needs ../shared/data (the real national atlas) and wrk
#
# 1. Two variants of the real national atlas are built (scripts/build-nl-real.sh): A (the index
#    on at least one domain) and B (at least two), whose tiles differ. A browsing session is
#    recorded from A (bench/record-tiles.py) and 300 of its tiles are hashed in both
#    (bench/soak_check.py refs).
# 2. `mdi-atlas serve --watch 1` serves WORK/served, built as A. Then, for DURATION:
#    - wrk replays the recorded tile list with CONNECTIONS connections (the rate the server
#      sustains; any non-200 fails the replay);
#    - the server's VmRSS is sampled every 10 s, and before each event (no reload in flight);
#    - a checker fetches the hashed tiles round and round: each answer must be A's tile or B's,
#      never anything else, and never an error;
#    - REBUILDS builds switch WORK/served between B and A (the server reloads each), and KILLS
#      builds are killed with SIGKILL at a random moment of their run; after each kill the
#      atlas at WORK/served must be complete and all A's or all B's (soak_check.py validate).
#    After the load, /metrics must report `mdi_atlas_snapshots_held 1`: every old atlas freed.
# 3. Then IDLE connections that send nothing or half a header are opened and /health is timed
#    on a new connection 20 times: each must answer 200 within 100 ms.
# 4. SIGTERM: the time the server takes to exit.
#
# Environment [defaults]: DURATION [600] seconds of load; REBUILDS [20]; KILLS [10]; IDLE [2000];
# CONNECTIONS [16]; PORT [3911]; WORK [a new folder under /tmp, removed at the end unless KEEP=1];
# MDI_ATLAS_BIN [<repo>/target/release/mdi-atlas]; OUT [/tmp/soak.json] (the summary).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${MDI_ATLAS_BIN:-$repo/target/release/mdi-atlas}
duration=${DURATION:-600}
rebuilds=${REBUILDS:-20}
kills=${KILLS:-10}
idle=${IDLE:-2000}
conns=${CONNECTIONS:-16}
port=${PORT:-3911}
out_json=${OUT:-/tmp/soak.json}
work=${WORK:-$(mktemp -d /tmp/mdi-soak.XXXXXX)}
mkdir -p "$work"
url=http://127.0.0.1:$port
check=(python3 "$here/soak_check.py")
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release, or set MDI_ATLAS_BIN)" >&2; exit 2; }
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
# the idle connections need file descriptors on the client side too
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

build() { # variant out
  local md=1
  [ "$1" = B ] && md=2
  MIN_DOMAINS=$md MDI_ATLAS_BIN="$bin" "$repo/scripts/build-nl-real.sh" "$2" >>"$work/builds.log" 2>&1
}

echo "== soak: work folder $work"
t=$(date +%s.%N)
build A "$work/A"
build_s=$(echo "$(date +%s.%N) - $t" | bc)
build B "$work/B"
echo "one build takes ${build_s} s"
python3 "$here/record-tiles.py" "$work/A" "$work/tiles.txt" >/dev/null
"${check[@]}" refs "$work/tiles.txt" "$work/A" "$work/B" "$work/refs.json"
build A "$work/served"

"$bin" serve --atlas "$work/served" --bind "127.0.0.1:$port" --watch 1 >"$work/serve.log" 2>&1 &
server=$!
pids+=("$server")
# tiles answer at once, the API (503 until then) once the atlas has loaded
for _ in $(seq 600); do curl -sf "$url/api/meta" >/dev/null && break; sleep 0.1; done
curl -sf "$url/api/meta" >/dev/null || { echo "the server did not come up" >&2; cat "$work/serve.log" >&2; exit 1; }

# RSS every 10 s
( while kill -0 "$server" 2>/dev/null; do
    echo "$(date +%s) $(awk '/^VmRSS/ { print $2 }' "/proc/$server/status" 2>/dev/null)"; sleep 10
  done ) >"$work/rss.txt" &
pids+=("$!")
"${check[@]}" check "$url" "$work/refs.json" "$work/stop" "$work/check.json" >"$work/check.log" 2>&1 &
checker=$!
wrk -t1 -c"$conns" -d"${duration}s" --latency -H 'Accept-Encoding: gzip' -s "$here/replay.lua" "$url" \
  -- "$work/tiles.txt" '/tiles/{z}/{x}/{y}.mvt' >"$work/wrk.txt" 2>&1 &
wrk_pid=$!

# Rebuilds and killed builds, spread over the load.
events=$((rebuilds + kills))
# each event takes about one build: spread what time is left between them
gap=$(echo "g = ($duration - 30 - $events * $build_s) / ($events + 1); if (g < 1) g = 1; g" | bc -l)
order=$(python3 -c "import random; r = random.Random(16); e = ['r'] * $rebuilds + ['k'] * $kills; r.shuffle(e); print(' '.join(e))")
variant=A
reloads_ok=0
kills_ok=0
fails=()
for e in $order; do
  sleep "$gap"
  # RSS between events: no reload in flight, one atlas in memory (the samples every 10 s also
  # catch reloads, when the old and the new atlas are both held)
  echo "$(date +%s) $(awk '/^VmRSS/ { print $2 }' "/proc/$server/status")" >>"$work/settled.txt"
  next=$([ "$variant" = A ] && echo B || echo A)
  if [ "$e" = r ]; then
    build "$next" "$work/served"
    variant=$next
    # the server picks the new folder up within its watch interval: wait until a hashed tile is
    # the new variant's
    ok=0
    for _ in $(seq 100); do
      if "${check[@]}" validate "$work/served" "$work/refs.json" | grep -q "atlas $variant"; then ok=1; break; fi
      sleep 0.1
    done
    [ "$ok" = 1 ] && reloads_ok=$((reloads_ok + 1)) || fails+=("rebuild to $variant: the atlas is not $variant")
  else
    MIN_DOMAINS=$([ "$next" = B ] && echo 2 || echo 1) MDI_ATLAS_BIN="$bin" \
      "$repo/scripts/build-nl-real.sh" "$work/served" >>"$work/builds.log" 2>&1 &
    b=$!
    sleep "$(python3 -c "import random; print(round(random.uniform(0.05, 1.1) * $build_s, 2))")"
    # the script runs the binary: kill the build process itself
    pkill -KILL -P "$b" 2>/dev/null || true
    kill -KILL "$b" 2>/dev/null || true
    wait "$b" 2>/dev/null || true
    if v=$("${check[@]}" validate "$work/served" "$work/refs.json"); then
      kills_ok=$((kills_ok + 1))
      # a build killed after its switch has switched: the variant is what the atlas says
      case $v in *"atlas A"*) variant=A ;; *"atlas B"*) variant=B ;; esac
      echo "kill -9: $v"
    else
      fails+=("kill -9: $v")
    fi
  fi
done
wait "$wrk_pid" || fails+=("wrk: a response was not 200")
touch "$work/stop"
wait "$checker" || fails+=("checker: $(cat "$work/check.log")")
echo "$(date +%s) $(awk '/^VmRSS/ { print $2 }' "/proc/$server/status")" >>"$work/settled.txt"
# every old atlas freed once the load has stopped
held=""
for _ in $(seq 50); do
  held=$(curl -sf "$url/metrics" | awk '$1 == "mdi_atlas_snapshots_held" { print $2 }')
  [ "$held" = 1 ] && break
  sleep 0.1
done
[ "$held" = 1 ] || fails+=("mdi_atlas_snapshots_held is $held after the load, not 1")

echo "== idle connections"
"${check[@]}" idle "$url" "$idle" "$work/idle.json" || fails+=("idle: /health slower than 100 ms or failed")

t=$(date +%s.%N)
kill -TERM "$server"
wait "$server" || true
stop_s=$(echo "$(date +%s.%N) - $t" | bc)
leftovers=$(find "$work" -maxdepth 1 -name '.served.*' | wc -l)

python3 - "$work" "$out_json" "$stop_s" "$reloads_ok" "$kills_ok" "$rebuilds" "$kills" "$leftovers" "$build_s" "$held" <<'EOF'
import json, re, sys
work, out, stop_s, reloads_ok, kills_ok, rebuilds, kills, leftovers, build_s, held = sys.argv[1:]
wrk = open(f"{work}/wrk.txt").read()
m = re.search(r"replay: (requests=.*)", wrk)
replay = dict(kv.split("=") for kv in m.group(1).split()) if m else {"error": wrk[-500:]}
rss = [int(l.split()[1]) for l in open(f"{work}/rss.txt") if len(l.split()) == 2]
s = {
    "replay": replay,
    "rss_kb": {"min": min(rss), "max": max(rss), "first": rss[0], "last": rss[-1], "samples": len(rss)},
    # between events (no reload in flight), in MB, in order
    "settled_rss_mb": [int(l.split()[1]) // 1024 for l in open(f"{work}/settled.txt") if len(l.split()) == 2],
    "snapshots_held_after": int(held) if held.isdigit() else None,
    "checker": json.load(open(f"{work}/check.json")),
    "rebuilds": {"asked": int(rebuilds), "served_after_reload": int(reloads_ok)},
    "kills": {"asked": int(kills), "atlas_valid_after": int(kills_ok)},
    "idle": json.load(open(f"{work}/idle.json")),
    "sigterm_exit_s": round(float(stop_s), 2),
    "build_s": round(float(build_s), 1),
    "folders_beside_the_atlas_at_the_end": int(leftovers),
}
json.dump(s, open(out, "w"), indent=1)
print(json.dumps(s, indent=1))
EOF
if [ ${#fails[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${fails[@]}" >&2
  exit 1
fi
echo "soak: passed ($out_json)"
