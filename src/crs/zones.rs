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

/// Roman numeral of zone `zone` (1–19), as zones are named ("IX").
pub fn roman(zone: u32) -> &'static str {
    ROMAN.get(zone as usize - 1).copied().unwrap_or("?")
}

/// The zone (1–19) of a plane-rectangular EPSG code on any of the three datums.
pub fn zone_of_epsg(epsg: u32) -> Option<u32> {
    [Datum::Jgd2011, Datum::Jgd2000, Datum::Tokyo]
        .into_iter()
        .find_map(|d| {
            let first = plane_rectangular_epsg(d, 1)?;
            (first..first + 19)
                .contains(&epsg)
                .then(|| epsg - first + 1)
        })
}

/// Origins of zones I–XIX in degrees (lon, lat): the projections' natural origins, from the
/// EPSG registry (国土交通省告示第九号, 平成十四年).
const ORIGINS: [(f64, f64); 19] = [
    (129.5, 33.0),
    (131.0, 33.0),
    (132.0 + 10.0 / 60.0, 36.0),
    (133.5, 33.0),
    (134.0 + 20.0 / 60.0, 36.0),
    (136.0, 36.0),
    (137.0 + 10.0 / 60.0, 36.0),
    (138.5, 36.0),
    (139.0 + 50.0 / 60.0, 36.0),
    (140.0 + 50.0 / 60.0, 40.0),
    (140.25, 44.0),
    (142.25, 44.0),
    (144.25, 44.0),
    (142.0, 26.0),
    (127.5, 26.0),
    (124.0, 26.0),
    (131.0, 26.0),
    (136.0, 20.0),
    (154.0, 26.0),
];

/// The plane-rectangular zone a lon/lat point lies in, for showing coordinates: the zone whose
/// origin is nearest (ground distance), within Japan's extent. Zones are assigned by
/// prefecture, so this is the zone of most of each prefecture but can name the neighbouring
/// zone within some tens of km of a prefectural border (Kobe reads VI, officially V); a layer's
/// own zone should be preferred where there is one.
pub fn zone_at(lon: f64, lat: f64) -> Option<u32> {
    if !(122.0..=154.5).contains(&lon) || !(20.0..=46.0).contains(&lat) {
        return None;
    }
    let k = lat.to_radians().cos();
    let distance = |(x, y): (f64, f64)| ((lon - x) * k).hypot(lat - y);
    (1..=19u32).min_by(|&a, &b| {
        distance(ORIGINS[a as usize - 1]).total_cmp(&distance(ORIGINS[b as usize - 1]))
    })
}

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

    #[test]
    fn zone_at_names_the_zone_of_prefectural_capitals() {
        // (lon, lat, zone): the zone each prefecture is assigned (国土交通省告示第九号).
        let capitals = [
            (139.69, 35.69, 9),  // Tokyo
            (139.39, 35.67, 9),  // Hino
            (134.24, 35.50, 5),  // Tottori
            (141.35, 43.06, 12), // Sapporo
            (127.68, 26.21, 15), // Naha
            (135.50, 34.69, 6),  // Osaka
            (136.91, 35.18, 7),  // Nagoya
            (130.40, 33.59, 2),  // Fukuoka
            (129.87, 32.74, 1),  // Nagasaki
            (139.02, 37.92, 8),  // Niigata
            (140.87, 38.27, 10), // Sendai
            (132.46, 34.40, 3),  // Hiroshima
            (134.04, 34.34, 4),  // Takamatsu
        ];
        for (lon, lat, zone) in capitals {
            assert_eq!(zone_at(lon, lat), Some(zone), "{lon} {lat}");
        }
        assert_eq!(zone_at(2.35, 48.85), None);
        assert_eq!(zone_of_epsg(6677), Some(9));
        assert_eq!(zone_of_epsg(2447), Some(5));
        assert_eq!(zone_of_epsg(30179), Some(19));
        assert_eq!(zone_of_epsg(4326), None);
        assert_eq!(roman(5), "V");
    }
}
