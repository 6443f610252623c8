//! File ▸ Publish…: the layers shown (or those ticked), as an open-data package written by the
//! same `publish` as `sitelens publish`. Each layer says whether its terms allow the chosen
//! licence; Preview builds the package in a temporary folder and shows its files, README, DCAT
//! and CKAN documents; Publish writes it to the folder or .zip named. Both run on a thread.

use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;

use eframe::egui;

use super::{Document, Lang, LayerId};
use crate::export::{OutputFormat, Profile, Section};
use crate::model::{Layer, Role};
use crate::publish::{self, PublishLayer, Settings, city::City, terms::PackageLicence};

/// A package built for a look before publishing: its files and what its metadata says.
pub struct Preview {
    pub files: Vec<(String, u64)>,
    pub readme: String,
    pub dcat: String,
    pub ckan: String,
    /// Holds the preview's folder until the next preview or the dialog closes.
    _dir: tempfile::TempDir,
}

type Outcome = Result<(publish::Published, Option<Preview>), String>;

pub struct PublishDialog {
    pub open: bool,
    /// Layers to publish; filled with the visible ones when the dialog opens.
    pub chosen: Vec<LayerId>,
    pub title: String,
    pub description: String,
    pub publisher: String,
    pub contact: String,
    /// Comma-separated.
    pub keywords: String,
    pub issued: String,
    pub licence: PackageLicence,
    /// One per [`OutputFormat::ALL`].
    pub formats: [bool; 5],
    pub allow_sample: bool,
    /// A folder or a .zip.
    pub path: String,
    pub preview: Option<Preview>,
    pub result: Option<Result<String, String>>,
    job: Option<(bool, JoinHandle<Outcome>)>,
    pub picker: super::file_picker::FilePicker,
}

impl Default for PublishDialog {
    fn default() -> Self {
        PublishDialog {
            open: false,
            chosen: Vec::new(),
            title: String::new(),
            description: String::new(),
            publisher: String::new(),
            contact: String::new(),
            keywords: String::new(),
            issued: publish::today(),
            licence: PackageLicence::CcBy4,
            formats: [true, true, false, false, false],
            allow_sample: false,
            path: "package.zip".into(),
            preview: None,
            result: None,
            job: None,
            picker: Default::default(),
        }
    }
}

/// One layer as the job needs it, owned (the job runs on a thread).
struct JobLayer {
    layer: Arc<Layer>,
    ids: Vec<usize>,
    fields_read: Vec<String>,
    title: String,
    role: Option<Role>,
}

impl PublishDialog {
    /// Opens the dialog on the layers shown now, titled as the project, with the project's city
    /// as publisher.
    pub fn show(&mut self, doc: &Document) {
        self.open = true;
        self.result = None;
        self.chosen = doc
            .layers()
            .iter()
            .rev()
            .filter(|l| l.visible)
            .map(|l| l.id())
            .collect();
        if self.title.is_empty() {
            self.title = doc.project.name.clone();
        }
        if self.publisher.is_empty()
            && let Some(city) = city_of(doc)
        {
            self.publisher = city.publisher();
        }
    }

    /// Whether a preview or a publish is running.
    pub fn busy(&self) -> bool {
        self.job.is_some()
    }

    fn settings(&self, doc: &Document) -> Result<Settings, String> {
        let city = city_of(doc).ok_or_else(|| {
            doc.lang
                .t(
                    "プロジェクトに city_code と city_name がありません",
                    "The project states no city_code and city_name",
                )
                .to_string()
        })?;
        let formats = OutputFormat::ALL
            .iter()
            .zip(self.formats)
            .filter(|(_, on)| *on)
            .map(|(f, _)| *f)
            .collect();
        let filters: Vec<String> = self
            .chosen
            .iter()
            .filter_map(|&id| doc.layer(id))
            .filter_map(|l| Some(format!("{}: {}", l.title, l.filter.as_ref()?.text)))
            .collect();
        Ok(Settings {
            title: self.title.trim().to_string(),
            description: self.description.trim().to_string(),
            publisher: self.publisher.trim().to_string(),
            contact: Some(self.contact.trim().to_string()).filter(|c| !c.is_empty()),
            keywords: self
                .keywords
                .split([',', '、'])
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
            issued: self.issued.trim().to_string(),
            as_of: doc.project.as_of.clone(),
            licence: self.licence,
            ckan_licence_id: None,
            city,
            category: None,
            formats,
            allow_sample: self.allow_sample,
            filter_text: filters.join("; "),
            precision: 7,
        })
    }

    /// The chosen layers with the features their filters pass.
    fn job_layers(&self, doc: &Document) -> Vec<JobLayer> {
        self.chosen
            .iter()
            .filter_map(|&id| doc.layer(id))
            .map(|l| JobLayer {
                layer: l.layer.clone(),
                ids: match &l.filter {
                    Some(f) => f.ids.clone(),
                    None => (0..l.layer.features.len()).collect(),
                },
                fields_read: l
                    .filter
                    .as_ref()
                    .map(|f| f.fields_read.clone())
                    .unwrap_or_default(),
                title: l.title.clone(),
                role: l.role,
            })
            .collect()
    }

    /// Starts building the package: into a temporary folder for a preview, else to the path.
    fn start(&mut self, doc: &Document, preview: bool) {
        let settings = match self.settings(doc) {
            Ok(s) => s,
            Err(e) => {
                self.result = Some(Err(e));
                return;
            }
        };
        let layers = self.job_layers(doc);
        let target = PathBuf::from(self.path.trim());
        self.result = None;
        let handle = std::thread::spawn(move || run(layers, settings, target, preview));
        self.job = Some((preview, handle));
    }

    /// Takes a finished job's outcome.
    fn poll(&mut self, lang: Lang) {
        let Some((_, handle)) = &self.job else {
            return;
        };
        if !handle.is_finished() {
            return;
        }
        let Some((preview, handle)) = self.job.take() else {
            return;
        };
        let outcome = handle
            .join()
            .unwrap_or_else(|_| Err("the package could not be built".into()));
        self.result = Some(outcome.map(|(published, shown)| {
            if preview {
                self.preview = shown;
                format!(
                    "{} {} / {} {}",
                    published.files.len(),
                    lang.t("ファイルのプレビュー", "files previewed"),
                    published.features,
                    lang.t("件", "features")
                )
            } else {
                format!(
                    "{} {} → {} ({} {})",
                    published.features,
                    lang.t("件を公開用に書き出しました", "features published"),
                    published.target.display(),
                    published.files.len(),
                    lang.t("ファイル", "files")
                )
            }
        }));
    }

    pub fn ui(&mut self, ctx: &egui::Context, doc: &Document) {
        if !self.open {
            return;
        }
        self.poll(doc.lang);
        if self.busy() {
            ctx.request_repaint_after(std::time::Duration::from_millis(50));
        }
        let lang = doc.lang;
        let mut open = self.open;
        egui::Window::new(lang.t("オープンデータとして公開", "Publish as open data"))
            .open(&mut open)
            .collapsible(false)
            .default_width(560.0)
            .show(ctx, |ui| self.contents(ui, doc));
        self.open = open;
        if !open {
            self.preview = None;
        }
    }

    fn contents(&mut self, ui: &mut egui::Ui, doc: &Document) {
        let lang = doc.lang;
        ui.strong(lang.t("レイヤ", "Layers"));
        let settings = self.settings(doc).ok();
        egui::ScrollArea::vertical()
            .id_salt("publish_layers")
            .max_height(220.0)
            .show(ui, |ui| self.layers_ui(ui, doc, settings.as_ref()));
        self.form_ui(ui, doc);
    }

    /// The layers with a tick each, and why a ticked one cannot go out as things stand.
    fn layers_ui(&mut self, ui: &mut egui::Ui, doc: &Document, settings: Option<&Settings>) {
        let lang = doc.lang;
        for l in doc.layers().iter().rev() {
            let id = l.id();
            let mut on = self.chosen.contains(&id);
            let passing = l
                .filter
                .as_ref()
                .map_or(l.layer.features.len(), |f| f.ids.len());
            if ui
                .checkbox(&mut on, format!("{} ({passing})", l.title))
                .changed()
            {
                if on {
                    self.chosen.push(id);
                } else {
                    self.chosen.retain(|c| *c != id);
                }
            }
            if on
                && let Some(problem) =
                    settings.and_then(|s| publish::layer_problem(&l.layer, &l.title, s))
            {
                let text = match problem {
                    publish::PublishError::Sample { .. } => lang
                        .t(
                            "架空のサンプルデータ：下の「架空のサンプルデータも公開する」で公開できます",
                            "Fictional sample data: tick 'Publish fictional sample data' below",
                        )
                        .to_string(),
                    publish::PublishError::Terms { reason, .. } => reason,
                    other => other.to_string(),
                };
                ui.colored_label(egui::Color32::from_rgb(200, 30, 30), format!("  ※ {text}"));
            }
        }
    }

    /// The package's description, formats, target and the buttons.
    fn form_ui(&mut self, ui: &mut egui::Ui, doc: &Document) {
        let lang = doc.lang;
        ui.separator();
        egui::Grid::new("publish_fields")
            .num_columns(2)
            .show(ui, |ui| {
                for (label, value, hint) in [
                    (
                        lang.t("タイトル", "Title"),
                        &mut self.title,
                        "日野市 指定避難所",
                    ),
                    (lang.t("説明", "Description"), &mut self.description, ""),
                    (lang.t("公開者", "Publisher"), &mut self.publisher, "日野市"),
                    (
                        lang.t("連絡先", "Contact"),
                        &mut self.contact,
                        "opendata@example.jp",
                    ),
                    (
                        lang.t("キーワード", "Keywords"),
                        &mut self.keywords,
                        "避難所,防災",
                    ),
                    (lang.t("公開日", "Issued"), &mut self.issued, "YYYY-MM-DD"),
                ] {
                    let label = ui.label(label);
                    ui.add(
                        egui::TextEdit::singleline(value)
                            .hint_text(hint)
                            .desired_width(360.0),
                    )
                    .labelled_by(label.id);
                    ui.end_row();
                }
            });
        ui.horizontal(|ui| {
            ui.label(lang.t("利用条件", "Licence"));
            for licence in [
                PackageLicence::CcBy4,
                PackageLicence::Pdl1,
                PackageLicence::Cc0,
            ] {
                ui.radio_value(&mut self.licence, licence, licence.short());
            }
        });
        ui.horizontal(|ui| {
            ui.label(lang.t("形式", "Formats"));
            for (f, on) in OutputFormat::ALL.iter().zip(self.formats.iter_mut()) {
                ui.checkbox(on, f.name());
            }
        });
        ui.checkbox(
            &mut self.allow_sample,
            lang.t(
                "架空のサンプルデータも公開する（全ファイルに明記）",
                "Publish fictional sample data (marked in every file)",
            ),
        );
        super::project_dialog::path_field(
            ui,
            lang,
            &mut self.picker,
            "publish",
            &mut self.path,
            &[super::file_picker::Filter::new("ZIP", &["zip"])],
        );
        ui.weak(lang.t(
            "フォルダ名、または .zip（常に公開用プロファイル）",
            "A folder, or a .zip (always the public profile)",
        ));
        ui.horizontal(|ui| {
            ui.add_enabled_ui(!self.busy(), |ui| {
                if ui.button(lang.t("プレビュー", "Preview")).clicked() {
                    self.start(doc, true);
                }
                if ui.button(lang.t("公開する", "Publish")).clicked() {
                    self.start(doc, false);
                }
            });
            if self.busy() {
                ui.spinner();
            }
        });
        super::export_dialog::outcome_label(ui, &self.result);
        if let Some(p) = &self.preview {
            preview_ui(ui, lang, p);
        }
    }
}

fn preview_ui(ui: &mut egui::Ui, lang: Lang, p: &Preview) {
    egui::CollapsingHeader::new(lang.t("ファイル", "Files"))
        .default_open(true)
        .show(ui, |ui| {
            for (name, size) in &p.files {
                ui.monospace(format!("{name}  {size} B"));
            }
        });
    for (title, text) in [
        ("README.md", &p.readme),
        ("dcat.jsonld", &p.dcat),
        ("ckan_package.json", &p.ckan),
    ] {
        egui::CollapsingHeader::new(title).show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt(title)
                .max_height(240.0)
                .show(ui, |ui| {
                    ui.add(egui::Label::new(
                        egui::RichText::new(text.as_str()).monospace(),
                    ));
                });
        });
    }
}

/// The project's city, when it states one.
fn city_of(doc: &Document) -> Option<City> {
    let p = &doc.project;
    City::new(p.city_code.as_deref()?, p.city_name.as_deref()?).ok()
}

/// Builds the package (on a thread).
fn run(layers: Vec<JobLayer>, settings: Settings, target: PathBuf, preview: bool) -> Outcome {
    let publish_layers: Vec<PublishLayer<'_>> = layers
        .iter()
        .map(|l| PublishLayer {
            section: Section::new(
                &l.layer,
                l.ids.clone(),
                Profile::Public,
                l.fields_read.clone(),
            ),
            title: l.title.clone(),
            role: l.role,
        })
        .collect();
    let protected: Vec<PathBuf> = layers.iter().map(|l| l.layer.source.path.clone()).collect();
    if !preview {
        return publish::publish(&target, &publish_layers, &settings, &protected)
            .map(|p| (p, None))
            .map_err(|e| e.to_string());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let root = dir.path().join("package");
    let published = publish::publish(&root, &publish_layers, &settings, &protected)
        .map_err(|e| e.to_string())?;
    let read = |name: &str| std::fs::read_to_string(root.join(name)).unwrap_or_default();
    let preview = Preview {
        files: published.files.clone(),
        readme: read("README.md"),
        dcat: read("dcat.jsonld"),
        ckan: read("ckan_package.json"),
        _dir: dir,
    };
    Ok((published, Some(preview)))
}
