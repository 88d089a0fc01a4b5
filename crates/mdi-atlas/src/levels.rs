//! The level options of `build` and `tiles`: `--levels` (keep the index unit and a chain of its
//! parents from the profile's hierarchy) and `--level-zooms LEVEL=MIN-MAX` (the zoom band of a
//! level, for the tiler's `TileOptions::level_zooms`).

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use mdi_core::Profile;
use mdi_format::ZoomRange;

/// The highest zoom a band may reach (the tiler's limit).
const MAX_ZOOM: u8 = 18;

/// Keep only the levels `keep` of the profile's hierarchy: they must be its first level (the
/// index unit) and then each next parent, in order (`buurt`, `buurt,wijk`, …). The last kept
/// level becomes the top: its `parent` rule is dropped.
///
/// # Errors
/// When `keep` is empty, names a level the profile lacks, or is not such a chain from the
/// bottom; the message names the profile and its levels.
pub fn keep_levels(profile: &mut Profile, keep: &[String]) -> Result<()> {
    let have: Vec<&str> = profile.levels.iter().map(|l| l.id.as_str()).collect();
    let what = || {
        format!(
            "profile {} ({}) has the levels {}",
            profile.id,
            profile.path.display(),
            if have.is_empty() {
                "(none)".to_string()
            } else {
                have.join(", ")
            }
        )
    };
    if keep.is_empty() {
        bail!("--levels: name at least one level; {}", what());
    }
    if let Some(unknown) = keep.iter().find(|k| !have.contains(&k.as_str())) {
        bail!("--levels: no level `{unknown}`: {}", what());
    }
    let chain = keep.len() <= have.len() && keep.iter().zip(&have).all(|(k, h)| k == h);
    if !chain {
        let examples: Vec<String> = (1..=have.len().min(3))
            .map(|n| have[..n].join(","))
            .collect();
        bail!(
            "--levels {}: the levels kept must be the index unit and then each next parent, in \
             order (e.g. {}); {}",
            keep.join(","),
            examples.join(" or "),
            what()
        );
    }
    profile.levels.truncate(keep.len());
    if let Some(top) = profile.levels.last_mut() {
        top.parent = None;
    }
    Ok(())
}

/// `--level-zooms LEVEL=MIN-MAX` as given on the command line (checked against the levels
/// and the tile zooms by [`level_zooms`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelZoomArg {
    /// The level id (`buurt`).
    pub level: String,
    /// The zooms.
    pub zooms: ZoomRange,
}

impl std::str::FromStr for LevelZoomArg {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<LevelZoomArg, String> {
        let usage = || format!("`{s}`: expected LEVEL=MIN-MAX, e.g. buurt=10-14");
        let (level, range) = s.split_once('=').ok_or_else(usage)?;
        let (min, max) = range.split_once('-').ok_or_else(usage)?;
        let level = level.trim();
        if level.is_empty() {
            return Err(usage());
        }
        let zoom = |v: &str| -> std::result::Result<u8, String> {
            v.trim()
                .parse::<u8>()
                .ok()
                .filter(|z| *z <= MAX_ZOOM)
                .ok_or_else(|| format!("`{s}`: `{v}` is not a zoom from 0 to {MAX_ZOOM}"))
        };
        let (min, max) = (zoom(min)?, zoom(max)?);
        if min > max {
            return Err(format!(
                "`{s}`: the first zoom {min} is above the last {max}"
            ));
        }
        Ok(LevelZoomArg {
            level: level.to_string(),
            zooms: ZoomRange { min, max },
        })
    }
}

/// The zoom bands of `--level-zooms`, by level id, checked: each level is one of `levels`
/// (named once) and its band lies within the tiles' zooms `tiles`.
///
/// # Errors
/// A message naming the argument, and the known levels or the tile zoom range.
pub fn level_zooms(
    args: &[LevelZoomArg],
    levels: &[&str],
    tiles: ZoomRange,
) -> Result<BTreeMap<String, ZoomRange>> {
    let mut out = BTreeMap::new();
    for a in args {
        let given = format!("--level-zooms {}={}-{}", a.level, a.zooms.min, a.zooms.max);
        if !levels.contains(&a.level.as_str()) {
            bail!(
                "{given}: no level `{}`; the levels are {}",
                a.level,
                levels.join(", ")
            );
        }
        if a.zooms.min < tiles.min || a.zooms.max > tiles.max {
            bail!(
                "{given}: outside the tile zooms {}-{} (--min-zoom, --max-zoom)",
                tiles.min,
                tiles.max
            );
        }
        if out.insert(a.level.clone(), a.zooms).is_some() {
            bail!("{given}: the level `{}` is given twice", a.level);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::path::Path;

    use super::*;

    fn nl() -> Profile {
        Profile::from_str_at(crate::NL_PROFILE, Path::new("geodata/profiles/nl-cbs.toml")).unwrap()
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn keeps_a_chain_from_the_bottom() {
        let full = nl();
        assert_eq!(full.levels.len(), 5);
        let mut p = nl();
        keep_levels(&mut p, &strings(&["buurt"])).unwrap();
        assert_eq!(p.levels.len(), 1);
        assert_eq!(p.levels[0].id, "buurt");
        assert_eq!(p.levels[0].parent, None);
        let mut p = nl();
        keep_levels(&mut p, &strings(&["buurt", "wijk"])).unwrap();
        assert_eq!(
            p.levels.iter().map(|l| l.id.as_str()).collect::<Vec<_>>(),
            ["buurt", "wijk"]
        );
        // The lower level keeps its rule; the new top loses its own.
        assert_eq!(p.levels[0].parent, full.levels[0].parent);
        assert!(full.levels[1].parent.is_some());
        assert_eq!(p.levels[1].parent, None);
        // All of them: the same profile.
        let mut p = nl();
        let all = strings(&["buurt", "wijk", "gemeente", "corop", "provincie"]);
        keep_levels(&mut p, &all).unwrap();
        assert_eq!(p, full);
    }

    #[test]
    fn other_level_lists_are_errors_naming_the_profile() {
        for (keep, says) in [
            (vec![], "name at least one level"),
            (vec!["wijk"], "index unit and then each next parent"),
            (
                vec!["buurt", "gemeente"],
                "index unit and then each next parent",
            ),
            (
                vec!["wijk", "buurt"],
                "index unit and then each next parent",
            ),
            (
                vec!["buurt", "buurt"],
                "index unit and then each next parent",
            ),
            (vec!["lsoa"], "no level `lsoa`"),
        ] {
            let mut p = nl();
            let e = keep_levels(&mut p, &strings(&keep))
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{keep:?}: {e}");
            assert!(
                e.contains("profile nl-cbs (geodata/profiles/nl-cbs.toml) has the levels buurt, wijk, gemeente, corop, provincie"),
                "{e}"
            );
            assert_eq!(p, nl(), "{keep:?} changed the profile");
        }
    }

    #[test]
    fn level_zooms_parse_and_check() {
        let a: LevelZoomArg = "buurt=10-14".parse().unwrap();
        assert_eq!(a.level, "buurt");
        assert_eq!(a.zooms, ZoomRange { min: 10, max: 14 });
        let b: LevelZoomArg = "gemeente=5-5".parse().unwrap();
        for bad in [
            "buurt",
            "buurt=10",
            "=5-6",
            "buurt=a-14",
            "buurt=10-19",
            "buurt=12-10",
        ] {
            assert!(bad.parse::<LevelZoomArg>().is_err(), "{bad}");
        }
        let levels = ["buurt", "wijk", "gemeente"];
        let tiles = ZoomRange { min: 5, max: 14 };
        let m = level_zooms(&[a.clone(), b.clone()], &levels, tiles).unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m["buurt"], ZoomRange { min: 10, max: 14 });
        assert_eq!(m["gemeente"], ZoomRange { min: 5, max: 5 });
        assert!(level_zooms(&[], &levels, tiles).unwrap().is_empty());
        let e = level_zooms(&["corop=5-6".parse().unwrap()], &levels, tiles).unwrap_err();
        assert!(
            e.to_string()
                .contains("no level `corop`; the levels are buurt, wijk, gemeente"),
            "{e}"
        );
        let e = level_zooms(&["buurt=10-16".parse().unwrap()], &levels, tiles).unwrap_err();
        assert!(e.to_string().contains("outside the tile zooms 5-14"), "{e}");
        let e = level_zooms(&["wijk=4-8".parse().unwrap()], &levels, tiles).unwrap_err();
        assert!(e.to_string().contains("outside the tile zooms 5-14"), "{e}");
        let e = level_zooms(&[a.clone(), a], &levels, tiles).unwrap_err();
        assert!(e.to_string().contains("given twice"), "{e}");
    }
}
