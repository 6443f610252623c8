//! ESRI Shapefile: .shp geometry (every shape type, Z kept, M dropped), .shx index (optional:
//! without it records are read in sequence), .dbf attributes (optional), .prj CRS, .cpg encoding.
//! Reads what the file holds when its header says otherwise.

use std::collections::HashMap;
use std::io::Cursor;

use geo_types::{
    Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon,
};
use shapefile::record::multipatch::Patch;
use shapefile::{PointM, PointZ, Shape, ShapeReader};

use super::{Input, LoadOptions, Loader, Parsed, box_in_source_crs, dbf, rings};
use crate::crs::{self, CrsHint, DecidedBy};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{Envelope, Feature, Format, Value, Warning};

pub struct ShapefileLoader;

impl Loader for ShapefileLoader {
    fn format(&self) -> Format {
        Format::Shapefile
    }

    fn extensions(&self) -> &'static [&'static str] {
        &["shp", "dbf"]
    }

    fn check_head(&self, ext: &str, head: &[u8]) -> Result<(), String> {
        if ext == "shp" && head.len() >= 4 {
            let code = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            if code != 9994 {
                return Err(format!("not a shapefile: file code {code}, expected 9994"));
            }
        }
        Ok(())
    }

    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError> {
        let path = input.display();
        let mut warnings = Vec::new();
        // A bare .dbf is an attribute table: features without geometry.
        let table_only = input.extension() == "dbf";
        let crs = prj_hint(input)?;
        let shapes = if table_only {
            ShapesRead::default()
        } else {
            let stated = match &crs {
                CrsHint::Stated { definition, .. } => Some(definition.as_str()),
                _ => None,
            };
            let source_box =
                options
                    .bbox_hint
                    .and_then(|b| match options.crs.as_deref().or(stated) {
                        Some(definition) => box_in_source_crs(b, definition),
                        // No CRS stated: the loader will read coordinates that fit as lon/lat.
                        None => header_box(&input.bytes)
                            .filter(|h| crs::looks_like_lon_lat(*h))
                            .map(|_| b),
                    });
            read_shapes(input, &mut warnings, source_box)?
        };
        let dbf = if table_only {
            Some(input.bytes.clone())
        } else {
            input.sibling("dbf")?
        };
        let only: Option<Vec<usize>> = shapes
            .selective
            .then(|| shapes.items.iter().map(|(i, _)| *i).collect());

        let (fields, rows, encoding, dbf_records) = match dbf {
            Some(bytes) => {
                let cpg = input.sibling("cpg")?;
                let table = dbf::read(
                    &bytes,
                    cpg.as_deref(),
                    options.encoding.as_deref(),
                    only.as_deref(),
                )
                .map_err(|e| {
                    LoadError::new(&path.with_extension("dbf"), LoadErrorKind::Invalid(e))
                })?;
                warnings.extend(table.warnings);
                (
                    table.fields,
                    table.rows,
                    Some(table.encoding),
                    table.record_count,
                )
            }
            None => {
                warnings.push(Warning::file(
                    "no .dbf beside the .shp: features have no attributes",
                ));
                (Vec::new(), Vec::new(), None, 0)
            }
        };
        if encoding.is_some() && !table_only && dbf_records != shapes.total {
            warnings.push(Warning::file(format!(
                "the .shp holds {} shapes and the .dbf {} records; the shorter one is padded with nulls",
                shapes.total, dbf_records
            )));
        }

        let width = fields.len();
        let record_count = shapes.total.max(dbf_records);
        let features: Vec<Feature> = if shapes.selective {
            let mut rows = rows.into_iter();
            shapes
                .items
                .into_iter()
                .map(|(i, (geometry, z))| Feature {
                    record: i as u64,
                    geometry,
                    z,
                    values: rows.next().unwrap_or_else(|| vec![Value::Null; width]),
                })
                .collect()
        } else {
            let mut shapes = shapes.items.into_iter().map(|(_, s)| s);
            let mut rows = rows.into_iter();
            (0..record_count)
                .map(|i| {
                    let (geometry, z) = shapes.next().unwrap_or((None, None));
                    let values = rows.next().unwrap_or_else(|| vec![Value::Null; width]);
                    Feature {
                        record: i as u64,
                        geometry,
                        z,
                        values,
                    }
                })
                .collect()
        };
        Ok(Parsed {
            fields,
            features,
            warnings,
            encoding,
            crs,
            record_count,
            sample: false,
        })
    }
}

/// The CRS the .prj states, if there is one.
pub(super) fn prj_hint(input: &Input) -> Result<CrsHint, LoadError> {
    Ok(match input.sibling("prj")? {
        Some(prj) => {
            let wkt = String::from_utf8_lossy(&prj)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string();
            if wkt.is_empty() {
                CrsHint::Unstated
            } else {
                CrsHint::Stated {
                    definition: wkt,
                    decided_by: DecidedBy::Prj,
                }
            }
        }
        None => CrsHint::Unstated,
    })
}

/// The bounding box in the .shp header.
fn header_box(shp: &[u8]) -> Option<Envelope> {
    let v = |at: usize| Some(f64::from_le_bytes(shp.get(at..at + 8)?.try_into().ok()?));
    Some(Envelope::new(v(36)?, v(44)?, v(52)?, v(60)?))
}

pub(super) type ShapeOut = (Option<Geometry<f64>>, Option<Box<[f64]>>);

/// Shapes read from the .shp, each with its record number.
#[derive(Default)]
struct ShapesRead {
    items: Vec<(usize, ShapeOut)>,
    /// Records in the file.
    total: usize,
    /// Only the records whose stored box meets the bbox hint were read.
    selective: bool,
}

/// Reads the shapes; a bad record becomes a null geometry with a warning. With `source_box` and
/// an .shx, records whose stored bounding box misses it are not decoded at all.
fn read_shapes(
    input: &Input,
    warnings: &mut Vec<Warning>,
    source_box: Option<Envelope>,
) -> Result<ShapesRead, LoadError> {
    let path = input.display();
    let invalid = |m: String| LoadError::new(&path, LoadErrorKind::Invalid(m));
    let bytes = &input.bytes;
    if bytes.len() < 100 {
        return Err(invalid(format!(
            "not a shapefile: {} bytes, less than the 100-byte header",
            bytes.len()
        )));
    }
    let file_code = i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if file_code != 9994 {
        return Err(invalid(format!(
            "not a shapefile: file code {file_code}, expected 9994"
        )));
    }
    // Read what is there: make the header's file length (16-bit words) the real one.
    let declared = u32::from_be_bytes([bytes[24], bytes[25], bytes[26], bytes[27]]) as usize * 2;
    let fixed;
    let shp: &[u8] = if declared != bytes.len() {
        warnings.push(Warning::file(format!(
            ".shp header says {declared} bytes, the file has {}; read what is there",
            bytes.len()
        )));
        let mut copy = bytes.clone();
        let words = u32::try_from(bytes.len() / 2).unwrap_or(u32::MAX);
        copy[24..28].copy_from_slice(&words.to_be_bytes());
        fixed = copy;
        &fixed
    } else {
        bytes
    };

    let shx = input.sibling("shx")?;
    let indexed = match &shx {
        Some(shx) => match ShapeReader::with_shx(Cursor::new(shp), Cursor::new(shx.as_slice())) {
            Ok(r) => Some(r),
            Err(e) => {
                warnings.push(Warning::file(format!(
                    ".shx unusable ({e}); records read in sequence"
                )));
                None
            }
        },
        None => {
            warnings.push(Warning::file(
                "no .shx beside the .shp: records read in sequence",
            ));
            None
        }
    };
    let sequential = indexed.is_none();
    let mut reader = match indexed {
        Some(r) => r,
        None => ShapeReader::new(Cursor::new(shp))
            .map_err(|e| invalid(format!("unreadable .shp header: {e}")))?,
    };

    let mut out = ShapesRead::default();
    let push = |i: usize, shape: Shape, out: &mut ShapesRead, warnings: &mut Vec<Warning>| {
        let mut notes = Vec::new();
        let converted = convert(shape, &mut notes);
        for note in notes {
            warnings.push(Warning::record(i as u64, note));
        }
        out.items.push((i, converted));
    };

    if let (Some(b), Some(shx)) = (source_box, shx.as_deref().filter(|_| !sequential)) {
        let offsets = shx_offsets(shx);
        out.total = offsets.len();
        out.selective = true;
        for (i, offset) in offsets.into_iter().enumerate() {
            if !record_may_meet(shp, offset, b) {
                continue;
            }
            match reader.read_nth_shape(i) {
                Some(Ok(shape)) => push(i, shape, &mut out, warnings),
                Some(Err(e)) => {
                    warnings.push(Warning::record(
                        i as u64,
                        format!("unreadable shape ({e}); geometry set to null"),
                    ));
                    out.items.push((i, (None, None)));
                }
                None => break,
            }
        }
        return Ok(out);
    }

    for (i, shape) in reader.iter_shapes().enumerate() {
        out.total = i + 1;
        match shape {
            Ok(shape) => push(i, shape, &mut out, warnings),
            Err(e) => {
                let at_end = matches!(&e, shapefile::Error::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof);
                if sequential || at_end {
                    warnings.push(Warning::record(
                        i as u64,
                        format!(
                            "unreadable ({e}); the rest of the .shp ({} bytes) is ignored",
                            shp.len()
                        ),
                    ));
                    out.total = i;
                    break;
                }
                warnings.push(Warning::record(
                    i as u64,
                    format!("unreadable shape ({e}); geometry set to null"),
                ));
                out.items.push((i, (None, None)));
            }
        }
    }
    Ok(out)
}

/// Byte offsets of the records listed in an .shx.
fn shx_offsets(shx: &[u8]) -> Vec<usize> {
    shx.get(100..)
        .unwrap_or_default()
        .chunks_exact(8)
        .map(|e| u32::from_be_bytes([e[0], e[1], e[2], e[3]]) as usize * 2)
        .collect()
}

/// Whether the record at `offset` may intersect `b`, judged from its stored point or bounding
/// box. Null shapes never do; a record too short to tell is kept (the decoder reports it).
pub(super) fn record_may_meet(shp: &[u8], offset: usize, b: Envelope) -> bool {
    let f64_at = |at: usize| {
        shp.get(at..at + 8)
            .map(|s| f64::from_le_bytes(s.try_into().unwrap_or([0; 8])))
    };
    let Some(kind) = shp
        .get(offset + 8..offset + 12)
        .map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    else {
        return true;
    };
    let corners = match kind {
        0 => return false,
        1 | 11 | 21 => (
            f64_at(offset + 12),
            f64_at(offset + 20),
            f64_at(offset + 12),
            f64_at(offset + 20),
        ),
        _ => (
            f64_at(offset + 12),
            f64_at(offset + 20),
            f64_at(offset + 28),
            f64_at(offset + 36),
        ),
    };
    match corners {
        (Some(x0), Some(y0), Some(x1), Some(y1)) => {
            !(x1 < b.min_x || x0 > b.max_x || y1 < b.min_y || y0 > b.max_y)
        }
        _ => true,
    }
}

trait Xyz {
    fn xy(&self) -> Coord<f64>;
    fn z(&self) -> Option<f64>;
}

impl Xyz for shapefile::Point {
    fn xy(&self) -> Coord<f64> {
        Coord {
            x: self.x,
            y: self.y,
        }
    }
    fn z(&self) -> Option<f64> {
        None
    }
}

impl Xyz for PointM {
    fn xy(&self) -> Coord<f64> {
        Coord {
            x: self.x,
            y: self.y,
        }
    }
    fn z(&self) -> Option<f64> {
        None
    }
}

impl Xyz for PointZ {
    fn xy(&self) -> Coord<f64> {
        Coord {
            x: self.x,
            y: self.y,
        }
    }
    fn z(&self) -> Option<f64> {
        Some(self.z)
    }
}

/// Z values in the coordinate order of `geometry`, looked up by position (ring assembly may
/// reorder rings, so Z cannot simply be carried along).
fn z_for<P: Xyz>(
    points: impl Iterator<Item = P>,
    geometry: &Option<Geometry<f64>>,
) -> Option<Box<[f64]>> {
    use geo::CoordsIter;
    let mut by_xy: HashMap<(u64, u64), f64> = HashMap::new();
    for p in points {
        let c = p.xy();
        by_xy.insert((c.x.to_bits(), c.y.to_bits()), p.z()?);
    }
    let geometry = geometry.as_ref()?;
    geometry
        .coords_iter()
        .map(|c| by_xy.get(&(c.x.to_bits(), c.y.to_bits())).copied())
        .collect::<Option<Vec<f64>>>()
        .map(Vec::into_boxed_slice)
}

fn point<P: Xyz + Clone>(p: &P) -> ShapeOut {
    let g = Some(Geometry::Point(Point(p.xy())));
    let z = z_for(std::iter::once(p.clone()), &g);
    (g, z)
}

fn multipoint<P: Xyz + Clone>(points: &[P]) -> ShapeOut {
    let g = (!points.is_empty())
        .then(|| MultiPoint(points.iter().map(|p| Point(p.xy())).collect()).into());
    let z = z_for(points.iter().cloned(), &g);
    (g, z)
}

fn polyline<P: Xyz + Clone>(parts: &[Vec<P>], notes: &mut Vec<String>) -> ShapeOut {
    let mut lines: Vec<LineString<f64>> = Vec::with_capacity(parts.len());
    for (k, part) in parts.iter().enumerate() {
        if part.len() < 2 {
            notes.push(format!(
                "line part {k} has {} point(s); dropped",
                part.len()
            ));
            continue;
        }
        lines.push(part.iter().map(Xyz::xy).collect());
    }
    let g = match lines.len() {
        0 => None,
        1 => lines.pop().map(Geometry::LineString),
        _ => Some(MultiLineString(lines).into()),
    };
    let z = z_for(parts.iter().flatten().cloned(), &g);
    (g, z)
}

fn polygon<P: Xyz + Clone>(ring_points: Vec<&[P]>, notes: &mut Vec<String>) -> ShapeOut {
    let rings = ring_points
        .iter()
        .map(|r| r.iter().map(Xyz::xy).collect())
        .collect();
    let g = rings::assemble(rings, notes);
    let z = z_for(ring_points.into_iter().flatten().cloned(), &g);
    (g, z)
}

/// A MultiPatch as polygons: triangle strips and fans as triangles, rings grouped as polygons.
fn multipatch(patches: &[Patch], notes: &mut Vec<String>) -> ShapeOut {
    let mut polygons: Vec<Polygon<f64>> = Vec::new();
    let mut rings: Vec<Vec<Coord<f64>>> = Vec::new();
    let flush = |rings: &mut Vec<Vec<Coord<f64>>>,
                 polygons: &mut Vec<Polygon<f64>>,
                 notes: &mut Vec<String>| {
        match rings::assemble(std::mem::take(rings), notes) {
            Some(Geometry::Polygon(p)) => polygons.push(p),
            Some(Geometry::MultiPolygon(mp)) => polygons.extend(mp.0),
            _ => {}
        }
    };
    for patch in patches {
        let pts: Vec<Coord<f64>> = patch.points().iter().map(Xyz::xy).collect();
        match patch {
            Patch::TriangleStrip(_) => {
                for w in pts.windows(3) {
                    polygons.push(Polygon::new(
                        LineString::from(vec![w[0], w[1], w[2], w[0]]),
                        vec![],
                    ));
                }
            }
            Patch::TriangleFan(_) => {
                for k in 1..pts.len().saturating_sub(1) {
                    polygons.push(Polygon::new(
                        LineString::from(vec![pts[0], pts[k], pts[k + 1], pts[0]]),
                        vec![],
                    ));
                }
            }
            Patch::OuterRing(_) | Patch::FirstRing(_) => {
                flush(&mut rings, &mut polygons, notes);
                rings.push(pts);
            }
            Patch::InnerRing(_) | Patch::Ring(_) => rings.push(pts),
        }
    }
    flush(&mut rings, &mut polygons, notes);
    let g = match polygons.len() {
        0 => None,
        1 => polygons.pop().map(Geometry::Polygon),
        _ => Some(MultiPolygon(polygons).into()),
    };
    let z = z_for(patches.iter().flat_map(|p| p.points().iter().cloned()), &g);
    (g, z)
}

pub(super) fn convert(shape: Shape, notes: &mut Vec<String>) -> ShapeOut {
    match shape {
        Shape::NullShape => (None, None),
        Shape::Point(p) => point(&p),
        Shape::PointM(p) => point(&p),
        Shape::PointZ(p) => point(&p),
        Shape::Multipoint(m) => multipoint(m.points()),
        Shape::MultipointM(m) => multipoint(m.points()),
        Shape::MultipointZ(m) => multipoint(m.points()),
        Shape::Polyline(l) => polyline(l.parts(), notes),
        Shape::PolylineM(l) => polyline(l.parts(), notes),
        Shape::PolylineZ(l) => polyline(l.parts(), notes),
        Shape::Polygon(p) => polygon(p.rings().iter().map(|r| r.points()).collect(), notes),
        Shape::PolygonM(p) => polygon(p.rings().iter().map(|r| r.points()).collect(), notes),
        Shape::PolygonZ(p) => polygon(p.rings().iter().map(|r| r.points()).collect(), notes),
        Shape::Multipatch(m) => multipatch(m.patches(), notes),
    }
}
