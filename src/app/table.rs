//! The attribute table: a bottom panel with one row per feature, drawn lazily (only visible rows
//! are laid out, so 100k rows scroll smoothly), sortable by column, selection linked with the map.
//! A PostGIS layer's table lists the table's rows, paged from the server in the same order
//! ([`super::pg_table`]), not the simplified rows in view.

use std::sync::Arc;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use super::pg_table::PgRows;
use super::{Command, Edit, Lang, LayerId, MapLayer, Selection};
use crate::model::{Feature, Value};

/// Sorting by a column: (column, ascending).
type Sort = Option<(usize, bool)>;

/// Sort state, and the row order it gives (cached until the layer or the sort changes).
#[derive(Default)]
pub struct TableState {
    sort: Sort,
    order: Vec<usize>,
    /// (layer, its generation, sort) the cached order was made for: a new filter is a new
    /// generation.
    key: Option<(LayerId, u64, Sort)>,
    /// The selection last scrolled to, so a new selection (from the map) scrolls once.
    shown_selection: Option<(LayerId, usize)>,
    /// The pages of a PostGIS layer's table.
    pub pg: PgRows,
}

/// One row of the table: a feature of the layer (by index), or of a PostGIS table's page.
enum Row {
    Index(usize),
    Fetched(Arc<Feature>),
}

impl TableState {
    fn order_for(&mut self, map_layer: &MapLayer) -> &[usize] {
        let layer = &map_layer.layer;
        let key = (map_layer.id(), map_layer.generation(), self.sort);
        if self.key != Some(key) {
            self.order = match &map_layer.filter {
                Some(f) => f.ids.clone(),
                None => (0..layer.features.len()).collect(),
            };
            if let Some((col, ascending)) = self.sort {
                let value = |i: usize| layer.features[i].values.get(col).unwrap_or(&Value::Null);
                self.order.sort_by(|&a, &b| {
                    let o = compare(value(a), value(b));
                    if ascending { o } else { o.reverse() }
                });
            }
            self.key = Some(key);
        }
        &self.order
    }

    pub fn table_ui(
        &mut self,
        ui: &mut egui::Ui,
        map_layer: &MapLayer,
        selection: Option<&Selection>,
        lang: Lang,
        commands: &mut Vec<Command>,
    ) {
        // The panel keeps its height while a PostGIS table's rows are still being counted
        // (a resizable panel otherwise settles on the height of its first contents).
        ui.set_min_height(ui.available_height());
        let layer = &map_layer.layer;
        let layer_id = map_layer.id();
        let selected: Vec<usize> = selection
            .filter(|s| s.layer == layer_id)
            .map(|s| s.features.iter().copied().collect())
            .unwrap_or_default();
        let selected_record = selection
            .filter(|s| s.layer == layer_id)
            .and_then(|s| s.fetched.as_ref())
            .map(|f| f.record);
        let ctx = ui.ctx().clone();
        let paged = map_layer.partial.as_ref().map(|p| {
            let sort = self
                .sort
                .and_then(|(c, up)| Some((layer.fields.get(c)?.name.clone(), up)));
            let where_hint = map_layer
                .filter_spec
                .as_ref()
                .and_then(|f| f.where_text.clone());
            self.pg.poll();
            self.pg.follow(&p.url, where_hint, sort, &ctx);
            self.pg.total()
        });
        ui.horizontal(|ui| {
            let count = match &paged {
                None => layer.features.len().to_string(),
                Some(Some(Ok(n))) => super::identify::group(*n as f64, 0),
                Some(Some(Err(e))) => e.clone(),
                Some(None) => "…".into(),
            };
            ui.strong(format!(
                "{} — {} {}",
                map_layer.title,
                count,
                if paged.is_some() {
                    lang.t(
                        "行（サーバー上のテーブル）",
                        "rows (the table on the server)",
                    )
                } else {
                    lang.t("件", "features")
                }
            ));
            if let Some(e) = &self.pg.error {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            if ui
                .button(lang.t("選択地物へズーム", "Zoom to selected"))
                .clicked()
                && let Some(&f) = selected.first()
            {
                commands.push(
                    Edit::Select {
                        layer: layer_id,
                        feature: f,
                        zoom: true,
                    }
                    .into(),
                );
            }
            if ui.button(lang.t("閉じる", "Close")).clicked() {
                commands.push(Command::ShowTable(None));
            }
        });
        let first = selected.first().map(|&f| (layer_id, f));
        let scroll_to = if first != self.shown_selection && paged.is_none() {
            first.map(|(_, f)| f)
        } else {
            None
        };
        self.shown_selection = first;
        let scroll_row =
            scroll_to.and_then(|f| self.order_for(map_layer).iter().position(|&i| i == f));
        let order = match &paged {
            None => self.order_for(map_layer).to_vec(),
            Some(_) => Vec::new(),
        };
        let rows = match &paged {
            None => order.len(),
            Some(total) => total
                .as_ref()
                .and_then(|t| t.as_ref().ok())
                .and_then(|&n| usize::try_from(n).ok())
                .unwrap_or(0),
        };
        let mut builder = TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .column(Column::auto().at_least(48.0))
            .columns(Column::auto().at_least(60.0).clip(true), layer.fields.len())
            .min_scrolled_height(0.0);
        if let Some(row) = scroll_row {
            builder = builder.scroll_to_row(row, Some(egui::Align::Center));
        }
        let mut new_sort = self.sort;
        builder
            .header(22.0, |mut header| {
                header.col(|ui| {
                    ui.strong("#");
                });
                for (c, field) in layer.fields.iter().enumerate() {
                    header.col(|ui| {
                        let arrow = match self.sort {
                            Some((sc, true)) if sc == c => " ▲",
                            Some((sc, false)) if sc == c => " ▼",
                            _ => "",
                        };
                        if ui.button(format!("{}{arrow}", field.name)).clicked() {
                            new_sort = match self.sort {
                                Some((sc, true)) if sc == c => Some((c, false)),
                                _ => Some((c, true)),
                            };
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(20.0, rows, |mut row| {
                    let at = row.index();
                    let this = match order.get(at) {
                        Some(&id) => Some(Row::Index(id)),
                        None if paged.is_some() => self.pg.row(at, &ctx).map(Row::Fetched),
                        None => None,
                    };
                    // Cells are not selectable text, so a click anywhere selects the row.
                    let cell = |ui: &mut egui::Ui, text: egui::WidgetText| {
                        ui.add(egui::Label::new(text).selectable(false));
                    };
                    let Some(this) = this else {
                        // Its page is on the way.
                        row.col(|ui| cell(ui, egui::RichText::new("…").weak().into()));
                        return;
                    };
                    let f: &Feature = match &this {
                        Row::Index(id) => &layer.features[*id],
                        Row::Fetched(f) => f,
                    };
                    row.set_selected(match &this {
                        Row::Index(id) => selected.contains(id),
                        Row::Fetched(f) => selected_record == Some(f.record),
                    });
                    row.col(|ui| cell(ui, egui::RichText::new(f.record.to_string()).weak().into()));
                    for v in &f.values {
                        row.col(|ui| match v {
                            Value::Null => cell(ui, egui::RichText::new("NULL").weak().into()),
                            v => cell(ui, v.to_string().into()),
                        });
                    }
                    if row.response().clicked() {
                        commands.push(
                            match this {
                                Row::Fetched(feature) => Edit::SelectFetched {
                                    layer: layer_id,
                                    feature,
                                },
                                Row::Index(feature) => Edit::Select {
                                    layer: layer_id,
                                    feature,
                                    zoom: false,
                                },
                            }
                            .into(),
                        );
                    }
                });
            });
        self.sort = new_sort;
    }
}

/// Order for sorting: NULLs last, numbers by value, text by code point.
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        _ => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            _ => a.to_string().cmp(&b.to_string()),
        },
    }
}
