//! `sitelens export` and the export core: round trips, RFC 7946 winding, GDAL reading every
//! output, filter semantics, and the public profile keeping internal fields out.

use std::path::{Path, PathBuf};
use std::process::Command;

use geo_types::Geometry;
use sitelens::export::{self, ExportOptions, Profile, Section};
use sitelens::filter::{BboxFilter, Filter, Relation, SpatialFilter};
use sitelens::model::{Layer, Value};
use sitelens::{LoadOptions, load};

use crate::corpus::walk;
use crate::{corpus, load_ok, shared, text};

fn export_all(layer: &Layer, out: &Path, profile: Profile, precision: usize) -> usize {
    let ids = (0..layer.features.len()).collect();
    let sections = [Section::new(layer, ids, profile, Vec::new())];
    let options = ExportOptions {
        profile,
        precision,
        ..Default::default()
    };
    export::export(out, &sections, &options, &[])
        .unwrap_or_else(|e| panic!("{e}"))
        .features
}

/// `ogrinfo -ro -al -so` reads the file and reports this many features.
fn gdal_count(path: &Path) -> usize {
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-so"])
        .arg(path)
        .output()
        .expect("ogrinfo (gdal-bin) is installed by .ci/setup");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "ogrinfo failed on {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no feature count from ogrinfo: {text}"))
}

fn key(c: geo_types::Coord<f64>, precision: usize) -> (i64, i64) {
    let s = 10f64.powi(precision as i32);
    ((c.x * s).round() as i64, (c.y * s).round() as i64)
}

/// Rings as sorted coordinate lists: start point and winding do not matter.
fn shape(g: &Geometry<f64>, precision: usize) -> Vec<Vec<(i64, i64)>> {
    use geo::CoordsIter;
    let ring = |r: &geo_types::LineString<f64>| {
        let mut v: Vec<(i64, i64)> = r.0.iter().map(|c| key(*c, precision)).collect();
        v.pop();
        v.sort();
        v
    };
    let mut parts = match g {
        Geometry::Polygon(p) => std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(ring)
            .collect(),
        Geometry::MultiPolygon(mp) => mp
            .iter()
            .flat_map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(ring)
                    .collect::<Vec<_>>()
            })
            .collect(),
        Geometry::GeometryCollection(gc) => gc.iter().flat_map(|g| shape(g, precision)).collect(),
        other => vec![other.coords_iter().map(|c| key(c, precision)).collect()],
    };
    parts.sort();
    parts
}

/// Equal rings within one unit of the last exported decimal.
fn close(a: &[Vec<(i64, i64)>], b: &[Vec<(i64, i64)>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(ra, rb)| {
            ra.len() == rb.len()
                && ra
                    .iter()
                    .zip(rb)
                    .all(|(p, q)| (p.0 - q.0).abs() <= 1 && (p.1 - q.1).abs() <= 1)
        })
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Date(d), Value::Text(t)) => d == t,
        (Value::Float(f), Value::Int(i)) | (Value::Int(i), Value::Float(f)) => *f == *i as f64,
        (Value::Float(f), Value::Null) => !f.is_finite(),
        _ => a == b,
    }
}

#[test]
fn every_corpus_layer_round_trips_and_gdal_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for path in crate::corpus_layer_files() {
        let Ok(layer) = load(&path, &LoadOptions::default()) else {
            continue;
        };
        let out = dir.path().join(format!("rt{checked}.geojson"));
        if !layer.source.crs.known && !layer.index.is_empty() {
            let ids = (0..layer.features.len()).collect();
            let sections = [Section::new(&layer, ids, Profile::Internal, Vec::new())];
            let e = export::export(&out, &sections, &ExportOptions::default(), &[]).unwrap_err();
            assert!(e.to_string().contains("unknown CRS"), "{e}");
            assert!(!out.exists(), "nothing written");
            continue;
        }
        let n = export_all(&layer, &out, Profile::Internal, 9);
        assert_eq!(n, layer.features.len());
        let back = load_ok(&out);
        let name = path.display();
        assert_eq!(back.features.len(), layer.features.len(), "{name}");
        for (i, (a, b)) in layer.features.iter().zip(&back.features).enumerate() {
            match (&a.geometry, &b.geometry) {
                (Some(ga), Some(gb)) => assert!(
                    close(&shape(ga, 9), &shape(gb, 9)),
                    "{name} #{i}: {ga:?} vs {gb:?}"
                ),
                (None, None) => {}
                other => panic!("{name} #{i}: {other:?}"),
            }
            assert_eq!(a.z.is_some(), b.z.is_some(), "{name} #{i} Z");
            for field in &layer.fields {
                let va = layer.value(i, &field.name).unwrap();
                let vb = back.value(i, &field.name).unwrap_or(&Value::Null);
                assert!(
                    same_value(va, vb),
                    "{name} #{i} {}: {va:?} vs {vb:?}",
                    field.name
                );
            }
        }
        assert_eq!(gdal_count(&out), layer.features.len(), "{name}");
        checked += 1;
    }
    assert!(checked > 80, "{checked}");
}

/// mapbox/geojson-rewind's fixtures: our output rings equal their expected output exactly.
#[test]
fn output_winding_matches_geojson_rewind_fixtures() {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = corpus("geojson-rewind/test/fixture");
    let mut compared = 0;
    for input in walk(&fixtures)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".input.geojson"))
    {
        let expected_path = PathBuf::from(input.to_string_lossy().replace(".input.", ".output."));
        let out = dir.path().join("rewound.geojson");
        export_all(&load_ok(&input), &out, Profile::Internal, 15);
        let ours: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&expected_path).unwrap()).unwrap();
        let geometries = |v: &serde_json::Value| -> Vec<serde_json::Value> {
            match v["type"].as_str() {
                Some("FeatureCollection") => v["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["geometry"].clone())
                    .collect(),
                Some("Feature") => vec![v["geometry"].clone()],
                _ => vec![v.clone()],
            }
        };
        let (a, b) = (geometries(&ours), geometries(&expected));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(
                normalize_numbers(x),
                normalize_numbers(y),
                "{}",
                input.display()
            );
        }
        compared += 1;
    }
    assert_eq!(compared, 7);
}

/// Numbers as f64 so 1 and 1.0 compare equal.
fn normalize_numbers(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Number(n) => serde_json::json!(n.as_f64()),
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.iter().map(normalize_numbers).collect())
        }
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(k, _)| *k != "bbox")
            .map(|(k, v)| (k.clone(), normalize_numbers(v)))
            .collect(),
        other => other.clone(),
    }
}

/// Two polygons and a point, with two internal fields (the name rule's 所有者 and 売却価格).
pub fn sites_fixture(dir: &Path) -> PathBuf {
    let body = r#"{"type":"FeatureCollection","features":[
  {"type":"Feature","properties":{"名称":"旭が丘工業用地","面積":12000.5,"用途地域":"工業地域","所有者":"日野太郎","売却価格":250000000,"status":"available"},
   "geometry":{"type":"Polygon","coordinates":[[[139.380,35.655],[139.382,35.655],[139.382,35.657],[139.380,35.657],[139.380,35.655]]]}},
  {"type":"Feature","properties":{"名称":"万願寺用地","面積":800,"用途地域":"準工業地域","所有者":"株式会社ミナミ","売却価格":null,"status":"reserved"},
   "geometry":{"type":"Polygon","coordinates":[[[139.400,35.660],[139.401,35.660],[139.401,35.661],[139.400,35.661],[139.400,35.660]]]}},
  {"type":"Feature","properties":{"名称":"境界の点","面積":null,"用途地域":null,"所有者":null,"売却価格":null,"status":"available"},
   "geometry":{"type":"Point","coordinates":[139.45,35.70]}}
]}"#;
    let path = dir.join("sites.geojson");
    std::fs::write(&path, body).unwrap();
    path
}

fn ids(layer: &Layer, filter: &Filter) -> Vec<usize> {
    filter.apply(layer).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn filter_semantics_on_japanese_fields_nulls_and_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let layer = load_ok(&sites_fixture(dir.path()));
    let w = |e: &str| Filter {
        where_text: Some(e.into()),
        ..Default::default()
    };
    assert_eq!(ids(&layer, &w("\"用途地域\" LIKE '%工業%'")), [0, 1]);
    assert_eq!(ids(&layer, &w("\"用途地域\" = '工業地域'")), [0]);
    assert_eq!(ids(&layer, &w("\"面積\" >= 1000")), [0]);
    assert_eq!(
        ids(&layer, &w("NOT \"面積\" >= 1000")),
        [1],
        "NULL area is neither"
    );
    assert_eq!(ids(&layer, &w("\"面積\" IS NULL")), [2]);
    assert_eq!(ids(&layer, &w("\"用途地域\" NOT IN ('工業地域')")), [1]);
    assert_eq!(
        ids(
            &layer,
            &w("status = 'available' AND (\"面積\" < 1000 OR \"面積\" IS NULL)")
        ),
        [2]
    );

    // A point exactly on the box's corner intersects it (GDAL's -spat keeps it too).
    let bbox = |t: &str| Filter {
        bbox: Some(BboxFilter::parse(t, None).unwrap()),
        ..Default::default()
    };
    assert_eq!(ids(&layer, &bbox("139.40,35.60,139.45,35.70")), [1, 2]);
    // A polygon touching the box only along its edge intersects; one outside does not.
    assert_eq!(ids(&layer, &bbox("139.382,35.656,139.39,35.659")), [0]);
    assert_eq!(
        ids(&layer, &bbox("139.3821,35.656,139.39,35.659")),
        Vec::<usize>::new()
    );
    // In the plane-rectangular zone IX: a box around Hino city hall (E −39681, N −36379).
    // E −40 km…−30 km, N −38 km…−30 km: 139.39…139.50°E, 35.657…35.729°N.
    let zone = Filter {
        bbox: Some(BboxFilter::parse("-40000,-38000,-30000,-30000", Some("EPSG:6677")).unwrap()),
        ..Default::default()
    };
    assert_eq!(ids(&layer, &zone), [1, 2]);

    // Within the city boundary: the point on the far corner is outside Hino.
    let boundary = std::sync::Arc::new(load_ok(
        &shared().join("data/hino/hino_boundary_n03.geojson"),
    ));
    let within = Filter {
        spatial: vec![SpatialFilter {
            relation: Relation::Within,
            reference: boundary,
        }],
        ..Default::default()
    };
    assert_eq!(ids(&layer, &within), [0, 1]);
}

#[test]
fn near_agrees_with_geodesic_distances() {
    use geo::{Densify, Distance, Geodesic, Haversine};
    let shelters = load_ok(&shared().join("data/hino/shelters_emergency_132128.geojson"));
    let stations = std::sync::Arc::new(load_ok(
        &shared().join("data/hino/stations_n02_2023.geojson"),
    ));
    let filter = Filter {
        spatial: vec![SpatialFilter {
            relation: Relation::Near { distance_m: 1000.0 },
            reference: stations.clone(),
        }],
        ..Default::default()
    };
    let got = ids(&shelters, &filter);
    // Brute force: geodesic distance to station lines densified to 1 m.
    let points: Vec<geo_types::Point<f64>> = stations
        .features
        .iter()
        .filter_map(|f| match &f.geometry {
            Some(Geometry::LineString(l)) => {
                Some(Haversine.densify(l, 1.0).points().collect::<Vec<_>>())
            }
            _ => None,
        })
        .flatten()
        .collect();
    let mut disagreements = 0;
    for (i, f) in shelters.features.iter().enumerate() {
        let Some(Geometry::Point(p)) = f.geometry else {
            continue;
        };
        let d = points
            .iter()
            .map(|q| Geodesic.distance(p, *q))
            .fold(f64::INFINITY, f64::min);
        if (d - 1000.0).abs() < 2.0 {
            continue; // too close to the threshold to judge with densified lines
        }
        if (d <= 1000.0) != got.contains(&i) {
            disagreements += 1;
        }
    }
    assert_eq!(disagreements, 0);
    assert!(
        got.len() > 10 && got.len() < shelters.features.len(),
        "{}",
        got.len()
    );
}

/// A public export holds no internal field name or value anywhere, provenance and README
/// included; the internal export holds them.
#[test]
fn public_export_leaks_no_internal_field() {
    let dir = tempfile::tempdir().unwrap();
    let sites = sites_fixture(dir.path());
    let public = dir.path().join("public.geojson");
    let run = |args: &[&str]| {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
        crate::run_ok(&args)
    };
    let summary = run(&[
        "export",
        sites.to_str().unwrap(),
        "-o",
        public.to_str().unwrap(),
        "--where",
        "\"売却価格\" > 1000 OR \"所有者\" LIKE '株式会社%'",
        "--readme",
    ]);
    assert!(
        summary.contains("2 features written")
            && summary.contains("所有者")
            && summary.contains("売却価格"),
        "{summary}"
    );
    let mut written = std::fs::read_to_string(&public).unwrap();
    written.push_str(&std::fs::read_to_string(dir.path().join("public.README.md")).unwrap());
    for secret in [
        "所有者",
        "売却価格",
        "日野太郎",
        "株式会社ミナミ",
        "250000000",
        "株式会社",
    ] {
        assert!(!written.contains(secret), "public export leaks {secret}");
    }
    assert!(
        written.contains("旭が丘工業用地") && written.contains("\"internal_fields_dropped\":2")
    );
    assert_eq!(gdal_count(&public), 2);

    let internal = dir.path().join("internal.geojson");
    run(&[
        "export",
        sites.to_str().unwrap(),
        "-o",
        internal.to_str().unwrap(),
        "--profile",
        "internal",
    ]);
    let written = std::fs::read_to_string(&internal).unwrap();
    assert!(written.contains("日野太郎") && written.contains("250000000"));

    // Fields named by the user are internal besides those the name rule catches.
    let named = dir.path().join("named.geojson");
    run(&[
        "export",
        sites.to_str().unwrap(),
        "-o",
        named.to_str().unwrap(),
        "--internal",
        "status",
    ]);
    let written = std::fs::read_to_string(&named).unwrap();
    assert!(!written.contains("available") && !written.contains("日野太郎"));
    assert!(written.contains("旭が丘工業用地"));
}

#[test]
fn csv_export_with_bom_points_as_lon_lat_polygons_as_wkt() {
    let dir = tempfile::tempdir().unwrap();
    let shelters = load_ok(&shared().join("data/hino/shelters_evacuation_132128.geojson"));
    let out = dir.path().join("shelters.csv");
    assert_eq!(export_all(&shelters, &out, Profile::Public, 6), 57);
    let bytes = std::fs::read(&out).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
    let csv_text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let header = csv_text.lines().next().unwrap();
    assert!(header.ends_with(",lon,lat"), "{header}");
    assert!(dir.path().join("shelters.README.md").exists());
    let back = load_ok(&out);
    assert_eq!(back.features.len(), 57);
    assert_eq!(gdal_count(&out), 57);

    let boundary = load_ok(&shared().join("data/hino/hino_boundary_n03.geojson"));
    let out = dir.path().join("boundary.csv");
    export_all(&boundary, &out, Profile::Public, 7);
    let back = load_ok(&out);
    assert!(matches!(
        back.features[0].geometry,
        Some(Geometry::Polygon(_))
    ));
    assert_eq!(back.value(0, "N03_004"), Some(&text("日野市")));
}

/// `sitelens export -o OUT.csv` on a GeoJSON whose text values look like formulas: each comes out
/// inert (a leading apostrophe), as a user opening the file in a spreadsheet needs; numbers and
/// plain numeric text stay as they are.
#[test]
fn csv_export_makes_formula_text_inert() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("cells.geojson");
    let risky = [
        "=HYPERLINK(\"http://example.com/x\",\"click\")",
        "+1+1",
        "-1+1",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
    ];
    let features: Vec<serde_json::Value> = risky
        .iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::json!({
                "type": "Feature",
                "properties": {"memo": v, "n": -(i as i64), "code": "-12"},
                "geometry": {"type": "Point", "coordinates": [139.39, 35.67]}
            })
        })
        .collect();
    let collection = serde_json::json!({"type": "FeatureCollection", "features": features});
    std::fs::write(&input, collection.to_string()).unwrap();
    let out = dir.path().join("cells.csv");
    let export = std::ffi::OsStr::new("export");
    let flag = std::ffi::OsStr::new("-o");
    crate::run_ok(&[export, input.as_os_str(), flag, out.as_os_str()]);
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header = reader.headers().unwrap().clone();
    let memo = header.iter().position(|h| h.ends_with("memo")).unwrap();
    let n = header.iter().position(|h| h == "n").unwrap();
    let code = header.iter().position(|h| h == "code").unwrap();
    for (row, v) in reader.records().zip(risky) {
        let row = row.unwrap();
        assert_eq!(&row[memo], format!("'{v}"));
        assert!(row[n].parse::<i64>().unwrap() <= 0);
        assert_eq!(&row[code], "-12");
    }
}

#[test]
fn export_cli_errors_write_nothing_and_never_touch_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let sites = sites_fixture(dir.path());
    let before = std::fs::read(&sites).unwrap();
    let out = dir.path().join("out.geojson");
    let run = |args: Vec<&str>| {
        Command::new(env!("CARGO_BIN_EXE_sitelens"))
            .args(args)
            .output()
            .unwrap()
    };
    let s = sites.to_str().unwrap();
    let o = out.to_str().unwrap();

    let bad = run(vec!["export", s, "-o", o, "--where", "\"面積\" = 'large'"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("面積") && err.contains("number field"),
        "{err}"
    );
    assert!(!out.exists());

    let over = run(vec!["export", s, "-o", s]);
    assert!(!over.status.success());
    assert!(String::from_utf8_lossy(&over.stderr).contains("input"));
    assert_eq!(std::fs::read(&sites).unwrap(), before);

    let ok = run(vec![
        "export",
        s,
        "-o",
        o,
        "--precision",
        "3",
        "--metadata",
        "none",
        "--bbox",
        "139.3,35.6,139.41,35.69",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(!written.contains("provenance"));
    assert!(
        written.contains("[139.4,35.66]") && written.contains("[139.38,35.655]"),
        "{written}"
    );

    // Six-decimal shelter positions rounded to three.
    let shelters = shared().join("data/hino/shelters_emergency_132128.geojson");
    let ok = run(vec![
        "export",
        shelters.to_str().unwrap(),
        "-o",
        o,
        "--precision",
        "3",
    ]);
    assert!(ok.status.success());
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    for f in doc["features"].as_array().unwrap() {
        for c in f["geometry"]["coordinates"].as_array().unwrap() {
            let v = c.as_f64().unwrap() * 1000.0;
            assert!((v - v.round()).abs() < 1e-6, "{c}");
        }
    }
}

/// The bbox hint lets the Shapefile loader skip records by their stored box; the result of the
/// filter is the same records as a full load, in lon/lat and in a projected source CRS.
#[test]
fn bbox_hint_skips_records_without_changing_the_result() {
    let records = |layer: &Layer, f: &Filter| -> Vec<u64> {
        ids(layer, f)
            .into_iter()
            .map(|i| layer.features[i].record)
            .collect()
    };
    let path = corpus("pyshp/tests/shapefiles/blockgroups.shp");
    let filter = Filter {
        bbox: Some(BboxFilter::parse("-122.45,37.74,-122.40,37.78", None).unwrap()),
        ..Default::default()
    };
    let full = load_ok(&path);
    let hinted = load(
        &path,
        &LoadOptions {
            bbox_hint: filter.bbox.as_ref().map(|b| b.envelope),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        hinted.features.len() < full.features.len() / 2,
        "{} of {}",
        hinted.features.len(),
        full.features.len()
    );
    assert_eq!(hinted.source.record_count, 663);
    let expected = records(&full, &filter);
    assert!(!expected.is_empty());
    assert_eq!(records(&hinted, &filter), expected);
    // Attributes stay paired with their shapes.
    for f in &hinted.features {
        assert_eq!(f.values, full.features[f.record as usize].values);
    }

    // Zone IX source: the lon/lat box is carried into the source CRS.
    let dir = tempfile::tempdir().unwrap();
    let pts = [
        (-39681.26, -36379.06),
        (-20000.0, -20000.0),
        (-39000.0, -36000.0),
    ];
    let shp = crate::fixtures::write_point_shapefile(dir.path(), "z", &pts, true);
    std::fs::write(dir.path().join("z.prj"), "PROJCS[\"JGD_2011_Japan_Zone_9\",GEOGCS[\"GCS_JGD_2011\",DATUM[\"D_JGD_2011\",SPHEROID[\"GRS_1980\",6378137.0,298.257222101]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"False_Easting\",0.0],PARAMETER[\"False_Northing\",0.0],PARAMETER[\"Central_Meridian\",139.833333333333],PARAMETER[\"Scale_Factor\",0.9999],PARAMETER[\"Latitude_Of_Origin\",36.0],UNIT[\"Meter\",1.0]]").unwrap();
    let filter = Filter {
        bbox: Some(BboxFilter::parse("139.35,35.63,139.45,35.70", None).unwrap()),
        ..Default::default()
    };
    let hinted = load(
        &shp,
        &LoadOptions {
            bbox_hint: filter.bbox.as_ref().map(|b| b.envelope),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        hinted.features.iter().map(|f| f.record).collect::<Vec<_>>(),
        [0, 2]
    );
    assert_eq!(records(&hinted, &filter), [0, 2]);
}
