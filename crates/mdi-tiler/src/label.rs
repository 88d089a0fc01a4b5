//! Label points: the pole of inaccessibility of an area, the interior point farthest from its
//! outline (the centre of the largest circle that fits inside).
//!
//! [`pole_of_inaccessibility`] is the *polylabel* cell search (V. Agafonkin, Mapbox, 2016),
//! written from its description, with a bounded number of distance evaluations and the rule
//! that the answer must be an interior point; it is deterministic. `docs/TILES.md` ("Label
//! points") describes the search and the two additions.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};

/// The most signed-distance evaluations ("probes") made for one polygon: the two seeds, the
/// initial grid and all refinements together.
const MAX_PROBES: usize = 10_000;

/// The most cells of the initial grid of one polygon (plus one, against rounding).
const MAX_INITIAL_CELLS: usize = 1_000;

/// The pole of inaccessibility of a multipolygon: the interior point farthest from its outline,
/// to within `precision` (same units as the coordinates).
///
/// Coordinates are planar (the tiler passes Web Mercator world units in `[0, 1]`, y down), so
/// distances are Euclidean. Distances are taken to all rings, exterior and holes; a point inside
/// a hole is outside. For a multipolygon the result is the best point over all its polygons
/// (the largest distance; on a tie, the earlier polygon).
///
/// `precision` may be any positive finite value; if it is not (zero, negative, NaN, infinite),
/// the longer side of the geometry's bounding box divided by 1,000 is used. The work per polygon
/// is bounded (see the [module documentation](self)); when the bound is reached the result may
/// be less precise than asked, but it is still an interior point whenever one was found.
///
/// Returns `None` for an empty geometry (no polygons, or no finite coordinates). A degenerate
/// polygon (zero area up to rounding: rings collapsed to one or two distinct points, or all
/// collinear) and a polygon with non-finite coordinates have no interior point; if no polygon of
/// the geometry has one, the result is the mean of the distinct finite coordinates of the whole
/// geometry, so every area still gets a label point.
#[must_use]
pub fn pole_of_inaccessibility(geometry: &MultiPolygon<f64>, precision: f64) -> Option<Coord<f64>> {
    let bbox = BBox::of(geometry.iter().flat_map(polygon_coords))?;
    let precision = if precision.is_finite() && precision > 0.0 {
        precision
    } else {
        bbox.width().max(bbox.height()) / 1000.0
    };

    let mut best: Option<PolygonPole> = None;
    for polygon in geometry {
        let floor = best.as_ref().map_or(0.0, |b| b.distance);
        if let Some(pole) = polygon_pole(polygon, precision, floor)
            && pole.distance > floor
        {
            best = Some(pole);
        }
    }
    best.map(|b| b.point)
        .or_else(|| distinct_vertex_mean(geometry))
}

/// The result of the search in one polygon.
#[derive(Debug, Clone, Copy)]
struct PolygonPole {
    /// The best candidate found.
    point: Coord<f64>,
    /// Its signed distance to the outline (positive inside).
    distance: f64,
    /// How many signed distances were evaluated (read by the tests, to check the budget).
    #[cfg_attr(not(test), allow(dead_code))]
    probes: usize,
}

/// The pole of inaccessibility of one polygon, or `None` if the polygon is degenerate, has
/// non-finite coordinates, or cannot have an interior point farther than `floor` from its outline
/// (the best distance already found in other polygons; `0.0` if none).
///
/// The returned distance may be `<= 0.0` when no interior point was found (within the budget);
/// the search also stops early once its cells cannot beat `max(best, floor)` by more than
/// `precision`, so a returned distance `<= floor` is not refined further.
fn polygon_pole(polygon: &Polygon<f64>, precision: f64, floor: f64) -> Option<PolygonPole> {
    if polygon_coords(polygon).any(|c| !c.x.is_finite() || !c.y.is_finite()) {
        return None;
    }
    let bbox = BBox::of(polygon_coords(polygon))?;
    let (width, height) = (bbox.width(), bbox.height());
    // No circle wider than the box fits in the polygon.
    if width.min(height) / 2.0 <= floor || is_degenerate(polygon, &bbox) {
        return None;
    }

    let mut probes = 0_usize;
    let probe = |x: f64, y: f64, h: f64, probes: &mut usize| {
        *probes += 1;
        Cell::new(x, y, h, polygon)
    };

    // Seeds: the area centroid and the centre of the bounding box (points, not queued cells).
    let centre = bbox.centre();
    let centroid = area_centroid(polygon, &bbox).unwrap_or(centre);
    let mut best = probe(centroid.x, centroid.y, 0.0, &mut probes);
    let bbox_cell = probe(centre.x, centre.y, 0.0, &mut probes);
    if bbox_cell.d > best.d {
        best = bbox_cell;
    }

    // The initial grid: square cells of the shorter side, or larger for a very elongated box.
    let long = width.max(height);
    let cell_size = width.min(height).max(long / MAX_INITIAL_CELLS as f64);
    let count = |side: f64| ((side / cell_size).ceil() as usize).clamp(1, MAX_INITIAL_CELLS + 1);
    let (nx, ny) = (count(width), count(height));
    let half = cell_size / 2.0;
    let mut queue = BinaryHeap::with_capacity(MAX_PROBES);
    for i in 0..nx {
        for j in 0..ny {
            let cell = probe(
                bbox.min.x + (i as f64 + 0.5) * cell_size,
                bbox.min.y + (j as f64 + 0.5) * cell_size,
                half,
                &mut probes,
            );
            if cell.d > best.d {
                best = cell;
            }
            queue.push(ByPotential(cell));
        }
    }

    while let Some(ByPotential(cell)) = queue.pop() {
        // Cells are popped by decreasing potential: if this one cannot do better, none can.
        let reference = best.d.max(floor);
        if cell.max <= 0.0 || (reference > 0.0 && cell.max - reference <= precision) {
            break;
        }
        if probes + 4 > MAX_PROBES {
            break;
        }
        let h = cell.h / 2.0;
        for (dx, dy) in [(-h, -h), (h, -h), (-h, h), (h, h)] {
            let child = probe(cell.x + dx, cell.y + dy, h, &mut probes);
            if child.d > best.d {
                best = child;
            }
            queue.push(ByPotential(child));
        }
    }

    Some(PolygonPole {
        point: Coord {
            x: best.x,
            y: best.y,
        },
        distance: best.d,
        probes,
    })
}

/// A square cell of the search: centre, half-side, signed distance of the centre to the outline,
/// and the potential (the largest signed distance any point of the cell can have).
#[derive(Debug, Clone, Copy)]
struct Cell {
    x: f64,
    y: f64,
    h: f64,
    d: f64,
    max: f64,
}

impl Cell {
    fn new(x: f64, y: f64, h: f64, polygon: &Polygon<f64>) -> Self {
        let d = signed_distance(Coord { x, y }, polygon);
        Self {
            x,
            y,
            h,
            d,
            max: d + h * std::f64::consts::SQRT_2,
        }
    }
}

/// A cell ordered by potential (then distance, then position) for the max-heap: a total order,
/// so the search does not depend on the order of insertion.
#[derive(Debug, Clone, Copy)]
struct ByPotential(Cell);

impl Ord for ByPotential {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, b) = (&self.0, &other.0);
        a.max
            .total_cmp(&b.max)
            .then_with(|| a.d.total_cmp(&b.d))
            .then_with(|| b.y.total_cmp(&a.y))
            .then_with(|| b.x.total_cmp(&a.x))
            .then_with(|| a.h.total_cmp(&b.h))
    }
}

impl PartialOrd for ByPotential {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ByPotential {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ByPotential {}

/// The signed Euclidean distance from `p` to the outline of `polygon` (all its rings): positive
/// inside, negative outside (even–odd rule, so a point in a hole is outside), zero on it. Rings
/// are treated as closed whether or not their last coordinate repeats the first.
fn signed_distance(p: Coord<f64>, polygon: &Polygon<f64>) -> f64 {
    let mut inside = false;
    let mut min_sq = f64::INFINITY;
    for ring in rings(polygon) {
        let Some(&last) = ring.0.last() else {
            continue;
        };
        let mut a = last;
        for &b in &ring.0 {
            if (a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside = !inside;
            }
            min_sq = min_sq.min(segment_distance_sq(p, a, b));
            a = b;
        }
    }
    let d = min_sq.sqrt();
    if inside { d } else { -d }
}

/// The squared distance from `p` to the segment `a`–`b` (a point if `a == b`).
fn segment_distance_sq(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len_sq = dx * dx + dy * dy;
    let t = if len_sq > 0.0 {
        (((p.x - a.x) * dx + (p.y - a.y) * dy) / len_sq).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (ex, ey) = (a.x + t * dx - p.x, a.y + t * dy - p.y);
    ex * ex + ey * ey
}

/// Twice the signed area of a ring and its first moments (times six), relative to `origin`:
/// `(Σ c, Σ (xᵢ + xⱼ) c, Σ (yᵢ + yⱼ) c)` with `c = xᵢ yⱼ − xⱼ yᵢ` over the edges `i → j`.
fn ring_moments(ring: &LineString<f64>, origin: Coord<f64>) -> (f64, f64, f64) {
    let Some(&last) = ring.0.last() else {
        return (0.0, 0.0, 0.0);
    };
    let (mut a2, mut mx, mut my) = (0.0, 0.0, 0.0);
    let mut a = last - origin;
    for &b in &ring.0 {
        let b = b - origin;
        let cross = a.x * b.y - b.x * a.y;
        a2 += cross;
        mx += (a.x + b.x) * cross;
        my += (a.y + b.y) * cross;
        a = b;
    }
    (a2, mx, my)
}

/// Whether the exterior of `polygon` has zero area up to rounding (which covers rings collapsed
/// to one or two distinct points and collinear rings). The tolerance is relative to the bounding
/// box and the number of vertices: a hairline sliver counts as degenerate.
fn is_degenerate(polygon: &Polygon<f64>, bbox: &BBox) -> bool {
    let exterior = polygon.exterior();
    let (a2, _, _) = ring_moments(exterior, bbox.min);
    let tolerance = 4.0 * exterior.0.len() as f64 * f64::EPSILON * bbox.width() * bbox.height();
    a2.abs() <= tolerance
}

/// The area centroid of `polygon` (holes subtracted, whatever the orientation of the rings), or
/// `None` if its area is not positive.
fn area_centroid(polygon: &Polygon<f64>, bbox: &BBox) -> Option<Coord<f64>> {
    let origin = bbox.min;
    let (mut a2, mut mx, mut my) = (0.0, 0.0, 0.0);
    for (k, ring) in rings(polygon).enumerate() {
        let (ra2, rmx, rmy) = ring_moments(ring, origin);
        // The exterior adds its area, holes subtract theirs.
        let sign = if (ra2 >= 0.0) == (k == 0) { 1.0 } else { -1.0 };
        a2 += sign * ra2;
        mx += sign * rmx;
        my += sign * rmy;
    }
    let centroid = Coord {
        x: origin.x + mx / (3.0 * a2),
        y: origin.y + my / (3.0 * a2),
    };
    (a2 > 0.0 && centroid.x.is_finite() && centroid.y.is_finite()).then_some(centroid)
}

/// The mean of the distinct finite coordinates of `geometry` (`-0.0` and `0.0` are the same), or
/// `None` if it has none.
fn distinct_vertex_mean(geometry: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    let mut coords: Vec<Coord<f64>> = geometry
        .iter()
        .flat_map(polygon_coords)
        .filter(|c| c.x.is_finite() && c.y.is_finite())
        .map(|c| Coord {
            x: c.x + 0.0,
            y: c.y + 0.0,
        })
        .collect();
    if coords.is_empty() {
        return None;
    }
    coords.sort_by(|a, b| a.x.total_cmp(&b.x).then_with(|| a.y.total_cmp(&b.y)));
    coords.dedup_by(|a, b| a.x.to_bits() == b.x.to_bits() && a.y.to_bits() == b.y.to_bits());
    let n = coords.len() as f64;
    let (sx, sy) = coords
        .iter()
        .fold((0.0, 0.0), |(sx, sy), c| (sx + c.x, sy + c.y));
    Some(Coord {
        x: sx / n,
        y: sy / n,
    })
}

/// The rings of a polygon, exterior first.
fn rings(polygon: &Polygon<f64>) -> impl Iterator<Item = &LineString<f64>> {
    std::iter::once(polygon.exterior()).chain(polygon.interiors())
}

/// All coordinates of all rings of a polygon.
fn polygon_coords(polygon: &Polygon<f64>) -> impl Iterator<Item = Coord<f64>> + '_ {
    rings(polygon).flat_map(|ring| ring.0.iter().copied())
}

/// An axis-aligned bounding box.
#[derive(Debug, Clone, Copy)]
struct BBox {
    min: Coord<f64>,
    max: Coord<f64>,
}

impl BBox {
    /// The bounding box of the finite coordinates among `coords`, or `None` if there are none.
    fn of(coords: impl Iterator<Item = Coord<f64>>) -> Option<Self> {
        coords
            .filter(|c| c.x.is_finite() && c.y.is_finite())
            .fold(None, |bbox: Option<Self>, c| {
                Some(match bbox {
                    None => Self { min: c, max: c },
                    Some(b) => Self {
                        min: Coord {
                            x: b.min.x.min(c.x),
                            y: b.min.y.min(c.y),
                        },
                        max: Coord {
                            x: b.max.x.max(c.x),
                            y: b.max.y.max(c.y),
                        },
                    },
                })
            })
    }

    fn width(&self) -> f64 {
        self.max.x - self.min.x
    }

    fn height(&self) -> f64 {
        self.max.y - self.min.y
    }

    fn centre(&self) -> Coord<f64> {
        Coord {
            x: self.min.x + self.width() / 2.0,
            y: self.min.y + self.height() / 2.0,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use geo::{Centroid, Contains};
    use geo_types::{Point, polygon};

    fn ring(coords: &[(f64, f64)]) -> LineString<f64> {
        LineString::from(coords.to_vec())
    }

    fn poly(exterior: &[(f64, f64)], holes: &[&[(f64, f64)]]) -> Polygon<f64> {
        Polygon::new(ring(exterior), holes.iter().map(|h| ring(h)).collect())
    }

    fn square(x0: f64, y0: f64, side: f64) -> Vec<(f64, f64)> {
        vec![
            (x0, y0),
            (x0 + side, y0),
            (x0 + side, y0 + side),
            (x0, y0 + side),
        ]
    }

    fn multi(polygons: Vec<Polygon<f64>>) -> MultiPolygon<f64> {
        MultiPolygon::new(polygons)
    }

    /// The pole of a single polygon, checking that the budget was not exhausted (so the
    /// precision guarantee holds).
    fn pole_unbounded(polygon: &Polygon<f64>, precision: f64) -> PolygonPole {
        let pole = polygon_pole(polygon, precision, 0.0).unwrap();
        assert!(pole.probes + 4 <= MAX_PROBES, "budget exhausted: {pole:?}");
        pole
    }

    fn dist(a: Coord<f64>, b: Coord<f64>) -> f64 {
        (a.x - b.x).hypot(a.y - b.y)
    }

    #[test]
    fn square_pole_is_its_centre() {
        let p = poly(&square(0.0, 0.0, 10.0), &[]);
        let precision = 1e-6;
        let pole = pole_unbounded(&p, precision);
        assert!(dist(pole.point, Coord { x: 5.0, y: 5.0 }) <= precision);
        assert!((pole.distance - 5.0).abs() <= precision);
        let c = pole_of_inaccessibility(&multi(vec![p]), precision).unwrap();
        assert_eq!(c, pole.point);
    }

    #[test]
    fn l_shape_pole_is_not_the_centroid() {
        // [0,10]² minus [4,10]²: arms 4 wide. The largest circle touches x = 0, y = 0 and the
        // reflex vertex (4, 4): centre (t, t) with t = √2 (4 − t), t = 8 − 4√2 ≈ 2.343 (more than
        // the 2 an arm allows).
        let p = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 4.0),
                (4.0, 4.0),
                (4.0, 10.0),
                (0.0, 10.0),
            ],
            &[],
        );
        let t = 8.0 - 4.0 * std::f64::consts::SQRT_2;
        let precision = 1e-6;
        let pole = pole_unbounded(&p, precision);
        let got = pole_of_inaccessibility(&multi(vec![p.clone()]), precision).unwrap();
        assert_eq!(got, pole.point);
        assert!(p.contains(&Point::from(got)));
        let d = signed_distance(got, &p);
        assert!(d <= t + 1e-12 && d >= t - precision, "d = {d}, t = {t}");
        // The peak is sharp, so the point is close to the optimum too.
        assert!(dist(got, Coord { x: t, y: t }) < 1e-4, "{got:?}");

        // The centroid, (248/64, 248/64) = (3.875, 3.875), is inside but hugs the reflex vertex.
        let centroid = p.centroid().unwrap();
        assert!((centroid.x() - 3.875).abs() < 1e-12 && (centroid.y() - 3.875).abs() < 1e-12);
        let dc = signed_distance(centroid.0, &p);
        assert!((dc - 0.125 * std::f64::consts::SQRT_2).abs() < 1e-12);
        assert!(dc < d / 10.0);
    }

    #[test]
    fn u_shape_pole_is_in_a_corner_while_the_centroid_is_outside() {
        // [0,10]² minus the notch [3,7]×[3,10]. Base and arms are 3 thick (1.5 at most); a
        // bottom corner does better: the circle touching two sides and the notch corner (3, 3)
        // has centre (t, t), t = √2 (3 − t), t = 6 − 3√2 ≈ 1.757 (or its mirror at x = 10 − t).
        let p = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (7.0, 10.0),
                (7.0, 3.0),
                (3.0, 3.0),
                (3.0, 10.0),
                (0.0, 10.0),
            ],
            &[],
        );
        let t = 6.0 - 3.0 * std::f64::consts::SQRT_2;
        let precision = 1e-6;
        pole_unbounded(&p, precision);
        let got = pole_of_inaccessibility(&multi(vec![p.clone()]), precision).unwrap();
        assert!(p.contains(&Point::from(got)));
        let d = signed_distance(got, &p);
        assert!(d <= t + 1e-12 && d >= t - precision, "d = {d}, t = {t}");
        let left = dist(got, Coord { x: t, y: t });
        let right = dist(got, Coord { x: 10.0 - t, y: t });
        assert!(left.min(right) < 1e-4, "{got:?}");

        // Centroid: x = 5, y = (100·5 − 28·6.5) / 72 = 318/72 ≈ 4.417, in the notch.
        let centroid = p.centroid().unwrap();
        assert!((centroid.x() - 5.0).abs() < 1e-12);
        assert!((centroid.y() - 318.0 / 72.0).abs() < 1e-12);
        assert!(!p.contains(&centroid));
        assert!(signed_distance(centroid.0, &p) < 0.0);
    }

    #[test]
    fn square_with_hole_pole_lies_in_the_band() {
        // [0,10]² minus [4,6]²: the band is 4 wide (2 at most along a side), and a corner does
        // better: centre (t, t) touching x = 0, y = 0 and the hole corner (4, 4): t = 8 − 4√2.
        let p = poly(&square(0.0, 0.0, 10.0), &[&square(4.0, 4.0, 2.0)]);
        let t = 8.0 - 4.0 * std::f64::consts::SQRT_2;
        let precision = 1e-6;
        pole_unbounded(&p, precision);
        let got = pole_of_inaccessibility(&multi(vec![p.clone()]), precision).unwrap();
        let in_hole = (4.0..=6.0).contains(&got.x) && (4.0..=6.0).contains(&got.y);
        assert!(!in_hole, "{got:?}");
        assert!(p.contains(&Point::from(got)));
        let d = signed_distance(got, &p);
        assert!(d <= t + 1e-12 && d >= t - precision, "d = {d}, t = {t}");
        // The centroid (5, 5) is in the hole: outside.
        assert!(signed_distance(Coord { x: 5.0, y: 5.0 }, &p) < 0.0);
    }

    #[test]
    fn hole_orientation_does_not_matter() {
        let mut hole = square(4.0, 4.0, 2.0);
        hole.reverse();
        let a = poly(&square(0.0, 0.0, 10.0), &[&square(4.0, 4.0, 2.0)]);
        let b = poly(&square(0.0, 0.0, 10.0), &[&hole]);
        let pa = pole_of_inaccessibility(&multi(vec![a]), 1e-6).unwrap();
        let pb = pole_of_inaccessibility(&multi(vec![b]), 1e-6).unwrap();
        assert_eq!(pa, pb);
    }

    #[test]
    fn multipolygon_pole_is_in_the_largest_part() {
        let small = poly(&square(20.0, 0.0, 2.0), &[]);
        let big = poly(&square(0.0, 0.0, 10.0), &[]);
        let precision = 1e-6;
        for parts in [vec![small.clone(), big.clone()], vec![big, small]] {
            let got = pole_of_inaccessibility(&multi(parts), precision).unwrap();
            assert!(dist(got, Coord { x: 5.0, y: 5.0 }) <= precision, "{got:?}");
        }
    }

    #[test]
    fn degenerate_polygon_gives_the_mean_of_distinct_vertices() {
        // Collinear, with repeated vertices: the distinct ones are (0,0), (1,1), (2,2), (3,3).
        let line = poly(
            &[(0.0, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0), (1.0, 1.0)],
            &[],
        );
        let got = pole_of_inaccessibility(&multi(vec![line]), 1e-6).unwrap();
        assert_eq!(got, Coord { x: 1.5, y: 1.5 });

        // Two distinct points, one repeated: the mean is not weighted by repetition.
        let two = poly(&[(0.0, 0.0), (3.0, 6.0), (0.0, 0.0), (0.0, 0.0)], &[]);
        let got = pole_of_inaccessibility(&multi(vec![two]), 1e-6).unwrap();
        assert_eq!(got, Coord { x: 1.5, y: 3.0 });

        // A single point; and a horizontal line.
        let point = poly(&[(2.0, -1.0), (2.0, -1.0), (2.0, -1.0)], &[]);
        let got = pole_of_inaccessibility(&multi(vec![point]), 0.0).unwrap();
        assert_eq!(got, Coord { x: 2.0, y: -1.0 });
        let flat = poly(&[(0.0, 1.0), (4.0, 1.0), (2.0, 1.0)], &[]);
        let got = pole_of_inaccessibility(&multi(vec![flat]), 1e-6).unwrap();
        assert_eq!(got, Coord { x: 2.0, y: 1.0 });
    }

    #[test]
    fn a_degenerate_part_does_not_beat_a_real_one() {
        let line = poly(&[(100.0, 100.0), (200.0, 200.0)], &[]);
        let real = poly(&square(0.0, 0.0, 2.0), &[]);
        let got = pole_of_inaccessibility(&multi(vec![line, real]), 1e-9).unwrap();
        assert!(dist(got, Coord { x: 1.0, y: 1.0 }) <= 1e-9);
    }

    #[test]
    fn empty_geometry_gives_none() {
        assert_eq!(pole_of_inaccessibility(&multi(vec![]), 1e-6), None);
        let empty = Polygon::new(LineString::new(vec![]), vec![]);
        assert_eq!(pole_of_inaccessibility(&multi(vec![empty]), 1e-6), None);
        let nan = poly(
            &[(f64::NAN, 0.0), (1.0, f64::INFINITY), (2.0, f64::NAN)],
            &[],
        );
        assert_eq!(pole_of_inaccessibility(&multi(vec![nan]), 1e-6), None);
    }

    #[test]
    fn bad_precision_falls_back_to_a_thousandth_of_the_box() {
        let p = poly(&square(0.0, 0.0, 10.0), &[]);
        for precision in [0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let got = pole_of_inaccessibility(&multi(vec![p.clone()]), precision).unwrap();
            assert!(dist(got, Coord { x: 5.0, y: 5.0 }) <= 0.01, "{got:?}");
        }
    }

    #[test]
    fn coarse_precision_still_gives_an_interior_point() {
        // The U's centroid and box centre are both in the notch; a precision as large as the
        // whole shape must not stop the search before an interior point is found.
        let p = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (9.0, 10.0),
                (9.0, 1.0),
                (1.0, 1.0),
                (1.0, 10.0),
                (0.0, 10.0),
            ],
            &[],
        );
        let got = pole_of_inaccessibility(&multi(vec![p.clone()]), 100.0).unwrap();
        assert!(p.contains(&Point::from(got)), "{got:?}");
    }

    #[test]
    fn is_deterministic() {
        let p = poly(
            &[
                (0.0, 0.0),
                (10.0, 0.0),
                (10.0, 10.0),
                (7.0, 10.0),
                (7.0, 3.0),
                (3.0, 3.0),
                (3.0, 10.0),
                (0.0, 10.0),
            ],
            &[&square(0.5, 0.5, 1.0), &square(8.5, 0.5, 1.0)],
        );
        let g = multi(vec![p.clone(), p]);
        let a = pole_of_inaccessibility(&g, 1e-7).unwrap();
        let b = pole_of_inaccessibility(&g.clone(), 1e-7).unwrap();
        assert_eq!(a.x.to_bits(), b.x.to_bits());
        assert_eq!(a.y.to_bits(), b.y.to_bits());
    }

    #[test]
    fn pathological_inputs_stay_bounded() {
        // Needle: aspect ratio 10⁷. The initial grid is capped, the budget is reached, and the
        // centroid seed (already optimal) is returned.
        let needle = poly(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1e-7), (0.0, 1e-7)], &[]);
        let pole = polygon_pole(&needle, 1e-15, 0.0).unwrap();
        assert!(pole.probes <= MAX_PROBES);
        assert!((pole.distance - 5e-8).abs() < 1e-15, "{pole:?}");
        assert!(needle.contains(&Point::from(pole.point)));

        // A precision below the resolution of the coordinates.
        let p = poly(&square(0.0, 0.0, 10.0), &[]);
        let pole = polygon_pole(&p, 1e-300, 0.0).unwrap();
        assert!(pole.probes <= MAX_PROBES);
        assert_eq!(pole.point, Coord { x: 5.0, y: 5.0 });
    }

    #[test]
    fn web_mercator_scale() {
        // A 100 m block at world scale (~2.5e-6 world units), precision 1e-6 of its size.
        let side = 2.5e-6;
        let p = poly(&square(0.51234, 0.33321, side), &[]);
        let got = pole_of_inaccessibility(&multi(vec![p.clone()]), side * 1e-6).unwrap();
        let centre = Coord {
            x: 0.51234 + side / 2.0,
            y: 0.33321 + side / 2.0,
        };
        assert!(dist(got, centre) <= side * 1e-6);
        assert!(p.contains(&Point::from(got)));
    }

    #[test]
    fn signed_distance_basics() {
        let p: Polygon<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 4.0)];
        assert_eq!(signed_distance(Coord { x: 1.0, y: 2.0 }, &p), 1.0);
        assert_eq!(signed_distance(Coord { x: 7.0, y: 8.0 }, &p), -5.0);
        assert_eq!(signed_distance(Coord { x: 4.0, y: 2.0 }, &p), 0.0);
    }

    /// A fixed 64-bit LCG (Knuth's MMIX constants), uniform in [0, 1).
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> f64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 11) as f64 / (1_u64 << 53) as f64
        }
    }

    #[test]
    fn star_polygons_get_interior_near_optimal_points() {
        let mut rng = Lcg(0x5eed);
        for k in 0..200 {
            // A star polygon around a centre: angles strictly increasing (jittered by less than
            // half a step), radii in [0.05, 1]·r — simple, convex or concave.
            let n = 3 + (rng.next() * 38.0) as usize;
            let cx = rng.next();
            let cy = rng.next();
            let r = 10f64.powf(-1.0 - 4.0 * rng.next());
            let step = std::f64::consts::TAU / n as f64;
            let mut radii = Vec::with_capacity(n);
            let mut coords: Vec<(f64, f64)> = (0..n)
                .map(|i| {
                    let angle = (i as f64 + 0.8 * (rng.next() - 0.5)) * step;
                    let radius = r * (0.05 + 0.95 * rng.next());
                    radii.push(radius);
                    (cx + radius * angle.cos(), cy + radius * angle.sin())
                })
                .collect();
            if k % 2 == 1 {
                coords.reverse();
            }
            // Every fourth polygon with n ≥ 6 gets a square hole around the centre, well inside
            // the disc the star surely contains (radius ≥ r_min · cos 42°).
            let r_min = radii.iter().copied().fold(f64::INFINITY, f64::min);
            let hole = (k % 4 == 0 && n >= 6).then(|| {
                let s = 0.3 * r_min;
                square(cx - s, cy - s, 2.0 * s)
            });
            let holes: Vec<&[(f64, f64)]> = hole.iter().map(Vec::as_slice).collect();
            let p = poly(&coords, &holes);

            let bbox = BBox::of(polygon_coords(&p)).unwrap();
            let precision = 1e-6 * bbox.width().max(bbox.height());
            let got = pole_of_inaccessibility(&multi(vec![p.clone()]), precision).unwrap();
            assert!(
                p.contains(&Point::from(got)),
                "polygon {k}: {got:?} outside"
            );
            let d = signed_distance(got, &p);
            assert!(d > 0.0, "polygon {k}");

            // No point of a 40×40 sample grid is farther from the outline (beyond precision).
            let mut grid_best = f64::NEG_INFINITY;
            for i in 0..40 {
                for j in 0..40 {
                    let q = Coord {
                        x: bbox.min.x + (i as f64 + 0.5) / 40.0 * bbox.width(),
                        y: bbox.min.y + (j as f64 + 0.5) / 40.0 * bbox.height(),
                    };
                    grid_best = grid_best.max(signed_distance(q, &p));
                }
            }
            assert!(
                d >= grid_best - precision,
                "polygon {k}: d = {d}, grid = {grid_best}"
            );
        }
    }
}
