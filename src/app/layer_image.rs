//! The map's layers drawn once into an image that follows the view by transform: a pan or zoom
//! frame costs one textured rectangle, whatever the number of features. The layers are drawn
//! again when the view has rested for a moment, or at once while a redraw is cheap (street
//! level stays live). What changes the drawing (visibility, order, style, opacity, filter,
//! categories) redraws at once.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use egui::{Color32, Pos2, Rect};

use super::MapLayer;
use super::map::{self, MapView};
use super::raster::Headless;

/// When the layers are drawn again.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Redraw at every change of view while a redraw costs less than this.
    pub live_below: Duration,
    /// How long the view rests before a costlier redraw.
    pub settle: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            live_below: Duration::from_millis(12),
            settle: Duration::from_millis(200),
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
    /// The view of the last frame, and when it last changed.
    seen: Option<MapView>,
    moved_at: Instant,
}

/// What the image shows.
struct Drawn {
    view: MapView,
    rect: Rect,
    ppp: f32,
    signature: u64,
}

impl Default for LayerImage {
    fn default() -> Self {
        LayerImage {
            policy: Policy::default(),
            last_cost: Duration::ZERO,
            redraws: 0,
            drawn: None,
            headless: None,
            texture: None,
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
        let signature = signature(layers);
        let ppp = ctx.pixels_per_point();
        let redraw = match &self.drawn {
            Some(d) if d.signature == signature && d.rect.size() == rect.size() && d.ppp == ppp => {
                let rested = now.duration_since(self.moved_at);
                if d.view == *v && d.rect == rect {
                    false
                } else if self.last_cost < self.policy.live_below || rested >= self.policy.settle {
                    true
                } else {
                    ctx.request_repaint_after(self.policy.settle - rested);
                    false
                }
            }
            _ => true,
        };
        if redraw {
            self.redraw(ctx, v, rect, layers, signature, ppp);
        }
        self.show(painter, v, rect, ppp);
    }

    /// Whether the image shows exactly this view (no transform pending a redraw).
    pub fn is_current(&self, v: &MapView, rect: Rect) -> bool {
        self.drawn
            .as_ref()
            .is_some_and(|d| d.view == *v && d.rect == rect)
    }

    fn redraw(
        &mut self,
        ctx: &egui::Context,
        v: &MapView,
        rect: Rect,
        layers: &[MapLayer],
        signature: u64,
        ppp: f32,
    ) {
        let started = Instant::now();
        let size = rect.size();
        if self
            .headless
            .as_ref()
            .is_none_or(|h| h.size() != (size, ppp))
        {
            let mut h = Headless::new(size, ppp);
            h.background = Color32::TRANSPARENT;
            self.headless = Some(h);
        }
        let Some(headless) = self.headless.as_mut() else {
            return;
        };
        let local = Rect::from_min_size(Pos2::ZERO, size);
        let frame = headless.frame(|ui| map::paint_layers(ui.painter(), local, v, layers));
        let image = frame.canvas.to_color_image();
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture =
                    Some(ctx.load_texture("sitelens-layers", image, egui::TextureOptions::LINEAR))
            }
        }
        self.drawn = Some(Drawn {
            view: *v,
            rect,
            ppp,
            signature,
        });
        self.redraws += 1;
        self.last_cost = started.elapsed();
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

/// Everything about the layers that changes their drawing, hashed.
fn signature(layers: &[MapLayer]) -> u64 {
    let mut h = DefaultHasher::new();
    for l in layers {
        (Arc::as_ptr(&l.layer) as usize).hash(&mut h);
        l.layer.features.len().hash(&mut h);
        (l.visible, l.layer.source.crs.known).hash(&mut h);
        let s = &l.style;
        (
            s.fill,
            s.stroke,
            s.width.to_bits(),
            s.point_radius.to_bits(),
        )
            .hash(&mut h);
        l.opacity.to_bits().hash(&mut h);
        match &l.filter {
            Some(f) => (1u8, f.passes.as_ptr() as usize, f.passes.len(), &f.text).hash(&mut h),
            None => 0u8.hash(&mut h),
        }
        match &l.categories {
            Some(c) => (1u8, &c.field, &c.classes, c.of_feature.as_ptr() as usize).hash(&mut h),
            None => 0u8.hash(&mut h),
        }
        l.zoning
            .as_ref()
            .map(|z| z.colours.as_ptr() as usize)
            .hash(&mut h);
    }
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::raster::Headless;

    /// The map layers of the embedded Hino project.
    fn hino() -> Vec<MapLayer> {
        crate::app::Viewer::new().layers
    }

    #[test]
    fn signature_follows_what_changes_the_drawing() {
        let mut layers = hino();
        let base = signature(&layers);
        assert_eq!(base, signature(&layers));
        layers[0].visible = !layers[0].visible;
        let hidden = signature(&layers);
        assert_ne!(base, hidden);
        layers[0].visible = !layers[0].visible;
        assert_eq!(base, signature(&layers));
        layers[1].style.fill = Color32::from_rgb(1, 2, 3);
        assert_ne!(base, signature(&layers));
        let mut layers = hino();
        layers[2].opacity = 0.5;
        assert_ne!(base, signature(&layers));
        let mut layers = hino();
        layers.swap(0, 1);
        assert_ne!(base, signature(&layers));
    }

    #[test]
    fn moved_image_matches_a_redraw_and_redraws_after_rest() {
        // One frame drawn directly, one through the image moved by a pan of whole points: the
        // same pixels where the image covers the view.
        let layers = hino();
        let size = egui::vec2(320.0, 240.0);
        let rect = Rect::from_min_size(Pos2::ZERO, size);
        let extent = crate::model::Envelope::new(139.36, 35.63, 139.44, 35.69);
        let start = MapView::fit(extent, rect);
        let mut moved = start;
        moved.pan(egui::vec2(40.0, -25.0));

        let mut direct = Headless::new(size, 1.0);
        let want = direct.frame(|ui| map::paint_layers(ui.painter(), rect, &moved, &layers));

        let mut image = LayerImage {
            policy: Policy {
                live_below: Duration::ZERO,
                settle: Duration::from_secs(3600),
            },
            ..Default::default()
        };
        let mut window = Headless::new(size, 1.0);
        window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &start, rect, &layers));
        assert_eq!(image.redraws, 1);
        let got = window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        assert_eq!(
            image.redraws, 1,
            "a pan moves the image, it does not redraw"
        );
        assert!(!image.is_current(&moved, rect));
        let mut same = 0;
        let mut covered = 0;
        for y in 0..210 {
            for x in 45..320 {
                covered += 1;
                let (a, b) = (want.canvas.rgba(x, y), got.canvas.rgba(x, y));
                same += usize::from(a.iter().zip(b).all(|(p, q)| p.abs_diff(q) <= 2));
            }
        }
        assert!(
            same * 1000 >= covered * 998,
            "{same} of {covered} pixels match"
        );
        // Uncovered: the strip the image left behind shows the background.
        assert_eq!(got.canvas.rgba(10, 120), [255, 255, 255, 255]);

        // Once the view has rested, the layers are drawn again for it.
        image.policy.settle = Duration::ZERO;
        let got = window.frame(|ui| image.paint(ui.ctx(), ui.painter(), &moved, rect, &layers));
        assert_eq!(image.redraws, 2);
        assert!(image.is_current(&moved, rect));
        let differ = (0..240)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (a, b) = (want.canvas.rgba(x, y), got.canvas.rgba(x, y));
                a.iter().zip(b).any(|(p, q)| p.abs_diff(q) > 2)
            })
            .count();
        assert!(
            differ * 1000 <= 320 * 240,
            "{differ} pixels differ after the redraw"
        );
    }
}
