//! Loading files in the background: the UI never waits for a load. A panic inside a loader is
//! caught and reported as an error, not fatal.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::io::{self, LoadOptions};
use crate::model::{Envelope, Format, Layer, Source};
use crate::project::{self, Project};

/// A PostGIS table opened for the window: its catalogue and the planner's estimates, no rows
/// (they are fetched for the view, see [`super::pg_view`]).
pub struct PgOpened {
    pub url: String,
    /// The table as a layer with its fields and CRS, and no features yet.
    pub layer: Layer,
    /// Rows in the table, by the planner's estimate.
    pub in_table: Option<u64>,
    /// Its extent in lon/lat, by the planner's estimate.
    pub bbox: Option<Envelope>,
    pub options: LoadOptions,
}

/// Reads what the catalogue and the planner say about the table `url` names.
fn open_postgis(url: &str, options: &LoadOptions) -> Result<PgOpened, String> {
    let summary = io::postgis::describe(url, options, false).map_err(|e| e.to_string())?;
    let source = Source {
        path: PathBuf::from(url),
        member: None,
        format: Format::PostGis,
        encoding: None,
        crs: summary.crs,
        record_count: summary
            .count
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0),
    };
    let layer = Layer::new(
        summary.table,
        source,
        summary.fields,
        Vec::new(),
        summary.warnings,
    );
    let bbox = summary.bbox.filter(|_| layer.source.crs.known);
    Ok(PgOpened {
        url: url.to_string(),
        layer,
        in_table: summary.count,
        bbox,
        options: options.clone(),
    })
}

/// A finished load.
pub struct Loaded {
    pub path: PathBuf,
    pub result: Result<Done, String>,
}

/// What a load produced: a layer, or a whole project (a .toml file).
pub enum Done {
    Layer(Box<Layer>),
    /// A PostGIS table, shown by what is in view.
    PostGis(Box<PgOpened>),
    Project(Box<(Project, project::Loaded)>),
}

pub struct Loader {
    tx: Sender<Loaded>,
    rx: Receiver<Loaded>,
    /// Files still loading.
    pub pending: Vec<PathBuf>,
}

impl Default for Loader {
    fn default() -> Self {
        let (tx, rx) = channel();
        Loader {
            tx,
            rx,
            pending: Vec::new(),
        }
    }
}

impl Loader {
    /// Starts loading `path` on its own thread (a project when it ends in .toml); `repaint`
    /// wakes the UI when it is done.
    pub fn spawn(&mut self, path: PathBuf, options: LoadOptions, repaint: Option<egui::Context>) {
        // A GeoPackage with several tables opens as several layers (its catalogue is read here,
        // quickly; a file that cannot be read fails in the loader's thread with its message).
        if !is_project(&path)
            && let Ok(paths) = io::layer_paths(&path)
            && paths.len() > 1
        {
            for p in paths {
                self.spawn(p, options.clone(), repaint.clone());
            }
            return;
        }
        self.pending.push(path.clone());
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let loaded = std::panic::catch_unwind(|| {
                if is_project(&path) {
                    let p = Project::read(&path).map_err(|e| e.to_string())?;
                    let loaded = p.load();
                    Ok(Done::Project(Box::new((p, loaded))))
                } else if let Some(url) = io::postgis::url_of(&path) {
                    open_postgis(url, &options).map(|o| Done::PostGis(Box::new(o)))
                } else {
                    io::load(&path, &options)
                        .map(|l| Done::Layer(Box::new(l)))
                        .map_err(|e| e.to_string())
                }
            });
            let result = match loaded {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "{}: the loader failed unexpectedly (a bug: please report it)",
                    path.display()
                )),
            };
            let _ = tx.send(Loaded { path, result });
            if let Some(ctx) = repaint {
                ctx.request_repaint();
            }
        });
    }

    /// Loads finished since the last call.
    pub fn poll(&mut self) -> Vec<Loaded> {
        let done: Vec<Loaded> = self.rx.try_iter().collect();
        for d in &done {
            if let Some(i) = self.pending.iter().position(|p| p == &d.path) {
                self.pending.remove(i);
            }
        }
        done
    }

    /// Waits for every pending load (tests, batch use).
    pub fn wait_all(&mut self) -> Vec<Loaded> {
        let mut out = Vec::new();
        while !self.pending.is_empty() {
            match self.rx.recv() {
                Ok(d) => {
                    if let Some(i) = self.pending.iter().position(|p| p == &d.path) {
                        self.pending.remove(i);
                    }
                    out.push(d);
                }
                Err(_) => break,
            }
        }
        out
    }
}

/// Whether `path` names a project file rather than a layer.
pub fn is_project(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
}

impl super::Viewer {
    /// Takes in what finished loading: a project replaces the document's, a layer joins it
    /// (hidden if it was hidden when last closed), an error becomes a notice.
    pub(super) fn receive(&mut self, done: Vec<Loaded>) {
        for loaded in done {
            match loaded.result {
                Ok(Done::Project(p)) => {
                    let (project, layers) = *p;
                    let lang = self.doc.lang;
                    self.doc.notices.push(super::Notice {
                        error: false,
                        text: format!(
                            "{}: {} {}",
                            loaded.path.display(),
                            layers.layers.len(),
                            lang.t(
                                "レイヤのプロジェクトを開きました",
                                "layers opened from the project"
                            )
                        ),
                    });
                    self.doc.replace_project(project, layers);
                    self.doc.zoom_request = self.doc.home_extent();
                    self.project_changed();
                }
                Ok(Done::Layer(layer)) => {
                    let restored = self.restoring.contains(&loaded.path);
                    let visible = !(restored && self.hidden_on_restore.contains(&layer.name));
                    self.doc
                        .add_opened(&loaded.path, *layer, visible, !restored);
                }
                Ok(Done::PostGis(opened)) => {
                    let restored = self.restoring.contains(&loaded.path);
                    let PgOpened {
                        url,
                        layer,
                        in_table,
                        bbox,
                        options,
                    } = *opened;
                    let visible = !(restored && self.hidden_on_restore.contains(&layer.name));
                    let id = self.doc.add_opened(&loaded.path, layer, visible, false);
                    if !restored && bbox.is_some() {
                        self.doc.zoom_request = bbox;
                    }
                    let partial = super::Partial {
                        url: url.clone(),
                        in_table,
                        ..Default::default()
                    };
                    let rows = self.doc.layer(id).map(|l| l.layer.clone());
                    if let Some(rows) = rows {
                        let _ = self.doc.apply(super::Edit::Rows(id, rows, partial));
                    }
                    self.pg.add(id, url, options, in_table);
                }
                Err(text) => self.doc.notices.push(super::Notice { error: true, text }),
            }
        }
    }
}
