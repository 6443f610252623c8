//! Incentive programmes: a rules file (TOML) states, per programme, a condition on a site's fields
//! in the `--where` language, so city staff edit conditions without code. A site "may qualify"
//! for the programmes whose condition is true. The shipped rules are examples
//! (data/sample/incentives_example.toml, `example = true`): the real conditions are not public in
//! our sources, and everything that shows them says so.

use serde::Deserialize;

use super::site::set_fields;
use crate::filter::expr::{self, Expr};
use crate::model::{FieldType, Layer, Value};

/// The example rules built into the binary.
pub const EXAMPLE_RULES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/sample/incentives_example.toml"
));

#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    /// Example rules, not the city's: marked as such wherever they are shown.
    #[serde(default)]
    pub example: bool,
    #[serde(rename = "programme", default)]
    pub programmes: Vec<Programme>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Programme {
    pub name: String,
    /// A `--where` expression over the site's fields.
    pub condition: String,
    #[serde(default)]
    pub note: Option<String>,
}

impl Rules {
    /// Reads a rules file's text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Rules, String> {
        let rules: Rules = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        if rules.programmes.is_empty() {
            return Err(format!("{origin}: no [[programme]] in the rules"));
        }
        Ok(rules)
    }

    pub fn example() -> Rules {
        Rules::parse(EXAMPLE_RULES, "incentives_example.toml").expect("the shipped rules parse")
    }

    /// Each condition checked against `layer`'s fields; the error names the programme.
    pub fn compile(&self, layer: &Layer) -> Result<Vec<Expr>, String> {
        self.programmes
            .iter()
            .map(|p| {
                expr::parse(&p.condition, &layer.fields)
                    .map_err(|e| format!("programme {}: {}", p.name, e.message))
            })
            .collect()
    }
}

/// The field [`add_programme_field`] appends.
pub const PROGRAMMES_FIELD: &str = "programmes";

/// Appends `programmes`: the names of the programmes each feature may qualify for, joined with
/// "・", with "（例示ルール）" when the rules are examples; null when none.
pub fn add_programme_field(layer: &mut Layer, rules: &Rules) -> Result<(), String> {
    let conditions = rules.compile(layer)?;
    let suffix = if rules.example {
        "（例示ルール / example rules）"
    } else {
        ""
    };
    let rows = layer
        .features
        .iter()
        .map(|f| {
            let names: Vec<&str> = rules
                .programmes
                .iter()
                .zip(&conditions)
                .filter(|(_, c)| c.matches(&f.values))
                .map(|(p, _)| p.name.as_str())
                .collect();
            vec![if names.is_empty() {
                Value::Null
            } else {
                Value::Text(format!("{}{suffix}", names.join("・")))
            }]
        })
        .collect();
    set_fields(layer, &[(PROGRAMMES_FIELD, FieldType::Text)], rows);
    Ok(())
}
