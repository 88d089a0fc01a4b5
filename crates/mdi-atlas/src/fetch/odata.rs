//! The KWB table from CBS OData: v3 (`opendata.cbs.nl/ODataFeed`, `TypedDataSet` +
//! `DataProperties`) or v4 (`datasets.cbs.nl/odata/v1/CBS`, `Observations` + `MeasureCodes`),
//! paged by following the next link verbatim, written as one CSV and one properties file.
//! FORMATS.md §1 and §2 say which shapes are confirmed by real samples and which inferred.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::http::{Http, row_spinner};
use super::sources::{tmp_path, write_atomic};

/// The live root of OData v3 bulk downloads (`ODataFeed`, paged by `odata.nextLink`).
pub const V3_FEED: &str = "https://opendata.cbs.nl/ODataFeed/odata";
/// The live OData v3 catalogue of StatLine tables.
pub const V3_CATALOGUE: &str = "https://opendata.cbs.nl/ODataCatalog/Tables?$format=json";
/// The live root of OData v4 (`datasets.cbs.nl`), paged by `@odata.nextLink`.
pub const V4_ROOT: &str = "https://datasets.cbs.nl/odata/v1/CBS";

/// How well a table id of [`KWB_TABLES`] is attested (FORMATS.md §1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attested {
    /// Seen in a real CBS response or page.
    Confirmed,
    /// Stated by a public project that used the live service.
    Secondary,
}

/// The StatLine ids of "Kerncijfers wijken en buurten <year>" (FORMATS.md §1.1). Years not
/// listed are looked up in the catalogue.
pub const KWB_TABLES: &[(i32, &str, Attested)] = &[
    (2014, "82931NED", Attested::Confirmed),
    (2017, "83765NED", Attested::Confirmed),
    (2018, "84286NED", Attested::Secondary),
    (2019, "84583NED", Attested::Secondary),
    (2022, "85318NED", Attested::Secondary),
    (2023, "85618NED", Attested::Secondary),
    (2024, "85984NED", Attested::Secondary),
    (2025, "86165NED", Attested::Secondary),
];

/// One page of an OData answer: the rows of `value` with their keys in the order received,
/// and the next link (`odata.nextLink` in v3, `@odata.nextLink` in v4).
struct Page {
    rows: Vec<Row>,
    next: Option<String>,
}

/// One JSON object, its keys in the order received.
struct Row(Vec<(String, Value)>);

impl Row {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de> Deserialize<'de> for Row {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object (one row)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Row, A::Error> {
                let mut fields = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    fields.push((k, v));
                }
                Ok(Row(fields))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'de> Deserialize<'de> for Page {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Page;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an OData object with a \"value\" array")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> std::result::Result<Page, A::Error> {
                let mut rows = None;
                let mut next = None;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "value" => rows = Some(m.next_value::<Vec<Row>>()?),
                        "odata.nextLink" | "@odata.nextLink" => next = m.next_value()?,
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let rows = rows.ok_or_else(|| de::Error::missing_field("value"))?;
                Ok(Page { rows, next })
            }
        }
        d.deserialize_map(V)
    }
}

/// Resolves a next link against the URL of the page that gave it (links are normally absolute).
fn resolve(next: &str, current: &str) -> String {
    if next.starts_with("http://") || next.starts_with("https://") {
        return next.to_owned();
    }
    let scheme_end = current.find("://").map_or(0, |i| i + 3);
    let host_end = current[scheme_end..]
        .find('/')
        .map_or(current.len(), |i| scheme_end + i);
    if next.starts_with('/') {
        return format!("{}{next}", &current[..host_end]);
    }
    let path = current.split('?').next().unwrap_or(current);
    let dir = path.rfind('/').map_or(path, |i| &path[..=i]);
    format!("{dir}{next}")
}

/// Fetches every page of an OData collection, following the next link verbatim, and hands each
/// page's rows to `each`. Returns the number of rows.
fn for_each_page(
    http: &Http,
    first: &str,
    expected: &str,
    mut each: impl FnMut(Vec<Row>) -> Result<()>,
) -> Result<u64> {
    let spinner = row_spinner(expected);
    let mut url = first.to_owned();
    let mut rows = 0_u64;
    for page_no in 1_u32.. {
        let what = format!("{expected} (page {page_no}) as OData JSON");
        let bytes = http.get_bytes(&url, &what, true)?;
        let page: Page = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{}: expected {what}: an object with a \"value\" array of rows",
                http.map_url(&url)
            )
        })?;
        rows += page.rows.len() as u64;
        spinner.inc(page.rows.len() as u64);
        each(page.rows)?;
        match page.next {
            Some(next) => url = resolve(&next, &url),
            None => break,
        }
    }
    spinner.finish_and_clear();
    Ok(rows)
}

/// A JSON value as a CSV cell: strings trimmed (v3 pads codes and names), numbers as received,
/// `null` empty.
fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(other) => other.to_string(),
    }
}

/// The id of the KWB table of a year: from [`KWB_TABLES`], else from the catalogue (the table
/// whose `Title` is "Kerncijfers wijken en buurten <year>").
///
/// # Errors
/// When the catalogue cannot be read or has no such table.
pub fn table_id(http: &Http, year: i32) -> Result<String> {
    if let Some((_, id, _)) = KWB_TABLES.iter().find(|(y, _, _)| *y == year) {
        return Ok((*id).to_owned());
    }
    let title = format!("Kerncijfers wijken en buurten {year}");
    let mut found = Vec::new();
    for_each_page(http, V3_CATALOGUE, "the CBS OData v3 catalogue", |rows| {
        for r in rows {
            let t = cell(r.get("Title"));
            if t.eq_ignore_ascii_case(&title) {
                found.push(cell(r.get("Identifier")));
            }
        }
        Ok(())
    })?;
    found.retain(|id| !id.is_empty());
    match found.as_slice() {
        [] => bail!(
            "{}: no table titled \"{title}\" (field Title, with its id in Identifier); \
             give the id with --table",
            http.map_url(V3_CATALOGUE)
        ),
        [id] => Ok(id.clone()),
        [id, ..] => {
            eprintln!(
                "warning: the catalogue has {} tables titled \"{title}\": {}; using {id}",
                found.len(),
                found.join(", ")
            );
            Ok(id.clone())
        }
    }
}

/// What a table download produced.
pub struct TableFiles {
    /// The URL of the first page of the table.
    pub table_url: String,
    /// The URL of the properties (v3 `DataProperties`, v4 `MeasureCodes`).
    pub properties_url: String,
    /// The number of rows written (regions).
    pub rows: u64,
}

/// Downloads the v3 `TypedDataSet` of `id` to `csv` (headers: the row keys in the order of the
/// first row) and its `DataProperties` `value` array verbatim to `properties`.
///
/// # Errors
/// On an HTTP error, an answer that is no OData page, rows whose keys differ from the first
/// row's, or when a file cannot be written.
pub fn fetch_v3(http: &Http, id: &str, csv: &Path, properties: &Path) -> Result<TableFiles> {
    let properties_url = format!("{V3_FEED}/{id}/DataProperties?$format=json");
    let mut props = Vec::new();
    for_each_page(
        http,
        &properties_url,
        &format!("the DataProperties of CBS table {id}"),
        |rows| {
            props.extend(rows.into_iter().map(|r| {
                Value::Object(r.0.into_iter().collect::<serde_json::Map<String, Value>>())
            }));
            Ok(())
        },
    )?;
    let table_url = format!("{V3_FEED}/{id}/TypedDataSet?$format=json");
    let tmp = tmp_path(csv);
    let mut w =
        csv::Writer::from_path(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    let mut header: Option<Vec<String>> = None;
    let what = format!("the TypedDataSet of CBS table {id}");
    let mut row_no = 0_u64;
    let rows = for_each_page(http, &table_url, &what, |rows| {
        for r in rows {
            row_no += 1;
            let keys = header.get_or_insert_with(|| r.0.iter().map(|(k, _)| k.clone()).collect());
            if r.0.len() != keys.len() || r.0.iter().any(|(k, _)| !keys.contains(k)) {
                bail!(
                    "{}: row {row_no} has the keys {:?}; expected those of row 1: {keys:?}",
                    http.map_url(&table_url),
                    r.0.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>()
                );
            }
            if row_no == 1 {
                w.write_record(keys.iter())?;
            }
            w.write_record(keys.iter().map(|k| cell(r.get(k))))?;
        }
        Ok(())
    })?;
    if rows == 0 {
        bail!("{}: no rows; expected {what}", http.map_url(&table_url));
    }
    finish_csv(w, &tmp, csv)?;
    write_json_array(properties, props)?;
    Ok(TableFiles {
        table_url: http.map_url(&table_url),
        properties_url: http.map_url(&properties_url),
        rows,
    })
}

/// Flushes a CSV written to `tmp` and renames it to `dest`.
fn finish_csv(w: csv::Writer<std::fs::File>, tmp: &Path, dest: &Path) -> Result<()> {
    let mut file = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", tmp.display(), e.error()))?;
    file.flush()
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    drop(file);
    std::fs::rename(tmp, dest)
        .with_context(|| format!("cannot rename {} to {}", tmp.display(), dest.display()))
}

/// Writes a JSON array, pretty, atomically.
fn write_json_array(path: &Path, items: Vec<Value>) -> Result<()> {
    let mut text = serde_json::to_string_pretty(&Value::Array(items))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Downloads the v4 `Observations` of `id` and pivots them to `csv`: one row per
/// `WijkenEnBuurten` (trimmed, in order of first appearance), one column per measure of
/// `MeasureCodes` (in its order) headed by the measure's `Title` (`Title [Identifier]` where a
/// title repeats); `MeasureCodes` go to `properties` as `[{Key: Identifier, Title, …}]`.
///
/// # Errors
/// On an HTTP error, an answer that is no OData page, an observation without `Measure` or
/// `WijkenEnBuurten`, or when a file cannot be written.
pub fn fetch_v4(http: &Http, id: &str, csv: &Path, properties: &Path) -> Result<TableFiles> {
    let properties_url = format!("{V4_ROOT}/{id}/MeasureCodes");
    let mut measures: Vec<(String, String)> = Vec::new();
    let mut props = Vec::new();
    for_each_page(
        http,
        &properties_url,
        &format!("the MeasureCodes of CBS table {id}"),
        |rows| {
            for r in rows {
                let key = cell(r.get("Identifier"));
                measures.push((key.clone(), cell(r.get("Title"))));
                let mut obj = serde_json::Map::new();
                obj.insert("Key".into(), Value::String(key));
                for (k, v) in r.0 {
                    if k != "Identifier" {
                        obj.insert(k, v);
                    }
                }
                props.push(Value::Object(obj));
            }
            Ok(())
        },
    )?;
    let table_url = format!("{V4_ROOT}/{id}/Observations");
    let what = format!("the Observations of CBS table {id}");
    let mut regions: Vec<String> = Vec::new();
    let mut cells: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut n = 0_u64;
    for_each_page(http, &table_url, &what, |rows| {
        for r in rows {
            n += 1;
            let (Some(Value::String(m)), Some(Value::String(region))) =
                (r.get("Measure"), r.get("WijkenEnBuurten"))
            else {
                bail!(
                    "{}: observation {n} lacks a string Measure or WijkenEnBuurten; \
                     expected {{Id, Measure, ValueAttribute, Value, WijkenEnBuurten}}",
                    http.map_url(&table_url)
                );
            };
            let region = region.trim().to_owned();
            let entry = cells.entry(region.clone()).or_insert_with(|| {
                regions.push(region);
                HashMap::new()
            });
            entry.insert(m.trim().to_owned(), cell(r.get("Value")));
        }
        Ok(())
    })?;
    if regions.is_empty() {
        bail!(
            "{}: no observations; expected {what}",
            http.map_url(&table_url)
        );
    }
    // Measures seen in Observations but missing from MeasureCodes still get a column.
    let mut known: std::collections::HashSet<String> =
        measures.iter().map(|(k, _)| k.clone()).collect();
    for region in &regions {
        let mut extra: Vec<&String> = cells[region]
            .keys()
            .filter(|k| !known.contains(*k))
            .collect();
        extra.sort();
        for k in extra {
            known.insert(k.clone());
            measures.push((k.clone(), k.clone()));
        }
    }
    write_pivot(csv, &measures, &regions, &cells)?;
    write_json_array(properties, props)?;
    Ok(TableFiles {
        table_url: http.map_url(&table_url),
        properties_url: http.map_url(&properties_url),
        rows: regions.len() as u64,
    })
}

/// Writes the pivoted v4 table.
fn write_pivot(
    csv: &Path,
    measures: &[(String, String)],
    regions: &[String],
    cells: &HashMap<String, HashMap<String, String>>,
) -> Result<()> {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (_, t) in measures {
        *count.entry(t.as_str()).or_default() += 1;
    }
    let mut header = vec!["WijkenEnBuurten".to_owned()];
    header.extend(measures.iter().map(|(k, t)| {
        if t.is_empty() {
            k.clone()
        } else if count[t.as_str()] > 1 {
            format!("{t} [{k}]")
        } else {
            t.clone()
        }
    }));
    let tmp = tmp_path(csv);
    let mut w =
        csv::Writer::from_path(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
    w.write_record(&header)?;
    for region in regions {
        let row = &cells[region];
        let mut rec = vec![region.clone()];
        rec.extend(
            measures
                .iter()
                .map(|(k, _)| row.get(k).cloned().unwrap_or_default()),
        );
        w.write_record(&rec)?;
    }
    finish_csv(w, &tmp, csv)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keeps_key_order_and_reads_both_next_links() {
        let p: Page = serde_json::from_str(
            r#"{"odata.metadata":"m","value":[{"ID":0,"WijkenEnBuurten":"NL00      ","AantalInwoners_5":17081507,"Bevolkingsdichtheid_33":null}],"odata.nextLink":"https://x/y?$skip=1"}"#,
        )
        .unwrap();
        let keys: Vec<&str> = p.rows[0].0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "ID",
                "WijkenEnBuurten",
                "AantalInwoners_5",
                "Bevolkingsdichtheid_33"
            ]
        );
        assert_eq!(p.next.as_deref(), Some("https://x/y?$skip=1"));
        assert_eq!(cell(p.rows[0].get("WijkenEnBuurten")), "NL00");
        assert_eq!(cell(p.rows[0].get("Bevolkingsdichtheid_33")), "");
        let v4: Page = serde_json::from_str(r#"{"value":[],"@odata.nextLink":"n"}"#).unwrap();
        assert_eq!(v4.next.as_deref(), Some("n"));
        assert!(serde_json::from_str::<Page>(r#"{"rows":[]}"#).is_err());
    }

    #[test]
    fn relative_next_links() {
        let cur = "http://h:1/opendata/ODataFeed/odata/T/TypedDataSet?$format=json";
        assert_eq!(resolve("https://a/b", cur), "https://a/b");
        assert_eq!(resolve("/x?$skip=2", cur), "http://h:1/x?$skip=2");
        assert_eq!(
            resolve("TypedDataSet?$skip=2", cur),
            "http://h:1/opendata/ODataFeed/odata/T/TypedDataSet?$skip=2"
        );
    }
}
