//! The export dialog: a layer's filtered or selected features, public or internal profile
//! (showing what the public profile drops), precision, destination (any output format), the CRS
//! to write in and a Shapefile's text encoding; written by the same exporter as `sitelens
//! export`.

use std::path::{Path, PathBuf};

use eframe::egui;

use super::file_picker::Filter;
use super::{Document, LayerId};
use crate::export::{self, DbfEncoding, ExportOptions, OutputFormat, Profile, Section};

pub struct ExportDialog {
    pub open: bool,
    pub layer: Option<LayerId>,
    pub only_selected: bool,
    pub profile: Profile,
    pub precision: usize,
    pub path: String,
    /// `--to-crs`: the CRS to write in, empty for WGS84 (GeoJSON always is).
    pub to_crs: String,
    /// A Shapefile's .dbf encoding.
    pub dbf_encoding: DbfEncoding,
    pub result: Option<Result<String, String>>,
    /// The desktop's save dialog behind Browse….
    pub picker: super::file_picker::FilePicker,
}

impl Default for ExportDialog {
    fn default() -> Self {
        ExportDialog {
            open: false,
            layer: None,
            only_selected: false,
            profile: Profile::Public,
            precision: 7,
            path: "export.geojson".into(),
            to_crs: String::new(),
            dbf_encoding: DbfEncoding::Utf8,
            result: None,
            picker: Default::default(),
        }
    }
}

impl ExportDialog {
    pub fn ui(&mut self, ctx: &egui::Context, doc: &Document) {
        let lang = doc.lang;
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new(lang.t("エクスポート", "Export"))
            .open(&mut open)
            .collapsible(false)
            .show(ctx, |ui| {
                super::layers_panel::layer_choice(
                    ui,
                    "export_layer",
                    lang.t("対象レイヤ", "Layer"),
                    doc,
                    &mut self.layer,
                );
                let Some(map_layer) = self.layer.and_then(|id| doc.layer(id)) else {
                    return;
                };
                let selected: Vec<usize> = doc
                    .selection
                    .as_ref()
                    .filter(|s| s.layer == map_layer.id())
                    .map(|s| s.features.iter().copied().collect())
                    .unwrap_or_default();
                let filtered: Vec<usize> = match &map_layer.filter {
                    Some(f) => f.ids.clone(),
                    None => (0..map_layer.layer.features.len()).collect(),
                };
                ui.radio_value(
                    &mut self.only_selected,
                    false,
                    format!(
                        "{} ({})",
                        lang.t("フィルタ後の地物", "Filtered features"),
                        filtered.len()
                    ),
                );
                ui.add_enabled_ui(!selected.is_empty(), |ui| {
                    ui.radio_value(
                        &mut self.only_selected,
                        true,
                        format!(
                            "{} ({})",
                            lang.t("選択した地物", "Selected features"),
                            selected.len()
                        ),
                    );
                });
                ui.separator();
                ui.radio_value(
                    &mut self.profile,
                    Profile::Public,
                    lang.t(
                        "公開用（内部項目を除く）",
                        "Public (internal fields removed)",
                    ),
                );
                ui.radio_value(
                    &mut self.profile,
                    Profile::Internal,
                    lang.t("内部用（全項目）", "Internal (every field)"),
                );
                let ids = if self.only_selected {
                    selected
                } else {
                    filtered
                };
                let fields_read = map_layer
                    .filter
                    .as_ref()
                    .map(|f| f.fields_read.clone())
                    .unwrap_or_default();
                let section = Section::new(&map_layer.layer, ids, self.profile, fields_read);
                let dropped = section.dropped();
                if self.profile == Profile::Public {
                    if dropped.is_empty() {
                        ui.weak(lang.t("除外される項目はありません", "No field is removed"));
                    } else {
                        ui.label(format!(
                            "{} {}",
                            lang.t("除外する項目:", "Removed fields:"),
                            dropped.join(", ")
                        ));
                    }
                }
                ui.horizontal(|ui| {
                    let label = ui.label(lang.t("座標の桁数", "Decimals"));
                    ui.add(egui::DragValue::new(&mut self.precision).range(0..=15))
                        .labelled_by(label.id);
                });
                super::project_dialog::path_field(
                    ui,
                    lang,
                    &mut self.picker,
                    "export",
                    &mut self.path,
                    &output_filters(),
                );
                ui.weak(lang.t(
                    ".geojson（RFC 7946）・.csv・.shp・.gpkg・.fgb",
                    ".geojson (RFC 7946), .csv, .shp, .gpkg or .fgb",
                ));
                let format = OutputFormat::for_path(Path::new(self.path.trim()));
                if format.is_some_and(|f| f != OutputFormat::GeoJson) {
                    ui.horizontal(|ui| {
                        let label = ui.label(lang.t("座標系", "CRS"));
                        ui.add(
                            egui::TextEdit::singleline(&mut self.to_crs)
                                .hint_text(lang.t(
                                    "空欄で WGS84（例 EPSG:6677）",
                                    "empty: WGS84 (e.g. EPSG:6677)",
                                ))
                                .desired_width(200.0),
                        )
                        .labelled_by(label.id);
                    });
                }
                if format == Some(OutputFormat::Shapefile) {
                    ui.horizontal(|ui| {
                        ui.label(lang.t(".dbf の文字コード", ".dbf encoding"));
                        ui.radio_value(&mut self.dbf_encoding, DbfEncoding::Utf8, "UTF-8");
                        ui.radio_value(
                            &mut self.dbf_encoding,
                            DbfEncoding::Cp932,
                            "CP932 (Shift_JIS)",
                        );
                    });
                }
                if ui.button(lang.t("書き出す", "Export")).clicked() {
                    let options = ExportOptions {
                        profile: self.profile,
                        precision: self.precision,
                        filter_text: if self.only_selected {
                            "features selected in the viewer".into()
                        } else {
                            map_layer
                                .filter
                                .as_ref()
                                .map_or("none (all features)".into(), |f| f.text.clone())
                        },
                        to_crs: Some(self.to_crs.trim().to_string()).filter(|c| !c.is_empty()),
                        dbf_encoding: self.dbf_encoding,
                        ..Default::default()
                    };
                    let protected = vec![map_layer.layer.source.path.clone()];
                    let target = PathBuf::from(self.path.trim());
                    self.result = Some(
                        export::export(&target, &[section], &options, &protected)
                            .map(|w| {
                                let mut message = format!(
                                    "{} {} → {}",
                                    w.features,
                                    lang.t("件を書き出しました", "features written"),
                                    target.display()
                                );
                                // What the format changed: field names it could not keep, and
                                // what it left out or cut.
                                for (from, to) in &w.renamed {
                                    message.push_str(&format!("\n{from} → {to}"));
                                }
                                for note in &w.notes {
                                    message.push_str(&format!("\n{note}"));
                                }
                                message
                            })
                            .map_err(|e| e.to_string()),
                    );
                }
                outcome_label(ui, &self.result);
            });
        self.open = open;
    }
}

/// What writing a file came to: the message in green, or the error in red.
pub(super) fn outcome_label(ui: &mut egui::Ui, result: &Option<Result<String, String>>) {
    match result {
        Some(Ok(m)) => {
            ui.colored_label(egui::Color32::from_rgb(0, 130, 60), m);
        }
        Some(Err(e)) => {
            ui.colored_label(egui::Color32::from_rgb(200, 30, 30), e);
        }
        None => {}
    }
}

/// The save dialog's choices: every output format.
fn output_filters() -> Vec<Filter> {
    OutputFormat::ALL
        .iter()
        .map(|&f| {
            let name = match f {
                OutputFormat::GeoJson => "GeoJSON (RFC 7946)",
                _ => f.name(),
            };
            Filter::new(name, f.extensions())
        })
        .collect()
}
