//! Criterion benchmarks of the hot paths, on real data: the 13,491 building footprints of
//! Boulder, Colorado in ../shared/data/perf/boulder_buildings.zip (MIT © 2022 J. H. Uhl).
//!
//!     cargo bench --bench hot_paths [-- FILTER]
//!
//! Inputs are derived here, in memory: the zip's Shapefile members are read as bytes, the loaded
//! layer is written once as GeoJSON bytes. Then: GeoJSON and Shapefile parse (the whole load:
//! parse, checks, CRS, R-tree), reprojection (JGD2011 plane rectangular IX → WGS84), R-tree bulk
//! load, viewport query, point pick, polygon tessellation (earcut, as the viewer fills polygons),
//! filter (where + bbox) and GeoJSON write. Short measurements (10 samples, 3 s) keep the whole
//! run to a few minutes on two cores.

use std::hint::black_box;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
};
use geo::TriangulateEarcut;
use geo_types::{Coord, Geometry, Polygon};
use sitelens::crs::Reprojector;
use sitelens::export::{ExportOptions, Profile, Section, write_geojson};
use sitelens::filter::{BboxFilter, Filter};
use sitelens::io::{Input, load_input};
use sitelens::model::{Envelope, SpatialIndex};
use sitelens::{Layer, LoadOptions, load};

const PERF_ZIP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/perf/boulder_buildings.zip"
);
/// The Shapefile inside the zip.
const STEM: &str = "boulder_buildings";
/// Viewport boxes per iteration of the query benchmark (each 1 % of the extent's area).
const BOXES: usize = 1000;
/// Points per iteration of the pick benchmark.
const POINTS: usize = 10_000;
/// Coordinates per iteration of the reprojection benchmark.
const REPROJECTED: usize = 100_000;

/// Everything the benchmarks read, built once.
struct Inputs {
    /// The footprints as sitelens loads them (WGS84 lon/lat, with the R-tree).
    layer: Layer,
    /// The same features as RFC 7946 GeoJSON, without provenance.
    geojson: Vec<u8>,
    /// The zip's .shp member and its sidecars (extension, bytes).
    shp: Vec<u8>,
    sidecars: Vec<(String, Vec<u8>)>,
}

impl Inputs {
    fn new() -> Self {
        let layer = load(Path::new(PERF_ZIP), &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{PERF_ZIP} must load (../shared beside the project): {e}"));
        assert_eq!(layer.features.len(), 13_491, "the footprints changed");

        let mut geojson = Vec::new();
        let all = Section::new(
            &layer,
            (0..layer.features.len()).collect(),
            Profile::Internal,
            Vec::new(),
        );
        let options = ExportOptions {
            metadata: false,
            ..ExportOptions::default()
        };
        write_geojson(&mut geojson, &[all], &options).expect("writes to memory");

        let file = std::fs::File::open(PERF_ZIP).expect("the zip opens");
        let mut zip = zip::ZipArchive::new(file).expect("a readable zip");
        let mut member = |ext: &str| {
            let mut bytes = Vec::new();
            zip.by_name(&format!("{STEM}.{ext}"))
                .unwrap_or_else(|e| panic!("{STEM}.{ext} in the zip: {e}"))
                .read_to_end(&mut bytes)
                .expect("the member decompresses");
            bytes
        };
        let shp = member("shp");
        let sidecars = ["shx", "dbf", "prj", "cpg"]
            .into_iter()
            .map(|ext| (ext.to_string(), member(ext)))
            .collect();
        Inputs {
            layer,
            geojson,
            shp,
            sidecars,
        }
    }

    fn extent(&self) -> Envelope {
        self.layer
            .index
            .bbox()
            .expect("the footprints have geometry")
    }

    fn feature_count(&self) -> u64 {
        self.layer.features.len() as u64
    }
}

/// splitmix64 with a fixed seed: the same boxes and points on every run.
struct SplitMix64(u64);

impl SplitMix64 {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A box of `fraction` of `extent`'s width and height, centred.
fn centred(extent: Envelope, fraction: f64) -> Envelope {
    let (cx, cy) = (
        (extent.min_x + extent.max_x) / 2.0,
        (extent.min_y + extent.max_y) / 2.0,
    );
    let (hw, hh) = (
        (extent.max_x - extent.min_x) * fraction / 2.0,
        (extent.max_y - extent.min_y) * fraction / 2.0,
    );
    Envelope::new(cx - hw, cy - hh, cx + hw, cy + hh)
}

fn parse(g: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    let options = LoadOptions::default();
    g.throughput(Throughput::Bytes(inputs.geojson.len() as u64));
    g.bench_function("parse geojson (13,491 footprints, in memory)", |b| {
        b.iter_batched(
            || Input::from_bytes(format!("{STEM}.geojson"), inputs.geojson.clone()),
            |input| load_input(input, &options).expect("the GeoJSON loads"),
            BatchSize::LargeInput,
        )
    });
    let shapefile_bytes: usize =
        inputs.shp.len() + inputs.sidecars.iter().map(|(_, b)| b.len()).sum::<usize>();
    g.throughput(Throughput::Bytes(shapefile_bytes as u64));
    g.bench_function("parse shapefile (13,491 footprints, in memory)", |b| {
        b.iter_batched(
            || {
                Input::with_sidecars(
                    format!("{STEM}.shp"),
                    inputs.shp.clone(),
                    inputs.sidecars.clone(),
                )
            },
            |input| load_input(input, &options).expect("the Shapefile loads"),
            BatchSize::LargeInput,
        )
    });
}

fn reproject(g: &mut BenchmarkGroup<'_, WallTime>) {
    let (reprojector, _) = Reprojector::to_wgs84("EPSG:6677").expect("PROJ knows EPSG:6677");
    // A 400 × 250 grid at 25 m steps over Hino (easting, northing in zone IX, metres).
    let coords: Vec<Coord<f64>> = (0..REPROJECTED)
        .map(|i| Coord {
            x: -45_000.0 + (i % 400) as f64 * 25.0,
            y: -40_000.0 + (i / 400) as f64 * 25.0,
        })
        .collect();
    let first = reprojector.coord(coords[0]).expect("transforms");
    assert!(
        (139.0..140.0).contains(&first.x) && (35.0..36.0).contains(&first.y),
        "zone IX near Hino should land near 139.3°E 35.6°N, got {first:?}"
    );
    g.throughput(Throughput::Elements(REPROJECTED as u64));
    g.bench_function("reproject 100k coords EPSG:6677 → WGS84", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for &c in &coords {
                let out = reprojector.coord(c).expect("transforms");
                sum += out.x + out.y;
            }
            sum
        })
    });
}

fn index(g: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    let layer = &inputs.layer;
    g.throughput(Throughput::Elements(inputs.feature_count()));
    g.bench_function("r-tree bulk load (13,491 envelopes)", |b| {
        b.iter(|| SpatialIndex::build(black_box(&layer.features)))
    });

    let extent = inputs.extent();
    let (w, h) = (extent.max_x - extent.min_x, extent.max_y - extent.min_y);
    let mut rng = SplitMix64(0x5173_1E25_2025_0007);
    let boxes: Vec<Envelope> = (0..BOXES)
        .map(|_| {
            let x = extent.min_x + rng.unit() * w * 0.9;
            let y = extent.min_y + rng.unit() * h * 0.9;
            Envelope::new(x, y, x + w * 0.1, y + h * 0.1)
        })
        .collect();
    g.throughput(Throughput::Elements(BOXES as u64));
    g.bench_function("viewport query (1000 boxes of 1 % of the extent)", |b| {
        b.iter(|| {
            boxes
                .iter()
                .map(|&view| layer.index.query(black_box(view)).count())
                .sum::<usize>()
        })
    });

    let points: Vec<(f64, f64)> = (0..POINTS)
        .map(|_| (extent.min_x + rng.unit() * w, extent.min_y + rng.unit() * h))
        .collect();
    g.throughput(Throughput::Elements(POINTS as u64));
    g.bench_function("point pick (10,000 points, 5 m)", |b| {
        b.iter(|| {
            points
                .iter()
                .filter(|&&(lon, lat)| {
                    layer
                        .index
                        .pick_lon_lat(&layer.features, lon, lat, 5.0)
                        .is_some()
                })
                .count()
        })
    });
}

fn tessellate(g: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    let polygons: Vec<&Polygon<f64>> = inputs
        .layer
        .features
        .iter()
        .flat_map(|f| match f.geometry.as_ref() {
            Some(Geometry::Polygon(p)) => vec![p],
            Some(Geometry::MultiPolygon(mp)) => mp.0.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    g.throughput(Throughput::Elements(polygons.len() as u64));
    g.bench_function("tessellate footprints (earcut)", |b| {
        b.iter(|| {
            polygons
                .iter()
                .map(|p| black_box(p.earcut_triangles_raw()).triangle_indices.len())
                .sum::<usize>()
        })
    });
}

fn filter(g: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    // The benchmark script's filtered export: a year and a centred box of 10 % of the area.
    let b = centred(inputs.extent(), 0.1f64.sqrt());
    let text = format!("{},{},{},{}", b.min_x, b.min_y, b.max_x, b.max_y);
    let filter = Filter {
        where_text: Some("year_built >= 1970".into()),
        bbox: Some(BboxFilter::parse(&text, None).expect("a lon/lat box")),
        spatial: Vec::new(),
    };
    let kept = filter.apply(&inputs.layer).expect("the filter applies");
    assert!(!kept.is_empty(), "the filter keeps some footprints");
    g.throughput(Throughput::Elements(inputs.feature_count()));
    g.bench_function("filter where + bbox 10 %", |b| {
        b.iter(|| filter.apply(black_box(&inputs.layer)).expect("applies"))
    });
}

fn write(g: &mut BenchmarkGroup<'_, WallTime>, inputs: &Inputs) {
    let layer = &inputs.layer;
    let all = [Section::new(
        layer,
        (0..layer.features.len()).collect(),
        Profile::Public,
        Vec::new(),
    )];
    let options = ExportOptions::default();
    let mut out = Vec::new();
    write_geojson(&mut out, &all, &options).expect("writes to memory");
    g.throughput(Throughput::Bytes(out.len() as u64));
    g.bench_function("write geojson (13,491 footprints)", |b| {
        b.iter(|| {
            out.clear();
            write_geojson(&mut out, &all, &options).expect("writes to memory")
        })
    });
}

fn hot_paths(c: &mut Criterion) {
    let inputs = Inputs::new();
    let mut g = c.benchmark_group("hot_paths");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    parse(&mut g, &inputs);
    reproject(&mut g);
    index(&mut g, &inputs);
    tessellate(&mut g, &inputs);
    filter(&mut g, &inputs);
    write(&mut g, &inputs);
    g.finish();
}

criterion_group!(benches, hot_paths);
criterion_main!(benches);
