//! The placemarks read, as one table: `name`, `description` and `folder` when any placemark has
//! them, then the ExtendedData fields in order of first appearance. A field takes the type its
//! Schema declares when every value fits it, else the type inferred from the values as the CSV
//! loader infers it; a value that is absent is null.

use std::collections::HashMap;

use super::parse::{Collected, Placemark};
use crate::io::csv;
use crate::model::{Feature, Field, FieldType, Value, Warning};

/// The ExtendedData fields, in order of first appearance over the file (a Schema's SimpleField,
/// a Data or a SimpleData), with the type a Schema declares.
#[derive(Default)]
pub(super) struct Columns {
    pub names: Vec<String>,
    /// The type declared by `<SimpleField type=…>`; `None` where nothing (or an unknown type) is
    /// declared, and the type is inferred from the values.
    pub declared: Vec<Option<FieldType>>,
    index: HashMap<String, usize>,
}

impl Columns {
    /// The column of field `name`, added when new.
    pub fn column(&mut self, name: &str) -> usize {
        if let Some(&c) = self.index.get(name) {
            return c;
        }
        self.names.push(name.to_string());
        self.declared.push(None);
        self.index.insert(name.to_string(), self.names.len() - 1);
        self.names.len() - 1
    }

    /// Records a Schema's `<SimpleField name type>`; two declarations of a name unify.
    pub fn declare(&mut self, name: &str, kml_type: Option<&str>) {
        let column = self.column(name);
        let Some(declared) = kml_type.and_then(field_type) else {
            return;
        };
        let slot = &mut self.declared[column];
        *slot = Some(slot.map_or(declared, |t| t.unify(declared)));
    }
}

/// The field type of a KML `SimpleField` type (KML 2.2: string, int, uint, short, ushort, float,
/// double, bool).
fn field_type(kml_type: &str) -> Option<FieldType> {
    Some(match kml_type.trim().to_ascii_lowercase().as_str() {
        "int" | "uint" | "short" | "ushort" => FieldType::Int,
        "float" | "double" => FieldType::Float,
        "bool" | "boolean" => FieldType::Bool,
        "string" => FieldType::Text,
        _ => return None,
    })
}

/// The fields and features of what was read, and the warnings of each placemark.
pub(super) fn build(
    collected: Collected,
    warnings: &mut Vec<Warning>,
) -> (Vec<Field>, Vec<Feature>) {
    let Collected {
        mut placemarks,
        columns,
        ..
    } = collected;
    let has = |f: fn(&Placemark) -> bool| placemarks.iter().any(f);
    let builtin = [
        ("name", has(|p| p.name.is_some())),
        ("description", has(|p| p.description.is_some())),
        ("folder", has(|p| p.folder.is_some())),
    ];
    let mut fields: Vec<Field> = builtin
        .iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| Field {
            name: name.to_string(),
            field_type: FieldType::Text,
        })
        .collect();
    let first_data = fields.len();

    // Each column's texts, by placemark (a later value for the same column wins).
    let mut texts: Vec<Vec<Option<String>>> = vec![Vec::new(); columns.names.len()];
    for (record, p) in placemarks.iter_mut().enumerate() {
        for (column, text) in std::mem::take(&mut p.data) {
            let cells = &mut texts[column];
            if cells.len() <= record {
                cells.resize(record + 1, None);
            }
            cells[record] = Some(text);
        }
    }
    let types: Vec<FieldType> = columns
        .names
        .iter()
        .zip(&columns.declared)
        .zip(&texts)
        .map(|((name, declared), cells)| column_type(name, *declared, cells, warnings))
        .collect();
    for (name, field_type) in columns.names.iter().zip(&types) {
        fields.push(Field {
            name: unique_name(name, &fields),
            field_type: *field_type,
        });
    }

    let mut features = Vec::with_capacity(placemarks.len());
    for (record, p) in placemarks.into_iter().enumerate() {
        let record_u64 = record as u64;
        let mut values = Vec::with_capacity(fields.len());
        for (name, present) in builtin {
            if present {
                let text = match name {
                    "name" => p.name.clone(),
                    "description" => p.description.clone(),
                    _ => p.folder.clone(),
                };
                values.push(text.map_or(Value::Null, Value::Text));
            }
        }
        debug_assert_eq!(values.len(), first_data);
        for (cells, field_type) in texts.iter_mut().zip(&types) {
            let cell = cells.get_mut(record).and_then(Option::take);
            values.push(cell.map_or(Value::Null, |t| typed(t, *field_type)));
        }
        let who = match &p.name {
            Some(n) if !n.is_empty() => format!("placemark '{}'", super::coords::excerpt(n)),
            _ => "placemark (no name)".to_string(),
        };
        for note in &p.notes {
            warnings.push(Warning::record(record_u64, format!("{who}: {note}")));
        }
        let (geometry, z) = match p.shape {
            Ok(Some((g, z))) => (Some(g), z),
            Ok(None) => (None, None),
            Err(e) => {
                warnings.push(Warning::record(
                    record_u64,
                    format!("{who}: {e}; geometry skipped (the placemark is kept without it)"),
                ));
                (None, None)
            }
        };
        features.push(Feature {
            record: record_u64,
            geometry,
            z,
            values,
        });
    }
    (fields, features)
}

/// The type of one ExtendedData field: the declared one when every value fits it, else
/// inferred (with a warning naming the first value that did not fit).
fn column_type(
    name: &str,
    declared: Option<FieldType>,
    cells: &[Option<String>],
    warnings: &mut Vec<Warning>,
) -> FieldType {
    let values = || {
        cells
            .iter()
            .enumerate()
            .filter_map(|(r, c)| Some((r, c.as_deref()?)))
    };
    if let Some(declared) = declared {
        match values().find(|(_, t)| !fits(t, declared)) {
            None => return declared,
            Some((record, text)) => warnings.push(Warning::file(format!(
                "field '{name}' is declared {} but record {record} holds '{}'; its type is \
                 inferred from the values instead",
                declared.name(),
                super::coords::excerpt(text)
            ))),
        }
    }
    values()
        .filter_map(|(_, t)| csv::infer(t.trim()).field_type())
        .reduce(FieldType::unify)
        .unwrap_or(FieldType::Text)
}

/// Whether a text reads as a value of `field_type` (blank fits any type: it is null).
fn fits(text: &str, field_type: FieldType) -> bool {
    let t = text.trim();
    t.is_empty()
        || match field_type {
            FieldType::Int => t.parse::<i64>().is_ok(),
            FieldType::Float => t.parse::<f64>().is_ok_and(f64::is_finite),
            FieldType::Bool => parse_bool(t).is_some(),
            _ => true,
        }
}

/// KML's bool: 1/0, true/false.
fn parse_bool(t: &str) -> Option<bool> {
    match t.to_ascii_lowercase().as_str() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// A value of the field's type. Text stays as written (an empty element is an empty text, as
/// GDAL writes an empty string); a blank number or bool is null.
fn typed(text: String, field_type: FieldType) -> Value {
    let t = text.trim();
    let value = match field_type {
        FieldType::Text | FieldType::Date | FieldType::Json => return Value::Text(text),
        _ if t.is_empty() => return Value::Null,
        FieldType::Int => t.parse().ok().map(Value::Int),
        FieldType::Float => t.parse().ok().map(Value::Float),
        FieldType::Bool => parse_bool(t).map(Value::Bool),
    };
    value.unwrap_or(Value::Text(text))
}

/// `name`, or `name_2`, `name_3`, … when a field of that name exists (ExtendedData named like
/// the placemark's own `name`).
fn unique_name(name: &str, fields: &[Field]) -> String {
    let taken = |n: &str| fields.iter().any(|f| f.name == n);
    if !taken(name) {
        return name.to_string();
    }
    (2..)
        .map(|i| format!("{name}_{i}"))
        .find(|n| !taken(n))
        .unwrap_or_else(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_read_and_blank_numbers_are_null() {
        assert_eq!(typed(" 42 ".into(), FieldType::Int), Value::Int(42));
        assert_eq!(typed("".into(), FieldType::Int), Value::Null);
        assert_eq!(
            typed("".into(), FieldType::Text),
            Value::Text(String::new())
        );
        assert_eq!(typed("1".into(), FieldType::Bool), Value::Bool(true));
        assert_eq!(typed("False".into(), FieldType::Bool), Value::Bool(false));
        assert_eq!(typed("2.5".into(), FieldType::Float), Value::Float(2.5));
        assert!(fits("0601", FieldType::Int));
        assert!(!fits("12a", FieldType::Int));
        assert!(!fits("NaN", FieldType::Float));
    }

    #[test]
    fn a_declared_type_the_values_break_falls_back_to_inference() {
        let mut warnings = Vec::new();
        let cells = [Some("1".to_string()), None, Some("x".to_string())];
        assert_eq!(
            column_type("n", Some(FieldType::Int), &cells, &mut warnings),
            FieldType::Text
        );
        assert!(
            warnings[0].message.contains("record 2 holds 'x'"),
            "{warnings:?}"
        );
        let cells = [
            Some("1".to_string()),
            Some(" 2.5".to_string()),
            Some("".into()),
        ];
        assert_eq!(
            column_type("n", None, &cells, &mut warnings),
            FieldType::Float
        );
        let cells = [Some("0601".to_string())];
        assert_eq!(
            column_type("n", None, &cells, &mut warnings),
            FieldType::Text
        );
        assert_eq!(column_type("n", None, &[], &mut warnings), FieldType::Text);
    }

    #[test]
    fn clashing_names_get_a_number() {
        let fields = [Field {
            name: "name".into(),
            field_type: FieldType::Text,
        }];
        assert_eq!(unique_name("name", &fields), "name_2");
        assert_eq!(unique_name("名称", &fields), "名称");
    }
}
