//! Cutting a polygon to a tile (plus buffer) on the integer tile grid.
//!
//! Each ring is cut to the buffered tile square by Sutherland–Hodgman on integer coordinates
//! (new vertices exactly on the sides), then the rings are merged by `i_overlay` under the
//! non-zero fill rule with OGC-valid output. The same operation
//! repairs what snapping to the grid may have broken (a ring that touches or crosses itself, a
//! spike of zero width, a hole that slid onto its exterior): the output rings are always simple,
//! holes lie inside their exterior, and nothing of zero area remains.

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions, Overlay, ShapeType};
use i_overlay::core::overlay_rule::OverlayRule;
use i_overlay::core::solver::{Precision, Solver, Strategy};
use i_overlay::i_float::int::point::IntPoint;

/// A point on the tile grid (tile-local coordinates, y down; `0..extent` inside the tile).
pub type GridPoint = [i32; 2];

/// A polygon on the tile grid: the exterior ring, then its holes. Rings are not closed (the
/// first point is not repeated). Exteriors have positive area by the surveyor's formula in y-down
/// coordinates (clockwise on screen) and holes negative, as MVT 2.1 requires.
pub type GridPolygon = Vec<Vec<GridPoint>>;

/// A reusable clipper (it keeps its buffers between calls).
pub struct Clipper {
    overlay: Overlay,
}

impl Default for Clipper {
    fn default() -> Self {
        Self::new()
    }
}

impl Clipper {
    /// A new clipper.
    pub fn new() -> Self {
        let options = IntOverlayOptions {
            preserve_input_collinear: false,
            output_direction: ContourDirection::CounterClockwise,
            preserve_output_collinear: false,
            min_output_area: 0,
            ogc: true,
        };
        // Single-threaded: the tiler parallelises over features.
        let solver = Solver {
            strategy: Strategy::Auto,
            precision: Precision::HIGH,
            multithreading: None,
        };
        Clipper {
            overlay: Overlay::new_custom(64, options, solver),
        }
    }

    /// The part of a polygon inside the square `[min, max]²` (tile-local grid coordinates).
    ///
    /// `rings` are the polygon's rings (exteriors one way round, holes the other, as a valid
    /// polygon has them; several polygons of one area may be given together), each offset by
    /// `(dx, dy)` before clipping. The result is OGC-valid.
    pub fn clip(
        &mut self,
        rings: &[&[GridPoint]],
        offset: [i64; 2],
        min: i32,
        max: i32,
    ) -> Vec<GridPolygon> {
        self.overlay.clear();
        let (lo, hi) = (i64::from(min), i64::from(max));
        let mut a: Vec<[i64; 2]> = Vec::new();
        let mut b: Vec<[i64; 2]> = Vec::new();
        for ring in rings {
            a.clear();
            a.extend(
                ring.iter()
                    .map(|p| [i64::from(p[0]) + offset[0], i64::from(p[1]) + offset[1]]),
            );
            let inside = a
                .iter()
                .all(|p| (lo..=hi).contains(&p[0]) && (lo..=hi).contains(&p[1]));
            if !inside {
                // Sutherland–Hodgman against each side; new vertices lie exactly on the side.
                for (axis, bound, keep_above) in
                    [(0, lo, true), (0, hi, false), (1, lo, true), (1, hi, false)]
                {
                    clip_half_plane(&a, &mut b, axis, bound, keep_above);
                    std::mem::swap(&mut a, &mut b);
                    if a.is_empty() {
                        break;
                    }
                }
            }
            if a.len() >= 3 {
                let pts = a.iter().map(|p| IntPoint::new(p[0] as i32, p[1] as i32));
                self.overlay.add_path_iter(pts, ShapeType::Subject);
            }
        }
        // The union of the clipped rings under the non-zero rule: zero-width runs along the
        // sides cancel, and whatever snapping broke is resolved.
        let shapes = self
            .overlay
            .overlay(OverlayRule::Subject, FillRule::NonZero);
        shapes
            .into_iter()
            .map(|shape| {
                shape
                    .into_iter()
                    .enumerate()
                    .map(|(k, contour)| {
                        // A guard: the overlay may snap a vertex one unit past a side.
                        let mut ring: Vec<GridPoint> = contour
                            .into_iter()
                            .map(|p| [p.x.clamp(min, max), p.y.clamp(min, max)])
                            .collect();
                        // i_overlay's "counter-clockwise" is positive area; holes the other way.
                        let positive = area2(&ring) > 0;
                        if positive != (k == 0) {
                            ring.reverse();
                        }
                        ring
                    })
                    .collect()
            })
            .collect()
    }
}

/// One Sutherland–Hodgman step: the part of ring `src` on one side of the line
/// `p[axis] = bound` (at or above it when `keep_above`), into `dst`. Crossing points are put
/// exactly on the line, the other coordinate rounded to the nearest unit.
fn clip_half_plane(
    src: &[[i64; 2]],
    dst: &mut Vec<[i64; 2]>,
    axis: usize,
    bound: i64,
    keep_above: bool,
) {
    dst.clear();
    let n = src.len();
    if n == 0 {
        return;
    }
    let keep = |p: &[i64; 2]| {
        if keep_above {
            p[axis] >= bound
        } else {
            p[axis] <= bound
        }
    };
    let other = 1 - axis;
    for i in 0..n {
        let (p, q) = (src[i], src[(i + 1) % n]);
        let (kp, kq) = (keep(&p), keep(&q));
        if kp {
            dst.push(p);
        }
        if kp != kq {
            // The crossing; a kept end on the line is the crossing itself.
            if p[axis] != bound && q[axis] != bound {
                // Computed from the lesser end point, so that the two areas on either side of a
                // shared edge (which run along it in opposite directions) get the same point.
                let (a, b) = if p < q { (p, q) } else { (q, p) };
                let num = i128::from(b[other] - a[other]) * i128::from(bound - a[axis]);
                let den = i128::from(b[axis] - a[axis]);
                let mut x = [0i64; 2];
                x[axis] = bound;
                x[other] = a[other] + div_round(num, den) as i64;
                dst.push(x);
            }
        }
    }
    dst.dedup();
    while dst.len() > 1 && dst.first() == dst.last() {
        dst.pop();
    }
}

/// `num / den` rounded to the nearest integer (halves away from zero).
fn div_round(num: i128, den: i128) -> i128 {
    let (num, den) = if den < 0 { (-num, -den) } else { (num, den) };
    if num >= 0 {
        (2 * num + den) / (2 * den)
    } else {
        -((-2 * num + den) / (2 * den))
    }
}

/// Twice the signed area of a ring (surveyor's formula), in grid units².
pub fn area2(ring: &[GridPoint]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a[0]) * i64::from(b[1]) - i64::from(b[0]) * i64::from(a[1])
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total_area2(polys: &[GridPolygon]) -> i64 {
        polys.iter().flat_map(|p| p.iter()).map(|r| area2(r)).sum()
    }

    #[test]
    fn a_square_across_the_tile_edge_is_cut() {
        let mut c = Clipper::new();
        // 0..200 × 0..100, cut at x = 150.
        let ring: Vec<GridPoint> = vec![[0, 0], [200, 0], [200, 100], [0, 100]];
        let out = c.clip(&[&ring], [0, 0], -10, 150);
        assert_eq!(out.len(), 1);
        assert_eq!(total_area2(&out), 2 * 150 * 100);
        assert!(area2(&out[0][0]) > 0, "exterior positive");
    }

    #[test]
    fn a_bow_tie_from_snapping_becomes_valid_parts() {
        // A ring that crosses itself: two triangles meeting in (50, 50).
        let ring: Vec<GridPoint> = vec![[0, 0], [100, 100], [100, 0], [0, 100]];
        let mut c = Clipper::new();
        let out = c.clip(&[&ring], [0, 0], -10, 4106);
        // Non-zero fill keeps both lobes, as two polygons, each with positive area.
        assert_eq!(out.len(), 2);
        for p in &out {
            assert!(area2(&p[0]) > 0);
        }
        assert_eq!(total_area2(&out), 2 * (2 * 2500));
    }

    #[test]
    fn a_concave_polygon_cut_twice_gives_two_parts_without_spikes() {
        // A U open to the right, cut at x = 50: the two arms become separate polygons.
        let ring: Vec<GridPoint> = vec![
            [0, 0],
            [100, 0],
            [100, 10],
            [10, 10],
            [10, 90],
            [100, 90],
            [100, 100],
            [0, 100],
        ];
        let mut c = Clipper::new();
        let out = c.clip(&[&ring], [0, 60], 50, 200);
        assert_eq!(out.len(), 2);
        assert_eq!(total_area2(&out), 2 * (50 * 10 * 2));
    }

    #[test]
    fn a_hole_crossing_the_edge_opens_the_exterior() {
        let outer: Vec<GridPoint> = vec![[0, 0], [100, 0], [100, 100], [0, 100]];
        let hole: Vec<GridPoint> = vec![[40, 40], [40, 60], [60, 60], [60, 40]];
        let mut c = Clipper::new();
        let out = c.clip(&[&outer, &hole], [0, 0], -10, 50);
        // The remaining quarter has the hole's corner cut out: one L-shaped ring, no hole.
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].len(), 1);
        assert_eq!(total_area2(&out), 2 * (50 * 50 - 10 * 10));
    }
}
