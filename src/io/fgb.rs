//! FlatGeobuf (v3): header, columns and features, read from the file by seeking rather than
//! whole. With a box to read (`--bbox`) and a packed Hilbert R-tree in the file, only the index
//! nodes the box reaches and the features they name are read; otherwise the features are read
//! in sequence.
//!
//! The flatbuffers (header, each feature) are parsed and verified by the `flatgeobuf` crate's
//! generated code. The index search, the geometry conversion and the properties are this
//! module's: the crate's stream search trusts the node offsets it reads (a hostile file makes it
//! panic), its geometry reader drops Z for geo-types, and its feature sizes size allocations.
//! Here every size read from the file is checked against the bytes left before anything is
//! allocated, and a bad record is a warning naming it.

use std::io::{Read, Seek, SeekFrom};

use flatgeobuf::{ColumnType, GeometryType};
use geo_types::{
    Coord, Geometry, GeometryCollection, LineString, MultiLineString, MultiPoint, MultiPolygon,
    Point, Polygon,
};

use super::{Input, LoadOptions, Loader, Parsed, box_in_source_crs};
use crate::crs::{CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Field, FieldType, Format, Value, Warning};

pub struct FlatGeobufLoader;

/// "fgb", the major version, "fgb", then the patch version.
const MAGIC: [u8; 3] = *b"fgb";
/// The largest header or feature read (a guard: real ones are far smaller).
const MAX_BLOCK: u64 = 256 << 20;
/// Bytes of one packed R-tree node: four f64 and a u64 offset.
const NODE_BYTES: u64 = 40;
/// Deepest nesting of geometry collections read.
const MAX_DEPTH: usize = 32;

impl Loader for FlatGeobufLoader {
    fn format(&self) -> Format {
        Format::FlatGeobuf
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["fgb"]
    }

    fn check_head(&self, _ext: &str, head: &[u8]) -> Result<(), String> {
        check_magic(head)
    }

    fn reads_by_path(&self) -> bool {
        true
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let err = |m: String| LoadError::new(&path, LoadErrorKind::Invalid(m));
        if input.on_disk() {
            let file = std::fs::File::open(&input.path).map_err(|e| LoadError::new(&path, e))?;
            let len = file.metadata().map_err(|e| LoadError::new(&path, e))?.len();
            read(std::io::BufReader::new(file), len, options).map_err(err)
        } else {
            let len = input.bytes.len() as u64;
            read(std::io::Cursor::new(&input.bytes[..]), len, options).map_err(err)
        }
    }
}

fn check_magic(head: &[u8]) -> Result<(), String> {
    if head.len() >= 8 && head[..3] == MAGIC && head[4..7] == MAGIC {
        if head[3] > flatgeobuf::VERSION {
            return Err(format!(
                "FlatGeobuf version {} is newer than this reader (up to {})",
                head[3],
                flatgeobuf::VERSION
            ));
        }
        Ok(())
    } else {
        Err("not a FlatGeobuf file (no 'fgb' signature)".into())
    }
}

/// Reads a size-prefixed block (header or feature) at the reader's position: its bytes with the
/// prefix (flatbuffers align from there), checked against the `left` bytes of the file before
/// they are allocated.
fn block(r: &mut impl Read, left: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut size = [0u8; 4];
    r.read_exact(&mut size)
        .map_err(|e| format!("{what}: cannot read its size ({e})"))?;
    let size = u64::from(u32::from_le_bytes(size));
    if size > left.saturating_sub(4) || size > MAX_BLOCK {
        return Err(format!(
            "{what} claims {size} bytes, more than the file holds"
        ));
    }
    let mut bytes = vec![0u8; 4 + size as usize];
    bytes[..4].copy_from_slice(&(size as u32).to_le_bytes());
    r.read_exact(&mut bytes[4..])
        .map_err(|e| format!("{what}: cut short ({e})"))?;
    Ok(bytes)
}

/// The level bounds of a packed R-tree of `items` leaves and nodes of `node_size`: for each
/// level from the leaves up, the range of its node indices. `None` when it cannot fit in `len`.
fn level_bounds(items: u64, node_size: u16, len: u64) -> Option<Vec<std::ops::Range<u64>>> {
    if items == 0 || node_size < 2 {
        return None;
    }
    let mut counts = vec![items];
    let mut n = items;
    let mut total = items;
    // At least one level above the leaves, even for a single feature (as the format writes it).
    loop {
        n = n.div_ceil(u64::from(node_size));
        counts.push(n);
        total = total.checked_add(n)?;
        if n == 1 {
            break;
        }
    }
    if total.checked_mul(NODE_BYTES)? > len {
        return None;
    }
    // Stored root first: the last level in `counts` starts at node 0.
    let mut bounds = Vec::with_capacity(counts.len());
    let mut end = total;
    for count in counts {
        bounds.push(end - count..end);
        end -= count;
    }
    Some(bounds)
}

/// Searches the packed R-tree at `index_start` for leaves whose box meets `b`: the features'
/// (position in the file, byte offset in the feature section), in offset order.
fn search(
    r: &mut (impl Read + Seek),
    index_start: u64,
    bounds: &[std::ops::Range<u64>],
    node_size: u16,
    b: Envelope,
) -> Result<Vec<(u64, u64)>, String> {
    let err = |e: std::io::Error| format!("the spatial index is unreadable ({e})");
    let leaves = &bounds[0];
    let mut found = Vec::new();
    let mut queue = std::collections::VecDeque::new();
    queue.push_back((0u64, bounds.len() - 1));
    let mut buf = vec![0u8; usize::from(node_size) * NODE_BYTES as usize];
    while let Some((first, level)) = queue.pop_front() {
        let range = &bounds[level];
        if !range.contains(&first) {
            return Err(format!(
                "the spatial index points outside itself (node {first})"
            ));
        }
        let end = (first + u64::from(node_size)).min(range.end);
        let bytes = &mut buf[..((end - first) * NODE_BYTES) as usize];
        r.seek(SeekFrom::Start(index_start + first * NODE_BYTES))
            .map_err(err)?;
        r.read_exact(bytes).map_err(err)?;
        for (k, node) in bytes.chunks_exact(NODE_BYTES as usize).enumerate() {
            let f = |i: usize| {
                let mut a = [0u8; 8];
                a.copy_from_slice(&node[i * 8..i * 8 + 8]);
                a
            };
            let (min_x, min_y) = (f64::from_le_bytes(f(0)), f64::from_le_bytes(f(1)));
            let (max_x, max_y) = (f64::from_le_bytes(f(2)), f64::from_le_bytes(f(3)));
            let offset = u64::from_le_bytes(f(4));
            if max_x < b.min_x || min_x > b.max_x || max_y < b.min_y || min_y > b.max_y {
                continue;
            }
            if level == 0 {
                found.push((first + k as u64 - leaves.start, offset));
            } else {
                queue.push_back((offset, level - 1));
            }
        }
        if found.len() as u64 > leaves.end - leaves.start {
            return Err("the spatial index names more features than the file has".into());
        }
    }
    found.sort_unstable_by_key(|&(_, offset)| offset);
    Ok(found)
}

/// A column as sitelens reads it.
struct Column {
    name: String,
    kind: ColumnType,
}

fn read(mut r: impl Read + Seek, len: u64, options: &LoadOptions) -> Result<Parsed, String> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| "not a FlatGeobuf file (too short)".to_string())?;
    check_magic(&magic)?;
    let header_bytes = block(&mut r, len - 8, "the header")?;
    let header = flatgeobuf::size_prefixed_root_as_header(&header_bytes)
        .map_err(|e| format!("the header is damaged ({e})"))?;
    let mut warnings = Vec::new();
    let columns: Vec<Column> = header
        .columns()
        .map(|cs| {
            cs.iter()
                .map(|c| Column {
                    name: c.name().to_string(),
                    kind: c.type_(),
                })
                .collect()
        })
        .unwrap_or_default();
    let crs = crs_hint(&header);
    let kind = header.geometry_type();
    let has_z = header.has_z();
    let count = header.features_count();
    let node_size = header.index_node_size();
    let index_start = 8 + header_bytes.len() as u64;
    let bounds = if node_size > 0 && count > 0 {
        Some(
            level_bounds(count, node_size, len - index_start).ok_or_else(|| {
                format!("the header claims {count} features, more than the file can hold")
            })?,
        )
    } else {
        None
    };
    let features_start = index_start
        + bounds.as_ref().map_or(0, |b| {
            b.iter().map(|l| l.end - l.start).sum::<u64>() * NODE_BYTES
        });

    let stated = match &crs {
        CrsHint::Stated { definition, .. } => Some(definition.as_str()),
        _ => None,
    };
    let source_box = options
        .bbox_hint
        .and_then(|b| box_in_source_crs(b, options.crs.as_deref().or(stated)?));
    let mut reader = FeatureReader {
        columns: &columns,
        kind,
        has_z,
        warnings: &mut warnings,
    };
    let mut features = Vec::new();
    // Through the index when there is a box and an index that can be searched; a damaged index
    // is said, and every feature read in sequence instead.
    let hits = match (&bounds, source_box) {
        (Some(bounds), Some(b)) => match search(&mut r, index_start, bounds, node_size, b) {
            Ok(hits) => Some(hits),
            Err(e) => {
                reader.warnings.push(Warning::file(format!(
                    "{e}: the index is not used, every feature is read"
                )));
                None
            }
        },
        _ => None,
    };
    let record_count = match hits {
        Some(hits) => {
            // Where the reader is: the hits come in file order, mostly side by side (the file is
            // Hilbert-sorted), so the reader's buffer is kept across them rather than reset by a
            // seek for each.
            let mut pos = u64::MAX;
            for (record, offset) in hits {
                let at = features_start.checked_add(offset).filter(|&a| a < len);
                let Some(at) = at else {
                    reader.warnings.push(Warning::record(
                        record,
                        "the spatial index points past the end of the file; skipped",
                    ));
                    continue;
                };
                let moved = match at.checked_sub(pos) {
                    Some(gap) => r.seek_relative(gap as i64),
                    None => r.seek(SeekFrom::Start(at)).map(|_| ()),
                };
                moved.map_err(|e| format!("cannot seek to feature {record} ({e})"))?;
                match block(&mut r, len - at, &format!("feature {record}")) {
                    Ok(bytes) => {
                        pos = at + bytes.len() as u64;
                        features.extend(reader.feature(record, &bytes));
                    }
                    Err(e) => {
                        pos = u64::MAX;
                        reader
                            .warnings
                            .push(Warning::record(record, format!("{e}; skipped")));
                    }
                }
            }
            count as usize
        }
        None => {
            r.seek(SeekFrom::Start(features_start))
                .map_err(|e| format!("cannot seek to the features ({e})"))?;
            let mut at = features_start;
            let mut record = 0u64;
            while at < len && (count == 0 || record < count) {
                // A feature that overruns the file ends the read: what came before it is kept.
                let bytes = match block(&mut r, len - at, &format!("feature {record}")) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        reader.warnings.push(Warning::record(
                            record,
                            format!("{e}; the rest of the file ({} bytes) is not read", len - at),
                        ));
                        break;
                    }
                };
                at += bytes.len() as u64;
                features.extend(reader.feature(record, &bytes));
                record += 1;
            }
            if count > 0 && record < count {
                warnings.push(Warning::file(format!(
                    "the header counts {count} features; {record} were read"
                )));
            }
            record as usize
        }
    };
    let fields = fields(&columns, &mut features);
    Ok(Parsed {
        fields,
        features,
        warnings,
        encoding: None,
        crs,
        record_count,
        sample: false,
    })
}

fn crs_hint(header: &flatgeobuf::Header<'_>) -> CrsHint {
    let Some(crs) = header.crs() else {
        return CrsHint::Unstated;
    };
    let stated = |definition: String| CrsHint::Stated {
        definition,
        decided_by: DecidedBy::FlatGeobufHeader,
    };
    let epsg = crs.org().is_none_or(|o| o.eq_ignore_ascii_case("EPSG"));
    if epsg && crs.code() > 0 {
        stated(format!("EPSG:{}", crs.code()))
    } else if let Some(wkt) = crs.wkt().filter(|w| !w.trim().is_empty()) {
        stated(wkt.to_string())
    } else if let (Some(org), Some(code)) = (crs.org(), crs.code_string()) {
        stated(format!("{org}:{code}"))
    } else {
        CrsHint::Unstated
    }
}

/// The fields of the columns: a DateTime column whose every value is a plain date is a date
/// field (what sitelens and GDAL write for dates); Binary columns are not read.
fn fields(columns: &[Column], features: &mut [Feature]) -> Vec<Field> {
    columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let field_type = match c.kind {
                ColumnType::Bool => FieldType::Bool,
                ColumnType::Byte
                | ColumnType::UByte
                | ColumnType::Short
                | ColumnType::UShort
                | ColumnType::Int
                | ColumnType::UInt
                | ColumnType::Long
                | ColumnType::ULong => FieldType::Int,
                ColumnType::Float | ColumnType::Double => FieldType::Float,
                ColumnType::Json => FieldType::Json,
                ColumnType::DateTime => {
                    let dates = features.iter().all(|f| match &f.values[i] {
                        Value::Null => true,
                        Value::Text(s) => crate::model::is_iso_date(s),
                        _ => false,
                    });
                    if dates {
                        for f in features.iter_mut() {
                            if let Value::Text(s) = &mut f.values[i] {
                                f.values[i] = Value::Date(std::mem::take(s));
                            }
                        }
                        FieldType::Date
                    } else {
                        FieldType::Text
                    }
                }
                _ => FieldType::Text,
            };
            Field {
                name: c.name.clone(),
                field_type,
            }
        })
        .collect()
}

struct FeatureReader<'a> {
    columns: &'a [Column],
    kind: GeometryType,
    has_z: bool,
    warnings: &'a mut Vec<Warning>,
}

impl FeatureReader<'_> {
    /// One feature from its flatbuffer; `None` (with a warning) when it is unreadable.
    fn feature(&mut self, record: u64, bytes: &[u8]) -> Option<Feature> {
        let f = match flatgeobuf::size_prefixed_root_as_feature(bytes) {
            Ok(f) => f,
            Err(e) => {
                self.warnings.push(Warning::record(
                    record,
                    format!("unreadable feature ({e}); skipped"),
                ));
                return None;
            }
        };
        let mut values = vec![Value::Null; self.columns.len()];
        if let Some(props) = f.properties()
            && let Err(e) = properties(props.bytes(), self.columns, &mut values)
        {
            self.warnings.push(Warning::record(
                record,
                format!("unreadable attributes ({e}); the rest of them are null"),
            ));
        }
        let mut z = Vec::new();
        let geometry = match f.geometry() {
            None => None,
            Some(g) => match geometry(g, self.kind, self.has_z, &mut z, 0) {
                Ok(g) => g,
                Err(e) => {
                    self.warnings.push(Warning::record(
                        record,
                        format!("unreadable geometry ({e}); geometry set to null"),
                    ));
                    None
                }
            },
        };
        let z = (self.has_z && geometry.is_some() && !z.is_empty()).then(|| z.into_boxed_slice());
        Some(Feature {
            record,
            geometry,
            z,
            values,
        })
    }
}

/// Decodes a feature's properties: (column index u16, value) pairs.
fn properties(bytes: &[u8], columns: &[Column], values: &mut [Value]) -> Result<(), String> {
    let mut pos = 0usize;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = pos
            .checked_add(n)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| format!("cut short at byte {pos}"))?;
        let out = &bytes[*pos..end];
        *pos = end;
        Ok(out)
    };
    macro_rules! num {
        ($t:ty, $pos:expr) => {{
            let b = take($pos, std::mem::size_of::<$t>())?;
            let mut a = [0u8; std::mem::size_of::<$t>()];
            a.copy_from_slice(b);
            <$t>::from_le_bytes(a)
        }};
    }
    while pos < bytes.len() {
        let i = usize::from(num!(u16, &mut pos));
        let column = columns
            .get(i)
            .ok_or_else(|| format!("column {i} of {}", columns.len()))?;
        let v = match column.kind {
            ColumnType::Byte => Value::Int(i64::from(num!(i8, &mut pos))),
            ColumnType::UByte => Value::Int(i64::from(num!(u8, &mut pos))),
            ColumnType::Bool => Value::Bool(num!(u8, &mut pos) != 0),
            ColumnType::Short => Value::Int(i64::from(num!(i16, &mut pos))),
            ColumnType::UShort => Value::Int(i64::from(num!(u16, &mut pos))),
            ColumnType::Int => Value::Int(i64::from(num!(i32, &mut pos))),
            ColumnType::UInt => Value::Int(i64::from(num!(u32, &mut pos))),
            ColumnType::Long => Value::Int(num!(i64, &mut pos)),
            ColumnType::ULong => {
                let v = num!(u64, &mut pos);
                i64::try_from(v).map_or(Value::Float(v as f64), Value::Int)
            }
            ColumnType::Float => Value::Float(f64::from(num!(f32, &mut pos))),
            ColumnType::Double => Value::Float(num!(f64, &mut pos)),
            ColumnType::String | ColumnType::Json | ColumnType::DateTime | ColumnType::Binary => {
                let n = num!(u32, &mut pos) as usize;
                let raw = take(&mut pos, n)?;
                match column.kind {
                    ColumnType::Binary => Value::Null,
                    _ => {
                        let s = std::str::from_utf8(raw)
                            .map_err(|_| format!("column '{}': text is not UTF-8", column.name))?
                            .to_string();
                        if column.kind == ColumnType::Json {
                            Value::Json(s)
                        } else {
                            Value::Text(s)
                        }
                    }
                }
            }
            other => {
                return Err(format!(
                    "column '{}': unknown type {}",
                    column.name, other.0
                ));
            }
        };
        values[i] = v;
    }
    Ok(())
}

/// Converts a FlatGeobuf geometry of `kind` (the header's, else its own); Z values go to `z`.
fn geometry(
    g: flatgeobuf::Geometry<'_>,
    kind: GeometryType,
    has_z: bool,
    z: &mut Vec<f64>,
    depth: usize,
) -> Result<Option<Geometry<f64>>, String> {
    if depth > MAX_DEPTH {
        return Err(format!("collections nested deeper than {MAX_DEPTH}"));
    }
    let kind = if kind == GeometryType::Unknown {
        g.type_()
    } else {
        kind
    };
    let coords = || -> Result<Vec<Coord<f64>>, String> {
        let Some(xy) = g.xy() else {
            return Ok(Vec::new());
        };
        if xy.len() % 2 != 0 {
            return Err("an odd number of coordinate values".into());
        }
        Ok(xy
            .iter()
            .collect::<Vec<f64>>()
            .chunks_exact(2)
            .map(|c| Coord { x: c[0], y: c[1] })
            .collect())
    };
    let take_z = |z: &mut Vec<f64>, n: usize| {
        if has_z && let Some(values) = g.z().filter(|v| v.len() == n) {
            z.extend(values.iter());
        }
    };
    // Splits the coordinates at `ends` (each the end of a part, in coordinates).
    let parts = |coords: Vec<Coord<f64>>| -> Result<Vec<LineString<f64>>, String> {
        let Some(ends) = g.ends().filter(|e| !e.is_empty()) else {
            return Ok(if coords.is_empty() {
                Vec::new()
            } else {
                vec![LineString::new(coords)]
            });
        };
        let mut out = Vec::with_capacity(ends.len().min(coords.len()));
        let mut start = 0usize;
        for end in ends.iter() {
            let end = end as usize;
            if end <= start || end > coords.len() {
                return Err(format!(
                    "part end {end} out of order or past the coordinates"
                ));
            }
            out.push(LineString::new(coords[start..end].to_vec()));
            start = end;
        }
        Ok(out)
    };
    let polygon = |rings: Vec<LineString<f64>>| {
        let mut rings = rings.into_iter();
        rings
            .next()
            .map(|outer| Polygon::new(outer, rings.collect()))
    };
    Ok(match kind {
        GeometryType::Point => {
            let c = coords()?;
            take_z(z, c.len());
            c.first()
                .filter(|c| !(c.x.is_nan() && c.y.is_nan()))
                .map(|&c| Point(c).into())
        }
        GeometryType::MultiPoint => {
            let c = coords()?;
            take_z(z, c.len());
            (!c.is_empty()).then(|| MultiPoint::new(c.into_iter().map(Point).collect()).into())
        }
        GeometryType::LineString => {
            let c = coords()?;
            take_z(z, c.len());
            (!c.is_empty()).then(|| LineString::new(c).into())
        }
        GeometryType::MultiLineString => {
            let c = coords()?;
            take_z(z, c.len());
            let lines = parts(c)?;
            (!lines.is_empty()).then(|| MultiLineString::new(lines).into())
        }
        GeometryType::Polygon => {
            let c = coords()?;
            take_z(z, c.len());
            polygon(parts(c)?).map(Geometry::Polygon)
        }
        GeometryType::MultiPolygon => {
            let mut polygons = Vec::new();
            for part in g.parts().iter().flatten() {
                match geometry(part, GeometryType::Polygon, has_z, z, depth + 1)? {
                    Some(Geometry::Polygon(p)) => polygons.push(p),
                    Some(_) => return Err("a multipolygon part is not a polygon".into()),
                    None => {}
                }
            }
            (!polygons.is_empty()).then(|| MultiPolygon::new(polygons).into())
        }
        GeometryType::GeometryCollection => {
            let mut members = Vec::new();
            for part in g.parts().iter().flatten() {
                members.extend(geometry(part, GeometryType::Unknown, has_z, z, depth + 1)?);
            }
            (!members.is_empty())
                .then(|| Geometry::GeometryCollection(GeometryCollection::new_from(members)))
        }
        other => {
            return Err(format!(
                "geometry type {} is not read (points, lines, polygons and their collections are)",
                other.variant_name().unwrap_or("unknown")
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_bounds_match_the_packed_layout_and_refuse_what_cannot_fit() {
        // 5 items, nodes of 2: levels of 5, 3, 2, 1 nodes, root first.
        let b = level_bounds(5, 2, 1 << 20).unwrap();
        assert_eq!(b, vec![6..11, 3..6, 1..3, 0..1]);
        // One feature: a leaf and a root.
        assert_eq!(level_bounds(1, 16, 1 << 20).unwrap(), vec![1..2, 0..1]);
        assert!(level_bounds(u64::MAX, 16, u64::MAX).is_none());
        assert!(level_bounds(1_000_000, 16, 1000).is_none());
        assert!(level_bounds(0, 16, 1000).is_none());
    }

    #[test]
    fn properties_decode_and_a_bad_index_is_an_error() {
        let columns = vec![
            Column {
                name: "名称".into(),
                kind: ColumnType::String,
            },
            Column {
                name: "n".into(),
                kind: ColumnType::Int,
            },
        ];
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&0u16.to_le_bytes());
        bytes.extend_from_slice(&(6u32).to_le_bytes());
        bytes.extend_from_slice("日野".as_bytes());
        bytes.extend_from_slice(&1u16.to_le_bytes());
        bytes.extend_from_slice(&(-7i32).to_le_bytes());
        let mut values = vec![Value::Null; 2];
        properties(&bytes, &columns, &mut values).unwrap();
        assert_eq!(values, vec![Value::Text("日野".into()), Value::Int(-7)]);
        bytes.extend_from_slice(&9u16.to_le_bytes());
        assert!(properties(&bytes, &columns, &mut values).is_err());
        // A string longer than what is left.
        let mut cut = 0u16.to_le_bytes().to_vec();
        cut.extend_from_slice(&u32::MAX.to_le_bytes());
        assert!(
            properties(&cut, &columns, &mut values)
                .unwrap_err()
                .contains("cut short")
        );
    }
}
