//! Names and codes of the gemeenten, wijken and buurten: Dutch-sounding syllables and CBS-style
//! codes (`GM`, `WK`, `BU`) that cannot collide with real ones.

use std::fmt::Write as _;

use super::geometry::{Buurt, Layout};
use super::random::{hash, stream};

const NAME_HEADS: [&str; 20] = [
    "Noord", "Ooster", "Zuider", "Wester", "Hoog", "Laag", "Oud", "Nieuw", "Groot", "Klein", "Mid",
    "Bree", "Eem", "Vlie", "Lin", "Reu", "Ter", "Wol", "Ber", "Hel",
];
const NAME_JOINS: [&str; 4] = ["", "e", "en", "s"];
const NAME_TAILS: [&str; 20] = [
    "meer", "broek", "veen", "dijk", "wolde", "horst", "donk", "hoven", "dam", "sloot", "gouw",
    "zande", "heem", "loo", "rode", "kerk", "sum", "wier", "hout", "waard",
];
const BUURT_SUFFIXES: [&str; 24] = [
    "Noord", "Oost", "Zuid", "West", "Centrum", "Park", "Haven", "Kwartier", "Veld", "Kade", "Hof",
    "Dorp", "Akker", "Buiten", "Hoek", "Laan", "Molen", "Weide", "Bos", "Es", "Tuinen", "Eiland",
    "Kamp", "Polder",
];
const ARTICLES: [&str; 4] = ["", "", "De ", "Het "];

/// Name number `c` of the 1,600 syllable combinations.
pub(super) fn combo(c: usize) -> String {
    let c = c % 1600;
    let head = NAME_HEADS[c % 20];
    // After a head ending in "e" ("Bree", "Vlie"), "e" becomes "r" and "en" becomes "n", which
    // keeps the four joins distinct.
    let join = match (head.ends_with('e'), NAME_JOINS[c / 400]) {
        (true, "e") => "r",
        (true, "en") => "n",
        (_, j) => j,
    };
    format!("{head}{join}{}", NAME_TAILS[(c / 20) % 20])
}

/// The base name of gemeente `g` (distinct for all 999 gemeenten: 7919 is prime to 1600).
pub(super) fn gemeente_base_name(g: usize) -> String {
    combo(g * 7919 + 311)
}

/// The name of wijk `k` (global index) that is number `local` in gemeente `g`.
pub(super) fn wijk_name(k: usize, local: u32, g: usize) -> String {
    if local == 0 {
        format!("{} Centrum", gemeente_base_name(g))
    } else {
        let h = hash(stream::NAME, k as u64, 0, 0);
        format!("{}{}", ARTICLES[(h % 4) as usize], combo((h >> 8) as usize))
    }
}

/// Two characters for the number `i` (1-based in practice): `00`–`99`, then `A0`…`ZZ`.
pub(super) fn code2(i: u32) -> [u8; 2] {
    const ALNUM: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if i < 100 {
        [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8]
    } else {
        let j = (i - 100) as usize;
        [b'A' + (j / 36).min(25) as u8, ALNUM[j % 36]]
    }
}

/// The code of a buurt, `BU` + gemeente (4) + wijk (2) + buurt (2).
pub(super) fn buurt_code(layout: &Layout, b: &Buurt) -> String {
    let w = &layout.wijken[b.wijk as usize];
    let mut s = String::with_capacity(10);
    let _ = write!(s, "BU{:04}", layout.gemeente_number(w.gemeente));
    s.extend(code2(w.local + 1).map(char::from));
    s.extend(code2(b.local + 1).map(char::from));
    s
}

/// The name of buurt `b` in the wijk named `wijknaam`.
pub(super) fn buurt_name(wijknaam: &str, b: &Buurt) -> String {
    if b.water {
        format!("{wijknaam} Plas")
    } else if b.local < 24 {
        let off = (hash(stream::NAME, u64::from(b.wijk), 1, 0) % 24) as u32;
        format!(
            "{wijknaam} {}",
            BUURT_SUFFIXES[((b.local + off) % 24) as usize]
        )
    } else {
        format!("{wijknaam} {}", b.local + 1)
    }
}
