//! Tests of the demo generator.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use geo::{Area, Validation, Winding, unary_union};
use geo_types::MultiPolygon;
use mdi_core::profile::Ranking;
use mdi_core::stats::pearson;
use mdi_core::{Options, Panel, Profile, Table, compute};

use mdi_geo::{Crs, Feature, Value};

use super::geometry::gilbert;
use super::names::{code2, combo, gemeente_base_name};
use super::*;

fn text<'a>(f: &'a Feature, k: &str) -> &'a str {
    match f.properties.get(k) {
        Some(Value::Text(t)) => t,
        other => panic!("{k}: {other:?}"),
    }
}

fn profile() -> Profile {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../geodata/profiles/nl-cbs.toml"
    );
    Profile::from_path(Path::new(path)).unwrap()
}

/// Table rows by (code, year).
type Rows = HashMap<(String, i32), Vec<String>>;

/// The table's header and rows, parsed by hand.
fn cells(csv: &str) -> (Vec<String>, Rows) {
    let mut lines = csv.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut rows = HashMap::new();
    for line in lines {
        let f: Vec<String> = line.split(',').map(String::from).collect();
        assert_eq!(f.len(), header.len(), "{line}");
        let y: i32 = f[1].parse().unwrap();
        assert!(rows.insert((f[0].clone(), y), f).is_none());
    }
    (header, rows)
}

#[test]
fn same_options_give_identical_output() {
    let a = generate(&DemoOptions::default()).unwrap();
    let b = generate(&DemoOptions::default()).unwrap();
    assert_eq!(a.table_csv, b.table_csv);
    assert_eq!(a.buurten, b.buurten);
    assert_eq!(a, b);
    // A shorter period is the same region with the same values in its years.
    let short = generate(&DemoOptions {
        last_year: 2016,
        ..DemoOptions::default()
    })
    .unwrap();
    assert_eq!(short.buurten, a.buurten);
    let rows = 1 + 2 * 600;
    let head: Vec<&str> = a.table_csv.lines().take(rows).collect();
    assert_eq!(short.table_csv.lines().collect::<Vec<_>>(), head);
}

#[test]
fn default_counts_codes_and_names() {
    let d = generate(&DemoOptions::default()).unwrap();
    assert_eq!(d.years, (2015..=2024).collect::<Vec<_>>());
    assert_eq!(d.name, "Synthetische demoregio (mdi-atlas)");
    let s = &d.buurten;
    assert_eq!(s.crs, Crs::RdNew);
    assert_eq!(s.path, PathBuf::from("synthetic:demo"));
    assert_eq!(s.layer.as_deref(), Some("buurten"));
    let f = &s.features;
    assert_eq!(f.len(), 600);
    let codes: Vec<&str> = f.iter().map(|x| text(x, "buurtcode")).collect();
    assert!(codes.windows(2).all(|w| w[0] < w[1]), "code order");
    let wijken: BTreeSet<&str> = f.iter().map(|x| text(x, "wijkcode")).collect();
    let gemeenten: BTreeSet<&str> = f.iter().map(|x| text(x, "gemeentecode")).collect();
    assert_eq!(wijken.len(), 40);
    assert_eq!(gemeenten.len(), 4);
    for (i, x) in f.iter().enumerate() {
        assert_eq!(x.index, i);
        let code = text(x, "buurtcode");
        assert_eq!(code.len(), 10);
        assert!(code.starts_with("BU99"), "{code}");
        assert!(code[2..].bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_eq!(text(x, "wijkcode"), format!("WK{}", &code[2..8]));
        assert_eq!(text(x, "gemeentecode"), format!("GM{}", &code[2..6]));
        assert!(text(x, "gemeentenaam").ends_with(" (synthetisch)"));
        assert!(!text(x, "buurtnaam").is_empty() && !text(x, "wijknaam").is_empty());
        assert!(["JA", "NEE"].contains(&text(x, "water")));
        for c in x.geometry.0.iter().flat_map(|p| p.exterior().0.iter()) {
            assert!((160_000.0..220_000.0).contains(&c.x), "{c:?}");
            assert!((420_000.0..480_000.0).contains(&c.y), "{c:?}");
        }
    }
    // One gemeente name per gemeente, all different.
    let names: BTreeMap<&str, &str> = f
        .iter()
        .map(|x| (text(x, "gemeentecode"), text(x, "gemeentenaam")))
        .collect();
    assert_eq!(names.values().collect::<BTreeSet<_>>().len(), 4);

    // The table: a header and one row per buurt and year, 27 fields each.
    let (header, rows) = cells(&d.table_csv);
    let mut want = vec!["buurtcode".to_string(), "jaar".to_string()];
    want.extend(
        INDICATOR_COLUMNS
            .iter()
            .chain(&COMPARATOR_COLUMNS)
            .map(|s| s.to_string()),
    );
    assert_eq!(header, want);
    assert_eq!(rows.len(), 6000);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (inw, small, mut water) = (col("a_inw"), col("p_hh_li"), 0);
    let mut below_100 = BTreeSet::new();
    for x in f {
        let code = text(x, "buurtcode").to_string();
        for y in 2015..=2024 {
            let r = &rows[&(code.clone(), y)];
            let p: i64 = r[inw].parse().unwrap();
            if text(x, "water") == "JA" {
                assert_eq!(p, 0);
                water += 1;
            } else if p < 100 {
                assert!(p > 0 && r[small].is_empty(), "{r:?}");
                below_100.insert(code.clone());
            } else {
                assert!(p <= 4000, "{r:?}");
                // Every cell is filled but the poverty column of the other side of the 2024
                // series break: p_hh_osm up to 2023, p_ink_ar from 2024.
                let (osm, ar) = (col("p_hh_osm"), col("p_ink_ar"));
                assert_eq!(r[osm].is_empty(), y >= 2024, "{r:?}");
                assert_eq!(r[ar].is_empty(), y < 2024, "{r:?}");
                assert!(
                    r.iter()
                        .enumerate()
                        .all(|(i, c)| i == osm || i == ar || !c.is_empty()),
                    "{r:?}"
                );
            }
        }
    }
    assert_eq!(water, 3 * 10, "three lakes");
    assert!((3..=30).contains(&below_100.len()), "{below_100:?}");
}

#[test]
fn borders_are_shared_exactly() {
    let d = generate(&DemoOptions::default()).unwrap();
    let f = &d.buurten.features;
    let sum: f64 = f.iter().map(|x| x.geometry.unsigned_area()).sum();
    let union = unary_union(f.iter().map(|x| &x.geometry));
    let area = union.unsigned_area();
    eprintln!(
        "union {area} m², sum {sum} m², relative difference {:e}",
        (area - sum) / sum
    );
    assert!(
        ((area - sum) / sum).abs() < 1e-9,
        "union {area}, sum {sum}, rel {}",
        (area - sum) / sum
    );
    // One polygon without holes: the lakes fill the holes of their host buurten.
    assert_eq!(union.0.len(), 1);
    assert!(union.0[0].interiors().is_empty());
    // Every wijk and every gemeente is one piece.
    for level in ["wijkcode", "gemeentecode"] {
        let mut groups: BTreeMap<&str, Vec<&MultiPolygon<f64>>> = BTreeMap::new();
        for x in f {
            groups.entry(text(x, level)).or_default().push(&x.geometry);
        }
        for (code, parts) in groups {
            let u = unary_union(parts.iter().copied());
            assert_eq!(u.0.len(), 1, "{code} is in {} pieces", u.0.len());
        }
    }
}

#[test]
fn rings_are_valid_and_oriented() {
    for areas in [600, 3_000] {
        let d = generate(&DemoOptions {
            areas,
            first_year: 2024,
            last_year: 2024,
            side_km: None,
        })
        .unwrap();
        let mut holes = 0;
        for x in &d.buurten.features {
            assert!(
                x.geometry.is_valid(),
                "{}: {:?}",
                text(x, "buurtcode"),
                x.geometry.validation_errors()
            );
            for p in &x.geometry.0 {
                assert!(p.exterior().is_ccw());
                assert!((9..=17).contains(&p.exterior().0.len()) || text(x, "water") == "JA");
                for h in p.interiors() {
                    assert!(h.is_cw());
                    holes += 1;
                }
            }
        }
        assert_eq!(holes, areas / 200);
    }
}

#[test]
fn the_curve_takes_only_side_steps() {
    for (w, h) in [
        (2, 1),
        (2, 2),
        (4, 3),
        (26, 23),
        (26, 26),
        (30, 17),
        (142, 141),
        (8, 2),
    ] {
        let c = gilbert(w, h);
        assert_eq!(c.len(), w * h);
        let set: BTreeSet<(u32, u32)> = c.iter().copied().collect();
        assert_eq!(set.len(), w * h, "{w}×{h}");
        assert!(c.iter().all(|&(x, y)| (x as usize) < w && (y as usize) < h));
        for p in c.windows(2) {
            let d = p[0].0.abs_diff(p[1].0) + p[0].1.abs_diff(p[1].1);
            assert_eq!(d, 1, "{w}×{h}: {:?} → {:?}", p[0], p[1]);
        }
    }
}

#[test]
fn the_pipeline_finds_correlations_hotspots_divergence_and_improvement() {
    let d = generate(&DemoOptions::default()).unwrap();
    let profile = profile();
    let table = Table::from_bytes(Path::new(DEMO_PATH), d.table_csv.as_bytes()).unwrap();
    let panel = Panel::build(&profile, &[table], None).unwrap();
    let per_year = compute(&profile, &panel, &Options::default()).unwrap();
    assert_eq!(per_year.ranking, Ranking::PerYear);
    assert!(per_year.missing_indicators.is_empty());
    let (header, rows) = cells(&d.table_csv);
    let cols: Vec<usize> = COMPARATOR_COLUMNS
        .iter()
        .map(|c| header.iter().position(|h| h == c).unwrap())
        .collect();

    // Correlations with the comparators, per year.
    for &year in &d.years {
        let ranked: Vec<_> = per_year
            .rows
            .iter()
            .filter(|r| r.year == year && r.mdi_score.is_some())
            .collect();
        assert!(ranked.len() > 540, "{year}: {} ranked", ranked.len());
        let mdi: Vec<f64> = ranked.iter().filter_map(|r| r.mdi_score).collect();
        for (k, &c) in cols.iter().enumerate() {
            let y: Vec<f64> = ranked
                .iter()
                .map(|r| rows[&(r.code.to_string(), year)][c].parse().unwrap())
                .collect();
            let r = pearson(&mdi, &y);
            eprintln!("{year} {}: r = {r:.3}", COMPARATOR_COLUMNS[k]);
            assert!(
                (r - COMPARATOR_TARGETS[k]).abs() <= 0.1,
                "{year} {}: r = {r}",
                COMPARATOR_COLUMNS[k]
            );
        }
    }

    // Persistent hotspots: in decile 1 in every year.
    let mut worst: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &per_year.rows {
        if r.mdi_decile == Some(1) {
            *worst.entry(&r.code).or_default() += 1;
        }
    }
    let persistent = worst.values().filter(|&&n| n == d.years.len()).count();
    eprintln!("persistent hotspots: {persistent} of {}", worst.len());
    assert!(persistent >= 10, "{persistent}");

    // Pooled: divergence (β > 0) and a falling population-weighted mean.
    let pooled = compute(
        &profile,
        &panel,
        &Options {
            ranking: Some(Ranking::Pooled),
        },
    )
    .unwrap();
    let (first, last) = (d.years[0], d.years[d.years.len() - 1]);
    let score = |y: i32| -> BTreeMap<&str, (f64, f64)> {
        pooled
            .rows
            .iter()
            .filter(|r| r.year == y)
            .filter_map(|r| Some((&*r.code, (r.mdi_score?, r.population?))))
            .collect()
    };
    let (s0, s1) = (score(first), score(last));
    let pairs: Vec<(f64, f64)> = s0
        .iter()
        .filter_map(|(c, (x, _))| s1.get(c).map(|(y, _)| (*x, y - x)))
        .collect();
    let n = pairs.len() as f64;
    let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let beta = sxy / sxx;
    let weighted = |s: &BTreeMap<&str, (f64, f64)>| {
        s.values().map(|(x, p)| x * p).sum::<f64>() / s.values().map(|(_, p)| p).sum::<f64>()
    };
    let (m0, m1) = (weighted(&s0), weighted(&s1));
    eprintln!(
        "β = {beta:.4} (n = {n}); weighted mean pooled MDI {first}: {m0:.3}, {last}: {m1:.3}"
    );
    assert!(beta > 0.0, "β = {beta}");
    assert!(m1 < m0, "{m0} → {m1}");
}

#[test]
fn twenty_thousand_buurten() {
    let d = generate(&DemoOptions {
        areas: 20_000,
        first_year: 2024,
        last_year: 2024,
        side_km: None,
    })
    .unwrap();
    let f = &d.buurten.features;
    assert_eq!(f.len(), 20_000);
    let codes: BTreeSet<&str> = f.iter().map(|x| text(x, "buurtcode")).collect();
    let wijken: BTreeSet<&str> = f.iter().map(|x| text(x, "wijkcode")).collect();
    let gemeenten: BTreeSet<&str> = f.iter().map(|x| text(x, "gemeentecode")).collect();
    assert_eq!(codes.len(), 20_000);
    assert_eq!(wijken.len(), 1_333);
    assert_eq!(gemeenten.len(), 133);
    assert_eq!(gemeenten.first().copied(), Some("GM9001"));
    assert_eq!(gemeenten.last().copied(), Some("GM9133"));
    for x in f {
        let code = text(x, "buurtcode");
        assert_eq!(text(x, "wijkcode"), format!("WK{}", &code[2..8]));
        assert_eq!(text(x, "gemeentecode"), format!("GM{}", &code[2..6]));
    }
    assert_eq!(d.table_csv.lines().count(), 20_001);
    assert_eq!(f.iter().filter(|x| text(x, "water") == "JA").count(), 100);
}

#[test]
fn names_are_distinct_per_gemeente() {
    let names: BTreeSet<String> = (0..999).map(gemeente_base_name).collect();
    assert_eq!(names.len(), 999);
    assert_eq!((0..1600).map(combo).collect::<BTreeSet<_>>().len(), 1600);
    assert!(
        names
            .iter()
            .all(|n| !n.contains("eee") && !n.contains("iee"))
    );
}

#[test]
fn codes_widen_to_letters() {
    assert_eq!(code2(1), *b"01");
    assert_eq!(code2(99), *b"99");
    assert_eq!(code2(100), *b"A0");
    assert_eq!(code2(135), *b"AZ");
    assert_eq!(code2(136), *b"B0");
    assert_eq!(code2(1035), *b"ZZ");
}

#[test]
fn bad_options_are_errors() {
    for o in [
        DemoOptions {
            areas: 0,
            ..DemoOptions::default()
        },
        DemoOptions {
            areas: MAX_AREAS + 1,
            ..DemoOptions::default()
        },
        DemoOptions {
            first_year: 2024,
            last_year: 2015,
            ..DemoOptions::default()
        },
    ] {
        assert!(generate(&o).is_err(), "{o:?}");
    }
    // Tiny regions work.
    for areas in [1, 2, 7, 15, 199] {
        let d = generate(&DemoOptions {
            areas,
            ..DemoOptions::default()
        })
        .unwrap();
        assert_eq!(d.buurten.features.len(), areas);
    }
}

/// The bounding box of the buurten: (min x, min y, max x, max y).
fn bbox(d: &Demo) -> (f64, f64, f64, f64) {
    let mut b = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for f in &d.buurten.features {
        for p in &f.geometry.0 {
            for c in &p.exterior().0 {
                b = (b.0.min(c.x), b.1.min(c.y), b.2.max(c.x), b.3.max(c.y));
            }
        }
    }
    b
}

#[test]
fn the_side_sets_the_size_of_the_region() {
    // 2,000 buurten (10 lakes): 1,990 cells in 46 columns and 44 rows. Without a side the cells
    // are 1.6 km (73.6 km wide); with 100 km they are 2,173 m (99.96 km wide); the corner
    // jitter (0.12 cell) and the edge wiggles (0.05 cell) move each outer edge by at most 0.17
    // cell either way.
    let one_year = |side_km| DemoOptions {
        areas: 2_000,
        first_year: 2024,
        last_year: 2024,
        side_km,
    };
    let default = generate(&one_year(None)).unwrap();
    let wide = generate(&one_year(Some(100))).unwrap();
    for (d, cell) in [(&default, 1_600.0), (&wide, 2_173.0)] {
        let (x0, y0, x1, y1) = bbox(d);
        let (w, h) = (x1 - x0, y1 - y0);
        assert!((w - 46.0 * cell).abs() <= 0.34 * cell, "{cell}: width {w}");
        assert!((h - 44.0 * cell).abs() <= 0.34 * cell, "{cell}: height {h}");
        // Centred on RD (190,000, 450,000).
        assert!(((x0 + x1) / 2.0 - 190_000.0).abs() <= cell, "{x0} {x1}");
        assert!(((y0 + y1) / 2.0 - 450_000.0).abs() <= cell, "{y0} {y1}");
    }
    // Only the geometry changes: the same codes, names and table.
    assert_eq!(wide.table_csv, default.table_csv);
    let codes = |d: &Demo| -> Vec<String> {
        d.buurten
            .features
            .iter()
            .map(|f| text(f, "buurtcode").to_string())
            .collect()
    };
    assert_eq!(codes(&wide), codes(&default));
    // A region the size of England: 40,000 buurten on a 360 km side, about 130,000 km².
    let england = generate(&DemoOptions {
        areas: 40_000,
        side_km: Some(360),
        ..one_year(None)
    })
    .unwrap();
    assert_eq!(england.buurten.features.len(), 40_000);
    let (x0, y0, x1, y1) = bbox(&england);
    assert!((x1 - x0 - 360_000.0).abs() < 2_000.0, "{x0} {x1}");
    let area = (x1 - x0) * (y1 - y0) / 1e6;
    assert!((125_000.0..135_000.0).contains(&area), "{area} km²");
}

#[test]
fn bad_sides_are_errors() {
    for (areas, side_km, says) in [
        (600, 0, "1 to 1000 km, not 0"),
        (600, 1_001, "1 to 1000 km, not 1001"),
        (10_000, 1, "leaves cells of 10 m for 10000 buurten"),
    ] {
        let e = generate(&DemoOptions {
            areas,
            side_km: Some(side_km),
            ..DemoOptions::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("synthetic:demo: "), "{e}");
        assert!(e.contains(says), "{e}");
    }
}
