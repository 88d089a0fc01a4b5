#!/usr/bin/env python3
"""Read a FlatGeobuf file with GDAL (through pyogrio) and print what a GIS client sees, as JSON.

An independent reader for the end-to-end tests: `python3 fgb_dump.py FILE [COLUMN ...]` prints
{"crs", "geometry_type", "count", "fields", "rows": [{column: value, ..., "_bbox": [minx, miny,
maxx, maxy]}]}. Exits with status 3 when pyogrio is not installed.
"""
import json
import struct
import sys

try:
    import pyogrio.raw
except ImportError:
    print("pyogrio is not installed (pip install pyogrio)", file=sys.stderr)
    sys.exit(3)


def wkb_bbox(wkb):
    """Bounding box of a (multi)polygon in WKB, parsed here rather than by GDAL."""
    xs, ys = [], []

    def geom(off):
        order = "<" if wkb[off] == 1 else ">"
        (gtype,) = struct.unpack_from(order + "I", wkb, off + 1)
        off += 5
        gtype %= 1000
        if gtype == 6:  # MultiPolygon
            (n,) = struct.unpack_from(order + "I", wkb, off)
            off += 4
            for _ in range(n):
                off = geom(off)
            return off
        if gtype == 3:  # Polygon
            (rings,) = struct.unpack_from(order + "I", wkb, off)
            off += 4
            for _ in range(rings):
                (pts,) = struct.unpack_from(order + "I", wkb, off)
                off += 4
                for _ in range(pts):
                    x, y = struct.unpack_from(order + "dd", wkb, off)
                    xs.append(x)
                    ys.append(y)
                    off += 16
            return off
        raise ValueError(f"unexpected WKB geometry type {gtype}")

    geom(0)
    return [min(xs), min(ys), max(xs), max(ys)] if xs else None


def plain(v):
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and v != v:
        return None
    return v


def main():
    path, columns = sys.argv[1], sys.argv[2:] or None
    meta, _, geometry, fields = pyogrio.raw.read(path, columns=columns)
    names = list(meta["fields"])
    rows = []
    for i in range(len(geometry)):
        row = {n: plain(fields[k][i]) for k, n in enumerate(names)}
        row["_bbox"] = wkb_bbox(geometry[i]) if geometry[i] is not None else None
        rows.append(row)
    info = pyogrio.read_info(path)
    out = {
        "crs": meta["crs"],
        "geometry_type": meta["geometry_type"],
        "count": int(info["features"]),
        "fields": [str(f) for f in info["fields"]],
        "rows": rows,
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
