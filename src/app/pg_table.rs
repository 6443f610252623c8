//! The rows of a PostGIS layer's attribute table, a page at a time from the server in the
//! table's sort order (`postgis::page_from`: right after a page held, from its last row, so
//! scrolling on stays fast however deep), counted once per sort and filter
//! (`postgis::count_rows`), fetched on threads: the table is never held whole, and scrolling
//! never waits for the server (a row not here yet shows as "…" until its page comes).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use eframe::egui;

use super::pg_view::caught;
use crate::io::LoadOptions;
use crate::io::postgis;
use crate::model::Feature;

/// Rows per page.
pub const PAGE_ROWS: usize = 200;

/// Pages kept; past this the ones held are forgotten (they come again when scrolled back to).
const PAGES_KEPT: usize = 50;

/// Requests running at once.
const RUNNING: usize = 3;

/// What the rows are of: the table, the filter sent, the sort (field name, ascending).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    url: String,
    where_hint: Option<String>,
    sort: Option<(String, bool)>,
}

enum Reply {
    Count(Key, Result<u64, String>),
    Page(Key, u64, Result<Vec<Feature>, String>),
}

/// The pages of one table in one order, and the requests for more.
pub struct PgRows {
    key: Option<Key>,
    total: Option<Result<u64, String>>,
    pages: HashMap<u64, Vec<Arc<Feature>>>,
    /// Pages asked for and not yet here (and `u64::MAX` for the count).
    running: HashSet<u64>,
    /// A page that failed, with why.
    pub error: Option<String>,
    tx: Sender<Reply>,
    rx: Receiver<Reply>,
}

impl Default for PgRows {
    fn default() -> Self {
        let (tx, rx) = channel();
        PgRows {
            key: None,
            total: None,
            pages: HashMap::new(),
            running: HashSet::new(),
            error: None,
            tx,
            rx,
        }
    }
}

/// The count's place among the requests.
const COUNT: u64 = u64::MAX;

impl PgRows {
    /// Shows the rows of `url`'s table passing `where_hint` in the order `sort`: anything else
    /// held is forgotten, and the rows are counted.
    pub fn follow(
        &mut self,
        url: &str,
        where_hint: Option<String>,
        sort: Option<(String, bool)>,
        ctx: &egui::Context,
    ) {
        let key = Key {
            url: url.to_string(),
            where_hint,
            sort,
        };
        self.receive();
        if self.key.as_ref() == Some(&key) {
            return;
        }
        self.key = Some(key.clone());
        self.total = None;
        self.pages.clear();
        self.running.clear();
        self.error = None;
        self.running.insert(COUNT);
        let (tx, ctx) = (self.tx.clone(), ctx.clone());
        std::thread::spawn(move || {
            let result = caught(|| postgis::count_rows(&key.url, &options(&key)));
            let _ = tx.send(Reply::Count(key, result));
            ctx.request_repaint();
        });
    }

    /// Rows in the table (after the pushed-down filter), once counted.
    pub fn total(&self) -> Option<Result<u64, String>> {
        self.total.clone()
    }

    /// Whether anything is still awaited from the server.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }

    /// Row `index` in the current order; its page is asked for when it is not here.
    pub fn row(&mut self, index: usize, ctx: &egui::Context) -> Option<Arc<Feature>> {
        let page = (index / PAGE_ROWS) as u64;
        if let Some(rows) = self.pages.get(&page) {
            return rows.get(index % PAGE_ROWS).cloned();
        }
        let key = self.key.clone()?;
        if self.running.contains(&page) || self.running.len() >= RUNNING || self.error.is_some() {
            ctx.request_repaint_after(std::time::Duration::from_millis(100));
            return None;
        }
        self.running.insert(page);
        let offset = page * PAGE_ROWS as u64;
        // Right after a page held (scrolling on): from its last row, not past every row before.
        let start = match page.checked_sub(1).and_then(|p| self.pages.get(&p)) {
            Some(before) if before.len() == PAGE_ROWS => {
                before
                    .last()
                    .map_or(postgis::Start::Offset(offset), |last| {
                        postgis::Start::After {
                            record: last.record,
                            offset,
                        }
                    })
            }
            _ => postgis::Start::Offset(offset),
        };
        let (tx, ctx) = (self.tx.clone(), ctx.clone());
        std::thread::spawn(move || {
            let sort = key.sort.as_ref().map(|(name, up)| (name.as_str(), *up));
            let result =
                caught(|| postgis::page_from(&key.url, &options(&key), sort, start, PAGE_ROWS));
            let _ = tx.send(Reply::Page(key, page, result));
            ctx.request_repaint();
        });
        None
    }

    /// Takes in what came back for the current key.
    fn receive(&mut self) {
        let replies: Vec<Reply> = self.rx.try_iter().collect();
        for reply in replies {
            let (key, at) = match &reply {
                Reply::Count(key, _) => (key, COUNT),
                Reply::Page(key, page, _) => (key, *page),
            };
            if self.key.as_ref() != Some(key) {
                continue;
            }
            self.running.remove(&at);
            match reply {
                Reply::Count(_, result) => self.total = Some(result),
                Reply::Page(_, _, Ok(rows)) => {
                    if self.pages.len() >= PAGES_KEPT {
                        self.pages.clear();
                    }
                    self.pages
                        .insert(at, rows.into_iter().map(Arc::new).collect());
                }
                Reply::Page(_, _, Err(e)) => self.error = Some(e),
            }
        }
    }

    /// Takes in replies (each frame, before the rows are read).
    pub fn poll(&mut self) {
        self.receive();
    }
}

fn options(key: &Key) -> LoadOptions {
    LoadOptions {
        where_hint: key.where_hint.clone(),
        ..Default::default()
    }
}
