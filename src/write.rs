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
    let mut temp = builder.tempfile_in(&dir).map_err(|e| {
        err(format!(
            "cannot create a file in {}: {}",
            dir.display(),
            describe(&e)
        ))
    })?;
    let value = {
        let mut writer = BufWriter::with_capacity(1 << 20, temp.as_file_mut());
        let value =
            fill(&mut writer).map_err(|e| err(format!("write failed: {}", describe(&e))))?;
        writer
            .flush()
            .map_err(|e| err(format!("write failed: {}", describe(&e))))?;
        value
    };
    temp.as_file()
        .sync_all()
        .map_err(|e| err(format!("write failed: {}", describe(&e))))?;
    temp.persist(target)
        .map_err(|e| err(format!("cannot replace the file: {}", describe(&e.error))))?;
    Ok(value)
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
}
