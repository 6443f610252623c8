//! The site ranking window: the user weighs the criteria of [`crate::analysis::rank`] with
//! sliders and sees every site of the project's sites layer ranked, with the score's breakdown;
//! sites the layer's filter removes are listed apart, with the WHERE terms each misses. A row
//! selects its site on the map.

use super::i18n::Lang;
use super::map_layer::MapLayer;
use super::{Command, Document, Edit, LayerId};
use crate::analysis::rank::{Criterion, Score, Weights, order, score};
use crate::analysis::site::{JSIC_DIVISIONS, SiteMetrics, field_label};
use crate::filter::expr::and_terms;

#[derive(Default)]
pub struct RankingPanel {
    /// Sites chosen for the side-by-side comparison (at most [`MAX_COMPARED`]).
    pub compare: Vec<usize>,
    /// What the list shows, made again only when the weights or the layer's filter change.
    ranked: Option<Ranked>,
}

/// Scores, order and reasons for one set of weights and one filter.
struct Ranked {
    weights: Weights,
    /// The sites layer and its generation (its filter) when ranked.
    sites: (LayerId, u64),
    filter: Option<String>,
    scores: Vec<Option<Score>>,
    /// Passing sites, best first.
    order: Vec<usize>,
    /// Sites the filter removes, with the WHERE terms each one misses.
    excluded: Vec<(usize, Vec<String>)>,
}

impl Ranked {
    fn new(metrics: &[Option<SiteMetrics>], weights: &Weights, sites: &MapLayer) -> Self {
        let scores: Vec<Option<Score>> = metrics
            .iter()
            .map(|m| m.as_ref().map(|m| score(m, weights)))
            .collect();
        let filter = sites.filter.as_ref();
        let passes = |id: usize| filter.is_none_or(|f| f.passes.get(id).copied().unwrap_or(false));
        let order = order(&scores)
            .into_iter()
            .filter(|&id| passes(id) && scores[id].is_some())
            .collect();
        // The WHERE terms, compiled once for every excluded site.
        let terms = filter
            .and_then(|f| f.where_text.as_deref())
            .map_or_else(Vec::new, |w| and_terms(w, &sites.layer.fields));
        let excluded = (0..scores.len())
            .filter(|&id| !passes(id))
            .map(|id| {
                let values = &sites.layer.features[id].values;
                let missed = terms
                    .iter()
                    .filter(|(_, e)| e.eval(values) != Some(true))
                    .map(|(t, _)| t.clone())
                    .collect();
                (id, missed)
            })
            .collect();
        Ranked {
            weights: weights.clone(),
            sites: (sites.id(), sites.generation()),
            filter: filter.map(|f| f.text.clone()),
            scores,
            order,
            excluded,
        }
    }
}

pub const MAX_COMPARED: usize = 4;

/// Fields compared side by side (labelled by [`field_label`], else by their name).
const COMPARED_FIELDS: &[&str] = &[
    "area_ha",
    "zoning_mix",
    "coverage_pct",
    "floor_area_pct",
    "zoning_note",
    "max_floor_area_m2",
    "nearest_station",
    "station_m",
    "nearest_ic",
    "ic_m",
    "enterprises_1km",
    "programmes",
    "status",
];

fn label(c: Criterion, lang: Lang) -> &'static str {
    match c {
        Criterion::Area => lang.t("面積", "Area"),
        Criterion::Zoning => lang.t("工業系用途地域", "Industrial zoning"),
        Criterion::Ic => lang.t("ICへの近さ", "Near an IC"),
        Criterion::Station => lang.t("駅への近さ", "Near a station"),
        Criterion::Industry => lang.t("近隣の同業種企業", "Same-industry firms nearby"),
    }
}

impl RankingPanel {
    /// The weights, then the ranked list (in the dock's ranking tab).
    pub fn ui(&mut self, ui: &mut egui::Ui, doc: &Document, commands: &mut Vec<Command>) {
        let lang = doc.lang;
        let Some((sites, metrics)) = doc.site_metrics() else {
            ui.weak(lang.t(
                "用地レイヤ（role = \"sites\"）がありません",
                "No sites layer (role = \"sites\")",
            ));
            return;
        };
        ui.weak(lang.t(
            "各基準を 0〜1 で採点し、重みづけ平均 ×100 が総合点です",
            "Each criterion scores 0–1; the score is their weighted mean ×100",
        ));
        let mut weights = doc.weights.clone();
        egui::Grid::new("weights").num_columns(2).show(ui, |ui| {
            for c in Criterion::ALL {
                let w = &mut weights.weights[c as usize];
                ui.label(format!("{w:.1}"));
                ui.add(
                    egui::Slider::new(w, 0.0..=5.0)
                        .step_by(0.5)
                        .show_value(false)
                        .text(label(c, lang)),
                );
                ui.end_row();
            }
            ui.label("");
            let current = JSIC_DIVISIONS
                .iter()
                .find(|i| i.0 == weights.industry)
                .map_or(weights.industry.clone(), |i| {
                    format!("{} {}", i.0, lang.t(i.1, i.2))
                });
            egui::ComboBox::from_label(lang.t("業種", "Industry"))
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for (code, ja, en) in JSIC_DIVISIONS {
                        ui.selectable_value(
                            &mut weights.industry,
                            code.to_string(),
                            format!("{code} {}", lang.t(ja, en)),
                        );
                    }
                });
            ui.end_row();
        });
        if weights != doc.weights {
            commands.push(Edit::SetWeights(weights.clone()).into());
        }
        ui.separator();
        self.list_ui(ui, sites, metrics, &weights, lang, commands);
    }

    fn compare_ui(&self, ui: &mut egui::Ui, sites: &MapLayer, ranked: &Ranked, lang: Lang) {
        ui.strong(lang.t("比較表", "Comparison"));
        egui::Grid::new("compare")
            .num_columns(self.compare.len() + 1)
            .striped(true)
            .show(ui, |ui| {
                ui.label("");
                for &id in &self.compare {
                    ui.strong(site_name(sites, id));
                }
                ui.end_row();
                ui.label(lang.t("総合点", "Score"));
                for &id in &self.compare {
                    ui.label(
                        ranked.scores[id]
                            .as_ref()
                            .map_or("—".into(), |s| format!("{:.1}", s.total)),
                    );
                }
                ui.end_row();
                for field in COMPARED_FIELDS {
                    ui.label(field_label(field).map_or(*field, |(ja, en)| lang.t(ja, en)));
                    for &id in &self.compare {
                        ui.label(
                            sites
                                .layer
                                .value(id, field)
                                .filter(|v| !v.is_null())
                                .map_or("—".into(), |v| v.to_string()),
                        );
                    }
                    ui.end_row();
                }
            });
        ui.separator();
    }

    fn list_ui(
        &mut self,
        ui: &mut egui::Ui,
        sites: &MapLayer,
        metrics: &[Option<SiteMetrics>],
        weights: &Weights,
        lang: Lang,
        commands: &mut Vec<Command>,
    ) {
        let key = (sites.id(), sites.generation());
        let ranked = match self.ranked.take() {
            Some(r) if r.weights == *weights && r.sites == key => r,
            _ => Ranked::new(metrics, weights, sites),
        };
        self.compare.retain(|&id| id < ranked.scores.len());
        ui.scope(|ui| {
            if !self.compare.is_empty() {
                self.compare_ui(ui, sites, &ranked, lang);
            }
            egui::Grid::new("ranking")
                .num_columns(5)
                .striped(true)
                .show(ui, |ui| {
                    ui.strong(lang.t("順位", "Rank"));
                    ui.strong(lang.t("用地", "Site"));
                    ui.strong(lang.t("総合点", "Score"));
                    ui.strong(lang.t("内訳", "Breakdown"));
                    ui.strong(format!("{} ≤{MAX_COMPARED}", lang.t("比較", "Compare")));
                    ui.end_row();
                    for (rank, &id) in ranked.order.iter().enumerate() {
                        let Some(s) = &ranked.scores[id] else {
                            continue;
                        };
                        ui.label((rank + 1).to_string());
                        if ui.link(site_name(sites, id)).clicked() {
                            commands.push(
                                Edit::Select {
                                    layer: sites.id(),
                                    feature: id,
                                    zoom: true,
                                }
                                .into(),
                            );
                        }
                        ui.label(format!("{:.1}", s.total));
                        ui.label(s.breakdown());
                        let chosen = self.compare.contains(&id);
                        let full = self.compare.len() >= MAX_COMPARED;
                        let toggle = ui.add_enabled(
                            chosen || !full,
                            egui::Button::selectable(chosen, lang.t("比較", "Compare")),
                        );
                        if toggle.clicked() {
                            if chosen {
                                self.compare.retain(|&c| c != id);
                            } else {
                                self.compare.push(id);
                            }
                        }
                        ui.end_row();
                    }
                });
            if let (false, Some(text)) = (ranked.excluded.is_empty(), &ranked.filter) {
                ui.separator();
                ui.label(format!(
                    "{} {}: {text}",
                    ranked.excluded.len(),
                    lang.t("件はフィルタで除外", "excluded by the filter"),
                ));
                for (id, missed) in &ranked.excluded {
                    let score = ranked.scores[*id]
                        .as_ref()
                        .map_or(String::new(), |s| format!(" ({:.1})", s.total));
                    // The WHERE terms it misses; none: the spatial part removed it.
                    let why = if missed.is_empty() {
                        lang.t("範囲の条件", "the area condition").to_string()
                    } else {
                        missed.join(", ")
                    };
                    ui.weak(format!(
                        "{}{score} — {}: {why}",
                        site_name(sites, *id),
                        lang.t("理由", "why")
                    ));
                }
            }
        });
        self.ranked = Some(ranked);
    }
}

/// A site's name for lists: 名称, name or site_id, else its number.
fn site_name(sites: &MapLayer, id: usize) -> String {
    ["名称", "name", "site_id"]
        .iter()
        .find_map(|f| sites.layer.value(id, f).filter(|v| !v.is_null()))
        .map_or_else(|| format!("#{id}"), |v| v.to_string())
}
