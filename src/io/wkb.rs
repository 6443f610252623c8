//! Well-known binary (ISO 19125 / OGC SFA) read and written by hand, for GeoPackage blobs (and
//! any other format that carries WKB). Hand-written rather than through geozero because the
//! model keeps Z beside the 2D geometry ([`Feature::z`](crate::model::Feature)), because an empty
//! geometry must become "no geometry" rather than an empty shape, and because a count in hostile
//! input must never size an allocation (geozero's geo-types writer reserves what the count says).
//!
//! Read: both byte orders, ISO dimension codes (1000 Z, 2000 M, 3000 ZM) and the EWKB flags
//! (0x8000_0000 Z, 0x4000_0000 M, 0x2000_0000 SRID), every type 1–7 nested to [`MAX_DEPTH`]. M is
//! read and dropped. Write: ISO WKB, little-endian, with Z when the feature has it.

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

/// Deepest nesting of collections read.
pub const MAX_DEPTH: usize = 32;

/// A decoded geometry: `None` when it is empty; Z of every coordinate in order when it had Z.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub geometry: Option<Geometry<f64>>,
    pub z: Option<Vec<f64>>,
}

/// Decodes one WKB geometry; bytes after it are an error (they mean the length was wrong).
pub fn read(bytes: &[u8]) -> Result<Decoded, String> {
    let mut r = Reader {
        bytes,
        pos: 0,
        z: Vec::new(),
        all_z: true,
    };
    let geometry = r.geometry(0)?;
    if r.pos != bytes.len() {
        return Err(format!(
            "{} bytes after the end of the geometry",
            bytes.len() - r.pos
        ));
    }
    let z = (r.all_z && !r.z.is_empty() && geometry.is_some()).then_some(r.z);
    Ok(Decoded { geometry, z })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Z values of the coordinates read so far, while every part has had Z.
    z: Vec<f64>,
    all_z: bool,
}

#[derive(Clone, Copy)]
struct Header {
    little: bool,
    kind: u32,
    has_z: bool,
    has_m: bool,
}

impl Header {
    /// Bytes per coordinate.
    fn coord_bytes(self) -> usize {
        8 * (2 + usize::from(self.has_z) + usize::from(self.has_m))
    }
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let end = self.pos.checked_add(N).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err(format!("the geometry ends early at byte {}", self.pos));
        };
        let mut out = [0u8; N];
        out.copy_from_slice(&self.bytes[self.pos..end]);
        self.pos = end;
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    fn f64(&mut self, little: bool) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if little {
            f64::from_le_bytes(b)
        } else {
            f64::from_be_bytes(b)
        })
    }

    fn header(&mut self) -> Result<Header, String> {
        let [order] = self.take::<1>()?;
        let little = match order {
            0 => false,
            1 => true,
            b => return Err(format!("byte order {b} at byte {} (0 or 1)", self.pos - 1)),
        };
        let code = self.u32(little)?;
        let (mut has_z, mut has_m) = (code & 0x8000_0000 != 0, code & 0x4000_0000 != 0);
        if code & 0x2000_0000 != 0 {
            self.u32(little)?; // EWKB SRID: the container says the CRS.
        }
        let iso = code & 0x0FFF_FFFF;
        match iso / 1000 {
            0 => {}
            1 => has_z = true,
            2 => has_m = true,
            3 => (has_z, has_m) = (true, true),
            _ => return Err(format!("unknown geometry type {code}")),
        }
        let kind = iso % 1000;
        if !(1..=7).contains(&kind) {
            return Err(format!(
                "unsupported geometry type {code} (points, lines, polygons and their collections are read)"
            ));
        }
        Ok(Header {
            little,
            kind,
            has_z,
            has_m,
        })
    }

    /// A count of items at least `min_bytes` long each, checked against what is left.
    fn count(&mut self, h: Header, min_bytes: usize) -> Result<usize, String> {
        let n = self.u32(h.little)? as usize;
        let left = self.bytes.len() - self.pos;
        if n.saturating_mul(min_bytes) > left {
            return Err(format!(
                "a count of {n} at byte {} does not fit in the {left} bytes left",
                self.pos - 4
            ));
        }
        Ok(n)
    }

    fn coord(&mut self, h: Header) -> Result<Coord<f64>, String> {
        let x = self.f64(h.little)?;
        let y = self.f64(h.little)?;
        if h.has_z {
            let z = self.f64(h.little)?;
            self.z.push(z);
        } else {
            self.all_z = false;
        }
        if h.has_m {
            self.f64(h.little)?;
        }
        Ok(Coord { x, y })
    }

    fn coords(&mut self, h: Header) -> Result<Vec<Coord<f64>>, String> {
        let n = self.count(h, h.coord_bytes())?;
        (0..n).map(|_| self.coord(h)).collect()
    }

    fn polygon(&mut self, h: Header) -> Result<Option<Polygon<f64>>, String> {
        let rings = self.count(h, 4)?;
        let mut all = Vec::with_capacity(rings);
        for _ in 0..rings {
            let ring = self.coords(h)?;
            if !ring.is_empty() {
                all.push(LineString::new(ring));
            }
        }
        let mut all = all.into_iter();
        Ok(all
            .next()
            .map(|exterior| Polygon::new(exterior, all.collect())))
    }

    /// A member of a Multi* of kind `want`.
    fn member(&mut self, want: u32) -> Result<Header, String> {
        let h = self.header()?;
        if h.kind != want {
            return Err(format!(
                "a member of type {} where type {want} was expected",
                h.kind
            ));
        }
        Ok(h)
    }

    fn geometry(&mut self, depth: usize) -> Result<Option<Geometry<f64>>, String> {
        if depth > MAX_DEPTH {
            return Err(format!("collections nested deeper than {MAX_DEPTH}"));
        }
        let h = self.header()?;
        let min_part = 5 + 4; // header and a count
        Ok(match h.kind {
            1 => {
                let c = self.coord(h)?;
                // An empty point is NaN, NaN.
                (!(c.x.is_nan() && c.y.is_nan())).then(|| Point(c).into())
            }
            2 => {
                let coords = self.coords(h)?;
                (!coords.is_empty()).then(|| LineString::new(coords).into())
            }
            3 => self.polygon(h)?.map(Geometry::Polygon),
            4 => {
                let n = self.count(h, 5 + h.coord_bytes())?;
                let mut points = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.member(1)?;
                    let c = self.coord(m)?;
                    if !(c.x.is_nan() && c.y.is_nan()) {
                        points.push(Point(c));
                    }
                }
                (!points.is_empty()).then(|| MultiPoint::new(points).into())
            }
            5 => {
                let n = self.count(h, min_part)?;
                let mut lines = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.member(2)?;
                    let coords = self.coords(m)?;
                    if !coords.is_empty() {
                        lines.push(LineString::new(coords));
                    }
                }
                (!lines.is_empty()).then(|| MultiLineString::new(lines).into())
            }
            6 => {
                let n = self.count(h, min_part)?;
                let mut polygons = Vec::with_capacity(n);
                for _ in 0..n {
                    let m = self.member(3)?;
                    polygons.extend(self.polygon(m)?);
                }
                (!polygons.is_empty()).then(|| MultiPolygon::new(polygons).into())
            }
            _ => {
                let n = self.count(h, min_part)?;
                let mut members = Vec::with_capacity(n);
                for _ in 0..n {
                    members.extend(self.geometry(depth + 1)?);
                }
                (!members.is_empty())
                    .then(|| Geometry::GeometryCollection(GeometryCollection::new_from(members)))
            }
        })
    }
}

/// Appends `g` as ISO WKB (little-endian) to `out`, with Z from `z` when it holds one value per
/// coordinate (else 2D).
pub fn write(g: &Geometry<f64>, z: Option<&[f64]>, out: &mut Vec<u8>) {
    let z = z.filter(|z| z.len() == coord_count(g));
    let mut w = Writer { out, z, next_z: 0 };
    w.geometry(g);
}

/// Coordinates of `g` in the order WKB (and [`Feature::z`](crate::model::Feature)) lists them.
pub fn coord_count(g: &Geometry<f64>) -> usize {
    use geo::CoordsIter;
    match g {
        // Written as the polygons they are; a Rect's and a Triangle's rings are closed.
        Geometry::Rect(_) => 5,
        Geometry::Triangle(_) => 4,
        _ => g.coords_count(),
    }
}

struct Writer<'a> {
    out: &'a mut Vec<u8>,
    z: Option<&'a [f64]>,
    next_z: usize,
}

impl Writer<'_> {
    fn header(&mut self, kind: u32) {
        self.out.push(1);
        let code = if self.z.is_some() { kind + 1000 } else { kind };
        self.out.extend_from_slice(&code.to_le_bytes());
    }

    fn count(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u32).to_le_bytes());
    }

    fn coord(&mut self, c: Coord<f64>) {
        self.out.extend_from_slice(&c.x.to_le_bytes());
        self.out.extend_from_slice(&c.y.to_le_bytes());
        if let Some(z) = self.z {
            let v = z.get(self.next_z).copied().unwrap_or(0.0);
            self.out.extend_from_slice(&v.to_le_bytes());
            self.next_z += 1;
        }
    }

    fn line(&mut self, line: &LineString<f64>) {
        self.count(line.0.len());
        for &c in &line.0 {
            self.coord(c);
        }
    }

    fn polygon_body(&mut self, p: &Polygon<f64>) {
        self.count(1 + p.interiors().len());
        self.line(p.exterior());
        for ring in p.interiors() {
            self.line(ring);
        }
    }

    fn geometry(&mut self, g: &Geometry<f64>) {
        match g {
            Geometry::Point(p) => {
                self.header(1);
                self.coord(p.0);
            }
            Geometry::Line(l) => {
                self.geometry(&Geometry::LineString(LineString::new(vec![l.start, l.end])))
            }
            Geometry::LineString(l) => {
                self.header(2);
                self.line(l);
            }
            Geometry::Polygon(p) => {
                self.header(3);
                self.polygon_body(p);
            }
            Geometry::Rect(r) => self.geometry(&Geometry::Polygon(r.to_polygon())),
            Geometry::Triangle(t) => self.geometry(&Geometry::Polygon(t.to_polygon())),
            Geometry::MultiPoint(mp) => {
                self.header(4);
                self.count(mp.0.len());
                for p in &mp.0 {
                    self.header(1);
                    self.coord(p.0);
                }
            }
            Geometry::MultiLineString(ml) => {
                self.header(5);
                self.count(ml.0.len());
                for l in &ml.0 {
                    self.header(2);
                    self.line(l);
                }
            }
            Geometry::MultiPolygon(mp) => {
                self.header(6);
                self.count(mp.0.len());
                for p in &mp.0 {
                    self.header(3);
                    self.polygon_body(p);
                }
            }
            Geometry::GeometryCollection(gc) => {
                self.header(7);
                self.count(gc.0.len());
                for member in &gc.0 {
                    self.geometry(member);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, point, polygon};

    fn round_trip(g: Geometry<f64>, z: Option<Vec<f64>>) {
        let mut bytes = Vec::new();
        write(&g, z.as_deref(), &mut bytes);
        let back = read(&bytes).unwrap();
        assert_eq!(back.geometry, Some(g));
        assert_eq!(back.z, z);
    }

    #[test]
    fn every_type_round_trips_with_and_without_z() {
        let poly = polygon![
            exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 4.0, y: 4.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 2.0, y: 2.0), (x: 1.0, y: 1.0)]],
        ];
        round_trip(point!(x: 139.39, y: 35.67).into(), None);
        round_trip(point!(x: 139.39, y: 35.67).into(), Some(vec![85.5]));
        round_trip(
            line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 2.0)].into(),
            None,
        );
        round_trip(poly.clone().into(), Some((0..8).map(f64::from).collect()));
        round_trip(
            MultiPolygon::new(vec![poly.clone(), poly.clone()]).into(),
            None,
        );
        round_trip(
            MultiPoint::new(vec![point!(x: 1.0, y: 2.0), point!(x: 3.0, y: 4.0)]).into(),
            Some(vec![7.0, 8.0]),
        );
        round_trip(
            MultiLineString::new(vec![line_string![(x: 0.0, y: 0.0), (x: 1.0, y: 1.0)]]).into(),
            None,
        );
        round_trip(
            Geometry::GeometryCollection(GeometryCollection::new_from(vec![
                point!(x: 1.0, y: 1.0).into(),
                poly.into(),
            ])),
            None,
        );
    }

    #[test]
    fn big_endian_ewkb_with_srid_and_m_reads() {
        // POINT ZM (1 2 3 4), big-endian, EWKB flags Z|M|SRID with SRID 6677.
        let mut b = vec![0u8];
        b.extend_from_slice(&(1u32 | 0x8000_0000 | 0x4000_0000 | 0x2000_0000).to_be_bytes());
        b.extend_from_slice(&6677u32.to_be_bytes());
        for v in [1.0f64, 2.0, 3.0, 4.0] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        let d = read(&b).unwrap();
        assert_eq!(d.geometry, Some(point!(x: 1.0, y: 2.0).into()));
        assert_eq!(d.z, Some(vec![3.0]));
        // ISO POINT M (3001 is ZM; 2001 is M): M dropped, no Z.
        let mut b = vec![1u8];
        b.extend_from_slice(&2001u32.to_le_bytes());
        for v in [1.0f64, 2.0, 9.0] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(read(&b).unwrap().z, None);
    }

    #[test]
    fn empty_geometries_are_none() {
        let mut b = vec![1u8];
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&f64::NAN.to_le_bytes());
        b.extend_from_slice(&f64::NAN.to_le_bytes());
        assert_eq!(read(&b).unwrap().geometry, None);
        let mut b = vec![1u8];
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(read(&b).unwrap().geometry, None);
    }

    #[test]
    fn hostile_counts_and_depths_are_errors_not_allocations() {
        // A linestring claiming 4 billion points in 9 bytes.
        let mut b = vec![1u8];
        b.extend_from_slice(&2u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let e = read(&b).unwrap_err();
        assert!(e.contains("does not fit"), "{e}");
        // Collections nested past the limit.
        let mut b = Vec::new();
        for _ in 0..=MAX_DEPTH + 1 {
            b.push(1);
            b.extend_from_slice(&7u32.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
        }
        assert!(read(&b).unwrap_err().contains("nested"));
        // Truncated, trailing bytes, unknown type, bad byte order.
        assert!(read(&[1, 1, 0, 0, 0, 0]).is_err());
        let mut ok = Vec::new();
        write(&point!(x: 1.0, y: 1.0).into(), None, &mut ok);
        ok.push(0);
        assert!(read(&ok).unwrap_err().contains("after the end"));
        assert!(read(&[1, 17, 0, 0, 0]).unwrap_err().contains("unsupported"));
        assert!(read(&[2, 1, 0, 0, 0]).unwrap_err().contains("byte order"));
    }
}
