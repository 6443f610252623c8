//! The site ranking window: the user weighs the criteria of [`crate::analysis::rank`] with
//! sliders and sees every site of the project's sites layer ranked, with the score's breakdown;
//! sites the layer's filter removes are listed apart, with the filter that removed them. A row
//! selects its site on the map.

use super::Command;
use super::i18n::Lang;
use super::layers::MapLayer;
use crate::analysis::rank::{Criterion, Score, Weights, order, score};
use crate::analysis::site::SiteMetrics;
use crate::embedded::Role;
use crate::filter::expr::failing_terms;

/// JSIC divisions offered for the industry criterion.
const INDUSTRIES: &[(&str, &str, &str)] = &[
    ("E", "製造業", "Manufacturing"),
    ("H", "運輸業，郵便業", "Transport and postal"),
    ("I", "卸売業，小売業", "Wholesale and retail"),
    ("D", "建設業", "Construction"),
    ("G", "情報通信業", "Information and communications"),
    (
        "L",
        "学術研究，専門・技術サービス業",
        "Scientific research, professional services",
    ),
];

#[derive(Default)]
pub struct RankingPanel {
    pub open: bool,
    pub weights: Weights,
    /// Metrics of the sites layer's features, computed when the project loads.
    pub metrics: Vec<Option<SiteMetrics>>,
    /// Sites chosen for the side-by-side comparison (at most [`MAX_COMPARED`]).
    pub compare: Vec<usize>,
}

pub const MAX_COMPARED: usize = 4;

/// Rows of the comparison: (label ja, label en, field of the sites layer).
const COMPARED_FIELDS: &[(&str, &str, &str)] = &[
    ("面積 (ha)", "Area (ha)", "area_ha"),
    ("用途地域", "Zoning", "zoning_mix"),
    ("建蔽率 (%)", "Coverage (%)", "coverage_pct"),
    ("容積率 (%)", "Floor area ratio (%)", "floor_area_pct"),
    (
        "最大延床面積 (m²)",
        "Max floor area (m²)",
        "max_floor_area_m2",
    ),
    ("最寄り駅", "Nearest station", "nearest_station"),
    ("駅まで (m)", "To station (m)", "station_m"),
    ("最寄りIC", "Nearest IC", "nearest_ic"),
    ("ICまで (m)", "To IC (m)", "ic_m"),
    ("1 km 内の企業", "Firms within 1 km", "enterprises_1km"),
    ("状況", "Status", "status"),
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
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        layers: &[MapLayer],
        lang: Lang,
        commands: &mut Vec<Command>,
    ) {
        if !self.open {
            return;
        }
        let Some(site_layer) = layers.iter().position(|l| l.role == Some(Role::Site)) else {
            return;
        };
        let sites = &layers[site_layer];
        let mut open = self.open;
        egui::Window::new(lang.t("用地の評価", "Site ranking"))
            .open(&mut open)
            .default_size([520.0, 480.0])
            .show(ctx, |ui| {
                ui.weak(lang.t(
                    "各基準を 0〜1 で採点し、重みづけ平均 ×100 が総合点です",
                    "Each criterion scores 0–1; the score is their weighted mean ×100",
                ));
                egui::Grid::new("weights").num_columns(2).show(ui, |ui| {
                    for c in Criterion::ALL {
                        let w = &mut self.weights.weights[c as usize];
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
                    let current = INDUSTRIES
                        .iter()
                        .find(|i| i.0 == self.weights.industry)
                        .map_or(self.weights.industry.clone(), |i| {
                            format!("{} {}", i.0, lang.t(i.1, i.2))
                        });
                    egui::ComboBox::from_label(lang.t("業種", "Industry"))
                        .selected_text(current)
                        .show_ui(ui, |ui| {
                            for (code, ja, en) in INDUSTRIES {
                                ui.selectable_value(
                                    &mut self.weights.industry,
                                    code.to_string(),
                                    format!("{code} {}", lang.t(ja, en)),
                                );
                            }
                        });
                    ui.end_row();
                });
                ui.separator();
                self.list_ui(ui, site_layer, sites, lang, commands);
            });
        self.open = open;
    }

    fn compare_ui(
        &self,
        ui: &mut egui::Ui,
        sites: &MapLayer,
        scores: &[Option<Score>],
        lang: Lang,
    ) {
        let name = |id: usize| site_name(sites, id);
        ui.strong(lang.t("比較表", "Comparison"));
        egui::Grid::new("compare")
            .num_columns(self.compare.len() + 1)
            .striped(true)
            .show(ui, |ui| {
                ui.label("");
                for &id in &self.compare {
                    ui.strong(name(id));
                }
                ui.end_row();
                ui.label(lang.t("総合点", "Score"));
                for &id in &self.compare {
                    ui.label(
                        scores
                            .get(id)
                            .and_then(Option::as_ref)
                            .map_or("—".into(), |s| format!("{:.1}", s.total)),
                    );
                }
                ui.end_row();
                for (ja, en, field) in COMPARED_FIELDS {
                    ui.label(lang.t(ja, en));
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
        site_layer: usize,
        sites: &MapLayer,
        lang: Lang,
        commands: &mut Vec<Command>,
    ) {
        let scores: Vec<Option<Score>> = self
            .metrics
            .iter()
            .map(|m| m.as_ref().map(|m| score(m, &self.weights)))
            .collect();
        let passes = |id: usize| {
            sites
                .filter
                .as_ref()
                .is_none_or(|f| f.passes.get(id).copied().unwrap_or(false))
        };
        let name = |id: usize| site_name(sites, id);
        self.compare.retain(|&id| id < scores.len());
        egui::ScrollArea::vertical().show(ui, |ui| {
            if !self.compare.is_empty() {
                self.compare_ui(ui, sites, &scores, lang);
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
                    let mut rank = 0;
                    let ordered = order(&scores);
                    for &id in ordered.iter().filter(|&&id| passes(id)) {
                        let Some(s) = &scores[id] else { continue };
                        rank += 1;
                        ui.label(rank.to_string());
                        if ui.link(name(id)).clicked() {
                            commands.push(Command::Select {
                                layer: site_layer,
                                feature: id,
                                zoom: true,
                            });
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
            let excluded: Vec<usize> = (0..scores.len()).filter(|&id| !passes(id)).collect();
            if let (false, Some(filter)) = (excluded.is_empty(), &sites.filter) {
                ui.separator();
                ui.label(format!(
                    "{} {}: {}",
                    excluded.len(),
                    lang.t("件はフィルタで除外", "excluded by the filter"),
                    filter.text
                ));
                for id in excluded {
                    let score = scores[id]
                        .as_ref()
                        .map_or(String::new(), |s| format!(" ({:.1})", s.total));
                    // Which terms of the WHERE part it misses; else the spatial part did it.
                    let failing = match (&filter.where_text, sites.layer.features.get(id)) {
                        (Some(w), Some(f)) => failing_terms(w, &sites.layer.fields, &f.values),
                        _ => Vec::new(),
                    };
                    let why = if failing.is_empty() {
                        lang.t("範囲の条件", "the area condition").to_string()
                    } else {
                        failing.join(", ")
                    };
                    ui.weak(format!(
                        "{}{score} — {}: {why}",
                        name(id),
                        lang.t("理由", "why")
                    ));
                }
            }
        });
    }
}

/// A site's name for lists: 名称, name or site_id, else its number.
fn site_name(sites: &MapLayer, id: usize) -> String {
    ["名称", "name", "site_id"]
        .iter()
        .find_map(|f| sites.layer.value(id, f).filter(|v| !v.is_null()))
        .map_or_else(|| format!("#{id}"), |v| v.to_string())
}
