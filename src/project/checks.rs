//! What the site analysis reads from a layer given its role, and what it cannot: a zoning layer
//! not recognised, a station layer without names, enterprises without an industry field, sites
//! that are not polygons. Each gap is a [`RoleWarning`] naming the layer and the fields looked
//! for, so no empty metric passes for "none there".

use std::fmt;

use geo_types::Geometry;

use super::context::{Analysis, INDUSTRY_FIELDS, INTERCHANGE_NAME_FIELDS, STATION_NAME_FIELDS};
use crate::analysis::zoning::{Recognition, recognise};
use crate::model::{Layer, Role, polygons};

/// Something the analysis cannot read from a layer for its role.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleWarning {
    pub role: Role,
    /// The layer's name (its file stem).
    pub layer: String,
    /// The whole warning, naming the layer (and the fields looked for, when fields are missing).
    pub message: String,
    /// The fields that were looked for (empty when the gap is not a field).
    pub looked_for: Vec<String>,
}

impl fmt::Display for RoleWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// How a layer reads for a role: the zoning recognition (zoning only), the fields read by
/// meaning, and the warnings.
#[derive(Debug, Clone)]
pub struct RoleCheck {
    pub role: Role,
    pub zoning: Option<Recognition>,
    /// (meaning, field): name → N02_005, industry → 業種コード, …
    pub fields: Vec<(&'static str, String)>,
    pub warnings: Vec<RoleWarning>,
}

/// Checks `layer` for `role` with the project's field settings. Roles the analysis does not
/// read (railways, shelters, context) have nothing to check.
pub fn check_role(role: Role, layer: &Layer, settings: &Analysis) -> RoleCheck {
    let mut check = RoleCheck {
        role,
        zoning: None,
        fields: Vec::new(),
        warnings: Vec::new(),
    };
    let name = layer.name.as_str();
    let mut warn = |message: String, looked_for: &[&str]| {
        check.warnings.push(RoleWarning {
            role,
            layer: name.to_string(),
            message,
            looked_for: looked_for.iter().map(|s| s.to_string()).collect(),
        });
    };
    let points = || {
        layer
            .features
            .iter()
            .filter(|f| matches!(f.geometry, Some(Geometry::Point(_))))
            .count()
    };
    let mut found: Vec<(&'static str, String)> = Vec::new();
    match role {
        Role::Zoning => {
            let recognition = recognise(layer);
            match &recognition {
                Recognition::Recognised(r) => {
                    found.extend(
                        r.fields()
                            .into_iter()
                            .filter_map(|(k, v)| Some((k, v?.to_string()))),
                    );
                    for p in &r.problems {
                        warn(format!("zoning layer '{name}' ({}): {p}", r.source.id), &[]);
                    }
                }
                Recognition::NotRecognised(n) => warn(n.message(name), &n.looked_for),
            }
            check.zoning = Some(recognition);
        }
        Role::Station => {
            let given = settings.station_name_field.as_deref();
            match field(layer, given, STATION_NAME_FIELDS) {
                Some(f) => found.push(("name", f)),
                None => warn(
                    format!(
                        "stations layer '{name}': no station name field (looked for {}): \
                         nearest_station and station_m stay empty",
                        looked(given, STATION_NAME_FIELDS)
                    ),
                    STATION_NAME_FIELDS,
                ),
            }
        }
        Role::Interchange => {
            let given = settings.interchange_name_field.as_deref();
            match field(layer, given, INTERCHANGE_NAME_FIELDS) {
                Some(f) => found.push(("name", f)),
                None => warn(
                    format!(
                        "interchanges layer '{name}': no name field (looked for {}): \
                         interchanges are named by record number",
                        looked(given, INTERCHANGE_NAME_FIELDS)
                    ),
                    INTERCHANGE_NAME_FIELDS,
                ),
            }
            if points() == 0 {
                warn(
                    format!(
                        "interchanges layer '{name}': no point features: nearest_ic and ic_m \
                         stay empty"
                    ),
                    &[],
                );
            }
        }
        Role::Enterprise => {
            let given = settings.industry_field.as_deref();
            match field(layer, given, INDUSTRY_FIELDS) {
                Some(f) => found.push(("industry", f)),
                None => warn(
                    format!(
                        "enterprises layer '{name}': no industry field (looked for {}): \
                         industries_1km counts them as '?' and the industry criterion scores 0",
                        looked(given, INDUSTRY_FIELDS)
                    ),
                    INDUSTRY_FIELDS,
                ),
            }
            if points() == 0 {
                warn(
                    format!(
                        "enterprises layer '{name}': no point features: enterprises_500m and \
                         enterprises_1km count points"
                    ),
                    &[],
                );
            }
        }
        Role::Boundary if !has_polygons(layer) => warn(
            format!("boundary layer '{name}': no polygons: in_city stays empty"),
            &[],
        ),
        Role::Site => {
            let not_polygons = layer
                .features
                .iter()
                .filter(|f| f.geometry.as_ref().is_none_or(|g| polygons(g).is_empty()))
                .count();
            if not_polygons > 0 {
                warn(
                    format!(
                        "sites layer '{name}': {not_polygons} of {} sites are not polygons: their \
                         area and zoning stay empty",
                        layer.features.len()
                    ),
                    &[],
                );
            }
        }
        _ => {}
    }
    check.fields = found;
    check
}

/// The field the setting names (when it is there), else the first default present.
fn field(layer: &Layer, given: Option<&str>, defaults: &[&str]) -> Option<String> {
    match given {
        Some(f) => layer.field_index(f).map(|_| f.to_string()),
        None => defaults
            .iter()
            .find(|d| layer.field_index(d).is_some())
            .map(|d| d.to_string()),
    }
}

fn looked(given: Option<&str>, defaults: &[&str]) -> String {
    given.map_or_else(|| defaults.join("/"), str::to_string)
}

fn has_polygons(layer: &Layer) -> bool {
    layer
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .any(|g| !polygons(g).is_empty())
}
