//! Frame timing for measuring the viewer under Xvfb (`SITELENS_FRAME_STATS=1`, bench/run.sh).

use eframe::egui;

/// Frame times while the map is dragged (the interval between frames, painting continuously,
/// and the time to build the UI), summarised on stderr every 30 such frames; the start-up and
/// the end of loading are logged once: how the viewer's speed is measured under Xvfb
/// (bench/run.sh).
#[derive(Default)]
pub struct FrameStats {
    intervals_ms: Vec<f64>,
    build_ms: Vec<f64>,
    first_frame_logged: bool,
    loads_logged: bool,
    /// The rows of partial layers (PostGIS) already logged as drawn, by layer and generation.
    rows_logged: std::collections::HashSet<(super::LayerId, u64)>,
}

impl FrameStats {
    pub fn record(&mut self, ctx: &egui::Context, build: std::time::Duration, loading: bool) {
        if !self.first_frame_logged {
            self.first_frame_logged = true;
            eprintln!(
                "frame-stats: first frame built {:.1} ms after start",
                process_uptime_ms()
            );
        }
        if !loading && !self.loads_logged {
            self.loads_logged = true;
            eprintln!(
                "frame-stats: layers loaded {:.1} ms after start",
                process_uptime_ms()
            );
        }
        let (dt, dragging) = ctx.input(|i| (i.unstable_dt, i.pointer.primary_down()));
        if !dragging {
            return;
        }
        self.intervals_ms.push(dt as f64 * 1000.0);
        self.build_ms.push(build.as_secs_f64() * 1000.0);
        if self.intervals_ms.len() == 30 {
            let median = |v: &mut Vec<f64>| {
                v.sort_by(f64::total_cmp);
                (v[v.len() / 2], v[v.len() * 95 / 100])
            };
            let (dt, dt95) = median(&mut self.intervals_ms);
            let (b, b95) = median(&mut self.build_ms);
            eprintln!(
                "frame-stats: drag frames: interval median {dt:.1} ms (p95 {dt95:.1}); UI build median {b:.1} ms (p95 {b95:.1})"
            );
            self.intervals_ms.clear();
            self.build_ms.clear();
        }
    }
}

impl FrameStats {
    /// Logs, once per layer and generation, that a PostGIS layer's rows for the view are drawn:
    /// how many, after how long since the view asked for them, and since the start.
    pub fn rows_drawn(&mut self, layer: &super::MapLayer, asked: Option<std::time::Instant>) {
        let Some(partial) = layer.partial.as_ref().filter(|p| p.fetched) else {
            return;
        };
        if !self.rows_logged.insert((layer.id(), layer.generation())) {
            return;
        }
        let since_asked = asked.map_or(f64::NAN, |t| t.elapsed().as_secs_f64() * 1000.0);
        eprintln!(
            "frame-stats: PostGIS rows drawn: {} rows{} (tolerance {:.2e}), {since_asked:.1} ms \
             after the view asked (fetch {:.1} ms), {:.1} ms after start",
            layer.layer.features.len(),
            if partial.capped { ", capped" } else { "" },
            partial.tolerance,
            partial.fetch_ms,
            process_uptime_ms()
        );
    }
}

/// Milliseconds since the process started (Linux: from /proc/self/stat), for start-up timing.
fn process_uptime_ms() -> f64 {
    let read = || -> Option<f64> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let start_ticks: f64 = stat
            .rsplit(')')
            .next()?
            .split_whitespace()
            .nth(19)?
            .parse()
            .ok()?;
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .ok()?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        Some((uptime - start_ticks / 100.0) * 1000.0)
    };
    read().unwrap_or(f64::NAN)
}
