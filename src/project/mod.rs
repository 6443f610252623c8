//! Project files (TOML, the analogue of QGIS's .qgz): the layers with their paths, roles and
//! styles, which fields are internal, credit and licence lines, the as-of date and the
//! site-analysis settings. The embedded default is the Hino project ([`Project::hino`]).
//!
//! ```toml
//! name = "日野市 産業用地"
//! as_of = "2026-11-01"
//!
//! [analysis]
//! rules = "incentives.toml"        # or "example"
//! weights = "area=1,zoning=2,ic=3,station=1,industry=1:E"
//!
//! [[layer]]
//! path = "sites.shp"               # relative to the project file; "embedded:…" for built-in
//! role = "sites"
//! internal_fields = ["価格_円"]
//! style = { fill = "#9650c878", stroke = "#7800a0", width = 2.0 }
//! ```

mod checks;
mod context;

pub use checks::{RoleCheck, RoleWarning, check_role};
pub use context::{
    Analysis, CONTEXT_ROLES, INDUSTRY_FIELDS, INTERCHANGE_NAME_FIELDS, STATION_NAME_FIELDS,
    load_site_inputs, site_context,
};

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::incentives::{self, Rules};
use crate::analysis::rank::Weights;
use crate::analysis::site::{self, SiteMetrics};
use crate::embedded::{self, HINO};
use crate::io::{self, Input, LoadOptions};
use crate::model::{Layer, Role};
use crate::write::{WriteError, atomic_write};

/// Prefix of a layer path that names a file built into the binary (data/…).
pub const EMBEDDED: &str = "embedded:";

/// A project: what [`Project::load`] turns into layers with their site metrics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    #[serde(default)]
    pub name: String,
    /// Date the data is current as of (YYYY-MM-DD), printed on sheets and in exports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
    /// Credit line of the project as a whole (each layer keeps its own as well).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// 全国地方公共団体コード of the city the project is for ("132128"): `publish` fills the
    /// 自治体標準 columns and the catalogue's spatial coverage from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_code: Option<String>,
    /// The city's name as 自治体標準 datasets write it ("東京都日野市").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city_name: Option<String>,
    #[serde(default)]
    pub analysis: Analysis,
    /// Bottom to top drawing order.
    #[serde(default, rename = "layer")]
    pub layers: Vec<LayerSpec>,
    /// Folder relative layer paths are read from (the project file's folder).
    #[serde(skip)]
    pub dir: Option<PathBuf>,
}

/// One layer of a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerSpec {
    /// File path (relative to the project file, or absolute; `archive.zip/member.shp` works),
    /// or `embedded:hino/…` for a file built into sitelens.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// zoning, sites, enterprises, context, or a context kind (boundary, neighbours, railway,
    /// station, expressway, interchange, shelter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default = "visible_default", skip_serializing_if = "is_true")]
    pub visible: bool,
    /// Text encoding of the attributes (overrides .cpg and detection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// Source CRS (overrides .prj).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crs: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub licence: Option<String>,
    /// Fields never published (besides those whose names look internal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_fields: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<StyleSpec>,
}

impl LayerSpec {
    /// A visible layer at `path` with nothing else said.
    pub fn new(path: String) -> Self {
        LayerSpec {
            path,
            title: None,
            role: None,
            visible: true,
            encoding: None,
            crs: None,
            credit: None,
            licence: None,
            internal_fields: None,
            style: None,
        }
    }
}

fn visible_default() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// How a layer is drawn; what is not given comes from its role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StyleSpec {
    /// "#rrggbb" or "#rrggbbaa".
    #[serde(default, skip_serializing_if = "Option::is_none", with = "colour")]
    pub fill: Option<[u8; 4]>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "colour")]
    pub stroke: Option<[u8; 4]>,
    /// Outline width in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<f32>,
    /// Radius of point symbols in points.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point_size: Option<f32>,
    /// 0–1 for the whole layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opacity: Option<f32>,
    /// Field whose values label the features ("" for no labels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Field whose values colour the features (one colour per value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub categorize: Option<String>,
}

/// Colours as "#rrggbb" / "#rrggbbaa" text (not premultiplied).
mod colour {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn parse(text: &str) -> Result<[u8; 4], String> {
        let hex = text.strip_prefix('#').unwrap_or(text);
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16);
        let bad = || format!("colour {text:?}: expected #rrggbb or #rrggbbaa");
        if !hex.is_ascii() || !(hex.len() == 6 || hex.len() == 8) {
            return Err(bad());
        }
        let a = if hex.len() == 8 { byte(6) } else { Ok(255) };
        match (byte(0), byte(2), byte(4), a) {
            (Ok(r), Ok(g), Ok(b), Ok(a)) => Ok([r, g, b, a]),
            _ => Err(bad()),
        }
    }

    pub fn text([r, g, b, a]: [u8; 4]) -> String {
        if a == 255 {
            format!("#{r:02x}{g:02x}{b:02x}")
        } else {
            format!("#{r:02x}{g:02x}{b:02x}{a:02x}")
        }
    }

    pub fn serialize<S: Serializer>(c: &Option<[u8; 4]>, s: S) -> Result<S::Ok, S::Error> {
        match c {
            Some(c) => s.serialize_str(&text(*c)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 4]>, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map(Some).map_err(D::Error::custom)
    }
}

pub use colour::{parse as parse_colour, text as colour_text};

/// Why a project could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ProjectError {
    pub path: PathBuf,
    pub message: String,
}

/// A project's layers, loaded, with the site metrics of its sites layer.
pub struct Loaded {
    /// Layers that loaded, bottom to top, with their specs.
    pub layers: Vec<(LayerSpec, Layer)>,
    /// Layers that did not load, and analysis settings that failed (the rest still loads).
    pub errors: Vec<String>,
    /// What the analysis cannot read from a layer for its role, with the layer's index in
    /// `layers` (a zoning layer not recognised, stations without names, …).
    pub warnings: Vec<(usize, RoleWarning)>,
    /// Index in `layers` of the sites layer, when there is one.
    pub sites: Option<usize>,
    /// Metrics of each feature of the sites layer.
    pub metrics: Vec<Option<SiteMetrics>>,
    /// Ranking weights from the analysis settings (default when not given or not valid).
    pub weights: Weights,
}

impl Project {
    /// Reads a project file; relative layer paths are then read from its folder.
    pub fn read(path: &Path) -> Result<Project, ProjectError> {
        let err = |message: String| ProjectError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let text = String::from_utf8(text).map_err(|_| err("not UTF-8 text".into()))?;
        let mut project = Project::parse(&text).map_err(err)?;
        project.dir = Some(
            path.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf)
                .unwrap_or_else(|| PathBuf::from(".")),
        );
        Ok(project)
    }

    /// Parses a project's text and checks what can be checked without the files.
    pub fn parse(text: &str) -> Result<Project, String> {
        let project: Project = toml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(date) = &project.as_of
            && !crate::model::is_iso_date(date)
        {
            return Err(format!("as_of {date:?}: expected a date as YYYY-MM-DD"));
        }
        if let Some(w) = &project.analysis.weights {
            w.parse::<Weights>()
                .map_err(|e| format!("[analysis] weights: {e}"))?;
        }
        for (i, l) in project.layers.iter().enumerate() {
            if l.path.trim().is_empty() {
                return Err(format!("layer {} has an empty path", i + 1));
            }
            if io::postgis::is_pg_url(&l.path) {
                // A project file never holds a password; the URL must also be one that loads.
                io::postgis::PgUrl::parse(&l.path).map_err(|e| {
                    format!("layer {}: {}: {e}", i + 1, io::postgis::redact(&l.path))
                })?;
            }
            if let Some(file) = l.path.strip_prefix(EMBEDDED)
                && embedded_file(file).is_none()
            {
                return Err(format!(
                    "layer {}: no embedded file {file:?} (there are: {})",
                    i + 1,
                    HINO.iter().map(|e| e.file).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        if project
            .layers
            .iter()
            .filter(|l| l.role == Some(Role::Site))
            .count()
            > 1
        {
            return Err("more than one layer has role = \"sites\"".into());
        }
        Ok(project)
    }

    /// The project as TOML text.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string_pretty(self).expect("a project serialises");
        format!("# sitelens project (open with: sitelens open FILE.toml)\n{body}")
    }

    /// Writes the project to `path` (atomically). Relative layer paths are rewritten relative to
    /// the new folder when the files are under it, else made absolute.
    pub fn save(&self, path: &Path) -> Result<Project, WriteError> {
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let mut saved = self.clone();
        let new_dir = absolute(&dir);
        for l in &mut saved.layers {
            if l.path.starts_with(EMBEDDED) || io::postgis::is_pg_url(&l.path) {
                continue;
            }
            let file = absolute(&self.resolve(&l.path));
            l.path = match file.strip_prefix(&new_dir) {
                Ok(rel) => rel.to_string_lossy().into_owned(),
                Err(_) => file.to_string_lossy().into_owned(),
            };
        }
        if let Some(rules) = &mut saved.analysis.rules
            && rules != "example"
        {
            let file = absolute(&self.resolve(rules));
            *rules = match file.strip_prefix(&new_dir) {
                Ok(rel) => rel.to_string_lossy().into_owned(),
                Err(_) => file.to_string_lossy().into_owned(),
            };
        }
        let text = saved.to_toml();
        atomic_write(path, &[], |w| std::io::Write::write_all(w, text.as_bytes()))?;
        saved.dir = Some(dir);
        Ok(saved)
    }

    /// Where a relative path of this project points (a `postgresql://` URL is itself).
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if io::postgis::is_pg_url(path) {
            return p.to_path_buf();
        }
        match &self.dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    /// The embedded Hino project: the real context layers and the fictional samples, with the
    /// example incentive rules.
    pub fn hino() -> Project {
        Project {
            name: "日野市 産業用地（サンプル） Hino industrial land (sample)".into(),
            as_of: Some(embedded::AS_OF.into()),
            credit: None,
            licence: None,
            city_code: Some("132128".into()),
            city_name: Some("東京都日野市".into()),
            analysis: Analysis {
                rules: Some("example".into()),
                weights: Some("area=1,zoning=2,ic=2,station=1,industry=1:E".into()),
                ..Analysis::default()
            },
            layers: HINO
                .iter()
                .map(|e| LayerSpec {
                    title: Some(e.title.into()),
                    role: Some(e.role),
                    ..LayerSpec::new(format!("{EMBEDDED}{}", e.file))
                })
                .collect(),
            dir: None,
        }
    }

    /// Loads every layer (in parallel), then computes the site metrics and programmes of the
    /// sites layer from the other roles. A layer that fails is reported and left out.
    pub fn load(&self) -> Loaded {
        let results: Vec<Result<Layer, String>> =
            self.layers.par_iter().map(|l| self.load_layer(l)).collect();
        let mut layers = Vec::new();
        let mut errors = Vec::new();
        for (spec, result) in self.layers.iter().zip(results) {
            match result {
                Ok(layer) => layers.push((spec.clone(), layer)),
                Err(e) => errors.push(e),
            }
        }
        let warnings = layers
            .iter()
            .enumerate()
            .filter_map(|(i, (spec, layer))| Some((i, spec.role?, layer)))
            .flat_map(|(i, role, layer)| {
                check_role(role, layer, &self.analysis)
                    .warnings
                    .into_iter()
                    .map(move |w| (i, w))
            })
            .collect();
        let sites = layers.iter().position(|(s, _)| s.role == Some(Role::Site));
        let mut metrics = Vec::new();
        if let Some(at) = sites {
            let (spec, mut layer) = layers.remove(at);
            match self.site_context(layers.iter().map(|(s, l)| (s.role, l))) {
                Ok(ctx) => metrics = site::add_metric_fields(&mut layer, &ctx),
                Err(e) => errors.push(e),
            }
            match self.rules() {
                Ok(Some(rules)) => {
                    if let Err(e) = incentives::add_programme_field(&mut layer, &rules) {
                        errors.push(e);
                    }
                }
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
            layers.insert(at, (spec, layer));
        }
        let weights = self
            .analysis
            .weights
            .as_deref()
            .and_then(|w| w.parse().ok())
            .unwrap_or_default();
        Loaded {
            layers,
            errors,
            warnings,
            sites,
            metrics,
            weights,
        }
    }

    /// Loads one layer of the project with its credit, licence and internal fields.
    pub fn load_layer(&self, spec: &LayerSpec) -> Result<Layer, String> {
        let options = LoadOptions {
            encoding: spec.encoding.clone(),
            crs: spec.crs.clone(),
            ..LoadOptions::default()
        };
        let mut layer = match spec.path.strip_prefix(EMBEDDED) {
            Some(file) => {
                let e = embedded_file(file).ok_or_else(|| format!("no embedded file {file:?}"))?;
                let input = Input::from_bytes(format!("data/{}", e.file), e.bytes.to_vec());
                let mut layer = io::load_input(input, &options).map_err(|e| e.to_string())?;
                layer.meta.credit = Some(e.credit.into());
                layer.meta.licence = Some(e.licence().into());
                layer
            }
            None => io::load(&self.resolve(&spec.path), &options).map_err(|e| e.to_string())?,
        };
        if spec.credit.is_some() {
            layer.meta.credit = spec.credit.clone();
        }
        if spec.licence.is_some() {
            layer.meta.licence = spec.licence.clone();
        }
        if spec.internal_fields.is_some() {
            layer.meta.internal_fields = spec.internal_fields.clone();
        }
        Ok(layer)
    }

    /// The incentive rules the analysis settings name (`None`: no rules).
    pub fn rules(&self) -> Result<Option<Rules>, String> {
        match self.analysis.rules.as_deref() {
            None => Ok(None),
            Some("example") => Ok(Some(Rules::example())),
            Some(path) => {
                let file = self.resolve(path);
                let text = std::fs::read_to_string(&file)
                    .map_err(|e| format!("cannot read the rules file {}: {e}", file.display()))?;
                Rules::parse(&text, &file.display().to_string()).map(Some)
            }
        }
    }

    /// The site-analysis context from layers by role, with this project's field settings.
    pub fn site_context<'a>(
        &self,
        layers: impl IntoIterator<Item = (Option<Role>, &'a Layer)>,
    ) -> Result<site::Context<'a>, String> {
        site_context(
            layers.into_iter().filter_map(|(r, l)| r.map(|r| (r, l))),
            &self.analysis,
        )
    }
}

/// The embedded file at `data/<file>`.
pub fn embedded_file(file: &str) -> Option<&'static embedded::EmbeddedLayer> {
    HINO.iter().find(|e| e.file == file)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hino_project_round_trips_through_toml() {
        let p = Project::hino();
        let text = p.to_toml();
        assert!(text.contains("role = \"sites\""), "{text}");
        assert_eq!(Project::parse(&text).unwrap(), p);
    }

    #[test]
    fn mistakes_are_named() {
        let e = Project::parse("[[layer]]\npath = \"a.shp\"\nrole = \"sitez\"\n").unwrap_err();
        assert!(e.contains("sitez"), "{e}");
        let e = Project::parse("[[layer]]\npath = \"a.shp\"\ncolour = \"red\"\n").unwrap_err();
        assert!(e.contains("colour"), "{e}");
        let e = Project::parse("as_of = \"2026-13-01\"\n").unwrap_err();
        assert!(e.contains("as_of"), "{e}");
        let e = Project::parse("[[layer]]\npath = \"a.shp\"\nstyle = { fill = \"#12345\" }\n")
            .unwrap_err();
        assert!(e.contains("#12345"), "{e}");
        let e = Project::parse("[analysis]\nweights = \"area=x\"\n").unwrap_err();
        assert!(e.contains("weights"), "{e}");
    }

    #[test]
    fn postgis_layers_keep_their_url_and_never_a_password() {
        let url = "postgresql://gis@db:5432/city?table=plan.zoning";
        let text = format!("[[layer]]\npath = \"{url}\"\nrole = \"zoning\"\n");
        let mut p = Project::parse(&text).unwrap();
        p.dir = Some(PathBuf::from("/some/folder"));
        assert_eq!(p.resolve(url), PathBuf::from(url));
        let dir = tempfile::tempdir().unwrap();
        let saved = p.save(&dir.path().join("p.toml")).unwrap();
        assert_eq!(saved.layers[0].path, url);
        let with_password = text.replace("gis@", "gis:secret@");
        let e = Project::parse(&with_password).unwrap_err();
        assert!(e.contains("password") && !e.contains("secret"), "{e}");
    }

    #[test]
    fn role_keys_are_the_serde_names() {
        for r in HINO.iter().map(|e| e.role).chain([Role::Context]) {
            let text = format!("[[layer]]\npath = \"x.shp\"\nrole = \"{}\"\n", r.key());
            assert_eq!(Project::parse(&text).unwrap().layers[0].role, Some(r));
        }
    }

    #[test]
    fn colours_read_and_write() {
        assert_eq!(parse_colour("#ff8000").unwrap(), [255, 128, 0, 255]);
        assert_eq!(parse_colour("#ff800080").unwrap(), [255, 128, 0, 128]);
        assert_eq!(colour_text([255, 128, 0, 128]), "#ff800080");
        assert!(parse_colour("#ggg000").is_err());
        assert!(parse_colour("#日本").is_err());
    }
}
