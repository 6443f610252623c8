//! What the viewer reads from a PostGIS table: the rows in a view's box, simplified by the
//! server to the size of a screen pixel and capped, and the one feature under a click, whole.
//!
//! Both go through the same read-only session and cursor as a load. The box is `geom && box`
//! in the column's CRS, so the GiST index picks the rows; simplification is
//! `ST_Simplify(geom, tolerance, true)` in the column's CRS, the tolerance being the width of
//! a pixel measured in that CRS (the view's box transformed, divided by its width in pixels),
//! so it needs no knowledge of the CRS's units; `preserveCollapsed` keeps a building smaller
//! than a pixel as a speck rather than dropping it. When the box holds more rows than the cap
//! (counted up to the cap, without reading geometry), every k-th row by the id is read
//! (`id % k = 0`, k from the planner's estimate; a table without an integer id samples by its
//! rows' places, `ctid`), so what is shown is spread over the whole view rather than the first
//! part of the index; `LIMIT` still bounds the rows when the estimate is low. A view or foreign
//! table without an id shows its first rows up to the cap. Coordinates are reprojected on the client, as for a load.

use std::path::Path;

use super::{LoadOptions, Opened, open, pushed, rows, source_box};
use crate::error::LoadError;
use crate::filter::sql::{Sql, quote_ident};
use crate::io::{Parsed, postgis_layer};
use crate::model::{Envelope, Feature, Layer, Warning, degrees_covering};

/// A view to fill from a table.
#[derive(Debug, Clone)]
pub struct ViewRequest {
    /// The lon/lat box the rows must touch (their bounding boxes, as the index sees them).
    pub bbox: Envelope,
    /// The width of one screen pixel in degrees of longitude: what the server simplifies to.
    pub pixel_deg: f64,
    /// The most rows one fetch returns.
    pub cap: usize,
    /// The CRS override and the attribute filter (`where_hint`, pushed down where it
    /// translates); `bbox_hint` is ignored (the box is `bbox`).
    pub options: LoadOptions,
}

/// The rows of a view, as a layer in lon/lat.
#[derive(Debug)]
pub struct Fetched {
    pub layer: Layer,
    /// Whether the cap left rows of the box on the server.
    pub capped: bool,
    /// Rows in the box (after the pushed filter) by the planner's estimate.
    pub estimated: Option<u64>,
    /// Every how many rows (by the id) one was read, when the box holds more than the cap.
    pub every: Option<u64>,
    /// The server's simplification tolerance, in the column's units (0: not simplified).
    pub tolerance: f64,
}

/// Reads the rows of `url`'s table whose boxes touch the request's box, simplified to its pixel
/// size, at most `cap` of them (in the order the index gives them).
pub fn fetch_view(url: &str, request: &ViewRequest) -> Result<Fetched, LoadError> {
    let opened = open(url)?;
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let options = LoadOptions {
        bbox_hint: Some(request.bbox),
        ..request.options.clone()
    };
    let mut sql = pushed(&opened, &options).map_err(err)?.sql;
    let estimated = estimate(&opened, &sql).map_err(err)?;
    let cap = request.cap.max(1) as u64;
    // Which rows a sample keeps: the id's multiples of k, or where the table has no integer id
    // but stores its rows, the multiples of k among the rows' places (block × 2^16 + line, a
    // number unique to each row, spread over the table as its rows are).
    let sample_key = match &opened.table.id {
        Some(id) => Some(quote_ident(id)),
        None if opened.table.stored => Some(
            "(((ctid::text::point)[0])::int8 * 65536 + ((ctid::text::point)[1])::int8)".to_string(),
        ),
        None => None,
    };
    let over = match &sample_key {
        Some(_) => more_than(&opened, &sql, cap).map_err(err)?,
        None => false,
    };
    let every = match &sample_key {
        Some(key) if over => {
            let k = estimated.unwrap_or(0).max(cap + 1).div_ceil(cap);
            let bound = sql.bind(k.to_string(), "int8");
            let term = format!("{key} % {bound} = 0");
            sql.text = if sql.text.is_empty() {
                term
            } else {
                format!("({}) AND {term}", sql.text)
            };
            Some(k)
        }
        _ => None,
    };
    let pixels = (request.bbox.max_x - request.bbox.min_x) / request.pixel_deg.max(1e-12);
    // The source box is padded by 1 % on each side.
    let tolerance = source_box(&opened, &options, request.bbox)
        .map(|b| (b.max_x - b.min_x) / 1.02 / pixels.max(1.0))
        .filter(|t| t.is_finite() && *t > 0.0)
        .unwrap_or(0.0);
    let geom = quote_ident(&opened.table.geometry);
    let geometry = if tolerance > 0.0 {
        let t = sql.bind(tolerance.to_string(), "float8");
        format!("ST_AsBinary(ST_Simplify({geom}, {t}, true))")
    } else {
        format!("ST_AsBinary({geom})")
    };
    let limit = sql.bind((request.cap + 1).to_string(), "int8");
    let select = rows::select_with(&opened.table, &geometry, sql, &format!(" LIMIT {limit}"));
    let mut layer = read_layer(opened, url, &select, &options)?;
    let over = layer.features.len() > request.cap;
    let capped = over || every.is_some();
    if over {
        // One row past the cap says there are more: the layer is rebuilt without it.
        let Layer {
            name,
            source,
            fields,
            mut features,
            warnings,
            meta,
            ..
        } = layer;
        features.truncate(request.cap);
        layer = Layer::new(name, source, fields, features, warnings);
        layer.meta = meta;
    }
    Ok(Fetched {
        layer,
        capped,
        estimated,
        every,
        tolerance,
    })
}

/// The feature of `url`'s table nearest to the click at `lon`/`lat` within `tolerance_m`
/// (`ST_DWithin` in the column's CRS; a polygon holding the click is at distance 0, and of
/// several, the smallest wins), whole and with every attribute; `None` when nothing is there.
/// The `where_hint` of `options` is pushed down, so a filtered table answers with what it shows.
pub fn identify(
    url: &str,
    options: &LoadOptions,
    lon: f64,
    lat: f64,
    tolerance_m: f64,
) -> Result<Option<Feature>, LoadError> {
    let opened = open(url)?;
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let [dx, dy] = degrees_covering(tolerance_m, Envelope::new(lon, lat, lon, lat));
    let near = Envelope::new(lon - dx, lat - dy, lon + dx, lat + dy);
    let Some(b) = source_box(&opened, options, near) else {
        return Ok(None);
    };
    let options = LoadOptions {
        bbox_hint: None,
        ..options.clone()
    };
    let mut sql = pushed(&opened, &options).map_err(err)?.sql;
    // The click is the centre of the transformed box (over a few metres a projection is
    // affine), and the tolerance half its larger side, both in the column's units.
    let x = sql.bind(((b.min_x + b.max_x) / 2.0).to_string(), "float8");
    let y = sql.bind(((b.min_y + b.max_y) / 2.0).to_string(), "float8");
    let srid = sql.bind(opened.table.srid.to_string(), "int4");
    let tolerance = (b.max_x - b.min_x).max(b.max_y - b.min_y) / 2.0 / 1.02;
    let t = sql.bind(tolerance.to_string(), "float8");
    let geom = quote_ident(&opened.table.geometry);
    let point = format!("ST_SetSRID(ST_MakePoint({x}, {y}), {srid})");
    let within = format!("ST_DWithin({geom}, {point}, {t})");
    sql.text = if sql.text.is_empty() {
        within
    } else {
        format!("{within} AND {}", sql.text)
    };
    let tail = format!(" ORDER BY ST_Distance({geom}, {point}), ST_Area({geom}) LIMIT 1");
    let select = rows::select_with(&opened.table, &format!("ST_AsBinary({geom})"), sql, &tail);
    let layer = read_layer(opened, url, &select, &options)?;
    Ok(layer.features.into_iter().next())
}

/// Runs `select` through a cursor and makes a layer of its rows.
pub(super) fn read_layer(
    opened: Opened,
    url: &str,
    select: &Sql,
    options: &LoadOptions,
) -> Result<Layer, LoadError> {
    let err = |m: String| LoadError::invalid(Path::new(url), m);
    let fields = opened.fields();
    let mut warnings: Vec<Warning> = super::skipped_warnings(&opened.table);
    let Opened {
        session,
        table,
        crs,
        ..
    } = opened;
    let batches = rows::Batches::open(session, &table, select).map_err(err)?;
    let mut features = Vec::new();
    for batch in batches {
        let mut batch = batch.map_err(err)?;
        features.append(&mut batch.features);
        warnings.append(&mut batch.warnings);
    }
    let parsed = Parsed {
        fields,
        record_count: features.len(),
        features,
        warnings,
        encoding: None,
        crs,
        sample: false,
    };
    postgis_layer(url, table.name, parsed, options)
}

/// Whether `filter` passes more than `cap` rows: counted on the server up to `cap + 1`, from
/// the index, without reading a geometry.
fn more_than(opened: &Opened, filter: &Sql, cap: u64) -> Result<bool, String> {
    let mut sql = filter.clone();
    let limit = sql.bind((cap + 1).to_string(), "int8");
    let text = format!(
        "SELECT count(*)::text FROM (SELECT 1 {} LIMIT {limit}) s",
        opened.table_where(&sql)
    );
    let rows = opened.session.run(&text, &sql.params)?;
    Ok(rows
        .text(0, 0)
        .and_then(|n| n.parse::<u64>().ok())
        .is_some_and(|n| n > cap))
}

/// The planner's estimate of the rows `filter` passes (`EXPLAIN`: no row is read).
fn estimate(opened: &Opened, filter: &Sql) -> Result<Option<u64>, String> {
    let text = format!("EXPLAIN SELECT 1 {}", opened.table_where(filter));
    let rows = opened.session.run(&text, &filter.params)?;
    Ok(rows.text(0, 0).as_deref().and_then(plan_rows))
}

/// The row count of a plan line: `Seq Scan on t  (cost=0.00..1.10 rows=10 width=4)` → 10.
fn plan_rows(line: &str) -> Option<u64> {
    let at = line.find("rows=")? + "rows=".len();
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_rows_reads_the_top_line() {
        assert_eq!(
            plan_rows("Bitmap Heap Scan on t  (cost=12.3..45.6 rows=33470 width=4)"),
            Some(33_470)
        );
        assert_eq!(
            plan_rows("Result  (cost=0.00..0.01 rows=1 width=4)"),
            Some(1)
        );
        assert_eq!(plan_rows("no estimate here"), None);
        assert_eq!(plan_rows("rows=x"), None);
    }
}
