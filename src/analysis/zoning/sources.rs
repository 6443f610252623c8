//! The national sources of zoning layers, each with the fields that identify it, the fields it
//! keeps the zone and the ratios in, and the code system of its codes. [`SOURCES`] is tried in
//! order; the first whose signature a layer carries is the layer's source.
//!
//! Facts from the research notes for issue #14 (cited per source below); "confirmed" there means
//! read in an official page or a real file, "reported" that public code reading the data says so.

use super::codes::{self, CodeSystem};

/// One source of zoning layers.
#[derive(Debug)]
pub struct ZoningSource {
    /// Short id, as `info` prints it ("A29-2019").
    pub id: &'static str,
    /// Who publishes it and what it is.
    pub name: &'static str,
    /// The CRS it ships in.
    pub crs: &'static str,
    /// Fields that identify it: a layer with `field` (and, when `with_any` is not empty, one of
    /// those too) is this source.
    pub signature: &'static [Signature],
    /// Fields holding the zone's name, first found is read.
    pub name_fields: &'static [&'static str],
    /// Fields holding the zone's code (read in `codes`).
    pub code_fields: &'static [&'static str],
    /// The numbering of its codes; `None`: codes are not read.
    pub codes: Option<&'static CodeSystem>,
    /// 建蔽率 (%) fields.
    pub coverage_fields: &'static [&'static str],
    /// 容積率 (%) fields.
    pub floor_area_fields: &'static [&'static str],
    /// Fields holding both ("60/200"), and whether 容積率 comes first in them.
    pub pair_fields: &'static [(&'static str, bool)],
    /// The value its ratio fields give for "unknown".
    pub unknown_ratio: Option<f64>,
    /// What else must hold of the values (two-digit codes, zone names).
    pub check: Check,
}

/// A field that identifies a source, alone or with one of others.
#[derive(Debug)]
pub struct Signature {
    pub field: &'static str,
    pub with_any: &'static [&'static str],
}

/// What a source's values must show besides its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The fields are enough.
    Fields,
    /// The code field's values all belong to the two-digit scheme, and not only to its codes
    /// that A29 shares.
    TwoDigitCodes,
    /// At least half of the name field's values are zone names, in a layer that does not name
    /// its features one by one (a site list with a 用途地域 column is not zoning).
    ZoneNames,
}

const fn sig(field: &'static str, with_any: &'static [&'static str]) -> Signature {
    Signature { field, with_any }
}

const A29_2011_ONLY: &[&str] = &["A29_009", "A29_010"];

/// An A29 edition: both keep the zone in A29_005 (name) and A29_004 (UseDistrictCd), the ratios
/// in A29_006/A29_007 as integer %, with 9999 for unknown (KSJ-A29 page: 「不明の時は'9999'とする」).
const fn a29(
    id: &'static str,
    name: &'static str,
    crs: &'static str,
    signature: &'static [Signature],
) -> ZoningSource {
    ZoningSource {
        id,
        name,
        crs,
        signature,
        name_fields: &["A29_005"],
        code_fields: &["A29_004"],
        codes: Some(&codes::A29),
        coverage_fields: &["A29_006"],
        floor_area_fields: &["A29_007"],
        pair_fields: &[],
        unknown_ratio: Some(9999.0),
        check: Check::Fields,
    }
}

/// The sources, tried in this order.
pub static SOURCES: [ZoningSource; 7] = [
    // 国土数値情報 A29 (2011, 平成23年度): A29_001…A29_010, A29_008 総括図作成団体名, A29_009
    // 総括図作成年, A29_010 備考; JGD2000 (EPSG:4612); .dbf in CP932 without .cpg. KSJ-A29 page
    // (座標系 row), the v1.0 attribute table transcribed from A29-11_27.xml, ietty/maps
    // data/yoto/rename.sql (research §1a, §1b).
    a29(
        "A29-2011",
        "国土数値情報 用途地域 A29 (2011, 平成23年度)",
        "EPSG:4612 (JGD2000 lon/lat)",
        &[sig("A29_005", A29_2011_ONLY), sig("A29_004", A29_2011_ONLY)],
    ),
    // 国土数値情報 A29 (2019, 令和元年度): A29_001…A29_008, A29_008 備考 (no A29_009); JGD2011
    // (EPSG:6668); one Shapefile (CP932) and GeoJSON per municipality. KSJ-A29 page
    // (KotobaMedia/jpksj-to-sql test_data/fixtures/ksj/KsjTmplt-A29-2019.html).
    a29(
        "A29-2019",
        "国土数値情報 用途地域 A29 (2019, 令和元年度)",
        "EPSG:6668 (JGD2011 lon/lat)",
        &[sig("A29_005", &[]), sig("A29_004", &[])],
    ),
    // MLIT 都市計画決定GISデータ (and its KSJ twin A55), theme `youto`: Pref, Citycode, Cityname,
    // YoutoName, YoutoCode (1–13), FAR 容積率, BCR 建蔽率 ("200" and "200.0" both occur); EPSG:6668.
    // shiwaku/mlit-urban-planning-converter data/styles.json attributeLabels, config.py
    // SOURCE_EPSG, viewer/src/theme.ts (research §2). There is no `YoutoID` field.
    ZoningSource {
        id: "MLIT-UPD",
        name: "都市計画決定GISデータ 用途地域 (国土交通省; 国土数値情報 A55)",
        crs: "EPSG:6668 (JGD2011 lon/lat)",
        signature: &[
            sig("YoutoName", &[]),
            sig("YoutoCode", &["FAR", "BCR", "Citycode", "Cityname", "Pref"]),
        ],
        name_fields: &["YoutoName"],
        code_fields: &["YoutoCode"],
        codes: Some(&codes::DISTRICTS_1_13),
        coverage_fields: &["BCR"],
        floor_area_fields: &["FAR"],
        pair_fields: &[],
        unknown_ratio: None,
        check: Check::Fields,
    },
    // 不動産情報ライブラリ API XKT002 (用途地域), GeoJSON: youto_id (1–13), use_area_ja (full-width
    // digits: 第１種低層住居専用地域), u_floor_area_ratio_ja / u_building_coverage_ratio_ja ("600.0%",
    // "80%"), prefecture, city_code, city_name, _index "bs001_use_area_…"; lon/lat. reinfolib
    // manual https://www.reinfolib.mlit.go.jp/help/apiManual/xkt002/ and a real Tokyo z14 response
    // in ishibashm/portfolio (research §3).
    ZoningSource {
        id: "reinfolib-XKT002",
        name: "不動産情報ライブラリ API XKT002 用途地域 (国土交通省)",
        crs: "EPSG:4326 (lon/lat degrees, JGD2011 ≈ WGS84)",
        signature: &[
            sig("use_area_ja", &[]),
            sig(
                "youto_id",
                &[
                    "u_floor_area_ratio_ja",
                    "u_building_coverage_ratio_ja",
                    "_index",
                ],
            ),
        ],
        name_fields: &["use_area_ja"],
        code_fields: &["youto_id"],
        codes: Some(&codes::DISTRICTS_1_13),
        coverage_fields: &["u_building_coverage_ratio_ja"],
        floor_area_fields: &["u_floor_area_ratio_ja"],
        pair_fields: &[],
        unknown_ratio: None,
        check: Check::Fields,
    },
    // PLATEAU urf:UseDistrict as PLATEAU GIS Converter writes it: `function` (Code[] as JSON:
    // the label, or the code of Common_districtsAndZonesType), floorAreaRate / buildingCoverageRate
    // (GeoJSON, GeoPackage) or flrArRate / CovRate (Shapefile), integer %. PLATEAU spec
    // docs/standard/_urfusedistrict.md; MIERUNE/plateau-gis-converter
    // docs/manual/mapping_rules/geojson.md and shapefile.md (research §5a). CityGML itself
    // (EPSG:6697, lat lon) is not read by sitelens.
    ZoningSource {
        id: "PLATEAU-urf",
        name: "PLATEAU 3D都市モデル urf:UseDistrict (PLATEAU GIS Converter output)",
        crs: "EPSG:4326 as converted (CityGML: EPSG:6697)",
        signature: &[sig(
            "function",
            &[
                "floorAreaRate",
                "buildingCoverageRate",
                "flrArRate",
                "CovRate",
            ],
        )],
        name_fields: &["function"],
        code_fields: &["function"],
        codes: Some(&codes::DISTRICTS_1_13),
        coverage_fields: &["buildingCoverageRate", "CovRate"],
        floor_area_fields: &["floorAreaRate", "flrArRate"],
        pair_fields: &[],
        unknown_ratio: None,
        check: Check::Fields,
    },
    // Per-municipality `youto` shapefiles with the two-digit scheme (11…63, 71, 99), often beside
    // `tokei` and `bouka`; CP932. ietty/maps data/yoto_2018/add_convert_names.sql (research §4).
    // The ratio field names `kenpei`/`yoseki` are the research's guess, not seen in those files.
    ZoningSource {
        id: "municipal-2digit",
        name: "市区町村の用途地域 (two-digit code youto: 11…63)",
        crs: "as its .prj says (one copy was Tokyo Datum, EPSG:4301)",
        signature: &[sig("youto", &[])],
        name_fields: &[],
        code_fields: &["youto"],
        codes: Some(&codes::TWO_DIGIT),
        coverage_fields: &["kenpei", "建蔽率", "建ぺい率"],
        floor_area_fields: &["yoseki", "容積率"],
        pair_fields: &[],
        unknown_ratio: None,
        check: Check::TwoDigitCodes,
    },
    // Any other table with a zone-name column (a city's own export, a hand-made table): the
    // names in any spelling of `names.rs`, ratios under their Japanese names or common English
    // ones, alone or as a pair "60/200".
    ZoningSource {
        id: "name-field",
        name: "用途地域名の列 (a zone-name field)",
        crs: "as its file says",
        signature: &[],
        name_fields: &[
            "用途地域",
            "用途地域名",
            "用途地域名称",
            "用途地域の種類",
            "用途区分",
            "用途地域区分",
            "youto_name",
            "yoto_name",
            "zone_name",
            "zoning",
        ],
        code_fields: &[],
        codes: None,
        coverage_fields: &[
            "建蔽率",
            "建ぺい率",
            "指定建蔽率",
            "指定建ぺい率",
            "kenpei",
            "bcr",
            "building_coverage",
            "coverage",
            "coverage_pct",
        ],
        floor_area_fields: &[
            "容積率",
            "指定容積率",
            "yoseki",
            "far",
            "floor_area_ratio",
            "floor_area_pct",
        ],
        pair_fields: &[
            ("建蔽率/容積率", false),
            ("建ぺい率/容積率", false),
            ("建蔽率・容積率", false),
            ("建ぺい率・容積率", false),
            ("容積率/建蔽率", true),
            ("容積率/建ぺい率", true),
            ("容積率・建蔽率", true),
        ],
        unknown_ratio: None,
        check: Check::ZoneNames,
    },
];

/// The source with this id.
pub fn by_id(id: &str) -> Option<&'static ZoningSource> {
    SOURCES.iter().find(|s| s.id == id)
}

/// The fields recognition looks for (the signatures and zone-name fields of every source), as
/// a warning lists them.
pub fn looked_for() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for s in &SOURCES {
        let fields = s.name_fields.iter().chain(s.code_fields);
        for f in s.signature.iter().map(|g| &g.field).chain(fields) {
            if !out.contains(f) {
                out.push(f);
            }
        }
    }
    out
}

/// [`looked_for`] as a warning says it: the zone-name fields of the last source cut to three.
pub fn looked_for_text() -> String {
    let all = looked_for();
    let generic = SOURCES.last().map_or(0, |s| s.name_fields.len());
    let shown = all.len() - generic.saturating_sub(3);
    let mut text = all[..shown].join("/");
    if shown < all.len() {
        text.push_str("/…");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_the_list_names_the_sources_fields() {
        for (i, s) in SOURCES.iter().enumerate() {
            assert!(SOURCES[..i].iter().all(|o| o.id != s.id), "{}", s.id);
            assert_eq!(by_id(s.id).map(|b| b.id), Some(s.id));
        }
        let fields = looked_for();
        for f in [
            "A29_005",
            "A29_004",
            "YoutoName",
            "use_area_ja",
            "youto",
            "用途地域",
        ] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        assert_eq!(fields[..2], ["A29_005", "A29_004"]);
        assert_eq!(
            looked_for_text(),
            "A29_005/A29_004/YoutoName/YoutoCode/use_area_ja/youto_id/function/youto/用途地域/\
             用途地域名/用途地域名称/…"
        );
    }
}
