//! Map images without a window: `sitelens render`, File ▸ Export map image. The map is drawn by
//! the window's own `map_ui` and painted by the software rasteriser ([`super::raster`]), with a
//! legend of what is shown and the credits.

use std::path::{Path, PathBuf};

use eframe::egui;
use egui::{Color32, Pos2, Rect, Vec2};

use super::raster::{Canvas, Headless};
use super::{Document, Lang, MapLayer, MapView, map};
use crate::cli::RenderArgs;
use crate::model::Envelope;
use crate::write::{WriteError, atomic_write};

/// Draws the map of `doc` showing `extent` (or following `view`), `highlight` in the
/// highlight colour. `notices`: the 参考図 notice and the sample banner on the map (a map
/// image; a sheet prints its own).
pub fn map_image_ui(
    ui: &mut egui::Ui,
    view: &mut Option<MapView>,
    extent: Envelope,
    doc: &Document,
    highlight: Option<&super::Selection>,
    notices: bool,
) {
    let mut commands = Vec::new();
    map::map_ui(
        ui,
        view,
        Some(extent),
        doc,
        highlight,
        map::Extras {
            notices,
            credits: false,
            drawing: None,
            basemap: None,
            layer_image: None,
        },
        &mut commands,
    );
}

/// The width of the column beside a map image of `image_width` points that holds its legend
/// and credits.
pub fn side_width(image_width: f32) -> f32 {
    (image_width * 0.28).clamp(140.0, 260.0)
}

/// A map image's layout: the map, and beside it on the right the legend over the credits, so
/// neither covers the data.
fn map_with_legend_ui(
    ui: &mut egui::Ui,
    view: &mut Option<MapView>,
    extent: Envelope,
    doc: &Document,
) {
    let full = ui.max_rect();
    let side = side_width(full.width());
    let map_rect = Rect::from_min_max(full.min, Pos2::new(full.right() - side, full.bottom()));
    let side_rect = Rect::from_min_max(Pos2::new(map_rect.right(), full.top()), full.max);
    let mut map_child = ui.new_child(egui::UiBuilder::new().max_rect(map_rect));
    map_image_ui(
        &mut map_child,
        view,
        extent,
        doc,
        doc.selection.as_ref(),
        true,
    );
    ui.painter().rect_filled(side_rect, 0.0, Color32::WHITE);
    ui.painter().line_segment(
        [side_rect.left_top(), side_rect.left_bottom()],
        egui::Stroke::new(1.0, Color32::from_gray(150)),
    );
    let Some(v) = view else { return };
    let env = v.envelope(map_rect);
    let lang = doc.lang;
    let mut side_ui = ui.new_child(egui::UiBuilder::new().max_rect(side_rect.shrink(8.0)));
    side_ui.spacing_mut().item_spacing.y = 1.0;
    side_ui.label(
        egui::RichText::new(lang.t("凡例", "Legend"))
            .size(12.0)
            .strong()
            .color(Color32::from_gray(20)),
    );
    legend_ui(&mut side_ui, doc.layers(), env, lang, 11.0);
    let credits = map::credits(doc.layers(), env, None);
    if !credits.is_empty() {
        side_ui.add_space(6.0);
        side_ui.label(
            egui::RichText::new(lang.t("出典", "Credits"))
                .size(11.0)
                .strong()
                .color(Color32::from_gray(20)),
        );
        for c in credits {
            side_ui.add(
                egui::Label::new(
                    egui::RichText::new(c)
                        .size(9.0)
                        .color(Color32::from_gray(60)),
                )
                .wrap(),
            );
        }
    }
}

/// A legend as widgets (sheets): one row per symbol, `size` points high.
pub fn legend_ui(ui: &mut egui::Ui, layers: &[MapLayer], view: Envelope, lang: Lang, size: f32) {
    for (swatch, text) in legend_rows(layers, view, lang) {
        ui.horizontal_top(|ui| {
            let (r, _) = ui.allocate_exact_size(Vec2::splat(size), egui::Sense::hover());
            swatch.paint(ui.painter(), r.shrink(1.0));
            ui.add(
                egui::Label::new(
                    egui::RichText::new(text)
                        .size(size * 0.85)
                        .color(Color32::from_gray(30)),
                )
                .wrap(),
            );
        });
    }
}

/// The legend's rows: each layer shown in `view`, top first; a zoning layer's zones in view.
fn legend_rows(layers: &[MapLayer], view: Envelope, lang: Lang) -> Vec<(Swatch, String)> {
    let mut rows: Vec<(Swatch, String)> = Vec::new();
    for l in layers.iter().rev().filter(|l| map::shown(l, view)) {
        match &l.zoning {
            Some(z) => {
                rows.push((Swatch::None, l.title.clone()));
                // The zones the view shows, in the palette's order.
                let mut in_view: Vec<_> = l
                    .layer
                    .index
                    .query_envelopes(view)
                    .filter_map(|(id, _)| z.recognised.zone(&l.layer.features[id].values))
                    .collect();
                in_view.sort_by_key(|zone| zone.order());
                in_view.dedup_by_key(|zone| zone.order());
                for zone in in_view {
                    let [r, g, b] = zone.colour;
                    rows.push((
                        Swatch::Fill(Color32::from_rgb(r, g, b), Color32::from_gray(110)),
                        format!("  {}", lang.t(zone.name_ja, zone.name_en)),
                    ));
                }
            }
            None => match &l.categories {
                Some(k) => {
                    rows.push((Swatch::None, format!("{} — {}", l.title, k.field)));
                    for (value, colour, _) in &k.classes {
                        let swatch = match Swatch::of(l) {
                            Swatch::Point(_, stroke, r) => Swatch::Point(*colour, stroke, r),
                            Swatch::Line(_, w) => Swatch::Line(*colour, w),
                            _ => Swatch::Fill(*colour, l.style.stroke),
                        };
                        rows.push((swatch, format!("  {value}")));
                    }
                }
                None => rows.push((Swatch::of(l), l.title.clone())),
            },
        }
    }
    rows
}

enum Swatch {
    None,
    Fill(Color32, Color32),
    Line(Color32, f32),
    Point(Color32, Color32, f32),
}

impl Swatch {
    fn of(l: &MapLayer) -> Swatch {
        use geo_types::Geometry::*;
        let first = l.layer.features.iter().find_map(|f| f.geometry.as_ref());
        let s = &l.style;
        match first {
            Some(Point(_) | MultiPoint(_)) => {
                Swatch::Point(s.fill, s.stroke, s.point_radius.clamp(2.0, 5.0))
            }
            Some(LineString(_) | MultiLineString(_) | Line(_)) => {
                Swatch::Line(s.stroke, s.width.min(4.0))
            }
            _ => Swatch::Fill(s.fill, s.stroke),
        }
    }

    fn paint(&self, painter: &egui::Painter, r: Rect) {
        match *self {
            Swatch::None => {}
            Swatch::Fill(fill, stroke) => {
                painter.rect_filled(r, 1.0, fill);
                painter.rect_stroke(
                    r,
                    1.0,
                    egui::Stroke::new(1.0, stroke),
                    egui::StrokeKind::Inside,
                );
            }
            Swatch::Line(colour, width) => {
                painter.line_segment(
                    [r.left_center(), r.right_center()],
                    egui::Stroke::new(width, colour),
                );
            }
            Swatch::Point(fill, stroke, radius) => {
                painter.circle(r.center(), radius, fill, egui::Stroke::new(1.0, stroke));
            }
        }
    }
}

/// Paints the document's visible layers over `extent` (or as `view` shows them) into an image
/// of `size_px` pixels, with the legend and credits beside the map.
pub fn render_map(
    doc: &Document,
    view: Option<MapView>,
    extent: Envelope,
    size_px: [u32; 2],
    ppp: f32,
) -> Canvas {
    let size = Vec2::new(size_px[0] as f32 / ppp, size_px[1] as f32 / ppp);
    let mut view = view;
    let (canvas, _) = super::raster::paint_ui(size, ppp, |ui| {
        map_with_legend_ui(ui, &mut view, extent, doc);
    });
    canvas
}

/// Writes the map as the window shows it in `rect` (the legend column added beside it) as a
/// PNG at twice the screen resolution.
pub fn write_view(
    doc: &Document,
    view: MapView,
    rect: Rect,
    path: &Path,
) -> Result<(), WriteError> {
    let ppp = 2.0;
    let side = side_width(rect.width());
    let size = [
        ((rect.width() + side) * ppp).round() as u32,
        (rect.height() * ppp).round() as u32,
    ];
    let extent = view.envelope(rect);
    let canvas = render_map(doc, Some(view), extent, size, ppp);
    write_png(&canvas, path)
}

/// Writes a canvas as PNG, atomically.
pub fn write_png(canvas: &Canvas, path: &Path) -> Result<(), WriteError> {
    atomic_write(path, &[], |w| canvas.write_png(w))
}

/// `sitelens render`: the Hino project (or a project file) plus FILES, drawn to a PNG.
pub fn run(args: &RenderArgs) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let mut doc = document_for(&args.files)?;
    doc.lang = args.lang.into();
    let extent = match &args.bbox {
        Some(b) => {
            crate::filter::BboxFilter::parse(b, args.bbox_crs.as_deref())
                .with_context(|| format!("--bbox {b}"))?
                .envelope
        }
        None => doc
            .zoom_request
            .or_else(|| doc.home_extent())
            .context("nothing to draw: no layer has a known CRS")?,
    };
    let [w, h] = args.size.0;
    if let Some(n) = args.bench {
        return Ok(bench(&doc, extent, [w, h], args.scale, n));
    }
    let canvas = render_map(&doc, None, extent, [w, h], args.scale);
    write_png(&canvas, &args.output)?;
    let mut notes = String::new();
    for n in &doc.notices {
        notes.push_str(&format!(
            "\n{}: {}",
            if n.error { "error" } else { "note" },
            n.text
        ));
    }
    Ok(format!(
        "wrote {} ({w}×{h} px, {} layers){notes}",
        args.output.display(),
        doc.layers().iter().filter(|l| l.visible).count()
    ))
}

/// The document a command draws: the project file if one is given (and nothing else), else the
/// Hino project; the other files on top. A file that does not load is an error.
pub fn document_for(files: &[PathBuf]) -> anyhow::Result<Document> {
    let (projects, layers): (Vec<&PathBuf>, Vec<&PathBuf>) =
        files.iter().partition(|p| super::loading::is_project(p));
    let mut doc = match projects.as_slice() {
        [] => Document::hino(),
        [p] => {
            let project = crate::project::Project::read(p)?;
            let loaded = project.load();
            Document::of_project(project, loaded)
        }
        _ => anyhow::bail!("give at most one project file"),
    };
    // A GeoPackage with several tables gives each as a layer.
    let mut expanded = Vec::with_capacity(layers.len());
    for path in layers {
        expanded.extend(crate::io::layer_paths(path)?);
    }
    let layers = expanded;
    // Loaded side by side, as the window loads them; added in the order given.
    use rayon::prelude::*;
    let loaded: Vec<_> = layers
        .par_iter()
        .map(|path| crate::io::load(path, &Default::default()))
        .collect::<Result<_, _>>()?;
    for (path, layer) in layers.into_iter().zip(loaded) {
        doc.add_opened(&path, layer, true, true);
    }
    Ok(doc)
}

/// Paints `frames` frames panning across and zooming in, and reports median timings: as the
/// window does (the layers' image moved or scaled; a redraw once the view rests) and drawing
/// everything every frame (as map images and sheets do).
fn bench(doc: &Document, extent: Envelope, size_px: [u32; 2], ppp: f32, frames: usize) -> String {
    use super::layer_image::{LayerImage, Policy};
    use std::time::Duration;
    let size = Vec2::new(size_px[0] as f32 / ppp, size_px[1] as f32 / ppp);
    let mut headless = Headless::new(size, ppp);
    let frames = frames.max(1);
    let mut rows = Vec::new();
    let never = Policy {
        live_below: Duration::ZERO,
        settle: Duration::from_secs(3600),
        background: false,
    };
    let at_once = Policy {
        live_below: Duration::ZERO,
        settle: Duration::ZERO,
        background: false,
    };
    let cases = [
        ("pan (window: the layers' image moved)", Some(never), 1.0),
        ("zoom (window: the layers' image scaled)", Some(never), 1.05),
        ("redraw once the view rests (window)", Some(at_once), 1.0),
        ("pan, redrawing every frame", None, 1.0),
        ("zoom, redrawing every frame", None, 1.05),
    ];
    for (name, policy, zoom) in cases {
        let mut view: Option<MapView> = None;
        let mut image = LayerImage::default();
        let mut times = Vec::new();
        for i in 0..=frames {
            if let Some(v) = &mut view {
                let r = Rect::from_min_size(Pos2::ZERO, size);
                if zoom == 1.0 {
                    v.pan(Vec2::new((size.x * 0.01).round(), 0.0));
                } else {
                    v.zoom_around(r, r.center(), zoom);
                }
            }
            // The first frame draws the layers (fonts, triangulations, the first image).
            image.policy = if i == 0 {
                at_once
            } else {
                policy.unwrap_or(at_once)
            };
            let f = headless.frame(|ui| {
                let mut commands = Vec::new();
                map::map_ui(
                    ui,
                    &mut view,
                    Some(extent),
                    doc,
                    None,
                    map::Extras {
                        notices: true,
                        credits: true,
                        drawing: None,
                        basemap: None,
                        layer_image: policy.is_some().then_some(&mut image),
                    },
                    &mut commands,
                );
            });
            let t = (ms(f.build), ms(f.tessellate), ms(f.raster));
            if i == 0 && rows.is_empty() {
                rows.push(format!(
                    "first frame: build {:.1} ms, tessellate {:.1} ms, raster {:.1} ms",
                    t.0, t.1, t.2
                ));
            } else if i > 0 {
                times.push(t);
            }
        }
        let median = |k: usize| {
            let mut v: Vec<f64> = times.iter().map(|t| [t.0, t.1, t.2][k]).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        rows.push(format!(
            "{name} ({} frames, {}×{} px): build {:.1} ms, tessellate {:.1} ms, raster {:.1} ms (medians)",
            times.len(),
            size_px[0],
            size_px[1],
            median(0),
            median(1),
            median(2)
        ));
    }
    rows.join("\n")
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
