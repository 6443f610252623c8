//! GeoJSON: RFC 7946 and the 2008 spec (a `crs` member), FeatureCollection / Feature / bare
//! geometry, a UTF-8 BOM, features whose property sets differ, null geometries, nested
//! properties kept as JSON text, Z kept.
//!
//! The collection is scanned once with each feature kept as raw JSON, then each feature is
//! parsed on its own: a feature that is not valid GeoJSON is skipped with a warning naming it,
//! the rest load.

use std::collections::HashMap;

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use geojson::{GeometryValue, Position};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{CrsHint, Input, LoadOptions, Loader, Parsed, text};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Field, FieldType, Format, Value, Warning};
use rayon::prelude::*;

pub struct GeoJsonLoader;

#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    crs: Option<serde_json::Value>,
    /// Foreign member `"sample": true`: fictional stand-in data (sitelens's own sample layers).
    #[serde(default)]
    sample: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawFeature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    geometry: Option<geojson::Geometry>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

impl Loader for GeoJsonLoader {
    fn format(&self) -> Format {
        Format::GeoJson
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["geojson", "json"]
    }

    fn check_head(&self, _ext: &str, head: &[u8]) -> Result<(), String> {
        let (body, _) = text::strip_utf8_bom(head);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') | None => Ok(()),
            Some(&b) => Err(format!(
                "not GeoJSON: a GeoJSON file starts with '{{', this one with byte 0x{b:02X}"
            )),
        }
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let invalid = |m: String| LoadError::new(&path, LoadErrorKind::Invalid(m));
        let (bytes, bom) = text::strip_utf8_bom(&input.bytes);
        let decoded;
        let (json, encoding): (&str, _) = match options.encoding.as_deref() {
            Some(label) => {
                let enc = text::encoding_for_label(label).ok_or_else(|| {
                    LoadError::new(
                        &path,
                        LoadErrorKind::Encoding(format!("unknown encoding '{label}'")),
                    )
                })?;
                decoded = text::decode_strict(bytes, enc).ok_or_else(|| {
                    LoadError::new(
                        &path,
                        LoadErrorKind::Encoding(format!(
                            "the file is not valid {}",
                            text::display_name(enc)
                        )),
                    )
                })?;
                (&decoded, text::chosen(enc, "user"))
            }
            None => {
                let s = std::str::from_utf8(bytes).map_err(|e| {
                    let hint = if text::decode_strict(bytes, encoding_rs::SHIFT_JIS).is_some() {
                        "; it decodes as CP932: convert it to UTF-8 or pass --encoding cp932"
                    } else {
                        ""
                    };
                    LoadError::new(
                        &path,
                        LoadErrorKind::Encoding(format!(
                            "not UTF-8 (RFC 8259 requires it): invalid byte at offset {}{hint}",
                            e.valid_up_to()
                        )),
                    )
                })?;
                (
                    s,
                    text::chosen(encoding_rs::UTF_8, if bom { "bom" } else { "rfc" }),
                )
            }
        };

        let top: Top =
            serde_json::from_str(json).map_err(|e| invalid(format!("invalid JSON: {e}")))?;
        let mut warnings = Vec::new();
        if bom {
            warnings.push(Warning::file(
                "UTF-8 byte-order mark ignored (RFC 7946 forbids it)",
            ));
        }
        let crs = crs_hint(top.crs.as_ref(), &mut warnings);
        let mut builder = Builder::default();
        let mut record_count = 1;
        match top.kind.as_deref() {
            Some("FeatureCollection") => {
                let raw_features = top.features.unwrap_or_default();
                record_count = raw_features.len();
                // Only a file in lon/lat can be matched against the (lon/lat) bbox hint here.
                let hint = match (&crs, &options.crs) {
                    (CrsHint::Rfc7946, None) => options.bbox_hint,
                    _ => None,
                };
                // Features parse independently: on every core.
                let prepared: Vec<Result<Option<Prepared>, String>> = raw_features
                    .par_iter()
                    .enumerate()
                    .map(|(i, raw)| prepare_raw(i as u64, raw.get(), hint))
                    .collect();
                drop(raw_features);
                for (i, outcome) in prepared.into_iter().enumerate() {
                    match outcome {
                        Ok(Some(p)) => builder.push(p, &mut warnings),
                        Ok(None) => {}
                        Err(e) => warnings.push(Warning::record(i as u64, e)),
                    }
                }
            }
            Some("Feature") => {
                let f: RawFeature = serde_json::from_str(json)
                    .map_err(|e| invalid(format!("invalid Feature: {e}")))?;
                match prepare(0, f.geometry, f.properties, f.id, None) {
                    Ok(Some(p)) => builder.push(p, &mut warnings),
                    Ok(None) => {}
                    Err(e) => warnings.push(Warning::record(0, e)),
                }
            }
            Some(
                "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
                | "MultiPolygon" | "GeometryCollection",
            ) => {
                let g: geojson::Geometry = serde_json::from_str(json)
                    .map_err(|e| invalid(format!("invalid geometry: {e}")))?;
                match prepare(0, Some(g), None, None, None) {
                    Ok(Some(p)) => builder.push(p, &mut warnings),
                    Ok(None) => {}
                    Err(e) => warnings.push(Warning::record(0, e)),
                }
            }
            Some(other) => {
                return Err(invalid(format!(
                    "GeoJSON type \"{other}\" is not a FeatureCollection, Feature or geometry"
                )));
            }
            None => {
                return Err(invalid(
                    "not GeoJSON: the top-level object has no \"type\"".into(),
                ));
            }
        }
        let (fields, features) = builder.finish();
        Ok(Parsed {
            fields,
            features,
            warnings,
            encoding: Some(encoding),
            crs,
            record_count,
            sample: top.sample == Some(serde_json::Value::Bool(true)),
        })
    }
}

/// The 2008 spec's `crs` member: {"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::6677"}}
/// or {"type":"EPSG","properties":{"code":6677}}.
fn crs_hint(crs: Option<&serde_json::Value>, warnings: &mut Vec<Warning>) -> CrsHint {
    let Some(crs) = crs.filter(|c| !c.is_null()) else {
        return CrsHint::Rfc7946;
    };
    let props = crs.get("properties");
    let definition = match crs.get("type").and_then(|t| t.as_str()) {
        Some("name") => props
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
            .map(str::to_string),
        Some("EPSG") => props
            .and_then(|p| p.get("code"))
            .map(|c| format!("EPSG:{}", c.as_str().map_or(c.to_string(), str::to_string))),
        _ => None,
    };
    match definition {
        Some(definition) => CrsHint::Stated {
            definition,
            decided_by: "geojson crs member",
        },
        None => {
            warnings.push(Warning::file(format!(
                "crs member not understood ({crs}); ignored"
            )));
            CrsHint::Rfc7946
        }
    }
}

/// Collects features whose property sets differ into one table: columns in order of first
/// appearance, missing values null, types unified over the column.
#[derive(Default)]
struct Builder {
    names: Vec<String>,
    columns: HashMap<String, usize>,
    features: Vec<Feature>,
    has_id: bool,
}

impl Builder {
    fn column(&mut self, name: &str) -> usize {
        if let Some(&c) = self.columns.get(name) {
            return c;
        }
        self.names.push(name.to_string());
        self.columns.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    fn push(&mut self, mut p: Prepared, warnings: &mut Vec<Warning>) {
        for note in p.notes.drain(..) {
            warnings.push(Warning::record(p.record, note));
        }
        let mut values = vec![Value::Null; self.names.len()];
        for (key, value) in p.properties {
            let c = self.column(&key);
            if c >= values.len() {
                values.resize(c + 1, Value::Null);
            }
            values[c] = value;
        }
        // A feature id becomes the field "id" unless a property has that name (as GDAL does).
        if let Some(id) = p.id
            && (!self.columns.contains_key("id") || self.has_id)
        {
            self.has_id = true;
            let c = self.column("id");
            if c >= values.len() {
                values.resize(c + 1, Value::Null);
            }
            if values[c].is_null() {
                values[c] = id;
            }
        }
        self.features.push(Feature {
            record: p.record,
            geometry: p.geometry,
            z: p.z,
            values,
        });
    }

    fn finish(mut self) -> (Vec<Field>, Vec<Feature>) {
        let width = self.names.len();
        for f in &mut self.features {
            f.values.resize(width, Value::Null);
        }
        let fields = self
            .names
            .into_iter()
            .enumerate()
            .map(|(c, name)| Field {
                name,
                field_type: FieldType::infer(self.features.iter().map(|f| &f.values[c])),
            })
            .collect();
        (fields, self.features)
    }
}

/// One feature parsed and converted, ready for the table.
struct Prepared {
    record: u64,
    geometry: Option<Geometry<f64>>,
    z: Option<Box<[f64]>>,
    properties: Vec<(String, Value)>,
    id: Option<Value>,
    /// Repairs made while converting the geometry.
    notes: Vec<String>,
}

/// Parses one raw feature. `Ok(None)`: outside the bbox hint. `Err`: the warning to report.
fn prepare_raw(record: u64, raw: &str, hint: Option<Envelope>) -> Result<Option<Prepared>, String> {
    match serde_json::from_str::<RawFeature>(raw) {
        Ok(f) if f.kind.as_deref() == Some("Feature") => {
            prepare(record, f.geometry, f.properties, f.id, hint)
        }
        Ok(f) => Err(format!(
            "type is {:?}, not \"Feature\"; skipped",
            f.kind.unwrap_or_default()
        )),
        Err(e) => Err(format!("not a valid feature ({e}); skipped")),
    }
}

fn prepare(
    record: u64,
    geometry: Option<geojson::Geometry>,
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    id: Option<serde_json::Value>,
    hint: Option<Envelope>,
) -> Result<Option<Prepared>, String> {
    let mut notes = Vec::new();
    let (geometry, z) = match geometry.map(|g| convert(&g.value, &mut notes)) {
        None => (None, None),
        Some(Ok((g, z))) => (Some(g), z),
        Some(Err(e)) => return Err(format!("invalid geometry ({e}); feature skipped")),
    };
    if let Some(h) = hint {
        let meets = geometry.as_ref().and_then(Envelope::of).is_some_and(|e| {
            !(e.max_x < h.min_x || e.min_x > h.max_x || e.max_y < h.min_y || e.min_y > h.max_y)
        });
        if !meets {
            return Ok(None);
        }
    }
    Ok(Some(Prepared {
        record,
        geometry,
        z,
        properties: properties
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, json_value(v)))
            .collect(),
        id: id.filter(|v| !v.is_null()).map(json_value),
        notes,
    }))
}

fn json_value(v: serde_json::Value) -> Value {
    use serde_json::Value as J;
    match v {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => n.as_f64().map_or(Value::Null, Value::Float),
        },
        J::String(s) => Value::Text(s),
        nested @ (J::Array(_) | J::Object(_)) => Value::Json(nested.to_string()),
    }
}

/// Geometry and Z (when every position has one), in coordinate order.
/// A geometry with the Z of each coordinate, when the source had Z everywhere.
type WithZ = (Geometry<f64>, Option<Box<[f64]>>);

/// Converts a geometry; `notes` gets what was repaired (rings closed).
fn convert(value: &GeometryValue, notes: &mut Vec<String>) -> Result<WithZ, String> {
    let mut sink = Coords {
        z: Vec::new(),
        all_z: true,
        unclosed: 0,
    };
    let g = sink.geometry(value)?;
    if sink.unclosed > 0 {
        notes.push(format!(
            "{} polygon ring(s) not closed (RFC 7946 requires it); closed them",
            sink.unclosed
        ));
    }
    Ok((
        g,
        (sink.all_z && !sink.z.is_empty()).then(|| sink.z.into_boxed_slice()),
    ))
}

/// Converts positions, collecting Z on the way.
struct Coords {
    z: Vec<f64>,
    all_z: bool,
    unclosed: usize,
}

impl Coords {
    fn pos(&mut self, p: &Position) -> Result<Coord<f64>, String> {
        let s = p.as_slice();
        if s.len() < 2 {
            return Err(format!("position with {} number(s)", s.len()));
        }
        match s.get(2) {
            Some(&v) => self.z.push(v),
            None => self.all_z = false,
        }
        Ok(Coord { x: s[0], y: s[1] })
    }

    fn line(&mut self, ps: &[Position]) -> Result<LineString<f64>, String> {
        ps.iter()
            .map(|p| self.pos(p))
            .collect::<Result<Vec<_>, _>>()
            .map(LineString::new)
    }

    fn polygon(&mut self, rings: &[Vec<Position>]) -> Result<Polygon<f64>, String> {
        self.unclosed += rings
            .iter()
            .filter(|r| {
                r.len() > 1 && r.first().map(|p| p.as_slice()) != r.last().map(|p| p.as_slice())
            })
            .count();
        let mut rings = rings.iter();
        let exterior = match rings.next() {
            Some(r) => self.line(r)?,
            None => LineString::new(vec![]),
        };
        let interiors = rings.map(|r| self.line(r)).collect::<Result<_, _>>()?;
        Ok(Polygon::new(exterior, interiors))
    }

    fn geometry(&mut self, value: &GeometryValue) -> Result<Geometry<f64>, String> {
        Ok(match value {
            GeometryValue::Point { coordinates } => Point(self.pos(coordinates)?).into(),
            GeometryValue::MultiPoint { coordinates } => MultiPoint(
                coordinates
                    .iter()
                    .map(|p| self.pos(p).map(Point))
                    .collect::<Result<_, _>>()?,
            )
            .into(),
            GeometryValue::LineString { coordinates } => self.line(coordinates)?.into(),
            GeometryValue::MultiLineString { coordinates } => MultiLineString(
                coordinates
                    .iter()
                    .map(|l| self.line(l))
                    .collect::<Result<_, _>>()?,
            )
            .into(),
            GeometryValue::Polygon { coordinates } => self.polygon(coordinates)?.into(),
            GeometryValue::MultiPolygon { coordinates } => MultiPolygon(
                coordinates
                    .iter()
                    .map(|p| self.polygon(p))
                    .collect::<Result<_, _>>()?,
            )
            .into(),
            GeometryValue::GeometryCollection { geometries } => {
                Geometry::GeometryCollection(GeometryCollection(
                    geometries
                        .iter()
                        .map(|g| self.geometry(&g.value))
                        .collect::<Result<_, _>>()?,
                ))
            }
        })
    }
}
