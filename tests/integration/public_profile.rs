//! Property: whatever the layer, a public export carries no internal field name or value
//! anywhere: not in properties, not in the provenance, not in the README sidecar, not in CSV.
//! Layers are generated with internal fields found by the name rule and named by settings, a
//! filter that may read one, and random (Japanese and ASCII) values.

use geo_types::Point;
use proptest::prelude::*;
use sitelens::crs::{CrsInfo, DecidedBy};
use sitelens::export::{ExportOptions, Profile, Section, export};
use sitelens::model::{Feature, Field, FieldType, Format, Layer, LayerMeta, Source, Value};

/// Rule fragments a field name may start with (ASCII) or contain (Japanese).
const RULE_NAMES: &[&str] = &[
    "owner",
    "所有者",
    "contact",
    "連絡先",
    "tel",
    "price",
    "価格",
    "交渉",
];

fn token() -> impl Strategy<Value = String> {
    // Long enough that a collision with other output text is out of the question.
    proptest::collection::vec(
        prop_oneof![
            proptest::char::range('a', 'z'),
            proptest::char::range('ぁ', 'ゖ'),
            proptest::char::range('0', '9'),
        ],
        12..20,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

#[derive(Debug, Clone)]
struct Case {
    public: Vec<(String, Vec<String>)>,
    /// (name, values, named by the settings rather than caught by the rule)
    internal: Vec<(String, Vec<String>, bool)>,
    filter_on_internal: bool,
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..6).prop_flat_map(|rows| {
        let column = move || proptest::collection::vec(token(), rows);
        (
            proptest::collection::vec(("pub_", token(), column()), 1..4),
            proptest::collection::vec(
                (0..RULE_NAMES.len(), token(), column(), any::<bool>()),
                1..4,
            ),
            any::<bool>(),
        )
            .prop_map(|(public, internal, filter_on_internal)| Case {
                public: public
                    .into_iter()
                    .map(|(p, t, v)| (format!("{p}{t}"), v))
                    .collect(),
                internal: internal
                    .into_iter()
                    .map(|(k, t, v, named)| {
                        // Named by settings: a name no rule would catch.
                        let name = if named {
                            format!("memo_{t}")
                        } else {
                            format!("{}_{t}", RULE_NAMES[k])
                        };
                        (name, v, named)
                    })
                    .collect(),
                filter_on_internal,
            })
    })
}

fn layer(case: &Case) -> Layer {
    let mut fields = Vec::new();
    let mut columns: Vec<&Vec<String>> = Vec::new();
    for (name, values) in &case.public {
        fields.push(Field {
            name: name.clone(),
            field_type: FieldType::Text,
        });
        columns.push(values);
    }
    for (name, values, _) in &case.internal {
        fields.push(Field {
            name: name.clone(),
            field_type: FieldType::Text,
        });
        columns.push(values);
    }
    let rows = columns[0].len();
    let features = (0..rows)
        .map(|r| Feature {
            record: r as u64,
            geometry: Some(Point::new(139.39 + r as f64 * 0.001, 35.67).into()),
            z: None,
            values: columns.iter().map(|c| Value::Text(c[r].clone())).collect(),
        })
        .collect();
    let source = Source {
        path: "generated.geojson".into(),
        member: None,
        format: Format::GeoJson,
        encoding: None,
        crs: CrsInfo::wgs84(DecidedBy::User),
        record_count: rows,
    };
    let mut layer = Layer::new("generated".into(), source, fields, features, Vec::new());
    layer.meta = LayerMeta {
        credit: Some("test credit".into()),
        licence: Some("CC BY 4.0".into()),
        internal_fields: Some(
            case.internal
                .iter()
                .filter(|(_, _, named)| *named)
                .map(|(n, _, _)| n.clone())
                .collect(),
        ),
        sample: false,
    };
    layer
}

/// The filter of a case as text, and the fields it reads: one on an internal field or none.
fn filter_of(case: &Case) -> (String, Vec<String>) {
    let (internal_name, internal_values, _) = &case.internal[0];
    if case.filter_on_internal {
        (
            format!("{internal_name} = '{}'", internal_values[0]),
            vec![internal_name.clone()],
        )
    } else {
        (String::new(), Vec::new())
    }
}

/// No internal name or value in `written`, and every public one (so it is not empty).
fn only_public(case: &Case, written: &str) -> Result<(), TestCaseError> {
    for (name, values, _) in &case.internal {
        prop_assert!(
            !written.contains(name.as_str()),
            "internal name {} written",
            name
        );
        for v in values {
            prop_assert!(
                !written.contains(v.as_str()),
                "internal value {} of {} written",
                v,
                name
            );
        }
    }
    for (name, values) in &case.public {
        prop_assert!(
            written.contains(name.as_str()),
            "public field {} missing",
            name
        );
        for v in values {
            prop_assert!(written.contains(v.as_str()), "public value {} missing", v);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn public_exports_never_carry_internal_names_or_values(case in case()) {
        let layer = layer(&case);
        let dir = tempfile::tempdir().unwrap();
        let (filter_text, read) = filter_of(&case);
        let ids: Vec<usize> = (0..layer.features.len()).collect();
        let mut written = String::new();
        // Binary formats too: their text (names, values, metadata tables, headers) is UTF-8 in
        // the file's bytes. A Shapefile's names cut to 10 bytes are in its README, in full.
        for out in ["out.geojson", "out.csv", "out.gpkg", "out.fgb", "out.shp"] {
            let section = Section::new(&layer, ids.clone(), Profile::Public, read.clone());
            let options = ExportOptions {
                readme: true,
                filter_text: filter_text.clone(),
                ..ExportOptions::default()
            };
            let result = export(&dir.path().join(out), &[section], &options, &[]).unwrap();
            prop_assert_eq!(result.features, layer.features.len());
            for file in result.files {
                written.push_str(&String::from_utf8_lossy(&std::fs::read(file).unwrap()));
            }
        }
        only_public(&case, &written)?;
    }
}

/// Every byte of a package as text: its files, and the members of every zip (the package's own
/// and a zipped Shapefile's) decompressed.
fn package_text(root: &std::path::Path) -> String {
    fn add(name: &str, bytes: &[u8], out: &mut String) {
        if name.ends_with(".zip") {
            for (member, data) in super::publish::zip_members(bytes) {
                add(&member, &data, out);
            }
        } else {
            out.push_str(&String::from_utf8_lossy(bytes));
            out.push('\n');
        }
    }
    let mut out = String::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.is_file() {
            add(
                &dir.to_string_lossy(),
                &std::fs::read(&dir).unwrap(),
                &mut out,
            );
            continue;
        }
        for e in std::fs::read_dir(&dir).unwrap() {
            stack.push(e.unwrap().path());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    /// The same property for `publish`: no internal name or value in any file of the package
    /// (data in every format, CSV, DCAT, CKAN, the catalogue row, README, licence), as a folder
    /// and as a zip.
    #[test]
    fn packages_never_carry_internal_names_or_values(case in case(), zip in any::<bool>()) {
        use sitelens::export::OutputFormat;
        use sitelens::publish::{PublishLayer, Settings, city::City, publish, terms::PackageLicence};
        let layer = layer(&case);
        let dir = tempfile::tempdir().unwrap();
        let (filter_text, read) = filter_of(&case);
        let ids: Vec<usize> = (0..layer.features.len()).collect();
        let layers = [PublishLayer {
            section: Section::new(&layer, ids, Profile::Public, read),
            title: "generated layer".into(),
            role: None,
        }];
        let settings = Settings {
            title: "package".into(),
            description: String::new(),
            publisher: "日野市".into(),
            contact: None,
            keywords: vec!["test".into()],
            issued: "2026-12-01".into(),
            as_of: None,
            licence: PackageLicence::CcBy4,
            ckan_licence_id: None,
            city: City::hino(),
            category: None,
            formats: OutputFormat::ALL.to_vec(),
            allow_sample: false,
            filter_text,
            precision: 7,
        };
        let target = dir.path().join(if zip { "p.zip" } else { "p" });
        let published = publish(&target, &layers, &settings, &[]).unwrap();
        prop_assert_eq!(published.features, layer.features.len());
        let written = package_text(&target);
        only_public(&case, &written)?;
    }
}
