//! `sitelens render` and map images: real PNGs whose pixels are checked.

use std::ffi::OsStr;
use std::path::Path;

use crate::{corpus, run_ok};

/// Decodes a PNG into (width, height, RGBA8 pixels).
pub fn read_png(path: &Path) -> (u32, u32, Vec<[u8; 4]>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgba);
    let pixels = buf[..info.buffer_size()]
        .chunks_exact(4)
        .map(|c| [c[0], c[1], c[2], c[3]])
        .collect();
    (info.width, info.height, pixels)
}

pub fn count_near(pixels: &[[u8; 4]], rgb: [u8; 3], tolerance: u8) -> usize {
    pixels
        .iter()
        .filter(|p| (0..3).all(|k| p[k].abs_diff(rgb[k]) <= tolerance))
        .count()
}

#[test]
fn render_draws_the_hino_project_with_its_notices() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hino.png");
    let said = run_ok(&[
        OsStr::new("render"),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("800x600"),
    ]);
    assert!(said.contains("800×600"), "{said}");
    let (w, h, px) = read_png(&out);
    assert_eq!((w, h), (800, 600));
    // Not blank: many colours.
    let mut colours: Vec<[u8; 4]> = px.clone();
    colours.sort();
    colours.dedup();
    assert!(colours.len() > 500, "{} colours", colours.len());
    // The sample banner (white on red 170,30,30), the city boundary (200,40,40), and zoning in
    // the palette at 75 %: 工業地域 (#8AD0E4 in DOMAIN.md) blended over the paper.
    assert!(count_near(&px, [170, 30, 30], 3) > 1500, "banner");
    assert!(count_near(&px, [200, 40, 40], 10) > 300, "boundary");
    let paper = [246u8, 244, 238];
    let industrial = [138u8, 208, 228];
    // 0.75 gamma_multiply on a premultiplied colour, then over the paper.
    let blended: Vec<u8> = (0..3)
        .map(|k| (industrial[k] as f32 * 0.75 + paper[k] as f32 * 0.25).round() as u8)
        .collect();
    assert!(
        count_near(&px, [blended[0], blended[1], blended[2]], 4) > 1000,
        "industrial zone colour {blended:?}"
    );
}

#[test]
fn render_fits_given_files_or_a_box_and_leaves_out_what_is_not_in_view() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("poly.png");
    run_ok(&[
        OsStr::new("render"),
        corpus("mbostock-shapefile/test/polygons.shp").as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("400x300"),
    ]);
    let (_, _, px) = read_png(&out);
    // The opened layer's first palette colour (230,120,0 at 35 % over the paper) covers much
    // of the view; Hino is far away, so no sample banner.
    assert!(
        count_near(&px, [170, 30, 30], 3) < 5,
        "no banner away from Hino"
    );
    assert!(
        count_near(&px, [242, 200, 155], 12) > 20_000,
        "polygon fill"
    );

    // A box around 日野駅 (its N02 platform runs 139.39303,35.67778 → 139.39383,35.67931) at
    // street level: the station's black bar crosses the middle of the map (the left 576 px: the
    // legend and credits take a column of 224 px beside it).
    let out = dir.path().join("station.png");
    run_ok(&[
        OsStr::new("render"),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("800x600"),
        OsStr::new("--bbox"),
        OsStr::new("139.3915,35.6775,139.3955,35.6797"),
    ]);
    let (w, _, px) = read_png(&out);
    let centre: Vec<[u8; 4]> = (270..330)
        .flat_map(|y| (258..318).map(move |x| (x, y)))
        .map(|(x, y)| px[y * w as usize + x])
        .collect();
    assert!(
        count_near(&centre, [20, 20, 20], 10) > 100,
        "station symbol in the middle"
    );
}

#[test]
fn render_bench_prints_frame_times() {
    let said = run_ok(&[
        OsStr::new("render"),
        OsStr::new("--bench"),
        OsStr::new("3"),
        OsStr::new("--size"),
        OsStr::new("320x200"),
    ]);
    assert!(said.contains("first frame: build"), "{said}");
    for row in [
        "pan (window: the layers' image moved) (3 frames, 320×200 px): build",
        "zoom (window: the layers' image scaled) (3 frames",
        "redraw once the view rests (window) (3 frames",
        "pan, redrawing every frame (3 frames",
        "zoom, redrawing every frame (3 frames",
    ] {
        assert!(said.contains(row), "{row}: {said}");
    }
}

#[test]
fn bad_render_arguments_are_refused_clearly() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sitelens"))
        .args(["render", "--size", "10x10", "-o", "/tmp/never.png"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("16 to 16384"));
}

/// A small map image keeps its legend and credits beside the map: a layer that covers the whole
/// view in one colour shows in every map pixel (but the notices' band and the scale bar), and
/// the legend's text is in the column beside it. Only the named project is drawn (no Hino).
#[test]
fn a_small_map_image_keeps_the_legend_off_the_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cover.geojson"),
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"cover"},
        "geometry":{"type":"Polygon","coordinates":[[[139.3,35.6],[139.5,35.6],[139.5,35.75],[139.3,35.75],[139.3,35.6]]]}}]}"#,
    )
    .unwrap();
    let project = dir.path().join("cover.toml");
    std::fs::write(
        &project,
        r##"name = "legend test"

[[layer]]
path = "cover.geojson"
title = "Cover layer"
credit = "Test credit line"
style = { fill = "#ff00ffff", stroke = "#ff00ffff", width = 1.0 }
"##,
    )
    .unwrap();
    let out = dir.path().join("small.png");
    let said = run_ok(&[
        OsStr::new("render"),
        project.as_os_str(),
        OsStr::new("-o"),
        out.as_os_str(),
        OsStr::new("--size"),
        OsStr::new("600x400"),
        OsStr::new("--bbox"),
        OsStr::new("139.38,35.65,139.42,35.68"),
    ]);
    assert!(said.contains("1 layers"), "{said}");
    let (w, h, px) = read_png(&out);
    assert_eq!((w, h), (600, 400));
    let at = |x: u32, y: u32| px[(y * w + x) as usize];
    let magenta = |p: [u8; 4]| p[0] > 240 && p[1] < 15 && p[2] > 240;
    // The map: left of the legend column; the scale bar's corner left out.
    let side = 600 - 432;
    let (mut covered, mut total) = (0, 0);
    for y in 5..(h - 40) {
        for x in 5..(w - side - 5) {
            total += 1;
            if magenta(at(x, y)) {
                covered += 1;
            }
        }
    }
    assert!(
        covered as f64 > total as f64 * 0.995,
        "{covered} of {total} map pixels show the layer"
    );
    // The column: dark legend text, and no data but the layer's swatch.
    let column: Vec<[u8; 4]> = (0..h)
        .flat_map(|y| (w - side + 2..w).map(move |x| (x, y)))
        .map(|(x, y)| at(x, y))
        .collect();
    let dark = column
        .iter()
        .filter(|p| p[0] < 90 && p[1] < 90 && p[2] < 90)
        .count();
    assert!(
        dark > 100,
        "{dark} dark pixels of legend text beside the map"
    );
    let data = column.iter().filter(|p| magenta(**p)).count();
    assert!(data < 150, "{data} layer-coloured pixels beside the map");
}
