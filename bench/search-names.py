#!/usr/bin/env python3
"""Export the names of an atlas for the search benchmark (crates/mdi-server/benches/search.rs):

    python3 bench/search-names.py ATLAS_DIR OUT.csv
    MDI_SEARCH_NAMES=OUT.csv cargo bench -p mdi-server --bench search

Columns: code, name, level (0 = the index unit, coarser levels higher), population (the last
year's), context (the names of the parents, nearest first, joined by " / "), from areas.fgb.
Needs pyogrio (pip install pyogrio)."""

import csv
import json
import os
import sys

try:
    import pyogrio
except ImportError:
    sys.exit("missing Python module: pyogrio (pip install pyogrio)")


def main(atlas, out):
    with open(os.path.join(atlas, "metadata.json"), encoding="utf-8") as f:
        meta = json.load(f)
    levels = {lv["layer"]: i for i, lv in enumerate(meta["levels"])}
    info, _, _, fields = pyogrio.raw.read(os.path.join(atlas, "areas.fgb"), read_geometry=False)
    cols = {name: fields[i] for i, name in enumerate(info["fields"])}
    codes, names, parents = cols["code"], cols["name"], cols["parent"]
    name_of = dict(zip(codes, names))
    parent_of = dict(zip(codes, parents))
    years = sorted(meta["years"])
    pop = cols.get(f"population_{years[-1]}") if years else None
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["code", "name", "level", "population", "context"])
        for i, code in enumerate(codes):
            chain, at = [], parent_of.get(code)
            while at and at in name_of and len(chain) < 10:
                chain.append(name_of[at])
                at = parent_of.get(at)
            p = pop[i] if pop is not None else None
            w.writerow([code, names[i], levels[cols["level"][i]],
                        "" if p is None or p != p else int(p), " / ".join(chain)])
    print(f"{len(codes)} areas -> {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
