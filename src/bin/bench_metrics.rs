//! Times the site metrics on the Hino project: the 30 sample sites, and N generated square sites
//! (300 m² to 5 ha, placed at random over the city's box; deterministic) — wall time, median of
//! 5 runs, on every core (rayon).
//!
//!     cargo run --release --bin bench_metrics -- [N]      (N defaults to 10000)

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use geo::{Destination, Geodesic};
use geo_types::{Geometry, Point, Polygon};
use sitelens::analysis::site::add_metric_fields;
use sitelens::embedded::HINO;
use sitelens::model::Role;
use sitelens::model::{Feature, Layer};
use sitelens::project::{Analysis, load_site_inputs, site_context};

fn main() -> Result<()> {
    let n: usize = match std::env::args().nth(1) {
        Some(a) => a.parse().context("N must be a number")?,
        None => 10_000,
    };
    let inputs = load_site_inputs()?;
    let ctx = site_context(inputs.iter().map(|(r, l)| (*r, l)), &Analysis::default())
        .map_err(anyhow::Error::msg)?;
    let sample = HINO
        .iter()
        .find(|e| e.role == Role::Site)
        .context("no sample sites")?;
    let city = inputs
        .iter()
        .find(|(r, _)| *r == Role::Boundary)
        .and_then(|(_, l)| l.index.bbox())
        .context("no boundary")?;

    let squares = generated(n, city);
    let generated_layer = || {
        let mut l = sample.load().expect("embedded layer loads");
        l.fields.clear();
        l.features = squares.clone();
        l
    };
    let sample_layer = || sample.load().expect("embedded layer loads");
    println!(
        "site metrics, {} threads (rayon), median of 5 runs:",
        rayon::current_num_threads()
    );
    let cases: [(&str, &dyn Fn() -> Layer); 2] = [
        ("sample sites", &sample_layer),
        ("generated sites", &generated_layer),
    ];
    for (label, make) in cases {
        let mut count = 0;
        let t = median(5, || {
            let mut l = make();
            count = l.features.len();
            let start = Instant::now();
            add_metric_fields(&mut l, &ctx);
            start.elapsed()
        });
        println!(
            "  {count:>6} {label:<16} {:>9.1} ms  ({:.1} µs per site)",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() * 1e6 / count as f64
        );
    }
    Ok(())
}

fn median(runs: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..runs).map(|_| f()).collect();
    times.sort();
    times[runs / 2]
}

/// `n` squares of 300 m² to 5 ha (log-uniform) at random points of `bbox`.
fn generated(n: usize, bbox: sitelens::model::Envelope) -> Vec<Feature> {
    let mut state = 0x2024_1124_u64;
    let mut next = move || {
        // splitmix64
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|i| {
            let sw = Point::new(
                bbox.min_x + next() * (bbox.max_x - bbox.min_x),
                bbox.min_y + next() * (bbox.max_y - bbox.min_y),
            );
            let side = (300f64.ln() + next() * (50_000f64.ln() - 300f64.ln()))
                .exp()
                .sqrt();
            let se = Geodesic.destination(sw, 90.0, side);
            let nw = Geodesic.destination(sw, 0.0, side);
            let ne = Geodesic.destination(nw, 90.0, side);
            let square = Polygon::new(vec![sw.0, se.0, ne.0, nw.0, sw.0].into(), vec![]);
            Feature {
                record: i as u64,
                geometry: Some(Geometry::Polygon(square)),
                z: None,
                values: Vec::new(),
            }
        })
        .collect()
}
