//! Layers on the map, their styles, and the layers panel.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

use geo::TriangulateEarcut;
use geo_types::Geometry;

use eframe::egui;
use egui::Color32;

use super::{Command, Lang};
use crate::analysis::zoning::{Zone, ZoningFields};
use crate::embedded::Role;
use crate::model::Layer;
use crate::project::{LayerSpec, StyleSpec};

/// A layer on the map with its display state.
pub struct MapLayer {
    pub title: String,
    /// Shared: spatial filters of other layers refer to it.
    pub layer: Arc<Layer>,
    pub visible: bool,
    pub style: Style,
    /// The layer's filter and which features pass it (`None`: no filter).
    pub filter: Option<LayerFilter>,
    /// Polygon triangulations, made the first time each polygon is drawn filled.
    fills: RefCell<HashMap<usize, Rc<Fill>>>,
    /// Set when the layer is recognised as zoning (用途地域): styled with the zoning palette.
    pub zoning: Option<Zoning>,
    /// What the layer is for (from the project); `None` for files the user opened.
    pub role: Option<Role>,
    /// The project entry it came from (path as written there, encoding, …); `None` for files
    /// the user opened.
    pub spec: Option<LayerSpec>,
}

/// A zoning layer's per-feature colours and the zones it holds (for the legend).
pub struct Zoning {
    pub fields: ZoningFields,
    pub colours: Vec<Option<Color32>>,
    pub present: Vec<&'static Zone>,
}

impl Zoning {
    fn of(layer: &Layer) -> Option<Zoning> {
        let fields = ZoningFields::detect(layer)?;
        let mut present: Vec<&'static Zone> = Vec::new();
        let colours = layer
            .features
            .iter()
            .map(|f| {
                let zone = fields.zone(&f.values)?;
                if !present.contains(&zone) {
                    present.push(zone);
                }
                let [r, g, b] = zone.colour;
                Some(Color32::from_rgb(r, g, b).gamma_multiply(0.75))
            })
            .collect();
        present.sort_by_key(|z| z.a29_code);
        Some(Zoning {
            fields,
            colours,
            present,
        })
    }
}

/// A polygon's triangles in lon/lat (triangulation survives any affine view transform).
pub struct Fill {
    pub vertices: Vec<[f64; 2]>,
    pub indices: Vec<u32>,
}

/// A filter applied to a layer in the viewer, with its result.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFilter {
    /// The filter as text (the same words as `sitelens export`'s provenance).
    pub text: String,
    /// Its attribute part (`--where`), to say which terms a feature fails.
    pub where_text: Option<String>,
    /// For each feature: whether it passes.
    pub passes: Vec<bool>,
    /// The passing features, in order.
    pub ids: Vec<usize>,
    /// Fields the filter reads (an export keeps them out of a public provenance).
    pub fields_read: Vec<String>,
}

impl MapLayer {
    pub fn new(title: String, layer: Layer, style: Style) -> Self {
        MapLayer {
            title,
            layer: Arc::new(layer),
            visible: true,
            style,
            filter: None,
            fills: RefCell::new(HashMap::new()),
            zoning: None,
            role: None,
            spec: None,
        }
        .with_zoning()
    }

    /// A layer of a project, styled by its role and the project's style.
    pub fn from_project(spec: LayerSpec, layer: Layer, index: usize) -> Self {
        let mut style = Style::for_role(spec.role, index);
        if let Some(s) = &spec.style {
            style = style.with_spec(s);
        }
        let title = spec.title.clone().unwrap_or_else(|| layer.name.clone());
        let mut l = MapLayer::new(title, layer, style);
        if let Some(s) = &spec.style {
            // A project's own style wins over the zoning outline.
            l.style = l.style.with_spec(s);
        }
        l.visible = spec.visible;
        l.role = spec.role;
        l.spec = Some(spec);
        l
    }

    /// The layer as a project entry: its source, role, visibility, style and meta.
    pub fn to_spec(&self) -> LayerSpec {
        let source = &self.layer.source;
        let mut spec = self.spec.clone().unwrap_or_else(|| {
            let path = match &source.member {
                Some(m) => source.path.join(m),
                None => source.path.clone(),
            };
            LayerSpec::new(path.to_string_lossy().into_owned())
        });
        spec.title = Some(self.title.clone());
        spec.role = self.role;
        spec.visible = self.visible;
        let default = Style::for_role(self.role, 0);
        spec.style = (self.style != default || spec.style.is_some()).then(|| self.style.spec());
        let meta = &self.layer.meta;
        if spec.credit.is_some() || !spec.path.starts_with(crate::project::EMBEDDED) {
            spec.credit = meta.credit.clone();
        }
        if spec.licence.is_some() || !spec.path.starts_with(crate::project::EMBEDDED) {
            spec.licence = meta.licence.clone();
        }
        spec.internal_fields = meta.internal_fields.clone();
        spec
    }

    /// Recognises zoning and styles it with the palette: grey outlines, zone colours.
    fn with_zoning(mut self) -> Self {
        self.zoning = Zoning::of(&self.layer);
        if self.zoning.is_some() {
            self.style.stroke = Color32::from_gray(110);
            self.style.width = 0.8;
        }
        self
    }

    /// The fill colour of feature `id`: its zone's colour on a zoning layer, else the style's.
    pub fn fill_colour(&self, id: usize, style: &Style) -> Color32 {
        match self
            .zoning
            .as_ref()
            .and_then(|z| z.colours.get(id).copied().flatten())
        {
            Some(c) if style.fill != Color32::TRANSPARENT || self.passes(id) => {
                if self.passes(id) {
                    c
                } else {
                    c.gamma_multiply(0.2)
                }
            }
            _ => style.fill,
        }
    }

    /// The triangulation of feature `id`'s polygons (cached), `None` if it has none.
    pub fn fill(&self, id: usize) -> Option<Rc<Fill>> {
        if let Some(f) = self.fills.borrow().get(&id) {
            return Some(f.clone());
        }
        let polygons: Vec<&geo_types::Polygon<f64>> =
            match self.layer.features.get(id)?.geometry.as_ref()? {
                Geometry::Polygon(p) => vec![p],
                Geometry::MultiPolygon(mp) => mp.0.iter().collect(),
                _ => return None,
            };
        let mut fill = Fill {
            vertices: Vec::new(),
            indices: Vec::new(),
        };
        for p in polygons {
            let raw = p.earcut_triangles_raw();
            let base = fill.vertices.len() as u32;
            fill.indices
                .extend(raw.triangle_indices.iter().map(|&i| base + i as u32));
            fill.vertices.extend(raw.vertices);
        }
        let fill = Rc::new(fill);
        self.fills.borrow_mut().insert(id, fill.clone());
        Some(fill)
    }

    /// Whether feature `id` passes the layer's filter (all do without one).
    pub fn passes(&self, id: usize) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|f| f.passes.get(id).copied().unwrap_or(false))
    }

    /// How the selected features of this layer are drawn: thick, bright, on top.
    pub fn highlight_style(&self) -> Style {
        let cyan = Color32::from_rgb(0, 200, 255);
        Style {
            stroke: cyan,
            width: self.style.width.max(2.0) + 2.0,
            fill: cyan,
            point_radius: self.style.point_radius.max(4.0) + 2.0,
        }
    }
}

/// How a layer is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub stroke: Color32,
    pub width: f32,
    pub fill: Color32,
    pub point_radius: f32,
}

impl Style {
    /// This style with what a project's style gives.
    pub fn with_spec(self, spec: &StyleSpec) -> Style {
        let colour = |c: Option<[u8; 4]>, or: Color32| {
            c.map_or(or, |[r, g, b, a]| {
                Color32::from_rgba_unmultiplied(r, g, b, a)
            })
        };
        Style {
            stroke: colour(spec.stroke, self.stroke),
            width: spec.width.unwrap_or(self.width),
            fill: colour(spec.fill, self.fill),
            point_radius: spec.point_size.unwrap_or(self.point_radius),
        }
    }

    /// The style as a project writes it.
    pub fn spec(&self) -> StyleSpec {
        StyleSpec {
            fill: Some(self.fill.to_srgba_unmultiplied()),
            stroke: Some(self.stroke.to_srgba_unmultiplied()),
            width: Some(self.width),
            point_size: Some(self.point_radius),
        }
    }

    /// The default style of an embedded layer's role, or of the `index`-th opened file.
    pub fn for_role(role: Option<Role>, index: usize) -> Self {
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
            // Zoning is drawn with the zoning palette; this is its outline.
            Some(Role::Zoning) => s(Color32::from_gray(110), 0.6, Color32::from_gray(200), 0.0),
            Some(Role::Site) => s(
                Color32::from_rgb(120, 0, 160),
                2.0,
                Color32::from_rgba_unmultiplied(150, 60, 200, 120),
                0.0,
            ),
            Some(Role::Enterprise) => s(Color32::WHITE, 0.8, Color32::from_rgb(230, 120, 0), 3.0),
            Some(Role::Context) | None => {
                const PALETTE: [Color32; 4] = [
                    Color32::from_rgb(230, 120, 0),
                    Color32::from_rgb(140, 60, 200),
                    Color32::from_rgb(0, 150, 160),
                    Color32::from_rgb(200, 0, 120),
                ];
                let c = PALETTE[index % PALETTE.len()];
                s(c, 1.2, c.gamma_multiply(0.35), 4.0)
            }
        }
    }

    /// The style of features a filter leaves out.
    pub fn dimmed(&self) -> Style {
        Style {
            stroke: self.stroke.gamma_multiply(0.2),
            fill: self.fill.gamma_multiply(0.2),
            ..*self
        }
    }

    /// The colour that stands for the layer in lists and legends.
    pub fn swatch(&self) -> Color32 {
        // A translucent fill looks dark on the panel: its stroke stands for it then.
        if self.fill.a() < 255 {
            self.stroke
        } else {
            self.fill
        }
    }
}

/// The layers panel: top of the drawing order first.
pub fn layers_ui(
    ui: &mut egui::Ui,
    layers: &[MapLayer],
    lang: Lang,
    pending: &[PathBuf],
    commands: &mut Vec<Command>,
) {
    ui.heading(lang.t("レイヤ", "Layers"));
    for path in pending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "{} {}",
                lang.t("読み込み中", "Loading"),
                path.display()
            ));
        });
    }
    for (i, map_layer) in layers.iter().enumerate().rev() {
        let layer = &map_layer.layer;
        ui.horizontal(|ui| {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            ui.painter()
                .rect_filled(rect, 2.0, map_layer.style.swatch());
            let mut visible = map_layer.visible;
            if ui.checkbox(&mut visible, &map_layer.title).changed() {
                commands.push(Command::SetVisible(i, visible));
            }
            match &map_layer.filter {
                Some(f) => ui.weak(format!("{}/{}", f.ids.len(), layer.features.len())),
                None => ui.weak(layer.features.len().to_string()),
            };
            if !layer.warnings.is_empty() {
                let badge = ui.colored_label(
                    Color32::from_rgb(200, 120, 0),
                    format!("{} {}", lang.t("警告", "warnings"), layer.warnings.len()),
                );
                badge.on_hover_ui(|ui| {
                    for w in layer.warnings.iter().take(20) {
                        ui.label(w.to_string());
                    }
                    if layer.warnings.len() > 20 {
                        ui.weak(format!("… {}", layer.warnings.len() - 20));
                    }
                });
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.add_space(20.0);
            if ui
                .small_button(lang.t("ズーム", "Zoom"))
                .on_hover_text(lang.t("レイヤ全体を表示", "Zoom to layer"))
                .clicked()
            {
                commands.push(Command::ZoomToLayer(i));
            }
            if ui
                .small_button(lang.t("テーブル", "Table"))
                .on_hover_text(lang.t("属性テーブル", "Attribute table"))
                .clicked()
            {
                commands.push(Command::ShowTable(Some(i)));
            }
            if ui.small_button(lang.t("フィルタ", "Filter")).clicked() {
                commands.push(Command::EditFilter(i));
            }
            if ui
                .small_button("↑")
                .on_hover_text(lang.t("上へ", "Move up"))
                .clicked()
            {
                commands.push(Command::MoveLayer { layer: i, up: true });
            }
            if ui
                .small_button("↓")
                .on_hover_text(lang.t("下へ", "Move down"))
                .clicked()
            {
                commands.push(Command::MoveLayer {
                    layer: i,
                    up: false,
                });
            }
            if ui
                .small_button("×")
                .on_hover_text(lang.t("削除", "Remove"))
                .clicked()
            {
                commands.push(Command::RemoveLayer(i));
            }
            if let Some(z) = &map_layer.zoning {
                ui.end_row();
                for zone in &z.present {
                    let [r, g, b] = zone.colour;
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter()
                        .rect_filled(rect, 1.0, Color32::from_rgb(r, g, b));
                    ui.label(lang.t(zone.name_ja, zone.name_en));
                }
            }
            if !layer.source.crs.known {
                ui.colored_label(
                    Color32::from_rgb(200, 30, 30),
                    lang.t("座標系不明", "CRS unknown"),
                );
            }
        });
    }
}
