//! One filter model for the CLI and the viewer: an attribute expression (`--where`), a bounding
//! box (`--bbox`), and spatial relations to other layers (`--within`, `--intersects`,
//! `--near … --distance`). Spatial tests use the R-tree first and an exact geometry test after.
//! The result is the sorted list of matching feature positions: deterministic.

pub mod expr;
mod spatial;
pub mod sql;

pub use expr::{Expr, ExprError};
pub use spatial::{BboxError, BboxFilter, Relation, SpatialFilter};

use crate::model::Layer;

/// Why a filter cannot be applied to a layer. Display says it all (the expression's error is
/// part of the text, not a `source`), so a chain of causes prints each part once.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("layer {layer}: {error}")]
    Expr { layer: String, error: ExprError },
    /// A spatial condition on a layer whose coordinates are not placed.
    #[error("layer {layer}: its CRS is unknown, so spatial filters cannot apply: give its CRS")]
    UnknownCrs { layer: String },
    #[error("layer {layer}: {message}")]
    Layer { layer: String, message: String },
}

/// Conditions a feature must all meet.
#[derive(Debug, Default)]
pub struct Filter {
    /// The attribute expression as the user wrote it; parsed per layer (fields differ).
    pub where_text: Option<String>,
    pub bbox: Option<BboxFilter>,
    pub spatial: Vec<SpatialFilter>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.where_text.is_none() && self.bbox.is_none() && self.spatial.is_empty()
    }

    /// Checks the expression against the layer's fields without applying anything.
    pub fn check(&self, layer: &Layer) -> Result<Option<Expr>, FilterError> {
        let expr = match &self.where_text {
            Some(text) => {
                Some(
                    expr::parse(text, &layer.fields).map_err(|error| FilterError::Expr {
                        layer: layer.name.clone(),
                        error,
                    })?,
                )
            }
            None => None,
        };
        if (self.bbox.is_some() || !self.spatial.is_empty()) && !layer.source.crs.known {
            return Err(FilterError::UnknownCrs {
                layer: layer.name.clone(),
            });
        }
        Ok(expr)
    }

    /// The positions of the features that pass, in increasing order.
    pub fn apply(&self, layer: &Layer) -> Result<Vec<usize>, FilterError> {
        let expr = self.check(layer)?;
        let mut ids: Vec<usize> = match &self.bbox {
            Some(bbox) => {
                let mut ids: Vec<usize> = layer
                    .index
                    .query(bbox.envelope)
                    .filter(|&id| {
                        layer.features[id]
                            .geometry
                            .as_ref()
                            .is_some_and(|g| bbox.intersects(g))
                    })
                    .collect();
                ids.sort_unstable();
                ids
            }
            None => (0..layer.features.len()).collect(),
        };
        if let Some(expr) = &expr {
            ids.retain(|&id| expr.matches(&layer.features[id].values));
        }
        for spatial in &self.spatial {
            ids = spatial
                .retain(layer, ids)
                .map_err(|message| FilterError::Layer {
                    layer: layer.name.clone(),
                    message,
                })?;
        }
        Ok(ids)
    }

    /// The filter as one line of text, for provenance and the viewer.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(w) = &self.where_text {
            parts.push(format!("where {w}"));
        }
        if let Some(b) = &self.bbox {
            parts.push(b.text.clone());
        }
        for s in &self.spatial {
            parts.push(s.describe());
        }
        if parts.is_empty() {
            "none (all features)".into()
        } else {
            parts.join("; ")
        }
    }

    /// Fields (by name) the attribute expression reads in `layer`.
    pub fn fields_used(&self, layer: &Layer) -> Vec<String> {
        let Ok(Some(expr)) = self.check(layer) else {
            return Vec::new();
        };
        let mut used = Vec::new();
        expr.fields_used(&mut used);
        used.sort_unstable();
        used.dedup();
        used.into_iter()
            .map(|i| layer.fields[i].name.clone())
            .collect()
    }
}
