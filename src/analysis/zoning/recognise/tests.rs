//! Recognition on small layers in each source's field layout (values as the research quotes them).

use super::*;
use crate::analysis::zoning::ratio::RatioKind;
use crate::model::{Feature, Field, FieldType};

/// A layer (no geometry) with these fields and rows.
fn layer(fields: &[&str], rows: Vec<Vec<Value>>) -> Layer {
    let features = rows
        .into_iter()
        .enumerate()
        .map(|(i, values)| Feature {
            record: i as u64,
            geometry: None,
            z: None,
            values,
        })
        .collect();
    let fields = fields
        .iter()
        .map(|n| Field {
            name: n.to_string(),
            field_type: FieldType::Text,
        })
        .collect();
    crate::model::test_layer(fields, features)
}

fn t(s: &str) -> Value {
    Value::Text(s.into())
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

fn recognised(l: &Layer) -> Recognised {
    match recognise(l) {
        Recognition::Recognised(r) => r,
        Recognition::NotRecognised(n) => panic!("not recognised: {}", n.message(&l.name)),
    }
}

fn not_recognised(l: &Layer) -> NotRecognised {
    match recognise(l) {
        Recognition::Recognised(r) => panic!("recognised as {}", r.source.id),
        Recognition::NotRecognised(n) => n,
    }
}

/// (zone name or label, 建蔽率, 容積率) of each feature.
fn read_all(l: &Layer, r: &Recognised) -> Vec<(String, Option<f64>, Option<f64>)> {
    l.features
        .iter()
        .map(|f| {
            let z = r.read_feature(&f.values);
            (z.label, z.coverage.pct(), z.floor_area.pct())
        })
        .collect()
}

#[test]
fn a29_editions_are_told_apart_by_their_last_fields() {
    let fields_2011 = [
        "A29_001", "A29_002", "A29_003", "A29_004", "A29_005", "A29_006", "A29_007", "A29_008",
        "A29_009", "A29_010",
    ];
    let row = |code: i64, name: &str, bcr: i64, far: i64| {
        vec![
            t("13212"),
            t("東京都"),
            t("日野市"),
            int(code),
            t(name),
            int(bcr),
            int(far),
            t("日野市"),
            t("2010"),
            Value::Null,
        ]
    };
    let l = layer(
        &fields_2011,
        vec![
            row(10, "準工業地域", 60, 200),
            row(8, "近隣商業地域", 80, 300),
            row(12, "工業専用地域", 9999, 9999),
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "A29-2011");
    assert_eq!(
        r.fields(),
        [
            ("name", Some("A29_005")),
            ("code", Some("A29_004")),
            ("coverage", Some("A29_006")),
            ("floor_area", Some("A29_007")),
        ]
    );
    assert_eq!(
        read_all(&l, &r),
        [
            ("準工業地域".into(), Some(60.0), Some(200.0)),
            ("近隣商業地域".into(), Some(80.0), Some(300.0)),
            ("工業専用地域".into(), None, None),
        ]
    );
    assert!(r.notes.iter().any(|n| n.contains("9999")), "{:?}", r.notes);
    let f = r.read_feature(&l.features[2].values);
    assert_eq!(
        r.why_empty(RatioKind::FloorArea, &f.floor_area).as_deref(),
        Some("容積率 (A29_007) 9999 (unknown) in A29-2011")
    );

    // 2019: eight fields (A29_008 備考), and a code alone is read in A29's numbering.
    let l = layer(
        &fields_2011[..8],
        vec![vec![
            t("13212"),
            t("東京都"),
            t("日野市"),
            int(9),
            Value::Null,
            int(80),
            int(400),
            t("備考"),
        ]],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "A29-2019");
    assert_eq!(read_all(&l, &r)[0].0, "商業地域");
}

#[test]
fn mlit_and_reinfolib_codes_are_read_in_the_1_to_13_system() {
    let l = layer(
        &[
            "Pref",
            "Citycode",
            "Cityname",
            "YoutoName",
            "YoutoCode",
            "FAR",
            "BCR",
        ],
        vec![
            vec![
                t("東京都"),
                t("13212"),
                t("日野市"),
                Value::Null,
                int(10),
                t("400.0"),
                t("80"),
            ],
            vec![
                t("東京都"),
                t("13212"),
                t("日野市"),
                t("第1種住居地域"),
                int(5),
                t("200"),
                t("60.0"),
            ],
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "MLIT-UPD");
    assert_eq!(
        read_all(&l, &r),
        [
            ("商業地域".into(), Some(80.0), Some(400.0)),
            ("第一種住居地域".into(), Some(60.0), Some(200.0)),
        ]
    );
    let l = layer(
        &[
            "youto_id",
            "use_area_ja",
            "u_floor_area_ratio_ja",
            "u_building_coverage_ratio_ja",
        ],
        vec![
            vec![int(11), t("準工業地域"), t("200%"), t("60%")],
            vec![int(13), t(""), t("200.0%"), t("60.0%")],
            vec![int(1), t("第１種低層住居専用地域"), t("80%"), t("40%")],
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "reinfolib-XKT002");
    assert_eq!(
        read_all(&l, &r),
        [
            ("準工業地域".into(), Some(60.0), Some(200.0)),
            ("工業専用地域".into(), Some(60.0), Some(200.0)),
            ("第一種低層住居専用地域".into(), Some(40.0), Some(80.0)),
        ]
    );
}

#[test]
fn plateau_function_is_read_as_a_label_or_a_code() {
    let l = layer(
        &["function", "floorAreaRate", "buildingCoverageRate"],
        vec![
            vec![Value::Json("[\"工業専用地域\"]".into()), int(200), int(60)],
            vec![Value::Json("[\"10\"]".into()), int(400), int(80)],
            vec![t("第2種低層住居専用地域"), int(100), int(50)],
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "PLATEAU-urf");
    let zones: Vec<String> = read_all(&l, &r).into_iter().map(|z| z.0).collect();
    assert_eq!(
        zones,
        ["工業専用地域", "商業地域", "第二種低層住居専用地域"]
    );
}

#[test]
fn two_digit_codes_are_recognised_only_when_they_cannot_be_a29() {
    let l = layer(
        &["youto", "tokei", "bouka", "kenpei", "yoseki"],
        vec![
            vec![int(61), int(1), int(1), int(60), int(200)],
            vec![int(21), int(1), int(0), int(60), int(200)],
            vec![int(99), int(99), int(0), Value::Null, Value::Null],
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "municipal-2digit");
    let zones: Vec<String> = read_all(&l, &r).into_iter().map(|z| z.0).collect();
    assert_eq!(
        zones,
        [
            "準工業地域",
            "第一種中高層住居専用地域",
            "用途地域の指定のない区域"
        ]
    );
    // 11, 12, 21 and 99 alone could be A29 codes too: not read.
    let l = layer(&["youto"], vec![vec![int(11)], vec![int(21)]]);
    let n = not_recognised(&l);
    assert!(
        n.attempt && n.reason.contains("field youto holds integer codes"),
        "{n:?}"
    );
}

#[test]
fn a_name_field_in_abbreviations_with_a_pair_of_ratios() {
    let l = layer(
        &["用途地域名", "建蔽率/容積率"],
        vec![
            vec![t("1低専"), t("40/80")],
            vec![t("準工"), t("６０％／２００％")],
            vec![t("工専"), t("200/60")],
            vec![t("近商"), t("")],
        ],
    );
    let r = recognised(&l);
    assert_eq!(r.source.id, "name-field");
    assert_eq!(
        r.fields().last(),
        Some(&("coverage_and_floor_area", Some("建蔽率/容積率")))
    );
    assert_eq!(
        read_all(&l, &r),
        [
            ("第一種低層住居専用地域".into(), Some(40.0), Some(80.0)),
            ("準工業地域".into(), Some(60.0), Some(200.0)),
            ("工業専用地域".into(), Some(60.0), Some(200.0)),
            ("近隣商業地域".into(), None, None),
        ]
    );
    // Separate fields with units in their names and full-width values.
    let l = layer(
        &["用途地域", "建ぺい率(%)", "容積率（％）"],
        vec![vec![t("第１種住居地域"), t("６０％"), t("２００")]],
    );
    let r = recognised(&l);
    assert_eq!(
        read_all(&l, &r)[0],
        ("第一種住居地域".into(), Some(60.0), Some(200.0))
    );
}

#[test]
fn a_site_list_with_a_zone_column_is_not_zoning() {
    let l = layer(&["名称", "用途地域"], vec![vec![t("用地A"), t("工業地域")]]);
    let n = not_recognised(&l);
    assert!(!n.attempt && n.reason.contains("名称"), "{n:?}");
}

#[test]
fn a_bare_integer_code_is_not_read_and_says_why() {
    let l = layer(&["code"], vec![vec![int(8)], vec![int(10)]]);
    let n = not_recognised(&l);
    assert!(!n.attempt);
    assert!(
        n.reason.contains("field code holds integer codes (e.g. 8)"),
        "{}",
        n.reason
    );
    assert!(n.reason.contains("田園住居地域"), "{}", n.reason);
    let message = n.message("codes");
    assert!(
        message.starts_with("zoning layer 'codes' not recognised: ")
            && message.contains("looked for A29_005/A29_004/YoutoName/YoutoCode/use_area_ja/"),
        "{message}"
    );
    // A youto_id without the rest of XKT002 is a bare code too.
    let n = not_recognised(&layer(&["youto_id"], vec![vec![int(10)]]));
    assert!(n.attempt && n.reason.contains("youto_id"), "{n:?}");
    // A zone-name field that holds numbers.
    let n = not_recognised(&layer(&["用途地域"], vec![vec![int(9)], vec![int(11)]]));
    assert!(n.reason.contains("holds numbers"), "{}", n.reason);
    // Tokyo's TUP3F1 codes have no published table.
    let n = not_recognised(&layer(&["TUP3F1", "TUP3F3"], vec![vec![int(3), int(200)]]));
    assert!(n.reason.contains("TUP3F1"), "{}", n.reason);
    // Nothing at all.
    let n = not_recognised(&layer(&["名前"], vec![vec![t("x")]]));
    assert_eq!((n.reason.as_str(), n.attempt), ("no zoning fields", false));
}

#[test]
fn missing_ratio_fields_and_unreadable_zones_are_problems() {
    let l = layer(&["YoutoName"], vec![vec![t("工業地域")]]);
    let r = recognised(&l);
    assert_eq!(r.problems.len(), 2, "{:?}", r.problems);
    assert!(r.problems[0].contains("no 建蔽率 field (looked for BCR)"));
    let l = layer(&["A29_005"], vec![vec![t("住居地域")]]);
    let r = recognised(&l);
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("no feature has a zone")),
        "{:?}",
        r.problems
    );
    assert_eq!(read_all(&l, &r)[0].0, "住居地域");
}

#[test]
fn names_win_over_codes_and_misfits_are_noted() {
    // A29 field names, but codes in the 1–13 system: the names are right, the codes are not.
    let l = layer(
        &["A29_004", "A29_005", "A29_006", "A29_007"],
        vec![
            vec![int(13), t("工業専用地域"), int(60), int(200)],
            vec![int(10), t("商業地域"), int(80), int(400)],
        ],
    );
    let r = recognised(&l);
    let zones: Vec<String> = read_all(&l, &r).into_iter().map(|z| z.0).collect();
    assert_eq!(zones, ["工業専用地域", "商業地域"]);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("1 features' name and code disagree")),
        "{:?}",
        r.notes
    );
    // Codes alone in the wrong system give zones whose ratios do not fit.
    let l = layer(
        &["A29_004", "A29_006", "A29_007"],
        vec![vec![int(1), int(80), int(600)]],
    );
    let r = recognised(&l);
    assert!(
        r.notes.iter().any(|n| n.contains("check that the codes")),
        "{:?}",
        r.notes
    );
}
