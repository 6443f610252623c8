//! `sitelens info` as a user runs it.

use std::process::Command;

use crate::{corpus, shared};

fn sitelens() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sitelens"))
}

#[test]
fn info_json_describes_each_layer() {
    let stations_path = shared().join("data/hino/stations_n02_2023.geojson");
    let sjis_path = corpus("japanese-xjr1300-shapefile-rs/tests/data/shift_jis.shp");
    let stdout = crate::run_ok(&[
        "info".as_ref(),
        "--json".as_ref(),
        stations_path.as_os_str(),
        sjis_path.as_os_str(),
    ]);
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let layers = doc["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    let stations = &layers[0];
    assert_eq!(stations["format"], "GeoJSON");
    assert_eq!(stations["feature_count"], 36);
    assert_eq!(stations["geometry_types"]["LineString"], 36);
    // The file's crs member names OGC:CRS84, which has no EPSG code.
    assert_eq!(stations["crs"]["known"], true);
    assert_eq!(stations["crs"]["decided_by"], "geojson crs member");
    assert!(
        stations["crs"]["name"].as_str().unwrap().contains("CRS84"),
        "{}",
        stations["crs"]
    );
    let bbox = stations["bbox_wgs84"].as_array().unwrap();
    assert_eq!(bbox.len(), 4);
    assert!(bbox[0].as_f64().unwrap() > 139.3 && bbox[3].as_f64().unwrap() < 35.75);
    assert!(
        stations["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "N02_005" && f["type"] == "text")
    );
    assert_eq!(stations["encoding"], "UTF-8");
    assert!(stations["warnings"].as_array().unwrap().is_empty());
    let sjis = &layers[1];
    assert_eq!(sjis["encoding"], "CP932");
    assert_eq!(sjis["fields"][0]["name"], "書籍名");
    assert_eq!(sjis["warnings"][0]["record"], serde_json::Value::Null);
}

#[test]
fn info_fails_with_one_line_per_bad_file_and_still_reports_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.geojson");
    std::fs::write(&bad, "{ nope").unwrap();
    let out = sitelens()
        .arg("info")
        .arg(&bad)
        .arg(dir.path().join("missing.shp"))
        .arg(shared().join("data/hino/hino_boundary_n03.geojson"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].contains("bad.geojson") && lines[0].contains("invalid JSON"));
    assert!(lines[1].contains("missing.shp"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("hino_boundary_n03.geojson")
            && stdout.contains("features:   1 (Polygon: 1)"),
        "{stdout}"
    );
}

#[test]
fn info_text_shows_zone_suggestions_for_unknown_crs() {
    let dir = tempfile::tempdir().unwrap();
    let shp =
        crate::fixtures::write_point_shapefile(dir.path(), "z", &[(-39681.26, -36379.06)], true);
    let out = sitelens().arg("info").arg(&shp).output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("CRS:        unknown") && stdout.contains("could be EPSG:6677 zone IX"),
        "{stdout}"
    );
}

#[test]
fn a_bad_where_is_reported_once() {
    // It used to print `in --where "x = ": Expected: …: in --where "x = ": Expected: …`: the
    // filter error showed the expression's error and gave it again as its source.
    let dir = tempfile::tempdir().unwrap();
    let out = sitelens()
        .arg("export")
        .arg(shared().join("data/hino/stations_n02_2023.geojson"))
        .arg("-o")
        .arg(dir.path().join("out.geojson"))
        .args(["--where", "x = "])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("\"x = \"").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("Expected").count(), 1, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_command_line_names_the_flag_the_core_error_leaves_out() {
    // The core says "give its CRS"; the CLI adds how, on a line of its own.
    let dir = tempfile::tempdir().unwrap();
    let shp =
        crate::fixtures::write_point_shapefile(dir.path(), "z", &[(-39681.26, -36379.06)], true);
    let out = sitelens()
        .arg("export")
        .arg(&shp)
        .arg("-o")
        .arg(dir.path().join("out.geojson"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let error = lines.iter().position(|l| l.starts_with("error: ")).unwrap();
    assert!(lines[error].ends_with("give its CRS"), "{stderr}");
    assert!(lines[error + 1].starts_with("hint: --crs "), "{stderr}");
    // Only the hint names the flag (the warnings before the error are the core's).
    assert_eq!(
        lines.iter().filter(|l| l.contains("--crs")).count(),
        1,
        "{stderr}"
    );
}

#[test]
fn version_names_the_commit() {
    let stdout = crate::run_ok(&["--version".as_ref()]);
    let version = stdout.trim();
    assert!(
        version.starts_with(&format!("sitelens {} (", env!("CARGO_PKG_VERSION")))
            && version.ends_with(')'),
        "{version}"
    );
    assert_eq!(version, format!("sitelens {}", sitelens::VERSION));
}
