//! Exports of filtered features: RFC 7946 GeoJSON (streamed), CSV, Shapefile, GeoPackage or
//! FlatGeobuf, in the public profile (internal fields dropped) or the internal one, with
//! provenance in the file (GeoJSON, GeoPackage, FlatGeobuf) or a README beside it (CSV, Shapefile,
//! or on request). Written atomically, never over an input; every format but GeoJSON can be
//! written in another CRS (`--to-crs`).
//!
//! To add an output format: a file here with a `write_chunks(&Job, &Chunks) -> Result<Written,
//! ExportError>` (the features handed over as often as the writer needs: from memory for
//! [`export`], from the spill for [`stream`]), a variant of [`OutputFormat`] and its line in
//! [`write_chunks`].

pub(crate) mod csv;
mod fgb;
mod geojson;
mod geopackage;
mod output_crs;
pub mod profile;
pub(crate) mod provenance;
mod shapefile;
mod spill;
pub mod stream;

pub use output_crs::OutputCrs;

use std::path::{Path, PathBuf};

pub use profile::Profile;

use crate::model::Layer;
use crate::write::{WriteError, atomic_write};

/// The features of one layer to write, and which of its columns.
pub struct Section<'a> {
    pub layer: &'a Layer,
    pub ids: Vec<usize>,
    pub columns: Vec<usize>,
    /// Names of the fields the filter read (to keep them out of a public provenance).
    pub fields_read_by_filter: Vec<String>,
}

impl<'a> Section<'a> {
    pub fn new(
        layer: &'a Layer,
        ids: Vec<usize>,
        profile: Profile,
        fields_read_by_filter: Vec<String>,
    ) -> Self {
        let columns = profile::columns(layer, profile);
        Section {
            layer,
            ids,
            columns,
            fields_read_by_filter,
        }
    }

    /// Names of the fields this section drops.
    pub fn dropped(&self) -> Vec<&str> {
        (0..self.layer.fields.len())
            .filter(|c| !self.columns.contains(c))
            .map(|c| self.layer.fields[c].name.as_str())
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct ExportOptions {
    pub profile: Profile,
    /// Decimals of coordinates (7 ≈ 1 cm).
    pub precision: usize,
    /// Provenance in the file (GeoJSON) or beside it (CSV).
    pub metadata: bool,
    /// Also write `<stem>.README.md` with the provenance.
    pub readme: bool,
    /// The filter as text, for provenance.
    pub filter_text: String,
    /// The CRS to write in (`--to-crs`); `None` is WGS84 lon/lat. GeoJSON is always WGS84.
    pub to_crs: Option<String>,
    /// Text encoding of a Shapefile's .dbf.
    pub dbf_encoding: DbfEncoding,
    /// The one geometry kind a Shapefile keeps when the features mix kinds.
    pub geometry_type: Option<GeometryKind>,
    /// When the export counts as made: a date (YYYY-MM-DD) or an RFC 3339 time, written into the
    /// provenance, a .dbf header and a GeoPackage's time stamps instead of the clock's reading,
    /// so the same inputs give the same bytes (`publish --issued`). `None`: now.
    pub written_at: Option<String>,
}

impl ExportOptions {
    /// The export's time as RFC 3339 in UTC, seconds precision ("2026-12-01T00:00:00Z").
    pub fn stamp(&self) -> String {
        match self.written_at.as_deref().map(str::trim) {
            Some(d) if d.len() == 10 => format!("{d}T00:00:00Z"),
            Some(t) if !t.is_empty() => t.to_string(),
            _ => humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        }
    }
}

/// How a Shapefile's .dbf text is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DbfEncoding {
    /// UTF-8 with a .cpg saying so (what GDAL and QGIS read by default).
    #[default]
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// Shift_JIS as Windows writes it, for older municipal systems; a value it cannot hold is an
    /// error, never a '?'.
    #[value(name = "cp932", alias = "shift_jis", alias = "sjis")]
    Cp932,
}

/// A geometry kind as a Shapefile holds one per file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GeometryKind {
    /// Points and multipoints.
    Point,
    /// Lines and multilines.
    Line,
    /// Polygons and multipolygons.
    Polygon,
}

impl GeometryKind {
    pub fn of(g: &geo_types::Geometry<f64>) -> Option<Self> {
        use geo_types::Geometry as G;
        match g {
            G::Point(_) | G::MultiPoint(_) => Some(GeometryKind::Point),
            G::Line(_) | G::LineString(_) | G::MultiLineString(_) => Some(GeometryKind::Line),
            G::Polygon(_) | G::MultiPolygon(_) | G::Rect(_) | G::Triangle(_) => {
                Some(GeometryKind::Polygon)
            }
            G::GeometryCollection(_) => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            GeometryKind::Point => "point",
            GeometryKind::Line => "line",
            GeometryKind::Polygon => "polygon",
        }
    }
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            profile: Profile::Public,
            precision: 7,
            metadata: true,
            readme: false,
            filter_text: String::new(),
            to_crs: None,
            dbf_encoding: DbfEncoding::default(),
            geometry_type: None,
            written_at: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    GeoJson,
    Csv,
    Shapefile,
    GeoPackage,
    FlatGeobuf,
}

impl OutputFormat {
    /// Every output format, in the order dialogs list them.
    pub const ALL: [OutputFormat; 5] = [
        OutputFormat::GeoJson,
        OutputFormat::Csv,
        OutputFormat::Shapefile,
        OutputFormat::GeoPackage,
        OutputFormat::FlatGeobuf,
    ];

    pub fn for_path(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|f| f.extensions().contains(&ext.as_str()))
    }

    /// File extensions, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            OutputFormat::GeoJson => &["geojson", "json"],
            OutputFormat::Csv => &["csv"],
            OutputFormat::Shapefile => &["shp"],
            OutputFormat::GeoPackage => &["gpkg"],
            OutputFormat::FlatGeobuf => &["fgb"],
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::GeoJson => "GeoJSON",
            OutputFormat::Csv => "CSV",
            OutputFormat::Shapefile => "ESRI Shapefile",
            OutputFormat::GeoPackage => "GeoPackage",
            OutputFormat::FlatGeobuf => "FlatGeobuf",
        }
    }

    /// Whether the provenance goes in a README beside the file (the format has no place for it).
    fn readme_beside(self) -> bool {
        matches!(self, OutputFormat::Csv | OutputFormat::Shapefile)
    }
}

/// One export to write: what [`export`] hands each format's writer.
pub(crate) struct Job<'a> {
    pub target: &'a Path,
    pub sections: &'a [Section<'a>],
    pub options: &'a ExportOptions,
    pub crs: &'a OutputCrs,
    /// The provenance, unless `--metadata none`.
    pub provenance: Option<&'a serde_json::Value>,
    /// Input files, never written over.
    pub protected: &'a [PathBuf],
}

/// Hands the features of a job's sections to a writer that passes over them more than once,
/// in order, each time it is called: section by section when they are in memory
/// ([`in_memory`]), a chunk at a time from a streamed export's [`spill::Spill`] (each chunk a
/// section of its input's layer). The callback gets the input's number; `Some(i)` asks for
/// input `i` alone.
pub(crate) type Chunks<'a> = dyn Fn(
        Option<usize>,
        &mut dyn FnMut(usize, &Section<'_>) -> Result<(), ExportError>,
    ) -> Result<(), ExportError>
    + 'a;

/// Writes `job` in `format` (any but GeoJSON, which [`export`] and [`stream`] write as the
/// features come) from `chunks`.
pub(crate) fn write_chunks(
    format: OutputFormat,
    job: &Job<'_>,
    chunks: &Chunks<'_>,
) -> Result<Written, ExportError> {
    match format {
        OutputFormat::Csv => csv::write_chunks(job, chunks),
        OutputFormat::Shapefile => shapefile::write_chunks(job, chunks),
        OutputFormat::GeoPackage => geopackage::write_chunks(job, chunks),
        OutputFormat::FlatGeobuf => fgb::write_chunks(job, chunks),
        OutputFormat::GeoJson => Err(ExportError::Refused {
            path: job.target.to_path_buf(),
            message: "GeoJSON is written as the features come, not from chunks".into(),
        }),
    }
}

/// The one value a run shares (a geometry type, as a header declares one), as the values come;
/// none when they differ or none came.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shared<T> {
    first: Option<T>,
    mixed: bool,
}

impl<T> Default for Shared<T> {
    fn default() -> Self {
        Shared {
            first: None,
            mixed: false,
        }
    }
}

impl<T: PartialEq + Copy> Shared<T> {
    pub fn add(&mut self, value: T) {
        match self.first {
            None => self.first = Some(value),
            Some(first) => self.mixed |= first != value,
        }
    }

    pub fn one(&self) -> Option<T> {
        self.first.filter(|_| !self.mixed)
    }
}

/// [`Chunks`] of sections in memory: each section whole.
pub(crate) fn in_memory(
    sections: &[Section<'_>],
    only: Option<usize>,
    each: &mut dyn FnMut(usize, &Section<'_>) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    for (i, s) in sections.iter().enumerate() {
        if only.is_none_or(|o| o == i) {
            each(i, s)?;
        }
    }
    Ok(())
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub features: usize,
    pub files: Vec<PathBuf>,
    /// Field names the format could not keep, and what they became (a Shapefile's 10 bytes).
    pub renamed: Vec<(String, String)>,
    /// What the writer left out or changed for the format to hold the data (features of
    /// another geometry kind, values cut to a field's width), for the user to read.
    pub notes: Vec<String>,
}

/// Writes `sections` as one RFC 7946 FeatureCollection to `w` (no file, no sidecar): what
/// [`export`] puts in a `.geojson` file.
pub fn write_geojson(
    w: &mut impl std::io::Write,
    sections: &[Section<'_>],
    options: &ExportOptions,
) -> std::io::Result<usize> {
    let provenance = options.metadata.then(|| {
        provenance::build(
            sections,
            options,
            &OutputCrs::wgs84(),
            OutputFormat::GeoJson,
        )
    });
    geojson::write(w, sections, options.precision.min(15), provenance.as_ref())
}

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A layer to write has an unknown CRS: giving it its CRS lets it export.
    #[error("{}: layer {layer} has an unknown CRS, and exports are in lon/lat: give its CRS", path.display())]
    UnknownCrs { path: PathBuf, layer: String },
    /// The data cannot go into this format as asked: the message names the record and field.
    #[error("{}: {message}", path.display())]
    Refused { path: PathBuf, message: String },
    /// The features mix geometry kinds (or hold a collection) and the format holds one kind:
    /// choosing the kind to keep lets it export.
    #[error("{}: {message}", path.display())]
    GeometryKinds { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Writes `sections` to `target`. `protected` are the input files, never written over.
pub fn export(
    target: &Path,
    sections: &[Section<'_>],
    options: &ExportOptions,
    protected: &[PathBuf],
) -> Result<Written, ExportError> {
    let known: Vec<String> = OutputFormat::ALL
        .iter()
        .map(|f| format!(".{}", f.extensions()[0]))
        .collect();
    let format = OutputFormat::for_path(target).ok_or_else(|| WriteError {
        path: target.to_path_buf(),
        message: format!("unknown output type: name the file {}", known.join(", ")),
    })?;
    let refused = |message: String| ExportError::Refused {
        path: target.to_path_buf(),
        message,
    };
    if let Some(s) = sections.iter().find(|s| {
        !s.layer.source.crs.known
            && s.ids
                .iter()
                .any(|&id| s.layer.features[id].geometry.is_some())
    }) {
        return Err(ExportError::UnknownCrs {
            path: target.to_path_buf(),
            layer: s.layer.name.clone(),
        });
    }
    let crs = match &options.to_crs {
        None => OutputCrs::wgs84(),
        Some(text) => {
            OutputCrs::parse(text).map_err(|e| refused(format!("--to-crs {text}: {e}")))?
        }
    };
    if format == OutputFormat::GeoJson && !crs.is_wgs84() {
        return Err(refused(format!(
            "GeoJSON is WGS84 longitude/latitude by definition (RFC 7946), not {}: write .shp, \
             .gpkg, .fgb or .csv in another CRS",
            crs.label()
        )));
    }
    let options = &ExportOptions {
        precision: options.precision.min(15),
        ..options.clone()
    };
    let provenance = options
        .metadata
        .then(|| provenance::build(sections, options, &crs, format));
    let job = Job {
        target,
        sections,
        options,
        crs: &crs,
        provenance: provenance.as_ref(),
        protected,
    };
    let mut written = match format {
        OutputFormat::GeoJson => {
            let features = atomic_write(target, protected, |w| {
                geojson::write(w, sections, options.precision, provenance.as_ref())
            })?;
            written_one(target, features)
        }
        format => write_chunks(format, &job, &|only, each| in_memory(sections, only, each))?,
    };
    readme_if_wanted(
        target,
        format,
        options,
        provenance.as_ref(),
        &mut written,
        protected,
    )?;
    Ok(written)
}

/// Writes the README beside `target` when the export wants one (`--readme`, or a format with
/// no place for the provenance), and adds it to `written`.
fn readme_if_wanted(
    target: &Path,
    format: OutputFormat,
    options: &ExportOptions,
    provenance: Option<&serde_json::Value>,
    written: &mut Written,
    protected: &[PathBuf],
) -> Result<(), WriteError> {
    let wants_readme = options.readme || (format.readme_beside() && options.metadata);
    if let (true, Some(p)) = (wants_readme, provenance) {
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let readme_path = readme_path(target);
        let text = provenance::readme(p, &name, &written.renamed, &written.notes);
        atomic_write(&readme_path, protected, |w| {
            std::io::Write::write_all(w, text.as_bytes())
        })?;
        written.files.push(readme_path);
    }
    Ok(())
}

/// Where the README beside `target` goes: `<stem>.README.md`.
fn readme_path(target: &Path) -> PathBuf {
    target.with_file_name(format!(
        "{}.README.md",
        target
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
    ))
}

/// One file written with `features` features.
fn written_one(target: &Path, features: usize) -> Written {
    Written {
        features,
        files: vec![target.to_path_buf()],
        renamed: Vec::new(),
        notes: Vec::new(),
    }
}
