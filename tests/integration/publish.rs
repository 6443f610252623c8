//! `sitelens publish` on the real Hino layers: the package as a catalogue editor and GDAL read
//! it (JSON-LD expanded by pyld, the CKAN document, checksums and sizes against the files,
//! ogrinfo's counts against the metadata's), terms refused with their source's name, sample data
//! refused unless asked for and then marked in every file, the same bytes from two runs, and
//! formula text inert in the CSV.

use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;

use super::shared;

fn hino(file: &str) -> PathBuf {
    shared().join("data/hino").join(file)
}

/// The four real layers the issue names: shelters (both lists), stations and the boundary.
fn hino_layers() -> Vec<PathBuf> {
    [
        "shelters_emergency_132128.geojson",
        "shelters_evacuation_132128.geojson",
        "stations_n02_2023.geojson",
        "hino_boundary_n03.geojson",
    ]
    .iter()
    .map(|f| hino(f))
    .collect()
}

/// Runs `sitelens publish` with `inputs`, `-o out` and the common settings plus `extra`.
fn publish(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args: Vec<&OsStr> = vec![OsStr::new("publish")];
    args.extend(inputs.iter().map(|p| p.as_os_str()));
    args.extend([
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--title"),
        OsStr::new("日野市 避難場所・駅・市域 Hino shelters, stations and boundary"),
        OsStr::new("--issued"),
        OsStr::new("2026-12-01"),
    ]);
    args.extend(extra.iter().map(OsStr::new));
    Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args(args)
        .output()
        .unwrap()
}

fn publish_ok(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> String {
    let o = publish(inputs, out, extra);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn read_json(path: &Path) -> Json {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn sha256_hex(bytes: &[u8]) -> String {
    // The package's own hashing is unit-tested against FIPS's vector; here sha256sum decides.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x");
    std::fs::write(&f, bytes).unwrap();
    let out = Command::new("sha256sum").arg(&f).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Features of a data file as `ogrinfo` counts them (a zipped Shapefile through /vsizip/).
fn ogr_count(path: &Path) -> usize {
    let name = path.to_string_lossy();
    let source = if name.ends_with(".zip") {
        format!("/vsizip/{name}")
    } else {
        name.into_owned()
    };
    let out = Command::new("ogrinfo")
        .args(["-ro", "-so", "-al", &source])
        .output()
        .expect("ogrinfo (gdal-bin, installed by .ci/setup)");
    let text = String::from_utf8_lossy(&out.stdout);
    let counts: Vec<usize> = text
        .lines()
        .filter_map(|l| l.strip_prefix("Feature Count: "))
        .map(|n| n.trim().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 1, "{source}: {text}");
    counts[0]
}

/// Every file of a package folder, by path inside it.
fn files_of(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let name = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((name, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// The members of a zip, decompressed, by name.
pub fn zip_members(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = Vec::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        out.push((f.name().unwrap().to_string(), data));
    }
    out
}

/// The first record of a CSV, as text.
fn first_record(reader: &mut csv::Reader<&[u8]>) -> Vec<String> {
    reader
        .records()
        .next()
        .unwrap()
        .unwrap()
        .iter()
        .map(String::from)
        .collect()
}

/// Everything a catalogue entry states, in every format.
const FULL: &[&str] = &[
    "--city-code",
    "132128",
    "--city-name",
    "東京都日野市",
    "--formats",
    "geojson,csv,shp,gpkg,fgb",
    "--keywords",
    "避難所,防災,鉄道",
    "--contact",
    "opendata@example.jp",
    "--as-of",
    "2026-04-01",
];

#[test]
fn the_real_hino_layers_make_a_package_catalogues_and_gdal_read() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("package");
    let summary = publish_ok(&hino_layers(), &out, FULL);
    assert!(
        summary.contains("published 145 features of 4 layer(s)"),
        "{summary}"
    );

    // DCAT: expanded by a JSON-LD processor (pyld, python3-pyld), every field the issue lists.
    let expanded = Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import json,sys; from pyld import jsonld; \
             print(json.dumps(jsonld.expand(json.load(open(sys.argv[1])))))",
        ])
        .arg(out.join("dcat.jsonld"))
        .output()
        .expect("python3 with pyld (.ci/setup installs python3-pyld)");
    assert!(
        expanded.status.success(),
        "{}",
        String::from_utf8_lossy(&expanded.stderr)
    );
    let expanded: Json = serde_json::from_slice(&expanded.stdout).unwrap();
    let dataset = &expanded[0];
    const DCAT: &str = "http://www.w3.org/ns/dcat#";
    const DCT: &str = "http://purl.org/dc/terms/";
    assert_eq!(dataset["@type"][0], format!("{DCAT}Dataset"));
    for property in [
        format!("{DCT}title"),
        format!("{DCT}description"),
        format!("{DCT}publisher"),
        format!("{DCAT}contactPoint"),
        format!("{DCAT}keyword"),
        format!("{DCT}issued"),
        format!("{DCT}modified"),
        format!("{DCT}spatial"),
        format!("{DCT}temporal"),
        format!("{DCT}license"),
        format!("{DCT}rights"),
        format!("{DCAT}distribution"),
    ] {
        assert!(
            dataset.get(&property).is_some(),
            "dcat:Dataset has no {property}"
        );
    }
    let spatial = dataset[format!("{DCT}spatial")].to_string();
    assert!(
        spatial.contains("http://data.e-stat.go.jp/lod/sac/C13212"),
        "{spatial}"
    );
    assert!(spatial.contains("POLYGON(("), "{spatial}");
    let distributions = dataset[format!("{DCAT}distribution")].as_array().unwrap();
    assert_eq!(distributions.len(), 4 * 5);
    for d in distributions {
        assert_eq!(d["@type"][0], format!("{DCAT}Distribution"));
        for property in [
            format!("{DCT}title"),
            format!("{DCT}format"),
            format!("{DCAT}byteSize"),
            format!("{DCT}license"),
            "http://spdx.org/rdf/terms#checksum".to_string(),
        ] {
            assert!(
                d.get(&property).is_some(),
                "distribution without {property}"
            );
        }
    }

    // Every distribution's size and checksum is its file's; GDAL counts what the metadata says.
    let dcat = read_json(&out.join("dcat.jsonld"));
    let ckan = read_json(&out.join("ckan_package.json"));
    let resources = ckan["resources"].as_array().unwrap();
    assert_eq!(resources.len(), 20);
    for (d, r) in dcat["dcat:distribution"]
        .as_array()
        .unwrap()
        .iter()
        .zip(resources)
    {
        let file = d["dcat:downloadURL"]["@id"].as_str().unwrap();
        assert_eq!(r["url"], file);
        let bytes = std::fs::read(out.join(file)).unwrap();
        assert_eq!(
            d["dcat:byteSize"]["@value"].as_str().unwrap(),
            bytes.len().to_string(),
            "{file}"
        );
        assert_eq!(r["size"], bytes.len());
        let hash = sha256_hex(&bytes);
        assert_eq!(
            d["spdx:checksum"]["spdx:checksumValue"]["@value"],
            hash.as_str()
        );
        assert_eq!(r["hash"], hash.as_str());
        let count = r["feature_count"].as_u64().unwrap() as usize;
        assert_eq!(ogr_count(&out.join(file)), count, "{file}");
        assert!(
            d["dct:description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{count} 件"))
        );
    }

    // CKAN package_create: name rules, title, notes, licence, tags, unique extras.
    let name = ckan["name"].as_str().unwrap();
    assert!((2..=100).contains(&name.len()), "{name}");
    assert!(
        name.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    );
    assert_eq!(ckan["license_id"], "cc-by");
    assert!(ckan["title"].as_str().unwrap().starts_with("日野市"));
    // No --description: the catalogue still gets one, the layers with their counts.
    let notes = ckan["notes"].as_str().unwrap();
    assert!(
        notes.starts_with("収録データ：")
            && notes.contains("（51件）")
            && notes.contains("(36 features)")
            && notes.ends_with("(1 feature)."),
        "{notes}"
    );
    assert_eq!(dcat["dct:description"]["@value"], notes);
    let tags: Vec<&str> = ckan["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(tags, ["避難所", "防災", "鉄道"]);
    let keys: Vec<&str> = ckan["extras"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["key"].as_str().unwrap())
        .collect();
    let mut unique = keys.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), keys.len(), "{keys:?}");
    for r in resources {
        for key in ["name", "url", "format", "size", "hash"] {
            assert!(r.get(key).is_some(), "resource without {key}");
        }
    }

    // Credit lines in the forms their terms ask for, everywhere they belong.
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    let licence = std::fs::read_to_string(out.join("LICENSE.txt")).unwrap();
    for credit in [
        "出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成",
        "出典：国土地理院（指定緊急避難場所データ）を加工して作成",
        "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成",
    ] {
        assert!(readme.contains(credit), "README lacks {credit}");
        assert!(licence.contains(credit), "LICENSE.txt lacks {credit}");
        assert!(
            dcat["dct:rights"]["rdfs:label"]
                .as_str()
                .unwrap()
                .contains(credit)
        );
    }
    assert!(readme.contains("## About (English)") && readme.contains("| N02_005 | text | 駅名 |"));
    // Each file carries its own source's credit line.
    let stations = dcat["dcat:distribution"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dcat:downloadURL"]["@id"] == "data/stations_n02_2023.csv")
        .unwrap();
    assert_eq!(
        stations["dct:rights"]["rdfs:label"],
        "出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成"
    );
    assert!(readme.contains("2026-04-01"));

    // The facility list's CSV: the 自治体標準 leading columns, then 緯度/経度 from the geometry.
    let csv = std::fs::read(out.join("data/shelters_emergency_132128.csv")).unwrap();
    assert!(csv.starts_with(b"\xEF\xBB\xBF"));
    let csv = String::from_utf8(csv[3..].to_vec()).unwrap();
    assert!(csv.contains("\r\n"));
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        [
            "全国地方公共団体コード",
            "ID",
            "地方公共団体名",
            "名称",
            "所在地_連結表記"
        ]
    );
    let (lat, lon) = (
        header.iter().position(|h| h == "緯度").unwrap(),
        header.iter().position(|h| h == "経度").unwrap(),
    );
    let geojson = read_json(&out.join("data/shelters_emergency_132128.geojson"));
    let first = first_record(&mut rows);
    assert_eq!(first[0], "132128");
    assert_eq!(first[2], "東京都日野市");
    let feature = &geojson["features"][0];
    assert_eq!(first[1], feature["properties"]["共通ID"]);
    assert_eq!(first[3], feature["properties"]["施設・場所名"]);
    let coords = &feature["geometry"]["coordinates"];
    assert!((first[lon].parse::<f64>().unwrap() - coords[0].as_f64().unwrap()).abs() < 1e-7);
    assert!((first[lat].parse::<f64>().unwrap() - coords[1].as_f64().unwrap()).abs() < 1e-7);

    // The オープンデータ一覧 row.
    let list = std::fs::read_to_string(out.join("opendata_list.csv")).unwrap();
    let mut list = csv::Reader::from_reader(list.trim_start_matches('\u{feff}').as_bytes());
    let row = first_record(&mut list);
    assert_eq!(row[0], "132128");
    assert_eq!(row[1], name);
    assert_eq!(row[2], "東京都日野市");
    assert!(
        row[5].starts_with("GeoJSON;CSV;SHP;GPKG;FlatGeobuf"),
        "{}",
        row[5]
    );

    // The same inputs and date: the same bytes, as a folder (replacing the earlier package)
    // and as a zip holding exactly the folder's files.
    let before = files_of(&out);
    publish_ok(&hino_layers(), &out, FULL);
    assert_eq!(files_of(&out), before, "a second run changed bytes");
    let zip = dir.path().join("package.zip");
    for _ in 0..2 {
        publish_ok(&hino_layers(), &zip, FULL);
    }
    let zipped = std::fs::read(&zip).unwrap();
    let mut members = zip_members(&zipped);
    members.sort();
    assert_eq!(members, before);
    std::fs::remove_file(&zip).unwrap();
    publish_ok(&hino_layers(), &zip, FULL);
    assert_eq!(std::fs::read(&zip).unwrap(), zipped, "two zips differ");
}

#[test]
fn a_share_alike_source_is_refused_by_name_and_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let inputs = vec![
        hino("stations_n02_2023.geojson"),
        hino("expressway_path.geojson"),
    ];
    let city = ["--city-code", "132128", "--city-name", "東京都日野市"];
    let o = publish(&inputs, &out, &city);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("expressway_path.geojson"), "{err}");
    assert!(
        err.contains("CC BY-SA 3.0") && err.contains("share-alike"),
        "{err}"
    );
    assert!(err.contains("--exclude"), "{err}");
    assert!(!out.exists(), "a refused package left files");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "a refused package left a temporary folder"
    );

    let mut args = city.to_vec();
    args.extend(["--exclude", "expressway_path"]);
    let summary = publish_ok(&inputs, &out, &args);
    assert!(summary.contains("of 1 layer(s)"), "{summary}");

    // PDL1.0: the same credit lines; CC0 is refused for a source that asks for a credit.
    let pdl = dir.path().join("pdl");
    publish_ok(
        &[hino("stations_n02_2023.geojson")],
        &pdl,
        &[&city[..], &["--licence", "pdl-1.0"]].concat(),
    );
    let readme = std::fs::read_to_string(pdl.join("README.md")).unwrap();
    assert!(readme.contains("出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成"));
    assert!(readme.contains("公共データ利用規約（第1.0版）"));
    assert_eq!(
        read_json(&pdl.join("ckan_package.json"))["license_id"],
        "other-at"
    );
    let o = publish(
        &[hino("stations_n02_2023.geojson")],
        &dir.path().join("cc0"),
        &[&city[..], &["--licence", "cc0-1.0"]].concat(),
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("CC0"));

    // A file of unknown terms needs them stated.
    let plain = dir.path().join("plain.geojson");
    std::fs::write(
        &plain,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"a":1},"geometry":{"type":"Point","coordinates":[139.4,35.66]}}]}"#,
    )
    .unwrap();
    let o = publish(&[plain], &dir.path().join("u"), &city);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("plain.geojson") && err.contains("terms are not known"),
        "{err}"
    );
}

#[test]
fn sample_data_needs_asking_for_and_then_every_file_says_so() {
    let sites = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample/sites_fictional.geojson");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p");
    let city = ["--city-code", "132128", "--city-name", "東京都日野市"];
    let o = publish(std::slice::from_ref(&sites), &out, &city);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("fictional") && err.contains("--allow-sample"),
        "{err}"
    );
    assert!(!out.exists());

    let zip = dir.path().join("p.zip");
    publish_ok(
        std::slice::from_ref(&sites),
        &zip,
        &[
            &city[..],
            &["--allow-sample", "--formats", "geojson,csv,shp,gpkg,fgb"],
        ]
        .concat(),
    );
    let mut checked = 0;
    let mut unchecked = Vec::new();
    for (name, bytes) in zip_members(&std::fs::read(&zip).unwrap()) {
        let says = |b: &[u8]| {
            let t = String::from_utf8_lossy(b).to_lowercase();
            t.contains("fictional") || t.contains("架空")
        };
        if name.ends_with(".zip") {
            // A zipped Shapefile: its README says so (the .shp itself has no place for text).
            let inner = zip_members(&bytes);
            assert!(
                inner.iter().any(|(n, b)| n.ends_with(".md") && says(b)),
                "{name}"
            );
            checked += 1;
        } else if says(&bytes) {
            checked += 1;
        } else {
            unchecked.push(name);
        }
    }
    assert!(
        unchecked.is_empty(),
        "files that do not say fictional: {unchecked:?}"
    );
    assert!(checked >= 10, "{checked}");
}

#[test]
fn formula_text_is_inert_in_every_csv_of_a_package() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("facilities.geojson");
    let risky = [
        "=HYPERLINK(\"http://x\")",
        "+1+1",
        "-A1",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ];
    let features: Vec<String> = risky
        .iter()
        .enumerate()
        .map(|(i, v)| {
            format!(
                r#"{{"type":"Feature","properties":{{"名称":{},"note":{},"n":-{i}}},"geometry":{{"type":"Point","coordinates":[139.4,35.66]}}}}"#,
                serde_json::to_string(v).unwrap(),
                serde_json::to_string(v).unwrap()
            )
        })
        .collect();
    crate::fixtures::write_collection(&input, &features);
    let out = dir.path().join("p");
    publish_ok(
        &[input],
        &out,
        &[
            "--city-code",
            "132128",
            "--city-name",
            "東京都日野市",
            "--credit",
            "テスト",
            "--source-licence",
            "CC BY 4.0",
            "--description",
            "=cmd|' /C calc'!A0",
        ],
    );
    for file in ["data/facilities.csv", "opendata_list.csv"] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
        let mut cells = 0;
        for record in reader.records() {
            for cell in record.unwrap().iter() {
                let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
                assert!(
                    !risky || cell.parse::<f64>().is_ok(),
                    "{file}: {cell:?} would run"
                );
                cells += 1;
            }
        }
        assert!(cells > 0);
    }
    let text = std::fs::read_to_string(out.join("data/facilities.csv")).unwrap();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    // Numbers stay numbers.
    assert!(text.contains(",-3,"), "{text}");
}
