//! The report (issue 14): `mdi-atlas report` on the demo atlas against independent
//! expectations — the demo's planted correlations, divergence and hotspots, the share of
//! inhabitants in the worst decile computed here from `areas.fgb` and `scores.csv`, the
//! printable HTML printed to PDF by headless Chromium (A4), and `/api/report` equal to the
//! command's JSON.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{read_scores, run, skip, stderr, stdout};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The demo atlas, built once for all tests of this file.
fn demo() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("atlas");
        let o = run(&["build", "--demo", "--out", out.to_str().expect("utf-8")]);
        assert!(o.status.success(), "{}", stderr(&o));
        (dir, out)
    })
    .1
}

/// `mdi-atlas report --atlas <demo> <extra>` as text.
fn report(extra: &[&str]) -> String {
    let atlas = demo().to_str().unwrap().to_string();
    let mut args = vec!["report", "--atlas", &atlas];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert!(o.status.success(), "report {extra:?}: {}", stderr(&o));
    stdout(&o)
}

/// The JSON report of the whole atlas, made once.
fn whole() -> &'static Value {
    static JSON: OnceLock<Value> = OnceLock::new();
    JSON.get_or_init(|| serde_json::from_str(&report(&["--format", "json"])).unwrap())
}

/// Per area of `areas.fgb`: (level, parent code), read with mdi-geo's FlatGeobuf reader.
fn hierarchy(dir: &Path) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    mdi_geo::read::each_fgb_feature(
        &dir.join("areas.fgb"),
        &mdi_geo::ReadOptions::default(),
        &mut |f| {
            let text = |k: &str| {
                f.properties
                    .get(k)
                    .and_then(mdi_geo::Value::as_text)
                    .unwrap_or_default()
                    .to_string()
            };
            out.insert(text("code"), (text("level"), text("parent")));
            Ok(())
        },
    )
    .unwrap();
    out
}

/// The gemeente of a code by walking the parents.
fn gemeente_of(h: &HashMap<String, (String, String)>, code: &str) -> Option<String> {
    let mut at = code.to_string();
    for _ in 0..10 {
        let (level, parent) = h.get(&at)?;
        if level == "gemeenten" {
            return Some(at);
        }
        at = parent.clone();
    }
    None
}

#[test]
fn the_json_has_every_key() {
    let r = whole();
    for key in [
        "atlas",
        "area",
        "year",
        "years",
        "headline",
        "share_worst_decile",
        "district",
        "districts",
        "trends",
        "persistence",
        "transitions",
        "divergence",
        "divergence_by_gemeente",
        "correlations",
        "caveats",
        "clusters",
    ] {
        assert!(r.get(key).is_some(), "no `{key}` in the report");
    }
    assert_eq!(r["atlas"]["synthetic"], true);
    assert_eq!(r["year"], 2024);
    assert!(r["area"].is_null());
    // The four gemeenten of the demo, each ranked 1..4 on every measure.
    let districts = r["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 4, "{districts:?}");
    let mut ranks: Vec<u64> = districts
        .iter()
        .map(|d| d["ranks"]["share_worst_decile"].as_u64().unwrap())
        .collect();
    ranks.sort_unstable();
    assert_eq!(ranks, [1, 2, 3, 4]);
    // Trends: the MDI and the seven domains; the pooled MDI falls in the demo.
    let trends = r["trends"].as_array().unwrap();
    assert_eq!(trends.len(), 8);
    assert_eq!(trends[0]["domain"], "mdi");
    assert!(
        trends[0]["change"].as_f64().unwrap() < 0.0,
        "{:?}",
        trends[0]
    );
    assert_eq!(r["transitions"]["counts"].as_array().unwrap().len(), 10);
    let persistence = r["persistence"]["share"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&persistence));
    assert!(!r["headline"].as_array().unwrap().is_empty());
    assert!(r["caveats"].as_array().unwrap().len() >= 4);
}

#[test]
fn the_planted_correlations_are_found() {
    let r = whole();
    let pearson = |indicator: &str| {
        r["correlations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["indicator"] == indicator
                    && c["against"] == "mdi"
                    && c["level"] == "buurt"
                    && c["method"] == "pearson"
            })
            .unwrap_or_else(|| panic!("no buurt Pearson of {indicator}"))
            .clone()
    };
    for (indicator, target) in [
        ("opkomst", -0.8),
        ("energiearmoede", 0.6),
        ("ongezonde_leefstijl", 0.5),
    ] {
        let c = pearson(indicator);
        let v = c["r"].as_f64().unwrap();
        eprintln!("{indicator}: r = {v:.3}, n = {}", c["n"]);
        assert!((v - target).abs() <= 0.1, "{indicator}: r = {v}");
        assert!(c["ci_low"].as_f64().unwrap() <= v && v <= c["ci_high"].as_f64().unwrap());
        assert!(c["n"].as_u64().unwrap() > 500);
    }
}

#[test]
fn the_planted_divergence_is_found() {
    let d = &whole()["divergence"];
    let (beta, low) = (d["beta"].as_f64().unwrap(), d["ci_low"].as_f64().unwrap());
    eprintln!("divergence: β = {beta:.4}, CI low {low:.4}, n = {}", d["n"]);
    assert!(beta > 0.0 && low > 0.0, "{d}");
    assert_eq!(d["scores"], "pooled");
    // The demo's profile declares a series break in 2024 (armoede: p_hh_osm → p_ink_ar), so
    // the change is measured over the longest comparable stretch, 2015–2023, and said so.
    assert_eq!(d["from_year"], 2015);
    assert_eq!(d["to_year"], 2023);
    assert_eq!(whole()["persistence"]["to_year"], 2023);
    let caveats = whole()["caveats"].to_string();
    assert!(
        caveats.contains("2015 met 2023 in plaats van 2015 met 2024"),
        "{caveats}"
    );
}

/// Whether the demo atlas has `contiguity.gal` (written by `build` since format 1.3); says
/// SKIPPED when not.
fn has_contiguity() -> bool {
    let yes = demo().join("contiguity.gal").exists();
    if !yes {
        skip("the demo atlas has no contiguity.gal: no clusters to check");
    }
    yes
}

#[test]
fn hotspots_lie_in_the_planted_hotspots() {
    if !has_contiguity() {
        assert!(whole()["clusters"].is_null());
        return;
    }
    let c = &whole()["clusters"];
    let hotspots: Vec<&str> = c["hotspots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(!hotspots.is_empty(), "{c}");
    assert!(c["moran_i"].as_f64().unwrap() > 0.2, "{c}");
    assert!(c["p_value"].as_f64().unwrap() <= 0.01, "{c}");
    // The planted hotspots raise the MDI: high-high buurten are in the most deprived deciles.
    let scores = read_scores(&demo().join("scores.csv"));
    let decile: HashMap<&str, u32> = scores
        .iter()
        .filter(|r| r["year"] == "2024" && !r["mdi_decile"].is_empty())
        .map(|r| (r["code"].as_str(), r["mdi_decile"].parse().unwrap()))
        .collect();
    let high = hotspots.iter().filter(|h| decile[**h] <= 3).count();
    eprintln!("{high} of {} hotspots in deciles 1–3", hotspots.len());
    assert!(
        high * 10 >= hotspots.len() * 9,
        "{high} of {}",
        hotspots.len()
    );
    // …and the planted hotspots are found: most buurten of decile 1 are high-high.
    let worst: Vec<&str> = decile
        .iter()
        .filter(|(_, d)| **d == 1)
        .map(|(c, _)| *c)
        .collect();
    let found = worst.iter().filter(|c| hotspots.contains(c)).count();
    eprintln!(
        "{found} of {} buurten of decile 1 are hotspots",
        worst.len()
    );
    assert!(found * 10 >= worst.len() * 8, "{found} of {}", worst.len());
    // Coldspots are the least deprived.
    for cold in c["coldspots"].as_array().unwrap() {
        assert!(decile[cold.as_str().unwrap()] >= 4, "{cold}");
    }
    // The same classes as the build's `cluster_2024` column of areas.fgb (same function,
    // permutations and seed).
    let mut built: Vec<String> = Vec::new();
    mdi_geo::read::each_fgb_feature(
        &demo().join("areas.fgb"),
        &mdi_geo::ReadOptions::default(),
        &mut |f| {
            let text = |k: &str| f.properties.get(k).and_then(mdi_geo::Value::as_text);
            if text("cluster_2024").as_deref() == Some("high-high") {
                built.push(text("code").unwrap().to_string());
            }
            Ok(())
        },
    )
    .unwrap();
    built.sort();
    assert_eq!(
        hotspots, built,
        "hotspots differ from areas.fgb cluster_2024"
    );
}

#[test]
fn share_worst_decile_of_a_gemeente_equals_an_independent_count() {
    let h = hierarchy(demo());
    let scores = read_scores(&demo().join("scores.csv"));
    // Σ population of ranked buurten in decile 1 / Σ population of ranked buurten, per gemeente.
    let mut sums: HashMap<String, (f64, f64)> = HashMap::new();
    for r in scores
        .iter()
        .filter(|r| r["year"] == "2024" && !r["mdi_rank"].is_empty())
    {
        let Some(g) = gemeente_of(&h, &r["code"]) else {
            continue;
        };
        let p: f64 = r["population"].parse().unwrap();
        let s = sums.entry(g).or_default();
        s.1 += p;
        if r["mdi_decile"] == "1" {
            s.0 += p;
        }
    }
    assert_eq!(sums.len(), 4);
    let (code, (worst, all)) = sums.iter().max_by(|a, b| a.0.cmp(b.0)).unwrap();
    let expected = worst / all;
    let r: Value = serde_json::from_str(&report(&["--format", "json", "--area", code])).unwrap();
    eprintln!("{code}: share {expected:.4}");
    assert_eq!(r["area"]["code"], code.as_str());
    assert_eq!(r["area"]["level"], "gemeente");
    let share = r["share_worst_decile"].as_f64().unwrap();
    assert!((share - expected).abs() < 1e-9, "{share} vs {expected}");
    let district = &r["district"];
    assert!((district["share_worst_decile"].as_f64().unwrap() - expected).abs() < 1e-9);
    assert_eq!(district["of"], 4);
    // Its rank among the gemeenten, counted here.
    let above = sums.values().filter(|(w, a)| w / a > expected).count();
    assert_eq!(district["ranks"]["share_worst_decile"], above as u64 + 1);
    // Its children are its wijken; the clusters are of its own buurten.
    let wijken = r["districts"].as_array().unwrap();
    assert!(!wijken.is_empty());
    assert!(wijken.iter().all(|w| gemeente_of(&h, w["code"].as_str().unwrap()).as_deref() == Some(code.as_str())));
    if has_contiguity() {
        for hot in r["clusters"]["hotspots"].as_array().unwrap() {
            assert_eq!(
                gemeente_of(&h, hot.as_str().unwrap()).as_deref(),
                Some(code.as_str())
            );
        }
        // Moran's I is recomputed on the gemeente's buurten alone: a different I.
        assert_ne!(r["clusters"]["moran_i"], whole()["clusters"]["moran_i"]);
    }
    // The headline says the figure in words.
    let first = r["headline"][0].as_str().unwrap();
    assert!(
        first.contains(&format!("{:.0} %", 100.0 * expected)),
        "{first}"
    );
}

#[test]
fn a_compare_csv_at_gemeente_level_correlates_at_that_level() {
    // A comparator equal to each gemeente's average MDI score (from the report's own district
    // list is not independent: take areas.fgb's gemeente column through mdi-geo), and a code
    // that is no area.
    let mut values = Vec::new();
    mdi_geo::read::each_fgb_feature(
        &demo().join("areas.fgb"),
        &mdi_geo::ReadOptions::default(),
        &mut |f| {
            let p = &f.properties;
            if p.get("level").and_then(mdi_geo::Value::as_text).as_deref() == Some("gemeenten") {
                let code = p
                    .get("code")
                    .and_then(mdi_geo::Value::as_text)
                    .unwrap()
                    .to_string();
                let v = p
                    .get("mdi_score_2024")
                    .and_then(mdi_geo::Value::as_f64)
                    .unwrap();
                values.push(format!("{code},2024,{v}"));
            }
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(values.len(), 4);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("gemeenten.csv");
    std::fs::write(
        &csv,
        format!(
            "gm_code,jaar,gemiddelde\n{}\nGM9999,2024,1\n",
            values.join("\n")
        ),
    )
    .unwrap();
    let r: Value = serde_json::from_str(&report(&[
        "--format",
        "json",
        "--compare",
        csv.to_str().unwrap(),
    ]))
    .unwrap();
    let c = r["correlations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["indicator"] == "gemiddelde" && c["level"] == "gemeente" && c["method"] == "pearson"
        })
        .unwrap_or_else(|| panic!("{}", r["correlations"]))
        .clone();
    assert_eq!(c["n"], 4);
    assert!((c["r"].as_f64().unwrap() - 1.0).abs() < 1e-9, "{c}");
    let comparator = r["comparators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == "gemiddelde")
        .unwrap()
        .clone();
    assert_eq!(comparator["unmatched_codes"], 1);
}

#[test]
fn markdown_has_the_tables() {
    let md = report(&["--format", "md"]);
    assert!(md.starts_with("# Rapport: "), "{md}");
    for heading in [
        "## Kerncijfers",
        "## Ontwikkeling",
        "## Divergentie",
        "## Samenhang",
        "## Kanttekeningen",
    ] {
        assert!(md.contains(heading), "{heading}: {md}");
    }
    assert!(md.contains("| --- |"));
    if has_contiguity() {
        assert!(md.contains("## Ruimtelijke clusters"), "{md}");
    }
}

/// The page count and the MediaBoxes of a PDF (read from its uncompressed page objects).
fn pdf_pages(pdf: &[u8]) -> (usize, Vec<(f64, f64)>) {
    let text = String::from_utf8_lossy(pdf);
    let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
    let boxes = text
        .split("/MediaBox [")
        .skip(1)
        .filter_map(|s| {
            let nums: Vec<f64> = s
                .split(']')
                .next()?
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            (nums.len() == 4).then(|| (nums[2] - nums[0], nums[3] - nums[1]))
        })
        .collect();
    (pages, boxes)
}

#[test]
fn the_html_prints_to_a4_pdf() {
    let html = report(&["--format", "html"]);
    assert!(html.contains("@page { size: A4"), "no A4 page rule");
    assert!(html.contains("<svg"), "no inline chart");
    for external in ["<script", "<link", "src=\"http", "url(http", "@import"] {
        assert!(!html.contains(external), "external resource: {external}");
    }
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            std::process::Command::new(c)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(chromium) = chromium else {
        skip("no chromium on PATH: the HTML is not printed to PDF");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    let pdf = dir.path().join("out.pdf");
    std::fs::write(&file, &html).unwrap();
    let o = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(&file)
        .output()
        .unwrap();
    assert!(pdf.exists(), "chromium wrote no PDF: {}", stderr(&o));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "not a PDF");
    let (pages, boxes) = pdf_pages(&bytes);
    eprintln!(
        "{pages} pages, media boxes {:?}",
        &boxes[..boxes.len().min(3)]
    );
    assert!(pages >= 1, "no page");
    assert!(!boxes.is_empty(), "no MediaBox");
    for (w, h) in boxes {
        assert!(
            (w - 595.0).abs() < 1.5 && (h - 842.0).abs() < 1.5,
            "not A4: {w}×{h}"
        );
    }
}

/// The body of a GET through the server's router.
async fn get(app: &axum::Router, uri: &str) -> (StatusCode, Option<String>, Vec<u8>) {
    let res = app
        .clone()
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    (
        status,
        ct,
        res.into_body().collect().await.unwrap().to_bytes().to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_route_equals_the_command() {
    let mut config = mdi_server::ServeConfig::new(demo().to_path_buf());
    config.watch = None;
    let app = mdi_server::router(mdi_server::AppState::new(config).unwrap());
    let code = whole()["districts"][0]["code"]
        .as_str()
        .unwrap()
        .to_string();
    let cli: Value = serde_json::from_str(&report(&["--format", "json", "--area", &code])).unwrap();
    let (status, ct, body) = get(&app, &format!("/api/report/{code}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.unwrap().starts_with("application/json"));
    let api: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(api, cli);
    // The whole-atlas report reuses the national local statistics the area's report computed
    // (cached on the loaded atlas) and still equals the command's, computed afresh.
    let (status, _, body) = get(&app, "/api/report").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&serde_json::from_slice::<Value>(&body).unwrap(), whole());
    let (status, ct, body) = get(&app, &format!("/api/report/{code}?format=html")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.unwrap().starts_with("text/html"));
    assert!(String::from_utf8(body).unwrap().contains("@page"));
    let (status, ct, _) = get(&app, &format!("/api/report/{code}?format=md")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(ct.unwrap().starts_with("text/markdown"));
    let (status, _, body) = get(&app, "/api/report/GM9999").await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{}",
        String::from_utf8_lossy(&body)
    );
    let (status, _, _) = get(&app, "/api/report?year=1900").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = get(&app, "/api/report?format=pdf").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[test]
fn area_changes_are_the_ranks_and_percentiles_of_scores_csv() {
    let h = hierarchy(demo());
    let scores = read_scores(&demo().join("scores.csv"));
    let gemeente = "GM9902";
    let r: Value =
        serde_json::from_str(&report(&["--format", "json", "--area", gemeente])).unwrap();
    let (from, to) = (
        r["persistence"]["from_year"].as_i64().unwrap(),
        r["persistence"]["to_year"].as_i64().unwrap(),
    );
    // Rank and decile per (code, year), and the number ranked nationally per year.
    let ranked = |y: i64| -> HashMap<String, (f64, i64)> {
        scores
            .iter()
            .filter(|s| s["year"] == y.to_string() && !s["mdi_rank"].is_empty())
            .map(|s| {
                let rank: f64 = s["mdi_rank"].parse().unwrap();
                (s["code"].clone(), (rank, s["mdi_decile"].parse().unwrap()))
            })
            .collect()
    };
    let (a, b) = (ranked(from), ranked(to));
    let (n0, n1) = (a.len() as f64, b.len() as f64);
    let mine: Vec<&String> = b
        .keys()
        .filter(|c| a.contains_key(*c) && gemeente_of(&h, c).as_deref() == Some(gemeente))
        .collect();
    let changes = r["area_changes"].as_array().unwrap();
    assert_eq!(changes.len(), mine.len());
    let mut last = f64::INFINITY;
    for c in changes {
        let code = c["code"].as_str().unwrap().to_string();
        let ((r0, d0), (r1, d1)) = (a[&code], b[&code]);
        assert_eq!(c["rank_from"].as_f64().unwrap(), r0, "{code}");
        assert_eq!(c["rank_to"].as_f64().unwrap(), r1, "{code}");
        assert_eq!(c["decile_from"], d0);
        assert_eq!(c["decile_to"], d1);
        // METHOD §6: Δq = 100·(r0/N0 − r1/N1), positive = toward rank 1.
        let dq = 100.0 * (r0 / n0 - r1 / n1);
        let got = c["percentile_change"].as_f64().unwrap();
        assert!((got - dq).abs() < 1e-9, "{code}: {got} vs {dq}");
        assert!(got <= last, "sorted by change, largest first");
        last = got;
    }
    // The whole-atlas report leaves the per-area list to the area reports.
    assert!(whole()["area_changes"].as_array().unwrap().is_empty());
}
