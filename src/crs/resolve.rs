//! CRS resolution: from what the user and the file say, and where the coordinates lie, to the
//! layer's source CRS and the reprojection into the working CRS.

use serde::{Serialize, Serializer};

use super::{CrsError, CrsInfo, Reprojector, looks_like_lon_lat, normalize_definition};
use crate::model::{Envelope, Warning};

/// What decided a layer's source CRS. Display is the text `info` prints and `--json` writes
/// as `decided_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecidedBy {
    /// Given by the user (or by whoever built the layer in code).
    User,
    /// The Shapefile's .prj.
    Prj,
    /// The GeoPackage's spatial reference table, for the layer's `srs_id`.
    GeoPackageSrs,
    /// The FlatGeobuf header's CRS.
    FlatGeobufHeader,
    /// The SRID of a PostGIS geometry column (`geometry_columns`, `spatial_ref_sys`).
    PostGisSrid,
    /// The 2008 GeoJSON `crs` member.
    GeoJsonCrsMember,
    /// CSV lat/lon columns: WGS84 by convention.
    LatLonColumns,
    /// RFC 7946 GeoJSON without a `crs` member: WGS84 lon/lat by definition.
    Rfc7946Default,
    /// A format whose coordinates are WGS84 lon/lat by definition (KML).
    Format,
    /// Nothing stated, and the coordinates fit lon/lat.
    AssumedLonLat,
    /// No geometry to place.
    NoGeometry,
    /// Nothing stated, and the coordinates are not lon/lat: unknown.
    Nothing,
}

impl DecidedBy {
    pub fn as_str(self) -> &'static str {
        match self {
            DecidedBy::User => "user",
            DecidedBy::Prj => "prj",
            DecidedBy::GeoPackageSrs => "gpkg_spatial_ref_sys",
            DecidedBy::FlatGeobufHeader => "flatgeobuf header",
            DecidedBy::PostGisSrid => "PostGIS srid",
            DecidedBy::GeoJsonCrsMember => "geojson crs member",
            DecidedBy::LatLonColumns => "lat/lon columns",
            DecidedBy::Rfc7946Default => "RFC 7946 default",
            DecidedBy::Format => "the format",
            DecidedBy::AssumedLonLat => "assumed (coordinates are lon/lat)",
            DecidedBy::NoGeometry => "no geometry",
            DecidedBy::Nothing => "none",
        }
    }
}

impl std::fmt::Display for DecidedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for DecidedBy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// What a file says about its CRS.
#[derive(Debug, Clone)]
pub enum CrsHint {
    /// A definition PROJ reads (WKT, EPSG code, URN) and where it came from.
    Stated {
        definition: String,
        decided_by: DecidedBy,
    },
    /// RFC 7946 GeoJSON without a `crs` member: WGS84 lon/lat by definition.
    Rfc7946,
    /// Nothing.
    Unstated,
}

/// A layer's source CRS and how to bring its coordinates into the working CRS
/// ([`Reprojector::Identity`] as well when the CRS is unknown: the coordinates stay as they are).
#[derive(Debug)]
pub struct Resolved {
    pub reprojector: Reprojector,
    pub info: CrsInfo,
}

/// Decides a layer's CRS: the user's definition wins, then the file's; RFC 7946's default only
/// when the coordinates can be degrees; with nothing stated, lon/lat when the coordinates fit,
/// else unknown with the plane-rectangular zones they would fit. `bbox` is the envelope of the
/// source coordinates (`None`: no geometry). What the user should know goes to `warnings`.
///
/// An error only for a user definition PROJ cannot use; a bad definition in the file is a warning
/// and the CRS is treated as unknown.
pub fn resolve(
    user: Option<&str>,
    hint: CrsHint,
    bbox: Option<Envelope>,
    warnings: &mut Vec<Warning>,
) -> Result<Resolved, CrsError> {
    let stated = match (user, hint) {
        (Some(user), _) => Some((normalize_definition(user), DecidedBy::User)),
        (
            None,
            CrsHint::Stated {
                definition,
                decided_by,
            },
        ) => Some((definition, decided_by)),
        (None, CrsHint::Rfc7946) => Some(("EPSG:4326".to_string(), DecidedBy::Rfc7946Default)),
        (None, CrsHint::Unstated) => None,
    };
    let fits_lon_lat = bbox.is_some_and(looks_like_lon_lat);
    if let Some((definition, decided_by)) = stated {
        match Reprojector::to_wgs84(&definition) {
            // RFC 7946 with coordinates that cannot be degrees: a projected file without CRS
            // information (QGIS writes such GeoJSON). Say so below; do not guess silently.
            Ok(_) if decided_by == DecidedBy::Rfc7946Default && bbox.is_some() && !fits_lon_lat => {
            }
            Ok((reprojector, mut info)) => {
                info.decided_by = decided_by;
                return Ok(Resolved { reprojector, info });
            }
            // A bad override is the user's error: stop. A bad .prj is the file's: warn, go on.
            Err(e) if decided_by == DecidedBy::User => return Err(e),
            Err(e) => warnings.push(Warning::file(format!("{e}; CRS treated as unknown"))),
        }
    }
    let info = match bbox {
        // An attribute table (or a layer of null geometries): nothing to place.
        None => CrsInfo::unknown(DecidedBy::NoGeometry, Vec::new()),
        Some(_) if fits_lon_lat => {
            warnings.push(Warning::file(
                "no CRS information: coordinates are read as WGS84 lon/lat (they fit)",
            ));
            CrsInfo::wgs84(DecidedBy::AssumedLonLat)
        }
        Some(b) => {
            let suggestions = super::suggest_zones(b);
            let hint = match suggestions.first() {
                Some(_) => {
                    let zones: Vec<String> = suggestions
                        .iter()
                        .map(|s| format!("EPSG:{} zone {} ({})", s.epsg, s.zone, s.axis_order))
                        .collect();
                    format!(
                        "; coordinates would fit {}: give the layer the right one",
                        zones.join(", ")
                    )
                }
                None => String::new(),
            };
            warnings.push(Warning::file(format!(
                "CRS unknown: coordinates are projected and the file does not say in which CRS; \
                 they are kept as they are{hint}"
            )));
            CrsInfo::unknown(DecidedBy::Nothing, suggestions)
        }
    };
    Ok(Resolved {
        reprojector: Reprojector::Identity,
        info,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bbox(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Option<Envelope> {
        Some(Envelope::new(min_x, min_y, max_x, max_y))
    }

    #[test]
    fn rfc7946_default_only_when_coordinates_are_degrees() {
        let mut w = Vec::new();
        let r = resolve(
            None,
            CrsHint::Rfc7946,
            bbox(139.3, 35.6, 139.5, 35.7),
            &mut w,
        )
        .unwrap();
        assert_eq!(r.info.decided_by, DecidedBy::Rfc7946Default);
        assert!(w.is_empty());
        let r = resolve(
            None,
            CrsHint::Rfc7946,
            bbox(-40_000.0, -37_000.0, -39_000.0, -36_000.0),
            &mut w,
        )
        .unwrap();
        assert_eq!(r.info.decided_by, DecidedBy::Nothing);
        assert!(!r.info.known);
        assert!(w[0].to_string().contains("CRS unknown"), "{}", w[0]);
    }

    #[test]
    fn the_user_wins_and_a_bad_user_crs_is_an_error() {
        let mut w = Vec::new();
        let hint = || CrsHint::Stated {
            definition: "EPSG:4326".into(),
            decided_by: DecidedBy::Prj,
        };
        let r = resolve(Some("6677"), hint(), bbox(0.0, 0.0, 1.0, 1.0), &mut w).unwrap();
        assert_eq!(
            (r.info.epsg, r.info.decided_by),
            (Some(6677), DecidedBy::User)
        );
        assert!(resolve(Some("not a crs"), hint(), None, &mut w).is_err());
    }

    #[test]
    fn a_bad_file_crs_is_a_warning() {
        let mut w = Vec::new();
        let hint = CrsHint::Stated {
            definition: "not a crs".into(),
            decided_by: DecidedBy::Prj,
        };
        let r = resolve(None, hint, bbox(139.3, 35.6, 139.5, 35.7), &mut w).unwrap();
        assert_eq!(r.info.decided_by, DecidedBy::AssumedLonLat);
        assert!(
            w[0].to_string().contains("CRS treated as unknown"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn decided_by_prints_and_serialises_as_before() {
        assert_eq!(
            DecidedBy::GeoJsonCrsMember.to_string(),
            "geojson crs member"
        );
        assert_eq!(
            serde_json::to_string(&DecidedBy::AssumedLonLat).unwrap(),
            "\"assumed (coordinates are lon/lat)\""
        );
    }
}
