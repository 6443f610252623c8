//! The side dock right of the map: identify, filter and ranking as tabs in one resizable
//! panel, collapsible to a strip of buttons, never wider than a quarter of the window (with the
//! layers panel, the map keeps at least half the width).

use eframe::egui;

use super::{Lang, Viewer, identify};

/// The dock's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DockTab {
    #[default]
    Identify,
    Filter,
    Ranking,
}

impl DockTab {
    const ALL: [DockTab; 3] = [DockTab::Identify, DockTab::Filter, DockTab::Ranking];

    fn title(self, lang: Lang) -> &'static str {
        match self {
            DockTab::Identify => lang.t("地物情報", "Identify"),
            DockTab::Filter => lang.t("フィルタ", "Filter"),
            DockTab::Ranking => lang.t("用地の評価", "Site ranking"),
        }
    }

    fn icon(self) -> &'static str {
        match self {
            DockTab::Identify => "ⓘ",
            DockTab::Filter => "▽",
            DockTab::Ranking => "★",
        }
    }
}

/// Whether the dock is open and on which tab.
#[derive(Debug, Default)]
pub struct Dock {
    pub open: bool,
    pub tab: DockTab,
}

impl Dock {
    /// Opens the dock on `tab`.
    pub fn show(&mut self, tab: DockTab) {
        self.open = true;
        self.tab = tab;
    }

    /// A feature was identified: show it, unless the ranking is being browsed (its rows select
    /// sites, and the list should stay).
    pub fn identified(&mut self) {
        if !(self.open && self.tab == DockTab::Ranking) {
            self.show(DockTab::Identify);
        }
    }
}

/// The dock, or its collapsed strip.
pub fn dock_ui(viewer: &mut Viewer, ui: &mut egui::Ui, max_width: f32) {
    let lang = viewer.doc.lang;
    if !viewer.dock.open {
        egui::Panel::right("dock-strip")
            .exact_size(30.0)
            .resizable(false)
            .show(ui, |ui| {
                for tab in DockTab::ALL {
                    if ui
                        .button(tab.icon())
                        .on_hover_text(tab.title(lang))
                        .clicked()
                    {
                        viewer.dock.show(tab);
                    }
                }
            });
        return;
    }
    egui::Panel::right("dock")
        .default_size(300.0)
        .size_range(220.0..=max_width.max(220.0))
        .resizable(true)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                if ui
                    .small_button("»")
                    .on_hover_text(lang.t("たたむ", "Collapse"))
                    .clicked()
                {
                    viewer.dock.open = false;
                }
                for tab in DockTab::ALL {
                    ui.selectable_value(&mut viewer.dock.tab, tab, tab.title(lang));
                }
            });
            ui.separator();
            tab_ui(viewer, ui);
        });
}

/// The open tab's contents, in one scroll area for every tab: what is too wide to wrap (the
/// ranking's table) scrolls sideways instead of widening the dock over the map (egui moves a
/// right panel outward when its content is wider than the panel may be).
fn tab_ui(viewer: &mut Viewer, ui: &mut egui::Ui) {
    let doc = &viewer.doc;
    let commands = &mut viewer.commands;
    let width = ui.available_width();
    egui::ScrollArea::both().show(ui, |ui| {
        // Text wraps at the dock's width, not the scroll area's unbounded one.
        ui.set_max_width(width);
        match viewer.dock.tab {
            DockTab::Identify => match doc.identified_feature() {
                Some((l, feature, index)) => {
                    identify::identify_ui(ui, l, feature, index, doc.lang, commands)
                }
                None => {
                    ui.weak(doc.lang.t(
                        "地図上の地物をクリックすると属性を表示します",
                        "Click a feature on the map to see its attributes",
                    ));
                }
            },
            DockTab::Filter => viewer.filter_panel.ui(ui, doc, commands),
            DockTab::Ranking => viewer.ranking.ui(ui, doc, commands),
        }
    });
}
