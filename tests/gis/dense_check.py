#!/usr/bin/env python3
"""Check that every area of an atlas is on the map at every zoom, as the build report says.

    python3 tests/gis/dense_check.py ATLAS_DIR [--archive FILE.pmtiles] [--max-tile-bytes N]

For dense inputs the tiler may leave a polygon layer out of a zoom (a coarser level carries the
choropleth there) or draw neighbouring areas of the same classes as one feature
(docs/TILES.md, *Dense inputs*); build-report.json lists both per zoom, under
`tiles.zooms[].omitted` and `tiles.zooms[].coalesced`. This script checks, independently of the
tiler, for EVERY zoom of the archive and every area of every level in areas.fgb, that the area is

  (a) present: a feature with the area's id (docs/TILES.md "Feature ids", computed here from
      the code) in its level's polygon layer at that zoom (its label layer for the areas
      without extent that build-report.json lists under `tiles.label_only`); or
  (b) coalesced: a member of a group of `tiles.zooms[z].coalesced` whose `into` area is
      present and carries `coalesced` = the number of areas in the group; the member's own
      values (areas.fgb) equal the `into` feature's tile properties in every other property
      that the zoom's tiles carry for that layer (the `into` area's own values too); the group is connected (each member shares an edge or a vertex with the
      group: the atlas's contiguity.gal for the index unit, the areas.fgb polygons for other
      levels); or
  (c) carried by its parent: its layer is in `tiles.zooms[z].omitted` and its parent
      (areas.fgb `parent`) is itself accounted for at that zoom by (a), (b) or (c);

and that the report says nothing that the tiles contradict (an omitted layer with features, a
coalesced member drawn on its own, an area in two groups), and that no tile is larger than
--max-tile-bytes (gzipped; default 500,000). It reads the archive with the `pmtiles` reader and
the protobuf with mapbox_vector_tile's bindings, areas.fgb with GDAL (pyogrio); the feature ids
come from tests/gis/tiles_check.py (written from docs/TILES.md).

Prints one JSON object on stdout: {"ok", "archive", "zooms": [{"z", "tiles", "max_bytes",
"present", "coalesced", "carried", "missing"}], "errors": [...], "seconds"}; a table of the
counts per zoom and every error on stderr. Exits 0 when every check passes, 1 otherwise, 3 when
a needed Python package is missing.
"""
import argparse
import gzip
import json
import os
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# tiles_check exits 3 itself when numpy, shapely, pmtiles, mapbox_vector_tile or pyogrio is
# missing; it holds the feature ids of docs/TILES.md and the areas.fgb reader.
from tiles_check import feature_id, read_areas, set_levels  # noqa: E402

import pyogrio.raw  # noqa: E402
import shapely  # noqa: E402
from mapbox_vector_tile.Mapbox import vector_tile_pb2  # noqa: E402
from pmtiles.reader import MmapSource, all_tiles  # noqa: E402

EXAMPLES = 10  # examples kept per kind of error
# The property of a group's feature that gives the number of areas it unites (docs/TILES.md,
# *Dense inputs*); not an area's own property.
COALESCED = "coalesced"


class Errors:
    """Errors by kind, with a count and the first few examples."""

    def __init__(self):
        self.kinds = {}

    def add(self, kind, example):
        n, ex = self.kinds.get(kind, (0, []))
        if len(ex) < EXAMPLES:
            ex.append(example)
        self.kinds[kind] = (n + 1, ex)

    def lines(self):
        return [f"{kind}: {n}; e.g. " + "; ".join(ex) for kind, (n, ex) in sorted(self.kinds.items())]


def tile_value(v):
    """The value of an MVT Value message."""
    fields = v.ListFields()
    return fields[0][1] if fields else None


def read_tiles(archive, interesting):
    """Per zoom: tile count, largest tile (gzipped bytes), the tiles over size (z, x, y, bytes)
    are left to the caller; per (zoom, layer): the feature ids and the property keys; the
    properties of the features in `interesting[z]` (a set of (layer, id)) at their first tile."""
    tiles = defaultdict(int)
    sizes = {}
    ids = defaultdict(set)
    keys = defaultdict(set)
    props = {}
    with open(archive, "rb") as f:
        for (z, x, y), data in all_tiles(MmapSource(f)):
            tiles[z] += 1
            sizes[(z, x, y)] = len(data)
            raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            tile = vector_tile_pb2.tile()
            tile.ParseFromString(raw)
            want = interesting.get(z, ())
            for layer in tile.layers:
                ids[(z, layer.name)].update(ft.id for ft in layer.features)
                keys[(z, layer.name)].update(layer.keys)
                if not want:
                    continue
                for ft in layer.features:
                    k = (z, layer.name, ft.id)
                    if (layer.name, ft.id) in want and k not in props:
                        t = ft.tags
                        props[k] = {layer.keys[t[i]]: tile_value(layer.values[t[i + 1]])
                                    for i in range(0, len(t) - 1, 2)}
    return tiles, sizes, ids, keys, props


def read_gal(path):
    """contiguity.gal (PySAL GAL: a header, then per area `code k` and a line of neighbours)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 1
    while i < len(lines):
        head = lines[i].split()
        if not head:
            i += 1
            continue
        code, k = head[0], int(head[1])
        nb = lines[i + 1].split() if i + 1 < len(lines) else []
        if len(nb) != k:
            raise ValueError(f"{path}: {code} says {k} neighbours and lists {len(nb)}")
        out[code] = set(nb)
        i += 2
    return out


def expected(area, key, layer):
    """The value that the area's feature should carry for a tile property (None: absent),
    from areas.fgb (docs/TILES.md "Properties")."""
    if key == "level":
        return layer
    if key in ("nodata", "water"):
        return bool(area.get(key))
    if key == "population":
        years = sorted((k[len("population_"):] for k in area if k.startswith("population_")),
                       reverse=True)
        for y in years:
            if area.get(f"population_{y}") is not None:
                return int(round(area[f"population_{y}"]))
        return None
    v = area.get(key)
    return None if v == "" else v


def same(key, got, want):
    """Whether a tile value is the areas.fgb value (domain scores are rounded to one decimal,
    other floats written as 32- or 64-bit floats)."""
    if got is None or want is None:
        return got is None and want is None
    if isinstance(want, bool) or isinstance(got, bool):
        return got is want or (isinstance(got, bool) and isinstance(want, bool) and got == want)
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if isinstance(want, float) and "_score_" in key and not key.startswith("mdi_score_"):
            return abs(got - want) <= 0.05 + 1e-9
        return abs(got - want) <= 1e-4 * max(1.0, abs(want))
    return got == want


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("atlas")
    ap.add_argument("--archive")
    ap.add_argument("--max-tile-bytes", type=int, default=500_000)
    args = ap.parse_args()
    t0 = time.time()
    atlas = args.atlas
    archive = args.archive or os.path.join(atlas, "atlas.pmtiles")
    errors = Errors()

    meta = json.load(open(os.path.join(atlas, "metadata.json"), encoding="utf-8"))
    report = json.load(open(os.path.join(atlas, "build-report.json"), encoding="utf-8"))
    levels = meta["levels"]
    set_levels(levels)
    layer_of = {lv["id"]: lv["layer"] for lv in levels}
    unit_layer = levels[0]["layer"]
    rows, _ = read_areas(os.path.join(atlas, "areas.fgb"))
    areas = {}  # (layer, code) -> row
    for r in rows:
        areas[(r["level"], r["code"])] = r
    by_layer = defaultdict(list)
    for (layer, code) in areas:
        by_layer[layer].append(code)
    label_only = {(lo[0], lo[1]) for lo in report.get("tiles", {}).get("label_only", [])}
    zreports = {zr["z"]: zr for zr in report.get("tiles", {}).get("zooms", [])}

    # The groups per zoom, and the features whose properties are needed (the groups' `into`).
    groups = {}  # z -> list of (layer, into, members)
    member_of = {}  # (z, layer, code) -> group index
    interesting = defaultdict(set)
    for z, zr in zreports.items():
        groups[z] = []
        for g in zr.get("coalesced", []):
            layer, into, members = g["layer"], g["into"], list(g["members"])
            k = len(groups[z])
            groups[z].append((layer, into, members))
            for c in [into] + members:
                if (layer, c) not in areas:
                    errors.add("coalesced area not in areas.fgb", f"z{z} {layer} {c}")
                    continue
                if (z, layer, c) in member_of:
                    errors.add("area in two coalesced groups", f"z{z} {layer} {c}")
                member_of[(z, layer, c)] = k
            if (layer, into) in areas:
                interesting[z].add((layer, feature_id(into, layer)))

    tiles, sizes, ids, keys, props = read_tiles(archive, interesting)
    zooms = sorted(tiles)
    for z in zooms:
        if z not in zreports:
            errors.add("zoom without a report", f"z{z}: build-report.json tiles.zooms lacks it")
    for z in sorted(set(zreports) - set(tiles)):
        errors.add("reported zoom without tiles", f"z{z}")
    cap = args.max_tile_bytes
    for (z, x, y), n in sorted(sizes.items()):
        if n > cap:
            errors.add("tile over the cap", f"{z}/{x}/{y} is {n} bytes gzipped, over {cap}")

    # Neighbours: the GAL for the index unit, touching polygons of areas.fgb for other levels
    # (read only when a group of such a level needs them).
    gal_path = os.path.join(atlas, "contiguity.gal")
    gal = read_gal(gal_path) if os.path.exists(gal_path) else None
    geoms = {}

    def neighbours(layer, code, candidates):
        if layer == unit_layer and gal is not None:
            return gal.get(code, set()) & candidates
        if not geoms:
            m, _, wkbs, cols = pyogrio.raw.read(os.path.join(atlas, "areas.fgb"))
            names = list(m["fields"])
            lc, cc = cols[names.index("level")], cols[names.index("code")]
            for i, w in enumerate(wkbs):
                geoms[(lc[i], cc[i])] = shapely.from_wkb(w)
        g = geoms.get((layer, code))
        return {c for c in candidates if c != code and g is not None
                and geoms.get((layer, c)) is not None and g.intersects(geoms[(layer, c)])}

    def check_group(z, layer, into, members):
        """Errors of one coalesced group; True when it may carry its members."""
        ok = True
        fid = feature_id(into, layer)
        if fid not in ids.get((z, layer), ()):
            errors.add("coalesced group whose feature is absent", f"z{z} {layer} into {into}")
            return False
        got = props.get((z, layer, fid), {})
        carried = sorted(k for k in keys.get((z, layer), ()) if k != COALESCED)
        if got.get(COALESCED) != 1 + len(members):
            ok = False
            errors.add("coalesced feature with another count",
                       f"z{z} {layer} into {into}: {COALESCED} is {got.get(COALESCED)!r}, "
                       f"the group has {1 + len(members)} areas")
        for c in [into] + members:
            area = areas.get((layer, c))
            if area is None:
                ok = False
                continue
            diff = [k for k in carried if not same(k, got.get(k), expected(area, k, layer))]
            if diff:
                ok = False
                k = diff[0]
                errors.add("coalesced area with other values",
                           f"z{z} {layer} {c} into {into}: {k} is {expected(area, k, layer)!r}, "
                           f"the feature has {got.get(k)!r} ({len(diff)} properties differ)")
            if c != into and feature_id(c, layer) in ids.get((z, layer), ()):
                errors.add("coalesced member drawn on its own", f"z{z} {layer} {c} into {into}")
        # Connected: every member reached from `into` through neighbours within the group.
        group = set([into] + members)
        seen, todo = {into}, [into]
        while todo:
            c = todo.pop()
            for n in neighbours(layer, c, group - seen):
                seen.add(n)
                todo.append(n)
        if seen != group:
            ok = False
            apart = sorted(group - seen)
            errors.add("coalesced group not connected",
                       f"z{z} {layer} into {into}: {len(apart)} of {len(group)} apart, e.g. {apart[0]}")
        return ok

    group_ok = {z: [check_group(z, *g) for g in groups.get(z, [])] for z in zooms}
    parent_layer = {lv["layer"]: layer_of.get(lv.get("parent")) for lv in levels}

    def status(z, layer, code, memo):
        """'present', 'coalesced', 'carried' or 'missing' for an area at zoom z."""
        key = (layer, code)
        if key in memo:
            return memo[key]
        own = f"{layer}_labels" if key in label_only else layer
        s = "missing"
        if feature_id(code, layer) in ids.get((z, own), ()):
            s = "present"
        elif (z, layer, code) in member_of:
            s = "coalesced" if group_ok[z][member_of[(z, layer, code)]] else "missing"
        elif layer in zreports.get(z, {}).get("omitted", []):
            parent, pl = areas[key].get("parent"), parent_layer.get(layer)
            if parent and pl and (pl, parent) in areas and status(z, pl, parent, memo) != "missing":
                s = "carried"
        memo[key] = s
        return s

    out_zooms = []
    for z in zooms:
        zr = zreports.get(z, {})
        for layer in zr.get("omitted", []):
            if ids.get((z, layer)):
                errors.add("omitted layer with features", f"z{z} {layer}: {len(ids[(z, layer)])} features")
        memo = {}
        counts = {"present": 0, "coalesced": 0, "carried": 0, "missing": 0}
        for layer, codes in by_layer.items():
            for code in codes:
                s = status(z, layer, code, memo)
                counts[s] += 1
                if s == "missing":
                    why = ("its layer is omitted and its parent is not on the map"
                           if layer in zr.get("omitted", []) else
                           "in a coalesced group that fails" if (z, layer, code) in member_of else
                           "no feature, not coalesced, its layer not omitted")
                    errors.add("area not on the map", f"z{z} {layer} {code}: {why}")
        zs = [n for (zz, _, _), n in sizes.items() if zz == z]
        out_zooms.append(dict(z=z, tiles=tiles[z], max_bytes=max(zs) if zs else 0, **counts,
                              omitted=zr.get("omitted", []), groups=len(groups.get(z, []))))

    summary = {"ok": not errors.kinds, "archive": archive, "areas": len(areas), "zooms": out_zooms,
               "errors": errors.lines(), "seconds": round(time.time() - t0, 1)}
    json.dump(summary, sys.stdout)
    sys.stdout.write("\n")
    print(f"{'zoom':>4} {'tiles':>7} {'largest':>9} {'present':>9} {'coalesced':>9} {'carried':>9} "
          f"{'missing':>8}  omitted layers, coalesced groups", file=sys.stderr)
    for r in out_zooms:
        print(f"{r['z']:>4} {r['tiles']:>7} {r['max_bytes']:>9} {r['present']:>9} {r['coalesced']:>9} "
              f"{r['carried']:>9} {r['missing']:>8}  {','.join(r['omitted']) or '-'}, {r['groups']}",
              file=sys.stderr)
    print(f"{len(areas)} areas, {len(zooms)} zooms, {sum(tiles.values())} tiles, {summary['seconds']} s: "
          + ("ok" if summary["ok"] else "FAILED"), file=sys.stderr)
    for line in summary["errors"]:
        print(f"  - {line}", file=sys.stderr)
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
