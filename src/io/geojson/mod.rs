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
mod split;
pub mod stream;
mod table;

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;
use serde::Deserialize;
use serde_json::error::Category;
use serde_json::value::RawValue;

use super::{Input, LoadOptions, Loader, Parsed, text};
use crate::crs::{CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Format, Warning};
use de::Scratch;
use split::Members;
use table::{Outcome, Prepared, Unusual};

pub struct GeoJsonLoader;

/// The top-level members as serde_json reads them, for what [`split`] leaves to it.
#[derive(Deserialize)]
struct Top<'a> {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(borrow, default)]
    features: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    crs: Option<serde_json::Value>,
    #[serde(default)]
    sample: Option<serde_json::Value>,
}

impl<'a> From<Top<'a>> for Members<'a> {
    fn from(top: Top<'a>) -> Self {
        Members {
            kind: top.kind,
            features: top
                .features
                .map(|f| f.into_iter().map(RawValue::get).collect()),
            crs: top.crs,
            sample: top.sample,
        }
    }
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
                        "; it decodes as CP932: convert it to UTF-8 or set its encoding to cp932"
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

        // The whole file through serde_json: for files of another shape, and for the canonical
        // error of a malformed one.
        let parse_whole =
            || serde_json::from_str::<Top>(json).map_err(|e| invalid(format!("invalid JSON: {e}")));
        let top = match split::split(json) {
            Some(members) => members,
            None => parse_whole()?.into(),
        };
        let mut warnings = Vec::new();
        if bom {
            warnings.push(Warning::file(
                "UTF-8 byte-order mark ignored (RFC 7946 forbids it)",
            ));
        }
        let crs = crs_hint(top.crs.as_ref(), &mut warnings);
        let mut record_count = 1;
        let mut scratch = Scratch::default();
        let (common, outcomes) = match top.kind.as_deref() {
            Some("FeatureCollection") => {
                let raw_features = top.features.unwrap_or_default();
                record_count = raw_features.len();
                // Only a file in lon/lat can be matched against the (lon/lat) bbox hint here.
                let hint = match (&crs, &options.crs) {
                    (CrsHint::Rfc7946, None) => options.bbox_hint,
                    _ => None,
                };
                let common = common_names(&raw_features);
                // Features parse independently: on every core.
                let malformed = AtomicBool::new(false);
                let outcomes: Vec<Outcome> = raw_features
                    .par_iter()
                    .enumerate()
                    .map_init(Scratch::default, |scratch, (i, raw)| {
                        prepare_raw(i as u64, raw, hint, &common, scratch, &malformed)
                    })
                    .collect();
                // JSON syntax errors inside a feature: some make the file malformed (serde_json
                // says so, and where), others (nesting too deep) only that feature.
                if malformed.into_inner() {
                    parse_whole()?;
                }
                (common, outcomes)
            }
            // Malformed JSON (which split lets through in a `features` member) is said as such.
            Some("Feature") => {
                let f = match de::feature(json, &mut scratch) {
                    Ok(f) => f,
                    Err(e) => {
                        parse_whole()?;
                        return Err(invalid(format!("invalid Feature: {e}")));
                    }
                };
                (Vec::new(), vec![prepare(0, f, &scratch.keys, &[], None)])
            }
            Some(
                "Point" | "MultiPoint" | "LineString" | "MultiLineString" | "Polygon"
                | "MultiPolygon" | "GeometryCollection",
            ) => {
                let shape = match de::geometry(json) {
                    Ok(shape) => shape,
                    Err(e) => {
                        parse_whole()?;
                        return Err(invalid(format!("invalid geometry: {e}")));
                    }
                };
                let f = de::RawFeature {
                    geometry: Some(shape),
                    ..Default::default()
                };
                (Vec::new(), vec![prepare(0, f, &[], &[], None)])
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
        };
        let (fields, features) = table::build(&common, outcomes, &mut warnings);
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
            decided_by: DecidedBy::GeoJsonCrsMember,
        },
        None => {
            warnings.push(Warning::file(format!(
                "crs member not understood ({crs}); ignored"
            )));
            CrsHint::Rfc7946
        }
    }
}

/// The property names of the first feature, which most files repeat in every feature.
fn common_names<'a>(features: &[&'a str]) -> Vec<Cow<'a, str>> {
    let mut scratch = Scratch::default();
    match features.first().map(|f| de::feature(f, &mut scratch)) {
        Some(Ok(_)) => scratch.keys,
        _ => Vec::new(),
    }
}

/// Reads one raw feature; `malformed` is set when it is not even JSON.
fn prepare_raw<'a>(
    record: u64,
    raw: &'a str,
    hint: Option<Envelope>,
    common: &[Cow<'a, str>],
    scratch: &mut Scratch<'a>,
    malformed: &AtomicBool,
) -> Outcome<'a> {
    match de::feature(raw, scratch) {
        Ok(f) if f.kind.as_deref() == Some("Feature") => {
            prepare(record, f, &scratch.keys, common, hint)
        }
        Ok(f) => Err(format!(
            "type is {:?}, not \"Feature\"; skipped",
            f.kind.unwrap_or_default()
        )),
        Err(e) => {
            if matches!(e.classify(), Category::Syntax | Category::Eof) {
                malformed.store(true, Ordering::Relaxed);
            }
            Err(format!("not a valid feature ({e}); skipped"))
        }
    }
}

/// Turns a feature read into one for the table; `keys` are its property names.
fn prepare<'a>(
    record: u64,
    f: de::RawFeature<'a>,
    keys: &[Cow<'a, str>],
    common: &[Cow<'a, str>],
    hint: Option<Envelope>,
) -> Outcome<'a> {
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
    let keys = (keys != common).then(|| keys.to_vec());
    let unusual = (keys.is_some() || f.id.is_some() || !notes.is_empty()).then(|| {
        Box::new(Unusual {
            keys,
            id: f.id,
            notes,
        })
    });
    Ok(Some(Prepared {
        feature: Feature {
            record,
            geometry,
            z,
            values: f.values,
        },
        unusual,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldType, Value};

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
    fn malformed_json_in_a_feature_is_the_error_serde_json_gives_for_the_file() {
        let json = r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null},
            {"type":"Feature","properties":{"a" 1},"geometry":null}]}"#;
        let input = Input::from_bytes("t.geojson", json.as_bytes().to_vec());
        let Err(e) = GeoJsonLoader.load(&input, &LoadOptions::default()) else {
            panic!("loaded")
        };
        let whole = serde_json::from_str::<serde_json::Value>(json).unwrap_err();
        assert!(
            e.to_string().ends_with(&format!("invalid JSON: {whole}")),
            "{e}"
        );
    }

    #[test]
    fn malformed_json_anywhere_is_said_as_such() {
        for json in [
            r#"{"type":"Feature","geometry":null,"features":[{"a" 1}]}"#,
            r#"{"type":"Point","coordinates":[1,2],"features":[{"a" 1}]}"#,
        ] {
            let input = Input::from_bytes("t.geojson", json.as_bytes().to_vec());
            let Err(e) = GeoJsonLoader.load(&input, &LoadOptions::default()) else {
                panic!("loaded {json}")
            };
            assert!(e.to_string().contains("invalid JSON: "), "{e}");
        }
    }

    #[test]
    fn names_of_a_skipped_first_feature_come_when_they_appear() {
        let p = load(
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"z":1},"geometry":{"type":"Point","coordinates":[1]}},
            {"type":"Feature","properties":{"a":1},"geometry":null},
            {"type":"Feature","properties":{"z":2},"geometry":null}
        ]}"#,
        );
        let names: Vec<&str> = p.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "z"]);
        assert_eq!(p.features[1].values, [Value::Null, Value::Int(2)]);
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
