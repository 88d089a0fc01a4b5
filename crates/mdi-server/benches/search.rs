//! Benchmarks of the area search index (`mdi_server::search`), behind `/api/search`.
//!
//! Entries come from the CSV file named by the environment variable `MDI_SEARCH_NAMES`
//! (header `code,name,level,population,context`; population may be empty), or, when it is
//! unset, from 15,000 generated Dutch-like areas. `bench/search-names.py ATLAS_DIR OUT.csv` writes
//! that file from an atlas. Run with e.g.
//! `MDI_SEARCH_NAMES=/path/to/nl-names.csv cargo bench --bench search`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use mdi_server::search::{Entry, SearchIndex};

/// The queries benched, each under its own id `search/<query>`.
const QUERIES: [&str; 8] = [
    "a",
    "amst",
    "bu0363",
    "0363",
    "centrum",
    "s-hertogenbosch",
    "nieuw west",
    "zzzz",
];

/// Results asked for per query, as the server does at most.
const LIMIT: usize = 50;

/// Reads the entries from the CSV at `path`; panics with a message on a malformed file.
fn load_csv(path: &str) -> Vec<Entry> {
    let mut reader = match csv::Reader::from_path(path) {
        Ok(r) => r,
        Err(e) => panic!("cannot open MDI_SEARCH_NAMES={path}: {e}"),
    };
    let mut entries = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = match record {
            Ok(r) => r,
            Err(e) => panic!("{path}: record {}: {e}", i + 1),
        };
        let field = |n: usize| record.get(n).unwrap_or("").trim();
        let level = match field(2).parse::<usize>() {
            Ok(l) => l,
            Err(e) => panic!("{path}: record {}: level {:?}: {e}", i + 1, field(2)),
        };
        let population = match field(3) {
            "" => None,
            p => match p.parse::<f64>() {
                Ok(v) => Some(v),
                Err(e) => panic!("{path}: record {}: population {p:?}: {e}", i + 1),
            },
        };
        entries.push(Entry {
            code: field(0).to_string(),
            name: field(1).to_string(),
            level,
            population,
            context: field(4).to_string(),
        });
    }
    entries
}

/// A small deterministic pseudo-random generator (64-bit LCG, high bits).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }

    /// A whole number of people in `lo..lo + span`.
    fn people(&mut self, lo: u32, span: u32) -> f64 {
        let n = u32::try_from(self.next(span as usize)).unwrap_or(0);
        f64::from(lo + n)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next(items.len())]
    }
}

/// About 15,000 Dutch-like areas: gemeenten (`GMxxxx`) holding wijken (`WKxxxxyy`) holding
/// buurten (`BUxxxxyyzz`), with contexts like `"Centrum / Almelo"`. Includes Amsterdam
/// (GM0363) with a wijk "Nieuw-West", 's-Hertogenbosch (GM0796), and a "Centrum" wijk in each
/// gemeente.
fn synthetic(target: usize) -> Vec<Entry> {
    const STEMS: [&str; 24] = [
        "Amst", "Rotter", "Hoog", "Zand", "Berg", "Water", "Linde", "Eik", "Wouden", "Zuider",
        "Ooster", "Wester", "Noorder", "Mid", "Beek", "Heer", "Bos", "Veen", "Dal", "Brug", "Holt",
        "Kreek", "Molen", "Vliet",
    ];
    const ENDS: [&str; 14] = [
        "dam", "veen", "hoven", "wijk", "dorp", "kerk", "horst", "broek", "meer", "heem", "zijl",
        "burg", "rode", "lo",
    ];
    const PARTS: [&str; 16] = [
        "Centrum",
        "Noord",
        "Zuid",
        "Oost",
        "West",
        "Nieuw",
        "Oud",
        "Binnenstad",
        "De",
        "Het",
        "Buitengebied",
        "Park",
        "Haven",
        "Sint",
        "Groot",
        "Klein",
    ];
    let mut rng = Lcg(0x5eed_2014);
    let mut entries = Vec::with_capacity(target + 64);
    // Gemeente numbers: Amsterdam and 's-Hertogenbosch first, then 1, 2, 3, … skipping theirs.
    let mut numbers = [363, 796]
        .into_iter()
        .chain((1..).filter(|n| *n != 363 && *n != 796));
    while entries.len() < target {
        let Some(gm) = numbers.next() else { break };
        let gm_code = format!("GM{gm:04}");
        let gm_name = match gm {
            363 => "Amsterdam".to_string(),
            796 => "'s-Hertogenbosch".to_string(),
            _ => format!("{}{}", rng.pick(&STEMS), rng.pick(&ENDS)),
        };
        entries.push(Entry {
            code: gm_code.clone(),
            name: gm_name.clone(),
            level: 2,
            population: Some(rng.people(5_000, 200_000)),
            context: String::new(),
        });
        let wijken = 2 + rng.next(12);
        for wk in 0..wijken {
            let wk_name = if wk == 0 {
                "Centrum".to_string()
            } else if gm == 363 && wk == 1 {
                "Nieuw-West".to_string()
            } else {
                format!("{} {}", rng.pick(&PARTS), rng.pick(&STEMS))
            };
            let wk_context = gm_name.clone();
            entries.push(Entry {
                code: format!("WK{gm:04}{wk:02}"),
                name: wk_name.clone(),
                level: 1,
                population: Some(rng.people(500, 30_000)),
                context: wk_context,
            });
            let buurten = 1 + rng.next(8);
            for bu in 0..buurten {
                let bu_name = match rng.next(4) {
                    0 => format!("{}{}", rng.pick(&STEMS), rng.pick(&ENDS)),
                    1 => format!("{} {}", rng.pick(&PARTS), rng.pick(&PARTS)),
                    2 => format!(
                        "{}-{}{}",
                        rng.pick(&PARTS),
                        rng.pick(&STEMS),
                        rng.pick(&ENDS)
                    ),
                    _ => format!(
                        "{} {}{}",
                        rng.pick(&PARTS),
                        rng.pick(&STEMS),
                        rng.pick(&ENDS)
                    ),
                };
                let population = match rng.next(5) {
                    0 => None,
                    _ => Some(rng.people(10, 8_000)),
                };
                entries.push(Entry {
                    code: format!("BU{gm:04}{wk:02}{bu:02}"),
                    name: bu_name,
                    level: 0,
                    population,
                    context: format!("{wk_name} / {gm_name}"),
                });
            }
        }
    }
    entries.truncate(target);
    entries
}

/// The entries to bench on, and where they came from.
fn entries() -> (Vec<Entry>, String) {
    match std::env::var("MDI_SEARCH_NAMES") {
        Ok(path) if !path.is_empty() => {
            let entries = load_csv(&path);
            (entries, path)
        }
        _ => (synthetic(15_000), "synthetic".to_string()),
    }
}

/// Benches the index build and each query of [`QUERIES`].
fn bench_search(c: &mut Criterion) {
    let (entries, source) = entries();
    let index = SearchIndex::new(&entries);
    eprintln!("search bench: {} entries from {source}", entries.len());
    for q in QUERIES {
        let hits = index.search(q, LIMIT);
        let first = match hits.first() {
            Some(h) => {
                let e = &entries[h.entry];
                format!("{} {:?} ({:?})", e.code, e.name, h.kind)
            }
            None => "-".to_string(),
        };
        eprintln!("  {q:>16}: {:>2} hits, first {first}", hits.len());
    }

    let mut build = c.benchmark_group("build");
    build.sample_size(20);
    build.measurement_time(Duration::from_secs(5));
    build.bench_function("index", |b| {
        b.iter(|| SearchIndex::new(black_box(&entries)));
    });
    build.finish();

    // Every one- and two-character query over a-z0-9, with and without a space between
    // ("a", "ab", "a b"): 2,628 queries per iteration, covering the broadest prefixes.
    let alphabet: Vec<char> = ('a'..='z').chain('0'..='9').collect();
    let mut sweep: Vec<String> = Vec::new();
    for &a in &alphabet {
        sweep.push(a.to_string());
        for &b in &alphabet {
            sweep.push(format!("{a}{b}"));
            sweep.push(format!("{a} {b}"));
        }
    }
    // The slowest of them, each timed as the median of 7 batches of 5 searches (the machine
    // may be shared: a single batch can be stretched by preemption).
    let mut timed: Vec<(Duration, &str)> = sweep
        .iter()
        .map(|q| {
            let mut batches: Vec<Duration> = (0..7)
                .map(|_| {
                    let start = Instant::now();
                    for _ in 0..5 {
                        black_box(index.search(black_box(q), LIMIT));
                    }
                    start.elapsed() / 5
                })
                .collect();
            batches.sort_unstable();
            (batches[3], q.as_str())
        })
        .collect();
    timed.sort_unstable_by(|a, b| b.cmp(a));
    let slowest: Vec<String> = timed
        .iter()
        .take(3)
        .map(|(t, q)| format!("{q:?} {t:?}"))
        .collect();
    eprintln!(
        "  slowest short queries (median of 7 batches): {}",
        slowest.join(", ")
    );
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.bench_function(format!("{} short queries", sweep.len()), |b| {
        b.iter(|| {
            sweep
                .iter()
                .map(|q| index.search(black_box(q), LIMIT).len())
                .sum::<usize>()
        });
    });
    group.finish();

    let mut group = c.benchmark_group("search");
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(3));
    for q in QUERIES {
        group.bench_function(q, |b| {
            b.iter(|| index.search(black_box(q), black_box(LIMIT)));
        });
    }
    group.finish();
}

criterion_group!(benches, bench_search);
criterion_main!(benches);
