//! The code systems zones are numbered in. They differ (8 is 近隣商業地域 in A29 and 田園住居地域 in
//! the 1–13 system; 21 is 田園住居地域 in A29 and 第一種中高層 in the two-digit scheme), so a code is
//! read only in the system of a recognised source.

use super::{Zone, ZoneKind};

/// One numbering of the zones: a column of [`CODES`].
#[derive(Debug)]
pub struct CodeSystem {
    /// Short id ("KSJ-UseDistrictCd").
    pub id: &'static str,
    /// What it is and where it is defined.
    pub name: &'static str,
    column: usize,
}

impl CodeSystem {
    /// The zone of `code`, `None` when the system has no such code.
    pub fn zone(&self, code: i64) -> Option<&'static Zone> {
        CODES
            .iter()
            .find(|(_, codes)| codes[self.column] == Some(code))
            .map(|(k, _)| k.zone())
    }

    /// Whether every code of `codes` is one of this system's.
    pub fn holds_all(&self, mut codes: impl Iterator<Item = i64>) -> bool {
        codes.all(|c| self.zone(c).is_some())
    }
}

/// Each zone's code in the three systems, side by side: [A29, 1–13, two-digit].
///
/// - A29: 国土数値情報 用途地域分類コード `UseDistrictCd` (A29_004, 2011 and 2019 editions): 1–12 in the
///   legal order without 田園住居, 21 田園住居地域 (2019 only: the zone exists since 2018), 99 不明.
///   `https://nlftp.mlit.go.jp/ksj/gml/codelist/UseDistrictCd.html` as scraped in
///   yutannihilation/kokudosuuchi-metadata `data/codelist/UseDistrictCd.csv`; the 2011 data is
///   styled 1–12 and 99 by a nationwide MVT built from A29-11 (research §1c). No other numbering
///   was found for 2011.
/// - 1–13: the legal order with 田園住居地域 at 8: PLATEAU `Common_districtsAndZonesType` 0–13
///   (0 用途地域の指定をしない区域; PLATEAU spec `docs/standard/_common_districtsandzonestype_xml.md`,
///   eukarya-inc/plateau-spec), which MLIT 都市計画決定GISデータ `YoutoCode` follows (MLIT-UP
///   converter `data/styles.json`: 「YoutoCode（1..13）」) and 不動産情報ライブラリ XKT002 `youto_id`
///   shares (real responses: 10 商業地域, 11 準工業地域; 8 was never observed there).
/// - two-digit: the municipal scheme (11…63, 71 無指定, 99 都市計画区域外) of per-municipality `youto`
///   shapefiles: ietty/maps `data/yoto_2018/add_convert_names.sql` (Tokyo) and a JS mapping with 45
///   田園住居 (research §4). It is often attributed to 都市計画基礎調査, which the research could not
///   confirm, so it is named for what it is.
const CODES: [(ZoneKind, [Option<i64>; 3]); 16] = {
    use ZoneKind::*;
    const fn c(a29: i64, d13: i64, two: i64) -> [Option<i64>; 3] {
        [Some(a29), Some(d13), Some(two)]
    }
    [
        (Low1, c(1, 1, 11)),
        (Low2, c(2, 2, 12)),
        (Mid1, c(3, 3, 21)),
        (Mid2, c(4, 4, 22)),
        (Res1, c(5, 5, 31)),
        (Res2, c(6, 6, 32)),
        (QuasiRes, c(7, 7, 40)),
        (Rural, c(21, 8, 45)),
        (NeighbourhoodCommercial, c(8, 9, 51)),
        (Commercial, c(9, 10, 52)),
        (QuasiIndustrial, c(10, 11, 61)),
        (Industrial, c(11, 12, 62)),
        (ExclusivelyIndustrial, c(12, 13, 63)),
        (Undesignated, [None, Some(0), Some(71)]),
        (Undesignated, [None, None, Some(99)]),
        (Unknown, [Some(99), None, None]),
    ]
};

/// 国土数値情報 用途地域分類コード (A29_004), the first column of [`CODES`].
pub static A29: CodeSystem = CodeSystem {
    id: "KSJ-UseDistrictCd",
    name: "国土数値情報 用途地域分類コード (UseDistrictCd: 1–12, 21 田園住居, 99 不明)",
    column: 0,
};

/// The 1–13 numbering of 都市計画決定GISデータ, 不動産情報ライブラリ and PLATEAU.
pub static DISTRICTS_1_13: CodeSystem = CodeSystem {
    id: "Common_districtsAndZonesType",
    name: "都市計画決定 1–13 (PLATEAU Common_districtsAndZonesType: 8 田園住居, 13 工業専用)",
    column: 1,
};

/// The two-digit municipal scheme.
pub static TWO_DIGIT: CodeSystem = CodeSystem {
    id: "municipal-2digit",
    name: "two-digit municipal 用途地域 code (11…63, 71 無指定, 99 都市計画区域外)",
    column: 2,
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
