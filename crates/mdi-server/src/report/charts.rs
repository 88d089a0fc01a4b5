//! The charts of the printable report, as inline SVG drawn with `plotters` (no fonts loaded,
//! no external resources): the domain trends, the population per decile, and the divergence
//! scatter with its regression line.

use plotters::prelude::*;

use super::model::{Divergence, Trend};

/// Line colours: the MDI first (black), then the domains.
const COLOURS: [RGBColor; 9] = [
    RGBColor(0, 0, 0),
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Width and height of a chart, in SVG user units (pixels at 96 dpi).
const SIZE: (u32, u32) = (680, 300);

/// The range of `values` with 5 % padding on both sides (a unit range around a single value).
fn padded(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 };
    Some((lo - pad, hi + pad))
}

/// The domain trends: one line per trend with data, the MDI bold; `None` without data.
pub fn trend_chart(trends: &[Trend]) -> Option<String> {
    let years: Vec<i32> = trends.first()?.years.clone();
    let (y0, y1) = padded(trends.iter().flat_map(|t| t.mean.iter().flatten().copied()))?;
    let (x0, x1) = (f64::from(*years.first()?), f64::from(*years.last()?));
    let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(x0..x1 + 0.35 * (x1 - x0), y0..y1)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(years.len().min(12))
            // No labels over the room kept free for the legend.
            .x_label_formatter(&|x| {
                if *x <= x1 + 1e-9 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_desc("gemiddelde gepoolde score")
            .draw()
            .ok()?;
        // Series breaks: a grey line just before each break year; no change is read across it.
        let mut breaks: Vec<i32> = trends
            .iter()
            .flat_map(|t| t.breaks.iter().copied())
            .collect();
        breaks.sort_unstable();
        breaks.dedup();
        for b in breaks {
            let x = f64::from(b) - 0.5;
            chart
                .draw_series(LineSeries::new(
                    [(x, y0), (x, y1)],
                    BLACK.mix(0.35).stroke_width(1),
                ))
                .ok()?;
        }
        for (k, t) in trends.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let width = if t.domain == "mdi" { 3 } else { 1 };
            let points: Vec<(f64, f64)> = t
                .years
                .iter()
                .zip(&t.mean)
                .filter_map(|(&y, m)| Some((f64::from(y), (*m)?)))
                .collect();
            if points.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(points, colour.stroke_width(width)))
                .ok()?
                .label(t.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(width))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .draw()
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// The population share per national decile (index 0 = decile 1), as bars.
pub fn decile_chart(shares: &[f64]) -> Option<String> {
    if shares.is_empty() {
        return None;
    }
    let top = shares.iter().copied().fold(0.0, f64::max).max(0.1) * 100.0 * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 220)).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(44)
            .build_cartesian_2d(0.5f64..shares.len() as f64 + 0.5, 0.0..top)
            .ok()?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(shares.len())
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("landelijk deciel (1 = meeste achterstand)")
            .y_desc("% inwoners")
            .draw()
            .ok()?;
        chart
            .draw_series(shares.iter().enumerate().map(|(k, s)| {
                let x = k as f64 + 1.0;
                let colour = if k == 0 {
                    RGBColor(165, 0, 38)
                } else {
                    RGBColor(116, 173, 209)
                };
                Rectangle::new([(x - 0.4, 0.0), (x + 0.4, s * 100.0)], colour.filled())
            }))
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}

/// The divergence scatter: change in pooled MDI against pooled MDI at the start, with the
/// fitted line.
pub fn divergence_chart(d: &Divergence) -> Option<String> {
    let (x0, x1) = padded(d.points.iter().map(|p| p.0))?;
    let (y0, y1) = padded(d.points.iter().map(|p| p.1))?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).ok()?;
        let mut chart = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(48)
            .build_cartesian_2d(x0..x1, y0..y1)
            .ok()?;
        chart
            .configure_mesh()
            .x_desc(format!("gepoolde MDI {}", d.from_year))
            .y_desc(format!("verandering {}–{}", d.from_year, d.to_year))
            .draw()
            .ok()?;
        chart
            .draw_series(
                d.points.iter().map(|&(x, y)| {
                    Circle::new((x, y), 2, RGBColor(31, 119, 180).mix(0.5).filled())
                }),
            )
            .ok()?;
        chart
            .draw_series(LineSeries::new(
                [x0, x1].map(|x| (x, d.alpha + d.beta * x)),
                RGBColor(214, 39, 40).stroke_width(2),
            ))
            .ok()?;
        root.present().ok()?;
    }
    Some(svg)
}
