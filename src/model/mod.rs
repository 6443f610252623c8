//! The in-memory model: layers of features (geometry + typed attributes) in the working CRS
//! (WGS84 lon/lat), each with its source description, load warnings and an R-tree.

mod geometry;
mod index;
mod role;
mod value;

pub use geometry::{M_PER_DEG, degrees_covering, metres_per_degree, polygons};
pub use index::{Envelope, Pick, SpatialIndex, outline_distance_m};
pub use role::Role;
pub use value::{FieldType, Value, is_iso_date};

use std::collections::BTreeMap;
use std::path::PathBuf;

use geo_types::Geometry;
use serde::Serialize;

use crate::crs::CrsInfo;

/// One attribute column of a layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
}

/// One feature. `values` is aligned with [`Layer::fields`].
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Record number in the source (0-based, like GDAL's FID for files without ids).
    pub record: u64,
    /// In the working CRS (lon/lat WGS84) when the layer's CRS is known, else source coordinates.
    pub geometry: Option<Geometry<f64>>,
    /// Z of every coordinate in `geometry`'s coordinate order, when the source had Z.
    pub z: Option<Box<[f64]>>,
    pub values: Vec<Value>,
}

/// Something skipped or repaired while loading; the layer still loaded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// Source record (0-based) the warning is about; `None` for whole-file remarks.
    pub record: Option<u64>,
    pub message: String,
}

impl Warning {
    pub fn record(record: u64, message: impl Into<String>) -> Self {
        Self {
            record: Some(record),
            message: message.into(),
        }
    }

    pub fn file(message: impl Into<String>) -> Self {
        Self {
            record: None,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.record {
            Some(record) => write!(f, "record {record}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// File formats sitelens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Format {
    GeoJson,
    Shapefile,
    Csv,
    GeoPackage,
    FlatGeobuf,
    /// KML, plain or zipped (KMZ).
    Kml,
    /// A PostgreSQL/PostGIS table.
    PostGis,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "GeoJSON",
            Format::Shapefile => "ESRI Shapefile",
            Format::Csv => "CSV",
            Format::GeoPackage => "GeoPackage",
            Format::FlatGeobuf => "FlatGeobuf",
            Format::Kml => "KML",
            Format::PostGis => "PostGIS",
        }
    }
}

/// How the text of a layer was decoded, and why that encoding was chosen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextEncoding {
    /// Encoding name, e.g. "UTF-8" or "CP932".
    pub name: String,
    /// What decided it: "user", "cpg", "ldid", "bom", "utf-8 check", "fallback", "rfc",
    /// "xml declaration", "xml default".
    pub decided_by: String,
}

/// Where a layer came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub path: PathBuf,
    /// Member inside an archive, when the layer came from a .zip.
    pub member: Option<String>,
    pub format: Format,
    pub encoding: Option<TextEncoding>,
    pub crs: CrsInfo,
    /// Records in the file (features may be fewer: skipped records, or a load with a bbox hint).
    pub record_count: usize,
}

/// What the user or a project says about a layer, beyond its file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LayerMeta {
    /// Credit line to show with the data and to carry into exports.
    pub credit: Option<String>,
    /// Licence of the data (e.g. "CC BY 4.0").
    pub licence: Option<String>,
    /// Fields that must never leave in a public export, besides those whose names look internal
    /// (owner, contact, price, …: [`crate::export::profile::looks_internal`]).
    pub internal_fields: Option<Vec<String>>,
    /// Fictional stand-in data, to be marked so wherever it is shown or exported.
    pub sample: bool,
}

/// A loaded layer: features in the working CRS with their R-tree.
#[derive(Debug)]
pub struct Layer {
    pub name: String,
    pub source: Source,
    pub meta: LayerMeta,
    pub fields: Vec<Field>,
    pub features: Vec<Feature>,
    pub warnings: Vec<Warning>,
    pub index: SpatialIndex,
}

impl Layer {
    /// Builds the layer and bulk-loads its R-tree.
    pub fn new(
        name: String,
        source: Source,
        fields: Vec<Field>,
        features: Vec<Feature>,
        warnings: Vec<Warning>,
    ) -> Self {
        let index = SpatialIndex::build(&features);
        Self::with_index(name, source, fields, features, warnings, index)
    }

    /// Builds the layer around an R-tree already made from `features` (by a loader that knew
    /// their envelopes).
    pub fn with_index(
        name: String,
        source: Source,
        fields: Vec<Field>,
        features: Vec<Feature>,
        warnings: Vec<Warning>,
        index: SpatialIndex,
    ) -> Self {
        Self {
            name,
            source,
            meta: LayerMeta::default(),
            fields,
            features,
            warnings,
            index,
        }
    }

    /// Feature counts per geometry type name ("Polygon", "MultiLineString", …; "None" for null).
    pub fn geometry_type_counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for feature in &self.features {
            let name = feature.geometry.as_ref().map_or("None", geometry_type_name);
            *counts.entry(name).or_insert(0) += 1;
        }
        counts
    }

    /// Index of a field by name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// A feature's value by field name.
    pub fn value(&self, feature: usize, field: &str) -> Option<&Value> {
        let column = self.field_index(field)?;
        self.features.get(feature)?.values.get(column)
    }
}

/// A lon/lat layer of these fields and features (unit tests).
#[cfg(test)]
pub(crate) fn test_layer(fields: Vec<Field>, features: Vec<Feature>) -> Layer {
    Layer::new(
        "t".into(),
        Source {
            path: "t".into(),
            member: None,
            format: Format::GeoJson,
            encoding: None,
            crs: crate::crs::CrsInfo::wgs84(crate::crs::DecidedBy::User),
            record_count: features.len(),
        },
        fields,
        features,
        vec![],
    )
}

/// The GeoJSON name of a geometry's type.
pub fn geometry_type_name(geometry: &Geometry<f64>) -> &'static str {
    match geometry {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}
