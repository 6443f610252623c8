//! The map canvas: a local equirectangular projection around the first view's latitude, drag to
//! pan, wheel / pinch / +/− to zoom around the cursor, the selection highlighted, scale bar,
//! cursor coordinates (lon/lat and the plane rectangular zone there) and the credits of the
//! visible layers. The layers themselves are drawn by [`super::draw`] (directly, or through the
//! window's [`super::layer_image::LayerImage`]).

use std::cell::RefCell;
use std::collections::HashMap;

use eframe::egui;
use egui::{Color32, Pos2, Rect, Sense, Stroke, Vec2};
use geo_types::Coord;

use super::draw::{geometry_shapes, labels, paint_layers};
use super::tools::{Drawing, Tool};
use super::{Command, Document, Edit, MapLayer, Selection};
use crate::crs::Reprojector;
use crate::crs::zones::{self, Datum};
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
        crate::model::M_PER_DEG / self.points_per_deg
    }
}

/// Screen distance within which a click identifies a feature.
const PICK_RADIUS_PT: f64 = 6.0;

/// What the map shows besides the layers.
pub struct Extras<'a> {
    /// The 参考図 notice and the sample banner on the map (a site sheet prints its own).
    pub notices: bool,
    /// The credits of what is shown, and the cursor readout, on the map (map images and sheets
    /// print credits beside it).
    pub credits: bool,
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
    doc: &Document,
    highlight: Option<&Selection>,
    extras: Extras<'_>,
    commands: &mut Vec<Command>,
) {
    let layers = doc.layers();
    let Extras {
        notices,
        credits: credits_on_map,
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
        commands.push(
            Edit::IdentifyAt {
                lon: c.x,
                lat: c.y,
                tolerance_m: PICK_RADIUS_PT * v.metres_per_point(),
            }
            .into(),
        );
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

    if let Some(sel) = highlight
        && let Some(map_layer) = doc.layer(sel.layer).filter(|l| l.layer.source.crs.known)
    {
        let highlight = MapLayer::highlight_style(map_layer);
        let mut shapes = Vec::new();
        // A feature the server identified is drawn whole, not as its simplified row.
        let fetched = sel.fetched.as_ref().and_then(|f| f.geometry.as_ref());
        let rows = sel
            .features
            .iter()
            .filter(|_| fetched.is_none())
            .filter_map(|&id| map_layer.layer.features.get(id)?.geometry.as_ref());
        for g in fetched.into_iter().chain(rows) {
            geometry_shapes(g, &v, rect, &highlight, &mut shapes);
        }
        painter.extend(shapes);
    }

    labels(&painter, rect, &v, layers, visible_env);
    if let Some(d) = &drawing {
        d.paint(&painter, &v, rect, response.hover_pos());
    }
    scale_bar(&painter, rect, &v);
    if notices {
        notices_ui(ui, rect, layers, visible_env);
        cap_notes_ui(ui, rect, layers, doc.lang);
    }
    if credits_on_map {
        let credits = credits(layers, visible_env, basemap_credit.as_deref());
        credits_ui(ui, &painter, rect, &credits);
        if let Some(p) = response.hover_pos() {
            painter.text(
                rect.left_top() + Vec2::new(8.0, 8.0),
                egui::Align2::LEFT_TOP,
                cursor_text(v.world_from_screen(rect, p), layers),
                egui::FontId::monospace(13.0),
                Color32::from_gray(30),
            );
        }
    }
}

/// For each visible partial layer (a PostGIS table) whose rows the cap cut: how many are shown
/// of how many, asking to zoom in. At the bottom, above the scale bar.
fn cap_notes_ui(ui: &mut egui::Ui, rect: Rect, layers: &[MapLayer], lang: super::Lang) {
    let notes = layers.iter().filter(|l| l.visible).filter_map(|l| {
        let note = l.partial.as_ref()?.cap_note(l.layer.features.len(), lang)?;
        Some(format!("{}: {note}", l.title))
    });
    for (k, note) in notes.enumerate() {
        let text = egui::RichText::new(note)
            .color(Color32::from_rgb(20, 20, 90))
            .background_color(Color32::from_rgba_unmultiplied(235, 240, 255, 230))
            .size(12.0);
        let at = Rect::from_min_size(
            rect.left_bottom() + Vec2::new(8.0, -60.0 - 20.0 * k as f32),
            Vec2::new(rect.width() - 16.0, 18.0),
        );
        ui.put(at, egui::Label::new(text).selectable(false));
    }
}

/// The 参考図 notice when zoning is shown, and the banner when fictional sample data is: both
/// about what the view shows.
fn notices_ui(ui: &mut egui::Ui, rect: Rect, layers: &[MapLayer], view: Envelope) {
    let shown: Vec<&MapLayer> = layers.iter().filter(|l| shown(l, view)).collect();
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
}

/// The credit lines of the basemap and of the layers shown in `view`, each once.
pub fn credits(layers: &[MapLayer], view: Envelope, basemap: Option<&str>) -> Vec<String> {
    let mut credits: Vec<String> = basemap.map(str::to_string).into_iter().collect();
    for l in layers.iter().filter(|l| shown(l, view)) {
        if let Some(c) = &l.layer.meta.credit
            && !credits.contains(c)
        {
            credits.push(c.clone());
        }
    }
    credits
}

/// Credit lines at the map's lower right, as labels (not painted text), so screen readers and
/// tests find them.
fn credits_ui(ui: &mut egui::Ui, painter: &egui::Painter, rect: Rect, credits: &[String]) {
    let font = egui::FontId::proportional(11.0);
    let mut y = rect.bottom() - 4.0;
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
                egui::RichText::new(line)
                    .font(font.clone())
                    .color(Color32::from_gray(60)),
            )
            .wrap_mode(egui::TextWrapMode::Extend)
            .selectable(false),
        );
    }
}

/// Whether a layer has something to show in `view`: visible, placed, and a feature there.
pub fn shown(l: &MapLayer, view: Envelope) -> bool {
    l.visible && l.layer.source.crs.known && l.layer.index.query_envelopes(view).next().is_some()
}

thread_local! {
    /// WGS84 → JGD2011 plane rectangular zones, made once per zone for the cursor readout.
    static ZONES: RefCell<HashMap<u32, Option<Reprojector>>> = RefCell::default();
}

/// The cursor position in lon/lat and in the plane rectangular zone there, written the
/// surveyors' way (X = northing, Y = easting). The zone is that of a shown layer kept in a
/// plane rectangular CRS, else the zone whose area the point lies in ([`zones::zone_at`]).
pub fn cursor_text(c: Coord<f64>, layers: &[MapLayer]) -> String {
    let lon_lat = format!("{:.6}°E  {:.6}°N", c.x, c.y);
    let own = layers
        .iter()
        .rev()
        .filter(|l| l.visible && l.layer.source.crs.known)
        .filter(|l| {
            l.layer.index.bbox().is_some_and(|e| {
                (e.min_x..=e.max_x).contains(&c.x) && (e.min_y..=e.max_y).contains(&c.y)
            })
        })
        .find_map(|l| zones::zone_of_epsg(l.layer.source.crs.epsg?));
    let Some(zone) = own.or_else(|| zones::zone_at(c.x, c.y)) else {
        return lon_lat;
    };
    let projected = ZONES.with(|z| {
        let mut z = z.borrow_mut();
        let r = z.entry(zone).or_insert_with(|| {
            let code = zones::plane_rectangular_epsg(Datum::Jgd2011, zone)?;
            Reprojector::from_wgs84(&format!("EPSG:{code}")).ok()
        });
        r.as_ref().and_then(|r| r.coord(c).ok())
    });
    match projected {
        Some(p) => format!(
            "{lon_lat}   平面直角{}系 X {:.2} m  Y {:.2} m",
            zones::roman(zone),
            p.y,
            p.x
        ),
        None => lon_lat,
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
        let text = cursor_text(
            Coord {
                x: 139.3950,
                y: 35.6713,
            },
            &[],
        );
        assert!(
            text.contains("平面直角IX系 X -36379.06 m") && text.contains("Y -39681.26 m"),
            "{text}"
        );
    }

    #[test]
    fn cursor_over_tottori_reads_zone_v() {
        // Tottori prefectural office, 134.2383°E 35.5039°N: zone V (origin 134°20′E 36°N);
        // cs2cs EPSG:4326 EPSG:6673 gives X −55034.8 m, Y −8621.0 m.
        let text = cursor_text(
            Coord {
                x: 134.2383,
                y: 35.5039,
            },
            &[],
        );
        assert!(text.contains("平面直角V系"), "{text}");
        let number = |after: &str| -> f64 {
            let rest = &text[text.find(after).unwrap() + after.len()..];
            rest.split_whitespace().next().unwrap().parse().unwrap()
        };
        assert!((number("系 X ") + 55_034.8).abs() < 0.1, "{text}");
        assert!((number("m  Y ") + 8_621.0).abs() < 0.1, "{text}");
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
