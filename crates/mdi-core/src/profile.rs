//! The profile: which domains, sub-domains and indicators make up the index, with their weights,
//! and which areas are eligible. A profile is a TOML file; see `docs/PROFILES.md` for the schema.
//!
//! Every error names the profile file, the line and the key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::{CoreError, Location, Result};
use crate::table::{Table, parse_number};

/// How areas are ranked when a table holds several years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ranking {
    /// Each year is ranked on its own (N = eligible areas of that year). The default.
    #[default]
    PerYear,
    /// All area-years are ranked together (N = all eligible area-years), so that scores can be
    /// compared between years (METHOD.md §6, pooled ranking).
    Pooled,
}

/// Which way an indicator points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// A higher value means more deprived (e.g. a benefit rate).
    HigherIsWorse,
    /// A lower value means more deprived (e.g. labour participation, income).
    LowerIsWorse,
}

/// How an indicator's raw value is turned into a value to rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transform {
    /// The value itself, or numerator / denominator × scale. The default.
    #[default]
    Rate,
    /// `ln(1 + value)` of the rate; the value must be ≥ 0. Ranks, and so normal scores, are
    /// unchanged by it; it is kept so profiles can state the published construction.
    Log,
    /// The value is already a rank where 1 is the most deprived.
    Rank,
}

/// How the indicators of one domain (or sub-domain) are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Combine {
    /// The mean of the normal scores of the indicators present. The default.
    #[default]
    Equal,
    /// One-factor weights `b = R⁻¹λ` on the normal scores (METHOD.md §1.5), normalised to sum 1;
    /// equal weights when there are fewer than 3 indicators or the factor model fails.
    Factor,
    /// Weights proportional to the one-factor loadings `λ`, normalised to sum 1, with the same
    /// fallback as `Factor`. This is what reproduces the English Health domain
    /// (`docs/VALIDATION.md`). In a profile: `combine = "factor-loadings"`.
    FactorLoadings,
}

/// What to do when a column named by an indicator is in none of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingColumns {
    /// Stop with an error that names the profile line. The default: a typo never goes unseen.
    #[default]
    Error,
    /// Treat the indicator as missing for every area, and report it in the summary.
    Report,
}

/// How numbers in the tables are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decimal {
    /// `;`-separated files use a decimal comma (a lone point is read as a decimal point too);
    /// other files a decimal point, with a comma read as a thousands separator where it groups
    /// digits by three (`"29,199"`), and as a decimal comma where it cannot (`"1,5"`, `0,250`).
    /// The default.
    #[default]
    Auto,
    /// A decimal point; commas are thousands separators.
    Point,
    /// A decimal comma; points are thousands separators.
    Comma,
}

/// A column named in the profile, with where it was named (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnRef {
    /// The column name as written in the profile (a CBS short code, a header, …).
    pub name: String,
    /// Where in the profile it is named.
    pub at: Location,
    /// The profile key that names it.
    pub key: String,
}

/// Where an indicator's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// One column.
    Column(ColumnRef),
    /// `numerator / (sum of denominator columns) × scale`.
    Ratio {
        /// The count.
        numerator: ColumnRef,
        /// The base, summed when several columns are given (e.g. age groups).
        denominator: Vec<ColumnRef>,
    },
}

/// One indicator of a domain or sub-domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Indicator {
    /// Short id, unique within the profile.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Where the value comes from.
    pub source: Source,
    /// Which way it points. `Rank` indicators are always "rank 1 = most deprived".
    pub direction: Direction,
    /// How the raw value is treated.
    pub transform: Transform,
    /// Multiplier of a ratio (e.g. 1000 for "per 1,000").
    pub scale: f64,
    /// Where later editions of the tables hold the indicator under another column (CBS
    /// renames or redefines KWB variables), ascending by year; `source` holds for the years
    /// before the first.
    pub editions: Vec<Edition>,
}

/// An edition of an indicator: from a year on, its value comes from another source.
#[derive(Debug, Clone, PartialEq)]
pub struct Edition {
    /// The first year of this edition.
    pub from: i32,
    /// Where the value comes from from that year on.
    pub source: Source,
    /// Set when values from this year on are not comparable with earlier ones (a series
    /// break): what changed. Trends never compare across it.
    pub series_break: Option<String>,
}

impl Indicator {
    /// The source for `year`: the last edition that starts at or before it, else `source`.
    pub fn source_for(&self, year: i32) -> &Source {
        self.editions
            .iter()
            .rev()
            .find(|e| e.from <= year)
            .map_or(&self.source, |e| &e.source)
    }

    /// Every source of the indicator: `source`, then each edition's.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        std::iter::once(&self.source).chain(self.editions.iter().map(|e| &e.source))
    }

    /// Every column the indicator may read, over all its editions.
    pub fn column_refs(&self) -> Vec<&ColumnRef> {
        self.sources().flat_map(Source::columns).collect()
    }
}

impl Source {
    /// The columns this source reads: its column, or its numerator and denominators.
    pub fn columns(&self) -> Vec<&ColumnRef> {
        match self {
            Source::Column(c) => vec![c],
            Source::Ratio {
                numerator,
                denominator,
            } => std::iter::once(numerator).chain(denominator).collect(),
        }
    }
}

/// A weighted group of indicators inside a domain (METHOD.md §1.2, e.g. England's
/// "Children and young people" and "Adult skills").
#[derive(Debug, Clone, PartialEq)]
pub struct Subdomain {
    /// Short id, unique within the domain.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Weight within the domain.
    pub weight: f64,
    /// How its indicators are combined.
    pub combine: Combine,
    /// Its indicators.
    pub indicators: Vec<Indicator>,
}

/// What a domain is built from.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainParts {
    /// Indicators combined directly.
    Indicators(Vec<Indicator>),
    /// Sub-domains, each ranked and exponentially transformed, then combined by weight.
    Subdomains(Vec<Subdomain>),
}

/// Combination of indicators for a domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// Short ASCII id used in column names, tile properties and API fields (`inkomen`).
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Display names by language code (`nl`, `en`), for clients that speak several languages;
    /// empty when the profile gives none (then `name` serves every language).
    pub names: std::collections::BTreeMap<String, String>,
    /// Weight in the MDI.
    pub weight: f64,
    /// How its indicators are combined (when it has no sub-domains).
    pub combine: Combine,
    /// Indicators or sub-domains.
    pub parts: DomainParts,
}

impl Domain {
    /// All indicators of the domain, through its sub-domains if it has them.
    pub fn indicators(&self) -> Vec<&Indicator> {
        match &self.parts {
            DomainParts::Indicators(v) => v.iter().collect(),
            DomainParts::Subdomains(s) => s.iter().flat_map(|s| s.indicators.iter()).collect(),
        }
    }
}

/// How the tables are read.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Header names of the area code column, tried in order before detection.
    pub code_columns: Vec<String>,
    /// Header names of the year column, tried in order.
    pub year_columns: Vec<String>,
    /// Only rows whose code starts with one of these are areas of the index (e.g. `BU`); other
    /// rows (gemeenten, wijken, the country) are skipped and counted. Empty: keep all rows.
    pub code_prefixes: Vec<String>,
    /// The population column (for eligibility and for population-weighted summaries).
    pub population: Option<ColumnRef>,
    /// What to do when an indicator's column is in none of the tables.
    pub missing_columns: MissingColumns,
    /// How numbers are written.
    pub decimal: Decimal,
    /// Other names under which a column may appear: `a_inw = ["kwb_inwoners"]`. The name itself
    /// is tried first, then the aliases in order.
    pub aliases: BTreeMap<String, Vec<String>>,
    /// Values that mean "not available" in some years (`[[input.missing]]`), e.g. a 0 that a
    /// source writes for years it has no data for.
    pub missing: Vec<MissingRule>,
}

/// A value read as missing (`[[input.missing]]`): `value` in the `columns` (every column the
/// profile reads when empty) in the years `from`–`to` (inclusive; open where not given).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissingRule {
    /// The value that means "not available".
    pub value: f64,
    /// The first year the rule holds (none: from the first year).
    pub from: Option<i32>,
    /// The last year the rule holds (none: to the last year).
    pub to: Option<i32>,
    /// The columns, by the names the profile reads them under (empty: all of them).
    #[serde(default)]
    pub columns: Vec<String>,
    /// Why, in words (e.g. which documentation says so).
    #[serde(default)]
    pub note: String,
}

impl MissingRule {
    /// Whether `v` in `column` in `year` is read as missing by this rule.
    pub fn applies(&self, column: &str, year: i32, v: f64) -> bool {
        #[allow(clippy::float_cmp)] // the rule names an exact value as written in the tables
        let same = v == self.value;
        same && self.from.is_none_or(|f| year >= f)
            && self.to.is_none_or(|t| year <= t)
            && (self.columns.is_empty() || self.columns.iter().any(|c| c == column))
    }
}

/// Which areas are ranked.
#[derive(Debug, Clone, PartialEq)]
pub struct Eligibility {
    /// An area with fewer inhabitants is not ranked (METHOD.md §4: 100 for buurten).
    pub min_population: f64,
    /// An area with fewer domains present is not ranked (METHOD.md §4: 5 of 7).
    pub min_domains: usize,
}

/// How the parent of an area is found, one level up.
#[derive(Debug, Clone, PartialEq)]
pub enum ParentRule {
    /// From the area's own code: literal text and `{a:b}` slices of the code (characters
    /// a..b), e.g. `WK{2:8}` turns `BU03630001` into `WK036300`.
    Template(Vec<TemplatePart>),
    /// From a column of the indicator tables or of the area files, holding the parent's code
    /// (and optionally a column with its name).
    Column {
        /// The column with the parent's code.
        code: String,
        /// The column with the parent's name.
        name: Option<String>,
    },
    /// From the parent level's own polygons: the parent is the area that contains the child's
    /// interior point.
    Contains,
}

/// A piece of a [`ParentRule::Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplatePart {
    /// Literal text.
    Text(String),
    /// Characters `a..b` of the child's code.
    Slice(usize, usize),
}

impl ParentRule {
    /// The parent code of `code` under a template rule; `None` for other rules, or when the
    /// code is too short for a slice.
    pub fn apply_template(&self, code: &str) -> Option<String> {
        let ParentRule::Template(parts) = self else {
            return None;
        };
        let chars: Vec<char> = code.chars().collect();
        let mut out = String::new();
        for p in parts {
            match p {
                TemplatePart::Text(t) => out.push_str(t),
                TemplatePart::Slice(a, b) => out.extend(chars.get(*a..*b)?.iter()),
            }
        }
        Some(out)
    }
}

/// One level of the area hierarchy, from the index unit (the first level) upwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    /// Short id (`buurt`).
    pub id: String,
    /// Name of its tile layer and of its features' `level` value (`buurten`).
    pub layer: String,
    /// Human-readable name.
    pub name: String,
    /// Codes of this level start with this prefix (`BU`); used to normalise codes that lack it.
    pub code_prefix: String,
    /// Attribute names that hold the code in area files, tried in order.
    pub code_fields: Vec<String>,
    /// Attribute names that hold the name in area files, tried in order.
    pub name_fields: Vec<String>,
    /// Optional levels are left out (with a note) when no area of the level below names its
    /// parent there, e.g. COROP regions when only buurten are given.
    pub optional: bool,
    /// How the parent (the next level) is found; `None` on the top level.
    pub parent: Option<ParentRule>,
    /// The Web Mercator zooms `(first, last)` at which this level is the map's choropleth by
    /// default (`zooms = [10, 14]`); `None`: from the data (`docs/TILES.md`).
    pub zooms: Option<(u8, u8)>,
}

/// A complete, validated profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The file it was read from.
    pub path: PathBuf,
    /// Short id (`nl-cbs`).
    pub id: String,
    /// Title.
    pub name: String,
    /// Longer description.
    pub description: String,
    /// Attribution of the data sources.
    pub attribution: String,
    /// Year of tables that have no year column.
    pub year: Option<i32>,
    /// Per-year or pooled ranking.
    pub ranking: Ranking,
    /// How tables are read.
    pub input: Input,
    /// Which areas are ranked.
    pub eligibility: Eligibility,
    /// The domains, in output order.
    pub domains: Vec<Domain>,
    /// The area hierarchy, index unit first (empty when the profile declares none).
    pub levels: Vec<Level>,
    /// The `[[comparison]]` variables, shown beside the index and never part of it.
    pub comparisons: Vec<Comparison>,
}

/// A `[[comparison]]`: a variable read from the tables to set beside the index (turnout,
/// energy poverty, …). It is never part of the index; the atlas writes its values to
/// `comparison.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The id (lower-case ASCII letters, digits, `_`), the column name in `comparison.csv`.
    pub id: String,
    /// The display name.
    pub name: String,
    /// The table column, looked up like an indicator's (its `[input.aliases]` apply, and
    /// headers with the same KWB short code).
    pub column: ColumnRef,
    /// The unit (`%`), if given.
    pub unit: Option<String>,
    /// A longer description, if given.
    pub description: Option<String>,
}

// ---- raw TOML model -------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: Spanned<String>,
    name: Option<String>,
    description: Option<String>,
    attribution: Option<String>,
    year: Option<i32>,
    #[serde(default)]
    ranking: Ranking,
    #[serde(default)]
    input: RawInput,
    #[serde(default)]
    eligibility: RawEligibility,
    #[serde(default)]
    domain: Vec<Spanned<RawDomain>>,
    #[serde(default)]
    level: Vec<Spanned<RawLevel>>,
    #[serde(default)]
    comparison: Vec<Spanned<RawComparison>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComparison {
    id: Spanned<String>,
    name: Option<Spanned<String>>,
    column: Option<Spanned<String>>,
    unit: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    id: Spanned<String>,
    layer: Option<String>,
    name: Option<String>,
    #[serde(default)]
    code_prefix: String,
    #[serde(default)]
    code_fields: Vec<String>,
    #[serde(default)]
    name_fields: Vec<String>,
    parent: Option<Spanned<RawParent>>,
    #[serde(default)]
    optional: bool,
    zooms: Option<Spanned<Vec<u8>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParent {
    template: Option<String>,
    column: Option<String>,
    name_column: Option<String>,
    #[serde(default)]
    contains: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInput {
    #[serde(default)]
    code_columns: Vec<String>,
    #[serde(default)]
    year_columns: Vec<String>,
    #[serde(default)]
    code_prefixes: Vec<String>,
    population: Option<Spanned<String>>,
    #[serde(default)]
    missing_columns: MissingColumns,
    #[serde(default)]
    decimal: Decimal,
    #[serde(default)]
    aliases: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    missing: Vec<MissingRule>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEligibility {
    min_population: Option<Spanned<f64>>,
    min_domains: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    id: Spanned<String>,
    name: Option<String>,
    #[serde(default)]
    names: std::collections::BTreeMap<String, String>,
    weight: Spanned<f64>,
    combine: Option<Spanned<Combine>>,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
    #[serde(default)]
    subdomain: Vec<Spanned<RawSubdomain>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubdomain {
    id: Spanned<String>,
    name: Option<String>,
    weight: Spanned<f64>,
    #[serde(default)]
    combine: Combine,
    #[serde(default)]
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: Spanned<String>,
    name: Option<String>,
    column: Option<Spanned<String>>,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<toml::Value>>,
    scale: Option<Spanned<f64>>,
    direction: Option<Direction>,
    #[serde(default)]
    transform: Transform,
    #[serde(default)]
    edition: Vec<Spanned<RawEdition>>,
}

/// `[[…indicator.edition]]`: from a year on, the indicator comes from another column.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEdition {
    from: Spanned<i32>,
    column: Option<Spanned<String>>,
    numerator: Option<Spanned<String>>,
    denominator: Option<Spanned<toml::Value>>,
    #[serde(rename = "break")]
    series_break: Option<String>,
}

// ---- loading and validation -----------------------------------------------------------------

/// Line/column lookup and key naming in the profile source.
struct Src<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Src<'_> {
    fn loc(&self, offset: usize) -> Location {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.bytes().filter(|b| *b == b'\n').count() as u64 + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
        Location {
            path: self.path.to_path_buf(),
            line,
            column: col,
        }
    }

    /// The key written on the line at `offset`: the left side of `key = value`, or a
    /// `[table]` header.
    fn key_at(&self, offset: usize) -> String {
        let start = self.text[..offset.min(self.text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = self.text[start..].lines().next().unwrap_or("").trim();
        if let Some((k, _)) = line.split_once('=') {
            k.trim().to_string()
        } else {
            line.trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_string()
        }
    }

    fn err<T>(
        &self,
        offset: usize,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Result<T> {
        Err(CoreError::Profile {
            at: self.loc(offset),
            key: key.into(),
            message: message.into(),
        })
    }

    fn col(&self, s: &Spanned<String>, key: &str) -> ColumnRef {
        ColumnRef {
            name: s.get_ref().trim().to_string(),
            at: self.loc(s.span().start),
            key: key.into(),
        }
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
}

impl Profile {
    /// Read and validate a profile file.
    ///
    /// # Errors
    /// [`CoreError::Io`] when the file cannot be read; [`CoreError::Profile`], naming the line and
    /// the key, when it is not valid TOML, has an unknown key, or breaks a rule of the schema.
    pub fn from_path(path: &Path) -> Result<Profile> {
        if path.is_dir() {
            return Err(CoreError::Io {
                path: path.to_path_buf(),
                cause: std::io::Error::other("it is a folder; expected a profile (TOML) file"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|source| CoreError::Io {
            path: path.to_path_buf(),
            cause: source,
        })?;
        Profile::from_str_at(&text, path)
    }

    /// Parse and validate profile text; `path` is used in error messages.
    ///
    /// # Errors
    /// As [`Profile::from_path`].
    pub fn from_str_at(text: &str, path: &Path) -> Result<Profile> {
        let src = Src { path, text };
        let raw: RawProfile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            let message = e.message().trim().to_string();
            // toml names unknown keys in its message; for value errors the key is on the line.
            let key =
                if message.starts_with("unknown field") || message.starts_with("missing field") {
                    message
                        .split('`')
                        .nth(1)
                        .map_or_else(|| src.key_at(offset), str::to_string)
                } else {
                    src.key_at(offset)
                };
            CoreError::Profile {
                at: src.loc(offset),
                key,
                message,
            }
        })?;
        build(&src, raw)
    }

    /// Change the eligibility rules for one run (e.g. from the command line), with the same
    /// checks as in the profile file.
    ///
    /// # Errors
    /// [`CoreError::Profile`] naming the key when `min_population` is negative or set without a
    /// population column, or `min_domains` is not between 1 and the number of domains.
    pub fn set_eligibility(
        &mut self,
        min_population: Option<f64>,
        min_domains: Option<usize>,
    ) -> Result<()> {
        let at = Location {
            path: self.path.clone(),
            line: 0,
            column: 0,
        };
        let err = |key: &str, message: String| CoreError::Profile {
            at: at.clone(),
            key: key.into(),
            message,
        };
        if let Some(m) = min_population {
            if !m.is_finite() || m < 0.0 {
                return Err(err(
                    "eligibility.min_population",
                    format!("override {m} must be a number ≥ 0"),
                ));
            }
            if m > 0.0 && self.input.population.is_none() {
                return Err(err(
                    "eligibility.min_population",
                    format!(
                        "override {m} needs a population column, and the profile sets no [input] population"
                    ),
                ));
            }
            self.eligibility.min_population = m;
        }
        if let Some(m) = min_domains {
            if m < 1 || m > self.domains.len() {
                return Err(err(
                    "eligibility.min_domains",
                    format!(
                        "override {m} must be between 1 and the number of domains ({})",
                        self.domains.len()
                    ),
                ));
            }
            self.eligibility.min_domains = m;
        }
        Ok(())
    }

    /// Sum of the domain weights.
    pub fn total_weight(&self) -> f64 {
        self.domains.iter().map(|d| d.weight).sum()
    }

    /// All indicators of the profile, with the index of their domain.
    pub fn indicators(&self) -> Vec<(usize, &Indicator)> {
        self.domains
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.indicators().into_iter().map(move |ind| (i, ind)))
            .collect()
    }
}

/// Validate the raw profile and build the [`Profile`]. Errors are reported in the order of the
/// checks: the id, the number of domains, each domain in turn, the eligibility rules, the
/// levels.
fn build(src: &Src<'_>, raw: RawProfile) -> Result<Profile> {
    let id = raw.id.get_ref().trim().to_string();
    if id.is_empty() {
        return src.err(raw.id.span().start, "id", "must not be empty");
    }
    let domains = domains(src, &raw.domain)?;
    let population = raw
        .input
        .population
        .as_ref()
        .map(|p| src.col(p, "input.population"));
    let eligibility = eligibility(src, &raw.eligibility, population.is_some(), domains.len())?;
    let levels = levels(src, &raw.level)?;
    let comparisons = comparisons(src, &raw.comparison, &domains)?;
    Ok(Profile {
        path: src.path.to_path_buf(),
        name: raw.name.unwrap_or_else(|| id.clone()),
        id,
        description: raw.description.unwrap_or_default(),
        attribution: raw.attribution.unwrap_or_default(),
        year: raw.year,
        ranking: raw.ranking,
        input: input(raw.input, population),
        eligibility,
        domains,
        levels,
        comparisons,
    })
}

/// The `[[comparison]]` tables, in order: each with a valid id that is unique and no domain's
/// (nor `mdi`), a `name` and a `column`.
fn comparisons(
    src: &Src<'_>,
    raw: &[Spanned<RawComparison>],
    domains: &[Domain],
) -> Result<Vec<Comparison>> {
    let mut out: Vec<Comparison> = Vec::with_capacity(raw.len());
    for c in raw {
        let start = c.span().start;
        let c = c.get_ref();
        let id = c.id.get_ref().trim().to_string();
        if !valid_id(&id) {
            return src.err(
                c.id.span().start,
                "comparison.id",
                format!("`{id}` is not a valid id: use lower-case ASCII letters, digits and _ , starting with a letter"),
            );
        }
        if id == "mdi" || domains.iter().any(|d| d.id == id) || out.iter().any(|x| x.id == id) {
            return src.err(
                c.id.span().start,
                "comparison.id",
                format!("`{id}` is already used (by `mdi`, a domain or another comparison); comparison ids must be unique"),
            );
        }
        let name = match &c.name {
            Some(n) if !n.get_ref().trim().is_empty() => n.get_ref().trim().to_string(),
            Some(n) => return src.err(n.span().start, "comparison.name", "must not be empty"),
            None => {
                return src.err(
                    start,
                    "comparison.name",
                    format!("comparison `{id}` needs a `name`"),
                );
            }
        };
        let column = match &c.column {
            Some(col) if !col.get_ref().trim().is_empty() => src.col(col, "comparison.column"),
            Some(col) => {
                return src.err(col.span().start, "comparison.column", "must not be empty");
            }
            None => {
                return src.err(
                    start,
                    "comparison.column",
                    format!("comparison `{id}` needs a `column`: the table column that holds it"),
                );
            }
        };
        let text = |t: &Option<String>| {
            t.as_ref()
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
        };
        out.push(Comparison {
            id,
            name,
            column,
            unit: text(&c.unit),
            description: text(&c.description),
        });
    }
    Ok(out)
}

/// The `[input]` settings, with the default year columns where the profile names none.
fn input(raw: RawInput, population: Option<ColumnRef>) -> Input {
    Input {
        code_columns: raw.code_columns,
        year_columns: if raw.year_columns.is_empty() {
            ["year", "jaar", "Perioden", "Jaar", "Year"]
                .map(String::from)
                .to_vec()
        } else {
            raw.year_columns
        },
        code_prefixes: raw.code_prefixes,
        population,
        missing_columns: raw.missing_columns,
        decimal: raw.decimal,
        aliases: raw.aliases,
        missing: raw.missing,
    }
}

/// The `[[domain]]` tables, in order: between 1 and 64 of them, with unique ids; indicator
/// ids are unique over the whole profile.
fn domains(src: &Src<'_>, raw: &[Spanned<RawDomain>]) -> Result<Vec<Domain>> {
    if raw.len() > 64 {
        return src.err(
            raw[64].span().start,
            "domain",
            "a profile has at most 64 domains",
        );
    }
    if raw.is_empty() {
        return src.err(
            0,
            "domain",
            "the profile declares no [[domain]]; at least one is needed",
        );
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut domains = Vec::with_capacity(raw.len());
    for d in raw {
        let domain = domain(src, d, &domains, &mut ids)?;
        domains.push(domain);
    }
    if domains.iter().all(|d| d.weight == 0.0) {
        return src.err(
            raw[0].get_ref().weight.span().start,
            "domain.weight",
            "all domain weights are zero: the index would be 0/0 for every area; give at least one domain a weight > 0",
        );
    }
    for (d, r) in domains.iter().zip(raw) {
        if let Some(s) = r.get_ref().subdomain.iter().find(|s| {
            let id = s.get_ref().id.get_ref();
            domains.iter().any(|x| &x.id == id)
        }) {
            let sid = s.get_ref().id.get_ref();
            return src.err(
                s.get_ref().id.span().start,
                "domain.subdomain.id",
                format!(
                    "sub-domain `{sid}` of domain `{}` has the id of a domain: a domain cannot contain itself or another domain (circular sub-domain); give the sub-domain its own id",
                    d.id
                ),
            );
        }
    }
    Ok(domains)
}

/// One `[[domain]]`: a valid id not among `earlier`, a weight ≥ 0, and either indicators or
/// sub-domains (not both, not neither). `ids` collects the indicator ids seen so far.
fn domain(
    src: &Src<'_>,
    raw: &Spanned<RawDomain>,
    earlier: &[Domain],
    ids: &mut std::collections::BTreeSet<String>,
) -> Result<Domain> {
    let start = raw.span().start;
    let d = raw.get_ref();
    let did = d.id.get_ref().clone();
    if !valid_id(&did) {
        return src.err(
            d.id.span().start,
            "domain.id",
            format!("`{did}` is not a valid id: use lower-case ASCII letters, digits and _ , starting with a letter"),
        );
    }
    if earlier.iter().any(|x: &Domain| x.id == did) {
        return src.err(
            d.id.span().start,
            "domain.id",
            format!("domain `{did}` is declared twice"),
        );
    }
    check_weight(src, &d.weight, "domain.weight")?;
    let parts = match (d.indicator.is_empty(), d.subdomain.is_empty()) {
        (false, true) => DomainParts::Indicators(
            d.indicator
                .iter()
                .map(|i| indicator(src, i, ids))
                .collect::<Result<_>>()?,
        ),
        (true, false) => {
            if let Some(c) = &d.combine {
                return src.err(
                    c.span().start,
                    "domain.combine",
                    format!("domain `{did}` has sub-domains: set `combine` on each [[domain.subdomain]] instead"),
                );
            }
            DomainParts::Subdomains(subdomains(src, &d.subdomain, ids)?)
        }
        (true, true) => {
            return src.err(
                start,
                "domain",
                format!("domain `{did}` has neither [[domain.indicator]] nor [[domain.subdomain]]"),
            );
        }
        (false, false) => {
            return src.err(
                start,
                "domain",
                format!("domain `{did}` has both indicators and sub-domains; put every indicator in a sub-domain"),
            );
        }
    };
    Ok(Domain {
        name: d.name.clone().unwrap_or_else(|| did.clone()),
        names: d.names.clone(),
        id: did,
        weight: *d.weight.get_ref(),
        combine: d.combine.as_ref().map_or(Combine::Equal, |c| *c.get_ref()),
        parts,
    })
}

/// The `[[domain.subdomain]]` tables of one domain: valid, unique ids, weights ≥ 0, and at
/// least one indicator each. `ids` collects the indicator ids seen so far.
fn subdomains(
    src: &Src<'_>,
    raw: &[Spanned<RawSubdomain>],
    ids: &mut std::collections::BTreeSet<String>,
) -> Result<Vec<Subdomain>> {
    let mut subs: Vec<Subdomain> = Vec::new();
    for s in raw {
        let s_start = s.span().start;
        let s = s.get_ref();
        let sid = s.id.get_ref().clone();
        if !valid_id(&sid) || subs.iter().any(|x| x.id == sid) {
            return src.err(
                s.id.span().start,
                "domain.subdomain.id",
                format!("`{sid}` is not a valid, unique sub-domain id"),
            );
        }
        check_weight(src, &s.weight, "domain.subdomain.weight")?;
        if s.indicator.is_empty() {
            return src.err(
                s_start,
                "domain.subdomain",
                format!("sub-domain `{sid}` has no [[domain.subdomain.indicator]]"),
            );
        }
        subs.push(Subdomain {
            name: s.name.clone().unwrap_or_else(|| sid.clone()),
            id: sid,
            weight: *s.weight.get_ref(),
            combine: s.combine,
            indicators: s
                .indicator
                .iter()
                .map(|i| indicator(src, i, ids))
                .collect::<Result<_>>()?,
        });
    }
    if subs.iter().all(|s| s.weight == 0.0)
        && let Some(first) = raw.first()
    {
        return src.err(
            first.get_ref().weight.span().start,
            "domain.subdomain.weight",
            "all sub-domain weights of this domain are zero; give at least one a weight > 0",
        );
    }
    Ok(subs)
}

/// The `[eligibility]` rules: `min_population` ≥ 0 (and > 0 only with a population column),
/// `min_domains` between 1 and the number of domains (default: all of them).
fn eligibility(
    src: &Src<'_>,
    raw: &RawEligibility,
    has_population: bool,
    n_domains: usize,
) -> Result<Eligibility> {
    let min_population = match &raw.min_population {
        Some(m) if *m.get_ref() < 0.0 || !m.get_ref().is_finite() => {
            return src.err(
                m.span().start,
                "eligibility.min_population",
                "must be a number ≥ 0",
            );
        }
        Some(m) if *m.get_ref() > 0.0 && !has_population => {
            return src.err(
                m.span().start,
                "eligibility.min_population",
                "needs a population column: set [input] population",
            );
        }
        Some(m) => *m.get_ref(),
        None => 0.0,
    };
    let min_domains = match &raw.min_domains {
        Some(m) if *m.get_ref() < 1 || *m.get_ref() as usize > n_domains => {
            return src.err(
                m.span().start,
                "eligibility.min_domains",
                format!("must be between 1 and the number of domains ({n_domains})"),
            );
        }
        Some(m) => *m.get_ref() as usize,
        None => n_domains,
    };
    Ok(Eligibility {
        min_population,
        min_domains,
    })
}

/// The `[[level]]` tables, index unit first: valid, unique ids, and a parent rule on every
/// level but the top one.
fn levels(src: &Src<'_>, raw: &[Spanned<RawLevel>]) -> Result<Vec<Level>> {
    let mut out: Vec<Level> = Vec::with_capacity(raw.len());
    for (i, l) in raw.iter().enumerate() {
        let start = l.span().start;
        let l = l.get_ref();
        let id = l.id.get_ref().clone();
        if !valid_id(&id) || out.iter().any(|x| x.id == id) {
            return src.err(
                l.id.span().start,
                "level.id",
                format!("`{id}` is not a valid, unique level id"),
            );
        }
        let last = i + 1 == raw.len();
        let parent = match (&l.parent, last) {
            (None, true) => None,
            (None, false) => {
                return src.err(
                    start,
                    "level.parent",
                    format!(
                        "level `{id}` needs a `parent` rule: the next level is {}",
                        raw[i + 1].get_ref().id.get_ref()
                    ),
                );
            }
            (Some(p), true) => {
                return src.err(
                    p.span().start,
                    "level.parent",
                    format!("level `{id}` is the top level and has no parent"),
                );
            }
            (Some(p), false) => {
                let r = p.get_ref();
                match (&r.template, &r.column, r.contains) {
                    (Some(t), None, false) => {
                        Some(ParentRule::Template(parse_template(t).map_err(|m| {
                            CoreError::Profile {
                                at: src.loc(p.span().start),
                                key: "level.parent.template".into(),
                                message: m,
                            }
                        })?))
                    }
                    (None, Some(c), false) => Some(ParentRule::Column {
                        code: c.clone(),
                        name: r.name_column.clone(),
                    }),
                    (None, None, true) => Some(ParentRule::Contains),
                    _ => {
                        return src.err(
                            p.span().start,
                            "level.parent",
                            "give exactly one of `template`, `column` or `contains = true`",
                        );
                    }
                }
            }
        };
        let zooms = match &l.zooms {
            None => None,
            Some(z) => match z.get_ref().as_slice() {
                &[a, b] if a <= b && b <= 18 => Some((a, b)),
                _ => {
                    return src.err(
                        z.span().start,
                        "level.zooms",
                        "expected [first, last] with first ≤ last ≤ 18, e.g. zooms = [10, 14]",
                    );
                }
            },
        };
        out.push(Level {
            zooms,
            layer: l.layer.clone().unwrap_or_else(|| id.clone()),
            name: l.name.clone().unwrap_or_else(|| id.clone()),
            id,
            code_prefix: l.code_prefix.clone(),
            code_fields: l.code_fields.clone(),
            name_fields: l.name_fields.clone(),
            parent,
            optional: l.optional,
        });
    }
    Ok(out)
}

/// Parse `WK{2:8}` into text and slices.
fn parse_template(t: &str) -> std::result::Result<Vec<TemplatePart>, String> {
    let mut parts = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            parts.push(TemplatePart::Text(rest[..open].to_string()));
        }
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("`{t}`: a `{{` is not closed"))?
            + open;
        let inner = &rest[open + 1..close];
        let (a, b) = inner
            .split_once(':')
            .ok_or_else(|| format!("`{t}`: write a slice as {{from:to}}, e.g. {{2:8}}"))?;
        let (a, b): (usize, usize) = (
            a.trim()
                .parse()
                .map_err(|_| format!("`{t}`: `{a}` is not a number"))?,
            b.trim()
                .parse()
                .map_err(|_| format!("`{t}`: `{b}` is not a number"))?,
        );
        if a >= b {
            return Err(format!("`{t}`: the slice {{{a}:{b}}} is empty"));
        }
        parts.push(TemplatePart::Slice(a, b));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        parts.push(TemplatePart::Text(rest.to_string()));
    }
    if !parts.iter().any(|p| matches!(p, TemplatePart::Slice(..))) {
        return Err(format!(
            "`{t}` takes nothing from the child's code; add a slice such as {{2:8}}"
        ));
    }
    Ok(parts)
}

fn check_weight(src: &Src<'_>, w: &Spanned<f64>, key: &str) -> Result<()> {
    if !w.get_ref().is_finite() || *w.get_ref() < 0.0 {
        return src.err(
            w.span().start,
            key,
            format!("must be a number ≥ 0, got {}", w.get_ref()),
        );
    }
    Ok(())
}

/// One `[[…indicator]]`: a valid id, unique in the profile (added to `ids`), a source, a
/// scale > 0 and a direction.
fn indicator(
    src: &Src<'_>,
    raw: &Spanned<RawIndicator>,
    ids: &mut std::collections::BTreeSet<String>,
) -> Result<Indicator> {
    let start = raw.span().start;
    let r = raw.get_ref();
    let id = r.id.get_ref().clone();
    if !valid_id(&id) {
        return src.err(
            r.id.span().start,
            "indicator.id",
            format!("`{id}` is not a valid id"),
        );
    }
    if !ids.insert(id.clone()) {
        return src.err(
            r.id.span().start,
            "indicator.id",
            format!("indicator `{id}` is declared twice"),
        );
    }
    let source = indicator_source(src, r, start, &id)?;
    let scale = match &r.scale {
        Some(s) if !s.get_ref().is_finite() || *s.get_ref() <= 0.0 => {
            return src.err(s.span().start, "indicator.scale", "must be a number > 0");
        }
        Some(s) => *s.get_ref(),
        None => 1.0,
    };
    let direction = indicator_direction(src, r, start, &id)?;
    let editions = editions(src, r, &id)?;
    Ok(Indicator {
        name: r.name.clone().unwrap_or_else(|| id.clone()),
        id,
        source,
        direction,
        transform: r.transform,
        scale,
        editions,
    })
}

/// The `[[…indicator.edition]]` entries of an indicator, ascending by `from`.
fn editions(src: &Src<'_>, r: &RawIndicator, id: &str) -> Result<Vec<Edition>> {
    let mut out: Vec<Edition> = Vec::new();
    for e in &r.edition {
        let start = e.span().start;
        let raw = e.get_ref();
        let from = *raw.from.get_ref();
        if out.last().is_some_and(|last| last.from >= from) {
            return src.err(
                raw.from.span().start,
                "indicator.edition.from",
                format!("editions of `{id}` must be in ascending order of `from`"),
            );
        }
        let as_indicator = RawIndicator {
            id: r.id.clone(),
            name: None,
            column: raw.column.clone(),
            numerator: raw.numerator.clone(),
            denominator: raw.denominator.clone(),
            scale: None,
            direction: r.direction,
            transform: r.transform,
            edition: Vec::new(),
        };
        out.push(Edition {
            from,
            source: indicator_source(src, &as_indicator, start, id)?,
            series_break: raw.series_break.clone(),
        });
    }
    Ok(out)
}

/// Where an indicator's value comes from: `column`, or `numerator` and `denominator` (one
/// column or a list of columns that are summed). `start` is the indicator's offset, `id` its id.
fn indicator_source(src: &Src<'_>, r: &RawIndicator, start: usize, id: &str) -> Result<Source> {
    Ok(match (&r.column, &r.numerator, &r.denominator) {
        (Some(c), None, None) => Source::Column(src.col(c, "indicator.column")),
        (None, Some(n), Some(d)) => {
            // One column, or a list of columns that are summed.
            let names: Vec<String> = match d.get_ref() {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) if !a.is_empty() && a.iter().all(toml::Value::is_str) => a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
                _ => {
                    return src.err(
                        d.span().start,
                        "indicator.denominator",
                        "must be a column name or a non-empty list of column names",
                    );
                }
            };
            let denominator = names
                .into_iter()
                .map(|name| ColumnRef {
                    name: name.trim().to_string(),
                    at: src.loc(d.span().start),
                    key: "indicator.denominator".into(),
                })
                .collect();
            Source::Ratio {
                numerator: src.col(n, "indicator.numerator"),
                denominator,
            }
        }
        (None, Some(n), None) => {
            return src.err(
                n.span().start,
                "indicator.numerator",
                "a numerator needs a `denominator`",
            );
        }
        (None, None, Some(d)) => {
            return src.err(
                d.span().start,
                "indicator.denominator",
                "a denominator needs a `numerator`",
            );
        }
        (Some(c), _, _) => {
            return src.err(
                c.span().start,
                "indicator.column",
                "give either `column` or `numerator` and `denominator`, not both",
            );
        }
        (None, None, None) => {
            return src.err(
                start,
                "indicator",
                format!("indicator `{id}` needs `column`, or `numerator` and `denominator`"),
            );
        }
    })
}

/// Which way an indicator points: required, except for a rank (always lower-is-worse).
fn indicator_direction(
    src: &Src<'_>,
    r: &RawIndicator,
    start: usize,
    id: &str,
) -> Result<Direction> {
    Ok(match (r.transform, r.direction) {
        (Transform::Rank, None | Some(Direction::LowerIsWorse)) => Direction::LowerIsWorse,
        (Transform::Rank, Some(Direction::HigherIsWorse)) => {
            return src.err(
                start,
                "indicator.direction",
                format!("indicator `{id}`: transform = \"rank\" means rank 1 is the most deprived, so direction must be \"lower-is-worse\" or left out"),
            );
        }
        (_, Some(d)) => d,
        (_, None) => {
            return src.err(
                start,
                "indicator.direction",
                format!("indicator `{id}` needs `direction = \"higher-is-worse\"` or `\"lower-is-worse\"`"),
            );
        }
    })
}

// ---- comparison values ----------------------------------------------------------------------

/// The values of a profile's comparisons, read from every row of the tables (any level: a row
/// of a gemeente is kept under its `GM` code).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComparisonValues {
    /// The comparison ids, in profile order: the order of the values of each row.
    pub ids: Vec<String>,
    /// (normalised code, year) → one value per id; only keys with at least one value. A
    /// normalised code has no white space and is upper case (`BU00140000`).
    pub rows: BTreeMap<(String, i32), Vec<Option<f64>>>,
    /// Per comparison (in `ids` order), every table and header that supplied it; empty when
    /// it is in no table.
    pub sources: Vec<Vec<(PathBuf, String)>>,
}

impl ComparisonValues {
    /// The values of (code, year), by the normalised code ([`normalise_area_code`]).
    pub fn get(&self, code: &str, year: i32) -> Option<&[Option<f64>]> {
        self.rows
            .get(&(normalise_area_code(code), year))
            .map(Vec::as_slice)
    }
}

/// An area code as the comparisons key it: without white space, upper case.
pub fn normalise_area_code(code: &str) -> String {
    code.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// Read the values of `profile`'s comparisons from `tables`: every row of any level, by
/// normalised code and year. A column is found as [`crate::Panel::build`] finds an
/// indicator's (its name, then its aliases, then a header with the same KWB short code); a
/// table without a year column takes its own year, else `year`, else the profile's. Where two
/// tables give a value for the same (code, year), the first table wins. A comparison that is
/// in no table has no values (see [`ComparisonValues::sources`]).
///
/// # Errors
/// [`CoreError::NoCodeColumn`] for a table that supplies a comparison and has no code column,
/// [`CoreError::NoYear`] when it has neither a year column nor a default year, and
/// [`CoreError::Table`] for a cell that is not a number or a year.
pub fn comparison_values(
    profile: &Profile,
    tables: &[Table],
    year: Option<i32>,
) -> Result<ComparisonValues> {
    let n = profile.comparisons.len();
    let mut out = ComparisonValues {
        ids: profile.comparisons.iter().map(|c| c.id.clone()).collect(),
        rows: BTreeMap::new(),
        sources: vec![Vec::new(); n],
    };
    if n == 0 {
        return Ok(out);
    }
    for t in tables {
        let columns: Vec<Option<usize>> = profile
            .comparisons
            .iter()
            .map(|c| comparison_column(profile, t, &c.column))
            .collect();
        if columns.iter().all(Option::is_none) {
            continue;
        }
        for (k, ci) in columns.iter().enumerate() {
            if let Some(ci) = ci {
                out.sources[k].push((t.path.clone(), t.headers[*ci].clone()));
            }
        }
        read_comparison_table(profile, t, year, &columns, &mut out.rows)?;
    }
    out.rows.retain(|_, v| v.iter().any(Option::is_some));
    Ok(out)
}

/// The column of `table` that holds `c`: its name, then its aliases, then a header with the
/// same KWB short code as one of them.
fn comparison_column(profile: &Profile, table: &Table, c: &ColumnRef) -> Option<usize> {
    let candidates: Vec<&str> = std::iter::once(c.name.as_str())
        .chain(
            profile
                .input
                .aliases
                .get(&c.name)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
        .collect();
    candidates
        .iter()
        .find_map(|cand| table.column_index(cand))
        .or_else(|| {
            let vocabulary = crate::cbs::vocabulary();
            candidates
                .iter()
                .filter_map(|cand| vocabulary.canonical(cand))
                .find_map(|code| table.canonical_index(code))
        })
}

/// Add the values of one table's comparison `columns` to `rows` (a value already there wins).
fn read_comparison_table(
    profile: &Profile,
    t: &Table,
    year: Option<i32>,
    columns: &[Option<usize>],
    rows: &mut BTreeMap<(String, i32), Vec<Option<f64>>>,
) -> Result<()> {
    let codes = t.code_columns(profile)?;
    let year_column = profile
        .input
        .year_columns
        .iter()
        .find_map(|y| t.column_index(y));
    let default_year = t.year.or(year).or(profile.year);
    if year_column.is_none() && default_year.is_none() {
        return Err(CoreError::NoYear {
            path: t.path.clone(),
            looked_for: profile
                .input
                .year_columns
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let comma = t.decimal_comma(profile.input.decimal);
    let at = |row: usize, c: usize| Location {
        path: t.path.clone(),
        line: t.line(row).unwrap_or(0),
        column: c as u64 + 1,
    };
    for row in 0..t.len() {
        let code = codes
            .iter()
            .filter_map(|&c| t.cell_at(row, c).map(str::trim))
            .find(|v| !v.is_empty())
            .map(normalise_area_code);
        let Some(code) = code else { continue };
        let y = match year_column {
            Some(yc) => {
                let cell = t.cell_at(row, yc).unwrap_or("").trim();
                crate::table::parse_year(cell).ok_or_else(|| CoreError::Table {
                    at: at(row, yc),
                    column: t.headers[yc].clone(),
                    message: format!(
                        "`{}` is not a year (expected e.g. 2019 or 2019JJ00)",
                        crate::table::excerpt(cell)
                    ),
                })?
            }
            None => default_year.unwrap_or_default(),
        };
        let values = rows
            .entry((code, y))
            .or_insert_with(|| vec![None; columns.len()]);
        for (v, ci) in values.iter_mut().zip(columns) {
            let (None, Some(ci)) = (*v, ci) else { continue };
            let cell = t.cell_at(row, *ci).unwrap_or("");
            *v = parse_number(cell, comma).map_err(|message| CoreError::Table {
                at: at(row, *ci),
                column: t.headers[*ci].clone(),
                message,
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
id = "t"
[input]
code_columns = ["code"]
year_columns = ["jaar"]
code_prefixes = ["BU"]
[input.aliases]
opkomst = ["turnout"]
[[domain]]
id = "inkomen"
weight = 1
  [[domain.indicator]]
  id = "laag"
  column = "p_laag"
  direction = "higher-is-worse"
"#;

    fn profile(extra: &str) -> Result<Profile> {
        Profile::from_str_at(&format!("{BASE}{extra}"), Path::new("p.toml"))
    }

    #[test]
    fn comparisons_are_read_in_order_and_never_part_of_the_index() {
        let p = profile(
            r#"
[[comparison]]
id = "opkomst"
name = "Opkomst"
column = "opkomst"
unit = "%"
[[comparison]]
id = "energiearmoede"
name = "Energiearmoede"
column = "energiearmoede"
description = "  "
"#,
        )
        .unwrap();
        let ids: Vec<&str> = p.comparisons.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["opkomst", "energiearmoede"]);
        assert_eq!(p.comparisons[0].unit.as_deref(), Some("%"));
        assert_eq!(p.comparisons[1].description, None);
        assert_eq!(p.comparisons[1].column.key, "comparison.column");
        assert!(p.indicators().iter().all(|(_, i)| i.id == "laag"));
    }

    #[test]
    fn a_bad_comparison_names_its_line_and_key() {
        let e = |extra: &str| profile(extra).unwrap_err().to_string();
        let m = e("[[comparison]]\nid = \"inkomen\"\nname = \"x\"\ncolumn = \"c\"\n");
        assert!(
            m.contains("p.toml:17") && m.contains("comparison.id") && m.contains("already used"),
            "{m}"
        );
        let m = e("[[comparison]]\nid = \"x\"\nname = \"x\"\n");
        assert!(
            m.contains("comparison.column") && m.contains("needs a `column`"),
            "{m}"
        );
        let m = e("[[comparison]]\nid = \"Bad\"\nname = \"x\"\ncolumn = \"c\"\n");
        assert!(m.contains("not a valid id"), "{m}");
        let m = e("[[comparison]]\nid = \"x\"\nname = \"x\"\ncolumn = \"c\"\ncolour = 1\n");
        assert!(m.contains("colour"), "{m}");
    }

    #[test]
    fn comparison_values_come_from_every_row_of_any_level() {
        let p = profile(
            r#"
[[comparison]]
id = "opkomst"
name = "Opkomst"
column = "opkomst"
[[comparison]]
id = "armoede"
name = "Armoede"
column = "armoede"
"#,
        )
        .unwrap();
        // The first table names turnout by its alias and has a gemeente row; the second, with
        // a decimal comma and no year column, repeats one cell (the first table wins).
        let a = Table::from_bytes(
            Path::new("a.csv"),
            b"code,jaar,p_laag,turnout\nBU00140000,2020,5,71.5\n GM0014 ,2020,,66\nBU00140001,2020,4,\n",
        )
        .unwrap();
        let b = Table::from_bytes(
            Path::new("b.csv"),
            b"code;armoede;opkomst\nBU00140000;3,25;99\nbu00140001;.;\n",
        )
        .unwrap()
        .with_year(2020);
        let v = comparison_values(&p, &[a, b], None).unwrap();
        assert_eq!(v.ids, ["opkomst", "armoede"]);
        assert_eq!(
            v.get("BU00140000", 2020),
            Some(&[Some(71.5), Some(3.25)][..])
        );
        assert_eq!(v.get("GM0014", 2020), Some(&[Some(66.0), None][..]));
        // BU00140001 has no value in either table: no row.
        assert_eq!(v.get("BU00140001", 2020), None);
        assert_eq!(v.rows.len(), 2);
        assert_eq!(v.sources[0].len(), 2);
        assert_eq!(v.sources[0][0].1, "turnout");

        let bad = Table::from_bytes(Path::new("c.csv"), b"code,jaar,opkomst\nGM0014,2020,hoog\n")
            .unwrap();
        let m = comparison_values(&p, &[bad], None).unwrap_err().to_string();
        assert!(
            m.contains("c.csv") && m.contains("opkomst") && m.contains(":2"),
            "{m}"
        );
    }
}
