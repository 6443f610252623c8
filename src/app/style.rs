//! How a layer is drawn: outline, fill and point size, and the defaults per role.

use eframe::egui::Color32;

use crate::model::Role;
use crate::project::StyleSpec;

/// How a layer is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    pub stroke: Color32,
    pub width: f32,
    pub fill: Color32,
    pub point_radius: f32,
}

impl Style {
    /// This style with what a project's style gives.
    pub fn with_spec(self, spec: &StyleSpec) -> Style {
        let colour = |c: Option<[u8; 4]>, or: Color32| {
            c.map_or(or, |[r, g, b, a]| {
                Color32::from_rgba_unmultiplied(r, g, b, a)
            })
        };
        Style {
            stroke: colour(spec.stroke, self.stroke),
            width: spec.width.unwrap_or(self.width),
            fill: colour(spec.fill, self.fill),
            point_radius: spec.point_size.unwrap_or(self.point_radius),
        }
    }

    /// The style as a project writes it.
    pub fn spec(&self) -> StyleSpec {
        StyleSpec {
            fill: Some(self.fill.to_srgba_unmultiplied()),
            stroke: Some(self.stroke.to_srgba_unmultiplied()),
            width: Some(self.width),
            point_size: Some(self.point_radius),
            ..Default::default()
        }
    }

    /// The default style of an embedded layer's role, or of the `index`-th opened file.
    pub fn for_role(role: Option<Role>, index: usize) -> Self {
        let s = |stroke, width, fill, point_radius| Style {
            stroke,
            width,
            fill,
            point_radius,
        };
        match role {
            Some(Role::Neighbours) => s(Color32::from_gray(150), 1.0, Color32::TRANSPARENT, 0.0),
            Some(Role::Boundary) => s(
                Color32::from_rgb(200, 40, 40),
                2.5,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Expressway) => s(
                Color32::from_rgb(0, 140, 70),
                3.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Railway) => s(
                Color32::from_rgb(60, 60, 60),
                2.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Station) => s(
                Color32::from_rgb(20, 20, 20),
                6.0,
                Color32::TRANSPARENT,
                0.0,
            ),
            Some(Role::Interchange) => s(Color32::WHITE, 1.5, Color32::from_rgb(0, 140, 70), 6.0),
            Some(Role::Shelter) => s(Color32::WHITE, 1.0, Color32::from_rgb(30, 110, 200), 3.5),
            // Zoning is drawn with the zoning palette; this is its outline.
            Some(Role::Zoning) => s(Color32::from_gray(110), 0.6, Color32::from_gray(200), 0.0),
            Some(Role::Site) => s(
                Color32::from_rgb(120, 0, 160),
                2.0,
                Color32::from_rgba_unmultiplied(150, 60, 200, 120),
                0.0,
            ),
            Some(Role::Enterprise) => s(Color32::WHITE, 0.8, Color32::from_rgb(230, 120, 0), 3.0),
            Some(Role::Context) | None => {
                const PALETTE: [Color32; 4] = [
                    Color32::from_rgb(230, 120, 0),
                    Color32::from_rgb(140, 60, 200),
                    Color32::from_rgb(0, 150, 160),
                    Color32::from_rgb(200, 0, 120),
                ];
                let c = PALETTE[index % PALETTE.len()];
                s(c, 1.2, c.gamma_multiply(0.35), 4.0)
            }
        }
    }

    /// The style of features a filter leaves out.
    pub fn dimmed(&self) -> Style {
        Style {
            stroke: self.stroke.gamma_multiply(0.2),
            fill: self.fill.gamma_multiply(0.2),
            ..*self
        }
    }

    /// The colour that stands for the layer in lists and legends.
    pub fn swatch(&self) -> Color32 {
        // A translucent fill looks dark on the panel: its stroke stands for it then.
        if self.fill.a() < 255 {
            self.stroke
        } else {
            self.fill
        }
    }
}
