//! PostGIS layers in the window: a table is opened from its catalogue and the planner's
//! estimates only; the rows of the current view are fetched on a thread (the view's box, a
//! margin around it, snapped to tiles of its zoom level, simplified by the server to a pixel
//! of that level, at most [`VIEW_ROW_CAP`] rows), kept in a small cache by that key, and become
//! the layer's rows (a new generation, drawn on a thread like a rested view). A fetch starts
//! once the view has rested; one whose key the view has left is kept in the cache, not shown.
//! A click asks the server which feature is under it (`ST_DWithin`), whole.

use std::collections::{HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use eframe::egui;

use super::{Document, Edit, LayerId, MapView, Notice, Partial};
use crate::filter::Filter;
use crate::io::LoadOptions;
use crate::io::postgis::{self, ViewRequest};
use crate::model::{Envelope, Feature, Layer};

/// The most rows one view fetch returns: about what draws in a second on a thread.
pub const VIEW_ROW_CAP: usize = 200_000;

/// Views fetched and kept per layer.
const CACHED: usize = 6;

/// Fetches running at once per layer (a newer view does not wait for a stale one).
const RUNNING: usize = 2;

/// A tile's side in screen points at the coarse end of its zoom level.
const TILE_PT: f64 = 256.0;

/// What a fetch is for: a zoom level (powers of two of the scale), the tiles the view and its
/// margin cover at that level, and the filter sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    level: i32,
    tiles: [i64; 4],
    filter: u64,
}

/// The PostGIS layers of the window and their fetches.
pub struct PgViews {
    /// The most rows per fetch.
    pub cap: usize,
    /// How long the view rests before a fetch starts.
    pub settle: Duration,
    /// Fetches that arrived so far (tests wait on it).
    pub arrived: usize,
    sources: HashMap<LayerId, Source>,
    tx: Sender<Answer>,
    rx: Receiver<Answer>,
    /// The latest identify sent to the server; older answers are dropped.
    identify: u64,
    /// Whether an identify is waiting for the server.
    pub identifying: bool,
}

/// One PostGIS layer: where it comes from and what has been fetched.
struct Source {
    url: String,
    /// The CRS override and the filter's WHERE text (pushed down).
    options: LoadOptions,
    in_table: Option<u64>,
    cache: VecDeque<(Key, Arc<Layer>, Partial)>,
    /// The key whose rows the layer holds.
    shown: Option<Key>,
    running: Vec<Key>,
    /// The key the view asks for, and since when.
    wanted: Option<(Key, Instant)>,
    /// A key whose fetch failed (not tried again until the view moves on).
    failed: Option<Key>,
}

enum Answer {
    Rows {
        layer: LayerId,
        key: Key,
        result: Result<Box<postgis::Fetched>, String>,
        took: Duration,
    },
    Identify {
        job: u64,
        result: Result<Option<(LayerId, Feature)>, String>,
    },
}

impl Default for PgViews {
    fn default() -> Self {
        let (tx, rx) = channel();
        PgViews {
            cap: VIEW_ROW_CAP,
            settle: Duration::from_millis(150),
            arrived: 0,
            sources: HashMap::new(),
            tx,
            rx,
            identify: 0,
            identifying: false,
        }
    }
}

impl PgViews {
    /// Follows layer `id`, a view of the table `url` names (about `in_table` rows).
    pub fn add(&mut self, id: LayerId, url: String, options: LoadOptions, in_table: Option<u64>) {
        self.sources.insert(
            id,
            Source {
                url,
                options,
                in_table,
                cache: VecDeque::new(),
                shown: None,
                running: Vec::new(),
                wanted: None,
                failed: None,
            },
        );
    }

    /// Whether layer `id` is a view of a PostGIS table.
    pub fn follows(&self, id: LayerId) -> bool {
        self.sources.contains_key(&id)
    }

    /// When the view last asked layer `id` for rows it did not show.
    pub fn asked_at(&self, id: LayerId) -> Option<Instant> {
        self.sources.get(&id)?.wanted.map(|(_, t)| t)
    }

    /// Whether a fetch or an identify is under way.
    pub fn busy(&self) -> bool {
        self.identifying || self.sources.values().any(|s| !s.running.is_empty())
    }

    /// Sends layer `id`'s filter to the server from now on (its WHERE text; the rest of the
    /// filter and the exact test run on the rows that come back).
    pub fn set_filter(&mut self, id: LayerId, filter: Option<&Filter>) {
        if let Some(s) = self.sources.get_mut(&id) {
            s.options.where_hint = filter.and_then(|f| f.where_text.clone());
        }
    }

    /// Takes in what arrived, and starts the fetch the view needs once it has rested. Called
    /// once per frame with the map's view and rectangle.
    pub fn update(
        &mut self,
        doc: &mut Document,
        view: Option<(MapView, egui::Rect)>,
        ctx: &egui::Context,
    ) {
        self.receive(doc);
        self.sources.retain(|id, _| doc.layer(*id).is_some());
        let Some((view, rect)) = view else {
            return;
        };
        let now = Instant::now();
        let ppp = f64::from(ctx.pixels_per_point());
        for (&id, source) in &mut self.sources {
            let visible = doc.layer(id).is_some_and(|l| l.visible);
            if !visible {
                continue;
            }
            let (key, request) = request_for(&view, rect, ppp, self.cap, &source.options);
            if source.wanted.is_none_or(|(k, _)| k != key) {
                source.wanted = Some((key, now));
            }
            if source.shown == Some(key) {
                continue;
            }
            if let Some((_, layer, partial)) = source.cache.iter().find(|(k, ..)| *k == key) {
                source.shown = Some(key);
                let _ = doc.apply(Edit::Rows(id, layer.clone(), partial.clone()));
                continue;
            }
            let since = source.wanted.map_or(now, |(_, t)| t);
            let rested = now.duration_since(since);
            if source.running.contains(&key) || source.failed == Some(key) {
                continue;
            }
            if rested < self.settle {
                ctx.request_repaint_after(self.settle - rested);
                continue;
            }
            if source.running.len() >= RUNNING {
                continue;
            }
            source.running.push(key);
            let (tx, url, repaint) = (self.tx.clone(), source.url.clone(), ctx.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let result = caught(|| postgis::fetch_view(&url, &request).map(Box::new));
                let _ = tx.send(Answer::Rows {
                    layer: id,
                    key,
                    result,
                    took: started.elapsed(),
                });
                repaint.request_repaint();
            });
        }
        if self.busy() {
            ctx.request_repaint_after(Duration::from_millis(100));
        }
    }

    fn receive(&mut self, doc: &mut Document) {
        let answers: Vec<Answer> = self.rx.try_iter().collect();
        for answer in answers {
            match answer {
                Answer::Rows {
                    layer,
                    key,
                    result,
                    took,
                } => self.rows(doc, layer, key, result, took),
                Answer::Identify { job, result } => {
                    if job != self.identify {
                        continue;
                    }
                    self.identifying = false;
                    match result {
                        Ok(Some((layer, feature))) => {
                            let feature = Arc::new(feature);
                            let _ = doc.apply(Edit::SelectFetched { layer, feature });
                        }
                        Ok(None) => {}
                        Err(text) => doc.notices.push(Notice { error: true, text }),
                    }
                }
            }
        }
    }

    /// A fetch arrived: cached, and shown when it is what the view asks for.
    fn rows(
        &mut self,
        doc: &mut Document,
        id: LayerId,
        key: Key,
        result: Result<Box<postgis::Fetched>, String>,
        took: Duration,
    ) {
        let Some(source) = self.sources.get_mut(&id) else {
            return;
        };
        source.running.retain(|k| *k != key);
        self.arrived += 1;
        let fetched = match result {
            Ok(f) => f,
            Err(text) => {
                source.failed = Some(key);
                doc.notices.push(Notice { error: true, text });
                return;
            }
        };
        let partial = Partial {
            url: source.url.clone(),
            fetched: true,
            capped: fetched.capped,
            in_box: fetched.estimated,
            in_table: source.in_table,
            tolerance: fetched.tolerance,
            fetch_ms: took.as_secs_f64() * 1000.0,
        };
        let fetched = *fetched;
        let layer = Arc::new(fetched.layer);
        if source.cache.len() >= CACHED {
            source.cache.pop_front();
        }
        source
            .cache
            .push_back((key, layer.clone(), partial.clone()));
        if source.wanted.is_some_and(|(k, _)| k == key) {
            source.shown = Some(key);
            let _ = doc.apply(Edit::Rows(id, layer, partial));
        }
    }

    /// Asks the server which feature of the visible PostGIS layers at or above `below` (the
    /// layer the click picked among the rows in memory; every one when `None`) is under the
    /// click, top layer first. The answer selects it, whole, when it comes; an answer to an
    /// older click is dropped.
    pub fn identify(
        &mut self,
        doc: &Document,
        below: Option<LayerId>,
        at: [f64; 2],
        tolerance_m: f64,
        repaint: Option<egui::Context>,
    ) {
        let floor = below.and_then(|id| doc.position(id)).unwrap_or(0);
        let candidates: Vec<(LayerId, String, LoadOptions)> = doc.layers()[floor..]
            .iter()
            .rev()
            .filter(|l| l.visible)
            .filter_map(|l| {
                let s = self.sources.get(&l.id())?;
                Some((l.id(), s.url.clone(), s.options.clone()))
            })
            .collect();
        if candidates.is_empty() {
            return;
        }
        self.identify += 1;
        self.identifying = true;
        let (job, tx) = (self.identify, self.tx.clone());
        std::thread::spawn(move || {
            let result = caught(|| {
                for (id, url, options) in &candidates {
                    if let Some(f) = postgis::identify(url, options, at[0], at[1], tolerance_m)? {
                        return Ok(Some((*id, f)));
                    }
                }
                Ok(None)
            });
            let _ = tx.send(Answer::Identify { job, result });
            if let Some(ctx) = repaint {
                ctx.request_repaint();
            }
        });
    }
}

/// Runs a server call on its thread; a panic in it is an error message, not a crash.
pub(super) fn caught<T>(
    call: impl FnOnce() -> Result<T, crate::error::LoadError>,
) -> Result<T, String> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)) {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => {
            Err("reading from the server failed unexpectedly (a bug: please report it)".into())
        }
    }
}

/// The key and request for a view: its zoom level (the largest power of two of points per
/// degree at or under the view's), the tiles of that level covering the view and a margin of a
/// quarter of it on each side, and the pixel size at the fine end of the level (so rows are
/// never simplified by more than a pixel of any view that shares the key).
fn request_for(
    view: &MapView,
    rect: egui::Rect,
    ppp: f64,
    cap: usize,
    options: &LoadOptions,
) -> (Key, ViewRequest) {
    let level = view.points_per_deg.max(1e-9).log2().floor() as i32;
    let coarse = 2f64.powi(level);
    // Degrees of longitude per degree of latitude on screen.
    let lon_per_lat = view.degrees_lon_per_point() * view.points_per_deg;
    let tile_lat = TILE_PT / coarse;
    let tile_lon = tile_lat * lon_per_lat;
    let seen = view.envelope(rect);
    let (mx, my) = (
        (seen.max_x - seen.min_x) * 0.25,
        (seen.max_y - seen.min_y) * 0.25,
    );
    let tiles = [
        ((seen.min_x - mx) / tile_lon).floor() as i64,
        ((seen.min_y - my) / tile_lat).floor() as i64,
        ((seen.max_x + mx) / tile_lon).ceil() as i64,
        ((seen.max_y + my) / tile_lat).ceil() as i64,
    ];
    let bbox = Envelope::new(
        tiles[0] as f64 * tile_lon,
        tiles[1] as f64 * tile_lat,
        tiles[2] as f64 * tile_lon,
        tiles[3] as f64 * tile_lat,
    );
    let mut h = DefaultHasher::new();
    options.where_hint.hash(&mut h);
    let key = Key {
        level,
        tiles,
        filter: h.finish(),
    };
    let request = ViewRequest {
        bbox,
        pixel_deg: lon_per_lat / (2.0 * coarse) / ppp.max(0.1),
        cap,
        options: options.clone(),
    };
    (key, request)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view_of(extent: Envelope, rect: egui::Rect) -> MapView {
        MapView::fit(extent, rect)
    }

    #[test]
    fn keys_follow_zoom_levels_and_tiles_and_cover_the_view() {
        let rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(800.0, 600.0));
        let city = Envelope::new(139.36, 35.63, 139.44, 35.69);
        let v = view_of(city, rect);
        let options = LoadOptions::default();
        let (key, request) = request_for(&v, rect, 1.0, 10, &options);
        let seen = v.envelope(rect);
        let b = request.bbox;
        assert!(b.min_x <= seen.min_x && b.max_x >= seen.max_x);
        assert!(b.min_y <= seen.min_y && b.max_y >= seen.max_y);
        // A small pan stays on the same tiles (no fetch); a zoom changes the level, and the
        // pixel is smaller.
        let mut panned = v;
        panned.pan(egui::vec2(3.0, 2.0));
        let same = request_for(&panned, rect, 1.0, 10, &options).0;
        let mut zoomed = v;
        zoomed.zoom_around(rect, rect.center(), 4.0);
        let (closer, closer_request) = request_for(&zoomed, rect, 1.0, 10, &options);
        assert_eq!(closer.level, key.level + 2);
        assert!(closer_request.pixel_deg < request.pixel_deg / 3.0);
        assert!(same.level == key.level);
        // The pixel is never coarser than the view's own.
        assert!(request.pixel_deg <= v.degrees_lon_per_point());
        // Another filter is another key.
        let filtered = LoadOptions {
            where_hint: Some("n > 1".into()),
            ..Default::default()
        };
        assert_ne!(request_for(&v, rect, 1.0, 10, &filtered).0, key);
    }
}
