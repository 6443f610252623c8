//! The CRS an export is written in: WGS84 lon/lat unless `--to-crs` names another (a city system's
//! 平面直角座標系, e.g. EPSG:6677), with the WKT its sidecars or tables carry.

use geo_types::Geometry;

use crate::crs::{self, Reprojector, WktFlavour};

/// Where exported coordinates go, and how to say so in the file.
#[derive(Debug)]
pub struct OutputCrs {
    pub epsg: Option<u32>,
    /// PROJ's name, e.g. "JGD2011 / Japan Plane Rectangular CS IX".
    pub name: String,
    /// Whether coordinates are lon/lat degrees (else projected metres).
    pub geographic: bool,
    /// ESRI WKT1, for a Shapefile's .prj.
    pub wkt_esri: String,
    /// OGC WKT1, for a GeoPackage's spatial reference table and a FlatGeobuf header.
    pub wkt_ogc: String,
    reprojector: Reprojector,
}

impl OutputCrs {
    /// WGS84 longitude/latitude: the working CRS, written as it is. Its name and WKT are asked of
    /// PROJ once per process (every GeoJSON and CSV export starts here).
    pub fn wgs84() -> Self {
        static WGS84: std::sync::OnceLock<(String, String, String)> = std::sync::OnceLock::new();
        let (name, wkt_esri, wkt_ogc) = WGS84.get_or_init(|| {
            let definition = format!("EPSG:{}", crs::WORKING_EPSG);
            (
                crs::describe(&definition).map_or_else(|_| "WGS 84".into(), |d| d.name),
                crs::to_wkt(&definition, WktFlavour::Esri).unwrap_or_default(),
                crs::to_wkt(&definition, WktFlavour::Ogc1).unwrap_or_default(),
            )
        });
        OutputCrs {
            epsg: Some(crs::WORKING_EPSG),
            name: name.clone(),
            geographic: true,
            wkt_esri: wkt_esri.clone(),
            wkt_ogc: wkt_ogc.clone(),
            reprojector: Reprojector::Identity,
        }
    }

    /// What the user typed ("6677", "EPSG:6677", WKT, …), checked with PROJ.
    pub fn parse(text: &str) -> Result<Self, String> {
        let definition = crs::normalize_definition(text);
        let described = crs::describe(&definition)?;
        let reprojector = if described.epsg == Some(crs::WORKING_EPSG) {
            Reprojector::Identity
        } else {
            Reprojector::from_wgs84(&definition).map_err(|e| e.reason)?
        };
        Ok(OutputCrs {
            epsg: described.epsg,
            name: described.name,
            geographic: described.geographic,
            wkt_esri: crs::to_wkt(&definition, WktFlavour::Esri)?,
            wkt_ogc: crs::to_wkt(&definition, WktFlavour::Ogc1)?,
            reprojector,
        })
    }

    /// "EPSG:6677 (JGD2011 / Japan Plane Rectangular CS IX)".
    pub fn label(&self) -> String {
        match self.epsg {
            Some(code) => format!("EPSG:{code} ({})", self.name),
            None => self.name.clone(),
        }
    }

    pub fn is_wgs84(&self) -> bool {
        matches!(self.reprojector, Reprojector::Identity)
    }

    /// A working-CRS geometry in this CRS (borrowed when nothing moves).
    /// Feature `f`'s geometry (of layer `layer`) in this CRS, `None` without one; one that does
    /// not go there is an error naming the layer and the record.
    pub fn feature<'g>(
        &self,
        layer: &str,
        f: &'g crate::model::Feature,
    ) -> Result<Option<std::borrow::Cow<'g, Geometry<f64>>>, String> {
        f.geometry
            .as_ref()
            .map(|g| self.geometry(g))
            .transpose()
            .map_err(|e| {
                format!(
                    "layer {layer}, record {}: the geometry does not go into {}: {e}",
                    f.record,
                    self.label()
                )
            })
    }

    pub fn geometry<'g>(
        &self,
        g: &'g Geometry<f64>,
    ) -> Result<std::borrow::Cow<'g, Geometry<f64>>, String> {
        match self.reprojector {
            Reprojector::Identity => Ok(std::borrow::Cow::Borrowed(g)),
            Reprojector::Proj(_) => self
                .reprojector
                .geometry(g.clone())
                .map(std::borrow::Cow::Owned),
        }
    }

    /// Decimals that keep `precision` decimals of degrees' worth of detail: the same for lon/lat,
    /// five fewer for metres (7 decimals of a degree ≈ 1 cm ≈ 2 decimals of a metre).
    pub fn decimals(&self, precision: usize) -> usize {
        if self.geographic {
            precision
        } else {
            precision.saturating_sub(5)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo_types::{Geometry, Point};

    #[test]
    fn plane_rectangular_ix_round_trips_hino_city_hall() {
        let out = OutputCrs::parse("6677").unwrap();
        assert_eq!(out.epsg, Some(6677));
        assert!(!out.geographic);
        assert!(
            out.wkt_esri.starts_with("PROJCS[\"JGD_2011_Japan_Zone_9\""),
            "{}",
            out.wkt_esri
        );
        assert!(
            out.wkt_ogc.contains("AUTHORITY[\"EPSG\",\"6677\"]"),
            "{}",
            out.wkt_ogc
        );
        // STACK.md: 139.3950°E 35.6713°N ↔ E −39681.26, N −36379.06.
        let g = Geometry::Point(Point::new(139.39500, 35.67130));
        let Geometry::Point(p) = out.geometry(&g).unwrap().into_owned() else {
            panic!("a point stays a point")
        };
        assert!(
            (p.x() + 39681.26).abs() < 1.0 && (p.y() + 36379.06).abs() < 1.0,
            "{p:?}"
        );
        assert_eq!(out.decimals(7), 2);
    }

    #[test]
    fn wgs84_moves_nothing_and_a_bad_crs_says_why() {
        let out = OutputCrs::wgs84();
        assert!(out.is_wgs84() && out.geographic);
        assert!(
            out.wkt_esri.starts_with("GEOGCS[\"GCS_WGS_1984\""),
            "{}",
            out.wkt_esri
        );
        let e = OutputCrs::parse("EPSG:999999").unwrap_err();
        assert!(!e.is_empty());
    }
}
