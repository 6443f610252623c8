//! Integration tests on files others wrote (../shared/data/corpus), the real Hino layers, and
//! small fixtures built here; the CLI is run as a whole program.

// A failing unwrap is a failing test (the library itself may not unwrap: Cargo.toml's lints).
#![allow(clippy::unwrap_used)]

mod cli;
mod corpus;
mod crs;
mod export;
mod fixtures;
mod formats;
mod fuzz;
mod kml;
mod limits;
mod metrics;
mod postgis;
mod project;
mod public_profile;
mod publish;
#[cfg(feature = "gui")]
mod render;
mod sample;
mod shapefile_out;
#[cfg(feature = "gui")]
mod sheet;
mod stream;
#[cfg(feature = "gui")]
mod tiles;
#[cfg(feature = "gui")]
mod ui;
mod zoning;

use std::path::{Path, PathBuf};

use sitelens::model::{Layer, Value};
use sitelens::{LoadOptions, load};

/// ../shared beside the project (CI clones it there), or $SITELENS_SHARED.
pub fn shared() -> PathBuf {
    let dir = std::env::var_os("SITELENS_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    assert!(
        dir.join("data/corpus").is_dir(),
        "shared data not found at {}",
        dir.display()
    );
    dir
}

pub fn corpus(rel: &str) -> PathBuf {
    shared().join("data/corpus").join(rel)
}

pub fn load_ok(path: &Path) -> Layer {
    load(path, &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The embedded Hino layer of `role`, loaded.
pub fn embedded(role: sitelens::model::Role) -> Layer {
    sitelens::embedded::HINO
        .iter()
        .find(|e| e.role == role)
        .unwrap()
        .load()
        .unwrap()
}

pub fn text(v: &str) -> Value {
    Value::Text(v.to_string())
}

/// Every file in the corpus that is a layer (or a zip of one).
pub fn corpus_layer_files() -> Vec<PathBuf> {
    corpus::walk(&corpus(""))
        .into_iter()
        .filter(|p| {
            let ext = p
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            ["shp", "geojson", "json", "csv", "kml", "kmz", "zip"].contains(&ext.as_str())
        })
        .collect()
}

/// Every corpus layer that loads and can be exported (a known CRS, or no geometry to place),
/// with its path: what the round-trip tests write in each format.
pub fn exportable_corpus_layers() -> Vec<(PathBuf, Layer)> {
    corpus_layer_files()
        .into_iter()
        .filter_map(|path| {
            let layer = load(&path, &LoadOptions::default()).ok()?;
            (layer.source.crs.known || layer.index.is_empty()).then_some((path, layer))
        })
        .collect()
}

/// Runs the sitelens binary; asserts success and returns stdout.
pub fn run_ok(args: &[&std::ffi::OsStr]) -> String {
    run_program_ok(env!("CARGO_BIN_EXE_sitelens"), args)
}

/// Runs one of the crate's programs; asserts success and returns stdout.
pub fn run_program_ok(program: &str, args: &[&std::ffi::OsStr]) -> String {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
