//! Typed attribute values and field types.

use serde::Serialize;

/// One attribute value. Numbers stay numbers and null stays null from load to export.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// Calendar date as ISO 8601 text, "YYYY-MM-DD".
    Date(String),
    /// Nested JSON (object or array) kept as compact JSON text.
    Json(String),
}

impl Value {
    /// The natural field type of this value (`None` for null, which fits any type).
    pub fn field_type(&self) -> Option<FieldType> {
        match self {
            Value::Null => None,
            Value::Bool(_) => Some(FieldType::Bool),
            Value::Int(_) => Some(FieldType::Int),
            Value::Float(_) => Some(FieldType::Float),
            Value::Text(_) => Some(FieldType::Text),
            Value::Date(_) => Some(FieldType::Date),
            Value::Json(_) => Some(FieldType::Json),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as a number, for numeric comparisons.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) | Value::Date(s) | Value::Json(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON: numbers as numbers, nested JSON re-parsed, non-finite floats as null.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Text(s) | Value::Date(s) => s.clone().into(),
            Value::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| s.clone().into()),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) | Value::Date(s) | Value::Json(s) => f.write_str(s),
        }
    }
}

/// The type of an attribute column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Bool,
    Int,
    Float,
    Text,
    Date,
    Json,
}

impl FieldType {
    /// The name used in `info` and its JSON ("int", "text", …).
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Bool => "bool",
            FieldType::Int => "int",
            FieldType::Float => "float",
            FieldType::Text => "text",
            FieldType::Date => "date",
            FieldType::Json => "json",
        }
    }

    /// The narrowest type holding values of both types: Int + Float is Float; any other mix is
    /// Text (the values themselves keep their own types).
    pub fn unify(self, other: FieldType) -> FieldType {
        use FieldType::*;
        match (self, other) {
            (a, b) if a == b => a,
            (Int, Float) | (Float, Int) => Float,
            _ => Text,
        }
    }

    /// Unifies the types of all values in a column; a column of nulls is Text.
    pub fn infer<'a>(values: impl IntoIterator<Item = &'a Value>) -> FieldType {
        values
            .into_iter()
            .filter_map(Value::field_type)
            .reduce(FieldType::unify)
            .unwrap_or(FieldType::Text)
    }
}

/// Whether `s` is a calendar date written "YYYY-MM-DD" (month 1–12, day 1–31).
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u8>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unify_keeps_numbers_numeric_and_mixes_to_text() {
        assert_eq!(FieldType::Int.unify(FieldType::Float), FieldType::Float);
        assert_eq!(FieldType::Int.unify(FieldType::Int), FieldType::Int);
        assert_eq!(FieldType::Int.unify(FieldType::Text), FieldType::Text);
        let column = [Value::Null, Value::Int(3), Value::Float(2.5)];
        assert_eq!(FieldType::infer(&column), FieldType::Float);
        assert_eq!(FieldType::infer(&[Value::Null]), FieldType::Text);
    }

    #[test]
    fn json_keeps_types() {
        assert_eq!(Value::Int(4715).to_json(), serde_json::json!(4715));
        assert_eq!(Value::Float(f64::NAN).to_json(), serde_json::Value::Null);
        assert_eq!(
            Value::Json("{\"a\":[1]}".into()).to_json(),
            serde_json::json!({"a": [1]})
        );
    }
}
