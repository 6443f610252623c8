//! Small fixtures written here for cases the corpus lacks: shapefiles built byte by byte,
//! GeoJSON and CSV variants, broken encodings.

use std::path::{Path, PathBuf};

use geo_types::Geometry;
use sitelens::model::Value;
use sitelens::{LoadErrorKind, LoadOptions, load};

use crate::{corpus, load_ok, text};

/// Writes a Point shapefile (.shp, optionally .shx) with the given x/y.
pub fn write_point_shapefile(
    dir: &Path,
    stem: &str,
    points: &[(f64, f64)],
    with_shx: bool,
) -> PathBuf {
    let header = |length_bytes: usize| {
        let mut h = vec![0u8; 100];
        h[0..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&((length_bytes / 2) as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&1i32.to_le_bytes());
        h
    };
    let record_len = 8 + 20;
    let mut shp = header(100 + record_len * points.len());
    let mut shx = header(100 + 8 * points.len());
    for (i, (x, y)) in points.iter().enumerate() {
        shx.extend_from_slice(&(((100 + i * record_len) / 2) as i32).to_be_bytes());
        shx.extend_from_slice(&10i32.to_be_bytes());
        shp.extend_from_slice(&(i as i32 + 1).to_be_bytes());
        shp.extend_from_slice(&10i32.to_be_bytes());
        shp.extend_from_slice(&1i32.to_le_bytes());
        shp.extend_from_slice(&x.to_le_bytes());
        shp.extend_from_slice(&y.to_le_bytes());
    }
    let path = dir.join(format!("{stem}.shp"));
    std::fs::write(&path, shp).unwrap();
    if with_shx {
        std::fs::write(dir.join(format!("{stem}.shx")), shx).unwrap();
    }
    path
}

fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn missing_shx_reads_records_in_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus("pyshp/tests/shapefiles/blockgroups");
    for ext in ["shp", "dbf"] {
        std::fs::copy(
            src.with_extension(ext),
            dir.path().join(format!("bg.{ext}")),
        )
        .unwrap();
    }
    let layer = load_ok(&dir.path().join("bg.shp"));
    assert_eq!(layer.features.len(), 663);
    assert_eq!(layer.value(3, "BKG_KEY"), Some(&text("060750601001")));
    assert!(layer.warnings.iter().any(|w| w.message.contains("no .shx")));
    let with_shx = load_ok(&src.with_extension("shp"));
    assert_eq!(
        layer.features[662].geometry,
        with_shx.features[662].geometry
    );
}

#[test]
fn header_that_lies_about_length_reads_what_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_point_shapefile(
        dir.path(),
        "p",
        &[(1.0, 2.0), (3.0, 4.0), (5.0, 6.0)],
        false,
    );
    let mut bytes = std::fs::read(&shp).unwrap();
    // Claim the file ends after the first record.
    bytes[24..28].copy_from_slice(&((100i32 + 28) / 2).to_be_bytes());
    std::fs::write(&shp, &bytes).unwrap();
    let layer = load_ok(&shp);
    assert_eq!(layer.features.len(), 3);
    // A truncated last record loses only that record.
    std::fs::write(&shp, &bytes[..bytes.len() - 5]).unwrap();
    let layer = load_ok(&shp);
    assert_eq!(layer.features.len(), 2);
    assert!(
        layer.warnings.iter().any(|w| w.record == Some(2)),
        "{:?}",
        layer.warnings
    );
}

#[test]
fn not_a_shapefile_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "junk.shp", b"this is not a shapefile at all, just some words..........................................................");
    let err = load(&path, &LoadOptions::default()).unwrap_err();
    let m = err.to_string();
    assert!(m.contains("junk.shp") && m.contains("file code"), "{m}");
}

#[test]
fn geojson_variants() {
    let dir = tempfile::tempdir().unwrap();
    let fc = r#"{"type":"FeatureCollection","features":[
        {"type":"Feature","properties":{"名称":"日野駅","n":1},"geometry":{"type":"Point","coordinates":[139.39,35.67]}},
        {"type":"Feature","properties":{"n":2.5,"extra":{"a":[1,2]}},"geometry":null},
        {"type":"Feature","properties":{"n":3},"geometry":{"type":"Point","coordinates":[139]}},
        {"type":"Feature","id":"x1","properties":{"n":null},"geometry":{"type":"LineString","coordinates":[[139.3,35.6],[139.4,35.7]]}}
    ]}"#;
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(fc.as_bytes());
    let layer = load_ok(&write(dir.path(), "fc.geojson", &with_bom));
    // The feature with a one-number position is skipped and named.
    assert_eq!(layer.features.len(), 3);
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.record == Some(2) && w.message.contains("skipped"))
    );
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.message.contains("byte-order mark"))
    );
    let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["名称", "n", "extra", "id"]);
    assert_eq!(
        layer.fields[1].field_type,
        sitelens::model::FieldType::Float
    );
    assert_eq!(layer.value(0, "n"), Some(&Value::Int(1)));
    assert_eq!(layer.value(1, "名称"), Some(&Value::Null));
    assert_eq!(
        layer.value(1, "extra"),
        Some(&Value::Json(r#"{"a":[1,2]}"#.into()))
    );
    assert_eq!(layer.value(2, "id"), Some(&text("x1")));
    assert!(layer.features[1].geometry.is_none());
    assert_eq!(layer.features[2].record, 3);

    let feature = load_ok(&write(
        dir.path(),
        "f.geojson",
        r#"{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
    ));
    assert_eq!(feature.features.len(), 1);
    let bare = load_ok(&write(
        dir.path(),
        "g.geojson",
        r#"{"coordinates":[[[0,0],[1,0],[1,1],[0,0]]],"type":"Polygon"}"#,
    ));
    assert!(matches!(
        bare.features[0].geometry,
        Some(Geometry::Polygon(_))
    ));
}

#[test]
fn broken_json_and_wrong_types_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, body, expect) in [
        (
            "trunc.geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feat"#,
            "invalid JSON",
        ),
        (
            "topo.json",
            r#"{"type":"Topology","objects":{}}"#,
            "Topology",
        ),
        ("nokind.geojson", r#"{"features":[]}"#, "no \"type\""),
    ] {
        let err = load(&write(dir.path(), name, body), &LoadOptions::default()).unwrap_err();
        let m = err.to_string();
        assert!(
            m.contains(name) && m.contains(expect) && !m.contains('\n'),
            "{m}"
        );
    }
}

/// A CP932 GeoJSON whose writer doubled each 0x5C trail byte (能 = 94 5C written 94 5C 5C).
#[test]
fn cp932_geojson_with_doubled_backslashes_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes =
        br#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":""#
            .to_vec();
    let offset = bytes.len();
    bytes.extend_from_slice(&[0x94, 0x5C, 0x5C]);
    bytes.extend_from_slice(br#""},"geometry":{"type":"Point","coordinates":[139.4,35.6]}}]}"#);
    let path = write(dir.path(), "sjis.geojson", &bytes);
    let err = load(&path, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err.kind, LoadErrorKind::Encoding(_)));
    let m = err.to_string();
    assert!(
        m.contains("sjis.geojson")
            && m.contains("not UTF-8")
            && m.contains(&format!("offset {offset}")),
        "{m}"
    );
}

#[test]
fn csv_in_cp932_with_japanese_coordinate_columns() {
    let dir = tempfile::tempdir().unwrap();
    let body = "名称,緯度,経度,コード\n日野市役所,35.6713,139.3950,0132\n髙幡①,35.6617,139.4130,0200\n不明,,139.4,0300\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(body);
    let layer = load_ok(&write(dir.path(), "places.csv", &bytes));
    assert_eq!(layer.source.encoding.as_ref().unwrap().name, "CP932");
    assert_eq!(layer.features.len(), 2);
    assert_eq!(layer.value(1, "名称"), Some(&text("髙幡①")));
    assert_eq!(
        layer.value(0, "コード"),
        Some(&text("0132")),
        "codes with leading zeros stay text"
    );
    let w = layer
        .warnings
        .iter()
        .find(|w| w.record == Some(2))
        .expect("row 3 skipped");
    assert!(w.message.contains("line 4"), "{}", w.message);

    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice("lat,lng\n35.0,139.0\n".as_bytes());
    let layer = load_ok(&write(dir.path(), "bom.csv", &bom));
    assert_eq!(layer.fields[0].name, "lat");
    assert_eq!(layer.source.encoding.as_ref().unwrap().decided_by, "bom");

    let wkt = load_ok(&write(
        dir.path(),
        "wkt.csv",
        "id,WKT\n1,\"POLYGON ((0 0, 1 0, 1 1, 0 0))\"\n2,nonsense\n",
    ));
    assert_eq!(wkt.features.len(), 1);
    assert!(
        wkt.warnings
            .iter()
            .any(|w| w.record == Some(1) && w.message.contains("WKT"))
    );
}

#[test]
fn deleted_dbf_records_stay_paired_with_their_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus("japanese-xjr1300-shapefile-rs/tests/data/shift_jis");
    for ext in ["shp", "shx", "dbf"] {
        std::fs::copy(src.with_extension(ext), dir.path().join(format!("s.{ext}"))).unwrap();
    }
    let dbf = dir.path().join("s.dbf");
    let mut bytes = std::fs::read(&dbf).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    bytes[header_len] = b'*'; // delete record 0
    std::fs::write(&dbf, bytes).unwrap();
    let layer = load_ok(&dir.path().join("s.shp"));
    assert_eq!(layer.features.len(), 6);
    assert_eq!(
        layer.value(1, "著者"),
        load_ok(&src.with_extension("shp")).value(1, "著者")
    );
}

/// A large file of junk is refused from its first bytes: not read whole into memory.
#[test]
fn junk_is_refused_from_its_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, head, says) in [
        ("big.geojson", &b"\x00\x01binary"[..], "starts with"),
        ("big.shp", b"PK\x03\x04zip?", "file code"),
        ("big.csv", b"a,b\n\x00\x00", "NUL byte"),
    ] {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        use std::io::Write;
        let mut w = std::io::BufWriter::new(&file);
        w.write_all(head).unwrap();
        drop(w);
        // 2 GiB, sparse: reading it whole would take seconds and gigabytes.
        file.set_len(2 << 30).unwrap();
        let err = load(&path, &LoadOptions::default()).unwrap_err();
        let m = err.to_string();
        assert!(
            m.contains(name) && m.contains(says) && !m.contains('\n'),
            "{m}"
        );
    }
}

/// Writes a GeoJSON FeatureCollection of these features (each a Feature's JSON text).
pub fn write_collection(path: &Path, features: &[String]) {
    std::fs::write(
        path,
        format!(
            r#"{{"type":"FeatureCollection","features":[{}]}}"#,
            features.join(",")
        ),
    )
    .unwrap();
}
