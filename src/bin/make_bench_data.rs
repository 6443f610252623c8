//! Builds large benchmark inputs from real building footprints, deterministically:
//! `make_bench_data PERF_ZIP OUT_DIR COUNT` writes `buildings_COUNT.geojson` and
//! `buildings_COUNT.shp` (+ .shx/.dbf/.prj/.cpg).
//!
//! The footprints (13,491 buildings in Boulder, Colorado; MIT © 2022 Johannes H. Uhl, a subset of
//! MTBF-33) are copied in tiles shifted by a fixed step so that no two copies overlap, until COUNT
//! polygons are written. Fields: `year_built` (real), `area_m2` (geodesic, of the footprint),
//! `class` (text, from the tile and record number), `tile`.
//!
//! `make_bench_data --detailed OUT_DIR` writes `detailed_1600.geojson` instead: 1,600 synthetic
//! districts (about 250 m across, around Hino) whose outlines have 2,000 vertices each, for the
//! drawing of polygons with surveyed-level detail (levels of detail per zoom). Synthetic, and its
//! `source` member says so: the shared data has no real polygons this detailed.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use geo::{GeodesicArea, MapCoords};
use geo_types::{Coord, Polygon};
use shapefile::dbase::{FieldName, FieldValue, Record, TableWriterBuilder};
use shapefile::{Point, PolygonRing};
use sitelens::model::{Value, polygons};
use sitelens::{LoadOptions, load};

const CLASSES: [&str; 4] = ["residential", "commercial", "industrial", "civic"];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, out] = args.as_slice()
        && flag == "--detailed"
    {
        return detailed(Path::new(out));
    }
    let [zip, out, count] = args.as_slice() else {
        bail!("usage: make_bench_data PERF_ZIP OUT_DIR COUNT | make_bench_data --detailed OUT_DIR");
    };
    let count: usize = count.parse().context("COUNT must be a number")?;
    let source = load(Path::new(zip), &LoadOptions::default())?;
    let polygons: Vec<(Vec<Polygon<f64>>, Option<i64>)> = source
        .features
        .iter()
        .filter_map(|f| {
            let polys = polygons(f.geometry.as_ref()?).into_owned();
            if polys.is_empty() {
                return None;
            }
            let year = match f.values.first() {
                Some(Value::Int(y)) => Some(*y),
                _ => None,
            };
            Some((polys, year))
        })
        .collect();
    let bbox = source.index.bbox().context("source has no geometry")?;
    let (step_x, step_y) = (
        (bbox.max_x - bbox.min_x) * 1.02,
        (bbox.max_y - bbox.min_y) * 1.02,
    );
    let tiles = count.div_ceil(polygons.len());
    let columns = (tiles as f64).sqrt().ceil() as usize;

    std::fs::create_dir_all(out)?;
    let stem = PathBuf::from(out).join(format!("buildings_{count}"));
    let mut geojson = BufWriter::new(std::fs::File::create(stem.with_extension("geojson"))?);
    write!(
        geojson,
        "{{\"type\":\"FeatureCollection\",\"source\":\"{count} polygons: {tiles} tiled copies (shifted, \
         non-overlapping) of 13,491 real building footprints, Boulder CO (MIT, J. H. Uhl 2022)\",\"features\":["
    )?;
    let table = TableWriterBuilder::new()
        .add_numeric_field(
            FieldName::try_from("year_built").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            6,
            0,
        )
        .add_numeric_field(
            FieldName::try_from("area_m2").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            14,
            2,
        )
        .add_character_field(
            FieldName::try_from("class").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            12,
        )
        .add_numeric_field(
            FieldName::try_from("tile").map_err(|e| anyhow::anyhow!("{e:?}"))?,
            4,
            0,
        );
    let mut shp = shapefile::Writer::from_path(stem.with_extension("shp"), table)?;

    let mut written = 0;
    'tiles: for tile in 0..tiles {
        let (dx, dy) = (
            (tile % columns) as f64 * step_x,
            (tile / columns) as f64 * step_y,
        );
        for (i, (polys, year)) in polygons.iter().enumerate() {
            if written == count {
                break 'tiles;
            }
            let shifted: Vec<Polygon<f64>> = polys
                .iter()
                .map(|p| {
                    p.map_coords(|c| Coord {
                        x: c.x + dx,
                        y: c.y + dy,
                    })
                })
                .collect();
            // Exterior minus holes, each ring unsigned: geo's unsigned area of a polygon whose
            // rings wind the "wrong" way counts the rest of the globe.
            let ring_area = |r: &geo_types::LineString<f64>| {
                Polygon::new(r.clone(), vec![]).geodesic_area_signed().abs()
            };
            let area_m2: f64 = shifted
                .iter()
                .map(|p| ring_area(p.exterior()) - p.interiors().iter().map(ring_area).sum::<f64>())
                .sum();
            let class = CLASSES[(tile * 7 + i) % CLASSES.len()];

            if written > 0 {
                geojson.write_all(b",")?;
            }
            let year_json = year.map_or("null".to_string(), |y| y.to_string());
            write!(
                geojson,
                "\n{{\"type\":\"Feature\",\"properties\":{{\"year_built\":{year_json},\"area_m2\":{area_m2:.2},\"class\":\"{class}\",\"tile\":{tile}}},\"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":["
            )?;
            for (k, p) in shifted.iter().enumerate() {
                if k > 0 {
                    geojson.write_all(b",")?;
                }
                geojson.write_all(b"[")?;
                for (r, ring) in std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .enumerate()
                {
                    if r > 0 {
                        geojson.write_all(b",")?;
                    }
                    geojson.write_all(b"[")?;
                    for (n, c) in ring.0.iter().enumerate() {
                        if n > 0 {
                            geojson.write_all(b",")?;
                        }
                        write!(geojson, "[{:.7},{:.7}]", c.x, c.y)?;
                    }
                    geojson.write_all(b"]")?;
                }
                geojson.write_all(b"]")?;
            }
            geojson.write_all(b"]}}")?;

            let mut rings = Vec::new();
            for p in &shifted {
                let pts = |r: &geo_types::LineString<f64>| {
                    r.0.iter().map(|c| Point::new(c.x, c.y)).collect()
                };
                rings.push(PolygonRing::Outer(pts(p.exterior())));
                rings.extend(p.interiors().iter().map(|r| PolygonRing::Inner(pts(r))));
            }
            let mut record = Record::default();
            record.insert(
                "year_built".into(),
                FieldValue::Numeric(year.map(|y| y as f64)),
            );
            record.insert(
                "area_m2".into(),
                FieldValue::Numeric(Some((area_m2 * 100.0).round() / 100.0)),
            );
            record.insert("class".into(), FieldValue::Character(Some(class.into())));
            record.insert("tile".into(), FieldValue::Numeric(Some(tile as f64)));
            shp.write_shape_and_record(&shapefile::Polygon::with_rings(rings), &record)?;
            written += 1;
        }
    }
    geojson.write_all(b"\n]}\n")?;
    geojson.flush()?;
    drop(shp);
    std::fs::write(
        stem.with_extension("prj"),
        "GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\",SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],UNIT[\"Degree\",0.0174532925199433]]",
    )?;
    std::fs::write(stem.with_extension("cpg"), "UTF-8")?;
    println!(
        "{written} polygons in {tiles} tiled copies of real footprints → {}.{{geojson,shp}}",
        stem.display()
    );
    Ok(())
}

/// 40 × 40 wavy districts of 2,000 vertices each (see the file's header).
fn detailed(out: &Path) -> Result<()> {
    const SIDE: usize = 40;
    const VERTICES: usize = 2000;
    std::fs::create_dir_all(out)?;
    let path = out.join(format!("detailed_{}.geojson", SIDE * SIDE));
    let mut w = BufWriter::new(std::fs::File::create(&path)?);
    write!(
        w,
        "{{\"type\":\"FeatureCollection\",\"source\":\"SYNTHETIC benchmark input: {} districts \
         with {VERTICES}-vertex outlines (sitelens make_bench_data --detailed)\",\"features\":[",
        SIDE * SIDE
    )?;
    for i in 0..SIDE {
        for j in 0..SIDE {
            let (cx, cy, r) = (
                139.36 + i as f64 * 0.0028,
                35.64 + j as f64 * 0.0023,
                0.0011,
            );
            if i + j > 0 {
                w.write_all(b",")?;
            }
            write!(
                w,
                "\n{{\"type\":\"Feature\",\"properties\":{{\"id\":{}}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[[",
                i * SIDE + j
            )?;
            for k in 0..=VERTICES {
                let a = (k % VERTICES) as f64 / VERTICES as f64 * std::f64::consts::TAU;
                let rr = r
                    * (1.0
                        + 0.03 * (a * 23.0 + i as f64).sin()
                        + 0.01 * (a * 151.0 + j as f64).sin());
                if k > 0 {
                    w.write_all(b",")?;
                }
                write!(
                    w,
                    "[{:.8},{:.8}]",
                    cx + rr * a.cos(),
                    cy + rr * a.sin() * 0.8
                )?;
            }
            w.write_all(b"]]}}")?;
        }
    }
    w.write_all(b"\n]}\n")?;
    w.flush()?;
    println!(
        "{} synthetic districts of {VERTICES} vertices → {}",
        SIDE * SIDE,
        path.display()
    );
    Ok(())
}
