//! Geometry checks every loader's output goes through (in [`super::finish`], before the CRS is
//! resolved): what cannot be placed is dropped with a warning naming the record, what is merely
//! odd is kept as it is with a warning. Nothing is repaired silently.
//!
//! - a coordinate that is NaN or infinite: the geometry is dropped (the record and its attributes
//!   stay, as a feature without geometry);
//! - an empty geometry (no coordinates): kept as a feature without geometry;
//! - a polygon ring of fewer than 4 positions, a line of fewer than 2: kept, warned;
//! - repeated consecutive positions: kept; one warning for the layer with the count.
//!
//! Self-intersections and other topology faults are not looked for here (it would cost seconds at
//! a million polygons): [`crate::analysis::measure::Measures`] checks the geometry it measures
//! and says when an area is unreliable.

use geo::CoordsIter;
use geo_types::{Coord, Geometry, LineString};
use rayon::prelude::*;

use crate::model::{Envelope, Feature, Warning};

enum Finding {
    NonFinite,
    Empty,
    Degenerate(String),
}

/// Checks every feature; fixes what must be fixed and reports it in `warnings`. Returns the
/// envelope of each feature's geometry as the checks leave it (`None`: no usable geometry), which
/// the loader needs anyway: computed here, while the coordinates are in cache.
pub fn check(features: &mut [Feature], warnings: &mut Vec<Warning>) -> Vec<Option<Envelope>> {
    let mut repeats = Repeats::default();
    let envelopes = check_piece(features, warnings, &mut repeats);
    warnings.extend(repeats.warning());
    envelopes
}

/// Features that repeat a position, counted over the pieces of a file: one warning for the
/// file, given at its end.
#[derive(Debug, Default, Clone, Copy)]
pub struct Repeats {
    count: usize,
    first: Option<u64>,
}

impl Repeats {
    /// The file's one warning about them, if any did.
    pub fn warning(&self) -> Option<Warning> {
        let first = self.first?;
        Some(Warning::file(format!(
            "{} feature(s) repeat a position twice in a row (first: record {first}); kept as \
             they are",
            self.count
        )))
    }
}

/// [`check`] for one piece of a file: what repeats a position is counted in `repeats`, not
/// warned about (the caller warns once for the file).
pub fn check_piece(
    features: &mut [Feature],
    warnings: &mut Vec<Warning>,
    repeats: &mut Repeats,
) -> Vec<Option<Envelope>> {
    let findings: Vec<(Option<Finding>, bool, Option<Envelope>)> = features
        .par_iter()
        .map(|f| match &f.geometry {
            Some(g) => (finding(g), has_repeats(g), Envelope::of(g)),
            None => (None, false, None),
        })
        .collect();
    let mut envelopes = Vec::with_capacity(findings.len());
    for (feature, (found, repeated, envelope)) in features.iter_mut().zip(findings) {
        if repeated {
            repeats.count += 1;
            repeats.first.get_or_insert(feature.record);
        }
        let dropped = matches!(found, Some(Finding::NonFinite | Finding::Empty));
        envelopes.push(envelope.filter(|_| !dropped));
        let Some(found) = found else { continue };
        let message = match found {
            Finding::NonFinite => {
                feature.geometry = None;
                feature.z = None;
                "geometry dropped: a coordinate is not a finite number (NaN or infinite)".into()
            }
            Finding::Empty => {
                feature.geometry = None;
                feature.z = None;
                "empty geometry: kept as a feature without geometry".into()
            }
            Finding::Degenerate(m) => format!("{m}; kept as it is"),
        };
        warnings.push(Warning::record(feature.record, message));
    }
    envelopes
}

fn finding(g: &Geometry<f64>) -> Option<Finding> {
    let mut any = false;
    for c in g.coords_iter() {
        any = true;
        if !(c.x.is_finite() && c.y.is_finite()) {
            return Some(Finding::NonFinite);
        }
    }
    if !any {
        return Some(Finding::Empty);
    }
    degenerate(g).map(Finding::Degenerate)
}

fn degenerate(g: &Geometry<f64>) -> Option<String> {
    let ring = |r: &LineString<f64>, what: &str| {
        (!r.0.is_empty() && r.0.len() < 4)
            .then(|| format!("{what} has {} position(s), fewer than 4", r.0.len()))
    };
    let line = |l: &LineString<f64>| {
        (l.0.len() == 1).then(|| "line has a single position, no length".to_string())
    };
    match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior())
            .chain(p.interiors())
            .find_map(|r| ring(r, "polygon ring")),
        Geometry::MultiPolygon(mp) => mp
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .find_map(|r| ring(r, "polygon ring")),
        Geometry::LineString(l) => line(l),
        Geometry::MultiLineString(ml) => ml.iter().find_map(line),
        Geometry::GeometryCollection(gc) => gc.iter().find_map(degenerate),
        _ => None,
    }
}

fn has_repeats(g: &Geometry<f64>) -> bool {
    let repeats = |cs: &[Coord<f64>]| cs.windows(2).any(|w| w[0] == w[1]);
    match g {
        Geometry::LineString(l) => repeats(&l.0),
        Geometry::MultiLineString(ml) => ml.iter().any(|l| repeats(&l.0)),
        Geometry::Polygon(p) => {
            repeats(&p.exterior().0) || p.interiors().iter().any(|r| repeats(&r.0))
        }
        Geometry::MultiPolygon(mp) => mp
            .iter()
            .any(|p| repeats(&p.exterior().0) || p.interiors().iter().any(|r| repeats(&r.0))),
        Geometry::GeometryCollection(gc) => gc.iter().any(has_repeats),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use geo_types::{LineString, Point, Polygon, line_string, polygon};

    use super::*;
    use crate::model::Value;

    fn feature(record: u64, g: Geometry<f64>) -> Feature {
        Feature {
            record,
            geometry: Some(g),
            z: None,
            values: vec![Value::Int(record as i64)],
        }
    }

    #[test]
    fn bad_coordinates_and_empties_lose_geometry_not_the_record() {
        let mut features = vec![
            feature(0, Point::new(f64::NAN, 35.0).into()),
            feature(
                1,
                line_string![(x: 0.0, y: 0.0), (x: f64::INFINITY, y: 1.0)].into(),
            ),
            feature(2, Polygon::new(LineString::new(vec![]), vec![]).into()),
            feature(
                3,
                polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)].into(),
            ),
        ];
        let mut warnings = Vec::new();
        let envelopes = check(&mut features, &mut warnings);
        assert_eq!(features.len(), 4);
        assert_eq!(
            envelopes,
            [None, None, None, Some(Envelope::new(0.0, 0.0, 1.0, 1.0))]
        );
        assert!(features[0].geometry.is_none() && features[1].geometry.is_none());
        assert!(features[2].geometry.is_none());
        assert!(features[3].geometry.is_some());
        assert_eq!(features[1].values, vec![Value::Int(1)]);
        let records: Vec<_> = warnings.iter().map(|w| w.record).collect();
        assert_eq!(records, vec![Some(0), Some(1), Some(2)]);
        assert!(warnings[0].message.contains("not a finite number"));
        assert!(warnings[2].message.contains("empty geometry"));
    }

    #[test]
    fn degenerate_rings_and_repeats_are_kept_with_a_warning() {
        let two_point_ring = Polygon::new(
            LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (0.0, 0.0)]),
            vec![],
        );
        let repeated = line_string![(x: 0.0, y: 0.0), (x: 0.0, y: 0.0), (x: 1.0, y: 1.0)];
        let mut features = vec![
            feature(7, two_point_ring.clone().into()),
            feature(8, repeated.clone().into()),
            feature(9, repeated.into()),
        ];
        let mut warnings = Vec::new();
        check(&mut features, &mut warnings);
        assert_eq!(features[0].geometry, Some(two_point_ring.into()));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(warnings[0].record, Some(7));
        assert!(warnings[0].message.contains("fewer than 4"));
        assert_eq!(warnings[1].record, None);
        assert!(warnings[1].message.starts_with("2 feature(s)"));
        assert!(warnings[1].message.contains("record 8"));
    }
}
