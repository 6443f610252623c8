//! The `[analysis]` settings of a project and the site-analysis context they build from layers
//! by role: which stations, interchanges, boundary, zoning and enterprises the metrics read.

use geo_types::{Geometry, MultiPolygon};
use serde::{Deserialize, Serialize};

use crate::analysis::site::{Context, ZoningLayer};
use crate::embedded::HINO;
use crate::error::LoadError;
use crate::model::{Layer, Role, polygons};

/// The roles whose layers the site metrics read.
pub const CONTEXT_ROLES: [Role; 5] = [
    Role::Station,
    Role::Interchange,
    Role::Boundary,
    Role::Zoning,
    Role::Enterprise,
];

/// Fields naming stations, the first present is read (unless `station_name_field` says).
pub const STATION_NAME_FIELDS: &[&str] = &["N02_005", "駅名", "名称", "name"];
/// Fields naming interchanges (unless `interchange_name_field` says).
pub const INTERCHANGE_NAME_FIELDS: &[&str] = &["name", "名称", "IC名"];
/// Fields holding an enterprise's industry (unless `industry_field` says).
pub const INDUSTRY_FIELDS: &[&str] = &["業種コード", "業種"];

/// Site-analysis settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Analysis {
    /// Incentive rules file (relative to the project), or "example" for the shipped examples.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules: Option<String>,
    /// Default ranking weights, e.g. "area=1,zoning=2,ic=3,station=1,industry=1:E".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<String>,
    /// Field naming stations (default: N02_005, 駅名, 名称 or name, the first present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station_name_field: Option<String>,
    /// Which features of the interchange layer are interchanges, in the --where language
    /// (default: `is_IC = 1` when the layer has is_IC, else all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_where: Option<String>,
    /// Field naming interchanges (default: name or 名称).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interchange_name_field: Option<String>,
    /// Industry field of the enterprises (default: 業種コード or 業種).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub industry_field: Option<String>,
}

/// The site-analysis context from layers by role: stations (one point per name), expressway
/// interchanges (by `interchange_where`), the city boundary, zoning and enterprises. An error
/// names a setting that does not fit its layer.
pub fn site_context<'a>(
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
                    STATION_NAME_FIELDS,
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
                    INTERCHANGE_NAME_FIELDS,
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
                    .filter_map(|f| f.geometry.as_ref())
                    .flat_map(|g| polygons(g).into_owned())
                    .collect();
                ctx.city = Some(MultiPolygon::new(polygons));
            }
            Role::Zoning => ctx.zoning = Some(ZoningLayer::of(layer)),
            Role::Enterprise => {
                ctx.enterprises = Some(layer);
                ctx.industry_field = first_field(
                    layer,
                    &settings.industry_field,
                    INDUSTRY_FIELDS,
                    "industry_field",
                )?
                .and_then(|f| layer.field_index(&f));
            }
            _ => {}
        }
    }
    Ok(ctx)
}

/// The embedded Hino layers the site metrics read, loaded.
pub fn load_site_inputs() -> Result<Vec<(Role, Layer)>, LoadError> {
    HINO.iter()
        .filter(|e| CONTEXT_ROLES.contains(&e.role))
        .map(|e| Ok((e.role, e.load()?)))
        .collect()
}
