//! `mdi-atlas crosswalk`: areal interpolation between boundary editions, on generated squares
//! in RD New against values computed by hand, and on the real 2014 → 2020 national buurten
//! with the 2017 KWB export (conservation of the population, the report).

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

mod common;

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::Path;

use common::{data_dir, read_scores, run, skip, stderr, stdout};

/// A GeoJSON FeatureCollection in RD New of rectangles 100 m high: (code, x0, x1) in metres
/// from an origin at RD (100000, 400000).
fn squares(items: &[(&str, f64, f64)]) -> String {
    let (ox, oy) = (100_000.0, 400_000.0);
    let features: Vec<String> = items
        .iter()
        .map(|(code, x0, x1)| {
            let (a, b, y0, y1) = (ox + x0, ox + x1, oy, oy + 100.0);
            format!(
                r#"{{"type":"Feature","properties":{{"statcode":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{a},{y0}],[{b},{y0}],[{b},{y1}],[{a},{y1}],[{a},{y0}]]]}}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"type":"FeatureCollection","crs":{{"type":"name","properties":{{"name":"urn:ogc:def:crs:EPSG::28992"}}}},"features":[{}]}}"#,
        features.join(",")
    )
}

fn num(row: &HashMap<String, String>, col: &str) -> Option<f64> {
    let cell = &row[col];
    (!cell.is_empty()).then(|| cell.parse().unwrap())
}

/// Write the two generated editions and the table into `dir`, run the crosswalk, and return
/// the output rows by code and the report.
fn run_generated(dir: &Path) -> (HashMap<String, HashMap<String, String>>, serde_json::Value) {
    // Edition A: BU01 is 200 m wide, all others 100 m.
    let from = squares(&[
        ("BU01", 0.0, 200.0),
        ("BU02", 200.0, 300.0),
        ("BU03", 300.0, 400.0),
        ("BU04", 400.0, 500.0),
        ("BU05", 500.0, 600.0),
        ("BU06", 600.0, 700.0),
        ("BU07", 700.0, 800.0),
    ]);
    // Edition B: BU01 split into BU11 + BU12; BU02 + BU03 merged into BU13; the border of BU04
    // and BU05 moved 20 m east (BU14, BU15); BU06 unchanged; BU07 renamed BU17.
    let to = squares(&[
        ("BU11", 0.0, 100.0),
        ("BU12", 100.0, 200.0),
        ("BU13", 200.0, 400.0),
        ("BU14", 400.0, 520.0),
        ("BU15", 520.0, 600.0),
        ("BU06", 600.0, 700.0),
        ("BU17", 700.0, 800.0),
    ]);
    let (from_p, to_p) = (dir.join("a.geojson"), dir.join("b.geojson"));
    std::fs::write(&from_p, from).unwrap();
    std::fs::write(&to_p, to).unwrap();
    // a_inw is a count (extensive by its `a_` prefix) and the population; p_x and p_y are
    // rates; p_y is missing for BU05. A gemeente row is ignored (not a source code).
    let table = "code;a_inw;p_x;p_y\n\
                 GM0001;1630;.;.\n\
                 BU01;400;10;1\n\
                 BU02;100;20;2\n\
                 BU03;300;40;3\n\
                 BU04;200;5;4\n\
                 BU05;500;15,0;.\n\
                 BU06;50;7;6\n\
                 BU07;80;9;7\n";
    let table_p = dir.join("t.csv");
    std::fs::write(&table_p, table).unwrap();
    let out = dir.join("out.csv");
    let report_p = dir.join("report.json");
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let args = [
        "crosswalk".to_string(),
        "--from-areas".into(),
        s(&from_p),
        "--to-areas".into(),
        s(&to_p),
        "--indicators".into(),
        s(&table_p),
        "--population".into(),
        "a_inw".into(),
        "--out".into(),
        s(&out),
        "--report".into(),
        s(&report_p),
    ];
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success(), "{}", stderr(&o));
    println!("{}", stdout(&o));
    let rows: HashMap<String, HashMap<String, String>> = read_scores(&out)
        .into_iter()
        .map(|r| (r["code"].clone(), r))
        .collect();
    assert_eq!(rows.len(), 7);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report_p).unwrap()).unwrap();
    (rows, report)
}

/// (code, a_inw, p_x, p_y, class, interpolated, sources).
type Expected = (
    &'static str,
    f64,
    f64,
    Option<f64>,
    &'static str,
    &'static str,
    &'static str,
);

#[test]
fn generated_split_merge_moved_border_and_unchanged_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let (rows, report) = run_generated(dir.path());
    // (code, a_inw, p_x, p_y, class, interpolated, sources), by hand:
    // BU11, BU12: half of BU01 each (w = 10,000/20,000 m² = 0.5): a_inw = 0.5·400 = 200;
    //   the rates are BU01's own: p_x = 10, p_y = 1.
    // BU13: all of BU02 and BU03 (w = 1 each): a_inw = 100 + 300 = 400;
    //   p_x = (1·100·20 + 1·300·40) / (100 + 300) = 14,000 / 400 = 35;
    //   p_y = (100·2 + 300·3) / 400 = 1,100 / 400 = 2.75.
    // BU14: all of BU04 (w = 1) and 20 m of BU05 (2,000 of 10,000 m²: w = 0.2):
    //   a_inw = 200 + 0.2·500 = 300; p_x = (200·5 + 0.2·500·15) / (200 + 100) = 2,500 / 300;
    //   p_y: BU05 has none and holds 100 / 300 = 33 % of the population weight (> 5 %): missing.
    // BU15: 80 % of BU05: a_inw = 0.8·500 = 400; p_x = 15; p_y missing (100 % missing).
    // BU06: unchanged: 50, 7, 6, not interpolated. BU17 = BU07 renamed: 80, 9, 7, interpolated.
    let want: [Expected; 7] = [
        ("BU11", 200.0, 10.0, Some(1.0), "split", "true", "BU01:0.5"),
        ("BU12", 200.0, 10.0, Some(1.0), "split", "true", "BU01:0.5"),
        (
            "BU13",
            400.0,
            35.0,
            Some(2.75),
            "merged",
            "true",
            "BU02:1|BU03:1",
        ),
        (
            "BU14",
            300.0,
            2500.0 / 300.0,
            None,
            "reshaped",
            "true",
            "BU04:1|BU05:0.2",
        ),
        ("BU15", 400.0, 15.0, None, "reshaped", "true", "BU05:0.8"),
        ("BU06", 50.0, 7.0, Some(6.0), "same", "false", "BU06:1"),
        ("BU17", 80.0, 9.0, Some(7.0), "same", "true", "BU07:1"),
    ];
    for (code, inw, px, py, class, interp, sources) in want {
        let r = &rows[code];
        let close = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-5);
        assert!(close(num(r, "a_inw"), inw), "{code} a_inw {r:?}");
        assert!(close(num(r, "p_x"), px), "{code} p_x {r:?}");
        match py {
            Some(v) => assert!(close(num(r, "p_y"), v), "{code} p_y {r:?}"),
            None => assert_eq!(num(r, "p_y"), None, "{code} p_y {r:?}"),
        }
        assert_eq!(r["crosswalk"], class, "{code}");
        assert_eq!(r["interpolated"], interp, "{code}");
        assert_eq!(r["sources"], sources, "{code}");
    }
    let classes = &report["classes"];
    for (class, n) in [
        ("same", 2),
        ("split", 2),
        ("merged", 1),
        ("reshaped", 2),
        ("uncovered", 0),
    ] {
        assert_eq!(classes[class], n, "{class}: {classes}");
    }
    assert_eq!(
        report["renamed"],
        serde_json::json!([{"from": "BU07", "to": "BU17"}])
    );
    let p_y = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "p_y")
        .unwrap();
    assert_eq!(p_y["missing_targets"], serde_json::json!(["BU14", "BU15"]));
    // The count is conserved: 1,630 inhabitants in, 1,630 out.
    let inw = report["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "a_inw")
        .unwrap();
    assert!(
        (inw["target_total"].as_f64().unwrap() - 1630.0).abs() < 1e-6,
        "{inw}"
    );
}

/// The 2017 population of each buurt code in the raw export (the test's own reading).
fn population_2017(path: &Path) -> HashMap<String, f64> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let mut r = csv::ReaderBuilder::new()
        .delimiter(b',')
        .from_reader(text.as_bytes());
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let code = h.iter().position(|x| x == "WijkenEnBuurten").unwrap();
    let pop = h.iter().position(|x| x == "AantalInwoners_5").unwrap();
    r.records()
        .map(Result::unwrap)
        .filter(|rec| rec[code].trim().starts_with("BU"))
        .filter_map(|rec| Some((rec[code].trim().to_string(), rec[pop].trim().parse().ok()?)))
        .collect()
}

#[test]
fn real_buurten_2014_to_2020_conserve_population() {
    let Some(data) = data_dir() else {
        skip(
            "../shared/data not found (set MDI_DATA_DIR): the 2014 → 2020 crosswalk needs the CBS TopoJSON files",
        );
        return;
    };
    let nl = data.join("nl");
    let (from, to, kwb) = (
        nl.join("cbs_buurt_2014.topojson.gz"),
        nl.join("cbs_buurt_2020.topojson.gz"),
        nl.join("kwb_2017_statline_export.csv.gz"),
    );
    for f in [&from, &to, &kwb] {
        if !f.is_file() {
            skip(&format!("{} is absent", f.display()));
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let run_with = |max_missing: &str, name: &str| {
        let out = dir.path().join(format!("{name}.csv"));
        let report = dir.path().join(format!("{name}.json"));
        let args = [
            "crosswalk",
            "--from-areas",
            &s(&from),
            "--to-areas",
            &s(&to),
            "--indicators",
            &s(&kwb),
            // CBS columns go by their KWB short codes: AantalInwoners_5 is a_inw,
            // k_65JaarOfOuder_12 is a_65_oo.
            "--population",
            "a_inw",
            "--extensive",
            "a_inw",
            "--extensive",
            "a_65_oo",
            "--exclude",
            "ID",
            "--exclude",
            "IndelingswijzigingWijkenEnBuurten_4",
            "--max-missing",
            max_missing,
            "--out",
            &s(&out),
            "--report",
            &s(&report),
        ]
        .map(String::from);
        let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(o.status.success(), "{}", stderr(&o));
        let rep: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        (stdout(&o), read_scores(&out), rep)
    };
    // Default: a target is missing when > 5 % of its weight has no 2017 value.
    let (summary, rows, report) = run_with("0.05", "default");
    println!("{summary}");
    assert_eq!(rows.len(), 13_594);
    let counts: u64 = ["same", "split", "merged", "reshaped", "uncovered"]
        .iter()
        .map(|c| report["classes"][*c].as_u64().unwrap())
        .sum();
    assert_eq!(counts, 13_594, "{}", report["classes"]);
    assert!(report["zero_area_sources"].as_array().unwrap().len() > 100);

    // Conservation, with every target estimated from the sources it has (--max-missing 1):
    // the test's own total of the 2017 population over the 2014 buurten that have a polygon
    // with area, against the sum of the interpolated 2020 buurten.
    let (_, rows, report) = run_with("1", "all");
    let zero: HashSet<&str> = report["zero_area_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let geometry_2014 = mdi_geo::read_areas(&from, &mdi_geo::ReadOptions::default()).unwrap();
    let pop = population_2017(&kwb);
    let expected: f64 = geometry_2014
        .features
        .iter()
        .filter_map(|f| {
            f.properties
                .get("statcode")
                .and_then(mdi_geo::Value::as_text)
        })
        .filter(|c| !zero.contains(c.as_str()))
        .filter_map(|c| pop.get(&c))
        .sum();
    let got: f64 = rows.iter().filter_map(|r| num(r, "a_inw")).sum();
    let diff = got / expected - 1.0;
    println!(
        "population 2017 on 2014 buurten with area: {expected:.0}; interpolated onto 2020: {got:.0} ({:+.3} %)",
        diff * 100.0
    );
    assert!(diff.abs() < 0.005, "{got} vs {expected}");
}
