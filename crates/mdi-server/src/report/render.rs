//! The report as Markdown or as printable HTML (A4, inline CSS and SVG, no external
//! resources). Both are made from one list of blocks, so they say the same.

use super::charts::{decile_chart, divergence_chart, trend_chart};
use super::headline::{nl, percent};
use super::model::{AreaChange, District, Report};

/// A table: a header row and rows of cells (plain text).
struct Table {
    head: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// A part of the report.
enum Block {
    /// A section heading.
    Heading(String),
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// A table.
    Table(Table),
    /// An SVG chart (HTML only).
    Chart(String),
}

/// `Vec<String>` from string slices.
fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// An optional number with `d` decimals, `–` when absent.
fn opt(x: Option<f64>, d: usize) -> String {
    x.map_or_else(|| "–".into(), |v| nl(v, d))
}

/// A p-value: four decimals, `< 0,0001` below.
fn p_value(p: f64) -> String {
    if p < 1e-4 {
        "< 0,0001".into()
    } else {
        nl(p, 4)
    }
}

/// `p = 0,0123`, or `p < 0,0001`.
fn p_is(p: f64) -> String {
    if p < 1e-4 {
        "p < 0,0001".into()
    } else {
        format!("p = {}", nl(p, 4))
    }
}

/// A rank `r van n`.
fn rank(r: Option<u32>, of: usize) -> String {
    r.map_or_else(|| "–".into(), |r| format!("{r} van {of}"))
}

/// The subject of the report.
fn subject(r: &Report) -> String {
    r.area.as_ref().map_or_else(
        || r.atlas.title.clone(),
        |a| format!("{} ({} {})", a.name, a.level, a.code),
    )
}

/// The table of one district's measures with its ranks.
fn district_table(d: &District) -> Table {
    let row =
        |name: &str, value: String, r: Option<u32>| vec![name.to_string(), value, rank(r, d.of)];
    Table {
        head: strings(&["maat", "waarde", "plaats (1 = meeste achterstand)"]),
        rows: vec![
            row(
                "gemiddelde score (bevolkingsgewogen)",
                nl(d.average_score, 2),
                d.ranks.average_score,
            ),
            row(
                "gemiddelde rang (N + 1 − r, gewogen)",
                nl(d.average_rank, 0),
                d.ranks.average_rank,
            ),
            row("extent", nl(d.extent, 3), d.ranks.extent),
            row(
                "lokale concentratie",
                nl(d.local_concentration, 0),
                d.ranks.local_concentration,
            ),
            row(
                "aandeel gebieden in slechtste deciel",
                percent(d.proportion_worst_decile),
                d.ranks.proportion_worst_decile,
            ),
            row(
                "aandeel inwoners in slechtste deciel",
                percent(d.share_worst_decile),
                d.ranks.share_worst_decile,
            ),
            vec![
                "gebieden / inwoners".into(),
                format!("{} / {}", d.areas, nl(d.population, 0)),
                String::new(),
            ],
        ],
    }
}

/// The table of the districts.
fn districts_table(list: &[District]) -> Table {
    Table {
        head: strings(&[
            "code",
            "naam",
            "inwoners",
            "gem. score",
            "extent",
            "lok. conc.",
            "% gebieden D1",
            "% inwoners D1",
            "plaats (% inwoners D1)",
        ]),
        rows: list
            .iter()
            .map(|d| {
                vec![
                    d.code.clone(),
                    d.name.clone(),
                    nl(d.population, 0),
                    nl(d.average_score, 2),
                    nl(d.extent, 3),
                    nl(d.local_concentration, 0),
                    percent(d.proportion_worst_decile),
                    percent(d.share_worst_decile),
                    rank(d.ranks.share_worst_decile, d.of),
                ]
            })
            .collect(),
    }
}

/// Trends, persistence, transitions and divergence.
fn change_blocks(r: &Report, out: &mut Vec<Block>) {
    out.push(Block::Heading("Ontwikkeling (gepoolde scores)".into()));
    if r.trends.is_empty() {
        out.push(Block::Para("Geen gepoolde scores in deze atlas.".into()));
    } else {
        let years = &r.trends[0].years;
        let first = years.first().copied().unwrap_or_default();
        let last = years.last().copied().unwrap_or_default();
        out.push(Block::Table(Table {
            head: vec![
                "domein".into(),
                format!("{first}"),
                format!("{last}"),
                "verandering".into(),
                "richting".into(),
                "reeksbreuken".into(),
            ],
            rows: r
                .trends
                .iter()
                .map(|t| {
                    let breaks: Vec<String> = t.breaks.iter().map(i32::to_string).collect();
                    vec![
                        t.name.clone(),
                        opt(t.mean.first().copied().flatten(), 2),
                        opt(t.mean.last().copied().flatten(), 2),
                        match (t.change, t.change_from, t.change_to) {
                            (Some(c), Some(a), Some(b)) if (a, b) != (first, last) => {
                                format!("{} ({a}–{b})", nl(c, 2))
                            }
                            (c, ..) => opt(c, 2),
                        },
                        match t.change {
                            None => "–".into(),
                            Some(_) if t.worsening => "verslechterd".into(),
                            Some(_) => "verbeterd".into(),
                        },
                        breaks.join(", "),
                    ]
                })
                .collect(),
        }));
        if let Some(svg) = trend_chart(&r.trends) {
            out.push(Block::Chart(svg));
        }
    }
    if let Some(p) = &r.persistence {
        out.push(Block::Heading("Hardnekkigheid".into()));
        out.push(Block::Para(format!(
            "Van de {} gebieden in het slechtste deciel in {} zaten er {} ook in {} in het slechtste deciel ({}).",
            p.worst_at_end,
            p.to_year,
            p.also_worst_at_start,
            p.from_year,
            p.share.map_or_else(|| "–".into(), percent)
        )));
    }
    if let Some(t) = &r.transitions {
        let mut head = vec![format!("deciel {} \\ {}", t.from_year, t.to_year)];
        head.extend((1..=10).map(|d| d.to_string()));
        out.push(Block::Table(Table {
            head,
            rows: t
                .counts
                .iter()
                .enumerate()
                .map(|(a, row)| {
                    std::iter::once((a + 1).to_string())
                        .chain(row.iter().map(u32::to_string))
                        .collect()
                })
                .collect(),
        }));
    }
    area_change_blocks(r, out);
    divergence_blocks(r, out);
}

/// The areas that moved most toward and away from rank 1 (the JSON form has every area).
fn area_change_blocks(r: &Report, out: &mut Vec<Block>) {
    const SHOWN: usize = 10;
    let Some(p) = r
        .persistence
        .as_ref()
        .filter(|_| !r.area_changes.is_empty())
    else {
        return;
    };
    out.push(Block::Heading(format!(
        "Verandering per gebied ({}–{})",
        p.from_year, p.to_year
    )));
    let n = r.area_changes.len();
    let mut shown: Vec<&AreaChange> = r.area_changes.iter().take(SHOWN).collect();
    shown.extend(
        r.area_changes
            .iter()
            .skip(SHOWN.max(n.saturating_sub(SHOWN))),
    );
    out.push(Block::Para(format!(
        "Verschuiving in percentielen van de landelijke rang (positief = relatief meer achterstand); \
         de {} grootste stijgers en dalers van {n} gebieden.",
        SHOWN.min(n)
    )));
    out.push(Block::Table(Table {
        head: strings(&[
            "code",
            "naam",
            "rang",
            "deciel",
            "percentielen",
            "gepoolde score",
        ]),
        rows: shown
            .iter()
            .map(|c| {
                vec![
                    c.code.clone(),
                    c.name.clone(),
                    format!("{} → {}", c.rank_from, c.rank_to),
                    format!("{} → {}", c.decile_from, c.decile_to),
                    nl(c.percentile_change, 1),
                    opt(c.pooled_change, 2),
                ]
            })
            .collect(),
    }));
}

/// The divergence regression, nationally and per gemeente.
fn divergence_blocks(r: &Report, out: &mut Vec<Block>) {
    let Some(d) = &r.divergence else { return };
    out.push(Block::Heading("Divergentie".into()));
    out.push(Block::Para(format!(
        "Regressie van de verandering van de gepoolde MDI ({}–{}) op de gepoolde MDI in {}: β = {} (95 %-BI {} tot {}, {}, n = {}). β > 0 betekent dat gebieden met meer achterstand minder vooruitgingen.",
        d.from_year, d.to_year, d.from_year, nl(d.beta, 3), nl(d.ci_low, 3), nl(d.ci_high, 3), p_is(d.p_value), d.n
    )));
    if let Some(svg) = divergence_chart(d) {
        out.push(Block::Chart(svg));
    }
    if !r.divergence_by_gemeente.is_empty() {
        out.push(Block::Table(Table {
            head: strings(&["code", "gemeente", "β", "95 %-BI", "n"]),
            rows: r
                .divergence_by_gemeente
                .iter()
                .map(|g| {
                    vec![
                        g.code.clone(),
                        g.name.clone(),
                        nl(g.beta, 3),
                        format!("{} tot {}", nl(g.ci_low, 3), nl(g.ci_high, 3)),
                        g.n.to_string(),
                    ]
                })
                .collect(),
        }));
    }
}

/// Correlations and clusters.
fn analysis_blocks(r: &Report, out: &mut Vec<Block>) {
    if !r.correlations.is_empty() {
        out.push(Block::Heading(
            "Samenhang met vergelijkingsindicatoren".into(),
        ));
        out.push(Block::Table(Table {
            head: strings(&[
                "indicator",
                "tegen",
                "niveau",
                "methode",
                "jaar",
                "r",
                "95 %-BI",
                "n",
                "p",
            ]),
            rows: r
                .correlations
                .iter()
                .map(|c| {
                    vec![
                        c.indicator.clone(),
                        c.against.clone(),
                        c.level.clone(),
                        c.method.clone(),
                        c.year.to_string(),
                        nl(c.r, 3),
                        format!("{} tot {}", nl(c.ci_low, 3), nl(c.ci_high, 3)),
                        c.n.to_string(),
                        p_value(c.p_value),
                    ]
                })
                .collect(),
        }));
    }
    if let Some(c) = &r.clusters {
        out.push(Block::Heading(format!("Ruimtelijke clusters ({})", c.year)));
        out.push(Block::Para(format!(
            "Globale Moran's I = {} (permutatie-p = {}, z = {}; {} permutaties, seed {}{}).",
            opt(c.moran_i, 3),
            opt(c.p_value, 3),
            opt(c.z_norm, 2),
            c.permutations,
            c.seed,
            if c.fdr { ", FDR" } else { "" }
        )));
        out.push(Block::Table(Table {
            head: strings(&["klasse", "gebieden"]),
            rows: c
                .counts
                .iter()
                .map(|(k, n)| vec![k.clone(), n.to_string()])
                .collect(),
        }));
        if !c.hotspots.is_empty() {
            out.push(Block::Para(format!(
                "Brandhaarden (lokale Moran, hoog-hoog): {}.",
                code_list(&c.hotspots)
            )));
        }
        out.push(Block::Para(format!(
            "Getis-Ord Gi*: {} gebieden met een significant hoog en {} met een significant laag \
             gemiddelde van zichzelf en hun buren{}.",
            c.gi_hotspots.len(),
            c.gi_coldspots.len(),
            if c.gi_hotspots.is_empty() {
                String::new()
            } else {
                format!(" (hoog: {})", code_list(&c.gi_hotspots))
            }
        )));
    }
}

/// At most 40 codes, then how many more (the JSON form has them all).
fn code_list(codes: &[String]) -> String {
    const SHOWN: usize = 40;
    let mut s = codes
        .iter()
        .take(SHOWN)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if codes.len() > SHOWN {
        s.push_str(&format!(" en {} meer", codes.len() - SHOWN));
    }
    s
}

/// The blocks of the report, in order.
fn blocks(r: &Report) -> Vec<Block> {
    let mut out = vec![Block::Para(format!(
        "{}{} — jaar {}.",
        r.atlas.title,
        if r.atlas.synthetic {
            " (SYNTHETISCHE DEMO-GEGEVENS)"
        } else {
            ""
        },
        r.year
    ))];
    if !r.headline.is_empty() {
        out.push(Block::Heading("Kerncijfers".into()));
        out.push(Block::List(r.headline.clone()));
    }
    if let Some(d) = &r.district {
        out.push(Block::Heading(format!("Maten van {} {}", d.level, d.name)));
        out.push(Block::Table(district_table(d)));
        if let Some(svg) = decile_chart(&d.decile_shares) {
            out.push(Block::Chart(svg));
        }
    }
    if !r.districts.is_empty() {
        out.push(Block::Heading(format!(
            "Gebieden ({})",
            r.districts[0].level
        )));
        out.push(Block::Table(districts_table(&r.districts)));
    }
    change_blocks(r, &mut out);
    analysis_blocks(r, &mut out);
    out.push(Block::Heading("Kanttekeningen".into()));
    out.push(Block::List(r.caveats.clone()));
    out
}

/// A Markdown table cell: no line breaks, `|` escaped.
fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The report as Markdown (tables; no charts).
pub fn render_markdown(report: &Report) -> String {
    let mut s = format!("# Rapport: {}\n", subject(report));
    for block in blocks(report) {
        s.push('\n');
        match block {
            Block::Heading(h) => s.push_str(&format!("## {h}\n")),
            Block::Para(p) => s.push_str(&format!("{p}\n")),
            Block::List(items) => {
                for i in items {
                    s.push_str(&format!("- {i}\n"));
                }
            }
            Block::Table(t) => {
                let line = |cells: &[String]| {
                    let cells: Vec<String> = cells.iter().map(|c| md_cell(c)).collect();
                    format!("| {} |\n", cells.join(" | "))
                };
                s.push_str(&line(&t.head));
                s.push_str(&format!("|{}\n", " --- |".repeat(t.head.len())));
                for row in &t.rows {
                    s.push_str(&line(row));
                }
            }
            Block::Chart(_) => {
                s.pop();
            }
        }
    }
    s
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The print stylesheet: A4 pages, tables that break between rows, charts that fit the width.
const CSS: &str = "@page { size: A4; margin: 16mm 14mm; }
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 10pt; color: #111; max-width: 182mm; margin: 0 auto; }
h1 { font-size: 17pt; margin: 0 0 4pt; } h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1px solid #999; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; font-size: 8.5pt; }
th, td { border: 1px solid #bbb; padding: 1.5pt 4pt; text-align: left; } td { font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; } thead { display: table-header-group; }
figure { margin: 6pt 0; break-inside: avoid; } figure svg { width: 100%; height: auto; }
.synthetic { color: #a50026; font-weight: bold; }";

/// The report as a printable HTML page (A4 `@page`, inline CSS and SVG charts, no external
/// resources).
pub fn render_html(report: &Report) -> String {
    let title = format!("Rapport: {}", subject(report));
    let mut body = format!("<h1>{}</h1>\n", esc(&title));
    for block in blocks(report) {
        match block {
            Block::Heading(h) => body.push_str(&format!("<h2>{}</h2>\n", esc(&h))),
            Block::Para(p) if p.contains("SYNTHETISCHE") => {
                body.push_str(&format!("<p class=synthetic>{}</p>\n", esc(&p)));
            }
            Block::Para(p) => body.push_str(&format!("<p>{}</p>\n", esc(&p))),
            Block::List(items) => {
                body.push_str("<ul>");
                for i in items {
                    body.push_str(&format!("<li>{}</li>", esc(&i)));
                }
                body.push_str("</ul>\n");
            }
            Block::Table(t) => {
                body.push_str("<table><thead><tr>");
                for h in &t.head {
                    body.push_str(&format!("<th>{}</th>", esc(h)));
                }
                body.push_str("</tr></thead><tbody>");
                for row in &t.rows {
                    body.push_str("<tr>");
                    for c in row {
                        body.push_str(&format!("<td>{}</td>", esc(c)));
                    }
                    body.push_str("</tr>");
                }
                body.push_str("</tbody></table>\n");
            }
            Block::Chart(svg) => body.push_str(&format!("<figure>{svg}</figure>\n")),
        }
    }
    format!(
        "<!doctype html>\n<html lang=nl>\n<head>\n<meta charset=utf-8>\n<title>{}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        esc(&title)
    )
}
