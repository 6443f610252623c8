//! The features that passed a streamed export, held on disk until the end, for the writers that
//! must see every feature before they write the first: a FlatGeobuf's header (its geometry type
//! and Z), a Shapefile's sizes and .dbf widths. Each input's features go to a temporary file of
//! their own, whole (the geometry exactly as it is, in the working CRS; Z; record number; every
//! value with its type), and are read back a chunk at a time as layers of the input's final fields, as often
//! as the writer needs to pass over them. Memory holds a chunk, whatever the output's size.
//!
//! A file of our own rather than SQLite: the features are written once and read in order, so
//! a length-prefixed record is all the structure needed. Our own geometry encoding rather than
//! WKB, which has no Rect, Triangle or Line and whose reader here drops empty members: a writer
//! must get back what it would have had in memory, or the bytes would differ.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};

use geo_types::{
    Coord, Geometry, GeometryCollection, Line, LineString, MultiLineString, MultiPoint,
    MultiPolygon, Point, Polygon, Rect, Triangle,
};

use super::{ExportError, Profile, Section};
use crate::model::{Feature, Layer, SpatialIndex, Value};
use crate::write::WriteError;

/// Features per chunk read back.
pub const CHUNK: usize = 20_000;

/// The spilled features of a streamed export's inputs.
pub(crate) struct Spill {
    target: PathBuf,
    folder: PathBuf,
    inputs: Vec<Spilled>,
    buf: Vec<u8>,
}

/// One input's features, and how many.
struct Spilled {
    file: BufWriter<File>,
    count: usize,
}

impl Spill {
    /// A spill for an export to `target`, its files in `folder` (the target's, so they are on its
    /// disk).
    pub fn new(target: &Path, folder: &Path) -> Self {
        Spill {
            target: target.to_path_buf(),
            folder: folder.to_path_buf(),
            inputs: Vec::new(),
            buf: Vec::new(),
        }
    }

    fn io_error(&self, e: io::Error) -> ExportError {
        ExportError::Write(WriteError {
            path: self.target.clone(),
            message: e.to_string(),
        })
    }

    /// Keeps the features of section `s` of input number `input` (inputs counted from 0, in
    /// order); returns how many.
    pub fn section(&mut self, input: usize, s: &Section<'_>) -> Result<usize, ExportError> {
        while self.inputs.len() <= input {
            let file = tempfile::tempfile_in(&self.folder).map_err(|e| self.io_error(e))?;
            self.inputs.push(Spilled {
                file: BufWriter::with_capacity(1 << 20, file),
                count: 0,
            });
        }
        for &id in &s.ids {
            self.buf.clear();
            put(&mut self.buf, &s.layer.features[id]);
            let spilled = &mut self.inputs[input];
            spilled.file.write_all(&self.buf).map_err(|e| {
                ExportError::Write(WriteError {
                    path: self.target.clone(),
                    message: e.to_string(),
                })
            })?;
            spilled.count += 1;
        }
        Ok(s.ids.len())
    }

    /// Readies the features to be read back (after the last [`Spill::section`]).
    pub fn close(&mut self) -> Result<(), ExportError> {
        let mut failed = None;
        for input in &mut self.inputs {
            if let Err(e) = input.file.flush() {
                failed = Some(e);
            }
        }
        match failed {
            Some(e) => Err(self.io_error(e)),
            None => Ok(()),
        }
    }

    /// Hands the features of every input (or of input `only`) back in order, [`CHUNK`] at a time, each chunk a
    /// section of `summaries[input]`'s layer (its fields, settings and columns) holding them.
    pub fn each(
        &self,
        summaries: &[Section<'_>],
        profile: Profile,
        only: Option<usize>,
        each: &mut dyn FnMut(usize, &Section<'_>) -> Result<(), ExportError>,
    ) -> Result<(), ExportError> {
        for (i, summary) in summaries.iter().enumerate() {
            let Some(input) = self.inputs.get(i).filter(|_| only.is_none_or(|o| o == i)) else {
                continue;
            };
            let file = input.file.get_ref();
            let mut reader = BufReader::with_capacity(1 << 20, file);
            reader.rewind().map_err(|e| self.io_error(e))?;
            let mut left = input.count;
            while left > 0 {
                let n = left.min(CHUNK);
                let mut features = Vec::with_capacity(n);
                for _ in 0..n {
                    features.push(take(&mut reader).map_err(|e| self.io_error(e))?);
                }
                left -= n;
                let layer = chunk_layer(summary.layer, features);
                let ids = (0..layer.features.len()).collect();
                let section =
                    Section::new(&layer, ids, profile, summary.fields_read_by_filter.clone());
                each(i, &section)?;
            }
        }
        Ok(())
    }
}

/// A layer of `summary`'s name, source, fields and settings holding `features` (no R-tree: the
/// writers do not search).
fn chunk_layer(summary: &Layer, mut features: Vec<Feature>) -> Layer {
    let width = summary.fields.len();
    for f in &mut features {
        f.values.resize(width, Value::Null);
    }
    let mut layer = Layer::with_index(
        summary.name.clone(),
        summary.source.clone(),
        summary.fields.clone(),
        features,
        Vec::new(),
        SpatialIndex::build(&[]),
    );
    layer.meta = summary.meta.clone();
    layer
}

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const TEXT: u8 = 4;
const DATE: u8 = 5;
const JSON: u8 = 6;

/// A feature as one record: its length, the record number, the geometry's WKB (length 0: none),
/// its Z (count, `u32::MAX`: none), the values each with its type.
fn put(out: &mut Vec<u8>, f: &Feature) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&f.record.to_le_bytes());
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    if let Some(g) = &f.geometry {
        put_geometry(out, g);
    }
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    match &f.z {
        Some(z) => {
            out.extend_from_slice(&(z.len() as u32).to_le_bytes());
            for v in z.iter() {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        None => out.extend_from_slice(&u32::MAX.to_le_bytes()),
    }
    out.extend_from_slice(&(f.values.len() as u32).to_le_bytes());
    for v in &f.values {
        let text = |out: &mut Vec<u8>, tag: u8, s: &str| {
            out.push(tag);
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        match v {
            Value::Null => out.push(NULL),
            Value::Bool(b) => out.extend_from_slice(&[BOOL, u8::from(*b)]),
            Value::Int(i) => {
                out.push(INT);
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(x) => {
                out.push(FLOAT);
                out.extend_from_slice(&x.to_le_bytes());
            }
            Value::Text(s) => text(out, TEXT, s),
            Value::Date(s) => text(out, DATE, s),
            Value::Json(s) => text(out, JSON, s),
        }
    }
    let total = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&total.to_le_bytes());
}

/// The next feature [`put`] wrote.
fn take(r: &mut impl Read) -> io::Result<Feature> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len)?;
    let mut record = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut record)?;
    let mut at = Cursor(&record);
    let bad = |what: &str| io::Error::other(format!("a spilled feature lost its {what}"));
    let number = at.u64().ok_or_else(|| bad("record"))?;
    let geometry_len = at.u32().ok_or_else(|| bad("geometry"))? as usize;
    let geometry = match geometry_len {
        0 => None,
        n => {
            let mut g = Cursor(at.bytes(n).ok_or_else(|| bad("geometry"))?);
            Some(take_geometry(&mut g, 0).ok_or_else(|| bad("geometry"))?)
        }
    };
    let z = match at.u32().ok_or_else(|| bad("Z"))? {
        u32::MAX => None,
        n => {
            let mut z = Vec::with_capacity(n as usize);
            for _ in 0..n {
                z.push(at.f64().ok_or_else(|| bad("Z"))?);
            }
            Some(z.into_boxed_slice())
        }
    };
    let count = at.u32().ok_or_else(|| bad("values"))? as usize;
    let mut values = Vec::with_capacity(count);
    for _ in 0..count {
        let tag = at.bytes(1).ok_or_else(|| bad("values"))?[0];
        let mut text = || -> io::Result<String> {
            let n = at.u32().ok_or_else(|| bad("values"))? as usize;
            let bytes = at.bytes(n).ok_or_else(|| bad("values"))?;
            String::from_utf8(bytes.to_vec()).map_err(|_| bad("text"))
        };
        values.push(match tag {
            NULL => Value::Null,
            BOOL => Value::Bool(at.bytes(1).ok_or_else(|| bad("values"))?[0] != 0),
            INT => Value::Int(at.u64().ok_or_else(|| bad("values"))? as i64),
            FLOAT => Value::Float(at.f64().ok_or_else(|| bad("values"))?),
            TEXT => Value::Text(text()?),
            DATE => Value::Date(text()?),
            JSON => Value::Json(text()?),
            _ => return Err(bad("value types")),
        });
    }
    Ok(Feature {
        record: number,
        geometry,
        z,
        values,
    })
}

/// A geometry exactly as it is (its variant, every member, empty ones too): a tag, then counts
/// and coordinates.
fn put_geometry(out: &mut Vec<u8>, g: &Geometry<f64>) {
    fn count(out: &mut Vec<u8>, n: usize) {
        out.extend_from_slice(&(n as u32).to_le_bytes());
    }
    fn coords(out: &mut Vec<u8>, cs: &[Coord<f64>]) {
        count(out, cs.len());
        for c in cs {
            out.extend_from_slice(&c.x.to_le_bytes());
            out.extend_from_slice(&c.y.to_le_bytes());
        }
    }
    fn polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
        count(out, 1 + p.interiors().len());
        coords(out, &p.exterior().0);
        for ring in p.interiors() {
            coords(out, &ring.0);
        }
    }
    match g {
        Geometry::Point(p) => {
            out.push(1);
            coords(out, &[p.0]);
        }
        Geometry::Line(l) => {
            out.push(2);
            coords(out, &[l.start, l.end]);
        }
        Geometry::LineString(l) => {
            out.push(3);
            coords(out, &l.0);
        }
        Geometry::Polygon(p) => {
            out.push(4);
            polygon(out, p);
        }
        Geometry::MultiPoint(m) => {
            out.push(5);
            let cs: Vec<Coord<f64>> = m.0.iter().map(|p| p.0).collect();
            coords(out, &cs);
        }
        Geometry::MultiLineString(m) => {
            out.push(6);
            count(out, m.0.len());
            for l in &m.0 {
                coords(out, &l.0);
            }
        }
        Geometry::MultiPolygon(m) => {
            out.push(7);
            count(out, m.0.len());
            for p in &m.0 {
                polygon(out, p);
            }
        }
        Geometry::GeometryCollection(c) => {
            out.push(8);
            count(out, c.0.len());
            for g in &c.0 {
                put_geometry(out, g);
            }
        }
        Geometry::Rect(r) => {
            out.push(9);
            coords(out, &[r.min(), r.max()]);
        }
        Geometry::Triangle(t) => {
            out.push(10);
            coords(out, &[t.v1(), t.v2(), t.v3()]);
        }
    }
}

/// The geometry [`put_geometry`] wrote (collections nested at most 32 deep, as WKB is read).
fn take_geometry(at: &mut Cursor<'_>, depth: usize) -> Option<Geometry<f64>> {
    fn coords(at: &mut Cursor<'_>) -> Option<Vec<Coord<f64>>> {
        let n = at.u32()? as usize;
        // Never more than the bytes left: a count does not size an allocation on its own.
        let mut out = Vec::with_capacity(n.min(at.0.len() / 16));
        for _ in 0..n {
            out.push(Coord {
                x: at.f64()?,
                y: at.f64()?,
            });
        }
        Some(out)
    }
    fn polygon(at: &mut Cursor<'_>) -> Option<Polygon<f64>> {
        let rings = at.u32()?;
        let exterior = LineString(coords(at)?);
        let mut interiors = Vec::new();
        for _ in 1..rings {
            interiors.push(LineString(coords(at)?));
        }
        Some(Polygon::new(exterior, interiors))
    }
    let tag = at.bytes(1)?[0];
    Some(match tag {
        1 => Geometry::Point(Point(*coords(at)?.first()?)),
        2 => match coords(at)?.as_slice() {
            [a, b] => Geometry::Line(Line::new(*a, *b)),
            _ => return None,
        },
        3 => Geometry::LineString(LineString(coords(at)?)),
        4 => Geometry::Polygon(polygon(at)?),
        5 => Geometry::MultiPoint(MultiPoint(coords(at)?.into_iter().map(Point).collect())),
        6 => {
            let n = at.u32()?;
            let mut lines = Vec::new();
            for _ in 0..n {
                lines.push(LineString(coords(at)?));
            }
            Geometry::MultiLineString(MultiLineString(lines))
        }
        7 => {
            let n = at.u32()?;
            let mut polygons = Vec::new();
            for _ in 0..n {
                polygons.push(polygon(at)?);
            }
            Geometry::MultiPolygon(MultiPolygon(polygons))
        }
        8 if depth < 32 => {
            let n = at.u32()?;
            let mut members = Vec::new();
            for _ in 0..n {
                members.push(take_geometry(at, depth + 1)?);
            }
            Geometry::GeometryCollection(GeometryCollection(members))
        }
        9 => match coords(at)?.as_slice() {
            [min, max] => Geometry::Rect(Rect::new(*min, *max)),
            _ => return None,
        },
        10 => match coords(at)?.as_slice() {
            [a, b, c] => Geometry::Triangle(Triangle::new(*a, *b, *c)),
            _ => return None,
        },
        _ => return None,
    })
}

/// Reads a record's bytes in order.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.bytes(8)?.try_into().ok()?))
    }

    fn f64(&mut self) -> Option<f64> {
        self.u64().map(f64::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{line_string, polygon};

    #[test]
    fn features_come_back_as_they_went() {
        let features = vec![
            Feature {
                record: 7,
                geometry: Some(Geometry::Point(Point::new(139.38, 35.66))),
                z: Some(vec![12.5].into_boxed_slice()),
                values: vec![
                    Value::Null,
                    Value::Bool(true),
                    Value::Int(-42),
                    Value::Int(i64::MAX),
                    Value::Float(0.1),
                    Value::Text("日野市 \"x\"".into()),
                    Value::Date("2026-12-01".into()),
                    Value::Json("{\"a\":1}".into()),
                ],
            },
            Feature {
                record: u64::MAX,
                geometry: None,
                z: None,
                values: Vec::new(),
            },
            Feature {
                record: 0,
                geometry: Some(Geometry::MultiPolygon(MultiPolygon(vec![
                    polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)],
                    Polygon::new(LineString::new(vec![]), vec![]),
                ]))),
                z: None,
                values: vec![Value::Float(f64::NAN), Value::Text(String::new())],
            },
            Feature {
                record: 4,
                geometry: Some(Geometry::GeometryCollection(GeometryCollection(vec![
                    Geometry::Rect(Rect::new((0.0, 1.0), (2.0, 3.0))),
                    Geometry::Triangle(Triangle::new(
                        (0.0, 0.0).into(),
                        (1.0, 0.0).into(),
                        (0.0, 1.0).into(),
                    )),
                    Geometry::Line(Line::new((5.0, 5.0), (6.0, 6.0))),
                    Geometry::MultiPoint(MultiPoint(vec![])),
                    Geometry::MultiLineString(MultiLineString(vec![LineString::new(vec![])])),
                    Geometry::Polygon(polygon![
                        exterior: [(x: 0.0, y: 0.0), (x: 4.0, y: 0.0), (x: 0.0, y: 4.0), (x: 0.0, y: 0.0)],
                        interiors: [[(x: 1.0, y: 1.0), (x: 2.0, y: 1.0), (x: 1.0, y: 2.0), (x: 1.0, y: 1.0)]],
                    ]),
                ]))),
                z: Some(vec![1.0, 2.0].into_boxed_slice()),
                values: vec![],
            },
            Feature {
                record: 3,
                geometry: Some(Geometry::LineString(
                    line_string![(x: 1e-9, y: -1e300), (x: 2.0, y: 3.0)],
                )),
                z: None,
                values: vec![Value::Bool(false)],
            },
        ];
        let mut bytes = Vec::new();
        for f in &features {
            put(&mut bytes, f);
        }
        let mut r = &bytes[..];
        for f in &features {
            let back = take(&mut r).unwrap();
            assert_eq!(back.record, f.record);
            assert_eq!(back.geometry, f.geometry);
            assert_eq!(back.z, f.z);
            assert_eq!(format!("{:?}", back.values), format!("{:?}", f.values));
        }
        assert!(r.is_empty());
        assert!(take(&mut r).is_err());
        // A record cut short is an error, not a wrong feature.
        let mut first = Vec::new();
        put(&mut first, &features[0]);
        let mut cut = &bytes[..first.len() + 10];
        let _ = take(&mut cut).unwrap();
        assert!(take(&mut cut).is_err());
    }
}
