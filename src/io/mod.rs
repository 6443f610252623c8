//! Loaders: one file per format, each turning a file into features in source coordinates; this
//! module picks the loader, resolves the CRS, reprojects once into WGS84 lon/lat and builds the
//! layer with its R-tree.
//!
//! To add a format: write a [`Loader`] in its own file and list it in [`LOADERS`].

mod archive;
mod checks;
mod csv;
mod dbf;
mod fgb;
pub(crate) mod geojson;
pub(crate) mod geopackage;
mod kml;
pub mod postgis;
mod rings;
mod shapefile;
pub(crate) mod shp_stream;
pub mod stream;
pub mod text;
pub(crate) mod wkb;

use std::path::{Path, PathBuf};

use geo_types::Coord;

use crate::crs::{self, CrsHint, Reprojector, Resolved};
use crate::error::{LoadError, LoadErrorKind};
use crate::model::{
    Envelope, Feature, Field, Format, Layer, Source, SpatialIndex, TextEncoding, Warning,
};

/// What the user said about how to read the files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Text encoding override (a label such as "cp932" or "utf-8").
    pub encoding: Option<String>,
    /// CRS override (e.g. "EPSG:6677"); wins over what the file says.
    pub crs: Option<String>,
    /// Only features that may intersect this lon/lat box are needed (an export's `--bbox`).
    /// A hint: loaders that can skip records cheaply (Shapefile, by each record's stored box)
    /// leave the rest out; the filter is applied in full afterwards either way.
    pub bbox_hint: Option<Envelope>,
    /// Only features that may pass this attribute filter (an export's `--where`) are needed.
    /// A hint like `bbox_hint`: a database source sends only the rows its exact SQL form
    /// passes; the filter is applied in full afterwards either way.
    pub where_hint: Option<String>,
    /// Only features near these reference layers are needed (an export's `--within`,
    /// `--intersects` and `--near`). A hint like `bbox_hint`: a database source sends only the
    /// rows within reach of them; the filter is applied in full afterwards either way.
    pub spatial_hint: Vec<SpatialHint>,
}

/// A reference layer whose neighbourhood a load needs: features that touch it (`distance_m`
/// 0: `--within`, `--intersects`) or come within `distance_m` of it (`--near`).
#[derive(Debug, Clone)]
pub struct SpatialHint {
    pub reference: std::sync::Arc<Layer>,
    pub distance_m: f64,
}

impl SpatialHint {
    /// The hints of a filter's spatial conditions.
    pub fn of(filter: &crate::filter::Filter) -> Vec<SpatialHint> {
        use crate::filter::Relation;
        filter
            .spatial
            .iter()
            .map(|s| SpatialHint {
                reference: s.reference.clone(),
                distance_m: match s.relation {
                    Relation::Near { distance_m } => distance_m,
                    Relation::Within | Relation::Intersects => 0.0,
                },
            })
            .collect()
    }
}

/// One file to read, with access to its sidecar files (.dbf, .prj, …) on disk or in an archive.
pub struct Input {
    /// Path as given, for messages.
    pub path: PathBuf,
    /// Member name when the file is inside a .zip.
    pub member: Option<String>,
    /// The layer of a file that holds several (a GeoPackage table).
    pub layer: Option<String>,
    /// The file's bytes; empty for a loader that reads by path ([`Loader::reads_by_path`]).
    pub bytes: Vec<u8>,
    siblings: Siblings,
}

enum Siblings {
    Files,
    Archive(archive::Archive),
    /// Sidecars held in memory, by lower-case extension without the dot (fuzzing, tests).
    Memory(Vec<(String, Vec<u8>)>),
    Nothing,
}

impl Input {
    /// A file given as bytes already in memory (embedded data, tests), with no sidecar files.
    pub fn from_bytes(path: impl Into<PathBuf>, bytes: Vec<u8>) -> Self {
        Input {
            path: path.into(),
            member: None,
            layer: None,
            bytes,
            siblings: Siblings::Nothing,
        }
    }

    /// A file its loader opens itself, by path ([`Loader::reads_by_path`]).
    pub fn by_path(path: &Path) -> Self {
        Input {
            siblings: Siblings::Files,
            ..Input::from_bytes(path, Vec::new())
        }
    }

    /// A file in memory with its sidecar files in memory: (extension without the dot, bytes).
    pub fn with_sidecars(
        path: impl Into<PathBuf>,
        bytes: Vec<u8>,
        sidecars: Vec<(String, Vec<u8>)>,
    ) -> Self {
        Input {
            siblings: Siblings::Memory(sidecars),
            ..Input::from_bytes(path, bytes)
        }
    }

    /// Whether the loader is to open the file itself, from `path` ([`Input::by_path`]), rather
    /// than read `bytes`.
    pub fn on_disk(&self) -> bool {
        self.bytes.is_empty() && self.member.is_none() && matches!(self.siblings, Siblings::Files)
    }

    /// The sidecar file with extension `ext` (".dbf", ".prj", …), matched case-insensitively.
    pub fn sibling(&self, ext: &str) -> Result<Option<Vec<u8>>, LoadError> {
        match &self.siblings {
            Siblings::Nothing => Ok(None),
            Siblings::Memory(sidecars) => {
                let ext = ext.trim_start_matches('.');
                Ok(sidecars
                    .iter()
                    .find(|(e, _)| e.eq_ignore_ascii_case(ext))
                    .map(|(_, bytes)| bytes.clone()))
            }
            Siblings::Archive(archive) => {
                let member = self.member.as_deref().unwrap_or_default();
                archive
                    .sibling(member, ext)
                    .map_err(|e| LoadError::new(&self.path, e))
            }
            Siblings::Files => {
                let Some(path) = sibling_path(&self.path, ext) else {
                    return Ok(None);
                };
                read_limited(&path).map(Some)
            }
        }
    }

    /// Where a problem is, for messages: the path, plus the member of an archive.
    pub fn display(&self) -> PathBuf {
        let mut path = self.path.clone();
        path.extend(self.member.iter().chain(&self.layer));
        path
    }

    pub fn extension(&self) -> String {
        let name = self.member.as_deref().map(Path::new).unwrap_or(&self.path);
        name.extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase()
    }
}

/// Finds `stem.ext` beside `path`, trying the lower- and upper-case extension, then any case.
fn sibling_path(path: &Path, ext: &str) -> Option<PathBuf> {
    let ext = ext.trim_start_matches('.');
    for candidate in [ext.to_ascii_lowercase(), ext.to_ascii_uppercase()] {
        let p = path.with_extension(&candidate);
        if p.is_file() {
            return Some(p);
        }
    }
    let stem = path.file_stem()?.to_str()?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_stem().and_then(|s| s.to_str()) == Some(stem)
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| e.eq_ignore_ascii_case(ext))
        })
}

/// What a loader found in a file, before CRS resolution.
pub struct Parsed {
    pub fields: Vec<Field>,
    /// Geometries in source coordinates.
    pub features: Vec<Feature>,
    pub warnings: Vec<Warning>,
    pub encoding: Option<TextEncoding>,
    pub crs: CrsHint,
    /// Records in the file, including any skipped by the bbox hint or as invalid.
    pub record_count: usize,
    /// The file says it is fictional sample data.
    pub sample: bool,
}

/// A file format reader.
pub trait Loader: Sync {
    fn format(&self) -> Format;
    /// Lower-case file extensions this loader reads.
    fn extensions(&self) -> &'static [&'static str];
    fn load(&self, input: &Input, options: &LoadOptions) -> Result<Parsed, LoadError>;
    /// A quick look at the first bytes of a file: `Err` when it cannot be this format, so a
    /// huge file of something else is refused before it is read into memory.
    fn check_head(&self, _ext: &str, _head: &[u8]) -> Result<(), String> {
        Ok(())
    }
    /// The loader opens the file itself (SQLite, or reads by an index): a file on disk reaches
    /// it with empty `bytes`. Bytes from an archive or memory still come as bytes.
    fn reads_by_path(&self) -> bool {
        false
    }
}

/// The largest file (or zip member) sitelens reads: 4 GiB. A GeoJSON file takes about 2.3 times
/// its size in memory while it loads, a Shapefile about 2.5 times; beyond this a layer is better
/// split. Anything larger is refused before it is read.
pub const MAX_FILE_BYTES: u64 = 4 << 30;

/// Files larger than this (past their head) are read in chunks of this size on every core.
const PARALLEL_READ_CHUNK: usize = 8 << 20;

/// Bytes looked at before a file is read whole.
const HEAD_BYTES: usize = 64 * 1024;

/// Splits `dir/file.EXT/inner/name` into (`dir/file.EXT`, Some("inner/name")) and `file.EXT`
/// into (`file.EXT`, None), where `file.EXT` is a file on disk with extension `ext` (any case): a
/// .zip and its member, a GeoPackage and its table. `None` when no part of the path is one.
fn split_container_path(path: &Path, ext: &str) -> Option<(PathBuf, Option<String>)> {
    let is_container = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case(ext))
            && p.is_file()
    };
    if is_container(path) {
        return Some((path.to_path_buf(), None));
    }
    let file = path.ancestors().skip(1).find(|p| is_container(p))?;
    let rest = path.strip_prefix(file).ok()?;
    let parts: Vec<&str> = rest.iter().filter_map(|c| c.to_str()).collect();
    Some((file.to_path_buf(), Some(parts.join("/"))))
}

/// Splits `folder/data.gpkg/table` into (`folder/data.gpkg`, `table`).
fn geopackage_member_table(member: &str) -> Option<(String, String)> {
    let at = member.to_ascii_lowercase().find(".gpkg/")?;
    let (gpkg, table) = (&member[..at + 5], &member[at + 6..]);
    (!table.is_empty()).then(|| (gpkg.to_string(), table.to_string()))
}

fn extension_of(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Opens a file and checks its first bytes against the loader its extension names; returns the
/// file (positioned after them) and those bytes.
fn open_checked(path: &Path) -> Result<(std::fs::File, Vec<u8>), LoadError> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| LoadError::new(path, e))?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut file)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(|e| LoadError::new(path, e))?;
    let ext = extension_of(path);
    if let Some(loader) = loader_for(&ext) {
        loader
            .check_head(&ext, &head)
            .map_err(|m| LoadError::new(path, LoadErrorKind::Invalid(m)))?;
    }
    Ok((file, head))
}

/// Reads a file, after checking its first bytes against the loader its extension names.
fn read_checked(path: &Path) -> Result<Vec<u8>, LoadError> {
    let (file, head) = open_checked(path)?;
    read_rest(path, file, head)
}

/// Reads a sidecar file whole, within [`MAX_FILE_BYTES`].
fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    let file = std::fs::File::open(path).map_err(|e| LoadError::new(path, e))?;
    read_rest(path, file, Vec::new())
}

/// Reads the rest of `file` after the `head` already read, refusing more than [`MAX_FILE_BYTES`]
/// (checked on the size before reading, and while reading should the file grow).
fn read_rest(path: &Path, mut file: std::fs::File, head: Vec<u8>) -> Result<Vec<u8>, LoadError> {
    use std::io::Read;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            format!(
                "the file is {:.1} GiB; sitelens reads files up to {} GiB (split the layer)",
                size as f64 / (1u64 << 30) as f64,
                MAX_FILE_BYTES >> 30
            ),
        ));
    }
    let mut bytes = head;
    let start = bytes.len();
    if size as usize > start + PARALLEL_READ_CHUNK {
        // Big files are read in chunks on every core: copying from the page cache and faulting
        // in the buffer are most of a Shapefile load's system time.
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;
        // A fresh zeroed allocation (calloc: pages come zeroed from the system, no memset on one
        // core) with the head copied in, then filled on every core.
        let mut whole = vec![0u8; size as usize];
        whole[..start].copy_from_slice(&bytes);
        bytes = whole;
        bytes[start..]
            .par_chunks_mut(PARALLEL_READ_CHUNK)
            .enumerate()
            .try_for_each(|(i, chunk)| {
                file.read_exact_at(chunk, (start + i * PARALLEL_READ_CHUNK) as u64)
            })
            .map_err(|e| {
                LoadError::new(
                    path,
                    std::io::Error::new(
                        e.kind(),
                        format!("{e} (did the file change while it was read?)"),
                    ),
                )
            })?;
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(size))
            .map_err(|e| LoadError::new(path, e))?;
    } else {
        bytes.reserve((size as usize).saturating_sub(start));
    }
    // What is left (all of a small file; anything a big one grew by meanwhile).
    (&mut file)
        .take(MAX_FILE_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadError::new(path, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LoadError::invalid(
            path,
            "the file grew past the size limit while it was read",
        ));
    }
    Ok(bytes)
}

/// Every format sitelens reads.
pub static LOADERS: &[&dyn Loader] = &[
    &geojson::GeoJsonLoader,
    &shapefile::ShapefileLoader,
    &csv::CsvLoader,
    &geopackage::GeoPackageLoader,
    &fgb::FlatGeobufLoader,
    &kml::KmlLoader,
];

fn loader_for(ext: &str) -> Option<&'static dyn Loader> {
    LOADERS
        .iter()
        .copied()
        .find(|l| l.extensions().contains(&ext))
}

/// The layers `path` names: itself, or each feature table of a GeoPackage that holds several
/// (as `FILE.gpkg/TABLE`). What accepts a list of layers to load expands each path through this.
pub fn layer_paths(path: &Path) -> Result<Vec<PathBuf>, LoadError> {
    if postgis::url_of(path).is_some() {
        return Ok(vec![path.to_path_buf()]);
    }
    match geopackage::split_path(path) {
        Some((file, None)) => {
            let names = geopackage::layer_names(&file)?;
            Ok(if names.len() > 1 {
                names.iter().map(|n| file.join(n)).collect()
            } else {
                vec![file]
            })
        }
        _ => Ok(vec![path.to_path_buf()]),
    }
}

/// Every layer `path` names ([`layer_paths`]), loaded.
pub fn load_all(path: &Path, options: &LoadOptions) -> Result<Vec<Layer>, LoadError> {
    layer_paths(path)?
        .iter()
        .map(|p| load(p, options))
        .collect()
}

/// Loads a file (or `archive.zip`, or `archive.zip/member.shp`, or `file.gpkg/table`, or a
/// PostGIS table named by its `postgresql://` URL) into a layer.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Layer, LoadError> {
    if let Some(url) = postgis::url_of(path) {
        let (name, parsed) = postgis::load(url, options)?;
        return postgis_layer(url, name, parsed, options);
    }
    if let Some((file, table)) = geopackage::split_path(path) {
        let input = Input {
            layer: table,
            ..Input::by_path(&file)
        };
        return load_input(input, options);
    }
    let input = match archive::split_archive_path(path) {
        Some((archive_path, member)) => {
            let archive = archive::Archive::open(&archive_path)?;
            // `archive.zip/data.gpkg/table`: one table of a GeoPackage in the archive.
            let (member, layer) = match member {
                Some(m) if !archive.contains(&m) => match geopackage_member_table(&m) {
                    Some((gpkg, table)) => (Some(gpkg), Some(table)),
                    None => (Some(m), None),
                },
                other => (other, None),
            };
            let member = archive.choose_member(&archive_path, member.as_deref())?;
            let bytes = archive
                .read(&member)
                .map_err(|e| LoadError::new(&archive_path, e))?;
            Input {
                path: archive_path,
                member: Some(member),
                layer,
                bytes,
                siblings: Siblings::Archive(archive),
            }
        }
        None if loader_for(&extension_of(path)).is_some_and(|l| l.reads_by_path()) => {
            open_checked(path)?;
            Input::by_path(path)
        }
        None => {
            let bytes = read_checked(path)?;
            Input {
                path: path.to_path_buf(),
                member: None,
                layer: None,
                bytes,
                siblings: Siblings::Files,
            }
        }
    };
    load_input(input, options)
}

/// Rows read from the PostGIS table `url` names as a layer (CRS resolved, reprojected, indexed),
/// named `name`.
pub(crate) fn postgis_layer(
    url: &str,
    name: String,
    parsed: Parsed,
    options: &LoadOptions,
) -> Result<Layer, LoadError> {
    let input = Input::from_bytes(Path::new(url), Vec::new());
    let mut layer = finish(input, Format::PostGis, parsed, options)?;
    layer.name = name;
    Ok(layer)
}

/// Loads an [`Input`] whose format is told by its extension.
pub fn load_input(input: Input, options: &LoadOptions) -> Result<Layer, LoadError> {
    let ext = input.extension();
    let loader = loader_for(&ext).ok_or_else(|| {
        let known: Vec<&str> = LOADERS
            .iter()
            .flat_map(|l| l.extensions())
            .copied()
            .collect();
        LoadError::new(
            &input.display(),
            LoadErrorKind::Unsupported(format!(
                "unsupported file type '.{ext}' (sitelens reads .{})",
                known.join(", .")
            )),
        )
    })?;
    let parsed = loader.load(&input, options)?;
    finish(input, loader.format(), parsed, options)
}

/// Resolves the CRS, reprojects into WGS84 lon/lat and builds the layer.
fn finish(
    mut input: Input,
    format: Format,
    mut parsed: Parsed,
    options: &LoadOptions,
) -> Result<Layer, LoadError> {
    // Parsed: the file's bytes are not needed any more (410 MiB for a million polygons in
    // GeoJSON), so they do not add to the peak while the index is built.
    input.bytes = Vec::new();
    let display = input.display();
    let envelopes = checks::check(&mut parsed.features, &mut parsed.warnings);
    let source_bbox = envelopes.iter().flatten().copied().reduce(Envelope::union);
    let Resolved {
        reprojector,
        info: crs_info,
    } = crs::resolve(
        options.crs.as_deref(),
        parsed.crs,
        source_bbox,
        &mut parsed.warnings,
    )
    .map_err(|e| LoadError::new(&display, e))?;
    // The envelopes of the checks serve the R-tree unless the coordinates move.
    let moved = !matches!(reprojector, Reprojector::Identity);
    reproject(&mut parsed.features, &reprojector, &mut parsed.warnings);
    let name = layer_name(&input);
    let source = Source {
        path: input.path,
        // A GeoPackage's table reads as a member too: `file.gpkg/table` (or
        // `archive.zip/file.gpkg/table`) loads it again.
        member: match (input.member, input.layer) {
            (Some(member), Some(layer)) => Some(format!("{member}/{layer}")),
            (member, layer) => member.or(layer),
        },
        format,
        encoding: parsed.encoding,
        crs: crs_info,
        record_count: parsed.record_count,
    };
    let index = if moved {
        SpatialIndex::build(&parsed.features)
    } else {
        SpatialIndex::from_envelopes(&envelopes)
    };
    let mut layer = Layer::with_index(
        name,
        source,
        parsed.fields,
        parsed.features,
        parsed.warnings,
        index,
    );
    layer.meta.sample = parsed.sample;
    Ok(layer)
}

/// Layers of a file read in pieces, each made as [`load`] makes a whole one: the geometry
/// checks, the CRS resolved once (from the file's hint, the user's CRS and the first piece),
/// reprojection into lon/lat and the R-tree.
pub(crate) struct PieceLayers {
    name: String,
    path: PathBuf,
    format: Format,
    encoding: Option<TextEncoding>,
    user_crs: Option<String>,
    hint: Option<crs::CrsHint>,
    resolved: Option<Resolved>,
    /// About the file as a whole (what resolving its CRS found).
    pub warnings: Vec<Warning>,
    /// Features that repeat a position, over every piece so far.
    repeats: checks::Repeats,
}

impl PieceLayers {
    pub fn new(
        path: &Path,
        format: Format,
        encoding: Option<TextEncoding>,
        hint: crs::CrsHint,
        user_crs: Option<String>,
    ) -> Self {
        PieceLayers {
            name: layer_name(&Input::by_path(path)),
            path: path.to_path_buf(),
            format,
            encoding,
            user_crs,
            hint: Some(hint),
            resolved: None,
            warnings: Vec::new(),
            repeats: checks::Repeats::default(),
        }
    }

    /// The warnings about the file as a whole, once every piece is made: what resolving its
    /// CRS found, then what the pieces' checks counted.
    pub fn finish(mut self) -> Vec<Warning> {
        self.warnings.extend(self.repeats.warning());
        self.warnings
    }

    /// Names the layers as their source does (a PostGIS table).
    pub fn rename(&mut self, name: String) {
        self.name = name;
    }

    /// The layer of one piece; `records` is the count of records met so far.
    pub fn layer(
        &mut self,
        fields: Vec<Field>,
        mut features: Vec<Feature>,
        mut warnings: Vec<Warning>,
        records: usize,
    ) -> Result<Layer, LoadError> {
        let envelopes = checks::check_piece(&mut features, &mut warnings, &mut self.repeats);
        if self.resolved.is_none() {
            let bbox = envelopes.iter().flatten().copied().reduce(Envelope::union);
            let hint = self.hint.take().unwrap_or(crs::CrsHint::Rfc7946);
            let resolved = crs::resolve(self.user_crs.as_deref(), hint, bbox, &mut self.warnings)
                .map_err(|e| LoadError::new(&self.path, e))?;
            self.resolved = Some(resolved);
        }
        let Some(Resolved { reprojector, info }) = &self.resolved else {
            return Err(LoadError::invalid(&self.path, "the CRS was not resolved"));
        };
        let moved = !matches!(reprojector, Reprojector::Identity);
        reproject(&mut features, reprojector, &mut warnings);
        let index = if moved {
            SpatialIndex::build(&features)
        } else {
            SpatialIndex::from_envelopes(&envelopes)
        };
        let source = Source {
            path: self.path.clone(),
            member: None,
            format: self.format,
            encoding: self.encoding.clone(),
            crs: info.clone(),
            record_count: records,
        };
        Ok(Layer::with_index(
            self.name.clone(),
            source,
            fields,
            features,
            warnings,
            index,
        ))
    }
}

/// The lon/lat box `hint` as an envelope in the source CRS (edges densified, padded by 1 %).
/// `None` when the CRS is unknown or the box does not transform: then nothing is skipped.
pub(crate) fn box_in_source_crs(hint: Envelope, definition: &str) -> Option<Envelope> {
    let definition = crs::normalize_definition(definition);
    let (to_wgs84, _) = Reprojector::to_wgs84(&definition).ok()?;
    let env = if matches!(to_wgs84, Reprojector::Identity) {
        hint
    } else {
        let from_wgs84 = Reprojector::from_wgs84(&definition).ok()?;
        densified_envelope(hint, |c| from_wgs84.coord(c).ok())?
    };
    let (pad_x, pad_y) = (
        (env.max_x - env.min_x) * 0.01,
        (env.max_y - env.min_y) * 0.01,
    );
    Some(Envelope::new(
        env.min_x - pad_x,
        env.min_y - pad_y,
        env.max_x + pad_x,
        env.max_y + pad_y,
    ))
}

/// A box in the source CRS as a lon/lat envelope, through `to_wgs84` (edges densified).
pub(crate) fn box_to_wgs84(env: Envelope, to_wgs84: &Reprojector) -> Option<Envelope> {
    if matches!(to_wgs84, Reprojector::Identity) {
        return Some(env);
    }
    densified_envelope(env, |c| to_wgs84.coord(c).ok())
}

/// The envelope of `env`'s edges, 16 steps a side, each point mapped by `map`; `None` when a
/// point does not map.
fn densified_envelope(env: Envelope, map: impl Fn(Coord) -> Option<Coord>) -> Option<Envelope> {
    const STEPS: usize = 16;
    let mut out: Option<Envelope> = None;
    for k in 0..=STEPS {
        let t = k as f64 / STEPS as f64;
        let x = env.min_x + (env.max_x - env.min_x) * t;
        let y = env.min_y + (env.max_y - env.min_y) * t;
        for c in [
            (x, env.min_y),
            (x, env.max_y),
            (env.min_x, y),
            (env.max_x, y),
        ] {
            let p = map(Coord { x: c.0, y: c.1 })?;
            let e = Envelope::new(p.x, p.y, p.x, p.y);
            out = Some(out.map_or(e, |a| a.union(e)));
        }
    }
    out
}

/// Reprojects in place; a feature whose coordinates do not transform loses its geometry, with a
/// warning naming the record.
fn reproject(features: &mut [Feature], reprojector: &Reprojector, warnings: &mut Vec<Warning>) {
    if matches!(reprojector, Reprojector::Identity) {
        return;
    }
    for feature in features {
        let Some(geometry) = feature.geometry.take() else {
            continue;
        };
        match reprojector.geometry(geometry) {
            Ok(g) => feature.geometry = Some(g),
            Err(e) => {
                feature.z = None;
                warnings.push(Warning::record(
                    feature.record,
                    format!("geometry dropped: {e}"),
                ));
            }
        }
    }
}

fn layer_name(input: &Input) -> String {
    if let Some(layer) = &input.layer {
        return layer.clone();
    }
    let name = input
        .member
        .as_deref()
        .map(Path::new)
        .unwrap_or(&input.path);
    name.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("layer")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_files_read_in_parallel_chunks_come_back_whole() {
        // Past the head and several chunks, with a ragged end: every byte in its place.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.geojson");
        let len = HEAD_BYTES + 3 * PARALLEL_READ_CHUNK + 12_345;
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let head = bytes[..HEAD_BYTES].to_vec();
        use std::io::Seek;
        let mut file = file;
        file.seek(std::io::SeekFrom::Start(HEAD_BYTES as u64))
            .unwrap();
        let back = read_rest(&path, file, head).unwrap();
        assert_eq!(back.len(), len);
        assert!(back == bytes, "the bytes differ");
        // A small file takes the plain path.
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(read_limited(&path).unwrap(), b"{}");
    }
}
