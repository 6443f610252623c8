//! Layers on the map, their styles, and the layers panel.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use geo::{Simplify, TriangulateEarcut};
use geo_types::{Geometry, Polygon};

use eframe::egui;
use egui::Color32;

use super::{Command, Lang};
use crate::analysis::zoning::{Zone, ZoningFields};
use crate::model::Layer;
use crate::model::Role;
use crate::project::{LayerSpec, StyleSpec};

/// A layer on the map with its display state. A clone is cheap next to the data (which is
/// shared) and shares the triangulations: the layers' image is drawn from clones on a thread.
#[derive(Clone)]
pub struct MapLayer {
    pub title: String,
    /// Shared: spatial filters of other layers refer to it.
    pub layer: Arc<Layer>,
    pub visible: bool,
    pub style: Style,
    /// The layer's filter and which features pass it (`None`: no filter).
    pub filter: Option<LayerFilter>,
    /// Polygon triangulations by feature and level of detail, made the first time each polygon
    /// is drawn at that level.
    fills: Arc<Mutex<FillCache>>,
    /// Set when the layer is recognised as zoning (用途地域): styled with the zoning palette.
    pub zoning: Option<Zoning>,
    /// What the layer is for (from the project); `None` for files the user opened.
    pub role: Option<Role>,
    /// The project entry it came from (path as written there, encoding, …); `None` for files
    /// the user opened.
    pub spec: Option<LayerSpec>,
    /// Field whose values label the features on the map.
    pub label: Option<String>,
    /// Colours by the values of a field, when set.
    pub categories: Option<Categories>,
    /// 0–1, applied to every colour of the layer.
    pub opacity: f32,
}

/// Categorized styling: one colour per value of a field (the most frequent values first; the
/// rest share grey as "other").
#[derive(Clone)]
pub struct Categories {
    pub field: String,
    /// (value as text, colour, feature count), most frequent first.
    pub classes: Vec<(String, Color32, usize)>,
    /// Per feature: its class, `None` for null values.
    pub of_feature: Vec<Option<u16>>,
}

/// Distinct colours for categories (colour-blind friendly first).
const CATEGORY_PALETTE: [Color32; 10] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(230, 159, 0),
    Color32::from_rgb(0, 158, 115),
    Color32::from_rgb(204, 121, 167),
    Color32::from_rgb(86, 180, 233),
    Color32::from_rgb(213, 94, 0),
    Color32::from_rgb(240, 228, 66),
    Color32::from_rgb(120, 80, 40),
    Color32::from_rgb(120, 120, 220),
    Color32::from_rgb(60, 60, 60),
];

impl Categories {
    /// Classes of `field`'s values; `None` when the layer has no such field.
    pub fn of(layer: &Layer, field: &str) -> Option<Categories> {
        let col = layer.field_index(field)?;
        let mut counts: HashMap<String, usize> = HashMap::new();
        for f in &layer.features {
            if !f.values[col].is_null() {
                *counts.entry(f.values[col].to_string()).or_default() += 1;
            }
        }
        let mut values: Vec<(String, usize)> = counts.into_iter().collect();
        values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let named = values.len().min(CATEGORY_PALETTE.len());
        let mut classes: Vec<(String, Color32, usize)> = values[..named]
            .iter()
            .zip(CATEGORY_PALETTE)
            .map(|((v, n), c)| (v.clone(), c, *n))
            .collect();
        let other: usize = values[named..].iter().map(|v| v.1).sum();
        if other > 0 {
            classes.push(("その他 / other".into(), Color32::from_gray(160), other));
        }
        let index: HashMap<&str, u16> = classes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.0.as_str(), i as u16))
            .collect();
        let other_class = (other > 0).then(|| (classes.len() - 1) as u16);
        let of_feature = layer
            .features
            .iter()
            .map(|f| {
                let v = &f.values[col];
                if v.is_null() {
                    None
                } else {
                    index.get(v.to_string().as_str()).copied().or(other_class)
                }
            })
            .collect();
        Some(Categories {
            field: field.to_string(),
            classes,
            of_feature,
        })
    }

    pub fn colour(&self, id: usize) -> Option<Color32> {
        let class = (*self.of_feature.get(id)?)?;
        Some(self.classes[class as usize].1)
    }
}

/// A zoning layer's per-feature colours and the zones it holds (for the legend).
#[derive(Clone)]
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

/// Polygon features at their levels of detail, by (feature, level).
type FillCache = HashMap<(usize, u8), Arc<Detail>>;

/// A polygon feature as drawn at one level of detail: the simplified polygons when the level
/// drops vertices, and their triangles, made the first time the feature is drawn filled.
pub struct Detail {
    /// `None`: the feature's own polygons (full detail, or nothing to drop at this level).
    pub simplified: Option<Vec<Polygon<f64>>>,
    fill: OnceLock<Fill>,
}

/// Triangles in lon/lat (a triangulation survives any affine view transform).
pub struct Fill {
    pub vertices: Vec<[f64; 2]>,
    pub indices: Vec<u32>,
}

/// The level of detail that keeps every vertex.
const FULL_DETAIL: u8 = u8::MAX;

/// Polygon features with fewer vertices are always drawn in full: simplifying them saves less
/// than it costs.
const SIMPLIFY_FROM_VERTICES: usize = 32;

/// The level of detail for a view of `points_per_deg` screen points per degree: one level per
/// doubling of the zoom, so a pan or a small zoom reuses what was simplified.
pub fn detail_level(points_per_deg: f64) -> u8 {
    points_per_deg.max(1.0).log2().floor().min(60.0) as u8
}

/// How far (in degrees) a simplified outline may stray from the true one at `level`: at most
/// half a screen point at any zoom that picks this level (a degree of longitude spans fewer
/// points than a degree of latitude, so the bound holds both ways).
fn detail_tolerance(level: u8) -> f64 {
    0.25 / 2f64.powi(level as i32)
}

/// Whether a geometry has enough vertices to be simplified when zoomed out.
pub fn is_detailed(g: &Geometry<f64>) -> bool {
    polygons_of(g).is_some_and(|ps| vertex_count(ps) >= SIMPLIFY_FROM_VERTICES)
}

/// The polygons of a polygonal geometry.
fn polygons_of(g: &Geometry<f64>) -> Option<&[Polygon<f64>]> {
    match g {
        Geometry::Polygon(p) => Some(std::slice::from_ref(p)),
        Geometry::MultiPolygon(mp) => Some(&mp.0),
        _ => None,
    }
}

fn vertex_count(polygons: &[Polygon<f64>]) -> usize {
    polygons
        .iter()
        .map(|p| p.exterior().0.len() + p.interiors().iter().map(|r| r.0.len()).sum::<usize>())
        .sum()
}

fn triangulate<'a>(polygons: impl IntoIterator<Item = &'a Polygon<f64>>) -> Fill {
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
    fill
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
            fills: Arc::default(),
            zoning: None,
            role: None,
            spec: None,
            label: None,
            categories: None,
            opacity: 1.0,
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
        // Stations and sites are labelled by default.
        l.label = match l.role {
            Some(Role::Station) => ["N02_005", "駅名", "名称", "name"]
                .iter()
                .find(|f| l.layer.field_index(f).is_some())
                .map(|f| f.to_string()),
            Some(Role::Site) => ["site_id", "名称", "name"]
                .iter()
                .find(|f| l.layer.field_index(f).is_some())
                .map(|f| f.to_string()),
            _ => None,
        };
        if let Some(s) = &spec.style {
            if s.label.is_some() {
                l.label = s.label.clone().filter(|f| !f.is_empty());
            }
            l.categories = s
                .categorize
                .as_deref()
                .and_then(|f| Categories::of(&l.layer, f));
            l.opacity = s.opacity.unwrap_or(1.0).clamp(0.0, 1.0);
        }
        l.spec = Some(spec);
        l
    }

    /// How feature `id` is drawn: the layer's style (dimmed when a filter leaves it out), its
    /// category's or zone's colour, and the layer's opacity.
    pub fn feature_style(&self, id: usize) -> Style {
        let passes = self.passes(id);
        let mut style = if passes {
            self.style
        } else {
            self.style.dimmed()
        };
        let fade = |c: Color32| if passes { c } else { c.gamma_multiply(0.2) };
        if let Some(c) = self.categories.as_ref().and_then(|k| k.colour(id)) {
            style.fill = fade(c.gamma_multiply(if self.style.point_radius > 0.0 {
                1.0
            } else {
                0.7
            }));
            if self.style.fill == Color32::TRANSPARENT {
                style.stroke = fade(c);
            }
        } else if let Some(c) = self
            .zoning
            .as_ref()
            .and_then(|z| z.colours.get(id).copied().flatten())
        {
            style.fill = fade(c);
        }
        if self.opacity < 1.0 {
            style.fill = style.fill.gamma_multiply(self.opacity);
            style.stroke = style.stroke.gamma_multiply(self.opacity);
        }
        style
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
        let customised = self.style != default
            || self.opacity < 1.0
            || self.categories.is_some()
            || spec.style.as_ref().is_some_and(|s| s.label.is_some());
        spec.style = (customised || spec.style.is_some()).then(|| StyleSpec {
            label: Some(self.label.clone().unwrap_or_default()),
            categorize: self.categories.as_ref().map(|c| c.field.clone()),
            opacity: (self.opacity < 1.0).then_some(self.opacity),
            ..self.style.spec()
        });
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

    /// Feature `id`'s polygons at a level of detail (`FULL_DETAIL` or a `detail_level`),
    /// cached; `None` if it has no polygons. Polygons of many vertices are simplified
    /// (Ramer–Douglas–Peucker, `detail_tolerance`) once per level, so a city-wide view of
    /// detailed zoning draws the few hundred vertices that show, not every surveyed one. Levels
    /// that would drop little, and small polygons, share the full-detail entry.
    pub fn detail(&self, id: usize, level: u8) -> Option<Arc<Detail>> {
        let polygons = polygons_of(self.layer.features.get(id)?.geometry.as_ref()?)?;
        let full_count = vertex_count(polygons);
        let level = if full_count < SIMPLIFY_FROM_VERTICES {
            FULL_DETAIL
        } else {
            level
        };
        let lock = || self.fills.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(d) = lock().get(&(id, level)) {
            return Some(d.clone());
        }
        let detail = if level == FULL_DETAIL {
            Arc::new(Detail {
                simplified: None,
                fill: OnceLock::new(),
            })
        } else {
            let tolerance = detail_tolerance(level);
            let simplified: Vec<Polygon<f64>> =
                polygons.iter().map(|p| p.simplify(tolerance)).collect();
            if vertex_count(&simplified) * 5 > full_count * 4 {
                // Less than a fifth dropped: draw it in full.
                self.detail(id, FULL_DETAIL)?
            } else {
                Arc::new(Detail {
                    simplified: Some(simplified),
                    fill: OnceLock::new(),
                })
            }
        };
        // Two threads may have made the same entry: keep the first, so they share triangles.
        Some(lock().entry((id, level)).or_insert(detail).clone())
    }

    /// The triangles of feature `id` at `detail` (made once, on first use).
    pub fn fill<'d>(&self, id: usize, detail: &'d Detail) -> &'d Fill {
        detail.fill.get_or_init(|| match &detail.simplified {
            Some(polygons) => triangulate(polygons),
            None => triangulate(
                self.layer.features[id]
                    .geometry
                    .as_ref()
                    .and_then(polygons_of)
                    .unwrap_or_default(),
            ),
        })
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
            ..Default::default()
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
    style_open: &mut Option<usize>,
    commands: &mut Vec<Command>,
) {
    ui.heading(lang.t("レイヤ", "Layers"));
    if !pending.is_empty() {
        // Four repaints a second, not a spinner's sixty: with a software GPU each frame takes
        // CPU from the load it is waiting for.
        let t = ui.input(|i| i.time);
        let dots = &"···"[..(t * 4.0) as usize % 4 * "·".len()];
        for path in pending {
            ui.label(format!(
                "{} {}{dots}",
                lang.t("読み込み中", "Loading"),
                path.display()
            ));
        }
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(250));
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
                .selectable_label(*style_open == Some(i), lang.t("スタイル", "Style"))
                .clicked()
            {
                *style_open = if *style_open == Some(i) {
                    None
                } else {
                    Some(i)
                };
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
            if let Some(k) = &map_layer.categories {
                ui.end_row();
                for (value, colour, n) in &k.classes {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(12.0, 12.0), egui::Sense::hover());
                    ui.painter().rect_filled(rect, 1.0, *colour);
                    ui.label(format!("{value} ({n})"));
                }
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
        if *style_open == Some(i) {
            style_editor(ui, i, map_layer, lang, commands);
        }
    }
}

/// A layer's new look, from the style editor.
#[derive(Debug, Clone, PartialEq)]
pub struct Restyle {
    pub style: Style,
    pub opacity: f32,
    pub label: Option<String>,
    pub categorize: Option<String>,
}

impl MapLayer {
    /// Applies a [`Restyle`]; categories are recomputed only when their field changes.
    pub fn restyle(&mut self, r: Restyle) {
        self.style = r.style;
        self.opacity = r.opacity.clamp(0.0, 1.0);
        self.label = r.label;
        if self.categories.as_ref().map(|c| &c.field) != r.categorize.as_ref() {
            self.categories = r
                .categorize
                .as_deref()
                .and_then(|f| Categories::of(&self.layer, f));
        }
    }
}

/// Fill, outline, point size, opacity, labels and categories of one layer.
fn style_editor(
    ui: &mut egui::Ui,
    i: usize,
    l: &MapLayer,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let mut r = Restyle {
        style: l.style,
        opacity: l.opacity,
        label: l.label.clone(),
        categorize: l.categories.as_ref().map(|c| c.field.clone()),
    };
    let before = r.clone();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::Grid::new(("style", i)).num_columns(2).show(ui, |ui| {
            ui.label(lang.t("塗り", "Fill"));
            ui.color_edit_button_srgba(&mut r.style.fill);
            ui.end_row();
            let label = ui.label(lang.t("線", "Outline"));
            ui.horizontal(|ui| {
                ui.color_edit_button_srgba(&mut r.style.stroke);
                ui.add(
                    egui::DragValue::new(&mut r.style.width)
                        .range(0.0..=12.0)
                        .speed(0.1)
                        .suffix(" pt"),
                )
                .labelled_by(label.id);
            });
            ui.end_row();
            let label = ui.label(lang.t("点の大きさ", "Point size"));
            ui.add(
                egui::DragValue::new(&mut r.style.point_radius)
                    .range(0.0..=20.0)
                    .speed(0.1)
                    .suffix(" pt"),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label(lang.t("不透明度", "Opacity"));
            ui.add(
                egui::Slider::new(&mut r.opacity, 0.0..=1.0).text(lang.t("不透明度", "opacity")),
            );
            ui.end_row();
            let none = lang.t("（なし）", "(none)");
            let fields: Vec<&str> = l.layer.fields.iter().map(|f| f.name.as_str()).collect();
            let label = ui.label(lang.t("ラベル", "Labels"));
            field_choice(
                ui,
                format!("label{i}"),
                label.id,
                &mut r.label,
                &fields,
                none,
            );
            ui.end_row();
            let label = ui.label(lang.t("値で色分け", "Colour by"));
            field_choice(
                ui,
                format!("categorize{i}"),
                label.id,
                &mut r.categorize,
                &fields,
                none,
            );
            ui.end_row();
        });
    });
    if r != before {
        commands.push(Command::Restyle(i, r));
    }
}

fn field_choice(
    ui: &mut egui::Ui,
    id: String,
    label: egui::Id,
    value: &mut Option<String>,
    fields: &[&str],
    none: &str,
) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.as_deref().unwrap_or(none))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, none);
            for f in fields {
                ui.selectable_value(value, Some(f.to_string()), *f);
            }
        })
        .response
        .labelled_by(label);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Feature;
    use geo::{Area, Distance, Euclidean};
    use geo_types::{LineString, Point};

    /// A ring of `n` vertices around (139.4, 35.67) of radius `r` degrees, wobbling by 1 %.
    fn ring(n: usize, r: f64) -> LineString<f64> {
        let mut coords: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                let r = r * (1.0 + 0.01 * (a * 37.0).sin());
                (139.4 + r * a.cos(), 35.67 + r * a.sin())
            })
            .collect();
        coords.push(coords[0]);
        coords.into()
    }

    fn map_layer(geometries: Vec<Geometry<f64>>) -> MapLayer {
        let features = geometries
            .into_iter()
            .enumerate()
            .map(|(i, g)| Feature {
                record: i as u64,
                geometry: Some(g),
                z: None,
                values: vec![],
            })
            .collect();
        let layer = super::super::filter_panel::tests::test_layer(vec![], features);
        MapLayer::new("t".into(), layer, Style::for_role(None, 0))
    }

    fn triangles_area(f: &Fill) -> f64 {
        f.indices
            .chunks(3)
            .map(|t| {
                let [a, b, c] = [0, 1, 2].map(|k| f.vertices[t[k] as usize]);
                ((b[0] - a[0]) * (c[1] - a[1]) - (c[0] - a[0]) * (b[1] - a[1])).abs() / 2.0
            })
            .sum()
    }

    #[test]
    fn detailed_polygons_are_simplified_per_zoom_within_half_a_point() {
        // About 2 km across with 4,000 + 1,000 vertices: surveyed detail a city view cannot show.
        let polygon = Polygon::new(ring(4000, 0.01), vec![ring(1000, 0.004)]);
        let layer = map_layer(vec![polygon.clone().into()]);

        let full = layer.detail(0, FULL_DETAIL).unwrap();
        assert!(full.simplified.is_none());
        // Triangles are made when first drawn filled, not before (outlines need none).
        assert!(full.fill.get().is_none());
        assert_eq!(layer.fill(0, &full).vertices.len(), 5000);

        // Street level, then district, then the whole city in a window (about 20,000 points per
        // degree): fewer vertices each time.
        let mut previous = 5000;
        for points_per_deg in [2_000_000.0, 200_000.0, 20_000.0] {
            let level = detail_level(points_per_deg);
            let tolerance = detail_tolerance(level);
            assert!(tolerance * points_per_deg <= 0.5, "{points_per_deg}");
            let lod = layer.detail(0, level).unwrap();
            // Cached: the same polygons and triangles next time.
            assert!(Arc::ptr_eq(&lod, &layer.detail(0, level).unwrap()));
            let simplified = lod.simplified.as_ref().expect("fewer vertices zoomed out");
            let fill = layer.fill(0, &lod);
            assert!(fill.vertices.len() < previous, "{points_per_deg}");
            previous = fill.vertices.len();
            // Every surveyed vertex lies within the tolerance of the simplified outline.
            let rings = [polygon.exterior(), &polygon.interiors()[0]];
            let kept = [simplified[0].exterior(), &simplified[0].interiors()[0]];
            for (original, kept) in rings.iter().zip(kept) {
                for c in &original.0 {
                    let d = Euclidean.distance(&Point::from(*c), kept);
                    assert!(d <= tolerance * 1.000_001, "{d} > {tolerance}");
                }
            }
            // And the triangles cover the simplified polygon, hole left out.
            let area = simplified[0].unsigned_area();
            assert!((triangles_area(fill) - area).abs() < area * 1e-9);
            assert!((area - polygon.unsigned_area()).abs() < polygon.unsigned_area() * 0.01);
        }
        let city = layer.detail(0, detail_level(20_000.0)).unwrap();
        assert!(layer.fill(0, &city).vertices.len() < 400);
    }

    #[test]
    fn small_polygons_share_one_entry_at_every_level() {
        let square = Polygon::new(
            LineString::from(vec![
                (139.0, 35.0),
                (139.001, 35.0),
                (139.001, 35.001),
                (139.0, 35.001),
                (139.0, 35.0),
            ]),
            vec![],
        );
        // A fine ring at street level keeps its vertices: drawn from the full triangulation.
        let fine = Polygon::new(ring(64, 0.0001), vec![]);
        let layer = map_layer(vec![square.into(), fine.into()]);
        for id in [0, 1] {
            let full = layer.detail(id, FULL_DETAIL).unwrap();
            let level = detail_level(if id == 0 { 1_000.0 } else { 5e8 });
            assert!(Arc::ptr_eq(&full, &layer.detail(id, level).unwrap()));
            assert!(full.simplified.is_none());
        }
        assert!(!is_detailed(
            &layer.layer.features[0].geometry.clone().unwrap()
        ));
        assert!(is_detailed(
            &layer.layer.features[1].geometry.clone().unwrap()
        ));
    }
}
