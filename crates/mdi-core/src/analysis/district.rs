//! District (gemeente, wijk) summary measures of the areas they contain (METHOD.md §1.8, §5).

use serde::{Deserialize, Serialize};

/// One area of a district: its national rank (1 = most deprived) among n ranked areas, its
/// score and its population.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// National rank, 1 = most deprived.
    pub rank: u32,
    /// The area's score (MDI or domain score; higher = more deprived).
    pub score: f64,
    /// Inhabitants (the weight of every population-weighted measure).
    pub population: f64,
}

/// The district measures of METHOD.md §1.8/§5. Shares are 0–1; for every measure a higher
/// value means more deprived.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DistrictMeasures {
    /// The number of member areas.
    pub areas: usize,
    /// Σ p_i.
    pub population: f64,
    /// Σ p_i S_i / Σ p_i.
    pub average_score: f64,
    /// Σ p_i (N + 1 − r_i) / Σ p_i (higher = more deprived).
    pub average_rank: f64,
    /// Σ p_i e(ceil(100 r_i / N)) / Σ p_i with [`extent_weight`].
    pub extent: f64,
    /// Σ p'_i (N + 1 − r_i) / (0.1 Σ p_i) over the most deprived areas holding exactly 10 % of
    /// the population (the last one partly).
    pub local_concentration: f64,
    /// #{i : r_i ≤ N/10} / #areas (a count of areas, not population).
    pub proportion_worst_decile: f64,
    /// Σ_{r_i ≤ N/10} p_i / Σ p_i.
    pub share_worst_decile: f64,
    /// Population share per national decile ceil(10 r / N) (index 0 = decile 1, most deprived).
    pub decile_shares: [f64; 10],
}

/// The extent weight e(q) of a national percentile q = ceil(100 r / N): 1 for q ≤ 10, falling
/// linearly 0.95 … 0.05 over q = 11 … 30, 0 above 30.
pub fn extent_weight(percentile: u32) -> f64 {
    match percentile {
        0..=10 => 1.0,
        11..=30 => 0.95 - (0.90 / 19.0) * f64::from(percentile - 11),
        _ => 0.0,
    }
}

/// ceil(parts · r / n) in exact integer arithmetic.
fn ceil_share(r: u32, n: u32, parts: u64) -> u64 {
    (parts * u64::from(r)).div_ceil(u64::from(n.max(1)))
}

/// The district measures of `members` among `n` nationally ranked areas. `None` when there are
/// no members, n is 0, or the total population is not positive.
pub fn district_measures(members: &[Member], n: u32) -> Option<DistrictMeasures> {
    let population: f64 = members.iter().map(|m| m.population).sum();
    if members.is_empty() || n == 0 || population.is_nan() || population <= 0.0 {
        return None;
    }
    let nf = f64::from(n);
    let weighted = |f: &dyn Fn(&Member) -> f64| {
        members.iter().map(|m| m.population * f(m)).sum::<f64>() / population
    };
    let inverse_rank = |m: &Member| nf + 1.0 - f64::from(m.rank);
    let worst = |m: &Member| f64::from(m.rank) <= nf / 10.0;
    let mut decile_shares = [0.0; 10];
    for m in members {
        let d = ceil_share(m.rank, n, 10).clamp(1, 10) as usize;
        decile_shares[d - 1] += m.population / population;
    }
    Some(DistrictMeasures {
        areas: members.len(),
        population,
        average_score: weighted(&|m| m.score),
        average_rank: weighted(&inverse_rank),
        extent: weighted(&|m| {
            extent_weight(u32::try_from(ceil_share(m.rank, n, 100)).unwrap_or(u32::MAX))
        }),
        local_concentration: local_concentration(members, n, population),
        proportion_worst_decile: members.iter().filter(|m| worst(m)).count() as f64
            / members.len() as f64,
        share_worst_decile: weighted(&|m| if worst(m) { 1.0 } else { 0.0 }),
        decile_shares,
    })
}

/// METHOD §1.8: sort by rank (most deprived first), take areas until exactly 10 % of the
/// population, the last one partly; the population-weighted mean of N + 1 − r over them.
fn local_concentration(members: &[Member], n: u32, population: f64) -> f64 {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by_key(|m| m.rank);
    let target = 0.1 * population;
    let (mut taken, mut sum) = (0.0, 0.0);
    for m in sorted {
        if taken >= target {
            break;
        }
        let part = m.population.min(target - taken);
        sum += part * (f64::from(n) + 1.0 - f64::from(m.rank));
        taken += part;
    }
    sum / target
}

/// Ranks of values, 1 = highest (= most deprived for every measure of [`DistrictMeasures`]);
/// ties by index (the earlier gets the better rank); `None` and NaN get no rank.
pub fn rank_desc(values: &[Option<f64>]) -> Vec<Option<u32>> {
    let mut order: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.filter(|x| !x.is_nan()).map(|x| (i, x)))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut ranks = vec![None; values.len()];
    for (r, (i, _)) in order.into_iter().enumerate() {
        ranks[i] = u32::try_from(r + 1).ok();
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn extent_weight_vector() {
        assert_eq!(extent_weight(1), 1.0);
        assert_eq!(extent_weight(10), 1.0);
        assert!(close(extent_weight(11), 0.95));
        assert!(close(extent_weight(20), 0.95 - 0.9 * 9.0 / 19.0));
        assert!(close(extent_weight(30), 0.05));
        assert_eq!(extent_weight(31), 0.0);
    }

    /// A hand-computed 5-area district among N = 100 areas.
    /// ranks 5, 12, 40, 8, 95; populations 100, 300, 200, 50, 350 (P = 1000);
    /// scores 50, 30, 10, 40, 1.
    #[test]
    fn five_area_district() {
        let m = |rank, score, population| Member {
            rank,
            score,
            population,
        };
        let members = [
            m(5, 50.0, 100.0),
            m(12, 30.0, 300.0),
            m(40, 10.0, 200.0),
            m(8, 40.0, 50.0),
            m(95, 1.0, 350.0),
        ];
        let d = district_measures(&members, 100).unwrap();
        assert_eq!(d.areas, 5);
        assert!(close(d.population, 1000.0));
        // (5000 + 9000 + 2000 + 2000 + 350) / 1000
        assert!(close(d.average_score, 18.35));
        // N + 1 − r = 96, 89, 61, 93, 6: (9600 + 26700 + 12200 + 4650 + 2100) / 1000
        assert!(close(d.average_rank, 55.25));
        // percentiles 5, 12, 40, 8, 95: e = 1, 0.95 − 0.9/19, 0, 1, 0
        let e12 = 0.95 - 0.9 / 19.0;
        assert!(close(d.extent, (100.0 + 300.0 * e12 + 50.0) / 1000.0));
        // 10 % = 100 people: rank 5 (100 people) gives all of them: LC = 96.
        assert!(close(d.local_concentration, 96.0));
        // r ≤ 10: ranks 5 and 8 → 2 of 5 areas, 150 of 1000 people.
        assert!(close(d.proportion_worst_decile, 0.4));
        assert!(close(d.share_worst_decile, 0.15));
        // deciles: 1 (r 5, 8), 2 (r 12), 4 (r 40), 10 (r 95)
        let want = [0.15, 0.3, 0.0, 0.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.35];
        assert!(
            d.decile_shares.iter().zip(want).all(|(a, b)| close(*a, b)),
            "{:?}",
            d.decile_shares
        );
    }

    #[test]
    fn local_concentration_takes_part_of_the_last_area() {
        // P = 1000, 10 % = 100: rank 3 (60 people) then 40 of rank 7's: (60·8 + 40·4) / 100.
        let m = |rank, population| Member {
            rank,
            score: 0.0,
            population,
        };
        let d = district_measures(&[m(7, 140.0), m(3, 60.0), m(9, 800.0)], 10).unwrap();
        assert!(close(
            d.local_concentration,
            (60.0 * 8.0 + 40.0 * 4.0) / 100.0
        ));
        assert!(district_measures(&[], 10).is_none());
        assert!(district_measures(&[m(1, 0.0)], 10).is_none());
    }

    #[test]
    fn rank_desc_ties_by_index() {
        let r = rank_desc(&[Some(1.0), None, Some(3.0), Some(1.0), Some(f64::NAN)]);
        assert_eq!(r, vec![Some(2), None, Some(1), Some(3), None]);
    }
}
