//! Polygons at a level of detail per zoom: outlines of many vertices simplified once per level
//! (Ramer–Douglas–Peucker) to within half a screen point, and their triangles made the first
//! time they are drawn filled; cached per feature and level, shared by a layer's clones.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use geo::{Simplify, TriangulateEarcut};
use geo_types::{Geometry, Polygon};

use super::map_layer::MapLayer;
use crate::model::polygons;

/// Polygon features at their levels of detail, by (feature, level).
pub(super) type FillCache = HashMap<(usize, u8), Arc<Detail>>;

/// A polygon feature as drawn at one level of detail: the simplified polygons when the level
/// drops vertices, and their triangles, made the first time the feature is drawn filled.
pub struct Detail {
    /// `None`: the feature's own polygons (full detail, or nothing to drop at this level).
    pub simplified: Option<Vec<Polygon<f64>>>,
    fill: OnceLock<Fill>,
}

/// Triangles in lon/lat (a triangulation survives any affine view transform).
pub struct Fill {
    pub vertices: Vec<[f64; 2]>,
    pub indices: Vec<u32>,
}

/// The level of detail that keeps every vertex.
const FULL_DETAIL: u8 = u8::MAX;

/// Polygon features with fewer vertices are always drawn in full: simplifying them saves less
/// than it costs.
const SIMPLIFY_FROM_VERTICES: usize = 32;

/// The level of detail for a view of `points_per_deg` screen points per degree: one level per
/// doubling of the zoom, so a pan or a small zoom reuses what was simplified.
pub fn detail_level(points_per_deg: f64) -> u8 {
    points_per_deg.max(1.0).log2().floor().min(60.0) as u8
}

/// How far (in degrees) a simplified outline may stray from the true one at `level`: at most
/// half a screen point at any zoom that picks this level (a degree of longitude spans fewer
/// points than a degree of latitude, so the bound holds both ways).
fn detail_tolerance(level: u8) -> f64 {
    0.25 / 2f64.powi(level as i32)
}

/// Whether a geometry has enough vertices to be simplified when zoomed out.
pub fn is_detailed(g: &Geometry<f64>) -> bool {
    vertex_count(&polygons(g)) >= SIMPLIFY_FROM_VERTICES
}

fn vertex_count(polygons: &[Polygon<f64>]) -> usize {
    polygons
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

fn triangulate<'a>(polygons: impl IntoIterator<Item = &'a Polygon<f64>>) -> Fill {
    let mut fill = Fill {
        vertices: Vec::new(),
        indices: Vec::new(),
    };
    for p in polygons {
        let raw = p.earcut_triangles_raw();
        let base = fill.vertices.len() as u32;
        fill.indices
            .extend(raw.triangle_indices.iter().map(|&i| base + i as u32));
        fill.vertices.extend(raw.vertices);
    }
    fill
}

impl MapLayer {
    /// Feature `id`'s polygons at a level of detail (`FULL_DETAIL` or a `detail_level`),
    /// cached; `None` if it has no polygons. Polygons of many vertices are simplified
    /// (Ramer–Douglas–Peucker, `detail_tolerance`) once per level, so a city-wide view of
    /// detailed zoning draws the few hundred vertices that show, not every surveyed one. Levels
    /// that would drop little, and small polygons, share the full-detail entry.
    pub fn detail(&self, id: usize, level: u8) -> Option<Arc<Detail>> {
        let polygons = polygons(self.layer.features.get(id)?.geometry.as_ref()?);
        if polygons.is_empty() {
            return None;
        }
        let full_count = vertex_count(&polygons);
        let level = if full_count < SIMPLIFY_FROM_VERTICES {
            FULL_DETAIL
        } else {
            level
        };
        let lock = || self.fills.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = lock().get(&(id, level)) {
            return Some(d.clone());
        }
        let detail = if level == FULL_DETAIL {
            Arc::new(Detail {
                simplified: None,
                fill: OnceLock::new(),
            })
        } else {
            let tolerance = detail_tolerance(level);
            let simplified: Vec<Polygon<f64>> =
                polygons.iter().map(|p| p.simplify(tolerance)).collect();
            if vertex_count(&simplified) * 5 > full_count * 4 {
                // Less than a fifth dropped: draw it in full.
                self.detail(id, FULL_DETAIL)?
            } else {
                Arc::new(Detail {
                    simplified: Some(simplified),
                    fill: OnceLock::new(),
                })
            }
        };
        // Two threads may have made the same entry: keep the first, so they share triangles.
        Some(lock().entry((id, level)).or_insert(detail).clone())
    }

    /// The triangles of feature `id` at `detail` (made once, on first use).
    pub fn fill<'d>(&self, id: usize, detail: &'d Detail) -> &'d Fill {
        detail.fill.get_or_init(|| match &detail.simplified {
            Some(polygons) => triangulate(polygons),
            None => match &self.layer.features[id].geometry {
                Some(g) => triangulate(polygons(g).iter()),
                None => triangulate([]),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Feature;
    use geo::{Area, Distance, Euclidean};
    use geo_types::{LineString, Point};

    /// A ring of `n` vertices around (139.4, 35.67) of radius `r` degrees, wobbling by 1 %.
    fn ring(n: usize, r: f64) -> LineString<f64> {
        let mut coords: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = r * (1.0 + 0.01 * (a * 37.0).sin());
                (139.4 + r * a.cos(), 35.67 + r * a.sin())
            })
            .collect();
        coords.push(coords[0]);
        coords.into()
    }

    fn map_layer(geometries: Vec<Geometry<f64>>) -> MapLayer {
        let features = geometries
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature {
                record: i as u64,
                geometry: Some(g),
                z: None,
                values: vec![],
            })
            .collect();
        let layer = super::super::filter_panel::tests::test_layer(vec![], features);
        MapLayer::new("t".into(), layer, super::super::Style::for_role(None, 0))
    }

    fn triangles_area(f: &Fill) -> f64 {
        f.indices
            .chunks(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| f.vertices[t[k] as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    }

    #[test]
    fn detailed_polygons_are_simplified_per_zoom_within_half_a_point() {
        // About 2 km across with 4,000 + 1,000 vertices: surveyed detail a city view cannot show.
        let polygon = Polygon::new(ring(4000, 0.01), vec![ring(1000, 0.004)]);
        let layer = map_layer(vec![polygon.clone().into()]);

        let full = layer.detail(0, FULL_DETAIL).unwrap();
        assert!(full.simplified.is_none());
        // Triangles are made when first drawn filled, not before (outlines need none).
        assert!(full.fill.get().is_none());
        assert_eq!(layer.fill(0, &full).vertices.len(), 5000);

        // Street level, then district, then the whole city in a window (about 20,000 points per
        // degree): fewer vertices each time.
        let mut previous = 5000;
        for points_per_deg in [2_000_000.0, 200_000.0, 20_000.0] {
            let level = detail_level(points_per_deg);
            let tolerance = detail_tolerance(level);
            assert!(tolerance * points_per_deg <= 0.5, "{points_per_deg}");
            let lod = layer.detail(0, level).unwrap();
            // Cached: the same polygons and triangles next time.
            assert!(Arc::ptr_eq(&lod, &layer.detail(0, level).unwrap()));
            let simplified = lod.simplified.as_ref().expect("fewer vertices zoomed out");
            let fill = layer.fill(0, &lod);
            assert!(fill.vertices.len() < previous, "{points_per_deg}");
            previous = fill.vertices.len();
            // Every surveyed vertex lies within the tolerance of the simplified outline.
            let rings = [polygon.exterior(), &polygon.interiors()[0]];
            let kept = [simplified[0].exterior(), &simplified[0].interiors()[0]];
            for (original, kept) in rings.iter().zip(kept) {
                for c in &original.0 {
                    let d = Euclidean.distance(&Point::from(*c), kept);
                    assert!(d <= tolerance * 1.000_001, "{d} > {tolerance}");
                }
            }
            // And the triangles cover the simplified polygon, hole left out.
            let area = simplified[0].unsigned_area();
            assert!((triangles_area(fill) - area).abs() < area * 1e-9);
            assert!((area - polygon.unsigned_area()).abs() < polygon.unsigned_area() * 0.01);
        }
        let city = layer.detail(0, detail_level(20_000.0)).unwrap();
        assert!(layer.fill(0, &city).vertices.len() < 400);
    }

    #[test]
    fn small_polygons_share_one_entry_at_every_level() {
        let square = Polygon::new(
            LineString::from(vec![
                (139.0, 35.0),
                (139.001, 35.0),
                (139.001, 35.001),
                (139.0, 35.001),
                (139.0, 35.0),
            ]),
            vec![],
        );
        // A fine ring at street level keeps its vertices: drawn from the full triangulation.
        let fine = Polygon::new(ring(64, 0.0001), vec![]);
        let layer = map_layer(vec![square.into(), fine.into()]);
        for id in [0, 1] {
            let full = layer.detail(id, FULL_DETAIL).unwrap();
            let level = detail_level(if id == 0 { 1_000.0 } else { 5e8 });
            assert!(Arc::ptr_eq(&full, &layer.detail(id, level).unwrap()));
            assert!(full.simplified.is_none());
        }
        assert!(!is_detailed(
            &layer.layer.features[0].geometry.clone().unwrap()
        ));
        assert!(is_detailed(
            &layer.layer.features[1].geometry.clone().unwrap()
        ));
    }
}
