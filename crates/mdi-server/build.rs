//! Generates the glyph ranges that `/fonts/{fontstack}/{range}.pbf` serves, at build time, from
//! the open Ubuntu Light font that the `epaint_default_fonts` package ships (Ubuntu Font Licence
//! 1.0): every range of 256 code points in which the font has a glyph, as MapLibre glyph
//! protobufs (signed distance fields of 24 px glyphs with a 3 px buffer, radius 8, cutoff 0.25,
//! as node-fontnik makes them), into `OUT_DIR`, with `glyphs.rs` listing them for
//! `src/glyphs.rs` to include.
//!
//! Each glyph is rasterised by `ab_glyph` at 4× the size, thresholded at half coverage, and its
//! signed distance field computed by an exact Euclidean distance transform (Felzenszwalb and
//! Huttenlocher's lower envelope of parabolas) on that grid, then averaged over each output
//! pixel's 4×4 block.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use ab_glyph::{Font, FontRef, ScaleFont};

/// The font size of the glyphs, in pixels per em.
const SIZE: f32 = 24.0;
/// The border around each glyph bitmap, in pixels.
const BUFFER: i32 = 3;
/// Pixels of distance that the 0–255 range of a bitmap value spans.
const RADIUS: f32 = 8.0;
/// The share of the range outside the edge: the edge is at 255 × (1 − 0.25) ≈ 191.
const CUTOFF: f32 = 0.25;
/// Supersampling of the rasterisation that the distance field is computed from.
const SCALE: i32 = 4;
/// The fontstack name the glyphs are served under.
const FONTSTACK: &str = "Ubuntu Light";

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let Ok(out) = std::env::var("OUT_DIR") else {
        panic!("cargo sets OUT_DIR for build scripts");
    };
    let out = PathBuf::from(out);
    let font = match FontRef::try_from_slice(epaint_default_fonts::UBUNTU_LIGHT) {
        Ok(f) => f,
        Err(e) => panic!("the Ubuntu Light font of epaint_default_fonts cannot be read: {e}"),
    };
    let mut ranges: BTreeMap<u32, Vec<Glyph>> = BTreeMap::new();
    let mut chars: Vec<char> = font
        .codepoint_ids()
        .map(|(_, c)| c)
        .filter(|c| !c.is_control())
        .collect();
    chars.sort_unstable();
    chars.dedup();
    for c in chars {
        let cp = c as u32;
        if cp > 0xFFFF {
            continue; // MapLibre asks for glyphs of the Basic Multilingual Plane only
        }
        ranges.entry(cp / 256).or_default().push(render(&font, c));
    }
    let mut index = String::from("/// The glyph ranges: (first code point / 256, protobuf).\n");
    index.push_str("pub static RANGES: &[(u32, &[u8])] = &[\n");
    for (block, glyphs) in &ranges {
        let (start, end) = (block * 256, block * 256 + 255);
        let name = format!("glyphs-{start}-{end}.pbf");
        let bytes = encode(FONTSTACK, &format!("{start}-{end}"), glyphs);
        if let Err(e) = std::fs::write(out.join(&name), bytes) {
            panic!("cannot write {name} into OUT_DIR: {e}");
        }
        let _ = writeln!(
            index,
            "    ({block}, include_bytes!(concat!(env!(\"OUT_DIR\"), \"/{name}\"))),"
        );
    }
    index.push_str("];\n");
    let _ = writeln!(
        index,
        "/// The fontstack name of the glyphs.\npub const FONTSTACK: &str = {FONTSTACK:?};"
    );
    if let Err(e) = std::fs::write(out.join("glyphs.rs"), index) {
        panic!("cannot write glyphs.rs into OUT_DIR: {e}");
    }
}

/// One glyph of a range: its code point, signed distance field (with the buffer) and metrics.
struct Glyph {
    id: u32,
    bitmap: Vec<u8>,
    width: u32,
    height: u32,
    left: i32,
    top: i32,
    advance: u32,
}

/// The glyph of `c`: its distance field and metrics at [`SIZE`] pixels per em. `top` is the
/// glyph's top above the baseline less the font's ascender (node-fontnik's convention, which
/// MapLibre's shaping expects).
fn render(font: &FontRef<'_>, c: char) -> Glyph {
    let units = font.units_per_em().unwrap_or(1000.0);
    // ab_glyph's scale is the pixel height of ascent − descent, not of the em.
    let px_scale = |em: f32| em * font.height_unscaled() / units;
    let one = font.as_scaled(px_scale(SIZE));
    let id = font.glyph_id(c);
    let advance = one.h_advance(id).round().max(0.0) as u32;
    let ascender = (font.ascent_unscaled() * SIZE / units).round() as i32;
    let glyph = id.with_scale(px_scale(SIZE * SCALE as f32));
    let Some(outline) = font.outline_glyph(glyph) else {
        // A space or another glyph without ink: metrics only.
        return Glyph {
            id: c as u32,
            bitmap: Vec::new(),
            width: 0,
            height: 0,
            left: 0,
            top: -ascender,
            advance,
        };
    };
    let b = outline.px_bounds(); // y down, relative to the origin on the baseline
    let s = SCALE as f32;
    let left = (b.min.x / s).floor() as i32;
    let top_down = (b.min.y / s).floor() as i32;
    let width = ((b.max.x / s).ceil() as i32 - left).max(1);
    let height = ((b.max.y / s).ceil() as i32 - top_down).max(1);
    let (w, h) = (width + 2 * BUFFER, height + 2 * BUFFER);
    let (sw, sh) = ((w * SCALE) as usize, (h * SCALE) as usize);
    // The supersampled grid covers the output bitmap; the outline's pixel (0, 0) lies at `shift`.
    let shift_x = (b.min.x as i32 - (left - BUFFER) * SCALE) as usize;
    let shift_y = (b.min.y as i32 - (top_down - BUFFER) * SCALE) as usize;
    let mut inside = vec![false; sw * sh];
    outline.draw(|x, y, coverage| {
        let (gx, gy) = (x as usize + shift_x, y as usize + shift_y);
        if coverage >= 0.5 && gx < sw && gy < sh {
            inside[gy * sw + gx] = true;
        }
    });
    let to_inside = distance_transform(&inside, sw, sh, true);
    let to_outside = distance_transform(&inside, sw, sh, false);
    let mut bitmap = Vec::with_capacity((w * h) as usize);
    for oy in 0..h as usize {
        for ox in 0..w as usize {
            let mut sum = 0.0;
            for dy in 0..SCALE as usize {
                for dx in 0..SCALE as usize {
                    let i = (oy * SCALE as usize + dy) * sw + ox * SCALE as usize + dx;
                    // Signed distance from the pixel centre to the edge, positive outside.
                    sum += if inside[i] {
                        -(to_outside[i].sqrt() - 0.5)
                    } else {
                        to_inside[i].sqrt() - 0.5
                    };
                }
            }
            let d = sum / (SCALE * SCALE) as f32 / s;
            let v = 255.0 - 255.0 * (d / RADIUS + CUTOFF);
            bitmap.push(v.round().clamp(0.0, 255.0) as u8);
        }
    }
    Glyph {
        id: c as u32,
        bitmap,
        width: width as u32,
        height: height as u32,
        left,
        top: -top_down - ascender,
        advance,
    }
}

/// Squared Euclidean distance of every cell of the `w`×`h` grid to the nearest cell whose
/// `inside` equals `to` (a large number where there is none).
fn distance_transform(inside: &[bool], w: usize, h: usize, to: bool) -> Vec<f32> {
    const FAR: f64 = 1e20;
    let mut grid: Vec<f64> = inside
        .iter()
        .map(|&v| if v == to { 0.0 } else { FAR })
        .collect();
    let n = w.max(h);
    let (mut f, mut d, mut v, mut z) = (
        vec![0.0f64; n],
        vec![0.0f64; n],
        vec![0usize; n],
        vec![0.0f64; n + 1],
    );
    for x in 0..w {
        for y in 0..h {
            f[y] = grid[y * w + x];
        }
        edt_1d(&f[..h], &mut d[..h], &mut v, &mut z);
        for y in 0..h {
            grid[y * w + x] = d[y];
        }
    }
    for y in 0..h {
        f[..w].copy_from_slice(&grid[y * w..(y + 1) * w]);
        edt_1d(&f[..w], &mut d[..w], &mut v, &mut z);
        grid[y * w..(y + 1) * w].copy_from_slice(&d[..w]);
    }
    grid.into_iter().map(|g| g as f32).collect()
}

/// The one-dimensional squared distance transform of `f` into `d`: the lower envelope of the
/// parabolas `(q − p)² + f[p]` (Felzenszwalb and Huttenlocher).
fn edt_1d(f: &[f64], d: &mut [f64], v: &mut [usize], z: &mut [f64]) {
    let n = f.len();
    let mut k = 0usize;
    v[0] = 0;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    let cross = |q: usize, p: usize| {
        let (qf, pf) = (q as f64, p as f64);
        ((f[q] + qf * qf) - (f[p] + pf * pf)) / (2.0 * qf - 2.0 * pf)
    };
    for q in 1..n {
        let mut s = cross(q, v[k]);
        // z[0] is −∞, so k never goes below 0.
        while s <= z[k] {
            k -= 1;
            s = cross(q, v[k]);
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    k = 0;
    for (q, out) in d.iter_mut().enumerate() {
        let qf = q as f64;
        while z[k + 1] < qf {
            k += 1;
        }
        let p = v[k] as f64;
        *out = (qf - p) * (qf - p) + f[v[k]];
    }
}

/// Appends a protobuf varint.
fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends a length-delimited field.
fn bytes_field(out: &mut Vec<u8>, tag: u32, bytes: &[u8]) {
    varint(out, u64::from(tag << 3 | 2));
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Appends a varint field.
fn uint_field(out: &mut Vec<u8>, tag: u32, v: u64) {
    varint(out, u64::from(tag << 3));
    varint(out, v);
}

/// The glyph protobuf of one range (`glyphs { stacks: [fontstack { name, range, glyphs }] }`).
fn encode(name: &str, range: &str, glyphs: &[Glyph]) -> Vec<u8> {
    let mut stack = Vec::new();
    bytes_field(&mut stack, 1, name.as_bytes());
    bytes_field(&mut stack, 2, range.as_bytes());
    for g in glyphs {
        let mut m = Vec::new();
        uint_field(&mut m, 1, u64::from(g.id));
        if !g.bitmap.is_empty() {
            bytes_field(&mut m, 2, &g.bitmap);
        }
        uint_field(&mut m, 3, u64::from(g.width));
        uint_field(&mut m, 4, u64::from(g.height));
        // sint32: zigzag.
        uint_field(
            &mut m,
            5,
            u64::from(((g.left << 1) ^ (g.left >> 31)) as u32),
        );
        uint_field(&mut m, 6, u64::from(((g.top << 1) ^ (g.top >> 31)) as u32));
        uint_field(&mut m, 7, u64::from(g.advance));
        bytes_field(&mut stack, 3, &m);
    }
    let mut out = Vec::new();
    bytes_field(&mut out, 1, &stack);
    out
}
