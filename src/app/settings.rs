//! What the viewer remembers between runs (eframe's storage): language, view, the files that
//! were open and which layers were hidden.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Command, Edit, LayerId, MapLayer, Viewer, tiles};
use super::{Lang, MapView};
use crate::embedded::HINO;
use crate::io::LoadOptions;

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

impl Viewer {
    /// What to remember: language, view, opened files, hidden layers.
    pub fn settings(&self) -> Settings {
        let embedded: Vec<&str> = HINO
            .iter()
            .map(|e| e.file.rsplit('/').next().unwrap_or(e.file))
            .collect();
        let layers = self.doc.layers();
        let files = layers
            .iter()
            .map(|l| &l.layer.source)
            .filter(|s| {
                !s.path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| embedded.contains(&n))
            })
            .map(|s| match &s.member {
                Some(m) => s.path.join(m),
                None => s.path.clone(),
            })
            .collect();
        Settings {
            lang: self.doc.lang,
            view: self.doc.view,
            files,
            hidden: layers
                .iter()
                .filter(|l| !l.visible)
                .map(|l| l.layer.name.clone())
                .collect(),
            basemap: self.basemap.as_ref().map(|b| b.source.id.clone()),
        }
    }

    /// Puts back what [`Self::settings`] remembered; files load in the background and keep the
    /// remembered view.
    pub fn restore(&mut self, saved: Settings) {
        self.doc.lang = saved.lang;
        if let Some(source) = saved.basemap.as_deref().and_then(tiles::TileSource::named) {
            self.apply(Command::SetBasemap(Some(source)));
        }
        self.doc.view = saved.view;
        let hidden: Vec<LayerId> = self
            .doc
            .layers()
            .iter()
            .filter(|l| saved.hidden.contains(&l.layer.name))
            .map(MapLayer::id)
            .collect();
        for id in hidden {
            self.apply(Edit::SetVisible(id, false).into());
        }
        self.hidden_on_restore = saved.hidden;
        self.restoring = saved.files.clone();
        let repaint = self.repaint.clone();
        self.open(saved.files, LoadOptions::default(), repaint);
    }
}
