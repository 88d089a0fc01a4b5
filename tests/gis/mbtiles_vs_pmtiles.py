#!/usr/bin/env python3
"""Check that an atlas's atlas.mbtiles holds exactly the tiles of its atlas.pmtiles.

    python3 tests/gis/mbtiles_vs_pmtiles.py ATLAS_DIR

Reads the MBTiles file with Python's sqlite3 through the `tiles` view (rows in TMS order, flipped
here to XYZ) and its `metadata` table, and the PMTiles file with the `pmtiles` reader; every tile
must be present in both with the same (gunzipped) bytes, and the MBTiles metadata must name the
format, zooms, bounds and the vector layers. Prints a JSON summary; exit 1 on a difference, 3 if
the `pmtiles` package is missing.
"""
import gzip
import json
import os
import sqlite3
import sys

try:
    from pmtiles.reader import MmapSource, Reader, all_tiles
except ImportError as e:
    print(f"missing Python package: {e.name} (pip install pmtiles)", file=sys.stderr)
    sys.exit(3)


def main():
    atlas = sys.argv[1]
    problems = []
    with open(os.path.join(atlas, "atlas.pmtiles"), "rb") as f:
        reader = Reader(MmapSource(f))
        pm = {k: gzip.decompress(v) for k, v in all_tiles(reader.get_bytes)}
    db = sqlite3.connect(f"file:{os.path.join(atlas, 'atlas.mbtiles')}?mode=ro", uri=True)
    mb = {}
    for z, x, row, data in db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"):
        y = (1 << z) - 1 - row
        if (z, x, y) in mb:
            problems.append(f"tile {z}/{x}/{y} twice")
        mb[(z, x, y)] = gzip.decompress(data)
    meta = dict(db.execute("SELECT name, value FROM metadata"))
    only_pm = sorted(set(pm) - set(mb))
    only_mb = sorted(set(mb) - set(pm))
    differ = sorted(k for k in set(pm) & set(mb) if pm[k] != mb[k])
    for what, keys in (("only in PMTiles", only_pm), ("only in MBTiles", only_mb), ("different", differ)):
        if keys:
            problems.append(f"{len(keys)} tiles {what}, e.g. {keys[:3]}")
    if meta.get("format") != "pbf":
        problems.append(f"metadata format {meta.get('format')!r}, expected 'pbf'")
    zooms = sorted({z for z, _, _ in pm})
    if zooms and (int(meta.get("minzoom", -1)), int(meta.get("maxzoom", -1))) != (zooms[0], zooms[-1]):
        problems.append(f"metadata zooms {meta.get('minzoom')}-{meta.get('maxzoom')}, tiles {zooms[0]}-{zooms[-1]}")
    try:
        layers = [v["id"] for v in json.loads(meta["json"])["vector_layers"]]
    except (KeyError, ValueError, TypeError) as e:
        layers = []
        problems.append(f"metadata json without vector_layers ({e})")
    if len(meta.get("bounds", "").split(",")) != 4:
        problems.append(f"metadata bounds {meta.get('bounds')!r}")
    print(json.dumps({"ok": not problems, "tiles": len(mb), "layers": layers, "problems": problems}))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
