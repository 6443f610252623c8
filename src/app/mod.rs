//! The desktop viewer (feature `gui`): the embedded Hino layers plus files opened from the
//! command line or dropped on the window, on a pannable, zoomable map; identify, attribute
//! table, layer list, notifications, Japanese and English.
//!
//! Panels emit [`Command`]s; [`Viewer::apply`] carries them out once per frame.

mod export_dialog;
pub mod file_picker;
mod filter_panel;
mod i18n;
pub mod identify;
pub mod layer_image;
pub mod layers;
mod loading;
mod map;
pub mod pdf;
mod project_dialog;
pub mod ranking;
pub mod raster;
pub mod render;
mod settings;
pub mod sheet;
mod table;
pub mod tiles;
pub mod tools;

use std::collections::BTreeSet;
use std::path::PathBuf;

use eframe::egui;
use egui::Color32;

pub use filter_panel::{Condition, FilterPanel, Op};
pub use i18n::Lang;
pub use layers::{LayerFilter, MapLayer, Style};
pub use map::MapView;
pub use project_dialog::ProjectDialog;
pub use settings::Settings;

use crate::embedded::HINO;
use crate::io::LoadOptions;
use crate::model::Role;
use crate::model::{Envelope, Layer};
use crate::project::Project;

/// The bundled Japanese font (IPAexGothic, IPA Font License v1.0: assets/fonts/).
const JAPANESE_FONT: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// Opens the viewer window and blocks until it is closed.
pub fn run(paths: Vec<PathBuf>, options: LoadOptions) -> Result<(), eframe::Error> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("sitelens — 日野市 Hino")
            .with_inner_size([1280.0, 820.0])
            .with_drag_and_drop(true),
        // OpenGL by default: on machines without a GPU (Mesa's llvmpipe) a frame of this window
        // costs about a sixth of wgpu's on lavapipe (README, frame times).
        // SITELENS_RENDERER=wgpu picks wgpu.
        renderer: match std::env::var("SITELENS_RENDERER").as_deref() {
            Ok("wgpu") => eframe::Renderer::Wgpu,
            _ => eframe::Renderer::Glow,
        },
        ..Default::default()
    };
    eframe::run_native(
        "sitelens",
        native,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            let mut viewer = Viewer::new();
            viewer.repaint = Some(cc.egui_ctx.clone());
            if let Some(mut saved) = cc
                .storage
                .and_then(|s| eframe::get_value::<Settings>(s, settings::KEY))
            {
                // A project given on the command line says which layers to show.
                if paths.iter().any(|p| loading::is_project(p)) {
                    saved.files.clear();
                    saved.view = None;
                }
                viewer.restore(saved);
            }
            viewer.open(paths, options, Some(cc.egui_ctx.clone()));
            Ok(Box::new(viewer))
        }),
    )
}

/// Adds the Japanese font after egui's own, for every family.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "ipaexg".into(),
        std::sync::Arc::new(egui::FontData::from_static(JAPANESE_FONT)),
    );
    for family in fonts.families.values_mut() {
        family.push("ipaexg".into());
    }
    ctx.set_fonts(fonts);
}

/// Selected features of one layer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub layer: usize,
    pub features: BTreeSet<usize>,
}

/// What the panels ask for; applied once per frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    SetVisible(usize, bool),
    /// Select one feature (identify it); `zoom` moves the map to it.
    Select {
        layer: usize,
        feature: usize,
        zoom: bool,
    },
    /// Identify whatever is under a map click (lon/lat) within a tolerance in metres.
    IdentifyAt {
        lon: f64,
        lat: f64,
        tolerance_m: f64,
    },
    ClearSelection,
    ZoomTo(Envelope),
    ZoomToLayer(usize),
    ShowTable(Option<usize>),
    RemoveLayer(usize),
    /// Move a layer one step up (towards the top of the drawing order) or down.
    MoveLayer {
        layer: usize,
        up: bool,
    },
    Open(Vec<PathBuf>),
    SetLang(Lang),
    /// Apply the filter panel's filter to a layer.
    ApplyFilter(usize),
    ClearFilter(usize),
    /// Point the filter panel at a layer.
    EditFilter(usize),
    OpenExport(Option<usize>),
    /// Write the project as it stands to this file.
    SaveProject(PathBuf),
    /// Write the current view as a PNG (with legend and credits).
    ExportMapImage(PathBuf),
    /// Switch basemap tiles on (from this source) or off.
    SetBasemap(Option<tiles::TileSource>),
    /// Change a layer's look (style editor).
    Restyle(usize, layers::Restyle),
    /// Select the features of a layer that touch an area (box or drawn polygon selection).
    SelectWithin {
        layer: usize,
        area: geo_types::Polygon<f64>,
    },
    /// Compute the site metrics of the area drawn with the area tool.
    DrawnAreaMetrics,
    /// Show the site-sheet dialog for a site.
    OpenSheet {
        layer: usize,
        feature: usize,
    },
    /// Write a site's sheet (PDF or PNG by the extension).
    WriteSheet {
        layer: usize,
        feature: usize,
        path: PathBuf,
        internal: bool,
    },
}

/// A message for the user: load errors and skipped records.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// The viewer's state.
pub struct Viewer {
    /// Bottom to top drawing order.
    pub layers: Vec<MapLayer>,
    pub view: Option<MapView>,
    pub selection: Option<Selection>,
    pub table_layer: Option<usize>,
    pub notices: Vec<Notice>,
    pub lang: Lang,
    /// Where the map was drawn last frame (tests click on it).
    pub map_rect: Option<egui::Rect>,
    pub filter_panel: FilterPanel,
    /// Files being reopened from the settings: they keep the remembered view and visibility.
    restoring: Vec<PathBuf>,
    hidden_on_restore: Vec<String>,
    /// Frame timing printed to stderr, when SITELENS_FRAME_STATS is set.
    frame_stats: Option<FrameStats>,
    pub export_dialog: export_dialog::ExportDialog,
    pub ranking: ranking::RankingPanel,
    /// The project shown: its name, date, analysis settings and folder (layers are in `layers`).
    pub project: Project,
    pub project_dialog: ProjectDialog,
    /// The map tool and what it has drawn.
    pub drawing: tools::Drawing,
    /// The layer whose style editor is open.
    pub style_open: Option<usize>,
    /// Basemap tiles, when switched on.
    pub basemap: Option<tiles::Basemap>,
    /// The layers as an image that pans and zooms by transform.
    pub layer_image: layer_image::LayerImage,
    /// Where tiles are cached on disk.
    pub tile_cache: PathBuf,
    loader: loading::Loader,
    table: table::TableState,
    pending_zoom: Option<Envelope>,
    commands: Vec<Command>,
    repaint: Option<egui::Context>,
}

impl Default for Viewer {
    fn default() -> Self {
        Self::new()
    }
}

impl Viewer {
    /// The viewer on the embedded Hino layers.
    pub fn new() -> Self {
        let mut viewer = Viewer {
            layers: Vec::new(),
            view: None,
            selection: None,
            table_layer: None,
            notices: Vec::new(),
            lang: Lang::default(),
            map_rect: None,
            filter_panel: FilterPanel::default(),
            restoring: Vec::new(),
            hidden_on_restore: Vec::new(),
            frame_stats: std::env::var_os("SITELENS_FRAME_STATS").map(|_| FrameStats::default()),
            export_dialog: export_dialog::ExportDialog::default(),
            ranking: ranking::RankingPanel::default(),
            project: Project::default(),
            project_dialog: ProjectDialog::default(),
            drawing: tools::Drawing::default(),
            style_open: None,
            basemap: None,
            layer_image: layer_image::LayerImage::default(),
            tile_cache: tiles::Basemap::default_cache_root(),
            loader: loading::Loader::default(),
            table: table::TableState::default(),
            pending_zoom: None,
            commands: Vec::new(),
            repaint: None,
        };
        let project = Project::hino();
        let loaded = project.load();
        viewer.install_project(project, loaded);
        viewer
    }

    /// Replaces what is shown with a project's layers (bottom to top), its site metrics and
    /// ranking weights; layers that failed to load are reported.
    pub fn install_project(&mut self, project: Project, loaded: crate::project::Loaded) {
        self.layers.clear();
        self.selection = None;
        self.table_layer = None;
        self.filter_panel = FilterPanel::default();
        self.export_dialog.layer = None;
        for e in loaded.errors {
            self.notices.push(Notice {
                error: true,
                text: e,
            });
        }
        for (i, (spec, layer)) in loaded.layers.into_iter().enumerate() {
            self.layers.push(MapLayer::from_project(spec, layer, i));
        }
        self.ranking.metrics = loaded.metrics;
        self.ranking.weights = loaded.weights;
        self.drawing = tools::Drawing {
            target: self.layers.iter().position(|l| l.role == Some(Role::Site)),
            ..Default::default()
        };
        self.project_dialog.path = project
            .dir
            .as_ref()
            .map(|d| d.join("project.toml").display().to_string())
            .unwrap_or_else(|| "sitelens-project.toml".into());
        self.project = project;
        if self.view.is_some() {
            self.pending_zoom = self.home_extent();
        }
    }

    /// The project as it stands: its settings, and the layers as shown now (order, visibility,
    /// styles), files the user opened included.
    pub fn to_project(&self) -> Project {
        let mut p = self.project.clone();
        p.layers = self.layers.iter().map(MapLayer::to_spec).collect();
        p
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

    fn receive(&mut self, done: Vec<loading::Loaded>) {
        for loaded in done {
            match loaded.result {
                Ok(loading::Done::Project(p)) => {
                    let (project, layers) = *p;
                    self.notices.push(Notice {
                        error: false,
                        text: format!(
                            "{}: {} {}",
                            loaded.path.display(),
                            layers.layers.len(),
                            self.lang.t(
                                "レイヤのプロジェクトを開きました",
                                "layers opened from the project"
                            )
                        ),
                    });
                    self.install_project(project, layers);
                    self.pending_zoom = self.home_extent();
                }
                Ok(loading::Done::Layer(layer)) => {
                    let layer = *layer;
                    if !layer.warnings.is_empty() {
                        self.notices.push(Notice {
                            error: false,
                            text: format!(
                                "{}: {} {}",
                                loaded.path.display(),
                                layer.warnings.len(),
                                self.lang.t(
                                    "件の警告（レイヤ一覧で確認できます）",
                                    "warnings (listed on the layer)"
                                )
                            ),
                        });
                    }
                    if !layer.source.crs.known {
                        self.notices.push(Notice {
                            error: true,
                            text: format!(
                                "{}: {}",
                                loaded.path.display(),
                                self.lang.t(
                                    "座標系が不明のため地図に表示できません（--crs で指定）",
                                    "CRS unknown, so it cannot be placed on the map (give it with --crs)"
                                )
                            ),
                        });
                    }
                    // Opened files take the palette's colours in turn, from the first.
                    let index = self.layers.iter().filter(|l| l.role.is_none()).count();
                    let extent = layer.index.bbox().filter(|_| layer.source.crs.known);
                    let restored = self.restoring.contains(&loaded.path);
                    let mut map_layer =
                        MapLayer::new(layer.name.clone(), layer, Style::for_role(None, index));
                    map_layer.visible =
                        !(restored && self.hidden_on_restore.contains(&map_layer.layer.name));
                    // Zoning is a backdrop: above the neighbouring cities, below everything else.
                    let at = if map_layer.zoning.is_some() {
                        self.layers.len().min(1)
                    } else {
                        self.layers.len()
                    };
                    self.insert_layer(at, map_layer);
                    if let Some(e) = extent.filter(|_| !restored) {
                        self.pending_zoom = Some(e);
                    }
                }
                Err(e) => self.notices.push(Notice {
                    error: true,
                    text: e,
                }),
            }
        }
    }

    /// What to remember: language, view, opened files, hidden layers.
    pub fn settings(&self) -> Settings {
        let embedded: Vec<&str> = HINO
            .iter()
            .map(|e| e.file.rsplit('/').next().unwrap_or(e.file))
            .collect();
        let files = self
            .layers
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
            lang: self.lang,
            view: self.view,
            files,
            hidden: self
                .layers
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
        self.lang = saved.lang;
        if let Some(source) = saved.basemap.as_deref().and_then(tiles::TileSource::named) {
            self.apply(Command::SetBasemap(Some(source)));
        }
        self.view = saved.view;
        self.hidden_on_restore = saved.hidden;
        for l in &mut self.layers {
            if self.hidden_on_restore.contains(&l.layer.name) {
                l.visible = false;
            }
        }
        self.restoring = saved.files.clone();
        let repaint = self.repaint.clone();
        self.open(saved.files, LoadOptions::default(), repaint);
    }

    /// Inserts a layer at drawing position `at`, keeping references to later layers right.
    fn insert_layer(&mut self, at: usize, layer: MapLayer) {
        self.layers.insert(at, layer);
        let shift = |i: usize| if i >= at { i + 1 } else { i };
        if let Some(s) = &mut self.selection {
            s.layer = shift(s.layer);
        }
        self.table_layer = self.table_layer.map(shift);
        self.filter_panel.layer = self.filter_panel.layer.map(shift);
        self.export_dialog.layer = self.export_dialog.layer.map(shift);
    }

    /// The extent to show first: the Hino boundary, else everything that is in lon/lat.
    pub fn home_extent(&self) -> Option<Envelope> {
        let boundary = self
            .layers
            .iter()
            .find(|l| l.role == Some(Role::Boundary))
            .and_then(|l| l.layer.index.bbox());
        boundary.or_else(|| {
            self.layers
                .iter()
                .filter(|l| l.layer.source.crs.known)
                .filter_map(|l| l.layer.index.bbox())
                .reduce(Envelope::union)
        })
    }

    /// The extent the window would open on: files just opened, else the city.
    pub fn initial_extent(&self) -> Option<Envelope> {
        self.pending_zoom.or_else(|| self.home_extent())
    }

    /// The identified feature: the first of the selection.
    pub fn identified(&self) -> Option<(usize, usize)> {
        let s = self.selection.as_ref()?;
        Some((s.layer, *s.features.first()?))
    }

    /// Queues a command (panels and tests).
    pub fn command(&mut self, c: Command) {
        self.commands.push(c);
    }

    /// Carries out one command.
    pub fn apply(&mut self, c: Command) {
        match c {
            Command::SetVisible(i, v) => {
                if let Some(l) = self.layers.get_mut(i) {
                    l.visible = v;
                }
            }
            Command::Select {
                layer,
                feature,
                zoom,
            } => {
                if let Some(l) = self.layers.get(layer) {
                    if zoom
                        && let Some(e) = l
                            .layer
                            .features
                            .get(feature)
                            .and_then(|f| f.geometry.as_ref())
                            .and_then(Envelope::of)
                    {
                        self.pending_zoom = Some(e);
                    }
                    self.selection = Some(Selection {
                        layer,
                        features: BTreeSet::from([feature]),
                    });
                }
            }
            Command::IdentifyAt {
                lon,
                lat,
                tolerance_m,
            } => {
                // Top layer first. An outline-only polygon (the city boundary, a neighbouring
                // city) clicked inside, away from its line, only counts when nothing below is
                // hit: a click inside Hino is about what lies within it.
                let mut inside_hollow = None;
                let mut hit = None;
                for (i, l) in self.layers.iter().enumerate().rev() {
                    if !l.visible || !l.layer.source.crs.known {
                        continue;
                    }
                    let Some(pick) =
                        l.layer
                            .index
                            .pick_lon_lat(&l.layer.features, lon, lat, tolerance_m)
                    else {
                        continue;
                    };
                    let hollow = l.zoning.is_none() && l.style.fill.a() == 0;
                    if hollow
                        && let Some(g) = &l.layer.features[pick.feature].geometry
                        && crate::model::outline_distance_m(g, lon, lat)
                            .is_some_and(|d| d > tolerance_m)
                    {
                        inside_hollow.get_or_insert((i, pick.feature));
                        continue;
                    }
                    hit = Some((i, pick.feature));
                    break;
                }
                let hit = hit.or(inside_hollow);
                self.selection = hit.map(|(layer, feature)| Selection {
                    layer,
                    features: BTreeSet::from([feature]),
                });
            }
            Command::ClearSelection => self.selection = None,
            Command::ZoomTo(e) => self.pending_zoom = Some(e),
            Command::ZoomToLayer(i) => {
                if let Some(e) = self.layers.get(i).and_then(|l| l.layer.index.bbox()) {
                    self.pending_zoom = Some(e);
                }
            }
            Command::ShowTable(i) => self.table_layer = i,
            Command::RemoveLayer(i) => {
                if i < self.layers.len() {
                    self.layers.remove(i);
                    self.selection = None;
                    let after_removal = |t: Option<usize>| match t {
                        Some(t) if t == i => None,
                        Some(t) if t > i => Some(t - 1),
                        other => other,
                    };
                    self.table_layer = after_removal(self.table_layer);
                    self.filter_panel.layer = after_removal(self.filter_panel.layer);
                    self.export_dialog.layer = after_removal(self.export_dialog.layer);
                }
            }
            Command::MoveLayer { layer, up } => {
                let other = if up { layer + 1 } else { layer.wrapping_sub(1) };
                if layer < self.layers.len() && other < self.layers.len() {
                    self.layers.swap(layer, other);
                    let remap = |i: usize| {
                        if i == layer {
                            other
                        } else if i == other {
                            layer
                        } else {
                            i
                        }
                    };
                    if let Some(s) = &mut self.selection {
                        s.layer = remap(s.layer);
                    }
                    self.table_layer = self.table_layer.map(remap);
                    self.filter_panel.layer = self.filter_panel.layer.map(remap);
                    self.export_dialog.layer = self.export_dialog.layer.map(remap);
                }
            }
            Command::Open(paths) => self.open(paths, LoadOptions::default(), None),
            Command::SetLang(l) => self.lang = l,
            Command::ApplyFilter(i) => self.apply_filter(i),
            Command::ClearFilter(i) => {
                if let Some(l) = self.layers.get_mut(i) {
                    l.filter = None;
                }
            }
            Command::EditFilter(i) => {
                if self.filter_panel.layer != Some(i) {
                    self.filter_panel = FilterPanel {
                        layer: Some(i),
                        ..Default::default()
                    };
                }
            }
            Command::SaveProject(path) => {
                let result = self.to_project().save(&path);
                self.project_dialog.result = Some(match result {
                    Ok(saved) => {
                        self.project.dir = saved.dir;
                        Ok(path.display().to_string())
                    }
                    Err(e) => Err(e.to_string()),
                });
            }
            Command::ExportMapImage(path) => {
                let result = match (self.view, self.map_rect, self.home_extent()) {
                    (Some(view), Some(rect), Some(home)) => {
                        let ppp = 2.0;
                        let size = [
                            (rect.width() * ppp).round() as u32,
                            (rect.height() * ppp).round() as u32,
                        ];
                        let canvas = render::render_map(self, Some(view), home, size, ppp);
                        render::write_png(&canvas, &path)
                            .map(|()| path.display().to_string())
                            .map_err(|e| e.to_string())
                    }
                    _ => Err(self
                        .lang
                        .t("地図がまだ描かれていません", "The map is not drawn yet")
                        .into()),
                };
                self.project_dialog.result = Some(result);
            }
            Command::SetBasemap(source) => {
                self.basemap = source.map(|s| tiles::Basemap::new(s, &self.tile_cache));
            }
            Command::Restyle(i, r) => {
                if let Some(l) = self.layers.get_mut(i) {
                    l.restyle(r);
                }
            }
            Command::SelectWithin { layer, area } => {
                if let Some(l) = self.layers.get(layer) {
                    use geo::Intersects;
                    let env = Envelope::of(&geo_types::Geometry::Polygon(area.clone()));
                    let features: BTreeSet<usize> = env
                        .into_iter()
                        .flat_map(|e| l.layer.index.query_envelopes(e).map(|(id, _)| id))
                        .filter(|&id| {
                            l.layer.features[id]
                                .geometry
                                .as_ref()
                                .is_some_and(|g| g.intersects(&area))
                        })
                        .collect();
                    self.selection =
                        (!features.is_empty()).then_some(Selection { layer, features });
                }
            }
            Command::DrawnAreaMetrics => {
                let result = match self.drawing.geometry() {
                    Some(g) => self
                        .project
                        .site_context(self.layers.iter().map(|l| (l.role, l.layer.as_ref())))
                        .map(|ctx| crate::analysis::site::compute(&g, &ctx)),
                    None => Err(self
                        .lang
                        .t("区域を描いてください", "Draw an area first")
                        .into()),
                };
                self.drawing.metrics = Some(result);
            }
            Command::OpenSheet { layer, feature } => {
                let id = self
                    .layers
                    .get(layer)
                    .and_then(|l| {
                        ["site_id", "id", "名称"]
                            .iter()
                            .find_map(|k| l.layer.value(feature, k))
                    })
                    .map(|v| v.to_string())
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
                let result = sheet::write_sheets(self, layer, &[feature], profile, &path);
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
        }
    }

    /// Runs the filter panel's filter on layer `i`; an error stays in the panel.
    fn apply_filter(&mut self, i: usize) {
        let Some(target) = self.layers.get(i) else {
            return;
        };
        let reference = |role: Role| {
            self.layers
                .iter()
                .find(|l| l.role == Some(role))
                .map(|l| l.layer.clone())
        };
        let filter = self.filter_panel.build(
            &target.layer,
            reference(Role::Boundary),
            reference(Role::Station),
        );
        if filter.is_empty() {
            self.layers[i].filter = None;
            self.filter_panel.error = None;
            return;
        }
        match filter.apply(&target.layer) {
            Ok(ids) => {
                let mut passes = vec![false; target.layer.features.len()];
                for &id in &ids {
                    passes[id] = true;
                }
                let text = filter.describe();
                let fields_read = filter.fields_used(&target.layer);
                self.layers[i].filter = Some(LayerFilter {
                    text,
                    where_text: filter.where_text.clone(),
                    passes,
                    ids,
                    fields_read,
                });
                self.filter_panel.error = None;
            }
            Err(e) => self.filter_panel.error = Some(e.to_string()),
        }
    }

    /// The whole window's contents (also what the UI tests drive).
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = std::time::Instant::now();
        self.show_panels(ui);
        if let Some(stats) = &mut self.frame_stats {
            let loading = !self.loader.pending.is_empty();
            stats.record(ui.ctx(), started.elapsed(), loading);
            // Measuring a drag: paint continuously, so intervals are the full cost of a frame.
            if ui.input(|i| i.pointer.primary_down()) {
                ui.ctx().request_repaint();
            }
        }
    }

    fn show_panels(&mut self, ui: &mut egui::Ui) {
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

        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::left("layers")
            .default_size(350.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    layers::layers_ui(
                        ui,
                        &self.layers,
                        self.lang,
                        &self.loader.pending,
                        &mut self.style_open,
                        &mut self.commands,
                    );
                    ui.separator();
                    self.filter_panel
                        .ui(ui, &self.layers, self.lang, &mut self.commands);
                    self.notices_ui(ui);
                });
            });
        if let Some((layer, feature)) = self.identified() {
            egui::Panel::right("identify")
                .default_size(320.0)
                .show(ui, |ui| {
                    identify::identify_ui(
                        ui,
                        &self.layers[layer],
                        feature,
                        layer,
                        self.lang,
                        &mut self.commands,
                    );
                });
        }
        if let Some(t) = self.table_layer.filter(|&t| t < self.layers.len()) {
            egui::Panel::bottom("table")
                .default_size(240.0)
                .resizable(true)
                .show(ui, |ui| {
                    self.table.table_ui(
                        ui,
                        t,
                        &self.layers[t],
                        self.selection.as_ref(),
                        self.lang,
                        &mut self.commands,
                    );
                });
        }
        self.export_dialog
            .ui(ui.ctx(), &self.layers, self.selection.as_ref(), self.lang);
        self.ranking
            .ui(ui.ctx(), &self.layers, self.lang, &mut self.commands);
        self.project_dialog
            .ui(ui.ctx(), self.lang, &mut self.commands);
        tools::metrics_window(ui.ctx(), &mut self.drawing, self.lang);
        egui::CentralPanel::default().show(ui, |ui| {
            let home = self.home_extent();
            // Also before the first frame: a layer that loaded early is where the map opens.
            if let Some(zoom) = self.pending_zoom.take() {
                self.view = Some(MapView::fit(zoom, ui.available_rect_before_wrap()));
            }
            tools::tools_ui(
                ui,
                &mut self.drawing,
                &self.layers,
                self.lang,
                &mut self.commands,
            );
            self.map_rect = Some(ui.available_rect_before_wrap());
            map::map_ui(
                ui,
                &mut self.view,
                home,
                &self.layers,
                self.selection.as_ref(),
                map::Extras {
                    decorations: true,
                    drawing: Some(&mut self.drawing),
                    basemap: self.basemap.as_mut(),
                    layer_image: Some(&mut self.layer_image),
                },
                &mut self.commands,
            );
        });

        if let Some(e) = self.basemap.as_mut().and_then(|b| b.last_error.take())
            && self.notices.last().is_none_or(|n| n.text != e)
        {
            self.notices.push(Notice {
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

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang;
        ui.horizontal(|ui| {
            ui.strong("sitelens");
            ui.separator();
            ui.menu_button(lang.t("ファイル", "File"), |ui| {
                if ui.button(lang.t("開く…", "Open…")).clicked() {
                    self.project_dialog.show(project_dialog::Mode::Open);
                }
                if ui
                    .button(lang.t("プロジェクトを保存…", "Save project…"))
                    .clicked()
                {
                    self.project_dialog.show(project_dialog::Mode::Save);
                }
                if ui
                    .button(lang.t("地図画像を書き出す…", "Export map image…"))
                    .clicked()
                {
                    self.project_dialog.show(project_dialog::Mode::MapImage);
                }
                ui.separator();
                if ui.button(lang.t("エクスポート…", "Export…")).clicked() {
                    self.commands
                        .push(Command::OpenExport(self.filter_panel.layer));
                }
            });
            ui.menu_button(lang.t("表示", "View"), |ui| {
                if ui.button(lang.t("日野市全体", "Whole city")).clicked()
                    && let Some(e) = self.home_extent()
                {
                    self.commands.push(Command::ZoomTo(e));
                }
                if ui.button(lang.t("選択を解除", "Clear selection")).clicked() {
                    self.commands.push(Command::ClearSelection);
                }
                if ui.button(lang.t("用地の評価…", "Site ranking…")).clicked() {
                    self.ranking.open = true;
                }
                ui.separator();
                ui.label(lang.t("背景地図（インターネット）", "Basemap (internet)"));
                let current = self.basemap.as_ref().map(|b| b.source.id.clone());
                if ui
                    .radio(current.is_none(), lang.t("なし", "None"))
                    .clicked()
                {
                    self.commands.push(Command::SetBasemap(None));
                }
                for (id, ja, en) in tiles::BASEMAPS {
                    if ui
                        .radio(current.as_deref() == Some(id), lang.t(ja, en))
                        .clicked()
                    {
                        self.commands
                            .push(Command::SetBasemap(tiles::TileSource::named(id)));
                    }
                }
            });
            ui.menu_button(lang.t("言語", "Language"), |ui| {
                if ui.radio(lang == Lang::Ja, "日本語").clicked() {
                    self.commands.push(Command::SetLang(Lang::Ja));
                }
                if ui.radio(lang == Lang::En, "English").clicked() {
                    self.commands.push(Command::SetLang(Lang::En));
                }
            });
            ui.separator();
            ui.weak(lang.t(
                "ファイルをウィンドウにドロップすると追加できます",
                "Drop files on the window to add them",
            ));
        });
    }

    fn notices_ui(&mut self, ui: &mut egui::Ui) {
        if self.notices.is_empty() {
            return;
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.strong(self.lang.t("お知らせ", "Notifications"));
            if ui.small_button(self.lang.t("消去", "Clear")).clicked() {
                self.notices.clear();
            }
        });
        for n in &self.notices {
            let color = if n.error {
                Color32::from_rgb(200, 30, 30)
            } else {
                Color32::from_rgb(180, 110, 0)
            };
            ui.colored_label(color, &n.text);
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

/// Frame times while the map is dragged (the interval between frames, painting continuously,
/// and the time to build the UI), summarised on stderr every 30 such frames; the start-up and
/// the end of loading are logged once: how the viewer's speed is measured under Xvfb
/// (bench/run.sh).
#[derive(Default)]
struct FrameStats {
    intervals_ms: Vec<f64>,
    build_ms: Vec<f64>,
    first_frame_logged: bool,
    loads_logged: bool,
}

impl FrameStats {
    fn record(&mut self, ctx: &egui::Context, build: std::time::Duration, loading: bool) {
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            eprintln!(
                "frame-stats: first frame built {:.1} ms after start",
                process_uptime_ms()
            );
        }
        if !loading && !self.loads_logged {
            self.loads_logged = true;
            eprintln!(
                "frame-stats: layers loaded {:.1} ms after start",
                process_uptime_ms()
            );
        }
        let (dt, dragging) = ctx.input(|i| (i.unstable_dt, i.pointer.primary_down()));
        if !dragging {
            return;
        }
        self.intervals_ms.push(dt as f64 * 1000.0);
        self.build_ms.push(build.as_secs_f64() * 1000.0);
        if self.intervals_ms.len() == 30 {
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                (v[v.len() / 2], v[v.len() * 95 / 100])
            };
            let (dt, dt95) = median(&mut self.intervals_ms);
            let (b, b95) = median(&mut self.build_ms);
            eprintln!(
                "frame-stats: drag frames: interval median {dt:.1} ms (p95 {dt95:.1}); UI build median {b:.1} ms (p95 {b95:.1})"
            );
            self.intervals_ms.clear();
            self.build_ms.clear();
        }
    }
}

/// Milliseconds since the process started (Linux: from /proc/self/stat), for start-up timing.
fn process_uptime_ms() -> f64 {
    let read = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let start_ticks: f64 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(19)?
            .parse()
            .ok()?;
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some((uptime - start_ticks / 100.0) * 1000.0)
    };
    read().unwrap_or(f64::NAN)
}

/// The position and layer of the layer named `name` (file stem), if the viewer has it.
pub fn layer_named<'a>(viewer: &'a Viewer, name: &str) -> Option<(usize, &'a Layer)> {
    viewer
        .layers
        .iter()
        .enumerate()
        .find(|(_, l)| l.layer.name == name)
        .map(|(i, l)| (i, l.layer.as_ref()))
}
