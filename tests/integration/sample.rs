//! The fictional sample layers of the Hino project (data/sample): made by the generator in the
//! repository, inside the real city, marked as samples everywhere they go.

use std::path::Path;

use geo::{Contains, Intersects};
use sitelens::analysis::measure::Measures;
use sitelens::analysis::zoning::recognise;
use sitelens::export::{ExportOptions, Profile, Section, export};
use sitelens::model::Role;
use sitelens::model::Value;

use crate::embedded;

#[test]
fn the_shipped_files_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    crate::run_program_ok(
        env!("CARGO_BIN_EXE_make_hino_sample"),
        &[dir.path().as_os_str()],
    );
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample");
    for name in [
        "zoning_fictional.geojson",
        "sites_fictional.geojson",
        "enterprises_fictional.geojson",
    ] {
        let made = std::fs::read(dir.path().join(name)).unwrap();
        assert!(
            made == std::fs::read(shipped.join(name)).unwrap(),
            "data/sample/{name} differs from the generator's output: rerun make_hino_sample"
        );
    }
}

#[test]
fn sample_layers_are_flagged_and_lie_inside_hino() {
    let city = embedded(Role::Boundary);
    let boundary = city.features[0].geometry.clone().unwrap();
    let zoning = embedded(Role::Zoning);
    let sites = embedded(Role::Site);
    let enterprises = embedded(Role::Enterprise);
    for layer in [&zoning, &sites, &enterprises] {
        assert!(layer.meta.sample, "{} is not flagged as sample", layer.name);
        assert!(
            layer.warnings.is_empty(),
            "{}: {:?}",
            layer.name,
            layer.warnings
        );
    }
    assert!(!city.meta.sample);

    // Zoning is recognised as zoning; a site list with a 用途地域 column is not.
    let source = recognise(&zoning).recognised().map(|r| r.source.id);
    assert_eq!(source, Some("A29-2019"));
    assert!(recognise(&sites).recognised().is_none());

    assert_eq!(sites.features.len(), 30);
    assert_eq!(enterprises.features.len(), 200);
    let mut industrial = 0;
    for (i, site) in sites.features.iter().enumerate() {
        let g = site.geometry.as_ref().unwrap();
        let area = Measures::of(g).area_m2.unwrap();
        assert!((290.0..=50_500.0).contains(&area), "site {i}: {area} m²");
        assert!(boundary.contains(g), "site {i} leaves the city");
        for (j, other) in sites.features.iter().enumerate().skip(i + 1) {
            assert!(
                !g.intersects(other.geometry.as_ref().unwrap()),
                "sites {i} and {j} overlap"
            );
        }
        if let Some(Value::Text(zone)) = sites.value(i, "用途地域") {
            industrial += usize::from(zone.contains("工業"));
        }
    }
    assert!(
        industrial >= 20,
        "{industrial} of 30 sites in industrial zones"
    );
    for (i, e) in enterprises.features.iter().enumerate() {
        assert!(
            boundary.contains(e.geometry.as_ref().unwrap()),
            "enterprise {i}"
        );
    }
}

#[test]
fn exports_of_sample_sites_say_so_and_keep_owner_price_contact_out() {
    let sites = embedded(Role::Site);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sites.geojson");
    let ids = (0..sites.features.len()).collect();
    let section = Section::new(&sites, ids, Profile::Public, Vec::new());
    export(&out, &[section], &ExportOptions::default(), &[]).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("FICTIONAL SAMPLE DATA"));
    assert!(text.contains("\"sample_data\":true"));
    for internal in ["所有者", "連絡先", "価格_円", "サンプル地権者", "042-000-"] {
        assert!(!text.contains(internal), "{internal} in a public export");
    }
    assert!(text.contains("サンプル用地 S-01（架空）"));
}
