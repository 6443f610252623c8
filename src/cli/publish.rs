//! `sitelens publish INPUT|PROJECT.toml … -o FOLDER|FILE.zip --title T …`: the layers that pass a
//! filter, as a dataset package for an open-data catalogue (see `publish/`).

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::ReadArgs;
use super::export::{FilterArgs, protected_files};
use crate::export::{OutputFormat, Profile, Section};
use crate::io;
use crate::model::{Layer, Role};
use crate::project::{LayerSpec, Project};
use crate::publish::{self, PublishLayer, Settings, city::City, terms::PackageLicence};

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Layers to publish (files, `FILE.gpkg/TABLE`, …) or a project file (.toml): each layer is
    /// one dataset of the package, with its credit and licence from the project.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// The package: a folder (made, or an earlier package there replaced) or a .zip.
    #[arg(short = 'o', long, value_name = "FOLDER|FILE.zip")]
    pub output: PathBuf,
    /// The dataset's title, as the catalogue shows it.
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// Terms the package is published under.
    #[arg(long, value_enum, default_value_t = PackageLicence::CcBy4)]
    pub licence: PackageLicence,
    /// Who publishes it (default: the city's name).
    #[arg(long)]
    pub publisher: Option<String>,
    /// An e-mail address or a web page for questions about the data.
    #[arg(long)]
    pub contact: Option<String>,
    /// Catalogue keywords, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub keywords: Vec<String>,
    /// The package's date, YYYY-MM-DD (default: today). The only time stamp in the package: the
    /// same inputs and date give the same bytes.
    #[arg(long, value_name = "DATE")]
    pub issued: Option<String>,
    /// The data's as-of date (default: the project's).
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<String>,
    /// 全国地方公共団体コード of the city (default: the project's; Hino is 132128).
    #[arg(long, value_name = "CODE")]
    pub city_code: Option<String>,
    /// The city's name as 自治体標準 writes it (e.g. 東京都日野市; default: the project's).
    #[arg(long, value_name = "NAME")]
    pub city_name: Option<String>,
    /// 分類 of the city's オープンデータ一覧 (default: from the layers' roles).
    #[arg(long)]
    pub category: Option<String>,
    /// Data formats per layer, comma-separated: geojson, csv, shp, gpkg, fgb.
    #[arg(long, value_delimiter = ',', default_value = "geojson,csv", value_parser = publish::parse_format)]
    pub formats: Vec<OutputFormat>,
    /// Leave out layers by name, file name or title (comma-separated), e.g. a source whose terms
    /// do not allow the package's licence.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub exclude: Vec<String>,
    /// Publish fictional sample data (every file of the package then says it is fictional).
    #[arg(long)]
    pub allow_sample: bool,
    /// More internal fields of every input (comma-separated), besides the name rule and the
    /// project's settings: never published.
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub internal: Vec<String>,
    /// Credit line of input files that do not state one (a project's layers have their own).
    #[arg(long)]
    pub credit: Option<String>,
    /// Licence of input files that do not state one, e.g. "CC BY 4.0".
    #[arg(long, value_name = "TERMS")]
    pub source_licence: Option<String>,
    /// The portal's licence id for the CKAN document (default: CKAN core's: cc-by, cc-zero,
    /// other-at for PDL1.0).
    #[arg(long, value_name = "ID")]
    pub ckan_license_id: Option<String>,
    /// Decimals of coordinates (7 ≈ 1 cm).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u8).range(0..=15))]
    pub precision: u8,
    #[command(flatten)]
    pub filter: FilterArgs,
    #[command(flatten)]
    pub read: ReadArgs,
}

/// One layer to publish, as loaded.
struct Loaded {
    layer: Layer,
    title: String,
    role: Option<Role>,
    spec_path: String,
}

/// Runs the command; returns the summary to print.
pub fn run(args: &PublishArgs) -> Result<String> {
    let filter = args.filter.build()?;
    let mut project_city: Option<(Option<String>, Option<String>)> = None;
    let mut as_of = None;
    let mut loaded: Vec<Loaded> = Vec::new();
    for path in &args.inputs {
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
        {
            let project = Project::read(path)?;
            project_city = Some((project.city_code.clone(), project.city_name.clone()));
            as_of = as_of.or(project.as_of.clone());
            loaded.extend(load_project(&project, args)?);
        } else {
            for p in io::layer_paths(path)? {
                loaded.push(load_file(&p, args)?);
            }
        }
    }
    let excluded: Vec<&Loaded> = loaded.iter().filter(|l| is_excluded(l, args)).collect();
    for pattern in &args.exclude {
        if !excluded.iter().any(|l| matches(l, pattern)) {
            bail!("--exclude {pattern}: no input layer has that name, file name or title");
        }
    }
    let loaded: Vec<Loaded> = loaded
        .into_iter()
        .filter(|l| !is_excluded(l, args))
        .collect();
    for l in &loaded {
        filter.check(&l.layer)?;
    }
    let mut layers = Vec::with_capacity(loaded.len());
    for l in &loaded {
        let ids = filter.apply(&l.layer)?;
        layers.push(PublishLayer {
            section: Section::new(&l.layer, ids, Profile::Public, filter.fields_used(&l.layer)),
            title: l.title.clone(),
            role: l.role,
        });
    }

    let (code, name) = project_city.unwrap_or_default();
    let city = match (
        args.city_code.clone().or(code),
        args.city_name.clone().or(name),
    ) {
        (Some(code), Some(name)) => City::new(&code, &name).map_err(anyhow::Error::msg)?,
        _ => bail!(
            "the package needs its city: --city-code and --city-name (Hino: --city-code 132128 \
             --city-name 東京都日野市), or a project file that states city_code and city_name"
        ),
    };
    let issued = match &args.issued {
        Some(d) => d.clone(),
        None => publish::today(),
    };
    let settings = Settings {
        title: args.title.clone(),
        description: args.description.clone(),
        publisher: args.publisher.clone().unwrap_or_else(|| city.publisher()),
        contact: args.contact.clone(),
        keywords: args
            .keywords
            .iter()
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
            .collect(),
        issued,
        as_of: args.as_of.clone().or(as_of),
        licence: args.licence,
        ckan_licence_id: args.ckan_license_id.clone(),
        city,
        category: args.category.clone(),
        formats: args.formats.clone(),
        allow_sample: args.allow_sample,
        filter_text: if filter.is_empty() {
            String::new()
        } else {
            filter.describe()
        },
        precision: args.precision as usize,
    };
    let protected = protected_files(args.inputs.iter().chain(args.filter.reference_files()));
    let published = publish::publish(&args.output, &layers, &settings, &protected)?;

    let mut summary = format!(
        "published {} features of {} layer(s) as {} files in {} ({}, public profile)",
        published.features,
        layers.len(),
        published.files.len(),
        published.target.display(),
        settings.licence.short()
    );
    for (name, size) in &published.files {
        summary.push_str(&format!("\n  {name}  {size} bytes"));
    }
    for c in &published.credits {
        summary.push_str(&format!("\ncredit: {c}"));
    }
    for n in &published.notes {
        summary.push_str(&format!("\nnote: {n}"));
    }
    Ok(summary)
}

/// The project's layers, each with its title, role, credit, licence and internal fields.
fn load_project(project: &Project, args: &PublishArgs) -> Result<Vec<Loaded>> {
    let mut project = project.clone();
    for spec in &mut project.layers {
        if spec.encoding.is_none() {
            spec.encoding = args.read.encoding.clone();
        }
    }
    let result = project.load();
    if !result.errors.is_empty() {
        bail!(
            "{} layer(s) of the project did not load, and a package leaves nothing out \
             silently: {}",
            result.errors.len(),
            result.errors.join("; ")
        );
    }
    Ok(result
        .layers
        .into_iter()
        .map(|(spec, mut layer)| {
            add_internal(&mut layer, args);
            loaded(spec, layer)
        })
        .collect())
}

fn loaded(spec: LayerSpec, layer: Layer) -> Loaded {
    Loaded {
        title: spec.title.clone().unwrap_or_else(|| layer.name.clone()),
        role: spec.role,
        spec_path: spec.path,
        layer,
    }
}

/// A file: its credit and licence from the options, or from sitelens's own copy when the file is
/// one of the embedded Hino layers byte for byte.
fn load_file(path: &std::path::Path, args: &PublishArgs) -> Result<Loaded> {
    let mut layer = io::load(path, &args.read.options())?;
    for w in &layer.warnings {
        eprintln!("warning: {}: {w}", path.display());
    }
    add_internal(&mut layer, args);
    let spec_path = path.display().to_string();
    let known = std::fs::read(path)
        .ok()
        .and_then(|bytes| crate::embedded::HINO.iter().find(|e| e.bytes == bytes));
    if let Some(e) = known {
        layer.meta.credit = layer.meta.credit.or_else(|| Some(e.credit.to_string()));
        layer.meta.licence = layer.meta.licence.or_else(|| Some(e.licence().to_string()));
        return Ok(Loaded {
            layer,
            title: e.title.to_string(),
            role: Some(e.role),
            spec_path,
        });
    }
    if layer.meta.credit.is_none() {
        layer.meta.credit = args.credit.clone();
    }
    if layer.meta.licence.is_none() {
        layer.meta.licence = args.source_licence.clone();
    }
    Ok(Loaded {
        title: layer.name.clone(),
        role: None,
        spec_path,
        layer,
    })
}

fn add_internal(layer: &mut Layer, args: &PublishArgs) {
    if args.internal.is_empty() {
        return;
    }
    let fields = layer.meta.internal_fields.get_or_insert_with(Vec::new);
    fields.extend(args.internal.iter().cloned());
}

fn is_excluded(l: &Loaded, args: &PublishArgs) -> bool {
    args.exclude.iter().any(|p| matches(l, p))
}

/// Whether `pattern` names the layer: its name, title, path as given, file name or stem.
fn matches(l: &Loaded, pattern: &str) -> bool {
    let pattern = pattern.trim();
    let path = std::path::Path::new(&l.spec_path);
    let file = path.file_name().map(|f| f.to_string_lossy());
    let stem = path.file_stem().map(|f| f.to_string_lossy());
    pattern == l.layer.name
        || pattern == l.title
        || pattern == l.spec_path
        || file.is_some_and(|f| f == pattern)
        || stem.is_some_and(|s| s == pattern)
        || l.spec_path
            .strip_prefix(crate::project::EMBEDDED)
            .is_some_and(|p| p == pattern)
}
