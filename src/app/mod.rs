//! The desktop viewer (feature `gui`). A [`Document`] (project, layers by [`LayerId`],
//! selection, filters, site metrics, language, view) is what the user works on; the window
//! ([`Viewer`]) is a document plus its panels, the layers' image, basemap tiles and the
//! background loader. Panels push [`Command`]s; [`Viewer::apply`] carries them out once per
//! frame, handing the document's [`Edit`]s to [`Document::apply`].

mod detail;
mod dock;
pub mod document;
mod draw;
mod export_dialog;
pub mod file_picker;
mod filter_panel;
mod frame_stats;
mod histogram;
mod i18n;
pub mod identify;
mod launch;
pub mod layer_image;
mod layers_panel;
mod loading;
mod map;
pub mod map_layer;
mod menu;
pub mod pdf;
mod pg_table;
pub mod pg_view;
mod project_dialog;
pub mod publish_dialog;
pub mod ranking;
pub mod raster;
pub mod render;
mod settings;
pub mod sheet;
mod style;
mod style_editor;
mod table;
pub mod tiles;
pub mod tools;

use std::path::PathBuf;

use eframe::egui;

pub use dock::{Dock, DockTab};
pub use document::{Document, Edit, LayerId, Notice, Selection};
pub use filter_panel::{Condition, FilterPanel, Op};
pub use i18n::Lang;
pub use launch::{install_fonts, run};
pub use layers_panel::LayersPanel;
pub use map::MapView;
pub use map_layer::{LayerFilter, MapLayer, Partial, Restyle};
pub use project_dialog::ProjectDialog;
pub use settings::Settings;
pub use style::Style;

use crate::io::LoadOptions;
use crate::model::Role;

/// What the panels ask for; applied once per frame.
#[derive(Debug, Clone)]
pub enum Command {
    /// A change to the document.
    Edit(Edit),
    ShowTable(Option<LayerId>),
    Open(Vec<PathBuf>),
    /// Filter a layer with what the filter panel holds.
    ApplyFilter(LayerId),
    /// Point the filter panel at a layer.
    EditFilter(LayerId),
    OpenExport(Option<LayerId>),
    /// File ▸ Publish…: the layers shown as an open-data package.
    OpenPublish,
    /// Show a tab of the side dock (opening it).
    ShowDock(DockTab),
    /// Write the project as it stands to this file.
    SaveProject(PathBuf),
    /// Write the current view as a PNG (with legend and credits).
    ExportMapImage(PathBuf),
    /// Switch basemap tiles on (from this source) or off.
    SetBasemap(Option<tiles::TileSource>),
    /// Compute the site metrics of the area drawn with the area tool.
    DrawnAreaMetrics,
    /// Show the site-sheet dialog for a site.
    OpenSheet {
        layer: LayerId,
        feature: usize,
    },
    /// Write a site's sheet (PDF or PNG by the extension).
    WriteSheet {
        layer: LayerId,
        feature: usize,
        path: PathBuf,
        internal: bool,
    },
}

impl From<Edit> for Command {
    fn from(e: Edit) -> Self {
        Command::Edit(e)
    }
}

/// The window: the document and everything that only exists on screen.
pub struct Viewer {
    pub doc: Document,
    /// Where the map was drawn last frame (tests click on it).
    pub map_rect: Option<egui::Rect>,
    pub layers_panel: LayersPanel,
    pub filter_panel: FilterPanel,
    /// The side dock: identify, filter, ranking.
    pub dock: Dock,
    /// The layer whose attribute table is open.
    pub table_layer: Option<LayerId>,
    pub export_dialog: export_dialog::ExportDialog,
    pub publish_dialog: publish_dialog::PublishDialog,
    pub ranking: ranking::RankingPanel,
    pub project_dialog: ProjectDialog,
    /// The map tool and what it has drawn.
    pub drawing: tools::Drawing,
    /// Basemap tiles, when switched on.
    pub basemap: Option<tiles::Basemap>,
    /// The layers as an image that pans and zooms by transform.
    pub layer_image: layer_image::LayerImage,
    /// Where tiles are cached on disk.
    pub tile_cache: PathBuf,
    /// Files being reopened from the settings: they keep the remembered view and visibility.
    restoring: Vec<PathBuf>,
    hidden_on_restore: Vec<String>,
    /// Frame timing printed to stderr, when SITELENS_FRAME_STATS is set.
    frame_stats: Option<frame_stats::FrameStats>,
    loader: loading::Loader,
    /// PostGIS layers: their rows fetched for the view, identify on the server.
    pub pg: pg_view::PgViews,
    table: table::TableState,
    commands: Vec<Command>,
    repaint: Option<egui::Context>,
}

impl Default for Viewer {
    fn default() -> Self {
        Self::new()
    }
}

impl Viewer {
    /// The viewer on the embedded Hino project.
    pub fn new() -> Self {
        Viewer::with_document(Document::hino())
    }

    /// The viewer on a document.
    pub fn with_document(doc: Document) -> Self {
        let mut viewer = Viewer {
            doc,
            map_rect: None,
            layers_panel: LayersPanel::default(),
            filter_panel: FilterPanel::default(),
            dock: Dock::default(),
            table_layer: None,
            export_dialog: export_dialog::ExportDialog::default(),
            publish_dialog: publish_dialog::PublishDialog::default(),
            ranking: ranking::RankingPanel::default(),
            project_dialog: ProjectDialog::default(),
            drawing: tools::Drawing::default(),
            basemap: None,
            layer_image: layer_image::LayerImage::default(),
            tile_cache: tiles::Basemap::default_cache_root(),
            restoring: Vec::new(),
            hidden_on_restore: Vec::new(),
            frame_stats: std::env::var_os("SITELENS_FRAME_STATS")
                .map(|_| frame_stats::FrameStats::default()),
            loader: loading::Loader::default(),
            pg: pg_view::PgViews::default(),
            table: table::TableState::default(),
            commands: Vec::new(),
            repaint: None,
        };
        viewer.project_changed();
        viewer
    }

    /// Panel state that follows the project: the selection tool's target, the save path.
    fn project_changed(&mut self) {
        self.drawing = tools::Drawing {
            target: self.doc.with_role(Role::Site).map(MapLayer::id),
            ..Default::default()
        };
        self.project_dialog.path = self
            .doc
            .project
            .dir
            .as_ref()
            .map(|d| d.join("project.toml").display().to_string())
            .unwrap_or_else(|| "sitelens-project.toml".into());
    }

    /// Starts loading files in the background.
    pub fn open(
        &mut self,
        paths: Vec<PathBuf>,
        options: LoadOptions,
        repaint: Option<egui::Context>,
    ) {
        if repaint.is_some() {
            self.repaint = repaint;
        }
        for path in paths {
            self.loader
                .spawn(path, options.clone(), self.repaint.clone());
        }
    }

    /// Blocks until the files being loaded are in (tests).
    pub fn wait_for_loads(&mut self) {
        let done = self.loader.wait_all();
        self.receive(done);
    }

    pub fn is_loading(&self) -> bool {
        !self.loader.pending.is_empty()
    }

    /// Whether rows or an identify are awaited from a PostGIS server.
    pub fn is_fetching(&self) -> bool {
        self.pg.busy() || self.table.pg.busy()
    }

    /// Queues a command (panels and tests).
    pub fn command(&mut self, c: Command) {
        self.commands.push(c);
    }

    /// Carries out one command.
    pub fn apply(&mut self, c: Command) {
        let lang = self.doc.lang;
        match c {
            Command::Edit(edit) => {
                let identifies = matches!(edit, Edit::IdentifyAt { .. } | Edit::Select { .. });
                let click = match &edit {
                    Edit::IdentifyAt {
                        lon,
                        lat,
                        tolerance_m,
                    } => Some(([*lon, *lat], *tolerance_m)),
                    _ => None,
                };
                if let Edit::Filter(id, filter) = &edit {
                    self.pg.set_filter(*id, filter.as_deref());
                }
                if let Err(e) = self.doc.apply(edit) {
                    self.doc.notices.push(Notice {
                        error: true,
                        text: e,
                    });
                }
                if identifies && self.doc.selection.is_some() {
                    self.dock.identified();
                }
                if let Some((at, tolerance_m)) = click {
                    let picked = self.doc.selection.as_ref().map(|s| s.layer);
                    self.pg
                        .identify(&self.doc, picked, at, tolerance_m, self.repaint.clone());
                }
            }
            Command::ShowTable(id) => self.table_layer = id,
            Command::Open(paths) => self.open(paths, LoadOptions::default(), None),
            Command::ApplyFilter(id) => {
                let reference = |role| self.doc.with_role(role).map(|l| l.layer.clone());
                let filter = self.doc.layer(id).map(|target| {
                    self.filter_panel.build(
                        &target.layer,
                        reference(Role::Boundary),
                        reference(Role::Station),
                    )
                });
                if let Some(filter) = filter {
                    self.pg.set_filter(id, Some(&filter));
                    let edit = Edit::Filter(id, Some(std::sync::Arc::new(filter)));
                    self.filter_panel.error = self.doc.apply(edit).err();
                }
            }
            Command::EditFilter(id) => {
                if self.filter_panel.layer != Some(id) {
                    self.filter_panel = FilterPanel {
                        layer: Some(id),
                        histograms: std::mem::take(&mut self.filter_panel.histograms),
                        ..Default::default()
                    };
                }
                self.dock.show(DockTab::Filter);
            }
            Command::ShowDock(tab) => self.dock.show(tab),
            Command::SaveProject(path) => {
                let result = self.doc.to_project().save(&path);
                self.project_dialog.result = Some(match result {
                    Ok(saved) => {
                        self.doc.project.dir = saved.dir;
                        Ok(path.display().to_string())
                    }
                    Err(e) => Err(e.to_string()),
                });
            }
            Command::ExportMapImage(path) => {
                let result = match (self.doc.view, self.map_rect) {
                    (Some(view), Some(rect)) => render::write_view(&self.doc, view, rect, &path)
                        .map(|()| path.display().to_string())
                        .map_err(|e| e.to_string()),
                    _ => Err(lang
                        .t("地図がまだ描かれていません", "The map is not drawn yet")
                        .into()),
                };
                self.project_dialog.result = Some(result);
            }
            Command::SetBasemap(source) => {
                self.basemap = source.map(|s| tiles::Basemap::new(s, &self.tile_cache));
            }
            Command::DrawnAreaMetrics => {
                let result = match self.drawing.geometry() {
                    Some(g) => self
                        .doc
                        .site_context()
                        .map(|ctx| crate::analysis::site::compute(&g, &ctx)),
                    None => Err(lang.t("区域を描いてください", "Draw an area first").into()),
                };
                self.drawing.metrics = Some(result);
            }
            Command::OpenSheet { layer, feature } => {
                let id = self
                    .doc
                    .layer(layer)
                    .and_then(|l| sheet::site_key(&l.layer, feature))
                    .unwrap_or_else(|| feature.to_string());
                self.project_dialog.sheet_path = format!("site-{id}.pdf");
                self.project_dialog
                    .show(project_dialog::Mode::Sheet { layer, feature });
            }
            Command::WriteSheet {
                layer,
                feature,
                path,
                internal,
            } => {
                let profile = if internal {
                    crate::export::Profile::Internal
                } else {
                    crate::export::Profile::Public
                };
                let result = sheet::write_sheets(&self.doc, layer, &[feature], profile, &path);
                self.project_dialog.result = Some(
                    result
                        .map(|()| path.display().to_string())
                        .map_err(|e| format!("{e:#}")),
                );
            }
            Command::OpenExport(layer) => {
                self.export_dialog.open = true;
                self.export_dialog.result = None;
                if layer.is_some() {
                    self.export_dialog.layer = layer;
                }
            }
            Command::OpenPublish => self.publish_dialog.show(&self.doc),
        }
    }

    /// The whole window's contents (also what the UI tests drive).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = std::time::Instant::now();
        self.show_panels(ui);
        if let Some(stats) = &mut self.frame_stats {
            let loading = !self.loader.pending.is_empty() || self.pg.busy();
            stats.record(ui.ctx(), started.elapsed(), loading);
            if self.layer_image.shows(self.doc.layers()) {
                for l in self.doc.layers().iter().filter(|l| self.pg.follows(l.id())) {
                    stats.rows_drawn(l, self.pg.asked_at(l.id()));
                }
            }
            // Measuring a drag: paint continuously, so intervals are the full cost of a frame.
            if ui.input(|i| i.pointer.primary_down()) {
                ui.ctx().request_repaint();
            }
        }
    }

    fn show_panels(&mut self, ui: &mut egui::Ui) {
        // Threads (loads, fetches, identify) wake the window when they are done.
        self.repaint.get_or_insert_with(|| ui.ctx().clone());
        let done = self.loader.poll();
        self.receive(done);
        let dropped: Vec<PathBuf> = ui.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if !dropped.is_empty() {
            self.commands.push(Command::Open(dropped));
        }
        // The side panels together leave the map at least half the window's width.
        let width = ui.available_width();
        egui::Panel::top("menu").show(ui, |ui| menu::menu_ui(self, ui));
        let layers_width = egui::Panel::left("layers")
            .default_size(270.0)
            .size_range(180.0..=(width * 0.3).max(180.0))
            .resizable(true)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    self.layers_panel
                        .ui(ui, &self.doc, &self.loader.pending, &mut self.commands);
                    menu::notices_ui(&mut self.doc, ui);
                });
            })
            .response
            .rect
            .width();
        // The central panel's margins come off the map too.
        dock::dock_ui(self, ui, width * 0.5 - layers_width - 20.0);
        if let Some(l) = self.table_layer.and_then(|id| self.doc.layer(id)) {
            egui::Panel::bottom("table")
                .default_size(220.0)
                .resizable(true)
                .show(ui, |ui| {
                    self.table.table_ui(
                        ui,
                        l,
                        self.doc.selection.as_ref(),
                        self.doc.lang,
                        &mut self.commands,
                    );
                });
        }
        self.export_dialog.ui(ui.ctx(), &self.doc);
        self.publish_dialog.ui(ui.ctx(), &self.doc);
        self.project_dialog
            .ui(ui.ctx(), self.doc.lang, &mut self.commands);
        tools::metrics_window(ui.ctx(), &mut self.drawing, self.doc.lang);
        egui::CentralPanel::default().show(ui, |ui| {
            // Also before the first frame: a layer that loaded early is where the map opens.
            if let Some(zoom) = self.doc.zoom_request.take() {
                self.doc.view = Some(MapView::fit(zoom, ui.available_rect_before_wrap()));
            }
            tools::tools_ui(ui, &mut self.drawing, &self.doc, &mut self.commands);
            self.map_rect = Some(ui.available_rect_before_wrap());
            let home = self.doc.home_extent();
            let mut view = self.doc.view;
            map::map_ui(
                ui,
                &mut view,
                home,
                &self.doc,
                self.doc.selection.as_ref(),
                map::Extras {
                    notices: true,
                    credits: true,
                    drawing: Some(&mut self.drawing),
                    basemap: self.basemap.as_mut(),
                    layer_image: Some(&mut self.layer_image),
                },
                &mut self.commands,
            );
            self.doc.view = view;
        });
        let map = self.doc.view.zip(self.map_rect);
        self.pg.update(&mut self.doc, map, ui.ctx());

        if let Some(e) = self.basemap.as_mut().and_then(|b| b.last_error.take())
            && self.doc.notices.last().is_none_or(|n| n.text != e)
        {
            self.doc.notices.push(Notice {
                error: true,
                text: e,
            });
        }
        let commands = std::mem::take(&mut self.commands);
        if !commands.is_empty() {
            // What the commands changed shows in the next frame.
            ui.ctx().request_repaint();
        }
        for c in commands {
            self.apply(c);
        }
        if self.is_loading() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(200));
        }
    }
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, settings::KEY, &self.settings());
    }
}
