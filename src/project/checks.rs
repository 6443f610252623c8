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
    // "stations layer 'x'"
    let this = format!("{} layer '{}'", role.key(), layer.name);
    let mut warn = |what: String, looked_for: &[&str]| {
        check.warnings.push(RoleWarning {
            role,
            layer: layer.name.clone(),
            message: format!("{this}: {what}"),
            looked_for: looked_for.iter().map(|s| s.to_string()).collect(),
        });
    };
    let mut found: Vec<(&'static str, String)> = Vec::new();
    // A field the role reads (`meaning` as `info` names it, `word` as the warning says it): the
    // setting's, else the first default present.
    let mut needs_field = |(meaning, word): (&'static str, &str),
                           given: &Option<String>,
                           defaults: &[&str],
                           without: &str,
                           warn: &mut dyn FnMut(String, &[&str])| {
        match field(layer, given.as_deref(), defaults) {
            Some(f) => found.push((meaning, f)),
            None => warn(
                format!(
                    "no {word} field (looked for {}): {without}",
                    given.clone().unwrap_or_else(|| defaults.join("/"))
                ),
                defaults,
            ),
        }
    };
    let points = layer
        .features
        .iter()
        .filter(|f| matches!(f.geometry, Some(Geometry::Point(_))))
        .count();
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
                        warn(format!("{} read, but {p}", r.source.id), &[]);
                    }
                }
                Recognition::NotRecognised(n) => {
                    check.warnings.push(RoleWarning {
                        role,
                        layer: layer.name.clone(),
                        message: n.message(&layer.name),
                        looked_for: n.looked_for.iter().map(|s| s.to_string()).collect(),
                    });
                }
            }
            check.zoning = Some(recognition);
        }
        Role::Station => needs_field(
            ("name", "station name"),
            &settings.station_name_field,
            STATION_NAME_FIELDS,
            "nearest_station and station_m stay empty",
            &mut warn,
        ),
        Role::Interchange => {
            needs_field(
                ("name", "name"),
                &settings.interchange_name_field,
                INTERCHANGE_NAME_FIELDS,
                "interchanges are named by record number",
                &mut warn,
            );
            if points == 0 {
                warn(
                    "no point features: nearest_ic and ic_m stay empty".into(),
                    &[],
                );
            }
        }
        Role::Enterprise => {
            needs_field(
                ("industry", "industry"),
                &settings.industry_field,
                INDUSTRY_FIELDS,
                "industries_1km counts them as '?' and the industry criterion scores 0",
                &mut warn,
            );
            if points == 0 {
                warn(
                    "no point features: enterprises_500m and enterprises_1km count points".into(),
                    &[],
                );
            }
        }
        Role::Boundary if !has_polygons(layer) => {
            warn("no polygons: in_city stays empty".into(), &[]);
        }
        Role::Site => {
            let not_polygons = layer
                .features
                .iter()
                .filter(|f| f.geometry.as_ref().is_none_or(|g| polygons(g).is_empty()))
                .count();
            if not_polygons > 0 {
                warn(
                    format!(
                        "{not_polygons} of {} sites are not polygons: their area and zoning stay \
                         empty",
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

fn has_polygons(layer: &Layer) -> bool {
    layer
        .features
        .iter()
        .filter_map(|f| f.geometry.as_ref())
        .any(|g| !polygons(g).is_empty())
}
