//! Basemap tiles from a local tile server (127.0.0.1): drawn under the layers with the source's
//! credit, cached on disk, and drawn from the cache when the server is gone.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sitelens::app::tiles::TileSource;
use sitelens::app::{Command, Viewer};

const TILE_RGB: [u8; 3] = [12, 200, 120];

/// Serves a plain 256×256 PNG for every /z/x/y.png; counts the requests.
fn tile_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let mut png = Vec::new();
    {
        let mut e = png::Encoder::new(&mut png, 256, 256);
        e.set_color(png::ColorType::Rgb);
        let mut w = e.write_header().unwrap();
        w.write_image_data(&TILE_RGB.repeat(256 * 256)).unwrap();
    }
    let served = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Skip the headers.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let ok = line.starts_with("GET /") && line.contains(".png");
            if ok {
                served.fetch_add(1, Ordering::SeqCst);
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    png.len()
                );
                let _ = stream.write_all(&png);
            } else {
                let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            }
        }
    });
    (port, count)
}

fn viewer_with_tiles(port: u16, cache: &std::path::Path) -> Harness<'static, Viewer> {
    let mut viewer = Viewer::new();
    viewer.tile_cache = cache.to_path_buf();
    viewer.apply(Command::SetBasemap(Some(TileSource {
        id: "local".into(),
        url: format!("http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png"),
        credit: "Test tiles credit".into(),
        max_zoom: 18,
    })));
    let mut h = crate::ui::harness(viewer);
    // Until the tiles are in (the fetches run on threads; a busy machine may take a while).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while std::time::Instant::now() < deadline {
        h.step();
        let loading = h.state().basemap.as_ref().unwrap().loading();
        if loading == 0 && h.state().doc.view.is_some() {
            h.step();
            if h.state().basemap.as_ref().unwrap().loading() == 0 {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    crate::ui::settle(&mut h);
    h
}

fn tile_pixels(h: &mut Harness<'_, Viewer>) -> usize {
    let image = h.render().expect("rendered");
    image
        .pixels()
        .filter(|p| (0..3).all(|k| p[k].abs_diff(TILE_RGB[k]) <= 3))
        .count()
}

#[test]
fn tiles_come_from_a_local_server_then_from_the_cache() {
    let cache = tempfile::tempdir().unwrap();
    let (port, served) = tile_server();
    let mut h = viewer_with_tiles(port, cache.path());
    assert!(served.load(Ordering::SeqCst) >= 2, "tiles requested");
    assert!(tile_pixels(&mut h) > 20_000, "tile colour on the map");
    h.get_by_label_contains("Test tiles credit");
    // Cached as z/x/y.png under the source's folder.
    let cached: Vec<_> = walk(&cache.path().join("local"));
    assert_eq!(cached.len(), served.load(Ordering::SeqCst));
    assert!(
        cached
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "png"))
    );

    // A port nobody listens on: the cache alone draws the same view.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut again = viewer_with_tiles(dead, cache.path());
    assert!(tile_pixels(&mut again) > 20_000, "tiles from the cache");
    assert!(
        again.state().doc.notices.iter().all(|n| !n.error),
        "{:?}",
        again.state().doc.notices
    );
}

#[test]
fn an_unreachable_server_is_reported_and_the_map_still_works() {
    let cache = tempfile::tempdir().unwrap();
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut h = viewer_with_tiles(dead, cache.path());
    assert_eq!(tile_pixels(&mut h), 0);
    // The failed fetches are reported, and the layers still draw (the city boundary's red), each
    // as soon as its thread is done: waited for rather than timed, so a busy machine only makes
    // the test slower.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let reported = |h: &Harness<'_, Viewer>| {
        h.state()
            .doc
            .notices
            .iter()
            .any(|n| n.error && n.text.contains(&format!("127.0.0.1:{dead}")))
    };
    let boundary_pixels = |h: &mut Harness<'_, Viewer>| {
        h.render()
            .unwrap()
            .pixels()
            .filter(|p| p[0] == 200 && p[1] == 40 && p[2] == 40)
            .count()
    };
    while !(reported(&h) && boundary_pixels(&mut h) > 100) {
        if std::time::Instant::now() > deadline {
            let pixels = boundary_pixels(&mut h);
            panic!(
                "after 2 minutes: notices {:?}, {pixels} boundary pixels",
                h.state().doc.notices
            );
        }
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}
