//! The map canvas: a local equirectangular projection around the first view's latitude, drag to
//! pan, wheel / pinch / +/− to zoom around the cursor, R-tree culling, scale bar, cursor
//! coordinates and the credits of the visible layers.

use eframe::egui;
use egui::{Color32, Pos2, Rect, Sense, Shape, Stroke, Vec2};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::layers::{detail_level, is_detailed};
use super::tools::{Drawing, Tool};
use super::{Command, MapLayer, Selection};
use crate::model::Envelope;

/// Where the map looks: centre in lon/lat and scale in screen points per degree of latitude.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MapView {
    pub centre: Coord<f64>,
    pub points_per_deg: f64,
    /// cos(latitude) at the first view, fixed so the projection stays one linear map.
    x_scale: f64,
}

impl MapView {
    /// A view showing `extent` inside `rect`, with a margin.
    pub fn fit(extent: Envelope, rect: Rect) -> Self {
        let centre = Coord {
            x: (extent.min_x + extent.max_x) / 2.0,
            y: (extent.min_y + extent.max_y) / 2.0,
        };
        let x_scale = centre.y.to_radians().cos().max(0.01);
        let w = ((extent.max_x - extent.min_x) * x_scale).max(1e-9);
        let h = (extent.max_y - extent.min_y).max(1e-9);
        let points_per_deg = 0.9 * (rect.width() as f64 / w).min(rect.height() as f64 / h);
        MapView {
            centre,
            points_per_deg,
            x_scale,
        }
    }

    pub fn screen_from_world(&self, rect: Rect, c: Coord<f64>) -> Pos2 {
        let x = (c.x - self.centre.x) * self.x_scale * self.points_per_deg;
        let y = (c.y - self.centre.y) * self.points_per_deg;
        Pos2::new(rect.center().x + x as f32, rect.center().y - y as f32)
    }

    pub fn world_from_screen(&self, rect: Rect, p: Pos2) -> Coord<f64> {
        let dx = (p.x - rect.center().x) as f64;
        let dy = (rect.center().y - p.y) as f64;
        Coord {
            x: self.centre.x + dx / (self.x_scale * self.points_per_deg),
            y: self.centre.y + dy / self.points_per_deg,
        }
    }

    /// The lon/lat envelope the rectangle shows.
    pub fn envelope(&self, rect: Rect) -> Envelope {
        let a = self.world_from_screen(rect, rect.left_bottom());
        let b = self.world_from_screen(rect, rect.right_top());
        Envelope::new(a.x, a.y, b.x, b.y)
    }

    /// Zooms by `factor` keeping the world point under `anchor` fixed on screen.
    pub fn zoom_around(&mut self, rect: Rect, anchor: Pos2, factor: f64) {
        let before = self.world_from_screen(rect, anchor);
        self.points_per_deg = (self.points_per_deg * factor).clamp(10.0, 5e8);
        let after = self.world_from_screen(rect, anchor);
        self.centre.x += before.x - after.x;
        self.centre.y += before.y - after.y;
    }

    /// Moves the map with the pointer by a screen delta.
    pub fn pan(&mut self, delta: Vec2) {
        self.centre.x -= delta.x as f64 / (self.x_scale * self.points_per_deg);
        self.centre.y += delta.y as f64 / self.points_per_deg;
    }

    /// Degrees of longitude per screen point.
    pub fn degrees_lon_per_point(&self) -> f64 {
        1.0 / (self.x_scale * self.points_per_deg)
    }

    /// Metres per screen point (north–south; 1° of latitude ≈ 111,320 m).
    pub fn metres_per_point(&self) -> f64 {
        111_320.0 / self.points_per_deg
    }
}

/// Screen distance within which a click identifies a feature.
const PICK_RADIUS_PT: f64 = 6.0;

/// What the map shows besides the layers.
pub struct Extras<'a> {
    /// Notices, credits and the cursor readout on the map (a site sheet prints them beside it).
    pub decorations: bool,
    /// The active drawing tool (the window; none when painting images).
    pub drawing: Option<&'a mut Drawing>,
    /// Basemap tiles under the layers, when switched on.
    pub basemap: Option<&'a mut super::tiles::Basemap>,
    /// The layers kept as an image that pans and zooms by transform (the window); `None` draws
    /// them directly (images, sheets).
    pub layer_image: Option<&'a mut super::layer_image::LayerImage>,
}

/// Draws the map and handles its input: drag pans, wheel/pinch and +/− zoom, a click identifies,
/// a double click returns to the whole city.
pub fn map_ui(
    ui: &mut egui::Ui,
    view: &mut Option<MapView>,
    home: Option<Envelope>,
    layers: &[MapLayer],
    selection: Option<&Selection>,
    extras: Extras<'_>,
    commands: &mut Vec<Command>,
) {
    let Extras {
        decorations,
        mut drawing,
        basemap,
        layer_image,
    } = extras;
    let basemap_credit = basemap.as_ref().map(|b| b.source.credit.clone());
    let (rect, response) = ui.allocate_exact_size(ui.available_size(), Sense::click_and_drag());
    let home = home.unwrap_or(Envelope::new(139.35, 35.63, 139.45, 35.70));
    let v = view.get_or_insert_with(|| MapView::fit(home, rect));

    let tool = drawing.as_ref().map_or(Tool::Identify, |d| d.tool);
    let tool_took_click = match drawing.as_deref_mut() {
        Some(d) => d.input(&response, v, rect, commands),
        None => false,
    };
    // Dragging pans, except while a box is being drawn.
    if response.dragged() && tool != Tool::SelectBox {
        v.pan(response.drag_delta());
    }
    if response.hovered() {
        let (scroll, zoom, pointer) = ui.input(|i| {
            (
                i.smooth_scroll_delta.y,
                i.zoom_delta(),
                i.pointer.hover_pos(),
            )
        });
        let anchor = pointer.unwrap_or(rect.center());
        let factor = zoom as f64 * (scroll as f64 * 0.002).exp();
        if factor != 1.0 {
            v.zoom_around(rect, anchor, factor);
        }
    }
    let (plus, minus) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::Plus) || i.key_pressed(egui::Key::Equals),
            i.key_pressed(egui::Key::Minus),
        )
    });
    if plus {
        v.zoom_around(rect, rect.center(), 1.5);
    }
    if minus {
        v.zoom_around(rect, rect.center(), 1.0 / 1.5);
    }
    if tool_took_click {
        // The tool used the click.
    } else if response.double_clicked() {
        *v = MapView::fit(home, rect);
    } else if response.clicked()
        && let Some(p) = response.interact_pointer_pos()
    {
        let c = v.world_from_screen(rect, p);
        commands.push(Command::IdentifyAt {
            lon: c.x,
            lat: c.y,
            tolerance_m: PICK_RADIUS_PT * v.metres_per_point(),
        });
    }
    let v = *v;

    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, Color32::from_rgb(246, 244, 238));
    if let Some(b) = basemap {
        b.paint(ui.ctx(), &painter, &v, rect);
    }
    let visible_env = v.envelope(rect);
    match layer_image {
        Some(image) => image.paint(ui.ctx(), &painter, &v, rect, layers),
        None => paint_layers(&painter, rect, &v, layers),
    }

    if let Some(sel) = selection
        && let Some(map_layer) = layers.get(sel.layer).filter(|l| l.layer.source.crs.known)
    {
        let highlight = MapLayer::highlight_style(map_layer);
        let mut shapes = Vec::new();
        for &id in &sel.features {
            if let Some(g) = map_layer
                .layer
                .features
                .get(id)
                .and_then(|f| f.geometry.as_ref())
            {
                geometry_shapes(g, &v, rect, &highlight, &mut shapes);
            }
        }
        painter.extend(shapes);
    }

    labels(&painter, rect, &v, layers, visible_env);
    if let Some(d) = &drawing {
        d.paint(&painter, &v, rect, response.hover_pos());
    }
    scale_bar(&painter, rect, &v);
    if !decorations {
        return;
    }
    // Notices and credits are about what the view shows.
    let shown: Vec<&MapLayer> = layers.iter().filter(|l| shown(l, visible_env)).collect();
    if shown.iter().any(|l| l.zoning.is_some()) {
        // Zoning maps are reference only; the binding plan is kept at the city office.
        let notice = egui::RichText::new(
            "参考図：用途地域の正式な内容は日野市の窓口で確認してください / Zoning is shown for reference only",
        )
        .color(Color32::from_rgb(120, 40, 0))
        .background_color(Color32::from_rgba_unmultiplied(255, 250, 230, 230))
        .size(12.0);
        let at = Rect::from_min_size(
            rect.left_top() + Vec2::new(8.0, 28.0),
            Vec2::new(rect.width() - 16.0, 20.0),
        );
        ui.put(at, egui::Label::new(notice).selectable(false));
    }
    if shown.iter().any(|l| l.layer.meta.sample) {
        // Fictional stand-ins must never pass for real sites or enterprises.
        let banner = egui::RichText::new(
            "※ 架空のサンプルデータを表示中（実在の用地・企業ではありません） / FICTIONAL SAMPLE DATA shown",
        )
        .strong()
        .color(Color32::WHITE)
        .background_color(Color32::from_rgb(170, 30, 30))
        .size(13.0);
        let at = Rect::from_min_size(
            rect.left_top() + Vec2::new(8.0, 50.0),
            Vec2::new(rect.width() - 16.0, 22.0),
        );
        ui.put(at, egui::Label::new(banner).selectable(false));
    }
    let mut status = String::new();
    if let Some(p) = response.hover_pos() {
        let c = v.world_from_screen(rect, p);
        status = cursor_text(c);
    }
    let mut credits: Vec<&str> = basemap_credit.as_deref().into_iter().collect();
    for credit in shown.iter().filter_map(|l| l.layer.meta.credit.as_deref()) {
        if !credits.contains(&credit) {
            credits.push(credit);
        }
    }
    let font = egui::FontId::proportional(11.0);
    let mut y = rect.bottom() - 4.0;
    // Labels (not painted text), so screen readers and tests find the credits.
    for line in credits.iter().rev() {
        let size = painter
            .layout_no_wrap(line.to_string(), font.clone(), Color32::from_gray(60))
            .size();
        let pos = Pos2::new(rect.right() - size.x - 6.0, y - size.y);
        painter.rect_filled(
            Rect::from_min_size(pos, size).expand(2.0),
            2.0,
            Color32::from_white_alpha(200),
        );
        y -= size.y + 2.0;
        ui.put(
            Rect::from_min_size(pos, size),
            egui::Label::new(
                egui::RichText::new(*line)
                    .font(font.clone())
                    .color(Color32::from_gray(60)),
            )
            .wrap_mode(egui::TextWrapMode::Extend)
            .selectable(false),
        );
    }
    if !status.is_empty() {
        painter.text(
            rect.left_top() + Vec2::new(8.0, 8.0),
            egui::Align2::LEFT_TOP,
            status,
            egui::FontId::monospace(13.0),
            Color32::from_gray(30),
        );
    }
}

/// Draws the visible layers as `v` shows them in `rect`: R-tree culling, cached triangulations,
/// features under a pixel or two drawn as that pixel or their box.
pub fn paint_layers(painter: &egui::Painter, rect: Rect, v: &MapView, layers: &[MapLayer]) {
    use rayon::prelude::*;
    let visible_env = v.envelope(rect);
    for map_layer in layers
        .iter()
        .filter(|l| l.visible && l.layer.source.crs.known)
    {
        let hits: Vec<(usize, Envelope)> =
            map_layer.layer.index.query_envelopes(visible_env).collect();
        // Many features: shapes (and first triangulations) made on every core, in parts.
        let parts = if hits.len() < 20_000 {
            1
        } else {
            rayon::current_num_threads().max(1)
        };
        let drawn: Vec<(Vec<Shape>, Vec<Shape>)> = hits
            .par_chunks(hits.len().div_ceil(parts).max(1))
            .map(|part| layer_shapes(map_layer, part, v, rect))
            .collect();
        // Fills under outlines.
        let (fills, outlines): (Vec<_>, Vec<_>) = drawn.into_iter().unzip();
        painter.extend(fills.into_iter().flatten());
        painter.extend(outlines.into_iter().flatten());
    }
}

/// The fills and the outlines (with the features drawn as pixels or boxes) of some features of
/// a layer.
fn layer_shapes(
    map_layer: &MapLayer,
    hits: &[(usize, Envelope)],
    v: &MapView,
    rect: Rect,
) -> (Vec<Shape>, Vec<Shape>) {
    let layer = &map_layer.layer;
    let mut shapes = Vec::new();
    // Features smaller than a pixel are drawn as that pixel, once per pixel: the work per
    // frame is bounded by the screen, not by the number of features.
    let mut tiny = TinyPixels::new(rect);
    let mut fills = FillMeshes::default();
    let level = detail_level(v.points_per_deg);
    for &(id, env) in hits {
        let Some(g) = &layer.features[id].geometry else {
            continue;
        };
        // Features a filter leaves out are dimmed, not hidden: the context stays readable.
        let style = &map_layer.feature_style(id);
        let a = v.screen_from_world(
            rect,
            Coord {
                x: env.min_x,
                y: env.min_y,
            },
        );
        let b = v.screen_from_world(
            rect,
            Coord {
                x: env.max_x,
                y: env.max_y,
            },
        );
        let (w, h) = ((b.x - a.x).abs(), (a.y - b.y).abs());
        if !matches!(g, Geometry::Point(_)) {
            if w < 1.5 && h < 1.5 {
                tiny.mark(
                    Pos2::new((a.x + b.x) / 2.0, (a.y + b.y) / 2.0),
                    style.swatch(),
                );
                continue;
            }
            // A few points across: its box is what can be seen (and outlines this small only
            // make spiky miter joins).
            if w < 4.0 && h < 4.0 {
                tiny.rect(Rect::from_two_pos(a, b), style.swatch());
                continue;
            }
        }
        let filled = style.fill != Color32::TRANSPARENT;
        // Polygons at this zoom's level of detail: the triangles when filled, and the simplified
        // outline of a polygon of many vertices.
        let detail = if filled || is_detailed(g) {
            map_layer.detail(id, level)
        } else {
            None
        };
        if filled && let Some(detail) = &detail {
            fills.add(map_layer.fill(id, detail), v, rect, style.fill);
        }
        match detail.as_ref().and_then(|d| d.simplified.as_ref()) {
            Some(polygons) => {
                let stroke = Stroke::new(style.width, style.stroke);
                for p in polygons {
                    polygon_outline(p, v, rect, stroke, &mut shapes);
                }
            }
            None => geometry_shapes(g, v, rect, style, &mut shapes),
        }
    }
    shapes.extend(tiny.into_shapes());
    (fills.into_shapes(), shapes)
}

/// The most labels drawn in one frame.
const MAX_LABELS: usize = 400;

/// Labels of the labelled layers (top layer first), placed where they overlap no other label:
/// to the right of a point, else left, above or below; centred on a polygon. A name already
/// placed close by (a station's platforms on several lines) is not repeated.
fn labels(painter: &egui::Painter, rect: Rect, v: &MapView, layers: &[MapLayer], view: Envelope) {
    let font = egui::FontId::proportional(12.0);
    let mut placed: Vec<Rect> = Vec::new();
    let mut names: Vec<(String, Pos2)> = Vec::new();
    for l in layers
        .iter()
        .rev()
        .filter(|l| l.visible && l.layer.source.crs.known)
    {
        let Some(col) = l.label.as_deref().and_then(|f| l.layer.field_index(f)) else {
            continue;
        };
        for (id, env) in l.layer.index.query_envelopes(view) {
            if placed.len() >= MAX_LABELS {
                return;
            }
            let value = &l.layer.features[id].values[col];
            if value.is_null() || !l.passes(id) {
                continue;
            }
            let text = value.to_string();
            let centre = v.screen_from_world(
                rect,
                Coord {
                    x: (env.min_x + env.max_x) / 2.0,
                    y: (env.min_y + env.max_y) / 2.0,
                },
            );
            if !rect.contains(centre)
                || names
                    .iter()
                    .any(|(n, p)| *n == text && p.distance(centre) < 150.0)
            {
                continue;
            }
            let galley = painter.layout_no_wrap(text.clone(), font.clone(), Color32::from_gray(20));
            let size = galley.size();
            let gap = 6.0 + l.style.point_radius;
            let point_like = env.max_x - env.min_x < 1e-9 || l.style.point_radius > 0.0;
            let candidates = if point_like {
                vec![
                    centre + Vec2::new(gap, -size.y / 2.0),
                    centre + Vec2::new(-gap - size.x, -size.y / 2.0),
                    centre + Vec2::new(-size.x / 2.0, -gap - size.y),
                    centre + Vec2::new(-size.x / 2.0, gap),
                ]
            } else {
                vec![
                    centre - size / 2.0,
                    centre + Vec2::new(gap, -size.y / 2.0),
                    centre + Vec2::new(-size.x / 2.0, -gap - size.y),
                ]
            };
            let Some(at) = candidates.into_iter().find(|p| {
                let r = Rect::from_min_size(*p, size).expand(2.0);
                rect.contains_rect(r) && !placed.iter().any(|q| q.intersects(r))
            }) else {
                continue;
            };
            let box_ = Rect::from_min_size(at, size);
            painter.rect_filled(box_.expand(1.5), 2.0, Color32::from_white_alpha(205));
            painter.galley(at, galley, Color32::from_gray(20));
            placed.push(box_.expand(2.0));
            names.push((text, centre));
        }
    }
}

/// Whether a layer has something to show in `view`: visible, placed, and a feature there.
pub fn shown(l: &MapLayer, view: Envelope) -> bool {
    l.visible && l.layer.source.crs.known && l.layer.index.query_envelopes(view).next().is_some()
}

thread_local! {
    /// WGS84 → JGD2011 plane rectangular zone IX (Tokyo), made once for the cursor readout.
    static ZONE_IX: Option<crate::crs::Reprojector> = crate::crs::Reprojector::from_wgs84("EPSG:6677").ok();
}

/// The cursor position in lon/lat and in zone IX, written the surveyors' way (X = northing,
/// Y = easting).
pub fn cursor_text(c: Coord<f64>) -> String {
    let lon_lat = format!("{:.6}°E  {:.6}°N", c.x, c.y);
    let zone = ZONE_IX.with(|z| z.as_ref().and_then(|r| r.coord(c).ok()));
    match zone {
        Some(p) => format!("{lon_lat}   平面直角IX系 X {:.2} m  Y {:.2} m", p.y, p.x),
        None => lon_lat,
    }
}

/// Filled polygons of one layer for this frame: cached triangles moved to the screen.
#[derive(Default)]
struct FillMeshes {
    mesh: egui::Mesh,
    done: Vec<Shape>,
}

impl FillMeshes {
    fn add(&mut self, fill: &super::layers::Fill, v: &MapView, rect: Rect, color: Color32) {
        if self.mesh.vertices.len() + fill.vertices.len() >= u16::MAX as usize {
            self.done.push(Shape::mesh(std::mem::take(&mut self.mesh)));
        }
        let base = self.mesh.vertices.len() as u32;
        for [x, y] in &fill.vertices {
            let pos = v.screen_from_world(rect, Coord { x: *x, y: *y });
            self.mesh.vertices.push(egui::epaint::Vertex {
                pos,
                uv: egui::epaint::WHITE_UV,
                color,
            });
        }
        self.mesh
            .indices
            .extend(fill.indices.iter().map(|i| base + i));
    }

    fn into_shapes(mut self) -> Vec<Shape> {
        self.done.push(Shape::mesh(self.mesh));
        self.done
    }
}

/// One 1-point square per screen pixel that holds a feature too small to draw.
struct TinyPixels {
    origin: Pos2,
    width: usize,
    taken: Vec<bool>,
    mesh: egui::Mesh,
    /// Full meshes: each kept under 65,536 vertices, which some paths index with u16.
    done: Vec<Shape>,
}

impl TinyPixels {
    fn new(rect: Rect) -> Self {
        let width = rect.width().max(1.0) as usize + 1;
        let height = rect.height().max(1.0) as usize + 1;
        TinyPixels {
            origin: rect.min,
            width,
            taken: vec![false; width * height],
            mesh: egui::Mesh::default(),
            done: Vec::new(),
        }
    }

    fn mark(&mut self, p: Pos2, color: Color32) {
        let (dx, dy) = (p.x - self.origin.x, p.y - self.origin.y);
        if dx < 0.0 || dy < 0.0 {
            return;
        }
        let cell = dy as usize * self.width + dx as usize;
        if dx as usize >= self.width || cell >= self.taken.len() || self.taken[cell] {
            return;
        }
        self.taken[cell] = true;
        let min = Pos2::new(self.origin.x + dx.floor(), self.origin.y + dy.floor());
        self.mesh
            .add_colored_rect(Rect::from_min_size(min, Vec2::splat(1.0)), color);
        if self.mesh.vertices.len() >= u16::MAX as usize - 4 {
            self.done.push(Shape::mesh(std::mem::take(&mut self.mesh)));
        }
    }

    /// A small feature drawn as its screen box.
    fn rect(&mut self, r: Rect, color: Color32) {
        self.mesh.add_colored_rect(r.expand(0.5), color);
        if self.mesh.vertices.len() >= u16::MAX as usize - 4 {
            self.done.push(Shape::mesh(std::mem::take(&mut self.mesh)));
        }
    }

    fn into_shapes(mut self) -> Vec<Shape> {
        self.done.push(Shape::mesh(self.mesh));
        self.done
    }
}

/// A line's points on screen, dropping points within 0.7 points of the last one kept: they add
/// nothing visible, and their noisy directions make the stroke's miter joins spike far off.
fn ring_points(ring: &LineString<f64>, v: &MapView, rect: Rect) -> Vec<Pos2> {
    let mut out: Vec<Pos2> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let p = v.screen_from_world(rect, *c);
        if out.last().is_none_or(|last| last.distance_sq(p) > 0.49) {
            out.push(p);
        }
    }
    if let (Some(first), Some(last)) = (ring.0.first(), ring.0.last())
        && first != last
        && out.len() == 1
    {
        out.push(v.screen_from_world(rect, *last));
    }
    out
}

fn geometry_shapes(
    g: &Geometry<f64>,
    v: &MapView,
    rect: Rect,
    style: &super::Style,
    out: &mut Vec<Shape>,
) {
    let stroke = Stroke::new(style.width, style.stroke);
    match g {
        Geometry::Point(p) => {
            let c = v.screen_from_world(rect, p.0);
            out.push(Shape::circle_filled(c, style.point_radius, style.fill));
            out.push(Shape::circle_stroke(
                c,
                style.point_radius,
                Stroke::new(1.0, style.stroke),
            ));
        }
        Geometry::MultiPoint(mp) => {
            for p in mp {
                geometry_shapes(&Geometry::Point(*p), v, rect, style, out);
            }
        }
        Geometry::LineString(l) => out.push(Shape::line(ring_points(l, v, rect), stroke)),
        Geometry::MultiLineString(ml) => {
            for l in ml {
                out.push(Shape::line(ring_points(l, v, rect), stroke));
            }
        }
        // Outlines only here: the fills are meshes of cached triangles (`MapLayer::fill`).
        Geometry::Polygon(p) => polygon_outline(p, v, rect, stroke, out),
        Geometry::MultiPolygon(mp) => {
            for p in mp {
                polygon_outline(p, v, rect, stroke, out);
            }
        }
        Geometry::GeometryCollection(gc) => {
            for g in gc {
                geometry_shapes(g, v, rect, style, out);
            }
        }
        Geometry::Line(_) | Geometry::Rect(_) | Geometry::Triangle(_) => {
            let as_polygon: Option<Geometry<f64>> = match g {
                Geometry::Rect(r) => Some(r.to_polygon().into()),
                Geometry::Triangle(t) => Some(t.to_polygon().into()),
                Geometry::Line(l) => Some(LineString::from(vec![l.start, l.end]).into()),
                _ => None,
            };
            if let Some(g) = as_polygon {
                geometry_shapes(&g, v, rect, style, out);
            }
        }
    }
}

/// The rings of a polygon as closed lines.
fn polygon_outline(
    p: &Polygon<f64>,
    v: &MapView,
    rect: Rect,
    stroke: Stroke,
    out: &mut Vec<Shape>,
) {
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        let points = ring_points(ring, v, rect);
        // Fewer than 3 distinct points on screen: a closed stroke would fold back on itself
        // into a long miter spike.
        if points.len() >= 4 {
            out.push(Shape::closed_line(points, stroke));
        }
    }
}

/// A scale bar of a round length near 120 points, bottom left.
fn scale_bar(painter: &egui::Painter, rect: Rect, v: &MapView) {
    let target_m = v.metres_per_point() * 120.0;
    let magnitude = 10f64.powf(target_m.log10().floor());
    let length_m = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * magnitude)
        .filter(|l| *l <= target_m)
        .fold(magnitude, f64::max);
    let length_pt = (length_m / v.metres_per_point()) as f32;
    let start = Pos2::new(rect.left() + 12.0, rect.bottom() - 16.0);
    let end = start + Vec2::new(length_pt, 0.0);
    let stroke = Stroke::new(2.0, Color32::from_gray(30));
    painter.line_segment([start, end], stroke);
    painter.line_segment([start, start - Vec2::new(0.0, 6.0)], stroke);
    painter.line_segment([end, end - Vec2::new(0.0, 6.0)], stroke);
    let label = if length_m >= 1000.0 {
        format!("{} km", length_m / 1000.0)
    } else {
        format!("{length_m} m")
    };
    painter.text(
        start + Vec2::new(length_pt / 2.0, -8.0),
        egui::Align2::CENTER_BOTTOM,
        label,
        egui::FontId::proportional(12.0),
        Color32::from_gray(30),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_zone_ix_in_survey_order() {
        // Hino city hall: 139.3950°E 35.6713°N ↔ E −39681.26, N −36379.06 (../shared/STACK.md).
        let text = cursor_text(Coord {
            x: 139.3950,
            y: 35.6713,
        });
        assert!(
            text.contains("X -36379.06 m") && text.contains("Y -39681.26 m"),
            "{text}"
        );
    }

    #[test]
    fn screen_and_world_round_trip_and_zoom_keeps_anchor() {
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::new(800.0, 600.0));
        let mut v = MapView::fit(Envelope::new(139.35, 35.63, 139.45, 35.70), rect);
        let c = Coord {
            x: 139.395,
            y: 35.6713,
        };
        let p = v.screen_from_world(rect, c);
        let back = v.world_from_screen(rect, p);
        assert!((back.x - c.x).abs() < 1e-6 && (back.y - c.y).abs() < 1e-6);
        v.zoom_around(rect, p, 4.0);
        let p2 = v.screen_from_world(rect, c);
        assert!((p2 - p).length() < 0.01, "{p:?} {p2:?}");
    }
}
