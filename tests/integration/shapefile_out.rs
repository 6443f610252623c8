//! `sitelens export … -o OUT.shp`: the Hino layers written as Shapefiles and read back by GDAL
//! (`ogrinfo`, `ogr2ogr`) and by sitelens; Japanese text in UTF-8 and CP932; a plane rectangular
//! CRS against PROJ's own transform; mixed kinds; the public profile; every corpus layer round
//! tripped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use geo::CoordsIter;
use sitelens::export::{self, ExportOptions, GeometryKind, Profile, Section};
use sitelens::model::{Layer, Value};

use crate::export::sites_fixture;
use crate::{load_ok, shared};

fn hino(name: &str) -> PathBuf {
    shared().join("data/hino").join(name)
}

/// Runs `sitelens export`, which must fail; returns what it printed on stderr.
fn export_err(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .arg("export")
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `sitelens export` and returns its summary.
fn export_ok(args: &[&str]) -> String {
    let all: Vec<&OsStr> = std::iter::once("export")
        .chain(args.iter().copied())
        .map(OsStr::new)
        .collect();
    crate::run_ok(&all)
}

/// Runs a GDAL program (gdal-bin, installed by .ci/setup); returns its stdout.
fn ogr(program: &str, args: &[&str]) -> String {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    crate::run_program_ok(program, &args)
}

/// What GDAL reads from a file, as GeoJSON in the file's own coordinates.
fn gdal_features(path: &Path) -> Vec<serde_json::Value> {
    let text = ogr(
        "ogr2ogr",
        &["-f", "GeoJSON", "/vsistdout/", path.to_str().unwrap()],
    );
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["features"].as_array().unwrap().clone()
}

fn summary_of(path: &Path) -> String {
    ogr("ogrinfo", &["-ro", "-so", "-al", path.to_str().unwrap()])
}

/// A value as read back from a .dbf equals the one written: text and JSON as text, an empty
/// string as null (blanks), integers in a float column as floats.
fn same_value(written: &Value, read: &Value) -> bool {
    match (written, read) {
        (Value::Text(s), Value::Null) => s.trim().is_empty(),
        (Value::Text(a), Value::Text(b)) => a.trim() == b,
        (Value::Json(a) | Value::Date(a), Value::Text(b)) => a == b,
        (Value::Int(i), Value::Float(f)) => *i as f64 == *f,
        (Value::Float(f), Value::Null) => !f.is_finite(),
        _ => written == read,
    }
}

/// Every feature of `back` has the values of `original` (fields in the same order) and its
/// coordinates within `tolerance`.
fn assert_same_layer(original: &Layer, back: &Layer, tolerance: f64) {
    let name = &original.name;
    assert_eq!(back.features.len(), original.features.len(), "{name}");
    assert_eq!(back.fields.len(), original.fields.len(), "{name}");
    for (a, b) in original.features.iter().zip(&back.features) {
        for (va, vb) in a.values.iter().zip(&b.values) {
            assert!(same_value(va, vb), "{name} #{}: {va:?} vs {vb:?}", a.record);
        }
        let coords = |f: &sitelens::model::Feature| -> Vec<(f64, f64)> {
            f.geometry
                .iter()
                .flat_map(|g| g.coords_iter())
                .map(|c| (c.x, c.y))
                .collect()
        };
        let (ca, cb) = (coords(a), coords(b));
        assert_eq!(ca.len(), cb.len(), "{name} #{}", a.record);
        // Rings are rewound: every point has its counterpart within the tolerance.
        for (from, to) in [(&ca, &cb), (&cb, &ca)] {
            for p in from {
                assert!(
                    to.iter()
                        .any(|q| (p.0 - q.0).abs() <= tolerance && (p.1 - q.1).abs() <= tolerance),
                    "{name} #{}: nothing near {p:?}",
                    a.record
                );
            }
        }
    }
}

#[test]
fn hino_points_lines_and_polygons_read_back_in_gdal_and_sitelens() {
    let dir = tempfile::tempdir().unwrap();
    for (file, gdal_type) in [
        ("shelters_evacuation_132128.geojson", "Geometry: Point"),
        ("railway_lines.geojson", "Geometry: Line String"),
        ("hino_boundary_n03.geojson", "Geometry: Polygon"),
    ] {
        let original = load_ok(&hino(file));
        let out = dir.path().join(file.replace(".geojson", ".shp"));
        let summary = export_ok(&[hino(file).to_str().unwrap(), "-o", out.to_str().unwrap()]);
        let n = original.features.len();
        assert!(
            summary.starts_with(&format!("{n} features written")),
            "{summary}"
        );
        for ext in ["shx", "dbf", "prj", "cpg", "README.md"] {
            let sidecar = if ext == "README.md" {
                out.with_extension("README.md")
            } else {
                out.with_extension(ext)
            };
            assert!(sidecar.exists(), "{}", sidecar.display());
        }
        let gdal = summary_of(&out);
        assert!(gdal.contains(gdal_type), "{gdal}");
        assert!(gdal.contains(&format!("Feature Count: {n}")), "{gdal}");
        assert!(gdal.contains("ID[\"EPSG\",4326]"), "{gdal}");
        // Doubles as they were: nothing moves.
        assert_same_layer(&original, &load_ok(&out), 0.0);
    }
}

#[test]
fn japanese_text_reads_back_in_gdal_from_utf8_and_cp932() {
    let dir = tempfile::tempdir().unwrap();
    let input = hino("shelters_evacuation_132128.geojson");
    let original = load_ok(&input);
    for (encoding, cpg, ldid, first_name) in [
        ("utf-8", "UTF-8", 0u8, "都道府"),
        ("cp932", "CP932", 0x13, "都道府県名"),
    ] {
        let out = dir.path().join(format!("shelters-{encoding}.shp"));
        let summary = export_ok(&[
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--dbf-encoding",
            encoding,
        ]);
        assert!(
            summary.contains(&format!("都道府県名及び市町村名 → {first_name}")),
            "{summary}"
        );
        assert_eq!(
            std::fs::read_to_string(out.with_extension("cpg")).unwrap(),
            cpg
        );
        let dbf = std::fs::read(out.with_extension("dbf")).unwrap();
        assert_eq!(dbf[29], ldid);
        let readme = std::fs::read_to_string(out.with_extension("README.md")).unwrap();
        assert!(
            readme.contains(&format!("| 都道府県名及び市町村名 | {first_name} |")),
            "{readme}"
        );

        let features = gdal_features(&out);
        assert_eq!(features.len(), original.features.len());
        let mut japanese = 0;
        for (f, gf) in original.features.iter().zip(&features) {
            let props = gf["properties"].as_object().unwrap();
            assert_eq!(props.len(), original.fields.len());
            for (v, (name, got)) in f.values.iter().zip(props) {
                let want = match v {
                    Value::Null => serde_json::Value::Null,
                    Value::Text(s) if s.is_empty() => serde_json::Value::Null,
                    v => v.to_json(),
                };
                assert_eq!(got, &want, "{encoding} #{} {name}", f.record);
                japanese += usize::from(v.as_str().is_some_and(|s| !s.is_ascii()));
            }
        }
        assert!(japanese > 100, "{japanese}");
        assert_same_layer(&original, &load_ok(&out), 0.0);
        // sitelens decides the encoding from the .cpg.
        let back = load_ok(&out);
        let decided = back.source.encoding.unwrap();
        assert_eq!(
            (decided.name.as_str(), decided.decided_by.as_str()),
            (cpg, "cpg")
        );
    }
}

#[test]
fn plane_rectangular_ix_matches_proj_within_a_millimetre() {
    let dir = tempfile::tempdir().unwrap();
    for file in [
        "shelters_evacuation_132128.geojson",
        "hino_boundary_n03.geojson",
    ] {
        let input = hino(file);
        let out = dir.path().join(file.replace(".geojson", "-6677.shp"));
        export_ok(&[
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--to-crs",
            "EPSG:6677",
        ]);
        let gdal = summary_of(&out);
        assert!(
            gdal.contains("JGD2011 / Japan Plane Rectangular CS IX")
                && gdal.contains("ID[\"EPSG\",6677]"),
            "{gdal}"
        );
        let proj = ogr(
            "ogr2ogr",
            &[
                "-f",
                "GeoJSON",
                "/vsistdout/",
                "-t_srs",
                "EPSG:6677",
                input.to_str().unwrap(),
            ],
        );
        let proj: serde_json::Value = serde_json::from_str(&proj).unwrap();
        let flat = |g: &serde_json::Value| -> Vec<(f64, f64)> {
            fn walk(v: &serde_json::Value, out: &mut Vec<(f64, f64)>) {
                match v.as_array() {
                    Some(a) if a.first().is_some_and(|x| x.is_number()) => {
                        out.push((a[0].as_f64().unwrap(), a[1].as_f64().unwrap()));
                    }
                    Some(a) => a.iter().for_each(|x| walk(x, out)),
                    None => {}
                }
            }
            let mut out = Vec::new();
            walk(&g["coordinates"], &mut out);
            out.sort_by(|p, q| p.partial_cmp(q).unwrap());
            out
        };
        let ours = gdal_features(&out);
        let theirs = proj["features"].as_array().unwrap();
        assert_eq!(ours.len(), theirs.len());
        let mut compared = 0;
        for (a, b) in ours.iter().zip(theirs) {
            let (pa, pb) = (flat(&a["geometry"]), flat(&b["geometry"]));
            assert_eq!(pa.len(), pb.len());
            for (p, q) in pa.iter().zip(&pb) {
                assert!(
                    (p.0 - q.0).abs() < 0.001 && (p.1 - q.1).abs() < 0.001,
                    "{file}: {p:?} vs PROJ {q:?}"
                );
                compared += 1;
            }
        }
        assert!(compared >= 57, "{compared}");
        // And sitelens reads the .prj back as the same CRS, landing where it started.
        let back = load_ok(&out);
        assert_eq!(back.source.crs.epsg, Some(6677));
        assert_same_layer(&load_ok(&input), &back, 1e-8);
    }
}

#[test]
fn mixed_kinds_are_refused_by_name_and_one_kind_can_be_chosen() {
    let dir = tempfile::tempdir().unwrap();
    let input = sites_fixture(dir.path());
    let out = dir.path().join("out.shp");
    let err = export_err(&[input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(
        err.contains("1 point and 2 polygon features")
            && err.contains("hint: --geometry-type point|line|polygon"),
        "{err}"
    );
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(files.len(), 1, "nothing written beside the input");

    let summary = export_ok(&[
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--geometry-type",
        "point",
    ]);
    assert!(
        summary.starts_with("1 features written")
            && summary.contains("note: 2 feature(s) left out, not points: 2 polygon features"),
        "{summary}"
    );
    let gdal = summary_of(&out);
    assert!(
        gdal.contains("Geometry: Point") && gdal.contains("Feature Count: 1"),
        "{gdal}"
    );
    let readme = std::fs::read_to_string(out.with_extension("README.md")).unwrap();
    assert!(readme.contains("left out, not points"), "{readme}");
}

#[test]
fn public_profile_keeps_internal_fields_out_of_dbf_and_readme() {
    let dir = tempfile::tempdir().unwrap();
    let input = sites_fixture(dir.path());
    // 用途地域 is 12 bytes in UTF-8, 8 in CP932.
    for (encoding, zone) in [("utf-8", "用途地"), ("cp932", "用途地域")] {
        let out = dir.path().join(format!("public-{encoding}.shp"));
        let summary = export_ok(&[
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--geometry-type",
            "polygon",
            "--dbf-encoding",
            encoding,
            "--where",
            "\"売却価格\" > 1000 OR \"所有者\" LIKE '株式会社%'",
        ]);
        assert!(summary.starts_with("2 features written"), "{summary}");
        let mut bytes = Vec::new();
        for ext in ["shp", "dbf", "README.md"] {
            bytes.extend(std::fs::read(out.with_extension(ext)).unwrap());
        }
        for secret in [
            "所有者",
            "売却価格",
            "日野太郎",
            "株式会社ミナミ",
            "250000000",
        ] {
            let utf8 = secret.as_bytes();
            let cp932 = encoding_rs::SHIFT_JIS.encode(secret).0;
            for needle in [utf8, &cp932] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{encoding}: {secret} leaks"
                );
            }
        }
        let features = gdal_features(&out);
        let names: Vec<&String> = features[0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(names, ["名称", "面積", zone, "status"]);
        assert_eq!(features[0]["properties"]["名称"], "旭が丘工業用地");
        assert_eq!(features[0]["properties"]["面積"], 12000.5);
        assert_eq!(features[1]["properties"]["面積"], 800.0);
    }
}

#[test]
fn a_character_cp932_cannot_hold_is_an_error_naming_record_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("shops.geojson");
    let long = "日野".repeat(60);
    std::fs::write(
        &input,
        format!(
            r#"{{"type":"FeatureCollection","features":[
  {{"type":"Feature","properties":{{"店名":"日野商店","説明":"{long}"}},"geometry":{{"type":"Point","coordinates":[139.39,35.67]}}}},
  {{"type":"Feature","properties":{{"店名":"𠮷野家 日野店","説明":null}},"geometry":{{"type":"Point","coordinates":[139.40,35.66]}}}}
]}}"#
        ),
    )
    .unwrap();
    let out = dir.path().join("shops.shp");
    let err = export_err(&[
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--dbf-encoding",
        "cp932",
    ]);
    assert!(
        err.contains("record 1, field 店名")
            && err.contains("'𠮷' (U+20BB7)")
            && err.contains("CP932"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "nothing written"
    );

    // UTF-8 holds it; the 360-byte description is cut to whole characters within 254 bytes.
    let summary = export_ok(&[input.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert!(
        summary.contains("note: field 説明: 1 value(s) longer than 254 bytes cut"),
        "{summary}"
    );
    let features = gdal_features(&out);
    assert_eq!(features[1]["properties"]["店名"], "𠮷野家 日野店");
    let cut = features[0]["properties"]["説明"].as_str().unwrap();
    assert_eq!(cut, "日野".repeat(42), "84 characters of 3 bytes");
}

/// Every corpus layer with a known CRS → .shp → load: the same count, geometry and values
/// (fields renamed by the writer looked up through `Written::renamed`).
#[test]
fn every_corpus_layer_round_trips_through_a_shapefile() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for (path, layer) in crate::exportable_corpus_layers() {
        let name = path.display().to_string();
        let out = dir.path().join(format!("rt{checked}.shp"));
        let ids = (0..layer.features.len()).collect();
        let sections = [Section::new(&layer, ids, Profile::Internal, Vec::new())];
        let options = ExportOptions {
            profile: Profile::Internal,
            ..Default::default()
        };
        let written = match export::export(&out, &sections, &options, &[]) {
            Ok(w) => w,
            Err(export::ExportError::GeometryKinds { .. }) => {
                // Mixed kinds: the file with the first feature's kind.
                let kind = layer
                    .features
                    .iter()
                    .find_map(|f| f.geometry.as_ref().and_then(first_kind))
                    .unwrap();
                let options = ExportOptions {
                    geometry_type: Some(kind),
                    ..options.clone()
                };
                let w = export::export(&out, &sections, &options, &[]).unwrap();
                assert!(!w.notes.is_empty(), "{name}: what was left out is said");
                checked += 1;
                continue;
            }
            Err(e) => panic!("{name}: {e}"),
        };
        let back = load_ok(&out);
        assert_eq!(written.features, layer.features.len(), "{name}");
        assert_eq!(back.features.len(), layer.features.len(), "{name}");
        let renamed = |field: &str| {
            written
                .renamed
                .iter()
                .find(|(from, _)| from == field)
                .map_or(field.to_string(), |(_, to)| to.clone())
        };
        for (i, (a, b)) in layer.features.iter().zip(&back.features).enumerate() {
            // A MultiPatch's walls are rings of no area seen from above: written as they are,
            // and dropped by the loader, which says so.
            let dropped = back
                .warnings
                .iter()
                .any(|w| w.record == Some(i as u64) && w.message.contains("dropped"));
            let count =
                |f: &sitelens::model::Feature| f.geometry.as_ref().map_or(0, |g| g.coords_count());
            if !dropped {
                assert_eq!(count(a), count(b), "{name} #{i}");
            }
            if let (Some(za), Some(zb), false) = (&a.z, &b.z, dropped) {
                let mut za = za.to_vec();
                let mut zb = zb.to_vec();
                za.sort_by(f64::total_cmp);
                zb.sort_by(f64::total_cmp);
                assert_eq!(za, zb, "{name} #{i} Z");
            }
            for field in &layer.fields {
                let va = layer.value(i, &field.name).unwrap();
                let vb = back.value(i, &renamed(&field.name)).unwrap_or(&Value::Null);
                let long_text = va.as_str().is_some_and(|s| s.len() > 254);
                assert!(
                    same_value(va, vb) || long_text,
                    "{name} #{i} {}: {va:?} vs {vb:?}",
                    field.name
                );
            }
        }
        checked += 1;
    }
    assert!(checked > 80, "{checked}");
}

/// The kind of a geometry, or of a collection's first member that has one.
fn first_kind(g: &geo_types::Geometry<f64>) -> Option<GeometryKind> {
    match g {
        geo_types::Geometry::GeometryCollection(gc) => gc.iter().find_map(first_kind),
        g => GeometryKind::of(g),
    }
}
