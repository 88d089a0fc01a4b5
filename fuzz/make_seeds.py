#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/ (run once from the
repository root; the files are committed). Every seed is synthetic, made here from the
project's own fixtures: the example table and profiles of geodata/, and a 3 x 3 grid of
fictitious buurten (codes BU99010000..BU99010008, one with a hole) written by GDAL (pyogrio)
as FlatGeobuf, GeoJSON and GeoPackage, in WGS84 and RD New; TopoJSON by hand; PMTiles with
the `pmtiles` package holding gzip MVT tiles encoded by mapbox-vector-tile.

Needs geopandas, pyogrio, shapely, pmtiles and mapbox-vector-tile (as .ci/run installs)."""

import gzip
import json
import os
import shutil
import sqlite3
import tempfile

import geopandas as gpd
import mapbox_vector_tile
from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer
from shapely.geometry import Polygon

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(os.path.join(folder, name), mode) as f:
        f.write(data)


def grid(x0, y0, step):
    rows = []
    for i in range(9):
        cx, cy = x0 + (i % 3) * step, y0 + (i // 3) * step
        shell = [(cx, cy), (cx + step, cy), (cx + step, cy + step), (cx, cy + step)]
        holes = []
        if i == 4:
            q = step / 4
            holes = [[(cx + q, cy + q), (cx + q, cy + 3 * q), (cx + 3 * q, cy + 3 * q), (cx + 3 * q, cy + q)]]
        rows.append({"buurtcode": f"BU990100{i:02d}", "buurtnaam": f"Buurt {i}", "geometry": Polygon(shell, holes)})
    return rows


def shrink_sqlite(path):
    # Small pages and no free ones: a 10 kB GeoPackage rather than 100 kB, which the fuzzer
    # mutates far faster.
    con = sqlite3.connect(path)
    con.execute("PRAGMA page_size = 512")
    con.execute("VACUUM")
    con.close()


def areas(tmp):
    wgs = gpd.GeoDataFrame(grid(5.0, 52.0, 0.01), crs="EPSG:4326")
    rd = gpd.GeoDataFrame(grid(150000.0, 450000.0, 500.0), crs="EPSG:28992")
    for crs, df in (("wgs84", wgs), ("rd", rd)):
        for target, ext, driver in (("flatgeobuf", "fgb", "FlatGeobuf"), ("geojson", "geojson", "GeoJSON"), ("geopackage", "gpkg", "GPKG")):
            path = os.path.join(tmp, f"{crs}.{ext}")
            if driver == "GPKG":
                df.to_file(path, driver=driver, engine="pyogrio", layer="buurten", SPATIAL_INDEX="NO")
                shrink_sqlite(path)
            else:
                df.to_file(path, driver=driver, engine="pyogrio")
            with open(path, "rb") as f:
                put(target, f"{crs}-grid.{ext}", f.read())
    # GeoJSON with a `crs` member, and a one-feature one.
    small = json.loads(wgs.iloc[:1].to_json())
    put("geojson", "one.geojson", json.dumps(small))
    named = json.loads(rd.iloc[:2].to_json())
    named["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::28992"}}
    put("geojson", "rd-crs.geojson", json.dumps(named))


def topojson():
    # Two squares sharing an arc, quantized and not.
    arcs = [[[0, 0], [0, 10]], [[0, 10], [10, 10], [10, 0], [0, 0]], [[0, 0], [-10, 0], [-10, 10], [0, 10]]]
    topo = {
        "type": "Topology",
        "objects": {"buurten": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, 1]], "properties": {"buurtcode": "BU99010000", "buurtnaam": "Oost"}},
            {"type": "Polygon", "arcs": [[~0, 2]], "properties": {"buurtcode": "BU99010001", "buurtnaam": "West"}},
        ]}},
        "arcs": [[[5.0 + x / 1000, 52.0 + y / 1000] for x, y in a] for a in arcs],
    }
    put("topojson", "two.topojson", json.dumps(topo))
    quant = dict(topo)
    quant["transform"] = {"scale": [0.001, 0.001], "translate": [5.0, 52.0]}
    quant["arcs"] = [[a[0]] + [[q[0] - p[0], q[1] - p[1]] for p, q in zip(a, a[1:])] for a in arcs]
    put("topojson", "quantized.topojson", json.dumps(quant))
    multi = json.loads(json.dumps(topo))
    multi["objects"]["buurten"]["geometries"][0] = {"type": "MultiPolygon", "arcs": [[[0, 1]]], "id": "BU99010000"}
    put("topojson", "multi.topojson", json.dumps(multi))


def pmtiles(tmp):
    square = "POLYGON ((0 0, 4096 0, 4096 4096, 0 4096, 0 0))"
    layer = {"name": "buurten", "features": [{"geometry": square, "properties": {"code": "BU99010000", "mdi_decile": 3}, "id": 7}]}
    tile = gzip.compress(mapbox_vector_tile.encode([layer]), mtime=0)
    path = os.path.join(tmp, "seed.pmtiles")
    with open(path, "wb") as f:
        w = Writer(f)
        for z, x, y in ((0, 0, 0), (1, 1, 0), (2, 2, 1)):
            w.write_tile(zxy_to_tileid(z, x, y), tile)
        w.finalize(
            {"tile_type": TileType.MVT, "tile_compression": Compression.GZIP, "min_zoom": 0, "max_zoom": 2,
             "min_lon_e7": 40000000, "min_lat_e7": 500000000, "max_lon_e7": 60000000, "max_lat_e7": 530000000,
             "center_zoom": 1, "center_lon_e7": 50000000, "center_lat_e7": 520000000},
            {"vector_layers": [{"id": "buurten", "fields": {"code": "String"}}]},
        )
    with open(path, "rb") as f:
        put("pmtiles", "three-tiles.pmtiles", f.read())


def text_seeds():
    with open(os.path.join(ROOT, "geodata/examples/voorbeeld-buurten.csv"), "rb") as f:
        table = f.read()
    put("indicator_csv", "voorbeeld-buurten.csv", table)
    put("indicator_csv", "comma.csv", table.replace(b";", b",").replace(b"\xef\xbb\xbf", b""))
    put("indicator_csv", "head.csv", b"\n".join(table.split(b"\n")[:4]))
    for name in sorted(os.listdir(os.path.join(ROOT, "geodata/profiles"))):
        with open(os.path.join(ROOT, "geodata/profiles", name), "rb") as f:
            put("profile_toml", name, f.read())
    for i, (path, query) in enumerate([
        ("12/2104/1346.mvt", "weights=inkomen:0.3,werk:0.2&year=2023"),
        ("0/0/0.pbf", "q=Centrum&limit=5"),
        ("0-255.pbf", "lon=5.1&lat=52.1"),
        ("65280-65535.pbf", "format=html&flavor=qgis"),
        ("3/7/7.mvt", "weights=inkomen=1,gezondheid:0&year="),
    ]):
        put("server_request", f"seed-{i}", f"{path}\n{query}")


def mvt():
    # Raw bytes for `Unstructured`: any bytes are a valid input; a few sizes to start from.
    for i, n in enumerate((16, 64, 256, 1024)):
        put("mvt_roundtrip", f"seed-{i}", bytes((j * 37 + i) % 256 for j in range(n)))


def main():
    shutil.rmtree(CORPUS, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        areas(tmp)
        pmtiles(tmp)
    topojson()
    text_seeds()
    mvt()


if __name__ == "__main__":
    main()
