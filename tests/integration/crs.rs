//! CRS detection and reprojection against PROJ's cs2cs (PROJ 9.1.1, Debian 12):
//! `echo "-36379.062463 -39681.260550" | cs2cs -d 12 EPSG:6677 EPSG:4326` (input N E).

use geo_types::Geometry;
use sitelens::crs::DecidedBy;
use sitelens::{LoadOptions, load};

use crate::fixtures::write_point_shapefile;
use crate::load_ok;

/// Hino city hall in zone IX: easting −39681.260550, northing −36379.062463.
const E: f64 = -39681.260550;
const N: f64 = -36379.062463;
/// cs2cs output for JGD2011 (6677) and JGD2000 (2451) zone IX.
const JGD: (f64, f64) = (139.395000000002, 35.671300000003);
/// cs2cs output for the Tokyo datum zone IX (30169): ~400 m off.
const TOKYO: (f64, f64) = (139.391745873796, 35.674495059269);

fn point(layer: &sitelens::Layer) -> (f64, f64) {
    match &layer.features[0].geometry {
        Some(Geometry::Point(p)) => (p.x(), p.y()),
        other => panic!("{other:?}"),
    }
}

fn assert_close(got: (f64, f64), want: (f64, f64)) {
    assert!(
        (got.0 - want.0).abs() < 1e-9 && (got.1 - want.1).abs() < 1e-9,
        "{got:?} vs {want:?}"
    );
}

fn geojson_with_crs(dir: &std::path::Path, name: &str, crs: &str) -> std::path::PathBuf {
    let body = format!(
        r#"{{"type":"FeatureCollection","crs":{crs},"features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point","coordinates":[{E},{N}]}}}}]}}"#
    );
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path
}

#[test]
fn geojson_2008_crs_member_in_three_datums() {
    let dir = tempfile::tempdir().unwrap();
    let urn = geojson_with_crs(
        dir.path(),
        "a.geojson",
        r#"{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::6677"}}"#,
    );
    let layer = load_ok(&urn);
    assert_eq!(layer.source.crs.epsg, Some(6677));
    assert_eq!(layer.source.crs.decided_by, DecidedBy::GeoJsonCrsMember);
    assert_close(point(&layer), JGD);

    let old = geojson_with_crs(
        dir.path(),
        "b.geojson",
        r#"{"type":"EPSG","properties":{"code":2451}}"#,
    );
    let layer = load_ok(&old);
    assert_eq!(layer.source.crs.epsg, Some(2451));
    assert_close(point(&layer), JGD);

    let tokyo = geojson_with_crs(
        dir.path(),
        "c.geojson",
        r#"{"type":"name","properties":{"name":"EPSG:30169"}}"#,
    );
    let layer = load_ok(&tokyo);
    assert_eq!(layer.source.crs.epsg, Some(30169));
    assert_close(point(&layer), TOKYO);
}

#[test]
fn esri_prj_without_epsg_code_is_identified() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_point_shapefile(dir.path(), "hall", &[(E, N)], true);
    std::fs::write(
        dir.path().join("hall.prj"),
        "PROJCS[\"JGD_2011_Japan_Zone_9\",GEOGCS[\"GCS_JGD_2011\",DATUM[\"D_JGD_2011\",\
         SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],\
         UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],\
         PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],\
         PARAMETER[\"Central_Meridian\",139.833333333333],PARAMETER[\"Scale_Factor\",0.9999],\
         PARAMETER[\"Latitude_Of_Origin\",36.0],UNIT[\"Meter\",1.0]]",
    )
    .unwrap();
    let layer = load_ok(&shp);
    assert_eq!(layer.source.crs.epsg, Some(6677));
    assert_eq!(layer.source.crs.decided_by, DecidedBy::Prj);
    assert_close(point(&layer), JGD);
}

#[test]
fn projected_file_without_crs_is_kept_raw_with_zone_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_point_shapefile(dir.path(), "noprj", &[(E, N), (-35000.0, -33000.0)], true);
    let layer = load_ok(&shp);
    let crs = &layer.source.crs;
    assert!(!crs.known);
    assert_eq!(crs.epsg, None);
    assert!(
        crs.suggestions
            .iter()
            .any(|s| s.epsg == 6677 && s.axis_order == "x=easting"),
        "{:?}",
        crs.suggestions
    );
    assert_eq!(point(&layer), (E, N), "not reprojected silently");
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.message.contains("CRS unknown") && w.message.contains("6677"))
    );

    // The user states the zone: now it lands on the city hall.
    let options = LoadOptions {
        crs: Some("6677".into()),
        ..Default::default()
    };
    let layer = load(&shp, &options).unwrap();
    assert_eq!(layer.source.crs.decided_by, DecidedBy::User);
    assert_close(point(&layer), JGD);

    // RFC 7946 GeoJSON with projected numbers is not read as degrees either.
    let path = dir.path().join("qgis.geojson");
    std::fs::write(&path, format!(r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{}},"geometry":{{"type":"Point","coordinates":[{E},{N}]}}}}]}}"#)).unwrap();
    assert!(!load_ok(&path).source.crs.known);
}

#[test]
fn survey_order_csv_with_user_crs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("survey.csv");
    // X座標 is the northing, Y座標 the easting.
    std::fs::write(&path, format!("名称,X座標,Y座標\n市役所,{N},{E}\n")).unwrap();
    let options = LoadOptions {
        crs: Some("EPSG:30169".into()),
        ..Default::default()
    };
    let layer = load(&path, &options).unwrap();
    assert_close(point(&layer), TOKYO);
    assert!(
        layer
            .warnings
            .iter()
            .any(|w| w.message.contains("northing"))
    );
}

#[test]
fn bad_user_crs_is_an_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let shp = write_point_shapefile(dir.path(), "p", &[(E, N)], true);
    let options = LoadOptions {
        crs: Some("EPSG:123456789".into()),
        ..Default::default()
    };
    let err = load(&shp, &options).unwrap_err();
    let m = err.to_string();
    assert!(m.contains("p.shp") && m.contains("invalid CRS"), "{m}");
}
