//! The R-tree over every feature's envelope (rstar 0.12, the version geo-types supports).
//!
//! Bulk-loaded once per layer. Queries test envelopes first; [`SpatialIndex::pick`] then measures
//! the exact distance to each candidate's geometry.

use geo::{BoundingRect, Distance, Euclidean, MapCoords};
use geo_types::{Coord, Geometry, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::{Feature, M_PER_DEG};

/// An axis-aligned box in layer coordinates (lon/lat for a layer in the working CRS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Envelope {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Envelope {
    pub fn new(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Self {
        Self {
            min_x,
            min_y,
            max_x,
            max_y,
        }
    }

    /// The smallest envelope holding both.
    pub fn union(self, other: Envelope) -> Envelope {
        Envelope::new(
            self.min_x.min(other.min_x),
            self.min_y.min(other.min_y),
            self.max_x.max(other.max_x),
            self.max_y.max(other.max_y),
        )
    }

    pub fn as_array(self) -> [f64; 4] {
        [self.min_x, self.min_y, self.max_x, self.max_y]
    }

    fn aabb(self) -> AABB<[f64; 2]> {
        AABB::from_corners([self.min_x, self.min_y], [self.max_x, self.max_y])
    }

    /// The envelope of a geometry; `None` for an empty one or one with non-finite coordinates.
    pub fn of(geometry: &Geometry<f64>) -> Option<Envelope> {
        let rect = geometry.bounding_rect()?;
        let env = Envelope::new(rect.min().x, rect.min().y, rect.max().x, rect.max().y);
        env.as_array().iter().all(|v| v.is_finite()).then_some(env)
    }
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// R-tree of feature envelopes; entries carry the feature's position in the layer. A big layer
/// is split at the median x into one tree per core, bulk-loaded in parallel (rstar's bulk load
/// is sequential); a query asks each tree, which a far-off view costs one root check.
#[derive(Debug, Default)]
pub struct SpatialIndex {
    trees: Vec<RTree<Entry>>,
    bbox: Option<Envelope>,
}

/// Layers with fewer envelopes than this get one tree.
const SPLIT_AT: usize = 200_000;

/// The result of a point pick.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pick {
    /// Position of the feature in the layer.
    pub feature: usize,
    /// Distance from the picked point, in the units given to [`SpatialIndex::pick`].
    pub distance: f64,
}

impl SpatialIndex {
    /// Bulk-loads the envelopes of all features with a usable geometry.
    pub fn build(features: &[Feature]) -> Self {
        use rayon::prelude::*;
        // Envelopes on every core.
        let envelopes: Vec<Option<Envelope>> = features
            .par_iter()
            .map(|f| f.geometry.as_ref().and_then(Envelope::of))
            .collect();
        Self::from_envelopes(&envelopes)
    }

    /// Bulk-loads envelopes already known, one per feature in layer order (`None`: the feature
    /// has no usable geometry and is not indexed).
    pub fn from_envelopes(envelopes: &[Option<Envelope>]) -> Self {
        use rayon::prelude::*;
        let bbox = envelopes.iter().flatten().copied().reduce(Envelope::union);
        let mut entries: Vec<Entry> = envelopes
            .iter()
            .enumerate()
            .filter_map(|(i, env)| {
                let env = env.as_ref()?;
                let rect = Rectangle::from_corners([env.min_x, env.min_y], [env.max_x, env.max_y]);
                Some(GeomWithData::new(rect, u32::try_from(i).ok()?))
            })
            .collect();
        let parts = if entries.len() < SPLIT_AT {
            1
        } else {
            rayon::current_num_threads().clamp(1, 8)
        };
        let mut chunks = Vec::with_capacity(parts);
        for k in (1..parts).rev() {
            // The last k/(k+1) of what is left, by the x of each envelope's centre.
            let at = entries.len() - entries.len() * k / (k + 1);
            let centre_x = |e: &Entry| e.geom().lower()[0] + e.geom().upper()[0];
            entries.select_nth_unstable_by(at, |a, b| centre_x(a).total_cmp(&centre_x(b)));
            let rest = entries.split_off(at);
            chunks.push(entries);
            entries = rest;
        }
        chunks.push(entries);
        Self {
            trees: chunks.into_par_iter().map(RTree::bulk_load).collect(),
            bbox,
        }
    }

    /// The envelope of every indexed feature; `None` for a layer without geometry.
    pub fn bbox(&self) -> Option<Envelope> {
        self.bbox
    }

    /// Number of indexed features.
    pub fn len(&self) -> usize {
        self.trees.iter().map(RTree::size).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries whose envelope intersects `view`.
    fn locate(&self, view: Envelope) -> impl Iterator<Item = &Entry> + '_ {
        let aabb = view.aabb();
        self.trees
            .iter()
            .flat_map(move |t| t.locate_in_envelope_intersecting(&aabb))
    }

    /// Features whose envelope intersects `view`, in no particular order.
    pub fn query(&self, view: Envelope) -> impl Iterator<Item = usize> + '_ {
        self.locate(view).map(|e| e.data as usize)
    }

    /// Like [`Self::query`], with each feature's envelope (so callers need not recompute it).
    pub fn query_envelopes(&self, view: Envelope) -> impl Iterator<Item = (usize, Envelope)> + '_ {
        self.locate(view).map(|e| {
            let [x0, y0] = e.geom().lower();
            let [x1, y1] = e.geom().upper();
            (e.data as usize, Envelope::new(x0, y0, x1, y1))
        })
    }

    /// The feature nearest to `at` within `tolerance`, by exact distance to its geometry (0 inside
    /// a polygon). Distances are measured with x scaled by `x_scale` (for lon/lat, cos(latitude)
    /// makes a degree of longitude as long as a degree of latitude); `tolerance` is in y units.
    /// Among equally near features the last one (drawn on top) wins.
    pub fn pick(
        &self,
        features: &[Feature],
        at: Coord<f64>,
        tolerance: f64,
        x_scale: f64,
    ) -> Option<Pick> {
        let dx = tolerance / x_scale;
        let search = Envelope::new(at.x - dx, at.y - tolerance, at.x + dx, at.y + tolerance);
        let scaled_at = Point::new(at.x * x_scale, at.y);
        let mut best: Option<Pick> = None;
        for id in self.query(search) {
            let Some(geometry) = features.get(id).and_then(|f| f.geometry.as_ref()) else {
                continue;
            };
            let scaled = geometry.map_coords(|c| Coord {
                x: c.x * x_scale,
                y: c.y,
            });
            let distance = Euclidean.distance(&scaled_at, &scaled);
            if distance > tolerance {
                continue;
            }
            let better = match best {
                None => true,
                Some(b) => distance < b.distance || (distance == b.distance && id > b.feature),
            };
            if better {
                best = Some(Pick {
                    feature: id,
                    distance,
                });
            }
        }
        best
    }

    /// [`Self::pick`] on a lon/lat layer with the tolerance in metres (spherical approximation,
    /// 1° of latitude = 111,320 m; good to a fraction of a percent at pick scale).
    pub fn pick_lon_lat(
        &self,
        features: &[Feature],
        lon: f64,
        lat: f64,
        tolerance_m: f64,
    ) -> Option<Pick> {
        let x_scale = lat.to_radians().cos().max(1e-6);
        self.pick(
            features,
            Coord { x: lon, y: lat },
            tolerance_m / M_PER_DEG,
            x_scale,
        )
        .map(|p| Pick {
            distance: p.distance * M_PER_DEG,
            ..p
        })
    }
}

/// Distance in metres (spherical approximation, as picking uses) from (lon, lat) to the rings of
/// a polygonal geometry; `None` for other geometries.
pub fn outline_distance_m(g: &geo_types::Geometry<f64>, lon: f64, lat: f64) -> Option<f64> {
    use geo::{Distance, Euclidean, MapCoords};
    use geo_types::{LineString, MultiLineString, Point};
    let polygons = super::polygons(g);
    if polygons.is_empty() {
        return None;
    }
    let rings: Vec<LineString<f64>> = polygons
        .iter()
        .flat_map(|p| std::iter::once(p.exterior().clone()).chain(p.interiors().iter().cloned()))
        .collect();
    let k = lat.to_radians().cos();
    let lines = MultiLineString::new(rings).map_coords(|c| geo_types::Coord { x: c.x * k, y: c.y });
    Some(Euclidean.distance(&Point::new(lon * k, lat), &lines) * M_PER_DEG)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use geo_types::{Geometry, point, polygon};

    fn feature(record: u64, geometry: Geometry<f64>) -> Feature {
        Feature {
            record,
            geometry: Some(geometry),
            z: None,
            values: vec![Value::Null],
        }
    }

    fn layer() -> Vec<Feature> {
        vec![
            // A 1 km square-ish polygon around Hino city hall, a point inside its envelope but
            // outside the triangle, and a point far away.
            feature(
                0,
                polygon![(x: 139.39, y: 35.66), (x: 139.40, y: 35.66), (x: 139.39, y: 35.67)]
                    .into(),
            ),
            feature(1, point!(x: 139.3995, y: 35.6695).into()),
            feature(2, point!(x: 140.0, y: 36.0).into()),
            Feature {
                record: 3,
                geometry: None,
                z: None,
                values: vec![],
            },
        ]
    }

    #[test]
    fn bbox_and_query_use_envelopes() {
        let features = layer();
        let index = SpatialIndex::build(&features);
        assert_eq!(index.len(), 3);
        assert_eq!(
            index.bbox(),
            Some(Envelope::new(139.39, 35.66, 140.0, 36.0))
        );
        let mut hits: Vec<usize> = index
            .query(Envelope::new(139.395, 35.665, 139.41, 35.68))
            .collect();
        hits.sort();
        assert_eq!(hits, vec![0, 1]);
    }

    #[test]
    fn pick_tests_exact_geometry_after_envelope() {
        let features = layer();
        let index = SpatialIndex::build(&features);
        // Inside the triangle: distance 0.
        let pick = index.pick_lon_lat(&features, 139.392, 35.662, 5.0).unwrap();
        assert_eq!((pick.feature, pick.distance), (0, 0.0));
        // In the triangle's envelope but ~350 m from its hypotenuse, 10 m from nothing.
        assert_eq!(index.pick_lon_lat(&features, 139.398, 35.668, 10.0), None);
        // Near the point: found with its distance in metres (~9 m north).
        let pick = index
            .pick_lon_lat(&features, 139.3995, 35.66958, 20.0)
            .unwrap();
        assert_eq!(pick.feature, 1);
        assert!((pick.distance - 8.9).abs() < 0.2, "{}", pick.distance);
    }

    #[test]
    fn a_big_layer_split_into_trees_answers_as_one() {
        // 300,000 small squares on a jittered grid (more than SPLIT_AT): every query and pick
        // gives what a scan of all envelopes gives.
        let n = 300_000usize;
        let features: Vec<Feature> = (0..n)
            .map(|i| {
                let (x, y) = ((i % 600) as f64 * 0.001, (i / 600) as f64 * 0.001);
                let x = x + ((i * 7919) % 13) as f64 * 1e-5;
                let size = 0.0004 + ((i * 104_729) % 5) as f64 * 1e-4;
                feature(
                    i as u64,
                    polygon![(x: x, y: y), (x: x + size, y: y), (x: x + size, y: y + size), (x: x, y: y + size)]
                        .into(),
                )
            })
            .collect();
        let index = SpatialIndex::build(&features);
        assert!(index.trees.len() > 1 || rayon::current_num_threads() == 1);
        assert_eq!(index.len(), n);
        let envelopes: Vec<Envelope> = features
            .iter()
            .map(|f| Envelope::of(f.geometry.as_ref().unwrap()).unwrap())
            .collect();
        for k in 0..40 {
            let (x, y) = ((k * 37 % 600) as f64 * 0.001, (k * 53 % 500) as f64 * 0.001);
            let view = Envelope::new(x, y, x + 0.0123, y + 0.0077);
            let mut got: Vec<usize> = index.query(view).collect();
            got.sort_unstable();
            let want: Vec<usize> = (0..n)
                .filter(|&i| {
                    let e = envelopes[i];
                    e.min_x <= view.max_x
                        && e.max_x >= view.min_x
                        && e.min_y <= view.max_y
                        && e.max_y >= view.min_y
                })
                .collect();
            assert_eq!(got, want, "view {k}");
            let picked = index.pick(
                &features,
                Coord {
                    x: x + 0.0002,
                    y: y + 0.0002,
                },
                1e-4,
                1.0,
            );
            assert!(picked.is_some(), "pick {k}");
        }
    }
}
