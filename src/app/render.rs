//! Map images without a window: `sitelens render`, File ▸ Export map image. The map is drawn by
//! the window's own `map_ui` and painted by the software rasteriser ([`super::raster`]), with a
//! legend of what is shown and the credits.

use std::path::{Path, PathBuf};

use eframe::egui;
use egui::{Color32, Pos2, Rect, Vec2};

use super::raster::{Canvas, Headless};
use super::{Lang, MapLayer, MapView, Viewer, map};
use crate::cli::RenderArgs;
use crate::model::Envelope;
use crate::write::{WriteError, atomic_write};

/// Draws the map of `layers` showing `extent` (or following `view`) with the legend.
/// `decorations`: notices and credits on the map (see [`map::map_ui`]) and the legend.
pub fn map_image_ui(
    ui: &mut egui::Ui,
    view: &mut Option<MapView>,
    extent: Envelope,
    layers: &[MapLayer],
    selection: Option<&super::Selection>,
    decorations: bool,
    lang: Lang,
) {
    let mut commands = Vec::new();
    let rect = ui.available_rect_before_wrap();
    map::map_ui(
        ui,
        view,
        Some(extent),
        layers,
        selection,
        map::Extras {
            decorations,
            drawing: None,
            basemap: None,
            layer_image: None,
        },
        &mut commands,
    );
    if decorations && let Some(v) = view {
        legend(ui.painter(), rect, layers, v.envelope(rect), lang);
    }
}

/// A legend box at the map's lower left: the symbol and title of each layer shown in `view`; a
/// zoning layer's zones by colour.
pub fn legend(painter: &egui::Painter, map: Rect, layers: &[MapLayer], view: Envelope, lang: Lang) {
    let font = egui::FontId::proportional(11.0);
    let mut rows = legend_rows(layers, view, lang);
    // Room for what fits between the notices and the scale bar.
    let row_h = 15.0;
    let room = ((map.height() - 130.0) / row_h).floor().max(2.0) as usize;
    if rows.len() > room {
        rows.truncate(room - 1);
        rows.push((Swatch::None, "…".into()));
    }
    if rows.is_empty() {
        return;
    }
    let galleys: Vec<_> = rows
        .iter()
        .map(|(_, t)| painter.layout_no_wrap(t.clone(), font.clone(), Color32::from_gray(30)))
        .collect();
    let width = galleys.iter().map(|g| g.size().x).fold(0.0, f32::max) + 30.0;
    let height = row_h * rows.len() as f32 + 20.0;
    // Above the scale bar.
    let top_left = Pos2::new(map.left() + 8.0, map.bottom() - height - 36.0);
    let frame = Rect::from_min_size(top_left, Vec2::new(width, height));
    painter.rect_filled(frame, 3.0, Color32::from_white_alpha(225));
    painter.text(
        top_left + Vec2::new(6.0, 3.0),
        egui::Align2::LEFT_TOP,
        lang.t("凡例", "Legend"),
        egui::FontId::proportional(11.0),
        Color32::from_gray(30),
    );
    for (i, ((swatch, _), galley)) in rows.iter().zip(galleys).enumerate() {
        let y = top_left.y + 18.0 + i as f32 * row_h;
        let symbol = Rect::from_min_size(Pos2::new(top_left.x + 6.0, y + 2.0), Vec2::splat(10.0));
        swatch.paint(painter, symbol);
        painter.galley(
            Pos2::new(top_left.x + 22.0, y),
            galley,
            Color32::from_gray(30),
        );
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
                    .filter_map(|(id, _)| z.fields.zone(&l.layer.features[id].values))
                    .collect();
                in_view.sort_by_key(|zone| zone.a29_code);
                in_view.dedup_by_key(|zone| zone.a29_code);
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

/// Paints the viewer's visible layers over `extent` (or as `view` shows them) into an image of
/// `size_px` pixels.
pub fn render_map(
    viewer: &Viewer,
    view: Option<MapView>,
    extent: Envelope,
    size_px: [u32; 2],
    ppp: f32,
) -> Canvas {
    let size = Vec2::new(size_px[0] as f32 / ppp, size_px[1] as f32 / ppp);
    let mut view = view;
    let (canvas, _) = super::raster::paint_ui(size, ppp, |ui| {
        map_image_ui(
            ui,
            &mut view,
            extent,
            &viewer.layers,
            viewer.selection.as_ref(),
            true,
            viewer.lang,
        );
    });
    canvas
}

/// Writes a canvas as PNG, atomically.
pub fn write_png(canvas: &Canvas, path: &Path) -> Result<(), WriteError> {
    atomic_write(path, &[], |w| canvas.write_png(w))
}

/// `sitelens render`: the Hino project (or a project file) plus FILES, drawn to a PNG.
pub fn run(args: &RenderArgs) -> anyhow::Result<String> {
    use anyhow::Context as _;
    let viewer = viewer_for(&args.files)?;
    let extent = match &args.bbox {
        Some(b) => {
            crate::filter::BboxFilter::parse(b, args.bbox_crs.as_deref())
                .map_err(anyhow::Error::msg)?
                .envelope
        }
        None => viewer
            .initial_extent()
            .context("nothing to draw: no layer has a known CRS")?,
    };
    let [w, h] = args.size.0;
    let mut viewer = viewer;
    viewer.lang = args.lang.into();
    if let Some(n) = args.bench {
        return Ok(bench(&viewer, extent, [w, h], args.scale, n));
    }
    let canvas = render_map(&viewer, None, extent, [w, h], args.scale);
    write_png(&canvas, &args.output)?;
    let mut notes = String::new();
    for n in &viewer.notices {
        notes.push_str(&format!(
            "\n{}: {}",
            if n.error { "error" } else { "note" },
            n.text
        ));
    }
    Ok(format!(
        "wrote {} ({w}×{h} px, {} layers){notes}",
        args.output.display(),
        viewer.layers.iter().filter(|l| l.visible).count()
    ))
}

/// The viewer's layers for a render: a project file if one is given, else the Hino project;
/// other files on top (loaded in the background threads, waited for).
pub fn viewer_for(files: &[PathBuf]) -> anyhow::Result<Viewer> {
    let mut viewer = Viewer::new();
    let (projects, layers): (Vec<PathBuf>, Vec<PathBuf>) = files
        .iter()
        .cloned()
        .partition(|p| super::loading::is_project(p));
    if projects.len() > 1 {
        anyhow::bail!("give at most one project file");
    }
    for p in projects {
        let project = crate::project::Project::read(&p)?;
        let loaded = project.load();
        viewer.install_project(project, loaded);
    }
    let failed = viewer.notices.len();
    viewer.open(layers, Default::default(), None);
    viewer.wait_for_loads();
    if let Some(e) = viewer.notices[failed..].iter().find(|n| n.error) {
        anyhow::bail!("{}", e.text);
    }
    Ok(viewer)
}

/// Paints `frames` frames panning across and zooming in, and reports median timings: as the
/// window does (the layers' image moved or scaled; a redraw once the view rests) and drawing
/// everything every frame (as map images and sheets do).
fn bench(viewer: &Viewer, extent: Envelope, size_px: [u32; 2], ppp: f32, frames: usize) -> String {
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
                    &viewer.layers,
                    None,
                    map::Extras {
                        decorations: true,
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
