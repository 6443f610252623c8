//! Every corpus file the README states facts about, checked against those facts; mbostock's
//! shapefiles against the GeoJSON its author wrote beside each.

use geo_types::Geometry;
use sitelens::model::{Layer, Value};
use sitelens::{LoadErrorKind, LoadOptions, load};

use crate::{corpus, load_ok, text};

#[test]
fn ne_10m_lakes_loads_all_1162_polygons() {
    let layer = load_ok(&corpus(
        "shapefile-rs/tests/data/ne_10m_lakes_north_america.shp",
    ));
    assert_eq!(layer.features.len(), 1162);
    assert!(layer.features.iter().all(|f| matches!(
        f.geometry,
        Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_))
    )));
    assert_eq!(layer.index.len(), 1162);
}

#[test]
fn cpg_936_overrides_a_wrong_ldid() {
    let layer = load_ok(&corpus("shapefile-rs/tests/data/file_cp936.shp"));
    assert_eq!(layer.value(0, "TEST"), Some(&text("测试中文")));
    let enc = layer.source.encoding.as_ref().unwrap();
    assert_eq!((enc.name.as_str(), enc.decided_by.as_str()), ("GBK", "cpg"));
}

#[test]
fn shift_jis_dbf_without_cpg_or_ldid_decodes_as_cp932() {
    let layer = load_ok(&corpus(
        "japanese-xjr1300-shapefile-rs/tests/data/shift_jis.shp",
    ));
    assert_eq!(layer.features.len(), 6);
    let names: Vec<&str> = layer.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["書籍名", "著者"]);
    assert_eq!(layer.value(0, "書籍名"), Some(&text("浮雲")));
    assert_eq!(layer.value(0, "著者"), Some(&text("二葉亭四迷")));
    assert_eq!(layer.value(5, "書籍名"), Some(&text("平家物語")));
    assert_eq!(layer.value(5, "著者"), Some(&Value::Null));
    assert_eq!(layer.source.encoding.as_ref().unwrap().name, "CP932");
}

#[test]
fn bare_dbf_tables_with_japanese_names_decode() {
    let dir = corpus("japanese-xjr1300-dbase-rs/tests/data");
    let layer = load_ok(&dir.join("shift_jis_field_name.dbf"));
    assert!(layer.features.iter().all(|f| f.geometry.is_none()));
    assert!(
        layer.fields.iter().any(|f| f
            .name
            .chars()
            .any(|c| ('\u{3040}'..='\u{9FFF}').contains(&c))),
        "{:?}",
        layer.fields
    );
    for file in [
        "contain_none_float.dbf",
        "contain_null_padded_numeric.dbf",
        "shift_jis.dbf",
    ] {
        let layer = load_ok(&dir.join(file));
        assert!(!layer.features.is_empty(), "{file}");
        let text = format!(
            "{:?} {:?}",
            layer.fields,
            layer.features.iter().map(|f| &f.values).collect::<Vec<_>>()
        );
        assert!(!text.contains('\u{FFFD}'), "{file}: {text}");
    }
}

#[test]
fn null_shapes_stay_null_geometries() {
    let layer = load_ok(&corpus("mbostock-shapefile/test/null.shp"));
    let nulls: Vec<usize> = layer
        .features
        .iter()
        .enumerate()
        .filter(|(_, f)| f.geometry.is_none())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(layer.features.len(), 9);
    assert!(nulls.starts_with(&[1, 3, 4]), "{nulls:?}");
}

#[test]
fn polygons_shp_groups_rings_into_polygon_polygon_multipolygon() {
    let layer = load_ok(&corpus("mbostock-shapefile/test/polygons.shp"));
    let kinds: Vec<&str> = layer
        .features
        .iter()
        .map(|f| sitelens::model::geometry_type_name(f.geometry.as_ref().unwrap()))
        .collect();
    assert_eq!(kinds, ["Polygon", "Polygon", "MultiPolygon"]);
}

/// Each mbostock .shp against the .json beside it: same count, geometry and properties.
#[test]
fn mbostock_shapefiles_match_their_expected_geojson() {
    let dir = corpus("mbostock-shapefile/test");
    let mut compared = 0;
    for shp in walk(&dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "shp"))
    {
        let json = shp.with_extension("json");
        if !json.exists() {
            continue;
        }
        let ours = load_ok(&shp);
        let expected = load_ok(&json);
        let name = shp.display().to_string();
        assert_eq!(ours.features.len(), expected.features.len(), "{name}");
        for (i, (a, b)) in ours.features.iter().zip(&expected.features).enumerate() {
            assert_eq!(
                a.geometry.as_ref().map(normalize),
                b.geometry.as_ref().map(normalize),
                "{name} feature {i} geometry"
            );
            for field in &expected.fields {
                let want = expected.value(i, &field.name).unwrap();
                let got = ours.value(i, &field.name).unwrap_or(&Value::Null);
                assert!(
                    same_value(got, want),
                    "{name} feature {i} field {}: {got:?} vs {want:?}",
                    field.name
                );
            }
        }
        compared += 1;
    }
    assert!(compared >= 15, "only {compared} pairs compared");
}

/// Rings as sets of closed coordinate lists, so ring start and winding do not matter.
fn normalize(g: &Geometry<f64>) -> Vec<Vec<(i64, i64)>> {
    use geo::CoordsIter;
    let mut parts: Vec<Vec<(i64, i64)>> = match g {
        Geometry::Polygon(p) => rings(p),
        Geometry::MultiPolygon(mp) => mp.iter().flat_map(rings).collect(),
        other => vec![other.coords_iter().map(key).collect()],
    };
    parts.sort();
    parts
}

fn rings(p: &geo_types::Polygon<f64>) -> Vec<Vec<(i64, i64)>> {
    std::iter::once(p.exterior())
        .chain(p.interiors())
        .map(|r| {
            let mut pts: Vec<(i64, i64)> = r.0.iter().map(|c| key(*c)).collect();
            pts.pop();
            pts.sort();
            pts
        })
        .collect()
}

fn key(c: geo_types::Coord<f64>) -> (i64, i64) {
    ((c.x * 1e9).round() as i64, (c.y * 1e9).round() as i64)
}

fn same_value(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Date(d), Value::Text(t)) => d.replace('-', "") == *t,
        (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
        (a, b) => a == b,
    }
}

#[test]
fn pyshp_blockgroups_values() {
    let layer = load_ok(&corpus("pyshp/tests/shapefiles/blockgroups.shp"));
    assert_eq!(layer.features.len(), 663);
    assert_eq!(layer.value(3, "BKG_KEY"), Some(&text("060750601001")));
    assert_eq!(layer.value(3, "POP1990"), Some(&Value::Int(4715)));
    let merged = load_ok(&corpus("pyshp/tests/shapefiles/merge.shp"));
    assert_eq!(merged.features.len(), 6630);
}

#[test]
fn trailing_junk_after_the_last_record_is_ignored() {
    let layer = load_ok(&corpus("pyshp/tests/shapefiles/corrupt_too_long.shp"));
    assert_eq!(layer.features.len(), 10);
    assert!(layer.features.iter().all(|f| f.geometry.is_some()));
}

#[test]
fn zip_with_one_shapefile_loads_and_keeps_z() {
    let layer = load_ok(&corpus("pyshp/tests/shapefiles/REL.zip"));
    assert_eq!(
        layer.source.member.as_deref().map(|m| m.ends_with(".shp")),
        Some(true)
    );
    assert!(!layer.features.is_empty());
    let f = &layer.features[0];
    assert!(f.z.is_some(), "PolygonZ keeps its Z");
    let blockgroups = load_ok(&corpus("pyshp/tests/shapefiles/blockgroups.zip"));
    assert_eq!(blockgroups.features.len(), 663);
}

#[test]
fn zip_with_two_shapefiles_needs_a_member_name() {
    let zip = corpus("pyshp/tests/shapefiles/blockgroups_multishapefile.zip");
    let err = load(&zip, &LoadOptions::default()).unwrap_err();
    assert!(matches!(err.kind, LoadErrorKind::Archive(_)));
    let message = err.to_string();
    assert!(
        message.contains("2 layers") && message.contains("blockgroups2.shp"),
        "{message}"
    );
    assert!(!message.contains('\n'));
    let layer = load_ok(&zip.join("blockgroups2.shp"));
    assert_eq!(layer.source.member.as_deref(), Some("blockgroups2.shp"));
    assert_eq!(layer.features.len(), 663);
}

#[test]
fn zip_without_a_layer_is_a_clear_error() {
    let err = load(
        &corpus("pyshp/tests/shapefiles/empty_zipfile.zip"),
        &LoadOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("no layer file"), "{err}");
}

#[test]
fn every_shape_type_loads() {
    let dir = corpus("shapefile-rs/tests/data");
    let expect = [
        ("point", "Point"),
        ("pointm", "Point"),
        ("pointz", "Point"),
        ("multipoint", "MultiPoint"),
        ("multipointz", "MultiPoint"),
        ("line", "MultiLineString"),
        ("linem", "MultiLineString"),
        ("linez", "MultiLineString"),
        ("polygon_hole", "Polygon"),
        ("polygonm", "Polygon"),
        ("polygonz", "Polygon"),
        ("multi_polygon", "MultiPolygon"),
        ("multipatch", "MultiPolygon"),
    ];
    for (name, kind) in expect {
        let layer = load_ok(&dir.join(format!("{name}.shp")));
        let g = layer.features[0]
            .geometry
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: null"));
        assert_eq!(sitelens::model::geometry_type_name(g), kind, "{name}");
        if name.ends_with('z') || name == "multipatch" {
            let z = layer.features[0]
                .z
                .as_ref()
                .unwrap_or_else(|| panic!("{name}: no Z"));
            assert_eq!(z.len(), geo::CoordsIter::coords_count(g), "{name}");
        }
    }
    let hole = load_ok(&dir.join("polygon_hole.shp"));
    let Some(Geometry::Polygon(p)) = &hole.features[0].geometry else {
        panic!()
    };
    assert_eq!(p.interiors().len(), 1);
}

#[test]
fn geojson_fixtures_of_every_kind_load() {
    for entry in walk(&corpus("georust-geojson/tests/fixtures"))
        .into_iter()
        .chain(walk(&corpus("geojson-rewind/test/fixture")))
    {
        if entry.extension().is_some_and(|e| e == "geojson") {
            let layer = load_ok(&entry);
            assert!(
                layer.warnings.is_empty(),
                "{}: {:?}",
                entry.display(),
                layer.warnings
            );
        }
    }
    let countries = load_ok(&corpus("georust-geojson/tests/fixtures/countries.geojson"));
    assert_eq!(countries.features.len(), 180);
    let with_id = load_ok(&corpus(
        "georust-geojson/tests/fixtures/canonical/good-feature-with-string-id.geojson",
    ));
    assert!(with_id.field_index("id").is_some());
    let null = load_ok(&corpus(
        "georust-geojson/tests/fixtures/canonical/nullgeometry.geojson",
    ));
    assert!(null.features[0].geometry.is_none());
    let z = load_ok(&corpus(
        "georust-geojson/tests/fixtures/canonical/good-point-3d.geojson",
    ));
    assert_eq!(z.features[0].z.as_deref().map(<[f64]>::len), Some(1));
}

#[test]
fn airports_csv_finds_latitude_longitude_columns() {
    let layer = load_ok(&corpus("csv-vega-datasets/airports.csv"));
    assert_eq!(layer.features.len(), 3376);
    assert_eq!(layer.source.crs.epsg, Some(4326));
    assert_eq!(layer.value(0, "iata"), Some(&text("00M")));
    let Some(Geometry::Point(p)) = &layer.features[0].geometry else {
        panic!()
    };
    assert_eq!((p.x(), p.y()), (-89.23450472, 31.95376472));
}

#[test]
fn real_hino_layers_load_in_wgs84() {
    let expect = [
        ("hino_boundary_n03.geojson", 1),
        ("neighbours_n03_2021_simplified.geojson", 8),
        ("stations_n02_2023.geojson", 36),
        ("railway_lines.geojson", 4),
        ("expressway_path.geojson", 4),
        ("expressway_points.geojson", 3),
        ("shelters_emergency_132128.geojson", 51),
        ("shelters_evacuation_132128.geojson", 57),
    ];
    for (file, count) in expect {
        let layer: Layer = load_ok(&crate::shared().join("data/hino").join(file));
        assert_eq!(layer.features.len(), count, "{file}");
        assert!(layer.source.crs.known, "{file}");
        let b = layer.index.bbox().unwrap();
        assert!(
            b.min_x > 139.1 && b.max_x < 139.6 && b.min_y > 35.5 && b.max_y < 35.8,
            "{file}: {b:?}"
        );
    }
    // The embedded copies load the same way.
    for embedded in sitelens::embedded::HINO {
        let layer = embedded.load().unwrap();
        assert!(
            !layer.features.is_empty() && layer.warnings.is_empty(),
            "{}",
            embedded.file
        );
    }
}

/// Every layer file in the corpus loads or fails with a one-line error naming the file.
#[test]
fn whole_corpus_loads_or_fails_cleanly() {
    let mut loaded = 0;
    for path in crate::corpus_layer_files() {
        match load(&path, &LoadOptions::default()) {
            Ok(layer) => {
                loaded += 1;
                // Every feature with a usable envelope is indexed, and a query over the
                // layer's box finds each of them.
                let placeable = layer
                    .features
                    .iter()
                    .filter(|f| {
                        f.geometry
                            .as_ref()
                            .and_then(sitelens::model::Envelope::of)
                            .is_some()
                    })
                    .count();
                assert_eq!(layer.index.len(), placeable, "{}", path.display());
                if let Some(b) = layer.index.bbox() {
                    assert_eq!(
                        layer.index.query(b).count(),
                        placeable,
                        "{}",
                        path.display()
                    );
                }
            }
            Err(e) => {
                let m = e.to_string();
                assert!(
                    m.contains(path.file_name().unwrap().to_str().unwrap()) && !m.contains('\n'),
                    "{m}"
                );
            }
        }
    }
    assert!(loaded > 90, "{loaded}");
}

pub fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p)
            } else {
                out.push(p)
            }
        }
    }
    out.sort();
    out
}

/// One line per corpus file: how it loads (count, geometry types, CRS, encoding, warnings) or
/// the error. Kept in tests/corpus_results.tsv so any change in behaviour on any file shows in
/// review; `UPDATE_CORPUS_RESULTS=1 cargo test corpus_results` rewrites it.
#[test]
fn corpus_results_match_the_recorded_table() {
    let root = corpus("");
    let mut lines =
        vec!["file\tstatus\tfeatures\tgeometry_types\tcrs\tencoding\twarnings".to_string()];
    for path in crate::corpus_layer_files() {
        let rel = path.strip_prefix(&root).unwrap().display().to_string();
        let line = match load(&path, &LoadOptions::default()) {
            Ok(layer) => {
                let types: Vec<String> = layer
                    .geometry_type_counts()
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                let enc = layer.source.encoding.as_ref().map_or("-".to_string(), |e| {
                    format!("{} [{}]", e.name, e.decided_by)
                });
                format!(
                    "{rel}\tok\t{}\t{}\t{} [{}]\t{enc}\t{}",
                    layer.features.len(),
                    types.join(","),
                    layer.source.crs.label(),
                    layer.source.crs.decided_by,
                    layer.warnings.len()
                )
            }
            Err(e) => format!(
                "{rel}\terror\t\t\t\t\t{}",
                e.to_string().replace(&root.display().to_string(), "")
            ),
        };
        lines.push(line);
    }
    let table = lines.join("\n") + "\n";
    let recorded_path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus_results.tsv");
    if std::env::var_os("UPDATE_CORPUS_RESULTS").is_some() {
        std::fs::write(&recorded_path, &table).unwrap();
    }
    let recorded = std::fs::read_to_string(&recorded_path).unwrap_or_default();
    let changed: Vec<String> = table
        .lines()
        .zip(recorded.lines().chain(std::iter::repeat("")))
        .filter(|(now, before)| now != before)
        .map(|(now, before)| format!("- {before}\n+ {now}"))
        .collect();
    assert!(
        changed.is_empty() && table.lines().count() == recorded.lines().count(),
        "corpus behaviour changed (UPDATE_CORPUS_RESULTS=1 to accept):\n{}",
        changed.join("\n")
    );
}
