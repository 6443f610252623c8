//! `sitelens publish`: a dataset package for open-data catalogues (CKAN portals, the national
//! DCAT profile). Per layer its data files (GeoJSON, CSV, and on request a zipped Shapefile,
//! GeoPackage, FlatGeobuf), then the metadata, all from one [`Package`] description: DCAT JSON-LD,
//! a CKAN `package_create` document, the city's オープンデータ一覧 row, a README (ja/en) and a
//! licence file. Public profile only; every source's terms checked against the package's
//! licence; fictional sample data refused unless asked for. Built in a temporary folder beside
//! the target, then renamed into place (or zipped); the same inputs and `issued` date give the
//! same bytes.

pub mod city;
pub mod fields;
pub mod package;
mod readme;
pub mod table;
pub mod terms;

use std::path::{Path, PathBuf};

use city::City;
use package::{Distribution, Package};
use terms::{PackageLicence, SourceTerms};

use crate::export::{self, ExportError, ExportOptions, OutputFormat, Profile, Section};
use crate::model::{Envelope, Layer, Role};
use crate::write::{WriteError, atomic_create, atomic_write};

/// One layer to publish: its public section (filtered features, public columns), its title and
/// its role in the project, when it has one.
pub struct PublishLayer<'a> {
    pub section: Section<'a>,
    pub title: String,
    pub role: Option<Role>,
}

/// What the package says about itself, and how it is written.
#[derive(Debug, Clone)]
pub struct Settings {
    pub title: String,
    pub description: String,
    pub publisher: String,
    pub contact: Option<String>,
    pub keywords: Vec<String>,
    /// YYYY-MM-DD: the package's date, and the only time stamp in it.
    pub issued: String,
    /// The data's as-of date (YYYY-MM-DD).
    pub as_of: Option<String>,
    pub licence: PackageLicence,
    /// The portal's licence id, when it is not CKAN core's ([`PackageLicence::ckan_id`]).
    pub ckan_licence_id: Option<String>,
    pub city: City,
    /// 分類 of the オープンデータ一覧 ([`table::CATEGORIES`]); chosen from the layers' roles when
    /// not given.
    pub category: Option<String>,
    /// Data formats per layer: GeoJSON and CSV by default.
    pub formats: Vec<OutputFormat>,
    /// Publish fictional sample data (every file then says so).
    pub allow_sample: bool,
    /// The filter as text (stated unless it reads an internal field).
    pub filter_text: String,
    /// Decimals of coordinates (7 ≈ 1 cm).
    pub precision: usize,
}

/// What was published.
#[derive(Debug)]
pub struct Published {
    pub target: PathBuf,
    /// Every file of the package (path inside it, bytes), in name order.
    pub files: Vec<(String, u64)>,
    /// Features per data file.
    pub features: usize,
    pub credits: Vec<String>,
    /// What writers changed to fit a format.
    pub notes: Vec<String>,
}

/// Why nothing was published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Fictional sample data, not asked for.
    #[error(
        "{layer}: fictional sample data, not real: a package of it is made only when asked for, \
         and then says so in every file"
    )]
    Sample { layer: String },
    /// A source whose terms do not allow it under the package's licence.
    #[error("{layer}: may not be published under {licence}: {reason}")]
    Terms {
        layer: String,
        licence: &'static str,
        reason: String,
    },
    /// Something the package description needs is missing or malformed.
    #[error("{0}")]
    Settings(String),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Files the package's metadata takes, besides the data.
const DCAT_FILE: &str = "dcat.jsonld";
const CKAN_FILE: &str = "ckan_package.json";
const CATALOGUE_FILE: &str = "opendata_list.csv";
const README_FILE: &str = "README.md";
const LICENCE_FILE: &str = "LICENSE.txt";

/// Today's date (UTC) as YYYY-MM-DD: a package's issue date when none is given.
pub fn today() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now())
        .to_string()
        .chars()
        .take(10)
        .collect()
}

/// The formats a package can hold, by the names `--formats` takes.
pub fn parse_format(name: &str) -> Result<OutputFormat, String> {
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "geojson" => OutputFormat::GeoJson,
        "csv" => OutputFormat::Csv,
        "shp" | "shapefile" => OutputFormat::Shapefile,
        "gpkg" | "geopackage" => OutputFormat::GeoPackage,
        "fgb" | "flatgeobuf" => OutputFormat::FlatGeobuf,
        other => {
            return Err(format!(
                "{other:?}: a package holds geojson, csv, shp, gpkg or fgb"
            ));
        }
    })
}

/// Checks what can be checked before anything is written: the settings, sample data, and each
/// source's terms against the package's licence. Returns every source's credit line, in the form
/// its terms ask for, without repeats.
pub fn check(
    layers: &[PublishLayer<'_>],
    settings: &Settings,
) -> Result<Vec<String>, PublishError> {
    if settings.title.trim().is_empty() {
        return Err(PublishError::Settings("the package needs a title".into()));
    }
    if settings.publisher.trim().is_empty() {
        return Err(PublishError::Settings(
            "the package needs a publisher".into(),
        ));
    }
    if !crate::model::is_iso_date(&settings.issued) {
        return Err(PublishError::Settings(format!(
            "issued {:?}: give the date as YYYY-MM-DD",
            settings.issued
        )));
    }
    if let Some(a) = settings
        .as_of
        .as_deref()
        .filter(|a| !crate::model::is_iso_date(a))
    {
        return Err(PublishError::Settings(format!(
            "as-of {a:?}: give the date as YYYY-MM-DD"
        )));
    }
    if let Some(c) = settings
        .category
        .as_deref()
        .filter(|c| !table::CATEGORIES.contains(c))
    {
        return Err(PublishError::Settings(format!(
            "category {c:?} is not one of the オープンデータ一覧's: {}",
            table::CATEGORIES.join(", ")
        )));
    }
    if layers.is_empty() {
        return Err(PublishError::Settings("no layers to publish".into()));
    }
    if settings.formats.is_empty() {
        return Err(PublishError::Settings("no data formats chosen".into()));
    }
    let mut credits: Vec<String> = Vec::new();
    for l in layers {
        let layer = l.section.layer;
        if let Some(problem) = layer_problem(layer, &describe(l), settings) {
            return Err(problem);
        }
        let terms = terms_of(layer);
        if let Some(credit) = layer
            .meta
            .credit
            .as_deref()
            .filter(|c| !c.trim().is_empty())
        {
            let line = terms::credit_line(credit, &terms, edited(l, settings));
            if !credits.contains(&line) {
                credits.push(line);
            }
        }
    }
    Ok(credits)
}

/// The terms a layer comes with: fictional sample data is the project's own, free to reuse.
fn terms_of(layer: &Layer) -> SourceTerms {
    if layer.meta.sample {
        SourceTerms::Free
    } else {
        SourceTerms::parse(layer.meta.licence.as_deref())
    }
}

/// Why `layer` (called `name` in the message) cannot go into a package with these settings:
/// fictional sample data not asked for, or terms that do not allow the package's licence.
pub fn layer_problem(layer: &Layer, name: &str, settings: &Settings) -> Option<PublishError> {
    if layer.meta.sample && !settings.allow_sample {
        return Some(PublishError::Sample {
            layer: name.to_string(),
        });
    }
    terms_of(layer)
        .allows(settings.licence)
        .err()
        .map(|reason| PublishError::Terms {
            layer: name.to_string(),
            licence: settings.licence.short(),
            reason,
        })
}

/// A layer as messages name it: its title and source file.
fn describe(l: &PublishLayer<'_>) -> String {
    let file = l.section.layer.source.path.display().to_string();
    if l.title.is_empty() || l.title == file {
        file
    } else {
        format!("{} ({file})", l.title)
    }
}

/// The description a package gets when none is given: its layers with their counts, in
/// Japanese then English (a catalogue entry is never left without one).
fn contents_line(layers: &[readme::LayerReport]) -> String {
    let ja: Vec<String> = layers
        .iter()
        .map(|l| format!("{}（{}件）", l.title, l.features))
        .collect();
    let en: Vec<String> = layers
        .iter()
        .map(|l| {
            let s = if l.features == 1 { "" } else { "s" };
            format!("{} ({} feature{s})", l.title, l.features)
        })
        .collect();
    format!(
        "収録データ：{}。\nContents: {}.",
        ja.join("、"),
        en.join(", ")
    )
}

/// Whether the package changes the layer's data (so its credit says 加工): filtered, fields
/// left out, coordinates converted, or a CSV given the standard leading columns.
fn edited(l: &PublishLayer<'_>, settings: &Settings) -> bool {
    let layer = l.section.layer;
    !settings.filter_text.is_empty()
        || l.section.ids.len() != layer.features.len()
        || l.section.columns.len() != layer.fields.len()
        || layer.source.crs.epsg != Some(4326)
        || settings.formats.contains(&OutputFormat::Csv)
}

/// A file-name stem from a layer's name: ASCII letters, digits, `-` and `_`; unique in the
/// package.
fn slug(name: &str, taken: &[String], n: usize) -> String {
    let mut s = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            s.push(c);
        } else if !s.ends_with('_') && !s.is_empty() {
            s.push('_');
        }
    }
    let s = s.trim_matches('_').to_string();
    let base = if s.is_empty() {
        format!("layer{}", n + 1)
    } else {
        s
    };
    let mut candidate = base.clone();
    let mut k = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}_{k}");
        k += 1;
    }
    candidate
}

/// The 分類 of the オープンデータ一覧 from the layers' roles (the most common wins; その他 when
/// none says).
fn category(layers: &[PublishLayer<'_>]) -> &'static str {
    let mut counts: Vec<(&'static str, usize)> = Vec::new();
    for l in layers {
        let c = match l.role {
            Some(Role::Shelter) => "司法・安全・環境",
            Some(Role::Station | Role::Railway | Role::Expressway | Role::Interchange) => {
                "運輸・観光"
            }
            Some(Role::Boundary | Role::Neighbours) => "国土・気象",
            Some(Role::Zoning | Role::Site) => "住宅・土地・建設",
            Some(Role::Enterprise) => "鉱工業",
            _ => continue,
        };
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    counts
        .iter()
        .max_by_key(|(_, n)| *n)
        .map_or("その他", |(c, _)| c)
}

/// Writes the package to `target`: a folder, or a .zip when the name ends so. `protected` are
/// the input files, never written over or removed.
pub fn publish(
    target: &Path,
    layers: &[PublishLayer<'_>],
    settings: &Settings,
    protected: &[PathBuf],
) -> Result<Published, PublishError> {
    let credits = check(layers, settings)?;
    let zip = target
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if !zip {
        refuse_replacing(target, protected)?;
    }
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let io_error = |path: &Path, e: std::io::Error| WriteError {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let staging = tempfile::Builder::new()
        .prefix(".sitelens-publish-")
        .tempdir_in(&parent)
        .map_err(|e| io_error(&parent, e))?;
    let root = staging.path().join("package");
    let data = root.join("data");
    std::fs::create_dir_all(&data).map_err(|e| io_error(&data, e))?;

    let options = ExportOptions {
        profile: Profile::Public,
        precision: settings.precision,
        metadata: true,
        readme: false,
        filter_text: settings.filter_text.clone(),
        to_crs: None,
        dbf_encoding: export::DbfEncoding::Utf8,
        geometry_type: None,
        written_at: Some(settings.issued.clone()),
    };
    let mut distributions = Vec::new();
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut notes = Vec::new();
    let mut reports = Vec::new();
    let mut slugs: Vec<String> = Vec::new();
    let mut bbox: Option<Envelope> = None;
    for (n, l) in layers.iter().enumerate() {
        let layer = l.section.layer;
        let slug = slug(&layer.name, &slugs, n);
        slugs.push(slug.clone());
        for &id in &l.section.ids {
            if let Some(e) = layer.features[id].geometry.as_ref().and_then(Envelope::of) {
                bbox = Some(bbox.map_or(e, |b| b.union(e)));
            }
        }
        let one = std::slice::from_ref(&l.section);
        for &format in &settings.formats {
            let (name, features) = match format {
                OutputFormat::Csv => {
                    let name = format!("data/{slug}.csv");
                    let features = atomic_write(&root.join(&name), protected, |w| {
                        table::write_layer(w, &l.section, &settings.city, settings.precision)
                    })?;
                    (name, features)
                }
                OutputFormat::Shapefile => {
                    let name = format!("data/{slug}.shp.zip");
                    let folder = staging.path().join(format!("shp-{n}"));
                    std::fs::create_dir_all(&folder).map_err(|e| io_error(&folder, e))?;
                    let written = export::export(
                        &folder.join(format!("{slug}.shp")),
                        one,
                        &options,
                        protected,
                    )
                    .map_err(|e| shapefile_refused(e, l))?;
                    notes.extend(written.notes.iter().map(|m| format!("{slug}.shp: {m}")));
                    if !written.renamed.is_empty() {
                        let pairs: Vec<String> = written
                            .renamed
                            .iter()
                            .map(|(a, b)| format!("{a} → {b}"))
                            .collect();
                        notes.push(format!(
                            "{slug}.shp: Shapefile の項目名は10バイトまで / field names cut to 10 bytes: {}",
                            pairs.join(", ")
                        ));
                    }
                    let mut members: Vec<(String, PathBuf)> = written
                        .files
                        .iter()
                        .filter_map(|p| {
                            let file = p.file_name()?.to_string_lossy().into_owned();
                            Some((file, p.clone()))
                        })
                        .collect();
                    members.sort();
                    zip_files(&root.join(&name), &members, &settings.issued, protected)?;
                    (name, written.features)
                }
                _ => {
                    let ext = format.extensions()[0];
                    let name = format!("data/{slug}.{ext}");
                    let written = export::export(&root.join(&name), one, &options, protected)?;
                    notes.extend(written.notes.iter().map(|m| format!("{slug}.{ext}: {m}")));
                    (name, written.features)
                }
            };
            let mut d = Distribution::of_file(
                &root.join(&name),
                &name,
                &format!("{} ({})", l.title, format.name()),
            )
            .map_err(|e| io_error(&root.join(&name), e))?;
            d.features = Some(features);
            d.rights = layer
                .meta
                .credit
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| terms::credit_line(c, &terms_of(layer), edited(l, settings)));
            counts.push((name, features));
            distributions.push(d);
        }
        let layout = table::Layout::of(&l.section);
        reports.push(readme::LayerReport {
            title: l.title.clone(),
            slug,
            source: layer
                .source
                .path
                .file_name()
                .map_or_else(|| layer.name.clone(), |f| f.to_string_lossy().into_owned()),
            features: l.section.ids.len(),
            fields: l
                .section
                .columns
                .iter()
                .map(|&c| {
                    let f = &layer.fields[c];
                    (f.name.clone(), f.field_type.name())
                })
                .collect(),
            facility: layout.facility,
            standard: layout
                .filled_from(layer)
                .into_iter()
                .map(|(c, f)| (c, f.to_string()))
                .collect(),
            licence: layer.meta.licence.clone(),
            zoning: l.role == Some(Role::Zoning),
            sample: layer.meta.sample,
        });
    }

    let sample = layers.iter().any(|l| l.section.layer.meta.sample);
    let description = match settings.description.trim() {
        "" => contents_line(&reports),
        given => given.to_string(),
    };
    let package = Package {
        title: settings.title.trim().to_string(),
        description,
        publisher: settings.publisher.trim().to_string(),
        contact: settings.contact.clone(),
        keywords: settings.keywords.clone(),
        issued: settings.issued.clone(),
        as_of: settings.as_of.clone(),
        licence: settings.licence,
        credits: credits.clone(),
        city_code: settings.city.code.clone(),
        city_name: settings.city.name.clone(),
        bbox,
        sample,
        distributions,
    };
    let sections: Vec<Section<'_>> = layers
        .iter()
        .map(|l| Section {
            layer: l.section.layer,
            ids: Vec::new(),
            columns: l.section.columns.clone(),
            fields_read_by_filter: l.section.fields_read_by_filter.clone(),
        })
        .collect();
    let filter = export::provenance::filter_shown(&sections, &options);
    let licence_id = settings
        .ckan_licence_id
        .clone()
        .unwrap_or_else(|| settings.licence.ckan_id().to_string());
    let mut formats: Vec<&str> = Vec::new();
    for d in &package.distributions {
        if !formats.contains(&d.format) {
            formats.push(d.format);
        }
    }
    for k in &package.keywords {
        if package::ckan_tag(k).is_none() {
            notes.push(format!(
                "キーワード「{k}」は CKAN のタグ（2–100 文字）にならないため DCAT だけに記載 / keyword {k:?} is not a valid CKAN tag (2–100 characters): in the DCAT only"
            ));
        }
    }
    let catalogue_row = [
        package.city_code.clone(),
        package::ckan_name(&package.city_code, &package.title, &package.issued),
        package.city_name.clone(),
        package.title.clone(),
        package.description.clone(),
        formats.join(";"),
        settings
            .category
            .clone()
            .unwrap_or_else(|| category(layers).to_string()),
        String::new(),
        String::new(),
        "無".to_string(),
        settings.licence.name().0.to_string(),
        package.issued.clone(),
        package.issued.clone(),
        if sample {
            table::SAMPLE_CELL.to_string()
        } else {
            String::new()
        },
    ];
    let json = |value: serde_json::Value| {
        let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
        text.push('\n');
        text
    };
    let readme = readme::readme(&readme::ReadmeFacts {
        package: &package,
        layers: &reports,
        filter: &filter,
        notes: &notes,
        counts: &counts,
    });
    let texts = [
        (DCAT_FILE, json(package.dcat())),
        (CKAN_FILE, json(package.ckan(&licence_id))),
        (README_FILE, readme),
        (LICENCE_FILE, readme::licence_file(&package)),
    ];
    for (name, text) in &texts {
        atomic_write(&root.join(name), protected, |w| {
            std::io::Write::write_all(w, text.as_bytes())
        })?;
    }
    atomic_write(&root.join(CATALOGUE_FILE), protected, |w| {
        table::write_catalogue_row(w, &catalogue_row)
    })?;

    let mut files = list_files(&root).map_err(|e| io_error(&root, e))?;
    files.sort();
    let sizes = files
        .iter()
        .map(|(name, path)| {
            let len = std::fs::metadata(path)
                .map_err(|e| io_error(path, e))?
                .len();
            Ok((name.clone(), len))
        })
        .collect::<Result<Vec<_>, WriteError>>()?;
    if zip {
        zip_files(target, &files, &settings.issued, protected)?;
    } else {
        put_in_place(&root, target)?;
    }
    Ok(Published {
        target: target.to_path_buf(),
        files: sizes,
        features: layers.iter().map(|l| l.section.ids.len()).sum(),
        credits,
        notes,
    })
}

/// A Shapefile that cannot hold the layer (mixed geometry kinds) is refused with the package's
/// way out: leave shp out of the formats.
fn shapefile_refused(e: ExportError, l: &PublishLayer<'_>) -> PublishError {
    match e {
        ExportError::GeometryKinds { message, .. } => PublishError::Settings(format!(
            "{}: a Shapefile holds one geometry kind: {message}; publish it without shp",
            describe(l)
        )),
        other => other.into(),
    }
}

/// Every file under `root`, as (path inside the package with `/`, path on disk).
fn list_files(root: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(inside) = path.strip_prefix(root) {
                let name: Vec<String> = inside
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                out.push((name.join("/"), path));
            }
        }
    }
    Ok(out)
}

/// A folder target may only replace an earlier package (or an empty folder) that holds no
/// input: anything else is the user's and stays.
fn refuse_replacing(target: &Path, protected: &[PathBuf]) -> Result<(), WriteError> {
    let refuse = |message: String| WriteError {
        path: target.to_path_buf(),
        message,
    };
    if !target.exists() {
        return Ok(());
    }
    if !target.is_dir() {
        return Err(refuse(
            "exists and is not a folder: name a new folder, or a .zip".into(),
        ));
    }
    let empty = std::fs::read_dir(target)
        .map_err(|e| refuse(e.to_string()))?
        .next()
        .is_none();
    let earlier_package = target.join(DCAT_FILE).is_file() && target.join(CKAN_FILE).is_file();
    if !empty && !earlier_package {
        return Err(refuse(
            "exists and is not a package sitelens wrote: name a new folder".into(),
        ));
    }
    let canonical = target.canonicalize().map_err(|e| refuse(e.to_string()))?;
    if let Some(input) = protected
        .iter()
        .find(|p| p.canonicalize().is_ok_and(|p| p.starts_with(&canonical)))
    {
        return Err(refuse(format!(
            "holds an input ({}): name another folder",
            input.display()
        )));
    }
    Ok(())
}

/// Moves the finished package folder to `target`, replacing an earlier package there only once
/// the new one is complete.
fn put_in_place(root: &Path, target: &Path) -> Result<(), WriteError> {
    let err = |e: std::io::Error| WriteError {
        path: target.to_path_buf(),
        message: e.to_string(),
    };
    if target.exists() {
        let old = root.with_file_name("previous");
        std::fs::rename(target, &old).map_err(err)?;
        if let Err(e) = std::fs::rename(root, target) {
            // Put the earlier package back: nothing is lost.
            let _ = std::fs::rename(&old, target);
            return Err(err(e));
        }
        // The earlier package is removed with the staging folder.
    } else {
        std::fs::rename(root, target).map_err(err)?;
    }
    Ok(())
}

/// Writes `members` (name inside the zip, file on disk) into a zip at `target`, in the given
/// order, every entry dated `issued` and readable by all: the same files give the same bytes.
fn zip_files(
    target: &Path,
    members: &[(String, PathBuf)],
    issued: &str,
    protected: &[PathBuf],
) -> Result<(), WriteError> {
    let date = |at: std::ops::Range<usize>| issued.get(at).and_then(|t| t.parse::<u16>().ok());
    let time = match (date(0..4), date(5..7), date(8..10)) {
        (Some(y), Some(m), Some(d)) => {
            zip::DateTime::from_date_and_time(y, m as u8, d as u8, 0, 0, 0).unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    };
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(time)
        .unix_permissions(0o644)
        .large_file(
            members
                .iter()
                .any(|(_, p)| std::fs::metadata(p).is_ok_and(|m| m.len() >= u64::from(u32::MAX))),
        );
    atomic_create(target, protected, |temp| {
        let file = std::fs::File::create(temp).map_err(|e| e.to_string())?;
        let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
        for (name, path) in members {
            zip.start_file(name.as_str(), options)
                .map_err(|e| format!("{name}: {e}"))?;
            let mut source = std::fs::File::open(path).map_err(|e| format!("{name}: {e}"))?;
            std::io::copy(&mut source, &mut zip).map_err(|e| format!("{name}: {e}"))?;
        }
        let out = zip.finish().map_err(|e| e.to_string())?;
        out.into_inner()
            .map_err(|e| e.to_string())?
            .sync_all()
            .map_err(|e| e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_and_unique() {
        let taken = vec!["shelters".to_string()];
        assert_eq!(slug("shelters", &taken, 0), "shelters_2");
        assert_eq!(slug("駅 stations (N02)", &[], 0), "stations_N02");
        assert_eq!(slug("用途地域", &[], 2), "layer3");
    }
}
