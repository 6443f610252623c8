//! What a field of a published layer means and its unit, for the package's README: the fields of
//! the national sources sitelens knows (国土数値情報 N02 and N03, 国土地理院's 指定緊急避難場所 and
//! 指定避難所 data) and the fields sitelens computes. Anything else is described as it is named in
//! its source, never guessed.

use crate::analysis::site;

/// The meaning of a field (Japanese, English) and its unit, when known.
pub struct Meaning {
    pub ja: String,
    pub en: String,
    pub unit: Option<&'static str>,
}

/// The 災害種別 columns of 国土地理院's 指定緊急避難場所 data: "1" when the place is designated for
/// that hazard.
const HAZARDS: &[(&str, &str)] = &[
    ("洪水", "flood"),
    ("崖崩れ、土石流及び地滑り", "landslide and debris flow"),
    ("高潮", "storm surge"),
    ("地震", "earthquake"),
    ("津波", "tsunami"),
    ("大規模な火事", "large fire"),
    ("内水氾濫", "inland flooding"),
    ("火山現象", "volcanic activity"),
];

/// Fields of the national sources, by their names there (KSJ N02 鉄道, N03 行政区域 product
/// specifications; 国土地理院 指定緊急避難場所・指定避難所データ).
const KNOWN: &[(&str, &str, &str)] = &[
    ("N02_001", "鉄道区分（コード）", "Railway class (code)"),
    ("N02_002", "事業者種別（コード）", "Operator type (code)"),
    ("N02_003", "路線名", "Line name"),
    ("N02_004", "運営会社", "Operator"),
    ("N02_005", "駅名", "Station name"),
    ("N02_005c", "駅コード", "Station code"),
    ("N02_005g", "グループコード", "Station group code"),
    ("N03_001", "都道府県名", "Prefecture"),
    (
        "N03_002",
        "支庁・振興局名（北海道）",
        "Subprefecture (Hokkaido)",
    ),
    (
        "N03_003",
        "郡・政令指定都市名",
        "District or designated city",
    ),
    ("N03_004", "市区町村名", "Municipality"),
    ("N03_005", "政令指定都市の区名", "Ward of a designated city"),
    ("N03_007", "行政区域コード", "Administrative area code"),
    ("NO", "全国一覧での番号", "Number in the national list"),
    ("共通ID", "国土地理院の共通ID", "GSI common ID"),
    (
        "都道府県名及び市町村名",
        "都道府県名及び市町村名",
        "Prefecture and municipality",
    ),
    ("施設・場所名", "施設・場所名", "Facility or place name"),
    ("住所", "住所", "Address"),
    (
        "指定避難所との住所同一",
        "指定避難所と同じ住所なら 1",
        "1 when an evacuation shelter has the same address",
    ),
    (
        "指定緊急避難場所との住所同一",
        "指定緊急避難場所と同じ住所なら 1",
        "1 when an evacuation site has the same address",
    ),
    ("受入対象者", "受入対象者", "Who it takes in"),
    (
        "その他市町村長が必要と認める事項",
        "その他市町村長が必要と認める事項",
        "Other matters the mayor deems necessary",
    ),
    ("備考", "備考", "Remarks"),
    ("in_hino", "日野市内なら true", "true when inside Hino city"),
];

/// The meaning of `field`, or `None` when sitelens does not know it.
pub fn meaning(field: &str) -> Option<Meaning> {
    if let Some((ja, en)) = site::field_label(field) {
        return Some(Meaning {
            ja: ja.to_string(),
            en: en.to_string(),
            unit: unit_of_metric(field),
        });
    }
    if let Some((_, ja, en)) = KNOWN.iter().find(|(name, ..)| *name == field) {
        return Some(Meaning {
            ja: ja.to_string(),
            en: en.to_string(),
            unit: None,
        });
    }
    let hazard = field.strip_prefix("災害種別_").unwrap_or(field);
    HAZARDS
        .iter()
        .find(|(ja, _)| *ja == hazard)
        .map(|(ja, en)| Meaning {
            ja: format!("{ja}に対応する指定なら 1"),
            en: format!("1 when designated for {en}"),
            unit: None,
        })
}

/// The unit of a field sitelens computes for sites.
fn unit_of_metric(field: &str) -> Option<&'static str> {
    Some(match field {
        "area_m2" | "max_footprint_m2" | "max_floor_area_m2" => "m²",
        "area_ha" => "ha",
        "area_tsubo" => "坪 (3.305785 m²)",
        "coverage_pct" | "floor_area_pct" => "%",
        "station_m" | "ic_m" => "m",
        "score" => "0–100",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_fields_have_meanings_and_units() {
        assert_eq!(meaning("N02_005").unwrap().ja, "駅名");
        assert_eq!(meaning("area_m2").unwrap().unit, Some("m²"));
        assert_eq!(
            meaning("地震").unwrap().en,
            "1 when designated for earthquake"
        );
        assert!(meaning("災害種別_津波").is_some());
        assert!(meaning("whatever").is_none());
    }
}
