//! What the viewer remembers between runs (eframe's storage): language, view, the files that
//! were open and which layers were hidden.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Lang, MapView};

/// Key under which the settings are stored.
pub const KEY: &str = "sitelens-viewer";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub lang: Lang,
    pub view: Option<MapView>,
    /// Files opened by the user (embedded layers are always there).
    pub files: Vec<PathBuf>,
    /// Names of hidden layers.
    pub hidden: Vec<String>,
    /// The basemap switched on (an id of `tiles::BASEMAPS`).
    pub basemap: Option<String>,
}
