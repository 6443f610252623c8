//! Japan Plane Rectangular CS (平面直角座標系), zones I–XIX, and the zone hint for projected
//! coordinates that come without a CRS.
//!
//! Codes from the EPSG registry (../shared/DOMAIN.md): JGD2011 zones I–XIX = EPSG:6669–6687,
//! JGD2000 = 2443–2461, Tokyo datum = 30161–30179.

use serde::Serialize;

use super::{Reprojector, describe};
use crate::model::Envelope;

/// Datum of a plane-rectangular zone code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Jgd2011,
    Jgd2000,
    Tokyo,
}

/// The EPSG code of plane-rectangular zone `zone` (1–19) on `datum`.
pub fn plane_rectangular_epsg(datum: Datum, zone: u32) -> Option<u32> {
    if !(1..=19).contains(&zone) {
        return None;
    }
    let first = match datum {
        Datum::Jgd2011 => 6669,
        Datum::Jgd2000 => 2443,
        Datum::Tokyo => 30161,
    };
    Some(first + zone - 1)
}

const ROMAN: [&str; 19] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV",
    "XVI", "XVII", "XVIII", "XIX",
];

/// A plane-rectangular zone the coordinates of a CRS-less layer would fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneSuggestion {
    /// JGD2011 code of the zone (the same numbers on JGD2000 and the Tokyo datum lie within
    /// ~0.5 km: see `also`).
    pub epsg: u32,
    pub zone: String,
    /// PROJ's name of the zone's CRS.
    pub name: String,
    /// "x=easting" (shapefile order) or "x=northing" (Japanese survey order, X座標 = northing).
    pub axis_order: String,
    /// Where the layer's centre would lie, [lon, lat].
    pub centre_lon_lat: [f64; 2],
    /// The JGD2000 and Tokyo-datum codes of the same zone.
    pub also: [u32; 2],
}

/// Zones whose area of use would hold a layer with envelope `env` (source coordinates, metres),
/// read in either axis order. A hint to offer, never applied silently.
pub fn suggest_zones(env: Envelope) -> Vec<ZoneSuggestion> {
    let centre = ((env.min_x + env.max_x) / 2.0, (env.min_y + env.max_y) / 2.0);
    // Plane-rectangular coordinates stay within a few hundred km of the zone origin.
    const REACH_M: f64 = 600_000.0;
    if [env.min_x, env.min_y, env.max_x, env.max_y]
        .iter()
        .any(|v| v.abs() > REACH_M)
    {
        return Vec::new();
    }
    let mut out = Vec::new();
    for zone in 1..=19u32 {
        let Some(code) = plane_rectangular_epsg(Datum::Jgd2011, zone) else {
            continue;
        };
        let definition = format!("EPSG:{code}");
        let (Ok(described), Ok((reprojector, _))) =
            (describe(&definition), Reprojector::to_wgs84(&definition))
        else {
            continue;
        };
        let Some([w, s, e, n]) = described.area else {
            continue;
        };
        for (axis_order, x, y) in [
            ("x=easting", centre.0, centre.1),
            ("x=northing", centre.1, centre.0),
        ] {
            let Ok(c) = reprojector.coord(geo_types::Coord { x, y }) else {
                continue;
            };
            if (w..=e).contains(&c.x) && (s..=n).contains(&c.y) {
                out.push(ZoneSuggestion {
                    epsg: code,
                    zone: ROMAN[zone as usize - 1].to_string(),
                    name: described.name.clone(),
                    axis_order: axis_order.into(),
                    centre_lon_lat: [round6(c.x), round6(c.y)],
                    also: [
                        plane_rectangular_epsg(Datum::Jgd2000, zone).unwrap_or_default(),
                        plane_rectangular_epsg(Datum::Tokyo, zone).unwrap_or_default(),
                    ],
                });
            }
        }
    }
    out
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_codes_follow_the_registry() {
        assert_eq!(plane_rectangular_epsg(Datum::Jgd2011, 9), Some(6677));
        assert_eq!(plane_rectangular_epsg(Datum::Jgd2000, 9), Some(2451));
        assert_eq!(plane_rectangular_epsg(Datum::Tokyo, 9), Some(30169));
        assert_eq!(plane_rectangular_epsg(Datum::Jgd2011, 19), Some(6687));
        assert_eq!(plane_rectangular_epsg(Datum::Jgd2011, 20), None);
    }

    #[test]
    fn hino_coordinates_suggest_zone_ix_among_the_candidates() {
        // Hino in zone IX: easting −35 000…−44 000 m, northing −33 000…−40 000 m.
        let env = Envelope::new(-44_000.0, -40_000.0, -35_000.0, -33_000.0);
        let suggestions = suggest_zones(env);
        let ix = suggestions
            .iter()
            .find(|s| s.epsg == 6677 && s.axis_order == "x=easting")
            .expect("zone IX suggested");
        assert!((ix.centre_lon_lat[0] - 139.39).abs() < 0.05, "{ix:?}");
        assert_eq!(ix.also, [2451, 30169]);
        // Far-away coordinates fit no zone.
        assert!(suggest_zones(Envelope::new(3e6, 3e6, 3.1e6, 3.1e6)).is_empty());
    }
}
