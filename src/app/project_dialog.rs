//! File ▸ Open… (layers or a project, by path) and File ▸ Save project….

use std::path::PathBuf;

use eframe::egui;

use super::file_picker::{Ask, FilePicker, Filter, save_filters};
use super::{Command, Lang};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Open,
    /// File ▸ Open PostGIS…: a table by its `postgresql://` URL.
    OpenPostGis,
    Save,
    /// File ▸ Export map image: the current view as PNG.
    MapImage,
    /// The site sheet of a feature of the sites layer.
    Sheet {
        layer: super::LayerId,
        feature: usize,
    },
}

/// The open/save window's state.
#[derive(Debug)]
pub struct ProjectDialog {
    pub open: bool,
    pub mode: Mode,
    /// Files to open (one per line), in Open mode.
    pub open_paths: String,
    /// The PostGIS table to open, in OpenPostGis mode.
    pub pg_url: String,
    /// Where Save writes the project.
    pub path: String,
    /// Where the map image goes.
    pub image_path: String,
    /// Where a site sheet goes, and in which profile.
    pub sheet_path: String,
    pub sheet_internal: bool,
    /// The last save: the file written, or why not.
    pub result: Option<Result<String, String>>,
    /// The desktop's file dialogs behind the Browse… buttons.
    pub picker: FilePicker,
}

impl Default for ProjectDialog {
    fn default() -> Self {
        ProjectDialog {
            open: false,
            mode: Mode::Open,
            open_paths: String::new(),
            pg_url: "postgresql://user@localhost:5432/dbname?table=public.table".into(),
            path: "sitelens-project.toml".into(),
            image_path: "sitelens-map.png".into(),
            sheet_path: String::new(),
            sheet_internal: false,
            result: None,
            picker: FilePicker::default(),
        }
    }
}

impl ProjectDialog {
    pub fn show(&mut self, mode: Mode) {
        self.open = true;
        self.mode = mode;
        self.result = None;
    }

    pub fn ui(&mut self, ctx: &egui::Context, lang: Lang, commands: &mut Vec<Command>) {
        if !self.open {
            return;
        }
        let title = match self.mode {
            Mode::Open => lang.t("開く", "Open"),
            Mode::OpenPostGis => lang.t("PostGIS を開く", "Open PostGIS"),
            Mode::Save => lang.t("プロジェクトを保存", "Save project"),
            Mode::MapImage => lang.t("地図画像を書き出す", "Export map image"),
            Mode::Sheet { .. } => lang.t("用地シート", "Site sheet"),
        };
        let mut open = self.open;
        egui::Window::new(title)
            .id(egui::Id::unique("project-dialog"))
            .open(&mut open)
            .collapsible(false)
            .default_width(460.0)
            .show(ctx, |ui| match self.mode {
                Mode::Sheet { layer, feature } => {
                    ui.label(lang.t(
                        "A4 1枚：地図・指標・用途地域・距離・周辺企業・支援制度・出典。.pdf または .png。",
                        "One A4 page: map, metrics, zoning, distances, enterprises nearby, programmes, credits. .pdf or .png.",
                    ));
                    path_field(ui, lang, &mut self.picker, "sheet", &mut self.sheet_path, &[
                        Filter::new("PDF", &["pdf"]),
                        Filter::new("PNG", &["png"]),
                    ]);
                    ui.horizontal(|ui| {
                        ui.radio_value(
                            &mut self.sheet_internal,
                            false,
                            lang.t("公開用（内部項目なし）", "Public (no internal fields)"),
                        );
                        ui.radio_value(
                            &mut self.sheet_internal,
                            true,
                            lang.t("内部用", "Internal"),
                        );
                    });
                    let path = self.sheet_path.trim();
                    if ui
                        .add_enabled(!path.is_empty(), egui::Button::new(lang.t("書き出す", "Write")))
                        .clicked()
                    {
                        commands.push(Command::WriteSheet {
                            layer,
                            feature,
                            path: PathBuf::from(path),
                            internal: self.sheet_internal,
                        });
                    }
                    self.result_ui(ui, lang);
                }
                Mode::MapImage => {
                    ui.label(lang.t(
                        "いま表示している範囲を、凡例と出典つきの PNG にします（2倍の解像度）。",
                        "Writes the current view as PNG with the legend and credits (at twice the resolution).",
                    ));
                    path_field(ui, lang, &mut self.picker, "image", &mut self.image_path, &[
                        Filter::new("PNG", &["png"]),
                    ]);
                    let path = self.image_path.trim();
                    if ui
                        .add_enabled(!path.is_empty(), egui::Button::new(lang.t("書き出す", "Export")))
                        .clicked()
                    {
                        commands.push(Command::ExportMapImage(PathBuf::from(path)));
                    }
                    self.result_ui(ui, lang);
                }
                Mode::Open => {
                    let label = ui.label(lang.t(
                        "レイヤ（.shp .geojson .csv .gpkg .fgb .kml .kmz .zip など）またはプロジェクト（.toml）のパス。1行に1つ：",
                        "Paths of layers (.shp .geojson .csv .gpkg .fgb .kml .kmz .zip, …) or a project (.toml), one per line:",
                    ));
                    self.picker
                        .browse(ui, lang, "open", &mut self.open_paths, || Ask::Open {
                            filters: open_filters(),
                        });
                    ui.add(
                        egui::TextEdit::multiline(&mut self.open_paths)
                            .desired_rows(3)
                            .desired_width(f32::INFINITY),
                    )
                    .labelled_by(label.id);
                    let paths: Vec<PathBuf> = self
                        .open_paths
                        .lines()
                        .map(str::trim)
                        .filter(|l| !l.is_empty())
                        .map(PathBuf::from)
                        .collect();
                    if ui
                        .add_enabled(!paths.is_empty(), egui::Button::new(lang.t("開く", "Open")))
                        .clicked()
                    {
                        commands.push(Command::Open(paths));
                        self.open = false;
                    }
                }
                Mode::OpenPostGis => self.postgis_ui(ui, lang, commands),
                Mode::Save => {
                    ui.label(lang.t(
                        "レイヤの順序・表示・スタイル・内部項目・出典と分析設定を TOML に保存します。",
                        "Saves the layers' order, visibility, styles, internal fields, credits and the analysis settings as TOML.",
                    ));
                    path_field(ui, lang, &mut self.picker, "project", &mut self.path, &[
                        Filter::new("sitelens project (TOML)", &["toml"]),
                    ]);
                    let path = self.path.trim();
                    if ui
                        .add_enabled(!path.is_empty(), egui::Button::new(lang.t("保存", "Save")))
                        .clicked()
                    {
                        commands.push(Command::SaveProject(PathBuf::from(path)));
                    }
                    self.result_ui(ui, lang);
                }
            });
        self.open &= open;
    }

    /// The URL of a PostGIS table, checked as it is typed (a password in it is refused).
    fn postgis_ui(&mut self, ui: &mut egui::Ui, lang: Lang, commands: &mut Vec<Command>) {
        let label = ui.label(lang.t(
            "テーブルの URL：postgresql://[ユーザー@]ホスト[:ポート]/DB名?table=[スキーマ.]テーブル[&geometry=列]",
            "The table's URL: postgresql://[user@]host[:port]/dbname?table=[schema.]table[&geometry=column]",
        ));
        ui.add(egui::TextEdit::singleline(&mut self.pg_url).desired_width(f32::INFINITY))
            .labelled_by(label.id);
        ui.weak(lang.t(
            "パスワードは URL に書かず、~/.pgpass・PGPASSWORD・PGSERVICE から読みます。読み取り専用で接続します。",
            "Passwords are not written in the URL: they come from ~/.pgpass, PGPASSWORD or PGSERVICE. The connection is read-only.",
        ));
        let cap = super::identify::group(super::pg_view::VIEW_ROW_CAP as f64, 0);
        let ja = format!(
            "地図に見えている範囲だけをサーバーから読みます（画素の大きさに簡略化、一度に {cap} 件まで）。属性の確認（クリック）はサーバーに問い合わせます。"
        );
        let en = format!(
            "Only what is in view is read from the server (simplified to the pixel size, up to {cap} rows at a time); a click asks the server for the feature's attributes."
        );
        ui.weak(lang.t(&ja, &en));
        let url = self.pg_url.trim();
        let checked = crate::io::postgis::PgUrl::parse(url);
        if let Err(e) = &checked {
            ui.colored_label(egui::Color32::from_rgb(200, 30, 30), e);
        }
        if ui
            .add_enabled(checked.is_ok(), egui::Button::new(lang.t("開く", "Open")))
            .clicked()
        {
            commands.push(Command::Open(vec![PathBuf::from(url)]));
            self.open = false;
        }
    }

    fn result_ui(&self, ui: &mut egui::Ui, lang: Lang) {
        match &self.result {
            Some(Ok(file)) => {
                ui.label(format!("{} {file}", lang.t("保存しました：", "Saved:")));
            }
            Some(Err(e)) => {
                ui.colored_label(egui::Color32::from_rgb(200, 30, 30), e);
            }
            None => {}
        }
    }
}

/// "File: [path] [Browse…]" with the text field labelled for screen readers; Browse… opens the
/// desktop's save dialog at the path.
pub fn path_field(
    ui: &mut egui::Ui,
    lang: Lang,
    picker: &mut FilePicker,
    key: &'static str,
    path: &mut String,
    filters: &[Filter],
) {
    ui.horizontal(|ui| {
        let label = ui.label(lang.t("保存先", "File"));
        let current = path.clone();
        picker.browse(ui, lang, key, path, || Ask::Save {
            current: PathBuf::from(current.trim()),
            filters: save_filters(&current, filters),
        });
        ui.add(egui::TextEdit::singleline(path).desired_width(f32::INFINITY))
            .labelled_by(label.id);
    });
}

/// What File ▸ Open… offers: every format a loader reads (and .zip of them), and projects.
fn open_filters() -> Vec<Filter> {
    let mut all: Vec<&str> = crate::io::LOADERS
        .iter()
        .flat_map(|l| l.extensions())
        .copied()
        .collect();
    all.extend(["zip", "toml"]);
    let mut filters = vec![Filter::new("Layers and projects", &all)];
    for loader in crate::io::LOADERS {
        let mut extensions = loader.extensions().to_vec();
        if loader.format() == crate::model::Format::Shapefile {
            extensions.push("zip");
        }
        filters.push(Filter::new(loader.format().name(), &extensions));
    }
    filters.push(Filter::new("sitelens project (TOML)", &["toml"]));
    filters
}
