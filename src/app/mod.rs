//! The desktop viewer (feature `gui`): the embedded Hino layers plus files from the command
//! line, drawn on a pannable, zoomable map with a layer list, cursor coordinates and credits.

mod map;

use std::path::PathBuf;

use eframe::egui;
use egui::Color32;

use crate::embedded::{HINO, Role};
use crate::io::{self, LoadOptions};
use crate::model::{Envelope, Layer};
use map::MapView;

/// The bundled Japanese font (IPAexGothic, IPA Font License v1.0: assets/fonts/).
const JAPANESE_FONT: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// Opens the viewer window and blocks until it is closed.
pub fn run(paths: Vec<PathBuf>, options: LoadOptions) -> Result<(), eframe::Error> {
    let viewer = Viewer::new(&paths, &options);
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("sitelens — 日野市 Hino")
            .with_inner_size([1200.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "sitelens",
        native,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
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

/// A layer on the map with its display state.
pub struct MapLayer {
    pub title: String,
    pub layer: Layer,
    pub visible: bool,
    pub style: Style,
    pub credit: Option<&'static str>,
}

/// How a layer is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub stroke: Color32,
    pub width: f32,
    pub fill: Color32,
    pub point_radius: f32,
}

impl Style {
    fn for_role(role: Option<Role>, index: usize) -> Self {
        let s = |stroke, width, fill, point_radius| Style {
            stroke,
            width,
            fill,
            point_radius,
        };
        match role {
            Some(Role::Neighbours) => s(Color32::from_gray(150), 1.0, Color32::TRANSPARENT, 0.0),
            Some(Role::Boundary) => s(
                Color32::from_rgb(200, 40, 40),
                2.5,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Expressway) => s(
                Color32::from_rgb(0, 140, 70),
                3.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Railway) => s(
                Color32::from_rgb(60, 60, 60),
                2.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Station) => s(
                Color32::from_rgb(20, 20, 20),
                6.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Interchange) => s(Color32::WHITE, 1.5, Color32::from_rgb(0, 140, 70), 6.0),
            Some(Role::Shelter) => s(Color32::WHITE, 1.0, Color32::from_rgb(30, 110, 200), 3.5),
            None => {
                const PALETTE: [Color32; 4] = [
                    Color32::from_rgb(230, 120, 0),
                    Color32::from_rgb(140, 60, 200),
                    Color32::from_rgb(0, 150, 160),
                    Color32::from_rgb(200, 0, 120),
                ];
                let c = PALETTE[index % PALETTE.len()];
                s(c, 1.5, c, 4.0)
            }
        }
    }
}

/// The viewer's state.
pub struct Viewer {
    pub layers: Vec<MapLayer>,
    pub view: Option<MapView>,
    /// Load errors, shown in the side panel.
    pub errors: Vec<String>,
}

impl Viewer {
    /// Loads the embedded Hino layers, then `paths` on top.
    pub fn new(paths: &[PathBuf], options: &LoadOptions) -> Self {
        let mut layers = Vec::new();
        let mut errors = Vec::new();
        for (i, embedded) in HINO.iter().enumerate() {
            match embedded.load() {
                Ok(layer) => layers.push(MapLayer {
                    title: embedded.title.into(),
                    layer,
                    visible: true,
                    style: Style::for_role(Some(embedded.role), i),
                    credit: Some(embedded.credit),
                }),
                Err(e) => errors.push(e.to_string()),
            }
        }
        for (i, path) in paths.iter().enumerate() {
            match io::load(path, options) {
                Ok(layer) => layers.push(MapLayer {
                    title: layer.name.clone(),
                    layer,
                    visible: true,
                    style: Style::for_role(None, i),
                    credit: None,
                }),
                Err(e) => errors.push(e.to_string()),
            }
        }
        Viewer {
            layers,
            view: None,
            errors,
        }
    }

    /// The extent to show first: the Hino boundary, else everything that is in lon/lat.
    fn home_extent(&self) -> Option<Envelope> {
        let boundary = self
            .layers
            .iter()
            .find(|l| l.layer.name == "hino_boundary_n03")
            .and_then(|l| l.layer.index.bbox());
        boundary.or_else(|| {
            self.layers
                .iter()
                .filter(|l| l.layer.source.crs.known)
                .filter_map(|l| l.layer.index.bbox())
                .reduce(Envelope::union)
        })
    }

    fn layers_ui(&mut self, ui: &mut egui::Ui) {
        ui.heading("レイヤ Layers");
        for map_layer in self.layers.iter_mut().rev() {
            ui.horizontal(|ui| {
                let (rect, _) =
                    ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
                let fill = if map_layer.style.fill == Color32::TRANSPARENT {
                    map_layer.style.stroke
                } else {
                    map_layer.style.fill
                };
                ui.painter().rect_filled(rect, 2.0, fill);
                ui.checkbox(&mut map_layer.visible, &map_layer.title);
                let layer = &map_layer.layer;
                ui.weak(format!("{}", layer.features.len()));
                if !layer.warnings.is_empty() {
                    let badge = ui.colored_label(
                        Color32::from_rgb(200, 120, 0),
                        format!("⚠ {}", layer.warnings.len()),
                    );
                    badge.on_hover_ui(|ui| {
                        for w in layer.warnings.iter().take(20) {
                            ui.label(w.to_string());
                        }
                    });
                }
            });
        }
        if !self.errors.is_empty() {
            ui.separator();
            ui.colored_label(Color32::from_rgb(200, 30, 30), "読み込みエラー Load errors");
            for e in &self.errors {
                ui.label(e);
            }
        }
    }
}

impl eframe::App for Viewer {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::Panel::left("layers")
            .default_size(300.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| self.layers_ui(ui));
            });
        egui::CentralPanel::default().show(ui, |ui| {
            let home = self.home_extent();
            map::map_ui(ui, &mut self.view, home, &self.layers);
        });
    }
}
