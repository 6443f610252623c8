//! Small helpers on lon/lat geometries that several rooms need: the polygons of a geometry, and
//! metres per degree for scales and search windows (never for measurement: measures are geodesic,
//! in `analysis::measure`; filter distances in a local transverse Mercator).

use std::borrow::Cow;

use geo_types::{Geometry, Polygon};

use super::Envelope;

/// Metres in one degree of latitude on a sphere (WGS84's equatorial degree, a·π/180 ≈
/// 111,319.5 m, rounded); one degree of longitude is this times cos(latitude). The spherical
/// approximation picking, scale bars and screen scales use: within 0.5 % of the WGS84 ellipsoid's
/// degrees anywhere in Japan.
pub const M_PER_DEG: f64 = 111_320.0;

/// The shortest degree on the WGS84 ellipsoid, in metres: a degree of latitude at the equator
/// (a degree of longitude at latitude φ is at least 111,319 m × cos φ). Search windows divide by
/// it so that they hold every point within their distance.
const MIN_M_PER_DEG: f64 = 110_574.0;

/// Metres per degree of longitude and of latitude at `lat_deg` (degrees), on the sphere of
/// [`M_PER_DEG`]: `[m_per_deg_lon, m_per_deg_lat]`.
///
/// ```
/// let [x, y] = sitelens::model::metres_per_degree(60.0);
/// assert!((x - 55_660.0).abs() < 0.01 && y == 111_320.0);
/// ```
pub fn metres_per_degree(lat_deg: f64) -> [f64; 2] {
    [M_PER_DEG * lat_deg.to_radians().cos(), M_PER_DEG]
}

/// Half-widths in degrees, `[lon, lat]`, of a window that holds every point within `distance_m`
/// metres of anything inside `env` (lon/lat): an R-tree query window, to be followed by an exact
/// distance test. Errs on the large side (the shortest degree of the ellipsoid; longitude at the
/// window's highest latitude, capped at 89°).
///
/// ```
/// use sitelens::model::{Envelope, degrees_covering};
/// let [dx, dy] = degrees_covering(1_000.0, Envelope::new(139.3, 35.6, 139.4, 35.7));
/// assert!(dy > 1_000.0 / 111_000.0 && dx > dy);
/// ```
pub fn degrees_covering(distance_m: f64, env: Envelope) -> [f64; 2] {
    let dy = distance_m / MIN_M_PER_DEG;
    let max_abs_lat = (env.max_y.abs().max(env.min_y.abs()) + dy).min(89.0);
    let dx = dy / max_abs_lat.to_radians().cos();
    [dx, dy]
}

/// The polygons of a geometry: borrowed for a polygon or multipolygon, made for a rect or a
/// triangle, gathered from a collection; empty for points and lines.
pub fn polygons(g: &Geometry<f64>) -> Cow<'_, [Polygon<f64>]> {
    match g {
        Geometry::Polygon(p) => Cow::Borrowed(std::slice::from_ref(p)),
        Geometry::MultiPolygon(mp) => Cow::Borrowed(&mp.0),
        Geometry::Rect(r) => Cow::Owned(vec![r.to_polygon()]),
        Geometry::Triangle(t) => Cow::Owned(vec![t.to_polygon()]),
        Geometry::GeometryCollection(gc) => {
            Cow::Owned(gc.iter().flat_map(|g| polygons(g).into_owned()).collect())
        }
        _ => Cow::Borrowed(&[]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{GeometryCollection, Point, Rect, coord, polygon};

    #[test]
    fn polygons_of_each_kind() {
        let p = polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 0.0, y: 1.0)];
        assert!(matches!(polygons(&p.clone().into()), Cow::Borrowed([_])));
        let r = Rect::new(coord! { x: 0.0, y: 0.0 }, coord! { x: 1.0, y: 1.0 });
        let gc =
            GeometryCollection::new_from(vec![p.into(), r.into(), Point::new(0.0, 0.0).into()]);
        assert_eq!(polygons(&Geometry::GeometryCollection(gc)).len(), 2);
        assert!(polygons(&Point::new(0.0, 0.0).into()).is_empty());
    }

    #[test]
    fn the_window_holds_the_distance_at_the_equator_and_up_north() {
        // The shortest degree of latitude (equator) and a degree of longitude at 80°N, WGS84
        // (GeographicLib): 110,574.3 m and 19,394.5 m.
        let [_, dy] = degrees_covering(1_000.0, Envelope::new(0.0, 0.0, 0.0, 0.0));
        assert!(dy * 110_574.3 >= 1_000.0);
        let [dx, _] = degrees_covering(1_000.0, Envelope::new(0.0, 79.99, 0.0, 80.0));
        assert!(dx * 19_394.5 >= 1_000.0);
    }
}
