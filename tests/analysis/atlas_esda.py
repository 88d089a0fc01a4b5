"""esda on an atlas: the spatial statistics of one year's MDI, for tests/spatial_esda.rs.

Usage: python3 atlas_esda.py ATLAS_DIR YEAR
Reads contiguity.gal with libpysal and scores.csv with pandas; keeps the areas of the GAL file
with an MDI rank in YEAR (libpysal w_subset); row-standardises; runs esda.Moran, Moran_Local
and G_Local(star=True) with 999 permutations. Prints JSON: {"codes": [...], "moran": {...},
"local_i": [...], "local_q": [...], "local_p": [...], "gi": [...], "gi_z": [...], "gi_p": [...]}
in the order of "codes" (GAL order). Exit 3 when a package is missing.
"""
import contextlib
import json
import sys
import warnings

try:
    import numpy as np
    import pandas as pd
    import libpysal
    import esda
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(3)

warnings.filterwarnings("ignore")


def main() -> None:
    # libpysal prints its island warnings on stdout, which carries the JSON.
    with contextlib.redirect_stdout(sys.stderr):
        out = compute(sys.argv[1], int(sys.argv[2]))
    json.dump(out, sys.stdout)


def compute(atlas: str, year: int) -> dict:
    w_all = libpysal.io.open(f"{atlas}/contiguity.gal", "r").read()
    s = pd.read_csv(f"{atlas}/scores.csv", dtype={"code": str}, low_memory=False)
    s = s[(s["year"] == year) & s["mdi_rank"].notna()]
    score = dict(zip(s["code"], s["mdi_score"]))
    ids = [i for i in w_all.id_order if i in score]
    w = libpysal.weights.w_subset(w_all, ids)
    w.transform = "r"
    y = np.array([score[i] for i in w.id_order], dtype=float)
    mi = esda.Moran(y, w, permutations=999)
    lm = esda.Moran_Local(y, w, permutations=999, seed=1)
    gs = esda.G_Local(y, w, star=True, permutations=999, seed=1)
    nan = lambda a: [None if not np.isfinite(v) else float(v) for v in a]
    return (
        {
            "codes": list(w.id_order),
            "islands": [str(i) for i in w.islands],
            "moran": {"i": float(mi.I), "ei": float(mi.EI), "z_norm": float(mi.z_norm),
                      "p_norm": float(mi.p_norm), "p_sim": float(mi.p_sim)},
            "local_i": nan(lm.Is),
            "local_q": [int(q) for q in lm.q],
            "local_p": nan(lm.p_sim),
            "gi": nan(gs.Gs),
            "gi_z": nan(gs.Zs),
            "gi_p": nan(gs.p_sim),
        }
    )


if __name__ == "__main__":
    main()
