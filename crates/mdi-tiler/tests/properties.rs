//! Property tests of the tiler's geometry: clipping to a tile conserves the area inside the
//! tile (checked against an independent polygon–box intersection), and the simplified,
//! snapped and clipped polygons of every zoom are valid rings whose neighbours share their
//! borders exactly (checked on the decoded tiles of random partitions of a square).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::f64::consts::PI;
use std::io::Read;

use geo_types::{LineString, MultiPolygon, Polygon};
use geozero::mvt::{Message, Tile};
use mdi_tiler::clip::{Clipper, GridPoint, area2};
use mdi_tiler::input::{Prop, PropKind, TileFeature, TileInput, TileLayer};
use mdi_tiler::{TileOptions, generate};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Clipping

/// A star-shaped ring around `(cx, cy)`: vertex `k` at angle `2π (k + 0.8 j_k) / n` and radius
/// `r_k`, rounded to the grid. Angles strictly increase, so the ring is simple (its gaps stay
/// well above what rounding moves a vertex).
fn star(cx: i32, cy: i32, jitter: &[f64], radii: &[f64]) -> Vec<GridPoint> {
    let n = jitter.len() as f64;
    jitter
        .iter()
        .zip(radii)
        .enumerate()
        .map(|(k, (j, r))| {
            let a = 2.0 * PI * (k as f64 + 0.8 * j) / n;
            [
                cx + (r * a.cos()).round() as i32,
                cy + (r * a.sin()).round() as i32,
            ]
        })
        .collect()
}

/// The part of a ring inside the box `[lo, hi]²`, by Sutherland–Hodgman in floating point
/// (exact crossings, not rounded to the grid): an independent reference for the clipper. For a
/// convex window the output's signed area is the signed area of the ring inside it.
fn reference_clip(ring: &[GridPoint], lo: f64, hi: f64) -> (Vec<[f64; 2]>, usize) {
    let mut pts: Vec<[f64; 2]> = ring
        .iter()
        .map(|p| [f64::from(p[0]), f64::from(p[1])])
        .collect();
    let mut crossings = 0;
    for (axis, bound, above) in [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)] {
        let inside = |p: &[f64; 2]| {
            if above {
                p[axis] >= bound
            } else {
                p[axis] <= bound
            }
        };
        let mut out = Vec::new();
        for i in 0..pts.len() {
            let (p, q) = (pts[i], pts[(i + 1) % pts.len()]);
            if inside(&p) {
                out.push(p);
            }
            if inside(&p) != inside(&q) {
                let t = (bound - p[axis]) / (q[axis] - p[axis]);
                let mut x = [0.0; 2];
                x[axis] = bound;
                x[1 - axis] = p[1 - axis] + t * (q[1 - axis] - p[1 - axis]);
                out.push(x);
                crossings += 1;
            }
        }
        pts = out;
    }
    (pts, crossings)
}

fn signed_area(ring: &[[f64; 2]]) -> f64 {
    let n = ring.len();
    (0..n)
        .map(|i| ring[i][0] * ring[(i + 1) % n][1] - ring[(i + 1) % n][0] * ring[i][1])
        .sum::<f64>()
        / 2.0
}

/// An exterior star (radii 200–5000 grid units) with, when it has 8 or more vertices, a hole
/// star of radii 20–90 around the same centre (inside: the exterior keeps a disc of radius
/// over 150 around its centre), turned the other way round.
fn polygon_strategy() -> impl Strategy<Value = Vec<Vec<GridPoint>>> {
    (
        (-3000i32..7000, -3000i32..7000, 200.0f64..5000.0),
        (3usize..24).prop_flat_map(|n| {
            (
                prop::collection::vec(0.0f64..1.0, n),
                prop::collection::vec(0.0f64..1.0, n),
            )
        }),
        (3usize..8).prop_flat_map(|n| {
            (
                prop::collection::vec(0.0f64..1.0, n),
                prop::collection::vec(20.0f64..90.0, n),
            )
        }),
        any::<bool>(),
    )
        .prop_map(|((cx, cy, spread), (jit, rad), (hjit, hrad), hole)| {
            let radii: Vec<f64> = rad.iter().map(|r| 200.0 + r * spread).collect();
            let mut rings = vec![star(cx, cy, &jit, &radii)];
            if hole && jit.len() >= 8 {
                let mut h = star(cx, cy, &hjit, &hrad);
                h.reverse();
                rings.push(h);
            }
            rings
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The area of the clipped polygon is the area of polygon ∩ tile box, within what rounding
    /// the crossings to the grid may move (a quarter of the box's diagonal per crossing).
    #[test]
    fn clipping_conserves_the_area_inside_the_tile(
        rings in polygon_strategy(),
        offset in (-2000i64..2000, -2000i64..2000),
        buffer in 0i32..256,
    ) {
        let (min, max) = (-buffer, 4096 + buffer);
        let refs: Vec<&[GridPoint]> = rings.iter().map(Vec::as_slice).collect();
        let clipped = Clipper::new().clip(&refs, [offset.0, offset.1], min, max);

        let mut expected = 0.0;
        let mut crossings = 0;
        for ring in &rings {
            let moved: Vec<GridPoint> = ring
                .iter()
                .map(|p| [p[0] + offset.0 as i32, p[1] + offset.1 as i32])
                .collect();
            let (part, c) = reference_clip(&moved, f64::from(min), f64::from(max));
            expected += signed_area(&part);
            crossings += c;
        }
        // The clipper puts exteriors positive; the stars' exteriors run either way.
        let expected = expected.abs();
        let got: f64 = clipped
            .iter()
            .flat_map(|poly| poly.iter())
            .map(|r| area2(r) as f64 / 2.0)
            .sum();
        let diagonal = f64::from(max - min) * std::f64::consts::SQRT_2;
        let tolerance = 0.25 * diagonal * crossings as f64 + 2.0;
        prop_assert!(
            (got - expected).abs() <= tolerance,
            "clipped area {got}, expected {expected} (± {tolerance}, {crossings} crossings)"
        );
        for poly in &clipped {
            for (k, ring) in poly.iter().enumerate() {
                prop_assert!(ring.len() >= 3);
                prop_assert_eq!(area2(ring) > 0, k == 0, "exteriors positive, holes negative");
                prop_assert!(ring.iter().all(|p| (min..=max).contains(&p[0]) && (min..=max).contains(&p[1])));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Simplification: valid rings, identical shared borders

/// A border from `a` to `b` (degrees) through `offsets.len()` inner vertices, each moved
/// across the border by `offset × amplitude × sin(πt)`: tapered to zero at the corners, so
/// the borders meeting there never cross (the amplitude is a quarter of a cell at most).
fn border(a: (f64, f64), b: (f64, f64), offsets: &[f64], amplitude: f64) -> Vec<(f64, f64)> {
    let n = offsets.len() + 1;
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx.hypot(dy);
    (0..=n)
        .map(|k| {
            let t = k as f64 / n as f64;
            let o = if k == 0 || k == n {
                0.0
            } else {
                offsets[k - 1]
            };
            let w = o * amplitude * (t * PI).sin();
            (a.0 + t * dx - w * dy / len, a.1 + t * dy + w * dx / len)
        })
        .collect()
}

/// A partition of a rectangle into `nx × ny` cells (buurten) with wavy shared borders, and the
/// gemeente around them (its outline made of the same vertices).
fn partition(nx: usize, ny: usize, cell: f64, offsets: &[Vec<f64>]) -> TileInput {
    let corner = |i: usize, j: usize| (4.85 + cell * i as f64, 52.33 + 0.6 * cell * j as f64);
    let amplitude = 0.25 * 0.6 * cell;
    let mut next = offsets.iter().cycle();
    let h: Vec<Vec<_>> = (0..nx)
        .map(|i| {
            (0..=ny)
                .map(|j| {
                    let o = next.next().unwrap();
                    // The outline's borders stay straight: only inner borders wave.
                    let amp = if j == 0 || j == ny { 0.0 } else { amplitude };
                    border(corner(i, j), corner(i + 1, j), o, amp)
                })
                .collect()
        })
        .collect();
    let v: Vec<Vec<_>> = (0..=nx)
        .map(|i| {
            (0..ny)
                .map(|j| {
                    let o = next.next().unwrap();
                    let amp = if i == 0 || i == nx { 0.0 } else { amplitude };
                    border(corner(i, j), corner(i, j + 1), o, amp)
                })
                .collect()
        })
        .collect();
    let rev = |p: &Vec<(f64, f64)>| p.iter().rev().copied().collect::<Vec<_>>();
    let chain = |parts: Vec<Vec<(f64, f64)>>| {
        let mut ring: Vec<(f64, f64)> = Vec::new();
        for q in parts.into_iter().flatten() {
            if ring.last() != Some(&q) {
                ring.push(q);
            }
        }
        LineString::from(ring)
    };
    let mut cells = Vec::new();
    for i in 0..nx {
        for j in 0..ny {
            let ring = chain(vec![
                h[i][j].clone(),
                v[i + 1][j].clone(),
                rev(&h[i][j + 1]),
                rev(&v[i][j]),
            ]);
            cells.push(feature(&format!("BU{i}{j}"), ring));
        }
    }
    let outline = chain(vec![
        (0..nx).flat_map(|i| h[i][0].clone()).collect(),
        (0..ny).flat_map(|j| v[nx][j].clone()).collect(),
        (0..nx).rev().flat_map(|i| rev(&h[i][ny])).collect(),
        (0..ny).rev().flat_map(|j| rev(&v[0][j])).collect(),
    ]);
    let gemeente = feature("GM0001", outline);
    let layer = |level: &str, name: &str, prefix: &str, features| TileLayer {
        level: level.into(),
        name: name.into(),
        title: name.into(),
        code_prefix: prefix.into(),
        features,
        requested_zooms: None,
    };
    TileInput {
        title: "t".into(),
        description: String::new(),
        attribution: String::new(),
        years: vec!["2024".into()],
        domains: vec![],
        layers: vec![
            layer("buurt", "buurten", "BU", cells),
            layer("gemeente", "gemeenten", "GM", vec![gemeente]),
        ],
        keys: vec![("code".into(), PropKind::Text)],
        values: vec![Prop::Text("x".into())],
    }
}

fn feature(code: &str, ring: LineString<f64>) -> TileFeature {
    TileFeature {
        code: code.into(),
        name: code.into(),
        id: mdi_tiler::id::feature_id(code, 0, "BU"),
        geometry: MultiPolygon(vec![Polygon::new(ring, vec![])]),
        collapsed: false,
        properties: vec![(0, 0)],
    }
}

type Ring = Vec<[i64; 2]>;

/// The rings of MVT polygon commands, decoded here from the specification (not with the
/// tiler's encoder).
fn decode_rings(geometry: &[u32]) -> Vec<Ring> {
    let (mut out, mut cur, mut i) = (Vec::new(), [0i64; 2], 0);
    let mut ring: Ring = Vec::new();
    while i < geometry.len() {
        let (id, count) = (geometry[i] & 7, geometry[i] >> 3);
        i += 1;
        if id == 7 {
            out.push(std::mem::take(&mut ring));
            continue;
        }
        for _ in 0..count {
            let d = |v: u32| i64::from((v >> 1) as i32 ^ -((v & 1) as i32));
            cur = [cur[0] + d(geometry[i]), cur[1] + d(geometry[i + 1])];
            i += 2;
            ring.push(cur);
        }
    }
    out
}

fn ring_area2(r: &[[i64; 2]]) -> i64 {
    (0..r.len())
        .map(|k| r[k][0] * r[(k + 1) % r.len()][1] - r[(k + 1) % r.len()][0] * r[k][1])
        .sum()
}

fn cross(o: [i64; 2], a: [i64; 2], b: [i64; 2]) -> i128 {
    i128::from(a[0] - o[0]) * i128::from(b[1] - o[1])
        - i128::from(a[1] - o[1]) * i128::from(b[0] - o[0])
}

/// Whether `p` lies on the closed segment `a–b`.
fn on_segment(p: [i64; 2], a: [i64; 2], b: [i64; 2]) -> bool {
    cross(a, b, p) == 0
        && p[0] >= a[0].min(b[0])
        && p[0] <= a[0].max(b[0])
        && p[1] >= a[1].min(b[1])
        && p[1] <= a[1].max(b[1])
}

/// Whether segments `a–b` and `c–d` share any point.
fn segments_meet(a: [i64; 2], b: [i64; 2], c: [i64; 2], d: [i64; 2]) -> bool {
    let (d1, d2, d3, d4) = (
        cross(c, d, a),
        cross(c, d, b),
        cross(a, b, c),
        cross(a, b, d),
    );
    if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
        return true;
    }
    on_segment(a, c, d) || on_segment(b, c, d) || on_segment(c, a, b) || on_segment(d, a, b)
}

/// A ring is simple: distinct vertices, and no two edges meet except adjacent ones at their
/// shared vertex.
fn is_simple(r: &[[i64; 2]]) -> bool {
    let n = r.len();
    let mut sorted = r.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    if sorted.len() != n {
        return false;
    }
    for i in 0..n {
        for j in i + 1..n {
            let adjacent = j == i + 1 || (i == 0 && j == n - 1);
            let (a, b, c, d) = (r[i], r[(i + 1) % n], r[j], r[(j + 1) % n]);
            if adjacent {
                // Adjacent edges meet only at their shared vertex: no fold back along each other.
                let (shared, p, q) = if j == i + 1 { (b, a, d) } else { (a, b, c) };
                if cross(shared, p, q) == 0
                    && (i128::from(p[0] - shared[0]) * i128::from(q[0] - shared[0])
                        + i128::from(p[1] - shared[1]) * i128::from(q[1] - shared[1]))
                        > 0
                {
                    return false;
                }
            } else if segments_meet(a, b, c, d) {
                return false;
            }
        }
    }
    true
}

/// The boundary of a set of rings as a 1-chain: directed unit pieces (every edge split at
/// every vertex of `all` on it) with their multiplicities, opposite pieces cancelled.
fn boundary(rings: &[Ring], all: &[[i64; 2]]) -> BTreeMap<([i64; 2], [i64; 2]), i64> {
    let mut chain: BTreeMap<([i64; 2], [i64; 2]), i64> = BTreeMap::new();
    for r in rings {
        for k in 0..r.len() {
            let (a, b) = (r[k], r[(k + 1) % r.len()]);
            let mut cuts: Vec<[i64; 2]> = all
                .iter()
                .copied()
                .filter(|&p| p != a && p != b && on_segment(p, a, b))
                .collect();
            let d = |p: &[i64; 2]| (p[0] - a[0]).abs() + (p[1] - a[1]).abs();
            cuts.sort_by_key(d);
            cuts.dedup();
            let mut from = a;
            for to in cuts.into_iter().chain(std::iter::once(b)) {
                if from < to {
                    *chain.entry((from, to)).or_default() += 1;
                } else {
                    *chain.entry((to, from)).or_default() -= 1;
                }
                from = to;
            }
        }
    }
    chain.retain(|_, m| *m != 0);
    chain
}

fn partition_strategy() -> impl Strategy<Value = (usize, usize, f64, Vec<Vec<f64>>)> {
    (
        2usize..4,
        2usize..4,
        0.01f64..0.03,
        prop::collection::vec(prop::collection::vec(-1.0f64..1.0, 1..30), 1..24),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// At every zoom, in every tile: each buurt ring is closed (decodes with ClosePath), simple,
    /// of nonzero area and oriented as MVT asks (or the buurt is dropped), and the buurten's
    /// boundaries add up exactly to the gemeente's: shared borders are identical on both
    /// sides, so neighbours neither gap nor overlap.
    #[test]
    fn simplified_rings_are_valid_and_neighbours_share_borders(
        (nx, ny, cell, offsets) in partition_strategy()
    ) {
        let input = partition(nx, ny, cell, &offsets);
        let options = TileOptions { min_zoom: 8, max_zoom: 13, ..TileOptions::default() };
        let set = generate(&input, &options, &|_| {}).unwrap();
        let tiles = set.tiles.to_vec().unwrap();
        prop_assert!(!tiles.is_empty());
        for (c, bytes) in &tiles {
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(bytes.as_slice()).read_to_end(&mut raw).unwrap();
            let tile = Tile::decode(raw.as_slice()).unwrap();
            let layer = |name: &str| tile.layers.iter().find(|l| l.name == name);
            let mut cells: Vec<Ring> = Vec::new();
            for f in layer("buurten").map_or(&[][..], |l| &l.features[..]) {
                let rings = decode_rings(&f.geometry);
                prop_assert!(!rings.is_empty(), "z{} {:?}: a feature without rings", c.z, c);
                let mut exterior = true;
                for r in &rings {
                    prop_assert!(r.len() >= 3, "{c:?}: a ring of {} points", r.len());
                    let a = ring_area2(r);
                    prop_assert!(a != 0, "{c:?}: a ring of zero area");
                    // A positive ring starts a polygon; its holes follow, negative.
                    if a > 0 { exterior = false; } else { prop_assert!(!exterior, "{c:?}: a hole before any exterior"); }
                    prop_assert!(is_simple(r), "{c:?}: ring {r:?} is not simple");
                }
                cells.extend(rings);
            }
            let parent: Vec<Ring> = layer("gemeenten")
                .map_or(&[][..], |l| &l.features[..])
                .iter()
                .flat_map(|f| decode_rings(&f.geometry))
                .collect();
            let all: Vec<[i64; 2]> = cells.iter().chain(&parent).flatten().copied().collect();
            prop_assert_eq!(
                boundary(&cells, &all),
                boundary(&parent, &all),
                "z{} {:?}: the buurten's borders do not add up to the gemeente's", c.z, c
            );
        }
    }
}
