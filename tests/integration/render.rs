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
    // street level: the station's black bar crosses the middle of the image.
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
        .flat_map(|y| (370..430).map(move |x| (x, y)))
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
