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
pub mod write;

#[cfg(feature = "gui")]
pub mod app;

pub use error::{LoadError, LoadErrorKind};
pub use io::{LoadOptions, load};
pub use model::Layer;
