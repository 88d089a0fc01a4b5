//! Property tests of reprojection: RD New (EPSG:28992) to WGS84 and back, and WGS84 to RD New
//! and back, return to the start within 1 mm anywhere over the extent of the Netherlands.

#![allow(clippy::unwrap_used)] // test code: a panic is the failure report

use mdi_geo::crs::{Crs, Reprojector};
use proptest::prelude::*;

/// Metres per degree of latitude, and of longitude at 50.7° N (the southern edge: the most
/// metres per degree of longitude over the Netherlands).
const M_PER_DEG_LAT: f64 = 111_000.0;
const M_PER_DEG_LON: f64 = 71_000.0;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// RD → WGS84 → RD over the RD extent of the Netherlands (and its waters).
    #[test]
    fn rd_to_wgs84_and_back_is_within_a_millimetre(x in 0.0f64..300_000.0, y in 290_000.0f64..630_000.0) {
        let to = Reprojector::new(Crs::RdNew, Crs::Wgs84).unwrap();
        let back = Reprojector::new(Crs::Wgs84, Crs::RdNew).unwrap();
        let (lon, lat) = to.transform(x, y).unwrap();
        // A sanity bound, so that a transform that does nothing cannot pass: it is lon/lat.
        prop_assert!((2.5..8.0).contains(&lon) && (50.5..54.0).contains(&lat), "({x}, {y}) -> ({lon}, {lat})");
        let (x2, y2) = back.transform(lon, lat).unwrap();
        let err = (x2 - x).hypot(y2 - y);
        prop_assert!(err <= 0.001, "({x}, {y}) -> ({lon}, {lat}) -> ({x2}, {y2}): {err} m");
    }

    /// WGS84 → RD → WGS84 over the Netherlands, the difference measured in metres.
    #[test]
    fn wgs84_to_rd_and_back_is_within_a_millimetre(lon in 3.2f64..7.3, lat in 50.7f64..53.6) {
        let to = Reprojector::new(Crs::Wgs84, Crs::RdNew).unwrap();
        let back = Reprojector::new(Crs::RdNew, Crs::Wgs84).unwrap();
        let (x, y) = to.transform(lon, lat).unwrap();
        prop_assert!((-50_000.0..350_000.0).contains(&x) && (250_000.0..700_000.0).contains(&y));
        let (lon2, lat2) = back.transform(x, y).unwrap();
        let err = ((lon2 - lon) * M_PER_DEG_LON).hypot((lat2 - lat) * M_PER_DEG_LAT);
        prop_assert!(err <= 0.001, "({lon}, {lat}) -> ({x}, {y}) -> ({lon2}, {lat2}): {err} m");
    }
}

/// The round trips above cannot see a shift that is the same both ways; the origin of RD (the
/// Onze Lieve Vrouwetoren in Amersfoort, x 155000, y 463000) lies at 5.38721° E, 52.15517° N
/// in WGS84 (the published RD/ETRS89 reference value, to about a metre).
#[test]
fn the_rd_origin_lands_on_amersfoort() {
    let (lon, lat) = Reprojector::new(Crs::RdNew, Crs::Wgs84)
        .unwrap()
        .transform(155_000.0, 463_000.0)
        .unwrap();
    let err = ((lon - 5.387_21) * M_PER_DEG_LON).hypot((lat - 52.155_17) * M_PER_DEG_LAT);
    assert!(err < 5.0, "({lon}, {lat}) is {err} m from Amersfoort");
}
