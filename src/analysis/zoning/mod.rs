//! 用途地域 (zoning): the zones and their palette, and recognising a zoning layer as one of the
//! national sources hands it out.
//!
//! One path for every user of zoning (the viewer's palette and legend, the site metrics, the
//! ranking, the incentive rules, `info`): [`recognise`] names the source of a layer
//! ([`ZoningSource`]: 国土数値情報 A29 2011 or 2019, MLIT 都市計画決定GISデータ, 不動産情報ライブラリ
//! XKT002, PLATEAU urf:UseDistrict, the two-digit municipal scheme, or a plain name field) and the
//! fields it reads, or says why it cannot ([`NotRecognised`]). A feature's zone is read from its
//! NAME first ([`names`]: 第一種/第1種/第１種, abbreviations such as 1低専 or 準工), and from a
//! CODE only in the code system of the recognised source ([`codes`]: the numberings differ from 8
//! up). Ratios are read from numbers or text ([`ratio`]: "60", "60%", "６０％", "60/200").
//!
//! Where each fact comes from is cited beside it; the research notes behind them are summarised in
//! README.md ("Zoning sources").

pub mod codes;
pub mod names;
pub mod ratio;
mod read;
mod recognise;
pub mod sources;

pub use codes::CodeSystem;
pub use names::by_name;
pub use read::{FeatureZone, Ratios, Recognised};
pub use recognise::{Column, NotRecognised, Recognition, recognise};
pub use sources::{SOURCES, ZoningSource};

/// Which zone a [`Zone`] is; the index of its entry in [`ZONES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ZoneKind {
    Low1,
    Low2,
    Mid1,
    Mid2,
    Res1,
    Res2,
    QuasiRes,
    Rural,
    NeighbourhoodCommercial,
    Commercial,
    QuasiIndustrial,
    Industrial,
    ExclusivelyIndustrial,
    /// Land with no 用途地域 designated (用途地域の指定のない区域, 無指定, outside the planning area).
    Undesignated,
    /// 不明: the source says the zone is unknown (A29 code 99).
    Unknown,
}

impl ZoneKind {
    /// Its zone (name, colour, industrial).
    pub fn zone(self) -> &'static Zone {
        &ZONES[self as usize]
    }
}

/// One kind of zone, as the map and the metrics show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone {
    pub kind: ZoneKind,
    /// The official name (建築基準法 / 都市計画法 wording, kanji numerals as in A29).
    pub name_ja: &'static str,
    pub name_en: &'static str,
    /// The 地価公示 abbreviation (1低専, 準工, …), or the name when it has none.
    pub short_ja: &'static str,
    /// Map colour, sRGB.
    pub colour: [u8; 3],
    /// Zones where factories may be sited (準工業, 工業, 工業専用).
    pub industrial: bool,
}

impl Zone {
    /// Its place in the legend (the legal order of the zones, then undesignated and unknown).
    pub fn order(&self) -> usize {
        self.kind as usize
    }
}

const fn z(
    kind: ZoneKind,
    name_ja: &'static str,
    name_en: &'static str,
    short_ja: &'static str,
    hex: u32,
    industrial: bool,
) -> Zone {
    Zone {
        kind,
        name_ja,
        name_en,
        short_ja,
        colour: [(hex >> 16) as u8, (hex >> 8) as u8, hex as u8],
        industrial,
    }
}

/// The zones in the legal order (田園住居 after 準住居, as 都市計画法 §8 and the 1–13 numbering list
/// them), then undesignated land and unknown. Colours: the JIS-like palette the R package geojp
/// uses for A29; undesignated land is light grey (no palette gives it a colour).
/// Abbreviations: 地価公示 L01 用途区分 (kokudosuuchi-metadata `data/colnames_positional/L01.csv`).
pub static ZONES: [Zone; 15] = {
    use ZoneKind::*;
    [
        z(
            Low1,
            "第一種低層住居専用地域",
            "Category I exclusively low-rise residential",
            "1低専",
            0x00BEA9,
            false,
        ),
        z(
            Low2,
            "第二種低層住居専用地域",
            "Category II exclusively low-rise residential",
            "2低専",
            0x6AD5BD,
            false,
        ),
        z(
            Mid1,
            "第一種中高層住居専用地域",
            "Category I exclusively medium-high residential",
            "1中専",
            0xA8D666,
            false,
        ),
        z(
            Mid2,
            "第二種中高層住居専用地域",
            "Category II exclusively medium-high residential",
            "2中専",
            0xFAE294,
            false,
        ),
        z(
            Res1,
            "第一種住居地域",
            "Category I residential",
            "1住居",
            0xF4E268,
            false,
        ),
        z(
            Res2,
            "第二種住居地域",
            "Category II residential",
            "2住居",
            0xF8D79C,
            false,
        ),
        z(
            QuasiRes,
            "準住居地域",
            "Quasi-residential",
            "準住居",
            0xFFB580,
            false,
        ),
        z(
            Rural,
            "田園住居地域",
            "Rural residential",
            "田園住",
            0xF4B187,
            false,
        ),
        z(
            NeighbourhoodCommercial,
            "近隣商業地域",
            "Neighbourhood commercial",
            "近商",
            0xF3A5B9,
            false,
        ),
        z(
            Commercial,
            "商業地域",
            "Commercial",
            "商業",
            0xEE534F,
            false,
        ),
        z(
            QuasiIndustrial,
            "準工業地域",
            "Quasi-industrial",
            "準工",
            0xB3A8CB,
            true,
        ),
        z(Industrial, "工業地域", "Industrial", "工業", 0x8AD0E4, true),
        z(
            ExclusivelyIndustrial,
            "工業専用地域",
            "Exclusively industrial",
            "工専",
            0x2CB3DE,
            true,
        ),
        z(
            Undesignated,
            "用途地域の指定のない区域",
            "No zone designated",
            "無指定",
            0xDDDDDD,
            false,
        ),
        z(Unknown, "不明", "Unknown", "不明", 0xFFFFFF, false),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_zone_sits_at_its_kind() {
        for (i, zone) in ZONES.iter().enumerate() {
            assert_eq!(zone.kind as usize, i, "{}", zone.name_ja);
            assert_eq!(zone.kind.zone(), zone);
        }
        assert_eq!(ZoneKind::Industrial.zone().colour, [0x8A, 0xD0, 0xE4]);
        let industrial: Vec<&str> = ZONES
            .iter()
            .filter(|z| z.industrial)
            .map(|z| z.name_ja)
            .collect();
        assert_eq!(industrial, ["準工業地域", "工業地域", "工業専用地域"]);
    }
}
