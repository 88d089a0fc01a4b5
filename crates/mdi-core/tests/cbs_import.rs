//! The CBS importers on the real files in `../shared/data/nl` (skipped with `SKIPPED:` when
//! absent) and on a KWB spreadsheet and a `DataProperties` file written by the test. Every
//! expected number was read by hand from the files (`zcat … | grep`), never from this code.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mdi_core::cbs::Level;
use mdi_core::{Panel, Profile, Table};

/// `../shared/data` beside the repository (or `MDI_DATA_DIR`), if present.
fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MDI_DATA_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"),
        PathBuf::from,
    );
    dir.is_dir().then_some(dir)
}

fn skip(why: &str) {
    eprintln!("SKIPPED: {why}");
}

/// A profile over the KWB short codes; `prefixes` selects the index unit (`[]` = every row).
fn profile(prefixes: &str, aliases: &str) -> Profile {
    let text = format!(
        r#"id = "t"
name = "t"
[input]
code_columns = ["buurtcode", "gwb_code_10", "WijkenEnBuurten", "Codering_3", "statcode"]
code_prefixes = {prefixes}
population = "a_inw"
missing_columns = "report"
[input.aliases]
{aliases}
[[domain]]
id = "d"
weight = 1
  [[domain.indicator]]
  id = "li"
  column = "p_hh_li"
  direction = "higher-is-worse"
  [[domain.indicator]]
  id = "osm"
  column = "p_hh_osm"
  direction = "higher-is-worse"
  [[domain.indicator]]
  id = "ink"
  column = "g_ink_pi"
  direction = "lower-is-worse"
  [[domain.indicator]]
  id = "oud"
  numerator = "a_65_oo"
  denominator = "a_inw"
  direction = "higher-is-worse"
  [[domain.indicator]]
  id = "jong"
  numerator = "a_15_24"
  denominator = ["a_00_14", "a_25_44", "a_45_64"]
  direction = "higher-is-worse"
"#
    );
    Profile::from_str_at(&text, Path::new("t.toml")).unwrap()
}

/// The value of `column` for (code, year), `None` when missing; panics when the row is absent.
fn value(p: &Panel, code: &str, year: i32, column: &str) -> Option<f64> {
    let i = (0..p.len())
        .find(|&i| &*p.codes[i] == code && p.years[i] == year)
        .unwrap_or_else(|| panic!("no row {code} {year}"));
    p.columns
        .get(column)
        .unwrap_or_else(|| panic!("no column {column}"))[i]
}

fn count<K: Ord>(items: impl Iterator<Item = K>) -> BTreeMap<K, usize> {
    let mut m = BTreeMap::new();
    for k in items {
        *m.entry(k).or_default() += 1;
    }
    m
}

#[test]
fn kwb_2017_odata_keys_export_every_row() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found (set MDI_DATA_DIR): the 2017 StatLine export");
        return;
    };
    let t = Table::read(&data.join("nl/kwb_2017_statline_export.csv.gz")).unwrap();
    assert_eq!(t.len(), 16_667);
    let regions = t.regions();
    assert_eq!(regions.len(), 16_667, "every row has a code");
    // By SoortRegio_2: the README's counts, and the 14 Nuenen rows without a kind.
    let by_kind = count(regions.iter().map(|r| r.kind));
    assert_eq!(by_kind[&Some(Level::Land)], 1);
    assert_eq!(by_kind[&Some(Level::Gemeente)], 387);
    assert_eq!(by_kind[&Some(Level::Wijk)], 3_067);
    assert_eq!(by_kind[&Some(Level::Buurt)], 13_198);
    assert_eq!(by_kind[&None], 14);
    // By the WijkenEnBuurten key: 10 buurten, 3 wijken, 1 gemeente more.
    let by_level = count(regions.iter().map(|r| r.level));
    assert_eq!(by_level[&Some(Level::Buurt)], 13_208);
    assert_eq!(by_level[&Some(Level::Wijk)], 3_070);
    assert_eq!(by_level[&Some(Level::Gemeente)], 388);

    let p = Panel::build(&profile("[]", ""), &[t], Some(2017)).unwrap();
    assert_eq!(p.len(), 16_667);
    // Five rows by hand (zcat | grep): NL00, Almelo, Amsterdam, wijk Binnenstad (Almelo), a
    // small buurt of Aa en Hunze with suppressed income, and a Nuenen buurt with no figures.
    let y = 2017;
    assert_eq!(value(&p, "NL00", y, "a_inw"), Some(17_081_507.0));
    assert_eq!(value(&p, "NL00", y, "a_65_oo"), Some(3_159_660.0));
    assert_eq!(value(&p, "NL00", y, "p_hh_li"), Some(7.9));
    assert_eq!(value(&p, "GM0141", y, "a_inw"), Some(72_479.0));
    assert_eq!(value(&p, "GM0141", y, "g_ink_pi"), Some(21.5));
    assert_eq!(value(&p, "GM0363", y, "a_inw"), Some(844_947.0));
    assert_eq!(value(&p, "GM0363", y, "p_hh_osm"), Some(13.1));
    assert_eq!(value(&p, "WK014110", y, "a_inw"), Some(5_280.0));
    assert_eq!(value(&p, "WK014110", y, "p_hh_li"), Some(13.1));
    assert_eq!(value(&p, "BU16800009", y, "a_inw"), Some(150.0));
    assert_eq!(value(&p, "BU16800009", y, "g_ink_pi"), Some(41.7));
    assert_eq!(value(&p, "BU16800009", y, "p_hh_li"), None, "`       .`");
    assert_eq!(
        value(&p, "BU08200000", y, "a_inw"),
        None,
        "Nuenen: no figures"
    );
    // The columns were found by key stem, never by suffix.
    let found: BTreeMap<&str, &str> = p
        .resolved
        .iter()
        .filter_map(|c| c.found.as_ref().map(|(_, h)| (c.name.as_str(), h.as_str())))
        .collect();
    assert_eq!(found["a_inw"], "AantalInwoners_5");
    assert_eq!(found["a_65_oo"], "k_65JaarOfOuder_12");
    assert_eq!(found["p_hh_osm"], "HuishOnderOfRondSociaalMinimum_73");
    assert!(!found.contains_key("a_15_24"), "no age groups in 2017");
    // Gemeente names from Gemeentenaam_1, Nuenen's included.
    assert_eq!(p.names["GM0141"], "Almelo");
    assert_eq!(p.names["GM0820"], "Nuenen");

    // As the index unit: buurten by code, the Nuenen buurten included.
    let t = Table::read(&data.join("nl/kwb_2017_statline_export.csv.gz")).unwrap();
    let p = Panel::build(&profile("[\"BU\"]", ""), &[t], Some(2017)).unwrap();
    assert_eq!(p.codes_by_year[&2017].len(), 13_208);
    assert_eq!(p.skipped["GM"], 388);
    assert_eq!(p.skipped["WK"], 3_070);
    assert_eq!(p.skipped["NL"], 1);
}

#[test]
fn kwb_2024_titles_export_every_row_and_names() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found (set MDI_DATA_DIR): the 2024 StatLine titles export");
        return;
    };
    let t = Table::read(&data.join("nl/kwb_2024_statline_leeftijd.csv.gz")).unwrap();
    assert_eq!(t.len(), 18_310);
    assert_eq!(t.delimiter, b';');
    let by_kind = count(t.regions().iter().map(|r| r.kind));
    let by_level = count(t.regions().iter().map(|r| r.level));
    for counts in [&by_kind, &by_level] {
        assert_eq!(counts[&Some(Level::Land)], 1);
        assert_eq!(counts[&Some(Level::Gemeente)], 342);
        assert_eq!(counts[&Some(Level::Wijk)], 3_393);
        assert_eq!(counts[&Some(Level::Buurt)], 14_574);
    }
    let p = Panel::build(&profile("[]", ""), &[t], Some(2024)).unwrap();
    assert_eq!(p.len(), 18_310);
    let y = 2024;
    assert_eq!(value(&p, "NL00", y, "a_inw"), Some(17_942_942.0));
    assert_eq!(value(&p, "NL00", y, "a_15_24"), Some(2_202_159.0));
    assert_eq!(value(&p, "GM0141", y, "a_inw"), Some(74_317.0));
    assert_eq!(value(&p, "GM0141", y, "a_65_oo"), Some(15_368.0));
    assert_eq!(value(&p, "GM0363", y, "a_inw"), Some(931_298.0));
    assert_eq!(value(&p, "GM0363", y, "a_00_14"), Some(122_836.0));
    assert_eq!(value(&p, "WK014110", y, "a_inw"), Some(5_620.0));
    assert_eq!(value(&p, "WK014110", y, "a_25_44"), Some(1_530.0));
    assert_eq!(value(&p, "BU0363KA05", y, "a_inw"), Some(2_175.0));
    assert_eq!(value(&p, "BU0363KA05", y, "a_45_64"), Some(505.0));
    let found: BTreeMap<&str, &str> = p
        .resolved
        .iter()
        .filter_map(|c| c.found.as_ref().map(|(_, h)| (c.name.as_str(), h.as_str())))
        .collect();
    assert_eq!(found["a_inw"], "Bevolking/Aantal inwoners (aantal)");
    assert_eq!(
        found["a_65_oo"],
        "Bevolking/Leeftijdsgroepen/65 jaar of ouder (aantal)"
    );
    // Names: "Wijken en buurten" holds the name; the gemeente name column names GM + code[2..6].
    assert_eq!(p.names["GM0141"], "Almelo");
    assert_eq!(p.names["WK014110"], "Binnenstad");
    assert_eq!(p.names["BU0363KA05"], "Aalsmeerwegbuurt-Oost");
    assert_eq!(p.names["GM1680"], "Aa en Hunze");
    assert_eq!(p.names["NL00"], "Nederland");
    assert_eq!(p.names.len(), 18_310, "one name per code");
}

#[test]
fn two_years_and_overlapping_tables() {
    let Some(data) = data_dir() else {
        skip("../shared/data not found (set MDI_DATA_DIR): the KWB tables");
        return;
    };
    let nl = data.join("nl");
    let tables = vec![
        Table::read(&nl.join("kwb_2024_buurt_subset.csv.gz"))
            .unwrap()
            .with_year(2024),
        Table::read(&nl.join("kwb_2024_statline_leeftijd.csv.gz"))
            .unwrap()
            .with_year(2024),
        Table::read(&nl.join("kwb_2017_statline_export.csv.gz"))
            .unwrap()
            .with_year(2017),
    ];
    let prof = profile(
        "[\"BU\"]",
        "a_inw = [\"kwb_inwoners\"]\ng_ink_pi = [\"kwb_inkomenPerInwoner\"]",
    );
    // No run year: each table brings its own.
    let p = Panel::build(&prof, &tables, None).unwrap();
    assert_eq!(p.codes_by_year[&2017].len(), 13_208);
    assert_eq!(p.codes_by_year[&2024].len(), 14_574);
    let a_inw = p.resolved.iter().find(|c| c.name == "a_inw").unwrap();
    let headers: Vec<&str> = a_inw.sources.iter().map(|(_, h)| h.as_str()).collect();
    assert_eq!(
        headers,
        [
            "kwb_inwoners",
            "Bevolking/Aantal inwoners (aantal)",
            "AantalInwoners_5"
        ]
    );
    assert_eq!(a_inw.found.as_ref().unwrap().1, "kwb_inwoners");
    // Each year from its own table (values by hand: subset and titles export 2175; 2017 150).
    assert_eq!(value(&p, "BU0363KA05", 2024, "a_inw"), Some(2_175.0));
    assert_eq!(value(&p, "BU16800009", 2017, "a_inw"), Some(150.0));
    assert_eq!(value(&p, "BU0363KA05", 2024, "a_45_64"), Some(505.0));
    // The subset and the titles export are the same CBS table: their a_inw never disagree.
    assert_eq!(p.conflicts.get("a_inw"), None, "{:?}", p.conflicts);
    // Names from all three tables, wijken from the titles export; where they differ the
    // first table wins: the 2024 tables call GM0820 by its full name, the 2017 export "Nuenen".
    assert_eq!(p.names["WK014110"], "Binnenstad");
    assert_eq!(p.names["GM0820"], "Nuenen, Gerwen en Nederwetten");
    assert_eq!(p.names["BU0363KA05"], "Aalsmeerwegbuurt-Oost");
}

#[test]
fn conflicts_are_counted_and_the_first_table_wins() {
    let a = Table::from_bytes(
        Path::new("a.csv"),
        b"buurtcode,a_inw,g_ink_pi\nBU00010001,100,25.7\nBU00010002,200,.\nBU00010003,300,20\n",
    )
    .unwrap();
    let b = Table::from_bytes(
        Path::new("b.csv"),
        b"WijkenEnBuurten,AantalInwoners_5,GemiddeldInkomenPerInwoner_66\n\
          BU00010001,100,26\nBU00010002,205,19.5\nBU00010004,400,30\n",
    )
    .unwrap();
    let p = Panel::build(&profile("[\"BU\"]", ""), &[a, b], Some(2024)).unwrap();
    // 25.7 and 26 agree up to rounding; 200 and 205 do not; 20 vs missing is no conflict.
    assert_eq!(p.conflicts.get("a_inw"), Some(&1));
    assert_eq!(p.conflicts.get("g_ink_pi"), None);
    assert_eq!(value(&p, "BU00010002", 2024, "a_inw"), Some(200.0));
    assert_eq!(
        value(&p, "BU00010002", 2024, "g_ink_pi"),
        Some(19.5),
        "filled by b"
    );
    assert_eq!(
        value(&p, "BU00010001", 2024, "g_ink_pi"),
        Some(25.7),
        "a wins"
    );
    assert_eq!(value(&p, "BU00010004", 2024, "a_inw"), Some(400.0));
    assert_eq!(p.codes_by_year[&2024].len(), 4);
}

#[test]
fn kwb_spreadsheet_with_short_codes_decimal_comma_and_marks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kwb-2023.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    // A title row and an empty row above the header, as older KWB files have.
    ws.write_string(0, 0, "Kerncijfers wijken en buurten 2023")
        .unwrap();
    let header = [
        "gwb_code_10",
        "regio",
        "gm_naam",
        "recs",
        "a_inw",
        "p_hh_li",
        "g_ink_pi",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let rows: [[&str; 7]; 4] = [
        [
            "GM0141", "Almelo", "Almelo", "Gemeente", "#74317", "10,7", "#21.5",
        ],
        [
            "WK014110",
            "Binnenstad",
            "Almelo",
            "Wijk",
            "#5280",
            "13,1",
            "x",
        ],
        [
            "BU01411000",
            "Centrum",
            "Almelo",
            "Buurt",
            "#1235",
            ".",
            "22,5",
        ],
        [
            "BU01411009",
            "Verspreide huizen",
            "Almelo",
            "Buurt",
            "-",
            "-",
            ".",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 3, c as u16);
            // `#` marks a numeric cell; all others are text cells, as CBS writes them.
            match v.strip_prefix('#') {
                Some(n) => ws.write_number(r, c, n.parse::<f64>().unwrap()).unwrap(),
                None => ws.write_string(r, c, *v).unwrap(),
            };
        }
    }
    wb.save(&path).unwrap();

    let t = Table::read(&path).unwrap();
    assert_eq!(t.headers, header);
    assert_eq!(t.len(), 4);
    let p = Panel::build(&profile("[]", ""), &[t], Some(2023)).unwrap();
    let y = 2023;
    assert_eq!(value(&p, "GM0141", y, "a_inw"), Some(74_317.0));
    assert_eq!(value(&p, "GM0141", y, "p_hh_li"), Some(10.7));
    assert_eq!(value(&p, "GM0141", y, "g_ink_pi"), Some(21.5));
    assert_eq!(value(&p, "WK014110", y, "p_hh_li"), Some(13.1));
    assert_eq!(value(&p, "WK014110", y, "g_ink_pi"), None, "x = secret");
    assert_eq!(value(&p, "BU01411000", y, "p_hh_li"), None, ". = missing");
    assert_eq!(value(&p, "BU01411000", y, "g_ink_pi"), Some(22.5));
    assert_eq!(value(&p, "BU01411009", y, "a_inw"), None, "- = nihil");
    assert_eq!(p.names["WK014110"], "Binnenstad");
    assert_eq!(p.names["GM0141"], "Almelo");
    assert_eq!(p.names["BU01411009"], "Verspreide huizen");

    // A sheet without a code column says so.
    let bad = dir.path().join("bad.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet().write_string(0, 0, "a_inw").unwrap();
    wb.save(&bad).unwrap();
    let e = Table::read(&bad).unwrap_err().to_string();
    assert!(e.contains("bad.xlsx") && e.contains("no header row"), "{e}");
}

#[test]
fn data_properties_beside_the_table_name_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    // Keys whose stems the vocabulary does not know; only the titles say what they are.
    std::fs::write(
        dir.path().join("t.csv"),
        "ID,WijkenEnBuurten,Gemeentenaam_1,SoortRegio_2,Codering_3,Inw_5,Laag_72\n\
         0,GM0141    ,Almelo                                  ,Gemeente  ,GM0141    ,72479,10.7\n\
         1,BU01410000,Almelo                                  ,Buurt     ,BU01410000,1235,       .\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("t.DataProperties.json"),
        r#"{"odata.metadata": "x", "value": [
            {"ID": 0, "Key": "WijkenEnBuurten", "Title": "Wijken en buurten", "Type": "GeoDimension"},
            {"ID": 5, "Key": "Inw_5", "Title": "Aantal inwoners", "Type": "Topic", "Unit": "aantal"},
            {"ID": 6, "Key": "Laag_72", "Title": "Huishoudens met een laag inkomen", "Type": "Topic"}
        ]}"#,
    )
    .unwrap();
    let t = Table::read(&dir.path().join("t.csv")).unwrap();
    assert_eq!(t.canonical[5].as_deref(), Some("a_inw"));
    assert_eq!(t.canonical[6].as_deref(), Some("p_hh_li"));
    let p = Panel::build(&profile("[]", ""), &[t], Some(2017)).unwrap();
    assert_eq!(value(&p, "GM0141", 2017, "a_inw"), Some(72_479.0));
    assert_eq!(value(&p, "BU01410000", 2017, "p_hh_li"), None);
    assert_eq!(value(&p, "GM0141", 2017, "p_hh_li"), Some(10.7));

    std::fs::write(dir.path().join("t.DataProperties.json"), "[1,2]").unwrap();
    let e = Table::read(&dir.path().join("t.csv"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("t.DataProperties.json") && e.contains("DataProperties"),
        "{e}"
    );
}
