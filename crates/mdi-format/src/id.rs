//! Stable numeric feature ids from area codes (`docs/TILES.md`, "Feature ids").
//!
//! MVT feature ids are unsigned integers, written as varints in every tile for every feature,
//! and MapLibre keeps them as JavaScript numbers: an id must stay below 2⁵³, and a small one
//! saves bytes in every tile. An area code is its level's code prefix followed by digits
//! (`BU03630000`, `WK036300`, `E01000001` with prefix `E01`), so:
//!
//! - a code made of its level's prefix and 1 to 8 digits gets `level × 10⁸ + digits`, where
//!   `level` is the level's position in the atlas (0 = the index unit, as in `metadata.json`):
//!   a buurt id is below 10⁸ and a gemeente id below 3·10⁸, four bytes in a tile;
//! - any other code of at most ten characters from `0-9A-Z` gets 2³³ + its value in bijective
//!   base 37 (digits `0`…`9` = 1…10, `A`…`Z` = 11…36);
//! - anything else gets 2³³ + 37¹⁰ + (FNV-1a 64 of its bytes mod (2⁵³ − 2³³ − 37¹⁰)).
//!
//! The three ranges do not overlap. Within the first, two codes of one level share an id only if
//! their digits differ by leading zeros alone (`BU1`, `BU01`); the tiler refuses such an atlas.

/// How feature ids are made, as the archive's metadata says it (`docs/TILES.md`).
pub const RULE: &str = "level * 10^8 + digits for a code of its level's code_prefix and 1-8 digits (level = position in levels, 0 = index unit); else 2^33 + bijective base 37 of the code (0-9 = 1-10, A-Z = 11-36) for up to 10 characters 0-9A-Z; else 2^33 + 37^10 + FNV-1a-64(code) mod (2^53 - 2^33 - 37^10); see docs/TILES.md";

/// Levels below this position get the compact ids.
pub const COMPACT_LEVELS: u64 = 80;

/// The start of the base-37 range: 2³³, above every compact id (80 · 10⁸ < 2³³).
pub const BASE37_START: u64 = 1 << 33;

/// 37¹⁰: the number of base-37 values of codes up to ten characters (plus one).
pub const BASE37_LIMIT: u64 = 4_808_584_372_417_849;

/// 2⁵³: ids stay below it, exact in a JavaScript number.
pub const JS_SAFE_LIMIT: u64 = 1 << 53;

/// The feature id of `code`, an area of the level at position `level` (0 = index unit) whose
/// codes start with `prefix`.
pub fn feature_id(code: &str, level: usize, prefix: &str) -> u64 {
    if let Some(digits) = code.strip_prefix(prefix)
        && (1..=8).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (level as u64) < COMPACT_LEVELS
        && let Ok(n) = digits.parse::<u64>()
    {
        return level as u64 * 100_000_000 + n;
    }
    match base37(code) {
        Some(v) => BASE37_START + v,
        None => {
            BASE37_START
                + BASE37_LIMIT
                + fnv1a64(code.as_bytes()) % (JS_SAFE_LIMIT - BASE37_START - BASE37_LIMIT)
        }
    }
}

/// The code behind an id, given the levels' code prefixes (index unit first); `None` for a
/// hashed id. A compact id gives the digits without their leading zeros' count, so the width
/// is taken from `widths` (the digit count of the level's codes, where they all have one).
pub fn code_of(id: u64, prefixes: &[&str], widths: &[usize]) -> Option<String> {
    if id < BASE37_START {
        let level = (id / 100_000_000) as usize;
        let n = id % 100_000_000;
        let prefix = prefixes.get(level)?;
        let width = widths.get(level).copied().unwrap_or(0);
        return Some(format!("{prefix}{n:0width$}"));
    }
    let mut v = id - BASE37_START;
    if v == 0 || v >= BASE37_LIMIT {
        return None;
    }
    let mut digits = Vec::new();
    while v > 0 {
        // Bijective numeration: digits 1..=36.
        let d = v % 37;
        if d == 0 {
            return None;
        }
        v /= 37;
        let d = (d - 1) as u8;
        digits.push(char::from(if d < 10 { b'0' + d } else { b'A' + (d - 10) }));
    }
    digits.reverse();
    Some(digits.into_iter().collect())
}

fn base37(code: &str) -> Option<u64> {
    if code.is_empty() || code.len() > 10 {
        return None;
    }
    code.bytes().try_fold(0u64, |acc, b| {
        let d = match b {
            b'0'..=b'9' => u64::from(b - b'0') + 1,
            b'A'..=b'Z' => u64::from(b - b'A') + 11,
            _ => return None,
        };
        Some(acc * 37 + d)
    })
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cbs_and_ons_codes_get_compact_ids() {
        assert_eq!(feature_id("BU03630000", 0, "BU"), 3_630_000);
        assert_eq!(feature_id("WK036300", 1, "WK"), 100_036_300);
        assert_eq!(feature_id("GM0363", 2, "GM"), 200_000_363);
        assert_eq!(feature_id("E01000001", 0, "E01"), 1);
        assert_eq!(feature_id("E06000001", 1, "E0"), 106_000_001);
        // Below 2^28: four bytes as a varint.
        assert!(feature_id("BU99999999", 0, "BU") < 1 << 28);
        let p = ["BU", "WK", "GM"];
        assert_eq!(
            code_of(3_630_000, &p, &[8, 6, 4]).as_deref(),
            Some("BU03630000")
        );
        assert_eq!(
            code_of(200_000_363, &p, &[8, 6, 4]).as_deref(),
            Some("GM0363")
        );
    }

    #[test]
    fn other_codes_get_base37_ids_above_the_compact_range() {
        // "A" = 11; "10" = 2·37 + 1 = 75; "Z9" = 36·37 + 10 = 1342.
        assert_eq!(feature_id("A", 0, "BU"), BASE37_START + 11);
        assert_eq!(feature_id("10", 0, "BU"), BASE37_START + 75);
        assert_eq!(feature_id("Z9", 0, "BU"), BASE37_START + 1342);
        // Letters after the prefix, or a code of another prefix.
        let id = feature_id("BU0363KA05", 0, "BU");
        assert!(id > BASE37_START);
        assert_eq!(code_of(id, &["BU"], &[8]).as_deref(), Some("BU0363KA05"));
        assert!(
            feature_id("BU123456789", 0, "BU") > BASE37_START,
            "nine digits"
        );
        assert_eq!(BASE37_LIMIT, 37u64.pow(10));
        const { assert!(80 * 100_000_000 < BASE37_START) };
    }

    #[test]
    fn anything_else_is_hashed_into_the_safe_range() {
        for code in ["bu0363", "BU03630000X1", "Écluse", ""] {
            let id = feature_id(code, 0, "XX");
            assert!(
                (BASE37_START + BASE37_LIMIT..JS_SAFE_LIMIT).contains(&id),
                "{code}: {id}"
            );
            assert_eq!(code_of(id, &[], &[]), None);
        }
        // FNV-1a of "a" is 0xaf63dc4c8601ec8c (published test vector).
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
