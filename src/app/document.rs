//! The document: what the user looks at and works on — the project, its layers keyed by stable
//! [`LayerId`]s in drawing order, the selection, the layers' filters, the sites' metrics, the
//! language and the view — and the [`Edit`]s that change it. It holds no window state (no
//! panels, textures or threads): the window is a document plus those, and map images and site
//! sheets draw a document built from exactly what they were given.
//!
//! Everything that refers to a layer holds its id, never its position, so removing or moving a
//! layer cannot make a tool, a panel or a cache act on another one. Each layer carries the
//! generation at which its drawing last changed; caches key on `(LayerId, generation)`.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use geo_types::Polygon;

use super::{Lang, LayerFilter, MapLayer, MapView, Partial, Restyle, Style};
use crate::analysis::rank::Weights;
use crate::analysis::site::{self, SiteMetrics};
use crate::filter::Filter;
use crate::model::Role;
use crate::model::{Envelope, Feature, Layer};
use crate::project::{Loaded, Project};

/// A layer's identity in a document: never reused, unchanged by moves and by other layers'
/// removal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LayerId(u32);

/// Selected features of one layer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selection {
    pub layer: LayerId,
    pub features: BTreeSet<usize>,
    /// The identified feature as the server has it, for a partial layer (a PostGIS table):
    /// whole, with every attribute, perhaps not among the rows in view.
    pub fetched: Option<Arc<Feature>>,
}

impl Default for LayerId {
    /// The id of no layer (documents number theirs from 1).
    fn default() -> Self {
        LayerId(0)
    }
}

/// A message for the user: load errors and skipped records.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub error: bool,
    pub text: String,
}

/// A change to the document. Edits naming a layer that is no longer there change nothing.
#[derive(Debug, Clone)]
pub enum Edit {
    SetVisible(LayerId, bool),
    /// Select one feature (identify it); `zoom` asks the map to show it.
    Select {
        layer: LayerId,
        feature: usize,
        zoom: bool,
    },
    /// Select whatever is under a map click (lon/lat) within a tolerance in metres.
    IdentifyAt {
        lon: f64,
        lat: f64,
        tolerance_m: f64,
    },
    /// Select the features of a layer that touch an area (box or drawn polygon).
    SelectWithin {
        layer: LayerId,
        area: Polygon<f64>,
    },
    ClearSelection,
    ZoomTo(Envelope),
    ZoomToLayer(LayerId),
    Remove(LayerId),
    /// Put a layer at position `to` of the drawing order (0 is the bottom).
    Move {
        layer: LayerId,
        to: usize,
    },
    /// Change a layer's look (style editor).
    Restyle(LayerId, Restyle),
    /// Filter a layer (`None` clears its filter).
    Filter(LayerId, Option<Arc<Filter>>),
    SetWeights(Weights),
    SetLang(Lang),
    /// New rows for a partial layer (a view of a PostGIS table), fetched for the view.
    Rows(LayerId, Arc<Layer>, Partial),
    /// Select the feature the server identified in a partial layer.
    SelectFetched {
        layer: LayerId,
        feature: Arc<Feature>,
    },
}

/// The document (see the module's doc).
#[derive(Default)]
pub struct Document {
    /// The project shown: its name, date, analysis settings and folder (its layer list is
    /// `layers` as they stand, see [`Document::to_project`]).
    pub project: Project,
    /// Bottom to top.
    layers: Vec<MapLayer>,
    next_id: u32,
    generation: u64,
    pub selection: Option<Selection>,
    /// Metrics of each feature of the sites layer, computed when the project loaded.
    site_metrics: Option<(LayerId, Vec<Option<SiteMetrics>>)>,
    /// Ranking weights (from the project's analysis settings, then the user's).
    pub weights: Weights,
    pub lang: Lang,
    /// What the map shows; `None` until it is first drawn.
    pub view: Option<MapView>,
    /// An extent the map is asked to show on its next frame.
    pub zoom_request: Option<Envelope>,
    pub notices: Vec<Notice>,
}

impl Document {
    /// The embedded Hino project.
    pub fn hino() -> Self {
        let project = Project::hino();
        let loaded = project.load();
        Document::of_project(project, loaded)
    }

    /// A project's layers (bottom to top), its site metrics and ranking weights; layers that
    /// failed to load are notices.
    pub fn of_project(project: Project, loaded: Loaded) -> Self {
        let mut doc = Document::default();
        doc.replace_project(project, loaded);
        doc
    }

    /// Replaces the project and its layers, keeping the language, the view and the notices.
    pub fn replace_project(&mut self, project: Project, loaded: Loaded) {
        self.layers.clear();
        self.selection = None;
        for text in loaded.errors {
            self.notices.push(Notice { error: true, text });
        }
        let mut sites = None;
        for (_, w) in &loaded.warnings {
            self.notices.push(Notice {
                error: false,
                text: w.message.clone(),
            });
        }
        for (i, (spec, layer)) in loaded.layers.into_iter().enumerate() {
            let mut map_layer = MapLayer::from_project(spec, layer, i);
            if map_layer.role.is_some() {
                // The project's checks for its role say what the analysis cannot read.
                map_layer.role_warnings = loaded
                    .warnings
                    .iter()
                    .filter(|(at, _)| *at == i)
                    .map(|(_, w)| w.message.clone())
                    .collect();
            }
            let id = self.push(map_layer);
            if loaded.sites == Some(i) {
                sites = Some(id);
            }
        }
        self.site_metrics = sites.map(|id| (id, loaded.metrics));
        self.weights = loaded.weights;
        self.project = project;
        if self.view.is_some() {
            self.zoom_request = self.home_extent();
        }
    }

    /// Layers bottom to top.
    pub fn layers(&self) -> &[MapLayer] {
        &self.layers
    }

    pub fn layer(&self, id: LayerId) -> Option<&MapLayer> {
        self.layers.iter().find(|l| l.id() == id)
    }

    /// Where layer `id` is in the drawing order (0 is the bottom).
    pub fn position(&self, id: LayerId) -> Option<usize> {
        self.layers.iter().position(|l| l.id() == id)
    }

    /// The first layer with `role`.
    pub fn with_role(&self, role: Role) -> Option<&MapLayer> {
        self.layers.iter().find(|l| l.role == Some(role))
    }

    /// The layer whose data is named `name` (file stem).
    pub fn layer_named(&self, name: &str) -> Option<&MapLayer> {
        self.layers.iter().find(|l| l.layer.name == name)
    }

    /// Adds a layer on top; returns its id.
    pub fn push(&mut self, layer: MapLayer) -> LayerId {
        self.insert(self.layers.len(), layer)
    }

    /// Adds a layer at drawing position `at` (clamped); returns its id.
    pub fn insert(&mut self, at: usize, mut layer: MapLayer) -> LayerId {
        self.next_id += 1;
        let id = LayerId(self.next_id);
        layer.id = id;
        self.generation += 1;
        layer.generation = self.generation;
        layer.look = self.generation;
        self.layers.insert(at.min(self.layers.len()), layer);
        id
    }

    /// Adds a file the user opened: styled with the next colour of the palette, zoning just
    /// above the neighbouring cities, everything else on top; notices for its warnings and an
    /// unknown CRS; the map asked to show it when `zoom`.
    pub fn add_opened(&mut self, path: &Path, layer: Layer, visible: bool, zoom: bool) -> LayerId {
        let lang = self.lang;
        if !layer.warnings.is_empty() {
            self.notices.push(Notice {
                error: false,
                text: format!(
                    "{}: {} {}",
                    path.display(),
                    layer.warnings.len(),
                    lang.t(
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
                    path.display(),
                    lang.t(
                        "座標系が不明のため地図に表示できません（レイヤの座標系を指定して開き直してください）",
                        "CRS unknown, so it cannot be placed on the map (open it again with its CRS given)"
                    )
                ),
            });
        }
        let colour = self.layers.iter().filter(|l| l.role.is_none()).count();
        let mut map_layer = MapLayer::new(layer.name.clone(), layer, Style::for_role(None, colour));
        for w in &map_layer.role_warnings {
            self.notices.push(Notice {
                error: false,
                text: format!("{}: {w}", path.display()),
            });
        }
        let extent = map_layer
            .layer
            .index
            .bbox()
            .filter(|_| map_layer.layer.source.crs.known);
        map_layer.visible = visible;
        // Zoning is a backdrop: above the neighbouring cities, below everything else.
        let at = if map_layer.zoning.is_some() {
            self.layers.len().min(1)
        } else {
            self.layers.len()
        };
        if zoom && let Some(e) = extent {
            self.zoom_request = Some(e);
        }
        self.insert(at, map_layer)
    }

    /// The project as it stands: its settings, and the layers as shown now (order,
    /// visibility, styles), files the user opened included.
    pub fn to_project(&self) -> Project {
        let mut p = self.project.clone();
        p.layers = self.layers.iter().map(MapLayer::to_spec).collect();
        p
    }

    /// The extent to show first: the city boundary, else everything that is in lon/lat.
    pub fn home_extent(&self) -> Option<Envelope> {
        let boundary = self
            .with_role(Role::Boundary)
            .and_then(|l| l.layer.index.bbox());
        boundary.or_else(|| {
            self.layers
                .iter()
                .filter(|l| l.layer.source.crs.known)
                .filter_map(|l| l.layer.index.bbox())
                .reduce(Envelope::union)
        })
    }

    /// The identified feature: the first of the selection.
    pub fn identified(&self) -> Option<(LayerId, usize)> {
        let s = self.selection.as_ref()?;
        Some((s.layer, *s.features.first()?))
    }

    /// The sites layer and its features' metrics, while that layer is in the document.
    pub fn site_metrics(&self) -> Option<(&MapLayer, &[Option<SiteMetrics>])> {
        let (id, metrics) = self.site_metrics.as_ref()?;
        Some((self.layer(*id)?, metrics))
    }

    /// The analysis context (zoning, stations, interchanges, enterprises, city) from the
    /// layers' roles and the project's settings.
    pub fn site_context(&self) -> Result<site::Context<'_>, String> {
        self.project
            .site_context(self.layers.iter().map(|l| (l.role, l.layer.as_ref())))
    }

    /// Runs `filter` on layer `id`: which features pass.
    pub fn run_filter(&self, id: LayerId, filter: &Filter) -> Result<LayerFilter, String> {
        let target = self.layer(id).ok_or("the layer is no longer open")?;
        let ids = filter.apply(&target.layer).map_err(|e| e.to_string())?;
        let mut passes = vec![false; target.layer.features.len()];
        for &i in &ids {
            passes[i] = true;
        }
        Ok(LayerFilter {
            text: filter.describe(),
            where_text: filter.where_text.clone(),
            passes,
            ids,
            fields_read: filter.fields_used(&target.layer),
        })
    }

    /// Carries out an edit. Only a filter can fail (its expression or spatial test); the
    /// document is then unchanged.
    pub fn apply(&mut self, edit: Edit) -> Result<(), String> {
        match edit {
            Edit::SetVisible(id, visible) => {
                self.change(id, |l| l.visible = visible);
            }
            Edit::Select {
                layer,
                feature,
                zoom,
            } => {
                let Some(l) = self.layer(layer) else {
                    return Ok(());
                };
                let Some(f) = l.layer.features.get(feature) else {
                    return Ok(());
                };
                if zoom && let Some(e) = f.geometry.as_ref().and_then(Envelope::of) {
                    self.zoom_request = Some(e);
                }
                self.selection = Some(Selection {
                    layer,
                    features: BTreeSet::from([feature]),
                    fetched: None,
                });
            }
            Edit::IdentifyAt {
                lon,
                lat,
                tolerance_m,
            } => {
                self.selection =
                    self.pick(lon, lat, tolerance_m)
                        .map(|(layer, feature)| Selection {
                            layer,
                            features: BTreeSet::from([feature]),
                            fetched: None,
                        });
            }
            Edit::SelectWithin { layer, area } => {
                if let Some(l) = self.layer(layer) {
                    let features = touching(&l.layer, &area);
                    self.selection = (!features.is_empty()).then_some(Selection {
                        layer,
                        features,
                        fetched: None,
                    });
                }
            }
            Edit::ClearSelection => self.selection = None,
            Edit::ZoomTo(e) => self.zoom_request = Some(e),
            Edit::ZoomToLayer(id) => {
                if let Some(e) = self.layer(id).and_then(|l| l.layer.index.bbox()) {
                    self.zoom_request = Some(e);
                }
            }
            Edit::Remove(id) => {
                if let Some(i) = self.position(id) {
                    self.layers.remove(i);
                    if self.selection.as_ref().is_some_and(|s| s.layer == id) {
                        self.selection = None;
                    }
                }
            }
            Edit::Move { layer, to } => {
                if let Some(from) = self.position(layer) {
                    let l = self.layers.remove(from);
                    self.layers.insert(to.min(self.layers.len()), l);
                }
            }
            Edit::Restyle(id, r) => {
                self.change(id, |l| l.restyle(r));
            }
            Edit::Filter(id, None) => {
                self.change(id, |l| {
                    l.filter = None;
                    l.filter_spec = None;
                });
            }
            Edit::Filter(id, Some(filter)) => {
                let result = if filter.is_empty() {
                    None
                } else {
                    Some(self.run_filter(id, &filter)?)
                };
                let spec = result.is_some().then_some(filter);
                self.change(id, |l| {
                    l.filter = result;
                    l.filter_spec = spec;
                });
            }
            Edit::SetWeights(w) => self.weights = w,
            Edit::SetLang(lang) => self.lang = lang,
            Edit::Rows(id, layer, partial) => self.replace_rows(id, layer, partial),
            Edit::SelectFetched { layer, feature } => {
                let features = self
                    .layer(layer)
                    .and_then(|l| record_index(&l.layer, feature.record))
                    .into_iter()
                    .collect();
                self.selection = Some(Selection {
                    layer,
                    features,
                    fetched: Some(feature),
                });
            }
        }
        Ok(())
    }

    /// Puts new rows in partial layer `id` (a new generation, its look unchanged); a selection
    /// in it follows its features by record number, the filter's result is made again.
    fn replace_rows(&mut self, id: LayerId, layer: Arc<Layer>, partial: Partial) {
        let Some(i) = self.position(id) else {
            return;
        };
        let old = self.layers[i].layer.clone();
        self.generation += 1;
        let l = &mut self.layers[i];
        l.replace_rows(layer, partial);
        l.generation = self.generation;
        if let Some(f) = l.filter.take() {
            // The same test on the new rows (what the server was sent is only part of it).
            let passes: Vec<bool> = match l.filter_spec.as_ref().map(|s| s.apply(&l.layer)) {
                Some(Ok(ids)) => {
                    let mut passes = vec![false; l.layer.features.len()];
                    for &k in &ids {
                        passes[k] = true;
                    }
                    passes
                }
                _ => vec![true; l.layer.features.len()],
            };
            let ids = (0..passes.len()).filter(|&k| passes[k]).collect();
            l.filter = Some(LayerFilter { passes, ids, ..f });
        }
        let new = self.layers[i].layer.clone();
        if let Some(s) = self.selection.as_mut().filter(|s| s.layer == id) {
            let by_record: std::collections::HashMap<u64, usize> = new
                .features
                .iter()
                .enumerate()
                .map(|(k, f)| (f.record, k))
                .collect();
            s.features = s
                .features
                .iter()
                .filter_map(|&k| old.features.get(k).map(|f| f.record))
                // A feature the server identified may be among the new rows though not the old.
                .chain(s.fetched.as_ref().map(|f| f.record))
                .filter_map(|record| by_record.get(&record).copied())
                .collect();
            if s.features.is_empty() && s.fetched.is_none() {
                self.selection = None;
            }
        }
    }

    /// The identified feature, its layer, and its index in the layer's rows when it is among
    /// them (a feature the server identified in a partial layer may not be).
    pub fn identified_feature(&self) -> Option<(&MapLayer, &Feature, Option<usize>)> {
        let s = self.selection.as_ref()?;
        let l = self.layer(s.layer)?;
        let index = s.features.first().copied();
        match &s.fetched {
            Some(f) => Some((l, f.as_ref(), index)),
            None => Some((l, l.layer.features.get(index?)?, index)),
        }
    }

    /// Changes layer `id`'s drawing and moves it to a new generation.
    fn change(&mut self, id: LayerId, f: impl FnOnce(&mut MapLayer)) {
        if let Some(i) = self.position(id) {
            self.generation += 1;
            let l = &mut self.layers[i];
            f(l);
            l.generation = self.generation;
            l.look = self.generation;
        }
    }

    /// The feature a click at lon/lat picks, top layer first. An outline-only polygon (the city
    /// boundary, a neighbouring city) clicked inside, away from its line, only counts when
    /// nothing below is hit: a click inside Hino is about what lies within it.
    fn pick(&self, lon: f64, lat: f64, tolerance_m: f64) -> Option<(LayerId, usize)> {
        let mut inside_hollow = None;
        for l in self.layers.iter().rev() {
            if !l.visible || !l.layer.source.crs.known {
                continue;
            }
            let Some(pick) = l
                .layer
                .index
                .pick_lon_lat(&l.layer.features, lon, lat, tolerance_m)
            else {
                continue;
            };
            let hollow = l.zoning.is_none() && l.style.fill.a() == 0;
            if hollow
                && let Some(g) = &l.layer.features[pick.feature].geometry
                && crate::model::outline_distance_m(g, lon, lat).is_some_and(|d| d > tolerance_m)
            {
                inside_hollow.get_or_insert((l.id(), pick.feature));
                continue;
            }
            return Some((l.id(), pick.feature));
        }
        inside_hollow
    }
}

/// The index of the feature with record number `record` (a PostGIS table's key).
fn record_index(layer: &Layer, record: u64) -> Option<usize> {
    layer.features.iter().position(|f| f.record == record)
}

/// The features of `layer` that touch `area` (R-tree first, exact test after).
fn touching(layer: &Layer, area: &Polygon<f64>) -> BTreeSet<usize> {
    use geo::Intersects;
    let env = Envelope::of(&geo_types::Geometry::Polygon(area.clone()));
    env.into_iter()
        .flat_map(|e| layer.index.query_envelopes(e).map(|(id, _)| id))
        .filter(|&id| {
            layer.features[id]
                .geometry
                .as_ref()
                .is_some_and(|g| g.intersects(area))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Feature, Field, FieldType, Value};
    use eframe::egui;
    use geo_types::{Geometry, Point, Rect};

    /// A layer named `name` of points at (139.0 + k/100, 35.0) with a field n = k, k = 0..count.
    fn points(name: &str, count: usize) -> MapLayer {
        let features = (0..count)
            .map(|k| Feature {
                record: k as u64,
                geometry: Some(Geometry::Point(Point::new(139.0 + k as f64 / 100.0, 35.0))),
                z: None,
                values: vec![Value::Int(k as i64)],
            })
            .collect();
        let fields = vec![Field {
            name: "n".into(),
            field_type: FieldType::Int,
        }];
        let mut layer = super::super::filter_panel::tests::test_layer(fields, features);
        layer.name = name.into();
        MapLayer::new(name.into(), layer, Style::for_role(None, 0))
    }

    /// A document of layers a, b, c (bottom to top) and their ids.
    fn abc() -> (Document, [LayerId; 3]) {
        let mut doc = Document::default();
        let ids = ["a", "b", "c"].map(|n| doc.push(points(n, 5)));
        (doc, ids)
    }

    fn names(doc: &Document) -> Vec<&str> {
        doc.layers().iter().map(|l| l.title.as_str()).collect()
    }

    fn name_of(doc: &Document, id: LayerId) -> Option<&str> {
        doc.layer(id).map(|l| l.title.as_str())
    }

    fn restyle_fill(doc: &Document, id: LayerId, fill: egui::Color32) -> Edit {
        let l = doc.layer(id).unwrap();
        let mut style = l.style;
        style.fill = fill;
        Edit::Restyle(
            id,
            Restyle {
                style,
                opacity: l.opacity,
                label: None,
                categorize: None,
            },
        )
    }

    #[test]
    fn ids_are_stable_across_removal_and_never_reused() {
        let (mut doc, [a, b, c]) = abc();
        doc.apply(Edit::Remove(b)).unwrap();
        assert_eq!(names(&doc), ["a", "c"]);
        assert_eq!((name_of(&doc, a), name_of(&doc, c)), (Some("a"), Some("c")));
        assert!(doc.layer(b).is_none());
        let d = doc.push(points("d", 1));
        assert!(d != a && d != b && d != c);
        // Edits of a removed layer change nothing.
        let before = doc
            .layers()
            .iter()
            .map(|l| l.generation())
            .collect::<Vec<_>>();
        doc.apply(Edit::SetVisible(b, false)).unwrap();
        doc.apply(Edit::Move { layer: b, to: 0 }).unwrap();
        let after = doc
            .layers()
            .iter()
            .map(|l| l.generation())
            .collect::<Vec<_>>();
        assert_eq!(before, after);
        assert_eq!(names(&doc), ["a", "c", "d"]);
    }

    #[test]
    fn move_puts_a_layer_at_a_position() {
        let (mut doc, [a, b, c]) = abc();
        doc.apply(Edit::Move { layer: a, to: 2 }).unwrap();
        assert_eq!(names(&doc), ["b", "c", "a"]);
        doc.apply(Edit::Move { layer: c, to: 0 }).unwrap();
        assert_eq!(names(&doc), ["c", "b", "a"]);
        // Past the end: on top.
        doc.apply(Edit::Move { layer: b, to: 99 }).unwrap();
        assert_eq!(names(&doc), ["c", "a", "b"]);
        assert_eq!(doc.position(b), Some(2));
    }

    /// The bug the ids fixed: after a removal or a move, a selection, a restyle or a filter made
    /// by position acted on the layer that moved into that position.
    #[test]
    fn selection_style_and_filter_reach_the_right_layer_after_remove_and_move() {
        let (mut doc, [a, b, c]) = abc();
        doc.apply(Edit::Remove(a)).unwrap();
        doc.apply(Edit::Move { layer: c, to: 0 }).unwrap();
        assert_eq!(names(&doc), ["c", "b"]);

        doc.apply(Edit::Select {
            layer: b,
            feature: 3,
            zoom: false,
        })
        .unwrap();
        let (id, feature) = doc.identified().unwrap();
        assert_eq!((name_of(&doc, id), feature), (Some("b"), 3));

        let red = egui::Color32::RED;
        let c_generation = doc.layer(c).unwrap().generation();
        doc.apply(restyle_fill(&doc, b, red)).unwrap();
        assert_eq!(doc.layer(b).unwrap().style.fill, red);
        assert_ne!(doc.layer(c).unwrap().style.fill, red);
        assert_eq!(doc.layer(c).unwrap().generation(), c_generation);

        let filter = Filter {
            where_text: Some("n >= 3".into()),
            ..Default::default()
        };
        doc.apply(Edit::Filter(c, Some(Arc::new(filter)))).unwrap();
        assert_eq!(doc.layer(c).unwrap().filter.as_ref().unwrap().ids, [3, 4]);
        assert!(doc.layer(b).unwrap().filter.is_none());
        doc.apply(Edit::Filter(c, None)).unwrap();
        assert!(doc.layer(c).unwrap().filter.is_none());
    }

    #[test]
    fn a_bad_filter_is_an_error_and_changes_nothing() {
        let (mut doc, [a, ..]) = abc();
        let good = Filter {
            where_text: Some("n < 2".into()),
            ..Default::default()
        };
        doc.apply(Edit::Filter(a, Some(Arc::new(good)))).unwrap();
        let generation = doc.layer(a).unwrap().generation();
        let bad = Filter {
            where_text: Some("no_such_field = 1".into()),
            ..Default::default()
        };
        let e = doc.apply(Edit::Filter(a, Some(Arc::new(bad)))).unwrap_err();
        assert!(e.contains("no_such_field"), "{e}");
        let l = doc.layer(a).unwrap();
        assert_eq!(l.filter.as_ref().unwrap().ids, [0, 1]);
        assert_eq!(l.generation(), generation);
    }

    #[test]
    fn identify_picks_the_top_visible_layer_and_removal_clears_its_selection() {
        let (mut doc, [a, b, c]) = abc();
        let at = |doc: &mut Document| {
            doc.apply(Edit::IdentifyAt {
                lon: 139.02,
                lat: 35.0,
                tolerance_m: 5.0,
            })
            .unwrap();
            doc.identified()
        };
        assert_eq!(at(&mut doc), Some((c, 2)));
        doc.apply(Edit::SetVisible(c, false)).unwrap();
        assert_eq!(at(&mut doc), Some((b, 2)));
        // Removing another layer keeps the selection; removing its layer clears it.
        doc.apply(Edit::Remove(a)).unwrap();
        assert_eq!(doc.identified(), Some((b, 2)));
        doc.apply(Edit::Remove(b)).unwrap();
        assert_eq!(doc.identified(), None);
        // Nothing there: nothing selected.
        doc.apply(Edit::IdentifyAt {
            lon: 140.0,
            lat: 36.0,
            tolerance_m: 5.0,
        })
        .unwrap();
        assert_eq!(doc.selection, None);
    }

    #[test]
    fn select_within_an_area_and_zooms() {
        let (mut doc, [a, b, _]) = abc();
        let area = Rect::new((139.005, 34.9), (139.035, 35.1)).to_polygon();
        doc.apply(Edit::SelectWithin { layer: a, area }).unwrap();
        let s = doc.selection.clone().unwrap();
        assert_eq!((s.layer, s.features), (a, BTreeSet::from([1, 2, 3])));
        let empty = Rect::new((140.0, 34.9), (140.1, 35.1)).to_polygon();
        doc.apply(Edit::SelectWithin {
            layer: a,
            area: empty,
        })
        .unwrap();
        assert_eq!(doc.selection, None);

        doc.apply(Edit::ZoomToLayer(b)).unwrap();
        let e = doc.zoom_request.take().unwrap();
        assert_eq!((e.min_x, e.max_x), (139.0, 139.04));
        doc.apply(Edit::Select {
            layer: b,
            feature: 4,
            zoom: true,
        })
        .unwrap();
        assert_eq!(doc.zoom_request.unwrap().min_x, 139.04);
        // A feature that is not there selects nothing.
        doc.apply(Edit::ClearSelection).unwrap();
        doc.apply(Edit::Select {
            layer: b,
            feature: 99,
            zoom: false,
        })
        .unwrap();
        assert_eq!(doc.selection, None);
    }

    #[test]
    fn language_weights_and_visibility() {
        let (mut doc, [a, ..]) = abc();
        doc.apply(Edit::SetLang(Lang::En)).unwrap();
        assert_eq!(doc.lang, Lang::En);
        let w: Weights = "ic=1".parse().unwrap();
        doc.apply(Edit::SetWeights(w.clone())).unwrap();
        assert_eq!(doc.weights, w);
        let g = doc.layer(a).unwrap().generation();
        doc.apply(Edit::SetVisible(a, false)).unwrap();
        assert!(!doc.layer(a).unwrap().visible);
        assert!(doc.layer(a).unwrap().generation() > g);
    }

    #[test]
    fn the_hino_project_keeps_its_site_metrics_with_its_sites_layer() {
        let mut doc = Document::hino();
        let (sites, metrics) = doc.site_metrics().expect("sites and metrics");
        assert_eq!(metrics.len(), sites.layer.features.len());
        let id = sites.id();
        // Moving layers does not lose them; removing the sites layer does.
        doc.apply(Edit::Move { layer: id, to: 0 }).unwrap();
        assert_eq!(doc.site_metrics().unwrap().0.id(), id);
        doc.apply(Edit::Remove(id)).unwrap();
        assert!(doc.site_metrics().is_none());
        assert!(doc.site_context().is_ok());
        // The project written back has the layers as they stand.
        assert_eq!(doc.to_project().layers.len(), doc.layers().len());
    }
}
