//! Map tools besides identify: measure a distance or an area (geodesic), select by rectangle or
//! drawn polygon, and the site metrics of a drawn area. The map feeds clicks and drags to the
//! active tool ([`Drawing`]); the tool bar shows the result and what can be done with it.

use eframe::egui;
use egui::{Color32, Pos2, Rect, Stroke, Vec2};
use geo_types::{Coord, Geometry, LineString, Polygon};

use super::identify::group;
use super::{Command, Document, Edit, Lang, LayerId, MapView};
use crate::analysis::measure::Measures;
use crate::analysis::site::SiteMetrics;

/// What a click on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tool {
    #[default]
    Identify,
    /// Click points of a line; double click ends it.
    Distance,
    /// Click the corners of an area; double click closes it.
    Area,
    /// Drag a rectangle to select the features of the target layer it touches.
    SelectBox,
    /// Click a polygon's corners; double click closes it and selects what it touches.
    SelectPolygon,
}

/// The active tool and what has been drawn with it, in lon/lat.
#[derive(Debug, Clone, Default)]
pub struct Drawing {
    pub tool: Tool,
    pub points: Vec<Coord<f64>>,
    /// The line or polygon is complete (a new click starts another).
    pub finished: bool,
    /// Where a box drag started.
    pub drag_start: Option<Coord<f64>>,
    /// The layer selections go to.
    pub target: Option<LayerId>,
    /// Site metrics of the drawn area, once asked for.
    pub metrics: Option<Result<SiteMetrics, String>>,
}

impl Drawing {
    pub fn set_tool(&mut self, tool: Tool) {
        *self = Drawing {
            tool,
            target: self.target,
            ..Default::default()
        };
    }

    /// The drawn geometry: a line (Distance) or a closed polygon (Area, SelectPolygon).
    pub fn geometry(&self) -> Option<Geometry<f64>> {
        match self.tool {
            Tool::Distance if self.points.len() >= 2 => {
                Some(Geometry::LineString(LineString::new(self.points.clone())))
            }
            Tool::Area | Tool::SelectPolygon if self.points.len() >= 3 => {
                let mut ring = self.points.clone();
                ring.push(ring[0]);
                Some(Geometry::Polygon(Polygon::new(
                    LineString::new(ring),
                    vec![],
                )))
            }
            _ => None,
        }
    }

    /// Handles the map's input for the active tool; returns true when it took the click (no
    /// identify then).
    pub fn input(
        &mut self,
        response: &egui::Response,
        view: &MapView,
        rect: Rect,
        commands: &mut Vec<Command>,
    ) -> bool {
        let world = |p: Pos2| view.world_from_screen(rect, p);
        let (escape, enter) = response.ctx.input(|i| {
            (
                i.key_pressed(egui::Key::Escape),
                i.key_pressed(egui::Key::Enter),
            )
        });
        if escape {
            self.points.clear();
            self.finished = false;
            self.metrics = None;
        }
        match self.tool {
            Tool::Identify => false,
            Tool::SelectBox => {
                // From where the button went down (a drag starts a few points later).
                if response.drag_started()
                    && let Some(p) = response
                        .ctx
                        .input(|i| i.pointer.press_origin())
                        .or(response.interact_pointer_pos())
                {
                    self.drag_start = Some(world(p));
                }
                if let (Some(a), Some(p)) = (self.drag_start, response.interact_pointer_pos()) {
                    let b = world(p);
                    self.points = vec![a, Coord { x: b.x, y: a.y }, b, Coord { x: a.x, y: b.y }];
                    self.finished = false;
                }
                if response.drag_stopped() && self.drag_start.take().is_some() {
                    self.finished = true;
                    self.select(commands);
                }
                true
            }
            Tool::Distance | Tool::Area | Tool::SelectPolygon => {
                let close = response.double_clicked() || (enter && !self.points.is_empty());
                if close {
                    // The double click's first click added its point already.
                    self.finished = true;
                    if self.tool == Tool::SelectPolygon {
                        self.select(commands);
                    }
                } else if response.clicked()
                    && let Some(p) = response.interact_pointer_pos()
                {
                    if self.finished {
                        self.points.clear();
                        self.finished = false;
                        self.metrics = None;
                    }
                    self.points.push(world(p));
                }
                true
            }
        }
    }

    fn select(&self, commands: &mut Vec<Command>) {
        if let (Some(layer), Some(area)) = (self.target, self.selection_polygon()) {
            commands.push(Edit::SelectWithin { layer, area }.into());
        }
    }

    /// The area a box or polygon selection covers.
    fn selection_polygon(&self) -> Option<Polygon<f64>> {
        if self.points.len() < 3 {
            return None;
        }
        let mut ring = self.points.clone();
        ring.push(ring[0]);
        Some(Polygon::new(LineString::new(ring), vec![]))
    }

    /// Draws what has been drawn, with a rubber band to the pointer while drawing.
    pub fn paint(&self, painter: &egui::Painter, view: &MapView, rect: Rect, hover: Option<Pos2>) {
        if self.tool == Tool::Identify || self.points.is_empty() {
            return;
        }
        let colour = Color32::from_rgb(255, 110, 0);
        let mut screen: Vec<Pos2> = self
            .points
            .iter()
            .map(|&c| view.screen_from_world(rect, c))
            .collect();
        let drawing = !self.finished && self.drag_start.is_none();
        if drawing
            && self.tool != Tool::SelectBox
            && let Some(h) = hover
        {
            screen.push(h);
        }
        let closed = matches!(
            self.tool,
            Tool::Area | Tool::SelectPolygon | Tool::SelectBox
        );
        if closed && screen.len() >= 3 {
            let mut outline = screen.clone();
            outline.push(screen[0]);
            painter.add(egui::Shape::line(outline, Stroke::new(2.5, colour)));
        } else {
            painter.add(egui::Shape::line(screen.clone(), Stroke::new(2.5, colour)));
        }
        for p in &screen[..self.points.len().min(screen.len())] {
            painter.circle(*p, 3.5, Color32::WHITE, Stroke::new(1.5, colour));
        }
        // The measure beside the last point.
        if let Some(text) = self.measure_text(Lang::Ja)
            && let Some(&last) = screen.last()
        {
            let galley = painter.layout_no_wrap(
                text,
                egui::FontId::proportional(13.0),
                Color32::from_gray(20),
            );
            let at = last + Vec2::new(10.0, -22.0);
            painter.rect_filled(
                Rect::from_min_size(at, galley.size()).expand(3.0),
                3.0,
                Color32::from_white_alpha(230),
            );
            painter.galley(at, galley, Color32::from_gray(20));
        }
    }

    /// "1.23 km" / "4,500 m² (0.45 ha)" of what is drawn.
    pub fn measure_text(&self, lang: Lang) -> Option<String> {
        let g = self.geometry()?;
        let m = Measures::of(&g);
        match (self.tool, m.area_m2, m.length_m) {
            (Tool::Distance, _, Some(l)) => Some(length_text(l)),
            (Tool::Area | Tool::SelectPolygon, Some(a), Some(l)) => Some(format!(
                "{}  ({} {})",
                area_text(a),
                lang.t("周長", "perimeter"),
                length_text(l)
            )),
            _ => None,
        }
    }
}

pub fn length_text(m: f64) -> String {
    if m >= 1000.0 {
        format!("{:.3} km", m / 1000.0)
    } else {
        format!("{} m", group(m, 1))
    }
}

pub fn area_text(m2: f64) -> String {
    format!("{} m² ({:.4} ha)", group(m2, 0), m2 / 10_000.0)
}

/// The tool bar above the map: tool choice, the measure, the selection target, and the drawn
/// area's metrics.
pub fn tools_ui(
    ui: &mut egui::Ui,
    drawing: &mut Drawing,
    doc: &Document,
    commands: &mut Vec<Command>,
) {
    let lang = doc.lang;
    ui.horizontal_wrapped(|ui| {
        let mut tool = drawing.tool;
        ui.selectable_value(&mut tool, Tool::Identify, lang.t("情報", "Identify"));
        ui.selectable_value(&mut tool, Tool::Distance, lang.t("距離", "Distance"));
        ui.selectable_value(&mut tool, Tool::Area, lang.t("面積・区域", "Area"));
        ui.selectable_value(
            &mut tool,
            Tool::SelectBox,
            lang.t("矩形で選択", "Select box"),
        );
        ui.selectable_value(
            &mut tool,
            Tool::SelectPolygon,
            lang.t("多角形で選択", "Select polygon"),
        );
        if tool != drawing.tool {
            drawing.set_tool(tool);
        }
        if matches!(tool, Tool::SelectBox | Tool::SelectPolygon) {
            ui.separator();
            super::layers_panel::layer_choice(
                ui,
                "select-target",
                lang.t("選択するレイヤ", "Select from"),
                doc,
                &mut drawing.target,
            );
        }
        match tool {
            Tool::Identify => {}
            _ if drawing.points.is_empty() => {
                ui.weak(match tool {
                    Tool::SelectBox => lang.t("地図上をドラッグ", "Drag on the map"),
                    _ => lang.t(
                        "地図をクリックして点を追加、ダブルクリックで終了、Esc で取消",
                        "Click to add points, double-click to finish, Esc to clear",
                    ),
                });
            }
            _ => {
                if let Some(text) = drawing.measure_text(lang) {
                    ui.separator();
                    ui.strong(text);
                }
                if tool == Tool::Area
                    && drawing.finished
                    && ui
                        .button(lang.t("この区域の立地指標", "Site metrics of this area"))
                        .clicked()
                {
                    commands.push(Command::DrawnAreaMetrics);
                }
            }
        }
    });
}

/// The drawn area's metrics, in a window.
pub fn metrics_window(ctx: &egui::Context, drawing: &mut Drawing, lang: Lang) {
    let Some(result) = &drawing.metrics else {
        return;
    };
    let mut open = true;
    egui::Window::new(lang.t("描いた区域の立地指標", "Site metrics of the drawn area"))
        .open(&mut open)
        .default_width(360.0)
        .show(ctx, |ui| match result {
            Ok(m) => {
                egui::Grid::new("drawn-metrics")
                    .num_columns(2)
                    .striped(true)
                    .show(ui, |ui| {
                        for (label, value) in metric_rows(m, lang) {
                            ui.label(label);
                            ui.label(value);
                            ui.end_row();
                        }
                    });
                ui.weak(lang.t(
                    "プロジェクトの用途地域・駅・IC・企業から計算（測地線）",
                    "From the project's zoning, stations, ICs and enterprises (geodesic)",
                ));
            }
            Err(e) => {
                ui.colored_label(Color32::from_rgb(200, 30, 30), e);
            }
        });
    if !open {
        drawing.metrics = None;
    }
}

/// The metrics as (label, value) rows.
pub fn metric_rows(m: &SiteMetrics, lang: Lang) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut push = |ja: &str, en: &str, v: String| rows.push((lang.t(ja, en).to_string(), v));
    if let Some(a) = m.measures.area_m2 {
        let tsubo = m.measures.area_tsubo().unwrap_or_default();
        push(
            "面積",
            "Area",
            format!("{}\n{} 坪", area_text(a), group(tsubo, 0)),
        );
    }
    push(
        "用途地域の内訳",
        "Zoning mix",
        m.zoning_text().unwrap_or_else(|| "—".into()),
    );
    let pct = |v: Option<f64>| v.map_or("—".into(), |v| format!("{v:.0} %"));
    push("建蔽率", "Building coverage", pct(m.coverage_pct));
    push("容積率", "Floor area ratio", pct(m.floor_area_pct));
    if let Some(note) = &m.zoning_note {
        push("用途地域の注記", "Zoning note", note.clone());
    }
    if let (Some(a), Some(c), Some(f)) = (m.measures.area_m2, m.coverage_pct, m.floor_area_pct) {
        push(
            "最大建築面積",
            "Max footprint",
            format!("{} m²", group(a * c / 100.0, 0)),
        );
        push(
            "最大延床面積",
            "Max floor area",
            format!("{} m²", group(a * f / 100.0, 0)),
        );
    }
    let near = |v: &Option<(String, f64)>| {
        v.as_ref()
            .map_or("—".into(), |(n, d)| format!("{n}  {}", length_text(*d)))
    };
    push("最寄り駅", "Nearest station", near(&m.station));
    push("最寄りIC", "Nearest IC", near(&m.interchange));
    let count = |v: Option<usize>| v.map_or("—".into(), |n| n.to_string());
    push(
        "500 m 内の企業数",
        "Firms within 500 m",
        count(m.enterprises_near),
    );
    push(
        "1 km 内の企業数",
        "Firms within 1 km",
        count(m.enterprises_wide),
    );
    push(
        "市内",
        "In the city",
        match m.in_city {
            Some(true) => lang.t("はい", "yes").into(),
            Some(false) => lang.t("いいえ", "no").into(),
            None => "—".into(),
        },
    );
    rows
}
