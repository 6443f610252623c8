//! The command line: `sitelens` (viewer), `sitelens open FILE…`, `sitelens info PATH…`.

pub mod export;
pub mod info;
pub mod project;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::io::LoadOptions;

/// sitelens: industrial-land GIS viewer and layer tool for Japanese municipal data.
#[derive(Debug, Parser)]
#[command(name = "sitelens", version, about, long_about = None)]
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
        #[command(flatten)]
        read: ReadArgs,
    },
    /// Export the features that pass a filter as RFC 7946 GeoJSON (or CSV when OUT ends in .csv).
    Export(Box<export::ExportArgs>),
    /// Check a project file: load its layers and site metrics and say what is there, or with
    /// --init write the embedded Hino project as a starting point.
    Project {
        path: PathBuf,
        /// Write the Hino project template to PATH (refuses to overwrite an existing file).
        #[arg(long)]
        init: bool,
    },
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

impl ReadArgs {
    pub fn options(&self) -> LoadOptions {
        LoadOptions {
            bbox_hint: None,
            encoding: self.encoding.clone(),
            crs: self.crs.clone(),
        }
    }
}
