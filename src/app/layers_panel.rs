//! The layers panel: a tree of groups (sites and analysis, files opened, reference), one row per
//! layer with a checkbox, swatch, name and count, top of the drawing order first. The actions
//! (zoom, table, filter, style, export, properties, remove) are in each row's context menu and
//! under the selected row; rows are reordered by dragging their handle; a layer's legend
//! (zones, categories) sits under its row.

use std::path::PathBuf;

use eframe::egui;
use egui::Color32;

use super::document::{Document, Edit, LayerId};
use super::map_layer::MapLayer;
use super::style_editor::style_editor;
use super::{Command, Lang};
use crate::model::Role;

/// Which row is selected and which of its editors are open.
#[derive(Debug, Default)]
pub struct LayersPanel {
    pub selected: Option<LayerId>,
    /// The layer whose style editor is open.
    pub style_open: Option<LayerId>,
    /// The layer whose properties window is open.
    pub properties: Option<LayerId>,
}

/// The panel's groups, top first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Group {
    Analysis,
    Opened,
    Reference,
}

impl Group {
    fn of(l: &MapLayer) -> Group {
        match l.role {
            Some(Role::Site | Role::Enterprise | Role::Zoning) => Group::Analysis,
            None => Group::Opened,
            Some(_) => Group::Reference,
        }
    }

    fn title(self, lang: Lang) -> &'static str {
        match self {
            Group::Analysis => lang.t("用地・分析", "Sites and analysis"),
            Group::Opened => lang.t("開いたファイル", "Opened files"),
            Group::Reference => lang.t("背景・参考", "Background and reference"),
        }
    }
}

impl LayersPanel {
    /// The panel (a heading, files being loaded, the groups).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        doc: &Document,
        pending: &[PathBuf],
        commands: &mut Vec<Command>,
    ) {
        let lang = doc.lang;
        ui.heading(lang.t("レイヤ", "Layers"));
        loading_ui(ui, pending, lang);
        for group in [Group::Analysis, Group::Opened, Group::Reference] {
            let rows: Vec<(usize, &MapLayer)> = doc
                .layers()
                .iter()
                .enumerate()
                .rev()
                .filter(|(_, l)| Group::of(l) == group)
                .collect();
            if rows.is_empty() {
                continue;
            }
            egui::CollapsingHeader::new(egui::RichText::new(group.title(lang)).strong())
                .id_salt(("layer-group", group as u8))
                .default_open(true)
                .show(ui, |ui| {
                    for (position, l) in rows {
                        self.row_ui(ui, doc, position, l, commands);
                    }
                });
        }
        if let Some(l) = self.properties.and_then(|id| doc.layer(id)) {
            let mut open = true;
            egui::Window::new(format!(
                "{} — {}",
                lang.t("プロパティ", "Properties"),
                l.title
            ))
            .id(egui::Id::unique("layer-properties"))
            .open(&mut open)
            .default_width(420.0)
            .show(ui.ctx(), |ui| properties_ui(ui, l, lang));
            if !open {
                self.properties = None;
            }
        }
    }

    /// One layer: its row (a drag source and a drop target), the actions when selected, its
    /// legend, its style editor when open.
    fn row_ui(
        &mut self,
        ui: &mut egui::Ui,
        doc: &Document,
        position: usize,
        l: &MapLayer,
        commands: &mut Vec<Command>,
    ) {
        let lang = doc.lang;
        let id = l.id();
        let selected = self.selected == Some(id);
        let row = ui.horizontal(|ui| {
            ui.dnd_drag_source(egui::Id::unique(("layer-drag", id)), id, |ui| {
                ui.label("≡")
                    .on_hover_text(lang.t("ドラッグで順序を変更", "Drag to reorder"));
            });
            let mut visible = l.visible;
            let checkbox = ui
                .checkbox(&mut visible, "")
                .on_hover_text(lang.t("表示", "Visible"));
            // Named for screen readers (and tests): "表示 駅 Stations".
            let spoken = format!("{} {}", lang.t("表示", "Show"), l.title);
            checkbox.widget_info(|| {
                egui::WidgetInfo::selected(egui::Role::CheckBox, true, visible, &spoken)
            });
            if checkbox.changed() {
                commands.push(Edit::SetVisible(id, visible).into());
            }
            swatch(ui, l.style.swatch(), 14.0);
            // Badges and the count at the right end, the title in what is left, cut with "…"
            // (the full title on hover) rather than widening the panel over the map.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if !l.layer.source.crs.known {
                    ui.colored_label(
                        Color32::from_rgb(200, 30, 30),
                        lang.t("座標系不明", "CRS unknown"),
                    );
                }
                if !l.layer.warnings.is_empty() {
                    ui.colored_label(
                        Color32::from_rgb(200, 120, 0),
                        format!("※{}", l.layer.warnings.len()),
                    )
                    .on_hover_text(lang.t(
                        "警告（プロパティで一覧）",
                        "warnings (listed in Properties)",
                    ));
                }
                if !l.role_warnings.is_empty() {
                    ui.colored_label(Color32::from_rgb(200, 60, 0), lang.t("要確認", "check"))
                        .on_hover_text(l.role_warnings.join("\n"));
                }
                let count = match &l.filter {
                    Some(f) => ui.weak(format!("{}/{}", f.ids.len(), l.layer.features.len())),
                    None => ui.weak(l.layer.features.len().to_string()),
                };
                if let Some(p) = &l.partial {
                    // A PostGIS layer holds the rows in view, not the table.
                    let total = p
                        .in_table
                        .map_or_else(|| "?".into(), |n| super::identify::group(n as f64, 0));
                    count.on_hover_text(match lang {
                        Lang::Ja => format!("地図に見えている範囲の行（テーブルは約 {total} 行）"),
                        Lang::En => format!("rows in view (about {total} in the table)"),
                    });
                }
                ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                    let name = ui
                        .add(egui::Button::selectable(selected, &l.title).truncate())
                        .on_hover_text(&l.title);
                    if name.clicked() {
                        self.selected = if selected { None } else { Some(id) };
                    }
                    name.context_menu(|ui| self.actions_ui(ui, l, lang, commands));
                });
            });
        });
        // Dropping a layer on this row puts it where this one is in the drawing order.
        let response = row.response;
        if let Some(dragged) = response.dnd_hover_payload::<LayerId>()
            && *dragged != id
        {
            let y = response.rect.center().y;
            ui.painter().hline(
                response.rect.x_range(),
                y,
                egui::Stroke::new(2.0, ui.visuals().selection.bg_fill),
            );
        }
        if let Some(dragged) = response.dnd_release_payload::<LayerId>()
            && *dragged != id
        {
            commands.push(
                Edit::Move {
                    layer: *dragged,
                    to: position,
                }
                .into(),
            );
        }
        if selected {
            ui.horizontal_wrapped(|ui| {
                ui.add_space(22.0);
                self.actions_ui(ui, l, lang, commands);
            });
        }
        legend_ui(ui, l, lang);
        if self.style_open == Some(id) {
            style_editor(ui, l, lang, commands);
        }
    }

    /// The layer's actions, as buttons (context menu or the selected row).
    fn actions_ui(
        &mut self,
        ui: &mut egui::Ui,
        l: &MapLayer,
        lang: Lang,
        commands: &mut Vec<Command>,
    ) {
        let id = l.id();
        if ui.button(lang.t("ズーム", "Zoom")).clicked() {
            commands.push(Edit::ZoomToLayer(id).into());
            ui.close();
        }
        if ui.button(lang.t("テーブル", "Table")).clicked() {
            commands.push(Command::ShowTable(Some(id)));
            ui.close();
        }
        if ui.button(lang.t("フィルタ", "Filter")).clicked() {
            commands.push(Command::EditFilter(id));
            ui.close();
        }
        if ui
            .selectable_label(self.style_open == Some(id), lang.t("スタイル", "Style"))
            .clicked()
        {
            self.style_open = if self.style_open == Some(id) {
                None
            } else {
                Some(id)
            };
            ui.close();
        }
        if ui.button(lang.t("エクスポート…", "Export…")).clicked() {
            commands.push(Command::OpenExport(Some(id)));
            ui.close();
        }
        if ui.button(lang.t("プロパティ", "Properties")).clicked() {
            self.properties = Some(id);
            ui.close();
        }
        if ui.button(lang.t("削除", "Remove")).clicked() {
            commands.push(Edit::Remove(id).into());
            ui.close();
        }
    }
}

/// Files being loaded, repainted four times a second: not a spinner's sixty, since with a
/// software GPU each frame takes CPU from the load it is waiting for.
fn loading_ui(ui: &mut egui::Ui, pending: &[PathBuf], lang: Lang) {
    if pending.is_empty() {
        return;
    }
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

fn swatch(ui: &mut egui::Ui, colour: Color32, size: f32) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    ui.painter().rect_filled(rect, 2.0, colour);
}

/// The classes a layer is coloured by (categories, or the zones of a zoning layer), under its
/// row.
fn legend_ui(ui: &mut egui::Ui, l: &MapLayer, lang: Lang) {
    let entries: Vec<(Color32, String)> = if let Some(k) = &l.categories {
        k.classes
            .iter()
            .map(|(value, colour, n)| (*colour, format!("{value} ({n})")))
            .collect()
    } else if let Some(z) = &l.zoning {
        z.present
            .iter()
            .map(|zone| {
                let [r, g, b] = zone.colour;
                (
                    Color32::from_rgb(r, g, b),
                    lang.t(zone.name_ja, zone.name_en).to_string(),
                )
            })
            .collect()
    } else {
        return;
    };
    ui.indent(("legend", l.id()), |ui| {
        for (colour, text) in entries {
            ui.horizontal(|ui| {
                swatch(ui, colour, 11.0);
                ui.small(text);
            });
        }
    });
}

/// Where the layer came from and what was decided reading it.
fn properties_ui(ui: &mut egui::Ui, l: &MapLayer, lang: Lang) {
    let layer = &l.layer;
    let source = &layer.source;
    let crs = &source.crs;
    egui::Grid::new("layer-properties-grid")
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            let mut row = |k: &str, v: String| {
                ui.label(k);
                ui.label(v);
                ui.end_row();
            };
            let path = match &source.member {
                Some(m) => source.path.join(m),
                None => source.path.clone(),
            };
            row(lang.t("ソース", "Source"), path.display().to_string());
            row(lang.t("形式", "Format"), source.format.name().to_string());
            row(
                lang.t("地物数", "Features"),
                format!(
                    "{} ({} {})",
                    layer.features.len(),
                    source.record_count,
                    lang.t("レコード", "records")
                ),
            );
            // What was read, and what decided it.
            let decided = |what: String, by: &dyn std::fmt::Display| {
                format!("{what} ({} {by})", lang.t("判定:", "decided by"))
            };
            let epsg = crs.epsg.map(|e| format!("EPSG:{e} ")).unwrap_or_default();
            row(
                lang.t("座標系", "CRS"),
                decided(format!("{epsg}{}", crs.name), &crs.decided_by),
            );
            if let Some(e) = &source.encoding {
                row(
                    lang.t("文字コード", "Encoding"),
                    decided(e.name.clone(), &e.decided_by),
                );
            }
            if let Some(c) = &layer.meta.credit {
                row(lang.t("出典", "Credit"), c.clone());
            }
            if let Some(c) = &layer.meta.licence {
                row(lang.t("ライセンス", "Licence"), c.clone());
            }
            if layer.meta.sample {
                row(
                    lang.t("注意", "Note"),
                    lang.t("架空のサンプルデータ", "Fictional sample data")
                        .into(),
                );
            }
            row(
                lang.t("フィールド", "Fields"),
                layer
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            );
        });
    if !l.role_warnings.is_empty() {
        ui.separator();
        ui.strong(lang.t("分析で読めないもの", "What the analysis cannot read"));
        for w in &l.role_warnings {
            ui.label(w);
        }
    }
    if let Some(z) = &l.zoning {
        ui.separator();
        let source = z.recognised.source;
        ui.strong(format!(
            "{}: {} ({})",
            lang.t("用途地域", "Zoning"),
            source.name,
            source.id
        ));
        for (meaning, field) in z.recognised.fields() {
            ui.label(format!("{meaning}: {}", field.unwrap_or("—")));
        }
        for note in &z.recognised.notes {
            ui.label(note);
        }
    }
    if !layer.warnings.is_empty() {
        ui.separator();
        ui.strong(format!(
            "{} ({})",
            lang.t("警告", "Warnings"),
            layer.warnings.len()
        ));
        egui::ScrollArea::vertical()
            .max_height(200.0)
            .show(ui, |ui| {
                for w in &layer.warnings {
                    ui.label(w.to_string());
                }
            });
    }
}

/// A drop-down of the document's layers (top first) choosing `chosen`; true when it changed.
pub fn layer_choice(
    ui: &mut egui::Ui,
    salt: &str,
    label: &str,
    doc: &Document,
    chosen: &mut Option<LayerId>,
) -> bool {
    let lang = doc.lang;
    let before = *chosen;
    let current = chosen.and_then(|id| doc.layer(id));
    let label = ui.label(label);
    egui::ComboBox::from_id_salt(salt)
        .selected_text(
            current.map_or(lang.t("レイヤを選択", "Choose a layer"), |l| {
                l.title.as_str()
            }),
        )
        .show_ui(ui, |ui| {
            for l in doc.layers().iter().rev() {
                ui.selectable_value(chosen, Some(l.id()), &l.title);
            }
        })
        .response
        .labelled_by(label.id);
    *chosen != before
}
