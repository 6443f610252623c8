//! CSV export: UTF-8 with a BOM (so Excel opens Japanese text correctly), one column per field
//! (the union over the layers, in order of first appearance), then `lon`,`lat` when every
//! geometry is a point (`x`,`y` in a projected `--to-crs`), else a `WKT` column. Coordinates
//! rounded to `precision` decimals of a degree (five fewer in metres). Text that a spreadsheet
//! would run as a formula is made inert ([`inert`]).

use std::io::{self, Write};

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use wkt::ToWkt;

use super::{ExportError, Job, OutputCrs, Section, Written};
use crate::model::Value;
use crate::write::atomic_write;

/// Writes the job's CSV file.
pub fn write_file(job: &Job<'_>) -> Result<Written, ExportError> {
    // A coordinate PROJ cannot move is reported with its layer and record, not as an I/O error.
    let mut failed: Option<String> = None;
    let result = atomic_write(job.target, job.protected, |w| {
        write(w, job.sections, job.options.precision, job.crs, &mut failed)
    });
    if let Some(message) = failed {
        return Err(ExportError::Refused {
            path: job.target.to_path_buf(),
            message,
        });
    }
    Ok(super::written_one(job.target, result?))
}

/// Writes the rows; a geometry that does not reproject stops the write with `failed` set.
fn write(
    w: &mut impl Write,
    sections: &[Section<'_>],
    precision: usize,
    crs: &OutputCrs,
    failed: &mut Option<String>,
) -> io::Result<usize> {
    let precision = crs.decimals(precision);
    w.write_all(b"\xEF\xBB\xBF")?;
    let mut names: Vec<String> = Vec::new();
    for s in sections {
        for &c in &s.columns {
            let name = &s.layer.fields[c].name;
            if !names.contains(name) {
                names.push(name.clone());
            }
        }
    }
    let points_only = sections.iter().all(|s| {
        s.ids.iter().all(|&id| {
            matches!(
                s.layer.features[id].geometry,
                Some(Geometry::Point(_)) | None
            )
        })
    });
    let mut out = csv::Writer::from_writer(w);
    let mut header = names.clone();
    if points_only && crs.geographic {
        header.extend(["lon".to_string(), "lat".to_string()]);
    } else if points_only {
        header.extend(["x".to_string(), "y".to_string()]);
    } else {
        header.push("WKT".into());
    }
    out.write_record(&header)?;
    let scale = 10f64.powi(precision as i32);
    let round = |v: f64| (v * scale).round() / scale;
    let mut written = 0;
    for s in sections {
        let position: Vec<Option<usize>> = names
            .iter()
            .map(|n| {
                s.columns
                    .iter()
                    .copied()
                    .find(|&c| &s.layer.fields[c].name == n)
            })
            .collect();
        for &id in &s.ids {
            let f = &s.layer.features[id];
            let mut row: Vec<String> = position
                .iter()
                .map(|c| cell(c.and_then(|c| f.values.get(c))))
                .collect();
            let geometry = match f.geometry.as_ref().map(|g| crs.geometry(g)) {
                None => None,
                Some(Ok(g)) => Some(g),
                Some(Err(e)) => {
                    *failed = Some(format!(
                        "layer {}, record {}: the geometry does not go into {}: {e}",
                        s.layer.name,
                        f.record,
                        crs.label()
                    ));
                    return Err(io::Error::other("a geometry did not reproject"));
                }
            };
            match (geometry.as_deref(), points_only) {
                (Some(Geometry::Point(p)), true) => {
                    row.push(round(p.x()).to_string());
                    row.push(round(p.y()).to_string());
                }
                (None, true) => row.extend([String::new(), String::new()]),
                (Some(g), false) => {
                    let rounded = g.map_coords(|c| Coord {
                        x: round(c.x),
                        y: round(c.y),
                    });
                    row.push(rounded.wkt_string());
                }
                (_, _) => row.push(String::new()),
            }
            out.write_record(&row)?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
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
