"""Reads a gemeente's GeoPackage download with GDAL (pyogrio) and compares it with what the
source files say, read here independently of mdi-atlas.

    python3 gpkg_check.py GPKG EPSG GEMEENTE BUURT_GEOMETRY STATLINE_CSV[,STATLINE_CSV…] [CSV]

GPKG: the download ({code}_wgs84.gpkg or {code}_rd.gpkg); EPSG: the CRS it must declare (4326
or 28992); GEMEENTE: its code (GM0363); BUURT_GEOMETRY: the buurt polygons the atlas was built
from (statcode per feature; read through /vsigzip/ when gzipped); STATLINE_CSV: StatLine "CSV
with titles" exports with the names of the areas (gzipped, `;`-separated; a name must equal
the name of its code in one of them); CSV: the same
download as CSV, whose rows must be the GeoPackage's features.

Prints one JSON object: the layers with their feature counts, CRS and bounds; the expected
buurt and wijk counts (the source buurten whose code lies in the gemeente; their distinct wijk
codes); the names compared with StatLine's; and the CSV's rows. Exit 3 when a Python package is
missing.
"""

import gzip
import io
import json
import sys

try:
    import pandas as pd
    import pyogrio
except ImportError as e:  # pragma: no cover
    print(f"missing Python package: {e}", file=sys.stderr)
    sys.exit(3)


def main():
    gpkg, epsg, gm, geometry, statline = sys.argv[1:6]
    csv = sys.argv[6] if len(sys.argv) > 6 else None
    digits = gm[2:]
    src = geometry if not geometry.endswith(".gz") else "/vsigzip/" + geometry
    codes = pyogrio.read_dataframe(src, read_geometry=False, columns=["statcode"])["statcode"]
    buurten = sorted(c for c in codes if c.startswith("BU" + digits))
    wijken = sorted({"WK" + c[2:8] for c in buurten})

    names = {}
    for path in statline.split(","):
        with gzip.open(path, "rt", encoding="utf-8-sig") as f:
            table = pd.read_csv(io.StringIO(f.read()), sep=";", dtype=str)
        name_col = table.columns[0]
        code_col = next(c for c in table.columns if c.endswith("Codering (code)"))
        for c, n in zip(table[code_col], table[name_col]):
            names.setdefault(str(c).strip(), set()).add(str(n).strip())

    out = {"layers": {}, "expected": {"buurten": len(buurten), "wijken": len(wijken), "gemeenten": 1}}
    compared, mismatches = 0, []
    rows = 0
    for layer, geom_type in pyogrio.list_layers(gpkg):
        info = pyogrio.read_info(gpkg, layer=layer)
        df = pyogrio.read_dataframe(gpkg, layer=layer)
        rows += len(df)
        out["layers"][layer] = {
            "features": int(info["features"]),
            "geometry_type": geom_type,
            "crs": info["crs"],
            "bounds": [float(v) for v in df.total_bounds] if len(df) else None,
            "columns": list(df.columns),
            "codes_outside": sorted(c for c in df["code"] if not c[2:].startswith(digits))[:10],
            "null_geometries": int(df.geometry.isna().sum()),
        }
        for code, name in zip(df["code"], df["name"]):
            if code in names:
                compared += 1
                if name not in names[code]:
                    mismatches.append([code, name, sorted(names[code])])
    out["expected_codes"] = {"buurten": buurten[:3], "wijken": wijken[:3]}
    out["names_compared"] = compared
    out["name_mismatches"] = mismatches[:10]
    out["features"] = rows
    out["epsg_expected"] = int(epsg)
    if csv:
        c = pd.read_csv(csv, dtype={"code": str})
        out["csv"] = {"rows": len(c), "columns": list(c.columns[:5]) + list(c.columns[-4:]),
                      "x_rd_range": [float(c["x_rd"].min()), float(c["x_rd"].max())],
                      "lon_range": [float(c["lon"].min()), float(c["lon"].max())]}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
