"""Independent reference values for crates/mdi-core/tests/analysis_python.rs.

Usage: python3 tests/analysis/reference.py DIR  (reads DIR/input.json, prints JSON on stdout).
Computes with scipy.stats, numpy, statsmodels, libpysal and esda; exits 3 with a message on
stderr when a module is missing.
"""
import json
import sys
import warnings

warnings.simplefilter("ignore")
try:
    import numpy as np
    from scipy import stats
    import statsmodels.api as sm
    import libpysal
    import esda
except ImportError as e:  # pragma: no cover
    print(f"missing module: {e.name}", file=sys.stderr)
    sys.exit(3)


def correlations(d):
    x, y, w = (np.array(d[k], dtype=float) for k in ("x", "y", "w"))
    pr = stats.pearsonr(x, y)
    ci = pr.confidence_interval(0.95)
    sr = stats.spearmanr(x, y)
    rho = float(sr.statistic)
    n = len(x)
    z = np.arctanh(rho)
    se = 1 / np.sqrt(n - 3)
    q = stats.norm.ppf(0.975)
    c = np.cov(x, y, aweights=w)
    out = {
        "pearson": {"r": float(pr.statistic), "p": float(pr.pvalue), "lo": float(ci.low), "hi": float(ci.high)},
        "spearman": {"r": rho, "p": float(sr.pvalue), "lo": float(np.tanh(z - q * se)), "hi": float(np.tanh(z + q * se))},
        "weighted_pearson": float(c[0, 1] / np.sqrt(c[0, 0] * c[1, 1])),
    }
    X = sm.add_constant(x)
    for name, model in (("ols", sm.OLS(y, X)), ("wls", sm.WLS(y, X, weights=w))):
        f = model.fit()
        lo, hi = f.conf_int(0.05)[1]
        out[name] = {"alpha": float(f.params[0]), "beta": float(f.params[1]), "se": float(f.bse[1]),
                     "lo": float(lo), "hi": float(hi), "p": float(f.pvalues[1]), "r2": float(f.rsquared)}
    return out


def spatial(case, perms, gal_path):
    nb = {i: list(v) for i, v in enumerate(case["neighbours"])}
    y = np.array(case["y"], dtype=float)
    mk = lambda: libpysal.weights.W(nb, silence_warnings=True)  # noqa: E731
    m = esda.Moran(y, mk(), permutations=perms)
    lm = esda.Moran_Local(y, mk(), permutations=perms, seed=12345)
    g = esda.G_Local(y, mk(), star=True, permutations=perms, seed=12345)
    out = {
        "moran": {"I": float(m.I), "EI": float(m.EI), "z_norm": float(m.z_norm), "p_norm": float(m.p_norm), "p_sim": float(m.p_sim)},
        "local": {"Is": lm.Is.tolist(), "q": lm.q.tolist(), "p_sim": lm.p_sim.tolist()},
        "g": {"Gs": g.Gs.tolist(), "Zs": [None if not np.isfinite(v) else float(v) for v in g.Zs], "p_sim": g.p_sim.tolist()},
        "fdr_local": float(esda.fdr(lm.p_sim, 0.05)),
    }
    if gal_path:
        wg = libpysal.io.open(gal_path, "r").read()
        out["gal_neighbours"] = {str(k): sorted(str(x) for x in v) for k, v in wg.neighbors.items()}
    return out


def main():
    # libpysal prints island warnings on stdout: keep stdout for the JSON answer.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    d = json.load(open(f"{sys.argv[1]}/input.json"))
    res = {"correlation": correlations(d["correlation"]), "spatial": []}
    for case in d["spatial"]:
        gal = f"{sys.argv[1]}/{case['gal']}" if case.get("gal") else None
        res["spatial"].append(spatial(case, d["permutations"], gal))
    res["fdr"] = [float(esda.fdr(np.array(p), a)) for p, a in d["fdr"]]
    sys.stdout = real_stdout
    print(json.dumps(res))


if __name__ == "__main__":
    main()
