//! A software rasteriser for egui's tessellated output: the window's own drawing (the same
//! `map_ui`, panels and text) painted into an RGBA image without a window or a GPU. Used by
//! `sitelens render`, File ▸ Export map image and site sheets.
//!
//! Blending follows egui's renderers: premultiplied alpha in gamma (sRGB) space, fragment =
//! vertex colour × texture sample (bilinear), `out = src + dst × (1 − src.a)`.

use std::collections::HashMap;

use eframe::egui;
use egui::epaint::{ClippedPrimitive, ImageDelta, Mesh, Primitive, TextureId, Vertex};
use egui::{ColorImage, ImageData, TexturesDelta};

/// An RGBA8 image (premultiplied alpha, row major, top row first).
#[derive(Clone)]
pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<[f32; 4]>,
}

/// Textures by id, as the frames set and patch them.
#[derive(Default)]
pub struct Textures {
    images: HashMap<TextureId, ColorImage>,
}

impl Textures {
    /// Applies a frame's texture changes and marks them handled.
    pub fn apply(&mut self, delta: &mut TexturesDelta) {
        for (id, deltas) in &delta.set {
            for delta in deltas {
                self.apply_one(*id, delta);
            }
        }
        for id in &delta.free {
            self.images.remove(id);
        }
        delta.clear();
    }

    fn apply_one(&mut self, id: TextureId, delta: &ImageDelta) {
        let ImageDelta { image, pos, .. } = delta;
        {
            let id = &id;
            let ImageData::Color(patch) = image;
            match pos {
                None => {
                    self.images.insert(*id, (**patch).clone());
                }
                Some([x0, y0]) => {
                    if let Some(target) = self.images.get_mut(id) {
                        let [w, h] = patch.size;
                        for y in 0..h {
                            for x in 0..w {
                                let (tx, ty) = (x0 + x, y0 + y);
                                if tx < target.size[0] && ty < target.size[1] {
                                    target.pixels[ty * target.size[0] + tx] =
                                        patch.pixels[y * w + x];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

impl Canvas {
    pub fn new(width: usize, height: usize, background: egui::Color32) -> Self {
        let [r, g, b, a] = background.to_array();
        Canvas {
            width,
            height,
            pixels: vec![[r as f32, g as f32, b as f32, a as f32]; width * height],
        }
    }

    /// Paints tessellated primitives (positions in points; `ppp` pixels per point), in bands
    /// of rows on every core (each pixel sees the primitives in the same order: the result
    /// does not depend on the number of bands).
    pub fn paint(&mut self, primitives: &[ClippedPrimitive], textures: &Textures, ppp: f32) {
        use rayon::prelude::*;
        let (width, height) = (self.width, self.height);
        if width == 0 || height == 0 {
            return;
        }
        let bands = (rayon::current_num_threads() * 2).clamp(1, height);
        let rows = height.div_ceil(bands);
        self.pixels
            .par_chunks_mut(width * rows)
            .enumerate()
            .for_each(|(k, pixels)| {
                let mut band = Band {
                    pixels,
                    width,
                    y0: k * rows,
                };
                band.paint(primitives, textures, ppp);
            });
    }

    /// Premultiplied RGBA8 for an egui texture.
    pub fn to_color_image(&self) -> ColorImage {
        let pixels = self
            .pixels
            .iter()
            .map(|p| {
                let [r, g, b, a] = p.map(|c| c.round().clamp(0.0, 255.0) as u8);
                egui::Color32::from_rgba_premultiplied(r, g, b, a)
            })
            .collect();
        ColorImage::new([self.width, self.height], pixels)
    }

    /// The image as straight (not premultiplied) RGBA8, for PNG.
    pub fn to_rgba8(&self) -> Vec<u8> {
        self.pixels.iter().flat_map(|&p| straight(p)).collect()
    }

    /// The pixel at (x, y) as straight RGBA8.
    pub fn rgba(&self, x: usize, y: usize) -> [u8; 4] {
        straight(self.pixels[y * self.width + x])
    }

    /// Writes the image as PNG.
    pub fn write_png(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut encoder = png::Encoder::new(w, self.width as u32, self.height as u32);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Balanced);
        let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
        writer
            .write_image_data(&self.to_rgba8())
            .map_err(std::io::Error::other)?;
        writer.finish().map_err(std::io::Error::other)
    }
}

/// Rows `y0..y0 + pixels.len() / width` of a canvas, painted on one thread.
struct Band<'a> {
    pixels: &'a mut [[f32; 4]],
    width: usize,
    y0: usize,
}

impl Band<'_> {
    fn paint(&mut self, primitives: &[ClippedPrimitive], textures: &Textures, ppp: f32) {
        let y1 = self.y0 + self.pixels.len() / self.width;
        for p in primitives {
            let Primitive::Mesh(mesh) = &p.primitive else {
                continue;
            };
            let clip = p.clip_rect;
            let clip = [
                (clip.min.x * ppp).round().max(0.0) as usize,
                ((clip.min.y * ppp).round().max(0.0) as usize).max(self.y0),
                ((clip.max.x * ppp).round().max(0.0) as usize).min(self.width),
                ((clip.max.y * ppp).round().max(0.0) as usize).min(y1),
            ];
            if clip[0] >= clip[2] || clip[1] >= clip[3] {
                continue;
            }
            let texture = textures.images.get(&mesh.texture_id);
            if let (Some(t), Some(quad)) = (texture, ImageQuad::of(mesh)) {
                self.image(t, &quad, ppp, clip);
                continue;
            }
            for tri in mesh.indices.chunks_exact(3) {
                let v = |i: u32| mesh.vertices.get(i as usize);
                let (Some(a), Some(b), Some(c)) = (v(tri[0]), v(tri[1]), v(tri[2])) else {
                    continue;
                };
                self.triangle([a, b, c], texture, ppp, clip);
            }
        }
    }

    /// An untinted, axis-aligned image: texels looked up per row and per column (a shifted
    /// image at the same scale copies texels; a scaled one samples bilinearly).
    fn image(&mut self, texture: &ColorImage, quad: &ImageQuad, ppp: f32, clip: [usize; 4]) {
        let [tw, th] = texture.size;
        if tw == 0 || th == 0 {
            return;
        }
        let (min, max) = (quad.pos.min * ppp, quad.pos.max * ppp);
        let x0 = (min.x.round().max(clip[0] as f32)) as usize;
        let x1 = (max.x.round().min(clip[2] as f32)).max(0.0) as usize;
        let y0 = (min.y.round().max(clip[1] as f32)) as usize;
        let y1 = (max.y.round().min(clip[3] as f32)).max(0.0) as usize;
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        // The texels of a pixel centre along one axis.
        let axis = |p: usize, lo: f32, hi: f32, uv_lo: f32, uv_hi: f32, n: usize| {
            texel_axis(
                uv_lo + (p as f32 + 0.5 - lo) / (hi - lo) * (uv_hi - uv_lo),
                n,
            )
        };
        let columns: Vec<_> = (x0..x1)
            .map(|x| axis(x, min.x, max.x, quad.uv.min.x, quad.uv.max.x, tw))
            .collect();
        for y in y0..y1 {
            let row_texels = axis(y, min.y, max.y, quad.uv.min.y, quad.uv.max.y, th);
            let row = &mut self.pixels[(y - self.y0) * self.width..][x0..x1];
            for (dst, &column) in row.iter_mut().zip(&columns) {
                let src = bilinear(texture, column, row_texels);
                if src[3] == 0.0 {
                    continue;
                }
                let keep = 1.0 - src[3] / 255.0;
                for i in 0..4 {
                    dst[i] = src[i] + dst[i] * keep;
                }
            }
        }
    }

    fn triangle(
        &mut self,
        v: [&Vertex; 3],
        texture: Option<&ColorImage>,
        ppp: f32,
        clip: [usize; 4],
    ) {
        let p = v.map(|v| [v.pos.x * ppp, v.pos.y * ppp]);
        let area = edge(p[0], p[1], p[2]);
        if area.abs() < 1e-6 || !area.is_finite() {
            return;
        }
        let min_x = p.iter().map(|q| q[0]).fold(f32::INFINITY, f32::min);
        let max_x = p.iter().map(|q| q[0]).fold(f32::NEG_INFINITY, f32::max);
        let min_y = p.iter().map(|q| q[1]).fold(f32::INFINITY, f32::min);
        let max_y = p.iter().map(|q| q[1]).fold(f32::NEG_INFINITY, f32::max);
        let x0 = (min_x.floor().max(clip[0] as f32)) as usize;
        let x1 = (max_x.ceil().min(clip[2] as f32)) as usize;
        let y0 = (min_y.floor().max(clip[1] as f32)) as usize;
        let y1 = (max_y.ceil().min(clip[3] as f32)) as usize;
        if x0 >= x1 || y0 >= y1 {
            return;
        }
        let colours = v.map(|v| v.color.to_array().map(f32::from));
        // A flat triangle (one colour, one texel: fills and most lines) is blended without
        // interpolating or sampling per pixel.
        let same_uv = v[0].uv == v[1].uv && v[1].uv == v[2].uv;
        let flat = same_uv && colours[0] == colours[1] && colours[1] == colours[2];
        let flat_colour = flat.then(|| mul(colours[0], sample(texture, v[0].uv.x, v[0].uv.y)));
        // Edge functions w_i(x, y) for the edges opposite each vertex, made positive inside.
        let sign = area.signum();
        let edges = [(1, 2), (2, 0), (0, 1)].map(|(i, j)| {
            let (a, b) = (p[i], p[j]);
            // w = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x)
            let dx = -(b[1] - a[1]) * sign;
            let dy = (b[0] - a[0]) * sign;
            let c = -(dx * a[0] + dy * a[1]);
            // Top-left rule: pixels exactly on an edge belong to one triangle only.
            let top_left = dx > 0.0 || (dx == 0.0 && dy < 0.0);
            (dx, dy, c, top_left)
        });
        let inv_area = 1.0 / area.abs();
        for y in y0..y1 {
            let py = y as f32 + 0.5;
            // The span of x where every edge function is ≥ 0.
            let (mut lo, mut hi) = (x0 as f32 + 0.5, x1 as f32 - 0.5);
            for &(dx, dy, c, _) in &edges {
                let row = dy * py + c;
                if dx > 0.0 {
                    lo = lo.max(-row / dx);
                } else if dx < 0.0 {
                    hi = hi.min(-row / dx);
                } else if row < 0.0 {
                    hi = lo - 1.0;
                }
            }
            if lo > hi {
                continue;
            }
            let xa = ((lo - 0.5).ceil().max(x0 as f32)) as usize;
            let xb = ((hi - 0.5).floor().min(x1 as f32 - 1.0)) as isize;
            if xb < xa as isize {
                continue;
            }
            for x in xa..=xb as usize {
                let px = x as f32 + 0.5;
                let mut w = [0.0f32; 3];
                let mut inside = true;
                for (k, &(dx, dy, c, top_left)) in edges.iter().enumerate() {
                    let value = dx * px + dy * py + c;
                    if value < 0.0 || (value == 0.0 && !top_left) {
                        inside = false;
                        break;
                    }
                    w[k] = value * inv_area;
                }
                if !inside {
                    continue;
                }
                let src = match flat_colour {
                    Some(c) => c,
                    None => {
                        let col = [0, 1, 2, 3].map(|i| {
                            w[0] * colours[0][i] + w[1] * colours[1][i] + w[2] * colours[2][i]
                        });
                        let u = w[0] * v[0].uv.x + w[1] * v[1].uv.x + w[2] * v[2].uv.x;
                        let t = w[0] * v[0].uv.y + w[1] * v[1].uv.y + w[2] * v[2].uv.y;
                        mul(col, sample(texture, u, t))
                    }
                };
                let dst = &mut self.pixels[(y - self.y0) * self.width + x];
                let keep = 1.0 - src[3] / 255.0;
                for i in 0..4 {
                    dst[i] = src[i] + dst[i] * keep;
                }
            }
        }
    }
}

/// A mesh that is one white-tinted, axis-aligned textured rectangle (as [`Mesh::add_rect_with_uv`]
/// makes it).
struct ImageQuad {
    pos: egui::Rect,
    uv: egui::Rect,
}

impl ImageQuad {
    fn of(mesh: &Mesh) -> Option<ImageQuad> {
        let [a, b, c, d] = mesh.vertices.as_slice() else {
            return None;
        };
        let white = [a, b, c, d].iter().all(|v| v.color == egui::Color32::WHITE);
        let aligned = a.pos.y == b.pos.y
            && c.pos.y == d.pos.y
            && a.pos.x == c.pos.x
            && b.pos.x == d.pos.x
            && a.uv.y == b.uv.y
            && c.uv.y == d.uv.y
            && a.uv.x == c.uv.x
            && b.uv.x == d.uv.x;
        let ordered = a.pos.x < d.pos.x && a.pos.y < d.pos.y;
        (white && aligned && ordered && mesh.indices == [0, 1, 2, 2, 1, 3]).then(|| ImageQuad {
            pos: egui::Rect::from_min_max(a.pos, d.pos),
            uv: egui::Rect::from_min_max(a.uv, d.uv),
        })
    }
}

/// Premultiplied to straight alpha.
fn straight(p: [f32; 4]) -> [u8; 4] {
    let a = p[3].clamp(0.0, 255.0);
    let un = |c: f32| {
        if a <= 0.0 {
            0
        } else {
            (c * 255.0 / a).round().clamp(0.0, 255.0) as u8
        }
    };
    [un(p[0]), un(p[1]), un(p[2]), a.round() as u8]
}

fn edge(a: [f32; 2], b: [f32; 2], c: [f32; 2]) -> f32 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

fn mul(c: [f32; 4], t: [f32; 4]) -> [f32; 4] {
    [0, 1, 2, 3].map(|i| c[i] * t[i] / 255.0)
}

/// Bilinear texture sample (premultiplied RGBA, 0–255); white without a texture.
fn sample(texture: Option<&ColorImage>, u: f32, v: f32) -> [f32; 4] {
    let Some(t) = texture else {
        return [255.0; 4];
    };
    let [w, h] = t.size;
    if w == 0 || h == 0 {
        return [255.0; 4];
    }
    bilinear(t, texel_axis(u, w), texel_axis(v, h))
}

/// Along one axis of `n` texels, texture coordinate `t` (0–1) falls between texels `i` and `j`
/// with weight `f` on `j`.
fn texel_axis(t: f32, n: usize) -> (usize, usize, f32) {
    let x = (t * n as f32 - 0.5).clamp(0.0, (n - 1) as f32);
    let i = x.floor() as usize;
    (i, (i + 1).min(n - 1), x - i as f32)
}

/// The texture between four texels (one when both weights are 0: a texel copied).
fn bilinear(
    t: &ColorImage,
    (x0, x1, fx): (usize, usize, f32),
    (y0, y1, fy): (usize, usize, f32),
) -> [f32; 4] {
    let px = |x: usize, y: usize| t.pixels[y * t.size[0] + x].to_array().map(f32::from);
    if fx == 0.0 && fy == 0.0 {
        return px(x0, y0);
    }
    let (a, b, c, d) = (px(x0, y0), px(x1, y0), px(x0, y1), px(x1, y1));
    [0, 1, 2, 3].map(|i| {
        let top = a[i] + (b[i] - a[i]) * fx;
        let bottom = c[i] + (d[i] - c[i]) * fx;
        top + (bottom - top) * fy
    })
}

/// A window-less egui context of a fixed size that paints frames into images: the bundled fonts,
/// the light theme, no input.
pub struct Headless {
    ctx: egui::Context,
    input: egui::RawInput,
    textures: Textures,
    /// What the canvas starts as (white; transparent for an image drawn over other things).
    pub background: egui::Color32,
}

/// One painted frame with what it cost.
pub struct Frame {
    pub canvas: Canvas,
    /// The frame's shapes (text shapes carry their strings and places: the PDF text layer).
    pub shapes: Vec<egui::epaint::ClippedShape>,
    /// Running the UI code (what the window does per frame before the GPU).
    pub build: std::time::Duration,
    pub tessellate: std::time::Duration,
    pub raster: std::time::Duration,
}

impl Headless {
    /// `size` in points; `ppp` pixels per point.
    pub fn new(size: egui::Vec2, ppp: f32) -> Self {
        let ctx = egui::Context::default();
        super::install_fonts(&ctx);
        ctx.set_theme(egui::Theme::Light);
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, size)),
            ..Default::default()
        };
        input
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(ppp);
        Headless {
            ctx,
            input,
            textures: Textures::default(),
            background: egui::Color32::WHITE,
        }
    }

    /// The size in points and the pixels per point.
    pub fn size(&self) -> (egui::Vec2, f32) {
        let size = self.input.screen_rect.unwrap_or(egui::Rect::ZERO).size();
        let ppp = self
            .input
            .viewports
            .get(&egui::ViewportId::ROOT)
            .and_then(|v| v.native_pixels_per_point)
            .unwrap_or(1.0);
        (size, ppp)
    }

    /// Runs `ui` once and paints the result.
    pub fn frame(&mut self, mut ui: impl FnMut(&mut egui::Ui)) -> Frame {
        let started = std::time::Instant::now();
        let mut out = self.ctx.run_ui(self.input.clone(), &mut ui);
        self.textures.apply(&mut out.textures_delta);
        let build = started.elapsed();
        let started = std::time::Instant::now();
        let shapes = out.shapes.clone();
        let primitives = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        let tessellate = started.elapsed();
        let started = std::time::Instant::now();
        let size = self.input.screen_rect.unwrap_or(egui::Rect::ZERO).size();
        let width = (size.x * out.pixels_per_point).round() as usize;
        let height = (size.y * out.pixels_per_point).round() as usize;
        let mut canvas = Canvas::new(width, height, self.background);
        canvas.paint(&primitives, &self.textures, out.pixels_per_point);
        Frame {
            canvas,
            shapes,
            build,
            tessellate,
            raster: started.elapsed(),
        }
    }
}

/// Runs `ui` headless at `size` points and `ppp` pixels per point and paints it; a few passes let
/// layouts that measure themselves settle.
pub fn paint_ui(
    size: egui::Vec2,
    ppp: f32,
    mut ui: impl FnMut(&mut egui::Ui),
) -> (Canvas, Vec<egui::epaint::ClippedShape>) {
    let mut headless = Headless::new(size, ppp);
    for _ in 0..2 {
        let mut out = headless.ctx.run_ui(headless.input.clone(), &mut ui);
        headless.textures.apply(&mut out.textures_delta);
    }
    let frame = headless.frame(ui);
    (frame.canvas, frame.shapes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{Color32, Pos2, Rect};

    #[test]
    fn a_filled_rectangle_covers_its_pixels_exactly() {
        let (canvas, _) = paint_ui(egui::vec2(40.0, 30.0), 1.0, |ui| {
            ui.painter().rect_filled(
                Rect::from_min_max(Pos2::new(10.0, 5.0), Pos2::new(30.0, 25.0)),
                0.0,
                Color32::from_rgb(200, 0, 0),
            );
        });
        assert_eq!((canvas.width, canvas.height), (40, 30));
        // Inside, well away from the feathered edge: the colour exactly.
        assert_eq!(canvas.rgba(20, 15), [200, 0, 0, 255]);
        // Outside: the background.
        assert_eq!(canvas.rgba(3, 3)[..3], [255, 255, 255][..]);
        let red = (0..30)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .filter(|&(x, y)| canvas.rgba(x, y)[1] < 128)
            .count();
        assert!((380..=420).contains(&red), "{red} red pixels for 400");
    }

    #[test]
    fn translucent_layers_blend_once_across_shared_edges() {
        // A translucent mesh of two triangles sharing a diagonal: no darker seam.
        let (canvas, _) = paint_ui(egui::vec2(20.0, 20.0), 2.0, |ui| {
            ui.painter().rect_filled(
                Rect::from_min_max(Pos2::new(2.0, 2.0), Pos2::new(18.0, 18.0)),
                0.0,
                Color32::from_rgba_unmultiplied(0, 0, 255, 128),
            );
        });
        assert_eq!((canvas.width, canvas.height), (40, 40));
        let centre = canvas.rgba(20, 20);
        for k in 8..32 {
            assert_eq!(canvas.rgba(k, k), centre, "diagonal pixel {k}");
        }
    }

    #[test]
    fn text_is_drawn_from_the_font_atlas() {
        let (canvas, shapes) = paint_ui(egui::vec2(200.0, 40.0), 1.0, |ui| {
            ui.label(
                egui::RichText::new("日野市 Hino")
                    .size(20.0)
                    .color(Color32::BLACK),
            );
        });
        let text = shapes
            .iter()
            .find_map(|s| match &s.shape {
                egui::Shape::Text(t) if t.galley.job.text.contains("日野市") => {
                    Some(t.visual_bounding_rect())
                }
                _ => None,
            })
            .expect("a text shape");
        // Glyphs, not boxes: part of the text's box is ink, most of it is paper.
        let (mut ink, mut all) = (0, 0);
        for y in text.top() as usize..text.bottom() as usize {
            for x in text.left() as usize..text.right() as usize {
                all += 1;
                ink += usize::from(canvas.rgba(x, y)[0] < 100);
            }
        }
        let share = ink as f64 / all as f64;
        assert!((0.08..0.6).contains(&share), "ink share {share}");
    }
}
