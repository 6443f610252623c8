//! `sitelens project FILE`: load a project and report its layers, roles and site metrics;
//! `--init` writes the embedded Hino project as a template to start from.

use std::io::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::project::Project;

/// Returns false when a layer or a setting failed (the report says which), or, when `strict`,
/// when a layer cannot be read for its role. What the analysis cannot read goes to stderr as
/// warnings.
pub fn run(path: &Path, init: bool, strict: bool, out: &mut impl Write) -> Result<bool> {
    if init {
        if path.exists() {
            bail!("{}: already exists (not overwritten)", path.display());
        }
        Project::hino().save(path)?;
        writeln!(out, "wrote the Hino project template to {}", path.display())?;
        return Ok(true);
    }
    let project = Project::read(path)?;
    let loaded = project.load();
    writeln!(out, "project: {}", project.name)?;
    if let Some(d) = &project.as_of {
        writeln!(out, "as of:   {d}")?;
    }
    for (spec, layer) in &loaded.layers {
        let role = spec.role.map_or("-", crate::model::Role::key);
        writeln!(
            out,
            "  {:<12} {:>7} features  {}{}",
            role,
            layer.features.len(),
            spec.title.as_deref().unwrap_or(&layer.name),
            if layer.meta.sample {
                "  [fictional sample]"
            } else {
                ""
            }
        )?;
        for w in layer.warnings.iter().take(3) {
            writeln!(out, "      warning: {w}")?;
        }
    }
    if let Some(i) = loaded.sites {
        let with = loaded.metrics.iter().flatten().count();
        writeln!(
            out,
            "site metrics: {with} of {} sites of {}",
            loaded.layers[i].1.features.len(),
            loaded.layers[i].1.name
        )?;
    } else {
        writeln!(out, "no layer has role = \"sites\": no site metrics")?;
    }
    for e in &loaded.errors {
        writeln!(out, "error: {e}")?;
    }
    for (_, w) in &loaded.warnings {
        eprintln!("warning: {w}");
    }
    let strict_failed = strict && !loaded.warnings.is_empty();
    if strict_failed {
        eprintln!(
            "error: --strict: {} layer warning(s) above",
            loaded.warnings.len()
        );
    }
    Ok(loaded.errors.is_empty() && !strict_failed)
}
