"""Independent computation of the English local-authority summary measures (METHOD.md §1.8)
from the published IoD2019 File 2 (IMD ranks, local authorities) and File 6 (populations).

Usage: python3 england_districts.py DATA_DIR/england  → JSON on stdout:
{"n": N, "districts": {lad_code: {"name", "areas", "average_rank", "proportion_worst_decile",
 "extent", "average_score_rank_input": ...}}}

pandas/numpy only; nothing from mdi-atlas. The Rust test tests/england_districts.rs compares.
"""
import json
import sys

try:
    import numpy as np
    import pandas as pd
except ImportError as e:  # exit 3: a missing package (the Rust test skips outside CI)
    print(e, file=sys.stderr)
    sys.exit(3)


def main(eng: str) -> None:
    f2 = pd.read_csv(f"{eng}/iod2019_file2_domains.csv.gz", encoding="utf-8-sig", thousands=",")
    f6 = pd.read_csv(f"{eng}/iod2019_file6_population.csv.gz", encoding="utf-8-sig", thousands=",")
    d = pd.DataFrame(
        {
            "lsoa": f2.iloc[:, 0],
            "lad": f2.iloc[:, 2],
            "name": f2.iloc[:, 3],
            "rank": f2.iloc[:, 4].astype(np.int64),
        }
    ).merge(
        pd.DataFrame({"lsoa": f6.iloc[:, 0], "pop": f6.iloc[:, 4].astype(float)}),
        on="lsoa",
        how="left",
        validate="one_to_one",
    )
    n = len(d)
    # Extent: percentile q = ceil(100 r / N); weight 1 up to 10, sliding 0.95 → 0.05 over 11–30.
    q = np.ceil(100.0 * d["rank"] / n)
    e = np.where(q <= 10, 1.0, np.where(q <= 30, 0.95 - (0.90 / 19.0) * (q - 11), 0.0))
    d["e"] = e
    d["rev"] = n + 1 - d["rank"]
    d["worst"] = (d["rank"] <= n / 10.0).astype(float)
    out = {}
    for lad, g in d.groupby("lad"):
        p = g["pop"].to_numpy()
        out[lad] = {
            "name": g["name"].iloc[0],
            "areas": int(len(g)),
            "average_rank": float(np.sum(p * g["rev"]) / np.sum(p)),
            "proportion_worst_decile": float(g["worst"].mean()),
            "extent": float(np.sum(p * g["e"]) / np.sum(p)),
            "share_worst_decile": float(np.sum(p * g["worst"]) / np.sum(p)),
        }
    json.dump({"n": n, "districts": out}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
