//! Every file sitelens writes goes through [`atomic_write`]: a temporary file in the target's
//! folder, flushed and synced, then renamed over the target. An error part-way leaves the old
//! file as it was; an input layer is never written over.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct WriteError {
    pub path: PathBuf,
    pub message: String,
}

/// Writes `target` through `fill`, atomically. `protected` lists files that must not be
/// overwritten (the inputs).
pub fn atomic_write<T>(
    target: &Path,
    protected: &[PathBuf],
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    let mut temp = temporary_beside(target, protected)?;
    let value = fill_and_flush(target, temp.as_file_mut(), fill)?;
    persist(target, temp)?;
    Ok(value)
}

/// Writes several files that belong together (a Shapefile's .shp, .shx, .dbf, …) through one
/// `fill` that gets a writer per target, in order. Nothing is renamed into place until every file
/// is written and synced; then the first target is renamed last, so a reader that finds it finds
/// its sidecars too.
pub fn atomic_write_set<T>(
    targets: &[PathBuf],
    protected: &[PathBuf],
    fill: impl FnOnce(&mut [BufWriter<&mut File>]) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    let Some(first) = targets.first() else {
        return Err(WriteError {
            path: PathBuf::new(),
            message: "nothing to write".into(),
        });
    };
    let mut temps = targets
        .iter()
        .map(|t| temporary_beside(t, protected))
        .collect::<Result<Vec<_>, _>>()?;
    let err = |message: String| WriteError {
        path: first.clone(),
        message,
    };
    let value = {
        let mut writers: Vec<BufWriter<&mut File>> = temps
            .iter_mut()
            .map(|t| BufWriter::with_capacity(1 << 20, t.as_file_mut()))
            .collect();
        let value =
            fill(&mut writers).map_err(|e| err(format!("write failed: {}", describe(&e))))?;
        for w in &mut writers {
            w.flush()
                .map_err(|e| err(format!("write failed: {}", describe(&e))))?;
        }
        value
    };
    for temp in &temps {
        temp.as_file()
            .sync_all()
            .map_err(|e| err(format!("write failed: {}", describe(&e))))?;
    }
    let mut pairs: Vec<(&PathBuf, tempfile::NamedTempFile)> = targets.iter().zip(temps).collect();
    pairs.rotate_left(1);
    for (target, temp) in pairs {
        rename_into_place(target, temp)?;
    }
    Ok(value)
}

/// Creates `target` through `fill`, which gets the path of an empty temporary file in the
/// target's folder to write as it likes (SQLite writes a GeoPackage through its own file
/// handle); renamed into place when `fill` succeeds, removed when it fails.
pub fn atomic_create<T>(
    target: &Path,
    protected: &[PathBuf],
    fill: impl FnOnce(&Path) -> Result<T, String>,
) -> Result<T, WriteError> {
    let temp = temporary_beside(target, protected)?;
    let value = fill(temp.path()).map_err(|message| WriteError {
        path: target.to_path_buf(),
        message,
    })?;
    persist(target, temp)?;
    Ok(value)
}

/// An empty temporary file in `target`'s folder, with the mode the target will have; refused
/// when `target` is one of the `protected` inputs.
fn temporary_beside(
    target: &Path,
    protected: &[PathBuf],
) -> Result<tempfile::NamedTempFile, WriteError> {
    let err = |message: String| WriteError {
        path: target.to_path_buf(),
        message,
    };
    if let Ok(canonical) = target.canonicalize()
        && protected
            .iter()
            .any(|p| p.canonicalize().is_ok_and(|c| c == canonical))
    {
        return Err(err("refusing to write over an input file".into()));
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".sitelens-").suffix(".part");
    // A replaced file keeps its mode; a new one gets the usual 0666 less the umask (a temp file
    // alone would be 0600, unreadable to the colleagues an export is for).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(match std::fs::metadata(target) {
            Ok(m) => m.permissions(),
            Err(_) => std::fs::Permissions::from_mode(0o666),
        });
    }
    builder.tempfile_in(&dir).map_err(|e| {
        err(format!(
            "cannot create a file in {}: {}",
            dir.display(),
            describe(&e)
        ))
    })
}

fn fill_and_flush<T>(
    target: &Path,
    file: &mut File,
    fill: impl FnOnce(&mut BufWriter<&mut File>) -> std::io::Result<T>,
) -> Result<T, WriteError> {
    let err = |e: std::io::Error| WriteError {
        path: target.to_path_buf(),
        message: format!("write failed: {}", describe(&e)),
    };
    let mut writer = BufWriter::with_capacity(1 << 20, file);
    let value = fill(&mut writer).map_err(err)?;
    writer.flush().map_err(err)?;
    Ok(value)
}

/// Syncs the temporary file and renames it over `target`.
fn persist(target: &Path, temp: tempfile::NamedTempFile) -> Result<(), WriteError> {
    let err = |message: String| WriteError {
        path: target.to_path_buf(),
        message,
    };
    temp.as_file()
        .sync_all()
        .map_err(|e| err(format!("write failed: {}", describe(&e))))?;
    rename_into_place(target, temp)
}

fn rename_into_place(target: &Path, temp: tempfile::NamedTempFile) -> Result<(), WriteError> {
    temp.persist(target).map_err(|e| WriteError {
        path: target.to_path_buf(),
        message: format!("cannot replace the file: {}", describe(&e.error)),
    })?;
    Ok(())
}

fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::StorageFull => format!("the disk is full ({e})"),
        std::io::ErrorKind::PermissionDenied => format!("permission denied ({e})"),
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn written_files_are_readable_by_others_unless_the_old_one_was_not() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new.geojson");
        atomic_write(&new, &[], |w| w.write_all(b"{}")).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o044, 0o044, "mode {mode:o}");
        std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o600)).unwrap();
        atomic_write(&new, &[], |w| w.write_all(b"{}")).unwrap();
        let mode = std::fs::metadata(&new).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_error_mid_write_leaves_the_old_file_intact() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.geojson");
        std::fs::write(&target, "old content").unwrap();
        let result = atomic_write(&target, &[], |w| {
            w.write_all(b"half of a new file")?;
            Err::<(), _>(std::io::Error::other("injected failure"))
        });
        let e = result.unwrap_err().to_string();
        assert!(
            e.contains("out.geojson") && e.contains("injected failure"),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old content");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary file removed");
        atomic_write(&target, &[], |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn inputs_are_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.geojson");
        std::fs::write(&input, "data").unwrap();
        let e =
            atomic_write(&input, std::slice::from_ref(&input), |w| w.write_all(b"x")).unwrap_err();
        assert!(e.to_string().contains("input"));
        assert_eq!(std::fs::read_to_string(&input).unwrap(), "data");
    }

    #[test]
    fn a_set_of_files_lands_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let targets: Vec<PathBuf> = ["a.shp", "a.shx", "a.dbf"]
            .iter()
            .map(|n| dir.path().join(n))
            .collect();
        std::fs::write(&targets[0], "old shp").unwrap();
        let e = atomic_write_set(&targets, &[], |ws| {
            ws[0].write_all(b"new shp")?;
            ws[1].write_all(b"new shx")?;
            Err::<(), _>(std::io::Error::other("dbf failed"))
        })
        .unwrap_err();
        assert!(e.to_string().contains("dbf failed"), "{e}");
        assert_eq!(std::fs::read_to_string(&targets[0]).unwrap(), "old shp");
        assert!(!targets[1].exists() && !targets[2].exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        atomic_write_set(&targets, &[], |ws| {
            for (i, w) in ws.iter_mut().enumerate() {
                write!(w, "file {i}")?;
            }
            Ok(())
        })
        .unwrap();
        for (i, t) in targets.iter().enumerate() {
            assert_eq!(std::fs::read_to_string(t).unwrap(), format!("file {i}"));
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 3);
    }

    #[test]
    fn a_file_made_by_its_own_writer_is_renamed_in_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.gpkg");
        let e = atomic_create(&target, &[], |p| {
            std::fs::write(p, "half").map_err(|e| e.to_string())?;
            Err::<(), _>("sqlite said no".to_string())
        })
        .unwrap_err();
        assert!(e.to_string().contains("sqlite said no"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        atomic_create(&target, &[], |p| {
            std::fs::write(p, "whole").map_err(|e| e.to_string())
        })
        .unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "whole");
    }
}
