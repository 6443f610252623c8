//! GeoPackage and FlatGeobuf, both ways: files GDAL wrote (ogr2ogr, from the Hino layers and the
//! corpus) load as the originals do; what sitelens writes GDAL reads back (ogrinfo, and GDAL's
//! own GeoPackage validator) and sitelens loads again with the same features.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use geo::CoordsIter;
use sitelens::model::{Envelope, Layer, Value};
use sitelens::{LoadOptions, load};

use crate::{corpus, load_ok, run_ok, shared};

/// The layers every format is tried on: points, lines, a polygon (Japanese text in each), and a
/// corpus Shapefile with many fields and polygons.
fn originals() -> Vec<PathBuf> {
    let hino = shared().join("data/hino");
    vec![
        hino.join("shelters_evacuation_132128.geojson"),
        hino.join("railway_lines.geojson"),
        hino.join("hino_boundary_n03.geojson"),
        hino.join("stations_n02_2023.geojson"),
        corpus("pyshp/tests/shapefiles/blockgroups.shp"),
    ]
}

fn ogr2ogr(args: &[&OsStr]) {
    let out = Command::new("ogr2ogr")
        .args(args)
        .output()
        .expect("ogr2ogr (gdal-bin) is installed by .ci/setup");
    assert!(
        out.status.success(),
        "ogr2ogr {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `ogrinfo` on one layer of a file: its text (features listed unless `summary`).
fn ogrinfo(path: &Path, layer: &str, summary: bool) -> String {
    let mut cmd = Command::new("ogrinfo");
    cmd.args(["-ro", "-nomd"]);
    if summary {
        cmd.arg("-so");
    }
    let out = cmd.arg(path).arg(layer).output().unwrap();
    assert!(
        out.status.success(),
        "ogrinfo {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn feature_count(info: &str) -> usize {
    info.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count in: {info}"))
}

fn same_value(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (a, b) if a.as_f64().is_some() && b.as_f64().is_some() => a.as_f64() == b.as_f64(),
        // A number in a text field (a GeoJSON property of mixed types) is written as text by a
        // typed format.
        (Value::Text(t), n) if n.as_f64().is_some() => t.parse::<f64>().ok() == n.as_f64(),
        (Value::Text(t), Value::Json(j)) => t == j,
        (Value::Text(t), Value::Bool(b)) => t == &b.to_string() || t == if *b { "1" } else { "0" },
        // A .dbf date reads as a date; written elsewhere it may come back as text.
        (Value::Date(a), Value::Text(b)) | (Value::Text(a), Value::Date(b)) => a == b,
        (a, b) => a == b,
    }
}

/// `got` holds the features of `want` (in order), with the same values by field name and every
/// coordinate within `tolerance` degrees.
fn assert_same(got: &Layer, want: &Layer, tolerance: f64, what: &str) {
    assert_eq!(got.features.len(), want.features.len(), "{what}: count");
    for field in &want.fields {
        assert!(
            got.field_index(&field.name).is_some(),
            "{what}: field {} missing",
            field.name
        );
    }
    for (i, (g, w)) in got.features.iter().zip(&want.features).enumerate() {
        for field in &want.fields {
            let (a, b) = (
                got.value(i, &field.name).unwrap_or(&Value::Null),
                w.values[want.field_index(&field.name).unwrap()].clone(),
            );
            assert!(
                same_value(a, &b),
                "{what}: feature {i}, field {}: {a:?} vs {b:?}",
                field.name
            );
        }
        match (&g.geometry, &w.geometry) {
            (None, None) => {}
            (Some(a), Some(b)) => {
                let (ca, cb): (Vec<_>, Vec<_>) =
                    (a.coords_iter().collect(), b.coords_iter().collect());
                assert_eq!(ca.len(), cb.len(), "{what}: feature {i} coordinates");
                for (p, q) in ca.iter().zip(&cb) {
                    assert!(
                        (p.x - q.x).abs() <= tolerance && (p.y - q.y).abs() <= tolerance,
                        "{what}: feature {i}: {p:?} vs {q:?}"
                    );
                }
            }
            (a, b) => panic!("{what}: feature {i}: geometry {a:?} vs {b:?}"),
        }
    }
}

/// A box over the middle fifth of a layer's extent, each way.
fn middle_fifth(layer: &Layer) -> Envelope {
    let b = layer.index.bbox().unwrap();
    let (w, h) = (b.max_x - b.min_x, b.max_y - b.min_y);
    Envelope::new(
        b.min_x + 0.4 * w,
        b.min_y + 0.4 * h,
        b.min_x + 0.6 * w,
        b.min_y + 0.6 * h,
    )
}

fn rect(b: Envelope) -> geo_types::Rect<f64> {
    geo_types::Rect::new((b.min_x, b.min_y), (b.max_x, b.max_y))
}

fn os(s: &str) -> &OsStr {
    OsStr::new(s)
}

#[test]
fn geopackages_gdal_wrote_load_as_their_originals() {
    let dir = tempfile::tempdir().unwrap();
    for (crs, index) in [("EPSG:4326", "YES"), ("EPSG:6677", "NO")] {
        let gpkg = dir.path().join(format!("all_{}_{index}.gpkg", &crs[5..]));
        for (i, original) in originals().iter().enumerate() {
            let mut args = vec![os("-f"), os("GPKG")];
            if i > 0 {
                args.push(os("-update"));
            }
            let name = format!("layer{i}");
            args.extend([
                gpkg.as_os_str(),
                original.as_os_str(),
                os("-nln"),
                os(&name),
            ]);
            args.extend([
                os("-s_srs"),
                os("EPSG:4326"),
                os("-t_srs"),
                os(crs),
                os("-lco"),
            ]);
            let spatial_index = format!("SPATIAL_INDEX={index}");
            args.push(os(&spatial_index));
            ogr2ogr(&args);
        }
        // The file names every table; each loads as its original did.
        let paths = sitelens::io::layer_paths(&gpkg).unwrap();
        assert_eq!(paths.len(), originals().len());
        for (i, original) in originals().iter().enumerate() {
            let want = load_ok(original);
            let got = load_ok(&paths[i]);
            assert_eq!(got.name, format!("layer{i}"));
            assert_eq!(got.source.crs.epsg, Some(crs[5..].parse().unwrap()));
            assert_eq!(got.source.crs.decided_by.as_str(), "gpkg_spatial_ref_sys");
            // Through zone IX and back: PROJ's round trip is far inside 1e-7°.
            assert_same(
                &got,
                &want,
                1e-7,
                &format!("{} in {crs}", original.display()),
            );
        }
    }
}

#[test]
fn a_box_reads_through_the_rtree_and_finds_what_a_full_read_finds() {
    let dir = tempfile::tempdir().unwrap();
    let src = corpus("pyshp/tests/shapefiles/blockgroups.shp");
    let with = dir.path().join("with.gpkg");
    let without = dir.path().join("without.gpkg");
    ogr2ogr(&[
        os("-f"),
        os("GPKG"),
        with.as_os_str(),
        src.as_os_str(),
        os("-a_srs"),
        os("EPSG:4326"),
        os("-nlt"),
        os("PROMOTE_TO_MULTI"),
    ]);
    ogr2ogr(&[
        os("-f"),
        os("GPKG"),
        without.as_os_str(),
        src.as_os_str(),
        os("-a_srs"),
        os("EPSG:4326"),
        os("-lco"),
        os("SPATIAL_INDEX=NO"),
    ]);
    let full = load_ok(&with);
    let bbox = middle_fifth(&full);
    let options = LoadOptions {
        bbox_hint: Some(bbox),
        ..Default::default()
    };
    let indexed = load(&with, &options).unwrap();
    let scanned = load(&without, &options).unwrap();
    let hits = |l: &Layer| -> Vec<u64> {
        let mut v: Vec<u64> = l
            .features
            .iter()
            .filter(|f| {
                f.geometry.as_ref().is_some_and(|g| {
                    use geo::Intersects;
                    g.intersects(&rect(bbox))
                })
            })
            .map(|f| f.record)
            .collect();
        v.sort_unstable();
        v
    };
    // The index read only candidates, fewer than the table; the same features pass the box.
    assert!(
        indexed.features.len() < full.features.len() / 2,
        "{}",
        indexed.features.len()
    );
    assert_eq!(scanned.features.len(), full.features.len());
    assert_eq!(indexed.source.record_count, full.features.len());
    assert!(!hits(&indexed).is_empty());
    assert_eq!(hits(&indexed), hits(&full));
}

#[test]
fn a_geopackage_is_named_whole_or_by_table_and_bad_ones_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let hino = shared().join("data/hino");
    let gpkg = dir.path().join("two.gpkg");
    ogr2ogr(&[
        os("-f"),
        os("GPKG"),
        gpkg.as_os_str(),
        hino.join("stations_n02_2023.geojson").as_os_str(),
        os("-nln"),
        os("駅"),
    ]);
    ogr2ogr(&[
        os("-f"),
        os("GPKG"),
        os("-update"),
        gpkg.as_os_str(),
        hino.join("railway_lines.geojson").as_os_str(),
        os("-nln"),
        os("lines"),
    ]);
    // `info FILE.gpkg` describes both tables; `FILE.gpkg/駅` one.
    let all = run_ok(&[os("info"), os("--json"), gpkg.as_os_str()]);
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    let names: Vec<&str> = all["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["駅", "lines"]);
    assert_eq!(load_ok(&gpkg.join("駅")).features.len(), 36);
    // `load` of the whole file needs a table; a wrong one lists them.
    let e = load(&gpkg, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("2 layers") && e.contains("FILE.gpkg/LAYER"),
        "{e}"
    );
    let e = load(&gpkg.join("nope"), &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no layer 'nope'") && e.contains("駅, lines"),
        "{e}"
    );
    // In a .zip: a table named through the archive, as GDAL's /vsizip/ path would.
    let zip_path = dir.path().join("two.zip");
    {
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
        zip.start_file("data/two.gpkg", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, &std::fs::read(&gpkg).unwrap()).unwrap();
        zip.finish().unwrap();
    }
    let lines = load_ok(&zip_path.join("data/two.gpkg/lines"));
    assert_eq!(lines.features.len(), 4);
    assert_eq!(lines.source.member.as_deref(), Some("data/two.gpkg/lines"));
    // An SQLite database that is not a GeoPackage, and a text file named .gpkg.
    let db = dir.path().join("plain.gpkg");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1);")
        .unwrap();
    let e = load(&db, &LoadOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("plain.gpkg") && e.contains("not a GeoPackage"),
        "{e}"
    );
    let txt = dir.path().join("text.gpkg");
    std::fs::write(&txt, "hello, I am not a database").unwrap();
    let e = load(&txt, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("not an SQLite database"), "{e}");
}

#[test]
fn a_geopackage_whose_catalogue_never_ends_is_stopped() {
    // gpkg_contents as a view over a recursive query with no end: a file built to hang a reader.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("endless.gpkg");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE gpkg_geometry_columns (table_name TEXT, column_name TEXT, srs_id INTEGER);
             CREATE VIEW gpkg_contents AS
               WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
               SELECT 't' || n AS table_name, 'features' AS data_type FROM r WHERE n < 0;",
        )
        .unwrap();
    let started = std::time::Instant::now();
    let e = load(&path, &LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("endless.gpkg") && e.contains("stopped"), "{e}");
    // Not a timing test: a generous bound that only an endless read would break.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn flatgeobufs_gdal_wrote_load_as_their_originals_and_by_box() {
    let dir = tempfile::tempdir().unwrap();
    for (crs, index) in [("EPSG:4326", "YES"), ("EPSG:6677", "NO")] {
        for original in originals() {
            let out = dir.path().join(format!(
                "{}_{}_{index}.fgb",
                original.file_stem().unwrap().to_string_lossy(),
                &crs[5..]
            ));
            let spatial_index = format!("SPATIAL_INDEX={index}");
            ogr2ogr(&[
                os("-f"),
                os("FlatGeobuf"),
                out.as_os_str(),
                original.as_os_str(),
                os("-s_srs"),
                os("EPSG:4326"),
                os("-t_srs"),
                os(crs),
                os("-nlt"),
                os("PROMOTE_TO_MULTI"),
                os("-lco"),
                os(&spatial_index),
            ]);
            let want = load_ok(&original);
            let got = load_ok(&out);
            assert_eq!(got.source.crs.epsg, Some(crs[5..].parse().unwrap()));
            // GDAL writes a Hilbert-sorted file when it indexes: compare by record order then.
            let mut got = got;
            if index == "YES" {
                got = reorder_like(got, &want);
            }
            assert_same(&got, &want, 1e-7, &out.display().to_string());
        }
    }
    // By box through the index: the same hits as a full read.
    let src = corpus("pyshp/tests/shapefiles/blockgroups.shp");
    let fgb = dir.path().join("bg.fgb");
    ogr2ogr(&[
        os("-f"),
        os("FlatGeobuf"),
        fgb.as_os_str(),
        src.as_os_str(),
        os("-a_srs"),
        os("EPSG:4326"),
        os("-nlt"),
        os("PROMOTE_TO_MULTI"),
    ]);
    let full = load_ok(&fgb);
    let bbox = middle_fifth(&full);
    let boxed = load(
        &fgb,
        &LoadOptions {
            bbox_hint: Some(bbox),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(boxed.features.len() < full.features.len() / 2);
    assert_eq!(boxed.source.record_count, full.features.len());
    let inside = |l: &Layer| {
        let mut v: Vec<u64> = l
            .features
            .iter()
            .filter(|f| {
                use geo::Intersects;
                f.geometry
                    .as_ref()
                    .is_some_and(|g| g.intersects(&rect(bbox)))
            })
            .map(|f| f.record)
            .collect();
        v.sort_unstable();
        v
    };
    assert!(!inside(&boxed).is_empty());
    assert_eq!(inside(&boxed), inside(&full));
}

/// `got`'s features in the order of `want`'s, matched by their values (a Hilbert-sorted file
/// keeps no record numbers of its source).
fn reorder_like(mut got: Layer, want: &Layer) -> Layer {
    let key = |l: &Layer, i: usize| -> String {
        let f = &l.features[i];
        let mut k: Vec<String> = want
            .fields
            .iter()
            .map(|fd| {
                l.value(i, &fd.name)
                    .map(|v| v.as_f64().map_or_else(|| v.to_string(), |x| x.to_string()))
                    .unwrap_or_default()
            })
            .collect();
        // Every coordinate, to a micro-degree (GDAL's copies moved through another CRS).
        if let Some(g) = &f.geometry {
            for c in g.coords_iter() {
                k.push(format!("{:.6},{:.6}", c.x, c.y));
            }
        }
        k.join("|")
    };
    // Each key's features in `got`, taken in order.
    let mut by_key: std::collections::HashMap<String, std::collections::VecDeque<usize>> =
        std::collections::HashMap::new();
    for j in 0..got.features.len() {
        by_key.entry(key(&got, j)).or_default().push_back(j);
    }
    let mut order: Vec<usize> = Vec::with_capacity(want.features.len());
    for i in 0..want.features.len() {
        let k = key(want, i);
        let j = by_key
            .get_mut(&k)
            .and_then(|js| js.pop_front())
            .unwrap_or_else(|| panic!("no feature like {k}"));
        order.push(j);
    }
    let features = std::mem::take(&mut got.features);
    let mut slots: Vec<Option<_>> = features.into_iter().map(Some).collect();
    got.features = order
        .into_iter()
        .map(|j| slots[j].take().unwrap())
        .collect();
    got
}

#[test]
fn damaged_flatgeobufs_are_clear_errors_or_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let src = shared().join("data/hino/shelters_evacuation_132128.geojson");
    let fgb = dir.path().join("s.fgb");
    ogr2ogr(&[os("-f"), os("FlatGeobuf"), fgb.as_os_str(), src.as_os_str()]);
    let bytes = std::fs::read(&fgb).unwrap();
    // Cut in the middle of the features: the header says 57, the file holds fewer.
    // What comes before the cut loads; the cut feature and the count are said.
    let cut = dir.path().join("cut.fgb");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let layer = load_ok(&cut);
    assert!(layer.features.len() > 20 && layer.features.len() < 57);
    let n = layer.features.len() as u64;
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.record == Some(n) && w.message.contains("not read"))
    );
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.message.contains("the header counts 57 features"))
    );
    // An index that points outside itself: said, and the features read in sequence.
    let damaged = dir.path().join("damaged.fgb");
    let mut b = bytes.clone();
    let index = 12 + u32::from_le_bytes(b[8..12].try_into().unwrap()) as usize;
    b[index + 32..index + 40].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&damaged, &b).unwrap();
    let options = LoadOptions {
        bbox_hint: Some(Envelope::new(139.3, 35.6, 139.5, 35.7)),
        ..Default::default()
    };
    let layer = load(&damaged, &options).unwrap();
    assert_eq!(layer.features.len(), 57);
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.message.contains("index is not used")),
        "{:?}",
        layer.warnings
    );
    // Not a FlatGeobuf at all, and a header size past the end.
    let junk = dir.path().join("junk.fgb");
    std::fs::write(&junk, b"PK\x03\x04 not flatgeobuf").unwrap();
    assert!(
        load(&junk, &LoadOptions::default())
            .unwrap_err()
            .to_string()
            .contains("not a FlatGeobuf")
    );
    let mut lying = bytes[..12].to_vec();
    lying[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    let lie = dir.path().join("lie.fgb");
    std::fs::write(&lie, &lying).unwrap();
    let e = load(&lie, &LoadOptions::default()).unwrap_err().to_string();
    assert!(e.contains("more than the file holds"), "{e}");
}

/// Exports `inputs` to `out` with extra arguments, every field kept (the public profile has its
/// own tests); returns the CLI's summary.
fn export(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> String {
    let mut args: Vec<&OsStr> = vec![os("export"), os("--profile"), os("internal")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([os("-o"), out.as_os_str()]);
    args.extend(extra.iter().map(|a| os(a)));
    run_ok(&args)
}

#[test]
fn geopackage_exports_read_back_in_gdal_and_sitelens() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = originals();
    let out = dir.path().join("out.gpkg");
    let summary = export(&inputs, &out, &[]);
    assert!(summary.contains("features written"), "{summary}");
    // GDAL: one table per input with its count; the validator finds nothing wrong.
    for input in &inputs {
        let want = load_ok(input);
        let info = ogrinfo(&out, &want.name, true);
        assert_eq!(feature_count(&info), want.features.len(), "{}", want.name);
    }
    let listed = ogrinfo(&out, "shelters_evacuation_132128", false);
    assert!(
        listed.contains("施設・場所名 (String) = 東京光の家"),
        "{listed}"
    );
    validate_geopackage(&out);
    // sitelens: every table loads with the original's features.
    for input in &inputs {
        let want = load_ok(input);
        let got = load_ok(&out.join(&want.name));
        assert_same(&got, &want, 1e-12, &want.name);
    }
    // R-tree and metadata are there, as the standard names them.
    let conn = rusqlite::Connection::open(&out).unwrap();
    let rtrees: i64 = conn
        .query_row(
            "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rtrees, inputs.len() as i64);
    let metadata: String = conn
        .query_row(
            "SELECT metadata FROM gpkg_metadata WHERE mime_type = 'application/json'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        metadata.contains("\"generator\"") && metadata.contains("blockgroups.shp"),
        "{metadata}"
    );
}

/// GDAL's GeoPackage validator (python3-gdal, installed by .ci/setup).
fn validate_geopackage(path: &Path) {
    let script = Path::new("/usr/lib/python3/dist-packages/osgeo_utils/samples/validate_gpkg.py");
    assert!(
        script.exists(),
        "GDAL's validate_gpkg.py is missing: .ci/setup installs python3-gdal"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "validate_gpkg.py {}: {}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn flatgeobuf_exports_read_back_in_gdal_and_sitelens() {
    let dir = tempfile::tempdir().unwrap();
    for input in originals() {
        let want = load_ok(&input);
        let out = dir.path().join(format!("{}.fgb", want.name));
        export(std::slice::from_ref(&input), &out, &[]);
        let info = ogrinfo(&out, &want.name, true);
        assert_eq!(feature_count(&info), want.features.len(), "{}", want.name);
        // Hilbert-sorted: compared by content, not order.
        let got = reorder_like(load_ok(&out), &want);
        assert_same(&got, &want, 1e-12, &want.name);
        // Title, credit and provenance in the header.
        let bytes = std::fs::read(&out).unwrap();
        let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..]).unwrap();
        assert_eq!(header.title(), Some(want.name.as_str()));
        assert!(header.metadata().unwrap().contains("\"generator\""));
        assert!(header.index_node_size() > 0);
    }
    let listed = ogrinfo(
        &dir.path().join("shelters_evacuation_132128.fgb"),
        "shelters_evacuation_132128",
        false,
    );
    assert!(listed.contains("東京光の家"), "{listed}");
}

#[test]
fn to_crs_writes_zone_ix_that_gdal_names_and_sitelens_brings_back() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared().join("data/hino/shelters_evacuation_132128.geojson");
    let want = load_ok(&input);
    for ext in ["gpkg", "fgb", "csv"] {
        let out = dir.path().join(format!("ix.{ext}"));
        export(
            std::slice::from_ref(&input),
            &out,
            &["--to-crs", "EPSG:6677"],
        );
        if ext == "csv" {
            let text = std::fs::read_to_string(&out).unwrap();
            let header = text.lines().next().unwrap();
            assert!(header.ends_with(",x,y"), "{header}");
            let readme = std::fs::read_to_string(dir.path().join("ix.README.md")).unwrap();
            assert!(readme.contains("EPSG:6677"), "{readme}");
            continue;
        }
        let layer = if ext == "gpkg" {
            "shelters_evacuation_132128"
        } else {
            "ix"
        };
        let info = ogrinfo(&out, layer, true);
        assert!(
            info.contains("ID[\"EPSG\",6677]") || info.contains("Japan Plane Rectangular CS IX"),
            "{info}"
        );
        // Zone IX metres: Hino lies some 35–45 km west and south of the zone's origin.
        let extent = info.lines().find(|l| l.starts_with("Extent:")).unwrap();
        assert!(extent.contains("(-4") || extent.contains("(-3"), "{extent}");
        let mut got = load_ok(&out);
        assert_eq!(got.source.crs.epsg, Some(6677));
        if ext == "fgb" {
            got = reorder_like(got, &want);
        }
        // Out to zone IX and back in: within a millimetre (1e-8° ≈ 1 mm).
        assert_same(&got, &want, 1e-8, ext);
    }
    // GeoJSON stays RFC 7946: asking for another CRS is refused, and nothing is written.
    let out = dir.path().join("ix.geojson");
    let status = Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args([
            os("export"),
            input.as_os_str(),
            os("-o"),
            out.as_os_str(),
            os("--to-crs"),
            os("6677"),
        ])
        .output()
        .unwrap();
    assert!(!status.status.success());
    assert!(String::from_utf8_lossy(&status.stderr).contains("RFC 7946"));
    assert!(!out.exists());
}

#[test]
fn sample_data_is_marked_in_geopackage_and_flatgeobuf_exports() {
    let dir = tempfile::tempdir().unwrap();
    let sites = sitelens::embedded::HINO
        .iter()
        .find(|e| e.file.contains("sites"))
        .expect("the fictional sites ship embedded");
    let path = dir.path().join(Path::new(sites.file).file_name().unwrap());
    std::fs::write(&path, sites.bytes).unwrap();
    let gpkg = dir.path().join("sites.gpkg");
    let fgb = dir.path().join("sites.fgb");
    export(std::slice::from_ref(&path), &gpkg, &[]);
    export(std::slice::from_ref(&path), &fgb, &[]);
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    let (identifier, description): (String, String) = conn
        .query_row(
            "SELECT identifier, description FROM gpkg_contents",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(identifier.contains("fictional sample"), "{identifier}");
    assert!(
        description.contains("FICTIONAL SAMPLE DATA"),
        "{description}"
    );
    let bytes = std::fs::read(&fgb).unwrap();
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..]).unwrap();
    assert!(
        header
            .description()
            .unwrap()
            .contains("FICTIONAL SAMPLE DATA")
    );
    assert!(header.metadata().unwrap().contains("FICTIONAL SAMPLE DATA"));
}

/// Every corpus layer with a known CRS → .gpkg and .fgb → load: the same count and values (by
/// field name, as the GeoPackage writer may rename a field that clashes), the same coordinates.
#[test]
fn every_corpus_layer_round_trips_through_geopackage_and_flatgeobuf() {
    use sitelens::export::{self, ExportOptions, Profile, Section};
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (path, layer) in crate::exportable_corpus_layers() {
        let name = path.display().to_string();
        for ext in ["gpkg", "fgb"] {
            let out = dir.path().join(format!("rt{checked}.{ext}"));
            let ids = (0..layer.features.len()).collect();
            let sections = [Section::new(&layer, ids, Profile::Internal, Vec::new())];
            let options = ExportOptions {
                profile: Profile::Internal,
                ..Default::default()
            };
            let written = export::export(&out, &sections, &options, &[])
                .unwrap_or_else(|e| panic!("{name} → {ext}: {e}"));
            assert_eq!(written.features, layer.features.len(), "{name}");
            let mut back = load(&out, &LoadOptions::default())
                .unwrap_or_else(|e| panic!("{name} → {ext}: {e}"));
            let mut want = layer_clone(&layer);
            // Features without geometry have no place in a FlatGeobuf's index: compare by
            // content, not by order.
            if ext == "fgb" {
                back = reorder_like(back, &want);
            }
            // A field the format could not keep under its name.
            for (from, to) in &written.renamed {
                let to = to.rsplit('.').next().unwrap();
                if let Some(c) = want.fields.iter_mut().find(|f| &f.name == from) {
                    c.name = to.to_string();
                }
            }
            assert_same(&back, &want, 1e-12, &format!("{name} → {ext}"));
        }
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} corpus layers round-tripped");
}

/// The fields, features and name of a layer, without its index.
fn layer_clone(l: &Layer) -> Layer {
    Layer::new(
        l.name.clone(),
        l.source.clone(),
        l.fields.clone(),
        l.features.clone(),
        Vec::new(),
    )
}

#[test]
fn geopackage_column_types_and_spatial_reference_systems_read_as_declared() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("types.gpkg");
    let src = shared().join("data/hino/stations_n02_2023.geojson");
    ogr2ogr(&[
        os("-f"),
        os("GPKG"),
        gpkg.as_os_str(),
        src.as_os_str(),
        os("-nln"),
        os("t"),
        os("-t_srs"),
        os("EPSG:6677"),
    ]);
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    // GDAL's R-tree triggers call ST_ functions that only GDAL provides: edits here go without.
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        conn.execute_batch(&format!("DROP TRIGGER \"{t}\""))
            .unwrap();
    }
    conn.execute_batch(
        "ALTER TABLE t ADD COLUMN flag BOOLEAN;
         ALTER TABLE t ADD COLUMN opened DATE;
         ALTER TABLE t ADD COLUMN stamp DATETIME;
         ALTER TABLE t ADD COLUMN photo BLOB;
         ALTER TABLE t ADD COLUMN n MEDIUMINT;
         UPDATE t SET flag = fid % 2, opened = '2024-04-01', stamp = '2024-04-01T09:30:00Z',
                      photo = x'89504E47', n = fid * 10;
         UPDATE t SET opened = 'soon' WHERE fid = 3;",
    )
    .unwrap();
    let layer = load_ok(&gpkg);
    let kind = |name: &str| {
        layer.fields[layer.field_index(name).unwrap()]
            .field_type
            .name()
    };
    assert_eq!(
        [kind("flag"), kind("opened"), kind("stamp"), kind("n")],
        ["bool", "date", "text", "int"]
    );
    assert!(layer.field_index("photo").is_none());
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.record.is_none() && w.message.contains("'photo'"))
    );
    assert_eq!(layer.value(0, "flag"), Some(&Value::Bool(true)));
    assert_eq!(
        layer.value(1, "opened"),
        Some(&Value::Date("2024-04-01".into()))
    );
    assert_eq!(layer.value(1, "n"), Some(&Value::Int(20)));
    // A date that is not one: kept as text, and said with its record (fid 3).
    assert_eq!(layer.value(2, "opened"), Some(&Value::Text("soon".into())));
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.record == Some(3) && w.message.contains("not a date"))
    );
    // Undefined SRS (srs_id 0): the CRS is unknown, and the zone IX metres are recognised as
    // not lon/lat, with the zones they would fit suggested.
    conn.execute_batch(
        "UPDATE gpkg_geometry_columns SET srs_id = 0; UPDATE gpkg_contents SET srs_id = 0;",
    )
    .unwrap();
    let undefined = load_ok(&gpkg);
    assert!(!undefined.source.crs.known);
    assert!(
        undefined
            .source
            .crs
            .suggestions
            .iter()
            .any(|z| z.epsg == 6677),
        "{:?}",
        undefined.source.crs
    );
    // An organisation other than EPSG with its WKT: PROJ reads the WKT.
    let wkt: String = conn
        .query_row(
            "SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 6677",
            [],
            |r| r.get(0),
        )
        .unwrap();
    conn.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('city', 900001, 'HINO', 1, ?1, NULL)",
        [&wkt],
    )
    .unwrap();
    conn.execute_batch("UPDATE gpkg_geometry_columns SET srs_id = 900001; UPDATE gpkg_contents SET srs_id = 900001;")
        .unwrap();
    let custom = load_ok(&gpkg);
    assert!(custom.source.crs.known);
    assert_eq!(custom.source.crs.epsg, Some(6677));
    assert_same(&custom, &load_ok(&src), 1e-7, "custom SRS");
}

#[test]
fn metadata_none_leaves_geopackage_and_flatgeobuf_without_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared().join("data/hino/railway_lines.geojson");
    let gpkg = dir.path().join("bare.gpkg");
    let fgb = dir.path().join("bare.fgb");
    export(std::slice::from_ref(&input), &gpkg, &["--metadata", "none"]);
    export(std::slice::from_ref(&input), &fgb, &["--metadata", "none"]);
    let conn = rusqlite::Connection::open(&gpkg).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM gpkg_metadata", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    validate_geopackage(&gpkg);
    let bytes = std::fs::read(&fgb).unwrap();
    let header = flatgeobuf::size_prefixed_root_as_header(&bytes[8..]).unwrap();
    assert!(header.metadata().is_none());
    assert_eq!(load_ok(&fgb).features.len(), 4);
}

/// With the time given (`written_at`, what `publish --issued` sets), the same inputs give the same
/// bytes in every format: the provenance, a .dbf header and a GeoPackage's time stamps take it
/// instead of the clock.
#[test]
fn every_format_gives_the_same_bytes_for_the_same_inputs_and_time() {
    use sitelens::export::{self, ExportOptions, Profile, Section};
    let dir = tempfile::tempdir().unwrap();
    let layer = load_ok(&shared().join("data/hino/shelters_evacuation_132128.geojson"));
    let options = ExportOptions {
        readme: true,
        written_at: Some("2024-04-01".into()),
        ..Default::default()
    };
    for ext in ["geojson", "csv", "shp", "gpkg", "fgb"] {
        let mut runs: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
        for run in 0..2 {
            let out = dir.path().join(format!("{run}")).join(format!("s.{ext}"));
            std::fs::create_dir_all(out.parent().unwrap()).unwrap();
            let ids = (0..layer.features.len()).collect();
            let sections = [Section::new(&layer, ids, Profile::Public, Vec::new())];
            let written = export::export(&out, &sections, &options, &[]).unwrap();
            let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(out.parent().unwrap())
                .unwrap()
                .map(|e| {
                    let p = e.unwrap().path();
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        std::fs::read(&p).unwrap(),
                    )
                })
                .collect();
            files.sort();
            assert!(files.len() >= written.files.len());
            runs.push(files);
        }
        assert_eq!(runs[0].len(), runs[1].len(), "{ext}");
        for (a, b) in runs[0].iter().zip(&runs[1]) {
            assert_eq!(a.0, b.0);
            assert!(a.1 == b.1, "{ext}: {} differs between two runs", a.0);
        }
        let all: Vec<u8> = runs[0].iter().flat_map(|(_, b)| b.clone()).collect();
        assert!(
            String::from_utf8_lossy(&all).contains("2024-04-01"),
            "{ext}: the given time is written"
        );
    }
}
