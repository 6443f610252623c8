//! Loading files in the background: the UI never waits for a load. A panic inside a loader is
//! caught and reported as an error, not fatal.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::io::{self, LoadOptions};
use crate::model::Layer;

/// A finished load.
pub struct Loaded {
    pub path: PathBuf,
    pub result: Result<Layer, String>,
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
    /// Starts loading `path` on its own thread; `repaint` wakes the UI when it is done.
    pub fn spawn(&mut self, path: PathBuf, options: LoadOptions, repaint: Option<egui::Context>) {
        self.pending.push(path.clone());
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let loaded = std::panic::catch_unwind(|| io::load(&path, &options));
            let result = match loaded {
                Ok(Ok(layer)) => Ok(layer),
                Ok(Err(e)) => Err(e.to_string()),
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
