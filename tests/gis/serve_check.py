#!/usr/bin/env python3
"""Independent GIS-client check of a running `mdi-atlas serve`.

    python3 serve_check.py BASE_URL ATLAS_DIR [--quick] [--tiles N] [--keep-gdal-log PATH]

BASE_URL is where the server answers (`http://127.0.0.1:8080`, or a prefix behind a proxy);
ATLAS_DIR is the atlas directory it serves (atlas.pmtiles, atlas.mbtiles, areas.fgb), read
locally as the reference.

Checks, none of which uses the project's own code:

a. /tiles.json validates against tilejson-3.0.0.schema.json (beside this file, written from
   the TileJSON 3.0.0 prose) plus the spec's cross-key MUSTs; its `tiles` URLs are absolute under
   BASE_URL; its `vector_layers` are the archive's (read with the `pmtiles` package).
b. Tiles chosen deterministically across every zoom of the archive directory: the bytes sent
   with `Accept-Encoding: gzip` are the stored bytes; without Accept-Encoding the body is their
   gunzip with no Content-Encoding; ETag/If-None-Match gives 304; each tile decodes with
   mapbox_vector_tile, has only the archive's layers, every `buurten` polygon has an id, and the
   codes (where the zoom's property set has them) and ids name buurten of areas.fgb. A tile far
   outside the atlas answers 204, x >= 2^z answers 400.
c. GDAL (pyogrio) as the GIS client: PMTiles over HTTP (/vsicurl/), MBTiles (/vsicurl/, else a
   downloaded copy) and the MVT driver on the XYZ tile URLs, each finding the buurten expected
   from areas.fgb. What GDAL requested is taken from its debug log (CPL_DEBUG, CPL_LOG).
d. An HTTP Range request on /download/atlas.pmtiles.
e. The glyph-labelled styles (/style.json, both flavours): a symbol layer per level, and for
   each its glyphs URL answers for its text-font, and its source (the style's TileJSON url ->
   the tile URL -> GDAL's MVT driver on that tile tree) holds the label layer with names at the
   label's first zoom.

Prints one JSON summary on stdout. Exit status: 0 all checks pass, 1 a check failed (listed
under "failures"), 3 a Python module is missing (listed under "missing_modules").
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import importlib
import json
import math
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.parse
from collections import Counter, defaultdict

REQUIRED_MODULES = ["numpy", "shapely", "pyogrio", "pmtiles.reader", "mapbox_vector_tile", "jsonschema"]


def _require_modules():
    missing = []
    for name in REQUIRED_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as e:  # also catches a module whose own dependency is missing
            missing.append(f"{name}: {e}")
    if missing:
        print(json.dumps({"ok": False, "missing_modules": missing}, indent=2))
        sys.exit(3)


_require_modules()

import jsonschema  # noqa: E402
import mapbox_vector_tile.decoder as mvt_decoder  # noqa: E402
import numpy as np  # noqa: E402
import pyogrio  # noqa: E402
import shapely  # noqa: E402
from pmtiles.reader import Compression, MmapSource, Reader, all_tiles  # noqa: E402
from pyogrio import raw as ogr_raw  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA_PATH = os.path.join(HERE, "tilejson-3.0.0.schema.json")

# docs/TILES.md, "Property sets per zoom": the polygon layers carry `code` in these sets only.
SETS_WITH_CODE = {"full", "map"}
MVT_POLYGON = 3
EARTH_RADIUS = 6378137.0  # EPSG:3857 sphere
WEB_MERCATOR_HALF = math.pi * EARTH_RADIUS  # 20037508.34…
TOLERANCE_M = 25.0  # slack between source outlines and tile geometry (simplified, snapped)
MAX_LISTED = 12  # failures listed per check before "… and N more"


# --------------------------------------------------------------------------------------------
# Results


class Report:
    def __init__(self):
        self.checks = {}  # name -> "pass" | "FAIL"
        self.failures = []
        self.warnings = []
        self.sections = defaultdict(dict)

    def check(self, name, ok, problem=None, problems=None):
        """Records check `name`; on failure, `problem` (one message) or `problems` (a list)."""
        ok = bool(ok)
        prev = self.checks.get(name)
        self.checks[name] = "pass" if ok and prev != "FAIL" else "FAIL"
        if not ok:
            msgs = problems if problems else [problem or "failed"]
            for m in msgs[:MAX_LISTED]:
                self.failures.append(f"{name}: {m}")
            if len(msgs) > MAX_LISTED:
                self.failures.append(f"{name}: … and {len(msgs) - MAX_LISTED} more")
        return ok

    def warn(self, message):
        self.warnings.append(message)


# --------------------------------------------------------------------------------------------
# HTTP: http.client directly, so that a request carries exactly the headers given (urllib adds
# `Accept-Encoding: identity` on its own, and none of these requests may be decompressed).


class Response:
    def __init__(self, url, status, headers, body):
        self.url, self.status, self.headers, self.body = url, status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())


class Http:
    def __init__(self, base_url, timeout):
        u = urllib.parse.urlsplit(base_url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise ValueError(f"BASE_URL {base_url!r}: expected http://host[:port][/prefix]")
        self.base = base_url.rstrip("/")
        self.scheme, self.netloc = u.scheme, u.netloc
        self.host, self.port = u.hostname, u.port
        self.prefix = u.path.rstrip("/")
        self.timeout = timeout
        self.conn = None

    def _connect(self):
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        self.conn = cls(self.host, self.port, timeout=self.timeout)

    def url(self, path):
        return self.base + path

    def request(self, path, headers=(), method="GET", absolute_path=False):
        """`path` below BASE_URL (or the full path when `absolute_path`); `headers` exactly as sent
        (no Accept-Encoding unless given)."""
        target = path if absolute_path else self.prefix + path
        for attempt in (0, 1):
            if self.conn is None:
                self._connect()
            try:
                self.conn.putrequest(method, target, skip_accept_encoding=True)
                for k, v in headers:
                    self.conn.putheader(k, v)
                self.conn.endheaders()
                r = self.conn.getresponse()
                body = r.read()
                hdrs = {}
                for k, v in r.getheaders():
                    k = k.lower()
                    hdrs[k] = f"{hdrs[k]}, {v}" if k in hdrs else v
                if r.will_close:
                    self.conn.close()
                    self.conn = None
                return Response(f"{self.scheme}://{self.netloc}{target}", r.status, hdrs, body)
            except (http.client.HTTPException, ConnectionError, OSError):
                self.conn.close()
                self.conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Reference data: the archive and areas.fgb


class Archive:
    """atlas.pmtiles read with the `pmtiles` package."""

    def __init__(self, path):
        self.path = path
        self._f = open(path, "rb")
        self.get_bytes = MmapSource(self._f)
        self.reader = Reader(self.get_bytes)
        self.header = self.reader.header()
        self.metadata = self.reader.metadata()
        # Directory order (tile id order: by zoom, then along the Hilbert curve).
        self.coords = [zxy for zxy, _ in all_tiles(self.get_bytes)]
        self.coord_set = set(self.coords)
        self.gzip = self.header["tile_compression"] == Compression.GZIP
        self.min_zoom = self.header["min_zoom"]
        self.max_zoom = self.header["max_zoom"]
        self.bounds = [self.header[k] / 1e7 for k in ("min_lon_e7", "min_lat_e7", "max_lon_e7", "max_lat_e7")]
        self.layer_ids = [layer["id"] for layer in self.metadata.get("vector_layers", [])]
        mdi = self.metadata.get("mdi", {})
        self.levels = mdi.get("levels", [])
        self.props_by_zoom = {int(z): s for z, s in mdi.get("properties_by_zoom", {}).items()}

    def tile(self, z, x, y):
        return self.reader.get(z, x, y)

    def zooms_with_code(self):
        return sorted(z for z, s in self.props_by_zoom.items() if s in SETS_WITH_CODE)


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def feature_id(code: str, levels) -> int:
    """The MVT feature id of an area code, from the scheme written in docs/TILES.md."""
    for i, level in enumerate(levels):
        prefix = level.get("code_prefix") or ""
        rest = code[len(prefix):]
        if prefix and code.startswith(prefix) and 1 <= len(rest) <= 8 and rest.isascii() and rest.isdigit():
            return i * 10**8 + int(rest)
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    if 1 <= len(code) <= 10 and all(c in alphabet for c in code):
        v = 0
        for c in code:
            v = v * 37 + alphabet.index(c) + 1
        return 2**33 + v
    return 2**33 + 37**10 + fnv1a64(code.encode("utf-8")) % (2**53 - 2**33 - 37**10)


def to_mercator(lon, lat):
    lon = np.asarray(lon, dtype=float)
    lat = np.clip(np.asarray(lat, dtype=float), -85.05112878, 85.05112878)
    x = EARTH_RADIUS * np.radians(lon)
    y = EARTH_RADIUS * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return x, y


class Areas:
    """The buurten of areas.fgb: codes, ids, collapsed flags and Web Mercator bounding boxes."""

    def __init__(self, path, buurt_layer, levels):
        info = pyogrio.read_info(path)
        fields = list(info["fields"])
        cols = ["code", "level"] + (["collapsed"] if "collapsed" in fields else [])
        _, _, wkb, values = ogr_raw.read(path, columns=cols)
        code, level = values[0], values[1]
        collapsed = values[2].astype(bool) if "collapsed" in fields else np.zeros(len(code), bool)
        is_buurt = level == buurt_layer
        self.crs = info["crs"]
        self.codes = code[is_buurt].astype(str)
        self.collapsed = collapsed[is_buurt]
        # GEOS refuses some source rings (e.g. two-point rings of collapsed areas): those become
        # None (NaN bounds) here and are counted, by level, for the report.
        all_geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        unparsable = np.array([g is None for g in all_geoms]) & np.array([w is not None for w in wkb])
        self.unparsable = {
            "count": int(unparsable.sum()),
            "collapsed": int((unparsable & collapsed).sum()),
            "by_level": dict(Counter(level[unparsable].tolist())),
            "codes": short(code[unparsable].astype(str).tolist(), 5),
        }
        geoms = all_geoms[is_buurt]
        b = shapely.bounds(geoms)  # NaN for an empty or unparsable geometry
        x0, y0 = to_mercator(b[:, 0], b[:, 1])
        x1, y1 = to_mercator(b[:, 2], b[:, 3])
        self.bounds3857 = np.column_stack([x0, y0, x1, y1])
        self.code_set = set(self.codes.tolist())
        self.with_polygon = set(self.codes[~self.collapsed].tolist())
        self.id_to_code = {feature_id(c, levels): c for c in self.code_set}
        self.n_levels = Counter(level.tolist())

    def inside(self, bbox, shrink=0.0):
        """Codes (with a polygon) whose bounding box lies inside `bbox` shrunk by `shrink`."""
        b = self.bounds3857
        m = (~self.collapsed & np.all(np.isfinite(b), axis=1)
             & (b[:, 0] >= bbox[0] + shrink) & (b[:, 1] >= bbox[1] + shrink)
             & (b[:, 2] <= bbox[2] - shrink) & (b[:, 3] <= bbox[3] - shrink))
        return set(self.codes[m].tolist())

    def touching(self, bbox, grow=0.0):
        """Codes whose bounding box intersects `bbox` grown by `grow`."""
        b = self.bounds3857
        m = (np.all(np.isfinite(b), axis=1)
             & (b[:, 2] >= bbox[0] - grow) & (b[:, 3] >= bbox[1] - grow)
             & (b[:, 0] <= bbox[2] + grow) & (b[:, 1] <= bbox[3] + grow))
        return set(self.codes[m].tolist())


def sample(seq, k):
    """`k` items of `seq` at even steps, first item included; all of them if k >= len."""
    n = len(seq)
    if k >= n:
        return list(seq)
    return [seq[(j * n) // k] for j in range(k)]


def choose_tiles(coords, target):
    """About `target` tiles spread over every zoom: each zoom gets an equal share of what is
    left (all its tiles if it has fewer), picked at even steps along the directory order."""
    by_zoom = defaultdict(list)
    for c in coords:
        by_zoom[c[0]].append(c)
    zooms = sorted(by_zoom)
    chosen, left = [], target
    for i, z in enumerate(zooms):
        share = math.ceil(left / (len(zooms) - i))
        picks = sample(by_zoom[z], share)
        chosen += picks
        left = max(0, left - len(picks))
    return chosen


def short(items, n=8):
    items = sorted(items)
    return items if len(items) <= n else items[:n] + [f"… {len(items) - n} more"]


# --------------------------------------------------------------------------------------------
# a. TileJSON


def check_tilejson(rep, web, archive, tiles_probe):
    sec = rep.sections["tilejson"]
    url = web.url("/tiles.json")
    r = web.request("/tiles.json")
    if not rep.check("tilejson.status", r.status == 200, f"GET {url}: status {r.status}, expected 200"):
        return
    try:
        doc = json.loads(r.body)
    except ValueError as e:
        rep.check("tilejson.json", False, f"GET {url}: body is not JSON ({e})")
        return
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    rep.check("tilejson.schema", not errors,
              problems=[f"{url}: at /{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors])

    # Cross-key MUSTs of the spec that JSON Schema cannot state.
    problems = []
    minz, maxz = doc.get("minzoom", 0), doc.get("maxzoom", 30)
    if isinstance(minz, int) and isinstance(maxz, int) and minz > maxz:
        problems.append(f"3.12/3.13: minzoom {minz} > maxzoom {maxz}")
    b = doc.get("bounds")
    if isinstance(b, list) and len(b) == 4 and all(isinstance(v, (int, float)) for v in b):
        if b[0] > b[2]:
            problems.append(f"3.5: bounds {b} wrap the antimeridian (left > right)")
        if b[1] > b[3]:
            problems.append(f"3.5: bounds {b}: bottom > top")
        c = doc.get("center")
        if isinstance(c, list) and len(c) == 3:
            if not (b[0] <= c[0] <= b[2] and b[1] <= c[1] <= b[3]):
                problems.append(f"3.6: center {c[:2]} outside bounds {b}")
    c = doc.get("center")
    if isinstance(c, list) and len(c) == 3 and not (minz <= c[2] <= maxz):
        problems.append(f"3.6: center zoom {c[2]} not within minzoom {minz}..maxzoom {maxz}")
    for layer in doc.get("vector_layers", []) if isinstance(doc.get("vector_layers"), list) else []:
        if isinstance(layer, dict):
            if isinstance(layer.get("minzoom"), int) and layer["minzoom"] < minz:
                problems.append(f"3.3.4: layer {layer.get('id')} minzoom {layer['minzoom']} < tileset minzoom {minz}")
            if isinstance(layer.get("maxzoom"), int) and layer["maxzoom"] > maxz:
                problems.append(f"3.3.4: layer {layer.get('id')} maxzoom {layer['maxzoom']} > tileset maxzoom {maxz}")
    rep.check("tilejson.spec_cross_key_rules", not problems, problems=[f"{url}: {p}" for p in problems])

    # `tiles`: absolute, under BASE_URL, and working.
    tiles = doc.get("tiles") if isinstance(doc.get("tiles"), list) else []
    problems = []
    for t in tiles:
        u = urllib.parse.urlsplit(str(t))
        if u.scheme not in ("http", "https") or not u.netloc:
            problems.append(f"tiles entry {t!r} is not an absolute http(s) URL")
        if not str(t).startswith(web.base + "/"):
            problems.append(f"tiles entry {t!r} does not start with BASE_URL {web.base}/")
        if not all(p in str(t) for p in ("{z}", "{x}", "{y}")):
            problems.append(f"tiles entry {t!r} lacks one of {{z}}, {{x}}, {{y}}")
    rep.check("tilejson.tiles_urls", tiles and not problems, problems=problems or [f"{url}: no tiles entries"])
    sec["tiles"] = tiles
    if tiles and tiles_probe and not problems:
        z, x, y = tiles_probe
        turl = tiles[0].replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        tr = web.request(urllib.parse.urlsplit(turl).path, [("Accept-Encoding", "gzip")], absolute_path=True)
        rep.check("tilejson.tiles_template_fetch", tr.status == 200 and tr.body == archive.tile(z, x, y),
                  f"GET {turl} (from the tiles template): status {tr.status}, {len(tr.body)} bytes; "
                  f"expected 200 and the archive's {len(archive.tile(z, x, y))} stored bytes")

    # vector_layers against the archive's metadata.
    layers = doc.get("vector_layers") if isinstance(doc.get("vector_layers"), list) else []
    ids = [layer.get("id") for layer in layers if isinstance(layer, dict)]
    sec["vector_layer_ids"] = ids
    rep.check("tilejson.vector_layer_ids", ids == archive.layer_ids,
              f"{url}: vector_layers ids {ids}, archive {archive.path} has {archive.layer_ids}")
    arch_fields = {layer["id"]: layer.get("fields") for layer in archive.metadata.get("vector_layers", [])}
    bad = [i for i in ids if i in arch_fields and (next(l for l in layers if l.get("id") == i).get("fields") != arch_fields[i])]
    rep.check("tilejson.vector_layer_fields", not bad, f"{url}: fields of layers {bad} differ from the archive's")
    zooms_ok = doc.get("minzoom") == archive.min_zoom and doc.get("maxzoom") == archive.max_zoom
    rep.check("tilejson.zooms", zooms_ok,
              f"{url}: minzoom/maxzoom {doc.get('minzoom')}/{doc.get('maxzoom')}, archive header {archive.min_zoom}/{archive.max_zoom}")
    b = doc.get("bounds")
    bounds_ok = isinstance(b, list) and len(b) == 4 and all(abs(float(p) - q) < 1e-6 for p, q in zip(b, archive.bounds))
    rep.check("tilejson.bounds", bounds_ok, f"{url}: bounds {b}, archive header {archive.bounds}")
    sec.update(minzoom=doc.get("minzoom"), maxzoom=doc.get("maxzoom"), bounds=b, center=doc.get("center"),
               extra_keys=sorted(k for k in doc if k not in schema["properties"]))

    # The tippecanoe/GDAL-style metadata beside the tiles (what GDAL's MVT driver reads).
    murl = web.url("/tiles/metadata.json")
    mr = web.request("/tiles/metadata.json")
    ok = mr.status == 200
    try:
        m = json.loads(mr.body) if ok else {}
        inner = json.loads(m.get("json", "{}"))
    except ValueError as e:
        ok, m, inner = False, {}, {}
        rep.check("metadata_json.parse", False, f"GET {murl}: {e}")
    mids = [layer.get("id") for layer in inner.get("vector_layers", [])]
    rep.check("metadata_json.vector_layers", ok and mids == archive.layer_ids,
              f"GET {murl}: status {mr.status}, `json` vector_layers ids {mids}, archive has {archive.layer_ids}")
    rep.sections["metadata_json"] = {"keys": sorted(m), "json_keys": sorted(inner)}
    if "tilestats" in archive.metadata:
        rep.check("metadata_json.tilestats", ok and inner.get("tilestats") == archive.metadata["tilestats"],
                  f"GET {murl}: the `json` string lacks the archive's `tilestats`, so GDAL's MVT driver reports "
                  "every layer's geometry type as Unknown (it takes them from tilestats.layers[].geometry)")


# --------------------------------------------------------------------------------------------
# b. Tiles


def check_tiles(rep, web, archive, areas, targets):
    sec = rep.sections["tiles"]
    buurt_layer = archive.levels[0]["layer"] if archive.levels else "buurten"
    label_layer = archive.levels[0].get("labels") if archive.levels else None
    chosen = choose_tiles(archive.coords, targets)
    per_zoom = Counter(z for z, _, _ in chosen)
    sec["sampled"] = len(chosen)
    sec["sampled_per_zoom"] = {str(z): per_zoom[z] for z in sorted(per_zoom)}
    sec["archive_tiles"] = len(archive.coords)
    fail = defaultdict(list)
    layers_seen = set()
    codes_seen, ids_seen, features = set(), set(), 0
    bytes_gzip = bytes_plain = 0
    for (z, x, y) in chosen:
        path = f"/tiles/{z}/{x}/{y}.mvt"
        url = web.url(path)
        stored = archive.tile(z, x, y)
        plain_expected = gzip.decompress(stored) if archive.gzip else stored

        r = web.request(path, [("Accept-Encoding", "gzip")])
        if r.status != 200:
            fail["tiles.gzip_bytes"].append(f"GET {url} (Accept-Encoding: gzip): status {r.status}, expected 200")
            continue
        if r.body != stored:
            fail["tiles.gzip_bytes"].append(f"GET {url} (Accept-Encoding: gzip): {len(r.body)} bytes differ from "
                                            f"the archive's {len(stored)} stored bytes")
        want_ce = "gzip" if archive.gzip else None
        if r.header("content-encoding") != want_ce:
            fail["tiles.gzip_bytes"].append(f"GET {url} (Accept-Encoding: gzip): Content-Encoding "
                                            f"{r.header('content-encoding')!r}, expected {want_ce!r}")
        if r.header("content-type") != "application/vnd.mapbox-vector-tile":
            fail["tiles.content_type"].append(f"GET {url}: Content-Type {r.header('content-type')!r}, "
                                              "expected 'application/vnd.mapbox-vector-tile'")
        if "accept-encoding" not in (r.header("vary") or "").lower():
            fail["tiles.vary"].append(f"GET {url}: Vary {r.header('vary')!r} lacks Accept-Encoding, "
                                      "though the body depends on it")
        bytes_gzip += len(r.body)
        etag_gz = r.header("etag")

        p = web.request(path)  # no Accept-Encoding header at all
        if p.status != 200 or p.body != plain_expected or p.header("content-encoding") is not None:
            fail["tiles.identity_bytes"].append(
                f"GET {url} (no Accept-Encoding): status {p.status}, Content-Encoding {p.header('content-encoding')!r}, "
                f"{len(p.body)} bytes, equal to gunzip of stored: {p.body == plain_expected}; expected 200, "
                f"no Content-Encoding, the {len(plain_expected)} decompressed bytes")
        bytes_plain += len(p.body)
        etag_id = p.header("etag")

        # Conditional requests, per representation.
        if not etag_gz or not etag_id:
            fail["tiles.etag_304"].append(f"GET {url}: no ETag (gzip: {etag_gz!r}, identity: {etag_id!r})")
        else:
            if archive.gzip and etag_gz == etag_id:
                fail["tiles.etag_304"].append(f"GET {url}: gzip and identity bodies share ETag {etag_gz}; "
                                              "a strong ETag must differ between representations")
            for tag, hdrs, what in ((etag_gz, [("Accept-Encoding", "gzip")], "gzip"), (etag_id, [], "identity")):
                c = web.request(path, hdrs + [("If-None-Match", tag)])
                if c.status != 304 or c.body:
                    fail["tiles.etag_304"].append(f"GET {url} ({what}) If-None-Match: {tag}: status {c.status}, "
                                                  f"{len(c.body)} body bytes; expected 304 without a body")

        # Decode with mapbox_vector_tile (its protobuf message, to see whether `id` is set).
        try:
            td = mvt_decoder.TileData(r.body if not archive.gzip else gzip.decompress(r.body),
                                      default_options={"geojson": False})
            msg = td.get_message()
        except Exception as e:  # any decode error is a finding
            fail["tiles.decode"].append(f"{url}: mapbox_vector_tile cannot decode it: {type(e).__name__}: {e}")
            continue
        names = [layer.name for layer in td.tile.layers]
        layers_seen.update(names)
        unknown = [n for n in names if n not in archive.layer_ids]
        if unknown or not names or len(set(names)) != len(names):
            fail["tiles.layer_names"].append(f"{url}: layers {names}; expected distinct names among {archive.layer_ids}")
        zoom_set = archive.props_by_zoom.get(z)
        # Problems are gathered per tile and kind, then reported once per tile with examples.
        bad = defaultdict(list)
        for layer in td.tile.layers:
            if layer.name not in (buurt_layer, label_layer):
                continue
            for i, f in enumerate(layer.features):
                features += 1
                if not f.HasField("id"):
                    if layer.name == buurt_layer and f.type == MVT_POLYGON:
                        bad["no_id"].append(f"#{i}")
                    continue
                ids_seen.add(f.id)
                if f.id not in areas.id_to_code:
                    bad[f"unknown_id:{layer.name}"].append(str(f.id))
        for i, feat in enumerate(msg.get(buurt_layer, {}).get("features", [])):
            code = feat["properties"].get("code")
            if feat["type"] != MVT_POLYGON:
                bad["not_polygon"].append(f"#{i} (type {feat['type']})")
            elif zoom_set in SETS_WITH_CODE:
                if code is None:
                    bad["no_code"].append(f"#{i}")
                elif code not in areas.code_set:
                    bad["unknown_code"].append(code)
                elif feat["id"] != feature_id(code, archive.levels):
                    bad["id_mismatch"].append(f"{code}: id {feat['id']}, scheme {feature_id(code, archive.levels)}")
                else:
                    codes_seen.add(code)
            elif code is not None:
                bad["code_in_minimal"].append(code)
        n_buurt = len(msg.get(buurt_layer, {}).get("features", []))
        texts = {
            "no_id": ("tiles.buurt_ids", f"{buurt_layer} polygon features without an id"),
            "not_polygon": ("tiles.buurt_codes", f"{buurt_layer} features that are not polygons (MVT type 3)"),
            "no_code": ("tiles.buurt_codes", f"{buurt_layer} features without `code`, though zoom {z} has set {zoom_set!r}"),
            "unknown_code": ("tiles.buurt_codes", f"`code` values that are no buurt of areas.fgb"),
            "id_mismatch": ("tiles.buurt_codes", "features whose id is not the id scheme's (docs/TILES.md) for their code"),
            "code_in_minimal": ("tiles.buurt_codes", f"features with `code`, though zoom {z} has set {zoom_set!r} without it"),
        }
        for kind, items in bad.items():
            if kind.startswith("unknown_id:"):
                check, what = "tiles.buurt_ids", f"{kind.split(':', 1)[1]} ids that name no buurt of areas.fgb (docs/TILES.md id scheme)"
            else:
                check, what = texts[kind]
            fail[check].append(f"{url}: {len(items)} {what} (the tile has {n_buurt} {buurt_layer} features), "
                               f"e.g. {short(items, 4)}")

    for name in ("tiles.gzip_bytes", "tiles.identity_bytes", "tiles.content_type", "tiles.vary", "tiles.etag_304",
                 "tiles.decode", "tiles.layer_names", "tiles.buurt_ids", "tiles.buurt_codes"):
        rep.check(name, not fail[name], problems=fail[name])
    missing = [i for i in archive.layer_ids if i not in layers_seen]
    rep.check("tiles.all_layers_seen", not missing, f"layers {missing} of the archive occur in none of the {len(chosen)} tiles")
    rep.check("tiles.count", len(chosen) >= min(50, len(archive.coords)),
              f"only {len(chosen)} tiles checked (archive has {len(archive.coords)}); expected at least 50")
    sec.update(bytes_gzip=bytes_gzip, bytes_identity=bytes_plain, buurt_features=features,
               distinct_buurt_codes=len(codes_seen), distinct_buurt_ids=len(ids_seen))

    # The `.pbf` spelling of the same tile (GDAL's default extension).
    z, x, y = chosen[0]
    a = web.request(f"/tiles/{z}/{x}/{y}.pbf", [("Accept-Encoding", "gzip")])
    rep.check("tiles.pbf_extension", a.status == 200 and a.body == archive.tile(z, x, y),
              f"GET {web.url(f'/tiles/{z}/{x}/{y}.pbf')}: status {a.status}; expected 200 and the stored bytes")

    # 204 far outside the atlas, at the lowest and highest zoom.
    for z in sorted({archive.min_zoom, archive.max_zoom}):
        n = 1 << z
        far = next(((z, x, y) for x, y in ((0, 0), (n - 1, n - 1), (0, n - 1)) if (z, x, y) not in archive.coord_set), None)
        if far is None:
            continue
        path = f"/tiles/{far[0]}/{far[1]}/{far[2]}.mvt"
        e = web.request(path, [("Accept-Encoding", "gzip")])
        rep.check("tiles.empty_204", e.status == 204 and not e.body,
                  f"GET {web.url(path)} (no tile there, zoom within {archive.min_zoom}–{archive.max_zoom}): "
                  f"status {e.status}, {len(e.body)} bytes; expected 204 without a body")
    # 400 outside the tile grid.
    z = archive.min_zoom
    n = 1 << z
    for path in (f"/tiles/{z}/{n}/0.mvt", f"/tiles/{z}/0/{n}.mvt"):
        e = web.request(path)
        rep.check("tiles.out_of_range_400", e.status == 400,
                  f"GET {web.url(path)} (x or y = 2^{z} = {n}): status {e.status}, expected 400")
    # For the record: a zoom beyond the archive (overzoom) and below it.
    info = {}
    for zz in (archive.max_zoom + 1, archive.min_zoom - 1):
        if 0 <= zz <= 30:
            cx, cy = lonlat_to_tile((archive.bounds[0] + archive.bounds[2]) / 2, (archive.bounds[1] + archive.bounds[3]) / 2, zz)
            e = web.request(f"/tiles/{zz}/{cx}/{cy}.mvt")
            info[f"/tiles/{zz}/{cx}/{cy}.mvt"] = e.status
    sec["outside_zoom_range_status"] = info


def lonlat_to_tile(lon, lat, z):
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(lat)
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


# --------------------------------------------------------------------------------------------
# c. GDAL


class GdalLog:
    """GDAL's debug output, sent to a file with CPL_LOG, read back per phase."""

    FETCH = re.compile(r"^HTTP: Fetch\((.*)\)\s*$")
    STATUS = re.compile(r"^CURL_INFO_HEADER_IN: HTTP/[\d.]+ (\d{3})")
    SIZE = re.compile(r"^VSICURL: GetFileSize\((.*)\)=(-?\d+)\s+response_code=(\d+)")
    RANGE = re.compile(r"^VSICURL: Downloading (\d+)-(\d+) \((.*)\)")
    GOT = re.compile(r"^VSICURL: Got response_code=(\d+)")

    def __init__(self, path):
        self.path = path
        self.pos = 0

    def mark(self):
        self.pos = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def since_mark(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.pos)
            return f.read().splitlines()

    def requests(self, lines, base):
        """What GDAL asked the server for: [(method, path, range or None, status or None)]."""
        out, pending = [], None
        strip = lambda u: u[len(base):] if u.startswith(base) else u  # noqa: E731
        for line in lines:
            m = self.FETCH.match(line)
            if m:
                pending = ["GET", strip(m.group(1)), None, None]
                out.append(pending)
                continue
            m = self.STATUS.match(line)
            if m and pending is not None and pending[3] is None:
                pending[3] = int(m.group(1))
                continue
            m = self.SIZE.match(line)
            if m:
                out.append(["HEAD", strip(m.group(1)), None, int(m.group(3))])
                pending = None
                continue
            m = self.RANGE.match(line)
            if m:
                pending = ["GET", strip(m.group(3)), f"bytes={m.group(1)}-{m.group(2)}", None]
                out.append(pending)
                continue
            m = self.GOT.match(line)
            if m and pending is not None and pending[3] is None:
                pending[3] = int(m.group(1))
        return [tuple(r) for r in out]


def summarize_requests(reqs, limit=30):
    counts = Counter(f"{m} {p}" + (f" [{r}]" if r else "") + f" -> {s if s is not None else '?'}" for m, p, r, s in reqs)
    lines = [f"{k} x{v}" if v > 1 else k for k, v in counts.items()]
    return lines if len(lines) <= limit else lines[:limit] + [f"… {len(lines) - limit} more distinct requests"]


def gdal_read_codes(conn, layer, **kwargs):
    """The `code` values of a layer read through GDAL, and pyogrio's layer metadata (crs,
    geometry_type). Keyword arguments are bbox= or dataset open options."""
    meta, _, _, fields = ogr_raw.read(conn, layer=layer, columns=["code"], **kwargs)
    return set(v for v in fields[0].tolist() if v is not None), meta


def gdal_tile_range(bounds_lonlat, z):
    """The tiles GDAL's MVT driver walks at zoom `z` for an extent: floor of the minimum, ceil of
    the maximum (so one column/row more than the data when it does not end on a tile edge)."""
    x0, y0 = to_mercator(bounds_lonlat[0], bounds_lonlat[1])
    x1, y1 = to_mercator(bounds_lonlat[2], bounds_lonlat[3])
    dim = 2 * WEB_MERCATOR_HALF / (1 << z)
    n = (1 << z) - 1
    minx = max(0, math.floor((float(x0) + WEB_MERCATOR_HALF) / dim))
    miny = max(0, math.floor((WEB_MERCATOR_HALF - float(y1)) / dim))
    maxx = min(math.ceil((float(x1) + WEB_MERCATOR_HALF) / dim), n)
    maxy = min(math.ceil((WEB_MERCATOR_HALF - float(y0)) / dim), n)
    return minx, miny, maxx, maxy


def check_gdal(rep, web, archive, areas, log, quick):
    sec = rep.sections["gdal"]
    sec["gdal_version"] = pyogrio.__gdal_version_string__
    sec["config_options"] = GDAL_OPTIONS
    buurt_layer = archive.levels[0]["layer"] if archive.levels else "buurten"
    code_zooms = archive.zooms_with_code()
    base = web.base

    # The query box for the max-zoom reads: around the buurt nearest the atlas's centre.
    cx, cy = to_mercator((archive.bounds[0] + archive.bounds[2]) / 2, (archive.bounds[1] + archive.bounds[3]) / 2)
    b = areas.bounds3857
    ok = ~areas.collapsed & np.all(np.isfinite(b), axis=1)
    idx = np.flatnonzero(ok)
    mid = np.column_stack([(b[idx, 0] + b[idx, 2]) / 2, (b[idx, 1] + b[idx, 3]) / 2])
    pick = idx[np.argmin((mid[:, 0] - cx) ** 2 + (mid[:, 1] - cy) ** 2)]
    for margin in (500.0, 1000.0, 2000.0, 4000.0):  # grow until a few buurten lie wholly inside
        bbox = (float(b[pick, 0] - margin), float(b[pick, 1] - margin),
                float(b[pick, 2] + margin), float(b[pick, 3] + margin))
        expected = areas.inside(bbox, shrink=TOLERANCE_M)
        if len(expected) >= 5:
            break
    allowed = areas.touching(bbox, grow=TOLERANCE_M)
    sec["bbox_query"] = {"around": str(areas.codes[pick]), "bbox_epsg3857": [round(v, 1) for v in bbox],
                         "expected_inside": len(expected), "allowed_touching": len(allowed)}

    def judge(name, found, where, must=expected, may=allowed, exact=False):
        missing = must - found
        extra = (found - may) if not exact else (found - must)
        problems = []
        if missing:
            problems.append(f"{where}: {len(missing)} expected buurten not found: {short(missing)}")
        if extra:
            problems.append(f"{where}: {len(extra)} codes found that are not expected there: {short(extra)}")
        if not found:
            problems.append(f"{where}: no buurten read")
        return rep.check(name, not problems, problems=problems)

    # (i) PMTiles over HTTP.
    pm = sec["pmtiles"] = {}
    conn = f"/vsicurl/{base}/download/atlas.pmtiles"
    pm["connection"] = conn
    log.mark()
    t = time.time()
    try:
        layers = pyogrio.list_layers(conn)
        names = [str(n) for n, _ in layers]
        pm["layers"] = {str(n): str(g) for n, g in layers}
        rep.check("gdal.pmtiles.layers", sorted(names) == sorted(archive.layer_ids),
                  f"{conn}: GDAL lists layers {names}, the archive has {archive.layer_ids}")
        opts = {"ZOOM_LEVEL": str(archive.max_zoom)}
        found, meta = gdal_read_codes(conn, buurt_layer, bbox=bbox, **opts)
        pm["crs"] = meta["crs"]
        rep.check("gdal.pmtiles.crs", meta["crs"] == "EPSG:3857", f"{conn}: CRS {meta['crs']}, expected EPSG:3857")
        pm["bbox_read"] = {"open_options": opts, "bbox": "see bbox_query", "codes_found": len(found)}
        judge("gdal.pmtiles.bbox_maxzoom", found, f"{conn} ZOOM_LEVEL={archive.max_zoom} bbox {sec['bbox_query']['bbox_epsg3857']}")
        pm_found = found
        if code_zooms:
            zlow = code_zooms[0]
            found, _ = gdal_read_codes(conn, buurt_layer, ZOOM_LEVEL=str(zlow))
            pm["low_zoom_read"] = {"open_options": {"ZOOM_LEVEL": str(zlow)}, "codes_found": len(found),
                                   "expected": len(areas.with_polygon)}
            judge("gdal.pmtiles.all_buurten_low_zoom", found, f"{conn} ZOOM_LEVEL={zlow} (whole layer)",
                  must=areas.with_polygon, may=areas.with_polygon, exact=True)
    except Exception as e:
        pm_found = None
        rep.check("gdal.pmtiles.open", False, f"{conn}: {type(e).__name__}: {e}")
    pm["seconds"] = round(time.time() - t, 2)
    pm["requests"] = summarize_requests(log.requests(log.since_mark(), base))

    # (ii) MBTiles: over HTTP first, else a downloaded copy.
    mb = sec["mbtiles"] = {}
    remote = f"/vsicurl/{base}/download/atlas.mbtiles"
    tmp = None
    log.mark()
    t = time.time()
    attempts = []
    found = None
    for mode in ("vsicurl", "download"):
        try:
            if mode == "vsicurl":
                conn = remote
            else:
                fd, tmp = tempfile.mkstemp(suffix=".mbtiles")
                r = web.request("/download/atlas.mbtiles")
                if r.status != 200:
                    raise RuntimeError(f"GET {web.url('/download/atlas.mbtiles')}: status {r.status}")
                with os.fdopen(fd, "wb") as f:
                    f.write(r.body)
                conn = tmp
            names = [str(n) for n, _ in pyogrio.list_layers(conn)]
            if sorted(names) != sorted(archive.layer_ids):
                raise RuntimeError(f"layers {names}, expected {archive.layer_ids}")
            found, _ = gdal_read_codes(conn, buurt_layer, bbox=bbox, ZOOM_LEVEL=str(archive.max_zoom))
            attempts.append({"mode": mode, "connection": conn, "ok": True})
            mb["mode"] = mode
            mb["connection"] = conn if mode == "vsicurl" else f"{conn} (downloaded from {web.url('/download/atlas.mbtiles')})"
            mb["open_options"] = {"ZOOM_LEVEL": str(archive.max_zoom)}
            break
        except Exception as e:
            attempts.append({"mode": mode, "connection": conn if mode == "vsicurl" else "download", "ok": False,
                             "error": f"{type(e).__name__}: {e}"})
    mb["attempts"] = attempts
    if found is None:
        rep.check("gdal.mbtiles.open", False, f"neither {remote} nor a downloaded copy opened: {attempts}")
    else:
        judge("gdal.mbtiles.bbox_maxzoom", found, f"{mb['connection']} ZOOM_LEVEL={archive.max_zoom} bbox")
        if pm_found is not None:
            rep.check("gdal.mbtiles.same_as_pmtiles", found == pm_found,
                      f"MBTiles and PMTiles bbox reads differ: only MBTiles {short(found - pm_found)}, "
                      f"only PMTiles {short(pm_found - found)}")
        mb["codes_found"] = len(found)
    if tmp:
        os.unlink(tmp)
    mb["seconds"] = round(time.time() - t, 2)
    mb["requests"] = summarize_requests(log.requests(log.since_mark(), base))

    # (iii) The MVT driver on the XYZ URLs.
    mv = sec["mvt"] = {}
    limit = 9 if quick else 16
    mr = web.request("/tiles/metadata.json")
    try:
        mbounds = [float(v) for v in json.loads(mr.body)["bounds"].split(",")]
    except Exception:
        mbounds = archive.bounds
    zoom, rng = None, None
    for z in code_zooms:
        r = gdal_tile_range(mbounds, z)
        if (r[2] - r[0] + 1) * (r[3] - r[1] + 1) <= limit:
            zoom, rng = z, r
            break
    if zoom is None:
        rep.check("gdal.mvt.zoom", False, f"no zoom with `code` ({code_zooms}) spans at most {limit} tiles for GDAL's walk")
        return
    walk = (rng[2] - rng[0] + 1) * (rng[3] - rng[1] + 1)
    mv["zoom"] = zoom
    mv["gdal_walk"] = {"x": [rng[0], rng[2]], "y": [rng[1], rng[3]], "tiles": walk,
                       "archive_tiles_at_zoom": sum(1 for c in archive.coords if c[0] == zoom)}
    variants = [
        ("explicit", f"MVT:{base}/tiles/{zoom}", {"TILE_EXTENSION": "mvt", "METADATA_FILE": f"{base}/tiles/metadata.json"}),
        ("gdal_defaults", f"MVT:{base}/tiles/{zoom}", {}),
    ]
    pyogrio.set_gdal_config_options({"CPL_CURL_VERBOSE": "YES"})  # status lines of the HTTP fetches
    try:
        for label, conn, opts in variants:
            v = mv[label] = {"connection": conn, "open_options": opts}
            log.mark()
            t = time.time()
            try:
                v["layers"] = [str(n) for n, _ in pyogrio.list_layers(conn)] if not opts else "(list_layers takes no open options)"
                found, meta = gdal_read_codes(conn, buurt_layer, **opts)
                v["geometry_type"] = meta["geometry_type"]
                v["crs"] = meta["crs"]
                v["codes_found"] = len(found)
                judge(f"gdal.mvt.{label}.all_buurten", found, f"{conn} {opts or '(no open options)'} (whole layer)",
                      must=areas.with_polygon, may=areas.with_polygon, exact=True)
                rep.check(f"gdal.mvt.{label}.crs", meta["crs"] == "EPSG:3857", f"{conn}: CRS {meta['crs']}, expected EPSG:3857")
                if isinstance(v["layers"], list):
                    rep.check(f"gdal.mvt.{label}.layers", sorted(v["layers"]) == sorted(archive.layer_ids),
                              f"{conn}: GDAL lists layers {v['layers']}, the archive has {archive.layer_ids}")
            except Exception as e:
                rep.check(f"gdal.mvt.{label}.open", False, f"{conn} {opts}: {type(e).__name__}: {e}")
            v["seconds"] = round(time.time() - t, 2)
            reqs = log.requests(log.since_mark(), base)
            v["requests"] = summarize_requests(reqs)
            tile_re = re.compile(r"^/tiles/(\d+)/(\d+)/(\d+)\.(\w+)$")
            bad = []
            for m_, p, _, s in reqs:
                tm = tile_re.match(p)
                if tm:
                    z_, x_, y_ = map(int, tm.groups()[:3])
                    if z_ != zoom or not (rng[0] <= x_ <= rng[2] and rng[1] <= y_ <= rng[3]):
                        bad.append(f"GDAL requested {p}, outside the expected walk")
                    if s not in (200, 204, None):
                        bad.append(f"GDAL got status {s} for {p}")
                elif p != "/tiles/metadata.json":
                    bad.append(f"GDAL requested {m_} {p}")
                elif s not in (200, None):
                    bad.append(f"GDAL got status {s} for {p}")
            rep.check(f"gdal.mvt.{label}.requests", not bad, problems=bad)
        unknown = [f"{v['connection']} {v['open_options'] or ''}".strip() for label, _, _ in variants
                   if (v := mv[label]).get("geometry_type") == "Unknown"]
        rep.check("gdal.mvt.geometry_type", not unknown,
                  f"GDAL's MVT driver reports layer {buurt_layer} with geometry type Unknown through "
                  f"{'; '.join(unknown)} (PMTiles through the same server: {pm.get('layers', {}).get(buurt_layer)})")
    finally:
        pyogrio.set_gdal_config_options({"CPL_CURL_VERBOSE": None})

    # Not a check, a probe of what a GIS user may try: one tile URL opened as a file over
    # /vsicurl/ (QGIS "add vector layer" by URL), which reads in Range requests.
    z, x, y = archive.coords[0]
    conn = f"/vsicurl/{base}/tiles/{z}/{x}/{y}.pbf"
    log.mark()
    probe = sec["probe_single_tile_vsicurl"] = {"connection": conn}
    try:
        probe["layers"] = [str(n) for n, _ in pyogrio.list_layers(conn)]
        probe["ok"] = True
    except Exception as e:
        probe["ok"] = False
        probe["error"] = f"{type(e).__name__}: {e}"
        lines = log.since_mark()
        gdal_says = [ln for ln in lines if "Range downloading not supported" in ln]
        rep.warn(f"{conn} does not open ({probe['error'][:120]}){': GDAL says ' + gdal_says[0] if gdal_says else ''}; "
                 f"GET {web.url(f'/tiles/{z}/{x}/{y}.pbf')} ignores Range (200, whole body), which GDAL's "
                 f"/vsicurl/ tolerates only for small files. MVT:{base}/tiles/{z}/{x}/{y}.pbf (one plain GET) works")
    probe["requests"] = summarize_requests(log.requests(log.since_mark(), base))


# --------------------------------------------------------------------------------------------
# d. Range


def check_labels(rep, web, archive):
    """The glyph-labelled styles: every symbol layer's source, opened as GDAL opens it (the
    style's TileJSON url -> its tile URL -> GDAL's MVT driver on that tile tree, which reads
    /tiles/metadata.json), holds the label layer with names at the label's first zoom, and the
    style's glyphs URL answers for the label font."""
    sec = rep.sections["labels"] = {}
    for query in ("", "?flavor=qgis"):
        r = web.request("/style.json" + query)
        rep.check(f"labels.style{query}.status", r.status == 200, f"/style.json{query}: status {r.status}")
        style = json.loads(r.body)
        glyphs = style.get("glyphs", "")
        symbols = [l for l in style.get("layers", []) if l.get("type") == "symbol"]
        rep.check(f"labels.style{query}.layers", len(symbols) == len(archive.levels) and glyphs.endswith(
            "/fonts/{fontstack}/{range}.pbf"), f"symbol layers {[l['id'] for l in symbols]}, glyphs {glyphs!r}")
        for layer in symbols:
            font = layer["layout"]["text-font"][0]
            url = glyphs.replace("{fontstack}", urllib.parse.quote(font)).replace("{range}", "0-255")
            g = web.request(urllib.parse.urlsplit(url).path, absolute_path=True)
            rep.check(f"labels.glyphs.{layer['id']}", g.status == 200 and len(g.body) > 1000,
                      f"{url}: status {g.status}, {len(g.body)} bytes")
            if query:
                continue  # the sources are the same in both flavours: read them once
            source = style["sources"][layer["source"]]
            tj = json.loads(web.request(urllib.parse.urlsplit(source["url"]).path, absolute_path=True).body)
            tiles = tj["tiles"][0]
            root = tiles[: tiles.index("/{z}")]
            zoom = max(int(math.ceil(layer.get("minzoom", 0))), tj["minzoom"])
            # GDAL's MVT driver opens one zoom's folder of the XYZ tree, with the tileset
            # metadata GDAL reads beside the tiles.
            conn = f"MVT:{root}/{zoom}"
            x0, y0 = to_mercator(*tj["center"][:2])
            half = 2 * WEB_MERCATOR_HALF / (1 << zoom)  # one tile around the centre
            meta, _, _, fields = ogr_raw.read(conn, layer=layer["source-layer"], columns=["name"],
                                              bbox=(x0 - half, y0 - half, x0 + half, y0 + half),
                                              TILE_EXTENSION="mvt", METADATA_FILE=f"{root}/metadata.json")
            names = [n for n in fields[0].tolist() if n]
            sec[layer["id"]] = {"connection": conn, "zoom": zoom, "names": len(names), "sample": sorted(names)[:3]}
            rep.check(f"labels.gdal.{layer['id']}", len(names) > 0,
                      f"{conn} ZOOM_LEVEL={zoom}: no named features in {layer['source-layer']}")


def check_range(rep, web, archive_path):
    sec = rep.sections["range"]
    with open(archive_path, "rb") as f:
        head = f.read(127)
    size = os.path.getsize(archive_path)
    path = "/download/atlas.pmtiles"
    r = web.request(path, [("Range", "bytes=0-126")])
    want_cr = f"bytes 0-126/{size}"
    sec.update(status=r.status, content_range=r.header("content-range"), body_bytes=len(r.body))
    rep.check("range.status_206", r.status == 206, f"GET {web.url(path)} Range: bytes=0-126: status {r.status}, expected 206")
    rep.check("range.body", r.body == head,
              f"GET {web.url(path)} Range: bytes=0-126: {len(r.body)} bytes, equal to the file's first 127: {r.body == head}")
    rep.check("range.content_range", r.header("content-range") == want_cr,
              f"GET {web.url(path)} Range: bytes=0-126: Content-Range {r.header('content-range')!r}, expected {want_cr!r}")
    h = web.request(path, method="HEAD")
    sec.update(head_status=h.status, accept_ranges=h.header("accept-ranges"), content_length=h.header("content-length"))
    rep.check("range.head", h.status == 200 and h.header("accept-ranges") == "bytes" and h.header("content-length") == str(size),
              f"HEAD {web.url(path)}: status {h.status}, Accept-Ranges {h.header('accept-ranges')!r}, "
              f"Content-Length {h.header('content-length')!r}; expected 200, 'bytes', '{size}'")


# --------------------------------------------------------------------------------------------

GDAL_OPTIONS = {}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("base_url")
    ap.add_argument("atlas_dir")
    ap.add_argument("--quick", action="store_true", help="50 tiles and a smaller GDAL MVT walk (national atlas)")
    ap.add_argument("--tiles", type=int, default=None, help="number of tiles to check (default 120, --quick 50)")
    ap.add_argument("--timeout", type=float, default=60.0, help="HTTP timeout in seconds")
    ap.add_argument("--keep-gdal-log", metavar="PATH", help="write GDAL's debug log here and keep it")
    args = ap.parse_args(argv)
    started = time.time()
    target = args.tiles if args.tiles is not None else (50 if args.quick else 120)

    rep = Report()
    web = Http(args.base_url, args.timeout)
    pmtiles_path = os.path.join(args.atlas_dir, "atlas.pmtiles")
    areas_path = os.path.join(args.atlas_dir, "areas.fgb")

    log_path = args.keep_gdal_log or os.path.join(tempfile.mkdtemp(prefix="serve_check_"), "gdal.log")
    if os.path.exists(log_path):
        os.unlink(log_path)
    # CPL_LOG is read at GDAL's first log message, so it is set before GDAL says anything.
    GDAL_OPTIONS.update({
        "CPL_DEBUG": "ON",  # the log tells what GDAL requested
        "CPL_LOG": log_path,
        "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",  # no listing of /download/ for sibling files
        "GDAL_HTTP_MAX_RETRY": "0",  # a failing request shows at once
        "GDAL_HTTP_TIMEOUT": str(int(args.timeout)),
        "VSI_CACHE": "FALSE",
    })
    pyogrio.set_gdal_config_options(GDAL_OPTIONS)
    log = GdalLog(log_path)

    try:
        archive = Archive(pmtiles_path)
        levels = archive.levels
        buurt_layer = levels[0]["layer"] if levels else "buurten"
        areas = Areas(areas_path, buurt_layer, levels)
    except Exception as e:
        rep.check("reference.load", False, f"cannot read {pmtiles_path} / {areas_path}: {type(e).__name__}: {e}")
        return finish(rep, args, started, target)
    rep.sections["reference"] = {
        "archive": pmtiles_path, "tiles": len(archive.coords), "zooms": [archive.min_zoom, archive.max_zoom],
        "tile_compression": str(archive.header["tile_compression"]), "layers": archive.layer_ids,
        "properties_by_zoom": {str(k): v for k, v in sorted(archive.props_by_zoom.items())},
        "areas": dict(areas.n_levels), "buurten_with_polygon": len(areas.with_polygon),
        "buurten_collapsed": int(areas.collapsed.sum()),
    }
    if areas.unparsable["count"]:
        u = areas.unparsable
        rep.warn(f"{areas_path}: {u['count']} area geometries ({u['collapsed']} of them flagged collapsed; by level "
                 f"{u['by_level']}; e.g. {u['codes']}) cannot be read by GEOS/shapely.from_wkb (e.g. a LinearRing of "
                 "2 points): GeoPandas/shapely users loading /download/areas.fgb get a GEOSException for the whole file")
    rep.check("reference.buurt_ids_unique", len(areas.id_to_code) == len(areas.code_set),
              f"{len(areas.code_set)} buurt codes give {len(areas.id_to_code)} distinct feature ids")

    steps = [
        ("tilejson", lambda: check_tilejson(rep, web, archive, archive.coords[0] if archive.coords else None)),
        ("tiles", lambda: check_tiles(rep, web, archive, areas, target)),
        ("range", lambda: check_range(rep, web, pmtiles_path)),
        ("gdal", lambda: check_gdal(rep, web, archive, areas, log, args.quick)),
        ("labels", lambda: check_labels(rep, web, archive)),
    ]
    timings = {}
    for name, step in steps:
        t = time.time()
        try:
            step()
        except (OSError, http.client.HTTPException) as e:
            rep.check(f"{name}.http", False, f"{type(e).__name__}: {e} (is the server at {web.base} up?)")
        except Exception as e:  # a crash in one part must not hide the others
            rep.check(f"{name}.crashed", False, f"{type(e).__name__}: {e}")
        timings[name] = round(time.time() - t, 2)
    rep.sections["seconds"] = timings
    if args.keep_gdal_log:
        rep.sections["gdal"]["log"] = log_path
    else:
        shutil.rmtree(os.path.dirname(log_path), ignore_errors=True)
    return finish(rep, args, started, target)


def finish(rep, args, started, target):
    failed = [k for k, v in rep.checks.items() if v == "FAIL"]
    summary = {
        "ok": not failed,
        "base_url": args.base_url,
        "atlas_dir": args.atlas_dir,
        "quick": args.quick,
        "tile_target": target,
        "elapsed_s": round(time.time() - started, 2),
        "counts": {"checks": len(rep.checks), "passed": len(rep.checks) - len(failed), "failed": len(failed)},
        "failures": rep.failures,
        "warnings": rep.warnings,
        "checks": rep.checks,
        **rep.sections,
    }
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
