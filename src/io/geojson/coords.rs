//! A geometry's `coordinates` read straight into flat buffers, then cut into geo-types.
//!
//! The nesting depth is learnt the way the geojson crate (1.0) learns it, so that what it refused
//! is still refused: from the chain of first elements, where `[]` counts as an empty list of
//! positions; every later sibling must have the depth of the first one.

use std::fmt;

use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

/// The positions of one `coordinates` member in document order, with the list boundaries.
#[derive(Default)]
pub(super) struct Flat {
    /// x, y of every position that has at least two numbers.
    coords: Vec<Coord<f64>>,
    /// The third number of each position in `coords`; NaN when it has none (JSON has no NaN).
    z: Vec<f64>,
    /// End (exclusive, into `coords`) of each list of positions.
    lines: Vec<usize>,
    /// End (exclusive, into `lines`) of each list of lists of positions.
    polygons: Vec<usize>,
    /// How many numbers the first position with fewer than two had.
    short: Option<usize>,
}

/// Nesting depth of a `coordinates` value: 0 a position, 1 a list of positions, 2 a list of
/// those, 3 a list of those.
pub(super) type Dims = u8;

/// Geometry types with coordinates (a GeometryCollection has members instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Point,
    MultiPoint,
    LineString,
    MultiLineString,
    Polygon,
    MultiPolygon,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Point => "Point",
            Kind::MultiPoint => "MultiPoint",
            Kind::LineString => "LineString",
            Kind::MultiLineString => "MultiLineString",
            Kind::Polygon => "Polygon",
            Kind::MultiPolygon => "MultiPolygon",
        }
    }
}

/// What a feature's geometry adds up to beyond its shape: Z and repairs.
pub(super) struct Extras {
    /// Z of every position so far, in coordinate order.
    pub z: Vec<f64>,
    /// Whether every position so far has a Z.
    pub all_z: bool,
    /// Polygon rings whose last position is not their first.
    pub unclosed: usize,
}

impl Default for Extras {
    fn default() -> Self {
        Self {
            z: Vec::new(),
            all_z: true,
            unclosed: 0,
        }
    }
}

impl Flat {
    fn clear(&mut self) {
        self.coords.clear();
        self.z.clear();
        self.lines.clear();
        self.polygons.clear();
        self.short = None;
    }

    fn position(&mut self, numbers: usize, x: f64, y: f64, z: f64) {
        if numbers < 2 {
            self.short.get_or_insert(numbers);
        } else {
            self.coords.push(Coord { x, y });
            self.z.push(z);
        }
    }

    /// Marks the end of a list of depth `dims`.
    fn close(&mut self, dims: Dims) {
        match dims {
            1 => self.lines.push(self.coords.len()),
            2 => self.polygons.push(self.lines.len()),
            _ => {}
        }
    }

    /// Parses a `coordinates` value (an array) into `self`; returns its depth.
    pub(super) fn parse<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<Dims, D::Error> {
        self.clear();
        d.deserialize_seq(Learn(self))
    }

    /// Whether the value was `[]`, which geojson accepts as an empty geometry of any type with
    /// lists (not a Point).
    fn is_empty_list(&self, dims: Dims) -> bool {
        dims == 1 && self.coords.is_empty() && self.short.is_none()
    }

    /// The geometry of type `kind` with these coordinates of depth `dims`. `Err(Err(..))`: not a
    /// geometry geojson accepts (the feature is invalid); `Err(Ok(..))`: a position with fewer
    /// than two numbers. Z and unclosed rings go to `extras`.
    pub(super) fn geometry(
        &self,
        kind: Kind,
        dims: Dims,
        extras: &mut Extras,
    ) -> Result<Geometry<f64>, Result<String, String>> {
        let empty = self.is_empty_list(dims);
        let fits = match kind {
            Kind::Point => dims == 0,
            Kind::MultiPoint | Kind::LineString => dims == 1,
            Kind::MultiLineString | Kind::Polygon => dims == 2 || empty,
            Kind::MultiPolygon => dims == 3 || empty,
        };
        // geojson's own check, before the depth's: a Point needs a position of two numbers.
        if kind == Kind::Point
            && let Some(n) = self.short.filter(|_| dims == 0).or(empty.then_some(0))
        {
            return Err(Err(format!(
                "A position must contain two or more elements, but got `{n}`"
            )));
        }
        if !fits {
            return Err(Err(format!(
                "Encountered geometry type: `{}` with unexpected coordinates dimensions: {dims}",
                kind.name()
            )));
        }
        if let Some(n) = self.short {
            return Err(Ok(format!("position with {n} number(s)")));
        }
        for &z in &self.z {
            if z.is_nan() {
                extras.all_z = false;
            } else {
                extras.z.push(z);
            }
        }
        if empty {
            // `[]`: no lines, rings or polygons at all.
            match kind {
                Kind::Polygon => return Ok(Polygon::new(LineString::new(vec![]), vec![]).into()),
                Kind::MultiLineString => return Ok(MultiLineString::new(vec![]).into()),
                Kind::MultiPolygon => return Ok(MultiPolygon::new(vec![]).into()),
                _ => {}
            }
        }
        Ok(match kind {
            Kind::Point => match self.coords.first() {
                Some(&c) => Point(c).into(),
                None => return Err(Err("a Point without a position".into())),
            },
            Kind::MultiPoint => MultiPoint(self.coords.iter().copied().map(Point).collect()).into(),
            Kind::LineString => LineString::new(self.coords.clone()).into(),
            Kind::MultiLineString => {
                MultiLineString::new((0..self.lines.len()).map(|l| self.line(l)).collect()).into()
            }
            Kind::Polygon => self.polygon(0..self.lines.len(), extras).into(),
            Kind::MultiPolygon => MultiPolygon::new(
                (0..self.polygons.len())
                    .map(|p| {
                        let start = if p == 0 { 0 } else { self.polygons[p - 1] };
                        self.polygon(start..self.polygons[p], extras)
                    })
                    .collect(),
            )
            .into(),
        })
    }

    /// The positions of list `l`.
    fn range(&self, l: usize) -> std::ops::Range<usize> {
        let start = if l == 0 { 0 } else { self.lines[l - 1] };
        start..self.lines[l]
    }

    fn line(&self, l: usize) -> LineString<f64> {
        LineString::new(self.coords[self.range(l)].to_vec())
    }

    /// The polygon whose rings are lists `rings`.
    fn polygon(&self, mut rings: std::ops::Range<usize>, extras: &mut Extras) -> Polygon<f64> {
        for r in rings.clone() {
            let range = self.range(r);
            let (first, last) = (range.start, range.end.wrapping_sub(1));
            if range.len() > 1
                && (self.coords[first] != self.coords[last] || !same_z(self.z[first], self.z[last]))
            {
                extras.unclosed += 1;
            }
        }
        let exterior = match rings.next() {
            Some(r) => self.line(r),
            None => LineString::new(vec![]),
        };
        Polygon::new(exterior, rings.map(|r| self.line(r)).collect())
    }
}

/// Equal Z, or both without one.
fn same_z(a: f64, b: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan())
}

/// An array whose depth is learnt from its first element; yields the depth.
struct Learn<'f>(&'f mut Flat);

/// The first element of an array: a number (the array is a position) or an array of this depth.
enum First {
    Number(f64),
    List(Dims),
}

impl<'de> DeserializeSeed<'de> for Learn<'_> {
    type Value = Dims;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Dims, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Learn<'_> {
    type Value = Dims;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of coordinates")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Dims, A::Error> {
        let flat = self.0;
        match seq.next_element_seed(FirstSeed(flat))? {
            // `[]` is an empty list of positions.
            None => {
                flat.close(1);
                Ok(1)
            }
            Some(First::Number(x)) => {
                rest_of_position(&mut seq, flat, x)?;
                Ok(0)
            }
            Some(First::List(dims)) => {
                if dims >= 3 {
                    return Err(de::Error::custom("coordinate nesting too deep"));
                }
                while seq.next_element_seed(Fixed { flat, dims })?.is_some() {}
                flat.close(dims + 1);
                Ok(dims + 1)
            }
        }
    }
}

/// Reads the numbers after the first one of a position.
fn rest_of_position<'de, A: SeqAccess<'de>>(
    seq: &mut A,
    flat: &mut Flat,
    x: f64,
) -> Result<(), A::Error> {
    let (mut numbers, mut y, mut z) = (1, f64::NAN, f64::NAN);
    while let Some(v) = seq.next_element::<f64>()? {
        numbers += 1;
        match numbers {
            2 => y = v,
            3 => z = v,
            _ => {}
        }
    }
    flat.position(numbers, x, y, z);
    Ok(())
}

struct FirstSeed<'f>(&'f mut Flat);

impl<'de> DeserializeSeed<'de> for FirstSeed<'_> {
    type Value = First;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<First, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FirstSeed<'_> {
    type Value = First;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a coordinate element (number or array)")
    }

    fn visit_f64<E>(self, v: f64) -> Result<First, E> {
        Ok(First::Number(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<First, E> {
        Ok(First::Number(v as f64))
    }

    fn visit_u64<E>(self, v: u64) -> Result<First, E> {
        Ok(First::Number(v as f64))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<First, A::Error> {
        Learn(self.0).visit_seq(seq).map(First::List)
    }
}

/// An array of known depth (a later sibling of a first element).
struct Fixed<'f> {
    flat: &'f mut Flat,
    dims: Dims,
}

impl<'de> DeserializeSeed<'de> for Fixed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Fixed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of coordinates of depth {}", self.dims)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Fixed { flat, dims } = self;
        if dims == 0 {
            // Any count of numbers, none too (refused later, as a position too short).
            match seq.next_element::<f64>()? {
                Some(x) => rest_of_position(&mut seq, flat, x)?,
                None => flat.position(0, f64::NAN, f64::NAN, f64::NAN),
            }
            return Ok(());
        }
        while seq
            .next_element_seed(Fixed {
                flat: &mut *flat,
                dims: dims - 1,
            })?
            .is_some()
        {}
        flat.close(dims);
        Ok(())
    }
}
