//! The feature reader as it was before issue #7 (geojson crate types and a serde_json map, then
//! converted), kept as the reference the visitors are checked against on generated features:
//! the same features must load, the same must be skipped, with the same geometry, Z, notes and
//! values.

use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};
use geojson::{GeometryValue, Position};
use proptest::prelude::*;
use serde::Deserialize;

use super::de::Scratch;
use super::prepare_raw;
use crate::model::Value;

#[derive(Deserialize)]
struct OldFeature {
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    geometry: Option<geojson::Geometry>,
    #[serde(default)]
    properties: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

/// What a feature came to: loaded (geometry, Z, properties, id, notes) or skipped (the kind of
/// warning: the start of its message).
#[derive(Debug, PartialEq)]
enum Outcome {
    Loaded {
        geometry: Option<Geometry<f64>>,
        z: Option<Box<[f64]>>,
        properties: Vec<(String, Value)>,
        id: Option<Value>,
        notes: Vec<String>,
    },
    Skipped(String),
}

fn skipped(message: &str) -> Outcome {
    // Messages from serde differ in their wording ("expected …"); what was skipped, and why in
    // sitelens's words, must not.
    let kind = ["not a valid feature", "type is", "invalid geometry"]
        .into_iter()
        .find(|k| message.starts_with(k))
        .unwrap_or(message);
    let detail = message
        .strip_prefix("invalid geometry ")
        .unwrap_or_default();
    Outcome::Skipped(format!("{kind} {detail}"))
}

fn old(raw: &str) -> Outcome {
    let f = match serde_json::from_str::<OldFeature>(raw) {
        Ok(f) if f.kind.as_deref() == Some("Feature") => f,
        Ok(f) => {
            return skipped(&format!(
                "type is {:?}, not \"Feature\"; skipped",
                f.kind.unwrap_or_default()
            ));
        }
        Err(e) => return skipped(&format!("not a valid feature ({e}); skipped")),
    };
    let mut c = Coords {
        z: Vec::new(),
        all_z: true,
        unclosed: 0,
    };
    let geometry = match f.geometry.map(|g| c.geometry(&g.value)) {
        None => None,
        Some(Ok(g)) => Some(g),
        Some(Err(e)) => return skipped(&format!("invalid geometry ({e}); feature skipped")),
    };
    let notes = if c.unclosed > 0 {
        vec![format!(
            "{} polygon ring(s) not closed (RFC 7946 requires it); closed them",
            c.unclosed
        )]
    } else {
        vec![]
    };
    Outcome::Loaded {
        z: (c.all_z && !c.z.is_empty()).then(|| c.z.into_boxed_slice()),
        geometry,
        properties: f
            .properties
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, json_value(v)))
            .collect(),
        id: f.id.filter(|v| !v.is_null()).map(json_value),
        notes,
    }
}

fn new(raw: &str) -> Outcome {
    match prepare_raw(
        0,
        raw,
        None,
        &[],
        &mut Scratch::default(),
        &Default::default(),
    ) {
        Ok(Some(p)) => {
            let (keys, id, notes) = match p.unusual.map(|u| *u) {
                Some(u) => (u.keys.unwrap_or_default(), u.id, u.notes),
                None => Default::default(),
            };
            // The table lets a repeated name's last value win in its first place, as a map did.
            let mut properties: Vec<(String, Value)> = Vec::new();
            for (k, v) in keys.into_iter().zip(p.feature.values) {
                match properties.iter_mut().find(|(name, _)| *name == k) {
                    Some(slot) => slot.1 = v,
                    None => properties.push((k.into_owned(), v)),
                }
            }
            Outcome::Loaded {
                geometry: p.feature.geometry,
                z: p.feature.z,
                properties,
                id,
                notes,
            }
        }
        Ok(None) => unreachable!("no bbox hint"),
        Err(e) => skipped(&e),
    }
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
            // The one change: positions compare by x, y and Z, not by any numbers after those
            // (a ring was reported unclosed, and not closed, when only an M value differed).
            .filter(|r| {
                let xyz = |p: &Position| p.as_slice().iter().take(3).copied().collect::<Vec<_>>();
                r.len() > 1 && r.first().map(xyz) != r.last().map(xyz)
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

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        40 => prop::sample::select(vec![
            "0",
            "-0",
            "1",
            "2.0",
            "-105.2632015",
            "39.9941706",
            "1e5",
            "1.5E-3",
        ]),
        4 => prop::sample::select(vec![
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "18446744073709551615",
        ]),
        1 => Just("1e400"),
    ]
    .prop_map(str::to_string)
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => number(),
        1 => prop::sample::select(vec!["null", "true", "\"a\"", "\"\\u65e5\""]).prop_map(str::to_string),
    ]
}

fn array_of(items: impl Strategy<Value = String>, max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(items, 0..max).prop_map(|v| format!("[{}]", v.join(",")))
}

/// A position: mostly two or three numbers, sometimes fewer or more.
fn position() -> impl Strategy<Value = String> {
    let count = prop_oneof![10 => Just(2usize), 6 => Just(3), 1 => 0..2usize, 1 => Just(4)];
    count
        .prop_flat_map(|n| prop::collection::vec(number(), n..=n))
        .prop_map(|v| format!("[{}]", v.join(",")))
}

/// Nested arrays of positions, `depth` deep (0: a position), sometimes with a flaw.
fn uniform(depth: usize) -> BoxedStrategy<String> {
    if depth == 0 {
        return prop_oneof![30 => position(), 1 => scalar()].boxed();
    }
    prop_oneof![
        30 => array_of(uniform(depth - 1), 4),
        1 => uniform(depth.saturating_sub(2)),
    ]
    .boxed()
}

/// Coordinates mostly of the depth the type needs.
fn coordinates(depth: usize) -> impl Strategy<Value = String> {
    let any_depth = (0..5usize).prop_flat_map(uniform);
    prop_oneof![12 => uniform(depth), 2 => any_depth, 1 => scalar()]
}

/// An object of the given members in a shuffled order, one of them maybe given twice.
fn object(members: Vec<(String, String)>, twice: Option<usize>) -> String {
    let mut members = members;
    if let Some(i) = twice.filter(|_| !members.is_empty()) {
        let again = members[i % members.len()].clone();
        members.push(again);
    }
    let body: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("\"{k}\":{v}"))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn member(
    name: &'static str,
    present: f64,
    value: impl Strategy<Value = String> + 'static,
) -> BoxedStrategy<Option<(String, String)>> {
    prop::option::weighted(present, value.prop_map(move |v| (name.to_string(), v))).boxed()
}

/// A geometry type with the depth of its coordinates.
fn geometry_type() -> impl Strategy<Value = (String, usize)> {
    prop_oneof![
        20 => prop::sample::select(vec![
            ("\"Point\"", 0),
            ("\"MultiPoint\"", 1),
            ("\"LineString\"", 1),
            ("\"MultiLineString\"", 2),
            ("\"Polygon\"", 2),
            ("\"MultiPolygon\"", 3),
        ]),
        1 => prop::sample::select(vec![("\"Circle\"", 1), ("null", 1), ("\"GeometryCollection\"", 1)]),
    ]
    .prop_map(|(t, d)| (t.to_string(), d))
}

fn geometry() -> impl Strategy<Value = String> {
    let simple = (
        geometry_type(),
        prop::option::weighted(0.05, 0..4usize),
        any::<prop::sample::Index>(),
        prop::bool::weighted(0.97),
        prop::bool::weighted(0.97),
    )
        .prop_flat_map(|((t, depth), twice, order, with_type, with_coordinates)| {
            let t = with_type.then(|| ("type".to_string(), t));
            let c = coordinates(depth)
                .prop_map(move |c| with_coordinates.then(|| ("coordinates".to_string(), c)));
            (
                Just(t),
                c,
                member(
                    "bbox",
                    0.1,
                    prop_oneof![5 => array_of(number(), 5), 1 => scalar()],
                ),
                member("foo", 0.1, scalar()),
                Just(twice),
                Just(order),
            )
        })
        .prop_map(|(t, c, b, f, twice, order)| {
            let mut members: Vec<_> = [t, c, b, f].into_iter().flatten().collect();
            if !members.is_empty() {
                let n = members.len();
                members.rotate_left(order.index(n));
            }
            object(members, twice)
        });
    simple.prop_recursive(3, 12, 3, |inner| {
        (
            member("type", 0.97, Just("\"GeometryCollection\"".to_string())),
            member(
                "geometries",
                0.97,
                prop_oneof![20 => array_of(inner, 3), 1 => scalar()],
            ),
            member("coordinates", 0.05, coordinates(1)),
            any::<bool>(),
        )
            .prop_map(|(t, g, c, flip)| {
                let mut members: Vec<_> = [t, g, c].into_iter().flatten().collect();
                if flip {
                    members.reverse();
                }
                object(members, None)
            })
    })
}

fn property_value() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => scalar(),
        1 => Just("{\"b\":[1,2.50,{\"c\":null}],\"a\":\"x\"}".to_string()),
        1 => array_of(scalar(), 3),
    ]
}

fn feature() -> impl Strategy<Value = String> {
    let names = prop::sample::select(vec!["a", "b", "id", "名前", "a\\u0062"]);
    let properties = prop::collection::vec((names, property_value()), 0..5).prop_map(|kv| {
        let body: Vec<String> = kv.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect();
        format!("{{{}}}", body.join(","))
    });
    (
        member(
            "type",
            0.97,
            prop_oneof![
                20 => Just("\"Feature\""),
                1 => prop::sample::select(vec!["\"Feat\"", "null", "3"]),
            ]
            .prop_map(str::to_string),
        ),
        member(
            "geometry",
            0.97,
            prop_oneof![20 => geometry(), 1 => scalar()],
        ),
        member(
            "properties",
            0.9,
            prop_oneof![20 => properties, 1 => scalar()],
        ),
        member("id", 0.2, property_value()),
        prop::option::weighted(0.02, 0..4usize),
        any::<bool>(),
    )
        .prop_map(|(t, g, p, id, twice, flip)| {
            let mut members: Vec<_> = [t, g, p, id].into_iter().flatten().collect();
            if flip {
                members.reverse();
            }
            object(members, twice)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn visitors_read_features_as_the_geojson_crate_did(raw in feature()) {
        prop_assert_eq!(new(&raw), old(&raw), "{}", raw);
    }
}

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(borrow)]
    features: Vec<&'a serde_json::value::RawValue>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// What serde_json finds as the features of a collection, split finds too.
    #[test]
    fn split_finds_the_features_serde_json_finds(
        features in prop::collection::vec(feature(), 0..6),
        gap in prop::sample::select(vec!["", " ", "\n", " \r\n\t"]),
    ) {
        let json = format!(
            "{{{gap}\"type\":\"FeatureCollection\",{gap}\"features\":{gap}[{gap}{}{gap}]{gap}}}",
            features.join(&format!("{gap},{gap}"))
        );
        let by_serde = serde_json::from_str::<Collection>(&json)
            .map(|c| c.features.iter().map(|f| f.get()).collect::<Vec<_>>());
        // Generated collections are of the plain shape: split must not leave them to serde_json.
        if let Ok(by_serde) = by_serde {
            let members = super::split::split(&json);
            prop_assert_eq!(members.and_then(|m| m.features), Some(by_serde));
        }
    }
}

#[test]
fn hand_picked_features_read_as_the_geojson_crate_did() {
    for raw in [
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0,5],[1,0,5],[1,1,5],[0,0,5]]]},"properties":{"n":1,"x":2.5,"t":"a","o":{"k":[1,2]}}}"#,
        r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[]]},"properties":null}"#,
        r#"{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[]},"properties":null}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[],[[1,2]]]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1]]]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0,1]]]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[]}}"#,
        r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[3]]}}"#,
        r#"{"type":"Feature","geometry":{"type":"LineString","coordinates":[[1,2],[]]}}"#,
        r#"{"type":"Feature","geometry":{"coordinates":[[1,2],[3,4]],"type":"LineString"}}"#,
        r#"{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"LineString","coordinates":[[1,2,3],[4,5,6]]}]}}"#,
        r#"{"type":"Feature","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2,3]},{"type":"Point","coordinates":[4]}]}}"#,
        r#"{"type":"Feature","geometry":{"type":"GeometryCollection","coordinates":[1,2]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2],"geometries":[]}}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[[[[1,2]]]]}}"#,
        r#"{"type":"Feature","geometry":null,"properties":{"a":1,"a":"x","b":18446744073709551615}}"#,
        r#"{"type":"Feature","geometry":null,"id":7}"#,
        r#"{"type":"Feature","geometry":null,"type":"Feature"}"#,
        r#"{"type":"Feat","geometry":null}"#,
        r#"{"geometry":null}"#,
        r#"[1,2]"#,
        // A foreign member of a geometry is read, not skipped: a number out of range fails.
        r#"{"geometry":{"type":"MultiPoint","coordinates":[],"foo":1e400},"type":"Feature"}"#,
        r#"{"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0,1],[1,0],[1,1],[0,0,1,7]]]}}"#,
    ] {
        assert_eq!(new(raw), old(raw), "{raw}");
    }
}
