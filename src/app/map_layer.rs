//! A layer as the map shows it: the shared data, its display state (visibility, style,
//! filter result, labels, categories, zoning palette), and its place in a [`Document`].
//!
//! [`Document`]: super::Document

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use eframe::egui;
use egui::Color32;

use super::detail::FillCache;
use super::document::LayerId;
use super::style::Style;
use crate::analysis::zoning::{Recognised, Recognition, Zone, recognise};
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
    /// The filter itself, to test the new rows of a partial layer.
    pub(super) filter_spec: Option<Arc<crate::filter::Filter>>,
    /// Polygon triangulations by feature and level of detail, made the first time each polygon
    /// is drawn at that level.
    pub(super) fills: Arc<Mutex<FillCache>>,
    /// Set when the layer is recognised as zoning (用途地域): styled with the zoning palette.
    pub zoning: Option<Zoning>,
    /// What the layer is for (from the project); `None` for files the user opened.
    pub role: Option<Role>,
    /// What the analysis cannot read from the layer for its role (a zoning layer not
    /// recognised, a station layer without names, …), or why a file that looks like zoning is
    /// not read: the badge on its row.
    pub role_warnings: Vec<String>,
    /// The project entry it came from (path as written there, encoding, …); `None` for files
    /// the user opened.
    pub spec: Option<LayerSpec>,
    /// Field whose values label the features on the map.
    pub label: Option<String>,
    /// Colours by the values of a field, when set.
    pub categories: Option<Categories>,
    /// 0–1, applied to every colour of the layer.
    pub opacity: f32,
    /// Set on a view of a PostGIS table: `layer` holds only the rows fetched for the view
    /// (simplified by the server), replaced as the view moves.
    pub partial: Option<Partial>,
    /// Its id in the document (the default id until a document takes it).
    pub(super) id: LayerId,
    /// The document's generation at the last change to how the layer is drawn.
    pub(super) generation: u64,
    /// The generation at the last change other than new rows of a partial layer (style,
    /// visibility, filter, order): what cannot wait for a redraw on a thread.
    pub(super) look: u64,
}

/// What a partial layer (a view of a PostGIS table) holds now.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Partial {
    /// The table's URL.
    pub url: String,
    /// Whether the rows for the view have arrived (else the layer holds earlier ones).
    pub fetched: bool,
    /// Whether the cap left rows of the view on the server.
    pub capped: bool,
    /// Rows in the fetched box, by the planner's estimate.
    pub in_box: Option<u64>,
    /// Rows in the whole table, by the planner's estimate.
    pub in_table: Option<u64>,
    /// The server's simplification tolerance, in the table's units (0: none).
    pub tolerance: f64,
    /// How long the fetch took on its thread (query, rows, layer built), in milliseconds.
    pub fetch_ms: f64,
}

impl Partial {
    /// The note shown when the cap left rows out: "zoom in: 200,000 of ~1,000,000 shown".
    pub fn cap_note(&self, shown: usize, lang: super::Lang) -> Option<String> {
        if !self.capped {
            return None;
        }
        let shown = super::identify::group(shown as f64, 0);
        let total = self
            .in_box
            .map_or_else(|| "?".into(), |n| super::identify::group(n as f64, 0));
        Some(match lang {
            super::Lang::Ja => format!("拡大してください：約 {total} 件中 {shown} 件を表示"),
            super::Lang::En => format!("zoom in: {shown} of ~{total} shown"),
        })
    }
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

/// A zoning layer's per-feature colours and the zones it holds (for the legend), by its
/// recognition (the same the site metrics read).
#[derive(Clone)]
pub struct Zoning {
    pub recognised: Recognised,
    pub colours: Vec<Option<Color32>>,
    pub present: Vec<&'static Zone>,
}

impl Zoning {
    fn of(layer: &Layer, recognised: Recognised) -> Zoning {
        let mut present: Vec<&'static Zone> = Vec::new();
        let colours = layer
            .features
            .iter()
            .map(|f| {
                let zone = recognised.zone(&f.values)?;
                if !present.contains(&zone) {
                    present.push(zone);
                }
                let [r, g, b] = zone.colour;
                Some(Color32::from_rgb(r, g, b).gamma_multiply(0.75))
            })
            .collect();
        present.sort_by_key(|z| z.order());
        Zoning {
            recognised,
            colours,
            present,
        }
    }
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
            filter_spec: None,
            fills: Arc::default(),
            zoning: None,
            role: None,
            role_warnings: Vec::new(),
            spec: None,
            label: None,
            categories: None,
            opacity: 1.0,
            partial: None,
            id: LayerId::default(),
            generation: 0,
            look: 0,
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
            Some(Role::Station) => crate::project::STATION_NAME_FIELDS
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
    /// A layer that looks like zoning but cannot be read says why (its badge).
    fn with_zoning(mut self) -> Self {
        match recognise(&self.layer) {
            Recognition::Recognised(r) => {
                self.zoning = Some(Zoning::of(&self.layer, r));
                self.style.stroke = Color32::from_gray(110);
                self.style.width = 0.8;
            }
            Recognition::NotRecognised(n) if n.attempt => {
                self.role_warnings = vec![n.message(&self.layer.name)];
            }
            Recognition::NotRecognised(_) => {}
        }
        self
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

/// A layer's new look, from the style editor.
#[derive(Debug, Clone, PartialEq)]
pub struct Restyle {
    pub style: Style,
    pub opacity: f32,
    pub label: Option<String>,
    pub categorize: Option<String>,
}

impl MapLayer {
    /// Its id in the document.
    pub fn id(&self) -> LayerId {
        self.id
    }

    /// The generation at which its drawing last changed: with the id, the key of what is
    /// drawn from it.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The generation at the last change to the layer's look (not its rows).
    pub fn look_generation(&self) -> u64 {
        self.look
    }

    /// New rows for a partial layer: what is made per feature (triangulations, category and
    /// zone colours) is made again for them.
    pub fn replace_rows(&mut self, layer: Arc<Layer>, partial: Partial) {
        self.layer = layer;
        self.partial = Some(partial);
        self.fills = Arc::default();
        if let Some(field) = self.categories.as_ref().map(|c| c.field.clone()) {
            self.categories = Categories::of(&self.layer, &field);
        }
        if let Some(z) = self.zoning.take() {
            self.zoning = Some(Zoning::of(&self.layer, z.recognised));
        }
    }

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
