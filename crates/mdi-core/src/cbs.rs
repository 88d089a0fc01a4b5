//! The CBS vocabulary: which header of which CBS file holds which Kerncijfers wijken en buurten
//! (KWB) variable, and which headers identify the region of a row.
//!
//! Canonical names are the KWB short codes (`a_inw`, `p_hh_li`, …). A header maps to one when it
//! is the short code itself, an OData v3 key whose stem (the key without its `_<n>` suffix, which
//! changes every edition and is never used) is known, a StatLine title (the theme path, with the
//! unit in parentheses removed, compared without case or spaces: full path first, then the last
//! segment when it is unambiguous), or a PDOK GeoPackage snake_case name. The list is
//! `cbs_vocabulary.toml`, embedded; it marks which mappings a real file confirmed. docs/CBS.md
//! describes the formats.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::error::{CoreError, Result};

/// The embedded vocabulary file.
const VOCABULARY: &str = include_str!("cbs_vocabulary.toml");

/// The level of a CBS region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The country (`NL00`).
    Land,
    /// A gemeente (`GM` + 4 digits).
    Gemeente,
    /// A wijk (`WK` + 6 characters).
    Wijk,
    /// A buurt (`BU` + 8 characters).
    Buurt,
}

impl Level {
    /// The level of a code from its prefix (`NL`, `GM`, `WK`, `BU`, any case); `None` for others.
    pub fn from_code(code: &str) -> Option<Level> {
        let p = code.trim().get(..2)?.to_ascii_uppercase();
        match p.as_str() {
            "NL" => Some(Level::Land),
            "GM" => Some(Level::Gemeente),
            "WK" => Some(Level::Wijk),
            "BU" => Some(Level::Buurt),
            _ => None,
        }
    }

    /// The level named by a `SoortRegio` / `recs` cell: `Land`, `Gemeente`, `Wijk` or `Buurt`
    /// (padded, any case); `None` for anything else, an empty cell included.
    pub fn from_kind(kind: &str) -> Option<Level> {
        match kind.trim().to_ascii_lowercase().as_str() {
            "land" => Some(Level::Land),
            "gemeente" => Some(Level::Gemeente),
            "wijk" => Some(Level::Wijk),
            "buurt" => Some(Level::Buurt),
            _ => None,
        }
    }

    /// The level of a row: from its code's prefix, else from its region kind cell.
    pub fn of_row(code: &str, kind: Option<&str>) -> Option<Level> {
        Level::from_code(code).or_else(|| kind.and_then(Level::from_kind))
    }

    /// The code prefix of the level (`NL`, `GM`, `WK`, `BU`).
    pub fn prefix(self) -> &'static str {
        match self {
            Level::Land => "NL",
            Level::Gemeente => "GM",
            Level::Wijk => "WK",
            Level::Buurt => "BU",
        }
    }
}

/// The role of an identity column: what it says about the region of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The region's own code (`WijkenEnBuurten`, `Codering_3`, "Regioaanduiding/Codering (code)",
    /// `gwb_code_10`, `buurtcode`, `statcode`).
    Code,
    /// The region's own name ("Wijken en buurten" in the titles export, `regio`, `buurtnaam`,
    /// `statnaam`).
    Name,
    /// The name of the row's gemeente (`Gemeentenaam_1`, "Regioaanduiding/Gemeentenaam (naam)",
    /// `gm_naam`, `gemeentenaam`).
    GemeenteName,
    /// The name of the row's wijk (`wijknaam`, `wk_naam`).
    WijkName,
    /// The region kind: Land/Gemeente/Wijk/Buurt (`SoortRegio_2`,
    /// "Regioaanduiding/Soort regio (omschrijving)", `recs`).
    Kind,
}

/// The identity role of a header, or `None` for a value column. "Wijken en buurten" (with
/// spaces, a StatLine title) holds names; `WijkenEnBuurten` (an OData key) holds codes.
pub fn identity(header: &str) -> Option<Identity> {
    let lower = header.trim().to_lowercase();
    match lower.as_str() {
        "wijkenenbuurten" | "gwb_code_10" | "gwb_code" | "buurtcode" | "statcode" => {
            return Some(Identity::Code);
        }
        "wijken en buurten" | "regio" | "buurtnaam" | "statnaam" => return Some(Identity::Name),
        "gm_naam" | "gemeentenaam" => return Some(Identity::GemeenteName),
        "wk_naam" | "wijknaam" => return Some(Identity::WijkName),
        "recs" => return Some(Identity::Kind),
        _ => {}
    }
    let full = normalise_title(header);
    match full.as_str() {
        "regioaanduiding/codering" => return Some(Identity::Code),
        "regioaanduiding/gemeentenaam" => return Some(Identity::GemeenteName),
        "regioaanduiding/soortregio" => return Some(Identity::Kind),
        _ => {}
    }
    match key_stem(header.trim()).to_lowercase().as_str() {
        "codering" => Some(Identity::Code),
        "gemeentenaam" => Some(Identity::GemeenteName),
        "soortregio" => Some(Identity::Kind),
        _ => None,
    }
}

/// An OData key without its numeric position suffix: `AantalInwoners_5` → `AantalInwoners`,
/// `k_65JaarOfOuder_12` → `k_65JaarOfOuder`. A name without such a suffix is returned whole.
pub fn key_stem(key: &str) -> &str {
    match key.rsplit_once('_') {
        Some((stem, n))
            if !stem.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            stem
        }
        _ => key,
    }
}

/// A StatLine title as compared: the unit in parentheses at the end removed, lower case, no
/// whitespace. `"Bevolking/Aantal inwoners (aantal)"` → `bevolking/aantalinwoners`.
pub fn normalise_title(title: &str) -> String {
    let t = title.trim();
    let t = match t.rfind('(') {
        Some(i) if t.ends_with(')') && i > 0 => &t[..i],
        _ => t,
    };
    t.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// One variable of the vocabulary.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The StatLine title (Dutch), for reports.
    pub name: String,
    /// OData v3 key stems.
    pub keys: Vec<String>,
    /// StatLine titles with their theme path, unit removed.
    pub titles: Vec<String>,
    /// PDOK GeoPackage snake_case names.
    pub pdok: Vec<String>,
    /// The names above that a real file in `../shared/data/nl` confirmed, each as
    /// `name: file`; every other name is inferred.
    pub confirmed: Vec<String>,
}

/// The CBS vocabulary: KWB short code → [`Variable`], with lookup tables.
#[derive(Debug, Default)]
pub struct Vocabulary {
    /// The variables by short code.
    pub variables: BTreeMap<String, Variable>,
    /// Lower-case short code, key stem or PDOK name → short code.
    names: HashMap<String, String>,
    /// Normalised full title path → short code.
    full_titles: HashMap<String, String>,
    /// Normalised last title segment → short codes that end in it.
    last_titles: HashMap<String, Vec<String>>,
}

impl Vocabulary {
    /// Parse a vocabulary file (the format of the embedded `cbs_vocabulary.toml`).
    ///
    /// # Errors
    /// A message naming the problem when the text is not a valid vocabulary, or when one name
    /// maps to two variables.
    pub fn parse(text: &str) -> std::result::Result<Vocabulary, String> {
        let variables: BTreeMap<String, Variable> =
            toml::from_str(text).map_err(|e| format!("cbs_vocabulary.toml: {e}"))?;
        let mut v = Vocabulary {
            variables,
            ..Vocabulary::default()
        };
        for (code, var) in &v.variables {
            let names = std::iter::once(code)
                .chain(&var.keys)
                .chain(&var.pdok)
                .map(|n| n.to_lowercase());
            for n in names {
                if let Some(other) = v.names.insert(n.clone(), code.clone())
                    && &other != code
                {
                    return Err(format!(
                        "cbs_vocabulary.toml: `{n}` is in {other} and {code}"
                    ));
                }
            }
            for t in &var.titles {
                let full = normalise_title(t);
                if let Some(other) = v.full_titles.insert(full.clone(), code.clone()) {
                    return Err(format!(
                        "cbs_vocabulary.toml: title `{t}` is in {other} and {code}"
                    ));
                }
                let last = full.rsplit('/').next().unwrap_or(&full).to_string();
                let codes = v.last_titles.entry(last).or_default();
                if !codes.contains(code) {
                    codes.push(code.clone());
                }
            }
        }
        Ok(v)
    }

    /// The KWB short code of a header: the code itself, an OData key by its stem, a PDOK name,
    /// or a StatLine title (full path first, then an unambiguous last segment); `None` when the
    /// header is none of these.
    pub fn canonical(&self, header: &str) -> Option<&str> {
        let h = header.trim();
        let lower = h.to_lowercase();
        if let Some(c) = self.names.get(&lower) {
            return Some(c);
        }
        if let Some(c) = self.names.get(&key_stem(h).to_lowercase()) {
            return Some(c);
        }
        self.canonical_title(h)
    }

    /// The KWB short code of a StatLine title: by its full path, else by its last segment when
    /// exactly one variable ends in it.
    pub fn canonical_title(&self, title: &str) -> Option<&str> {
        let full = normalise_title(title);
        if full.is_empty() {
            return None;
        }
        if let Some(c) = self.full_titles.get(&full) {
            return Some(c);
        }
        let last = full.rsplit('/').next().unwrap_or(&full);
        match self.last_titles.get(last).map(Vec::as_slice) {
            Some([one]) => Some(one),
            _ => None,
        }
    }

    /// The short code that a profile's column name stands for: itself when it is a short code,
    /// else its canonical name (an OData key, title or PDOK name).
    pub fn canonical_name(&self, name: &str) -> Option<&str> {
        self.canonical(name)
    }
}

/// The embedded vocabulary, parsed once. A parse failure (caught by the unit tests) gives an
/// empty vocabulary, so that tables are still read by their literal headers.
pub fn vocabulary() -> &'static Vocabulary {
    static V: OnceLock<Vocabulary> = OnceLock::new();
    V.get_or_init(|| Vocabulary::parse(VOCABULARY).unwrap_or_default())
}

/// The `DataProperties.json` that may lie beside a table: `<stem>.DataProperties.json`, where
/// the stem is the file name without `.gz` and then without `.csv`, `.txt`, `.xlsx` or `.xls`.
pub fn data_properties_path(table: &Path) -> PathBuf {
    let name = table
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut stem = name.as_str();
    for ext in [".gz", ".csv", ".txt", ".xlsx", ".xls"] {
        if stem.len() > ext.len() && stem.to_ascii_lowercase().ends_with(ext) {
            stem = &stem[..stem.len() - ext.len()];
        }
    }
    table.with_file_name(format!("{stem}.DataProperties.json"))
}

/// One entry of an OData v3 `DataProperties` response.
#[derive(Deserialize)]
struct DataProperty {
    #[serde(rename = "Key")]
    key: Option<String>,
    #[serde(rename = "Title")]
    title: Option<String>,
}

/// The `value` array of an OData v3 `DataProperties` response.
#[derive(Deserialize)]
struct DataProperties {
    value: Vec<DataProperty>,
}

/// Read an OData v3 `DataProperties` JSON file: `Key` → `Title` for every entry with both.
///
/// # Errors
/// [`CoreError::Io`] when the file cannot be read, [`CoreError::Table`] when it is not a JSON
/// object with a `value` array of objects.
pub fn read_data_properties(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read(path).map_err(|cause| CoreError::Io {
        path: path.to_path_buf(),
        cause,
    })?;
    let dp: DataProperties = serde_json::from_slice(&text).map_err(|e| CoreError::Table {
        at: crate::error::Location {
            path: path.to_path_buf(),
            line: e.line() as u64,
            column: 0,
        },
        column: "value".into(),
        message: format!(
            "not an OData DataProperties document (expected {{\"value\": [{{\"Key\": …, \"Title\": …}}]}}): {e}"
        ),
    })?;
    Ok(dp
        .value
        .into_iter()
        .filter_map(|p| Some((p.key?.trim().to_string(), p.title?.trim().to_string())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_vocabulary_parses_and_marks_only_its_own_names_confirmed() {
        let v = Vocabulary::parse(VOCABULARY).unwrap();
        assert!(v.variables.len() >= 40, "{}", v.variables.len());
        // Every column METHOD.md §3.4 names by a KWB code.
        for code in [
            "a_inw",
            "a_00_14",
            "a_15_24",
            "a_25_44",
            "a_45_64",
            "a_65_oo",
            "a_hh",
            "p_hh_li",
            "p_hh_osm",
            "p_ink_ar",
            "a_soz_wb",
            "a_soz_ww",
            "a_soz_ao",
            "p_arb_pp",
            "a_opl_lg",
            "a_opl_bvm",
            "g_ink_pi",
            "g_woz",
            "p_koopw",
            "g_afs_hp",
            "g_afs_gs",
            "g_afs_sc",
            "p_wmo_t",
        ] {
            assert!(v.variables.contains_key(code), "{code}");
        }
        for (code, var) in &v.variables {
            for c in &var.confirmed {
                let (name, file) = c.split_once(": ").unwrap();
                assert!(["2017", "2024t", "gpkg"].contains(&file), "{code}: {c}");
                assert!(
                    var.keys
                        .iter()
                        .chain(&var.titles)
                        .chain(&var.pdok)
                        .any(|n| n == name),
                    "{code}: confirmed `{name}` is not one of its names"
                );
            }
        }
    }

    #[test]
    fn headers_in_every_shape_find_their_short_code() {
        let v = vocabulary();
        for h in [
            "a_inw",
            "A_INW",
            "AantalInwoners_5",
            "AantalInwoners_112",
            "Bevolking/Aantal inwoners (aantal)",
            "\"Aantal inwoners (aantal)\"".trim_matches('"'),
            "bevolking / aantal  inwoners",
            "aantal_inwoners",
        ] {
            assert_eq!(v.canonical(h), Some("a_inw"), "{h}");
        }
        assert_eq!(v.canonical("k_65JaarOfOuder_12"), Some("a_65_oo"));
        assert_eq!(
            v.canonical("Bevolking/Leeftijdsgroepen/15 tot 25 jaar (aantal)"),
            Some("a_15_24")
        );
        assert_eq!(v.canonical("65 jaar of ouder"), Some("a_65_oo"));
        assert_eq!(
            v.canonical("HuishOnderOfRondSociaalMinimum_73"),
            Some("p_hh_osm")
        );
        assert_eq!(
            v.canonical("GemiddeldeWOZWaardeVanWoningen_39"),
            Some("g_woz")
        );
        // A suffix alone never maps, nor an unknown stem.
        assert_eq!(v.canonical("Onbekend_5"), None);
        assert_eq!(v.canonical("k_40HuishoudensMetLaagsteInkomen_70"), None);
        assert_eq!(v.canonical("ID"), None);
    }

    #[test]
    fn an_ambiguous_last_segment_needs_the_full_path() {
        let v = Vocabulary::parse(
            "[x_a]\nname='a'\nkeys=[]\ntitles=['A/Totaal']\npdok=[]\nconfirmed=[]\n\
             [x_b]\nname='b'\nkeys=[]\ntitles=['B/Totaal']\npdok=[]\nconfirmed=[]\n",
        )
        .unwrap();
        assert_eq!(v.canonical("Totaal (aantal)"), None);
        assert_eq!(v.canonical("B/Totaal (aantal)"), Some("x_b"));
        assert!(Vocabulary::parse("[x]\nname='a'\nkeys=['K']\ntitles=[]\npdok=[]\nconfirmed=[]\n[y]\nname='b'\nkeys=['k']\ntitles=[]\npdok=[]\nconfirmed=[]\n").is_err());
    }

    #[test]
    fn identity_columns_in_all_shapes() {
        for (h, want) in [
            ("WijkenEnBuurten", Identity::Code),
            ("Codering_3", Identity::Code),
            ("Regioaanduiding/Codering (code)", Identity::Code),
            ("gwb_code_10", Identity::Code),
            ("Wijken en buurten", Identity::Name),
            ("regio", Identity::Name),
            ("Gemeentenaam_1", Identity::GemeenteName),
            (
                "Regioaanduiding/Gemeentenaam (naam)",
                Identity::GemeenteName,
            ),
            ("gm_naam", Identity::GemeenteName),
            ("gemeentenaam", Identity::GemeenteName),
            ("SoortRegio_2", Identity::Kind),
            ("Regioaanduiding/Soort regio (omschrijving)", Identity::Kind),
            ("recs", Identity::Kind),
        ] {
            assert_eq!(identity(h), Some(want), "{h}");
        }
        assert_eq!(identity("AantalInwoners_5"), None);
        assert_eq!(identity("gemeentecode"), None);
    }

    #[test]
    fn levels_and_stems() {
        assert_eq!(Level::from_code("BU0363KA05"), Some(Level::Buurt));
        assert_eq!(Level::from_code("WK168000  "), Some(Level::Wijk));
        assert_eq!(Level::from_code("E01000001"), None);
        assert_eq!(Level::of_row("", Some("Gemeente  ")), Some(Level::Gemeente));
        assert_eq!(Level::of_row("GM0820", Some("")), Some(Level::Gemeente));
        assert_eq!(key_stem("k_65JaarOfOuder_12"), "k_65JaarOfOuder");
        assert_eq!(key_stem("a_inw"), "a_inw");
        assert_eq!(key_stem("gwb_code_10"), "gwb_code");
        assert_eq!(key_stem("_5"), "_5");
        assert_eq!(
            data_properties_path(Path::new("/d/kwb_2017.csv.gz")),
            Path::new("/d/kwb_2017.DataProperties.json")
        );
    }
}
