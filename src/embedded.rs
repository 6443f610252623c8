//! The Hino layers built into the binary, so the viewer opens on them from any folder.
//! Sources and licences: data/hino/SOURCES.md.

use geo_types::{Geometry, MultiPolygon};

use crate::analysis::site::{Context, polygons};
use crate::error::LoadError;
use crate::io::{self, Input, LoadOptions};
use crate::model::Layer;
use crate::project::Analysis;

/// What a layer is for on the map (drives its default style) and in the site analysis. In
/// project files: the lower-case names below (`sites`, `enterprises` and `stations` also
/// singular).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Any other layer shown for context.
    Context,
    Boundary,
    Neighbours,
    Railway,
    #[serde(rename = "stations", alias = "station")]
    Station,
    Expressway,
    #[serde(rename = "interchanges", alias = "interchange")]
    Interchange,
    Shelter,
    /// 用途地域 polygons.
    Zoning,
    /// Available industrial sites.
    #[serde(rename = "sites", alias = "site")]
    Site,
    /// Enterprise locations.
    #[serde(rename = "enterprises", alias = "enterprise")]
    Enterprise,
}

impl Role {
    /// The name project files use.
    pub fn key(self) -> &'static str {
        match self {
            Role::Context => "context",
            Role::Boundary => "boundary",
            Role::Neighbours => "neighbours",
            Role::Railway => "railway",
            Role::Station => "stations",
            Role::Expressway => "expressway",
            Role::Interchange => "interchanges",
            Role::Shelter => "shelter",
            Role::Zoning => "zoning",
            Role::Site => "sites",
            Role::Enterprise => "enterprises",
        }
    }
}

/// One embedded file with its title and credit line.
pub struct EmbeddedLayer {
    pub file: &'static str,
    pub title: &'static str,
    pub role: Role,
    pub credit: &'static str,
    pub bytes: &'static [u8],
}

/// The date the embedded Hino project is current as of.
pub const AS_OF: &str = "2026-11-24";

const N03: &str = "出典：国土数値情報（行政区域データ）（国土交通省）を加工して作成";
const N02: &str = "出典：国土数値情報（鉄道データ）（国土交通省）";
const N06: &str = "中央自動車道：国土数値情報（高速道路時系列データ）（国土交通省）・Wikipedia より作成（CC BY-SA 3.0）";
const GSI: &str = "出典：国土地理院（指定緊急避難場所データ）";
const SAMPLE: &str =
    "架空のサンプルデータ（sitelens make_hino_sample が実在の境界・鉄道・高速道路から生成）";

macro_rules! embed {
    ($file:literal, $title:literal, $role:expr, $credit:expr) => {
        EmbeddedLayer {
            file: $file,
            title: $title,
            role: $role,
            credit: $credit,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/data/", $file)),
        }
    };
}

/// The Hino context layers, bottom to top.
pub static HINO: &[EmbeddedLayer] = &[
    embed!(
        "hino/neighbours_n03_2021_simplified.geojson",
        "近隣市 Neighbouring cities",
        Role::Neighbours,
        N03
    ),
    embed!(
        "sample/zoning_fictional.geojson",
        "用途地域（架空） Zoning (fictional sample)",
        Role::Zoning,
        SAMPLE
    ),
    embed!(
        "hino/hino_boundary_n03.geojson",
        "日野市 Hino city boundary",
        Role::Boundary,
        N03
    ),
    embed!(
        "hino/expressway_path.geojson",
        "中央自動車道 Chuo Expressway",
        Role::Expressway,
        N06
    ),
    embed!(
        "hino/railway_lines.geojson",
        "鉄道 Railways",
        Role::Railway,
        N02
    ),
    embed!(
        "hino/stations_n02_2023.geojson",
        "駅 Stations",
        Role::Station,
        N02
    ),
    embed!(
        "hino/expressway_points.geojson",
        "IC・PA Interchanges",
        Role::Interchange,
        N06
    ),
    embed!(
        "hino/shelters_emergency_132128.geojson",
        "指定緊急避難場所 Evacuation sites",
        Role::Shelter,
        GSI
    ),
    embed!(
        "hino/shelters_evacuation_132128.geojson",
        "指定避難所 Evacuation shelters",
        Role::Shelter,
        GSI
    ),
    embed!(
        "sample/sites_fictional.geojson",
        "産業用地（架空） Industrial sites (fictional sample)",
        Role::Site,
        SAMPLE
    ),
    embed!(
        "sample/enterprises_fictional.geojson",
        "企業（架空） Enterprises (fictional sample)",
        Role::Enterprise,
        SAMPLE
    ),
];

impl EmbeddedLayer {
    /// The licence of the source (data/hino/SOURCES.md).
    pub fn licence(&self) -> &'static str {
        match self.role {
            Role::Expressway | Role::Interchange => "CC BY-SA 3.0",
            Role::Shelter => "国土地理院コンテンツ利用規約 (CC BY 4.0 compatible)",
            Role::Zoning | Role::Site | Role::Enterprise => {
                "fictional sample data, free to reuse (CC0 1.0)"
            }
            _ => "国土数値情報 利用規約（出典を明記）",
        }
    }

    /// Loads the layer through the same loader as a file on disk.
    pub fn load(&self) -> Result<Layer, LoadError> {
        let input = Input::from_bytes(format!("data/{}", self.file), self.bytes.to_vec());
        let mut layer = io::load_input(input, &LoadOptions::default())?;
        layer.meta.credit = Some(self.credit.to_string());
        layer.meta.licence = Some(self.licence().to_string());
        Ok(layer)
    }
}

/// The site-analysis context from layers by role, with the default field settings (the
/// embedded data's: N02 station names, `is_IC = 1` interchanges).
pub fn site_context<'a>(layers: impl IntoIterator<Item = (Role, &'a Layer)>) -> Context<'a> {
    site_context_with(layers, &Analysis::default()).expect("the default settings apply")
}

/// The site-analysis context from layers by role: stations (one point per name), expressway
/// interchanges (by `interchange_where`), the city boundary, zoning and enterprises. An error
/// names a setting that does not fit its layer.
pub fn site_context_with<'a>(
    layers: impl IntoIterator<Item = (Role, &'a Layer)>,
    settings: &Analysis,
) -> Result<Context<'a>, String> {
    let mut ctx = Context::default();
    let first_field =
        |layer: &Layer, given: &Option<String>, defaults: &[&str], what: &str| match given {
            Some(f) if layer.field_index(f).is_some() => Ok(Some(f.clone())),
            Some(f) => Err(format!(
                "[analysis] {what} = {f:?}: {} has no such field",
                layer.name
            )),
            None => Ok(defaults
                .iter()
                .find(|d| layer.field_index(d).is_some())
                .map(|d| d.to_string())),
        };
    for (role, layer) in layers {
        match role {
            Role::Station => {
                if let Some(field) = first_field(
                    layer,
                    &settings.station_name_field,
                    &["N02_005", "駅名", "名称", "name"],
                    "station_name_field",
                )? {
                    ctx.stations = Context::points_by_name(layer, &field);
                }
            }
            Role::Interchange => {
                let condition = match &settings.interchange_where {
                    Some(w) => Some(w.clone()),
                    None => layer.field_index("is_IC").map(|_| "is_IC = 1".to_string()),
                };
                let condition = condition
                    .map(|c| {
                        crate::filter::expr::parse(&c, &layer.fields)
                            .map_err(|e| format!("[analysis] interchange_where: {}", e.message))
                    })
                    .transpose()?;
                let name = first_field(
                    layer,
                    &settings.interchange_name_field,
                    &["name", "名称", "IC名"],
                    "interchange_name_field",
                )?;
                ctx.interchanges = layer
                    .features
                    .iter()
                    .enumerate()
                    .filter(|(_, f)| condition.as_ref().is_none_or(|c| c.matches(&f.values)))
                    .filter_map(|(i, f)| match &f.geometry {
                        Some(Geometry::Point(p)) => {
                            let name = name
                                .as_deref()
                                .and_then(|n| layer.value(i, n))
                                .map(|v| v.to_string())
                                .unwrap_or_else(|| format!("#{}", f.record));
                            let label = if name.ends_with("IC") || name.ends_with("インター") {
                                name
                            } else {
                                format!("{name}IC")
                            };
                            Some((label, *p))
                        }
                        _ => None,
                    })
                    .collect();
            }
            Role::Boundary => {
                let polygons = layer
                    .features
                    .iter()
                    .filter_map(|f| polygons(f.geometry.as_ref()?))
                    .flat_map(|mp| mp.0)
                    .collect();
                ctx.city = Some(MultiPolygon::new(polygons));
            }
            Role::Zoning => ctx.zoning = Some(layer),
            Role::Enterprise => {
                ctx.enterprises = Some(layer);
                ctx.industry_field = first_field(
                    layer,
                    &settings.industry_field,
                    &["業種コード", "業種"],
                    "industry_field",
                )?
                .and_then(|f| layer.field_index(&f));
            }
            _ => {}
        }
    }
    Ok(ctx)
}

/// The embedded Hino layers the site metrics need, loaded.
pub fn load_site_inputs() -> Result<Vec<(Role, Layer)>, LoadError> {
    HINO.iter()
        .filter(|e| {
            matches!(
                e.role,
                Role::Station
                    | Role::Interchange
                    | Role::Boundary
                    | Role::Zoning
                    | Role::Enterprise
            )
        })
        .map(|e| Ok((e.role, e.load()?)))
        .collect()
}
