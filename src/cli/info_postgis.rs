//! `sitelens info` on a PostGIS table: what the catalogue and the planner's statistics say,
//! without reading the rows (`--exact` counts them).

use std::io::Write;

use serde_json::{Value as Json, json};

use crate::io::postgis::Summary;

/// The count as text: "12,345 (estimate)", or why there is none.
fn count_text(s: &Summary) -> String {
    match (s.count, s.exact) {
        (Some(n), true) => n.to_string(),
        (Some(n), false) => format!("about {n} (planner estimate; --exact counts)"),
        (None, _) => "unknown (no statistics yet: ANALYZE the table, or --exact counts)".into(),
    }
}

fn types_text(s: &Summary) -> String {
    let types: Vec<String> = s
        .geometry_types
        .iter()
        .map(|(k, v)| match v {
            Some(n) => format!("{k}: {n}"),
            None => format!("{k} (declared)"),
        })
        .collect();
    types.join(", ")
}

/// The table as `info` prints it.
pub fn write_text(s: &Summary, out: &mut impl Write) -> std::io::Result<()> {
    writeln!(out, "{}", s.url)?;
    writeln!(out, "  format:     PostGIS")?;
    writeln!(
        out,
        "  table:      {}.{} (geometry column {}, SRID {})",
        s.schema, s.table, s.geometry_column, s.srid
    )?;
    writeln!(out, "  features:   {}", count_text(s))?;
    writeln!(out, "  geometry:   {}", types_text(s))?;
    writeln!(
        out,
        "  CRS:        {} [{}]",
        s.crs.label(),
        s.crs.decided_by
    )?;
    if s.bbox.is_none() && !s.exact {
        writeln!(
            out,
            "  bbox:       unknown (no statistics yet: ANALYZE the table, or --exact)"
        )?;
    } else {
        let note = if s.exact { "" } else { " (estimated)" };
        super::info::write_bbox(s.bbox, s.crs.known, note, out)?;
    }
    super::info::write_fields(&s.fields, out)?;
    super::info::write_warnings(&s.warnings, out)?;
    writeln!(out)
}

/// The table in `info --json`: the file layers' keys where they mean the same, plus what is
/// estimated.
pub fn describe(s: &Summary) -> Json {
    let bbox = s.bbox.map(|b| b.as_array());
    json!({
        "path": s.url,
        "name": s.table,
        "format": "PostGIS",
        "schema": s.schema,
        "geometry_column": s.geometry_column,
        "srid": s.srid,
        "feature_count": s.count,
        "exact": s.exact,
        "geometry_types": s.geometry_types,
        "crs": s.crs,
        "bbox_wgs84": if s.crs.known { json!(bbox) } else { Json::Null },
        "bbox_source": if s.crs.known { Json::Null } else { json!(bbox) },
        "fields": s.fields,
        "warnings": s.warnings,
    })
}
