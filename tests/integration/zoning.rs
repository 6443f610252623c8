//! Zoning from every national source (#14). Each fixture is the fictional Hino zoning
//! (data/sample/zoning_fictional.geojson, made by make_hino_sample) rewritten at test time in one
//! source's exact shape — field names, value formats, code numbering, file format and CRS as it
//! ships (research notes for #14; see README "Zoning sources") — through GDAL where the source
//! ships Shapefiles. Every one must be recognised as its source, styled with the zoning palette,
//! and give the fictional sites the same metrics as the A29-shaped original.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use sitelens::analysis::zoning::{Recognition, recognise};
use sitelens::model::{Role, Value};
use sitelens::project::{LayerSpec, Project};

use crate::load_ok;

/// The fictional Hino zoning as shipped (A29-2019 shape, GeoJSON).
fn sample() -> Json {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/zoning_fictional.geojson");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A29_004 → the 1–13 code of 都市計画決定GISデータ / 不動産情報ライブラリ / PLATEAU (8 田園住居).
fn code_1_13(a29: i64) -> i64 {
    match a29 {
        1..=7 => a29,
        8..=12 => a29 + 1,
        21 => 8,
        other => panic!("A29 code {other}"),
    }
}

/// A29_004 → the two-digit municipal code.
fn code_two_digit(a29: i64) -> i64 {
    [11, 12, 21, 22, 31, 32, 40, 51, 52, 61, 62, 63][(a29 - 1) as usize]
}

/// A29_004 → an abbreviation a hand-made table might use.
fn abbreviation(a29: i64) -> &'static str {
    [
        "1低専",
        "2低専",
        "一中高",
        "2中専",
        "1住居",
        "二住居",
        "準住居",
        "近商",
        "商業",
        "準工",
        "工業",
        "工専",
    ][(a29 - 1) as usize]
}

fn half_width_digits(name: &str) -> String {
    name.replace('一', "1").replace('二', "2")
}

fn full_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' | '.' | '%' | '/' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            '一' => '１',
            '二' => '２',
            c => c,
        })
        .collect()
}

/// The sample rewritten: each feature's properties from (index, A29 code, A29 name, 建蔽率,
/// 容積率); `crs` an optional 2008-style crs member.
fn rewrite(properties: impl Fn(usize, i64, &str, i64, i64) -> Json, crs: Option<&str>) -> Json {
    let mut doc = sample();
    let features = doc["features"].as_array_mut().unwrap();
    for (i, f) in features.iter_mut().enumerate() {
        let p = &f["properties"];
        let (code, name) = (
            p["A29_004"].as_i64().unwrap(),
            p["A29_005"].as_str().unwrap(),
        );
        let (bcr, far) = (
            p["A29_006"].as_i64().unwrap(),
            p["A29_007"].as_i64().unwrap(),
        );
        f["properties"] = properties(i, code, name, bcr, far);
    }
    let mut out = json!({"type": "FeatureCollection", "features": doc["features"]});
    if let Some(crs) = crs {
        out["crs"] = json!({"type": "name", "properties": {"name": crs}});
    }
    out
}

fn write_json(path: &Path, doc: &Json) -> PathBuf {
    std::fs::write(path, serde_json::to_string(doc).unwrap()).unwrap();
    path.to_path_buf()
}

/// GDAL writes `doc` (lon/lat) as a Shapefile with `srs`, reprojected when `reproject`, its
/// .dbf in `encoding`; `cpg: false` drops the .cpg as the source ships without one.
fn shapefile(
    dir: &Path,
    stem: &str,
    doc: &Json,
    srs: &str,
    reproject: bool,
    encoding: &str,
    cpg: bool,
) -> PathBuf {
    let input = write_json(&dir.join(format!("{stem}.in.geojson")), doc);
    let out = dir.join(format!("{stem}.shp"));
    let mut args = vec!["-f", "ESRI Shapefile", "-lco"];
    let enc = format!("ENCODING={encoding}");
    args.push(&enc);
    if reproject {
        args.extend(["-s_srs", "EPSG:4326", "-t_srs", srs]);
    } else {
        args.extend(["-a_srs", srs]);
    }
    let (o, i) = (out.to_str().unwrap(), input.to_str().unwrap());
    args.extend([o, i]);
    gdal(&args);
    if !cpg {
        std::fs::remove_file(out.with_extension("cpg")).unwrap();
    }
    out
}

fn gdal(args: &[&str]) {
    let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
    crate::run_program_ok("ogr2ogr", &args);
}

/// One source's fixture: where it is and the source it must be recognised as.
struct Fixture {
    source: &'static str,
    path: PathBuf,
}

/// Every source's fixture, in `dir`.
fn fixtures(dir: &Path) -> Vec<Fixture> {
    let a29 = |edition_2011: bool| {
        move |_: usize, code: i64, name: &str, bcr: i64, far: i64| {
            let mut p = json!({
                "A29_001": "13212", "A29_002": "東京都", "A29_003": "日野市",
                "A29_004": code, "A29_005": name, "A29_006": bcr, "A29_007": far,
            });
            if edition_2011 {
                // 2011: A29_008 総括図作成団体名, A29_009 総括図作成年, A29_010 備考.
                p["A29_008"] = json!("日野市");
                p["A29_009"] = json!("2010");
                p["A29_010"] = json!("架空");
            } else {
                p["A29_008"] = json!("架空のサンプル");
            }
            p
        }
    };
    let mlit = |with_names: bool| {
        move |i: usize, code: i64, name: &str, bcr: i64, far: i64| {
            let mut p = json!({
                "Pref": "東京都", "Citycode": "13212", "Cityname": "日野市",
                "YoutoCode": code_1_13(code),
                // "200" and "200.0" both occur.
                "FAR": if i.is_multiple_of(2) { format!("{far}.0") } else { far.to_string() },
                "BCR": bcr.to_string(),
                "INDate": "2004/06/24", "FNDate": "20190401", "Custodian": "東京都",
            });
            if with_names {
                p["YoutoName"] = json!(half_width_digits(name));
            }
            p
        }
    };
    let reinfolib = |i: usize, code: i64, name: &str, bcr: i64, far: i64| {
        let pct = |v: i64| {
            if i.is_multiple_of(2) {
                format!("{v}%")
            } else {
                format!("{v}.0%")
            }
        };
        json!({
            "youto_id": code_1_13(code),
            "use_area_ja": full_width(name),
            "u_floor_area_ratio_ja": pct(far),
            "u_building_coverage_ratio_ja": pct(bcr),
            "prefecture": "東京都", "city_code": "13212", "city_name": "日野市",
            "decision_date": "", "decision_classification": "", "decision_maker": "",
            "notice_number": "", "first_decision_date": "", "notice_number_s": "",
            "_id": format!("fictional-{i}"), "_index": "bs001_use_area_202607231142",
        })
    };
    let plateau = |_: usize, code: i64, name: &str, bcr: i64, far: i64| {
        // PLATEAU GIS Converter writes Code[] as JSON; the label in half-width digits.
        let function = if code % 2 == 0 {
            json!([half_width_digits(name)])
        } else {
            json!([code_1_13(code).to_string()])
        };
        json!({
            "function": function, "floorAreaRate": far, "buildingCoverageRate": bcr,
            "city": "13212", "custodian": "日野市",
        })
    };
    let two_digit = |_: usize, code: i64, _: &str, bcr: i64, far: i64| json!({"youto": code_two_digit(code), "tokei": 1, "bouka": 0, "kenpei": bcr, "yoseki": far});
    let named = |i: usize, code: i64, _: &str, bcr: i64, far: i64| {
        let pair = format!("{bcr}/{far}");
        json!({
            "用途地域": abbreviation(code),
            "建蔽率/容積率": if i.is_multiple_of(2) { pair } else { full_width(&pair) },
        })
    };
    let geojson = |name: &str, doc: Json| write_json(&dir.join(name), &doc);
    let reproject = |name: &str, doc: Json, srs: &str| {
        let input = write_json(&dir.join(format!("{name}.in.geojson")), &doc);
        let out = dir.join(name);
        gdal(&[
            "-f",
            "GeoJSON",
            "-s_srs",
            "EPSG:4326",
            "-t_srs",
            srs,
            out.to_str().unwrap(),
            input.to_str().unwrap(),
        ]);
        out
    };
    vec![
        Fixture {
            source: "A29-2011",
            path: shapefile(
                dir,
                "A29-11_13",
                &rewrite(a29(true), None),
                "EPSG:4612",
                false,
                "CP932",
                false,
            ),
        },
        Fixture {
            source: "A29-2019",
            path: shapefile(
                dir,
                "A29-19_13212",
                &rewrite(a29(false), None),
                "EPSG:6668",
                false,
                "CP932",
                false,
            ),
        },
        Fixture {
            source: "MLIT-UPD",
            path: geojson(
                "13212_youto.geojson",
                rewrite(mlit(true), Some("urn:ogc:def:crs:EPSG::6668")),
            ),
        },
        // The codes alone, in the 1–13 numbering (a Shapefile of the same data).
        Fixture {
            source: "MLIT-UPD",
            path: shapefile(
                dir,
                "13212_youto_codes",
                &rewrite(mlit(false), None),
                "EPSG:6668",
                false,
                "UTF-8",
                true,
            ),
        },
        Fixture {
            source: "reinfolib-XKT002",
            path: geojson("XKT002.geojson", rewrite(reinfolib, None)),
        },
        Fixture {
            source: "PLATEAU-urf",
            path: geojson("urf_UseDistrict.geojson", rewrite(plateau, None)),
        },
        Fixture {
            source: "municipal-2digit",
            path: shapefile(
                dir,
                "youto",
                &rewrite(two_digit, None),
                "EPSG:6677",
                true,
                "CP932",
                false,
            ),
        },
        Fixture {
            source: "name-field",
            path: reproject("zoning_table.geojson", rewrite(named, None), "EPSG:6677"),
        },
    ]
}

/// The metrics compared, per site.
const COMPARED: [&str; 5] = [
    "main_zone",
    "coverage_pct",
    "floor_area_pct",
    "zoning_mix",
    "zoning_note",
];

/// The Hino project's sites' metrics (the `COMPARED` fields, per site) with `zoning` as the
/// zoning layer (the embedded sample when `None`), and the project's warnings.
fn site_metrics(zoning: Option<&Path>) -> (Vec<Vec<Value>>, Vec<String>) {
    let mut project = Project::hino();
    if let Some(path) = zoning {
        project.layers.retain(|l| l.role != Some(Role::Zoning));
        project.layers.push(LayerSpec {
            role: Some(Role::Zoning),
            ..LayerSpec::new(path.to_str().unwrap().into())
        });
    }
    let loaded = project.load();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let sites = &loaded.layers[loaded.sites.unwrap()].1;
    let rows = (0..sites.features.len())
        .map(|i| {
            COMPARED
                .iter()
                .map(|f| sites.value(i, f).cloned().unwrap())
                .collect()
        })
        .collect();
    let warnings = loaded
        .warnings
        .iter()
        .map(|(_, w)| w.message.clone())
        .collect();
    (rows, warnings)
}

#[test]
fn every_source_is_recognised_styled_and_gives_the_a29_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (baseline, warnings) = site_metrics(None);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert!(
        baseline
            .iter()
            .all(|r| !r[0].is_null() && !r[2].is_null() && r[4].is_null()),
        "the sample zoning covers every site"
    );
    // Three sites that straddle zones, for the table.
    let shown: Vec<usize> = (0..baseline.len())
        .filter(|&i| baseline[i][3].to_string().contains('・'))
        .take(3)
        .collect();
    let mut table = vec![
        "| file | source | site | main_zone | coverage_pct | floor_area_pct | zoning_mix |"
            .to_string(),
        "|---|---|---|---|---|---|---|".to_string(),
    ];
    table.extend(
        shown
            .iter()
            .map(|&i| table_row("zoning_fictional.geojson", "A29-2019", i, &baseline[i])),
    );
    #[cfg(feature = "gui")]
    let palette = palette_of(crate::embedded(Role::Zoning));
    for fixture in fixtures(dir.path()) {
        let name = fixture
            .path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let layer = load_ok(&fixture.path);
        assert_eq!(layer.features.len(), 104, "{name}");
        match recognise(&layer) {
            Recognition::Recognised(r) => {
                assert_eq!(r.source.id, fixture.source, "{name}");
                assert!(r.problems.is_empty() && r.notes.is_empty(), "{name}: {r:?}");
            }
            Recognition::NotRecognised(n) => panic!("{name}: {}", n.message(&layer.name)),
        }
        #[cfg(feature = "gui")]
        assert!(
            palette_of(layer) == palette,
            "{name}: not the sample's zoning palette"
        );
        let (rows, warnings) = site_metrics(Some(&fixture.path));
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
        for (i, (got, want)) in rows.iter().zip(&baseline).enumerate() {
            assert_eq!(got, want, "{name}, site {i}: {COMPARED:?}");
        }
        table.extend(
            shown
                .iter()
                .map(|&i| table_row(&name, fixture.source, i, &rows[i])),
        );
    }
    // The side-by-side table of the note (cargo test … -- --nocapture shows it).
    eprintln!("{}", table.join("\n"));
}

/// A markdown row: file, source, site, then the compared metrics.
fn table_row(file: &str, source: &str, site: usize, row: &[Value]) -> String {
    let cells: Vec<String> = row[..4].iter().map(|v| v.to_string()).collect();
    format!(
        "| {file} | {source} | S-{:02} | {} |",
        site + 1,
        cells.join(" | ")
    )
}

/// The zones a viewer layer of `layer` shows in its legend and each feature's colour.
#[cfg(feature = "gui")]
fn palette_of(layer: sitelens::model::Layer) -> (Vec<&'static str>, Vec<Option<egui::Color32>>) {
    let l =
        sitelens::app::MapLayer::new("z".into(), layer, sitelens::app::Style::for_role(None, 0));
    let z = l.zoning.expect("styled as zoning");
    (z.present.iter().map(|z| z.name_ja).collect(), z.colours)
}

/// One polygon over the whole city with these properties (a layer that is not zoning).
fn over_hino(dir: &Path, stem: &str, properties: Json) -> PathBuf {
    let ring = [
        [139.30, 35.60],
        [139.50, 35.60],
        [139.50, 35.72],
        [139.30, 35.72],
        [139.30, 35.60],
    ];
    let doc = json!({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": properties,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }]});
    write_json(&dir.join(format!("{stem}.geojson")), &doc)
}

fn sites_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/sites_fictional.geojson")
}

fn sitelens(args: &[&OsStr]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args(args)
        .output()
        .unwrap()
}

/// The case: a layer given as zoning that is not zoning must not pass silently.
#[test]
fn zoning_that_is_not_recognised_warns_names_the_fields_and_fills_zoning_note() {
    let dir = tempfile::tempdir().unwrap();
    let plain = over_hino(dir.path(), "plain", json!({"地区名": "日野"}));
    let out = dir.path().join("sites.geojson");
    let sites = sites_path();
    let args = |strict: bool| {
        let mut a: Vec<&OsStr> = vec![
            "export".as_ref(),
            sites.as_os_str(),
            "--metrics".as_ref(),
            "--zoning".as_ref(),
            plain.as_os_str(),
            "-o".as_ref(),
            out.as_os_str(),
        ];
        if strict {
            a.push("--strict".as_ref());
        }
        a
    };
    let run = sitelens(&args(false));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("zoning layer 'plain' not recognised: no zoning fields; looked for A29_005/A29_004/YoutoName/YoutoCode/use_area_ja/youto_id/"),
        "{stderr}"
    );
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 30);
    for f in features {
        let p = &f["properties"];
        assert!(
            p["main_zone"].is_null()
                && p["coverage_pct"].is_null()
                && p["floor_area_pct"].is_null()
        );
        let note = p["zoning_note"].as_str().unwrap();
        assert!(
            note.starts_with("zoning layer 'plain' not recognised"),
            "{note}"
        );
    }
    std::fs::remove_file(&out).unwrap();
    let run = sitelens(&args(true));
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("not recognised") && stderr.contains("--strict"),
        "{stderr}"
    );
    assert!(!out.exists(), "--strict wrote the file");
}

/// A bare integer code field with nothing saying its numbering is not read, and `info` says why.
#[test]
fn a_bare_integer_code_is_not_read_and_info_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let codes = over_hino(dir.path(), "codes", json!({"code": 8}));
    let json_of = |args: &[&OsStr]| -> Json {
        let run = sitelens(args);
        assert!(run.status.success());
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let doc = json_of(&[
        "info".as_ref(),
        "--json".as_ref(),
        "--role".as_ref(),
        "zoning".as_ref(),
        codes.as_os_str(),
    ]);
    let layer = &doc["layers"][0];
    assert!(layer["recognised"].is_null(), "{layer}");
    let reason = layer["not_recognised"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("field code holds integer codes (e.g. 8)"),
        "{reason}"
    );
    let looked_for = layer["not_recognised"]["looked_for"].as_array().unwrap();
    assert!(
        looked_for.iter().any(|f| f == "A29_005") && looked_for.iter().any(|f| f == "use_area_ja")
    );
    assert!(
        layer["role_warnings"][0]
            .as_str()
            .unwrap()
            .contains("zoning layer 'codes' not recognised")
    );
    // Not given as zoning and nothing in it looks like zoning: nothing to say.
    let doc = json_of(&["info".as_ref(), "--json".as_ref(), codes.as_os_str()]);
    assert!(doc["layers"][0]["recognised"].is_null());
    assert!(doc["layers"][0].get("not_recognised").is_none());
    // The sample zoning, as README documents the shape.
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/zoning_fictional.geojson");
    let doc = json_of(&["info".as_ref(), "--json".as_ref(), sample.as_os_str()]);
    let r = &doc["layers"][0]["recognised"];
    assert_eq!(r["kind"], "zoning");
    assert_eq!(r["source"], "A29-2019");
    assert_eq!(
        r["fields"],
        json!({"name": "A29_005", "code": "A29_004", "coverage": "A29_006", "floor_area": "A29_007"})
    );
    assert_eq!(r["code_system"], "KSJ-UseDistrictCd");
    // A site list with a 用途地域 column is neither zoning nor an attempt at it.
    let doc = json_of(&["info".as_ref(), "--json".as_ref(), sites_path().as_os_str()]);
    assert!(doc["layers"][0]["recognised"].is_null());
    assert!(doc["layers"][0].get("not_recognised").is_none());
}

/// `project` and `export` warn about the other roles' missing fields too; `--strict` fails.
#[test]
fn roles_missing_their_fields_are_warnings_and_strict_makes_them_errors() {
    let dir = tempfile::tempdir().unwrap();
    let points = |stem: &str, properties: Json| {
        let doc = json!({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": properties,
            "geometry": {"type": "Point", "coordinates": [139.40, 35.67]},
        }]});
        write_json(&dir.path().join(format!("{stem}.geojson")), &doc)
    };
    let stations = points("nameless_stations", json!({"路線": "中央線"}));
    let enterprises = points("firms", json!({"社名": "架空"}));
    let mut project = Project::hino();
    for l in &mut project.layers {
        match l.role {
            Some(Role::Station) => l.path = stations.to_str().unwrap().into(),
            Some(Role::Enterprise) => l.path = enterprises.to_str().unwrap().into(),
            _ => {}
        }
    }
    let path = dir.path().join("p.toml");
    project.save(&path).unwrap();
    let run = sitelens(&["project".as_ref(), path.as_os_str()]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: stations layer 'nameless_stations': no station name field (looked for N02_005/駅名/名称/name)"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: enterprises layer 'firms': no industry field (looked for 業種コード/業種)"
        ),
        "{stderr}"
    );
    let run = sitelens(&["project".as_ref(), path.as_os_str(), "--strict".as_ref()]);
    assert!(!run.status.success());
    // export --metrics reads the same checks.
    let out = dir.path().join("o.geojson");
    let run = sitelens(&[
        "export".as_ref(),
        sites_path().as_os_str(),
        "--metrics".as_ref(),
        "--enterprises".as_ref(),
        enterprises.as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success() && stderr.contains("enterprises layer 'firms'"),
        "{stderr}"
    );
}

/// The viewer marks a zoning layer it cannot read on its row, and says why.
#[cfg(feature = "gui")]
#[test]
fn the_viewer_badges_a_zoning_layer_it_cannot_read() {
    use egui_kittest::kittest::Queryable;
    let dir = tempfile::tempdir().unwrap();
    let plain = over_hino(dir.path(), "plain", json!({"地区名": "日野"}));
    let mut project = Project::hino();
    for l in &mut project.layers {
        if l.role == Some(Role::Zoning) {
            *l = LayerSpec {
                role: Some(Role::Zoning),
                ..LayerSpec::new(plain.to_str().unwrap().into())
            };
        }
    }
    let loaded = project.load();
    let doc = sitelens::app::Document::of_project(project, loaded);
    let zoning = doc.with_role(Role::Zoning).unwrap();
    assert!(zoning.zoning.is_none());
    assert!(zoning.role_warnings[0].starts_with("zoning layer 'plain' not recognised"));
    assert!(
        doc.notices
            .iter()
            .any(|n| n.text.contains("'plain' not recognised"))
    );
    let h = crate::ui::harness(sitelens::app::Viewer::with_document(doc));
    h.get_by_label("要確認");
}
