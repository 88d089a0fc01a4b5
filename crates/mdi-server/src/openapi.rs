//! The OpenAPI 3.0 definition of the server (`/api`): the OGC API – Features routes
//! ([`crate::ogc`]) in full, with the parameters and responses their conformance classes
//! require, and the tiles, styles, JSON API, downloads and operations routes.

use serde_json::{Value, json};

use crate::atlas::Atlas;
use crate::ogc::{CRS_LIST, CRS84, DEFAULT_LIMIT, GEOJSON, MAX_LIMIT};

/// A `$ref` to a component.
fn r(kind: &str, name: &str) -> Value {
    json!({"$ref": format!("#/components/{kind}/{name}")})
}

/// A response with a JSON body of schema `schema`.
fn json_response(description: &str, media: &str, schema: Value) -> Value {
    json!({"description": description, "content": {media: {"schema": schema}}})
}

/// A `GET` operation.
fn get(id: &str, tag: &str, summary: &str, parameters: Vec<Value>, ok: Value) -> Value {
    json!({"get": {
        "operationId": id,
        "tags": [tag],
        "summary": summary,
        "parameters": parameters,
        "responses": {
            "200": ok,
            "400": r("responses", "Error"),
            "404": r("responses", "Error"),
            "406": r("responses", "Error"),
            "503": r("responses", "Error"),
            "default": r("responses", "Error"),
        },
    }})
}

/// A query parameter of type string.
fn query(name: &str, description: &str, required: bool) -> Value {
    json!({"name": name, "in": "query", "required": required, "description": description,
           "schema": {"type": "string"}, "style": "form", "explode": false})
}

/// A path parameter of type string.
fn path(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

/// The document, with links relative to `base` (the URL the client reached the server at).
pub fn document(atlas: &Atlas, base: &str) -> Value {
    let levels: Vec<&str> = atlas.meta.levels.iter().map(|l| l.id.as_str()).collect();
    let mut paths = ogc_paths();
    paths.append(&mut other_paths());
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": atlas.meta.title,
            "description": format!(
                "{} Vector tiles, styles, a JSON API and OGC API – Features over the Multiple \
                 Deprivation Index of every area (decile 1 = most deprived).",
                atlas.meta.description
            ),
            "version": env!("CARGO_PKG_VERSION"),
            "license": {"name": "See the attribution of the data", "url": base.to_string() + "/api/meta"},
        },
        "servers": [{"url": base}],
        "tags": [
            {"name": "Capabilities"}, {"name": "Data"}, {"name": "Tiles"}, {"name": "Styles"},
            {"name": "JSON API"}, {"name": "Files"}, {"name": "Operations"},
        ],
        "paths": paths,
        "components": components(&levels, &atlas.meta.years),
    })
}

/// The paths of OGC API – Features.
fn ogc_paths() -> serde_json::Map<String, Value> {
    let f = r("parameters", "f");
    let json = |d: &str, s: Value| json_response(d, "application/json", s);
    let mut paths = serde_json::Map::new();
    let mut add = |p: &str, v: Value| {
        paths.insert(p.to_string(), v);
    };
    add(
        "/",
        get(
            "getLandingPage",
            "Capabilities",
            "The landing page (as JSON with f=json or Accept: application/json; else the web client)",
            vec![f.clone()],
            json("The landing page", r("schemas", "LandingPage")),
        ),
    );
    add(
        "/conformance",
        get(
            "getConformanceDeclaration",
            "Capabilities",
            "The conformance classes this server implements",
            vec![f.clone()],
            json("The conformance classes", r("schemas", "ConfClasses")),
        ),
    );
    add(
        "/collections",
        get(
            "getCollections",
            "Capabilities",
            "The collections: one per level of areas",
            vec![f.clone()],
            json("The collections", r("schemas", "Collections")),
        ),
    );
    add(
        "/collections/{collectionId}",
        get(
            "describeCollection",
            "Capabilities",
            "One collection",
            vec![r("parameters", "collectionId"), f.clone()],
            json("The collection", r("schemas", "Collection")),
        ),
    );
    let mut items_ok = json_response(
        "A page of features (GeoJSON)",
        GEOJSON,
        r("schemas", "FeatureCollection"),
    );
    items_ok["headers"] = json!({"Content-Crs": r("headers", "Content-Crs")});
    add(
        "/collections/{collectionId}/items",
        get(
            "getFeatures",
            "Data",
            "The features of a collection: areas in one year with their scores",
            vec![
                r("parameters", "collectionId"),
                r("parameters", "limit"),
                json!({"name": "offset", "in": "query", "required": false,
                   "description": "Features to skip (paging; the next link sets it)",
                   "schema": {"type": "integer", "minimum": 0, "default": 0}, "style": "form", "explode": false}),
                r("parameters", "bbox"),
                r("parameters", "bbox-crs"),
                r("parameters", "datetime"),
                r("parameters", "crs"),
                f.clone(),
            ],
            items_ok,
        ),
    );
    let mut item_ok = json_response("One feature (GeoJSON)", GEOJSON, r("schemas", "Feature"));
    item_ok["headers"] = json!({"Content-Crs": r("headers", "Content-Crs")});
    add(
        "/collections/{collectionId}/items/{featureId}",
        get(
            "getFeature",
            "Data",
            "One feature: an area (by its code) in one year",
            vec![
                r("parameters", "collectionId"),
                path(
                    "featureId",
                    "The area code (e.g. BU03630000)",
                    json!({"type": "string"}),
                ),
                r("parameters", "datetime"),
                r("parameters", "crs"),
                f.clone(),
            ],
            item_ok,
        ),
    );
    paths
}

/// A route outside OGC API – Features: path, operation id, tag, summary, query parameters
/// (name, description, required) and the media type of its answer.
type Route = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, bool)],
    &'static str,
);

/// The routes outside OGC API – Features.
const OTHER_ROUTES: [Route; 20] = [
    (
        "/tiles",
        "getTileSetsList",
        "Tiles",
        "OGC API – Tiles: the vector tilesets",
        &[("f", "json", false)],
        "application/json",
    ),
    (
        "/tiles/{tileMatrixSetId}",
        "describeTileSet",
        "Tiles",
        "The tileset's metadata (WebMercatorQuad)",
        &[("f", "json", false)],
        "application/json",
    ),
    (
        "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        "getTileSetTile",
        "Tiles",
        "A tile (Mapbox Vector Tile; the bytes of /tiles/{z}/{x}/{y}.mvt)",
        &[],
        "application/vnd.mapbox-vector-tile",
    ),
    (
        "/tileMatrixSets",
        "getTileMatrixSetsList",
        "Tiles",
        "The tile matrix sets",
        &[],
        "application/json",
    ),
    (
        "/tileMatrixSets/{tileMatrixSetId}",
        "getTileMatrixSet",
        "Tiles",
        "One tile matrix set (WebMercatorQuad)",
        &[],
        "application/json",
    ),
    (
        "/api",
        "getApiDefinition",
        "Capabilities",
        "This document (also at /openapi.json)",
        &[("f", "json", false)],
        "application/vnd.oai.openapi+json;version=3.0",
    ),
    (
        "/tiles/{z}/{x}/{y}.mvt",
        "getTile",
        "Tiles",
        "A Mapbox Vector Tile (WebMercatorQuad)",
        &[],
        "application/vnd.mapbox-vector-tile",
    ),
    (
        "/tiles.json",
        "getTileJson",
        "Tiles",
        "TileJSON 3.0.0",
        &[],
        "application/json",
    ),
    (
        "/style.json",
        "getStyle",
        "Styles",
        "The MapLibre style",
        &[
            ("flavor", "`qgis` for QGIS", false),
            ("year", "A year of the atlas", false),
            ("variable", "What the choropleth shows", false),
        ],
        "application/json",
    ),
    (
        "/api/meta",
        "getMeta",
        "JSON API",
        "What the atlas holds",
        &[],
        "application/json",
    ),
    (
        "/api/areas/{code}",
        "getArea",
        "JSON API",
        "One area in every year, with its parents",
        &[],
        "application/json",
    ),
    (
        "/api/search",
        "search",
        "JSON API",
        "Names and codes",
        &[("q", "A name or code", true), ("limit", "1 to 50", false)],
        "application/json",
    ),
    (
        "/api/point",
        "getPoint",
        "JSON API",
        "The areas at a point",
        &[
            ("lon", "Longitude (WGS84 degrees)", true),
            ("lat", "Latitude (WGS84 degrees)", true),
        ],
        "application/json",
    ),
    (
        "/api/breaks",
        "getBreaks",
        "JSON API",
        "Decile breaks of the MDI with other weights",
        &[
            ("weights", "domain:weight,…", false),
            ("year", "A year of the atlas", false),
        ],
        "application/json",
    ),
    (
        "/api/report",
        "getReport",
        "JSON API",
        "The report of the whole atlas",
        &[
            ("format", "json, html or md", false),
            ("year", "A year", false),
            ("from_year", "The first year of trends", false),
        ],
        "application/json",
    ),
    (
        "/api/report/{code}",
        "getAreaReport",
        "JSON API",
        "The report of one area",
        &[("format", "json, html or md", false)],
        "application/json",
    ),
    (
        "/download/{file}",
        "download",
        "Files",
        "An atlas file (range requests)",
        &[],
        "application/octet-stream",
    ),
    (
        "/downloads/{file}",
        "areaDownload",
        "Files",
        "A gemeente's buurten, wijken and itself: {code}.csv, {code}_wgs84.gpkg, {code}_rd.gpkg",
        &[],
        "application/geopackage+sqlite3",
    ),
    (
        "/health",
        "health",
        "Operations",
        "Status of the server and the atlas (liveness)",
        &[],
        "application/json",
    ),
    (
        "/ready",
        "ready",
        "Operations",
        "Readiness: 200 once the whole atlas is loaded, 503 before",
        &[],
        "application/json",
    ),
];

/// The routes outside OGC API – Features ([`OTHER_ROUTES`]).
fn other_paths() -> serde_json::Map<String, Value> {
    let mut paths = serde_json::Map::new();
    for (p, id, tag, summary, queries, media) in OTHER_ROUTES {
        let mut parameters: Vec<Value> = p
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .map(|name| {
                let kind = if ["z", "x", "y", "tileRow", "tileCol"].contains(&name) {
                    json!({"type": "integer", "minimum": 0})
                } else {
                    json!({"type": "string"})
                };
                path(name, name, kind)
            })
            .collect();
        parameters.extend(queries.iter().map(|(n, d, req)| query(n, d, *req)));
        let schema = if media.starts_with("application/vnd.mapbox")
            || media.ends_with("octet-stream")
            || media.ends_with("sqlite3")
        {
            json!({"type": "string", "format": "binary"})
        } else {
            json!({"type": "object"})
        };
        paths.insert(
            p.to_string(),
            get(
                id,
                tag,
                summary,
                parameters,
                json_response(summary, media, schema),
            ),
        );
    }
    paths
}

/// The parameters, responses, headers and schemas the paths refer to.
fn components(levels: &[&str], years: &[i32]) -> Value {
    let link = json!({"type": "object", "required": ["href"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "hreflang": {"type": "string"}, "title": {"type": "string"}, "length": {"type": "integer"}}});
    let links = json!({"type": "array", "items": r("schemas", "Link")});
    let number_array = |min: u64, max: u64| json!({"type": "array", "minItems": min, "maxItems": max, "items": {"type": "number"}});
    let geometry = json!({"nullable": true, "type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": ["MultiPolygon"]},
        "coordinates": {"type": "array", "items": {"type": "array", "items": {"type": "array",
            "items": number_array(2, 3)}}}}});
    json!({
        "parameters": {
            "f": {"name": "f", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": "The format: json (GeoJSON for features); nothing else is offered",
                  "schema": {"type": "string", "enum": ["json", "geojson"]}},
            "collectionId": {"name": "collectionId", "in": "path", "required": true,
                  "description": "A level of areas", "schema": {"type": "string", "enum": levels}},
            "limit": {"name": "limit", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": format!("The most features in a page; above {MAX_LIMIT}, {MAX_LIMIT}"),
                  "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
            "bbox": {"name": "bbox", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": "minx,miny,maxx,maxy (or six numbers with heights) in the CRS of bbox-crs (default CRS84): the features whose polygons intersect it",
                  "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
            "bbox-crs": {"name": "bbox-crs", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": "The CRS of bbox", "schema": {"type": "string", "format": "uri", "enum": CRS_LIST, "default": CRS84}},
            "crs": {"name": "crs", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": "The CRS of the coordinates of the response", "schema": {"type": "string", "format": "uri", "enum": CRS_LIST, "default": CRS84}},
            "datetime": {"name": "datetime", "in": "query", "required": false, "style": "form", "explode": false,
                  "description": format!("An RFC 3339 date, date-time or interval selecting one year of the atlas ({}); default: the last", years.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
                  "schema": {"type": "string"}},
        },
        "headers": {
            "Content-Crs": {"description": "The CRS of the coordinates, as <URI>", "schema": {"type": "string"}},
        },
        "responses": {
            "Error": json_response("An error: the status and what was expected", "application/json", r("schemas", "Error")),
        },
        "schemas": {
            "Link": link,
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                "required": ["status", "message"], "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}}},
            "LandingPage": {"type": "object", "required": ["links"], "properties": {
                "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
            "ConfClasses": {"type": "object", "required": ["conformsTo"], "properties": {
                "conformsTo": {"type": "array", "items": {"type": "string"}}}},
            "Collection": {"type": "object", "required": ["id", "links"], "properties": {
                "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
                "links": links.clone(), "itemType": {"type": "string"},
                "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"},
                "extent": {"type": "object", "properties": {
                    "spatial": {"type": "object", "properties": {"bbox": {"type": "array", "items": number_array(4, 6)}, "crs": {"type": "string"}}},
                    "temporal": {"type": "object", "properties": {"interval": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "string", "format": "date-time", "nullable": true}}}, "trs": {"type": "string"}}}}}}},
            "Collections": {"type": "object", "required": ["links", "collections"], "properties": {
                "links": links.clone(), "crs": {"type": "array", "items": {"type": "string"}},
                "collections": {"type": "array", "items": r("schemas", "Collection")}}},
            "Feature": {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
                "type": {"type": "string", "enum": ["Feature"]},
                "id": {"type": "string"},
                "geometry": geometry,
                "properties": {"type": "object", "nullable": true, "description": "code, name, level, parent, year, population, mdi_score, mdi_rank, mdi_decile (1 = most deprived); per domain <domain>_score, _rank, _decile (the index unit); reason (why there is no MDI), water"},
                "links": links.clone()}},
            "FeatureCollection": {"type": "object", "required": ["type", "features"], "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": r("schemas", "Feature")},
                "links": links,
                "timeStamp": {"type": "string", "format": "date-time"},
                "numberMatched": {"type": "integer", "minimum": 0},
                "numberReturned": {"type": "integer", "minimum": 0}}},
        },
    })
}
