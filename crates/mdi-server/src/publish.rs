//! `mdi-atlas publish`: the atlas as a static site for any web server, object store or CDN
//! (docs/DEPLOY.md, "Static site"): the web client, `atlas.pmtiles` (read by the client with
//! HTTP range requests through the `pmtiles` protocol) and, precomputed, the JSON the client
//! asks the server for.
//!
//! One mechanism: every JSON or HTML body that has a server route is produced by that route,
//! called in-process through the same [`router`] that `mdi-atlas serve` runs, so a published
//! file is byte for byte what the server answers. Two files have no route: `data/search.json`
//! (the search entries in the server's rank order, searched in the browser) and
//! `data/reweight/{year}.json` (the exponential domain scores that `/api/breaks` re-weights).
//! The format is described in docs/DEPLOY.md; [`SITE_FORMAT`] is its version.
//!
//! The site is written into a temporary folder beside `--out` and switched into place by
//! renames, so a failed publish leaves the previous site as it was.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use std::io::Write as _;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use flate2::Compression;
use flate2::write::GzEncoder;
use http_body_util::BodyExt;
use mdi_format::files;
use serde::Serialize;
use serde_json::Value;
use tower::ServiceExt;

use crate::areas::Areas;
use crate::config::ServeConfig;
use crate::error::ServerError;
use crate::routes::router;
use crate::search::fold;
use crate::state::AppState;
use crate::{Atlas, api, downloads};

/// The version of the static site's layout and of its two own formats (`search.json`,
/// `reweight/*.json`), written to `data/site.json`.
pub const SITE_FORMAT: u32 = 1;

/// Areas per shard of `data/areas/` when the atlas has a single level (no parent to shard by).
const CHUNK: usize = 256;

/// The file that marks a folder as a published site (so `--out` never replaces anything else).
const MARKER: &str = "data/site.json";

/// What to publish.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// The atlas folder (`mdi-atlas build --out`).
    pub atlas: PathBuf,
    /// The site folder to write (replaced as a whole if it is an earlier site).
    pub out: PathBuf,
    /// The built web client (`web/dist`).
    pub web: PathBuf,
}

/// What was written.
#[derive(Debug, Clone, Default)]
pub struct PublishSummary {
    /// Files written.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Areas with a details file entry.
    pub areas: usize,
    /// Files under `data/areas/`.
    pub shards: usize,
    /// Areas with a report (JSON and HTML).
    pub reports: usize,
    /// Bytes of `atlas.pmtiles`.
    pub archive_bytes: u64,
}

/// `data/site.json`.
#[derive(Debug, Serialize)]
struct SiteJson<'a> {
    format: u32,
    generator: String,
    tiles: &'static str,
    levels: Vec<&'a str>,
    shard_level: Option<&'a str>,
    shards: usize,
    years: &'a [i32],
    ranking: &'a str,
    breaks: Vec<String>,
    reweight: Vec<String>,
    /// The atlas-wide files under `download/`.
    files: Vec<String>,
    /// Per area of the top level: its own files under `downloads/`.
    downloads: Vec<AreaDownloads>,
}

/// An area's own downloads in `data/site.json`.
#[derive(Debug, Serialize)]
struct AreaDownloads {
    code: String,
    name: String,
    files: Vec<String>,
}

/// `data/reweight/{year}.json`.
#[derive(Debug, Serialize)]
struct Reweight<'a> {
    year: Option<i32>,
    domains: Vec<&'a str>,
    weights: Vec<f64>,
    columns: Vec<Vec<Option<f64>>>,
}

/// Writes the static site of `options.atlas` to `options.out` (on a runtime of its own).
///
/// # Errors
/// [`ServerError`] naming the file that could not be read or written, a route that did not
/// answer 200 (with its body), or an `--out` folder that is not an earlier site.
pub fn publish(options: &PublishOptions) -> Result<PublishSummary, ServerError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ServerError::Runtime)?
        .block_on(publish_async(options))
}

async fn publish_async(options: &PublishOptions) -> Result<PublishSummary, ServerError> {
    check_out(&options.out)?;
    let index = options.web.join("index.html");
    let index_html = std::fs::read_to_string(&index).map_err(|cause| ServerError::Io {
        path: index.clone(),
        action: "cannot read the web client's",
        cause,
    })?;
    let mut config = ServeConfig::new(options.atlas.clone());
    config.web = Some(options.web.clone());
    let state = AppState::new(config)?;
    let atlas = state
        .atlas()
        .map_err(|e| ServerError::Publish(format!("the atlas did not load: {e:?}")))?;
    let app = router(state);

    let staging = sibling(&options.out, "publishing");
    let _ = std::fs::remove_dir_all(&staging);
    let mut site = Site {
        root: staging.clone(),
        app,
        summary: PublishSummary::default(),
    };
    let written = write_site(&mut site, &atlas, &options.web, &index_html).await;
    match written {
        Ok(()) => {
            switch_into_place(&staging, &options.out)?;
            Ok(site.summary)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            Err(e)
        }
    }
}

/// The site being written: its folder, the router that answers for the server, the tally.
struct Site {
    root: PathBuf,
    app: Router,
    summary: PublishSummary,
}

impl Site {
    /// The body of `GET path` from the server's router; an error unless it answers 200.
    async fn get(&self, path: &str) -> Result<Vec<u8>, ServerError> {
        let request = Request::get(path)
            .header("host", "localhost")
            .body(Body::empty())
            .map_err(|e| ServerError::Publish(format!("GET {path}: {e}")))?;
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .map_err(|e| ServerError::Publish(format!("GET {path}: {e}")))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ServerError::Publish(format!("GET {path}: {e}")))?
            .to_bytes();
        if status != StatusCode::OK {
            return Err(ServerError::Publish(format!(
                "GET {path} answered {status}: {}",
                String::from_utf8_lossy(&body)
            )));
        }
        Ok(body.to_vec())
    }

    /// Writes `bytes` to `rel` under the site folder.
    fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ServerError> {
        let path = self.root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|cause| ServerError::Io {
                path: parent.to_path_buf(),
                action: "cannot create",
                cause,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|cause| ServerError::Io {
            path: path.clone(),
            action: "cannot write",
            cause,
        })?;
        self.summary.files += 1;
        self.summary.bytes += bytes.len() as u64;
        if compressible(rel, bytes.len()) {
            let mut gz = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::best());
            gz.write_all(bytes)
                .and_then(|()| gz.finish())
                .and_then(|z| std::fs::write(path.with_file_name(gz_name(&path)), &z))
                .map_err(|cause| ServerError::Io {
                    path: path.clone(),
                    action: "cannot write the .gz of",
                    cause,
                })?;
        }
        Ok(())
    }

    /// Writes the body of `GET route` to `rel`.
    async fn fetch(&mut self, route: &str, rel: &str) -> Result<Vec<u8>, ServerError> {
        let body = self.get(route).await?;
        self.write(rel, &body)?;
        Ok(body)
    }

    fn json<T: Serialize>(&mut self, rel: &str, value: &T) -> Result<(), ServerError> {
        let bytes = serde_json::to_vec(value)
            .map_err(|e| ServerError::Publish(format!("{rel}: cannot encode: {e}")))?;
        self.write(rel, &bytes)
    }
}

async fn write_site(
    site: &mut Site,
    atlas: &Atlas,
    web: &Path,
    index_html: &str,
) -> Result<(), ServerError> {
    site.write("index.html", static_index(index_html).as_bytes())?;
    copy_tree(site, &web.join("assets"), "assets")?;

    let archive = atlas.dir.join(files::PMTILES);
    let pmtiles = std::fs::read(&archive).map_err(|cause| ServerError::Io {
        path: archive.clone(),
        action: "cannot read",
        cause,
    })?;
    site.summary.archive_bytes = pmtiles.len() as u64;
    site.write(files::PMTILES, &pmtiles)?;
    drop(pmtiles);

    site.fetch("/api/meta", "data/meta.json").await?;
    let mut tilejson: Value = serde_json::from_slice(&site.get("/tiles.json").await?)
        .map_err(|e| ServerError::Publish(format!("/tiles.json: {e}")))?;
    if let Some(o) = tilejson.as_object_mut() {
        // The client reads the tiles from atlas.pmtiles (pmtiles:// protocol), not a tile URL.
        o.remove("tiles");
    }
    site.json("data/tiles.json", &tilejson)?;

    let areas = &atlas.areas;
    let (shard_of, shards, shard_level) = shards(areas);
    write_search(site, atlas, &shard_of)?;
    write_areas(site, areas, &shard_of, shards).await?;
    write_reports(site, areas).await?;
    let (breaks, reweight) = write_breaks(site, atlas).await?;

    let mut atlas_files = Vec::new();
    for name in files::DOWNLOADS {
        if name == files::PMTILES || !atlas.dir.join(name).is_file() {
            continue;
        }
        site.fetch(&format!("/download/{name}"), &format!("download/{name}"))
            .await?;
        atlas_files.push(format!("download/{name}"));
    }
    let downloads = write_area_downloads(site, atlas)?;

    let levels: Vec<&str> = atlas.meta.levels.iter().map(|l| l.layer.as_str()).collect();
    let site_json = SiteJson {
        format: SITE_FORMAT,
        generator: format!("mdi-atlas {}", env!("CARGO_PKG_VERSION")),
        tiles: files::PMTILES,
        shard_level: shard_level.and_then(|l| levels.get(l).copied()),
        levels,
        shards,
        years: &atlas.meta.years,
        ranking: &atlas.meta.ranking,
        breaks,
        reweight,
        files: atlas_files,
        downloads,
    };
    site.json(MARKER, &site_json)
}

/// The web client's `index.html` in static mode: the mode marker, and its two preloads
/// pointed at the published files.
fn static_index(html: &str) -> String {
    let html = html
        .replace("href=\"api/meta\"", "href=\"data/meta.json\"")
        .replace("href=\"tiles.json\"", "href=\"data/tiles.json\"");
    html.replacen(
        "<head>",
        "<head>\n  <meta name=\"mdi-atlas-mode\" content=\"static\">",
        1,
    )
}

/// Each area's shard, the number of shards and the level sharded by. An area's shard is that
/// of its ancestor at the coarsest level (for the Netherlands: its gemeente), areas without
/// one share the last shard; an atlas of one level is cut into chunks of [`CHUNK`] areas.
fn shards(areas: &Areas) -> (Vec<usize>, usize, Option<usize>) {
    let top = areas.list.iter().map(|a| a.level).max().unwrap_or(0);
    if top == 0 {
        let n = areas.list.len();
        return (
            (0..n).map(|i| i / CHUNK).collect(),
            n.div_ceil(CHUNK).max(1),
            None,
        );
    }
    let mut number: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, a) in areas.list.iter().enumerate() {
        if a.level == top {
            let next = number.len();
            number.insert(i, next);
        }
    }
    let rest = number.len();
    let shard_of = (0..areas.list.len())
        .map(|i| {
            let key = if areas.list[i].level == top {
                Some(i)
            } else {
                areas
                    .ancestors(i)
                    .last()
                    .copied()
                    .filter(|&p| areas.list[p].level == top)
            };
            key.and_then(|k| number.get(&k).copied()).unwrap_or(rest)
        })
        .collect::<Vec<_>>();
    let used = shard_of.contains(&rest);
    (shard_of, rest + usize::from(used), Some(top))
}

/// `data/search.json`: the search entries in rank order.
fn write_search(site: &mut Site, atlas: &Atlas, shard_of: &[usize]) -> Result<(), ServerError> {
    let areas = &atlas.areas;
    let mut entries = Vec::with_capacity(areas.list.len());
    for i in atlas.search.ranked() {
        let a = &areas.list[i];
        let r = api::area_ref(atlas, i);
        let context: Vec<&str> = areas
            .ancestors(i)
            .iter()
            .map(|&p| &*areas.list[p].name)
            .collect();
        entries.push(serde_json::json!([
            r.code,
            r.name,
            a.level,
            r.id,
            r.bbox,
            context,
            fold(&a.name),
            fold(&context.join(" / ")),
            shard_of[i],
        ]));
    }
    let levels: Vec<&str> = atlas.meta.levels.iter().map(|l| l.layer.as_str()).collect();
    site.json(
        "data/search.json",
        &serde_json::json!({"format": SITE_FORMAT, "levels": levels, "entries": entries}),
    )
}

/// `data/areas/{shard}.json`: `/api/areas/{code}` of every area, by shard.
async fn write_areas(
    site: &mut Site,
    areas: &Areas,
    shard_of: &[usize],
    shards: usize,
) -> Result<(), ServerError> {
    let mut bodies = vec![String::from("{"); shards];
    for (i, a) in areas.list.iter().enumerate() {
        let body = site.get(&format!("/api/areas/{}", encode(&a.code))).await?;
        let out = &mut bodies[shard_of[i]];
        if out.len() > 1 {
            out.push(',');
        }
        let key = serde_json::to_string(&*a.code)
            .map_err(|e| ServerError::Publish(format!("area code {}: {e}", a.code)))?;
        let _ = write!(out, "{key}:{}", String::from_utf8_lossy(&body));
        site.summary.areas += 1;
    }
    for (n, mut body) in bodies.into_iter().enumerate() {
        body.push('}');
        site.write(&format!("data/areas/{n}.json"), body.as_bytes())?;
        site.summary.shards += 1;
    }
    Ok(())
}

/// `data/reports/{code}.json` and `.html`: the report of every area above the index unit.
async fn write_reports(site: &mut Site, areas: &Areas) -> Result<(), ServerError> {
    for a in areas.list.iter().filter(|a| a.level > 0) {
        let code = encode(&a.code);
        site.fetch(
            &format!("/api/report/{code}"),
            &format!("data/reports/{code}.json"),
        )
        .await?;
        site.fetch(
            &format!("/api/report/{code}?format=html"),
            &format!("data/reports/{code}.html"),
        )
        .await?;
        site.summary.reports += 1;
    }
    Ok(())
}

/// `data/breaks/*.json` (`/api/breaks` with the profile's weights) and `data/reweight/*.json`
/// (what the browser re-weights), per year or pooled; returns the two lists of files.
async fn write_breaks(
    site: &mut Site,
    atlas: &Atlas,
) -> Result<(Vec<String>, Vec<String>), ServerError> {
    let meta = &atlas.meta;
    let domains: Vec<&str> = meta.domains.iter().map(|d| d.id.as_str()).collect();
    let weights: Vec<f64> = meta.domains.iter().map(|d| d.weight).collect();
    let (mut breaks, mut reweight) = (Vec::new(), Vec::new());
    let pooled = meta.ranking == "pooled";
    let years: Vec<Option<i32>> = if pooled || meta.years.is_empty() {
        vec![None]
    } else {
        meta.years.iter().copied().map(Some).collect()
    };
    for year in years {
        let name = year.map_or_else(|| "pooled".to_string(), |y| y.to_string());
        let route = year.map_or_else(
            || "/api/breaks".to_string(),
            |y| format!("/api/breaks?year={y}"),
        );
        let rel = format!("data/breaks/{name}.json");
        site.fetch(&route, &rel).await?;
        breaks.push(rel);
        let mut columns: Vec<Vec<Option<f64>>> = vec![Vec::new(); domains.len()];
        for (i, ranked) in atlas.areas.ranked_scores.iter().enumerate() {
            let keep = match year {
                None => true,
                Some(y) => meta.years.get(i) == Some(&y),
            };
            if keep {
                for (c, d) in columns.iter_mut().zip(&ranked.domains) {
                    c.extend_from_slice(d);
                }
            }
        }
        let rel = format!("data/reweight/{name}.json");
        site.json(
            &rel,
            &Reweight {
                year,
                domains: domains.clone(),
                weights: weights.clone(),
                columns,
            },
        )?;
        reweight.push(rel);
    }
    Ok((breaks, reweight))
}

/// `downloads/{code}.csv`, `_wgs84.gpkg`, `_rd.gpkg` of every area of the top level
/// ([`crate::downloads`], as `/downloads/{file}` serves them).
fn write_area_downloads(site: &mut Site, atlas: &Atlas) -> Result<Vec<AreaDownloads>, ServerError> {
    let mut out = Vec::new();
    for i in downloads::areas_with_downloads(atlas) {
        let area = &atlas.areas.list[i];
        let mut names = Vec::new();
        for kind in downloads::Kind::ALL {
            let name = kind.file_name(&area.code);
            let bytes = downloads::download(atlas, &name)
                .map_err(|e| ServerError::Publish(format!("downloads/{name}: {e:?}")))?;
            site.write(&format!("downloads/{name}"), &bytes)?;
            names.push(name);
        }
        out.push(AreaDownloads {
            code: area.code.to_string(),
            name: area.name.to_string(),
            files: names,
        });
    }
    Ok(out)
}

/// Copies the files under `from` to `rel` in the site.
fn copy_tree(site: &mut Site, from: &Path, rel: &str) -> Result<(), ServerError> {
    let entries = std::fs::read_dir(from).map_err(|cause| ServerError::Io {
        path: from.to_path_buf(),
        action: "cannot read the folder",
        cause,
    })?;
    for entry in entries {
        let entry = entry.map_err(|cause| ServerError::Io {
            path: from.to_path_buf(),
            action: "cannot read the folder",
            cause,
        })?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let target = format!("{rel}/{name}");
        if path.is_dir() {
            copy_tree(site, &path, &target)?;
        } else {
            let bytes = std::fs::read(&path).map_err(|cause| ServerError::Io {
                path: path.clone(),
                action: "cannot read",
                cause,
            })?;
            site.write(&target, &bytes)?;
        }
    }
    Ok(())
}

/// Whether `rel` gets a `.gz` sibling (for nginx's `gzip_static`, and hosts that serve one
/// for `Accept-Encoding: gzip`): the JSON and HTML the site writes, from 1 KiB up. The
/// client's assets come with theirs from its build.
fn compressible(rel: &str, len: usize) -> bool {
    len >= 1024
        && !rel.starts_with("assets/")
        && !rel.starts_with("download/")
        && (rel.ends_with(".json") || rel.ends_with(".html"))
}

fn gz_name(path: &Path) -> String {
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    format!("{name}.gz")
}

/// Percent-encodes what a path segment cannot hold as is (codes are mostly `[A-Z0-9]`).
fn encode(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for b in code.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A folder beside `out` named after it, for the new site or the old one.
fn sibling(out: &Path, what: &str) -> PathBuf {
    let name = out
        .file_name()
        .map_or_else(|| "site".into(), |n| n.to_string_lossy().into_owned());
    out.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

/// `--out` must be absent, an empty folder or an earlier site.
fn check_out(out: &Path) -> Result<(), ServerError> {
    if !out.exists() {
        return Ok(());
    }
    let empty = std::fs::read_dir(out)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if out.is_dir() && (empty || out.join(MARKER).is_file()) {
        return Ok(());
    }
    Err(ServerError::Publish(format!(
        "{}: exists and is not a published site (no {MARKER}); refusing to replace it",
        out.display()
    )))
}

/// Puts the finished `staging` folder at `out`: the old site is renamed aside first and
/// removed after, so `out` is the old site or the new one at every moment but between the
/// two renames.
fn switch_into_place(staging: &Path, out: &Path) -> Result<(), ServerError> {
    let old = sibling(out, "previous");
    let had = out.exists();
    if had {
        std::fs::rename(out, &old).map_err(|cause| ServerError::Io {
            path: out.to_path_buf(),
            action: "cannot move aside the earlier site",
            cause,
        })?;
    }
    if let Err(cause) = std::fs::rename(staging, out) {
        if had {
            let _ = std::fs::rename(&old, out);
        }
        return Err(ServerError::Io {
            path: out.to_path_buf(),
            action: "cannot move the new site to",
            cause,
        });
    }
    if had {
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_gets_the_marker_and_the_static_preloads() {
        let html = "<html><head>\n<link rel=\"preload\" href=\"api/meta\" as=\"fetch\">\n\
                    <link rel=\"preload\" href=\"tiles.json\" as=\"fetch\"></head></html>";
        let out = static_index(html);
        assert!(out.contains("<meta name=\"mdi-atlas-mode\" content=\"static\">"));
        assert!(out.contains("href=\"data/meta.json\""));
        assert!(out.contains("href=\"data/tiles.json\""));
        assert!(!out.contains("href=\"api/meta\""));
    }

    #[test]
    fn codes_are_encoded_for_a_path() {
        assert_eq!(encode("BU03630001"), "BU03630001");
        assert_eq!(encode("E01/000 1"), "E01%2F000%201");
    }

    #[test]
    fn out_must_be_a_site_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_out(&dir.path().join("new")).is_ok());
        assert!(check_out(dir.path()).is_ok()); // empty
        std::fs::write(dir.path().join("x.txt"), "x").unwrap();
        let e = check_out(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a published site"), "{e}");
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        std::fs::write(dir.path().join(MARKER), "{}").unwrap();
        assert!(check_out(dir.path()).is_ok());
    }
}
