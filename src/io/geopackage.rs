//! GeoPackage (OGC 12-128r18, versions 1.0–1.4) feature tables, read through SQLite.
//!
//! `FILE.gpkg` names every feature table of `gpkg_contents` ([`layer_names`]); `FILE.gpkg/TABLE`
//! names one. A table's CRS comes from `gpkg_spatial_ref_sys` (an EPSG code, else its WKT; the
//! undefined systems 0 and −1 are an unknown CRS), its fields from the table definition, its
//! geometries from GeoPackage binary blobs (header, any envelope, the empty flag, then WKB:
//! [`super::wkb`]). A box asked for by the caller is read through the table's R-tree index
//! (`rtree_<table>_<column>`) when it has one, so only the rows it names are read.
//!
//! Table and column names come from the file's own catalogue and are always quoted; a table the
//! user names is looked up in that catalogue, never pasted into SQL.

use std::path::{Path, PathBuf};

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use super::{Input, LoadOptions, Loader, Parsed, box_in_source_crs, wkb};
use crate::crs::{CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Field, FieldType, Format, Value, Warning};

pub struct GeoPackageLoader;

/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

impl Loader for GeoPackageLoader {
    fn format(&self) -> Format {
        Format::GeoPackage
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["gpkg"]
    }

    fn check_head(&self, _ext: &str, head: &[u8]) -> Result<(), String> {
        if head.starts_with(SQLITE_MAGIC) {
            Ok(())
        } else {
            Err("not a GeoPackage: the file is not an SQLite database".into())
        }
    }

    fn reads_by_path(&self) -> bool {
        true
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let err = |m: String| LoadError::new(&path, LoadErrorKind::Invalid(m));
        let conn = open(input).map_err(err)?;
        let tables = feature_tables(&conn).map_err(err)?;
        let table = choose(&tables, input.layer.as_deref()).map_err(err)?;
        read_table(&conn, table, options).map_err(err)
    }
}

/// A connection whose statements stop (SQLITE_INTERRUPT) once they have run more virtual-machine
/// steps than the file's size allows. rusqlite's progress handler needs SQLite 3.44 (Debian 12
/// has 3.40), so the handler is registered through the C API here.
pub(crate) struct Db {
    // Dropped before the budget it points to (fields drop in order).
    conn: Connection,
    _budget: Box<Budget>,
}

struct Budget {
    calls: u64,
    limit: u64,
}

/// SQLite's progress callback: non-zero interrupts the running statement.
extern "C" fn over_budget(budget: *mut std::ffi::c_void) -> std::ffi::c_int {
    // SAFETY: `budget` is the `Budget` boxed in the `Db` that owns the connection, alive for as
    // long as the connection is; SQLite calls this on the thread running a statement, and nothing
    // else touches the budget.
    let budget = unsafe { &mut *budget.cast::<Budget>() };
    budget.calls += 1;
    std::ffi::c_int::from(budget.calls > budget.limit)
}

impl Db {
    fn with_budget(conn: Connection, file_size: u64) -> Db {
        let limit = (file_size.saturating_mul(STEPS_PER_BYTE) + MIN_STEPS) / PROGRESS_EVERY as u64;
        let mut budget = Box::new(Budget { calls: 0, limit });
        let arg: *mut Budget = &mut *budget;
        // SAFETY: a live connection handle; the callback and its argument outlive the connection
        // (see `Db`'s field order).
        unsafe {
            rusqlite::ffi::sqlite3_progress_handler(
                conn.handle(),
                PROGRESS_EVERY,
                Some(over_budget),
                arg.cast(),
            );
        }
        Db {
            conn,
            _budget: budget,
        }
    }
}

impl std::ops::Deref for Db {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

/// Opens the GeoPackage: read-only from its path, or from the bytes already read (a member of a
/// .zip, fuzzing); refused unless it is an SQLite database with a `gpkg_contents` table.
fn open(input: &Input) -> Result<Db, String> {
    let sql = |e: rusqlite::Error| describe(&e);
    let conn = if input.on_disk() {
        let mut head = [0u8; 16];
        let read = std::fs::File::open(&input.path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .map_err(|e| e.to_string())?;
        if read < 16 || head != SQLITE_MAGIC {
            return Err("not a GeoPackage: the file is not an SQLite database".into());
        }
        Connection::open_with_flags(
            &input.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql)?
    } else {
        if !input.bytes.starts_with(SQLITE_MAGIC) {
            return Err("not a GeoPackage: the file is not an SQLite database".into());
        }
        let mut conn = Connection::open_in_memory().map_err(sql)?;
        conn.deserialize_read_exact("main", &input.bytes[..], input.bytes.len(), true)
            .map_err(sql)?;
        conn
    };
    // A hostile file can make a query that never ends (a view with a recursive query in place of
    // a table): reading stops after a budget of SQLite steps that grows with the file, far
    // beyond what reading any real table takes.
    let size = if input.on_disk() {
        std::fs::metadata(&input.path).map_or(0, |m| m.len())
    } else {
        input.bytes.len() as u64
    };
    let conn = Db::with_budget(conn, size);
    let has_contents: bool = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') \
             AND name = 'gpkg_contents'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(sql)?
        > 0;
    if !has_contents {
        return Err(
            "an SQLite database but not a GeoPackage: it has no gpkg_contents table".into(),
        );
    }
    Ok(conn)
}

/// SQLite virtual-machine steps between two checks of the step budget.
const PROGRESS_EVERY: i32 = 10_000;
/// Step budget: this many per byte of file, plus a floor.
const STEPS_PER_BYTE: u64 = 200;
const MIN_STEPS: u64 = 20_000_000;

/// SQLite's message, with the cases users meet named plainly.
fn describe(e: &rusqlite::Error) -> String {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::OperationInterrupted) => {
            "reading takes far longer than the file's size allows (a view or query that does not \
             end?); stopped"
                .into()
        }
        Some(rusqlite::ErrorCode::NotADatabase) => {
            "not a GeoPackage: the file is not an SQLite database".into()
        }
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => format!("the GeoPackage is damaged ({e})"),
        _ => format!("SQLite: {e}"),
    }
}

/// A feature table as `gpkg_contents` and `gpkg_geometry_columns` describe it.
#[derive(Debug, Clone)]
struct Table {
    name: String,
    geometry_column: String,
    srs_id: i64,
}

fn feature_tables(conn: &Connection) -> Result<Vec<Table>, String> {
    let mut stmt = conn
        .prepare(
            "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c \
             JOIN gpkg_geometry_columns g ON g.table_name = c.table_name \
             WHERE lower(c.data_type) = 'features' ORDER BY c.rowid",
        )
        .map_err(|e| {
            format!(
                "the GeoPackage's catalogue is unreadable ({})",
                describe(&e)
            )
        })?;
    let rows = stmt
        .query_map([], |row| {
            Ok(Table {
                name: row.get(0)?,
                geometry_column: row.get(1)?,
                srs_id: row.get(2)?,
            })
        })
        .map_err(|e| describe(&e))?;
    rows.collect::<Result<Vec<_>, _>>().map_err(|e| {
        format!(
            "the GeoPackage's catalogue is unreadable ({})",
            describe(&e)
        )
    })
}

/// The table `wanted` names (exactly, else ignoring case), or the only one.
fn choose<'t>(tables: &'t [Table], wanted: Option<&str>) -> Result<&'t Table, String> {
    let names = || {
        tables
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match wanted {
        Some(w) => tables
            .iter()
            .find(|t| t.name == w)
            .or_else(|| tables.iter().find(|t| t.name.eq_ignore_ascii_case(w)))
            .ok_or_else(|| match tables.len() {
                0 => format!("no layer '{w}': the GeoPackage has no feature tables"),
                _ => format!("no layer '{w}' in the GeoPackage (its layers: {})", names()),
            }),
        None => match tables {
            [only] => Ok(only),
            [] => Err("the GeoPackage has no feature tables".into()),
            _ => Err(format!(
                "the GeoPackage holds {} layers ({}): name one as FILE.gpkg/LAYER",
                tables.len(),
                names()
            )),
        },
    }
}

/// An identifier quoted for SQL.
pub(crate) fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The CRS a table's `srs_id` stands for.
fn crs_hint(conn: &Connection, srs_id: i64) -> Result<CrsHint, String> {
    let row: Option<(String, i64, String)> = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, definition \
             FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()
        .map_err(|e| format!("gpkg_spatial_ref_sys is unreadable ({})", describe(&e)))?;
    let Some((organization, code, definition)) = row else {
        return Ok(CrsHint::Unstated);
    };
    let stated = |definition: String| CrsHint::Stated {
        definition,
        decided_by: DecidedBy::GeoPackageSrs,
    };
    Ok(
        if organization.eq_ignore_ascii_case("EPSG") && code > 0 && srs_id > 0 {
            stated(format!("EPSG:{code}"))
        } else if srs_id <= 0
            || definition.trim().is_empty()
            || definition.trim().eq_ignore_ascii_case("undefined")
        {
            // 0: undefined geographic, −1: undefined Cartesian (the standard's two rows).
            CrsHint::Unstated
        } else {
            stated(definition)
        },
    )
}

/// A column of the feature table, as sitelens reads it.
struct Column {
    name: String,
    field_type: FieldType,
}

/// The type a declared SQL type means: the GeoPackage's own names first, then SQLite's
/// affinity rules for what other writers declare.
fn field_type(declared: &str) -> Option<FieldType> {
    let t = declared.trim().to_ascii_uppercase();
    let base = t.split('(').next().unwrap_or_default().trim();
    Some(match base {
        "BOOLEAN" => FieldType::Bool,
        "DATE" => FieldType::Date,
        "BLOB" => return None,
        _ if base.contains("INT") => FieldType::Int,
        _ if ["CHAR", "CLOB", "TEXT"].iter().any(|k| base.contains(k)) => FieldType::Text,
        _ if ["REAL", "FLOA", "DOUB", "NUMERIC", "DECIMAL"]
            .iter()
            .any(|k| base.contains(k)) =>
        {
            FieldType::Float
        }
        // DATETIME (ISO 8601 text) and anything else.
        _ => FieldType::Text,
    })
}

fn read_table(conn: &Connection, table: &Table, options: &LoadOptions) -> Result<Parsed, String> {
    let mut warnings = Vec::new();
    let crs = crs_hint(conn, table.srs_id)?;
    // The table's columns: the primary key is the feature id, the geometry column is the
    // geometry, BLOBs are named and left out.
    let mut stmt = conn
        .prepare(&format!("PRAGMA table_info({})", quote(&table.name)))
        .map_err(|e| describe(&e))?;
    let infos: Vec<(String, String, i64)> = stmt
        .query_map([], |row| Ok((row.get(1)?, row.get(2)?, row.get(5)?)))
        .map_err(|e| describe(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| describe(&e))?;
    if infos.is_empty() {
        return Err(format!(
            "gpkg_contents lists table '{}', which is not in the file",
            table.name
        ));
    }
    let mut fid: Option<String> = None;
    let mut columns = Vec::new();
    for (name, declared, pk) in infos {
        if name.eq_ignore_ascii_case(&table.geometry_column) {
            continue;
        }
        if pk == 1 && fid.is_none() && declared.to_ascii_uppercase().contains("INT") {
            fid = Some(name);
            continue;
        }
        match field_type(&declared) {
            Some(field_type) => columns.push(Column { name, field_type }),
            None => warnings.push(Warning::file(format!(
                "field '{name}' holds binary data ({declared}), which is not read"
            ))),
        }
    }
    let fid = fid.map_or_else(|| "rowid".to_string(), |f| quote(&f));
    let mut select = format!("SELECT {fid}, {}", quote(&table.geometry_column));
    for c in &columns {
        select.push_str(", ");
        select.push_str(&quote(&c.name));
    }
    select.push_str(&format!(" FROM {}", quote(&table.name)));

    // A box: read through the R-tree when there is one.
    let stated = match &crs {
        CrsHint::Stated { definition, .. } => Some(definition.as_str()),
        _ => None,
    };
    let source_box = options
        .bbox_hint
        .and_then(|b| box_in_source_crs(b, options.crs.as_deref().or(stated)?));
    let rtree = source_box
        .map(|b| rtree_name(conn, table).map(|name| name.map(|n| (n, b))))
        .transpose()?
        .flatten();
    let mut params: Vec<f64> = Vec::new();
    if let Some((rtree, b)) = &rtree {
        select.push_str(&format!(
            " WHERE {fid} IN (SELECT id FROM {} WHERE maxx >= ?1 AND minx <= ?2 \
             AND maxy >= ?3 AND miny <= ?4)",
            quote(rtree)
        ));
        params = vec![b.min_x, b.max_x, b.min_y, b.max_y];
    }

    let mut stmt = conn.prepare(&select).map_err(|e| describe(&e))?;
    let mut rows = stmt
        .query(rusqlite::params_from_iter(params.iter()))
        .map_err(|e| describe(&e))?;
    let mut features = Vec::new();
    let mut seen = 0usize;
    while let Some(row) = rows.next().map_err(|e| describe(&e))? {
        seen += 1;
        let record = match row.get_ref(0).map_err(|e| describe(&e))? {
            ValueRef::Integer(i) => u64::try_from(i).unwrap_or(0),
            _ => seen as u64 - 1,
        };
        let (geometry, z) = match row.get_ref(1).map_err(|e| describe(&e))? {
            ValueRef::Null => (None, None),
            ValueRef::Blob(blob) => match decode(blob) {
                Ok(d) => (d.geometry, d.z.map(Vec::into_boxed_slice)),
                Err(e) => {
                    warnings.push(Warning::record(
                        record,
                        format!("unreadable geometry ({e}); geometry set to null"),
                    ));
                    (None, None)
                }
            },
            other => {
                warnings.push(Warning::record(
                    record,
                    format!(
                        "the geometry column holds {}, not a geometry; geometry set to null",
                        kind_name(other)
                    ),
                ));
                (None, None)
            }
        };
        let mut values = Vec::with_capacity(columns.len());
        for (i, c) in columns.iter().enumerate() {
            let v = row.get_ref(i + 2).map_err(|e| describe(&e))?;
            values.push(value(v, c, record, &mut warnings));
        }
        features.push(Feature {
            record,
            geometry,
            z,
            values,
        });
    }
    drop(rows);
    let record_count = if rtree.is_some() {
        conn.query_row(
            &format!("SELECT count(*) FROM {}", quote(&table.name)),
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(|e| describe(&e))?
        .max(0) as usize
    } else {
        seen
    };
    Ok(Parsed {
        fields: columns
            .into_iter()
            .map(|c| Field {
                name: c.name,
                field_type: c.field_type,
            })
            .collect(),
        features,
        warnings,
        encoding: None,
        crs,
        record_count,
        sample: false,
    })
}

/// The table's R-tree, when the GeoPackage registers one and it exists.
fn rtree_name(conn: &Connection, table: &Table) -> Result<Option<String>, String> {
    let name = format!("rtree_{}_{}", table.name, table.geometry_column);
    let registered: i64 = conn
        .query_row(
            "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_extensions') > 0",
            [],
            |row| row.get(0),
        )
        .map_err(|e| describe(&e))?;
    if registered == 0 {
        return Ok(None);
    }
    let found: i64 = conn
        .query_row(
            "SELECT count(*) FROM gpkg_extensions e, sqlite_master m \
             WHERE lower(e.table_name) = lower(?1) AND lower(e.column_name) = lower(?2) \
             AND e.extension_name = 'gpkg_rtree_index' AND m.name = ?3",
            [&table.name, &table.geometry_column, &name],
            |row| row.get(0),
        )
        .map_err(|e| describe(&e))?;
    Ok((found > 0).then_some(name))
}

fn kind_name(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "null",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "binary data",
    }
}

/// One cell as the column's type wants it; what does not fit is kept as it is, with a warning.
fn value(v: ValueRef<'_>, c: &Column, record: u64, warnings: &mut Vec<Warning>) -> Value {
    let text = |bytes: &[u8], warnings: &mut Vec<Warning>| {
        super::text::cell_text(bytes, &c.name, record, warnings)
    };
    match (v, c.field_type) {
        (ValueRef::Null, _) => Value::Null,
        (ValueRef::Integer(i), FieldType::Bool) => Value::Bool(i != 0),
        (ValueRef::Integer(i), FieldType::Text) => Value::Text(i.to_string()),
        (ValueRef::Integer(i), FieldType::Float) => Value::Float(i as f64),
        (ValueRef::Integer(i), _) => Value::Int(i),
        (ValueRef::Real(f), FieldType::Int) if f.fract() == 0.0 && f.abs() < 9.0e15 => {
            Value::Int(f as i64)
        }
        (ValueRef::Real(f), FieldType::Text) => Value::Text(f.to_string()),
        (ValueRef::Real(f), _) => Value::Float(f),
        (ValueRef::Text(t), FieldType::Date) => {
            let s = text(t, warnings);
            if crate::model::is_iso_date(&s) {
                Value::Date(s)
            } else {
                warnings.push(Warning::record(
                    record,
                    format!(
                        "field '{}': '{s}' is not a date (YYYY-MM-DD); kept as text",
                        c.name
                    ),
                ));
                Value::Text(s)
            }
        }
        (ValueRef::Text(t), _) => Value::Text(text(t, warnings)),
        (ValueRef::Blob(b), _) => {
            warnings.push(Warning::record(
                record,
                format!(
                    "field '{}': {} bytes of binary data not read",
                    c.name,
                    b.len()
                ),
            ));
            Value::Null
        }
    }
}

/// Decodes a GeoPackage geometry blob: "GP", version, flags, srs_id, envelope, WKB.
pub fn decode(blob: &[u8]) -> Result<wkb::Decoded, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no 'GP' header)".into());
    }
    let flags = blob[3];
    if flags & 0b0010_0000 != 0 {
        return Err("an extended GeoPackage geometry, which is not read".into());
    }
    let envelope_bytes = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        n => return Err(format!("invalid envelope indicator {n}")),
    };
    let start = 8 + envelope_bytes;
    let Some(body) = blob.get(start..) else {
        return Err("the geometry ends inside its header".into());
    };
    if flags & 0b0001_0000 != 0 {
        // The empty flag wins over whatever the WKB says.
        return Ok(wkb::Decoded {
            geometry: None,
            z: None,
        });
    }
    wkb::read(body)
}

/// Encodes a geometry as a GeoPackage blob (little-endian, with an XY envelope, or XYZ when it
/// has Z; a point has none, as the standard advises).
pub fn encode(
    g: &geo_types::Geometry<f64>,
    z: Option<&[f64]>,
    srs_id: i32,
    envelope: Envelope,
    out: &mut Vec<u8>,
) {
    let z = z.filter(|z| z.len() == wkb::coord_count(g));
    let point = matches!(g, geo_types::Geometry::Point(_));
    let indicator: u8 = match (point, z) {
        (true, _) => 0,
        (false, None) => 1,
        (false, Some(_)) => 2,
    };
    out.extend_from_slice(b"GP");
    out.push(0);
    out.push(0b0000_0001 | (indicator << 1));
    out.extend_from_slice(&srs_id.to_le_bytes());
    if indicator > 0 {
        for v in [
            envelope.min_x,
            envelope.max_x,
            envelope.min_y,
            envelope.max_y,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    if let Some(z) = z.filter(|_| indicator == 2) {
        let (lo, hi) = z
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        out.extend_from_slice(&lo.to_le_bytes());
        out.extend_from_slice(&hi.to_le_bytes());
    }
    wkb::write(g, z, out);
}

/// Splits `dir/a.gpkg/roads` into (`dir/a.gpkg`, Some("roads")) and `a.gpkg` into (`a.gpkg`,
/// None); `None` when no part of the path is a GeoPackage file.
pub fn split_path(path: &Path) -> Option<(PathBuf, Option<String>)> {
    super::split_container_path(path, "gpkg")
}

/// The feature tables of the GeoPackage at `path`, in catalogue order.
pub fn layer_names(path: &Path) -> Result<Vec<String>, LoadError> {
    let input = Input::by_path(path);
    let err = |m: String| LoadError::new(path, LoadErrorKind::Invalid(m));
    let conn = open(&input).map_err(err)?;
    Ok(feature_tables(&conn)
        .map_err(err)?
        .into_iter()
        .map(|t| t.name)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::point;

    #[test]
    fn blobs_round_trip_and_the_empty_flag_wins() {
        let g: geo_types::Geometry<f64> = point!(x: 139.4, y: 35.67).into();
        let mut blob = Vec::new();
        encode(
            &g,
            Some(&[12.5]),
            4326,
            Envelope::new(139.4, 35.67, 139.4, 35.67),
            &mut blob,
        );
        let d = decode(&blob).unwrap();
        assert_eq!(d.geometry, Some(g.clone()));
        assert_eq!(d.z, Some(vec![12.5]));
        blob[3] |= 0b0001_0000;
        assert_eq!(decode(&blob).unwrap().geometry, None);
        // Every envelope size is skipped correctly; a bad indicator or header is an error.
        for (indicator, bytes) in [(1u8, 32usize), (2, 48), (3, 48), (4, 64)] {
            let mut b = b"GP\0".to_vec();
            b.push(1 | (indicator << 1));
            b.extend_from_slice(&4326i32.to_le_bytes());
            b.extend(std::iter::repeat_n(0u8, bytes));
            wkb::write(&g, None, &mut b);
            assert_eq!(decode(&b).unwrap().geometry, Some(g.clone()), "{indicator}");
        }
        let mut b = b"GP\0".to_vec();
        b.push(1 | (5 << 1));
        b.extend_from_slice(&0i32.to_le_bytes());
        assert!(decode(&b).unwrap_err().contains("envelope"));
        assert!(decode(b"XX\0\x01\0\0\0\0").is_err());
        assert!(decode(b"GP").is_err());
    }

    #[test]
    fn declared_types_map_as_the_standard_and_sqlite_say() {
        assert_eq!(field_type("TEXT(80)"), Some(FieldType::Text));
        assert_eq!(field_type("MEDIUMINT"), Some(FieldType::Int));
        assert_eq!(field_type("BOOLEAN"), Some(FieldType::Bool));
        assert_eq!(field_type("DATE"), Some(FieldType::Date));
        assert_eq!(field_type("DATETIME"), Some(FieldType::Text));
        assert_eq!(field_type("DOUBLE"), Some(FieldType::Float));
        assert_eq!(field_type("BLOB"), None);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(
            quote("a\"; DROP TABLE x; --"),
            "\"a\"\"; DROP TABLE x; --\""
        );
    }
}
