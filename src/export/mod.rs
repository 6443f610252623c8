//! Exports of filtered features: RFC 7946 GeoJSON (streamed) or CSV, in the public profile
//! (internal fields dropped) or the internal one, with provenance in the file (GeoJSON) or a
//! README beside it (CSV, or on request). Written atomically, never over an input.

mod csv;
mod geojson;
pub mod profile;
mod provenance;

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
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions {
            profile: Profile::Public,
            precision: 7,
            metadata: true,
            readme: false,
            filter_text: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    GeoJson,
    Csv,
}

impl OutputFormat {
    pub fn for_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(OutputFormat::GeoJson),
            "csv" => Some(OutputFormat::Csv),
            _ => None,
        }
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub features: usize,
    pub files: Vec<PathBuf>,
}

/// Writes `sections` as one RFC 7946 FeatureCollection to `w` (no file, no sidecar): what
/// [`export`] puts in a `.geojson` file.
pub fn write_geojson(
    w: &mut impl std::io::Write,
    sections: &[Section<'_>],
    options: &ExportOptions,
) -> std::io::Result<usize> {
    let provenance = options
        .metadata
        .then(|| provenance::build(sections, options));
    geojson::write(w, sections, options.precision.min(15), provenance.as_ref())
}

/// Why an export was not written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A layer to write has an unknown CRS: giving it its CRS lets it export.
    #[error("{}: layer {layer} has an unknown CRS, and exports are in lon/lat: give its CRS", path.display())]
    UnknownCrs { path: PathBuf, layer: String },
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
    let format = OutputFormat::for_path(target).ok_or_else(|| WriteError {
        path: target.to_path_buf(),
        message: "unknown output type: name the file .geojson or .csv".into(),
    })?;
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
    let precision = options.precision.min(15);
    let provenance = options
        .metadata
        .then(|| provenance::build(sections, options));
    let features = match format {
        OutputFormat::GeoJson => atomic_write(target, protected, |w| {
            geojson::write(w, sections, precision, provenance.as_ref())
        })?,
        OutputFormat::Csv => {
            atomic_write(target, protected, |w| csv::write(w, sections, precision))?
        }
    };
    let mut files = vec![target.to_path_buf()];
    let wants_readme = options.readme || (format == OutputFormat::Csv && options.metadata);
    if let (true, Some(p)) = (wants_readme, &provenance) {
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let readme_path = target.with_file_name(format!(
            "{}.README.md",
            target
                .file_stem()
                .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
        ));
        let text = provenance::readme(p, &name);
        atomic_write(&readme_path, protected, |w| {
            std::io::Write::write_all(w, text.as_bytes())
        })?;
        files.push(readme_path);
    }
    Ok(Written { features, files })
}
