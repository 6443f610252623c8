//! Layers drawn as egui shapes for a view: R-tree culling, cached triangulations at the zoom's
//! level of detail, features under a pixel or two drawn as that pixel or their box, outlines
//! with their sharp corners cut (no miter spikes), and labels placed without overlaps. The
//! window's layer image, map images and site sheets all draw through here.

use eframe::egui;
use egui::{Color32, Pos2, Rect, Shape, Stroke, Vec2};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::detail::{detail_level, is_detailed};
use super::map::MapView;
use super::map_layer::MapLayer;
use crate::model::Envelope;

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
pub fn labels(
    painter: &egui::Painter,
    rect: Rect,
    v: &MapView,
    layers: &[MapLayer],
    view: Envelope,
) {
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

/// Filled polygons of one layer for this frame: cached triangles moved to the screen.
#[derive(Default)]
struct FillMeshes {
    mesh: egui::Mesh,
    done: Vec<Shape>,
}

impl FillMeshes {
    fn add(&mut self, fill: &super::detail::Fill, v: &MapView, rect: Rect, color: Color32) {
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

pub fn geometry_shapes(
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

/// The rings of a polygon as outlines with their sharp corners cut. egui joins a closed line's
/// corners with unbounded miters, so a ring with a needle-sharp angle (real coastlines and
/// parcel slivers have them) draws a spike hundreds of points long; an open line's corners
/// sharper than a right angle are bevelled instead, reaching at most twice the half-width from
/// the vertex. So each ring is drawn as an open line that starts and ends in the middle of its
/// first edge, where the seam is a straight join.
pub fn polygon_outline(
    p: &Polygon<f64>,
    v: &MapView,
    rect: Rect,
    stroke: Stroke,
    out: &mut Vec<Shape>,
) {
    for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
        let mut points = ring_points(ring, v, rect);
        // Fewer than 3 distinct points on screen: nothing to outline but a fold.
        if points.len() < 4 {
            continue;
        }
        if points.first() == points.last() {
            points.pop();
        }
        let seam = points[0].lerp(points[1], 0.5);
        points.insert(1, seam);
        points.rotate_left(1);
        points.push(seam);
        out.push(Shape::line(points, stroke));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::raster::Headless;

    /// Screen distance from `p` to the segment a–b.
    fn to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
        let ab = b - a;
        let t = ((p - a).dot(ab) / ab.length_sq()).clamp(0.0, 1.0);
        p.distance(a + ab * t)
    }

    /// The farthest painted pixel from the outline of `ring` (on screen), drawing the shapes
    /// `draw` makes.
    fn farthest_ink(ring: &[Pos2], draw: impl Fn(&mut Vec<Shape>)) -> f32 {
        let size = Vec2::new(400.0, 300.0);
        let mut headless = Headless::new(size, 1.0);
        let frame = headless.frame(|ui| {
            let mut shapes = Vec::new();
            draw(&mut shapes);
            ui.painter().extend(shapes);
        });
        let mut farthest = 0.0f32;
        for y in 0..size.y as usize {
            for x in 0..size.x as usize {
                let [r, g, b, _] = frame.canvas.rgba(x, y);
                // Ink: anything visibly darker than the white background.
                if r.min(g).min(b) > 200 {
                    continue;
                }
                let p = Pos2::new(x as f32 + 0.5, y as f32 + 0.5);
                let d = ring
                    .windows(2)
                    .map(|s| to_segment(p, s[0], s[1]))
                    .fold(f32::MAX, f32::min);
                farthest = farthest.max(d);
            }
        }
        farthest
    }

    /// A needle of a polygon (a 3° angle, as real coastlines and parcel slivers have) outlined
    /// 6 points wide: no ink farther from the outline than twice the half-width plus
    /// anti-aliasing. egui's closed lines join corners with unbounded miters, which reach about
    /// 19 half-widths out here.
    #[test]
    fn sharp_angles_draw_no_spikes() {
        let rect = Rect::from_min_size(Pos2::ZERO, Vec2::new(400.0, 300.0));
        let extent = Envelope::new(139.0, 35.0, 139.01, 35.006);
        let v = MapView::fit(extent, rect);
        let ring: Vec<Coord<f64>> = [
            (139.001, 35.001),
            (139.009, 35.003),
            (139.001, 35.0014),
            (139.0015, 35.005),
            (139.001, 35.001),
        ]
        .map(|(x, y)| Coord { x, y })
        .into();
        let polygon = Polygon::new(LineString(ring.clone()), vec![]);
        let on_screen: Vec<Pos2> = ring.iter().map(|c| v.screen_from_world(rect, *c)).collect();
        let width = 6.0;
        let stroke = Stroke::new(width, Color32::BLACK);

        let ours = farthest_ink(&on_screen, |out| {
            polygon_outline(&polygon, &v, rect, stroke, out)
        });
        assert!(ours <= width + 1.5, "ink {ours} pt from the outline");

        // The spike this avoids: the same ring as egui's closed line.
        let mitred = farthest_ink(&on_screen, |out| {
            out.push(Shape::closed_line(on_screen[..4].to_vec(), stroke))
        });
        assert!(mitred > 4.0 * width, "closed line reached only {mitred} pt");
    }
}
