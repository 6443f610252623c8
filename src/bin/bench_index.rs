//! Times the R-tree of one layer: bulk load (as the loader builds it), viewport queries and point
//! picks, wall time on one thread. Boxes and points are drawn at random over the layer's extent
//! from a fixed seed, so every run asks the same questions.
//!
//!     cargo run --release --bin bench_index -- FILE [REPEATS]      (REPEATS defaults to 5)
//!
//! Output, one measurement a line (for scripts: `grep '^bulk load'` etc.):
//!
//!     bulk load: 812.4 ms (median of 5)
//!     viewport query: 41.2 µs median, 1000 boxes of 1 % of the extent, 10234.5 hits on average
//!     point pick: 2.3 µs median, 10000 points, tolerance 5 m, 4312 hits

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sitelens::model::{Envelope, SpatialIndex};
use sitelens::{LoadOptions, load};

/// Viewport boxes drawn, each a tenth of the extent's width and height (1 % of its area).
const BOXES: usize = 1000;
/// Points picked.
const POINTS: usize = 10_000;
/// Pick radius in metres (the viewer's 6-point radius at about 1 m per point).
const PICK_TOLERANCE_M: f64 = 5.0;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (path, repeats) = match args.as_slice() {
        [path] => (path, 5),
        [path, n] => (path, n.parse().context("REPEATS must be a number")?),
        _ => bail!("usage: bench_index FILE [REPEATS]"),
    };
    if repeats == 0 {
        bail!("REPEATS must be at least 1");
    }
    let layer = load(Path::new(path), &LoadOptions::default())?;
    let extent = layer
        .index
        .bbox()
        .context("the layer has no geometry to index")?;
    println!(
        "layer: {} features, {} indexed, extent {:.7},{:.7},{:.7},{:.7}",
        layer.features.len(),
        layer.index.len(),
        extent.min_x,
        extent.min_y,
        extent.max_x,
        extent.max_y
    );

    // Bulk load: the constructor `Layer::new` calls, on the loaded features.
    let mut index = SpatialIndex::default();
    let build = median_of(repeats, || {
        let start = Instant::now();
        index = black_box(SpatialIndex::build(&layer.features));
        start.elapsed()
    });
    println!(
        "bulk load: {:.1} ms (median of {repeats})",
        build.as_secs_f64() * 1e3
    );

    let mut rng = SplitMix64(0x5173_1E25_2025_0007);
    let (w, h) = (extent.max_x - extent.min_x, extent.max_y - extent.min_y);

    // Viewport queries: every id is visited, as the map does when it draws.
    let (bw, bh) = (w * 0.1, h * 0.1);
    let boxes: Vec<Envelope> = (0..BOXES)
        .map(|_| {
            let x = extent.min_x + rng.unit() * (w - bw);
            let y = extent.min_y + rng.unit() * (h - bh);
            Envelope::new(x, y, x + bw, y + bh)
        })
        .collect();
    let mut hits = 0usize;
    let mut times = Vec::with_capacity(repeats * BOXES);
    for _ in 0..repeats {
        hits = 0;
        for &view in &boxes {
            let start = Instant::now();
            let n = index.query(view).fold(0usize, |n, id| {
                black_box(id);
                n + 1
            });
            times.push(start.elapsed());
            hits += n;
        }
    }
    println!(
        "viewport query: {:.1} µs median, {BOXES} boxes of 1 % of the extent, {:.1} hits on average",
        median(&mut times).as_secs_f64() * 1e6,
        hits as f64 / BOXES as f64
    );

    // Point picks: envelope search, then the exact distance to each candidate.
    let points: Vec<(f64, f64)> = (0..POINTS)
        .map(|_| (extent.min_x + rng.unit() * w, extent.min_y + rng.unit() * h))
        .collect();
    let mut found = 0usize;
    let mut times = Vec::with_capacity(repeats * POINTS);
    for _ in 0..repeats {
        found = 0;
        for &(lon, lat) in &points {
            let start = Instant::now();
            let pick = black_box(index.pick_lon_lat(&layer.features, lon, lat, PICK_TOLERANCE_M));
            times.push(start.elapsed());
            found += usize::from(pick.is_some());
        }
    }
    println!(
        "point pick: {:.2} µs median, {POINTS} points, tolerance {PICK_TOLERANCE_M} m, {found} hits",
        median(&mut times).as_secs_f64() * 1e6
    );
    Ok(())
}

/// Runs `f` `runs` times and returns the median of what it measured.
fn median_of(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    median(&mut times)
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

/// splitmix64 (Steele, Lea & Flood 2014): small, fast and good enough to scatter boxes.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
