//! Native open and save dialogs (rfd: the desktop's file chooser portal, else zenity), asked on
//! a thread so the window keeps drawing while the user chooses. The answer fills the dialog's
//! path field; the field can always be typed in, for machines with neither.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};

use eframe::egui;

use super::Lang;

/// What to ask the user.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    /// Files to open.
    Open { filters: Vec<Filter> },
    /// Where to write, starting from the path in the field.
    Save {
        current: PathBuf,
        filters: Vec<Filter>,
    },
}

/// A named set of file extensions ("GeoJSON", ["geojson", "json"]).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub name: String,
    pub extensions: Vec<String>,
}

impl Filter {
    pub fn new(name: &str, extensions: &[&str]) -> Self {
        Filter {
            name: name.into(),
            extensions: extensions.iter().map(|e| e.to_string()).collect(),
        }
    }
}

/// Shows a dialog and returns the chosen paths (`None`: cancelled or no dialog available).
pub type Backend = Arc<dyn Fn(&Ask) -> Option<Vec<PathBuf>> + Send + Sync>;

/// One question at a time, answered on a thread.
pub struct FilePicker {
    backend: Backend,
    /// Which field asked, and where its answer will come.
    pending: Option<(&'static str, Receiver<Option<Vec<PathBuf>>>)>,
}

impl std::fmt::Debug for FilePicker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilePicker")
            .field("pending", &self.pending.as_ref().map(|p| p.0))
            .finish()
    }
}

impl Default for FilePicker {
    fn default() -> Self {
        FilePicker::with_backend(Arc::new(native))
    }
}

impl FilePicker {
    /// A picker that asks `backend` instead of the desktop (tests).
    pub fn with_backend(backend: Backend) -> Self {
        FilePicker {
            backend,
            pending: None,
        }
    }

    /// Whether a dialog is open.
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// Asks on a thread for the field `key`; the window is repainted when the answer comes.
    pub fn ask(&mut self, key: &'static str, ask: Ask, ctx: &egui::Context) {
        if self.busy() {
            return;
        }
        let (tx, rx) = channel();
        let backend = self.backend.clone();
        let ctx = ctx.clone();
        std::thread::spawn(move || {
            let answer = backend(&ask);
            let _ = tx.send(answer);
            ctx.request_repaint();
        });
        self.pending = Some((key, rx));
    }

    /// The answer for `key`, once, when it has come (cancelling gives nothing).
    pub fn take(&mut self, key: &'static str) -> Option<Vec<PathBuf>> {
        let (asked, rx) = self.pending.as_ref()?;
        if *asked != key {
            return None;
        }
        let answer = match rx.try_recv() {
            Ok(answer) => answer,
            Err(std::sync::mpsc::TryRecvError::Empty) => return None,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
        };
        self.pending = None;
        answer.filter(|paths| !paths.is_empty())
    }

    /// A "Browse…" button that asks `ask` for the field `key` and writes the answer into
    /// `field` (paths one per line).
    pub fn browse(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        key: &'static str,
        field: &mut String,
        ask: impl FnOnce() -> Ask,
    ) {
        let button = egui::Button::new(lang.t("参照…", "Browse…"));
        if ui.add_enabled(!self.busy(), button).clicked() {
            self.ask(key, ask(), ui.ctx());
        }
        if let Some(paths) = self.take(key) {
            *field = paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
}

/// The filters for a save path, from its extension among `choices` (the first one otherwise).
pub fn save_filters(current: &str, choices: &[Filter]) -> Vec<Filter> {
    let ext = Path::new(current.trim())
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let mut filters = choices.to_vec();
    if let Some(i) = filters
        .iter()
        .position(|f| ext.as_ref().is_some_and(|e| f.extensions.contains(e)))
    {
        let chosen = filters.remove(i);
        filters.insert(0, chosen);
    }
    filters
}

/// The desktop's dialog.
fn native(ask: &Ask) -> Option<Vec<PathBuf>> {
    let with_filters = |mut d: rfd::FileDialog, filters: &[Filter]| {
        for f in filters {
            d = d.add_filter(&f.name, &f.extensions);
        }
        d
    };
    match ask {
        Ask::Open { filters } => {
            let mut d = with_filters(rfd::FileDialog::new(), filters);
            if let Ok(dir) = std::env::current_dir() {
                d = d.set_directory(dir);
            }
            d.pick_files()
        }
        Ask::Save { current, filters } => {
            let mut d = with_filters(rfd::FileDialog::new(), filters);
            let absolute = std::path::absolute(current).unwrap_or_else(|_| current.clone());
            if let Some(dir) = absolute.parent().filter(|d| d.is_dir()) {
                d = d.set_directory(dir);
            }
            if let Some(name) = absolute.file_name() {
                d = d.set_file_name(name.to_string_lossy());
            }
            d.save_file().map(|p| vec![p])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_filters_put_the_current_extension_first() {
        let choices = [
            Filter::new("GeoJSON", &["geojson", "json"]),
            Filter::new("CSV", &["csv"]),
        ];
        let f = save_filters("out/sites.CSV", &choices);
        assert_eq!(f[0].name, "CSV");
        assert_eq!(f.len(), 2);
        assert_eq!(save_filters("x.png", &choices)[0].name, "GeoJSON");
    }

    #[test]
    fn an_answer_goes_to_the_field_that_asked_once() {
        let picker_answers: Backend = Arc::new(|ask: &Ask| match ask {
            Ask::Save { current, .. } => Some(vec![current.with_extension("csv")]),
            Ask::Open { .. } => None,
        });
        let mut picker = FilePicker::with_backend(picker_answers);
        let ctx = egui::Context::default();
        picker.ask(
            "export",
            Ask::Save {
                current: "a/b.geojson".into(),
                filters: vec![],
            },
            &ctx,
        );
        assert!(picker.busy());
        // A second question waits for the first.
        picker.ask("open", Ask::Open { filters: vec![] }, &ctx);
        let started = std::time::Instant::now();
        let answer = loop {
            assert_eq!(picker.take("open"), None, "not the field that asked");
            if let Some(a) = picker.take("export") {
                break a;
            }
            assert!(started.elapsed().as_secs() < 10, "no answer");
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        assert_eq!(answer, vec![PathBuf::from("a/b.csv")]);
        assert!(!picker.busy());
        assert_eq!(picker.take("export"), None);
        // Cancelling (no answer) frees the picker and changes nothing.
        picker.ask("open", Ask::Open { filters: vec![] }, &ctx);
        while picker.busy() {
            assert_eq!(picker.take("open"), None);
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}
