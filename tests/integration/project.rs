//! Project files: the Hino template, a project of files on disk with roles, styles, internal
//! fields and analysis settings, saving to another folder, and mistakes reported by name.

use std::ffi::OsStr;
use std::path::Path;

use sitelens::model::Role;
use sitelens::project::Project;

use crate::{corpus, run_ok};

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(from, to).unwrap();
}

/// A folder with the sample sites, the real stations, interchanges and boundary as files, a
/// Shift_JIS shapefile, and a rules file.
fn project_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
    let d = dir.path();
    copy(
        &data.join("sample/sites_fictional.geojson"),
        &d.join("layers/sites.geojson"),
    );
    copy(
        &data.join("hino/stations_n02_2023.geojson"),
        &d.join("layers/stations.geojson"),
    );
    copy(
        &data.join("hino/expressway_points.geojson"),
        &d.join("layers/ic.geojson"),
    );
    copy(
        &data.join("hino/hino_boundary_n03.geojson"),
        &d.join("layers/boundary.geojson"),
    );
    for ext in ["shp", "shx", "dbf"] {
        copy(
            &corpus(&format!(
                "japanese-xjr1300-shapefile-rs/tests/data/shift_jis.{ext}"
            )),
            &d.join(format!("layers/books.{ext}")),
        );
    }
    std::fs::write(
        d.join("rules.toml"),
        "[[programme]]\nname = \"大規模用地\"\ncondition = \"area_ha >= 1\"\n",
    )
    .unwrap();
    std::fs::write(
        d.join("project.toml"),
        r##"name = "テスト"
as_of = "2026-10-01"

[analysis]
rules = "rules.toml"
weights = "area=1,ic=3"
interchange_where = "is_IC = 1 AND name <> '八王子'"

[[layer]]
path = "layers/boundary.geojson"
role = "boundary"
credit = "境界：国土数値情報"

[[layer]]
path = "layers/books.shp"
role = "context"
crs = "EPSG:4326"
encoding = "cp932"
visible = false

[[layer]]
path = "layers/stations.geojson"
role = "stations"

[[layer]]
path = "layers/ic.geojson"
role = "interchanges"

[[layer]]
path = "layers/sites.geojson"
title = "候補地"
role = "sites"
internal_fields = ["status"]
style = { fill = "#ff000080", stroke = "#800000", width = 3.0 }
"##,
    )
    .unwrap();
    dir
}

#[test]
fn a_project_of_files_loads_with_roles_settings_and_metrics() {
    let dir = project_folder();
    let project = Project::read(&dir.path().join("project.toml")).unwrap();
    let loaded = project.load();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.layers.len(), 5);
    let (spec, books) = &loaded.layers[1];
    assert!(!spec.visible);
    assert_eq!(books.source.encoding.as_ref().unwrap().name, "CP932");
    assert_eq!(
        books.value(0, "書籍名").map(|v| v.to_string()).as_deref(),
        Some("浮雲")
    );
    let (_, boundary) = &loaded.layers[0];
    assert_eq!(boundary.meta.credit.as_deref(), Some("境界：国土数値情報"));

    let sites_at = loaded.sites.unwrap();
    let (spec, sites) = &loaded.layers[sites_at];
    assert_eq!(spec.title.as_deref(), Some("候補地"));
    assert_eq!(sites.meta.internal_fields, Some(vec!["status".to_string()]));
    assert_eq!(loaded.metrics.len(), 30);
    assert!(loaded.metrics.iter().all(Option::is_some));
    // The project's rules, not the examples: no example marker, and only sites of ≥ 1 ha.
    let programmes = sites.field_index("programmes").unwrap();
    let area = sites.field_index("area_ha").unwrap();
    for f in &sites.features {
        let big = f.values[area].as_f64().unwrap() >= 1.0;
        assert_eq!(
            f.values[programmes].to_string() == "大規模用地",
            big,
            "{:?}",
            f.values[programmes]
        );
    }
    // interchange_where left 八王子IC out: no site's nearest IC is it.
    let ic = sites.field_index("nearest_ic").unwrap();
    assert!(
        sites
            .features
            .iter()
            .all(|f| !f.values[ic].to_string().contains("八王子"))
    );
    assert_eq!(loaded.weights.weights, [1.0, 0.0, 3.0, 0.0, 0.0]);
}

#[test]
fn saving_elsewhere_rewrites_paths_and_reads_back_the_same() {
    let dir = project_folder();
    let project = Project::read(&dir.path().join("project.toml")).unwrap();
    // Into a subfolder: the layers are not under it, so their paths become absolute.
    let elsewhere = dir.path().join("copies/p2.toml");
    std::fs::create_dir_all(elsewhere.parent().unwrap()).unwrap();
    project.save(&elsewhere).unwrap();
    let again = Project::read(&elsewhere).unwrap();
    assert!(Path::new(&again.layers[0].path).is_absolute());
    assert!(Path::new(again.analysis.rules.as_deref().unwrap()).is_absolute());
    // Back in the original folder: relative again.
    let back = dir.path().join("p3.toml");
    again.save(&back).unwrap();
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(text.contains("path = \"layers/books.shp\""), "{text}");
    assert!(text.contains("rules = \"rules.toml\""), "{text}");
    let third = Project::read(&back).unwrap();
    assert_eq!(third.layers, project.layers);
    assert_eq!(third.analysis, project.analysis);
    let a = project.load();
    let b = third.load();
    assert_eq!(a.layers.len(), b.layers.len());
    for ((_, x), (_, y)) in a.layers.iter().zip(&b.layers) {
        assert_eq!(x.features, y.features);
    }
}

#[test]
fn a_missing_file_is_named_and_the_rest_loads() {
    let dir = project_folder();
    let path = dir.path().join("project.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("layers/stations.geojson", "layers/gone.geojson");
    std::fs::write(&path, text).unwrap();
    let loaded = Project::read(&path).unwrap().load();
    assert_eq!(loaded.layers.len(), 4);
    assert_eq!(loaded.errors.len(), 1);
    assert!(
        loaded.errors[0].contains("gone.geojson"),
        "{:?}",
        loaded.errors
    );
    // Sites still get metrics; without stations, no nearest station.
    let m = loaded.metrics[0].as_ref().unwrap();
    assert!(m.station.is_none() && m.interchange.is_some());
    // The CLI says so and fails.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args([OsStr::new("project"), path.as_os_str()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("gone.geojson"));
}

#[test]
fn a_field_setting_that_does_not_fit_is_an_error_naming_it() {
    let dir = project_folder();
    let path = dir.path().join("project.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "weights = \"area=1,ic=3\"",
        "weights = \"area=1,ic=3\"\nstation_name_field = \"駅\"",
    );
    std::fs::write(&path, text).unwrap();
    let loaded = Project::read(&path).unwrap().load();
    assert!(
        loaded
            .errors
            .iter()
            .any(|e| e.contains("station_name_field") && e.contains("駅")),
        "{:?}",
        loaded.errors
    );
}

#[test]
fn the_template_is_the_hino_project() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hino.toml");
    run_ok(&[
        OsStr::new("project"),
        path.as_os_str(),
        OsStr::new("--init"),
    ]);
    let project = Project::read(&path).unwrap();
    assert_eq!(
        project,
        Project {
            dir: project.dir.clone(),
            ..Project::hino()
        }
    );
    let out = run_ok(&[OsStr::new("project"), path.as_os_str()]);
    assert!(out.contains("site metrics: 30 of 30"), "{out}");
    assert!(out.contains("[fictional sample]"), "{out}");
    // Not over an existing file.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args([
            OsStr::new("project"),
            path.as_os_str(),
            OsStr::new("--init"),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        Project::hino()
            .layers
            .iter()
            .any(|l| l.role == Some(Role::Site))
    );
}
