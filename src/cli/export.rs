//! `sitelens export INPUT... -o OUT`: filter, then write GeoJSON, CSV, Shapefile, GeoPackage or
//! FlatGeobuf in a profile.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use super::ReadArgs;
use crate::export::{self, ExportOptions, Profile, Section};
use crate::filter::{BboxFilter, Filter, Relation, SpatialFilter};
use crate::io::{self, LoadOptions};
use crate::model::{Layer, Role};
use crate::project::{Analysis, CONTEXT_ROLES, LayerSpec, Project};

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Layers to export (their features go into one output).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output file: .geojson (RFC 7946), .csv, .shp (with .shx, .dbf, .prj, .cpg), .gpkg
    /// (one table per input) or .fgb (with its spatial index).
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: PathBuf,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// public (default: drops internal fields) or internal (every field).
    #[arg(long, default_value = "public")]
    pub profile: Profile,
    /// Decimals of exported coordinates (7 ≈ 1 cm).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub precision: u8,
    /// full: provenance in the file (or a README beside a CSV); none: the bare collection.
    #[arg(long, value_enum, default_value_t = Metadata::Full)]
    pub metadata: Metadata,
    /// Write coordinates in this CRS, e.g. EPSG:6677 (平面直角座標系 IX) for a city system:
    /// .shp, .gpkg, .fgb and .csv (GeoJSON is always WGS84).
    #[arg(long, value_name = "CRS")]
    pub to_crs: Option<String>,
    /// Text encoding of a Shapefile's .dbf: utf-8 (with a .cpg) or cp932 for older systems.
    #[arg(long, value_enum, default_value_t = export::DbfEncoding::Utf8)]
    pub dbf_encoding: export::DbfEncoding,
    /// The one geometry kind a Shapefile keeps when the features mix kinds (others are left
    /// out, and counted).
    #[arg(long, value_enum, value_name = "KIND")]
    pub geometry_type: Option<export::GeometryKind>,
    /// Also write OUT's README (<stem>.README.md) with the provenance.
    #[arg(long)]
    pub readme: bool,
    /// Names more internal fields of every input (comma-separated), besides the name rule.
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub internal: Option<Vec<String>>,
    /// Add the site metrics as fields (area_m2/ha/tsubo, zoning_mix, coverage_pct 建蔽率,
    /// floor_area_pct 容積率, max footprint and floor area, nearest station and IC with their
    /// distances, enterprises within 500 m / 1 km, in_city), computed against the Hino project's
    /// stations, interchanges, boundary, zoning and enterprises; --where can use them.
    #[arg(long)]
    pub metrics: bool,
    /// Zoning layer for --metrics instead of the project's (fictional sample) one.
    #[arg(long, value_name = "FILE", requires = "metrics")]
    pub zoning: Option<PathBuf>,
    /// Enterprise points for --metrics instead of the project's (fictional sample) ones.
    #[arg(long, value_name = "FILE", requires = "metrics")]
    pub enterprises: Option<PathBuf>,
    /// Rank the sites: criterion=weight pairs from area, zoning, ic, station, industry (with
    /// :JSIC code, e.g. industry=1:E). Adds score (0–100), rank and score_breakdown, and writes
    /// the features best first.
    #[arg(long, value_name = "WEIGHTS", requires = "metrics")]
    pub rank: Option<crate::analysis::rank::Weights>,
    /// Add `programmes`: the incentive programmes each site may qualify for, by a rules file
    /// (TOML, conditions in the --where language), or `example` for the shipped example rules
    /// (invented conditions, marked as such in the field).
    #[arg(long, value_name = "RULES", requires = "metrics")]
    pub incentives: Option<String>,
    /// Only the N best (with --rank) or first features that pass the filter.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    /// With --metrics: fail (non-zero, nothing written) when a layer cannot be read for its
    /// role (a zoning layer not recognised, enterprises without an industry field, …); without
    /// it such layers are warnings on stderr and the metrics they feed say why they are empty.
    #[arg(long)]
    pub strict: bool,
    /// No progress line on stderr (long exports print one: features read and written, rate).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// The filter options `export` and `publish` share.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Attribute filter in SQL WHERE syntax, e.g. "面積" >= 1000 AND "用途地域" LIKE '%工業%'.
    #[arg(long = "where", value_name = "EXPR")]
    pub where_expr: Option<String>,
    /// Keep features intersecting minx,miny,maxx,maxy (lon/lat unless --bbox-crs).
    #[arg(long, value_name = "BOX", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// CRS of --bbox, e.g. EPSG:6677.
    #[arg(long, value_name = "CRS", requires = "bbox")]
    pub bbox_crs: Option<String>,
    /// Keep features inside the polygons of this layer.
    #[arg(long, value_name = "FILE")]
    pub within: Option<PathBuf>,
    /// Keep features that touch or cross a feature of this layer.
    #[arg(long, value_name = "FILE")]
    pub intersects: Option<PathBuf>,
    /// Keep features within --distance metres of a feature of this layer.
    #[arg(long, value_name = "FILE", requires = "distance")]
    pub near: Option<PathBuf>,
    /// Distance for --near, in metres.
    #[arg(long, value_name = "METRES", requires = "near")]
    pub distance: Option<f64>,
}

impl FilterArgs {
    /// The filter these options describe, with its reference layers loaded.
    pub fn build(&self) -> Result<Filter> {
        let mut filter = Filter {
            where_text: self.where_expr.clone(),
            bbox: match &self.bbox {
                Some(b) => Some(
                    BboxFilter::parse(b, self.bbox_crs.as_deref())
                        .with_context(|| format!("--bbox {b}"))?,
                ),
                None => None,
            },
            spatial: Vec::new(),
        };
        let reference = |path: &Path| -> Result<Arc<Layer>> {
            let layer = io::load(path, &LoadOptions::default()).context("reference layer")?;
            if !layer.source.crs.known {
                bail!("{}: reference layer has an unknown CRS", path.display());
            }
            Ok(Arc::new(layer))
        };
        if let Some(p) = &self.within {
            filter.spatial.push(SpatialFilter {
                relation: Relation::Within,
                reference: reference(p)?,
            });
        }
        if let Some(p) = &self.intersects {
            filter.spatial.push(SpatialFilter {
                relation: Relation::Intersects,
                reference: reference(p)?,
            });
        }
        if let (Some(p), Some(distance_m)) = (&self.near, self.distance) {
            if !(distance_m.is_finite() && distance_m >= 0.0) {
                bail!("--distance {distance_m}: give a distance in metres, 0 or more");
            }
            filter.spatial.push(SpatialFilter {
                relation: Relation::Near { distance_m },
                reference: reference(p)?,
            });
        }
        Ok(filter)
    }

    /// The reference layers' files (never written over).
    pub fn reference_files(&self) -> impl Iterator<Item = &PathBuf> {
        self.within.iter().chain(&self.intersects).chain(&self.near)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Metadata {
    Full,
    None,
}

impl clap::builder::ValueParserFactory for Profile {
    type Parser = clap::builder::ValueParser;
    fn value_parser() -> Self::Parser {
        clap::builder::ValueParser::new(|s: &str| s.parse::<Profile>())
    }
}

/// Runs the export; returns the summary line to print.
pub fn run(args: &ExportArgs) -> Result<String> {
    let filter = args.filter.build()?;
    if let Some(summary) = run_streamed(args, &filter)? {
        return Ok(summary);
    }
    let mut options = args.read.options();
    // Loaders may skip records that cannot meet the box; the filter still applies in full.
    options.bbox_hint = filter.bbox.as_ref().map(|b| b.envelope);
    // A database source sends only the rows the expression's SQL passes.
    options.where_hint = filter.where_text.clone();
    options.spatial_hint = io::SpatialHint::of(&filter);
    let mut layers: Vec<Layer> = Vec::with_capacity(args.inputs.len());
    // Best first per layer, when ranked.
    let mut orders: Vec<Option<Vec<usize>>> = Vec::with_capacity(args.inputs.len());
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        inputs.extend(io::layer_paths(path)?);
    }
    for path in &inputs {
        let (layer, order) = if args.metrics {
            load_with_metrics(path, args)?
        } else {
            let mut layer = io::load(path, &options)?;
            if let Some(internal) = &args.internal {
                layer.meta.internal_fields = Some(internal.clone());
            }
            (layer, None)
        };
        for w in &layer.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
        layers.push(layer);
        orders.push(order);
    }
    // Every layer is checked before anything is written.
    for layer in &layers {
        filter.check(layer)?;
    }
    let mut sections = Vec::with_capacity(layers.len());
    for (layer, order) in layers.iter().zip(&orders) {
        let mut ids = filter.apply(layer)?;
        if let Some(order) = order {
            let passed: std::collections::HashSet<usize> = ids.into_iter().collect();
            ids = order
                .iter()
                .copied()
                .filter(|i| passed.contains(i))
                .collect();
        }
        if let Some(n) = args.top {
            ids.truncate(n);
        }
        sections.push(Section::new(
            layer,
            ids,
            args.profile,
            filter.fields_used(layer),
        ));
    }
    let export_options = export_options(args, &filter);
    let written = export::export(&args.output, &sections, &export_options, &protected(args))?;
    let dropped: Vec<&str> = sections.iter().flat_map(|s| s.dropped()).collect();
    Ok(summary(args, &written, dropped))
}

/// The options of the export as the writers take them.
fn export_options(args: &ExportArgs, filter: &Filter) -> ExportOptions {
    ExportOptions {
        profile: args.profile,
        precision: args.precision as usize,
        metadata: args.metadata == Metadata::Full,
        readme: args.readme,
        filter_text: describe_selection(filter, args),
        to_crs: args.to_crs.clone(),
        dbf_encoding: args.dbf_encoding,
        geometry_type: args.geometry_type,
        written_at: None,
    }
}

/// The export a piece at a time, when the inputs allow it (GeoJSON files, Shapefiles, PostGIS
/// tables; no metrics or ranking), to any format: memory holds one piece whatever the input's
/// size. `None` when it does not apply, and the export is made the usual way.
fn run_streamed(args: &ExportArgs, filter: &Filter) -> Result<Option<String>> {
    use export::stream::{Outcome, Progress, StreamJob, export_streamed, streamable};
    let load = args.read.options();
    let options = export_options(args, filter);
    let mut inputs = Vec::with_capacity(args.inputs.len());
    for path in &args.inputs {
        inputs.extend(io::layer_paths(path)?);
    }
    if args.metrics || !streamable(&args.output, &inputs, &load, &options) {
        return Ok(None);
    }
    let started = std::time::Instant::now();
    let mut shown = std::time::Instant::now();
    let mut printed = false;
    let mut report = |p: Progress| {
        if args.quiet || shown.elapsed() < std::time::Duration::from_secs(1) {
            return;
        }
        shown = std::time::Instant::now();
        printed = true;
        let secs = started.elapsed().as_secs_f64().max(1e-3);
        eprint!(
            "\r{} features read ({:.0} %), {} written, {:.0} features/s   ",
            p.read,
            100.0 * p.bytes_read as f64 / p.bytes_total.max(1) as f64,
            p.written,
            p.read as f64 / secs
        );
    };
    let protected = protected(args);
    let job = StreamJob {
        target: &args.output,
        inputs: &inputs,
        filter,
        load: &load,
        internal: args.internal.as_deref(),
        top: args.top,
        options: &options,
        protected: &protected,
        block_bytes: export::stream::BLOCK_BYTES,
    };
    let outcome = export_streamed(&job, &mut report);
    if printed {
        eprintln!();
    }
    // The inner error itself, so `hint` finds it (a transparent wrapper hides it from
    // downcasting).
    let outcome = outcome.map_err(|e| match e {
        export::stream::StreamError::Export(e) => anyhow::Error::from(e),
        export::stream::StreamError::Load(e) => anyhow::Error::from(e),
        export::stream::StreamError::Filter(e) => anyhow::Error::from(e),
    })?;
    match outcome {
        // Read whole instead; what is wrong with the input, if anything, that read says.
        Outcome::CannotStream(_) => Ok(None),
        Outcome::Written(done) => {
            for (path, w) in &done.warnings {
                eprintln!("warning: {}: {w}", path.display());
            }
            let dropped = done.dropped.iter().map(String::as_str).collect();
            Ok(Some(summary(args, &done.written, dropped)))
        }
    }
}

/// The line the export prints: features, files, the profile and what it dropped, names cut,
/// notes.
fn summary(args: &ExportArgs, written: &export::Written, mut dropped: Vec<&str>) -> String {
    dropped.sort_unstable();
    dropped.dedup();
    let dropped = match (args.profile, dropped.is_empty()) {
        (Profile::Public, false) => format!("; internal fields dropped: {}", dropped.join(", ")),
        (Profile::Public, true) => "; no internal fields".to_string(),
        (Profile::Internal, _) => String::new(),
    };
    let files: Vec<String> = written
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let files = match files.as_slice() {
        [rest @ .., last] if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => files.join(""),
    };
    let mut text = format!(
        "{} features written to {files} ({} profile{dropped})",
        written.features,
        args.profile.name()
    );
    if !written.renamed.is_empty() {
        let pairs: Vec<String> = written
            .renamed
            .iter()
            .map(|(from, to)| format!("{from} → {to}"))
            .collect();
        text.push_str(&format!(
            "\nfield names cut to fit the format: {}",
            pairs.join(", ")
        ));
    }
    for note in &written.notes {
        text.push_str(&format!("\nnote: {note}"));
    }
    text
}

/// Inputs and their sidecar files: an export never writes over them.
fn protected(args: &ExportArgs) -> Vec<PathBuf> {
    protected_files(args.inputs.iter().chain(args.filter.reference_files()))
}

/// The files named and their sidecars and containers: an export never writes over them.
pub fn protected_files<'a>(paths: impl Iterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        out.push(path.clone());
        // `file.gpkg/table`: the GeoPackage itself.
        out.extend(
            path.ancestors()
                .skip(1)
                .filter(|p| p.is_file())
                .map(Path::to_path_buf),
        );
        for ext in ["shp", "shx", "dbf", "prj", "cpg", "qix", "sbn", "sbx"] {
            out.push(path.with_extension(ext));
        }
    }
    out
}

/// Loads `path` as the sites layer of a project whose other layers are the Hino project's
/// context (with the user's zoning or enterprise file in place of the samples), so the metrics,
/// programmes and ranking come from the same [`Project::load`] as the viewer's. Returns the layer
/// and, when ranked, its feature positions best first.
fn load_with_metrics(path: &Path, args: &ExportArgs) -> Result<(Layer, Option<Vec<usize>>)> {
    let spec = |path: &Path, role: Role| -> Result<LayerSpec> {
        let text = path
            .to_str()
            .with_context(|| format!("{}: the path is not UTF-8", path.display()))?;
        Ok(LayerSpec {
            role: Some(role),
            encoding: args.read.encoding.clone(),
            crs: args.read.crs.clone(),
            ..LayerSpec::new(text.to_string())
        })
    };
    let mut layers: Vec<LayerSpec> = Project::hino()
        .layers
        .into_iter()
        .filter(|l| l.role.is_some_and(|r| CONTEXT_ROLES.contains(&r)))
        .collect();
    for (role, file) in [
        (Role::Zoning, &args.zoning),
        (Role::Enterprise, &args.enterprises),
    ] {
        if let Some(file) = file {
            layers.retain(|l| l.role != Some(role));
            layers.push(spec(file, role)?);
        }
    }
    layers.push(LayerSpec {
        internal_fields: args.internal.clone(),
        ..spec(path, Role::Site)?
    });
    let project = Project {
        analysis: Analysis {
            rules: args.incentives.clone(),
            ..Analysis::default()
        },
        layers,
        ..Project::default()
    };
    let loaded = project.load();
    if !loaded.errors.is_empty() {
        bail!("{}", loaded.errors.join("; "));
    }
    for (at, w) in &loaded.warnings {
        let path = &loaded.layers[*at].0.path;
        eprintln!("warning: {path}: {w}");
    }
    if args.strict && !loaded.warnings.is_empty() {
        bail!(
            "--strict: {} layer warning(s) above; nothing written",
            loaded.warnings.len()
        );
    }
    let sites = loaded
        .sites
        .with_context(|| format!("{}: not loaded", path.display()))?;
    let Some((_, mut layer)) = loaded.layers.into_iter().nth(sites) else {
        bail!("{}: not loaded", path.display());
    };
    let order = args.rank.as_ref().map(|weights| {
        crate::analysis::rank::add_score_fields(&mut layer, &loaded.metrics, weights)
    });
    Ok((layer, order))
}

/// The filter as text, with the ranking and the cut when there are any (for provenance).
fn describe_selection(filter: &Filter, args: &ExportArgs) -> String {
    let mut parts = vec![if filter.is_empty() {
        String::new()
    } else {
        filter.describe()
    }];
    if let Some(w) = &args.rank {
        let weights: Vec<String> = crate::analysis::rank::Criterion::ALL
            .into_iter()
            .filter(|&c| w.get(c) > 0.0)
            .map(|c| format!("{}={}", c.key(), w.get(c)))
            .collect();
        parts.push(format!(
            "ranked by {} (industry {})",
            weights.join(","),
            w.industry
        ));
    }
    if let Some(n) = args.top {
        parts.push(format!("first {n}"));
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        filter.describe()
    } else {
        parts.join("; ")
    }
}
