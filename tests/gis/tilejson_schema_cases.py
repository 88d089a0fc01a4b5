#!/usr/bin/env python3
"""Cases for tilejson-3.0.0.schema.json: documents the TileJSON 3.0.0 prose allows must validate,
documents breaking one of its rules must not. Run: python3 tilejson_schema_cases.py (exit 0 when
every case behaves; also collected by pytest as test_cases)."""

import copy
import json
import os
import sys

try:
    import jsonschema
except ImportError:
    print("missing Python module: jsonschema (pip install jsonschema)", file=sys.stderr)
    sys.exit(3)

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tilejson-3.0.0.schema.json")

VECTOR = {
    "tilejson": "3.0.0",
    "tiles": ["http://localhost:8080/tiles/{z}/{x}/{y}.mvt"],
    "vector_layers": [{"id": "roads", "fields": {"name": "String"}}],
}


def with_(**changes):
    doc = copy.deepcopy(VECTOR)
    for k, v in changes.items():
        if v is ...:
            doc.pop(k, None)
        else:
            doc[k] = v
    return doc


VALID = {
    "minimal vector": VECTOR,
    "every optional key": with_(
        attribution="<a href='x'>x</a>", bounds=[-180, -85.05112877980659, 180, 85.0511287798066],
        center=[-76.27, 39.15, 8], data=["https://example.org/a.geojson"], description="d", fillzoom=7,
        grids=["https://example.org/{z}/{x}/{y}.grid.json"], legend="l", maxzoom=11, minzoom=0, name="n",
        scheme="tms", template="{{NAME}}", version="1.2.3-rc.1+build.5"),
    "point bounds": with_(bounds=[-122.34, 47.65, -122.34, 47.65]),
    "empty fields, optional layer keys": with_(vector_layers=[{"id": "b", "fields": {}, "description": "x",
                                                                "minzoom": 0, "maxzoom": 30, "extra": 1}]),
    "unknown top-level key": with_(mdi={"anything": True}),
    "raster by extension, no vector_layers": with_(tiles=["https://example.org/{z}/{x}/{y}.png"], vector_layers=...),
    "raster by format, no vector_layers": with_(tiles=["https://example.org/t?z={z}&x={x}&y={y}"], format="jpeg",
                                                vector_layers=...),
    "several endpoints": with_(tiles=["http://a.example/{z}/{x}/{y}.pbf", "http://b.example/{z}/{x}/{y}.pbf"]),
}

INVALID = {
    "no tilejson": with_(tilejson=...),
    "tilejson not semver": with_(tilejson="3.0"),
    "tilejson a number": with_(tilejson=3),
    "tilejson leading zero": with_(tilejson="03.0.0"),
    "no tiles": with_(tiles=...),
    "tiles empty": with_(tiles=[]),
    "tiles a string": with_(tiles="http://x/{z}/{x}/{y}.mvt"),
    "tiles relative": with_(tiles=["/tiles/{z}/{x}/{y}.mvt"]),
    "tiles entry not a string": with_(tiles=[1]),
    "vector tiles without vector_layers": with_(vector_layers=...),
    "vector_layers not an array": with_(vector_layers={"id": "a", "fields": {}}),
    "layer without id": with_(vector_layers=[{"fields": {}}]),
    "layer without fields": with_(vector_layers=[{"id": "a"}]),
    "layer id not a string": with_(vector_layers=[{"id": 1, "fields": {}}]),
    "field description not a string": with_(vector_layers=[{"id": "a", "fields": {"n": 1}}]),
    "fields an array": with_(vector_layers=[{"id": "a", "fields": []}]),
    "layer description not a string": with_(vector_layers=[{"id": "a", "fields": {}, "description": 1}]),
    "layer minzoom 31": with_(vector_layers=[{"id": "a", "fields": {}, "minzoom": 31}]),
    "layer maxzoom fractional": with_(vector_layers=[{"id": "a", "fields": {}, "maxzoom": 3.5}]),
    "attribution a number": with_(attribution=1),
    "bounds of 3": with_(bounds=[1, 2, 3]),
    "bounds of 5": with_(bounds=[1, 2, 3, 4, 5]),
    "bounds latitude 91": with_(bounds=[0, -10, 10, 91]),
    "bounds longitude -181": with_(bounds=[-181, 0, 10, 10]),
    "bounds strings": with_(bounds=["0", "0", "1", "1"]),
    "center of 2": with_(center=[0, 0]),
    "center zoom fractional": with_(center=[0, 0, 2.5]),
    "center latitude 95": with_(center=[0, 95, 2]),
    "data not strings": with_(data=[1]),
    "description a number": with_(description=1),
    "fillzoom a string": with_(fillzoom="5"),
    "grids a string": with_(grids="http://x"),
    "legend a number": with_(legend=1),
    "maxzoom 31": with_(maxzoom=31),
    "minzoom -1": with_(minzoom=-1),
    "minzoom a string": with_(minzoom="5"),
    "name a number": with_(name=1),
    "scheme wmts": with_(scheme="wmts"),
    "template a number": with_(template=1),
    "version not semver": with_(version="1.0"),
    "not an object": ["tilejson"],
}


def run():
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    wrong = [f"valid case rejected: {name}: {[e.message for e in v.iter_errors(doc)]}"
             for name, doc in VALID.items() if not v.is_valid(doc)]
    wrong += [f"invalid case accepted: {name}" for name, doc in INVALID.items() if v.is_valid(doc)]
    return wrong


def test_cases():
    assert run() == []


if __name__ == "__main__":
    problems = run()
    print(json.dumps({"ok": not problems, "valid_cases": len(VALID), "invalid_cases": len(INVALID),
                      "problems": problems}, indent=2))
    sys.exit(1 if problems else 0)
