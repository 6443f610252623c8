//! Site metrics: what an investor asks of a candidate site, computed from the project's layers.
//!
//! For each site polygon: geodesic area (m², ha, 坪); the zoning mix (share of the area in each
//! 用途地域, by polygon intersection), the area-weighted 建蔽率 and 容積率 and the largest building
//! footprint and floor area they allow; the distance to the nearest station and expressway IC
//! (geodesic, metres; 0 when touching); enterprises within 500 m and 1 km (by JSIC division); and
//! whether the site lies in the city. [`add_metric_fields`] appends them to a layer as fields, so
//! the identify panel, the table, the filter and the exporter use them like any attribute.
//!
//! Distances: the closest point of the site to each target is found in a plane where a degree of
//! longitude is scaled by cos(latitude) (exact for the choice of point at site scale), then
//! measured on the WGS84 ellipsoid (Karney, through geo's `Geodesic`).

use geo::{
    Area, BooleanOps, Closest, ClosestPoint, Contains, Distance, Geodesic, Intersects, MapCoords,
};
use geo_types::{Coord, Geometry, MultiPolygon, Point};
use rayon::prelude::*;

use super::measure::Measures;
use super::zoning::ratio::RatioKind;
use super::zoning::{Recognition, Zone, ZoneKind, recognise};
use crate::model::{Envelope, Field, FieldType, Layer, Value, degrees_covering, polygons};

/// Radii for counting enterprises, metres.
pub const NEAR_M: f64 = 500.0;
pub const WIDE_M: f64 = 1_000.0;

/// The layers the metrics are computed from; any may be missing (its metrics are then null).
#[derive(Default)]
pub struct Context<'a> {
    pub zoning: Option<ZoningLayer<'a>>,
    /// Stations as named points.
    pub stations: Vec<(String, Point<f64>)>,
    /// Expressway interchanges as named points.
    pub interchanges: Vec<(String, Point<f64>)>,
    pub enterprises: Option<&'a Layer>,
    /// The field of `enterprises` holding the industry (JSIC division code or name).
    pub industry_field: Option<usize>,
    /// The city polygon(s).
    pub city: Option<MultiPolygon<f64>>,
}

/// The zoning layer with its recognition (made once, read for every site).
pub struct ZoningLayer<'a> {
    pub layer: &'a Layer,
    pub recognition: Recognition,
}

impl<'a> ZoningLayer<'a> {
    /// Recognises `layer` as zoning (see [`recognise`]).
    pub fn of(layer: &'a Layer) -> Self {
        ZoningLayer {
            layer,
            recognition: recognise(layer),
        }
    }
}

impl<'a> Context<'a> {
    /// Stations from a layer of station geometries (points, or N02 platform segments): one point
    /// per name, the centroid of its parts; `name_field` names them.
    pub fn points_by_name(layer: &Layer, name_field: &str) -> Vec<(String, Point<f64>)> {
        use geo::Centroid;
        let mut out: Vec<(String, Vec<Point<f64>>)> = Vec::new();
        for (i, f) in layer.features.iter().enumerate() {
            let (Some(g), Some(name)) = (&f.geometry, layer.value(i, name_field)) else {
                continue;
            };
            let Some(c) = g.centroid() else { continue };
            let name = name.to_string();
            match out.iter_mut().find(|(n, _)| *n == name) {
                Some((_, ps)) => ps.push(c),
                None => out.push((name, vec![c])),
            }
        }
        out.into_iter()
            .map(|(n, ps)| {
                let k = ps.len() as f64;
                let (x, y) = ps
                    .iter()
                    .fold((0.0, 0.0), |a, p| (a.0 + p.x(), a.1 + p.y()));
                (n, Point::new(x / k, y / k))
            })
            .collect()
    }
}

/// One zone's part of a site.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneShare {
    /// The zone, when the zoning layer's name or code gives one.
    pub zone: Option<&'static Zone>,
    /// As shown: the zone's official name, or what the layer says when that is not a zone.
    pub label: String,
    /// Share of the site's area, 0–1.
    pub share: f64,
    pub coverage_pct: Option<f64>,
    pub floor_area_pct: Option<f64>,
}

/// The metrics of one site. Distances in metres; `None` where the layer needed is missing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteMetrics {
    pub measures: Measures,
    /// Largest share first.
    pub zoning: Vec<ZoneShare>,
    /// Share of the site covered by the zoning layer, 0–1.
    pub zoned_share: Option<f64>,
    /// Area-weighted over the zoned part (建蔽率, 容積率), %.
    pub coverage_pct: Option<f64>,
    pub floor_area_pct: Option<f64>,
    /// Why the main zone, `coverage_pct` or `floor_area_pct` is empty (or the main zone not a
    /// zone): set whenever one of them is, so an empty value never reads as "no zoning".
    pub zoning_note: Option<String>,
    pub max_footprint_m2: Option<f64>,
    pub max_floor_area_m2: Option<f64>,
    pub station: Option<(String, f64)>,
    pub interchange: Option<(String, f64)>,
    pub enterprises_near: Option<usize>,
    pub enterprises_wide: Option<usize>,
    /// Within [`WIDE_M`]: (industry, count), most first.
    pub industries_wide: Vec<(String, usize)>,
    pub in_city: Option<bool>,
}

impl SiteMetrics {
    /// The zoning mix as text: "工業地域 50%・準工業地域 50%".
    pub fn zoning_text(&self) -> Option<String> {
        (!self.zoning.is_empty()).then(|| {
            self.zoning
                .iter()
                .map(|z| format!("{} {:.0}%", z.label, z.share * 100.0))
                .collect::<Vec<_>>()
                .join("・")
        })
    }
}

/// Computes the metrics of `site` (lon/lat).
pub fn compute(site: &Geometry<f64>, ctx: &Context<'_>) -> SiteMetrics {
    let measures = Measures::of(site);
    let Some(env) = Envelope::of(site) else {
        return SiteMetrics {
            measures,
            ..Default::default()
        };
    };
    let k = ((env.min_y + env.max_y) / 2.0).to_radians().cos().max(1e-6);
    let scaled = site.map_coords(|c| Coord { x: c.x * k, y: c.y });
    let distance = |p: Point<f64>| distance_m(site, &scaled, k, p);
    let nearest = |targets: &[(String, Point<f64>)]| {
        targets
            .iter()
            .map(|(n, p)| (n.clone(), distance(*p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    };
    let mut m = SiteMetrics {
        station: nearest(&ctx.stations),
        interchange: nearest(&ctx.interchanges),
        in_city: ctx.city.as_ref().map(|c| c.contains(site)),
        ..Default::default()
    };
    match &ctx.zoning {
        Some(zoning) => zoning_mix(site, env, zoning, &measures, &mut m),
        None => m.zoning_note = Some("no zoning layer".into()),
    }
    if let Some(layer) = ctx.enterprises {
        count_enterprises(layer, ctx.industry_field, env, &distance, &mut m);
    }
    m.measures = measures;
    m
}

/// Geodesic distance from the site to `p`: 0 inside, else to the site's closest point.
fn distance_m(site: &Geometry<f64>, scaled: &Geometry<f64>, k: f64, p: Point<f64>) -> f64 {
    if site.intersects(&p) {
        return 0.0;
    }
    match scaled.closest_point(&Point::new(p.x() * k, p.y())) {
        Closest::Intersection(_) => 0.0,
        Closest::SinglePoint(q) => Geodesic.distance(Point::new(q.x() / k, q.y()), p),
        Closest::Indeterminate => f64::NAN,
    }
}

fn zoning_mix(
    site: &Geometry<f64>,
    env: Envelope,
    zoning: &ZoningLayer<'_>,
    measures: &Measures,
    m: &mut SiteMetrics,
) {
    let recognised = match &zoning.recognition {
        Recognition::Recognised(r) => r,
        Recognition::NotRecognised(n) => {
            m.zoning_note = Some(n.message(&zoning.layer.name));
            return;
        }
    };
    let site_poly = polygons(site);
    if site_poly.is_empty() {
        m.zoning_note = Some("the site is not a polygon: zoning is read over an area".into());
        return;
    }
    let site_poly = MultiPolygon::new(site_poly.into_owned());
    // Shares are ratios of areas in lon/lat: the same as on the ground at site scale.
    let total = site_poly.unsigned_area();
    if total <= 0.0 {
        m.zoning_note = Some("the site has no area".into());
        return;
    }
    let mut shares: Vec<ZoneShare> = Vec::new();
    // Why a ratio is empty where it is, for the note.
    let mut why: Vec<(RatioKind, String)> = Vec::new();
    for id in zoning.layer.index.query(env) {
        let feature = &zoning.layer.features[id];
        let Some(zone_poly) = feature.geometry.as_ref().map(polygons) else {
            continue;
        };
        if zone_poly.is_empty() {
            continue;
        }
        let zone_poly = MultiPolygon::new(zone_poly.into_owned());
        let part = site_poly.intersection(&zone_poly).unsigned_area() / total;
        if part <= 1e-9 {
            continue;
        }
        let read = recognised.read_feature(&feature.values);
        for (kind, reading) in [
            (RatioKind::Coverage, &read.coverage),
            (RatioKind::FloorArea, &read.floor_area),
        ] {
            if let Some(reason) = recognised.why_empty(kind, reading)
                && !why.iter().any(|(k, r)| *k == kind && *r == reason)
            {
                why.push((kind, reason));
            }
        }
        let (coverage, floor) = (read.coverage.pct(), read.floor_area.pct());
        match shares.iter_mut().find(|s| {
            s.label == read.label && s.coverage_pct == coverage && s.floor_area_pct == floor
        }) {
            Some(s) => s.share += part,
            None => shares.push(ZoneShare {
                zone: read.zone,
                label: read.label,
                share: part,
                coverage_pct: coverage,
                floor_area_pct: floor,
            }),
        }
    }
    if shares.is_empty() {
        m.zoning_note = Some(format!(
            "site outside the zoning layer '{}'",
            zoning.layer.name
        ));
        return;
    }
    shares.sort_by(|a, b| b.share.total_cmp(&a.share));
    let zoned: f64 = shares.iter().map(|s| s.share).sum();
    let weighted = |get: fn(&ZoneShare) -> Option<f64>| {
        let known: f64 = shares
            .iter()
            .filter(|s| get(s).is_some())
            .map(|s| s.share)
            .sum();
        (known > 0.0).then(|| {
            shares
                .iter()
                .filter_map(|s| Some(get(s)? * s.share))
                .sum::<f64>()
                / known
        })
    };
    m.zoned_share = Some(zoned.min(1.0));
    m.coverage_pct = weighted(|s| s.coverage_pct);
    m.floor_area_pct = weighted(|s| s.floor_area_pct);
    if let Some(area) = measures.area_m2 {
        m.max_footprint_m2 = m.coverage_pct.map(|c| area * c / 100.0);
        m.max_floor_area_m2 = m.floor_area_pct.map(|f| area * f / 100.0);
    }
    let mut note: Vec<String> = Vec::new();
    match shares[0].zone.map(|z| z.kind) {
        None => note.push(format!(
            "main zone '{}' is not a 用途地域 {} names",
            shares[0].label, recognised.source.id
        )),
        Some(ZoneKind::Unknown) => note.push(format!(
            "main zone 不明 (unknown) in the zoning layer '{}'",
            zoning.layer.name
        )),
        Some(_) => {}
    }
    for (kind, empty) in [
        (RatioKind::Coverage, m.coverage_pct.is_none()),
        (RatioKind::FloorArea, m.floor_area_pct.is_none()),
    ] {
        if empty {
            note.extend(
                why.iter()
                    .filter(|(k, _)| *k == kind)
                    .map(|(_, r)| r.clone()),
            );
        }
    }
    note.dedup();
    m.zoning_note = (!note.is_empty()).then(|| note.join("; "));
    m.zoning = shares;
}

fn count_enterprises(
    layer: &Layer,
    industry: Option<usize>,
    env: Envelope,
    distance: &dyn Fn(Point<f64>) -> f64,
    m: &mut SiteMetrics,
) {
    // The box grown by 1 km, then exact distances.
    let [dx, dy] = degrees_covering(WIDE_M, env);
    let search = Envelope::new(
        env.min_x - dx,
        env.min_y - dy,
        env.max_x + dx,
        env.max_y + dy,
    );
    let (mut near, mut wide) = (0, 0);
    let mut by_industry: Vec<(String, usize)> = Vec::new();
    for id in layer.index.query(search) {
        let f = &layer.features[id];
        let Some(Geometry::Point(p)) = &f.geometry else {
            continue;
        };
        let d = distance(*p);
        if d > WIDE_M {
            continue;
        }
        wide += 1;
        if d <= NEAR_M {
            near += 1;
        }
        let kind = industry
            .and_then(|c| f.values.get(c))
            .filter(|v| !v.is_null())
            .map_or_else(|| "?".to_string(), |v| v.to_string());
        match by_industry.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => by_industry.push((kind, 1)),
        }
    }
    by_industry.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    m.enterprises_near = Some(near);
    m.enterprises_wide = Some(wide);
    m.industries_wide = by_industry;
}

/// JSIC divisions (日本標準産業分類 大分類) found around industrial land: (code, ja, en).
pub const JSIC_DIVISIONS: &[(&str, &str, &str)] = &[
    ("E", "製造業", "Manufacturing"),
    ("H", "運輸業，郵便業", "Transport and postal"),
    ("I", "卸売業，小売業", "Wholesale and retail"),
    ("D", "建設業", "Construction"),
    ("G", "情報通信業", "Information and communications"),
    (
        "L",
        "学術研究，専門・技術サービス業",
        "Scientific research, professional services",
    ),
];

/// Words (ja, en) for the fields sitelens computes for sites: the metrics, the ranking's and the
/// incentive programmes'. `None` for other fields.
pub fn field_label(field: &str) -> Option<(&'static str, &'static str)> {
    Some(match field {
        "area_m2" => ("面積 (m²)", "Area (m²)"),
        "area_ha" => ("面積 (ha)", "Area (ha)"),
        "area_tsubo" => ("面積 (坪)", "Area (tsubo)"),
        "zoning_mix" => ("用途地域の内訳", "Zoning mix"),
        "main_zone" => ("主な用途地域", "Main zone"),
        "coverage_pct" => ("建蔽率 (%)", "Building coverage (%)"),
        "floor_area_pct" => ("容積率 (%)", "Floor area ratio (%)"),
        "zoning_note" => ("用途地域の注記", "Zoning note"),
        "max_footprint_m2" => ("最大建築面積 (m²)", "Max footprint (m²)"),
        "max_floor_area_m2" => ("最大延床面積 (m²)", "Max floor area (m²)"),
        "nearest_station" => ("最寄り駅", "Nearest station"),
        "station_m" => ("駅までの距離 (m)", "To the station (m)"),
        "nearest_ic" => ("最寄りIC", "Nearest IC"),
        "ic_m" => ("ICまでの距離 (m)", "To the IC (m)"),
        "enterprises_500m" => ("500 m 内の企業数", "Firms within 500 m"),
        "enterprises_1km" => ("1 km 内の企業数", "Firms within 1 km"),
        "industries_1km" => ("1 km 内の業種", "Industries within 1 km"),
        "in_city" => ("市内", "In the city"),
        "programmes" => ("該当しうる支援制度", "Programmes it may qualify for"),
        "score" => ("総合点", "Score"),
        "rank" => ("順位", "Rank"),
        "score_breakdown" => ("点数の内訳", "Score breakdown"),
        _ => return None,
    })
}

/// The metric fields [`add_metric_fields`] appends, in order.
pub const METRIC_FIELDS: &[(&str, FieldType)] = &[
    ("area_m2", FieldType::Float),
    ("area_ha", FieldType::Float),
    ("area_tsubo", FieldType::Float),
    ("zoning_mix", FieldType::Text),
    ("main_zone", FieldType::Text),
    ("coverage_pct", FieldType::Float),
    ("floor_area_pct", FieldType::Float),
    ("zoning_note", FieldType::Text),
    ("max_footprint_m2", FieldType::Float),
    ("max_floor_area_m2", FieldType::Float),
    ("nearest_station", FieldType::Text),
    ("station_m", FieldType::Float),
    ("nearest_ic", FieldType::Text),
    ("ic_m", FieldType::Float),
    ("enterprises_500m", FieldType::Int),
    ("enterprises_1km", FieldType::Int),
    ("industries_1km", FieldType::Text),
    ("in_city", FieldType::Bool),
];

/// Computes the metrics of every feature of `layer` (on every core) and appends them as the
/// fields of [`METRIC_FIELDS`] (replacing fields of those names if the layer has them already).
/// Returns them, per feature (`None` without geometry).
pub fn add_metric_fields(layer: &mut Layer, ctx: &Context<'_>) -> Vec<Option<SiteMetrics>> {
    let metrics: Vec<Option<SiteMetrics>> = layer
        .features
        .par_iter()
        .map(|f| f.geometry.as_ref().map(|g| compute(g, ctx)))
        .collect();
    let rows = metrics.iter().map(|m| metric_values(m.as_ref())).collect();
    set_fields(layer, METRIC_FIELDS, rows);
    metrics
}

/// Appends `specs` as fields with one row of values per feature, replacing any fields of the
/// same names.
pub fn set_fields(layer: &mut Layer, specs: &[(&str, FieldType)], rows: Vec<Vec<Value>>) {
    let keep: Vec<usize> = (0..layer.fields.len())
        .filter(|&c| !specs.iter().any(|(n, _)| *n == layer.fields[c].name))
        .collect();
    let mut fields: Vec<Field> = keep.iter().map(|&c| layer.fields[c].clone()).collect();
    fields.extend(specs.iter().map(|(name, t)| Field {
        name: name.to_string(),
        field_type: *t,
    }));
    for (feature, row) in layer.features.iter_mut().zip(rows) {
        let mut values: Vec<Value> = keep
            .iter()
            .map(|&c| feature.values.get(c).cloned().unwrap_or(Value::Null))
            .collect();
        values.extend(row);
        feature.values = values;
    }
    layer.fields = fields;
}

fn metric_values(m: Option<&SiteMetrics>) -> Vec<Value> {
    let Some(m) = m else {
        return vec![Value::Null; METRIC_FIELDS.len()];
    };
    let f = |v: Option<f64>, decimals: i32| {
        v.filter(|v| v.is_finite()).map_or(Value::Null, |v| {
            let p = 10f64.powi(decimals);
            Value::Float((v * p).round() / p)
        })
    };
    let t = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let n = |v: Option<usize>| v.map_or(Value::Null, |v| Value::Int(v as i64));
    let industries = (!m.industries_wide.is_empty()).then(|| {
        m.industries_wide
            .iter()
            .map(|(k, c)| format!("{k}:{c}"))
            .collect::<Vec<_>>()
            .join(" ")
    });
    vec![
        f(m.measures.area_m2, 1),
        f(m.measures.area_ha(), 4),
        f(m.measures.area_tsubo(), 1),
        t(m.zoning_text()),
        t(m.zoning.first().map(|z| z.label.clone())),
        f(m.coverage_pct, 1),
        f(m.floor_area_pct, 1),
        t(m.zoning_note.clone()),
        f(m.max_footprint_m2, 1),
        f(m.max_floor_area_m2, 1),
        t(m.station.as_ref().map(|s| s.0.clone())),
        f(m.station.as_ref().map(|s| s.1), 0),
        t(m.interchange.as_ref().map(|s| s.0.clone())),
        f(m.interchange.as_ref().map(|s| s.1), 0),
        n(m.enterprises_near),
        n(m.enterprises_wide),
        t(industries),
        m.in_city.map_or(Value::Null, Value::Bool),
    ]
}
