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

use super::{DbfEncoding, ExportError, GeometryKind, Job, Section, Written};
use crate::write::atomic_write_set;
use shp::{Bounds, Layout};

/// A .shp or .dbf larger than this is refused: offsets and lengths are signed 32-bit counts of
/// 16-bit words, and ESRI's readers stop at 2 GiB.
const MAX_FILE_BYTES: u64 = 1 << 31;

/// One feature to write: its section and its index in the section's layer.
#[derive(Debug, Clone, Copy)]
pub(super) struct Selected {
    pub section: usize,
    pub id: usize,
}

/// Writes the job's Shapefile.
pub(super) fn write(job: &Job<'_>) -> Result<Written, ExportError> {
    let refused = |message: String| ExportError::Refused {
        path: job.target.to_path_buf(),
        message,
    };
    let choice = choose(job.sections, job.options.geometry_type).map_err(|message| {
        ExportError::GeometryKinds {
            path: job.target.to_path_buf(),
            message,
        }
    })?;
    let layout = layout(job.sections, &choice);
    let encoding = job.options.dbf_encoding;
    let table = dbf::Table::plan(job.sections, &choice.selected, encoding).map_err(refused)?;

    let records = choice.selected.len() as u64;
    let shp_len = 100
        + choice
            .selected
            .iter()
            .map(|sel| {
                let f = &job.sections[sel.section].layer.features[sel.id];
                // In the working CRS: reprojection keeps the counts, which is all sizes need.
                8 + layout.content_len(&record_parts(f.geometry.as_ref(), layout))
            })
            .sum::<u64>();
    let shx_len = 100 + 8 * records;
    let dbf_len = table.file_len(records);
    check_size(".shp", shp_len).map_err(refused)?;
    check_size(".dbf", dbf_len).map_err(refused)?;
    let count = u32::try_from(records).map_err(|_| refused("too many records".into()))?;

    let targets = sidecars(job.target);
    let crs = job.crs;
    let today = day_of(&job.options.stamp());
    // A geometry PROJ cannot move is reported with its layer and record, not as an I/O error.
    let mut failed: Option<String> = None;
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
        for (n, sel) in choice.selected.iter().enumerate() {
            let s = &job.sections[sel.section];
            let f = &s.layer.features[sel.id];
            let geometry = match f.geometry.as_ref().map(|g| crs.geometry(g)) {
                None => None,
                Some(Ok(g)) => Some(g),
                Some(Err(e)) => {
                    failed = Some(format!(
                        "layer {}, record {}: the geometry does not go into {}: {e}",
                        s.layer.name,
                        f.record,
                        crs.label()
                    ));
                    return Err(io::Error::other("a geometry did not reproject"));
                }
            };
            let parts = record_parts(geometry.as_deref(), layout);
            let number = u32::try_from(n + 1).map_err(|_| io::Error::other("too many records"))?;
            let len = shp::record(shp, number, layout, &parts, f.z.as_deref(), &mut bounds)?;
            shp::index_entry(shx, offset, len)?;
            offset += 8 + len;
            table.write_record(dbf, sel.section, &f.values, &mut buf)?;
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
    if let Some(message) = failed {
        return Err(refused(message));
    }
    result?;
    let mut notes = choice.notes;
    notes.extend(table.notes);
    Ok(Written {
        features: choice.selected.len(),
        files: targets,
        renamed: table.renamed,
        notes,
    })
}

/// What goes into the file: the features and their one kind (`None`: no feature has a geometry).
#[derive(Debug)]
struct Choice {
    selected: Vec<Selected>,
    kind: Option<GeometryKind>,
    notes: Vec<String>,
}

/// Picks the features to write: all of them when they share a kind, those of `wanted` when one
/// is named. `Err` says which kinds were found, or which record is a collection.
fn choose(sections: &[Section<'_>], wanted: Option<GeometryKind>) -> Result<Choice, String> {
    let mut selected = Vec::new();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut found: Option<GeometryKind> = None;
    let mut mixed = false;
    let mut left_out: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut members_left_out: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (section, s) in sections.iter().enumerate() {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            let keep = match (&f.geometry, wanted) {
                (None, _) => true,
                (Some(g @ Geometry::GeometryCollection(_)), Some(kind)) => {
                    let keep = !shp::parts(g, kind).is_empty();
                    if keep {
                        other_members(g, kind, &mut members_left_out);
                    } else {
                        *left_out.entry("geometry collection").or_default() += 1;
                    }
                    keep
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
                        *left_out
                            .entry(of.map_or("geometry collection", GeometryKind::name))
                            .or_default() += 1;
                    }
                    of == Some(kind)
                }
                (Some(g), None) => {
                    if let Some(kind) = GeometryKind::of(g) {
                        *counts.entry(kind.name()).or_default() += 1;
                        mixed |= found.is_some_and(|k| k != kind);
                        found = Some(kind);
                    }
                    true
                }
            };
            if keep {
                selected.push(Selected { section, id });
            }
        }
    }
    if mixed {
        return Err(format!(
            "a Shapefile holds one geometry kind, and these features have {}: choose the kind \
             to keep",
            listing(&counts, "feature")
        ));
    }
    let mut notes = Vec::new();
    if let Some(kind) = wanted {
        if !left_out.is_empty() {
            let total: usize = left_out.values().sum();
            notes.push(format!(
                "{total} feature(s) left out, not {}s: {}",
                kind.name(),
                listing(&left_out, "feature")
            ));
        }
        if !members_left_out.is_empty() {
            notes.push(format!(
                "geometry collections kept their {}s only; left out: {}",
                kind.name(),
                listing(&members_left_out, "member")
            ));
        }
    }
    Ok(Choice {
        selected,
        kind: wanted.or(found),
        notes,
    })
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

/// The shape type of the chosen features.
fn layout(sections: &[Section<'_>], choice: &Choice) -> Layout {
    let features = || {
        choice
            .selected
            .iter()
            .map(|sel| &sections[sel.section].layer.features[sel.id])
    };
    Layout {
        kind: choice.kind,
        single_points: choice.kind == Some(GeometryKind::Point)
            && features().all(|f| matches!(f.geometry, None | Some(Geometry::Point(_)))),
        z: features().any(|f| f.geometry.is_some() && f.z.is_some()),
    }
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
        assert_eq!(points.selected.len(), 3);
        assert_eq!(
            points.notes,
            ["1 feature(s) left out, not points: 1 line feature"]
        );
        let layout = layout(&sections, &points);
        assert!(layout.single_points && layout.code() == 1);
        let gc = layer(vec![Some(Geometry::GeometryCollection(
            geo_types::GeometryCollection(vec![line.clone(), line, Point::new(0.0, 0.0).into()]),
        ))]);
        let sections = [section(&gc)];
        let e = choose(&sections, None).unwrap_err();
        assert!(e.contains("record 0 is a GeometryCollection"), "{e}");
        let lines = choose(&sections, Some(GeometryKind::Line)).unwrap();
        assert_eq!(lines.selected.len(), 1);
        assert_eq!(
            lines.notes,
            ["geometry collections kept their lines only; left out: 1 point member"]
        );
        let polygons = choose(&sections, Some(GeometryKind::Polygon)).unwrap();
        assert!(polygons.selected.is_empty());
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
