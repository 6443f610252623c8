//! KML and KMZ as others write them: GDAL's KML and LIBKML drivers (run here with `ogr2ogr` on
//! the real Hino layers), and files in the shapes Google My Maps and 地理院地図 save
//! (tests/fixtures/kml, hand-written).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use geo::CoordsIter;
use geo_types::Geometry;
use sitelens::crs::DecidedBy;
use sitelens::model::{FieldType, Format, Layer, Value, geometry_type_name};
use sitelens::{LoadOptions, load};

use crate::{load_ok, shared, text};

fn hino(file: &str) -> PathBuf {
    shared().join("data/hino").join(file)
}

fn fixture(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kml")
        .join(file)
}

/// Writes `out` from `src` with GDAL's `driver` (`ogr2ogr -f DRIVER OUT SRC`).
fn ogr2ogr(driver: &str, out: &Path, src: &Path) {
    let run = Command::new("ogr2ogr")
        .args(["-f", driver])
        .arg(out)
        .arg(src)
        .output()
        .expect("ogr2ogr (gdal-bin) is installed by .ci/setup");
    assert!(
        run.status.success(),
        "ogr2ogr -f {driver} {}: {}",
        out.display(),
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Zips `files` (member name, bytes) into `out`.
fn write_zip(out: &Path, files: &[(&str, &[u8])]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(out).unwrap());
    for (name, bytes) in files {
        zip.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
}

fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

/// A value as GDAL wrote it and sitelens read it back, against the original: both KML drivers
/// write a bool as an int (1/0), and LIBKML leaves an empty text out (read as null).
fn same_value(original: &Value, got: &Value, libkml: bool) -> bool {
    match (original, got) {
        (a, b) if a == b => true,
        (Value::Bool(b), Value::Int(i)) => i64::from(*b) == *i,
        (Value::Text(t), Value::Null) => libkml && t.is_empty(),
        _ => false,
    }
}

/// Same count, fields, values and geometry (within 1e-7°) as `original`, in WGS84 by the format.
fn assert_same_layer(original: &Layer, got: &Layer, what: &str, libkml: bool) {
    assert_eq!(got.source.format, Format::Kml, "{what}");
    assert_eq!(got.source.crs.epsg, Some(4326), "{what}");
    assert_eq!(got.source.crs.decided_by, DecidedBy::Format, "{what}");
    assert_eq!(got.features.len(), original.features.len(), "{what}");
    assert_eq!(got.source.record_count, original.features.len(), "{what}");
    for (o, field) in original.fields.iter().enumerate() {
        let column = got
            .field_index(&field.name)
            .unwrap_or_else(|| panic!("{what}: no field '{}' among {:?}", field.name, got.fields));
        let got_type = got.fields[column].field_type;
        assert!(
            got_type == field.field_type
                || (field.field_type == FieldType::Bool && got_type == FieldType::Int),
            "{what}: '{}' is {got_type:?}, was {:?}",
            field.name,
            field.field_type
        );
        for (record, (a, b)) in original.features.iter().zip(&got.features).enumerate() {
            assert!(
                same_value(&a.values[o], &b.values[column], libkml),
                "{what}: record {record} '{}': {:?} read as {:?}",
                field.name,
                a.values[o],
                b.values[column]
            );
        }
    }
    for (record, (a, b)) in original.features.iter().zip(&got.features).enumerate() {
        let (Some(ga), Some(gb)) = (&a.geometry, &b.geometry) else {
            panic!(
                "{what}: record {record} lost its geometry: {:?}",
                got.warnings
            )
        };
        assert_eq!(
            geometry_type_name(ga),
            geometry_type_name(gb),
            "{what}: record {record}"
        );
        let (ca, cb): (Vec<_>, Vec<_>) = (ga.coords_iter().collect(), gb.coords_iter().collect());
        assert_eq!(ca.len(), cb.len(), "{what}: record {record}");
        for (p, q) in ca.iter().zip(&cb) {
            assert!(
                (p.x - q.x).abs() <= 1e-7 && (p.y - q.y).abs() <= 1e-7,
                "{what}: record {record}: {p:?} read as {q:?}"
            );
        }
    }
}

#[test]
fn gdal_kml_libkml_and_kmz_of_the_hino_layers_match_the_geojson() {
    let dir = tempfile::tempdir().unwrap();
    for stem in [
        "shelters_evacuation_132128",
        "railway_lines",
        "hino_boundary_n03",
    ] {
        let src = hino(&format!("{stem}.geojson"));
        let original = load_ok(&src);
        let kml = dir.path().join(format!("{stem}.kml"));
        let libkml = dir.path().join(format!("{stem}_libkml.kml"));
        // LIBKML's KMZ: doc.kml holds a NetworkLink to layers/NAME.kml.
        let libkml_kmz = dir.path().join(format!("{stem}_libkml.kmz"));
        // The KML driver writes plain XML into a file named .kmz.
        let kml_named_kmz = dir.path().join(format!("{stem}_xml.kmz"));
        ogr2ogr("KML", &kml, &src);
        ogr2ogr("LIBKML", &libkml, &src);
        ogr2ogr("LIBKML", &libkml_kmz, &src);
        ogr2ogr("KML", &kml_named_kmz, &src);
        // A KMZ as Google Earth saves one: the document as doc.kml.
        let zipped = dir.path().join(format!("{stem}_zipped.kmz"));
        write_zip(&zipped, &[("doc.kml", &std::fs::read(&kml).unwrap())]);
        for (path, is_libkml) in [
            (&kml, false),
            (&libkml, true),
            (&libkml_kmz, true),
            (&kml_named_kmz, false),
            (&zipped, false),
        ] {
            let got = load_ok(path);
            let what = path.file_name().unwrap().to_string_lossy();
            assert_same_layer(&original, &got, &what, is_libkml);
            // Each layer sits in a folder (KML) or a nested Document (LIBKML) named after it.
            let folder = got
                .field_index("folder")
                .unwrap_or_else(|| panic!("{what}: no folder in {:?}", got.fields));
            assert!(
                matches!(&got.features[0].values[folder], Value::Text(t) if !t.is_empty()),
                "{what}: {:?}",
                got.features[0].values
            );
            assert!(got.warnings.is_empty(), "{what}: {:?}", got.warnings);
        }
    }
    let shelters = load_ok(&dir.path().join("shelters_evacuation_132128_libkml.kmz"));
    assert_eq!(shelters.value(0, "施設・場所名"), Some(&text("東京光の家")));
    assert_eq!(shelters.value(0, "NO"), Some(&Value::Int(27342)));
    // LIBKML writes altitudes of 0: kept as Z.
    assert_eq!(shelters.features[0].z.as_deref(), Some(&[0.0][..]));
}

#[test]
fn a_kml_inside_a_zip_loads_as_its_member() {
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("layers.zip");
    let gsi = std::fs::read(fixture("gsi_style.kml")).unwrap();
    write_zip(&zip, &[("作図/gsi.kml", &gsi)]);
    let layer = load_ok(&zip);
    assert_eq!(layer.source.member.as_deref(), Some("作図/gsi.kml"));
    assert_eq!(layer.features.len(), 3);
}

#[test]
fn my_maps_export_reads_folders_descriptions_and_extended_data() {
    let layer = load_ok(&fixture("mymaps_style.kml"));
    let fields: Vec<(&str, FieldType)> = layer
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.field_type))
        .collect();
    assert_eq!(
        fields,
        [
            ("name", FieldType::Text),
            ("description", FieldType::Text),
            ("folder", FieldType::Text),
            ("面積_m2", FieldType::Float),
            ("用途地域", FieldType::Text),
            ("メモ", FieldType::Text),
        ]
    );
    assert_eq!(layer.features.len(), 4);
    assert_eq!(layer.value(0, "name"), Some(&text("候補A 旭が丘")));
    assert_eq!(
        layer.value(0, "description"),
        Some(&text(
            "面積_m2: 12000<br>用途地域: 工業地域<br>メモ: 南側道路 幅員 9m & 角地"
        ))
    );
    assert_eq!(
        layer.value(0, "メモ"),
        Some(&text("南側道路 幅員 9m & 角地"))
    );
    assert_eq!(layer.value(0, "面積_m2"), Some(&Value::Float(12000.0)));
    assert_eq!(layer.value(1, "面積_m2"), Some(&Value::Float(8500.5)));
    assert_eq!(layer.value(1, "メモ"), Some(&Value::Null));
    assert_eq!(layer.value(2, "面積_m2"), Some(&Value::Null));
    let folders: Vec<&Value> = (0..4).map(|i| layer.value(i, "folder").unwrap()).collect();
    assert_eq!(
        folders,
        [
            &text("候補地"),
            &text("候補地"),
            &text("アクセス"),
            &text("アクセス")
        ]
    );
    assert_eq!(layer.value(3, "description"), Some(&Value::Null));
    let types: Vec<&str> = layer
        .features
        .iter()
        .map(|f| geometry_type_name(f.geometry.as_ref().unwrap()))
        .collect();
    assert_eq!(types, ["Point", "Point", "LineString", "Polygon"]);
    assert_eq!(layer.features[2].z.as_deref(), Some(&[0.0, 0.0, 0.0][..]));
    assert!(layer.warnings.is_empty(), "{:?}", layer.warnings);
}

#[test]
fn gsi_maps_drawing_reads_html_descriptions_and_a_polygon_with_a_hole() {
    let layer = load_ok(&fixture("gsi_style.kml"));
    let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["name", "description"]);
    assert_eq!(
        layer.value(0, "description"),
        Some(&text(
            "<table><tr><td>名称</td><td>市役所（目印）</td></tr><tr><td>備考</td><td>架空のメモ</td></tr></table>"
        ))
    );
    assert_eq!(
        layer.value(1, "description"),
        Some(&text(
            "<table><tr><td>延長</td><td>約1.2km</td></tr></table>"
        ))
    );
    let Some(Geometry::Polygon(area)) = &layer.features[2].geometry else {
        panic!("{:?}", layer.features[2].geometry)
    };
    assert_eq!(area.interiors().len(), 1);
    assert!(layer.features.iter().all(|f| f.z.is_none()));
    assert!(layer.warnings.is_empty(), "{:?}", layer.warnings);
}

#[test]
fn multigeometry_z_and_a_bad_coordinate_in_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "mixed.kml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Folder><name>調査</name>
<Placemark><name>塔</name><Point><altitudeMode>absolute</altitudeMode><coordinates>139.39,35.67,120.5</coordinates></Point></Placemark>
<Placemark><name>二つの区画</name><MultiGeometry>
  <Polygon><outerBoundaryIs><LinearRing><coordinates>139.39,35.67 139.391,35.67 139.391,35.671 139.39,35.67</coordinates></LinearRing></outerBoundaryIs></Polygon>
  <Polygon><outerBoundaryIs><LinearRing><coordinates>139.40,35.67 139.401,35.67 139.401,35.671 139.40,35.67</coordinates></LinearRing></outerBoundaryIs></Polygon>
</MultiGeometry></Placemark>
<Placemark><name>壊れた点</name><Point><coordinates>139.39 35.67</coordinates></Point></Placemark>
<Placemark><name>最後</name><Point><coordinates>139.4,35.68</coordinates></Point></Placemark>
</Folder></Document></kml>"#,
    );
    let layer = load_ok(&path);
    assert_eq!(layer.features.len(), 4);
    assert_eq!(layer.features[0].z.as_deref(), Some(&[120.5][..]));
    assert!(matches!(
        &layer.features[1].geometry,
        Some(Geometry::MultiPolygon(m)) if m.0.len() == 2
    ));
    assert!(layer.features[2].geometry.is_none());
    assert!(layer.features[3].geometry.is_some());
    assert_eq!(layer.value(2, "folder"), Some(&text("調査")));
    assert_eq!(layer.warnings.len(), 1, "{:?}", layer.warnings);
    let w = &layer.warnings[0];
    assert_eq!(w.record, Some(2));
    assert!(
        w.message
            .starts_with("placemark '壊れた点': position 1 ('139.39'): one number"),
        "{}",
        w.message
    );
}

#[test]
fn empty_kml_files_are_a_clear_error_or_an_empty_layer() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.kml", "");
    let e = load(&empty, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("empty.kml") && e.contains("the document is empty"),
        "{e}"
    );
    let doc = write(
        dir.path(),
        "nothing.kml",
        r#"<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>空</name></Document></kml>"#,
    );
    let layer = load_ok(&doc);
    assert!(layer.features.is_empty());
    assert_eq!(
        layer.warnings[0].message,
        "no Placemark in the file: the layer is empty"
    );
}

#[test]
fn a_file_that_is_not_kml_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "table.kml", "name,lat,lon\n日野,35.67,139.39\n");
    let e = load(&path, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("{}: not KML", path.display())),
        "{e}"
    );
    let kmz = write(dir.path(), "broken.kmz", "PK\x03\x04 not really a zip");
    let e = load(&kmz, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("not a readable KMZ (zip) archive"), "{e}");
}

#[test]
fn info_json_reports_a_kmz_as_kml_in_wgs84_by_the_format() {
    let dir = tempfile::tempdir().unwrap();
    let kmz = dir.path().join("stations.kmz");
    ogr2ogr("LIBKML", &kmz, &hino("stations_n02_2023.geojson"));
    let stdout = crate::run_ok(&["info".as_ref(), "--json".as_ref(), kmz.as_os_str()]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let layer = &doc["layers"][0];
    assert_eq!(layer["format"], "KML");
    assert_eq!(layer["feature_count"], 36);
    assert_eq!(layer["crs"]["epsg"], 4326);
    assert_eq!(layer["crs"]["decided_by"], "the format");
    assert_eq!(layer["encoding"], "UTF-8");
}
