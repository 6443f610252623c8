//! GeoPackage output (OGC 12-128r18, written as version 1.2 for the widest readership): one
//! feature table per input layer in one file, each with its R-tree spatial index
//! (`rtree_<table>_geom` and the standard's triggers, so later edits in QGIS or GDAL keep it
//! true), its extent in `gpkg_contents` and its spatial reference row; the provenance as JSON in
//! `gpkg_metadata`, referenced for the whole file and for each table (the metadata extension),
//! instead of a foreign member. Built by SQLite in a temporary file beside the target, renamed
//! into place when complete.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use geo::BoundingRect;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, params};

use super::{ExportError, Job, OutputCrs, Section, Written};
use crate::io::geopackage::{encode, quote};
use crate::model::{Envelope, FieldType, Value};
use crate::write::{WriteError, atomic_create};

/// `PRAGMA application_id`: "GPKG".
const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.2.0.
const USER_VERSION: i32 = 10200;
/// Where the standard's extensions are defined, for `gpkg_extensions`.
const SPEC: &str = "http://www.geopackage.org/spec120/";
/// What sitelens's provenance rows are, for `gpkg_metadata.md_standard_uri`.
const PROVENANCE_URI: &str = "urn:sitelens:provenance:1";
/// The spatial reference id used when the output CRS has no EPSG code.
const CUSTOM_SRS_ID: i32 = 100_000;

/// Writes the job's GeoPackage.
pub fn write(job: &Job<'_>) -> Result<Written, ExportError> {
    write_with(job, None)
}

/// Writes the job's GeoPackage, the rows of its sections from `staged` when given (a streamed
/// export's, whose sections then hold no features).
fn write_with(job: &Job<'_>, staged: Option<&Staging>) -> Result<Written, ExportError> {
    // A geometry that does not reproject is the data's problem, not the disk's.
    let mut refused: Option<String> = None;
    let result = atomic_create(job.target, job.protected, |path| {
        let conn = Connection::open(path).map_err(|e| format!("SQLite: {e}"))?;
        let written = fill(&conn, job, staged).map_err(|e| match e {
            Failure::Refused(m) => {
                refused = Some(m);
                "a geometry did not reproject".to_string()
            }
            Failure::Sql(e) => format!("SQLite: {e}"),
        })?;
        conn.close().map_err(|(_, e)| format!("SQLite: {e}"))?;
        Ok(written)
    });
    if let Some(message) = refused {
        return Err(ExportError::Refused {
            path: job.target.to_path_buf(),
            message,
        });
    }
    Ok(result?)
}

enum Failure {
    Refused(String),
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for Failure {
    fn from(e: rusqlite::Error) -> Self {
        Failure::Sql(e)
    }
}

/// The standard's core tables, and the metadata extension's two.
const SCHEMA: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (
  table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE gpkg_metadata (
  id INTEGER CONSTRAINT m_pk PRIMARY KEY ASC NOT NULL,
  md_scope TEXT NOT NULL DEFAULT 'dataset', md_standard_uri TEXT NOT NULL,
  mime_type TEXT NOT NULL DEFAULT 'text/xml', metadata TEXT NOT NULL DEFAULT '');
CREATE TABLE gpkg_metadata_reference (
  reference_scope TEXT NOT NULL, table_name TEXT, column_name TEXT, row_id_value INTEGER,
  timestamp DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  md_file_id INTEGER NOT NULL, md_parent_id INTEGER,
  CONSTRAINT crmr_mfi_fk FOREIGN KEY (md_file_id) REFERENCES gpkg_metadata(id),
  CONSTRAINT crmr_mpi_fk FOREIGN KEY (md_parent_id) REFERENCES gpkg_metadata(id));
";

fn fill(conn: &Connection, job: &Job<'_>, staged: Option<&Staging>) -> Result<Written, Failure> {
    // The file is a temporary one, renamed into place only when whole: no journal needed.
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; \
         PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION};"
    ))?;
    conn.execute_batch("BEGIN")?;
    conn.execute_batch(SCHEMA)?;
    let srs_id = spatial_reference_rows(conn, job)?;
    let mut written = Written {
        features: 0,
        files: vec![job.target.to_path_buf()],
        renamed: Vec::new(),
        notes: Vec::new(),
    };
    let stamp = gpkg_time(&job.options.stamp());
    let mut used_tables: HashSet<String> = HashSet::new();
    let mut tables = Vec::new();
    for (i, section) in job.sections.iter().enumerate() {
        let table = table_name(&section.layer.name, &mut used_tables);
        let rows = match staged {
            Some(staging) => Rows::Staged(staging, i),
            None => Rows::Section,
        };
        written.features += write_table(
            conn,
            job,
            (section, rows),
            &table,
            srs_id,
            &stamp,
            &mut written,
        )?;
        tables.push(table);
    }
    if let Some(provenance) = job.provenance {
        conn.execute(
            "INSERT INTO gpkg_metadata (id, md_scope, md_standard_uri, mime_type, metadata) \
             VALUES (1, 'dataset', ?1, 'application/json', ?2)",
            params![
                PROVENANCE_URI,
                serde_json::to_string_pretty(provenance).unwrap_or_default()
            ],
        )?;
        conn.execute(
            "INSERT INTO gpkg_metadata_reference (reference_scope, timestamp, md_file_id) \
             VALUES ('geopackage', ?1, 1)",
            [&stamp],
        )?;
        for table in &tables {
            conn.execute(
                "INSERT INTO gpkg_metadata_reference \
                 (reference_scope, table_name, timestamp, md_file_id) VALUES ('table', ?1, ?2, 1)",
                [table, &stamp],
            )?;
        }
        for table in ["gpkg_metadata", "gpkg_metadata_reference"] {
            conn.execute(
                "INSERT INTO gpkg_extensions VALUES (?1, NULL, 'gpkg_metadata', ?2, 'read-write')",
                params![table, format!("{SPEC}#extension_metadata")],
            )?;
        }
    }
    conn.execute_batch("COMMIT")?;
    Ok(written)
}

/// An RFC 3339 time as the standard writes its DATETIME values ("2026-12-01T00:00:00.000Z").
fn gpkg_time(stamp: &str) -> String {
    match stamp.strip_suffix('Z') {
        Some(t) if !t.contains('.') => format!("{t}.000Z"),
        _ => stamp.to_string(),
    }
}

/// The standard's three rows, and the output CRS's; returns its `srs_id`.
fn spatial_reference_rows(conn: &Connection, job: &Job<'_>) -> Result<i32, Failure> {
    let insert = |name: &str, id: i32, org: &str, code: i32, definition: &str| {
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, NULL)",
            params![name, id, org, code, definition],
        )
    };
    insert("Undefined Cartesian SRS", -1, "NONE", -1, "undefined")?;
    insert("Undefined geographic SRS", 0, "NONE", 0, "undefined")?;
    let wgs84 = super::OutputCrs::wgs84();
    insert("WGS 84 geodetic", 4326, "EPSG", 4326, &wgs84.wkt_ogc)?;
    let crs = job.crs;
    let id = srs_id_of(crs);
    match crs.epsg {
        Some(4326) => {}
        Some(_) => {
            insert(&crs.name, id, "EPSG", id, &crs.wkt_ogc)?;
        }
        None => {
            insert(&crs.name, id, "NONE", id, &crs.wkt_ogc)?;
        }
    }
    Ok(id)
}

/// The `srs_id` the output CRS gets: its EPSG code, or [`CUSTOM_SRS_ID`].
fn srs_id_of(crs: &OutputCrs) -> i32 {
    crs.epsg.map_or(CUSTOM_SRS_ID, |code| code as i32)
}

/// A table name for a layer: its name, unique in the file (SQLite names ignore case) and clear
/// of the prefixes the standard and SQLite reserve.
fn table_name(layer: &str, used: &mut HashSet<String>) -> String {
    let mut base: String = layer.trim().to_string();
    if base.is_empty() {
        base = "layer".into();
    }
    let lower = base.to_lowercase();
    if ["gpkg_", "rtree_", "sqlite_"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        base = format!("layer_{base}");
    }
    unique(base, used)
}

/// `name`, or `name_2`, `name_3`, … the first not in `used` (ignoring case); recorded as used.
fn unique(name: String, used: &mut HashSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while used.contains(&candidate.to_lowercase()) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    used.insert(candidate.to_lowercase());
    candidate
}

/// The column type a field is declared with.
fn declared(t: FieldType) -> &'static str {
    match t {
        FieldType::Bool => "BOOLEAN",
        FieldType::Int => "INTEGER",
        FieldType::Float => "REAL",
        FieldType::Date => "DATE",
        FieldType::Text | FieldType::Json => "TEXT",
    }
}

/// The geometry types of a table's rows, as they come.
#[derive(Debug, Clone, Copy, Default)]
struct Kinds {
    /// The first row's type (`model::geometry_type_name`), and whether another came after.
    first: Option<&'static str>,
    mixed: bool,
    /// Whether any row has z values.
    z: bool,
}

impl Kinds {
    fn add(&mut self, f: &crate::model::Feature) {
        self.z |= f.z.is_some();
        if let Some(g) = &f.geometry {
            let name = crate::model::geometry_type_name(g);
            match self.first {
                None => self.first = Some(name),
                Some(first) => self.mixed |= first != name,
            }
        }
    }

    /// The `geometry_type_name` of the table: its one type, or GEOMETRY when it mixes types.
    fn type_name(self) -> &'static str {
        match self.first {
            Some(first) if !self.mixed => type_name(first),
            _ => "GEOMETRY",
        }
    }
}

/// The standard's name of one geometry type.
fn type_name(first: &str) -> &'static str {
    match first {
        "Point" => "POINT",
        "LineString" | "Line" => "LINESTRING",
        "Polygon" | "Rect" | "Triangle" => "POLYGON",
        "MultiPoint" => "MULTIPOINT",
        "MultiLineString" => "MULTILINESTRING",
        "MultiPolygon" => "MULTIPOLYGON",
        "GeometryCollection" => "GEOMETRYCOLLECTION",
        _ => "GEOMETRY",
    }
}

/// What takes a table's rows one at a time: a geometry (encoded, with its box) and the values,
/// in the columns' order.
type RowSink<'a> = dyn FnMut(Option<(&[u8], Envelope)>, &mut dyn Iterator<Item = ValueRef<'_>>) -> Result<(), Failure>
    + 'a;

/// Where a table's rows come from: its section's features, or the rows staged for input
/// number `i` of a streamed export.
#[derive(Clone, Copy)]
enum Rows<'a> {
    Section,
    Staged(&'a Staging, usize),
}

fn write_table(
    conn: &Connection,
    job: &Job<'_>,
    (section, rows): (&Section<'_>, Rows<'_>),
    table: &str,
    srs_id: i32,
    stamp: &str,
    written: &mut Written,
) -> Result<usize, Failure> {
    let layer = section.layer;
    let geometry_column = "geom";
    // Column names: the fields', unique ignoring case and clear of the id and geometry columns.
    let mut used: HashSet<String> = ["fid".to_string(), geometry_column.to_string()].into();
    let mut columns = Vec::with_capacity(section.columns.len());
    for &c in &section.columns {
        let name = &layer.fields[c].name;
        let chosen = unique(name.clone(), &mut used);
        if &chosen != name {
            written
                .renamed
                .push((name.clone(), format!("{table}.{chosen}")));
        }
        columns.push((c, chosen));
    }
    let kinds = match rows {
        Rows::Section => {
            let mut kinds = Kinds::default();
            for &id in &section.ids {
                kinds.add(&layer.features[id]);
            }
            kinds
        }
        Rows::Staged(staging, i) => staging.inputs.get(i).map(|t| t.kinds).unwrap_or_default(),
    };
    let has_z = kinds.z;
    let geometry_type = kinds.type_name();
    let mut ddl = format!(
        "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, {} {geometry_type}",
        quote(table),
        quote(geometry_column),
    );
    for (c, name) in &columns {
        ddl.push_str(&format!(
            ", {} {}",
            quote(name),
            declared(layer.fields[*c].field_type)
        ));
    }
    ddl.push(')');
    conn.execute_batch(&ddl)?;
    let rtree = format!("rtree_{table}_{geometry_column}");
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE {} USING rtree(id, minx, maxx, miny, maxy)",
        quote(&rtree)
    ))?;

    let mut insert_sql = format!("INSERT INTO {} ({}", quote(table), quote(geometry_column));
    for (_, name) in &columns {
        insert_sql.push_str(", ");
        insert_sql.push_str(&quote(name));
    }
    insert_sql.push_str(") VALUES (?1");
    for i in 0..columns.len() {
        insert_sql.push_str(&format!(", ?{}", i + 2));
    }
    insert_sql.push(')');
    let mut insert = conn.prepare(&insert_sql)?;
    let mut index = conn.prepare(&format!(
        "INSERT INTO {} VALUES (?1, ?2, ?3, ?4, ?5)",
        quote(&rtree)
    ))?;

    let mut extent: Option<Envelope> = None;
    // One row: its geometry (encoded, with its box) and its values, in the columns' order.
    let mut row = |geometry: Option<(&[u8], Envelope)>,
                   values: &mut dyn Iterator<Item = ValueRef<'_>>|
     -> Result<(), Failure> {
        match geometry {
            Some((blob, env)) => {
                insert.raw_bind_parameter(1, blob)?;
                extent = Some(extent.map_or(env, |e| e.union(env)));
            }
            None => insert.raw_bind_parameter(1, rusqlite::types::Null)?,
        }
        for (i, v) in values.enumerate() {
            insert.raw_bind_parameter(i + 2, ToSqlOutput::Borrowed(v))?;
        }
        insert.raw_execute()?;
        if let Some((_, env)) = geometry {
            index.execute(params![
                conn.last_insert_rowid(),
                env.min_x,
                env.max_x,
                env.min_y,
                env.max_y
            ])?;
        }
        Ok(())
    };
    let count = match rows {
        Rows::Section => {
            let mut blob = Vec::new();
            for &id in &section.ids {
                let f = &layer.features[id];
                let geometry = encoded(job.crs, srs_id, section, id, &mut blob)?;
                let mut values = columns
                    .iter()
                    .map(|(c, _)| value_ref(f.values.get(*c).unwrap_or(&Value::Null)));
                row(geometry.map(|env| (&blob[..], env)), &mut values)?;
            }
            section.ids.len()
        }
        Rows::Staged(staging, i) => staging.replay(i, columns.len(), &mut row)?,
    };
    drop((insert, index));
    conn.execute_batch(&rtree_triggers(table, geometry_column))?;

    let mut description = [layer.meta.credit.as_deref(), layer.meta.licence.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" / ");
    if layer.meta.sample {
        description.insert_str(
            0,
            "FICTIONAL SAMPLE DATA (架空のサンプルデータ): not real sites or enterprises. ",
        );
    }
    let identifier = if layer.meta.sample {
        format!("{table} (fictional sample)")
    } else {
        table.to_string()
    };
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, \
         last_change, min_x, min_y, max_x, max_y, srs_id) \
         VALUES (?1, 'features', ?2, ?3, ?9, ?4, ?5, ?6, ?7, ?8)",
        params![
            table,
            identifier,
            description,
            extent.map(|e| e.min_x),
            extent.map(|e| e.min_y),
            extent.map(|e| e.max_x),
            extent.map(|e| e.max_y),
            srs_id,
            stamp
        ],
    )?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, ?5, 0)",
        params![
            table,
            geometry_column,
            geometry_type,
            srs_id,
            if has_z { 2 } else { 0 }
        ],
    )?;
    conn.execute(
        "INSERT INTO gpkg_extensions VALUES (?1, ?2, 'gpkg_rtree_index', ?3, 'write-only')",
        params![table, geometry_column, format!("{SPEC}#extension_rtree")],
    )?;
    Ok(count)
}

/// Feature `id` of `section` in `crs`, encoded as a GeoPackage geometry into `blob`; its box,
/// or `None` (and `blob` untouched) when it has no geometry or an empty one.
fn encoded(
    crs: &OutputCrs,
    srs_id: i32,
    section: &Section<'_>,
    id: usize,
    blob: &mut Vec<u8>,
) -> Result<Option<Envelope>, Failure> {
    let f = &section.layer.features[id];
    let Some(geometry) = crs
        .feature(&section.layer.name, f)
        .map_err(Failure::Refused)?
    else {
        return Ok(None);
    };
    let Some(r) = geometry.bounding_rect() else {
        return Ok(None);
    };
    let env = Envelope::new(r.min().x, r.min().y, r.max().x, r.max().y);
    blob.clear();
    encode(&geometry, f.z.as_deref(), srs_id, env, blob);
    Ok(Some(env))
}

/// A value as SQLite stores it in the column (a boolean as 0 or 1).
fn value_ref(v: &Value) -> ValueRef<'_> {
    match v {
        Value::Null => ValueRef::Null,
        Value::Bool(b) => ValueRef::Integer(i64::from(*b)),
        Value::Int(v) => ValueRef::Integer(*v),
        Value::Float(v) => ValueRef::Real(*v),
        Value::Text(s) | Value::Date(s) | Value::Json(s) => ValueRef::Text(s.as_bytes()),
    }
}

/// A GeoPackage written as the pieces of a streamed export pass. A table's declared geometry
/// type is known only when its last row has passed, so each input's rows wait, encoded as they
/// will be written, in a temporary SQLite database beside the target; [`Staging::finish`]
/// then writes the file [`write`] writes from the same features (the same statements in the
/// same order, so the same bytes), reading the rows back one at a time. Memory holds SQLite's
/// page cache, whatever the output's size.
pub(crate) struct Staging {
    target: PathBuf,
    db: Connection,
    /// The database's file, removed when the staging is dropped.
    _file: tempfile::NamedTempFile,
    crs: OutputCrs,
    srs_id: i32,
    inputs: Vec<StagedTable>,
    blob: Vec<u8>,
}

/// One input's staged rows: `s<i>` (fid, geometry, its box, then the values of its columns).
struct StagedTable {
    width: usize,
    kinds: Kinds,
    rows: usize,
}

impl Staging {
    /// Staging for an export to `target` in `crs`, in a temporary file in `folder`.
    pub fn new(target: &Path, folder: &Path, crs: OutputCrs) -> Result<Self, ExportError> {
        let failed = |message: String| {
            ExportError::Write(WriteError {
                path: target.to_path_buf(),
                message,
            })
        };
        let file = tempfile::Builder::new()
            .prefix(".sitelens-staging-")
            .tempfile_in(folder)
            .map_err(|e| failed(format!("cannot create a file in {}: {e}", folder.display())))?;
        let db = Connection::open(file.path()).map_err(|e| failed(format!("SQLite: {e}")))?;
        db.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")
            .map_err(|e| failed(format!("SQLite: {e}")))?;
        Ok(Staging {
            target: target.to_path_buf(),
            db,
            _file: file,
            srs_id: srs_id_of(&crs),
            crs,
            inputs: Vec::new(),
            blob: Vec::new(),
        })
    }

    /// The CRS the rows are in.
    pub fn crs(&self) -> &OutputCrs {
        &self.crs
    }

    /// Stages a section of input number `input` (inputs counted from 0, in order); its columns
    /// are the input's from now on. Returns the rows staged.
    pub fn section(&mut self, input: usize, s: &Section<'_>) -> Result<usize, ExportError> {
        self.stage(input, s).map_err(|e| match e {
            Failure::Refused(message) => ExportError::Refused {
                path: self.target.clone(),
                message,
            },
            Failure::Sql(e) => ExportError::Write(WriteError {
                path: self.target.clone(),
                message: format!("SQLite: {e}"),
            }),
        })
    }

    fn stage(&mut self, input: usize, s: &Section<'_>) -> Result<usize, Failure> {
        let width = s.columns.len();
        while self.inputs.len() <= input {
            self.inputs.push(StagedTable {
                width: usize::MAX,
                kinds: Kinds::default(),
                rows: 0,
            });
        }
        let table = &mut self.inputs[input];
        if table.width != width && table.rows > 0 {
            // The stream stops before this (a table's columns are fixed once it has rows).
            return Err(Failure::Refused(format!(
                "input {}: its columns changed after rows were written",
                input + 1
            )));
        }
        if table.width != width {
            // Made anew while it has no rows.
            let mut ddl = format!(
                "DROP TABLE IF EXISTS s{input}; \
                 CREATE TABLE s{input} (fid INTEGER PRIMARY KEY, geom, minx, maxx, miny, maxy"
            );
            for c in 0..width {
                ddl.push_str(&format!(", v{c}"));
            }
            ddl.push_str(");");
            self.db.execute_batch(&ddl)?;
            table.width = width;
        }
        let placeholders = (0..width + 5).map(|_| "?").collect::<Vec<_>>().join(", ");
        let mut insert = self.db.prepare(&format!(
            "INSERT INTO s{input} (geom, minx, maxx, miny, maxy{}) VALUES ({placeholders})",
            (0..width).map(|c| format!(", v{c}")).collect::<String>()
        ))?;
        for &id in &s.ids {
            let f = &s.layer.features[id];
            match encoded(&self.crs, self.srs_id, s, id, &mut self.blob)? {
                Some(env) => {
                    insert.raw_bind_parameter(1, &self.blob[..])?;
                    for (at, v) in [env.min_x, env.max_x, env.min_y, env.max_y]
                        .into_iter()
                        .enumerate()
                    {
                        insert.raw_bind_parameter(at + 2, v)?;
                    }
                }
                None => {
                    for at in 1..=5 {
                        insert.raw_bind_parameter(at, rusqlite::types::Null)?;
                    }
                }
            }
            for (i, &c) in s.columns.iter().enumerate() {
                insert.raw_bind_parameter(
                    i + 6,
                    ToSqlOutput::Borrowed(value_ref(f.values.get(c).unwrap_or(&Value::Null))),
                )?;
            }
            insert.raw_execute()?;
            table.kinds.add(f);
        }
        table.rows += s.ids.len();
        Ok(s.ids.len())
    }

    /// Writes the GeoPackage of `job`, whose sections (one per input, in order) hold the
    /// inputs' final fields and no features: the rows are the staged ones.
    pub fn finish(&self, job: &Job<'_>) -> Result<Written, ExportError> {
        write_with(job, Some(self))
    }

    /// Hands input `i`'s rows to `row` in the order they came; returns how many.
    fn replay(&self, i: usize, width: usize, row: &mut RowSink<'_>) -> Result<usize, Failure> {
        let Some(table) = self.inputs.get(i).filter(|t| t.rows > 0) else {
            return Ok(0);
        };
        if table.width != width {
            return Err(Failure::Refused(format!(
                "input {}: its columns changed as it streamed",
                i + 1
            )));
        }
        let mut select = self.db.prepare(&format!(
            "SELECT geom, minx, maxx, miny, maxy{} FROM s{i} ORDER BY fid",
            (0..width).map(|c| format!(", v{c}")).collect::<String>()
        ))?;
        let mut rows = select.raw_query();
        let mut count = 0;
        while let Some(r) = rows.next()? {
            let geometry = match r.get_ref(0)? {
                ValueRef::Blob(blob) => Some((
                    blob,
                    Envelope::new(r.get(1)?, r.get(3)?, r.get(2)?, r.get(4)?),
                )),
                _ => None,
            };
            let mut values = (0..width).map(|c| r.get_ref(c + 5).unwrap_or(ValueRef::Null));
            row(geometry, &mut values)?;
            count += 1;
        }
        Ok(count)
    }
}

/// The standard's triggers that keep `rtree_<t>_<c>` in step with later edits (GeoPackage 1.2,
/// extension F.3). They call the ST_ functions the editing application provides.
fn rtree_triggers(table: &str, column: &str) -> String {
    let t = quote(table);
    let c = quote(column);
    let rtree = format!("rtree_{table}_{column}");
    let r = quote(&rtree);
    let name = |suffix: &str| quote(&format!("{rtree}_{suffix}"));
    let values = format!(
        "(NEW.fid, ST_MinX(NEW.{c}), ST_MaxX(NEW.{c}), ST_MinY(NEW.{c}), ST_MaxY(NEW.{c}))"
    );
    let present = format!("(NEW.{c} NOT NULL AND NOT ST_IsEmpty(NEW.{c}))");
    let absent = format!("(NEW.{c} ISNULL OR ST_IsEmpty(NEW.{c}))");
    [
        format!(
            "CREATE TRIGGER {} AFTER INSERT ON {t} WHEN {present} \
             BEGIN INSERT OR REPLACE INTO {r} VALUES {values}; END;",
            name("insert")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} \
             WHEN OLD.fid = NEW.fid AND {present} \
             BEGIN INSERT OR REPLACE INTO {r} VALUES {values}; END;",
            name("update1")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE OF {c} ON {t} \
             WHEN OLD.fid = NEW.fid AND {absent} \
             BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;",
            name("update2")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND {present} \
             BEGIN DELETE FROM {r} WHERE id = OLD.fid; \
             INSERT OR REPLACE INTO {r} VALUES {values}; END;",
            name("update3")
        ),
        format!(
            "CREATE TRIGGER {} AFTER UPDATE ON {t} WHEN OLD.fid != NEW.fid AND {absent} \
             BEGIN DELETE FROM {r} WHERE id IN (OLD.fid, NEW.fid); END;",
            name("update4")
        ),
        format!(
            "CREATE TRIGGER {} AFTER DELETE ON {t} WHEN OLD.{c} NOT NULL \
             BEGIN DELETE FROM {r} WHERE id = OLD.fid; END;",
            name("delete")
        ),
    ]
    .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_unique_and_clear_of_reserved_prefixes() {
        let mut used = HashSet::new();
        assert_eq!(table_name("sites", &mut used), "sites");
        assert_eq!(table_name("Sites", &mut used), "Sites_2");
        assert_eq!(
            table_name("gpkg_contents", &mut used),
            "layer_gpkg_contents"
        );
        assert_eq!(table_name("  ", &mut used), "layer");
        assert_eq!(table_name("用途地域", &mut used), "用途地域");
    }
}
