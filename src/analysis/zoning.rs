//! 用途地域 (zoning): the 13 zones (+ unknown), their A29 codes and the JIS-like palette, and
//! recognising a zoning layer by its fields (../shared/DOMAIN.md: 国土数値情報 A29 codes and the
//! palette the R package geojp uses for A29).
//!
//! Other code systems circulate (MLIT 都市計画決定GIS `YoutoID` 1–13, 都市計画基礎調査 11…63), so a
//! zone is matched on its NAME first; a number is read only from A29's `A29_004`, whose code
//! system is known.

use crate::model::{Layer, Value};

/// One kind of zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    /// A29_004 code.
    pub a29_code: u8,
    pub name_ja: &'static str,
    pub name_en: &'static str,
    /// Map colour, sRGB.
    pub colour: [u8; 3],
    /// Zones where factories may be sited (準工業, 工業, 工業専用).
    pub industrial: bool,
}

const fn z(
    a29_code: u8,
    name_ja: &'static str,
    name_en: &'static str,
    hex: u32,
    industrial: bool,
) -> Zone {
    Zone {
        a29_code,
        name_ja,
        name_en,
        colour: [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8],
        industrial,
    }
}

/// The zones, in A29 code order (unknown last).
pub static ZONES: [Zone; 14] = [
    z(
        1,
        "第一種低層住居専用地域",
        "Category I exclusively low-rise residential",
        0x00BEA9,
        false,
    ),
    z(
        2,
        "第二種低層住居専用地域",
        "Category II exclusively low-rise residential",
        0x6AD5BD,
        false,
    ),
    z(
        3,
        "第一種中高層住居専用地域",
        "Category I exclusively medium-high residential",
        0xA8D666,
        false,
    ),
    z(
        4,
        "第二種中高層住居専用地域",
        "Category II exclusively medium-high residential",
        0xFAE294,
        false,
    ),
    z(
        5,
        "第一種住居地域",
        "Category I residential",
        0xF4E268,
        false,
    ),
    z(
        6,
        "第二種住居地域",
        "Category II residential",
        0xF8D79C,
        false,
    ),
    z(7, "準住居地域", "Quasi-residential", 0xFFB580, false),
    z(
        8,
        "近隣商業地域",
        "Neighbourhood commercial",
        0xF3A5B9,
        false,
    ),
    z(9, "商業地域", "Commercial", 0xEE534F, false),
    z(10, "準工業地域", "Quasi-industrial", 0xB3A8CB, true),
    z(11, "工業地域", "Industrial", 0x8AD0E4, true),
    z(12, "工業専用地域", "Exclusively industrial", 0x2CB3DE, true),
    z(21, "田園住居地域", "Rural residential", 0xF4B187, false),
    z(99, "不明", "Unknown", 0xFFFFFF, false),
];

/// Normalises the ways zone names are written: full-width and Arabic digits for 一/二
/// (第1種, 第１種), and a missing 地域 suffix.
fn normalise(name: &str) -> String {
    let mut s: String = name
        .trim()
        .chars()
        .map(|c| match c {
            '1' | '１' => '一',
            '2' | '２' => '二',
            c => c,
        })
        .collect();
    if !s.ends_with("地域") && !s.is_empty() {
        s.push_str("地域");
    }
    s
}

/// The zone a name denotes.
pub fn by_name(name: &str) -> Option<&'static Zone> {
    let n = normalise(name);
    ZONES.iter().find(|z| z.name_ja == n)
}

/// The zone of an A29_004 code.
pub fn by_a29_code(code: i64) -> Option<&'static Zone> {
    ZONES.iter().find(|z| i64::from(z.a29_code) == code)
}

/// Where a zoning layer keeps what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoningFields {
    /// Zone name (A29_005, 用途地域, 用途地域名).
    pub name: Option<usize>,
    /// A29_004 code.
    pub a29_code: Option<usize>,
    /// 建ぺい率 (%): A29_006, 建ぺい率, 建蔽率.
    pub coverage: Option<usize>,
    /// 容積率 (%): A29_007, 容積率.
    pub floor_area_ratio: Option<usize>,
}

impl ZoningFields {
    /// Recognises a zoning layer: an A29_004 field, or a zone-name field whose values are zone
    /// names (at least half of those that are set) in a layer whose features are not individually
    /// named: a site list with a 用途地域 column (and a 名称) is not zoning.
    pub fn detect(layer: &Layer) -> Option<ZoningFields> {
        let find = |names: &[&str]| {
            layer
                .fields
                .iter()
                .position(|f| names.iter().any(|n| f.name.eq_ignore_ascii_case(n)))
        };
        let fields = ZoningFields {
            name: find(&["A29_005", "用途地域", "用途地域名", "youto_name"]),
            a29_code: find(&["A29_004"]),
            coverage: find(&["A29_006", "建ぺい率", "建蔽率"]),
            floor_area_ratio: find(&["A29_007", "容積率"]),
        };
        if fields.a29_code.is_some() {
            return Some(fields);
        }
        let column = fields.name?;
        if find(&["名称", "name", "施設名", "site_name", "事業所名"]).is_some() {
            return None;
        }
        let names: Vec<&str> = layer
            .features
            .iter()
            .filter_map(|f| f.values.get(column)?.as_str())
            .collect();
        let known = names.iter().filter(|n| by_name(n).is_some()).count();
        (!names.is_empty() && known * 2 >= names.len()).then_some(fields)
    }

    /// The zone of a feature: by name first, then by A29 code.
    pub fn zone(&self, values: &[Value]) -> Option<&'static Zone> {
        let by_name = self
            .name
            .and_then(|c| values.get(c)?.as_str())
            .and_then(by_name);
        by_name.or_else(|| {
            let v = values.get(self.a29_code?)?;
            let code = v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())?;
            by_a29_code(code as i64)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_their_written_variants() {
        assert_eq!(
            by_name("第1種低層住居専用地域").map(|z| z.a29_code),
            Some(1)
        );
        assert_eq!(by_name("第２種住居地域").map(|z| z.a29_code), Some(6));
        assert_eq!(by_name("工業専用").map(|z| z.a29_code), Some(12));
        assert_eq!(by_name("準工業地域").map(|z| z.industrial), Some(true));
        assert_eq!(by_name("市街化調整区域"), None);
        assert_eq!(by_a29_code(21).map(|z| z.name_ja), Some("田園住居地域"));
        assert_eq!(by_a29_code(11).map(|z| z.colour), Some([0x8A, 0xD0, 0xE4]));
    }
}
