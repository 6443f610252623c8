//! Generates the FICTIONAL sample layers of the Hino project from the real geography embedded in
//! sitelens (city boundary, railways, stations, expressway): zoning (用途地域, A29 layout),
//! ~30 available industrial sites and ~200 enterprise locations. Deterministic: the same seed
//! writes the same bytes.
//!
//!     cargo run --release --bin make_hino_sample -- [OUT_DIR] [--seed N]
//!
//! OUT_DIR defaults to data/sample. Every file says it is sample data three times over: a
//! top-level `"sample": true` (sitelens marks such layers on screen and in every export), a
//! `note`, and a `sample` property on each feature. How a city replaces these files with its real
//! ones: data/sample/README.md.
//!
//! The shapes are plausible, not real: industrial zones lie along the JR 中央線 and the 中央自動車道
//! corridor, commercial zones around stations, residential zones elsewhere, all clipped to the
//! real city boundary; sites sit mostly in the industrial zones.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use geo::{
    BooleanOps, BoundingRect, Centroid, Contains, Distance, Euclidean, Intersects, Rotate,
    unary_union,
};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect};
use serde_json::{Value as Json, json};
use sitelens::analysis::measure::Measures;
use sitelens::analysis::site::JSIC_DIVISIONS;
use sitelens::analysis::zoning::codes::A29;
use sitelens::embedded::HINO;
use sitelens::model::{Layer, Role, Value, metres_per_degree};
use sitelens::project::{Analysis, site_context};

/// Zoning grid cell, metres.
const CELL_M: f64 = 200.0;
const SITES: usize = 30;
const ENTERPRISES: usize = 200;

fn main() -> Result<()> {
    let mut out = PathBuf::from("data/sample");
    let mut seed = 13212u64;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seed" => seed = args.next().context("--seed needs a number")?.parse()?,
            "-h" | "--help" => {
                println!("make_hino_sample [OUT_DIR] [--seed N]");
                return Ok(());
            }
            other if other.starts_with('-') => bail!("unknown option {other}"),
            other => out = PathBuf::from(other),
        }
    }
    std::fs::create_dir_all(&out)?;
    let geo = Geography::load()?;
    let mut rng = Rng(seed);
    let zoning = make_zoning(&geo, &mut rng);
    let sites = make_sites(&geo, &zoning, &mut rng);
    let enterprises = make_enterprises(&geo, &zoning, &mut rng);
    write(
        &out.join("zoning_fictional.geojson"),
        "zoning",
        seed,
        zoning_json(&geo, &zoning),
    )?;
    write(&out.join("sites_fictional.geojson"), "sites", seed, sites)?;
    write(
        &out.join("enterprises_fictional.geojson"),
        "enterprises",
        seed,
        enterprises,
    )?;
    println!(
        "wrote {} zoning polygons, {SITES} sites, {ENTERPRISES} enterprises to {} (seed {seed})",
        zoning.len(),
        out.display()
    );
    Ok(())
}

/// splitmix64: small, deterministic, good enough for placing fictional shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// In [0, 1).
    fn f(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

/// A local plane around Hino in metres (equirectangular; placement only, never measurement).
#[derive(Clone, Copy)]
struct Plane {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Plane {
    fn new(lon0: f64, lat0: f64) -> Self {
        Plane {
            lon0,
            lat0,
            kx: metres_per_degree(lat0)[0],
            // Not the helper's latitude degree: the shipped samples are this plane's output
            // (tests/integration/sample.rs), and another scale would move every sample feature.
            ky: 110_574.0,
        }
    }
    fn to_m(self, c: Coord<f64>) -> Coord<f64> {
        Coord {
            x: (c.x - self.lon0) * self.kx,
            y: (c.y - self.lat0) * self.ky,
        }
    }
    fn to_ll(self, c: Coord<f64>) -> Coord<f64> {
        let round = |v: f64| (v * 1e7).round() / 1e7;
        Coord {
            x: round(self.lon0 + c.x / self.kx),
            y: round(self.lat0 + c.y / self.ky),
        }
    }
}

/// The real layers the sample is drawn from, in the local plane.
struct Geography {
    plane: Plane,
    city: MultiPolygon<f64>,
    chuo: MultiLineString<f64>,
    expressway: MultiLineString<f64>,
    /// Expressway interchanges (all just outside the city).
    interchanges: Vec<Point<f64>>,
    /// Stations in Hino: (name, position, JR or not).
    stations: Vec<(String, Point<f64>, bool)>,
}

impl Geography {
    fn load() -> Result<Self> {
        let layer = |role: Role| -> Result<Layer> {
            let e = HINO
                .iter()
                .find(|e| e.role == role)
                .context("embedded layer missing")?;
            Ok(e.load()?)
        };
        let boundary = layer(Role::Boundary)?;
        let bbox = boundary.index.bbox().context("empty boundary")?;
        let plane = Plane::new(
            (bbox.min_x + bbox.max_x) / 2.0,
            (bbox.min_y + bbox.max_y) / 2.0,
        );
        let m = |g: &Geometry<f64>| {
            use geo::MapCoords;
            g.map_coords(|c| plane.to_m(c))
        };
        // The city and the interchanges as the site metrics see them, in the plane.
        let ics = layer(Role::Interchange)?;
        let ctx = site_context(
            [(Role::Boundary, &boundary), (Role::Interchange, &ics)],
            &Analysis::default(),
        )
        .map_err(anyhow::Error::msg)?;
        let to_m = |c: Coord<f64>| plane.to_m(c);
        let city = {
            use geo::MapCoords;
            ctx.city.context("no city polygon")?.map_coords(to_m)
        };
        let interchanges: Vec<Point<f64>> = ctx
            .interchanges
            .iter()
            .map(|(_, p)| Point(to_m(p.0)))
            .collect();
        let lines = |layer: &Layer, keep: &dyn Fn(usize) -> bool| {
            let mut out = Vec::new();
            for (i, f) in layer.features.iter().enumerate() {
                if !keep(i) {
                    continue;
                }
                match f.geometry.as_ref().map(m) {
                    Some(Geometry::LineString(l)) => out.push(l),
                    Some(Geometry::MultiLineString(ml)) => out.extend(ml),
                    _ => {}
                }
            }
            MultiLineString::new(out)
        };
        let rail = layer(Role::Railway)?;
        let chuo = lines(
            &rail,
            &|i| matches!(rail.value(i, "name"), Some(Value::Text(n)) if n.contains("中央")),
        );
        let expressway = lines(&layer(Role::Expressway)?, &|_| true);
        let st = layer(Role::Station)?;
        let mut stations: Vec<(String, Point<f64>, bool)> = Vec::new();
        for (i, f) in st.features.iter().enumerate() {
            let in_hino = matches!(st.value(i, "in_hino"), Some(Value::Bool(true)));
            let (Some(Value::Text(name)), Some(Value::Text(company)), Some(g)) =
                (st.value(i, "N02_005"), st.value(i, "N02_004"), &f.geometry)
            else {
                continue;
            };
            if !in_hino || stations.iter().any(|(n, _, _)| n == name) {
                continue;
            }
            if let Some(c) = m(g).centroid() {
                stations.push((name.clone(), c, company.contains("旅客鉄道")));
            }
        }
        if chuo.0.is_empty() || expressway.0.is_empty() || stations.is_empty() {
            bail!("the embedded railway, expressway or station layer is not as expected");
        }
        Ok(Geography {
            plane,
            city,
            chuo,
            expressway,
            interchanges,
            stations,
        })
    }

    fn nearest_station(&self, p: Point<f64>) -> (&str, f64, bool) {
        self.stations
            .iter()
            .map(|(n, s, jr)| (n.as_str(), Euclidean.distance(&p, s), *jr))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("stations")
    }
}

/// One zoning polygon: the A29 code of its zone.
struct ZonePolygon {
    code: u8,
    polygon: Polygon<f64>,
}

/// 建蔽率 and 容積率 (%) typical of each zone (A29 code) in Tokyo's suburbs.
fn ratios(code: u8) -> (i64, i64) {
    match code {
        1 => (40, 80),
        2 => (50, 100),
        3..=7 => (60, 200),
        8 => (80, 300),
        9 => (80, 400),
        _ => (60, 200),
    }
}

/// A value constant over a block of `size` metres around `c` (zones come in districts, not cells).
fn block_noise(seed: u64, c: Coord<f64>, size: f64) -> f64 {
    let (bx, by) = ((c.x / size).floor() as i64, (c.y / size).floor() as i64);
    let mut r =
        Rng(seed ^ (bx as u64).wrapping_mul(0x9E37) ^ (by as u64).wrapping_mul(0x85EB_CA6B));
    r.next();
    r.f()
}

fn zone_for(geo: &Geography, c: Coord<f64>, seed: u64) -> u8 {
    let p = Point::from(c);
    let d_chuo = Euclidean.distance(&p, &geo.chuo);
    let d_exp = Euclidean.distance(&p, &geo.expressway);
    let (_, d_station, jr) = geo.nearest_station(p);
    let district = block_noise(seed, c, 800.0);
    let fine = block_noise(seed ^ 7, c, 400.0);
    if d_station < 250.0 {
        return if jr { 9 } else { 8 };
    }
    if d_chuo < 650.0 && district < 0.7 {
        return match fine {
            f if f < 0.45 => 11,
            f if f < 0.85 => 10,
            _ => 12,
        };
    }
    // Logistics and factories gather near the interchanges.
    let d_ic = geo
        .interchanges
        .iter()
        .map(|ic| Euclidean.distance(&p, ic))
        .fold(f64::INFINITY, f64::min);
    if d_ic < 2_200.0 && d_exp < 900.0 && district < 0.85 {
        return if fine < 0.5 { 10 } else { 11 };
    }
    if d_exp < 350.0 && district < 0.4 {
        return 10;
    }
    if d_station < 600.0 {
        return if fine < 0.6 { 5 } else { 3 };
    }
    match district {
        d if d < 0.55 => 1,
        d if d < 0.8 => 3,
        d if d < 0.9 => 4,
        d if d < 0.96 => 6,
        _ => 7,
    }
}

fn make_zoning(geo: &Geography, rng: &mut Rng) -> Vec<ZonePolygon> {
    let seed = rng.next();
    let bbox = geo.city.bounding_rect().expect("city");
    let mut by_zone: Vec<Vec<Polygon<f64>>> = vec![Vec::new(); 13];
    let mut y = (bbox.min().y / CELL_M).floor() * CELL_M;
    while y < bbox.max().y {
        let mut x = (bbox.min().x / CELL_M).floor() * CELL_M;
        while x < bbox.max().x {
            let cell = Rect::new(
                Coord { x, y },
                Coord {
                    x: x + CELL_M,
                    y: y + CELL_M,
                },
            );
            if geo.city.intersects(&cell) {
                let code = zone_for(geo, cell.center(), seed);
                let clipped = cell.to_polygon().intersection(&geo.city);
                by_zone[code as usize].extend(clipped.0.into_iter().filter(|p| {
                    use geo::Area;
                    p.unsigned_area() > 1.0
                }));
            }
            x += CELL_M;
        }
        y += CELL_M;
    }
    let mut out = Vec::new();
    for (code, cells) in by_zone.into_iter().enumerate() {
        if cells.is_empty() {
            continue;
        }
        for polygon in unary_union(&cells) {
            out.push(ZonePolygon {
                code: code as u8,
                polygon,
            });
        }
    }
    out
}

/// A point or polygon in lon/lat as a GeoJSON geometry (RFC 7946 winding).
fn to_ll_geometry(geo: &Geography, g: impl Into<Geometry<f64>>) -> Json {
    use geo::MapCoords;
    use geo::orient::{Direction, Orient};
    // Rounded to 1e-7°, close vertices may coincide: drop the repeats.
    let ring = |r: &LineString<f64>| -> Json {
        let mut cs: Vec<Coord<f64>> = r.coords().copied().collect();
        cs.dedup();
        cs.iter()
            .map(|c| json!([c.x, c.y]))
            .collect::<Vec<_>>()
            .into()
    };
    match g.into().map_coords(|c| geo.plane.to_ll(c)) {
        Geometry::Point(p) => json!({"type": "Point", "coordinates": [p.x(), p.y()]}),
        Geometry::Polygon(p) => {
            let p = p.orient(Direction::Default);
            let rings: Vec<Json> = std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(ring)
                .collect();
            json!({"type": "Polygon", "coordinates": rings})
        }
        other => unreachable!("the generator makes points and polygons, not {other:?}"),
    }
}

fn zoning_json(geo: &Geography, zoning: &[ZonePolygon]) -> Vec<Json> {
    zoning
        .iter()
        .map(|z| {
            let zone = A29.zone(i64::from(z.code)).expect("an A29 code");
            let (bcr, far) = ratios(z.code);
            json!({
                "type": "Feature",
                "properties": {
                    "A29_001": "13212", "A29_002": "東京都", "A29_003": "日野市",
                    "A29_004": z.code, "A29_005": zone.name_ja,
                    "A29_006": bcr, "A29_007": far,
                    "A29_008": "架空のサンプル（実際の用途地域ではありません）",
                    "sample": true,
                },
                "geometry": to_ll_geometry(geo, z.polygon.clone()),
            })
        })
        .collect()
}

fn zone_at(zoning: &[ZonePolygon], p: Point<f64>) -> Option<&ZonePolygon> {
    zoning.iter().find(|z| z.polygon.contains(&p))
}

/// A random point of the city inside a zone accepted by `ok`.
fn point_in(
    geo: &Geography,
    zoning: &[ZonePolygon],
    rng: &mut Rng,
    ok: impl Fn(u8) -> bool,
) -> Point<f64> {
    let bbox = geo.city.bounding_rect().expect("city");
    loop {
        let p = Point::new(
            rng.range(bbox.min().x, bbox.max().x),
            rng.range(bbox.min().y, bbox.max().y),
        );
        if geo.city.contains(&p) && zone_at(zoning, p).is_some_and(|z| ok(z.code)) {
            return p;
        }
    }
}

fn make_sites(geo: &Geography, zoning: &[ZonePolygon], rng: &mut Rng) -> Vec<Json> {
    let industrial = |code: u8| (10..=12).contains(&code);
    let mut placed: Vec<Polygon<f64>> = Vec::new();
    let mut out = Vec::new();
    let statuses = [
        "available",
        "available",
        "available",
        "under_negotiation",
        "reserved",
    ];
    let mut attempts = 0;
    while placed.len() < SITES {
        let n = placed.len() + 1;
        attempts += 1;
        // Sites near an interchange are the large logistics plots (1–5 ha) while they fit.
        let large = n.is_multiple_of(5) && !n.is_multiple_of(6) && attempts < 5_000;
        // Most in industrial zones, every fifth of them near an interchange; every sixth site
        // anywhere (a candidate needing rezoning).
        let center = if n.is_multiple_of(6) {
            point_in(geo, zoning, rng, |_| true)
        } else if n.is_multiple_of(5) {
            loop {
                let p = point_in(geo, zoning, rng, industrial);
                if geo
                    .interchanges
                    .iter()
                    .any(|ic| Euclidean.distance(&p, ic) < 2_000.0)
                {
                    break p;
                }
            }
        } else {
            point_in(geo, zoning, rng, industrial)
        };
        // 300 m² (1 ha when large) to 5 ha, log-uniform; a rectangle of aspect 1–2 turned up to
        // ±40°.
        let smallest: f64 = if large { 10_000.0 } else { 300.0 };
        let area = (smallest.ln() + rng.f() * (50_000f64.ln() - smallest.ln())).exp();
        let aspect = rng.range(1.0, 2.0);
        let (w, h) = ((area * aspect).sqrt(), (area / aspect).sqrt());
        let rect = Rect::new(
            Coord {
                x: center.x() - w / 2.0,
                y: center.y() - h / 2.0,
            },
            Coord {
                x: center.x() + w / 2.0,
                y: center.y() + h / 2.0,
            },
        )
        .to_polygon()
        .rotate_around_centroid(rng.range(-40.0, 40.0));
        let clear = placed.iter().all(|p| Euclidean.distance(p, &rect) > 30.0);
        if !geo.city.contains(&rect) || !clear {
            continue;
        }
        // The recorded area is the geodesic one of the shape as written (to 1e-7°).
        let recorded_area = {
            use geo::MapCoords;
            let ll: Geometry<f64> = rect.map_coords(|c| geo.plane.to_ll(c)).into();
            Measures::of(&ll).area_m2.unwrap_or(area)
        };
        let zone = zone_at(zoning, center).expect("zoned");
        let zone_name = A29.zone(i64::from(zone.code)).expect("an A29 code").name_ja;
        let (station, _, _) = geo.nearest_station(center);
        let status = *rng.pick(&statuses);
        let unit_price = (rng.range(150_000.0, 420_000.0) / 1000.0).round() * 1000.0;
        let month = 1 + rng.next() % 12;
        let year = 2027 + rng.next() % 3;
        let water = rng.f() < 0.95;
        let sewer = rng.f() < 0.8;
        let power = rng.f() < 0.6;
        let utilities: Vec<&str> = [(water, "上水道"), (sewer, "下水道"), (power, "高圧電力")]
            .into_iter()
            .filter_map(|(has, name)| has.then_some(name))
            .collect();
        out.push(json!({
            "type": "Feature",
            "properties": {
                "site_id": format!("S-{n:02}"),
                "名称": format!("サンプル用地 S-{n:02}（架空）"),
                "所在地": format!("日野市 {station}駅周辺（架空の所在地）"),
                "面積_m2": (recorded_area * 10.0).round() / 10.0,
                "用途地域": zone_name,
                "status": status,
                "available_from": format!("{year}-{month:02}-01"),
                "上水道": water, "下水道": sewer, "高圧電力": power,
                "utilities": utilities.join("・"),
                "価格_円": (area * unit_price / 10_000.0).round() * 10_000.0,
                "所有者": format!("サンプル地権者 {n}（架空）"),
                "連絡先": format!("042-000-{:04}（架空）", 1000 + n),
                "sample": true,
            },
            "geometry": to_ll_geometry(geo, rect.clone()),
        }));
        placed.push(rect);
        attempts = 0;
    }
    out
}

/// JSIC divisions for industrial-area enterprises, with weights.
/// Shares of the JSIC divisions (codes of `JSIC_DIVISIONS`) among the sample enterprises.
const INDUSTRY_WEIGHTS: &[(&str, f64)] = &[
    ("E", 0.55),
    ("H", 0.15),
    ("I", 0.12),
    ("D", 0.08),
    ("G", 0.05),
    ("L", 0.05),
];

fn make_enterprises(geo: &Geography, zoning: &[ZonePolygon], rng: &mut Rng) -> Vec<Json> {
    let places = [
        "日野",
        "多摩",
        "浅川",
        "平山",
        "旭",
        "富士",
        "豊田",
        "万願寺",
        "高幡",
        "南平",
        "東光",
        "北斗",
        "栄",
        "新井",
        "神明",
    ];
    let kinds: &[(&str, &[&str])] = &[
        (
            "E",
            &[
                "精機",
                "製作所",
                "電子",
                "化成",
                "金属工業",
                "食品工業",
                "技研",
            ],
        ),
        ("H", &["運輸", "物流", "ロジスティクス"]),
        ("I", &["商事", "産業", "商会"]),
        ("D", &["建設", "工務店", "設備"]),
        ("G", &["ソフト", "システムズ", "データ"]),
        ("L", &["研究所", "エンジニアリング", "設計"]),
    ];
    let mut out = Vec::new();
    for n in 1..=ENTERPRISES {
        let p = if rng.f() < 0.7 {
            point_in(geo, zoning, rng, |c| (10..=12).contains(&c))
        } else {
            point_in(geo, zoning, rng, |_| true)
        };
        let mut t = rng.f();
        let (code, _) = INDUSTRY_WEIGHTS
            .iter()
            .find(|(_, w)| {
                t -= w;
                t < 0.0
            })
            .unwrap_or(&INDUSTRY_WEIGHTS[0]);
        let name = JSIC_DIVISIONS
            .iter()
            .find(|(c, _, _)| c == code)
            .map_or("", |(_, ja, _)| *ja);
        let suffixes = kinds
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, s)| *s)
            .unwrap_or(&["工業"]);
        // Employees: log-uniform 3–800.
        let employees = (3f64.ln() + rng.f() * (800f64.ln() - 3f64.ln()))
            .exp()
            .round() as i64;
        out.push(json!({
            "type": "Feature",
            "properties": {
                "enterprise_id": format!("E-{n:03}"),
                "名称": format!("{}{}（架空）", rng.pick(&places), rng.pick(suffixes)),
                "業種コード": code,
                "業種": name,
                "従業者数": employees,
                "sample": true,
            },
            "geometry": to_ll_geometry(geo, p),
        }));
    }
    out
}

fn write(path: &Path, what: &str, seed: u64, features: Vec<Json>) -> Result<()> {
    let collection = json!({
        "type": "FeatureCollection",
        "sample": true,
        "note": format!(
            "FICTIONAL SAMPLE DATA (架空のサンプルデータ): {what} generated by sitelens \
             make_hino_sample (seed {seed}) from the real Hino boundary, railways, stations and \
             expressway. Not real {what}; do not use for decisions."
        ),
        "features": features,
    });
    let mut text = serde_json::to_string(&collection)?;
    // One feature per line: readable diffs when the generator changes.
    text = text.replace("},{\"type\":\"Feature\"", "},\n{\"type\":\"Feature\"");
    sitelens::write::atomic_write(path, &[], |w| {
        std::io::Write::write_all(w, text.as_bytes())?;
        std::io::Write::write_all(w, b"\n")
    })?;
    Ok(())
}
