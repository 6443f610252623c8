//! A streamed export: GeoJSON files and Shapefiles read a block at a time
//! (`io::geojson::stream`, `io::shp_stream`) and PostGIS tables through their server-side cursor
//! a batch at a time, each piece made a layer and filtered. To GeoJSON the features that pass
//! are written to a temporary body as they come; the file is then the collection's head with the
//! provenance (whose counts are known only at the end), the body and the tail, written
//! atomically. The other formats must know something about every feature before they write the
//! first (a CSV's header, a GeoPackage table's geometry type, a FlatGeobuf header, a Shapefile's
//! sizes), so what passes waits on disk (`spill::Spill`) and is handed to the format's writer a
//! chunk at a time, as often as it passes over the features (`super::write_chunks`). Memory
//! holds one piece or chunk, whatever the input's size, and the bytes are those
//! [`super::export`] writes from the same inputs.
//!
//! What does not stream says so ([`Outcome::CannotStream`]) before anything is written, or
//! when it shows later (to GeoJSON, a column that first appears after features were written;
//! a `crs` member after the features): the caller then exports the usual way.

use std::io::{Seek, Write};
use std::path::{Path, PathBuf};

use super::geojson::{FeatureWriter, head, tail};
use super::{ExportError, ExportOptions, OutputCrs, OutputFormat, Section, Written, provenance};
use crate::error::LoadError;
use crate::filter::Filter;
use crate::io::geojson::stream;
use crate::io::stream::{Event, Flow, Piece, Streamed as Read};
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

/// Whether `export_streamed` can take these inputs and this output: GeoJSON files (UTF-8),
/// Shapefiles on disk and PostGIS tables in; any format out (GeoJSON written as it passes, the
/// others from what passed, held on disk until the end).
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
            && p.is_file()
    };
    let postgis = |p: &Path| crate::io::postgis::url_of(p).is_some();
    let shapefile = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("shp"))
            && p.is_file()
    };
    let format = OutputFormat::for_path(target);
    format.is_some()
        && (format != Some(OutputFormat::GeoJson) || options.to_crs.is_none())
        && !inputs.is_empty()
        && inputs
            .iter()
            .all(|p| (geojson(p) && load.encoding.is_none()) || postgis(p) || shapefile(p))
}

/// What a streamed export reads and writes.
pub struct StreamJob<'a> {
    /// The file to write (its extension says the format).
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

pub use crate::io::stream::BLOCK_BYTES;

/// Exports the job's inputs through its filter to its target, a piece at a time;
/// `progress` hears after each piece.
pub fn export_streamed(
    job: &StreamJob<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, StreamError> {
    let options = &ExportOptions {
        precision: job.options.precision.min(15),
        ..job.options.clone()
    };
    let target = job.target;
    let folder = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |e: std::io::Error| WriteError {
        path: target.to_path_buf(),
        message: e.to_string(),
    };
    // The features, written as they pass (the file made with the first, so an input's error
    // comes before any about the target); the head goes before them once the counts are known.
    let format = OutputFormat::for_path(target);
    let crs = || match &options.to_crs {
        None => Ok(OutputCrs::wgs84()),
        Some(text) => OutputCrs::parse(text).map_err(|e| ExportError::Refused {
            path: target.to_path_buf(),
            message: format!("--to-crs {text}: {e}"),
        }),
    };
    // Any format but GeoJSON: what passes waits on disk until the end.
    let spill = match format {
        Some(OutputFormat::GeoJson) | None => None,
        Some(format) => Some((format, super::spill::Spill::new(target, &folder), crs()?)),
    };
    let mut out = Out {
        spill,
        folder,
        body: None,
        features: FeatureWriter::new(options.precision),
        bytes_total: job
            .inputs
            .iter()
            .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
            .sum(),
        bytes_done: 0,
        read_before: 0,
        warnings: Vec::new(),
        progress,
    };
    let mut summaries: Vec<Input> = Vec::new();
    for (index, path) in job.inputs.iter().enumerate() {
        let mut input = Input::new(path, index);
        let records = if let Some(url) = crate::io::postgis::url_of(path) {
            match read_postgis(job, url, &mut input, &mut out)? {
                Some(n) => n,
                None => return Ok(Outcome::CannotStream(input.why_not())),
            }
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("shp"))
        {
            match read_file(job, &mut input, &mut out, Format::Shapefile)? {
                Some(n) => n,
                None => return Ok(Outcome::CannotStream(input.why_not())),
            }
        } else {
            match read_file(job, &mut input, &mut out, Format::GeoJson)? {
                Some(n) => n,
                None => return Ok(Outcome::CannotStream(input.why_not())),
            }
        };
        out.bytes_done += std::fs::metadata(path).map_or(0, |m| m.len());
        out.read_before += records;
        let Some(maker) = input.pieces.take() else {
            return Ok(Outcome::CannotStream("no header".into()));
        };
        out.warnings
            .extend(maker.finish().into_iter().map(|w| (path.clone(), w)));
        let Some(mut summary) = input.last.take() else {
            // An empty collection: the whole read says what such a file is.
            return Ok(Outcome::CannotStream("no features".into()));
        };
        summary.source.record_count = records;
        input.summary = Some(summary);
        summaries.push(input);
    }
    // The filter is checked against each input's final fields, as a whole read does.
    let mut layers = Vec::with_capacity(summaries.len());
    for input in &summaries {
        if let Some(layer) = &input.summary {
            job.filter.check(layer)?;
            layers.push((layer, input));
        }
    }
    let sections: Vec<Section<'_>> = layers
        .iter()
        .map(|(layer, input)| {
            Section::new(
                layer,
                Vec::new(),
                options.profile,
                input.fields_read.clone(),
            )
        })
        .collect();
    let written: Vec<usize> = layers.iter().map(|(_, i)| i.written).collect();
    let provenance = options.metadata.then(|| {
        provenance::build_counted(
            &sections,
            &written,
            options,
            &OutputCrs::wgs84(),
            OutputFormat::GeoJson,
        )
    });
    let total = out.features.written;
    let warnings = std::mem::take(&mut out.warnings);
    let dropped = dropped_fields(&sections);
    if let Some(spill) = out.spill.take() {
        let written = from_spill(job, spill, &sections, &written)?;
        return Ok(Outcome::Written(Streamed {
            written,
            warnings,
            dropped,
        }));
    }
    out.body().map_err(io_error)?;
    let Some(body) = out.body.take() else {
        return Err(io_error(std::io::Error::other("no body")).into());
    };
    let mut body = body.into_inner().map_err(|e| io_error(e.into_error()))?;
    body.flush().map_err(io_error)?;
    body.rewind().map_err(io_error)?;
    atomic_write(target, job.protected, |w| {
        head(w, provenance.as_ref())?;
        std::io::copy(&mut body, w)?;
        tail(w)
    })?;
    let mut written = super::written_one(target, total);
    super::readme_if_wanted(
        target,
        OutputFormat::GeoJson,
        options,
        provenance.as_ref(),
        &mut written,
        job.protected,
    )?;
    Ok(Outcome::Written(Streamed {
        written,
        warnings,
        dropped,
    }))
}

/// The output as it grows, shared by the inputs.
struct Out<'p> {
    /// Where the features wait when the output is not GeoJSON: its format, the spill and the
    /// CRS to write in.
    spill: Option<(OutputFormat, super::spill::Spill, OutputCrs)>,
    /// Where the body goes (the target's folder), and the body once a feature is written.
    folder: PathBuf,
    body: Option<std::io::BufWriter<std::fs::File>>,
    features: FeatureWriter,
    bytes_total: u64,
    bytes_done: u64,
    /// Features read from the inputs before this one.
    read_before: usize,
    warnings: Vec<(PathBuf, Warning)>,
    progress: &'p mut dyn FnMut(Progress),
}

impl Out<'_> {
    /// The body, made when first asked for.
    fn body(&mut self) -> std::io::Result<&mut std::io::BufWriter<std::fs::File>> {
        if self.body.is_none() {
            let file = tempfile::tempfile_in(&self.folder)?;
            self.body = Some(std::io::BufWriter::with_capacity(1 << 20, file));
        }
        match self.body.as_mut() {
            Some(body) => Ok(body),
            None => Err(std::io::Error::other("no body")),
        }
    }
}

/// One input as it is read.
struct Input {
    path: PathBuf,
    /// Which input this is, counted from 0.
    index: usize,
    pieces: Option<PieceLayers>,
    sample: bool,
    /// The public columns' names, once features were written.
    columns: Option<Vec<String>>,
    written: usize,
    /// The last piece's layer without features (the fields so far).
    last: Option<Layer>,
    summary: Option<Layer>,
    fields_read: Vec<String>,
    /// Why it stopped streaming, when it did.
    stopped: Option<String>,
}

impl Input {
    fn new(path: &Path, index: usize) -> Self {
        Input {
            path: path.to_path_buf(),
            index,
            pieces: None,
            sample: false,
            columns: None,
            written: 0,
            last: None,
            summary: None,
            fields_read: Vec::new(),
            stopped: None,
        }
    }

    fn why_not(&self) -> String {
        self.stopped
            .clone()
            .unwrap_or_else(|| "the input cannot be read in pieces".into())
    }

    /// Filters one piece and writes what passes; says how to go on.
    fn piece(
        &mut self,
        job: &StreamJob<'_>,
        out: &mut Out<'_>,
        piece: Piece,
    ) -> Result<Flow, StreamError> {
        let Some(maker) = self.pieces.as_mut() else {
            return Ok(Flow::Stop);
        };
        let mut layer = maker.layer(piece.fields, piece.features, piece.warnings, piece.records)?;
        layer.meta.sample = self.sample;
        if let Some(internal) = job.internal {
            layer.meta.internal_fields = Some(internal.to_vec());
        }
        out.warnings
            .extend(layer.warnings.drain(..).map(|w| (self.path.clone(), w)));
        if layer.features.is_empty() {
            // Nothing to filter or write: the fields so far are kept for the end.
            self.last = Some(layer_without_features(&layer));
            return Ok(Flow::Next);
        }
        // A filter that does not fit the fields (so far): the whole read says why.
        let Ok(mut ids) = job
            .filter
            .check(&layer)
            .and_then(|_| job.filter.apply(&layer))
        else {
            self.stopped = Some("the filter does not fit the fields read so far".into());
            return Ok(Flow::Stop);
        };
        if let Some(n) = job.top {
            ids.truncate(n.saturating_sub(self.written));
        }
        self.fields_read = job.filter.fields_used(&layer);
        let section = Section::new(&layer, ids, job.options.profile, self.fields_read.clone());
        let names: Vec<String> = section
            .columns
            .iter()
            .map(|&c| layer.fields[c].name.clone())
            .collect();
        // Spilled features keep every value and are read back as layers of the final fields,
        // so only GeoJSON, written as it comes, needs the columns to stay as they began.
        match &self.columns {
            Some(before) if *before != names && self.written > 0 && out.spill.is_none() => {
                self.stopped = Some("a field first appears after features were written".into());
                return Ok(Flow::Stop);
            }
            _ => self.columns = Some(names),
        }
        let before = out.features.written;
        let target_error = |e: std::io::Error| WriteError {
            path: job.target.to_path_buf(),
            message: e.to_string(),
        };
        if let Some((_, spill, _)) = out.spill.as_mut() {
            if !layer.source.crs.known
                && section
                    .ids
                    .iter()
                    .any(|&id| layer.features[id].geometry.is_some())
            {
                return Err(ExportError::UnknownCrs {
                    path: job.target.to_path_buf(),
                    layer: layer.name.clone(),
                }
                .into());
            }
            out.features.written += spill.section(self.index, &section)?;
        } else {
            out.body().map_err(target_error)?;
            if let Some(body) = out.body.as_mut() {
                out.features.section(body, &section).map_err(target_error)?;
            }
        }
        self.written += out.features.written - before;
        (out.progress)(Progress {
            bytes_read: out.bytes_done + piece.bytes_read,
            bytes_total: out.bytes_total,
            read: out.read_before + piece.records,
            written: out.features.written,
        });
        self.last = Some(layer_without_features(&layer));
        Ok(if job.top.is_some_and(|n| self.written >= n) {
            Flow::CountRest
        } else {
            Flow::Next
        })
    }
}

/// A GeoJSON file or a Shapefile a block at a time; the records it held, or `None` when it
/// cannot stream.
fn read_file(
    job: &StreamJob<'_>,
    input: &mut Input,
    out: &mut Out<'_>,
    format: Format,
) -> Result<Option<usize>, StreamError> {
    let path = input.path.clone();
    let mut failed: Option<StreamError> = None;
    let bbox = job.filter.bbox.as_ref().map(|b| b.envelope);
    let mut each = |event: Event<'_>| match event {
        Event::Head(h) => {
            input.sample = h.sample;
            let mut p = PieceLayers::new(
                &path,
                format,
                h.encoding.clone(),
                h.crs.clone(),
                job.load.crs.clone(),
            );
            p.warnings.extend(h.warnings.iter().cloned());
            input.pieces = Some(p);
            Ok(Flow::Next)
        }
        Event::Piece(piece) => match input.piece(job, out, piece) {
            Ok(flow) => Ok(flow),
            Err(e) => {
                failed = Some(e);
                Ok(Flow::Stop)
            }
        },
    };
    let result = match format {
        Format::Shapefile => crate::io::shp_stream::stream(
            &path,
            job.block_bytes,
            bbox,
            job.filter.where_text.as_deref(),
            (job.load.crs.as_deref(), job.load.encoding.as_deref()),
            &mut each,
        )?,
        _ => stream::stream(
            &path,
            job.block_bytes,
            bbox,
            job.load.crs.as_deref(),
            &mut each,
        )?,
    };
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(match result {
        Read::Done { records } => Some(records),
        Read::CannotStream(why) => {
            input.stopped = Some(why);
            None
        }
        Read::Stopped => None,
    })
}

/// A PostGIS table through its server-side cursor, a batch at a time (the box and the filter
/// pushed down as a whole read pushes them); the rows in the table, or `None`.
fn read_postgis(
    job: &StreamJob<'_>,
    url: &str,
    input: &mut Input,
    out: &mut Out<'_>,
) -> Result<Option<usize>, StreamError> {
    let path = input.path.clone();
    let load = LoadOptions {
        bbox_hint: job.filter.bbox.as_ref().map(|b| b.envelope),
        where_hint: job.filter.where_text.clone(),
        spatial_hint: crate::io::SpatialHint::of(job.filter),
        ..job.load.clone()
    };
    let reading = crate::io::postgis::read(url, &load)?;
    let mut maker = PieceLayers::new(
        &path,
        Format::PostGis,
        None,
        reading.crs,
        job.load.crs.clone(),
    );
    maker.rename(reading.name);
    maker.warnings.extend(reading.warnings);
    input.pieces = Some(maker);
    let mut rows = 0usize;
    let mut counting = false;
    for batch in reading.batches {
        let batch = batch.map_err(|m| LoadError::invalid(&path, m))?;
        rows += batch.features.len();
        if counting {
            continue;
        }
        let piece = Piece {
            fields: reading.fields.clone(),
            features: batch.features,
            warnings: batch.warnings,
            bytes_read: 0,
            records: rows,
        };
        match input.piece(job, out, piece)? {
            Flow::Next => {}
            Flow::Stop => return Ok(None),
            Flow::CountRest => counting = true,
        }
    }
    if input.last.is_none() {
        // No rows came: the layer's fields, for the provenance and the filter's check.
        let Some(maker) = input.pieces.as_mut() else {
            return Ok(None);
        };
        let layer = maker.layer(reading.fields.clone(), Vec::new(), Vec::new(), 0)?;
        input.last = Some(layer_without_features(&layer));
    }
    Ok(Some(reading.record_count.unwrap_or(rows)))
}

/// Writes the file in `format` from what `spill` holds, and its README when the export wants
/// one, as [`super::export`] does; `sections` hold the inputs' final fields and no features.
fn from_spill(
    job: &StreamJob<'_>,
    (format, mut spill, crs): (OutputFormat, super::spill::Spill, OutputCrs),
    sections: &[Section<'_>],
    written: &[usize],
) -> Result<Written, StreamError> {
    let options = job.options;
    spill.close()?;
    let provenance = options
        .metadata
        .then(|| provenance::build_counted(sections, written, options, &crs, format));
    let export = super::Job {
        target: job.target,
        sections,
        options,
        crs: &crs,
        provenance: provenance.as_ref(),
        protected: job.protected,
    };
    let mut done = super::write_chunks(format, &export, &|only, each| {
        spill.each(sections, options.profile, only, each)
    })?;
    super::readme_if_wanted(
        job.target,
        format,
        options,
        provenance.as_ref(),
        &mut done,
        job.protected,
    )?;
    Ok(done)
}

/// Names of the fields the profile left out of `sections`.
fn dropped_fields(sections: &[Section<'_>]) -> Vec<String> {
    sections
        .iter()
        .flat_map(|s| s.dropped())
        .map(str::to_string)
        .collect()
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
