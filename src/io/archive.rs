//! Layers inside a .zip: `sitelens info data.zip` when it holds one layer, or
//! `data.zip/folder/member.shp` (the path style of GDAL's /vsizip/) to name one of several.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::{LoadError, LoadErrorKind};

/// Largest member read into memory (a guard against zip bombs): 4 GiB.
use super::MAX_FILE_BYTES as MAX_MEMBER_BYTES;

pub struct Archive {
    zip: RefCell<zip::ZipArchive<std::fs::File>>,
    names: Vec<String>,
}

/// Splits `dir/a.zip/b/c.shp` into (`dir/a.zip`, Some("b/c.shp")), and `a.zip` into (`a.zip`,
/// None). `None` when no part of the path is a .zip file.
pub fn split_archive_path(path: &Path) -> Option<(PathBuf, Option<String>)> {
    super::split_container_path(path, "zip")
}

impl Archive {
    pub fn open(path: &Path) -> Result<Self, LoadError> {
        let file = std::fs::File::open(path).map_err(|e| LoadError::new(path, e))?;
        let zip = zip::ZipArchive::new(file).map_err(|e| {
            LoadError::new(
                path,
                LoadErrorKind::Archive(format!("not a readable zip archive: {e}")),
            )
        })?;
        let names = zip
            .file_names()
            .map(|n| n.map(|n| n.into_owned()))
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| {
                LoadError::new(
                    path,
                    LoadErrorKind::Archive(format!("unreadable member name: {e}")),
                )
            })?;
        Ok(Archive {
            zip: RefCell::new(zip),
            names,
        })
    }

    /// Whether the archive holds a member of exactly this name.
    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// The member to load: the one named, or the only layer file in the archive.
    pub fn choose_member(&self, path: &Path, wanted: Option<&str>) -> Result<String, LoadError> {
        let err = |m: String| LoadError::new(path, LoadErrorKind::Archive(m));
        let layer_exts: Vec<&str> = super::LOADERS
            .iter()
            .flat_map(|l| l.extensions())
            .copied()
            .collect();
        let is_layer = |name: &str, exts: &[&str]| {
            let base = name.rsplit('/').next().unwrap_or(name);
            !name.starts_with("__MACOSX/")
                && !base.starts_with("._")
                && !name.ends_with('/')
                && base
                    .rsplit_once('.')
                    .is_some_and(|(_, e)| exts.contains(&e.to_ascii_lowercase().as_str()))
        };
        if let Some(wanted) = wanted {
            return self
                .names
                .iter()
                .find(|n| n.as_str() == wanted)
                .or_else(|| self.names.iter().find(|n| n.eq_ignore_ascii_case(wanted)))
                .cloned()
                .ok_or_else(|| {
                    err(format!(
                        "no member '{wanted}' in the archive (it holds: {})",
                        self.names.join(", ")
                    ))
                });
        }
        // A .json beside a shapefile is usually metadata: count it only when nothing else is.
        let mut layers: Vec<&String> = self
            .names
            .iter()
            .filter(|n| is_layer(n, &["shp", "geojson", "csv"]))
            .collect();
        if layers.is_empty() {
            layers = self
                .names
                .iter()
                .filter(|n| is_layer(n, &layer_exts))
                .collect();
        }
        match layers.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(err(format!(
                "the archive holds no layer file (.{}) among its {} entries",
                layer_exts.join(", ."),
                self.names.len()
            ))),
            several => Err(err(format!(
                "the archive holds {} layers ({}): name one, e.g. {}/{}",
                several.len(),
                several
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                path.display(),
                several[0]
            ))),
        }
    }

    /// Reads one member.
    pub fn read(&self, name: &str) -> Result<Vec<u8>, LoadErrorKind> {
        read_member(&mut self.zip.borrow_mut(), name)
    }

    /// The member beside `member` with extension `ext` (case-insensitive), if the archive has it.
    pub fn sibling(&self, member: &str, ext: &str) -> Result<Option<Vec<u8>>, LoadErrorKind> {
        let stem = member.rsplit_once('.').map_or(member, |(s, _)| s);
        let wanted = format!("{stem}.{}", ext.trim_start_matches('.'));
        match self.names.iter().find(|n| n.eq_ignore_ascii_case(&wanted)) {
            Some(name) => self.read(&name.clone()).map(Some),
            None => Ok(None),
        }
    }
}

/// Reads member `name` of any zip (a file on disk, a KMZ in memory) into memory, within
/// [`MAX_MEMBER_BYTES`]: the size the member's header declares is checked but not trusted (a zip
/// bomb may lie), so at most one byte past the limit is ever decompressed.
pub fn read_member<R: Read + std::io::Seek>(
    zip: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Vec<u8>, LoadErrorKind> {
    let file = zip
        .by_name(name)
        .map_err(|e| LoadErrorKind::Archive(format!("cannot read member '{name}': {e}")))?;
    let declared = file.size();
    if declared > MAX_MEMBER_BYTES {
        return Err(LoadErrorKind::Archive(format!(
            "member '{name}' is {declared} bytes uncompressed, more than the {MAX_MEMBER_BYTES}-byte limit"
        )));
    }
    let mut bytes = Vec::with_capacity(declared.min(64 << 20) as usize);
    file.take(MAX_MEMBER_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| LoadErrorKind::Archive(format!("cannot decompress member '{name}': {e}")))?;
    if bytes.len() as u64 > MAX_MEMBER_BYTES {
        return Err(LoadErrorKind::Archive(format!(
            "member '{name}' decompresses to more than the {MAX_MEMBER_BYTES}-byte limit"
        )));
    }
    Ok(bytes)
}
