//! `sitelens info`: what each layer holds, as text or JSON.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value as Json, json};

use crate::analysis::zoning::{Recognised, Recognition, recognise};
use crate::io::{self, LoadOptions};
use crate::model::{Layer, Role};
use crate::project::{Analysis, RoleCheck, check_role};

/// What `info` is asked to say.
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    /// One JSON object instead of text.
    pub json: bool,
    /// Read the layers as this role.
    pub role: Option<Role>,
    /// Count a PostGIS table's rows instead of taking the planner's estimate.
    pub exact: bool,
}

/// Loads each path and prints its description, with what it is recognised as (zoning, or the
/// `role` given). A PostGIS table is described from its catalogue and statistics, without
/// reading its rows. Returns whether every layer loaded; load errors go to stderr, one line
/// each.
pub fn run(
    paths: &[PathBuf],
    how: &How,
    options: &LoadOptions,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let (json, role) = (how.json, how.role);
    let mut layers = Vec::new();
    let mut tables = Vec::new();
    let mut all_ok = true;
    for path in paths {
        let result = match io::postgis::url_of(path) {
            Some(url) => io::postgis::describe(url, options, how.exact).map(|s| tables.push(s)),
            None => io::load_all(path, options).map(|loaded| layers.extend(loaded)),
        };
        match result {
            Ok(()) => {}
            Err(e) => {
                all_ok = false;
                eprintln!("error: {e}");
                if let Some(hint) = super::hint(&e) {
                    eprintln!("hint: {hint}");
                }
            }
        }
    }
    if json {
        let described: Vec<Json> = layers
            .iter()
            .map(|l| describe(l, role))
            .chain(tables.iter().map(super::info_postgis::describe))
            .collect();
        let doc = json!({ "layers": described });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        for layer in &layers {
            write_text(layer, role, out)?;
        }
        for table in &tables {
            super::info_postgis::write_text(table, out)?;
        }
    }
    // Freeing a million features one by one takes a few hundred milliseconds; the answer is out,
    // so it is done off this thread (and cut short when the program ends right after).
    std::thread::spawn(move || drop(layers));
    Ok(all_ok)
}

/// The JSON description of one layer (the `info --json` schema), read as `role` when given.
pub fn describe(layer: &Layer, role: Option<Role>) -> Json {
    let source = &layer.source;
    let bbox = layer.index.bbox().map(|b| b.as_array());
    let mut doc = json!({
        "path": source.path.display().to_string(),
        "name": layer.name,
        "format": source.format.name(),
        "feature_count": layer.features.len(),
        "geometry_types": layer.geometry_type_counts(),
        "crs": source.crs,
        "bbox_wgs84": if source.crs.known { json!(bbox) } else { Json::Null },
        "fields": layer.fields,
        "encoding": source.encoding.as_ref().map(|e| e.name.clone()),
        "encoding_decided_by": source.encoding.as_ref().map(|e| e.decided_by.clone()),
        "warnings": layer.warnings,
    });
    if let Some(member) = &source.member {
        doc["member"] = json!(member);
    }
    if !source.crs.known {
        doc["bbox_source"] = json!(bbox);
    }
    let reading = Reading::of(layer, role);
    doc["recognised"] = reading.recognised_json();
    if let Some(n) = reading.not_recognised_json() {
        doc["not_recognised"] = n;
    }
    if role.is_some() {
        doc["role_warnings"] = json!(reading.role_warnings());
    }
    doc
}

/// What a layer is recognised as: zoning on its own, or the role asked for.
struct Reading {
    role: Option<Role>,
    zoning: Recognition,
    check: Option<RoleCheck>,
}

impl Reading {
    fn of(layer: &Layer, role: Option<Role>) -> Reading {
        let check = role.map(|r| check_role(r, layer, &Analysis::default()));
        let zoning = match check.as_ref().and_then(|c| c.zoning.clone()) {
            Some(z) => z,
            None => recognise(layer),
        };
        Reading {
            role,
            zoning,
            check,
        }
    }

    /// Zoning recognised when no other role was asked for.
    fn zoning(&self) -> Option<&Recognised> {
        match self.role {
            None | Some(Role::Zoning) => self.zoning.recognised(),
            Some(_) => None,
        }
    }

    fn recognised_json(&self) -> Json {
        if let Some(r) = self.zoning() {
            let fields: serde_json::Map<String, Json> = r
                .fields()
                .into_iter()
                .map(|(k, v)| (k.to_string(), json!(v)))
                .collect();
            return json!({
                "kind": "zoning",
                "source": r.source.id,
                "source_name": r.source.name,
                "code_system": r.source.codes.map(|c| c.id),
                "fields": fields,
                "notes": r.notes,
                "problems": r.problems,
            });
        }
        match (&self.check, self.role) {
            (Some(c), Some(role)) if role != Role::Zoning && !missing_fields(c) => {
                let fields: serde_json::Map<String, Json> = c
                    .fields
                    .iter()
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect();
                json!({ "kind": role.key(), "fields": fields })
            }
            _ => Json::Null,
        }
    }

    /// Why the layer is not read as what it seems (or was said) to be: zoning not recognised
    /// in a layer that looks like zoning or is given as zoning; a role's field missing.
    fn not_recognised_json(&self) -> Option<Json> {
        match self.role {
            None | Some(Role::Zoning) => match &self.zoning {
                Recognition::NotRecognised(n) if n.attempt || self.role.is_some() => Some(json!({
                    "kind": "zoning",
                    "reason": n.reason,
                    "looked_for": n.looked_for,
                })),
                _ => None,
            },
            Some(role) => {
                let w = self
                    .check
                    .as_ref()?
                    .warnings
                    .iter()
                    .find(|w| !w.looked_for.is_empty())?;
                Some(json!({
                    "kind": role.key(),
                    "reason": w.message,
                    "looked_for": w.looked_for,
                }))
            }
        }
    }

    fn role_warnings(&self) -> Vec<String> {
        self.check
            .iter()
            .flat_map(|c| c.warnings.iter().map(|w| w.message.clone()))
            .collect()
    }

    fn write_text(&self, out: &mut impl Write) -> std::io::Result<()> {
        if let Some(r) = self.zoning() {
            writeln!(
                out,
                "  recognised: zoning from {} ({})",
                r.source.id, r.source.name
            )?;
            let fields: Vec<String> = r
                .fields()
                .into_iter()
                .map(|(k, v)| format!("{k} {}", v.unwrap_or("—")))
                .collect();
            writeln!(out, "              {}", fields.join(", "))?;
            if let Some(codes) = r.source.codes {
                writeln!(out, "              codes: {}", codes.name)?;
            }
            for note in r.notes.iter().chain(&r.problems) {
                writeln!(out, "              note: {note}")?;
            }
        } else if let Some(c) = self
            .check
            .as_ref()
            .filter(|c| c.role != Role::Zoning && !missing_fields(c))
        {
            let fields: Vec<String> = c.fields.iter().map(|(k, v)| format!("{k} {v}")).collect();
            writeln!(
                out,
                "  recognised: {} ({})",
                c.role.key(),
                if fields.is_empty() {
                    "no fields read".to_string()
                } else {
                    fields.join(", ")
                }
            )?;
        }
        let zoning_asked = matches!(self.role, None | Some(Role::Zoning));
        if let (Recognition::NotRecognised(n), true) = (&self.zoning, zoning_asked)
            && (n.attempt || self.role.is_some())
        {
            writeln!(out, "  not recognised as zoning: {}", n.reason)?;
            writeln!(
                out,
                "              looked for {}",
                crate::analysis::zoning::sources::looked_for_text()
            )?;
        }
        if !zoning_asked {
            for w in self.role_warnings() {
                writeln!(out, "  warning:    {w}")?;
            }
        }
        Ok(())
    }
}

/// Whether a role's check misses a field it needs.
fn missing_fields(c: &RoleCheck) -> bool {
    c.warnings.iter().any(|w| !w.looked_for.is_empty())
}

fn write_text(layer: &Layer, role: Option<Role>, out: &mut impl Write) -> std::io::Result<()> {
    let s = &layer.source;
    match &s.member {
        Some(m) => writeln!(out, "{} ▸ {m}", s.path.display())?,
        None => writeln!(out, "{}", s.path.display())?,
    }
    let types: Vec<String> = layer
        .geometry_type_counts()
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    writeln!(out, "  format:     {}", s.format.name())?;
    writeln!(
        out,
        "  features:   {} ({})",
        layer.features.len(),
        types.join(", ")
    )?;
    writeln!(
        out,
        "  CRS:        {} [{}]",
        s.crs.label(),
        s.crs.decided_by
    )?;
    for z in &s.crs.suggestions {
        writeln!(
            out,
            "              could be EPSG:{} zone {} ({}), centre at {:.5}°E {:.5}°N",
            z.epsg, z.zone, z.axis_order, z.centre_lon_lat[0], z.centre_lon_lat[1]
        )?;
    }
    write_bbox(layer.index.bbox(), s.crs.known, "", out)?;
    if let Some(e) = &s.encoding {
        writeln!(out, "  encoding:   {} [{}]", e.name, e.decided_by)?;
    }
    write_fields(&layer.fields, out)?;
    Reading::of(layer, role).write_text(out)?;
    write_warnings(&layer.warnings, out)?;
    writeln!(out)
}

/// The fields, one a line, names padded by display width (a kanji takes two columns).
pub(super) fn write_fields(
    fields: &[crate::model::Field],
    out: &mut impl Write,
) -> std::io::Result<()> {
    writeln!(out, "  fields:     {}", fields.len())?;
    for f in fields {
        let width: usize = f
            .name
            .chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum();
        let pad = " ".repeat(24usize.saturating_sub(width));
        writeln!(out, "    {}{pad} {}", f.name, f.field_type.name())?;
    }
    Ok(())
}

/// The warnings, the first 50 of them.
pub(super) fn write_warnings(
    warnings: &[crate::model::Warning],
    out: &mut impl Write,
) -> std::io::Result<()> {
    if warnings.is_empty() {
        return writeln!(out, "  warnings:   none");
    }
    writeln!(out, "  warnings:   {}", warnings.len())?;
    for w in warnings.iter().take(50) {
        writeln!(out, "    {w}")?;
    }
    if warnings.len() > 50 {
        writeln!(out, "    … and {} more (see --json)", warnings.len() - 50)?;
    }
    Ok(())
}

/// The bbox line: in WGS84 when the CRS is known, else in source units; `note` follows it.
pub(super) fn write_bbox(
    bbox: Option<crate::model::Envelope>,
    known: bool,
    note: &str,
    out: &mut impl Write,
) -> std::io::Result<()> {
    match (bbox, known) {
        (Some(b), true) => writeln!(
            out,
            "  bbox WGS84: {:.7}, {:.7}, {:.7}, {:.7}{note}",
            b.min_x, b.min_y, b.max_x, b.max_y
        ),
        (Some(b), false) => writeln!(
            out,
            "  bbox:       {}, {}, {}, {} (source units){note}",
            b.min_x, b.min_y, b.max_x, b.max_y
        ),
        (None, _) => writeln!(out, "  bbox:       none (no geometry)"),
    }
}
