//! Opening the window: eframe's options (the renderer), the bundled Japanese font, the
//! remembered settings put back, and the files named on the command line.

use std::path::PathBuf;

use eframe::egui;

use super::{Settings, Viewer, loading, settings};
use crate::io::LoadOptions;

/// The bundled Japanese font (IPAexGothic, IPA Font License v1.0: assets/fonts/).
const JAPANESE_FONT: &[u8] = include_bytes!("../../assets/fonts/ipaexg.ttf");

/// Opens the viewer window and blocks until it is closed.
pub fn run(paths: Vec<PathBuf>, options: LoadOptions) -> Result<(), eframe::Error> {
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("sitelens — 日野市 Hino")
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        renderer: renderer(),
        ..Default::default()
    };
    eframe::run_native(
        "sitelens",
        native,
        Box::new(move |cc| {
            install_fonts(&cc.egui_ctx);
            let mut viewer = Viewer::new();
            viewer.repaint = Some(cc.egui_ctx.clone());
            if let Some(mut saved) = cc
                .storage
                .and_then(|s| eframe::get_value::<Settings>(s, settings::KEY))
            {
                // A project given on the command line says which layers to show.
                if paths.iter().any(|p| loading::is_project(p)) {
                    saved.files.clear();
                    saved.view = None;
                }
                viewer.restore(saved);
            }
            viewer.open(paths, options, Some(cc.egui_ctx.clone()));
            Ok(Box::new(viewer))
        }),
    )
}

/// OpenGL: on machines without a GPU (Mesa's llvmpipe) a frame of this window costs about a
/// sixth of wgpu's on lavapipe (README, frame times). SITELENS_RENDERER=wgpu picks wgpu when
/// the binary is built with the `wgpu` feature.
fn renderer() -> eframe::Renderer {
    #[cfg(feature = "wgpu")]
    if std::env::var("SITELENS_RENDERER").as_deref() == Ok("wgpu") {
        return eframe::Renderer::Wgpu;
    }
    eframe::Renderer::Glow
}

/// Adds the Japanese font after egui's own, for every family.
pub fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    fonts.font_data.insert(
        "ipaexg".into(),
        std::sync::Arc::new(egui::FontData::from_static(JAPANESE_FONT)),
    );
    for family in fonts.families.values_mut() {
        family.push("ipaexg".into());
    }
    ctx.set_fonts(fonts);
}
