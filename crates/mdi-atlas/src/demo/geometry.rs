//! The region's polygons: a grid of jittered lattice squares visited along a generalised Hilbert
//! curve, split into gemeenten, wijken and buurten (with lakes), in RD New (EPSG:28992) metres.

use std::collections::BTreeMap;

use geo_types::{Coord, LineString, MultiPolygon, Polygon};
use mdi_geo::{Feature, Value};
use rayon::prelude::*;

use super::names::{buurt_code, buurt_name, gemeente_base_name, wijk_name};
use super::random::{hash, stream, uniform};

/// Cell size for small regions, metres.
const CELL_SIZE: f64 = 1_600.0;
/// The largest side of the region when no side is asked for, metres.
const MAX_SIDE: f64 = 180_000.0;
/// Centre of the region in RD New.
const CENTRE: (f64, f64) = (190_000.0, 450_000.0);
/// Largest corner jitter, as a fraction of the cell size, per axis.
const JITTER: f64 = 0.12;
/// Largest sideways wiggle of an edge point, as a fraction of the edge length.
const WIGGLE: f64 = 0.05;

/// One buurt of the plan: a grid cell or the lake inside one.
#[derive(Debug, Clone, Copy)]
pub(super) struct Buurt {
    /// The cell (position on the curve).
    pub(super) cell: u32,
    /// True for the lake inside the cell.
    pub(super) water: bool,
    /// The wijk (global index).
    pub(super) wijk: u32,
    /// The buurt's number within its wijk (0-based).
    pub(super) local: u32,
}

/// One wijk of the plan.
#[derive(Debug, Clone)]
pub(super) struct Wijk {
    /// The gemeente (index).
    pub(super) gemeente: u32,
    /// The wijk's number within its gemeente (0-based).
    pub(super) local: u32,
}

/// Where everything goes.
pub(super) struct Layout {
    /// Number of columns of the grid (even).
    cols: usize,
    /// Cell size, metres.
    cell: f64,
    /// The lower left corner of the grid in RD New, metres.
    origin: (f64, f64),
    /// Grid position of each cell, in curve order.
    pub(super) cells: Vec<(u32, u32)>,
    /// Whether each cell holds a lake.
    host: Vec<bool>,
    /// Whether each cell is a small buurt (below 100 inhabitants).
    pub(super) small: Vec<bool>,
    /// The buurten, in code order.
    pub(super) buurten: Vec<Buurt>,
    /// The wijken, in code order.
    pub(super) wijken: Vec<Wijk>,
    /// Number of gemeenten.
    pub(super) gemeenten: usize,
    /// Gemeente numbers (9901…, or 9001… beyond 99 gemeenten).
    gemeente_base: u32,
}

impl Layout {
    /// The plan of a region of `n` buurten. Without `side_m` (metres), the cells are
    /// [`CELL_SIZE`] squares up to [`MAX_SIDE`] for the grid's largest side, and shrink beyond;
    /// with it, the cells are sized (to the metre below) so that the grid's largest side, its
    /// columns, is `side_m`.
    pub(super) fn new(n: usize, side_m: Option<f64>) -> Layout {
        let lakes = if n >= 200 { n / 200 } else { 0 };
        let c = n - lakes;
        // An even number of columns, at least as many as rows: the curve then only takes side
        // steps.
        let side = (c as f64).sqrt().ceil() as usize;
        let cols = side + (side & 1);
        let rows = c.div_ceil(cols);
        let cell = match side_m {
            Some(s) => (s / cols as f64).floor(),
            None => CELL_SIZE.min((MAX_SIDE / cols as f64).floor()),
        };
        let origin = (
            (CENTRE.0 - cols as f64 * cell / 2.0).round(),
            (CENTRE.1 - rows as f64 * cell / 2.0).round(),
        );
        let mut cells = gilbert(cols, rows);
        cells.truncate(c);

        let mut host = vec![false; c];
        for k in 0..lakes {
            let p = ((k as f64 + 0.25 + 0.5 * uniform(stream::LAKE, k as u64, 0, 0)) * c as f64
                / lakes as f64) as usize;
            host[p.min(c - 1)] = true;
        }
        let small: Vec<bool> = (0..c)
            .map(|i| !host[i] && uniform(stream::SMALL, i as u64, 0, 0) < 0.02)
            .collect();

        let n_wijken = ((n as f64 / 15.0).round() as usize).clamp(1, c);
        let gemeenten = ((n as f64 / 150.0).round() as usize).clamp(1, 999.min(n_wijken));
        // Wijk sizes vary between about 0.7 and 1.3 times the mean.
        let weights: Vec<f64> = (0..n_wijken)
            .map(|k| 0.7 + 0.6 * uniform(stream::WIJK_SIZE, k as u64, 0, 0))
            .collect();
        let total: f64 = weights.iter().sum();
        let mut bounds = Vec::with_capacity(n_wijken + 1);
        bounds.push(0usize);
        let mut acc = 0.0;
        for (k, w) in weights.iter().enumerate() {
            acc += w;
            let b = if k + 1 == n_wijken {
                c
            } else {
                ((acc / total * c as f64).round() as usize)
                    .max(bounds[k] + 1)
                    .min(c - (n_wijken - k - 1))
            };
            bounds.push(b);
        }
        let mut buurten = Vec::with_capacity(n);
        let mut wijken = Vec::with_capacity(n_wijken);
        for k in 0..n_wijken {
            let gemeente = k * gemeenten / n_wijken;
            let first_of_gemeente = (gemeente * n_wijken).div_ceil(gemeenten);
            wijken.push(Wijk {
                gemeente: gemeente as u32,
                local: (k - first_of_gemeente) as u32,
            });
            let mut local = 0u32;
            for (cell, &has_lake) in host.iter().enumerate().take(bounds[k + 1]).skip(bounds[k]) {
                for water in [false, true] {
                    if water && !has_lake {
                        continue;
                    }
                    buurten.push(Buurt {
                        cell: cell as u32,
                        water,
                        wijk: k as u32,
                        local,
                    });
                    local += 1;
                }
            }
        }
        Layout {
            cols,
            cell,
            origin,
            cells,
            host,
            small,
            buurten,
            wijken,
            gemeenten,
            gemeente_base: if gemeenten <= 99 { 9901 } else { 9001 },
        }
    }

    /// The jittered lattice corner `(ix, iy)`, in RD metres rounded to the millimetre.
    fn corner(&self, ix: u32, iy: u32) -> Coord<f64> {
        let id = u64::from(iy) * (self.cols as u64 + 1) + u64::from(ix);
        let jx = (uniform(stream::JITTER_X, id, 0, 0) - 0.5) * 2.0 * JITTER;
        let jy = (uniform(stream::JITTER_Y, id, 0, 0) - 0.5) * 2.0 * JITTER;
        Coord {
            x: mm(self.origin.0 + (f64::from(ix) + jx) * self.cell),
            y: mm(self.origin.1 + (f64::from(iy) + jy) * self.cell),
        }
    }

    /// The wiggle points of the edge from corner `a` to corner `b` (`a` before `b` in lattice
    /// order), appended in that direction or reversed.
    fn edge(&self, a: (u32, u32), b: (u32, u32), reverse: bool, out: &mut Vec<Coord<f64>>) {
        let id = |p: (u32, u32)| u64::from(p.1) * (self.cols as u64 + 1) + u64::from(p.0);
        let (pa, pb) = (self.corner(a.0, a.1), self.corner(b.0, b.1));
        let h = hash(stream::EDGE, id(a), id(b), 0);
        let k = 1 + (h % 3) as usize;
        let (dx, dy) = (pb.x - pa.x, pb.y - pa.y);
        let start = out.len();
        for j in 0..k {
            let t = (j + 1) as f64 / (k + 1) as f64
                + (uniform(stream::EDGE, id(a), id(b), 1 + 2 * j as u64) - 0.5) * 0.1;
            let o = (uniform(stream::EDGE, id(a), id(b), 2 + 2 * j as u64) - 0.5) * 2.0 * WIGGLE;
            out.push(Coord {
                x: mm(pa.x + t * dx - o * dy),
                y: mm(pa.y + t * dy + o * dx),
            });
        }
        if reverse {
            out[start..].reverse();
        }
    }

    /// The exterior ring of a cell, counter-clockwise and closed.
    fn cell_ring(&self, cell: usize) -> LineString<f64> {
        let (x, y) = self.cells[cell];
        let mut ring = Vec::with_capacity(17);
        ring.push(self.corner(x, y));
        self.edge((x, y), (x + 1, y), false, &mut ring);
        ring.push(self.corner(x + 1, y));
        self.edge((x + 1, y), (x + 1, y + 1), false, &mut ring);
        ring.push(self.corner(x + 1, y + 1));
        self.edge((x, y + 1), (x + 1, y + 1), true, &mut ring);
        ring.push(self.corner(x, y + 1));
        self.edge((x, y), (x, y + 1), true, &mut ring);
        ring.push(ring[0]);
        LineString(ring)
    }

    /// The ring of the lake in a cell, counter-clockwise and closed.
    fn lake_ring(&self, cell: usize) -> LineString<f64> {
        let (x, y) = self.cells[cell];
        let cs = [
            self.corner(x, y),
            self.corner(x + 1, y),
            self.corner(x + 1, y + 1),
            self.corner(x, y + 1),
        ];
        let cx = cs.iter().map(|c| c.x).sum::<f64>() / 4.0;
        let cy = cs.iter().map(|c| c.y).sum::<f64>() / 4.0;
        let c = cell as u64;
        let r0 = self.cell * (0.15 + 0.05 * uniform(stream::LAKE, c, 1, 0));
        const M: usize = 10;
        let step = std::f64::consts::TAU / M as f64;
        let mut ring: Vec<Coord<f64>> = (0..M)
            .map(|j| {
                let a = step * (j as f64 + (uniform(stream::LAKE, c, 2, j as u64) - 0.5) * 0.3);
                let r = r0 * (0.85 + 0.3 * uniform(stream::LAKE, c, 3, j as u64));
                Coord {
                    x: mm(cx + r * a.cos()),
                    y: mm(cy + r * a.sin()),
                }
            })
            .collect();
        ring.push(ring[0]);
        LineString(ring)
    }

    /// The cell size, metres.
    pub(super) fn cell_size(&self) -> f64 {
        self.cell
    }

    /// The gemeente number of a wijk (e.g. 9901).
    pub(super) fn gemeente_number(&self, gemeente: u32) -> u32 {
        self.gemeente_base + gemeente
    }
}

/// Round to the millimetre.
fn mm(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The cells of a `width × height` grid in the order of a generalised Hilbert curve starting
/// at (0, 0) (after Červený's "gilbert" algorithm).
pub(super) fn gilbert(width: usize, height: usize) -> Vec<(u32, u32)> {
    fn go(x: i64, y: i64, ax: i64, ay: i64, bx: i64, by: i64, out: &mut Vec<(u32, u32)>) {
        let w = (ax + ay).abs();
        let h = (bx + by).abs();
        let (dax, day) = (ax.signum(), ay.signum());
        let (dbx, dby) = (bx.signum(), by.signum());
        let push = |out: &mut Vec<(u32, u32)>, x: i64, y: i64| out.push((x as u32, y as u32));
        if h == 1 {
            for i in 0..w {
                push(out, x + i * dax, y + i * day);
            }
            return;
        }
        if w == 1 {
            for i in 0..h {
                push(out, x + i * dbx, y + i * dby);
            }
            return;
        }
        let (mut ax2, mut ay2) = (ax.div_euclid(2), ay.div_euclid(2));
        let (mut bx2, mut by2) = (bx.div_euclid(2), by.div_euclid(2));
        let w2 = (ax2 + ay2).abs();
        let h2 = (bx2 + by2).abs();
        if 2 * w > 3 * h {
            if w2 % 2 != 0 && w > 2 {
                ax2 += dax;
                ay2 += day;
            }
            go(x, y, ax2, ay2, bx, by, out);
            go(x + ax2, y + ay2, ax - ax2, ay - ay2, bx, by, out);
        } else {
            if h2 % 2 != 0 && h > 2 {
                bx2 += dbx;
                by2 += dby;
            }
            go(x, y, bx2, by2, ax2, ay2, out);
            go(x + bx2, y + by2, ax, ay, bx - bx2, by - by2, out);
            go(
                x + (ax - dax) + (bx2 - dbx),
                y + (ay - day) + (by2 - dby),
                -bx2,
                -by2,
                -(ax - ax2),
                -(ay - ay2),
                out,
            );
        }
    }
    let mut out = Vec::with_capacity(width * height);
    let (w, h) = (width as i64, height as i64);
    if w >= h {
        go(0, 0, w, 0, 0, h, &mut out);
    } else {
        go(0, 0, 0, h, w, 0, &mut out);
    }
    out
}

/// The features of the buurten, in code order: polygons in RD New and their text attributes.
pub(super) fn build_features(layout: &Layout) -> Vec<Feature> {
    let gemeente_names: Vec<String> = (0..layout.gemeenten)
        .map(|g| format!("{} (synthetisch)", gemeente_base_name(g)))
        .collect();
    let wijk_names: Vec<String> = layout
        .wijken
        .iter()
        .enumerate()
        .map(|(k, w)| wijk_name(k, w.local, w.gemeente as usize))
        .collect();
    layout
        .buurten
        .par_iter()
        .enumerate()
        .map(|(index, b)| {
            let cell = b.cell as usize;
            let polygon = if b.water {
                Polygon::new(layout.lake_ring(cell), Vec::new())
            } else {
                let holes = if layout.host[cell] {
                    let mut lake = layout.lake_ring(cell);
                    lake.0.reverse();
                    vec![lake]
                } else {
                    Vec::new()
                };
                Polygon::new(layout.cell_ring(cell), holes)
            };
            let code = buurt_code(layout, b);
            let wijk = &layout.wijken[b.wijk as usize];
            let wijknaam = &wijk_names[b.wijk as usize];
            let name = buurt_name(wijknaam, b);
            let text = |s: &str| Value::Text(s.to_string());
            let mut properties = BTreeMap::new();
            properties.insert("wijkcode".to_string(), text(&format!("WK{}", &code[2..8])));
            properties.insert(
                "gemeentecode".to_string(),
                text(&format!("GM{}", &code[2..6])),
            );
            properties.insert("buurtcode".to_string(), Value::Text(code));
            properties.insert("buurtnaam".to_string(), Value::Text(name));
            properties.insert("wijknaam".to_string(), text(wijknaam));
            properties.insert(
                "gemeentenaam".to_string(),
                text(&gemeente_names[wijk.gemeente as usize]),
            );
            properties.insert(
                "water".to_string(),
                text(if b.water { "JA" } else { "NEE" }),
            );
            Feature {
                index,
                geometry: MultiPolygon(vec![polygon]),
                properties,
            }
        })
        .collect()
}
