//! FlatGeobuf output through the `flatgeobuf` crate's writer: every section in one layer (as in
//! GeoJSON; the columns are the union of the sections' in order of first appearance), Hilbert
//! sorted with its packed R-tree, the CRS in the header, a title, a description with the credit
//! lines (and the sample-data notice) and the provenance JSON as the header's metadata. Z is
//! written when the features have it.

use flatgeobuf::geozero::{self, ColumnValue, CoordDimensions, GeomProcessor, GeozeroGeometry};
use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::{Chunks, ExportError, Job, Shared, Written};
use crate::model::{FieldType, Value};
use crate::write::atomic_write;

/// Writes the job's FlatGeobuf file from `chunks`, which hands over the features of
/// `job.sections` in order, as often as asked (twice: the header needs their geometry type and
/// Z before the first is added).
pub(super) fn write_chunks(job: &Job<'_>, chunks: &Chunks<'_>) -> Result<Written, ExportError> {
    let refused = |message: String| ExportError::Refused {
        path: job.target.to_path_buf(),
        message,
    };
    let columns = columns(job);
    let mut has_z = false;
    let mut kinds = Shared::default();
    let mut features = 0usize;
    chunks(None, &mut |_, s| {
        for &id in &s.ids {
            let f = &s.layer.features[id];
            has_z |= f.z.is_some();
            if let Some(g) = &f.geometry {
                kinds.add(kind_of(g));
            }
        }
        features += s.ids.len();
        Ok(())
    })?;
    // The one type every feature has, else Unknown (each feature says its own).
    let kind = kinds.one().unwrap_or(GeometryType::Unknown);
    let title: Vec<&str> = job.sections.iter().map(|s| s.layer.name.as_str()).collect();
    let title = title.join(", ");
    let description = description(job);
    let metadata = job
        .provenance
        .map(|p| serde_json::to_string(p).unwrap_or_default());
    let crs = job.crs;
    let options = FgbWriterOptions {
        // The index needs at least one feature.
        write_index: features > 0,
        // Unknown: each feature says its own type.
        detect_type: false,
        promote_to_multi: false,
        crs: FgbCrs {
            org: crs.epsg.map(|_| "EPSG"),
            code: crs.epsg.map_or(0, |c| c as i32),
            name: Some(&crs.name),
            wkt: Some(&crs.wkt_ogc),
            ..Default::default()
        },
        has_z,
        title: Some(&title),
        description: (!description.is_empty()).then_some(description.as_str()),
        metadata: metadata.as_deref(),
        ..Default::default()
    };
    let name = job
        .target
        .file_stem()
        .map_or_else(|| "layer".to_string(), |s| s.to_string_lossy().into_owned());
    let fgb_error = |e: flatgeobuf::Error| refused(format!("FlatGeobuf: {e}"));
    let mut fgb = FgbWriter::create_with_options(&name, kind, options).map_err(fgb_error)?;
    for c in &columns {
        fgb.add_column(&c.name, c.kind, |_, col| col.nullable = true);
    }
    chunks(None, &mut |_, section| {
        let layer = section.layer;
        // Where each of the section's columns goes in the file's.
        let at: Vec<(usize, usize)> = section
            .columns
            .iter()
            .filter_map(|&c| {
                let name = &layer.fields[c].name;
                columns.iter().position(|o| &o.name == name).map(|o| (c, o))
            })
            .collect();
        for &id in &section.ids {
            let f = &layer.features[id];
            let geometry = crs.feature(&layer.name, f).map_err(refused)?;
            let shape = Shape {
                geometry: geometry.as_deref(),
                z: f.z.as_deref().filter(|_| has_z),
            };
            let mut failed = None;
            fgb.add_feature_geom(shape, |w| {
                for &(c, o) in &at {
                    let column = &columns[o];
                    let text;
                    let value = match f.values.get(c).unwrap_or(&Value::Null) {
                        Value::Null => continue,
                        v if column.kind == ColumnType::String => {
                            text = v.to_string();
                            ColumnValue::String(&text)
                        }
                        Value::Bool(b) => ColumnValue::Bool(*b),
                        Value::Int(i) => ColumnValue::Long(*i),
                        Value::Float(x) => ColumnValue::Double(*x),
                        Value::Date(s) => ColumnValue::DateTime(s),
                        Value::Json(s) => ColumnValue::Json(s),
                        Value::Text(s) => ColumnValue::String(s),
                    };
                    if let Err(e) = geozero::PropertyProcessor::property(w, o, &column.name, &value)
                    {
                        failed = Some(e);
                        return;
                    }
                }
            })
            .map_err(|e| refused(format!("FlatGeobuf: {e}")))?;
            if let Some(e) = failed {
                return Err(refused(format!(
                    "layer {}, record {}: {e}",
                    layer.name, f.record
                )));
            }
        }
        Ok(())
    })?;
    atomic_write(job.target, job.protected, |w| {
        fgb.write(w).map_err(std::io::Error::other)
    })?;
    Ok(super::written_one(job.target, features))
}

/// A column of the output.
struct Column {
    name: String,
    kind: ColumnType,
}

/// The union of the sections' columns, in order of first appearance; a name whose types differ
/// between layers becomes text.
fn columns(job: &Job<'_>) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for s in job.sections {
        for &c in &s.columns {
            let field = &s.layer.fields[c];
            let kind = match field.field_type {
                FieldType::Bool => ColumnType::Bool,
                FieldType::Int => ColumnType::Long,
                FieldType::Float => ColumnType::Double,
                FieldType::Text => ColumnType::String,
                FieldType::Date => ColumnType::DateTime,
                FieldType::Json => ColumnType::Json,
            };
            match out.iter_mut().find(|o| o.name == field.name) {
                Some(o) if o.kind != kind => o.kind = ColumnType::String,
                Some(_) => {}
                None => out.push(Column {
                    name: field.name.clone(),
                    kind,
                }),
            }
        }
    }
    out
}

fn kind_of(g: &Geometry<f64>) -> GeometryType {
    match g {
        Geometry::Point(_) => GeometryType::Point,
        Geometry::Line(_) | Geometry::LineString(_) => GeometryType::LineString,
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => GeometryType::Polygon,
        Geometry::MultiPoint(_) => GeometryType::MultiPoint,
        Geometry::MultiLineString(_) => GeometryType::MultiLineString,
        Geometry::MultiPolygon(_) => GeometryType::MultiPolygon,
        Geometry::GeometryCollection(_) => GeometryType::GeometryCollection,
    }
}

/// The header's description: each source's credit and licence, the sample-data notice first.
fn description(job: &Job<'_>) -> String {
    let mut lines = Vec::new();
    if job.sections.iter().any(|s| s.layer.meta.sample) {
        lines.push(
            "FICTIONAL SAMPLE DATA (架空のサンプルデータ): not real sites or enterprises."
                .to_string(),
        );
    }
    for s in job.sections {
        let credit = [
            s.layer.meta.credit.as_deref(),
            s.layer.meta.licence.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>();
        if !credit.is_empty() {
            lines.push(format!("{}: {}", s.layer.name, credit.join(" / ")));
        }
    }
    lines.join("\n")
}

/// A geometry with its Z, as the writer's geometry processor takes it.
struct Shape<'a> {
    geometry: Option<&'a Geometry<f64>>,
    z: Option<&'a [f64]>,
}

impl GeozeroGeometry for Shape<'_> {
    fn process_geom<P: GeomProcessor>(&self, p: &mut P) -> geozero::error::Result<()> {
        let Some(g) = self.geometry else {
            return Ok(());
        };
        let z = self.z.filter(|z| z.len() == crate::io::wkb::coord_count(g));
        let mut w = Emitter { p, z, next: 0 };
        w.geometry(g, true, 0)
    }

    fn dims(&self) -> CoordDimensions {
        if self.z.is_some() {
            CoordDimensions::xyz()
        } else {
            CoordDimensions::xy()
        }
    }
}

struct Emitter<'p, P> {
    p: &'p mut P,
    z: Option<&'p [f64]>,
    next: usize,
}

impl<P: GeomProcessor> Emitter<'_, P> {
    fn coord(&mut self, c: Coord<f64>, idx: usize) -> geozero::error::Result<()> {
        match self.z {
            Some(z) => {
                let v = z.get(self.next).copied();
                self.next += 1;
                self.p.coordinate(c.x, c.y, v, None, None, None, idx)
            }
            None => self.p.xy(c.x, c.y, idx),
        }
    }

    fn line(
        &mut self,
        l: &LineString<f64>,
        tagged: bool,
        idx: usize,
    ) -> geozero::error::Result<()> {
        self.p.linestring_begin(tagged, l.0.len(), idx)?;
        for (i, &c) in l.0.iter().enumerate() {
            self.coord(c, i)?;
        }
        self.p.linestring_end(tagged, idx)
    }

    fn polygon(
        &mut self,
        poly: &Polygon<f64>,
        tagged: bool,
        idx: usize,
    ) -> geozero::error::Result<()> {
        self.p
            .polygon_begin(tagged, 1 + poly.interiors().len(), idx)?;
        self.line(poly.exterior(), false, 0)?;
        for (i, ring) in poly.interiors().iter().enumerate() {
            self.line(ring, false, i + 1)?;
        }
        self.p.polygon_end(tagged, idx)
    }

    fn geometry(
        &mut self,
        g: &Geometry<f64>,
        tagged: bool,
        idx: usize,
    ) -> geozero::error::Result<()> {
        match g {
            Geometry::Point(pt) => {
                self.p.point_begin(idx)?;
                self.coord(pt.0, 0)?;
                self.p.point_end(idx)
            }
            Geometry::Line(l) => self.line(&LineString::new(vec![l.start, l.end]), tagged, idx),
            Geometry::LineString(l) => self.line(l, tagged, idx),
            Geometry::Polygon(poly) => self.polygon(poly, tagged, idx),
            Geometry::Rect(r) => self.polygon(&r.to_polygon(), tagged, idx),
            Geometry::Triangle(t) => self.polygon(&t.to_polygon(), tagged, idx),
            Geometry::MultiPoint(mp) => {
                self.p.multipoint_begin(mp.0.len(), idx)?;
                for (i, pt) in mp.0.iter().enumerate() {
                    self.coord(pt.0, i)?;
                }
                self.p.multipoint_end(idx)
            }
            Geometry::MultiLineString(ml) => {
                self.p.multilinestring_begin(ml.0.len(), idx)?;
                for (i, l) in ml.0.iter().enumerate() {
                    self.line(l, false, i)?;
                }
                self.p.multilinestring_end(idx)
            }
            Geometry::MultiPolygon(mp) => {
                self.p.multipolygon_begin(mp.0.len(), idx)?;
                for (i, poly) in mp.0.iter().enumerate() {
                    self.polygon(poly, false, i)?;
                }
                self.p.multipolygon_end(idx)
            }
            Geometry::GeometryCollection(gc) => {
                self.p.geometrycollection_begin(gc.0.len(), idx)?;
                for (i, member) in gc.0.iter().enumerate() {
                    self.geometry(member, true, i)?;
                }
                self.p.geometrycollection_end(idx)
            }
        }
    }
}
