//! Basemap tiles (XYZ, Web Mercator): GSI 地理院タイル 標準地図 / 淡色地図 and OpenStreetMap, off
//! by default and switched on by the user (表示 ▸ 背景地図). Tiles are fetched in the background
//! (at most a few at a time, the newest view first), kept on disk (30 days) and in textures;
//! while a tile is missing its nearest loaded ancestor stands in. The source's credit is shown
//! with the map.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, SystemTime};

use eframe::egui;
use egui::{Color32, ColorImage, Pos2, Rect, TextureHandle};
use geo_types::Coord;

use super::MapView;

/// A tile service.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TileSource {
    /// Names the cache folder.
    pub id: String,
    /// URL with {z}, {x} and {y}.
    pub url: String,
    /// Credit line the service requires.
    pub credit: String,
    pub max_zoom: u8,
}

/// The basemaps offered in the menu: (id, Japanese name, English name).
pub const BASEMAPS: [(&str, &str, &str); 3] = [
    ("gsi-std", "地理院タイル 標準地図", "GSI standard map"),
    ("gsi-pale", "地理院タイル 淡色地図", "GSI pale map"),
    ("osm", "OpenStreetMap", "OpenStreetMap"),
];

impl TileSource {
    /// One of [`BASEMAPS`] by id.
    pub fn named(id: &str) -> Option<TileSource> {
        let (url, credit, max_zoom) = match id {
            "gsi-std" => (
                "https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png",
                "背景：地理院タイル（標準地図）国土地理院",
                18,
            ),
            "gsi-pale" => (
                "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png",
                "背景：地理院タイル（淡色地図）国土地理院",
                18,
            ),
            "osm" => (
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                "Basemap © OpenStreetMap contributors (ODbL)",
                19,
            ),
            _ => return None,
        };
        Some(TileSource {
            id: id.into(),
            url: url.into(),
            credit: credit.into(),
            max_zoom,
        })
    }

    fn url_of(&self, t: TileKey) -> String {
        self.url
            .replace("{z}", &t.z.to_string())
            .replace("{x}", &t.x.to_string())
            .replace("{y}", &t.y.to_string())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileKey {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileKey {
    /// The tile's corners in lon/lat: (west, south, east, north).
    pub fn bounds(self) -> (f64, f64, f64, f64) {
        let n = f64::from(1u32 << self.z);
        let lon = |x: f64| x / n * 360.0 - 180.0;
        let lat = |y: f64| {
            (std::f64::consts::PI * (1.0 - 2.0 * y / n))
                .sinh()
                .atan()
                .to_degrees()
        };
        (
            lon(self.x as f64),
            lat(self.y as f64 + 1.0),
            lon(self.x as f64 + 1.0),
            lat(self.y as f64),
        )
    }

    fn parent(self) -> Option<TileKey> {
        (self.z > 0).then(|| TileKey {
            z: self.z - 1,
            x: self.x / 2,
            y: self.y / 2,
        })
    }
}

/// The tile (x, y) at zoom z holding lon/lat `c`.
pub fn tile_of(c: Coord<f64>, z: u8) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let lat = c.y.clamp(-85.0511, 85.0511).to_radians();
    let x = ((c.x + 180.0) / 360.0 * n).floor();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    let max = n - 1.0;
    (x.clamp(0.0, max) as u32, y.clamp(0.0, max) as u32)
}

enum State {
    Loading,
    Ready(TextureHandle),
    Failed,
}

/// Fetched tiles on their way to the UI thread.
type Fetched = (TileKey, Result<ColorImage, String>);

/// The basemap being shown: its source, cache and textures.
pub struct Basemap {
    pub source: TileSource,
    cache: PathBuf,
    tiles: HashMap<TileKey, State>,
    tx: Sender<Fetched>,
    rx: Receiver<Fetched>,
    in_flight: usize,
    /// The last fetch error, for the notifications.
    pub last_error: Option<String>,
}

/// Tiles fetched at once.
const PARALLEL: usize = 4;
/// The most tiles drawn in one view.
const MAX_TILES: usize = 96;
const MAX_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

impl Basemap {
    pub fn new(source: TileSource, cache_root: &Path) -> Self {
        let (tx, rx) = channel();
        Basemap {
            cache: cache_root.join(&source.id),
            source,
            tiles: HashMap::new(),
            tx,
            rx,
            in_flight: 0,
            last_error: None,
        }
    }

    /// Where tiles are kept: $XDG_CACHE_HOME/sitelens/tiles (or ~/.cache/…).
    pub fn default_cache_root() -> PathBuf {
        std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir)
            .join("sitelens/tiles")
    }

    /// Tiles still being fetched.
    pub fn loading(&self) -> usize {
        self.in_flight
    }

    /// The zoom whose tiles match the view's scale on screen.
    fn zoom_for(&self, view: &MapView, ppp: f32) -> u8 {
        // Screen points per degree of longitude at the view's latitude vs 256 px per tile.
        let points_per_deg_lon = 1.0 / view.degrees_lon_per_point();
        let z = (points_per_deg_lon * f64::from(ppp) * 360.0 / 256.0)
            .log2()
            .round();
        z.clamp(0.0, f64::from(self.source.max_zoom)) as u8
    }

    /// Draws the tiles under the view, asking for the missing ones.
    pub fn paint(
        &mut self,
        ctx: &egui::Context,
        painter: &egui::Painter,
        view: &MapView,
        rect: Rect,
    ) {
        self.receive(ctx);
        let z = self.zoom_for(view, ctx.pixels_per_point());
        let env = view.envelope(rect);
        let (x0, y0) = tile_of(
            Coord {
                x: env.min_x,
                y: env.max_y,
            },
            z,
        );
        let (x1, y1) = tile_of(
            Coord {
                x: env.max_x,
                y: env.min_y,
            },
            z,
        );
        let mut wanted = Vec::new();
        for y in y0..=y1 {
            for x in x0..=x1 {
                wanted.push(TileKey { z, x, y });
            }
        }
        wanted.truncate(MAX_TILES);
        for &key in &wanted {
            // The tile, else its nearest loaded ancestor's matching part.
            let mut at = Some(key);
            while let Some(k) = at {
                if let Some(State::Ready(texture)) = self.tiles.get(&k) {
                    let screen = screen_rect(view, rect, key);
                    painter.image(texture.id(), screen, uv_within(k, key), Color32::WHITE);
                    break;
                }
                at = k.parent().filter(|p| key.z - p.z <= 4);
            }
            if !self.tiles.contains_key(&key) && self.in_flight < PARALLEL {
                self.fetch(key, ctx.clone());
            }
        }
        if self.in_flight > 0 {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn receive(&mut self, ctx: &egui::Context) {
        while let Ok((key, result)) = self.rx.try_recv() {
            self.in_flight -= 1;
            let state = match result {
                Ok(image) => State::Ready(ctx.load_texture(
                    format!("tile-{}-{}-{}-{}", self.source.id, key.z, key.x, key.y),
                    image,
                    egui::TextureOptions::LINEAR,
                )),
                Err(e) => {
                    self.last_error = Some(e);
                    State::Failed
                }
            };
            self.tiles.insert(key, state);
        }
    }

    fn fetch(&mut self, key: TileKey, ctx: egui::Context) {
        self.tiles.insert(key, State::Loading);
        self.in_flight += 1;
        let url = self.source.url_of(key);
        let file = self
            .cache
            .join(format!("{}/{}/{}.png", key.z, key.x, key.y));
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let result = load_tile(&url, &file);
            let _ = tx.send((key, result));
            ctx.request_repaint();
        });
    }
}

/// A tile from the cache when fresh, else from the server (then cached); a stale cached tile
/// when the server cannot be reached.
fn load_tile(url: &str, file: &Path) -> Result<ColorImage, String> {
    let cached = std::fs::metadata(file).ok().and_then(|m| m.modified().ok());
    let fresh = cached.is_some_and(|t| {
        SystemTime::now()
            .duration_since(t)
            .is_ok_and(|age| age < MAX_AGE)
    });
    if fresh && let Ok(bytes) = std::fs::read(file) {
        return decode(&bytes);
    }
    match download(url) {
        Ok(bytes) => {
            let image = decode(&bytes)?;
            if let Some(dir) = file.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = crate::write::atomic_write(file, &[], |w| std::io::Write::write_all(w, &bytes));
            Ok(image)
        }
        Err(e) => match std::fs::read(file) {
            Ok(bytes) => decode(&bytes),
            Err(_) => Err(e),
        },
    }
}

fn download(url: &str) -> Result<Vec<u8>, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(15)))
        .user_agent(concat!(
            "sitelens/",
            env!("CARGO_PKG_VERSION"),
            " (desktop GIS viewer)"
        ))
        .build()
        .into();
    let mut response = agent.get(url).call().map_err(|e| format!("{url}: {e}"))?;
    response
        .body_mut()
        .with_config()
        .limit(8 << 20)
        .read_to_vec()
        .map_err(|e| format!("{url}: {e}"))
}

/// PNG (or anything the png crate reads) to an RGBA image.
fn decode(bytes: &[u8]) -> Result<ColorImage, String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| format!("tile: {e}"))?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("tile: too large")?];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| format!("tile: {e}"))?;
    let (w, h) = (info.width as usize, info.height as usize);
    let data = &buf[..info.buffer_size()];
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => data.to_vec(),
        png::ColorType::Rgb => data
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => data
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0], p[1]])
            .collect(),
        png::ColorType::Grayscale => data.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err("tile: unexpanded palette".into()),
    };
    if rgba.len() != w * h * 4 {
        return Err("tile: size mismatch".into());
    }
    Ok(ColorImage::from_rgba_unmultiplied([w, h], &rgba))
}

/// Where tile `key` lies on screen (the projection keeps lon and lat axis-aligned).
fn screen_rect(view: &MapView, rect: Rect, key: TileKey) -> Rect {
    let (w, s, e, n) = key.bounds();
    let a: Pos2 = view.screen_from_world(rect, Coord { x: w, y: n });
    let b: Pos2 = view.screen_from_world(rect, Coord { x: e, y: s });
    Rect::from_two_pos(a, b)
}

/// The part of ancestor `a`'s texture that covers tile `t`.
fn uv_within(a: TileKey, t: TileKey) -> Rect {
    let k = f32::from(1u16 << (t.z - a.z));
    let (fx, fy) = (
        (t.x - (a.x << (t.z - a.z))) as f32,
        (t.y - (a.y << (t.z - a.z))) as f32,
    );
    Rect::from_min_max(
        Pos2::new(fx / k, fy / k),
        Pos2::new((fx + 1.0) / k, (fy + 1.0) / k),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_numbers_match_the_slippy_map_formulae() {
        // 日野市役所 (139.3955, 35.6713) at z=15 is tile 29072/12904 (the OSM wiki's formulae,
        // computed independently in Python).
        assert_eq!(
            tile_of(
                Coord {
                    x: 139.3955,
                    y: 35.6713
                },
                15
            ),
            (29072, 12904)
        );
        let (w, s, e, n) = TileKey {
            z: 15,
            x: 29072,
            y: 12904,
        }
        .bounds();
        assert!(w <= 139.3955 && 139.3955 < e && s <= 35.6713 && 35.6713 < n);
        assert_eq!(
            tile_of(
                Coord {
                    x: -180.0,
                    y: 85.0511
                },
                3
            ),
            (0, 0)
        );
    }

    #[test]
    fn ancestors_cover_the_right_quarter() {
        let t = TileKey { z: 3, x: 5, y: 2 };
        let p = t.parent().unwrap();
        assert_eq!(p, TileKey { z: 2, x: 2, y: 1 });
        assert_eq!(
            uv_within(p, t),
            Rect::from_min_max(Pos2::new(0.5, 0.0), Pos2::new(1.0, 0.5))
        );
    }
}
