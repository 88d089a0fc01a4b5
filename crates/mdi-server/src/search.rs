//! Name and code search over the atlas areas, for the server's `/api/search?q=` endpoint.
//!
//! The index is built once at start-up from a slice of [`Entry`] values and is read-only
//! afterwards. Both the indexed text and the query are normalised with [`fold`]: lower case,
//! diacritics removed, apostrophes dropped, and every run of other non-alphanumeric characters
//! turned into a single space, so `"'s-Hertogenbosch"`, `"s hertogenbosch"` and
//! `"S-HERTOGENBOSCH"` all fold to `"s hertogenbosch"`.
//!
//! # Matching
//!
//! * **Codes**: the query with its spaces removed is compared with the folded codes. An equal
//!   code is a [`MatchKind::Code`] hit; a code that starts with the query is a
//!   [`MatchKind::CodePrefix`] hit, but only when the query holds a digit (so that `"b"` does not
//!   list every `BU…` code). A query of digits only is compared with the digits of the codes
//!   instead: `"0363"` finds `GM0363` (all digits equal: [`MatchKind::Code`]) and `WK036300`,
//!   `BU03630000`, … (digits start with the query: [`MatchKind::CodePrefix`]).
//! * **Names**: every query word must be a prefix of a word of the area's name or of its
//!   context (its parents' names), and at least one query word must be a prefix of a word of the
//!   name. Such an area is a [`MatchKind::Name`] hit when its folded name equals the folded query,
//!   a [`MatchKind::NamePrefix`] hit when its folded name starts with the folded query, a
//!   [`MatchKind::WordPrefix`] hit when every query word matched a word of the name, and a
//!   [`MatchKind::Context`] hit otherwise.
//!
//! An area matched in several ways is reported once, with its best kind.
//!
//! # Ranking
//!
//! Best first: by kind in the order `Code`, `CodePrefix`, `Name`, `NamePrefix`, `WordPrefix`,
//! `Context`; within a kind by coarser level first, then larger population (unknown population
//! last), then shorter name, then folded name, then name, then code, then position in the input.
//!
//! # Speed
//!
//! The order within a kind does not depend on the query, so it is computed once at build time:
//! every entry gets a *rank*, and the index refers to entries by rank everywhere. The distinct
//! words of all names and contexts are kept in one sorted vector, with for each word the ranks
//! of the areas whose name holds it and those whose context holds it, stored so that the ranks
//! for a whole range of words are one slice. A query word's matches are then a binary-searched
//! range of words and one slice of ranks, which is marked in a bit set (one bit per entry: about
//! 1.9 kB for the national 15,000 areas); several query words combine by bitwise AND/OR. Codes
//! and code digits are binary-searched in sorted vectors. Walking a bit set visits the hits in
//! rank order, so the best `limit` hits of each kind are the first ones met: no query sorts its
//! hits or touches more entries than its prefixes match, and only queries of several words
//! compare names as text (for the entries whose name holds every query word).

use std::cmp::Ordering;
use std::collections::HashMap;

use serde::Serialize;
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// A query is cut to this many bytes (at a character boundary) after folding, so that an
/// oversized `q=` cannot make a request slow.
pub const MAX_QUERY_BYTES: usize = 200;

/// Score points given to each step of [`MatchKind`]; the part below it orders hits of one kind.
const SCORE_SPAN: u32 = 500_000_000;

/// Number of [`MatchKind`] variants.
const KINDS: usize = 6;

/// One searchable area.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The CBS code, e.g. `"GM0363"`, `"WK036300"` or `"BU03630000"`.
    pub code: String,
    /// The display name, e.g. `"'s-Hertogenbosch"`.
    pub name: String,
    /// The level: 0 = buurt (finest), 1 = wijk, 2 = gemeente; higher = coarser.
    pub level: usize,
    /// Number of inhabitants, when known; larger ranks higher among otherwise equal hits.
    pub population: Option<f64>,
    /// Names of its parents, e.g. `"Centrum / Almelo"`; may be empty.
    pub context: String,
}

/// How a [`Hit`] matched the query. Variants are listed best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum MatchKind {
    /// The query is the area's code (or, for a query of digits only, all the code's digits).
    Code,
    /// The area's code (or, for a query of digits only, its digits) starts with the query.
    CodePrefix,
    /// The folded name equals the folded query.
    Name,
    /// The folded name starts with the folded query.
    NamePrefix,
    /// Every query word is a prefix of a word of the name.
    WordPrefix,
    /// Matched partly through the parents' names (the context); at least one query word is a
    /// prefix of a word of the name.
    Context,
}

impl MatchKind {
    /// Every kind, best first.
    const ALL: [MatchKind; KINDS] = [
        MatchKind::Code,
        MatchKind::CodePrefix,
        MatchKind::Name,
        MatchKind::NamePrefix,
        MatchKind::WordPrefix,
        MatchKind::Context,
    ];

    /// Position in the ranking: 0 for the best kind ([`MatchKind::Code`]).
    fn order(self) -> usize {
        match self {
            MatchKind::Code => 0,
            MatchKind::CodePrefix => 1,
            MatchKind::Name => 2,
            MatchKind::NamePrefix => 3,
            MatchKind::WordPrefix => 4,
            MatchKind::Context => 5,
        }
    }
}

/// One search result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// Index into the entries given to [`SearchIndex::new`].
    pub entry: usize,
    /// How the entry matched.
    pub kind: MatchKind,
    /// Higher = better. Strictly decreasing along the results of one search (for fewer than
    /// 500 million entries): the kind sets the hundreds of millions, the build-time order within
    /// a kind the rest.
    pub score: u32,
}

/// The search index: build once with [`SearchIndex::new`], then query with
/// [`SearchIndex::search`]. Inside, entries are referred to by rank (position in the
/// query-independent order), not by their index in the input.
#[derive(Debug, Clone, Default)]
pub struct SearchIndex {
    /// Input index of the entry at each rank.
    entry_at: Vec<u32>,
    /// Folded name, by rank.
    names: Vec<Box<str>>,
    /// Position in `words` of the first word of the folded name, by rank (`u32::MAX`: no word).
    first_word: Vec<u32>,
    /// Number of words in the folded name, by rank.
    name_words: Vec<u32>,
    /// Every distinct folded word of the names and contexts, sorted.
    words: Vec<Box<str>>,
    /// Ranks whose name holds `words[w]`: `name_ranks[name_start[w]..name_start[w + 1]]`,
    /// sorted; the ranks for words `lo..hi` are `name_ranks[name_start[lo]..name_start[hi]]`.
    name_start: Vec<u32>,
    /// See `name_start`.
    name_ranks: Vec<u32>,
    /// Ranks whose context holds a word: laid out like `name_start`/`name_ranks`.
    ctx_start: Vec<u32>,
    /// See `ctx_start`.
    ctx_ranks: Vec<u32>,
    /// (folded code without spaces, rank), sorted.
    codes: CodeTable,
    /// (ASCII digits of the code, rank), sorted; codes without digits are left out.
    code_digits: CodeTable,
}

impl SearchIndex {
    /// The entries (by their position in the slice given to [`SearchIndex::new`]) in rank
    /// order: the query-independent order in which hits of one kind are listed.
    pub fn ranked(&self) -> impl Iterator<Item = usize> + '_ {
        self.entry_at.iter().map(|&i| i as usize)
    }

    /// Builds the index over `entries`. Hits refer to entries by their position in this slice.
    #[must_use]
    pub fn new(entries: &[Entry]) -> SearchIndex {
        let mut folded: Vec<String> = entries.iter().map(|e| fold(&e.name)).collect();
        let name_chars: Vec<usize> = entries.iter().map(|e| e.name.chars().count()).collect();

        // Query-independent order within a kind: position in it = rank.
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| {
            let (ea, eb) = (&entries[a], &entries[b]);
            eb.level
                .cmp(&ea.level)
                .then_with(|| cmp_population(eb.population, ea.population))
                .then_with(|| name_chars[a].cmp(&name_chars[b]))
                .then_with(|| folded[a].cmp(&folded[b]))
                .then_with(|| ea.name.cmp(&eb.name))
                .then_with(|| ea.code.cmp(&eb.code))
                .then_with(|| a.cmp(&b))
        });
        let entry_at: Vec<u32> = order.iter().map(|&i| to_u32(i)).collect();

        // Many areas share a context (all buurten of a wijk): fold each distinct one once.
        let mut context_index: HashMap<&str, usize> = HashMap::new();
        let mut contexts: Vec<String> = Vec::new();
        let mut context_of = Vec::with_capacity(entries.len());
        for &i in &order {
            let raw = entries[i].context.as_str();
            let next = contexts.len();
            let c = *context_index.entry(raw).or_insert(next);
            if c == next {
                contexts.push(fold(raw));
            }
            context_of.push(c);
        }

        // Give every distinct word a provisional id (order of first appearance), so that the
        // postings below are sorted as integers rather than as strings.
        let mut provisional: HashMap<&str, u32> = HashMap::new();
        let mut distinct: Vec<&str> = Vec::new();
        let mut name_pairs: Vec<(u32, u32)> = Vec::new();
        let mut first_word = Vec::with_capacity(entries.len());
        let mut name_words = Vec::with_capacity(entries.len());
        for (rank, &i) in order.iter().enumerate() {
            let mut count = 0u32;
            let mut first = u32::MAX;
            for w in folded[i].split(' ').filter(|w| !w.is_empty()) {
                let id = intern(w, &mut provisional, &mut distinct);
                if count == 0 {
                    first = id;
                }
                count = count.saturating_add(1);
                name_pairs.push((id, to_u32(rank)));
            }
            first_word.push(first);
            name_words.push(count);
        }
        let context_words: Vec<Vec<u32>> = contexts
            .iter()
            .map(|c| {
                c.split(' ')
                    .filter(|w| !w.is_empty())
                    .map(|w| intern(w, &mut provisional, &mut distinct))
                    .collect()
            })
            .collect();
        let mut ctx_pairs: Vec<(u32, u32)> = Vec::new();
        for (rank, &c) in context_of.iter().enumerate() {
            ctx_pairs.extend(context_words[c].iter().map(|&w| (w, to_u32(rank))));
        }

        // Renumber the words in sorted order.
        let mut by_text: Vec<u32> = (0..to_u32(distinct.len())).collect();
        by_text.sort_unstable_by_key(|&w| distinct[w as usize]);
        let mut sorted_id = vec![0u32; distinct.len()];
        for (position, &w) in by_text.iter().enumerate() {
            sorted_id[w as usize] = to_u32(position);
        }
        for w in &mut first_word {
            if let Some(&id) = sorted_id.get(*w as usize) {
                *w = id;
            }
        }
        let words: Vec<Box<str>> = by_text
            .iter()
            .map(|&w| distinct[w as usize].into())
            .collect();
        let (name_start, name_ranks) = postings(name_pairs, &sorted_id, words.len());
        let (ctx_start, ctx_ranks) = postings(ctx_pairs, &sorted_id, words.len());

        let (codes, code_digits) = code_tables(entries, &order);

        let names = order
            .iter()
            .map(|&i| std::mem::take(&mut folded[i]).into_boxed_str())
            .collect();
        SearchIndex {
            entry_at,
            names,
            first_word,
            name_words,
            words,
            name_start,
            name_ranks,
            ctx_start,
            ctx_ranks,
            codes,
            code_digits,
        }
    }

    /// Number of entries indexed.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entry_at.len()
    }

    /// True when the index holds no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entry_at.is_empty()
    }

    /// The best `limit` hits for `query`, best first. An empty or blank query (or one with no
    /// letters or digits) gives no hits. Only the first [`MAX_QUERY_BYTES`] bytes of the folded
    /// query are used.
    #[must_use]
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let mut q = fold(query);
        if q.len() > MAX_QUERY_BYTES {
            let mut cut = MAX_QUERY_BYTES;
            while !q.is_char_boundary(cut) {
                cut -= 1;
            }
            q.truncate(cut);
            q.truncate(q.trim_end().len());
        }
        if q.is_empty() || limit == 0 || self.is_empty() {
            return Vec::new();
        }

        // Per kind, the best ranks found so far, in rank order (at most `limit` each).
        let mut found: [Vec<u32>; KINDS] = Default::default();
        let code_matched = self.code_hits(&q, limit, &mut found);
        self.name_hits(&q, limit, code_matched.as_ref(), &mut found);

        let mut hits = Vec::with_capacity(limit.min(found.iter().map(Vec::len).sum()));
        for (kind, ranks) in MatchKind::ALL.into_iter().zip(&found) {
            for &rank in ranks {
                if hits.len() == limit {
                    return hits;
                }
                hits.push(self.hit(rank, kind));
            }
        }
        hits
    }

    /// The [`Hit`] for the entry at `rank`, matched as `kind`.
    fn hit(&self, rank: u32, kind: MatchKind) -> Hit {
        let steps = u32::try_from(KINDS - 1 - kind.order()).unwrap_or(0);
        let within = SCORE_SPAN - 1 - rank.min(SCORE_SPAN - 1);
        Hit {
            entry: self.entry_at[rank as usize] as usize,
            kind,
            score: steps * SCORE_SPAN + within,
        }
    }

    /// Adds the code and code-digit hits for the folded query `q` to `found`, and returns the
    /// set of the ranks matched (`None` when there are none).
    fn code_hits(&self, q: &str, limit: usize, found: &mut [Vec<u32>; KINDS]) -> Option<Bits> {
        let compact: String = q.chars().filter(|c| *c != ' ').collect();
        let compact = compact.as_str();
        let (table, prefix_allowed) = if compact.bytes().all(|b| b.is_ascii_digit()) {
            (&self.code_digits, true)
        } else {
            (&self.codes, compact.bytes().any(|b| b.is_ascii_digit()))
        };
        let lo = table.partition_point(|(code, _)| code.as_ref() < compact);
        let rest = &table[lo..];
        let equal = rest.partition_point(|(code, _)| code.as_ref() == compact);
        let matched = if prefix_allowed {
            rest.partition_point(|(code, _)| code.starts_with(compact))
        } else {
            equal
        };
        if matched == 0 {
            return None;
        }
        let mut exact = Bits::new(self.len());
        for &(_, rank) in &rest[..equal] {
            exact.set(rank);
        }
        let mut prefix = Bits::new(self.len());
        for &(_, rank) in &rest[equal..matched] {
            prefix.set(rank);
        }
        found[MatchKind::Code.order()].extend(exact.ones().take(limit));
        found[MatchKind::CodePrefix.order()].extend(prefix.ones().take(limit));
        prefix.or_with(&exact);
        Some(prefix)
    }

    /// Adds the name, word-prefix and context hits for the folded, non-empty query `q` to
    /// `found`, leaving out the ranks in `skip` (already matched by code).
    fn name_hits(&self, q: &str, limit: usize, skip: Option<&Bits>, found: &mut [Vec<u32>; KINDS]) {
        let mut qwords: Vec<&str> = q.split(' ').filter(|w| !w.is_empty()).collect();
        qwords.sort_unstable();
        qwords.dedup();
        let n = self.len();

        let mut ranges = Vec::with_capacity(qwords.len());
        for w in &qwords {
            let range = self.prefix_range(w);
            if range.0 == range.1 {
                return; // every query word must match some word
            }
            ranges.push(range);
        }
        let [(lo, hi)] = ranges[..] else {
            return self.multi_word_hits(q, &ranges, limit, skip, found);
        };

        // One word: the hits are the names holding a word that starts with it.
        let mut candidates = Bits::new(n);
        for &rank in range_slice(&self.name_start, &self.name_ranks, lo, hi) {
            candidates.set(rank);
        }
        if let Some(skip) = skip {
            candidates.and_not_with(skip);
        }
        let lo = to_u32(lo);
        let hi = to_u32(hi);
        let exact_word = (self.words[lo as usize].as_ref() == q).then_some(lo);
        // With the word repeated ("oud oud"), `q` is not that word: compare names as text.
        let repeated = q.contains(' ');
        for rank in candidates.ones() {
            let first = self.first_word[rank as usize];
            let kind = if repeated {
                self.full_name_kind(rank, q)
            } else if self.name_words[rank as usize] == 1 && Some(first) == exact_word {
                MatchKind::Name
            } else if (lo..hi).contains(&first) {
                MatchKind::NamePrefix
            } else {
                MatchKind::WordPrefix
            };
            if push_capped(found, kind, rank, limit) {
                break;
            }
        }
    }

    /// [`SearchIndex::name_hits`] for a query of several distinct words, with `ranges` the
    /// (non-empty) ranges of `self.words` that each query word is a prefix of.
    fn multi_word_hits(
        &self,
        q: &str,
        ranges: &[(usize, usize)],
        limit: usize,
        skip: Option<&Bits>,
        found: &mut [Vec<u32>; KINDS],
    ) {
        let n = self.len();
        // Ranks where every query word matched the name or context so far.
        let mut candidates: Option<Bits> = None;
        // Ranks where some query word matched the name.
        let mut some_name = Bits::new(n);
        // Ranks where every query word matched the name.
        let mut all_names: Option<Bits> = None;
        for &(lo, hi) in ranges {
            let mut in_name = Bits::new(n);
            for &rank in range_slice(&self.name_start, &self.name_ranks, lo, hi) {
                in_name.set(rank);
            }
            let mut either = in_name.clone();
            for &rank in range_slice(&self.ctx_start, &self.ctx_ranks, lo, hi) {
                either.set(rank);
            }
            some_name.or_with(&in_name);
            match &mut all_names {
                None => all_names = Some(in_name),
                Some(all) => all.and_with(&in_name),
            }
            match &mut candidates {
                None => candidates = Some(either),
                Some(c) => {
                    c.and_with(&either);
                    if c.is_empty() {
                        return;
                    }
                }
            }
        }
        let (Some(mut candidates), Some(all_names)) = (candidates, all_names) else {
            return;
        };
        candidates.and_with(&some_name);
        if let Some(skip) = skip {
            candidates.and_not_with(skip);
        }
        for rank in candidates.ones() {
            let kind = if all_names.get(rank) {
                self.full_name_kind(rank, q)
            } else {
                MatchKind::Context
            };
            if push_capped(found, kind, rank, limit) {
                break;
            }
        }
    }

    /// The kind of a hit at `rank` whose name holds every word of the folded query `q`.
    fn full_name_kind(&self, rank: u32, q: &str) -> MatchKind {
        let name = self.names[rank as usize].as_ref();
        if name == q {
            MatchKind::Name
        } else if name.starts_with(q) {
            MatchKind::NamePrefix
        } else {
            MatchKind::WordPrefix
        }
    }

    /// The range `lo..hi` of `self.words` that start with `prefix`.
    fn prefix_range(&self, prefix: &str) -> (usize, usize) {
        let lo = self.words.partition_point(|w| w.as_ref() < prefix);
        let len = self.words[lo..].partition_point(|w| w.starts_with(prefix));
        (lo, lo + len)
    }
}

/// Adds `rank` to the hits of `kind` unless that kind already has `limit`. Returns true when
/// the search can stop: ranks come in increasing order and the best name kind is full, so no
/// later rank can make the results.
fn push_capped(found: &mut [Vec<u32>; KINDS], kind: MatchKind, rank: u32, limit: usize) -> bool {
    let list = &mut found[kind.order()];
    if list.len() < limit {
        list.push(rank);
    }
    found[MatchKind::Name.order()].len() >= limit
}

/// The ranks stored for words `lo..hi` of a compressed posting list.
fn range_slice<'a>(start: &[u32], ranks: &'a [u32], lo: usize, hi: usize) -> &'a [u32] {
    &ranks[start[lo] as usize..start[hi] as usize]
}

/// A fixed-size set of ranks, one bit each.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Bits {
    /// An empty set able to hold ranks `0..n`.
    fn new(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    /// Adds `rank`.
    fn set(&mut self, rank: u32) {
        let r = rank as usize;
        self.0[r / 64] |= 1 << (r % 64);
    }

    /// True when `rank` is in the set.
    fn get(&self, rank: u32) -> bool {
        let r = rank as usize;
        self.0[r / 64] & (1 << (r % 64)) != 0
    }

    /// True when the set holds nothing.
    fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// Keeps only the ranks also in `other`.
    fn and_with(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    /// Adds the ranks in `other`.
    fn or_with(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a |= b);
    }

    /// Removes the ranks in `other`.
    fn and_not_with(&mut self, other: &Bits) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    /// The ranks in the set, in increasing order.
    fn ones(&self) -> Ones<'_> {
        Ones {
            words: &self.0,
            index: 0,
            current: self.0.first().copied().unwrap_or(0),
        }
    }
}

/// Iterator over the ranks of a [`Bits`], in increasing order.
struct Ones<'a> {
    /// The set's words.
    words: &'a [u64],
    /// Index of the word being read.
    index: usize,
    /// The bits of `words[index]` not yet returned.
    current: u64,
}

impl Iterator for Ones<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        while self.current == 0 {
            self.index += 1;
            self.current = *self.words.get(self.index)?;
        }
        let bit = self.current.trailing_zeros();
        self.current &= self.current - 1;
        Some(to_u32(self.index * 64) + bit)
    }
}

/// A sorted table of (code text, rank).
type CodeTable = Vec<(Box<str>, u32)>;

/// Builds the code tables of [`SearchIndex`]; `order[rank]` is the input index at each rank.
fn code_tables(entries: &[Entry], order: &[usize]) -> (CodeTable, CodeTable) {
    let mut codes = Vec::with_capacity(entries.len());
    let mut code_digits = Vec::with_capacity(entries.len());
    for (rank, &i) in order.iter().enumerate() {
        let code: String = fold(&entries[i].code)
            .chars()
            .filter(|c| *c != ' ')
            .collect();
        let digits: String = code.chars().filter(char::is_ascii_digit).collect();
        if !digits.is_empty() {
            code_digits.push((digits.into_boxed_str(), to_u32(rank)));
        }
        if !code.is_empty() {
            codes.push((code.into_boxed_str(), to_u32(rank)));
        }
    }
    codes.sort_unstable();
    code_digits.sort_unstable();
    (codes, code_digits)
}

/// The id of `word` in `distinct`, adding it when new.
fn intern<'a>(word: &'a str, ids: &mut HashMap<&'a str, u32>, distinct: &mut Vec<&'a str>) -> u32 {
    *ids.entry(word).or_insert_with(|| {
        distinct.push(word);
        to_u32(distinct.len() - 1)
    })
}

/// Posting lists in compressed form from (provisional word id, rank) pairs: the ranks of word
/// `w` (sorted id) are `ranks[start[w]..start[w + 1]]`, sorted and deduplicated.
fn postings(mut pairs: Vec<(u32, u32)>, sorted_id: &[u32], words: usize) -> (Vec<u32>, Vec<u32>) {
    for pair in &mut pairs {
        pair.0 = sorted_id[pair.0 as usize];
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut start = vec![0u32; words + 1];
    for &(w, _) in &pairs {
        start[w as usize + 1] += 1;
    }
    for w in 0..words {
        start[w + 1] += start[w];
    }
    let ranks = pairs.into_iter().map(|(_, rank)| rank).collect();
    (start, ranks)
}

/// Orders populations with unknown (and NaN) below every known value.
fn cmp_population(a: Option<f64>, b: Option<f64>) -> Ordering {
    let known = |p: Option<f64>| p.filter(|v| !v.is_nan());
    match (known(a), known(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Entry counts and offsets are stored as `u32`; more than 4 billion entries cannot occur in
/// practice, and saturating keeps this total.
fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Characters dropped without splitting words: apostrophes and look-alikes, so that
/// `"'s-Hertogenbosch"` folds like `"s-Hertogenbosch"` and `"Pietje's"` like `"Pietjes"`.
fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\'' | '\u{2019}' | '\u{2018}' | '\u{201B}' | '`' | '\u{00B4}' | '\u{02BC}' | '\u{2032}'
    )
}

/// Lower-case letters that NFKD does not decompose, with their plain-Latin spelling.
fn expand_letter(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'œ' => "oe",
        'ø' => "o",
        'đ' | 'ð' => "d",
        'þ' => "th",
        'ł' => "l",
        'ħ' => "h",
        'ı' => "i",
        'ŧ' => "t",
        'ĸ' => "k",
        'ŋ' => "n",
        _ => return None,
    })
}

/// The normalisation used for both the indexed names and codes and the query: NFKD, combining
/// marks dropped, lower case, a few letters NFKD leaves alone spelled out (`ß`→`ss`, `æ`→`ae`,
/// `ø`→`o`, …), apostrophes dropped, and every run of other non-alphanumeric characters turned
/// into one space, with no space at either end.
///
/// `fold("'s-Hertogenbosch") == "s hertogenbosch"`, `fold("Gânzenhoef") == "ganzenhoef"`,
/// `fold("Zuid-Holland") == fold("zuid holland")`, `fold("Ĳsselmonde") == "ijsselmonde"`.
#[must_use]
pub fn fold(s: &str) -> String {
    if !s.is_ascii() {
        return fold_unicode(s);
    }
    // ASCII: NFKD changes nothing, there are no combining marks and no letters to spell out.
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    for b in s.bytes().filter(|&b| b != b'\'' && b != b'`') {
        if b.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            gap = true;
        }
    }
    out
}

/// [`fold`] for any text: the general, slower path.
fn fold_unicode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = false;
    let mut push = |out: &mut String, c: char| {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c);
        } else {
            gap = true;
        }
    };
    let chars = s
        .chars()
        .filter(|c| !is_apostrophe(*c))
        .nfkd()
        .flat_map(char::to_lowercase)
        .filter(|c| !is_combining_mark(*c));
    for c in chars {
        match expand_letter(c) {
            Some(spelled) => spelled.chars().for_each(|c| push(&mut out, c)),
            None => push(&mut out, c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, name: &str, level: usize, population: Option<f64>, ctx: &str) -> Entry {
        Entry {
            code: code.to_string(),
            name: name.to_string(),
            level,
            population,
            context: ctx.to_string(),
        }
    }

    /// A small hand-made atlas.
    fn sample() -> Vec<Entry> {
        vec![
            /* 0 */ entry("GM0363", "Amsterdam", 2, Some(850_000.0), ""),
            /* 1 */
            entry(
                "WK036300",
                "Burgwallen-Oude Zijde",
                1,
                Some(4_000.0),
                "Amsterdam",
            ),
            /* 2 */
            entry(
                "BU03630000",
                "Kop Zeedijk",
                0,
                Some(1_000.0),
                "Burgwallen-Oude Zijde / Amsterdam",
            ),
            /* 3 */ entry("WK036399", "Nieuw-West", 1, Some(150_000.0), "Amsterdam"),
            /* 4 */
            entry(
                "BU03639900",
                "Slotervaart Zuid",
                0,
                Some(20_000.0),
                "Nieuw-West / Amsterdam",
            ),
            /* 5 */ entry("GM0141", "Almelo", 2, Some(72_000.0), ""),
            /* 6 */ entry("WK014101", "Centrum", 1, Some(9_000.0), "Almelo"),
            /* 7 */
            entry(
                "BU01410101",
                "Centrum",
                0,
                Some(3_000.0),
                "Centrum / Almelo",
            ),
            /* 8 */
            entry(
                "BU01410102",
                "Centrum Almelo-Oost",
                0,
                Some(500.0),
                "Centrum / Almelo",
            ),
            /* 9 */ entry("GM0796", "'s-Hertogenbosch", 2, Some(155_000.0), ""),
            /* 10 */
            entry(
                "BU03631234",
                "Gânzenhoef",
                0,
                Some(4_500.0),
                "Bijlmer / Amsterdam",
            ),
            /* 11 */ entry("GM0014", "Groningen", 2, Some(230_000.0), ""),
            /* 12 */
            entry(
                "BU00140001",
                "Centrum Groningen",
                0,
                None,
                "Centrum / Groningen",
            ),
            /* 13 */ entry("BU05990001", "Ĳsselmonde", 0, Some(60_000.0), "Rotterdam"),
            /* 14 */ entry("BU05990002", "Straße Ærø", 0, Some(10.0), "Rotterdam"),
            /* 15 */ entry("PV28", "Zuid-Holland", 3, Some(3_700_000.0), ""),
        ]
    }

    fn entries_of(hits: &[Hit]) -> Vec<usize> {
        hits.iter().map(|h| h.entry).collect()
    }

    fn kinds_of(hits: &[Hit]) -> Vec<MatchKind> {
        hits.iter().map(|h| h.kind).collect()
    }

    #[test]
    fn fold_lowercases_strips_diacritics_and_splits_words() {
        assert_eq!(fold("Gânzenhoef"), "ganzenhoef");
        assert_eq!(fold("Groningen"), "groningen");
        assert_eq!(fold("Zuid-Holland"), "zuid holland");
        assert_eq!(fold("  zuid   HOLLAND  "), "zuid holland");
        assert_eq!(fold("Jezuïtenbuurt"), "jezuitenbuurt");
        assert_eq!(fold("Belvédère"), "belvedere");
        assert_eq!(fold("Het Dorp. Mariëndaal"), "het dorp mariendaal");
        assert_eq!(fold(""), "");
        assert_eq!(fold(" - / "), "");
    }

    #[test]
    fn fold_handles_ligatures_and_letters_nfkd_keeps() {
        assert_eq!(fold("Ĳsselmonde"), "ijsselmonde");
        assert_eq!(fold("ĳssel"), "ijssel");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("Ærø"), "aero");
        assert_eq!(fold("Œuvre"), "oeuvre");
        assert_eq!(fold("Łódź"), "lodz");
        assert_eq!(fold("ﬁets"), "fiets");
    }

    #[test]
    fn fold_ascii_fast_path_agrees_with_general_path() {
        let samples = [
            "'s-Hertogenbosch",
            "  Zuid--HOLLAND_ ",
            "BU03630000",
            "Pietje's `Hof` (Oost) 2e/3e",
            "",
            " - ",
            "a\tb\nc",
            "Amsterdam-Noord / GM0363",
        ];
        for s in samples {
            assert!(s.is_ascii());
            assert_eq!(fold(s), fold_unicode(s), "{s:?}");
        }
        // Every printable ASCII character on its own and between letters.
        for b in 0x20u8..0x7f {
            let c = char::from(b);
            let s = format!("x{c}Y{c}");
            assert_eq!(fold(&s), fold_unicode(&s), "{s:?}");
        }
    }

    #[test]
    fn fold_drops_apostrophes_without_splitting() {
        assert_eq!(fold("'s-Hertogenbosch"), "s hertogenbosch");
        assert_eq!(fold("\u{2019}s-Gravenhage"), "s gravenhage");
        assert_eq!(fold("Pietje's Hof"), "pietjes hof");
        assert_eq!(fold("Pietje\u{2019}s Hof"), "pietjes hof");
    }

    #[test]
    fn empty_and_blank_queries_give_nothing() {
        let index = SearchIndex::new(&sample());
        assert!(index.search("", 10).is_empty());
        assert!(index.search("   ", 10).is_empty());
        assert!(index.search("\t\n", 10).is_empty());
        assert!(index.search(" - ' ", 10).is_empty());
    }

    #[test]
    fn no_match_gives_nothing() {
        let index = SearchIndex::new(&sample());
        assert!(index.search("zzzz", 10).is_empty());
        assert!(index.search("amsterdamx", 10).is_empty());
        // A word of the context alone is not enough: one word must match the name.
        assert!(index.search("bijlmer", 10).is_empty());
    }

    #[test]
    fn empty_index_gives_nothing() {
        let index = SearchIndex::new(&[]);
        assert!(index.is_empty());
        assert!(index.search("a", 10).is_empty());
        assert!(index.search("0363", 10).is_empty());
    }

    #[test]
    fn search_ignores_case_and_diacritics() {
        let index = SearchIndex::new(&sample());
        let hits = index.search("Ganzenhoef", 10);
        assert_eq!(entries_of(&hits), [10]);
        assert_eq!(hits[0].kind, MatchKind::Name);
        let hits = index.search("GRONINGEN", 10);
        assert_eq!(entries_of(&hits), [11, 12]);
        assert_eq!(kinds_of(&hits), [MatchKind::Name, MatchKind::WordPrefix]);
        assert_eq!(entries_of(&index.search("gânzen", 10)), [10]);
    }

    #[test]
    fn hyphen_and_space_are_the_same() {
        let index = SearchIndex::new(&sample());
        for q in [
            "zuid-holland",
            "Zuid Holland",
            "ZUID_HOLLAND",
            "zuid  holland",
        ] {
            let hits = index.search(q, 10);
            assert_eq!(entries_of(&hits), [15], "{q}");
            assert_eq!(hits[0].kind, MatchKind::Name, "{q}");
        }
        // "Slotervaart Zuid" has both words in its context only: not a hit.
        let hits = index.search("nieuw west", 10);
        assert_eq!(entries_of(&hits), [3]);
        assert_eq!(kinds_of(&hits), [MatchKind::Name]);
    }

    #[test]
    fn ligature_and_special_letters_match() {
        let index = SearchIndex::new(&sample());
        assert_eq!(entries_of(&index.search("ijsselmonde", 10)), [13]);
        assert_eq!(entries_of(&index.search("IJssel", 10)), [13]);
        assert_eq!(entries_of(&index.search("strasse", 10)), [14]);
        assert_eq!(entries_of(&index.search("straße aerø", 10)), [14]);
        assert_eq!(entries_of(&index.search("aero", 10)), [14]);
    }

    #[test]
    fn apostrophe_names_are_found_several_ways() {
        let index = SearchIndex::new(&sample());
        let cases = [
            ("'s-Hertogenbosch", MatchKind::Name),
            ("s-hertogenbosch", MatchKind::Name),
            ("\u{2019}s hertogenbosch", MatchKind::Name),
            ("'s hertog", MatchKind::NamePrefix),
            ("hertogenbosch", MatchKind::WordPrefix),
            ("hertog", MatchKind::WordPrefix),
        ];
        for (q, kind) in cases {
            let hits = index.search(q, 10);
            assert_eq!(entries_of(&hits), [9], "{q}");
            assert_eq!(hits[0].kind, kind, "{q}");
        }
    }

    #[test]
    fn exact_code_matches_in_any_case() {
        let index = SearchIndex::new(&sample());
        for q in ["BU03630000", "bu03630000", " Bu03630000 "] {
            let hits = index.search(q, 10);
            assert_eq!(entries_of(&hits), [2], "{q}");
            assert_eq!(hits[0].kind, MatchKind::Code, "{q}");
        }
        let hits = index.search("gm0141", 10);
        assert_eq!(entries_of(&hits), [5]);
        assert_eq!(hits[0].kind, MatchKind::Code);
    }

    #[test]
    fn code_prefix_lists_codes_that_start_with_the_query() {
        let index = SearchIndex::new(&sample());
        let hits = index.search("bu0363", 10);
        // All CodePrefix; by population within the level: 4 (20 000), 10 (4 500), 2 (1 000).
        assert_eq!(entries_of(&hits), [4, 10, 2]);
        assert!(hits.iter().all(|h| h.kind == MatchKind::CodePrefix));
        // A space inside the code is tolerated.
        assert_eq!(entries_of(&index.search("BU 0363", 10)), [4, 10, 2]);
        let hits = index.search("wk0363", 10);
        assert_eq!(entries_of(&hits), [3, 1]);
    }

    #[test]
    fn letters_only_do_not_list_codes() {
        let index = SearchIndex::new(&sample());
        // "bu" and "gm" are prefixes of many codes but hold no digit: only names count.
        let hits = index.search("bu", 10);
        assert_eq!(entries_of(&hits), [1]);
        assert_eq!(hits[0].kind, MatchKind::NamePrefix);
        assert!(index.search("gm", 10).is_empty());
        assert!(index.search("PV", 10).is_empty());
    }

    #[test]
    fn digits_match_the_digits_of_codes_coarser_first() {
        let index = SearchIndex::new(&sample());
        let hits = index.search("0363", 10);
        assert_eq!(entries_of(&hits), [0, 3, 1, 4, 10, 2]);
        assert_eq!(
            kinds_of(&hits),
            [
                MatchKind::Code,
                MatchKind::CodePrefix,
                MatchKind::CodePrefix,
                MatchKind::CodePrefix,
                MatchKind::CodePrefix,
                MatchKind::CodePrefix,
            ]
        );
        let hits = index.search("036300", 10);
        assert_eq!(entries_of(&hits), [1, 2]);
        assert_eq!(kinds_of(&hits), [MatchKind::Code, MatchKind::CodePrefix]);
        assert_eq!(entries_of(&index.search("0141", 10)), [5, 6, 7, 8]);
    }

    #[test]
    fn multi_word_query_matches_through_context() {
        let index = SearchIndex::new(&sample());
        let hits = index.search("centrum almelo", 10);
        // 8's own name holds both words; 6 and 7 are "Centrum" inside Almelo.
        assert_eq!(entries_of(&hits), [8, 6, 7]);
        assert_eq!(
            kinds_of(&hits),
            [
                MatchKind::NamePrefix,
                MatchKind::Context,
                MatchKind::Context
            ]
        );
        // Word order and prefixes do not matter.
        let hits = index.search("alm cent", 10);
        assert_eq!(entries_of(&hits), [8, 6, 7]);
        assert_eq!(
            kinds_of(&hits),
            [
                MatchKind::WordPrefix,
                MatchKind::Context,
                MatchKind::Context
            ]
        );
        // Almelo itself (a name match for "almelo") is left out: "centrum" matches none of it.
        assert!(!entries_of(&hits).contains(&5));
    }

    #[test]
    fn every_query_word_must_match() {
        let index = SearchIndex::new(&sample());
        assert!(index.search("centrum rotterdam", 10).is_empty());
        assert!(index.search("centrum zzz", 10).is_empty());
        let hits = index.search("centrum groningen", 10);
        assert_eq!(entries_of(&hits), [12]);
        assert_eq!(hits[0].kind, MatchKind::Name);
    }

    #[test]
    fn ranking_by_kind_then_level_population_length() {
        let index = SearchIndex::new(&sample());
        let hits = index.search("centrum", 10);
        assert_eq!(entries_of(&hits), [6, 7, 8, 12]);
        assert_eq!(
            kinds_of(&hits),
            [
                MatchKind::Name,
                MatchKind::Name,
                MatchKind::NamePrefix,
                MatchKind::NamePrefix
            ]
        );
        // Scores strictly decrease along the results.
        assert!(hits.windows(2).all(|w| w[0].score > w[1].score));
        // A name prefix: the gemeente first, then by level.
        let hits = index.search("a", 10);
        assert_eq!(entries_of(&hits), [0, 5, 8, 14]);
        assert_eq!(
            kinds_of(&hits),
            [
                MatchKind::NamePrefix,
                MatchKind::NamePrefix,
                MatchKind::WordPrefix,
                MatchKind::WordPrefix
            ]
        );
    }

    #[test]
    fn ties_break_on_length_then_name_then_code() {
        let entries = vec![
            entry("BU3", "Dorp", 0, Some(10.0), ""),
            entry("BU2", "Dorpen", 0, Some(10.0), ""),
            entry("BU1", "Dorp", 0, Some(10.0), ""),
            entry("BU4", "Dorpa", 0, Some(10.0), ""),
            entry("BU5", "Dorp", 0, None, ""),
            entry("BU6", "Dorp", 0, Some(f64::NAN), ""),
            entry("BU7", "Dorpb", 0, Some(11.0), ""),
            entry("BU0", "Dorpc", 0, Some(10.0), ""),
        ];
        let index = SearchIndex::new(&entries);
        let hits = index.search("dorp", 10);
        // Name hits: population 10 (codes BU1 < BU3), then unknown population (BU5 < BU6).
        // Name prefixes: population 11 first; then shorter name; then by name ("Dorpa" <
        // "Dorpc", although code BU0 < BU4); then the longest name.
        assert_eq!(entries_of(&hits), [2, 0, 4, 5, 6, 3, 7, 1]);
        let mut expected = vec![MatchKind::Name; 4];
        expected.extend([MatchKind::NamePrefix; 4]);
        assert_eq!(kinds_of(&hits), expected);
    }

    #[test]
    fn code_beats_name_and_is_reported_once() {
        // In the 2014 data wijken and gemeenten are named by their code.
        let entries = vec![
            entry("WK092801", "WK092801", 1, Some(100.0), "GM0928"),
            entry("BU09280101", "Wk092801 Noord", 2, Some(5.0), ""),
        ];
        let index = SearchIndex::new(&entries);
        let hits = index.search("wk092801", 10);
        assert_eq!(entries_of(&hits), [0, 1]);
        assert_eq!(kinds_of(&hits), [MatchKind::Code, MatchKind::NamePrefix]);
    }

    #[test]
    fn limit_caps_the_results_and_keeps_the_best() {
        let index = SearchIndex::new(&sample());
        let all = index.search("0363", 50);
        assert_eq!(all.len(), 6);
        for limit in 0..=7 {
            let hits = index.search("0363", limit);
            assert_eq!(hits.len(), limit.min(6));
            assert_eq!(hits[..], all[..limit.min(6)]);
        }
    }

    #[test]
    fn results_are_deterministic() {
        // Identical entries apart from their position: the earlier one wins the tie.
        let mut entries = sample();
        entries.push(entry(
            "BU01410101",
            "Centrum",
            0,
            Some(3_000.0),
            "Centrum / Almelo",
        ));
        let index = SearchIndex::new(&entries);
        let first = index.search("centrum", 50);
        assert_eq!(entries_of(&first), [6, 7, 16, 8, 12]);
        let rebuilt = SearchIndex::new(&entries);
        for _ in 0..3 {
            assert_eq!(index.search("centrum", 50), first);
            assert_eq!(rebuilt.search("centrum", 50), first);
        }
    }

    #[test]
    fn repeated_and_overlong_queries_are_safe() {
        let index = SearchIndex::new(&sample());
        assert_eq!(
            entries_of(&index.search("centrum centrum almelo", 10)),
            [8, 6, 7]
        );
        let long = "a ".repeat(10_000);
        assert_eq!(
            entries_of(&index.search(&long, 10)),
            entries_of(&index.search("a", 10))
        );
        let long_word = "é".repeat(1_000);
        assert!(index.search(&long_word, 10).is_empty());
    }

    /// The behaviour described in the module docs, done the slow, obvious way: match every
    /// entry's folded strings (`folded[i]` = code, name, context of `entries[i]`), sort
    /// everything.
    fn naive(entries: &[Entry], folded: &[[String; 3]], query: &str) -> Vec<(usize, MatchKind)> {
        let q = fold(query);
        if q.is_empty() {
            return Vec::new();
        }
        let qwords: Vec<&str> = q.split(' ').collect();
        let compact = q.replace(' ', "");
        let all_digits = compact.chars().all(|c| c.is_ascii_digit());
        let has_digit = compact.chars().any(|c| c.is_ascii_digit());
        let mut hits: Vec<(usize, MatchKind)> = Vec::new();
        for (i, [code, name, context]) in folded.iter().enumerate() {
            let code = code.replace(' ', "");
            let code_kind = if all_digits {
                let digits: String = code.chars().filter(char::is_ascii_digit).collect();
                if digits.is_empty() {
                    None
                } else if digits == compact {
                    Some(MatchKind::Code)
                } else if digits.starts_with(&compact) {
                    Some(MatchKind::CodePrefix)
                } else {
                    None
                }
            } else if code == compact {
                Some(MatchKind::Code)
            } else if has_digit && code.starts_with(&compact) {
                Some(MatchKind::CodePrefix)
            } else {
                None
            };
            let prefixes = |text: &str, w: &str| text.split(' ').any(|t| t.starts_with(w));
            let in_name = |w: &&str| prefixes(name, w);
            let in_context = |w: &&str| prefixes(context, w);
            let name_kind = if qwords.iter().all(|w| in_name(w) || in_context(w))
                && qwords.iter().any(in_name)
            {
                Some(if *name == q {
                    MatchKind::Name
                } else if name.starts_with(&q) {
                    MatchKind::NamePrefix
                } else if qwords.iter().all(in_name) {
                    MatchKind::WordPrefix
                } else {
                    MatchKind::Context
                })
            } else {
                None
            };
            if let Some(kind) = [code_kind, name_kind].into_iter().flatten().min() {
                hits.push((i, kind));
            }
        }
        let population = |i: usize| entries[i].population.filter(|p| !p.is_nan());
        hits.sort_by(|&(a, ka), &(b, kb)| {
            let (ea, eb) = (&entries[a], &entries[b]);
            ka.cmp(&kb)
                .then(eb.level.cmp(&ea.level))
                .then_with(|| match (population(a), population(b)) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                })
                .then(ea.name.chars().count().cmp(&eb.name.chars().count()))
                .then_with(|| folded[a][1].cmp(&folded[b][1]))
                .then_with(|| ea.name.cmp(&eb.name))
                .then_with(|| ea.code.cmp(&eb.code))
                .then(a.cmp(&b))
        });
        hits
    }

    /// A deterministic pseudo-random atlas with colliding names, codes and populations.
    fn generated(n: usize) -> Vec<Entry> {
        const WORDS: [&str; 20] = [
            "'s-Gravenland",
            "Gânzenhoef",
            "Centrum",
            "Noord",
            "Nieuw-West",
            "Oud",
            "Zuid",
            "Ĳsselmonde",
            "Straße",
            "de",
            "Dorp",
            "Dorpen",
            "Bos",
            "Bosch",
            "Amstel",
            "Almelo",
            "Hoek",
            "2e",
            "12",
            "Zeeën",
        ];
        let mut state = 0x2014_u64;
        let mut next = |m: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as usize % m
        };
        let mut entries: Vec<Entry> = Vec::new();
        for i in 0..n {
            let level = next(3);
            let words = 1 + next(3);
            let name: Vec<&str> = (0..words).map(|_| WORDS[next(WORDS.len())]).collect();
            let name = name.join(if next(2) == 0 { " " } else { "-" });
            let code = match level {
                2 => format!("GM{:04}", next(40)),
                1 => format!("WK{:04}{:02}", next(40), next(5)),
                _ => format!("BU{:04}{:02}{:02}", next(40), next(5), next(9)),
            };
            let population = [None, Some(10.0), Some(20.0), Some(500.0)][next(4)];
            let context = if i > 0 && next(3) > 0 {
                let parent = &entries[next(i)];
                format!("{} / {}", parent.name, parent.context)
            } else {
                String::new()
            };
            entries.push(Entry {
                code,
                name,
                level,
                population,
                context,
            });
        }
        entries
    }

    #[test]
    fn matches_a_naive_scan() {
        let entries = generated(400);
        let index = SearchIndex::new(&entries);
        let folded: Vec<[String; 3]> = entries
            .iter()
            .map(|e| [fold(&e.code), fold(&e.name), fold(&e.context)])
            .collect();
        let mut queries: Vec<String> = Vec::new();
        let alphabet = "abcdghnosz0129ĳ";
        for a in alphabet.chars() {
            queries.push(a.to_string());
            for b in alphabet.chars() {
                queries.push(format!("{a}{b}"));
                queries.push(format!("{a} {b}"));
            }
        }
        for e in entries.iter().take(60) {
            queries.push(e.name.clone());
            queries.push(e.code.clone());
            queries.push(e.code[..5].to_string());
            queries.push(e.code[2..6].to_string());
            queries.push(format!("{} {}", e.name, e.context));
            let name = fold(&e.name);
            if let Some((first, _)) = name.split_once(' ') {
                queries.push(first.to_string());
                queries.push(name[..name.len() - 1].to_string());
            }
        }
        for q in [
            "centrum almelo",
            "noord zuid",
            "dorp bos",
            "oud oud",
            "'s grav",
            "zeeen 2e",
        ] {
            queries.push(q.to_string());
        }
        let mut nonempty = 0;
        for q in &queries {
            let expected = naive(&entries, &folded, q);
            for limit in [1, 7, 50, 1_000] {
                let got: Vec<(usize, MatchKind)> = index
                    .search(q, limit)
                    .iter()
                    .map(|h| (h.entry, h.kind))
                    .collect();
                let want = &expected[..limit.min(expected.len())];
                assert_eq!(got, want, "query {q:?}, limit {limit}");
                nonempty += usize::from(!got.is_empty());
            }
        }
        // The comparison is not vacuous: most queries find something.
        assert!(
            nonempty * 2 > queries.len() * 4,
            "{nonempty} of {}",
            queries.len() * 4
        );
    }

    /// A serde serializer that only records a unit variant's name, to check the JSON names of
    /// [`MatchKind`] without a JSON crate.
    mod variant_name {
        use serde::ser::{Impossible, Serialize, Serializer};
        use std::fmt;

        #[derive(Debug)]
        pub struct NotAVariant;

        impl fmt::Display for NotAVariant {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("not a unit variant")
            }
        }

        impl std::error::Error for NotAVariant {}

        impl serde::ser::Error for NotAVariant {
            fn custom<T: fmt::Display>(_msg: T) -> Self {
                NotAVariant
            }
        }

        pub struct Names;

        pub fn of<T: Serialize>(value: &T) -> Result<&'static str, NotAVariant> {
            value.serialize(Names)
        }

        macro_rules! reject {
            ($($method:ident($($ty:ty),*)),* $(,)?) => {
                $(fn $method(self, $(_: $ty),*) -> Result<Self::Ok, Self::Error> {
                    Err(NotAVariant)
                })*
            };
        }

        impl Serializer for Names {
            type Ok = &'static str;
            type Error = NotAVariant;
            type SerializeSeq = Impossible<Self::Ok, Self::Error>;
            type SerializeTuple = Impossible<Self::Ok, Self::Error>;
            type SerializeTupleStruct = Impossible<Self::Ok, Self::Error>;
            type SerializeTupleVariant = Impossible<Self::Ok, Self::Error>;
            type SerializeMap = Impossible<Self::Ok, Self::Error>;
            type SerializeStruct = Impossible<Self::Ok, Self::Error>;
            type SerializeStructVariant = Impossible<Self::Ok, Self::Error>;

            fn serialize_unit_variant(
                self,
                _name: &'static str,
                _index: u32,
                variant: &'static str,
            ) -> Result<Self::Ok, Self::Error> {
                Ok(variant)
            }

            reject!(
                serialize_bool(bool),
                serialize_i8(i8),
                serialize_i16(i16),
                serialize_i32(i32),
                serialize_i64(i64),
                serialize_u8(u8),
                serialize_u16(u16),
                serialize_u32(u32),
                serialize_u64(u64),
                serialize_f32(f32),
                serialize_f64(f64),
                serialize_char(char),
                serialize_str(&str),
                serialize_bytes(&[u8]),
                serialize_none(),
                serialize_unit(),
                serialize_unit_struct(&'static str),
            );

            fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result<Self::Ok, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_newtype_struct<T: ?Sized + Serialize>(
                self,
                _: &'static str,
                _: &T,
            ) -> Result<Self::Ok, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_newtype_variant<T: ?Sized + Serialize>(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: &T,
            ) -> Result<Self::Ok, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_tuple_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleStruct, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_tuple_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleVariant, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStruct, Self::Error> {
                Err(NotAVariant)
            }

            fn serialize_struct_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStructVariant, Self::Error> {
                Err(NotAVariant)
            }
        }
    }

    #[test]
    fn match_kind_serializes_lowercase() {
        let names: Vec<&str> = [
            MatchKind::Code,
            MatchKind::CodePrefix,
            MatchKind::Name,
            MatchKind::NamePrefix,
            MatchKind::WordPrefix,
            MatchKind::Context,
        ]
        .iter()
        .map(|k| variant_name::of(k).unwrap())
        .collect();
        assert_eq!(
            names,
            [
                "code",
                "codeprefix",
                "name",
                "nameprefix",
                "wordprefix",
                "context"
            ]
        );
    }
}
