//! GeoJSON: RFC 7946 and the 2008 spec (a `crs` member), FeatureCollection / Feature / bare
//! geometry, a UTF-8 BOM, features whose property sets differ, null geometries, nested
//! properties kept as JSON text, Z kept.
//!
//! The collection is scanned once with each feature kept as raw JSON, then each feature is
//! parsed on its own: a feature that is not valid GeoJSON is skipped with a warning naming it,
//! the rest load.

mod coords;
mod de;
#[cfg(test)]
mod reference;

use std::borrow::Cow;
use std::collections::HashMap;

use geo_types::Geometry;
use rayon::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{CrsHint, Input, LoadOptions, Loader, Parsed, text};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Field, FieldType, Format, Value, Warning};
use coords::Flat;

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
                    .map_init(Flat::default, |flat, (i, raw)| {
                        prepare_raw(i as u64, raw.get(), hint, flat)
                    })
                    .collect();
                builder.features.reserve_exact(prepared.len());
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
                let f = de::feature(json, &mut Flat::default())
                    .map_err(|e| invalid(format!("invalid Feature: {e}")))?;
                match prepare(0, f, None) {
                    Ok(Some(p)) => builder.push(p, &mut warnings),
                    Ok(None) => {}
                    Err(e) => warnings.push(Warning::record(0, e)),
                }
            }
            Some(
                "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
                | "MultiPolygon" | "GeometryCollection",
            ) => {
                let shape =
                    de::geometry(json).map_err(|e| invalid(format!("invalid geometry: {e}")))?;
                let f = de::RawFeature {
                    geometry: Some(shape),
                    ..Default::default()
                };
                match prepare(0, f, None) {
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
struct Builder<'a> {
    names: Vec<String>,
    columns: HashMap<String, usize>,
    /// Unified type of each column so far; `None` while it has only nulls.
    types: Vec<Option<FieldType>>,
    features: Vec<Feature>,
    has_id: bool,
    /// The property names of the last feature pushed and their columns: features of one file
    /// mostly have the same names in the same order, so most features need no lookup.
    last_keys: Vec<Cow<'a, str>>,
    last_columns: Vec<usize>,
    /// `last_columns` is 0, 1, 2, …: values are already in column order.
    last_in_order: bool,
}

impl<'a> Builder<'a> {
    fn column(&mut self, name: &str) -> usize {
        if let Some(&c) = self.columns.get(name) {
            return c;
        }
        self.names.push(name.to_string());
        self.types.push(None);
        self.columns.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    fn push(&mut self, p: Prepared<'a>, warnings: &mut Vec<Warning>) {
        for note in p.notes {
            warnings.push(Warning::record(p.record, note));
        }
        if p.keys != self.last_keys {
            let columns: Vec<usize> = p.keys.iter().map(|k| self.column(k)).collect();
            self.last_in_order = columns.iter().enumerate().all(|(i, &c)| i == c);
            self.last_columns = columns;
            self.last_keys = p.keys;
        }
        let width = self.names.len();
        let mut values = if self.last_in_order {
            p.values
        } else {
            let mut values = vec![Value::Null; width];
            for (&c, value) in self.last_columns.iter().zip(p.values) {
                values[c] = value;
            }
            values
        };
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
        for (t, value) in self.types.iter_mut().zip(&values) {
            if let Some(v) = value.field_type() {
                *t = Some(t.map_or(v, |t| t.unify(v)));
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
            .zip(self.types)
            .map(|(name, t)| Field {
                name,
                // A column of nulls is text.
                field_type: t.unwrap_or(FieldType::Text),
            })
            .collect();
        (fields, self.features)
    }
}

/// One feature parsed and converted, ready for the table.
struct Prepared<'a> {
    record: u64,
    geometry: Option<Geometry<f64>>,
    z: Option<Box<[f64]>>,
    /// Property names (borrowed from the file when they have no escapes) and their values.
    keys: Vec<Cow<'a, str>>,
    values: Vec<Value>,
    id: Option<Value>,
    /// Repairs made while converting the geometry.
    notes: Vec<String>,
}

/// Parses one raw feature. `Ok(None)`: outside the bbox hint. `Err`: the warning to report.
fn prepare_raw<'a>(
    record: u64,
    raw: &'a str,
    hint: Option<Envelope>,
    flat: &mut Flat,
) -> Result<Option<Prepared<'a>>, String> {
    match de::feature(raw, flat) {
        Ok(f) if f.kind.as_deref() == Some("Feature") => prepare(record, f, hint),
        Ok(f) => Err(format!(
            "type is {:?}, not \"Feature\"; skipped",
            f.kind.unwrap_or_default()
        )),
        Err(e) => Err(format!("not a valid feature ({e}); skipped")),
    }
}

fn prepare<'a>(
    record: u64,
    f: de::RawFeature<'a>,
    hint: Option<Envelope>,
) -> Result<Option<Prepared<'a>>, String> {
    let mut notes = Vec::new();
    let (geometry, z) = match f.geometry {
        None => (None, None),
        Some(Ok(de::Shape { geometry, extras })) => {
            if extras.unclosed > 0 {
                notes.push(format!(
                    "{} polygon ring(s) not closed (RFC 7946 requires it); closed them",
                    extras.unclosed
                ));
            }
            let z = (extras.all_z && !extras.z.is_empty()).then(|| extras.z.into_boxed_slice());
            (Some(geometry), z)
        }
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
        keys: f.keys,
        values: f.values,
        id: f.id,
        notes,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(json: &str) -> Parsed {
        let input = Input::from_bytes("t.geojson", json.as_bytes().to_vec());
        GeoJsonLoader
            .load(&input, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn differing_property_sets_make_one_table() {
        let p = load(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"a":1,"b":"x"},"geometry":null},
            {"type":"Feature","properties":{"a":1,"b":"y"},"geometry":null},
            {"type":"Feature","properties":{"b":"z","c":null,"a":2.5},"geometry":null},
            {"type":"Feature","id":9,"properties":{"a":3,"a":4,"d":true},"geometry":null},
            {"type":"Feature","properties":{"a":1,"b":2},"geometry":null}
        ]}"#,
        );
        let fields: Vec<(&str, FieldType)> = p
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.field_type))
            .collect();
        assert_eq!(
            fields,
            [
                ("a", FieldType::Float),
                ("b", FieldType::Text),
                ("c", FieldType::Text),
                ("d", FieldType::Bool),
                ("id", FieldType::Int)
            ]
        );
        let values: Vec<&[Value]> = p.features.iter().map(|f| f.values.as_slice()).collect();
        use Value::{Bool, Float, Int, Null, Text};
        assert_eq!(
            values[..4],
            [
                &[Int(1), Text("x".into()), Null, Null, Null][..],
                &[Int(1), Text("y".into()), Null, Null, Null],
                &[Float(2.5), Text("z".into()), Null, Null, Null],
                &[Int(4), Null, Null, Bool(true), Int(9)],
            ]
        );
        assert_eq!(values[4][1], Int(2));
    }

    #[test]
    fn a_bad_feature_is_skipped_by_record_and_the_rest_load() {
        let p = load(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"n":1},"geometry":{"type":"Point","coordinates":[139.4,35.7,12]}},
            {"type":"Feature","properties":{"n":2},"geometry":{"type":"Point","coordinates":[139.4,"x"]}},
            {"type":"Fe","properties":{"n":3},"geometry":null},
            {"type":"Feature","properties":{"n":4},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}
        ]}"#,
        );
        let records: Vec<u64> = p.features.iter().map(|f| f.record).collect();
        assert_eq!(records, [0, 3]);
        assert_eq!(p.features[0].z.as_deref(), Some(&[12.0][..]));
        let warnings: Vec<(Option<u64>, &str)> = p
            .warnings
            .iter()
            .map(|w| (w.record, w.message.as_str()))
            .collect();
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].1.starts_with("not a valid feature (") && warnings[0].0 == Some(1));
        assert_eq!(
            warnings[1],
            (Some(2), "type is \"Fe\", not \"Feature\"; skipped")
        );
        assert_eq!(
            warnings[2],
            (
                Some(3),
                "1 polygon ring(s) not closed (RFC 7946 requires it); closed them"
            )
        );
        assert_eq!(p.record_count, 4);
    }
}
