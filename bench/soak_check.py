#!/usr/bin/env python3
"""The independent checks of bench/soak.sh (issue 16): written against the files and HTTP, not
against the server's code.

    soak_check.py refs LIST A_DIR B_DIR OUT.json [--sample N]
        sample N distinct tiles of the recorded LIST and store, per tile, the SHA-256 of its
        (gunzipped) bytes in atlas A and in atlas B (absent tiles as null)
    soak_check.py check URL REFS.json STOP_FILE OUT.json
        until STOP_FILE exists: fetch the sampled tiles round and round from URL (gzip) and
        classify every answer: the tile of A, the tile of B, neither (a mix or a corrupt
        tile: a failure), or an error (non-200, or a connection failure)
    soak_check.py validate ATLAS_DIR REFS.json
        the atlas at ATLAS_DIR (a symlink is followed) is complete: metadata.json parses, the
        PMTiles header and directories read, and every sampled tile equals A's or B's
        (all of one of them); prints which, exits 1 otherwise
    soak_check.py idle URL N OUT.json [--tries 20]
        open N connections that send nothing or half a request header, then time GET /health
        on a new connection TRIES times while they are open; the maximum must be < 100 ms
"""

import argparse
import gzip
import hashlib
import http.client
import json
import os
import random
import socket
import sys
import time
import urllib.parse

from pmtiles.reader import MmapSource, Reader


def gunzip(b):
    return gzip.decompress(b) if b[:2] == b"\x1f\x8b" else b


def digest(b):
    return None if b is None else hashlib.sha256(gunzip(b)).hexdigest()


def tiles_of(path, keys):
    with open(path, "rb") as f:
        r = Reader(MmapSource(f))
        return {k: digest(r.get(*map(int, k.split("/")))) for k in keys}


def cmd_refs(a):
    keys = sorted({line.strip() for line in open(a.list) if line.strip()})
    random.Random(16).shuffle(keys)
    keys = keys[: a.sample]
    ref_a = tiles_of(os.path.join(a.a_dir, "atlas.pmtiles"), keys)
    ref_b = tiles_of(os.path.join(a.b_dir, "atlas.pmtiles"), keys)
    differ = sum(ref_a[k] != ref_b[k] for k in keys)
    if differ == 0:
        sys.exit("atlas A and B have the same sampled tiles: the soak could not tell old from new")
    json.dump({"keys": keys, "a": ref_a, "b": ref_b}, open(a.out, "w"))
    print(f"refs: {len(keys)} tiles sampled, {differ} differ between A and B")


def cmd_check(a):
    refs = json.load(open(a.refs))
    u = urllib.parse.urlsplit(a.url)
    counts = {"a": 0, "b": 0, "same": 0, "neither": 0, "error": 0}
    bad = []
    conn = None
    i = 0
    t0 = time.time()
    while not os.path.exists(a.stop):
        k = refs["keys"][i % len(refs["keys"])]
        i += 1
        if refs["a"][k] is None and refs["b"][k] is None:
            continue
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
            conn.request("GET", f"/tiles/{k}.mvt", headers={"Accept-Encoding": "gzip"})
            resp = conn.getresponse()
            body = resp.read()
            status = resp.status
        except OSError as e:
            conn = None
            counts["error"] += 1
            bad.append(f"{k}: {e}")
            continue
        if status != 200:
            counts["error"] += 1
            bad.append(f"{k}: HTTP {status}")
            continue
        d = digest(body)
        if d == refs["a"][k] and d == refs["b"][k]:
            counts["same"] += 1
        elif d == refs["a"][k]:
            counts["a"] += 1
        elif d == refs["b"][k]:
            counts["b"] += 1
        else:
            counts["neither"] += 1
            bad.append(f"{k}: neither A's nor B's tile")
    out = {"requests": sum(counts.values()), "seconds": round(time.time() - t0, 1), **counts, "examples": bad[:20]}
    json.dump(out, open(a.out, "w"), indent=1)
    print("check:", json.dumps(out))
    sys.exit(1 if counts["neither"] or counts["error"] else 0)


def cmd_validate(a):
    refs = json.load(open(a.refs))
    root = os.path.realpath(a.atlas)
    try:
        json.load(open(os.path.join(root, "metadata.json")))
        got = tiles_of(os.path.join(root, "atlas.pmtiles"), refs["keys"])
    except Exception as e:  # noqa: BLE001 -- any failure to read is the finding
        sys.exit(f"validate: {a.atlas} -> {root}: not a complete atlas: {e}")
    for which in ("a", "b"):
        if all(got[k] == refs[which][k] for k in refs["keys"]):
            print(f"validate: {a.atlas} -> {os.path.basename(root)}: complete, atlas {which.upper()}")
            return
    sys.exit(f"validate: {a.atlas} -> {root}: its tiles are neither all A's nor all B's")


def cmd_idle(a):
    u = urllib.parse.urlsplit(a.url)
    socks = []
    refused = 0
    for n in range(a.n):
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=5)
        except OSError:
            refused += 1
            continue
        if n % 2:  # half a request header, never finished
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    time.sleep(1)
    times = []
    failures = []
    for _ in range(a.tries):
        t = time.perf_counter()
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                failures.append(f"HTTP {r.status}")
        except OSError as e:
            failures.append(str(e))
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.05)
    # how many of the idle connections the server had closed by now (it may evict the oldest)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            closed += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    out = {"idle_connections": a.n, "connect_refused": refused, "closed_by_server": closed,
           "health_ms_max": round(max(times), 1), "health_ms_median": round(sorted(times)[len(times) // 2], 1),
           "health_failures": failures}
    json.dump(out, open(a.out, "w"), indent=1)
    print("idle:", json.dumps(out))
    sys.exit(1 if failures or max(times) >= 100 else 0)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("refs")
    r.add_argument("list")
    r.add_argument("a_dir")
    r.add_argument("b_dir")
    r.add_argument("out")
    r.add_argument("--sample", type=int, default=300)
    c = sub.add_parser("check")
    c.add_argument("url")
    c.add_argument("refs")
    c.add_argument("stop")
    c.add_argument("out")
    v = sub.add_parser("validate")
    v.add_argument("atlas")
    v.add_argument("refs")
    i = sub.add_parser("idle")
    i.add_argument("url")
    i.add_argument("n", type=int)
    i.add_argument("out")
    i.add_argument("--tries", type=int, default=20)
    a = p.parse_args()
    {"refs": cmd_refs, "check": cmd_check, "validate": cmd_validate, "idle": cmd_idle}[a.cmd](a)


if __name__ == "__main__":
    main()
