//! Serde visitors that read a GeoJSON feature straight into geo-types and sitelens values, with no
//! geojson or serde_json tree in between (a feature used to cost about 30 small allocations
//! before it was converted; now it costs its rings and its text values).
//!
//! What is accepted and refused is what `geojson::Geometry` and a derived feature struct
//! accepted: a duplicated member, a wrong type or a malformed geometry makes the feature invalid.

use std::borrow::Cow;
use std::fmt;

use geo_types::{Geometry, GeometryCollection};
use serde::Deserialize;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, Error as _, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use super::coords::{Dims, Extras, Flat, Kind};
use crate::model::Value;

/// A geometry with what else its coordinates said.
pub(super) struct Shape {
    pub geometry: Geometry<f64>,
    pub extras: Extras,
}

/// `Err`: a position with fewer than two numbers, which leaves the feature without a geometry
/// to place (it is skipped, named).
pub(super) type ShapeResult = Result<Shape, String>;

/// The members of a feature that sitelens reads; keys of properties borrow from the input
/// when they have no escapes.
#[derive(Default)]
pub(super) struct RawFeature<'a> {
    /// `"type"`; `None` when absent or null.
    pub kind: Option<Cow<'a, str>>,
    /// `None` when absent or null.
    pub geometry: Option<ShapeResult>,
    /// Property values in file order; their names are in [`Scratch::keys`].
    pub values: Vec<Value>,
    /// A non-null `"id"`.
    pub id: Option<Value>,
}

/// Buffers reused from feature to feature on one thread.
#[derive(Default)]
pub(super) struct Scratch<'a> {
    pub flat: Flat,
    /// Property names of the last feature read, in file order (a repeated name twice); they
    /// borrow from the input when they have no escapes.
    pub keys: Vec<Cow<'a, str>>,
}

/// Parses one feature object.
pub(super) fn feature<'a>(
    json: &'a str,
    scratch: &mut Scratch<'a>,
) -> serde_json::Result<RawFeature<'a>> {
    scratch.keys.clear();
    let mut de = serde_json::Deserializer::from_str(json);
    let f = de.deserialize_map(FeatureVisitor { scratch })?;
    de.end()?;
    Ok(f)
}

/// Parses a bare geometry object.
pub(super) fn geometry(json: &str) -> serde_json::Result<ShapeResult> {
    let mut de = serde_json::Deserializer::from_str(json);
    let mut extras = Extras::default();
    let geometry = GeometrySeed {
        flat: &mut Flat::default(),
        extras: &mut extras,
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(geometry.map(|geometry| Shape { geometry, extras }))
}

/// Sets `seen`, or fails on a member given twice (as a derived struct does).
fn once<E: de::Error>(seen: &mut bool, name: &'static str) -> Result<(), E> {
    if std::mem::replace(seen, true) {
        return Err(E::duplicate_field(name));
    }
    Ok(())
}

/// Text that borrows from the input when it can.
struct Text<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// Member names of an object, sorted into the ones read and the rest.
macro_rules! member_names {
    ($name:ident { $($variant:ident = $text:literal),* }) => {
        enum $name {
            $($variant,)*
            Other,
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                        f.write_str("a member name")
                    }
                    fn visit_str<E>(self, v: &str) -> Result<$name, E> {
                        Ok(match v {
                            $($text => $name::$variant,)*
                            _ => $name::Other,
                        })
                    }
                }
                d.deserialize_identifier(V)
            }
        }
    };
}

member_names!(FeatureMember {
    Type = "type",
    Geometry = "geometry",
    Properties = "properties",
    Id = "id"
});

member_names!(GeometryMember {
    Type = "type",
    Coordinates = "coordinates",
    Geometries = "geometries",
    Bbox = "bbox"
});

struct FeatureVisitor<'f, 'a> {
    scratch: &'f mut Scratch<'a>,
}

impl<'de> Visitor<'de> for FeatureVisitor<'_, 'de> {
    type Value = RawFeature<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a GeoJSON Feature object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFeature<'de>, A::Error> {
        let mut f = RawFeature::default();
        let mut seen = [false; 4];
        while let Some(member) = map.next_key::<FeatureMember>()? {
            match member {
                FeatureMember::Type => {
                    once(&mut seen[0], "type")?;
                    f.kind = map.next_value::<Option<Text>>()?.map(|t| t.0);
                }
                FeatureMember::Geometry => {
                    once(&mut seen[1], "geometry")?;
                    let mut extras = Extras::default();
                    let geometry = map.next_value_seed(Nullable(GeometrySeed {
                        flat: &mut self.scratch.flat,
                        extras: &mut extras,
                    }))?;
                    f.geometry = geometry.map(|g| g.map(|geometry| Shape { geometry, extras }));
                }
                FeatureMember::Properties => {
                    once(&mut seen[2], "properties")?;
                    map.next_value_seed(Nullable(Properties {
                        keys: &mut self.scratch.keys,
                        values: &mut f.values,
                    }))?;
                }
                FeatureMember::Id => {
                    once(&mut seen[3], "id")?;
                    f.id = map.next_value::<Option<Prop>>()?.map(|p| p.0);
                }
                FeatureMember::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(f)
    }
}

/// Reads JSON null as `None`, anything else with the inner seed.
struct Nullable<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Nullable<S> {
    type Value = Option<S::Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("null or a value")
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.0.deserialize(d).map(Some)
    }
}

/// A geometry object; Z and repairs go to `extras`. `Err` inside: a position too short.
struct GeometrySeed<'f> {
    flat: &'f mut Flat,
    extras: &'f mut Extras,
}

impl<'de> DeserializeSeed<'de> for GeometrySeed<'_> {
    type Value = Result<Geometry<f64>, String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

/// The `type` of a geometry object.
enum GeometryType {
    Coordinates(Kind),
    Collection,
}

impl<'de> Deserialize<'de> for GeometryType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        const NAMES: &[&str] = &[
            "Point",
            "LineString",
            "Polygon",
            "MultiPoint",
            "MultiLineString",
            "MultiPolygon",
            "GeometryCollection",
        ];
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = GeometryType;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a geometry type")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<GeometryType, E> {
                Ok(GeometryType::Coordinates(match v {
                    "Point" => Kind::Point,
                    "LineString" => Kind::LineString,
                    "Polygon" => Kind::Polygon,
                    "MultiPoint" => Kind::MultiPoint,
                    "MultiLineString" => Kind::MultiLineString,
                    "MultiPolygon" => Kind::MultiPolygon,
                    "GeometryCollection" => return Ok(GeometryType::Collection),
                    other => return Err(E::unknown_variant(other, NAMES)),
                }))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> Visitor<'de> for GeometrySeed<'_> {
    type Value = Result<Geometry<f64>, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Geometry object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let GeometrySeed { flat, extras } = self;
        let mut kind = None;
        // Outer `None`: absent; inner: null.
        let mut coordinates: Option<Option<Dims>> = None;
        let mut members: Option<Option<Result<Vec<Geometry<f64>>, String>>> = None;
        let mut seen_bbox = false;
        while let Some(member) = map.next_key::<GeometryMember>()? {
            match member {
                GeometryMember::Type => {
                    if kind.is_some() {
                        return Err(A::Error::duplicate_field("type"));
                    }
                    kind = Some(map.next_value::<GeometryType>()?);
                }
                GeometryMember::Coordinates => {
                    if coordinates.is_some() {
                        return Err(A::Error::duplicate_field("coordinates"));
                    }
                    coordinates = Some(map.next_value_seed(Nullable(Coordinates(&mut *flat)))?);
                }
                GeometryMember::Geometries => {
                    if members.is_some() {
                        return Err(A::Error::duplicate_field("geometries"));
                    }
                    members = Some(map.next_value_seed(Nullable(Members(&mut *extras)))?);
                }
                GeometryMember::Bbox => {
                    once(&mut seen_bbox, "bbox")?;
                    map.next_value::<Option<Vec<f64>>>()?;
                }
                // Read in full, not skipped: geojson kept them, so a number out of range
                // there made the feature invalid.
                GeometryMember::Other => {
                    map.next_value::<serde_json::Value>()?;
                }
            }
        }
        let members = members.flatten();
        let kind = match kind {
            None => return Err(A::Error::missing_field("type")),
            Some(GeometryType::Collection) => {
                return match members {
                    Some(members) => {
                        Ok(members.map(|g| Geometry::GeometryCollection(GeometryCollection(g))))
                    }
                    None => Err(A::Error::custom(
                        "Encountered GeometryCollection with no `geometries` key",
                    )),
                };
            }
            Some(GeometryType::Coordinates(kind)) => kind,
        };
        match coordinates.flatten() {
            Some(dims) if members.is_none() => match flat.geometry(kind, dims, extras) {
                Ok(g) => Ok(Ok(g)),
                Err(Ok(bad_position)) => Ok(Err(bad_position)),
                Err(Err(invalid)) => Err(A::Error::custom(invalid)),
            },
            Some(dims) => Err(A::Error::custom(format!(
                "Encountered geometry type: `{}` with unexpected coordinates dimensions: {dims}",
                kind.name()
            ))),
            None => Err(A::Error::custom(format!(
                "Encountered geometry type: `{}` with no `coordinates` key",
                kind.name()
            ))),
        }
    }
}

/// `coordinates`: nested arrays of numbers, read into the scratch buffers.
struct Coordinates<'f>(&'f mut Flat);

impl<'de> DeserializeSeed<'de> for Coordinates<'_> {
    type Value = Dims;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Dims, D::Error> {
        self.0.parse(d)
    }
}

/// `geometries` of a GeometryCollection: an array of geometry objects.
struct Members<'f>(&'f mut Extras);

impl<'de> DeserializeSeed<'de> for Members<'_> {
    type Value = Result<Vec<Geometry<f64>>, String>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Members<'_> {
    type Value = Result<Vec<Geometry<f64>>, String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of geometry objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // Members have buffers of their own: the collection's `coordinates` may come later.
        let mut flat = Flat::default();
        let mut members = Ok(Vec::new());
        while let Some(member) = seq.next_element_seed(GeometrySeed {
            flat: &mut flat,
            extras: &mut *self.0,
        })? {
            // Every member is read even after a bad one: a malformed later member makes the
            // whole feature invalid, as before.
            match (&mut members, member) {
                (Ok(all), Ok(g)) => all.push(g),
                (Ok(_), Err(e)) => members = Err(e),
                (Err(_), _) => {}
            }
        }
        Ok(members)
    }
}

/// `properties`: an object; names and values are appended.
struct Properties<'f, 'a> {
    keys: &'f mut Vec<Cow<'a, str>>,
    values: &'f mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Properties<'_, 'de> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Properties<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of properties")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(Text(key)) = map.next_key()? {
            let Prop(value) = map.next_value()?;
            self.keys.push(key);
            self.values.push(value);
        }
        Ok(())
    }
}

/// A property value: numbers stay numbers (an integer that fits i64 is an Int), nested objects
/// and arrays become compact JSON text.
struct Prop(Value);

impl<'de> Deserialize<'de> for Prop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PropVisitor)
    }
}

struct PropVisitor;

impl<'de> Visitor<'de> for PropVisitor {
    type Value = Prop;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Prop, E> {
        Ok(Prop(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Prop, E> {
        Ok(Prop(Value::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Prop, E> {
        Ok(Prop(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Prop, E> {
        Ok(Prop(Value::Int(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Prop, E> {
        Ok(Prop(
            i64::try_from(v).map_or(Value::Float(v as f64), Value::Int),
        ))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Prop, E> {
        Ok(Prop(if v.is_finite() {
            Value::Float(v)
        } else {
            Value::Null
        }))
    }

    fn visit_str<E>(self, v: &str) -> Result<Prop, E> {
        Ok(Prop(Value::Text(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Prop, E> {
        Ok(Prop(Value::Text(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Prop, A::Error> {
        let nested = serde_json::Value::deserialize(SeqAccessDeserializer::new(seq))?;
        Ok(Prop(Value::Json(nested.to_string())))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Prop, A::Error> {
        let nested = serde_json::Value::deserialize(MapAccessDeserializer::new(map))?;
        Ok(Prop(Value::Json(nested.to_string())))
    }
}

#[cfg(test)]
mod tests {
    use geo_types::{Geometry, line_string, point, polygon};

    use super::*;

    fn read(json: &str) -> RawFeature<'_> {
        read_with_names(json).0
    }

    fn read_with_names(json: &str) -> (RawFeature<'_>, Vec<Cow<'_, str>>) {
        let mut scratch = Scratch::default();
        let f = feature(json, &mut scratch).unwrap_or_else(|e| panic!("{json}: {e}"));
        (f, scratch.keys)
    }

    fn shape(f: RawFeature<'_>) -> Shape {
        f.geometry.expect("a geometry").expect("a valid geometry")
    }

    #[test]
    fn z_is_kept_in_coordinate_order() {
        let s = shape(read(
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2,10],[3,4,20.5]]}}"#,
        ));
        assert_eq!(
            s.geometry,
            Geometry::from(line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.0)])
        );
        assert_eq!((s.extras.z, s.extras.all_z), (vec![10.0, 20.5], true));
        let partly = shape(read(
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2,10],[3,4]]}}"#,
        ));
        assert!(!partly.extras.all_z);
    }

    #[test]
    fn type_may_come_after_coordinates() {
        let s = shape(read(
            r#"{"geometry":{"coordinates":[[[0,0],[1,0],[1,1]]],"type":"Polygon"},"type":"Feature"}"#,
        ));
        assert_eq!(
            s.geometry,
            Geometry::from(polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)])
        );
        assert_eq!(s.extras.unclosed, 1);
    }

    #[test]
    fn null_and_absent_geometry_are_none() {
        assert!(
            read(r#"{"type":"Feature","geometry":null}"#)
                .geometry
                .is_none()
        );
        assert!(
            read(r#"{"type":"Feature","properties":{}}"#)
                .geometry
                .is_none()
        );
    }

    #[test]
    fn integers_stay_ints_and_other_numbers_are_floats() {
        let (f, keys) = read_with_names(
            r#"{"type":"Feature","properties":{"i":-3,"f":2.0,"e":1e2,"big":18446744073709551615,"max":9223372036854775807},"geometry":null}"#,
        );
        assert_eq!(keys, ["i", "f", "e", "big", "max"]);
        assert_eq!(
            f.values,
            [
                Value::Int(-3),
                Value::Float(2.0),
                Value::Float(100.0),
                Value::Float(18446744073709551615.0),
                Value::Int(i64::MAX)
            ]
        );
    }

    #[test]
    fn mixed_and_nested_properties() {
        let (f, keys) = read_with_names(
            r#"{"type":"Feature","id":"a1","properties":{"名前":"日野\n","ok":true,"none":null,"o":{"b": [1, 2.50],"a":null},"l":[]},"geometry":null}"#,
        );
        assert_eq!(keys, ["名前", "ok", "none", "o", "l"]);
        assert!(matches!(keys[0], Cow::Borrowed(_)));
        assert_eq!(
            f.values,
            [
                Value::Text("日野\n".into()),
                Value::Bool(true),
                Value::Null,
                Value::Json(r#"{"b":[1,2.5],"a":null}"#.into()),
                Value::Json("[]".into())
            ]
        );
        assert_eq!(f.id, Some(Value::Text("a1".into())));
    }

    #[test]
    fn a_short_position_is_named_not_fatal() {
        let f = read(
            r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3]]}}"#,
        );
        assert_eq!(
            f.geometry.map(|g| g.err()),
            Some(Some("position with 1 number(s)".to_string()))
        );
    }

    #[test]
    fn malformed_features_are_errors() {
        for bad in [
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,"x"]]]}}"#,
            r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[0,0],[[1,1]]]}}"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[[1,2]]}}"#,
            r#"{"type":"Feature","geometry":{"type":"Circle","coordinates":[1,2]}}"#,
            r#"{"type":"Feature","geometry":{"coordinates":[1,2]}}"#,
            r#"{"type":"Feature","geometry":{"type":"Point"}}"#,
            r#"{"type":"Feature","geometry":{"type":"GeometryCollection"}}"#,
            r#"{"type":"Feature","geometry":null,"geometry":null}"#,
            r#"{"type":"Feature","properties":[1]}"#,
            r#"{"type":"Feature","properties":{"n":1e999}}"#,
            r#"{"type":"Feature","geometry":null} x"#,
            r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]"#,
        ] {
            assert!(feature(bad, &mut Scratch::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn collections_nest_and_scratch_is_reused() {
        let mut scratch = Scratch::default();
        let json = r#"{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[4,5,6]}]}]}}"#;
        for _ in 0..2 {
            let s = shape(feature(json, &mut scratch).unwrap());
            assert_eq!(s.extras.z, [3.0, 6.0]);
            let Geometry::GeometryCollection(gc) = s.geometry else {
                panic!("not a collection")
            };
            assert_eq!(gc.0[0], Geometry::from(point!(x: 1.0, y: 2.0)));
            assert!(matches!(gc.0[1], Geometry::GeometryCollection(_)));
        }
    }
}
