//! What the database's catalogue says about a table: which geometry column, its SRID and type,
//! the other columns and their types, the primary key. Every name the user gives is looked up
//! here as a bound parameter; only names the catalogue returns are ever quoted into SQL.

use super::libpq::{Conn, PgError};
use crate::model::FieldType;

/// A table (or view) with a geometry column, as `geometry_columns` lists it.
#[derive(Debug, Clone)]
pub struct Table {
    /// The table's oid, as text (to bind as a parameter).
    pub oid: String,
    pub schema: String,
    pub name: String,
    pub geometry: String,
    /// The column's SRID; 0 when the column does not constrain it.
    pub srid: i32,
    /// The column's declared type (`MULTIPOLYGON`, `GEOMETRY`, …).
    pub geometry_type: String,
    /// The only integer column of the primary key, if there is one: the feature id.
    pub id: Option<String>,
    pub columns: Vec<Column>,
    /// Columns not read (other geometries, binary data), with their types.
    pub skipped: Vec<(String, String)>,
    /// Whether its rows are stored as its own (a table, partitioned table or materialized
    /// view): each has a `ctid`, which a view's or foreign table's rows lack.
    pub stored: bool,
}

/// A column read as an attribute.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// The type as the catalogue prints it (`character varying(20)`, `numeric(10,2)`).
    pub declared: String,
    pub field_type: FieldType,
}

/// A first value of one row, as text.
fn first(conn: &Conn, sql: &str, params: &[Option<String>]) -> Result<Option<String>, PgError> {
    Ok(conn.exec(sql, params, false)?.text(0, 0))
}

/// Finds the table `wanted` (`schema.table`, or a table on the search path) and its geometry
/// column (`geometry`, or the only one). The error says what is missing, in words.
pub fn find(conn: &Conn, wanted: &str, geometry: Option<&str>) -> Result<Table, String> {
    let sql_err = |e: PgError| e.to_string();
    let has_postgis = first(
        conn,
        "SELECT count(*) FROM pg_catalog.pg_extension WHERE extname = 'postgis'",
        &[],
    )
    .map_err(sql_err)?;
    if has_postgis.as_deref() != Some("1") {
        return Err("PostGIS is not installed in this database (CREATE EXTENSION postgis)".into());
    }
    // Candidates: `schema.table` split at each dot, or the whole name on the search path.
    let mut candidates: Vec<(Option<String>, String)> = wanted
        .match_indices('.')
        .map(|(i, _)| (Some(wanted[..i].to_string()), wanted[i + 1..].to_string()))
        .collect();
    candidates.push((None, wanted.to_string()));
    let mut found = None;
    for (schema, name) in &candidates {
        let oid = first(
            conn,
            "SELECT c.oid::text FROM pg_catalog.pg_class c \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relname = $2 AND c.relkind IN ('r', 'v', 'm', 'p', 'f') \
             AND (CASE WHEN $1::text IS NULL THEN pg_catalog.pg_table_is_visible(c.oid) \
                  ELSE n.nspname = $1 END) \
             LIMIT 1",
            &[schema.clone(), Some(name.clone())],
        )
        .map_err(sql_err)?;
        if let Some(oid) = oid {
            found = Some(oid);
            break;
        }
    }
    let Some(oid) = found else {
        return Err(format!(
            "no table '{wanted}' in the database (or no permission to see it)"
        ));
    };
    let rows = conn
        .exec(
            "SELECT g.f_table_schema::text, g.f_table_name::text, g.f_geometry_column::text, \
             g.srid::text, g.type::text \
             FROM geometry_columns g \
             JOIN pg_catalog.pg_namespace n ON n.nspname = g.f_table_schema \
             JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = g.f_table_name \
             WHERE c.oid = $1::oid ORDER BY g.f_geometry_column",
            &[Some(oid.clone())],
            false,
        )
        .map_err(sql_err)?;
    let columns: Vec<[String; 5]> = (0..rows.len())
        .map(|r| std::array::from_fn(|c| rows.text(r, c).unwrap_or_default()))
        .collect();
    let chosen = match geometry {
        Some(g) => columns
            .iter()
            .find(|c| c[2] == g)
            .ok_or_else(|| match columns.len() {
                0 => format!("table '{wanted}' has no geometry column"),
                _ => format!(
                    "table '{wanted}' has no geometry column '{g}' (it has: {})",
                    names(&columns)
                ),
            })?,
        None => match columns.as_slice() {
            [only] => only,
            [] => return Err(format!("table '{wanted}' has no geometry column")),
            _ => {
                return Err(format!(
                    "table '{wanted}' has several geometry columns ({}): add &geometry=COLUMN",
                    names(&columns)
                ));
            }
        },
    };
    let kind = first(
        conn,
        "SELECT relkind::text FROM pg_catalog.pg_class WHERE oid = $1::oid",
        &[Some(oid.clone())],
    )
    .map_err(sql_err)?;
    let [schema, name, geometry, srid, geometry_type] = chosen.clone();
    let mut table = Table {
        oid: oid.clone(),
        schema,
        name,
        geometry,
        srid: srid.parse().unwrap_or(0),
        geometry_type,
        id: None,
        columns: Vec::new(),
        skipped: Vec::new(),
        stored: matches!(kind.as_deref(), Some("r" | "p" | "m")),
    };
    read_columns(conn, &oid, &mut table).map_err(sql_err)?;
    Ok(table)
}

fn names(columns: &[[String; 5]]) -> String {
    columns
        .iter()
        .map(|c| c[2].as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The table's columns in order, typed; the integer primary key as the id.
fn read_columns(conn: &Conn, oid: &str, table: &mut Table) -> Result<(), PgError> {
    let rows = conn.exec(
        "SELECT a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod), \
         t.typname::text, t.typcategory::text, \
         (SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = a.attrelid \
          AND i.indisprimary AND i.indnatts = 1 AND i.indkey[0] = a.attnum)::text \
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
         WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
        &[Some(oid.to_string())],
        false,
    )?;
    for r in 0..rows.len() {
        let name = rows.text(r, 0).unwrap_or_default();
        let declared = rows.text(r, 1).unwrap_or_default();
        let typname = rows.text(r, 2).unwrap_or_default();
        let category = rows.text(r, 3).unwrap_or_default();
        let primary = rows.text(r, 4).as_deref() == Some("1");
        if name == table.geometry {
            continue;
        }
        if primary && table.id.is_none() && matches!(typname.as_str(), "int2" | "int4" | "int8") {
            table.id = Some(name);
            continue;
        }
        match field_type(&typname, &category) {
            Some(field_type) => table.columns.push(Column {
                name,
                declared,
                field_type,
            }),
            None => table.skipped.push((name, declared)),
        }
    }
    Ok(())
}

/// The field type a column's type is read as (`None`: not read). Timestamps, times, intervals,
/// uuids, arrays, JSON and anything else with a text form are read as text.
pub fn field_type(typname: &str, category: &str) -> Option<FieldType> {
    Some(match typname {
        "int2" | "int4" | "int8" | "oid" => FieldType::Int,
        "float4" | "float8" | "numeric" => FieldType::Float,
        "bool" => FieldType::Bool,
        "date" => FieldType::Date,
        "bytea" | "geometry" | "geography" | "raster" | "box2d" | "box3d" => return None,
        _ if category == "U" && typname.starts_with("geom") => return None,
        _ => FieldType::Text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_types_map_to_fields() {
        assert_eq!(field_type("int8", "N"), Some(FieldType::Int));
        assert_eq!(field_type("numeric", "N"), Some(FieldType::Float));
        assert_eq!(field_type("timestamptz", "D"), Some(FieldType::Text));
        assert_eq!(field_type("varchar", "S"), Some(FieldType::Text));
        assert_eq!(field_type("date", "D"), Some(FieldType::Date));
        assert_eq!(field_type("geometry", "U"), None);
        assert_eq!(field_type("bytea", "U"), None);
    }
}
