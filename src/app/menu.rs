//! The menu bar (File, View, Language) and the notifications under the layers.

use eframe::egui;
use egui::Color32;

use super::{Command, DockTab, Document, Edit, Lang, Viewer, project_dialog, tiles};

pub fn menu_ui(viewer: &mut Viewer, ui: &mut egui::Ui) {
    let lang = viewer.doc.lang;
    let commands = &mut viewer.commands;
    ui.horizontal(|ui| {
        ui.strong("sitelens");
        ui.separator();
        ui.menu_button(lang.t("ファイル", "File"), |ui| {
            let dialog = &mut viewer.project_dialog;
            if ui.button(lang.t("開く…", "Open…")).clicked() {
                dialog.show(project_dialog::Mode::Open);
            }
            if ui
                .button(lang.t("PostGIS を開く…", "Open PostGIS…"))
                .clicked()
            {
                dialog.show(project_dialog::Mode::OpenPostGis);
            }
            if ui
                .button(lang.t("プロジェクトを保存…", "Save project…"))
                .clicked()
            {
                dialog.show(project_dialog::Mode::Save);
            }
            if ui
                .button(lang.t("地図画像を書き出す…", "Export map image…"))
                .clicked()
            {
                dialog.show(project_dialog::Mode::MapImage);
            }
            ui.separator();
            if ui.button(lang.t("エクスポート…", "Export…")).clicked() {
                commands.push(Command::OpenExport(viewer.filter_panel.layer));
            }
            if ui
                .button(lang.t("オープンデータとして公開…", "Publish as open data…"))
                .clicked()
            {
                commands.push(Command::OpenPublish);
            }
        });
        ui.menu_button(lang.t("表示", "View"), |ui| {
            if ui.button(lang.t("日野市全体", "Whole city")).clicked()
                && let Some(e) = viewer.doc.home_extent()
            {
                commands.push(Edit::ZoomTo(e).into());
            }
            if ui.button(lang.t("選択を解除", "Clear selection")).clicked() {
                commands.push(Edit::ClearSelection.into());
            }
            if ui.button(lang.t("用地の評価…", "Site ranking…")).clicked() {
                commands.push(Command::ShowDock(DockTab::Ranking));
            }
            if ui.button(lang.t("フィルタ…", "Filter…")).clicked() {
                commands.push(Command::ShowDock(DockTab::Filter));
            }
            ui.separator();
            ui.label(lang.t("背景地図（インターネット）", "Basemap (internet)"));
            let current = viewer.basemap.as_ref().map(|b| b.source.id.clone());
            if ui
                .radio(current.is_none(), lang.t("なし", "None"))
                .clicked()
            {
                commands.push(Command::SetBasemap(None));
            }
            for (id, ja, en) in tiles::BASEMAPS {
                if ui
                    .radio(current.as_deref() == Some(id), lang.t(ja, en))
                    .clicked()
                {
                    commands.push(Command::SetBasemap(tiles::TileSource::named(id)));
                }
            }
        });
        ui.menu_button(lang.t("言語", "Language"), |ui| {
            if ui.radio(lang == Lang::Ja, "日本語").clicked() {
                commands.push(Edit::SetLang(Lang::Ja).into());
            }
            if ui.radio(lang == Lang::En, "English").clicked() {
                commands.push(Edit::SetLang(Lang::En).into());
            }
        });
        ui.separator();
        ui.weak(lang.t(
            "ファイルをウィンドウにドロップすると追加できます",
            "Drop files on the window to add them",
        ));
    });
}

/// Load errors and warnings, newest last, with a button to clear them.
pub fn notices_ui(doc: &mut Document, ui: &mut egui::Ui) {
    if doc.notices.is_empty() {
        return;
    }
    let lang = doc.lang;
    ui.separator();
    ui.horizontal(|ui| {
        ui.strong(lang.t("お知らせ", "Notifications"));
        if ui.small_button(lang.t("消去", "Clear")).clicked() {
            doc.notices.clear();
        }
    });
    for n in &doc.notices {
        let color = if n.error {
            Color32::from_rgb(200, 30, 30)
        } else {
            Color32::from_rgb(180, 110, 0)
        };
        ui.colored_label(color, &n.text);
    }
}
