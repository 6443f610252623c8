//! PostGIS layers against the same files: one real PostgreSQL 15 + PostGIS 3.3 server on
//! 127.0.0.1 (started once for every test here, stopped when the test process exits), loaded
//! with ogr2ogr from the Hino layers and the corpus, then read by sitelens from the database
//! and from the file with the same filters. Fails (does not skip) when the server's binaries
//! are missing: .ci/setup installs them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sitelens::filter::sql::{Sql, compile};
use sitelens::filter::{BboxFilter, Filter};
use sitelens::io::postgis::SortBy;
use sitelens::model::{Layer, Value};
use sitelens::{LoadOptions, load};

use super::{corpus, shared};

const BIN: &str = "/usr/lib/postgresql/15/bin";

/// The test server: its folder (data, socket, log) and port.
struct Server {
    dir: PathBuf,
    port: u16,
    /// Whether the server's programs run through `runuser -u postgres` (the tests run as root).
    as_postgres: bool,
    started: bool,
}

static SERVER: OnceLock<Server> = OnceLock::new();

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
    fn geteuid() -> u32;
}

/// Stops the shared server when the test process exits (libtest returns from main or calls
/// exit; both run atexit handlers).
extern "C" fn stop_at_exit() {
    if let Some(server) = SERVER.get() {
        server.stop();
    }
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let server = Server::start().unwrap_or_else(|e| panic!("PostGIS test server: {e}"));
        // SAFETY: registers a plain function; it only runs pg_ctl and removes a folder.
        unsafe {
            atexit(stop_at_exit);
        }
        server
    })
}

impl Server {
    fn start() -> Result<Server, String> {
        let initdb = Path::new(BIN).join("initdb");
        if !initdb.is_file() {
            return Err(format!(
                "{} is missing: install postgresql-15 and postgresql-15-postgis-3 (.ci/setup)",
                initdb.display()
            ));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        // SAFETY: reads the process's effective user id.
        let as_postgres = unsafe { geteuid() } == 0;
        // The server runs as postgres, which must reach the folder: /tmp rather than a TMPDIR
        // that may be root's own.
        let base = if as_postgres {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("sitelens-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        // From here on, dropping `server` (an error below) stops it and removes the folder.
        let mut server = Server {
            dir,
            port,
            as_postgres,
            started: false,
        };
        if as_postgres {
            run(Command::new("chown")
                .arg("-R")
                .arg("postgres")
                .arg(&server.dir))?;
        }
        let data = server.dir.join("data");
        server.run_pg(
            "initdb",
            &[
                "-D",
                path_str(&data)?,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            path_str(&server.dir)?
        );
        let log = server.dir.join("log");
        server.run_pg(
            "pg_ctl",
            &[
                "-D",
                path_str(&data)?,
                "-l",
                path_str(&log)?,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )?;
        server.started = true;
        server.psql("CREATE EXTENSION postgis")?;
        server.load_fixtures()?;
        Ok(server)
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when the tests run as root.
    fn run_pg(&self, program: &str, args: &[&str]) -> Result<String, String> {
        let path = Path::new(BIN).join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        };
        command.args(args).current_dir(&self.dir);
        run(&mut command)
    }

    fn stop(&self) {
        if self.started
            && let Ok(data) = path_str(&self.dir.join("data"))
        {
            let _ = self.run_pg("pg_ctl", &["-D", data, "-m", "immediate", "-w", "stop"]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }

    /// libpq's keyword/value connection string (for psql and ogr2ogr).
    fn conninfo(&self) -> String {
        format!(
            "host=127.0.0.1 port={} dbname=postgres user=postgres",
            self.port
        )
    }

    /// Runs SQL through psql; returns its unaligned output.
    fn psql(&self, sql: &str) -> Result<String, String> {
        run(Command::new("psql")
            .args(["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d"])
            .arg(self.conninfo())
            .arg("-c")
            .arg(sql))
    }

    /// Loads a layer file into table `name` as the issue says, field names kept.
    fn ogr2ogr(&self, file: &Path, name: &str, extra: &[&str]) -> Result<(), String> {
        run(Command::new("ogr2ogr")
            .args(["-f", "PostgreSQL"])
            .arg(format!("PG:{}", self.conninfo()))
            .arg(file)
            .args([
                "-nln",
                name,
                "-lco",
                "GEOMETRY_NAME=geom",
                "-lco",
                "LAUNDER=NO",
            ])
            .args(["-nlt", "PROMOTE_TO_MULTI"])
            .args(extra))
        .map(|_| ())
    }

    fn load_fixtures(&self) -> Result<(), String> {
        for (name, file) in layer_files() {
            self.ogr2ogr(&file, &name, &[])?;
        }
        // The stations again in 平面直角座標系 IX, for reprojection on the way out.
        self.ogr2ogr(
            &hino("stations_n02_2023.geojson"),
            "stations_6677",
            &["-t_srs", "EPSG:6677"],
        )?;
        self.psql(HOSTILE_SQL)?;
        self.psql(GRID_SQL)?;
        self.psql("ANALYZE")?;
        Ok(())
    }

    fn url(&self, table: &str) -> String {
        format!(
            "postgresql://postgres@127.0.0.1:{}/postgres?table={}",
            self.port,
            percent(table)
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("{}: not UTF-8", p.display()))
}

/// Runs a command; its stdout, or an error with its stderr.
fn run(command: &mut Command) -> Result<String, String> {
    let out = command.output().map_err(|e| format!("{command:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Percent-encoding of everything but unreserved ASCII.
fn percent(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn hino(file: &str) -> PathBuf {
    shared().join("data/hino").join(file)
}

/// The files loaded into the database, by table name: every Hino layer and corpus layers of
/// each geometry kind, with numbers, NULLs, dates, booleans and Japanese text.
fn layer_files() -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = [
        "hino_boundary_n03",
        "neighbours_n03_2021_simplified",
        "stations_n02_2023",
        "railway_lines",
        "expressway_path",
        "expressway_points",
        "shelters_emergency_132128",
        "shelters_evacuation_132128",
    ]
    .iter()
    .map(|n| (n.to_string(), hino(&format!("{n}.geojson"))))
    .collect();
    for (name, rel) in [
        ("c_points", "mbostock-shapefile/test/points.shp"),
        ("c_polygons", "mbostock-shapefile/test/polygons.shp"),
        ("c_polylines", "mbostock-shapefile/test/polylines.shp"),
        ("c_multipoints", "mbostock-shapefile/test/multipoints.shp"),
        (
            "c_numbers",
            "mbostock-shapefile/test/number-null-property.shp",
        ),
        ("c_dates", "mbostock-shapefile/test/date-property.shp"),
        ("c_strings", "mbostock-shapefile/test/utf8-property.shp"),
        ("c_holes", "shapefile-rs/tests/data/polygon_hole.shp"),
    ] {
        files.push((name.to_string(), corpus(rel)));
    }
    files
}

/// A table whose names and values carry quotes, semicolons, comments and DROP TABLE, with
/// NULLs and Japanese text; `keep` is the table they would drop. The same rows as
/// [`hostile_geojson`].
const HOSTILE_SQL: &str = r#"
CREATE TABLE keep (n int); INSERT INTO keep VALUES (1), (2);
CREATE TABLE "evil""; DROP TABLE keep; --" (
  fid serial PRIMARY KEY,
  "na""me; DROP TABLE keep; --" text,
  "面積" float8,
  "年" int4,
  ok boolean,
  geom geometry(Point, 4326));
INSERT INTO "evil""; DROP TABLE keep; --" ("na""me; DROP TABLE keep; --", "面積", "年", ok, geom) VALUES
  ('日野工場', 1.5, 1985, true, 'SRID=4326;POINT(139.39 35.67)'),
  ('x''; DROP TABLE keep; --', 2.5, NULL, false, 'SRID=4326;POINT(139.40 35.66)'),
  (NULL, NULL, 1990, NULL, 'SRID=4326;POINT(139.41 35.65)'),
  ('工業地域; DROP TABLE keep', 3, 2001, true, 'SRID=4326;POINT(139.42 35.64)'),
  ('ＡＢ工場 /* c */', 0.5, 1970, false, 'SRID=4326;POINT(139.43 35.68)'),
  ('ab工場 -- c', 10, 1960, true, 'SRID=4326;POINT(139.44 35.69)'),
  ('100%_純度\', -1, 2020, NULL, NULL);
CREATE TABLE plain (a int);
"#;

/// 20,000 circles of 20 m radius (33 points each) every 50 m, 200 × 100, in 平面直角座標系 IX
/// around Hino city hall: a table big enough for the viewer's cap, whose shapes show how much
/// the server simplified them. `n` = 100 × column + row.
const GRID_SQL: &str = r#"
CREATE TABLE grid_6677 (fid serial PRIMARY KEY, n int4, name text, geom geometry(Polygon, 6677));
INSERT INTO grid_6677 (n, name, geom)
SELECT i * 100 + j, 'cell ' || i || '-' || j,
       ST_Buffer(ST_MakePoint(-44000 + i * 50, -38500 + j * 50), 20, 8)
FROM generate_series(0, 199) i, generate_series(0, 99) j ORDER BY i, j;
CREATE INDEX grid_6677_geom ON grid_6677 USING gist (geom);
CREATE TABLE grid_nokey AS SELECT n, name, geom FROM grid_6677 ORDER BY n;
CREATE INDEX grid_nokey_geom ON grid_nokey USING gist (geom);
CREATE VIEW grid_view AS SELECT n, name, geom FROM grid_nokey;
"#;

/// The lon/lat of the centre of grid cell `n`, as the server computes it.
pub(crate) fn grid_centre(n: i32) -> (f64, f64) {
    let out = server()
        .psql(&format!(
            "SELECT ST_X(c) || ' ' || ST_Y(c) FROM (SELECT ST_Transform(ST_Centroid(geom), 4326) \
             AS c FROM grid_6677 WHERE n = {n}) s"
        ))
        .unwrap();
    let mut parts = out.split_whitespace().map(|p| p.parse::<f64>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

/// The URL of a table of the test server.
#[cfg(feature = "gui")]
pub(crate) fn url_of(table: &str) -> String {
    server().url(table)
}

/// The rows of [`HOSTILE_SQL`] as a GeoJSON file, for the same filters on a file.
fn hostile_geojson() -> String {
    let name = "na\\\"me; DROP TABLE keep; --";
    let rows = [
        ("\"日野工場\"", "1.5", "1985", "true", Some((139.39, 35.67))),
        (
            "\"x'; DROP TABLE keep; --\"",
            "2.5",
            "null",
            "false",
            Some((139.40, 35.66)),
        ),
        ("null", "null", "1990", "null", Some((139.41, 35.65))),
        (
            "\"工業地域; DROP TABLE keep\"",
            "3.0",
            "2001",
            "true",
            Some((139.42, 35.64)),
        ),
        (
            "\"ＡＢ工場 /* c */\"",
            "0.5",
            "1970",
            "false",
            Some((139.43, 35.68)),
        ),
        (
            "\"ab工場 -- c\"",
            "10.0",
            "1960",
            "true",
            Some((139.44, 35.69)),
        ),
        ("\"100%_純度\\\\\"", "-1.0", "2020", "null", None),
    ];
    let features: Vec<String> = rows
        .iter()
        .map(|(n, area, year, ok, point)| {
            let geometry = point.map_or("null".to_string(), |(x, y)| {
                format!("{{\"type\":\"Point\",\"coordinates\":[{x},{y}]}}")
            });
            format!(
                "{{\"type\":\"Feature\",\"geometry\":{geometry},\"properties\":\
                 {{\"{name}\":{n},\"面積\":{area},\"年\":{year},\"ok\":{ok}}}}}"
            )
        })
        .collect();
    format!(
        "{{\"type\":\"FeatureCollection\",\"features\":[{}]}}",
        features.join(",")
    )
}

fn load_pg(table: &str, options: &LoadOptions) -> Layer {
    let url = server().url(table);
    load(Path::new(&url), options).unwrap_or_else(|e| panic!("{e}"))
}

/// Every coordinate of a geometry, sorted (Multi… promotion and ring order do not matter).
fn coords(layer: &Layer, i: usize) -> Vec<(f64, f64)> {
    use geo::CoordsIter;
    let mut c: Vec<(f64, f64)> = layer.features[i]
        .geometry
        .iter()
        .flat_map(|g| g.coords_iter().map(|c| (c.x, c.y)).collect::<Vec<_>>())
        .collect();
    c.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    c
}

/// A value as text: a date ogr2ogr typed and a file's text date, or 1.0 and 1, read alike.
fn value_text(v: &Value) -> String {
    match v {
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        other => other.to_string(),
    }
}

/// The features `ids` of two layers are the same: values by field name, geometry within
/// 1e-7°.
fn assert_same(what: &str, file: &Layer, file_ids: &[usize], pg: &Layer, pg_ids: &[usize]) {
    assert_eq!(
        file_ids.len(),
        pg_ids.len(),
        "{what}: feature counts differ"
    );
    for (&a, &b) in file_ids.iter().zip(pg_ids) {
        for (i, f) in file.fields.iter().enumerate() {
            let Some(j) = pg.field_index(&f.name) else {
                panic!("{what}: field {} is not in the table", f.name)
            };
            assert_eq!(
                value_text(&file.features[a].values[i]),
                value_text(&pg.features[b].values[j]),
                "{what}: feature {a}, field {}",
                f.name
            );
        }
        let (ca, cb) = (coords(file, a), coords(pg, b));
        assert_eq!(ca.len(), cb.len(), "{what}: feature {a}: coordinate counts");
        for (p, q) in ca.iter().zip(&cb) {
            assert!(
                (p.0 - q.0).abs() <= 1e-7 && (p.1 - q.1).abs() <= 1e-7,
                "{what}: feature {a}: {p:?} vs {q:?}"
            );
        }
    }
}

#[test]
fn postgis_layers_read_as_their_files_do() {
    for (table, file) in layer_files() {
        let f = super::load_ok(&file);
        let p = load_pg(&table, &LoadOptions::default());
        assert_eq!(p.source.format.name(), "PostGIS");
        assert_eq!(p.name, table);
        assert_eq!(p.source.crs.known, f.source.crs.known, "{table}");
        let ids = |l: &Layer| (0..l.features.len()).collect::<Vec<_>>();
        assert_same(&table, &f, &ids(&f), &p, &ids(&p));
    }
}

#[test]
fn filters_give_the_same_features_from_postgis_and_from_files() {
    let cases = [
        (
            "stations_n02_2023",
            "\"N02_005\" LIKE '%日野%' OR \"N02_003\" = '京王線'",
        ),
        (
            "stations_n02_2023",
            "in_hino AND \"N02_004\" <> '東日本旅客鉄道'",
        ),
        (
            "shelters_evacuation_132128",
            "\"施設・場所名\" LIKE '%小学校' OR \"備考\" IS NULL",
        ),
        (
            "neighbours_n03_2021_simplified",
            "\"N03_004\" IN ('日野市', '八王子市')",
        ),
        ("c_numbers", "\"avg_temp\" IS NULL OR \"avg_temp\" > 1"),
        (
            "c_numbers",
            "NOT (\"avg_temp\" <= 1) AND \"name\" ILIKE '%E%'",
        ),
        ("c_strings", "\"☃\" LIKE '%☃%' OR \"☃\" IS NULL"),
    ];
    let boxes = [None, Some("139.37,35.64,139.42,35.68")];
    for (table, where_text) in cases {
        let file = layer_files()
            .into_iter()
            .find(|(n, _)| n == table)
            .map(|(_, f)| super::load_ok(&f))
            .unwrap();
        for bbox in boxes {
            let filter = Filter {
                where_text: Some(where_text.to_string()),
                bbox: bbox.map(|b| BboxFilter::parse(b, None).unwrap()),
                spatial: Vec::new(),
            };
            let options = LoadOptions {
                where_hint: filter.where_text.clone(),
                bbox_hint: filter.bbox.as_ref().map(|b| b.envelope),
                ..LoadOptions::default()
            };
            let pg = load_pg(table, &options);
            let what = format!("{table} where {where_text} bbox {bbox:?}");
            let file_ids = filter
                .apply(&file)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let pg_ids = filter.apply(&pg).unwrap();
            assert_same(&what, &file, &file_ids, &pg, &pg_ids);
        }
    }
}

#[test]
fn the_cli_exports_the_same_geojson_from_postgis_and_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = server().url("stations_n02_2023");
    let file = hino("stations_n02_2023.geojson");
    let export = |input: &std::ffi::OsStr, out: &Path| {
        super::run_ok(&[
            "export".as_ref(),
            input,
            "--where".as_ref(),
            "\"N02_003\" LIKE '%線' AND in_hino".as_ref(),
            "--bbox".as_ref(),
            "139.35,35.62,139.42,35.70".as_ref(),
            "--metadata".as_ref(),
            "none".as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ])
    };
    let (a, b) = (
        dir.path().join("file.geojson"),
        dir.path().join("pg.geojson"),
    );
    export(file.as_os_str(), &a);
    let said = export(url.as_ref(), &b);
    assert!(said.contains("features written"), "{said}");
    let read = |p: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (fa, fb) = (read(&a), read(&b));
    let (fa, fb) = (
        fa["features"].as_array().unwrap(),
        fb["features"].as_array().unwrap(),
    );
    assert!(!fa.is_empty());
    assert_eq!(fa.len(), fb.len());
    for (x, y) in fa.iter().zip(fb) {
        assert_eq!(x["properties"], y["properties"]);
        // LineString in the file, MultiLineString of one part in the table.
        assert_eq!(
            x["geometry"]["coordinates"], y["geometry"]["coordinates"][0],
            "{x}"
        );
    }
}

#[test]
fn a_table_in_a_projected_crs_comes_back_in_lon_lat() {
    let file = super::load_ok(&hino("stations_n02_2023.geojson"));
    let pg = load_pg("stations_6677", &LoadOptions::default());
    assert_eq!(pg.source.crs.epsg, Some(6677));
    let ids: Vec<usize> = (0..file.features.len()).collect();
    assert_same("stations in EPSG:6677", &file, &ids, &pg, &ids);
    // A box pushed down is turned into the table's CRS first.
    let bbox = BboxFilter::parse("139.37,35.64,139.42,35.68", None).unwrap();
    let options = LoadOptions {
        bbox_hint: Some(bbox.envelope),
        ..LoadOptions::default()
    };
    let boxed = load_pg("stations_6677", &options);
    assert!(boxed.features.len() < pg.features.len());
    let filter = Filter {
        bbox: Some(bbox),
        ..Filter::default()
    };
    let (a, b) = (filter.apply(&file).unwrap(), filter.apply(&boxed).unwrap());
    assert!(!a.is_empty());
    assert_same("boxed stations in EPSG:6677", &file, &a, &boxed, &b);
}

const EVIL_TABLE: &str = "evil\"; DROP TABLE keep; --";
const EVIL_FIELD: &str = "\"na\"\"me; DROP TABLE keep; --\"";

/// Hostile filters: each as the SQL path and the client path (the pushed-down rows alone, then
/// the whole filter), against the same filter on a file; no table changes.
#[test]
fn hostile_names_and_values_change_nothing_and_filter_as_on_a_file() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.geojson");
    std::fs::write(&path, hostile_geojson()).unwrap();
    let file = super::load_ok(&path);
    let wheres = [
        format!("{EVIL_FIELD} = 'x''; DROP TABLE keep; --'"),
        format!("{EVIL_FIELD} LIKE '%''; DROP%'"),
        format!("{EVIL_FIELD} LIKE '日_%'"),
        format!("{EVIL_FIELD} NOT LIKE '%; DROP TABLE keep'"),
        format!("{EVIL_FIELD} LIKE '100\\%\\_%' ESCAPE '\\'"),
        format!("{EVIL_FIELD} LIKE '%\\'"),
        format!("{EVIL_FIELD} IN ('日野工場', '工業地域; DROP TABLE keep')"),
        format!("{EVIL_FIELD} NOT IN ('日野工場')"),
        format!("{EVIL_FIELD} > 'x' OR {EVIL_FIELD} < 'ab'"),
        format!("{EVIL_FIELD} ILIKE '%ab%'"),
        format!("{EVIL_FIELD} ILIKE 'ａｂ%' OR \"年\" > 2000"),
        format!("\"面積\" >= 1 AND {EVIL_FIELD} ILIKE '%工場%'"),
        "\"面積\" > 1 OR \"年\" IS NULL".to_string(),
        "NOT (\"面積\" BETWEEN 1 AND 3)".to_string(),
        "\"年\" NOT BETWEEN 1970 AND 2000".to_string(),
        "ok".to_string(),
        "NOT ok OR \"面積\" < 0".to_string(),
        "\"面積\" = \"年\" OR \"面積\" < \"年\"".to_string(),
        "\"年\" IS NOT NULL AND NOT (\"面積\" <> 2.5)".to_string(),
    ];
    let mut compiled = 0;
    for w in &wheres {
        let filter = Filter {
            where_text: Some(w.clone()),
            ..Filter::default()
        };
        let options = LoadOptions {
            where_hint: Some(w.clone()),
            ..LoadOptions::default()
        };
        let pg = load_pg(EVIL_TABLE, &options);
        let expected = filter.apply(&file).unwrap_or_else(|e| panic!("{w}: {e}"));
        let expr = filter.check(&pg).unwrap().unwrap();
        if compile(&expr, &pg.fields, &mut Sql::default()).is_some() {
            // Exact SQL: the server alone sent exactly the rows the client keeps from the file.
            compiled += 1;
            let all: Vec<usize> = (0..pg.features.len()).collect();
            assert_same(&format!("SQL path: {w}"), &file, &expected, &pg, &all);
        }
        let kept = filter.apply(&pg).unwrap();
        assert_same(&format!("client path: {w}"), &file, &expected, &pg, &kept);
        // The same filter through the CLI, on the database.
        let out = dir.path().join("out.csv");
        super::run_ok(&[
            "export".as_ref(),
            server.url(EVIL_TABLE).as_ref(),
            "--where".as_ref(),
            w.as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
    }
    assert!(compiled >= 12, "only {compiled} filters compiled to SQL");
    let unchanged = server
        .psql(
            "SELECT (SELECT count(*) FROM keep) || ' ' || \
             (SELECT count(*) FROM \"evil\"\"; DROP TABLE keep; --\") || ' ' || \
             (SELECT count(*) FROM plain)",
        )
        .unwrap();
    assert_eq!(unchanged.trim(), "2 7 0");
}

#[test]
fn sql_injection_through_the_url_finds_no_table() {
    let e = sitelens::load(
        Path::new(&server().url("keep; DROP TABLE keep")),
        &LoadOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("no table 'keep; DROP TABLE keep'"), "{e}");
    assert_eq!(
        server().psql("SELECT count(*) FROM keep").unwrap().trim(),
        "2"
    );
}

/// Runs the binary expecting failure; returns stderr.
fn run_fails(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn what_cannot_be_read_is_one_clear_line_naming_the_url() {
    let server = server();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("postgresql://postgres@127.0.0.1:{closed}/postgres?table=x");
    let cases = [
        (unreachable.clone(), "cannot connect"),
        (server.url("nowhere"), "no table 'nowhere'"),
        (server.url("plain"), "has no geometry column"),
        (
            format!("{}&geometry=shape", server.url("railway_lines")),
            "no geometry column 'shape' (it has: geom)",
        ),
        (
            format!(
                "postgresql://postgres:s3cret@127.0.0.1:{}/postgres?table=keep",
                server.port
            ),
            "password in the URL is not accepted",
        ),
        (
            format!(
                "postgresql://postgres@127.0.0.1:{}/nodb?table=t",
                server.port
            ),
            "database \"nodb\" does not exist",
        ),
    ];
    for (url, says) in &cases {
        for command in ["info", "export"] {
            let mut args = vec![command, url.as_str()];
            if command == "export" {
                args.extend(["-o", "/dev/null/never.geojson"]);
            }
            let err = run_fails(&args);
            let first = err.lines().next().unwrap_or_default();
            assert!(first.contains(says), "{command} {url}: {err}");
            assert!(first.starts_with("error: postgresql://"), "{err}");
            assert!(!err.contains("s3cret"), "{err}");
            assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        }
    }
}

#[test]
fn info_says_estimates_unless_asked_to_count() {
    let url = server().url("shelters_evacuation_132128");
    let estimated = super::run_ok(&["info".as_ref(), url.as_ref()]);
    assert!(
        estimated.contains("about 57 (planner estimate"),
        "{estimated}"
    );
    assert!(estimated.contains("MultiPoint (declared)"), "{estimated}");
    assert!(estimated.contains("EPSG:4326"), "{estimated}");
    let exact = super::run_ok(&["info".as_ref(), "--exact".as_ref(), url.as_ref()]);
    assert!(exact.contains("features:   57\n"), "{exact}");
    assert!(exact.contains("MultiPoint: 57"), "{exact}");
    let file = super::load_ok(&hino("shelters_evacuation_132128.geojson"));
    let b = file.index.bbox().unwrap();
    assert!(
        exact.contains(&format!("{:.7}, {:.7}", b.min_x, b.min_y)),
        "{exact}"
    );
    let json = super::run_ok(&[
        "info".as_ref(),
        "--json".as_ref(),
        "--exact".as_ref(),
        url.as_ref(),
    ]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let layer = &doc["layers"][0];
    assert_eq!(layer["feature_count"], 57);
    assert_eq!(layer["fields"].as_array().unwrap().len(), file.fields.len());
}

#[test]
fn a_project_file_reads_a_postgis_layer_with_its_role() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p.toml");
    std::fs::write(
        &project,
        format!(
            "[[layer]]\npath = \"{}\"\nrole = \"boundary\"\n",
            server().url("hino_boundary_n03")
        ),
    )
    .unwrap();
    let p = sitelens::project::Project::read(&project).unwrap();
    let loaded = p.load();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.layers[0].1.features.len(), 1);
    let said = super::run_ok(&["project".as_ref(), project.as_os_str()]);
    assert!(said.contains("hino_boundary_n03"), "{said}");
}

/// A PostGIS table exported a batch at a time (the cursor's batches streamed to the file)
/// gives the bytes the whole read gives, for every table, whole, by box, by attribute and cut.
#[test]
fn streamed_postgis_exports_are_the_whole_read_exports() {
    use sitelens::export::stream::{Outcome, StreamJob, export_streamed};
    use sitelens::export::{Profile, Section, export};
    let (_dir, a, b, options) = super::stream::comparison();
    let filters: Vec<(Filter, Option<usize>)> = vec![
        (Filter::default(), None),
        (
            Filter {
                bbox: Some(BboxFilter::parse("139.36,35.62,139.42,35.68", None).unwrap()),
                ..Filter::default()
            },
            None,
        ),
        (Filter::default(), Some(2)),
    ];
    let mut compared = 0;
    for (table, _) in layer_files() {
        let url = PathBuf::from(server().url(&table));
        for (filter, top) in &filters {
            let load_options = LoadOptions {
                bbox_hint: filter.bbox.as_ref().map(|b| b.envelope),
                where_hint: filter.where_text.clone(),
                ..LoadOptions::default()
            };
            let layer = load(&url, &load_options).unwrap();
            let mut ids = filter.apply(&layer).unwrap();
            if let Some(n) = top {
                ids.truncate(*n);
            }
            let section = Section::new(&layer, ids, Profile::Public, Vec::new());
            export(&a, &[section], &options, &[]).unwrap();
            let inputs = vec![url.clone()];
            let job = StreamJob {
                target: &b,
                inputs: &inputs,
                filter,
                load: &LoadOptions::default(),
                internal: None,
                top: *top,
                options: &options,
                protected: &[],
                block_bytes: 1024,
            };
            match export_streamed(&job, &mut |_| {}).unwrap() {
                Outcome::Written(_) => {
                    assert_eq!(
                        std::fs::read_to_string(&a).unwrap(),
                        std::fs::read_to_string(&b).unwrap(),
                        "{table}: {filter:?} top {top:?}"
                    );
                    compared += 1;
                }
                Outcome::CannotStream(why) => panic!("{table}: {why}"),
            }
        }
    }
    assert_eq!(compared, layer_files().len() * filters.len());
}

/// Points of every geometry of a feature.
fn points_of(f: &sitelens::model::Feature) -> usize {
    use geo::CoordsIter;
    f.geometry.as_ref().map_or(0, |g| g.coords_count())
}

/// Mean points per feature of a layer.
pub(crate) fn mean_points(layer: &Layer) -> f64 {
    let total: usize = layer.features.iter().map(points_of).sum();
    total as f64 / layer.features.len().max(1) as f64
}

/// The whole grid (about 11 × 6 km) over 1,000 pixels (11 m a pixel), at most 5,000 rows.
fn whole_grid_view() -> sitelens::io::postgis::ViewRequest {
    let whole = sitelens::model::Envelope::new(139.33, 35.64, 139.46, 35.70);
    sitelens::io::postgis::ViewRequest {
        bbox: whole,
        pixel_deg: (whole.max_x - whole.min_x) / 1000.0,
        cap: 5_000,
        options: LoadOptions::default(),
    }
}

/// A table without an integer key is sampled by its rows' places: what is shown spreads over
/// the whole grid as with a key. A view (no `ctid`) shows its first rows, capped.
#[test]
fn a_table_without_a_key_is_sampled_over_the_whole_view() {
    use sitelens::io::postgis::fetch_view;
    let request = whole_grid_view();
    let grid = load_pg("grid_6677", &LoadOptions::default())
        .index
        .bbox()
        .unwrap();
    let sampled = fetch_view(&server().url("grid_nokey"), &request).unwrap();
    assert!(sampled.capped);
    let shown = sampled.layer.features.len();
    assert!((2_000..=5_000).contains(&shown), "{shown}");
    assert!(sampled.every.is_some_and(|k| k >= 3));
    let covered = sampled.layer.index.bbox().unwrap();
    assert!(covered.max_x - covered.min_x > 0.95 * (grid.max_x - grid.min_x));
    assert!(covered.max_y - covered.min_y > 0.9 * (grid.max_y - grid.min_y));
    // Spread evenly: each fifth of the grid's width holds a fair share of what is shown.
    let n = sampled.layer.field_index("n").unwrap();
    let columns: Vec<i64> = sampled
        .layer
        .features
        .iter()
        .map(|f| match f.values[n] {
            Value::Int(v) => v / 100,
            ref v => panic!("{v:?}"),
        })
        .collect();
    for fifth in 0..5 {
        let here = columns.iter().filter(|&&c| c / 40 == fifth).count();
        assert!(here > shown / 10, "fifth {fifth}: {here} of {shown}");
    }
    let first = fetch_view(&server().url("grid_view"), &request).unwrap();
    assert!(first.capped && first.every.is_none());
    assert_eq!(first.layer.features.len(), 5_000);
}

#[test]
fn a_view_is_fetched_by_box_simplified_to_its_pixel_and_capped() {
    use sitelens::io::postgis::{ViewRequest, fetch_view};
    use sitelens::model::Envelope;
    let url = server().url("grid_6677");
    let request = whole_grid_view();
    let far = fetch_view(&url, &request).unwrap();
    assert!(far.capped);
    let shown = far.layer.features.len();
    assert!((2_000..=5_000).contains(&shown), "{shown}");
    // Every k-th row, so the rows shown cover the whole grid, not the first part of the index.
    assert!(far.every.is_some_and(|k| k >= 3));
    let covered = far.layer.index.bbox().unwrap();
    let grid = load_pg("grid_6677", &LoadOptions::default())
        .index
        .bbox()
        .unwrap();
    assert!(covered.max_x - covered.min_x > 0.95 * (grid.max_x - grid.min_x));
    assert!(covered.max_y - covered.min_y > 0.9 * (grid.max_y - grid.min_y));
    let estimated = far.estimated.unwrap();
    assert!((10_000..=40_000).contains(&estimated), "{estimated}");
    assert!(
        far.tolerance > 5.0 && far.tolerance < 20.0,
        "{}",
        far.tolerance
    );
    assert!(far.layer.source.crs.known);
    // Simplified: a 33-point circle 40 m across is a few points at 11 m a pixel, and none is lost.
    assert!(
        mean_points(&far.layer) < 12.0,
        "{}",
        mean_points(&far.layer)
    );
    assert!(far.layer.features.iter().all(|f| points_of(f) >= 4));

    // Street level: 300 m around cell 1020 at 0.3 m a pixel.
    let (lon, lat) = grid_centre(1020);
    let near = Envelope::new(lon - 0.0017, lat - 0.0014, lon + 0.0017, lat + 0.0014);
    let close = fetch_view(
        &url,
        &ViewRequest {
            bbox: near,
            pixel_deg: (near.max_x - near.min_x) / 1000.0,
            ..request.clone()
        },
    )
    .unwrap();
    assert!(!close.capped);
    let n = close.layer.features.len();
    assert!((20..=120).contains(&n), "{n} cells near cell 1020");
    assert!(close.tolerance < 1.0);
    assert!(mean_points(&close.layer) > 20.0);
    let cell = close.layer.field_index("n").unwrap();
    assert!(
        close
            .layer
            .features
            .iter()
            .any(|f| f.values[cell] == Value::Int(1020))
    );

    // A filter is sent with the box: only the rows it passes come back.
    let filtered = fetch_view(
        &url,
        &ViewRequest {
            options: LoadOptions {
                where_hint: Some("n < 50".into()),
                ..Default::default()
            },
            ..request
        },
    )
    .unwrap();
    assert!(!filtered.capped);
    assert_eq!(filtered.layer.features.len(), 50);
}

#[test]
fn identify_asks_the_server_for_the_feature_under_the_click_whole() {
    use sitelens::io::postgis::identify;
    let url = server().url("grid_6677");
    let (lon, lat) = grid_centre(1020);
    let f = identify(&url, &LoadOptions::default(), lon, lat, 5.0)
        .unwrap()
        .expect("a cell under the click");
    assert_eq!(f.values[0], Value::Int(1020));
    assert_eq!(f.values[1], Value::Text("cell 10-20".into()));
    assert_eq!(points_of(&f), 33, "the whole circle, not simplified");
    // Between the circles (25 m from the centre, 5 m from the edge) with 2 m of tolerance: none.
    let gap = lon + 25.0 / 90_600.0;
    assert!(
        identify(&url, &LoadOptions::default(), gap, lat, 2.0)
            .unwrap()
            .is_none()
    );
    // With 6 m the edge is in reach.
    let near = identify(&url, &LoadOptions::default(), gap, lat, 8.0).unwrap();
    assert_eq!(near.map(|f| f.values[0].clone()), Some(Value::Int(1020)));
    // A filter that leaves the cell out: nothing there.
    let options = LoadOptions {
        where_hint: Some("n <> 1020".into()),
        ..Default::default()
    };
    assert!(identify(&url, &options, lon, lat, 5.0).unwrap().is_none());

    // A point table in lon/lat: the shelter clicked, with the file's attributes.
    let file = super::load_ok(&hino("shelters_evacuation_132128.geojson"));
    let url = server().url("shelters_evacuation_132128");
    for i in [0, 7, file.features.len() - 1] {
        let Some(geo_types::Geometry::Point(p)) = &file.features[i].geometry else {
            panic!("shelters are points")
        };
        let f = identify(&url, &LoadOptions::default(), p.x(), p.y(), 3.0)
            .unwrap()
            .expect("the shelter");
        let pg = load_pg("shelters_evacuation_132128", &LoadOptions::default());
        let k = pg
            .features
            .iter()
            .position(|g| g.record == f.record)
            .unwrap();
        assert_eq!(pg.features[k], f);
        assert_same("identify", &file, &[i], &pg, &[k]);
    }
}

#[test]
fn pages_come_in_the_attribute_tables_order() {
    use sitelens::io::postgis::{count_rows, page};
    let url = server().url("grid_6677");
    let options = LoadOptions::default();
    let names = |rows: &[sitelens::model::Feature]| -> Vec<String> {
        rows.iter().map(|f| f.values[1].to_string()).collect()
    };
    // Text by code point: "cell 99-99" sorts after "cell 199-99".
    let top = page(&url, &options, Some(("name", false)), 0, 3).unwrap();
    assert_eq!(names(&top), ["cell 99-99", "cell 99-98", "cell 99-97"]);
    let second = page(&url, &options, Some(("n", true)), 100, 2).unwrap();
    assert_eq!(second[0].values[0], Value::Int(100));
    assert_eq!(second[1].values[0], Value::Int(101));
    assert_eq!(count_rows(&url, &options).unwrap(), 20_000);
    let filtered = LoadOptions {
        where_hint: Some("n < 50".into()),
        ..Default::default()
    };
    assert_eq!(count_rows(&url, &filtered).unwrap(), 50);
    // NULLs last going up, first going down; the name of the sorted column is looked up in
    // the catalogue, quotes and all.
    let evil = server().url("evil\"; DROP TABLE keep; --");
    let year = "年";
    let up = page(&evil, &options, Some((year, true)), 0, 10).unwrap();
    let down = page(&evil, &options, Some((year, false)), 0, 10).unwrap();
    let col = 2;
    assert_eq!(up.len(), 7);
    assert_eq!(up[0].values[col], Value::Int(1960));
    assert_eq!(up[6].values[col], Value::Null);
    assert_eq!(down[0].values[col], Value::Null);
    assert_eq!(down[1].values[col], Value::Int(2020));
    let hostile = "na\"me; DROP TABLE keep; --";
    assert!(page(&evil, &options, Some((hostile, true)), 0, 10).is_ok());
    assert!(
        page(
            &evil,
            &options,
            Some(("no such; DROP TABLE keep", true)),
            0,
            1
        )
        .is_err()
    );
    assert_eq!(
        server().psql("SELECT count(*) FROM keep").unwrap().trim(),
        "2"
    );
}

/// Pages read each from the last row of the one before (keyset paging, as the attribute table
/// scrolls on) are the rows of the whole order, row for row: by the id, by text and numbers both
/// ways, through runs of equal values and of NULLs, with a filter pushed down, on a table whose
/// names are hostile.
#[test]
fn pages_after_a_row_follow_the_order_as_offsets_do() {
    use sitelens::io::postgis::{Start, page, page_from};
    let walk = |url: &str, options: &LoadOptions, sort, limit: usize| -> Vec<u64> {
        let mut records = Vec::new();
        let mut start = Start::Offset(0);
        loop {
            let rows = page_from(url, options, sort, start, limit).unwrap();
            records.extend(rows.iter().map(|f| f.record));
            let Some(last) = rows.last().filter(|_| rows.len() == limit) else {
                return records;
            };
            start = Start::After {
                record: last.record,
                offset: records.len() as u64,
            };
        }
    };
    let whole = |url: &str, options: &LoadOptions, sort| -> Vec<u64> {
        let rows = page(url, options, sort, 0, 1_000_000).unwrap();
        rows.iter().map(|f| f.record).collect()
    };
    let grid = server().url("grid_6677");
    let evil = server().url("evil\"; DROP TABLE keep; --");
    let plain = LoadOptions::default();
    let some = LoadOptions {
        where_hint: Some("n < 40 OR name LIKE '%7%'".into()),
        ..Default::default()
    };
    let cases: Vec<(&str, &LoadOptions, SortBy<'_>, usize)> = vec![
        (&grid, &plain, None, 997),
        (&grid, &plain, Some(("name", true)), 997),
        (&grid, &plain, Some(("name", false)), 1_500),
        (&grid, &plain, Some(("n", false)), 2_000),
        (&grid, &some, Some(("name", false)), 97),
        (&evil, &plain, Some(("年", true)), 2),
        (&evil, &plain, Some(("年", false)), 2),
        (&evil, &plain, Some(("ok", true)), 2),
        (&evil, &plain, Some(("ok", false)), 1),
        (&evil, &plain, Some(("面積", false)), 3),
        (
            &evil,
            &plain,
            Some(("na\"me; DROP TABLE keep; --", true)),
            2,
        ),
    ];
    for (url, options, sort, limit) in cases {
        let expected = whole(url, options, sort);
        assert!(expected.len() > limit, "{sort:?}");
        assert_eq!(
            walk(url, options, sort, limit),
            expected,
            "{sort:?} by {limit}"
        );
    }
    assert_eq!(
        server().psql("SELECT count(*) FROM keep").unwrap().trim(),
        "2"
    );
}

/// The viewer on a PostGIS table (egui_kittest, against the test server).
#[cfg(feature = "gui")]
mod viewer {
    use std::path::PathBuf;
    use std::sync::Arc;
    use std::time::Duration;

    use egui_kittest::kittest::Queryable;
    use geo_types::Coord;
    use sitelens::app::{Command, Edit, Lang, LayerId, Partial, Viewer};
    use sitelens::filter::Filter;
    use sitelens::model::{Envelope, Layer, Value};

    use super::{grid_centre, mean_points, points_of, url_of};
    use crate::ui::{click_at, harness, run_until, screen};

    /// The rows layer `id` holds and what it says about them.
    fn rows(v: &Viewer, id: LayerId) -> Option<(Arc<Layer>, Partial)> {
        let l = v.doc.layer(id)?;
        Some((l.layer.clone(), l.partial.clone()?))
    }

    /// The viewer (in English) with the grid table opened, `cap` rows a fetch, fetching as soon
    /// as the view changes; the grid layer's id.
    fn viewer_on_grid(cap: usize) -> (Viewer, LayerId) {
        let mut viewer = Viewer::new();
        viewer.doc.lang = Lang::En;
        viewer.pg.cap = cap;
        viewer.pg.settle = Duration::ZERO;
        viewer.open(
            vec![PathBuf::from(url_of("grid_6677"))],
            Default::default(),
            None,
        );
        viewer.wait_for_loads();
        let id = viewer.doc.layer_named("grid_6677").expect("opened").id();
        (viewer, id)
    }

    #[test]
    fn the_viewer_fetches_what_is_in_view_and_identifies_on_the_server() {
        let (viewer, id) = viewer_on_grid(5_000);
        // Opened from the catalogue and estimates: no rows yet.
        let (opened, partial) = rows(&viewer, id).unwrap();
        assert!(opened.features.is_empty());
        assert!(partial.in_table.is_some_and(|n| n > 10_000));
        assert!(opened.fields.iter().any(|f| f.name == "name"));

        // The first view is the table's extent; its rows arrive, capped, with the note.
        let mut h = harness(viewer);
        run_until(&mut h, |v| {
            rows(v, id).is_some_and(|(l, p)| p.fetched && !l.features.is_empty())
        });
        let (far, far_partial) = rows(h.state(), id).unwrap();
        assert!(far_partial.capped);
        assert!(far.features.len() <= 5_000);
        h.get_by_label_contains(&format!(
            "zoom in: {} of ~",
            sitelens::app::identify::group(far.features.len() as f64, 0)
        ));
        let far_points = mean_points(&far);
        assert!(far_points < 20.0, "{far_points}");

        // A click asks the server: the cell under it, whole, with its attributes.
        let (lon, lat) = grid_centre(1020);
        let pos = screen(&h, Coord { x: lon, y: lat });
        click_at(&mut h, pos);
        run_until(&mut h, |v| {
            v.doc
                .selection
                .as_ref()
                .is_some_and(|s| s.fetched.is_some())
        });
        let selection = h.state().doc.selection.clone().unwrap();
        assert_eq!(selection.layer, id);
        let fetched = selection.fetched.unwrap();
        assert_eq!(fetched.values[0], Value::Int(1020));
        assert_eq!(points_of(&fetched), 33, "not simplified");
        h.get_by_label("cell 10-20");

        // Street level: a smaller box, fewer rows, less simplified, no note.
        let near = Envelope::new(lon - 0.0017, lat - 0.0014, lon + 0.0017, lat + 0.0014);
        h.state_mut().doc.zoom_request = Some(near);
        run_until(&mut h, |v| {
            rows(v, id).is_some_and(|(_, p)| p.tolerance < far_partial.tolerance / 4.0)
        });
        let (close, close_partial) = rows(h.state(), id).unwrap();
        assert!(!close_partial.capped);
        assert!(close.features.len() < 1_000, "{}", close.features.len());
        assert!(mean_points(&close) > far_points + 5.0);
        assert!(h.query_by_label_contains("zoom in").is_none());
        // The selection follows its feature into the new rows.
        let k = close
            .features
            .iter()
            .position(|f| f.values[0] == Value::Int(1020))
            .unwrap();
        let s = h.state().doc.selection.clone().unwrap();
        assert_eq!(s.features.into_iter().collect::<Vec<_>>(), [k]);

        // The filter goes to the server with the view.
        let before = close.features.len();
        let filter = Filter {
            where_text: Some("n <> 1020".into()),
            ..Default::default()
        };
        h.state_mut()
            .command(Command::Edit(Edit::Filter(id, Some(Arc::new(filter)))));
        run_until(&mut h, |v| {
            rows(v, id).is_some_and(|(l, _)| l.features.len() == before - 1)
        });
        let (filtered, _) = rows(h.state(), id).unwrap();
        assert!(
            filtered
                .features
                .iter()
                .all(|f| f.values[0] != Value::Int(1020))
        );
        let passing = h.state().doc.layer(id).unwrap().filter.clone().unwrap();
        assert_eq!(passing.ids.len(), before - 1);
    }

    #[test]
    fn export_from_the_viewer_reads_the_table_whole_with_its_filter() {
        let (mut viewer, id) = viewer_on_grid(100);
        // The button, not the window's title of the same name in English.
        viewer.doc.lang = Lang::Ja;
        let filter = Filter {
            where_text: Some("n < 250 AND name LIKE 'cell 1-%'".into()),
            ..Default::default()
        };
        viewer.command(Command::Edit(Edit::Filter(id, Some(Arc::new(filter)))));
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("cells.geojson");
        viewer.command(Command::OpenExport(Some(id)));
        viewer.export_dialog.path = target.display().to_string();
        let mut h = harness(viewer);
        run_until(&mut h, |v| rows(v, id).is_some_and(|(_, p)| p.fetched));
        h.get_by_label("書き出す").click();
        h.step();
        run_until(&mut h, |v| v.export_dialog.result.is_some());
        let result = h.state().export_dialog.result.clone().unwrap();
        assert!(result.is_ok(), "{result:?}");
        // Every row the filter passes (column 1: n = 100..199), whole, not the 100 in view.
        let written = crate::load_ok(&target);
        assert_eq!(written.features.len(), 100);
        assert!(written.features.iter().all(|f| points_of(f) == 33));
    }

    #[test]
    fn the_attribute_table_pages_through_the_table_in_its_sort() {
        let (mut viewer, id) = viewer_on_grid(100);
        viewer.command(Command::ShowTable(Some(id)));
        let mut h = harness(viewer);
        run_until(&mut h, |v| rows(v, id).is_some_and(|(_, p)| p.fetched));
        // Every row of the table is counted, not the 100 in view; the first page comes.
        h.step();
        run_until(&mut h, |v| !v.is_fetching());
        h.get_by_label_contains("20,000 rows");
        h.get_by_label("cell 0-0");
        // Sorted by name, descending, by code point as a file's table sorts: "cell 99-99"
        // comes before "cell 199-99".
        for _ in 0..2 {
            h.get_by_label_contains("name").click();
            h.step();
            h.step();
            run_until(&mut h, |v| !v.is_fetching());
        }
        h.get_by_label("name ▼");
        h.get_by_label("cell 99-99");
        assert!(h.query_by_label("cell 0-0").is_none());
        // A row clicked selects the feature, whole.
        h.get_by_label("cell 99-99").click();
        h.step();
        run_until(&mut h, |v| v.doc.selection.is_some());
        let s = h.state().doc.selection.clone().unwrap();
        let f = s.fetched.expect("the row's feature");
        assert_eq!(f.values[0], Value::Int(9999));
        assert_eq!(points_of(&f), 33);
    }
}

/// `--within`, `--intersects` and `--near` reach the server: the rows sent are those near the
/// reference (its box with `&&`, and for within/intersects its geometry with ST_DWithin), and
/// what passes the filter is what passes it on the file.
#[test]
fn spatial_filters_are_pushed_down_and_agree_with_the_file() {
    use sitelens::filter::{Relation, SpatialFilter};
    use sitelens::io::SpatialHint;
    use std::sync::Arc;
    let boundary = Arc::new(super::load_ok(&hino("hino_boundary_n03.geojson")));
    let stations = Arc::new(super::load_ok(&hino("stations_n02_2023.geojson")));
    for (table, relation, reference) in [
        ("shelters_evacuation_132128", Relation::Within, &boundary),
        ("stations_n02_2023", Relation::Intersects, &boundary),
        (
            "neighbours_n03_2021_simplified",
            Relation::Intersects,
            &stations,
        ),
        (
            "shelters_emergency_132128",
            Relation::Near { distance_m: 800.0 },
            &stations,
        ),
    ] {
        let filter = Filter {
            spatial: vec![SpatialFilter {
                relation,
                reference: reference.clone(),
            }],
            ..Filter::default()
        };
        let options = LoadOptions {
            spatial_hint: SpatialHint::of(&filter),
            ..LoadOptions::default()
        };
        let url = server().url(table);
        let sql = sitelens::io::postgis::pushed_sql(&url, &options).unwrap();
        assert!(sql.contains("&& ST_MakeEnvelope"), "{table}: {sql}");
        assert_eq!(
            sql.contains("ST_DWithin"),
            !matches!(relation, Relation::Near { .. }),
            "{table}: {sql}"
        );
        let pg = load_pg(table, &options);
        let file = super::load_ok(
            &layer_files()
                .into_iter()
                .find(|(t, _)| t == table)
                .unwrap()
                .1,
        );
        let (a, b) = (filter.apply(&file).unwrap(), filter.apply(&pg).unwrap());
        assert!(!a.is_empty(), "{table}: nothing passes on the file");
        assert_same(table, &file, &a, &pg, &b);
        // The server sent fewer rows than the table holds, and every one that passes.
        assert!(pg.features.len() <= file.features.len());
    }
}
