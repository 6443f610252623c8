//! The .shp records and .shx entries of an exported Shapefile (ESRI Shapefile Technical
//! Description, 1998): big-endian record headers and offsets in 16-bit words, little-endian
//! shapes. One shape type per file; Z written without M (as GDAL does when there is no M).
//! Polygon outer rings are clockwise and holes counter-clockwise (the opposite of RFC 7946).

use std::borrow::Cow;
use std::io::{self, Write};

use geo::CoordsIter;
use geo_types::{Coord, Geometry, Polygon};

use crate::export::GeometryKind;

/// What a part of a record is: its role decides how a polygon ring is wound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Points,
    Line,
    Outer,
    Hole,
}

/// One part of a record: a line, a ring or a run of points, with the position of its first
/// coordinate in the feature's coordinate order (where its Z values start in `Feature::z`).
#[derive(Debug)]
pub(super) struct Part<'g> {
    pub coords: Cow<'g, [Coord<f64>]>,
    pub z_at: usize,
    pub role: Role,
}

/// The parts of `g` that are of `kind`: all of it when it is of that kind, the members of that
/// kind when it is a collection, nothing otherwise.
pub(super) fn parts(g: &Geometry<f64>, kind: GeometryKind) -> Vec<Part<'_>> {
    let mut out = Vec::new();
    collect(g, kind, &mut 0, &mut out);
    out
}

fn collect<'g>(g: &'g Geometry<f64>, kind: GeometryKind, at: &mut usize, out: &mut Vec<Part<'g>>) {
    use GeometryKind as K;
    let base = *at;
    let part = |coords: Cow<'g, [Coord<f64>]>, z_at: usize, role: Role| Part { coords, z_at, role };
    match (g, kind) {
        (Geometry::GeometryCollection(gc), _) => {
            for member in gc {
                collect(member, kind, at, out);
            }
            return;
        }
        (Geometry::Point(p), K::Point) => {
            out.push(part(Cow::Owned(vec![p.0]), base, Role::Points));
        }
        (Geometry::MultiPoint(mp), K::Point) => {
            let coords: Vec<Coord<f64>> = mp.iter().map(|p| p.0).collect();
            out.push(part(Cow::Owned(coords), base, Role::Points));
        }
        (Geometry::Line(l), K::Line) => {
            out.push(part(Cow::Owned(vec![l.start, l.end]), base, Role::Line));
        }
        (Geometry::LineString(l), K::Line) => {
            out.push(part(Cow::Borrowed(&l.0), base, Role::Line));
        }
        (Geometry::MultiLineString(ml), K::Line) => {
            let mut z_at = base;
            for l in ml {
                out.push(part(Cow::Borrowed(&l.0), z_at, Role::Line));
                z_at += l.0.len();
            }
        }
        (Geometry::Polygon(p), K::Polygon) => polygon(p, base, out),
        (Geometry::MultiPolygon(mp), K::Polygon) => {
            let mut z_at = base;
            for p in mp {
                polygon(p, z_at, out);
                z_at += p.coords_count();
            }
        }
        // Never read from a file: no Z to line up.
        (Geometry::Rect(r), K::Polygon) => {
            out.push(part(
                Cow::Owned(r.to_polygon().exterior().0.clone()),
                base,
                Role::Outer,
            ));
        }
        (Geometry::Triangle(t), K::Polygon) => {
            out.push(part(
                Cow::Owned(t.to_polygon().exterior().0.clone()),
                base,
                Role::Outer,
            ));
        }
        _ => {}
    }
    *at += g.coords_count();
}

fn polygon<'g>(p: &'g Polygon<f64>, base: usize, out: &mut Vec<Part<'g>>) {
    if p.exterior().0.is_empty() {
        return;
    }
    let mut z_at = base;
    for (k, ring) in std::iter::once(p.exterior())
        .chain(p.interiors())
        .enumerate()
    {
        out.push(Part {
            coords: Cow::Borrowed(&ring.0),
            z_at,
            role: if k == 0 { Role::Outer } else { Role::Hole },
        });
        z_at += ring.0.len();
    }
}

/// The shape type of a file: what its records hold, and whether with Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub kind: Option<GeometryKind>,
    /// Every point is one record's only point (Point, not MultiPoint).
    pub single_points: bool,
    pub z: bool,
}

impl Layout {
    /// The shape type code of the header and of every non-null record.
    pub fn code(self) -> i32 {
        let base = match self.kind {
            None => return 0,
            Some(GeometryKind::Point) if self.single_points => 1,
            Some(GeometryKind::Point) => 8,
            Some(GeometryKind::Line) => 3,
            Some(GeometryKind::Polygon) => 5,
        };
        if self.z { base + 10 } else { base }
    }

    /// Bytes of a record's content (after its 8-byte header) holding `parts` (a null shape
    /// when there are none).
    pub fn content_len(self, parts: &[Part<'_>]) -> u64 {
        let points: u64 = parts.iter().map(|p| p.coords.len() as u64).sum();
        let z = u64::from(self.z);
        if points == 0 || self.kind.is_none() {
            return 4;
        }
        match self.kind {
            Some(GeometryKind::Point) if self.single_points => 4 + 16 + 8 * z,
            Some(GeometryKind::Point) => 4 + 32 + 4 + 16 * points + z * (16 + 8 * points),
            _ => 4 + 32 + 4 + 4 + 4 * parts.len() as u64 + 16 * points + z * (16 + 8 * points),
        }
    }
}

/// The bounding box of what was written, for the headers.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    pub min: [f64; 3],
    pub max: [f64; 3],
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            min: [f64::INFINITY; 3],
            max: [f64::NEG_INFINITY; 3],
        }
    }
}

impl Bounds {
    fn add(&mut self, c: Coord<f64>, z: f64) {
        for (k, v) in [c.x, c.y, z].into_iter().enumerate() {
            self.min[k] = self.min[k].min(v);
            self.max[k] = self.max[k].max(v);
        }
    }

    fn merge(&mut self, other: &Bounds) {
        for k in 0..3 {
            self.min[k] = self.min[k].min(other.min[k]);
            self.max[k] = self.max[k].max(other.max[k]);
        }
    }

    /// Zeros when nothing was added (a file of null shapes).
    fn or_zero(&self) -> ([f64; 3], [f64; 3]) {
        if self.min[0] > self.max[0] {
            ([0.0; 3], [0.0; 3])
        } else {
            (self.min, self.max)
        }
    }
}

/// The 100-byte header of a .shp or .shx of `file_len` bytes.
pub(super) fn header(
    w: &mut impl Write,
    file_len: u64,
    layout: Layout,
    bounds: &Bounds,
) -> io::Result<()> {
    let words = i32::try_from(file_len / 2)
        .map_err(|_| io::Error::other("file length does not fit the header"))?;
    w.write_all(&9994i32.to_be_bytes())?;
    w.write_all(&[0u8; 20])?;
    w.write_all(&words.to_be_bytes())?;
    w.write_all(&1000i32.to_le_bytes())?;
    w.write_all(&layout.code().to_le_bytes())?;
    let (min, max) = bounds.or_zero();
    for v in [min[0], min[1], max[0], max[1], min[2], max[2], 0.0, 0.0] {
        w.write_all(&v.to_le_bytes())?;
    }
    Ok(())
}

/// Writes record `number` (1-based) of `parts`, Z taken from `z` by position (0 where there is
/// none). Grows `bounds`; returns the content length in bytes.
pub(super) fn record(
    w: &mut impl Write,
    number: u32,
    layout: Layout,
    parts: &[Part<'_>],
    z: Option<&[f64]>,
    bounds: &mut Bounds,
) -> io::Result<u64> {
    let len = layout.content_len(parts);
    let words =
        i32::try_from(len / 2).map_err(|_| io::Error::other("a record too large for a .shp"))?;
    w.write_all(&number.to_be_bytes())?;
    w.write_all(&words.to_be_bytes())?;
    if len == 4 {
        w.write_all(&0i32.to_le_bytes())?;
        return Ok(len);
    }
    w.write_all(&layout.code().to_le_bytes())?;
    // Wound as the format wants, with their Z in the same order.
    let mut own = Bounds::default();
    let wound: Vec<(Vec<Coord<f64>>, Vec<f64>)> = parts
        .iter()
        .map(|p| {
            let mut coords: Vec<Coord<f64>> = p.coords.to_vec();
            let mut zs: Vec<f64> = (0..coords.len())
                .map(|i| z.and_then(|z| z.get(p.z_at + i)).copied().unwrap_or(0.0))
                .collect();
            let area = signed_area(&coords);
            if (p.role == Role::Outer && area > 0.0) || (p.role == Role::Hole && area < 0.0) {
                coords.reverse();
                zs.reverse();
            }
            for (c, z) in coords.iter().zip(&zs) {
                own.add(*c, *z);
            }
            (coords, zs)
        })
        .collect();
    bounds.merge(&own);
    let points = wound.iter().flat_map(|(cs, _)| cs.iter());
    let zs = wound.iter().flat_map(|(_, zs)| zs.iter().copied());
    let point_count: usize = wound.iter().map(|(cs, _)| cs.len()).sum();
    let count = |n: usize| {
        i32::try_from(n)
            .map(i32::to_le_bytes)
            .map_err(|_| io::Error::other("too many points in one record"))
    };
    if layout.single_points {
        let c = points
            .clone()
            .next()
            .copied()
            .unwrap_or(Coord { x: 0.0, y: 0.0 });
        f64s(w, [c.x, c.y])?;
    } else {
        f64s(w, [own.min[0], own.min[1], own.max[0], own.max[1]])?;
        if layout.kind != Some(GeometryKind::Point) {
            w.write_all(&count(wound.len())?)?;
        }
        w.write_all(&count(point_count)?)?;
        if layout.kind != Some(GeometryKind::Point) {
            let mut start = 0;
            for (cs, _) in &wound {
                w.write_all(&count(start)?)?;
                start += cs.len();
            }
        }
        f64s(w, points.clone().flat_map(|c| [c.x, c.y]))?;
    }
    if layout.z {
        if !layout.single_points {
            f64s(w, [own.min[2], own.max[2]])?;
        }
        f64s(w, zs)?;
    }
    Ok(len)
}

/// Little-endian doubles.
fn f64s(w: &mut impl Write, vs: impl IntoIterator<Item = f64>) -> io::Result<()> {
    vs.into_iter()
        .try_for_each(|v| w.write_all(&v.to_le_bytes()))
}

/// An .shx entry: the record's offset and content length, in 16-bit words.
pub(super) fn index_entry(w: &mut impl Write, offset: u64, content_len: u64) -> io::Result<()> {
    let word = |bytes: u64| {
        i32::try_from(bytes / 2)
            .map(i32::to_be_bytes)
            .map_err(|_| io::Error::other("an offset past what a .shx can hold"))
    };
    w.write_all(&word(offset)?)?;
    w.write_all(&word(content_len)?)
}

/// Twice the signed area (shoelace): positive for counter-clockwise with y up.
fn signed_area(ring: &[Coord<f64>]) -> f64 {
    ring.windows(2)
        .map(|p| p[0].x * p[1].y - p[1].x * p[0].y)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{LineString, MultiPolygon, Point, polygon};

    fn kind_layout(kind: GeometryKind, z: bool) -> Layout {
        Layout {
            kind: Some(kind),
            single_points: false,
            z,
        }
    }

    /// The rings of a polygon record as written: (x, y) per part.
    fn written_rings(bytes: &[u8]) -> Vec<Vec<(f64, f64)>> {
        let i32_at = |at: usize| i32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let f64_at = |at: usize| f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        let content = 8;
        let parts = i32_at(content + 36) as usize;
        let points = i32_at(content + 40) as usize;
        let starts: Vec<usize> = (0..parts)
            .map(|k| i32_at(content + 44 + 4 * k) as usize)
            .chain([points])
            .collect();
        let xy = content + 44 + 4 * parts;
        starts
            .windows(2)
            .map(|s| {
                (s[0]..s[1])
                    .map(|i| (f64_at(xy + 16 * i), f64_at(xy + 16 * i + 8)))
                    .collect()
            })
            .collect()
    }

    fn area(ring: &[(f64, f64)]) -> f64 {
        ring.windows(2)
            .map(|p| p[0].0 * p[1].1 - p[1].0 * p[0].1)
            .sum()
    }

    #[test]
    fn outer_rings_are_clockwise_and_holes_counter_clockwise() {
        // RFC 7946 winding: exterior counter-clockwise, hole clockwise.
        let p = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 10.0)],
            interiors: [[(x: 2.0, y: 2.0), (x: 2.0, y: 4.0), (x: 4.0, y: 4.0), (x: 4.0, y: 2.0)]],
        );
        // And a second polygon already in Shapefile winding.
        let q =
            polygon![(x: 20.0, y: 0.0), (x: 20.0, y: 5.0), (x: 25.0, y: 5.0), (x: 25.0, y: 0.0)];
        let g = Geometry::MultiPolygon(MultiPolygon(vec![p, q]));
        let layout = kind_layout(GeometryKind::Polygon, false);
        let parts = parts(&g, GeometryKind::Polygon);
        let mut out = Vec::new();
        let mut bounds = Bounds::default();
        let len = record(&mut out, 1, layout, &parts, None, &mut bounds).unwrap();
        assert_eq!(out.len() as u64, 8 + len);
        assert_eq!(len, layout.content_len(&parts));
        let rings = written_rings(&out);
        assert_eq!(rings.len(), 3);
        assert!(area(&rings[0]) < 0.0, "outer clockwise: {:?}", rings[0]);
        assert!(
            area(&rings[1]) > 0.0,
            "hole counter-clockwise: {:?}",
            rings[1]
        );
        assert!(area(&rings[2]) < 0.0, "outer clockwise: {:?}", rings[2]);
        assert_eq!(
            rings[2][1],
            (20.0, 5.0),
            "already clockwise: kept as it was"
        );
        assert_eq!((bounds.min[0], bounds.max[0]), (0.0, 25.0));
    }

    #[test]
    fn z_follows_its_coordinates_when_a_ring_is_reversed() {
        let g: Geometry<f64> =
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)].into();
        let z = [10.0, 11.0, 12.0, 10.0];
        let layout = kind_layout(GeometryKind::Polygon, true);
        let parts = parts(&g, GeometryKind::Polygon);
        let mut out = Vec::new();
        record(
            &mut out,
            1,
            layout,
            &parts,
            Some(&z),
            &mut Bounds::default(),
        )
        .unwrap();
        let f64_at = |at: usize| f64::from_le_bytes(out[at..at + 8].try_into().unwrap());
        // 1 part, 4 points: z range then z values after the 4 x,y pairs.
        let z_at = 8 + 44 + 4 + 4 * 16;
        assert_eq!((f64_at(z_at), f64_at(z_at + 8)), (10.0, 12.0));
        let zs: Vec<f64> = (0..4).map(|i| f64_at(z_at + 16 + 8 * i)).collect();
        assert_eq!(zs, [10.0, 12.0, 11.0, 10.0]);
        let rings = written_rings(&out);
        assert_eq!(rings[0][1], (1.0, 1.0));
    }

    #[test]
    fn a_collection_gives_its_parts_of_one_kind_with_their_z_positions() {
        let gc = Geometry::GeometryCollection(geo_types::GeometryCollection(vec![
            Point::new(1.0, 2.0).into(),
            LineString::from(vec![(0.0, 0.0), (1.0, 1.0), (2.0, 0.0)]).into(),
            Point::new(3.0, 4.0).into(),
        ]));
        let points = parts(&gc, GeometryKind::Point);
        assert_eq!(points.len(), 2);
        assert_eq!((points[0].z_at, points[1].z_at), (0, 4));
        let lines = parts(&gc, GeometryKind::Line);
        assert_eq!((lines.len(), lines[0].z_at), (1, 1));
        assert!(parts(&gc, GeometryKind::Polygon).is_empty());
    }

    #[test]
    fn record_sizes_follow_the_specification() {
        let point = Layout {
            kind: Some(GeometryKind::Point),
            single_points: true,
            z: false,
        };
        let g: Geometry<f64> = Point::new(1.0, 2.0).into();
        assert_eq!(point.content_len(&parts(&g, GeometryKind::Point)), 20);
        let point_z = Layout { z: true, ..point };
        assert_eq!(point_z.content_len(&parts(&g, GeometryKind::Point)), 28);
        assert_eq!(point.content_len(&[]), 4, "null shape");
        let line: Geometry<f64> = LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]).into();
        let layout = kind_layout(GeometryKind::Line, false);
        assert_eq!(
            layout.content_len(&parts(&line, GeometryKind::Line)),
            44 + 4 + 32
        );
        assert_eq!(layout.code(), 3);
        assert_eq!(kind_layout(GeometryKind::Polygon, true).code(), 15);
        assert_eq!(kind_layout(GeometryKind::Point, true).code(), 18);
    }
}
