//! The export dialog: a layer's filtered or selected features, public or internal profile
//! (showing what the public profile drops), precision, destination (any output format), the CRS
//! to write in and a Shapefile's text encoding; written by the same exporter as `sitelens
//! export`. A PostGIS layer (which holds only the rows in view, simplified) is exported from
//! its table: read again on a thread, whole, with its filter pushed down as `export` does.

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
    /// An export of a PostGIS table running on a thread.
    job: Option<std::sync::mpsc::Receiver<Result<String, String>>>,
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
            job: None,
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
                let from_table = map_layer.partial.is_some();
                if from_table {
                    // The rows in memory are the view's, simplified: the table is read again.
                    self.only_selected = false;
                    ui.radio_value(
                        &mut self.only_selected,
                        false,
                        lang.t(
                            "テーブルのフィルタ後の全行（サーバーから読み直します）",
                            "Every row of the table the filter passes (read again from the server)",
                        ),
                    );
                } else {
                    ui.radio_value(
                        &mut self.only_selected,
                        false,
                        format!(
                            "{} ({})",
                            lang.t("フィルタ後の地物", "Filtered features"),
                            filtered.len()
                        ),
                    );
                }
                ui.add_enabled_ui(!selected.is_empty() && !from_table, |ui| {
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
                if let Some(job) = &self.job {
                    match job.try_recv() {
                        Ok(r) => {
                            self.result = Some(r);
                            self.job = None;
                        }
                        Err(std::sync::mpsc::TryRecvError::Empty) => {
                            ui.horizontal(|ui| {
                                ui.spinner();
                                ui.label(lang.t("書き出し中…", "Exporting…"));
                            });
                            ctx.request_repaint_after(std::time::Duration::from_millis(200));
                        }
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                            self.job = None;
                            self.result = Some(Err("the export stopped unexpectedly".into()));
                        }
                    }
                }
                if ui
                    .add_enabled(
                        self.job.is_none(),
                        egui::Button::new(lang.t("書き出す", "Export")),
                    )
                    .clicked()
                {
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
                    if from_table {
                        self.result = None;
                        self.job = Some(export_table(
                            map_layer,
                            options,
                            self.profile,
                            target,
                            lang,
                            ctx.clone(),
                        ));
                    } else {
                        self.result = Some(
                            export::export(&target, &[section], &options, &protected)
                                .map(|w| written(&w, &target, lang))
                                .map_err(|e| e.to_string()),
                        );
                    }
                }
                outcome_label(ui, &self.result);
            });
        self.open = open;
    }
}

/// What an export wrote, for the user.
fn written(w: &export::Written, target: &Path, lang: super::Lang) -> String {
    let mut message = format!(
        "{} {} → {}",
        w.features,
        lang.t("件を書き出しました", "features written"),
        target.display()
    );
    // What the format changed: field names it could not keep, and what it left out or cut.
    for (from, to) in &w.renamed {
        message.push_str(&format!("\n{from} → {to}"));
    }
    for note in &w.notes {
        message.push_str(&format!("\n{note}"));
    }
    message
}

/// Exports the PostGIS table behind a partial layer on a thread, with the layer's filter pushed
/// down (as `sitelens export` reads it) and run in full on what comes back: to GeoJSON streamed
/// a cursor batch at a time, to other formats read whole, then written.
fn export_table(
    map_layer: &super::MapLayer,
    options: ExportOptions,
    profile: Profile,
    target: PathBuf,
    lang: super::Lang,
    repaint: egui::Context,
) -> std::sync::mpsc::Receiver<Result<String, String>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let source = map_layer.layer.source.path.clone();
    let filter = map_layer.filter_spec.clone();
    let fields_read = map_layer
        .filter
        .as_ref()
        .map(|f| f.fields_read.clone())
        .unwrap_or_default();
    let internal = map_layer.layer.meta.internal_fields.clone();
    std::thread::spawn(move || {
        let run = || -> Result<String, String> {
            // The table's cursor batches go to the file as they come, in every format (memory
            // holds one batch, or a chunk of what waits on disk for the formats that need it).
            let inputs = vec![source.clone()];
            let no_filter = crate::filter::Filter::default();
            let protected = vec![source.clone()];
            if export::stream::streamable(&target, &inputs, &Default::default(), &options) {
                let job = export::stream::StreamJob {
                    target: &target,
                    inputs: &inputs,
                    filter: filter.as_deref().unwrap_or(&no_filter),
                    load: &Default::default(),
                    internal: internal.as_deref(),
                    top: None,
                    options: &options,
                    protected: &protected,
                    block_bytes: export::stream::BLOCK_BYTES,
                };
                match export::stream::export_streamed(&job, &mut |_| {}) {
                    Ok(export::stream::Outcome::Written(done)) => {
                        return Ok(written(&done.written, &target, lang));
                    }
                    Ok(export::stream::Outcome::CannotStream(_)) => {}
                    Err(e) => return Err(e.to_string()),
                }
            }
            let load_options = crate::io::LoadOptions {
                where_hint: filter.as_ref().and_then(|f| f.where_text.clone()),
                ..Default::default()
            };
            let layer = crate::io::load(&source, &load_options).map_err(|e| e.to_string())?;
            let ids = match &filter {
                Some(f) => f.apply(&layer).map_err(|e| e.to_string())?,
                None => (0..layer.features.len()).collect(),
            };
            let section = Section::new(&layer, ids, profile, fields_read);
            export::export(&target, &[section], &options, &protected)
                .map(|w| written(&w, &target, lang))
                .map_err(|e| e.to_string())
        };
        let result =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|_| {
                Err("the export failed unexpectedly (a bug: please report it)".into())
            });
        let _ = tx.send(result);
        repaint.request_repaint();
    });
    rx
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
