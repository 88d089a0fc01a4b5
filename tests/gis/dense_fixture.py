#!/usr/bin/env python3
"""Make a degraded copy of an atlas, as a dense tiler would write it, to test dense_check.py.

    python3 tests/gis/dense_fixture.py ATLAS_DIR OUT_DIR

ATLAS_DIR is a one-year atlas with three levels (`mdi-atlas build --demo --demo-years 2024
2024`). OUT_DIR gets a copy whose archive and build-report.json say, by hand:

  z5   the buurten and wijken polygon layers left out (`omitted`): the gemeenten carry them
  z6   the buurten polygon layer left out: the wijken carry it
  z7   the buurten layer with the `minimal` properties only (nodata, water, mdi_decile_Y,
       share_worst_decile_Y), and neighbouring buurten (contiguity.gal) with the same values
       in all of them drawn as one feature, the first in code order, with the property
       `coalesced` = the number of areas it unites (report `coalesced`: groups of up to four,
       each member reached through neighbours within the group)

Prints {"groups": n, "members": n} on stdout. Exits 3 when a needed Python package is missing.
"""
import gzip
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tiles_check import feature_id, set_levels  # noqa: E402  (exits 3 without its packages)
from dense_check import read_gal, tile_value  # noqa: E402

from mapbox_vector_tile.Mapbox import vector_tile_pb2  # noqa: E402
from pmtiles.reader import MmapSource, Reader, all_tiles  # noqa: E402
from pmtiles.tile import Compression, zxy_to_tileid  # noqa: E402
from pmtiles.writer import Writer  # noqa: E402

OMIT = {5: {"buurten", "wijken"}, 6: {"buurten"}}
COALESCE_Z = 7
GROUP_MAX = 4


def minimal_key(k):
    return k in ("nodata", "water") or k.startswith("mdi_decile_") or k.startswith("share_worst_decile_")


def main():
    src, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(src, out)
    meta = json.load(open(os.path.join(src, "metadata.json"), encoding="utf-8"))
    set_levels(meta["levels"])
    unit = meta["levels"][0]["layer"]
    gal = read_gal(os.path.join(src, "contiguity.gal"))

    with open(os.path.join(src, "atlas.pmtiles"), "rb") as f:
        source = MmapSource(f)
        reader = Reader(source)
        header, metadata = reader.header(), reader.metadata()
        tiles = [((z, x, y), bytes(d)) for (z, x, y), d in all_tiles(source)]

    def parse(data):
        t = vector_tile_pb2.tile()
        t.ParseFromString(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        return t

    # The minimal values of every index-unit feature at the coalescing zoom.
    values = {}
    for (z, _, _), data in tiles:
        if z != COALESCE_Z:
            continue
        for layer in parse(data).layers:
            if layer.name != unit:
                continue
            for ft in layer.features:
                t = ft.tags
                props = {layer.keys[t[i]]: tile_value(layer.values[t[i + 1]]) for i in range(0, len(t) - 1, 2)}
                values.setdefault(ft.id, tuple(sorted((k, v) for k, v in props.items() if minimal_key(k))))
    # Groups of neighbours with the same values, grown from each code in code order.
    codes = sorted(gal)
    taken, groups = set(), []
    for c in codes:
        if c in taken:
            continue
        want = values.get(feature_id(c, unit))
        group, todo = [c], [c]
        while todo and len(group) < GROUP_MAX:
            for n in sorted(gal[todo.pop(0)]):
                if len(group) < GROUP_MAX and n not in taken and n not in group \
                        and values.get(feature_id(n, unit)) == want:
                    group.append(n)
                    todo.append(n)
        if len(group) > 1:
            group.sort()
            taken.update(group)
            groups.append({"layer": unit, "into": group[0], "members": group[1:]})
    dropped = {feature_id(m, unit) for g in groups for m in g["members"]}
    sizes = {feature_id(g["into"], unit): 1 + len(g["members"]) for g in groups}

    with open(os.path.join(out, "atlas.pmtiles"), "wb") as f:
        w = Writer(f)
        for (z, x, y), data in sorted(tiles, key=lambda t: zxy_to_tileid(*t[0])):
            t = parse(data)
            if z in OMIT:
                keep = [layer for layer in t.layers if layer.name not in OMIT[z]]
                del t.layers[:]
                t.layers.extend(keep)
            if z == COALESCE_Z:
                for layer in t.layers:
                    if layer.name != unit:
                        continue
                    keys = list(layer.keys)
                    new_index = {}
                    for i, k in enumerate(keys):
                        if minimal_key(k):
                            new_index[i] = len(new_index)
                    feats = []
                    for ft in layer.features:
                        if ft.id in dropped:
                            continue
                        tags = [(new_index[ft.tags[i]], ft.tags[i + 1]) for i in range(0, len(ft.tags) - 1, 2)
                                if ft.tags[i] in new_index]
                        del ft.tags[:]
                        for k, v in tags:
                            ft.tags.extend([k, v])
                        feats.append(ft)
                    del layer.keys[:]
                    layer.keys.extend(k for k in keys if minimal_key(k))
                    layer.keys.append("coalesced")
                    count_key = len(layer.keys) - 1
                    for ft in feats:
                        if ft.id in sizes:
                            v = layer.values.add()
                            v.uint_value = sizes[ft.id]
                            ft.tags.extend([count_key, len(layer.values) - 1])
                    kept = [vector_tile_pb2.tile.feature() for _ in feats]
                    for a, b in zip(kept, feats):
                        a.CopyFrom(b)
                    del layer.features[:]
                    layer.features.extend(kept)
            raw = t.SerializeToString()
            w.write_tile(zxy_to_tileid(z, x, y),
                         gzip.compress(raw) if header["tile_compression"] == Compression.GZIP else raw)
        w.finalize(header, metadata)

    path = os.path.join(out, "build-report.json")
    report = json.load(open(path, encoding="utf-8"))
    for zr in report["tiles"]["zooms"]:
        if zr["z"] in OMIT:
            zr["omitted"] = sorted(OMIT[zr["z"]])
        if zr["z"] == COALESCE_Z:
            zr["coalesced"] = groups
    json.dump(report, open(path, "w", encoding="utf-8"))
    json.dump({"groups": len(groups), "members": len(dropped)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
