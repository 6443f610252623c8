//! CSV export: UTF-8 with a BOM (so Excel opens Japanese text correctly), one column per field
//! (the union over the layers, in order of first appearance), then `lon`,`lat` when every
//! geometry is a point (`x`,`y` in a projected `--to-crs`), else a `WKT` column. Coordinates
//! rounded to `precision` decimals of a degree (five fewer in metres). Text that a spreadsheet
//! would run as a formula is made inert ([`inert`]).

use std::fs::File;
use std::io::{self, BufWriter, Seek, Write};
use std::path::{Path, PathBuf};

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use wkt::ToWkt;

use super::{ExportError, Job, OutputCrs, Section, Written};
use crate::model::Value;
use crate::write::{WriteError, atomic_write};

/// UTF-8's byte order mark, which tells Excel the file is UTF-8.
const BOM: &[u8] = b"\xEF\xBB\xBF";

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
    let mut names: Vec<String> = Vec::new();
    for s in sections {
        add_names(&mut names, &column_names(s));
    }
    let points_only = sections.iter().all(|s| {
        s.ids.iter().all(|&id| {
            matches!(
                s.layer.features[id].geometry,
                Some(Geometry::Point(_)) | None
            )
        })
    });
    w.write_all(BOM)?;
    let mut out = csv::Writer::from_writer(w);
    header(&mut out, &names, points_only, crs)?;
    let mut written = 0;
    for s in sections {
        let position = positions(&names, &column_names(s));
        for &id in &s.ids {
            let f = &s.layer.features[id];
            let values: Vec<String> = s.columns.iter().map(|&c| cell(f.values.get(c))).collect();
            let mut row: Vec<String> = position
                .iter()
                .map(|c| c.map_or_else(String::new, |c| values[c].clone()))
                .collect();
            let place = place(s, id, precision, crs).map_err(|m| {
                *failed = Some(m);
                io::Error::other("a geometry did not reproject")
            })?;
            place.push_cells(&mut row, points_only);
            out.write_record(&row)?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(written)
}

/// A CSV written as the pieces of a streamed export pass: each input's rows go to a temporary
/// file of their own, with that input's columns and each feature's place; [`Spill::finish`]
/// then writes the file [`write`] would write from the same features (the union of the
/// columns, `lon`,`lat` only when every feature of every input is a point), reading the rows
/// back one at a time. Memory holds a row, whatever the output's size.
pub(crate) struct Spill {
    target: PathBuf,
    folder: PathBuf,
    precision: usize,
    crs: OutputCrs,
    inputs: Vec<SpilledInput>,
    points_only: bool,
}

/// One input's rows so far: a place (a tag and two cells) and the values of `names`.
struct SpilledInput {
    names: Vec<String>,
    rows: csv::Writer<BufWriter<File>>,
}

impl Spill {
    /// Temporary files go in `folder` (the target's, so they are on its disk).
    pub fn new(target: &Path, folder: &Path, precision: usize, crs: OutputCrs) -> Self {
        Spill {
            target: target.to_path_buf(),
            folder: folder.to_path_buf(),
            precision: precision.min(15),
            crs,
            inputs: Vec::new(),
            points_only: true,
        }
    }

    /// Adds a section of input number `input` (inputs counted from 0, in order); its columns
    /// are the input's from now on. Returns the rows written.
    pub fn section(&mut self, input: usize, s: &Section<'_>) -> Result<usize, ExportError> {
        let io_error = |e: io::Error| {
            ExportError::Write(WriteError {
                path: self.target.clone(),
                message: e.to_string(),
            })
        };
        while self.inputs.len() <= input {
            let file = tempfile::tempfile_in(&self.folder).map_err(io_error)?;
            self.inputs.push(SpilledInput {
                names: Vec::new(),
                rows: csv::WriterBuilder::new()
                    .flexible(true)
                    .from_writer(BufWriter::with_capacity(1 << 20, file)),
            });
        }
        let spilled = &mut self.inputs[input];
        spilled.names = column_names(s);
        let mut row: Vec<String> = Vec::with_capacity(3 + s.columns.len());
        for &id in &s.ids {
            row.clear();
            match place(s, id, self.precision, &self.crs) {
                Err(message) => {
                    return Err(ExportError::Refused {
                        path: self.target.clone(),
                        message,
                    });
                }
                Ok(Place::None) => row.extend([String::new(), String::new(), String::new()]),
                Ok(Place::Point { x, y }) => {
                    row.extend(["P".to_string(), x.to_string(), y.to_string()]);
                }
                Ok(Place::Other { wkt }) => {
                    self.points_only = false;
                    row.extend(["W".to_string(), wkt, String::new()]);
                }
            }
            let f = &s.layer.features[id];
            row.extend(s.columns.iter().map(|&c| cell(f.values.get(c))));
            spilled
                .rows
                .write_record(&row)
                .map_err(|e| io_error(e.into()))?;
        }
        Ok(s.ids.len())
    }

    /// The CRS the rows are in.
    pub fn crs(&self) -> &OutputCrs {
        &self.crs
    }

    /// Writes the CSV: the header, then each input's rows in their order.
    pub fn finish(self, w: &mut impl Write) -> io::Result<usize> {
        let mut names: Vec<String> = Vec::new();
        for input in &self.inputs {
            add_names(&mut names, &input.names);
        }
        w.write_all(BOM)?;
        let mut out = csv::Writer::from_writer(w);
        header(&mut out, &names, self.points_only, &self.crs)?;
        let mut written = 0;
        let mut record = csv::StringRecord::new();
        let mut row: Vec<String> = Vec::with_capacity(names.len() + 2);
        for input in self.inputs {
            let position = positions(&names, &input.names);
            let mut file = input.rows.into_inner().map_err(|e| e.into_error())?;
            file.flush()?;
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            file.rewind()?;
            let mut rows = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(io::BufReader::with_capacity(1 << 20, file));
            while rows.read_record(&mut record)? {
                let cell = |i: usize| record.get(i).unwrap_or_default();
                let number = |i: usize| {
                    cell(i)
                        .parse::<f64>()
                        .map_err(|_| io::Error::other("a temporary row lost its place"))
                };
                let place = match cell(0) {
                    "P" => Place::Point {
                        x: number(1)?,
                        y: number(2)?,
                    },
                    "W" => Place::Other {
                        wkt: cell(1).to_string(),
                    },
                    _ => Place::None,
                };
                row.clear();
                row.extend(
                    position
                        .iter()
                        .map(|c| c.map_or("", |c| cell(3 + c)).to_string()),
                );
                place.push_cells(&mut row, self.points_only);
                out.write_record(&row)?;
                written += 1;
            }
        }
        out.flush()?;
        Ok(written)
    }
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

/// Adds the names not yet in `names`, in order of first appearance.
fn add_names(names: &mut Vec<String>, more: &[String]) {
    for name in more {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
}

/// For each of the file's columns, where a section's cells hold it.
fn positions(names: &[String], section_names: &[String]) -> Vec<Option<usize>> {
    names
        .iter()
        .map(|n| section_names.iter().position(|m| m == n))
        .collect()
}

/// Where a feature is, as the CSV writes it: nothing, a point's two coordinates (and its WKT,
/// for a file that is not points only), or another geometry's WKT; rounded in the output CRS.
#[derive(Debug, Clone, PartialEq)]
enum Place {
    None,
    /// Rounded coordinates.
    Point {
        x: f64,
        y: f64,
    },
    Other {
        wkt: String,
    },
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
