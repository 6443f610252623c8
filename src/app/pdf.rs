//! PDF output of painted pages (site sheets): each page is the painted image, with the page's
//! text laid over it invisibly (text render mode 3), so the PDF looks exactly like the PNG and
//! its text can still be searched, selected and extracted. Written with pdf-writer.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};

use super::raster::Canvas;

/// One line of text on a page, in points from the page's top left.
#[derive(Debug, Clone, PartialEq)]
pub struct TextRun {
    pub text: String,
    /// Left end of the baseline.
    pub x: f32,
    pub baseline: f32,
    pub size: f32,
    /// Width the text takes on the page.
    pub width: f32,
}

/// A page: its image and its text.
pub struct Page {
    pub canvas: Canvas,
    /// Page size in points.
    pub size: [f32; 2],
    pub text: Vec<TextRun>,
}

/// The text lines of a frame's text shapes.
pub fn text_runs(shapes: &[egui::epaint::ClippedShape]) -> Vec<TextRun> {
    let mut runs = Vec::new();
    for s in shapes {
        collect(&s.shape, &mut runs);
    }
    runs
}

fn collect(shape: &egui::Shape, runs: &mut Vec<TextRun>) {
    match shape {
        egui::Shape::Vec(shapes) => {
            for s in shapes {
                collect(s, runs);
            }
        }
        egui::Shape::Text(t) => {
            for placed in &t.galley.rows {
                let Some(first) = placed.row.glyphs.first() else {
                    continue;
                };
                let text = placed.row.text();
                if text.trim().is_empty() {
                    continue;
                }
                runs.push(TextRun {
                    text,
                    x: t.pos.x + placed.pos.x + first.pos.x,
                    baseline: t.pos.y + placed.pos.y + first.pos.y,
                    size: first.font_height.max(1.0),
                    width: placed.row.size.x.max(1.0),
                });
            }
        }
        _ => {}
    }
}

/// Writes the pages as one PDF.
pub fn write_pdf(pages: &[Page], title: &str, w: &mut impl std::io::Write) -> std::io::Result<()> {
    let mut pdf = Pdf::new();
    let mut next = 1;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = alloc();
    let tree = alloc();
    let font = alloc();
    let cid_font = alloc();
    let descriptor = alloc();
    let to_unicode = alloc();
    let info = alloc();
    let page_ids: Vec<(Ref, Ref, Ref)> =
        pages.iter().map(|_| (alloc(), alloc(), alloc())).collect();

    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree)
        .kids(page_ids.iter().map(|p| p.0))
        .count(pages.len() as i32);
    let producer = format!("sitelens {}", crate::VERSION);
    pdf.document_info(info)
        .title(pdf_writer::TextStr(title))
        .producer(pdf_writer::TextStr(&producer));

    // The invisible text layer's font: code = Unicode (BMP), mapped back by /ToUnicode. It is
    // never drawn, so no font program is embedded.
    let system = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    pdf.type0_font(font)
        .base_font(Name(b"SitelensText"))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    pdf.cid_font(cid_font)
        .subtype(CidFontType::Type2)
        .base_font(Name(b"SitelensText"))
        .system_info(system)
        .font_descriptor(descriptor)
        .default_width(1000.0);
    pdf.font_descriptor(descriptor)
        .name(Name(b"SitelensText"))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(0.0, -200.0, 1000.0, 900.0))
        .italic_angle(0.0)
        .ascent(880.0)
        .descent(-120.0)
        .cap_height(700.0)
        .stem_v(80.0);
    let mut chars: Vec<u16> = pages
        .iter()
        .flat_map(|p| p.text.iter())
        .flat_map(|t| t.text.chars())
        .map(code)
        .collect();
    chars.sort_unstable();
    chars.dedup();
    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Sitelens-UCS"), system);
    for c in chars {
        if let Some(ch) = char::from_u32(c as u32) {
            cmap.pair(c, ch);
        }
    }
    pdf.cmap(to_unicode, &cmap.finish());

    for (page, &(page_id, content_id, image_id)) in pages.iter().zip(&page_ids) {
        let [w, h] = page.size;
        let mut p = pdf.page(page_id);
        p.media_box(Rect::new(0.0, 0.0, w, h))
            .parent(tree)
            .contents(content_id);
        let mut resources = p.resources();
        resources.x_objects().pair(Name(b"Im"), image_id);
        resources.fonts().pair(Name(b"F"), font);
        resources.finish();
        p.finish();

        let rgb: Vec<u8> = page
            .canvas
            .to_rgba8()
            .chunks_exact(4)
            .flat_map(|p| {
                // Flatten onto white.
                let a = p[3] as u32;
                [0, 1, 2].map(|k| ((p[k] as u32 * a + 255 * (255 - a)) / 255) as u8)
            })
            .collect();
        let compressed = deflate(&rgb)?;
        let mut image = pdf.image_xobject(image_id, &compressed);
        image.filter(Filter::FlateDecode);
        image.width(page.canvas.width as i32);
        image.height(page.canvas.height as i32);
        image.color_space().device_rgb();
        image.bits_per_component(8);
        image.finish();

        let mut content = Content::new();
        content.save_state();
        content.transform([w, 0.0, 0.0, h, 0.0, 0.0]);
        content.x_object(Name(b"Im"));
        content.restore_state();
        content.begin_text();
        content.set_text_rendering_mode(TextRenderingMode::Invisible);
        for run in &page.text {
            let codes: Vec<u8> = run
                .text
                .chars()
                .flat_map(|c| code(c).to_be_bytes())
                .collect();
            let n = run.text.chars().count().max(1) as f32;
            // Stretch the text to the width it has on the page (for selection).
            content.set_horizontal_scaling(100.0 * run.width / (n * run.size));
            content.set_font(Name(b"F"), run.size);
            content.set_text_matrix([1.0, 0.0, 0.0, 1.0, run.x, h - run.baseline]);
            content.show(Str(&codes));
        }
        content.end_text();
        pdf.stream(content_id, &content.finish());
    }
    w.write_all(&pdf.finish())
}

/// The text layer's code for a character: its Unicode value in the BMP, else U+FFFD.
fn code(c: char) -> u16 {
    u16::try_from(c as u32).unwrap_or(0xFFFD)
}

fn deflate(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data)?;
    e.finish()
}
