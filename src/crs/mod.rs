//! Coordinate reference systems: what a layer's source CRS is, and reprojection into the working
//! CRS, WGS84 lon/lat (what RFC 7946 GeoJSON needs). Everything is reprojected once, at load.
//!
//! PROJ is Debian 12's 9.1.1, linked through `proj` 0.27.2 / `proj-sys` 0.23.1: a newer `proj`
//! compiles PROJ from source (minutes on two cores, and a binary that must carry its own proj.db).

mod proj_ffi;
mod resolve;
pub mod zones;

pub use proj_ffi::{Described, WktFlavour, describe, to_wkt};
pub use resolve::{CrsHint, DecidedBy, Resolved, resolve};
pub use zones::{ZoneSuggestion, plane_rectangular_epsg, suggest_zones};

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use serde::Serialize;

use crate::model::Envelope;

/// EPSG code of the working CRS.
pub const WORKING_EPSG: u32 = 4326;

/// Geographic CRSs whose lon/lat are written as WGS84 without a transformation: JGD2011 and JGD2000
/// differ from WGS84 by less than a metre (../shared/DOMAIN.md), and the WGS84 family itself.
const LON_LAT_AS_WGS84: [u32; 5] = [4326, 6668, 4612, 4019, 4152];

/// What is known about a layer's source CRS.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrsInfo {
    pub epsg: Option<u32>,
    /// PROJ's name for it, or "unknown".
    pub name: String,
    /// What told us.
    pub decided_by: DecidedBy,
    /// Whether the features were reprojected into the working CRS (false: coordinates are raw).
    pub known: bool,
    /// For an unknown projected CRS: the plane-rectangular zones the coordinates would fit.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suggestions: Vec<ZoneSuggestion>,
    /// The definition as found (EPSG code, URN or WKT), for provenance.
    #[serde(skip)]
    pub definition: Option<String>,
}

impl CrsInfo {
    /// WGS84 lon/lat, for layers that are already in the working CRS.
    pub fn wgs84(decided_by: DecidedBy) -> Self {
        CrsInfo {
            epsg: Some(WORKING_EPSG),
            name: "WGS 84".into(),
            decided_by,
            known: true,
            suggestions: Vec::new(),
            definition: None,
        }
    }

    /// An unknown CRS: coordinates kept as they are.
    pub fn unknown(decided_by: DecidedBy, suggestions: Vec<ZoneSuggestion>) -> Self {
        CrsInfo {
            epsg: None,
            name: "unknown".into(),
            decided_by,
            known: false,
            suggestions,
            definition: None,
        }
    }

    /// "EPSG:6677 (JGD2011 / Japan Plane Rectangular CS IX)" or the name alone.
    pub fn label(&self) -> String {
        match self.epsg {
            Some(code) => format!("EPSG:{code} ({})", self.name),
            None => self.name.clone(),
        }
    }
}

/// A CRS definition that PROJ could not use.
#[derive(Debug, thiserror::Error)]
#[error("invalid CRS '{definition}': {reason}")]
pub struct CrsError {
    pub definition: String,
    pub reason: String,
}

/// Turns what a user types ("6677", "epsg:6677", a URN, WKT) into a definition PROJ reads.
pub fn normalize_definition(input: &str) -> String {
    let input = input.trim();
    if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) {
        return format!("EPSG:{input}");
    }
    match input.split_once(':') {
        Some((auth, code)) if auth.eq_ignore_ascii_case("epsg") => format!("EPSG:{}", code.trim()),
        _ => input.to_string(),
    }
}

/// Reprojects source coordinates into the working CRS.
pub enum Reprojector {
    /// Source coordinates are already WGS84-compatible lon/lat.
    Identity,
    Proj(proj::Proj),
}

impl std::fmt::Debug for Reprojector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Reprojector::Identity => "Reprojector::Identity",
            Reprojector::Proj(_) => "Reprojector::Proj",
        })
    }
}

impl Reprojector {
    /// From a definition PROJ understands into WGS84 lon/lat. Input order is always x = easting
    /// (or longitude), y = northing (or latitude), as files store it.
    pub fn to_wgs84(definition: &str) -> Result<(Self, CrsInfo), CrsError> {
        let err = |reason: String| CrsError {
            definition: proj_ffi::abbreviate(definition),
            reason,
        };
        let described = describe(definition).map_err(err)?;
        let identity = described.geographic
            && (described
                .epsg
                .is_some_and(|c| LON_LAT_AS_WGS84.contains(&c))
                || described.name.contains("CRS84"));
        let reprojector = if identity {
            Reprojector::Identity
        } else {
            let target = format!("EPSG:{WORKING_EPSG}");
            let proj = proj::Proj::new_known_crs(definition, &target, None)
                .map_err(|e| err(e.to_string()))?;
            Reprojector::Proj(proj)
        };
        let info = CrsInfo {
            epsg: described.epsg,
            name: described.name,
            // The caller's definition; `resolve` records what decided it.
            decided_by: DecidedBy::User,
            known: true,
            suggestions: Vec::new(),
            definition: Some(definition.to_string()),
        };
        Ok((reprojector, info))
    }

    /// From WGS84 lon/lat into a transverse Mercator centred on (`lon`, `lat`), in metres: the
    /// projection of the plane-rectangular zones, with scale 1 at the centre (scale error below
    /// 0.01 % within 100 km of it). Used to measure distances.
    pub fn local_metric(lon: f64, lat: f64) -> Result<Self, CrsError> {
        let target = format!(
            "+proj=tmerc +lat_0={lat} +lon_0={lon} +k=1 +x_0=0 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs"
        );
        proj::Proj::new_known_crs(&format!("EPSG:{WORKING_EPSG}"), &target, None)
            .map(Reprojector::Proj)
            .map_err(|e| CrsError {
                definition: target,
                reason: e.to_string(),
            })
    }

    /// From WGS84 lon/lat into `definition` (easting/northing or lon/lat order).
    pub fn from_wgs84(definition: &str) -> Result<Self, CrsError> {
        proj::Proj::new_known_crs(&format!("EPSG:{WORKING_EPSG}"), definition, None)
            .map(Reprojector::Proj)
            .map_err(|e| CrsError {
                definition: proj_ffi::abbreviate(definition),
                reason: e.to_string(),
            })
    }

    /// One coordinate; an error when PROJ cannot transform it or the result is not finite.
    pub fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, String> {
        let (x, y) = match self {
            Reprojector::Identity => (c.x, c.y),
            Reprojector::Proj(p) => p.convert((c.x, c.y)).map_err(|e| e.to_string())?,
        };
        if x.is_finite() && y.is_finite() {
            Ok(Coord { x, y })
        } else {
            Err(format!("coordinate ({}, {}) does not transform", c.x, c.y))
        }
    }

    /// A whole geometry.
    pub fn geometry(&self, g: Geometry<f64>) -> Result<Geometry<f64>, String> {
        match self {
            Reprojector::Identity => Ok(g),
            Reprojector::Proj(_) => g.try_map_coords(|c| self.coord(c)),
        }
    }
}

/// Whether an envelope could be lon/lat degrees.
pub fn looks_like_lon_lat(env: Envelope) -> bool {
    env.min_x >= -180.0 && env.max_x <= 180.0 && env.min_y >= -90.0 && env.max_y <= 90.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_definitions_are_normalized() {
        assert_eq!(normalize_definition(" 6677 "), "EPSG:6677");
        assert_eq!(normalize_definition("epsg:2451"), "EPSG:2451");
        assert_eq!(
            normalize_definition("urn:ogc:def:crs:EPSG::6677"),
            "urn:ogc:def:crs:EPSG::6677"
        );
    }

    #[test]
    fn esri_wkt_is_identified_as_zone_ix() {
        let wkt = "PROJCS[\"JGD_2011_Japan_Zone_9\",GEOGCS[\"GCS_JGD_2011\",DATUM[\"D_JGD_2011\",\
            SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],\
            UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],\
            PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],\
            PARAMETER[\"Central_Meridian\",139.833333333333],PARAMETER[\"Scale_Factor\",0.9999],\
            PARAMETER[\"Latitude_Of_Origin\",36.0],UNIT[\"Meter\",1.0]]";
        let described = describe(wkt).unwrap();
        assert_eq!(described.epsg, Some(6677));
        assert!(!described.geographic);
    }

    #[test]
    fn hino_city_hall_from_zone_ix() {
        // ../shared/STACK.md: E −39681.260550, N −36379.062463 ↔ 139.3950°E 35.6713°N.
        let (r, info) = Reprojector::to_wgs84("EPSG:6677").unwrap();
        assert_eq!(info.epsg, Some(6677));
        let c = r
            .coord(Coord {
                x: -39681.260550,
                y: -36379.062463,
            })
            .unwrap();
        assert!(
            (c.x - 139.3950).abs() < 1e-9 && (c.y - 35.6713).abs() < 1e-9,
            "{c:?}"
        );
    }

    #[test]
    fn bad_definition_is_an_error() {
        assert!(Reprojector::to_wgs84("EPSG:999999").is_err());
        assert!(Reprojector::to_wgs84("not a crs").is_err());
    }
}
