//! RFC 7946 GeoJSON, streamed: WGS84 lon/lat, no `crs` member, exterior rings counter-clockwise
//! and holes clockwise, coordinates rounded to `precision` decimals (trailing zeros dropped),
//! UTF-8 without BOM, property types kept (numbers stay numbers, null stays null), Z kept as the
//! third position value. Provenance travels as a foreign member of the collection (§6.1).

use std::io::{self, Write};

use geo_types::{Coord, Geometry, LineString, Polygon};

use super::Section;
use crate::model::Value;

/// Writes one FeatureCollection of every section's selected features.
pub fn write(
    w: &mut impl Write,
    sections: &[Section<'_>],
    precision: usize,
    provenance: Option<&serde_json::Value>,
) -> io::Result<usize> {
    head(w, provenance)?;
    let mut features = FeatureWriter::new(precision);
    for section in sections {
        features.section(w, section)?;
    }
    tail(w)?;
    Ok(features.written)
}

/// The collection's opening, with the provenance, up to the features.
pub(crate) fn head(w: &mut impl Write, provenance: Option<&serde_json::Value>) -> io::Result<()> {
    w.write_all(b"{\"type\":\"FeatureCollection\"")?;
    if let Some(p) = provenance {
        w.write_all(b",\"provenance\":")?;
        serde_json::to_writer(&mut *w, p)?;
    }
    w.write_all(b",\"features\":[")
}

/// The collection's end, after the features.
pub(crate) fn tail(w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"\n]}\n")
}

/// Writes features, section after section (a streamed export gives them a piece at a time).
pub(crate) struct FeatureWriter {
    coords: CoordWriter,
    /// Features written so far.
    pub written: usize,
}

impl FeatureWriter {
    pub fn new(precision: usize) -> Self {
        FeatureWriter {
            coords: CoordWriter {
                precision,
                buf: String::with_capacity(32),
            },
            written: 0,
        }
    }

    /// Writes the section's selected features: text made on every core a run of features at
    /// a time, written in order.
    pub fn section(&mut self, w: &mut impl Write, section: &Section<'_>) -> io::Result<()> {
        use rayon::prelude::*;
        const RUN: usize = 4096;
        if section.ids.len() <= RUN {
            return self.section_run(w, section, &section.ids);
        }
        let precision = self.coords.precision;
        let first = self.written;
        let texts: Vec<io::Result<Vec<u8>>> = section
            .ids
            .par_chunks(RUN)
            .enumerate()
            .map(|(k, ids)| {
                let mut run = FeatureWriter::new(precision);
                // Only the collection's first feature goes without a comma before it.
                run.written = first + k;
                let mut text = Vec::with_capacity(ids.len() * 256);
                run.section_run(&mut text, section, ids)?;
                Ok(text)
            })
            .collect();
        for text in texts {
            w.write_all(&text?)?;
        }
        self.written += section.ids.len();
        Ok(())
    }

    /// Writes the features `ids` of the section, one after the other.
    fn section_run(
        &mut self,
        w: &mut impl Write,
        section: &Section<'_>,
        ids: &[usize],
    ) -> io::Result<()> {
        let layer = section.layer;
        let names: Vec<String> = section
            .columns
            .iter()
            .map(|&c| serde_json::to_string(&layer.fields[c].name))
            .collect::<Result<_, _>>()?;
        for &id in ids {
            let feature = &layer.features[id];
            w.write_all(if self.written == 0 { b"\n" } else { b",\n" })?;
            w.write_all(b"{\"type\":\"Feature\",\"properties\":{")?;
            for (k, (&c, name)) in section.columns.iter().zip(&names).enumerate() {
                if k > 0 {
                    w.write_all(b",")?;
                }
                w.write_all(name.as_bytes())?;
                w.write_all(b":")?;
                value(w, feature.values.get(c).unwrap_or(&Value::Null))?;
            }
            w.write_all(b"},\"geometry\":")?;
            match &feature.geometry {
                Some(g) => {
                    let mut z = ZCursor {
                        z: feature.z.as_deref(),
                        at: 0,
                    };
                    self.coords.geometry(w, g, &mut z)?;
                }
                None => w.write_all(b"null")?,
            }
            w.write_all(b"}")?;
            self.written += 1;
        }
        Ok(())
    }
}

fn value(w: &mut impl Write, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => w.write_all(b"null"),
        Value::Bool(b) => w.write_all(if *b { b"true" } else { b"false" }),
        Value::Int(i) => write!(w, "{i}"),
        Value::Float(f) if f.is_finite() => {
            serde_json::to_writer(&mut *w, f).map_err(io::Error::from)
        }
        Value::Float(_) => w.write_all(b"null"),
        Value::Text(s) | Value::Date(s) => {
            serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
        }
        // Kept as compact JSON at load; re-checked so a bad value cannot break the file.
        Value::Json(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => serde_json::to_writer(&mut *w, &j).map_err(io::Error::from),
            Err(_) => serde_json::to_writer(&mut *w, s).map_err(io::Error::from),
        },
    }
}

/// Walks the Z values in the geometry's coordinate order.
struct ZCursor<'a> {
    z: Option<&'a [f64]>,
    at: usize,
}

impl ZCursor<'_> {
    /// The Z of the ring's coordinates, for a ring of `len` coordinates starting here.
    fn take(&mut self, len: usize) -> Option<&[f64]> {
        let z = self.z?.get(self.at..self.at + len);
        self.at += len;
        z
    }
}

struct CoordWriter {
    precision: usize,
    buf: String,
}

impl CoordWriter {
    /// The shortest text that reads back as `v` when it has at most `precision` decimals,
    /// else `v` rounded to `precision` decimals with trailing zeros dropped.
    fn number(&mut self, w: &mut impl Write, v: f64) -> io::Result<()> {
        use std::fmt::Write as _;
        if !v.is_finite() {
            // JSON has no NaN: such a coordinate is written as null so the file stays valid.
            return w.write_all(b"null");
        }
        self.buf.clear();
        // Below this size a double's spacing is under a tenth of the last decimal kept, so
        // rounding it to `precision` decimals already gives its shortest text whenever that
        // text has no more decimals (zeros trimmed): one formatting instead of two.
        let rounding_is_shortest =
            v.abs() < (2f64.powi(52) / 10f64.powi(self.precision as i32)) / 10.0;
        let shortest_fits = !rounding_is_shortest && {
            let _ = write!(self.buf, "{v}");
            let decimals = self.buf.find('.').map_or(0, |dot| self.buf.len() - dot - 1);
            decimals <= self.precision
        };
        if !shortest_fits {
            self.buf.clear();
            let _ = write!(self.buf, "{:.*}", self.precision, v);
            if self.buf.contains('.') {
                let trimmed = self.buf.trim_end_matches('0').trim_end_matches('.').len();
                self.buf.truncate(trimmed);
            }
        }
        if self.buf == "-0" {
            self.buf.truncate(0);
            self.buf.push('0');
        }
        w.write_all(self.buf.as_bytes())
    }

    fn position(&mut self, w: &mut impl Write, c: Coord<f64>, z: Option<f64>) -> io::Result<()> {
        w.write_all(b"[")?;
        self.number(w, c.x)?;
        w.write_all(b",")?;
        self.number(w, c.y)?;
        if let Some(z) = z {
            w.write_all(b",")?;
            self.number(w, z)?;
        }
        w.write_all(b"]")
    }

    fn line(
        &mut self,
        w: &mut impl Write,
        line: &LineString<f64>,
        z: &mut ZCursor,
        reverse: bool,
    ) -> io::Result<()> {
        let zs = z.take(line.0.len());
        w.write_all(b"[")?;
        let n = line.0.len();
        for k in 0..n {
            let i = if reverse { n - 1 - k } else { k };
            if k > 0 {
                w.write_all(b",")?;
            }
            self.position(w, line.0[i], zs.map(|zs| zs[i]))?;
        }
        w.write_all(b"]")
    }

    fn polygon(&mut self, w: &mut impl Write, p: &Polygon<f64>, z: &mut ZCursor) -> io::Result<()> {
        w.write_all(b"[")?;
        // RFC 7946 §3.1.6: exterior counter-clockwise, holes clockwise.
        self.line(w, p.exterior(), z, signed_area(p.exterior()) < 0.0)?;
        for hole in p.interiors() {
            w.write_all(b",")?;
            self.line(w, hole, z, signed_area(hole) > 0.0)?;
        }
        w.write_all(b"]")
    }

    fn geometry(
        &mut self,
        w: &mut impl Write,
        g: &Geometry<f64>,
        z: &mut ZCursor,
    ) -> io::Result<()> {
        match g {
            Geometry::Point(p) => {
                w.write_all(b"{\"type\":\"Point\",\"coordinates\":")?;
                let zs = z.take(1).map(|s| s[0]);
                self.position(w, p.0, zs)?;
            }
            Geometry::MultiPoint(mp) => {
                w.write_all(b"{\"type\":\"MultiPoint\",\"coordinates\":[")?;
                let zs = z.take(mp.0.len());
                for (k, p) in mp.0.iter().enumerate() {
                    if k > 0 {
                        w.write_all(b",")?;
                    }
                    self.position(w, p.0, zs.map(|s| s[k]))?;
                }
                w.write_all(b"]")?;
            }
            Geometry::LineString(l) => {
                w.write_all(b"{\"type\":\"LineString\",\"coordinates\":")?;
                self.line(w, l, z, false)?;
            }
            Geometry::MultiLineString(ml) => {
                w.write_all(b"{\"type\":\"MultiLineString\",\"coordinates\":[")?;
                for (k, l) in ml.0.iter().enumerate() {
                    if k > 0 {
                        w.write_all(b",")?;
                    }
                    self.line(w, l, z, false)?;
                }
                w.write_all(b"]")?;
            }
            Geometry::Polygon(p) => {
                w.write_all(b"{\"type\":\"Polygon\",\"coordinates\":")?;
                self.polygon(w, p, z)?;
            }
            Geometry::MultiPolygon(mp) => {
                w.write_all(b"{\"type\":\"MultiPolygon\",\"coordinates\":[")?;
                for (k, p) in mp.0.iter().enumerate() {
                    if k > 0 {
                        w.write_all(b",")?;
                    }
                    self.polygon(w, p, z)?;
                }
                w.write_all(b"]")?;
            }
            Geometry::GeometryCollection(gc) => {
                w.write_all(b"{\"type\":\"GeometryCollection\",\"geometries\":[")?;
                for (k, g) in gc.0.iter().enumerate() {
                    if k > 0 {
                        w.write_all(b",")?;
                    }
                    self.geometry(w, g, z)?;
                }
                w.write_all(b"]")?;
            }
            Geometry::Line(l) => {
                return self.geometry(w, &LineString::from(vec![l.start, l.end]).into(), z);
            }
            Geometry::Rect(r) => return self.geometry(w, &r.to_polygon().into(), z),
            Geometry::Triangle(t) => return self.geometry(w, &t.to_polygon().into(), z),
        }
        w.write_all(b"}")
    }
}

/// Twice the signed area (shoelace): positive for counter-clockwise.
fn signed_area(ring: &LineString<f64>) -> f64 {
    ring.0
        .windows(2)
        .map(|p| p[0].x * p[1].y - p[1].x * p[0].y)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::CoordWriter;

    /// The rule as first written: the shortest text, else rounded to `precision` decimals.
    fn two_step(v: f64, precision: usize) -> String {
        let mut s = format!("{v}");
        let decimals = s.find('.').map_or(0, |dot| s.len() - dot - 1);
        if decimals > precision {
            s = format!("{v:.precision$}");
            if s.contains('.') {
                s = s.trim_end_matches('0').trim_end_matches('.').to_string();
            }
        }
        if s == "-0" { "0".into() } else { s }
    }

    fn written(v: f64, precision: usize) -> String {
        let mut w = CoordWriter {
            precision,
            buf: String::new(),
        };
        let mut out = Vec::new();
        w.number(&mut out, v).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn one_formatting_writes_what_the_two_step_rule_writes() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5e-7,
            1.5e-7,
            -4e-8,
            1.000_000_05,
            139.123_456_75,
            35.000_000_049_999,
            1e12 + 0.000_122,
            4.5e8 + 0.1,
            2.25e8,
            1e300,
            -1e-300,
        ];
        for _ in 0..200_000 {
            let r = next();
            // Coordinates of every size, ties at the last decimal, and raw bit patterns.
            let unit = (r >> 11) as f64 / (1u64 << 53) as f64;
            values.push((unit - 0.5) * 360.0);
            values.push(((unit * 1e9).round() / 1e8) + 0.000_000_05);
            values.push((unit - 0.5) * 10f64.powi((r % 24) as i32 - 8));
            let bits = f64::from_bits(next());
            if bits.is_finite() {
                values.push(bits);
            }
        }
        for v in values {
            for precision in [0, 1, 6, 7, 8, 9, 15] {
                assert_eq!(
                    written(v, precision),
                    two_step(v, precision),
                    "{v:e} at {precision}"
                );
            }
        }
    }
}
