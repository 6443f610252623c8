//! GeoPackage output (OGC 12-128r18, written as version 1.2 for the widest readership): one
//! feature table per input layer in one file, each with its R-tree spatial index
//! (`rtree_<table>_geom` and the standard's triggers, so later edits in QGIS or GDAL keep it
//! true), its extent in `gpkg_contents` and its spatial reference row; the provenance as JSON in
//! `gpkg_metadata`, referenced for the whole file and for each table (the metadata extension),
//! instead of a foreign member. Built by SQLite in a temporary file beside the target, renamed
//! into place when complete.

use std::collections::HashSet;
use std::path::PathBuf;

use geo::BoundingRect;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, params};

use super::{Chunks, ExportError, Job, OutputCrs, Section, Shared, Written};
use crate::io::geopackage::{encode, quote};
use crate::model::{Envelope, FieldType, Value};
use crate::write::atomic_create;

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

/// Writes the job's GeoPackage from `chunks`, which hands over the features of each of
/// `job.sections` twice: a table's declared geometry type and Z are known only when its last
/// feature has passed, then its rows.
pub(super) fn write_chunks(job: &Job<'_>, chunks: &Chunks<'_>) -> Result<Written, ExportError> {
    // A geometry that does not reproject is the data's problem, not the disk's.
    let mut failed: Option<ExportError> = None;
    let result = atomic_create(job.target, job.protected, |path| {
        let conn = Connection::open(path).map_err(|e| format!("SQLite: {e}"))?;
        let written = fill(&conn, job, chunks).map_err(|e| match e {
            Failure::Refused(message) => {
                failed = Some(ExportError::Refused {
                    path: job.target.to_path_buf(),
                    message,
                });
                "a geometry did not reproject".to_string()
            }
            Failure::Chunks(e) => {
                let message = e.to_string();
                failed = Some(e);
                message
            }
            Failure::Sql(e) => format!("SQLite: {e}"),
        })?;
        conn.close().map_err(|(_, e)| format!("SQLite: {e}"))?;
        Ok(written)
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(result?)
}

enum Failure {
    Refused(String),
    Sql(rusqlite::Error),
    /// The features could not be handed over (a streamed export's spill).
    Chunks(ExportError),
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

fn fill(conn: &Connection, job: &Job<'_>, chunks: &Chunks<'_>) -> Result<Written, Failure> {
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
        written.features += write_table(
            conn,
            job,
            (i, section, chunks),
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

/// Runs `each` over input `i`'s chunks; a failure of `each` comes back as itself.
fn over_chunks(
    chunks: &Chunks<'_>,
    i: usize,
    mut each: impl FnMut(&Section<'_>) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let mut failed = None;
    let result = chunks(Some(i), &mut |_, s| {
        each(s).map_err(|e| {
            failed = Some(e);
            // Stands in for the failure, which is handed back below.
            ExportError::Refused {
                path: PathBuf::new(),
                message: String::new(),
            }
        })
    });
    match (result, failed) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(Failure::Chunks(e)),
        (Ok(()), None) => Ok(()),
    }
}

fn write_table(
    conn: &Connection,
    job: &Job<'_>,
    (i, section, chunks): (usize, &Section<'_>, &Chunks<'_>),
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
    // The table's one geometry type (GEOMETRY when its rows mix types), and whether any row
    // has Z.
    let mut kinds = Shared::default();
    let mut has_z = false;
    over_chunks(chunks, i, |s| {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            has_z |= f.z.is_some();
            if let Some(g) = &f.geometry {
                kinds.add(crate::model::geometry_type_name(g));
            }
        }
        Ok(())
    })?;
    let geometry_type = kinds.one().map_or("GEOMETRY", type_name);
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
    let mut count = 0;
    let mut blob = Vec::new();
    over_chunks(chunks, i, |s| {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            let envelope = encoded(job.crs, srs_id, s, id, &mut blob)?;
            match envelope {
                Some(env) => {
                    insert.raw_bind_parameter(1, &blob[..])?;
                    extent = Some(extent.map_or(env, |e| e.union(env)));
                }
                None => insert.raw_bind_parameter(1, rusqlite::types::Null)?,
            }
            for (at, (c, _)) in columns.iter().enumerate() {
                let v = value_ref(f.values.get(*c).unwrap_or(&Value::Null));
                insert.raw_bind_parameter(at + 2, ToSqlOutput::Borrowed(v))?;
            }
            insert.raw_execute()?;
            if let Some(env) = envelope {
                index.execute(params![
                    conn.last_insert_rowid(),
                    env.min_x,
                    env.max_x,
                    env.min_y,
                    env.max_y
                ])?;
            }
        }
        count += s.ids.len();
        Ok(())
    })?;
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
