//! The streamed export writes the bytes the whole-file export writes: every GeoJSON layer of the
//! Hino data, the samples and the corpus, whole, by box, by attribute and cut by --top, read in
//! pieces small enough that every file spans many. What does not stream says so and nothing is
//! written; the command line then exports it the usual way.

use std::path::{Path, PathBuf};

use sitelens::export::stream::{Outcome, StreamJob, export_streamed};
use sitelens::export::{ExportOptions, Profile, Section, export};
use sitelens::filter::{BboxFilter, Filter};
use sitelens::model::Value;
use sitelens::{LoadOptions, load};

use super::{corpus_layer_files, shared};

/// The whole-file export of `path` through `filter`, as `sitelens export` makes it.
fn whole(path: &Path, filter: &Filter, top: Option<usize>, out: &Path, options: &ExportOptions) {
    let load_options = LoadOptions {
        bbox_hint: filter.bbox.as_ref().map(|b| b.envelope),
        ..LoadOptions::default()
    };
    let layer = load(path, &load_options).unwrap();
    filter.check(&layer).unwrap();
    let mut ids = filter.apply(&layer).unwrap();
    if let Some(n) = top {
        ids.truncate(n);
    }
    let section = Section::new(&layer, ids, Profile::Public, filter.fields_used(&layer));
    export(out, &[section], options, &[]).unwrap();
}

fn streamed(
    path: &Path,
    filter: &Filter,
    top: Option<usize>,
    out: &Path,
    options: &ExportOptions,
    block_bytes: usize,
) -> Outcome {
    let inputs = vec![path.to_path_buf()];
    let job = StreamJob {
        target: out,
        inputs: &inputs,
        filter,
        load: &LoadOptions::default(),
        internal: None,
        top,
        options,
        protected: &[],
        block_bytes,
    };
    export_streamed(&job, &mut |_| {}).unwrap()
}

/// A folder with the two outputs to compare (whole read, streamed) and options whose time is
/// fixed, so the same features give the same bytes.
pub fn comparison() -> (tempfile::TempDir, PathBuf, PathBuf, ExportOptions) {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("whole.geojson"),
        dir.path().join("streamed.geojson"),
    );
    let options = ExportOptions {
        written_at: Some("2026-12-01".into()),
        ..ExportOptions::default()
    };
    (dir, a, b, options)
}

fn geojson_layers() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(shared().join("data/hino"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .chain(
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample"))
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
        .chain(corpus_layer_files())
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e == "json")
        })
        .collect();
    files.sort();
    files
}

#[test]
fn streamed_exports_are_byte_for_byte_the_whole_file_exports() {
    let (_dir, a, b, options) = comparison();
    let mut streamed_files = 0;
    let mut compared = 0;
    for path in geojson_layers() {
        let Ok(layer) = load(&path, &LoadOptions::default()) else {
            continue;
        };
        if !layer.source.crs.known {
            continue;
        }
        let Some(extent) = layer.index.bbox() else {
            continue;
        };
        // The middle of the layer: a box that cuts it.
        let (w, h) = (extent.max_x - extent.min_x, extent.max_y - extent.min_y);
        let text = format!(
            "{},{},{},{}",
            extent.min_x + w * 0.25,
            extent.min_y + h * 0.25,
            extent.max_x - w * 0.3,
            extent.max_y - h * 0.3
        );
        let Ok(bbox) = BboxFilter::parse(&text, None) else {
            continue;
        };
        let boxed = Filter {
            bbox: Some(bbox),
            ..Filter::default()
        };
        // An attribute filter on the first field whose values are numbers, when there is one.
        let numeric = layer.fields.iter().find(|f| {
            matches!(
                f.field_type,
                sitelens::model::FieldType::Int | sitelens::model::FieldType::Float
            )
        });
        let mut filters = vec![
            (Filter::default(), None),
            (boxed, None),
            (Filter::default(), Some(3)),
        ];
        if let Some(f) = numeric {
            let where_text = format!("\"{}\" >= 1", f.name.replace('"', "\"\""));
            filters.push((
                Filter {
                    where_text: Some(where_text),
                    ..Filter::default()
                },
                None,
            ));
        }
        let mut streamed_here = false;
        for (filter, top) in &filters {
            whole(&path, filter, *top, &a, &options);
            // A block of 1 KiB: every file of more than a few features comes in many pieces.
            match streamed(&path, filter, *top, &b, &options, 1024) {
                Outcome::Written(done) => {
                    streamed_here = true;
                    compared += 1;
                    assert_eq!(
                        std::fs::read_to_string(&a).unwrap(),
                        std::fs::read_to_string(&b).unwrap(),
                        "{}: {filter:?} top {top:?}",
                        path.display()
                    );
                    assert_eq!(done.written.features, {
                        let v: serde_json::Value =
                            serde_json::from_slice(&std::fs::read(&b).unwrap()).unwrap();
                        v["features"].as_array().unwrap().len()
                    });
                }
                Outcome::CannotStream(_) => {}
            }
            let _ = std::fs::remove_file(&b);
        }
        streamed_files += usize::from(streamed_here);
    }
    // Every Hino and sample layer streams (12), and corpus files of the plain shape.
    assert!(streamed_files >= 12, "{streamed_files} files streamed");
    assert!(compared >= 40, "{compared} exports compared");
}

#[test]
fn what_cannot_stream_writes_nothing_and_the_command_exports_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let options = ExportOptions::default();
    let out = dir.path().join("out.geojson");
    // A field that first appears in the last feature, after others were written.
    let late = dir.path().join("late.geojson");
    let mut features: Vec<String> = (0..200)
        .map(|i| format!(r#"{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"Point","coordinates":[139.4,35.6]}}}}"#))
        .collect();
    features.push(r#"{"type":"Feature","properties":{"n":1,"late":"x"},"geometry":{"type":"Point","coordinates":[139.4,35.6]}}"#.into());
    crate::fixtures::write_collection(&late, &features);
    assert!(matches!(
        streamed(&late, &Filter::default(), None, &out, &options, 512),
        Outcome::CannotStream(_)
    ));
    assert!(!out.exists());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .arg("export")
        .arg(&late)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(v["features"].as_array().unwrap().len(), 201);
    assert!(v["features"][0]["properties"]["late"].is_null());

    // A file cut in the middle of a feature: the whole read names the problem.
    let cut = dir.path().join("cut.geojson");
    let text = std::fs::read_to_string(&late).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    let out2 = dir.path().join("out2.geojson");
    assert!(matches!(
        streamed(&cut, &Filter::default(), None, &out2, &options, 512),
        Outcome::CannotStream(_)
    ));
    assert!(!out2.exists());
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .arg("export")
        .arg(&cut)
        .arg("-o")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cut.geojson") && err.contains("invalid JSON"),
        "{err}"
    );
    assert!(!out2.exists());
}

/// Shapefiles written by GDAL from the Hino layers (.prj and .cpg beside them) and every corpus
/// Shapefile that states its CRS and encoding: streamed, they export as a whole read does.
#[test]
fn streamed_shapefiles_export_as_whole_reads_do() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for name in [
        "shelters_emergency_132128",
        "stations_n02_2023",
        "railway_lines",
        "neighbours_n03_2021_simplified",
        "hino_boundary_n03",
    ] {
        let out = dir.path().join(format!("{name}.shp"));
        let status = std::process::Command::new("ogr2ogr")
            .arg("-f")
            .arg("ESRI Shapefile")
            .arg(&out)
            .arg(shared().join("data/hino").join(format!("{name}.geojson")))
            .arg("-lco")
            .arg("ENCODING=UTF-8")
            .status()
            .expect("ogr2ogr (gdal-bin, installed by .ci/setup)");
        assert!(status.success());
        files.push(out);
    }
    files.extend(corpus_layer_files().into_iter().filter(|p| {
        p.extension().is_some_and(|e| e.eq_ignore_ascii_case("shp"))
            && p.with_extension("prj").is_file()
            && p.with_extension("cpg").is_file()
    }));
    let options = ExportOptions {
        written_at: Some("2026-12-01".into()),
        ..ExportOptions::default()
    };
    let (a, b) = (
        dir.path().join("whole.geojson"),
        dir.path().join("streamed.geojson"),
    );
    let mut compared = 0;
    let mut with_where = 0;
    for path in &files {
        let Ok(layer) = load(path, &LoadOptions::default()) else {
            continue;
        };
        let Some(extent) = layer.index.bbox() else {
            continue;
        };
        let (w, h) = (extent.max_x - extent.min_x, extent.max_y - extent.min_y);
        let mut filters = vec![(Filter::default(), None), (Filter::default(), Some(2))];
        // An attribute filter (tested on the .dbf rows before the shapes are decoded): the
        // first number or text field against the middle feature's value.
        let middle = &layer.features[layer.features.len() / 2];
        let condition = layer
            .fields
            .iter()
            .zip(&middle.values)
            .find_map(|(f, v)| match v {
                Value::Int(n) => Some(format!("\"{}\" >= {n}", f.name.replace('"', "\"\""))),
                Value::Float(x) => Some(format!("\"{}\" < {x}", f.name.replace('"', "\"\""))),
                Value::Text(t) => Some(format!(
                    "\"{}\" <= '{}' OR \"{}\" IS NULL",
                    f.name.replace('"', "\"\""),
                    t.replace('\'', "''"),
                    f.name.replace('"', "\"\"")
                )),
                _ => None,
            });
        if let Some(condition) = condition {
            filters.push((
                Filter {
                    where_text: Some(condition),
                    ..Filter::default()
                },
                None,
            ));
            with_where += 1;
        }
        if let Ok(bbox) = BboxFilter::parse(
            &format!(
                "{},{},{},{}",
                extent.min_x + w * 0.2,
                extent.min_y + h * 0.2,
                extent.max_x - w * 0.35,
                extent.max_y - h * 0.35
            ),
            None,
        ) {
            filters.push((
                Filter {
                    bbox: Some(bbox),
                    ..Filter::default()
                },
                None,
            ));
        }
        for (filter, top) in &filters {
            whole(path, filter, *top, &a, &options);
            match streamed(path, filter, *top, &b, &options, 600) {
                Outcome::Written(_) => {
                    assert_eq!(
                        std::fs::read_to_string(&a).unwrap(),
                        std::fs::read_to_string(&b).unwrap(),
                        "{}: {filter:?} top {top:?}",
                        path.display()
                    );
                    compared += 1;
                }
                Outcome::CannotStream(why) => {
                    assert!(!path.starts_with(dir.path()), "{}: {why}", path.display());
                }
            }
        }
    }
    assert!(compared >= 15, "{compared} exports compared");
    assert!(with_where >= 5, "{with_where} files filtered by attribute");
}

/// A check that counts over the file (positions repeated twice in a row) is said once for the
/// file, with the whole file's count, however many pieces it spans: as the whole read says it.
#[test]
fn a_streamed_file_gets_each_file_warning_once() {
    let (dir, _, out, options) = comparison();
    let features: Vec<String> = (0..40)
        .map(|i| {
            let x = 139.38 + f64::from(i) * 0.001;
            format!(
                r#"{{"type":"Feature","properties":{{"n":{i}}},"geometry":{{"type":"LineString","coordinates":[[{x},35.66],[{x},35.66],[{x},35.67]]}}}}"#
            )
        })
        .collect();
    let path = dir.path().join("repeats.geojson");
    crate::fixtures::write_collection(&path, &features);
    let whole_read: Vec<String> = load(&path, &LoadOptions::default())
        .unwrap()
        .warnings
        .iter()
        .map(|w| w.message.clone())
        .collect();
    assert_eq!(
        whole_read,
        ["40 feature(s) repeat a position twice in a row (first: record 0); kept as they are"]
    );
    let Outcome::Written(written) = streamed(&path, &Filter::default(), None, &out, &options, 300)
    else {
        panic!("the file did not stream");
    };
    let said: Vec<String> = written
        .warnings
        .iter()
        .map(|(_, w)| w.message.clone())
        .collect();
    assert_eq!(said, whole_read);
}

/// Whether the files written to `a` and `b` (a Shapefile's five) have the same bytes.
fn assert_same_files(a: &Path, b: &Path, what: &str) {
    let ext = a.extension().unwrap().to_string_lossy().into_owned();
    let sidecars: Vec<&str> = if ext == "shp" {
        vec!["shp", "shx", "dbf", "prj", "cpg"]
    } else {
        vec![&ext]
    };
    for side in sidecars {
        let same = std::fs::read(a.with_extension(side)).unwrap()
            == std::fs::read(b.with_extension(side)).unwrap();
        assert!(same, "{what}: the .{side} files differ");
    }
}

/// To CSV, Shapefile, GeoPackage and FlatGeobuf the streamed read holds what passes on disk
/// until the format's writer can write it: the same files as the whole read writes.
#[test]
fn other_formats_from_a_streamed_read_are_the_whole_read_files() {
    let (dir, _, _, options) = comparison();
    let filter = Filter {
        bbox: Some(BboxFilter::parse("139.36,35.62,139.42,35.68", None).unwrap()),
        ..Filter::default()
    };
    for name in [
        "shelters_emergency_132128",
        "railway_lines",
        "neighbours_n03_2021_simplified",
    ] {
        let path = shared().join("data/hino").join(format!("{name}.geojson"));
        for ext in ["csv", "gpkg", "fgb", "shp"] {
            // The same file name in two folders: a FlatGeobuf's header names its file.
            let (whole_dir, streamed_dir) = (dir.path().join("whole"), dir.path().join("streamed"));
            std::fs::create_dir_all(&whole_dir).unwrap();
            std::fs::create_dir_all(&streamed_dir).unwrap();
            let a = whole_dir.join(format!("{name}.{ext}"));
            let b = streamed_dir.join(format!("{name}.{ext}"));
            whole(&path, &filter, None, &a, &options);
            let Outcome::Written(done) = streamed(&path, &filter, None, &b, &options, 2048) else {
                panic!("{name}.{ext} did not stream");
            };
            assert!(done.written.features > 0, "{name}.{ext}");
            assert_same_files(&a, &b, name);
        }
    }
}

/// A streamed CSV, GeoPackage, FlatGeobuf or Shapefile holds a row or a chunk at a time: each input's rows
/// wait in a temporary file until what the file must say first is known (a CSV's columns, the
/// union of every input's, and `lon`,`lat` only when all are points; a GeoPackage table's
/// geometry type; a FlatGeobuf header's type and Z; a Shapefile's sizes and .dbf widths). From
/// several inputs with different fields, points alone or mixed with polygons, in lon/lat or a
/// plane rectangular zone, they are the files and READMEs the whole read writes.
#[test]
fn streamed_files_of_every_format_from_several_inputs_are_the_whole_read_files() {
    let (dir, _, _, options) = comparison();
    let hino = |name: &str| shared().join("data/hino").join(format!("{name}.geojson"));
    let points = vec![
        hino("shelters_emergency_132128"),
        hino("shelters_evacuation_132128"),
    ];
    let mixed = vec![
        hino("shelters_evacuation_132128"),
        hino("neighbours_n03_2021_simplified"),
        hino("shelters_emergency_132128"),
    ];
    let plane = ExportOptions {
        to_crs: Some("EPSG:6677".into()),
        readme: true,
        ..options.clone()
    };
    let boxed = || Filter {
        bbox: Some(BboxFilter::parse("139.36,35.62,139.42,35.68", None).unwrap()),
        ..Filter::default()
    };
    let readme = |p: &Path| {
        std::fs::read_to_string(p.with_file_name(format!(
            "{}.README.md",
            p.file_stem().unwrap().to_string_lossy()
        )))
        .ok()
    };
    let mut cases = 0;
    for ext in ["csv", "gpkg", "fgb", "shp"] {
        for (inputs, options, header_end) in [
            (&points, &options, ",lon,lat"),
            (&mixed, &options, ",WKT"),
            (&points, &plane, ",x,y"),
        ] {
            for filter in [Filter::default(), boxed()] {
                let (whole_dir, streamed_dir) =
                    (dir.path().join("whole"), dir.path().join("streamed"));
                std::fs::create_dir_all(&whole_dir).unwrap();
                std::fs::create_dir_all(&streamed_dir).unwrap();
                let a = whole_dir.join(format!("out.{ext}"));
                let b = streamed_dir.join(format!("out.{ext}"));
                let layers: Vec<_> = inputs
                    .iter()
                    .map(|p| load(p, &LoadOptions::default()).unwrap())
                    .collect();
                let sections: Vec<Section<'_>> = layers
                    .iter()
                    .map(|l| Section::new(l, filter.apply(l).unwrap(), Profile::Public, vec![]))
                    .collect();
                let whole_written = export(&a, &sections, options, &[]);
                let job = StreamJob {
                    target: &b,
                    inputs,
                    filter: &filter,
                    load: &LoadOptions::default(),
                    internal: None,
                    top: None,
                    options,
                    protected: &[],
                    block_bytes: 1024,
                };
                let streamed = export_streamed(&job, &mut |_| {});
                if ext == "shp" && std::ptr::eq(inputs, &mixed) {
                    // One geometry kind per Shapefile: refused alike, nothing written.
                    let whole_error = whole_written.unwrap_err().to_string();
                    let Err(streamed_error) = streamed else {
                        panic!("points and polygons streamed into one Shapefile");
                    };
                    assert!(whole_error.contains("one geometry kind"), "{whole_error}");
                    assert_eq!(
                        whole_error.replace("whole", "X"),
                        streamed_error.to_string().replace("streamed", "X")
                    );
                    assert_eq!(std::fs::read_dir(&streamed_dir).unwrap().count(), 0);
                    std::fs::remove_dir_all(&whole_dir).unwrap();
                    std::fs::remove_dir_all(&streamed_dir).unwrap();
                    cases += 1;
                    continue;
                }
                let whole_written = whole_written.unwrap();
                let Outcome::Written(done) = streamed.unwrap() else {
                    panic!("{inputs:?} did not stream to .{ext}");
                };
                assert_same_files(&a, &b, &format!("{inputs:?}"));
                let streamed_bytes = std::fs::read(&b).unwrap();
                assert_eq!(done.written.features, whole_written.features);
                assert_eq!(done.written.files.len(), whole_written.files.len());
                assert_eq!(readme(&a), readme(&b), "{inputs:?} to .{ext}");
                if ext == "csv" {
                    let text = String::from_utf8(streamed_bytes).unwrap();
                    let header = text.lines().next().unwrap();
                    assert!(header.ends_with(header_end), "{header}");
                    assert_eq!(text.lines().count(), whole_written.features + 1);
                    assert!(readme(&b).is_some());
                } else if ext != "shp" {
                    let listing = std::process::Command::new("ogrinfo")
                        .args(["-ro", "-so", "-al"])
                        .arg(&b)
                        .output()
                        .expect("ogrinfo (gdal-bin) is installed by .ci/setup");
                    let listing = String::from_utf8_lossy(&listing.stdout);
                    // A GeoPackage has a table per input, a FlatGeobuf one layer of them all.
                    let counts: Vec<usize> = if ext == "gpkg" {
                        sections.iter().map(|s| s.ids.len()).collect()
                    } else {
                        vec![sections.iter().map(|s| s.ids.len()).sum()]
                    };
                    for n in counts {
                        let line = format!("Feature Count: {n}");
                        assert!(listing.contains(&line), "{line} in {listing}");
                    }
                }
                // Only the outputs are left: no temporary file beside them.
                assert_eq!(
                    std::fs::read_dir(&streamed_dir).unwrap().count(),
                    done.written.files.len()
                );
                std::fs::remove_dir_all(&whole_dir).unwrap();
                std::fs::remove_dir_all(&streamed_dir).unwrap();
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 24);
}

/// A value a streamed Shapefile cannot hold (a character CP932 has no code for, far into the
/// input) stops the export with the whole read's error, naming the layer, record and field; the
/// folder keeps the input alone (no part file, no spill).
#[test]
fn a_streamed_shapefile_refuses_what_the_whole_read_refuses_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("places.geojson");
    let features: Vec<String> = (0..3000)
        .map(|i| {
            let name = if i == 2500 { "𠮷野家".to_string() } else { format!("店舗{i}") };
            format!(
                r#"{{"type":"Feature","properties":{{"name":"{name}","n":{i}}},"geometry":{{"type":"Point","coordinates":[139.4,35.66]}}}}"#
            )
        })
        .collect();
    crate::fixtures::write_collection(&input, &features);
    let options = ExportOptions {
        dbf_encoding: sitelens::export::DbfEncoding::Cp932,
        ..ExportOptions::default()
    };
    let layer = load(&input, &LoadOptions::default()).unwrap();
    let section = Section::new(
        &layer,
        (0..layer.features.len()).collect(),
        Profile::Public,
        vec![],
    );
    let whole = export(&dir.path().join("whole.shp"), &[section], &options, &[])
        .unwrap_err()
        .to_string();
    let inputs = vec![input.clone()];
    let target = dir.path().join("streamed.shp");
    let job = StreamJob {
        target: &target,
        inputs: &inputs,
        filter: &Filter::default(),
        load: &LoadOptions::default(),
        internal: None,
        top: None,
        options: &options,
        protected: &[],
        block_bytes: 4096,
    };
    let Err(streamed) = export_streamed(&job, &mut |_| {}) else {
        panic!("a character CP932 cannot hold was written");
    };
    let streamed = streamed.to_string();
    assert!(
        streamed.contains("record 2500") && streamed.contains("field name"),
        "{streamed}"
    );
    assert_eq!(
        whole.replace("whole", "X"),
        streamed.replace("streamed", "X")
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, [std::ffi::OsString::from("places.geojson")]);
}

/// A field that first appears late in a GeoJSON file (after features were spilled), and a field
/// whose values turn from numbers to text: every format but GeoJSON (written as it comes) still
/// streams, and is the whole read's file.
#[test]
fn late_fields_stream_to_spilled_formats_as_the_whole_read_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("late.geojson");
    let features: Vec<String> = (0..400)
        .map(|i| {
            let late = if i >= 300 {
                format!(r#","opened":"20{:02}-04-01""#, i % 30)
            } else {
                String::new()
            };
            let code = if i == 350 { r#""A-7""#.to_string() } else { i.to_string() };
            format!(
                r#"{{"type":"Feature","properties":{{"name":"site {i}","code":{code}{late}}},"geometry":{{"type":"Point","coordinates":[139.{i:03},35.66]}}}}"#
            )
        })
        .collect();
    crate::fixtures::write_collection(&input, &features);
    let (_, _, _, options) = comparison();
    for ext in ["shp", "fgb", "csv", "gpkg"] {
        let (whole_dir, streamed_dir) = (dir.path().join("whole"), dir.path().join("streamed"));
        std::fs::create_dir_all(&whole_dir).unwrap();
        std::fs::create_dir_all(&streamed_dir).unwrap();
        let a = whole_dir.join(format!("late.{ext}"));
        let b = streamed_dir.join(format!("late.{ext}"));
        whole(&input, &Filter::default(), None, &a, &options);
        let Outcome::Written(done) = streamed(&input, &Filter::default(), None, &b, &options, 1024)
        else {
            panic!(".{ext} did not stream");
        };
        assert_eq!(done.written.features, 400);
        assert_same_files(&a, &b, &format!("late.{ext}"));
        if ext == "csv" {
            let text = std::fs::read_to_string(&b).unwrap();
            assert!(
                text.lines().next().unwrap().contains("opened"),
                "{text:.200}"
            );
        }
        std::fs::remove_dir_all(&whole_dir).unwrap();
        std::fs::remove_dir_all(&streamed_dir).unwrap();
    }
}
