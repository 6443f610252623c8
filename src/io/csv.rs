//! CSV points (and WKT geometries): municipal open-data tables such as 自治体標準オープンデータセット.
//!
//! Coordinates come from a WKT column (wkt, geometry, geom, the_geom), else lat/lon columns
//! (lat/latitude/緯度, lon/lng/long/longitude/経度), else X/Y columns with a CRS the user states.
//! "X座標"/"Y座標" follow the Japanese survey order: X is the northing. Text is UTF-8, UTF-8 with
//! a BOM, or CP932. Rows without valid coordinates are skipped with a warning.

use geo_types::{Coord, Geometry, Point};

use super::{Input, LoadOptions, Loader, Parsed, text};
use crate::crs::{CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Feature, Field, FieldType, Format, Value, Warning};

pub struct CsvLoader;

const WKT_NAMES: &[&str] = &["wkt", "geometry", "geom", "the_geom"];
const LAT_NAMES: &[&str] = &["lat", "latitude", "緯度", "y_lat"];
const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "経度", "x_lon"];
const X_NAMES: &[&str] = &["x", "easting", "x座標", "ｘ座標", "Ｘ座標"];
const Y_NAMES: &[&str] = &["y", "northing", "y座標", "ｙ座標", "Ｙ座標"];

enum Locate {
    Wkt(usize),
    LonLat {
        lon: usize,
        lat: usize,
    },
    /// `x` is the easting column, `y` the northing column.
    Xy {
        x: usize,
        y: usize,
    },
}

impl Loader for CsvLoader {
    fn format(&self) -> Format {
        Format::Csv
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["csv", "tsv"]
    }

    fn check_head(&self, _ext: &str, head: &[u8]) -> Result<(), String> {
        match head.iter().position(|&b| b == 0) {
            Some(at) => Err(format!(
                "not a text table: a NUL byte at offset {at} (binary data)"
            )),
            None => Ok(()),
        }
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let (body, bom) = text::strip_utf8_bom(&input.bytes);
        let (encoding, decided_by) = match options.encoding.as_deref() {
            Some(label) => (
                text::encoding_for_label(label).ok_or_else(|| {
                    LoadError::new(
                        &path,
                        LoadErrorKind::Encoding(format!("unknown encoding '{label}'")),
                    )
                })?,
                "user",
            ),
            None if bom => (encoding_rs::UTF_8, "bom"),
            None => text::guess_utf8_or_cp932(body),
        };
        let decoded = encoding.decode_without_bom_handling(body).0;

        let first_line = decoded.lines().next().unwrap_or_default();
        let delimiter = [b',', b'\t', b';']
            .into_iter()
            .max_by_key(|d| first_line.bytes().filter(|b| b == d).count())
            .unwrap_or(b',');
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(decoded.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|e| {
                LoadError::new(
                    &path,
                    LoadErrorKind::Invalid(format!("unreadable header row: {e}")),
                )
            })?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        if headers.iter().all(String::is_empty) {
            return Err(LoadError::new(
                &path,
                LoadErrorKind::Invalid("empty file: no header row".into()),
            ));
        }
        let find = |names: &[&str]| {
            headers.iter().position(|h| {
                let h = h.to_lowercase();
                names.iter().any(|n| h == *n)
            })
        };
        let mut warnings = Vec::new();
        let locate = match (
            find(WKT_NAMES),
            find(LON_NAMES),
            find(LAT_NAMES),
            find(X_NAMES),
            find(Y_NAMES),
        ) {
            (Some(w), ..) => Locate::Wkt(w),
            (None, Some(lon), Some(lat), ..) => Locate::LonLat { lon, lat },
            (None, _, _, Some(x), Some(y)) => {
                if headers[x].contains('座') {
                    warnings.push(Warning::file(format!(
                        "'{}' read as the northing and '{}' as the easting (Japanese survey order)",
                        headers[x], headers[y]
                    )));
                    Locate::Xy { x: y, y: x }
                } else {
                    Locate::Xy { x, y }
                }
            }
            _ => {
                return Err(LoadError::new(
                    &path,
                    LoadErrorKind::Invalid(format!(
                        "no coordinate columns: expected lat/lon (緯度/経度), X/Y or WKT; the header has {}",
                        headers.join(", ")
                    )),
                ));
            }
        };

        let mut cells: Vec<Vec<String>> = Vec::new();
        let mut features = Vec::new();
        let mut record_count = 0;
        for (i, row) in reader.records().enumerate() {
            let record = i as u64;
            record_count += 1;
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    warnings.push(Warning::record(
                        record,
                        format!("unreadable row ({e}); skipped"),
                    ));
                    continue;
                }
            };
            let line = row.position().map_or(0, |p| p.line());
            let get = |c: usize| row.get(c).map(str::trim).unwrap_or_default();
            let geometry = match locate {
                Locate::Wkt(c) => parse_wkt(get(c)),
                Locate::LonLat { lon, lat } => lon_lat(get(lon), get(lat)),
                Locate::Xy { x, y } => number_pair(get(x), get(y)),
            };
            match geometry {
                Ok(g) => {
                    features.push(Feature {
                        record,
                        geometry: Some(g),
                        z: None,
                        values: Vec::new(),
                    });
                    cells.push((0..headers.len()).map(|c| get(c).to_string()).collect());
                }
                Err(e) => warnings.push(Warning::record(
                    record,
                    format!("line {line}: {e}; row skipped"),
                )),
            }
        }

        let fields: Vec<Field> = headers
            .iter()
            .enumerate()
            .map(|(c, name)| {
                let name = if name.is_empty() {
                    format!("field_{}", c + 1)
                } else {
                    name.clone()
                };
                let field_type = FieldType::infer(
                    cells
                        .iter()
                        .map(|r| infer(&r[c]))
                        .collect::<Vec<_>>()
                        .iter(),
                );
                Field { name, field_type }
            })
            .collect();
        for (feature, row) in features.iter_mut().zip(cells) {
            feature.values = row
                .into_iter()
                .zip(&fields)
                .map(|(cell, f)| typed(cell, f.field_type))
                .collect();
        }
        let crs = match locate {
            Locate::LonLat { .. } => CrsHint::Stated {
                definition: "EPSG:4326".into(),
                decided_by: DecidedBy::LatLonColumns,
            },
            _ => CrsHint::Unstated,
        };
        Ok(Parsed {
            fields,
            features,
            warnings,
            encoding: Some(text::chosen(encoding, decided_by)),
            crs,
            record_count,
            sample: false,
        })
    }
}

fn parse_number(s: &str) -> Result<f64, String> {
    if s.is_empty() {
        return Err("coordinate missing".into());
    }
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{s}' is not a finite number"))
    }
}

fn number_pair(x: &str, y: &str) -> Result<Geometry<f64>, String> {
    Ok(Point(Coord {
        x: parse_number(x)?,
        y: parse_number(y)?,
    })
    .into())
}

fn lon_lat(lon: &str, lat: &str) -> Result<Geometry<f64>, String> {
    let (x, y) = (parse_number(lon)?, parse_number(lat)?);
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(format!("({x}, {y}) is not a longitude/latitude"));
    }
    Ok(Point(Coord { x, y }).into())
}

fn parse_wkt(s: &str) -> Result<Geometry<f64>, String> {
    use std::str::FromStr;
    if s.is_empty() {
        return Err("WKT missing".into());
    }
    let wkt = wkt::Wkt::<f64>::from_str(s).map_err(|e| format!("invalid WKT ({e})"))?;
    Geometry::try_from(wkt).map_err(|e| format!("unsupported WKT ({e})"))
}

/// The type a cell would have on its own. Codes with leading zeros ("0601") stay text. Also
/// what the KML loader infers ExtendedData types with.
pub(super) fn infer(cell: &str) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    let digits = cell.strip_prefix('-').unwrap_or(cell);
    let leading_zero = digits.len() > 1 && digits.starts_with('0') && !digits.starts_with("0.");
    if leading_zero {
        return Value::Text(String::new());
    }
    if let Ok(i) = cell.parse::<i64>() {
        return Value::Int(i);
    }
    match cell.parse::<f64>() {
        Ok(f)
            if f.is_finite()
                && cell
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b)) =>
        {
            Value::Float(f)
        }
        _ => Value::Text(String::new()),
    }
}

fn typed(cell: String, field_type: FieldType) -> Value {
    if cell.is_empty() {
        return Value::Null;
    }
    match field_type {
        FieldType::Int => cell.parse().map(Value::Int).unwrap_or(Value::Text(cell)),
        FieldType::Float => cell.parse().map(Value::Float).unwrap_or(Value::Text(cell)),
        _ => Value::Text(cell),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_with_leading_zeros_stay_text() {
        assert_eq!(infer("0601").field_type(), Some(FieldType::Text));
        assert_eq!(infer("601"), Value::Int(601));
        assert_eq!(infer("0.5"), Value::Float(0.5));
        assert_eq!(infer("-12.5e3"), Value::Float(-12500.0));
        assert_eq!(infer("NaN").field_type(), Some(FieldType::Text));
        assert_eq!(infer(""), Value::Null);
    }
}
