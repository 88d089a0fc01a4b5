//! Analysis of computed indices (METHOD.md §1.8, §5, §6, §7): district measures, change over
//! time, correlation and spatial autocorrelation. Pure maths on `f64`, no I/O, no geometry.

pub mod rng;
pub mod spatial;

pub use spatial::{
    Cluster, DEFAULT_PERMUTATIONS, DEFAULT_SEED, GetisOrd, LocalMoran, MoranGlobal, Quadrant,
    Weights, classify, fdr_threshold, getis_ord_star, local_moran, moran,
};
