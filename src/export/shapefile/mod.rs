//! ESRI Shapefile export: .shp, .shx, .dbf, .prj and .cpg written together
//! ([`crate::write::atomic_write_set`]), in the job's CRS, one geometry kind per file.
//!
//! The features' kinds decide the shape type: points (Point, or MultiPoint when any feature has
//! several), lines (PolyLine) or polygons (Polygon), with Z when a feature has Z. Features that
//! mix kinds, or a GeometryCollection, are refused unless a kind is chosen; then features of
//! other kinds are left out (and counted in [`Written::notes`]) and a collection keeps its
//! members of that kind. Features without geometry are null shapes. Coordinates are doubles as
//! they come out of the CRS, not rounded (the precision is for the text formats, as for
//! GeoPackage and FlatGeobuf). Sizes are computed before anything is written, so a file past the
//! format's 2 GiB is refused up front.
//!
//! Written here rather than with the `shapefile` crate's writer, which cannot put a null shape
//! in a file of another type (it refuses the mismatch), writes no header for a file without
//! shapes, and finalizes in `Drop`, where an I/O error is lost. The .dbf is ours too
//! ([`dbf`]): names and text are cut in the chosen encoding, and CP932 errors are ours to report.

mod dbf;
mod shp;

use std::collections::BTreeMap;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use geo_types::Geometry;

use super::{Chunks, DbfEncoding, ExportError, GeometryKind, Job, Section, Written};
use crate::model::Feature;
use crate::write::atomic_write_set;
use shp::{Bounds, Layout};

/// A .shp or .dbf larger than this is refused: offsets and lengths are signed 32-bit counts of
/// 16-bit words, and ESRI's readers stop at 2 GiB.
const MAX_FILE_BYTES: u64 = 1 << 31;

/// Writes the job's Shapefile from `chunks`, which hands over the features of `job.sections`
/// in order, as often as asked: three times (what goes in, its shape type and the .dbf's
/// types; the sizes; the records).
pub(super) fn write_chunks(job: &Job<'_>, chunks: &Chunks<'_>) -> Result<Written, ExportError> {
    let refused = |message: String| ExportError::Refused {
        path: job.target.to_path_buf(),
        message,
    };
    let kinds_error = |message: String| ExportError::GeometryKinds {
        path: job.target.to_path_buf(),
        message,
    };
    let wanted = job.options.geometry_type;
    let encoding = job.options.dbf_encoding;
    let mut chooser = Chooser::new(wanted);
    let mut planner = dbf::Planner::new(job.sections, encoding);
    chunks(None, &mut |i, s| {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            if chooser.add(s, f).map_err(kinds_error)? {
                planner.types(i, &f.values);
            }
        }
        Ok(())
    })?;
    let choice = chooser.finish().map_err(kinds_error)?;
    let layout = choice.layout;

    let mut shp_len = 100u64;
    chunks(None, &mut |i, s| {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            if keeps(f, wanted) {
                planner
                    .sizes(i, &s.layer.name, f.record, &f.values)
                    .map_err(refused)?;
                // In the working CRS: reprojection keeps the counts, which is all sizes need.
                shp_len += 8 + layout.content_len(&record_parts(f.geometry.as_ref(), layout));
            }
        }
        Ok(())
    })?;
    let table = planner.finish().map_err(refused)?;
    let records = choice.kept as u64;
    let shx_len = 100 + 8 * records;
    let dbf_len = table.file_len(records);
    check_size(".shp", shp_len).map_err(refused)?;
    check_size(".dbf", dbf_len).map_err(refused)?;
    let count = u32::try_from(records).map_err(|_| refused("too many records".into()))?;

    let targets = sidecars(job.target);
    let crs = job.crs;
    let today = day_of(&job.options.stamp());
    // A geometry PROJ cannot move is reported with its layer and record, not as an I/O error.
    let mut failed: Option<ExportError> = None;
    let result = atomic_write_set(&targets, job.protected, |files| {
        let [shp, shx, dbf, prj, cpg] = files else {
            return Err(io::Error::other("a Shapefile is five files"));
        };
        shp::header(shp, shp_len, layout, &Bounds::default())?;
        shp::header(shx, shx_len, layout, &Bounds::default())?;
        table.write_header(dbf, count, today)?;
        let mut bounds = Bounds::default();
        let mut offset = 100;
        let mut buf = Vec::new();
        let mut n = 0u32;
        let mut io_failed: Option<io::Error> = None;
        let written = chunks(None, &mut |i, s| {
            for &id in &s.ids {
                let f = &s.layer.features[id];
                if !keeps(f, wanted) {
                    continue;
                }
                let geometry = crs.feature(&s.layer.name, f).map_err(refused)?;
                let parts = record_parts(geometry.as_deref(), layout);
                let mut put = || -> io::Result<()> {
                    n = n
                        .checked_add(1)
                        .ok_or_else(|| io::Error::other("too many records"))?;
                    let len = shp::record(shp, n, layout, &parts, f.z.as_deref(), &mut bounds)?;
                    shp::index_entry(shx, offset, len)?;
                    offset += 8 + len;
                    table.write_record(dbf, i, &f.values, &mut buf)
                };
                if let Err(e) = put() {
                    let message = e.to_string();
                    io_failed = Some(e);
                    return Err(refused(message));
                }
            }
            Ok(())
        });
        if let Err(e) = written {
            // The disk's failure is said as the write's; the data's (a geometry that does not
            // reproject, a spilled feature that does not read back) as itself.
            if let Some(io) = io_failed.take() {
                return Err(io);
            }
            let message = e.to_string();
            failed = Some(e);
            return Err(io::Error::other(message));
        }
        dbf.write_all(&[0x1A])?;
        if offset != shp_len {
            return Err(io::Error::other(format!(
                ".shp came to {offset} bytes, {shp_len} were planned"
            )));
        }
        // The headers again, now with the extent.
        shp.seek(SeekFrom::Start(0))?;
        shp::header(shp, shp_len, layout, &bounds)?;
        shx.seek(SeekFrom::Start(0))?;
        shp::header(shx, shx_len, layout, &bounds)?;
        shx.seek(SeekFrom::End(0))?;
        shp.seek(SeekFrom::End(0))?;
        prj.write_all(crs.wkt_esri.as_bytes())?;
        cpg.write_all(match encoding {
            DbfEncoding::Utf8 => b"UTF-8",
            // What GDAL 3.6 writes for CP932 (its reader takes "CP932" and "932" alike).
            DbfEncoding::Cp932 => b"CP932",
        })
    });
    if let Some(e) = failed {
        return Err(e);
    }
    result?;
    let mut notes = choice.notes;
    notes.extend(table.notes);
    Ok(Written {
        features: choice.kept,
        files: targets,
        renamed: table.renamed,
        notes,
    })
}

/// What goes into the file, decided: how many features, the shape type (its kind `None`: no
/// feature has a geometry), and what was left out.
#[derive(Debug)]
struct Choice {
    kept: usize,
    layout: Layout,
    notes: Vec<String>,
}

/// Whether feature `f` goes into a file of the `wanted` kind (any kind when `None`: then the
/// [`Chooser`] has made sure they share one). The same answer in every pass.
fn keeps(f: &Feature, wanted: Option<GeometryKind>) -> bool {
    match (&f.geometry, wanted) {
        (None, _) | (Some(_), None) => true,
        (Some(g @ Geometry::GeometryCollection(_)), Some(kind)) => !shp::parts(g, kind).is_empty(),
        (Some(g), Some(kind)) => GeometryKind::of(g) == Some(kind),
    }
}

/// Decides, feature by feature, what goes into the file: all the features when they share a
/// kind, those of `wanted` when one is named. Its errors say which kinds were found, or which
/// record is a collection.
struct Chooser {
    wanted: Option<GeometryKind>,
    kept: usize,
    counts: BTreeMap<&'static str, usize>,
    found: Option<GeometryKind>,
    mixed: bool,
    left_out: BTreeMap<&'static str, usize>,
    members_left_out: BTreeMap<&'static str, usize>,
    /// Of the features kept: whether all are single points (or none), whether any has Z.
    single_points: bool,
    z: bool,
}

impl Chooser {
    fn new(wanted: Option<GeometryKind>) -> Self {
        Chooser {
            wanted,
            kept: 0,
            counts: BTreeMap::new(),
            found: None,
            mixed: false,
            left_out: BTreeMap::new(),
            members_left_out: BTreeMap::new(),
            single_points: true,
            z: false,
        }
    }

    /// Whether `f` (of section `s`) goes in.
    fn add(&mut self, s: &Section<'_>, f: &Feature) -> Result<bool, String> {
        match (&f.geometry, self.wanted) {
            (Some(g @ Geometry::GeometryCollection(_)), Some(kind)) => {
                if keeps(f, self.wanted) {
                    other_members(g, kind, &mut self.members_left_out);
                } else {
                    *self.left_out.entry("geometry collection").or_default() += 1;
                }
            }
            (Some(Geometry::GeometryCollection(_)), None) => {
                return Err(format!(
                    "layer {}, record {} is a GeometryCollection, and a Shapefile holds one \
                     geometry kind: choose the kind of its members to keep",
                    s.layer.name, f.record
                ));
            }
            (Some(g), Some(kind)) => {
                let of = GeometryKind::of(g);
                if of != Some(kind) {
                    *self
                        .left_out
                        .entry(of.map_or("geometry collection", GeometryKind::name))
                        .or_default() += 1;
                }
            }
            (Some(g), None) => {
                if let Some(kind) = GeometryKind::of(g) {
                    *self.counts.entry(kind.name()).or_default() += 1;
                    self.mixed |= self.found.is_some_and(|k| k != kind);
                    self.found = Some(kind);
                }
            }
            (None, _) => {}
        }
        let keep = keeps(f, self.wanted);
        if keep {
            self.kept += 1;
            self.single_points &= matches!(f.geometry, None | Some(Geometry::Point(_)));
            self.z |= f.geometry.is_some() && f.z.is_some();
        }
        Ok(keep)
    }

    fn finish(self) -> Result<Choice, String> {
        if self.mixed {
            return Err(format!(
                "a Shapefile holds one geometry kind, and these features have {}: choose the \
                 kind to keep",
                listing(&self.counts, "feature")
            ));
        }
        let mut notes = Vec::new();
        if let Some(kind) = self.wanted {
            if !self.left_out.is_empty() {
                let total: usize = self.left_out.values().sum();
                notes.push(format!(
                    "{total} feature(s) left out, not {}s: {}",
                    kind.name(),
                    listing(&self.left_out, "feature")
                ));
            }
            if !self.members_left_out.is_empty() {
                notes.push(format!(
                    "geometry collections kept their {}s only; left out: {}",
                    kind.name(),
                    listing(&self.members_left_out, "member")
                ));
            }
        }
        let kind = self.wanted.or(self.found);
        Ok(Choice {
            kept: self.kept,
            layout: Layout {
                kind,
                single_points: kind == Some(GeometryKind::Point) && self.single_points,
                z: self.z,
            },
            notes,
        })
    }
}

/// Counts the members of collection `g` that are not of `kind`, by kind.
fn other_members(
    g: &Geometry<f64>,
    kind: GeometryKind,
    counts: &mut BTreeMap<&'static str, usize>,
) {
    match g {
        Geometry::GeometryCollection(gc) => {
            for member in gc {
                other_members(member, kind, counts);
            }
        }
        g => {
            if let Some(other) = GeometryKind::of(g).filter(|&k| k != kind) {
                *counts.entry(other.name()).or_default() += 1;
            }
        }
    }
}

/// "57 point, 3 line and 1 polygon features" (`what`: "feature").
fn listing(counts: &BTreeMap<&'static str, usize>, what: &str) -> String {
    let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let text = match parts.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    let total: usize = counts.values().sum();
    format!("{text} {what}{}", if total == 1 { "" } else { "s" })
}

/// The parts a record of this layout holds of a geometry (none: a null shape).
fn record_parts(g: Option<&Geometry<f64>>, layout: Layout) -> Vec<shp::Part<'_>> {
    match (g, layout.kind) {
        (Some(g), Some(kind)) => shp::parts(g, kind),
        _ => Vec::new(),
    }
}

/// Refuses a file of `bytes` past [`MAX_FILE_BYTES`].
fn check_size(what: &str, bytes: u64) -> Result<(), String> {
    if bytes > MAX_FILE_BYTES {
        return Err(format!(
            "the {what} would be {:.2} GiB, and a Shapefile's files stop at 2 GiB: export fewer \
             features or fields, or write .gpkg or .fgb",
            bytes as f64 / (1u64 << 30) as f64
        ));
    }
    Ok(())
}

/// The five files, named after `target` (upper-case extensions when it has one).
fn sidecars(target: &Path) -> Vec<PathBuf> {
    let upper = target
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.chars().all(|c| c.is_ascii_uppercase()));
    ["shp", "shx", "dbf", "prj", "cpg"]
        .into_iter()
        .map(|ext| {
            if upper {
                target.with_extension(ext.to_ascii_uppercase())
            } else {
                target.with_extension(ext)
            }
        })
        .collect()
}

/// Today's (year, month, day) in UTC, for the .dbf header.
/// (year, month, day) of an RFC 3339 time, for the .dbf header's date of last update.
fn day_of(stamp: &str) -> (u32, u8, u8) {
    let field = |r: std::ops::Range<usize>| stamp.get(r).and_then(|s| s.parse().ok());
    (
        field(0..4).unwrap_or(1970),
        field(5..7).unwrap_or(1) as u8,
        field(8..10).unwrap_or(1) as u8,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{CrsInfo, DecidedBy};
    use crate::export::Profile;
    use crate::model::{Feature, Field, FieldType, Format, Layer, Source, Value};
    use geo_types::{LineString, Point};

    fn layer(geometries: Vec<Option<Geometry<f64>>>) -> Layer {
        let features = geometries
            .into_iter()
            .enumerate()
            .map(|(i, geometry)| Feature {
                record: i as u64,
                geometry,
                z: None,
                values: vec![Value::Int(i as i64)],
            })
            .collect();
        let source = Source {
            path: "t.geojson".into(),
            member: None,
            format: Format::GeoJson,
            encoding: None,
            crs: CrsInfo::wgs84(DecidedBy::User),
            record_count: 0,
        };
        let fields = vec![Field {
            name: "n".into(),
            field_type: FieldType::Int,
        }];
        Layer::new("t".into(), source, fields, features, Vec::new())
    }

    fn section(layer: &Layer) -> Section<'_> {
        Section::new(
            layer,
            (0..layer.features.len()).collect(),
            Profile::Internal,
            Vec::new(),
        )
    }

    /// The choice over `sections`, as the first pass makes it.
    fn choose(sections: &[Section<'_>], wanted: Option<GeometryKind>) -> Result<Choice, String> {
        let mut chooser = Chooser::new(wanted);
        for s in sections {
            for &id in &s.ids {
                chooser.add(s, &s.layer.features[id])?;
            }
        }
        chooser.finish()
    }

    #[test]
    fn mixed_kinds_are_named_with_counts_unless_one_is_chosen() {
        let line: Geometry<f64> = LineString::from(vec![(0.0, 0.0), (1.0, 1.0)]).into();
        let l = layer(vec![
            Some(Point::new(1.0, 2.0).into()),
            Some(line.clone()),
            None,
            Some(Point::new(3.0, 4.0).into()),
        ]);
        let sections = [section(&l)];
        let e = choose(&sections, None).unwrap_err();
        assert!(e.contains("1 line and 2 point features"), "{e}");
        let points = choose(&sections, Some(GeometryKind::Point)).unwrap();
        // The two points and the feature without geometry.
        assert_eq!(points.kept, 3);
        assert_eq!(
            points.notes,
            ["1 feature(s) left out, not points: 1 line feature"]
        );
        assert!(points.layout.single_points && points.layout.code() == 1);
        let gc = layer(vec![Some(Geometry::GeometryCollection(
            geo_types::GeometryCollection(vec![line.clone(), line, Point::new(0.0, 0.0).into()]),
        ))]);
        let sections = [section(&gc)];
        let e = choose(&sections, None).unwrap_err();
        assert!(e.contains("record 0 is a GeometryCollection"), "{e}");
        let lines = choose(&sections, Some(GeometryKind::Line)).unwrap();
        assert_eq!(lines.kept, 1);
        assert_eq!(
            lines.notes,
            ["geometry collections kept their lines only; left out: 1 point member"]
        );
        let polygons = choose(&sections, Some(GeometryKind::Polygon)).unwrap();
        assert_eq!(polygons.kept, 0);
        assert_eq!(
            polygons.notes,
            ["1 feature(s) left out, not polygons: 1 geometry collection feature"]
        );
    }

    #[test]
    fn files_past_two_gibibytes_are_refused_before_writing() {
        // 20 million points: 100 + 20e6 × (8 + 20) bytes = 560 MB of .shp, fine; a .dbf of
        // 20e6 records of 120 bytes is 2.4 GB, refused.
        let shp = 100 + 20_000_000u64 * 28;
        assert!(check_size(".shp", shp).is_ok());
        let dbf = dbf::dbf_len(32 + 32 * 3 + 1, 120, 20_000_000);
        let e = check_size(".dbf", dbf).unwrap_err();
        assert!(e.contains(".dbf") && e.contains("2.24 GiB"), "{e}");
        // The limit itself is allowed, one byte more is not.
        assert!(check_size(".shp", MAX_FILE_BYTES).is_ok());
        assert!(check_size(".shp", MAX_FILE_BYTES + 1).is_err());
        // In 16-bit words the largest allowed file still fits a signed 32-bit length.
        assert!(i32::try_from(MAX_FILE_BYTES / 2).is_ok());
    }

    #[test]
    fn sidecars_follow_the_case_of_the_extension() {
        let names: Vec<String> = sidecars(Path::new("a/OUT.SHP"))
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "a/OUT.SHP",
                "a/OUT.SHX",
                "a/OUT.DBF",
                "a/OUT.PRJ",
                "a/OUT.CPG"
            ]
        );
        assert_eq!(sidecars(Path::new("out.shp"))[2], Path::new("out.dbf"));
    }
}
