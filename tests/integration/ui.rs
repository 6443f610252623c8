//! The viewer driven as a user would, headless (egui_kittest; snapshots rendered with wgpu on
//! Mesa's lavapipe).

use egui::{Event, Modifiers, PointerButton, Pos2, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use geo_types::{Coord, Geometry};
use sitelens::app::{Command, DockTab, Edit, Lang, LayerId, Viewer, install_fonts};
use sitelens::model::Value;

use crate::corpus;

/// The id and data of the layer named `name` (file stem), if the viewer has it.
fn layer_named<'a>(v: &'a Viewer, name: &str) -> Option<(LayerId, &'a sitelens::model::Layer)> {
    v.doc.layer_named(name).map(|l| (l.id(), l.layer.as_ref()))
}

pub fn harness(viewer: Viewer) -> Harness<'static, Viewer> {
    harness_sized(viewer, Vec2::new(1400.0, 1000.0))
}

/// The viewer in a window of `size` points.
fn harness_sized(viewer: Viewer, size: Vec2) -> Harness<'static, Viewer> {
    let mut fonts_installed = false;
    let mut h = Harness::builder().with_size(size).build_ui_state(
        move |ui, viewer: &mut Viewer| {
            if !fonts_installed {
                install_fonts(ui.ctx());
                fonts_installed = true;
            }
            viewer.show(ui);
        },
        viewer,
    );
    settle(&mut h);
    h
}

/// Runs frames until the viewer asks for no more: the layers load on threads, which ask for
/// frames until they are in, and on a busy machine that takes more frames than one run allows
/// (kittest's `run` fails after a fixed number of steps, which a loaded CI machine exceeded).
pub fn settle(h: &mut Harness<'_, Viewer>) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while let Err(e) = h.try_run() {
        assert!(
            std::time::Instant::now() < deadline,
            "the viewer did not settle in 2 minutes: {e}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `settle` as a method, so it reads like the `run` it stands in for.
pub(crate) trait Settle {
    fn settle(&mut self);
}

impl Settle for Harness<'_, Viewer> {
    fn settle(&mut self) {
        settle(self);
    }
}

/// The viewer on the Hino project with these files loaded on top.
fn viewer_with(paths: Vec<std::path::PathBuf>) -> Viewer {
    let mut viewer = Viewer::new();
    viewer.open(paths, Default::default(), None);
    viewer.wait_for_loads();
    viewer
}

/// Map pixels (in points) within `tolerance` of `rgb`, and the map's pixel count.
fn map_pixels_of(h: &mut Harness<'_, Viewer>, rgb: [u8; 3], tolerance: [u8; 3]) -> (u32, u32) {
    let map = h.state().map_rect.unwrap();
    let image = h.render().expect("rendered");
    let scale = image.width() as f32 / 1400.0;
    let (mut hits, mut total) = (0u32, 0u32);
    for y in (map.top() as u32 + 5)..(map.bottom() as u32 - 5) {
        for x in (map.left() as u32 + 5)..(map.right() as u32 - 5) {
            let p = image.get_pixel((x as f32 * scale) as u32, (y as f32 * scale) as u32);
            total += 1;
            if (0..3).all(|k| p[k].abs_diff(rgb[k]) < tolerance[k]) {
                hits += 1;
            }
        }
    }
    (hits, total)
}

pub(crate) fn click_at(h: &mut Harness<'_, Viewer>, pos: Pos2) {
    h.event(Event::PointerMoved(pos));
    h.step();
    for pressed in [true, false] {
        h.event(Event::PointerButton {
            pos,
            button: PointerButton::Primary,
            pressed,
            modifiers: Modifiers::default(),
        });
        h.step();
    }
    h.settle();
}

/// Scrolls a button into view, then clicks it.
/// How many features of `layer` the core filter lets through `where_text` (what the viewer's
/// panels must agree with).
fn passing(layer: &sitelens::model::Layer, where_text: &str) -> usize {
    sitelens::filter::Filter {
        where_text: Some(where_text.into()),
        ..Default::default()
    }
    .apply(layer)
    .unwrap()
    .len()
}

fn click_button(h: &mut Harness<'_, Viewer>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.settle();
    h.get_by_label(label).click();
    h.settle();
}

/// Where a lon/lat point is on screen now.
pub(crate) fn screen(h: &Harness<'_, Viewer>, c: Coord<f64>) -> Pos2 {
    let v = h.state();
    v.doc
        .view
        .expect("map drawn")
        .screen_from_world(v.map_rect.expect("map drawn"), c)
}

#[test]
fn starts_on_hino_and_toggles_a_layer() {
    let mut h = harness(Viewer::new());
    assert_eq!(h.state().doc.layers().len(), sitelens::embedded::HINO.len());
    h.get_by_label("レイヤ");
    let (stations, _) = layer_named(h.state(), "stations_n02_2023").unwrap();
    assert!(h.state().doc.layer(stations).unwrap().visible);
    h.get_by_label("表示 駅 Stations").click();
    h.settle();
    assert!(!h.state().doc.layer(stations).unwrap().visible);
}

#[test]
fn clicking_a_shelter_identifies_it() {
    let mut h = harness(Viewer::new());
    let (shelters, layer) = layer_named(h.state(), "shelters_evacuation_132128").unwrap();
    let name_col = layer.field_index("施設・場所名").unwrap();
    let (target, name) = layer
        .features
        .iter()
        .enumerate()
        .find_map(|(i, f)| match (&f.geometry, &f.values[name_col]) {
            (Some(Geometry::Point(p)), Value::Text(n)) => Some((i, (p.0, n.clone()))),
            _ => None,
        })
        .unwrap();
    let pos = screen(&h, name.0);
    click_at(&mut h, pos);
    // The top layer wins: the evacuation shelters are drawn above everything else.
    assert_eq!(h.state().doc.identified(), Some((shelters, target)));
    h.get_by_label("地物情報");
    h.get_by_label("施設・場所名");
    h.get_by_label(&name.1);
    // Away from points and lines, the polygon under the cursor is identified: a neighbour city.
    let rect = h.state().map_rect.unwrap();
    click_at(&mut h, rect.left_top() + Vec2::new(30.0, 60.0));
    let (neighbours, _) = layer_named(h.state(), "neighbours_n03_2021_simplified").unwrap();
    assert_eq!(h.state().doc.identified().map(|(l, _)| l), Some(neighbours));
    h.get_by_label("N03_004");
    // The panel's close button clears it.
    h.get_by_label("閉じる").click();
    h.settle();
    assert_eq!(h.state().doc.identified(), None);
}

#[test]
fn opened_file_loads_in_background_and_table_selects_on_map() {
    let viewer = viewer_with(vec![corpus("pyshp/tests/shapefiles/blockgroups.shp")]);
    let (bg, _) = layer_named(&viewer, "blockgroups").unwrap();
    let mut h = harness(viewer);
    h.get_by_label("blockgroups");
    // The layer's actions show under its row once it is selected: open its table there, then
    // pick a row.
    assert!(h.query_by_label("テーブル").is_none());
    h.get_by_label("blockgroups").click();
    h.settle();
    assert_eq!(h.state().layers_panel.selected, Some(bg));
    click_button(&mut h, "テーブル");
    assert_eq!(h.state().table_layer, Some(bg));
    h.get_by_label("BKG_KEY");
    h.get_by_label("060750601001").click();
    h.settle();
    assert_eq!(h.state().doc.identified(), Some((bg, 3)));
    h.get_by_label("地物情報");
}

#[test]
fn language_switches_to_english() {
    let mut h = harness(Viewer::new());
    h.state_mut().command(Edit::SetLang(Lang::En).into());
    h.step();
    h.settle();
    h.get_by_label("Layers");
    assert!(h.query_by_label("レイヤ").is_none());
}

#[test]
fn bad_file_shows_an_error_and_the_app_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.geojson");
    std::fs::write(&bad, "{ not json").unwrap();
    let viewer = viewer_with(vec![bad]);
    let mut h = harness(viewer);
    h.get_by_label_contains("broken.geojson");
    assert_eq!(h.state().doc.layers().len(), sitelens::embedded::HINO.len());
    h.get_by_label("表示 駅 Stations").click();
    h.settle();
}

#[test]
fn snapshot_of_the_default_project() {
    let mut h = harness(Viewer::new());
    h.snapshot("hino_default");
}

#[test]
fn filter_panel_counts_and_export_dialog_writes_what_passes() {
    let mut h = harness(Viewer::new());
    let (shelters, layer) = layer_named(h.state(), "shelters_evacuation_132128").unwrap();
    // What the core filter says, for comparison.
    let expected = passing(layer, "\"施設・場所名\" LIKE '%小学校%'");
    assert!(expected > 5 && expected < 57, "{expected}");

    h.state_mut().command(Command::EditFilter(shelters));
    h.step();
    h.settle();
    assert_eq!(h.state().filter_panel.layer, Some(shelters));
    // Pick: 施設・場所名 contains 小学校.
    click_button(&mut h, "＋ 条件を追加");
    let name_field = h
        .state()
        .doc
        .layer(shelters)
        .unwrap()
        .layer
        .field_index("施設・場所名")
        .unwrap();
    {
        let panel = &mut h.state_mut().filter_panel;
        let c = &mut panel.conditions[0];
        c.field = name_field;
        c.op = sitelens::app::Op::Contains;
        c.value = "小学校".into();
    }
    click_button(&mut h, "適用");
    let f = h
        .state()
        .doc
        .layer(shelters)
        .unwrap()
        .filter
        .clone()
        .unwrap_or_else(|| {
            panic!(
                "not applied: {:?} {:?}",
                h.state().filter_panel.error,
                h.state().filter_panel.conditions
            )
        });
    assert_eq!(f.ids.len(), expected);
    h.get_by_label(&format!("{expected} / 57 件が該当"));
    h.get_by_label(&format!("{expected}/57"));

    // Inside the city only: the one shelter outside Hino drops out (data/hino/SOURCES.md).
    h.state_mut().filter_panel.within_city = true;
    click_button(&mut h, "適用");
    let within = h
        .state()
        .doc
        .layer(shelters)
        .unwrap()
        .filter
        .as_ref()
        .unwrap()
        .ids
        .len();
    assert!(within <= expected);

    // Export what passes, public profile.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("schools.geojson");
    h.state_mut().command(Command::OpenExport(Some(shelters)));
    h.step();
    h.settle();
    h.state_mut().export_dialog.path = out.display().to_string();
    click_button(&mut h, "書き出す");
    assert!(
        matches!(&h.state().export_dialog.result, Some(Ok(_))),
        "{:?}",
        h.state().export_dialog.result
    );
    let back = sitelens::load(&out, &Default::default()).unwrap();
    assert_eq!(back.features.len(), within);
}

/// The export dialog writes a GeoPackage in 平面直角座標系 IX when the CRS is typed in: the CRS
/// field appears for formats other than GeoJSON, and the .dbf encoding choice for a Shapefile.
#[test]
fn export_dialog_writes_a_geopackage_in_the_crs_typed() {
    let mut h = harness(Viewer::new());
    let (shelters, _) = layer_named(h.state(), "shelters_evacuation_132128").unwrap();
    h.state_mut().command(Command::OpenExport(Some(shelters)));
    h.step();
    h.settle();
    // GeoJSON: no CRS to choose.
    assert!(h.query_by_label("座標系").is_none());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("shelters.gpkg");
    h.state_mut().export_dialog.path = out.display().to_string();
    h.settle();
    assert!(h.query_by_label(".dbf の文字コード").is_none());
    h.get_by_label("座標系").click();
    h.settle();
    h.get_by_label("座標系").type_text("EPSG:6677");
    h.settle();
    assert_eq!(h.state().export_dialog.to_crs, "EPSG:6677");
    click_button(&mut h, "書き出す");
    assert!(
        matches!(&h.state().export_dialog.result, Some(Ok(_))),
        "{:?}",
        h.state().export_dialog.result
    );
    let back = sitelens::load(&out, &Default::default()).unwrap();
    assert_eq!(back.features.len(), 57);
    assert_eq!(back.source.crs.epsg, Some(6677));
    // A Shapefile also offers the .dbf encoding, and says which names it had to cut.
    let shp = dir.path().join("s.shp");
    h.state_mut().export_dialog.path = shp.display().to_string();
    h.settle();
    h.get_by_label(".dbf の文字コード");
    click_button(&mut h, "書き出す");
    let Some(Ok(message)) = &h.state().export_dialog.result else {
        panic!("{:?}", h.state().export_dialog.result)
    };
    assert!(message.contains("都道府県名及び市町村名 → "), "{message}");
    assert_eq!(
        sitelens::load(&shp, &Default::default())
            .unwrap()
            .features
            .len(),
        57
    );
}

/// Polygons of an opened layer are drawn filled (a translucent tint over the map), not only
/// outlined: a large share of the map shows the blended fill colour.
#[test]
fn opened_polygons_are_drawn_filled() {
    let viewer = viewer_with(vec![corpus("pyshp/tests/shapefiles/blockgroups.shp")]);
    let mut h = harness(viewer);
    // Orange at 35 % over the map's background ≈ (240, 200, 155).
    let (tinted, total) = map_pixels_of(&mut h, [240, 200, 155], [16, 20, 24]);
    assert!(
        tinted * 10 > total,
        "{tinted} of {total} map pixels show the fill"
    );
}

/// A29 zoning is recognised: palette colours on the map, a legend, and the 参考図 notice.
#[test]
fn zoning_layer_gets_the_palette_legend_and_reference_notice() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/zoning_a29_fictional.geojson");
    let mut viewer = viewer_with(vec![fixture]);
    // Without the project's own (sample) zoning, so the legend and colours are the fixture's.
    let (sample, _) = layer_named(&viewer, "zoning_fictional").unwrap();
    viewer.command(Edit::Remove(sample).into());
    let mut h = harness(viewer);
    let (zoning, _) = layer_named(h.state(), "zoning_a29_fictional").unwrap();
    let z = h
        .state()
        .doc
        .layer(zoning)
        .unwrap()
        .zoning
        .as_ref()
        .expect("recognised as zoning");
    let names: Vec<&str> = z.present.iter().map(|z| z.name_ja).collect();
    assert_eq!(names, ["第一種低層住居専用地域", "準工業地域", "工業地域"]);
    h.get_by_label("工業地域");
    h.get_by_label_contains("参考図");
    // The 工業地域 colour (#8AD0E4 at 75 % over the map) covers part of the map.
    // #8AD0E4 at 75 % over (246, 244, 238) ≈ (165, 217, 231).
    let (industrial, _) = map_pixels_of(&mut h, [165, 217, 231], [14, 14, 14]);
    assert!(
        industrial > 2000,
        "{industrial} pixels in the 工業地域 colour"
    );
}

/// With the box tool on the sites layer: the city shown whole, a box dragged over its middle
/// selects exactly the sites whose shapes (rotated rectangles) touch the box drawn.
fn box_selects_sites_in_the_middle(h: &mut Harness<'_, Viewer>, sites: LayerId) {
    h.get_by_label("矩形で選択").click();
    h.settle();
    assert_eq!(h.state().drawing.target, Some(sites));
    let home = h.state().doc.home_extent().unwrap();
    h.state_mut().command(Edit::ZoomTo(home).into());
    h.settle();
    let (a, b) = (
        Coord {
            x: 139.37,
            y: 35.655,
        },
        Coord {
            x: 139.41,
            y: 35.685,
        },
    );
    let (pa, pb) = (screen(h, a), screen(h, b));
    drag(h, pa, pb);
    let selection = h.state().doc.selection.clone().expect("something selected");
    assert_eq!(selection.layer, sites);
    // The box is where the drag went (within a pixel).
    let drawn = &h.state().drawing.points;
    let tolerance =
        1.5 * h.state().doc.view.unwrap().metres_per_point() / sitelens::model::M_PER_DEG;
    assert!((drawn[0].x - a.x).abs() < tolerance && (drawn[2].y - b.y).abs() < tolerance);
    let rect = geo_types::Rect::new(drawn[0], drawn[2]).to_polygon();
    let layer = &h.state().doc.layer(sites).unwrap().layer;
    let expected: std::collections::BTreeSet<usize> = (0..layer.features.len())
        .filter(|&i| {
            use geo::Intersects;
            layer.features[i]
                .geometry
                .as_ref()
                .unwrap()
                .intersects(&rect)
        })
        .collect();
    assert!(expected.len() >= 3, "{expected:?}");
    assert_eq!(selection.features, expected);
}

/// Language, view, opened files and hidden layers come back in the next run.
#[test]
fn settings_bring_back_language_view_files_and_hidden_layers() {
    let viewer = viewer_with(vec![corpus("pyshp/tests/shapefiles/blockgroups.shp")]);
    let mut h = harness(viewer);
    h.state_mut().command(Edit::SetLang(Lang::En).into());
    let (stations, _) = layer_named(h.state(), "stations_n02_2023").unwrap();
    h.state_mut()
        .command(Edit::SetVisible(stations, false).into());
    let home = h.state().doc.home_extent().unwrap();
    h.state_mut().command(Edit::ZoomTo(home).into());
    h.step();
    h.settle();
    let saved = h.state().settings();
    assert_eq!(saved.files.len(), 1);
    // Through text, as eframe stores it.
    let text = serde_json::to_string(&saved).unwrap();
    let mut next = Viewer::new();
    next.restore(serde_json::from_str(&text).unwrap());
    next.wait_for_loads();
    assert_eq!(next.doc.lang, Lang::En);
    assert!(layer_named(&next, "blockgroups").is_some());
    let (stations, _) = layer_named(&next, "stations_n02_2023").unwrap();
    assert!(!next.doc.layer(stations).unwrap().visible);
    let h = harness(next);
    assert_eq!(
        h.state().doc.view,
        saved.view,
        "the reopened file does not move the view"
    );
}

/// A public export from the viewer, filtered on an internal field, names neither the field nor
/// its values anywhere in the file.
#[test]
fn viewer_public_export_keeps_internal_fields_out() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("sites.geojson");
    std::fs::write(&sites, r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"名称":"A","所有者":"日野太郎","売却価格":120000000},"geometry":{"type":"Point","coordinates":[139.39,35.67]}},
      {"type":"Feature","properties":{"名称":"B","所有者":"株式会社ミナミ","売却価格":90000000},"geometry":{"type":"Point","coordinates":[139.40,35.66]}}]}"#).unwrap();
    let viewer = viewer_with(vec![sites]);
    let mut h = harness(viewer);
    let (layer, _) = layer_named(h.state(), "sites").unwrap();
    h.state_mut().command(Command::EditFilter(layer));
    h.step();
    h.settle();
    h.state_mut().filter_panel.typed = true;
    h.state_mut().filter_panel.sql = "\"所有者\" LIKE '日野%' OR \"売却価格\" < 100000000".into();
    click_button(&mut h, "適用");
    assert_eq!(
        h.state()
            .doc
            .layer(layer)
            .unwrap()
            .filter
            .as_ref()
            .unwrap()
            .ids
            .len(),
        2
    );
    let out = dir.path().join("public.geojson");
    h.state_mut().command(Command::OpenExport(Some(layer)));
    h.step();
    h.settle();
    h.state_mut().export_dialog.path = out.display().to_string();
    click_button(&mut h, "書き出す");
    let written = std::fs::read_to_string(&out).unwrap();
    for secret in [
        "所有者",
        "売却価格",
        "日野太郎",
        "株式会社ミナミ",
        "120000000",
        "日野%",
    ] {
        assert!(!written.contains(secret), "leaks {secret}: {written}");
    }
    assert!(written.contains("\"名称\":\"A\""));
}

/// The ranking window ranks the project's sample sites by the user's weights, and a row selects
/// its site on the map; the metrics are in the identify panel as fields.
#[test]
fn ranking_window_ranks_sites_and_selects_one() {
    let mut viewer = Viewer::new();
    viewer.dock.show(DockTab::Ranking);
    // Only the IC distance counts: the best site is the one nearest to an interchange.
    viewer.doc.weights = "ic=1".parse().unwrap();
    let mut h = harness(viewer);
    h.get_by_label("用地の評価");
    let (sites, _) = layer_named(h.state(), "sites_fictional").unwrap();
    let layer = &h.state().doc.layer(sites).unwrap().layer;
    let nearest = (0..layer.features.len())
        .min_by(|&a, &b| {
            let d = |i| layer.value(i, "ic_m").and_then(|v| v.as_f64()).unwrap();
            d(a).total_cmp(&d(b))
        })
        .unwrap();
    let name = layer.value(nearest, "名称").unwrap().to_string();
    let rows: Vec<_> = h.query_all_by_label_contains("サンプル用地").collect();
    assert_eq!(rows.len(), 30, "every site is listed");
    drop(rows);
    // The first row of the ranking is that site.
    let first = h
        .query_all_by_label_contains("サンプル用地")
        .min_by(|a, b| a.rect().top().total_cmp(&b.rect().top()))
        .and_then(|n| {
            use egui_kittest::kittest::NodeT;
            n.accesskit_node().label()
        })
        .unwrap_or_default();
    assert_eq!(first, name);
    h.get_by_label(&name).click();
    h.settle();
    assert_eq!(h.state().doc.identified(), Some((sites, nearest)));
    // The dock stays on the ranking while its rows are browsed; its identify tab shows the site,
    // metrics as fields.
    assert_eq!(h.state().dock.tab, DockTab::Ranking);
    h.get_by_label("地物情報").click();
    h.settle();
    h.get_by_label("ICまでの距離 (m)");
    h.get_by_label("用地の評価").click();
    h.settle();
    // Compare: four sites side by side, and no fifth.
    fn sorted<'t>(h: &'t Harness<'_, Viewer>) -> Vec<egui_kittest::Node<'t>> {
        let mut buttons: Vec<_> = h.query_all_by_label("比較").collect();
        buttons.sort_by(|a, b| a.rect().top().total_cmp(&b.rect().top()));
        buttons
    }
    for k in 0..5 {
        sorted(&h)[k].scroll_to_me();
        h.settle();
        // The fifth button is disabled once four are chosen: its click does nothing.
        sorted(&h)[k].click();
        h.settle();
    }
    assert_eq!(h.state().ranking.compare.len(), 4);
    assert_eq!(h.state().ranking.compare[0], nearest);
    // Labelled as in the identify panel.
    assert_eq!(h.query_all_by_label("ICまでの距離 (m)").count(), 1);
    // A filter on the sites: those it removes are listed with the term they miss.
    let layer = &h.state().doc.layer(sites).unwrap().layer;
    let excluded = (0..layer.features.len())
        .filter(|&i| layer.value(i, "area_ha").and_then(|v| v.as_f64()).unwrap() < 1.0)
        .count();
    assert!(excluded > 0);
    let filter = sitelens::filter::Filter {
        where_text: Some("area_ha >= 1".into()),
        ..Default::default()
    };
    h.state_mut()
        .command(Edit::Filter(sites, Some(std::sync::Arc::new(filter))).into());
    h.step();
    h.settle();
    h.get_by_label_contains("件はフィルタで除外");
    assert_eq!(
        h.query_all_by_label_contains("理由: area_ha >= 1").count(),
        excluded
    );
}

/// A click inside the city is about what lies there (here the sample zoning), not the city
/// outline, which is picked on its line only.
#[test]
fn clicking_inside_the_city_does_not_pick_its_outline() {
    let mut viewer = Viewer::new();
    let (boundary, _) = layer_named(&viewer, "hino_boundary_n03").unwrap();
    let (zoning, _) = layer_named(&viewer, "zoning_fictional").unwrap();
    // Hino city hall, well inside the city.
    viewer.command(
        Edit::IdentifyAt {
            lon: 139.3950,
            lat: 35.6713,
            tolerance_m: 5.0,
        }
        .into(),
    );
    let mut h = harness(viewer);
    h.settle();
    let (layer, _) = h.state().doc.identified().expect("something is there");
    assert_ne!(layer, boundary);
    assert_eq!(layer, zoning);
}

#[test]
fn opens_a_project_and_saves_what_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.toml");
    let mut project = sitelens::project::Project::hino();
    // A smaller project: boundary, stations and sites, the sites in red.
    project.layers.retain(|l| {
        l.path.contains("boundary") || l.path.contains("stations") || l.path.contains("sites")
    });
    project.layers[2].style = Some(sitelens::project::StyleSpec {
        fill: Some([255, 0, 0, 255]),
        ..Default::default()
    });
    project.save(&path).unwrap();

    let mut viewer = Viewer::new();
    viewer.open(vec![path.clone()], Default::default(), None);
    viewer.wait_for_loads();
    let mut h = harness(viewer);
    assert_eq!(h.state().doc.layers().len(), 3);
    let (sites, _) = layer_named(h.state(), "sites_fictional").unwrap();
    assert_eq!(
        h.state().doc.layer(sites).unwrap().style.fill,
        egui::Color32::RED
    );
    assert_eq!(
        h.state().doc.site_metrics().unwrap().1.len(),
        30,
        "metrics computed"
    );
    // Red sites are on the map.
    let (red, _) = map_pixels_of(&mut h, [255, 0, 0], [8, 8, 8]);
    assert!(red > 50, "{red} red pixels");

    // Hide the stations, then File ▸ Save project… to a new file.
    h.get_by_label("表示 駅 Stations").click();
    h.settle();
    h.get_by_label("ファイル").click();
    h.settle();
    h.get_by_label("プロジェクトを保存…").click();
    h.settle();
    let saved = dir.path().join("saved.toml");
    h.state_mut().project_dialog.path = saved.display().to_string();
    h.settle();
    h.get_by_label("保存").click();
    h.settle();
    h.get_by_label_contains("保存しました");
    let again = sitelens::project::Project::read(&saved).unwrap();
    assert_eq!(again.layers.len(), 3);
    assert!(!again.layers[1].visible, "the stations were hidden");
    assert_eq!(
        again.layers[2].style.as_ref().unwrap().fill,
        Some([255, 0, 0, 255])
    );
    assert_eq!(again.analysis, project.analysis);
}

#[test]
fn identify_panel_writes_a_site_sheet_and_the_map_exports_as_an_image() {
    let mut h = harness(Viewer::new());
    let (sites, layer) = layer_named(h.state(), "sites_fictional").unwrap();
    let s05 = (0..layer.features.len())
        .find(|&i| layer.value(i, "site_id").map(|v| v.to_string()).as_deref() == Some("S-05"))
        .unwrap();
    h.state_mut().command(
        Edit::Select {
            layer: sites,
            feature: s05,
            zoom: false,
        }
        .into(),
    );
    h.settle();
    h.get_by_label("用地シート…").click();
    h.settle();
    assert_eq!(h.state().project_dialog.sheet_path, "site-S-05.pdf");
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("s05.pdf");
    h.state_mut().project_dialog.sheet_path = pdf.display().to_string();
    h.settle();
    h.get_by_label("書き出す").click();
    h.settle();
    h.get_by_label_contains("保存しました");
    let text = std::process::Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("サンプル用地 S-05（架空）"));

    // File ▸ Export map image… writes the view at twice the resolution.
    h.state_mut().project_dialog.open = false;
    h.settle();
    h.get_by_label("ファイル").click();
    h.settle();
    h.get_by_label("地図画像を書き出す…").click();
    h.settle();
    let png = dir.path().join("view.png");
    h.state_mut().project_dialog.image_path = png.display().to_string();
    h.settle();
    h.get_by_label("書き出す").click();
    h.settle();
    let (w, _, px) = crate::render::read_png(&png);
    let map = h.state().map_rect.unwrap();
    // The map as shown, and the legend and credits in a column beside it.
    let side = sitelens::app::render::side_width(map.width());
    assert_eq!(w, ((map.width() + side) * 2.0).round() as u32);
    assert!(
        crate::render::count_near(&px, [170, 30, 30], 3) > 1000,
        "sample banner"
    );
}

fn drag(h: &mut Harness<'_, Viewer>, from: Pos2, to: Pos2) {
    h.event(Event::PointerMoved(from));
    h.step();
    h.event(Event::PointerButton {
        pos: from,
        button: PointerButton::Primary,
        pressed: true,
        modifiers: Modifiers::default(),
    });
    h.step();
    for k in 1..=10 {
        h.event(Event::PointerMoved(from + (to - from) * (k as f32 / 10.0)));
        h.step();
    }
    h.event(Event::PointerButton {
        pos: to,
        button: PointerButton::Primary,
        pressed: false,
        modifiers: Modifiers::default(),
    });
    h.step();
    h.settle();
}

/// Waits out egui's double-click window so the next click is a single one.
fn pause(h: &mut Harness<'_, Viewer>) {
    for _ in 0..30 {
        h.step();
    }
}

#[test]
fn distance_tool_measures_geodesically() {
    let mut h = harness(Viewer::new());
    h.get_by_label("距離").click();
    h.settle();
    // Two clicks; the reference is geographiclib's WGS84 inverse (Python, 2825.045 m).
    let (a, b) = (
        Coord {
            x: 139.38,
            y: 35.665,
        },
        Coord {
            x: 139.41,
            y: 35.672,
        },
    );
    let pa = screen(&h, a);
    click_at(&mut h, pa);
    pause(&mut h);
    let pb = screen(&h, b);
    click_at(&mut h, pb);
    h.key_press(egui::Key::Enter); // ends the line, like a double click
    h.settle();
    let d = &h.state().drawing;
    assert!(d.finished);
    assert_eq!(d.points.len(), 2);
    // The clicks land within a pixel of the intended places; allow for that.
    let metres_per_point = h.state().doc.view.unwrap().metres_per_point();
    let text = d.measure_text(Lang::Ja).unwrap();
    let km: f64 = text.trim_end_matches(" km").parse().unwrap();
    assert!(
        (km * 1000.0 - 2825.045).abs() < 2.0 * metres_per_point,
        "{text} vs 2825.045 m (±{:.0} m a pixel)",
        metres_per_point
    );
    h.get_by_label(&text);
    // Esc clears.
    h.key_press(egui::Key::Escape);
    h.settle();
    assert!(h.state().drawing.points.is_empty());
}

#[test]
fn drawn_area_gets_site_metrics_and_box_selects_sites() {
    let mut h = harness(Viewer::new());
    let (sites, _) = layer_named(h.state(), "sites_fictional").unwrap();
    let layer = h.state().doc.layer(sites).unwrap().layer.clone();
    let s10 = (0..layer.features.len())
        .find(|&i| layer.value(i, "site_id").map(|v| v.to_string()).as_deref() == Some("S-10"))
        .unwrap();
    let env =
        sitelens::model::Envelope::of(layer.features[s10].geometry.as_ref().unwrap()).unwrap();
    // Zoom to the site so a drawn square around it is many pixels wide.
    h.state_mut().command(Edit::ZoomTo(env).into());
    h.settle();
    h.get_by_label("面積・区域").click();
    h.settle();
    let corners = [
        Coord {
            x: env.min_x,
            y: env.min_y,
        },
        Coord {
            x: env.max_x,
            y: env.min_y,
        },
        Coord {
            x: env.max_x,
            y: env.max_y,
        },
        Coord {
            x: env.min_x,
            y: env.max_y,
        },
    ];
    for (k, c) in corners.iter().enumerate() {
        let p = screen(&h, *c);
        click_at(&mut h, p);
        if k == 3 {
            h.key_press(egui::Key::Enter);
            h.settle();
        } else {
            pause(&mut h);
        }
    }
    assert!(h.state().drawing.finished);
    assert_eq!(h.state().drawing.points.len(), 4);
    h.get_by_label("この区域の立地指標").click();
    h.settle();
    h.get_by_label("描いた区域の立地指標");
    let m = h.state().drawing.metrics.clone().unwrap().unwrap();
    // The box around S-10 (all 準工業地域 per its metrics) is mostly 準工業地域 too, and its area
    // is at least the site's.
    let site_area = layer.value(s10, "area_m2").unwrap().as_f64().unwrap();
    assert!(m.measures.area_m2.unwrap() >= site_area * 0.99);
    assert!(m.zoning_text().unwrap().contains("準工業地域"));
    assert_eq!(
        m.interchange.as_ref().map(|i| i.0.as_str()),
        layer
            .value(s10, "nearest_ic")
            .map(|v| v.to_string())
            .as_deref()
    );

    // Box selection on the sites layer (the default target): zoom out, drag over the city's
    // middle; exactly the sites whose shapes touch the box are selected.
    h.key_press(egui::Key::Escape);
    box_selects_sites_in_the_middle(&mut h, sites);
}

#[test]
fn style_editor_colours_by_a_field_and_the_project_keeps_it() {
    let mut h = harness(Viewer::new());
    let (ents, _) = layer_named(h.state(), "enterprises_fictional").unwrap();
    // Open the enterprises' style editor from the layer's context menu.
    h.get_by_label("企業（架空） Enterprises (fictional sample)")
        .click_secondary();
    h.settle();
    h.get_by_label("スタイル").click();
    h.settle();
    assert_eq!(h.state().layers_panel.style_open, Some(ents));
    h.get_by_label("値で色分け");
    // Colour by industry, labels off, half opacity (what the editor's widgets send).
    let mut r = {
        let l = &h.state().doc.layer(ents).unwrap();
        sitelens::app::Restyle {
            style: l.style,
            opacity: 0.5,
            label: None,
            categorize: Some("業種コード".into()),
        }
    };
    r.style.point_radius = 6.0;
    h.state_mut().command(Edit::Restyle(ents, r).into());
    h.settle();
    let l = &h.state().doc.layer(ents).unwrap();
    let k = l.categories.as_ref().expect("categories");
    assert_eq!(k.field, "業種コード");
    let total: usize = k.classes.iter().map(|c| c.2).sum();
    assert_eq!(total, 200, "every enterprise has a class");
    // The most frequent class is listed under the layer with its count.
    let (first, colour, n) = k.classes[0].clone();
    h.get_by_label(&format!("{first} ({n})"));
    // Its colour is on the map (at half opacity over the map's colours: look for the hue).
    let image = h.render().unwrap();
    let [r0, g0, b0, _] = colour.to_array();
    let seen = image.pixels().any(|p| {
        // 50 % of the class colour over anything: within half the channel range of it.
        (0..3).all(|c| (p[c] as i32 - [r0, g0, b0][c] as i32).abs() < 70)
            && (p[0] as i32 - p[2] as i32).signum() == (r0 as i32 - b0 as i32).signum()
    });
    assert!(seen, "class colour {colour:?} on the map");

    // Saved and reopened, the project keeps the look.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("styled.toml");
    h.state_mut().command(Command::SaveProject(path.clone()));
    h.settle();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("categorize = \"業種コード\""), "{text}");
    assert!(text.contains("opacity = 0.5"), "{text}");
    let mut again = Viewer::new();
    again.open(vec![path], Default::default(), None);
    again.wait_for_loads();
    let (i, _) = layer_named(&again, "enterprises_fictional").unwrap();
    let l = &again.doc.layer(i).unwrap();
    assert_eq!(l.opacity, 0.5);
    assert_eq!(l.style.point_radius, 6.0);
    assert_eq!(
        l.categories.as_ref().map(|c| c.field.as_str()),
        Some("業種コード")
    );
    assert_eq!(l.label, None);
    // Sites keep their default labels.
    let (s, _) = layer_named(&again, "sites_fictional").unwrap();
    assert_eq!(
        again.doc.layer(s).unwrap().label.as_deref(),
        Some("site_id")
    );
}

/// Runs frames until `done` holds (a background thread answers), at most 10 s.
pub(crate) fn run_until(h: &mut Harness<'_, Viewer>, mut done: impl FnMut(&Viewer) -> bool) {
    let started = std::time::Instant::now();
    while !done(h.state()) {
        assert!(started.elapsed().as_secs() < 120, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(10));
        h.step();
    }
    h.settle();
}

#[test]
fn browse_buttons_fill_paths_from_the_desktop_dialog() {
    use sitelens::app::file_picker::{Ask, FilePicker};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let chosen = corpus("pyshp/tests/shapefiles/blockgroups.shp");
    let export_to = dir.path().join("chosen.csv");
    // Stands in for the desktop's dialog: records what it was asked and answers.
    let asked: Arc<Mutex<Vec<Ask>>> = Arc::default();
    let backend = {
        let (asked, chosen, export_to) = (asked.clone(), chosen.clone(), export_to.clone());
        Arc::new(move |ask: &Ask| {
            asked.lock().unwrap().push(ask.clone());
            Some(vec![match ask {
                Ask::Open { .. } => chosen.clone(),
                Ask::Save { .. } => export_to.clone(),
            }])
        })
    };
    let mut viewer = Viewer::new();
    viewer.project_dialog.picker = FilePicker::with_backend(backend.clone());
    viewer.export_dialog.picker = FilePicker::with_backend(backend);
    let mut h = harness(viewer);

    // File ▸ Open… ▸ Browse…: the chosen file fills the field, Open loads it.
    h.get_by_label("ファイル").click();
    h.settle();
    h.get_by_label("開く…").click();
    h.settle();
    h.get_by_label("参照…").click();
    run_until(&mut h, |v| !v.project_dialog.open_paths.is_empty());
    assert_eq!(
        h.state().project_dialog.open_paths,
        chosen.display().to_string()
    );
    match &asked.lock().unwrap()[0] {
        Ask::Open { filters } => assert!(filters[0].extensions.contains(&"shp".to_string())),
        other => panic!("{other:?}"),
    }
    h.get_by_role_and_label(egui::accesskit::Role::Button, "開く")
        .click();
    h.settle();
    run_until(&mut h, |v| layer_named(v, "blockgroups").is_some());
    let (bg, _) = layer_named(h.state(), "blockgroups").unwrap();

    // Export ▸ Browse…: asked starting from the typed path, the answer (.csv) is written.
    h.state_mut().command(Command::OpenExport(Some(bg)));
    h.step();
    h.settle();
    click_button(&mut h, "参照…");
    run_until(&mut h, |v| v.export_dialog.path.ends_with("chosen.csv"));
    match &asked.lock().unwrap()[1] {
        Ask::Save { current, filters } => {
            assert_eq!(current, &std::path::PathBuf::from("export.geojson"));
            assert_eq!(filters[0].name, "GeoJSON (RFC 7946)");
        }
        other => panic!("{other:?}"),
    }
    click_button(&mut h, "書き出す");
    assert!(
        matches!(&h.state().export_dialog.result, Some(Ok(_))),
        "{:?}",
        h.state().export_dialog.result
    );
    let csv = std::fs::read_to_string(&export_to).unwrap();
    assert!(
        csv.starts_with("BKG_KEY") || csv.contains("BKG_KEY"),
        "{}",
        &csv[..200.min(csv.len())]
    );
}

#[test]
fn a_numeric_range_is_picked_on_the_fields_histogram() {
    let mut h = harness(Viewer::new());
    let (sites, layer) = layer_named(h.state(), "sites_fictional").unwrap();
    let field = layer.field_index("area_ha").unwrap();
    let expected = passing(layer, "area_ha >= 1 AND area_ha <= 5");
    assert!(expected > 3 && expected < 30, "{expected}");
    h.state_mut().command(Command::EditFilter(sites));
    h.step();
    h.settle();
    click_button(&mut h, "＋ 条件を追加");
    {
        let c = &mut h.state_mut().filter_panel.conditions[0];
        c.field = field;
        c.op = sitelens::app::Op::Range;
        c.value = "1".into();
        c.upper = "5".into();
    }
    h.settle();
    // The histogram's count before applying, then the filter's.
    h.get_by_label(&format!("{expected} 件が範囲内"));
    click_button(&mut h, "適用");
    let f = h
        .state()
        .doc
        .layer(sites)
        .unwrap()
        .filter
        .clone()
        .expect("applied");
    assert_eq!(f.ids.len(), expected);
    assert!(
        f.text.contains("\"area_ha\" >= 1 AND \"area_ha\" <= 5"),
        "{}",
        f.text
    );
}

/// The bug the document's layer ids fixed: the box-selection target and the open style editor
/// held layer positions, so after a layer below them was removed or moved they acted on
/// another layer. Driven through the window: remove and reorder from the layers panel, then
/// select by box and restyle.
#[test]
fn selection_tool_and_style_editor_follow_their_layer_after_remove_and_move() {
    let mut h = harness(Viewer::new());
    let (sites, _) = layer_named(h.state(), "sites_fictional").unwrap();
    let (ents, _) = layer_named(h.state(), "enterprises_fictional").unwrap();
    assert_eq!(h.state().drawing.target, Some(sites));
    // Open the enterprises' style editor.
    h.get_by_label("企業（架空） Enterprises (fictional sample)")
        .click_secondary();
    h.settle();
    h.get_by_label("スタイル").click();
    h.settle();
    // Remove the neighbouring cities (the bottom layer) from their context menu, and move the
    // zoning to the top.
    h.get_by_label("近隣市 Neighbouring cities")
        .click_secondary();
    h.settle();
    h.get_by_label("削除").click();
    h.settle();
    assert!(layer_named(h.state(), "neighbours_n03_2021_simplified").is_none());
    let (zoning, _) = layer_named(h.state(), "zoning_fictional").unwrap();
    let top = h.state().doc.layers().len() - 1;
    h.state_mut().command(
        Edit::Move {
            layer: zoning,
            to: top,
        }
        .into(),
    );
    h.settle();
    assert_eq!(h.state().doc.position(zoning), Some(top));

    // The style editor is still the enterprises'.
    assert_eq!(h.state().layers_panel.style_open, Some(ents));
    h.get_by_label("値で色分け");
    // Box selection still selects sites, exactly those in the box.
    box_selects_sites_in_the_middle(&mut h, sites);
}

/// At the default window size with the dock open, the map keeps at least half the width.
#[test]
fn the_map_keeps_half_the_default_window_with_the_dock_open() {
    let mut viewer = Viewer::new();
    viewer.dock.show(DockTab::Ranking);
    let mut h = harness_sized(viewer, Vec2::new(1280.0, 800.0));
    let map = h.state().map_rect.unwrap();
    assert!(map.width() >= 640.0, "map {} wide", map.width());
    // The identify tab too, with a site's long attributes.
    let (sites, _) = layer_named(h.state(), "sites_fictional").unwrap();
    h.state_mut().command(
        Edit::Select {
            layer: sites,
            feature: 0,
            zoom: false,
        }
        .into(),
    );
    h.settle();
    h.get_by_label("地物情報").click();
    h.settle();
    let map = h.state().map_rect.unwrap();
    assert!(map.width() >= 640.0, "map {} wide", map.width());
}

/// A layer is reordered by dragging its handle onto another row: it takes that row's place in
/// the drawing order.
#[test]
fn dragging_a_layer_row_reorders_the_drawing() {
    let mut h = harness(Viewer::new());
    let (neighbours, _) = layer_named(h.state(), "neighbours_n03_2021_simplified").unwrap();
    let (shelters, _) = layer_named(h.state(), "shelters_evacuation_132128").unwrap();
    let target = h.state().doc.position(shelters).unwrap();
    assert_eq!(h.state().doc.position(neighbours), Some(0));
    // Handles top to bottom: the last is the bottom layer's (the neighbouring cities).
    let mut handles: Vec<Pos2> = h
        .query_all_by_label("≡")
        .map(|n| n.rect().center())
        .collect();
    handles.sort_by(|a, b| a.y.total_cmp(&b.y));
    let from = *handles.last().unwrap();
    let to = h
        .get_by_label("表示 指定避難所 Evacuation shelters")
        .rect()
        .center();
    drag(&mut h, from, Pos2::new(from.x, to.y));
    assert_eq!(h.state().doc.position(neighbours), Some(target));
}

#[test]
fn publish_dialog_flags_terms_previews_and_writes_a_package() {
    let mut h = harness(Viewer::new());
    h.state_mut().command(Command::OpenPublish);
    h.step();
    h.settle();
    // The layers shown are ticked; the share-alike expressway and the fictional samples say
    // why they cannot go out as they are.
    assert_eq!(
        h.query_all_by_label_contains("share-alike").count(),
        2,
        "the CC BY-SA layers (expressway and interchanges) are not flagged"
    );
    assert_eq!(
        h.query_all_by_label_contains("架空のサンプルデータ：")
            .count(),
        3
    );
    let (shelters, _) = layer_named(h.state(), "shelters_evacuation_132128").unwrap();
    let (stations, _) = layer_named(h.state(), "stations_n02_2023").unwrap();
    {
        let d = &mut h.state_mut().publish_dialog;
        d.chosen = vec![shelters, stations];
        d.title = "日野市 指定避難所と駅".into();
        d.issued = "2026-12-01".into();
    }
    h.settle();
    assert_eq!(h.query_all_by_label_contains("share-alike").count(), 0);
    assert_eq!(h.state().publish_dialog.publisher, "日野市");
    h.get_by_label("プレビュー").scroll_to_me();
    h.settle();
    h.get_by_label("プレビュー").click();
    h.step();
    run_until(&mut h, |v| !v.publish_dialog.busy());
    let preview = h
        .state()
        .publish_dialog
        .preview
        .as_ref()
        .unwrap_or_else(|| panic!("no preview: {:?}", h.state().publish_dialog.result));
    let names: Vec<&str> = preview.files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(
        names.contains(&"data/shelters_evacuation_132128.csv"),
        "{names:?}"
    );
    assert!(preview.dcat.contains("dcat:Dataset"));
    assert!(
        preview
            .readme
            .contains("出典：国土数値情報（鉄道データ）（国土交通省）を加工して作成")
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("package.zip");
    h.state_mut().publish_dialog.path = out.display().to_string();
    h.settle();
    h.get_by_label("公開する").scroll_to_me();
    h.settle();
    h.get_by_label("公開する").click();
    h.step();
    run_until(&mut h, |v| !v.publish_dialog.busy());
    assert!(
        matches!(&h.state().publish_dialog.result, Some(Ok(_))),
        "{:?}",
        h.state().publish_dialog.result
    );
    let zip = std::fs::read(&out).unwrap();
    let members = crate::publish::zip_members(&zip);
    let csv = members
        .iter()
        .find(|(n, _)| n == "data/shelters_evacuation_132128.csv")
        .expect("the shelters' CSV");
    assert!(String::from_utf8_lossy(&csv.1).contains("東京都日野市"));
}
