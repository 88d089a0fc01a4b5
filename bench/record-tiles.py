#!/usr/bin/env python3
"""Record a deterministic browsing session's tile requests against an atlas (for bench/replay.lua).

    python3 bench/record-tiles.py ATLAS_DIR OUT.txt [--seed N] [--min-distinct 5000]

The session is simulated, not captured: a number of users with a 1280x800 map in MapLibre GL JS.
MapLibre draws vector tiles as 512-px tiles, so a view at (integer) zoom z asks for the z tiles
that cover 1280x800 px of a world 512 * 2^z px wide, nearest to the centre first. Each user has a
client tile cache like MapLibre's (an LRU of 72 tiles: the view plus (3+1)*(2+1)*5 tiles of its
default cache for this viewport); only cache misses are requests. Repetitions in the list therefore
come from users revisiting places after eviction and from different users browsing the same city,
as the server would see them.

Sessions, weighted towards the cities: a user opens the national view (z5-z7), zooms in step by
step (z+1 per step, towards the pointer) on a city, pans around it at z12-z14 in a random walk
that stays within the city's radius, zooms out now and then, and flies on to another city or
leaves. A smaller share of users pan along rural routes across the country at z10-z12 and dive to
z13-z14 over villages on the way. All randomness comes from one seeded generator (only
random.random(), whose sequence Python guarantees), so the list depends on the archive alone.

Tiles absent from the archive (sea, Belgium, Germany: the archive stores no empty tiles) are
counted, reported and dropped. OUT.txt gets one z/x/y per line in request order, repetitions kept.
Prints per-zoom counts; fails if fewer than --min-distinct distinct tiles remain.
"""

import argparse
import collections
import math
import os
import random
import sys

from pmtiles.tile import deserialize_directory, deserialize_header, tileid_to_zxy

VIEW_W, VIEW_H = 1280, 800
TILE_PX = 512  # MapLibre's vector tile size in CSS px
CLIENT_CACHE = 72
EARTH_KM = 40075.016686

# (name, lon, lat, weight, explore radius in km). Weights: how many visits per round of users.
CITIES = [
    ("Amsterdam", 4.8952, 52.3702, 10, 8.0),
    ("Rotterdam", 4.4777, 51.9244, 8, 8.0),
    ("Den Haag", 4.3007, 52.0705, 7, 7.0),
    ("Utrecht", 5.1214, 52.0907, 7, 6.0),
    ("Eindhoven", 5.4697, 51.4416, 5, 6.0),
    ("Groningen", 6.5665, 53.2194, 5, 5.0),
    ("Tilburg", 5.0913, 51.5555, 4, 5.0),
    ("Almere", 5.2647, 52.3508, 4, 6.0),
    ("Breda", 4.7760, 51.5719, 4, 5.0),
    ("Nijmegen", 5.8528, 51.8126, 4, 5.0),
    ("Almelo", 6.6625, 52.3570, 2, 4.0),
    ("Enschede", 6.8937, 52.2215, 3, 5.0),
    ("Apeldoorn", 5.9699, 52.2112, 2, 5.0),
    ("Arnhem", 5.8987, 51.9851, 2, 5.0),
    ("Haarlem", 4.6462, 52.3874, 2, 4.0),
    ("Amersfoort", 5.3878, 52.1561, 2, 4.0),
    ("Zwolle", 6.0830, 52.5168, 2, 4.0),
    ("'s-Hertogenbosch", 5.3037, 51.6978, 2, 4.0),
    ("Leiden", 4.4970, 52.1601, 2, 3.5),
    ("Maastricht", 5.6909, 50.8514, 2, 4.0),
    ("Leeuwarden", 5.7999, 53.2012, 2, 4.0),
    ("Dordrecht", 4.6900, 51.8133, 1, 4.0),
    ("Zoetermeer", 4.4931, 52.0575, 1, 3.0),
    ("Deventer", 6.1552, 52.2550, 1, 3.5),
    ("Delft", 4.3571, 52.0116, 1, 3.0),
    ("Venlo", 6.1720, 51.3704, 1, 4.0),
    ("Heerlen", 5.9811, 50.8882, 1, 4.0),
    ("Alkmaar", 4.7485, 52.6324, 1, 3.5),
    ("Emmen", 6.9060, 52.7792, 1, 4.0),
    ("Zaandam", 4.8264, 52.4420, 1, 3.0),
    ("Hilversum", 5.1758, 52.2292, 1, 3.5),
    ("Hengelo", 6.7930, 52.2658, 1, 3.5),
    ("Middelburg", 3.6136, 51.4988, 1, 3.0),
    ("Assen", 6.5625, 52.9925, 1, 3.0),
    ("Lelystad", 5.4714, 52.5185, 1, 4.0),
]

# Rural pans: waypoints (lon, lat) followed in order.
ROUTES = [
    ("Kop van Noord-Holland - Friesland - Groningen",
     [(4.7593, 52.9563), (5.4210, 53.1740), (5.7999, 53.2012), (6.0990, 53.1070),
      (6.5665, 53.2194), (6.9290, 53.3300)]),
    ("Drenthe", [(6.5665, 53.2194), (6.5625, 52.9925), (6.9060, 52.7792), (6.7400, 52.6600),
                 (6.6200, 52.5700)]),
    ("Salland - Achterhoek", [(6.0830, 52.5168), (6.1552, 52.2550), (6.1960, 52.1380),
                              (6.2980, 51.9650), (6.7200, 51.9650)]),
    ("Veluwe", [(5.3878, 52.1561), (5.5840, 52.1400), (5.9699, 52.2112), (5.6650, 52.0400),
                (5.8987, 51.9851)]),
    ("Zeeland - West-Brabant", [(3.5730, 51.4420), (3.6136, 51.4988), (3.8900, 51.5040),
                                (3.9180, 51.6500), (4.2920, 51.4950), (4.4650, 51.5300)]),
    ("Rivierenland - Oost-Brabant", [(4.9740, 51.8300), (5.4300, 51.8870), (5.5180, 51.7650),
                                     (5.6170, 51.6550), (5.6610, 51.4800), (5.7060, 51.2510)]),
    ("Limburg", [(6.1720, 51.3704), (5.9870, 51.1940), (5.8700, 51.0000), (5.6909, 50.8514)]),
    ("West-Friesland", [(4.7485, 52.6324), (5.0590, 52.6420), (5.2900, 52.7030),
                        (5.1030, 52.7720)]),
    ("Flevoland - Noordoostpolder", [(5.4714, 52.5185), (5.7180, 52.5180), (5.7480, 52.7110),
                                     (5.6000, 52.6610)]),
    ("Groene Hart", [(4.4970, 52.1601), (4.6610, 52.1290), (4.7100, 52.0120), (4.8830, 52.0860),
                     (5.1214, 52.0907)]),
    ("Twente", [(6.6625, 52.3570), (6.7930, 52.2658), (6.8937, 52.2215), (7.0300, 52.2500),
                (6.7500, 52.0500)]),
]
NL_CENTRE = (5.2909, 52.1525)


def mercator(lon, lat):
    """(lon, lat) -> world coordinates in [0, 1), y down."""
    s = math.sin(math.radians(lat))
    return (lon + 180.0) / 360.0, 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)


def km_to_units(km, lat):
    return km / (EARTH_KM * math.cos(math.radians(lat)))


def archive_tiles(path):
    """Every (z, x, y) the PMTiles directory addresses (leaf directories followed)."""
    with open(path, "rb") as f:
        data = f.read()
    header = deserialize_header(data[:127])
    out = set()

    def walk(offset, length):
        for e in deserialize_directory(data[offset:offset + length]):
            if e.run_length == 0:
                walk(header["leaf_directory_offset"] + e.offset, e.length)
            else:
                for i in range(e.run_length):
                    out.add(tileid_to_zxy(e.tile_id + i))

    walk(header["root_offset"], header["root_length"])
    return out, header["min_zoom"], header["max_zoom"]


class Recorder:
    def __init__(self, minz, maxz):
        self.minz, self.maxz = minz, maxz
        self.requests = []
        self.views = collections.Counter()

    def new_user(self):
        self.cache = collections.OrderedDict()

    def view(self, mx, my, z):
        """One rendered view centred on world (mx, my) at zoom z: request the uncached tiles."""
        z = max(self.minz, min(self.maxz, z))
        self.views[z] += 1
        n = 1 << z
        cx, cy = mx * n * TILE_PX, my * n * TILE_PX
        x0 = math.floor((cx - VIEW_W / 2) / TILE_PX)
        x1 = math.floor((cx + VIEW_W / 2 - 1e-6) / TILE_PX)
        y0 = max(0, math.floor((cy - VIEW_H / 2) / TILE_PX))
        y1 = min(n - 1, math.floor((cy + VIEW_H / 2 - 1e-6) / TILE_PX))
        tiles = [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
        tiles.sort(key=lambda t: ((t[0] + 0.5) * TILE_PX - cx) ** 2 + ((t[1] + 0.5) * TILE_PX - cy) ** 2)
        for x, y in tiles:
            key = (z, x % n, y)
            if key in self.cache:
                self.cache.move_to_end(key)
            else:
                self.requests.append(key)
                self.cache[key] = True
        while len(self.cache) > CLIENT_CACHE:
            self.cache.popitem(last=False)


class Session:
    def __init__(self, seed, minz, maxz):
        self.rng = random.Random(seed)
        self.rec = Recorder(minz, maxz)
        self.minz, self.maxz = minz, maxz

    def u(self, a, b):
        return a + (b - a) * self.rng.random()

    def pick(self, seq):
        return seq[min(len(seq) - 1, int(self.rng.random() * len(seq)))]

    def zoom_to(self, pos, z, target, z_target):
        """Wheel-zoom one level per step towards a target point (it drifts towards the centre)."""
        mx, my = pos
        tx, ty = target
        while z != z_target:
            z += 1 if z_target > z else -1
            f = 0.5 if z_target > z - 1 else 0.0
            mx, my = mx + (tx - mx) * f, my + (ty - my) * f
            self.rec.view(mx, my, z)
        if z_target >= z:
            mx, my = tx, ty
            self.rec.view(mx, my, z)
        return (mx, my), z

    def pan_steps(self, pos, z, steps, anchor, radius, heading):
        """Random-walk pans at zoom z, each 30-70% of the viewport, turned back within radius."""
        mx, my = pos
        ax, ay = anchor
        for _ in range(steps):
            dist = math.hypot(mx - ax, my - ay)
            if dist > radius:
                back = math.atan2(ay - my, ax - mx)
                heading = back + self.u(-0.6, 0.6)
            else:
                heading += self.u(-0.9, 0.9)
            step = self.u(0.3, 0.7) * VIEW_W / (TILE_PX * (1 << z))
            mx += step * math.cos(heading)
            my += step * math.sin(heading) * 0.75
            self.rec.view(mx, my, z)
        return (mx, my), heading

    def city_visit(self, pos, z, city, visits_left):
        _, lon, lat, _, radius_km = city
        centre = mercator(lon, lat)
        radius = km_to_units(radius_km, lat)
        # A first target somewhere in the city (not always its centre).
        a = self.u(0, 2 * math.pi)
        r = radius * math.sqrt(self.rng.random()) * 0.6
        target = (centre[0] + r * math.cos(a), centre[1] + r * math.sin(a) * 0.6)
        pos, z = self.zoom_to(pos, z, target, self.pick([12, 13, 13, 14, 14, 14]))
        heading = self.u(0, 2 * math.pi)
        for _ in range(int(self.u(3, 7))):
            pos, heading = self.pan_steps(pos, z, int(self.u(4, 14)), centre, radius, heading)
            roll = self.rng.random()
            if roll < 0.25 and z > 12:  # zoom out one or two levels, look around, zoom back in
                zo = z - self.pick([1, 1, 2])
                pos, _ = self.zoom_to(pos, z, pos, zo)
                pos, heading = self.pan_steps(pos, zo, int(self.u(1, 4)), centre, radius, heading)
                a = self.u(0, 2 * math.pi)
                r = radius * math.sqrt(self.rng.random())
                target = (centre[0] + r * math.cos(a), centre[1] + r * math.sin(a) * 0.6)
                pos, z = self.zoom_to(pos, zo, target, min(self.maxz, zo + self.pick([1, 2, 2])))
            elif roll < 0.45 and z < self.maxz:
                pos, z = self.zoom_to(pos, z, pos, z + 1)
            elif roll < 0.55 and z > 12:
                pos, z = self.zoom_to(pos, z, pos, z - 1)
        if visits_left > 0:  # fly on: out to the region, across, and in again
            pos, z = self.zoom_to(pos, z, pos, self.pick([8, 9, 9, 10]))
        return pos, z

    def user_cities(self, cities):
        self.rec.new_user()
        z = self.pick([5, 6, 6, 7, 7, 7])
        pos = mercator(*NL_CENTRE)
        self.rec.view(*pos, z)
        for i, city in enumerate(cities):
            pos, z = self.city_visit(pos, z, city, len(cities) - 1 - i)

    def user_rural(self, route):
        self.rec.new_user()
        _, points = route
        z = self.pick([6, 7, 7])
        pos = mercator(*NL_CENTRE)
        self.rec.view(*pos, z)
        if self.rng.random() < 0.5:
            points = points[::-1]
        start = mercator(*points[0])
        pos, z = self.zoom_to(pos, z, start, self.pick([10, 11, 11, 12]))
        heading = 0.0
        for lon, lat in points[1:]:
            goal = mercator(lon, lat)
            while True:
                dx, dy = goal[0] - pos[0], goal[1] - pos[1]
                dist = math.hypot(dx, dy)
                step = self.u(0.35, 0.6) * VIEW_W / (TILE_PX * (1 << z))
                if dist <= step:
                    break
                wobble = self.u(-0.25, 0.25)
                heading = math.atan2(dy, dx) + wobble
                pos = (pos[0] + step * math.cos(heading), pos[1] + step * math.sin(heading))
                self.rec.view(*pos, z)
                if self.rng.random() < 0.12:  # a village on the way: dive in, look around, back up
                    zd = self.pick([13, 14, 14])
                    p2, _ = self.zoom_to(pos, z, pos, zd)
                    p2, _ = self.pan_steps(p2, zd, int(self.u(3, 10)), pos,
                                           km_to_units(2.5, lat), self.u(0, 2 * math.pi))
                    p2, _ = self.zoom_to(p2, zd, p2, z)
                    pos = p2
            if self.rng.random() < 0.3:  # change zoom between legs
                pos, z = self.zoom_to(pos, z, pos, self.pick([10, 11, 12]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("atlas_dir")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--rounds", type=int, default=4,
                    help="rounds of users: each round visits every city by its weight, and runs every rural route")
    ap.add_argument("--min-distinct", type=int, default=5000)
    args = ap.parse_args()

    pm = os.path.join(args.atlas_dir, "atlas.pmtiles")
    if not os.path.isfile(pm):
        sys.exit(f"record-tiles: {pm} not found (build the atlas with `mdi-atlas build` and `mdi-atlas tiles`)")
    present, minz, maxz = archive_tiles(pm)

    s = Session(args.seed, minz, maxz)
    for _ in range(args.rounds):
        # City users: a shuffled deck of the cities repeated by weight; each user visits 1-3.
        deck = [c for c in CITIES for _ in range(c[3])]
        for i in range(len(deck) - 1, 0, -1):
            j = int(s.rng.random() * (i + 1))
            deck[i], deck[j] = deck[j], deck[i]
        rural = list(ROUTES)
        while deck or rural:
            if deck and (not rural or s.rng.random() < 0.8):
                k = min(len(deck), s.pick([1, 1, 2, 2, 3]))
                s.user_cities(deck[:k])
                deck = deck[k:]
            else:
                s.user_rural(rural.pop(int(s.rng.random() * len(rural))))

    recorded = s.rec.requests
    kept = [t for t in recorded if t in present]
    per_zoom = collections.defaultdict(lambda: [0, 0, 0, set()])
    for t in recorded:
        row = per_zoom[t[0]]
        row[0] += 1
        if t in present:
            row[1] += 1
            row[3].add(t)
        else:
            row[2] += 1
    distinct = len(set(kept))
    empty = len(recorded) - len(kept)

    with open(args.out, "w", encoding="ascii") as f:
        for z, x, y in kept:
            f.write(f"{z}/{x}/{y}\n")

    print(f"recorded {len(recorded)} requests in {sum(s.rec.views.values())} views; "
          f"{empty} empty (not in the archive, {100.0 * empty / max(1, len(recorded)):.1f}%) dropped; "
          f"{len(kept)} kept, {distinct} distinct of {len(present)} archive tiles -> {args.out}")
    print(f"{'zoom':>4} {'views':>6} {'recorded':>9} {'empty':>7} {'kept':>7} {'distinct':>9} {'in archive':>10}")
    present_z = collections.Counter(t[0] for t in present)
    for z in range(minz, maxz + 1):
        r = per_zoom[z]
        print(f"{z:>4} {s.rec.views[z]:>6} {r[0]:>9} {r[2]:>7} {r[1]:>7} {len(r[3]):>9} {present_z[z]:>10}")
    if distinct < args.min_distinct:
        sys.exit(f"record-tiles: only {distinct} distinct tiles, fewer than --min-distinct {args.min_distinct}")


if __name__ == "__main__":
    main()
