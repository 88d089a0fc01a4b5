#!/usr/bin/env python3
"""Check that a running tile server returns the archive's tiles (before bench/serve-vs-martin.sh times it).

    python3 bench/check-tiles.py ATLAS_DIR LIST BASE_URL TEMPLATE DIGESTS_OUT [--count 20] [--empty Z/X/Y]

Takes COUNT distinct tiles spread over LIST (every zoom of the list is represented when COUNT
allows), fetches each twice, with `Accept-Encoding: gzip` and without, and checks:
  - both answers are 200;
  - after gunzip (when Content-Encoding: gzip) both equal the archive's stored tile gunzipped;
  - the gzip answer carries the stored bytes unchanged (passthrough; reported, not required);
  - an absent tile (--empty, default: one outside the archive found near the list) answers 204
    (reported, not required).
Writes "z/x/y sha256-of-gunzipped-bytes" lines to DIGESTS_OUT, so that two servers' files can be
compared with cmp. Exits 1 on any failed requirement.
"""

import argparse
import gzip
import hashlib
import http.client
import os
import sys
import urllib.parse

from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression


def pick(tiles, count):
    """COUNT distinct tiles: round-robin over the zooms, evenly spaced within each zoom."""
    by_zoom = {}
    for t in dict.fromkeys(tiles):
        by_zoom.setdefault(t[0], []).append(t)
    for z in by_zoom:
        lst = by_zoom[z]
        step = max(1, len(lst) // count)
        by_zoom[z] = lst[::step]
    out = []
    while len(out) < count and any(by_zoom.values()):
        for z in sorted(by_zoom):
            if by_zoom[z] and len(out) < count:
                out.append(by_zoom[z].pop(0))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("atlas_dir")
    ap.add_argument("list")
    ap.add_argument("base_url")
    ap.add_argument("template")
    ap.add_argument("digests_out")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--empty", default=None)
    args = ap.parse_args()

    f = open(os.path.join(args.atlas_dir, "atlas.pmtiles"), "rb")
    reader = Reader(MmapSource(f))
    gz_tiles = reader.header()["tile_compression"] == Compression.GZIP
    with open(args.list, encoding="ascii") as lf:
        tiles = [tuple(int(v) for v in line.split("/")) for line in lf if line.strip()]
    chosen = pick(tiles, args.count)

    u = urllib.parse.urlsplit(args.base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)

    def get(z, x, y, gzip_ok):
        path = args.template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {}
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, r.getheader("Content-Encoding"), r.read()

    failures, notes, lines = [], [], []
    passthrough = 0
    for z, x, y in chosen:
        stored = reader.get(z, x, y)
        if stored is None:
            failures.append(f"{z}/{x}/{y}: not in the archive (is the list from this atlas?)")
            continue
        raw = gzip.decompress(stored) if gz_tiles else stored
        decoded = {}
        for gzip_ok in (True, False):
            label = "gzip" if gzip_ok else "identity"
            status, enc, body = get(z, x, y, gzip_ok)
            if status != 200:
                failures.append(f"{z}/{x}/{y} ({label}): status {status}")
                continue
            if enc == "gzip":
                if not gzip_ok:
                    failures.append(f"{z}/{x}/{y}: gzip sent to a client without Accept-Encoding")
                body_raw = gzip.decompress(body)
                if gzip_ok and body == stored:
                    passthrough += 1
            elif enc in (None, "identity"):
                body_raw = body
            else:
                failures.append(f"{z}/{x}/{y} ({label}): unexpected Content-Encoding {enc}")
                continue
            if body_raw != raw:
                failures.append(f"{z}/{x}/{y} ({label}): {len(body_raw)} bytes after gunzip differ "
                                f"from the archive's {len(raw)}")
            decoded[label] = body_raw
        if decoded:
            lines.append(f"{z}/{x}/{y} {hashlib.sha256(next(iter(decoded.values()))).hexdigest()}\n")

    # An absent tile: the given one, or the first tile east of a listed z14 tile that is absent.
    empty = args.empty
    if empty is None:
        maxz = max(t[0] for t in tiles)
        for z, x, y in tiles:
            if z == maxz:
                for dx in range(1, 4096):
                    if reader.get(z, x + dx, y) is None:
                        empty = f"{z}/{x + dx}/{y}"
                        break
                break
    if empty:
        z, x, y = (int(v) for v in empty.split("/"))
        status, _, body = get(z, x, y, True)
        notes.append(f"absent tile {empty}: status {status}, {len(body)} bytes"
                     + ("" if status == 204 else " (expected 204)"))

    with open(args.digests_out, "w", encoding="ascii") as out:
        out.writelines(lines)
    zooms = sorted({t[0] for t in chosen})
    print(f"check: {len(chosen)} tiles (zooms {zooms[0]}-{zooms[-1]}), gzip and identity: "
          f"{len(chosen) * 2 - len(failures)} of {len(chosen) * 2} match the archive; "
          f"gzip bytes passed through unchanged for {passthrough} of {len(chosen)}")
    for n in notes:
        print("check: " + n)
    for fl in failures:
        print("check: FAIL " + fl, file=sys.stderr)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
