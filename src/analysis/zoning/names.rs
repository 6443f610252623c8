//! Zone names as the sources write them: the official name in three digit styles, without
//! 地域, with spaces, and the common abbreviations.
//!
//! Spellings (research notes for issue #14, §7):
//! - kanji numerals 第一種低層住居専用地域: 国土数値情報 A29 `A29_005` (KSJ code list
//!   `UseDistrictCd`);
//! - half-width Arabic 第1種低層住居専用地域: PLATEAU `Common_districtsAndZonesType` labels;
//! - full-width Arabic 第１種低層住居専用地域: 不動産情報ライブラリ XKT002 `use_area_ja` (real responses
//!   quoted by ishibashm/portfolio).
//!
//! Abbreviations: 地価公示 L01/L02 用途区分 (1低専, 2低専, 1中専, 2中専, 1住居, 2住居, 準住居, 近商, 商業,
//! 準工, 工業, 工専, 田園住; kokudosuuchi-metadata `data/colnames_positional/L01.csv`), the
//! 都市計画総括図 stamps (1種低住, 1種中高, 1種住, …; MLIT-UP converter `data/styles.json`), and forms
//! seen in municipal tables (一低層, 一中高, 1低, 準工, 工専, 田住, …). The pre-1992 zones
//! (第一種住居専用地域, 住居地域, 1住専, 住専) are not today's zones and are not read as any of them.

use super::{Zone, ZoneKind};

/// The zone a name denotes, in any of the spellings above; `None` for anything else (市街化調整区域,
/// an old zone, a number).
///
/// ```
/// use sitelens::analysis::zoning::by_name;
/// assert_eq!(by_name("第１種低層住居専用地域").unwrap().name_ja, "第一種低層住居専用地域");
/// assert_eq!(by_name("準工").unwrap().name_ja, "準工業地域");
/// assert!(by_name("市街化調整区域").is_none());
/// ```
pub fn by_name(name: &str) -> Option<&'static Zone> {
    let folded = fold(name);
    if folded.is_empty() {
        return None;
    }
    if let Some((_, kind)) = NAMES.iter().find(|(n, _)| *n == folded) {
        return Some(kind.zone());
    }
    let trimmed = name.trim();
    super::ZONES
        .iter()
        .find(|z| z.name_en.eq_ignore_ascii_case(trimmed))
}

/// Folds the ways one name is written onto one key: full-width letters and digits to ASCII,
/// spaces out, 一/二 (and the Ⅰ/Ⅱ and katakana ニ sometimes typed for them) to 1/2, 第 dropped,
/// and a trailing 地域 dropped.
pub fn fold(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            // Full-width ASCII (U+FF01–U+FF5E) to ASCII.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '一' | 'Ⅰ' => '1',
            '二' | 'Ⅱ' => '2',
            c => c,
        })
        .filter(|&c| c != '第')
        .collect();
    s = s.replace("ニ種", "2種");
    if let Some(stem) = s.strip_suffix("地域")
        && !stem.is_empty()
    {
        s.truncate(stem.len());
    }
    s
}

/// Folded spellings and the zone they name.
const NAMES: &[(&str, ZoneKind)] = {
    use ZoneKind::*;
    &[
        ("1種低層住居専用", Low1),
        ("1低専", Low1),
        ("1低層", Low1),
        ("1低", Low1),
        ("1種低層", Low1),
        ("1種低住", Low1),
        ("1種低専", Low1),
        ("1低住専", Low1),
        ("2種低層住居専用", Low2),
        ("2低専", Low2),
        ("2低層", Low2),
        ("2低", Low2),
        ("2種低層", Low2),
        ("2種低住", Low2),
        ("2種低専", Low2),
        ("2低住専", Low2),
        ("1種中高層住居専用", Mid1),
        ("1中専", Mid1),
        ("1中高", Mid1),
        ("1中高層", Mid1),
        ("1中", Mid1),
        ("1種中高", Mid1),
        ("1種中高層", Mid1),
        ("1中高専", Mid1),
        ("1種中専", Mid1),
        ("2種中高層住居専用", Mid2),
        ("2中専", Mid2),
        ("2中高", Mid2),
        ("2中高層", Mid2),
        ("2中", Mid2),
        ("2種中高", Mid2),
        ("2種中高層", Mid2),
        ("2中高専", Mid2),
        ("2種中専", Mid2),
        ("1種住居", Res1),
        ("1住居", Res1),
        ("1住", Res1),
        ("1種住", Res1),
        ("2種住居", Res2),
        ("2住居", Res2),
        ("2住", Res2),
        ("2種住", Res2),
        ("準住居", QuasiRes),
        ("準住", QuasiRes),
        ("田園住居", Rural),
        ("田園住", Rural),
        ("田住", Rural),
        ("近隣商業", NeighbourhoodCommercial),
        ("近商", NeighbourhoodCommercial),
        ("商業", Commercial),
        ("準工業", QuasiIndustrial),
        ("準工", QuasiIndustrial),
        ("工業", Industrial),
        ("工業専用", ExclusivelyIndustrial),
        ("工専", ExclusivelyIndustrial),
        // PLATEAU code 0, the two-digit scheme's 71 and 99 (research §4, §5a).
        ("用途地域の指定をしない区域", Undesignated),
        ("用途地域の指定のない区域", Undesignated),
        ("用途地域指定なし", Undesignated),
        ("無指定", Undesignated),
        ("指定なし", Undesignated),
        ("都市計画区域外", Undesignated),
        ("不明", Unknown),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<&'static str> {
        by_name(s).map(|z| z.name_ja)
    }

    #[test]
    fn the_three_digit_styles_are_one_zone() {
        for s in [
            "第一種低層住居専用地域",
            "第1種低層住居専用地域",
            "第１種低層住居専用地域",
            "第Ⅰ種低層住居専用地域",
            " 第 1 種低層住居専用地域 ",
            "第１種低層住居専用",
        ] {
            assert_eq!(name(s), Some("第一種低層住居専用地域"), "{s}");
        }
        assert_eq!(
            name("第２種中高層住居専用地域"),
            Some("第二種中高層住居専用地域")
        );
        assert_eq!(name("第ニ種住居地域"), Some("第二種住居地域"));
        assert_eq!(name("第2種住居地域"), Some("第二種住居地域"));
        assert_eq!(name("工業専用"), Some("工業専用地域"));
        assert_eq!(name("Industrial"), Some("工業地域"));
    }

    #[test]
    fn abbreviations_name_their_zones() {
        let cases = [
            ("1低専", "第一種低層住居専用地域"),
            ("一低層", "第一種低層住居専用地域"),
            ("１低", "第一種低層住居専用地域"),
            ("1種低住", "第一種低層住居専用地域"),
            ("2低専", "第二種低層住居専用地域"),
            ("二低層", "第二種低層住居専用地域"),
            ("1中専", "第一種中高層住居専用地域"),
            ("一中高", "第一種中高層住居専用地域"),
            ("1種中高", "第一種中高層住居専用地域"),
            ("2中高", "第二種中高層住居専用地域"),
            ("1住居", "第一種住居地域"),
            ("一住居", "第一種住居地域"),
            ("2住", "第二種住居地域"),
            ("準住居", "準住居地域"),
            ("田園住", "田園住居地域"),
            ("田住", "田園住居地域"),
            ("近商", "近隣商業地域"),
            ("商業", "商業地域"),
            ("準工", "準工業地域"),
            ("工業", "工業地域"),
            ("工専", "工業専用地域"),
            ("無指定", "用途地域の指定のない区域"),
            ("用途地域の指定をしない区域", "用途地域の指定のない区域"),
            ("不明", "不明"),
        ];
        for (abbreviation, full) in cases {
            assert_eq!(name(abbreviation), Some(full), "{abbreviation}");
        }
    }

    #[test]
    fn what_is_not_a_zone_today_is_none() {
        for s in [
            "市街化調整区域",
            "第一種住居専用地域",
            "住居地域",
            "1住専",
            "住専",
            "8",
            "",
            "   ",
            "地域",
        ] {
            assert_eq!(name(s), None, "{s:?}");
        }
    }

    #[test]
    fn every_zone_reads_back_from_its_name_and_abbreviation() {
        for zone in &super::super::ZONES {
            assert_eq!(by_name(zone.name_ja), Some(zone));
            assert_eq!(by_name(zone.short_ja), Some(zone), "{}", zone.short_ja);
        }
    }
}
