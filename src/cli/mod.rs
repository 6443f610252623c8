//! The command line: `sitelens` (viewer), `sitelens open FILE…`, `sitelens info PATH…`.

pub mod export;
pub mod info;
mod info_postgis;
pub mod project;
pub mod publish;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde::Deserialize;

use crate::io::LoadOptions;

/// sitelens: industrial-land GIS viewer and layer tool for Japanese municipal data.
#[derive(Debug, Parser)]
#[command(name = "sitelens", version = crate::VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the viewer on the embedded Hino project plus these files, or on a project (.toml).
    Open {
        paths: Vec<PathBuf>,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Describe layers: format, features, geometry types, CRS, bbox, fields, encoding, warnings.
    Info {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// Check the layers as this role (zoning, sites, stations, interchanges, enterprises,
        /// boundary): what the analysis reads from them and what it misses.
        #[arg(long, value_name = "ROLE", value_parser = parse_role)]
        role: Option<crate::model::Role>,
        /// For a PostGIS table: count the rows, compute the extent and the geometry types
        /// (without it they are the planner's estimates and the column's declared type).
        #[arg(long)]
        exact: bool,
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Export the features that pass a filter as RFC 7946 GeoJSON (or CSV when OUT ends in .csv).
    Export(Box<export::ExportArgs>),
    /// Publish layers as an open-data package (folder or .zip): GeoJSON and CSV per layer (and
    /// on request Shapefile, GeoPackage, FlatGeobuf), DCAT JSON-LD, a CKAN package document, the
    /// city's オープンデータ一覧 row, a README (ja/en) and the licence with every credit line.
    Publish(Box<publish::PublishArgs>),
    /// Draw the map to a PNG without a window (the same drawing as the viewer's), with the legend
    /// and credits: the Hino project, or a project file, plus FILES on top.
    Render(Box<RenderArgs>),
    /// Site sheets: one A4 page per site (map, metrics, zoning, distances, enterprises nearby,
    /// programmes, credits) as PDF, or PNG for one site; public profile by default.
    Sheet(Box<SheetArgs>),
    /// Check a project file: load its layers and site metrics and say what is there, or with
    /// --init write the embedded Hino project as a starting point.
    Project {
        path: PathBuf,
        /// Write the Hino project template to PATH (refuses to overwrite an existing file).
        #[arg(long)]
        init: bool,
        /// Exit non-zero when a layer cannot be read for its role (a zoning layer not
        /// recognised, stations without names, …), not only when one fails to load.
        #[arg(long)]
        strict: bool,
    },
}

/// A role as project files name it.
fn parse_role(text: &str) -> Result<crate::model::Role, String> {
    crate::model::Role::deserialize(
        serde::de::value::StrDeserializer::<serde::de::value::Error>::new(text),
    )
    .map_err(|_| {
        format!("{text:?}: one of zoning, sites, stations, interchanges, enterprises, boundary")
    })
}

/// How to read input files (shared by every command that loads layers).
#[derive(Debug, Args, Clone, Default)]
pub struct ReadArgs {
    /// Text encoding of the attributes (e.g. cp932, utf-8); overrides .cpg and detection.
    #[arg(long, value_name = "ENC")]
    pub encoding: Option<String>,
    /// Source CRS (e.g. EPSG:6677); overrides .prj and the GeoJSON crs member.
    #[arg(long, value_name = "CRS")]
    pub crs: Option<String>,
}

/// The command-line way to give what an error says is missing (the core's messages name no
/// flags: the viewer asks for the same things in its own words). Looks through the causes.
pub fn hint(error: &(dyn std::error::Error + 'static)) -> Option<&'static str> {
    use crate::error::{LoadError, LoadErrorKind};
    use crate::export::ExportError;
    use crate::filter::{BboxError, FilterError};
    std::iter::successors(Some(error), |e| e.source()).find_map(|e| {
        if let Some(e) = e.downcast_ref::<LoadError>() {
            return match e.kind {
                LoadErrorKind::Encoding(_) => {
                    Some("--encoding ENC sets the text encoding (e.g. --encoding cp932)")
                }
                _ => None,
            };
        }
        let unknown_crs = matches!(e.downcast_ref(), Some(FilterError::UnknownCrs { .. }))
            || matches!(e.downcast_ref(), Some(ExportError::UnknownCrs { .. }));
        if unknown_crs {
            return Some("--crs CRS gives the input's CRS (e.g. --crs EPSG:6677)");
        }
        if matches!(e.downcast_ref(), Some(ExportError::GeometryKinds { .. })) {
            return Some(
                "--geometry-type point|line|polygon keeps one kind (the others are left out and \
                 counted)",
            );
        }
        match e.downcast_ref() {
            Some(crate::publish::PublishError::Sample { .. }) => {
                return Some(
                    "--allow-sample publishes it, marked fictional in every file; --exclude                      NAME leaves it out",
                );
            }
            Some(crate::publish::PublishError::Terms { .. }) => {
                return Some("--exclude NAME leaves the layer out of the package");
            }
            _ => {}
        }
        match e.downcast_ref() {
            Some(BboxError::NotLonLat) => {
                Some("--bbox-crs CRS names the box's CRS (e.g. --bbox-crs EPSG:6677)")
            }
            _ => None,
        }
    })
}

/// An error as the command line prints it: the chain of causes on one line, then the flag that
/// may help, if any.
pub fn error_text(error: &anyhow::Error) -> String {
    match hint(error.as_ref()) {
        Some(hint) => format!("error: {error:#}\nhint: {hint}"),
        None => format!("error: {error:#}"),
    }
}

impl ReadArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            encoding: self.encoding.clone(),
            crs: self.crs.clone(),
            ..LoadOptions::default()
        }
    }
}

/// `sitelens render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Layers to draw over the Hino project, or a project file (.toml) to draw instead of it.
    pub files: Vec<PathBuf>,
    /// Output PNG.
    #[arg(short = 'o', long, value_name = "OUT.png", default_value = "map.png")]
    pub output: PathBuf,
    /// Image size in pixels.
    #[arg(long, value_name = "WxH", default_value = "1600x1000")]
    pub size: Size,
    /// Area to show, minx,miny,maxx,maxy (lon/lat unless --bbox-crs); default: the city, or
    /// the FILES when there are any.
    #[arg(long, value_name = "BOX", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    #[arg(long, value_name = "CRS", requires = "bbox")]
    pub bbox_crs: Option<String>,
    /// Pixels per point: 2 draws text and lines twice as large (print).
    #[arg(long, default_value_t = 1.0)]
    pub scale: f32,
    /// Language of the legend and notices.
    #[arg(long, value_enum, default_value_t = Lang::Ja)]
    pub lang: Lang,
    /// Instead of writing, paint N frames panning and N zooming and print median frame times.
    #[arg(long, value_name = "N")]
    pub bench: Option<usize>,
}

/// An image size, "WxH" in pixels.
#[derive(Debug, Clone, Copy)]
pub struct Size(pub [u32; 2]);

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (w, h) = s
            .split_once(['x', '×'])
            .ok_or_else(|| format!("{s:?}: write WIDTHxHEIGHT, e.g. 1600x1000"))?;
        let n = |t: &str| {
            t.trim()
                .parse::<u32>()
                .ok()
                .filter(|v| (16..=16384).contains(v))
                .ok_or_else(|| format!("{s:?}: each side 16 to 16384 pixels"))
        };
        Ok(Size([n(w)?, n(h)?]))
    }
}

/// `sitelens sheet`.
#[derive(Debug, clap::Args)]
pub struct SheetArgs {
    /// Project file (.toml); default: the embedded Hino project.
    pub project: Option<PathBuf>,
    /// Sites by id (site_id, id or 名称), comma-separated or repeated; `all` for every site.
    #[arg(long, required = true, value_delimiter = ',')]
    pub site: Vec<String>,
    /// Output: .pdf (one page per site) or .png (one site).
    #[arg(short = 'o', long, value_name = "OUT")]
    pub output: PathBuf,
    /// public (default: internal fields such as price, owner and contact left out) or internal.
    #[arg(long, default_value = "public")]
    pub profile: crate::export::Profile,
    /// Language of the sheet.
    #[arg(long, value_enum, default_value_t = Lang::Ja)]
    pub lang: Lang,
}

/// Language of map legends, notices and sheets (`--lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Lang {
    /// 日本語
    #[default]
    Ja,
    /// English
    En,
}
