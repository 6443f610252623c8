//! Analysis on loaded layers: measures now; site metrics and overlays later.

pub mod measure;
pub mod zoning;
