//! CSV export: UTF-8 with a BOM (so Excel opens Japanese text correctly), one column per field
//! (the union over the layers, in order of first appearance), then `lon`,`lat` when every
//! geometry is a point (`x`,`y` in a projected `--to-crs`), else a `WKT` column. Coordinates
//! rounded to `precision` decimals of a degree (five fewer in metres). Text that a spreadsheet
//! would run as a formula is made inert ([`inert`]).

use std::io::{self, Write};

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use wkt::ToWkt;

use super::{Chunks, ExportError, Job, OutputCrs, Section, Written};
use crate::model::Value;
use crate::write::{WriteError, atomic_write};

/// UTF-8's byte order mark, which tells Excel the file is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Writes the job's CSV file from `chunks`, which hands over the features of `job.sections` in
/// order, twice: whether every feature is a point decides the header, then the rows.
pub(super) fn write_chunks(job: &Job<'_>, chunks: &Chunks<'_>) -> Result<Written, ExportError> {
    let mut points_only = true;
    chunks(None, &mut |_, s| {
        points_only &= s.ids.iter().all(|&id| {
            matches!(
                s.layer.features[id].geometry,
                Some(Geometry::Point(_)) | None
            )
        });
        Ok(())
    })?;
    let mut names: Vec<String> = Vec::new();
    for s in job.sections {
        for name in column_names(s) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    // A coordinate PROJ cannot move is reported with its layer and record, not as an I/O error.
    let mut failed: Option<ExportError> = None;
    let result = atomic_write(job.target, job.protected, |w| {
        w.write_all(BOM)?;
        let mut out = csv::Writer::from_writer(w);
        header(&mut out, &names, points_only, job.crs)?;
        let mut written = 0;
        let rows = chunks(None, &mut |_, s| {
            rows(&mut out, s, &names, points_only, job).map(|n| written += n)
        });
        if let Err(e) = rows {
            let message = e.to_string();
            failed = Some(e);
            return Err(io::Error::other(message));
        }
        out.flush()?;
        Ok(written)
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(super::written_one(job.target, result?))
}

/// Writes the rows of section `s` in the file's columns `names`; how many.
fn rows<W: Write>(
    out: &mut csv::Writer<W>,
    s: &Section<'_>,
    names: &[String],
    points_only: bool,
    job: &Job<'_>,
) -> Result<usize, ExportError> {
    let own = column_names(s);
    // For each of the file's columns, the section's column holding it.
    let position: Vec<Option<usize>> = names
        .iter()
        .map(|n| own.iter().position(|m| m == n).map(|i| s.columns[i]))
        .collect();
    let io_error = |e: io::Error| {
        ExportError::Write(WriteError {
            path: job.target.to_path_buf(),
            message: e.to_string(),
        })
    };
    for &id in &s.ids {
        let f = &s.layer.features[id];
        let mut row: Vec<String> = position
            .iter()
            .map(|c| cell(c.and_then(|c| f.values.get(c))))
            .collect();
        let place = place(s, id, job.options.precision, job.crs).map_err(|message| {
            ExportError::Refused {
                path: job.target.to_path_buf(),
                message,
            }
        })?;
        place.push_cells(&mut row, points_only);
        out.write_record(&row).map_err(|e| io_error(e.into()))?;
    }
    Ok(s.ids.len())
}

/// The header row: the fields, then `lon`,`lat` (`x`,`y` projected) or `WKT`.
fn header<W: Write>(
    out: &mut csv::Writer<W>,
    names: &[String],
    points_only: bool,
    crs: &OutputCrs,
) -> io::Result<()> {
    let mut header = names.to_vec();
    if points_only && crs.geographic {
        header.extend(["lon".to_string(), "lat".to_string()]);
    } else if points_only {
        header.extend(["x".to_string(), "y".to_string()]);
    } else {
        header.push("WKT".into());
    }
    out.write_record(&header)?;
    Ok(())
}

/// The names of a section's columns, in its order.
fn column_names(s: &Section<'_>) -> Vec<String> {
    s.columns
        .iter()
        .map(|&c| s.layer.fields[c].name.clone())
        .collect()
}

/// Where a feature is, as the CSV writes it: nothing, a point (its rounded coordinates), or
/// another geometry's WKT; rounded in the output CRS.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    None,
    Point { x: f64, y: f64 },
    Other { wkt: String },
}

impl Place {
    /// The row's last cells: `lon`,`lat` in a points-only file, else `WKT`.
    fn push_cells(self, row: &mut Vec<String>, points_only: bool) {
        match (self, points_only) {
            (Place::Point { x, y }, true) => row.extend([x.to_string(), y.to_string()]),
            (Place::None, true) => row.extend([String::new(), String::new()]),
            (Place::Point { x, y }, false) => {
                row.push(Geometry::Point(geo_types::Point::new(x, y)).wkt_string());
            }
            (Place::Other { wkt }, false) => row.push(wkt),
            (Place::Other { .. }, true) | (Place::None, false) => row.push(String::new()),
        }
    }
}

/// Feature `id` of `s` placed in `crs`; a geometry that does not go there is an error naming
/// the layer and the record.
fn place(s: &Section<'_>, id: usize, precision: usize, crs: &OutputCrs) -> Result<Place, String> {
    let f = &s.layer.features[id];
    let precision = crs.decimals(precision);
    let scale = 10f64.powi(precision as i32);
    let round = |v: f64| (v * scale).round() / scale;
    let Some(geometry) = crs.feature(&s.layer.name, f)? else {
        return Ok(Place::None);
    };
    Ok(match geometry.as_ref() {
        Geometry::Point(p) => Place::Point {
            x: round(p.x()),
            y: round(p.y()),
        },
        g => Place::Other {
            wkt: g
                .map_coords(|c| Coord {
                    x: round(c.x),
                    y: round(c.y),
                })
                .wkt_string(),
        },
    })
}

/// A value as a CSV cell: empty for null, text made inert ([`inert`]), numbers as they are.
pub(crate) fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(v @ (Value::Text(_) | Value::Json(_))) => inert(v.to_string()),
        Some(v) => v.to_string(),
    }
}

/// A text cell a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or
/// a carriage return) gets a leading apostrophe, as OWASP's CSV-injection guidance says, so
/// Excel and LibreOffice show it as text. Text that is a plain number ("-12.5", "+81") is left
/// as it is: a spreadsheet reads it as the number it is, nothing runs.
pub(crate) fn inert(text: String) -> String {
    let risky = text
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    if risky && text.trim().parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_made_inert_and_numbers_stay_numbers() {
        for risky in [
            "=HYPERLINK(\"http://example.com\",\"x\")",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert(risky.to_string()), format!("'{risky}"));
        }
        for safe in ["-12.5", "+81", "日野市", "", "a=b", "1e5"] {
            assert_eq!(inert(safe.to_string()), safe);
        }
    }
}
