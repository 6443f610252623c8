//! The style editor of one layer: fill, outline, point size, opacity, labels by a field and
//! colours by a field's values.

use eframe::egui;

use super::document::Edit;
use super::map_layer::{MapLayer, Restyle};
use super::{Command, Lang};

/// Fill, outline, point size, opacity, labels and categories of one layer.
pub fn style_editor(ui: &mut egui::Ui, l: &MapLayer, lang: Lang, commands: &mut Vec<Command>) {
    let i = l.id();
    let mut r = Restyle {
        style: l.style,
        opacity: l.opacity,
        label: l.label.clone(),
        categorize: l.categories.as_ref().map(|c| c.field.clone()),
    };
    let before = r.clone();
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::Grid::new(("style", i)).num_columns(2).show(ui, |ui| {
            ui.label(lang.t("塗り", "Fill"));
            ui.color_edit_button_srgba(&mut r.style.fill);
            ui.end_row();
            let label = ui.label(lang.t("線", "Outline"));
            ui.horizontal(|ui| {
                ui.color_edit_button_srgba(&mut r.style.stroke);
                ui.add(
                    egui::DragValue::new(&mut r.style.width)
                        .range(0.0..=12.0)
                        .speed(0.1)
                        .suffix(" pt"),
                )
                .labelled_by(label.id);
            });
            ui.end_row();
            let label = ui.label(lang.t("点の大きさ", "Point size"));
            ui.add(
                egui::DragValue::new(&mut r.style.point_radius)
                    .range(0.0..=20.0)
                    .speed(0.1)
                    .suffix(" pt"),
            )
            .labelled_by(label.id);
            ui.end_row();
            ui.label(lang.t("不透明度", "Opacity"));
            ui.add(
                egui::Slider::new(&mut r.opacity, 0.0..=1.0).text(lang.t("不透明度", "opacity")),
            );
            ui.end_row();
            let none = lang.t("（なし）", "(none)");
            let fields: Vec<&str> = l.layer.fields.iter().map(|f| f.name.as_str()).collect();
            let label = ui.label(lang.t("ラベル", "Labels"));
            field_choice(
                ui,
                format!("label{i:?}"),
                label.id,
                &mut r.label,
                &fields,
                none,
            );
            ui.end_row();
            let label = ui.label(lang.t("値で色分け", "Colour by"));
            field_choice(
                ui,
                format!("categorize{i:?}"),
                label.id,
                &mut r.categorize,
                &fields,
                none,
            );
            ui.end_row();
        });
    });
    if r != before {
        commands.push(Edit::Restyle(i, r).into());
    }
}

fn field_choice(
    ui: &mut egui::Ui,
    id: String,
    label: egui::Id,
    value: &mut Option<String>,
    fields: &[&str],
    none: &str,
) {
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.as_deref().unwrap_or(none))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, none);
            for f in fields {
                ui.selectable_value(value, Some(f.to_string()), *f);
            }
        })
        .response
        .labelled_by(label);
}
