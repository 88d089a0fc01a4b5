//! The glyphs of the map labels: `/fonts/{fontstack}/{range}.pbf`, MapLibre's glyph protobufs
//! (signed distance fields of 24 px glyphs with a 3 px buffer, ranges of 256 code points).
//!
//! The ranges are generated at build time by `build.rs` from the open Ubuntu Light font of the
//! `epaint_default_fonts` package (Ubuntu Font Licence 1.0) and compiled into the binary: every
//! range in which the font has a glyph (Latin with its accents, Greek, Cyrillic, punctuation
//! such as ’ and –). Nothing is read or downloaded at run time. A range without glyphs answers
//! an empty but valid protobuf, since MapLibre asks for the range of every character it lays
//! out.

use axum::http::HeaderValue;
use axum::http::header::{self, HeaderMap};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;

use crate::error::ApiError;
use crate::http::{etag, fnv1a, not_modified, not_modified_response};

mod generated {
    include!(concat!(env!("OUT_DIR"), "/glyphs.rs"));
}

/// The fontstack the glyphs are served under, for the styles' `text-font`.
pub use generated::FONTSTACK;

/// The media type of glyph protobufs.
pub const PBF_TYPE: &str = "application/x-protobuf";

/// `Cache-Control` of glyph ranges: they change only with the server's binary.
pub const GLYPH_CACHE: HeaderValue = HeaderValue::from_static("public, max-age=86400");

/// The first code points of the ranges that have glyphs.
pub fn ranges_with_glyphs() -> impl Iterator<Item = u32> {
    generated::RANGES.iter().map(|&(block, _)| block * 256)
}

/// Parses `{start}-{end}.pbf` into the first code point of a range of 256.
///
/// # Errors
/// The reason, when it is not a range of 256 code points starting at a multiple of 256 within
/// 0–65535.
pub fn parse_range(segment: &str) -> Result<u32, String> {
    let expected = "expected `{start}-{end}.pbf` with start a multiple of 256 and end = start + 255, \
                    up to 65280-65535 (e.g. `0-255.pbf`)";
    let range = segment
        .strip_suffix(".pbf")
        .ok_or_else(|| format!("`{segment}`: {expected}"))?;
    let (start, end) = range
        .split_once('-')
        .ok_or_else(|| format!("`{segment}`: {expected}"))?;
    match (start.parse::<u32>(), end.parse::<u32>()) {
        (Ok(s), Ok(e)) if s % 256 == 0 && e == s + 255 && e <= 0xFFFF => Ok(s),
        _ => Err(format!("`{segment}`: {expected}")),
    }
}

/// Whether `fontstack` (a comma-separated list of font names, as MapLibre joins `text-font`)
/// names the served font.
pub fn serves(fontstack: &str) -> bool {
    fontstack.split(',').any(|f| f.trim() == FONTSTACK)
}

/// The protobuf of the range starting at `start` (a multiple of 256): the generated one, or an
/// empty fontstack for a range without glyphs.
pub fn range_bytes(start: u32) -> Bytes {
    if let Some(&(_, bytes)) = generated::RANGES.iter().find(|&&(b, _)| b * 256 == start) {
        return Bytes::from_static(bytes);
    }
    Bytes::from(empty_range(start))
}

/// `glyphs { stacks: [fontstack { name, range }] }` without glyphs.
fn empty_range(start: u32) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
        out.push(tag << 3 | 2);
        // Every length here is below 128: one varint byte.
        out.push(bytes.len() as u8);
        out.extend_from_slice(bytes);
    }
    let mut stack = Vec::new();
    field(&mut stack, 1, FONTSTACK.as_bytes());
    field(&mut stack, 2, format!("{start}-{}", start + 255).as_bytes());
    let mut out = Vec::new();
    field(&mut out, 1, &stack);
    out
}

/// The response for `/fonts/{fontstack}/{range}`: the range's protobuf with a strong ETag and a
/// day's `max-age`; 304 on a matching `If-None-Match`.
///
/// # Errors
/// 404 for a fontstack that does not name the served font, 400 for a malformed range.
pub fn glyph_response(
    fontstack: &str,
    range: &str,
    request: &HeaderMap,
) -> Result<Response, ApiError> {
    if !serves(fontstack) {
        return Err(ApiError::not_found(format!(
            "no font `{fontstack}`: this server has glyphs of `{FONTSTACK}` (the styles' text-font)"
        )));
    }
    let start = parse_range(range).map_err(ApiError::bad_request)?;
    let bytes = range_bytes(start);
    let tag = etag(fnv1a(&bytes), "");
    if not_modified(request, &tag) {
        return Ok(not_modified_response(tag, GLYPH_CACHE));
    }
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PBF_TYPE));
    h.insert(header::ETAG, tag);
    h.insert(header::CACHE_CONTROL, GLYPH_CACHE);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_parsed_with_reasons() {
        assert_eq!(parse_range("0-255.pbf"), Ok(0));
        assert_eq!(parse_range("8192-8447.pbf"), Ok(8192));
        assert_eq!(parse_range("65280-65535.pbf"), Ok(65280));
        for bad in [
            "0-256.pbf",
            "1-256.pbf",
            "0-255",
            "x-255.pbf",
            "65536-65791.pbf",
        ] {
            assert!(parse_range(bad).unwrap_err().contains("0-255.pbf"), "{bad}");
        }
    }

    #[test]
    fn the_font_is_served_under_its_name_in_a_stack() {
        assert!(serves(FONTSTACK));
        assert!(serves(&format!("{FONTSTACK},Arial Unicode MS Regular")));
        assert!(!serves("Open Sans Regular"));
    }

    #[test]
    fn the_dutch_ranges_are_generated() {
        let have: Vec<u32> = ranges_with_glyphs().collect();
        for start in [0, 256, 8192] {
            assert!(have.contains(&start), "{start} in {have:?}");
        }
        // A range without glyphs (CJK here) is an empty fontstack naming the range.
        assert!(!have.contains(&0x4E00));
        let empty = range_bytes(0x4E00);
        let text = String::from_utf8_lossy(&empty);
        assert!(
            text.contains(FONTSTACK) && text.contains("19968-20223"),
            "{text}"
        );
    }
}
