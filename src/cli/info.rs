//! `sitelens info`: what each layer holds, as text or JSON.

use std::io::Write;
use std::path::PathBuf;

use serde_json::{Value as Json, json};

use crate::io::{self, LoadOptions};
use crate::model::Layer;

/// Loads each path and prints its description. Returns whether every layer loaded; load errors
/// go to stderr, one line each.
pub fn run(
    paths: &[PathBuf],
    json: bool,
    options: &LoadOptions,
    out: &mut impl Write,
) -> std::io::Result<bool> {
    let mut layers = Vec::new();
    let mut all_ok = true;
    for path in paths {
        match io::load_all(path, options) {
            Ok(loaded) => layers.extend(loaded),
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
        let doc = json!({ "layers": layers.iter().map(describe).collect::<Vec<_>>() });
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        for layer in &layers {
            write_text(layer, out)?;
        }
    }
    // Freeing a million features one by one takes a few hundred milliseconds; the answer is out,
    // so it is done off this thread (and cut short when the program ends right after).
    std::thread::spawn(move || drop(layers));
    Ok(all_ok)
}

/// The JSON description of one layer (the `info --json` schema).
pub fn describe(layer: &Layer) -> Json {
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
    doc
}

fn write_text(layer: &Layer, out: &mut impl Write) -> std::io::Result<()> {
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
    match (layer.index.bbox(), s.crs.known) {
        (Some(b), true) => writeln!(
            out,
            "  bbox WGS84: {:.7}, {:.7}, {:.7}, {:.7}",
            b.min_x, b.min_y, b.max_x, b.max_y
        )?,
        (Some(b), false) => writeln!(
            out,
            "  bbox:       {}, {}, {}, {} (source units)",
            b.min_x, b.min_y, b.max_x, b.max_y
        )?,
        (None, _) => writeln!(out, "  bbox:       none (no geometry)")?,
    }
    if let Some(e) = &s.encoding {
        writeln!(out, "  encoding:   {} [{}]", e.name, e.decided_by)?;
    }
    writeln!(out, "  fields:     {}", layer.fields.len())?;
    for f in &layer.fields {
        // Pad by display width: a kanji takes two columns.
        let width: usize = f
            .name
            .chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum();
        let pad = " ".repeat(24usize.saturating_sub(width));
        writeln!(out, "    {}{pad} {}", f.name, f.field_type.name())?;
    }
    if layer.warnings.is_empty() {
        writeln!(out, "  warnings:   none")?;
    } else {
        writeln!(out, "  warnings:   {}", layer.warnings.len())?;
        for w in layer.warnings.iter().take(50) {
            writeln!(out, "    {w}")?;
        }
        if layer.warnings.len() > 50 {
            writeln!(
                out,
                "    … and {} more (see --json)",
                layer.warnings.len() - 50
            )?;
        }
    }
    writeln!(out)
}
