//! The filter panel: the same filter as `sitelens export --where/--bbox/--within/--near`, built
//! with pickers (field, operator, a value from the data) instead of typing, or typed as SQL.
//! A numeric field can be filtered by a range picked on its histogram. Shows the live count and
//! the filter as text; the map dims what is filtered out.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use eframe::egui;

use super::histogram::Histogram;
use super::{Command, Document, Edit, Lang, LayerId};
use crate::filter::{Filter, Relation, SpatialFilter};
use crate::model::{FieldType, Layer, Value};

/// One picked condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub field: usize,
    pub op: Op,
    pub value: String,
    /// The upper bound of [`Op::Range`] (`value` is the lower).
    pub upper: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// From `value` to `upper`, both included (numeric fields).
    Range,
    Contains,
    IsNull,
    NotNull,
}

impl Op {
    const ALL: [Op; 10] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Range,
        Op::Contains,
        Op::IsNull,
        Op::NotNull,
    ];

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "≠",
            Op::Lt => "<",
            Op::Le => "≤",
            Op::Gt => ">",
            Op::Ge => "≥",
            Op::Range => lang.t("範囲", "range"),
            Op::Contains => lang.t("を含む", "contains"),
            Op::IsNull => lang.t("が空", "is empty"),
            Op::NotNull => lang.t("が空でない", "is not empty"),
        }
    }
}

/// A field name in the WHERE dialect: "quoted", with quotes doubled.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn quote_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

impl Condition {
    /// The condition in the WHERE dialect `--where` takes.
    pub fn to_sql(&self, layer: &Layer) -> Option<String> {
        let field = layer.fields.get(self.field)?;
        let name = quote_ident(&field.name);
        let numeric = matches!(field.field_type, FieldType::Int | FieldType::Float);
        let value = if numeric {
            let v: f64 = self.value.trim().parse().ok()?;
            format!("{v}")
        } else {
            quote_text(&self.value)
        };
        Some(match self.op {
            Op::Eq => format!("{name} = {value}"),
            Op::Ne => format!("{name} <> {value}"),
            Op::Lt => format!("{name} < {value}"),
            Op::Le => format!("{name} <= {value}"),
            Op::Gt => format!("{name} > {value}"),
            Op::Ge => format!("{name} >= {value}"),
            Op::Range if numeric => {
                let upper: f64 = self.upper.trim().parse().ok()?;
                format!("({name} >= {value} AND {name} <= {upper})")
            }
            Op::Range => return None,
            Op::Contains if !numeric => {
                let escaped = self
                    .value
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                format!(
                    "{name} LIKE {} ESCAPE '\\'",
                    quote_text(&format!("%{escaped}%"))
                )
            }
            Op::Contains => return None,
            Op::IsNull => format!("{name} IS NULL"),
            Op::NotNull => format!("{name} IS NOT NULL"),
        })
    }
}

/// The panel's state.
#[derive(Default)]
pub struct FilterPanel {
    pub layer: Option<LayerId>,
    pub conditions: Vec<Condition>,
    /// Typed SQL instead of the pickers.
    pub sql: String,
    pub typed: bool,
    pub within_city: bool,
    pub near_station_m: Option<f64>,
    pub error: Option<String>,
    /// Histograms of numeric fields, by layer and field (a layer's data never changes).
    pub histograms: HashMap<(LayerId, usize), Option<Histogram>>,
}

impl FilterPanel {
    /// The WHERE text of the current conditions.
    pub fn where_text(&self, layer: &Layer) -> Option<String> {
        if self.typed {
            let t = self.sql.trim();
            return (!t.is_empty()).then(|| t.to_string());
        }
        let parts: Vec<String> = self
            .conditions
            .iter()
            .filter_map(|c| c.to_sql(layer))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" AND "))
    }

    /// Builds the filter for `layer`; `boundary` and `stations` are the references of the
    /// spatial conditions.
    pub fn build(
        &self,
        layer: &Layer,
        boundary: Option<Arc<Layer>>,
        stations: Option<Arc<Layer>>,
    ) -> Filter {
        let mut filter = Filter {
            where_text: self.where_text(layer),
            ..Default::default()
        };
        if self.within_city
            && let Some(b) = boundary
        {
            filter.spatial.push(SpatialFilter {
                relation: Relation::Within,
                reference: b,
            });
        }
        if let (Some(d), Some(s)) = (self.near_station_m, stations) {
            filter.spatial.push(SpatialFilter {
                relation: Relation::Near { distance_m: d },
                reference: s,
            });
        }
        filter
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, doc: &Document, commands: &mut Vec<Command>) {
        let lang = doc.lang;
        if super::layers_panel::layer_choice(
            ui,
            "filter_layer",
            lang.t("対象レイヤ", "Layer"),
            doc,
            &mut self.layer,
        ) {
            self.conditions.clear();
            self.error = None;
        }
        let Some(map_layer) = self.layer.and_then(|id| doc.layer(id)) else {
            return;
        };
        let li = map_layer.id();
        let layer = &map_layer.layer;

        ui.horizontal(|ui| {
            ui.radio_value(
                &mut self.typed,
                false,
                lang.t("条件を選ぶ", "Pick conditions"),
            );
            ui.radio_value(&mut self.typed, true, "SQL");
        });
        if self.typed {
            ui.add(
                egui::TextEdit::multiline(&mut self.sql)
                    .desired_rows(2)
                    .hint_text("\"面積\" >= 1000 AND \"用途地域\" LIKE '%工業%'"),
            );
        } else {
            let mut remove = None;
            for (k, c) in self.conditions.iter_mut().enumerate() {
                ui.group(|ui| {
                    condition_ui(ui, k, c, layer, lang);
                    if c.op == Op::Range {
                        let key = (li, c.field);
                        let histogram = self
                            .histograms
                            .entry(key)
                            .or_insert_with(|| Histogram::of(layer, c.field, HISTOGRAM_BINS));
                        match histogram {
                            Some(h) => range_ui(ui, k, c, h, lang),
                            None => {
                                ui.weak(lang.t(
                                    "範囲は数値の項目で選べます",
                                    "A range needs a numeric field",
                                ));
                            }
                        }
                    }
                    if ui
                        .small_button(lang.t("この条件を削除", "Remove this condition"))
                        .clicked()
                    {
                        remove = Some(k);
                    }
                });
            }
            if let Some(k) = remove {
                self.conditions.remove(k);
            }
            if ui
                .button(lang.t("＋ 条件を追加", "+ Add condition"))
                .clicked()
                && !layer.fields.is_empty()
            {
                self.conditions.push(Condition {
                    field: 0,
                    op: Op::Eq,
                    value: String::new(),
                    upper: String::new(),
                });
            }
        }
        ui.checkbox(
            &mut self.within_city,
            lang.t("日野市内のみ", "Inside Hino city only"),
        );
        ui.horizontal(|ui| {
            let mut near = self.near_station_m.is_some();
            let label = ui.checkbox(&mut near, lang.t("駅から", "Within"));
            let mut d = self.near_station_m.unwrap_or(1000.0);
            ui.add_enabled(
                near,
                egui::DragValue::new(&mut d)
                    .range(0.0..=20_000.0)
                    .speed(10.0)
                    .suffix(" m"),
            )
            .labelled_by(label.id);
            ui.label(lang.t("以内", "of a station"));
            self.near_station_m = near.then_some(d);
        });
        ui.horizontal(|ui| {
            if ui.button(lang.t("適用", "Apply")).clicked() {
                commands.push(Command::ApplyFilter(li));
            }
            if ui.button(lang.t("解除", "Clear")).clicked() {
                self.conditions.clear();
                self.sql.clear();
                self.within_city = false;
                self.near_station_m = None;
                self.error = None;
                commands.push(Edit::Filter(li, None).into());
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(egui::Color32::from_rgb(200, 30, 30), e);
        }
        if let Some(f) = &map_layer.filter {
            ui.label(format!(
                "{} / {} {}",
                f.ids.len(),
                layer.features.len(),
                lang.t("件が該当", "features pass")
            ));
            ui.add(egui::Label::new(egui::RichText::new(&f.text).monospace().small()).wrap());
        }
    }
}

fn condition_ui(ui: &mut egui::Ui, k: usize, c: &mut Condition, layer: &Layer, lang: Lang) {
    let field_name = layer
        .fields
        .get(c.field)
        .map_or("", |f| f.name.as_str())
        .to_string();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label(lang.t("項目", "Field"));
        egui::ComboBox::from_id_salt(("cond_field", k))
            .selected_text(field_name)
            .width(110.0)
            .show_ui(ui, |ui| {
                for (i, f) in layer.fields.iter().enumerate() {
                    ui.selectable_value(&mut c.field, i, &f.name);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label(lang.t("条件", "Test"));
        egui::ComboBox::from_id_salt(("cond_op", k))
            .selected_text(c.op.label(lang))
            .width(70.0)
            .show_ui(ui, |ui| {
                for op in Op::ALL {
                    ui.selectable_value(&mut c.op, op, op.label(lang));
                }
            })
            .response
            .labelled_by(label.id);
        if matches!(c.op, Op::IsNull | Op::NotNull | Op::Range) {
            return;
        }
        let label = ui.label(lang.t("値", "Value"));
        // A value list from the data when the field has few distinct values.
        match distinct_values(layer, c.field, 200) {
            Some(values) if !matches!(c.op, Op::Contains) => {
                egui::ComboBox::from_id_salt(("cond_value", k))
                    .selected_text(c.value.clone())
                    .width(120.0)
                    .show_ui(ui, |ui| {
                        for v in values {
                            ui.selectable_value(&mut c.value, v.clone(), v);
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            _ => {
                ui.add(egui::TextEdit::singleline(&mut c.value).desired_width(110.0))
                    .labelled_by(label.id);
            }
        }
    });
}

/// Bars in a field's histogram.
const HISTOGRAM_BINS: usize = 40;

/// The histogram of a range condition: bars in the range coloured, a drag across it picks the
/// range, two fields set it exactly; the number of features in it.
fn range_ui(ui: &mut egui::Ui, k: usize, c: &mut Condition, h: &Histogram, lang: Lang) {
    use egui_plot::{Bar, BarChart, Plot};
    let parse = |t: &str, or: f64| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .unwrap_or(or)
    };
    let (mut lo, mut hi) = (parse(&c.value, h.min), parse(&c.upper, h.max));
    let width = h.bin_width();
    let selected = ui.visuals().selection.bg_fill;
    let bars: Vec<Bar> = h
        .bins
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let centre = h.min + (i as f64 + 0.5) * width;
            let inside = centre + width / 2.0 >= lo && centre - width / 2.0 <= hi;
            Bar::new(centre, n as f64).width(width).fill(if inside {
                selected
            } else {
                egui::Color32::GRAY
            })
        })
        .collect();
    let drag_id = ui.scope_id().with(("range_drag", k));
    let shown = Plot::new(("range_histogram", k))
        .height(80.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .show_y(false)
        .show_axes([true, false])
        .show(ui, |plot| {
            plot.bar_chart(BarChart::new("histogram", bars));
            let response = plot.response().clone();
            (
                response.drag_started(),
                response.dragged(),
                plot.pointer_coordinate(),
            )
        });
    let (started, dragging, pointer) = shown.inner;
    if let Some(p) = pointer {
        let x = p.x.clamp(h.min, h.max);
        if started {
            ui.data_mut(|d| d.insert_temp(drag_id, x));
        }
        if dragging && let Some(from) = ui.data(|d| d.get_temp::<f64>(drag_id)) {
            (lo, hi) = (from.min(x), from.max(x));
        }
    }
    ui.horizontal(|ui| {
        let speed = (h.max - h.min).abs() / 200.0;
        let label = ui.label(lang.t("最小", "Min"));
        ui.add(egui::DragValue::new(&mut lo).speed(speed))
            .labelled_by(label.id);
        let label = ui.label(lang.t("最大", "Max"));
        ui.add(egui::DragValue::new(&mut hi).speed(speed))
            .labelled_by(label.id);
    });
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    c.value = format!("{lo}");
    c.upper = format!("{hi}");
    ui.label(format!(
        "{} {}",
        h.count_in(lo, hi),
        lang.t("件が範囲内", "features in range")
    ));
}

/// The distinct non-null values of a column, sorted, if there are at most `limit`.
pub fn distinct_values(layer: &Layer, column: usize, limit: usize) -> Option<Vec<String>> {
    let mut set = BTreeSet::new();
    for f in &layer.features {
        match f.values.get(column) {
            None | Some(Value::Null) => {}
            Some(v) => {
                set.insert(v.to_string());
                if set.len() > limit {
                    return None;
                }
            }
        }
    }
    Some(set.into_iter().collect())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Field, FieldType};

    pub(crate) use crate::model::test_layer;

    #[test]
    fn conditions_become_where_text_the_parser_accepts() {
        let fields = vec![
            Field {
                name: "名称".into(),
                field_type: FieldType::Text,
            },
            Field {
                name: "面積".into(),
                field_type: FieldType::Float,
            },
        ];
        let layer = test_layer(fields.clone(), vec![]);
        let c = |field, op, value: &str| Condition {
            field,
            op,
            value: value.into(),
            upper: "2500".into(),
        };
        let panel = FilterPanel {
            conditions: vec![
                c(0, Op::Contains, "50%_O'Hara"),
                c(1, Op::Ge, "1000"),
                c(0, Op::NotNull, ""),
                c(1, Op::Range, "1500"),
            ],
            ..Default::default()
        };
        let text = panel.where_text(&layer).unwrap();
        assert_eq!(
            text,
            "\"名称\" LIKE '%50\\%\\_O''Hara%' ESCAPE '\\' AND \"面積\" >= 1000 AND \"名称\" IS NOT NULL \
             AND (\"面積\" >= 1500 AND \"面積\" <= 2500)"
        );
        let expr = crate::filter::expr::parse(&text, &fields).unwrap();
        let row = |name: &str, area: f64| vec![Value::Text(name.into()), Value::Float(area)];
        assert!(expr.matches(&row("x50%_O'Hara y", 2000.0)));
        assert!(
            !expr.matches(&row("x50%aO'Hara y", 2000.0)),
            "% and _ are literal"
        );
        assert!(!expr.matches(&row("50%_O'Hara", 10.0)));
        assert!(
            !expr.matches(&row("x50%_O'Hara y", 3000.0)),
            "above the range"
        );
    }
}
