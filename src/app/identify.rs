//! The identify panel: every attribute of the identified feature (Japanese names and values)
//! and its geodesic measures. For a PostGIS layer the feature is the one the server found under
//! the click, whole (the map's rows are simplified).

use eframe::egui;

use super::{Command, Edit, Lang, MapLayer};
use crate::analysis::measure::Measures;
use crate::model::{Envelope, Feature, Value};

/// The panel for feature `f` of `map_layer`; `index` is its place among the layer's rows
/// (`None`: a feature the server identified outside the rows in view).
pub fn identify_ui(
    ui: &mut egui::Ui,
    map_layer: &MapLayer,
    f: &Feature,
    index: Option<usize>,
    lang: Lang,
    commands: &mut Vec<Command>,
) {
    let layer = &map_layer.layer;
    // Everything here wraps at the dock's width: what cannot wrap would widen the dock over
    // the map.
    ui.horizontal_wrapped(|ui| {
        if ui.small_button(lang.t("閉じる", "Close")).clicked() {
            commands.push(Edit::ClearSelection.into());
        }
        ui.add(egui::Label::new(egui::RichText::new(&map_layer.title).strong()).wrap());
    });
    ui.label(format!("{} {}", lang.t("レコード", "record"), f.record));
    ui.horizontal_wrapped(|ui| {
        if ui
            .button(lang.t("地物へズーム", "Zoom to feature"))
            .clicked()
            && let Some(e) = f.geometry.as_ref().and_then(Envelope::of)
        {
            commands.push(Edit::ZoomTo(e).into());
        }
        if ui
            .button(lang.t("テーブルで表示", "Show in table"))
            .clicked()
        {
            commands.push(Command::ShowTable(Some(map_layer.id())));
        }
        if let Some(feature) = index
            && map_layer.role == Some(crate::model::Role::Site)
            && ui
                .button(lang.t("用地シート…", "Site sheet…"))
                .on_hover_text(lang.t(
                    "A4 の PDF または PNG（地図・指標・制度・出典）",
                    "A4 PDF or PNG (map, metrics, programmes, credits)",
                ))
                .clicked()
        {
            commands.push(Command::OpenSheet {
                layer: map_layer.id(),
                feature,
            });
        }
    });
    ui.separator();
    if let Some(g) = &f.geometry {
        let m = Measures::of(g);
        egui::Grid::new("measures")
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                ui.label(lang.t("種類", "Type"));
                ui.label(crate::model::geometry_type_name(g));
                ui.end_row();
                if let Some(a) = m.area_m2 {
                    ui.label(lang.t("面積", "Area"));
                    ui.label(format!(
                        "{} m²\n{:.4} ha\n{} 坪",
                        group(a, 1),
                        m.area_ha().unwrap_or_default(),
                        group(m.area_tsubo().unwrap_or_default(), 1)
                    ));
                    ui.end_row();
                }
                if let Some(l) = m.length_m {
                    ui.label(if m.area_m2.is_some() {
                        lang.t("周長", "Perimeter")
                    } else {
                        lang.t("長さ", "Length")
                    });
                    ui.label(format!("{} m", group(l, 1)));
                    ui.end_row();
                }
            });
        if let Some(why) = &m.unreliable {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "※ {}: {why}",
                    lang.t(
                        "形状が不正なため面積は信頼できません",
                        "invalid geometry, the area is unreliable"
                    )
                ),
            );
        }
        ui.weak(lang.t(
            "測地線による計測（WGS84楕円体）",
            "Geodesic measures (WGS84 ellipsoid)",
        ));
        ui.separator();
    }
    // Names and values each wrap within half the width (a site's programmes are a long line).
    let half = ((ui.available_width() - ui.spacing().item_spacing.x) / 2.0 - 1.0).max(60.0);
    egui::Grid::new("attributes")
        .num_columns(2)
        .striped(true)
        .max_col_width(half)
        .show(ui, |ui| {
            for (field, value) in layer.fields.iter().zip(&f.values) {
                match crate::analysis::site::field_label(&field.name) {
                    // A computed site metric: its meaning in words, the field in grey.
                    Some((ja, en)) => {
                        ui.add(
                            egui::Label::new(egui::RichText::new(lang.t(ja, en)).strong()).wrap(),
                        )
                        .on_hover_text(&field.name);
                    }
                    None => {
                        ui.add(egui::Label::new(egui::RichText::new(&field.name).strong()).wrap());
                    }
                }
                match value {
                    Value::Null => ui.weak("NULL"),
                    v => ui.add(egui::Label::new(v.to_string()).wrap()),
                };
                ui.end_row();
            }
        });
}

/// A number with thousands separators and `decimals` decimals.
pub fn group(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    for (k, ch) in int.chars().enumerate() {
        if k > 0 && (int.len() - k) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    #[test]
    fn thousands() {
        assert_eq!(super::group(1234567.891, 1), "1,234,567.9");
        assert_eq!(super::group(12.0, 0), "12");
        assert_eq!(super::group(-1000.0, 0), "-1,000");
    }
}
