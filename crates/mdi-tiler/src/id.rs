//! Stable numeric feature ids from area codes (`docs/TILES.md`, "Feature ids").
//!
//! MVT feature ids are unsigned integers and MapLibre keeps them as JavaScript numbers, so an id
//! must stay below 2⁵³. A code of at most ten characters from `0-9A-Z` is read as a number in
//! bijective base 37 (digits `0`…`9` = 1…10, `A`…`Z` = 11…36): distinct codes give distinct ids,
//! and the code can be read back from the id. Any other code is hashed into the range above.

/// 37¹⁰: the first id not used by the base-37 codes.
pub const BASE37_LIMIT: u64 = 4_808_584_372_417_849;

/// 2⁵³: ids stay below it, exact in a JavaScript number.
pub const JS_SAFE_LIMIT: u64 = 1 << 53;

/// The feature id of an area code.
pub fn feature_id(code: &str) -> u64 {
    base37(code)
        .unwrap_or_else(|| BASE37_LIMIT + fnv1a64(code.as_bytes()) % (JS_SAFE_LIMIT - BASE37_LIMIT))
}

/// The code behind a base-37 id, or `None` for a hashed id (or 0).
pub fn code_of(id: u64) -> Option<String> {
    if id == 0 || id >= BASE37_LIMIT {
        return None;
    }
    let mut digits = Vec::new();
    let mut n = id;
    while n > 0 {
        // Bijective numeration: digits 1..=36.
        let mut d = n % 37;
        if d == 0 {
            return None;
        }
        n /= 37;
        d -= 1;
        digits.push(char::from(if d < 10 {
            b'0' + d as u8
        } else {
            b'A' + (d - 10) as u8
        }));
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
    fn base37_by_hand() {
        // "A" = 11; "10" = 2·37 + 1 = 75; "Z9" = 36·37 + 10 = 1342.
        assert_eq!(feature_id("A"), 11);
        assert_eq!(feature_id("10"), 75);
        assert_eq!(feature_id("Z9"), 1342);
        assert_eq!(BASE37_LIMIT, 37u64.pow(10));
        assert!(feature_id("ZZZZZZZZZZ") == BASE37_LIMIT - 1);
    }

    #[test]
    fn round_trip_and_distinct() {
        for code in [
            "BU03630000",
            "BU0363KA05",
            "WK036300",
            "GM0363",
            "E01000001",
            "0",
            "00",
        ] {
            let id = feature_id(code);
            assert!(id < BASE37_LIMIT);
            assert_eq!(code_of(id).as_deref(), Some(code));
        }
        assert_ne!(feature_id("0"), feature_id("00"));
    }

    #[test]
    fn other_codes_are_hashed_into_the_safe_range() {
        for code in ["bu0363", "BU03630000X", "Écluse", ""] {
            let id = feature_id(code);
            assert!((BASE37_LIMIT..JS_SAFE_LIMIT).contains(&id), "{code}: {id}");
            assert_eq!(code_of(id), None);
        }
        // FNV-1a of "a" is 0xaf63dc4c8601ec8c (published test vector).
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
