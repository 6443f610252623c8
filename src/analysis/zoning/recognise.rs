//! Recognising a zoning layer: which source it comes from and which of its fields say what
//! ([`Recognised`], read in `read.rs`), or why it cannot be read ([`NotRecognised`]).

use super::codes::{TWO_DIGIT, TWO_DIGIT_AMBIGUOUS};
use super::names::by_name;
use super::ratio;
use super::read::{Recognised, cell_text, integer};
use super::sources::{Check, SOURCES, ZoningSource, looked_for, looked_for_text};
use crate::model::{Field, Layer, Value};

/// A field of the layer: its position and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub index: usize,
    pub name: String,
}

/// A layer that could not be read as zoning.
#[derive(Debug, Clone, PartialEq)]
pub struct NotRecognised {
    /// Why, in a sentence.
    pub reason: String,
    /// The fields recognition looks for.
    pub looked_for: Vec<&'static str>,
    /// Whether the layer looks like an attempt at zoning (a field named like one), so `info`
    /// reports it even when the layer is not given as zoning.
    pub attempt: bool,
}

/// What [`recognise`] found.
#[derive(Debug, Clone)]
pub enum Recognition {
    Recognised(Recognised),
    NotRecognised(NotRecognised),
}

impl Recognition {
    pub fn recognised(&self) -> Option<&Recognised> {
        match self {
            Recognition::Recognised(r) => Some(r),
            Recognition::NotRecognised(_) => None,
        }
    }
}

impl NotRecognised {
    /// The warning for layer `layer`: "zoning layer 'x' not recognised: …; looked for A/B/…".
    pub fn message(&self, layer: &str) -> String {
        format!(
            "zoning layer '{layer}' not recognised: {}; looked for {}",
            self.reason,
            looked_for_text()
        )
    }
}

/// Recognises a zoning layer by its fields (and, for the two-digit scheme and plain name fields,
/// its values). See [`SOURCES`] for what identifies each source.
pub fn recognise(layer: &Layer) -> Recognition {
    let fields = Fields::of(layer);
    for source in &SOURCES {
        let identified = match source.check {
            Check::Fields => source.signature.iter().any(|s| {
                fields.find(&[s.field]).is_some()
                    && (s.with_any.is_empty() || fields.find(s.with_any).is_some())
            }),
            Check::TwoDigitCodes => fields
                .find(source.code_fields)
                .is_some_and(|c| two_digit_codes(layer, c.index)),
            Check::ZoneNames => match zone_name_field(layer, &fields, source) {
                Ok(found) => found,
                Err(not) => return Recognition::NotRecognised(not),
            },
        };
        if identified {
            return Recognition::Recognised(Recognised::read(layer, &fields, source));
        }
    }
    Recognition::NotRecognised(not_recognised(layer, &fields))
}

/// The layer's field names, and the same folded for matching: ASCII, lower case, no spaces or
/// "(%)".
pub(super) struct Fields<'a> {
    layer: &'a [Field],
    folded: Vec<String>,
}

impl<'a> Fields<'a> {
    fn of(layer: &'a Layer) -> Fields<'a> {
        Fields {
            layer: &layer.fields,
            folded: layer.fields.iter().map(|f| fold_field(&f.name)).collect(),
        }
    }

    /// A field naming the features one by one: site lists carry a 用途地域 column, zoning
    /// polygons are not named one by one.
    fn names_features(&self) -> Option<Column> {
        self.find(&["名称", "name", "施設名", "site_name", "site_id", "事業所名"])
    }

    /// The first of `names` the layer has.
    pub(super) fn find(&self, names: &[&str]) -> Option<Column> {
        names.iter().find_map(|n| {
            let n = fold_field(n);
            let index = self.folded.iter().position(|f| *f == n)?;
            Some(Column {
                index,
                name: self.layer[index].name.clone(),
            })
        })
    }
}

fn fold_field(name: &str) -> String {
    ratio::to_ascii(name)
        .to_lowercase()
        .replace("(%)", "")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '%')
        .collect()
}

/// For the name-field source: whether the layer has a name field of zone names. A name field
/// whose values are not zone names is an error that says so.
fn zone_name_field(
    layer: &Layer,
    fields: &Fields,
    source: &ZoningSource,
) -> Result<bool, NotRecognised> {
    let Some(column) = fields.find(source.name_fields) else {
        return Ok(false);
    };
    if fields.names_features().is_some() {
        return Ok(false);
    }
    let values: Vec<&Value> = layer
        .features
        .iter()
        .filter_map(|f| f.values.get(column.index))
        .filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
        .collect();
    let known = values
        .iter()
        .filter(|v| cell_text(v).and_then(|t| by_name(&t)).is_some())
        .count();
    if !values.is_empty() && known * 2 >= values.len() {
        return Ok(true);
    }
    let field = &column.name;
    let reason = match values
        .iter()
        .find(|v| cell_text(v).and_then(|t| by_name(&t)).is_none())
    {
        None => format!("field {field} is empty"),
        Some(v) if integer(v).is_some() => format!(
            "field {field} holds numbers (e.g. {v}), not zone names: a code is read only in the \
             code system of a known source ({})",
            code_trap()
        ),
        Some(v) => format!(
            "field {field} holds no zone names ({known} of {} are; e.g. '{v}')",
            values.len()
        ),
    };
    Err(NotRecognised {
        reason,
        looked_for: looked_for(),
        attempt: true,
    })
}

fn code_trap() -> &'static str {
    "8 is 近隣商業地域 in A29 and 田園住居地域 in 都市計画決定GISデータ and 不動産情報ライブラリ"
}

/// Whether the values of `column` are all two-digit codes, not only the ones A29 shares.
fn two_digit_codes(layer: &Layer, column: usize) -> bool {
    let codes: Option<Vec<i64>> = layer
        .features
        .iter()
        .filter_map(|f| f.values.get(column))
        .filter(|v| !v.is_null())
        .map(integer)
        .collect();
    codes.is_some_and(|codes| {
        TWO_DIGIT.holds_all(codes.iter().copied())
            && codes.iter().any(|c| !TWO_DIGIT_AMBIGUOUS.contains(c))
    })
}

/// Why nothing matched, and whether the layer was meant to be zoning.
fn not_recognised(layer: &Layer, fields: &Fields) -> NotRecognised {
    // Words in field names that mean zoning (not "zone" alone: time and UTM zones).
    const HINTS: [&str; 11] = [
        "用途",
        "youto",
        "zoning",
        "zone_name",
        "a29_",
        "建蔽",
        "建ぺい",
        "容積",
        "tup3f",
        "usedistrict",
        "use_district",
    ];
    let hinted = |i: usize| {
        let f = &fields.folded[i];
        HINTS.iter().any(|h| f.contains(h)) || f == "yoto" || f == "yoto_name"
    };
    let site_list = fields.names_features();
    let attempt = (0..fields.folded.len()).any(hinted) && site_list.is_none();
    let reason = if let Some(c) = site_list {
        format!(
            "the layer names its features one by one ({}): a list of sites, not zoning \
             polygons",
            c.name
        )
    } else if fields.find(&["TUP3F1"]).is_some() {
        "東京都都市整備局 都市計画決定情報 layout (TUP3F1): its zone code table is not published, \
         so its codes are not read; add a 用途地域 name field"
            .to_string()
    } else if let Some((i, example)) =
        integer_field(layer, hinted).or_else(|| integer_field(layer, |_| true))
    {
        format!(
            "field {} holds integer codes (e.g. {example}) and nothing says which numbering they \
             follow ({}); a bare code is not read: keep the source's field names or add the zone \
             names",
            layer.fields[i].name,
            code_trap()
        )
    } else if (0..fields.folded.len()).any(hinted) {
        let names: Vec<&str> = (0..fields.folded.len())
            .filter(|&i| hinted(i))
            .map(|i| layer.fields[i].name.as_str())
            .collect();
        format!(
            "no zone name or code of a known source (fields like zoning: {})",
            names.join(", ")
        )
    } else {
        "no zoning fields".to_string()
    };
    NotRecognised {
        reason,
        looked_for: looked_for(),
        attempt,
    }
}

/// The first field (of those `wanted`) whose set values are all small integers, and one of them.
fn integer_field(layer: &Layer, wanted: impl Fn(usize) -> bool) -> Option<(usize, i64)> {
    (0..layer.fields.len())
        .filter(|&i| wanted(i))
        .find_map(|i| {
            let mut values = layer
                .features
                .iter()
                .filter_map(|f| f.values.get(i))
                .filter(|v| !v.is_null())
                .peekable();
            let first = integer(values.peek()?)?;
            values
                .all(|v| integer(v).is_some_and(|c| (0..100).contains(&c)))
                .then_some((i, first))
        })
}

#[cfg(test)]
mod tests;
