//! Site metrics on hand-made sites whose answers are known, and on the real station and IC layers.

use geo::{Destination, Geodesic};
use geo_types::{Geometry, Point, Polygon, polygon};
use sitelens::analysis::site::{Context, ZoningLayer, add_metric_fields, compute};
use sitelens::crs::{CrsInfo, DecidedBy};
use sitelens::model::Role;
use sitelens::model::{Feature, Field, FieldType, Format, Layer, Source, Value};
use sitelens::project::{Analysis, load_site_inputs, site_context};

/// A square of `side` metres (geodesic sides) with its south-west corner at `sw`.
fn square(sw: Point<f64>, side: f64) -> Polygon<f64> {
    let se = Geodesic.destination(sw, 90.0, side);
    let nw = Geodesic.destination(sw, 0.0, side);
    let ne = Geodesic.destination(nw, 90.0, side);
    Polygon::new(vec![sw.0, se.0, ne.0, nw.0, sw.0].into(), vec![])
}

fn layer(fields: &[(&str, FieldType)], rows: Vec<(Geometry<f64>, Vec<Value>)>) -> Layer {
    let features = rows
        .into_iter()
        .enumerate()
        .map(|(i, (g, values))| Feature {
            record: i as u64,
            geometry: Some(g),
            z: None,
            values,
        })
        .collect();
    let source = Source {
        path: "made.geojson".into(),
        member: None,
        format: Format::GeoJson,
        encoding: None,
        crs: CrsInfo::wgs84(DecidedBy::User),
        record_count: 0,
    };
    let fields = fields
        .iter()
        .map(|(n, t)| Field {
            name: n.to_string(),
            field_type: *t,
        })
        .collect();
    Layer::new("made".into(), source, fields, features, Vec::new())
}

#[test]
fn a_100_m_square_is_one_hectare() {
    let site = square(Point::new(139.39, 35.67), 100.0);
    let m = compute(&site.into(), &Context::default());
    let area = m.measures.area_m2.unwrap();
    assert!((area - 10_000.0).abs() < 1.0, "{area}");
    assert!((m.measures.area_ha().unwrap() - 1.0).abs() < 1e-4);
    assert!((m.measures.area_tsubo().unwrap() - 3_025.0).abs() < 0.5);
    // Without context layers the rest is unknown, not zero.
    assert_eq!(m.station, None);
    assert_eq!(m.floor_area_pct, None);
    assert_eq!(m.enterprises_wide, None);
}

/// A29 values: A29_004 code, A29_005 name, A29_006 建蔽率, A29_007 容積率.
fn a29(code: i64, name: &str, coverage: i64, floor_area: i64) -> Vec<Value> {
    vec![
        Value::Int(code),
        Value::Text(name.into()),
        Value::Int(coverage),
        Value::Int(floor_area),
    ]
}

/// An A29-shaped zoning layer of two zones side by side at x = 139.40 (west, east).
fn west_and_east(west: Vec<Value>, east: Vec<Value>) -> Layer {
    let fields = [
        ("A29_004", FieldType::Int),
        ("A29_005", FieldType::Text),
        ("A29_006", FieldType::Int),
        ("A29_007", FieldType::Int),
    ];
    let w = polygon![(x: 139.39, y: 35.66), (x: 139.40, y: 35.66), (x: 139.40, y: 35.68), (x: 139.39, y: 35.68)];
    let e = polygon![(x: 139.40, y: 35.66), (x: 139.41, y: 35.66), (x: 139.41, y: 35.68), (x: 139.40, y: 35.68)];
    layer(&fields, vec![(w.into(), west), (e.into(), east)])
}

#[test]
fn half_industrial_200_half_semi_industrial_300_is_250() {
    // Two zones side by side at x = 139.40; the site straddles the line symmetrically.
    let zoning = west_and_east(a29(11, "工業地域", 60, 200), a29(10, "準工業地域", 60, 300));
    let site: Geometry<f64> = polygon![(x: 139.399, y: 35.670), (x: 139.401, y: 35.670), (x: 139.401, y: 35.671), (x: 139.399, y: 35.671)].into();
    let ctx = Context {
        zoning: Some(ZoningLayer::of(&zoning)),
        ..Context::default()
    };
    let m = compute(&site, &ctx);
    assert!((m.floor_area_pct.unwrap() - 250.0).abs() < 0.01, "{m:?}");
    assert!((m.coverage_pct.unwrap() - 60.0).abs() < 1e-9);
    assert_eq!(m.zoning.len(), 2);
    assert!((m.zoning[0].share - 0.5).abs() < 1e-6);
    assert!((m.zoned_share.unwrap() - 1.0).abs() < 1e-6);
    let area = m.measures.area_m2.unwrap();
    assert!((m.max_floor_area_m2.unwrap() - area * 2.5).abs() < 1e-6);
    assert!((m.max_footprint_m2.unwrap() - area * 0.6).abs() < 1e-6);
    let text = m.zoning_text().unwrap();
    assert!(
        text.contains("工業地域 50%") && text.contains("準工業地域 50%"),
        "{text}"
    );
}

#[test]
fn distance_to_hino_station_matches_a_geodesic_reference() {
    let inputs = load_site_inputs().unwrap();
    let ctx = site_context(inputs.iter().map(|(r, l)| (*r, l)), &Analysis::default()).unwrap();
    // 日野駅 = the midpoint (by length) of its N02 platform line.
    let (_, hino) = ctx.stations.iter().find(|(n, _)| n == "日野").unwrap();
    assert!((hino.x() - 139.393_429_03).abs() < 1e-8 && (hino.y() - 35.678_545_52).abs() < 1e-8);
    // GeographicLib (Python, WGS84 Inverse) from (139.4000 E, 35.6700 N): 1,119.323 m.
    let m = compute(&Point::new(139.4000, 35.6700).into(), &ctx);
    let (name, d) = m.station.clone().unwrap();
    assert_eq!(name, "日野");
    assert!((d - 1_119.323).abs() < 0.01, "{d}");
    // A site of 100 m × 100 m whose corner is that point: its closest point is nearer.
    let site = square(Point::new(139.3990, 35.6700), 100.0);
    let m = compute(&site.into(), &ctx);
    assert!(m.station.unwrap().1 < 1_119.0);
    // The interchanges are the two ICs, not 石川PA; every IC is outside the city.
    let names: Vec<&str> = ctx.interchanges.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["国立府中IC", "八王子IC"]);
    assert!(m.interchange.unwrap().1 > 0.0);
    assert_eq!(m.in_city, Some(true));
}

/// The project's sample sites, and the context layers their metrics come from.
fn sample_sites() -> (Layer, Vec<(Role, Layer)>) {
    (crate::embedded(Role::Site), load_site_inputs().unwrap())
}

#[test]
fn metrics_become_fields_the_filter_and_exporter_use() {
    let (mut sites, inputs) = sample_sites();
    let ctx = site_context(inputs.iter().map(|(r, l)| (*r, l)), &Analysis::default()).unwrap();
    let before = sites.fields.len();
    add_metric_fields(&mut sites, &ctx);
    assert_eq!(
        sites.fields.len(),
        before + sitelens::analysis::site::METRIC_FIELDS.len()
    );
    // Twice: the fields are replaced, not added again.
    add_metric_fields(&mut sites, &ctx);
    assert_eq!(
        sites.fields.len(),
        before + sitelens::analysis::site::METRIC_FIELDS.len()
    );
    let filter = sitelens::filter::Filter {
        where_text: Some("area_ha >= 1 AND ic_m <= 2000 AND main_zone LIKE '%工業%'".into()),
        ..Default::default()
    };
    let ids = filter.apply(&sites).unwrap();
    assert!(
        ids.len() >= 3,
        "{} sites over 1 ha within 2 km of an IC",
        ids.len()
    );
    for id in ids {
        let area = sites.value(id, "area_ha").and_then(Value::as_f64).unwrap();
        let ic = sites.value(id, "ic_m").and_then(Value::as_f64).unwrap();
        assert!(area >= 1.0 && ic <= 2000.0);
        assert!(matches!(
            sites.value(id, "enterprises_1km"),
            Some(Value::Int(_))
        ));
    }
}

/// The investor's question on the command line: the 3 best sites over 1 ha within 2 km of an IC
/// in an industrial zone, ranked, public profile.
#[test]
fn cli_ranks_and_cuts_the_best_sites() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("best.geojson");
    let sites = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/sample/sites_fictional.geojson");
    let args = [
        sites.to_str().unwrap(),
        "--metrics",
        "--rank",
        "area=1,zoning=2,ic=3,station=1,industry=1:E",
        "--where",
        "area_ha >= 1 AND ic_m <= 2000 AND main_zone LIKE '%工業%'",
        "--top",
        "3",
        "-o",
        out.to_str().unwrap(),
    ];
    let mut all: Vec<&std::ffi::OsStr> = vec!["export".as_ref()];
    all.extend(args.iter().map(|a| std::ffi::OsStr::new(*a)));
    crate::run_ok(&all);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = json["features"].as_array().unwrap();
    assert_eq!(features.len(), 3);
    let scores: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    let ranks: Vec<i64> = features
        .iter()
        .map(|f| f["properties"]["rank"].as_i64().unwrap())
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{ranks:?}");
    for f in features {
        let p = &f["properties"];
        assert!(p["area_ha"].as_f64().unwrap() >= 1.0 && p["ic_m"].as_f64().unwrap() <= 2000.0);
        assert!(p["score_breakdown"].as_str().unwrap().starts_with("area "));
        assert!(p.get("所有者").is_none() && p.get("価格_円").is_none());
    }
    let provenance = json["provenance"]["filter"].as_str().unwrap();
    assert!(
        provenance.contains("ranked by area=1,zoning=2,ic=3") && provenance.ends_with("first 3")
    );
    assert!(
        json["provenance"]["notice"]
            .as_str()
            .unwrap()
            .contains("FICTIONAL")
    );
}

#[test]
fn incentive_rules_say_which_programmes_a_site_may_qualify_for() {
    use sitelens::analysis::incentives::{Rules, add_programme_field};
    let (mut sites, inputs) = sample_sites();
    let ctx = site_context(inputs.iter().map(|(r, l)| (*r, l)), &Analysis::default()).unwrap();
    add_metric_fields(&mut sites, &ctx);
    let rules = Rules::parse(
        r#"
example = false
[[programme]]
name = "大規模"
condition = "area_ha >= 1"
[[programme]]
name = "駅近"
condition = "station_m < 500"
"#,
        "rules.toml",
    )
    .unwrap();
    add_programme_field(&mut sites, &rules).unwrap();
    for i in 0..sites.features.len() {
        let big = sites.value(i, "area_ha").and_then(Value::as_f64).unwrap() >= 1.0;
        let near = sites.value(i, "station_m").and_then(Value::as_f64).unwrap() < 500.0;
        let expected = match (big, near) {
            (true, true) => Some("大規模・駅近".to_string()),
            (true, false) => Some("大規模".into()),
            (false, true) => Some("駅近".into()),
            (false, false) => None,
        };
        let got = match sites.value(i, "programmes") {
            Some(Value::Text(t)) => Some(t.clone()),
            _ => None,
        };
        assert_eq!(got, expected, "site {i}");
    }
    // The shipped rules are examples and say so in every value.
    let example = Rules::example();
    assert!(example.example && example.programmes.len() >= 4);
    add_programme_field(&mut sites, &example).unwrap();
    let marked = (0..sites.features.len())
        .filter_map(|i| sites.value(i, "programmes"))
        .filter(|v| !v.is_null())
        .all(|v| v.to_string().ends_with("（例示ルール / example rules）"));
    assert!(marked);
    // A rule on a field the sites do not have is an error naming the programme.
    let bad = Rules::parse(
        "[[programme]]\nname = \"X\"\ncondition = \"no_such_field > 1\"\n",
        "bad.toml",
    )
    .unwrap();
    let e = add_programme_field(&mut sites, &bad).unwrap_err();
    assert!(
        e.starts_with("programme X:") && e.contains("no_such_field"),
        "{e}"
    );
    assert!(Rules::parse("example = true\n", "empty.toml").is_err());
}

/// zoning_note says why zoning values are empty: 9999 (A29's unknown), outside the layer, 不明,
/// no zoning layer.
#[test]
fn zoning_note_says_why_zoning_values_are_empty() {
    let mut unknown = a29(99, "", 9999, 9999);
    unknown[1] = Value::Null;
    let zoning = west_and_east(a29(11, "工業地域", 60, 9999), unknown);
    let ctx = Context {
        zoning: Some(ZoningLayer::of(&zoning)),
        ..Context::default()
    };
    let in_west = square(Point::new(139.392, 35.67), 50.0).into();
    let m = compute(&in_west, &ctx);
    assert_eq!(m.coverage_pct, Some(60.0));
    assert_eq!(m.floor_area_pct, None);
    assert_eq!(
        m.zoning_note.as_deref(),
        Some("容積率 (A29_007) 9999 (unknown) in A29-2019")
    );
    let in_east = square(Point::new(139.405, 35.67), 50.0).into();
    let m = compute(&in_east, &ctx);
    assert_eq!(m.zoning[0].label, "不明");
    let note = m.zoning_note.unwrap();
    assert!(
        note.starts_with(
            "main zone 不明 (unknown) in the zoning layer 'made'; 建蔽率 (A29_006) 9999"
        ),
        "{note}"
    );
    let far = square(Point::new(139.50, 35.70), 50.0).into();
    let m = compute(&far, &ctx);
    assert!(m.zoning.is_empty() && m.floor_area_pct.is_none());
    assert_eq!(
        m.zoning_note.as_deref(),
        Some("site outside the zoning layer 'made'")
    );
    let m = compute(&far, &Context::default());
    assert_eq!(m.zoning_note.as_deref(), Some("no zoning layer"));
}
