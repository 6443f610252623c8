//! Geodesic measures of a lon/lat geometry on the WGS84 ellipsoid (Karney's algorithms through
//! geo's `GeodesicArea` and `Geodesic` length): area in m² (with ha and 坪), perimeter and length
//! in metres.
//!
//! ```
//! use geo_types::polygon;
//! use sitelens::analysis::measure::Measures;
//! // About 100 m × 100 m at Hino city hall.
//! let square = polygon![(x: 139.3950, y: 35.6713), (x: 139.3961, y: 35.6713),
//!                       (x: 139.3961, y: 35.6722), (x: 139.3950, y: 35.6722)];
//! let m = Measures::of(&square.into());
//! let area = m.area_m2.unwrap();
//! assert!((area - 9_950.0).abs() < 150.0, "{area}");
//! assert!((m.area_tsubo().unwrap() - area / 3.305_785).abs() < 0.01);
//! ```

use geo::orient::{Direction, Orient};
use geo::{Geodesic, GeodesicArea, Length, Validation};
use geo_types::Geometry;

/// m² in one 坪 (tsubo): one square 間 (6 尺 = 20/11 m), i.e. 400/121 m² ≈ 3.305785 m².
pub const M2_PER_TSUBO: f64 = 400.0 / 121.0;

/// The measures of one geometry; `None` where a measure does not apply (no area for a line).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Measures {
    pub area_m2: Option<f64>,
    /// Perimeter of polygons, length of lines.
    pub length_m: Option<f64>,
    /// Why the area is unreliable, when the polygon is invalid (a self-intersecting ring, a hole
    /// outside its shell, overlapping parts, …): the first problem found.
    pub unreliable: Option<String>,
}

impl Measures {
    pub fn of(g: &Geometry<f64>) -> Self {
        let mut m = Self::unchecked(g);
        if m.area_m2.is_some() {
            m.unreliable = polygon_problem(g);
        }
        m
    }

    fn unchecked(g: &Geometry<f64>) -> Self {
        match g {
            // The geodesic area of a clockwise ring is the rest of the globe: orient first
            // (Shapefile stores exteriors clockwise).
            Geometry::Polygon(p) => polygon_measures(&p.orient(Direction::Default).into()),
            Geometry::MultiPolygon(mp) => polygon_measures(&mp.orient(Direction::Default).into()),
            Geometry::Rect(r) => {
                polygon_measures(&r.to_polygon().orient(Direction::Default).into())
            }
            Geometry::Triangle(t) => {
                polygon_measures(&t.to_polygon().orient(Direction::Default).into())
            }
            Geometry::LineString(l) => Measures::length(Geodesic.length(l)),
            Geometry::MultiLineString(l) => Measures::length(Geodesic.length(l)),
            Geometry::Line(l) => Measures::length(Geodesic.length(l)),
            Geometry::GeometryCollection(gc) => {
                gc.iter()
                    .map(Measures::unchecked)
                    .fold(Measures::default(), |a, b| Measures {
                        area_m2: sum(a.area_m2, b.area_m2),
                        length_m: sum(a.length_m, b.length_m),
                        unreliable: None,
                    })
            }
            Geometry::Point(_) | Geometry::MultiPoint(_) => Measures::default(),
        }
    }

    fn length(metres: f64) -> Self {
        Measures {
            length_m: Some(metres),
            ..Default::default()
        }
    }

    pub fn area_ha(&self) -> Option<f64> {
        self.area_m2.map(|a| a / 10_000.0)
    }

    pub fn area_tsubo(&self) -> Option<f64> {
        self.area_m2.map(|a| a / M2_PER_TSUBO)
    }
}

fn polygon_measures(g: &Geometry<f64>) -> Measures {
    let (perimeter, area) = g.geodesic_perimeter_area_unsigned();
    Measures {
        area_m2: Some(area),
        length_m: Some(perimeter),
        unreliable: None,
    }
}

/// The first validity problem of the polygons in `g` (OGC simple-features rules, as geo checks
/// them), which makes their area meaningless or wrong. geo's topology graph can panic on badly
/// broken input (a conflict it cannot label, found by fuzzing): that too means unreliable.
fn polygon_problem(g: &Geometry<f64>) -> Option<String> {
    use geo::CoordsIter;
    // No CRS has coordinates beyond 1e9 (metres or degrees): such a shape is garbage, and the
    // robust predicates overflow on it.
    if g.coords_iter().any(|c| c.x.abs() > 1e9 || c.y.abs() > 1e9) {
        return Some("coordinates beyond any CRS's range".to_string());
    }
    crate::guard::catch(|| first_problem(g)).unwrap_or_else(|| {
        Some("the geometry is too broken to check (topology conflict)".to_string())
    })
}

fn first_problem(g: &Geometry<f64>) -> Option<String> {
    match g {
        Geometry::Polygon(p) => p.check_validation().err().map(|e| e.to_string()),
        Geometry::MultiPolygon(mp) => mp.check_validation().err().map(|e| e.to_string()),
        Geometry::GeometryCollection(gc) => gc.iter().find_map(first_problem),
        _ => None,
    }
}

fn sum(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x + y),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::line_string;

    #[test]
    fn clockwise_rings_measure_the_same_area() {
        use geo_types::polygon;
        let ccw = polygon![(x: 139.0, y: 35.0), (x: 139.001, y: 35.0), (x: 139.001, y: 35.001), (x: 139.0, y: 35.001)];
        let mut cw_ring = ccw.exterior().clone();
        cw_ring.0.reverse();
        let cw = geo_types::Polygon::new(cw_ring, vec![]);
        let a = Measures::of(&ccw.into()).area_m2.unwrap();
        let b = Measures::of(&cw.into()).area_m2.unwrap();
        assert!(
            (a - b).abs() < 1e-6 && a > 9_000.0 && a < 11_000.0,
            "{a} {b}"
        );
    }

    #[test]
    fn a_bow_tie_says_its_area_is_unreliable() {
        use geo_types::polygon;
        // The ring crosses itself: geodesic "area" nets the two lobes against each other.
        let bow_tie = polygon![(x: 139.0, y: 35.0), (x: 139.001, y: 35.001), (x: 139.001, y: 35.0), (x: 139.0, y: 35.001)];
        let m = Measures::of(&bow_tie.into());
        let why = m.unreliable.expect("a self-intersecting ring is flagged");
        assert!(why.contains("intersect"), "{why}");
        let square = polygon![(x: 139.0, y: 35.0), (x: 139.001, y: 35.0), (x: 139.001, y: 35.001), (x: 139.0, y: 35.001)];
        assert_eq!(Measures::of(&square.into()).unreliable, None);
        let line =
            line_string![(x: 139.0, y: 35.0), (x: 139.001, y: 35.001), (x: 139.001, y: 35.0)];
        assert_eq!(Measures::of(&line.into()).unreliable, None);
    }

    #[test]
    fn line_length_along_a_meridian() {
        // 0.01° of latitude at 35.67°N is ≈ 1,109.4 m on WGS84.
        let l = line_string![(x: 139.39, y: 35.665), (x: 139.39, y: 35.675)];
        let m = Measures::of(&l.into());
        assert!((m.length_m.unwrap() - 1_109.4).abs() < 1.0, "{m:?}");
        assert_eq!(m.area_m2, None);
    }
}
