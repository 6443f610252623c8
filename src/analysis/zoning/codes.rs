//! The code systems zones are numbered in. They differ (8 is 近隣商業地域 in A29 and 田園住居地域 in
//! the 1–13 system; 21 is 田園住居地域 in A29 and 第一種中高層 in the two-digit scheme), so a code is
//! read only in the system of a recognised source.

use super::{Zone, ZoneKind};

/// One numbering of the zones.
#[derive(Debug)]
pub struct CodeSystem {
    /// Short id ("KSJ-UseDistrictCd").
    pub id: &'static str,
    /// What it is and where it is defined.
    pub name: &'static str,
    codes: &'static [(i64, ZoneKind)],
}

impl CodeSystem {
    /// The zone of `code`, `None` when the system has no such code.
    pub fn zone(&self, code: i64) -> Option<&'static Zone> {
        self.codes
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, k)| k.zone())
    }

    /// Whether every code of `codes` is one of this system's.
    pub fn holds_all(&self, mut codes: impl Iterator<Item = i64>) -> bool {
        codes.all(|c| self.codes.iter().any(|(k, _)| *k == c))
    }
}

/// 国土数値情報 用途地域分類コード `UseDistrictCd` (A29_004, 2011 and 2019 editions): 1–12 in the
/// legal order without 田園住居, 21 田園住居地域 (2019 only: the zone exists since 2018), 99 不明.
/// Source: `https://nlftp.mlit.go.jp/ksj/gml/codelist/UseDistrictCd.html` as scraped in
/// yutannihilation/kokudosuuchi-metadata `data/codelist/UseDistrictCd.csv`; the 2011 data styled
/// 1–12 and 99 by a nationwide MVT built from A29-11 (research §1c). No other numbering was found
/// for 2011.
pub static A29: CodeSystem = {
    use ZoneKind::*;
    CodeSystem {
        id: "KSJ-UseDistrictCd",
        name: "国土数値情報 用途地域分類コード (UseDistrictCd: 1–12, 21 田園住居, 99 不明)",
        codes: &[
            (1, Low1),
            (2, Low2),
            (3, Mid1),
            (4, Mid2),
            (5, Res1),
            (6, Res2),
            (7, QuasiRes),
            (8, NeighbourhoodCommercial),
            (9, Commercial),
            (10, QuasiIndustrial),
            (11, Industrial),
            (12, ExclusivelyIndustrial),
            (21, Rural),
            (99, Unknown),
        ],
    }
};

/// The 1–13 numbering in the legal order with 田園住居地域 at 8: PLATEAU
/// `Common_districtsAndZonesType` 0–13 (0 用途地域の指定をしない区域; PLATEAU spec
/// `docs/standard/_common_districtsandzonestype_xml.md`, eukarya-inc/plateau-spec), which MLIT
/// 都市計画決定GISデータ `YoutoCode` follows (MLIT-UP converter `data/styles.json`: 「YoutoCode（1..13）」)
/// and 不動産情報ライブラリ XKT002 `youto_id` shares (real responses: 10 商業地域, 11 準工業地域;
/// 8 was never observed there).
pub static DISTRICTS_1_13: CodeSystem = {
    use ZoneKind::*;
    CodeSystem {
        id: "Common_districtsAndZonesType",
        name: "都市計画決定 1–13 (PLATEAU Common_districtsAndZonesType: 8 田園住居, 13 工業専用)",
        codes: &[
            (0, Undesignated),
            (1, Low1),
            (2, Low2),
            (3, Mid1),
            (4, Mid2),
            (5, Res1),
            (6, Res2),
            (7, QuasiRes),
            (8, Rural),
            (9, NeighbourhoodCommercial),
            (10, Commercial),
            (11, QuasiIndustrial),
            (12, Industrial),
            (13, ExclusivelyIndustrial),
        ],
    }
};

/// The two-digit municipal scheme (11…63, 71 無指定, 99 都市計画区域外) of per-municipality `youto`
/// shapefiles: ietty/maps `data/yoto_2018/add_convert_names.sql` (Tokyo) and a JS mapping with 45
/// 田園住居 (research §4). It is often attributed to 都市計画基礎調査, which the research could not
/// confirm, so it is named for what it is.
pub static TWO_DIGIT: CodeSystem = {
    use ZoneKind::*;
    CodeSystem {
        id: "municipal-2digit",
        name: "two-digit municipal 用途地域 code (11…63, 71 無指定, 99 都市計画区域外)",
        codes: &[
            (11, Low1),
            (12, Low2),
            (21, Mid1),
            (22, Mid2),
            (31, Res1),
            (32, Res2),
            (40, QuasiRes),
            (45, Rural),
            (51, NeighbourhoodCommercial),
            (52, Commercial),
            (61, QuasiIndustrial),
            (62, Industrial),
            (63, ExclusivelyIndustrial),
            (71, Undesignated),
            (99, Undesignated),
        ],
    }
};

/// The two-digit codes A29 can also produce: a layer holding only these is ambiguous.
pub const TWO_DIGIT_AMBIGUOUS: [i64; 4] = [11, 12, 21, 99];

#[cfg(test)]
mod tests {
    use super::*;

    fn name(system: &CodeSystem, code: i64) -> Option<&'static str> {
        system.zone(code).map(|z| z.name_ja)
    }

    #[test]
    fn the_numberings_part_from_8_up() {
        assert_eq!(name(&A29, 8), Some("近隣商業地域"));
        assert_eq!(name(&DISTRICTS_1_13, 8), Some("田園住居地域"));
        assert_eq!(name(&A29, 9), Some("商業地域"));
        assert_eq!(name(&DISTRICTS_1_13, 10), Some("商業地域"));
        assert_eq!(name(&A29, 12), Some("工業専用地域"));
        assert_eq!(name(&DISTRICTS_1_13, 13), Some("工業専用地域"));
        assert_eq!(name(&A29, 13), None);
        assert_eq!(name(&A29, 21), Some("田園住居地域"));
        assert_eq!(name(&TWO_DIGIT, 21), Some("第一種中高層住居専用地域"));
        assert_eq!(name(&A29, 99), Some("不明"));
        assert_eq!(name(&TWO_DIGIT, 99), Some("用途地域の指定のない区域"));
        assert_eq!(name(&TWO_DIGIT, 63), Some("工業専用地域"));
        for code in 1..=7 {
            assert_eq!(A29.zone(code), DISTRICTS_1_13.zone(code), "{code}");
        }
        assert!(TWO_DIGIT.holds_all([11, 61, 99].into_iter()));
        assert!(!TWO_DIGIT.holds_all([11, 5].into_iter()));
    }
}
