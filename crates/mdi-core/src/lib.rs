//! # mdi-core
//!
//! The index maths of mdi-atlas, with no geometry: a [`Profile`] (domains, sub-domains,
//! indicators, weights, eligibility) read from TOML, indicator [`Table`]s read with the CBS
//! conventions and joined into a [`Panel`], and [`compute`], which turns them into domain
//! scores, ranks and deciles and the Multiple Deprivation Index exactly as
//! `METHOD.md` (§1.5–§1.7, §4, §6) gives it.
//!
//! ```no_run
//! use std::path::Path;
//! use mdi_core::{compute, Options, Panel, Profile, Table};
//!
//! let profile = Profile::from_path(Path::new("geodata/profiles/nl-cbs.toml"))?;
//! let table = Table::read(Path::new("geodata/examples/voorbeeld-buurten.csv"))?;
//! let panel = Panel::build(&profile, &[table], None)?;
//! let scores = compute(&profile, &panel, &Options::default())?;
//! print!("{}", scores.summary());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod aggregate;
pub mod analysis;
pub mod cbs;
pub mod cbs_xlsx;
pub mod compute;
pub mod error;
pub mod output;
pub mod profile;
pub mod stats;
pub mod table;

pub use aggregate::{Aggregate, aggregate};
pub use compute::{
    AreaResult, DomainResult, DomainSet, Exclusion, GroupInfo, Options, PartWeights, Scores,
    WeightMethod, compute,
};
pub use error::{CoreError, Location, Result};
pub use profile::Profile;
pub use table::{Panel, RegionRow, Table};
