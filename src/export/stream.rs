//! A streamed export: GeoJSON files read a block at a time (`io::geojson::stream`), each piece
//! made a layer, filtered and its features written to a temporary body as they come; the file
//! is then the collection's head with the provenance (whose counts are known only at the end),
//! the body and the tail, written atomically. Memory holds one piece, whatever the input's
//! size, and the bytes are those [`super::export`] writes from the same inputs.
//!
//! What does not stream says so ([`Outcome::CannotStream`]) before anything is written, or
//! when it shows later (a column that first appears after features were written, a `crs`
//! member after the features): the caller then exports the usual way.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use super::geojson::{FeatureWriter, head, tail};
use super::{ExportError, ExportOptions, OutputCrs, OutputFormat, Section, Written, provenance};
use crate::error::LoadError;
use crate::filter::Filter;
use crate::io::geojson::stream::{self, Event, Flow, Streamed as Read};
use crate::io::{LoadOptions, PieceLayers};
use crate::model::{Format, Layer, Warning};
use crate::write::{WriteError, atomic_write};

/// How far an export has come, for a progress line.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// Bytes of the inputs read so far, and their total size.
    pub bytes_read: u64,
    pub bytes_total: u64,
    /// Features read and written so far.
    pub read: usize,
    pub written: usize,
}

/// A streamed export as written.
pub struct Streamed {
    pub written: Written,
    /// The warnings each input's records gave (path, warning).
    pub warnings: Vec<(PathBuf, Warning)>,
    /// Names of the fields the profile left out.
    pub dropped: Vec<String>,
}

/// How a streamed export ended.
pub enum Outcome {
    Written(Streamed),
    /// Not streamable (why): export the usual way; nothing was written.
    CannotStream(String),
}

/// Why a streamed export stopped.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Filter(#[from] crate::filter::FilterError),
}

impl From<WriteError> for StreamError {
    fn from(e: WriteError) -> Self {
        StreamError::Export(e.into())
    }
}

/// Whether `export_streamed` can take these inputs and this output: RFC 7946 GeoJSON out,
/// GeoJSON files on disk in, no text encoding to convert.
pub fn streamable(
    target: &Path,
    inputs: &[PathBuf],
    load: &LoadOptions,
    options: &ExportOptions,
) -> bool {
    let geojson = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "geojson" | "json"))
    };
    OutputFormat::for_path(target) == Some(OutputFormat::GeoJson)
        && options.to_crs.is_none()
        && load.encoding.is_none()
        && !inputs.is_empty()
        && inputs.iter().all(|p| geojson(p) && p.is_file())
}

/// What a streamed export reads and writes.
pub struct StreamJob<'a> {
    /// The GeoJSON file to write.
    pub target: &'a Path,
    pub inputs: &'a [PathBuf],
    pub filter: &'a Filter,
    pub load: &'a LoadOptions,
    /// More internal fields of every input.
    pub internal: Option<&'a [String]>,
    /// Only the first this many features of each input that pass (as `--top` cuts each
    /// layer).
    pub top: Option<usize>,
    pub options: &'a ExportOptions,
    /// Input files, never written over.
    pub protected: &'a [PathBuf],
    /// Bytes read at a time ([`BLOCK_BYTES`]; less in tests, to make many pieces).
    pub block_bytes: usize,
}

pub use crate::io::geojson::stream::BLOCK_BYTES;

/// Exports the job's inputs through its filter to its GeoJSON target, a piece at a time;
/// `progress` hears after each piece.
pub fn export_streamed(
    job: &StreamJob<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, StreamError> {
    let StreamJob {
        target,
        inputs,
        filter,
        load,
        internal,
        top,
        options,
        protected,
        block_bytes,
    } = *job;
    let options = &ExportOptions {
        precision: options.precision.min(15),
        ..options.clone()
    };
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |e: std::io::Error| WriteError {
        path: target.to_path_buf(),
        message: e.to_string(),
    };
    // The features, written as they pass; the head goes before them once the counts are known.
    let body_file = tempfile::tempfile_in(&folder).map_err(io_error)?;
    let mut body = std::io::BufWriter::with_capacity(1 << 20, body_file);
    let mut features = FeatureWriter::new(options.precision);
    let bytes_total: u64 = inputs
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    let mut bytes_done = 0u64;
    let mut read_before = 0usize;
    // Per input: its summary layer (fields, source, meta; no features) and features written.
    let mut summaries: Vec<(Layer, usize, Vec<String>)> = Vec::new();
    let mut warnings: Vec<(PathBuf, Warning)> = Vec::new();
    for path in inputs {
        let mut pieces: Option<PieceLayers> = None;
        let mut sample = false;
        let mut columns: Option<Vec<String>> = None;
        let mut written_here = 0usize;
        let mut last: Option<Layer> = None;
        let mut schema_changed = false;
        let mut filter_failed = false;
        let mut fields_read: Vec<String> = Vec::new();
        let mut records = 0usize;
        let result = stream::stream(
            path,
            block_bytes,
            filter.bbox.as_ref().map(|b| b.envelope),
            load.crs.as_deref(),
            &mut |event| {
                let piece = match event {
                    Event::Head(h) => {
                        sample = h.sample;
                        let mut p = PieceLayers::new(
                            path,
                            Format::GeoJson,
                            Some(h.encoding.clone()),
                            h.crs.clone(),
                            load.crs.clone(),
                        );
                        p.warnings.extend(h.warnings.iter().cloned());
                        pieces = Some(p);
                        return Ok(Flow::Next);
                    }
                    Event::Piece(piece) => piece,
                };
                let Some(maker) = pieces.as_mut() else {
                    return Ok(Flow::Stop);
                };
                records = piece.records;
                let mut layer =
                    maker.layer(piece.fields, piece.features, piece.warnings, piece.records)?;
                layer.meta.sample = sample;
                if let Some(internal) = internal {
                    layer.meta.internal_fields = Some(internal.to_vec());
                }
                warnings.extend(layer.warnings.drain(..).map(|w| (path.clone(), w)));
                // A filter that does not fit the fields (so far): the whole read says why.
                let Ok(mut ids) = filter.check(&layer).and_then(|_| filter.apply(&layer)) else {
                    filter_failed = true;
                    return Ok(Flow::Stop);
                };
                if let Some(n) = top {
                    ids.truncate(n.saturating_sub(written_here));
                }
                fields_read = filter.fields_used(&layer);
                let section = Section::new(&layer, ids, options.profile, fields_read.clone());
                let names: Vec<String> = section
                    .columns
                    .iter()
                    .map(|&c| layer.fields[c].name.clone())
                    .collect();
                match &columns {
                    Some(before) if *before != names && written_here > 0 => {
                        schema_changed = true;
                        return Ok(Flow::Stop);
                    }
                    _ => columns = Some(names),
                }
                let before = features.written;
                features
                    .section(&mut body, &section)
                    .map_err(|e| LoadError::new(target, e))?;
                written_here += features.written - before;
                progress(Progress {
                    bytes_read: bytes_done + piece.bytes_read,
                    bytes_total,
                    read: read_before + piece.records,
                    written: features.written,
                });
                last = Some(layer_without_features(&layer));
                Ok(if top.is_some_and(|n| written_here >= n) {
                    Flow::CountRest
                } else {
                    Flow::Next
                })
            },
        )?;
        match result {
            Read::CannotStream(why) => return Ok(Outcome::CannotStream(why)),
            Read::Done { records: r } => records = r,
            Read::Stopped if filter_failed => {
                return Ok(Outcome::CannotStream(
                    "the filter does not fit the fields read so far".into(),
                ));
            }
            Read::Stopped if schema_changed => {
                return Ok(Outcome::CannotStream(
                    "a field first appears after features were written".into(),
                ));
            }
            Read::Stopped => {}
        }
        bytes_done += std::fs::metadata(path).map_or(0, |m| m.len());
        read_before += records;
        let Some(maker) = pieces else {
            return Ok(Outcome::CannotStream("no header".into()));
        };
        warnings.extend(maker.warnings.into_iter().map(|w| (path.clone(), w)));
        let mut summary = match last {
            Some(layer) => layer,
            // No features at all: the whole read says what such a file is.
            None => return Ok(Outcome::CannotStream("no features".into())),
        };
        summary.source.record_count = records;
        summaries.push((summary, written_here, fields_read));
    }
    // The filter is checked against each input's final fields, as a whole read does.
    for (layer, _, _) in &summaries {
        filter.check(layer)?;
    }
    let sections: Vec<Section<'_>> = summaries
        .iter()
        .map(|(layer, _, read)| Section::new(layer, Vec::new(), options.profile, read.clone()))
        .collect();
    let written: Vec<usize> = summaries.iter().map(|(_, n, _)| *n).collect();
    let provenance = options.metadata.then(|| {
        provenance::build_counted(
            &sections,
            &written,
            options,
            &OutputCrs::wgs84(),
            OutputFormat::GeoJson,
        )
    });
    let mut body = body.into_inner().map_err(|e| io_error(e.into_error()))?;
    body.flush().map_err(io_error)?;
    body.rewind().map_err(io_error)?;
    let total = features.written;
    atomic_write(target, protected, |w| {
        head(w, provenance.as_ref())?;
        std::io::copy(&mut body, w)?;
        tail(w)
    })?;
    let mut out = Written {
        features: total,
        files: vec![target.to_path_buf()],
        renamed: Vec::new(),
        notes: Vec::new(),
    };
    if options.readme
        && let Some(p) = &provenance
    {
        let readme = super::readme_path(target);
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let text = provenance::readme(p, &name, &[], &[]);
        atomic_write(&readme, protected, |w| w.write_all(text.as_bytes()))?;
        out.files.push(readme);
    }
    let dropped = sections
        .iter()
        .flat_map(|s| s.dropped())
        .map(str::to_string)
        .collect();
    Ok(Outcome::Written(Streamed {
        written: out,
        warnings,
        dropped,
    }))
}

/// A layer's fields, source and settings without its features: what the provenance reads.
fn layer_without_features(layer: &Layer) -> Layer {
    let mut l = Layer::new(
        layer.name.clone(),
        layer.source.clone(),
        layer.fields.clone(),
        Vec::new(),
        Vec::new(),
    );
    l.meta = layer.meta.clone();
    l
}
