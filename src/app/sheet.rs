//! Site sheets: one A4 page per site with a map of the site and its surroundings, the metrics,
//! zoning, distances, nearby enterprises, programmes, the site's attributes (public profile by
//! default), credits and the notices. Laid out with egui like the window, painted by the
//! software rasteriser; PNG (one site) or PDF (one page per site, with a text layer).
//! `sitelens sheet [PROJECT] --site ID[,ID…] -o FILE` and the identify panel's button.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use eframe::egui;
use egui::{Color32, RichText, Vec2};

use super::identify::group;
use super::pdf::{Page, text_runs, write_pdf};
use super::raster::paint_ui;
use super::render::{legend_ui, map_image_ui};
use super::{Document, Lang, LayerId, MapView, Selection};
use crate::analysis::incentives::PROGRAMMES_FIELD;
use crate::analysis::site::{JSIC_DIVISIONS, METRIC_FIELDS, field_label};
use crate::cli::SheetArgs;
use crate::export::profile::{Profile, columns};
use crate::model::Role;
use crate::model::{Envelope, Layer, Value};
use crate::write::atomic_write;

/// A4 portrait in points (1/72 inch): the sheet is laid out in these units.
pub const A4: Vec2 = Vec2::new(595.28, 841.89);
/// 150 dpi.
pub const PIXELS_PER_POINT: f32 = 150.0 / 72.0;

/// The features of the sites layer that `ids` name, in the order given.
pub fn find_sites(layer: &Layer, ids: &[String]) -> Result<Vec<usize>> {
    if ids.iter().any(|i| i == "all") {
        return Ok((0..layer.features.len()).collect());
    }
    let keys: Vec<usize> = ["site_id", "id", "ID", "用地番号", "名称", "name"]
        .iter()
        .filter_map(|k| layer.field_index(k))
        .collect();
    let name_of = |i: usize| {
        keys.first()
            .map(|&k| layer.features[i].values[k].to_string())
            .unwrap_or_else(|| format!("#{}", layer.features[i].record))
    };
    ids.iter()
        .map(|id| {
            (0..layer.features.len())
                .find(|&i| {
                    keys.iter()
                        .any(|&k| layer.features[i].values[k].to_string() == *id)
                })
                .with_context(|| {
                    let known: Vec<String> = (0..layer.features.len()).map(name_of).collect();
                    format!(
                        "no site {id:?} in {} (there are: {})",
                        layer.name,
                        known.join(", ")
                    )
                })
        })
        .collect()
}

/// Paints the sheet of feature `feature` of layer `layer`.
pub fn render_sheet(doc: &Document, layer: LayerId, feature: usize, profile: Profile) -> Page {
    let mut view = None;
    let (canvas, shapes) = paint_ui(A4, PIXELS_PER_POINT, |ui| {
        sheet_ui(ui, doc, layer, feature, profile, &mut view);
    });
    Page {
        canvas,
        size: [A4.x, A4.y],
        text: text_runs(&shapes),
    }
}

/// Writes the sheets of `sites` (features of layer `layer`): PDF with one page each, or PNG of
/// one.
pub fn write_sheets(
    doc: &Document,
    layer: LayerId,
    sites: &[usize],
    profile: Profile,
    path: &Path,
) -> Result<()> {
    let pdf = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    let png = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"));
    if !pdf && !png {
        bail!("{}: write .pdf or .png", path.display());
    }
    if png && sites.len() != 1 {
        bail!(
            "{}: a PNG holds one sheet; {} sites asked (write .pdf for one page each)",
            path.display(),
            sites.len()
        );
    }
    let pages: Vec<Page> = sites
        .iter()
        .map(|&s| render_sheet(doc, layer, s, profile))
        .collect();
    if png {
        atomic_write(path, &[], |w| pages[0].canvas.write_png(w))?;
    } else {
        let title = match doc.layer(layer) {
            Some(l) => format!("{} — {}", doc.project.name, l.title),
            None => doc.project.name.clone(),
        };
        atomic_write(path, &[], |w| write_pdf(&pages, &title, w))?;
    }
    Ok(())
}

/// What names a site in a sheet's file name: its `site_id`, `id` or `名称`.
pub fn site_key(layer: &Layer, feature: usize) -> Option<String> {
    ["site_id", "id", "名称"]
        .iter()
        .find_map(|k| layer.value(feature, k).filter(|v| !v.is_null()))
        .map(|v| v.to_string())
}

/// `sitelens sheet`.
pub fn run(args: &SheetArgs) -> Result<String> {
    let files: Vec<PathBuf> = args.project.iter().cloned().collect();
    let mut doc = super::render::document_for(&files)?;
    doc.lang = args.lang.into();
    let sites_layer = doc
        .with_role(Role::Site)
        .context("the project has no layer with role = \"sites\"")?;
    let (layer, sites) = (
        sites_layer.id(),
        find_sites(&sites_layer.layer, &args.site)?,
    );
    write_sheets(&doc, layer, &sites, args.profile, &args.output)?;
    Ok(format!(
        "wrote {} ({} sheet{}, {} profile)",
        args.output.display(),
        sites.len(),
        if sites.len() == 1 { "" } else { "s" },
        args.profile.name()
    ))
}

/// Fields that are not shown among the site's own attributes.
fn computed(field: &str) -> bool {
    METRIC_FIELDS.iter().any(|(f, _)| *f == field)
        || field == PROGRAMMES_FIELD
        || field == "sample"
        || crate::analysis::rank::SCORE_FIELDS
            .iter()
            .any(|(f, _)| *f == field)
}

/// A value for a sheet: numbers grouped with sensible decimals, no "NULL".
fn show(field: &str, v: &Value, lang: Lang) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => match (b, lang) {
            (true, Lang::Ja) => "はい".into(),
            (false, Lang::Ja) => "いいえ".into(),
            (true, Lang::En) => "yes".into(),
            (false, Lang::En) => "no".into(),
        },
        Value::Float(x) if field.ends_with("_ha") => group(*x, 2),
        Value::Float(x) if field.ends_with("_pct") => group(*x, 0),
        Value::Float(x) => group(*x, if x.abs() >= 100.0 { 0 } else { 1 }),
        Value::Int(i) => group(*i as f64, 0),
        Value::Text(t) if field == "industries_1km" => industries(t, lang),
        other => other.to_string(),
    }
}

/// "E:8 H:5" as "製造業 8・運輸業，郵便業 5" (JSIC division names).
fn industries(codes: &str, lang: Lang) -> String {
    codes
        .split_whitespace()
        .map(|part| match part.split_once(':') {
            Some((code, n)) => match JSIC_DIVISIONS.iter().find(|d| d.0 == code) {
                Some((_, ja, en)) => format!("{} {n}", lang.t(ja, en)),
                None => format!("{code} {n}"),
            },
            None => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(lang.t("・", ", "))
}

/// The sheet's layout, in A4 points.
pub fn sheet_ui(
    ui: &mut egui::Ui,
    doc: &Document,
    layer_id: LayerId,
    feature: usize,
    profile: Profile,
    view: &mut Option<MapView>,
) {
    let lang = doc.lang;
    let Some(map_layer) = doc.layer(layer_id) else {
        return;
    };
    let layer = &map_layer.layer;
    let Some(f) = layer.features.get(feature) else {
        return;
    };
    let value = |name: &str| layer.value(feature, name).filter(|v| !v.is_null());
    let text = |name: &str| value(name).map(|v| v.to_string());
    let page = egui::Rect::from_min_size(egui::Pos2::ZERO, A4).shrink(28.0);
    let mut ui = ui.new_child(egui::UiBuilder::new().max_rect(page));
    let ui = &mut ui;
    ui.spacing_mut().item_spacing = Vec2::new(6.0, 3.0);
    ui.spacing_mut().interact_size.y = 11.0;
    let grey = Color32::from_gray(90);

    ui.label(
        RichText::new(lang.t("産業用地シート", "Industrial site sheet"))
            .size(9.0)
            .color(grey),
    );
    let name = text("名称")
        .or_else(|| text("name"))
        .or_else(|| text("site_id"))
        .unwrap_or_else(|| format!("#{}", f.record));
    ui.label(
        RichText::new(&name)
            .size(18.0)
            .strong()
            .color(Color32::BLACK),
    );
    let mut sub = Vec::new();
    for k in ["site_id", "所在地"] {
        if let Some(t) = text(k) {
            sub.push(t);
        }
    }
    sub.push(doc.project.name.clone());
    ui.label(RichText::new(sub.join("　·　")).size(9.5).color(grey));
    if layer.meta.sample {
        ui.label(
            RichText::new(lang.t(
                "※ 架空のサンプルデータです（実在の用地ではありません）",
                "FICTIONAL SAMPLE DATA (not a real site)",
            ))
            .size(10.0)
            .strong()
            .color(Color32::WHITE)
            .background_color(Color32::from_rgb(170, 30, 30)),
        );
    }
    ui.add_space(4.0);

    // The map: the site highlighted in the middle, about 1.5 km across or four times the site;
    // its legend beside it.
    let map_size = Vec2::new(360.0, 300.0);
    let extent = f
        .geometry
        .as_ref()
        .and_then(Envelope::of)
        .map(|e| surroundings(e, 750.0));
    let mut shown_in_view = Vec::new();
    ui.horizontal_top(|ui| {
        let (map_rect, _) = ui.allocate_exact_size(map_size, egui::Sense::hover());
        if let Some(extent) = extent {
            let selection = Selection {
                layer: layer_id,
                features: BTreeSet::from([feature]),
                fetched: None,
            };
            let mut map_ui = ui.new_child(egui::UiBuilder::new().max_rect(map_rect));
            map_image_ui(&mut map_ui, view, extent, doc, Some(&selection), false);
        }
        ui.painter().rect_stroke(
            map_rect,
            0.0,
            egui::Stroke::new(0.8, Color32::from_gray(120)),
            egui::StrokeKind::Outside,
        );
        ui.add_space(8.0);
        ui.vertical(|ui| {
            ui.set_max_width(page.right() - ui.cursor().left());
            ui.spacing_mut().item_spacing.y = 1.0;
            heading(ui, lang.t("凡例", "Legend"));
            if let Some(v) = view {
                let env = v.envelope(map_rect);
                legend_ui(ui, doc.layers(), env, lang, 9.0);
                shown_in_view = doc
                    .layers()
                    .iter()
                    .filter(|l| super::map::shown(l, env))
                    .collect();
            }
        });
    });
    ui.add_space(8.0);

    // Metrics on the left, the site's attributes on the right.
    let shown = columns(layer, profile);
    let column_width = (page.width() - 12.0) / 2.0;
    ui.horizontal_top(|ui| {
        ui.vertical(|ui| {
            ui.set_width(column_width);
            heading(ui, lang.t("立地の指標", "Site metrics"));
            egui::Grid::new("metrics")
                .num_columns(2)
                .striped(true)
                .min_col_width(90.0)
                .show(ui, |ui| {
                    for (field, _) in METRIC_FIELDS {
                        let Some(i) = layer.field_index(field).filter(|i| shown.contains(i)) else {
                            continue;
                        };
                        // The note says why zoning metrics are empty; nothing to say otherwise.
                        if *field == "zoning_note" && f.values[i].is_null() {
                            continue;
                        }
                        let label = field_label(field).map_or(*field, |(ja, en)| lang.t(ja, en));
                        row(
                            ui,
                            label,
                            &show(field, &f.values[i], lang),
                            column_width - 100.0,
                        );
                    }
                });
        });
        ui.vertical(|ui| {
            ui.set_width(column_width);
            heading(ui, lang.t("用地の情報", "Site details"));
            egui::Grid::new("attributes")
                .num_columns(2)
                .striped(true)
                .min_col_width(90.0)
                .show(ui, |ui| {
                    for &i in &shown {
                        let field = &layer.fields[i].name;
                        if computed(field) {
                            continue;
                        }
                        row(
                            ui,
                            field,
                            &show(field, &f.values[i], lang),
                            column_width - 100.0,
                        );
                    }
                });
            ui.add_space(6.0);
            heading(
                ui,
                lang.t("該当しうる支援制度", "Programmes it may qualify for"),
            );
            let programmes = text(PROGRAMMES_FIELD).unwrap_or_else(|| {
                lang.t("（ルール上、該当なし）", "(none by the rules)")
                    .into()
            });
            ui.add(egui::Label::new(RichText::new(programmes).size(9.5)).wrap());
        });
    });

    // Footer: notices, credits of what the map shows, data date, profile.
    let mut credits: Vec<&str> = Vec::new();
    for c in shown_in_view
        .iter()
        .filter_map(|l| l.layer.meta.credit.as_deref())
    {
        if !credits.contains(&c) {
            credits.push(c);
        }
    }
    let mut footer: Vec<String> = credits.iter().map(|c| c.to_string()).collect();
    footer.extend([
        lang.t(
            "参考図：用途地域・制度の適用は日野市の窓口で確認してください。距離は測地線距離、面積は測地線面積です。",
            "For reference only: confirm zoning and programmes with the city. Distances and areas are geodesic.",
        )
        .to_string(),
    ]);
    let as_of = doc.project.as_of.as_deref().unwrap_or("—");
    footer.push(format!(
        "{} {as_of}　·　{} {}　·　sitelens {}",
        lang.t("データ時点", "Data as of"),
        lang.t("プロファイル", "Profile"),
        match profile {
            Profile::Public => lang.t("公開用（内部項目なし）", "public (no internal fields)"),
            Profile::Internal => lang.t("内部用（取扱注意）", "internal (restricted)"),
        },
        crate::VERSION
    ));
    let line_h = 10.5;
    let footer_top = page.bottom() - line_h * footer.len() as f32;
    ui.painter().hline(
        page.x_range(),
        footer_top - 4.0,
        egui::Stroke::new(0.5, Color32::from_gray(160)),
    );
    for (k, line) in footer.iter().enumerate() {
        ui.painter().text(
            egui::Pos2::new(page.left(), footer_top + line_h * k as f32),
            egui::Align2::LEFT_TOP,
            line,
            egui::FontId::proportional(7.5),
            grey,
        );
    }
}

fn heading(ui: &mut egui::Ui, text: &str) {
    ui.label(
        RichText::new(text)
            .size(11.0)
            .strong()
            .color(Color32::BLACK),
    );
}

fn row(ui: &mut egui::Ui, label: &str, value: &str, width: f32) {
    ui.label(RichText::new(label).size(9.0).color(Color32::from_gray(70)));
    ui.scope(|ui| {
        ui.set_max_width(width);
        ui.add(egui::Label::new(RichText::new(value).size(9.0).color(Color32::BLACK)).wrap());
    });
    ui.end_row();
}

/// The site's box grown to at least `radius_m` around its centre (and twice its size).
fn surroundings(e: Envelope, radius_m: f64) -> Envelope {
    let (cx, cy) = ((e.min_x + e.max_x) / 2.0, (e.min_y + e.max_y) / 2.0);
    let [m_per_deg_x, m_per_deg_y] = crate::model::metres_per_degree(cy);
    let half_w = ((e.max_x - e.min_x) * m_per_deg_x).max(radius_m);
    let half_h = ((e.max_y - e.min_y) * m_per_deg_y).max(radius_m);
    Envelope::new(
        cx - half_w / m_per_deg_x,
        cy - half_h / m_per_deg_y,
        cx + half_w / m_per_deg_x,
        cy + half_h / m_per_deg_y,
    )
}
