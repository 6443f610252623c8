//! Analysis on loaded layers: geodesic measures, zoning, site metrics.

pub mod incentives;
pub mod measure;
pub mod rank;
pub mod site;
pub mod zoning;
