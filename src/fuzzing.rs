//! What the fuzz targets run (`src/bin/fuzz_*.rs`, built and run by `.ci/fuzz`), kept in the
//! library so the regression test (tests/integration/fuzz.rs) replays every saved input through
//! the very same code. Each function takes arbitrary bytes and must neither panic, hang nor
//! allocate without bound; errors are the expected outcome for most inputs.
//!
//! A Shapefile input is the three files in one: `.shp` bytes, [`SHX_MARK`], `.shx` bytes,
//! [`DBF_MARK`], `.dbf` bytes (a missing mark means the file is absent), so seeds are made with
//! `cat`.

use geo_types::Coord;

use crate::analysis::measure::Measures;
use crate::export::{self, ExportOptions, Profile, Section};
use crate::filter::expr;
use crate::io::{self, Input, LoadOptions};
use crate::model::{Field, FieldType, Layer, Value};

/// The fuzz targets, by name.
pub const TARGETS: &[&str] = &[
    "geojson",
    "shapefile",
    "csv",
    "kml",
    "filter",
    "crs",
    "geopackage",
    "flatgeobuf",
];

/// The target called `name`.
pub fn by_name(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "geojson" => geojson,
        "shapefile" => shapefile,
        "csv" => csv,
        "kml" => kml,
        "filter" => filter,
        "crs" => crs,
        "geopackage" => geopackage,
        "flatgeobuf" => flatgeobuf,
        _ => return None,
    })
}

pub const SHX_MARK: &[u8] = b"\n--sitelens-fuzz-shx--\n";
pub const DBF_MARK: &[u8] = b"\n--sitelens-fuzz-dbf--\n";

/// Loads `bytes` as a GeoJSON file, then uses the layer as the viewer and the exporter would.
pub fn geojson(bytes: &[u8]) {
    load_and_use(Input::from_bytes("fuzz.geojson", bytes.to_vec()));
}

/// Loads a GeoPackage held in memory (SQLite reads it from there), every feature table.
pub fn geopackage(bytes: &[u8]) {
    load_and_use(Input::from_bytes("fuzz.gpkg", bytes.to_vec()));
}

/// Loads a FlatGeobuf held in memory, whole and through its index by a box.
pub fn flatgeobuf(bytes: &[u8]) {
    load_and_use(Input::from_bytes("fuzz.fgb", bytes.to_vec()));
    let options = LoadOptions {
        bbox_hint: Some(crate::model::Envelope::new(139.3, 35.6, 139.45, 35.7)),
        ..LoadOptions::default()
    };
    if let Ok(layer) = io::load_input(Input::from_bytes("fuzz.fgb", bytes.to_vec()), &options) {
        use_layer(&layer);
    }
}

/// Loads CSV points.
pub fn csv(bytes: &[u8]) {
    load_and_use(Input::from_bytes("fuzz.csv", bytes.to_vec()));
}

/// Loads a KML document, or a KMZ when the bytes are a zip archive.
pub fn kml(bytes: &[u8]) {
    let name = if bytes.starts_with(b"PK") {
        "fuzz.kmz"
    } else {
        "fuzz.kml"
    };
    load_and_use(Input::from_bytes(name, bytes.to_vec()));
}

/// Loads a Shapefile given as `.shp` + [`SHX_MARK`] + `.shx` + [`DBF_MARK`] + `.dbf`.
pub fn shapefile(bytes: &[u8]) {
    let (shp, shx, dbf) = split_shapefile(bytes);
    let mut sidecars = Vec::new();
    if let Some(shx) = shx {
        sidecars.push(("shx".to_string(), shx.to_vec()));
    }
    if let Some(dbf) = dbf {
        sidecars.push(("dbf".to_string(), dbf.to_vec()));
    }
    load_and_use(Input::with_sidecars("fuzz.shp", shp.to_vec(), sidecars));
}

/// Splits a packed Shapefile input into its .shp, .shx and .dbf parts.
pub fn split_shapefile(bytes: &[u8]) -> (&[u8], Option<&[u8]>, Option<&[u8]>) {
    let (rest, dbf) = match find(bytes, DBF_MARK) {
        Some(at) => (&bytes[..at], Some(&bytes[at + DBF_MARK.len()..])),
        None => (bytes, None),
    };
    match find(rest, SHX_MARK) {
        Some(at) => (&rest[..at], Some(&rest[at + SHX_MARK.len()..]), dbf),
        None => (rest, None, dbf),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Parses `bytes` as a `--where` expression over a layer with one field of every type, and
/// evaluates it on a few rows (nulls, extremes, Japanese text).
pub fn filter(bytes: &[u8]) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let fields: Vec<Field> = [
        ("name", FieldType::Text),
        ("名称", FieldType::Text),
        ("year", FieldType::Int),
        ("area", FieldType::Float),
        ("open", FieldType::Bool),
        ("since", FieldType::Date),
        ("props", FieldType::Json),
    ]
    .into_iter()
    .map(|(name, field_type)| Field {
        name: name.to_string(),
        field_type,
    })
    .collect();
    let Ok(e) = expr::parse(text, &fields) else {
        return;
    };
    let rows = [
        vec![Value::Null; fields.len()],
        vec![
            Value::Text("日野 工場%_".into()),
            Value::Text("".into()),
            Value::Int(i64::MIN),
            Value::Float(f64::NAN),
            Value::Bool(true),
            Value::Date("2024-02-29".into()),
            Value::Json("{\"a\":[1]}".into()),
        ],
        vec![
            Value::Text("ａｂｃ".into()),
            Value::Text("用途地域".into()),
            Value::Int(i64::MAX),
            Value::Float(-0.0),
            Value::Bool(false),
            Value::Date("0001-01-01".into()),
            Value::Json("[]".into()),
        ],
    ];
    let mut used = Vec::new();
    e.fields_used(&mut used);
    for row in &rows {
        let _ = e.eval(row);
    }
}

/// Reads `bytes` as a .prj (or `--crs`) definition and, when PROJ accepts it, transforms a
/// coordinate with it.
pub fn crs(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let definition = crate::crs::normalize_definition(&text);
    if let Ok((reprojector, _)) = crate::crs::Reprojector::to_wgs84(&definition) {
        let _ = reprojector.coord(Coord {
            x: -39_681.26,
            y: -36_379.06,
        });
    }
}

/// Loads an input; on success measures, indexes, picks and exports every feature.
fn load_and_use(input: Input) {
    let Ok(layer) = io::load_input(input, &LoadOptions::default()) else {
        return;
    };
    use_layer(&layer);
}

fn use_layer(layer: &Layer) {
    for feature in &layer.features {
        if let Some(g) = &feature.geometry {
            let _ = Measures::of(g);
        }
    }
    if let Some(bbox) = layer.index.bbox() {
        let _ = layer.index.query(bbox).count();
        let _ = layer.index.pick(
            &layer.features,
            Coord {
                x: (bbox.min_x + bbox.max_x) / 2.0,
                y: (bbox.min_y + bbox.max_y) / 2.0,
            },
            (bbox.max_y - bbox.min_y).abs() / 10.0,
            1.0,
        );
    }
    if layer.source.crs.known {
        let ids = (0..layer.features.len()).collect();
        let section = Section::new(layer, ids, Profile::Public, Vec::new());
        let _ = export::write_geojson(&mut std::io::sink(), &[section], &ExportOptions::default());
    }
}
