#!/usr/bin/env python3
"""Check an atlas's vector tiles against docs/TILES.md, independently of the tiler.

    python3 tests/gis/tiles_check.py ATLAS_DIR [--archive FILE.pmtiles] [--sample 200]
        [--parent-sample 20] [--region GM0363,GM0599] [--topology-zooms 6,10,14]
        [--min-zoom 5] [--max-zoom 14] [--max-tile-bytes 500000] [--buffer 64] [--jobs 2]

Reads ATLAS_DIR/atlas.pmtiles (or --archive) with the `pmtiles` reader and decodes EVERY tile
(the protobuf through mapbox_vector_tile's bindings; the geometry commands here, in integer tile
coordinates with y down, so that MVT 2.1 winding and degenerate rings are seen, not repaired),
then compares the tiles with the atlas files (areas.fgb, scores.csv, metadata.json,
build-report.json). The checks:

  archive       header (MVT, gzip, zoom range), every tile gunzips and parses, layer extent
                4096 and version 2; tiles and bytes per zoom; no tile larger than
                --max-tile-bytes (gzipped); the decoding here agrees with mapbox_vector_tile.decode
                on the first tile of each zoom and the largest tile
  metadata      the archive's JSON metadata: name, description, attribution, bounds, center;
                mdi (years, domains, levels, id scheme); mdi.properties_by_zoom names a set (full,
                map, minimal) for every zoom, the same as build-report.json's
                tiles.zooms[].properties, `full` at the max zoom; vector_layers for every layer
                with the archive's zooms and exactly the fields its tiles hold; tilestats
                (tippecanoe/GDAL convention) present: layerCount, per layer count (its areas),
                geometry (Polygon / Point), attributeCount, and attributes exactly those the
                tiles hold, with their types (string / number / boolean)
  geometry      every polygon valid (shapely; exterior rings positive area in tile coordinates,
                holes negative, no ring of zero area or under 3 points), every coordinate within
                [-buffer, extent + buffer]; polygon layers hold polygons, label layers points
  layers        every polygon and label layer in at least one tile of every zoom; no other
                layer; one feature per area per tile layer
  ids           every feature has an id, the id (docs/TILES.md: level × 10^8 + digits, else
                base 37, else FNV-1a 64) of an area of its layer in areas.fgb; where the
                feature has a `code`, the id is that code's
  completeness  per zoom and layer, the distinct areas (by feature id) are those of areas.fgb
                (polygon layers: minus build-report.json's collapsed areas)
  attributes    property names and types in every tile; per zoom, every feature's property
                keys are exactly the keys of its area's full property set (those non-empty for
                the area) that the zoom's set allows (polygons: full / map / minimal of
                docs/TILES.md; labels: name / name / none), with the values of
                the atlas (scores.csv for index units, areas.fgb for the rest and for parents);
                the properties of an area identical in every tile of one zoom; sampled
                index-unit areas (max zoom, set `full`) against scores.csv, every year, and
                sampled parent areas against areas.fgb
  topology      in a dense region (--region, gemeente codes; else the gemeente with the most
                index-unit areas): per tile of each --topology-zooms, clipped to the tile square,
                overlap (sum of areas - area of their union) and gaps (gemeente minus the union
                of its areas), each beyond the same measure of areas.fgb's own polygons projected
                into the tile (the 2014 buurten overlap a little; the source gap is areas.fgb's
                gemeente minus the union of its areas.fgb buurten), at most 1 square unit per
                shared border (pairs of areas sharing a boundary segment); holes of the union
                that the gemeente lacks are reported, not failed
  gdal          GDAL (QGIS's engine, through pyogrio) lists every layer of the .pmtiles (and of
                atlas.mbtiles if present), gives polygon layers a Polygon/MultiPolygon and label
                layers a Point/MultiPoint geometry type (read_info; GDAL takes it from
                tilestats, "Point" becoming MultiPoint), and reads the index unit's layer at the
                max zoom (in a small box of the region) with code, name, level and mdi_decile_Y

Run time: about a minute for the national 2014 atlas (22,862 tiles), 15 s for the demo, on 2
cores.

Prints one JSON object on stdout: {"ok", "archive", "failed": [...], "checks": {name: {"ok",
"errors", ...counts}}, "seconds"}. Lists every failed check on stderr and exits 1; exits 0 when
every check passes; exits 3 when a needed Python package is missing.
"""
import argparse
import csv
import gzip
import importlib
import json
import math
import mmap
import os
import random
import sys
import time
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation

_missing = []
for _mod in ("numpy", "shapely", "pmtiles.tile", "mapbox_vector_tile", "pyogrio"):
    try:
        importlib.import_module(_mod)
    except ImportError:
        _missing.append(_mod.split(".")[0])
if _missing:
    print(
        f"missing Python packages: {', '.join(_missing)} "
        "(pip install numpy shapely pmtiles mapbox-vector-tile pyogrio)",
        file=sys.stderr,
    )
    sys.exit(3)

import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import pyogrio.raw  # noqa: E402
import shapely  # noqa: E402
from mapbox_vector_tile.Mapbox import vector_tile_pb2  # noqa: E402
from pmtiles.tile import Compression, TileType, deserialize_directory, deserialize_header  # noqa: E402
from pmtiles.tile import tileid_to_zxy  # noqa: E402

if int(shapely.__version__.split(".")[0]) < 2:
    print(f"shapely >= 2 is needed (found {shapely.__version__})", file=sys.stderr)
    sys.exit(3)

EXAMPLES = 10  # examples kept per kind of error


# ----------------------------------------------------------------------------------------------
# Feature ids (docs/TILES.md "Feature ids"), written here from the text, not from the tiler.

_B37 = {c: i + 1 for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_B37_LIMIT = 37**10


_IDS = {}
# layer name (polygon or label layer) -> (position of its level, the level's code prefix),
# filled from metadata.json before any id is computed.
_LEVEL_OF = {}


def set_levels(levels):
    for i, lv in enumerate(levels):
        _LEVEL_OF[lv["layer"]] = (i, lv.get("code_prefix", ""))
        _LEVEL_OF[lv["layer"] + "_labels"] = (i, lv.get("code_prefix", ""))


def feature_id(code, layer):
    """The id of a code of a layer (memoised)."""
    key = (code, layer)
    i = _IDS.get(key)
    if i is None:
        level, prefix = _LEVEL_OF[layer]
        i = _IDS[key] = _feature_id(code, level, prefix)
    return i


def _feature_id(code, level, prefix):
    """level * 10^8 + digits for the level's prefix and 1-8 digits; else 2^33 + bijective base
    37 for 1-10 characters of 0-9A-Z; else 2^33 + 37^10 + FNV-1a 64 mod (2^53 - 2^33 - 37^10)."""
    digits = code[len(prefix):] if code.startswith(prefix) else None
    if digits is not None and 1 <= len(digits) <= 8 and digits.isascii() and digits.isdigit() and level < 80:
        return level * 10**8 + int(digits)
    if 1 <= len(code) <= 10 and all(c in _B37 for c in code):
        n = 0
        for c in code:
            n = n * 37 + _B37[c]
        return 2**33 + n
    h = 0xCBF29CE484222325
    for b in code.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return 2**33 + _B37_LIMIT + h % (2**53 - 2**33 - _B37_LIMIT)


# ----------------------------------------------------------------------------------------------
# Reading the archive


def pmtiles_entries(buf, header):
    """Every addressed tile as (z, x, y, absolute offset, length), run lengths expanded."""
    out = []

    def walk(off, length):
        for e in deserialize_directory(buf[off : off + length]):
            if e.run_length == 0:
                walk(header["leaf_directory_offset"] + e.offset, e.length)
            else:
                for k in range(e.run_length):
                    z, x, y = tileid_to_zxy(e.tile_id + k)
                    out.append((z, x, y, header["tile_data_offset"] + e.offset, e.length))

    walk(header["root_offset"], header["root_length"])
    return out


def unzip(data):
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data), True
    return data, False


def zigzag(a):
    return (a >> 1) ^ -(a & 1)


def decode_geometry(geom, gtype):
    """MVT geometry commands -> (parts, problem). Polygons: list of rings, each an (n, 2) int64
    array of the ring's points without the closing one; points: one (n, 2) array. Coordinates are
    tile coordinates, y down (the cursor carries over between commands as MVT requires)."""
    n = len(geom)
    cmd_pos = []
    ring_first = []  # index of the ring's first point
    ring_len = []
    points = 0
    problem = None
    i = 0
    if gtype == 3:
        state = 0  # 0: expect MoveTo, 1: expect LineTo, 2: expect ClosePath
        while i < n:
            c = geom[i]
            cmd, cnt = c & 7, c >> 3
            cmd_pos.append(i)
            i += 1
            if cmd == 1 and state == 0 and cnt == 1:
                ring_first.append(points)
                points += 1
                i += 2
                state = 1
            elif cmd == 2 and state == 1 and cnt >= 1:
                points += cnt
                i += 2 * cnt
                state = 2
            elif cmd == 7 and state == 2 and cnt == 1:
                ring_len.append(points - ring_first[-1])
                state = 0
            else:
                problem = f"malformed polygon commands (command {cmd} x{cnt} at {i - 1})"
                break
        if problem is None and state != 0:
            problem = "polygon ring without ClosePath"
        if i > n:
            problem = "geometry commands run past the end"
    elif gtype == 1:
        if n >= 1 and geom[0] & 7 == 1 and geom[0] >> 3 >= 1 and n == 1 + 2 * (geom[0] >> 3):
            cmd_pos.append(0)
            points = geom[0] >> 3
        else:
            problem = "malformed point commands"
    else:
        problem = f"geometry type {gtype}"
    if problem is not None:
        return [], problem
    g = np.asarray(geom, dtype=np.int64)
    mask = np.ones(n, dtype=bool)
    mask[cmd_pos] = False
    p = zigzag(g[mask])
    xy = np.empty((points, 2), dtype=np.int64)
    xy[:, 0] = np.cumsum(p[0::2])
    xy[:, 1] = np.cumsum(p[1::2])
    if gtype == 1:
        return [xy], None
    return [xy[f : f + k] for f, k in zip(ring_first, ring_len)], None


def ring_area2(r):
    """Twice the signed area (surveyor's formula) in tile coordinates: > 0 is an MVT exterior."""
    x, y = r[:, 0], r[:, 1]
    return (np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]) + x[-1] * y[0] - x[0] * y[-1]).item()


def plain_type(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "str"
    return type(v).__name__


def parse_value(v):
    fields = v.ListFields()
    if len(fields) == 1:
        return fields[0][1]
    for k in ("string_value", "float_value", "double_value", "int_value", "uint_value",
              "sint_value", "bool_value"):
        if v.HasField(k):
            return getattr(v, k)
    return None


# ----------------------------------------------------------------------------------------------
# The per-tile work (run in 1-2 worker processes; everything here reads only CFG and the archive)

CFG = {}
BUF = None


def _init_worker(cfg):
    global CFG, BUF
    CFG = cfg
    f = open(cfg["archive"], "rb")
    BUF = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def new_acc():
    return {
        "tiles": {},  # z -> [count, bytes, max bytes, "z/x/y" of max, unzipped bytes]
        "features": {},  # "z layer" -> features
        "layer_tiles": {},  # "z layer" -> tiles holding the layer
        "codes": {},  # "z layer" -> set of codes (from the feature ids)
        "errors": {},  # check -> kind -> [count, examples]
        "keys": {},  # layer -> key -> set of type names
        "zoom_keys": {},  # "z layer" -> set of property names
        "props": {},  # "z layer code" -> (hash, z/x/y)
        "sample": {},  # "layer code" -> props (max zoom)
        "topology": [],  # per-tile dicts
        "coord_range": [None, None],  # min, max coordinate seen
        "invalid": 0,
        "polygons": 0,
        "points": 0,
    }


def err(acc, check, kind, example):
    e = acc["errors"].setdefault(check, {}).setdefault(kind, [0, []])
    e[0] += 1
    if len(e[1]) < EXAMPLES:
        e[1].append(example)


def check_tiles(chunk):
    acc = new_acc()
    for z, x, y, off, length in chunk:
        try:
            check_tile(acc, z, x, y, BUF[off : off + length])
        except Exception as ex:  # a broken tile is a finding, not a crash
            err(acc, "archive", "tile could not be checked", f"{z}/{x}/{y}: {type(ex).__name__}: {ex}")
    return acc


def check_tile(acc, z, x, y, data):
    cfg = CFG
    where = f"{z}/{x}/{y}"
    t = acc["tiles"].setdefault(z, [0, 0, 0, "", 0])
    t[0] += 1
    t[1] += len(data)
    if len(data) > t[2]:
        t[2], t[3] = len(data), where
    if len(data) > cfg["max_tile_bytes"]:
        err(acc, "archive", f"tile over {cfg['max_tile_bytes']} bytes", f"{where}: {len(data)} bytes")
    raw, gz = unzip(data)
    if not gz and cfg["gzip"]:
        err(acc, "archive", "tile not gzip-compressed", where)
    t[4] += len(raw)
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(raw)
    buffer = cfg["buffer"]
    pset = cfg["zoom_set"].get(z, "full")
    lo_seen, hi_seen = acc["coord_range"]
    polys = []  # (layer, code, rings) of this tile's polygons, for validity in one vectorised pass
    region = {}  # region member code -> index in polys (topology zooms only)
    gem = {}  # region parent code -> index in polys
    topo = z in cfg["topology_zooms"]
    for layer in tile.layers:
        name = layer.name
        kind = cfg["layer_kind"].get(name)
        if kind is None:
            err(acc, "layers", "unknown layer", f"{where}: {name}")
            continue
        lvl = cfg["layer_level"][name]
        id_code = cfg["id_code"][lvl]
        key = f"{z} {name}"
        acc["layer_tiles"][key] = acc["layer_tiles"].get(key, 0) + 1
        acc["features"][key] = acc["features"].get(key, 0) + len(layer.features)
        codes = acc["codes"].setdefault(key, set())
        extent = layer.extent
        if extent != 4096:
            err(acc, "archive", "layer extent is not 4096", f"{where} {name}: {extent}")
        if layer.version != 2:
            err(acc, "archive", "layer version is not 2", f"{where} {name}: {layer.version}")
        lo, hi = -buffer, 4096 + buffer  # checked after scaling to extent 4096
        scale = 4096 / extent if extent and extent != 4096 else None
        keys = [k for k in layer.keys]
        vals = [parse_value(v) for v in layer.values]
        used = set()  # (key index, value index) pairs, for the property names and types
        seen_here = set()
        for feat in layer.features:
            tags = feat.tags
            pairs = list(zip(tags[0::2], tags[1::2]))
            used.update(pairs)
            props = {keys[k]: vals[v] for k, v in pairs}
            pcode = props.get("code")
            code = None
            if not feat.HasField("id"):
                err(acc, "ids", "feature without id", f"{where} {name} code {pcode!r}")
                code = pcode if isinstance(pcode, str) else None
            else:
                code = id_code.get(feat.id)
                if code is None:
                    err(acc, "ids", "id of no area of the layer in areas.fgb",
                        f"{where} {name} id {feat.id} code {pcode!r}")
            if pcode is not None and (not isinstance(pcode, str) or feature_id(pcode, name) != feat.id):
                err(acc, "ids", "id differs from the id of the code",
                    f"{where} {name} {pcode!r}: {feat.id}, expected {feature_id(str(pcode), name)}")
            if code is None:
                code = f"?{feat.id}"
            else:
                if code in seen_here:
                    err(acc, "layers", "area given twice in one tile layer", f"{where} {name} {code}")
                seen_here.add(code)
                codes.add(code)
            # (value, type) pairs: 1, 1.0 and True must not hash alike; hash() is the same in
            # every worker (forked from one process)
            h = hash(frozenset((k, v, type(v)) for k, v in props.items()))
            pk = f"{z} {name} {code}"
            prev = acc["props"].get(pk)
            if prev is None:
                acc["props"][pk] = (h, where)
                vk = (name, code, pset, h)  # an area's properties are compared once per worker
                if not code.startswith("?") and vk not in _VERIFIED:
                    _VERIFIED.add(vk)
                    errs = compare(props, *expected_props(name, code, pset))
                    if errs:
                        err(acc, "attributes", "properties differ from the atlas / the zoom's set",
                            f"{where} {name} {code} ({pset}): " + "; ".join(errs[:4]))
            elif prev[0] != h:
                err(acc, "attributes", "properties differ between tiles of one zoom",
                    f"{name} {code}: {prev[1]} vs {where}")
            if z == cfg["max_zoom"] and f"{name} {code}" in cfg["sample"] and f"{name} {code}" not in acc["sample"]:
                acc["sample"][f"{name} {code}"] = props
            want_type = 3 if kind == "polygon" else 1
            if feat.type != want_type:
                err(acc, "geometry", "wrong geometry type",
                    f"{where} {name} {code}: type {feat.type}, expected {want_type}")
                continue
            parts, problem = decode_geometry(feat.geometry, feat.type)
            if problem:
                err(acc, "geometry", "malformed geometry", f"{where} {name} {code}: {problem}")
                continue
            if not parts or not len(parts[0]):
                err(acc, "geometry", "empty geometry", f"{where} {name} {code}")
                continue
            if scale is not None:
                parts = [p * scale for p in parts]
            allpts = parts[0] if len(parts) == 1 else np.concatenate(parts)
            mn, mx = allpts.min().item(), allpts.max().item()
            lo_seen = mn if lo_seen is None else min(lo_seen, mn)
            hi_seen = mx if hi_seen is None else max(hi_seen, mx)
            if mn < lo or mx > hi:
                err(acc, "geometry", f"coordinate outside [{lo}, {hi}]",
                    f"{where} {name} {code}: {mn}..{mx}")
            if kind == "label":
                acc["points"] += 1
                if len(parts[0]) != 1:
                    err(acc, "geometry", "label is not one point", f"{where} {name} {code}: {len(parts[0])} points")
                continue
            acc["polygons"] += 1
            polys.append((name, code, parts))
            if topo:
                if name == cfg["unit_layer"] and code in cfg["region_members"]:
                    region[code] = len(polys) - 1
                elif name == cfg["top_layer"] and code in cfg["region_parents"]:
                    gem[code] = len(polys) - 1
        types = acc["keys"].setdefault(name, {})
        for k, v in used:
            types.setdefault(keys[k], set()).add(plain_type(vals[v]))
        zk = acc["zoom_keys"].setdefault(key, set())
        zk.update(keys[k] for k, _ in used)
    acc["coord_range"] = [lo_seen, hi_seen]
    if polys:
        geoms = polygons_valid(acc, where, polys)
        if region:
            t = topology_tile(z, x, y, region, gem, geoms)
            if t is not None:
                acc["topology"].append(t)


# ----------------------------------------------------------------------------------------------
# Expected properties (docs/TILES.md "Properties", "Property sets per zoom")

# per set: which keys of the full polygon set it keeps (by the key without its year suffix)
POLY_SETS = {
    "full": None,  # everything
    "map": {"code", "name", "level", "nodata", "water", "mdi_score", "mdi_decile", "<domain>_decile",
            "domains_in_worst_decile", "share_worst_decile", "reason", "cluster"},
    "minimal": {"nodata", "water", "mdi_decile", "share_worst_decile"},
}
# label layers per set (as of the brief of 2026-11-28; the working tree's docs/TILES.md is moving
# to full: code, name / map: name; change it here, in one place, when that lands)
LABEL_SETS = {"full": {"name"}, "map": {"name"}, "minimal": set()}
SETS = tuple(POLY_SETS)


def key_base(k):
    """A property name without its year (`inkomen_decile_2024` -> `<domain>_decile`)."""
    head, _, tail = k.rpartition("_")
    if head and tail in CFG["years"]:
        d, _, rest = head.rpartition("_")
        if d in CFG["domains"] and rest in ("score", "decile"):
            return f"<domain>_{rest}"
        return head
    return k


_EXPECTED = {}
_VERIFIED = set()


def expected_props(layer, code, pset):
    """(want, floats, rounded) of an area in a zoom of property set pset (memoised)."""
    k = (layer, code, pset)
    r = _EXPECTED.get(k)
    if r is None:
        if layer in CFG["label_layers"]:
            lvl = CFG["layer_level"][layer]
            area = CFG["areas"].get((lvl, code), {})
            full = {"code": code, "name": area.get("name"), "level": lvl}
            r = ({k2: v for k2, v in full.items() if k2 in LABEL_SETS[pset]}, set(), {})
        else:
            want, floats, rounded = CFG["expected"][(layer, code)]
            keep = POLY_SETS[pset]
            if keep is not None:
                want = {k2: v for k2, v in want.items() if key_base(k2) in keep}
            r = (want, floats, rounded)
        _EXPECTED[k] = r
    return r


def compare(got, want, floats, rounded):
    errs = []
    for k in sorted(set(got) | set(want)):
        if k not in got:
            errs.append(f"{k} absent (expected {want[k]!r})")
        elif k not in want:
            errs.append(f"{k}={got[k]!r} present (expected absent)")
        elif k in rounded:
            v = got[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not any(
                    close(v, c) for c in rounded[k]):
                errs.append(f"{k}={v!r}, expected {want[k]!r} (one decimal)")
        elif k in floats:
            v = got[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not close(v, want[k]):
                errs.append(f"{k}={v!r}, expected {want[k]!r}")
        elif got[k] != want[k] or type(got[k]) is not type(want[k]):
            errs.append(f"{k}={got[k]!r}, expected {want[k]!r}")
    return errs


def unit_expected(area, ys, unit_layer, domains):
    """The full properties of an index-unit area from its scores.csv rows (by year)."""
    c = area["code"]
    want = {"code": c, "name": area["name"], "level": unit_layer, "nodata": bool(area.get("nodata")),
            "water": bool(area.get("water"))}
    floats, rounded = set(), {}
    for y in sorted(ys, key=int, reverse=True):
        if ys[y].get("population", "") != "":
            want["population"] = int(round(float(ys[y]["population"])))
            break
    for y, r in ys.items():
        for k, kind in (("mdi_score", float), ("mdi_rank", int), ("mdi_decile", int),
                        ("domains_in_worst_decile", int)):
            if r.get(k, "") != "":
                want[f"{k}_{y}"] = kind(float(r[k])) if kind is int else float(r[k])
                if kind is float:
                    floats.add(f"{k}_{y}")
        # Why it has no MDI (scores.csv `reason`, including the `no-row` rows a build adds), and
        # the number of domains behind it (as areas.fgb has it).
        if r.get("reason", "") != "":
            want[f"reason_{y}"] = r["reason"]
        if area.get(f"domains_with_data_{y}") is not None:
            want[f"domains_with_data_{y}"] = int(area[f"domains_with_data_{y}"])
        # The local Moran cluster class (format 1.3), as areas.fgb has it.
        if area.get(f"cluster_{y}") not in (None, ""):
            want[f"cluster_{y}"] = area[f"cluster_{y}"]
        for d in domains:
            if r.get(f"{d}_score", "") != "":
                k = f"{d}_score_{y}"
                want[k] = round(float(r[f"{d}_score"]), 1)
                rounded[k] = tuple(rounded_candidates(r[f"{d}_score"], area.get(k)))
            if r.get(f"{d}_decile", "") != "":
                want[f"{d}_decile_{y}"] = int(float(r[f"{d}_decile"]))
    return want, floats, rounded


def parent_expected(area, layer, years):
    """The full properties of a higher-level area (or an index unit without scores.csv rows)
    from areas.fgb."""
    want = {"code": area["code"], "name": area["name"], "level": layer, "nodata": bool(area.get("nodata")),
            "water": bool(area.get("water"))}
    floats = set()
    for y in sorted(years, key=int, reverse=True):
        if area.get(f"population_{y}") is not None:
            want["population"] = int(round(area[f"population_{y}"]))
            break
    for y in years:
        for k, kind in (("mdi_score", float), ("mdi_rank", int), ("mdi_decile", int),
                        ("share_worst_decile", float)):
            v = area.get(f"{k}_{y}")
            if v is not None:
                want[f"{k}_{y}"] = kind(v)
                if kind is float:
                    floats.add(f"{k}_{y}")
        if area.get(f"reason_{y}") not in (None, ""):
            want[f"reason_{y}"] = area[f"reason_{y}"]
    return want, floats, {}


def polygons_valid(acc, where, polys):
    """Builds every polygon feature of a tile as a shapely MultiPolygon (MVT 2.1 ring roles: a ring
    of positive area starts a polygon, negative ones are its holes) and checks validity; returns
    the geometries, in the order of polys (rings that cannot be read as MVT 2.1 are left out and
    their feature counted invalid)."""
    coords, ring_off, poly_off, multi_off = [], [0], [0], [0]
    problems = []
    for name, code, rings in polys:
        prob = None
        npoly = 0
        for k, r in enumerate(rings):
            if len(r) < 3:
                prob = f"ring of {len(r)} points"
                continue
            a = ring_area2(r)
            if a == 0:
                prob = "ring of zero area"
                continue
            if a > 0:
                npoly += 1
                poly_off.append(poly_off[-1])
            elif npoly == 0:
                prob = "first ring is a hole (negative area): MVT 2.1 winding violated"
                continue
            coords.append(r)
            coords.append(r[:1])
            ring_off.append(ring_off[-1] + len(r) + 1)
            poly_off[-1] += 1
        multi_off.append(multi_off[-1] + npoly)
        problems.append(prob)
    if coords:
        arr = shapely.from_ragged_array(
            shapely.GeometryType.MULTIPOLYGON,
            np.concatenate(coords).astype(float),
            (np.array(ring_off), np.array(poly_off), np.array(multi_off)),
        )
    else:
        arr = np.array([shapely.MultiPolygon()] * len(polys), dtype=object)
    valid = shapely.is_valid(arr)
    for i, (name, code, _) in enumerate(polys):
        if problems[i] is not None:
            acc["invalid"] += 1
            err(acc, "geometry", "invalid polygon", f"{where} {name} {code}: {problems[i]}")
        elif not valid[i]:
            acc["invalid"] += 1
            err(acc, "geometry", "invalid polygon",
                f"{where} {name} {code}: {shapely.is_valid_reason(arr[i])}")
    return arr


def to_tile(geom, z, x, y):
    """A lon/lat geometry in the tile coordinates of z/x/y (Web Mercator, extent 4096, y down)."""
    n = 4096 * 2**z

    def f(xy):
        lon, lat = xy[:, 0], np.radians(np.clip(xy[:, 1], -85.0511287798, 85.0511287798))
        px = (lon + 180.0) / 360.0 * n - x * 4096
        py = (1.0 - np.arcsinh(np.tan(lat)) / math.pi) / 2.0 * n - y * 4096
        return np.column_stack([px, py])

    return shapely.transform(geom, f)


SOURCE = {}  # (layer, code) -> shapely geometry from areas.fgb (lon/lat), decoded on first use


def source_geom(layer, code):
    k = (layer, code)
    if k not in SOURCE:
        wkb = CFG["source"].get(k)
        g = shapely.from_wkb(wkb, on_invalid="ignore") if wkb is not None else None
        if g is not None and not g.is_valid:
            g = shapely.make_valid(g)
        SOURCE[k] = g
    return SOURCE[k]


def source_in_tile(z, x, y):
    """The region's index-unit codes whose areas.fgb polygon meets tile z/x/y."""
    if "tree" not in SOURCE:
        codes = sorted(c for (layer, c) in CFG["source"] if layer == CFG["unit_layer"])
        geoms = [source_geom(CFG["unit_layer"], c) for c in codes]
        keep = [i for i, g in enumerate(geoms) if g is not None]
        SOURCE["tree"] = ([codes[i] for i in keep], shapely.STRtree([geoms[i] for i in keep]))
    codes, tree = SOURCE["tree"]
    n = 2**z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    box = shapely.box(x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y))
    return sorted(codes[i] for i in tree.query(box, predicate="intersects"))


def clip_valid(geoms, sq):
    """Valid (make_valid where needed) and clipped to the tile square; the number repaired."""
    arr = np.empty(len(geoms), dtype=object)
    arr[:] = geoms
    bad = ~shapely.is_valid(arr)
    if bad.any():
        arr[bad] = shapely.make_valid(arr[bad])
    return shapely.intersection(arr, sq), int(bad.sum())


def cover(members, parent_of, parents, count_borders):
    """Members (clipped areas) and their parents (clipped, by code): overlap = sum of areas - area
    of their union; borders = pairs sharing a boundary segment of positive length; per parent,
    gap = parent minus the union of its members, spill = members outside the parent, holes = holes
    of that union where the parent has none."""
    r = {"overlap": 0.0, "borders": 0, "gap": 0.0, "spill": 0.0, "holes": 0, "hole_area": 0.0,
         "missing_parent": []}
    if not len(members):
        return r
    r["overlap"] = max(0.0, float(shapely.area(members).sum()) - shapely.union_all(members).area)
    if count_borders and len(members) > 1:
        left, right = shapely.STRtree(members).query(members, predicate="intersects")
        sel = left < right
        if sel.any():
            b = shapely.boundary(members)
            shared = shapely.intersection(b[left[sel]], b[right[sel]])
            r["borders"] = int((shapely.length(shared) > 0).sum())
    for p in sorted(set(parent_of)):
        pg = parents.get(p)
        if pg is None:
            r["missing_parent"].append(p)
            continue
        u = shapely.union_all(members[[i for i, q in enumerate(parent_of) if q == p]])
        r["gap"] += shapely.difference(pg, u).area
        r["spill"] += shapely.difference(u, pg).area
        if count_borders:
            for part in getattr(u, "geoms", [u]):
                for ring in getattr(part, "interiors", []):
                    covered = shapely.intersection(shapely.Polygon(ring), pg).area
                    if covered > 0.01:  # the parent has no hole here
                        r["holes"] += 1
                        r["hole_area"] += covered
    return r


def topology_tile(z, x, y, region, gem, geoms):
    """Overlap and gaps of the region's areas in one tile, and the same measured on the atlas's
    own (unsimplified) polygons projected into the tile: the source's overlaps are not the
    tiler's."""
    cfg = CFG
    sq = shapely.box(0, 0, 4096, 4096)
    codes = sorted(region)
    clipped, repaired = clip_valid([geoms[region[c]] for c in codes], sq)
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    codes = [c for c, k in zip(codes, keep) if k]
    clipped = clipped[keep]
    if not codes:  # the region's areas reach into this tile's buffer only
        return None
    parent_of = [cfg["region_members"][c] for c in codes]
    pcodes = sorted(gem)
    pclip, rep2 = clip_valid([geoms[gem[p]] for p in pcodes], sq)
    r = cover(clipped, parent_of, dict(zip(pcodes, pclip)), True)
    # the baseline: every region area of areas.fgb that meets the tile, projected into it
    scodes = source_in_tile(z, x, y)
    src = [to_tile(source_geom(cfg["unit_layer"], c), z, x, y) for c in scodes]
    sclip, _ = clip_valid(src, sq)
    skeep = ~shapely.is_empty(sclip) & (shapely.area(sclip) > 0)
    scodes = [c for c, k in zip(scodes, skeep) if k]
    sclip = sclip[skeep]
    sparent_of = [cfg["region_members"][c] for c in scodes]
    sp = {}
    for p in sorted(set(sparent_of)):
        g = source_geom(cfg["top_layer"], p)
        if g is not None:
            sp[p] = shapely.intersection(to_tile(g, z, x, y), sq)
    b = cover(sclip, sparent_of, sp, False)
    r.update({"z": z, "tile": f"{z}/{x}/{y}", "areas": len(codes), "repaired": repaired + rep2,
              "source_overlap": b["overlap"], "source_gap": b["gap"]})
    return r


def merge(into, acc):
    for z, t in acc["tiles"].items():
        m = into["tiles"].setdefault(z, [0, 0, 0, "", 0])
        m[0] += t[0]
        m[1] += t[1]
        m[4] += t[4]
        if t[2] > m[2]:
            m[2], m[3] = t[2], t[3]
    for k in ("features", "layer_tiles"):
        for key, n in acc[k].items():
            into[k][key] = into[k].get(key, 0) + n
    for key, s in acc["codes"].items():
        into["codes"].setdefault(key, set()).update(s)
    for check, kinds in acc["errors"].items():
        for kind, (n, ex) in kinds.items():
            e = into["errors"].setdefault(check, {}).setdefault(kind, [0, []])
            e[0] += n
            e[1].extend(ex[: EXAMPLES - len(e[1])])
    for layer, ks in acc["keys"].items():
        for k, ts in ks.items():
            into["keys"].setdefault(layer, {}).setdefault(k, set()).update(ts)
    for key, s in acc["zoom_keys"].items():
        into["zoom_keys"].setdefault(key, set()).update(s)
    for pk, (h, where) in acc["props"].items():
        prev = into["props"].get(pk)
        if prev is None:
            into["props"][pk] = (h, where)
        elif prev[0] != h:
            err(into, "attributes", "properties differ between tiles of one zoom",
                f"{pk.split(' ', 1)[1]}: {prev[1]} vs {where}")
    for pk, props in acc["sample"].items():
        into["sample"].setdefault(pk, props)
    into["topology"].extend(acc["topology"])
    lo, hi = acc["coord_range"]
    if lo is not None:
        a, b = into["coord_range"]
        into["coord_range"] = [lo if a is None else min(a, lo), hi if b is None else max(b, hi)]
    for k in ("invalid", "polygons", "points"):
        into[k] += acc[k]


def cross_check(buf, entries):
    """Decodes a few tiles also with mapbox_vector_tile.decode (y down) and compares ids,
    properties and vertices with the decoding above; returns the disagreements."""
    import mapbox_vector_tile

    def flat(c, out):
        if c and isinstance(c[0], (int, float)):
            out.add((int(c[0]), int(c[1])))
        else:
            for d in c:
                flat(d, out)
        return out

    bad = []
    for z, x, y, off, length in entries:
        raw, _ = unzip(buf[off : off + length])
        ref = mapbox_vector_tile.decode(raw, default_options={"y_coord_down": True})
        tile = vector_tile_pb2.tile()
        tile.ParseFromString(raw)
        for layer in tile.layers:
            feats = ref.get(layer.name, {}).get("features", [])
            if len(feats) != len(layer.features):
                bad.append(f"{z}/{x}/{y} {layer.name}: {len(layer.features)} vs {len(feats)} features")
                continue
            keys, vals = list(layer.keys), [parse_value(v) for v in layer.values]
            for feat, rf in zip(layer.features, feats):
                props = {keys[feat.tags[i]]: vals[feat.tags[i + 1]] for i in range(0, len(feat.tags) - 1, 2)}
                parts, problem = decode_geometry(feat.geometry, feat.type)
                mine = {tuple(p) for r in parts for p in r.tolist()}
                theirs = flat(rf["geometry"]["coordinates"], set())
                # mapbox_vector_tile drops rings of zero area, so its vertices are a subset
                if rf["id"] != feat.id or rf["properties"] != props or (not problem and not theirs <= mine):
                    bad.append(f"{z}/{x}/{y} {layer.name} feature {feat.id}")
    return bad


# ----------------------------------------------------------------------------------------------
# The atlas side


def read_areas(path):
    meta, _, _, cols = pyogrio.raw.read(path, read_geometry=False)
    names = list(meta["fields"])
    n = len(cols[0]) if cols else 0

    def cell(v):
        if v is None:
            return None
        if hasattr(v, "item"):
            v = v.item()
        if isinstance(v, float) and v != v:
            return None
        return v

    rows = []
    for i in range(n):
        rows.append({name: cell(cols[k][i]) for k, name in enumerate(names)})
    return rows, names


def close(a, b, tol=1e-4):
    return abs(a - b) <= tol * max(1.0, abs(b))


def rounded_candidates(text, value):
    """The one-decimal roundings a tiler may reasonably make of a score (half up or half even, of
    scores.csv's text or of areas.fgb's full value)."""
    out = set()
    try:
        d = Decimal(text)
        out.add(float(d.quantize(Decimal("0.1"), ROUND_HALF_UP)))
        out.add(float(d.quantize(Decimal("0.1"), ROUND_HALF_EVEN)))
    except (InvalidOperation, TypeError):
        pass
    if value is not None:
        out.add(math.floor(value * 10 + 0.5) / 10)
        out.add(round(value, 1))
    return out


class Check:
    def __init__(self, name):
        self.name = name
        self.errors = []
        self.info = {}

    def fail(self, msg):
        self.errors.append(msg)

    def fail_kinds(self, kinds):
        for kind, (n, ex) in sorted((kinds or {}).items()):
            self.fail(f"{kind}: {n}" + ("; e.g. " + "; ".join(ex) if ex else ""))

    def out(self):
        d = {"ok": not self.errors, "errors": self.errors}
        d.update(self.info)
        return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("atlas")
    ap.add_argument("--archive")
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--parent-sample", type=int, default=20)
    ap.add_argument("--seed", type=int, default=2014)
    ap.add_argument("--region", default="GM0363,GM0599")
    ap.add_argument("--topology-zooms", default="6,10,14")
    ap.add_argument("--min-zoom", type=int, default=5)
    ap.add_argument("--max-zoom", type=int, default=14)
    ap.add_argument("--max-tile-bytes", type=int, default=500000)
    ap.add_argument("--buffer", type=int, help="tile buffer in tile units (default: metadata, else 64)")
    ap.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args()
    t0 = time.time()

    atlas = args.atlas
    archive = args.archive or os.path.join(atlas, "atlas.pmtiles")
    checks = {n: Check(n) for n in
              ("archive", "metadata", "geometry", "layers", "ids", "completeness", "attributes", "topology", "gdal")}
    summary = {"ok": False, "archive": archive, "failed": [], "checks": {}, "seconds": 0.0}

    def finish():
        summary["checks"] = {n: c.out() for n, c in checks.items()}
        summary["failed"] = [n for n, c in checks.items() if c.errors]
        summary["ok"] = not summary["failed"]
        summary["seconds"] = round(time.time() - t0, 1)
        json.dump(summary, sys.stdout, default=str)
        sys.stdout.write("\n")
        sys.stdout.flush()
        tz = checks["topology"].info.get("zooms", {})
        for z, t in tz.items():
            print(f"topology z{z}: {t['tiles']} tiles, overlap {t['overlap']} (source {t['source_overlap']}), "
                  f"gap {t['gaps']} (source {t['source_gaps']}), {t['borders']} borders, "
                  f"{t['failing_tiles']} failing tiles", file=sys.stderr)
        g = checks["geometry"].info
        if "polygons" in g:
            print(f"geometry: {g['polygons']} polygons, {g['points']} points, {g['invalid']} invalid, "
                  f"coordinates {g['coordinate_range']}", file=sys.stderr)
        print(f"checks: {', '.join(n + (' FAILED' if c.errors else ' ok') for n, c in checks.items())} "
              f"({summary['seconds']} s)", file=sys.stderr)
        for n in summary["failed"]:
            print(f"FAILED {n}:", file=sys.stderr)
            for e in checks[n].errors:
                print(f"  - {e}", file=sys.stderr)
        sys.exit(0 if summary["ok"] else 1)

    def give_up(check, msg):
        checks[check].fail(msg)
        for n, c in checks.items():
            if n != check:
                c.fail("not run: " + msg)
        finish()

    # --- the atlas
    try:
        meta = json.load(open(os.path.join(atlas, "metadata.json"), encoding="utf-8"))
        set_levels(meta["levels"])
        report = json.load(open(os.path.join(atlas, "build-report.json"), encoding="utf-8"))
        rows, columns = read_areas(os.path.join(atlas, "areas.fgb"))
        open(os.path.join(atlas, "scores.csv"), "rb").close()
    except Exception as ex:
        give_up("archive", f"cannot read the atlas {atlas}: {type(ex).__name__}: {ex}")
    years = [str(y) for y in meta["years"]]
    domains = [d["id"] for d in meta["domains"]]
    levels = meta["levels"]
    layer_of = {lv["id"]: lv["layer"] for lv in levels}
    parent_ids = {lv.get("parent") for lv in levels}
    unit = [lv for lv in levels if lv["id"] not in parent_ids][0]
    top = [lv for lv in levels if not lv.get("parent")][0]
    unit_layer, top_layer = unit["layer"], top["layer"]
    poly_layers = [lv["layer"] for lv in levels]
    label_layers = [f"{layer}_labels" for layer in poly_layers]
    by_code = {}
    all_codes = {layer: set() for layer in poly_layers}
    for r in rows:
        by_code[(r["level"], r["code"])] = r
        all_codes.setdefault(r["level"], set()).add(r["code"])
    collapsed = {layer: set() for layer in poly_layers}
    for c in report.get("collapsed", []):
        collapsed.setdefault(layer_of.get(c["level"], c["level"]), set()).add(c["code"])
    scores = {}
    with open(os.path.join(atlas, "scores.csv"), newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            scores.setdefault(r["code"], {})[r["year"]] = r

    # every area's full properties, and the areas by feature id
    expected = {}
    id_code = {layer: {} for layer in poly_layers}
    for r in rows:
        layer, c = r["level"], r["code"]
        if layer == unit_layer and c in scores:
            expected[(layer, c)] = unit_expected(r, scores[c], unit_layer, domains)
        else:
            expected[(layer, c)] = parent_expected(r, layer, years)
        id_code.setdefault(layer, {})[feature_id(c, layer)] = c

    # the dense region: the gemeenten asked for, else the one with the most index-unit areas
    top_col = f"{top['id']}_code"
    members_of = {}
    for r in rows:
        if r["level"] == unit_layer and r.get(top_col) and r["code"] not in collapsed[unit_layer]:
            members_of.setdefault(r[top_col], set()).add(r["code"])
    region = [c.strip() for c in args.region.split(",") if c.strip() in members_of]
    if not region and members_of:
        region = [max(sorted(members_of), key=lambda c: len(members_of[c]))]
    region_members = {m: p for p in region for m in members_of[p]}
    source = {}
    if region:
        _, _, wkbs, (scodes, slevels) = pyogrio.raw.read(
            os.path.join(atlas, "areas.fgb"), columns=["code", "level"])
        for c, lvl, w in zip(scodes, slevels, wkbs):
            if (lvl == unit_layer and c in region_members) or (lvl == top_layer and c in region):
                source[(lvl, c)] = w

    # the samples
    rnd = random.Random(args.seed)
    latest = max(years, key=int) if years else None
    unit_scored = sorted(
        c for c, ys in scores.items()
        if (unit_layer, c) in by_code and c not in collapsed[unit_layer] and latest in ys
    )
    sample_unit = rnd.sample(unit_scored, min(args.sample, len(unit_scored)))
    parents = [lv["layer"] for lv in levels if lv["layer"] != unit_layer]
    sample_parent = []
    for i, layer in enumerate(parents):
        k = args.parent_sample // len(parents) + (1 if i < args.parent_sample % len(parents) else 0)
        pool = sorted(all_codes.get(layer, set()) - collapsed.get(layer, set()))
        sample_parent += [(layer, c) for c in rnd.sample(pool, min(k, len(pool)))]
    sample = {f"{unit_layer} {c}" for c in sample_unit} | {f"{layer} {c}" for layer, c in sample_parent}

    # --- the archive: header, metadata
    a = checks["archive"]
    if not os.path.exists(archive):
        give_up("archive", f"{archive} does not exist")
    fh = open(archive, "rb")
    try:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        header = deserialize_header(buf[0:127])
    except Exception as ex:
        give_up("archive", f"{archive} is not a PMTiles v3 archive: {type(ex).__name__} {ex}")
    if header["tile_type"] != TileType.MVT:
        a.fail(f"tile type {header['tile_type'].name}, expected MVT")
    if header["tile_compression"] != Compression.GZIP:
        a.fail(f"tile compression {header['tile_compression'].name}, expected GZIP")
    if (header["min_zoom"], header["max_zoom"]) != (args.min_zoom, args.max_zoom):
        a.fail(f"zooms {header['min_zoom']}-{header['max_zoom']}, expected {args.min_zoom}-{args.max_zoom}")
    md_raw = buf[header["metadata_offset"] : header["metadata_offset"] + header["metadata_length"]]
    if header["internal_compression"] == Compression.GZIP:
        md_raw = gzip.decompress(md_raw)
    try:
        md = json.loads(md_raw)
    except ValueError as ex:
        md = {}
        a.fail(f"archive metadata is not JSON: {ex}")
    mc = checks["metadata"]
    vl = {v.get("id"): v for v in md.get("vector_layers", []) if isinstance(v, dict)}
    if not vl:
        mc.fail("archive metadata has no vector_layers")
    else:
        for layer in poly_layers + label_layers:
            v = vl.get(layer)
            if v is None:
                mc.fail(f"vector_layers lacks {layer}")
                continue
            fields = v.get("fields", {})
            need = (["code", "name", "level"] + ([f"mdi_decile_{latest}"] if latest else [])
                    if layer in poly_layers else sorted(LABEL_SETS["full"]))
            lacking = [f for f in need if f not in fields]
            if lacking:
                mc.fail(f"vector_layers {layer} fields lack {', '.join(lacking)}")
            if (v.get("minzoom"), v.get("maxzoom")) != (args.min_zoom, args.max_zoom):
                mc.fail(f"vector_layers {layer} zooms {v.get('minzoom')}-{v.get('maxzoom')}, "
                       f"expected {args.min_zoom}-{args.max_zoom}")
    lacking = [k for k in ("name", "description", "attribution", "bounds", "center", "mdi") if k not in md]
    if lacking:
        mc.fail(f"archive metadata lacks {', '.join(lacking)}")
    mdi = md.get("mdi") if isinstance(md.get("mdi"), dict) else {}
    if mdi:
        if [str(y) for y in mdi.get("years", [])] != years:
            mc.fail(f"metadata mdi.years {mdi.get('years')} is not metadata.json's {meta['years']}")
        lacking = [k for k in ("domains", "levels") if k not in mdi]
        if lacking:
            mc.fail(f"metadata mdi lacks {', '.join(lacking)}")
        if not any("id" in k for k in mdi):
            mc.fail("metadata mdi does not describe the id scheme")
    # the property set of every zoom
    zoom_set = {}
    pbz = mdi.get("properties_by_zoom")
    report_sets = {}
    for zz in (report.get("tiles") or {}).get("zooms", []) if isinstance(report.get("tiles"), dict) else []:
        if isinstance(zz, dict) and "z" in zz:
            report_sets[int(zz["z"])] = zz.get("properties")
    if not isinstance(pbz, dict):
        mc.fail("archive metadata mdi.properties_by_zoom is missing" + (
            "; taking build-report.json's sets" if report_sets else "; taking `full` for every zoom"))
        pbz = {str(z): report_sets.get(z, "full") for z in range(args.min_zoom, args.max_zoom + 1)}
    for z in range(args.min_zoom, args.max_zoom + 1):
        v = pbz.get(str(z))
        if v not in SETS:
            mc.fail(f"mdi.properties_by_zoom[{z}] is {v!r}, not one of {', '.join(SETS)}")
            v = "full"
        zoom_set[z] = v
        if report_sets and report_sets.get(z) != v:
            mc.fail(f"z{z}: mdi.properties_by_zoom says {v}, build-report.json {report_sets.get(z)!r}")
    extra = sorted(set(pbz) - {str(z) for z in range(args.min_zoom, args.max_zoom + 1)})
    if extra:
        mc.fail(f"mdi.properties_by_zoom names zooms outside the archive: {', '.join(extra)}")
    if zoom_set.get(args.max_zoom) != "full":
        mc.fail(f"the max zoom {args.max_zoom} carries the {zoom_set.get(args.max_zoom)} set, not full")
    mc.info["properties_by_zoom"] = {str(z): v for z, v in zoom_set.items()}

    # tilestats (tippecanoe / GDAL convention), checked against the tiles after decoding
    tilestats = md.get("tilestats")
    ts_layers = {}
    if tilestats is None:
        mc.fail("archive metadata has no tilestats (GDAL then guesses the geometry types)")
    elif not isinstance(tilestats, dict) or not isinstance(tilestats.get("layers"), list):
        mc.fail(f"archive metadata tilestats is not {{layerCount, layers: [...]}}: {str(tilestats)[:200]}")
    else:
        for e in tilestats["layers"]:
            if isinstance(e, dict) and isinstance(e.get("layer"), str):
                if e["layer"] in ts_layers:
                    mc.fail(f"tilestats lists layer {e['layer']} twice")
                ts_layers[e["layer"]] = e
            else:
                mc.fail(f"tilestats layer entry without a layer name: {str(e)[:200]}")
        if tilestats.get("layerCount") != len(tilestats["layers"]):
            mc.fail(f"tilestats layerCount {tilestats.get('layerCount')} but {len(tilestats['layers'])} layers")
        lacking = [layer for layer in poly_layers + label_layers if layer not in ts_layers]
        if lacking:
            mc.fail(f"tilestats lacks {', '.join(lacking)}")
        unknown = sorted(set(ts_layers) - set(poly_layers + label_layers))
        if unknown:
            mc.fail(f"tilestats lists unknown layers {', '.join(unknown)}")
        for layer, e in ts_layers.items():
            if layer not in poly_layers + label_layers:
                continue
            want_geom = "Polygon" if layer in poly_layers else "Point"
            if e.get("geometry") != want_geom:
                mc.fail(f"tilestats {layer} geometry {e.get('geometry')!r}, expected {want_geom!r}")
            lvl = layer if layer in poly_layers else layer[: -len("_labels")]
            n_areas = len(all_codes.get(lvl, ()))
            if e.get("count") not in (n_areas, n_areas - len(collapsed.get(lvl, ()))):
                mc.fail(f"tilestats {layer} count {e.get('count')}, expected the {n_areas} areas"
                       + (f" (or {n_areas - len(collapsed[lvl])} without the collapsed)" if collapsed.get(lvl) else ""))
            attrs = e.get("attributes")
            if not isinstance(attrs, list) or not all(isinstance(x, dict) and "attribute" in x for x in attrs):
                mc.fail(f"tilestats {layer} attributes are not a list of {{attribute, type}}")
            elif e.get("attributeCount") != len(attrs):
                mc.fail(f"tilestats {layer} attributeCount {e.get('attributeCount')} but {len(attrs)} attributes")

    buffer = args.buffer
    if buffer is None:
        for src in (mdi, md):
            b = src.get("buffer") if isinstance(src, dict) else None
            if isinstance(b, int):
                buffer = b
                break
        else:
            buffer = 64
    a.info["header"] = {
        "tile_type": header["tile_type"].name, "tile_compression": header["tile_compression"].name,
        "min_zoom": header["min_zoom"], "max_zoom": header["max_zoom"],
        "addressed_tiles": header["addressed_tiles_count"], "tile_contents": header["tile_contents_count"],
    }
    a.info["archive_bytes"] = os.path.getsize(archive)

    # --- every tile
    entries = pmtiles_entries(buf, header)
    if not entries:
        a.fail("the archive holds no tiles")
    cfg = {
        "archive": archive, "max_tile_bytes": args.max_tile_bytes, "buffer": buffer,
        "gzip": header["tile_compression"] == Compression.GZIP,
        "layer_kind": {**{layer: "polygon" for layer in poly_layers}, **{layer: "label" for layer in label_layers}},
        "layer_level": {**{layer: layer for layer in poly_layers}, **{f"{layer}_labels": layer for layer in poly_layers}},
        "unit_layer": unit_layer, "top_layer": top_layer,
        "region_members": region_members, "region_parents": set(region), "source": source,
        "topology_zooms": {int(z) for z in args.topology_zooms.split(",") if z.strip()},
        "max_zoom": args.max_zoom, "sample": sample,
        "id_code": id_code, "zoom_set": zoom_set, "years": set(years), "domains": set(domains),
        "label_layers": set(label_layers), "areas": by_code, "expected": expected,
    }
    CFG.update(cfg)  # also for this process (the sample and the key sets below)
    # interleave by size so both workers get similar work; small chunks keep memory flat
    order = sorted(entries, key=lambda e: -e[4])
    nchunks = max(1, min(len(order), 64 * max(1, args.jobs)))
    chunks = [order[i::nchunks] for i in range(nchunks)]
    acc = new_acc()
    if args.jobs > 1 and len(entries) > 200:
        import multiprocessing as mp

        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        with ctx.Pool(args.jobs, initializer=_init_worker, initargs=(cfg,)) as pool:
            for part in pool.imap_unordered(check_tiles, chunks):
                merge(acc, part)
    else:
        _init_worker(cfg)
        for ch in chunks:
            merge(acc, check_tiles(ch))
    a.fail_kinds(acc["errors"].get("archive"))
    firsts = {}
    for e in entries:
        firsts.setdefault(e[0], e)
    probe = sorted(firsts.values()) + [max(entries, key=lambda e: e[4])] if entries else []
    try:
        disagree = cross_check(buf, probe)
    except Exception as ex:
        disagree = [f"{type(ex).__name__}: {ex}"]
    a.info["cross_checked_tiles"] = len(probe)
    if disagree:
        a.fail(f"this decoder and mapbox_vector_tile.decode disagree: {len(disagree)}; e.g. " + "; ".join(disagree[:5]))
    per_zoom = {}
    for z in sorted(acc["tiles"]):
        n, b, mx, mxw, rawb = acc["tiles"][z]
        per_zoom[str(z)] = {"tiles": n, "bytes": b, "max_bytes": mx, "max_tile": mxw, "unzipped_bytes": rawb}
    a.info["zooms"] = per_zoom
    a.info["tiles"] = len(entries)
    zooms_present = sorted(acc["tiles"])
    if zooms_present and (zooms_present[0], zooms_present[-1]) != (args.min_zoom, args.max_zoom):
        a.fail(f"tiles span zooms {zooms_present[0]}-{zooms_present[-1]}, expected {args.min_zoom}-{args.max_zoom}")
    a.info["decode_seconds"] = round(time.time() - t0, 1)
    # the metadata's field lists against the properties the tiles hold
    ts_type = {"str": "string", "int": "number", "float": "number", "bool": "boolean"}
    for layer in poly_layers + label_layers:
        seen = acc["keys"].get(layer, {})
        if layer in vl:
            fields = set(vl[layer].get("fields") or {})
            unlisted, unused = sorted(set(seen) - fields), sorted(fields - set(seen))
            if unlisted:
                mc.fail(f"vector_layers {layer} fields lack properties the tiles hold: {', '.join(unlisted[:10])}")
            if unused:
                mc.fail(f"vector_layers {layer} lists {len(unused)} fields no tile of the layer holds, "
                       f"e.g. {', '.join(unused[:6])}")
        e = ts_layers.get(layer)
        if e is not None and isinstance(e.get("attributes"), list):
            attrs = {x.get("attribute"): x.get("type") for x in e["attributes"] if isinstance(x, dict)}
            unlisted, unused = sorted(set(seen) - set(attrs)), sorted(set(attrs) - set(seen))
            if unlisted:
                mc.fail(f"tilestats {layer} attributes lack properties the tiles hold: {', '.join(unlisted[:10])}")
            if unused:
                mc.fail(f"tilestats {layer} lists {len(unused)} attributes no tile of the layer holds, "
                       f"e.g. {', '.join(unused[:6])}")
            wrong = []
            for k, t in attrs.items():
                kinds = {ts_type.get(x, x) for x in seen.get(k, ())}
                if kinds and not (kinds == {t} or (t == "mixed" and len(kinds) > 1)):
                    wrong.append(f"{k} {t} (tiles: {'/'.join(sorted(kinds))})")
            if wrong:
                mc.fail(f"tilestats {layer} attribute types differ from the tiles: {', '.join(wrong[:6])}")

    # --- geometry
    g = checks["geometry"]
    g.fail_kinds(acc["errors"].get("geometry"))
    g.info.update({"polygons": acc["polygons"], "points": acc["points"], "invalid": acc["invalid"],
                   "buffer": buffer, "coordinate_range": acc["coord_range"]})

    # --- layers and ids
    lc = checks["layers"]
    lc.fail_kinds(acc["errors"].get("layers"))
    absent = []
    for z in range(args.min_zoom, args.max_zoom + 1):
        for layer in poly_layers + label_layers:
            if not acc["layer_tiles"].get(f"{z} {layer}"):
                absent.append(f"z{z} {layer}")
    if absent:
        lc.fail(f"layer absent from every tile of its zoom: {len(absent)}; " + ", ".join(absent[:40]))
    lc.info["features"] = {
        str(z): {layer: acc["features"].get(f"{z} {layer}", 0) for layer in poly_layers + label_layers}
        for z in range(args.min_zoom, args.max_zoom + 1)
    }
    ic = checks["ids"]
    ic.fail_kinds(acc["errors"].get("ids"))
    ic.info["features"] = acc["polygons"] + acc["points"]
    ids_bad = sum(n for n, _ in acc["errors"].get("ids", {}).values())
    ic.info["wrong"] = ids_bad
    # one id per code across the whole atlas (the build must refuse collisions)
    seen = {}
    for layer, codes in all_codes.items():
        for c in codes:
            i = feature_id(c, layer)
            if i in seen and seen[i] != c:
                ic.fail(f"codes {seen[i]} and {c} have the same id {i}")
            seen[i] = c

    # --- completeness
    cc = checks["completeness"]
    comp = {}
    for z in range(args.min_zoom, args.max_zoom + 1):
        comp[str(z)] = {}
        for layer in poly_layers + label_layers:
            base = layer[: -len("_labels")] if layer in label_layers else layer
            want = set(all_codes.get(base, set()))
            if layer in poly_layers:
                want -= collapsed.get(base, set())
            got = acc["codes"].get(f"{z} {layer}", set())
            missing, extra = sorted(want - got), sorted(got - want)
            comp[str(z)][layer] = {"codes": len(got), "expected": len(want), "missing": len(missing),
                                   "extra": len(extra)}
            if missing:
                cc.fail(f"z{z} {layer}: {len(missing)} of {len(want)} codes missing, e.g. {', '.join(missing[:5])}")
            if extra:
                cc.fail(f"z{z} {layer}: {len(extra)} unexpected codes, e.g. {', '.join(extra[:5])}")
    cc.info["zooms"] = comp
    cc.info["collapsed"] = {layer: len(s) for layer, s in collapsed.items()}

    # --- attributes: names and types everywhere, then the samples
    ac = checks["attributes"]
    ac.fail_kinds(acc["errors"].get("attributes"))
    ytypes = {"mdi_score": {"float", "int"}, "mdi_rank": {"int"}, "mdi_decile": {"int"}}
    unit_types = dict(ytypes, domains_in_worst_decile={"int"}, reason={"str"}, domains_with_data={"int"},
                      cluster={"str"})
    for d in domains:
        unit_types[f"{d}_score"] = {"float", "int"}
        unit_types[f"{d}_decile"] = {"int"}
    parent_types = dict(ytypes, share_worst_decile={"float", "int"}, reason={"str"})
    base_types = {"code": {"str"}, "name": {"str"}, "level": {"str"}, "nodata": {"bool"}, "water": {"bool"},
                  "population": {"int"}}
    for layer in poly_layers + label_layers:
        if layer in label_layers:
            allowed = {k: base_types[k] for k in ("code", "name", "level")}
        else:
            per_year = unit_types if layer == unit_layer else parent_types
            allowed = dict(base_types)
            for k, ts in per_year.items():
                for y in years:
                    allowed[f"{k}_{y}"] = ts
        for k, ts in sorted(acc["keys"].get(layer, {}).items()):
            if k not in allowed:
                ac.fail(f"{layer}: property {k} is not in the schema ({'/'.join(sorted(ts))})")
            elif not ts <= allowed[k]:
                ac.fail(f"{layer}: property {k} has type {'/'.join(sorted(ts))}, expected {'/'.join(sorted(allowed[k]))}")
        for k in ("code", "name", "level") if layer in poly_layers else sorted(LABEL_SETS["full"]):
            if layer in acc["keys"] and k not in acc["keys"][layer]:
                ac.fail(f"{layer}: no feature has {k}")
    # the property names of each zoom and layer: the zoom's set, nothing else
    zkeys = {}
    for z in range(args.min_zoom, args.max_zoom + 1):
        pset = zoom_set[z]
        zkeys[str(z)] = {"set": pset}
        for layer in poly_layers + label_layers:
            got = acc["zoom_keys"].get(f"{z} {layer}", set())
            zkeys[str(z)][layer] = len(got)
            if layer in label_layers:
                outside = sorted(k for k in got if k not in LABEL_SETS[pset])
            else:
                keep = POLY_SETS[pset]
                outside = [] if keep is None else sorted(k for k in got if key_base(k) not in keep)
            if outside:
                ac.fail(f"z{z} ({pset}) {layer}: properties outside the set: {', '.join(outside[:12])}")
    bad_areas = 0
    examples = []
    if zoom_set.get(args.max_zoom) != "full":
        ac.fail(f"the sample needs the full set at z{args.max_zoom}, which has {zoom_set.get(args.max_zoom)}")
    for c in sample_unit:
        pk = f"{unit_layer} {c}"
        got = acc["sample"].get(pk)
        if got is None:
            bad_areas += 1
            examples.append(f"{pk}: in no z{args.max_zoom} tile")
            continue
        area = by_code[(unit_layer, c)]
        ys = scores[c]
        errs = compare(got, *unit_expected(area, ys, unit_layer, domains))
        eligible_any = any(r.get("eligible", "").lower() == "true" for r in ys.values())
        if bool(area.get("nodata")) == eligible_any:
            errs.append(f"areas.fgb nodata={area.get('nodata')} but scores.csv eligible in some year={eligible_any}")
        if errs:
            bad_areas += 1
            examples.append(f"{pk}: " + "; ".join(errs[:6]))
    for layer, c in sample_parent:
        pk = f"{layer} {c}"
        got = acc["sample"].get(pk)
        if got is None:
            bad_areas += 1
            examples.append(f"{pk}: in no z{args.max_zoom} tile")
            continue
        errs = compare(got, *parent_expected(by_code[(layer, c)], layer, years))
        if errs:
            bad_areas += 1
            examples.append(f"{pk}: " + "; ".join(errs[:6]))
    if bad_areas:
        ac.fail(f"sampled areas whose properties differ from the atlas: {bad_areas} of "
                f"{len(sample_unit) + len(sample_parent)}; e.g. " + " | ".join(examples[:EXAMPLES]))
    wrong = acc["errors"].get("attributes", {}).get("properties differ from the atlas / the zoom's set", [0])[0]
    ac.info.update({"sampled": len(sample_unit), "sampled_parents": len(sample_parent), "wrong": bad_areas,
                    "years": years, "area_zooms_checked": len(acc["props"]),
                    "area_zooms_differing": wrong, "keys_per_zoom": zkeys})

    # --- topology
    tc = checks["topology"]
    tc.info["region"] = region
    tc.info["region_areas"] = len(region_members)
    tz = {}

    def excess(t):  # above the allowance of 1 unit² per shared border
        return max(t["overlap"] - t["source_overlap"], t["gap"] - t["source_gap"]) - t["borders"] * 1.0

    def brief(t):
        return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in t.items() if k != "z"}

    for z in sorted(cfg["topology_zooms"]):
        ts = [t for t in acc["topology"] if t["z"] == z]
        bad = sorted((t for t in ts if excess(t) > 0), key=excess, reverse=True)
        worst = max(ts, key=excess, default=None)
        tz[str(z)] = {
            "tiles": len(ts), "areas": sum(t["areas"] for t in ts),
            "distinct_areas": len(acc["codes"].get(f"{z} {unit_layer}", set()) & set(region_members)),
            "overlap": round(sum(t["overlap"] for t in ts), 2),
            "source_overlap": round(sum(t["source_overlap"] for t in ts), 2),
            "gaps": round(sum(t["gap"] for t in ts), 2),
            "source_gaps": round(sum(t["source_gap"] for t in ts), 2),
            "spill": round(sum(t["spill"] for t in ts), 2), "borders": sum(t["borders"] for t in ts),
            "holes": sum(t["holes"] for t in ts), "hole_area": round(sum(t["hole_area"] for t in ts), 2),
            "repaired_invalid": sum(t["repaired"] for t in ts), "failing_tiles": len(bad),
            "worst_tile": None if worst is None else brief(worst),
            "failing": [brief(t) for t in bad[:EXAMPLES]],
        }
        if not ts:
            tc.fail(f"z{z}: no tile holds an area of the region {','.join(region)}")
        if bad:
            w = bad[0]
            tc.fail(f"z{z}: {len(bad)} of {len(ts)} tiles with overlap or gap above the source's by more "
                    f"than 1 unit² per shared border (overlap {tz[str(z)]['overlap']} (source "
                    f"{tz[str(z)]['source_overlap']}), gaps {tz[str(z)]['gaps']} (source "
                    f"{tz[str(z)]['source_gaps']}), borders {tz[str(z)]['borders']}; worst {w['tile']}: "
                    f"overlap {w['overlap']:.1f} (source {w['source_overlap']:.1f}), gap {w['gap']:.1f} "
                    f"(source {w['source_gap']:.1f}), {w['borders']} borders)")
        miss = sorted({(t["tile"], p) for t in ts for p in t["missing_parent"]})
        if miss:
            tc.fail(f"z{z}: {len(miss)} tiles with region areas but without their {top_layer} polygon, e.g. "
                    + ", ".join(f"{w} {p}" for w, p in miss[:5]))
    tc.info["zooms"] = tz

    # --- GDAL
    gc = checks["gdal"]
    targets = [archive]
    mb = os.path.join(atlas, "atlas.mbtiles")
    if os.path.exists(mb):
        targets.append(mb)
    gc.info["files"] = {}
    # a small box in the region (Web Mercator metres, the layers' CRS), so that GDAL reads a few
    # max-zoom tiles, not all of them
    box = None
    for c in sorted(region_members):
        g = shapely.from_wkb(source[(unit_layer, c)], on_invalid="ignore") if (unit_layer, c) in source else None
        if g is not None and not g.is_empty:
            p = g.representative_point() if g.is_valid else g.centroid
            mx = math.radians(p.x) * 6378137.0
            my = math.log(math.tan(math.pi / 4 + math.radians(p.y) / 2)) * 6378137.0
            box = (mx - 200.0, my - 200.0, mx + 200.0, my + 200.0)
            break
    for path in targets:
        fname = os.path.basename(path)
        res = {}
        gc.info["files"][fname] = res
        try:
            listed = [str(r[0]) for r in pyogrio.list_layers(path)]
        except Exception as ex:
            gc.fail(f"{fname}: GDAL cannot open it: {ex}")
            continue
        res["layers"] = listed
        lacking = [layer for layer in poly_layers + label_layers if layer not in listed]
        if lacking:
            gc.fail(f"{fname}: GDAL does not list {', '.join(lacking)}")
        res["geometry_types"] = {}
        for layer in poly_layers + label_layers:
            if layer not in listed:
                continue
            try:  # at the min zoom: the type comes from the metadata, and counting is cheap there
                gt = pyogrio.read_info(path, layer=layer, ZOOM_LEVEL=str(args.min_zoom))["geometry_type"]
            except Exception as ex:
                gc.fail(f"{fname} {layer}: GDAL read_info fails: {ex}")
                continue
            res["geometry_types"][layer] = gt
            ok = ("Polygon", "MultiPolygon") if layer in poly_layers else ("Point", "MultiPoint")
            if gt not in ok:
                gc.fail(f"{fname} {layer}: GDAL geometry type {gt}, expected {' or '.join(ok)}")
        if unit_layer not in listed:
            continue
        try:
            kw = {"bbox": box} if box else {"max_features": 200}
            m, _, geoms, _ = pyogrio.raw.read(path, layer=unit_layer, ZOOM_LEVEL=str(args.max_zoom), **kw)
        except Exception as ex:
            gc.fail(f"{fname}: GDAL cannot read {unit_layer} at zoom {args.max_zoom}: {ex}")
            continue
        fields = [str(f) for f in m["fields"]]
        res["zoom"] = args.max_zoom
        res["fields"] = len(fields)
        res["features_read"] = len(geoms)
        lacking = [f for f in ("code", "name", "level") if f not in fields]
        if lacking:
            gc.fail(f"{fname} {unit_layer}: GDAL fields lack {', '.join(lacking)}")
        if not any(f.startswith("mdi_decile_") for f in fields):
            gc.fail(f"{fname} {unit_layer}: GDAL fields lack mdi_decile_Y")
        if not len(geoms):
            gc.fail(f"{fname} {unit_layer}: GDAL reads no features at zoom {args.max_zoom}"
                    + (f" in {box}" if box else ""))
    finish()


if __name__ == "__main__":
    main()
