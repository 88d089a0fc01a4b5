"""Independent divergence regression (METHOD.md §6) with statsmodels, from an atlas's pooled.csv.

Usage: python3 divergence.py POOLED_CSV FROM_YEAR TO_YEAR [CODES_FILE]
Δ_i = MDI_i,to − MDI_i,from regressed on MDI_i,from (OLS with intercept) over the areas with a
pooled MDI score in both years (optionally only the codes listed one per line in CODES_FILE).
Prints JSON {beta, ci_low, ci_high, n, p_value}. Exit 3 when a package is missing.
"""
import json
import sys

try:
    import pandas as pd
    import statsmodels.api as sm
except ImportError as e:
    print(e, file=sys.stderr)
    sys.exit(3)


def main() -> None:
    path, y0, y1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    d = pd.read_csv(path, dtype={"code": str}, low_memory=False)
    d = d[d["mdi_score"].notna()]
    if len(sys.argv) > 4:
        keep = set(open(sys.argv[4]).read().split())
        d = d[d["code"].isin(keep)]
    a = d[d["year"] == y0].set_index("code")["mdi_score"]
    b = d[d["year"] == y1].set_index("code")["mdi_score"]
    both = a.index.intersection(b.index)
    x = a.loc[both]
    dy = b.loc[both] - x
    fit = sm.OLS(dy.to_numpy(), sm.add_constant(x.to_numpy())).fit()
    lo, hi = fit.conf_int(0.05)[1]
    json.dump(
        {
            "beta": float(fit.params[1]),
            "ci_low": float(lo),
            "ci_high": float(hi),
            "n": int(len(both)),
            "p_value": float(fit.pvalues[1]),
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
