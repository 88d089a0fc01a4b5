//! Analysis of computed indices (METHOD.md §1.8, §5, §6, §7): district measures, change over
//! time, correlation and spatial autocorrelation. Pure maths on `f64`, no I/O, no geometry.

pub mod change;
pub mod correlation;
pub mod district;
pub mod rng;
pub mod spatial;

pub use change::{
    Persistence, Regression, Transitions, ols, percentile_change, persistence, transitions,
    weighted_mean,
};
pub use correlation::{
    Correlation, Method, average_ranks, correlate, fisher_interval, pearson, spearman,
    weighted_pearson,
};
pub use district::{DistrictMeasures, Member, district_measures, extent_weight, rank_desc};
pub use spatial::{
    Cluster, DEFAULT_PERMUTATIONS, DEFAULT_SEED, GetisOrd, LocalMoran, MoranGlobal, Quadrant,
    Weights, classify, fdr_threshold, getis_ord_star, local_moran, moran,
};
