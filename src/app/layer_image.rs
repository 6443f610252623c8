//! The map's layers drawn once into an image that follows the view by transform: a pan or zoom
//! frame costs one textured rectangle, whatever the number of features. The layers are drawn
//! again when the view has rested for a moment, on a thread (from clones of the layers, which
//! share their data) while the window goes on showing the old image moved; at once while a
//! redraw is cheap (street level stays live). What changes the drawing (visibility, order,
//! style, opacity, filter, categories) redraws at once; new rows of a PostGIS layer (fetched
//! for the view) redraw on a thread like a rested view, so their arrival never stalls a drag.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::{Duration, Instant};

use eframe::egui;
use egui::{Color32, Pos2, Rect};

use super::MapLayer;
use super::draw;
use super::map::MapView;
use super::raster::Headless;

/// When the layers are drawn again.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Redraw at every change of view while a redraw costs less than this.
    pub live_below: Duration,
    /// How long the view rests before a costlier redraw.
    pub settle: Duration,
    /// Whether that redraw runs on a thread (the window) or in the frame (benchmarks, tests).
    pub background: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            live_below: Duration::from_millis(12),
            settle: Duration::from_millis(200),
            background: true,
        }
    }
}

/// The layers as last drawn, and when to draw them again.
pub struct LayerImage {
    pub policy: Policy,
    /// What the last redraw cost (drawing, tessellation, rasterisation and upload).
    pub last_cost: Duration,
    /// Redraws so far.
    pub redraws: usize,
    drawn: Option<Drawn>,
    headless: Option<Headless>,
    texture: Option<egui::TextureHandle>,
    /// A redraw running on a thread.
    job: Option<Job>,
    /// The view of the last frame, and when it last changed.
    seen: Option<MapView>,
    moved_at: Instant,
}

/// A redraw on a thread: what it will show, and where its image will come.
struct Job {
    drawn: Drawn,
    done: Receiver<Done>,
}

/// A finished redraw, with the headless context it used (kept for the next one).
struct Done {
    image: egui::ColorImage,
    cost: Duration,
    headless: Headless,
}

/// What the image shows.
#[derive(Clone, Copy)]
struct Drawn {
    view: MapView,
    /// The map's rectangle it was drawn for.
    viewport: Rect,
    /// The image's rectangle: the viewport, or the viewport with a margin around it (same
    /// centre, so the same view maps the world onto both).
    rect: Rect,
    ppp: f32,
    signature: u64,
    /// The part of `signature` that is not rows of partial layers: what redraws at once.
    look: u64,
}

/// The margin drawn around the view by a redraw that cannot follow the view live (made once the
/// view rests), as a fraction of its width and height on each side: a drag of up to this much
/// shows features, not a blank edge.
const MARGIN: f32 = 0.25;

impl Default for LayerImage {
    fn default() -> Self {
        LayerImage {
            policy: Policy::default(),
            last_cost: Duration::ZERO,
            redraws: 0,
            drawn: None,
            headless: None,
            texture: None,
            job: None,
            seen: None,
            moved_at: Instant::now(),
        }
    }
}

impl LayerImage {
    /// Shows the layers as `v` sees them in `rect`: the image moved and scaled, drawn again
    /// first if it is out of date (see the module text).
    pub fn paint(
        &mut self,
        ctx: &egui::Context,
        painter: &egui::Painter,
        v: &MapView,
        rect: Rect,
        layers: &[MapLayer],
    ) {
        let now = Instant::now();
        if self.seen != Some(*v) {
            self.seen = Some(*v);
            self.moved_at = now;
        }
        self.collect(ctx);
        let ppp = ctx.pixels_per_point();
        let mut drawn = Drawn {
            view: *v,
            viewport: rect,
            rect,
            ppp,
            signature: signature(layers, MapLayer::generation),
            look: signature(layers, MapLayer::look_generation),
        };
        // A redraw too costly to follow the view (it waits for the view to rest, or a style
        // change on such layers) draws a margin around the view, for the next drag to uncover.
        if self.drawn.is_some() && self.last_cost >= self.policy.live_below {
            drawn.rect = with_margin(rect, ppp, ctx.input(|i| i.max_texture_side));
        }
        match self.needs(&drawn, now) {
            Redraw::No => {}
            Redraw::Later(wait) => ctx.request_repaint_after(wait),
            Redraw::Now => {
                // A thread's image would be of the old layers.
                self.job = None;
                let started = Instant::now();
                let mut headless = self.headless_for(drawn.rect.size(), ppp);
                let image = draw(&mut headless, &drawn, layers);
                self.headless = Some(headless);
                self.install(ctx, image, drawn, started.elapsed());
            }
            Redraw::OnThread => {
                let mut headless = self.headless_for(drawn.rect.size(), ppp);
                let layers = layers.to_vec();
                let (tx, rx) = channel();
                let repaint = ctx.clone();
                std::thread::spawn(move || {
                    let started = Instant::now();
                    let image = draw(&mut headless, &drawn, &layers);
                    let cost = started.elapsed();
                    let _ = tx.send(Done {
                        image,
                        cost,
                        headless,
                    });
                    repaint.request_repaint();
                });
                self.job = Some(Job { drawn, done: rx });
            }
        }
        self.show(painter, v, rect, ppp);
    }

    /// Whether and how to draw the layers again for `want`.
    fn needs(&self, want: &Drawn, now: Instant) -> Redraw {
        let Some(d) = &self.drawn else {
            return Redraw::Now;
        };
        if d.look != want.look || d.viewport.size() != want.viewport.size() || d.ppp != want.ppp {
            return Redraw::Now;
        }
        let new_rows = d.signature != want.signature;
        if !new_rows && d.view == want.view && d.viewport == want.viewport {
            return Redraw::No;
        }
        if self.last_cost < self.policy.live_below {
            return Redraw::Now;
        }
        if self.job.is_some() {
            // One at a time; when it lands, the view is looked at again.
            return Redraw::No;
        }
        let rested = now.duration_since(self.moved_at);
        if rested < self.policy.settle && !(new_rows && d.view == want.view) {
            Redraw::Later(self.policy.settle - rested)
        } else if self.policy.background {
            Redraw::OnThread
        } else {
            Redraw::Now
        }
    }

    /// Takes in a finished thread's image.
    fn collect(&mut self, ctx: &egui::Context) {
        let Some(job) = &self.job else {
            return;
        };
        match job.done.try_recv() {
            Ok(done) => {
                let drawn = job.drawn;
                self.job = None;
                self.headless = Some(done.headless);
                self.install(ctx, done.image, drawn, done.cost);
            }
            Err(TryRecvError::Empty) => {}
            // The thread failed: the old image stays, the next frame tries again.
            Err(TryRecvError::Disconnected) => self.job = None,
        }
    }

    /// A headless context of this size, reused when it fits.
    fn headless_for(&mut self, size: egui::Vec2, ppp: f32) -> Headless {
        match self.headless.take() {
            Some(h) if h.size() == (size, ppp) => h,
            _ => {
                let mut h = Headless::new(size, ppp);
                h.background = Color32::TRANSPARENT;
                h
            }
        }
    }

    fn install(
        &mut self,
        ctx: &egui::Context,
        image: egui::ColorImage,
        drawn: Drawn,
        cost: Duration,
    ) {
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture =
                    Some(ctx.load_texture("sitelens-layers", image, egui::TextureOptions::LINEAR))
            }
        }
        self.drawn = Some(drawn);
        self.redraws += 1;
        self.last_cost = cost;
    }

    /// Whether the image shows these layers as they are now (at whatever view).
    pub fn shows(&self, layers: &[MapLayer]) -> bool {
        self.drawn
            .as_ref()
            .is_some_and(|d| d.signature == signature(layers, MapLayer::generation))
    }

    /// Whether the image shows exactly this view (no transform pending a redraw).
    pub fn is_current(&self, v: &MapView, rect: Rect) -> bool {
        self.drawn
            .as_ref()
            .is_some_and(|d| d.view == *v && d.viewport == rect)
    }

    /// The image where the current view puts the world it shows.
    fn show(&self, painter: &egui::Painter, v: &MapView, rect: Rect, ppp: f32) {
        let (Some(d), Some(texture)) = (&self.drawn, &self.texture) else {
            return;
        };
        let a = v.screen_from_world(rect, d.view.world_from_screen(d.rect, d.rect.min));
        let b = v.screen_from_world(rect, d.view.world_from_screen(d.rect, d.rect.max));
        let mut at = Rect::from_two_pos(a, b);
        if (at.size() - d.rect.size()).length() < 1e-3 {
            // Same scale: whole pixels, so texels are copied, not resampled.
            let snap = |x: f32| (x * ppp).round() / ppp;
            at = Rect::from_min_size(Pos2::new(snap(at.min.x), snap(at.min.y)), d.rect.size());
        }
        let mut mesh = egui::Mesh::with_texture(texture.id());
        mesh.add_rect_with_uv(
            at,
            Rect::from_min_max(Pos2::ZERO, Pos2::new(1.0, 1.0)),
            Color32::WHITE,
        );
        painter.add(egui::Shape::mesh(mesh));
    }
}

enum Redraw {
    No,
    /// Not yet: look again after this long.
    Later(Duration),
    Now,
    OnThread,
}

/// `viewport` grown by `MARGIN` on each side, as far as the largest texture allows.
fn with_margin(viewport: Rect, ppp: f32, max_texture_side: usize) -> Rect {
    let max_side = max_texture_side as f32 / ppp.max(0.01);
    let grow = |len: f32| {
        (len * MARGIN)
            .min(((max_side - len) / 2.0).floor())
            .max(0.0)
    };
    viewport.expand2(egui::vec2(grow(viewport.width()), grow(viewport.height())))
}

/// The layers as `drawn` shows them, on a transparent image.
fn draw(headless: &mut Headless, drawn: &Drawn, layers: &[MapLayer]) -> egui::ColorImage {
    let local = Rect::from_min_size(Pos2::ZERO, drawn.rect.size());
    let frame = headless.frame(|ui| draw::paint_layers(ui.painter(), local, &drawn.view, layers));
    frame.canvas.to_color_image()
}

/// What the layers' drawing depends on: which layers, in which order, at which generation (a
/// layer moves to a new generation whenever its drawing changes; `generation` picks which).
fn signature(layers: &[MapLayer], generation: fn(&MapLayer) -> u64) -> u64 {
    let mut h = DefaultHasher::new();
    for l in layers {
        (l.id(), generation(l)).hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::raster::Headless;

    /// The map layers of the embedded Hino project.
    fn hino() -> Vec<MapLayer> {
        crate::app::Document::hino().layers().to_vec()
    }

    #[test]
    fn signature_follows_what_changes_the_drawing() {
        use crate::app::{Document, Edit, Restyle};
        let mut doc = Document::hino();
        let ids: Vec<_> = doc.layers().iter().map(MapLayer::id).collect();
        let base = signature(doc.layers(), MapLayer::generation);
        assert_eq!(base, signature(doc.layers(), MapLayer::generation));
        doc.apply(Edit::SetVisible(ids[0], false)).unwrap();
        let hidden = signature(doc.layers(), MapLayer::generation);
        assert_ne!(base, hidden);
        doc.apply(Edit::SetVisible(ids[0], true)).unwrap();
        let shown = signature(doc.layers(), MapLayer::generation);
        assert_ne!(hidden, shown);
        let l = doc.layer(ids[1]).unwrap();
        let mut r = Restyle {
            style: l.style,
            opacity: l.opacity,
            label: l.label.clone(),
            categorize: None,
        };
        r.style.fill = Color32::from_rgb(1, 2, 3);
        doc.apply(Edit::Restyle(ids[1], r)).unwrap();
        let restyled = signature(doc.layers(), MapLayer::generation);
        assert_ne!(shown, restyled);
        doc.apply(Edit::Move {
            layer: ids[0],
            to: 1,
        })
        .unwrap();
        assert_ne!(restyled, signature(doc.layers(), MapLayer::generation));
    }

    /// The Hino layers, a map rectangle of `size` at the origin, and a view of the city in it.
    fn city(size: egui::Vec2) -> (Vec<MapLayer>, Rect, MapView) {
        let rect = Rect::from_min_size(Pos2::ZERO, size);
        let extent = crate::model::Envelope::new(139.36, 35.63, 139.44, 35.69);
        (hino(), rect, MapView::fit(extent, rect))
    }

    /// An image that redraws once the view has rested `settle`, in the frame or on a thread.
    fn image(settle: Duration, background: bool) -> LayerImage {
        LayerImage {
            policy: Policy {
                live_below: Duration::ZERO,
                settle,
                background,
            },
            ..Default::default()
        }
    }

    /// The pixels of `xs` × `ys` where two frames agree within 2 levels in every channel.
    fn agreeing(
        a: &crate::app::raster::Frame,
        b: &crate::app::raster::Frame,
        xs: std::ops::Range<usize>,
        ys: std::ops::Range<usize>,
    ) -> usize {
        ys.flat_map(|y| xs.clone().map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (p, q) = (a.canvas.rgba(x, y), b.canvas.rgba(x, y));
                p.iter().zip(q).all(|(p, q)| p.abs_diff(q) <= 2)
            })
            .count()
    }

    const WHITE: [u8; 4] = [255, 255, 255, 255];

    #[test]
    fn moved_image_matches_a_redraw_and_redraws_after_rest() {
        // One frame drawn directly, one through the image moved by a pan of whole points: the
        // same pixels where the image covers the view.
        let (layers, rect, start) = city(egui::vec2(320.0, 240.0));
        let mut moved = start;
        moved.pan(egui::vec2(40.0, -25.0));

        let mut direct = Headless::new(rect.size(), 1.0);
        let want = direct.frame(|ui| draw::paint_layers(ui.painter(), rect, &moved, &layers));

        let mut image = image(Duration::from_secs(3600), false);
        let mut window = Headless::new(rect.size(), 1.0);
        window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &start, rect, &layers));
        assert_eq!(image.redraws, 1);
        let got = window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        assert_eq!(
            image.redraws, 1,
            "a pan moves the image, it does not redraw"
        );
        assert!(!image.is_current(&moved, rect));
        let same = agreeing(&want, &got, 45..320, 0..210);
        assert!(same * 1000 >= 275 * 210 * 998, "{same} pixels match");
        // Uncovered: the strip the first image (drawn without a margin) left shows the
        // background.
        assert_eq!(got.canvas.rgba(10, 120), WHITE);

        // Once the view has rested, the layers are drawn again for it.
        image.policy.settle = Duration::ZERO;
        let got = window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        assert_eq!(image.redraws, 2);
        assert!(image.is_current(&moved, rect));
        let differ = 320 * 240 - agreeing(&want, &got, 0..320, 0..240);
        assert!(
            differ * 1000 <= 320 * 240,
            "{differ} pixels differ after the redraw"
        );

        // That redraw has a margin: a pan back past where the view started shows the features
        // at the edge it uncovers, the pixels a direct drawing has, not a blank strip.
        image.policy.settle = Duration::from_secs(3600);
        let mut further = moved;
        further.pan(egui::vec2(-60.0, 0.0));
        let want = direct.frame(|ui| draw::paint_layers(ui.painter(), rect, &further, &layers));
        let got = window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &further, rect, &layers));
        assert_eq!(image.redraws, 2, "moved, not redrawn");
        let same = agreeing(&want, &got, 260..320, 0..240);
        assert!(
            same * 1000 >= 60 * 240 * 998,
            "{same} of the strip's pixels match"
        );
        // The city's boundary and railways cross the strip: lines, mostly white between them.
        let drawn = |f: &crate::app::raster::Frame| {
            (0..240)
                .flat_map(|y| (260..320).map(move |x| (x, y)))
                .filter(|&(x, y)| f.canvas.rgba(x, y) != WHITE)
                .count()
        };
        let (to_draw, drawn_on) = (drawn(&want), drawn(&got));
        assert!(to_draw > 300, "{to_draw}");
        assert!(
            drawn_on * 100 >= to_draw * 95,
            "the strip shows {drawn_on} of {to_draw} drawn pixels"
        );
    }

    #[test]
    fn the_margin_stays_within_the_largest_texture() {
        let view = Rect::from_min_size(Pos2::new(300.0, 40.0), egui::vec2(1600.0, 1000.0));
        let grown = with_margin(view, 1.0, 8192);
        assert_eq!(grown.center(), view.center());
        assert_eq!(grown.size(), egui::vec2(2400.0, 1500.0));
        // A 4K screen at 2 pixels per point: 7,680 px wide already; 8,192 px at most.
        let wide = Rect::from_min_size(Pos2::ZERO, egui::vec2(3840.0, 2160.0));
        let grown = with_margin(wide, 2.0, 8192);
        assert!(grown.width() * 2.0 <= 8192.0 && grown.height() * 2.0 <= 8192.0);
        assert!(grown.width() > wide.width());
        // Wider than the texture already: no margin, never a negative one.
        assert_eq!(with_margin(wide, 2.0, 4096), wide);
    }

    #[test]
    fn a_rested_view_is_redrawn_on_a_thread_while_frames_go_on() {
        let (layers, rect, start) = city(egui::vec2(200.0, 150.0));
        let mut moved = start;
        moved.zoom_around(rect, rect.center(), 1.5);
        let mut image = image(Duration::ZERO, true);
        let mut window = Headless::new(rect.size(), 1.0);
        // The first image is drawn in the frame: there is nothing to show meanwhile.
        window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &start, rect, &layers));
        assert_eq!(image.redraws, 1);
        assert!(image.is_current(&start, rect));
        // A zoomed view: the frame shows the old image scaled and a thread draws the new one.
        window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        assert!(image.job.is_some(), "a redraw on a thread");
        let started = Instant::now();
        while !image.is_current(&moved, rect) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the thread never landed"
            );
            std::thread::sleep(Duration::from_millis(5));
            window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        }
        assert_eq!(image.redraws, 2);
        assert!(image.job.is_none());
        // A style change does not wait for anything.
        let mut doc = crate::app::Document::hino();
        let first = &doc.layers()[0];
        let edit = crate::app::Edit::SetVisible(first.id(), !first.visible);
        doc.apply(edit).unwrap();
        let restyled = doc.layers().to_vec();
        window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &restyled));
        assert_eq!(image.redraws, 3);
        // Drawn in the frame, and with the margin too: these layers cannot follow a drag live.
        let drawn = image.drawn.unwrap();
        assert_eq!(drawn.viewport, rect);
        assert_eq!(drawn.rect.size(), rect.size() * 1.5);
    }
}
