//! A Placemark's geometry, built from the geometry elements as the reader meets them: Point,
//! LineString, LinearRing, Polygon (outerBoundaryIs / innerBoundaryIs), MultiGeometry and
//! gx:Track / gx:MultiTrack, at any nesting.
//!
//! Nested MultiGeometries are flattened into their leaves (points, lines, polygons): leaves of
//! one kind make a Multi*, mixed leaves a GeometryCollection. A flat collection also keeps
//! hostile nesting out of the geometry algorithms, which recurse.

use geo_types::{
    Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon, Point,
    Polygon,
};

use super::coords::{self, Positions};

/// A KML geometry element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Point,
    LineString,
    LinearRing,
    Polygon,
    OuterBoundary,
    InnerBoundary,
    /// MultiGeometry or gx:MultiTrack.
    Multi,
    /// gx:Track: positions in `<gx:coord>` elements.
    Track,
}

impl Kind {
    /// The geometry element a local name stands for.
    pub fn of(local_name: &str) -> Option<Kind> {
        Some(match local_name {
            "Point" => Kind::Point,
            "LineString" => Kind::LineString,
            "LinearRing" => Kind::LinearRing,
            "Polygon" => Kind::Polygon,
            "outerBoundaryIs" => Kind::OuterBoundary,
            "innerBoundaryIs" => Kind::InnerBoundary,
            "MultiGeometry" | "MultiTrack" => Kind::Multi,
            "Track" => Kind::Track,
            _ => return None,
        })
    }
}

/// A simple geometry read: its coordinates in geo's order and their altitudes.
enum Leaf {
    Point(Positions),
    Line(Positions),
    Polygon(Vec<Positions>),
}

/// One open geometry element.
enum Frame {
    /// Point, LineString, LinearRing, gx:Track: the positions read so far.
    Positions(Kind, Positions),
    /// The rings of a Polygon's boundaries: outer first once known.
    Polygon {
        outer: Option<Positions>,
        inner: Vec<Positions>,
    },
    /// outerBoundaryIs / innerBoundaryIs: its LinearRings.
    Boundary(Kind, Vec<Positions>),
    Multi(Vec<Leaf>),
}

/// Builds one Placemark's geometry; the first problem stops it (the placemark keeps no geometry).
#[derive(Default)]
pub(super) struct ShapeBuilder {
    stack: Vec<Frame>,
    /// The finished geometry: its leaves, and whether it was a multi-geometry.
    done: Option<(Vec<Leaf>, bool)>,
    problem: Option<String>,
    /// Repairs and oddities to report with the placemark (the geometry is kept).
    pub notes: Vec<String>,
    closed_rings: usize,
}

/// A finished geometry and the altitude of each coordinate, when every one has one.
pub(super) type Shape = (Geometry<f64>, Option<Box<[f64]>>);

impl ShapeBuilder {
    /// A geometry element starts.
    pub fn open(&mut self, kind: Kind) {
        self.stack.push(match kind {
            Kind::Point | Kind::LineString | Kind::LinearRing | Kind::Track => {
                Frame::Positions(kind, Positions::default())
            }
            Kind::Polygon => Frame::Polygon {
                outer: None,
                inner: Vec::new(),
            },
            Kind::OuterBoundary | Kind::InnerBoundary => Frame::Boundary(kind, Vec::new()),
            Kind::Multi => Frame::Multi(Vec::new()),
        });
    }

    /// The text of a `<coordinates>` inside the innermost geometry element.
    pub fn coordinates(&mut self, text: &str) {
        if self.problem.is_some() {
            return;
        }
        if let Some(Frame::Positions(kind, at)) = self.stack.last_mut()
            && *kind != Kind::Track
            && let Err(e) = coords::parse_coordinates(text, at)
        {
            self.problem = Some(e);
        }
    }

    /// The text of a `<gx:coord>` inside a gx:Track.
    pub fn track_coord(&mut self, text: &str) {
        if self.problem.is_some() {
            return;
        }
        if let Some(Frame::Positions(Kind::Track, at)) = self.stack.last_mut()
            && let Err(e) = coords::parse_track_coord(text, at)
        {
            self.problem = Some(e);
        }
    }

    /// The innermost geometry element ends.
    pub fn close(&mut self) {
        let Some(frame) = self.stack.pop() else {
            return;
        };
        if self.problem.is_some() {
            return;
        }
        match frame {
            Frame::Positions(kind, mut at) => {
                let leaf = match kind {
                    Kind::Point => match at.xy.len() {
                        1 => Leaf::Point(at),
                        n => {
                            self.problem = Some(format!("a Point with {n} positions"));
                            return;
                        }
                    },
                    Kind::LinearRing => {
                        self.closed_rings += usize::from(at.close_ring());
                        match self.stack.last_mut() {
                            Some(Frame::Boundary(_, rings)) => return rings.push(at),
                            // A ring straight in a Polygon (no boundary element): the outer
                            // one first, then holes.
                            Some(Frame::Polygon { outer, inner }) => {
                                return match outer {
                                    None => *outer = Some(at),
                                    Some(_) => inner.push(at),
                                };
                            }
                            // On its own, a ring is a closed line.
                            _ => Leaf::Line(at),
                        }
                    }
                    _ => Leaf::Line(at),
                };
                self.hand_up(leaf);
            }
            Frame::Boundary(kind, mut rings) => {
                let Some(Frame::Polygon { outer, inner }) = self.stack.last_mut() else {
                    return;
                };
                if kind == Kind::InnerBoundary || outer.is_some() {
                    inner.append(&mut rings);
                    return;
                }
                let mut rings = rings.into_iter();
                *outer = rings.next();
                if rings.len() > 0 {
                    self.problem = Some("an outerBoundaryIs with more than one ring".into());
                }
            }
            Frame::Polygon { outer, inner } => {
                let rings = match outer {
                    Some(outer) => std::iter::once(outer).chain(inner).collect(),
                    None if inner.is_empty() => Vec::new(),
                    None => {
                        self.problem = Some("a Polygon with holes but no outer ring".into());
                        return;
                    }
                };
                self.hand_up(Leaf::Polygon(rings));
            }
            Frame::Multi(leaves) => match self.stack.last_mut() {
                Some(Frame::Multi(parent)) => parent.extend(leaves),
                Some(_) => {}
                None => self.finish(leaves, true),
            },
        }
    }

    /// Gives a finished simple geometry to the element around it.
    fn hand_up(&mut self, leaf: Leaf) {
        match self.stack.last_mut() {
            Some(Frame::Multi(leaves)) => leaves.push(leaf),
            // A geometry where none belongs (a Point in a Polygon): not read.
            Some(_) => {}
            None => self.finish(vec![leaf], false),
        }
    }

    fn finish(&mut self, leaves: Vec<Leaf>, multi: bool) {
        if self.done.is_some() {
            self.notes
                .push("a second geometry in the placemark was ignored".into());
            return;
        }
        self.done = Some((leaves, multi));
    }

    /// The geometry (`Ok(None)` when the placemark had none, or the problem that stopped it)
    /// and the repairs made to it.
    pub fn build(mut self) -> (Result<Option<Shape>, String>, Vec<String>) {
        if let Some(problem) = self.problem {
            return (Err(problem), self.notes);
        }
        if self.closed_rings > 0 {
            self.notes.push(format!(
                "{} polygon ring(s) not closed (KML requires it); closed them",
                self.closed_rings
            ));
        }
        (Ok(self.done.take().map(assemble)), self.notes)
    }
}

/// The geometry of the leaves read, and the altitudes of its coordinates when all have one.
fn assemble((leaves, multi): (Vec<Leaf>, bool)) -> Shape {
    let mut z = Vec::new();
    let kinds = leaves
        .iter()
        .map(std::mem::discriminant)
        .collect::<Vec<_>>();
    let one_kind = kinds.windows(2).all(|w| w[0] == w[1]);
    let mut points = Vec::new();
    let mut lines = Vec::new();
    let mut polygons = Vec::new();
    let mut mixed: Vec<Geometry<f64>> = Vec::new();
    for leaf in leaves {
        let geometry: Geometry<f64> = match leaf {
            Leaf::Point(at) => {
                z.extend(at.z);
                Point(at.xy[0]).into()
            }
            Leaf::Line(at) => {
                z.extend(at.z);
                LineString::new(at.xy).into()
            }
            Leaf::Polygon(rings) => {
                let mut rings = rings.into_iter().map(|r| {
                    z.extend(r.z);
                    LineString::new(r.xy)
                });
                let outer = rings.next().unwrap_or_else(|| LineString::new(Vec::new()));
                Polygon::new(outer, rings.collect()).into()
            }
        };
        match geometry {
            Geometry::Point(p) if one_kind => points.push(p),
            Geometry::LineString(l) if one_kind => lines.push(l),
            Geometry::Polygon(p) if one_kind => polygons.push(p),
            other => mixed.push(other),
        }
    }
    let geometry: Geometry<f64> = match (multi, points.len(), lines.len(), polygons.len()) {
        (false, 1, 0, 0) => points.remove(0).into(),
        (false, 0, 1, 0) => lines.remove(0).into(),
        (false, 0, 0, 1) => polygons.remove(0).into(),
        (_, 1.., _, _) => MultiPoint(points).into(),
        (_, _, 1.., _) => MultiLineString(lines).into(),
        (_, _, _, 1..) => MultiPolygon(polygons).into(),
        _ => Geometry::GeometryCollection(GeometryCollection(mixed)),
    };
    let z = (!z.is_empty() && z.iter().all(|v| !v.is_nan())).then(|| z.into_boxed_slice());
    (geometry, z)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a sequence: ("<Kind", "text" for coordinates, ">" to close).
    fn build(steps: &[&str]) -> Result<Option<Shape>, String> {
        let mut b = ShapeBuilder::default();
        for step in steps {
            if let Some(name) = step.strip_prefix('<') {
                b.open(Kind::of(name).unwrap());
            } else if *step == ">" {
                b.close();
            } else if let Some(t) = step.strip_prefix("@") {
                b.track_coord(t);
            } else {
                b.coordinates(step);
            }
        }
        b.build().0
    }

    #[test]
    fn polygon_with_a_hole_closes_its_rings_and_keeps_z_in_order() {
        let (g, z) = build(&[
            "<Polygon",
            "<outerBoundaryIs",
            "<LinearRing",
            "0,0,1 4,0,1 4,4,1 0,4,1",
            ">",
            ">",
            "<innerBoundaryIs",
            "<LinearRing",
            "1,1,2 2,1,2 2,2,2 1,1,2",
            ">",
            ">",
            ">",
        ])
        .unwrap()
        .unwrap();
        let Geometry::Polygon(p) = g else {
            panic!("{g:?}")
        };
        assert_eq!(p.exterior().0.len(), 5);
        assert_eq!(p.interiors().len(), 1);
        assert_eq!(z.unwrap().len(), 9);
    }

    #[test]
    fn multi_geometries_flatten_by_kind() {
        let (g, z) = build(&[
            "<MultiGeometry",
            "<Point",
            "1,2",
            ">",
            "<MultiGeometry",
            "<Point",
            "3,4",
            ">",
            ">",
            ">",
        ])
        .unwrap()
        .unwrap();
        assert!(
            matches!(g, Geometry::MultiPoint(ref m) if m.0.len() == 2),
            "{g:?}"
        );
        assert!(z.is_none());
        let (g, _) = build(&[
            "<MultiGeometry",
            "<Point",
            "1,2",
            ">",
            "<LineString",
            "0,0 1,1",
            ">",
            ">",
        ])
        .unwrap()
        .unwrap();
        assert!(
            matches!(g, Geometry::GeometryCollection(ref c) if c.0.len() == 2),
            "{g:?}"
        );
        let (g, _) = build(&["<MultiGeometry", ">"]).unwrap().unwrap();
        assert!(matches!(g, Geometry::GeometryCollection(ref c) if c.0.is_empty()));
    }

    #[test]
    fn tracks_are_lines_and_multitracks_multilines() {
        let (g, z) = build(&[
            "<MultiTrack",
            "<Track",
            "@139 35 10",
            "@139.1 35.1 12",
            ">",
            ">",
        ])
        .unwrap()
        .unwrap();
        assert!(matches!(g, Geometry::MultiLineString(ref m) if m.0[0].0.len() == 2));
        assert_eq!(z.as_deref(), Some(&[10.0, 12.0][..]));
    }

    #[test]
    fn problems_stop_the_geometry() {
        let e = build(&["<Point", "1,2 3,4", ">"]).unwrap_err();
        assert_eq!(e, "a Point with 2 positions");
        let e = build(&["<LineString", "1,2 x,4", ">"]).unwrap_err();
        assert!(e.contains("'x' is not a number"), "{e}");
        let e = build(&["<Point", ">"]).unwrap_err();
        assert_eq!(e, "a Point with 0 positions");
        let e = build(&[
            "<Polygon",
            "<innerBoundaryIs",
            "<LinearRing",
            "0,0 1,0 1,1 0,0",
            ">",
            ">",
            ">",
        ])
        .unwrap_err();
        assert!(e.contains("no outer ring"), "{e}");
        assert!(build(&[]).unwrap().is_none());
    }
}
