#!/usr/bin/env bash
# Benchmark of `mdi-atlas tiles` against tippecanoe, case by case: RUNS runs of each, alternating,
# both at zoom 5-14. Per case it prints wall time, peak memory (max RSS) and archive size per run
# and the medians, the ratios ours/tippecanoe, then for both archives per zoom the tile count,
# total bytes and largest tile (gzipped bytes), and the number of distinct buurt feature ids at
# zoom 5 (ids, not codes: a zoom with the `minimal` property set has no `code`; see docs/TILES.md
# "Property sets per zoom").
#
#   [CASES="national dense region100k"] bash bench/tiles-vs-tippecanoe.sh [RUNS]
#
# The cases (CASES picks some, in the order given; all three by default):
#   national    the national 2014 atlas (the build of bench/build.sh); needs ../shared/data
#               (skipped with a message otherwise; MDI_DATA_DIR overrides)
#   dense       the one-level dense region: `build --demo --demo-areas 40000 --demo-side-km 360
#               --levels buurt --demo-years 2024 2024` (40,000 buurten over about 130,000 km²,
#               the size of England, and no wijken or gemeenten)
#   region100k  the 100,000-buurt synthetic region with its three levels (buurten, wijken,
#               gemeenten), the default side (180 km), one year: `build --demo --demo-areas
#               100000 --demo-years 2024 2024`
# Each atlas is built with --no-tiles; then `mdi-atlas tiles` (ours) and tippecanoe are timed on
# it. If ours fails (a tile over the cap at the lowest zoom, with the tiler before issue 15), the
# case says so and times tippecanoe alone.
#
# tippecanoe gets the atlas's areas.fgb per level as GeoJSONSeq (WGS84) with exactly the
# properties of docs/TILES.md and an integer id attribute (the id of docs/TILES.md, made the MVT
# id by --use-attribute-for-id), with its default dropping and simplification, and the same
# layers as ours: the polygon layers and the label layers (points at the pole of
# inaccessibility, with the name, as ours). TC_LABELS=0 gives it the polygon layers only (the
# ratios then compare unequal archives). tippecanoe has no per-zoom property sets: it gets the
# full set at every zoom and drops features to keep its tiles under 500 KB.
#
# Needs GNU time, tippecanoe and python3 with pyogrio, shapely, pmtiles and mapbox_vector_tile.
# If the binary has no `tiles` subcommand, only tippecanoe runs ("ours: not available").
# MDI_ATLAS_BIN=path uses that binary instead of building target/release/mdi-atlas.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
tc_labels=${TC_LABELS:-1}
data=${MDI_DATA_DIR:-../shared/data}
cases=${CASES:-national dense region100k}
minz=5
maxz=14
command -v tippecanoe > /dev/null || { echo "tippecanoe not found on PATH"; exit 1; }
if [ -n "${MDI_ATLAS_BIN:-}" ]; then
  bin=$MDI_ATLAS_BIN
else
  cargo build --release -q -p mdi-atlas
  bin=${CARGO_TARGET_DIR:-target}/release/mdi-atlas
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if "$bin" tiles --help > /dev/null 2>&1; then has_tiles=1; else has_tiles=0; fi

# Build the atlas of a case into $atlas; returns 1 (with a message) when the case is skipped.
build_case() {
  local case=$1
  rm -rf "$atlas"
  case $case in
    national)
      if [ ! -d "$data/nl" ]; then
        echo "skipping national: $data/nl not found (set MDI_DATA_DIR)"
        return 1
      fi
      echo "building the national 2014 atlas (as bench/build.sh)"
      "$bin" build --profile geodata/profiles/nl-cbs.toml \
        --indicators "$data/nl/kwb_2024_buurt_subset.csv.gz" --year 2024 --min-domains 3 \
        --areas "$data/nl/cbs_buurt_2014.topojson.gz" --no-tiles --out "$atlas" ;;
    dense)
      echo "building the dense one-level region (40,000 buurten, 360 km, --levels buurt)"
      "$bin" build --demo --demo-areas 40000 --demo-side-km 360 --levels buurt \
        --demo-years 2024 2024 --no-tiles --out "$atlas" ;;
    region100k)
      echo "building the 100,000-buurt synthetic region (three levels, default side)"
      "$bin" build --demo --demo-areas 100000 --demo-years 2024 2024 --no-tiles --out "$atlas" ;;
    *)
      echo "unknown case $case (national, dense, region100k)"
      exit 2 ;;
  esac > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }
}

run_case() {
local case=$1
echo "=== case $case"
atlas=$out/$case
build_case "$case" || return 0
echo "exporting areas.fgb per level to GeoJSONSeq for tippecanoe"
rm -rf "$out/geojson"; mkdir -p "$out/geojson"
python3 - "$atlas" "$out/geojson" "$tc_labels" > "$out/layers" <<'EOF'
import json, os, struct, sys
import pyogrio.raw
import shapely
from shapely.ops import polylabel

atlas, out, labels = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
meta = json.load(open(os.path.join(atlas, "metadata.json"), encoding="utf-8"))
years = [str(y) for y in meta["years"]]
domains = [d["id"] for d in meta["domains"]]
parents = {lv.get("parent") for lv in meta["levels"]}
unit = [lv["layer"] for lv in meta["levels"] if lv["id"] not in parents][0]


level_of = {lv["layer"]: (i, lv.get("code_prefix", "")) for i, lv in enumerate(meta["levels"])}


def feature_id(code, layer):  # docs/TILES.md, "Feature ids"
    level, prefix = level_of[layer]
    rest = code[len(prefix):] if code.startswith(prefix) else ""
    if 1 <= len(rest) <= 8 and rest.isascii() and rest.isdigit() and level < 80:
        return level * 10**8 + int(rest)
    digits = {c: i + 1 for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    if 1 <= len(code) <= 10 and all(c in digits for c in code):
        n = 0
        for c in code:
            n = n * 37 + digits[c]
        return 2**33 + n
    h = 0xCBF29CE484222325
    for b in code.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return 2**33 + 37**10 + h % (2**53 - 2**33 - 37**10)


def wkb_points(wkb):  # every vertex, for collapsed areas GEOS cannot read
    pts = []

    def geom(off):
        o = "<" if wkb[off] == 1 else ">"
        (t,) = struct.unpack_from(o + "I", wkb, off + 1)
        (k,) = struct.unpack_from(o + "I", wkb, off + 5)
        off += 9
        for _ in range(k):
            if t % 1000 == 6:
                off = geom(off)
            else:
                (n,) = struct.unpack_from(o + "I", wkb, off)
                off += 4
                pts.extend(struct.unpack_from(o + "dd", wkb, off + 16 * i) for i in range(n))
                off += 16 * n
        return off

    geom(0)
    return pts


m, _, wkbs, cols = pyogrio.raw.read(os.path.join(atlas, "areas.fgb"))
col = {n: cols[i] for i, n in enumerate(m["fields"])}


def val(name, i):
    a = col.get(name)
    if a is None:
        return None
    v = a[i]
    v = v.item() if hasattr(v, "item") else v
    return None if v is None or (isinstance(v, float) and v != v) else v


geoms = shapely.from_wkb(wkbs, on_invalid="fix")
files = {}


def write(name, props, geom):
    if name not in files:
        files[name] = open(os.path.join(out, f"{name}.geojsonl"), "w", encoding="utf-8")
    files[name].write('{"type":"Feature","properties":' + json.dumps(props, ensure_ascii=False)
                      + ',"geometry":' + shapely.to_geojson(geom) + "}\n")


for i in range(len(wkbs)):
    layer = col["level"][i]
    p = {"code": col["code"][i], "name": col["name"][i], "level": layer, "nodata": bool(val("nodata", i))}
    for y in reversed(years):
        if val(f"population_{y}", i) is not None:
            p["population"] = int(round(val(f"population_{y}", i)))
            break
    for y in years:
        for k, kind in (("mdi_score", float), ("mdi_rank", int), ("mdi_decile", int)):
            if val(f"{k}_{y}", i) is not None:
                p[f"{k}_{y}"] = kind(val(f"{k}_{y}", i))
        if layer == unit:
            for d in domains:
                if val(f"{d}_score_{y}", i) is not None:
                    p[f"{d}_score_{y}"] = round(float(val(f"{d}_score_{y}", i)), 1)
                if val(f"{d}_decile_{y}", i) is not None:
                    p[f"{d}_decile_{y}"] = int(val(f"{d}_decile_{y}", i))
            if val(f"domains_in_worst_decile_{y}", i) is not None:
                p[f"domains_in_worst_decile_{y}"] = int(val(f"domains_in_worst_decile_{y}", i))
        elif val(f"share_worst_decile_{y}", i) is not None:
            p[f"share_worst_decile_{y}"] = float(val(f"share_worst_decile_{y}", i))
    fid = feature_id(p["code"], layer)
    g = geoms[i]
    if g is not None and not g.is_empty:
        write(layer, dict(p, mdi_fid=fid), g)
    if labels:
        if g is not None and g.area > 0:
            pt = polylabel(max(getattr(g, "geoms", [g]), key=lambda q: q.area), tolerance=1e-5)
        else:
            pt = shapely.MultiPoint(wkb_points(wkbs[i])).envelope.centroid
        write(f"{layer}_labels", {"name": p["name"], "mdi_fid": fid}, pt)
for f in files.values():
    f.close()
print(" ".join(sorted(files)))
EOF
tc_layers=()
for layer in $(cat "$out/layers"); do tc_layers+=(-L "$layer:$out/geojson/$layer.geojsonl"); done
echo "tippecanoe layers: $(cat "$out/layers")"
[ "$tc_labels" = 1 ] || echo "note: TC_LABELS=0, tippecanoe has no label layers, ours has them"

ours=$has_tiles
declare -A walls rss bytes
measure() { # name, archive, command...
  local name=$1 archive=$2; shift 2
  if ! /usr/bin/time -f '%e %M' -o "$out/time" "$@" > "$out/log" 2>&1; then
    if [ "$name" = ours ]; then
      echo "ours run $i: FAILED: $(grep -m1 '^error' "$out/log" || tail -1 "$out/log")"
      ours=0
      ours_failed=1
      return 0
    fi
    cat "$out/log"; exit 1
  fi
  local w m s
  read -r w m < "$out/time"
  s=$(stat -c %s "$archive")
  walls[$name]+="$w "; rss[$name]+="$m "; bytes[$name]+="$s "
  echo "$name run $i: ${w} s wall, $((m / 1024)) MB peak RSS, $s bytes"
}
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

ours_failed=0
for i in $(seq "$runs"); do
  if [ "$ours" = 1 ]; then
    measure ours "$atlas/atlas.pmtiles" "$bin" tiles "$atlas" --min-zoom $minz --max-zoom $maxz
  fi
  measure tippecanoe "$out/tc.pmtiles" tippecanoe -q -f -Z$minz -z$maxz --detect-shared-borders \
    --use-attribute-for-id=mdi_fid "${tc_layers[@]}" -o "$out/tc.pmtiles"
done
if [ "$has_tiles" = 0 ]; then
  echo "ours: not available ($bin has no tiles subcommand)"
elif [ "$ours_failed" = 1 ]; then
  echo "ours: failed on case $case (see above); tippecanoe alone"
fi

names=(tippecanoe)
[ "$ours" = 1 ] && names=(ours tippecanoe)
declare -A mw mr ms
for n in "${names[@]}"; do
  mw[$n]=$(median "${walls[$n]}"); mr[$n]=$(median "${rss[$n]}"); ms[$n]=$(median "${bytes[$n]}")
  echo "$n median: ${mw[$n]} s wall, $(( ${mr[$n]} / 1024 )) MB peak RSS, ${ms[$n]} bytes"
done
if [ "$ours" = 1 ]; then
  awk -v ow="${mw[ours]}" -v tw="${mw[tippecanoe]}" -v os="${ms[ours]}" -v ts="${ms[tippecanoe]}" \
    -v om="${mr[ours]}" -v tm="${mr[tippecanoe]}" \
    -v what="$([ "$tc_labels" = 1 ] && echo "both with the label layers" || echo "tippecanoe without label layers")" \
    -v case="$case" \
    'BEGIN { printf "%s: ours/tippecanoe (%s): wall %.2f, size %.2f, memory %.2f\n", case, what, ow / tw, os / ts, om / tm }'
fi

archives=("tippecanoe=$out/tc.pmtiles")
[ "$ours" = 1 ] && archives=("ours=$atlas/atlas.pmtiles" "${archives[@]}")
python3 - "$minz" "${archives[@]}" <<'EOF'
import gzip
import sys
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from pmtiles.reader import MmapSource, all_tiles

minz = int(sys.argv[1])
stats, z_ids = {}, {}
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    s, ids = {}, set()
    with open(path, "rb") as f:
        for (z, x, y), data in all_tiles(MmapSource(f)):
            t = s.setdefault(z, [0, 0, 0])
            t[0] += 1
            t[1] += len(data)
            t[2] = max(t[2], len(data))
            if z == minz:  # the feature ids of the buurten layer (the protobuf only, no geometry)
                tile = vector_tile_pb2.tile()
                tile.ParseFromString(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
                for layer in tile.layers:
                    if layer.name == "buurten":
                        ids.update(ft.id for ft in layer.features if ft.HasField("id"))
    stats[name], z_ids[name] = s, ids
names = list(stats)
print("per zoom (bytes gzipped):")
print("zoom " + " ".join(f"{n + ' tiles':>17} {n + ' bytes':>17} {n + ' max tile':>20}" for n in names))
for z in sorted(set().union(*[set(s) for s in stats.values()])):
    row = []
    for n in names:
        t = stats[n].get(z, [0, 0, 0])
        row.append(f"{t[0]:>17} {t[1]:>17} {t[2]:>20}")
    print(f"{z:>4} " + " ".join(row))
for n in names:
    t = [sum(v[i] for v in stats[n].values()) for i in range(2)]
    print(f"{n}: {t[0]} tiles, {t[1]} bytes of tiles; at z{minz}: {len(z_ids[n])} distinct buurt feature ids")
EOF
}

for c in $cases; do run_case "$c"; done
