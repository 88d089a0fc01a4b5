//! The Wijk- en Buurtkaart GeoPackage (EPSG:28992) of a year from PDOK: found through the ATOM
//! feed `https://service.pdok.nl/cbs/wijkenbuurten/<YYYY>/atom/index.xml`, else tried at
//! `…/atom/downloads/wijkenbuurten_<YYYY>_v<N>.gpkg` for N = 3, 2, 1, 0. The feed's shape is
//! INFERRED (FORMATS.md §3.1): any link ending in `.gpkg` in the feed, or in the dataset feeds
//! (`.xml`) it links to, is taken; the highest version of the year wins.

use std::path::Path;

use anyhow::{Result, anyhow};

use super::http::{Http, is_not_found};

/// The live ATOM feed of a year.
#[must_use]
pub fn feed_url(year: i32) -> String {
    format!("https://service.pdok.nl/cbs/wijkenbuurten/{year}/atom/index.xml")
}

/// The live guessed download URL of a year and version.
#[must_use]
pub fn guessed_url(year: i32, version: u32) -> String {
    format!(
        "https://service.pdok.nl/cbs/wijkenbuurten/{year}/atom/downloads/wijkenbuurten_{year}_v{version}.gpkg"
    )
}

/// The links of an XML text: `href="…"` values and the text of `<id>` elements, entity-decoded.
fn links(xml: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (open, close) in [("href=\"", "\""), ("href='", "'"), ("<id>", "</id>")] {
        let mut rest = xml;
        while let Some(i) = rest.find(open) {
            rest = &rest[i + open.len()..];
            let Some(j) = rest.find(close) else { break };
            let link = rest[..j]
                .trim()
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'");
            out.push(link);
            rest = &rest[j..];
        }
    }
    out
}

/// Resolves `link` against the feed URL it was found in.
fn absolute(link: &str, feed: &str) -> String {
    if link.contains("://") {
        return link.to_owned();
    }
    let scheme_end = feed.find("://").map_or(0, |i| i + 3);
    if link.starts_with('/') {
        let host_end = feed[scheme_end..]
            .find('/')
            .map_or(feed.len(), |i| scheme_end + i);
        return format!("{}{link}", &feed[..host_end]);
    }
    let dir = feed.rfind('/').map_or(feed, |i| &feed[..=i]);
    format!("{dir}{link}")
}

fn path_of(link: &str) -> &str {
    link.split(['?', '#']).next().unwrap_or(link)
}

/// The version `N` of a `…_v<N>.gpkg` name, if any.
fn version(link: &str) -> Option<u32> {
    let name = path_of(link).rsplit('/').next()?.to_ascii_lowercase();
    let stem = name.strip_suffix(".gpkg")?;
    let i = stem.rfind("_v")?;
    stem[i + 2..].parse().ok()
}

/// The GeoPackage links of a feed text, the year's highest version first.
fn gpkg_links(xml: &str, feed: &str, year: i32) -> Vec<String> {
    let mut found: Vec<String> = links(xml)
        .into_iter()
        .filter(|l| path_of(l).to_ascii_lowercase().ends_with(".gpkg"))
        .map(|l| absolute(&l, feed))
        .collect();
    found.dedup();
    let y = year.to_string();
    found.sort_by_key(|l| {
        (
            std::cmp::Reverse(
                path_of(l)
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.contains(&y)),
            ),
            std::cmp::Reverse(version(l)),
        )
    });
    found
}

/// The GeoPackage URL(s) named by the ATOM feed of a year (and the dataset feeds it links to).
fn from_feed(http: &Http, year: i32) -> Result<Vec<String>> {
    let feed = feed_url(year);
    let bytes = http.get_bytes(
        &feed,
        "the PDOK ATOM feed of the Wijk- en Buurtkaart (XML)",
        false,
    )?;
    let xml = String::from_utf8_lossy(&bytes);
    let found = gpkg_links(&xml, &feed, year);
    if !found.is_empty() {
        return Ok(found);
    }
    let dir = feed
        .rsplit_once('/')
        .map_or(feed.as_str(), |(d, _)| d)
        .to_owned();
    let subfeeds: Vec<String> = links(&xml)
        .into_iter()
        .filter(|l| path_of(l).ends_with(".xml"))
        .map(|l| absolute(&l, &feed))
        .filter(|l| l != &feed && l.starts_with(&dir))
        .take(8)
        .collect();
    for sub in subfeeds {
        let bytes = http.get_bytes(&sub, "a PDOK ATOM dataset feed (XML)", false)?;
        let found = gpkg_links(&String::from_utf8_lossy(&bytes), &sub, year);
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Downloads the GeoPackage of `year` to `dest`; returns the URL it came from.
///
/// # Errors
/// When neither the feed's links nor the guessed URLs give the file; the message lists the
/// URLs tried.
pub fn fetch_gpkg(http: &Http, year: i32, dest: &Path) -> Result<String> {
    let mut candidates = match from_feed(http, year) {
        Ok(found) => {
            if found.is_empty() {
                eprintln!(
                    "warning: {}: no .gpkg link in the feed; trying the usual file names",
                    http.map_url(&feed_url(year))
                );
            }
            found
        }
        Err(e) => {
            eprintln!("warning: {e:#}; trying the usual file names");
            Vec::new()
        }
    };
    for v in (0..=3).rev() {
        let g = guessed_url(year, v);
        if !candidates.contains(&g) {
            candidates.push(g);
        }
    }
    let expected = format!("the Wijk- en Buurtkaart {year} GeoPackage");
    let mut tried = Vec::new();
    for url in &candidates {
        match http.download(url, dest, &expected) {
            Ok(fetched) => return Ok(fetched),
            Err(e) if is_not_found(&e) => tried.push(http.map_url(url)),
            Err(e) => return Err(e),
        }
    }
    Err(anyhow!(
        "no Wijk- en Buurtkaart GeoPackage for {year}: HTTP 404 at each of {}; expected a \
         .gpkg link in {} or one of those files",
        tried.join(", "),
        http.map_url(&feed_url(year))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_links_highest_version_of_the_year_first() {
        let feed = "https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/index.xml";
        let xml = r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/index.xml</id>
          <entry><link rel="alternate" href="downloads/wijkenbuurten_2023_v1.gpkg"/>
          <link href="https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/downloads/wijkenbuurten_2023_v2.gpkg?a=1&amp;b=2" type="application/geopackage+sqlite3"/>
          <link href="https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/downloads/wijkenbuurten_2022_v3.gpkg"/></entry></feed>"#;
        assert_eq!(
            gpkg_links(xml, feed, 2023),
            [
                "https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/downloads/wijkenbuurten_2023_v2.gpkg?a=1&b=2",
                "https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/downloads/wijkenbuurten_2023_v1.gpkg",
                "https://service.pdok.nl/cbs/wijkenbuurten/2023/atom/downloads/wijkenbuurten_2022_v3.gpkg",
            ]
        );
    }
}
