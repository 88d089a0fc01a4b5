#!/usr/bin/env python3
"""Independent check of the OGC API – Features endpoint of a running `mdi-atlas serve`.

    python3 ogc_check.py BASE_URL ATLAS_DIR

BASE_URL is where the server answers; ATLAS_DIR is the atlas it serves, whose areas.fgb (read
with GDAL directly) is the reference. Nothing here uses the project's code.

a. GDAL (pyogrio's bundled 3.12) as the client: the OAPIF driver lists one layer per level,
   reads every feature of every level (paging through all of them by its `next` links), and
   the codes and the MDI fields (score, rank, decile of the last year) are areas.fgb's; the
   buurten again with the open option CRS=EPSG:28992, whose coordinates must be areas.fgb's
   projected by PROJ (pyproj) within 2 m (the server uses the EPSG Helmert shift, PROJ may use
   a finer one).
b. The requirements of OGC API – Features Part 1 (17-069r4) and Part 2 (18-058r1) that the
   conformance classes claimed at /conformance (core, geojson, oas30, crs) impose, checked from
   the specification's text, each named by its requirement id, with requests that must fail.
d. OGC API – Tiles: landing page → tilesets → tileset → tile matrix set (WebMercatorQuad, its
   scale set checked against OGC 17-083r4); tiles at the OGC template are the bytes of
   /tiles/{z}/{x}/{y}.mvt; GDAL's OGCAPI driver on a collection either lists layers with
   features, or (GDAL 3.12) discovers the tileset and lists none, which is recorded.
c. The OpenAPI document at /api validates with openapi-spec-validator (OpenAPI 3.0), and
   names every path the checks above used.

Prints one JSON summary on stdout. Exit status: 0 all checks pass, 1 a check failed (listed
under "failures"), 3 a Python module is missing (listed under "missing_modules").
"""

from __future__ import annotations

import csv
import importlib
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

REQUIRED_MODULES = ["numpy", "pyogrio", "shapely", "pyproj", "openapi_spec_validator"]


def _require_modules():
    missing = []
    for name in REQUIRED_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as e:
            missing.append(f"{name}: {e}")
    if missing:
        print(json.dumps({"ok": False, "missing_modules": missing}, indent=2))
        sys.exit(3)


_require_modules()

import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import pyogrio.raw  # noqa: E402
import shapely  # noqa: E402
import shapely.geometry  # noqa: E402
from openapi_spec_validator import validate  # noqa: E402
from pyproj import Transformer  # noqa: E402

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
CONF = {
    "core": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "geojson": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "oas30": "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "crs": "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
}

failures: list[str] = []
ref_levels: list[str] = []
checked: list[str] = []
used_paths: set[str] = set()


def check(req: str, ok: bool, detail: str = ""):
    checked.append(req)
    if not ok:
        failures.append(f"{req}: {detail}")


def fetch(base: str, path: str, accept: str = "application/json", template: str | None = None):
    """GET base+path: (status, headers, body bytes)."""
    used_paths.add(template or urllib.parse.urlsplit(path).path)
    req = urllib.request.Request(base + path, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def get_json(base, path, template=None, accept="application/json"):
    status, headers, body = fetch(base, path, accept, template)
    try:
        doc = json.loads(body)
    except ValueError:
        doc = None
    return status, headers, doc


def rels(doc):
    return {l.get("rel"): l for l in (doc or {}).get("links", [])}


def reference(atlas: str):
    """Per level, code -> (mdi score, rank, decile of the last year, WKB): the features of
    areas.fgb, plus the codes of the index unit that scores.csv has and areas.fgb has no
    polygon for (features without geometry: nothing is left out)."""
    meta = json.load(open(f"{atlas}/metadata.json"))
    last = max(meta["years"])
    cols = ["code", "level", f"mdi_score_{last}", f"mdi_rank_{last}", f"mdi_decile_{last}"]
    m, _, geoms, fields = pyogrio.raw.read(f"{atlas}/areas.fgb", columns=cols)
    col = {name: fields[i] for i, name in enumerate(m["fields"].tolist())}
    levels = {l["layer"]: l["id"] for l in meta["levels"]}
    ref: dict[str, dict[str, tuple]] = {l["id"]: {} for l in meta["levels"]}
    for k in range(len(geoms)):
        level = levels[col["level"][k]]
        ref[level][col["code"][k]] = tuple(col[c][k] for c in cols[2:]) + (geoms[k],)
    unit = meta["levels"][0]["id"]
    num = lambda v: float(v) if v != "" else None  # noqa: E731
    orphans = {}
    with open(f"{atlas}/scores.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["code"] in ref[unit]:
                continue
            orphans.setdefault(row["code"], (None, None, None, None))
            if int(row["year"]) == last:
                orphans[row["code"]] = (num(row["mdi_score"]), num(row["mdi_rank"]), num(row["mdi_decile"]), None)
    ref[unit].update(orphans)
    return meta, last, ref, len(orphans)


def same(a, b) -> bool:
    """Equal numbers, both missing (None or NaN) counting as equal."""
    def missing(v):
        return v is None or (isinstance(v, float) and v != v)
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


def gdal_reads(base: str, meta, last, ref):
    """a. GDAL's OAPIF driver."""
    url = f"OAPIF:{base}"
    layers = [str(l[0]) for l in pyogrio.list_layers(url)]
    check("gdal: one layer per level", sorted(layers) == sorted(ref), f"{layers}")
    for level, areas in ref.items():
        want = ["code", "mdi_score", "mdi_rank", "mdi_decile", "year"]
        m, _, geoms, fields = pyogrio.raw.read(url, layer=level, columns=want)
        names = m["fields"].tolist()
        col = {name: fields[i] for i, name in enumerate(names)}
        got = {}
        for k in range(len(geoms)):
            got[col["code"][k]] = tuple(col[c][k] for c in want[1:])
        check(f"gdal: every {level} read by paging", set(got) == set(areas),
              f"{len(got)} read, {len(areas)} in areas.fgb; missing {sorted(set(areas) - set(got))[:5]}")
        wrong = [c for c, v in got.items() if c in areas and not all(
            same(v[i], areas[c][i]) for i in range(3))]
        check(f"gdal: {level} MDI fields are areas.fgb's ({last})", not wrong and set(want) <= set(names),
              f"{len(wrong)} differ, e.g. {wrong[:3]}; fields {names}")
        check(f"gdal: {level} year is {last}", all(int(v[3]) == last for v in got.values()), "")
    # EPSG:28992
    level = meta["levels"][0]["id"]
    m, _, geoms, fields = pyogrio.raw.read(url, layer=level, columns=["code"], CRS="EPSG:28992")
    check("gdal: the layer in EPSG:28992", "28992" in str(m.get("crs")), f"crs {m.get('crs')}")
    to_rd = Transformer.from_crs("OGC:CRS84", "EPSG:28992", always_xy=True)
    worst = 0.0
    for k in range(len(fields[0])):
        code = fields[0][k]
        if geoms[k] is None or ref[level][code][3] is None:
            continue
        ours = shapely.from_wkb(geoms[k])
        theirs = shapely.transform(shapely.from_wkb(ref[level][code][3]),
                                   lambda xy: np.column_stack(to_rd.transform(xy[:, 0], xy[:, 1])))
        a, b = shapely.get_coordinates(ours), shapely.get_coordinates(theirs)
        if len(a) != len(b):
            worst = float("inf")
            break
        worst = max(worst, float(abs(a - b).max()))
    check("gdal: EPSG:28992 coordinates are PROJ's within 2 m", worst <= 2.0, f"worst {worst} m")
    return {"layers": layers, "features": {l: len(a) for l, a in ref.items()}, "rd_worst_m": round(worst, 3)}


def spec_checks(base: str, meta, last, ref):
    """b. Part 1 and Part 2 requirements."""
    # /req/core/root-op, root-success
    s, h, landing = get_json(base, "/", template="/")
    r = rels(landing)
    has = lambda *names: any(n in r for n in names)  # noqa: E731
    check("/req/core/root-success", s == 200 and landing is not None and has("service-desc")
          and has("conformance", "http://www.opengis.net/def/rel/ogc/1.0/conformance")
          and has("data", "http://www.opengis.net/def/rel/ogc/1.0/data"),
          f"status {s}, rels {sorted(r)}")
    s, h, _ = fetch(base, "/", accept="text/html")
    check("landing page: a browser gets HTML", s == 200 and h.get("content-type", "").startswith("text/html"), f"{s} {h.get('content-type')}")
    # /req/core/conformance-success
    s, h, conf = get_json(base, "/conformance")
    claimed = set((conf or {}).get("conformsTo", []))
    check("/req/core/conformance-success", s == 200 and set(CONF.values()) <= claimed, f"{s} {sorted(claimed)}")
    # /req/core/fc-md-success, fc-md-links, fc-md-items
    s, h, cols = get_json(base, "/collections")
    ids = [c.get("id") for c in (cols or {}).get("collections", [])]
    check("/req/core/fc-md-success", s == 200 and sorted(ids) == sorted(ref), f"{s} {ids}")
    check("/req/core/fc-md-links", "self" in rels(cols), f"{rels(cols)}")
    for c in (cols or {}).get("collections", []):
        items = [l for l in c.get("links", []) if l.get("rel") == "items"]
        check(f"/req/core/fc-md-items-links ({c.get('id')})",
              any(l.get("type") == "application/geo+json" for l in items), f"{items}")
        bbox = c.get("extent", {}).get("spatial", {}).get("bbox", [[None]])[0]
        check(f"/req/core/fc-md-extent ({c.get('id')})", len(bbox) in (4, 6) and bbox[0] <= bbox[2], f"{bbox}")
        # Part 2: /req/crs/fc-md-crs-list, fc-md-storageCrs
        check(f"/req/crs/fc-md-crs-list ({c.get('id')})", CRS84 in c.get("crs", []) and RD in c.get("crs", []), f"{c.get('crs')}")
        check(f"/req/crs/fc-md-storageCrs ({c.get('id')})", c.get("storageCrs") in c.get("crs", []), f"{c.get('storageCrs')}")
        s, _, one = get_json(base, f"/collections/{c.get('id')}", template="/collections/{collectionId}")
        check(f"/req/core/sfc-md-success ({c.get('id')})", s == 200 and one.get("id") == c.get("id"), f"{s}")

    level = meta["levels"][0]["id"]
    items_path = f"/collections/{level}/items"
    tmpl = "/collections/{collectionId}/items"
    # /req/core/fc-response, fc-limit-response-1, fc-links, fc-numberMatched, fc-numberReturned
    s, h, fc = get_json(base, f"{items_path}?limit=7", template=tmpl, accept="application/geo+json")
    check("/req/geojson/content", s == 200 and h.get("content-type", "").startswith("application/geo+json")
          and fc.get("type") == "FeatureCollection", f"{s} {h.get('content-type')}")
    check("/req/core/fc-limit-response-1", len(fc["features"]) == 7, f"{len(fc['features'])}")
    check("/req/core/fc-numberReturned", fc.get("numberReturned") == len(fc["features"]), "")
    check("/req/core/fc-numberMatched", fc.get("numberMatched") == len(ref[level]), f"{fc.get('numberMatched')} vs {len(ref[level])}")
    check("/req/core/fc-links", "self" in rels(fc) and "next" in rels(fc), f"{sorted(rels(fc))}")
    # Part 2: /req/crs/ogc-crs-header (CRS84 without crs)
    check("/req/crs/ogc-crs-header (default)", h.get("content-crs") == f"<{CRS84}>", f"{h.get('content-crs')}")
    # Paging by next links: every feature once.
    seen = []
    url = f"{items_path}?limit=250"
    pages = 0
    while url and pages < 1000:
        s, _, page = get_json(base, url.replace(base, ""), template=tmpl, accept="application/geo+json")
        seen += [f["id"] for f in page["features"]]
        url = rels(page).get("next", {}).get("href")
        pages += 1
    check("/req/core/fc-next-1 (paging covers every feature once)", sorted(seen) == sorted(ref[level]),
          f"{len(seen)} seen, {len(set(seen))} distinct, {len(ref[level])} expected")
    # /req/core/fc-bbox-response: exactly the features whose geometry intersects the box.
    geoms = {c: shapely.from_wkb(v[3]) for c, v in ref[level].items() if v[3] is not None}
    allb = shapely.total_bounds(list(geoms.values()))
    cx, cy = (allb[0] + allb[2]) / 2, (allb[1] + allb[3]) / 2
    dx, dy = (allb[2] - allb[0]) / 10, (allb[3] - allb[1]) / 10
    box = (cx - dx, cy - dy, cx + dx, cy + dy)
    expected = {c for c, g in geoms.items() if g.intersects(shapely.box(*box))}
    s, _, fc = get_json(base, f"{items_path}?limit=10000&bbox={','.join(map(str, box))}", template=tmpl)
    got = {f["id"] for f in fc["features"]}
    # A polygon touching the box's edge within the 1 cm grid may go either way.
    near = {c for c in expected ^ got if geoms[c].distance(shapely.box(*box).exterior) < 1e-6}
    check("/req/core/fc-bbox-response", s == 200 and expected and (expected ^ got) <= near,
          f"{len(got)} returned, {len(expected)} intersect; differ {sorted(expected ^ got)[:5]}")
    # /req/core/fc-time-response
    year0 = min(meta["years"])
    s, _, fc = get_json(base, f"{items_path}?limit=5&datetime={year0}-06-30", template=tmpl)
    check("/req/core/fc-time-response", s == 200 and all(f["properties"]["year"] == year0 for f in fc["features"]), f"{s}")
    s, _, fc = get_json(base, f"{items_path}?limit=5&datetime=1800-01-01", template=tmpl)
    check("/req/core/fc-time-response (no year: no features)", s == 200 and fc["numberMatched"] == 0, f"{s}")
    # /req/core/f-op: single feature
    code = sorted(ref[level])[0]
    s, h, f = get_json(base, f"{items_path}/{urllib.parse.quote(code)}", template=tmpl + "/{featureId}", accept="application/geo+json")
    check("/req/core/f-success", s == 200 and f.get("type") == "Feature" and f.get("id") == code
          and {"self", "collection"} <= set(rels(f)), f"{s} {f and f.get('id')}")
    # Part 2: /req/crs/crs-action, ogc-crs-header
    s, h, fc = get_json(base, f"{items_path}?limit=20&crs={urllib.parse.quote(RD)}", template=tmpl)
    xs = [p for feat in fc["features"] if feat["geometry"] for p in shapely.get_coordinates(shapely.geometry.shape(feat["geometry"]))]
    # RD New covers the Netherlands with 0 < x < 300 km and 289 km < y < 629 km.
    check("/req/crs/crs-action (RD New metres)", s == 200 and len(xs) > 0
          and all(0 < x < 300_000 and 289_000 < y < 629_000 for x, y in xs), f"{s} {xs[:2]}")
    check("/req/crs/ogc-crs-header (crs=EPSG:28992)", h.get("content-crs") == f"<{RD}>", f"{h.get('content-crs')}")
    # /req/crs/fc-bbox-crs-action: the same box in RD New finds the features it covers.
    to_rd = Transformer.from_crs("OGC:CRS84", "EPSG:28992", always_xy=True)
    rx0, ry0 = to_rd.transform(box[0], box[1])
    rx1, ry1 = to_rd.transform(box[2], box[3])
    s, _, fc = get_json(base, f"{items_path}?limit=10000&bbox={rx0},{ry0},{rx1},{ry1}&bbox-crs={urllib.parse.quote(RD)}", template=tmpl)
    got_rd = {f["id"] for f in fc["features"]}
    check("/req/crs/fc-bbox-crs-action", s == 200 and len(got_rd ^ got) <= max(2, len(got) // 10),
          f"{len(got_rd)} with bbox-crs vs {len(got)}")
    # Cases that must fail.
    for path, want, req in [
        (f"{items_path}?colour=red", 400, "/req/core/query-param-unknown"),
        (f"{items_path}?limit=0", 400, "/req/core/query-param-invalid (limit=0)"),
        (f"{items_path}?limit=ten", 400, "/req/core/query-param-invalid (limit=ten)"),
        (f"{items_path}?bbox=1,2,3", 400, "/req/core/query-param-invalid (bbox of 3)"),
        (f"{items_path}?bbox=5,53,6,52", 400, "/req/core/query-param-invalid (bbox upside down)"),
        (f"{items_path}?datetime=yesterday", 400, "/req/core/query-param-invalid (datetime)"),
        (f"{items_path}?crs={urllib.parse.quote('http://www.opengis.net/def/crs/EPSG/0/2154')}", 400, "/req/crs/crs-action (CRS not offered)"),
        (f"{items_path}?bbox-crs={urllib.parse.quote(RD)}", 400, "/req/crs/fc-bbox-crs (bbox-crs without bbox)"),
        ("/collections/no-such-level", 404, "/req/core/sfc-md-op (unknown collection)"),
        ("/collections/no-such-level/items", 404, "/req/core/fc-op (unknown collection)"),
        (f"{items_path}/NO-SUCH-CODE", 404, "/req/core/f-op (unknown feature)"),
    ]:
        s, h, body = fetch(base, path, "application/json", "-")
        check(req, s == want, f"{path}: {s}, expected {want}")
    return {"bbox_features": len(got), "pages": pages}


def tiles_checks(base: str, atlas: str):
    """d. OGC API – Tiles: the discovery chain, the WebMercatorQuad tiles with the bytes of
    /tiles/{z}/{x}/{y}.mvt, and what GDAL's OGCAPI driver makes of them."""
    s, _, landing = get_json(base, "/?f=json", template="/")
    tl = rels(landing).get("http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", {}).get("href", "")
    s, _, sets = get_json(base, tl.replace(base, ""), template="/tiles")
    check("/req/tilesets-list/tilesets-list-success", s == 200 and len(sets.get("tilesets", [])) == 1, f"{s}")
    ts = sets["tilesets"][0]
    self_href = next((l["href"] for l in ts["links"] if l["rel"] == "self"), "")
    s, _, tileset = get_json(base, self_href.replace(base, ""), template="/tiles/{tileMatrixSetId}")
    check("/req/tileset/tileset-success", s == 200 and tileset.get("dataType") == "vector"
          and tileset.get("tileMatrixSetURI", "").endswith("WebMercatorQuad"), f"{s}")
    template = next((l["href"] for l in tileset["links"] if l["rel"] == "item"), "")
    scheme = next((l["href"] for l in tileset["links"] if l["rel"].endswith("tiling-scheme")), "")
    s, _, tms = get_json(base, scheme.replace(base, ""), template="/tileMatrixSets/{tileMatrixSetId}")
    # OGC 17-083r4 Annex D: WebMercatorQuad level 0 is 559082264.0287178, one 256-px tile.
    m0 = (tms or {}).get("tileMatrices", [{}])[0]
    check("/req/tilematrixset (WebMercatorQuad)", s == 200 and abs(m0.get("scaleDenominator", 0) - 559082264.0287178) < 1e-3
          and m0.get("matrixWidth") == 1 and tms.get("crs", "").endswith("3857"), f"{s} {m0}")
    # Every tile of the limits at two zooms: the OGC tile is /tiles/{z}/{x}/{y}.mvt, byte for byte.
    lim = tileset["tileMatrixSetLimits"]
    compared = 0
    for limit in (lim[0], lim[len(lim) // 2]):
        z = limit["tileMatrix"]
        for row in range(limit["minTileRow"], limit["maxTileRow"] + 1)[:3]:
            for col in range(limit["minTileCol"], limit["maxTileCol"] + 1)[:3]:
                url = template.replace(base, "").replace("{tileMatrix}", z).replace("{tileRow}", str(row)).replace("{tileCol}", str(col))
                a = fetch(base, url, "*/*", "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}")
                b = fetch(base, f"/tiles/{z}/{col}/{row}.mvt", "*/*", "/tiles/{z}/{x}/{y}.mvt")
                check(f"/req/core/tc-success ({z}/{row}/{col})", a[0] == b[0] and a[0] in (200, 204) and a[2] == b[2],
                      f"{a[0]} vs {b[0]}, {len(a[2])} vs {len(b[2])} bytes")
                compared += 1
    s, _, _ = fetch(base, "/tiles/WorldCRS84Quad", "application/json", "-")
    check("/req/core (a tile matrix set not offered: 404)", s == 404, f"{s}")
    # GDAL's OGCAPI driver on a collection: it follows tilesets-vector, the tileset and the tile
    # matrix set. GDAL 3.12 computes the vector tile range from the collection's CRS84 extent
    # without reprojecting it to the tile matrix set's CRS (EPSG:3857), so no tile matrix of
    # WebMercatorQuad falls within the limits and it lists no layer; a GDAL that lists layers
    # must read buurten from them.
    import os
    import tempfile
    log = tempfile.NamedTemporaryFile(suffix=".log", delete=False).name
    os.environ.update({"CPL_DEBUG": "ON", "CPL_LOG": log})
    try:
        layers = [str(l[0]) for l in pyogrio.list_layers(f"OGCAPI:{base}/collections/{next(iter(ref_levels))}")]
    finally:
        os.environ.pop("CPL_DEBUG")
        os.environ.pop("CPL_LOG")
    fetched = open(log).read()
    os.unlink(log)
    discovered = all(p in fetched for p in ("/tiles/WebMercatorQuad", "/tileMatrixSets/WebMercatorQuad"))
    if layers:
        _, _, geoms, fields = pyogrio.raw.read(f"OGCAPI:{base}/collections/{next(iter(ref_levels))}", layer=layers[-1], max_features=50)
        check("gdal OGCAPI tiles: features from the tiles", len(geoms) > 0, f"{layers}")
        gdal_tiles = f"{len(layers)} layers"
    else:
        check("gdal OGCAPI tiles: discovery (tilesets, tileset, tile matrix set fetched)", discovered, fetched[-2000:])
        gdal_tiles = "discovered the tileset; no layers (GDAL 3.12 does not reproject the CRS84 extent for vector tiles)"
    return {"tiles_compared": compared, "gdal_ogcapi_tiles": gdal_tiles}


def openapi_checks(base: str):
    """c. /api."""
    s, h, doc = get_json(base, "/api", template="/api")
    check("/req/oas30/oas-impl (status)", s == 200 and h.get("content-type", "").startswith("application/vnd.oai.openapi+json"), f"{s} {h.get('content-type')}")
    try:
        validate(doc)
        valid = ""
    except Exception as e:  # noqa: BLE001 - any validator error is a failure to report
        valid = str(e)[:500]
    check("/req/oas30/oas-definition-1 (validates as OpenAPI 3.0)", not valid, valid)
    documented = set((doc or {}).get("paths", {}))
    missing = sorted(p for p in used_paths if p != "-" and p not in documented)
    check("/req/oas30/completeness (every path used is documented)", not missing, f"{missing}")


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base, atlas = argv[1].rstrip("/"), argv[2]
    meta, last, ref, orphans = reference(atlas)
    summary = {"gdal_version": pyogrio.__gdal_version_string__, "without_polygon": orphans}
    summary["gdal"] = gdal_reads(base, meta, last, ref)
    summary["spec"] = spec_checks(base, meta, last, ref)
    global ref_levels
    ref_levels = [l["id"] for l in meta["levels"]]
    summary["tiles"] = tiles_checks(base, atlas)
    openapi_checks(base)
    summary["checked"] = len(checked)
    summary["failures"] = failures
    summary["ok"] = not failures
    print(json.dumps(summary, indent=2, default=str))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
