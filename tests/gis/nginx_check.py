#!/usr/bin/env python3
"""deploy/nginx.conf, run by Debian's nginx in front of a running `mdi-atlas serve`.

    python3 nginx_check.py BASE_URL ATLAS_DIR NGINX_CONF

The file is used as it is, with only its upstream address, listen address, cache folder and
static folder replaced (a temporary folder holds the cache, the logs and a static copy of
ATLAS_DIR's atlas.pmtiles and metadata.json). Through nginx:

a. /ready and /tiles.json answer; TileJSON's tile URLs and the OGC collections' links point at
   nginx (the Host it was asked by), not at the replica;
b. a tile is the replica's bytes; asked twice, the second answer comes from nginx's cache
   (X-Cache-Status HIT), and a 404 route is not cached;
c. /static/atlas.pmtiles answers a range request with 206 and the archive's first bytes (the
   PMTiles v3 magic), with CORS for browsers.

Prints one JSON summary. Exit status: 0 pass, 1 a check failed, 3 nginx is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

failures: list[str] = []


def check(name, ok, detail=""):
    if not ok:
        failures.append(f"{name}: {detail}")


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, atlas, conf_path = argv[1].rstrip("/"), argv[2], argv[3]
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if nginx is None:
        print(json.dumps({"ok": False, "missing_modules": ["nginx (apt-get install nginx)"]}))
        print("nginx is not installed (apt-get install nginx)", file=sys.stderr)
        return 3
    upstream = base.split("://", 1)[1]
    tmp = tempfile.mkdtemp(prefix="mdi-nginx-")
    port = free_port()
    site = os.path.join(tmp, "site")
    os.makedirs(site)
    for f in ("atlas.pmtiles", "metadata.json"):
        shutil.copy(os.path.join(atlas, f), site)
    conf = open(conf_path).read()
    for old, new in [
        ("server 127.0.0.1:8080", f"server {upstream}"),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("/var/cache/nginx/mdi-atlas", os.path.join(tmp, "cache")),
        ("/srv/mdi-atlas/site/", site + "/"),
    ]:
        check(f"the config holds `{old}`", old in conf, "deploy/nginx.conf changed: update this check")
        conf = conf.replace(old, new)
    open(os.path.join(tmp, "mdi-atlas.conf"), "w").write(conf)
    temps = " ".join(f"{k}_temp_path {tmp}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root (CI), the workers would run as nobody and could not read the temporary folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    main_conf = (
        f"{user}daemon off; worker_processes 1; pid {tmp}/nginx.pid; error_log {tmp}/error.log;\n"
        f"events {{ worker_connections 256; }}\n"
        f"http {{ access_log {tmp}/access.log; {temps}\n"
        f"  include /etc/nginx/mime.types;\n"
        f"  include {tmp}/mdi-atlas.conf; }}\n"
    )
    open(os.path.join(tmp, "nginx.conf"), "w").write(main_conf)
    t = subprocess.run([nginx, "-t", "-p", tmp, "-c", f"{tmp}/nginx.conf"], capture_output=True, text=True)
    check("nginx -t accepts the config", t.returncode == 0, t.stderr[-1000:])
    proc = subprocess.Popen([nginx, "-p", tmp, "-c", f"{tmp}/nginx.conf"], stderr=subprocess.PIPE)
    front = f"http://127.0.0.1:{port}"
    summary = {}
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        s, _, body = get(f"{front}/ready")
        check("/ready through nginx", s == 200, f"{s} {body[:200]}")
        s, _, body = get(f"{front}/tiles.json")
        tj = json.loads(body) if s == 200 else {}
        urls = tj.get("tiles", [])
        check("TileJSON's URLs point at nginx", s == 200 and urls and all(u.startswith(front + "/") for u in urls), f"{s} {urls}")
        s, _, body = get(f"{front}/collections")
        hrefs = [l["href"] for c in json.loads(body).get("collections", []) for l in c["links"]] if s == 200 else []
        check("OGC links point at nginx", hrefs and all(h.startswith(front + "/") for h in hrefs), f"{hrefs[:3]}")
        # A tile inside the archive: the centre of the TileJSON at its middle zoom.
        z = (tj["minzoom"] + tj["maxzoom"]) // 2
        lon, lat = tj["center"][0], tj["center"][1]
        import math
        n = 2 ** z
        x = int((lon + 180) / 360 * n)
        y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
        path = f"/tiles/{z}/{x}/{y}.mvt"
        gz = {"Accept-Encoding": "gzip"}
        s0, _, direct = get(base + path, gz)
        s1, h1, first = get(front + path, gz)
        s2, h2, second = get(front + path, gz)
        check("a tile through nginx is the replica's bytes", s0 == s1 == 200 and first == direct, f"{s0} {s1} {len(first)} vs {len(direct)}")
        check("the second request comes from nginx's cache", h1.get("x-cache-status") == "MISS" and h2.get("x-cache-status") == "HIT" and second == direct,
              f"{h1.get('x-cache-status')} then {h2.get('x-cache-status')}")
        s, h, _ = get(front + "/no/such/route")
        check("an unknown route is the replica's 404, not cached", s == 404 and "x-cache-status" not in h, f"{s} {h}")
        s, h, body = get(f"{front}/static/atlas.pmtiles", {"Range": "bytes=0-126", "Origin": "https://example.org"})
        check("PMTiles by range from the static folder", s == 206 and len(body) == 127 and body[:7] == b"PMTiles" and body[7] == 3,
              f"{s} {len(body)} {body[:8]!r}")
        check("CORS on the static files", h.get("access-control-allow-origin") == "*", f"{h}")
        check("Content-Range of the static range", re.match(r"bytes 0-126/\d+", h.get("content-range", "")) is not None, f"{h.get('content-range')}")
        summary = {"nginx": subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip(), "tile": path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        err = open(os.path.join(tmp, "error.log")).read() if os.path.exists(os.path.join(tmp, "error.log")) else ""
        shutil.rmtree(tmp, ignore_errors=True)
    summary["failures"] = failures
    if failures:
        summary["error_log"] = err[-2000:]
    summary["ok"] = not failures
    print(json.dumps(summary, indent=2))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
