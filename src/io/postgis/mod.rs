//! PostGIS tables as layers, named
//! `postgresql://[user@]host[:port]/dbname?table=[schema.]table[&geometry=column]`.
//!
//! Read through libpq ([`libpq`]): passwords and other settings come from libpq's usual places
//! (PGPASSWORD, ~/.pgpass, PGSERVICE), never from the URL. Every session is one read-only
//! transaction (`SET TRANSACTION READ ONLY`, repeatable read so a count and the rows agree, a
//! statement timeout). The table and columns the user names are looked up in the catalogue
//! ([`catalog`]); values are bound parameters; only catalogue names, quoted, become SQL.
//!
//! Rows come through a server-side cursor in batches ([`Batches`]). A load's `bbox_hint` is
//! pushed down as `geom && box` (the box in the column's CRS, padded: the GiST index answers
//! it), and its `where_hint` as the SQL of the checked expression ([`crate::filter::sql`]);
//! the caller's filter still runs on what comes back, so only the exact tests move.

mod catalog;
mod libpq;
mod page;
mod rows;
mod url;
mod view;

pub use catalog::Table;
pub use page::{SortBy, Start, count_rows, page, page_from};
pub use rows::{BATCH_ROWS, Batch, Batches};
pub use url::{PgUrl, is_pg_url, redact};
pub use view::{Fetched, ViewRequest, fetch_view, identify};

use std::collections::BTreeMap;
use std::path::Path;

use libpq::{Conn, PgError};

use super::{LoadOptions, Parsed, box_in_source_crs};
use crate::crs::{self, CrsHint, CrsInfo, DecidedBy};
use crate::error::LoadError;
use crate::filter::sql::{Sql, pushdown, quote_ident};
use crate::model::{Envelope, Field, Warning};

/// How long one statement may run on the server before it is cancelled.
pub const STATEMENT_TIMEOUT: &str = "10min";

/// A connection inside its read-only transaction.
pub struct Session {
    conn: Conn,
}

impl Session {
    /// Connects and starts the read-only transaction.
    pub fn open(url: &PgUrl) -> Result<Session, String> {
        let params = url.connect_params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let conn = Conn::connect(&pairs).map_err(|e| format!("cannot connect: {e}"))?;
        let session = Session { conn };
        session.run("BEGIN", &[])?;
        session.run(
            "SET TRANSACTION READ ONLY, ISOLATION LEVEL REPEATABLE READ",
            &[],
        )?;
        // Fixed text forms, so what the client parses (dates, times, floats) does not depend on
        // the server's or the user's settings.
        session.run(
            "SELECT set_config('statement_timeout', $1, true), \
             set_config('DateStyle', 'ISO, YMD', true), set_config('TimeZone', 'UTC', true), \
             set_config('extra_float_digits', '1', true), \
             set_config('IntervalStyle', 'iso_8601', true)",
            &[Some(STATEMENT_TIMEOUT.to_string())],
        )?;
        Ok(session)
    }

    fn run(&self, sql: &str, params: &[Option<String>]) -> Result<libpq::Rows, String> {
        self.conn
            .exec(sql, params, false)
            .map_err(|e| self.describe(&e))
    }

    /// A server error in the user's words.
    fn describe(&self, e: &PgError) -> String {
        match e.sqlstate.as_deref() {
            Some("57014") => format!(
                "the server stopped a query that ran past the statement timeout \
                 ({STATEMENT_TIMEOUT}): {e}"
            ),
            Some("42501") => format!("no permission: {e}"),
            _ => format!("the server says: {e}"),
        }
    }
}

/// An open table: the session, what the catalogue says and the CRS the SRID names.
pub struct Opened {
    pub session: Session,
    pub table: Table,
    pub crs: CrsHint,
    pub url: PgUrl,
}

impl Opened {
    /// The fields of the layer, in column order.
    pub fn fields(&self) -> Vec<Field> {
        self.table
            .columns
            .iter()
            .map(|c| Field {
                name: c.name.clone(),
                field_type: c.field_type,
            })
            .collect()
    }

    /// `schema.table` quoted, for SQL.
    fn from(&self) -> String {
        format!(
            "{}.{}",
            quote_ident(&self.table.schema),
            quote_ident(&self.table.name)
        )
    }

    /// `FROM schema.table`, with `WHERE` and `filter`'s text when it has any.
    fn table_where(&self, filter: &Sql) -> String {
        match filter.text.as_str() {
            "" => format!("FROM {}", self.from()),
            text => format!("FROM {} WHERE {text}", self.from()),
        }
    }
}

/// The URL `path` holds, when it names a PostGIS layer.
pub fn url_of(path: &Path) -> Option<&str> {
    path.to_str().filter(|t| is_pg_url(t))
}

/// Parses the URL, connects and finds the table; the error names the URL and what is wrong.
pub fn open(text: &str) -> Result<Opened, LoadError> {
    let url =
        PgUrl::parse(text).map_err(|m| LoadError::invalid(Path::new(&url::redact(text)), m))?;
    let err = |m: String| LoadError::invalid(Path::new(text), m);
    let session = Session::open(&url).map_err(err)?;
    let table = catalog::find(&session.conn, &url.table, url.geometry.as_deref()).map_err(err)?;
    let crs = crs_hint(&session, table.srid).map_err(err)?;
    Ok(Opened {
        session,
        table,
        crs,
        url,
    })
}

/// The CRS an SRID stands for: its EPSG code, else the WKT of `spatial_ref_sys`.
fn crs_hint(session: &Session, srid: i32) -> Result<CrsHint, String> {
    if srid <= 0 {
        return Ok(CrsHint::Unstated);
    }
    let rows = session.run(
        "SELECT auth_name::text, auth_srid::text, srtext::text FROM spatial_ref_sys \
         WHERE srid = $1::int4",
        &[Some(srid.to_string())],
    )?;
    let stated = |definition: String| CrsHint::Stated {
        definition,
        decided_by: DecidedBy::PostGisSrid,
    };
    let (auth, code, wkt) = (rows.text(0, 0), rows.text(0, 1), rows.text(0, 2));
    Ok(match (auth, code, wkt) {
        (Some(a), Some(c), _) if a.eq_ignore_ascii_case("EPSG") => stated(format!("EPSG:{c}")),
        (_, _, Some(wkt)) if !wkt.trim().is_empty() => stated(wkt),
        // An SRID spatial_ref_sys does not describe: PostGIS's own SRIDs are EPSG codes.
        _ => stated(format!("EPSG:{srid}")),
    })
}

/// The lon/lat box `lon_lat` in the column's CRS (padded 1 %); `None` when the column has no
/// SRID or the CRS is unknown.
fn source_box(opened: &Opened, options: &LoadOptions, lon_lat: Envelope) -> Option<Envelope> {
    let stated = match &opened.crs {
        CrsHint::Stated { definition, .. } => Some(definition.as_str()),
        _ => None,
    };
    if opened.table.srid <= 0 {
        return None;
    }
    box_in_source_crs(lon_lat, options.crs.as_deref().or(stated)?)
}

/// What a read pushes down to the server, from the load options.
struct Pushed {
    sql: Sql,
}

/// The WHERE clause for `options`: the bbox hint as `&&` on the padded box in the column's
/// CRS, and the AND terms of the where hint that translate exactly.
fn pushed(opened: &Opened, options: &LoadOptions) -> Result<Pushed, String> {
    let mut sql = Sql::default();
    let mut terms = Vec::new();
    if let Some(b) = options
        .bbox_hint
        .and_then(|b| source_box(opened, options, b))
    {
        let [x0, y0, x1, y1] = [b.min_x, b.min_y, b.max_x, b.max_y].map(|v| v.to_string());
        let corners = [x0, y0, x1, y1].map(|v| sql.bind(v, "float8"));
        let srid = sql.bind(opened.table.srid.to_string(), "int4");
        terms.push(format!(
            "{} && ST_MakeEnvelope({}, {srid})",
            quote_ident(&opened.table.geometry),
            corners.join(", ")
        ));
    }
    for hint in &options.spatial_hint {
        terms.extend(near_terms(opened, options, hint, &mut sql));
    }
    if let Some(text) = &options.where_hint {
        let fields = opened.fields();
        let expr = crate::filter::expr::parse(text, &fields).map_err(|e| e.to_string())?;
        if let Some(condition) = pushdown(&expr, &fields, &mut sql) {
            terms.push(condition);
        }
    }
    sql.text = terms.join(" AND ");
    Ok(Pushed { sql })
}

/// Reference layers with more features than this are pushed down by their box alone: their
/// geometry would be a parameter of many megabytes.
const MAX_REFERENCE_FEATURES: usize = 10_000;

/// The SQL terms that keep the rows within reach of a reference layer: `geom && box` (its
/// lon/lat box widened by the distance, in the column's CRS, so the GiST index answers it), and
/// for `--within`/`--intersects` `ST_DWithin(geom, reference, tolerance)` with the reference's
/// geometries as one bound WKB collection. The tolerance (a millionth of the box) makes the
/// test a superset of the client's exact one, whatever the rounding of the two reprojections.
fn near_terms(
    opened: &Opened,
    options: &LoadOptions,
    hint: &super::SpatialHint,
    sql: &mut Sql,
) -> Vec<String> {
    let Some(b) = hint.reference.index.bbox() else {
        return Vec::new();
    };
    if !hint.reference.source.crs.known || !hint.distance_m.is_finite() {
        return Vec::new();
    }
    // Metres as degrees, generously: a degree of longitude shrinks with the latitude.
    let lat = b.min_y.abs().max(b.max_y.abs()).min(85.0);
    let reach_y = hint.distance_m / 110_000.0 * 1.01;
    let reach_x = reach_y / lat.to_radians().cos();
    let wide = Envelope::new(
        b.min_x - reach_x,
        (b.min_y - reach_y).max(-90.0),
        b.max_x + reach_x,
        (b.max_y + reach_y).min(90.0),
    );
    let Some(source) = source_box(opened, options, wide) else {
        return Vec::new();
    };
    let geom = quote_ident(&opened.table.geometry);
    let srid = sql.bind(opened.table.srid.to_string(), "int4");
    let corners = [source.min_x, source.min_y, source.max_x, source.max_y]
        .map(|v| sql.bind(v.to_string(), "float8"));
    let mut terms = vec![format!(
        "{geom} && ST_MakeEnvelope({}, {srid})",
        corners.join(", ")
    )];
    let features = &hint.reference.features;
    if hint.distance_m == 0.0 && features.len() <= MAX_REFERENCE_FEATURES {
        let shapes: Vec<geo_types::Geometry<f64>> =
            features.iter().filter_map(|f| f.geometry.clone()).collect();
        let mut wkb = Vec::new();
        crate::io::wkb::write(
            &geo_types::Geometry::GeometryCollection(geo_types::GeometryCollection(shapes)),
            None,
            &mut wkb,
        );
        let hex: String = wkb.iter().map(|b| format!("{b:02x}")).collect();
        let reference = sql.bind(hex, "text");
        let tolerance = sql.bind(
            ((source.max_x - source.min_x).max(source.max_y - source.min_y) * 1e-6).to_string(),
            "float8",
        );
        terms.push(format!(
            "ST_DWithin({geom}, ST_Transform(ST_GeomFromWKB(decode({reference}, 'hex'), 4326), {srid}), {tolerance})"
        ));
    }
    terms
}

/// The WHERE clause a read of the layer `text` with `options` sends to the server (parameters
/// as `$n`), for tests and for people who want to see what is pushed down.
pub fn pushed_sql(text: &str, options: &LoadOptions) -> Result<String, LoadError> {
    let opened = open(text)?;
    pushed(&opened, options)
        .map(|p| p.sql.text)
        .map_err(|m| LoadError::invalid(Path::new(text), m))
}

/// A read under way: the table, its fields and CRS, and its rows as batches from a
/// server-side cursor (coordinates in the source CRS). What a streaming writer consumes.
pub struct Reading {
    pub name: String,
    pub fields: Vec<Field>,
    pub crs: CrsHint,
    /// Columns that are not read, and the like.
    pub warnings: Vec<Warning>,
    /// Rows in the whole table, counted when a filter leaves some on the server.
    pub record_count: Option<usize>,
    pub batches: Batches,
}

/// Opens the layer `text` names and a cursor on the rows `options` asks for.
pub fn read(text: &str, options: &LoadOptions) -> Result<Reading, LoadError> {
    let opened = open(text)?;
    let err = |m: String| LoadError::invalid(Path::new(text), m);
    let pushed = pushed(&opened, options).map_err(err)?;
    // A count of the whole table when rows are left on the server (same snapshot as the rows).
    let record_count = if pushed.sql.text.is_empty() {
        None
    } else {
        let rows = opened
            .session
            .run(
                &format!("SELECT count(*)::text FROM {}", opened.from()),
                &[],
            )
            .map_err(err)?;
        rows.text(0, 0).and_then(|n| n.parse::<usize>().ok())
    };
    let fields = opened.fields();
    let warnings = skipped_warnings(&opened.table);
    let select = rows::select(&opened.table, pushed.sql);
    let Opened {
        session,
        table,
        crs,
        ..
    } = opened;
    let batches = Batches::open(session, &table, &select).map_err(err)?;
    Ok(Reading {
        name: table.name,
        fields,
        crs,
        warnings,
        record_count,
        batches,
    })
}

fn skipped_warnings(table: &Table) -> Vec<Warning> {
    table
        .skipped
        .iter()
        .map(|(name, declared)| Warning::file(format!("column '{name}' ({declared}) is not read")))
        .collect()
}

/// Reads the layer a URL names whole (the loader behind [`crate::io::load`]); returns the
/// layer's name and what was read.
pub(crate) fn load(text: &str, options: &LoadOptions) -> Result<(String, Parsed), LoadError> {
    let Reading {
        name,
        fields,
        crs,
        mut warnings,
        record_count,
        batches,
    } = read(text, options)?;
    let mut features = Vec::new();
    for batch in batches {
        let mut batch = batch.map_err(|m| LoadError::invalid(Path::new(text), m))?;
        features.append(&mut batch.features);
        warnings.append(&mut batch.warnings);
    }
    let record_count = record_count.unwrap_or(features.len());
    Ok((
        name,
        Parsed {
            fields,
            features,
            warnings,
            encoding: None,
            crs,
            record_count,
            sample: false,
        },
    ))
}

/// What `info` says about a PostGIS layer without reading its rows.
#[derive(Debug)]
pub struct Summary {
    pub url: String,
    pub schema: String,
    pub table: String,
    pub geometry_column: String,
    pub srid: i32,
    pub fields: Vec<Field>,
    pub crs: CrsInfo,
    /// Rows: the planner's estimate, or counted with `exact`; `None` when the table has no
    /// statistics yet.
    pub count: Option<u64>,
    /// The extent in lon/lat (when the CRS is known), else in source units.
    pub bbox: Option<Envelope>,
    /// Whether the count, extent and geometry types were computed (else estimated/declared).
    pub exact: bool,
    /// Geometry types with their counts (`exact`), or the column's declared type with no count.
    pub geometry_types: BTreeMap<String, Option<u64>>,
    pub warnings: Vec<Warning>,
}

/// Describes the layer from the catalogue: counts and extent from the planner's statistics
/// (`reltuples`, `ST_EstimatedExtent`), or computed when `exact`.
pub fn describe(text: &str, options: &LoadOptions, exact: bool) -> Result<Summary, LoadError> {
    let opened = open(text)?;
    let err = |m: String| LoadError::invalid(Path::new(text), m);
    let (count, source_box, geometry_types) = if exact {
        exact_stats(&opened).map_err(err)?
    } else {
        estimated_stats(&opened).map_err(err)?
    };
    let mut warnings = skipped_warnings(&opened.table);
    let crs::Resolved { reprojector, info } = crs::resolve(
        options.crs.as_deref(),
        opened.crs.clone(),
        source_box,
        &mut warnings,
    )
    .map_err(|e| LoadError::new(Path::new(text), e))?;
    let bbox = match source_box {
        Some(b) if info.known => super::box_to_wgs84(b, &reprojector),
        other => other,
    };
    Ok(Summary {
        url: opened.url.text.clone(),
        schema: opened.table.schema.clone(),
        table: opened.table.name.clone(),
        geometry_column: opened.table.geometry.clone(),
        srid: opened.table.srid,
        fields: opened.fields(),
        crs: info,
        count,
        bbox,
        exact,
        geometry_types,
        warnings,
    })
}

type Stats = (Option<u64>, Option<Envelope>, BTreeMap<String, Option<u64>>);

fn envelope_of(rows: &libpq::Rows, row: usize, first: usize) -> Option<Envelope> {
    let v = |i: usize| rows.text(row, first + i)?.parse::<f64>().ok();
    Some(Envelope::new(v(0)?, v(1)?, v(2)?, v(3)?))
}

fn estimated_stats(opened: &Opened) -> Result<Stats, String> {
    let s = &opened.session;
    let t = &opened.table;
    let count = s
        .run(
            "SELECT reltuples::bigint::text FROM pg_catalog.pg_class WHERE oid = $1::oid",
            &[Some(t.oid.clone())],
        )?
        .text(0, 0)
        .and_then(|n| n.parse::<i64>().ok())
        .and_then(|n| u64::try_from(n).ok());
    // ST_EstimatedExtent fails on a table without statistics (or a view): inside a savepoint,
    // so the transaction goes on.
    s.run("SAVEPOINT estimate", &[])?;
    let extent = match s.conn.exec(
        "SELECT ST_XMin(e)::text, ST_YMin(e)::text, ST_XMax(e)::text, ST_YMax(e)::text \
         FROM (SELECT ST_EstimatedExtent($1, $2, $3)::box3d AS e) s",
        &[
            Some(t.schema.clone()),
            Some(t.name.clone()),
            Some(t.geometry.clone()),
        ],
        false,
    ) {
        Ok(rows) => envelope_of(&rows, 0, 0),
        Err(_) => {
            s.run("ROLLBACK TO SAVEPOINT estimate", &[])?;
            None
        }
    };
    let declared = declared_type_name(&t.geometry_type);
    Ok((count, extent, BTreeMap::from([(declared, None)])))
}

fn exact_stats(opened: &Opened) -> Result<Stats, String> {
    let s = &opened.session;
    let geom = quote_ident(&opened.table.geometry);
    let rows = s.run(
        &format!(
            "SELECT n::text, ST_XMin(e)::text, ST_YMin(e)::text, ST_XMax(e)::text, \
             ST_YMax(e)::text FROM (SELECT count(*) AS n, ST_Extent({geom})::box3d AS e \
             FROM {}) s",
            opened.from()
        ),
        &[],
    )?;
    let count = rows.text(0, 0).and_then(|n| n.parse::<u64>().ok());
    let extent = envelope_of(&rows, 0, 1);
    let rows = s.run(
        &format!(
            "SELECT coalesce(substr(ST_GeometryType({geom}), 4), 'None'), count(*)::text \
             FROM {} GROUP BY 1 ORDER BY 1",
            opened.from()
        ),
        &[],
    )?;
    let types = (0..rows.len())
        .filter_map(|r| {
            Some((
                rows.text(r, 0)?,
                Some(rows.text(r, 1)?.parse::<u64>().ok()?),
            ))
        })
        .collect();
    Ok((count, extent, types))
}

/// `MULTIPOLYGON` as the model names geometry types (`MultiPolygon`).
fn declared_type_name(declared: &str) -> String {
    const NAMES: [&str; 8] = [
        "Point",
        "LineString",
        "Polygon",
        "MultiPoint",
        "MultiLineString",
        "MultiPolygon",
        "GeometryCollection",
        "Geometry",
    ];
    let base = declared.trim_end_matches(['M', 'Z']);
    NAMES
        .iter()
        .find(|n| n.eq_ignore_ascii_case(base))
        .map_or_else(|| declared.to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_read_as_the_model_names_them() {
        assert_eq!(declared_type_name("MULTIPOLYGON"), "MultiPolygon");
        assert_eq!(declared_type_name("POINTZ"), "Point");
        assert_eq!(declared_type_name("GEOMETRY"), "Geometry");
        assert_eq!(declared_type_name("CIRCULARSTRING"), "CIRCULARSTRING");
    }
}
