//! Coordinate reference systems and reprojection with proj4rs.
//!
//! Supported: WGS84 longitude/latitude (EPSG:4326, CRS84), RD New (EPSG:28992) and Web Mercator
//! (EPSG:3857). RD New goes to WGS84 through the 7-parameter Helmert shift of the EPSG
//! definition (good to about a metre); Web Mercator is reached from WGS84 with `+nadgrids=@null`,
//! so no datum shift is applied twice or silently skipped (TILES.md, the `+nadgrids=@null` trap).

use proj4rs::Proj;

/// A coordinate reference system that mdi-atlas reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// WGS84 longitude and latitude in degrees (EPSG:4326, axis order lon, lat as in GeoJSON).
    Wgs84,
    /// Amersfoort / RD New (EPSG:28992), metres.
    RdNew,
    /// WGS84 / Pseudo-Mercator (EPSG:3857), metres.
    WebMercator,
}

/// RD New with the EPSG:28992 Helmert parameters (towgs84).
const RD_NEW: &str = "+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel +towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725 +units=m +no_defs";
/// Geographic WGS84.
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";
/// Web Mercator on a sphere, with no datum shift.
const WEB_MERCATOR: &str = "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs";

impl Crs {
    /// The EPSG code.
    pub fn epsg(self) -> u32 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::RdNew => 28992,
            Crs::WebMercator => 3857,
        }
    }

    /// The CRS of an EPSG code, if supported.
    pub fn from_epsg(code: u32) -> Option<Crs> {
        match code {
            4326 | 4258 => Some(Crs::Wgs84),
            28992 => Some(Crs::RdNew),
            3857 | 900_913 => Some(Crs::WebMercator),
            _ => None,
        }
    }

    /// Recognise a CRS from how files name it: `EPSG:28992`, `urn:ogc:def:crs:EPSG::28992`,
    /// `http://www.opengis.net/def/crs/EPSG/0/28992`, `urn:ogc:def:crs:OGC:1.3:CRS84`, or WKT
    /// that names Amersfoort / RD New, WGS 84 or Pseudo-Mercator.
    pub fn parse(text: &str) -> Option<Crs> {
        let t = text.trim();
        let lower = t.to_ascii_lowercase();
        if lower.ends_with("crs84") || lower.ends_with("crs:84") {
            return Some(Crs::Wgs84);
        }
        // A trailing EPSG number in any of the URN/URL/short forms.
        if lower.contains("epsg") {
            let digits: String = lower
                .chars()
                .rev()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(char::is_ascii_digit)
                .collect();
            let code: String = digits.chars().rev().collect();
            let wkt =
                t.starts_with("PROJCS") || t.starts_with("GEOGCS") || t.starts_with("PROJCRS");
            if let (false, Some(crs)) = (wkt, code.parse::<u32>().ok().and_then(Crs::from_epsg)) {
                return Some(crs);
            }
        }
        // WKT: look at the name of the outermost CRS.
        let name = t.split('"').nth(1).unwrap_or("").to_ascii_lowercase();
        if name.contains("rd new") || name.contains("amersfoort / rd") {
            Some(Crs::RdNew)
        } else if name.contains("pseudo-mercator") || name.contains("pseudo mercator") {
            Some(Crs::WebMercator)
        } else if name == "wgs 84"
            || name == "wgs84"
            || name.contains("etrs89") && !t.starts_with("PROJ")
        {
            Some(Crs::Wgs84)
        } else {
            None
        }
    }

    fn proj_string(self) -> &'static str {
        match self {
            Crs::Wgs84 => WGS84,
            Crs::RdNew => RD_NEW,
            Crs::WebMercator => WEB_MERCATOR,
        }
    }
}

/// Transforms coordinates from one CRS to another. Geographic coordinates are in degrees
/// (lon, lat); projected ones in metres (x, y).
pub struct Reprojector {
    from: Proj,
    to: Proj,
    from_geographic: bool,
    to_geographic: bool,
}

impl std::fmt::Debug for Reprojector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reprojector").finish_non_exhaustive()
    }
}

impl Reprojector {
    /// A transformation from `from` to `to`.
    ///
    /// # Errors
    /// A message if proj4rs rejects a definition (it does not for the supported CRSs).
    pub fn new(from: Crs, to: Crs) -> Result<Reprojector, String> {
        let p = |c: Crs| Proj::from_proj_string(c.proj_string()).map_err(|e| format!("{c:?}: {e}"));
        Ok(Reprojector {
            from: p(from)?,
            to: p(to)?,
            from_geographic: from == Crs::Wgs84,
            to_geographic: to == Crs::Wgs84,
        })
    }

    /// Transform one coordinate pair (degrees for WGS84, metres otherwise).
    ///
    /// # Errors
    /// A message when the point cannot be transformed (e.g. outside the projection's domain).
    pub fn transform(&self, x: f64, y: f64) -> Result<(f64, f64), String> {
        let mut p = if self.from_geographic {
            (x.to_radians(), y.to_radians(), 0.0)
        } else {
            (x, y, 0.0)
        };
        proj4rs::transform::transform(&self.from, &self.to, &mut p)
            .map_err(|e| format!("({x}, {y}): {e}"))?;
        if self.to_geographic {
            Ok((p.0.to_degrees(), p.1.to_degrees()))
        } else {
            Ok((p.0, p.1))
        }
    }
}

/// WGS84 lon/lat (degrees) to Web Mercator (metres), by the spherical formula.
pub fn lonlat_to_mercator(lon: f64, lat: f64) -> (f64, f64) {
    const R: f64 = 6_378_137.0;
    let x = R * lon.to_radians();
    let y = R
        * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln();
    (x, y)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amersfoort_rd_to_wgs84_and_web_mercator() {
        // TILES.md: RD (155000, 463000) → 52.1551723 N, 5.3872035 E; EPSG:3857 x 599700.75,
        // y 6828231.37.
        let r = Reprojector::new(Crs::RdNew, Crs::Wgs84).unwrap();
        let (lon, lat) = r.transform(155_000.0, 463_000.0).unwrap();
        assert!((lat - 52.155_172_3).abs() < 1e-6, "lat {lat}");
        assert!((lon - 5.387_203_5).abs() < 1e-6, "lon {lon}");
        let (x, y) = lonlat_to_mercator(lon, lat);
        assert!((x - 599_700.75).abs() < 0.1, "x {x}");
        assert!((y - 6_828_231.37).abs() < 0.1, "y {y}");
        // The same through proj4rs straight to EPSG:3857 (with +nadgrids=@null).
        let m = Reprojector::new(Crs::RdNew, Crs::WebMercator).unwrap();
        let (mx, my) = m.transform(155_000.0, 463_000.0).unwrap();
        assert!(
            (mx - 599_700.75).abs() < 0.1 && (my - 6_828_231.37).abs() < 0.1,
            "{mx} {my}"
        );
        // And back: WGS84 → RD within a millimetre.
        let back = Reprojector::new(Crs::Wgs84, Crs::RdNew).unwrap();
        let (bx, by) = back.transform(lon, lat).unwrap();
        assert!(
            (bx - 155_000.0).abs() < 1e-3 && (by - 463_000.0).abs() < 1e-3,
            "{bx} {by}"
        );
    }

    #[test]
    fn crs_names_are_recognised() {
        assert_eq!(Crs::parse("EPSG:28992"), Some(Crs::RdNew));
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::28992"), Some(Crs::RdNew));
        assert_eq!(
            Crs::parse("http://www.opengis.net/def/crs/EPSG/0/3857"),
            Some(Crs::WebMercator)
        );
        assert_eq!(
            Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Wgs84)
        );
        assert_eq!(
            Crs::parse("PROJCS[\"Amersfoort / RD New\",GEOGCS[\"Amersfoort\"]]"),
            Some(Crs::RdNew)
        );
        assert_eq!(Crs::parse("EPSG:2154"), None);
        assert_eq!(Crs::parse("PROJCS[\"RGF93 / Lambert-93\"]"), None);
    }
}
