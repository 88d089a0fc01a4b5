#!/usr/bin/env python3
"""Tables and the JSON summary of bench/serve-vs-martin.sh (reads its records, one JSON object a line).

    python3 bench/serve-summary.py RECORDS.jsonl --run N          # the table of run N
    python3 bench/serve-summary.py RECORDS.jsonl --final META.json OUT.json

Records: {"kind": "load", "run", "server", "regime", "rps", "p50_ms", "p90_ms", "p99_ms",
"max_ms", "mean_ms", "requests", "bytes", "non200", "socket_errors", "vmrss_kb", "vmhwm_kb",
"cpu_s", "client_cpu_s", "server_cpu_util", "client_cpu_util", "loadavg"} and {"kind": "cold", "server", "i", "ms", "polls"}.
Targets (docs: the serving benchmark): ours/Martin req/s >= 1.5 and p99 <= Martin's in the gzip
regime, our peak RSS (VmHWM, or VmRSS where larger) <= 64 MB in every run.
"""

import argparse
import json
import statistics
import sys

SERVERS = ("martin", "ours")
REGIMES = ("gzip", "identity")
METRICS = ("rps", "p50_ms", "p99_ms", "max_ms", "vmrss_mb", "vmhwm_mb", "cpu_s_per_10k",
           "server_cpu_util", "client_cpu_util")
RPS_TARGET = 1.5
RSS_TARGET_MB = 64.0
BUSY = 0.9  # a core this busy is the bottleneck


def load(path):
    recs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r["kind"] == "load":
                    r["vmrss_mb"] = r["vmrss_kb"] / 1024
                    r["vmhwm_mb"] = r["vmhwm_kb"] / 1024
                    r["cpu_s_per_10k"] = r["cpu_s"] / r["requests"] * 1e4 if r["requests"] else None
                    r["contended"] = contended(r)
                recs.append(r)
    return recs


def row(cells, widths):
    return "  ".join(str(c).rjust(w) for c, w in zip(cells, widths))


HEAD = ("server", "regime", "req/s", "p50 ms", "p99 ms", "max ms", "RSS MB", "HWM MB", "CPU s/10k",
        "MB/s", "srv CPU", "wrk CPU", "non200")
WIDTHS = (6, 8, 9, 7, 7, 8, 7, 7, 9, 7, 7, 7, 6)


def fmt_load(r):
    mbps = r["bytes"] / 1e6 / r["duration_s"] if r.get("duration_s") else 0
    return (r["server"], r["regime"], f"{r['rps']:.0f}", f"{r['p50_ms']:.2f}", f"{r['p99_ms']:.2f}",
            f"{r['max_ms']:.1f}", f"{r['vmrss_mb']:.1f}", f"{r['vmhwm_mb']:.1f}",
            f"{r['cpu_s_per_10k']:.3f}" if r["cpu_s_per_10k"] is not None else "-",
            f"{mbps:.0f}", f"{100 * r['server_cpu_util']:.0f}%", f"{100 * r['client_cpu_util']:.0f}%",
            r["non200"])


def print_run(recs, n):
    rows = [r for r in recs if r["kind"] == "load" and r["run"] == n]
    print(f"--- run {n} ---")
    print(row(HEAD, WIDTHS))
    for r in rows:
        flag = "  CONTENDED?" if contended(r) else ""
        print(row(fmt_load(r), WIDTHS) + f"   (load {r['loadavg']}){flag}")
    if any(contended(r) for r in rows):
        print(f"CONTENDED?: neither the server nor wrk used {100 * BUSY:.0f}% of its core: something "
              "else (another process on the server's core, the host) set the pace; compare CPU s/10k")


def contended(r):
    return r["server_cpu_util"] < BUSY and r["client_cpu_util"] < BUSY


def median(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def final(recs, meta_path, out_path):
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    loads = [r for r in recs if r["kind"] == "load"]
    colds = [r for r in recs if r["kind"] == "cold"]
    medians = {}
    for s in SERVERS:
        for g in REGIMES:
            rs = [r for r in loads if r["server"] == s and r["regime"] == g]
            if rs:
                m = {k: median([r[k] for r in rs]) for k in METRICS}
                m["runs"] = len(rs)
                medians.setdefault(s, {})[g] = m
    cold = {}
    for s in SERVERS:
        ms = [r["ms"] for r in colds if r["server"] == s]
        if ms:
            cold[s] = {"median_ms": statistics.median(ms), "all_ms": ms,
                       "polls_median": statistics.median([r["polls"] for r in colds if r["server"] == s])}

    print("=== summary: medians over runs ===")
    widths = (6, 8, 9, 7, 7, 8, 7, 7, 9, 4)
    print(row(("server", "regime", "req/s", "p50 ms", "p99 ms", "max ms", "RSS MB", "HWM MB",
               "CPU s/10k", "runs"), widths))
    for s in medians:
        for g, m in medians[s].items():
            print(row((s, g, f"{m['rps']:.0f}", f"{m['p50_ms']:.2f}", f"{m['p99_ms']:.2f}",
                       f"{m['max_ms']:.1f}", f"{m['vmrss_mb']:.1f}", f"{m['vmhwm_mb']:.1f}",
                       f"{m['cpu_s_per_10k']:.3f}" if m["cpu_s_per_10k"] is not None else "-",
                       m["runs"]), widths))
    for s, c in cold.items():
        print(f"cold start {s}: median {c['median_ms']:.1f} ms to the first 200 tile "
              f"(starts: {', '.join(f'{v:.1f}' for v in c['all_ms'])}; median {c['polls_median']:.0f} polls)")

    ratios, targets = {}, {}
    if "martin" in medians and "ours" in medians:
        print("=== ratios ours/Martin (medians) ===")
        for g in REGIMES:
            if g in medians["martin"] and g in medians["ours"]:
                a, b = medians["ours"][g], medians["martin"][g]
                ratios[g] = {k: (a[k] / b[k] if a[k] is not None and b[k] else None)
                             for k in METRICS if not k.endswith("_util")}
                print(f"{g:>8}: " + ", ".join(
                    f"{k} {v:.2f}x" for k, v in ratios[g].items() if v is not None))
        if "ours" in cold and "martin" in cold:
            ratios["cold_start"] = cold["ours"]["median_ms"] / cold["martin"]["median_ms"]
            print(f"cold start: {ratios['cold_start']:.2f}x")
        if "gzip" in ratios:
            targets["rps_ratio_ge_1_5"] = ratios["gzip"]["rps"] >= RPS_TARGET
            targets["p99_le_martin"] = medians["ours"]["gzip"]["p99_ms"] <= medians["martin"]["gzip"]["p99_ms"]
    if "ours" in medians:
        # VmHWM can lag VmRSS (the kernel updates it lazily): the peak is the larger of the two.
        hwm = max(max(r["vmhwm_mb"], r["vmrss_mb"]) for r in loads if r["server"] == "ours")
        targets["ours_peak_rss_le_64mb"] = hwm <= RSS_TARGET_MB
        targets["ours_peak_rss_mb"] = round(hwm, 1)
    if targets:
        print("=== targets ===")
        for k, v in targets.items():
            print(f"{k}: {('PASS' if v else 'FAIL') if isinstance(v, bool) else v}")

    summary = {"meta": meta, "medians": medians, "ratios_ours_over_martin": ratios,
               "cold_start": cold, "targets": targets, "records": recs}
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"JSON summary: {out_path}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("records")
    ap.add_argument("--run", type=int)
    ap.add_argument("--final", nargs=2, metavar=("META", "OUT"))
    args = ap.parse_args()
    recs = load(args.records)
    if args.run is not None:
        print_run(recs, args.run)
    if args.final:
        final(recs, *args.final)
    if args.run is None and not args.final:
        sys.exit("serve-summary: give --run N or --final META OUT")


if __name__ == "__main__":
    main()
