//! sitelens: a desktop GIS viewer for industrial land. The core (loaders, model, CRS, index) has
//! no GUI in it; the `gui` feature adds the viewer.

pub mod analysis;
pub mod cli;
pub mod crs;
pub mod embedded;
pub mod error;
pub mod export;
pub mod filter;
pub mod fuzzing;
pub mod guard;
pub mod io;
pub mod model;
pub mod project;
pub mod publish;
pub mod write;

#[cfg(feature = "gui")]
pub mod app;

pub use error::{LoadError, LoadErrorKind};

/// sitelens's version and the build it is: "0.1.0 (abc1234)", the commit stamped by build.rs
/// ("unknown" outside a git checkout; ", built YYYY-MM-DD" added when SOURCE_DATE_EPOCH is set).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SITELENS_BUILD"), ")");
pub use io::{LoadOptions, load};
pub use model::Layer;
