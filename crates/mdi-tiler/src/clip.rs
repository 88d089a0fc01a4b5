//! Cutting a polygon to a tile (plus buffer) on the integer tile grid.
//!
//! The cut is a Boolean intersection with the buffered tile square, done by `i_overlay` on
//! integer coordinates with the non-zero fill rule and OGC-valid output. The same operation
//! repairs what snapping to the grid may have broken (a ring that touches or crosses itself, a
//! spike of zero width, a hole that slid onto its exterior): the output rings are always simple,
//! holes lie inside their exterior, and nothing of zero area remains.

use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::{ContourDirection, IntOverlayOptions, Overlay};
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
        for ring in rings {
            let pts = ring.iter().map(|p| {
                IntPoint::new(
                    (i64::from(p[0]) + offset[0]) as i32,
                    (i64::from(p[1]) + offset[1]) as i32,
                )
            });
            self.overlay
                .add_path_iter(pts, i_overlay::core::overlay::ShapeType::Subject);
        }
        let square = [
            IntPoint::new(min, min),
            IntPoint::new(max, min),
            IntPoint::new(max, max),
            IntPoint::new(min, max),
        ];
        self.overlay
            .add_contour(&square, i_overlay::core::overlay::ShapeType::Clip);
        let shapes = self
            .overlay
            .overlay(OverlayRule::Intersect, FillRule::NonZero);
        shapes
            .into_iter()
            .map(|shape| {
                shape
                    .into_iter()
                    .enumerate()
                    .map(|(k, contour)| {
                        let mut ring: Vec<GridPoint> =
                            contour.into_iter().map(|p| [p.x, p.y]).collect();
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
