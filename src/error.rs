//! The error that stops a load. What is merely skipped is a [`crate::model::Warning`] instead.

use std::path::{Path, PathBuf};

/// Why a file could not be loaded at all. Display is one line: the path, then the cause.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct LoadError {
    pub path: PathBuf,
    pub kind: LoadErrorKind,
}

/// Each kind's Display is the whole message: `kind` is not a `source` of [`LoadError`], so its
/// text is printed once.
#[derive(Debug, thiserror::Error)]
pub enum LoadErrorKind {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The content is not what its format requires (the message names the record if any).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Unsupported(String),
    /// The text cannot be decoded: setting the layer's encoding may help.
    #[error("{0}")]
    Encoding(String),
    #[error("{0}")]
    Archive(String),
    #[error(transparent)]
    Crs(#[from] crate::crs::CrsError),
}

impl LoadError {
    pub fn new(path: &Path, kind: impl Into<LoadErrorKind>) -> Self {
        Self {
            path: path.to_path_buf(),
            kind: kind.into(),
        }
    }

    pub fn invalid(path: &Path, message: impl Into<String>) -> Self {
        Self::new(path, LoadErrorKind::Invalid(message.into()))
    }
}
