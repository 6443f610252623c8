//! What an export says about itself: sources with their credit and licence lines, the filter,
//! the profile, sitelens's version and the time of export. In a public export nothing names or
//! quotes an internal field: a filter that reads one is described without its text.

use serde_json::{Value as Json, json};

use super::{ExportOptions, OutputCrs, OutputFormat, Profile, Section, profile};

/// The filter as an export may state it: its text, unless a public export's filter reads an
/// internal field (its name or a value it compares with would then leave in the text).
pub(crate) fn filter_shown(sections: &[Section<'_>], options: &ExportOptions) -> String {
    let filter_reads_internal = sections.iter().any(|s| {
        let internal = profile::internal_columns(s.layer);
        s.fields_read_by_filter
            .iter()
            .any(|name| s.layer.field_index(name).is_some_and(|c| internal[c]))
    });
    if options.profile == Profile::Public && filter_reads_internal {
        "a filter on internal fields (not shown in a public export)".to_string()
    } else {
        options.filter_text.clone()
    }
}

pub fn build(
    sections: &[Section<'_>],
    options: &ExportOptions,
    crs: &OutputCrs,
    format: OutputFormat,
) -> Json {
    let written: Vec<usize> = sections.iter().map(|s| s.ids.len()).collect();
    build_counted(sections, &written, options, crs, format)
}

/// The provenance of sections whose features were written elsewhere (a streamed export):
/// `written[i]` features of section `i`, whose `ids` are not looked at.
pub(crate) fn build_counted(
    sections: &[Section<'_>],
    written: &[usize],
    options: &ExportOptions,
    crs: &OutputCrs,
    format: OutputFormat,
) -> Json {
    let filter = filter_shown(sections, options);
    let sources: Vec<Json> = sections
        .iter()
        .zip(written)
        .map(|(s, &written)| {
            let src = &s.layer.source;
            let file = src
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned());
            json!({
                "file": file,
                "member": src.member,
                "format": src.format.name(),
                "crs": src.crs.label(),
                "credit": s.layer.meta.credit,
                "licence": s.layer.meta.licence,
                "sample_data": s.layer.meta.sample,
                "features_written": written,
                "records_in_source": src.record_count,
            })
        })
        .collect();
    let dropped: usize = sections
        .iter()
        .map(|s| s.layer.fields.len() - s.columns.len())
        .sum();
    let mut p = json!({
        "generator": format!("sitelens {}", crate::VERSION),
        "exported_at": options.stamp(),
        "profile": options.profile.name(),
        "filter": filter,
        "format": format.name(),
        "crs": if format == OutputFormat::GeoJson {
            "WGS 84 longitude/latitude (RFC 7946)".to_string()
        } else {
            crs.label()
        },
        // Text formats round; the binary ones keep every bit of a double.
        "coordinate_precision": matches!(format, OutputFormat::GeoJson | OutputFormat::Csv)
            .then(|| crs.decimals(options.precision)),
        "sources": sources,
    });
    if options.profile == Profile::Public {
        p["internal_fields_dropped"] = json!(dropped);
    }
    if sections.iter().any(|s| s.layer.meta.sample) {
        p["notice"] = json!(
            "Contains FICTIONAL SAMPLE DATA (架空のサンプルデータ): not real sites or enterprises."
        );
    }
    p
}

/// The same, as a README for people.
/// `renamed`: field names the format could not keep, and what they became; `notes`: what the
/// writer left out or changed.
pub fn readme(
    provenance: &Json,
    output_name: &str,
    renamed: &[(String, String)],
    notes: &[String],
) -> String {
    let mut s = format!(
        "# {output_name}\n\nExported by {}.\n\n",
        provenance["generator"].as_str().unwrap_or("sitelens")
    );
    if let Some(notice) = provenance["notice"].as_str() {
        s.push_str(&format!("**{notice}**\n\n"));
    }
    for key in [
        "exported_at",
        "profile",
        "filter",
        "crs",
        "coordinate_precision",
        "internal_fields_dropped",
    ] {
        if !provenance[key].is_null() {
            let v = &provenance[key];
            s.push_str(&format!(
                "- {key}: {}\n",
                v.as_str().map_or(v.to_string(), str::to_string)
            ));
        }
    }
    s.push_str("\n## Sources\n\n");
    for src in provenance["sources"].as_array().into_iter().flatten() {
        s.push_str(&format!(
            "- {} ({}; {} of {} features)\n",
            src["file"].as_str().unwrap_or("?"),
            src["crs"].as_str().unwrap_or("?"),
            src["features_written"],
            src["records_in_source"]
        ));
        if let Some(c) = src["credit"].as_str() {
            s.push_str(&format!("  - credit: {c}\n"));
        }
        if let Some(l) = src["licence"].as_str() {
            s.push_str(&format!("  - licence: {l}\n"));
        }
    }
    if !renamed.is_empty() {
        s.push_str("\n## Field names\n\nFields the format could not keep under their names:\n\n");
        s.push_str("| field | in this file |\n|---|---|\n");
        for (from, to) in renamed {
            s.push_str(&format!("| {from} | {to} |\n"));
        }
    }
    if !notes.is_empty() {
        s.push_str("\n## Notes\n\n");
        for note in notes {
            s.push_str(&format!("- {note}\n"));
        }
    }
    s.push_str("\n## Provenance (JSON)\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(provenance).unwrap_or_default());
    s.push_str("\n```\n");
    s
}
