//! Hostile input: headers that lie about sizes, huge files, deep nesting. Each must end in a clear
//! error or warning with bounded memory and time (the bounds are listed in README).

use std::path::Path;

use sitelens::LoadOptions;
use sitelens::fuzzing::split_shapefile;
use sitelens::io::{Input, MAX_FILE_BYTES, load_input};

fn hostile(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz")
            .join(rel),
    )
    .unwrap()
}

fn packed_shapefile(rel: &str) -> Input {
    let bytes = hostile(rel);
    let (shp, shx, dbf) = split_shapefile(&bytes);
    let mut sidecars = Vec::new();
    if let Some(shx) = shx {
        sidecars.push(("shx".to_string(), shx.to_vec()));
    }
    if let Some(dbf) = dbf {
        sidecars.push(("dbf".to_string(), dbf.to_vec()));
    }
    Input::with_sidecars("hostile.shp", shp.to_vec(), sidecars)
}

fn messages(layer: &sitelens::Layer) -> String {
    layer
        .warnings
        .iter()
        .map(|w| format!("{:?}: {}\n", w.record, w.message))
        .collect()
}

#[test]
fn headers_claiming_2e30_points_and_2e31_records_are_not_believed() {
    let layer = load_input(
        packed_shapefile("shapefile/hostile-2e30-points-2e31-records.shp"),
        &LoadOptions::default(),
    )
    .unwrap();
    let text = messages(&layer);
    // One record really is there; its shape is unreadable and the .dbf's count is capped.
    assert_eq!(layer.features.len(), 1, "{text}");
    assert!(layer.features[0].geometry.is_none(), "{text}");
    assert!(
        text.contains("2147483648 records, the file holds 1"),
        "{text}"
    );
    assert!(
        text.contains("Some(0)"),
        "the bad shape is reported by record: {text}"
    );
}

#[test]
fn nan_and_infinite_coordinates_drop_the_geometry_with_a_warning() {
    let layer = load_input(
        packed_shapefile("shapefile/hostile-nan-coordinates.shp"),
        &LoadOptions::default(),
    )
    .unwrap();
    let text = messages(&layer);
    assert_eq!(layer.features.len(), 1);
    assert!(layer.features[0].geometry.is_none());
    assert!(text.contains("not a finite number"), "{text}");
}

#[test]
fn deep_json_nesting_is_an_error_not_a_stack_overflow() {
    for name in [
        "hostile-deep-nesting-properties.geojson",
        "hostile-deep-nesting-features.geojson",
        "hostile-deep-geometry-collection.geojson",
    ] {
        let input = Input::from_bytes(name, hostile(&format!("geojson/{name}")));
        match load_input(input, &LoadOptions::default()) {
            Err(e) => assert!(e.to_string().contains("recursion limit"), "{name}: {e}"),
            // The nesting is a feature of its own: that feature is skipped, by record.
            Ok(layer) => {
                let text = messages(&layer);
                assert!(
                    text.contains("recursion limit")
                        || text.starts_with("Some(0): not a valid feature"),
                    "{name}: {text}"
                );
                assert!(layer.features.iter().all(|f| f.geometry.is_none()));
            }
        }
    }
}

#[test]
fn deep_kml_nesting_is_an_error_and_deep_multigeometries_flatten() {
    let load = |name: &str| {
        let input = Input::from_bytes(name, hostile(&format!("kml/{name}")));
        load_input(input, &LoadOptions::default())
    };
    let e = load("hostile-deep-folders.kml").unwrap_err().to_string();
    assert!(e.contains("elements nested deeper than 256 levels"), "{e}");
    let layer = load("hostile-deep-multigeometry.kml").unwrap();
    assert!(
        matches!(&layer.features[0].geometry, Some(geo_types::Geometry::MultiPoint(m)) if m.0.len() == 1),
        "{:?}",
        layer.features[0].geometry
    );
}

#[test]
fn long_kml_folder_names_are_cut_and_many_columns_stay_bounded() {
    let load = |name: &str| {
        let input = Input::from_bytes(name, hostile(&format!("kml/{name}")));
        load_input(input, &LoadOptions::default()).unwrap()
    };
    let layer = load("hostile-long-folder-names.kml");
    assert_eq!(layer.features.len(), 2000);
    let folder = layer.value(1999, "folder").unwrap().as_str().unwrap();
    assert!(
        folder.len() <= 515 && folder.ends_with('…'),
        "{}",
        folder.len()
    );
    assert!(messages(&layer).contains("folder paths longer than 512 bytes are cut"));
    let layer = load("hostile-many-columns.kml");
    assert_eq!((layer.fields.len(), layer.features.len()), (1500, 1501));
    assert!(layer.features[1500].values.iter().all(|v| v.is_null()));
}

#[test]
fn files_over_the_size_limit_are_refused_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    // Sparse: 10 GiB on paper, nothing on disk. Junk ahead of a valid-looking start, too.
    for name in [
        "junk.geojson",
        "junk.shp",
        "junk.csv",
        "junk.dbf",
        "junk.kml",
        "junk.kmz",
    ] {
        let path = dir.path().join(name);
        let file = std::fs::File::create(&path).unwrap();
        std::io::Write::write_all(&mut &file, b"{").unwrap();
        file.set_len(10 << 30).unwrap();
        let e = sitelens::load(&path, &LoadOptions::default()).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with(&path.display().to_string()), "{text}");
        assert!(
            text.contains("up to 4 GiB") || text.contains("not a") || text.contains("not KML"),
            "{name}: {text}"
        );
    }
    // Past the head check, only the size stops it.
    let path = dir.path().join("big.geojson");
    let file = std::fs::File::create(&path).unwrap();
    std::io::Write::write_all(
        &mut &file,
        b"{\"type\":\"FeatureCollection\",\"features\":[",
    )
    .unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    let e = sitelens::load(&path, &LoadOptions::default()).unwrap_err();
    assert!(
        e.to_string()
            .contains("is 4.0 GiB; sitelens reads files up to 4 GiB"),
        "{e}"
    );
}
