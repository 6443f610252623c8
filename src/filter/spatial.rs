//! Spatial conditions: a bounding box (lon/lat or a named CRS), within / intersects the features
//! of another layer, and within a distance of another layer's features.
//!
//! Distances are Euclidean in a transverse Mercator centred on the reference layer (the
//! projection of the plane-rectangular zones, scale 1 at the centre): within 100 km of the centre
//! the scale error stays below 0.01 %, i.e. under 10 cm on a 1,000 m radius.

use std::sync::Arc;

use geo::{BooleanOps, Contains, Distance, Euclidean, Intersects};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};

use crate::crs::{CrsError, Reprojector};
use crate::model::{Envelope, Layer, degrees_covering, polygons};

/// Why a box cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BboxError {
    #[error("'{0}' is not a number")]
    NotANumber(String),
    #[error("a box is minx,miny,maxx,maxy; got {0} number(s)")]
    Count(usize),
    #[error("min must be less than max")]
    Order,
    /// Numbers beyond ±180/±90 without a CRS: naming the box's CRS may help.
    #[error("not lon/lat: name its CRS (e.g. EPSG:6677)")]
    NotLonLat,
    #[error("the box's CRS: {0}")]
    Crs(CrsError),
    #[error("{0}")]
    Transform(String),
}

/// Features whose geometry intersects a box (not merely its envelope, like GDAL's -spat).
#[derive(Debug, Clone)]
pub struct BboxFilter {
    /// The box in lon/lat (a quadrilateral when it was given in a projected CRS).
    pub area: Polygon<f64>,
    pub envelope: Envelope,
    pub text: String,
}

impl BboxFilter {
    /// From "minx,miny,maxx,maxy", in lon/lat or, with `crs`, in that CRS's units.
    pub fn parse(text: &str, crs: Option<&str>) -> Result<Self, BboxError> {
        let nums: Vec<f64> = text
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<f64>()
                    .map_err(|_| BboxError::NotANumber(s.trim().to_string()))
            })
            .collect::<Result<_, _>>()?;
        let [x0, y0, x1, y1] = nums[..] else {
            return Err(BboxError::Count(nums.len()));
        };
        if !(x0 < x1 && y0 < y1) || nums.iter().any(|v| !v.is_finite()) {
            return Err(BboxError::Order);
        }
        match crs {
            None => {
                if x0 < -180.0 || x1 > 180.0 || y0 < -90.0 || y1 > 90.0 {
                    return Err(BboxError::NotLonLat);
                }
                let rect = Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 });
                Ok(BboxFilter {
                    area: rect.to_polygon(),
                    envelope: Envelope::new(x0, y0, x1, y1),
                    text: format!("bbox {x0},{y0},{x1},{y1} (lon/lat)"),
                })
            }
            Some(def) => {
                let definition = crate::crs::normalize_definition(def);
                let (reprojector, info) =
                    Reprojector::to_wgs84(&definition).map_err(BboxError::Crs)?;
                // Densify the edges: a projected box is curved in lon/lat.
                const STEPS: usize = 16;
                let mut ring = Vec::with_capacity(4 * STEPS + 1);
                let corners = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)];
                for k in 0..4 {
                    let (a, b) = (corners[k], corners[(k + 1) % 4]);
                    for s in 0..STEPS {
                        let t = s as f64 / STEPS as f64;
                        let c = Coord {
                            x: a.0 + (b.0 - a.0) * t,
                            y: a.1 + (b.1 - a.1) * t,
                        };
                        ring.push(reprojector.coord(c).map_err(BboxError::Transform)?);
                    }
                }
                ring.push(ring[0]);
                let area = Polygon::new(LineString::new(ring), vec![]);
                let envelope = Envelope::of(&Geometry::Polygon(area.clone()))
                    .ok_or_else(|| BboxError::Transform("empty box".into()))?;
                Ok(BboxFilter {
                    area,
                    envelope,
                    text: format!("bbox {x0},{y0},{x1},{y1} ({})", info.label()),
                })
            }
        }
    }

    pub fn intersects(&self, g: &Geometry<f64>) -> bool {
        self.area.intersects(g)
    }
}

/// How a feature must relate to the reference layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Relation {
    /// Inside the polygons of the reference layer (their union, so a feature across two
    /// adjoining polygons counts).
    Within,
    /// Touching or crossing any reference feature.
    Intersects,
    /// At most this many metres from some reference feature.
    Near { distance_m: f64 },
}

/// A relation to the features of another layer.
#[derive(Debug, Clone)]
pub struct SpatialFilter {
    pub relation: Relation,
    pub reference: Arc<Layer>,
}

impl SpatialFilter {
    pub fn describe(&self) -> String {
        let name = self
            .reference
            .source
            .path
            .file_name()
            .map_or(self.reference.name.clone(), |n| {
                n.to_string_lossy().into_owned()
            });
        match self.relation {
            Relation::Within => format!("within {name}"),
            Relation::Intersects => format!("intersects {name}"),
            Relation::Near { distance_m } => format!("within {distance_m} m of {name}"),
        }
    }

    /// Keeps the ids (sorted) of `layer` that meet the relation.
    pub fn retain(&self, layer: &Layer, ids: Vec<usize>) -> Result<Vec<usize>, String> {
        let reference = &self.reference;
        if !reference.source.crs.known {
            return Err(format!(
                "reference layer {} has an unknown CRS",
                reference.name
            ));
        }
        match self.relation {
            Relation::Within | Relation::Intersects => Ok(ids
                .into_iter()
                .filter(|&id| {
                    let Some(g) = layer.features[id].geometry.as_ref() else {
                        return false;
                    };
                    let Some(env) = Envelope::of(g) else {
                        return false;
                    };
                    let candidates: Vec<&Geometry<f64>> = reference
                        .index
                        .query(env)
                        .filter_map(|r| reference.features[r].geometry.as_ref())
                        .collect();
                    if self.relation == Relation::Intersects {
                        candidates.iter().any(|c| c.intersects(g))
                    } else {
                        within_union(g, &candidates)
                    }
                })
                .collect()),
            Relation::Near { distance_m } => near(layer, ids, reference, distance_m),
        }
    }
}

fn within_union(g: &Geometry<f64>, candidates: &[&Geometry<f64>]) -> bool {
    let parts: Vec<Polygon<f64>> = candidates
        .iter()
        .flat_map(|c| polygons(c).into_owned())
        .collect();
    if parts.iter().any(|p| p.contains(g)) {
        return true;
    }
    if parts.len() < 2 {
        return false;
    }
    let union = parts
        .into_iter()
        .map(|p| MultiPolygon::new(vec![p]))
        .reduce(|a, b| a.union(&b))
        .unwrap_or_else(|| MultiPolygon::new(vec![]));
    union.contains(g)
}

/// Features within `distance_m` of any reference feature.
fn near(
    layer: &Layer,
    ids: Vec<usize>,
    reference: &Layer,
    distance_m: f64,
) -> Result<Vec<usize>, String> {
    if !(distance_m.is_finite() && distance_m >= 0.0) {
        return Err(format!("{distance_m} is not a distance in metres"));
    }
    let Some(ref_bbox) = reference.index.bbox() else {
        return Ok(Vec::new());
    };
    let centre = (
        (ref_bbox.min_x + ref_bbox.max_x) / 2.0,
        (ref_bbox.min_y + ref_bbox.max_y) / 2.0,
    );
    let metric = Reprojector::local_metric(centre.0, centre.1).map_err(|e| e.to_string())?;
    // Degrees that surely cover `distance_m` anywhere in the reference's latitude band.
    let [pad_x, pad_y] = degrees_covering(distance_m, ref_bbox);

    let wanted: std::collections::HashSet<usize> = ids.iter().copied().collect();
    let mut result = Vec::new();
    let mut decided: std::collections::HashSet<usize> = std::collections::HashSet::new();
    for r in 0..reference.features.len() {
        let Some(rg) = reference.features[r].geometry.as_ref() else {
            continue;
        };
        let Some(env) = Envelope::of(rg) else {
            continue;
        };
        let mut projected_ref: Option<Geometry<f64>> = None;
        let search = Envelope::new(
            env.min_x - pad_x,
            env.min_y - pad_y,
            env.max_x + pad_x,
            env.max_y + pad_y,
        );
        for id in layer.index.query(search) {
            if !wanted.contains(&id) || decided.contains(&id) {
                continue;
            }
            let Some(g) = layer.features[id].geometry.as_ref() else {
                continue;
            };
            if projected_ref.is_none() {
                let p = metric.geometry(rg.clone()).map_err(|e| {
                    format!("reference record {}: {e}", reference.features[r].record)
                })?;
                projected_ref = Some(p);
            }
            let Some(pr) = projected_ref.as_ref() else {
                continue;
            };
            let Ok(pg) = metric.geometry(g.clone()) else {
                continue;
            };
            if Euclidean.distance(&pg, pr) <= distance_m {
                decided.insert(id);
                result.push(id);
            }
        }
    }
    result.sort_unstable();
    Ok(result)
}
