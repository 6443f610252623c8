//! The open Documents and Folders of a KML document, and the folder path a placemark takes from
//! them: the names of the enclosing Folders (and of nested Documents: GDAL's LIBKML driver puts
//! each layer in one) joined with " / ". The outermost Document is the file itself and does not
//! count, unless the document was reached through a NetworkLink: it then sits under the link.

/// A placemark's folder path is cut at this many bytes (with "…"): the path is copied into every
/// placemark, so a long one must not multiply the file's size in memory.
pub(super) const MAX_FOLDER_BYTES: usize = 512;

struct Container {
    /// Folders always count in the path; Documents only when nested or linked.
    counts: bool,
    name: Option<String>,
}

/// The open containers, outermost first.
pub(super) struct Folders<'p> {
    /// The folder path of the NetworkLink the document was reached through.
    prefix: Option<&'p str>,
    linked: bool,
    open: Vec<Container>,
    /// A path was cut at [`MAX_FOLDER_BYTES`].
    pub cut: bool,
}

impl<'p> Folders<'p> {
    /// The containers of a document; `link` is the folder path of the NetworkLink it was
    /// reached through (`Some(None)`: a link outside any folder).
    pub fn new(link: Option<Option<&'p str>>) -> Self {
        Folders {
            prefix: link.flatten(),
            linked: link.is_some(),
            open: Vec::new(),
            cut: false,
        }
    }

    /// A Document or Folder starts.
    pub fn open(&mut self, is_folder: bool) {
        let counts = is_folder || self.linked || !self.open.is_empty();
        self.open.push(Container { counts, name: None });
    }

    pub fn close(&mut self) {
        self.open.pop();
    }

    /// The `<name>` of the innermost container.
    pub fn name(&mut self, name: String) {
        if let Some(c) = self.open.last_mut() {
            c.name = Some(name);
        }
    }

    /// The path of the open containers (`None` when it is empty), and `extra` after them.
    pub fn path(&mut self, extra: Option<&str>) -> Option<String> {
        let mut path = self.prefix.unwrap_or_default().to_string();
        let names = self
            .open
            .iter()
            .filter(|c| c.counts)
            .filter_map(|c| c.name.as_deref())
            .chain(extra);
        for name in names.filter(|n| !n.is_empty()) {
            if path.len() > MAX_FOLDER_BYTES {
                break;
            }
            self.cut |= join(&mut path, name);
        }
        (!path.is_empty()).then_some(path)
    }
}

/// Appends " / name" (or name) to a folder path, cut at [`MAX_FOLDER_BYTES`]; says whether it
/// was cut.
fn join(path: &mut String, name: &str) -> bool {
    if !path.is_empty() {
        path.push_str(" / ");
    }
    path.push_str(name);
    if path.len() <= MAX_FOLDER_BYTES {
        return false;
    }
    let mut end = MAX_FOLDER_BYTES;
    while !path.is_char_boundary(end) {
        end -= 1;
    }
    path.truncate(end);
    path.push('…');
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outer_document_counts_only_when_linked() {
        let mut f = Folders::new(None);
        f.open(false);
        f.name("file".into());
        assert_eq!(f.path(None), None);
        f.open(true);
        f.name("A".into());
        f.open(false);
        f.name("layer".into());
        assert_eq!(f.path(Some("link")).as_deref(), Some("A / layer / link"));
        f.close();
        f.close();
        f.open(true);
        assert_eq!(f.path(None), None, "an unnamed folder adds nothing");
        let mut linked = Folders::new(Some(Some("F / L")));
        linked.open(false);
        linked.name("a".into());
        assert_eq!(linked.path(None).as_deref(), Some("F / L / a"));
        assert_eq!(Folders::new(Some(None)).path(None), None);
    }

    #[test]
    fn long_paths_are_cut_on_a_character() {
        let mut f = Folders::new(None);
        for _ in 0..100 {
            f.open(true);
            f.name("日野市".into());
        }
        let path = f.path(None).unwrap();
        assert!(
            path.len() <= MAX_FOLDER_BYTES + '…'.len_utf8(),
            "{}",
            path.len()
        );
        assert!(path.ends_with('…') && f.cut);
    }
}
