#!/usr/bin/env python3
"""Check an atlas' contiguity.gal against libpysal's queen contiguity of its areas.fgb.

`python3 contiguity_check.py ATLAS_DIR` reads areas.fgb with pyogrio (GDAL) and shapely, keeps
the areas of the index unit (level == the first layer of metadata.json) with a non-empty
geometry, builds libpysal.weights.Queen.from_iterable on them (ids = codes), reads
contiguity.gal with libpysal.io, and prints JSON: {"areas", "gal_areas", "links", "islands",
"differences": [{"code", "pysal_only", "gal_only"}] (at most 20), "different": n}. Exits with
status 3 when a package is missing.
"""
import json
import os
import sys
import warnings

try:
    import libpysal
    import pyogrio
    from shapely import from_wkb
except ImportError as e:
    print(f"needs pyogrio, shapely and libpysal: {e}", file=sys.stderr)
    sys.exit(3)


def main(atlas):
    with open(os.path.join(atlas, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    layer = meta["levels"][0]["layer"]
    _, _, geometry, fields = pyogrio.raw.read(
        os.path.join(atlas, "areas.fgb"), columns=["code", "level"]
    )
    codes, levels = fields
    geoms, ids = [], []
    for code, level, wkb in zip(codes, levels, geometry):
        if level != layer or wkb is None:
            continue
        g = from_wkb(wkb)
        if g.is_empty:
            continue
        geoms.append(g)
        ids.append(str(code))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        queen = libpysal.weights.Queen.from_iterable(geoms, ids=ids)
        gal = libpysal.io.open(os.path.join(atlas, "contiguity.gal")).read()
    gal_neighbours = {str(k): {str(n) for n in v} for k, v in gal.neighbors.items()}
    differences = []
    for code in sorted(set(ids) | set(gal_neighbours)):
        mine = {str(n) for n in queen.neighbors.get(code, [])}
        theirs = gal_neighbours.get(code)
        if theirs is None or code not in queen.neighbors or mine != theirs:
            differences.append(
                {
                    "code": code,
                    "pysal_only": sorted(mine - (theirs or set())),
                    "gal_only": sorted((theirs or set()) - mine),
                    "in_gal": theirs is not None,
                    "in_areas": code in queen.neighbors,
                }
            )
    print(
        json.dumps(
            {
                "areas": len(ids),
                "gal_areas": len(gal_neighbours),
                "links": sum(len(v) for v in queen.neighbors.values()) // 2,
                "islands": sorted(str(i) for i in queen.islands),
                "different": len(differences),
                "differences": differences[:20],
            }
        )
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])
